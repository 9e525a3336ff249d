//! Where the engine's time goes, per phase, over a table of packages.
//!
//! ```text
//! cargo bench --bench engine                     # everything, about 3 minutes
//! cargo bench --bench engine -- evaluate_batch   # one group
//! VASREC_BENCH_PACKAGES=bundled,10000x1000 cargo bench --bench engine
//!                                                # build only these packages
//! ```
//!
//! Packages: the bundled one (`rules/`) and generated ones (the same generator
//! as `examples/generate_package.rs`, seed 7) of 100, 1,000 and 10,000 rules
//! over 100 and 1,000 segments, compiled in memory. Customers: the 5,000 of
//! `rules/customers.csv`, decoded once outside the measured loops (generated
//! packages share the bundled customer schema).
//!
//! Groups:
//! - `load_check_compile`: `Engine::from_sources` from the texts in memory.
//!   Parsing, checking (with lints) and compiling happen inside it and are not
//!   separately exposed, so they are measured together.
//! - `evaluate_one`: one `Evaluator::evaluate` call on one customer, the one
//!   whose branch holds the number of rules closest to 10 (see the stats
//!   printed at start-up), and the hand-written baseline on the same customer.
//! - `evaluate_batch`: all 5,000 decoded customers in memory, on 1 thread and
//!   on 2 threads (`std::thread::scope`, one evaluator per thread, the
//!   spawn counted in the time), on 1 thread with a new evaluator per
//!   customer (`engine-new-evaluators`: `Engine::evaluate`, as a request of
//!   `vasrec serve` is served), and the hand-written baseline
//!   (`benches/support/baseline.rs`) on the same customers.
//! - `stream`: `batch::run` over the sample CSV held in memory (its 5,000
//!   rows ten times over): reading, decoding and evaluating, as
//!   `vasrec dry-run` does minus the file and the report.
//! - `dry_run`: the same 50,000 rows on 1 thread as `vasrec dry-run` runs
//!   them: capacity's first pass (`Demand`), then the second pass counted
//!   into a report `Tally` (chunks merged as they come), then the report;
//!   once in wall time, once in the process's CPU time (`-cpu-time`), which
//!   builds running beside it on a shared machine do not inflate.
//!
//! Each package's shape is printed to stderr first: segments a customer is in,
//! rules on those segments ("applicable") and rules that fired, as means over
//! the 5,000 customers.

#[path = "support/baseline.rs"]
mod baseline;
#[path = "support/batches.rs"]
mod batches;
#[path = "support/package_gen.rs"]
mod package_gen;
#[path = "../tests/common/rng.rs"]
mod rng;

use batches::{run_baseline, run_engine, run_engine_one_by_one};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;
use vasrec::batch::{ChunkSink, RowOutcome};
use vasrec::{Customer, Engine, InputFormat};

/// Generated packages: (rules, segments).
const GENERATED: [(usize, usize); 6] = [
    (100, 100),
    (1000, 100),
    (10_000, 100),
    (100, 1000),
    (1000, 1000),
    (10_000, 1000),
];

struct Case {
    name: String,
    catalog: String,
    files: Vec<(String, String)>,
    /// Spreadsheets the package's tables read (the bundled `senior_care.csv`).
    data: Vec<(String, Vec<u8>)>,
    engine: Engine,
    customers: Vec<Customer>,
    /// The customer `evaluate_one` uses.
    one: usize,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample_csv() -> PathBuf {
    root().join("rules/customers.csv")
}

/// A package's catalog, rule files (name, text) and table files (name, bytes).
type Sources = (String, Vec<(String, String)>, Vec<(String, Vec<u8>)>);

/// The bundled package's catalog, rule files and table files (every CSV
/// file but the customer sample).
fn bundled_sources() -> Sources {
    let dir = root().join("rules");
    let catalog = std::fs::read_to_string(dir.join("catalog.yaml")).expect("rules/catalog.yaml");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("rules/")
        .map(|e| e.expect("rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "vas"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect(".vas file"))
        })
        .collect();
    files.sort();
    let mut data: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("rules/")
        .map(|e| e.expect("rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .filter(|p| p.file_name().is_some_and(|n| n != "customers.csv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("table file"))
        })
        .collect();
    data.sort();
    (catalog, files, data)
}

