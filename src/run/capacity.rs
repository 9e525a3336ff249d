//! Capacity: a service that can only be given out so many times across the
//! whole population (only 200 dedicated managers).
//!
//! Capacity is decided over all customers, so a batch run makes two passes.
//! The first records the demand: for every customer and every limited
//! service among its candidates, the service's *marginal value* — what it
//! adds to the total gain (before stacking) of the customer's arbitration
//! over its offers of unlimited services (`engine::replace`). Each service
//! keeps only its best `capacity` candidates by marginal value, so memory is
//! bounded by the capacities, not by the number of customers; ties go to the
//! earlier row (its line in the whole input), which makes the allocation the
//! same whatever the threads, and whatever the split of the rows into parts
//! and the order their demands are merged in (see `run::partial`).
//! The second pass evaluates again; a customer refused a limited service is
//! arbitrated as if it had not been offered, so the next eligible offer takes
//! its place (a replacement offer, with its own gain).
//!
//! Why marginal values: giving a customer a limited service adds its gain
//! minus what it displaces. With one limited service, giving its `capacity`
//! places to the highest positive marginal values maximises the total
//! expected gain (any other choice swaps a higher marginal value for a lower
//! one). With several, each is measured without the other limited services:
//! exact when a customer's limited services do not interact (its gain with
//! several is the sum of its marginal values). When they do, the first pass
//! also keeps per service the `capacity` highest *upper bounds* of its
//! marginal value over the customer's other limited services
//! (`Arbitration::upper_marginals`); their sum bounds what any allocation's
//! limited services add, and the report sets it beside what this one's add.
//! `capacity_tests` checks both against every allocation of small instances.

use crate::base::exact_sum::ExactSum;
use crate::engine::Engine;
pub use crate::engine::allocation::{Allocation, CapacityUse};
use crate::engine::allocation::{Candidate, Cutoff, CutoffBounds};
use crate::engine::eval::Evaluator;
use crate::engine::replace::Scratch;
use crate::lang::ir::ServiceId;
use crate::package::input::CustomerReader;
use crate::run::batch::{
    Capacity, ChunkSink, RowBits, RowOutcome, RowSelection, RunError, run_over,
};
use crate::run::stamp::PartialError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The demand for each limited service, gathered in the first pass; one per
/// chunk (or part of a distributed run), merged in any order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Per service: its capacity, or None when unlimited.
    capacity: Vec<Option<u64>>,
    /// Per limited service, the best `capacity` candidates so far (a
    /// min-heap; written best first).
    #[serde(serialize_with = "best_first", deserialize_with = "heaps")]
    best: Vec<BinaryHeap<Reverse<Candidate>>>,
    /// Per limited service, the `capacity` candidates on the earliest
    /// lines, sorted by line, to compare with first-come-first-served.
    first: Vec<Vec<Candidate>>,
    /// Per service, customers it adds gain to.
    wanted: Vec<u64>,
    /// Per limited service, the best `capacity` customers by the upper
    /// bound of what it can add to them (`upper_marginals`): their sum
    /// bounds what any allocation of it adds.
    #[serde(serialize_with = "best_first", deserialize_with = "heaps")]
    bound: Vec<BinaryHeap<Reverse<Candidate>>>,
    /// Reused buffers.
    #[serde(skip)]
    scratch: Scratch,
    #[serde(skip)]
    found: Vec<(ServiceId, f64)>,
    /// Added to the lines of the rows counted ([`Demand::for_part`]).
    #[serde(skip)]
    line_offset: u64,
}

impl Demand {
    /// Empty demand for an engine's services.
    pub fn new(engine: &Engine) -> Demand {
        let capacity: Vec<Option<u64>> = engine
            .catalog()
            .services
            .iter()
            .map(|s| s.capacity)
            .collect();
        let n = capacity.len();
        Demand {
            capacity,
            best: vec![BinaryHeap::new(); n],
            first: vec![Vec::new(); n],
            wanted: vec![0; n],
            bound: vec![BinaryHeap::new(); n],
            scratch: Scratch::default(),
            found: Vec::new(),
            line_offset: 0,
        }
    }

