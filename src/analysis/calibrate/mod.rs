//! Calibration: dimension weights from survey data, beside the catalog's.
//!
//! In: a compiled [`Engine`] (its satisfaction dimensions and customer schema)
//! and a survey read by [`Survey::read`]; optionally a second survey of
//! held-out rows. Out: a [`CalibrationReport`], rendered by its `to_table`
//! and serialised to JSON as it is; `weights_yaml` gives the fitted weights as
//! a catalog fragment (both in `format::calibrate`). Nothing here prints or
//! writes files.
//!
//! # How a survey maps to the dimensions
//!
//! Through the catalog, exactly as customers are read: each dimension names its
//! `perception` attribute, that number attribute's `column:` is the survey
//! column, and its `missing_values` are the codes meaning "not rated" (`["0"]`
//! in the airline survey). A blank is missing too. So a survey needs no mapping
//! file of its own; `examples/airline/catalog.yaml` maps the airline survey.
//!
//! The outcome (`SurveySpec::outcome`) is an attribute's name, an attribute's
//! column, or any survey column. It is binary when it is read through a `bool`
//! attribute (whose `true_values` / `false_values` spell the labels), when
//! `positive` names the label that counts as 1, or when its only values are 0
//! and 1; otherwise it must be a number. `segment_by` is found the same way;
//! its texts are the segments (at most [`MAX_SEGMENTS`]; a blank is in none).
//!
//! # Method
//!
//! - **Rows.** Listwise deletion: a row with any rating or the outcome missing
//!   is left out of the fit (and of the held-out measures), and the report
//!   counts how many were and why. Held-out rows come from a second file, or
//!   are a share of the survey chosen by hashing the row's customer id (the
//!   row number when the survey has no id column) with a seed: the same rows
//!   on every run.
//! - **Standardisation.** Each rating becomes `z = (x - mean) / sd` with the
//!   training rows' mean and sample standard deviation, also on held-out rows,
//!   so a coefficient is the effect of one standard deviation of the rating.
//! - **Fit.** Logistic regression (Newton / IRLS) for a binary outcome, least
//!   squares for a numeric one, of the outcome on the standardised ratings.
//!   95% confidence intervals are analytic Wald intervals, `coef ± 1.96 × se`,
//!   with standard errors from the inverse Fisher information (logistic) or
//!   `s² (XᵀX)⁻¹` (least squares).
//! - **Importance weights.** `w_i = max(coef_i, 0) / Σ_j max(coef_j, 0)`: a
//!   rating whose coefficient is negative (higher rating, lower outcome, all
//!   else equal) gets weight 0, since a catalog weight cannot be negative.
//!   Beside them, the simpler measure: Pearson's correlation `r_i` of the raw
//!   rating with the outcome, normalised the same way.
//! - **Held-out fit.** The fitted model itself, and each weight vector (fitted,
//!   correlation, the catalog's, equal) used as one index `s = Σ w_i z_i`.
//!   Binary: AUC of the score; accuracy at probability 0.5, the index being
//!   turned into a probability by a one-variable logistic fit `a + b s` on the
//!   training rows. Numeric: R² on the held-out rows of a one-variable least
//!   squares fit `a + b s` from the training rows.
//! - **Reliability.** Cronbach's alpha of the raw ratings over the survey's
//!   rows with every rating present, alpha if each item is deleted, and the
//!   corrected item-total correlations.
//! - **Fuzzy comprehensive evaluation** per segment with the catalog's
//!   weights: see [`stats::fuzzy_evaluate`] and README.

mod error;
mod linalg;
mod report;
pub mod stats;
mod survey;

pub use error::{CalibrationError, render_error};
pub use report::{
    CalibrationReport, DimensionFit, FuzzyReport, FuzzySegment, HeldOutFit, ReliabilityReport,
    RowCounts, SegmentFit, SegmentResult, WeightSource,
};
pub use survey::{MAX_SEGMENTS, Outcome, OutcomeKind, RatingColumn, Survey, SurveySpec};

use crate::Engine;
use rayon::prelude::*;
use stats::FitError;

/// Version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// How held-out rows are chosen when no test survey is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Share of the survey's rows held out (above 0, below 1).
    pub holdout: f64,
    /// Seed of the split.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            holdout: 0.2,
            seed: 1,
        }
    }
}

