//! What the `vasrec fmt` tests share (`fmt.rs`, `fmt_fuzz.rs`): formatting
//! that must succeed, and loading a package before and after formatting to
//! compare what its engine shows and offers.
#![allow(dead_code)]

use super::common::files_with_extension;
use std::fmt::Write as _;
use std::path::Path;
use vasrec::layout::format_source;
use vasrec::{Engine, InputFormat};

/// The layout of `text`, which must parse.
pub fn fmt(text: &str) -> String {
    format_source(text).unwrap_or_else(|error| panic!("{error}"))
}

/// What a user of the engine can see of a package: names, labels, paths
/// and depths of segments; each rule's name, reason, action, segment and
/// service; the warnings by code and message (their positions move).
pub fn fingerprint(engine: &Engine) -> String {
    let mut out = format!("{:?}\n", engine.counts());
    for id in engine.segment_ids() {
        let _ = writeln!(
            out,
            "segment {} {:?} {:?} {}",
            engine.segment_name(id),
            engine.segment_label(id),
            engine.segment_path(id),
            engine.segment_depth(id)
        );
    }
    for id in engine.rule_ids() {
        let _ = writeln!(
            out,
            "rule {} {:?} offers={} for {} service {}",
            engine.rule_name(id),
            engine.rule_reason(id),
            engine.rule_offers(id),
            engine.segment_name(engine.rule_segment(id)),
            engine.service(engine.rule_service(id)).id
        );
    }
    for warning in engine.warnings() {
        let _ = writeln!(out, "warning {:?} {}", warning.code, warning.message);
    }
    out
}

/// Each customer's offers: service, rule, segment, reason and the gain's bits.
pub fn offers(engine: &Engine, customers: &[vasrec::Customer]) -> Vec<String> {
    customers
        .iter()
        .map(|customer| match engine.recommend(customer) {
            Ok(offers) => offers
                .iter()
                .map(|r| {
                    format!(
                        "{} by {} in {} ({:?}) gain {:#x}",
                        r.service.id,
                        r.rule,
                        r.segment,
                        r.reason,
                        r.gain.to_bits()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Err(error) => format!("error in {}: {:?}", error.rule_name, error.kind),
        })
        .collect()
}

/// The header and the first `limit` customers of a CSV file.
pub fn customers(engine: &Engine, csv: &Path, limit: usize) -> Vec<vasrec::Customer> {
    let text = std::fs::read_to_string(csv).unwrap();
    let head: String = text.split_inclusive('\n').take(limit + 1).collect();
    let reader = Box::new(std::io::Cursor::new(head.into_bytes()));
    vasrec::batch::read_all(engine, "customers.csv", reader, InputFormat::Csv).unwrap()
}

/// The rule files laid out; a table's CSV rows are data, kept as they are.
pub fn formatted(files: &[(String, String)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(n, t)| {
            (
                n.clone(),
                if n.ends_with(".vas") {
                    fmt(t)
                } else {
                    t.clone()
                },
            )
        })
        .collect()
}

pub fn borrowed(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect()
}

/// Loads a package before and after formatting and compares what the
/// engines show and offer to `csv`'s first `limit` customers; returns how
/// many customers were compared.
pub fn same_engine(
    label: &str,
    catalog: &str,
    files: &[(String, String)],
    csv: &Path,
    limit: usize,
) -> usize {
    let before = Engine::from_sources(catalog, &borrowed(files))
        .unwrap_or_else(|e| panic!("{label} does not load:\n{e}"));
    let after = Engine::from_sources(catalog, &borrowed(&formatted(files)))
        .unwrap_or_else(|e| panic!("{label} does not load once formatted:\n{e}"));
    assert_eq!(fingerprint(&before), fingerprint(&after), "{label}");
    let people = customers(&before, csv, limit);
    assert_eq!(
        offers(&before, &people),
        offers(&after, &customers(&after, csv, limit)),
        "{label}"
    );
    people.len()
}

pub fn package(dir: &Path) -> (String, Vec<(String, String)>) {
    let catalog = std::fs::read_to_string(dir.join("catalog.yaml")).unwrap();
    // The rule files, then the CSV files tables read their rows from
    // (every CSV file but the sample customers).
    let rows = files_with_extension(dir, "csv")
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "customers.csv"));
    let files = files_with_extension(dir, "vas")
        .into_iter()
        .chain(rows)
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    (catalog, files)
}