fn compile(catalog: &str, files: &[(String, String)], data: &[(String, Vec<u8>)]) -> Engine {
    let sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let data: Vec<(&str, &[u8])> = data
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    match Engine::from_sources_with_data(catalog, &sources, &data) {
        Ok(engine) => engine,
        Err(e) => panic!("package does not compile: {} errors", e.error_count()),
    }
}

fn read_customers(engine: &Engine, path: &Path) -> Vec<Customer> {
    let file = std::fs::File::open(path).expect("customers file");
    vasrec::batch::read_all(engine, "customers.csv", Box::new(file), InputFormat::Csv)
        .expect("customers decode")
}

fn case(
    name: String,
    catalog: String,
    files: Vec<(String, String)>,
    data: Vec<(String, Vec<u8>)>,
) -> Case {
    let engine = compile(&catalog, &files, &data);
    let customers = read_customers(&engine, &sample_csv());
    let mut case = Case {
        name,
        catalog,
        files,
        data,
        engine,
        customers,
        one: 0,
    };
    case.one = describe(&case);
    case
}

/// Prints the package's shape; returns the customer for `evaluate_one`.
fn describe(case: &Case) -> usize {
    let engine = &case.engine;
    let (segments, rules, _) = engine.counts();
    let mut per_segment = vec![0usize; segments];
    for rule in engine.rule_ids() {
        per_segment[engine.rule_segment(rule).index()] += 1;
    }
    let mut evaluator = engine.evaluator();
    let (mut members, mut applicable_sum, mut fired, mut offers) = (0, 0, 0, 0);
    let mut best = (usize::MAX, 0);
    for (i, customer) in case.customers.iter().enumerate() {
        offers += evaluator.evaluate(customer).map_or(0, <[_]>::len);
        let applicable: usize = evaluator
            .memberships()
            .iter()
            .map(|s| per_segment[s.index()])
            .sum();
        members += evaluator.memberships().len();
        applicable_sum += applicable;
        fired += evaluator.fired_rules().len();
        let distance = applicable.abs_diff(10);
        if distance < best.0 {
            best = (distance, i);
        }
    }
    let n = case.customers.len() as f64;
    let chosen = best.1;
    evaluator
        .evaluate(&case.customers[chosen])
        .expect("chosen customer evaluates");
    let chosen_applicable: usize = evaluator
        .memberships()
        .iter()
        .map(|s| per_segment[s.index()])
        .sum();
    eprintln!(
        "package {:>12}: {segments:>5} segments {rules:>6} rules | per customer (mean): \
         in {:.1} segments, {:.1} applicable rules, {:.1} fired, {:.2} offers | \
         evaluate_one customer #{chosen}: {} segments, {chosen_applicable} applicable rules",
        case.name,
        members as f64 / n,
        applicable_sum as f64 / n,
        fired as f64 / n,
        offers as f64 / n,
        evaluator.memberships().len(),
    );
    chosen
}

/// Whether a package is selected by `VASREC_BENCH_PACKAGES` (a comma-separated
/// list such as `bundled,10000x1000`; all when unset). Criterion's filter
/// only skips measuring, not building the packages.
fn selected(name: &str) -> bool {
    match std::env::var("VASREC_BENCH_PACKAGES") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|n| n.trim() == name),
        _ => true,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    if selected("bundled") {
        let (catalog, files, data) = bundled_sources();
        cases.push(case("bundled".into(), catalog, files, data));
    }
    for (rules, segments) in GENERATED {
        let name = format!("{rules}x{segments}");
        if !selected(&name) {
            continue;
        }
        let package = package_gen::generate(&package_gen::Params::new(rules, segments));
        cases.push(case(name, package.catalog, package.files, Vec::new()));
    }
    cases
}

