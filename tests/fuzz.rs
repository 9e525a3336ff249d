//! Mutation fuzzing on stable Rust: the bundled package's files and sample
//! rows, mutated at random (seeded), must never panic the parser, the checker,
//! the catalog loader or the customer reader. A short run is part of the test
//! suite; `VASREC_FUZZ_ITERATIONS=200000 cargo test --release --test fuzz` runs
//! longer (see README).

mod common;

use common::fuzz::{iterations, mutate};
use common::rng::Rng;
use common::root;
use std::panic::{AssertUnwindSafe, catch_unwind};
use vasrec::Engine;

fn package_files() -> (String, Vec<(String, String)>) {
    let dir = root().join("rules");
    let catalog = std::fs::read_to_string(dir.join("catalog.yaml")).unwrap();
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vas"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    (catalog, files)
}

#[test]
fn mutated_rule_files_never_panic() {
    let (catalog, files) = package_files();
    let mut rng = Rng(1);
    for round in 0..iterations() {
        let mut mutated = files.clone();
        let which = rng.below(mutated.len());
        mutated[which].1 = mutate(&mut rng, &mutated[which].1);
        let borrowed: Vec<(&str, &str)> = mutated
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            match Engine::from_sources(&catalog, &borrowed) {
                Ok(engine) => {
                    // A package that still checks must also evaluate and explain.
                    let customer = engine
                        .customer()
                        .set("customer_id", "f")
                        .set("tenure_months", 3)
                        .set("monthly_charges", 50)
                        .build();
                    if let Ok(customer) = customer {
                        let _ = engine.evaluate(&customer);
                        let _ = vasrec::explain(&engine, &customer);
                    }
                }
                Err(error) => {
                    let _ = error.to_string();
                }
            }
        }));
        assert!(
            outcome.is_ok(),
            "round {round}: panic on file {}:\n{}",
            mutated[which].0,
            mutated[which].1
        );
    }
}

#[test]
fn mutated_catalogs_never_panic() {
    let (catalog, files) = package_files();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let mut rng = Rng(2);
    for round in 0..iterations() {
        let mutated = mutate(&mut rng, &catalog);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if let Err(error) = Engine::from_sources(&mutated, &borrowed) {
                let _ = error.to_string();
            }
        }));
        assert!(
            outcome.is_ok(),
            "round {round}: panic on catalog:\n{mutated}"
        );
    }
}

#[test]
fn mutated_customer_rows_never_panic() {
    let engine = Engine::load(root().join("rules")).unwrap();
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let header = sample.lines().next().unwrap().to_string();
    let rows: Vec<&str> = sample.lines().skip(1).take(50).collect();
    let mut rng = Rng(3);
    for round in 0..iterations() {
        let body: Vec<String> = rows
            .iter()
            .map(|r| {
                if rng.below(4) == 0 {
                    mutate(&mut rng, r)
                } else {
                    r.to_string()
                }
            })
            .collect();
        let csv = format!("{header}\n{}\n", body.join("\n"));
        let jsonl: String = rows
            .iter()
            .take(5)
            .map(|r| {
                mutate(
                    &mut rng,
                    &format!("{{\"customerID\": \"{}\", \"tenure\": 3}}", &r[..5]),
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            for (text, format) in [
                (csv.clone(), vasrec::InputFormat::Csv),
                (jsonl.clone(), vasrec::InputFormat::Jsonl),
            ] {
                let reader = Box::new(std::io::Cursor::new(text.into_bytes()));
                if let Ok(customers) = vasrec::batch::read_all(&engine, "fuzz", reader, format) {
                    for c in &customers {
                        let _ = engine.evaluate(c);
                    }
                }
            }
        }));
        assert!(
            outcome.is_ok(),
            "round {round}: panic on input:\n{csv}\n{jsonl}"
        );
    }
}
