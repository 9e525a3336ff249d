//! What a rule change does: two packages, the same customers, the differences.
//!
//! In: a base and a new engine and a customer file. Out: a [`DiffReport`] with
//! the changes to the package itself (by content, not by text position), how
//! many customers' offers change and how, and before/after totals by segment
//! and service. Customers are streamed once per package in lockstep, chunks
//! evaluated in parallel and merged in input order, so the report is the same
//! with any number of threads.

use crate::analysis::funnel::{Funnel, FunnelTally, SERVICE_STAGES};
use crate::base::number::round4;
use crate::engine::Engine;
use crate::engine::allocation::Allocation;
use crate::engine::offer::Offer;
use crate::package::customer::Customer;
use crate::package::input::{Chunk, CustomerReader, DataError};
use crate::run::batch::{CHUNK_ROWS, RowError, read_and_evaluate};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON diff report shape.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// How many changed customers the report lists.
const EXAMPLES: usize = 20;

/// The whole diff.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// Shape version.
    pub schema_version: u32,
    /// What changed in the package's declarations and catalog.
    pub package: PackageChanges,
    /// Customers compared.
    pub customers: u64,
    /// Customers whose offers changed in any way.
    pub customers_affected: u64,
    /// Customers that gained at least one offer / lost at least one / saw a re-rank / a gain change.
    pub customers_with_added_offers: u64,
    /// See above.
    pub customers_with_removed_offers: u64,
    /// See above.
    pub customers_with_reranked_offers: u64,
    /// See above.
    pub customers_with_gain_changes: u64,
    /// Rows that could not be read or evaluated with either package.
    pub rows_failed: u64,
    /// Totals before and after.
    pub totals: BeforeAfter,
    /// Per service (union of both catalogs, by id).
    pub services: Vec<NamedBeforeAfter>,
    /// Per segment of the rule that made each offer (union of both packages, by name).
    pub segments: Vec<NamedBeforeAfter>,
    /// The first customers whose offers changed, in input order.
    pub examples: Vec<CustomerChange>,
    /// The funnel before and after, for each service whose funnel changed.
    pub funnel: Vec<FunnelChange>,
    /// The bad rows, when [`diff`] was asked to keep them ([`BadRows::Collect`]);
    /// not part of the JSON report (a file of them can be large), written
    /// aside by the caller.
    #[serde(skip)]
    pub rejected_rows: Vec<RejectedRow>,
    /// Arbitration stages neither package uses.
    pub unused_stages: Vec<&'static str>,
}

/// One service's funnel before and after the change.
#[derive(Debug, Clone, Serialize)]
pub struct FunnelChange {
    /// Service id.
    pub service: String,
    /// Customers at each stage of the service funnel.
    pub stages: Vec<StageChange>,
    /// Customers offered the service as a replacement for a limited
    /// service capacity refused them, before and after.
    pub replaced: [u64; 2],
}

/// Customers at one stage, before and after.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StageChange {
    /// Stage name.
    pub stage: &'static str,
    /// With the base package.
    pub before: u64,
    /// With the new package.
    pub after: u64,
}

