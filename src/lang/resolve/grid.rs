//! The analysis of decision tables that `check` reports: rows that overlap
//! under `hit unique`, customers no row matches (gaps), and rows that can
//! never match.
//!
//! Each column's values are cut into a few *atoms* on which every cell of
//! that column is either true or false: for a number column, the constants
//! its cells name and the open intervals between them (a preference stays
//! within 0 to 1); for a category, the catalog's values; for a text, the
//! texts named and "any other text"; for a yes/no column, yes and no. A row
//! is then a box (a set of atoms per column), and overlaps, gaps and covered
//! rows are questions about boxes, answered exactly. Missing values have
//! an atom of their own where the column may be missing: only `-` matches
//! it, and gaps are looked for among known values only. A row with a `when`
//! clause is opaque: it is never counted as covering customers or as
//! overlapping.

use super::table::ResolvedTable;
use crate::base::diagnostic::{Code, Diagnostic};
use crate::lang::ir::{CheckedPackage, SegmentId, Type, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{BinaryOp, Cell, CellKind, Expr, ExprKind, HitPolicy, UnaryOp};
use crate::package::schema::{FieldKind, Schema};

/// A value that stands for one atom of a column.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Number(f64),
    Text(String),
    /// A text none of the column's cells names.
    OtherText(Vec<String>),
    Bool(bool),
    /// No value (an optional attribute or preference): only `-` matches it.
    Missing,
}

/// A set of atoms per column.
type Cube = Vec<Vec<bool>>;

struct Grid {
    names: Vec<String>,
    atoms: Vec<Vec<Value>>,
    /// Per row: its cube, or None when the row is opaque (`when`).
    rows: Vec<Option<Cube>>,
}

/// Errors: rows of a `hit unique` table that match the same customer.
pub(super) fn overlaps(table: &ResolvedTable<'_>, schema: &Schema) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if table.decl.hit != HitPolicy::Unique {
        return out;
    }
    let grid = grid(table, schema);
    let name = &table.decl.name.text;
    for (j, later) in grid.rows.iter().enumerate() {
        for (i, earlier) in grid.rows.iter().enumerate().take(j) {
            let (Some(a), Some(b)) = (earlier, later) else {
                continue;
            };
            let Some(common) = intersect(a, b) else {
                continue;
            };
            let (Some(row_i), Some(row_j)) = (table.decl.rows.get(i), table.decl.rows.get(j))
            else {
                continue;
            };
            out.push(
                Diagnostic::error(
                    Code::OverlappingRows,
                    row_j.keyword,
                    format!(
                        "rows {name}[{}] and {name}[{}] both match customers with {}, but table `{name}` is `hit unique`",
                        i + 1,
                        j + 1,
                        grid.example(&common)
                    ),
                )
                .with_label(row_i.keyword, format!("{name}[{}] is here", i + 1))
                .with_help("make the cells of the two rows exclusive, or say `hit first` (the first matching row wins) or `hit collect` (every matching row offers)"),
            );
        }
    }
    out
}

