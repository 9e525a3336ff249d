//! Decision tables whose rows come from a spreadsheet (`rows "FILE"`): a
//! golden case per diagnostic under tests/cases/sheets (a `.vas` file whose
//! first line names the codes, and its `.csv`, or its `.xlsx.csv` from
//! which the test writes a workbook with a sheet "Grid"), each loaded as a
//! real package folder; and the confinement and limits of those files.

mod common;

use common::{expected_codes, files_with_extension, golden, root};
use std::path::Path;
use vasrec::Engine;

fn catalog() -> String {
    std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap()
}

/// A workbook with one sheet "Grid" holding the CSV's cells; a cell that
/// reads as a number is a number cell, as a spreadsheet stores a typed one.
fn workbook(csv: &[u8]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Grid").unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    for (r, record) in reader.records().enumerate() {
        for (c, text) in record.unwrap().iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            match text.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => sheet.write_string(r as u32, c as u16, text).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

/// The package of one case in a new folder: the case's catalog (with the
/// `# catalog:` line added), the rule file and its spreadsheet.
fn package(case: &Path, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = catalog();
    for line in text.lines() {
        if let Some(extra) = line.strip_prefix("# catalog:") {
            catalog.push_str(extra.trim());
            catalog.push('\n');
        }
    }
    std::fs::write(dir.path().join("catalog.yaml"), catalog).unwrap();
    std::fs::write(dir.path().join("rules.vas"), text).unwrap();
    let stem = case.file_stem().unwrap().to_str().unwrap();
    let folder = case.parent().unwrap();
    if let Ok(csv) = std::fs::read(folder.join(format!("{stem}.csv"))) {
        std::fs::write(dir.path().join(format!("{stem}.csv")), csv).unwrap();
    }
    if let Ok(cells) = std::fs::read(folder.join(format!("{stem}.xlsx.csv"))) {
        std::fs::write(dir.path().join(format!("{stem}.xlsx")), workbook(&cells)).unwrap();
    }
    dir
}

#[test]
fn every_spreadsheet_table_diagnostic_has_a_golden_case() {
    let dir = root().join("tests/cases/sheets");
    let mut failures = Vec::new();
    for case in files_with_extension(&dir, "vas") {
        let text = std::fs::read_to_string(&case).unwrap();
        let expected = expected_codes(&text);
        let folder = package(&case, &text);
        let (diagnostics, sources) = match Engine::load(folder.path()) {
            Ok(engine) => (engine.warnings().to_vec(), engine.sources().clone()),
            Err(error) => (error.diagnostics, error.sources),
        };
        let codes: Vec<String> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        let rendered = vasrec::render::render_all(&diagnostics, &sources, false);
        if codes != expected {
            failures.push(format!(
                "{}: expected {expected:?}, got {codes:?}\n{rendered}",
                case.display()
            ));
        }
        if let Some(difference) = golden(&case.with_extension("txt"), &rendered) {
            failures.push(difference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const TABLE: &str = "segment everyone { when true }\n\
    table t for everyone { hit first columns tenure_months rows \"grid/t.csv\" }\n";

fn load_with(catalog_extra: &str, csv: &[u8]) -> Result<Engine, vasrec::LoadError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        format!("{}{catalog_extra}", catalog()),
    )
    .unwrap();
    std::fs::write(dir.path().join("rules.vas"), TABLE).unwrap();
    std::fs::create_dir(dir.path().join("grid")).unwrap();
    std::fs::write(dir.path().join("grid/t.csv"), csv).unwrap();
    Engine::load(dir.path())
}

fn messages(result: Result<Engine, vasrec::LoadError>) -> String {
    match result {
        Ok(engine) => vasrec::render::render_all(engine.warnings(), engine.sources(), false),
        Err(error) => vasrec::render::render_all(&error.diagnostics, &error.sources, false),
    }
}

#[test]
fn a_table_file_in_a_sub_folder_is_read_and_its_rows_point_at_their_cells() {
    let engine = load_with(
        "",
        b"tenure_months,offer,gain\n< 6,callback,2\n-,upsell_bundle,1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = engine
        .rule_ids()
        .find(|&r| engine.rule_name(r) == "t[2]")
        .unwrap();
    assert_eq!(engine.rule_location(rule), "grid/t.csv:3");
}

#[test]
fn the_byte_row_and_cell_limits_of_a_table_file_hold() {
    let rows: String = (0..50).map(|i| format!("{i},callback\n")).collect();
    let csv = format!("tenure_months,offer\n{rows}");
    assert!(load_with("", csv.as_bytes()).is_ok());
    let text = messages(load_with(
        "limits: { max_table_bytes: 100 }\n",
        csv.as_bytes(),
    ));
    assert!(
        text.contains("larger than 100 bytes (`limits.max_table_bytes`)"),
        "{text}"
    );
    let text = messages(load_with(
        "limits: { max_table_rows: 49 }\n",
        csv.as_bytes(),
    ));
    assert!(
        text.contains("grid/t.csv:51:1`: the file has more than 49 rows"),
        "{text}"
    );
    let text = messages(load_with(
        "limits: { max_table_cells: 60 }\n",
        csv.as_bytes(),
    ));
    assert!(
        text.contains("more than 60 non-empty cells (`limits.max_table_cells`)"),
        "{text}"
    );
    let text = messages(load_with(
        "limits: { max_table_rows: 6000 }\n",
        csv.as_bytes(),
    ));
    assert!(
        text.contains("max_table_rows"),
        "a limit past its ceiling is refused: {text}"
    );
}

#[cfg(unix)]
#[test]
fn a_link_that_leads_out_of_the_package_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "tenure_months,offer\nTOP SECRET,callback\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), catalog()).unwrap();
    std::fs::write(dir.path().join("rules.vas"), TABLE).unwrap();
    std::fs::create_dir(dir.path().join("grid")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("grid/t.csv")).unwrap();
    let text = messages(Engine::load(dir.path()));
    assert!(
        text.contains("leads outside it (through a symbolic link)"),
        "{text}"
    );
    assert!(!text.contains("SECRET"), "{text}");
    // A fifo is refused without being opened (opening it would block).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), catalog()).unwrap();
    std::fs::write(dir.path().join("rules.vas"), TABLE).unwrap();
    std::fs::create_dir(dir.path().join("grid")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("grid/t.csv"))
        .status();
    if status.is_ok_and(|s| s.success()) {
        let text = messages(Engine::load(dir.path()));
        assert!(text.contains("not a regular file"), "{text}");
    }
}

/// A workbook whose parts unpack to far more than they take packed (a zip
/// bomb in the shared strings) is refused before calamine unpacks it.
#[cfg(feature = "xlsx")]
#[test]
fn a_workbook_that_unpacks_to_too_much_is_refused() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "tenure_months").unwrap();
    sheet.write_string(0, 1, "offer").unwrap();
    sheet.write_string(0, 2, "# notes").unwrap();
    for row in 1..8 {
        sheet
            .write_string(row, 0, format!(">= {}", 80 - 10 * row))
            .unwrap();
        sheet.write_string(row, 1, "callback").unwrap();
        sheet
            .write_string(row, 2, format!("{row}{}", "a".repeat(30_000)))
            .unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    assert!(bytes.len() < 8192, "{}", bytes.len());
    let rules = "segment everyone { when true }\n\
        table t for everyone { hit first columns tenure_months rows \"t.xlsx\" }\n";
    let small = format!("{}limits: {{ max_table_bytes: 8192 }}\n", catalog());
    let error = Engine::from_sources_with_data(&small, &[("r.vas", rules)], &[("t.xlsx", &bytes)])
        .unwrap_err();
    assert!(error.to_string().contains("unpacks to"), "{error}");
    // With room to unpack, the same workbook is read.
    let engine =
        Engine::from_sources_with_data(&catalog(), &[("r.vas", rules)], &[("t.xlsx", &bytes)])
            .unwrap_or_else(|e| panic!("{}", e.diagnostics[0].message));
    assert_eq!(engine.counts().1, 7);
}
