//! The rows of a decision table read from a spreadsheet
//! (`rows "offers.csv"`): a [`Sheet`]'s cells in, the table's rows out, as
//! if they had been written as `row` lines.
//!
//! The first non-empty row is the header: it names each of the table's
//! `columns` (`tenure_months`, `pref.price`) and the clauses of a row
//! (`offer`, `suppress`, `gain`, `priority`, `because`, `when`), in any
//! order and any case; a heading that starts with `#` marks a column of
//! notes. Each row below becomes the `row` line its cells spell, laid out
//! in a source text of its own whose [`Grid`] maps every byte back to its
//! cell, so that every later message about a row points at the cell
//! (`offers.xlsx:Grid!C7`). Each cell is checked on its own first: a cell
//! never runs into the next one, whatever it holds.

use super::ast::{Expr, ExprKind, RowDecl, TableDecl};
use super::{Rule, VasParser, check_nesting, expected, lower};
use crate::base::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::base::source::{FileId, Grid, GridPlace, SourceFile, SourceMap, Span};
use crate::package::catalog::Limits;
use crate::package::sheet::{Sheet, SheetRow};
use pest::Parser as _;

/// What a column of the spreadsheet holds, by its heading.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// The table's column with this index.
    Condition(usize),
    Offer,
    Suppress,
    Gain,
    Priority,
    Because,
    When,
    /// `# notes`: not read.
    Notes,
}

const CLAUSES: [(&str, Role); 6] = [
    ("offer", Role::Offer),
    ("suppress", Role::Suppress),
    ("gain", Role::Gain),
    ("priority", Role::Priority),
    ("because", Role::Because),
    ("when", Role::When),
];

/// A problem found while laying out the text, placed once the text has a
/// file id.
enum Problem {
    /// A ready message at a byte range of the text.
    At {
        start: usize,
        end: usize,
        code: Code,
        message: String,
        help: String,
    },
    /// A cell that does not parse alone as `rule`: parse it again for
    /// pest's words.
    Syntax {
        start: usize,
        end: usize,
        entry: Rule,
    },
}

/// The text being laid out, and where each cell went.
#[derive(Default)]
struct Layout {
    text: String,
    places: Vec<GridPlace>,
    problems: Vec<Problem>,
}

impl Layout {
    /// Writes `written` for the cell at `row`/`column` holding `original`.
    fn put(&mut self, row: u32, column: u32, original: &str, written: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(written);
        let end = self.text.len();
        self.places.push(GridPlace {
            start: crate::base::index::dense_u32(start),
            end: crate::base::index::dense_u32(end),
            row,
            column,
            text: original.to_string(),
            verbatim: original == written,
        });
        self.text.push('\n');
        (start, end)
    }

    fn problem(&mut self, (start, end): (usize, usize), code: Code, message: String, help: &str) {
        self.problems.push(Problem::At {
            start,
            end,
            code,
            message,
            help: help.to_string(),
        });
    }
}

/// One data row as laid out: its text range (None when a cell of it could
/// not be read) and its number among the table's rows.
struct LaidRow {
    range: Option<(usize, usize)>,
    number: usize,
}

