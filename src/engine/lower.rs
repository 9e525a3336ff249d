//! Lowering: checked, typed expressions to the compact `program` form the
//! evaluator runs, with constants folded and common shapes fused into one
//! node (an attribute against a constant, `k + m * x`, `value_or`).

use crate::engine::program::{ArithOp, CmpOp, Cond, Context, Num, Text, TextTest, Tri};
use crate::lang::ir::{Function, Type, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{BinaryOp, UnaryOp};
use crate::package::schema::SymbolTable;

fn empty_context(symbols: &SymbolTable) -> Context<'_> {
    static NO_TEXTS: std::sync::LazyLock<crate::package::customer::LocalTexts> =
        std::sync::LazyLock::new(crate::package::customer::LocalTexts::default);
    Context {
        values: &[],
        local_texts: &NO_TEXTS,
        symbols,
        derived: f64::NAN,
        scripts: None,
    }
}

/// Compiles a yes/no expression, folding what does not depend on the customer.
pub(crate) fn cond(expr: &TypedExpr, symbols: &SymbolTable) -> Cond {
    let compiled = cond_raw(expr, symbols);
    if !compiled.is_const() && !reads_customer(expr) {
        return Cond::Const(compiled.eval(&empty_context(symbols)));
    }
    specialize(compiled)
}

/// Fuses the commonest shapes into single nodes, so they cost one step, not a
/// walk down the tree. The differential test checks they mean the same.
fn specialize(cond: Cond) -> Cond {
    match cond {
        Cond::Not(inner) => match *inner {
            Cond::Slot(slot) => Cond::SlotFalse(slot),
            other => Cond::Not(Box::new(other)),
        },
        Cond::TextEq { sides, negate } => match *sides {
            (Text::Slot(slot), Text::Const(symbol)) | (Text::Const(symbol), Text::Slot(slot)) => {
                Cond::SlotTextEq {
                    slot,
                    symbol,
                    negate,
                }
            }
            sides => Cond::TextEq {
                sides: Box::new(sides),
                negate,
            },
        },
        Cond::TextIn {
            value_and_set,
            negate,
        } => match *value_and_set {
            (Text::Slot(slot), set) => Cond::SlotTextIn { slot, set, negate },
            value_and_set => Cond::TextIn {
                value_and_set: Box::new(value_and_set),
                negate,
            },
        },
        Cond::PresentNum(value) => match *value {
            Num::Slot(slot) => Cond::SlotPresent(slot),
            other => Cond::PresentNum(Box::new(other)),
        },
        Cond::PresentText(Text::Slot(slot)) => Cond::SlotPresent(slot),
        Cond::PresentBool(value) => match *value {
            Cond::Slot(slot) => Cond::SlotPresent(slot),
            other => Cond::PresentBool(Box::new(other)),
        },
        Cond::NumCmp(op, a, b) => match (*a, *b) {
            (Num::Arith(ArithOp::Rem, x, d), Num::Const(k)) => match (*x, *d) {
                (Num::Slot(slot), Num::Const(divisor)) => Cond::SlotRemCmp {
                    op,
                    slot,
                    divisor,
                    k,
                },
                (x, d) => Cond::NumCmpConst(
                    op,
                    Box::new(Num::Arith(ArithOp::Rem, Box::new(x), Box::new(d))),
                    k,
                ),
            },
            (Num::SlotOr(slot, default), Num::Const(k)) => Cond::SlotOrCmp {
                op,
                slot,
                default,
                k,
            },
            (a, Num::Const(k)) => Cond::NumCmpConst(op, Box::new(a), k),
            (Num::Slot(slot), b) => Cond::SlotCmpNum(op, slot, Box::new(b)),
            (a, b) => Cond::NumCmp(op, Box::new(a), Box::new(b)),
        },
        // `flag == false` is `not flag`, `flag == true` is `flag` (both
        // unknown when the flag is missing).
        Cond::BoolEq { lhs, rhs, negate } => match (*lhs, *rhs) {
            (Cond::Slot(slot), Cond::Const(k)) | (Cond::Const(k), Cond::Slot(slot))
                if k != Tri::Unknown =>
            {
                if (k == Tri::True) != negate {
                    Cond::Slot(slot)
                } else {
                    Cond::SlotFalse(slot)
                }
            }
            (lhs, rhs) => Cond::BoolEq {
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                negate,
            },
        },
        other => other,
    }
}