/// Splits the work in two halves: one on a scoped thread, one on this thread.
fn two_threads<T: Sync>(items: &[T], work: impl Fn(&[T]) -> (usize, f64) + Sync) -> (usize, f64) {
    let (left, right) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| work(left));
        let mine = work(right);
        let theirs = other.join().expect("worker thread");
        (mine.0 + theirs.0, mine.1 + theirs.1)
    })
}

fn load_check_compile(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("load_check_compile");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for case in cases {
        group.bench_function(BenchmarkId::from_parameter(&case.name), |b| {
            b.iter(|| {
                compile(
                    black_box(&case.catalog),
                    black_box(&case.files),
                    black_box(&case.data),
                )
            })
        });
    }
    group.finish();
}

fn evaluate_one(c: &mut Criterion, cases: &[Case], hand: &[baseline::BaselineCustomer]) {
    let mut group = c.benchmark_group("evaluate_one");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for case in cases {
        let customer = &case.customers[case.one];
        let mut evaluator = case.engine.evaluator();
        group.bench_function(BenchmarkId::new("engine", &case.name), |b| {
            b.iter(|| evaluator.evaluate(black_box(customer)).map(<[_]>::len))
        });
        if case.name == "bundled" {
            let customer = &hand[case.one];
            let mut out = Vec::with_capacity(3);
            group.bench_function(BenchmarkId::new("baseline", &case.name), |b| {
                b.iter(|| {
                    baseline::recommend(black_box(customer), &mut out);
                    out.len()
                })
            });
        }
    }
    group.finish();
}

fn evaluate_batch(c: &mut Criterion, cases: &[Case], hand: &[baseline::BaselineCustomer]) {
    let mut group = c.benchmark_group("evaluate_batch");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for case in cases {
        let (engine, customers) = (&case.engine, case.customers.as_slice());
        group.throughput(Throughput::Elements(customers.len() as u64));
        group.bench_function(BenchmarkId::new("engine-1-thread", &case.name), |b| {
            b.iter(|| run_engine(engine, black_box(customers)))
        });
        group.bench_function(BenchmarkId::new("engine-2-threads", &case.name), |b| {
            b.iter(|| two_threads(black_box(customers), |part| run_engine(engine, part)))
        });
        group.bench_function(BenchmarkId::new("engine-new-evaluators", &case.name), |b| {
            b.iter(|| run_engine_one_by_one(engine, black_box(customers)))
        });
        if case.name == "bundled" {
            group.throughput(Throughput::Elements(hand.len() as u64));
            group.bench_function(BenchmarkId::new("baseline-1-thread", &case.name), |b| {
                b.iter(|| run_baseline(black_box(hand)))
            });
            group.bench_function(BenchmarkId::new("baseline-2-threads", &case.name), |b| {
                b.iter(|| two_threads(black_box(hand), run_baseline))
            });
        }
    }
    group.finish();
}

/// Counts offers; the cheapest sink `batch::run` accepts.
struct CountSink(usize);

impl ChunkSink for CountSink {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        if let Ok(offers) = outcome.result {
            self.0 += offers.len();
        }
    }
}

/// The sample CSV with its rows repeated `times` times, in memory.
fn repeated_csv(times: usize) -> &'static [u8] {
    let text = std::fs::read_to_string(sample_csv()).expect("sample CSV");
    let (header, body) = text.split_once('\n').expect("a header line");
    let mut out = String::with_capacity(text.len() * times);
    out.push_str(header);
    out.push('\n');
    for _ in 0..times {
        out.push_str(body);
    }
    out.into_bytes().leak()
}

