//! Command-line limits that hold whatever the input: worker threads within a
//! documented range, output that cannot be written is a failure, loyalty
//! coefficients that would overflow a report are refused at check time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vasrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("vasrec runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A copy of the bundled package whose catalog went through `edit`.
fn package(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vasrec-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in fs::read_dir(&rules).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
    let catalog = dir.join("catalog.yaml");
    let text = fs::read_to_string(&catalog).unwrap();
    fs::write(&catalog, edit(text)).unwrap();
    dir
}

#[test]
fn worker_threads_stay_within_the_documented_range() {
    for command in ["dry-run", "score", "diff"] {
        for threads in ["0", "257", "100000", "two"] {
            let mut args = vec![command, "--threads", threads];
            if command == "diff" {
                args.extend(["--base", "rules"]);
            }
            let out = vasrec(&args);
            assert_eq!(out.status.code(), Some(2), "{command} --threads {threads}");
            assert!(
                stderr(&out).contains("1 and 256") || stderr(&out).contains("(1 to 256)"),
                "{command} --threads {threads}: {}",
                stderr(&out)
            );
        }
    }
    let out = vasrec(&[
        "dry-run",
        "--threads",
        "256",
        "--format",
        "json",
        "--out",
        "/dev/null",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn every_command_fails_when_its_output_cannot_be_written() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipping: no /dev/full on this system");
        return;
    }
    let commands: [&[&str]; 8] = [
        &["check", "rules"],
        &["check", "rules", "--format", "json"],
        &["dry-run"],
        &["score"],
        &["test", "rules"],
        &["explain", "--customer", "S000002-WZIRA"],
        &["diff", "--base", "rules"],
        &["score", "--format", "csv"],
    ];
    for args in commands {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_vasrec"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn loyalty_coefficients_that_would_overflow_are_refused_at_check_time() {
    let dir = package("loyalty", |text| {
        text.replace(
            "{ from: trust, to: repurchase, coefficient: 0.5 }",
            "{ from: trust, to: repurchase, coefficient: 1e308 }",
        )
    });
    let out = vasrec(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must lie between"),
        "{}",
        stderr(&out)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised() {
    let dir = package("formula", |text| {
        text.replacen(
            "name: 专属客户经理",
            "name: \"=HYPERLINK(\\\"http://example.org\\\")\"",
            1,
        )
    });
    let rules = dir.to_str().unwrap();
    let out = vasrec(&["score", "--rules", rules, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.contains("\"'=HYPERLINK("),
        "the formula cell is not neutralised"
    );
    assert!(!csv.contains(",=HYPERLINK(") && !csv.contains(",\"=HYPERLINK("));
    let out = vasrec(&["score", "--rules", rules, "--format", "csv", "--raw-csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"=HYPERLINK("));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn escape_sequences_in_a_package_never_reach_the_terminal_in_diagnostics() {
    let dir = package("escape", |text| text);
    // An unknown attribute on a line that also carries a screen-clearing
    // sequence and an OSC 52 clipboard write.
    fs::write(
        dir.join("zz_escape.vas"),
        "rule clear_screen for everyone {\n  when tenur_months > 1 # \u{1b}[2J\u{1b}]52;c;aGk=\u{7}\n  offer feedback_callback_24h\n  gain 1\n  because \"\u{1b}[31mred\"\n}\n",
    )
    .unwrap();
    let out = vasrec(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("tenur_months"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(
        err.contains('\u{241b}'),
        "the escape shows as a visible picture: {err}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A package with a chain of `levels` segments under `everyone`.
fn chain(name: &str, levels: usize) -> PathBuf {
    let dir = package(name, |text| text);
    let mut vas = String::from("segment level_1 under everyone { when true }\n");
    for i in 2..=levels {
        vas.push_str(&format!(
            "segment level_{i} under level_{} {{ when tenure_months >= 0 }}\n",
            i - 1
        ));
    }
    fs::write(dir.join("zz_chain.vas"), vas).unwrap();
    dir
}

#[test]
fn segment_chains_are_bounded_in_depth() {
    // `everyone` is at depth 0, so level_64 is 64 levels down: allowed.
    let dir = chain("depth-ok", 64);
    let out = vasrec(&["check", dir.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains("TOO_DEEP"), "{}", stderr(&out));
    let _ = fs::remove_dir_all(&dir);
    // A long chain is refused once, quickly, at the first segment too deep.
    let dir = chain("depth-long", 20_000);
    let out = vasrec(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error[TOO_DEEP]"), "{err}");
    assert!(err.contains("`level_65`"), "{err}");
    assert_eq!(err.matches("error[TOO_DEEP]").count(), 1, "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn escape_sequences_in_customer_data_never_reach_a_terminal() {
    // `script` gives the command a terminal as its standard output.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no `script` command to give vasrec a terminal");
        return;
    }
    let customer =
        r#"{"customerID": "X-\u001b[2J\u001b]52;c;aGk=\u0007", "tenure": 3, "MonthlyCharges": 50}"#;
    let command = format!(
        "{} explain --json '{customer}'",
        env!("CARGO_BIN_EXE_vasrec")
    );
    let out = Command::new("script")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("Customer X-"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains('\u{241b}'), "{shown}");
}
