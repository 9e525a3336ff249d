//! The dense ids of a package's parts: every segment, profile and rule gets
//! one in declaration order when names are resolved, every service its place
//! in the catalog. Traces, coverage and reports are tables keyed by them.

use crate::base::index::define_id;

define_id!(
    /// Dense id of a segment, in declaration order across files.
    SegmentId
);
define_id!(
    /// Dense id of a preference profile, in declaration order.
    ProfileId
);
define_id!(
    /// Dense id of a rule; also its file order.
    RuleId
);
define_id!(
    /// A service's place in the catalog.
    ServiceId
);
