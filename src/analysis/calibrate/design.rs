//! The design matrix of a fit: which rows take part, and what a rating that
//! was not rated becomes.
//!
//! In: a survey, a list of row numbers (repeats allowed, as a bootstrap
//! sample has them) and a [`NotRated`] method. Out: a [`Design`] holding the
//! standardisation and the not-rated indicators chosen on those rows, which
//! then turns any rows (training or held out) into a row-major matrix of
//! `k` standardised ratings followed by one 0/1 column per indicator.

use super::error::CalibrationError;
use super::stats::{self, FitError};
use super::survey::{OutcomeKind, Survey};
use serde::Serialize;

/// What a fit does with a rating that is not rated (or blank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotRated {
    /// Listwise deletion: a row with any rating not rated is left out.
    #[default]
    Drop,
    /// The rating counts at its training mean (z = 0), and each item that
    /// is not rated often enough gets a 0/1 "not rated" column of its own.
    Indicator,
    /// The rating counts at its training mean (z = 0), without indicators:
    /// for comparison, since it treats "not rated" as "average".
    Impute,
}

impl NotRated {
    /// The method's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            NotRated::Drop => "drop",
            NotRated::Indicator => "indicator",
            NotRated::Impute => "impute",
        }
    }
}

/// Fewest training rows with an item not rated for the item to get an
/// indicator; below it the item is only imputed at its mean. An indicator on
/// a handful of rows is a coefficient fitted to those rows alone, and on one
/// row it runs to infinity.
pub const MIN_INDICATOR_ROWS: usize = 30;

/// Fewest rows of each outcome (binary) among those not rating the item: an
/// indicator whose rows all share one outcome separates it, and the
/// logistic fit does not converge (nor would a bootstrap sample of them).
pub const MIN_INDICATOR_CLASS: usize = 5;

/// How rows become a matrix, fixed on the training rows of one fit.
#[derive(Debug, Clone)]
pub(super) struct Design {
    pub method: NotRated,
    /// Per dimension: mean and sample sd of its rated values.
    pub scale: Vec<(f64, f64)>,
    /// Per indicator column, the first dimension it stands for.
    pub indicators: Vec<usize>,
    /// Per dimension, its indicator column, if any. Items left unrated on
    /// exactly the same training rows (a skipped block of questions) share
    /// one column: two equal columns would make the fit singular.
    pub column_of: Vec<Option<usize>>,
    /// Per dimension: training rows where it is not rated.
    pub not_rated: Vec<usize>,
}

impl Design {
    /// Whether a row takes part in a fit (or its held-out measures).
    pub fn uses(method: NotRated, survey: &Survey, r: usize) -> bool {
        survey.outcome[r].is_finite()
            && (method != NotRated::Drop || survey.ratings.iter().all(|x| x[r].is_finite()))
    }

    /// Standardisation and indicators from `rows`, which must all be usable.
    pub fn new(
        survey: &Survey,
        rows: &[usize],
        method: NotRated,
        kind: OutcomeKind,
    ) -> Result<Design, CalibrationError> {
        let scale = scale_of(survey, rows)?;
        let mut not_rated = Vec::with_capacity(scale.len());
        let mut indicators = Vec::new();
        let mut column_of = Vec::with_capacity(scale.len());
        let mut patterns: Vec<Vec<usize>> = Vec::new();
        for (i, column) in survey.ratings.iter().enumerate() {
            let missing: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&r| !column[r].is_finite())
                .collect();
            let positives = missing
                .iter()
                .filter(|&&r| survey.outcome[r] >= 0.5)
                .count();
            let both_outcomes = kind == OutcomeKind::Numeric
                || positives.min(missing.len() - positives) >= MIN_INDICATOR_CLASS;
            let wanted = method == NotRated::Indicator
                && missing.len() >= MIN_INDICATOR_ROWS
                && both_outcomes;
            not_rated.push(missing.len());
            if !wanted {
                column_of.push(None);
            } else if let Some(j) = patterns.iter().position(|p| *p == missing) {
                column_of.push(Some(j));
            } else {
                column_of.push(Some(indicators.len()));
                indicators.push(i);
                patterns.push(missing);
            }
        }
        Ok(Design {
            method,
            scale,
            indicators,
            column_of,
            not_rated,
        })
    }

    /// The same indicators with the standardisation of other rows (a
    /// bootstrap sample), so that its coefficients estimate the same things.
    pub fn rescaled(&self, survey: &Survey, rows: &[usize]) -> Result<Design, CalibrationError> {
        Ok(Design {
            scale: scale_of(survey, rows)?,
            ..self.clone()
        })
    }

    /// Columns of the matrix: the ratings, then the indicators.
    pub fn columns(&self) -> usize {
        self.scale.len() + self.indicators.len()
    }

    /// The rows' matrix, row-major. A rating not rated is 0 (its mean); its
    /// indicator, when it has one, is 1 (a shared one when any of its items
    /// is not rated).
    pub fn matrix(&self, survey: &Survey, rows: &[usize]) -> Vec<f64> {
        let mut x = Vec::with_capacity(rows.len() * self.columns());
        for &r in rows {
            for (column, (mean, sd)) in survey.ratings.iter().zip(&self.scale) {
                let v = column[r];
                x.push(if v.is_finite() { (v - mean) / sd } else { 0.0 });
            }
            let start = x.len();
            x.extend(std::iter::repeat_n(0.0, self.indicators.len()));
            for (column, j) in survey.ratings.iter().zip(&self.column_of) {
                if let Some(j) = j
                    && !column[r].is_finite()
                {
                    x[start + j] = 1.0;
                }
            }
        }
        x
    }

    /// Rows among `rows` with an item not rated that has no indicator: they
    /// are scored with the item at its training mean.
    pub fn imputed_rows(&self, survey: &Survey, rows: &[usize]) -> usize {
        rows.iter()
            .filter(|&&r| {
                survey
                    .ratings
                    .iter()
                    .enumerate()
                    .any(|(i, x)| !x[r].is_finite() && self.column_of[i].is_none())
            })
            .count()
    }
}

/// Per dimension, the mean and sample sd of its rated values on `rows`.
fn scale_of(survey: &Survey, rows: &[usize]) -> Result<Vec<(f64, f64)>, CalibrationError> {
    let k = survey.columns.len();
    let mut scale = Vec::with_capacity(k);
    for (column, info) in survey.ratings.iter().zip(&survey.columns) {
        let values: Vec<f64> = rows
            .iter()
            .map(|&r| column[r])
            .filter(|v| v.is_finite())
            .collect();
        let Some((mean, sd)) = stats::mean_sd(&values) else {
            return Err(CalibrationError::Fit(FitError::TooFewRows {
                rows: values.len(),
                needed: k + 2,
            }));
        };
        if sd.is_nan() || sd <= 0.0 {
            return Err(CalibrationError::ConstantColumn {
                dimension: info.dimension.clone(),
                column: info.column.clone(),
                value: mean,
            });
        }
        scale.push((mean, sd));
    }
    Ok(scale)
}
