//! The formulas: a derived gain, and several offers stacked.
//!
//! For a service with effect `e_d` (points on the scale) on dimension `d`:
//!
//! - perception and expectation: the weighted mean of the dimension's items
//!   the customer has a value for (unknown when none has one);
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

use crate::engine::offer::Offer;
use crate::lang::ir::ServiceId;
use crate::model::Model;
use crate::package::catalog::Catalog;
use crate::package::customer::Value;
use crate::package::schema::{Schema, Slot};

/// One dimension as the engine computes with it.
#[derive(Debug, Clone)]
pub(crate) struct CompiledDimension {
    pub weight: f64,
    pub preference: Option<Slot>,
    /// Items: slot and weight.
    pub perception: Vec<(Slot, f64)>,
    pub expectation: Vec<(Slot, f64)>,
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

impl CompiledModel {
    /// Resolves the model's names against the schema, for the evaluator.
    pub(crate) fn new(model: &Model, catalog: &Catalog, schema: &Schema) -> CompiledModel {
        let slot = |name: &Option<String>| name.as_deref().and_then(|n| schema.attribute(n));
        let items = |items: &[(String, f64)]| {
            items
                .iter()
                .filter_map(|(name, weight)| Some((schema.attribute(name)?, *weight)))
                .collect()
        };
        CompiledModel {
            min: model.scale.0,
            max: model.scale.1,
            current: slot(&catalog.satisfaction.current),
            dimensions: model
                .dimensions
                .iter()
                .map(|d| CompiledDimension {
                    weight: d.weight,
                    preference: d.preference.as_deref().and_then(|p| schema.preference(p)),
                    perception: items(&d.perception),
                    expectation: items(&d.expectation),
                })
                .collect(),
            effects: catalog
                .services
                .iter()
                .map(|s| {
                    s.effects
                        .iter()
                        .filter_map(|(id, e)| {
                            Some((model.dimensions.iter().position(|d| &d.id == id)?, *e))
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// One dimension's part of a service's gain for one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Term {
    pub dimension: usize,
    /// `W_d`, `f_d`, `g_d` and `e_d`, for explanations.
    pub weight: f64,
    pub preference: f64,
    pub gap: f64,
    pub effect: f64,
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

/// The weighted mean of the items with a number: a dimension measured by
/// several survey items is as known as the items the customer rated, and
/// unknown only when none is rated. One item is read as it is.
pub(crate) fn item_mean(values: &[Value], items: &[(Slot, f64)]) -> Option<f64> {
    if let [(slot, _)] = items {
        return number(values, Some(*slot));
    }
    let (mut sum, mut weights) = (0.0, 0.0);
    for &(slot, weight) in items {
        if let Some(v) = number(values, Some(slot)) {
            sum += weight * v;
            weights += weight;
        }
    }
    (weights > 0.0).then(|| sum / weights)
}

/// One dimension for one customer, for the report: perception and
/// expectation (when known) and the points the stacked offers close.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DimensionPoint {
    pub perception: Option<f64>,
    pub expectation: Option<f64>,
    pub closed: f64,
}

impl CompiledModel {
    /// Whether any dimension has expectation items: only then is there a gap to report.
    pub(crate) fn has_expectations(&self) -> bool {
        self.dimensions.iter().any(|d| !d.expectation.is_empty())
    }

    fn range(&self) -> f64 {
        self.max - self.min
    }

    /// The terms of a service for a customer (empty for a service without effects).
    pub(crate) fn terms<'a>(
        &'a self,
        service: ServiceId,
        values: &'a [Value],
    ) -> impl Iterator<Item = Term> + 'a {
        let effects = self
            .effects
            .get(service.index())
            .map_or(&[][..], Vec::as_slice);
        effects.iter().filter_map(move |&(dimension, effect)| {
            let d = self.dimensions.get(dimension)?;
            let perception = item_mean(values, &d.perception);
            let headroom = perception.map_or(self.range(), |p| (self.max - p).max(0.0));
            let preference = number(values, d.preference).map_or(1.0, |p| 2.0 * p.clamp(0.0, 1.0));
            let gap = match (perception, item_mean(values, &d.expectation)) {
                (Some(p), Some(e)) if self.range() > 0.0 => 1.0 + (e - p).max(0.0) / self.range(),
                _ => 1.0,
            };
            Some(Term {
                dimension,
                weight: d.weight,
                preference,
                gap,
                effect,
                scale: d.weight * preference * gap,
                alone: effect.min(headroom),
                headroom,
            })
        })
    }

    /// The gain derived from a service's effects for a customer.
    pub(crate) fn derived(&self, service: ServiceId, values: &[Value]) -> f64 {
        self.terms(service, values).map(|t| t.scale * t.alone).sum()
    }

    /// Per dimension, the customer's perception and expectation (when known) and the points
    /// the stacked offers close on it, read from what [`CompiledModel::stack`]
    /// left in `remaining`. The points are on the dimension's own scale; the
    /// cap on the overall total scales gains, not these.
    pub(crate) fn dimension_points<'a>(
        &'a self,
        values: &'a [Value],
        remaining: &'a [f64],
    ) -> impl Iterator<Item = DimensionPoint> + 'a {
        self.dimensions.iter().enumerate().map(move |(d, dim)| {
            let perception = item_mean(values, &dim.perception);
            let headroom = perception.map_or(self.range(), |p| (self.max - p).max(0.0));
            let closed = match remaining.get(d) {
                Some(left) if !left.is_nan() => (headroom - left).max(0.0),
                _ => 0.0,
            };
            DimensionPoint {
                perception,
                expectation: item_mean(values, &dim.expectation),
                closed,
            }
        })
    }

    /// Scales one offer with effects by what the offers before it left of
    /// each dimension's headroom in `remaining`, and takes its share.
    #[inline]
    fn stack_one(&self, offer: &mut Offer, values: &[Value], remaining: &mut [f64]) {
        let (mut alone, mut stacked) = (0.0, 0.0);
        for t in self.terms(offer.service, values) {
            let Some(left) = remaining.get_mut(t.dimension) else {
                continue;
            };
            if left.is_nan() {
                *left = t.headroom;
            }
            let share = if t.headroom > 0.0 {
                t.alone / t.headroom
            } else {
                0.0
            };
            alone += t.scale * t.alone;
            stacked += t.scale * share * *left;
            *left -= share * *left;
        }
        if alone > 0.0 {
            offer.gain *= stacked / alone;
        }
    }

    /// Applies diminishing returns and the overall headroom to ranked offers.
    ///
    /// `remaining` is left empty unless an offer has effects: most services
    /// have none, and an empty `remaining` reads as nothing closed on any
    /// dimension, as all-unknown entries do ([`CompiledModel::dimension_points`]),
    /// so a customer whose offers have no effects pays for no fill. The total
    /// for the cap is summed in the same pass, in the same order.
    pub(crate) fn stack(&self, offers: &mut [Offer], values: &[Value], remaining: &mut Vec<f64>) {
        remaining.clear();
        // As `Iterator::sum` starts: -0.0 adds nothing to any gain.
        let mut total = -0.0;
        for offer in offers.iter_mut() {
            // Most services have no effects: nothing to stack, and no terms
            // to set up.
            if self
                .effects
                .get(offer.service.index())
                .is_some_and(|effects| !effects.is_empty())
            {
                if remaining.is_empty() {
                    // Sized once per evaluator; after that a fill, not an
                    // allocation.
                    remaining.resize(self.dimensions.len(), f64::NAN);
                }
                self.stack_one(offer, values, remaining);
            }
            total += offer.gain;
        }
        let headroom =
            number(values, self.current).map_or(self.range(), |c| (self.max - c).max(0.0));
        if total > headroom && total > 0.0 {
            let factor = headroom / total;
            offers.iter_mut().for_each(|o| o.gain *= factor);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The worked example of README ("The satisfaction model"), and the edges.
    use super::*;
    use crate::lang::ir::{RuleId, SegmentId};

    // Slots: 0 pref.personalization, 1 perception personalization,
    // 2 expectation personalization, 3 perception responsiveness, 4 current overall.
    fn model() -> CompiledModel {
        CompiledModel {
            min: 0.0,
            max: 100.0,
            current: Some(4),
            dimensions: vec![
                CompiledDimension {
                    weight: 0.5,
                    preference: Some(0),
                    perception: vec![(1, 1.0)],
                    expectation: vec![(2, 1.0)],
                },
                CompiledDimension {
                    weight: 0.3,
                    preference: None,
                    perception: vec![(3, 1.0)],
                    expectation: Vec::new(),
                },
                CompiledDimension {
                    weight: 0.2,
                    preference: None,
                    perception: Vec::new(),
                    expectation: Vec::new(),
                },
            ],
            // 0: account manager, 1: priority support
            effects: vec![vec![(0, 10.0), (1, 4.0)], vec![(1, 3.0)]],
        }
    }

    fn customer(current: f64) -> Vec<Value> {
        [0.8, 60.0, 75.0, 95.0, current]
            .iter()
            .map(|&v| Value::Number(v))
            .collect()
    }

    fn offer(service: usize, gain: f64) -> Offer {
        Offer {
            service: ServiceId::new(service),
            gain,
            rule: RuleId::new(service),
            segment: SegmentId::new(0),
        }
    }

    fn id(service: usize) -> ServiceId {
        ServiceId::new(service)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn worked_example_derived_gains() {
        let m = model();
        // 0.5 * (2 * 0.8) * (1 + 15/100) * min(10, 40) + 0.3 * 1 * 1 * min(4, 5)
        assert!(close(m.derived(id(0), &customer(85.0)), 9.2 + 1.2));
        assert!(close(m.derived(id(1), &customer(85.0)), 0.9));
    }

    #[test]
    fn worked_example_stacking_and_cap() {
        let m = model();
        let mut offers = vec![offer(0, 10.4), offer(1, 0.9)];
        m.stack(&mut offers, &customer(85.0), &mut Vec::new());
        assert!(close(offers[0].gain, 10.4), "{offers:?}");
        // Responsiveness has 5 points of headroom; the manager closes 4, leaving 1;
        // support alone would close 3/5 of it, so it closes 0.6 of the 1 left.
        assert!(close(offers[1].gain, 0.18), "{offers:?}");
        // With current satisfaction 95 only 5 points are left overall: both scale down alike.
        let mut offers = vec![offer(0, 10.4), offer(1, 0.9)];
        m.stack(&mut offers, &customer(95.0), &mut Vec::new());
        assert!(close(offers[0].gain + offers[1].gain, 5.0), "{offers:?}");
        assert!(close(offers[0].gain / offers[1].gain, 10.4 / 0.18));
    }

    #[test]
    fn edges() {
        let m = model();
        // Zero headroom: a perception at the maximum leaves nothing to gain there.
        let mut full = customer(0.0);
        full[1] = Value::Number(100.0);
        full[3] = Value::Number(100.0);
        assert!(close(m.derived(id(0), &full), 0.0));
        // A positive gap (perception above expectation) adds nothing; only a negative one does.
        let mut pleased = customer(0.0);
        pleased[2] = Value::Number(10.0);
        assert!(close(m.derived(id(0), &pleased), 0.5 * 1.6 * 10.0 + 1.2));
        // No preferences, perceptions or expectations: weights times effects.
        let blank = vec![Value::Missing; 5];
        assert!(close(m.derived(id(0), &blank), 0.5 * 10.0 + 0.3 * 4.0));
        // A service without effects derives nothing and is left alone by stacking.
        assert!(close(m.derived(id(7), &blank), 0.0));
        let mut offers = vec![offer(7, 3.0)];
        m.stack(&mut offers, &blank, &mut Vec::new());
        assert!(close(offers[0].gain, 3.0));
    }

    #[test]
    fn stacked_gains_never_exceed_the_headroom() {
        // Deterministic pseudo-random customers and offer sets.
        let m = model();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..2000 {
            let values: Vec<Value> = (0..5)
                .map(|i| {
                    if next() < 0.2 {
                        Value::Missing
                    } else {
                        Value::Number(if i == 0 { next() } else { next() * 100.0 })
                    }
                })
                .collect();
            let mut offers: Vec<Offer> = (0..3)
                .map(|k| {
                    let service = (next() * 2.0) as usize;
                    offer(
                        service,
                        m.derived(id(service), &values) * (0.5 + next()) + k as f64 * 0.0,
                    )
                })
                .collect();
            m.stack(&mut offers, &values, &mut Vec::new());
            let headroom = match values[4] {
                Value::Number(c) => 100.0 - c,
                _ => 100.0,
            };
            let total: f64 = offers.iter().map(|o| o.gain).sum();
            assert!(
                total <= headroom + 1e-9,
                "{total} > {headroom}: {values:?} {offers:?}"
            );
            assert!(offers.iter().all(|o| o.gain >= 0.0 && o.gain.is_finite()));
        }
    }

    #[test]
    fn items_average_over_those_rated_with_their_weights() {
        let v = |xs: &[Option<f64>]| -> Vec<Value> {
            xs.iter()
                .map(|x| x.map_or(Value::Missing, Value::Number))
                .collect()
        };
        let equal = [(0, 1.0), (1, 1.0), (2, 1.0)];
        let all = v(&[Some(4.0), Some(2.0), Some(3.0)]);
        assert_eq!(item_mean(&all, &equal), Some(3.0));
        // The item not rated is left out, not counted as 0.
        let one_missing = v(&[Some(4.0), None, Some(3.0)]);
        assert_eq!(item_mean(&one_missing, &equal), Some(3.5));
        assert_eq!(item_mean(&v(&[None, None, None]), &equal), None);
        // Weights 2 : 1 : 1 over (4, 2, 3): (8 + 2 + 3) / 4; without the second, (8 + 3) / 3.
        let weighted = [(0, 2.0), (1, 1.0), (2, 1.0)];
        assert!(close(
            item_mean(&all, &weighted).unwrap_or(f64::NAN),
            13.0 / 4.0
        ));
        assert!(close(
            item_mean(&one_missing, &weighted).unwrap_or(f64::NAN),
            11.0 / 3.0
        ));
        // One item reads as it is; no items is unknown.
        assert_eq!(item_mean(&all, &[(1, 5.0)]), Some(2.0));
        assert_eq!(item_mean(&all, &[]), None);
    }

    #[test]
    fn a_multi_item_perception_sets_the_headroom_and_the_gap() {
        // Perception items 60 and 70 (mean 65, one missing item ignored),
        // expectation items 80 and 70 (mean 75): H = 35, g = 1 + 10/100.
        let mut m = model();
        m.dimensions[0].perception = vec![(1, 1.0), (3, 1.0), (5, 1.0)];
        m.dimensions[0].expectation = vec![(2, 1.0), (6, 1.0)];
        m.dimensions[1].perception = Vec::new();
        let values: Vec<Value> = [0.5, 60.0, 80.0, 70.0, 85.0]
            .iter()
            .map(|&x| Value::Number(x))
            .chain([Value::Missing, Value::Number(70.0)])
            .collect();
        // 0.5 * 1 * 1.1 * min(10, 35) + 0.3 * min(4, 100)
        assert!(close(m.derived(id(0), &values), 5.5 + 1.2));
        let points: Vec<DimensionPoint> = m.dimension_points(&values, &[]).collect();
        assert_eq!(points[0].perception, Some(65.0));
        assert_eq!(points[0].expectation, Some(75.0));
        assert_eq!(points[1].perception, None);
    }
}
