//! Compiled expressions: the compact, typed form the evaluator runs.
//!
//! Each result type has its own node enum, so evaluation never checks types at
//! run time; names are slots, texts are symbols, constants are folded, and the
//! common `attribute <op> number` test is a single node.

use crate::lang::script::{Key, Lookup, Outcome, ScriptInput};
use crate::package::customer::Value;
use crate::package::schema::{Slot, Symbol, SymbolTable};

/// Three-valued truth: a test on a missing value is `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    True,
    Unknown,
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn negate_if(self, negate: bool) -> Tri {
        if negate { self.not() } else { self }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    #[inline]
    fn test(self, a: f64, b: f64) -> Tri {
        if a.is_nan() || b.is_nan() {
            return Tri::Unknown;
        }
        Tri::from_bool(match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextTest {
    StartsWith,
    EndsWith,
    Contains,
}

/// A yes/no expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Const(Tri),
    /// A bool attribute (also `uses(service)`).
    Slot(Slot),
    Not(Box<Cond>),
    And(Box<[Cond]>),
    Or(Box<[Cond]>),
    /// `attribute <op> constant`, the most common test, in one node.
    SlotCmp(CmpOp, Slot, f64),
    /// `attribute >= constant` (not NaN): the operator in the node's kind,
    /// so testing it takes one dispatch, not two. Likewise the three below.
    SlotAtLeast(Slot, f64),
    /// `attribute > constant`.
    SlotAbove(Slot, f64),
    /// `attribute <= constant`.
    SlotAtMost(Slot, f64),
    /// `attribute < constant`.
    SlotBelow(Slot, f64),
    /// `not flag`: a bool attribute that must be false.
    SlotFalse(Slot),
    /// `present(attribute)`.
    SlotPresent(Slot),
    /// `attribute % divisor <op> k`: the month before an anniversary, every
    /// third month.
    SlotRemCmp {
        op: CmpOp,
        slot: Slot,
        divisor: f64,
        k: f64,
    },
    /// `attribute <op> expression`, e.g. `monthly_charges > 1.1 *
    /// total_charges / max(tenure_months, 1)`: the attribute read where it
    /// is met, the expression through [`Num::eval`].
    SlotCmpNum(CmpOp, Slot, Box<Num>),
    /// `value_or(attribute, default) <op> k`.
    SlotOrCmp {
        op: CmpOp,
        slot: Slot,
        default: f64,
        k: f64,
    },
    /// `attribute == "text"` (or `!=`) on a text or category attribute.
    SlotTextEq {
        slot: Slot,
        symbol: Symbol,
        negate: bool,
    },
    /// `attribute in [...]` on a text or category attribute.
    SlotTextIn {
        slot: Slot,
        set: Box<[Symbol]>,
        negate: bool,
    },
    /// `number expression <op> constant`.
    NumCmpConst(CmpOp, Box<Num>, f64),
    /// A rhai script condition.
    Script(u32),
    NumCmp(CmpOp, Box<Num>, Box<Num>),
    // The rarer nodes keep their operands behind one box, so that a `Cond`
    // stays 24 bytes: conditions sit side by side in conjunctions and rule
    // records, and more of them share a cache line.
    /// `lhs == rhs` on texts (or `!=`).
    TextEq {
        sides: Box<(Text, Text)>,
        negate: bool,
    },
    /// `value in [...]` on a text expression.
    TextIn {
        value_and_set: Box<(Text, Box<[Symbol]>)>,
        negate: bool,
    },
    /// `value in [...]` on a number expression.
    NumIn {
        value_and_set: Box<(Num, Box<[f64]>)>,
        negate: bool,
    },
    BoolEq {
        lhs: Box<Cond>,
        rhs: Box<Cond>,
        negate: bool,
    },
    TextTest(TextTest, Box<(Text, Text)>),
    PresentNum(Box<Num>),
    PresentText(Text),
    PresentBool(Box<Cond>),
    ValueOr(Box<Cond>, Box<Cond>),
}

/// A number expression; `None` means missing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Num {
    Const(f64),
    Slot(Slot),
    Neg(Box<Num>),
    Arith(ArithOp, Box<Num>, Box<Num>),
    Min(Box<[Num]>),
    Max(Box<[Num]>),
    Clamp(Box<[Num; 3]>),
    Abs(Box<Num>),
    Round(Box<Num>),
    ValueOr(Box<Num>, Box<Num>),
    Len(Text),
    /// `value_or(attribute, constant)`.
    SlotOr(Slot, f64),
    /// `add + mul * x`, the shape of most gains (`2 + 1.5 * x`, `6 - x`,
    /// `0.5 * x`). Only forms that round exactly as written are folded into
    /// it; a pure product has `add` = -0.0, which adds nothing to any value.
    Affine {
        add: f64,
        mul: f64,
        x: Box<Num>,
    },
    /// The gain derived from the service's effects (set in the context).
    Derived,
    /// A rhai script gain.
    Script(u32),
}

/// A text expression, as a symbol.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Text {
    Const(Symbol),
    Slot(Slot),
    ValueOr(Box<(Text, Text)>),
}