/// Fits the dimension weights and measures them against the catalog's.
pub fn calibrate(
    engine: &Engine,
    survey: &Survey,
    test: Option<&Survey>,
    options: &Options,
) -> Result<CalibrationReport, CalibrationError> {
    let model = engine.model().ok_or(CalibrationError::NoDimensions)?;
    let catalog: Vec<f64> = model.dimensions.iter().map(|d| d.weight).collect();
    let all: Vec<usize> = (0..survey.rows()).collect();
    let (train_rows, test_survey, test_rows, held_out) = match test {
        Some(t) => (all, t, (0..t.rows()).collect(), t.name.clone()),
        None => {
            if !(options.holdout > 0.0 && options.holdout < 1.0) {
                return Err(CalibrationError::InvalidHoldout {
                    share: options.holdout,
                });
            }
            let (test, train): (Vec<usize>, Vec<usize>) = all
                .into_iter()
                .partition(|&r| stats::split_hash(survey.keys[r], options.seed) < options.holdout);
            let text = format!(
                "{:.0}% of {} (seed {})",
                options.holdout * 100.0,
                survey.name,
                options.seed
            );
            (train, survey, test, text)
        }
    };
    let kind = survey.outcome_info.kind;
    let complete = |s: &Survey, r: usize| {
        s.outcome[r].is_finite() && s.ratings.iter().all(|x| x[r].is_finite())
    };
    let train_complete: Vec<usize> = train_rows
        .iter()
        .copied()
        .filter(|&r| complete(survey, r))
        .collect();
    let test_complete: Vec<usize> = test_rows
        .iter()
        .copied()
        .filter(|&r| complete(test_survey, r))
        .collect();
    if test_complete.is_empty() {
        return Err(CalibrationError::NoTestRows { source: held_out });
    }
    let rows = RowCounts {
        training: train_rows.len(),
        training_complete: train_complete.len(),
        test: test_rows.len(),
        test_complete: test_complete.len(),
        missing: survey
            .ratings
            .iter()
            .map(|x| train_rows.iter().filter(|&&r| x[r].is_nan()).count())
            .collect(),
        outcome_missing: train_rows
            .iter()
            .filter(|&&r| survey.outcome[r].is_nan())
            .count(),
    };
    // One group of rows per fit: all rows, then each segment. The fits are
    // independent, so they run side by side; `collect` keeps their order.
    let mut groups = vec![(
        "all".to_string(),
        train_complete.clone(),
        test_complete.clone(),
    )];
    for name in &survey.segment_names {
        let in_segment = |s: &Survey, r: usize| {
            s.segments
                .get(r)
                .copied()
                .flatten()
                .and_then(|i| s.segment_names.get(i as usize))
                == Some(name)
        };
        groups.push((
            name.clone(),
            train_complete
                .iter()
                .copied()
                .filter(|&r| in_segment(survey, r))
                .collect(),
            test_complete
                .iter()
                .copied()
                .filter(|&r| in_segment(test_survey, r))
                .collect(),
        ));
    }
    let fits: Vec<Result<SegmentFit, CalibrationError>> = groups
        .par_iter()
        .map(|(label, train, test)| {
            fit_group(label, (survey, train), (test_survey, test), kind, &catalog)
        })
        .collect();
    let mut fits = fits.into_iter();
    // The first group is always there: it is all rows.
    let overall = fits.next().unwrap_or(Err(CalibrationError::NoDimensions))?;
    let segments = survey
        .segment_names
        .iter()
        .enumerate()
        .zip(fits)
        .map(|((id, name), fit)| {
            let rows = train_rows
                .iter()
                .filter(|&&r| survey.segments[r] == u32::try_from(id).ok())
                .count();
            let (fit, problem) = match fit {
                Ok(fit) => (Some(fit), None),
                Err(e) => (None, Some(e.to_string())),
            };
            SegmentResult {
                segment: name.clone(),
                rows,
                fit,
                problem,
            }
        })
        .collect();

    let mut notes = Vec::new();
    let reliability = reliability(survey);
    if reliability.is_none() {
        notes.push("Cronbach's alpha needs at least two dimensions and two complete rows".into());
    }
    let fuzzy = fuzzy(survey, &catalog);
    if fuzzy.is_none() {
        notes.push(
            "no fuzzy evaluation: the ratings are not a few whole-number grades (at most 10)"
                .into(),
        );
    }
    let catalog_weights = match &model.ahp {
        Some(ahp) => format!(
            "AHP, consistency ratio {}",
            crate::model::ahp::ratio_text(ahp.consistency_ratio)
        ),
        None => "given in the catalog".into(),
    };
    Ok(CalibrationReport {
        schema_version: SCHEMA_VERSION,
        package: engine.catalog().package.clone(),
        survey: survey.name.clone(),
        survey_rows: survey.rows(),
        held_out,
        outcome: survey.outcome_info.clone(),
        dimensions: survey.columns.clone(),
        catalog_weights,
        rows,
        overall,
        segment_by: survey.segment_column.clone(),
        segments,
        reliability,
        fuzzy,
        notes,
    })
}