fn stream(c: &mut Criterion, bundled: &Case) {
    // 50,000 rows: enough chunks for reading and evaluating to overlap.
    const TIMES: usize = 10;
    let bytes = repeated_csv(TIMES);
    let mut group = c.benchmark_group("stream");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(
            (bundled.customers.len() * TIMES) as u64,
        ));
    for threads in [1, 2] {
        group.bench_function(
            BenchmarkId::new(format!("csv-50k-rows-{threads}-thread"), &bundled.name),
            |b| {
                b.iter(|| {
                    let reader = vasrec::batch::open(
                        &bundled.engine,
                        "customers.csv",
                        Box::new(bytes),
                        InputFormat::Csv,
                    )
                    .expect("CSV opens");
                    let mut total = 0;
                    let result = vasrec::batch::run(
                        &bundled.engine,
                        reader,
                        threads,
                        || CountSink(0),
                        |sink: CountSink, _rows| -> Result<(), ()> {
                            total += sink.0;
                            Ok(())
                        },
                    );
                    assert!(result.is_ok());
                    total
                })
            },
        );
    }
    group.finish();
}

/// The dry-run as the command runs it, minus the file and the rendering:
/// demand, allocation, tally and report over 50,000 rows on 1 thread.
fn dry_run(c: &mut Criterion, bundled: &Case) {
    const TIMES: usize = 10;
    let bytes = repeated_csv(TIMES);
    let engine = &bundled.engine;
    let open = || {
        vasrec::batch::open(engine, "customers.csv", Box::new(bytes), InputFormat::Csv)
            .expect("CSV opens")
    };
    let mut group = c.benchmark_group("dry_run");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(
            (bundled.customers.len() * TIMES) as u64,
        ));
    let once = || {
        let mut demand = vasrec::capacity::Demand::new(engine);
        let first = vasrec::batch::run(
            engine,
            open(),
            1,
            || vasrec::capacity::Demand::new(engine),
            |chunk, _| -> Result<(), ()> {
                demand.merge(chunk);
                Ok(())
            },
        );
        assert!(first.is_ok());
        let allocation = demand.allocate();
        let mut total = vasrec::report::Tally::new(engine);
        let second = vasrec::batch::run_allocated(
            engine,
            open(),
            1,
            Some(&allocation),
            || vasrec::report::Tally::new(engine),
            |chunk, _| -> Result<(), ()> {
                total.merge(chunk);
                Ok(())
            },
        );
        assert!(second.is_ok());
        vasrec::report::DryRunReport::new(engine, &total, "customers.csv")
            .with_capacity(engine, &total, Some(&allocation))
            .totals
            .offers
    };
    group.bench_function(
        BenchmarkId::new("csv-50k-rows-1-thread", &bundled.name),
        |b| b.iter(once),
    );
    // The same in CPU time of the process (reader and worker threads), which
    // other builds on a shared machine do not inflate as they do wall time.
    if process_cpu().is_some() {
        group.bench_function(
            BenchmarkId::new("csv-50k-rows-1-thread-cpu-time", &bundled.name),
            |b| {
                b.iter_custom(|iterations| {
                    let start = process_cpu().unwrap_or_default();
                    for _ in 0..iterations {
                        black_box(once());
                    }
                    process_cpu().unwrap_or_default().saturating_sub(start)
                })
            },
        );
    }
    group.finish();
}

