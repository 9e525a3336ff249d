//! Spreadsheets a decision table reads its rows from: bytes of a CSV or
//! XLSX file in, the text of every non-empty cell with its row and column
//! out. What the cells mean is the rule language's business (`lang`).
//!
//! Everything here is bounded by the catalog's `limits`: the file's bytes
//! (checked by the reader before this), an XLSX file's unpacked size, the
//! rows and the cells read.

use crate::package::catalog::Limits;

/// An XLSX file's parts together may unpack to this many times
/// `limits.max_table_bytes` (a compressed sheet is about 5 to 10 times
/// smaller than its XML).
pub const XLSX_UNPACKED_FACTOR: usize = 16;

/// The cells of one worksheet or CSV file, row by row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The worksheet read (None for a CSV file).
    pub sheet: Option<String>,
    /// Rows with at least one non-empty cell, in order.
    pub rows: Vec<SheetRow>,
}

/// One row of a [`Sheet`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetRow {
    /// 1-based: the CSV line the row starts on, or the worksheet's row.
    pub number: u32,
    /// `(1-based column, text)` of its non-empty cells, left to right.
    pub cells: Vec<(u32, String)>,
}

impl SheetRow {
    /// The text in a column, or "" when the cell is empty.
    pub fn text(&self, column: u32) -> &str {
        self.cells
            .iter()
            .find(|(c, _)| *c == column)
            .map_or("", |(_, t)| t.as_str())
    }
}

/// What kind of file the name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    /// `.csv`
    Csv,
    /// `.xlsx`
    Xlsx,
}

impl SheetKind {
    /// By the file name's extension (case-insensitive); None for others.
    pub fn of(path: &str) -> Option<SheetKind> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(SheetKind::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(SheetKind::Xlsx)
        } else {
            None
        }
    }
}

/// Why a spreadsheet could not be read: a sentence for the user, and the
/// row and column it concerns when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetError {
    /// What went wrong.
    pub message: String,
    /// `(row, column)`, 1-based, when the problem is at a cell.
    pub at: Option<(u32, u32)>,
}

impl SheetError {
    fn new(message: impl Into<String>) -> SheetError {
        SheetError {
            message: message.into(),
            at: None,
        }
    }
}

/// Reads the cells of a CSV or XLSX file, within `limits`.
pub fn read(
    kind: SheetKind,
    bytes: &[u8],
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Sheet, SheetError> {
    match kind {
        SheetKind::Csv => {
            if let Some(sheet) = sheet {
                return Err(SheetError::new(format!(
                    "a CSV file has no sheets, but the table asks for sheet \"{sheet}\""
                )));
            }
            read_csv(bytes, limits)
        }
        SheetKind::Xlsx => read_xlsx(bytes, sheet, limits),
    }
}

/// Counts rows and cells against the limits as they are read.
struct Budget<'l> {
    limits: &'l Limits,
    rows: usize,
    cells: usize,
}

impl Budget<'_> {
    fn row(&mut self, row: &SheetRow) -> Result<(), SheetError> {
        self.rows += 1;
        self.cells += row.cells.len();
        // The header row comes on top of the table's rows.
        if self.rows > self.limits.max_table_rows.saturating_add(1) {
            return Err(SheetError {
                message: format!(
                    "the file has more than {} rows below its header (`limits.max_table_rows`)",
                    self.limits.max_table_rows
                ),
                at: Some((row.number, 1)),
            });
        }
        if self.cells > self.limits.max_table_cells {
            return Err(SheetError {
                message: format!(
                    "the file has more than {} non-empty cells (`limits.max_table_cells`)",
                    self.limits.max_table_cells
                ),
                at: Some((row.number, 1)),
            });
        }
        Ok(())
    }
}

fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        SheetError {
            message: format!(
                "the file is not valid UTF-8 text (byte {}); save it as \"CSV UTF-8\"",
                e.valid_up_to()
            ),
            at: Some((crate::base::index::dense_u32(line), 1)),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Spreadsheets set to a decimal comma save CSV with `;` between cells.
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut sheet = Sheet::default();
    let mut budget = Budget {
        limits,
        rows: 0,
        cells: 0,
    };
    let mut record = csv::StringRecord::new();
    let (mut counted, mut lines) = (0usize, 0usize);
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                return Err(SheetError {
                    message: format!("the file is not valid CSV: {e}"),
                    at: Some((crate::base::index::dense_u32(line as usize), 1)),
                });
            }
        }
        // The line the record's first cell is on (the reader's own line
        // count starts at the blank lines before it).
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while text
            .as_bytes()
            .get(start)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            start += 1;
        }
        let before = text.as_bytes().get(counted..start).unwrap_or_default();
        lines += before.iter().filter(|&&b| b == b'\n').count();
        counted = start.max(counted);
        let number = crate::base::index::dense_u32(lines + 1);
        let cells: Vec<(u32, String)> = record
            .iter()
            .enumerate()
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(i, text)| (crate::base::index::dense_u32(i + 1), text.to_string()))
            .collect();
        if cells.is_empty() {
            continue;
        }
        let row = SheetRow { number, cells };
        budget.row(&row)?;
        sheet.rows.push(row);
    }
    Ok(sheet)
}

#[cfg(not(feature = "xlsx"))]
fn read_xlsx(_: &[u8], _: Option<&str>, _: &Limits) -> Result<Sheet, SheetError> {
    Err(SheetError::new(
        "this build of vasrec reads no .xlsx files (it was built without the `xlsx` feature); save the sheet as CSV, or use a build with the feature",
    ))
}

