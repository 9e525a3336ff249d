//! Source files and spans.
//!
//! Every diagnostic points into a file through a [`Span`] of byte offsets;
//! line and column are computed only when a diagnostic is rendered.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub(crate) u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    pub(crate) fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: crate::base::index::dense_u32(start),
            end: crate::base::index::dense_u32(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub(crate) fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file: its display name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown in diagnostics (a path relative to the package when known).
    pub name: String,
    /// Full path when the file came from disk.
    pub path: Option<PathBuf>,
    /// The text, without a leading byte-order mark.
    pub text: String,
    line_starts: Vec<usize>,
    /// For the rows of a decision table read from a spreadsheet: which
    /// cell each byte range of `text` came from, so that a place in the
    /// text is shown as the cell (`offers.csv:7:3`, `offers.xlsx:Grid!C7`).
    pub grid: Option<Grid>,
}

/// Where the text of a spreadsheet-backed source came from, cell by cell.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// The worksheet's name for a workbook; None for a CSV file.
    pub sheet: Option<String>,
    /// The places, in the order of their byte ranges in the text.
    pub places: Vec<GridPlace>,
}

/// One cell (or, with `column == 0`, one whole row) of a spreadsheet.
#[derive(Debug, Clone)]
pub struct GridPlace {
    /// Byte range in the source's text.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// 1-based row (the CSV line, or the worksheet's row number).
    pub row: u32,
    /// 1-based column; 0 for the whole row.
    pub column: u32,
    /// The cell's text as the spreadsheet holds it (a row's cells joined).
    pub text: String,
    /// Whether `text` stands in the source's text byte for byte, so that a
    /// caret can point inside it.
    pub verbatim: bool,
}

impl Grid {
    /// The place a byte offset falls in: the innermost cell, else its row.
    /// The end of a cell's text (where a message about a missing part
    /// points) is still that cell.
    pub fn place(&self, offset: u32) -> Option<&GridPlace> {
        let upto = self.places.partition_point(|p| p.start <= offset);
        let mut row = None;
        for place in self.places.get(..upto).unwrap_or_default().iter().rev() {
            if offset <= place.end {
                if place.column > 0 {
                    return Some(place);
                }
                row = row.or(Some(place));
            }
        }
        row.or_else(|| self.places.get(..upto).and_then(<[GridPlace]>::last))
    }

    /// `7:3` for a CSV cell, `Grid!C7` for a worksheet cell; `7` and
    /// `Grid!7:7` for whole rows.
    pub fn address(&self, place: &GridPlace) -> String {
        match (&self.sheet, place.column) {
            (None, 0) => place.row.to_string(),
            (None, column) => format!("{}:{column}", place.row),
            (Some(sheet), 0) => format!("{sheet}!{0}:{0}", place.row),
            (Some(sheet), column) => format!("{sheet}!{}{}", column_letters(column), place.row),
        }
    }
}

/// A spreadsheet's column letters: 1 is `A`, 27 is `AA`.
pub fn column_letters(column: u32) -> String {
    let mut n = column;
    let mut letters = Vec::new();
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl SourceFile {
    /// Builds a file, dropping a UTF-8 byte-order mark so columns stay right.
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> Self {
        let mut text = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts,
            grid: None,
        }
    }

    /// Where an offset is, as a user finds it: `file:line:col`, or for a
    /// spreadsheet the cell (`offers.csv:7:3`, `offers.xlsx:Grid!C7`).
    pub fn place(&self, offset: u32) -> String {
        if let Some(grid) = &self.grid
            && let Some(place) = grid.place(offset)
        {
            return format!("{}:{}", self.name, grid.address(place));
        }
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.name)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// All files of a package, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(crate::base::index::dense_u32(self.files.len() - 1))
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Every file with its id, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(crate::base::index::dense_u32(i)), f))
    }

    /// The text a span covers, or "" when the span is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).map_or("", |f| f.slice(span))
    }

    /// Finds a file by its display name.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.iter().find(|(_, f)| f.name == name).map(|(id, _)| id)
    }
}

/// Display name of a path inside a package folder.
pub(crate) fn display_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let file = SourceFile::new("a.vas", None, "ab\n高价值 x\n");
        let x = file.text.find('x').unwrap() as u32;
        assert_eq!(file.line_col(x), (2, 5));
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_text(2), "高价值 x");
        assert_eq!(file.line_text(9), "");
    }

    #[test]
    fn spreadsheet_places_are_cells() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(703), "AAA");
        let mut file = SourceFile::new("g.xlsx", None, "row\n< 12\n");
        let place = |start, end, column, text: &str| GridPlace {
            start,
            end,
            row: 7,
            column,
            text: text.into(),
            verbatim: true,
        };
        file.grid = Some(Grid {
            sheet: Some("Grid".into()),
            places: vec![place(0, 9, 0, "< 12"), place(4, 8, 3, "< 12")],
        });
        assert_eq!(file.place(5), "g.xlsx:Grid!C7");
        assert_eq!(file.place(0), "g.xlsx:Grid!7:7");
        file.grid.as_mut().unwrap().sheet = None;
        assert_eq!(file.place(5), "g.xlsx:7:3");
        assert_eq!(file.place(1), "g.xlsx:7");
    }

    #[test]
    fn bom_is_dropped() {
        let file = SourceFile::new("a.vas", None, "\u{feff}rule");
        assert_eq!(file.text, "rule");
    }

    #[test]
    fn crlf_lines_have_no_carriage_return() {
        let file = SourceFile::new("a.vas", None, "a\r\nb\r\n");
        assert_eq!(file.line_text(1), "a");
        assert_eq!(file.line_col(3), (2, 1));
    }
}