/// Reads the rows of `decl` from `sheet` (the file `name`): adds the laid
/// out source to `sources`, and returns the rows and the problems found.
pub(crate) fn table_rows(
    sources: &mut SourceMap,
    name: &str,
    sheet: &Sheet,
    decl: &TableDecl,
    at: Span,
    limits: &Limits,
) -> (Vec<RowDecl>, Vec<Diagnostic>) {
    let columns: Vec<String> = decl.columns.iter().map(column_name).collect();
    let mut layout = Layout::default();
    let Some((header, rows)) = sheet.rows.split_first() else {
        let error = Diagnostic::error(
            Code::Syntax,
            at,
            format!("`{name}` has no rows; its first row must name the table's columns"),
        )
        .with_help(header_help(&columns));
        return (Vec::new(), vec![error]);
    };
    let roles = header_roles(&mut layout, header, &columns);
    let mut errors = Vec::new();
    let missing: Vec<String> = columns
        .iter()
        .enumerate()
        .filter(|(i, _)| !roles.iter().any(|(_, r)| *r == Role::Condition(*i)))
        .map(|(_, c)| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        errors.push(
            Diagnostic::error(
                Code::WrongCellCount,
                at,
                format!(
                    "the header row of `{name}` (row {}) has no heading for {}",
                    header.number,
                    missing.join(", ")
                ),
            )
            .with_help(header_help(&columns)),
        );
    }
    if !roles
        .iter()
        .any(|(_, r)| matches!(r, Role::Offer | Role::Suppress))
    {
        errors.push(
            Diagnostic::error(
                Code::MissingAction,
                at,
                format!(
                    "the header row of `{name}` (row {}) has neither an `offer` nor a `suppress` heading",
                    header.number
                ),
            )
            .with_help(header_help(&columns)),
        );
    }
    let laid: Vec<LaidRow> = if errors.is_empty() {
        rows.iter()
            .enumerate()
            .map(|(index, row)| LaidRow {
                range: lay_out_row(&mut layout, row, &roles, columns.len()),
                number: index + 1,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut source = SourceFile::new(name, None, std::mem::take(&mut layout.text));
    source.grid = Some(Grid {
        sheet: sheet.sheet.clone(),
        places: std::mem::take(&mut layout.places),
    });
    let file = sources.add(source);
    let Some(source) = sources.get(file) else {
        return (Vec::new(), errors);
    };
    for problem in layout.problems {
        errors.push(placed(problem, file, source));
    }
    let mut out = Vec::with_capacity(laid.len());
    for row in laid {
        let Some((start, end)) = row.range else {
            continue;
        };
        let text = source.text.get(start..end).unwrap_or("");
        if let Some(error) = check_nesting(file, start, text, limits) {
            errors.push(error);
            continue;
        }
        match VasParser::parse(Rule::table_row, text) {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { continue };
                let (lowered, found) = lower::lower_row(
                    file,
                    start,
                    pair,
                    &decl.name.text,
                    row.number,
                    &decl.columns,
                    limits.max_operators,
                );
                errors.extend(found);
                out.extend(lowered);
            }
            Err(error) => errors.push(expected::syntax_error(file, source, start, &error)),
        }
    }
    (out, errors)
}

/// The header's cells by role; problems for headings that are not a column.
fn header_roles(layout: &mut Layout, header: &SheetRow, columns: &[String]) -> Vec<(u32, Role)> {
    let mut roles: Vec<(u32, Role)> = Vec::new();
    for (column, text) in &header.cells {
        let shown = one_line(text);
        let at = layout.put(header.number, *column, &shown, &shown);
        let heading = text.trim();
        let role = if heading.starts_with('#') {
            Some(Role::Notes)
        } else {
            columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(heading))
                .map(Role::Condition)
                .or_else(|| {
                    CLAUSES
                        .iter()
                        .find(|(word, _)| word.eq_ignore_ascii_case(heading))
                        .map(|(_, role)| *role)
                })
        };
        let Some(role) = role else {
            let known = columns
                .iter()
                .map(String::as_str)
                .chain(CLAUSES.iter().map(|(w, _)| *w));
            let help = did_you_mean(heading, known).unwrap_or_else(|| {
                "a heading names one of the table's columns or offer, suppress, gain, priority, because, when; start it with `#` for a column of notes".to_string()
            });
            layout.problem(
                at,
                Code::UnknownAttribute,
                format!(
                    "the heading `{heading}` is neither a column of the table nor a clause of a row"
                ),
                &help,
            );
            // Its cells are not reported again one by one.
            roles.push((*column, Role::Notes));
            continue;
        };
        if role != Role::Notes && roles.iter().any(|(_, r)| *r == role) {
            layout.problem(
                at,
                Code::DuplicateClause,
                format!("the heading `{heading}` is there twice"),
                "keep one column for it",
            );
            roles.push((*column, Role::Notes));
            continue;
        }
        roles.push((*column, role));
    }
    roles
}

/// Lays out one data row as a `row` line; None when one of its cells could
/// not be read (its problem is recorded).
fn lay_out_row(
    layout: &mut Layout,
    row: &SheetRow,
    roles: &[(u32, Role)],
    column_count: usize,
) -> Option<(usize, usize)> {
    let shown: Vec<String> = row.cells.iter().map(|(_, t)| one_line(t)).collect();
    let start = layout.text.len();
    // The whole row, for messages about the row rather than one cell.
    let row_place = layout.places.len();
    layout.places.push(GridPlace {
        start: crate::base::index::dense_u32(start),
        end: crate::base::index::dense_u32(start),
        row: row.number,
        column: 0,
        text: shown.join(", "),
        verbatim: false,
    });
    layout.text.push_str("row\n");
    let mut ok = true;
    for index in 0..column_count {
        if index > 0 {
            layout.text.push_str(",\n");
        }
        let column = roles
            .iter()
            .find(|(_, r)| *r == Role::Condition(index))
            .map_or(0, |(c, _)| *c);
        let text = one_line(row.text(column));
        let trimmed = text.trim();
        if trimmed.is_empty() {
            layout.put(row.number, column, "", "-");
        } else if parses(Rule::sheet_cell, &text) {
            layout.put(row.number, column, &text, &text);
        } else {
            // A cell that is not a cell of the rule language is a text:
            // `Two year` in a spreadsheet is `"Two year"` in a `.vas` file.
            layout.put(row.number, column, &text, &quoted(trimmed));
        }
    }
    layout.text.push_str("=>\n");
    for (column, role) in roles {
        let text = one_line(row.text(*column));
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (keyword, entry) = match role {
            Role::Condition(_) | Role::Notes => continue,
            Role::Offer => ("offer ", Rule::sheet_name),
            Role::Suppress => ("suppress ", Rule::sheet_name),
            Role::Gain => ("gain ", Rule::sheet_expr),
            Role::Priority => ("priority ", Rule::sheet_int),
            Role::When => ("when ", Rule::sheet_expr),
            Role::Because => {
                layout.text.push_str("because ");
                layout.put(row.number, *column, &text, &quoted(trimmed));
                continue;
            }
        };
        if parses(entry, &text) {
            layout.text.push_str(keyword);
            layout.put(row.number, *column, &text, &text);
        } else {
            // Kept out of the row's text, which is then not parsed.
            layout.text.push_str("# ");
            let (s, e) = layout.put(row.number, *column, &text, &text);
            layout.problems.push(Problem::Syntax {
                start: s,
                end: e,
                entry,
            });
            ok = false;
        }
    }
    let end = layout.text.len();
    if let Some(place) = layout.places.get_mut(row_place) {
        place.end = crate::base::index::dense_u32(end);
    }
    // Cells under no heading are mistakes, not notes.
    for (column, text) in &row.cells {
        if !roles.iter().any(|(c, _)| c == column) {
            let shown = one_line(text);
            let at = layout.put(row.number, *column, &shown, &shown);
            layout.problem(
                at,
                Code::WrongCellCount,
                "this cell is in a column with no heading".into(),
                "give the column a heading in the header row, or start the heading with `#` for notes",
            );
            ok = false;
        }
    }
    ok.then_some((start, end))
}

fn placed(problem: Problem, file: FileId, source: &SourceFile) -> Diagnostic {
    match problem {
        Problem::At {
            start,
            end,
            code,
            message,
            help,
        } => Diagnostic::error(code, Span::new(file, start, end), message).with_help(help),
        Problem::Syntax { start, end, entry } => {
            let text = source.text.get(start..end).unwrap_or("");
            let what = match entry {
                Rule::sheet_name => "an `offer` or `suppress` cell holds a service id",
                Rule::sheet_int => "a `priority` cell holds a whole number",
                _ => "a `gain` or `when` cell holds an expression as in a rule",
            };
            match VasParser::parse(entry, text) {
                Err(error) => {
                    let d = expected::syntax_error(file, source, start, &error);
                    let help = d
                        .help
                        .clone()
                        .map_or(what.to_string(), |h| format!("{h}; {what}"));
                    d.with_help(help)
                }
                Ok(_) => Diagnostic::error(Code::Syntax, Span::new(file, start, end), what),
            }
        }
    }
}

fn parses(entry: Rule, text: &str) -> bool {
    VasParser::parse(entry, text).is_ok()
}

/// A cell's text on one line (a line break in a cell is a space).
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// A text in double quotes, as the rule language writes it.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `tenure_months` or `pref.price`, as a heading names the column.
pub(crate) fn column_name(column: &Expr) -> String {
    match &column.kind {
        ExprKind::Preference(name) => format!("pref.{}", name.text),
        ExprKind::Name(name) => name.clone(),
        _ => String::new(),
    }
}

fn header_help(columns: &[String]) -> String {
    format!(
        "the first row names the columns: {}, then `offer` (or `suppress`) and, as needed, `gain`, `priority`, `because`, `when`",
        columns
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
