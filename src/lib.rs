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
//! let offers = engine.evaluate(&customer)?;
//! assert_eq!(engine.service(offers[0].service).unwrap().id, "priority_support");
//! assert!((offers[0].gain - 4.4).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
mod lang;
pub mod model;
mod package;
mod run;

// The public module paths of before the layer folders (kept while the
// curated API is built).
pub use analysis::{calibrate, diff, funnel, report, testing, trace};
pub use base::{diagnostic, render, source};
pub use engine::allocation::{Allocation, CapacityUse};
pub use format::html;
pub use package::catalog;
pub use run::{batch, capacity, score};

/// The README's code examples run as doc tests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use analysis::trace::{explain, explain_allocated};
pub use base::diagnostic::{Code, Diagnostic, Severity};
pub use engine::Engine;
pub use engine::eval::Evaluator;
pub use engine::live::LiveEngine;
pub use engine::load::{CATALOG_FILE, LoadError};
pub use engine::offer::{EvalError, EvalErrorKind, Offer};
pub use lang::ir::{RuleId, SegmentId, ServiceId};
pub use package::catalog::Catalog;
pub use package::customer::{Customer, CustomerBuilder, FieldError, Input, Problem, Value};
pub use package::input::{CustomerReader, DataError, InputFormat};
pub use package::schema::Symbol;
