//! Differential test: the engine on the generated flat 40-rule package
//! (`benches/support/flat_gen.rs`) against the same rules written by hand
//! (`benches/support/flat_baseline.rs`, the flat benchmark's reference), on
//! the 5,000 sample customers and on generated ones that hit the rules'
//! thresholds exactly and miss values often. Same offers, same order, same
//! gains.

#[path = "../benches/support/baseline.rs"]
mod baseline;
#[path = "../benches/support/flat_baseline.rs"]
mod flat_baseline;
#[path = "../benches/support/flat_gen.rs"]
mod flat_gen;
#[path = "../benches/support/package_gen.rs"]
mod package_gen;

mod common;

use common::rng::{self, Rng};
use std::path::{Path, PathBuf};
use vasrec::{Engine, InputFormat};

fn flat_engine() -> Engine {
    let package = flat_gen::generate(40, 7);
    match Engine::from_sources(&package.catalog, &package.sources()) {
        Ok(engine) => engine,
        Err(e) => panic!(
            "the flat package does not compile: {} errors",
            e.error_count()
        ),
    }
}

/// Compares engine and baseline on every customer of a CSV file; returns
/// (customers, offers, rules fired).
fn compare(engine: &Engine, csv: &Path) -> (usize, usize, usize) {
    let customers = vasrec::batch::read_all(
        engine,
        "customers.csv",
        Box::new(std::fs::File::open(csv).expect("customers file")),
        InputFormat::Csv,
    )
    .expect("customers read by the engine");
    let expected = baseline::load_csv(csv).expect("customers read by the baseline");
    assert_eq!(customers.len(), expected.len());
    let mut evaluator = engine.evaluator();
    let (mut hand, mut mismatches) = (Vec::new(), Vec::new());
    let (mut offered, mut fired) = (0, 0);
    for (customer, reference) in customers.iter().zip(&expected) {
        let offers = evaluator.evaluate(customer).expect("evaluates");
        let got: Vec<(&str, f64)> = offers
            .iter()
            .map(|o| (engine.service(o.service).id.as_str(), o.gain))
            .collect();
        flat_baseline::recommend(reference, &mut hand);
        offered += got.len();
        fired += evaluator.fired_rules().len();
        if !baseline::same_offers(&got, &hand) && mismatches.len() < 10 {
            mismatches.push(format!(
                "{}: engine {got:?}, hand-written {hand:?}",
                reference.id
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "engine and hand-written flat baseline disagree:\n{}",
        mismatches.join("\n")
    );
    (customers.len(), offered, fired)
}

#[test]
fn flat_baseline_matches_the_engine_on_the_sample_customers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (customers, offered, fired) = compare(&flat_engine(), &root.join("rules/customers.csv"));
    assert_eq!(customers, 5000);
    // The shape the benchmark claims: 5 to 6 of the 40 rules fire per customer.
    let mean = fired as f64 / customers as f64;
    assert!(
        (5.0..=6.0).contains(&mean),
        "{mean} rules fire per customer"
    );
    assert!(offered > 2 * customers, "{offered} offers");
}

/// Customers whose values sit on the rules' thresholds or are missing.
fn generated_csv(rows: usize) -> String {
    let mut rng = Rng(26);
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/customers.csv"))
            .expect("sample customers");
    let header: Vec<&str> = sample
        .lines()
        .next()
        .expect("a header")
        .split(',')
        .collect();
    let mut out = header.join(",");
    out.push('\n');
    for row in 0..rows {
        let missing = |rng: &mut Rng, value: String| {
            if rng.chance(15) { String::new() } else { value }
        };
        for (i, column) in header.iter().enumerate() {
            let value = match *column {
                "customerID" => format!("G{row:05}"),
                "tenure" => {
                    let edges = [0, 6, 7, 15, 23, 34, 35, 39, 41, 45, 48, 72];
                    if rng.chance(50) {
                        edges[rng.below(edges.len())].to_string()
                    } else {
                        rng.between(0, 72).to_string()
                    }
                }
                "MonthlyCharges" => {
                    let edges = [25, 41, 43, 46, 47, 61, 89, 109];
                    if rng.chance(50) {
                        edges[rng.below(edges.len())].to_string()
                    } else {
                        format!("{}.{}", rng.between(18, 119), rng.between(0, 9))
                    }
                }
                "SeniorCitizen" => {
                    let v = rng.between(0, 1).to_string();
                    missing(&mut rng, v)
                }
                "PaperlessBilling" => {
                    let v = rng.pick(&["Yes", "No"]).to_string();
                    missing(&mut rng, v)
                }
                "TechSupport" => {
                    let v = rng.pick(&["Yes", "No", "No internet service"]).to_string();
                    missing(&mut rng, v)
                }
                "InternetService" => {
                    let v = rng.pick(&["DSL", "Fiber optic", "No"]).to_string();
                    missing(&mut rng, v)
                }
                "Contract" => {
                    let v = rng
                        .pick(&["Month-to-month", "One year", "Two year"])
                        .to_string();
                    missing(&mut rng, v)
                }
                "PaymentMethod" => {
                    let v = rng
                        .pick(&[
                            "Electronic check",
                            "Mailed check",
                            "Bank transfer (automatic)",
                            "Credit card (automatic)",
                        ])
                        .to_string();
                    missing(&mut rng, v)
                }
                "pref_price" | "pref_responsiveness" => {
                    let v = format!("0.{}", rng.between(0, 9));
                    let v = if rng.chance(5) { "1".to_string() } else { v };
                    missing(&mut rng, v)
                }
                _ => String::new(),
            };
            // Texts with commas are quoted.
            if value.contains(',') {
                out.push_str(&format!("\"{value}\""));
            } else {
                out.push_str(&value);
            }
            out.push(if i + 1 == header.len() { '\n' } else { ',' });
        }
    }
    out
}

#[test]
fn flat_baseline_matches_the_engine_on_generated_customers() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("vasrec-flat-{}.csv", std::process::id()));
    std::fs::write(&path, generated_csv(20_000)).expect("temporary CSV");
    let (customers, offered, fired) = compare(&flat_engine(), &path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(customers, 20_000);
    assert!(offered > customers && fired > customers, "{offered} offers");
}
