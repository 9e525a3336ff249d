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

use crate::engine::Engine;
use crate::engine::arbitrate::Verdict;
use crate::engine::offer::{EvalError, EvalErrorKind, Offer};
use crate::engine::replace::Scratch;
use crate::lang::ir::{Gain, RuleId, SegmentId, ServiceId};
use crate::lang::syntax::ast::ActionKind;
use crate::package::catalog::RankKey;
use crate::package::customer::Customer;
use serde::Serialize;

/// Why one customer got what it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The customer's id, when the catalog names an id attribute.
    pub customer_id: Option<String>,
    /// Attributes the catalog marks required that this customer has no
    /// value for: only a hand-typed customer (`explain --json`) can lack
    /// them, and then the tests reading them are unknown, so the reader
    /// should know which were left out.
    pub not_given: Vec<NotGiven>,
    /// Every segment, in graph order.
    pub segments: Vec<SegmentTrace>,
    /// Every rule, in file order.
    pub rules: Vec<RuleTrace>,
    /// The final offers, best first.
    pub offers: Vec<ExplainedOffer>,
    /// With an allocation of capacity-limited services: what became of each
    /// limited service the customer had a candidate offer of, and what
    /// replaced those it lost.
    pub capacity: Vec<LimitedFate>,
    /// Set when evaluation failed (e.g. a gain that is not a finite number).
    pub error: Option<String>,
}

/// A required attribute the customer has no value for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotGiven {
    /// Attribute name, as rules read it.
    pub attribute: String,
    /// Input column (the key to add to the customer).
    pub column: String,
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
#[non_exhaustive]
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
    /// For a row of a `hit first` or `hit priority` table: the row tried
    /// before it that matched, which is why this one did not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_row: Option<String>,
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
    /// Where the rule is written (`file:line:col`; a spreadsheet's row
    /// `offers.csv:3` for a table's row read from one).
    pub location: String,
    /// Whether the rule is a row read from a spreadsheet: the text names
    /// it with its row (`senior_care[1] (senior_care.csv:2)`).
    #[serde(skip)]
    pub in_sheet: bool,
    /// What happened.
    pub status: RuleStatus,
    /// For a failed profile or condition: the part that failed and its values.
    pub failed: Option<Failure>,
    /// The gain, when it was computed.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain: Option<f64>,
}

/// What became of a rule for this customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
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
    /// It won its service but fell below `max_offers`: better offers took
    /// every slot.
    CutByMaxOffers {
        /// The catalog's `max_offers`.
        max_offers: usize,
        /// The offers that took the slots, best first; one withdrawn later
        /// for capacity left its slot empty.
        taken_by: Vec<SlotHolder>,
    },
    /// It won its service, but the customer's budget was spent by better offers.
    CutByBudget,
    /// It won its service, but the service's capacity went to customers for
    /// whom it adds more gain (a higher marginal value).
    CutByCapacity {
        /// How many customers can get the service.
        capacity: Option<u64>,
        /// How many customers' own arbitration kept it.
        wanted: Option<u64>,
        /// The marginal value of the last customer who got it; a tie goes
        /// to the earlier row.
        #[serde(serialize_with = "crate::analysis::tidy::tidy")]
        cutoff_gain: Option<f64>,
        /// This customer's marginal value for the service (what it adds to
        /// its total gain); None when it adds nothing the allocation counts.
        #[serde(serialize_with = "crate::analysis::tidy::tidy")]
        marginal: Option<f64>,
    },
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

/// An offer that took one of a customer's `max_offers` slots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotHolder {
    /// Service id.
    pub service: String,
    /// The rule that made the offer.
    pub rule: String,
    /// Its gain.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain: f64,
}

/// What became of one capacity-limited service for one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitedFate {
    /// Service id.
    pub service: String,
    /// Whether the customer got it.
    pub kept: bool,
    /// The customer's marginal value for it: its arbitration's total gain
    /// (before stacking) with the service, minus the total without any
    /// limited service; None when the service adds nothing (or does not fit).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub marginal: Option<f64>,
    /// The marginal value of the last customer who got it, when capacity
    /// ran short.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cutoff: Option<f64>,
    /// Offers the customer got in place of the limited services it lost
    /// (the same list on each lost service: one freed place may go to
    /// several cheaper offers).
    pub replaced_by: Vec<String>,
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
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain: f64,
    /// The rule that made it.
    pub rule: String,
    /// That rule's segment.
    pub segment: String,
    /// The rule's reason.
    pub reason: Option<String>,
    /// How the satisfaction model derives this service's gain for this
    /// customer, per dimension (empty unless the rule's gain uses `derived`).
    pub derivation: Vec<DerivedTerm>,
    /// The gain before stacking and the headroom cap, when they changed it.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub before_stacking: Option<f64>,
}

