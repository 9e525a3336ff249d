//! Decision tables become rules: row `i` of table `t` is the rule `t[i]`,
//! whose condition is the conjunction of its cells (and its `when`). Under
//! `hit first` a row also requires that no earlier row matches; under `hit
//! priority` rows are ordered by priority (ties: the earlier row) and then
//! treated as under `first`. The engine sees plain rules.

use super::Resolver;
use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::Span;
use crate::lang::ir::{self, Function, ProfileId, SegmentId, Type, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{
    self, BinaryOp, CellKind, Expr, ExprKind, HitPolicy, RowDecl, TableDecl, UnaryOp,
};
use std::collections::HashMap;

/// What the table analysis needs of one resolved table.
pub(super) struct ResolvedTable<'d> {
    pub decl: &'d TableDecl,
    /// The typed column expressions (a slot each).
    pub columns: Vec<TypedExpr>,
    /// The table's segment and profile.
    pub segment: SegmentId,
    pub profile: Option<ProfileId>,
}

impl Resolver<'_> {
    /// The rules of one table, appended to `rules`; None when the table has errors.
    pub(super) fn table<'d>(
        &mut self,
        decl: &'d TableDecl,
        segment_ids: &HashMap<&str, SegmentId>,
        profile_ids: &HashMap<&str, ProfileId>,
        rules: &mut Vec<ir::Rule>,
    ) -> Option<ResolvedTable<'d>> {
        if decl.rows.len() > self.catalog.limits.max_table_rows {
            self.error(
                Diagnostic::error(
                    Code::TableTooLarge,
                    decl.name.span,
                    format!(
                        "table `{}` has {} rows, more than the limit of {} (`limits.max_table_rows`)",
                        decl.name.text,
                        decl.rows.len(),
                        self.catalog.limits.max_table_rows
                    ),
                )
                .with_help("split the table by segment, or raise `limits.max_table_rows` in catalog.yaml (`check` compares every pair of rows)"),
            );
            return None;
        }
        // The segment and profile once for the table, not once per row.
        let (segment, profile) = self.target(
            &decl.segment,
            decl.profile.as_ref(),
            segment_ids,
            profile_ids,
        )?;
        let mut columns = Vec::with_capacity(decl.columns.len());
        for column in &decl.columns {
            columns.push(self.typed(column));
        }
        let columns: Vec<TypedExpr> = columns.into_iter().collect::<Option<_>>()?;
        let mut matches = Vec::with_capacity(decl.rows.len());
        let mut typed_rules = Vec::with_capacity(decl.rows.len());
        let mut ok = true;
        for (index, row) in decl.rows.iter().enumerate() {
            let cells = self.cells(row, decl, &columns);
            let rule = self.rule(&Self::row_decl(decl, index, row), segment_ids, profile_ids);
            match (cells, rule) {
                (Some(cells), Some(rule)) => {
                    let condition =
                        and_all(cells.into_iter().chain(rule.when.clone()), row.cells_span);
                    matches.push(condition);
                    typed_rules.push(rule);
                }
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        // The order in which rows are tried: as written, or by priority.
        let mut order: Vec<usize> = (0..decl.rows.len()).collect();
        if decl.hit == HitPolicy::Priority {
            order.sort_by_key(|&i| std::cmp::Reverse(decl.rows.get(i).map_or(0, |r| r.priority)));
        }
        let single_hit = matches!(decl.hit, HitPolicy::First | HitPolicy::Priority);
        for (index, mut rule) in typed_rules.into_iter().enumerate() {
            let own = matches.get(index).cloned().flatten();
            let mut parts: Vec<TypedExpr> = own.into_iter().collect();
            if single_hit {
                let place = order.iter().position(|&i| i == index).unwrap_or(0);
                for &earlier in order.iter().take(place) {
                    let span = decl.rows.get(earlier).map_or(decl.span, |r| r.cells_span);
                    parts.push(not_matched(matches.get(earlier).cloned().flatten(), span));
                }
            }
            rule.from_table = true;
            rule.written_at = decl.span;
            rule.when = and_all(
                parts,
                decl.rows.get(index).map_or(decl.span, |r| r.cells_span),
            );
            rules.push(rule);
        }
        Some(ResolvedTable {
            decl,
            columns,
            segment,
            profile,
        })
    }

    /// The rule declaration row `index` (0-based) stands for.
    fn row_decl(table: &TableDecl, index: usize, row: &RowDecl) -> ast::RuleDecl {
        ast::RuleDecl {
            name: ast::Name {
                text: format!("{}[{}]", table.name.text, index + 1),
                span: row.keyword,
            },
            segment: table.segment.clone(),
            profile: table.profile.clone(),
            when: row.when.clone(),
            action: row.action,
            service: row.service.clone(),
            gain: row.gain.clone(),
            priority: row.priority,
            because: row.because.clone(),
            // What the row's meaning depends on, for `diff`: the table's
            // header and the rows up to this one (under `first`, the earlier
            // rows decide whether it is reached; under `unique` and `collect`
            // this says more than it must), or under `priority` the table.
            span: if row.span.file != table.span.file {
                // Rows read from a spreadsheet: the laid out rows up to this
                // one (all of them under `priority`), header included.
                let last = match table.hit {
                    HitPolicy::Priority => table.rows.last().map_or(row.span.end, |r| r.span.end),
                    _ => row.span.end,
                };
                Span::new(row.span.file, 0, last as usize)
            } else if table.hit == HitPolicy::Priority {
                table.span
            } else {
                Span::new(
                    table.span.file,
                    table.span.start as usize,
                    row.span.end as usize,
                )
            },
        }
    }

    /// Each cell that is not `-` as a typed condition on its column.
    fn cells(
        &mut self,
        row: &RowDecl,
        table: &TableDecl,
        columns: &[TypedExpr],
    ) -> Option<Vec<TypedExpr>> {
        let mut out = Vec::new();
        let mut ok = true;
        for ((cell, column), typed_column) in row.cells.iter().zip(&table.columns).zip(columns) {
            let column_name = self.sources.slice(column.span).to_string();
            let compare = |op, value: &Expr| Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(column.clone()),
                    rhs: Box::new(value.clone()),
                },
                span: cell.span,
            };
            let (expr, constants, ordering) = match &cell.kind {
                CellKind::Any => continue,
                CellKind::Equal(value) => (compare(BinaryOp::Eq, value), vec![value], false),
                CellKind::Compare(op, value) => (
                    compare(*op, value),
                    vec![value],
                    !matches!(op, BinaryOp::Eq | BinaryOp::Ne),
                ),
                CellKind::In { negated, values } => {
                    let list = Expr {
                        kind: ExprKind::List(values.clone()),
                        span: cell.span,
                    };
                    let op = if *negated {
                        BinaryOp::NotIn
                    } else {
                        BinaryOp::In
                    };
                    (compare(op, &list), values.iter().collect(), false)
                }
                CellKind::Range(low, high) => (
                    Expr {
                        kind: ExprKind::Binary {
                            op: BinaryOp::And,
                            lhs: Box::new(compare(BinaryOp::Ge, low)),
                            rhs: Box::new(compare(BinaryOp::Lt, high)),
                        },
                        span: cell.span,
                    },
                    vec![low, high],
                    true,
                ),
            };
            if let Some(error) = misfit(
                &column_name,
                &typed_column.ty,
                &constants,
                ordering,
                cell.span,
            ) {
                self.error(error);
                ok = false;
                continue;
            }
            match self.condition(&expr) {
                Some(typed) => out.push(typed),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Why constants do not fit a column's type, in the words of a table.
fn misfit(
    column: &str,
    ty: &Type,
    constants: &[&Expr],
    ordering: bool,
    cell: Span,
) -> Option<Diagnostic> {
    let holds = match ty {
        Type::Number => "numbers",
        Type::Bool => "yes/no values (`true` or `false`)",
        Type::Text => "texts",
        Type::Category(_) => "category values (texts in double quotes)",
        Type::List(_) => "lists",
    };
    if ordering && *ty != Type::Number {
        return Some(
            Diagnostic::error(
                Code::TypeMismatch,
                cell,
                format!("column `{column}` holds {holds}, which have no order, so this cell cannot compare or range over them"),
            )
            .with_help("write a value, `!= VALUE`, `in [...]` or `not in [...]`"),
        );
    }
    for constant in constants {
        let (fits, is) = match &constant.kind {
            ExprKind::Number(_) => (*ty == Type::Number, "a number"),
            ExprKind::Text(_) => (ty.is_textual(), "a text"),
            ExprKind::Bool(_) => (*ty == Type::Bool, "a yes/no value"),
            _ => (true, ""),
        };
        if !fits {
            let help = match ty {
                Type::Number => "write a number, e.g. `12`, `< 12` or `12..24`".to_string(),
                Type::Bool => "write `true` or `false`".to_string(),
                _ => "write a text in double quotes, e.g. `\"Yes\"`".to_string(),
            };
            return Some(
                Diagnostic::error(
                    Code::TypeMismatch,
                    constant.span,
                    format!("column `{column}` holds {holds}, but this cell has {is}"),
                )
                .with_help(help),
            );
        }
    }
    None
}

/// `a and b and ...`, or None when there is nothing to require.
fn and_all(parts: impl IntoIterator<Item = TypedExpr>, span: Span) -> Option<TypedExpr> {
    parts.into_iter().reduce(|a, b| TypedExpr {
        kind: TypedKind::Binary(BinaryOp::And, Box::new(a), Box::new(b)),
        ty: Type::Bool,
        span,
    })
}

/// "This row did not match": `not value_or(MATCH, false)`, which is true
/// when the match is false or unknown (a missing value), as a row whose
/// condition is unknown does not hold. A row with no condition always
/// matches, so nothing after it can.
fn not_matched(matched: Option<TypedExpr>, span: Span) -> TypedExpr {
    let boolean = |b| TypedExpr {
        kind: TypedKind::Bool(b),
        ty: Type::Bool,
        span,
    };
    let inner = match matched {
        None => boolean(true),
        Some(m) => TypedExpr {
            kind: TypedKind::Call(Function::ValueOr, vec![m, boolean(false)]),
            ty: Type::Bool,
            span,
        },
    };
    TypedExpr {
        kind: TypedKind::Unary(UnaryOp::Not, Box::new(inner)),
        ty: Type::Bool,
        span,
    }
}
