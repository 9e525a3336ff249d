//! Decision tables are rules: random tables (seeded, reproducible) give the
//! same offers as the same grid written out by hand as `rule` blocks, over
//! random customers; and what `check` says of a table holds for them: no two
//! rows of an accepted `hit unique` table match one customer, a row it calls
//! unreachable never matches, and without a gap every customer whose column
//! values are known matches a row.

mod common;

use common::rng::Rng;
use vasrec::Engine;

const CATALOG: &str = r#"
package: tables
max_offers: 6
services:
  - { id: s0, name: s0, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s1, name: s1, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s2, name: s2, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s3, name: s3, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
customer:
  id: id
  attributes:
    - { name: id, type: text, required: true }
    - { name: a, type: number }
    - { name: b, type: number }
    - { name: c, type: category, values: [x, y, z] }
    - { name: d, type: bool }
  preferences:
    - { name: p }
"#;

const SEGMENTS: &str = "segment everyone { when true }\n\
    segment inner under everyone { when a >= 1 and c != \"z\" }\n";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Preference,
    Category,
    Bool,
}

const COLUMNS: [(&str, Kind); 5] = [
    ("a", Kind::Number),
    ("b", Kind::Number),
    ("c", Kind::Category),
    ("d", Kind::Bool),
    ("pref.p", Kind::Preference),
];

fn constant(rng: &mut Rng, kind: Kind) -> String {
    match kind {
        Kind::Number => format!("{}", rng.below(9) as f64 / 2.0),
        Kind::Preference => format!("{}", rng.below(5) as f64 / 4.0),
        Kind::Category => format!("\"{}\"", rng.pick(&["x", "y", "z"])),
        Kind::Bool => rng.pick(&["true", "false"]).to_string(),
    }
}

/// A cell as written in the table, and the same test as a rule condition
/// on `column` (None for `-`).
fn cell(rng: &mut Rng, column: &str, kind: Kind) -> (String, Option<String>) {
    let ordered = matches!(kind, Kind::Number | Kind::Preference);
    match rng.below(if ordered { 7 } else { 5 }) {
        0 | 1 => ("-".into(), None),
        2 => {
            let k = constant(rng, kind);
            (k.clone(), Some(format!("{column} == {k}")))
        }
        3 => {
            let list: Vec<String> = (0..1 + rng.below(3)).map(|_| constant(rng, kind)).collect();
            let list = list.join(", ");
            if rng.chance(50) {
                (
                    format!("in [{list}]"),
                    Some(format!("{column} in [{list}]")),
                )
            } else {
                (
                    format!("not in [{list}]"),
                    Some(format!("{column} not in [{list}]")),
                )
            }
        }
        4 => {
            let k = constant(rng, kind);
            (format!("!= {k}"), Some(format!("{column} != {k}")))
        }
        5 => {
            let op = rng.pick(&["<", "<=", ">", ">="]);
            let k = constant(rng, kind);
            (format!("{op} {k}"), Some(format!("{column} {op} {k}")))
        }
        _ => {
            let low = constant(rng, kind);
            let high = constant(rng, kind);
            (
                format!("{low}..{high}"),
                Some(format!("({column} >= {low} and {column} < {high})")),
            )
        }
    }
}

struct Row {
    cells: Vec<String>,
    /// Each test of the row, with the column it reads.
    tests: Vec<(String, String)>,
    clauses: String,
    priority: i64,
}

struct Table {
    /// `everyone`, or `inner` (a >= 1 and c != "z"), which bounds the gaps.
    segment: &'static str,
    hit: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Row>,
}

fn random_table(rng: &mut Rng) -> Table {
    let hit = rng.pick(&["unique", "first", "priority", "collect"]);
    let mut columns: Vec<(&str, Kind)> = COLUMNS.to_vec();
    let count = 1 + rng.below(3);
    let mut chosen = Vec::new();
    for _ in 0..count {
        chosen.push(columns.remove(rng.below(columns.len())));
    }
    let rows = (0..1 + rng.below(6))
        .map(|_| {
            let mut cells = Vec::new();
            let mut tests = Vec::new();
            for &(name, kind) in &chosen {
                let (text, test) = cell(rng, name, kind);
                cells.push(text);
                tests.extend(test.map(|t| (name.to_string(), t)));
            }
            let mut clauses = String::new();
            if rng.chance(15) {
                clauses.push_str("when a > 1 ");
                tests.push(("a".into(), "a > 1".into()));
            }
            let service = rng.pick(&["s0", "s1", "s2", "s3"]);
            let priority = rng.below(3) as i64;
            if rng.chance(10) {
                clauses.push_str(&format!("suppress {service} priority {priority}"));
            } else {
                let gain = rng.pick(&["1", "2.5", "1 + b", "3 * pref.p", "0.5"]);
                clauses.push_str(&format!("offer {service} gain {gain} priority {priority}"));
            }
            Row {
                cells,
                tests,
                clauses,
                priority,
            }
        })
        .collect();
    Table {
        segment: rng.pick(&["everyone", "inner"]),
        hit,
        columns: chosen.iter().map(|c| c.0).collect(),
        rows,
    }
}

