//! `vasrec fmt` through the library: golden layouts, and the properties
//! every rule file must keep (formatting twice changes nothing; the
//! formatted package compiles to an engine that behaves the same) over every
//! package and rule file of the repository, generated packages and the fuzz
//! corpus. The command line is tested in `fmt_cli.rs`.
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

use common::{files_with_extension, golden, root};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vasrec::layout::format_source;
use vasrec::{Engine, InputFormat};

fn fmt(text: &str) -> String {
    format_source(text).unwrap_or_else(|error| panic!("{error}"))
}

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

/// What a user of the engine can see of a package: names, labels, paths
/// and depths of segments; each rule's name, reason, action, segment and
/// service; the warnings by code and message (their positions move).
fn fingerprint(engine: &Engine) -> String {
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
fn offers(engine: &Engine, customers: &[vasrec::Customer]) -> Vec<String> {
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
fn customers(engine: &Engine, csv: &Path, limit: usize) -> Vec<vasrec::Customer> {
    let text = std::fs::read_to_string(csv).unwrap();
    let head: String = text.split_inclusive('\n').take(limit + 1).collect();
    let reader = Box::new(std::io::Cursor::new(head.into_bytes()));
    vasrec::batch::read_all(engine, "customers.csv", reader, InputFormat::Csv).unwrap()
}

fn formatted(files: &[(String, String)]) -> Vec<(String, String)> {
    files.iter().map(|(n, t)| (n.clone(), fmt(t))).collect()
}

fn borrowed(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect()
}

/// Loads a package before and after formatting and compares what the
/// engines show and offer to `csv`'s first `limit` customers; returns how
/// many customers were compared.
fn same_engine(
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

fn package(dir: &Path) -> (String, Vec<(String, String)>) {
    let catalog = std::fs::read_to_string(dir.join("catalog.yaml")).unwrap();
    let files = files_with_extension(dir, "vas")
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    (catalog, files)
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

// ---- the fuzz corpus ------------------------------------------------------
//
// The repository keeps no stored corpus (there is no fuzz/ folder): the
// corpus of tests/fuzz.rs is generated, the bundled files mutated by a
// seeded generator. That generator is copied here unchanged, from `struct
// Rng` to the end of `fn mutate` (`the_fuzz_generator_is_a_copy` fails when
// the two drift), so the same inputs are formatted here, file for file.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that tend to reach interesting corners of the grammar and the checker.
const DICTIONARY: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    "#",
    ",",
    ".",
    "-",
    "not",
    "and",
    "or",
    "in",
    "==",
    ">=",
    "/",
    "%",
    "segment",
    "rule",
    "profile",
    "under",
    "for",
    "when",
    "offer",
    "suppress",
    "gain",
    "priority",
    "because",
    "pref.",
    "derived",
    "uses(",
    "value_or(",
    "1e400",
    "9223372036854775808",
    "0",
    "-0",
    "\u{feff}",
    "\r\n",
    "\t",
    "高价值",
    "\u{0}",
    "true",
    "false",
    ":",
    "- ",
    "&a",
    "*a",
    "!!",
    "~",
    "'",
    "\n  ",
];

fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                bytes.splice(at..at, token.bytes());
            }
            2 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = (rng.next() & 0xff) as u8;
            }
            3 if !bytes.is_empty() => {
                // Duplicate a slice: repeats declarations, keys and brackets.
                let start = at.min(bytes.len() - 1);
                let end = (start + rng.below(200)).min(bytes.len());
                let copy: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(start..start, copy);
            }
            _ => {}
        }
    }
    // The library takes text; invalid UTF-8 is tested through files elsewhere.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Rounds, as in tests/fuzz.rs: `VASREC_FUZZ_ITERATIONS` or 300.
