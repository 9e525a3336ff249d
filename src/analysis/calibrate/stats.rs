//! The numerics behind `calibrate`, as pure functions over slices.
//!
//! In: numbers (complete cases only; the caller drops rows with a missing
//! value). Out: fits, fit measures, reliability figures and fuzzy evaluations.
//! Nothing here reads files, knows the catalog or allocates more than a few
//! vectors; every function that can fail on user data returns `Option` or
//! [`FitError`] instead of panicking.
//!
//! - standardisation: `z = (x - mean) / sd`, `sd` the sample standard deviation (n - 1);
//! - [`logistic`]: maximum likelihood by Newton's method (IRLS) with step halving;
//!   standard errors from the inverse Fisher information at the optimum (Wald);
//! - [`ols`]: least squares through the normal equations; standard errors from
//!   `s² (XᵀX)⁻¹`, `s² = SSE / (n - p)`;
//! - [`auc`] (Mann-Whitney, ties count one half), [`accuracy`], [`r_squared`];
//! - [`cronbach`]: alpha, alpha if an item is deleted, corrected item-total correlations;
//! - [`fuzzy_evaluate`]: `B = W ∘ R` with the M(·,+) and M(∧,∨) operators.
//!
//! The linear algebra is a Cholesky factorisation of a small symmetric
//! positive definite matrix (one row and column per dimension, plus the intercept).

use super::linalg::{accumulate, cholesky, invert, mirror, solve};
use serde::Serialize;

/// The 97.5% quantile of the standard normal: 95% intervals are `coef ± Z_95 × se`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FitError {
    /// Fewer rows than parameters (plus one).
    TooFewRows {
        /// Rows given.
        rows: usize,
        /// Rows needed at least.
        needed: usize,
    },
    /// `XᵀX` (or `XᵀWX`) is singular: a column is constant or a combination of others.
    Singular,
    /// Newton's method did not settle: usually the outcome is perfectly
    /// predicted by the ratings (separation), so some coefficient runs to infinity.
    NotConverged {
        /// Iterations done.
        iterations: usize,
    },
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::TooFewRows { rows, needed } => {
                write!(f, "{rows} complete rows, at least {needed} are needed")
            }
            FitError::Singular => write!(
                f,
                "the ratings are linearly dependent (a constant column, or one a combination of others)"
            ),
            FitError::NotConverged { iterations } => write!(
                f,
                "the logistic fit did not converge in {iterations} iterations (the ratings separate the outcome perfectly)"
            ),
        }
    }
}

/// A fitted regression: the intercept first, then one coefficient per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// Intercept, then one coefficient per column of the design.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub coefficients: Vec<f64>,
    /// Standard error of each coefficient (same order).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub std_errors: Vec<f64>,
    /// Newton iterations (logistic) or 1 (least squares).
    pub iterations: usize,
    /// Coefficient of determination on the rows fitted (least squares only).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub r_squared: Option<f64>,
}

impl Fit {
    /// The 95% Wald interval of coefficient `i`: `coef ± 1.96 × se`.
    pub fn interval(&self, i: usize) -> (f64, f64) {
        let c = self.coefficients.get(i).copied().unwrap_or(f64::NAN);
        let se = self.std_errors.get(i).copied().unwrap_or(f64::NAN);
        (c - Z_95 * se, c + Z_95 * se)
    }

    /// The linear predictor `b0 + Σ b_j x_j` for one row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let (intercept, slopes) = self.coefficients.split_first().unwrap_or((&0.0, &[]));
        intercept + slopes.iter().zip(row).map(|(b, x)| b * x).sum::<f64>()
    }
}

/// Mean and sample standard deviation (n - 1); `None` for fewer than two values.
pub fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Some((mean, (ss / (n - 1.0)).sqrt()))
}

/// Pearson's correlation; `None` when either side is constant or too short.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mx, sx) = mean_sd(x)?;
    let (my, sy) = mean_sd(y)?;
    if x.len() != y.len() || sx == 0.0 || sy == 0.0 {
        return None;
    }
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    Some(cov / ((x.len() as f64 - 1.0) * sx * sy))
}

