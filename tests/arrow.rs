//! Parquet and Arrow IPC customers (cargo feature `arrow`): the same results
//! as the CSV path, and errors that name the row group, row and column.
//!
//! Run with `cargo test --features arrow --test arrow`. The bundled sample
//! is converted here, typed as a data team's table would be (whole-number
//! columns as Int64, other numbers as Float64, categories dictionary-encoded,
//! the rest Utf8), so every reading path of the columnar reader is used.

mod common;

use arrow_array::builder::{ListBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use common::{TempDir, root, vasrec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The sample's header and rows, as texts.
fn sample() -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(root().join("rules/customers.csv")).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The sample as one record batch, each column typed by what its texts
/// hold: a column of the catalog's number attributes or preferences as
/// Float64 (blanks and `missing_values` as nulls), a column whose every
/// text is a whole number written as Rust writes it as Int64, a category's
/// column dictionary-encoded, any other as Utf8 (texts kept as they are).
fn typed_sample() -> RecordBatch {
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let catalog = &engine.catalog().customer;
    let (header, rows) = sample();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
        let attribute = catalog.attributes.iter().find(|a| a.column() == name);
        let number = attribute.is_some_and(|a| a.kind == vasrec::catalog::AttributeKind::Number)
            || catalog.preferences.iter().any(|p| &p.column() == name);
        let missing = |t: &str| {
            t.trim().is_empty()
                || attribute.is_some_and(|a| a.missing_values.iter().any(|m| m.trim() == t.trim()))
        };
        let whole = cells
            .iter()
            .all(|t| missing(t) || t.parse::<i64>().is_ok_and(|n| n.to_string() == *t));
        let (data_type, array): (DataType, ArrayRef) = if whole
            && (number || !cells.iter().any(|t| missing(t)))
        {
            let values: Int64Array = cells
                .iter()
                .map(|t| (!missing(t)).then(|| t.parse::<i64>().unwrap()))
                .collect();
            (DataType::Int64, Arc::new(values))
        } else if number {
            let values: Float64Array = cells
                .iter()
                .map(|t| (!missing(t)).then(|| t.trim().parse::<f64>().unwrap()))
                .collect();
            (DataType::Float64, Arc::new(values))
        } else if attribute.is_some_and(|a| a.kind == vasrec::catalog::AttributeKind::Category) {
            let mut builder = StringDictionaryBuilder::<Int32Type>::new();
            for t in &cells {
                builder.append_value(t);
            }
            let array = builder.finish();
            (array.data_type().clone(), Arc::new(array))
        } else {
            (DataType::Utf8, Arc::new(StringArray::from(cells.clone())))
        };
        fields.push(Field::new(name.as_str(), data_type, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

fn write_parquet(path: &Path, batch: &RecordBatch, row_group: usize) {
    let file = std::fs::File::create(path).unwrap();
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// An Arrow IPC file (or stream), in record batches of `rows` rows.
fn write_arrow(path: &Path, batch: &RecordBatch, rows: usize, stream: bool) {
    let file = std::fs::File::create(path).unwrap();
    let pieces = (0..batch.num_rows())
        .step_by(rows)
        .map(|start| batch.slice(start, rows.min(batch.num_rows() - start)));
    if stream {
        let mut writer = arrow_ipc::writer::StreamWriter::try_new(file, &batch.schema()).unwrap();
        pieces.for_each(|b| writer.write(&b).unwrap());
        writer.finish().unwrap();
    } else {
        let mut writer = arrow_ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
        pieces.for_each(|b| writer.write(&b).unwrap());
        writer.finish().unwrap();
    }
}

/// The sample as Parquet (row groups of 1,500 rows, not a multiple of the
/// 2,048-row chunks), an Arrow IPC file (batches of 777) and stream (300).
fn columnar_files(dir: &TempDir) -> Vec<PathBuf> {
    let batch = typed_sample();
    let parquet = dir.path().join("customers.parquet");
    write_parquet(&parquet, &batch, 1500);
    let file = dir.path().join("customers.arrow");
    write_arrow(&file, &batch, 777, false);
    let stream = dir.path().join("customers.arrows");
    write_arrow(&stream, &batch, 300, true);
    vec![parquet, file, stream]
}

fn run(args: &[&str]) -> (String, String) {
    let out = vasrec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_sample_is_typed_as_a_real_table_would_be() {
    let batch = typed_sample();
    let schema = batch.schema();
    let type_of = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(type_of("tenure"), DataType::Int64);
    assert_eq!(type_of("SeniorCitizen"), DataType::Int64);
    assert_eq!(type_of("MonthlyCharges"), DataType::Float64);
    assert_eq!(type_of("pref_price"), DataType::Float64);
    assert!(matches!(
        type_of("InternetService"),
        DataType::Dictionary(_, _)
    ));
    assert_eq!(type_of("Partner"), DataType::Utf8);
    assert_eq!(batch.num_rows(), 5000);
}

/// Dry-run's JSON report from Parquet and Arrow is byte for byte the CSV
/// path's, on one thread and two, but for the file name it reports.
#[test]
fn dry_run_reports_are_the_csv_path_s() {
    let dir = TempDir::new("arrow-dry-run");
    let csv = root().join("rules/customers.csv");
    let csv = csv.to_str().unwrap();
    let (expected, _) = run(&["dry-run", "--customers", csv, "--format", "json"]);
    assert!(expected.contains(&format!("\"customers_file\": \"{csv}\"")));
    for path in columnar_files(&dir) {
        let path = path.to_str().unwrap();
        for threads in ["1", "2"] {
            let (report, _) = run(&[
                "dry-run",
                "--customers",
                path,
                "--format",
                "json",
                "--threads",
                threads,
            ]);
            assert_eq!(
                report.replace(path, csv),
                expected,
                "{path} on {threads} threads"
            );
        }
    }
}

/// Score records from Parquet and Arrow are the CSV path's, byte for byte,
/// but for `line`: a row's number in the file where a CSV file has its line
/// (one more, for the header).
#[test]
fn score_records_are_the_csv_path_s() {
    let dir = TempDir::new("arrow-score");
    let csv = root().join("rules/customers.csv");
    let (expected, _) = run(&["score", "--customers", csv.to_str().unwrap()]);
    for path in columnar_files(&dir) {
        let (records, stderr) = run(&["score", "--customers", path.to_str().unwrap()]);
        assert!(stderr.contains("5000 scored, 0 rejected"), "{stderr}");
        let mut lines = 0;
        for (row, (got, want)) in records.lines().zip(expected.lines()).enumerate() {
            let row = row + 1;
            let got = got.replacen(
                &format!("\"line\":{row},"),
                &format!("\"line\":{},", row + 1),
                1,
            );
            assert_eq!(got, want, "{}: row {row}", path.display());
            lines += 1;
        }
        assert_eq!(lines, 5000);
        assert_eq!(records.lines().count(), expected.lines().count());
    }
}

/// The records of one customer, as the JSON Lines output has them.
fn json_records(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One row of a score record batch as the JSON record shape, to compare.
fn row_as_json(batch: &RecordBatch, row: usize) -> serde_json::Value {
    let ids = batch
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let lines = batch
        .column(1)
        .as_any()
        .downcast_ref::<UInt64Array>()
        .unwrap();
    let offers = batch
        .column(2)
        .as_any()
        .downcast_ref::<ListArray>()
        .unwrap();
    let offers = offers.value(row);
    let offers = offers.as_any().downcast_ref::<StructArray>().unwrap();
    let column = |name: &str| offers.column_by_name(name).unwrap().clone();
    let texts = |name: &str| {
        column(name)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone()
    };
    let numbers = |name: &str| {
        column(name)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .clone()
    };
    let ranks = column("rank");
    let ranks = ranks
        .as_any()
        .downcast_ref::<arrow_array::UInt32Array>()
        .unwrap();
    let paths = column("segment_path");
    let paths = paths.as_any().downcast_ref::<ListArray>().unwrap();
    let loyalty = column("loyalty");
    let loyalty = loyalty.as_any().downcast_ref::<StructArray>().unwrap();
    let list: Vec<serde_json::Value> = (0..offers.len())
        .map(|i| {
            let path = paths.value(i);
            let path = path.as_any().downcast_ref::<StringArray>().unwrap();
            let outcomes: serde_json::Map<String, serde_json::Value> = loyalty
                .fields()
                .iter()
                .zip(loyalty.columns())
                .map(|(f, c)| {
                    let c = c.as_any().downcast_ref::<Float64Array>().unwrap();
                    (f.name().clone(), serde_json::json!(c.value(i)))
                })
                .collect();
            let reason = texts("reason");
            serde_json::json!({
                "rank": ranks.value(i),
                "service": texts("service").value(i),
                "name": texts("name").value(i),
                "gain": numbers("gain").value(i),
                "cost": numbers("cost").value(i),
                "rule": texts("rule").value(i),
                "segment": texts("segment").value(i),
                "segment_path": (0..path.len()).map(|j| path.value(j)).collect::<Vec<_>>(),
                "reason": (!reason.is_null(i)).then(|| reason.value(i)),
                "loyalty": outcomes,
            })
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "customer_id": (!ids.is_null(row)).then(|| ids.value(row)),
        "line": lines.value(row),
        "offers": list,
    })
}

/// Numbers written to JSON and read back differ in the last bit at most.
fn same_records(got: &serde_json::Value, want: &serde_json::Value) -> bool {
    match (got, want) {
        (serde_json::Value::Number(a), serde_json::Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            (a - b).abs() <= 1e-12 * a.abs().max(1.0)
        }
        (serde_json::Value::Array(a), serde_json::Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_records(x, y))
        }
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_records(v, w)))
        }
        (a, b) => a == b,
    }
}

/// `score --out x.parquet` writes the records with the documented schema:
/// read back, every row is the JSON Lines record.
#[test]
fn score_writes_parquet_with_the_documented_schema() {
    let dir = TempDir::new("arrow-score-out");
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let csv = root().join("rules/customers.csv");
    let csv = csv.to_str().unwrap();
    let out = dir.path().join("offers.parquet");
    let (_, stderr) = run(&["score", "--customers", csv, "--out", out.to_str().unwrap()]);
    assert!(stderr.contains("offers written to"), "{stderr}");
    let (jsonl, _) = run(&["score", "--customers", csv]);
    let expected = json_records(&jsonl);

    let file = std::fs::File::open(&out).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = vasrec::score::score_arrow_schema(&engine);
    assert_eq!(builder.schema(), &schema);
    assert_eq!(
        schema.metadata().get(vasrec::score::SCORE_VERSION_KEY),
        Some(&vasrec::score::SCORE_SCHEMA_VERSION.to_string())
    );
    let reader = builder.build().unwrap();
    let mut row = 0;
    for batch in reader {
        let batch = batch.unwrap();
        assert_eq!(batch.schema().fields(), schema.fields());
        for i in 0..batch.num_rows() {
            let got = row_as_json(&batch, i);
            assert!(
                same_records(&got, &expected[row]),
                "{got}\n{}",
                expected[row]
            );
            row += 1;
        }
    }
    assert_eq!(row, 5000);
    // `--format parquet` says the same whatever the file is called.
    let named = dir.path().join("offers.bin");
    run(&[
        "score",
        "--customers",
        csv,
        "--format",
        "parquet",
        "--out",
        named.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&named).unwrap(), std::fs::read(&out).unwrap());
}

/// `evaluate_record_batch` gives every row what `evaluate` gives its customer.
#[test]
fn evaluate_record_batch_agrees_with_evaluate_row_by_row() {
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let batch = typed_sample();
    let scored = engine.evaluate_record_batch(&batch).unwrap();
    assert_eq!(scored.num_rows(), batch.num_rows());
    assert_eq!(scored.schema(), vasrec::score::score_arrow_schema(&engine));
    let csv = std::fs::File::open(root().join("rules/customers.csv")).unwrap();
    let customers = vasrec::batch::read_all(
        &engine,
        "customers.csv",
        Box::new(csv),
        vasrec::InputFormat::Csv,
    )
    .unwrap();
    let ids = scored
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let lines = scored
        .column(1)
        .as_any()
        .downcast_ref::<UInt64Array>()
        .unwrap();
    let lists = scored
        .column(2)
        .as_any()
        .downcast_ref::<ListArray>()
        .unwrap();
    let mut offered = 0;
    for (row, customer) in customers.iter().enumerate() {
        let offers = engine.evaluate(customer).unwrap();
        assert_eq!(
            Some(ids.value(row).to_string()),
            engine.customer_id(customer)
        );
        assert_eq!(lines.value(row), row as u64 + 1);
        let list = lists.value(row);
        let list = list.as_any().downcast_ref::<StructArray>().unwrap();
        let services = list.column_by_name("service").unwrap();
        let services = services.as_any().downcast_ref::<StringArray>().unwrap();
        let gains = list.column_by_name("gain").unwrap();
        let gains = gains.as_any().downcast_ref::<Float64Array>().unwrap();
        let got: Vec<(String, f64)> = (0..list.len())
            .map(|i| (services.value(i).to_string(), gains.value(i)))
            .collect();
        let want: Vec<(String, f64)> = offers
            .iter()
            .map(|o| (engine.service(o.service).id.clone(), o.gain))
            .collect();
        assert_eq!(got, want, "row {}", row + 1);
        offered += want.len();
    }
    assert!(offered > 1000, "the sample gets offers: {offered}");
}

/// The sample with one column replaced.
fn with_column(batch: &RecordBatch, name: &str, field: Field, array: ArrayRef) -> RecordBatch {
    let schema = batch.schema();
    let index = schema.index_of(name).unwrap();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut arrays = batch.columns().to_vec();
    fields[index] = field;
    arrays[index] = array;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = vasrec(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// A bad value in a later row group names the file, the row group (from
/// 0, as pyarrow counts), the row in it and in the file, and the column.
#[test]
fn a_bad_value_names_its_row_group_row_and_column() {
    let dir = TempDir::new("arrow-bad-value");
    let batch = typed_sample();
    let (_, rows) = sample();
    // tenure stored as text: read as the CSV path reads it, and "abc" is
    // refused as it would be in a CSV file.
    let mut tenure: Vec<String> = rows.iter().map(|r| r[5].clone()).collect();
    tenure[3336] = "abc".into();
    let bad = with_column(
        &batch,
        "tenure",
        Field::new("tenure", DataType::Utf8, true),
        Arc::new(StringArray::from(tenure)),
    );
    let path = dir.path().join("bad.parquet");
    write_parquet(&path, &bad, 1000);
    let path = path.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", path]);
    assert!(
        stderr.contains(&format!(
            "error: {path}: row group 3, row 337 (row 3,337 of the file): `tenure` (attribute `tenure_months`): expected a number, found `abc`\n"
        )),
        "{stderr}"
    );
    // Set aside with its columns, and the rest read as before.
    let rejects = dir.path().join("rejects.csv");
    let (_, stderr) = run(&[
        "score",
        "--customers",
        path,
        "--on-error",
        "report",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(stderr.contains("4999 scored, 1 rejected"), "{stderr}");
    let rejects = std::fs::read_to_string(&rejects).unwrap();
    assert!(rejects.starts_with("line,reason,row\n3337,"), "{rejects}");
    assert!(rejects.contains(r#"""tenure"":""abc"""#), "{rejects}");

    // In an Arrow file, the record batch.
    let arrow = dir.path().join("bad.arrow");
    write_arrow(&arrow, &bad, 1000, false);
    let arrow = arrow.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", arrow]);
    assert!(
        stderr.contains(&format!(
            "error: {arrow}: record batch 3, row 337 (row 3,337 of the file): `tenure`"
        )),
        "{stderr}"
    );
}

#[test]
fn a_missing_required_column_is_named() {
    let dir = TempDir::new("arrow-missing-column");
    let batch = typed_sample();
    let index = batch.schema().index_of("tenure").unwrap();
    let mut batch = batch;
    batch.remove_column(index);
    let path = dir.path().join("no-tenure.parquet");
    write_parquet(&path, &batch, 1000);
    let path = path.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", path]);
    assert_eq!(
        stderr,
        format!(
            "error: {path}: the file has no column `tenure`, which the required attribute `tenure_months` is read from\n"
        )
    );
}

/// A column whose type cannot hold its attribute is refused before any
/// row is read, with its name and Arrow type; one that can is read.
#[test]
fn column_types_are_checked_once() {
    let dir = TempDir::new("arrow-types");
    let batch = typed_sample();
    let rows = batch.num_rows();
    let mut lists = ListBuilder::new(arrow_array::builder::Int64Builder::new());
    for i in 0..rows {
        lists.values().append_value(i as i64);
        lists.append(true);
    }
    let lists = lists.finish();
    let list_field = Field::new("tenure", lists.data_type().clone(), true);
    let cases: [(&str, &str, Field, ArrayRef, &str); 3] = [
        (
            "tenure",
            "list.parquet",
            list_field,
            Arc::new(lists),
            "`tenure` (attribute `tenure_months`): the column is stored as Arrow type List(Int64), which cannot be read as a number; store it as numbers or text",
        ),
        (
            "tenure",
            "bool.parquet",
            Field::new("tenure", DataType::Boolean, true),
            Arc::new(BooleanArray::from(vec![true; rows])),
            "`tenure` (attribute `tenure_months`): the column is stored as Arrow type Boolean, which cannot be read as a number",
        ),
        (
            "customerID",
            "binary.parquet",
            Field::new("customerID", DataType::Binary, true),
            Arc::new(arrow_array::BinaryArray::from_iter_values(
                (0..rows).map(|_| b"x"),
            )),
            "`customerID` (attribute `customer_id`): the column is stored as Arrow type Binary, which cannot be read as a text",
        ),
    ];
    for (column, name, field, array, message) in cases {
        let path = dir.path().join(name);
        write_parquet(&path, &with_column(&batch, column, field, array), 1000);
        let path = path.to_str().unwrap();
        let stderr = fails(&["dry-run", "--customers", path]);
        assert!(
            stderr.starts_with(&format!("error: {path}: {message}")),
            "{stderr}"
        );
    }
    // Yes/no read from booleans, texts from integers: as the CSV path.
    let (_, rows_text) = sample();
    let partner: BooleanArray = rows_text.iter().map(|r| Some(r[3] == "Yes")).collect();
    let retyped = with_column(
        &batch,
        "Partner",
        Field::new("Partner", DataType::Boolean, true),
        Arc::new(partner),
    );
    let path = dir.path().join("retyped.parquet");
    write_parquet(&path, &retyped, 1000);
    let csv = root().join("rules/customers.csv");
    let (expected, _) = run(&[
        "dry-run",
        "--customers",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (got, _) = run(&[
        "dry-run",
        "--customers",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        got.replace(path.to_str().unwrap(), csv.to_str().unwrap()),
        expected
    );
}

#[test]
fn a_file_that_is_not_parquet_or_arrow_is_refused() {
    let dir = TempDir::new("arrow-not-parquet");
    let csv = std::fs::read(root().join("rules/customers.csv")).unwrap();
    for name in ["csv.parquet", "csv.arrow"] {
        let path = dir.path().join(name);
        std::fs::write(&path, &csv).unwrap();
        let path = path.to_str().unwrap();
        let stderr = fails(&["dry-run", "--customers", path]);
        let format = if name.ends_with("parquet") {
            "Parquet"
        } else {
            "Arrow IPC"
        };
        assert!(
            stderr.starts_with(&format!(
                "error: {path}: cannot read the file as {format} ("
            )),
            "{stderr}"
        );
    }
}

/// A file cut short: a Parquet file loses its footer, and an Arrow stream
/// ends inside a record batch after the rows before it were read.
#[test]
fn a_truncated_file_is_refused() {
    let dir = TempDir::new("arrow-truncated");
    let files = columnar_files(&dir);
    let parquet = std::fs::read(&files[0]).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &parquet[..parquet.len() / 2]).unwrap();
    let cut = cut.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", cut]);
    assert!(
        stderr.starts_with(&format!("error: {cut}: cannot read the file as Parquet (")),
        "{stderr}"
    );
    // The footer kept, a page in the middle broken.
    let mut broken = parquet.clone();
    let middle = broken.len() / 2;
    broken[middle..middle + 64].fill(0xff);
    let path = dir.path().join("broken.parquet");
    std::fs::write(&path, &broken).unwrap();
    let path = path.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", path]);
    assert!(stderr.starts_with(&format!("error: {path}: ")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let stream = std::fs::read(&files[2]).unwrap();
    let cut = dir.path().join("cut.arrows");
    std::fs::write(&cut, &stream[..stream.len() * 2 / 3]).unwrap();
    let cut = cut.to_str().unwrap();
    let stderr = fails(&["dry-run", "--customers", cut]);
    assert!(
        stderr.starts_with(&format!("error: {cut}: cannot read record batch ")),
        "{stderr}"
    );
    assert!(stderr.contains("is the file whole?"), "{stderr}");
}

/// Standard input: an Arrow stream is read, a Parquet file is refused
/// with what to do.
#[test]
fn standard_input_takes_an_arrow_stream() {
    let dir = TempDir::new("arrow-stdin");
    let files = columnar_files(&dir);
    let stream = std::fs::File::open(&files[2]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args([
            "score",
            "--customers",
            "-",
            "--input-format",
            "arrow",
            "--ignore-capacity",
        ])
        .current_dir(root())
        .stdin(stream)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 5000);
    let parquet = std::fs::File::open(&files[0]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args([
            "dry-run",
            "--customers",
            "-",
            "--input-format",
            "parquet",
            "--ignore-capacity",
        ])
        .current_dir(root())
        .stdin(parquet)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a Parquet file cannot be read from standard input"),
        "{}",
        text(&out.stderr)
    );
}

/// `diff` reads the customers once per package: from Parquet and Arrow its
/// report is the CSV path's but for the file name.
#[test]
fn diff_reports_are_the_csv_path_s() {
    let dir = TempDir::new("arrow-diff");
    let csv = root().join("rules/customers.csv");
    let csv = csv.to_str().unwrap();
    let args = |customers: &str| {
        run(&[
            "diff",
            "--base",
            "rules",
            "--rules",
            "tests/packages/telecom_v2",
            "--customers",
            customers,
            "--format",
            "json",
        ])
        .0
    };
    let expected = args(csv);
    assert!(expected.contains("\"customers_affected\""), "{expected}");
    for path in columnar_files(&dir) {
        let path = path.to_str().unwrap();
        assert_eq!(args(path).replace(path, csv), expected, "{path}");
    }
}

/// Decimal and float32 columns read as the decimals they hold (70.35 in a
/// float32 is 70.34999847...; its shortest text is 70.35, as a CSV export
/// would have it): the records are exactly those of the float64 columns.
#[test]
fn decimal_and_float32_columns_read_as_their_decimals() {
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let batch = typed_sample();
    let (header, rows) = sample();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let charges = at("MonthlyCharges");
    let cents: arrow_array::Decimal128Array = rows
        .iter()
        .map(|r| {
            let text = r[charges].trim();
            let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
            assert!(fraction.len() <= 2, "{text}");
            Some(format!("{whole}{fraction:0<2}").parse::<i128>().unwrap())
        })
        .collect();
    let cents = cents.with_precision_and_scale(12, 2).unwrap();
    let mut retyped = with_column(
        &batch,
        "MonthlyCharges",
        Field::new("MonthlyCharges", DataType::Decimal128(12, 2), true),
        Arc::new(cents),
    );
    let mut float32 = 0;
    for name in ["pref_personalization", "pref_responsiveness", "pref_price"] {
        let values: arrow_array::Float32Array = rows
            .iter()
            .map(|r| (!r[at(name)].is_empty()).then(|| r[at(name)].parse::<f32>().unwrap()))
            .collect();
        float32 += values
            .iter()
            .flatten()
            .filter(|v| f64::from(*v).to_string().len() > 6)
            .count();
        retyped = with_column(
            &retyped,
            name,
            Field::new(name, DataType::Float32, true),
            Arc::new(values),
        );
    }
    assert!(
        float32 > 100,
        "float32 values that are not their decimal: {float32}"
    );
    assert_eq!(
        engine.evaluate_record_batch(&retyped).unwrap(),
        engine.evaluate_record_batch(&batch).unwrap()
    );
}

/// A batch that does not fit the catalog, or a row that does not read, is
/// an error naming the column, and the row in the batch.
#[test]
fn evaluate_record_batch_names_the_bad_row_and_column() {
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let batch = typed_sample().slice(0, 5);
    let tenure = StringArray::from(vec!["1", "2", "x7", "4", "5"]);
    let bad = with_column(
        &batch,
        "tenure",
        Field::new("tenure", DataType::Utf8, true),
        Arc::new(tenure),
    );
    let error = engine.evaluate_record_batch(&bad).unwrap_err();
    assert_eq!(
        error.to_string(),
        "record batch: row 3: `tenure` (attribute `tenure_months`): expected a number, found `x7`"
    );
    let mut missing = batch.clone();
    missing.remove_column(batch.schema().index_of("customerID").unwrap());
    let error = engine.evaluate_record_batch(&missing).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("record batch: the batch has no column `customerID`"),
        "{error}"
    );
}

/// Nulls in a dictionary-encoded column, in its keys or with an empty
/// dictionary, are missing values, as in a text column.
#[test]
fn dictionary_nulls_are_missing_values() {
    let engine = vasrec::Engine::load(root().join("rules")).unwrap();
    let batch = typed_sample();
    let rows = batch.num_rows();
    let texts: StringArray = (0..rows)
        .map(|i| (i % 3 != 0).then_some("Female"))
        .collect();
    let mut keys = StringDictionaryBuilder::<Int32Type>::new();
    for i in 0..rows {
        if i % 3 == 0 {
            keys.append_null();
        } else {
            keys.append_value("Female");
        }
    }
    let keys = keys.finish();
    let none = StringArray::from(vec![None::<&str>; rows]);
    let empty = StringDictionaryBuilder::<Int32Type>::new();
    let mut empty = empty;
    for _ in 0..rows {
        empty.append_null();
    }
    let empty = empty.finish();
    let field = |a: &dyn Array| Field::new("gender", a.data_type().clone(), true);
    let score = |array: ArrayRef| {
        let f = field(array.as_ref());
        engine
            .evaluate_record_batch(&with_column(&batch, "gender", f, array))
            .unwrap()
    };
    assert_eq!(score(Arc::new(keys)), score(Arc::new(texts)));
    assert_eq!(score(Arc::new(empty)), score(Arc::new(none)));
}

/// A CSV survey as one record batch typed as a data team's export would be:
/// a column whose every text is a whole number as Int64, one of numbers as
/// Float64 (blanks as nulls), any other as Utf8.
fn typed_csv(path: &Path) -> RecordBatch {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
        let blank = |t: &str| t.trim().is_empty();
        let (data_type, array): (DataType, ArrayRef) =
            if cells.iter().all(|t| blank(t) || t.parse::<i64>().is_ok()) {
                let values: Int64Array = cells.iter().map(|t| t.parse::<i64>().ok()).collect();
                (DataType::Int64, Arc::new(values))
            } else if cells.iter().all(|t| blank(t) || t.parse::<f64>().is_ok()) {
                let values: Float64Array = cells.iter().map(|t| t.parse::<f64>().ok()).collect();
                (DataType::Float64, Arc::new(values))
            } else {
                (DataType::Utf8, Arc::new(StringArray::from(cells)))
            };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// `calibrate` reads a Parquet or Arrow survey (and held-out file) as it
/// reads the same survey in CSV: the reports are equal but for the names.
#[test]
fn calibrate_reads_a_parquet_survey_as_its_csv() {
    let dir = TempDir::new("arrow-calibrate");
    let package = root().join("examples/airline");
    let train_csv = package.join("survey-sample.csv");
    let test_csv = package.join("survey-sample-test.csv");
    let train = typed_csv(&train_csv);
    assert_eq!(train.schema().field(8).data_type(), &DataType::Int64);
    let report = |train: &Path, test: &Path| {
        let (stdout, _) = run(&[
            "calibrate",
            package.to_str().unwrap(),
            "--survey",
            train.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
            "--outcome",
            "satisfied",
            "--segment-by",
            "Class",
            "--not-rated",
            "indicator",
            "--format",
            "json",
        ]);
        stdout
            .replace(train.to_str().unwrap(), "TRAIN")
            .replace(test.to_str().unwrap(), "TEST")
    };
    let want = report(&train_csv, &test_csv);
    assert!(want.contains("\"auc\""), "{want}");

    let train_parquet = dir.path().join("train.parquet");
    write_parquet(&train_parquet, &train, 150);
    let test_arrow = dir.path().join("test.arrow");
    write_arrow(&test_arrow, &typed_csv(&test_csv), 64, false);
    assert_eq!(report(&train_parquet, &test_arrow), want);
}

/// A bad rating in a Parquet survey names its row group, row and column; a
/// rating column of a type with no value to read is refused up front.
#[test]
fn calibrate_names_a_bad_parquet_value_and_type() {
    let dir = TempDir::new("arrow-calibrate-bad");
    let package = root().join("examples/airline");
    let batch = typed_csv(&package.join("survey-sample.csv"));
    let position = batch.schema().index_of("Seat comfort").unwrap();
    let seat = batch
        .column(position)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    let mut texts: Vec<Option<String>> = seat.iter().map(|v| v.map(|v| v.to_string())).collect();
    texts[250] = Some("great".into());
    let bad = with_column(
        &batch,
        "Seat comfort",
        Field::new("Seat comfort", DataType::Utf8, true),
        Arc::new(StringArray::from(texts)),
    );
    let path = dir.path().join("bad.parquet");
    write_parquet(&path, &bad, 100);
    let path = path.to_str().unwrap();
    let args = |survey: &str| {
        vasrec(&[
            "calibrate",
            package.to_str().unwrap(),
            "--survey",
            survey,
            "--outcome",
            "satisfied",
        ])
    };
    let out = args(path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}: row group 2, row 51 (row 251 of the file): "
        )),
        "{stderr}"
    );
    assert!(stderr.contains("great"), "{stderr}");

    let mut list = ListBuilder::new(arrow_array::builder::Int64Builder::new());
    for _ in 0..batch.num_rows() {
        list.values().append_value(3);
        list.append(true);
    }
    let list: ListArray = list.finish();
    let field = Field::new("Seat comfort", list.data_type().clone(), true);
    let listed = with_column(&batch, "Seat comfort", field, Arc::new(list));
    let path = dir.path().join("list.parquet");
    write_parquet(&path, &listed, 100);
    let path = path.to_str().unwrap();
    let out = args(path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("column `Seat comfort` holds List(")
            && stderr.contains("export it as numbers or text"),
        "{stderr}"
    );
}
