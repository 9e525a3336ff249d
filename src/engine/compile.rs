//! From the checked package to the immutable [`Engine`]: segments in
//! topological order with their rules laid out beside them.
//!
//! In: a [`CheckedPackage`] and its catalog. Out: segments laid out in
//! topological order with their rules attached, expressions in the compact
//! [`program`](crate::engine::program) form with constants folded.

use crate::base::diagnostic::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::lower::{cond, mentions_derived, num};
use crate::engine::program::{Cond, Num, Tri};
use crate::engine::{CompiledRule, CompiledSegment, Engine, ScriptOwner, SegmentRule, Winner};
use crate::lang::ir::{CheckedPackage, Gain, RuleId, SegmentId, TypedExpr, TypedKind};
use crate::lang::syntax::ast::ActionKind;
use crate::package::catalog::Catalog;
use crate::package::schema::Schema;

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
    model: Option<crate::model::Model>,
    schema: Schema,
    sources: SourceMap,
    checked: CheckedPackage,
    warnings: Vec<Diagnostic>,
    root: Option<std::path::PathBuf>,
) -> Engine {
    let mut position = vec![0u32; checked.segments.len()];
    for (pos, &id) in checked.graph.order.iter().enumerate() {
        if let Some(p) = position.get_mut(id.index()) {
            *p = crate::base::index::dense_u32(pos);
        }
    }
    let pos_of = |id: &SegmentId| position.get(id.index()).copied().unwrap_or(0);
    let mut rules_by_segment: Vec<Vec<RuleId>> = vec![Vec::new(); checked.segments.len()];
    for (i, rule) in checked.rules.iter().enumerate() {
        if let Some(list) = rules_by_segment.get_mut(rule.segment.index()) {
            list.push(RuleId::new(i));
        }
    }
    let segments: Vec<CompiledSegment> = checked
        .graph
        .order
        .iter()
        .map(|&id| {
            let segment = &checked.segments[id.index()];
            CompiledSegment {
                id,
                predicate: segment
                    .when
                    .as_ref()
                    .map_or(Cond::Const(Tri::True), |w| cond(w, &schema.symbols)),
                parents: segment.parents.iter().map(pos_of).collect(),
                child_words: words_of(checked.graph.children[id.index()].iter().map(pos_of)),
                tests: Box::default(),
                atoms: None,
            }
        })
        .collect();
    let roots = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.parents.is_empty())
        .map(|(pos, _)| crate::base::index::dense_u32(pos))
        .collect();
    let profiles: Vec<Cond> = checked
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
                    .get(rule.segment.index())
                    .copied()
                    .unwrap_or(0),
                rule.priority,
                std::cmp::Reverse(RuleId::new(i)),
            ),
        })
        .collect();
    let (segments, by_order) = lay_out_rules(segments, &rules, code, rules_by_segment, &profiles);
    let facts: Vec<crate::engine::rank::RuleFacts> = rules
        .iter()
        .map(|r| crate::engine::rank::RuleFacts {
            service: r.service.index(),
            priority: r.priority,
        })
        .collect();
    let ranking = crate::engine::rank::Ranking::new(&catalog, &facts);
    let compiled_model = model
        .as_ref()
        .map(|m| crate::engine::gain::CompiledModel::new(m, &catalog, &schema));
    let arbitration = crate::engine::arbitrate::Arbitration::new(&catalog, &schema);
    let script_owners = script_owners(&checked);
    let has_scripts = !script_owners.is_empty();
    let eager_profiles =
        profiles.len() <= EAGER_PROFILES && profiles.iter().all(crate::engine::atoms::pure);
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
        ranking,
        model,
        compiled_model,
        arbitration,
        positions: position,
        has_scripts,
        eager_profiles,
        script_owners,
    }
}

/// Positions as (word, bits) pairs of a bit set, one per word, in word order.
fn words_of(positions: impl Iterator<Item = u32>) -> Box<[(u32, u64)]> {
    let mut words: Vec<(u32, u64)> = Vec::new();
    for pos in positions {
        let (word, bit) = (pos / 64, 1u64 << (pos % 64));
        match words.iter_mut().find(|(w, _)| *w == word) {
            Some((_, bits)) => *bits |= bit,
            None => words.push((word, bit)),
        }
    }
    words.sort_unstable_by_key(|&(word, _)| word);
    words.into_boxed_slice()
}