    /// Empty demand for a part of a larger input whose line `n` is line
    /// `n + line_offset` of the whole input: ties between equal gains go to
    /// the earlier line of the whole input, whichever part holds it.
    pub fn for_part(engine: &Engine, line_offset: u64) -> Demand {
        Demand {
            line_offset,
            ..Demand::new(engine)
        }
    }

    /// Whether any service of the engine is limited (arbitration's own answer).
    pub fn needed(engine: &Engine) -> bool {
        engine.arbitration().any_limited
    }

    /// Counts a customer wanting `service`, and keeps it among the best.
    fn want(&mut self, service: ServiceId, candidate: Candidate) {
        let s = service.index();
        let (Some(Some(limit)), Some(wanted)) = (self.capacity.get(s), self.wanted.get_mut(s))
        else {
            return;
        };
        *wanted += 1;
        let limit = *limit;
        if let Some(first) = self.first.get_mut(s) {
            keep_first(first, limit, candidate);
        }
        self.keep_best(s, candidate);
    }

    fn keep_best(&mut self, s: usize, candidate: Candidate) {
        keep_top(&self.capacity, &mut self.best, s, candidate);
    }
}

/// Keeps `candidate` among the best `capacity[s]` of `heaps[s]`.
fn keep_top(
    capacity: &[Option<u64>],
    heaps: &mut [BinaryHeap<Reverse<Candidate>>],
    s: usize,
    candidate: Candidate,
) {
    {
        let (Some(Some(limit)), Some(best)) = (capacity.get(s), heaps.get_mut(s)) else {
            return;
        };
        if (best.len() as u64) < *limit {
            best.push(Reverse(candidate));
        } else if best.peek().is_some_and(|Reverse(worst)| candidate > *worst) {
            best.pop();
            best.push(Reverse(candidate));
        }
    }
}

impl Demand {
    /// Adds another chunk's (or part's) demand, whatever rows it holds.
    pub fn merge(&mut self, other: Demand) {
        let chunks = other.best.into_iter().zip(other.first).zip(other.wanted);
        for (s, heap) in other.bound.into_iter().enumerate() {
            for Reverse(candidate) in heap {
                keep_top(&self.capacity, &mut self.bound, s, candidate);
            }
        }
        for (s, ((heap, first), wanted)) in chunks.enumerate() {
            for Reverse(candidate) in heap {
                self.keep_best(s, candidate);
            }
            if let (Some(Some(limit)), Some(mine)) = (self.capacity.get(s), self.first.get_mut(s)) {
                for candidate in first {
                    keep_first(mine, *limit, candidate);
                }
            }
            if let Some(w) = self.wanted.get_mut(s) {
                *w = w.saturating_add(wanted);
            }
        }
    }

    /// The allocation: which candidates each limited service admits.
    pub fn allocate(&self) -> Allocation {
        let cutoff = self
            .capacity
            .iter()
            .zip(&self.best)
            .zip(&self.wanted)
            .map(
                |((capacity, best), &wanted)| match (capacity, best.peek()) {
                    (Some(limit), Some(Reverse(worst))) if wanted > *limit => Cutoff::From(*worst),
                    (Some(0), _) => Cutoff::Nobody,
                    _ => Cutoff::Everyone,
                },
            )
            .collect();
        let services = self
            .capacity
            .iter()
            .enumerate()
            .filter_map(|(s, capacity)| {
                let capacity = (*capacity)?;
                let mut allocated_gain = ExactSum::default();
                for Reverse(c) in self.best.get(s)? {
                    allocated_gain.add(c.gain);
                }
                let mut first_gain = ExactSum::default();
                for c in self.first.get(s)? {
                    first_gain.add(c.gain);
                }
                let mut gain_bound = ExactSum::default();
                for Reverse(c) in self.bound.get(s)? {
                    gain_bound.add(c.gain);
                }
                let wanted = self.wanted.get(s).copied().unwrap_or(0);
                Some(CapacityUse {
                    gain_bound: gain_bound.value(),
                    service: ServiceId::new(s),
                    capacity,
                    demand: wanted,
                    allocated: wanted.min(capacity),
                    unmet: wanted.saturating_sub(capacity),
                    allocated_gain: allocated_gain.value(),
                    first_come_gain: first_gain.value(),
                })
            })
            .collect();
        Allocation::new(cutoff, services)
    }