/// Services whose funnel differs, by id, in the new package's order first;
/// a service only one package has counts zero in the other.
fn funnel_changes(before: &Funnel, after: &Funnel) -> Vec<FunnelChange> {
    let mut ids: Vec<&str> = after.services.iter().map(|s| s.service.as_str()).collect();
    for s in &before.services {
        if !ids.contains(&s.service.as_str()) {
            ids.push(&s.service);
        }
    }
    let counts = |funnel: &Funnel, id: &str| -> Vec<u64> {
        funnel
            .services
            .iter()
            .find(|s| s.service == id)
            .map_or(vec![0; SERVICE_STAGES.len()], |s| {
                s.stages.iter().map(|c| c.customers).collect()
            })
    };
    let replaced = |funnel: &Funnel, id: &str| {
        funnel
            .services
            .iter()
            .find(|s| s.service == id)
            .map_or(0, |s| s.replaced)
    };
    ids.into_iter()
        .filter_map(|id| {
            let (b, a) = (counts(before, id), counts(after, id));
            let replaced = [replaced(before, id), replaced(after, id)];
            (b != a || replaced[0] != replaced[1]).then(|| FunnelChange {
                service: id.to_string(),
                replaced,
                stages: SERVICE_STAGES
                    .iter()
                    .zip(b.into_iter().zip(a))
                    .map(|(stage, (before, after))| StageChange {
                        stage,
                        before,
                        after,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Added, removed and modified declarations of one kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// In the new package only.
    pub added: Vec<String>,
    /// In the base package only.
    pub removed: Vec<String>,
    /// In both, with different content.
    pub modified: Vec<Modified>,
    /// For the rules among these that are rows read from a spreadsheet,
    /// their row there (`offers.csv:3`; in the new package, else the base).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub places: BTreeMap<String, String>,
}

/// A declaration whose content changed.
#[derive(Debug, Clone, Serialize)]
pub struct Modified {
    /// Its name.
    pub name: String,
    /// The base version's text.
    pub before: String,
    /// The new version's text.
    pub after: String,
}

/// Package changes by kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageChanges {
    /// Services in the catalog.
    pub services: Changes,
    /// Segments.
    pub segments: Changes,
    /// Profiles.
    pub profiles: Changes,
    /// Rules.
    pub rules: Changes,
    /// Catalog settings other than services (max_offers, schema, scale).
    pub settings: Vec<String>,
}

impl PackageChanges {
    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        let empty =
            |c: &Changes| c.added.is_empty() && c.removed.is_empty() && c.modified.is_empty();
        empty(&self.services)
            && empty(&self.segments)
            && empty(&self.profiles)
            && empty(&self.rules)
            && self.settings.is_empty()
    }
}

/// Offers, expected gain and cost, before and after.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BeforeAfter {
    /// Offers before.
    pub offers_before: u64,
    /// Offers after.
    pub offers_after: u64,
    /// Expected gain before.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_before: f64,
    /// Expected gain after.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_after: f64,
    /// Change in expected gain.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gain_delta: f64,
    /// Cost before.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cost_before: f64,
    /// Cost after.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cost_after: f64,
    /// Change in cost.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub cost_delta: f64,
}

/// [`BeforeAfter`] for one service or segment.
#[derive(Debug, Clone, Serialize)]
pub struct NamedBeforeAfter {
    /// Service id or segment name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: BeforeAfter,
}

/// One customer whose offers changed.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerChange {
    /// Customer id, or `line N` when the catalog names no id.
    pub customer: String,
    /// Offers before, as `service (gain)`, best first.
    pub before: Vec<String>,
    /// Offers after.
    pub after: Vec<String>,
}

/// Compares the declarations and catalogs of two packages.
pub fn package_changes(base: &Engine, new: &Engine) -> PackageChanges {
    let services = |e: &Engine| -> Vec<(String, String)> {
        e.catalog()
            .services
            .iter()
            .map(|s| (s.id.clone(), serde_json::to_string(s).unwrap_or_default()))
            .collect()
    };
    let mut settings = Vec::new();
    if base.catalog().max_offers != new.catalog().max_offers {
        settings.push(format!(
            "max_offers: {} -> {}",
            base.catalog().max_offers,
            new.catalog().max_offers
        ));
    }
    let schema = |e: &Engine| format!("{:?}", e.schema().fields);
    if schema(base) != schema(new) {
        settings.push("customer schema changed".to_string());
    }
    PackageChanges {
        services: compare(services(base), services(new)),
        segments: compare(
            declarations(base, Kind::Segment),
            declarations(new, Kind::Segment),
        ),
        profiles: compare(
            declarations(base, Kind::Profile),
            declarations(new, Kind::Profile),
        ),
        rules: with_sheet_rows(
            compare(
                declarations(base, Kind::Rule),
                declarations(new, Kind::Rule),
            ),
            base,
            new,
        ),
        settings,
    }
}

/// The rules changed that are spreadsheet rows, with their rows there.
fn with_sheet_rows(mut changes: Changes, base: &Engine, new: &Engine) -> Changes {
    let row = |engine: &Engine, name: &str| {
        let id = engine.rule_ids().find(|&id| engine.rule_name(id) == name)?;
        engine.rule_sheet_row(id)
    };
    let names = changes
        .added
        .iter()
        .chain(&changes.removed)
        .chain(changes.modified.iter().map(|m| &m.name));
    let places = names
        .filter_map(|name| {
            let place = row(new, name).or_else(|| row(base, name))?;
            Some((name.clone(), place))
        })
        .collect();
    changes.places = places;
    changes
}

#[derive(Clone, Copy)]
enum Kind {
    Segment,
    Profile,
    Rule,
}

fn declarations(engine: &Engine, kind: Kind) -> Vec<(String, String)> {
    let p = &engine.checked();
    let spans: Vec<(&str, crate::base::source::Span)> = match kind {
        Kind::Segment => p
            .segments
            .iter()
            .map(|s| (s.name.as_str(), s.span))
            .collect(),
        Kind::Profile => p
            .profiles
            .iter()
            .map(|s| (s.name.as_str(), s.span))
            .collect(),
        Kind::Rule => p.rules.iter().map(|s| (s.name.as_str(), s.span)).collect(),
    };
    spans
        .into_iter()
        .map(|(name, span)| (name.to_string(), canonical(engine.sources().slice(span))))
        .collect()
}

/// A declaration's text without comments and with white space folded, so that
/// moving or re-indenting a rule is not a change.
fn canonical(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if !in_string && c == '#' {
            while chars.peek().is_some_and(|&n| n != '\n') {
                chars.next();
            }
            continue;
        }
        if !in_string && c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c == '"' {
            in_string = !in_string;
        } else if c == '\\' && in_string {
            out.push(c);
            if let Some(next) = chars.next() {
                out.push(next);
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn compare(before: Vec<(String, String)>, after: Vec<(String, String)>) -> Changes {
    let old: BTreeMap<String, String> = before.into_iter().collect();
    let new: BTreeMap<String, String> = after.into_iter().collect();
    let mut changes = Changes::default();
    for (name, text) in &new {
        match old.get(name) {
            None => changes.added.push(name.clone()),
            Some(previous) if previous != text => changes.modified.push(Modified {
                name: name.clone(),
                before: previous.clone(),
                after: text.clone(),
            }),
            Some(_) => {}
        }
    }
    changes.removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    changes
}

/// Running figures of a diff; one per chunk, merged in input order.
#[derive(Debug, Clone)]
struct Tally {
    customers: u64,
    affected: u64,
    added: u64,
    removed: u64,
    reranked: u64,
    gain_changed: u64,
    failed: u64,
    totals: BeforeAfter,
    services: BTreeMap<String, BeforeAfter>,
    segments: BTreeMap<String, BeforeAfter>,
    examples: Vec<CustomerChange>,
    first_error: Option<RowError>,
    /// Every bad row, kept only when the caller asked for them.
    rejected: Option<Vec<RejectedRow>>,
    funnel_before: FunnelTally,
    funnel_after: FunnelTally,
}

impl Tally {
    fn new(base: &Engine, new: &Engine, keep_rejected: bool) -> Tally {
        Tally {
            customers: 0,
            affected: 0,
            added: 0,
            removed: 0,
            reranked: 0,
            gain_changed: 0,
            failed: 0,
            totals: BeforeAfter::default(),
            services: BTreeMap::new(),
            segments: BTreeMap::new(),
            examples: Vec::new(),
            first_error: None,
            rejected: keep_rejected.then(Vec::new),
            funnel_before: FunnelTally::new(base),
            funnel_after: FunnelTally::new(new),
        }
    }

    fn merge(&mut self, other: Tally) {
        self.funnel_before.merge(&other.funnel_before);
        self.funnel_after.merge(&other.funnel_after);
        self.customers += other.customers;
        self.affected += other.affected;
        self.added += other.added;
        self.removed += other.removed;
        self.reranked += other.reranked;
        self.gain_changed += other.gain_changed;
        self.failed += other.failed;
        add_figures(&mut self.totals, &other.totals);
        for (k, v) in other.services {
            add_figures(self.services.entry(k).or_default(), &v);
        }
        for (k, v) in other.segments {
            add_figures(self.segments.entry(k).or_default(), &v);
        }
        let room = EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        if let (Some(all), Some(more)) = (&mut self.rejected, other.rejected) {
            all.extend(more);
        }
    }
}

fn add_figures(into: &mut BeforeAfter, from: &BeforeAfter) {
    into.offers_before += from.offers_before;
    into.offers_after += from.offers_after;
    into.gain_before += from.gain_before;
    into.gain_after += from.gain_after;
    into.cost_before += from.cost_before;
    into.cost_after += from.cost_after;
}

fn count_offers(engine: &Engine, offers: &[Offer], tally: &mut Tally, after: bool) {
    for offer in offers {
        let Some(service) = engine.get_service(offer.service) else {
            continue;
        };
        let segment = engine.segment_name(offer.segment).to_string();
        for figures in [
            &mut tally.totals,
            tally.services.entry(service.id.clone()).or_default(),
            tally.segments.entry(segment.clone()).or_default(),
        ] {
            if after {
                figures.offers_after += 1;
                figures.gain_after += offer.gain;
                figures.cost_after += service.cost;
            } else {
                figures.offers_before += 1;
                figures.gain_before += offer.gain;
                figures.cost_before += service.cost;
            }
        }
    }
}

/// Why a diff run stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum DiffError {
    /// The customers could not be read.
    Read(DataError),
    /// A row failed and the caller asked to stop at the first bad row.
    BadRow(RowError),
    /// The worker threads could not start.
    Setup(rayon::ThreadPoolBuildError),
}

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiffError::Read(e) => e.fmt(f),
            DiffError::BadRow(e) => e.fmt(f),
            DiffError::Setup(e) => write!(f, "cannot start worker threads: {e}"),
        }
    }
}

impl std::error::Error for DiffError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DiffError::Read(e) => Some(e),
            DiffError::BadRow(e) => Some(e),
            DiffError::Setup(e) => Some(e),
        }
    }
}

