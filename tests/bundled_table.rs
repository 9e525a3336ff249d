//! The bundled package's table (`senior_care`, rows in
//! rules/senior_care.csv) gives what the two rules it replaced gave: the
//! written-out form is kept as tests/packages/written_out, and both are run
//! over the bundled sample. Rule names differ (a row is `senior_care[2]`,
//! the rule was `senior_living_alone`), so the rows are mapped to the rules
//! they replace and everything else must be equal byte for byte.

mod common;

use common::vasrec;

/// Each row of the bundled table and the rule it stands for.
const ROWS: [(&str, &str); 2] = [
    ("senior_care[1]", "senior_care"),
    ("senior_care[2]", "senior_living_alone"),
];

fn run(args: &[&str]) -> String {
    let out = vasrec(args);
    assert!(
        out.status.success(),
        "vasrec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The output of the table's package with each row named as its rule.
fn renamed(mut text: String) -> String {
    for (row, rule) in ROWS {
        assert!(
            text.contains(row),
            "the table's row {row} is not in the output"
        );
        text = text.replace(&format!("\"{row}\""), &format!("\"{rule}\""));
    }
    text
}

#[test]
fn every_customer_gets_the_same_offers_from_the_table_as_from_the_rules() {
    let customers = "rules/customers.csv";
    let table = run(&["score", "--rules", "rules", "--customers", customers]);
    let rules = run(&[
        "score",
        "--rules",
        "tests/packages/written_out",
        "--customers",
        customers,
    ]);
    assert_eq!(table.lines().count(), 5000);
    // Offers, ranks, gains, reasons and segment paths, customer by customer.
    let table = renamed(table);
    for (t, r) in table.lines().zip(rules.lines()) {
        assert_eq!(t, r);
    }
    assert_eq!(table, rules);
}

#[test]
fn the_dry_run_report_of_the_table_is_the_report_of_the_rules() {
    let customers = "rules/customers.csv";
    let table = run(&[
        "dry-run",
        "--rules",
        "rules",
        "--customers",
        customers,
        "--format",
        "json",
    ]);
    let rules = run(&[
        "dry-run",
        "--rules",
        "tests/packages/written_out",
        "--customers",
        customers,
        "--format",
        "json",
    ]);
    // Totals, services' offers, gains and costs, segments, the funnel and
    // the rules' counts (under the rules' names).
    let table: serde_json::Value = serde_json::from_str(&renamed(table)).unwrap();
    let rules: serde_json::Value = serde_json::from_str(&rules).unwrap();
    assert!(table["services"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(table, rules);
}

#[test]
fn the_written_out_package_is_the_bundled_one_but_for_the_table() {
    // Guards the fixture: any other change to rules/ must be made there too.
    let root = common::root();
    for file in ["profiles.vas", "retention.vas", "rules.vas", "segments.vas"] {
        let bundled = std::fs::read_to_string(root.join("rules").join(file)).unwrap();
        let written =
            std::fs::read_to_string(root.join("tests/packages/written_out").join(file)).unwrap();
        assert_eq!(bundled, written, "{file} differs from the fixture's");
    }
    let bundled = std::fs::read_to_string(root.join("rules/catalog.yaml")).unwrap();
    let written =
        std::fs::read_to_string(root.join("tests/packages/written_out/catalog.yaml")).unwrap();
    assert_eq!(
        bundled.replace("sample: customers.csv\n", ""),
        written,
        "catalog.yaml differs from the fixture's (which has no sample)"
    );
}
