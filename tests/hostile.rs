//! Broken and hostile input: every case ends quickly with the right kind of
//! error at the right place, and nothing panics.

mod common;

use common::{TempDir, root};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vasrec::{Code, Engine};

/// Runs `f` on another thread and fails the test if it takes longer than `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("did not finish in time (or panicked)")
}

fn catalog() -> String {
    std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap()
}

/// The codes and first positions (`file:line:col`) of a package's diagnostics.
fn problems(files: Vec<(String, String)>) -> Vec<(Code, String)> {
    let catalog = catalog();
    within(Duration::from_secs(20), move || {
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let (diagnostics, sources) = match Engine::from_sources(&catalog, &borrowed) {
            Ok(engine) => (engine.warnings().to_vec(), engine.sources().clone()),
            Err(e) => (e.diagnostics, e.sources),
        };
        vasrec::render::to_json(&diagnostics, &sources)
            .iter()
            .map(|d| serde_json::to_value(d).unwrap())
            .zip(&diagnostics)
            .map(|(v, d)| {
                (
                    d.code,
                    format!(
                        "{}:{}:{}",
                        v["file"].as_str().unwrap_or("-"),
                        v["line"],
                        v["column"]
                    ),
                )
            })
            .collect()
    })
}

fn one(name: &str, text: &str) -> Vec<(Code, String)> {
    problems(vec![(name.to_string(), text.to_string())])
}

const OK: &str = "segment everyone { when true }\nrule r for everyone { offer callback }\n";

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(one("a.vas", "")[0].0, Code::EmptyPackage);
    assert_eq!(
        one("a.vas", "# nothing but a comment\n# and another")[0].0,
        Code::EmptyPackage
    );
    // An empty file beside a good one is fine.
    assert!(
        problems(vec![
            ("a.vas".into(), OK.into()),
            ("b.vas".into(), String::new())
        ])
        .is_empty()
    );
}

#[test]
fn byte_order_marks_crlf_and_tabs_are_read_as_text() {
    assert!(one("a.vas", &format!("\u{feff}{OK}")).is_empty());
    assert!(one("a.vas", &OK.replace('\n', "\r\n")).is_empty());
    assert!(one("a.vas", &OK.replace(' ', "\t")).is_empty());
    // Positions stay right with CRLF: line 2, column of the bad name.
    let found = one(
        "a.vas",
        "segment everyone { when true }\r\nrule r for everyone { offer nope }\r\n",
    );
    assert_eq!(
        found,
        vec![(Code::UnknownService, "a.vas:2:29".to_string())]
    );
}

