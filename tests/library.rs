//! The library as an application uses it: errors that print readably from
//! `main`, offers with names, infallible lookups by the engine's own ids,
//! and one call from a JSON customer to a JSON answer.

mod common;

use common::root;
use serde_json::json;
use vasrec::{Engine, JsonError, LoadError};

/// A small package whose gains show float noise (0.1 + 0.2) unless rounded.
const CATALOG: &str = r#"
package: demo
services:
  - { id: priority_support, name: 优先技术支持, category: technical_support,
      stage: after_sale, channel: omni, participation: passive, cost: 12 }
  - { id: welcome_call, name: Welcome call, category: technical_support,
      stage: after_sale, channel: offline, participation: passive, cost: 3 }
customer:
  id: customer_id
  attributes:
    - { name: customer_id, type: text, column: customerID }
    - { name: tenure_months, type: number, column: tenure, required: true }
  preferences:
    - { name: responsiveness }
"#;

const RULES: &str = r#"
segment everyone { when true }
segment new_customer under everyone { when tenure_months < 6 }
rule fast_start for new_customer {
  offer priority_support
  gain 0.1 + value_or(pref.responsiveness, 0)
  because "New customers who value speed"
}
rule call_everyone for everyone {
  offer welcome_call
  gain 1 / tenure_months
}
"#;

fn demo() -> Engine {
    Engine::from_sources(CATALOG, &[("rules.vas", RULES)]).expect("the demo package loads")
}

/// A copy of the bundled package with one typo: a service name in
/// `rules.vas` line 46.
fn package_with_typo() -> (tempfile::TempDir, LoadError) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for entry in std::fs::read_dir(root().join("rules")).expect("rules/ is readable") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .to_string();
        // The rule files, the catalog and the rows of the bundled table.
        let table_rows = name.ends_with(".csv") && name != "customers.csv";
        if name.ends_with(".vas") || name == "catalog.yaml" || table_rows {
            let mut text = std::fs::read_to_string(&path).expect("a text file");
            if name == "rules.vas" {
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines[45], "  offer personalized_plan_review");
                text = text.replacen(
                    "  offer personalized_plan_review",
                    "  offer personalised_plan_review",
                    1,
                );
            }
            std::fs::write(dir.path().join(&name), text).expect("written");
        }
    }
    let error = Engine::load(dir.path()).expect_err("the typo is an error");
    (dir, error)
}

#[test]
fn a_load_error_debugs_as_its_rendered_diagnostics_not_the_sources() {
    let (dir, error) = package_with_typo();
    let debug = format!("{error:?}");
    assert_eq!(error.error_count(), 1, "{debug}");
    assert!(
        debug.starts_with("the package has 1 error\n\nerror[UNKNOWN_SERVICE]"),
        "{debug}"
    );
    assert!(debug.contains("rules.vas:46:9"), "{debug}");
    assert!(debug.contains("help: "), "{debug}");
    assert!(
        debug.contains("did you mean `personalized_plan_review`"),
        "{debug}"
    );
    assert!(debug.len() < 4096, "{} bytes:\n{debug}", debug.len());
    // No text of the other files, nor of rules.vas beyond the line at fault.
    for entry in std::fs::read_dir(dir.path()).expect("the copy") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a text file");
        for line in text.lines().filter(|l| l.trim().len() > 30) {
            if !line.contains("personalised_plan_review") {
                assert!(
                    !debug.contains(line),
                    "{} leaks into Debug: {line}",
                    path.display()
                );
            }
        }
    }
    // The same text as the CLI renders, without colour.
    assert!(debug.ends_with(error.to_string().trim_end()), "{debug}");
    assert!(!debug.contains('\x1b'));
}

#[test]
fn main_returning_a_load_error_prints_the_diagnostics() {
    // What `fn main() -> Result<(), Box<dyn Error>>` prints: `Error: {:?}`.
    let (_dir, error) = package_with_typo();
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    let printed = format!("Error: {boxed:?}");
    assert!(printed.contains("--> rules.vas:46:9"), "{printed}");
    assert!(printed.len() < 4096, "{printed}");
}

