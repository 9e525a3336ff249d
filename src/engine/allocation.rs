//! The outcome of capacity's first pass: for each limited service, the
//! worst candidate that still gets it. The evaluator of the second pass asks
//! it whether a customer keeps a limited offer; `run::capacity` builds it.
//! It is serialisable, so a distributed run can decide it once on a driver
//! and hand it to every worker for the second pass.

use crate::base::exact_sum::exact_float;
use crate::lang::ir::ServiceId;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as Atomic};

/// One candidate for a limited service: better is a higher gain, then an
/// earlier row (the row's line in the whole input, so any split of the rows
/// ranks candidates alike).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Candidate {
    #[serde(with = "exact_float")]
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

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Cutoff {
    Everyone,
    Nobody,
    /// The worst candidate that still gets the service.
    From(Candidate),
}

/// Which customers get each limited service; made by `Demand::allocate`
/// and handed to the evaluators of the second pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Allocation {
    /// Per service in catalog order.
    cutoff: Vec<Cutoff>,
    services: Vec<CapacityUse>,
    /// Added to the lines of the rows evaluated with it: a part of a larger
    /// input sees its rows as the whole input's lines ([`Allocation::for_part`]).
    #[serde(skip)]
    line_offset: u64,
}

impl Allocation {
    pub(crate) fn new(cutoff: Vec<Cutoff>, services: Vec<CapacityUse>) -> Allocation {
        Allocation {
            cutoff,
            services,
            line_offset: 0,
        }
    }

    /// The same allocation for a part of the input whose line `n` is line
    /// `n + line_offset` of the whole input (ties between equal gains go to
    /// the earlier line of the whole input, as in one run over it).
    pub fn for_part(&self, line_offset: u64) -> Allocation {
        Allocation {
            line_offset,
            ..self.clone()
        }
    }

    /// Whether the customer on `row` (of the whole input) keeps its offer
    /// of `service` with `gain`.
    pub(crate) fn admits(&self, service: ServiceId, gain: f64, row: u64) -> bool {
        match self.cutoff.get(service.index()) {
            Some(Cutoff::From(worst)) => Candidate { gain, row } >= *worst,
            Some(Cutoff::Nobody) => false,
            _ => true,
        }
    }

    /// [`Allocation::admits`] for the row on `line` of the part evaluated.
    pub(crate) fn admits_line(&self, service: ServiceId, gain: f64, line: u64) -> bool {
        self.admits(service, gain, line.saturating_add(self.line_offset))
    }

    /// How each limited service was used, in catalog order.
    pub fn usage(&self) -> &[CapacityUse] {
        &self.services
    }

    /// Services it decides for (the catalog's length when made).
    pub(crate) fn services(&self) -> usize {
        self.cutoff.len()
    }
}

/// How a limited service's capacity was used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapacityUse {
    /// The service.
    pub service: ServiceId,
    /// How many can be given out.
    pub capacity: u64,
    /// Customers it adds gain to (a marginal value of zero or more).
    pub demand: u64,
    /// Customers who got it.
    pub allocated: u64,
    /// Customers who wanted it and did not get it.
    pub unmet: u64,
    /// What giving it out adds to the expected gain (before stacking): the
    /// sum of the marginal values of the customers who got it.
    #[serde(with = "exact_float")]
    pub allocated_gain: f64,
    /// The same if the first customers in the file had been served instead.
    #[serde(with = "exact_float")]
    pub first_come_gain: f64,
    /// No allocation of this service adds more than this, whatever the
    /// other limited services do: the sum of the `capacity` highest upper
    /// bounds of its marginal value (see `run::capacity`).
    #[serde(with = "exact_float")]
    pub gain_bound: f64,
}

/// During capacity's first pass, per limited service, a gain below which no
/// customer can get it whatever the rest of the input holds: the worst of
/// the best `capacity` candidates of the rows merged so far (the final
/// cutoff can only be higher), raised as the demand of each chunk is merged.
/// A customer these bounds refuse every limited candidate has its final
/// offers already, so capacity's second pass need not evaluate it again.
/// Shared by the threads of the pass; a bound read at any moment is valid.
pub struct CutoffBounds {
    /// Per service, the bound's bits (as `f64`).
    bounds: Vec<AtomicU64>,
}

impl CutoffBounds {
    /// No bound yet: a service with capacity 0 refuses everyone, the others
    /// no one.
    pub(crate) fn new(capacity: &[Option<u64>]) -> CutoffBounds {
        let start = |c: &Option<u64>| match c {
            Some(0) => f64::INFINITY,
            _ => f64::NEG_INFINITY,
        };
        CutoffBounds {
            bounds: capacity
                .iter()
                .map(|c| AtomicU64::new(start(c).to_bits()))
                .collect(),
        }
    }

    /// The bound of `service` is at least `gain` now.
    pub(crate) fn raise(&self, service: usize, gain: f64) {
        let Some(bound) = self.bounds.get(service) else {
            return;
        };
        let _ = bound.fetch_update(Atomic::Relaxed, Atomic::Relaxed, |bits| {
            (gain > f64::from_bits(bits)).then_some(gain.to_bits())
        });
    }

    /// Whether no allocation can give `service` to a candidate whose
    /// marginal value is `gain`: it is below the bound (strictly, so that
    /// ties, decided by row, are left to the second pass).
    pub(crate) fn refuses(&self, service: ServiceId, gain: f64) -> bool {
        self.bounds
            .get(service.index())
            .is_some_and(|b| gain < f64::from_bits(b.load(Atomic::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bounds only rise, refuse strictly below, and a service with no
    /// capacity refuses everyone from the start.
    #[test]
    fn bounds_rise_and_refuse_strictly_below() {
        let bounds = CutoffBounds::new(&[Some(2), None, Some(0)]);
        let (limited, unlimited, closed) =
            (ServiceId::new(0), ServiceId::new(1), ServiceId::new(2));
        assert!(!bounds.refuses(limited, f64::MIN));
        assert!(bounds.refuses(closed, f64::MAX));
        bounds.raise(0, 3.0);
        bounds.raise(0, 1.0);
        assert!(bounds.refuses(limited, 2.5));
        assert!(
            !bounds.refuses(limited, 3.0),
            "a tie is decided by row, later"
        );
        assert!(!bounds.refuses(unlimited, -1.0));
        bounds.raise(7, 1.0);
        assert!(!bounds.refuses(ServiceId::new(7), 0.0));
    }
}
