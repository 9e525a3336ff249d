//! Rendering diagnostics: the only place that turns them into text.
//!
//! A snippet per span with carets under the offending text (aligned for
//! Chinese and other wide characters), colour only when asked, and a JSON form
//! for tools.

use crate::base::diagnostic::{Diagnostic, Severity};
use crate::base::source::{SourceMap, Span};
use serde::Serialize;
use std::fmt::Write as _;

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

struct Paint(bool);

impl Paint {
    fn wrap(&self, style: &str, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// Renders every diagnostic, then a summary line when there are errors.
pub fn render_all(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render(d, sources, color));
        out.push('\n');
    }
    out
}

/// Renders one diagnostic in the style of a compiler message.
pub fn render(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let paint = Paint(color);
    let (word, style) = match d.severity {
        Severity::Error => ("error", RED),
        Severity::Warning => ("warning", YELLOW),
    };
    let mut out = format!(
        "{}{}\n",
        paint.wrap(style, &format!("{word}[{}]", d.code.as_str())),
        paint.wrap(BOLD, &format!(": {}", printable(&d.message)))
    );
    let gutter = gutter_width(d, sources);
    let pad = " ".repeat(gutter);
    if let Some(span) = d.primary {
        snippet(&mut out, sources, span, "", '^', style, &paint, gutter);
    } else if let Some((file, line, col)) = d.position
        && let Some(f) = sources.get(file)
    {
        let _ = writeln!(
            out,
            "{pad}{} {}:{line}:{col}",
            paint.wrap(BLUE, "-->"),
            printable(&f.name)
        );
        let text = f.line_text(line);
        if !text.is_empty() {
            let _ = writeln!(out, "{pad} {}", paint.wrap(BLUE, "|"));
            let _ = writeln!(
                out,
                "{} {} {}",
                paint.wrap(BLUE, &format!("{line:>gutter$}")),
                paint.wrap(BLUE, "|"),
                expand_tabs(text)
            );
            let before: String = text.chars().take(col.saturating_sub(1)).collect();
            let _ = writeln!(
                out,
                "{pad} {} {}{}",
                paint.wrap(BLUE, "|"),
                " ".repeat(display_width(&expand_tabs(&before))),
                paint.wrap(style, "^")
            );
        }
    }
    for label in &d.labels {
        snippet(
            &mut out,
            sources,
            label.span,
            &label.message,
            '-',
            BLUE,
            &paint,
            gutter,
        );
    }
    for note in &d.notes {
        let _ = writeln!(
            out,
            "{pad} {} note: {}",
            paint.wrap(BLUE, "="),
            printable(note)
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(
            out,
            "{pad} {} help: {}",
            paint.wrap(BLUE, "="),
            printable(help)
        );
    }
    out
}

fn gutter_width(d: &Diagnostic, sources: &SourceMap) -> usize {
    let spans = d.primary.into_iter().chain(d.labels.iter().map(|l| l.span));
    let from_spans = spans
        .filter_map(|s| {
            let f = sources.get(s.file)?;
            Some(match cell_at(f, s) {
                Some(cell) => cell.gutter.chars().count(),
                None => f.line_col(s.end).0.to_string().len(),
            })
        })
        .max()
        .unwrap_or(0);
    let from_position = d.position.map_or(0, |(_, line, _)| line);
    from_spans
        .max(from_position.max(1).to_string().len())
        .max(1)
}

/// A span in a spreadsheet-backed source, as the cell it is in.
struct CellAt<'a> {
    /// `offers.xlsx:Grid!C7`.
    location: String,
    /// `C7` (or `7:3` in a CSV file), shown where a line number would be.
    gutter: String,
    /// The cell's text.
    text: &'a str,
    /// Characters before the underline and its width, within `text`.
    underline: (usize, usize),
}

