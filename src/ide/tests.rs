//! The analysis over the bundled package, in byte offsets.

use super::*;
use crate::base::test_rng::Rng;
use crate::engine::load::MAX_FILE_BYTES;
use crate::ide::complete::CompletionKind;
use crate::ide::names::SymbolKind;
use std::collections::BTreeMap;

fn bundled() -> BTreeMap<String, String> {
    files::read_package(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
}

/// The analysis of the bundled package's files (as given), its table's
/// rows read from the folder as the language server reads them.
fn analyse(files: BTreeMap<String, String>) -> Analysis {
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    Analysis::in_folder(&rules, files, &[])
}

fn offset_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found"))
}

#[test]
fn the_bundled_package_has_no_errors() {
    let analysis = analyse(bundled());
    let errors: Vec<_> = analysis
        .diagnostics()
        .iter()
        .filter(|d| d.severity == crate::base::diagnostic::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_misspelt_segment_is_reported_where_it_is_written_with_a_fix() {
    let mut files = bundled();
    let rules = files["rules.vas"].replacen("for high_value,", "for high_valu,", 1);
    let at = offset_of(&rules, "high_valu,");
    files.insert("rules.vas".into(), rules);
    let analysis = analyse(files);
    let typo = analysis
        .diagnostics()
        .iter()
        .find(|d| d.code == crate::base::diagnostic::Code::UnknownSegment)
        .expect("an UNKNOWN_SEGMENT diagnostic");
    assert_eq!(typo.file, "rules.vas");
    assert_eq!(typo.range, at..at + "high_valu".len());
    assert_eq!(typo.help.as_deref(), Some("did you mean `high_value`?"));
    let fixes = analysis.quick_fixes("rules.vas", at + 2..at + 2);
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0].edit.new_text, "high_value");
    assert_eq!(fixes[0].edit.location.range, typo.range);
    assert_eq!(fixes[0].title, "Change to `high_value`");
}

#[test]
fn definitions_and_references_cross_files() {
    let files = bundled();
    let rules = files["rules.vas"].clone();
    let segments = files["segments.vas"].clone();
    let analysis = analyse(files);
    let use_at = offset_of(&rules, "high_value,") + 3;
    let definition = analysis.definition("rules.vas", use_at).unwrap();
    assert_eq!(definition.file, "segments.vas");
    let declared = offset_of(&segments, "segment high_value ") + "segment ".len();
    assert_eq!(definition.range, declared..declared + "high_value".len());
    let references = analysis.references("rules.vas", use_at, true);
    let files_with: std::collections::BTreeSet<&str> =
        references.iter().map(|l| l.file.as_str()).collect();
    assert!(files_with.contains("segments.vas") && files_with.contains("support.vas"));
    assert!(references.iter().all(|l| {
        let text = analysis.text(&l.file).unwrap();
        &text[l.range.clone()] == "high_value"
    }));
    let without = analysis.references("rules.vas", use_at, false);
    assert_eq!(without.len() + 1, references.len());
    // A service used in a rule is declared in the catalog.
    let offer = offset_of(&rules, "offer dedicated_account_manager") + "offer ".len();
    let service = analysis.definition("rules.vas", offer).unwrap();
    assert_eq!(service.file, "catalog.yaml");
    let catalog = analysis.text("catalog.yaml").unwrap();
    assert_eq!(&catalog[service.range], "dedicated_account_manager");
}

