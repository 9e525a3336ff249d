//! The canonical layout of rule files, for `vasrec fmt`.
//!
//! In: the text of one `.vas` file. Out: the same declarations, clauses,
//! tokens and comments, laid out one way, or the file's diagnostics when it
//! does not parse (a file with errors is never rewritten: `vasrec check`
//! says what to fix).
//!
//! The layout, chosen to match the bundled package in `rules/`:
//!
//! - declarations start in column 0; clauses are indented by two spaces, one
//!   per line, in the order they were written; a rule's `for` stays in its
//!   header or its body, wherever it was written;
//! - a segment or profile written on one line (`segment everyone { when true }`)
//!   stays on one line when it has no comment inside its braces and fits in
//!   [`MAX_WIDTH`] columns; an empty one is `{ }`;
//! - a condition whose top-level `or` (or, without one, `and`) chain is
//!   longer than [`MAX_WIDTH`] columns, holds a comment, or was already
//!   broken before one of those operators, is broken before each of them,
//!   with the operator one column deeper than its clause;
//! - one space around binary operators and after `,` and `not`; none inside
//!   brackets, after a unary `-` or before a call's `(`; a list's trailing
//!   comma is dropped;
//! - numbers, texts, names and `pref.x` exactly as written; `script { ... }`
//!   byte for byte;
//! - comments where they were: a comment on a line of its own stays on a
//!   line of its own, indented like what follows it; a comment after code
//!   stays after the same token, with the spaces written before it; what a
//!   comment pushes to the next line is indented four columns deeper than its
//!   clause or header, except a declaration's `{`, which goes to column 0;
//! - at most one blank line where there were blank lines, none after `{` or
//!   before `}`; lines end in `\n` (not `\r\n`), with no white space before
//!   it, the file in exactly one; a byte order mark is dropped. Inside a
//!   `script { ... }` block nothing changes, line ends and spaces included.
//!
//! Before anything is returned, the laid-out text is parsed again: it must
//! give the same declarations (positions aside) and the same comments in the
//! same order, or the file is refused as [`FormatError::Unfaithful`]. So a
//! mistake in the printer can refuse a file, but never change what it says.

mod printer;

use crate::base::diagnostic::Diagnostic;
use crate::base::render;
use crate::base::source::{FileId, SourceFile, SourceMap, Span};
use crate::base::yaml;
use crate::lang::syntax::ast::{CellKind, Expr, ExprKind, Item, Name};
use crate::lang::syntax::{self, Rule, VasParser};
use crate::package::catalog::Limits;
use pest::Parser as _;
use std::fmt;

/// Columns a line may take before a condition is broken before its `and` /
/// `or`, or a one-line segment is spread over several lines. Wide characters
/// (Chinese) count two columns, as they show in an editor.
pub const MAX_WIDTH: usize = 100;

/// Why a file was not laid out. Nothing was written either way.
#[derive(Clone)]
pub enum FormatError {
    /// The file does not parse. `vasrec fmt` only lays out files that read
    /// without errors, so that a half-typed rule is never reshaped around
    /// its mistake.
    Syntax {
        /// The file, to render the diagnostics with.
        sources: SourceMap,
        /// What is wrong, in file order.
        diagnostics: Vec<Diagnostic>,
    },
    /// The laid-out text would not read back as the same declarations and
    /// comments: a bug in the formatter, refused rather than written.
    Unfaithful {
        /// The file's name.
        file: String,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax {
                sources,
                diagnostics,
            } => f.write_str(&render::render_all(diagnostics, sources, false)),
            FormatError::Unfaithful { file } => write!(
                f,
                "error: {file} cannot be laid out without changing what it says \
                 (a bug in vasrec fmt; please report it with the file); it was left as it is"
            ),
        }
    }
}

/// Like `Display`, so that `?` in `main` prints the diagnostics readably.
impl fmt::Debug for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for FormatError {}

/// Lays out one rule file's text with the default [`Limits`].
///
/// ```
/// let messy = "segment  everyone{when true}\nrule r for everyone{offer x gain 1_000*2.50}\n";
/// let tidy = vasrec::layout::format_source(messy)?;
/// assert_eq!(
///     tidy,
///     "segment everyone { when true }\nrule r for everyone {\n  offer x\n  gain 1_000 * 2.50\n}\n"
/// );
/// assert_eq!(vasrec::layout::format_source(&tidy)?, tidy);
/// # Ok::<(), vasrec::layout::FormatError>(())
/// ```
pub fn format_source(text: &str) -> Result<String, FormatError> {
    format_file("input.vas", text, &Limits::default())
}

/// The `limits:` section of a catalog's text, to give [`format_file`]: the
/// defaults when there is none or the text does not read as YAML. Nothing
/// else in the catalog is looked at, so a catalog with mistakes elsewhere
/// (which `vasrec check` reports) still lends its limits to the layout.
pub fn catalog_limits(catalog: &str) -> Limits {
    /// The one key read; serde skips the others.
    #[derive(serde::Deserialize)]
    struct OnlyLimits {
        #[serde(default)]
        limits: Limits,
    }
    yaml::parse::<OnlyLimits>(catalog, "the catalog")
        .map_or_else(|_| Limits::default(), |c| c.limits)
}

