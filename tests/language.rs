//! Evaluation semantics, one YAML file per feature under tests/cases/eval:
//! rules, then customers with the offers, segments and fired rules expected.

mod common;

use common::{files_with_extension, root};
use serde::Deserialize;
use vasrec::Engine;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// A catalog of its own; the shared tests/cases/catalog.yaml otherwise.
    #[serde(default)]
    catalog: Option<String>,
    rules: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    customer: serde_json::Value,
    #[serde(default)]
    offers: Option<Vec<String>>,
    #[serde(default)]
    segments: Option<Vec<String>>,
    #[serde(default)]
    fired: Option<Vec<String>>,
    #[serde(default)]
    error: Option<String>,
}

#[test]
fn evaluation_cases() {
    let catalog = std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files_with_extension(&root().join("tests/cases/eval"), "yaml") {
        let file: CaseFile = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let catalog = file.catalog.as_deref().unwrap_or(&catalog);
        let engine = Engine::from_sources(catalog, &[("rules.vas", &file.rules)])
            .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        let mut evaluator = engine.evaluator();
        for case in file.cases {
            count += 1;
            let at = format!("{} / {}", path.display(), case.name);
            let customer = engine
                .customer_from_json(&case.customer)
                .unwrap_or_else(|e| panic!("{at}: {e}"));
            let result = evaluator.evaluate(&customer).map(<[_]>::to_vec);
            match (&case.error, result) {
                (Some(expected), Err(error)) => {
                    if error.to_string() != *expected {
                        failures.push(format!("{at}: error `{error}`, expected `{expected}`"));
                    }
                    continue;
                }
                (Some(expected), Ok(offers)) => {
                    failures.push(format!(
                        "{at}: expected error `{expected}`, got offers {offers:?}"
                    ));
                    continue;
                }
                (None, Err(error)) => {
                    failures.push(format!("{at}: unexpected error {error}"));
                    continue;
                }
                (None, Ok(offers)) => {
                    let actual: Vec<String> = offers
                        .iter()
                        .map(|o| {
                            format!(
                                "{} {}",
                                engine.service(o.service).id,
                                (o.gain * 1e9).round() / 1e9
                            )
                        })
                        .collect();
                    if let Some(expected) = &case.offers
                        && actual != *expected
                    {
                        failures.push(format!("{at}: offers {actual:?}, expected {expected:?}"));
                    }
                }
            }
            if let Some(expected) = &case.segments {
                let actual: Vec<&str> = evaluator
                    .memberships()
                    .iter()
                    .map(|s| engine.segment_name(*s))
                    .collect();
                if actual != *expected {
                    failures.push(format!("{at}: segments {actual:?}, expected {expected:?}"));
                }
            }
            if let Some(expected) = &case.fired {
                let actual: Vec<&str> = evaluator
                    .fired_rules()
                    .iter()
                    .map(|r| engine.rule_name(*r))
                    .collect();
                if actual != *expected {
                    failures.push(format!("{at}: fired {actual:?}, expected {expected:?}"));
                }
            }
        }
    }
    assert!(count > 15, "only {count} cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn engine_is_shared_between_threads() {
    let engine = Engine::load(root().join("rules")).unwrap();
    let customer = engine
        .customer()
        .set("customer_id", "x")
        .set("tenure_months", 2)
        .set("monthly_charges", 90)
        .build()
        .unwrap();
    let expected = engine.evaluate(&customer).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut evaluator = engine.evaluator();
                for _ in 0..100 {
                    assert_eq!(evaluator.evaluate(&customer).unwrap(), expected.as_slice());
                }
            });
        }
    });
}

#[test]
fn builder_reports_unknown_names_and_bad_values() {
    let engine = Engine::load(root().join("rules")).unwrap();
    let error = engine.customer().set("tenure", 3).build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "`tenure`: the schema has no such attribute (did you mean `tenure_months`?)"
    );
    let error = engine
        .customer()
        .set("contract", "Monthly")
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is not one of Month-to-month, One year, Two year"),
        "{error}"
    );
    let error = engine
        .customer()
        .set("customer_id", "x")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("a value is required"), "{error}");
}

#[test]
fn customers_from_a_map_of_texts() {
    let engine = Engine::load(root().join("rules")).unwrap();
    let mut map = std::collections::HashMap::new();
    map.insert("customerID", "M-1");
    map.insert("tenure", "3");
    map.insert("MonthlyCharges", "70.5");
    map.insert("InternetService", "Fiber optic");
    map.insert("unknown column", "ignored");
    let from_map = engine.customer_from_map(&map).unwrap();
    let built = engine
        .customer()
        .set("customer_id", "M-1")
        .set("tenure_months", 3)
        .set("monthly_charges", 70.5)
        .set("internet", "Fiber optic")
        .build()
        .unwrap();
    assert_eq!(
        engine.evaluate(&from_map).unwrap(),
        engine.evaluate(&built).unwrap()
    );
    map.insert("tenure", "three");
    let error = engine.customer_from_map(&map).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`tenure` (attribute `tenure_months`): expected a number, found `three`"
    );
}
