//! Decision tables: `table NAME for SEGMENT { hit ... columns ... row ... }`,
//! from pest's tree to a [`TableDecl`]. Each row must have one cell per
//! column; what the cells mean is checked in `resolve`.

use super::super::Rule;
use super::{Body, Lowering};
use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::Span;
use crate::lang::syntax::ast::*;
use pest::iterators::Pair;

impl Lowering {
    pub(super) fn table(&mut self, pair: Pair<'_, Rule>) -> Option<TableDecl> {
        let span = self.span(&pair);
        let mut name: Option<Name> = None;
        let mut target: Option<(Name, Option<Name>, Span)> = None;
        let mut hit: Option<(HitPolicy, Span)> = None;
        let mut columns: Option<(Vec<Expr>, Span)> = None;
        let mut rows_from: Option<RowsFrom> = None;
        let mut rows = Vec::new();
        let mut ok = true;
        for part in pair.into_inner() {
            let part_span = self.span(&part);
            let first = match part.as_rule() {
                Rule::name => {
                    name = Some(self.name(part));
                    continue;
                }
                Rule::label => {
                    part.into_inner().next().and_then(|s| self.string(s));
                    continue;
                }
                Rule::table_row => {
                    rows.push(part);
                    continue;
                }
                Rule::target => {
                    let first = target.as_ref().map(|t| (t.2, "for"));
                    if first.is_none() {
                        target = self.target(part).map(|(s, p)| (s, p, part_span));
                    }
                    first
                }
                Rule::hit => {
                    let first = hit.map(|h| (h.1, "hit"));
                    let word = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::hit_policy)
                        .map_or("", |p| p.as_str());
                    let policy = match word {
                        "first" => HitPolicy::First,
                        "priority" => HitPolicy::Priority,
                        "collect" => HitPolicy::Collect,
                        _ => HitPolicy::Unique,
                    };
                    hit = hit.or(Some((policy, part_span)));
                    first
                }
                Rule::columns => {
                    let first = columns.as_ref().map(|c| (c.1, "columns"));
                    if first.is_none() {
                        let list = part
                            .into_inner()
                            .filter(|p| p.as_rule() == Rule::column)
                            .filter_map(|c| c.into_inner().next())
                            .map(|c| self.column(c))
                            .collect();
                        columns = Some((list, part_span));
                    }
                    first
                }
                Rule::rows_from => {
                    let first = rows_from.as_ref().map(|r| (r.span, "rows"));
                    let mut texts = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::string)
                        .map(|p| self.string(p));
                    let path = texts.next().flatten();
                    let sheet = texts.next().flatten();
                    match path {
                        Some(path) if first.is_none() => {
                            rows_from = Some(RowsFrom {
                                path,
                                sheet,
                                span: part_span,
                            });
                        }
                        Some(_) => {}
                        None => ok = false,
                    }
                    first
                }
                _ => continue,
            };
            if let Some((first, keyword)) = first {
                self.errors.push(
                    Diagnostic::error(
                        Code::DuplicateClause,
                        part_span,
                        format!("this table already has a `{keyword}` clause"),
                    )
                    .with_label(first, "first one here")
                    .with_help("keep one"),
                );
                ok = false;
            }
        }
        let name = name?;
        let Some((segment, profile, _)) = target else {
            self.errors.push(
                Diagnostic::error(
                    Code::MissingTarget,
                    name.span,
                    format!("table `{}` does not say which segment it is for", name.text),
                )
                .with_help("add `for SEGMENT` after the table's name, e.g. `table offers for everyone { ... }`"),
            );
            return None;
        };
        let Some((columns, _)) = columns else {
            self.errors.push(
                Diagnostic::error(
                    Code::Syntax,
                    name.span,
                    format!("table `{}` has no `columns` line", name.text),
                )
                .with_help("list what the cells test before the rows, e.g. `columns tenure_months, pref.price`"),
            );
            return None;
        };
        if let (Some(from), Some(row)) = (&rows_from, rows.first()) {
            self.errors.push(
                Diagnostic::error(
                    Code::DuplicateClause,
                    self.span(row),
                    format!(
                        "table `{}` reads its rows from `{}`, so it cannot also have `row` lines",
                        name.text, from.path
                    ),
                )
                .with_label(from.span, "the rows come from here")
                .with_help("keep the rows in one place: in the file, or as `row` lines (then remove `rows \"...\"`)"),
            );
            return None;
        }
        let mut lowered = Vec::with_capacity(rows.len());
        for (index, row) in rows.into_iter().enumerate() {
            match self.row(row, &name.text, index + 1, &columns) {
                Some(row) => lowered.push(row),
                None => ok = false,
            }
        }
        ok.then_some(TableDecl {
            name,
            segment,
            profile,
            hit: hit.map_or(HitPolicy::Unique, |h| h.0),
            columns,
            rows: lowered,
            rows_from,
            span,
        })
    }

    fn column(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = if pair.as_rule() == Rule::preference {
            let name = pair
                .into_inner()
                .find(|p| p.as_rule() == Rule::name)
                .map(|p| self.name(p))
                .unwrap_or(Name {
                    text: String::new(),
                    span,
                });
            ExprKind::Preference(name)
        } else {
            ExprKind::Name(pair.as_str().to_string())
        };
        Expr { kind, span }
    }

    pub(super) fn row(
        &mut self,
        pair: Pair<'_, Rule>,
        table: &str,
        number: usize,
        columns: &[Expr],
    ) -> Option<RowDecl> {
        let span = self.span(&pair);
        let mut keyword = span;
        let mut cells = Vec::new();
        let mut cells_span = span;
        let mut clauses = Vec::new();
        let mut ok = true;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_row => keyword = self.span(&part),
                Rule::cells => {
                    cells_span = self.span(&part);
                    for cell in part.into_inner().filter(|c| c.as_rule() == Rule::cell) {
                        match self.cell(cell) {
                            Some(cell) => cells.push(cell),
                            None => ok = false,
                        }
                    }
                }
                _ => clauses.push(part),
            }
        }
        let row_name = format!("{table}[{number}]");
        if ok && cells.len() != columns.len() {
            self.errors
                .push(self.cell_count(&row_name, &cells, cells_span, columns));
            ok = false;
        }
        let Body {
            when,
            action,
            gain,
            priority,
            because,
            ok: body_ok,
            ..
        } = self.body(clauses, "row");
        let Some((action, service, action_span)) = action else {
            self.errors.push(
                Diagnostic::error(
                    Code::MissingAction,
                    keyword,
                    format!("row {row_name} neither offers nor suppresses a service"),
                )
                .with_help("after `=>`, add `offer SERVICE` or `suppress SERVICE`"),
            );
            return None;
        };
        if action == ActionKind::Suppress
            && let Some(gain) = &gain
        {
            self.errors.push(
                Diagnostic::error(
                    Code::ConflictingAction,
                    gain.span,
                    "a `suppress` row takes no `gain`",
                )
                .with_label(action_span, "this row suppresses")
                .with_help("remove the `gain` clause"),
            );
            ok = false;
        }
        (ok && body_ok).then_some(RowDecl {
            cells,
            when,
            action,
            service,
            gain,
            priority: priority.unwrap_or(0),
            because,
            span,
            keyword,
            cells_span,
        })
    }

    /// "row t[2] has 2 cells, but the table has 3 columns: ..."
    fn cell_count(&self, row: &str, cells: &[Cell], at: Span, columns: &[Expr]) -> Diagnostic {
        let column_name = |c: &Expr| match &c.kind {
            ExprKind::Preference(name) => format!("pref.{}", name.text),
            ExprKind::Name(name) => name.clone(),
            _ => String::new(),
        };
        let names: Vec<String> = columns.iter().map(column_name).collect();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let message = format!(
            "row {row} has {}, but the table has {} ({})",
            plural(cells.len(), "cell"),
            plural(columns.len(), "column"),
            names.join(", ")
        );
        if cells.len() < columns.len() {
            let missing: Vec<String> = names[cells.len()..]
                .iter()
                .map(|n| format!("`{n}`"))
                .collect();
            let at = Span::new(at.file, at.end as usize, at.end as usize + 1);
            Diagnostic::error(Code::WrongCellCount, at, message).with_help(format!(
                "the cell{} for {} {} missing; write `-` for a column that does not matter",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
            ))
        } else {
            let extra = cells.get(columns.len()).map_or(at, |c| c.span);
            let mut diagnostic = Diagnostic::error(Code::WrongCellCount, extra, message)
                .with_help("remove the extra cells, or add their columns to `columns`");
            if let Some(last) = columns.last() {
                diagnostic = diagnostic.with_label(last.span, "the last column");
            }
            diagnostic
        }
    }

    fn cell(&mut self, pair: Pair<'_, Rule>) -> Option<Cell> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::cell_any => CellKind::Any,
            Rule::cell_const => CellKind::Equal(self.constant(inner.into_inner().next()?)?),
            Rule::cell_cmp => {
                let mut parts = inner.into_inner();
                let op = match parts.next()?.as_str() {
                    "==" => BinaryOp::Eq,
                    "!=" => BinaryOp::Ne,
                    "<=" => BinaryOp::Le,
                    ">=" => BinaryOp::Ge,
                    "<" => BinaryOp::Lt,
                    _ => BinaryOp::Gt,
                };
                CellKind::Compare(op, self.constant(parts.next()?)?)
            }
            Rule::cell_in | Rule::cell_not_in => {
                let negated = inner.as_rule() == Rule::cell_not_in;
                let list = inner
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::cell_list)?;
                let mut values = Vec::new();
                for value in list.into_inner() {
                    values.push(self.constant(value)?);
                }
                CellKind::In { negated, values }
            }
            Rule::cell_range => {
                let mut parts = inner.into_inner();
                let low = self.constant(parts.next()?)?;
                let high = self.constant(parts.next()?)?;
                CellKind::Range(low, high)
            }
            _ => return None,
        };
        Some(Cell { kind, span })
    }

    /// A number (possibly negative), a text or `true`/`false`.
    fn constant(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::cell_number => {
                let text = pair.as_str().replace('_', "");
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => ExprKind::Number(n),
                    _ => {
                        self.errors.push(
                            Diagnostic::error(
                                Code::NumberOutOfRange,
                                span,
                                format!("the number `{}` is too large", pair.as_str()),
                            )
                            .with_help("numbers must stay below about 1.8e308"),
                        );
                        return None;
                    }
                }
            }
            Rule::string => ExprKind::Text(self.string(pair)?),
            Rule::boolean => ExprKind::Bool(pair.as_str().starts_with('t')),
            _ => return None,
        };
        Some(Expr { kind, span })
    }
}
