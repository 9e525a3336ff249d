//! The analytic hierarchy process: dimension weights from pairwise comparisons.
//!
//! In: a reciprocal comparison matrix (`a[i][j]` says how much more dimension
//! `i` matters than `j`, on Saaty's 1-9 scale). Out: the weights (the principal
//! eigenvector, normalised to sum to 1), the principal eigenvalue, the
//! consistency index CI = (λmax - n) / (n - 1), the consistency ratio
//! CR = CI / RI with Saaty's random index, and the comparison that deviates
//! most from the derived weights.

/// Saaty's random consistency index for n = 1..=15 (T. L. Saaty, *The
/// Analytic Hierarchy Process*, McGraw-Hill, 1980): the mean CI of random
/// reciprocal matrices of that size. It stops at 15, and so do dimensions.
pub const RANDOM_INDEX: [f64; 15] = [
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
];

/// The usual threshold: a matrix with CR at or above it is too inconsistent.
pub const MAX_CONSISTENCY_RATIO: f64 = 0.10;

/// The result of an AHP weighting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AhpResult {
    /// Weights, summing to 1, in the order of the matrix rows.
    pub weights: Vec<f64>,
    /// Principal eigenvalue.
    pub lambda_max: f64,
    /// Consistency index.
    pub consistency_index: f64,
    /// Consistency ratio (0 for n <= 2, which are always consistent).
    pub consistency_ratio: f64,
    /// The comparison `(i, j)` whose judgement deviates most from the weights,
    /// with the factor by which it deviates (1 means perfectly consistent).
    pub most_inconsistent: Option<(usize, usize, f64)>,
}

/// What is wrong with a comparison matrix.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AhpError {
    /// Not square, or larger than the random index covers.
    Shape(String),
    /// A judgement is not a positive finite number.
    NotPositive(usize, usize),
    /// `a[i][j] * a[j][i]` is not 1.
    NotReciprocal(usize, usize),
    /// The diagonal is not 1.
    Diagonal(usize),
}

/// A consistency ratio as text, with as many decimals as it takes (3 at
/// least) for the text to be on the same side of
/// [`MAX_CONSISTENCY_RATIO`] as the value, and not equal to it unless the
/// value is: 0.0999 is not shown as "0.100" next to "below 0.10", nor
/// 0.1003 as "0.100" in a refusal.
pub fn ratio_text(ratio: f64) -> String {
    let accepted = ratio < MAX_CONSISTENCY_RATIO;
    for decimals in 3..=17 {
        let text = format!("{ratio:.decimals$}");
        let shown: f64 = text.parse().unwrap_or(ratio);
        let at_threshold = shown == MAX_CONSISTENCY_RATIO && ratio != MAX_CONSISTENCY_RATIO;
        if (shown < MAX_CONSISTENCY_RATIO) == accepted && !at_threshold {
            return text;
        }
    }
    format!("{ratio}")
}

/// Whether a judgement is on Saaty's 1-9 scale: a whole number from 1 to 9,
/// or the reciprocal of one.
pub fn on_saaty_scale(judgement: f64) -> bool {
    let larger = judgement.max(1.0 / judgement);
    (1.0..=9.0).contains(&larger) && (larger - larger.round()).abs() < 1e-6
}

