//! The little linear algebra the fits need, by hand: symmetric matrices of
//! one row and column per dimension plus the intercept (k ≤ about 20), stored
//! row-major in a flat slice. Cholesky factorisation, solving, inverting.

/// Adds `weight × row rowᵀ` to the lower triangle of `matrix`.
pub(super) fn accumulate(matrix: &mut [f64], row: &[f64], weight: f64) {
    let p = row.len();
    for a in 0..p {
        let wa = weight * row[a];
        let line = &mut matrix[a * p..a * p + a + 1];
        for (cell, rb) in line.iter_mut().zip(&row[..=a]) {
            *cell += wa * rb;
        }
    }
}

pub(super) fn mirror(matrix: &mut [f64], p: usize) {
    for a in 0..p {
        for b in 0..a {
            matrix[b * p + a] = matrix[a * p + b];
        }
    }
}

/// The lower triangular `L` with `L Lᵀ = matrix`, or `None` when the matrix
/// is not (numerically) positive definite.
pub(super) fn cholesky(matrix: &[f64], p: usize) -> Option<Vec<f64>> {
    let largest = (0..p).map(|i| matrix[i * p + i].abs()).fold(0.0, f64::max);
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * p + k] * l[j * p + k]).sum();
            let value = matrix[i * p + j] - dot;
            if i == j {
                if value.is_nan() || value <= 1e-10 * largest.max(f64::MIN_POSITIVE) {
                    return None;
                }
                l[i * p + i] = value.sqrt();
            } else {
                l[i * p + j] = value / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b`.
pub(super) fn solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; p];
    for i in 0..p {
        let dot: f64 = (0..i).map(|k| l[i * p + k] * y[k]).sum();
        y[i] = (b[i] - dot) / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let dot: f64 = (i + 1..p).map(|k| l[k * p + i] * x[k]).sum();
        x[i] = (y[i] - dot) / l[i * p + i];
    }
    x
}

/// `(L Lᵀ)⁻¹`, column by column.
pub(super) fn invert(l: &[f64], p: usize) -> Vec<f64> {
    let mut inverse = vec![0.0; p * p];
    let mut unit = vec![0.0; p];
    for j in 0..p {
        unit.iter_mut().for_each(|u| *u = 0.0);
        unit[j] = 1.0;
        for (i, v) in solve(l, p, &unit).into_iter().enumerate() {
            inverse[i * p + j] = v;
        }
    }
    inverse
}
