//! Dry-run reports: what a package does over many customers.
//!
//! In: outcomes of a batch run. Out: a [`DryRunReport`] with a documented,
//! stable JSON shape (`schema_version`), and its table and CSV renderings.
//! Tallies are counts and sums per chunk, merged in input order, so reports
//! are byte-identical whatever the number of threads.

use crate::base::number::round4;
use crate::engine::Engine;
use crate::lang::ir::{RuleId, SegmentId};
use crate::run::batch::{ChunkSink, RowError, RowOutcome};
use serde::Serialize;

/// Version of the JSON report shape; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// How many failed rows a report lists by line.
const ERROR_EXAMPLES: usize = 20;

/// A near miss of customers left with nothing: (deepest segment, rule, failing part).
type MissKey = (SegmentId, RuleId, String);
/// How many customers had it, and their shortfalls in hundredths of a unit.
type MissTally = (u64, std::collections::BTreeMap<i64, u64>);

/// Running counts for a dry-run; one per chunk, merged in order.
#[derive(Debug, Clone)]
pub struct Tally {
    customers: u64,
    evaluated: u64,
    with_offers: u64,
    offers: u64,
    gain: f64,
    cost: f64,
    offers_per_customer: Vec<u64>,
    segment_members: Vec<u64>,
    segment_offers: Vec<u64>,
    segment_offer_gain: Vec<f64>,
    segment_member_gain: Vec<f64>,
    /// Per segment, how many members had each total gain (in hundredths of a
    /// point): exact quantiles to 0.01 point, mergeable, memory bounded by the
    /// number of distinct values rather than the number of customers.
    segment_gain_counts: Vec<std::collections::BTreeMap<i64, u64>>,
    /// Customers with no offer, by the deepest segment they reached.
    no_offer: Vec<u64>,
    /// Their near misses: customers and shortfalls per (segment, rule, failing part).
    misses: std::collections::BTreeMap<MissKey, MissTally>,
    service_offers: Vec<u64>,
    service_gain: Vec<f64>,
    service_blocked: Vec<u64>,
    rule_fired: Vec<u64>,
    rule_won: Vec<u64>,
    funnel: crate::analysis::funnel::FunnelTally,
    /// Per model dimension: customers with a perception, the sum of their
    /// perceptions, the sum of the points closed for them, and the sum of
    /// the points closed for everyone.
    dimensions: Vec<(u64, f64, f64, f64)>,
    /// Offers cut by capacity: how many customers lost one, the gain lost,
    /// and the best gain their next candidates could have added.
    capacity_losers: u64,
    capacity_gain_lost: f64,
    capacity_replacement_bound: f64,
    data_errors: u64,
    eval_errors: u64,
    /// Evaluation errors per rule (or segment, profile) that raised them.
    eval_errors_by_source: std::collections::BTreeMap<String, u64>,
    examples: Vec<RowError>,
    costs: Vec<f64>,
    /// The first customer (in input order) with an id who lost an offer to
    /// capacity, who got no offer, and who got offers: whom the report
    /// suggests to `explain`.
    explain_examples: [Option<String>; 3],
}

impl Tally {
    /// An empty tally shaped for an engine.
    pub fn new(engine: &Engine) -> Tally {
        let (segments, rules, _) = engine.counts();
        let services = engine.catalog().services.len();
        Tally {
            customers: 0,
            evaluated: 0,
            with_offers: 0,
            offers: 0,
            gain: 0.0,
            cost: 0.0,
            offers_per_customer: vec![0; engine.catalog().max_offers + 1],
            segment_members: vec![0; segments],
            segment_offers: vec![0; segments],
            segment_offer_gain: vec![0.0; segments],
            segment_member_gain: vec![0.0; segments],
            segment_gain_counts: vec![std::collections::BTreeMap::new(); segments],
            no_offer: vec![0; segments],
            misses: std::collections::BTreeMap::new(),
            service_offers: vec![0; services],
            service_gain: vec![0.0; services],
            service_blocked: vec![0; services],
            rule_fired: vec![0; rules],
            rule_won: vec![0; rules],
            funnel: crate::analysis::funnel::FunnelTally::new(engine),
            dimensions: vec![(0, 0.0, 0.0, 0.0); engine.model().map_or(0, |m| m.dimensions.len())],
            capacity_losers: 0,
            capacity_gain_lost: 0.0,
            capacity_replacement_bound: 0.0,
            data_errors: 0,
            eval_errors: 0,
            eval_errors_by_source: std::collections::BTreeMap::new(),
            examples: Vec::new(),
            costs: engine.catalog().services.iter().map(|s| s.cost).collect(),
            explain_examples: [None, None, None],
        }
    }

