//! Reading a survey: one or more rating columns per dimension, an outcome,
//! and optionally a column to segment by.
//!
//! In: the engine (its catalog's dimensions and customer schema) and a CSV
//! reader. Out: a [`Survey`] held by column, with `NaN` for a missing value
//! (blank, or one of the attribute's `missing_values`, i.e. "not rated").
//! A dimension with several items is rated by the weighted mean of the items
//! a respondent rated, as the engine reads a customer; not rated when none is.

use super::error::CalibrationError;
use super::stats;
use crate::Engine;
use crate::base::diagnostic::closest;
use crate::package::customer::{self, Customer, Value};
use crate::package::file_format::InputFormat;
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

/// One dimension's rating column (or columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingColumn {
    /// The dimension's id.
    pub dimension: String,
    /// Its display name.
    pub name: String,
    /// The perception attribute (several items: their names joined by `, `).
    pub attribute: String,
    /// The survey column, as the header spells it (several items: joined by `, `).
    pub column: String,
    /// Each perception item, in the order written.
    pub items: Vec<RatingItem>,
}

/// One perception item of a dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingItem {
    /// The attribute.
    pub attribute: String,
    /// Its survey column.
    pub column: String,
    /// Its weight in the dimension's mean.
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
    pub weight: f64,
}

/// A survey read by column.
#[derive(Debug, Clone)]
pub struct Survey {
    pub(crate) name: String,
    pub(crate) columns: Vec<RatingColumn>,
    /// Per dimension, one rating per row; `NaN` where missing.
    pub(crate) ratings: Vec<Vec<f64>>,
    /// Per dimension with several items, per item, one rating per row
    /// (`NaN` where missing); empty for a dimension with one item.
    pub(crate) items: Vec<Vec<Vec<f64>>>,
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

/// Where each part of a row is read from, found once from the header.
struct Layout {
    /// Per dimension, per item: the attribute's slot, the header index and the weight.
    ratings: Vec<Vec<(Slot, usize, f64)>>,
    outcome: Found,
    segment: Option<Found>,
    /// The header index of the customer id, when the survey has it.
    id: Option<usize>,
}

/// Turns the outcome column's texts into numbers, and keeps what it saw for
/// the messages that may refuse the outcome once every row is read.
struct OutcomeReader<'a> {
    /// The attribute the outcome is read through, if any.
    slot: Option<Slot>,
    /// Whether that attribute is a bool, so its own true/false texts apply.
    is_bool: bool,
    /// The attribute's texts for "no value".
    missing: &'a [String],
    /// The label that counts as 1, when the outcome is binary by request.
    positive: Option<&'a str>,
    /// The first few distinct texts met, for messages.
    seen: Vec<String>,
    /// Whether a text was neither a number nor missing.
    not_numeric: bool,
}

impl Survey {
    /// Reads a CSV survey through the catalog's column mapping.
    pub fn read(
        engine: &Engine,
        spec: &SurveySpec,
        name: &str,
        input: impl std::io::Read,
    ) -> Result<Survey, CalibrationError> {
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        Self::read_rows(engine, spec, name, Rows::csv(reader))
    }

    /// Reads a survey file in the format its name says (CSV, or Parquet and
    /// Arrow IPC with the cargo feature `arrow`), through the catalog's
    /// column mapping. A columnar file's values are read as the texts a CSV
    /// export of it would hold, so both give the same survey.
    pub fn read_file(
        engine: &Engine,
        spec: &SurveySpec,
        name: &str,
        file: std::fs::File,
        format: InputFormat,
    ) -> Result<Survey, CalibrationError> {
        match format {
            InputFormat::Parquet | InputFormat::Arrow => {
                Self::read_rows(engine, spec, name, Rows::columnar(name, file, format)?)
            }
            _ => Self::read(
                engine,
                spec,
                name,
                std::io::BufReader::with_capacity(1 << 16, file),
            ),
        }
    }

