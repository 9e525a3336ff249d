//! Reading a survey: one rating column per dimension, an outcome, and
//! optionally a column to segment by.
//!
//! In: the engine (its catalog's dimensions and customer schema) and a CSV
//! reader. Out: a [`Survey`] held by column, with `NaN` for a missing value
//! (blank, or one of the attribute's `missing_values`, i.e. "not rated").

use super::error::CalibrationError;
use super::stats;
use crate::Engine;
use crate::base::diagnostic::closest;
use crate::package::customer::{self, Customer, Value};
use crate::package::input::{DataError, MAX_RECORD_BYTES};
use crate::package::schema::{FieldKind, Schema, Slot};
use serde::Serialize;

/// Most segments `segment_by` may produce.
pub const MAX_SEGMENTS: usize = 50;

/// What to read from a survey besides the ratings.
#[derive(Debug, Clone, Default)]
pub struct SurveySpec {
    /// The outcome: an attribute name, an attribute's column, or any survey column.
    pub outcome: String,
    /// When given, the outcome is binary: 1 where the column reads this label.
    pub positive: Option<String>,
    /// An attribute name or survey column whose values split the survey into segments.
    pub segment_by: Option<String>,
}

/// Whether the outcome is a yes/no or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Fitted by logistic regression; measured by AUC and accuracy.
    Binary,
    /// Fitted by least squares; measured by R².
    Numeric,
}

/// How the outcome was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The survey column.
    pub column: String,
    /// The attribute it was read through, if any.
    pub attribute: Option<String>,
    /// Binary or numeric.
    pub kind: OutcomeKind,
    /// For a binary outcome: what counts as 1.
    pub positive: Option<String>,
}

/// One dimension's rating column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingColumn {
    /// The dimension's id.
    pub dimension: String,
    /// Its display name.
    pub name: String,
    /// The perception attribute.
    pub attribute: String,
    /// The survey column, as the header spells it.
    pub column: String,
}

/// A survey read by column.
#[derive(Debug, Clone)]
pub struct Survey {
    pub(crate) name: String,
    pub(crate) columns: Vec<RatingColumn>,
    /// Per dimension, one rating per row; `NaN` where missing.
    pub(crate) ratings: Vec<Vec<f64>>,
    /// One outcome per row; `NaN` where missing.
    pub(crate) outcome: Vec<f64>,
    pub(crate) outcome_info: Outcome,
    pub(crate) segment_column: Option<String>,
    pub(crate) segment_names: Vec<String>,
    pub(crate) segments: Vec<Option<u32>>,
    /// Per row, the key of the holdout split: the customer id when the survey has it.
    pub(crate) keys: Vec<u64>,
}

/// Where a name was found: a header index and the attribute read through, if any.
struct Found {
    index: usize,
    slot: Option<Slot>,
    column: String,
}

