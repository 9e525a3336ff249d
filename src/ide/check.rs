//! Diagnostics for an editor: the checker's own, placed in byte ranges.
//!
//! In: the package's files as texts. Out: every error and warning the
//! checker finds (the same codes, messages, labels, notes and help as
//! `vasrec check`), each with the file and byte range it belongs to, and a
//! replacement when its help says "did you mean `x`?".

use crate::base::diagnostic::{Code, Diagnostic, Severity};
use crate::base::source::{SourceFile, SourceMap};
use crate::engine::Engine;
use crate::engine::load::{CATALOG_FILE, MAX_FILE_BYTES, read_table_file};
use crate::ide::files::{Unread, is_case_file};
use crate::ide::names::Location;
use crate::ide::position::floor_char_boundary;
use std::ops::Range;
use std::path::Path;

/// One diagnostic of the package, placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiagnostic {
    /// The file it belongs to; a problem of the whole package (no rule
    /// files at all, say) belongs to the catalog.
    pub file: String,
    /// Bytes it points at (empty for a point).
    pub range: Range<usize>,
    /// The stable code (`UNKNOWN_SEGMENT`).
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Further lines (a cycle path, a key path).
    pub notes: Vec<String>,
    /// Other places that explain the problem, with what to say there.
    pub related: Vec<(Location, String)>,
    /// The text that fixes it, to put in `range`, when the help names one
    /// ("did you mean `spend_12m`?").
    pub fix: Option<String>,
}

/// Checks the package made of `files` with the real checker (test case
/// files are `vasrec test`'s, not the checker's: they are left out). The
/// spreadsheets tables read their rows from are taken from `files` when
/// there (an editor's buffer of a CSV file), else read from the package
/// folder `root` under the checker's confinement.
pub(crate) fn check(files: &[(&str, &SourceFile)], root: Option<&Path>) -> Vec<FileDiagnostic> {
    let catalog = files
        .iter()
        .find(|(name, _)| *name == CATALOG_FILE)
        .map_or("", |(_, source)| source.text.as_str());
    let rule_files: Vec<(&str, &str)> = files
        .iter()
        .filter(|(name, _)| *name != CATALOG_FILE && !is_case_file(name))
        .map(|(name, source)| (*name, source.text.as_str()))
        .collect();
    let read = |path: &str, max: usize| {
        let wanted = path.trim_start_matches("./");
        if let Some((_, source)) = files.iter().find(|(name, _)| *name == wanted) {
            return if source.text.len() > max {
                Err(format!(
                    "it is larger than {max} bytes (`limits.max_table_bytes`)"
                ))
            } else {
                Ok(source.text.as_bytes().to_vec())
            };
        }
        match root {
            Some(root) => read_table_file(root, wanted, max),
            None => Err("there is no such file in the package".to_string()),
        }
    };
    let texts = |name: &str| {
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.text.as_str())
    };
    match Engine::from_sources_reading(catalog, &rule_files, &read) {
        Ok(engine) => place_all(engine.warnings(), engine.sources(), &texts),
        Err(error) => place_all(&error.diagnostics, &error.sources, &texts),
    }
}

/// The error for a file too large to be read, as `vasrec check` says it.
pub(crate) fn too_big(file: &str) -> FileDiagnostic {
    FileDiagnostic {
        file: file.to_string(),
        range: 0..0,
        code: Code::ReadError,
        severity: Severity::Error,
        message: format!("`{file}` is larger than the limit of {MAX_FILE_BYTES} bytes"),
        help: Some("split the rules over several files".into()),
        notes: Vec::new(),
        related: Vec::new(),
        fix: None,
    }
}

/// The error for a package file the folder reader left out.
pub(crate) fn unread(u: &Unread) -> FileDiagnostic {
    FileDiagnostic {
        file: u.name.clone(),
        range: 0..0,
        code: u.code,
        severity: Severity::Error,
        message: u.message.clone(),
        help: u.help.clone(),
        notes: Vec::new(),
        related: Vec::new(),
        fix: None,
    }
}

/// The text of a file the editor has, by name.
type Texts<'a> = dyn Fn(&str) -> Option<&'a str> + 'a;

fn place_all(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    texts: &Texts<'_>,
) -> Vec<FileDiagnostic> {
    diagnostics
        .iter()
        .map(|d| place(d, sources, texts))
        .collect()
}

