//! Bootstrap percentile intervals of the coefficients and the weights.
//!
//! In: the training rows of the overall fit, its [`Design`] and
//! coefficients, a number of replicates and a seed. Out: per coefficient and
//! per weight, the 2.5% and 97.5% quantiles over the replicates.
//!
//! A replicate draws as many rows as were fitted, with replacement, and
//! repeats the whole estimate on them: the standardisation (so the interval
//! carries the uncertainty of the standard deviations too), the fit and the
//! weights. The indicator columns stay those of the overall fit, so every
//! replicate estimates the same coefficients. Newton's method starts from the
//! overall fit's coefficients, which only saves iterations: the optimum is
//! the same. Replicates run in parallel; each draws from its own generator
//! made from (seed, replicate number), and the results are gathered in
//! replicate order, so the intervals do not depend on the thread count.

use super::design::Design;
use super::fit::positive_share;
use super::random::{Random, quantile};
use super::stats;
use super::survey::{OutcomeKind, Survey};
use rayon::prelude::*;

/// Most replicates `--bootstrap` may ask for: each is a full fit.
pub const MAX_REPLICATES: usize = 10_000;

/// What the replicates gave.
pub(super) struct Intervals {
    /// Per coefficient after the intercept (ratings, then indicators).
    pub coefficients: Vec<Option<(f64, f64)>>,
    /// Per rating's weight.
    pub weights: Vec<Option<(f64, f64)>>,
    /// Replicates whose fit failed (a constant column in the sample, separation).
    pub failed: usize,
}

/// Runs `replicates` bootstrap fits over `rows` and returns 95% percentile intervals.
pub(super) fn intervals(
    survey: &Survey,
    rows: &[usize],
    design: &Design,
    kind: OutcomeKind,
    start: &[f64],
    (replicates, seed): (usize, u64),
) -> Intervals {
    let k = design.scale.len();
    let columns = design.columns();
    let estimates: Vec<Option<Vec<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|b| {
            let mut random = Random::for_replicate(seed, b as u64);
            let sample: Vec<usize> = (0..rows.len())
                .map(|_| rows[random.below(rows.len())])
                .collect();
            let design = design.rescaled(survey, &sample).ok()?;
            let x = design.matrix(survey, &sample);
            let y: Vec<f64> = sample.iter().map(|&r| survey.outcome[r]).collect();
            let fit = match kind {
                OutcomeKind::Binary => stats::logistic_from(&x, columns, &y, start),
                OutcomeKind::Numeric => stats::ols(&x, columns, &y),
            }
            .ok()?;
            Some(fit.coefficients[1..].to_vec())
        })
        .collect();
    let done: Vec<&Vec<f64>> = estimates.iter().flatten().collect();
    let interval = |values: Vec<f64>| -> Option<(f64, f64)> {
        let mut values = values;
        if values.len() < 2 {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some((quantile(&values, 0.025)?, quantile(&values, 0.975)?))
    };
    let weights: Vec<Vec<f64>> = done.iter().map(|c| positive_share(&c[..k])).collect();
    Intervals {
        coefficients: (0..columns)
            .map(|j| interval(done.iter().map(|c| c[j]).collect()))
            .collect(),
        weights: (0..k)
            .map(|i| interval(weights.iter().map(|w| w[i]).collect()))
            .collect(),
        failed: replicates - done.len(),
    }
}
