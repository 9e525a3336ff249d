//! `vasrec test`: the package's own YAML test cases, driven through the binary.

mod common;

use common::{TempDir, copy_rules, golden, root, vasrec};
use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn assert_golden(name: &str, actual: &str) {
    if let Some(difference) = golden(&root().join("tests/golden").join(name), actual) {
        panic!("{difference}");
    }
}

/// A copy of the bundled package (rules and sample) whose tests/ folder holds `files`.
fn package_with_tests(name: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(name);
    copy_rules(dir.path());
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    for (file, content) in files {
        std::fs::write(tests.join(file), content).unwrap();
    }
    dir
}

fn run_in(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["test", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    vasrec(&args)
}

/// The new fiber customer of the bundled suite, with wrong expectations.
const FAILING: &str = r#"
- name: 新光纤首月（期望写错了）
  customer:
    tenure: 1
    InternetService: Fiber optic
    Contract: Month-to-month
    PaymentMethod: Credit card (automatic)
    MonthlyCharges: 70
    TotalCharges: 70
    TechSupport: No
    DeviceProtection: No
    PaperlessBilling: No
  expect:
    offers: [priority_support, home_installation, feedback_callback_24h]
    top: home_installation
    gain: { priority_support: 3.25, home_installation: { value: 3.9, tolerance: 0.05 } }
    made_by: { priority_support: fiber_priority_support }
    segments: [established]
    not_segments: [at_risk]
    blocked: [streaming_bundle]

- name: 安静客户（这个会通过）
  customer: { tenure: 12, InternetService: DSL, Contract: One year, PaymentMethod: Bank transfer (automatic), MonthlyCharges: 60 }
  expect: { no_offers: true }

- name: 顺序不同
  sample: S000002-WZIRA
  expect:
    offers: [loyalty_membership, device_protection_plus, dedicated_account_manager]
    excludes: [dedicated_account_manager]
    includes: [priority_support]

- name: 写错的名字
  customer: { tenur: 3, MonthlyCharges: 50 }
  expect:
    offers: [priority_suport]
    segments: [new_customers]
    made_by: { paperless_onboarding: paperless_for_news }

- name: 写错的列名
  customer: { tenur: 3, MonthlyCharges: 50 }
  expect: { no_offers: true }

- name: 样本里没有的客户
  sample: S999999-XXXXX
  expect: { no_offers: true }

- name: 有推荐却期望没有
  sample: S000001-AMBGQ
  with: { tenure: 11 }
  expect: { no_offers: true }
"#;

#[test]
fn the_bundled_suite_passes() {
    let out = vasrec(&["test", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    assert!(stdout.ends_with("0 failed\n"), "{stdout}");
    assert_golden("test_rules.txt", &stdout);
}

#[test]
fn the_bundled_suite_is_meaningful() {
    let out = vasrec(&["test", "rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["passed"].as_u64().unwrap() >= 20);
    assert_eq!(json["failed"], 0);
    let coverage = &json["coverage"];
    for section in ["rules", "segments"] {
        for item in coverage[section].as_array().unwrap() {
            let count = item
                .get("fired")
                .or_else(|| item.get("entered"))
                .unwrap()
                .as_u64()
                .unwrap();
            assert!(count > 0, "{section}: {} never exercised", item["name"]);
        }
    }
}

#[test]
fn failing_cases_show_expected_and_actual() {
    let dir = package_with_tests("failing", &[("cases.yaml", FAILING)]);
    let out = run_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    assert_golden("test_failing.txt", &stdout);
    for expected in [
        "FAIL  新光纤首月（期望写错了）  (tests/cases.yaml:2)",
        "      offers: expected [priority_support, home_installation, feedback_callback_24h], got [priority_support, contract_upgrade_offer, home_installation]\n        missing: feedback_callback_24h\n        unexpected: contract_upgrade_offer\n",
        "      top: expected home_installation, got priority_support",
        "      gain of priority_support: expected 3.25 ± 0.01, got 4.5 (rule new_fiber_priority_support)",
        "      gain of home_installation: expected 3.9 ± 0.05, got 4 (rule first_month_installation)",
        "      made_by priority_support: expected rule fiber_priority_support, got rule new_fiber_priority_support",
        "      segments: expected to be in established, but is not",
        "      not_segments: expected not to be in at_risk, but is",
        "ok    安静客户（这个会通过）",
        "        same services, another order",
        "      excludes: dedicated_account_manager was offered (gain 5.9589, rule vip_manager)",
        "      expect.offers: there is no service `priority_suport` (did you mean `priority_support`?)",
        "      customer.tenur: the customer schema has no column or attribute `tenur` (did you mean `tenure`?)",
        "      sample: no row of the sample has the id `S999999-XXXXX`",
        "      no_offers: expected no offer, got [personalized_plan_review, loyalty_membership]",
        "test result: FAILED. 1 passed; 6 failed\n",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}

#[test]
fn filter_runs_only_matching_cases() {
    let out = vasrec(&["test", "rules", "--filter", "独居"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let ran: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(ran, ["ok    独居老人：同一分群里优先级高的独居关怀胜出"]);
    assert!(
        stdout.starts_with("running 1 case from 1 file\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed; 0 failed; ")
            && stdout.contains(" filtered out"),
        "{stdout}"
    );

    // The failing package: only the filtered failure counts.
    let dir = package_with_tests("filter", &[("cases.yaml", FAILING)]);
    let out = run_in(dir.path(), &["--filter", "安静"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = run_in(dir.path(), &["--filter", "顺序"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).ends_with("test result: FAILED. 0 passed; 1 failed; 6 filtered out\n")
    );
}

#[test]
fn a_filter_that_matches_nothing_fails() {
    let out = vasrec(&["test", "rules", "--filter", "no such case"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).ends_with("(no case name contains `no such case`)\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn coverage_lists_what_the_cases_never_exercised() {
    let cases = r#"
- name: 独居老人
  customer: { SeniorCitizen: 1, Partner: No, Dependents: No, tenure: 12, InternetService: No, Contract: Two year, PaymentMethod: Mailed check, MonthlyCharges: 20 }
  expect: { offers: [senior_care_line] }
- name: 新光纤首月
  customer: { tenure: 1, InternetService: Fiber optic, Contract: Month-to-month, PaymentMethod: Credit card (automatic), MonthlyCharges: 70, TechSupport: No, DeviceProtection: No, PaperlessBilling: No }
  expect: { top: priority_support }
"#;
    let dir = package_with_tests("coverage", &[("few.yaml", cases)]);
    let out = run_in(dir.path(), &["--coverage"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert_golden("test_coverage.txt", &stdout);
    for expected in [
        "coverage over 2 cases:",
        "  rules never fired:\n    complaint_callback  (retention.vas:9:6)\n",
        "  segments never entered:\n",
        "    high_value_flexible  (segments.vas:",
        "  profiles never matched:\n    speed_seeker\n",
        // fired, but lost to new_fiber_priority_support
        "    fiber_priority_support  (support.vas:",
        "  conditions never seen false:\n",
        // a cell of the bundled table's row, at its place in the spreadsheet
        "    rule senior_care[2], part `false`  (senior_care.csv:3:1)\n",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    // Without --coverage there is no coverage section.
    let out = run_in(dir.path(), &[]);
    assert!(!text(&out.stdout).contains("coverage"));
}

#[test]
fn a_malformed_test_file_is_a_precise_failure() {
    let good = "- name: fine\n  customer: { tenure: 12, MonthlyCharges: 60, InternetService: DSL, Contract: One year, PaymentMethod: Bank transfer (automatic) }\n  expect: { no_offers: true }\n";
    let typo = "- name: typo in a key\n  customer: { tenure: 3, MonthlyCharges: 50 }\n  expect:\n    ofers: [priority_support]\n";
    let gain = "- name: a gain that is not a number\n  customer: { tenure: 3, MonthlyCharges: 50 }\n  expect:\n    gain: { priority_support: lots }\n";
    let syntax = "- name: unclosed\n  customer: { tenure: 3, MonthlyCharges: 50\n  expect: { no_offers: true }\n";
    let dir = package_with_tests(
        "malformed",
        &[
            ("a_good.yaml", good),
            ("b_typo.yaml", typo),
            ("c_gain.yaml", gain),
            ("d_syntax.yaml", syntax),
            ("e_empty.yaml", "# nothing yet\n"),
        ],
    );
    let out = run_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_golden("test_malformed.txt", &stdout);
    assert!(stdout.contains(
        "error[UNKNOWN_KEY]: tests/b_typo.yaml at `[0].expect.ofers`: `ofers` is not a key a test case knows here\n --> tests/b_typo.yaml:4:5\n"
    ));
    assert!(stdout.contains("  = help: did you mean `offers`?\n"));
    assert!(stdout.contains(
        "error[YAML]: tests/c_gain.yaml at `[0].expect.gain.priority_support`: wrong kind of value: expected a number, or `{ value: N, tolerance: N }`"
    ));
    assert!(stdout.contains(" --> tests/d_syntax.yaml:3:"));
    assert!(stdout.contains("tests/e_empty.yaml: the file holds no test cases"));
    assert!(stdout.ends_with("test result: FAILED. 1 passed; 0 failed; 4 files with errors\n"));

    let out = run_in(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &json["file_errors"][0];
    assert_eq!(error["file"], "tests/b_typo.yaml");
    assert_eq!(error["line"], 4);
    assert_eq!(error["column"], 5);
    assert_eq!(error["key_path"], "[0].expect.ofers");
    assert_eq!(error["help"], "did you mean `offers`?");
}

#[test]
fn json_report_parses() {
    let dir = package_with_tests("json", &[("cases.yaml", FAILING)]);
    let out = run_in(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["package"], "telecom-vas");
    assert_eq!(json["passed"], 1);
    assert_eq!(json["failed"], 6);
    let first = &json["cases"][0];
    assert_eq!(first["passed"], false);
    assert_eq!(first["file"], "tests/cases.yaml");
    assert_eq!(first["line"], 2);
    assert_eq!(first["offers"][0]["service"], "priority_support");
    assert_eq!(first["offers"][0]["rule"], "new_fiber_priority_support");
    assert!(
        first["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("offers: expected")
    );
    let rules = json["coverage"]["rules"].as_array().unwrap();
    let fired = |name: &str| {
        rules.iter().find(|r| r["name"] == name).unwrap()["fired"]
            .as_u64()
            .unwrap()
    };
    assert!(fired("new_fiber_priority_support") > 0);
    assert_eq!(fired("senior_care[2]"), 0);
}

#[test]
fn a_package_without_tests_fails() {
    let dir = TempDir::new("no-tests");
    copy_rules(dir.path());
    let out = run_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("tests: no test cases"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_package_with_rule_errors_runs_no_case() {
    let dir = package_with_tests("rule-errors", &[("cases.yaml", FAILING)]);
    std::fs::write(
        dir.path().join("zz.vas"),
        "rule broken for nowhere { offer priority_support }\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("UNKNOWN_SEGMENT"));
}

#[test]
fn wrong_usage_exits_2() {
    let out = vasrec(&["test", "rules", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
