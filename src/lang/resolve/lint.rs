//! Warnings about a package that checks clean but probably does not do what
//! its author meant: unused segments and profiles, segments nobody can be in,
//! rules that can never fire or are always overridden.

use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::{SourceMap, Span};
use crate::lang::ir::{CheckedPackage, Gain, SegmentId, TypedExpr, TypedKind};
use crate::lang::syntax::ast::{ActionKind, BinaryOp, UnaryOp};
use crate::package::catalog::Catalog;
use crate::package::schema::{Slot, Symbol};
use std::collections::HashMap;

pub(super) fn lint(
    package: &CheckedPackage,
    catalog: &Catalog,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ancestors = ancestors(package);
    unused(package, &ancestors, &mut out);
    contradictions(package, &ancestors, sources, &mut out);
    shadowed(package, catalog, &ancestors, &mut out);
    out
}

/// `ancestors[s]` lists every segment a member of `s` must also be in (not `s` itself).
fn ancestors(package: &CheckedPackage) -> Vec<Vec<SegmentId>> {
    let mut result: Vec<Vec<SegmentId>> = vec![Vec::new(); package.segments.len()];
    for &id in &package.graph.order {
        let mut set: Vec<SegmentId> = Vec::new();
        for &parent in package
            .segments
            .get(id.index())
            .map_or(&[][..], |s| &s.parents)
        {
            set.push(parent);
            set.extend(result.get(parent.index()).map_or(&[][..], |a| a.as_slice()));
        }
        set.sort_unstable();
        set.dedup();
        if let Some(slot) = result.get_mut(id.index()) {
            *slot = set;
        }
    }
    result
}

fn unused(package: &CheckedPackage, ancestors: &[Vec<SegmentId>], out: &mut Vec<Diagnostic>) {
    let mut used = vec![false; package.segments.len()];
    let mut profile_used = vec![false; package.profiles.len()];
    for rule in &package.rules {
        if let Some(u) = used.get_mut(rule.segment.index()) {
            *u = true;
        }
        for &a in ancestors
            .get(rule.segment.index())
            .map_or(&[][..], |a| a.as_slice())
        {
            if let Some(u) = used.get_mut(a.index()) {
                *u = true;
            }
        }
        if let Some(p) = rule.profile.and_then(|p| profile_used.get_mut(p.index())) {
            *p = true;
        }
    }
    for (segment, used) in package.segments.iter().zip(used) {
        if !used {
            out.push(
                Diagnostic::warning(
                    Code::UnusedSegment,
                    segment.name_span,
                    format!(
                        "no rule is for segment `{}` or any segment under it",
                        segment.name
                    ),
                )
                .with_help("write a rule `for` it, or remove it"),
            );
        }
    }
    for (profile, used) in package.profiles.iter().zip(profile_used) {
        if !used {
            out.push(
                Diagnostic::warning(
                    Code::UnusedProfile,
                    profile.span,
                    format!("no rule uses profile `{}`", profile.name),
                )
                .with_help("use it in a rule (`for SEGMENT, profile NAME`), or remove it"),
            );
        }
    }
}

/// What the conjuncts of a condition say about single attributes.
#[derive(Default)]
struct Facts {
    numbers: HashMap<Slot, Interval>,
    texts: HashMap<Slot, (Vec<Symbol>, Span)>,
    bools: HashMap<Slot, (bool, Span)>,
    /// A conjunct that is the constant `false`.
    never: Option<Span>,
    /// Two spans that cannot both hold.
    conflict: Option<(Span, Span)>,
}

#[derive(Clone, Copy)]
struct Interval {
    low: f64,
    low_closed: bool,
    low_span: Option<Span>,
    high: f64,
    high_closed: bool,
    high_span: Option<Span>,
}

impl Default for Interval {
    fn default() -> Self {
        Interval {
            low: f64::NEG_INFINITY,
            low_closed: false,
            low_span: None,
            high: f64::INFINITY,
            high_closed: false,
            high_span: None,
        }
    }
}