    /// Counts one customer.
    pub fn add(&mut self, outcome: &RowOutcome<'_>) {
        self.customers += 1;
        let offers = match &outcome.result {
            Ok(offers) => *offers,
            Err(error) => {
                match error {
                    RowError::Data(_) => self.data_errors += 1,
                    RowError::Eval { error, .. } => {
                        self.eval_errors += 1;
                        *self
                            .eval_errors_by_source
                            .entry(error.raised_by())
                            .or_insert(0) += 1;
                    }
                }
                if self.examples.len() < ERROR_EXAMPLES {
                    self.examples.push(error.clone());
                }
                return;
            }
        };
        self.evaluated += 1;
        let total: f64 = offers.iter().map(|o| o.gain).sum();
        if !offers.is_empty() {
            self.with_offers += 1;
        }
        if let Some(n) = self.offers_per_customer.get_mut(offers.len()) {
            *n += 1;
        }
        for offer in offers {
            let (service, segment, rule) = (
                offer.service.index(),
                offer.segment.index(),
                offer.rule.index(),
            );
            self.offers += 1;
            self.gain += offer.gain;
            self.cost += self.costs.get(service).copied().unwrap_or(0.0);
            bump(&mut self.service_offers, service);
            add(&mut self.service_gain, service, offer.gain);
            bump(&mut self.segment_offers, segment);
            add(&mut self.segment_offer_gain, segment, offer.gain);
            bump(&mut self.rule_won, rule);
        }
        for &segment in outcome.evaluator.memberships() {
            bump(&mut self.segment_members, segment.index());
            add(&mut self.segment_member_gain, segment.index(), total);
            if let Some(counts) = self.segment_gain_counts.get_mut(segment.index()) {
                *counts.entry(hundredths(total)).or_insert(0) += 1;
            }
        }
        if offers.is_empty() {
            self.count_no_offer(outcome);
        }
        for &rule in outcome.evaluator.fired_rules() {
            bump(&mut self.rule_fired, rule.index());
        }
        for &(service, _) in outcome.evaluator.blocked() {
            bump(&mut self.service_blocked, service.index());
        }
        self.funnel.add(outcome.evaluator);
        let lost_to_capacity = self.count_capacity_losses(outcome.evaluator.dropped());
        let kind = if lost_to_capacity {
            0
        } else if offers.is_empty() {
            1
        } else {
            2
        };
        if let Some(example @ None) = self.explain_examples.get_mut(kind) {
            *example = outcome.evaluator.engine().customer_id(outcome.customer);
        }
        if let Some(points) = outcome.evaluator.dimension_points(outcome.customer) {
            for (tally, (perception, closed)) in self.dimensions.iter_mut().zip(points) {
                if let Some(p) = perception {
                    tally.0 += 1;
                    tally.1 += p;
                    tally.2 += closed;
                }
                tally.3 += closed;
            }
        }
    }

