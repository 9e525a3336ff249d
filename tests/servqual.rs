//! Dimensions measured by several survey items, and the SERVQUAL gap index,
//! on a small package worked out by hand (examples/servqual; scale 1-7,
//! weights tangibles 0.5, responsiveness 0.3, wifi 0.2).
//!
//! Tangibles: perception = mean of seat_comfort and legroom, expectation =
//! mean of their two expected items; responsiveness: perception = (2 ×
//! staff_response + call_wait) / 3 over the items rated, expectation one
//! item; wifi has no expectation, so no gap. Customers:
//!
//! | id | class    | tangibles P / E        | responsiveness P / E     | offer (closes)       |
//! |----|----------|------------------------|--------------------------|----------------------|
//! | c1 | economy  | (4+2)/2=3 / 6, gap -3  | (10+2)/3=4 / 6, gap -2   | legroom: 1 tangibles |
//! | c2 | economy  | 5 (legroom blank) / 6  | (8+4)/3=4 / 5, gap -1    | legroom: 1 tangibles |
//! | c3 | business | 6 / (6+7)/2=6.5        | 6 (wait blank) / 6       | priority: 1 resp.    |
//! | c4 | business | none rated: no gap     | (6+6)/3=4 / 5, gap -1    | priority: 1 resp.    |
//!
//! Over everyone: tangibles P 14/3, E 18.5/3, gap -1.5, after (+2/3) -5/6;
//! responsiveness P 4.5, E 5.5, gap -1, after (+0.5) -0.5. Index: (0.5 ×
//! -1.5 + 0.3 × -1) / 0.8 = -1.3125; after: (0.5 × -5/6 + 0.3 × -0.5) / 0.8.
//! Economy: tangibles -2 (after -1), responsiveness -1.5 (after -1.5);
//! business: tangibles -0.5 (c3 only), responsiveness -0.5 (after +0.5).

mod common;

use common::{TempDir, golden, root, vasrec};
use serde_json::Value;

const PACKAGE: &str = "examples/servqual";

fn run(args: &[&str]) -> String {
    let out = vasrec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dry_run_json(package: &str) -> Value {
    serde_json::from_str(&run(&["dry-run", "--rules", package, "--format", "json"])).unwrap()
}

fn close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    // The report rounds to 4 decimals.
    assert!(
        (actual - expected).abs() <= 5e-5,
        "{actual} against {expected}"
    );
}

fn group<'a>(gap: &'a Value, segment: &str) -> &'a Value {
    if segment == "all" {
        return &gap["overall"];
    }
    gap["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["segment"] == segment)
        .unwrap_or_else(|| panic!("no segment {segment}"))
}

#[test]
fn the_gap_index_matches_the_hand_count() {
    let report = dry_run_json(PACKAGE);
    let gap = &report["gap_index"];
    let ids: Vec<&str> = gap["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["tangibles", "responsiveness"],
        "wifi has no expectation"
    );

    let all = group(gap, "all");
    let (t, r) = (&all["dimensions"][0], &all["dimensions"][1]);
    assert_eq!(t["rated"], 3, "c4 rated no tangibles item");
    close(&t["perception"], 14.0 / 3.0);
    close(&t["expectation"], 18.5 / 3.0);
    close(&t["gap"], -1.5);
    close(&t["gap_after"], -1.5 + 2.0 / 3.0);
    assert_eq!(r["rated"], 4);
    close(&r["perception"], 4.5);
    close(&r["expectation"], 5.5);
    close(&r["gap"], -1.0);
    close(&r["gap_after"], -0.5);
    close(&all["index"], -(0.5 * 1.5 + 0.3 * 1.0) / 0.8);
    close(
        &all["index_after"],
        (0.5 * (-1.5 + 2.0 / 3.0) + 0.3 * -0.5) / 0.8,
    );
    close(&all["weight_covered"], 0.8);

    let economy = group(gap, "economy");
    close(&economy["dimensions"][0]["gap"], -2.0);
    close(&economy["dimensions"][1]["gap"], -1.5);
    close(&economy["index"], (0.5 * -2.0 + 0.3 * -1.5) / 0.8);
    close(&economy["index_after"], -(0.5 * 1.0 + 0.3 * 1.5) / 0.8);

    let business = group(gap, "business");
    assert_eq!(business["dimensions"][0]["rated"], 1);
    close(&business["dimensions"][0]["gap"], -0.5);
    close(&business["dimensions"][1]["gap_after"], 0.5);
    close(&business["index"], -0.5);
    close(&business["index_after"], (0.5 * -0.5 + 0.3 * 0.5) / 0.8);

    // The perception per dimension (the existing section) reads the items' means too.
    let dims = report["dimensions"].as_array().unwrap();
    assert_eq!(dims[0]["rated"], 3);
    close(&dims[0]["mean_before"], 14.0 / 3.0);
    close(&dims[1]["mean_before"], 4.5);
    assert_eq!(dims[2]["rated"], 3, "c4 has no wifi rating");
}