/// Evaluates both packages over the same customers (one reader per package,
/// over the same file) and builds the report.
/// `allocations` give out the capacity-limited services of the base and the
/// new package (see [`crate::capacity`]); None offers them without the limit.
pub fn diff(
    base: &Engine,
    new: &Engine,
    mut base_reader: CustomerReader,
    mut new_reader: CustomerReader,
    threads: usize,
    bad_rows: BadRows,
    allocations: [Option<&Allocation>; 2],
) -> Result<DiffReport, DiffError> {
    let keep_rejected = bad_rows == BadRows::Collect;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(DiffError::Setup)?;
    let (base_columns, new_columns) = (base_reader.columns.clone(), new_reader.columns.clone());
    let name = new_reader.name().to_string();
    let mut total = Tally::new(base, new, keep_rejected);
    loop {
        let mut pairs: Vec<(Chunk, Chunk)> = Vec::new();
        for _ in 0..threads.max(1) * 4 {
            let (a, read_a) = base_reader.read_chunk(CHUNK_ROWS);
            read_a.map_err(DiffError::Read)?;
            let (b, read_b) = new_reader.read_chunk(CHUNK_ROWS);
            read_b.map_err(DiffError::Read)?;
            if a.len() == 0 || b.len() == 0 {
                break;
            }
            pairs.push((a, b));
        }
        if pairs.is_empty() {
            break;
        }
        let tallies: Vec<Tally> = pool.install(|| {
            pairs
                .par_iter()
                .map(|(a, b)| {
                    let mut tally = Tally::new(base, new, keep_rejected);
                    let (mut eval_a, mut eval_b) = (
                        base.evaluator_with(allocations[0]),
                        new.evaluator_with(allocations[1]),
                    );
                    let (mut ca, mut cb) = (
                        Customer::empty(base.schema()),
                        Customer::empty(new.schema()),
                    );
                    let (rows_a, rows_b) = (a.rows(&base_columns), b.rows(&new_columns));
                    for index in 0..rows_a.len().min(rows_b.len()) {
                        tally.customers += 1;
                        let line = rows_b.line(index);
                        let before = read_and_evaluate(
                            &mut eval_a,
                            &base_columns,
                            &name,
                            &rows_a,
                            index,
                            &mut ca,
                        );
                        let after = read_and_evaluate(
                            &mut eval_b,
                            &new_columns,
                            &name,
                            &rows_b,
                            index,
                            &mut cb,
                        );
                        let (before, after) = match (before, after) {
                            (Ok(()), Ok(())) => (eval_a.offers(), eval_b.offers()),
                            (Err(e), _) | (_, Err(e)) => {
                                tally.failed += 1;
                                if let Some(rejected) = &mut tally.rejected {
                                    rejected.push(RejectedRow {
                                        line,
                                        reason: e.to_string(),
                                        row: rows_b.text(index),
                                    });
                                }
                                tally.first_error.get_or_insert(e);
                                continue;
                            }
                        };
                        count_offers(base, before, &mut tally, false);
                        count_offers(new, after, &mut tally, true);
                        tally.funnel_before.add(&eval_a);
                        tally.funnel_after.add(&eval_b);
                        compare_customer(base, new, before, after, &cb, line, &mut tally);
                    }
                    tally
                })
                .collect()
        });
        for tally in tallies {
            if bad_rows == BadRows::Stop
                && let Some(error) = tally.first_error.clone()
            {
                return Err(DiffError::BadRow(error));
            }
            total.merge(tally);
        }
    }
    let rejected = total.rejected.take().unwrap_or_default();
    let mut report = report(base, new, total);
    report.rejected_rows = rejected;
    Ok(report)
}