/// Profiles a package may have for all of them to be tested for every
/// customer: the bundled package's four cost less tested up front than
/// looked up in the cache rule by rule.
const EAGER_PROFILES: usize = 8;

/// Gives each segment its rules' [`SegmentRule`]s, and returns the offer
/// rules by conflict order: the evaluator compares two offers with one
/// integer comparison and reads rules in the order it visits them.
fn lay_out_rules(
    mut segments: Vec<CompiledSegment>,
    rules: &[CompiledRule],
    code: Vec<RuleCode>,
    rules_by_segment: Vec<Vec<RuleId>>,
    profiles: &[Cond],
) -> (Vec<CompiledSegment>, Vec<Winner>) {
    let mut offers: Vec<RuleId> = (0..rules.len())
        .filter(|&i| rules[i].action == ActionKind::Offer)
        .map(RuleId::new)
        .collect();
    offers.sort_by_key(|&id| code[id.index()].rank);
    let mut order = vec![0u32; rules.len()];
    for (place, &id) in offers.iter().enumerate() {
        order[id.index()] = crate::base::index::dense_u32(place + 1);
    }
    // Each rule's condition goes to its segment and its gain to its place in
    // the conflict order: moved, not copied.
    let mut code: Vec<Option<RuleCode>> = code.into_iter().map(Some).collect();
    let mut gains: Vec<Option<(Num, bool, SegmentId)>> = vec![None; rules.len()];
    for segment in &mut segments {
        let ids = rules_by_segment
            .get(segment.id.index())
            .map_or(&[][..], Vec::as_slice);
        segment.tests = ids
            .iter()
            .filter_map(|&id| {
                let rule = rules.get(id.index())?;
                let RuleCode { when, gain, .. } = code.get_mut(id.index())?.take()?;
                gains[id.index()] = Some((gain, rule.uses_derived, segment.id));
                Some(SegmentRule {
                    id,
                    profile: rule.profile,
                    service: rule.service,
                    order: order[id.index()],
                    when,
                    atoms: None,
                })
            })
            .collect();
        share_atoms(segment, profiles);
    }
    // Every offer rule's gain was taken above, unless its segment is missing
    // from the graph, which a checked package never has.
    let by_order = offers
        .iter()
        .filter_map(|&id| {
            let (gain, uses_derived, segment) = gains[id.index()].take()?;
            Some(Winner {
                rule: id,
                segment,
                uses_derived,
                gain,
            })
        })
        .collect();
    (segments, by_order)
}

/// Gives a segment with many rules a table of their shared atoms.
fn share_atoms(segment: &mut CompiledSegment, profiles: &[Cond]) {
    let conditions: Vec<&Cond> = segment.tests.iter().map(|t| &t.when).collect();
    let asked: Vec<_> = segment
        .tests
        .iter()
        .map(|t| {
            let profile = t.profile?;
            let pure = profiles
                .get(profile.index())
                .is_some_and(crate::engine::atoms::pure);
            Some((profile, pure))
        })
        .collect();
    let Some((table, tests)) = crate::engine::atoms::AtomTable::build(&conditions, &asked) else {
        return;
    };
    for (rule, test) in segment.tests.iter_mut().zip(tests) {
        rule.atoms = test;
    }
    segment.atoms = Some(Box::new(table));
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
fn script_owners(checked: &CheckedPackage) -> Vec<ScriptOwner> {
    let mut owners: Vec<(u32, ScriptOwner)> = Vec::new();
    let mut found = Vec::new();
    let mut own = |expr: Option<&TypedExpr>, owner: (&'static str, &str, Option<RuleId>)| {
        found.clear();
        if let Some(e) = expr {
            scripts_in(e, &mut found);
        }
        for &id in &found {
            owners.push((id, (owner.0, owner.1.to_string(), owner.2)));
        }
    };
    for s in &checked.segments {
        own(s.when.as_ref(), ("segment", &s.name, None));
    }
    for p in &checked.profiles {
        own(p.when.as_ref(), ("profile", &p.name, None));
    }
    for (i, r) in checked.rules.iter().enumerate() {
        let id = Some(RuleId::new(i));
        own(r.when.as_ref(), ("rule", &r.name, id));
        if let Some(Gain::Expr(e)) = &r.gain {
            own(Some(e), ("rule", &r.name, id));
        }
    }
    owners.sort_by_key(|(id, _)| *id);
    owners.into_iter().map(|(_, owner)| owner).collect()
}
