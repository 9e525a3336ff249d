//! From the checked package to the immutable [`Engine`].
//!
//! In: a [`CheckedPackage`] and its catalog. Out: segments laid out in
//! topological order with their rules attached, expressions in the compact
//! [`program`](crate::program) form with constants folded.

use crate::catalog::{Catalog, Service};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    CheckedPackage, Function, Gain, RuleId, SegmentId, ServiceId, Type, TypedExpr, TypedKind,
};
use crate::program::{ArithOp, CmpOp, Cond, Context, Num, Text, TextTest, Tri};
use crate::schema::{Schema, SymbolTable};
use crate::source::SourceMap;
use crate::syntax::ast::{ActionKind, BinaryOp, UnaryOp};

/// A compiled rule package: immutable, shared freely between threads.
///
/// Build one with [`Engine::load`] or [`Engine::from_sources`], then evaluate
/// customers through [`Engine::evaluator`].
#[derive(Debug)]
pub struct Engine {
    pub(crate) catalog: Catalog,
    pub(crate) schema: Schema,
    pub(crate) sources: SourceMap,
    pub(crate) checked: CheckedPackage,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) root: Option<std::path::PathBuf>,
    /// Segments in topological order; a segment's position is its index here.
    pub(crate) segments: Vec<CompiledSegment>,
    /// Positions of segments without parents.
    pub(crate) roots: Vec<u32>,
    pub(crate) profiles: Vec<Cond>,
    pub(crate) rules: Vec<CompiledRule>,
    /// Offer rules by their place in the conflict order (index 0 unused).
    pub(crate) by_order: Vec<Winner>,
    /// The satisfaction model, when the catalog declares dimensions.
    pub(crate) model: Option<crate::model::Model>,
    pub(crate) compiled_model: Option<crate::model::gain::CompiledModel>,
    pub(crate) arbitration: crate::arbitrate::Arbitration,
    /// Each service's place in id order, for ranking ties.
    pub(crate) service_rank: Vec<u32>,
    /// Per segment id, its position in `segments`.
    pub(crate) positions: Vec<u32>,
    /// Whether any condition or gain is a script.
    pub(crate) has_scripts: bool,
    /// Per script: what it belongs to (`rule`, `segment`, `profile`), its
    /// name, and the rule id when it is a rule's.
    pub(crate) script_owners: Vec<(&'static str, String, RuleId)>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
};

#[derive(Debug)]
pub(crate) struct CompiledSegment {
    pub id: SegmentId,
    pub predicate: Cond,
    /// Positions of parents; only checked for segments with several.
    pub parents: Box<[u32]>,
    /// Positions of children.
    pub children: Box<[u32]>,
    /// Rules for this segment, in file order, as the evaluator reads them:
    /// side by side in memory.
    pub tests: Box<[SegmentRule]>,
}

/// What the evaluator needs of a rule while it visits the rule's segment,
/// kept small and next to the segment's other rules.
#[derive(Debug)]
pub(crate) struct SegmentRule {
    pub id: RuleId,
    /// The profile the rule asks for, or [`NO_PROFILE`].
    pub profile: u32,
    pub service: ServiceId,
    /// Place in the conflict order (higher wins), from 1; 0 for a suppression.
    pub order: u32,
    pub when: Cond,
}

pub(crate) const NO_PROFILE: u32 = u32::MAX;

impl SegmentRule {
    /// Whether the rule offers its service (it suppresses it otherwise).
    pub(crate) fn offers(&self) -> bool {
        self.order != 0
    }
}

/// What the evaluator needs of an offer rule once it has won its service:
/// one compact record, found by the rule's place in the conflict order.
#[derive(Debug)]
pub(crate) struct Winner {
    pub rule: RuleId,
    pub segment: SegmentId,
    /// Whether the gain reads `derived`.
    pub uses_derived: bool,
    pub gain: Num,
}

/// What is looked up by rule id after compiling (the funnel, ties between
/// offers); conditions and gains live in [`SegmentRule`] and [`Winner`].
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub profile: Option<u32>,
    pub action: ActionKind,
    pub service: ServiceId,
    pub priority: i64,
    /// Whether the gain reads `derived`, so it must be computed first.
    pub uses_derived: bool,
}

/// A rule's compiled condition and gain and its conflict order, until
/// [`lay_out_rules`] moves them to where the evaluator reads them.
struct RuleCode {
    when: Cond,
    gain: Num,
    /// Conflict order: deeper segment, then higher priority, then earlier rule.
    rank: (u32, i64, std::cmp::Reverse<RuleId>),
}