fn cell_at(file: &crate::base::source::SourceFile, span: Span) -> Option<CellAt<'_>> {
    let grid = file.grid.as_ref()?;
    let place = grid.place(span.start)?;
    let address = grid.address(place);
    let gutter = match address.split_once('!') {
        Some((_, cell)) => cell.to_string(),
        None => address.clone(),
    };
    let whole = (0, place.text.chars().count());
    let underline = if place.verbatim && span.start >= place.start && span.start <= place.end {
        let from = (span.start - place.start) as usize;
        let to = (span.end.min(place.end) - place.start) as usize;
        match (place.text.get(..from), place.text.get(from..to)) {
            (Some(before), Some(inside)) => (before.chars().count(), inside.chars().count()),
            _ => whole,
        }
    } else {
        whole
    };
    Some(CellAt {
        location: format!("{}:{address}", file.name),
        gutter,
        text: &place.text,
        underline,
    })
}

#[allow(clippy::too_many_arguments)]
fn snippet(
    out: &mut String,
    sources: &SourceMap,
    span: Span,
    message: &str,
    mark: char,
    style: &str,
    paint: &Paint,
    gutter: usize,
) {
    let Some(file) = sources.get(span.file) else {
        return;
    };
    let pad = " ".repeat(gutter);
    let tail = if message.is_empty() {
        String::new()
    } else {
        format!(" {}", printable(message))
    };
    if let Some(cell) = cell_at(file, span) {
        let _ = writeln!(
            out,
            "{pad}{} {}",
            paint.wrap(BLUE, "-->"),
            printable(&cell.location)
        );
        let text = expand_tabs(cell.text);
        let _ = writeln!(out, "{pad} {}", paint.wrap(BLUE, "|"));
        let _ = writeln!(
            out,
            "{} {} {text}",
            paint.wrap(BLUE, &format!("{:>gutter$}", printable(&cell.gutter))),
            paint.wrap(BLUE, "|"),
        );
        let chars: Vec<char> = cell.text.chars().collect();
        let (skip, take) = cell.underline;
        let before: String = chars.iter().take(skip).collect();
        let under: String = chars.iter().skip(skip).take(take).collect();
        let width = display_width(&expand_tabs(&under)).max(1);
        let marks: String = std::iter::repeat_n(mark, width).collect();
        let _ = writeln!(
            out,
            "{pad} {} {}{}",
            paint.wrap(BLUE, "|"),
            " ".repeat(display_width(&expand_tabs(&before))),
            paint.wrap(style, &format!("{marks}{tail}"))
        );
        return;
    }
    let (line, col) = file.line_col(span.start);
    let _ = writeln!(
        out,
        "{pad}{} {}:{line}:{col}",
        paint.wrap(BLUE, "-->"),
        printable(&file.name)
    );
    let text = file.line_text(line);
    let _ = writeln!(out, "{pad} {}", paint.wrap(BLUE, "|"));
    let _ = writeln!(
        out,
        "{} {} {}",
        paint.wrap(BLUE, &format!("{line:>gutter$}")),
        paint.wrap(BLUE, "|"),
        expand_tabs(text)
    );
    // Underline from the start column to the span's end or the end of the line.
    let before: String = text.chars().take(col - 1).collect();
    let (end_line, end_col) = file.line_col(span.end);
    let underlined: String = if end_line == line {
        text.chars()
            .skip(col - 1)
            .take(end_col.saturating_sub(col))
            .collect()
    } else {
        text.chars().skip(col - 1).collect()
    };
    let width = display_width(&expand_tabs(&underlined)).max(1);
    let marks: String = std::iter::repeat_n(mark, width).collect();
    let _ = writeln!(
        out,
        "{pad} {} {}{}",
        paint.wrap(BLUE, "|"),
        " ".repeat(display_width(&expand_tabs(&before))),
        paint.wrap(style, &format!("{marks}{tail}"))
    );
}

/// A source line as shown in a snippet: tabs as four spaces, control
/// characters as visible pictures (one column each, so carets still line up).
fn expand_tabs(text: &str) -> String {
    printable(&text.replace('\t', "    ")).into_owned()
}

