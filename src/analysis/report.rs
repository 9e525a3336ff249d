//! Dry-run reports: what a package does over many customers.
//!
//! In: outcomes of a batch run. Out: a [`DryRunReport`] with a documented,
//! stable JSON shape (`schema_version`), and its table and CSV renderings.
//! Tallies ([`Tally`]) merge in any order to the same values, so reports
//! are byte-identical whatever the number of threads, and whatever the split
//! of the rows into parts ([`crate::analysis::partial`]).

pub use crate::analysis::tally::Tally;
use crate::analysis::tally::{MissKey, MissTally};
use crate::base::exact_sum::ExactSum;
use crate::base::number::round4;
use crate::engine::Engine;
use crate::lang::ir::SegmentId;
use serde::Serialize;

/// Version of the JSON report shape; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The dry-run report. Its JSON form is the stable interface for other programs.
#[derive(Debug, Clone, Serialize)]
pub struct DryRunReport {
    /// Shape version ([`REPORT_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Package name from the catalog.
    pub package: String,
    /// The customers file as given.
    pub customers_file: String,
    /// Totals over all customers.
    pub totals: Totals,
    /// How many customers got 0, 1, 2... offers.
    pub offers_per_customer: Vec<u64>,
    /// Per segment, in declaration order.
    pub segments: Vec<SegmentRow>,
    /// Per service, in catalog order.
    pub services: Vec<ServiceRow>,
    /// Per rule, in file order.
    pub rules: Vec<RuleRow>,
    /// Names of rules that never fired.
    pub rules_never_fired: Vec<String>,
    /// Expected loyalty uplift per outcome (empty without a loyalty graph).
    pub loyalty: Vec<LoyaltyRow>,
    /// The satisfaction index by dimension, before and after the offers
    /// (empty without a satisfaction model).
    pub dimensions: Vec<DimensionRow>,
    /// The SERVQUAL gap index (perception minus expectation) per dimension
    /// and weighted, overall and per segment; absent from the JSON when no
    /// dimension has expectation items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_index: Option<crate::analysis::gap::GapIndex>,
    /// Customers left with no offer, by the deepest segment they reached.
    pub no_offer: Vec<NoOfferRow>,
    /// Where each service and rule loses its audience.
    pub funnel: crate::analysis::funnel::Funnel,
    /// How the capacity-limited services were given out (empty when none is
    /// limited, or capacity was ignored).
    pub capacity: Vec<CapacityRow>,
    /// What capacity cost the customers who missed out (None when no
    /// allocation was made).
    pub capacity_losses: Option<CapacityLosses>,
    /// Evaluation errors per rule (or segment, profile) that raised them, most first.
    pub evaluation_errors_by_source: Vec<ErrorCount>,
    /// The failed rows on the earliest lines (at most 20), by line: in a run
    /// made in parts, lines of the whole input.
    pub errors: Vec<String>,
    /// A customer of this run worth a look with `vasrec explain`, which the
    /// table suggests as a next step.
    pub explain_example: Option<ExplainExample>,
}

/// A customer to explain, and why that one.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainExample {
    /// The customer's id.
    pub customer_id: String,
    /// `capacity_loss` (the first customer who lost an offer to capacity),
    /// `no_offer` (else the first left with nothing) or `offers` (else the
    /// first with offers).
    pub why: &'static str,
}

/// Totals of a dry-run.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Rows read.
    pub customers: u64,
    /// Rows evaluated without error.
    pub evaluated: u64,
    /// Rows that could not be read.
    pub data_errors: u64,
    /// Rows whose evaluation failed.
    pub evaluation_errors: u64,
    /// Customers with at least one offer.
    pub customers_with_offers: u64,
    /// Offers made.
    pub offers: u64,
    /// Sum of expected gains.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub expected_gain: f64,
    /// Mean expected gain per evaluated customer.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_gain_per_customer: f64,
    /// Sum of offer costs.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cost: f64,
    /// Expected gain per unit of cost (0 when nothing costs anything).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_per_cost: f64,
}