fn as_table(table: &Table) -> String {
    let mut out = format!(
        "{SEGMENTS}table t for {} {{\n  hit {}\n  columns {}\n",
        table.segment,
        table.hit,
        table.columns.join(", ")
    );
    for row in &table.rows {
        out.push_str(&format!(
            "  row {} => {}\n",
            row.cells.join(", "),
            row.clauses
        ));
    }
    out.push_str("}\n");
    out
}

/// The same grid as rules. Under `first` and `priority`, a row also needs
/// that no row tried before it matched, written with `present` so that a
/// row whose test is unknown counts as not matching.
fn as_rules(table: &Table) -> String {
    let mut order: Vec<usize> = (0..table.rows.len()).collect();
    if table.hit == "priority" {
        order.sort_by_key(|&i| std::cmp::Reverse(table.rows[i].priority));
    }
    let single = matches!(table.hit, "first" | "priority");
    let matched = |row: &Row| -> String {
        if row.tests.is_empty() {
            return "true".into();
        }
        row.tests
            .iter()
            .map(|(column, test)| format!("(present({column}) and {test})"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut out = String::from(SEGMENTS);
    for (i, row) in table.rows.iter().enumerate() {
        let mut parts: Vec<String> = row.tests.iter().map(|(_, t)| t.clone()).collect();
        if single {
            let place = order.iter().position(|&k| k == i).unwrap();
            for &earlier in &order[..place] {
                parts.push(format!("not ({})", matched(&table.rows[earlier])));
            }
        }
        let when = if parts.is_empty() {
            String::new()
        } else {
            format!("when {} ", parts.join(" and "))
        };
        let clauses = row.clauses.replace("when a > 1 ", "");
        out.push_str(&format!(
            "rule r{i} for {} {{ {when}{clauses} }}\n",
            table.segment
        ));
    }
    out
}

fn random_customer(rng: &mut Rng, i: usize) -> serde_json::Value {
    let mut customer = serde_json::json!({ "id": format!("c{i}") });
    if rng.chance(85) {
        customer["a"] = serde_json::json!(rng.below(11) as f64 / 2.0 - 0.5);
    }
    if rng.chance(85) {
        customer["b"] = serde_json::json!(rng.below(11) as f64 / 2.0 - 0.5);
    }
    if rng.chance(85) {
        customer["c"] = serde_json::json!(rng.pick(&["x", "y", "z"]));
    }
    if rng.chance(85) {
        customer["d"] = serde_json::json!(rng.chance(50));
    }
    if rng.chance(85) {
        customer["pref.p"] = serde_json::json!(rng.below(9) as f64 / 8.0);
    }
    customer
}

fn offers(engine: &Engine, customer: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let customer = engine.customer_from_json(customer).unwrap();
    let mut evaluator = engine.evaluator();
    let offers = match evaluator.evaluate(&customer) {
        Ok(offers) => offers
            .iter()
            .map(|o| format!("{} {}", engine.service(o.service).id, o.gain))
            .collect(),
        Err(e) => vec![format!("error: {e}")],
    };
    let fired = evaluator
        .fired_rules()
        .iter()
        .map(|r| engine.rule_name(*r).to_string())
        .collect();
    (offers, fired)
}

#[test]
fn tables_give_the_offers_of_the_same_rules() {
    let mut rng = Rng(22);
    let mut compared = [0usize; 4];
    let mut refused_overlaps = 0;
    for round in 0..400 {
        let table = random_table(&mut rng);
        let table_text = as_table(&table);
        let rules_text = as_rules(&table);
        let by_rules = Engine::from_sources(CATALOG, &[("rules.vas", &rules_text)])
            .unwrap_or_else(|e| panic!("round {round}: the rules do not load:\n{rules_text}\n{e}"));
        let by_table = match Engine::from_sources(CATALOG, &[("rules.vas", &table_text)]) {
            Ok(engine) => engine,
            Err(e) if table.hit == "unique" => {
                let codes: Vec<String> = e.diagnostics.iter().map(|d| d.code.as_str()).collect();
                assert!(
                    codes.iter().all(|c| c == "OVERLAPPING_ROWS"),
                    "round {round}: {codes:?}\n{table_text}"
                );
                refused_overlaps += 1;
                continue;
            }
            Err(e) => panic!("round {round}: the table does not load:\n{table_text}\n{e}"),
        };
        let policy = ["unique", "first", "priority", "collect"]
            .iter()
            .position(|p| *p == table.hit)
            .unwrap();
        compared[policy] += 1;
        let warnings: Vec<(String, String)> = by_table
            .warnings()
            .iter()
            .map(|d| (d.code.as_str(), d.message.clone()))
            .collect();
        // Rows `check` says can never match, by name.
        let unreachable: Vec<String> = warnings
            .iter()
            .filter(|(code, _)| code == "UNREACHABLE_ROW")
            .filter_map(|(_, message)| Some(message.split(' ').nth(1)?.to_string()))
            .collect();
        let gap = warnings.iter().any(|(code, _)| code == "TABLE_GAP");
        let opaque = table.rows.iter().any(|r| r.clauses.starts_with("when"));
        for i in 0..40 {
            let customer = random_customer(&mut rng, i);
            let (expected, _) = offers(&by_rules, &customer);
            let (actual, fired) = offers(&by_table, &customer);
            assert_eq!(
                actual, expected,
                "round {round}, customer {customer}\ntable:\n{table_text}\nrules:\n{rules_text}"
            );
            for name in &fired {
                assert!(
                    !unreachable.contains(name),
                    "round {round}: check says {name} can never match, but it matches {customer}\n{table_text}"
                );
            }
            let inside = table.segment == "everyone"
                || customer["a"].as_f64().is_some_and(|a| a >= 1.0)
                    && customer["c"].as_str().is_some_and(|c| c != "z");
            let known = inside && table.columns.iter().all(|c| customer.get(*c).is_some());
            if known && !gap && !opaque && matches!(table.hit, "unique" | "first") {
                assert!(
                    !fired.is_empty(),
                    "round {round}: check found no gap, but no row matches {customer}\n{table_text}"
                );
            }
            // Rows with a `when` are opaque to the analysis.
            let plain = |name: &&String| {
                let index: usize = name[2..name.len() - 1].parse().unwrap();
                !table.rows[index - 1].clauses.starts_with("when")
            };
            let fired: Vec<&String> = fired.iter().filter(plain).collect();
            if table.hit == "unique" {
                assert!(
                    fired.len() <= 1,
                    "round {round}: check accepted a `hit unique` table, but rows {fired:?} match {customer}\n{table_text}"
                );
            }
        }
    }
    assert!(
        compared.iter().all(|&n| n >= 30) && refused_overlaps >= 10,
        "too few tables compared per policy: {compared:?}, overlaps refused: {refused_overlaps}"
    );
}

/// The row's clauses as spreadsheet cells: (offer, suppress, gain,
/// priority, when), parsed back from the clauses `random_table` writes.
fn clause_cells(clauses: &str) -> [String; 5] {
    let (when, rest) = match clauses.strip_prefix("when a > 1 ") {
        Some(rest) => ("a > 1".to_string(), rest),
        None => (String::new(), clauses),
    };
    let (action, priority) = rest.split_once(" priority ").unwrap();
    if let Some(service) = action.strip_prefix("suppress ") {
        return [
            String::new(),
            service.into(),
            String::new(),
            priority.into(),
            when,
        ];
    }
    let action = action.strip_prefix("offer ").unwrap();
    let (service, gain) = action.split_once(" gain ").unwrap();
    [
        service.into(),
        String::new(),
        gain.into(),
        priority.into(),
        when,
    ]
}

/// The same grid as a spreadsheet: the headings in a random order (with a
/// column of notes), `-` or an empty cell for any value, category values
/// with or without their quotes.
fn as_sheet(table: &Table, rng: &mut Rng) -> Vec<Vec<String>> {
    let mut headings: Vec<String> = table.columns.iter().map(|c| c.to_string()).collect();
    headings.extend(["offer", "suppress", "gain", "priority", "when", "# notes"].map(String::from));
    let mut order: Vec<usize> = (0..headings.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut out = vec![order.iter().map(|&i| headings[i].clone()).collect()];
    for row in &table.rows {
        let mut cells: Vec<String> = row
            .cells
            .iter()
            .map(|cell| match cell.as_str() {
                "-" if rng.chance(50) => String::new(),
                c if c.starts_with('"') && rng.chance(50) => c.trim_matches('"').to_string(),
                c => c.to_string(),
            })
            .collect();
        cells.extend(clause_cells(&row.clauses));
        cells.push("a note, with a comma".into());
        out.push(order.iter().map(|&i| cells[i].clone()).collect());
    }
    out
}

fn csv_bytes(sheet: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in sheet {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

#[cfg(feature = "xlsx")]
fn xlsx_bytes(sheet: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let worksheet = workbook.add_worksheet().set_name("Grid").unwrap();
    for (r, row) in sheet.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            // A number typed into a spreadsheet is a number cell.
            match text.parse::<f64>() {
                Ok(n) => worksheet.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => worksheet.write_string(r as u32, c as u16, text).unwrap(),
            };
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// The same random grids read from a CSV file (and, with the `xlsx`
/// feature, every third from a workbook) give the offers, fired rows and
/// diagnostics of the grid written as a `.vas` table, and the offers of
/// the grid written as rules.
#[test]
fn tables_read_from_spreadsheets_give_the_offers_of_the_written_table_and_rules() {
    let mut rng = Rng(2207);
    let mut compared = 0;
    let mut refused = 0;
    for round in 0..240 {
        let table = random_table(&mut rng);
        let table_text = as_table(&table);
        let rules_text = as_rules(&table);
        let sheet = as_sheet(&table, &mut rng);
        let xlsx = cfg!(feature = "xlsx") && round % 3 == 0;
        let (file, bytes) = if xlsx {
            #[cfg(feature = "xlsx")]
            let bytes = xlsx_bytes(&sheet);
            #[cfg(not(feature = "xlsx"))]
            let bytes = Vec::new();
            ("t.xlsx", bytes)
        } else {
            ("t.csv", csv_bytes(&sheet))
        };
        let declaration = format!(
            "{SEGMENTS}table t for {} {{\n  hit {}\n  columns {}\n  rows \"{file}\"{}\n}}\n",
            table.segment,
            table.hit,
            table.columns.join(", "),
            if xlsx { " sheet \"Grid\"" } else { "" }
        );
        let by_sheet = Engine::from_sources_with_data(
            CATALOG,
            &[("rules.vas", &declaration)],
            &[(file, &bytes)],
        );
        let by_table = Engine::from_sources(CATALOG, &[("rules.vas", &table_text)]);
        let (by_sheet, by_table) = match (by_sheet, by_table) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(a), Err(b)) => {
                let codes = |e: &vasrec::LoadError| -> Vec<String> {
                    e.diagnostics.iter().map(|d| d.code.as_str()).collect()
                };
                assert_eq!(codes(&a), codes(&b), "round {round}:\n{table_text}\n{a}");
                refused += 1;
                continue;
            }
            (a, b) => panic!(
                "round {round}: one loads and the other does not:\n{table_text}\nsheet: {:?}\ntable: {:?}",
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            ),
        };
        let by_rules = Engine::from_sources(CATALOG, &[("rules.vas", &rules_text)]).unwrap();
        let messages = |e: &Engine| -> Vec<String> {
            e.warnings()
                .iter()
                .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                .collect()
        };
        assert_eq!(
            messages(&by_sheet),
            messages(&by_table),
            "round {round}:\n{table_text}"
        );
        compared += 1;
        for i in 0..30 {
            let customer = random_customer(&mut rng, i);
            let (from_sheet, fired_sheet) = offers(&by_sheet, &customer);
            let (from_table, fired_table) = offers(&by_table, &customer);
            let (from_rules, _) = offers(&by_rules, &customer);
            assert_eq!(
                from_sheet, from_table,
                "round {round}, {customer}\n{table_text}\n{sheet:?}"
            );
            assert_eq!(
                fired_sheet, fired_table,
                "round {round}, {customer}\n{table_text}"
            );
            assert_eq!(
                from_sheet, from_rules,
                "round {round}, {customer}\n{rules_text}"
            );
        }
    }
    assert!(
        compared >= 150 && refused >= 10,
        "compared {compared}, refused {refused}"
    );
}