    /// A demand read from a file holds no more than it could have made.
    pub(crate) fn check_shape(&self) -> Result<(), PartialError> {
        let n = self.capacity.len();
        if self.best.len() != n
            || self.first.len() != n
            || self.wanted.len() != n
            || self.bound.len() != n
        {
            return Err(PartialError::Mismatch(
                "the partial demand's lists are not one per service".to_string(),
            ));
        }
        for (s, capacity) in self.capacity.iter().enumerate() {
            let limit = capacity.unwrap_or(0);
            let held = |len: usize| len as u64 <= limit;
            if !held(self.best[s].len()) || !held(self.first[s].len()) || !held(self.bound[s].len())
            {
                return Err(PartialError::Mismatch(format!(
                    "the partial demand holds more candidates for service {s} than its capacity"
                )));
            }
        }
        Ok(())
    }

    /// Two demands of one package have the same services and capacities.
    pub(crate) fn check_same_shape(&self, other: &Demand) -> Result<(), PartialError> {
        if self.capacity == other.capacity {
            Ok(())
        } else {
            Err(PartialError::Mismatch(
                "the partial demands have different services or capacities".to_string(),
            ))
        }
    }

    /// The demand fits `engine`'s catalog.
    pub(crate) fn check_shape_for(&self, engine: &Engine) -> Result<(), PartialError> {
        self.check_shape()?;
        self.check_same_shape(&Demand::new(engine))
    }
}

/// Keeps `candidate` if it is on one of the `limit` earliest lines (ties,
/// possible only with overlapping line offsets, by gain's bits: any order
/// of adding keeps the same ones).
fn keep_first(first: &mut Vec<Candidate>, limit: u64, candidate: Candidate) {
    let key = |c: &Candidate| (c.row, c.gain.to_bits());
    let last = first.last().map(key);
    let full = first.len() as u64 >= limit;
    // Rows come in line order within a chunk: the usual case is a push.
    if last.is_none_or(|last| last <= key(&candidate)) {
        if !full {
            first.push(candidate);
        }
        return;
    }
    let at = first.partition_point(|c| key(c) <= key(&candidate));
    first.insert(at, candidate);
    if first.len() as u64 > limit {
        first.pop();
    }
}

fn best_first<S: Serializer>(
    heaps: &[BinaryHeap<Reverse<Candidate>>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let sorted: Vec<Vec<Candidate>> = heaps
        .iter()
        .map(|heap| {
            let mut list: Vec<Candidate> = heap.iter().map(|Reverse(c)| *c).collect();
            list.sort_by(|a, b| b.cmp(a));
            list
        })
        .collect();
    sorted.serialize(serializer)
}

fn heaps<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<BinaryHeap<Reverse<Candidate>>>, D::Error> {
    let lists = Vec::<Vec<Candidate>>::deserialize(deserializer)?;
    Ok(lists
        .into_iter()
        .map(|list| list.into_iter().map(Reverse).collect())
        .collect())
}

impl Demand {
    /// Counts the demand of the customer on `line` (of this part) that the
    /// evaluator has just evaluated without error: its marginal value for
    /// each limited service, and the bound on it.
    pub fn add(&mut self, evaluator: &Evaluator<'_>, line: u64) {
        // The evaluator kept only the candidates that fit the customer's
        // channel, the one thing arbitration reads of the customer.
        let values = &[];
        let row = line.saturating_add(self.line_offset);
        let engine = evaluator.engine();
        let arbitration = engine.arbitration();
        let max_offers = engine.catalog().max_offers;
        let ranked = evaluator.ranked();
        let mut found = std::mem::take(&mut self.found);
        match evaluator.first_pass_marginals() {
            Some(marginals) => {
                found.clear();
                found.extend_from_slice(marginals);
            }
            None => {
                arbitration.marginals(ranked, values, max_offers, &mut self.scratch, &mut found);
            }
        }
        for &(service, gain) in &found {
            self.want(service, Candidate { gain, row });
        }
        arbitration.upper_marginals(ranked, values, max_offers, &mut self.scratch, &mut found);
        for &(service, gain) in &found {
            keep_top(
                &self.capacity,
                &mut self.bound,
                service.index(),
                Candidate { gain, row },
            );
        }
        self.found = found;
    }
}

impl ChunkSink for Demand {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        if outcome.result.is_ok() {
            self.add(outcome.evaluator, outcome.line);
        }
    }
}

