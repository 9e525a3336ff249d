//! The reference evaluator: typed expressions evaluated plainly, values as
//! `Option<V>` (`None` is missing or unknown), and the "why not" of a failed
//! test (the failing part and the values it read).

use super::{Failure, SeenValue};
use crate::engine::Engine;
use crate::lang::ir::{Function, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{BinaryOp, UnaryOp};
use crate::package::customer::{Customer, Value};
use crate::package::schema::{FieldKind, Symbol};

/// A value during reference evaluation; `None` stands for missing/unknown.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum V {
    Num(f64),
    Bool(bool),
    Text(Symbol),
    List(Vec<V>),
}

pub(super) struct Reference<'a> {
    pub(super) engine: &'a Engine,
    pub(super) customer: &'a Customer,
    /// The derived gain of the service whose gain is being computed.
    pub(super) derived: Option<f64>,
    /// The first script that failed, and why.
    pub(super) script_failure: &'a std::cell::Cell<Option<(u32, String)>>,
}

impl Reference<'_> {
    fn text(&self, symbol: Symbol) -> &str {
        self.customer.text(self.engine.schema(), symbol)
    }

    pub(super) fn eval(&self, expr: &TypedExpr) -> Option<V> {
        match &expr.kind {
            TypedKind::Number(n) => Some(V::Num(*n)),
            TypedKind::Bool(b) => Some(V::Bool(*b)),
            TypedKind::Text(s) => Some(V::Text(*s)),
            TypedKind::List(items) => {
                Some(V::List(items.iter().filter_map(|i| self.eval(i)).collect()))
            }
            TypedKind::Derived => self.derived.map(V::Num),
            TypedKind::Slot(slot) | TypedKind::Uses(slot) => match self.customer.get(*slot) {
                Value::Missing => None,
                Value::Number(n) => Some(V::Num(n)),
                Value::Bool(b) => Some(V::Bool(b)),
                Value::Text(s) => Some(V::Text(s)),
            },
            TypedKind::Unary(UnaryOp::Not, e) => match self.eval(e)? {
                V::Bool(b) => Some(V::Bool(!b)),
                _ => None,
            },
            TypedKind::Unary(UnaryOp::Neg, e) => match self.eval(e)? {
                V::Num(n) => Some(V::Num(-n)),
                _ => None,
            },
            TypedKind::Binary(BinaryOp::And, a, b) => match (self.eval(a), self.eval(b)) {
                (Some(V::Bool(false)), _) | (_, Some(V::Bool(false))) => Some(V::Bool(false)),
                (Some(V::Bool(true)), Some(V::Bool(true))) => Some(V::Bool(true)),
                _ => None,
            },
            TypedKind::Binary(BinaryOp::Or, a, b) => match (self.eval(a), self.eval(b)) {
                (Some(V::Bool(true)), _) | (_, Some(V::Bool(true))) => Some(V::Bool(true)),
                (Some(V::Bool(false)), Some(V::Bool(false))) => Some(V::Bool(false)),
                _ => None,
            },
            TypedKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                binary(*op, a, b)
            }
            TypedKind::Call(f, args) => self.call(*f, args),
            TypedKind::Script(id) => self.script(*id),
        }
    }

    /// Runs a script as the fast evaluator does; a failure is kept for the
    /// explanation and the script's value is unknown.
    fn script(&self, id: u32) -> Option<V> {
        use crate::lang::script::Returns;
        let cx = crate::lang::script::ScriptInput {
            values: &self.customer.values,
            local_texts: &self.customer.local_texts,
            symbols: &self.engine.schema().symbols,
            derived: self.derived.unwrap_or(f64::NAN),
        };
        let scripts = &self.engine.checked().scripts;
        let result = match scripts.returns(id) {
            Some(Returns::Bool) => scripts.condition(id, &cx).map(V::Bool),
            Some(Returns::Number) => scripts.gain(id, &cx).map(V::Num),
            None => Err("unknown script".to_string()),
        };
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                let first = self.script_failure.take();
                self.script_failure.set(first.or(Some((id, message))));
                None
            }
        }
    }

    fn call(&self, f: Function, args: &[TypedExpr]) -> Option<V> {
        let num = |e: &TypedExpr| match self.eval(e) {
            Some(V::Num(n)) => Some(n),
            _ => None,
        };
        let text = |e: &TypedExpr| match self.eval(e) {
            Some(V::Text(s)) => Some(self.text(s).to_string()),
            _ => None,
        };
        let arg = |i: usize| args.get(i);
        Some(match f {
            Function::Min | Function::Max => {
                let values: Vec<f64> = args.iter().map(num).collect::<Option<_>>()?;
                let first = *values.first()?;
                V::Num(values.iter().fold(first, |acc, &v| {
                    if f == Function::Min {
                        acc.min(v)
                    } else {
                        acc.max(v)
                    }
                }))
            }
            Function::Clamp => V::Num(num(arg(0)?)?.max(num(arg(1)?)?).min(num(arg(2)?)?)),
            Function::Abs => V::Num(num(arg(0)?)?.abs()),
            Function::Round => V::Num(num(arg(0)?)?.round()),
            Function::Present => V::Bool(self.eval(arg(0)?).is_some()),
            Function::ValueOr => {
                return self
                    .eval(arg(0)?)
                    .or_else(|| arg(1).and_then(|a| self.eval(a)));
            }
            Function::Len => V::Num(text(arg(0)?)?.chars().count() as f64),
            Function::StartsWith => V::Bool(text(arg(0)?)?.starts_with(&text(arg(1)?)?)),
            Function::EndsWith => V::Bool(text(arg(0)?)?.ends_with(&text(arg(1)?)?)),
            Function::Contains => V::Bool(text(arg(0)?)?.contains(&text(arg(1)?)?)),
        })
    }

    /// `Some(true)`, `Some(false)` or `None` (unknown); no condition means true.
    pub(super) fn test(&self, expr: Option<&TypedExpr>) -> Option<bool> {
        match expr {
            None => Some(true),
            Some(e) => match self.eval(e) {
                Some(V::Bool(b)) => Some(b),
                _ => None,
            },
        }
    }

    /// The innermost part of a failed test that decides it: the first conjunct
    /// of an `and` that is not true, followed down; anything else is reported whole.
    fn failing_part<'e>(&self, expr: &'e TypedExpr) -> &'e TypedExpr {
        match &expr.kind {
            TypedKind::Binary(BinaryOp::And, a, b) => {
                if self.eval(a) == Some(V::Bool(false)) || self.eval(b) == Some(V::Bool(true)) {
                    self.failing_part(a)
                } else {
                    self.failing_part(b)
                }
            }
            _ => expr,
        }
    }

    pub(super) fn failure(&self, expr: &TypedExpr) -> Failure {
        let part = self.failing_part(expr);
        let mut slots = Vec::new();
        collect_slots(part, &mut slots);
        let values = slots
            .into_iter()
            .filter_map(|slot| {
                let field = self.engine.schema().field(slot)?;
                let name = if matches!(field.kind, FieldKind::Preference) {
                    format!("pref.{}", field.name)
                } else {
                    field.name.clone()
                };
                Some(SeenValue {
                    name,
                    value: self.show(self.customer.get(slot)),
                })
            })
            .collect();
        // A table row's "no earlier row matched" is `not value_or(ROW, false)`
        // spanning that row's cells: name the row, not its cells.
        let earlier_row = match &part.kind {
            TypedKind::Unary(UnaryOp::Not, inner)
                if matches!(inner.kind, TypedKind::Call(Function::ValueOr, _)) =>
            {
                self.engine
                    .checked()
                    .rules
                    .iter()
                    .find(|r| r.from_table && r.when.as_ref().is_some_and(|w| w.span == part.span))
                    .map(|r| r.name.clone())
            }
            _ => None,
        };
        Failure {
            earlier_row,
            condition: self.engine.sources().slice(part.span).to_string(),
            result: if self.eval(part).is_none() {
                "unknown"
            } else {
                "false"
            }
            .to_string(),
            values,
        }
    }

    fn show(&self, value: Value) -> String {
        match value {
            Value::Missing => "missing".to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "yes" } else { "no" }.to_string(),
            Value::Text(s) => format!("\"{}\"", self.text(s)),
        }
    }
}

