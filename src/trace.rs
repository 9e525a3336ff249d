//! Explaining one customer: every segment, every rule, every decision.
//!
//! In: an engine and a customer. Out: an [`Explanation`] (serde-serializable)
//! that says which segments the customer is in and which not (with the part of
//! the test that failed and the values it saw), every rule and what became of
//! it (fired, lost to a more specific rule, suppressed...), and the final offers.
//!
//! This is also the reference evaluator: it works straight over the typed
//! expressions, looks at every segment and rule, and spells the semantics out
//! plainly. The fast evaluator is tested against it on random packages.

use crate::arbitrate::Verdict;
use crate::compile::Engine;
use crate::customer::{Customer, Value};
use crate::eval::{EvalError, EvalErrorKind, Offer};
use crate::ir::{Function, Gain, RuleId, SegmentId, TypedExpr, TypedKind};
use crate::schema::{FieldKind, Symbol};
use crate::syntax::ast::{ActionKind, BinaryOp, UnaryOp};
use serde::Serialize;

/// Why one customer got what it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The customer's id, when the catalog names an id attribute.
    pub customer_id: Option<String>,
    /// Every segment, in graph order.
    pub segments: Vec<SegmentTrace>,
    /// Every rule, in file order.
    pub rules: Vec<RuleTrace>,
    /// The final offers, best first.
    pub offers: Vec<ExplainedOffer>,
    /// Set when evaluation failed (e.g. a gain that is not a finite number).
    pub error: Option<String>,
}

/// One segment and whether the customer is in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentTrace {
    /// Segment name.
    pub segment: String,
    /// Display label.
    pub label: String,
    /// Depth in the graph (0 for roots).
    pub depth: u32,
    /// In, or why not.
    pub status: SegmentStatus,
    /// For a failed test: the part that failed and the values it saw.
    pub failed: Option<Failure>,
}

/// Whether a customer is in a segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SegmentStatus {
    /// In the segment.
    Member,
    /// Not in every parent, so its own test was never looked at.
    ParentNotMatched {
        /// The parents the customer is not in.
        missing: Vec<String>,
    },
    /// The segment's test is false.
    ConditionFalse,
    /// The segment's test needs a value the customer lacks.
    ConditionUnknown,
}

/// The part of a test that failed, and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The failing part, as written in the rule file.
    pub condition: String,
    /// `false`, or `unknown` when a value was missing.
    pub result: String,
    /// The customer values that part read, as `name = value`.
    pub values: Vec<SeenValue>,
}

/// A customer value read by a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeenValue {
    /// Attribute name, or `pref.NAME`.
    pub name: String,
    /// The value as text, or `missing`.
    pub value: String,
}

/// One rule and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTrace {
    /// Rule name.
    pub rule: String,
    /// `offer` or `suppress`.
    pub action: String,
    /// Service id.
    pub service: String,
    /// The rule's segment.
    pub segment: String,
    /// Where the rule is written (`file:line:col`).
    pub location: String,
    /// What happened.
    pub status: RuleStatus,
    /// For a failed profile or condition: the part that failed and its values.
    pub failed: Option<Failure>,
    /// The gain, when it was computed.
    pub gain: Option<f64>,
}

/// What became of a rule for this customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RuleStatus {
    /// The customer is not in the rule's segment.
    SegmentNotMatched,
    /// The rule's profile does not hold.
    ProfileNotMatched {
        /// Profile name.
        profile: String,
    },
    /// The rule's condition is false.
    ConditionFalse,
    /// The rule's condition needs a value the customer lacks.
    ConditionUnknown,
    /// Its offer is among the final offers.
    Offered {
        /// 1 for the best offer.
        rank: usize,
    },
    /// It won its service but fell below `max_offers`.
    CutByMaxOffers,
    /// It won its service, but the customer's budget was spent by better offers.
    CutByBudget,
    /// It won its service, but its channel does not fit the customer.
    ChannelMismatch,
    /// It won its service, but a better offer of the same exclusive group was kept.
    ExclusiveWith {
        /// The service kept from the group.
        service: String,
    },
    /// Another rule offering the same service won.
    LostTo {
        /// The winning rule.
        rule: String,
        /// Why it won: more specific segment, higher priority, or earlier in the files.
        reason: String,
    },
    /// A suppress rule blocked the service.
    SuppressedBy {
        /// The suppressing rule.
        rule: String,
    },
    /// A suppress rule that applied.
    Suppresses,
    /// It won its service, but its gain needs a value the customer lacks.
    GainMissing,
    /// Its gain is not a finite number.
    GainNotFinite,
}