fn cond_raw(expr: &TypedExpr, symbols: &SymbolTable) -> Cond {
    match &expr.kind {
        TypedKind::Bool(b) => Cond::Const(if *b { Tri::True } else { Tri::False }),
        TypedKind::Slot(slot) | TypedKind::Uses(slot) => Cond::Slot(*slot),
        TypedKind::Derived => Cond::Const(Tri::Unknown),
        TypedKind::Script(id) => Cond::Script(*id),
        TypedKind::Unary(UnaryOp::Not, inner) => match cond(inner, symbols) {
            Cond::Const(t) => Cond::Const(match t {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            }),
            other => Cond::Not(Box::new(other)),
        },
        TypedKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs) => {
            let mut parts = Vec::new();
            flatten(*op, lhs, symbols, &mut parts);
            flatten(*op, rhs, symbols, &mut parts);
            let (absorbing, neutral) = if *op == BinaryOp::And {
                (Tri::False, Tri::True)
            } else {
                (Tri::True, Tri::False)
            };
            if parts.contains(&Cond::Const(absorbing)) {
                return Cond::Const(absorbing);
            }
            parts.retain(|p| *p != Cond::Const(neutral));
            match parts.len() {
                0 => Cond::Const(neutral),
                1 => parts.pop().unwrap_or(Cond::Const(neutral)),
                _ if *op == BinaryOp::And => Cond::And(parts.into()),
                _ => Cond::Or(parts.into()),
            }
        }
        TypedKind::Binary(op, lhs, rhs) => comparison(*op, lhs, rhs, symbols),
        TypedKind::Call(Function::Present, args) => match args.first() {
            Some(a) if a.ty == Type::Number => Cond::PresentNum(Box::new(num(a, symbols))),
            Some(a) if a.ty.is_textual() => Cond::PresentText(text(a)),
            Some(a) => Cond::PresentBool(Box::new(cond(a, symbols))),
            None => Cond::Const(Tri::Unknown),
        },
        TypedKind::Call(Function::ValueOr, args) if args.len() == 2 => Cond::ValueOr(
            Box::new(cond(&args[0], symbols)),
            Box::new(cond(&args[1], symbols)),
        ),
        TypedKind::Call(
            f @ (Function::StartsWith | Function::EndsWith | Function::Contains),
            args,
        ) if args.len() == 2 => {
            let test = match f {
                Function::StartsWith => TextTest::StartsWith,
                Function::EndsWith => TextTest::EndsWith,
                _ => TextTest::Contains,
            };
            Cond::TextTest(test, Box::new((text(&args[0]), text(&args[1]))))
        }
        _ => Cond::Const(Tri::Unknown),
    }
}

fn flatten(op: BinaryOp, expr: &TypedExpr, symbols: &SymbolTable, out: &mut Vec<Cond>) {
    match cond(expr, symbols) {
        Cond::And(parts) if op == BinaryOp::And => out.extend(parts.into_vec()),
        Cond::Or(parts) if op == BinaryOp::Or => out.extend(parts.into_vec()),
        other => out.push(other),
    }
}

fn cmp_op(op: BinaryOp) -> CmpOp {
    match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

fn mirrored(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        same => same,
    }
}

/// `attribute <op> k`, with an ordering operator in the node's kind.
fn slot_cmp(op: CmpOp, slot: crate::package::schema::Slot, k: f64) -> Cond {
    match op {
        _ if k.is_nan() => Cond::SlotCmp(op, slot, k),
        CmpOp::Ge => Cond::SlotAtLeast(slot, k),
        CmpOp::Gt => Cond::SlotAbove(slot, k),
        CmpOp::Le => Cond::SlotAtMost(slot, k),
        CmpOp::Lt => Cond::SlotBelow(slot, k),
        CmpOp::Eq | CmpOp::Ne => Cond::SlotCmp(op, slot, k),
    }
}