    fn read_rows<R: std::io::Read>(
        engine: &Engine,
        spec: &SurveySpec,
        name: &str,
        mut rows: Rows<R>,
    ) -> Result<Survey, CalibrationError> {
        let schema = &engine.schema();
        let header = rows.header(name)?;
        if header.iter().all(String::is_empty) {
            return Err(CalibrationError::EmptySurvey {
                file: name.to_string(),
            });
        }
        let columns = rating_columns(engine)?;
        let layout = map_columns(schema, spec, &header, name, &columns)?;
        rows.use_columns(&layout)?;
        let outcome_field = layout.outcome.slot.and_then(|s| schema.field(s));
        let mut outcome = OutcomeReader {
            slot: layout.outcome.slot,
            is_bool: matches!(outcome_field.map(|f| &f.kind), Some(FieldKind::Bool { .. })),
            missing: outcome_field.map_or(&[], |f| &f.missing),
            positive: spec.positive.as_deref(),
            seen: Vec::new(),
            not_numeric: false,
        };

        let mut survey = Survey {
            name: name.to_string(),
            ratings: vec![Vec::new(); columns.len()],
            items: columns
                .iter()
                .map(|c| {
                    if c.items.len() > 1 {
                        vec![Vec::new(); c.items.len()]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            columns,
            outcome: Vec::new(),
            outcome_info: Outcome {
                column: layout.outcome.column.clone(),
                attribute: outcome_field.map(|f| f.name.clone()),
                kind: OutcomeKind::Numeric,
                positive: spec.positive.clone(),
            },
            segment_column: layout.segment.as_ref().map(|s| s.column.clone()),
            segment_names: Vec::new(),
            segments: Vec::new(),
            keys: Vec::new(),
        };
        read_rows(
            &mut rows,
            schema,
            name,
            header.len(),
            &layout,
            &mut outcome,
            &mut survey,
        )?;
        sort_segments(&mut survey);
        if survey.rows() == 0 {
            return Err(CalibrationError::EmptySurvey {
                file: name.to_string(),
            });
        }
        settle_outcome(engine, spec, outcome, &mut survey)?;
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

/// A problem at a place in the survey file.
fn at(file: &str, line: u64, column: Option<usize>, message: String) -> DataError {
    DataError::at_line(file, line, column, message)
}

/// Every column is looked up once, before any row, so a missing column is
/// reported up front and rows are then read by index. The rating columns
/// are looked up first, then the outcome, the segment and the id.
fn map_columns(
    schema: &Schema,
    spec: &SurveySpec,
    header: &[String],
    name: &str,
    columns: &[RatingColumn],
) -> Result<Layout, CalibrationError> {
    let mut ratings = Vec::with_capacity(columns.len());
    for c in columns {
        let mut items = Vec::with_capacity(c.items.len());
        for item in &c.items {
            let Some(index) = find_column(header, &item.column) else {
                return Err(CalibrationError::UnknownColumn {
                    file: name.to_string(),
                    column: item.column.clone(),
                    wanted_by: format!(
                        "dimension `{}` (attribute `{}`)",
                        c.dimension, item.attribute
                    ),
                    suggestion: closest(&item.column, header.iter().map(String::as_str))
                        .map(str::to_string),
                });
            };
            let slot = schema.attribute(&item.attribute).unwrap_or(u32::MAX);
            items.push((slot, index, item.weight));
        }
        ratings.push(items);
    }
    let outcome = locate(schema, header, name, &spec.outcome, "the outcome")?;
    let segment = match &spec.segment_by {
        Some(s) => Some(locate(schema, header, name, s, "the segment")?),
        None => None,
    };
    let id = schema
        .id_slot
        .and_then(|slot| schema.field(slot))
        .and_then(|field| find_column(header, &field.column));
    Ok(Layout {
        ratings,
        outcome,
        segment,
        id,
    })
}

/// Reads every row into `survey`. The first bad value stops the read, with
/// its line and column: a fit on the rows that happened to parse would look
/// fine and be wrong.
fn read_rows<R: std::io::Read>(
    rows: &mut Rows<R>,
    schema: &Schema,
    name: &str,
    width: usize,
    layout: &Layout,
    outcome: &mut OutcomeReader,
    survey: &mut Survey,
) -> Result<(), CalibrationError> {
    let mut scratch = Customer::empty(schema);
    let mut row = 0u64;
    while rows.next(name, width)?.is_some() {
        let text = |index: usize| rows.text(name, index);
        for ((ratings, items), layout) in survey
            .ratings
            .iter_mut()
            .zip(survey.items.iter_mut())
            .zip(&layout.ratings)
        {
            let (mut sum, mut weights) = (0.0, 0.0);
            for (k, &(slot, index, weight)) in layout.iter().enumerate() {
                let value = read_number(schema, &mut scratch, slot, text(index)?)
                    .map_err(|e| rows.at(name, Some(index), e))?;
                if let Some(column) = items.get_mut(k) {
                    column.push(value);
                }
                if value.is_finite() {
                    sum += weight * value;
                    weights += weight;
                }
            }
            ratings.push(if weights > 0.0 {
                sum / weights
            } else {
                f64::NAN
            });
        }

        let index = layout.outcome.index;
        let value = outcome
            .decode(schema, &mut scratch, text(index)?)
            .map_err(|e| rows.at(name, Some(index), e))?;
        survey.outcome.push(value);

        if let Some(segment) = &layout.segment {
            let id = segment_id(
                &mut survey.segment_names,
                &segment.column,
                text(segment.index)?,
            )?;
            survey.segments.push(id);
        }
        survey.keys.push(match layout.id {
            Some(index) => stats::text_key(text(index)?),
            None => row,
        });
        row += 1;
    }
    Ok(())
}

/// Where a survey's rows come from: a CSV file, or a Parquet or Arrow file
/// read as the texts a CSV export of it would hold.
enum Rows<R: std::io::Read> {
    Csv {
        reader: csv::Reader<R>,
        record: csv::ByteRecord,
        line: u64,
    },
    #[cfg(feature = "arrow")]
    Columnar(Box<crate::package::columnar::TextRows>),
}

impl<R: std::io::Read> Rows<R> {
    fn csv(reader: csv::Reader<R>) -> Rows<R> {
        Rows::Csv {
            reader,
            record: csv::ByteRecord::new(),
            line: 0,
        }
    }

    fn header(&mut self, name: &str) -> Result<Vec<String>, CalibrationError> {
        match self {
            Rows::Csv { reader, .. } => Ok(crate::package::input::header_names(
                reader
                    .byte_headers()
                    .map_err(|e| at(name, 1, None, format!("cannot read the header row: {e}")))?
                    .iter(),
            )),
            #[cfg(feature = "arrow")]
            Rows::Columnar(rows) => Ok(rows.header().to_vec()),
        }
    }

    /// A columnar file turns only the columns read into text, and refuses
    /// one of a type that has no value to read.
    #[cfg_attr(not(feature = "arrow"), allow(unused_variables))]
    fn use_columns(&mut self, layout: &Layout) -> Result<(), CalibrationError> {
        match self {
            Rows::Csv { .. } => Ok(()),
            #[cfg(feature = "arrow")]
            Rows::Columnar(rows) => {
                let indices = (layout.ratings.iter().flatten().map(|&(_, i, _)| i))
                    .chain([layout.outcome.index])
                    .chain(layout.segment.as_ref().map(|s| s.index))
                    .chain(layout.id);
                for index in indices {
                    rows.use_column(index)?;
                }
                Ok(())
            }
        }
    }

    /// Moves to the next row: its line (a columnar file's row number), or
    /// `None` at the end. A CSV row that is too long or does not match the
    /// header is refused whole, since its values cannot be matched to
    /// columns safely.
    fn next(&mut self, name: &str, width: usize) -> Result<Option<u64>, CalibrationError> {
        let (reader, record, line) = match self {
            Rows::Csv {
                reader,
                record,
                line,
            } => (reader, record, line),
            #[cfg(feature = "arrow")]
            Rows::Columnar(rows) => return Ok(rows.next_row()?),
        };
        match reader.read_byte_record(record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(at(name, line, None, format!("cannot read the row: {e}")).into());
            }
        }
        *line = record.position().map_or(0, |p| p.line());
        if record.as_slice().len() > MAX_RECORD_BYTES {
            let message = format!("the row is longer than {MAX_RECORD_BYTES} bytes");
            return Err(at(name, *line, None, message).into());
        }
        if record.len() != width {
            let message = format!(
                "the row has {} fields but the header has {}",
                record.len(),
                width
            );
            return Err(at(name, *line, None, message).into());
        }
        Ok(Some(*line))
    }

    /// The current row's value in column `index`, trimmed.
    fn text(&self, name: &str, index: usize) -> Result<&str, DataError> {
        match self {
            Rows::Csv { record, .. } => std::str::from_utf8(record.get(index).unwrap_or(b""))
                .map(str::trim)
                .map_err(|_| self.at(name, Some(index), "the value is not valid UTF-8".into())),
            #[cfg(feature = "arrow")]
            Rows::Columnar(rows) => Ok(rows.cell(index).trim()),
        }
    }

    /// A problem with the current row, in column `index` (0-based) when given.
    fn at(&self, name: &str, column: Option<usize>, message: String) -> DataError {
        match self {
            Rows::Csv { line, .. } => at(name, *line, column.map(|c| c + 1), message),
            #[cfg(feature = "arrow")]
            Rows::Columnar(rows) => rows.error(column, message),
        }
    }
}

impl Rows<std::io::Empty> {
    /// A Parquet or Arrow file; without the cargo feature `arrow`, an error
    /// that says how to get one.
    #[cfg_attr(not(feature = "arrow"), allow(unused_variables))]
    fn columnar(
        name: &str,
        file: std::fs::File,
        format: InputFormat,
    ) -> Result<Rows<std::io::Empty>, CalibrationError> {
        #[cfg(feature = "arrow")]
        {
            use crate::package::file_format::Columnar;
            let rows =
                crate::package::columnar::TextRows::open(name, Columnar::File(file), format)?;
            Ok(Rows::Columnar(Box::new(rows)))
        }
        #[cfg(not(feature = "arrow"))]
        Err(DataError {
            file: name.to_string(),
            line: 0,
            column: None,
            message: format!(
                "this vasrec was built without {} support: build it with `--features arrow`, or export the survey to CSV",
                if format == InputFormat::Parquet { "Parquet" } else { "Arrow IPC" }
            ),
            place: crate::package::input::Place::File,
        }
        .into())
    }
}

impl OutcomeReader<'_> {
    /// One row's outcome: `NaN` when missing or not a number (the caller
    /// refuses the outcome after the last row, so the message can list the
    /// texts seen); `Err` only for a bool attribute's unreadable text.
    fn decode(
        &mut self,
        schema: &Schema,
        scratch: &mut Customer,
        raw: &str,
    ) -> Result<f64, String> {
        Ok(if raw.is_empty() || self.missing.iter().any(|m| m == raw) {
            f64::NAN
        } else if let Some(label) = self.positive {
            remember(&mut self.seen, raw);
            if raw == label.trim() { 1.0 } else { 0.0 }
        } else if let (true, Some(slot)) = (self.is_bool, self.slot) {
            customer::parse_text(schema, scratch, slot, raw).map_err(|e| e.to_string())?;
            match scratch.get(slot) {
                Value::Bool(b) => f64::from(u8::from(b)),
                _ => f64::NAN,
            }
        } else if let Some(n) = raw.parse::<f64>().ok().filter(|n| n.is_finite()) {
            n
        } else {
            remember(&mut self.seen, raw);
            self.not_numeric = true;
            f64::NAN
        })
    }
}

/// Segments are numbered as first met (`sort_segments` renumbers them at
/// the end); their count is capped because each one is fitted and reported
/// on its own.
fn segment_id(
    names: &mut Vec<String>,
    column: &str,
    value: &str,
) -> Result<Option<u32>, CalibrationError> {
    Ok(if value.is_empty() {
        None
    } else if let Some(i) = names.iter().position(|s| s == value) {
        u32::try_from(i).ok()
    } else if names.len() >= MAX_SEGMENTS {
        return Err(CalibrationError::TooManySegments {
            column: column.to_string(),
            limit: MAX_SEGMENTS,
        });
    } else {
        names.push(value.to_string());
        u32::try_from(names.len() - 1).ok()
    })
}

/// Whether the outcome is binary, and which label means yes, can only be
/// told once every row is read; so can a label that never occurs.
fn settle_outcome(
    engine: &Engine,
    spec: &SurveySpec,
    outcome: OutcomeReader,
    survey: &mut Survey,
) -> Result<(), CalibrationError> {
    if outcome.not_numeric {
        return Err(CalibrationError::OutcomeNotNumeric {
            column: survey.outcome_info.column.clone(),
            values: outcome.seen,
        });
    }
    survey.outcome_info.kind =
        classify(&survey.outcome, outcome.is_bool || spec.positive.is_some());
    if let Some(label) = &spec.positive
        && !survey.outcome.contains(&1.0)
    {
        return Err(CalibrationError::UnknownLabel {
            column: survey.outcome_info.column.clone(),
            label: label.clone(),
            values: outcome.seen,
        });
    }
    if outcome.is_bool && spec.positive.is_none() {
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
    Ok(())
}

/// The catalog's dimensions and the columns their ratings are read from.
fn rating_columns(engine: &Engine) -> Result<Vec<RatingColumn>, CalibrationError> {
    let Some(model) = engine.model() else {
        return Err(CalibrationError::NoDimensions);
    };
    let attributes: std::collections::HashMap<&str, &crate::package::catalog::Attribute> = engine
        .catalog()
        .customer
        .attributes
        .iter()
        .rev()
        .map(|a| (a.name.as_str(), a))
        .collect();
    model
        .dimensions
        .iter()
        .map(|d| {
            let items: Vec<RatingItem> = d
                .perception_items()
                .iter()
                .filter_map(|(p, weight)| {
                    let a = attributes.get(p.as_str())?;
                    Some(RatingItem {
                        attribute: a.name.clone(),
                        column: a.column().to_string(),
                        weight: *weight,
                    })
                })
                .collect();
            if items.is_empty() {
                return Err(CalibrationError::NoRatingColumn {
                    dimension: d.id.clone(),
                });
            }
            let joined = |part: fn(&RatingItem) -> &str| {
                items.iter().map(part).collect::<Vec<_>>().join(", ")
            };
            Ok(RatingColumn {
                dimension: d.id.clone(),
                name: d.name.clone(),
                attribute: joined(|i| &i.attribute),
                column: joined(|i| &i.column),
                items,
            })
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
