//! What can go wrong in a calibration, as values: a stable code, a message
//! and a help text; [`render_error`] is the one place they become the
//! command line's text (a few lines, so they stay beside the error).

use super::stats::FitError;
use crate::package::input::DataError;
use std::fmt;
use std::fmt::Write as _;

/// An error as the command line shows it: code, message, help.
pub fn render_error(error: &CalibrationError) -> String {
    let mut out = format!("error[{}]: {error}\n", error.code());
    if let Some(help) = error.help() {
        let _ = writeln!(out, "  = help: {help}");
    }
    out
}

/// A calibration that could not be done.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CalibrationError {
    /// The catalog declares no satisfaction dimensions.
    /// Triggered by a catalog without `satisfaction.dimensions`.
    NoDimensions,
    /// A dimension names no `perception` attribute, so no survey column rates it.
    /// Triggered by `- { id: price }` under `satisfaction.dimensions`.
    NoRatingColumn {
        /// The dimension's id.
        dimension: String,
    },
    /// The survey has no column that a dimension, the outcome or the segment needs.
    /// Triggered by `--outcome satisfation` (a typo) or a renamed survey header.
    UnknownColumn {
        /// The survey file.
        file: String,
        /// The column looked for.
        column: String,
        /// Who needs it, e.g. "dimension `seat_comfort` (attribute `seat_comfort`)".
        wanted_by: String,
        /// The closest header (or attribute name), when one is close.
        suggestion: Option<String>,
    },
    /// The survey cannot be read, or a value in it is not what its attribute
    /// says (a rating that is not a number).
    Data(DataError),
    /// The survey has a header but no rows.
    EmptySurvey {
        /// The survey file.
        file: String,
    },
    /// A rating has the same value on every row fitted, so it explains nothing.
    ConstantColumn {
        /// The dimension's id.
        dimension: String,
        /// Its survey column.
        column: String,
        /// The one value.
        value: f64,
    },
    /// The outcome has one value only on the rows fitted.
    ConstantOutcome {
        /// The outcome column.
        column: String,
        /// The one value.
        value: String,
    },
    /// The outcome is text, and `positive` does not say which value counts as 1.
    OutcomeNotNumeric {
        /// The outcome column.
        column: String,
        /// Values seen (the first few).
        values: Vec<String>,
    },
    /// The `positive` label never occurs in the outcome column.
    UnknownLabel {
        /// The outcome column.
        column: String,
        /// The label given.
        label: String,
        /// Values seen (the first few).
        values: Vec<String>,
    },
    /// The segment column has too many values to fit one model per value.
    TooManySegments {
        /// The segment column.
        column: String,
        /// The most allowed.
        limit: usize,
    },
    /// The holdout share is not between 0 and 1.
    InvalidHoldout {
        /// The share given.
        share: f64,
    },
    /// More bootstrap replicates than the limit.
    /// Triggered by `--bootstrap 1000000`.
    TooManyReplicates {
        /// Replicates asked for.
        replicates: usize,
        /// The most allowed.
        limit: usize,
    },
    /// There are no held-out rows (complete ones, under listwise deletion) to measure the fit on.
    NoTestRows {
        /// Where the held-out rows came from.
        source: String,
    },
    /// The model cannot be fitted on all rows.
    Fit(FitError),
}

