//! The decision funnel on a small package worked out by hand
//! (tests/packages/funnel): four customers, every stage exercised.
//!
//! c1 basic/web, spend 200: a by r_a; c (offline) cut by channel fit; e, f.
//! c2 gold/store, spend 200, fast: a by r_a_gold (r_a loses), b, e kept; c
//!    cut by the exclusive group (b taken), d by the budget (4+4+8 > 10),
//!    f by max_offers (3).
//! c3 gold/web, spend 10, complaint, slow: a by r_a_gold; r_b fails its
//!    profile; d suppressed by `calm`; e, f.
//! c4 basic/web, spend 0, no bonus, no speed: e, f; r_g wins g but its gain
//!    (`bonus`) is missing.

mod common;

use common::{root, vasrec};

fn funnel() -> serde_json::Value {
    let package = root().join("tests/packages/funnel");
    let out = vasrec(&[
        "dry-run",
        "--rules",
        package.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["funnel"].clone()
}

fn counts(row: &serde_json::Value) -> Vec<u64> {
    row["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customers"].as_u64().unwrap())
        .collect()
}

fn row<'a>(rows: &'a serde_json::Value, key: &str, name: &str) -> &'a serde_json::Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == name)
        .unwrap_or_else(|| panic!("no funnel row for {name}"))
}

#[test]
fn rule_funnels_match_the_hand_count() {
    let funnel = funnel();
    let rules = &funnel["rules"];
    // in_segment, in_profile, condition, won, not_suppressed, gain_known,
    // max_offers, channel_fit, exclusive_group, budget, capacity
    let expected: [(&str, [u64; 11]); 8] = [
        ("r_a", [4, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1]),
        ("r_a_gold", [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
        ("r_b", [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        ("r_c", [4, 4, 2, 2, 2, 2, 2, 1, 0, 0, 0]),
        ("r_d", [2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0]),
        ("r_e", [4; 11]),
        ("r_f", [4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3]),
        ("r_g", [4, 4, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
    ];
    for (rule, stages) in expected {
        assert_eq!(counts(row(rules, "rule", rule)), stages, "rule {rule}");
    }
    // Suppress rules have no funnel of their own.
    assert_eq!(rules.as_array().unwrap().len(), 8);
    let path = &row(rules, "rule", "r_d")["path"];
    assert_eq!(path[0]["segment"], "everyone");
    assert_eq!(path[0]["customers"], 4);
    assert_eq!(path[1]["segment"], "gold");
    assert_eq!(path[1]["customers"], 2);
    assert_eq!(
        row(rules, "rule", "r_c")["biggest_loss"]["stage"],
        "condition"
    );
}

#[test]
fn service_funnels_count_each_customer_once() {
    let funnel = funnel();
    let services = &funnel["services"];
    // in_segment, in_profile, condition, not_suppressed, gain_known,
    // max_offers, channel_fit, exclusive_group, budget, capacity
    let expected: [(&str, [u64; 10]); 7] = [
        // Two rules reach every customer; each customer counts once.
        ("a", [4, 4, 3, 3, 3, 3, 3, 3, 3, 3]),
        ("b", [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        ("c", [4, 4, 2, 2, 2, 2, 1, 0, 0, 0]),
        ("d", [2, 2, 2, 1, 1, 1, 1, 1, 0, 0]),
        ("e", [4; 10]),
        ("f", [4, 4, 4, 4, 4, 3, 3, 3, 3, 3]),
        ("g", [4, 4, 1, 1, 0, 0, 0, 0, 0, 0]),
    ];
    for (service, stages) in expected {
        let r = row(services, "service", service);
        assert_eq!(counts(r), stages, "service {service}");
        assert_eq!(r["offered"], stages[9], "service {service}");
    }
    // No service declares a capacity.
    assert_eq!(funnel["unused_stages"], serde_json::json!(["capacity"]));
}

#[test]
fn funnel_table_leaves_out_stages_the_package_does_not_use() {
    let package = root().join("tests/packages/funnel");
    let out = vasrec(&["dry-run", "--rules", package.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text
        .lines()
        .skip_while(|l| !l.starts_with("Services: customers left at each stage"))
        .nth(1)
        .unwrap();
    assert!(header.contains("budget") && header.contains("group"));
    assert!(!header.contains("capacity"), "{header}");
}

/// How many terminal columns a line takes: CJK characters take two.
pub fn columns(line: &str) -> usize {
    line.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// The table report of the bundled package reads in a terminal of 100
/// columns, explains its column words, and says what to run next.
#[test]
fn dry_run_table_fits_100_columns_explains_itself_and_suggests_next_steps() {
    let out = vasrec(&["dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let wide: Vec<&str> = text.lines().filter(|l| columns(l) > 100).collect();
    assert!(wide.is_empty(), "lines wider than 100 columns: {wide:#?}");
    let lines = text.lines().count();
    // 130 before the SERVQUAL gap section took its 9 lines.
    assert!(lines <= 140, "{lines} lines (it was 164)");
    for expected in [
        // A legend under the tables whose words need one.
        "lost at: the check that stopped the most customers",
        "allowed: no suppress rule blocks it",
        "shortfall: how far their value is from the number compared",
        // Next steps, with a customer of this run: the first who lost an
        // offer to capacity.
        "Next steps (with this run's --rules and --customers)\n",
        "  vasrec explain --customer S000002-WZIRA         why this customer lost an offer to capacity\n",
        "  vasrec dry-run --format html --out report.html",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // What the table leaves out is in the JSON.
    let out = vasrec(&["dry-run", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["explain_example"],
        serde_json::json!({"customer_id": "S000002-WZIRA", "why": "capacity_loss"})
    );
    assert_eq!(report["services"][0]["name"], "优先技术支持");
    assert!(report["funnel"]["rules"][0]["path"].is_array());
}
