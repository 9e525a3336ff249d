//! `vasrec fmt` on the command line: `--check` (a diff, exit 1, nothing
//! written), rewriting in place (atomically, keeping permissions, never
//! through a link), and files that do not parse or read (reported, nothing
//! written), run on copies of the bundled package.

mod common;

use common::{TempDir, copy_rules, root, vasrec};
use std::path::Path;

/// A copy of the bundled package with `retention.vas` laid out badly;
/// returns the folder and the path shown for that file.
fn untidy_copy(name: &str) -> (TempDir, String) {
    let dir = TempDir::new(name);
    copy_rules(dir.path());
    let file = dir.path().join("retention.vas");
    let text = std::fs::read_to_string(&file).unwrap();
    let untidy = text.replacen(
        "rule complaint_callback {\n  for everyone\n  when open_complaints > 0\n",
        "rule complaint_callback {\n    for everyone\n  when open_complaints>0\n",
        1,
    );
    assert_ne!(untidy, text);
    std::fs::write(&file, untidy).unwrap();
    let shown = file.display().to_string();
    (dir, shown)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_passes_on_the_bundled_package() {
    let out = vasrec(&["fmt", "--check", "rules"]);
    assert_eq!(text(&out.stdout), "5 files already formatted\n");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn check_shows_a_diff_exits_1_and_writes_nothing() {
    let (dir, shown) = untidy_copy("fmt-check");
    let before = std::fs::read(&shown).unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = vasrec(&["fmt", "--check", folder]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "--- {shown}\n+++ {shown} (formatted)\n@@ -7,8 +7,8 @@\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "-    for everyone\n-  when open_complaints>0\n+  for everyone\n+  when open_complaints > 0\n"
        ),
        "{stdout}"
    );
    assert_eq!(
        text(&out.stderr),
        format!("1 of 5 files would be reformatted; `vasrec fmt {folder}` rewrites it\n")
    );
    assert_eq!(std::fs::read(&shown).unwrap(), before);
}

#[test]
fn fmt_rewrites_what_changed_in_place() {
    let (dir, shown) = untidy_copy("fmt-write");
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let listed = names(dir.path());
    let folder = dir.path().to_str().unwrap();
    let out = vasrec(&["fmt", folder]);
    assert_eq!(
        text(&out.stdout),
        format!("formatted {shown}\n4 files already formatted\n")
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&shown).unwrap(),
        std::fs::read_to_string(root().join("rules/retention.vas")).unwrap()
    );
    assert_eq!(names(dir.path()), listed, "no temporary file is left");
    let again = vasrec(&["fmt", "--rules", folder]);
    assert_eq!(text(&again.stdout), "5 files already formatted\n");
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn a_broken_file_is_reported_and_nothing_is_written() {
    let (dir, untidy) = untidy_copy("fmt-broken");
    let broken = dir.path().join("support.vas");
    let mut text_before = std::fs::read_to_string(&broken).unwrap();
    text_before.push_str("\nrule half_typed for everyone { offer }\n");
    std::fs::write(&broken, &text_before).unwrap();
    let untidy_before = std::fs::read(&untidy).unwrap();
    let folder = dir.path().to_str().unwrap();
    for args in [vec!["fmt", folder], vec!["fmt", "--check", folder]] {
        let out = vasrec(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("error"), "{stderr}");
        assert!(stderr.contains("support.vas:"), "{stderr}");
        assert!(
            stderr.ends_with(&format!(
                "{folder}: 1 file cannot be formatted (errors above); nothing was written\n"
            )),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&broken).unwrap(), text_before);
        assert_eq!(std::fs::read(&untidy).unwrap(), untidy_before);
    }
}