#[test]
fn hovers_say_what_a_name_is() {
    let files = bundled();
    let rules = files["rules.vas"].clone();
    let analysis = analyse(files);
    let hover = |needle: &str| {
        let at = offset_of(&rules, needle);
        analysis.hover("rules.vas", at).unwrap().markdown
    };
    let segment = hover("high_value,");
    assert!(segment.contains("高价值老客户"), "{segment}");
    assert!(segment.contains("under `established`"), "{segment}");
    assert!(segment.contains("when monthly_charges >= 80"), "{segment}");
    let service = hover("dedicated_account_manager\n");
    assert!(service.contains("专属客户经理"), "{service}");
    assert!(service.contains("cost 40"), "{service}");
    assert!(service.contains("personalization +8"), "{service}");
    let attribute = hover("contract in");
    assert!(attribute.contains("category"), "{attribute}");
    assert!(attribute.contains("\"Month-to-month\""), "{attribute}");
    let preference = hover("price, 0.5");
    assert!(preference.contains("pref.price"), "{preference}");
    let profile = hover("personal_touch");
    assert!(
        profile.contains("**profile** `personal_touch` — 重视个性化"),
        "{profile}"
    );
    assert!(profile.contains("when "), "{profile}");
}

fn labels(analysis: &Analysis, file: &str, offset: usize) -> Vec<String> {
    analysis
        .completions(file, offset)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

#[test]
fn completion_follows_the_context() {
    let mut files = bundled();
    let text = "rule typing for high_value, profile  {\n  when contract in [\"One year\", \n  when internet == \"Fi\"\n  when pref.\n  when monthly_charges > 3 and \n  offer \n  \n}\nsegment x under everyone, new_customer { }\n";
    files.insert("typing.vas".into(), text.into());
    let analysis = analyse(files);
    let at = |needle: &str| offset_of(text, needle) + needle.len();
    let has = |labels: &[String], want: &str| labels.iter().any(|l| l == want);

    let profiles = labels(&analysis, "typing.vas", at("profile "));
    assert!(has(&profiles, "personal_touch"), "{profiles:?}");
    let segments = labels(&analysis, "typing.vas", at("for "));
    assert!(has(&segments, "high_value") && !has(&segments, "personal_touch"));
    let parents = labels(&analysis, "typing.vas", at("everyone, "));
    assert!(has(&parents, "established"), "{parents:?}");

    let values = analysis.completions("typing.vas", at("\"One year\", "));
    assert!(
        values.iter().any(|c| c.insert == "\"Two year\""),
        "{values:?}"
    );
    assert!(values.iter().all(|c| c.kind == CompletionKind::Value));

    let quoted = analysis.completions("typing.vas", at("== \"Fi"));
    let fiber = quoted.iter().find(|c| c.label == "Fiber optic").unwrap();
    assert_eq!(fiber.insert, "\"Fiber optic\"");
    // The typed quote, the typed letters and the closing quote are replaced.
    let open = offset_of(text, "\"Fi\"");
    assert_eq!(fiber.replace, open..open + 4);

    let prefs = labels(&analysis, "typing.vas", at("pref."));
    assert!(
        has(&prefs, "price") && has(&prefs, "personalization"),
        "{prefs:?}"
    );

    let expression = analysis.completions("typing.vas", at("> 3 and "));
    let kinds = |kind| expression.iter().any(|c| c.kind == kind);
    assert!(kinds(CompletionKind::Attribute) && kinds(CompletionKind::Function));
    assert!(expression.iter().any(|c| c.label == "pref.responsiveness"));

    let services = analysis.completions("typing.vas", at("offer "));
    assert!(services.iter().any(|c| c.label == "cloud_backup"));
    assert!(services.iter().all(|c| c.kind == CompletionKind::Service));

    let clauses = labels(&analysis, "typing.vas", at("offer \n  "));
    assert!(
        has(&clauses, "because") && has(&clauses, "gain"),
        "{clauses:?}"
    );
    let top = labels(&analysis, "typing.vas", text.len());
    assert_eq!(top, ["segment", "profile", "rule"]);
}

#[test]
fn rename_changes_every_file_and_refuses_bad_names() {
    let files = bundled();
    let rules = files["rules.vas"].clone();
    let analysis = analyse(files);
    let at = offset_of(&rules, "high_value,");
    let edits = analysis.rename("rules.vas", at, "高价值").unwrap();
    let changed: std::collections::BTreeSet<&str> =
        edits.iter().map(|e| e.location.file.as_str()).collect();
    assert_eq!(
        changed.into_iter().collect::<Vec<_>>(),
        [
            "rules.vas",
            "segments.vas",
            "support.vas",
            "tests/segments.yaml"
        ]
    );
    assert!(edits.iter().all(|e| e.new_text == "高价值"));
    assert_eq!(
        analysis.rename("rules.vas", at, "when"),
        Err(RenameError::Keyword("when".into()))
    );
    assert!(matches!(
        analysis.rename("rules.vas", at, "24"),
        Err(RenameError::InvalidName(_))
    ));
    // A segment may start with digits followed by a letter (`24h_reply`).
    assert!(analysis.rename("rules.vas", at, "2x").is_ok());
    assert!(matches!(
        analysis.rename("rules.vas", at, "everyone"),
        Err(RenameError::Taken(_))
    ));
    // A service renamed in a rule is renamed in the catalog too.
    let offer = offset_of(&rules, "offer dedicated_account_manager") + "offer ".len();
    let edits = analysis
        .rename("rules.vas", offer, "account_manager")
        .unwrap();
    assert!(edits.iter().any(|e| e.location.file == "catalog.yaml"));
}

#[test]
fn the_outline_lists_declarations_in_order() {
    let analysis = analyse(bundled());
    let outline = analysis.symbols("segments.vas");
    assert_eq!(outline[0].name, "everyone");
    assert_eq!(outline[0].detail.as_deref(), Some("全部客户"));
    assert!(outline.iter().all(|s| s.kind == SymbolKind::Segment));
    let catalog = analysis.symbols("catalog.yaml");
    assert!(
        catalog
            .iter()
            .any(|s| s.kind == SymbolKind::Service && s.name == "cloud_backup")
    );
    assert!(
        catalog
            .iter()
            .any(|s| s.kind == SymbolKind::Attribute && s.name == "tenure_months")
    );
}

#[test]
fn positions_in_chinese_text_round_trip() {
    let text = "segment 高价值 under everyone \"高价值客户\" { when x }";
    let index = LineIndex::new(text);
    for (offset, _) in text.char_indices() {
        assert_eq!(index.offset(index.position(offset)), offset);
    }
    let x = offset_of(text, "x }");
    // 8 + 3 + 16 + 7 characters before `x`, all in the Basic Plane.
    assert_eq!(
        index.position(x).character as usize,
        text[..x].chars().count()
    );
}

/// Tokens that reach the corners of the grammar, the scanners and the
/// position arithmetic: brackets, quotes, comments, multi-byte text.
const TOKENS: [&str; 24] = [
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
    "==",
    "in [",
    "pref.",
    "uses(",
    "高价值",
    "😀",
    "\r\n",
    "\t",
    "- ",
    ": ",
    "{ id: ",
    "\u{feff}",
    "\u{0}",
];

/// The text with a few random cuts, insertions and duplications.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut text = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let at = floor_char_boundary(&text, rng.below(text.len() + 1));
        match rng.below(3) {
            0 => {
                let end = floor_char_boundary(&text, at + rng.below(40));
                text.replace_range(at..end.max(at), "");
            }
            1 => text.insert_str(at, TOKENS[rng.below(TOKENS.len())]),
            _ => {
                let end = floor_char_boundary(&text, at + rng.below(200));
                let copy = text[at..end.max(at)].to_string();
                text.insert_str(at, &copy);
            }
        }
    }
    text
}