fn comparison(op: BinaryOp, lhs: &TypedExpr, rhs: &TypedExpr, symbols: &SymbolTable) -> Cond {
    let negate = matches!(op, BinaryOp::Ne | BinaryOp::NotIn);
    match op {
        BinaryOp::In | BinaryOp::NotIn => {
            let TypedKind::List(items) = &rhs.kind else {
                return Cond::Const(Tri::Unknown);
            };
            if lhs.ty == Type::Number {
                let set = items.iter().filter_map(|i| match i.kind {
                    TypedKind::Number(n) => Some(n),
                    _ => None,
                });
                Cond::NumIn {
                    value_and_set: Box::new((num(lhs, symbols), set.collect())),
                    negate,
                }
            } else if lhs.ty == Type::Bool {
                let mut parts = items.iter().map(|i| Cond::BoolEq {
                    lhs: Box::new(cond(lhs, symbols)),
                    rhs: Box::new(cond(i, symbols)),
                    negate: false,
                });
                let any = match (parts.next(), parts.next()) {
                    (None, _) => Cond::Const(Tri::False),
                    (Some(one), None) => one,
                    (Some(a), Some(b)) => Cond::Or([a, b].into_iter().chain(parts).collect()),
                };
                if negate {
                    Cond::Not(Box::new(any))
                } else {
                    any
                }
            } else {
                let set = items.iter().filter_map(|i| match i.kind {
                    TypedKind::Text(s) => Some(s),
                    _ => None,
                });
                Cond::TextIn {
                    value_and_set: Box::new((text(lhs), set.collect())),
                    negate,
                }
            }
        }
        _ if lhs.ty.is_textual() => Cond::TextEq {
            sides: Box::new((text(lhs), text(rhs))),
            negate,
        },
        _ if lhs.ty == Type::Bool => Cond::BoolEq {
            lhs: Box::new(cond(lhs, symbols)),
            rhs: Box::new(cond(rhs, symbols)),
            negate,
        },
        _ => {
            let op = cmp_op(op);
            match (num(lhs, symbols), num(rhs, symbols)) {
                (Num::Slot(s), Num::Const(k)) => slot_cmp(op, s, k),
                (Num::Const(k), Num::Slot(s)) => slot_cmp(mirrored(op), s, k),
                (a, b) => Cond::NumCmp(op, Box::new(a), Box::new(b)),
            }
        }
    }
}

/// Compiles a number expression, folding constants.
pub(crate) fn num(expr: &TypedExpr, symbols: &SymbolTable) -> Num {
    let compiled = num_raw(expr, symbols);
    if compiled.as_const().is_none() && !reads_customer(expr) {
        // A constant that folds to "missing" (NaN) stays as it was; evaluation reports it.
        if let Some(k) = compiled.eval(&empty_context(symbols)) {
            return Num::Const(k);
        }
    }
    fuse(compiled)
}

/// Rewrites the commonest shapes into single nodes ([`Num::SlotOr`],
/// [`Num::Affine`]), only where the result rounds exactly as the written
/// expression does: `k + x` is `k + 1 * x`, `k - m * x` is `k + (-m) * x`,
/// and `-0.0 + y` is `y` for every `y`. `a + b * (c + x)` is left nested, as
/// folding it would round differently.
fn fuse(n: Num) -> Num {
    /// `m * x` as (m, x), when `n` is a pure product (or a pure product node).
    fn product(n: Num) -> Result<(f64, Num), Num> {
        match n {
            Num::Affine { add, mul, x } if add.to_bits() == (-0.0f64).to_bits() => Ok((mul, *x)),
            other => Err(other),
        }
    }
    let affine = |add: f64, mul: f64, x: Num| Num::Affine {
        add,
        mul,
        x: Box::new(x),
    };
    match n {
        Num::ValueOr(x, default) => match (*x, *default) {
            (Num::Slot(slot), Num::Const(k)) => Num::SlotOr(slot, k),
            (x, default) => Num::ValueOr(Box::new(x), Box::new(default)),
        },
        Num::Neg(x) => match product(*x) {
            Ok((m, x)) => affine(-0.0, -m, x),
            Err(x) => affine(-0.0, -1.0, x),
        },
        Num::Arith(ArithOp::Mul, a, b) => match (*a, *b) {
            (Num::Const(m), x) | (x, Num::Const(m)) => affine(-0.0, m, x),
            (a, b) => Num::Arith(ArithOp::Mul, Box::new(a), Box::new(b)),
        },
        Num::Arith(ArithOp::Add, a, b) => match (*a, *b) {
            (Num::Const(k), x) | (x, Num::Const(k)) => match product(x) {
                Ok((m, x)) => affine(k, m, x),
                Err(x) => affine(k, 1.0, x),
            },
            (a, b) => Num::Arith(ArithOp::Add, Box::new(a), Box::new(b)),
        },
        Num::Arith(ArithOp::Sub, a, b) => match (*a, *b) {
            (Num::Const(k), x) => match product(x) {
                Ok((m, x)) => affine(k, -m, x),
                Err(x) => affine(k, -1.0, x),
            },
            (x, Num::Const(k)) => match product(x) {
                Ok((m, x)) => affine(-k, m, x),
                Err(x) => affine(-k, 1.0, x),
            },
            (a, b) => Num::Arith(ArithOp::Sub, Box::new(a), Box::new(b)),
        },
        other => other,
    }
}

