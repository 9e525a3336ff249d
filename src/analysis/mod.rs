//! What analysts ask of a package over many customers: the dry-run
//! report, the funnels, diffs of two versions, one customer's trace, rule
//! test cases with coverage, and calibration on survey data. Values only:
//! rendering lives in `format`.

pub mod calibrate;
pub mod diff;
pub mod funnel;
pub mod gap;
pub mod partial;
pub mod report;
pub mod tally;
pub mod testing;
mod tidy;
pub mod trace;