use crate::ide::position::floor_char_boundary;

/// Asks everything an editor may ask, at offsets in and past the text
/// (and inside multi-byte characters): nothing may panic.
fn ask_everything(analysis: &Analysis, file: &str, rng: &mut Rng) {
    let len = analysis.text(file).map_or(0, str::len);
    let _ = analysis.symbols(file);
    for _ in 0..40 {
        let offset = rng.below(len + 10);
        let _ = analysis.hover(file, offset);
        let _ = analysis.definition(file, offset);
        let _ = analysis.references(file, offset, true);
        let _ = analysis.completions(file, offset);
        let _ = analysis.rename(file, offset, "renamed");
        let _ = analysis.quick_fixes(file, offset..offset + rng.below(50));
        let _ = analysis.quick_fixes(file, offset..offset.saturating_sub(5));
        if let Some(lines) = analysis.line_index(file) {
            let position = lines.position(offset);
            assert!(lines.offset(position) <= len);
            let _ = lines.offset(LinePosition {
                line: rng.next() as u32,
                character: rng.next() as u32,
            });
        }
    }
}

#[test]
fn mutated_packages_never_panic_any_question() {
    let package = bundled();
    let names: Vec<String> = package.keys().cloned().collect();
    let mut rng = Rng(21);
    // `VASREC_FUZZ_ITERATIONS=5000 cargo test --release --lib ide::` runs longer.
    let rounds = std::env::var("VASREC_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for round in 0..rounds {
        let mut files = package.clone();
        let name = &names[rng.below(names.len())];
        let mutated = mutate(&mut rng, &files[name]);
        files.insert(name.clone(), mutated.clone());
        let outcome = std::panic::catch_unwind(|| {
            let analysis = analyse(files);
            let mut rng = Rng(round);
            ask_everything(&analysis, name, &mut rng);
            ask_everything(&analysis, "rules.vas", &mut rng);
        });
        assert!(outcome.is_ok(), "round {round}, {name}:\n{mutated}");
    }
}

