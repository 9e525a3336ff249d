//! The atoms against the walk they replace: every rule of a segment with
//! shared atoms, on customers that sit on the thresholds, miss values or
//! hold a NaN, must hold under one exactly when it holds under the other.

use crate::engine::atoms::{AtomTable, RuleMatrix};
use crate::engine::program::{Context, Tri};
use crate::engine::{CompiledSegment, Engine};
use crate::package::customer::Value;

const CATALOG: &str = r#"
package: atoms
services:
  - { id: s, name: S, category: convenience, stage: in_sale, channel: online, participation: passive, default_gain: 1 }
customer:
  attributes:
    - { name: n, type: number }
    - { name: m, type: number }
    - { name: flag, type: bool }
    - { name: kind, type: category, values: [a, b, c] }
"#;

const CONDITIONS: [&str; 26] = [
    "n >= 3",
    "n > 3",
    "n <= 3",
    "n < 3",
    "n >= 3 and n < 6",
    "n > 3 and m <= 2",
    "n >= -0.0 and m > 0",
    "n == 3",
    "n != 3",
    "flag",
    "not flag",
    "kind == \"a\" and n >= 2",
    "kind in [\"a\", \"b\"]",
    "kind != \"c\"",
    "kind not in [\"a\"] and not flag",
    "present(m)",
    "m % 2 == 0",
    "(flag or n > 5) and m < 3",
    "not (n > 2 and flag)",
    "value_or(m, 1) >= 1",
    "n >= 3 or m < 2",
    "n < 2 or kind == \"b\" or flag",
    "n / m > 1",
    "script { m > 1 }",
    "true",
    "n >= 6 and m >= 3 and kind == \"c\" and flag",
];

fn engine(conditions: &[&str]) -> Engine {
    let mut rules = String::from("segment everyone { when true }\n");
    for (i, when) in conditions.iter().enumerate() {
        rules.push_str(&format!(
            "rule r{i} for everyone {{\n  when {when}\n  offer s\n}}\n"
        ));
    }
    match Engine::from_sources(CATALOG, &[("rules.vas", rules.as_str())]) {
        Ok(engine) => engine,
        Err(e) => panic!("{e}"),
    }
}

/// The conditions of [`CONDITIONS`] that `keep` keeps, in order.
fn conditions_where(keep: impl Fn(&str) -> bool) -> Vec<&'static str> {
    CONDITIONS.iter().copied().filter(|c| keep(c)).collect()
}

/// The first segment, its atom table and its rule matrix, which a segment of
/// script-free rules has.
fn first_matrix(engine: &Engine) -> (&CompiledSegment, &AtomTable, &RuleMatrix) {
    let segment = &engine.segments[0];
    let table = segment
        .atoms
        .as_deref()
        .expect("the rules share their atoms");
    let matrix = table
        .matrix
        .as_ref()
        .expect("script-free rules get a matrix");
    (segment, table, matrix)
}

/// A customer with the values given (None: left out).
fn customer_with(
    engine: &Engine,
    texts: &[(&str, Option<&str>)],
    flags: &[(&str, Option<bool>)],
) -> crate::package::customer::Customer {
    let mut builder = engine.customer();
    for &(name, text) in texts {
        if let Some(text) = text {
            builder = builder.set(name, text);
        }
    }
    for &(name, flag) in flags {
        if let Some(flag) = flag {
            builder = builder.set(name, flag);
        }
    }
    builder.build().expect("a customer")
}

/// The context a rule of `engine` is evaluated in for `customer`.
fn context<'a>(
    engine: &'a Engine,
    customer: &'a crate::package::customer::Customer,
) -> Context<'a> {
    Context {
        values: &customer.values,
        local_texts: &customer.local_texts,
        symbols: &engine.schema.symbols,
        derived: f64::NAN,
        scripts: None,
    }
}