pub(crate) fn compile(
    catalog: Catalog,
    schema: Schema,
    sources: SourceMap,
    checked: CheckedPackage,
    warnings: Vec<Diagnostic>,
    root: Option<std::path::PathBuf>,
) -> Engine {
    let mut position = vec![0u32; checked.segments.len()];
    for (pos, &id) in checked.graph.order.iter().enumerate() {
        if let Some(p) = position.get_mut(id as usize) {
            *p = u32::try_from(pos).unwrap_or(u32::MAX);
        }
    }
    let pos_of = |id: &u32| position.get(*id as usize).copied().unwrap_or(0);
    let mut rules_by_segment: Vec<Vec<RuleId>> = vec![Vec::new(); checked.segments.len()];
    for (i, rule) in checked.rules.iter().enumerate() {
        if let Some(list) = rules_by_segment.get_mut(rule.segment as usize) {
            list.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    let segments: Vec<CompiledSegment> = checked
        .graph
        .order
        .iter()
        .map(|&id| {
            let segment = &checked.segments[id as usize];
            CompiledSegment {
                id,
                predicate: segment
                    .when
                    .as_ref()
                    .map_or(Cond::Const(Tri::True), |w| cond(w, &schema.symbols)),
                parents: segment.parents.iter().map(pos_of).collect(),
                children: checked.graph.children[id as usize]
                    .iter()
                    .map(pos_of)
                    .collect(),
                tests: Box::default(),
            }
        })
        .collect();
    let roots = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.parents.is_empty())
        .map(|(pos, _)| u32::try_from(pos).unwrap_or(u32::MAX))
        .collect();
    let profiles = checked
        .profiles
        .iter()
        .map(|p| {
            p.when
                .as_ref()
                .map_or(Cond::Const(Tri::True), |w| cond(w, &schema.symbols))
        })
        .collect();
    let rules: Vec<CompiledRule> = checked
        .rules
        .iter()
        .map(|rule| CompiledRule {
            profile: rule.profile,
            action: rule.action,
            service: rule.service,
            priority: rule.priority,
            uses_derived: match &rule.gain {
                Some(Gain::Derived) => true,
                Some(Gain::Expr(e)) => mentions_derived(e, &checked.scripts),
                _ => false,
            },
        })
        .collect();
    let code = checked
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| RuleCode {
            when: rule
                .when
                .as_ref()
                .map_or(Cond::Const(Tri::True), |w| cond(w, &schema.symbols)),
            gain: match &rule.gain {
                Some(Gain::Expr(e)) => num(e, &schema.symbols),
                Some(Gain::Default(g)) => Num::Const(*g),
                Some(Gain::Derived) => Num::Derived,
                None => Num::Const(0.0),
            },
            rank: (
                checked
                    .graph
                    .depth
                    .get(rule.segment as usize)
                    .copied()
                    .unwrap_or(0),
                rule.priority,
                std::cmp::Reverse(u32::try_from(i).unwrap_or(u32::MAX)),
            ),
        })
        .collect();
    let (segments, by_order) = lay_out_rules(segments, &rules, code, rules_by_segment);
    let service_rank = rank_services(&catalog.services);
    // The catalog was checked when it was parsed, so the model is sound here.
    let model = crate::model::Model::new(&catalog).ok().flatten();
    let compiled_model = model.as_ref().map(|m| m.compile(&catalog, &schema));
    let arbitration = crate::arbitrate::Arbitration::new(&catalog, &schema);
    let script_owners = script_owners(&checked);
    let has_scripts = !script_owners.is_empty();
    Engine {
        catalog,
        schema,
        sources,
        checked,
        warnings,
        root,
        segments,
        roots,
        profiles,
        rules,
        by_order,
        service_rank,
        model,
        compiled_model,
        arbitration,
        positions: position,
        has_scripts,
        script_owners,
    }
}

