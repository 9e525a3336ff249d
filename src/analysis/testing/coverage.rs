//! Coverage: what the cases exercised.
//!
//! In: the [`Engine`], then each evaluated case (its [`Evaluator`] state and
//! its [`Customer`]).
//! Out: a [`Coverage`]: for every rule how often it fired and made an offer,
//! for every segment how often it was entered, for every profile how often it
//! matched, and for every `when` condition and its `and`/`or` parts how often
//! it was seen true, false and unknown.

use crate::base::source::Span;
use crate::engine::eval::Evaluator;
use crate::engine::program::{Cond, Context, Tri};
use crate::engine::{Engine, lower};
use crate::lang::ir::{SegmentId, TypedExpr, TypedKind};
use crate::lang::syntax::ast::BinaryOp;
use crate::package::customer::Customer;
use serde::Serialize;

/// What the cases exercised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Cases evaluated (those that ran and had a valid customer).
    pub cases: usize,
    /// Every rule, in file order.
    pub rules: Vec<RuleCoverage>,
    /// Every segment, in declaration order.
    pub segments: Vec<SegmentCoverage>,
    /// Every profile, in declaration order.
    pub profiles: Vec<ProfileCoverage>,
    /// The four shares `vasrec test --min-coverage` holds a package to.
    pub summary: CoverageSummary,
}

/// Coverage as four shares, each "so many of so many": rules that fired,
/// segments entered, profiles matched, and condition parts seen both true
/// and false. A part is one test joined by `and`/`or` (a condition with one
/// test is one part); seeing it both ways is what shows that the test
/// decides something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoverageSummary {
    /// Rules (offer and suppress) that fired in at least one case.
    pub rules: Share,
    /// Segments at least one case was in.
    pub segments: Share,
    /// Profiles at least one case matched.
    pub profiles: Share,
    /// Condition parts of segments and rules seen true in one case and
    /// false in another.
    pub condition_parts: Share,
}

/// So many covered out of so many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Share {
    /// Covered.
    pub covered: usize,
    /// Out of.
    pub total: usize,
}

impl Share {
    /// The share in percent; nothing to cover counts as fully covered.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

impl CoverageSummary {
    fn of(
        rules: &[RuleCoverage],
        segments: &[SegmentCoverage],
        profiles: &[ProfileCoverage],
    ) -> Self {
        let share = |covered: usize, total: usize| Share { covered, total };
        let conditions = (segments.iter().map(|s| &s.condition))
            .chain(rules.iter().map(|r| &r.condition))
            .flatten();
        let (mut parts, mut decided) = (0, 0);
        for condition in conditions {
            let counts: Vec<Counts> = if condition.parts.is_empty() {
                vec![condition.counts]
            } else {
                condition.parts.iter().map(|p| p.counts).collect()
            };
            parts += counts.len();
            decided += counts
                .iter()
                .filter(|c| c.seen_true > 0 && c.seen_false > 0)
                .count();
        }
        CoverageSummary {
            rules: share(rules.iter().filter(|r| r.fired > 0).count(), rules.len()),
            segments: share(
                segments.iter().filter(|s| s.entered > 0).count(),
                segments.len(),
            ),
            profiles: share(
                profiles.iter().filter(|p| p.matched > 0).count(),
                profiles.len(),
            ),
            condition_parts: share(decided, parts),
        }
    }

    /// The four shares with their names, in the order reports list them.
    pub fn named(&self) -> [(&'static str, Share); 4] {
        [
            ("rules fired", self.rules),
            ("segments entered", self.segments),
            ("profiles matched", self.profiles),
            ("condition parts seen true and false", self.condition_parts),
        ]
    }

    /// The shares below `percent` (0 to 100), named; empty when all reach it.
    pub fn below(&self, percent: f64) -> Vec<(&'static str, Share)> {
        // covered/total < percent/100, without the rounding of a division.
        self.named()
            .into_iter()
            .filter(|(_, s)| (s.covered as f64) * 100.0 < percent * s.total as f64)
            .collect()
    }
}

/// How often a rule fired.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    /// Rule name.
    pub name: String,
    /// `file:line:col` of the rule.
    pub location: String,
    /// Offer (true) or suppress (false).
    pub offers: bool,
    /// Cases where its segment, profile and `when` held.
    pub fired: u32,
    /// Cases where one of its offers reached the final list.
    pub offered: u32,
    /// Its `when`, when it has one that depends on the customer.
    pub condition: Option<ConditionCoverage>,
}

/// How often a segment was entered.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentCoverage {
    /// Segment name.
    pub name: String,
    /// `file:line:col` of the segment.
    pub location: String,
    /// Cases that were in it.
    pub entered: u32,
    /// Its `when`, when it has one that depends on the customer.
    pub condition: Option<ConditionCoverage>,
}

