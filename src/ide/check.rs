//! Diagnostics for an editor: the checker's own, placed in byte ranges.
//!
//! In: the package's files as texts. Out: every error and warning the
//! checker finds (the same codes, messages, labels, notes and help as
//! `vasrec check`), each with the file and byte range it belongs to, and a
//! replacement when its help says "did you mean `x`?".

use crate::base::diagnostic::{Code, Diagnostic, Severity};
use crate::base::source::{SourceFile, SourceMap};
use crate::engine::Engine;
use crate::engine::load::{CATALOG_FILE, MAX_FILE_BYTES};
use crate::ide::files::{Unread, is_case_file};
use crate::ide::names::Location;
use crate::ide::position::floor_char_boundary;
use std::ops::Range;

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
/// files are `vasrec test`'s, not the checker's: they are left out).
pub(crate) fn check(files: &[(&str, &SourceFile)]) -> Vec<FileDiagnostic> {
    let catalog = files
        .iter()
        .find(|(name, _)| *name == CATALOG_FILE)
        .map_or("", |(_, source)| source.text.as_str());
    let rule_files: Vec<(&str, &str)> = files
        .iter()
        .filter(|(name, _)| *name != CATALOG_FILE && !is_case_file(name))
        .map(|(name, source)| (*name, source.text.as_str()))
        .collect();
    match Engine::from_sources(catalog, &rule_files) {
        Ok(engine) => place_all(engine.warnings(), engine.sources()),
        Err(error) => place_all(&error.diagnostics, &error.sources),
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

fn place_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> Vec<FileDiagnostic> {
    diagnostics.iter().map(|d| place(d, sources)).collect()
}

fn place(d: &Diagnostic, sources: &SourceMap) -> FileDiagnostic {
    let (file, range) = if let Some(span) = d.primary {
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
    let fix = d.primary.and_then(|span| {
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
        notes: d.notes.clone(),
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
    fn yaml_positions_become_the_rest_of_the_line() {
        let source = SourceFile::new("catalog.yaml", None, "a: 1\n  名字: x  \n");
        let range = line_range(&source, 2, 3);
        assert_eq!(&source.text[range], "名字: x");
    }
}
