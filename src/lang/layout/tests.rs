use super::*;

fn fmt(text: &str) -> String {
    match format_source(text) {
        Ok(out) => out,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn clauses_one_per_line_in_written_order() {
    let out = fmt("rule r {priority 2 for s when a>1 offer x gain 1 because \"b\"}");
    assert_eq!(
        out,
        "rule r {\n  priority 2\n  for s\n  when a > 1\n  offer x\n  gain 1\n  because \"b\"\n}\n"
    );
}

#[test]
fn numbers_texts_and_preferences_as_written() {
    let out = fmt("segment s { when pref.x >= 1_000.50e+2 and t == \"a\\u{4E2D}\u{3000}\" }");
    assert_eq!(
        out,
        "segment s { when pref.x >= 1_000.50e+2 and t == \"a\\u{4E2D}\u{3000}\" }\n"
    );
}

#[test]
fn operators_brackets_and_calls() {
    let out = fmt("segment s { when not( a+-b )*2 in [ 1 , 2 , ] and f ( x,y ) not   in [3] }");
    assert_eq!(
        out,
        "segment s { when not (a + -b) * 2 in [1, 2] and f(x, y) not in [3] }\n"
    );
}

#[test]
fn a_long_condition_breaks_before_its_lowest_operator() {
    let long = "x".repeat(40);
    let out = fmt(&format!(
        "segment s {{ when {long} > 1 and {long} > 2 or {long} > 3 }}"
    ));
    assert_eq!(
        out,
        format!("segment s {{\n  when {long} > 1 and {long} > 2\n   or {long} > 3\n}}\n")
    );
    assert_eq!(fmt(&out), out);
}

#[test]
fn a_broken_condition_stays_broken() {
    let out = fmt("segment s {\n  when a\n    and b }");
    assert_eq!(out, "segment s {\n  when a\n   and b\n}\n");
    let joined = fmt("segment s {\n  when a and b }");
    assert_eq!(joined, "segment s {\n  when a and b\n}\n");
}

#[test]
fn comments_stay_where_they_were() {
    let text = "# head\n\n\n# about s\nsegment s { # trailing\n\n  # before when\n  when a   # after a\n  # end\n}\n";
    let out = fmt(text);
    assert_eq!(
        out,
        "# head\n\n# about s\nsegment s { # trailing\n  # before when\n  when a   # after a\n  # end\n}\n"
    );
    assert_eq!(fmt(&out), out);
}

#[test]
fn a_comment_inside_an_expression_breaks_the_line() {
    let out = fmt("rule r { for s when f(a, # why\n b) and c offer x }");
    assert_eq!(
        out,
        "rule r {\n  for s\n  when f(a, # why\n      b)\n   and c\n  offer x\n}\n"
    );
    assert_eq!(fmt(&out), out);
}

#[test]
fn scripts_are_kept_byte_for_byte() {
    let script = "script {\n      let x = \"# not a comment }\";\n\t x.len() > 1 }";
    let out = fmt(&format!("rule r {{ for s\n when {script} offer x }}"));
    assert_eq!(
        out,
        format!("rule r {{\n  for s\n  when {script}\n  offer x\n}}\n")
    );
}

#[test]
fn crlf_tabs_and_full_width_spaces_are_white_space() {
    let out = fmt("segment\ts\u{3000}{\r\n\twhen a # c\r\n}\r\n");
    assert_eq!(out, "segment s {\n  when a # c\n}\n");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt(" \n\n"), "");
    assert_eq!(fmt("# only\n\n\n# comments"), "# only\n\n# comments\n");
    assert_eq!(fmt("segment s {\n}"), "segment s { }\n");
}

#[test]
fn broken_files_are_refused_with_diagnostics() {
    for text in ["segment s { when a = 1 }", "rule r { for s }", "segment {"] {
        match format_source(text) {
            Err(FormatError::Syntax { diagnostics, .. }) => assert!(!diagnostics.is_empty()),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = format!(
        "segment s {{ when {}1{} }}",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    assert!(format_source(&text).is_err());
}

#[test]
fn shape_ignores_positions_but_not_content() {
    let parse = |text: &str| {
        let file = SourceFile::new("a.vas", None, text);
        syntax::parse_file(FileId(0), &file, &Limits::default()).items
    };
    let a = parse("segment s { when a + 1 > 2 }");
    let b = parse("\n\nsegment   s {\n when a+1>2 }");
    let c = parse("segment s { when a + 2 > 2 }");
    let d = parse("segment s { when (a + 1) > 2 }");
    assert_eq!(shape(&a), shape(&b));
    assert_ne!(shape(&a), shape(&c));
    assert_eq!(shape(&a), shape(&d), "parentheses only group");
}

#[test]
fn limits_above_the_catalog_ceilings_are_lowered() {
    let raised = Limits {
        max_nesting: usize::MAX,
        max_operators: 10,
        ..Limits::default()
    };
    let limits = within_ceilings(&raised);
    assert_eq!(limits.max_nesting, 256);
    assert_eq!(limits.max_operators, 10);
    let text = format!(
        "segment s {{ when {}1{} }}",
        "(".repeat(300),
        ")".repeat(300)
    );
    assert!(format_file("a.vas", &text, &raised).is_err());
}

#[test]
fn catalog_limits_reads_the_limits_and_nothing_else() {
    let raised = catalog_limits("package: x\nservices: [oops\nlimits: { max_nesting: 200 }\n");
    assert_eq!(raised, Limits::default(), "YAML that does not read");
    let raised = catalog_limits("package: x\nnot_a_key: 1\nlimits:\n  max_nesting: 200\n");
    assert_eq!(raised.max_nesting, 200);
    assert_eq!(raised.max_operators, Limits::default().max_operators);
    assert_eq!(catalog_limits("package: x\n"), Limits::default());
    assert_eq!(
        catalog_limits("limits: { max_nesting: 200, max_nestin: 3 }\n"),
        Limits::default(),
        "a misspelt limit: check reports it; the layout keeps the defaults"
    );
    let nested = format!(
        "segment s {{ when {}a{} }}\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    assert!(format_source(&nested).is_err());
    let limits = catalog_limits("limits: { max_nesting: 200 }\n");
    assert!(format_file("a.vas", &nested, &limits).is_ok());
}

// ---- the compiled engine, table by table --------------------------------
//
// The integration tests (tests/fmt.rs) compare what an engine shows and
// offers; the compiled tables are private to the crate, so they are compared
// here, for every package of the repository and every evaluation case.

use crate::engine::Engine;
use std::path::{Path, PathBuf};

/// `{:?}` text with every `Span { .. }` written `Span`: positions are the
/// one thing a layout may change.
fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find("Span { ") {
        out.push_str(&rest[..at]);
        out.push_str("Span");
        let end = rest[at..].find(" }").map_or(rest.len(), |i| at + i + 2);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Everything compiled from a package, positions aside, one line per
/// declaration: the checked package (segments, profiles and rules with their
/// typed expressions, the segment graph), each rule's compiled record, each
/// segment's rule tests with their compiled conditions, and the warnings.
fn tables(engine: &Engine) -> Vec<String> {
    let checked = engine.checked();
    let mut lines: Vec<String> = Vec::new();
    lines.extend(checked.segments.iter().map(|s| format!("{s:?}")));
    lines.extend(checked.profiles.iter().map(|p| format!("{p:?}")));
    lines.extend(checked.rules.iter().map(|r| format!("{r:?}")));
    lines.push(format!("{:?} {:?}", checked.graph, checked.scripts));
    lines.extend(engine.rules().iter().map(|r| format!("{r:?}")));
    lines.extend(
        engine
            .segment_ids()
            .map(|id| format!("{id:?}: {:?}", engine.rules_for(id))),
    );
    lines.extend(engine.warnings().iter().map(|w| format!("{w:?}")));
    lines.iter().map(|line| without_spans(line)).collect()
}

fn load(catalog: &str, files: &[(String, String)]) -> Result<Engine, String> {
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Engine::from_sources(catalog, &borrowed).map_err(|e| e.to_string())
}

/// Compiles `files` before and after formatting; their tables must match.
fn assert_same_tables(label: &str, catalog: &str, files: &[(String, String)]) {
    // A table's rows in a CSV file are data, not laid out.
    let formatted: Vec<(String, String)> = files
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
        .collect();
    let before = load(catalog, files).unwrap_or_else(|e| panic!("{label}:\n{e}"));
    let after = load(catalog, &formatted).unwrap_or_else(|e| panic!("{label} formatted:\n{e}"));
    let (before, after) = (tables(&before), tables(&after));
    assert!(before.len() > 3, "{label}: {before:?}");
    let first = before.iter().zip(&after).position(|(a, b)| a != b);
    if let Some(i) = first {
        panic!(
            "{label}: line {i} differs\nbefore: {}\nafter:  {}",
            before[i], after[i]
        );
    }
    assert_eq!(before.len(), after.len(), "{label}");
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A package folder's catalog and rule files, with the CSV files its
/// tables read (every CSV file but the sample customers), in name order.
fn package(dir: &Path) -> (String, Vec<(String, String)>) {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let rows = p.extension().is_some_and(|e| e == "csv")
                && p.file_name().is_some_and(|n| n != "customers.csv");
            rows || p.extension().is_some_and(|e| e == "vas")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read(&p),
            )
        })
        .collect();
    files.sort();
    (read(&dir.join("catalog.yaml")), files)
}

#[test]
fn tables_see_a_changed_number_but_not_a_moved_declaration() {
    let (catalog, files) = package(&repository().join("rules"));
    let edited = |name: &str, edit: &dyn Fn(&str) -> String| {
        let mut copy = files.clone();
        let file = copy.iter_mut().find(|(n, _)| n == name).unwrap();
        file.1 = edit(&file.1);
        load(&catalog, &copy).unwrap()
    };
    let base = load(&catalog, &files).unwrap();
    let moved = edited("segments.vas", &|t| {
        format!("\n\n# a comment\n{}", t.replace('\n', "\n\n"))
    });
    assert_eq!(tables(&base), tables(&moved));
    // Not because the tables ignore positions by accident: they are there.
    let segments = |engine: &Engine| format!("{:?}", engine.checked().segments);
    assert_ne!(segments(&base), segments(&moved));
    let changed = edited("retention.vas", &|t| {
        assert!(t.contains("\n  gain 3\n"));
        t.replacen("\n  gain 3\n", "\n  gain 3.5\n", 1)
    });
    assert_ne!(tables(&base), tables(&changed));
}

#[test]
fn formatted_packages_compile_to_the_same_tables() {
    let root = repository();
    let mut dirs = vec![
        root.join("rules"),
        root.join("src/cli/init"),
        root.join("examples/airline"),
    ];
    let packages = root.join("tests/packages");
    dirs.extend(
        std::fs::read_dir(packages)
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    for dir in &dirs {
        let (catalog, files) = package(dir);
        assert_same_tables(&dir.display().to_string(), &catalog, &files);
    }
    assert!(dirs.len() >= 6);
}

#[test]
fn evaluation_cases_compile_to_the_same_tables() {
    let cases = repository().join("tests/cases");
    let shared = read(&cases.join("catalog.yaml"));
    let mut compared = 0;
    for entry in std::fs::read_dir(cases.join("eval")).unwrap() {
        let path = entry.unwrap().path();
        let case: serde_yaml::Value = serde_yaml::from_str(&read(&path)).unwrap();
        let catalog = case["catalog"].as_str().unwrap_or(&shared);
        let rules = case["rules"].as_str().unwrap().to_string();
        assert_same_tables(
            &path.display().to_string(),
            catalog,
            &[("rules.vas".to_string(), rules)],
        );
        compared += 1;
    }
    // The diagnostics cases that load (warnings only).
    for entry in std::fs::read_dir(cases.join("diagnostics")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "vas") {
            let files = [("rules.vas".to_string(), read(&path))];
            if format_source(&files[0].1).is_ok() && load(&shared, &files).is_ok() {
                assert_same_tables(&path.display().to_string(), &shared, &files);
                compared += 1;
            }
        }
    }
    assert!(compared >= 10, "only {compared} cases");
}

/// At the ceilings a catalog may raise its limits to, on the stack of a
/// main thread (8 MiB, where `vasrec fmt` runs; the parser itself needs more
/// than a test thread's 2 MiB for 250 parentheses in a debug build).
#[test]
fn the_longest_expressions_a_catalog_allows_are_laid_out() {
    let limits = Limits {
        max_operators: 1024,
        max_nesting: 256,
        ..Limits::default()
    };
    let nots = format!("segment s {{ when {}a }}\n", "not ".repeat(1000));
    let sums = format!("segment s {{ when 0{} > 1 }}\n", " + a".repeat(1000));
    let nested = format!(
        "segment s {{ when {}a{} }}\n",
        "(".repeat(250),
        ")".repeat(250)
    );
    let worker = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            for text in [nots, sums, nested] {
                let out = format_file("a.vas", &text, &limits).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(format_file("a.vas", &out, &limits).unwrap(), out);
                assert!(out.len() < text.len() + 20, "{out}");
            }
        })
        .unwrap();
    worker.join().unwrap();
}