#[test]
fn deep_nesting_is_refused_not_followed() {
    let mut files = bundled();
    let deep = format!(
        "segment deep under everyone {{ when {}tenure_months > 1{} }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    files.insert("deep.vas".into(), deep.clone());
    let analysis = analyse(files);
    let deep_errors: Vec<_> = analysis
        .diagnostics()
        .iter()
        .filter(|d| d.file == "deep.vas")
        .collect();
    assert!(!deep_errors.is_empty());
    let mut rng = Rng(7);
    ask_everything(&analysis, "deep.vas", &mut rng);
    let _ = analysis.completions("deep.vas", deep.len() / 2);
}

#[test]
fn a_file_over_the_size_limit_is_reported_and_left_out() {
    let mut files = bundled();
    let line = "segment s under everyone { when tenure_months > 1 }\n";
    let huge = line.repeat((MAX_FILE_BYTES as usize / line.len()) + 1);
    files.insert("huge.vas".into(), huge);
    let analysis = analyse(files);
    let huge: Vec<_> = analysis
        .diagnostics()
        .iter()
        .filter(|d| d.file == "huge.vas")
        .collect();
    assert_eq!(huge.len(), 1, "{huge:#?}");
    assert_eq!(huge[0].code, crate::base::diagnostic::Code::ReadError);
    assert!(huge[0].message.contains("larger than the limit"));
    // Left out: its thousands of duplicate segments are not reported.
    assert!(analysis.symbols("huge.vas").is_empty());
    assert!(analysis.line_index("huge.vas").is_some());
}

/// The texts with the edits applied (edits in one file do not overlap).
fn apply(files: &mut BTreeMap<String, String>, edits: &[TextEdit]) {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| std::cmp::Reverse(e.location.range.start));
    for edit in edits {
        let text = files.get_mut(&edit.location.file).unwrap();
        text.replace_range(edit.location.range.clone(), &edit.new_text);
    }
}

/// Renames the name at the first `needle` (plus `skip` bytes) in `file`.
fn rename_in(
    files: &mut BTreeMap<String, String>,
    file: &str,
    needle: &str,
    skip: usize,
    to: &str,
) {
    let at = offset_of(&files[file], needle) + skip;
    let edits = analyse(files.clone()).rename(file, at, to).unwrap();
    apply(files, &edits);
}