/// Least squares of `y` on an intercept and the `columns` columns of the
/// row-major `x`.
pub fn ols(x: &[f64], columns: usize, y: &[f64]) -> Result<Fit, FitError> {
    let n = y.len();
    let p = columns + 1;
    check_shape(x, columns, n)?;
    let mut xtx = vec![0.0; p * p];
    let mut xty = vec![0.0; p];
    let mut row = vec![1.0; p];
    for (i, &yi) in y.iter().enumerate() {
        row[1..].copy_from_slice(&x[i * columns..(i + 1) * columns]);
        accumulate(&mut xtx, &row, 1.0);
        for (t, r) in xty.iter_mut().zip(&row) {
            *t += r * yi;
        }
    }
    mirror(&mut xtx, p);
    let factor = cholesky(&xtx, p).ok_or(FitError::Singular)?;
    let beta = solve(&factor, p, &xty);
    let mut sse = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let fitted = beta[0]
            + beta[1..]
                .iter()
                .zip(&x[i * columns..(i + 1) * columns])
                .map(|(b, v)| b * v)
                .sum::<f64>();
        sse += (yi - fitted) * (yi - fitted);
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let sst: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let s2 = sse / (n - p) as f64;
    let inverse = invert(&factor, p);
    Ok(Fit {
        std_errors: (0..p).map(|i| (s2 * inverse[i * p + i]).sqrt()).collect(),
        coefficients: beta,
        iterations: 1,
        r_squared: (sst > 0.0).then(|| 1.0 - sse / sst),
    })
}

/// Most Newton steps before giving up.
const MAX_ITERATIONS: usize = 50;

/// Logistic regression of the 0/1 outcome `y` on an intercept and the
/// `columns` columns of the row-major `x`, by Newton's method (IRLS).
pub fn logistic(x: &[f64], columns: usize, y: &[f64]) -> Result<Fit, FitError> {
    logistic_from(x, columns, y, &[])
}

/// [`logistic`] with Newton's method started at `start` (intercept first;
/// zeros where it is short): the same optimum, reached in fewer steps from
/// a nearby fit, as a bootstrap replicate has.
pub fn logistic_from(x: &[f64], columns: usize, y: &[f64], start: &[f64]) -> Result<Fit, FitError> {
    let n = y.len();
    let p = columns + 1;
    check_shape(x, columns, n)?;
    let mut beta: Vec<f64> = (0..p)
        .map(|i| {
            start
                .get(i)
                .copied()
                .filter(|b| b.is_finite())
                .unwrap_or(0.0)
        })
        .collect();
    let mut hessian = vec![0.0; p * p];
    let mut gradient = vec![0.0; p];
    let mut accepted: Option<(Vec<f64>, f64)> = None;
    let mut halvings = 0;
    let mut steps = 0;
    loop {
        let likelihood = newton_pass(x, columns, y, &beta, &mut hessian, &mut gradient);
        // Newton's step can overshoot far from the optimum: go halfway back
        // to the last point until the likelihood does not fall.
        if let Some((last, last_likelihood)) = &accepted
            && likelihood < last_likelihood - 1e-12 * last_likelihood.abs()
        {
            if halvings == 40 {
                break;
            }
            halvings += 1;
            beta = last.iter().zip(&beta).map(|(a, b)| (a + b) / 2.0).collect();
            continue;
        }
        halvings = 0;
        accepted = Some((beta.clone(), likelihood));
        let factor = match cholesky(&hessian, p) {
            Some(factor) => factor,
            // From a zero start every weight is 1/4: a singular matrix means collinear
            // columns (from a warm start, possibly near-separation). Later it means
            // the fitted probabilities reached 0 or 1.
            None if steps == 0 => return Err(FitError::Singular),
            None => break,
        };
        let step = solve(&factor, p, &gradient);
        if step.iter().all(|s| s.abs() < 1e-9) {
            // The information matrix at the optimum gives the standard errors.
            let inverse = invert(&factor, p);
            return Ok(Fit {
                std_errors: (0..p).map(|i| inverse[i * p + i].sqrt()).collect(),
                coefficients: beta.iter().zip(&step).map(|(b, s)| b + s).collect(),
                iterations: steps,
                r_squared: None,
            });
        }
        steps += 1;
        beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
        if steps > MAX_ITERATIONS || beta.iter().any(|b| !b.is_finite() || b.abs() > 1e3) {
            break;
        }
    }
    Err(FitError::NotConverged { iterations: steps })
}

