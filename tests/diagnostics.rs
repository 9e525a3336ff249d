//! Every diagnostic has a case under tests/cases: a rule file (or catalog)
//! whose first line names the codes it must produce, and a golden file with
//! the full rendered text. Adding a case means adding files, not Rust.

mod common;

use common::{expected_codes, files_with_extension, golden, root};
use vasrec::Engine;

fn codes_and_text(result: Result<Engine, vasrec::LoadError>) -> (Vec<String>, String) {
    let (diagnostics, sources) = match result {
        Ok(engine) => (engine.warnings().to_vec(), engine.sources().clone()),
        Err(error) => (error.diagnostics, error.sources),
    };
    let codes = diagnostics.iter().map(|d| d.code.as_str()).collect();
    (
        codes,
        vasrec::render::render_all(&diagnostics, &sources, false),
    )
}

fn check_cases(
    dir: &str,
    extension: &str,
    build: impl Fn(&str) -> Result<Engine, vasrec::LoadError>,
) {
    let dir = root().join("tests/cases").join(dir);
    let mut failures = Vec::new();
    let cases = files_with_extension(&dir, extension);
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let expected = expected_codes(&text);
        assert!(
            !expected.is_empty(),
            "{}: first line must be `# expect: CODE`",
            case.display()
        );
        let (codes, rendered) = codes_and_text(build(&text));
        if codes != expected {
            failures.push(format!(
                "{}: expected codes {expected:?}, got {codes:?}\n{rendered}",
                case.display()
            ));
        }
        if let Some(difference) = golden(&case.with_extension("txt"), &rendered) {
            failures.push(difference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rule_file_diagnostics() {
    let catalog = std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap();
    check_cases("diagnostics", "vas", |text| {
        Engine::from_sources(&catalog, &[("rules.vas", text)])
    });
}

#[test]
fn catalog_diagnostics() {
    let rules = "segment everyone { when true }\nrule r for everyone { offer callback gain 1 }\n";
    check_cases("catalog", "yaml", |text| {
        Engine::from_sources(text, &[("rules.vas", rules)])
    });
}

#[test]
fn errors_come_sorted_by_file_and_position() {
    let catalog = std::fs::read_to_string(root().join("tests/cases/catalog.yaml")).unwrap();
    let a = "segment everyone { when true }\nrule r for everyone { offer nope1 }\nrule q for everyone { offer nope2 }\n";
    let b = "rule s for nowhere { offer callback }\n";
    let error = Engine::from_sources(&catalog, &[("b.vas", b), ("a.vas", a)]).unwrap_err();
    let lines: Vec<String> = vasrec::render::to_json(&error.diagnostics, &error.sources)
        .iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .map(|v| format!("{}:{}", v["file"].as_str().unwrap(), v["line"]))
        .collect();
    // Files in order of their names (as a folder is read), positions in order within a file.
    assert_eq!(lines, ["a.vas:2", "a.vas:3", "b.vas:1"]);
}

/// `derived` in the gain of a service without effects names the service and
/// what to add, instead of saying it is not in a gain.
#[test]
fn derived_for_a_service_without_effects_names_the_service() {
    let catalog = r#"
package: t
satisfaction:
  min: 0
  max: 100
  dimensions: [{ id: speed }]
  weights: { speed: 1 }
services:
  - { id: plain, name: P, category: convenience, stage: after_sale, channel: online, participation: passive, cost: 1 }
customer:
  id: id
  attributes:
    - { name: id, type: text, required: true }
"#;
    let rules =
        "segment everyone { when true }\nrule r for everyone { offer plain gain derived }\n";
    let error = Engine::from_sources(catalog, &[("rules.vas", rules)]).unwrap_err();
    let rendered = vasrec::render::render_all(&error.diagnostics, &error.sources, false);
    assert_eq!(error.diagnostics.len(), 1, "{rendered}");
    assert!(
        rendered.contains("but `plain` has no `effects:` in catalog.yaml"),
        "{rendered}"
    );
    assert!(rendered.contains("effects: { speed: 3 }"), "{rendered}");
    assert!(rendered.contains("rules.vas:2:40"), "{rendered}");
}

/// A NUL byte in the catalog is reported where it is, not at 1:1.
#[test]
fn a_nul_byte_in_the_catalog_is_placed_where_it_is() {
    let catalog = "package: test\nservices:\n  - { id: a\0b, name: x }\n";
    let error = Engine::from_sources(catalog, &[("rules.vas", "")]).unwrap_err();
    let json = vasrec::render::to_json(&error.diagnostics, &error.sources);
    let first = serde_json::to_value(&json[0]).unwrap();
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(3), Some(12)),
        "{first}"
    );
}
