//! `vasrec score`: per-customer records, streaming, in input order.

mod common;

use common::{TempDir, golden, root, vasrec};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use vasrec::score::{ScoreRecord, score_record_schema};

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The first `rows` customers of the sample, as a file.
fn sample_head(dir: &TempDir, rows: usize) -> String {
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let head: Vec<&str> = sample.lines().take(rows + 1).collect();
    let path = dir.path().join("head.csv");
    std::fs::write(&path, head.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn per_customer_records_match_the_golden_files() {
    let dir = TempDir::new("score-golden");
    let file = sample_head(&dir, 300);
    for (format, name) in [
        ("jsonl", "score_head300.jsonl"),
        ("csv", "score_head300.csv"),
    ] {
        let out = vasrec(&["score", "--customers", &file, "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        if let Some(difference) =
            golden(&root().join("tests/golden").join(name), &text(&out.stdout))
        {
            panic!("{difference}");
        }
        assert!(
            text(&out.stderr).ends_with(": 300 scored, 0 rejected\n"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn every_customer_appears_once_in_input_order() {
    let out = vasrec(&["score"]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<u64> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, (2..5002).collect::<Vec<u64>>());
}

#[test]
fn output_is_identical_with_any_number_of_threads() {
    for format in ["jsonl", "csv"] {
        let one = vasrec(&["score", "--format", format, "--threads", "1"]).stdout;
        assert!(one.len() > 100_000);
        assert_eq!(
            one,
            vasrec(&["score", "--format", format, "--threads", "2"]).stdout
        );
        assert_eq!(
            one,
            vasrec(&["score", "--format", format, "--threads", "5"]).stdout
        );
    }
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(["score", "--customers", "-", "--threads", "2"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let csv = std::fs::read(root().join("rules/customers.csv")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Feed the sample many times over; the reader stops long before the end.
        let (header, body) = csv.split_at(csv.iter().position(|&b| b == b'\n').unwrap() + 1);
        let _ = stdin.write_all(header);
        for _ in 0..200 {
            if stdin.write_all(body).is_err() {
                break;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"schema_version\":1"));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

fn planted_bad_rows(dir: &TempDir) -> String {
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().take(101).map(str::to_string).collect();
    lines[10] = lines[10].replacen(",Yes,", ",Maybe,", 1); // not a yes/no value
    lines[20] = "only,three,fields".to_string(); // wrong column count
    let mut fields: Vec<String> = lines[30].split(',').map(str::to_string).collect();
    fields[5] = "many".to_string(); // tenure is not a number
    lines[30] = fields.join(",");
    let path = dir.path().join("planted.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_rows_fail_by_default_naming_the_line() {
    let dir = TempDir::new("score-fail");
    let file = planted_bad_rows(&dir);
    let target = dir.path().join("out.jsonl");
    let out = vasrec(&[
        "score",
        "--customers",
        &file,
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("planted.csv:11:"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists(), "nothing is left half-written");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn skipped_and_reported_rows_are_counted_so_nothing_is_lost() {
    let dir = TempDir::new("score-report");
    let file = planted_bad_rows(&dir);
    let target = dir.path().join("out.jsonl");
    let out = vasrec(&[
        "score",
        "--customers",
        &file,
        "--on-error",
        "report",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&target).unwrap().lines().count();
    let rejects_path = format!("{}.rejects.csv", target.display());
    let mut rejects = csv::Reader::from_path(&rejects_path).unwrap();
    let rejected: Vec<csv::StringRecord> = rejects.records().map(Result::unwrap).collect();
    assert_eq!(
        written + rejected.len(),
        100,
        "rows in = rows out + rows rejected"
    );
    assert_eq!(rejected.len(), 3);
    let lines: Vec<&str> = rejected.iter().map(|r| &r[0]).collect();
    assert_eq!(lines, ["11", "21", "31"]);
    assert!(
        rejected[0][1].contains("expected yes or no, found `Maybe`"),
        "{:?}",
        rejected[0]
    );
    assert_eq!(&rejected[1][2], "only,three,fields");
    assert!(
        text(&out.stderr).contains("100 rows read from"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains(": 97 scored, 3 rejected; offers written to"),
        "{}",
        text(&out.stderr)
    );

    let out = vasrec(&["score", "--customers", &file, "--on-error", "skip"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 97);
}

#[test]
fn the_checked_in_json_schema_is_generated_from_the_record_type() {
    let path = root().join("schemas/score-record.schema.json");
    if let Some(difference) = golden(&path, &score_record_schema()) {
        panic!("{difference}");
    }
}

#[test]
fn real_output_follows_the_schema_and_the_record_type() {
    let schema: serde_json::Value = serde_json::from_str(&score_record_schema()).unwrap();
    let out = vasrec(&["score"]);
    for line in text(&out.stdout).lines().take(2000) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Err(problem) = validate(&schema, &schema, &value, "$") {
            panic!("{problem}\n{line}");
        }
        // The hand-written fast writer and the serde type agree exactly.
        let record: ScoreRecord = serde_json::from_str(line).unwrap();
        assert_eq!(
            numbers_as_floats(serde_json::to_value(&record).unwrap()),
            numbers_as_floats(value)
        );
    }
}

/// `5` and `5.0` are the same number to a JSON reader.
fn numbers_as_floats(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_floats).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A small JSON Schema validator covering what schemars emits for our types:
/// type (one or several), properties, required, additionalProperties: false,
/// items, $ref into $defs, minimum.
fn validate(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return validate(root, &root["$defs"][name], value, at);
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = allowed.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {value} is not of type {types}"));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && n < min
    {
        return Err(format!("{at}: {n} is below {min}"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required.as_str().unwrap();
            if !object.contains_key(key) {
                return Err(format!("{at}: missing `{key}`"));
            }
        }
        for (key, v) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => validate(root, s, v, &format!("{at}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: unexpected key `{key}`"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(root, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn the_validator_rejects_what_it_should() {
    let schema: serde_json::Value = serde_json::from_str(&score_record_schema()).unwrap();
    let bad = serde_json::json!({"schema_version": 1, "line": 2, "offers": [{"rank": 1}]});
    assert!(
        validate(&schema, &schema, &bad, "$")
            .unwrap_err()
            .contains("missing `service`")
    );
    let extra = serde_json::json!({"schema_version": 1, "line": 2, "offers": [], "x": 1});
    assert!(validate(&schema, &schema, &extra, "$").is_err());
}

#[test]
fn real_telco_customers_all_get_a_record() {
    let data = root().join("../shared/data/telco-churn/telco-churn.csv");
    if !data.exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let out = vasrec(&["score", "--customers", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 7043);
    assert!(stdout.starts_with("{\"schema_version\":1,\"customer_id\":\"7590-VHVEG\",\"line\":2,"));
}

/// A JSON Lines row without a required key is told apart from one whose
/// value is empty: what to fix differs (add the key, or fill the value).
#[test]
fn a_required_key_left_out_is_not_given_not_empty() {
    let dir = TempDir::new("score-not-given");
    let file = dir.path().join("rows.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"customerID": "A", "tenure": 3, "MonthlyCharges": 70}"#,
            "\n",
            r#"{"customerID": "B", "tenure": 3}"#,
            "\n",
            r#"{"customerID": "C", "tenure": 3, "MonthlyCharges": null}"#,
            "\n",
        ),
    )
    .unwrap();
    let target = dir.path().join("out.jsonl");
    let out = vasrec(&[
        "score",
        "--customers",
        file.to_str().unwrap(),
        "--on-error",
        "report",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rejects_path = format!("{}.rejects.csv", target.display());
    let mut rejects = csv::Reader::from_path(&rejects_path).unwrap();
    let rejected: Vec<csv::StringRecord> = rejects.records().map(Result::unwrap).collect();
    let reasons: Vec<&str> = rejected
        .iter()
        .map(|r| r.get(1).unwrap().split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        reasons,
        [
            "`MonthlyCharges` (attribute `monthly_charges`): a value is required but was not given (add `MonthlyCharges` to the customer)",
            "`MonthlyCharges` (attribute `monthly_charges`): a value is required but the field is empty",
        ]
    );
}

/// No number in the records carries the noise of binary arithmetic
/// (`"recommendation":1.7531999999999999`): at most 15 significant digits.
#[test]
fn numbers_in_the_records_have_no_float_noise() {
    for format in ["jsonl", "csv"] {
        let out = vasrec(&["score", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let noisy = noisy_numbers(&text(&out.stdout));
        assert!(
            noisy.is_empty(),
            "{format}: {:?}",
            &noisy[..noisy.len().min(5)]
        );
    }
}

/// The decimal numbers of `text` with more than 15 significant digits.
pub fn noisy_numbers(text: &str) -> Vec<String> {
    let mut noisy = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &text[start..i];
        let significant = number
            .trim_start_matches(['0', '.'])
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        if number.contains('.') && significant > 15 {
            noisy.push(number.to_string());
        }
    }
    noisy
}