#[test]
fn unterminated_strings_and_blocks() {
    let found = one("a.vas", "segment everyone \"all { when true }\n");
    assert_eq!(found[0].0, Code::Syntax);
    // The caret goes where the missing `}` belongs: just after `true`.
    let found = one("a.vas", "segment everyone { when true\n");
    assert_eq!(found, vec![(Code::Syntax, "a.vas:1:29".to_string())]);
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let text = format!(
        "segment everyone {{ when {}true{} }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(one("a.vas", &text)[0].0, Code::TooDeep);
    let text = format!(
        "segment everyone {{ when {}true }}\n",
        "not ".repeat(100_000)
    );
    assert_eq!(one("a.vas", &text)[0].0, Code::TooDeep);
    let long_sum = vec!["tenure_months"; 50_000].join(" + ");
    let text = format!("segment everyone {{ when {long_sum} > 1 }}\n");
    assert_eq!(one("a.vas", &text)[0].0, Code::TooDeep);
}

#[test]
fn huge_names_and_texts_are_refused() {
    let text = format!("segment {} {{ when true }}\n", "a".repeat(10 * 1024 * 1024));
    assert_eq!(
        one("a.vas", &text),
        vec![(Code::TooLong, "a.vas:1:9".to_string())]
    );
    let text = format!(
        "segment everyone \"{}\" {{ when true }}\n",
        "长".repeat(100_000)
    );
    assert_eq!(one("a.vas", &text)[0].0, Code::TooLong);
}

#[test]
fn numbers_out_of_range() {
    let found = one("a.vas", "segment everyone { when spend_12m > 1e400 }\n");
    assert_eq!(found[0].0, Code::NumberOutOfRange);
    let found = one(
        "a.vas",
        "segment everyone { when true }\nrule r for everyone { offer callback priority 9223372036854775808 }\n",
    );
    assert_eq!(found[0], (Code::NumberOutOfRange, "a.vas:2:38".to_string()));
}

#[test]
fn duplicate_names_across_files() {
    let found = problems(vec![
        ("a.vas".into(), OK.into()),
        ("b.vas".into(), "segment everyone { when senior }\n".into()),
    ]);
    assert_eq!(found, vec![(Code::DuplicateName, "b.vas:1:9".to_string())]);
}

#[test]
fn a_billion_laughs_catalog_is_refused_quickly() {
    let mut yaml = String::from(
        "package: p\na0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    let start = Instant::now();
    let result = within(Duration::from_secs(20), move || {
        Engine::from_sources(&yaml, &[("a.vas", OK)]).map(|_| ())
    });
    let error = result.unwrap_err();
    assert!(
        matches!(error.diagnostics[0].code, Code::Yaml | Code::UnknownKey),
        "{error}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn invalid_utf8_oversized_files_and_symlink_loops_in_a_folder() {
    let dir = TempDir::new("hostile-dir");
    std::fs::write(dir.path().join("catalog.yaml"), catalog()).unwrap();
    std::fs::write(dir.path().join("a.vas"), OK).unwrap();
    let mut bad = b"segment x { when true }\n# caf".to_vec();
    bad.extend([0xff, 0xfe, b'\n']);
    std::fs::write(dir.path().join("b.vas"), bad).unwrap();
    std::fs::write(dir.path().join("c.vas"), vec![b'#'; 9 * 1024 * 1024]).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let path = dir.path().to_path_buf();
    let error = within(Duration::from_secs(20), move || {
        Engine::load(&path).map(|_| ())
    })
    .unwrap_err();
    let codes: Vec<Code> = error.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::InvalidUtf8), "{codes:?}");
    assert!(codes.contains(&Code::ReadError), "{codes:?}");
    let utf8 = error
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidUtf8)
        .unwrap();
    assert_eq!(utf8.position.map(|p| (p.1, p.2)), Some((2, 6)));
}

fn vasrec_with_input(args: &[&str], input: &[u8]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("vasrec {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn csv_with_quoted_newlines_keeps_line_numbers_right() {
    let sample = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().take(4).map(str::to_string).collect();
    // Row 2 gets a quoted field with a line break in it (customer id), row 3 a bad tenure.
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[0] = "\"A\nB\"".to_string();
    lines[1] = fields.join(",");
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[5] = "x".to_string();
    lines[2] = fields.join(",");
    let input = lines.join("\n") + "\n";
    let (code, _, stderr) = vasrec_with_input(&["dry-run", "--customers", "-"], input.as_bytes());
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: -:4:6: `tenure`"), "{stderr}");
}

#[test]
fn a_huge_single_field_is_refused_with_its_line() {
    let header = std::fs::read_to_string(root().join("rules/customers.csv")).unwrap();
    let header = header.lines().next().unwrap().to_string();
    let mut input = header.into_bytes();
    input.extend(b"\n");
    input.extend(vec![b'x'; 100 * 1024 * 1024]);
    input.extend(b"\n");
    let (code, _, stderr) = vasrec_with_input(&["dry-run", "--customers", "-"], &input);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("-:2: the row is longer than"), "{stderr}");
}

