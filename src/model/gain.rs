//! The formulas: a derived gain, and several offers stacked.
//!
//! For a service with effect `e_d` (points on the scale) on dimension `d`:
//!
//! - headroom `H_d = max - perception_d` (or `max - min` when the perception is unknown);
//! - preference factor `f_d = 2 * p_d` for the customer's preference `p_d` in 0..1
//!   (1 when unknown: a neutral 0.5);
//! - gap factor `g_d = 1 + max(0, expectation_d - perception_d) / (max - min)`
//!   (1 when either is unknown): a negative SERVQUAL gap makes the service worth more;
//! - `derived = sum over d of W_d * f_d * g_d * min(e_d, H_d)`, with `W_d` the model weight.
//!
//! Stacking, in rank order: the k-th offer on a dimension closes the same
//! share `min(e, H) / H` of what the earlier offers left open, so the closed
//! part never exceeds `H_d`; an offer's gain is scaled by what it still
//! closes over what it would close alone. Then the total over all offers is
//! capped at `max - current` (or `max - min` when the current overall
//! satisfaction is unknown), scaling every gain alike.

use crate::customer::Value;
use crate::eval::Offer;
use crate::schema::Slot;

/// One dimension as the engine computes with it.
#[derive(Debug, Clone)]
pub(crate) struct CompiledDimension {
    pub weight: f64,
    pub preference: Option<Slot>,
    pub perception: Option<Slot>,
    pub expectation: Option<Slot>,
}

/// The model, with names resolved to slots.
#[derive(Debug, Clone)]
pub(crate) struct CompiledModel {
    pub min: f64,
    pub max: f64,
    pub current: Option<Slot>,
    pub dimensions: Vec<CompiledDimension>,
    /// Per service: `(dimension, effect)`.
    pub effects: Vec<Vec<(usize, f64)>>,
}

/// One dimension's part of a service's gain for one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Term {
    pub dimension: usize,
    /// `W_d * f_d * g_d`.
    pub scale: f64,
    /// `min(e_d, H_d)`.
    pub alone: f64,
    /// `H_d`.
    pub headroom: f64,
}

fn number(values: &[Value], slot: Option<Slot>) -> Option<f64> {
    match values.get(slot? as usize) {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

impl CompiledModel {
    fn range(&self) -> f64 {
        self.max - self.min
    }

    /// The terms of a service for a customer (empty for a service without effects).
    pub(crate) fn terms<'a>(&'a self, service: u32, values: &'a [Value]) -> impl Iterator<Item = Term> + 'a {
        let effects = self.effects.get(service as usize).map_or(&[][..], Vec::as_slice);
        effects.iter().filter_map(move |&(dimension, effect)| {
            let d = self.dimensions.get(dimension)?;
            let perception = number(values, d.perception);
            let headroom = perception.map_or(self.range(), |p| (self.max - p).max(0.0));
            let preference = number(values, d.preference).map_or(1.0, |p| 2.0 * p.clamp(0.0, 1.0));
            let gap = match (perception, number(values, d.expectation)) {
                (Some(p), Some(e)) if self.range() > 0.0 => 1.0 + (e - p).max(0.0) / self.range(),
                _ => 1.0,
            };
            Some(Term {
                dimension,
                scale: d.weight * preference * gap,
                alone: effect.min(headroom),
                headroom,
            })
        })
    }

    /// The gain derived from a service's effects for a customer.
    pub(crate) fn derived(&self, service: u32, values: &[Value]) -> f64 {
        self.terms(service, values).map(|t| t.scale * t.alone).sum()
    }

    /// Applies diminishing returns and the overall headroom to ranked offers.
    pub(crate) fn stack(&self, offers: &mut [Offer], values: &[Value], remaining: &mut Vec<f64>) {
        remaining.clear();
        remaining.extend(self.dimensions.iter().map(|_| f64::NAN));
        for offer in offers.iter_mut() {
            let (mut alone, mut stacked) = (0.0, 0.0);
            for t in self.terms(offer.service, values) {
                let Some(left) = remaining.get_mut(t.dimension) else { continue };
                if left.is_nan() {
                    *left = t.headroom;
                }
                let share = if t.headroom > 0.0 { t.alone / t.headroom } else { 0.0 };
                alone += t.scale * t.alone;
                stacked += t.scale * share * *left;
                *left -= share * *left;
            }
            if alone > 0.0 {
                offer.gain *= stacked / alone;
            }
        }
        let headroom = number(values, self.current).map_or(self.range(), |c| (self.max - c).max(0.0));
        let total: f64 = offers.iter().map(|o| o.gain).sum();
        if total > headroom && total > 0.0 {
            let factor = headroom / total;
            offers.iter_mut().for_each(|o| o.gain *= factor);
        }
    }
}
