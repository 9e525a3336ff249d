//! Differential test of the end-to-end JSON Lines reference
//! (`benches/support/jsonl_baseline.rs`, run by `examples/jsonl_baseline.rs`):
//! on the 5,000 sample customers as JSON Lines (twice over for the bundled
//! package: more chunks than one batch of score's), its records must be the ones
//! `vasrec score --format jsonl` writes (same customers, lines, offers, ranks,
//! texts and costs; gains and loyalty equal within 1e-9, since the two write
//! numbers differently), for the flat 40-rule package and the bundled one.

#[path = "../benches/support/baseline.rs"]
mod baseline;
#[path = "../benches/support/flat_baseline.rs"]
mod flat_baseline;
#[path = "../benches/support/flat_gen.rs"]
mod flat_gen;
#[path = "../benches/support/jsonl_baseline.rs"]
mod jsonl_baseline;
#[path = "../benches/support/package_gen.rs"]
mod package_gen;
#[path = "common/rng.rs"]
mod rng;

use jsonl_baseline::Package;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Columns written as JSON numbers (as `generate_customers --format jsonl`
/// does); an empty or blank cell is `null`, any other column a string.
const NUMBERS: [&str; 18] = [
    "SeniorCitizen",
    "tenure",
    "MonthlyCharges",
    "TotalCharges",
    "open_complaints",
    "nps",
    "pref_personalization",
    "pref_responsiveness",
    "pref_professionalism",
    "pref_price",
    "sat_personalization",
    "sat_responsiveness",
    "sat_professionalism",
    "sat_price",
    "exp_personalization",
    "exp_responsiveness",
    "exp_professionalism",
    "exp_price",
];

/// `rules/customers.csv` as JSON Lines, `copies` times over.
fn sample_as_jsonl(copies: usize) -> String {
    let mut reader = csv::Reader::from_path(root().join("rules/customers.csv")).expect("sample");
    let headers = reader.headers().expect("a header").clone();
    let mut out = String::new();
    for record in reader.records() {
        let record = record.expect("a CSV row");
        let mut object = serde_json::Map::new();
        for (name, cell) in headers.iter().zip(record.iter()) {
            let value = if NUMBERS.contains(&name) {
                match cell.trim() {
                    "" => Value::Null,
                    text => serde_json::from_str(text).expect("a number"),
                }
            } else {
                Value::String(cell.to_string())
            };
            object.insert(name.to_string(), value);
        }
        out.push_str(&Value::Object(object).to_string());
        out.push('\n');
    }
    out.repeat(copies)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "vasrec-jsonl-baseline-{}-{name}",
        std::process::id()
    ))
}

/// The hand-written program's records.
fn hand_written(package: Package, customers: &Path) -> Vec<Value> {
    let engine = jsonl_baseline::engine(package, root()).expect("the package loads");
    let (rules, loyalty) = jsonl_baseline::tables(&engine);
    let input = std::io::BufReader::new(std::fs::File::open(customers).expect("customers"));
    let mut out = Vec::new();
    let written = jsonl_baseline::score(package, input, &mut out, &rules, &loyalty)
        .expect("the hand-written program reads every customer");
    let records = lines(&out);
    assert_eq!(written as usize, records.len());
    records
}

/// `vasrec score` on one thread (no capacity: the hand-written code has none).
fn vasrec_score(package_dir: &Path, customers: &Path) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .arg("score")
        .arg(package_dir)
        .arg("--customers")
        .arg(customers)
        .args(["--threads", "1", "--ignore-capacity", "--format", "jsonl"])
        .output()
        .expect("vasrec runs");
    assert!(
        output.status.success(),
        "vasrec score failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lines(&output.stdout)
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8 records")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON record"))
        .collect()
}

/// Equal, with numbers within 1e-9 of each other.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            (x - y).abs() <= 1e-9
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.keys().eq(y.keys())
                && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Compares the two programs' records on the sample `copies` times over;
/// returns the hand-written ones.
fn compare(package: Package, package_dir: &Path, copies: usize) -> Vec<Value> {
    // Each test its own file: they run at the same time.
    let customers = temp(match package {
        Package::Flat => "flat.jsonl",
        Package::Bundled => "bundled.jsonl",
    });
    std::fs::write(&customers, sample_as_jsonl(copies)).expect("temporary JSON Lines");
    let expected = vasrec_score(package_dir, &customers);
    let got = hand_written(package, &customers);
    let _ = std::fs::remove_file(&customers);
    assert_eq!(got.len(), expected.len());
    let mismatches: Vec<String> = got
        .iter()
        .zip(&expected)
        .filter(|(g, e)| !same(g, e))
        .take(5)
        .map(|(g, e)| format!("hand-written {g}\nvasrec       {e}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "the records differ:\n{}",
        mismatches.join("\n")
    );
    got
}

fn offers(records: &[Value]) -> impl Iterator<Item = &Value> {
    records
        .iter()
        .flat_map(|r| r["offers"].as_array().into_iter().flatten())
}

#[test]
fn hand_written_jsonl_matches_vasrec_score_on_the_flat_package() {
    let dir = temp("flat-package");
    flat_gen::generate(40, 7)
        .write_to(&dir)
        .expect("the flat package is written");
    let records = compare(Package::Flat, &dir, 1);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(records.len(), 5000);
    let offered = offers(&records).count();
    assert!(offered > 2 * records.len(), "{offered} offers");
}

#[test]
fn hand_written_jsonl_matches_vasrec_score_on_the_bundled_package() {
    // Twice over: 10,000 rows are more chunks than one batch of score's
    // (4 of 2,048 rows on one thread), so later chunks are written into the
    // text buffers of earlier ones.
    let records = compare(Package::Bundled, &root().join("rules"), 2);
    assert_eq!(records.len(), 10_000);
    assert_eq!(records[9_999]["line"], 10_000);
    let offered = offers(&records).count();
    assert!(offered > records.len(), "{offered} offers");
    // The bundled catalog has a loyalty graph and reasons: the records carry them.
    assert!(offers(&records).all(|o| o["loyalty"].as_object().is_some_and(|l| l.len() == 2)));
    assert!(offers(&records).any(|o| o["reason"].is_string()));
}

#[test]
fn a_line_that_is_not_a_customer_stops_the_hand_written_program_at_its_line() {
    let engine = jsonl_baseline::engine(Package::Flat, root()).expect("the package loads");
    let (rules, loyalty) = jsonl_baseline::tables(&engine);
    let input = b"\n{\"customerID\":\"a\",\"tenure\":\"x\"}\n".as_slice();
    let error = jsonl_baseline::score(Package::Flat, input, Vec::new(), &rules, &loyalty)
        .expect_err("a text tenure is refused");
    assert!(error.to_string().starts_with("line 2:"), "{error}");
}