impl Survey {
    /// Reads a CSV survey through the catalog's column mapping.
    pub fn read(
        engine: &Engine,
        spec: &SurveySpec,
        name: &str,
        input: impl std::io::Read,
    ) -> Result<Survey, CalibrationError> {
        let schema = &engine.schema();
        let at = |line: u64, column: Option<usize>, message: String| DataError {
            file: name.to_string(),
            line,
            column,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = crate::package::input::header_names(
            reader
                .byte_headers()
                .map_err(|e| at(1, None, format!("cannot read the header row: {e}")))?,
        );
        if header.iter().all(String::is_empty) {
            return Err(CalibrationError::EmptySurvey {
                file: name.to_string(),
            });
        }

        let columns = rating_columns(engine)?;
        let mut rating_index = Vec::with_capacity(columns.len());
        for c in &columns {
            let Some(index) = find_column(&header, &c.column) else {
                return Err(CalibrationError::UnknownColumn {
                    file: name.to_string(),
                    column: c.column.clone(),
                    wanted_by: format!("dimension `{}` (attribute `{}`)", c.dimension, c.attribute),
                    suggestion: closest(&c.column, header.iter().map(String::as_str))
                        .map(str::to_string),
                });
            };
            let slot = schema.attribute(&c.attribute).unwrap_or(u32::MAX);
            rating_index.push((slot, index));
        }
        let outcome = locate(schema, &header, name, &spec.outcome, "the outcome")?;
        let segment = match &spec.segment_by {
            Some(s) => Some(locate(schema, &header, name, s, "the segment")?),
            None => None,
        };
        let id = schema
            .id_slot
            .and_then(|slot| schema.field(slot))
            .and_then(|field| find_column(&header, &field.column));
        let outcome_field = outcome.slot.and_then(|s| schema.field(s));
        let is_bool = matches!(outcome_field.map(|f| &f.kind), Some(FieldKind::Bool { .. }));
        let missing_texts: &[String] = outcome_field.map_or(&[], |f| &f.missing);

        let mut survey = Survey {
            name: name.to_string(),
            ratings: vec![Vec::new(); columns.len()],
            columns,
            outcome: Vec::new(),
            outcome_info: Outcome {
                column: outcome.column.clone(),
                attribute: outcome_field.map(|f| f.name.clone()),
                kind: OutcomeKind::Numeric,
                positive: spec.positive.clone(),
            },
            segment_column: segment.as_ref().map(|s| s.column.clone()),
            segment_names: Vec::new(),
            segments: Vec::new(),
            keys: Vec::new(),
        };
        let mut scratch = Customer::empty(schema);
        let mut record = csv::ByteRecord::new();
        let mut seen_texts: Vec<String> = Vec::new();
        let mut not_numeric = false;
        let mut row = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Err(at(line, None, format!("cannot read the row: {e}")).into());
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.as_slice().len() > MAX_RECORD_BYTES {
                let message = format!("the row is longer than {MAX_RECORD_BYTES} bytes");
                return Err(at(line, None, message).into());
            }
            if record.len() != header.len() {
                let message = format!(
                    "the row has {} fields but the header has {}",
                    record.len(),
                    header.len()
                );
                return Err(at(line, None, message).into());
            }
            let text = |index: usize| {
                std::str::from_utf8(record.get(index).unwrap_or(b""))
                    .map(str::trim)
                    .map_err(|_| at(line, Some(index + 1), "the value is not valid UTF-8".into()))
            };
            for (ratings, &(slot, index)) in survey.ratings.iter_mut().zip(&rating_index) {
                let value = read_number(schema, &mut scratch, slot, text(index)?)
                    .map_err(|e| at(line, Some(index + 1), e))?;
                ratings.push(value);
            }

            let raw = text(outcome.index)?;
            let value = if raw.is_empty() || missing_texts.iter().any(|m| m == raw) {
                f64::NAN
            } else if let Some(label) = &spec.positive {
                remember(&mut seen_texts, raw);
                if raw == label.trim() { 1.0 } else { 0.0 }
            } else if let (true, Some(slot)) = (is_bool, outcome.slot) {
                customer::parse_text(schema, &mut scratch, slot, raw)
                    .map_err(|e| at(line, Some(outcome.index + 1), e.to_string()))?;
                match scratch.get(slot) {
                    Value::Bool(b) => f64::from(u8::from(b)),
                    _ => f64::NAN,
                }
            } else if let Some(n) = raw.parse::<f64>().ok().filter(|n| n.is_finite()) {
                n
            } else {
                remember(&mut seen_texts, raw);
                not_numeric = true;
                f64::NAN
            };
            survey.outcome.push(value);

            if let Some(segment) = &segment {
                let value = text(segment.index)?;
                let id = if value.is_empty() {
                    None
                } else if let Some(i) = survey.segment_names.iter().position(|s| s == value) {
                    u32::try_from(i).ok()
                } else if survey.segment_names.len() >= MAX_SEGMENTS {
                    return Err(CalibrationError::TooManySegments {
                        column: segment.column.clone(),
                        limit: MAX_SEGMENTS,
                    });
                } else {
                    survey.segment_names.push(value.to_string());
                    u32::try_from(survey.segment_names.len() - 1).ok()
                };
                survey.segments.push(id);
            }
            survey.keys.push(match id {
                Some(index) => stats::text_key(text(index)?),
                None => row,
            });
            row += 1;
        }
        sort_segments(&mut survey);
        if row == 0 {
            return Err(CalibrationError::EmptySurvey {
                file: name.to_string(),
            });
        }
        if not_numeric {
            return Err(CalibrationError::OutcomeNotNumeric {
                column: outcome.column,
                values: seen_texts,
            });
        }
        survey.outcome_info.kind = classify(&survey.outcome, is_bool || spec.positive.is_some());
        if let Some(label) = &spec.positive
            && !survey.outcome.contains(&1.0)
        {
            return Err(CalibrationError::UnknownLabel {
                column: outcome.column,
                label: label.clone(),
                values: seen_texts,
            });
        }
        if is_bool && spec.positive.is_none() {
            let catalog_attribute = engine
                .catalog()
                .customer
                .attributes
                .iter()
                .find(|a| Some(&a.name) == survey.outcome_info.attribute.as_ref());
            survey.outcome_info.positive = Some(
                catalog_attribute
                    .and_then(|a| a.true_values.first().cloned())
                    .unwrap_or_else(|| "true".into()),
            );
        } else if survey.outcome_info.kind == OutcomeKind::Binary && spec.positive.is_none() {
            survey.outcome_info.positive = Some("1".into());
        }
        Ok(survey)
    }

    /// Number of rows read.
    pub fn rows(&self) -> usize {
        self.outcome.len()
    }

