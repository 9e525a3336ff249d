//! What every customer file reader shares: the formats, the fixed chunk
//! size, the errors that name a row's place, and the mapping of columns to
//! schema slots. Below both the text readers (`input`) and the columnar
//! one (`columnar`), so that neither has to name the other's file.

use crate::base::render::printable;
use crate::package::schema::{Schema, Slot};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// Format of a customer file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum InputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An Apache Parquet file, read row group by row group (needs the
    /// cargo feature `arrow`).
    Parquet,
    /// An Apache Arrow IPC file or stream (needs the cargo feature `arrow`).
    Arrow,
}

impl InputFormat {
    /// Picks the format from a file name: `.jsonl`, `.ndjson` and `.json`
    /// are JSON Lines, `.parquet` is Parquet, `.arrow`, `.arrows`, `.ipc`
    /// and `.feather` are Arrow IPC, anything else CSV.
    pub fn from_path(path: &Path) -> InputFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => InputFormat::Jsonl,
            Some("parquet") => InputFormat::Parquet,
            Some("arrow" | "arrows" | "ipc" | "feather") => InputFormat::Arrow,
            _ => InputFormat::Csv,
        }
    }

    /// Whether the format is columnar (Parquet or Arrow IPC).
    pub fn is_columnar(self) -> bool {
        matches!(self, InputFormat::Parquet | InputFormat::Arrow)
    }
}

/// Customers per chunk. Fixed, so that results never depend on the thread
/// count, nor on the input's format.
pub const CHUNK_ROWS: usize = 2048;

/// A customer row that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    /// File name as given.
    pub file: String,
    /// 1-based line of the row (0 when not known); in a Parquet or Arrow
    /// file, the row's 1-based number in the file.
    pub line: u64,
    /// 1-based field number in a CSV row (in a Parquet or Arrow file, the
    /// column's), when one field is at fault.
    pub column: Option<usize>,
    /// What was wrong, in words.
    pub message: String,
    /// Where in the file, for the message: a line, or a row group's row.
    pub place: Place,
}

impl DataError {
    /// The error of a row at `line` (and `column`, 1-based) of a text file.
    pub(crate) fn at_line(
        file: &str,
        line: u64,
        column: Option<usize>,
        message: String,
    ) -> DataError {
        DataError {
            place: Place::Line,
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Where a [`DataError`] is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// A line (and column) of a text file (CSV, JSON Lines).
    Line,
    /// The file as a whole (its format, its columns), not one row.
    File,
    /// A row of a Parquet row group; the group is counted from 0 (as
    /// pyarrow's `read_row_group` counts), the row in it from 1.
    RowGroup {
        /// Row group index, from 0.
        group: usize,
        /// Row in the group, from 1.
        row: u64,
    },
    /// A row of a record batch a program gave, counted from 1.
    Row {
        /// Row in the batch, from 1.
        row: u64,
    },
    /// A row of an Arrow IPC record batch; the batch is counted from 0, the
    /// row in it from 1.
    RecordBatch {
        /// Record batch index, from 0.
        batch: usize,
        /// Row in the batch, from 1.
        row: u64,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::base::number::count;
        // Messages quote the data; a control character in it must not act
        // on the terminal that shows the error.
        let (file, message) = (printable(&self.file), printable(&self.message));
        let line = self.line;
        match (self.place, self.column) {
            (Place::File, _) => write!(f, "{file}: {message}"),
            (Place::RowGroup { group, row }, _) => write!(
                f,
                "{file}: row group {group}, row {} (row {} of the file): {message}",
                count(row),
                count(line)
            ),
            (Place::RecordBatch { batch, row }, _) => write!(
                f,
                "{file}: record batch {batch}, row {} (row {} of the file): {message}",
                count(row),
                count(line)
            ),
            (Place::Row { row }, _) => write!(f, "{file}: row {}: {message}", count(row)),
            (Place::Line, Some(c)) => write!(f, "{file}:{line}:{c}: {message}"),
            (Place::Line, None) => write!(f, "{file}:{line}: {message}"),
        }
    }
}

impl std::error::Error for DataError {}

/// Per slot found, its column's index; and the absent optional columns.
pub(crate) type Mapped = (Vec<(Slot, usize)>, Vec<String>);

/// Finds each schema field's column among `names` (exactly, else ignoring
/// case): per slot found, its column's index; and the optional fields'
/// columns that are absent. A column named twice, or a required one
/// missing, is an error made by `error` (given the 1-based column when one
/// is at fault). `what` names the list of names in messages (`header`).
pub(crate) fn map_columns(
    schema: &Schema,
    names: &[String],
    what: &str,
    error: &dyn Fn(Option<usize>, String) -> DataError,
) -> Result<Mapped, DataError> {
    for field in &schema.fields {
        if let Some((first, second)) = duplicate(names, &field.column) {
            return Err(error(
                Some(second + 1),
                format!(
                    "the {what} names the column `{}` twice, as columns {} and {} (keep one: which is meant is not clear)",
                    names[second],
                    first + 1,
                    second + 1
                ),
            ));
        }
    }
    let mut slots = Vec::new();
    let mut absent = Vec::new();
    for (slot, field) in schema.fields.iter().enumerate() {
        let found = names.iter().position(|n| *n == field.column).or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&field.column))
        });
        match found {
            Some(i) => slots.push((crate::base::index::dense_u32(slot), i)),
            None if field.required => {
                let help = crate::base::diagnostic::closest(
                    &field.column,
                    names.iter().map(String::as_str),
                )
                .map(|c| format!(" (did you mean `{c}`? set `column:` in catalog.yaml)"))
                .unwrap_or_default();
                return Err(error(
                    None,
                    format!(
                        "the {what} has no column `{}`, which the required attribute `{}` is read from{help}",
                        field.column, field.name
                    ),
                ));
            }
            None => absent.push(field.column.clone()),
        }
    }
    Ok((slots, absent))
}

/// The first two columns of `names` that a schema column would be read
/// from: the same name twice, or, when no column has the exact name, two
/// that match it ignoring case.
fn duplicate(names: &[String], column: &str) -> Option<(usize, usize)> {
    let two = |same: &dyn Fn(&str) -> bool| {
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, n)| same(n))
            .map(|(i, _)| i);
        Some((found.next()?, found.next()))
    };
    match two(&|n| n == column)? {
        (first, Some(second)) => Some((first, second)),
        (_, None) => None,
    }
    .or_else(|| {
        if names.iter().any(|n| n == column) {
            return None;
        }
        match two(&|n| n.eq_ignore_ascii_case(column))? {
            (first, Some(second)) => Some((first, second)),
            (_, None) => None,
        }
    })
}

/// A columnar input: a file (Parquet needs to seek to its footer), or a
/// stream (Arrow IPC only).
#[cfg_attr(not(feature = "arrow"), allow(dead_code))]
pub(crate) enum Columnar {
    File(std::fs::File),
    Stream(Box<dyn Read + Send>),
}
