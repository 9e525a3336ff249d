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
//! - **Rows and ratings not rated** ([`NotRated`], `--not-rated`). `drop`
//!   (the default) is listwise deletion: a row with any rating or the outcome
//!   missing is left out of the fit and of the held-out measures. `indicator`
//!   keeps every row with an outcome: a rating not rated counts at its
//!   training mean (z = 0), and each item left unrated on at least
//!   [`MIN_INDICATOR_ROWS`] training rows (with [`MIN_INDICATOR_CLASS`] of
//!   each outcome among them, binary) gets a 0/1 column of its own. Its
//!   coefficient is an offset for not answering, not a dimension weight.
//!   `impute` is the mean without indicators. Any method other than `drop`
//!   is reported beside listwise deletion, also on the complete held-out
//!   rows both score. The report counts the rows each method keeps.
//! - **Held-out rows** come from a second file, or are a share of the survey
//!   chosen by hashing the row's customer id (the row number when the survey
//!   has no id column) with a seed: the same rows on every run.
//! - **Standardisation.** Each rating becomes `z = (x - mean) / sd` with the
//!   mean and sample standard deviation of the training rows that rated it,
//!   also on held-out rows,
//!   so a coefficient is the effect of one standard deviation of the rating.
//! - **Fit.** Logistic regression (Newton / IRLS) for a binary outcome, least
//!   squares for a numeric one, of the outcome on the standardised ratings.
//!   95% confidence intervals are analytic Wald intervals, `coef ± 1.96 × se`,
//!   with standard errors from the inverse Fisher information (logistic) or
//!   `s² (XᵀX)⁻¹` (least squares); with `bootstrap` replicates, also
//!   percentile intervals of the coefficients and weights (see `bootstrap.rs`).
//! - **Importance weights.** `w_i = max(coef_i, 0) / Σ_j max(coef_j, 0)`: a
//!   rating whose coefficient is negative (higher rating, lower outcome, all
//!   else equal) gets weight 0, since a catalog weight cannot be negative.
//!   Beside them, the simpler measure: Pearson's correlation `r_i` of the raw
//!   rating with the outcome (on the rows that rated it), normalised the same way.
//! - **Held-out fit.** The fitted model itself, and each weight vector (fitted,
//!   correlation, the catalog's, equal) used as one index `s = Σ w_i z_i`.
//!   Binary: AUC of the score; accuracy at probability 0.5, the index being
//!   turned into a probability by a one-variable logistic fit `a + b s` on the
//!   training rows. Numeric: R² on the held-out rows of a one-variable least
//!   squares fit `a + b s` from the training rows.
//! - **Reliability.** Cronbach's alpha of the raw ratings over the survey's
//!   rows with every rating present, alpha if each item is deleted, and the
//!   corrected item-total correlations. For each dimension measured by
//!   several items, the same over its items (rows with all of them rated),
//!   with a warning below [`ALPHA_THRESHOLD`].
//! - **Fuzzy comprehensive evaluation** per segment with the catalog's
//!   weights: see [`stats::fuzzy_evaluate`] and README.

mod bootstrap;
mod design;
mod error;
mod fit;
mod linalg;
mod random;
mod report;
pub mod stats;
mod survey;

pub use bootstrap::MAX_REPLICATES;
pub use design::{MIN_INDICATOR_CLASS, MIN_INDICATOR_ROWS, NotRated};
pub use error::{CalibrationError, render_error};
pub use report::{
    BootstrapSummary, CalibrationReport, DimensionFit, DimensionReliability, FuzzyReport,
    FuzzySegment, HeldOutFit, MethodFit, NotRatedItem, ReliabilityReport, RowCounts, SegmentFit,
    SegmentResult, WeightSource,
};
pub use survey::{
    MAX_SEGMENTS, Outcome, OutcomeKind, RatingColumn, RatingItem, Survey, SurveySpec,
};

use crate::Engine;
use design::Design;
use fit::{Fitted, fit_group, model_fit};
use rayon::prelude::*;