#[cfg(feature = "xlsx")]
fn read_xlsx(bytes: &[u8], sheet: Option<&str>, limits: &Limits) -> Result<Sheet, SheetError> {
    use calamine::{DataRef, Reader as _, Xlsx};
    let not_xlsx = |e: &dyn std::fmt::Display| {
        SheetError::new(format!("the file is not a readable .xlsx workbook ({e})"))
    };
    // calamine unpacks the shared strings and the sheet's XML: refuse a
    // workbook whose parts claim more than the limit (zip checks that no
    // part unpacks to more than it claims).
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    let unpacked_limit = limits.max_table_bytes.saturating_mul(XLSX_UNPACKED_FACTOR) as u128;
    let mut unpacked = 0u128;
    for index in 0..archive.len() {
        let size = archive
            .by_index_raw(index)
            .map_err(|e| not_xlsx(&e))?
            .size();
        unpacked = unpacked.saturating_add(u128::from(size));
    }
    if unpacked > unpacked_limit {
        return Err(SheetError::new(format!(
            "the workbook unpacks to {unpacked} bytes, more than {XLSX_UNPACKED_FACTOR} times `limits.max_table_bytes` ({unpacked_limit})"
        )));
    }
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => {
            if !names.iter().any(|n| n == wanted) {
                let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                return Err(SheetError::new(format!(
                    "the workbook has no sheet \"{wanted}\"; its sheets are {}",
                    list.join(", ")
                )));
            }
            wanted.to_string()
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| SheetError::new("the workbook has no sheets"))?,
    };
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| not_xlsx(&e))?;
    let mut out = Sheet {
        sheet: Some(name),
        rows: Vec::new(),
    };
    let mut budget = Budget {
        limits,
        rows: 0,
        cells: 0,
    };
    let mut current = SheetRow::default();
    while let Some(cell) = reader.next_cell().map_err(|e| not_xlsx(&e))? {
        let (row, column) = cell.get_position();
        let (row, column) = (row.saturating_add(1), column.saturating_add(1));
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) => number_text(*f),
            DataRef::String(s) => s.clone(),
            DataRef::SharedString(s) => (*s).to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => number_text(d.as_f64()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::Error(e) => {
                return Err(SheetError {
                    message: format!("the cell holds the spreadsheet error {e}"),
                    at: Some((row, column)),
                });
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if row != current.number && !current.cells.is_empty() {
            let done = std::mem::take(&mut current);
            budget.row(&done)?;
            out.rows.push(done);
        }
        current.number = row;
        current.cells.push((column, text));
        // Cells of one row are counted as they come, not only at its end.
        if budget.cells + current.cells.len() > limits.max_table_cells {
            budget.row(&current)?;
        }
    }
    if !current.cells.is_empty() {
        budget.row(&current)?;
        out.rows.push(current);
    }
    for row in &mut out.rows {
        row.cells.sort_by_key(|(c, _)| *c);
    }
    Ok(out)
}

/// A number as a person would type it: `12`, not `12.0`; `0.7`, not
/// `0.69999...` (f64's shortest form that reads back the same).
#[cfg(feature = "xlsx")]
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_and_column() {
        let text = "a,b,c\n\n1,,x\n\"two\nlines\",2,\n";
        let sheet = read(SheetKind::Csv, text.as_bytes(), None, &Limits::default()).unwrap();
        assert_eq!(sheet.rows.len(), 3);
        assert_eq!(sheet.rows[1].number, 3);
        assert_eq!(sheet.rows[1].cells, vec![(1, "1".into()), (3, "x".into())]);
        assert_eq!(sheet.rows[2].number, 4);
        assert_eq!(sheet.rows[2].text(2), "2");
    }

    #[test]
    fn semicolons_separate_cells_when_the_header_has_no_comma() {
        let sheet = read(SheetKind::Csv, b"a;b\n1;2\n", None, &Limits::default()).unwrap();
        assert_eq!(sheet.rows[1].text(2), "2");
    }

    #[test]
    fn rows_and_cells_are_limited() {
        let limits = Limits {
            max_table_rows: 2,
            max_table_cells: 7,
            ..Limits::default()
        };
        let three = "a,b\n1,2\n3,4\n";
        assert!(read(SheetKind::Csv, three.as_bytes(), None, &limits).is_ok());
        let four = "a,b\n1,2\n3,4\n5,6\n";
        let error = read(SheetKind::Csv, four.as_bytes(), None, &limits).unwrap_err();
        assert!(error.message.contains("max_table_rows"), "{error:?}");
        assert_eq!(error.at, Some((4, 1)));
        let wide = "a,b,c,d\n1,2,3,4\n";
        let error = read(SheetKind::Csv, wide.as_bytes(), None, &limits).unwrap_err();
        assert!(error.message.contains("max_table_cells"), "{error:?}");
    }

    #[test]
    fn a_csv_file_has_no_sheet() {
        let error = read(SheetKind::Csv, b"a\n", Some("Grid"), &Limits::default()).unwrap_err();
        assert!(error.message.contains("no sheets"));
    }

    #[test]
    fn kinds_come_from_the_extension() {
        assert_eq!(SheetKind::of("x/Offers.CSV"), Some(SheetKind::Csv));
        assert_eq!(SheetKind::of("offers.xlsx"), Some(SheetKind::Xlsx));
        assert_eq!(SheetKind::of("offers.xls"), None);
    }
}