/// One final offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainedOffer {
    /// 1 for the best.
    pub rank: usize,
    /// Service id.
    pub service: String,
    /// Service display name.
    pub name: String,
    /// Expected gain.
    pub gain: f64,
    /// The rule that made it.
    pub rule: String,
    /// That rule's segment.
    pub segment: String,
    /// The rule's reason.
    pub reason: Option<String>,
}

/// A value during reference evaluation; `None` stands for missing/unknown.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Num(f64),
    Bool(bool),
    Text(Symbol),
    List(Vec<V>),
}

struct Reference<'a> {
    engine: &'a Engine,
    customer: &'a Customer,
    /// The derived gain of the service whose gain is being computed.
    derived: Option<f64>,
}

impl Reference<'_> {
    fn text(&self, symbol: Symbol) -> &str {
        self.customer.text(&self.engine.schema, symbol)
    }

    fn eval(&self, expr: &TypedExpr) -> Option<V> {
        match &expr.kind {
            TypedKind::Number(n) => Some(V::Num(*n)),
            TypedKind::Bool(b) => Some(V::Bool(*b)),
            TypedKind::Text(s) => Some(V::Text(*s)),
            TypedKind::List(items) => {
                Some(V::List(items.iter().filter_map(|i| self.eval(i)).collect()))
            }
            TypedKind::Derived => self.derived.map(V::Num),
            TypedKind::Slot(slot) | TypedKind::Uses(slot) => match self.customer.get(*slot) {
                Value::Missing => None,
                Value::Number(n) => Some(V::Num(n)),
                Value::Bool(b) => Some(V::Bool(b)),
                Value::Text(s) => Some(V::Text(s)),
            },
            TypedKind::Unary(UnaryOp::Not, e) => match self.eval(e)? {
                V::Bool(b) => Some(V::Bool(!b)),
                _ => None,
            },
            TypedKind::Unary(UnaryOp::Neg, e) => match self.eval(e)? {
                V::Num(n) => Some(V::Num(-n)),
                _ => None,
            },
            TypedKind::Binary(BinaryOp::And, a, b) => match (self.eval(a), self.eval(b)) {
                (Some(V::Bool(false)), _) | (_, Some(V::Bool(false))) => Some(V::Bool(false)),
                (Some(V::Bool(true)), Some(V::Bool(true))) => Some(V::Bool(true)),
                _ => None,
            },
            TypedKind::Binary(BinaryOp::Or, a, b) => match (self.eval(a), self.eval(b)) {
                (Some(V::Bool(true)), _) | (_, Some(V::Bool(true))) => Some(V::Bool(true)),
                (Some(V::Bool(false)), Some(V::Bool(false))) => Some(V::Bool(false)),
                _ => None,
            },
            TypedKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                binary(*op, a, b)
            }
            TypedKind::Call(f, args) => self.call(*f, args),
        }
    }

    fn call(&self, f: Function, args: &[TypedExpr]) -> Option<V> {
        let num = |e: &TypedExpr| match self.eval(e) {
            Some(V::Num(n)) => Some(n),
            _ => None,
        };
        let text = |e: &TypedExpr| match self.eval(e) {
            Some(V::Text(s)) => Some(self.text(s).to_string()),
            _ => None,
        };
        let arg = |i: usize| args.get(i);
        Some(match f {
            Function::Min | Function::Max => {
                let values: Vec<f64> = args.iter().map(num).collect::<Option<_>>()?;
                let first = *values.first()?;
                V::Num(values.iter().fold(first, |acc, &v| {
                    if f == Function::Min {
                        acc.min(v)
                    } else {
                        acc.max(v)
                    }
                }))
            }
            Function::Clamp => V::Num(num(arg(0)?)?.max(num(arg(1)?)?).min(num(arg(2)?)?)),
            Function::Abs => V::Num(num(arg(0)?)?.abs()),
            Function::Round => V::Num(num(arg(0)?)?.round()),
            Function::Present => V::Bool(self.eval(arg(0)?).is_some()),
            Function::ValueOr => {
                return self
                    .eval(arg(0)?)
                    .or_else(|| arg(1).and_then(|a| self.eval(a)));
            }
            Function::Len => V::Num(text(arg(0)?)?.chars().count() as f64),
            Function::StartsWith => V::Bool(text(arg(0)?)?.starts_with(&text(arg(1)?)?)),
            Function::EndsWith => V::Bool(text(arg(0)?)?.ends_with(&text(arg(1)?)?)),
            Function::Contains => V::Bool(text(arg(0)?)?.contains(&text(arg(1)?)?)),
        })
    }

    /// `Some(true)`, `Some(false)` or `None` (unknown); no condition means true.
    fn test(&self, expr: Option<&TypedExpr>) -> Option<bool> {
        match expr {
            None => Some(true),
            Some(e) => match self.eval(e) {
                Some(V::Bool(b)) => Some(b),
                _ => None,
            },
        }
    }

    /// The innermost part of a failed test that decides it: the first conjunct
    /// of an `and` that is not true, followed down; anything else is reported whole.
    fn failing_part<'e>(&self, expr: &'e TypedExpr) -> &'e TypedExpr {
        match &expr.kind {
            TypedKind::Binary(BinaryOp::And, a, b) => {
                if self.eval(a) == Some(V::Bool(false)) || self.eval(b) == Some(V::Bool(true)) {
                    self.failing_part(a)
                } else {
                    self.failing_part(b)
                }
            }
            _ => expr,
        }
    }

    fn failure(&self, expr: &TypedExpr) -> Failure {
        let part = self.failing_part(expr);
        let mut slots = Vec::new();
        collect_slots(part, &mut slots);
        let values = slots
            .into_iter()
            .filter_map(|slot| {
                let field = self.engine.schema.field(slot)?;
                let name = if matches!(field.kind, FieldKind::Preference) {
                    format!("pref.{}", field.name)
                } else {
                    field.name.clone()
                };
                Some(SeenValue {
                    name,
                    value: self.show(self.customer.get(slot)),
                })
            })
            .collect();
        Failure {
            condition: self.engine.sources.slice(part.span).to_string(),
            result: if self.eval(part).is_none() {
                "unknown"
            } else {
                "false"
            }
            .to_string(),
            values,
        }
    }

    fn show(&self, value: Value) -> String {
        match value {
            Value::Missing => "missing".to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "yes" } else { "no" }.to_string(),
            Value::Text(s) => format!("\"{}\"", self.text(s)),
        }
    }
}