    /// Adds a later chunk's tally to this one.
    pub fn merge(&mut self, other: Tally) {
        self.customers += other.customers;
        self.evaluated += other.evaluated;
        self.with_offers += other.with_offers;
        self.offers += other.offers;
        self.gain += other.gain;
        self.cost += other.cost;
        self.data_errors += other.data_errors;
        self.eval_errors += other.eval_errors;
        for (source, n) in other.eval_errors_by_source {
            *self.eval_errors_by_source.entry(source).or_insert(0) += n;
        }
        merge_counts(&mut self.offers_per_customer, &other.offers_per_customer);
        merge_counts(&mut self.segment_members, &other.segment_members);
        merge_counts(&mut self.segment_offers, &other.segment_offers);
        merge_sums(&mut self.segment_offer_gain, &other.segment_offer_gain);
        merge_sums(&mut self.segment_member_gain, &other.segment_member_gain);
        for (mine, theirs) in self
            .segment_gain_counts
            .iter_mut()
            .zip(other.segment_gain_counts)
        {
            for (value, count) in theirs {
                *mine.entry(value).or_insert(0) += count;
            }
        }
        merge_counts(&mut self.service_offers, &other.service_offers);
        merge_sums(&mut self.service_gain, &other.service_gain);
        merge_counts(&mut self.service_blocked, &other.service_blocked);
        merge_counts(&mut self.rule_fired, &other.rule_fired);
        merge_counts(&mut self.rule_won, &other.rule_won);
        self.funnel.merge(&other.funnel);
        self.capacity_losers += other.capacity_losers;
        self.capacity_gain_lost += other.capacity_gain_lost;
        self.capacity_replacement_bound += other.capacity_replacement_bound;
        for (mine, theirs) in self.dimensions.iter_mut().zip(&other.dimensions) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
            mine.2 += theirs.2;
            mine.3 += theirs.3;
        }
        merge_counts(&mut self.no_offer, &other.no_offer);
        for (key, (count, shortfalls)) in other.misses {
            let entry = self.misses.entry(key).or_default();
            entry.0 += count;
            for (value, n) in shortfalls {
                *entry.1.entry(value).or_insert(0) += n;
            }
        }
        // This chunk comes first in the input: its examples stay.
        for (mine, theirs) in self.explain_examples.iter_mut().zip(other.explain_examples) {
            if mine.is_none() {
                *mine = theirs;
            }
        }
        let room = ERROR_EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }

    /// A customer left with nothing: counted under the deepest segment it
    /// reached, with the rules it nearly got (traced only for these customers).
    fn count_no_offer(&mut self, outcome: &RowOutcome<'_>) {
        let engine = outcome.evaluator.engine();
        let members = outcome.evaluator.memberships();
        let deepest = members
            .iter()
            .copied()
            .fold(None, |best: Option<SegmentId>, s| match best {
                Some(b) if engine.segment_depth(b) >= engine.segment_depth(s) => Some(b),
                _ => Some(s),
            });
        let Some(deepest) = deepest else { return };
        bump(&mut self.no_offer, deepest.index());
        for miss in crate::analysis::trace::near_misses(engine, outcome.customer, members) {
            let entry = self
                .misses
                .entry((deepest, miss.rule, miss.condition))
                .or_default();
            entry.0 += 1;
            if let Some(shortfall) = miss.shortfall {
                *entry.1.entry(hundredths(shortfall)).or_insert(0) += 1;
            }
        }
    }

    /// A customer whose offers capacity cut: the gain lost, and at most what
    /// the best candidates cut by `max_offers` could have given instead (an
    /// upper bound on replacing them: it ignores budget, groups and stacking).
    fn count_capacity_losses(&mut self, dropped: &[crate::engine::eval::Dropped]) -> bool {
        use crate::engine::arbitrate::Verdict;
        use crate::engine::eval::Fate;
        let lost: Vec<f64> = dropped
            .iter()
            .filter(|d| d.fate == Fate::Cut(Verdict::Capacity))
            .map(|d| d.gain)
            .collect();
        if lost.is_empty() {
            return false;
        }
        self.capacity_losers += 1;
        self.capacity_gain_lost += lost.iter().sum::<f64>();
        let mut next: Vec<f64> = dropped
            .iter()
            .filter(|d| d.fate == Fate::Cut(Verdict::MaxOffers))
            .map(|d| d.gain)
            .collect();
        next.sort_by(|a, b| b.total_cmp(a));
        self.capacity_replacement_bound += next.iter().take(lost.len()).sum::<f64>();
        true
    }

    /// Rows that failed (data or evaluation errors).
    pub fn errors(&self) -> u64 {
        self.data_errors + self.eval_errors
    }

    /// The first failed row, if any.
    pub fn first_error(&self) -> Option<&RowError> {
        self.examples.first()
    }

    /// Rows seen.
    pub fn customers(&self) -> u64 {
        self.customers
    }
}

impl ChunkSink for Tally {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        self.add(&outcome);
    }
}

fn bump(counts: &mut [u64], i: usize) {
    if let Some(c) = counts.get_mut(i) {
        *c += 1;
    }
}

fn add(sums: &mut [f64], i: usize, v: f64) {
    if let Some(s) = sums.get_mut(i) {
        *s += v;
    }
}

