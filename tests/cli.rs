//! The `vasrec` binary driven as a user would: exact output, exit codes.

mod common;

use common::{TempDir, copy_rules, golden, root, vasrec};
use std::io::Write;
use std::process::{Command, Stdio};

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn assert_golden(name: &str, actual: &str) {
    if let Some(difference) = golden(&root().join("tests/golden").join(name), actual) {
        panic!("{difference}");
    }
}

#[test]
fn check_bundled_package() {
    let out = vasrec(&["check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_golden("check_rules.txt", &(text(&out.stdout) + &text(&out.stderr)));
}

#[test]
fn check_reports_a_typo_with_location_and_suggestion() {
    let dir = TempDir::new("typo");
    copy_rules(dir.path());
    let segments = dir.path().join("segments.vas");
    let source = std::fs::read_to_string(&segments).unwrap();
    std::fs::write(
        &segments,
        source.replacen("when tenure_months < 6", "when tenure_month < 6", 1),
    )
    .unwrap();
    let out = vasrec(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr).replace(dir.path().to_str().unwrap(), "<package>");
    assert_golden("check_typo.txt", &stderr);
    assert!(stderr.contains("did you mean `tenure_months`?"));
}

#[test]
fn check_json_lists_diagnostics_for_tools() {
    let dir = TempDir::new("json");
    copy_rules(dir.path());
    std::fs::write(
        dir.path().join("zz.vas"),
        "rule broken for nowhere { offer priority_support }\n",
    )
    .unwrap();
    let out = vasrec(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["code"], "UNKNOWN_SEGMENT");
    assert_eq!(json[0]["file"], "zz.vas");
    assert_eq!(json[0]["line"], 1);
    assert_eq!(json[0]["column"], 17);
}

#[test]
fn dry_run_with_no_arguments_reports_the_sample() {
    let out = vasrec(&["dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_golden("dry_run_table.txt", &text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn dry_run_json_and_csv() {
    let out = vasrec(&["dry-run", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_golden("dry_run.json", &text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["totals"]["customers"], 5000);
    let out = vasrec(&["dry-run", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_golden("dry_run.csv", &text(&out.stdout));
}

#[test]
fn reports_are_identical_across_runs_and_thread_counts() {
    let run = |threads: &str| vasrec(&["dry-run", "--format", "json", "--threads", threads]).stdout;
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("1"));
    assert_eq!(one, run("2"));
    assert_eq!(one, run("7"));
}

#[test]
fn json_lines_input_gives_the_same_report_as_csv() {
    let dir = TempDir::new("jsonl");
    let jsonl = dir.path().join("customers.jsonl");
    let mut reader = csv::Reader::from_path(root().join("rules/customers.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut out = std::fs::File::create(&jsonl).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let object: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        writeln!(out, "{}", serde_json::Value::Object(object)).unwrap();
    }
    drop(out);
    let from_csv = vasrec(&["dry-run", "--format", "json"]);
    let from_jsonl = vasrec(&[
        "dry-run",
        "--format",
        "json",
        "--customers",
        jsonl.to_str().unwrap(),
    ]);
    assert_eq!(
        from_jsonl.status.code(),
        Some(0),
        "{}",
        text(&from_jsonl.stderr)
    );
    let mut a: serde_json::Value = serde_json::from_slice(&from_csv.stdout).unwrap();
    let mut b: serde_json::Value = serde_json::from_slice(&from_jsonl.stdout).unwrap();
    a["customers_file"] = serde_json::Value::Null;
    b["customers_file"] = serde_json::Value::Null;
    assert_eq!(a, b);
}

#[test]
fn customers_from_standard_input() {
    let csv = std::fs::read(root().join("rules/customers.csv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(["dry-run", "--customers", "-", "--format", "json"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&csv).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["customers"], 5000);
}

fn bad_rows_file(dir: &TempDir) -> String {
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().take(6).map(str::to_string).collect();
    // Line 3: tenure is not a number. Line 5: a field short.
    let fields: Vec<&str> = lines[2].split(',').collect();
    let mut broken: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    broken[5] = "abc".into();
    lines[2] = broken.join(",");
    let short: Vec<&str> = lines[4].split(',').collect();
    lines[4] = short[..short.len() - 1].join(",");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_bad_row_stops_the_run_with_file_line_and_column() {
    let dir = TempDir::new("bad");
    let file = bad_rows_file(&dir);
    let out = vasrec(&["dry-run", "--customers", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    let stderr = text(&out.stderr).replace(&file, "bad.csv");
    assert_eq!(
        stderr,
        "error: bad.csv:3:6: `tenure` (attribute `tenure_months`): expected a number, found `abc`\n\
         (use --on-error skip or --on-error report to set bad rows aside and go on)\n"
    );
}

#[test]
fn bad_rows_can_be_skipped_and_counted() {
    let dir = TempDir::new("skip");
    let file = bad_rows_file(&dir);
    let out = vasrec(&[
        "dry-run",
        "--customers",
        &file,
        "--on-error",
        "skip",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["customers"], 5);
    assert_eq!(report["totals"]["evaluated"], 3);
    assert_eq!(report["totals"]["data_errors"], 2);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors[1]
            .as_str()
            .unwrap()
            .ends_with(":5: the row has 35 fields but the header has 36"),
        "{errors:?}"
    );
}

#[test]
fn report_goes_to_a_file_atomically() {
    let dir = TempDir::new("out");
    let target = dir.path().join("report.json");
    let out = vasrec(&[
        "dry-run",
        "--format",
        "json",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("\"schema_version\": 1")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");

    // A failed run leaves the previous report untouched.
    let bad = bad_rows_file(&dir);
    let out = vasrec(&[
        "dry-run",
        "--customers",
        &bad,
        "--format",
        "json",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("\"customers\": 5000")
    );
}

#[test]
fn unwritable_output_is_a_clear_error() {
    let out = vasrec(&["dry-run", "--out", "/nonexistent-folder/report.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot write `/nonexistent-folder/report.txt`"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        vasrec(&["dry-run", "--no-such-flag"]).status.code(),
        Some(2)
    );
    let out = vasrec(&["dry-run", "--customers", "missing.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open customers file `missing.csv`"));
    let out = vasrec(&["check", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no folder `no-such-folder`"));
}

/// The real IBM telco file, read as it is, when the shared data is present.
#[test]
fn real_telco_customers() {
    let data = root().join("../shared/data/telco-churn/telco-churn.csv");
    if !data.exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let out = vasrec(&[
        "dry-run",
        "--customers",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"]["customers"], 7043);
    assert_eq!(report["totals"]["evaluated"], 7043);
    assert!(report["totals"]["customers_with_offers"].as_u64().unwrap() > 6000);
    assert!(text(&out.stderr).contains("has no column for channel"));
}

/// A pipe (or device) given as `--out` is written to, never replaced by a
/// renamed file: `--out /dev/null` as root must not turn /dev/null into a file.
#[cfg(unix)]
#[test]
fn writing_to_a_pipe_leaves_it_a_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new("fifo");
    let fifo = dir.path().join("report.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = vasrec(&[
        "dry-run",
        "--format",
        "json",
        "--out",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Checked before joining: a replaced pipe would leave the reader waiting forever.
    assert!(
        std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "the pipe was replaced"
    );
    assert!(reader.join().unwrap().contains("\"schema_version\": 1"));
}

/// Customers left with nothing, and the rule that nearly reached them,
/// counted by hand on four customers.
#[test]
fn customers_left_with_nothing_and_their_nearest_miss() {
    let dir = TempDir::new("no-offer");
    std::fs::copy(
        root().join("tests/cases/catalog.yaml"),
        dir.path().join("catalog.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules.vas"),
        "segment everyone { when true }\n\
         segment retail under everyone { when channel == \"retail\" }\n\
         rule big_spender for retail { when spend_12m >= 5000 and tenure_months >= 1 offer account_manager gain 3 }\n\
         rule loyal for everyone { when tenure_months >= 24 offer callback }\n",
    )
    .unwrap();
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "id,spend_12m,tenure_months,channel\nc1,4000,3,retail\nc2,3000,5,retail\nc3,9000,2,online\nc4,6000,30,retail\n",
    )
    .unwrap();
    let out = vasrec(&[
        "dry-run",
        "--rules",
        dir.path().to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["no_offer"],
        serde_json::json!([
            {"segment": "everyone", "customers": 1, "nearest_miss":
                {"rule": "loyal", "condition": "tenure_months >= 24", "customers": 1, "median_shortfall": 22.0}},
            {"segment": "retail", "customers": 2, "nearest_miss":
                {"rule": "big_spender", "condition": "spend_12m >= 5000", "customers": 2, "median_shortfall": 1000.0}},
        ])
    );
}

/// `vasrec check --format json | head`: a reader that stops early is not a
/// crash (the broken pipe is ignored; the exit code still says what it found).
#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    use std::io::Read;
    let dir = TempDir::new("early-reader");
    std::fs::copy(
        root().join("tests/cases/catalog.yaml"),
        dir.path().join("catalog.yaml"),
    )
    .unwrap();
    let mut rules = String::from("segment everyone { when true }\n");
    for i in 0..3000 {
        rules.push_str(&format!(
            "rule r{i} for everyone {{ when spnd > 1 offer callback }}\n"
        ));
    }
    std::fs::write(dir.path().join("rules.vas"), rules).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}
