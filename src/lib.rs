//! # vasrec
//!
//! Recommend value-added services (VAS) to customers from declarative rules,
//! and report the satisfaction gain those services are expected to bring.
//!
//! A rule package is a folder with a `catalog.yaml` (services, the customer
//! schema) and `.vas` rule files (segments, preference profiles, rules). It is
//! checked and compiled once into an immutable [`Engine`]; customers are then
//! evaluated fast, from as many threads as you like.
//!
//! ```
//! use vasrec::Engine;
//!
//! let catalog = r#"
//! package: demo
//! services:
//!   - { id: priority_support, name: 优先技术支持, category: technical_support,
//!       stage: after_sale, channel: omni, participation: passive, cost: 12 }
//! customer:
//!   attributes:
//!     - { name: tenure_months, type: number, required: true }
//!   preferences:
//!     - { name: responsiveness }
//! "#;
//! let rules = r#"
//! segment everyone { when true }
//! segment new_customer under everyone "新客户" { when tenure_months < 6 }
//! rule fast_start for new_customer {
//!   when value_or(pref.responsiveness, 0) >= 0.5
//!   offer priority_support
//!   gain 2 + 3 * pref.responsiveness
//!   because "New customers who value speed"
//! }
//! "#;
//! let engine = Engine::from_sources(catalog, &[("rules.vas", rules)])?;
//! let customer = engine
//!     .customer()
//!     .set("tenure_months", 3)
//!     .set("pref.responsiveness", 0.8)
//!     .build()?;
//! let offers = engine.recommend(&customer)?;
//! assert_eq!(offers[0].service.id, "priority_support");
//! assert_eq!(offers[0].service.name, "优先技术支持");
//! assert!((offers[0].gain - 4.4).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The entry points, from the most convenient to the fastest:
//!
//! - [`Engine::evaluate_json`] (and [`Engine::evaluate_json_str`]): a
//!   customer as a JSON object in, `{"customer", "offers": [...]}` out.
//! - [`Engine::recommend`]: a [`Customer`] in, [`Recommendation`]s out, each
//!   with its service's catalog entry, rule and reason by name.
//! - [`Engine::evaluator`] and [`Evaluator::evaluate`]: reusable buffers,
//!   lean [`Offer`]s (ids and a gain) that allocate nothing per customer;
//!   name the ones you show with [`Offer::named`] or [`Engine::service`].
//!
//! A package that does not load is a [`LoadError`], whose `Debug` is the
//! rendered diagnostics, so `?` in `main` prints them readably; see
//! `examples/load_errors.rs` for colour on a terminal.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
// Diagnostics are large values, but they only travel on the checking path,
// never per customer; boxing them everywhere would buy nothing.
#![allow(clippy::result_large_err)]

mod analysis;
mod base;
mod engine;
mod format;
pub mod ide;
mod lang;
pub mod model;
mod package;
mod run;

// The public surface. The layer folders above are private: what
// applications and the command line need is re-exported here, by name, so
// an internal move never changes a public path. The common types sit at the
// root; each analysis has a module of its own.

/// An example of asking why a customer got (or did not get) an offer:
///
/// ```
/// let engine = vasrec::Engine::load("rules")?;
/// let customer = engine
///     .customer()
///     .set("customer_id", "C-1")
///     .set("tenure_months", 3)
///     .set("monthly_charges", 70)
///     .build()?;
/// let explanation = vasrec::explain(&engine, &customer);
/// for rule in &explanation.rules {
///     println!("{} ({}): {:?}", rule.rule, rule.location, rule.status);
/// }
/// let offered: Vec<&str> = explanation.offers.iter().map(|o| o.service.as_str()).collect();
/// let evaluated = engine.recommend(&customer)?;
/// assert_eq!(offered, evaluated.iter().map(|r| r.service.id.as_str()).collect::<Vec<_>>());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub use analysis::trace::explain;
pub use analysis::trace::explain_allocated;
pub use base::diagnostic::{Code, Diagnostic, Severity};
pub use engine::Engine;
pub use engine::allocation::{Allocation, CapacityUse};
pub use engine::eval::Evaluator;
pub use engine::json::JsonError;
pub use engine::live::LiveEngine;
pub use engine::load::CATALOG_FILE;
pub use engine::load_error::LoadError;
pub use engine::offer::{EvalError, EvalErrorKind, Offer};
pub use engine::recommend::Recommendation;
pub use lang::ids::{ProfileId, RuleId, SegmentId, ServiceId};
pub use package::catalog::Catalog;
pub use package::customer::{Customer, CustomerBuilder, FieldError, Input, Problem, Value};
pub use package::input::{CustomerReader, DataError, InputFormat, Place};
pub use package::schema::Symbol;

/// Source files and spans: where a diagnostic points.
pub mod source {
    pub use crate::base::source::{FileId, SourceFile, SourceMap, Span};
}

/// Diagnostics as values: a stable code, a severity, spans and help.
pub mod diagnostic {
    pub use crate::base::diagnostic::{Code, Diagnostic, Label, Severity};
}

/// Diagnostics rendered once, in one place: caret snippets or JSON.
pub mod render {
    pub use crate::base::render::{JsonDiagnostic, printable, render, render_all, to_json};
}

/// Rule files in one canonical layout, as `vasrec fmt` writes them: the
/// same tokens and comments, so reviews show what changed, not who indented.
pub mod layout {
    pub use crate::lang::layout::{
        FormatError, MAX_WIDTH, catalog_limits, format_file, format_source,
    };
}

