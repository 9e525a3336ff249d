//! Reports that merge exactly: a run split into parts (random cut points,
//! 1 to 8 parts, partials merged in a random order and grouping, through
//! their JSON form) gives the report of one run over all the rows, byte for
//! byte; capacity decided over the parts' merged demand gives the cut-offs
//! of one run; parts of another package or shape version are refused.

mod common;

use common::rng::Rng;
use common::root;
use std::io::Cursor;
use vasrec::batch::{self, RunError};
use vasrec::capacity::{Allocation, Demand, PartialDemand, SharedAllocation};
use vasrec::partial::{PartialError, PartialReport};
use vasrec::report::{DryRunReport, Tally};
use vasrec::{Engine, InputFormat};

/// A CSV text cut into a header and one line per row.
struct Rows {
    header: String,
    rows: Vec<String>,
}

impl Rows {
    fn new(text: &str) -> Rows {
        let mut lines = text.lines().map(str::to_string);
        let header = lines.next().unwrap();
        Rows {
            header,
            rows: lines.collect(),
        }
    }

    /// Rows `from..to` as a CSV file of their own (with the header).
    fn csv(&self, from: usize, to: usize) -> Vec<u8> {
        let mut text = self.header.clone() + "\n";
        for row in &self.rows[from..to] {
            text.push_str(row);
            text.push('\n');
        }
        text.into_bytes()
    }
}

fn reader(engine: &Engine, name: &str, bytes: Vec<u8>) -> vasrec::CustomerReader {
    batch::open(engine, name, Box::new(Cursor::new(bytes)), InputFormat::Csv).unwrap()
}

fn demand_of(engine: &Engine, name: &str, bytes: Vec<u8>, line_offset: u64) -> Demand {
    let mut demand = Demand::for_part(engine, line_offset);
    let result: Result<(), RunError<()>> = batch::run(
        engine,
        reader(engine, name, bytes),
        2,
        || Demand::for_part(engine, line_offset),
        |chunk, _| {
            demand.merge(chunk);
            Ok(())
        },
    );
    result.unwrap();
    demand
}

fn tally_of(
    engine: &Engine,
    name: &str,
    bytes: Vec<u8>,
    allocation: Option<&Allocation>,
    new_tally: impl Fn() -> Tally + Sync,
) -> Tally {
    let mut total = new_tally();
    let result: Result<(), RunError<()>> = batch::run_allocated(
        engine,
        reader(engine, name, bytes),
        2,
        allocation,
        &new_tally,
        |chunk, _| {
            total.merge(chunk);
            Ok(())
        },
    );
    result.unwrap();
    total
}

fn json(report: &DryRunReport) -> String {
    serde_json::to_string_pretty(report).unwrap() + "\n"
}

/// One run over every row, as `vasrec dry-run --format json` makes it;
/// and its allocation's JSON.
fn whole_run(engine: &Engine, rows: &Rows, name: &str) -> (String, Option<String>) {
    let bytes = rows.csv(0, rows.rows.len());
    let allocation =
        Demand::needed(engine).then(|| demand_of(engine, name, bytes.clone(), 0).allocate());
    let tally = tally_of(engine, name, bytes, allocation.as_ref(), || {
        Tally::new(engine)
    });
    let report =
        DryRunReport::new(engine, &tally, name).with_capacity(engine, &tally, allocation.as_ref());
    let shared = allocation.map(|a| SharedAllocation::new(engine, a).to_json());
    (json(&report), shared)
}

/// Merges the items in a random order and grouping: two at random at a
/// time, until one is left.
fn merge_randomly<T>(mut items: Vec<T>, random: &mut Rng, merge: impl Fn(&mut T, T)) -> T {
    while items.len() > 1 {
        let a = items.swap_remove(random.below(items.len()));
        let mut b = items.swap_remove(random.below(items.len()));
        merge(&mut b, a);
        items.push(b);
    }
    items.pop().unwrap()
}

