//! The dry-run's running counts: what a report is built from.
//!
//! In: each customer's outcome. Out: a [`Tally`] of counts, exact sums
//! ([`ExactSum`]), quantile tables in hundredths, funnels and near misses.
//! Every part merges by addition, and what depends on input order (the
//! first failed rows, the customers suggested to `explain`) keeps the rows
//! with the smallest line of the whole input; so tallies of any split of
//! the rows, merged in any order and grouping, are equal, and so are the
//! reports made from them, byte for byte.

use crate::analysis::funnel::FunnelTally;
use crate::base::exact_sum::ExactSum;
use crate::engine::Engine;
use crate::engine::eval::Evaluator;
use crate::lang::ir::{RuleId, SegmentId};
use crate::package::customer::Customer;
use crate::run::batch::{ChunkSink, RowError, RowOutcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many failed rows a report lists by line.
const ERROR_EXAMPLES: usize = 20;

/// A near miss of customers left with nothing: (deepest segment, rule, failing part).
pub(crate) type MissKey = (SegmentId, RuleId, String);
/// How many customers had it, and their shortfalls in hundredths of a unit.
pub(crate) type MissTally = (u64, BTreeMap<i64, u64>);

/// How many customers had each value (a total gain in hundredths of a
/// point), for exact quantiles. Counted in a hash map: every customer adds
/// its total to each of its segments, and a search of an ordered map cost
/// a fifth of a dry-run's counting (about 190 instructions an add, against
/// about 40 here). The hasher is seeded at random, so values chosen by a
/// hostile customer file cannot make the map slow. Sorted where it is read
/// ([`GainCounts::sorted`]) and written: a saved tally is the same map,
/// in the same order, as before.
#[derive(Debug, Clone, Default)]
pub(crate) struct GainCounts(std::collections::HashMap<i64, u64, foldhash::fast::RandomState>);

impl GainCounts {
    #[inline]
    pub(crate) fn add(&mut self, value: i64, count: u64) {
        let n = self.0.entry(value).or_insert(0);
        *n = n.saturating_add(count);
    }

    fn merge(&mut self, other: GainCounts) {
        for (value, count) in other.0 {
            self.add(value, count);
        }
    }

    /// The values with their counts, smallest value first.
    pub(crate) fn sorted(&self) -> BTreeMap<i64, u64> {
        self.0
            .iter()
            .map(|(&value, &count)| (value, count))
            .collect()
    }
}

impl Serialize for GainCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.sorted().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for GainCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let sorted = BTreeMap::<i64, u64>::deserialize(deserializer)?;
        Ok(GainCounts(sorted.into_iter().collect()))
    }
}