/// Warnings: rows that can never match, and gaps.
///
/// `max_work` (`limits.max_table_work`) bounds the splits of a box the
/// search for gaps and hidden rows may make (each costs a pass over the
/// table's atoms); past it, `check` says it stopped (`TABLE_NOT_ANALYSED`)
/// instead of working on. Tables of a few hundred rows need a few thousand.
pub(super) fn warnings(
    table: &ResolvedTable<'_>,
    package: &CheckedPackage,
    schema: &Schema,
    max_work: usize,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let decl = table.decl;
    let name = &decl.name.text;
    let context = context(table, package, schema);
    let grid = grid_with(table, schema, &context);
    let mut empty = vec![false; decl.rows.len()];
    let mut work = max_work;
    let mut gave_up = false;
    for (index, row) in decl.rows.iter().enumerate() {
        for (column, cell) in row.cells.iter().enumerate() {
            let Some(atoms) = grid.atoms.get(column) else {
                continue;
            };
            if atoms.iter().any(|v| holds(cell, v)) {
                continue;
            }
            let help = match &cell.kind {
                CellKind::Range(..) => {
                    "a range `low..high` holds the values from low (included) to high (excluded): write the smaller bound first"
                }
                _ => "no value can pass this cell; correct it or remove the row",
            };
            out.push(
                Diagnostic::warning(
                    Code::UnreachableRow,
                    cell.span,
                    format!(
                        "row {name}[{}] can never match: no value of `{}` passes this cell",
                        index + 1,
                        grid.names.get(column).map_or("", String::as_str)
                    ),
                )
                .with_help(help),
            );
            if let Some(e) = empty.get_mut(index) {
                *e = true;
            }
            break;
        }
    }
    // Rows whose cells no customer of the table's segment (and profile)
    // can pass: a rule whose condition contradicts its segment never fires,
    // and neither does such a row.
    if !context.is_empty() {
        let admitted: Cube = grid
            .atoms
            .iter()
            .enumerate()
            .map(|(column, atoms)| {
                atoms
                    .iter()
                    .map(|v| {
                        context
                            .iter()
                            .filter(|(c, _)| *c == column)
                            .all(|(_, cell)| holds(cell, v))
                    })
                    .collect()
            })
            .collect();
        for (index, row) in decl.rows.iter().enumerate() {
            let (Some(Some(cube)), Some(false)) = (grid.rows.get(index), empty.get(index).copied())
            else {
                continue;
            };
            if intersect(cube, &admitted).is_some() {
                continue;
            }
            let column = cube
                .iter()
                .zip(&admitted)
                .position(|(r, a)| !r.iter().zip(a).any(|(x, y)| *x && *y))
                .unwrap_or(0);
            let column_name = grid.names.get(column).map_or("", String::as_str);
            let mut diagnostic = Diagnostic::warning(
                Code::UnreachableRow,
                row.cells.get(column).map_or(row.keyword, |c| c.span),
                format!(
                    "row {name}[{}] can never match: no customer of the table's segment{} passes its cell for `{column_name}`",
                    index + 1,
                    if table.profile.is_some() { " and profile" } else { "" }
                ),
            )
            .with_help("its cells contradict the table's segment (or a segment above it); correct the cell, or move the row to a table for those customers");
            for (_, cell) in context.iter().filter(|(c, _)| *c == column).take(2) {
                diagnostic = diagnostic.with_label(cell.span, "the segment requires this");
            }
            out.push(diagnostic);
            if let Some(e) = empty.get_mut(index) {
                *e = true;
            }
        }
    }
    // Rows covered by the rows tried before them.
    if matches!(decl.hit, HitPolicy::First | HitPolicy::Priority) {
        let mut order: Vec<usize> = (0..decl.rows.len()).collect();
        if decl.hit == HitPolicy::Priority {
            order.sort_by_key(|&i| std::cmp::Reverse(decl.rows.get(i).map_or(0, |r| r.priority)));
        }
        for (place, &index) in order.iter().enumerate() {
            let (Some(Some(cube)), Some(row)) = (grid.rows.get(index), decl.rows.get(index)) else {
                continue;
            };
            if empty.get(index).copied().unwrap_or(true) {
                continue;
            }
            let before: Vec<usize> = order.iter().take(place).copied().collect();
            let covering: Vec<&Cube> = before
                .iter()
                .filter(|&&i| !empty.get(i).copied().unwrap_or(true))
                .filter_map(|&i| grid.rows.get(i)?.as_ref())
                .collect();
            if before.is_empty() {
                continue;
            }
            match uncovered(cube.clone(), &covering, &mut work) {
                Search::Found(_) => continue,
                Search::GaveUp => {
                    gave_up = true;
                    break;
                }
                Search::Covered => {}
            }
            let (what, help) = if decl.hit == HitPolicy::First {
                (
                    "an earlier row",
                    "move the row up, or narrow the rows before it; under `hit first` only the first matching row offers",
                )
            } else {
                (
                    "a row with a higher priority (or an earlier row with the same)",
                    "raise the row's priority, or narrow the other rows; under `hit priority` only the matching row with the highest priority offers",
                )
            };
            let mut diagnostic = Diagnostic::warning(
                Code::UnreachableRow,
                row.keyword,
                format!(
                    "row {name}[{}] can never match: every customer it matches matches {what} first",
                    index + 1
                ),
            )
            .with_help(help);
            for &i in before
                .iter()
                .filter(|&&i| {
                    grid.rows
                        .get(i)
                        .and_then(Option::as_ref)
                        .is_some_and(|c| intersect(c, cube).is_some())
                })
                .take(3)
            {
                if let Some(other) = decl.rows.get(i) {
                    diagnostic = diagnostic
                        .with_label(other.keyword, format!("{name}[{}] matches first", i + 1));
                }
            }
            out.push(diagnostic);
        }
    }
    // Gaps: customers of the segment (and profile), with every column
    // known, whom no row matches.
    if !gave_up && matches!(decl.hit, HitPolicy::Unique | HitPolicy::First) {
        let whole: Cube = grid
            .atoms
            .iter()
            .enumerate()
            .map(|(column, atoms)| {
                atoms
                    .iter()
                    .map(|v| {
                        *v != Value::Missing
                            && context
                                .iter()
                                .filter(|(c, _)| *c == column)
                                .all(|(_, cell)| holds(cell, v))
                    })
                    .collect()
            })
            .collect();
        let rows: Vec<&Cube> = grid
            .rows
            .iter()
            .zip(&empty)
            .filter(|(_, e)| !**e)
            .filter_map(|(r, _)| r.as_ref())
            .collect();
        let search = uncovered(whole, &rows, &mut work);
        gave_up = matches!(search, Search::GaveUp);
        if let Search::Found(point) = search {
            let opaque = grid.rows.iter().any(Option::is_none);
            let mut help = "add a row for them; under `hit first` a last row of `-` cells catches everyone else".to_string();
            if opaque {
                help.push_str(" (rows with a `when` clause are not counted: the analysis does not look into them)");
            }
            out.push(
                Diagnostic::warning(
                    Code::TableGap,
                    decl.name.span,
                    format!(
                        "no row of table `{name}` matches customers of its segment with {}",
                        grid.example(&point)
                    ),
                )
                .with_help(help),
            );
        }
    }
    if gave_up {
        out.push(
            Diagnostic::warning(
                Code::TableNotAnalysed,
                decl.name.span,
                format!(
                    "`check` stopped analysing table `{name}` after {max_work} steps (`limits.max_table_work`): gaps and rows hidden by earlier rows were not all looked for"
                ),
            )
            .with_help("the table works as written; split it (by segment, or by its first column) so that each part can be checked"),
        );
    }
    out
}