fn place(d: &Diagnostic, sources: &SourceMap, texts: &Texts<'_>) -> FileDiagnostic {
    let mut notes = d.notes.clone();
    let in_sheet = d.primary.and_then(|span| {
        let source = sources.get(span.file)?;
        let grid = source.grid.as_ref()?;
        let place = grid.place(span.start)?;
        Some((source, grid, place))
    });
    let (file, range) = if let Some((source, grid, place)) = in_sheet {
        // The checker's text for a spreadsheet is its rows laid out as rule
        // lines: the editor gets the cell in the file it has.
        notes.insert(
            0,
            format!("at {}", source.place(d.primary.map_or(0, |s| s.start))),
        );
        let range = match (grid.sheet.as_ref(), texts(&source.name)) {
            (None, Some(text)) => csv_cell_range(text, place.row as usize, place.column as usize),
            _ => 0..0,
        };
        (source.name.clone(), range)
    } else if let Some(span) = d.primary {
        let name = sources.get(span.file).map_or(CATALOG_FILE, |f| &f.name);
        (name.to_string(), span.start as usize..span.end as usize)
    } else if let Some((id, line, column)) = d.position
        && let Some(source) = sources.get(id)
    {
        (source.name.clone(), line_range(source, line, column))
    } else {
        (CATALOG_FILE.to_string(), 0..0)
    };
    let related = d
        .labels
        .iter()
        .filter_map(|label| {
            let source = sources.get(label.span.file)?;
            let location = Location {
                file: source.name.clone(),
                range: label.span.start as usize..label.span.end as usize,
            };
            Some((location, label.message.clone()))
        })
        .collect();
    let fix = d.primary.filter(|_| in_sheet.is_none()).and_then(|span| {
        let written = sources.slice(span);
        fix_from_help(d.help.as_deref()?, written)
    });
    FileDiagnostic {
        file,
        range,
        code: d.code,
        severity: d.severity,
        message: d.message.clone(),
        help: d.help.clone(),
        notes,
        related,
        fix,
    }
}

/// From a 1-based line and character column (as YAML errors give them) to
/// bytes: from the column to the end of the line's text.
fn line_range(source: &SourceFile, line: usize, column: usize) -> Range<usize> {
    let text = &source.text;
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let line_text = source.line_text(line);
    let start = line_start
        + line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
    let end = line_start + line_text.trim_end().len();
    let start = floor_char_boundary(text, start);
    start..end.max(start)
}

/// The bytes of a CSV cell (1-based line and field; field 0 for the whole
/// line) in the file's text. Fields are split at commas outside quotes, as
/// the CSV reader splits them.
fn csv_cell_range(text: &str, row: usize, column: usize) -> Range<usize> {
    let mut line_start = 0;
    for _ in 1..row {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return 0..0,
        }
    }
    let line = text[line_start..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    if column == 0 {
        return line_start..line_start + line.len();
    }
    let mut field = 1;
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                if field == column {
                    return line_start + start..line_start + i;
                }
                field += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    if field == column {
        line_start + start..line_start + line.len()
    } else {
        line_start..line_start + line.len()
    }
}

/// The replacement a "did you mean" help names: `x` for a name, and `"x"`
/// for a quoted text (the help quotes category values that way, and the
/// diagnostic covers the quotes).
pub(crate) fn fix_from_help(help: &str, written: &str) -> Option<String> {
    let rest = help.split("did you mean ").nth(1)?;
    let quote = rest.chars().next()?;
    if quote != '`' && quote != '"' {
        return None;
    }
    let inner = &rest[1..];
    let suggestion = &inner[..inner.find(quote)?];
    let replacement = if quote == '"' || written.starts_with('"') {
        format!("\"{suggestion}\"")
    } else {
        suggestion.to_string()
    };
    (!suggestion.is_empty() && replacement != written).then_some(replacement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_gives_the_replacement() {
        assert_eq!(
            fix_from_help("did you mean `high_value`?", "high_valu").as_deref(),
            Some("high_value")
        );
        assert_eq!(
            fix_from_help("did you mean \"Fiber optic\"?", "\"Fiber optc\"").as_deref(),
            Some("\"Fiber optic\"")
        );
        assert_eq!(fix_from_help("the values are: a, b", "c"), None);
        assert_eq!(fix_from_help("did you mean `a`?", "a"), None);
    }

    #[test]
    fn a_csv_cell_is_its_field_on_its_line() {
        let text = "a,b,c\r\n1,\"x, y\",3\n";
        assert_eq!(&text[csv_cell_range(text, 2, 2)], "\"x, y\"");
        assert_eq!(&text[csv_cell_range(text, 2, 3)], "3");
        assert_eq!(&text[csv_cell_range(text, 1, 0)], "a,b,c");
        assert_eq!(&text[csv_cell_range(text, 1, 1)], "a");
        assert_eq!(csv_cell_range(text, 9, 1), 0..0);
    }

    #[test]
    fn yaml_positions_become_the_rest_of_the_line() {
        let source = SourceFile::new("catalog.yaml", None, "a: 1\n  名字: x  \n");
        let range = line_range(&source, 2, 3);
        assert_eq!(&source.text[range], "名字: x");
    }
}