/// Text that is safe to print to a terminal: control characters (an escape
/// sequence could clear the screen, set the title or write the clipboard)
/// become their visible Unicode pictures (`␛` for ESC), C1 controls become
/// `�`; newlines and tabs stay. Texts without controls are returned as they
/// are, without copying.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Terminal columns a text takes: wide (CJK) characters count twice.
pub(crate) fn display_width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x20000..=0x3FFFD)
}

/// A diagnostic as JSON for tools: positions resolved to line and column.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    code: String,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    /// For a spreadsheet-backed table: the cell (`Grid!C7`, or `7:3` in a
    /// CSV file); `line` and `column` are then its row and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<String>,
    help: Option<&'a str>,
    notes: &'a [String],
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    file: Option<&'a str>,
    line: usize,
    column: usize,
}

/// Converts diagnostics to their JSON form.
pub fn to_json<'a>(
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceMap,
) -> Vec<JsonDiagnostic<'a>> {
    diagnostics
        .iter()
        .map(|d| {
            let in_grid = d.primary.and_then(|span| {
                let f = sources.get(span.file)?;
                let grid = f.grid.as_ref()?;
                let place = grid.place(span.start)?;
                Some((
                    f,
                    grid.address(place),
                    place.row as usize,
                    place.column as usize,
                ))
            });
            let cell = in_grid.as_ref().map(|g| g.1.clone());
            let (file, start, end) = if let Some((f, _, row, column)) = &in_grid {
                (
                    Some(f.name.as_str()),
                    Some((*row, *column)),
                    Some((*row, *column)),
                )
            } else {
                match (d.primary, d.position) {
                    (Some(span), _) => {
                        let f = sources.get(span.file);
                        (
                            f.map(|f| f.name.as_str()),
                            f.map(|f| f.line_col(span.start)),
                            f.map(|f| f.line_col(span.end)),
                        )
                    }
                    (None, Some((file, line, col))) => (
                        sources.get(file).map(|f| f.name.as_str()),
                        Some((line, col)),
                        None,
                    ),
                    _ => (None, None, None),
                }
            };
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                file,
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                cell,
                help: d.help.as_deref(),
                notes: &d.notes,
                labels: d
                    .labels
                    .iter()
                    .map(|l| {
                        let f = sources.get(l.span.file);
                        let (line, column) = f.map_or((0, 0), |f| f.line_col(l.span.start));
                        JsonLabel {
                            message: &l.message,
                            file: f.map(|f| f.name.as_str()),
                            line,
                            column,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diagnostic::Code;
    use crate::base::source::SourceFile;

    #[test]
    fn carets_line_up_under_wide_characters() {
        let mut sources = SourceMap::default();
        let text = "segment 高价值 { when spnd > 1 }\n";
        let file = sources.add(SourceFile::new("a.vas", None, text));
        let start = text.find("spnd").unwrap();
        let d = Diagnostic::error(
            Code::UnknownAttribute,
            Span::new(file, start, start + 4),
            "no `spnd`",
        )
        .with_help("did you mean `spend`?");
        let rendered = render(&d, &sources, false);
        let expected = "error[UNKNOWN_ATTRIBUTE]: no `spnd`\n --> a.vas:1:20\n  |\n1 | segment 高价值 { when spnd > 1 }\n  |                       ^^^^\n  = help: did you mean `spend`?\n";
        assert_eq!(rendered, expected);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            printable("plain 中文\tand\nlines"),
            "plain 中文\tand\nlines"
        );
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            printable("\u{1b}]52;c;aGk=\u{7}"),
            "\u{241b}]52;c;aGk=\u{2407}"
        );
        assert_eq!(
            printable("a\u{1b}[2Jb\rc\u{7f}\u{9b}"),
            "a\u{241b}[2Jb\u{240d}c\u{2421}\u{fffd}"
        );
    }
}