/// Calls `check` with every customer of the grid: each value missing, on a
/// threshold, beside one, or NaN.
fn each_customer(engine: &Engine, mut check: impl FnMut(&Context<'_>, &str)) {
    let numbers = [
        None,
        Some(f64::NAN),
        Some(-0.0),
        Some(0.0),
        Some(1.0),
        Some(2.0),
        Some(3.0),
        Some(4.0),
        Some(6.0),
    ];
    for n in numbers {
        for m in numbers {
            for flag in [None, Some(true), Some(false)] {
                for kind in [None, Some("a"), Some("b"), Some("c")] {
                    let mut customer = customer_with(engine, &[("kind", kind)], &[("flag", flag)]);
                    // Set directly: the builder may refuse a NaN.
                    for (name, value) in [("n", n), ("m", m)] {
                        let slot = engine.schema.attribute(name).expect("a slot") as usize;
                        customer.values[slot] = value.map_or(Value::Missing, Value::Number);
                    }
                    let cx = context(engine, &customer);
                    check(&cx, &format!("n={n:?} m={m:?} flag={flag:?} kind={kind:?}"));
                }
            }
        }
    }
}

#[test]
fn shared_atoms_hold_exactly_when_the_walk_does() {
    let engine = engine(&CONDITIONS);
    let segment = &engine.segments[0];
    let table = segment
        .atoms
        .as_deref()
        .expect("26 rules share their atoms");
    let walked = segment.tests.iter().filter(|t| t.atoms.is_none()).count();
    assert_eq!(walked, 1, "only the rule with a script keeps the walk");
    assert!(table.matrix.is_none(), "a script keeps the rules in order");
    let (mut bits, mut met) = (vec![0; table.words], vec![0; table.groups()]);
    let (mut held, mut checked) = (0, 0);
    each_customer(&engine, |cx, customer| {
        table.evaluate(cx, &mut bits, &mut met);
        for rule in segment.tests.iter() {
            let Some(test) = rule.atoms else { continue };
            let walk = rule.when.eval_top(cx) == Tri::True;
            assert_eq!(
                table.holds(test, &bits),
                walk,
                "{} on {customer}",
                CONDITIONS[rule.id.index()]
            );
            held += usize::from(walk);
            checked += 1;
        }
    });
    // Both outcomes occur often: the comparison is not vacuous.
    assert!(
        held > checked / 10 && held < checked * 9 / 10,
        "{held} of {checked}"
    );
}

#[test]
fn the_rule_matrix_holds_exactly_when_the_walk_does() {
    let conditions = conditions_where(|c| !c.contains("script"));
    let engine = engine(&conditions);
    let (segment, table, matrix) = first_matrix(&engine);
    let (mut bits, mut met) = (vec![0; table.words], vec![0; table.groups()]);
    let mut rules = vec![0; matrix.rule_words];
    let mut held = 0;
    each_customer(&engine, |cx, customer| {
        table.evaluate(cx, &mut bits, &mut met);
        matrix.holding(table, &bits, &met, &mut rules);
        for (at, rule) in segment.tests.iter().enumerate() {
            let walk = rule.when.eval_top(cx) == Tri::True;
            let matrix = rules[at / 64] & (1 << (at % 64)) != 0;
            assert_eq!(matrix, walk, "{} on {customer}", conditions[at]);
            held += usize::from(walk);
        }
    });
    assert!(held > 1000, "{held}");
}

#[test]
fn small_segments_keep_the_walk() {
    let rules =
        "segment everyone { when true }\nrule r for everyone {\n  when n > 1\n  offer s\n}\n";
    let engine = Engine::from_sources(CATALOG, &[("rules.vas", rules)]).expect("compiles");
    assert!(engine.segments.iter().all(|s| s.atoms.is_none()));
}

/// Atoms settled by which value an attribute holds (`flag`, `kind == "a"`,
/// `note in [...]`), split into groups of at most 64 on one attribute, on
/// texts the package names and texts it does not.
#[test]
fn cases_hold_exactly_when_the_walk_does() {
    let catalog = format!(
        "{CATALOG}    - {{ name: note, type: text }}\n    - {{ name: other, type: bool }}\n"
    );
    let mut conditions: Vec<String> = (0..70)
        .map(|i| format!("note == \"t{i}\" and flag"))
        .collect();
    conditions.extend(
        [
            "note != \"t3\"",
            "note in [\"t1\", \"t2\", \"zz\"]",
            "note not in [\"t1\"] and kind == \"b\"",
            "present(note) and not flag",
            "present(flag) or kind != \"a\"",
            "kind in [\"a\", \"c\"] and other",
            "not other and note == \"t69\"",
            "kind == \"b\" or note == \"t0\"",
        ]
        .map(String::from),
    );
    let mut rules = String::from("segment everyone { when true }\n");
    for (i, when) in conditions.iter().enumerate() {
        rules.push_str(&format!(
            "rule r{i} for everyone {{\n  when {when}\n  offer s\n}}\n"
        ));
    }
    let engine = match Engine::from_sources(&catalog, &[("rules.vas", rules.as_str())]) {
        Ok(engine) => engine,
        Err(e) => panic!("{e}"),
    };
    let segment = &engine.segments[0];
    let table = segment
        .atoms
        .as_deref()
        .expect("78 rules share their atoms");
    assert!(
        table.cases.len() >= 3,
        "note's 70+ atoms make two groups, flag and kind more"
    );
    let matrix = table
        .matrix
        .as_ref()
        .expect("script-free rules get a matrix");
    let (mut bits, mut met) = (vec![0; table.words], vec![0; table.groups()]);
    let mut rules = vec![0; matrix.rule_words];
    let (mut held, mut checked) = (0, 0);
    let notes = [
        None,
        Some("t0"),
        Some("t1"),
        Some("t3"),
        Some("t63"),
        Some("t64"),
        Some("t69"),
        Some("zz"),
        Some("unknown to the package"),
    ];
    for note in notes {
        for flag in [None, Some(true), Some(false)] {
            for other in [None, Some(true), Some(false)] {
                for kind in [None, Some("a"), Some("b"), Some("c")] {
                    let customer = customer_with(
                        &engine,
                        &[("note", note), ("kind", kind)],
                        &[("flag", flag), ("other", other)],
                    );
                    let cx = context(&engine, &customer);
                    table.evaluate(&cx, &mut bits, &mut met);
                    matrix.holding(table, &bits, &met, &mut rules);
                    for (at, rule) in segment.tests.iter().enumerate() {
                        let walk = rule.when.eval_top(&cx) == Tri::True;
                        let test = rule.atoms.expect("every rule reads the atoms");
                        let name = &conditions[at];
                        let on =
                            format!("note={note:?} flag={flag:?} other={other:?} kind={kind:?}");
                        assert_eq!(table.holds(test, &bits), walk, "{name} on {on}");
                        assert_eq!(
                            rules[at / 64] & (1 << (at % 64)) != 0,
                            walk,
                            "matrix: {name} on {on}"
                        );
                        held += usize::from(walk);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(held > 500 && held < checked / 2, "{held} of {checked}");
}

/// Conjunctions only, at most 64 rules: the matrix reads its sets straight
/// from the groups' counts and cases ([`AtomTable::holding_direct`]), with
/// no atom bits, and must still hold exactly when the walk does.
///
/// [`AtomTable::holding_direct`]: crate::engine::atoms::AtomTable::holding_direct
#[test]
fn the_direct_matrix_holds_exactly_when_the_walk_does() {
    let conditions =
        conditions_where(|c| !c.contains("script") && !c.contains(" or ") && !c.contains("not ("));
    let engine = engine(&conditions);
    let (segment, table, matrix) = first_matrix(&engine);
    assert!(matrix.direct, "no disjunction, one word of rules");
    let mut held = 0;
    each_customer(&engine, |cx, customer| {
        let rules = table.holding_direct(matrix, cx);
        for (at, rule) in segment.tests.iter().enumerate() {
            let walk = rule.when.eval_top(cx) == Tri::True;
            assert_eq!(
                rules & (1 << at) != 0,
                walk,
                "{} on {customer}",
                conditions[at]
            );
            held += usize::from(walk);
        }
        assert_eq!(
            rules >> segment.tests.len(),
            0,
            "no bits past the last rule"
        );
    });
    assert!(held > 1000, "{held}");
}

/// A disjunction needs the atom bits: such a segment keeps the two passes.
#[test]
fn disjunctions_keep_the_atom_bits() {
    let engine = engine(&CONDITIONS[..CONDITIONS.len() - 3]);
    let (_, _, matrix) = first_matrix(&engine);
    assert!(!matrix.direct);
}
