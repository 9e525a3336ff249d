//! `vasrec diff`: two package versions over the same customers.

mod common;

use common::{TempDir, copy_rules, golden, root, vasrec};
use std::process::{Command, Output};

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

const V2: &str = "tests/packages/telecom_v2";

#[test]
fn diff_between_two_checked_in_versions() {
    let args = [
        "diff",
        "--base",
        "rules",
        "--rules",
        V2,
        "--customers",
        "rules/customers.csv",
    ];
    let out = vasrec(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(d) = golden(&root().join("tests/golden/diff_v2.txt"), &stdout(&out)) {
        panic!("{d}");
    }
    let out = vasrec(&[&args[..], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["package"]["rules"]["added"],
        serde_json::json!(["welcome_call"])
    );
    assert_eq!(
        report["package"]["rules"]["removed"],
        serde_json::json!(["streaming_for_families"])
    );
    assert_eq!(
        report["package"]["segments"]["modified"][0]["name"],
        "new_customer"
    );
    assert_eq!(
        report["package"]["services"]["modified"][0]["name"],
        "dedicated_account_manager"
    );
    assert_eq!(report["customers"], 5000);
    assert!(report["customers_affected"].as_u64().unwrap() > 100);
    let out = vasrec(&[&args[..], &["--format", "csv"]].concat());
    let csv = stdout(&out);
    assert!(csv.starts_with("section,item,metric,value\ntotals,,customers,5000\n"));
    // Each figure once; the funnel rows are there, before and after.
    let mut keys = std::collections::BTreeSet::new();
    for line in csv.lines().filter(|l| !l.starts_with("package,")) {
        let key: Vec<&str> = line.rsplitn(2, ',').collect();
        assert!(keys.insert(key[1].to_string()), "twice: {line}");
    }
    assert!(
        csv.contains("funnel,streaming_bundle,in_profile_before,"),
        "{csv}"
    );
    assert!(
        csv.contains("funnel,streaming_bundle,in_profile_after,"),
        "{csv}"
    );
}

#[test]
fn diff_is_the_same_with_any_number_of_threads() {
    let run = |threads: &str| {
        vasrec(&[
            "diff",
            "--base",
            "rules",
            "--rules",
            V2,
            "--customers",
            "rules/customers.csv",
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

#[test]
fn gates_for_pipelines() {
    let base = [
        "diff",
        "--base",
        "rules",
        "--rules",
        V2,
        "--customers",
        "rules/customers.csv",
    ];
    assert_eq!(
        vasrec(&[&base[..], &["--fail-on-change"]].concat())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        vasrec(&[&base[..], &["--max-affected", "100000"]].concat())
            .status
            .code(),
        Some(0)
    );
    let out = vasrec(&[&base[..], &["--max-affected", "10"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than --max-affected 10"));
    // A package compared with itself: nothing changed.
    let out = vasrec(&[
        "diff",
        "--base",
        "rules",
        "--rules",
        "rules",
        "--fail-on-change",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with(
            "Package changes\n  none\n\nCustomers: 5,000 compared, 0 affected (0.0%)\n"
        )
    );
}

#[test]
fn diff_against_a_git_revision_leaves_the_working_tree_alone() {
    let repo = TempDir::new("git");
    let rules = repo.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    copy_rules(&rules);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.email=t@example.com",
                "-c",
                "user.name=t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "v1"]);
    let segments = rules.join("segments.vas");
    let changed = std::fs::read_to_string(&segments)
        .unwrap()
        .replace("monthly_charges >= 80", "monthly_charges >= 70");
    std::fs::write(&segments, &changed).unwrap();

    let out = vasrec(&[
        "diff",
        "--base",
        "git:HEAD",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["package"]["segments"]["modified"][0]["name"],
        "high_value"
    );
    assert!(report["customers_affected"].as_u64().unwrap() > 0);
    assert_eq!(
        std::fs::read_to_string(&segments).unwrap(),
        changed,
        "working tree untouched"
    );

    let out = vasrec(&[
        "diff",
        "--base",
        "git:no-such-rev",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at git revision `no-such-rev`"));
}

/// The diff text reads in a terminal of 100 columns: a changed service shows
/// the keys that changed, a changed rule the words, and it says what to run next.
#[test]
fn diff_text_fits_100_columns_and_shows_only_what_changed() {
    let out = vasrec(&[
        "diff",
        "--base",
        "rules",
        "--rules",
        V2,
        "--customers",
        "rules/customers.csv",
    ]);
    let text = stdout(&out);
    let columns = |line: &str| -> usize {
        line.chars()
            .map(|c| {
                if ('\u{2E80}'..='\u{FFE6}').contains(&c) {
                    2
                } else {
                    1
                }
            })
            .sum()
    };
    let wide: Vec<&str> = text.lines().filter(|l| columns(l) > 100).collect();
    assert!(wide.is_empty(), "lines wider than 100 columns: {wide:#?}");
    for expected in [
        "  ~ service dedicated_account_manager\n      cost: 40.0 -> 30.0\n",
        "      before: … dedicated_account_manager gain derived priority 10 …\n",
        "      after:  … dedicated_account_manager gain 1.5 + 3.8 * pref.personalization priority 10 …\n",
        "  home_installation          segment, profile 424 -> 517\n",
        "Next steps",
        "vasrec explain --customer S000001-AMBGQ --rules DIR",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}