impl Facts {
    fn add(&mut self, expr: &TypedExpr) {
        if self.conflict.is_some() || self.never.is_some() {
            return;
        }
        match &expr.kind {
            TypedKind::Binary(BinaryOp::And, l, r) => {
                self.add(l);
                self.add(r);
            }
            TypedKind::Bool(false) => self.never = Some(expr.span),
            TypedKind::Slot(slot) => self.boolean(*slot, true, expr.span),
            TypedKind::Unary(UnaryOp::Not, inner) => {
                if let TypedKind::Slot(slot) = inner.kind {
                    self.boolean(slot, false, expr.span);
                }
            }
            TypedKind::Binary(op, l, r) => match (&l.kind, &r.kind) {
                (TypedKind::Slot(s), TypedKind::Number(k)) => self.number(*s, *op, *k, expr.span),
                (TypedKind::Number(k), TypedKind::Slot(s)) => {
                    if let Some(op) = flip(*op) {
                        self.number(*s, op, *k, expr.span);
                    }
                }
                (TypedKind::Slot(s), TypedKind::Text(t)) if *op == BinaryOp::Eq => {
                    self.text(*s, vec![*t], expr.span);
                }
                (TypedKind::Slot(s), TypedKind::List(items)) if *op == BinaryOp::In => {
                    let symbols: Option<Vec<Symbol>> = items
                        .iter()
                        .map(|i| match i.kind {
                            TypedKind::Text(t) => Some(t),
                            _ => None,
                        })
                        .collect();
                    if let Some(symbols) = symbols {
                        self.text(*s, symbols, expr.span);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn boolean(&mut self, slot: Slot, value: bool, span: Span) {
        match self.bools.get(&slot) {
            Some((v, first)) if *v != value => self.conflict = Some((*first, span)),
            _ => {
                self.bools.insert(slot, (value, span));
            }
        }
    }

    fn text(&mut self, slot: Slot, allowed: Vec<Symbol>, span: Span) {
        match self.texts.get_mut(&slot) {
            Some((current, first)) => {
                current.retain(|s| allowed.contains(s));
                if current.is_empty() {
                    self.conflict = Some((*first, span));
                }
            }
            None => {
                self.texts.insert(slot, (allowed, span));
            }
        }
    }

    fn number(&mut self, slot: Slot, op: BinaryOp, k: f64, span: Span) {
        let i = self.numbers.entry(slot).or_default();
        let (raise_low, lower_high) = match op {
            BinaryOp::Gt => (Some(false), None),
            BinaryOp::Ge => (Some(true), None),
            BinaryOp::Lt => (None, Some(false)),
            BinaryOp::Le => (None, Some(true)),
            BinaryOp::Eq => (Some(true), Some(true)),
            _ => (None, None),
        };
        if let Some(closed) = raise_low
            && (k > i.low || (k == i.low && !closed))
        {
            i.low = k;
            i.low_closed = closed;
            i.low_span = Some(span);
        }
        if let Some(closed) = lower_high
            && (k < i.high || (k == i.high && !closed))
        {
            i.high = k;
            i.high_closed = closed;
            i.high_span = Some(span);
        }
        let empty = i.low > i.high || (i.low == i.high && !(i.low_closed && i.high_closed));
        if empty && let (Some(a), Some(b)) = (i.low_span, i.high_span) {
            self.conflict = Some(if a <= b { (a, b) } else { (b, a) });
        }
    }
}

fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        BinaryOp::Eq => BinaryOp::Eq,
        _ => return None,
    })
}

fn contradictions(
    package: &CheckedPackage,
    ancestors: &[Vec<SegmentId>],
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let path_facts = |segment: SegmentId| {
        let mut facts = Facts::default();
        let own = std::iter::once(segment);
        let chain = ancestors
            .get(segment.index())
            .into_iter()
            .flatten()
            .copied();
        for id in chain.chain(own) {
            if let Some(when) = package
                .segments
                .get(id.index())
                .and_then(|s| s.when.as_ref())
            {
                facts.add(when);
            }
        }
        facts
    };
    let mut empty = vec![false; package.segments.len()];
    for (id, segment) in package.segments.iter().enumerate() {
        let facts = path_facts(SegmentId::new(id));
        if let Some(d) = explain_conflict(&facts, sources, segment.name_span, || {
            format!("segment `{}` can never contain anyone", segment.name)
        }) {
            if let Some(e) = empty.get_mut(id) {
                *e = true;
            }
            out.push(d.with_help(
                "rules for this segment will never fire; check the thresholds along its parents",
            ));
        }
    }
    // Rows of decision tables: the table analysis says which can never match.
    for rule in package.rules.iter().filter(|r| !r.from_table) {
        if empty.get(rule.segment.index()).copied().unwrap_or(false) {
            continue;
        }
        let mut facts = path_facts(rule.segment);
        if let Some(when) = &rule.when {
            facts.add(when);
        }
        if let Some(d) = explain_conflict(&facts, sources, rule.name_span, || {
            format!("rule `{}` can never fire", rule.name)
        }) {
            out.push(d.with_help("its condition contradicts its segment (or itself)"));
        }
    }
}

fn explain_conflict(
    facts: &Facts,
    sources: &SourceMap,
    at: Span,
    message: impl Fn() -> String,
) -> Option<Diagnostic> {
    if let Some(never) = facts.never {
        return Some(
            Diagnostic::warning(Code::NeverFires, at, message())
                .with_label(never, "this is always false"),
        );
    }
    let (a, b) = facts.conflict?;
    Some(
        Diagnostic::warning(Code::NeverFires, at, message())
            .with_label(a, "this")
            .with_label(b, "contradicts this")
            .with_note(format!(
                "`{}` and `{}` cannot both hold",
                sources.slice(a),
                sources.slice(b)
            )),
    )
}

fn shadowed(
    package: &CheckedPackage,
    catalog: &Catalog,
    ancestors: &[Vec<SegmentId>],
    out: &mut Vec<Diagnostic>,
) {
    let unconditional = |r: &crate::lang::ir::Rule| r.when.is_none() && r.profile.is_none();
    // Only unconditional rules can always win, so only they are candidates;
    // grouping them by service keeps this linear in the number of rules.
    let mut blockers: Vec<Vec<usize>> = vec![Vec::new(); catalog.services.len()];
    for (j, other) in package.rules.iter().enumerate() {
        if unconditional(other)
            && let Some(list) = blockers.get_mut(other.service.index())
        {
            list.push(j);
        }
    }
    for (i, rule) in package.rules.iter().enumerate() {
        if rule.action != ActionKind::Offer {
            continue;
        }
        let service = catalog
            .services
            .get(rule.service.index())
            .map_or("", |s| s.id.as_str());
        let path = ancestors
            .get(rule.segment.index())
            .map_or(&[][..], |a| a.as_slice());
        let candidates = blockers
            .get(rule.service.index())
            .map_or(&[][..], Vec::as_slice);
        let blocker = candidates
            .iter()
            .filter_map(|&j| Some((j, package.rules.get(j)?)))
            .find(|(j, other)| {
                *j != i
                    && match other.action {
                        ActionKind::Suppress => {
                            other.segment == rule.segment || path.contains(&other.segment)
                        }
                        ActionKind::Offer => {
                            other.segment == rule.segment
                                && (other.priority > rule.priority
                                    || (other.priority == rule.priority && *j < i))
                                && match &other.gain {
                                    Some(Gain::Default(_) | Gain::Derived) => true,
                                    Some(Gain::Expr(e)) => matches!(e.kind, TypedKind::Number(_)),
                                    None => false,
                                }
                        }
                    }
            });
        if let Some((_, other)) = blocker {
            let why = match other.action {
                ActionKind::Suppress => format!(
                    "rule `{}` always suppresses `{service}` for these customers",
                    other.name
                ),
                ActionKind::Offer => format!(
                    "rule `{}` offers `{service}` to the same segment without conditions and wins (priority, then file order)",
                    other.name
                ),
            };
            out.push(
                Diagnostic::warning(
                    Code::ShadowedRule,
                    rule.name_span,
                    format!("rule `{}` is always overridden", rule.name),
                )
                .with_label(other.name_span, why)
                .with_help("give the other rule a condition, or remove this one"),
            );
        }
    }
}