fn num_raw(expr: &TypedExpr, symbols: &SymbolTable) -> Num {
    let all = |args: &[TypedExpr]| -> Box<[Num]> { args.iter().map(|a| num(a, symbols)).collect() };
    match &expr.kind {
        TypedKind::Number(n) => Num::Const(*n),
        TypedKind::Slot(slot) => Num::Slot(*slot),
        TypedKind::Derived => Num::Derived,
        TypedKind::Script(id) => Num::Script(*id),
        TypedKind::Unary(UnaryOp::Neg, inner) => Num::Neg(Box::new(num(inner, symbols))),
        TypedKind::Binary(op, lhs, rhs) => {
            let op = match op {
                BinaryOp::Add => ArithOp::Add,
                BinaryOp::Sub => ArithOp::Sub,
                BinaryOp::Mul => ArithOp::Mul,
                BinaryOp::Div => ArithOp::Div,
                _ => ArithOp::Rem,
            };
            Num::Arith(op, Box::new(num(lhs, symbols)), Box::new(num(rhs, symbols)))
        }
        TypedKind::Call(f, args) => match f {
            Function::Min => Num::Min(all(args)),
            Function::Max => Num::Max(all(args)),
            Function::Clamp if args.len() == 3 => Num::Clamp(Box::new([
                num(&args[0], symbols),
                num(&args[1], symbols),
                num(&args[2], symbols),
            ])),
            Function::Abs if args.len() == 1 => Num::Abs(Box::new(num(&args[0], symbols))),
            Function::Round if args.len() == 1 => Num::Round(Box::new(num(&args[0], symbols))),
            Function::ValueOr if args.len() == 2 => Num::ValueOr(
                Box::new(num(&args[0], symbols)),
                Box::new(num(&args[1], symbols)),
            ),
            Function::Len if args.len() == 1 => Num::Len(text(&args[0])),
            _ => Num::Const(f64::NAN),
        },
        _ => Num::Const(f64::NAN),
    }
}

fn text(expr: &TypedExpr) -> Text {
    match &expr.kind {
        TypedKind::Text(s) => Text::Const(*s),
        TypedKind::Slot(slot) => Text::Slot(*slot),
        TypedKind::Call(Function::ValueOr, args) if args.len() == 2 => {
            Text::ValueOr(Box::new((text(&args[0]), text(&args[1]))))
        }
        _ => Text::Slot(u32::MAX),
    }
}

pub(crate) fn mentions_derived(expr: &TypedExpr, scripts: &crate::lang::script::Scripts) -> bool {
    let inner = |e: &TypedExpr| mentions_derived(e, scripts);
    match &expr.kind {
        TypedKind::Derived => true,
        TypedKind::List(items) | TypedKind::Call(_, items) => items.iter().any(inner),
        TypedKind::Unary(_, e) => inner(e),
        TypedKind::Binary(_, a, b) => inner(a) || inner(b),
        TypedKind::Script(id) => scripts.reads_derived(*id),
        _ => false,
    }
}

/// Whether an expression reads any customer value.
fn reads_customer(expr: &TypedExpr) -> bool {
    match &expr.kind {
        TypedKind::Slot(_) | TypedKind::Uses(_) | TypedKind::Derived | TypedKind::Script(_) => true,
        TypedKind::Number(_) | TypedKind::Text(_) | TypedKind::Bool(_) => false,
        TypedKind::List(items) | TypedKind::Call(_, items) => items.iter().any(reads_customer),
        TypedKind::Unary(_, inner) => reads_customer(inner),
        TypedKind::Binary(_, a, b) => reads_customer(a) || reads_customer(b),
    }
}

#[cfg(test)]
mod tests {
    use super::{empty_context, fuse, specialize};
    use crate::engine::program::{ArithOp, CmpOp, Cond, Context, Num, Tri};
    use crate::package::customer::Value;
    use crate::package::schema::SymbolTable;

    fn arith(op: ArithOp, a: Num, b: Num) -> Num {
        Num::Arith(op, Box::new(a), Box::new(b))
    }

