//! Flat packages: every rule on one segment, so the segment graph prunes
//! nothing and every rule is tested for every customer.
//!
//! ```text
//! cargo bench --bench flat                     # everything, about a minute
//! cargo bench --bench flat -- evaluate_batch   # one group
//! ```
//!
//! Packages: `flat_gen::generate(rules, 7)` (the generator of
//! `examples/generate_package.rs --flat`) with 40, 400 and 4,000 rules over
//! ten shared attributes, compiled in memory. Customers: the 5,000 of
//! `rules/customers.csv`, decoded once outside the measured loops.
//!
//! Groups:
//! - `flat_evaluate_batch`: the 5,000 customers on one thread, one evaluator
//!   kept for the batch, and the hand-written 40-rule package
//!   (`benches/support/flat_baseline.rs`) on the same customers.
//! - `flat_compile`: `Engine::from_sources` (parse, check, compile).
//!
//! Each package's shape (rules fired and offers per customer) is printed to
//! stderr first: divide a time by the rules fired for the cost per fired rule.

#[path = "support/baseline.rs"]
mod baseline;
#[path = "support/flat_baseline.rs"]
mod flat_baseline;
#[path = "support/flat_gen.rs"]
mod flat_gen;
#[path = "support/package_gen.rs"]
mod package_gen;
#[path = "../tests/common/rng.rs"]
mod rng;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;
use vasrec::{Customer, Engine, InputFormat};

const SIZES: [usize; 3] = [40, 400, 4000];

fn compile(package: &package_gen::Package) -> Engine {
    match Engine::from_sources(&package.catalog, &package.sources()) {
        Ok(engine) => engine,
        Err(e) => panic!("package does not compile: {} errors", e.error_count()),
    }
}

fn sample_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/customers.csv")
}

fn run_engine(engine: &Engine, customers: &[Customer]) -> (usize, f64) {
    let mut evaluator = engine.evaluator();
    let (mut count, mut gain) = (0, 0.0);
    for customer in customers {
        if let Ok(offers) = evaluator.evaluate(customer) {
            count += offers.len();
            gain += offers.iter().map(|o| o.gain).sum::<f64>();
        }
    }
    (count, gain)
}

fn describe(rules: usize, engine: &Engine, customers: &[Customer]) {
    let mut evaluator = engine.evaluator();
    let (mut fired, mut offers) = (0, 0);
    for customer in customers {
        offers += evaluator.evaluate(customer).map_or(0, <[_]>::len);
        fired += evaluator.fired_rules().len();
    }
    let n = customers.len() as f64;
    eprintln!(
        "flat package {rules:>5} rules | per customer (mean): {:.2} rules fired, {:.2} offers",
        fired as f64 / n,
        offers as f64 / n
    );
}

fn benches(c: &mut Criterion) {
    let packages: Vec<(usize, package_gen::Package)> = SIZES
        .iter()
        .map(|&rules| (rules, flat_gen::generate(rules, 7)))
        .collect();
    let engines: Vec<(usize, Engine)> = packages
        .iter()
        .map(|(rules, package)| (*rules, compile(package)))
        .collect();
    let customers = {
        let file = std::fs::File::open(sample_csv()).expect("sample customers");
        vasrec::batch::read_all(
            &engines[0].1,
            "customers.csv",
            Box::new(file),
            InputFormat::Csv,
        )
        .expect("customers decode")
    };
    let hand = baseline::load_csv(&sample_csv()).expect("baseline customers");
    assert_eq!(hand.len(), customers.len());
    for (rules, engine) in &engines {
        describe(*rules, engine, &customers);
    }

    let mut group = c.benchmark_group("flat_evaluate_batch");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(customers.len() as u64));
    for (rules, engine) in &engines {
        group.bench_function(BenchmarkId::new("engine-1-thread", rules), |b| {
            b.iter(|| run_engine(engine, black_box(&customers)))
        });
    }
    group.bench_function(BenchmarkId::new("baseline-1-thread", 40), |b| {
        b.iter(|| flat_baseline::run_batch(black_box(&hand)))
    });
    group.finish();

    let mut group = c.benchmark_group("flat_compile");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (rules, package) in &packages {
        group.bench_function(BenchmarkId::from_parameter(rules), |b| {
            b.iter(|| compile(black_box(package)))
        });
    }
    group.finish();
}

criterion_group!(flat, benches);
criterion_main!(flat);
