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