    /// Fusing never changes a result, not even the sign of a zero: every
    /// shape `fuse` rewrites, against the tree it came from, bit for bit.
    #[test]
    fn fused_gains_round_exactly_as_written() {
        use ArithOp::{Add, Mul, Sub};
        let x = || Num::Slot(0);
        let k = Num::Const;
        let or = || Num::ValueOr(Box::new(Num::Slot(0)), Box::new(Num::Const(-0.0)));
        let shapes = [
            arith(Add, k(2.5), arith(Mul, k(0.1), x())),
            arith(Add, arith(Mul, x(), k(0.1)), k(2.5)),
            arith(Add, x(), k(0.3)),
            arith(Add, k(-0.0), x()),
            arith(Sub, k(6.0), x()),
            arith(Sub, k(0.7), arith(Mul, k(3.0), x())),
            arith(Sub, arith(Mul, k(1.1), x()), k(0.2)),
            arith(Sub, x(), k(0.0)),
            arith(Mul, k(0.0), x()),
            arith(Mul, x(), k(-1.5)),
            arith(Add, k(2.5), arith(Mul, k(0.5), arith(Sub, k(6.0), x()))),
            arith(Add, k(1.0), arith(Mul, k(1.5), or())),
            Num::Neg(Box::new(x())),
            Num::Neg(Box::new(arith(Mul, k(3.0), x()))),
            or(),
        ];
        let symbols = SymbolTable::default();
        let inputs = [
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Number(0.1),
            Value::Number(-7.25),
            Value::Number(1e308),
            Value::Number(f64::INFINITY),
            Value::Number(3.0000000000000004),
            Value::Missing,
        ];
        let mut fused_any = 0;
        for shape in shapes {
            let fused = fuse(shape.clone());
            fused_any += usize::from(fused != shape);
            for input in inputs {
                let values = [input];
                let cx = Context {
                    values: &values,
                    ..empty_context(&symbols)
                };
                let (a, b) = (shape.eval(&cx), fused.eval(&cx));
                assert_eq!(
                    a.map(f64::to_bits),
                    b.map(f64::to_bits),
                    "{shape:?} on {input:?}: {a:?} vs fused {fused:?}: {b:?}"
                );
            }
        }
        assert_eq!(fused_any, 15, "every shape above is one fuse rewrites");
    }

    /// A shape `specialize` fuses into one node gives the result of the
    /// tree it came from, on every kind of value, missing included.
    #[test]
    fn specialized_conditions_mean_what_they_came_from() {
        let flag = || Box::new(Cond::Slot(0));
        let k = |t: Tri| Box::new(Cond::Const(t));
        let mut shapes = Vec::new();
        for negate in [false, true] {
            for t in [Tri::True, Tri::False, Tri::Unknown] {
                shapes.push(Cond::BoolEq {
                    lhs: flag(),
                    rhs: k(t),
                    negate,
                });
                shapes.push(Cond::BoolEq {
                    lhs: k(t),
                    rhs: flag(),
                    negate,
                });
            }
        }
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            for (default, k) in [(0.0, 0.0), (-0.0, 0.0), (1.5, 2.0), (f64::NAN, 1.0)] {
                shapes.push(Cond::NumCmp(
                    op,
                    Box::new(Num::SlotOr(0, default)),
                    Box::new(Num::Const(k)),
                ));
            }
        }
        for op in [CmpOp::Eq, CmpOp::Lt, CmpOp::Gt] {
            // `x <op> 1.1 * x / max(x, 1)` and `x <op> value_or(x, 2)`.
            let rhs = [
                Num::Arith(
                    ArithOp::Div,
                    Box::new(Num::Arith(
                        ArithOp::Mul,
                        Box::new(Num::Const(1.1)),
                        Box::new(Num::Slot(0)),
                    )),
                    Box::new(Num::Max(Box::new([Num::Slot(0), Num::Const(1.0)]))),
                ),
                Num::SlotOr(0, 2.0),
            ];
            for b in rhs {
                shapes.push(Cond::NumCmp(op, Box::new(Num::Slot(0)), Box::new(b)));
            }
        }
        let symbols = SymbolTable::default();
        let inputs = [
            Value::Bool(true),
            Value::Bool(false),
            Value::Missing,
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Number(2.0),
            Value::Number(f64::NAN),
            Value::Number(f64::NEG_INFINITY),
        ];
        let mut specialized = 0;
        for shape in shapes {
            let fused = specialize(shape.clone());
            specialized += usize::from(!matches!(fused, Cond::BoolEq { .. } | Cond::NumCmp(..)));
            for input in inputs {
                let values = [input];
                let cx = Context {
                    values: &values,
                    ..empty_context(&symbols)
                };
                assert_eq!(
                    shape.eval(&cx),
                    fused.eval(&cx),
                    "{shape:?} on {input:?}, specialized to {fused:?}"
                );
            }
        }
        assert_eq!(
            specialized,
            8 + 24 + 6,
            "all but the comparisons with unknown"
        );
    }
}