/// One pass over the rows at `beta`: fills the information matrix `XᵀWX` and
/// the score `Xᵀ(y - p)`, and returns the log-likelihood.
fn newton_pass(
    x: &[f64],
    columns: usize,
    y: &[f64],
    beta: &[f64],
    hessian: &mut [f64],
    gradient: &mut [f64],
) -> f64 {
    let p = columns + 1;
    hessian.iter_mut().for_each(|h| *h = 0.0);
    gradient.iter_mut().for_each(|g| *g = 0.0);
    let mut row = vec![1.0; p];
    let mut likelihood = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        row[1..].copy_from_slice(&x[i * columns..(i + 1) * columns]);
        let eta: f64 = beta.iter().zip(&row).map(|(b, v)| b * v).sum();
        // One exponential serves both the probability and log(1 + e^eta).
        let e = (-eta.abs()).exp();
        let prob = if eta >= 0.0 {
            1.0 / (1.0 + e)
        } else {
            e / (1.0 + e)
        };
        likelihood += yi * eta - (eta.max(0.0) + e.ln_1p());
        accumulate(hessian, &row, prob * (1.0 - prob));
        for (g, r) in gradient.iter_mut().zip(&row) {
            *g += r * (yi - prob);
        }
    }
    mirror(hessian, p);
    likelihood
}

/// The logistic function `1 / (1 + e^-t)`.
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

fn check_shape(x: &[f64], columns: usize, n: usize) -> Result<(), FitError> {
    let needed = columns + 2;
    if n < needed {
        return Err(FitError::TooFewRows { rows: n, needed });
    }
    if x.len() != n * columns {
        return Err(FitError::Singular);
    }
    Ok(())
}

/// Area under the ROC curve: the chance that a random positive scores above a
/// random negative, ties counting one half (the Mann-Whitney U with mid-ranks).
/// `None` unless both classes are present.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len().min(labels.len())).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let positives = order.iter().filter(|&&i| labels[i]).count() as f64;
    let negatives = order.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start+1..=end share their mean.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| labels[i]).count();
        rank_sum += mid_rank * tied_positives as f64;
        start = end;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Share of rows whose probability is on the right side of `threshold`
/// (positive at or above it).
pub fn accuracy(probabilities: &[f64], labels: &[bool], threshold: f64) -> Option<f64> {
    if probabilities.is_empty() {
        return None;
    }
    let right = probabilities
        .iter()
        .zip(labels)
        .filter(|(p, l)| (**p >= threshold) == **l)
        .count();
    Some(right as f64 / probabilities.len() as f64)
}

/// `1 - SSE / SST`, with `SST` around the mean of `actual` (so on held-out
/// rows it can be negative: worse than predicting their mean).
pub fn r_squared(predicted: &[f64], actual: &[f64]) -> Option<f64> {
    if actual.len() < 2 || predicted.len() != actual.len() {
        return None;
    }
    let mean = actual.iter().sum::<f64>() / actual.len() as f64;
    let sst: f64 = actual.iter().map(|a| (a - mean) * (a - mean)).sum();
    let sse: f64 = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (a - p) * (a - p))
        .sum();
    (sst > 0.0).then(|| 1.0 - sse / sst)
}

/// Internal consistency of a set of items (rated on the same respondents).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    /// Cronbach's alpha: `k/(k-1) × (1 - Σ var(item) / var(total))`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub alpha: f64,
    /// Per item: alpha of the other items, and the corrected item-total
    /// correlation (the item against the sum of the other items).
    pub items: Vec<ItemReliability>,
}

/// One item's figures in a [`Reliability`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemReliability {
    /// Alpha of the set without this item (`None` with fewer than three items).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub alpha_if_deleted: Option<f64>,
    /// Correlation of the item with the sum of the other items.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub item_total: Option<f64>,
}

