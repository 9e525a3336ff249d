//! Near misses: for a customer with no offer, the rules that almost applied.
//!
//! A near miss is an offer rule whose segment and profile hold for the
//! customer and whose condition fails on exactly one of its `and`-parts (a
//! condition without `and` is one part), and fails on known values: a part
//! that is unknown because a value is missing is not a threshold to loosen.
//! For a part that compares an attribute with a number, the shortfall is how
//! far the value is from the threshold.

use super::reference::{Reference, V};
use crate::engine::Engine;
use crate::lang::ir::{RuleId, SegmentId, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{ActionKind, BinaryOp};
use crate::package::customer::{Customer, Value};

/// One rule that failed on a single part of its condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NearMiss {
    pub rule: RuleId,
    /// The failing part, as written.
    pub condition: String,
    /// Distance from the threshold, for `attribute <op> number`.
    pub shortfall: Option<f64>,
}

fn conjuncts<'e>(expr: &'e TypedExpr, out: &mut Vec<&'e TypedExpr>) {
    match &expr.kind {
        TypedKind::Binary(BinaryOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(expr),
    }
}

/// The near misses of a customer (see the module header).
pub(crate) fn near_misses(
    engine: &Engine,
    customer: &Customer,
    members: &[SegmentId],
) -> Vec<NearMiss> {
    let script_failure = std::cell::Cell::new(None);
    let r = Reference {
        engine,
        customer,
        derived: None,
        script_failure: &script_failure,
    };
    let mut misses = Vec::new();
    for (i, rule) in engine.checked().rules.iter().enumerate() {
        if rule.action != ActionKind::Offer || !members.contains(&rule.segment) {
            continue;
        }
        let Some(when) = &rule.when else { continue };
        if let Some(p) = rule.profile
            && r.test(
                engine
                    .checked()
                    .profiles
                    .get(p.index())
                    .and_then(|p| p.when.as_ref()),
            ) != Some(true)
        {
            continue;
        }
        let mut parts = Vec::new();
        conjuncts(when, &mut parts);
        let failing: Vec<&&TypedExpr> = parts
            .iter()
            .filter(|p| r.eval(p) != Some(V::Bool(true)))
            .collect();
        let [part] = failing.as_slice() else { continue };
        if r.eval(part).is_none() {
            continue;
        }
        misses.push(NearMiss {
            rule: RuleId::new(i),
            condition: engine.sources().slice(part.span).to_string(),
            shortfall: shortfall(part, customer),
        });
    }
    misses
}

fn shortfall(part: &TypedExpr, customer: &Customer) -> Option<f64> {
    let TypedKind::Binary(op, a, b) = &part.kind else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq
    ) {
        return None;
    }
    let (slot, threshold) = match (&a.kind, &b.kind) {
        (TypedKind::Slot(s), TypedKind::Number(k)) | (TypedKind::Number(k), TypedKind::Slot(s)) => {
            (*s, *k)
        }
        _ => return None,
    };
    match customer.get(slot) {
        Value::Number(v) => Some((v - threshold).abs()),
        _ => None,
    }
}