/// The catalog as written in `catalog.yaml`: services, customer schema,
/// satisfaction section, limits.
pub mod catalog {
    pub use crate::package::catalog::{
        Attribute, AttributeKind, BUILTIN_CATEGORIES, Catalog, Channel, ChannelFit, CustomerSchema,
        Limits, Participation, Preference, ScriptLimits, Service, Stage,
    };
    pub use crate::package::satisfaction::{Dimension, Judgement, Link, LoyaltySpec, Satisfaction};
}

/// Many customers at once: streaming batches over all cores, in input order.
pub mod batch {
    pub use crate::run::batch::{
        CHUNK_ROWS, ChunkSink, Found, RowBits, RowError, RowOutcome, RowSelection, RunError, find,
        open, open_file, read_all, read_all_from, run, run_allocated, run_selected,
    };
}

/// Capacity's first pass: the demand for each limited service and its
/// allocation, and their serialised forms for a run split over workers.
pub mod capacity {
    pub use crate::engine::allocation::{Allocation, CapacityUse};
    pub use crate::run::capacity::{Demand, Settling, demand_pass, first_pass};
    pub use crate::run::partial::{PartialDemand, SharedAllocation};
}

/// Parts of a run made apart and merged exactly: the partial dry-run report,
/// the partial capacity demand and the shared allocation, the package stamp
/// that keeps parts of different packages apart, and why a part is refused.
pub mod partial {
    pub use crate::analysis::partial::PartialReport;
    pub use crate::run::partial::{PartialDemand, SharedAllocation};
    pub use crate::run::stamp::{PARTIAL_SCHEMA_VERSION, PackageStamp, PartialError};
}

/// Per-customer score records (JSON Lines or CSV), the form `vasrec score` writes.
pub mod score {
    #[cfg(feature = "arrow")]
    pub use crate::run::arrow::{
        SCORE_ROW_GROUP_ROWS, SCORE_VERSION_KEY, ScoreBatchBuilder, ScoreParquetWriter,
        score_arrow_schema,
    };
    pub use crate::run::score::{
        CSV_HEADER, SCORE_SCHEMA_VERSION, ScoreFormat, ScoreFormatter, ScoreRecord, ScoredOffer,
        score_record_schema,
    };
}

/// The dry-run report: totals and tables by segment, service and rule.
pub mod report {
    pub use crate::analysis::gap::{GapCell, GapDimension, GapGroup, GapIndex};
    pub use crate::analysis::report::{
        CapacityLosses, CapacityRow, DimensionRow, DryRunReport, ErrorCount, LoyaltyRow,
        NearMissRow, NoOfferRow, REPORT_SCHEMA_VERSION, RuleRow, SegmentRow, ServiceRow, Tally,
        Totals,
    };
}

/// Where each service and rule loses its audience, stage by stage.
pub mod funnel {
    pub use crate::analysis::funnel::{
        Funnel, FunnelTally, Loss, PathLevel, RULE_STAGES, RuleFunnel, SERVICE_STAGES,
        ServiceFunnel, StageCount,
    };
}

/// Two versions of a package over the same customers.
pub mod diff {
    pub use crate::analysis::diff::{
        BadRows, BeforeAfter, Changes, CustomerChange, DIFF_SCHEMA_VERSION, DiffError, DiffReport,
        FunnelChange, Modified, NamedBeforeAfter, PackageChanges, RejectedRow, StageChange, diff,
        package_changes,
    };
}

/// One customer's result explained: segments, rules, conflicts, offers.
pub mod trace {
    pub use crate::analysis::trace::{
        DerivedTerm, ExplainedOffer, Explanation, Failure, NotGiven, RuleStatus, RuleTrace,
        SeenValue, SegmentStatus, SegmentTrace, SlotHolder, evaluate_reference, explain,
        explain_allocated,
    };
}

/// A package's YAML test cases, with coverage.
pub mod testing {
    pub use crate::analysis::testing::{
        ActualOffer, CaseResult, ConditionCoverage, Counts, Coverage, CoverageSummary,
        DEFAULT_TOLERANCE, FileError, PartCoverage, ProfileCoverage, RuleCoverage, SegmentCoverage,
        Share, TESTS_FOLDER, TestError, TestReport, run,
    };
}

/// Dimension weights fitted on survey data, compared with the catalog's.
pub mod calibrate {
    pub use crate::analysis::calibrate::{
        ALPHA_THRESHOLD, BootstrapSummary, CalibrationError, CalibrationReport, DimensionFit,
        DimensionReliability, FuzzyReport, FuzzySegment, HeldOutFit, MAX_REPLICATES, MAX_SEGMENTS,
        MIN_INDICATOR_CLASS, MIN_INDICATOR_ROWS, MethodFit, NotRated, NotRatedItem, Options,
        Outcome, OutcomeKind, RatingColumn, RatingItem, ReliabilityReport, RowCounts,
        SCHEMA_VERSION, SegmentFit, SegmentResult, Survey, SurveySpec, WeightSource, calibrate,
        render_error, stats,
    };
}

/// Self-contained HTML pages of the dry-run and diff reports.
pub mod html {
    pub use crate::format::html::{PageMeta, diff_page, dry_run_page};
}

/// The README's code examples run as doc tests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