/// Expected uplift of one loyalty outcome over all customers.
#[derive(Debug, Clone, Serialize)]
pub struct LoyaltyRow {
    /// Outcome name (e.g. `repurchase`).
    pub outcome: String,
    /// Points of the outcome per point of satisfaction gain.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub factor: f64,
    /// Factor times the total expected gain.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub uplift: f64,
    /// Per evaluated customer.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_per_customer: f64,
}

/// One dimension of the satisfaction index, before and after the offers.
/// Points are on the dimension's scale: an offer closes `min(effect,
/// headroom)` alone, less when stacked with others on the same dimension.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionRow {
    /// Dimension id.
    pub dimension: String,
    /// Display name.
    pub name: String,
    /// Model weight.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight: f64,
    /// Customers with a perception score on the dimension.
    pub rated: u64,
    /// Their mean perception before the offers (None when nobody is rated).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_before: Option<f64>,
    /// Their mean perception with the offers' points added.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_after: Option<f64>,
    /// Mean points the offers close on the dimension, over all evaluated customers.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_points: f64,
    /// Weight times mean points: the dimension's part of the index change
    /// before personalisation by preferences and gaps.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weighted_points: f64,
}

/// Customers left with nothing in one segment, and what nearly reached them.
#[derive(Debug, Clone, Serialize)]
pub struct NoOfferRow {
    /// The deepest segment these customers reached.
    pub segment: String,
    /// How many.
    pub customers: u64,
    /// The rule that failed on a single part of its condition for the most of
    /// them, if any did.
    pub nearest_miss: Option<NearMissRow>,
}

/// A rule that nearly reached customers left with nothing.
#[derive(Debug, Clone, Serialize)]
pub struct NearMissRow {
    /// Rule name.
    pub rule: String,
    /// The one part of its condition that failed, as written.
    pub condition: String,
    /// For how many of the group it was the only failing part.
    pub customers: u64,
    /// Median distance to the threshold, for `attribute <op> number` parts.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub median_shortfall: Option<f64>,
}

/// One segment's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentRow {
    /// Segment name.
    pub segment: String,
    /// Display label.
    pub label: String,
    /// Depth in the graph.
    pub depth: u32,
    /// Names of the parent segments (empty for a root).
    pub parents: Vec<String>,
    /// Customers in the segment.
    pub customers: u64,
    /// Offers made by rules for this segment.
    pub offers: u64,
    /// Mean total expected gain of the segment's customers (all their offers).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean_gain: f64,
    /// Median of the same, to 0.01 point.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub median_gain: f64,
    /// 90th percentile of the same, to 0.01 point.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub p90_gain: f64,
}

/// One service's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRow {
    /// Service id.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Offers made.
    pub offers: u64,
    /// Sum of expected gains.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub expected_gain: f64,
    /// Offers times cost.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cost: f64,
    /// Times a winning offer was dropped (suppressed, or its gain lacked a value).
    pub blocked: u64,
}

/// One rule's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// Rule name.
    pub rule: String,
    /// For a table's row read from a spreadsheet, its row there
    /// (`offers.csv:3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet_row: Option<String>,
    /// `offer` or `suppress`.
    pub action: String,
    /// Service id.
    pub service: String,
    /// Segment name.
    pub segment: String,
    /// Customers for whom segment, profile and condition held.
    pub fired: u64,
    /// Offers this rule made in the final results.
    pub offers: u64,
}

