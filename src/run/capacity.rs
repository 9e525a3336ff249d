//! Capacity: a service that can only be given out so many times across the
//! whole population (only 200 dedicated managers).
//!
//! Capacity is decided over all customers, so a batch run makes two passes.
//! The first records the demand: every customer whose own arbitration keeps a
//! capacity-limited service, with the expected gain of that offer. Each
//! service keeps only its best `capacity` candidates, so memory is bounded by
//! the capacities, not by the number of customers. The best are those with
//! the highest expected gain per unit of cost; every offer of one service
//! costs the same, so that is the highest gain, and ties go to the earlier
//! row, which makes the allocation deterministic whatever the threads.
//! The second pass evaluates again and keeps a limited offer only for the
//! customers that made the cut; the others see it dropped at the `capacity`
//! stage, and the offer is not replaced by another service.
//!
//! Why this is optimal for what it decides: with no replacement, each
//! service's allocation is independent of the others, and since all its
//! offers cost the same, giving its `capacity` slots to the customers with the
//! highest gains maximises the total expected gain (any other choice swaps a
//! higher gain for a lower one). What it does not do is replace a lost offer
//! with the customer's next candidate; the report bounds what that could add.

use crate::engine::Engine;
pub use crate::engine::allocation::{Allocation, CapacityUse};
use crate::engine::allocation::{Candidate, Cutoff};
use crate::engine::eval::Evaluator;
use crate::lang::ir::ServiceId;
use crate::run::batch::{ChunkSink, RowOutcome};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The demand for each limited service, gathered in the first pass; one per
/// chunk, merged in input order.
#[derive(Debug, Clone)]
pub struct Demand {
    /// Per service: its capacity, or None when unlimited.
    capacity: Vec<Option<u64>>,
    /// Per limited service, the best `capacity` candidates so far (a min-heap).
    best: Vec<BinaryHeap<Reverse<Candidate>>>,
    /// Per limited service, the first `capacity` candidates in input order,
    /// to compare with first-come-first-served.
    first: Vec<Vec<f64>>,
    /// Per service, customers whose own arbitration kept it.
    wanted: Vec<u64>,
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
        }
    }

    /// Whether any service of the engine is limited (arbitration's own answer).
    pub fn needed(engine: &Engine) -> bool {
        engine.arbitration().any_limited
    }

    /// Counts a customer wanting `service`, and keeps it among the best.
    fn want(&mut self, service: ServiceId, candidate: Candidate) {
        let s = service.index();
        let (Some(Some(limit)), Some(first), Some(wanted)) = (
            self.capacity.get(s),
            self.first.get_mut(s),
            self.wanted.get_mut(s),
        ) else {
            return;
        };
        *wanted += 1;
        if (first.len() as u64) < *limit {
            first.push(candidate.gain);
        }
        self.keep_best(s, candidate);
    }

    fn keep_best(&mut self, s: usize, candidate: Candidate) {
        let (Some(Some(limit)), Some(best)) = (self.capacity.get(s), self.best.get_mut(s)) else {
            return;
        };
        if (best.len() as u64) < *limit {
            best.push(Reverse(candidate));
        } else if best.peek().is_some_and(|Reverse(worst)| candidate > *worst) {
            best.pop();
            best.push(Reverse(candidate));
        }
    }

    /// Adds a later chunk's demand.
    pub fn merge(&mut self, other: Demand) {
        let chunks = other.best.into_iter().zip(other.first).zip(other.wanted);
        for (s, ((heap, first), wanted)) in chunks.enumerate() {
            for Reverse(candidate) in heap {
                self.keep_best(s, candidate);
            }
            if let (Some(Some(limit)), Some(mine)) = (self.capacity.get(s), self.first.get_mut(s)) {
                let room = usize::try_from(*limit)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(mine.len());
                mine.extend(first.into_iter().take(room));
            }
            if let Some(w) = self.wanted.get_mut(s) {
                *w += wanted;
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
                let best = self.best.get(s)?;
                let allocated_gain: f64 = best.iter().map(|Reverse(c)| c.gain).sum();
                let first_gain: f64 = self.first.get(s)?.iter().sum();
                let wanted = self.wanted.get(s).copied().unwrap_or(0);
                Some(CapacityUse {
                    service: ServiceId::new(s),
                    capacity,
                    demand: wanted,
                    allocated: wanted.min(capacity),
                    unmet: wanted.saturating_sub(capacity),
                    allocated_gain,
                    first_come_gain: first_gain,
                })
            })
            .collect();
        Allocation::new(cutoff, services)
    }
}

impl Demand {
    /// Counts the demand of the customer on `row` the evaluator has just
    /// evaluated without error.
    pub fn add(&mut self, evaluator: &Evaluator<'_>, row: u64) {
        for &(service, gain) in evaluator.demand() {
            self.want(service, Candidate { gain, row });
        }
    }
}

impl ChunkSink for Demand {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        if outcome.result.is_ok() {
            self.add(outcome.evaluator, outcome.line);
        }
    }
}
