//! What evaluating one customer gives: ranked offers, or the error of the
//! rule (or script) that could not be evaluated.

use crate::lang::ir::{RuleId, SegmentId, ServiceId};
use serde::Serialize;
use std::fmt;

/// One recommended service for one customer, as the evaluator makes it:
/// ids and a gain.
///
/// Lean on purpose: four numbers and `Copy`, so that [`Evaluator::evaluate`]
/// fills a reused buffer and allocates nothing per customer (a benchmark
/// guards it). Names are one call away when you need them:
/// [`Offer::named`] gives a [`Recommendation`] with the service's catalog
/// entry, the rule's name and reason; [`Engine::service`] (or
/// `engine[offer.service]`) gives the service alone. Both are infallible for
/// offers of the same engine.
///
/// [`Evaluator::evaluate`]: crate::Evaluator::evaluate
/// [`Recommendation`]: crate::Recommendation
/// [`Engine::service`]: crate::Engine::service
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Offer {
    /// The service (index into the catalog's services).
    pub service: ServiceId,
    /// Expected satisfaction gain, on the catalog's scale.
    pub gain: f64,
    /// The rule that made the offer.
    pub rule: RuleId,
    /// The segment of that rule.
    pub segment: SegmentId,
}

/// A customer could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    /// The rule at fault; `None` when a segment's or profile's script failed.
    pub rule: Option<RuleId>,
    /// Its name.
    pub rule_name: String,
    /// What went wrong.
    pub kind: EvalErrorKind,
}

/// What went wrong while evaluating.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// The gain came out as NaN or infinite (e.g. a division by zero).
    NonFiniteGain(f64),
    /// A script failed: it ran into a limit, returned the wrong type, or
    /// raised an error. `owner` is `rule`, `segment` or `profile`.
    Script {
        /// What the script belongs to.
        owner: &'static str,
        /// What went wrong, in plain words.
        message: String,
    },
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EvalErrorKind::NonFiniteGain(g) => write!(
                f,
                "rule `{}`: the gain is not a finite number ({g}); check for a division by zero",
                self.rule_name
            ),
            EvalErrorKind::Script { owner, message } => {
                write!(f, "{owner} `{}`: {message}", self.rule_name)
            }
        }
    }
}

impl std::error::Error for EvalError {}

impl EvalError {
    /// What raised it, e.g. ``rule `tiered_gain` `` or ``segment `vip` ``.
    pub fn raised_by(&self) -> String {
        let owner = match &self.kind {
            EvalErrorKind::NonFiniteGain(_) => "rule",
            EvalErrorKind::Script { owner, .. } => owner,
        };
        format!("{owner} `{}`", self.rule_name)
    }
}