/// Cronbach's alpha of `items` (one slice per item, all the same length);
/// `None` with fewer than two items or two rows, or when the total is constant.
pub fn cronbach(items: &[&[f64]]) -> Option<Reliability> {
    let k = items.len();
    let n = items.first()?.len();
    if k < 2 || n < 2 || items.iter().any(|i| i.len() != n) {
        return None;
    }
    // The covariance matrix gives every alpha-if-deleted without another pass.
    let means: Vec<f64> = items
        .iter()
        .map(|i| i.iter().sum::<f64>() / n as f64)
        .collect();
    let mut cov = vec![0.0; k * k];
    let mut deviation = vec![0.0; k];
    for row in 0..n {
        for ((d, item), mean) in deviation.iter_mut().zip(items).zip(&means) {
            *d = item[row] - mean;
        }
        for a in 0..k {
            for b in 0..=a {
                cov[a * k + b] += deviation[a] * deviation[b];
            }
        }
    }
    mirror(&mut cov, k);
    cov.iter_mut().for_each(|c| *c /= n as f64 - 1.0);
    let alpha_of = |keep: &dyn Fn(usize) -> bool| -> Option<f64> {
        let kept: Vec<usize> = (0..k).filter(|&i| keep(i)).collect();
        let m = kept.len() as f64;
        let variances: f64 = kept.iter().map(|&i| cov[i * k + i]).sum();
        let total: f64 = kept
            .iter()
            .flat_map(|&a| kept.iter().map(move |&b| (a, b)))
            .map(|(a, b)| cov[a * k + b])
            .sum();
        (m >= 2.0 && total > 0.0).then(|| m / (m - 1.0) * (1.0 - variances / total))
    };
    let alpha = alpha_of(&|_| true)?;
    let items = (0..k)
        .map(|d| {
            let rest_variance: f64 = (0..k)
                .filter(|&a| a != d)
                .flat_map(|a| (0..k).filter(move |&b| b != d).map(move |b| (a, b)))
                .map(|(a, b)| cov[a * k + b])
                .sum();
            let with_rest: f64 = (0..k).filter(|&b| b != d).map(|b| cov[d * k + b]).sum();
            let denominator = (cov[d * k + d] * rest_variance).sqrt();
            ItemReliability {
                alpha_if_deleted: if k >= 3 { alpha_of(&|i| i != d) } else { None },
                item_total: (denominator > 0.0).then(|| with_rest / denominator),
            }
        })
        .collect();
    Some(Reliability { alpha, items })
}

/// The usual reading of an alpha (George & Mallery's rule of thumb).
pub fn alpha_reading(alpha: f64) -> &'static str {
    match alpha {
        a if a >= 0.9 => "excellent",
        a if a >= 0.8 => "good",
        a if a >= 0.7 => "acceptable",
        a if a >= 0.6 => "questionable",
        a if a >= 0.5 => "poor",
        _ => "unacceptable",
    }
}

/// The membership matrix R of a fuzzy evaluation: row `i` is the share of
/// dimension `i`'s ratings equal to each grade (ratings that are no grade
/// are ignored). A dimension with no rating has a row of zeros.
pub fn membership(ratings: &[Vec<f64>], grades: &[f64]) -> Vec<Vec<f64>> {
    ratings
        .iter()
        .map(|values| {
            let mut counts = vec![0.0; grades.len()];
            for v in values {
                if let Some(g) = grades.iter().position(|g| g == v) {
                    counts[g] += 1.0;
                }
            }
            let total: f64 = counts.iter().sum();
            if total > 0.0 {
                counts.iter_mut().for_each(|c| *c /= total);
            }
            counts
        })
        .collect()
}

/// One operator's result in a fuzzy comprehensive evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuzzyResult {
    /// `B`, normalised to sum 1, one membership per grade.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub memberships: Vec<f64>,
    /// The grade of largest membership (the maximum membership principle);
    /// `None` when several grades share it, so the principle decides nothing.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub grade: Option<f64>,
    /// `Σ_j b_j × grade_j` with the normalised `B`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub score: f64,
}

/// A fuzzy comprehensive evaluation with both composition operators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuzzyEvaluation {
    /// M(·,+), the weighted average: `b_j = Σ_i w_i r_ij`.
    pub weighted_average: FuzzyResult,
    /// M(∧,∨), max-min: `b_j = max_i min(w_i, r_ij)`.
    pub max_min: FuzzyResult,
}