/// Lays out one rule file; `name` is shown in diagnostics, `limits` are the
/// package's (a catalog may raise them, and a file the package loads must
/// not be refused here).
pub fn format_file(name: &str, text: &str, limits: &Limits) -> Result<String, FormatError> {
    let limits = &within_ceilings(limits);
    let mut sources = SourceMap::default();
    let id = sources.add(SourceFile::new(name, None, text));
    let Some(source) = sources.get(id) else {
        return Err(unfaithful(name));
    };
    let parsed = syntax::parse_file(id, source, limits);
    if !parsed.errors.is_empty() {
        let diagnostics = parsed.errors;
        return Err(FormatError::Syntax {
            sources,
            diagnostics,
        });
    }
    let (laid_out, comments) = lay_out(&source.text).ok_or_else(|| unfaithful(name))?;
    // The safety net: the result must read back as the same file.
    let again = SourceFile::new(name, None, laid_out.as_str());
    let reparsed = syntax::parse_file(id, &again, limits);
    let same = reparsed.errors.is_empty()
        && shape(&reparsed.items) == shape(&parsed.items)
        && lay_out(&laid_out).is_some_and(|(_, after)| after == comments);
    if same {
        Ok(laid_out)
    } else {
        Err(unfaithful(name))
    }
}

/// The limits, each at most what a catalog may raise it to: a caller's
/// `Limits` value has not been through the catalog's checks, and a deeper
/// nesting could overflow the parser's stack.
fn within_ceilings(limits: &Limits) -> Limits {
    let ceiling = |key: &str, value: usize| {
        Limits::CEILINGS
            .iter()
            .find(|(name, _, _)| *name == key)
            .map_or(value, |&(_, most, _)| value.min(most))
    };
    Limits {
        max_nesting: ceiling("max_nesting", limits.max_nesting),
        max_operators: ceiling("max_operators", limits.max_operators),
        max_name_bytes: ceiling("max_name_bytes", limits.max_name_bytes),
        max_text_bytes: ceiling("max_text_bytes", limits.max_text_bytes),
        ..limits.clone()
    }
}

fn unfaithful(name: &str) -> FormatError {
    FormatError::Unfaithful {
        file: name.to_string(),
    }
}

/// The laid-out text and the file's comments in order, or `None` when pest
/// does not parse the text or the printer lost its place.
fn lay_out(text: &str) -> Option<(String, Vec<String>)> {
    let file = VasParser::parse(Rule::file, text).ok()?.next()?;
    let comments = printer::comments(text, &file);
    let mut printer = printer::Printer::new(text, &comments);
    printer.file(file);
    let out = printer.finish()?;
    let texts = comments
        .iter()
        .map(|c| c.text(text).to_string())
        .collect::<Vec<_>>();
    Some((out, texts))
}

/// The declarations without their positions, as text: equal shapes compile
/// to the same engine, since positions only feed messages and locations.
fn shape(items: &[Item]) -> String {
    let nowhere = Span::new(FileId(0), 0, 0);
    let name = |n: &mut Name| n.span = nowhere;
    let mut items = items.to_vec();
    for item in &mut items {
        match item {
            Item::Segment(s) => {
                s.span = nowhere;
                name(&mut s.name);
                s.parents.iter_mut().for_each(name);
                s.when.iter_mut().for_each(strip);
            }
            Item::Profile(p) => {
                p.span = nowhere;
                name(&mut p.name);
                p.when.iter_mut().for_each(strip);
            }
            Item::Rule(r) => {
                r.span = nowhere;
                name(&mut r.name);
                name(&mut r.segment);
                r.profile.iter_mut().for_each(name);
                name(&mut r.service);
                r.when.iter_mut().for_each(strip);
                r.gain.iter_mut().for_each(strip);
            }
            Item::Table(t) => {
                t.span = nowhere;
                name(&mut t.name);
                name(&mut t.segment);
                t.profile.iter_mut().for_each(name);
                t.columns.iter_mut().for_each(strip);
                if let Some(from) = &mut t.rows_from {
                    from.span = nowhere;
                }
                for row in &mut t.rows {
                    row.span = nowhere;
                    row.keyword = nowhere;
                    row.cells_span = nowhere;
                    name(&mut row.service);
                    row.when.iter_mut().for_each(strip);
                    row.gain.iter_mut().for_each(strip);
                    for cell in &mut row.cells {
                        cell.span = nowhere;
                        match &mut cell.kind {
                            CellKind::Any => {}
                            CellKind::Equal(c) | CellKind::Compare(_, c) => strip(c),
                            CellKind::In { values, .. } => values.iter_mut().for_each(strip),
                            CellKind::Range(low, high) => {
                                strip(low);
                                strip(high);
                            }
                        }
                    }
                }
            }
        }
    }
    format!("{items:?}")
}

/// Clears an expression's positions. The recursion is as deep as the
/// expression, which the parser already bounds (`limits.max_operators`).
fn strip(expr: &mut Expr) {
    expr.span = Span::new(FileId(0), 0, 0);
    match &mut expr.kind {
        ExprKind::List(items) => items.iter_mut().for_each(strip),
        ExprKind::Preference(name) => name.span = expr.span,
        ExprKind::Call { function, args } => {
            function.span = expr.span;
            args.iter_mut().for_each(strip);
        }
        ExprKind::Unary { operand, .. } => strip(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            strip(lhs);
            strip(rhs);
        }
        ExprKind::Script { start, .. } => *start = 0,
        ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
    }
}

#[cfg(test)]
mod tests;
