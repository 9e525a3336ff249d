//! One command-line grammar: every command takes its package the same two
//! ways, every command that reads customers handles bad rows the same way,
//! a missing package is a usage error, and every `--help` shows examples.

mod common;

use common::{TempDir, root, vasrec};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The commands that read a rule package, with what else each needs to run.
fn package_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check"],
        vec!["test"],
        vec!["dry-run", "--format", "json"],
        vec!["score", "--format", "csv"],
        vec!["explain", "--customer", "S000002-WZIRA"],
        vec!["diff", "--base", "rules", "--format", "json"],
    ]
}

#[test]
fn every_command_takes_the_package_as_argument_or_with_rules() {
    for command in package_commands() {
        let mut positional = command.clone();
        positional.insert(1, "rules");
        let mut flagged = command.clone();
        flagged.extend(["--rules", "rules"]);
        let (a, b) = (vasrec(&positional), vasrec(&flagged));
        assert_eq!(a.status.code(), Some(0), "{command:?}: {}", text(&a.stderr));
        assert_eq!(b.status.code(), Some(0), "{command:?}: {}", text(&b.stderr));
        assert_eq!(a.stdout, b.stdout, "{command:?}: the two ways differ");

        let mut both = positional.clone();
        both.extend(["--rules", "rules"]);
        assert_eq!(vasrec(&both).status.code(), Some(2), "{command:?}");
    }
}

#[test]
fn a_missing_package_folder_is_a_usage_error_that_says_what_to_do() {
    let dir = TempDir::new("missing-package");
    let empty = dir.path().to_str().unwrap();
    for command in package_commands() {
        for folder in ["no-such-folder", "rules/catalog.yaml", empty] {
            let mut args = command.clone();
            args.insert(1, folder);
            let out = vasrec(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
            assert!(stderr.contains("vasrec init DIR"), "{args:?}: {stderr}");
        }
    }
    let out = vasrec(&["diff", "--base", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no folder `no-such-folder`"));
}

/// A copy of the sample's first rows with a bad row (line 3: tenure `abc`).
fn bad_rows_file(dir: &TempDir) -> String {
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().take(6).map(str::to_string).collect();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[5] = "abc".into();
    lines[2] = fields.join(",");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

/// The commands that read customers, with what else each needs.
fn customer_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["dry-run", "--format", "json"],
        vec!["score"],
        vec!["diff", "--base", "rules", "--format", "json"],
    ]
}

#[test]
fn every_customer_command_stops_at_a_bad_row_by_default() {
    let dir = TempDir::new("on-error-default");
    let file = bad_rows_file(&dir);
    for command in customer_commands() {
        let mut args = command.clone();
        args.extend(["--customers", &file]);
        let out = vasrec(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(":3:6: `tenure`"), "{args:?}: {stderr}");
        assert!(stderr.contains("--on-error report"), "{args:?}: {stderr}");
    }
}

#[test]
fn every_customer_command_skips_or_reports_bad_rows_the_same_way() {
    let dir = TempDir::new("on-error");
    let file = bad_rows_file(&dir);
    for command in customer_commands() {
        let mut skip = command.clone();
        skip.extend(["--customers", &file, "--on-error", "skip"]);
        let out = vasrec(&skip);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{skip:?}: {}",
            text(&out.stderr)
        );

        let rejects = dir.path().join(format!("{}-rejects.csv", command[0]));
        let mut report = command.clone();
        report.extend(["--customers", &file, "--on-error", "report"]);
        report.extend(["--rejects", rejects.to_str().unwrap()]);
        let out = vasrec(&report);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{report:?}: {}",
            text(&out.stderr)
        );
        let written = std::fs::read_to_string(&rejects).unwrap();
        let mut lines = written.lines();
        assert_eq!(lines.next(), Some("line,reason,row"), "{report:?}");
        let row = lines.next().unwrap_or_default();
        assert!(row.starts_with("3,"), "{report:?}: {written}");
        assert!(
            row.contains("expected a number, found `abc`"),
            "{report:?}: {written}"
        );
        assert!(
            row.contains(",abc,"),
            "{report:?}: the raw row is kept: {written}"
        );
        assert_eq!(lines.next(), None, "{report:?}: one bad row: {written}");

        // --rejects alone means report; with skip or fail it is a mistake.
        let mut implied = command.clone();
        implied.extend(["--customers", &file, "--rejects", rejects.to_str().unwrap()]);
        assert_eq!(vasrec(&implied).status.code(), Some(0), "{implied:?}");
        let mut contradiction = skip.clone();
        contradiction.extend(["--rejects", rejects.to_str().unwrap()]);
        let out = vasrec(&contradiction);
        assert_eq!(out.status.code(), Some(2), "{contradiction:?}");
        assert!(text(&out.stderr).contains("--rejects goes with --on-error report"));
    }
}

#[test]
fn every_help_ends_with_examples() {
    // Every command `vasrec --help` lists, so a new one cannot be forgotten.
    let overview = text(&vasrec(&["--help"]).stdout);
    let commands: Vec<String> = overview
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 11, "{overview}");
    for command in &commands {
        let out = vasrec(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        let examples = help
            .find("Examples:")
            .unwrap_or_else(|| panic!("`vasrec {command} --help` shows no example:\n{help}"));
        assert!(
            help[examples..].contains(&format!("vasrec {command}")),
            "{command}: {help}"
        );
    }
    let top = text(&vasrec(&["--help"]).stdout);
    assert!(top.contains("vasrec init my-rules"), "{top}");
}