/// What an expression can see while it runs: one customer.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub values: &'a [Value],
    /// The customer's own texts that are not package symbols.
    pub local_texts: &'a crate::package::customer::LocalTexts,
    pub symbols: &'a SymbolTable,
    /// The derived gain of the service whose gain is being computed.
    pub derived: f64,
    /// The package's scripts, when it has any.
    pub scripts: Option<&'a ScriptRun<'a>>,
}

/// Scripts while one customer is evaluated: results come from the
/// evaluator's cache when the inputs were seen before, and the first failure
/// is kept for the evaluator to turn into that customer's error.
pub(crate) struct ScriptRun<'a> {
    pub scripts: &'a crate::lang::script::Scripts,
    pub failure: std::cell::Cell<Option<(u32, String)>>,
    cache: Option<&'a std::cell::RefCell<crate::lang::script::ScriptCache>>,
}

impl<'a> ScriptRun<'a> {
    pub(crate) fn new(
        scripts: &'a crate::lang::script::Scripts,
        cache: Option<&'a std::cell::RefCell<crate::lang::script::ScriptCache>>,
    ) -> ScriptRun<'a> {
        ScriptRun {
            scripts,
            failure: std::cell::Cell::new(None),
            cache,
        }
    }

    fn fail(&self, id: u32, message: String) {
        let first = self.failure.take();
        self.failure.set(first.or(Some((id, message))));
    }

    /// The kept outcome of script `id` for these inputs, or the key to keep
    /// a run's outcome under.
    #[inline(always)]
    fn lookup(&self, id: u32, cx: &ScriptInput<'_>) -> Lookup {
        match self.cache.and_then(|c| c.try_borrow_mut().ok()) {
            Some(mut cache) => cache.lookup(self.scripts, id, cx),
            None => Lookup::Miss(None),
        }
    }

    /// Runs script `id` (nothing kept had its inputs) and keeps the outcome
    /// under `key`. Out of line and cold: a hit never sets up a run.
    #[cold]
    #[inline(never)]
    fn run(&self, id: u32, key: Option<Key>, run: impl FnOnce() -> Outcome) -> Outcome {
        let outcome = run();
        if let (Some(key), Some(mut cache)) =
            (key, self.cache.and_then(|c| c.try_borrow_mut().ok()))
        {
            cache.keep(self.scripts, id, key, &outcome);
        }
        outcome
    }

    // Kept out of line: inlined, the script machinery would make every
    // `Cond::eval` call pay for a larger stack frame.
    #[inline(never)]
    fn condition(&self, id: u32, cx: &Context<'_>) -> Tri {
        let cx = &cx.script_input();
        let outcome = match self.lookup(id, cx) {
            Lookup::Bool(b) => return Tri::from_bool(b),
            Lookup::Number(_) => return Tri::Unknown,
            Lookup::Miss(key) => self.run(id, key, || match self.scripts.condition(id, cx) {
                Ok(b) => Outcome::Bool(b),
                Err(message) => Outcome::Failed(message),
            }),
        };
        match outcome {
            Outcome::Bool(b) => Tri::from_bool(b),
            Outcome::Number(_) => Tri::Unknown,
            Outcome::Failed(message) => {
                self.fail(id, message);
                Tri::Unknown
            }
        }
    }

    #[inline(never)]
    fn gain(&self, id: u32, cx: &Context<'_>) -> Option<f64> {
        let cx = &cx.script_input();
        let outcome = match self.lookup(id, cx) {
            Lookup::Number(g) => return Some(g),
            Lookup::Bool(_) => return None,
            Lookup::Miss(key) => self.run(id, key, || match self.scripts.gain(id, cx) {
                Ok(g) => Outcome::Number(g),
                Err(message) => Outcome::Failed(message),
            }),
        };
        match outcome {
            Outcome::Number(g) => Some(g),
            Outcome::Bool(_) => None,
            Outcome::Failed(message) => {
                self.fail(id, message);
                None
            }
        }
    }
}

