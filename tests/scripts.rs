//! rhai scripts in rules: results, sandbox limits, read-only access, errors.

mod common;

use common::{TempDir, copy_rules, vasrec};
use vasrec::{Engine, EvalErrorKind};

const CATALOG: &str = r#"
package: scripts
max_offers: 3
services:
  - { id: support, name: 支持, category: technical_support, stage: after_sale, channel: omni, participation: passive, cost: 1, default_gain: 1, in_use: has_support }
  - { id: manager, name: 经理, category: personalization, stage: after_sale, channel: omni, participation: active, cost: 1 }
  - { id: callback, name: 回访, category: after_sales, stage: after_sale, channel: omni, participation: passive, cost: 1, default_gain: 1 }
customer:
  attributes:
    - { name: spend, type: number }
    - { name: tier, type: category, values: [gold, basic] }
    - { name: has_support, type: bool }
  preferences:
    - { name: speed }
"#;

fn engine(rules: &str) -> Engine {
    engine_with(CATALOG, rules)
}

fn engine_with(catalog: &str, rules: &str) -> Engine {
    match Engine::from_sources(catalog, &[("rules.vas", rules)]) {
        Ok(engine) => engine,
        Err(e) => panic!("package does not load:\n{e}"),
    }
}

fn customer(engine: &Engine, spend: f64) -> vasrec::Customer {
    engine
        .customer()
        .set("spend", spend)
        .set("tier", "gold")
        .set("has_support", true)
        .set("pref.speed", 0.8)
        .build()
        .unwrap()
}

/// The script error a customer's evaluation ends with.
fn script_error(engine: &Engine, spend: f64) -> (String, String) {
    match engine.evaluate(&customer(engine, spend)) {
        Err(e) => match e.kind {
            EvalErrorKind::Script { owner, message } => {
                (format!("{owner} {}", e.rule_name), message)
            }
            other => panic!("not a script error: {other:?}"),
        },
        Ok(offers) => panic!("expected a script error, got offers {offers:?}"),
    }
}

#[test]
fn a_script_condition_and_gain_decide_like_rule_expressions() {
    let engine = engine(
        r#"
segment everyone { when true }
rule tiered for everyone {
  when script {
    // a `}` in a comment and in a string do not end the block
    let note = "}";
    tier == "gold" && pref.speed > 0.5 && uses("support")
  }
  offer manager
  gain script {
    let tiers = [[10000, 4.0], [5000, 3.0], [0, 1.5]];
    for t in tiers { if spend >= t[0] { return t[1]; } }
    0.0
  }
}
rule inline for everyone { when script "spend > 100" offer callback }
"#,
    );
    for (spend, gain, callback) in [
        (12000.0, 4.0, true),
        (6000.0, 3.0, true),
        (50.0, 1.5, false),
    ] {
        let offers = engine.evaluate(&customer(&engine, spend)).unwrap();
        let manager = offers.iter().find(|o| o.service.index() == 1).unwrap();
        assert_eq!(manager.gain, gain, "spend {spend}");
        assert_eq!(offers.iter().any(|o| o.service.index() == 2), callback);
    }
}

#[test]
fn missing_values_are_unit() {
    let engine = engine(
        r#"
segment everyone { when true }
rule unknown_spend for everyone { when script { !present(spend) && value_or(spend, 7) == 7 } offer callback }
"#,
    );
    let c = engine.customer().set("tier", "basic").build().unwrap();
    assert_eq!(engine.evaluate(&c).unwrap().len(), 1);
}

#[test]
fn an_endless_loop_stops_at_the_operations_limit() {
    let engine = engine(
        "segment everyone { when true }\nrule forever for everyone { when script { loop { } } offer callback }",
    );
    let (owner, message) = script_error(&engine, 1.0);
    assert_eq!(owner, "rule forever");
    assert!(message.contains("scripts.max_operations"), "{message}");
    assert!(message.contains("rules.vas:2:"), "{message}");
}

#[test]
fn deep_recursion_stops_at_the_call_depth_limit() {
    let engine = engine(
        "segment everyone { when true }\nrule deep for everyone { when script { fn down(n) { down(n + 1) } down(0) > 0 } offer callback }",
    );
    let (_, message) = script_error(&engine, 1.0);
    assert!(message.contains("scripts.max_call_depth"), "{message}");
}