/// Standardised ratings of some rows, row-major, with the means and sds used.
fn standardised(survey: &Survey, rows: &[usize], scale: &[(f64, f64)]) -> Vec<f64> {
    let mut x = Vec::with_capacity(rows.len() * scale.len());
    for &r in rows {
        for (column, (mean, sd)) in survey.ratings.iter().zip(scale) {
            x.push((column[r] - mean) / sd);
        }
    }
    x
}

fn fit_group(
    label: &str,
    (train, train_rows): (&Survey, &[usize]),
    (test, test_rows): (&Survey, &[usize]),
    kind: OutcomeKind,
    catalog: &[f64],
) -> Result<SegmentFit, CalibrationError> {
    let k = train.columns.len();
    let too_few = CalibrationError::Fit(FitError::TooFewRows {
        rows: train_rows.len(),
        needed: k + 2,
    });
    let mut scale = Vec::with_capacity(k);
    for (column, info) in train.ratings.iter().zip(&train.columns) {
        let values: Vec<f64> = train_rows.iter().map(|&r| column[r]).collect();
        let (mean, sd) = stats::mean_sd(&values).ok_or_else(|| too_few.clone())?;
        if sd.is_nan() || sd <= 0.0 {
            return Err(CalibrationError::ConstantColumn {
                dimension: info.dimension.clone(),
                column: info.column.clone(),
                value: mean,
            });
        }
        scale.push((mean, sd));
    }
    let y: Vec<f64> = train_rows.iter().map(|&r| train.outcome[r]).collect();
    let positives = y.iter().filter(|&&v| v >= 0.5).count();
    let constant = match kind {
        OutcomeKind::Binary => positives == 0 || positives == y.len(),
        OutcomeKind::Numeric => stats::mean_sd(&y).is_none_or(|(_, sd)| sd.is_nan() || sd <= 0.0),
    };
    if constant {
        return Err(CalibrationError::ConstantOutcome {
            column: train.outcome_info.column.clone(),
            value: y.first().map_or(String::new(), |v| v.to_string()),
        });
    }
    let x = standardised(train, train_rows, &scale);
    let fit = match kind {
        OutcomeKind::Binary => stats::logistic(&x, k, &y),
        OutcomeKind::Numeric => stats::ols(&x, k, &y),
    }
    .map_err(CalibrationError::Fit)?;

    let correlations: Vec<Option<f64>> = train
        .ratings
        .iter()
        .map(|column| {
            let values: Vec<f64> = train_rows.iter().map(|&r| column[r]).collect();
            stats::pearson(&values, &y)
        })
        .collect();
    let fitted = positive_share(&fit.coefficients[1..]);
    let by_correlation = positive_share(
        &correlations
            .iter()
            .map(|c| c.unwrap_or(0.0))
            .collect::<Vec<_>>(),
    );
    let equal = vec![1.0 / k as f64; k];

    let x_test = standardised(test, test_rows, &scale);
    let y_test: Vec<f64> = test_rows.iter().map(|&r| test.outcome[r]).collect();
    let labels: Vec<bool> = y_test.iter().map(|&v| v >= 0.5).collect();
    let model_scores: Vec<f64> = x_test.chunks(k).map(|row| fit.predict(row)).collect();
    let mut held_out = vec![match kind {
        OutcomeKind::Binary => HeldOutFit {
            weights: WeightSource::FittedModel,
            auc: stats::auc(&model_scores, &labels),
            accuracy: stats::accuracy(
                &model_scores
                    .iter()
                    .map(|&s| stats::sigmoid(s))
                    .collect::<Vec<_>>(),
                &labels,
                0.5,
            ),
            r_squared: None,
        },
        OutcomeKind::Numeric => HeldOutFit {
            weights: WeightSource::FittedModel,
            auc: None,
            accuracy: None,
            r_squared: stats::r_squared(&model_scores, &y_test),
        },
    }];
    for (source, weights) in [
        (WeightSource::FittedWeights, &fitted),
        (WeightSource::CorrelationWeights, &by_correlation),
        (WeightSource::CatalogWeights, &catalog.to_vec()),
        (WeightSource::EqualWeights, &equal),
    ] {
        held_out.push(index_fit(
            source,
            weights,
            (&x, &y),
            (&x_test, &y_test),
            kind,
        ));
    }

    let dimensions = train
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (ci_low, ci_high) = fit.interval(i + 1);
            DimensionFit {
                dimension: c.dimension.clone(),
                mean: scale[i].0,
                sd: scale[i].1,
                coefficient: fit.coefficients[i + 1],
                std_error: fit.std_errors[i + 1],
                ci_low,
                ci_high,
                fitted_weight: fitted[i],
                catalog_weight: catalog.get(i).copied().unwrap_or(f64::NAN),
                correlation: correlations[i],
                correlation_weight: by_correlation[i],
            }
        })
        .collect();
    Ok(SegmentFit {
        segment: label.to_string(),
        training_rows: train_rows.len(),
        test_rows: test_rows.len(),
        positives: (kind == OutcomeKind::Binary).then_some(positives),
        intercept: fit.coefficients[0],
        iterations: fit.iterations,
        training_r_squared: fit.r_squared,
        dimensions,
        held_out,
    })
}