impl<'a> Context<'a> {
    /// The part of the context a script may read.
    fn script_input(&self) -> ScriptInput<'a> {
        ScriptInput {
            values: self.values,
            local_texts: self.local_texts,
            symbols: self.symbols,
            derived: self.derived,
        }
    }

    #[inline]
    fn value(&self, slot: Slot) -> Value {
        self.values
            .get(slot as usize)
            .copied()
            .unwrap_or(Value::Missing)
    }

    /// A comparison of a number attribute with a constant that is not NaN:
    /// unknown when the value is missing or NaN.
    #[inline(always)]
    fn number_test(&self, slot: Slot, holds: impl Fn(f64) -> bool) -> Tri {
        match self.value(slot) {
            Value::Number(n) if holds(n) => Tri::True,
            Value::Number(n) if !n.is_nan() => Tri::False,
            _ => Tri::Unknown,
        }
    }

    #[inline]
    fn number_or(&self, slot: Slot, default: f64) -> f64 {
        match self.value(slot) {
            Value::Number(n) => n,
            _ => default,
        }
    }

    fn text_of(&self, symbol: Symbol) -> &'a str {
        self.local_texts.resolve(self.symbols, symbol)
    }
}

impl Cond {
    /// A rule's, segment's or profile's whole condition: the leaves and a
    /// conjunction or disjunction of leaves (most conditions) without a call.
    /// The `and` / `or` loops repeat those of [`Cond::eval`] on purpose: as
    /// shared helpers they measured 2% slower on the bundled package.
    #[inline(always)]
    pub(crate) fn eval_top(&self, cx: &Context<'_>) -> Tri {
        match self {
            Cond::And(parts) => {
                let mut result = Tri::True;
                for part in parts.iter() {
                    match part.eval_fast(cx) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => result = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                result
            }
            Cond::Or(parts) => {
                let mut result = Tri::False;
                for part in parts.iter() {
                    match part.eval_fast(cx) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => result = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                result
            }
            leaf => leaf.eval_fast(cx),
        }
    }

    /// The commonest leaves evaluated where they are met, the rest through
    /// [`Cond::eval`]: a call costs more than a leaf test (the recursive
    /// `eval` saves and restores registers on every call).
    #[inline(always)]
    pub(crate) fn eval_fast(&self, cx: &Context<'_>) -> Tri {
        match self {
            Cond::Const(t) => *t,
            Cond::SlotCmp(op, slot, k) => match cx.value(*slot) {
                Value::Number(n) => op.test(n, *k),
                _ => Tri::Unknown,
            },
            Cond::SlotAtLeast(slot, k) => cx.number_test(*slot, |n| n >= *k),
            Cond::SlotAbove(slot, k) => cx.number_test(*slot, |n| n > *k),
            Cond::SlotAtMost(slot, k) => cx.number_test(*slot, |n| n <= *k),
            Cond::SlotBelow(slot, k) => cx.number_test(*slot, |n| n < *k),
            Cond::SlotFalse(slot) => match cx.value(*slot) {
                Value::Bool(b) => Tri::from_bool(!b),
                _ => Tri::Unknown,
            },
            Cond::SlotPresent(slot) => Tri::from_bool(cx.value(*slot) != Value::Missing),
            Cond::SlotTextIn { slot, set, negate } => match cx.value(*slot) {
                Value::Text(s) => Tri::from_bool(set.contains(&s)).negate_if(*negate),
                _ => Tri::Unknown,
            },
            Cond::SlotRemCmp {
                op,
                slot,
                divisor,
                k,
            } => match cx.value(*slot) {
                Value::Number(n) => op.test(remainder(n, *divisor), *k),
                _ => Tri::Unknown,
            },
            Cond::Slot(slot) => match cx.value(*slot) {
                Value::Bool(b) => Tri::from_bool(b),
                _ => Tri::Unknown,
            },
            Cond::SlotOrCmp {
                op,
                slot,
                default,
                k,
            } => op.test(cx.number_or(*slot, *default), *k),
            // The expression is evaluated even when the attribute is
            // missing, as `NumCmp` does: a script in it may fail.
            Cond::SlotCmpNum(op, slot, rhs) => match (cx.value(*slot), rhs.eval(cx)) {
                (Value::Number(a), Some(b)) => op.test(a, b),
                _ => Tri::Unknown,
            },
            Cond::SlotTextEq {
                slot,
                symbol,
                negate,
            } => match cx.value(*slot) {
                Value::Text(s) => Tri::from_bool(s == *symbol).negate_if(*negate),
                _ => Tri::Unknown,
            },
            _ => self.eval(cx),
        }
    }

    #[inline]
    pub(crate) fn eval(&self, cx: &Context<'_>) -> Tri {
        match self {
            // The leaves `eval_fast` tests itself.
            Cond::Const(_)
            | Cond::Slot(_)
            | Cond::SlotCmp(..)
            | Cond::SlotAtLeast(..)
            | Cond::SlotAbove(..)
            | Cond::SlotAtMost(..)
            | Cond::SlotBelow(..)
            | Cond::SlotFalse(_)
            | Cond::SlotPresent(_)
            | Cond::SlotTextIn { .. }
            | Cond::SlotRemCmp { .. }
            | Cond::SlotOrCmp { .. }
            | Cond::SlotCmpNum(..)
            | Cond::SlotTextEq { .. } => self.eval_fast(cx),
            Cond::Script(id) => cx
                .scripts
                .map_or(Tri::Unknown, |run| run.condition(*id, cx)),
            Cond::NumCmpConst(op, a, k) => match a.eval_fast(cx) {
                Some(a) => op.test(a, *k),
                None => Tri::Unknown,
            },
            Cond::Not(inner) => inner.eval_fast(cx).not(),
            Cond::And(parts) => {
                let mut result = Tri::True;
                for part in parts.iter() {
                    match part.eval_fast(cx) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => result = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                result
            }
            Cond::Or(parts) => {
                let mut result = Tri::False;
                for part in parts.iter() {
                    match part.eval_fast(cx) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => result = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                result
            }
            Cond::NumCmp(op, a, b) => match (a.eval_fast(cx), b.eval_fast(cx)) {
                (Some(a), Some(b)) => op.test(a, b),
                _ => Tri::Unknown,
            },
            Cond::TextEq { sides, negate } => match (sides.0.eval(cx), sides.1.eval(cx)) {
                (Some(a), Some(b)) => Tri::from_bool(a == b).negate_if(*negate),
                _ => Tri::Unknown,
            },
            Cond::TextIn {
                value_and_set,
                negate,
            } => match value_and_set.0.eval(cx) {
                Some(v) => Tri::from_bool(value_and_set.1.contains(&v)).negate_if(*negate),
                None => Tri::Unknown,
            },
            Cond::NumIn {
                value_and_set,
                negate,
            } => match value_and_set.0.eval_fast(cx) {
                Some(v) if !v.is_nan() => {
                    Tri::from_bool(value_and_set.1.contains(&v)).negate_if(*negate)
                }
                _ => Tri::Unknown,
            },
            Cond::BoolEq { lhs, rhs, negate } => match (lhs.eval(cx), rhs.eval(cx)) {
                (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
                (a, b) => Tri::from_bool(a == b).negate_if(*negate),
            },
            Cond::TextTest(test, sides) => match (sides.0.eval(cx), sides.1.eval(cx)) {
                (Some(a), Some(b)) => {
                    let (a, b) = (cx.text_of(a), cx.text_of(b));
                    Tri::from_bool(match test {
                        TextTest::StartsWith => a.starts_with(b),
                        TextTest::EndsWith => a.ends_with(b),
                        TextTest::Contains => a.contains(b),
                    })
                }
                _ => Tri::Unknown,
            },
            Cond::PresentNum(n) => Tri::from_bool(n.eval_fast(cx).is_some()),
            Cond::PresentText(t) => Tri::from_bool(t.eval(cx).is_some()),
            Cond::PresentBool(c) => Tri::from_bool(c.eval_fast(cx) != Tri::Unknown),
            Cond::ValueOr(a, b) => match a.eval_fast(cx) {
                Tri::Unknown => b.eval_fast(cx),
                known => known,
            },
        }
    }

    /// True when the expression reads nothing from the customer.
    pub(crate) fn is_const(&self) -> bool {
        matches!(self, Cond::Const(_))
    }
}

impl Num {
    /// Constants and values evaluated where they are met, the rest through
    /// [`Num::eval`] (see [`Cond::eval_fast`]).
    #[inline(always)]
    pub(crate) fn eval_fast(&self, cx: &Context<'_>) -> Option<f64> {
        match self {
            Num::Const(k) => Some(*k),
            Num::Slot(slot) => match cx.value(*slot) {
                Value::Number(n) => Some(n),
                _ => None,
            },
            Num::SlotOr(slot, default) => Some(cx.number_or(*slot, *default)),
            Num::Affine { add, mul, x } => {
                let x = match **x {
                    Num::Slot(slot) => match cx.value(slot) {
                        Value::Number(n) => n,
                        _ => return None,
                    },
                    Num::SlotOr(slot, default) => cx.number_or(slot, default),
                    ref x => x.eval(cx)?,
                };
                Some(add + mul * x)
            }
            _ => self.eval(cx),
        }
    }

    #[inline]
    pub(crate) fn eval(&self, cx: &Context<'_>) -> Option<f64> {
        match self {
            Num::Const(_) | Num::Slot(_) | Num::SlotOr(..) | Num::Affine { .. } => {
                self.eval_fast(cx)
            }
            Num::Neg(a) => a.eval_fast(cx).map(|a| -a),
            Num::Arith(op, a, b) => {
                let (a, b) = (a.eval_fast(cx)?, b.eval_fast(cx)?);
                Some(match op {
                    ArithOp::Add => a + b,
                    ArithOp::Sub => a - b,
                    ArithOp::Mul => a * b,
                    ArithOp::Div => a / b,
                    ArithOp::Rem => remainder(a, b),
                })
            }
            Num::Min(parts) => fold(parts, cx, f64::min),
            Num::Max(parts) => fold(parts, cx, f64::max),
            Num::Clamp(parts) => {
                let [x, lo, hi] = &**parts;
                let (x, lo, hi) = (x.eval_fast(cx)?, lo.eval_fast(cx)?, hi.eval_fast(cx)?);
                Some(x.max(lo).min(hi))
            }
            Num::Abs(a) => a.eval_fast(cx).map(f64::abs),
            Num::Round(a) => a.eval_fast(cx).map(f64::round),
            Num::ValueOr(a, b) => a.eval_fast(cx).or_else(|| b.eval_fast(cx)),
            Num::Len(t) => t.eval(cx).map(|s| cx.text_of(s).chars().count() as f64),
            Num::Derived => Some(cx.derived),
            Num::Script(id) => cx.scripts.and_then(|run| run.gain(*id, cx)),
        }
    }

    pub(crate) fn as_const(&self) -> Option<f64> {
        match self {
            Num::Const(k) => Some(*k),
            _ => None,
        }
    }
}

/// `a % b`; whole numbers (tenure % 12) take the integer path instead of
/// libm's fmod. Wholeness is tested by a round trip through i64, not by
/// `fract` (a libm call on the baseline x86-64 target).
#[inline]
fn remainder(a: f64, b: f64) -> f64 {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole number below is exact
    if a.abs() < EXACT && b.abs() < EXACT && b != 0.0 {
        let (ia, ib) = (a as i64, b as i64);
        if ia as f64 == a && ib as f64 == b {
            // A zero keeps the dividend's sign, as the float remainder does.
            return ((ia % ib) as f64).copysign(a);
        }
    }
    a % b
}

/// `min` / `max` over the parts. Generic over `f`, so that it compiles to
/// one `minsd` / `maxsd` per part instead of a call through a pointer.
#[inline(always)]
fn fold(parts: &[Num], cx: &Context<'_>, f: impl Fn(f64, f64) -> f64) -> Option<f64> {
    let mut acc: Option<f64> = None;
    for part in parts {
        let v = part.eval_fast(cx)?;
        acc = Some(acc.map_or(v, |a| f(a, v)));
    }
    acc
}

impl Text {
    #[inline]
    pub(crate) fn eval(&self, cx: &Context<'_>) -> Option<Symbol> {
        match self {
            Text::Const(s) => Some(*s),
            Text::Slot(slot) => match cx.value(*slot) {
                Value::Text(s) => Some(s),
                _ => None,
            },
            Text::ValueOr(pair) => pair.0.eval(cx).or_else(|| pair.1.eval(cx)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn remainder_matches_float_remainder() {
        for (a, b) in [
            (35.0, 12.0),
            (-35.0, 12.0),
            (35.0, -12.0),
            (7.5, 2.0),
            (0.0, 3.0),
            (5.0, 0.0),
            (-0.0, 4.0),
            (-24.0, 12.0),
            (24.0, -12.0),
        ] {
            let (ours, float) = (super::remainder(a, b), a % b);
            assert!(
                ours == float || (ours.is_nan() && float.is_nan()),
                "{a} % {b}: {ours} vs {float}"
            );
            assert_eq!(
                ours.is_sign_negative(),
                float.is_sign_negative(),
                "{a} % {b}"
            );
        }
    }
}