#[test]
fn json_lines_with_a_truncated_last_line() {
    let input = "{\"customerID\": \"a\", \"tenure\": 3, \"MonthlyCharges\": 50}\n{\"customerID\": \"b\", \"tenure\": 4, \"Mon";
    let (code, _, stderr) = vasrec_with_input(
        &["dry-run", "--customers", "-", "--input-format", "jsonl"],
        input.as_bytes(),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: -:2:"), "{stderr}");
    assert!(stderr.contains("not a JSON object"), "{stderr}");
}

#[test]
fn runtime_division_by_zero_is_an_error_naming_the_rule() {
    let catalog = catalog();
    let engine = Engine::from_sources(
        &catalog,
        &[("a.vas", "segment everyone { when true }\nrule ratio for everyone { offer callback gain spend_12m / tenure_months }\n")],
    )
    .unwrap();
    let customer = engine
        .customer()
        .set("id", "z")
        .set("spend_12m", 0)
        .set("tenure_months", 0)
        .build()
        .unwrap();
    let error = engine.evaluate(&customer).unwrap_err();
    assert_eq!(error.rule_name, "ratio");
    assert!(
        error.to_string().contains("not a finite number (NaN)"),
        "{error}"
    );
}

#[test]
fn a_folder_without_a_catalog() {
    let dir = TempDir::new("no-catalog");
    std::fs::write(dir.path().join("a.vas"), OK).unwrap();
    let path = dir.path().to_path_buf();
    let error = within(Duration::from_secs(20), move || {
        Engine::load(&path).map(|_| ())
    })
    .unwrap_err();
    assert_eq!(error.diagnostics[0].code, Code::MissingCatalog);
    assert_eq!(
        error.diagnostics[0].message,
        "the package has no `catalog.yaml`"
    );
}

/// `limits:` in the catalog lowers (or raises, up to a ceiling) what rule
/// files and customer rows may hold.
#[test]
fn limits_come_from_the_catalog() {
    let with_limits = |limits: &str| format!("{}\nlimits: {limits}\n", catalog());
    let load = |catalog: String, rules: &str| {
        let rules = rules.to_string();
        within(Duration::from_secs(20), move || match Engine::from_sources(
            &catalog,
            &[("rules.vas", &rules)],
        ) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| (d.code, d.message.clone()))
                .collect(),
        })
    };
    let nested =
        "segment everyone { when ((((1 < 2)))) }\nrule r for everyone { offer callback }\n";
    assert!(load(catalog(), nested).is_empty());
    let found = load(with_limits("{ max_nesting: 4 }"), nested);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Code::TooDeep);
    assert!(found[0].1.contains("more than 4 levels"), "{found:?}");

    let long =
        "segment everyone { when 1 + 1 + 1 + 1 + 1 > 2 }\nrule r for everyone { offer callback }\n";
    let found = load(with_limits("{ max_operators: 3 }"), long);
    assert_eq!(found[0].0, Code::TooDeep, "{found:?}");

    let named = "segment everyone_and_everybody_else { when true }\nrule r for everyone_and_everybody_else { offer callback }\n";
    let found = load(with_limits("{ max_name_bytes: 10 }"), named);
    assert_eq!(found[0].0, Code::TooLong, "{found:?}");

    let found = load(with_limits("{ max_nesting: 100000 }"), OK);
    assert_eq!(found[0].0, Code::InvalidCatalog, "{found:?}");
    assert!(found[0].1.contains("between 1 and 256"), "{found:?}");
    let found = load(with_limits("{ max_nesting: 0 }"), OK);
    assert_eq!(found[0].0, Code::InvalidCatalog, "{found:?}");
    let found = load(with_limits("{ max_nestng: 10 }"), OK);
    assert_eq!(found[0].0, Code::UnknownKey, "{found:?}");
}