/// Below this alpha a dimension's items are said to disagree: 0.7, the
/// usual threshold of "acceptable" internal consistency (Nunnally 1978;
/// George & Mallery's reading).
pub const ALPHA_THRESHOLD: f64 = 0.7;

/// Version of the JSON report's shape (2: not-rated methods and the bootstrap).
pub const SCHEMA_VERSION: u32 = 2;

/// How a calibration is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Share of the survey's rows held out when no test survey is given
    /// (above 0, below 1).
    pub holdout: f64,
    /// Seed of the holdout split.
    pub seed: u64,
    /// What the fits do with a rating not rated.
    pub not_rated: NotRated,
    /// Bootstrap replicates of the overall fit (0: none; at most
    /// [`MAX_REPLICATES`]).
    pub bootstrap: usize,
    /// Seed of the bootstrap draws.
    pub bootstrap_seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            holdout: 0.2,
            seed: 1,
            not_rated: NotRated::Drop,
            bootstrap: 0,
            bootstrap_seed: 1,
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
    if options.bootstrap > MAX_REPLICATES {
        return Err(CalibrationError::TooManyReplicates {
            replicates: options.bootstrap,
            limit: MAX_REPLICATES,
        });
    }
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
    let method = options.not_rated;
    let usable = |s: &Survey, rows: &[usize], method| -> Vec<usize> {
        rows.iter()
            .copied()
            .filter(|&r| Design::uses(method, s, r))
            .collect()
    };
    let train_complete = usable(survey, &train_rows, NotRated::Drop);
    let test_complete = usable(test_survey, &test_rows, NotRated::Drop);
    let train_used = usable(survey, &train_rows, method);
    let test_used = usable(test_survey, &test_rows, method);
    if test_used.is_empty() {
        return Err(CalibrationError::NoTestRows { source: held_out });
    }
    let rows = RowCounts {
        training: train_rows.len(),
        training_complete: train_complete.len(),
        test: test_rows.len(),
        test_complete: test_complete.len(),
        training_used: train_used.len(),
        test_used: test_used.len(),
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
    // One group of rows per fit: all rows, then each segment, then (for the
    // comparison) all rows with listwise deletion. The fits are independent,
    // so they run side by side; `collect` keeps their order.
    let mut groups = vec![(
        "all".to_string(),
        train_used.clone(),
        test_used.clone(),
        method,
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
            train_used
                .iter()
                .copied()
                .filter(|&r| in_segment(survey, r))
                .collect(),
            test_used
                .iter()
                .copied()
                .filter(|&r| in_segment(test_survey, r))
                .collect(),
            method,
        ));
    }
    if method != NotRated::Drop {
        groups.push((
            "all".to_string(),
            train_complete.clone(),
            test_complete.clone(),
            NotRated::Drop,
        ));
    }
    let mut fits: Vec<Result<Fitted, CalibrationError>> = groups
        .par_iter()
        .map(|(label, train, test, method)| {
            fit_group(
                label,
                (survey, train),
                (test_survey, test),
                kind,
                &catalog,
                *method,
            )
        })
        .collect();
    let listwise = if method != NotRated::Drop {
        fits.pop()
    } else {
        None
    };
    let mut fits = fits.into_iter();
    // The first group is always there: it is all rows.
    let mut overall = fits.next().unwrap_or(Err(CalibrationError::NoDimensions))?;
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
                Ok(fit) => (Some(fit.report), None),
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
    let on_complete = |fitted: &Fitted| {
        let x = fitted.design.matrix(test_survey, &test_complete);
        let y: Vec<f64> = test_complete
            .iter()
            .map(|&r| test_survey.outcome[r])
            .collect();
        model_fit(&fitted.fit, kind, fitted.design.columns(), &x, &y)
    };
    let method_fit = |fitted: &Fitted| MethodFit {
        method: fitted.design.method,
        training_rows: fitted.report.training_rows,
        test_rows: fitted.report.test_rows,
        held_out: fitted.report.held_out.clone(),
        model_on_complete_rows: on_complete(fitted),
    };
    let mut methods = Vec::new();
    match listwise {
        Some(Ok(listwise)) => methods.push(method_fit(&listwise)),
        Some(Err(e)) => notes.push(format!("no listwise deletion fit to compare with: {e}")),
        None => {}
    }
    methods.push(method_fit(&overall));
    let bootstrap = (options.bootstrap > 0).then(|| {
        let found = bootstrap::intervals(
            survey,
            &train_used,
            &overall.design,
            kind,
            &overall.fit.coefficients,
            (options.bootstrap, options.bootstrap_seed),
        );
        apply_intervals(&mut overall, &found);
        BootstrapSummary {
            replicates: options.bootstrap,
            seed: options.bootstrap_seed,
            failed: found.failed,
        }
    });
    if let Some(b) = &bootstrap
        && b.failed * 10 > b.replicates
    {
        notes.push(format!(
            "{} of {} bootstrap replicates could not be fitted (a rating constant in the sample, or separation): the intervals come from the others and may be too narrow",
            b.failed, b.replicates
        ));
    }
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
        not_rated: method,
        rows,
        overall: overall.report,
        methods,
        bootstrap,
        segment_by: survey.segment_column.clone(),
        segments,
        reliability,
        dimension_reliability: dimension_reliability(survey),
        fuzzy,
        notes,
    })
}