#[test]
fn the_table_csv_and_page_show_the_gap_index() {
    let table = run(&["dry-run", "--rules", PACKAGE]);
    if let Some(difference) = golden(&root().join("tests/golden/servqual_dry_run.txt"), &table) {
        panic!("{difference}");
    }
    let csv = run(&["dry-run", "--rules", PACKAGE, "--format", "csv"]);
    for line in [
        "gap,tangibles,gap,-1.5",
        "gap_index,all,index,-1.3125",
        "gap_index,economy,gap.tangibles,-2",
        "gap_index,business,index,-0.5",
    ] {
        assert!(csv.lines().any(|l| l == line), "no `{line}` in\n{csv}");
    }
    let html = run(&["dry-run", "--rules", PACKAGE, "--format", "html"]);
    assert!(html.contains("<h3>SERVQUAL gap index</h3>"));
    assert!(html.contains("-1.31"), "the overall index");
}

/// Without expectation items the section is absent: no key in the JSON, no
/// lines in the table or CSV (zeros would read as "exactly as expected").
#[test]
fn without_expectations_there_is_no_gap_section() {
    let dir = TempDir::new("servqual-no-expectation");
    let catalog = std::fs::read_to_string(root().join(PACKAGE).join("catalog.yaml")).unwrap();
    let catalog: String = catalog
        .lines()
        .filter(|l| !l.trim_start().starts_with("expectation:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("catalog.yaml"), catalog).unwrap();
    for file in ["rules.vas", "customers.csv"] {
        std::fs::copy(root().join(PACKAGE).join(file), dir.path().join(file)).unwrap();
    }
    let package = dir.path().to_str().unwrap();
    let report = dry_run_json(package);
    assert!(report.get("gap_index").is_none(), "{report}");
    assert_eq!(report["dimensions"].as_array().unwrap().len(), 3);
    let table = run(&["dry-run", "--rules", package]);
    assert!(!table.contains("SERVQUAL"));
    let csv = run(&["dry-run", "--rules", package, "--format", "csv"]);
    assert!(!csv.contains("gap_index"));
}

/// Sample variance (n - 1).
fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Cronbach's alpha from its definition, `k/(k-1) × (1 − Σ var(item) /
/// var(total))`: not the covariance route the library takes.
fn alpha(items: &[Vec<f64>]) -> f64 {
    let k = items.len() as f64;
    let totals: Vec<f64> = (0..items[0].len())
        .map(|r| items.iter().map(|i| i[r]).sum())
        .collect();
    let item_variances: f64 = items.iter().map(|i| variance(i)).sum();
    k / (k - 1.0) * (1.0 - item_variances / variance(&totals))
}

/// The rows of a survey column pair where both are rated.
fn complete(survey: &str, a: &str, b: &str) -> Vec<Vec<f64>> {
    let mut lines = survey.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (ia, ib) = (
        header.iter().position(|h| *h == a).unwrap(),
        header.iter().position(|h| *h == b).unwrap(),
    );
    let mut columns = vec![Vec::new(), Vec::new()];
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if let (Ok(x), Ok(y)) = (cells[ia].parse::<f64>(), cells[ib].parse::<f64>()) {
            columns[0].push(x);
            columns[1].push(y);
        }
    }
    columns
}

/// Calibrate's alpha per multi-item dimension on a 12-row synthetic survey.
/// By hand, tangibles over its 11 complete rows: var(seat) = 2, var(legroom)
/// = 23/11, var(sum) = 412/55, so alpha = 2 × (1 − (45/11) / (412/55)) =
/// 187/206 = 0.9078. Responsiveness: var 102/55 and 49/55, var(sum) =
/// 199/55, alpha = 96/199 = 0.4824, below 0.7: a warning.
#[test]
fn calibrate_gives_each_multi_item_dimension_its_alpha() {
    let survey_path = root().join(PACKAGE).join("survey.csv");
    let survey = std::fs::read_to_string(&survey_path).unwrap();
    let tangibles = complete(&survey, "seat_comfort", "legroom");
    let responsiveness = complete(&survey, "staff_response", "call_wait");
    assert!((alpha(&tangibles) - 187.0 / 206.0).abs() < 1e-12);
    assert!((alpha(&responsiveness) - 96.0 / 199.0).abs() < 1e-12);

    let survey_arg = survey_path.to_str().unwrap();
    let args = [
        "calibrate",
        "--rules",
        PACKAGE,
        "--survey",
        survey_arg,
        "--test",
        survey_arg,
        "--outcome",
        "overall",
    ];
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let report: Value = serde_json::from_str(&run(&json_args)).unwrap();
    let per_dimension = report["dimension_reliability"].as_array().unwrap();
    assert_eq!(
        per_dimension.len(),
        2,
        "wifi has one item: no alpha of its own"
    );
    let (t, r) = (&per_dimension[0], &per_dimension[1]);
    assert_eq!(t["dimension"], "tangibles");
    assert_eq!(t["items"], serde_json::json!(["seat_comfort", "legroom"]));
    assert_eq!(t["rows"], tangibles[0].len());
    assert!((t["alpha"].as_f64().unwrap() - alpha(&tangibles)).abs() < 1e-9);
    assert_eq!(t["warning"], false);
    assert_eq!(r["rows"], responsiveness[0].len());
    assert!((r["alpha"].as_f64().unwrap() - alpha(&responsiveness)).abs() < 1e-9);
    assert_eq!(r["warning"], true);
    // The dimension's rating is the weighted mean of the items rated: the
    // row with legroom blank still rates tangibles, so no row is dropped.
    assert_eq!(report["rows"]["training_complete"], 12);
    assert_eq!(report["dimensions"][1]["items"][0]["weight"], 2.0);

    let table = run(&args);
    assert!(
        table.contains(
            "warning: dimension `responsiveness`: its items disagree (alpha 0.482, below 0.7"
        ),
        "{table}"
    );
    assert!(!table.contains("warning: dimension `tangibles`"));
}

/// The airline survey's 14 ratings grouped into 4 dimensions, when the
/// shared data is present: calibrate's alpha per dimension equals alpha
/// computed here from the file (0 is "not rated"), and averaging the items
/// keeps rows that listwise deletion over 14 columns would drop.
#[test]
fn airline_items_grouped_into_dimensions() {
    let data = root().join("../shared/data/airline");
    if !data.join("train.csv").exists() || !data.join("test.csv").exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let groups: [(&str, &[(&str, &str)]); 4] = [
        (
            "online",
            &[
                ("inflight_wifi_rating", "Inflight wifi service"),
                ("online_booking_rating", "Ease of Online booking"),
                ("online_boarding_rating", "Online boarding"),
            ],
        ),
        (
            "schedule",
            &[
                (
                    "time_convenience_rating",
                    "Departure/Arrival time convenient",
                ),
                ("gate_location_rating", "Gate location"),
            ],
        ),
        (
            "comfort",
            &[
                ("seat_comfort_rating", "Seat comfort"),
                ("food_and_drink_rating", "Food and drink"),
                ("inflight_entertainment_rating", "Inflight entertainment"),
                ("cleanliness_rating", "Cleanliness"),
            ],
        ),
        (
            "service",
            &[
                ("onboard_service_rating", "On-board service"),
                ("leg_room_rating", "Leg room service"),
                ("baggage_handling_rating", "Baggage handling"),
                ("inflight_service_rating", "Inflight service"),
                ("checkin_service_rating", "Checkin service"),
            ],
        ),
    ];
    let example = std::fs::read_to_string(root().join("examples/airline/catalog.yaml")).unwrap();
    let customer = &example[example.find("\ncustomer:\n").unwrap()..];
    let mut catalog = String::from(
        "package: airline-grouped\nsatisfaction:\n  min: 1\n  max: 5\n  dimensions:\n",
    );
    for (id, items) in &groups {
        let names: Vec<&str> = items.iter().map(|(a, _)| *a).collect();
        catalog.push_str(&format!(
            "    - {{ id: {id}, perception: [{}] }}\n",
            names.join(", ")
        ));
    }
    catalog.push_str(
        "  weights: { online: 1, schedule: 1, comfort: 1, service: 1 }\n\
         services:\n  - { id: wifi_pass, name: Wifi, category: convenience, stage: in_sale, \
         channel: online, participation: active, effects: { online: 2 } }\n",
    );
    catalog.push_str(customer);
    let dir = TempDir::new("airline-grouped");
    std::fs::write(dir.path().join("catalog.yaml"), catalog).unwrap();
    std::fs::write(
        dir.path().join("rules.vas"),
        "segment everyone { when true }\nrule wifi for everyone { offer wifi_pass }\n",
    )
    .unwrap();
    let package = dir.path().to_str().unwrap();
    run(&["check", package]);

    let train = data.join("train.csv");
    let report: Value = serde_json::from_str(&run(&[
        "calibrate",
        "--rules",
        package,
        "--survey",
        train.to_str().unwrap(),
        "--test",
        data.join("test.csv").to_str().unwrap(),
        "--outcome",
        "satisfied",
        "--format",
        "json",
    ]))
    .unwrap();

    let mut reader = csv::Reader::from_path(&train).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let per_dimension = report["dimension_reliability"].as_array().unwrap();
    assert_eq!(per_dimension.len(), 4);
    for ((id, items), found) in groups.iter().zip(per_dimension) {
        let index: Vec<usize> = items
            .iter()
            .map(|(_, column)| header.iter().position(|h| h == column).unwrap())
            .collect();
        let mut columns = vec![Vec::new(); items.len()];
        for record in &records {
            let values: Vec<f64> = index.iter().map(|&i| record[i].parse().unwrap()).collect();
            if values.iter().all(|&v| v != 0.0) {
                for (column, v) in columns.iter_mut().zip(values) {
                    column.push(v);
                }
            }
        }
        let expected = alpha(&columns);
        eprintln!("{id}: alpha {expected:.4} over {} rows", columns[0].len());
        assert_eq!(found["dimension"], *id);
        assert_eq!(found["rows"], columns[0].len());
        let alpha_found = found["alpha"].as_f64().unwrap();
        assert!(
            (alpha_found - expected).abs() < 1e-9,
            "{id}: {alpha_found} against {expected}"
        );
        assert_eq!(found["warning"], expected < 0.7);
    }
    // A row is dropped only when a whole dimension is unrated.
    let rows = &report["rows"];
    eprintln!(
        "training rows complete: {} of {}; held-out AUC of the fitted model: {}",
        rows["training_complete"], rows["training"], report["overall"]["held_out"][0]["auc"]
    );
    assert!(rows["training_complete"].as_u64().unwrap() > 95_704);
}

/// `check` says which dimensions are read from several items.
#[test]
fn check_counts_each_dimension_s_items() {
    let out = run(&["check", PACKAGE]);
    assert!(
        out.contains(
            "  tangibles       0.5000  Cabin  (2 perception items, 2 expectation items)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("(2 perception items, 1 expectation item)\n"),
        "{out}"
    );
    assert!(out.contains("  wifi            0.2000  Wi-Fi\n"), "{out}");
}