#[test]
fn renames_keep_the_package_checking_and_its_test_cases_passing() {
    let mut files = bundled();
    let vip_cases = files["tests/personalization.yaml"]
        .matches("vip_manager")
        .count();
    // A service, a rule, a segment, a profile and an attribute read from a
    // column of its own, each from a use of it in a rule file.
    rename_in(
        &mut files,
        "rules.vas",
        "offer dedicated_account_manager",
        6,
        "account_manager",
    );
    rename_in(
        &mut files,
        "rules.vas",
        "rule vip_manager ",
        5,
        "vip_manager_short",
    );
    rename_in(&mut files, "rules.vas", "high_value,", 0, "valuable");
    rename_in(&mut files, "rules.vas", "personal_touch", 0, "personal");
    rename_in(
        &mut files,
        "segments.vas",
        "tenure_months",
        0,
        "months_with_us",
    );
    assert!(
        files["catalog.yaml"]
            .contains("- name: months_with_us\n      type: number\n      column: tenure\n")
    );
    // A preference read from `pref_price` is not renamed: the customer
    // files would have to change.
    let rules = &files["rules.vas"];
    let refused =
        analyse(files.clone()).rename("rules.vas", offset_of(rules, "pref.price") + 5, "cost");
    assert_eq!(
        refused,
        Err(RenameError::ColumnFollowsName {
            what: "preference `price`".into(),
            column: "pref_price".into()
        })
    );
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("Add `column: pref_price`")
    );
    let cases = &files["tests/personalization.yaml"];
    assert!(
        cases.contains("made_by: { account_manager: vip_manager_short }"),
        "{cases}"
    );
    assert_eq!(cases.matches("vip_manager").count(), vip_cases);
    assert!(files["tests/segments.yaml"].contains("valuable"));

    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    for sheet in ["customers.csv", "senior_care.csv"] {
        std::fs::copy(source.join(sheet), dir.path().join(sheet)).unwrap();
    }
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let engine = match crate::Engine::load(dir.path()) {
        Ok(engine) => engine,
        Err(error) => panic!("{error:?}"),
    };
    let report = crate::analysis::testing::run(&engine, dir.path(), None).unwrap();
    assert!(report.success(), "{report:#?}");
}

#[test]
fn formatting_is_one_edit_of_the_whole_file_and_only_when_it_changes_something() {
    let mut files = bundled();
    let messy = "segment  fresh under everyone{when tenure_months<3}\n";
    files.insert("messy.vas".into(), messy.into());
    files.insert(
        "broken.vas".into(),
        "segment broken under everyone { when (\n".into(),
    );
    let analysis = analyse(files);
    let edit = analysis.format("messy.vas").unwrap();
    assert_eq!(edit.location.range, 0..messy.len());
    assert_eq!(
        edit.new_text,
        crate::lang::layout::format_source(messy).unwrap()
    );
    assert_ne!(edit.new_text, messy);
    // The bundled files are in canonical form (CI checks it with `vasrec fmt
    // --check rules`); a syntax error is never reshaped; YAML is not laid out.
    assert_eq!(analysis.format("rules.vas"), None);
    assert_eq!(analysis.format("broken.vas"), None);
    assert_eq!(analysis.format("catalog.yaml"), None);
    assert_eq!(analysis.format("tests/segments.yaml"), None);
    assert_eq!(analysis.format("no-such.vas"), None);
}