/// Weights from a comparison matrix.
pub fn weights(matrix: &[Vec<f64>]) -> Result<AhpResult, AhpError> {
    let n = matrix.len();
    if n == 0 || n > RANDOM_INDEX.len() {
        return Err(AhpError::Shape(format!(
            "the matrix must have 1 to {} rows, not {n}",
            RANDOM_INDEX.len()
        )));
    }
    if let Some(i) = matrix.iter().position(|row| row.len() != n) {
        return Err(AhpError::Shape(format!(
            "row {} has {} entries, but there are {n} rows",
            i + 1,
            matrix[i].len()
        )));
    }
    for (i, row) in matrix.iter().enumerate() {
        for (j, &a) in row.iter().enumerate() {
            if !(a.is_finite() && a > 0.0) {
                return Err(AhpError::NotPositive(i, j));
            }
            if i == j && (a - 1.0).abs() > 1e-9 {
                return Err(AhpError::Diagonal(i));
            }
            let back = matrix[j][i];
            if (a * back - 1.0).abs() > 1e-3 {
                return Err(AhpError::NotReciprocal(i, j));
            }
        }
    }

    // Power iteration: the matrix is positive, so it converges to the
    // principal eigenvector (Perron-Frobenius).
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..1000 {
        let mut next: Vec<f64> = matrix
            .iter()
            .map(|row| row.iter().zip(&w).map(|(a, x)| a * x).sum())
            .collect();
        let sum: f64 = next.iter().sum();
        next.iter_mut().for_each(|x| *x /= sum);
        let change: f64 = next.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum();
        w = next;
        if change < 1e-15 {
            break;
        }
    }
    let lambda_max = matrix
        .iter()
        .zip(&w)
        .map(|(row, wi)| row.iter().zip(&w).map(|(a, x)| a * x).sum::<f64>() / wi)
        .sum::<f64>()
        / n as f64;
    let consistency_index = if n > 2 {
        ((lambda_max - n as f64) / (n as f64 - 1.0)).max(0.0)
    } else {
        0.0
    };
    let consistency_ratio = if n > 2 {
        consistency_index / RANDOM_INDEX[n - 1]
    } else {
        0.0
    };
    let mut most_inconsistent: Option<(usize, usize, f64)> = None;
    for i in 0..n {
        for j in (i + 1)..n {
            let ratio = matrix[i][j] * w[j] / w[i];
            let deviation = ratio.max(1.0 / ratio);
            if deviation > 1.0 + 1e-9 && most_inconsistent.is_none_or(|(_, _, d)| deviation > d) {
                most_inconsistent = Some((i, j, deviation));
            }
        }
    }
    Ok(AhpResult {
        weights: w,
        lambda_max,
        consistency_index,
        consistency_ratio,
        most_inconsistent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// The textbook three-criteria example found in most AHP tutorials:
    /// weights 0.637 / 0.258 / 0.105, λmax 3.039, CR 0.033.
    #[test]
    fn published_three_by_three_example() {
        let m = vec![
            vec![1.0, 3.0, 5.0],
            vec![1.0 / 3.0, 1.0, 3.0],
            vec![0.2, 1.0 / 3.0, 1.0],
        ];
        let r = weights(&m).unwrap();
        assert!(close(r.weights[0], 0.637, 0.001), "{r:?}");
        assert!(close(r.weights[1], 0.258, 0.001), "{r:?}");
        assert!(close(r.weights[2], 0.105, 0.001), "{r:?}");
        assert!(close(r.lambda_max, 3.039, 0.001), "{r:?}");
        assert!(close(r.consistency_ratio, 0.033, 0.001), "{r:?}");
    }

    #[test]
    fn a_consistent_matrix_has_zero_ratio_and_exact_weights() {
        // Built from weights 4:2:1:1, so every judgement is consistent.
        let w = [4.0, 2.0, 1.0, 1.0];
        let m: Vec<Vec<f64>> = w
            .iter()
            .map(|a| w.iter().map(|b| a / b).collect())
            .collect();
        let r = weights(&m).unwrap();
        assert!(close(r.consistency_ratio, 0.0, 1e-9));
        assert!(close(r.weights[0], 0.5, 1e-9) && close(r.weights[2], 0.125, 1e-9));
        assert_eq!(r.most_inconsistent, None);
    }

    #[test]
    fn an_inconsistent_matrix_names_the_worst_judgement() {
        // A > B, B > C, but C much more important than A.
        let m = vec![
            vec![1.0, 3.0, 1.0 / 5.0],
            vec![1.0 / 3.0, 1.0, 3.0],
            vec![5.0, 1.0 / 3.0, 1.0],
        ];
        let r = weights(&m).unwrap();
        assert!(r.consistency_ratio >= MAX_CONSISTENCY_RATIO, "{r:?}");
        let (i, j, _) = r.most_inconsistent.unwrap();
        assert!((i, j) == (0, 2) || (i, j) == (0, 1) || (i, j) == (1, 2));
    }

    #[test]
    fn malformed_matrices_are_refused() {
        assert_eq!(
            weights(&[vec![1.0, 2.0], vec![0.4, 1.0]]),
            Err(AhpError::NotReciprocal(0, 1))
        );
        assert_eq!(weights(&[vec![2.0]]), Err(AhpError::Diagonal(0)));
        assert_eq!(
            weights(&[vec![1.0, -1.0], vec![-1.0, 1.0]]),
            Err(AhpError::NotPositive(0, 1))
        );
        assert!(matches!(
            weights(&[vec![1.0, 2.0]]),
            Err(AhpError::Shape(_))
        ));
        assert_eq!(weights(&[vec![1.0]]).unwrap().weights, vec![1.0]);
    }

    #[test]
    fn ratio_text_never_contradicts_the_decision() {
        assert_eq!(ratio_text(0.033), "0.033");
        assert_eq!(ratio_text(0.0999), "0.0999");
        assert_eq!(ratio_text(0.1003), "0.1003");
        assert_eq!(ratio_text(0.09999999), "0.09999999");
        assert_eq!(ratio_text(0.1), "0.100");
        for ratio in [0.0995, 0.09996, 0.100004, 0.1049] {
            let shown: f64 = ratio_text(ratio).parse().unwrap();
            assert_eq!(
                shown < MAX_CONSISTENCY_RATIO,
                ratio < MAX_CONSISTENCY_RATIO,
                "{ratio}"
            );
        }
    }

    #[test]
    fn saaty_scale_is_whole_numbers_to_nine_and_their_reciprocals() {
        for on in [1.0, 3.0, 9.0, 1.0 / 3.0, 1.0 / 9.0, 0.2] {
            assert!(on_saaty_scale(on), "{on}");
        }
        for off in [2.5, 20.0, 0.4, 1.0 / 20.0, 10.0] {
            assert!(!on_saaty_scale(off), "{off}");
        }
    }
}