fn merge_counts(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

fn merge_sums(into: &mut [f64], from: &[f64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

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
    /// The first rows that failed, in input order.
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
        let ratio = |a: f64, b: f64| if b > 0.0 { round4(a / b) } else { 0.0 };
        let segments = engine
            .segment_ids()
            .map(|id| {
                let i = id.index();
                let members = tally.segment_members.get(i).copied().unwrap_or(0);
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
                        tally.segment_member_gain.get(i).copied().unwrap_or(0.0),
                        members as f64,
                    ),
                    median_gain: tally
                        .segment_gain_counts
                        .get(i)
                        .map_or(0.0, |c| quantile(c, 0.5)),
                    p90_gain: tally
                        .segment_gain_counts
                        .get(i)
                        .map_or(0.0, |c| quantile(c, 0.9)),
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
                    expected_gain: round4(tally.service_gain.get(i).copied().unwrap_or(0.0)),
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
                        uplift: round4(tally.gain * factor),
                        mean_per_customer: ratio(tally.gain * factor, tally.evaluated as f64),
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
                    .map(|(d, &(rated, before, closed_rated, closed))| {
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
                expected_gain: round4(tally.gain),
                mean_gain_per_customer: ratio(tally.gain, tally.evaluated as f64),
                cost: round4(tally.cost),
                gain_per_cost: ratio(tally.gain, tally.cost),
            },
            offers_per_customer: tally.offers_per_customer.clone(),
            segments,
            services,
            rules,
            rules_never_fired,
            loyalty,
            dimensions,
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
            errors: tally.examples.iter().map(ToString::to_string).collect(),
            explain_example: ["capacity_loss", "no_offer", "offers"]
                .into_iter()
                .zip(&tally.explain_examples)
                .find_map(|(why, id)| {
                    id.as_ref().map(|id| ExplainExample {
                        customer_id: id.clone(),
                        why,
                    })
                }),
        }
    }
}

impl DryRunReport {
    /// Adds how the capacity-limited services were given out.
    pub fn with_capacity(
        mut self,
        engine: &Engine,
        tally: &Tally,
        allocation: Option<&crate::engine::allocation::Allocation>,
    ) -> DryRunReport {
        self.capacity = allocation
            .map(|a| a.usage())
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
            })
            .collect();
        self.capacity_losses = allocation.map(|_| CapacityLosses {
            customers: tally.capacity_losers,
            gain_lost: round4(tally.capacity_gain_lost),
            replacement_bound: round4(tally.capacity_replacement_bound),
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
    /// At most what their next candidates (cut by `max_offers`) could add
    /// if the lost offers were replaced: an upper bound on what a
    /// replacement-aware optimum could recover over this allocation.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub replacement_bound: f64,
}

/// The columns of the capacity table (text and HTML), and which are numbers.
pub(crate) const CAPACITY_COLUMNS: [&str; 7] = [
    "service",
    "capacity",
    "demand",
    "allocated",
    "unmet",
    "gain given",
    "first come, first served",
];
pub(crate) const CAPACITY_COLUMNS_RIGHT: [bool; 7] = [false, true, true, true, true, true, true];

/// How one capacity-limited service was given out.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityRow {
    /// Service id.
    pub service: String,
    /// How many can be given out.
    pub capacity: u64,
    /// Customers whose own arbitration kept the service.
    pub demand: u64,
    /// Customers who got it: those with the highest expected gain per cost.
    pub allocated: u64,
    /// Customers who wanted it and did not get it.
    pub unmet: u64,
    /// Expected gain of the offers given out, before stacking.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub allocated_gain: f64,
    /// The same had the first customers in the file been served instead.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub first_come_gain: f64,
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

/// A gain in hundredths of a point, the resolution of the report's quantiles.
fn hundredths(gain: f64) -> i64 {
    (gain * 100.0).round() as i64
}

/// The smallest recorded value with at least `q` of the counts at or below it
/// (the nearest-rank quantile), back in points.
fn quantile(counts: &std::collections::BTreeMap<i64, u64>, q: f64) -> f64 {
    let total: u64 = counts.values().sum();
    if total == 0 {
        return 0.0;
    }
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (value, count) in counts {
        seen += count;
        if seen >= rank {
            return *value as f64 / 100.0;
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

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
