//! Converts a customers CSV file to Parquet or Arrow IPC, typed as a data
//! team's table would be: the columns of the package's number attributes and
//! preferences as Float64, everything else as Utf8. Blank cells and the
//! attribute's `missing_values` become nulls. Used for the Parquet
//! benchmarks (see BENCHMARKS.md).
//!
//! ```text
//! cargo run --release --features arrow --example customers_to_parquet -- \
//!     --rules rules --in customers.csv --out customers.parquet [--row-group ROWS]
//! ```
//!
//! `--out` ending in `.arrow` writes an Arrow IPC file instead. The file is
//! written in row groups (record batches) of `--row-group` rows, 100,000 by
//! default, streaming: memory does not grow with the input.

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

struct Options {
    rules: PathBuf,
    input: PathBuf,
    out: PathBuf,
    row_group: usize,
}

fn options() -> Result<Options, String> {
    let mut rules = PathBuf::from("rules");
    let (mut input, mut out) = (None, None);
    let mut row_group = 100_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--rules" => rules = PathBuf::from(value()?),
            "--in" => input = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--row-group" => {
                row_group = value()?.parse().map_err(|e| format!("--row-group: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Options {
        rules,
        input: input.ok_or("--in FILE is needed")?,
        out: out.ok_or("--out FILE is needed")?,
        row_group: row_group.max(1),
    })
}

enum Writer {
    Parquet(parquet::arrow::ArrowWriter<std::fs::File>),
    Arrow(arrow_ipc::writer::FileWriter<std::fs::File>),
}

fn run() -> Result<u64, Box<dyn std::error::Error>> {
    let options = options()?;
    let engine = vasrec::Engine::load(&options.rules)?;
    let customer = &engine.catalog().customer;
    // Per column of the catalog: whether it is a number, and the texts that mean "none".
    let mut numeric = std::collections::HashMap::new();
    for attribute in &customer.attributes {
        let is_number = attribute.kind == vasrec::catalog::AttributeKind::Number;
        numeric.insert(
            attribute.column().to_string(),
            (is_number, attribute.missing_values.clone()),
        );
    }
    for preference in &customer.preferences {
        numeric.insert(preference.column(), (true, Vec::new()));
    }
    let mut reader = csv::Reader::from_path(&options.input)?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let kinds: Vec<(bool, Vec<String>)> = header
        .iter()
        .map(|h| numeric.get(h).cloned().unwrap_or((false, Vec::new())))
        .collect();
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .zip(&kinds)
            .map(|(name, (number, _))| {
                let data_type = if *number {
                    DataType::Float64
                } else {
                    DataType::Utf8
                };
                Field::new(name.as_str(), data_type, true)
            })
            .collect::<Vec<_>>(),
    ));
    let file = std::fs::File::create(&options.out)?;
    let arrow = options
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("arrow"));
    let mut writer = if arrow {
        Writer::Arrow(arrow_ipc::writer::FileWriter::try_new(file, &schema)?)
    } else {
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(options.row_group))
            .build();
        Writer::Parquet(parquet::arrow::ArrowWriter::try_new(
            file,
            schema.clone(),
            Some(properties),
        )?)
    };
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record)?;
        if more {
            for (i, column) in columns.iter_mut().enumerate() {
                let text = record.get(i).unwrap_or("");
                let missing =
                    text.trim().is_empty() || kinds[i].1.iter().any(|m| m.trim() == text.trim());
                column.push((!missing).then(|| text.to_string()));
            }
            rows += 1;
        }
        let full = columns[0].len() >= options.row_group;
        if (full || !more) && !columns[0].is_empty() {
            let arrays = columns
                .iter_mut()
                .zip(&kinds)
                .map(|(values, (number, _))| -> Result<ArrayRef, String> {
                    let values = std::mem::take(values);
                    Ok(if *number {
                        let parsed: Result<Vec<Option<f64>>, String> = values
                            .iter()
                            .map(|v| {
                                v.as_deref()
                                    .map(|t| {
                                        t.trim().parse::<f64>().map_err(|e| format!("{t:?}: {e}"))
                                    })
                                    .transpose()
                            })
                            .collect();
                        Arc::new(Float64Array::from(parsed?))
                    } else {
                        Arc::new(StringArray::from(values))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let batch = RecordBatch::try_new(schema.clone(), arrays)?;
            match &mut writer {
                Writer::Parquet(w) => w.write(&batch)?,
                Writer::Arrow(w) => w.write(&batch)?,
            }
        }
        if !more {
            break;
        }
    }
    match writer {
        Writer::Parquet(w) => {
            w.close()?;
        }
        Writer::Arrow(mut w) => w.finish()?,
    }
    Ok(rows)
}

fn main() -> ExitCode {
    match run() {
        Ok(rows) => {
            eprintln!("{rows} rows written");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