/// What [`diff`] does with a customer row that either package cannot read
/// or evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadRows {
    /// Stop the run with [`DiffError::BadRow`].
    Stop,
    /// Count it (`customers_failed`) and go on.
    Count,
    /// Count it, go on, and keep it in [`DiffReport::rejected_rows`].
    Collect,
}

/// A customer row set aside by [`BadRows::Collect`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedRow {
    /// Its line in the customers file.
    pub line: u64,
    /// Why: the first error of the base package, else of the new one.
    pub reason: String,
    /// The row as it was in the file.
    pub row: String,
}

fn compare_customer(
    base: &Engine,
    new: &Engine,
    before: &[Offer],
    after: &[Offer],
    customer: &Customer,
    line: u64,
    tally: &mut Tally,
) {
    let ids = |engine: &Engine, offers: &[Offer]| -> Vec<(String, f64)> {
        offers
            .iter()
            .map(|o| {
                (
                    engine
                        .get_service(o.service)
                        .map_or(String::new(), |s| s.id.clone()),
                    o.gain,
                )
            })
            .collect()
    };
    let (old, now) = (ids(base, before), ids(new, after));
    let added = now.iter().any(|(s, _)| !old.iter().any(|(o, _)| o == s));
    let removed = old.iter().any(|(s, _)| !now.iter().any(|(n, _)| n == s));
    let mut reranked = false;
    let mut gain_changed = false;
    for (rank, (service, gain)) in now.iter().enumerate() {
        if let Some(old_rank) = old.iter().position(|(o, _)| o == service) {
            reranked |= old_rank != rank;
            gain_changed |= (old[old_rank].1 - gain).abs() > 1e-9;
        }
    }
    tally.added += u64::from(added);
    tally.removed += u64::from(removed);
    tally.reranked += u64::from(reranked);
    tally.gain_changed += u64::from(gain_changed);
    if added || removed || reranked || gain_changed {
        tally.affected += 1;
        if tally.examples.len() < EXAMPLES {
            let show = |offers: &[(String, f64)]| {
                offers
                    .iter()
                    .map(|(s, g)| format!("{s} ({})", round4(*g)))
                    .collect()
            };
            tally.examples.push(CustomerChange {
                customer: new
                    .customer_id(customer)
                    .unwrap_or_else(|| format!("line {line}")),
                before: show(&old),
                after: show(&now),
            });
        }
    }
}