/// Running counts for a dry-run; one per chunk (or part of a distributed
/// run), merged in any order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    pub(crate) customers: u64,
    pub(crate) evaluated: u64,
    pub(crate) with_offers: u64,
    pub(crate) offers: u64,
    pub(crate) gain: ExactSum,
    pub(crate) cost: ExactSum,
    pub(crate) offers_per_customer: Vec<u64>,
    pub(crate) segment_members: Vec<u64>,
    pub(crate) segment_offers: Vec<u64>,
    pub(crate) segment_offer_gain: Vec<ExactSum>,
    pub(crate) segment_member_gain: Vec<ExactSum>,
    /// Per segment, how many members had each total gain (in hundredths of a
    /// point): exact quantiles to 0.01 point, mergeable, memory bounded by the
    /// number of distinct values rather than the number of customers.
    pub(crate) segment_gain_counts: Vec<GainCounts>,
    /// Customers with no offer, by the deepest segment they reached.
    pub(crate) no_offer: Vec<u64>,
    /// Their near misses: customers and shortfalls per (segment, rule, failing part).
    #[serde(with = "miss_list")]
    pub(crate) misses: BTreeMap<MissKey, MissTally>,
    pub(crate) service_offers: Vec<u64>,
    pub(crate) service_gain: Vec<ExactSum>,
    pub(crate) service_blocked: Vec<u64>,
    pub(crate) rule_fired: Vec<u64>,
    pub(crate) rule_won: Vec<u64>,
    pub(crate) funnel: FunnelTally,
    /// Per model dimension: customers with a perception, and sums.
    pub(crate) dimensions: Vec<DimensionTally>,
    /// The SERVQUAL gap per model dimension over everyone (empty when no
    /// dimension has expectation items), then per segment: segment `s`,
    /// dimension `d` at `s * dimensions + d`.
    #[serde(default)]
    pub(crate) gaps: Vec<GapTally>,
    #[serde(default)]
    pub(crate) segment_gaps: Vec<GapTally>,
    /// Offers cut by capacity: how many customers lost one, the gain lost,
    /// and the replacement offers they got instead (how many, their gain).
    pub(crate) capacity_losers: u64,
    pub(crate) capacity_gain_lost: ExactSum,
    pub(crate) capacity_replaced: u64,
    /// What the limited services given out add, over none of them.
    pub(crate) capacity_limited_gain: ExactSum,
    pub(crate) capacity_replacement_gain: ExactSum,
    pub(crate) data_errors: u64,
    pub(crate) eval_errors: u64,
    /// Evaluation errors per rule (or segment, profile) that raised them.
    pub(crate) eval_errors_by_source: BTreeMap<String, u64>,
    /// The failed rows on the earliest lines, sorted by line.
    pub(crate) examples: Vec<LineExample>,
    /// The customer with an id on the earliest line who lost an offer to
    /// capacity, who got no offer, and who got offers: whom the report
    /// suggests to `explain`.
    pub(crate) explain_examples: [Option<LineExample>; 3],
    /// The first failed row this tally counted, for stopping a run at it.
    #[serde(skip)]
    first_error: Option<RowError>,
    /// Offer cost per service, from the catalog.
    #[serde(skip)]
    costs: Vec<f64>,
    /// Added to the lines of the rows counted ([`Tally::for_part`]).
    #[serde(skip)]
    line_offset: u64,
    /// The whole input's name, for the failed rows' messages.
    #[serde(skip)]
    input_name: Option<String>,
}

/// Per model dimension: customers with a perception, the sum of their
/// perceptions, the sum of the points closed for them, and the sum of the
/// points closed for everyone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DimensionTally {
    pub rated: u64,
    pub perception: ExactSum,
    pub closed_rated: ExactSum,
    pub closed: ExactSum,
}

/// One dimension's SERVQUAL gap over a group of customers: those with both a
/// perception and an expectation on it, the sums of both, and the points the
/// offers close for them (the gap after the offers is `P + closed - E`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GapTally {
    pub rated: u64,
    pub perception: ExactSum,
    pub expectation: ExactSum,
    pub closed: ExactSum,
}

impl GapTally {
    fn add(&mut self, perception: f64, expectation: f64, closed: f64) {
        self.rated += 1;
        self.perception.add(perception);
        self.expectation.add(expectation);
        self.closed.add(closed);
    }

    fn merge(&mut self, other: &GapTally) {
        self.rated = self.rated.saturating_add(other.rated);
        self.perception.merge(&other.perception);
        self.expectation.merge(&other.expectation);
        self.closed.merge(&other.closed);
    }
}