#[test]
fn a_row_longer_than_the_catalogs_limit_is_refused() {
    let dir = TempDir::new("row-limit");
    std::fs::write(
        dir.path().join("catalog.yaml"),
        format!("{}\nlimits: {{ max_row_bytes: 64 }}\n", catalog()),
    )
    .unwrap();
    std::fs::write(dir.path().join("rules.vas"), OK).unwrap();
    let package = dir.path().to_str().unwrap().to_string();
    let csv = format!("id,city\nc1,short\nc2,{}\n", "x".repeat(100));
    let (code, _, stderr) = vasrec_with_input(
        &["dry-run", "--rules", &package, "--customers", "-"],
        csv.as_bytes(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("-:3:"), "{stderr}");
    assert!(stderr.contains("longer than 64 bytes"), "{stderr}");
}

/// Rows from other systems: too many or too few fields, a wrong type, a
/// missing required value; each is a data error with its line, and
/// `--on-error skip` counts them and goes on.
#[test]
fn malformed_customer_rows_are_counted_with_their_lines() {
    let dir = TempDir::new("bad-rows");
    std::fs::write(dir.path().join("catalog.yaml"), catalog()).unwrap();
    std::fs::write(dir.path().join("rules.vas"), OK).unwrap();
    let package = dir.path().to_str().unwrap().to_string();
    let csv = "id,spend_12m,tier\n\
               c1,100,gold\n\
               c2,100,gold,extra\n\
               c3,100\n\
               c4,lots,gold\n\
               ,100,gold\n\
               c6,100,platinum\n\
               c7,200,silver\n";
    let args = [
        "dry-run",
        "--rules",
        &package,
        "--customers",
        "-",
        "--on-error",
        "skip",
        "--format",
        "json",
    ];
    let (code, stdout, stderr) = vasrec_with_input(&args, csv.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["totals"]["customers"], 7);
    assert_eq!(report["totals"]["evaluated"], 2, "{report:#}");
    assert_eq!(report["totals"]["data_errors"], 5);
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for (line, what) in [
        (3, "4 fields"),
        (4, "2 fields"),
        (5, "spend_12m"),
        (6, "required"),
        (7, "platinum"),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("-:{line}:")) && e.contains(what)),
            "line {line}: {errors:?}"
        );
    }
    // Without --on-error skip the first bad row stops the run, naming its line.
    let (code, _, stderr) = vasrec_with_input(&args[..5], csv.as_bytes());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("-:3:"), "{stderr}");
}

/// A dimension with tens of thousands of items, or the same item named that
/// many times, is checked in time: items are looked up, not searched.
#[test]
fn a_dimension_with_very_many_items_is_checked_quickly() {
    let n = 20_000;
    let names: Vec<String> = (0..n).map(|i| format!("item_{i}")).collect();
    let attributes: String = names
        .iter()
        .map(|name| format!("    - {{ name: {name}, type: number }}\n"))
        .collect();
    let catalog = |items: &str| {
        format!(
            "package: many-items\nsatisfaction:\n  dimensions:\n    - {{ id: d, perception: [{items}] }}\n  weights: {{ d: 1 }}\nservices:\n  - {{ id: s, name: S, category: convenience, stage: in_sale, channel: omni, participation: passive, effects: {{ d: 1 }} }}\ncustomer:\n  attributes:\n    - {{ name: id, type: text }}\n{attributes}"
        )
    };
    let rules = "segment everyone { when true }\nrule r for everyone { offer s }\n";
    let every = catalog(&names.join(", "));
    within(Duration::from_secs(40), move || {
        Engine::from_sources(&every, &[("rules.vas", rules)]).map(|_| ())
    })
    .unwrap_or_else(|e| panic!("{:?}", e.diagnostics.first()));
    let same = catalog(&vec!["item_0"; n].join(", "));
    let codes = within(Duration::from_secs(40), move || match Engine::from_sources(
        &same,
        &[("rules.vas", rules)],
    ) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
    });
    // Ten are shown, the other n - 11 counted in one more.
    let count = |code| codes.iter().filter(|&&c| c == code).count();
    assert_eq!(
        (count(Code::DuplicateName), count(Code::InvalidCatalog)),
        (10, 1)
    );
}
