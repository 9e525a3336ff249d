//! Capacity: a limited service goes to the customers with the highest
//! expected gain, ties to the earlier row, over the whole file.

mod common;

use common::{TempDir, root, vasrec};
use std::collections::BTreeSet;

fn package() -> String {
    root()
        .join("tests/packages/capacity")
        .to_string_lossy()
        .into_owned()
}

/// Customer ids that were offered `service`, from `vasrec score` JSON Lines.
fn holders(stdout: &[u8], service: &str) -> BTreeSet<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["offers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["service"] == service)
                .then(|| record["customer_id"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn the_highest_gains_get_the_limited_service_and_ties_go_to_the_earlier_row() {
    // Scores 5, 9, 5, 7, 1 for three managers: c2 (9), c4 (7), then c1 and
    // c3 tie at 5 and c1 comes first.
    let out = vasrec(&["score", "--rules", &package()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: BTreeSet<String> = ["c1", "c2", "c4"].map(String::from).into();
    assert_eq!(holders(&out.stdout, "manager"), expected);
    // c3 loses the manager and gets nothing in its place.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#""customer_id":"c3","line":4,"offers":[]"#)
    );
}

#[test]
fn the_report_shows_demand_unmet_and_first_come_first_served() {
    let out = vasrec(&["dry-run", "--rules", &package(), "--format", "json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let capacity = &report["capacity"][0];
    assert_eq!(capacity["service"], "manager");
    assert_eq!(capacity["capacity"], 3);
    assert_eq!(capacity["demand"], 5);
    assert_eq!(capacity["allocated"], 3);
    assert_eq!(capacity["unmet"], 2);
    // 9 + 7 + 5 against the first three rows, 5 + 9 + 5.
    assert_eq!(capacity["allocated_gain"], 21.0);
    assert_eq!(capacity["first_come_gain"], 19.0);
    let manager = report["funnel"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "manager")
        .unwrap();
    let stages = manager["stages"].as_array().unwrap();
    assert_eq!(stages[8]["stage"], "budget");
    assert_eq!(stages[8]["customers"], 5);
    assert_eq!(stages[9]["stage"], "capacity");
    assert_eq!(stages[9]["customers"], 3);
    assert_eq!(report["services"][0]["offers"], 3);
}

#[test]
fn ignore_capacity_offers_to_everyone() {
    let out = vasrec(&["score", "--rules", &package(), "--ignore-capacity"]);
    assert!(out.status.success());
    assert_eq!(holders(&out.stdout, "manager").len(), 5);
}

#[test]
fn standard_input_is_spooled_for_the_two_passes() {
    let csv = root().join("tests/packages/capacity/customers.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(["score", "--rules", &package(), "--customers", "-"])
        .stdin(std::fs::File::open(&csv).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: BTreeSet<String> = ["c1", "c2", "c4"].map(String::from).into();
    assert_eq!(holders(&out.stdout, "manager"), expected);
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 rows read from -"));
}

/// Over many chunks, with many ties, the allocation is exactly the best
/// `capacity` rows by (gain, earlier row), whatever the number of threads.
#[test]
fn allocation_over_many_chunks_is_exact_and_thread_independent() {
    let dir = TempDir::new("capacity-many");
    let file = dir.path().join("customers.csv");
    let mut text = String::from("id,score\n");
    let mut state = 12345u64;
    let mut scores = Vec::new();
    for i in 0..9000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let score = (state >> 33) % 20; // many ties
        scores.push((i, score));
        text.push_str(&format!("k{i},{score}\n"));
    }
    std::fs::write(&file, text).unwrap();
    // Best three by score, then earlier row.
    scores.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let expected: BTreeSet<String> = scores[..3].iter().map(|(i, _)| format!("k{i}")).collect();
    let file = file.to_string_lossy().into_owned();
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let out = vasrec(&[
            "score",
            "--rules",
            &package(),
            "--customers",
            &file,
            "--threads",
            threads,
        ]);
        assert!(out.status.success());
        assert_eq!(holders(&out.stdout, "manager"), expected);
        let report = vasrec(&[
            "dry-run",
            "--rules",
            &package(),
            "--customers",
            &file,
            "--threads",
            threads,
            "--format",
            "json",
        ]);
        outputs.push((out.stdout, report.stdout));
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// `explain` allocates over the file first, so it tells what a dry-run did.
#[test]
fn explain_says_when_capacity_went_to_others() {
    let out = vasrec(&["explain", "--rules", &package(), "--customer", "c3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("manager's capacity went to customers it adds more gain to")
            && text.contains("manager: lost to capacity (marginal gain 5.00, the last who got it: 5.00); nothing took its place"),
        "{text}"
    );
    let out = vasrec(&["explain", "--rules", &package(), "--customer", "c1"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("OFFERED, rank 1"));
    let out = vasrec(&[
        "explain",
        "--rules",
        &package(),
        "--customer",
        "c3",
        "--ignore-capacity",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("OFFERED, rank 1"));
}

/// Capacity's first pass settles every customer whose offers no allocation
/// can change (no limited candidate, or every one below the worst kept
/// candidate of the chunks merged before), and the second pass evaluates only
/// the other rows: the counts are those of evaluating everyone again with the
/// allocation, whatever the threads, and few rows are left for the second pass.
#[test]
fn the_second_pass_evaluates_only_unsettled_rows_and_counts_the_same() {
    use vasrec::batch::{self, RowSelection};
    use vasrec::capacity::{Demand, first_pass};
    use vasrec::report::Tally;
    use vasrec::{Engine, InputFormat};

    let engine = Engine::load(root().join("rules")).unwrap();
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let (header, rows) = sample.split_once('\n').unwrap();
    // Six copies: 30,000 rows over 15 chunks, every gain tied six times.
    let mut text = format!("{header}\n");
    for _ in 0..6 {
        text.push_str(rows);
    }
    let open = || {
        let bytes = std::io::Cursor::new(text.clone().into_bytes());
        batch::open(&engine, "customers.csv", Box::new(bytes), InputFormat::Csv).unwrap()
    };
    let json = |tally: &Tally| serde_json::to_string(tally).unwrap();

    // As before: the demand of plain evaluations, then everyone again.
    let mut demand = Demand::new(&engine);
    batch::run(
        &engine,
        open(),
        2,
        || Demand::new(&engine),
        |chunk, _| {
            demand.merge(chunk);
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    let allocation = demand.allocate();
    let mut everyone = Tally::new(&engine);
    batch::run_allocated(
        &engine,
        open(),
        2,
        Some(&allocation),
        || Tally::new(&engine),
        |chunk, _| {
            everyone.merge(chunk);
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    let limited_offers = serde_json::to_value(&everyone).unwrap()["capacity_losers"]
        .as_u64()
        .unwrap();
    assert!(
        limited_offers > 1000,
        "the sample must compete for capacity"
    );

    for threads in [1, 2, 3] {
        let mut total = Tally::new(&engine);
        let (settling_demand, selection): (Demand, RowSelection) = first_pass(
            &engine,
            open(),
            threads,
            0,
            || Tally::new(&engine),
            |settled| total.merge(settled),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&settling_demand.allocate()).unwrap(),
            serde_json::to_string(&allocation).unwrap(),
            "the bounds change no demand ({threads} threads)"
        );
        // Without the bounds, at least every customer wanting the most
        // wanted service would be left. With one thread each chunk is
        // merged, and the bounds raised, before the next is read, so that
        // is certain; with more, how many chunks are evaluated before the
        // first merge depends on the schedule (up to all 30,000 rows), and
        // only the counts below must hold.
        let most_wanted = allocation.usage().iter().map(|u| u.demand).max().unwrap();
        let left = selection.len();
        assert!(
            left > 0,
            "no row left for the second pass ({threads} threads)"
        );
        if threads == 1 {
            assert!(
                left < most_wanted,
                "{left} of 30,000 rows left for the second pass, {most_wanted} want one service"
            );
        }
        batch::run_selected(
            &engine,
            open(),
            threads,
            &allocation,
            &selection,
            || Tally::new(&engine),
            |chunk, _| {
                total.merge(chunk);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(json(&total), json(&everyone), "{threads} threads");
    }
}