#[test]
fn the_alternate_debug_of_a_load_error_is_structured_and_names_files_only() {
    let (_dir, error) = package_with_typo();
    let debug = format!("{error:#?}");
    assert!(debug.starts_with("LoadError {"), "{debug}");
    assert!(debug.contains("\"rules.vas\""), "{debug}");
    assert!(debug.contains("UnknownService"), "{debug}");
    assert!(!debug.contains("telecom-vas"), "{debug}"); // the catalog's text
    assert!(debug.len() < 8192, "{} bytes", debug.len());
}

#[test]
fn an_engine_debugs_as_its_name_and_size() {
    let engine = Engine::load(root().join("rules")).expect("the bundled package loads");
    let debug = format!("{engine:?}");
    assert!(
        debug.starts_with("Engine { package: \"telecom-vas\""),
        "{debug}"
    );
    assert!(debug.len() < 400, "{} bytes: {debug}", debug.len());
    let live = vasrec::LiveEngine::load(root().join("rules")).expect("loads");
    assert!(format!("{live:?}").len() < 600);
}

#[test]
fn recommendations_carry_the_service_id_name_rule_and_reason() {
    let engine = demo();
    let customer = engine
        .customer()
        .set("customer_id", "C-1")
        .set("tenure_months", 4)
        .set("pref.responsiveness", 0.2)
        .build()
        .expect("a valid customer");
    let recommendations = engine.recommend(&customer).expect("evaluates");
    let named: Vec<_> = recommendations
        .iter()
        .map(|r| {
            (
                r.service.id.as_str(),
                r.service.name.as_str(),
                r.rule,
                r.reason,
                r.segment,
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                "priority_support",
                "优先技术支持",
                "fast_start",
                Some("New customers who value speed"),
                "new_customer"
            ),
            (
                "welcome_call",
                "Welcome call",
                "call_everyone",
                None,
                "everyone"
            ),
        ]
    );
    assert!((recommendations[0].gain - 0.3).abs() < 1e-12);
    assert_eq!(recommendations[0].service.cost, 12.0);

    // The same offers, named from an evaluator and one by one.
    let mut evaluator = engine.evaluator();
    let offers = evaluator.evaluate(&customer).expect("evaluates").to_vec();
    let from_evaluator: Vec<_> = evaluator.recommendations().collect();
    assert_eq!(from_evaluator.len(), recommendations.len());
    for ((offer, a), b) in offers.iter().zip(&from_evaluator).zip(&recommendations) {
        assert_eq!(a.offer, *offer);
        assert_eq!(b.offer, *offer);
        assert_eq!(offer.named(&engine).service.id, a.service.id);
        assert_eq!(a.rule, b.rule);
    }
}

#[test]
fn an_offer_stays_small_and_copy() {
    fn copy<T: Copy>() {}
    copy::<vasrec::Offer>();
    assert!(size_of::<vasrec::Offer>() <= 24);
}

#[test]
fn services_are_looked_up_without_an_option_by_the_engines_own_ids() {
    let engine = demo();
    let ids: Vec<&str> = engine
        .service_ids()
        .map(|id| engine.service(id).id.as_str())
        .collect();
    assert_eq!(ids, ["priority_support", "welcome_call"]);
    for id in engine.service_ids() {
        assert_eq!(engine[id].name, engine.service(id).name);
        assert!(std::ptr::eq(
            &engine[id],
            engine.get_service(id).expect("its own id")
        ));
    }
    for rule in engine.rule_ids() {
        let service = engine.service(engine.rule_service(rule));
        assert!(!service.id.is_empty());
    }
}

fn larger_engine() -> Engine {
    Engine::load(root().join("rules")).expect("the bundled package loads")
}