/// One dimension's part of a derived gain: `weight * preference * gap * min(effect, headroom)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedTerm {
    /// Dimension id.
    pub dimension: String,
    /// Model weight `W_d`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight: f64,
    /// Preference factor `f_d = 2 * preference` (1 when unknown).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub preference_factor: f64,
    /// Gap factor `g_d` (1 when perception or expectation is unknown).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gap_factor: f64,
    /// The service's effect `e_d`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub effect: f64,
    /// Headroom `H_d`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub headroom: f64,
    /// The points this dimension contributes.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub points: f64,
}

mod capacity;
mod misses;
pub(crate) use misses::near_misses;
mod reference;
/// The catalog's `ranking:` read directly, the way README states it: this
/// reference is written apart from the evaluator's compiled `Ranking`, so
/// that the differential tests compare two readings of the setting.
fn reference_order(
    engine: &Engine,
    (a, priority_a): &(Offer, i64),
    (b, priority_b): &(Offer, i64),
) -> std::cmp::Ordering {
    let services = &engine.catalog().services;
    let (sa, sb) = (&services[a.service.index()], &services[b.service.index()]);
    let keys = engine.catalog().ranking.iter();
    keys.chain(std::iter::once(&RankKey::CatalogOrder))
        .map(|key| match key {
            RankKey::Gain => b.gain.total_cmp(&a.gain),
            RankKey::Priority => priority_b.cmp(priority_a),
            RankKey::Cost => sa.cost.total_cmp(&sb.cost),
            RankKey::CatalogOrder => a.service.index().cmp(&b.service.index()),
            RankKey::ServiceId => sa.id.cmp(&sb.id),
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// A gain rounded to the catalog's `gain_precision`, as README states it.
fn reference_round(engine: &Engine, gain: f64) -> f64 {
    match engine.catalog().gain_precision {
        Some(places) => {
            let scale = 10f64.powi(places as i32);
            let rounded = (gain * scale).round() / scale;
            if rounded.is_finite() { rounded } else { gain }
        }
        None => gain,
    }
}

#[cfg(test)]
mod tests;

use reference::{Reference, V};

/// What the trace works out before it is turned into names.
struct Traced {
    explanation: Explanation,
    offers: Vec<Offer>,
    error: Option<EvalError>,
}

/// Explains one customer's result: segments, rules, conflicts, offers.
pub fn explain(engine: &Engine, customer: &Customer) -> Explanation {
    trace(engine, customer, None).explanation
}

/// Explains a customer of a batch run in which the capacity-limited
/// services were given out as `allocation` says; `row` is the customer's
/// row (line) in that run, which breaks ties as it did there.
pub fn explain_allocated(
    engine: &Engine,
    customer: &Customer,
    allocation: &crate::engine::allocation::Allocation,
    row: u64,
) -> Explanation {
    trace(engine, customer, Some((allocation, row))).explanation
}

/// Evaluates a customer the slow, plain way (the trace). For tests of the
/// fast evaluator; not for production use.
#[doc(hidden)]
pub fn evaluate_reference(engine: &Engine, customer: &Customer) -> Result<Vec<Offer>, EvalError> {
    let traced = trace(engine, customer, None);
    match traced.error {
        Some(error) => Err(error),
        None => Ok(traced.offers),
    }
}

fn trace(
    engine: &Engine,
    customer: &Customer,
    capacity: Option<(&crate::engine::allocation::Allocation, u64)>,
) -> Traced {
    let script_failure = std::cell::Cell::new(None);
    let r = Reference {
        engine,
        customer,
        derived: None,
        script_failure: &script_failure,
    };
    let package = &engine.checked();

    let mut member = vec![false; package.segments.len()];
    let mut segment_traces: Vec<(SegmentId, SegmentTrace)> = Vec::new();
    for &id in &package.graph.order {
        let segment = &package.segments[id.index()];
        let missing: Vec<String> = segment
            .parents
            .iter()
            .filter(|&&p| !member[p.index()])
            .map(|&p| engine.segment_name(p).to_string())
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
        member[id.index()] = status == SegmentStatus::Member;
        segment_traces.push((
            id,
            SegmentTrace {
                segment: segment.name.clone(),
                label: engine.segment_label(id).to_string(),
                depth: engine.segment_depth(id),
                status,
                failed,
            },
        ));
    }

    // Which rules apply, and for each service the winner and any suppression.
    let mut statuses: Vec<(RuleStatus, Option<Failure>)> = Vec::with_capacity(package.rules.len());
    let mut best: Vec<Option<usize>> = vec![None; engine.catalog().services.len()];
    let mut suppressor: Vec<Option<usize>> = vec![None; engine.catalog().services.len()];
    let key = |j: usize| {
        let rule = &package.rules[j];
        (
            package.graph.depth[rule.segment.index()],
            rule.priority,
            std::cmp::Reverse(j),
        )
    };
    for (i, rule) in package.rules.iter().enumerate() {
        if !member[rule.segment.index()] {
            statuses.push((RuleStatus::SegmentNotMatched, None));
            continue;
        }
        if let Some(p) = rule.profile {
            let profile = &package.profiles[p.index()];
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
        let service = rule.service.index();
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
        let service = rule.service.index();
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
        let derived = engine
            .compiled_model()
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
        let gain = gain.map(|g| reference_round(engine, g));
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
                    rule: Some(RuleId::new(i)),
                    rule_name: rule.name.clone(),
                    kind: EvalErrorKind::NonFiniteGain(g),
                });
            }
            Some(g) => candidates.push((
                Offer {
                    service: rule.service,
                    gain: g,
                    rule: RuleId::new(i),
                    segment: rule.segment,
                },
                rule.priority,
            )),
        }
    }
    candidates.sort_by(|a, b| reference_order(engine, a, b));
    let mut offers: Vec<Offer> = candidates.into_iter().map(|(o, _)| o).collect();
    let mut rank = 0;
    // The offers kept so far (rule, gain), and for each offer cut by
    // max_offers the ones that held the slots then.
    let mut kept: Vec<(usize, f64)> = Vec::new();
    let mut cut: Vec<(usize, Vec<(usize, f64)>)> = Vec::new();
    let arbitration = engine.arbitration();
    let max_offers = engine.catalog().max_offers;
    let mut scratch = Scratch::default();
    let mut marginals = Vec::new();
    if capacity.is_some() {
        arbitration.marginals(
            &offers,
            &customer.values,
            max_offers,
            &mut scratch,
            &mut marginals,
        );
    }
    let marginal_of = |service: ServiceId| {
        marginals
            .iter()
            .find(|(s, _)| *s == service)
            .map(|&(_, m)| m)
    };
    let mut lost: Vec<ServiceId> = Vec::new();
    let status = |offer: &Offer, verdict: Verdict| match verdict {
        Verdict::Kept => {
            rank += 1;
            kept.push((offer.rule.index(), offer.gain));
            RuleStatus::Offered { rank }
        }
        Verdict::MaxOffers => {
            cut.push((offer.rule.index(), kept.clone()));
            RuleStatus::CutByMaxOffers {
                max_offers,
                taken_by: Vec::new(),
            }
        }
        Verdict::Budget => RuleStatus::CutByBudget,
        Verdict::Capacity => {
            lost.push(offer.service);
            let c =
                capacity.map(|(allocation, _)| capacity::competition(allocation, offer.service));
            RuleStatus::CutByCapacity {
                capacity: c.as_ref().map_or(
                    engine.catalog().services[offer.service.index()].capacity,
                    |c| c.capacity,
                ),
                wanted: c.as_ref().and_then(|c| c.wanted),
                cutoff_gain: c.as_ref().and_then(|c| c.cutoff_gain),
                marginal: marginal_of(offer.service),
            }
        }
        Verdict::Channel => RuleStatus::ChannelMismatch,
        Verdict::Group { with } => RuleStatus::ExclusiveWith {
            service: engine.catalog().services[with.index()].id.clone(),
        },
    };
    let mut replaced = Vec::new();
    {
        let mut status = status;
        let mut record = |offer: &Offer, verdict: Verdict| {
            statuses[offer.rule.index()].0 = status(offer, verdict);
        };
        match capacity {
            // Capacity, as the evaluator applies it: the services the
            // allocation refuses this customer leave its arbitration, and
            // the next eligible offers take what they held.
            Some((allocation, row)) if arbitration.any_limited => arbitration.select_allocated(
                &mut offers,
                &customer.values,
                max_offers,
                &marginals,
                |service, marginal| allocation.admits_line(service, marginal, row),
                &mut scratch,
                &mut replaced,
                &mut record,
            ),
            _ => arbitration.select(
                &mut offers,
                &customer.values,
                max_offers,
                &mut Vec::new(),
                &mut record,
            ),
        }
    }
    let limited = limited_fates(engine, capacity, &offers, &marginals, &lost, &replaced);
    // Say who took the slots of the offers max_offers cut.
    for (cut_rule, holders) in cut {
        let taken_by = holders
            .into_iter()
            .map(|(h, gain)| SlotHolder {
                service: engine.catalog().services[package.rules[h].service.index()]
                    .id
                    .clone(),
                rule: package.rules[h].name.clone(),
                gain,
            })
            .collect();
        if let RuleStatus::CutByMaxOffers { taken_by: slot, .. } = &mut statuses[cut_rule].0 {
            *slot = taken_by;
        }
    }
    if let Some((script, message)) = script_failure.take() {
        error.get_or_insert(engine.script_error(script, message));
    }
    if error.is_some() {
        offers.clear();
    }
    let unstacked: Vec<f64> = offers.iter().map(|o| o.gain).collect();
    if let Some(model) = engine.compiled_model() {
        model.stack(&mut offers, &customer.values, &mut Vec::new());
        for offer in &mut offers {
            offer.gain = reference_round(engine, offer.gain);
        }
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
            service: engine.catalog().services[rule.service.index()].id.clone(),
            segment: engine.segment_name(rule.segment).to_string(),
            location: engine.rule_location(RuleId::new(i)),
            in_sheet: engine.rule_sheet_row(RuleId::new(i)).is_some(),
            status,
            failed,
            gain: gains[i],
        })
        .collect();
    let explained = offers
        .iter()
        .enumerate()
        .map(|(rank, o)| {
            let service = &engine.catalog().services[o.service.index()];
            ExplainedOffer {
                rank: rank + 1,
                service: service.id.clone(),
                name: service.name.clone(),
                gain: o.gain,
                rule: engine.rule_name(o.rule).to_string(),
                segment: engine.segment_name(o.segment).to_string(),
                reason: engine.rule_reason(o.rule).map(str::to_string),
                // Shown where the rule's gain is the derived one (it may scale it).
                derivation: if engine
                    .rules()
                    .get(o.rule.index())
                    .is_some_and(|r| r.uses_derived)
                {
                    derivation(engine, o.service, customer)
                } else {
                    Vec::new()
                },
                before_stacking: unstacked
                    .get(rank)
                    .copied()
                    .filter(|g| (g - o.gain).abs() > 1e-12),
            }
        })
        .collect();
    Traced {
        explanation: Explanation {
            customer_id: engine.customer_id(customer),
            not_given: customer
                .missing_required(engine.schema())
                .map(|(attribute, column)| NotGiven {
                    attribute: attribute.to_string(),
                    column: column.to_string(),
                })
                .collect(),
            segments: segment_traces.into_iter().map(|(_, t)| t).collect(),
            rules,
            offers: explained,
            capacity: limited,
            error: error.as_ref().map(ToString::to_string),
        },
        offers,
        error,
    }
}