fn grid(table: &ResolvedTable<'_>, schema: &Schema) -> Grid {
    grid_with(table, schema, &[])
}

/// The grid, with the values that `context` (cells by column) names among
/// the atoms too.
fn grid_with(table: &ResolvedTable<'_>, schema: &Schema, context: &[(usize, Cell)]) -> Grid {
    let decl = table.decl;
    let mut names = Vec::new();
    let mut atoms = Vec::new();
    for (index, (column, typed)) in decl.columns.iter().zip(&table.columns).enumerate() {
        names.push(column_name(column));
        let cells: Vec<&Cell> = decl
            .rows
            .iter()
            .filter_map(|r| r.cells.get(index))
            .chain(
                context
                    .iter()
                    .filter(|(c, _)| *c == index)
                    .map(|(_, cell)| cell),
            )
            .collect();
        let mut values = column_atoms(typed, &cells, schema);
        let optional = match typed.kind {
            TypedKind::Slot(slot) => schema.field(slot).is_none_or(|f| !f.required),
            _ => true,
        };
        if optional {
            values.push(Value::Missing);
        }
        atoms.push(values);
    }
    let rows = decl
        .rows
        .iter()
        .map(|row| {
            row.when.is_none().then(|| {
                row.cells
                    .iter()
                    .zip(&atoms)
                    .map(|(cell, values)| values.iter().map(|v| holds(cell, v)).collect())
                    .collect()
            })
        })
        .collect();
    Grid { names, atoms, rows }
}