#[test]
fn init_makes_a_package_that_checks_and_passes_its_tests() {
    let dir = TempDir::new("init");
    let package = dir.path().join("my-rules");
    let package = package.to_str().unwrap();
    let out = vasrec(&["init", package]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("vasrec check"));

    let check = vasrec(&["check", package, "--deny-warnings"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let test = vasrec(&["test", package, "--min-coverage", "100"]);
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}{}",
        text(&test.stdout),
        text(&test.stderr)
    );
    assert!(text(&test.stdout).contains("passed; 0 failed"));
    let dry_run = vasrec(&["dry-run", package, "--format", "json"]);
    assert_eq!(dry_run.status.code(), Some(0), "{}", text(&dry_run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&dry_run.stdout).unwrap();
    assert!(report["totals"]["offers"].as_u64().unwrap() > 0);

    // Never over anything: a folder that is not empty is refused, untouched.
    let catalog = std::path::Path::new(package).join("catalog.yaml");
    std::fs::write(&catalog, "mine").unwrap();
    let again = vasrec(&["init", package]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&catalog).unwrap(), "mine");
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = vasrec(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains("dry-run") && script.contains("--on-error"),
            "{shell}"
        );
    }
    assert_eq!(vasrec(&["completions", "tcsh"]).status.code(), Some(2));
    let man = vasrec(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = text(&man.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH vasrec"),
        "{page}"
    );
    assert!(page.contains("dry\\-run"), "{page}");
}

#[test]
fn min_coverage_fails_the_run_below_it() {
    let dir = TempDir::new("min-coverage");
    let package = dir.path().join("p");
    let package = package.to_str().unwrap();
    assert_eq!(vasrec(&["init", package]).status.code(), Some(0));
    // Keep only the first case: the loyal segments are never entered.
    let cases = std::path::Path::new(package).join("tests/starter.yaml");
    let text_of_cases = std::fs::read_to_string(&cases).unwrap();
    let parts: Vec<&str> = text_of_cases.split("\n- name:").collect();
    std::fs::write(&cases, format!("{}\n- name:{}\n", parts[0], parts[1])).unwrap();

    let out = vasrec(&["test", package, "--min-coverage", "80"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: coverage below 80%: segments entered 2 of 4 (50.0%)"),
        "{stderr}"
    );
    // The coverage section shows what is missing even without --coverage.
    assert!(text(&out.stdout).contains("segments never entered"));
    assert_eq!(
        vasrec(&["test", package, "--min-coverage", "50"])
            .status
            .code(),
        Some(1),
        "rules: 2 of 4 fired, below 50% is not; condition parts are"
    );
    assert_eq!(
        vasrec(&["test", package, "--min-coverage", "0"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        vasrec(&["test", package, "--min-coverage", "101"])
            .status
            .code(),
        Some(2)
    );
    let json = vasrec(&["test", package, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["coverage"]["summary"]["segments"]["covered"], 2);
    assert_eq!(report["coverage"]["summary"]["segments"]["total"], 4);
}

#[test]
fn check_says_warnings_on_its_first_line_not_after_the_model() {
    let dir = TempDir::new("warnings");
    let package = dir.path().join("p");
    let package = package.to_str().unwrap();
    assert_eq!(vasrec(&["init", package]).status.code(), Some(0));
    let rules = std::path::Path::new(package).join("rules.vas");
    let mut source = std::fs::read_to_string(&rules).unwrap();
    // The same rule twice under another name: a duplicate-rule warning.
    source.push_str("\nrule welcome_again {\n  for newcomers\n  offer welcome_call\n  gain 3\n}\n");
    std::fs::write(&rules, source).unwrap();
    let out = vasrec(&["check", package]);
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("has no errors and 1 warning (above)"),
        "{stdout}"
    );
    assert!(
        !stdout.lines().skip(1).any(|l| l.contains("warning")),
        "{stdout}"
    );
}

#[test]
fn a_missing_column_is_noted_once_per_run() {
    let dir = TempDir::new("absent");
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    // Drop the `nps` column (optional) from the first 50 rows.
    let header: Vec<&str> = sample.lines().next().unwrap().split(',').collect();
    let nps = header.iter().position(|c| *c == "nps").unwrap();
    let without: Vec<String> = sample
        .lines()
        .take(51)
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields.remove(nps);
            fields.join(",")
        })
        .collect();
    let file = dir.path().join("no-nps.csv");
    std::fs::write(&file, without.join("\n") + "\n").unwrap();
    let file = file.to_str().unwrap();
    for command in customer_commands() {
        let mut args = command.clone();
        args.extend(["--customers", file]);
        let out = vasrec(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let notes = text(&out.stderr).matches("has no column for nps").count();
        assert_eq!(notes, 1, "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn a_report_written_to_a_file_says_where_it_went() {
    let dir = TempDir::new("wrote");
    let target = dir.path().join("report.html");
    let target = target.to_str().unwrap();
    let out = vasrec(&["dry-run", "--format", "html", "--out", target]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        format!("wrote the dry-run report of 5000 customers to {target}\n")
    );
    let out = vasrec(&["diff", "--base", "rules", "--out", target]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains(&format!("to {target}")));
}
