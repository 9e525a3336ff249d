//! `vasrec fmt` through the library: golden layouts, and the properties
//! every rule file must keep (formatting twice changes nothing; the
//! formatted package compiles to an engine that behaves the same) over every
//! package and rule file of the repository and generated packages. The fuzz
//! corpus is in `fmt_fuzz.rs`, the command line in `fmt_cli.rs`.
//!
//! The library refuses to return a layout that does not parse back to the
//! same declarations (positions aside) and the same comments, so every
//! `Ok` below has passed that check too; the tests here compare what a user
//! of the engine can see: its segments, rules and warnings by name, and its
//! offers (service, rule, segment, gain to the bit) for real customers. The
//! compiled tables themselves are compared by a unit test inside the crate
//! (`lang::layout::tests`), which can see them.

#[path = "../benches/support/package_gen.rs"]
mod package_gen;

mod common;
mod fmt_support;

use common::rng;
use common::{files_with_extension, golden, root};
use fmt_support::{fingerprint, fmt, package, same_engine};
use std::path::PathBuf;
use vasrec::Engine;
use vasrec::layout::format_source;

// ---- golden layouts ------------------------------------------------------

#[test]
fn golden_layouts() {
    let dir = root().join("tests/cases/fmt");
    let cases: Vec<PathBuf> = files_with_extension(&dir, "vas")
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".formatted.vas"))
        .collect();
    assert!(cases.len() >= 8, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let out = fmt(&text);
        if let Some(difference) = golden(&case.with_extension("formatted.vas"), &out) {
            failures.push(difference);
        }
        if fmt(&out) != out {
            failures.push(format!("{}: formatting twice changes it", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn crlf_input_gives_the_same_layout() {
    for name in ["comments", "long_conditions", "chinese"] {
        let text =
            std::fs::read_to_string(root().join(format!("tests/cases/fmt/{name}.vas"))).unwrap();
        assert!(!text.contains('\r'));
        assert_eq!(fmt(&text.replace('\n', "\r\n")), fmt(&text), "{name}");
    }
}

#[test]
fn a_file_that_does_not_parse_is_refused() {
    for text in [
        "segment s { when a = 1 }",
        "rule r { for s when \"unterminated }",
        "rule r { for s offer x offer y }",
        "segment s { when 1e400 > 1 }",
    ] {
        let error = format_source(text).expect_err(text);
        let vasrec::layout::FormatError::Syntax { diagnostics, .. } = &error else {
            panic!("{text}: {error}");
        };
        assert!(!diagnostics.is_empty(), "{text}");
        assert!(error.to_string().contains("input.vas:1:"), "{error}");
    }
}

// ---- properties over every rule file we have -----------------------------

/// Every `.vas` file under the bundled package, the test packages and cases,
/// the starter package and the examples.
fn every_rule_file() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders: Vec<PathBuf> = ["rules", "tests", "src/cli/init", "examples"]
        .iter()
        .map(|d| root().join(d))
        .collect();
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "vas") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn formatting_twice_changes_nothing() {
    let files = every_rule_file();
    let mut formatted = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(once) = format_source(&text) else {
            continue;
        };
        assert_eq!(fmt(&once), once, "{}", path.display());
        if !once.contains("script {") {
            let ragged = once.split('\n').find(|line| line.trim_end() != *line);
            assert_eq!(ragged, None, "{}", path.display());
        }
        assert!(once.is_empty() || once.ends_with('\n') && !once.ends_with("\n\n"));
        formatted += 1;
    }
    // 5 bundled, 7 test packages, 8 fmt cases and the diagnostics cases that parse.
    assert!(formatted >= 40, "only {formatted} of {} files", files.len());
}

/// The packages people copy from: the bundled one, the one `vasrec init`
/// writes and the airline example. `vasrec fmt --check` must pass on each
/// from the start.
#[test]
fn the_shipped_packages_are_formatted() {
    for dir in ["rules", "src/cli/init", "examples/airline"] {
        let files = files_with_extension(&root().join(dir), "vas");
        assert!(!files.is_empty(), "{dir}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                fmt(&text),
                text,
                "run `vasrec fmt {dir}`: {}",
                path.display()
            );
        }
    }
}

/// Every package folder of the repository (bundled, starter, example and
/// test packages), over the first 1,000 customers of its own sample (the
/// bundled one's when it names none).
#[test]
fn formatted_packages_compile_to_the_same_engine() {
    let fallback = root().join("rules/customers.csv");
    let mut dirs = vec![
        root().join("rules"),
        root().join("src/cli/init"),
        root().join("examples/airline"),
    ];
    dirs.extend(
        std::fs::read_dir(root().join("tests/packages"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    dirs.sort();
    let mut compared = 0;
    for dir in &dirs {
        let sample = vasrec::Engine::load(dir)
            .unwrap_or_else(|e| panic!("{}:\n{e}", dir.display()))
            .sample_path(dir)
            .map(Result::unwrap)
            .filter(|path| path.exists());
        let (catalog, files) = package(dir);
        let csv = sample.unwrap_or_else(|| fallback.clone());
        compared += same_engine(&dir.display().to_string(), &catalog, &files, &csv, 1000);
    }
    assert!(dirs.len() >= 6 && compared > 3000, "{compared} customers");
}

/// Generated packages (the benchmark generator's, several seeds): every
/// file reformatted, the same engine.
#[test]
fn generated_packages_compile_to_the_same_engine() {
    let sample = root().join("rules/customers.csv");
    for seed in 1..=2 {
        let mut params = package_gen::Params::new(200, 40);
        params.seed = seed;
        let generated = package_gen::generate(&params);
        same_engine(
            &format!("seed {seed}"),
            &generated.catalog,
            &generated.files,
            &sample,
            300,
        );
        for (name, text) in &generated.files {
            let once = fmt(text);
            assert_eq!(fmt(&once), once, "seed {seed} {name}");
        }
    }
}

/// The diagnostics cases: those that parse give the same errors (code,
/// severity and message) once formatted.
#[test]
fn formatted_broken_packages_fail_the_same_way() {
    let catalog = std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap();
    let outcome = |text: &str| match Engine::from_sources(&catalog, &[("rules.vas", text)]) {
        Ok(engine) => format!("ok\n{}", fingerprint(&engine)),
        Err(error) => error
            .diagnostics
            .iter()
            .map(|d| format!("{:?} {:?} {}\n", d.code, d.severity, d.message))
            .collect(),
    };
    let mut compared = 0;
    for path in files_with_extension(&root().join("tests/cases/diagnostics"), "vas") {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Ok(out) = format_source(&text) {
            assert_eq!(outcome(&text), outcome(&out), "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 15, "only {compared} cases parse");
}

/// The evaluation cases (tests/cases/eval): rules, catalog and customers
/// in one YAML file; the answers in JSON must be the same once formatted.
#[test]
fn evaluation_cases_answer_the_same_once_formatted() {
    let shared = std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap();
    let mut answered = 0;
    for path in files_with_extension(&root().join("tests/cases/eval"), "yaml") {
        let case: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let catalog = case["catalog"].as_str().unwrap_or(&shared);
        let rules = case["rules"].as_str().unwrap();
        let before = Engine::from_sources(catalog, &[("rules.vas", rules)]).unwrap();
        let after = Engine::from_sources(catalog, &[("rules.vas", &fmt(rules))]).unwrap();
        assert_eq!(
            fingerprint(&before),
            fingerprint(&after),
            "{}",
            path.display()
        );
        for person in case["cases"].as_sequence().unwrap() {
            let customer: serde_json::Value = serde_json::to_value(&person["customer"]).unwrap();
            let answer =
                |engine: &Engine| engine.evaluate_json(&customer).map_err(|e| e.to_string());
            assert_eq!(answer(&before), answer(&after), "{}", path.display());
            answered += 1;
        }
    }
    assert!(answered >= 20, "only {answered} customers");
}