/// `max(v, 0) / Σ max(v, 0)`; all zeros when nothing is positive.
fn positive_share(values: &[f64]) -> Vec<f64> {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    values
        .iter()
        .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
        .collect()
}

/// The held-out fit of one weight vector used as an index `Σ w_i z_i`.
fn index_fit(
    source: WeightSource,
    weights: &[f64],
    (x, y): (&[f64], &[f64]),
    (x_test, y_test): (&[f64], &[f64]),
    kind: OutcomeKind,
) -> HeldOutFit {
    let k = weights.len().max(1);
    let index = |x: &[f64]| -> Vec<f64> {
        x.chunks(k)
            .map(|row| row.iter().zip(weights).map(|(z, w)| z * w).sum())
            .collect()
    };
    let (scores, scores_test) = (index(x), index(x_test));
    match kind {
        OutcomeKind::Binary => {
            let labels: Vec<bool> = y_test.iter().map(|&v| v >= 0.5).collect();
            let accuracy = stats::logistic(&scores, 1, y).ok().and_then(|one| {
                let p: Vec<f64> = scores_test
                    .iter()
                    .map(|&s| stats::sigmoid(one.predict(&[s])))
                    .collect();
                stats::accuracy(&p, &labels, 0.5)
            });
            HeldOutFit {
                weights: source,
                auc: stats::auc(&scores_test, &labels),
                accuracy,
                r_squared: None,
            }
        }
        OutcomeKind::Numeric => HeldOutFit {
            weights: source,
            auc: None,
            accuracy: None,
            r_squared: stats::ols(&scores, 1, y).ok().and_then(|one| {
                let predicted: Vec<f64> = scores_test.iter().map(|&s| one.predict(&[s])).collect();
                stats::r_squared(&predicted, y_test)
            }),
        },
    }
}

fn reliability(survey: &Survey) -> Option<ReliabilityReport> {
    let rows: Vec<usize> = (0..survey.rows())
        .filter(|&r| survey.ratings.iter().all(|x| x[r].is_finite()))
        .collect();
    let columns: Vec<Vec<f64>> = survey
        .ratings
        .iter()
        .map(|x| rows.iter().map(|&r| x[r]).collect())
        .collect();
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let result = stats::cronbach(&slices)?;
    Some(ReliabilityReport {
        rows: rows.len(),
        alpha: result.alpha,
        reading: stats::alpha_reading(result.alpha).to_string(),
        items: result.items,
    })
}

/// Most grades a fuzzy evaluation takes.
const MAX_GRADES: usize = 10;

fn fuzzy(survey: &Survey, weights: &[f64]) -> Option<FuzzyReport> {
    let mut grades: Vec<f64> = Vec::new();
    for value in survey.ratings.iter().flatten().filter(|v| v.is_finite()) {
        if !grades.contains(value) {
            if grades.len() == MAX_GRADES || value.fract() != 0.0 {
                return None;
            }
            grades.push(*value);
        }
    }
    grades.sort_by(f64::total_cmp);
    let evaluate = |segment: &str, rows: &[usize]| -> Option<FuzzySegment> {
        let ratings: Vec<Vec<f64>> = survey
            .ratings
            .iter()
            .map(|x| {
                rows.iter()
                    .map(|&r| x[r])
                    .filter(|v| v.is_finite())
                    .collect()
            })
            .collect();
        let membership = stats::membership(&ratings, &grades);
        Some(FuzzySegment {
            segment: segment.to_string(),
            rows: rows.len(),
            evaluation: stats::fuzzy_evaluate(weights, &membership, &grades)?,
            membership,
        })
    };
    let all: Vec<usize> = (0..survey.rows()).collect();
    let mut segments = vec![evaluate("all", &all)?];
    for (id, name) in survey.segment_names.iter().enumerate() {
        let rows: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&r| survey.segments[r] == u32::try_from(id).ok())
            .collect();
        segments.extend(evaluate(name, &rows));
    }
    Some(FuzzyReport { grades, segments })
}