/// Gives each segment its rules' [`SegmentRule`]s, and returns the offer
/// rules by conflict order: the evaluator compares two offers with one
/// integer comparison and reads rules in the order it visits them.
fn lay_out_rules(
    mut segments: Vec<CompiledSegment>,
    rules: &[CompiledRule],
    code: Vec<RuleCode>,
    rules_by_segment: Vec<Vec<RuleId>>,
) -> (Vec<CompiledSegment>, Vec<Winner>) {
    let mut offers: Vec<RuleId> = (0..rules.len())
        .filter(|&i| rules[i].action == ActionKind::Offer)
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    offers.sort_by_key(|&id| code[id as usize].rank);
    let mut order = vec![0u32; rules.len()];
    for (place, &id) in offers.iter().enumerate() {
        order[id as usize] = u32::try_from(place + 1).unwrap_or(u32::MAX);
    }
    // Each rule's condition goes to its segment and its gain to its place in
    // the conflict order: moved, not copied.
    let mut code: Vec<Option<RuleCode>> = code.into_iter().map(Some).collect();
    let mut gains: Vec<Option<(Num, bool, SegmentId)>> = vec![None; rules.len()];
    for segment in &mut segments {
        let ids = rules_by_segment
            .get(segment.id as usize)
            .map_or(&[][..], Vec::as_slice);
        segment.tests = ids
            .iter()
            .filter_map(|&id| {
                let rule = rules.get(id as usize)?;
                let RuleCode { when, gain, .. } = code.get_mut(id as usize)?.take()?;
                gains[id as usize] = Some((gain, rule.uses_derived, segment.id));
                Some(SegmentRule {
                    id,
                    profile: rule.profile.unwrap_or(NO_PROFILE),
                    service: rule.service,
                    order: order[id as usize],
                    when,
                })
            })
            .collect();
    }
    let unused = Winner {
        rule: RuleId::MAX,
        segment: SegmentId::MAX,
        uses_derived: false,
        gain: Num::Const(f64::NAN),
    };
    let by_order = std::iter::once(unused)
        .chain(offers.iter().map(|&id| {
            let (gain, uses_derived, segment) =
                gains[id as usize]
                    .take()
                    .unwrap_or((Num::Const(f64::NAN), false, SegmentId::MAX));
            Winner {
                rule: id,
                segment,
                uses_derived,
                gain,
            }
        }))
        .collect();
    (segments, by_order)
}

/// Every script in an expression.
fn scripts_in(expr: &TypedExpr, out: &mut Vec<u32>) {
    match &expr.kind {
        TypedKind::Script(id) => out.push(*id),
        TypedKind::List(items) | TypedKind::Call(_, items) => {
            items.iter().for_each(|i| scripts_in(i, out));
        }
        TypedKind::Unary(_, inner) => scripts_in(inner, out),
        TypedKind::Binary(_, a, b) => {
            scripts_in(a, out);
            scripts_in(b, out);
        }
        _ => {}
    }
}