fn binary(op: BinaryOp, a: V, b: V) -> Option<V> {
    Some(match (op, a, b) {
        (BinaryOp::Add, V::Num(a), V::Num(b)) => V::Num(a + b),
        (BinaryOp::Sub, V::Num(a), V::Num(b)) => V::Num(a - b),
        (BinaryOp::Mul, V::Num(a), V::Num(b)) => V::Num(a * b),
        (BinaryOp::Div, V::Num(a), V::Num(b)) => V::Num(a / b),
        (BinaryOp::Rem, V::Num(a), V::Num(b)) => V::Num(a % b),
        (BinaryOp::In | BinaryOp::NotIn, V::Num(x), _) if x.is_nan() => return None,
        (BinaryOp::In, x, V::List(items)) => V::Bool(items.contains(&x)),
        (BinaryOp::NotIn, x, V::List(items)) => V::Bool(!items.contains(&x)),
        (op, V::Num(a), V::Num(b)) => {
            if a.is_nan() || b.is_nan() {
                return None;
            }
            V::Bool(match op {
                BinaryOp::Eq => a == b,
                BinaryOp::Ne => a != b,
                BinaryOp::Lt => a < b,
                BinaryOp::Le => a <= b,
                BinaryOp::Gt => a > b,
                _ => a >= b,
            })
        }
        (BinaryOp::Eq, a, b) => V::Bool(a == b),
        (BinaryOp::Ne, a, b) => V::Bool(a != b),
        _ => return None,
    })
}