/// How often a profile held.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileCoverage {
    /// Profile name.
    pub name: String,
    /// Cases whose preferences matched it.
    pub matched: u32,
}

/// A `when` condition, counted over the cases that reached it (for a rule:
/// its segment and profile held; for a segment: the customer was in every parent).
#[derive(Debug, Clone, Serialize)]
pub struct ConditionCoverage {
    /// The condition as written.
    pub text: String,
    /// `file:line:col`.
    pub location: String,
    /// How often it was true, false, unknown.
    #[serde(flatten)]
    pub counts: Counts,
    /// The tests joined by `and`/`or`, each counted on its own (empty when there is one).
    pub parts: Vec<PartCoverage>,
}

/// One test inside a condition.
#[derive(Debug, Clone, Serialize)]
pub struct PartCoverage {
    /// The test as written.
    pub text: String,
    /// `file:line:col`.
    pub location: String,
    /// How often it was true, false, unknown.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Times a condition was seen true, false, and unknown (a missing value).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Seen true.
    #[serde(rename = "true")]
    pub seen_true: u32,
    /// Seen false.
    #[serde(rename = "false")]
    pub seen_false: u32,
    /// Seen unknown.
    pub unknown: u32,
}

impl Counts {
    fn add(&mut self, t: Tri) {
        match t {
            Tri::True => self.seen_true += 1,
            Tri::False => self.seen_false += 1,
            Tri::Unknown => self.unknown += 1,
        }
    }

    /// Whether the condition was evaluated at all.
    pub(crate) fn reached(&self) -> bool {
        self.seen_true + self.seen_false + self.unknown > 0
    }
}

/// A condition compiled for counting: the whole, and its `and`/`or` parts.
struct Tracked {
    whole: Cond,
    parts: Vec<(Span, Cond)>,
    counts: Counts,
    part_counts: Vec<Counts>,
    span: Span,
}

impl Tracked {
    fn new(expr: Option<&TypedExpr>, engine: &Engine) -> Option<Tracked> {
        let expr = expr?;
        let symbols = &engine.schema().symbols;
        let whole = lower::cond(expr, symbols);
        if whole.is_const() {
            return None;
        }
        let mut leaves = Vec::new();
        collect_parts(expr, &mut leaves);
        let parts: Vec<(Span, Cond)> = if leaves.len() > 1 {
            leaves
                .into_iter()
                .map(|e| (e.span, lower::cond(e, symbols)))
                .filter(|(_, c)| !c.is_const())
                .collect()
        } else {
            Vec::new()
        };
        Some(Tracked {
            whole,
            part_counts: vec![Counts::default(); parts.len()],
            parts,
            counts: Counts::default(),
            span: expr.span,
        })
    }

    fn record(&mut self, cx: &Context<'_>) {
        self.counts.add(self.whole.eval(cx));
        for ((_, part), counts) in self.parts.iter().zip(&mut self.part_counts) {
            counts.add(part.eval(cx));
        }
    }

    fn finish(&self, engine: &Engine) -> ConditionCoverage {
        ConditionCoverage {
            text: snippet(engine, self.span),
            location: location(engine, self.span),
            counts: self.counts,
            parts: self
                .parts
                .iter()
                .zip(&self.part_counts)
                .map(|((span, _), counts)| PartCoverage {
                    text: snippet(engine, *span),
                    location: location(engine, *span),
                    counts: *counts,
                })
                .collect(),
        }
    }
}

fn collect_parts<'a>(expr: &'a TypedExpr, out: &mut Vec<&'a TypedExpr>) {
    match &expr.kind {
        TypedKind::Binary(BinaryOp::And | BinaryOp::Or, a, b) => {
            collect_parts(a, out);
            collect_parts(b, out);
        }
        _ => out.push(expr),
    }
}

