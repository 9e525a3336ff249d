//! From pest's parse tree to the [`ast`](super::ast): spans on every node,
//! operator precedence, clause checks (each clause once, one action per rule).

use super::Rule;
use super::ast::*;
use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

mod table;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_cmp, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left)
            | Op::infix(Rule::op_not_in, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left)
            | Op::infix(Rule::op_div, Assoc::Left)
            | Op::infix(Rule::op_rem, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

/// The clauses of a rule body or a table row, as lowered.
struct Body {
    target: Option<(Name, Option<Name>, Span)>,
    when: Option<Expr>,
    action: Option<(ActionKind, Name, Span)>,
    gain: Option<Expr>,
    priority: Option<i64>,
    because: Option<String>,
    ok: bool,
}

struct Lowering {
    file: FileId,
    /// Byte offset of the parsed text in the file (non-zero when one item is
    /// parsed on its own after a syntax error).
    base: usize,
    /// Most operators in one expression (`limits.max_operators`): deeper trees
    /// would make later phases recurse too far.
    max_operators: usize,
    errors: Vec<Diagnostic>,
}

pub(super) fn lower_file(
    file: FileId,
    base: usize,
    pair: Pair<'_, Rule>,
    max_operators: usize,
) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        file,
        base,
        max_operators,
        errors: Vec::new(),
    };
    let mut items = Vec::new();
    for item in pair.into_inner() {
        let lowered = match item.as_rule() {
            Rule::segment => lowering.segment(item).map(Item::Segment),
            Rule::profile => lowering.profile(item).map(Item::Profile),
            Rule::rule => lowering.rule(item).map(Item::Rule),
            Rule::table => lowering.table(item).map(Item::Table),
            _ => None,
        };
        items.extend(lowered);
    }
    (items, lowering.errors)
}

/// One `table_row` of a spreadsheet-backed table, parsed from the text
/// `sheet` laid out for it.
pub(super) fn lower_row(
    file: FileId,
    base: usize,
    pair: Pair<'_, Rule>,
    table: &str,
    number: usize,
    columns: &[Expr],
    max_operators: usize,
) -> (Option<RowDecl>, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        file,
        base,
        max_operators,
        errors: Vec::new(),
    };
    let row = lowering.row(pair, table, number, columns);
    (row, lowering.errors)
}