/// User plus system CPU time of this process so far, from /proc (Linux;
/// None elsewhere). Clock ticks are 10 ms: fine over criterion's samples of
/// several iterations of a 50,000-row run.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// What the funnel adds to evaluation: the bundled sample evaluated alone,
/// and evaluated and counted into a funnel (the issue's bound is 1.5x).
fn funnel(c: &mut Criterion, bundled: &Case) {
    let mut group = c.benchmark_group("funnel");
    group.throughput(Throughput::Elements(bundled.customers.len() as u64));
    group.bench_function(BenchmarkId::new("evaluate", &bundled.name), |b| {
        let mut evaluator = bundled.engine.evaluator();
        b.iter(|| {
            let mut offers = 0;
            for customer in &bundled.customers {
                offers += evaluator.evaluate(customer).map_or(0, <[_]>::len);
            }
            offers
        })
    });
    group.bench_function(BenchmarkId::new("evaluate+funnel", &bundled.name), |b| {
        let mut evaluator = bundled.engine.evaluator();
        let mut funnel = vasrec::funnel::FunnelTally::new(&bundled.engine);
        b.iter(|| {
            let mut offers = 0;
            for customer in &bundled.customers {
                if let Ok(o) = evaluator.evaluate(customer) {
                    offers += o.len();
                    funnel.add(&evaluator);
                }
            }
            offers
        })
    });
    group.finish();
}

/// One customer at a time with a new evaluator each (`Engine::evaluate`, as
/// a request handler does); compare with `funnel/evaluate`, the same sample
/// through one evaluator kept for all, for what setting one up costs.
fn one_shot(c: &mut Criterion, bundled: &Case) {
    let mut group = c.benchmark_group("one_shot");
    group.throughput(Throughput::Elements(bundled.customers.len() as u64));
    group.bench_function(BenchmarkId::new("engine_evaluate", &bundled.name), |b| {
        b.iter(|| {
            let mut offers = 0;
            for customer in &bundled.customers {
                offers += bundled.engine.evaluate(customer).map_or(0, |o| o.len());
            }
            offers
        })
    });
    group.finish();
}

/// The price of a script: the same condition and the same tiered gain in the
/// rule language and as rhai scripts, over the 5,000 sample customers.
fn scripts(c: &mut Criterion, bundled: &Case) {
    const DSL: &str = "segment everyone { when true }
rule r for everyone {
  when tenure_months >= 24 and monthly_charges > 70
  offer loyalty_membership
  gain 2 + tenure_months / 36
}";
    const SCRIPT_CONDITION: &str = "segment everyone { when true }
rule r for everyone {
  when script { tenure_months >= 24 && monthly_charges > 70 }
  offer loyalty_membership
  gain 2 + tenure_months / 36
}";
    const SCRIPT_GAIN: &str = "segment everyone { when true }
rule r for everyone {
  when tenure_months >= 24 and monthly_charges > 70
  offer loyalty_membership
  gain script {
    let tiers = [[60, 4.0], [36, 3.0], [24, 2.5], [0, 2.0]];
    for tier in tiers { if tenure_months >= tier[0] { return tier[1]; } }
    2.0
  }
}";
    let mut group = c.benchmark_group("script");
    group.throughput(Throughput::Elements(bundled.customers.len() as u64));
    for (name, rules) in [
        ("dsl-condition", DSL),
        ("script-condition", SCRIPT_CONDITION),
        ("script-tiered-gain", SCRIPT_GAIN),
    ] {
        let engine = compile(
            &bundled.catalog,
            &[("rules.vas".to_string(), rules.to_string())],
            &[],
        );
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            let mut evaluator = engine.evaluator();
            b.iter(|| {
                let mut offers = 0;
                for customer in &bundled.customers {
                    offers += evaluator.evaluate(customer).map_or(0, <[_]>::len);
                }
                offers
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let cases = cases();
    let hand = baseline::load_csv(&sample_csv()).expect("baseline customers");
    load_check_compile(c, &cases);
    evaluate_one(c, &cases, &hand);
    evaluate_batch(c, &cases, &hand);
    if let Some(bundled) = cases.iter().find(|c| c.name == "bundled") {
        assert_eq!(hand.len(), bundled.customers.len());
        stream(c, bundled);
        dry_run(c, bundled);
        funnel(c, bundled);
        one_shot(c, bundled);
        scripts(c, bundled);
    }
}

criterion_group!(engine, benches);
criterion_main!(engine);