/// The same rows cut into parts at random and run as a distributed job
/// would: demand per part, merged on a "driver", the allocation sent back
/// as JSON, a partial report per part, merged. Returns the report's JSON
/// and the allocation's.
fn split_run(
    engine: &Engine,
    rows: &Rows,
    name: &str,
    random: &mut Rng,
) -> (String, Option<String>, Vec<usize>) {
    let n = rows.rows.len();
    let parts = 1 + random.below(8);
    let mut cuts: Vec<usize> = (1..parts).map(|_| random.below(n + 1)).collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    // A part holds rows cuts[i]..cuts[i+1] (some may be empty); its line
    // n is line n + cuts[i] of the whole file (one header in each).
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let part_name = |i: usize| format!("part-{i}.csv");

    let shared = Demand::needed(engine).then(|| {
        let demands: Vec<PartialDemand> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(from, to))| {
                let demand = demand_of(engine, &part_name(i), rows.csv(from, to), from as u64);
                PartialDemand::from_json(&PartialDemand::new(engine, demand).to_json()).unwrap()
            })
            .collect();
        let total = merge_randomly(demands, random, |into, part| into.merge(part).unwrap());
        total.allocate(engine).unwrap().to_json()
    });
    let received = shared
        .as_ref()
        .map(|text| SharedAllocation::from_json(text).unwrap());
    let partials: Vec<PartialReport> = ranges
        .iter()
        .enumerate()
        .map(|(i, &(from, to))| {
            let offset = from as u64;
            let allocation = received
                .as_ref()
                .map(|shared| shared.for_part(engine, offset).unwrap());
            let tally = tally_of(
                engine,
                &part_name(i),
                rows.csv(from, to),
                allocation.as_ref(),
                || Tally::for_part(engine, offset, Some(name)),
            );
            let partial = PartialReport::new(engine, tally, name, allocation.as_ref());
            PartialReport::from_json(&partial.to_json()).unwrap()
        })
        .collect();
    let merged = merge_randomly(partials, random, |into, part| {
        into.merge(part).unwrap();
        // Sometimes through JSON mid-way, as a tree of reducers would.
        *into = PartialReport::from_json(&into.to_json()).unwrap();
    });
    (json(&merged.report(engine).unwrap()), shared, cuts)
}

fn bundled() -> (Engine, Rows) {
    let engine = Engine::load(root().join("rules")).unwrap();
    let text = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    (engine, Rows::new(&text))
}

#[test]
fn any_split_of_the_bundled_sample_merges_into_the_one_run_report() {
    let (engine, rows) = bundled();
    assert!(
        Demand::needed(&engine),
        "the bundled package limits capacity"
    );
    let (whole, whole_allocation) = whole_run(&engine, &rows, "customers.csv");
    let mut random = Rng(24);
    for round in 0..6 {
        let (merged, allocation, cuts) = split_run(&engine, &rows, "customers.csv", &mut random);
        assert_eq!(allocation, whole_allocation, "round {round}, cuts {cuts:?}");
        assert!(
            merged == whole,
            "round {round}, cuts {cuts:?}: the merged report differs"
        );
    }
}

/// The capacity test package with room for 40 managers, gains that sum
/// inexactly in binary and tie often, a satisfaction-free catalog, and
/// rows that cannot be read.
fn generated() -> (Engine, Rows) {
    let catalog = std::fs::read_to_string(root().join("tests/packages/capacity/catalog.yaml"))
        .unwrap()
        .replace("capacity: 3", "capacity: 40");
    let rules = "segment everyone { when true }
segment high under everyone { when score >= 6 }
rule give_manager for everyone { offer manager gain score * 0.37 + 0.01 }
rule give_tips for everyone { when score < 3 offer tips gain 0.1 * score + 0.7 }
rule high_tips for high { when score > 8.5 offer tips gain 1.3 }
";
    let engine = Engine::from_sources(&catalog, &[("rules.vas", rules)]).unwrap();
    let mut random = Rng(7);
    let mut text = String::from("id,score\n");
    for i in 0..3000 {
        let score = match random.below(50) {
            // A bad value: the row is a data error the report lists by line.
            0 => "many".to_string(),
            k if k < 25 => format!("{}", random.below(10)),
            _ => format!("{}.{}", random.below(10), random.below(100)),
        };
        text.push_str(&format!("c{i},{score}\n"));
    }
    (engine, Rows::new(&text))
}

