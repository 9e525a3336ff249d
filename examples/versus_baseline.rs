//! The engine against the hand-written baseline, measured in turns.
//!
//! ```text
//! cargo run --release --example versus_baseline              # 40 rounds
//! cargo run --release --example versus_baseline -- 200       # more rounds
//! cargo run --release --example versus_baseline -- --flat    # the flat package
//! cargo run --release --example versus_baseline -- --one-by-one
//! ```
//!
//! `--one-by-one`: the engine side evaluates each customer with a new
//! evaluator (`Engine::evaluate`), as `vasrec serve` answers a request.
//!
//! `--flat`: the flat 40-rule package (`flat_gen::generate(40, 7)`, all rules
//! on one segment) against its hand-written form
//! (`benches/support/flat_baseline.rs`), on the same customers.
//!
//! Criterion (`cargo bench --bench engine -- evaluate_batch`) measures the
//! engine and the baseline one after the other, seconds apart; on a shared
//! machine the load changes in between and the ratio of the two moves by
//! several percent. Here each round evaluates the 5,000 sample customers with
//! the engine and then with the baseline (`benches/support/baseline.rs`), so
//! both see the same load; each side runs once untimed before its timed run,
//! so that neither is timed with caches and branch predictors the other one
//! just trained. It prints, per customer, the fastest round and the
//! median round of each, and their ratios. Before timing, it checks that both
//! give the same offers for every customer, as `tests/baseline.rs` does.
//!
//! As in the criterion bench, each engine round starts from a fresh
//! [`vasrec::Evaluator`] (so script results are computed again) and the
//! customers are decoded before the clock starts.

#[path = "../benches/support/baseline.rs"]
mod baseline;
#[path = "../benches/support/batches.rs"]
mod batches;
#[path = "../benches/support/flat_baseline.rs"]
mod flat_baseline;
#[path = "../benches/support/flat_gen.rs"]
mod flat_gen;
#[path = "../benches/support/package_gen.rs"]
mod package_gen;
#[path = "../tests/common/rng.rs"]
mod rng;

use batches::{run_baseline, run_engine, run_engine_one_by_one};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;
use vasrec::{Customer, Engine, InputFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rounds = 40;
    let mut flat = false;
    let mut one_by_one = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--flat" => flat = true,
            "--one-by-one" => one_by_one = true,
            n => rounds = n.parse()?,
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = if flat {
        let package = flat_gen::generate(40, 7);
        Engine::from_sources(&package.catalog, &package.sources())
            .map_err(|e| format!("the flat package does not compile: {e}"))?
    } else {
        Engine::load(root.join("rules"))?
    };
    let recommend: fn(&baseline::BaselineCustomer, &mut Vec<(&'static str, f64)>) = if flat {
        flat_baseline::recommend
    } else {
        baseline::recommend
    };
    let sample = root.join("rules/customers.csv");
    let customers = vasrec::batch::read_all(
        &engine,
        "customers.csv",
        Box::new(std::fs::File::open(&sample)?),
        InputFormat::Csv,
    )?;
    let hand = baseline::load_csv(&sample)?;
    if customers.len() != hand.len() {
        return Err("the engine and the baseline read a different number of customers".into());
    }
    check_agreement(&engine, &customers, &hand, recommend)?;

    let per_customer = |started: Instant| started.elapsed().as_nanos() as f64 / hand.len() as f64;
    let (mut engine_ns, mut baseline_ns) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        // Each side runs once untimed first, so that the other side's run
        // has not left the caches and branch predictors cold for it.
        let run_engine = if one_by_one {
            run_engine_one_by_one
        } else {
            run_engine
        };
        black_box(run_engine(&engine, black_box(&customers)));
        let started = Instant::now();
        black_box(run_engine(&engine, black_box(&customers)));
        engine_ns.push(per_customer(started));
        let run_hand = |hand| {
            if flat {
                flat_baseline::run_batch(hand)
            } else {
                run_baseline(hand)
            }
        };
        black_box(run_hand(black_box(&hand)));
        let started = Instant::now();
        black_box(run_hand(black_box(&hand)));
        baseline_ns.push(per_customer(started));
    }
    let (engine_min, engine_median) = min_and_median(&mut engine_ns);
    let (baseline_min, baseline_median) = min_and_median(&mut baseline_ns);
    println!(
        "{} rounds of {} customers, per customer:",
        engine_ns.len(),
        hand.len()
    );
    println!("            fastest    median");
    println!("engine    {engine_min:>7.1} ns {engine_median:>7.1} ns");
    println!("baseline  {baseline_min:>7.1} ns {baseline_median:>7.1} ns");
    println!(
        "ratio     {:>7.2}x   {:>7.2}x",
        engine_min / baseline_min,
        engine_median / baseline_median
    );
    println!(
        "engine: {:.2} M customers/s (median round)",
        1e3 / engine_median
    );
    Ok(())
}

fn check_agreement(
    engine: &Engine,
    customers: &[Customer],
    hand: &[baseline::BaselineCustomer],
    recommend: fn(&baseline::BaselineCustomer, &mut Vec<(&'static str, f64)>),
) -> Result<(), Box<dyn std::error::Error>> {
    let mut evaluator = engine.evaluator();
    let mut expected = Vec::new();
    for (row, (customer, hand)) in customers.iter().zip(hand).enumerate() {
        let offers: Vec<(&str, f64)> = evaluator
            .evaluate(customer)?
            .iter()
            .map(|o| {
                (
                    engine.get_service(o.service).map_or("", |s| s.id.as_str()),
                    o.gain,
                )
            })
            .collect();
        recommend(hand, &mut expected);
        if !baseline::same_offers(&offers, &expected) {
            return Err(format!(
                "row {}: the engine offers {offers:?}, the baseline {expected:?}",
                row + 2
            )
            .into());
        }
    }
    Ok(())
}

fn min_and_median(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2])
}
