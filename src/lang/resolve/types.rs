//! Typing expressions against the customer schema.

use super::Resolver;
use crate::base::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::lang::ir::{Function, Type, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{BinaryOp, Expr, ExprKind, Name, UnaryOp};
use crate::package::schema::FieldKind;

const FUNCTIONS: [(&str, Function); 11] = [
    ("min", Function::Min),
    ("max", Function::Max),
    ("clamp", Function::Clamp),
    ("abs", Function::Abs),
    ("round", Function::Round),
    ("present", Function::Present),
    ("value_or", Function::ValueOr),
    ("len", Function::Len),
    ("starts_with", Function::StartsWith),
    ("ends_with", Function::EndsWith),
    ("contains", Function::Contains),
];

impl Resolver<'_> {
    /// Types an expression; reports what is wrong and returns None on error.
    pub(crate) fn typed(&mut self, expr: &Expr) -> Option<TypedExpr> {
        let span = expr.span;
        let make = |kind, ty| Some(TypedExpr { kind, ty, span });
        match &expr.kind {
            ExprKind::Number(n) => make(TypedKind::Number(*n), Type::Number),
            ExprKind::Bool(b) => make(TypedKind::Bool(*b), Type::Bool),
            ExprKind::Text(t) => {
                let symbol = self.schema.symbols.intern(t);
                make(TypedKind::Text(symbol), Type::Text)
            }
            ExprKind::List(items) => self.list(expr, items),
            ExprKind::Name(name) => self.attribute(expr, name),
            ExprKind::Preference(name) => match self.schema.preference(&name.text) {
                Some(slot) => make(TypedKind::Slot(slot), Type::Number),
                None => {
                    let help = did_you_mean(&name.text, self.schema.preference_names());
                    let help = help.or_else(|| {
                        let known: Vec<&str> = self.schema.preference_names().collect();
                        Some(if known.is_empty() {
                            "the catalog declares no preferences (`customer.preferences`)"
                                .to_string()
                        } else {
                            format!("the preferences are: {}", known.join(", "))
                        })
                    });
                    self.error(
                        Diagnostic::error(
                            Code::UnknownPreference,
                            name.span,
                            format!("there is no preference called `{}`", name.text),
                        )
                        .with_help_opt(help),
                    );
                    None
                }
            },
            ExprKind::Call { function, args } => self.call(expr, function, args),
            ExprKind::Unary { op, operand } => {
                let inner = self.typed(operand)?;
                let (want, result) = match op {
                    UnaryOp::Not => (Type::Bool, Type::Bool),
                    UnaryOp::Neg => (Type::Number, Type::Number),
                };
                if inner.ty != want {
                    let word = if *op == UnaryOp::Not { "`not`" } else { "`-`" };
                    self.mismatch(
                        operand,
                        format!(
                            "{word} needs {}, but this is {}",
                            want.describe(),
                            inner.ty.describe()
                        ),
                    );
                    return None;
                }
                make(TypedKind::Unary(*op, Box::new(inner)), result)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let left = self.typed(lhs);
                let right = self.typed(rhs);
                self.binary(expr, *op, (lhs, left?), (rhs, right?))
            }
            ExprKind::Script { text, start } => self.script(expr, text, *start),
        }
    }

    /// Compiles a `script` clause; its errors point into the rule file.
    fn script(&mut self, expr: &Expr, text: &str, start: u32) -> Option<TypedExpr> {
        let file = expr.span.file;
        let at = |offset: usize, len: usize| {
            let from = start as usize + offset;
            crate::base::source::Span::new(file, from, from + len.max(1))
        };
        if let Some((offset, name)) = crate::lang::script::unknown_preference(text, self.schema) {
            let help = did_you_mean(name, self.schema.preference_names());
            self.error(
                Diagnostic::error(
                    Code::UnknownPreference,
                    at(offset, name.len()),
                    format!("there is no preference called `{name}`"),
                )
                .with_help_opt(help),
            );
            return None;
        }
        let returns = self.script_returns;
        let origin = self.sources.get(file).map_or((String::new(), 1, 1), |f| {
            let (line, column) = f.line_col(start);
            (f.name.clone(), line, column)
        });
        match self.scripts.compile(
            text,
            returns,
            self.derived == super::Derived::Allowed,
            origin,
        ) {
            Ok(id) => Some(TypedExpr {
                kind: TypedKind::Script(id),
                ty: match returns {
                    crate::lang::script::Returns::Bool => Type::Bool,
                    crate::lang::script::Returns::Number => Type::Number,
                },
                span: expr.span,
            }),
            Err(e) => {
                let offset = crate::lang::script::offset_in_file(text, 0, e.line, e.column);
                self.error(
                    Diagnostic::error(Code::ScriptError, at(offset, 1), e.message)
                        .with_help_opt(e.help),
                );
                None
            }
        }
    }

    fn mismatch(&mut self, at: &Expr, message: String) {
        self.error(Diagnostic::error(Code::TypeMismatch, at.span, message));
    }

    fn attribute(&mut self, expr: &Expr, name: &str) -> Option<TypedExpr> {
        if name == "derived" && self.schema.attribute(name).is_none() {
            if self.derived == super::Derived::Allowed {
                return Some(TypedExpr {
                    kind: TypedKind::Derived,
                    ty: Type::Number,
                    span: expr.span,
                });
            }
            if let Some(refused) = self.derived_refused(expr.span) {
                self.error(refused);
            }
            return None;
        }
        let Some(slot) = self.schema.attribute(name) else {
            let help = did_you_mean(name, self.schema.attribute_names())
                .or_else(|| {
                    self.schema
                        .preference(name)
                        .map(|_| format!("preferences are written `pref.{name}`"))
                })
                .or_else(|| {
                    self.services.contains_key(name).then(|| {
                        format!(
                            "to ask whether the customer has this service, write `uses({name})`"
                        )
                    })
                })
                .or_else(|| {
                    Some("attributes are listed under `customer.attributes` in catalog.yaml".into())
                });
            self.error(
                Diagnostic::error(
                    Code::UnknownAttribute,
                    expr.span,
                    format!("there is no customer attribute called `{name}`"),
                )
                .with_help_opt(help),
            );
            return None;
        };
        let ty = match self.schema.field(slot).map(|f| &f.kind) {
            Some(FieldKind::Number | FieldKind::Preference) => Type::Number,
            Some(FieldKind::Bool { .. }) => Type::Bool,
            Some(FieldKind::Text) | None => Type::Text,
            Some(FieldKind::Category { .. }) => Type::Category(slot),
        };
        Some(TypedExpr {
            kind: TypedKind::Slot(slot),
            ty,
            span: expr.span,
        })
    }

    fn list(&mut self, expr: &Expr, items: &[Expr]) -> Option<TypedExpr> {
        let mut typed = Vec::with_capacity(items.len());
        let mut element: Option<Type> = None;
        for item in items {
            let t = self.typed(item)?;
            if !matches!(
                t.kind,
                TypedKind::Number(_) | TypedKind::Text(_) | TypedKind::Bool(_)
            ) {
                self.error(
                    Diagnostic::error(
                        Code::NotConstant,
                        item.span,
                        "a list may only hold fixed values (numbers, texts, true or false)",
                    )
                    .with_help("compare the attribute with each value using `or` instead"),
                );
                return None;
            }
            match &element {
                None => element = Some(t.ty.clone()),
                Some(e) if *e != t.ty => {
                    self.mismatch(
                        item,
                        format!("this list mixes {} and {}", e.describe(), t.ty.describe()),
                    );
                    return None;
                }
                Some(_) => {}
            }
            typed.push(t);
        }
        Some(TypedExpr {
            kind: TypedKind::List(typed),
            ty: Type::List(Box::new(element.unwrap_or(Type::Text))),
            span: expr.span,
        })
    }

    fn call(&mut self, expr: &Expr, function: &Name, args: &[Expr]) -> Option<TypedExpr> {
        if function.text == "uses" {
            return self.uses(expr, function, args);
        }
        let Some(&(_, f)) = FUNCTIONS.iter().find(|(n, _)| *n == function.text) else {
            let names = FUNCTIONS.iter().map(|(n, _)| *n).chain(["uses"]);
            let help = did_you_mean(&function.text, names.clone()).or_else(|| {
                Some(format!(
                    "the functions are: {}",
                    names.collect::<Vec<_>>().join(", ")
                ))
            });
            self.error(
                Diagnostic::error(
                    Code::UnknownFunction,
                    function.span,
                    format!("there is no function called `{}`", function.text),
                )
                .with_help_opt(help),
            );
            return None;
        };
        let (min, max) = match f {
            Function::Min | Function::Max => (1, usize::MAX),
            Function::Clamp => (3, 3),
            Function::Abs | Function::Round | Function::Present | Function::Len => (1, 1),
            Function::ValueOr | Function::StartsWith | Function::EndsWith | Function::Contains => {
                (2, 2)
            }
        };
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (1, usize::MAX) => "at least 1 value".to_string(),
                (n, m) if n == m => format!("{n} value{}", if n == 1 { "" } else { "s" }),
                (n, m) => format!("{n} to {m} values"),
            };
            self.error(Diagnostic::error(
                Code::WrongArgumentCount,
                expr.span,
                format!(
                    "`{}` takes {wanted}, but was given {}",
                    function.text,
                    args.len()
                ),
            ));
            return None;
        }
        let mut typed = Vec::with_capacity(args.len());
        for arg in args {
            typed.push(self.typed(arg));
        }
        let typed: Vec<TypedExpr> = typed.into_iter().collect::<Option<_>>()?;
        let want = |t: &Type| -> bool {
            match f {
                Function::Min
                | Function::Max
                | Function::Clamp
                | Function::Abs
                | Function::Round => *t == Type::Number,
                Function::Len | Function::StartsWith | Function::EndsWith | Function::Contains => {
                    t.is_textual()
                }
                Function::Present | Function::ValueOr => !matches!(t, Type::List(_)),
            }
        };
        for (arg, t) in args.iter().zip(&typed) {
            if !want(&t.ty) {
                let needs = match f {
                    Function::Len
                    | Function::StartsWith
                    | Function::EndsWith
                    | Function::Contains => "texts",
                    Function::Present | Function::ValueOr => "a single value, not a list",
                    _ => "numbers",
                };
                self.mismatch(
                    arg,
                    format!(
                        "`{}` needs {needs}, but this is {}",
                        function.text,
                        t.ty.describe()
                    ),
                );
                return None;
            }
        }
        let ty = match f {
            Function::Present | Function::StartsWith | Function::EndsWith | Function::Contains => {
                Type::Bool
            }
            Function::ValueOr => {
                let (first, second) = (&typed[0].ty, &typed[1].ty);
                if !compatible(first, second) {
                    self.mismatch(
                        &args[1],
                        format!(
                            "the fallback must be of the same kind as the value ({}), but this is {}",
                            first.describe(),
                            second.describe()
                        ),
                    );
                    return None;
                }
                self.check_category_literal(first, &typed[1], &args[1])?;
                first.clone()
            }
            _ => Type::Number,
        };
        Some(TypedExpr {
            kind: TypedKind::Call(f, typed),
            ty,
            span: expr.span,
        })
    }

    fn uses(&mut self, expr: &Expr, function: &Name, args: &[Expr]) -> Option<TypedExpr> {
        let [arg] = args else {
            self.error(Diagnostic::error(
                Code::WrongArgumentCount,
                expr.span,
                format!("`uses` takes 1 service, but was given {}", args.len()),
            ));
            return None;
        };
        let name = match &arg.kind {
            ExprKind::Name(n) | ExprKind::Text(n) => Name {
                text: n.clone(),
                span: arg.span,
            },
            _ => {
                self.mismatch(
                    arg,
                    format!("`{}` needs the id of a service", function.text),
                );
                return None;
            }
        };
        let service = self.service(&name)?;
        let entry = self.catalog.services.get(service.index())?;
        let Some(slot) = entry
            .in_use
            .as_deref()
            .and_then(|a| self.schema.attribute(a))
        else {
            self.error(
                Diagnostic::error(
                    Code::ServiceNotTracked,
                    arg.span,
                    format!("the catalog does not say how to tell whether a customer uses `{}`", entry.id),
                )
                .with_help(format!(
                    "add `in_use: ATTRIBUTE` to service `{}` in catalog.yaml, naming a yes/no attribute",
                    entry.id
                )),
            );
            return None;
        };
        Some(TypedExpr {
            kind: TypedKind::Uses(slot),
            ty: Type::Bool,
            span: expr.span,
        })
    }

    fn binary(
        &mut self,
        expr: &Expr,
        op: BinaryOp,
        (lhs_expr, lhs): (&Expr, TypedExpr),
        (rhs_expr, rhs): (&Expr, TypedExpr),
    ) -> Option<TypedExpr> {
        let text = |r: &Self, e: &Expr| r.sources.slice(e.span).to_string();
        let result = match op {
            BinaryOp::And | BinaryOp::Or => {
                for (e, t) in [(lhs_expr, &lhs), (rhs_expr, &rhs)] {
                    if t.ty != Type::Bool {
                        let message = format!(
                            "`{}` needs yes/no values on both sides, but `{}` is {}",
                            op.symbol(),
                            text(self, e),
                            t.ty.describe()
                        );
                        self.mismatch(e, message);
                        return None;
                    }
                }
                Type::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                for (e, t) in [(lhs_expr, &lhs), (rhs_expr, &rhs)] {
                    if t.ty != Type::Number {
                        let message = format!(
                            "`{}` needs numbers on both sides, but `{}` is {}",
                            op.symbol(),
                            text(self, e),
                            t.ty.describe()
                        );
                        self.mismatch(e, message);
                        return None;
                    }
                }
                if matches!(op, BinaryOp::Div | BinaryOp::Rem) && rhs.kind == TypedKind::Number(0.0)
                {
                    self.error(
                        Diagnostic::error(
                            Code::DivisionByZero,
                            rhs_expr.span,
                            "this divides by zero",
                        )
                        .with_help("divide by a number other than 0"),
                    );
                    return None;
                }
                Type::Number
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                for (e, t) in [(lhs_expr, &lhs), (rhs_expr, &rhs)] {
                    if t.ty != Type::Number {
                        let help = if t.ty.is_textual() {
                            "texts and categories can only be compared with `==`, `!=` or `in`"
                        } else {
                            "only numbers can be compared with <, <=, > and >="
                        };
                        let message = format!(
                            "`{}` compares numbers, but `{}` is {}",
                            op.symbol(),
                            text(self, e),
                            t.ty.describe()
                        );
                        self.error(
                            Diagnostic::error(Code::TypeMismatch, e.span, message).with_help(help),
                        );
                        return None;
                    }
                }
                Type::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !compatible(&lhs.ty, &rhs.ty) {
                    let message = format!(
                        "`{}` is {} but `{}` is {}, so they cannot be compared",
                        text(self, lhs_expr),
                        lhs.ty.describe(),
                        text(self, rhs_expr),
                        rhs.ty.describe()
                    );
                    let help = match (lhs.ty == Type::Bool, rhs.ty == Type::Bool) {
                        (true, false) => yes_no_help(
                            &text(self, lhs_expr),
                            &text(self, rhs_expr),
                            op == BinaryOp::Ne,
                        ),
                        (false, true) => yes_no_help(
                            &text(self, rhs_expr),
                            &text(self, lhs_expr),
                            op == BinaryOp::Ne,
                        ),
                        _ => "compare values of the same kind".to_string(),
                    };
                    self.error(
                        Diagnostic::error(Code::TypeMismatch, expr.span, message).with_help(help),
                    );
                    return None;
                }
                self.check_category_literal(&lhs.ty, &rhs, rhs_expr)?;
                self.check_category_literal(&rhs.ty, &lhs, lhs_expr)?;
                Type::Bool
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let Type::List(element) = &rhs.ty else {
                    self.mismatch(
                        rhs_expr,
                        format!(
                            "`{}` needs a list such as [\"a\", \"b\"] on its right",
                            op.symbol()
                        ),
                    );
                    return None;
                };
                let TypedKind::List(items) = &rhs.kind else {
                    return None;
                };
                if !items.is_empty() && !compatible(&lhs.ty, element) {
                    let message = format!(
                        "`{}` is {}, but the list holds {}s",
                        text(self, lhs_expr),
                        lhs.ty.describe(),
                        element.describe().trim_start_matches("a ")
                    );
                    self.mismatch(expr, message);
                    return None;
                }
                let ast_items = match &rhs_expr.kind {
                    ExprKind::List(items) => items.as_slice(),
                    _ => &[],
                };
                for (item, item_expr) in items.iter().zip(ast_items) {
                    self.check_category_literal(&lhs.ty, item, item_expr)?;
                }
                Type::Bool
            }
        };
        Some(TypedExpr {
            kind: TypedKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            ty: result,
            span: expr.span,
        })
    }

    /// A text literal compared with a category must be one of its values.
    fn check_category_literal(&mut self, ty: &Type, other: &TypedExpr, at: &Expr) -> Option<()> {
        let (Type::Category(slot), TypedKind::Text(symbol)) = (ty, &other.kind) else {
            return Some(());
        };
        let field = self.schema.field(*slot)?;
        let FieldKind::Category { values } = &field.kind else {
            return Some(());
        };
        if values.contains(symbol) {
            return Some(());
        }
        let names: Vec<&str> = values
            .iter()
            .filter_map(|v| self.schema.symbols.text(*v))
            .collect();
        let wanted = self.schema.symbols.text(*symbol).unwrap_or("");
        let help = did_you_mean(wanted, names.iter().copied())
            .map(|h| h.replace('`', "\""))
            .unwrap_or_else(|| format!("the values are: {}", quoted(&names)));
        let message = format!("`{}` has no value \"{wanted}\"", field.name);
        self.error(Diagnostic::error(Code::UnknownCategoryValue, at.span, message).with_help(help));
        None
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether two types can be compared with `==`.
fn compatible(a: &Type, b: &Type) -> bool {
    a == b || (a.is_textual() && b.is_textual())
}

/// The help for a yes/no attribute compared with a text or number, naming the
/// attribute: `streaming_tv == "Yes"` is written `streaming_tv`.
fn yes_no_help(condition: &str, other: &str, negated: bool) -> String {
    let value = other.trim_matches('"').trim().to_lowercase();
    let yes = ["yes", "true", "y", "1", "是"].contains(&value.as_str());
    let no = ["no", "false", "n", "0", "否"].contains(&value.as_str());
    let write = match (yes || no, yes != negated) {
        (true, true) => format!("`{condition}`"),
        (true, false) => format!("`not {condition}`"),
        (false, _) => format!("`{condition}` or `not {condition}`"),
    };
    format!("a yes/no attribute is a condition by itself: write {write}")
}