    /// The file name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimensions' rating columns, in the catalog's order.
    pub fn columns(&self) -> &[RatingColumn] {
        &self.columns
    }

    /// How the outcome was read.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome_info
    }
}

/// The catalog's dimensions and the columns their ratings are read from.
fn rating_columns(engine: &Engine) -> Result<Vec<RatingColumn>, CalibrationError> {
    let Some(model) = engine.model() else {
        return Err(CalibrationError::NoDimensions);
    };
    model
        .dimensions
        .iter()
        .map(|d| {
            let attribute = d.perception.as_ref().and_then(|p| {
                engine
                    .catalog()
                    .customer
                    .attributes
                    .iter()
                    .find(|a| &a.name == p)
            });
            match attribute {
                Some(a) => Ok(RatingColumn {
                    dimension: d.id.clone(),
                    name: d.name.clone(),
                    attribute: a.name.clone(),
                    column: a.column().to_string(),
                }),
                None => Err(CalibrationError::NoRatingColumn {
                    dimension: d.id.clone(),
                }),
            }
        })
        .collect()
}

/// A header's index: exact match first, then ignoring ASCII case, as customers are read.
fn find_column(header: &[String], wanted: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h == wanted)
        .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(wanted)))
}

/// Finds the outcome or segment column: an attribute by name, an attribute by
/// its column, or a plain survey column.
fn locate(
    schema: &Schema,
    header: &[String],
    file: &str,
    wanted: &str,
    role: &str,
) -> Result<Found, CalibrationError> {
    let attributes = &schema.fields[..schema.attribute_count as usize];
    let by_name = schema.attribute(wanted);
    let by_column = || {
        attributes
            .iter()
            .position(|f| f.column.eq_ignore_ascii_case(wanted))
            .and_then(|i| u32::try_from(i).ok())
    };
    if let Some(slot) = by_name.or_else(by_column)
        && let Some(field) = schema.field(slot)
    {
        return match find_column(header, &field.column) {
            Some(index) => Ok(Found {
                index,
                slot: Some(slot),
                column: header[index].clone(),
            }),
            None => Err(CalibrationError::UnknownColumn {
                file: file.to_string(),
                column: field.column.clone(),
                wanted_by: format!("{role} (attribute `{}`)", field.name),
                suggestion: closest(&field.column, header.iter().map(String::as_str))
                    .map(str::to_string),
            }),
        };
    }
    match find_column(header, wanted) {
        Some(index) => Ok(Found {
            index,
            slot: None,
            column: header[index].clone(),
        }),
        None => Err(CalibrationError::UnknownColumn {
            file: file.to_string(),
            column: wanted.to_string(),
            wanted_by: role.to_string(),
            suggestion: closest(
                wanted,
                header
                    .iter()
                    .map(String::as_str)
                    .chain(schema.attribute_names()),
            )
            .map(str::to_string),
        }),
    }
}

/// A rating through its number attribute: `NaN` when blank or "not rated".
fn read_number(
    schema: &Schema,
    scratch: &mut Customer,
    slot: Slot,
    text: &str,
) -> Result<f64, String> {
    // parse_text always writes the slot (a value, or missing), so no reset is needed.
    customer::parse_text(schema, scratch, slot, text).map_err(|e| e.to_string())?;
    Ok(match scratch.get(slot) {
        Value::Number(n) => n,
        _ => f64::NAN,
    })
}

/// Puts the segments in alphabetical order, so reports do not depend on row order.
fn sort_segments(survey: &mut Survey) {
    let mut order: Vec<usize> = (0..survey.segment_names.len()).collect();
    order.sort_by(|&a, &b| survey.segment_names[a].cmp(&survey.segment_names[b]));
    let mut new_id = vec![0u32; order.len()];
    for (position, &old) in order.iter().enumerate() {
        new_id[old] = u32::try_from(position).unwrap_or(u32::MAX);
    }
    for id in survey.segments.iter_mut().flatten() {
        *id = new_id.get(*id as usize).copied().unwrap_or(u32::MAX);
    }
    survey.segment_names = order
        .iter()
        .map(|&i| survey.segment_names[i].clone())
        .collect();
}

/// Keeps the first few distinct texts of a column, for messages.
fn remember(seen: &mut Vec<String>, text: &str) {
    if seen.len() < 8 && !seen.iter().any(|s| s == text) {
        seen.push(text.to_string());
    }
}

/// A numeric outcome whose only values are 0 and 1 is binary.
fn classify(outcome: &[f64], binary: bool) -> OutcomeKind {
    let zero_one = outcome
        .iter()
        .filter(|v| !v.is_nan())
        .all(|&v| v == 0.0 || v == 1.0);
    if binary || zero_one {
        OutcomeKind::Binary
    } else {
        OutcomeKind::Numeric
    }
}