/// The per-dimension terms of a service's derived gain for a customer.
fn derivation(engine: &Engine, service: ServiceId, customer: &Customer) -> Vec<DerivedTerm> {
    let (Some(model), Some(compiled)) = (engine.model(), engine.compiled_model()) else {
        return Vec::new();
    };
    compiled
        .terms(service, &customer.values)
        .map(|t| DerivedTerm {
            dimension: model
                .dimensions
                .get(t.dimension)
                .map_or(String::new(), |d| d.id.clone()),
            weight: t.weight,
            preference_factor: t.preference,
            gap_factor: t.gap,
            effect: t.effect,
            headroom: t.headroom,
            points: t.scale * t.alone,
        })
        .collect()
}

/// Per limited service among the customer's candidates, with an allocation:
/// kept or lost, its marginal value and cut-off, and the replacements.
fn limited_fates(
    engine: &Engine,
    capacity: Option<(&crate::engine::allocation::Allocation, u64)>,
    offers: &[Offer],
    marginals: &[(ServiceId, f64)],
    lost: &[ServiceId],
    replaced: &[ServiceId],
) -> Vec<LimitedFate> {
    let Some((allocation, _)) = capacity else {
        return Vec::new();
    };
    let id = |s: ServiceId| engine.catalog().services[s.index()].id.clone();
    let mut services: Vec<ServiceId> = marginals.iter().map(|&(s, _)| s).collect();
    services.extend_from_slice(lost);
    services.sort_unstable_by_key(|s| s.index());
    services.dedup();
    services
        .into_iter()
        .map(|s| {
            let kept = offers.iter().any(|o| o.service == s);
            LimitedFate {
                service: id(s),
                kept,
                marginal: marginals.iter().find(|(m, _)| *m == s).map(|&(_, v)| v),
                cutoff: capacity::competition(allocation, s).cutoff_gain,
                replaced_by: if lost.contains(&s) {
                    replaced.iter().map(|&r| id(r)).collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}
