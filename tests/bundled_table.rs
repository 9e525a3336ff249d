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
    let mut table: serde_json::Value = serde_json::from_str(&renamed(table)).unwrap();
    let rules: serde_json::Value = serde_json::from_str(&rules).unwrap();
    // A row also says where it is in the spreadsheet (`sheet_row`).
    let places = without_sheet_rows(&mut table);
    assert_eq!(places, ["senior_care.csv:2", "senior_care.csv:3"].repeat(2));
    assert!(table["services"].as_array().is_some_and(|s| !s.is_empty()));
    for (key, value) in rules.as_object().unwrap() {
        assert_eq!(&table[key], value, "`{key}` differs");
    }
    assert_eq!(table, rules);
}

/// Takes the `sheet_row` keys out, and gives their values in order.
fn without_sheet_rows(value: &mut serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    match value {
        serde_json::Value::Object(map) => {
            if let Some(row) = map.remove("sheet_row") {
                found.push(row.as_str().unwrap_or_default().to_string());
            }
            for v in map.values_mut() {
                found.extend(without_sheet_rows(v));
            }
        }
        serde_json::Value::Array(list) => {
            for v in list {
                found.extend(without_sheet_rows(v));
            }
        }
        _ => {}
    }
    found
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

/// A senior living alone: row 2 of the table offers, row 1 loses to it.
const SENIOR: &str = r#"{"customerID": "x", "SeniorCitizen": 1, "Partner": "No", "Dependents": "No", "tenure": 12, "InternetService": "No", "Contract": "Two year", "MonthlyCharges": 20}"#;

#[test]
fn explain_names_a_row_with_its_row_in_the_spreadsheet() {
    let text = run(&["explain", "--json", SENIOR]);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name} in\n{text}"))
            .to_string()
    };
    assert!(line("senior_care[1] (senior_care.csv:2) ").contains("lost to senior_care[2]"));
    assert!(line("senior_care[2] (senior_care.csv:3) ").contains("OFFERED, rank 1, gain 6.00"));
    // Rules written in a rule file keep their name alone.
    assert!(line("security_for_seniors ").contains("not in segment connected_seniors"));

    let json = run(&["explain", "--json", SENIOR, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules = json["rules"].as_array().unwrap();
    let at = |name: &str| {
        rules.iter().find(|r| r["rule"] == name).unwrap()["location"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(at("senior_care[1]"), "senior_care.csv:2");
    assert_eq!(at("senior_care[2]"), "senior_care.csv:3");
    assert!(at("security_for_seniors").starts_with("support.vas:"));
}

#[test]
fn the_report_funnel_and_page_name_a_row_with_its_row_in_the_spreadsheet() {
    // The text report's table of rules names rules only (it must fit 100
    // columns); its JSON and the page say where a row is.
    let json = run(&["dry-run", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let row = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "senior_care[2]")
            .unwrap()["sheet_row"]
            .clone()
    };
    assert_eq!(row(&json["rules"]), "senior_care.csv:3");
    assert_eq!(row(&json["funnel"]["rules"]), "senior_care.csv:3");
    let vip = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "vip_manager");
    assert!(vip.unwrap().get("sheet_row").is_none());

    let page = run(&["dry-run", "--format", "html"]);
    let shown = "<code>senior_care[2]</code> <span class=\"place\">(senior_care.csv:3)</span>";
    // In the rules table and in the funnel's table by rule.
    assert_eq!(
        page.matches(shown).count(),
        2,
        "{shown} not twice in the page"
    );
}

#[test]
fn diff_names_a_changed_row_with_its_row_in_the_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    for entry in std::fs::read_dir(root.join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let rows = std::fs::read_to_string(dir.path().join("senior_care.csv")).unwrap();
    let changed = rows.replace(
        "false,false,senior_care_line,6,6",
        "false,false,senior_care_line,7,6",
    );
    assert_ne!(rows, changed);
    std::fs::write(dir.path().join("senior_care.csv"), changed).unwrap();
    let new = dir.path().to_str().unwrap();
    let args = [
        "diff",
        "--base",
        "rules",
        "--rules",
        new,
        "--customers",
        "rules/customers.csv",
    ];
    let text = run(&args);
    assert!(
        text.contains("  ~ rule senior_care[2]  (senior_care.csv:3)\n"),
        "{text}"
    );
    let json = run(&[&args[..], &["--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules = &json["package"]["rules"];
    assert_eq!(rules["modified"][0]["name"], "senior_care[2]");
    assert_eq!(rules["places"]["senior_care[2]"], "senior_care.csv:3");
    // The 396 customers offered that row, and 10 more: a higher gain moves
    // who gets the senior care line's 500 places (and who is replaced).
    assert_eq!(json["customers_affected"], 406);
    let page = run(&[&args[..], &["--format", "html"]].concat());
    assert!(
        page.contains(
            "changed</span> rule <code>senior_care[2]</code> <span class=\"place\">(senior_care.csv:3)</span>"
        ),
        "the page names the row with its place"
    );
}