/// One chunk of capacity's first pass for a run that also counts its
/// customers (a dry-run): the demand; the customers whose offers are final
/// already (no candidate of a limited service, or every one refused by the
/// [`CutoffBounds`] of the rows merged before), handed to `settled` now,
/// since the second pass would give them the same offers; and the rows the
/// second pass must evaluate (the others, and the failed rows, so that they
/// fail there in input order as in a run without capacity).
pub struct Settling<S> {
    demand: Demand,
    settled: S,
    again: RowBits,
}

impl<S: ChunkSink> ChunkSink for Settling<S> {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        if outcome.result.is_ok() {
            self.demand.add(outcome.evaluator, outcome.line);
            if outcome.evaluator.offers_are_final() {
                self.settled.row(outcome);
                return;
            }
        }
        self.again.insert(outcome.position());
    }
}

/// Capacity's first pass over `reader` when only the demand is wanted (rows
/// shifted by `line_offset`, as [`Demand::for_part`]): every customer is
/// evaluated without the limit, as the second pass will evaluate them all.
pub fn demand_pass(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    line_offset: u64,
) -> Result<Demand, RunError<()>> {
    let mut demand = Demand::for_part(engine, line_offset);
    crate::run::batch::run(
        engine,
        reader,
        threads,
        || Demand::for_part(engine, line_offset),
        |chunk: Demand, _| {
            demand.merge(chunk);
            Ok(())
        },
    )?;
    Ok(demand)
}

/// Capacity's first pass over `reader`: the demand (rows shifted by
/// `line_offset`, as [`Demand::for_part`]), and the rows the second pass
/// must evaluate ([`batch::run_selected`](crate::run::batch::run_selected)).
/// The customers it settles go to sinks made by `new_settled` and are passed
/// to `settled` chunk by chunk in input order; what they count plus what the
/// second pass counts over the selected rows is what one pass with the
/// allocation would count.
///
/// As the chunks' demands are merged, each limited service's worst kept
/// candidate becomes a bound below which later customers cannot get it;
/// most customers with limited candidates fall below it and are settled
/// here, so the second pass evaluates few rows (it still reads them all).
pub fn first_pass<S: ChunkSink>(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    line_offset: u64,
    new_settled: impl Fn() -> S + Sync,
    mut settled: impl FnMut(S),
) -> Result<(Demand, RowSelection), RunError<()>> {
    let mut demand = Demand::for_part(engine, line_offset);
    let bounds = CutoffBounds::new(&demand.capacity);
    let mut selection = RowSelection::default();
    let capacity = Capacity {
        bounds: Some(&bounds),
        ..Capacity::default()
    };
    run_over(
        engine,
        reader,
        threads,
        capacity,
        || Settling {
            demand: Demand::for_part(engine, line_offset),
            settled: new_settled(),
            again: RowBits::default(),
        },
        |chunk: Settling<S>, _| {
            demand.merge(chunk.demand);
            demand.raise(&bounds);
            settled(chunk.settled);
            selection.push(chunk.again);
            Ok(())
        },
    )?;
    Ok((demand, selection))
}

impl Demand {
    /// Raises each limited service's bound to its worst kept candidate,
    /// once it keeps as many as its capacity.
    fn raise(&self, bounds: &CutoffBounds) {
        for (s, (best, capacity)) in self.best.iter().zip(&self.capacity).enumerate() {
            if let (Some(limit), Some(Reverse(worst))) = (capacity, best.peek())
                && best.len() as u64 >= *limit
            {
                bounds.raise(s, worst.gain);
            }
        }
    }
}

#[cfg(test)]
#[path = "capacity_tests.rs"]
mod tests;