fn snippet(engine: &Engine, span: Span) -> String {
    let Some(file) = engine.sources().get(span.file) else {
        return String::new();
    };
    let mut text = file.slice(span).to_string();
    // A span ends at its last operand: take in the closing parentheses it opened.
    let open = text.matches('(').count();
    let mut missing = open.saturating_sub(text.matches(')').count());
    let rest = file.text.get(span.end as usize..).unwrap_or("");
    for c in rest.chars() {
        if missing == 0 || !(c.is_whitespace() || c == ')') {
            break;
        }
        text.push(c);
        missing -= usize::from(c == ')');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn location(engine: &Engine, span: Span) -> String {
    engine
        .sources()
        .get(span.file)
        .map_or(String::new(), |f| f.place(span.start))
}

/// Counts what the cases exercised.
pub(super) struct Tracker<'e> {
    engine: &'e Engine,
    cases: usize,
    fired: Vec<u32>,
    offered: Vec<u32>,
    entered: Vec<u32>,
    matched: Vec<u32>,
    profiles: Vec<Option<Cond>>,
    rules: Vec<Option<Tracked>>,
    segments: Vec<Option<Tracked>>,
}

impl<'e> Tracker<'e> {
    pub(super) fn new(engine: &'e Engine) -> Self {
        let checked = &engine.checked();
        let symbols = &engine.schema().symbols;
        Tracker {
            engine,
            cases: 0,
            fired: vec![0; checked.rules.len()],
            offered: vec![0; checked.rules.len()],
            entered: vec![0; checked.segments.len()],
            matched: vec![0; checked.profiles.len()],
            profiles: (checked.profiles.iter())
                .map(|p| p.when.as_ref().map(|w| lower::cond(w, symbols)))
                .collect(),
            rules: (checked.rules.iter())
                .map(|r| Tracked::new(r.when.as_ref(), engine))
                .collect(),
            segments: (checked.segments.iter())
                .map(|s| Tracked::new(s.when.as_ref(), engine))
                .collect(),
        }
    }

    pub(super) fn record(&mut self, evaluator: &Evaluator<'_>, customer: &Customer) {
        let engine = self.engine;
        self.cases += 1;
        let scripts = crate::engine::program::ScriptRun::new(&engine.checked().scripts, None);
        let cx = Context {
            values: &customer.values,
            local_texts: &customer.local_texts,
            symbols: &engine.schema().symbols,
            derived: 0.0,
            scripts: Some(&scripts),
        };
        let mut member = vec![false; self.entered.len()];
        for &s in evaluator.memberships() {
            if let Some(m) = member.get_mut(s.index()) {
                *m = true;
            }
            if let Some(n) = self.entered.get_mut(s.index()) {
                *n += 1;
            }
        }
        let is_member = |s: SegmentId| member.get(s.index()).copied().unwrap_or(false);
        for (segment, tracked) in engine.checked().segments.iter().zip(&mut self.segments) {
            if let Some(tracked) = tracked
                && segment.parents.iter().all(|&p| is_member(p))
            {
                tracked.record(&cx);
            }
        }
        let held: Vec<bool> = self
            .profiles
            .iter()
            .map(|p| p.as_ref().is_none_or(|c| c.eval(&cx) == Tri::True))
            .collect();
        for (n, h) in self.matched.iter_mut().zip(&held) {
            *n += u32::from(*h);
        }
        for &r in evaluator.fired_rules() {
            if let Some(n) = self.fired.get_mut(r.index()) {
                *n += 1;
            }
        }
        for offer in evaluator.offers() {
            if let Some(n) = self.offered.get_mut(offer.rule.index()) {
                *n += 1;
            }
        }
        for (rule, tracked) in engine.checked().rules.iter().zip(&mut self.rules) {
            let profile_held = rule
                .profile
                .is_none_or(|p| held.get(p.index()).copied().unwrap_or(false));
            if let Some(tracked) = tracked
                && is_member(rule.segment)
                && profile_held
            {
                tracked.record(&cx);
            }
        }
    }

    pub(super) fn finish(self) -> Coverage {
        let engine = self.engine;
        let checked = &engine.checked();
        let mut coverage = Coverage {
            cases: self.cases,
            summary: CoverageSummary::default(),
            rules: engine
                .rule_ids()
                .zip(&checked.rules)
                .map(|(id, rule)| RuleCoverage {
                    name: rule.name.clone(),
                    location: engine.rule_location(id),
                    offers: engine.rule_offers(id),
                    fired: self.fired.get(id.index()).copied().unwrap_or(0),
                    offered: self.offered.get(id.index()).copied().unwrap_or(0),
                    condition: self
                        .rules
                        .get(id.index())
                        .and_then(Option::as_ref)
                        .map(|t| t.finish(engine)),
                })
                .collect(),
            segments: (0usize..)
                .zip(&checked.segments)
                .map(|(i, segment)| SegmentCoverage {
                    name: segment.name.clone(),
                    location: location(engine, segment.name_span),
                    entered: self.entered.get(i).copied().unwrap_or(0),
                    condition: self
                        .segments
                        .get(i)
                        .and_then(Option::as_ref)
                        .map(|t| t.finish(engine)),
                })
                .collect(),
            profiles: (checked.profiles.iter().zip(&self.matched))
                .map(|(p, &matched)| ProfileCoverage {
                    name: p.name.clone(),
                    matched,
                })
                .collect(),
        };
        coverage.summary =
            CoverageSummary::of(&coverage.rules, &coverage.segments, &coverage.profiles);
        coverage
    }
}
