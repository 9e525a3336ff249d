//! One group's fit: the model, the weights, and their held-out measures.
//!
//! In: training and held-out rows (already filtered for the not-rated
//! method), the outcome's kind and the catalog's weights. Out: a
//! [`SegmentFit`], with the [`Design`] and the raw [`Fit`] the bootstrap and
//! the method comparison start from.

use super::design::{Design, NotRated};
use super::error::CalibrationError;
use super::report::{DimensionFit, HeldOutFit, NotRatedItem, SegmentFit, WeightSource};
use super::stats::{self, Fit};
use super::survey::{OutcomeKind, Survey};

/// A group's fit and what it was computed with.
pub(super) struct Fitted {
    pub report: SegmentFit,
    pub design: Design,
    pub fit: Fit,
}

/// Fits the outcome on the ratings of `train_rows` and measures it on `test_rows`.
pub(super) fn fit_group(
    label: &str,
    (train, train_rows): (&Survey, &[usize]),
    (test, test_rows): (&Survey, &[usize]),
    kind: OutcomeKind,
    catalog: &[f64],
    method: NotRated,
) -> Result<Fitted, CalibrationError> {
    let k = train.columns.len();
    let design = Design::new(train, train_rows, method, kind)?;
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
    let columns = design.columns();
    let x = design.matrix(train, train_rows);
    let fit = match kind {
        OutcomeKind::Binary => stats::logistic(&x, columns, &y),
        OutcomeKind::Numeric => stats::ols(&x, columns, &y),
    }
    .map_err(CalibrationError::Fit)?;

    // Over the rows that rated the item: under listwise deletion these are
    // all the rows; otherwise a mean filled in would shrink r towards 0.
    let correlations: Vec<Option<f64>> = train
        .ratings
        .iter()
        .map(|column| {
            let (values, outcomes): (Vec<f64>, Vec<f64>) = train_rows
                .iter()
                .filter(|&&r| column[r].is_finite())
                .map(|&r| (column[r], train.outcome[r]))
                .unzip();
            stats::pearson(&values, &outcomes)
        })
        .collect();
    // Only the ratings' coefficients are weights; an indicator's is an offset.
    let fitted = positive_share(&fit.coefficients[1..=k]);
    let by_correlation = positive_share(
        &correlations
            .iter()
            .map(|c| c.unwrap_or(0.0))
            .collect::<Vec<_>>(),
    );
    let equal = vec![1.0 / k as f64; k];

    let x_test = design.matrix(test, test_rows);
    let y_test: Vec<f64> = test_rows.iter().map(|&r| test.outcome[r]).collect();
    let mut held_out = vec![model_fit(&fit, kind, columns, &x_test, &y_test)];
    for (source, weights) in [
        (WeightSource::FittedWeights, &fitted),
        (WeightSource::CorrelationWeights, &by_correlation),
        (WeightSource::CatalogWeights, &catalog.to_vec()),
        (WeightSource::EqualWeights, &equal),
    ] {
        held_out.push(index_fit(
            source,
            weights,
            columns,
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
                mean: design.scale[i].0,
                sd: design.scale[i].1,
                coefficient: fit.coefficients[i + 1],
                std_error: fit.std_errors[i + 1],
                ci_low,
                ci_high,
                bootstrap_low: None,
                bootstrap_high: None,
                fitted_weight: fitted[i],
                weight_bootstrap_low: None,
                weight_bootstrap_high: None,
                catalog_weight: catalog.get(i).copied().unwrap_or(f64::NAN),
                correlation: correlations[i],
                correlation_weight: by_correlation[i],
            }
        })
        .collect();
    let not_rated = (0..k)
        .filter(|&i| design.not_rated[i] > 0)
        .map(|i| {
            let column = design.column_of[i].map(|j| k + 1 + j);
            let owner = design.column_of[i].and_then(|j| design.indicators.get(j).copied());
            let (ci_low, ci_high) = column.map_or((None, None), |c| {
                let (low, high) = fit.interval(c);
                (Some(low), Some(high))
            });
            NotRatedItem {
                dimension: train.columns[i].dimension.clone(),
                rows: design.not_rated[i],
                indicator: column.is_some(),
                shared_with: owner
                    .filter(|&o| o != i)
                    .map(|o| train.columns[o].dimension.clone()),
                coefficient: column.map(|c| fit.coefficients[c]),
                std_error: column.map(|c| fit.std_errors[c]),
                ci_low,
                ci_high,
                bootstrap_low: None,
                bootstrap_high: None,
            }
        })
        .collect();
    let report = SegmentFit {
        segment: label.to_string(),
        training_rows: train_rows.len(),
        test_rows: test_rows.len(),
        test_rows_imputed: if method == NotRated::Drop {
            0
        } else {
            design.imputed_rows(test, test_rows)
        },
        positives: (kind == OutcomeKind::Binary).then_some(positives),
        intercept: fit.coefficients[0],
        iterations: fit.iterations,
        training_r_squared: fit.r_squared,
        dimensions,
        not_rated,
        held_out,
    };
    Ok(Fitted {
        report,
        design,
        fit,
    })
}

/// The fitted model itself on held-out rows: AUC and accuracy at
/// probability 0.5, or R².
pub(super) fn model_fit(
    fit: &Fit,
    kind: OutcomeKind,
    columns: usize,
    x_test: &[f64],
    y_test: &[f64],
) -> HeldOutFit {
    let scores: Vec<f64> = x_test
        .chunks(columns.max(1))
        .map(|row| fit.predict(row))
        .collect();
    match kind {
        OutcomeKind::Binary => {
            let labels: Vec<bool> = y_test.iter().map(|&v| v >= 0.5).collect();
            let probabilities: Vec<f64> = scores.iter().map(|&s| stats::sigmoid(s)).collect();
            HeldOutFit {
                weights: WeightSource::FittedModel,
                auc: stats::auc(&scores, &labels),
                accuracy: stats::accuracy(&probabilities, &labels, 0.5),
                r_squared: None,
            }
        }
        OutcomeKind::Numeric => HeldOutFit {
            weights: WeightSource::FittedModel,
            auc: None,
            accuracy: None,
            r_squared: stats::r_squared(&scores, y_test),
        },
    }
}

/// `max(v, 0) / Σ max(v, 0)`; all zeros when nothing is positive.
pub(super) fn positive_share(values: &[f64]) -> Vec<f64> {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    values
        .iter()
        .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
        .collect()
}

/// The held-out fit of one weight vector used as an index `Σ w_i z_i` over
/// the first `weights.len()` of each row's `columns` (indicators take no part).
fn index_fit(
    source: WeightSource,
    weights: &[f64],
    columns: usize,
    (x, y): (&[f64], &[f64]),
    (x_test, y_test): (&[f64], &[f64]),
    kind: OutcomeKind,
) -> HeldOutFit {
    let index = |x: &[f64]| -> Vec<f64> {
        x.chunks(columns.max(1))
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
