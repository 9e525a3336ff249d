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

mod arbitrate;
pub mod batch;
pub mod calibrate;
pub mod capacity;
pub mod catalog;
mod compile;
mod customer;
pub mod diagnostic;
pub mod diff;
mod diff_format;
mod eval;
pub mod funnel;
mod graph;
pub mod html;
mod input;
mod ir;
mod live;
pub mod model;
mod package;
mod program;
pub mod render;
pub mod report;
mod report_format;
mod resolve;
mod schema;
pub mod score;
mod script;
pub mod source;
mod syntax;
mod table;
pub mod testing;
pub mod trace;
mod trace_format;
mod yaml;

/// The README's code examples run as doc tests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use catalog::Catalog;
pub use compile::Engine;
pub use customer::{Customer, CustomerBuilder, FieldError, Input, Problem, Value};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use eval::{EvalError, EvalErrorKind, Evaluator, Offer};
pub use input::{CustomerReader, DataError, InputFormat};
pub use ir::{RuleId, SegmentId, ServiceId};
pub use live::LiveEngine;
pub use package::{CATALOG_FILE, LoadError};
pub use schema::Symbol;

impl Engine {
    /// Starts building a customer by attribute name.
    pub fn customer(&self) -> CustomerBuilder<'_> {
        CustomerBuilder::new(&self.schema)
    }

    /// Builds a customer from text values keyed by input column (or attribute
    /// name, or `pref.NAME`), e.g. a `HashMap<String, String>` from a request.
    /// Texts are read as the schema says (numbers, yes/no, categories); keys
    /// the schema does not know are ignored.
    pub fn customer_from_map<K, V>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Customer, FieldError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let object: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| {
                (
                    k.as_ref().to_string(),
                    serde_json::Value::String(v.as_ref().to_string()),
                )
            })
            .collect();
        self.customer_from_json(&serde_json::Value::Object(object))
    }

    /// Builds a customer from a JSON object keyed by input column (or attribute name).
    pub fn customer_from_json(&self, object: &serde_json::Value) -> Result<Customer, FieldError> {
        customer::from_json_object(&self.schema, object)
    }
}

impl Engine {
    /// The customer's id (the catalog's `customer.id` attribute), if it has one.
    pub fn customer_id(&self, customer: &Customer) -> Option<String> {
        let slot = self.schema.id_slot?;
        match customer.get(slot) {
            Value::Missing => None,
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Text(symbol) => Some(customer.text(&self.schema, symbol).to_string()),
        }
    }
}