fn binary(op: BinaryOp, a: V, b: V) -> Option<V> {
    Some(match (op, a, b) {
        (BinaryOp::Add, V::Num(a), V::Num(b)) => V::Num(a + b),
        (BinaryOp::Sub, V::Num(a), V::Num(b)) => V::Num(a - b),
        (BinaryOp::Mul, V::Num(a), V::Num(b)) => V::Num(a * b),
        (BinaryOp::Div, V::Num(a), V::Num(b)) => V::Num(a / b),
        (BinaryOp::Rem, V::Num(a), V::Num(b)) => V::Num(a % b),
        (BinaryOp::In | BinaryOp::NotIn, V::Num(x), _) if x.is_nan() => return None,
        (BinaryOp::In, x, V::List(items)) => V::Bool(items.contains(&x)),
        (BinaryOp::NotIn, x, V::List(items)) => V::Bool(!items.contains(&x)),
        (op, V::Num(a), V::Num(b)) => {
            if a.is_nan() || b.is_nan() {
                return None;
            }
            V::Bool(match op {
                BinaryOp::Eq => a == b,
                BinaryOp::Ne => a != b,
                BinaryOp::Lt => a < b,
                BinaryOp::Le => a <= b,
                BinaryOp::Gt => a > b,
                _ => a >= b,
            })
        }
        (BinaryOp::Eq, a, b) => V::Bool(a == b),
        (BinaryOp::Ne, a, b) => V::Bool(a != b),
        _ => return None,
    })
}

fn collect_slots(expr: &TypedExpr, out: &mut Vec<u32>) {
    match &expr.kind {
        TypedKind::Slot(s) | TypedKind::Uses(s) => {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        TypedKind::List(items) | TypedKind::Call(_, items) => {
            items.iter().for_each(|i| collect_slots(i, out))
        }
        TypedKind::Unary(_, e) => collect_slots(e, out),
        TypedKind::Binary(_, a, b) => {
            collect_slots(a, out);
            collect_slots(b, out);
        }
        TypedKind::Number(_)
        | TypedKind::Text(_)
        | TypedKind::Bool(_)
        | TypedKind::Derived
        | TypedKind::Script(_) => {}
    }
}