#[test]
fn any_split_of_a_generated_population_with_capacity_merges_into_the_one_run_report() {
    let (engine, rows) = generated();
    let (whole, whole_allocation) = whole_run(&engine, &rows, "population.csv");
    let report: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(
        report["capacity"][0]["unmet"].as_u64().map(|u| u > 100),
        Some(true)
    );
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(20),
        "{}",
        report["errors"]
    );
    assert!(report["totals"]["data_errors"].as_u64().unwrap() > 20);
    let mut random = Rng(2024);
    for round in 0..12 {
        let (merged, allocation, cuts) = split_run(&engine, &rows, "population.csv", &mut random);
        assert_eq!(allocation, whole_allocation, "round {round}, cuts {cuts:?}");
        if merged != whole {
            let diff: Vec<String> = whole
                .lines()
                .zip(merged.lines())
                .filter(|(a, b)| a != b)
                .take(5)
                .map(|(a, b)| format!("one run: {a}\nmerged:  {b}"))
                .collect();
            panic!("round {round}, cuts {cuts:?}:\n{}", diff.join("\n"));
        }
    }
}

fn partial_of(engine: &Engine, rows: &Rows, name: &str) -> PartialReport {
    let bytes = rows.csv(0, rows.rows.len());
    let tally = tally_of(engine, name, bytes, None, || Tally::new(engine));
    PartialReport::new(engine, tally, name, None)
}