#[test]
fn a_table_is_in_the_outline_and_renames_reach_its_rows() {
    let mut files = bundled();
    files.insert(
        "grid.vas".into(),
        "table grid for established {\n  hit first\n  columns tenure_months, contract\n  \
         row < 36, \"Month-to-month\" => offer loyalty_membership gain 2\n  \
         row -, - => offer cloud_backup gain 1\n}\n"
            .into(),
    );
    let analysis = analyse(files.clone());
    assert!(
        analysis
            .diagnostics()
            .iter()
            .all(|d| d.severity != crate::base::diagnostic::Severity::Error),
        "{:?}",
        analysis.diagnostics()
    );
    let outline = analysis.symbols("grid.vas");
    assert_eq!(outline.len(), 1);
    assert_eq!(outline[0].name, "grid");
    assert_eq!(
        outline[0].detail.as_deref(),
        Some("table for established: 2 rows")
    );
    let hover = analysis
        .hover("grid.vas", offset_of(&files["grid.vas"], "grid"))
        .expect("a hover on the table's name");
    assert!(
        hover.markdown.contains("hit policy `first`"),
        "{}",
        hover.markdown
    );
    // A service renamed in the table reaches the catalog; a segment and an
    // attribute renamed elsewhere reach the table.
    rename_in(&mut files, "grid.vas", "offer cloud_backup", 6, "backup");
    assert!(files["catalog.yaml"].contains("id: backup"));
    rename_in(
        &mut files,
        "segments.vas",
        "segment established",
        8,
        "loyal",
    );
    rename_in(&mut files, "segments.vas", "tenure_months", 0, "months");
    let grid = &files["grid.vas"];
    assert!(grid.contains("offer backup"), "{grid}");
    assert!(grid.contains("for loyal"), "{grid}");
    assert!(grid.contains("columns months, contract"), "{grid}");
    let after = analyse(files.clone());
    assert!(
        after
            .diagnostics()
            .iter()
            .all(|d| d.severity != crate::base::diagnostic::Severity::Error),
        "{:?}",
        after.diagnostics()
    );
}

/// A package whose table reads its rows from `offers.csv` in its folder.
fn package_with_a_csv_table(csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let catalog = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/catalog.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), catalog).unwrap();
    std::fs::write(
        dir.path().join("rules.vas"),
        "segment everyone { when true }\n\
         table t for everyone { hit first columns tenure_months rows \"offers.csv\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("offers.csv"), csv).unwrap();
    dir
}

#[test]
fn a_table_read_from_a_csv_file_in_the_folder_is_not_a_missing_file() {
    let dir = package_with_a_csv_table("tenure_months,offer,gain\n< 6,callback,1.5\n");
    let files = files::read_package(dir.path());
    assert!(
        !files.contains_key("offers.csv"),
        "only what tables name is read"
    );
    let analysis = Analysis::in_folder(dir.path(), files.clone(), &[]);
    let codes: Vec<_> = analysis.diagnostics().iter().map(|d| d.code).collect();
    // The table's own analysis ran: it found the customers no row matches.
    assert_eq!(codes, [crate::base::diagnostic::Code::TableGap]);
    // Without the folder, the file is missing (and said so at the clause).
    let analysis = Analysis::new(files);
    let missing = &analysis.diagnostics()[0];
    assert_eq!(missing.code, crate::base::diagnostic::Code::ReadError);
    assert!(
        missing.message.contains("there is no such file"),
        "{missing:#?}"
    );
    assert_eq!(missing.file, "rules.vas");
}

#[test]
fn an_edit_to_the_open_csv_file_is_checked_at_its_cell() {
    let dir = package_with_a_csv_table("tenure_months,offer,gain\n< 6,callback,1.5\n");
    let mut files = files::read_package(dir.path());
    // The editor's unsaved buffer wins over the file on disk.
    let edited = "tenure_months,offer,gain\n< 6,callbak,1.5\n";
    files.insert("offers.csv".into(), edited.into());
    let analysis = Analysis::in_folder(dir.path(), files, &[]);
    let typo = analysis
        .diagnostics()
        .iter()
        .find(|d| d.code == crate::base::diagnostic::Code::UnknownService)
        .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics()));
    assert_eq!(typo.file, "offers.csv");
    assert_eq!(&edited[typo.range.clone()], "callbak");
    assert_eq!(
        typo.notes.first().map(String::as_str),
        Some("at offers.csv:2:2")
    );
    assert_eq!(typo.fix, None, "no fix is offered in laid-out text");
    // The CSV file is not indexed as a rule file.
    assert!(analysis.symbols("offers.csv").is_empty());
}