/// Puts the bootstrap intervals beside the Wald ones.
fn apply_intervals(fitted: &mut Fitted, found: &bootstrap::Intervals) {
    let k = fitted.report.dimensions.len();
    for (i, d) in fitted.report.dimensions.iter_mut().enumerate() {
        let coefficient = found.coefficients.get(i).copied().flatten();
        let weight = found.weights.get(i).copied().flatten();
        (d.bootstrap_low, d.bootstrap_high) = (coefficient.map(|c| c.0), coefficient.map(|c| c.1));
        (d.weight_bootstrap_low, d.weight_bootstrap_high) =
            (weight.map(|w| w.0), weight.map(|w| w.1));
    }
    for item in &mut fitted.report.not_rated {
        let column = fitted
            .report
            .dimensions
            .iter()
            .position(|d| d.dimension == item.dimension)
            .and_then(|i| fitted.design.column_of.get(i).copied().flatten());
        let found = column.and_then(|j| found.coefficients.get(k + j).copied().flatten());
        (item.bootstrap_low, item.bootstrap_high) = (found.map(|c| c.0), found.map(|c| c.1));
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

/// Cronbach's alpha of each multi-item dimension's items, over the survey's
/// rows (training and held out alike, as the overall alpha) that rate them all.
fn dimension_reliability(survey: &Survey) -> Vec<DimensionReliability> {
    survey
        .columns
        .iter()
        .zip(&survey.items)
        .filter(|(_, items)| items.len() >= 2)
        .map(|(column, items)| {
            let rows: Vec<usize> = (0..survey.rows())
                .filter(|&r| items.iter().all(|x| x[r].is_finite()))
                .collect();
            let kept: Vec<Vec<f64>> = items
                .iter()
                .map(|x| rows.iter().map(|&r| x[r]).collect())
                .collect();
            let slices: Vec<&[f64]> = kept.iter().map(Vec::as_slice).collect();
            let result = stats::cronbach(&slices);
            let alpha = result.as_ref().map(|r| r.alpha);
            DimensionReliability {
                dimension: column.dimension.clone(),
                items: column.items.iter().map(|i| i.attribute.clone()).collect(),
                rows: rows.len(),
                alpha,
                reading: alpha.map(|a| stats::alpha_reading(a).to_string()),
                warning: alpha.is_some_and(|a| a < ALPHA_THRESHOLD),
                item_figures: result.map(|r| r.items).unwrap_or_default(),
            }
        })
        .collect()
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