impl Lowering {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        span_of(self.file, self.base, pair)
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            span: self.span(&pair),
            text: pair.as_str().to_string(),
        }
    }

    fn segment(&mut self, pair: Pair<'_, Rule>) -> Option<SegmentDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut parents = Vec::new();
        let mut label = None;
        let mut when = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::name => name = Some(self.name(part)),
                Rule::parents => {
                    parents = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::name)
                        .map(|p| self.name(p))
                        .collect();
                }
                Rule::label => label = part.into_inner().next().and_then(|s| self.string(s)),
                Rule::when_clause => when = self.clause_expr(part),
                _ => {}
            }
        }
        Some(SegmentDecl {
            name: name?,
            parents,
            label,
            when,
            span,
        })
    }

    fn profile(&mut self, pair: Pair<'_, Rule>) -> Option<ProfileDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut when = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::name => name = Some(self.name(part)),
                // The label is for people reading the file; the engine has no use for it yet.
                Rule::label => {
                    part.into_inner().next().and_then(|s| self.string(s));
                }
                Rule::when_clause => when = self.clause_expr(part),
                _ => {}
            }
        }
        Some(ProfileDecl {
            name: name?,
            when,
            span,
        })
    }

    fn rule(&mut self, pair: Pair<'_, Rule>) -> Option<RuleDecl> {
        let span = self.span(&pair);
        let mut name: Option<Name> = None;
        let mut parts = Vec::new();
        for part in pair.into_inner() {
            if part.as_rule() == Rule::name {
                name = Some(self.name(part));
            } else {
                parts.push(part);
            }
        }
        let Body {
            target,
            when,
            action,
            gain,
            priority,
            because,
            mut ok,
        } = self.body(parts, "rule");

        let name = name?;
        let Some((segment, profile, _)) = target else {
            self.errors.push(
                Diagnostic::error(
                    Code::MissingTarget,
                    name.span,
                    format!("rule `{}` does not say which segment it is for", name.text),
                )
                .with_help("add `for SEGMENT`, e.g. `for everyone`"),
            );
            return None;
        };
        let Some((action, service, action_span)) = action else {
            self.errors.push(
                Diagnostic::error(
                    Code::MissingAction,
                    name.span,
                    format!(
                        "rule `{}` neither offers nor suppresses a service",
                        name.text
                    ),
                )
                .with_help("add `offer SERVICE` or `suppress SERVICE`"),
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
                    "a `suppress` rule takes no `gain`",
                )
                .with_label(action_span, "this rule suppresses")
                .with_help("remove the `gain` clause"),
            );
            ok = false;
        }
        ok.then_some(RuleDecl {
            name,
            segment,
            profile,
            when,
            action,
            service,
            gain,
            priority: priority.unwrap_or(0),
            because,
            span,
        })
    }

    /// The clauses of a rule body (or a table row): each once, one action.
    fn body(&mut self, parts: Vec<Pair<'_, Rule>>, what: &str) -> Body {
        let mut body = Body {
            target: None,
            when: None,
            action: None,
            gain: None,
            priority: None,
            because: None,
            ok: true,
        };
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for part in parts {
            let kind = part.as_rule();
            let clause_span = self.span(&part);
            let keyword = match kind {
                Rule::target => "for",
                Rule::when_clause => "when",
                Rule::offer | Rule::suppress => "offer",
                Rule::gain => "gain",
                Rule::priority => "priority",
                Rule::because => "because",
                _ => continue,
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == keyword) {
                let (code, message, help) = if keyword == "offer" {
                    (
                        Code::ConflictingAction,
                        format!("a {what} offers or suppresses exactly one service"),
                        if what == "row" {
                            "write a second row for the other service"
                        } else {
                            "write a second rule for the other service"
                        },
                    )
                } else {
                    (
                        Code::DuplicateClause,
                        format!("this {what} already has a `{keyword}` clause"),
                        "keep one; combine conditions with `and` / `or`",
                    )
                };
                self.errors.push(
                    Diagnostic::error(code, clause_span, message)
                        .with_label(*first, "first one here")
                        .with_help(help),
                );
                body.ok = false;
                continue;
            }
            seen.push((keyword, clause_span));
            match kind {
                Rule::target => {
                    if let Some((segment, profile)) = self.target(part) {
                        body.target = Some((segment, profile, clause_span));
                    }
                }
                Rule::when_clause => {
                    body.when = self.clause_expr(part);
                    body.ok &= body.when.is_some();
                }
                Rule::offer | Rule::suppress => {
                    let action_kind = if kind == Rule::offer {
                        ActionKind::Offer
                    } else {
                        ActionKind::Suppress
                    };
                    if let Some(service) = part.into_inner().find(|p| p.as_rule() == Rule::name) {
                        body.action = Some((action_kind, self.name(service), clause_span));
                    }
                }
                Rule::gain => {
                    body.gain = self.clause_expr(part);
                    body.ok &= body.gain.is_some();
                }
                Rule::priority => {
                    let text = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::integer)
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    match text.parse::<i64>() {
                        Ok(n) if n.unsigned_abs() <= 1_000_000_000 => body.priority = Some(n),
                        _ => {
                            self.errors.push(
                                Diagnostic::error(
                                    Code::NumberOutOfRange,
                                    clause_span,
                                    format!("priority `{text}` is too large"),
                                )
                                .with_help("use a priority between -1000000000 and 1000000000"),
                            );
                            body.ok = false;
                        }
                    }
                }
                Rule::because => {
                    body.because = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::string)
                        .and_then(|s| self.string(s));
                }
                _ => {}
            }
        }
        body
    }

    /// `for SEGMENT` or `for SEGMENT, profile PROFILE`.
    fn target(&mut self, pair: Pair<'_, Rule>) -> Option<(Name, Option<Name>)> {
        let mut inner = pair.into_inner();
        let segment = inner
            .find(|p| p.as_rule() == Rule::name)
            .map(|p| self.name(p));
        let profile = inner
            .find(|p| p.as_rule() == Rule::profile_ref)
            .and_then(|p| p.into_inner().find(|q| q.as_rule() == Rule::name))
            .map(|p| self.name(p));
        Some((segment?, profile))
    }

    fn clause_expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let expr = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::expr | Rule::script))?;
        if expr.as_rule() == Rule::script {
            return self.script(expr);
        }
        let span = self.span(&expr);
        match self.expr(expr) {
            Ok((expr, depth)) if depth <= self.max_operators => Some(expr),
            Ok(_) => {
                self.errors.push(
                    Diagnostic::error(
                        Code::TooDeep,
                        span,
                        format!(
                            "this expression nests more than {} operations",
                            self.max_operators
                        ),
                    )
                    .with_help("split it into segments, profiles or simpler conditions"),
                );
                None
            }
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// A `script { ... }` or `script "..."` clause.
    fn script(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let body = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::script_block | Rule::string))?;
        let (text, start) = if body.as_rule() == Rule::script_block {
            let text = body.into_inner().next()?;
            (text.as_str().to_string(), self.span(&text).start)
        } else {
            let start = self.span(&body).start + 1;
            (self.string(body)?, start)
        };
        Some(Expr {
            kind: ExprKind::Script { text, start },
            span,
        })
    }

    /// Lowers an expression; returns it with its tree depth.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<(Expr, usize), Diagnostic> {
        let pairs = pair.into_inner();
        self.check_prefix_runs(&pairs)?;
        let (file, base) = (self.file, self.base);
        PRATT
            .map_primary(|primary| self.primary(primary))
            .map_prefix(|op, operand| {
                let (operand, depth) = operand?;
                let op_span = span_of(file, base, &op);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                let span = op_span.to(operand.span);
                Ok((
                    Expr {
                        kind: ExprKind::Unary {
                            op,
                            operand: Box::new(operand),
                        },
                        span,
                    },
                    depth + 1,
                ))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, left_depth) = lhs?;
                let (rhs, right_depth) = rhs?;
                let op = binary_op(&op);
                let span = lhs.span.to(rhs.span);
                Ok((
                    Expr {
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    },
                    left_depth.max(right_depth) + 1,
                ))
            })
            .parse(pairs)
    }

    /// The Pratt parser recurses once per prefix operator: refuse long runs first.
    /// Also refuses long operator chains before a tree is built: `a + a + ...`
    /// makes a tree as deep as the chain is long, and deep trees overflow the
    /// stack when they are dropped, long before any later check could look.
    fn check_prefix_runs(&self, pairs: &Pairs<'_, Rule>) -> Result<(), Diagnostic> {
        let mut run = 0;
        let mut operators = 0;
        for pair in pairs.clone() {
            if !matches!(
                pair.as_rule(),
                Rule::expr
                    | Rule::list
                    | Rule::call
                    | Rule::number
                    | Rule::string
                    | Rule::boolean
                    | Rule::name
                    | Rule::preference
            ) {
                operators += 1;
                if operators > self.max_operators {
                    return Err(Diagnostic::error(
                        Code::TooDeep,
                        self.span(&pair),
                        format!(
                            "this expression has more than {} operators",
                            self.max_operators
                        ),
                    )
                    .with_help("split it into segments, profiles or simpler conditions"));
                }
            }
            if matches!(pair.as_rule(), Rule::op_not | Rule::op_neg) {
                run += 1;
                if run > self.max_operators {
                    return Err(Diagnostic::error(
                        Code::TooDeep,
                        self.span(&pair),
                        format!("more than {} `not` or `-` in a row", self.max_operators),
                    ));
                }
            } else {
                run = 0;
            }
        }
        Ok(())
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Result<(Expr, usize), Diagnostic> {
        let span = self.span(&pair);
        let leaf = |kind| Ok((Expr { kind, span }, 1));
        match pair.as_rule() {
            Rule::number => {
                let text = pair.as_str().replace('_', "");
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => leaf(ExprKind::Number(n)),
                    _ => Err(Diagnostic::error(
                        Code::NumberOutOfRange,
                        span,
                        format!("the number `{}` is too large", pair.as_str()),
                    )
                    .with_help("numbers must stay below about 1.8e308")),
                }
            }
            Rule::string => match self.string(pair) {
                Some(text) => leaf(ExprKind::Text(text)),
                None => Err(self.errors.pop().unwrap_or_else(|| {
                    Diagnostic::error(Code::InvalidEscape, span, "this text cannot be read")
                })),
            },
            Rule::boolean => leaf(ExprKind::Bool(pair.as_str().starts_with('t'))),
            Rule::name => leaf(ExprKind::Name(pair.as_str().to_string())),
            Rule::preference => {
                let name = pair
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::name)
                    .map(|p| self.name(p))
                    .unwrap_or(Name {
                        text: String::new(),
                        span,
                    });
                leaf(ExprKind::Preference(name))
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = 0;
                for item in pair.into_inner() {
                    let (item, d) = self.expr(item)?;
                    depth = depth.max(d);
                    items.push(item);
                }
                Ok((
                    Expr {
                        kind: ExprKind::List(items),
                        span,
                    },
                    depth + 1,
                ))
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = inner.next().map(|p| self.name(p)).unwrap_or(Name {
                    text: String::new(),
                    span,
                });
                let mut args = Vec::new();
                let mut depth = 0;
                for arg in inner {
                    let (arg, d) = self.expr(arg)?;
                    depth = depth.max(d);
                    args.push(arg);
                }
                Ok((
                    Expr {
                        kind: ExprKind::Call { function, args },
                        span,
                    },
                    depth + 1,
                ))
            }
            Rule::expr => {
                let (mut inner, depth) = self.expr(pair)?;
                // Keep the parentheses in the span, so carets cover what was written.
                inner.span = span;
                Ok((inner, depth))
            }
            _ => Err(Diagnostic::error(
                Code::Syntax,
                span,
                "this part of the expression cannot be read",
            )),
        }
    }

    /// Decodes a string literal; pushes a diagnostic and returns None on a bad escape.
    fn string(&mut self, pair: Pair<'_, Rule>) -> Option<String> {
        let body = pair.into_inner().next()?;
        let base = body.as_span().start();
        let raw = body.as_str();
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'u')) => {
                    let hex: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .skip(1)
                        .take_while(|&c| c != '}')
                        .collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => out.push(c),
                        None => {
                            self.errors.push(
                                Diagnostic::error(
                                    Code::InvalidEscape,
                                    Span::new(
                                        self.file,
                                        self.base + base + i,
                                        self.base + base + i + hex.len() + 4,
                                    ),
                                    format!("`\\u{{{hex}}}` is not a character"),
                                )
                                .with_help("use a Unicode code point such as \\u{4E2D}"),
                            );
                            return None;
                        }
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }
}

fn span_of(file: FileId, base: usize, pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(file, base + s.start(), base + s.end())
}

fn binary_op(pair: &Pair<'_, Rule>) -> BinaryOp {
    match pair.as_rule() {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_in => BinaryOp::In,
        Rule::op_not_in => BinaryOp::NotIn,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        Rule::op_rem => BinaryOp::Rem,
        _ => match pair.as_str() {
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            ">" => BinaryOp::Gt,
            _ => BinaryOp::Ge,
        },
    }
}
