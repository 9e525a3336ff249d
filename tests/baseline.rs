//! Differential test: the engine on the bundled package against the same
//! logic written by hand (`benches/support/baseline.rs`, the benchmarks'
//! reference). Every sample customer must get the same offers, in the same
//! order, with the same gains.

#[path = "../benches/support/baseline.rs"]
mod baseline;

use std::path::Path;
use vasrec::{Engine, InputFormat};

#[test]
fn hand_written_baseline_matches_the_engine_on_every_sample_customer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = Engine::load(root.join("rules")).expect("the bundled package loads");
    let csv = root.join("rules/customers.csv");
    let customers = vasrec::batch::read_all(
        &engine,
        "customers.csv",
        Box::new(std::fs::File::open(&csv).expect("sample customers")),
        InputFormat::Csv,
    )
    .expect("sample customers read");
    let expected = baseline::load_csv(&csv).expect("sample customers read by the baseline");
    assert_eq!(customers.len(), expected.len());
    assert!(customers.len() >= 1000, "the sample should be substantial");

    let mut evaluator = engine.evaluator();
    let mut hand = Vec::new();
    let mut mismatches = Vec::new();
    let mut offered = 0;
    for (customer, reference) in customers.iter().zip(&expected) {
        assert_eq!(
            engine.customer_id(customer).as_deref(),
            Some(reference.id.as_str())
        );
        let offers = evaluator.evaluate(customer).expect("evaluates");
        let got: Vec<(&str, f64)> = offers
            .iter()
            .map(|o| {
                let id = engine
                    .get_service(o.service)
                    .expect("known service")
                    .id
                    .as_str();
                (id, o.gain)
            })
            .collect();
        baseline::recommend(reference, &mut hand);
        offered += got.len();
        if !baseline::same_offers(&got, &hand) && mismatches.len() < 10 {
            let rules: Vec<&str> = offers.iter().map(|o| engine.rule_name(o.rule)).collect();
            mismatches.push(format!(
                "{}: engine {got:?} (rules {rules:?}), hand-written {hand:?}",
                reference.id
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "engine and hand-written baseline disagree:\n{}",
        mismatches.join("\n")
    );
    // Most customers get offers: the comparison is not vacuous.
    assert!(offered > customers.len());
}
