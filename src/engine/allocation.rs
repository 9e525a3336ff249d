//! The outcome of capacity's first pass: for each limited service, the
//! worst candidate that still gets it. The evaluator of the second pass asks
//! it whether a customer keeps a limited offer; `run::capacity` builds it.

use crate::lang::ir::ServiceId;
use std::cmp::Ordering;

/// One candidate for a limited service: better is a higher gain, then an earlier row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub gain: f64,
    pub row: u64,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.row.cmp(&self.row))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Cutoff {
    Everyone,
    Nobody,
    /// The worst candidate that still gets the service.
    From(Candidate),
}

/// Which customers get each limited service; made by `Demand::allocate`
/// and handed to the evaluators of the second pass.
#[derive(Debug, Clone)]
pub struct Allocation {
    cutoff: Vec<Cutoff>,
    services: Vec<CapacityUse>,
}

impl Allocation {
    pub(crate) fn new(cutoff: Vec<Cutoff>, services: Vec<CapacityUse>) -> Allocation {
        Allocation { cutoff, services }
    }

    /// Whether the customer on `row` keeps its offer of `service` with `gain`.
    pub(crate) fn admits(&self, service: ServiceId, gain: f64, row: u64) -> bool {
        match self.cutoff.get(service.index()) {
            Some(Cutoff::From(worst)) => Candidate { gain, row } >= *worst,
            Some(Cutoff::Nobody) => false,
            _ => true,
        }
    }

    /// How each limited service was used, in catalog order.
    pub fn usage(&self) -> &[CapacityUse] {
        &self.services
    }
}

/// How a limited service's capacity was used.
#[derive(Debug, Clone)]
pub struct CapacityUse {
    /// The service.
    pub service: ServiceId,
    /// How many can be given out.
    pub capacity: u64,
    /// Customers whose own arbitration kept it.
    pub demand: u64,
    /// Customers who got it.
    pub allocated: u64,
    /// Customers who wanted it and did not get it.
    pub unmet: u64,
    /// Expected gain of the offers given out (before stacking).
    pub allocated_gain: f64,
    /// The same if the first customers in the file had been served instead.
    pub first_come_gain: f64,
}