/// Something said about the row on `line` of the whole input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineExample {
    pub line: u64,
    pub text: String,
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
            gain: ExactSum::default(),
            cost: ExactSum::default(),
            offers_per_customer: vec![0; engine.catalog().max_offers + 1],
            segment_members: vec![0; segments],
            segment_offers: vec![0; segments],
            segment_offer_gain: vec![ExactSum::default(); segments],
            segment_member_gain: vec![ExactSum::default(); segments],
            segment_gain_counts: vec![GainCounts::default(); segments],
            no_offer: vec![0; segments],
            misses: BTreeMap::new(),
            service_offers: vec![0; services],
            service_gain: vec![ExactSum::default(); services],
            service_blocked: vec![0; services],
            rule_fired: vec![0; rules],
            rule_won: vec![0; rules],
            funnel: FunnelTally::new(engine),
            dimensions: vec![
                DimensionTally::default();
                engine.model().map_or(0, |m| m.dimensions.len())
            ],
            gaps: vec![GapTally::default(); gap_dimensions(engine)],
            segment_gaps: vec![GapTally::default(); gap_dimensions(engine) * segments],
            capacity_losers: 0,
            capacity_gain_lost: ExactSum::default(),
            capacity_replaced: 0,
            capacity_limited_gain: ExactSum::default(),
            capacity_replacement_gain: ExactSum::default(),
            data_errors: 0,
            eval_errors: 0,
            eval_errors_by_source: BTreeMap::new(),
            examples: Vec::new(),
            explain_examples: [None, None, None],
            first_error: None,
            costs: engine.catalog().services.iter().map(|s| s.cost).collect(),
            line_offset: 0,
            input_name: None,
        }
    }

    /// An empty tally for a part of a larger input whose line `n` is line
    /// `n + line_offset` of the whole input (for parts cut at row
    /// boundaries, each with its own header: the rows before it). Failed
    /// rows are reported by their line in the whole input, and as rows of
    /// `whole_input` when given, as one run over it would report them.
    pub fn for_part(engine: &Engine, line_offset: u64, whole_input: Option<&str>) -> Tally {
        Tally {
            line_offset,
            input_name: whole_input.map(str::to_string),
            ..Tally::new(engine)
        }
    }

    /// Counts one customer of a batch run.
    pub fn add(&mut self, outcome: &RowOutcome<'_>) {
        match &outcome.result {
            Ok(_) => self.add_evaluated(outcome.evaluator, outcome.customer, outcome.line),
            Err(error) => self.add_failed(error, outcome.line),
        }
    }

    /// Counts a row on `line` (of this part) that could not be read or
    /// evaluated.
    pub fn add_failed(&mut self, error: &RowError, line: u64) {
        self.customers += 1;
        let line = line.saturating_add(self.line_offset);
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
        if self.first_error.is_none() {
            self.first_error = Some(error.clone());
        }
        if self.examples.len() < ERROR_EXAMPLES
            || self.examples.last().is_some_and(|e| e.line >= line)
        {
            let text = self.error_text(error);
            keep_earliest(&mut self.examples, LineExample { line, text });
        }
    }

    /// Counts the customer on `line` (of this part) that `evaluator` has
    /// just evaluated without error: for callers that evaluate customers
    /// themselves (columnar batches, language bindings) rather than through
    /// `batch::run`. With an allocation, call `evaluator.set_row(line)`
    /// before evaluating, as `batch::run` does.
    pub fn add_evaluated(&mut self, evaluator: &Evaluator<'_>, customer: &Customer, line: u64) {
        self.customers += 1;
        let line = line.saturating_add(self.line_offset);
        let offers = evaluator.offers();
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
            self.gain.add(offer.gain);
            self.cost
                .add(self.costs.get(service).copied().unwrap_or(0.0));
            bump(&mut self.service_offers, service);
            add(&mut self.service_gain, service, offer.gain);
            bump(&mut self.segment_offers, segment);
            add(&mut self.segment_offer_gain, segment, offer.gain);
            bump(&mut self.rule_won, rule);
        }
        let total_hundredths = hundredths(total);
        for &segment in evaluator.memberships() {
            bump(&mut self.segment_members, segment.index());
            add(&mut self.segment_member_gain, segment.index(), total);
            if let Some(counts) = self.segment_gain_counts.get_mut(segment.index()) {
                counts.add(total_hundredths, 1);
            }
        }
        if offers.is_empty() {
            self.count_no_offer(evaluator, customer);
        }
        for &rule in evaluator.fired_rules() {
            bump(&mut self.rule_fired, rule.index());
        }
        for &(service, _) in evaluator.blocked() {
            bump(&mut self.service_blocked, service.index());
        }
        self.funnel.add(evaluator);
        let lost_to_capacity = self.count_capacity_losses(evaluator);
        let kind = if lost_to_capacity {
            0
        } else if offers.is_empty() {
            1
        } else {
            2
        };
        // Equal lines (only with overlapping offsets) go by id, so any
        // order of counting keeps the same one.
        if let Some(example) = self.explain_examples.get_mut(kind)
            && example.as_ref().is_none_or(|e| e.line >= line)
            && let Some(id) = evaluator.engine().customer_id(customer)
        {
            let candidate = LineExample { line, text: id };
            if example.as_ref().is_none_or(|e| candidate < *e) {
                *example = Some(candidate);
            }
        }
        if let Some(points) = evaluator.dimension_points(customer) {
            let dimensions = self.dimensions.len();
            let with_gaps = !self.gaps.is_empty();
            for (d, (tally, point)) in self.dimensions.iter_mut().zip(points).enumerate() {
                if let Some(p) = point.perception {
                    tally.rated += 1;
                    tally.perception.add(p);
                    tally.closed_rated.add(point.closed);
                    if let (true, Some(e)) = (with_gaps, point.expectation) {
                        if let Some(gap) = self.gaps.get_mut(d) {
                            gap.add(p, e, point.closed);
                        }
                        for &segment in evaluator.memberships() {
                            if let Some(gap) =
                                self.segment_gaps.get_mut(segment.index() * dimensions + d)
                            {
                                gap.add(p, e, point.closed);
                            }
                        }
                    }
                }
                tally.closed.add(point.closed);
            }
        }
    }

    /// A failed row's message, with its line (and file) in the whole input.
    fn error_text(&self, error: &RowError) -> String {
        if self.line_offset == 0 && self.input_name.is_none() {
            return error.to_string();
        }
        let mut error = error.clone();
        match &mut error {
            RowError::Data(e) => {
                if e.line > 0 {
                    e.line = e.line.saturating_add(self.line_offset);
                }
                if let Some(name) = &self.input_name {
                    e.file.clone_from(name);
                }
            }
            RowError::Eval { line, .. } => *line = line.saturating_add(self.line_offset),
        }
        error.to_string()
    }

    /// Adds another chunk's (or part's) tally, whatever rows it counted.
    pub fn merge(&mut self, other: Tally) {
        self.customers = self.customers.saturating_add(other.customers);
        self.evaluated = self.evaluated.saturating_add(other.evaluated);
        self.with_offers = self.with_offers.saturating_add(other.with_offers);
        self.offers = self.offers.saturating_add(other.offers);
        self.gain.merge(&other.gain);
        self.cost.merge(&other.cost);
        self.data_errors = self.data_errors.saturating_add(other.data_errors);
        self.eval_errors = self.eval_errors.saturating_add(other.eval_errors);
        for (source, n) in other.eval_errors_by_source {
            let count = self.eval_errors_by_source.entry(source).or_insert(0);
            *count = count.saturating_add(n);
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
            mine.merge(theirs);
        }
        merge_counts(&mut self.service_offers, &other.service_offers);
        merge_sums(&mut self.service_gain, &other.service_gain);
        merge_counts(&mut self.service_blocked, &other.service_blocked);
        merge_counts(&mut self.rule_fired, &other.rule_fired);
        merge_counts(&mut self.rule_won, &other.rule_won);
        self.funnel.merge(&other.funnel);
        self.capacity_losers = self.capacity_losers.saturating_add(other.capacity_losers);
        self.capacity_gain_lost.merge(&other.capacity_gain_lost);
        self.capacity_replaced = self
            .capacity_replaced
            .saturating_add(other.capacity_replaced);
        self.capacity_replacement_gain
            .merge(&other.capacity_replacement_gain);
        self.capacity_limited_gain
            .merge(&other.capacity_limited_gain);
        for (mine, theirs) in self.dimensions.iter_mut().zip(&other.dimensions) {
            mine.rated = mine.rated.saturating_add(theirs.rated);
            mine.perception.merge(&theirs.perception);
            mine.closed_rated.merge(&theirs.closed_rated);
            mine.closed.merge(&theirs.closed);
        }
        for (mine, theirs) in self.gaps.iter_mut().zip(&other.gaps) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.segment_gaps.iter_mut().zip(&other.segment_gaps) {
            mine.merge(theirs);
        }
        merge_counts(&mut self.no_offer, &other.no_offer);
        for (key, (count, shortfalls)) in other.misses {
            let entry = self.misses.entry(key).or_default();
            entry.0 = entry.0.saturating_add(count);
            for (value, n) in shortfalls {
                let seen = entry.1.entry(value).or_insert(0);
                *seen = seen.saturating_add(n);
            }
        }
        for (mine, theirs) in self.explain_examples.iter_mut().zip(other.explain_examples) {
            if let Some(theirs) = theirs
                && mine.as_ref().is_none_or(|m| theirs < *m)
            {
                *mine = Some(theirs);
            }
        }
        for example in other.examples {
            keep_earliest(&mut self.examples, example);
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// A customer left with nothing: counted under the deepest segment it
    /// reached, with the rules it nearly got (traced only for these customers).
    fn count_no_offer(&mut self, evaluator: &Evaluator<'_>, customer: &Customer) {
        let engine = evaluator.engine();
        let members = evaluator.memberships();
        let deepest = members
            .iter()
            .copied()
            .fold(None, |best: Option<SegmentId>, s| match best {
                Some(b) if engine.segment_depth(b) >= engine.segment_depth(s) => Some(b),
                _ => Some(s),
            });
        let Some(deepest) = deepest else { return };
        bump(&mut self.no_offer, deepest.index());
        for miss in crate::analysis::trace::near_misses(engine, customer, members) {
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

    /// A customer whose offers capacity cut: the gain lost, and the offers
    /// that took their places (with their gains as offered).
    fn count_capacity_losses(&mut self, evaluator: &Evaluator<'_>) -> bool {
        use crate::engine::arbitrate::Verdict;
        use crate::engine::eval::Fate;
        if evaluator.limited_gain() != 0.0 {
            self.capacity_limited_gain.add(evaluator.limited_gain());
        }
        let lost: Vec<f64> = evaluator
            .dropped()
            .iter()
            .filter(|d| d.fate == Fate::Cut(Verdict::Capacity))
            .map(|d| d.gain)
            .collect();
        if lost.is_empty() {
            return false;
        }
        self.capacity_losers += 1;
        self.capacity_gain_lost.add(lost.iter().sum::<f64>());
        let replaced = evaluator.replaced();
        self.capacity_replaced = self.capacity_replaced.saturating_add(replaced.len() as u64);
        for offer in evaluator.offers() {
            if replaced.contains(&offer.service) {
                self.capacity_replacement_gain.add(offer.gain);
            }
        }
        true
    }

    /// Rows that failed (data or evaluation errors).
    pub fn errors(&self) -> u64 {
        self.data_errors.saturating_add(self.eval_errors)
    }

    /// The first failed row this tally counted (in the order it counted
    /// them), if any; a tally read from a partial report has none.
    pub fn first_error(&self) -> Option<&RowError> {
        self.first_error.as_ref()
    }

    /// Rows seen.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// The sizes of the tables, which must match to merge; and for a tally
    /// read from a file, the package's.
    pub(crate) fn shape(&self) -> Vec<usize> {
        let mut shape = vec![
            self.offers_per_customer.len(),
            self.segment_members.len(),
            self.segment_offers.len(),
            self.segment_offer_gain.len(),
            self.segment_member_gain.len(),
            self.segment_gain_counts.len(),
            self.no_offer.len(),
            self.service_offers.len(),
            self.service_gain.len(),
            self.service_blocked.len(),
            self.rule_fired.len(),
            self.rule_won.len(),
            self.dimensions.len(),
            self.gaps.len(),
            self.segment_gaps.len(),
        ];
        shape.extend(self.funnel.shape());
        shape
    }

    /// Ids in the near misses that the package does not have.
    pub(crate) fn ids_fit(&self, segments: usize, rules: usize) -> bool {
        self.misses
            .keys()
            .all(|(s, r, _)| s.index() < segments && r.index() < rules)
    }
}

impl ChunkSink for Tally {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        self.add(&outcome);
    }
}

/// How many gap tallies a customer needs: one per model dimension when any
/// dimension has expectation items, else none (no gap to report, nothing kept).
fn gap_dimensions(engine: &Engine) -> usize {
    match engine.compiled_model() {
        Some(m) if m.has_expectations() => m.dimensions.len(),
        _ => 0,
    }
}

/// Keeps `example` if it is among the [`ERROR_EXAMPLES`] earliest, sorted.
fn keep_earliest(examples: &mut Vec<LineExample>, example: LineExample) {
    let at = examples.partition_point(|e| *e <= example);
    if at < ERROR_EXAMPLES {
        examples.insert(at, example);
        examples.truncate(ERROR_EXAMPLES);
    }
}

fn bump(counts: &mut [u64], i: usize) {
    if let Some(c) = counts.get_mut(i) {
        *c += 1;
    }
}

fn add(sums: &mut [ExactSum], i: usize, v: f64) {
    if let Some(s) = sums.get_mut(i) {
        s.add(v);
    }
}

/// Saturating: counts read from a hand-edited partial must not overflow.
fn merge_counts(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a = a.saturating_add(*b);
    }
}

fn merge_sums(into: &mut [ExactSum], from: &[ExactSum]) {
    for (a, b) in into.iter_mut().zip(from) {
        a.merge(b);
    }
}

/// A gain in hundredths of a point, the resolution of the report's quantiles.
pub(crate) fn hundredths(gain: f64) -> i64 {
    (gain * 100.0).round() as i64
}

/// The near misses as a list (JSON maps only have text keys).
mod miss_list {
    use super::{MissKey, MissTally};
    use crate::lang::ir::{RuleId, SegmentId};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        segment: SegmentId,
        rule: RuleId,
        condition: String,
        customers: u64,
        shortfalls: BTreeMap<i64, u64>,
    }

    pub(super) fn serialize<S: Serializer>(
        misses: &BTreeMap<MissKey, MissTally>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let entries: Vec<Entry> = misses
            .iter()
            .map(
                |((segment, rule, condition), (customers, shortfalls))| Entry {
                    segment: *segment,
                    rule: *rule,
                    condition: condition.clone(),
                    customers: *customers,
                    shortfalls: shortfalls.clone(),
                },
            )
            .collect();
        entries.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<MissKey, MissTally>, D::Error> {
        let mut misses: BTreeMap<MissKey, MissTally> = BTreeMap::new();
        for e in Vec::<Entry>::deserialize(deserializer)? {
            let entry = misses.entry((e.segment, e.rule, e.condition)).or_default();
            entry.0 = entry.0.saturating_add(e.customers);
            for (value, n) in e.shortfalls {
                let seen = entry.1.entry(value).or_insert(0);
                *seen = seen.saturating_add(n);
            }
        }
        Ok(misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_counts_merge_and_are_written_in_order() {
        let (mut a, mut b) = (GainCounts::default(), GainCounts::default());
        for value in [900, -250, 0, 900, 12_345, 0, 0] {
            a.add(value, 1);
        }
        b.add(0, 2);
        b.add(7, u64::MAX);
        b.add(7, 1);
        a.merge(b);
        let expected: BTreeMap<i64, u64> =
            [(-250, 1), (0, 5), (7, u64::MAX), (900, 2), (12_345, 1)].into();
        assert_eq!(a.sorted(), expected, "counts add, saturating");
        // Written as the ordered map it replaces, whatever the hash order.
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, serde_json::to_string(&expected).unwrap());
        assert_eq!(
            text,
            r#"{"-250":1,"0":5,"7":18446744073709551615,"900":2,"12345":1}"#
        );
        let back: GainCounts = serde_json::from_str(&text).unwrap();
        assert_eq!(back.sorted(), expected);
    }
}