/// Who owns each script, for the errors it raises.
fn script_owners(checked: &CheckedPackage) -> Vec<(&'static str, String, RuleId)> {
    let mut owners: Vec<(u32, (&'static str, String, RuleId))> = Vec::new();
    let mut found = Vec::new();
    let mut own = |expr: Option<&TypedExpr>, owner: (&'static str, &str, RuleId)| {
        found.clear();
        if let Some(e) = expr {
            scripts_in(e, &mut found);
        }
        for &id in &found {
            owners.push((id, (owner.0, owner.1.to_string(), owner.2)));
        }
    };
    for s in &checked.segments {
        own(s.when.as_ref(), ("segment", &s.name, RuleId::MAX));
    }
    for p in &checked.profiles {
        own(p.when.as_ref(), ("profile", &p.name, RuleId::MAX));
    }
    for (i, r) in checked.rules.iter().enumerate() {
        let id = u32::try_from(i).unwrap_or(u32::MAX);
        own(r.when.as_ref(), ("rule", &r.name, id));
        if let Some(Gain::Expr(e)) = &r.gain {
            own(Some(e), ("rule", &r.name, id));
        }
    }
    owners.sort_by_key(|(id, _)| *id);
    owners.into_iter().map(|(_, owner)| owner).collect()
}

fn rank_services(services: &[Service]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..services.len()).collect();
    order.sort_by(|&a, &b| services[a].id.cmp(&services[b].id));
    let mut rank = vec![0u32; services.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = u32::try_from(r).unwrap_or(u32::MAX);
    }
    rank
}

fn empty_context(symbols: &SymbolTable) -> Context<'_> {
    static NO_TEXTS: std::sync::LazyLock<crate::customer::LocalTexts> =
        std::sync::LazyLock::new(crate::customer::LocalTexts::default);
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
            (a, Num::Const(k)) => Cond::NumCmpConst(op, Box::new(a), k),
            (a, b) => Cond::NumCmp(op, Box::new(a), Box::new(b)),
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
fn slot_cmp(op: CmpOp, slot: crate::schema::Slot, k: f64) -> Cond {
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

fn mentions_derived(expr: &TypedExpr, scripts: &crate::script::Scripts) -> bool {
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

impl Engine {
    /// The catalog the package was built from.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The satisfaction model (dimensions, weights, AHP figures), when declared.
    pub fn model(&self) -> Option<&crate::model::Model> {
        self.model.as_ref()
    }

    /// Warnings found while checking (unused segments, shadowed rules...).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The package's source files, for rendering diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The folder the package was loaded from, if any.
    pub fn root(&self) -> Option<&std::path::Path> {
        self.root.as_deref()
    }

    /// Number of segments, rules and profiles.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.checked.segments.len(),
            self.checked.rules.len(),
            self.checked.profiles.len(),
        )
    }

    /// A service by id.
    pub fn service(&self, id: ServiceId) -> Option<&Service> {
        self.catalog.services.get(id as usize)
    }

    /// A segment's name.
    pub fn segment_name(&self, id: SegmentId) -> &str {
        self.checked
            .segments
            .get(id as usize)
            .map_or("", |s| s.name.as_str())
    }

    /// A segment's display label, falling back to its name.
    pub fn segment_label(&self, id: SegmentId) -> &str {
        self.checked
            .segments
            .get(id as usize)
            .map_or("", |s| s.label.as_deref().unwrap_or(&s.name))
    }

    /// Segment names from a root down to `id`, following each first parent.
    pub fn segment_path(&self, id: SegmentId) -> Vec<&str> {
        let mut path = Vec::new();
        let mut current = Some(id);
        while let Some(c) = current {
            let Some(segment) = self.checked.segments.get(c as usize) else {
                break;
            };
            path.push(segment.name.as_str());
            current = segment.parents.first().copied();
            if path.len() > self.checked.segments.len() {
                break;
            }
        }
        path.reverse();
        path
    }

    /// Segment depth in the graph (0 for roots).
    pub fn segment_depth(&self, id: SegmentId) -> u32 {
        self.checked
            .graph
            .depth
            .get(id as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The error of a failed script, naming what it belongs to.
    pub(crate) fn script_error(&self, script: u32, message: String) -> crate::eval::EvalError {
        let (owner, name, rule) = self.script_owners.get(script as usize).cloned().unwrap_or((
            "rule",
            String::new(),
            RuleId::MAX,
        ));
        crate::eval::EvalError {
            rule,
            rule_name: name,
            kind: crate::eval::EvalErrorKind::Script { owner, message },
        }
    }

    /// The rules written for a segment, in file order.
    pub(crate) fn rules_for(&self, id: SegmentId) -> &[SegmentRule] {
        self.positions
            .get(id as usize)
            .and_then(|&pos| self.segments.get(pos as usize))
            .map_or(&[], |s| &s.tests)
    }

    /// A rule's name.
    pub fn rule_name(&self, id: RuleId) -> &str {
        self.checked
            .rules
            .get(id as usize)
            .map_or("", |r| r.name.as_str())
    }

    /// A rule's `because` text, if it has one.
    pub fn rule_reason(&self, id: RuleId) -> Option<&str> {
        self.checked
            .rules
            .get(id as usize)
            .and_then(|r| r.because.as_deref())
    }

    /// Whether a rule offers (true) or suppresses (false).
    pub fn rule_offers(&self, id: RuleId) -> bool {
        self.checked
            .rules
            .get(id as usize)
            .is_some_and(|r| r.action == ActionKind::Offer)
    }

    /// The segment a rule is for.
    pub fn rule_segment(&self, id: RuleId) -> SegmentId {
        self.checked.rules.get(id as usize).map_or(0, |r| r.segment)
    }

    /// The service a rule offers or suppresses.
    pub fn rule_service(&self, id: RuleId) -> ServiceId {
        self.checked.rules.get(id as usize).map_or(0, |r| r.service)
    }

    /// Where a rule was written, as `file:line:col`.
    pub fn rule_location(&self, id: RuleId) -> String {
        let Some(rule) = self.checked.rules.get(id as usize) else {
            return String::new();
        };
        self.sources
            .get(rule.name_span.file)
            .map_or(String::new(), |f| {
                let (line, col) = f.line_col(rule.name_span.start);
                format!("{}:{line}:{col}", f.name)
            })
    }
}

const _: () = assert!(
    size_of::<Cond>() <= 24,
    "a condition node fits in 24 bytes (box the operands of rare nodes)"
);

#[cfg(test)]
mod tests {
    use super::{empty_context, fuse};
    use crate::customer::Value;
    use crate::program::{ArithOp, Context, Num};
    use crate::schema::SymbolTable;

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
}