fn collect_slots(expr: &TypedExpr, out: &mut Vec<u32>) {
    match &expr.kind {
        TypedKind::Slot(s) | TypedKind::Uses(s) => {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        TypedKind::List(items) | TypedKind::Call(_, items) => {
            items.iter().for_each(|i| collect_slots(i, out))
        }
        TypedKind::Unary(_, e) => collect_slots(e, out),
        TypedKind::Binary(_, a, b) => {
            collect_slots(a, out);
            collect_slots(b, out);
        }
        TypedKind::Number(_) | TypedKind::Text(_) | TypedKind::Bool(_) | TypedKind::Derived => {}
    }
}

/// What the trace works out before it is turned into names.
struct Traced {
    explanation: Explanation,
    offers: Vec<Offer>,
    error: Option<EvalError>,
}

impl Engine {
    /// Explains one customer's result: segments, rules, conflicts, offers.
    pub fn explain(&self, customer: &Customer) -> Explanation {
        self.trace(customer).explanation
    }

    /// Evaluates a customer the slow, plain way (the trace). For tests of the
    /// fast evaluator; not for production use.
    #[doc(hidden)]
    pub fn evaluate_reference(&self, customer: &Customer) -> Result<Vec<Offer>, EvalError> {
        let traced = self.trace(customer);
        match traced.error {
            Some(error) => Err(error),
            None => Ok(traced.offers),
        }
    }

    fn trace(&self, customer: &Customer) -> Traced {
        let r = Reference {
            engine: self,
            customer,
            derived: None,
        };
        let package = &self.checked;

        let mut member = vec![false; package.segments.len()];
        let mut segment_traces: Vec<(SegmentId, SegmentTrace)> = Vec::new();
        for &id in &package.graph.order {
            let segment = &package.segments[id as usize];
            let missing: Vec<String> = segment
                .parents
                .iter()
                .filter(|&&p| !member[p as usize])
                .map(|&p| self.segment_name(p).to_string())
                .collect();
            let (status, failed) = if !missing.is_empty() {
                (SegmentStatus::ParentNotMatched { missing }, None)
            } else {
                match r.test(segment.when.as_ref()) {
                    Some(true) => (SegmentStatus::Member, None),
                    result => (
                        if result.is_none() {
                            SegmentStatus::ConditionUnknown
                        } else {
                            SegmentStatus::ConditionFalse
                        },
                        segment.when.as_ref().map(|w| r.failure(w)),
                    ),
                }
            };
            member[id as usize] = status == SegmentStatus::Member;
            segment_traces.push((
                id,
                SegmentTrace {
                    segment: segment.name.clone(),
                    label: self.segment_label(id).to_string(),
                    depth: self.segment_depth(id),
                    status,
                    failed,
                },
            ));
        }

        // Which rules apply, and for each service the winner and any suppression.
        let mut statuses: Vec<(RuleStatus, Option<Failure>)> =
            Vec::with_capacity(package.rules.len());
        let mut best: Vec<Option<usize>> = vec![None; self.catalog.services.len()];
        let mut suppressor: Vec<Option<usize>> = vec![None; self.catalog.services.len()];
        let key = |j: usize| {
            let rule = &package.rules[j];
            (
                package.graph.depth[rule.segment as usize],
                rule.priority,
                std::cmp::Reverse(j),
            )
        };
        for (i, rule) in package.rules.iter().enumerate() {
            if !member[rule.segment as usize] {
                statuses.push((RuleStatus::SegmentNotMatched, None));
                continue;
            }
            if let Some(p) = rule.profile {
                let profile = &package.profiles[p as usize];
                if r.test(profile.when.as_ref()) != Some(true) {
                    let status = RuleStatus::ProfileNotMatched {
                        profile: profile.name.clone(),
                    };
                    statuses.push((status, profile.when.as_ref().map(|w| r.failure(w))));
                    continue;
                }
            }
            match r.test(rule.when.as_ref()) {
                Some(true) => {}
                result => {
                    let status = if result.is_none() {
                        RuleStatus::ConditionUnknown
                    } else {
                        RuleStatus::ConditionFalse
                    };
                    statuses.push((status, rule.when.as_ref().map(|w| r.failure(w))));
                    continue;
                }
            }
            let service = rule.service as usize;
            match rule.action {
                ActionKind::Suppress => {
                    suppressor[service].get_or_insert(i);
                    statuses.push((RuleStatus::Suppresses, None));
                }
                ActionKind::Offer => {
                    if best[service].is_none_or(|b| key(i) > key(b)) {
                        best[service] = Some(i);
                    }
                    // Settled below, once every rule has been seen.
                    statuses.push((RuleStatus::GainMissing, None));
                }
            }
        }

        // Settle the offer rules: losers, suppressed winners, gains.
        let mut gains: Vec<Option<f64>> = vec![None; package.rules.len()];
        let mut candidates: Vec<(Offer, i64)> = Vec::new();
        let mut error = None;
        for (i, rule) in package.rules.iter().enumerate() {
            if rule.action != ActionKind::Offer || statuses[i].0 != RuleStatus::GainMissing {
                continue;
            }
            let service = rule.service as usize;
            let Some(winner) = best[service] else {
                continue;
            };
            if winner != i {
                let (wk, ik) = (key(winner), key(i));
                let reason = if wk.0 != ik.0 {
                    "more specific segment"
                } else if wk.1 != ik.1 {
                    "higher priority"
                } else {
                    "written earlier"
                };
                statuses[i].0 = RuleStatus::LostTo {
                    rule: package.rules[winner].name.clone(),
                    reason: reason.to_string(),
                };
                continue;
            }
            if let Some(s) = suppressor[service] {
                statuses[i].0 = RuleStatus::SuppressedBy {
                    rule: package.rules[s].name.clone(),
                };
                continue;
            }
            let derived = self
                .compiled_model
                .as_ref()
                .map(|m| m.derived(rule.service, &customer.values));
            let with_derived = Reference { derived, ..r };
            let gain = match &rule.gain {
                Some(Gain::Default(g)) => Some(*g),
                Some(Gain::Derived) => derived,
                Some(Gain::Expr(e)) => match with_derived.eval(e) {
                    Some(V::Num(n)) => Some(n),
                    _ => None,
                },
                None => None,
            };
            gains[i] = gain;
            match gain {
                None => {
                    if let Some(Gain::Expr(e)) = &rule.gain {
                        statuses[i].1 = Some(r.failure(e));
                    }
                }
                Some(g) if !g.is_finite() => {
                    statuses[i].0 = RuleStatus::GainNotFinite;
                    error.get_or_insert(EvalError {
                        rule: i as RuleId,
                        rule_name: rule.name.clone(),
                        kind: EvalErrorKind::NonFiniteGain(g),
                    });
                }
                Some(g) => candidates.push((
                    Offer {
                        service: rule.service,
                        gain: g,
                        rule: i as RuleId,
                        segment: rule.segment,
                    },
                    rule.priority,
                )),
            }
        }
        candidates.sort_by(|(a, pa), (b, pb)| {
            b.gain.total_cmp(&a.gain).then(pb.cmp(pa)).then_with(|| {
                self.catalog.services[a.service as usize]
                    .id
                    .cmp(&self.catalog.services[b.service as usize].id)
            })
        });
        let mut offers: Vec<Offer> = candidates.into_iter().map(|(o, _)| o).collect();
        let mut rank = 0;
        self.arbitration.select(
            &mut offers,
            &customer.values,
            self.catalog.max_offers,
            &mut Vec::new(),
            |offer, verdict| {
                statuses[offer.rule as usize].0 = match verdict {
                    Verdict::Kept => {
                        rank += 1;
                        RuleStatus::Offered { rank }
                    }
                    Verdict::MaxOffers => RuleStatus::CutByMaxOffers,
                    Verdict::Budget => RuleStatus::CutByBudget,
                    Verdict::Channel => RuleStatus::ChannelMismatch,
                    Verdict::Group { with } => RuleStatus::ExclusiveWith {
                        service: self.catalog.services[with as usize].id.clone(),
                    },
                };
            },
        );
        if error.is_some() {
            offers.clear();
        }
        if let Some(model) = &self.compiled_model {
            model.stack(&mut offers, &customer.values, &mut Vec::new());
        }

        let rules = package
            .rules
            .iter()
            .zip(statuses)
            .enumerate()
            .map(|(i, (rule, (status, failed)))| RuleTrace {
                rule: rule.name.clone(),
                action: if rule.action == ActionKind::Offer {
                    "offer"
                } else {
                    "suppress"
                }
                .to_string(),
                service: self.catalog.services[rule.service as usize].id.clone(),
                segment: self.segment_name(rule.segment).to_string(),
                location: self.rule_location(i as RuleId),
                status,
                failed,
                gain: gains[i],
            })
            .collect();
        let explained = offers
            .iter()
            .enumerate()
            .map(|(rank, o)| {
                let service = &self.catalog.services[o.service as usize];
                ExplainedOffer {
                    rank: rank + 1,
                    service: service.id.clone(),
                    name: service.name.clone(),
                    gain: o.gain,
                    rule: self.rule_name(o.rule).to_string(),
                    segment: self.segment_name(o.segment).to_string(),
                    reason: self.rule_reason(o.rule).map(str::to_string),
                }
            })
            .collect();
        Traced {
            explanation: Explanation {
                customer_id: self.customer_id(customer),
                segments: segment_traces.into_iter().map(|(_, t)| t).collect(),
                rules,
                offers: explained,
                error: error.as_ref().map(ToString::to_string),
            },
            offers,
            error,
        }
    }
}
#[cfg(test)]
mod tests {
    //! Differential test: the fast evaluator against the trace (reference), on
    //! random well-typed packages and random customers (seeded, reproducible).
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // splitmix64
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    const CATALOG: &str = r#"
package: random
max_offers: 3
budget: 7
channel_fit: { attribute: tier, online: [gold], offline: [bronze] }
satisfaction:
  min: 0
  max: 10
  current: c
  dimensions:
    - { id: d1, preference: p, perception: a, expectation: b }
    - { id: d2, preference: q }
    - { id: d3, perception: b }
  ahp:
    - [1, 2, 4]
    - ["1/2", 1, 2]
    - ["1/4", "1/2", 1]
services:
  - { id: s0, name: 零, category: convenience, stage: pre_sale, channel: offline, participation: passive, default_gain: 1, in_use: x, cost: 3, group: g }
  - { id: s1, name: 一, category: convenience, stage: pre_sale, channel: online, participation: passive, default_gain: 2, cost: 2, group: g }
  - { id: s2, name: 二, category: convenience, stage: pre_sale, channel: online, participation: passive, effects: { d1: 3, d2: 1 } }
  - { id: s3, name: 三, category: convenience, stage: pre_sale, channel: online, participation: passive, effects: { d2: 2, d3: 4 } }
  - { id: s4, name: 四, category: convenience, stage: pre_sale, channel: omni, participation: passive, default_gain: 2, cost: 4 }
customer:
  attributes:
    - { name: a, type: number }
    - { name: b, type: number }
    - { name: c, type: number }
    - { name: tier, type: category, values: [gold, silver, bronze] }
    - { name: x, type: bool }
    - { name: y, type: bool }
    - { name: city, type: text }
  preferences:
    - { name: p }
    - { name: q }
"#;

    fn number(rng: &mut Rng, depth: u32) -> String {
        let leaf = depth == 0 || rng.chance(35);
        if leaf {
            return match rng.below(5) {
                0 => format!("{}", rng.below(5)),
                1 => format!("{}.5", rng.below(3)),
                2 => rng.pick(&["pref.p", "pref.q"]).to_string(),
                _ => rng.pick(&["a", "b", "c"]).to_string(),
            };
        }
        let d = depth - 1;
        match rng.below(12) {
            0 => format!("({} + {})", number(rng, d), number(rng, d)),
            1 => format!("({} - {})", number(rng, d), number(rng, d)),
            2 => format!("({} * {})", number(rng, d), number(rng, d)),
            3 => format!(
                "({} / {})",
                number(rng, d),
                rng.pick(&["a", "b", "c", "pref.p"])
            ),
            4 => format!("({} % {})", number(rng, d), rng.pick(&["a", "b", "2"])),
            5 => format!("min({}, {})", number(rng, d), number(rng, d)),
            6 => format!(
                "max({}, {}, {})",
                number(rng, d),
                number(rng, d),
                number(rng, d)
            ),
            7 => format!("clamp({}, 0, 3)", number(rng, d)),
            8 => format!("abs({})", number(rng, d)),
            9 => format!("value_or({}, {})", number(rng, d), number(rng, d)),
            10 => "len(city)".to_string(),
            _ => format!("-{}", number(rng, d)),
        }
    }

    fn condition(rng: &mut Rng, depth: u32) -> String {
        let leaf = depth == 0 || rng.chance(30);
        if leaf {
            return match rng.below(9) {
                0 => rng.pick(&["true", "false"]).to_string(),
                1 => rng.pick(&["x", "y", "not x"]).to_string(),
                2 => format!("tier == \"{}\"", rng.pick(&["gold", "silver", "bronze"])),
                3 => format!(
                    "tier {} [\"gold\", \"silver\"]",
                    rng.pick(&["in", "not in"])
                ),
                4 => format!("city == \"{}\"", rng.pick(&["上海", "北京", "x"])),
                5 => format!(
                    "present({})",
                    rng.pick(&["a", "tier", "x", "city", "pref.p"])
                ),
                6 => format!("starts_with(city, \"{}\")", rng.pick(&["上", "北", ""])),
                7 => "uses(s0)".to_string(),
                _ => format!("{} in [0, 1, 2]", rng.pick(&["a", "b"])),
            };
        }
        let d = depth - 1;
        match rng.below(6) {
            0 => format!("({} and {})", condition(rng, d), condition(rng, d)),
            1 => format!("({} or {})", condition(rng, d), condition(rng, d)),
            2 => format!("not {}", condition(rng, d)),
            3 => format!(
                "value_or({}, {})",
                condition(rng, d),
                rng.pick(&["true", "false"])
            ),
            4 => format!("x == ({})", condition(rng, d)),
            _ => format!(
                "{} {} {}",
                number(rng, d),
                rng.pick(&["==", "!=", "<", "<=", ">", ">="]),
                number(rng, d)
            ),
        }
    }

    fn package(rng: &mut Rng) -> String {
        let mut text = String::new();
        let segments = 1 + rng.below(10) as usize;
        for i in 0..segments {
            let mut parents: Vec<String> = Vec::new();
            if i > 0 {
                for _ in 0..1 + rng.below(2) {
                    let p = format!("g{}", rng.below(i as u64));
                    if !parents.contains(&p) {
                        parents.push(p);
                    }
                }
            }
            let under = if parents.is_empty() {
                String::new()
            } else {
                format!(" under {}", parents.join(", "))
            };
            let when = if rng.chance(80) {
                format!("when {}", condition(rng, 2))
            } else {
                String::new()
            };
            text.push_str(&format!("segment g{i}{under} {{ {when} }}\n"));
        }
        let profiles = rng.below(3) as usize;
        for i in 0..profiles {
            text.push_str(&format!(
                "profile f{i} {{ when pref.p >= 0.{} }}\n",
                rng.below(10)
            ));
        }
        for i in 0..1 + rng.below(20) {
            let segment = rng.below(segments as u64);
            let profile = if profiles > 0 && rng.chance(25) {
                format!(", profile f{}", rng.below(profiles as u64))
            } else {
                String::new()
            };
            let service = rng.below(5);
            let when = if rng.chance(70) {
                format!("when {}", condition(rng, 3))
            } else {
                String::new()
            };
            let action = if rng.chance(15) {
                format!("suppress s{service}")
            } else {
                let derivable = service == 2 || service == 3;
                let gain = if derivable && rng.chance(40) {
                    format!("gain derived * {}", rng.pick(&["1", "1.5", "(1 + pref.q)"]))
                } else if rng.chance(70) {
                    format!("gain {}", number(rng, 3))
                } else {
                    // s2 and s3 derive their gain, s0, s1 and s4 use their default.
                    String::new()
                };
                format!("offer s{service} {gain}")
            };
            let priority = rng.below(5) as i64 - 2;
            text.push_str(&format!(
                "rule r{i} for g{segment}{profile} {{ {when} {action} priority {priority} }}\n"
            ));
        }
        text
    }

    fn customer(rng: &mut Rng, engine: &Engine) -> Customer {
        let mut object = serde_json::Map::new();
        let mut put = |rng: &mut Rng, key: &str, value: serde_json::Value| {
            if rng.chance(80) {
                object.insert(key.to_string(), value);
            }
        };
        for key in ["a", "b", "c"] {
            let v = rng.below(5) as f64 - 1.0 + if rng.chance(30) { 0.5 } else { 0.0 };
            put(rng, key, serde_json::json!(v));
        }
        let tier = rng.pick(&["gold", "silver", "bronze"]);
        put(rng, "tier", serde_json::json!(tier));
        let (x, y) = (rng.chance(50), rng.chance(50));
        put(rng, "x", serde_json::json!(x));
        put(rng, "y", serde_json::json!(y));
        let city = rng.pick(&["上海", "北京", "x", "上海滩"]);
        put(rng, "city", serde_json::json!(city));
        for key in ["p", "q"] {
            let v = rng.below(11) as f64 / 10.0;
            put(rng, key, serde_json::json!(v));
        }
        engine
            .customer_from_json(&serde_json::Value::Object(object))
            .unwrap()
    }

    #[test]
    fn fast_evaluator_agrees_with_reference() {
        let mut checked = 0;
        for seed in 0..400u64 {
            let mut rng = Rng(seed);
            let rules = package(&mut rng);
            let engine = match Engine::from_sources(CATALOG, &[("random.vas", &rules)]) {
                Ok(engine) => engine,
                Err(e) => panic!("seed {seed}: generated package does not check:\n{e}\n{rules}"),
            };
            let mut evaluator = engine.evaluator();
            for _ in 0..40 {
                let customer = customer(&mut rng, &engine);
                let fast = evaluator.evaluate(&customer).map(<[Offer]>::to_vec);
                let reference = engine.evaluate_reference(&customer);
                match (&fast, &reference) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "seed {seed}\n{rules}\n{customer:?}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("seed {seed}: {fast:?} vs {reference:?}\n{rules}\n{customer:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 16_000);
    }
}
