//! The calibration report: what `calibrate` found, as plain serialisable
//! data. `format::calibrate` renders it as text; its serde form is the JSON
//! report.

use super::design::NotRated;
use super::stats;
use super::survey::{Outcome, RatingColumn};
use serde::Serialize;

/// Everything `calibrate` found.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationReport {
    /// Version of this shape.
    pub schema_version: u32,
    /// The package whose catalog maps the survey.
    pub package: String,
    /// The survey file.
    pub survey: String,
    /// Rows in the survey file.
    pub survey_rows: usize,
    /// Where the held-out rows came from, in words.
    pub held_out: String,
    /// How the outcome was read.
    pub outcome: Outcome,
    /// The dimensions and their survey columns.
    pub dimensions: Vec<RatingColumn>,
    /// Where the catalog's weights come from (AHP and its consistency, or given).
    pub catalog_weights: String,
    /// What the fits do with a rating not rated.
    pub not_rated: NotRated,
    /// Rows used and dropped.
    pub rows: RowCounts,
    /// The fit over all rows, with the chosen not-rated method.
    pub overall: SegmentFit,
    /// The held-out fit of the overall model with listwise deletion and, when
    /// another method was chosen, with it: the comparison the method stands on.
    pub methods: Vec<MethodFit>,
    /// The bootstrap, when one was asked for.
    pub bootstrap: Option<BootstrapSummary>,
    /// The column segments come from, when asked.
    pub segment_by: Option<String>,
    /// One fit per segment.
    pub segments: Vec<SegmentResult>,
    /// Cronbach's alpha of the dimension set.
    pub reliability: Option<ReliabilityReport>,
    /// Cronbach's alpha of each dimension measured by several items.
    pub dimension_reliability: Vec<DimensionReliability>,
    /// Fuzzy comprehensive evaluation per segment.
    pub fuzzy: Option<FuzzyReport>,
    /// What was skipped, and why.
    pub notes: Vec<String>,
}

/// Rows used and dropped.
#[derive(Debug, Clone, Serialize)]
pub struct RowCounts {
    /// Training rows.
    pub training: usize,
    /// Training rows with every rating and the outcome present.
    pub training_complete: usize,
    /// Held-out rows.
    pub test: usize,
    /// Held-out rows with every rating and the outcome present.
    pub test_complete: usize,
    /// Training rows the chosen method fits (the complete ones for `drop`).
    pub training_used: usize,
    /// Held-out rows the chosen method scores (the complete ones for `drop`).
    pub test_used: usize,
    /// Training rows missing each dimension's rating (not rated or blank).
    pub missing: Vec<usize>,
    /// Training rows without an outcome.
    pub outcome_missing: usize,
}

/// A fit over one group of rows.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentFit {
    /// "all", or the segment's value.
    pub segment: String,
    /// Training rows fitted.
    pub training_rows: usize,
    /// Held-out rows measured.
    pub test_rows: usize,
    /// Held-out rows measured with an item not rated that has no indicator
    /// (scored with the item at its training mean).
    pub test_rows_imputed: usize,
    /// Training rows with outcome 1 (binary outcomes).
    pub positives: Option<usize>,
    /// Intercept of the fit.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub intercept: f64,
    /// Newton iterations (1 for least squares).
    pub iterations: usize,
    /// R² on the training rows (numeric outcomes).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub training_r_squared: Option<f64>,
    /// One entry per dimension.
    pub dimensions: Vec<DimensionFit>,
    /// Each dimension not rated on some training row: its indicator, if any.
    pub not_rated: Vec<NotRatedItem>,
    /// The held-out fit of each set of weights.
    pub held_out: Vec<HeldOutFit>,
}

/// What a fit did with one dimension's not-rated rows (not `drop`).
#[derive(Debug, Clone, Serialize)]
pub struct NotRatedItem {
    /// The dimension's id.
    pub dimension: String,
    /// Training rows that did not rate it.
    pub rows: usize,
    /// Whether it has an indicator column; without one its not-rated rows
    /// count at the mean only (too few, or all of one outcome).
    pub indicator: bool,
    /// The dimension whose indicator it shares, when it was left unrated on
    /// exactly the same training rows (one column stands for both).
    pub shared_with: Option<String>,
    /// The indicator's coefficient: not rating the item against rating it
    /// at its mean. An offset, not a dimension weight.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub coefficient: Option<f64>,
    /// Its standard error.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub std_error: Option<f64>,
    /// Lower end of the 95% Wald interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub ci_low: Option<f64>,
    /// Upper end of the 95% Wald interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub ci_high: Option<f64>,
    /// Lower end of the 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub bootstrap_low: Option<f64>,
    /// Upper end of the 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub bootstrap_high: Option<f64>,
}