fn finish(mut f: BeforeAfter) -> BeforeAfter {
    f.gain_before = round4(f.gain_before);
    f.gain_after = round4(f.gain_after);
    f.gain_delta = round4(f.gain_after - f.gain_before);
    f.cost_before = round4(f.cost_before);
    f.cost_after = round4(f.cost_after);
    f.cost_delta = round4(f.cost_after - f.cost_before);
    f
}

fn report(base: &Engine, new: &Engine, tally: Tally) -> DiffReport {
    let before = tally.funnel_before.report(base, &[]);
    let after = tally.funnel_after.report(new, &[]);
    // Every service and segment of either package appears, in the new package's order first.
    let mut service_names: Vec<String> = new
        .catalog()
        .services
        .iter()
        .map(|s| s.id.clone())
        .collect();
    for s in &base.catalog().services {
        if !service_names.contains(&s.id) {
            service_names.push(s.id.clone());
        }
    }
    let mut segment_names: Vec<String> = new
        .checked()
        .segments
        .iter()
        .map(|s| s.name.clone())
        .collect();
    for s in &base.checked().segments {
        if !segment_names.contains(&s.name) {
            segment_names.push(s.name.clone());
        }
    }
    let named = |names: Vec<String>, figures: &BTreeMap<String, BeforeAfter>| {
        names
            .into_iter()
            .map(|name| NamedBeforeAfter {
                figures: finish(figures.get(&name).cloned().unwrap_or_default()),
                name,
            })
            .collect()
    };
    DiffReport {
        rejected_rows: Vec::new(),
        schema_version: DIFF_SCHEMA_VERSION,
        package: package_changes(base, new),
        customers: tally.customers,
        customers_affected: tally.affected,
        customers_with_added_offers: tally.added,
        customers_with_removed_offers: tally.removed,
        customers_with_reranked_offers: tally.reranked,
        customers_with_gain_changes: tally.gain_changed,
        rows_failed: tally.failed,
        totals: finish(tally.totals),
        services: named(service_names, &tally.services),
        segments: named(segment_names, &tally.segments),
        examples: tally.examples,
        funnel: funnel_changes(&before, &after),
        unused_stages: before
            .unused_stages
            .iter()
            .filter(|s| after.unused_stages.contains(s))
            .copied()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn comments_and_layout_are_not_content() {
        let a = canonical("rule r {\n  for x   # who\n  offer s\n}");
        let b = canonical("rule r { for x offer s }");
        assert_eq!(a, b);
        assert_ne!(
            canonical("rule r { because \"a  b\" }"),
            canonical("rule r { because \"a b\" }")
        );
        assert_eq!(
            canonical("rule r { because \"# not a comment\" }"),
            "rule r { because \"# not a comment\" }"
        );
    }
}