#[test]
fn help_ends_with_examples_and_a_missing_folder_is_usage() {
    let help = text(&vasrec(&["fmt", "--help"]).stdout);
    let examples = help
        .split("Examples:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{help}"));
    assert!(
        examples
            .trim_end()
            .ends_with("exit 1 if a file would change"),
        "{help}"
    );
    assert!(help.contains("--check"), "{help}");
    let out = vasrec(&["fmt", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no folder `no-such-folder`"));
}

#[test]
fn a_new_package_from_init_is_already_formatted() {
    let dir = TempDir::new("fmt-init");
    let package = dir.path().join("my-rules");
    let package = package.to_str().unwrap();
    assert_eq!(vasrec(&["init", package]).status.code(), Some(0));
    let out = vasrec(&["fmt", "--check", package]);
    assert_eq!(text(&out.stdout), "2 files already formatted\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn files_that_cannot_be_read_as_text_are_reported_and_nothing_is_written() {
    let (dir, untidy) = untidy_copy("fmt-unreadable");
    let untidy_before = std::fs::read(&untidy).unwrap();
    std::fs::write(dir.path().join("latin1.vas"), b"# caf\xe9\n").unwrap();
    let mut huge = vec![b' '; 8 * 1024 * 1024];
    huge.extend_from_slice(b"\n# one byte too many\n");
    std::fs::write(dir.path().join("huge.vas"), &huge).unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = vasrec(&["fmt", folder]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let latin1 = dir.path().join("latin1.vas");
    let huge_path = dir.path().join("huge.vas");
    assert_eq!(
        stderr,
        format!(
            "error: {} is larger than 8 MiB; it was not read\n\
             error: {} is not UTF-8 text\n\
             {folder}: 2 files cannot be formatted (errors above); nothing was written\n",
            huge_path.display(),
            latin1.display()
        )
    );
    assert_eq!(std::fs::read(&untidy).unwrap(), untidy_before);
    assert_eq!(std::fs::read(&latin1).unwrap(), b"# caf\xe9\n");
}

#[cfg(unix)]
#[test]
fn links_are_neither_followed_nor_replaced() {
    use std::os::unix::fs::symlink;
    let (dir, untidy) = untidy_copy("fmt-links");
    // Outside the package: a rule file and a folder of them, both untidy.
    let outside = TempDir::new("fmt-links-outside");
    let messy = "segment  far{when true}\n";
    std::fs::write(outside.path().join("far.vas"), messy).unwrap();
    std::fs::create_dir(outside.path().join("more")).unwrap();
    std::fs::write(outside.path().join("more/deep.vas"), messy).unwrap();
    let far = dir.path().join("far.vas");
    symlink(outside.path().join("far.vas"), &far).unwrap();
    symlink(outside.path().join("more"), dir.path().join("more")).unwrap();
    // Inside: a link to the untidy file, which is laid out where it lives.
    let alias = dir.path().join("alias.vas");
    symlink(&untidy, &alias).unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = vasrec(&["fmt", folder]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let note = |path: &Path| {
        format!(
            "note: {} is a symbolic link; vasrec fmt neither follows nor replaces links \
             (format the file it points to)\n",
            path.display()
        )
    };
    assert_eq!(text(&out.stderr), format!("{}{}", note(&alias), note(&far)));
    assert_eq!(
        text(&out.stdout),
        format!("formatted {untidy}\n4 files already formatted\n")
    );
    for link in [&far, &alias] {
        assert!(
            std::fs::symlink_metadata(link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("far.vas")).unwrap(),
        messy
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("more/deep.vas")).unwrap(),
        messy
    );
}

#[cfg(unix)]
#[test]
fn a_rewritten_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, untidy) = untidy_copy("fmt-mode");
    std::fs::set_permissions(&untidy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = vasrec(&["fmt", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&untidy).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn the_catalogs_raised_limits_apply() {
    let (dir, _) = untidy_copy("fmt-limits");
    let nested = dir.path().join("nested.vas");
    let condition = format!("{}tenure_months{} > 1", "(".repeat(100), ")".repeat(100));
    std::fs::write(
        &nested,
        format!("rule deep for everyone {{ when {condition} offer priority_support }}\n"),
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    let refused = vasrec(&["fmt", "--check", folder]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("nested.vas:1:"), "{stderr}");
    let catalog = dir.path().join("catalog.yaml");
    let mut raised = std::fs::read_to_string(&catalog).unwrap();
    raised.push_str("limits: { max_nesting: 200 }\n");
    std::fs::write(&catalog, raised).unwrap();
    assert_eq!(vasrec(&["check", folder]).status.code(), Some(0));
    let out = vasrec(&["fmt", folder]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&nested).unwrap(),
        format!("rule deep for everyone {{\n  when {condition}\n  offer priority_support\n}}\n")
    );
}