impl CalibrationError {
    /// The stable code, e.g. `UNKNOWN_COLUMN`.
    pub fn code(&self) -> &'static str {
        match self {
            CalibrationError::NoDimensions => "NO_DIMENSIONS",
            CalibrationError::NoRatingColumn { .. } => "NO_RATING_COLUMN",
            CalibrationError::UnknownColumn { .. } => "UNKNOWN_COLUMN",
            CalibrationError::Data(_) => "SURVEY_DATA",
            CalibrationError::EmptySurvey { .. } => "EMPTY_SURVEY",
            CalibrationError::ConstantColumn { .. } => "CONSTANT_COLUMN",
            CalibrationError::ConstantOutcome { .. } => "CONSTANT_OUTCOME",
            CalibrationError::OutcomeNotNumeric { .. } => "OUTCOME_NOT_NUMERIC",
            CalibrationError::UnknownLabel { .. } => "UNKNOWN_LABEL",
            CalibrationError::TooManySegments { .. } => "TOO_MANY_SEGMENTS",
            CalibrationError::InvalidHoldout { .. } => "INVALID_HOLDOUT",
            CalibrationError::TooManyReplicates { .. } => "TOO_MANY_REPLICATES",
            CalibrationError::NoTestRows { .. } => "NO_TEST_ROWS",
            CalibrationError::Fit(_) => "FIT_FAILED",
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        let values = |values: &[String]| {
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            CalibrationError::NoDimensions => Some(
                "declare the dimensions under `satisfaction.dimensions`, each with a `perception` attribute read from the survey".into(),
            ),
            CalibrationError::NoRatingColumn { .. } => Some(
                "add `perception: ATTRIBUTE` to the dimension; that number attribute's `column:` names the survey column".into(),
            ),
            CalibrationError::UnknownColumn { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? (set `column:` in catalog.yaml to the survey's header)"),
                None => "set `column:` in catalog.yaml to the survey's header".into(),
            }),
            CalibrationError::ConstantColumn { .. } => Some(
                "a rating that never varies cannot be weighed; check its `missing_values` and the survey".into(),
            ),
            CalibrationError::OutcomeNotNumeric { values: seen, .. } => Some(format!(
                "give `--positive LABEL` to say which value counts as 1 (values seen: {})",
                values(seen)
            )),
            CalibrationError::UnknownLabel { label, values: seen, .. } => Some(
                match crate::base::diagnostic::closest(label, seen.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("values seen: {}", values(seen)),
                },
            ),
            CalibrationError::TooManySegments { .. } => {
                Some("segment by a column with a few values (a class, a channel, a region)".into())
            }
            CalibrationError::InvalidHoldout { .. } => {
                Some("give a share such as 0.2, or `--test FILE`".into())
            }
            CalibrationError::TooManyReplicates { .. } => Some(
                "200 to 2,000 replicates are usual for 95% percentile intervals".into(),
            ),
            CalibrationError::Fit(FitError::NotConverged { .. }) => Some(
                "look for a rating that only satisfied (or only dissatisfied) respondents gave".into(),
            ),
            _ => None,
        }
    }
}

impl fmt::Display for CalibrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalibrationError::NoDimensions => {
                write!(
                    f,
                    "the catalog declares no satisfaction dimensions to weigh"
                )
            }
            CalibrationError::NoRatingColumn { dimension } => write!(
                f,
                "dimension `{dimension}` has no `perception` attribute, so no survey column rates it"
            ),
            CalibrationError::UnknownColumn {
                file,
                column,
                wanted_by,
                ..
            } => write!(
                f,
                "{file}: the header has no column `{column}`, which {wanted_by} is read from"
            ),
            CalibrationError::Data(error) => write!(f, "{error}"),
            CalibrationError::EmptySurvey { file } => {
                write!(f, "{file}: the survey has no rows below its header")
            }
            CalibrationError::ConstantColumn {
                dimension,
                column,
                value,
            } => write!(
                f,
                "dimension `{dimension}` (column `{column}`) is {value} on every row fitted"
            ),
            CalibrationError::ConstantOutcome { column, value } => write!(
                f,
                "the outcome `{column}` is `{value}` on every row fitted; there is nothing to explain"
            ),
            CalibrationError::OutcomeNotNumeric { column, .. } => write!(
                f,
                "the outcome `{column}` holds texts, not numbers, and no label was named as positive"
            ),
            CalibrationError::UnknownLabel { column, label, .. } => {
                write!(f, "the outcome `{column}` never reads `{label}`")
            }
            CalibrationError::TooManySegments { column, limit } => write!(
                f,
                "`{column}` has more than {limit} values; that is too many segments"
            ),
            CalibrationError::InvalidHoldout { share } => write!(
                f,
                "the holdout share must be above 0 and below 1, not {share}"
            ),
            CalibrationError::TooManyReplicates { replicates, limit } => write!(
                f,
                "{replicates} bootstrap replicates asked for; at most {limit} are allowed"
            ),
            CalibrationError::NoTestRows { source } => {
                write!(
                    f,
                    "{source} has no row to measure the fit on (with listwise deletion, none with every rating)"
                )
            }
            CalibrationError::Fit(problem) => write!(f, "cannot fit the weights: {problem}"),
        }
    }
}

impl std::error::Error for CalibrationError {}

impl From<DataError> for CalibrationError {
    fn from(error: DataError) -> Self {
        CalibrationError::Data(error)
    }
}