fn iterations() -> usize {
    std::env::var("VASREC_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// The text of `file` from `struct Rng(u64);` to the end of the first
/// function that ends by returning the mutated bytes.
fn generator_source(file: &str) -> &str {
    let start = file.find("struct Rng(u64);").expect("struct Rng");
    let end_marker = "    String::from_utf8_lossy(&bytes).into_owned()\n}\n";
    let end = start + file[start..].find(end_marker).expect("fn mutate") + end_marker.len();
    &file[start..end]
}

#[test]
fn the_fuzz_generator_is_a_copy() {
    let ours = generator_source(include_str!("fmt.rs"));
    let theirs = generator_source(include_str!("fuzz.rs"));
    assert!(ours.contains("fn mutate(rng: &mut Rng, input: &str) -> String"));
    assert_eq!(
        ours, theirs,
        "copy tests/fuzz.rs's generator into tests/fmt.rs again"
    );
}

/// Mutates one bundled file per round as tests/fuzz.rs's rule-file test
/// does (one generator, a file chosen, then mutated): what still parses must
/// format stably, and a package that still loads must compile to the same
/// engine once formatted. Returns how many rounds parsed and loaded.
fn format_mutations(mut rng: Rng, mutate: fn(&mut Rng, &str) -> String) -> (usize, usize) {
    let dir = root().join("rules");
    let (catalog, files) = package(&dir);
    let sample = dir.join("customers.csv");
    let (mut parsed, mut loaded) = (0, 0);
    for round in 0..iterations() {
        let mut mutated = files.clone();
        let which = rng.below(mutated.len());
        mutated[which].1 = mutate(&mut rng, &mutated[which].1);
        let Ok(once) = format_source(&mutated[which].1) else {
            continue;
        };
        parsed += 1;
        assert_eq!(fmt(&once), once, "round {round}:\n{}", mutated[which].1);
        // A package that loads has no syntax error in any file.
        if Engine::from_sources(&catalog, &borrowed(&mutated)).is_ok() {
            same_engine(&format!("round {round}"), &catalog, &mutated, &sample, 50);
            loaded += 1;
        }
    }
    (parsed, loaded)
}

#[test]
fn the_fuzz_corpus_formats_stably_and_keeps_its_engine() {
    // Seed 1: the corpus of tests/fuzz.rs's `mutated_rule_files_never_panic`.
    let (parsed, loaded) = format_mutations(Rng(1), mutate);
    let rounds = iterations();
    assert!(
        parsed * 5 >= rounds && loaded > 0,
        "{parsed} of {rounds} parsed, {loaded} loaded"
    );
}

/// Tokens that move the layout rather than break the syntax: comments,
/// blank lines, tabs, full-width spaces, CRLF.
const LAYOUT_TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "#",
    ",",
    "-",
    "not",
    "and",
    "or",
    "in",
    "==",
    ">=",
    "/",
    "%",
    "when",
    "offer",
    "gain",
    "priority",
    "because",
    "pref.",
    "uses(",
    "1_0.50",
    "0",
    "\r\n",
    "\t",
    "\u{3000}",
    "高价值",
    "true",
    "\n  ",
    "\n\n",
    " # note\n",
    "\n# own line\n",
];

/// A mutator of this file's own, aimed at the layout: cuts, repeated
/// slices and inserted [`LAYOUT_TOKENS`], which put comments, blank lines
/// and odd white space where the fuzz generator's dictionary mostly breaks
/// tokens (about a quarter of the mutations still parse, against a third).
fn mutate_layout(rng: &mut Rng, input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(3) {
            0 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let token = LAYOUT_TOKENS[rng.below(LAYOUT_TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            _ if !bytes.is_empty() => {
                let start = at.min(bytes.len() - 1);
                let end = (start + rng.below(200)).min(bytes.len());
                let copy: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(start..start, copy);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn layout_mutations_format_stably_and_keep_their_engine() {
    let (parsed, loaded) = format_mutations(Rng(11), mutate_layout);
    let rounds = iterations();
    assert!(
        parsed * 5 >= rounds && loaded > 0,
        "{parsed} of {rounds} parsed, {loaded} loaded"
    );
}

/// Spaces, tabs and full-width spaces between tokens are not part of the
/// layout: any of them, anywhere on a line, give the same file (lines with a
/// comment are left alone, since the space before a comment is kept).
#[test]
fn horizontal_white_space_does_not_matter() {
    let mut rng = Rng(5);
    let mut files: Vec<String> = files_with_extension(&root().join("rules"), "vas")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    files.extend(
        package_gen::generate(&package_gen::Params::new(100, 30))
            .files
            .into_iter()
            .map(|(_, t)| t),
    );
    let mut respaced_files = 0;
    for text in files.iter().filter(|t| !t.contains("script")) {
        let respaced: String = text
            .split_inclusive('\n')
            .map(|line| {
                if line.contains('#') {
                    line.to_string()
                } else {
                    respace(&mut rng, line)
                }
            })
            .collect();
        assert_ne!(&respaced, text);
        assert_eq!(fmt(&respaced), fmt(text), "respaced:\n{respaced}");
        respaced_files += 1;
    }
    assert!(respaced_files >= 6);
}

/// Replaces each space outside texts with 1 to 3 random blanks, and adds
/// some around brackets and commas.
fn respace(rng: &mut Rng, line: &str) -> String {
    const BLANKS: [&str; 4] = [" ", "\t", "\u{3000}", "  "];
    let mut out = String::new();
    let mut in_text = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_text {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_text = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_text = true;
                out.push(c);
            }
            ' ' => {
                for _ in 0..1 + rng.below(3) {
                    out.push_str(BLANKS[rng.below(BLANKS.len())]);
                }
            }
            '(' | ')' | '[' | ']' | ',' => {
                if rng.below(2) == 0 {
                    out.push(' ');
                }
                out.push(c);
                if rng.below(2) == 0 {
                    out.push('\t');
                }
            }
            _ => out.push(c),
        }
    }
    out
}
