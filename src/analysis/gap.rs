//! The SERVQUAL gap index of a dry-run: perception minus expectation per
//! dimension, and their weighted mean, over everyone and per segment.
//!
//! In: a finished [`Tally`] (its gap sums) and the engine's model. Out: a
//! [`GapIndex`], or none when no dimension has expectation items (there is
//! no gap to speak of, and zeros would read as "exactly as expected").
//!
//! Per dimension `d` over the customers with both a perception `P` and an
//! expectation `E` on it (each the mean of its items rated): `gap_d = mean(P)
//! − mean(E)`; after the offers, the points they close on `d` are added to
//! `P`. The index is `Σ w_d gap_d / Σ w_d` over the dimensions with a gap in
//! the group, with the model weights `w_d`: the weighted SERVQUAL score,
//! in points of the scale, whatever share of the weight those dimensions
//! carry (reported as `weight_covered`).

use crate::analysis::tally::{GapTally, Tally};
use crate::base::number::round4;
use crate::engine::Engine;
use serde::Serialize;

/// The gap index of a dry-run.
#[derive(Debug, Clone, Serialize)]
pub struct GapIndex {
    /// The dimensions with expectation items, in model order.
    pub dimensions: Vec<GapDimension>,
    /// Over every evaluated customer.
    pub overall: GapGroup,
    /// Per segment, in declaration order.
    pub segments: Vec<GapGroup>,
}

/// A dimension that has a gap.
#[derive(Debug, Clone, Serialize)]
pub struct GapDimension {
    /// Dimension id.
    pub dimension: String,
    /// Display name.
    pub name: String,
    /// Model weight.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight: f64,
}

/// The gaps of one group of customers.
#[derive(Debug, Clone, Serialize)]
pub struct GapGroup {
    /// `all`, or the segment's name.
    pub segment: String,
    /// Per dimension of [`GapIndex::dimensions`], in that order.
    pub dimensions: Vec<GapCell>,
    /// `Σ w_d gap_d / Σ w_d` over the dimensions with a gap here (None when
    /// nobody in the group has one).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub index: Option<f64>,
    /// The same with the offers' points added to the perceptions.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub index_after: Option<f64>,
    /// Share of the model's weight the index covers: the weights of the
    /// dimensions with a gap here.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight_covered: f64,
}

/// One dimension's gap over one group.
#[derive(Debug, Clone, Serialize)]
pub struct GapCell {
    /// Dimension id.
    pub dimension: String,
    /// Customers with both a perception and an expectation on it.
    pub rated: u64,
    /// Their mean perception (None when nobody is rated).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub perception: Option<f64>,
    /// Their mean expectation.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub expectation: Option<f64>,
    /// Mean perception minus mean expectation: below 0, below expectation.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gap: Option<f64>,
    /// The gap with the offers' points added to the perceptions.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub gap_after: Option<f64>,
}

impl GapIndex {
    /// The gap index of a tally; None when the model has no expectation items.
    pub(crate) fn new(engine: &Engine, tally: &Tally) -> Option<GapIndex> {
        let model = engine.model()?;
        if tally.gaps.is_empty() || tally.gaps.len() != model.dimensions.len() {
            return None;
        }
        let with_gap: Vec<usize> = model
            .dimensions
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.expectation_items().is_empty())
            .map(|(i, _)| i)
            .collect();
        let n = model.dimensions.len();
        let group = |segment: String, tallies: &[GapTally]| {
            let mut cells = Vec::with_capacity(with_gap.len());
            let (mut weights, mut index, mut after) = (0.0, 0.0, 0.0);
            for &d in &with_gap {
                let t = tallies.get(d).cloned().unwrap_or_default();
                let dimension = &model.dimensions[d];
                let mean = |sum: f64| (t.rated > 0).then(|| sum / t.rated as f64);
                let (p, e, closed) = (
                    mean(t.perception.value()),
                    mean(t.expectation.value()),
                    mean(t.closed.value()),
                );
                let gap = p.zip(e).map(|(p, e)| p - e);
                let gap_after = gap.zip(closed).map(|(g, c)| g + c);
                if let (Some(g), Some(a)) = (gap, gap_after) {
                    weights += dimension.weight;
                    index += dimension.weight * g;
                    after += dimension.weight * a;
                }
                cells.push(GapCell {
                    dimension: dimension.id.clone(),
                    rated: t.rated,
                    perception: p.map(round4),
                    expectation: e.map(round4),
                    gap: gap.map(round4),
                    gap_after: gap_after.map(round4),
                });
            }
            let weighted = |sum: f64| (weights > 0.0).then(|| round4(sum / weights));
            GapGroup {
                segment,
                dimensions: cells,
                index: weighted(index),
                index_after: weighted(after),
                weight_covered: round4(weights),
            }
        };
        Some(GapIndex {
            dimensions: with_gap
                .iter()
                .map(|&d| {
                    let dimension = &model.dimensions[d];
                    GapDimension {
                        dimension: dimension.id.clone(),
                        name: dimension.name.clone(),
                        weight: round4(dimension.weight),
                    }
                })
                .collect(),
            overall: group("all".into(), &tally.gaps),
            segments: engine
                .segment_ids()
                .map(|id| {
                    let start = id.index() * n;
                    let tallies = tally.segment_gaps.get(start..start + n).unwrap_or(&[]);
                    group(engine.segment_name(id).to_string(), tallies)
                })
                .collect(),
        })
    }
}