#[test]
fn partials_of_another_package_refuse_to_merge() {
    let (engine, rows) = generated();
    let catalog =
        std::fs::read_to_string(root().join("tests/packages/capacity/catalog.yaml")).unwrap();
    let rules = std::fs::read_to_string(root().join("tests/packages/capacity/rules.vas")).unwrap();
    let other = Engine::from_sources(&catalog, &[("rules.vas", &rules)]).unwrap();
    let few = Rows {
        header: rows.header.clone(),
        rows: rows.rows[..50].to_vec(),
    };
    let mut mine = partial_of(&engine, &few, "a.csv");
    let theirs = partial_of(&other, &few, "b.csv");
    let error = mine.merge(theirs.clone()).unwrap_err();
    assert!(
        matches!(error, PartialError::OtherPackage { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("capacity-check") && message.contains("do not merge"),
        "{message}"
    );
    // Nor does a partial turn into a report of another package.
    let error = theirs.report(&engine).unwrap_err();
    assert!(
        matches!(error, PartialError::OtherPackage { .. }),
        "{error}"
    );
    // And an allocation of one package is not used by another.
    let shared = SharedAllocation::new(
        &other,
        demand_of(&other, "b.csv", few.csv(0, 50), 0).allocate(),
    );
    assert!(matches!(
        shared.for_part(&engine, 0),
        Err(PartialError::OtherPackage { .. })
    ));
}

#[test]
fn a_partial_of_another_schema_version_or_kind_is_refused_with_a_clear_message() {
    let (engine, rows) = generated();
    let few = Rows {
        header: rows.header.clone(),
        rows: rows.rows[..20].to_vec(),
    };
    let text = partial_of(&engine, &few, "a.csv").to_json();
    assert!(text.contains("\"schema_version\": 2,"), "{text}");
    let newer = text.replacen("\"schema_version\": 2,", "\"schema_version\": 3,", 1);
    let error = PartialReport::from_json(&newer).unwrap_err();
    assert_eq!(
        error,
        PartialError::SchemaVersion {
            what: "a partial report",
            found: 3
        }
    );
    let message = error.to_string();
    assert!(
        message.starts_with("a partial report of schema_version 3 cannot be read by this vasrec")
            && message.contains("reads schema_version 2"),
        "{message}"
    );
    let demand = PartialDemand::new(&engine, Demand::new(&engine)).to_json();
    let error = PartialReport::from_json(&demand).unwrap_err();
    assert_eq!(
        error.to_string(),
        "this is not a partial report but `vasrec.demand`"
    );
    let error =
        PartialReport::from_json("{\"kind\": \"vasrec.partial_report\", \"schema_version\": 2}")
            .unwrap_err();
    assert!(matches!(error, PartialError::Malformed { .. }), "{error}");
    assert!(PartialReport::from_json("[1, 2").is_err());
    // Counts past u64 in hand-edited partials saturate rather than overflow.
    let huge = text.replacen(
        "\"customers\": 20,",
        "\"customers\": 18446744073709551615,",
        1,
    );
    assert_ne!(huge, text);
    let mut total = PartialReport::from_json(&huge).unwrap();
    total
        .merge(PartialReport::from_json(&huge).unwrap())
        .unwrap();
    assert_eq!(total.customers(), u64::MAX);
    assert_eq!(total.report(&engine).unwrap().totals.customers, u64::MAX);
    // A hand-edited partial whose tables do not fit the package.
    let cut = text.replacen("\"rule_fired\": [", "\"rule_fired\": [0, ", 1);
    let error = PartialReport::from_json(&cut)
        .unwrap()
        .report(&engine)
        .unwrap_err();
    assert!(matches!(error, PartialError::Mismatch(_)), "{error}");
}

// The command line: the same two-step with files.

use common::{TempDir, golden, vasrec};

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_command_line_two_step_over_file_parts_gives_the_one_run_report() {
    let dir = TempDir::new("merge-cli");
    let (_, rows) = bundled();
    let cuts = [0, 1234, 1235, 4000, rows.rows.len()];
    let path = |name: String| dir.path().join(name).to_string_lossy().into_owned();
    for (i, w) in cuts.windows(2).enumerate() {
        std::fs::write(path(format!("part-{i}.csv")), rows.csv(w[0], w[1])).unwrap();
    }
    let offset = |i: usize| cuts[i].to_string();
    let mut demands = vec!["merge".to_string()];
    for i in 0..4 {
        let (part, demand) = (
            path(format!("part-{i}.csv")),
            path(format!("demand-{i}.json")),
        );
        let o = offset(i);
        ok(&vasrec(&[
            "dry-run",
            "--customers",
            &part,
            "--line-offset",
            &o,
            "--demand-out",
            &demand,
        ]));
        demands.push(demand);
    }
    demands.reverse();
    demands.rotate_right(1);
    let allocation = path("allocation.json".into());
    demands.extend(["--out".to_string(), allocation.clone()]);
    let args: Vec<&str> = demands.iter().map(String::as_str).collect();
    ok(&vasrec(&args));
    let mut partials = vec!["merge".to_string(), "rules".to_string()];
    for i in [2, 0, 3, 1] {
        let (part, partial) = (
            path(format!("part-{i}.csv")),
            path(format!("partial-{i}.json")),
        );
        let o = offset(i);
        let out = vasrec(&[
            "dry-run",
            "--customers",
            &part,
            "--line-offset",
            &o,
            "--allocation",
            &allocation,
            "--partial-out",
            &partial,
        ]);
        ok(&out);
        assert!(
            stderr(&out).contains("wrote the partial report of"),
            "{}",
            stderr(&out)
        );
        partials.push(partial);
    }
    partials.extend(["--format", "json"].map(String::from));
    let args: Vec<&str> = partials.iter().map(String::as_str).collect();
    let merged = ok(&vasrec(&args));
    let whole = ok(&vasrec(&["dry-run", "--format", "json"]));
    // The parts' files are named; everything else is the same.
    let names: Vec<String> = (0..4).map(|i| path(format!("part-{i}.csv"))).collect();
    let merged = merged.replace(&names.join(", "), "rules/customers.csv");
    assert!(merged == whole, "the merged report differs from one run's");
    // Without the shared allocation, each part would have given out the
    // limited services on its own: the capacity rows differ.
    let alone = path("alone.json".into());
    ok(&vasrec(&[
        "dry-run",
        "--customers",
        &names[3],
        "--partial-out",
        &alone,
    ]));
    let out = vasrec(&["merge", &path("partial-1.json".into()), &alone]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("different capacity allocations"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn merge_refuses_parts_it_cannot_join_and_says_which_file() {
    let dir = TempDir::new("merge-refuse");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let capacity = "tests/packages/capacity";
    ok(&vasrec(&[
        "dry-run",
        capacity,
        "--partial-out",
        &path("c.json"),
    ]));
    ok(&vasrec(&[
        "dry-run",
        "--ignore-capacity",
        "--customers",
        "rules/customers.csv",
        "--partial-out",
        &path("r.json"),
    ]));
    let out = vasrec(&["merge", &path("r.json"), &path("c.json")]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.starts_with(&format!(
            "error: {}: a partial report was made by package `capacity-check`",
            path("c.json")
        )),
        "{message}"
    );
    // Demands and reports do not mix, and --format is for reports.
    ok(&vasrec(&[
        "dry-run",
        capacity,
        "--demand-out",
        &path("d.json"),
    ]));
    let out = vasrec(&["merge", capacity, &path("d.json"), &path("c.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a partial demand but `vasrec.partial_report`"),
        "{}",
        stderr(&out)
    );
    let out = vasrec(&["merge", capacity, &path("d.json"), "--format", "table"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--format is for partial reports"),
        "{}",
        stderr(&out)
    );
    // A partial report instead of the report: not both.
    let out = vasrec(&[
        "dry-run",
        capacity,
        "--partial-out",
        &path("x.json"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A part file past the limit is refused before it is read (a sparse file).
    let big = std::fs::File::create(path("big.json")).unwrap();
    big.set_len((1 << 30) + 1).unwrap();
    let out = vasrec(&["merge", capacity, &path("big.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a part file may hold at most 1073741824 (1 GiB)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn golden_partial_report_and_demand() {
    let dir = TempDir::new("merge-golden");
    let path = |name: &str| dir.path().join(name);
    let capacity = "tests/packages/capacity";
    let report = path("partial.json");
    ok(&vasrec(&[
        "dry-run",
        capacity,
        "--partial-out",
        report.to_str().unwrap(),
    ]));
    let demand = path("demand.json");
    ok(&vasrec(&[
        "dry-run",
        capacity,
        "--demand-out",
        demand.to_str().unwrap(),
    ]));
    for (file, name) in [
        (report, "partial_report.json"),
        (demand, "partial_demand.json"),
    ] {
        let text = std::fs::read_to_string(file).unwrap();
        if let Some(problem) = golden(&root().join("tests/golden").join(name), &text) {
            panic!("{problem}");
        }
    }
}

#[test]
fn a_tally_counted_customer_by_customer_equals_the_batch_runs() {
    // As a binding over columnar batches would count: its own evaluator,
    // lines it numbers itself, the allocation the driver sent.
    let (engine, rows) = generated();
    let rows = Rows {
        header: rows.header.clone(),
        rows: rows
            .rows
            .iter()
            .filter(|r| !r.ends_with("many"))
            .cloned()
            .collect(),
    };
    let bytes = rows.csv(0, rows.rows.len());
    let allocation = demand_of(&engine, "p.csv", bytes.clone(), 0).allocate();
    let batch = tally_of(&engine, "p.csv", bytes.clone(), Some(&allocation), || {
        Tally::new(&engine)
    });
    let customers = batch::read_all(
        &engine,
        "p.csv",
        Box::new(Cursor::new(bytes)),
        InputFormat::Csv,
    )
    .unwrap();
    let mut by_hand = Tally::new(&engine);
    let mut evaluator = engine.evaluator_with(Some(&allocation));
    for (i, customer) in customers.iter().enumerate() {
        let line = i as u64 + 2;
        evaluator.set_row(line);
        evaluator.evaluate(customer).unwrap();
        by_hand.add_evaluated(&evaluator, customer, line);
    }
    let report = |tally: &Tally| {
        json(&DryRunReport::new(&engine, tally, "p.csv").with_capacity(
            &engine,
            tally,
            Some(&allocation),
        ))
    };
    assert!(report(&by_hand) == report(&batch));
    assert!(batch.customers() > 2000 && batch.errors() == 0);
}