/// The overall model's held-out fit with one not-rated method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodFit {
    /// The method.
    pub method: NotRated,
    /// Training rows it fits.
    pub training_rows: usize,
    /// Held-out rows it scores.
    pub test_rows: usize,
    /// The held-out fit of each set of weights.
    pub held_out: Vec<HeldOutFit>,
    /// The fitted model on the complete held-out rows only, the rows every
    /// method scores: a like-for-like comparison.
    pub model_on_complete_rows: HeldOutFit,
}

/// How the bootstrap was run.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapSummary {
    /// Replicates asked for.
    pub replicates: usize,
    /// The seed each replicate's generator is made from (with its number).
    pub seed: u64,
    /// Replicates whose fit failed; the intervals come from the others.
    pub failed: usize,
}

/// One dimension's coefficient and weights.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionFit {
    /// The dimension's id.
    pub dimension: String,
    /// Mean rating on the training rows.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub mean: f64,
    /// Standard deviation of the rating on the training rows.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub sd: f64,
    /// Coefficient per standard deviation of the rating.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub coefficient: f64,
    /// Its standard error.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub std_error: f64,
    /// Lower end of the 95% Wald interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub ci_low: f64,
    /// Upper end of the 95% Wald interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub ci_high: f64,
    /// Lower end of the 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub bootstrap_low: Option<f64>,
    /// Upper end of the 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub bootstrap_high: Option<f64>,
    /// `max(coef, 0) / Σ max(coef, 0)`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub fitted_weight: f64,
    /// Lower end of the weight's 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight_bootstrap_low: Option<f64>,
    /// Upper end of the weight's 95% bootstrap percentile interval.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight_bootstrap_high: Option<f64>,
    /// The catalog's weight.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub catalog_weight: f64,
    /// Pearson's correlation of the rating with the outcome, on the rows that rated it.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub correlation: Option<f64>,
    /// `max(r, 0) / Σ max(r, 0)`.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub correlation_weight: f64,
}

/// Which weights a held-out measure is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    /// The fitted model with its signed coefficients and intercept.
    FittedModel,
    /// The fitted importance weights as an index.
    FittedWeights,
    /// The correlation weights as an index.
    CorrelationWeights,
    /// The catalog's weights as an index.
    CatalogWeights,
    /// Every dimension alike.
    EqualWeights,
}

/// Fit on the held-out rows.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOutFit {
    /// Which weights.
    pub weights: WeightSource,
    /// Area under the ROC curve (binary).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub auc: Option<f64>,
    /// Share predicted right at probability 0.5 (binary).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub accuracy: Option<f64>,
    /// R² on the held-out rows (numeric).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub r_squared: Option<f64>,
}

/// A segment's fit, or why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentResult {
    /// The segment's value.
    pub segment: String,
    /// Training rows in the segment (complete or not).
    pub rows: usize,
    /// The fit, when there is one.
    pub fit: Option<SegmentFit>,
    /// Why there is no fit.
    pub problem: Option<String>,
}

/// Cronbach's alpha of the dimension set.
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityReport {
    /// Survey rows with every rating present.
    pub rows: usize,
    /// Cronbach's alpha.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub alpha: f64,
    /// Its usual reading (acceptable from 0.7).
    pub reading: String,
    /// Per dimension, in order.
    pub items: Vec<stats::ItemReliability>,
}

/// The internal consistency of one dimension's items: whether they measure
/// one thing, as averaging them into the dimension assumes.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionReliability {
    /// The dimension's id.
    pub dimension: String,
    /// Its perception items' attributes, in order.
    pub items: Vec<String>,
    /// Survey rows with every item of the dimension rated.
    pub rows: usize,
    /// Cronbach's alpha of the items (None when it cannot be computed:
    /// fewer than two such rows, or a constant total).
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub alpha: Option<f64>,
    /// Its usual reading.
    pub reading: Option<String>,
    /// Below [`super::ALPHA_THRESHOLD`]: the items disagree.
    pub warning: bool,
    /// Per item, in order: alpha if deleted (three items or more) and the
    /// corrected item-total correlation.
    pub item_figures: Vec<stats::ItemReliability>,
}

/// Fuzzy comprehensive evaluation with the catalog's weights.
#[derive(Debug, Clone, Serialize)]
pub struct FuzzyReport {
    /// The grades: the distinct rating values.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub grades: Vec<f64>,
    /// One evaluation per segment, "all" first.
    pub segments: Vec<FuzzySegment>,
}

/// One segment's fuzzy evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct FuzzySegment {
    /// "all", or the segment's value.
    pub segment: String,
    /// Survey rows in the segment.
    pub rows: usize,
    /// The membership matrix R, one row per dimension.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub membership: Vec<Vec<f64>>,
    /// B with both operators.
    pub evaluation: stats::FuzzyEvaluation,
}