impl DryRunReport {
    /// Builds the report from a finished tally.
    pub fn new(engine: &Engine, tally: &Tally, customers_file: &str) -> DryRunReport {
        let gain = tally.gain.value();
        let cost = tally.cost.value();
        let ratio = |a: f64, b: f64| if b > 0.0 { round4(a / b) } else { 0.0 };
        let segments = engine
            .segment_ids()
            .map(|id| {
                let i = id.index();
                let members = tally.segment_members.get(i).copied().unwrap_or(0);
                let gains = tally
                    .segment_gain_counts
                    .get(i)
                    .map(|c| c.sorted())
                    .unwrap_or_default();
                SegmentRow {
                    segment: engine.segment_name(id).to_string(),
                    label: engine.segment_label(id).to_string(),
                    depth: engine.segment_depth(id),
                    parents: engine
                        .checked()
                        .segments
                        .get(i)
                        .map(|s| {
                            s.parents
                                .iter()
                                .map(|&p| engine.segment_name(p).to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                    customers: members,
                    offers: tally.segment_offers.get(i).copied().unwrap_or(0),
                    mean_gain: ratio(
                        tally.segment_member_gain.get(i).map_or(0.0, |s| s.value()),
                        members as f64,
                    ),
                    median_gain: quantile(&gains, 0.5),
                    p90_gain: quantile(&gains, 0.9),
                }
            })
            .collect();
        let services = engine
            .catalog()
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let offers = tally.service_offers.get(i).copied().unwrap_or(0);
                ServiceRow {
                    service: s.id.clone(),
                    name: s.name.clone(),
                    offers,
                    expected_gain: round4(tally.service_gain.get(i).map_or(0.0, |s| s.value())),
                    cost: round4(offers as f64 * s.cost),
                    blocked: tally.service_blocked.get(i).copied().unwrap_or(0),
                }
            })
            .collect();
        let rules: Vec<RuleRow> = engine
            .rule_ids()
            .map(|id| {
                let i = id.index();
                RuleRow {
                    rule: engine.rule_name(id).to_string(),
                    sheet_row: engine.rule_sheet_row(id),
                    action: if engine.rule_offers(id) {
                        "offer"
                    } else {
                        "suppress"
                    }
                    .to_string(),
                    service: engine
                        .get_service(engine.rule_service(id))
                        .map_or(String::new(), |s| s.id.clone()),
                    segment: engine.segment_name(engine.rule_segment(id)).to_string(),
                    fired: tally.rule_fired.get(i).copied().unwrap_or(0),
                    offers: tally.rule_won.get(i).copied().unwrap_or(0),
                }
            })
            .collect();
        let rules_never_fired = rules
            .iter()
            .filter(|r| r.fired == 0)
            .map(|r| r.rule.clone())
            .collect();
        let loyalty = engine
            .model()
            .and_then(|m| m.loyalty.as_ref())
            .map(|l| {
                l.factors
                    .iter()
                    .map(|(outcome, factor)| LoyaltyRow {
                        outcome: outcome.clone(),
                        factor: round4(*factor),
                        uplift: round4(gain * factor),
                        mean_per_customer: ratio(gain * factor, tally.evaluated as f64),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let dimensions = engine
            .model()
            .map(|m| {
                m.dimensions
                    .iter()
                    .zip(&tally.dimensions)
                    .map(|(d, t)| {
                        let (rated, before, closed_rated, closed) = (
                            t.rated,
                            t.perception.value(),
                            t.closed_rated.value(),
                            t.closed.value(),
                        );
                        let mean = |sum: f64| (rated > 0).then(|| round4(sum / rated as f64));
                        let mean_points = if tally.evaluated > 0 {
                            closed / tally.evaluated as f64
                        } else {
                            0.0
                        };
                        DimensionRow {
                            dimension: d.id.clone(),
                            name: d.name.clone(),
                            weight: round4(d.weight),
                            rated,
                            mean_before: mean(before),
                            mean_after: mean(before + closed_rated),
                            mean_points: round4(mean_points),
                            weighted_points: round4(d.weight * mean_points),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        DryRunReport {
            schema_version: REPORT_SCHEMA_VERSION,
            package: engine.catalog().package.clone(),
            customers_file: customers_file.to_string(),
            totals: Totals {
                customers: tally.customers,
                evaluated: tally.evaluated,
                data_errors: tally.data_errors,
                evaluation_errors: tally.eval_errors,
                customers_with_offers: tally.with_offers,
                offers: tally.offers,
                expected_gain: round4(gain),
                mean_gain_per_customer: ratio(gain, tally.evaluated as f64),
                cost: round4(cost),
                gain_per_cost: ratio(gain, cost),
            },
            offers_per_customer: tally.offers_per_customer.clone(),
            segments,
            services,
            rules,
            rules_never_fired,
            loyalty,
            dimensions,
            gap_index: crate::analysis::gap::GapIndex::new(engine, tally),
            no_offer: no_offer_rows(engine, tally),
            funnel: tally.funnel.report(engine, &tally.segment_members),
            capacity: Vec::new(),
            capacity_losses: None,
            evaluation_errors_by_source: {
                let mut counts: Vec<ErrorCount> = tally
                    .eval_errors_by_source
                    .iter()
                    .map(|(source, &errors)| ErrorCount {
                        source: source.clone(),
                        errors,
                    })
                    .collect();
                counts.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.source.cmp(&b.source)));
                counts
            },
            errors: tally.examples.iter().map(|e| e.text.clone()).collect(),
            explain_example: ["capacity_loss", "no_offer", "offers"]
                .into_iter()
                .zip(&tally.explain_examples)
                .find_map(|(why, example)| {
                    example.as_ref().map(|example| ExplainExample {
                        customer_id: example.text.clone(),
                        why,
                    })
                }),
        }
    }
}

impl DryRunReport {
    /// Adds how the capacity-limited services were given out.
    pub fn with_capacity(
        self,
        engine: &Engine,
        tally: &Tally,
        allocation: Option<&crate::engine::allocation::Allocation>,
    ) -> DryRunReport {
        self.with_usage(engine, tally, allocation.map(|a| a.usage()))
    }

    /// [`DryRunReport::with_capacity`] from the allocation's usage alone.
    pub(crate) fn with_usage(
        mut self,
        engine: &Engine,
        tally: &Tally,
        usage: Option<&[crate::engine::allocation::CapacityUse]>,
    ) -> DryRunReport {
        self.capacity = usage
            .unwrap_or_default()
            .iter()
            .map(|u| CapacityRow {
                service: engine
                    .get_service(u.service)
                    .map_or(String::new(), |s| s.id.clone()),
                capacity: u.capacity,
                demand: u.demand,
                allocated: u.allocated,
                unmet: u.unmet,
                allocated_gain: round4(u.allocated_gain),
                first_come_gain: round4(u.first_come_gain),
                gain_bound: round4(u.gain_bound),
            })
            .collect();
        self.capacity_losses = usage.map(|_| CapacityLosses {
            customers: tally.capacity_losers,
            gain_lost: round4(tally.capacity_gain_lost.value()),
            replaced: tally.capacity_replaced,
            replacement_gain: round4(tally.capacity_replacement_gain.value()),
            limited_gain: round4(tally.capacity_limited_gain.value()),
            limited_gain_bound: round4({
                let mut bound = ExactSum::default();
                for u in usage.unwrap_or_default() {
                    bound.add(u.gain_bound);
                }
                bound.value()
            }),
        });
        self
    }
}

/// How many customers one rule's (segment's, profile's) failures stopped.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCount {
    /// E.g. ``rule `tiered_gain` ``.
    pub source: String,
    /// Customers whose evaluation it stopped.
    pub errors: u64,
}

/// What capacity cost the customers who missed out.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityLosses {
    /// Customers who lost at least one offer to capacity.
    pub customers: u64,
    /// The expected gain of the offers they lost (before stacking).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_lost: f64,
    /// Replacement offers: offers they got in the places the lost ones
    /// freed, which their arbitration without capacity had cut.
    pub replaced: u64,
    /// The expected gain of those replacement offers (as offered).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub replacement_gain: f64,
    /// What the limited services given out add to the expected gain
    /// (before stacking) over offering none of them.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub limited_gain: f64,
    /// No allocation's limited services add more than this: the optimum's
    /// gap to this allocation is at most `limited_gain_bound - limited_gain`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub limited_gain_bound: f64,
}

/// The columns of the capacity table (text and HTML), and which are numbers.
pub(crate) const CAPACITY_COLUMNS: [&str; 8] = [
    "service",
    "capacity",
    "demand",
    "allocated",
    "unmet",
    "gain given",
    "first come",
    "at most",
];
pub(crate) const CAPACITY_COLUMNS_RIGHT: [bool; 8] =
    [false, true, true, true, true, true, true, true];

/// How one capacity-limited service was given out.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityRow {
    /// Service id.
    pub service: String,
    /// How many can be given out.
    pub capacity: u64,
    /// Customers it adds gain to.
    pub demand: u64,
    /// Customers who got it: those it adds most gain to.
    pub allocated: u64,
    /// Customers who wanted it and did not get it.
    pub unmet: u64,
    /// What the offers given out add to the expected gain (before
    /// stacking): the sum of the marginal values of those who got it.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub allocated_gain: f64,
    /// The same had the first customers in the file been served instead.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub first_come_gain: f64,
    /// No allocation of the service adds more gain than this (an upper
    /// bound, see `run::capacity`).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_bound: f64,
}

fn no_offer_rows(engine: &Engine, tally: &Tally) -> Vec<NoOfferRow> {
    let mut rows = Vec::new();
    for (i, &customers) in tally.no_offer.iter().enumerate() {
        if customers == 0 {
            continue;
        }
        let segment = SegmentId::new(i);
        // Nearest: a threshold on a number first (something to loosen), then
        // the most customers, then the rule written first.
        let rank = |tally: &MissTally| (!tally.1.is_empty(), tally.0);
        let mut best: Option<(&MissKey, &MissTally)> = None;
        for item in tally.misses.iter().filter(|(key, _)| key.0 == segment) {
            if best.is_none_or(|b| rank(item.1) > rank(b.1)) {
                best = Some(item);
            }
        }
        rows.push(NoOfferRow {
            segment: engine.segment_name(segment).to_string(),
            customers,
            nearest_miss: best.map(|((_, rule, condition), (count, shortfalls))| NearMissRow {
                rule: engine.rule_name(*rule).to_string(),
                condition: condition.clone(),
                customers: *count,
                median_shortfall: (!shortfalls.is_empty()).then(|| quantile(shortfalls, 0.5)),
            }),
        });
    }
    rows
}

/// The smallest recorded value with at least `q` of the counts at or below it
/// (the nearest-rank quantile), back in points.
fn quantile(counts: &std::collections::BTreeMap<i64, u64>, q: f64) -> f64 {
    let total = counts.values().fold(0u64, |a, &b| a.saturating_add(b));
    if total == 0 {
        return 0.0;
    }
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (value, count) in counts {
        seen = count.saturating_add(seen);
        if seen >= rank {
            return *value as f64 / 100.0;
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tally::hundredths;

    #[test]
    fn nearest_rank_quantiles() {
        let mut counts = std::collections::BTreeMap::new();
        for gain in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0] {
            *counts.entry(hundredths(gain)).or_insert(0) += 1;
        }
        assert_eq!(quantile(&counts, 0.5), 5.0);
        assert_eq!(quantile(&counts, 0.9), 9.0);
        assert_eq!(quantile(&counts, 1.0), 10.0);
        assert_eq!(quantile(&std::collections::BTreeMap::new(), 0.5), 0.0);
        *counts.entry(hundredths(2.004)).or_insert(0) += 10;
        assert_eq!(quantile(&counts, 0.5), 2.0);
    }
}