/// `B = W ∘ R` with both operators; `None` when the shapes disagree or B is all zero.
pub fn fuzzy_evaluate(
    weights: &[f64],
    membership: &[Vec<f64>],
    grades: &[f64],
) -> Option<FuzzyEvaluation> {
    if weights.len() != membership.len() || membership.iter().any(|r| r.len() != grades.len()) {
        return None;
    }
    let column = |j: usize| weights.iter().zip(membership).map(move |(w, r)| (*w, r[j]));
    let average: Vec<f64> = (0..grades.len())
        .map(|j| column(j).map(|(w, r)| w * r).sum())
        .collect();
    let max_min: Vec<f64> = (0..grades.len())
        .map(|j| column(j).map(|(w, r)| w.min(r)).fold(0.0, f64::max))
        .collect();
    Some(FuzzyEvaluation {
        weighted_average: conclude(average, grades)?,
        max_min: conclude(max_min, grades)?,
    })
}

fn conclude(b: Vec<f64>, grades: &[f64]) -> Option<FuzzyResult> {
    let total: f64 = b.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let memberships: Vec<f64> = b.iter().map(|v| v / total).collect();
    let largest = memberships.iter().copied().fold(0.0, f64::max);
    let top: Vec<usize> = (0..memberships.len())
        .filter(|&j| memberships[j] >= largest - 1e-9)
        .collect();
    Some(FuzzyResult {
        grade: match top[..] {
            [only] => grades.get(only).copied(),
            _ => None,
        },
        score: memberships.iter().zip(grades).map(|(m, g)| m * g).sum(),
        memberships,
    })
}