#[test]
fn huge_strings_arrays_and_maps_stop_at_their_limits() {
    for (what, body) in [
        ("string", r#"let s = "x"; loop { s += s; }"#),
        ("array", "let a = []; loop { a.push(1); }"),
        (
            "map",
            "let m = #{}; for i in 0..1000 { m[`k${i}`] = i; } m.len() > 1",
        ),
    ] {
        let rules = format!(
            "segment everyone {{ when true }}\nrule big for everyone {{ when script {{ {body} }} offer callback }}"
        );
        let (_, message) = script_error(&engine(&rules), 1.0);
        assert!(message.contains("too large a value"), "{what}: {message}");
    }
}

#[test]
fn limits_come_from_the_catalog() {
    let rules = "segment everyone { when true }\nrule counting for everyone { when script { let n = 0; for i in 0..200 { n += i; } n > 0 } offer callback }";
    // 200 turns pass the default limit...
    assert_eq!(
        engine(rules)
            .evaluate(&customer(&engine(rules), 1.0))
            .unwrap()
            .len(),
        1
    );
    // ...and not a limit of 100 operations.
    let tight = format!("{CATALOG}scripts: {{ max_operations: 100 }}\n");
    let engine = engine_with(&tight, rules);
    let (_, message) = script_error(&engine, 1.0);
    assert!(message.contains("scripts.max_operations"), "{message}");
}

#[test]
fn limits_above_their_ceiling_are_rejected() {
    let bad = format!("{CATALOG}scripts: {{ max_call_depth: 100000 }}\n");
    let Err(error) = Engine::from_sources(&bad, &[("rules.vas", "segment everyone { when true }")])
    else {
        panic!("a call depth of 100000 could overflow the stack");
    };
    let error = error.to_string();
    assert!(error.contains("INVALID_CATALOG"), "{error}");
    assert!(error.contains("between 1 and 256"), "{error}");
}

#[test]
fn unknown_limit_names_are_rejected() {
    let bad = format!("{CATALOG}scripts: {{ max_operation: 100 }}\n");
    let Err(error) = Engine::from_sources(&bad, &[("rules.vas", "segment everyone { when true }")])
    else {
        panic!("an unknown key is an error");
    };
    let error = error.to_string();
    assert!(error.contains("max_operation"), "{error}");
}

#[test]
fn customer_values_are_read_only() {
    let engine = engine(
        r#"
segment everyone { when true }
rule changes for everyone { when script { spend = 0; true } offer callback }
rule after for everyone { when spend > 100 offer support }
"#,
    );
    let c = customer(&engine, 500.0);
    let error = engine.evaluate(&c).unwrap_err();
    assert!(error.to_string().contains("read-only"), "{error}");
    // The customer is untouched: a rule reading `spend` still sees 500.
    let engine = engine_with(
        CATALOG,
        "segment everyone { when true }\nrule reads for everyone { when script { let s = spend; s = 0; s == 0 } offer callback }\nrule after for everyone { when spend > 100 offer support }",
    );
    let offers = engine.evaluate(&c).unwrap();
    assert_eq!(offers.len(), 2);
}

#[test]
fn results_are_type_checked_at_run_time() {
    for (clause, expected) in [
        (
            "when script { \"yes\" } offer callback",
            "must return true or false",
        ),
        (
            "when script { () } offer callback",
            "must return true or false",
        ),
        (
            "offer manager gain script { \"high\" }",
            "must return a number",
        ),
        (
            "offer manager gain script { 0.0 / 0.0 }",
            "not a finite number",
        ),
        (
            "offer manager gain script { 1.0 / 0.0 }",
            "not a finite number",
        ),
    ] {
        let rules =
            format!("segment everyone {{ when true }}\nrule typed for everyone {{ {clause} }}");
        let (owner, message) = script_error(&engine(&rules), 1.0);
        assert_eq!(owner, "rule typed");
        assert!(message.contains(expected), "{clause}: {message}");
    }
}

#[test]
fn a_failing_segment_script_names_the_segment() {
    let engine = engine(
        "segment everyone { when true }\nsegment vip under everyone { when script { spend / \"x\" > 1 } }\nrule r for vip { offer callback }",
    );
    let (owner, message) = script_error(&engine, 1.0);
    assert_eq!(owner, "segment vip");
    assert!(message.contains("rules.vas:2:"), "{message}");
}

#[test]
fn explain_shows_the_script_result() {
    let engine = engine(
        "segment everyone { when true }\nrule big for everyone { when script { spend > 100 } offer callback }",
    );
    let small = vasrec::explain(&engine, &customer(&engine, 10.0));
    let text = small.to_text();
    assert!(text.contains("script { spend > 100 }"), "{text}");
    assert!(text.contains("is false"), "{text}");
    let large = vasrec::explain(&engine, &customer(&engine, 1000.0));
    assert!(large.to_text().contains("OFFERED"));
}

/// A runaway script in the example package: the dry-run over the 5,000
/// sample customers ends with an error count for the rule, not a hang.
#[test]
fn a_runaway_script_in_a_dry_run_is_counted_per_rule() {
    let dir = TempDir::new("runaway-script");
    copy_rules(dir.path());
    let rules = dir.path().join("runaway.vas");
    std::fs::write(
        &rules,
        "rule runaway for everyone {\n  when script { let n = 0; loop { n += 1; } }\n  offer cloud_backup\n  gain 1\n}\n",
    )
    .unwrap();
    // A tight limit keeps the debug-build test short; the default is 10,000.
    let catalog = dir.path().join("catalog.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        format!("{text}\nscripts: {{ max_operations: 1000 }}\n"),
    )
    .unwrap();
    let package = dir.path().to_str().unwrap();
    let started = std::time::Instant::now();
    let out = vasrec(&[
        "dry-run",
        "--rules",
        package,
        "--on-error",
        "skip",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["evaluation_errors"], 5000);
    assert_eq!(
        report["evaluation_errors_by_source"],
        serde_json::json!([{ "source": "rule `runaway`", "errors": 5000 }])
    );
    assert!(
        report["errors"][0]
            .as_str()
            .unwrap()
            .contains("runaway.vas:2:")
    );
    // Not a timing test: a hang would be minutes, this is well under them.
    assert!(started.elapsed().as_secs() < 120);

    let out = vasrec(&["dry-run", "--rules", package]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rule `runaway`"));
}

/// Results are kept per evaluator by the values a script reads: a warm
/// evaluator gives what a fresh one gives, failures included, for inputs
/// that repeat (a category, whole numbers) and for inputs that do not.
#[test]
fn cached_results_equal_fresh_runs() {
    let engine = engine(
        r#"
segment everyone { when true }
rule stepped for everyone {
  when script { if spend > 900 { loop { } } else { tier == "gold" || spend > 300 } }
  offer manager
  gain script { if spend >= 500 { 3.0 } else if spend >= 100 { 2.0 } else { spend / 100.0 + pref.speed } }
}
"#,
    );
    let mut warm = engine.evaluator();
    let mut state = 7u64;
    for i in 0..3000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Whole numbers repeat; every third customer has a fraction that does not.
        let mut spend = ((state >> 33) % 1000) as f64;
        if i % 3 == 0 {
            spend += ((state >> 13) % 997) as f64 / 1000.0;
        }
        let tier = if (state >> 20).is_multiple_of(2) {
            "gold"
        } else {
            "basic"
        };
        let c = engine
            .customer()
            .set("spend", spend)
            .set("tier", tier)
            .set("pref.speed", ((state >> 40) % 10) as f64 / 10.0)
            .build()
            .unwrap();
        let cached = warm
            .evaluate(&c)
            .map(<[_]>::to_vec)
            .map_err(|e| e.to_string());
        let fresh = engine.evaluate(&c).map_err(|e| e.to_string());
        assert_eq!(cached, fresh, "customer {i}: spend {spend}, tier {tier}");
    }
}

#[test]
fn too_deep_an_expression_is_refused_when_the_package_loads() {
    let deep = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    let rules = format!(
        "segment everyone {{ when true }}\nrule deep for everyone {{ when script {{ {deep} > 0 }} offer callback }}"
    );
    let Err(error) = Engine::from_sources(CATALOG, &[("rules.vas", &rules)]) else {
        panic!("a script nested 40 deep compiles with max_expression_depth 32");
    };
    let text = error.to_string();
    assert!(text.contains("SCRIPT_ERROR"), "{text}");
    assert!(text.contains("rules.vas:2:"), "{text}");
    // Raised in the catalog, it compiles.
    let roomy = format!("{CATALOG}scripts: {{ max_expression_depth: 128 }}\n");
    if let Err(e) = Engine::from_sources(&roomy, &[("rules.vas", &rules)]) {
        panic!("{e}");
    }
}