#[test]
fn an_id_of_another_engine_is_none_through_get_service() {
    let (small, large) = (demo(), larger_engine());
    let foreign = large.service_ids().last().expect("services");
    assert!(small.get_service(foreign).is_none());
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("a foreign id panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn an_id_of_another_engine_panics_with_a_clear_message() {
    let (small, large) = (demo(), larger_engine());
    let foreign = large.service_ids().last().expect("services");
    let expected = format!(
        "ServiceId({}) was not issued by this engine, which has 2 of them",
        foreign.index()
    );
    let message = panic_message(|| {
        let _ = small.service(foreign);
    });
    assert!(message.contains(&expected), "{message}");
    let message = panic_message(|| {
        let _ = &small[foreign];
    });
    assert!(message.contains(&expected), "{message}");
    let rule = large.rule_ids().last().expect("rules");
    let message = panic_message(|| {
        let _ = small.rule_service(rule);
    });
    assert!(
        message.contains("was not issued by this engine"),
        "{message}"
    );
}

#[test]
fn evaluate_json_answers_in_the_documented_shape() {
    let engine = demo();
    let answer = engine
        .evaluate_json(&json!({"customerID": "C-7", "tenure": 4, "pref.responsiveness": 0.2}))
        .expect("evaluates");
    assert_eq!(
        answer,
        json!({
            "customer": "C-7",
            "offers": [
                {"service": "priority_support", "name": "优先技术支持", "gain": 0.3,
                 "rule": "fast_start", "reason": "New customers who value speed",
                 "segment": "new_customer"},
                {"service": "welcome_call", "name": "Welcome call", "gain": 0.25,
                 "rule": "call_everyone", "reason": null, "segment": "everyone"},
            ]
        })
    );
    // No float noise: 0.1 + 0.2 is 0.30000000000000004 before rounding.
    let text = answer.to_string();
    assert!(text.contains(r#""gain":0.3,"#), "{text}");

    // Attribute names work as keys too; no id gives null, no offer an empty list.
    let answer = engine
        .evaluate_json(&json!({"tenure_months": 1000}))
        .expect("evaluates");
    assert_eq!(answer["customer"], serde_json::Value::Null);
    assert_eq!(answer["offers"][0]["gain"], json!(0.001));
}

#[test]
fn recommendations_serialise_as_the_json_answer_does() {
    let engine = demo();
    let customer = engine
        .customer()
        .set("tenure_months", 3)
        .build()
        .expect("valid");
    let recommendations = engine.recommend(&customer).expect("evaluates");
    let serialised = serde_json::to_value(&recommendations).expect("serialises");
    let answer = engine
        .evaluate_json(&json!({"tenure": 3}))
        .expect("evaluates");
    assert_eq!(serialised, answer["offers"]);
}

#[test]
fn evaluate_json_str_reads_and_writes_text() {
    let engine = demo();
    let answer = engine
        .evaluate_json_str(r#"{"customerID": "C-1", "tenure": 2, "pref.responsiveness": 0.9}"#)
        .expect("evaluates");
    let value: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(value["customer"], "C-1");
    assert_eq!(value["offers"][0]["service"], "priority_support");

    let error = engine
        .evaluate_json_str("{\"tenure\": 2,\n}")
        .expect_err("not JSON");
    assert_eq!(error.kind(), "syntax");
    let JsonError::Syntax { line, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*line, 2);
    assert_eq!(error.to_json()["error"]["kind"], "syntax");
    assert_eq!(error.to_json()["error"]["line"], 2);
}

#[test]
fn evaluate_json_errors_say_which_step_failed() {
    let engine = demo();
    let not_object = engine.evaluate_json(&json!([1, 2])).expect_err("an array");
    assert_eq!(not_object.kind(), "customer");

    let wrong = engine
        .evaluate_json(&json!({"tenure": "three"}))
        .expect_err("not a number");
    assert!(matches!(wrong, JsonError::Customer(_)));
    let shown = wrong.to_json();
    assert_eq!(shown["error"]["kind"], "customer");
    assert_eq!(shown["error"]["field"], "tenure_months");
    assert_eq!(shown["error"]["column"], "tenure");
    assert!(
        shown["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expected a number")),
        "{shown}"
    );

    // A required value left out is read as missing and listed; given
    // empty, it is an error.
    let partial = engine
        .evaluate_json(&json!({"customerID": "C-1"}))
        .expect("a required value left out is a missing value");
    assert_eq!(partial["not_given"], json!(["tenure"]));
    let empty = engine
        .evaluate_json(&json!({"customerID": "C-1", "tenure": null}))
        .expect_err("a required value given empty");
    assert_eq!(empty.kind(), "customer");

    // 1 / tenure_months for a customer of 0 months is not a finite gain.
    let failed = engine
        .evaluate_json(&json!({"tenure": 0}))
        .expect_err("division by zero");
    assert_eq!(failed.kind(), "evaluation");
    let shown = failed.to_json();
    assert_eq!(shown["error"]["raised_by"], "rule `call_everyone`");
    assert!(std::error::Error::source(&failed).is_some());
}