/// A number in [0, 1) from a key and a seed (SplitMix64), for a holdout split
/// that is the same on every run and every machine.
pub fn split_hash(key: u64, seed: u64) -> f64 {
    let mut z = key ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a of a text, the key [`split_hash`] uses for a row id.
pub fn text_key(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn least_squares_recovers_an_exact_line_and_its_r_squared() {
        // y = 1 + 2 x1 - x2 exactly, then a noisy point.
        let x = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0];
        let y: Vec<f64> = x.chunks(2).map(|r| 1.0 + 2.0 * r[0] - r[1]).collect();
        let fit = ols(&x, 2, &y).unwrap();
        for (got, want) in fit.coefficients.iter().zip([1.0, 2.0, -1.0]) {
            assert!(close(*got, want, 1e-9), "{fit:?}");
        }
        assert!(close(fit.r_squared.unwrap(), 1.0, 1e-12));
        // Simple regression by hand: x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6,
        // intercept 2.2, SSE 2.4, s² = 0.8, se(slope) = sqrt(0.8 / 10).
        let fit = ols(&[1.0, 2.0, 3.0, 4.0, 5.0], 1, &[2.0, 4.0, 5.0, 4.0, 5.0]).unwrap();
        assert!(close(fit.coefficients[1], 0.6, 1e-12) && close(fit.coefficients[0], 2.2, 1e-12));
        assert!(close(fit.std_errors[1], (0.08f64).sqrt(), 1e-12));
        assert!(close(fit.r_squared.unwrap(), 0.6, 1e-12));
    }

    #[test]
    fn logistic_matches_a_hand_checked_fit() {
        // One binary predictor: the MLE reproduces the two group log-odds, and
        // the Wald variances are 1/(n p (1-p)) summed per group:
        // x=0: 1 of 4 positive, x=1: 3 of 4 positive.
        let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let fit = logistic(&x, 1, &y).unwrap();
        let logit = |p: f64| (p / (1.0 - p)).ln();
        assert!(close(fit.coefficients[0], logit(0.25), 1e-8), "{fit:?}");
        assert!(close(fit.coefficients[1], logit(0.75) - logit(0.25), 1e-8));
        let var0: f64 = 1.0 / (4.0 * 0.25 * 0.75);
        assert!(close(fit.std_errors[0], var0.sqrt(), 1e-8));
        assert!(close(fit.std_errors[1], (2.0 * var0).sqrt(), 1e-8));
        let (low, high) = fit.interval(1);
        assert!(close(high - low, 2.0 * Z_95 * fit.std_errors[1], 1e-12));
    }

    #[test]
    fn a_warm_start_reaches_the_same_optimum() {
        // Two predictors, twelve rows, no separation.
        let x = [
            0.1, 1.0, -0.4, 0.2, 1.3, -0.7, 0.8, 0.5, -1.1, 0.9, 0.3, -0.2, -0.6, 1.4, 1.7, 0.0,
            -0.9, -1.3, 0.4, 0.6, 1.1, -0.5, -0.3, 0.8,
        ];
        let y = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let cold = logistic(&x, 2, &y).unwrap();
        let warm = logistic_from(&x, 2, &y, &[1.0, -2.0, 3.0]).unwrap();
        for (a, b) in cold.coefficients.iter().zip(&warm.coefficients) {
            assert!(close(*a, *b, 1e-8), "{cold:?} {warm:?}");
        }
        // A start too short, or not finite, is filled with zeros.
        let odd = logistic_from(&x, 2, &y, &[f64::NAN]).unwrap();
        assert!(close(odd.coefficients[2], cold.coefficients[2], 1e-8));
    }

    #[test]
    fn separation_and_collinearity_are_errors_not_panics() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert!(matches!(
            logistic(&x, 1, &y),
            Err(FitError::NotConverged { .. })
        ));
        let twice = [1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0];
        assert_eq!(
            ols(&twice, 2, &[1.0, 2.0, 3.0, 5.0]),
            Err(FitError::Singular)
        );
        assert!(matches!(
            ols(&[1.0], 1, &[1.0]),
            Err(FitError::TooFewRows { rows: 1, needed: 3 })
        ));
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(auc(&[1.0, 1.0], &[true, false]), Some(0.5));
        // 2 positives, 2 negatives, one tie between classes: (3 + 0.5) / 4.
        assert_eq!(
            auc(&[0.2, 0.5, 0.5, 0.9], &[false, false, true, true]),
            Some(0.875)
        );
        assert_eq!(auc(&[0.2], &[true]), None);
        assert_eq!(
            accuracy(&[0.2, 0.6, 0.5], &[false, false, true], 0.5),
            Some(2.0 / 3.0)
        );
        assert!(close(
            r_squared(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0]).unwrap(),
            1.0 - 1.0 / (14.0 / 3.0),
            1e-12
        ));
    }

    #[test]
    fn cronbach_of_identical_items_is_one_and_of_two_items_matches_the_formula() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let r = cronbach(&[&a, &a, &a]).unwrap();
        assert!(close(r.alpha, 1.0, 1e-12));
        assert!(close(r.items[0].item_total.unwrap(), 1.0, 1e-12));
        // Two items: alpha = 2 cov / (var1 + var2 + 2 cov) = 4 r / (2 + 2 r) for equal variances.
        let b = [2.0, 1.0, 4.0, 3.0];
        let rho = pearson(&a, &b).unwrap();
        let r = cronbach(&[&a, &b]).unwrap();
        assert!(close(r.alpha, 2.0 * rho / (1.0 + rho), 1e-12), "{r:?}");
        assert_eq!(r.items[0].alpha_if_deleted, None);
        assert_eq!(cronbach(&[&a]), None);
        assert_eq!(alpha_reading(0.72), "acceptable");
    }

    #[test]
    fn fuzzy_operators_on_a_small_matrix() {
        let w = [0.6, 0.4];
        let r = vec![vec![0.5, 0.5, 0.0], vec![0.0, 0.25, 0.75]];
        let e = fuzzy_evaluate(&w, &r, &[1.0, 2.0, 3.0]).unwrap();
        // M(·,+): (0.3, 0.4, 0.3), already summing to 1.
        assert_eq!(e.weighted_average.grade, Some(2.0));
        assert!(close(e.weighted_average.score, 2.0, 1e-12));
        // M(∧,∨): (max(0.5, 0), max(0.5, 0.25), max(0, 0.4)) = (0.5, 0.5, 0.4) / 1.4.
        assert!(close(e.max_min.memberships[2], 0.4 / 1.4, 1e-12));
        // Grades 1 and 2 tie: the maximum membership principle decides nothing.
        assert_eq!(e.max_min.grade, None);
        assert_eq!(
            membership(&[vec![1.0, 2.0, 2.0, 7.0]], &[1.0, 2.0]),
            vec![vec![1.0 / 3.0, 2.0 / 3.0]]
        );
    }

    #[test]
    fn the_split_hash_is_uniform_enough_and_stable() {
        let share = (0..10_000u64).filter(|&k| split_hash(k, 1) < 0.2).count();
        assert!((1_850..=2_150).contains(&share), "{share}");
        assert_eq!(split_hash(42, 7), split_hash(42, 7));
        assert_ne!(text_key("a"), text_key("b"));
    }
}