fn column_name(column: &Expr) -> String {
    match &column.kind {
        ExprKind::Preference(name) => format!("pref.{}", name.text),
        ExprKind::Name(name) => name.clone(),
        _ => String::new(),
    }
}

fn constants(cell: &Cell) -> Vec<&Expr> {
    match &cell.kind {
        CellKind::Any => Vec::new(),
        CellKind::Equal(c) | CellKind::Compare(_, c) => vec![c],
        CellKind::In { values, .. } => values.iter().collect(),
        CellKind::Range(low, high) => vec![low, high],
    }
}

fn column_atoms(column: &TypedExpr, cells: &[&Cell], schema: &Schema) -> Vec<Value> {
    let all = cells.iter().flat_map(|c| constants(c));
    match &column.ty {
        Type::Number => {
            let preference = matches!(
                column.kind,
                TypedKind::Slot(slot)
                    if schema.field(slot).is_some_and(|f| matches!(f.kind, FieldKind::Preference))
            );
            let mut points: Vec<f64> = all
                .filter_map(|c| match c.kind {
                    ExprKind::Number(n) => Some(n),
                    _ => None,
                })
                .collect();
            if preference {
                points.extend([0.0, 1.0]);
            }
            points.sort_by(f64::total_cmp);
            points.dedup();
            let mut values = Vec::new();
            match (points.first(), points.last()) {
                (Some(&first), Some(&last)) => {
                    values.push(Value::Number(first - 1.0));
                    for pair in points.windows(2) {
                        values.push(Value::Number(pair[0]));
                        values.push(Value::Number(between(pair[0], pair[1])));
                    }
                    values.push(Value::Number(last));
                    values.push(Value::Number(last + 1.0));
                }
                _ => values.push(Value::Number(0.0)),
            }
            if preference {
                values.retain(|v| matches!(v, Value::Number(n) if (0.0..=1.0).contains(n)));
            }
            values
        }
        Type::Bool => vec![Value::Bool(true), Value::Bool(false)],
        Type::Category(slot) => match schema.field(*slot).map(|f| &f.kind) {
            Some(FieldKind::Category { values }) => values
                .iter()
                .filter_map(|v| schema.symbols.text(*v))
                .map(|t| Value::Text(t.to_string()))
                .collect(),
            _ => Vec::new(),
        },
        _ => {
            let mut texts: Vec<String> = all
                .filter_map(|c| match &c.kind {
                    ExprKind::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            texts.sort();
            texts.dedup();
            let mut values: Vec<Value> = texts.iter().cloned().map(Value::Text).collect();
            values.push(Value::OtherText(texts));
            values
        }
    }
}

/// A plain number strictly between `a` and `b`: a whole one when there is one.
fn between(a: f64, b: f64) -> f64 {
    let next = a.floor() + 1.0;
    if next < b { next } else { (a + b) / 2.0 }
}

/// Whether a value passes a cell.
fn holds(cell: &Cell, value: &Value) -> bool {
    if *value == Value::Missing {
        return matches!(cell.kind, CellKind::Any);
    }
    let equal = |c: &Expr| match (&c.kind, value) {
        (ExprKind::Number(n), Value::Number(v)) => n == v,
        (ExprKind::Text(t), Value::Text(v)) => t == v,
        (ExprKind::Bool(b), Value::Bool(v)) => b == v,
        _ => false,
    };
    let number = |c: &Expr| match (&c.kind, value) {
        (ExprKind::Number(n), Value::Number(v)) => Some((*v, *n)),
        _ => None,
    };
    match &cell.kind {
        CellKind::Any => true,
        CellKind::Equal(c) => equal(c),
        CellKind::Compare(op, c) => match op {
            BinaryOp::Eq => equal(c),
            BinaryOp::Ne => !equal(c),
            BinaryOp::Lt => number(c).is_some_and(|(v, n)| v < n),
            BinaryOp::Le => number(c).is_some_and(|(v, n)| v <= n),
            BinaryOp::Gt => number(c).is_some_and(|(v, n)| v > n),
            BinaryOp::Ge => number(c).is_some_and(|(v, n)| v >= n),
            _ => false,
        },
        CellKind::In { negated, values } => values.iter().any(equal) != *negated,
        CellKind::Range(low, high) => {
            number(low).is_some_and(|(v, n)| v >= n) && number(high).is_some_and(|(v, n)| v < n)
        }
    }
}

fn intersect(a: &Cube, b: &Cube) -> Option<Cube> {
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        let both: Vec<bool> = x.iter().zip(y).map(|(p, q)| *p && *q).collect();
        if !both.contains(&true) {
            return None;
        }
        out.push(both);
    }
    Some(out)
}

/// What looking for an uncovered point found.
enum Search {
    /// A cube of one atom per column that no box covers.
    Found(Cube),
    /// The boxes cover the domain.
    Covered,
    /// The work bound ran out first.
    GaveUp,
}

/// A cube of one atom per column inside `domain` that no box covers, if
/// any, within `work` splits (decremented as it goes).
fn uncovered(domain: Cube, boxes: &[&Cube], work: &mut usize) -> Search {
    if *work == 0 {
        return Search::GaveUp;
    }
    *work -= 1;
    if domain.iter().any(|atoms| !atoms.contains(&true)) {
        return Search::Covered;
    }
    let Some((first, rest)) = boxes.split_first() else {
        return Search::Found(
            domain
                .iter()
                .map(|atoms| {
                    let at = atoms.iter().position(|a| *a).unwrap_or(0);
                    (0..atoms.len()).map(|i| i == at).collect()
                })
                .collect(),
        );
    };
    let mut domain = domain;
    for column in 0..domain.len() {
        let (Some(inside), Some(cover)) = (domain.get(column), first.get(column)) else {
            continue;
        };
        let outside: Vec<bool> = inside.iter().zip(cover).map(|(d, c)| *d && !*c).collect();
        if outside.contains(&true) {
            let mut part = domain.clone();
            if let Some(slot) = part.get_mut(column) {
                *slot = outside;
            }
            match uncovered(part, rest, work) {
                Search::Covered => {}
                other => return other,
            }
        }
        let narrowed: Vec<bool> = inside.iter().zip(cover).map(|(d, c)| *d && *c).collect();
        if let Some(slot) = domain.get_mut(column) {
            *slot = narrowed;
        }
    }
    Search::Covered
}

impl Grid {
    /// "tenure_months = 5, pref.price = 0.5": the first atom of each column
    /// of `cube`, leaving out columns no cell constrains.
    fn example(&self, cube: &Cube) -> String {
        let mut parts = Vec::new();
        for ((name, atoms), chosen) in self.names.iter().zip(&self.atoms).zip(cube) {
            if atoms.iter().filter(|v| **v != Value::Missing).count() < 2 {
                continue;
            }
            let Some(value) = chosen.iter().position(|c| *c).and_then(|i| atoms.get(i)) else {
                continue;
            };
            parts.push(match value {
                Value::Number(n) => format!("{name} = {n}"),
                Value::Text(t) => format!("{name} = \"{t}\""),
                Value::Bool(b) => format!("{name} = {b}"),
                Value::Missing => format!("{name} missing"),
                Value::OtherText(named) => format!(
                    "{name} other than {}",
                    named
                        .iter()
                        .map(|t| format!("\"{t}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if parts.is_empty() {
            "any values".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// What the table's segment (with every segment above it) and profile
/// require of its columns, as cells by column: the parts of their `when`s,
/// joined by `and`, that compare a column with fixed values. A customer
/// outside them is not in a gap.
fn context(
    table: &ResolvedTable<'_>,
    package: &CheckedPackage,
    schema: &Schema,
) -> Vec<(usize, Cell)> {
    let mut whens: Vec<&TypedExpr> = Vec::new();
    let mut seen: Vec<SegmentId> = Vec::new();
    let mut queue = vec![table.segment];
    while let Some(id) = queue.pop() {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        if let Some(segment) = package.segments.get(id.index()) {
            whens.extend(segment.when.as_ref());
            queue.extend(segment.parents.iter().copied());
        }
    }
    if let Some(profile) = table.profile.and_then(|p| package.profiles.get(p.index())) {
        whens.extend(profile.when.as_ref());
    }
    let mut out = Vec::new();
    for when in whens {
        conjuncts(when, &mut |part| {
            for (column, typed) in table.columns.iter().enumerate() {
                if let TypedKind::Slot(slot) = typed.kind
                    && let Some(cell) = as_cell(part, slot, schema)
                {
                    out.push((column, cell));
                }
            }
        });
    }
    out
}

fn conjuncts<'e>(expr: &'e TypedExpr, visit: &mut dyn FnMut(&'e TypedExpr)) {
    match &expr.kind {
        TypedKind::Binary(BinaryOp::And, a, b) => {
            conjuncts(a, visit);
            conjuncts(b, visit);
        }
        _ => visit(expr),
    }
}

/// A condition on one slot as a cell, when it compares the slot with fixed values.
fn as_cell(expr: &TypedExpr, slot: crate::package::schema::Slot, schema: &Schema) -> Option<Cell> {
    let constant = |e: &TypedExpr| {
        let kind = match &e.kind {
            TypedKind::Number(n) => ExprKind::Number(*n),
            TypedKind::Text(t) => ExprKind::Text(schema.symbols.text(*t)?.to_string()),
            TypedKind::Bool(b) => ExprKind::Bool(*b),
            _ => return None,
        };
        Some(Expr { kind, span: e.span })
    };
    let is_slot = |e: &TypedExpr| e.kind == TypedKind::Slot(slot);
    let kind = match &expr.kind {
        TypedKind::Slot(_) if is_slot(expr) && expr.ty == Type::Bool => CellKind::Equal(Expr {
            kind: ExprKind::Bool(true),
            span: expr.span,
        }),
        TypedKind::Unary(UnaryOp::Not, inner) if is_slot(inner) && inner.ty == Type::Bool => {
            CellKind::Equal(Expr {
                kind: ExprKind::Bool(false),
                span: expr.span,
            })
        }
        TypedKind::Binary(op @ (BinaryOp::In | BinaryOp::NotIn), lhs, rhs) if is_slot(lhs) => {
            let TypedKind::List(items) = &rhs.kind else {
                return None;
            };
            let values = items.iter().map(constant).collect::<Option<Vec<_>>>()?;
            CellKind::In {
                negated: *op == BinaryOp::NotIn,
                values,
            }
        }
        TypedKind::Binary(op, lhs, rhs) => {
            let (op, value) = if is_slot(lhs) {
                (*op, rhs)
            } else if is_slot(rhs) {
                let flipped = match op {
                    BinaryOp::Lt => BinaryOp::Gt,
                    BinaryOp::Le => BinaryOp::Ge,
                    BinaryOp::Gt => BinaryOp::Lt,
                    BinaryOp::Ge => BinaryOp::Le,
                    other => *other,
                };
                (flipped, lhs)
            } else {
                return None;
            };
            if !matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
            ) {
                return None;
            }
            CellKind::Compare(op, constant(value)?)
        }
        _ => return None,
    };
    Some(Cell {
        kind,
        span: expr.span,
    })
}
