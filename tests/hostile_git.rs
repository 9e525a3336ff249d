//! `diff --base git:REV` and the HTML pages' revision on a repository from
//! someone else: no program named in the repository's config runs, a
//! revision cannot pass an option to git, and the package read from git is
//! the package the folder loader reads (non-ASCII names included, `tests/`
//! and hidden folders left out), with the spreadsheets its tables name read
//! from git too, confined and bounded as in a folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vasrec(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("vasrec runs")
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh repository holding a copy of `rules/` as `pkg/`, committed; None
/// where git is missing.
fn repository(name: &str) -> Option<PathBuf> {
    let root = std::env::temp_dir().join(format!("vasrec-git-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let pkg = root.join("pkg");
    fs::create_dir_all(&pkg).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    copy_dir(&source, &pkg);
    if !git(&root, &["init", "-q"]) {
        eprintln!("skipping: git is not available");
        return None;
    }
    assert!(git(&root, &["add", "-A"]));
    assert!(git(&root, &["commit", "-q", "-m", "package"]));
    Some(root)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Config that runs `marker`-writing programs if git ever reads it while
/// working on the repository's files.
fn plant_config(root: &Path, marker: &Path) {
    let script = root.join("evil.sh");
    fs::write(
        &script,
        format!("#!/bin/sh\necho ran >> '{}'\ncat\n", marker.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let program = script.display().to_string();
    assert!(git(root, &["config", "core.fsmonitor", &program]));
    assert!(git(root, &["config", "filter.evil.clean", &program]));
    assert!(git(root, &["config", "filter.evil.smudge", &program]));
    fs::write(root.join(".gitattributes"), "* filter=evil\n").unwrap();
    let hooks = root.join(".git/hooks");
    fs::create_dir_all(&hooks).unwrap();
    for hook in ["post-checkout", "pre-commit", "post-index-change"] {
        fs::copy(&script, hooks.join(hook)).unwrap();
    }
}

/// `vasrec dry-run --format html` of the package in `pkg`, written to `out`
/// and read back; the run must succeed.
fn html_page(pkg: &Path, out: &Path) -> String {
    let run = vasrec(
        pkg,
        &[
            "dry-run",
            "--rules",
            ".",
            "--format",
            "html",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::read_to_string(out).unwrap()
}

/// A page's revision is `-dirty` when only a table's spreadsheet was edited:
/// the results changed, so the committed revision alone would mislead.
#[test]
fn an_edited_table_spreadsheet_makes_the_revision_dirty() {
    let Some(root) = repository("dirty-sheet") else {
        return;
    };
    let pkg = root.join("pkg");
    let page = |name: &str| html_page(&pkg, &root.join(name));
    assert!(
        !page("clean.html").contains("-dirty"),
        "a clean checkout is not -dirty"
    );
    let sheet = pkg.join("senior_care.csv");
    let text = fs::read_to_string(&sheet).unwrap();
    assert!(text.contains(",6,6,"), "{text}");
    fs::write(&sheet, text.replace(",6,6,", ",7,6,")).unwrap();
    assert!(
        page("edited.html").contains("-dirty"),
        "an edited spreadsheet shows as -dirty"
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn no_program_from_the_repository_config_runs() {
    let Some(root) = repository("config") else {
        return;
    };
    let marker = root.join("marker");
    plant_config(&root, &marker);
    let pkg = root.join("pkg");
    // Touch a package file so a status-like command would have to look at it.
    let rules = pkg.join("rules.vas");
    let text = fs::read_to_string(&rules).unwrap();
    fs::write(&rules, text + "\n# edited\n").unwrap();

    let html = html_page(&pkg, &root.join("page.html"));
    assert!(
        html.contains("-dirty"),
        "an edited package file shows as -dirty"
    );

    let out = vasrec(
        &pkg,
        &[
            "diff", "--base", "git:HEAD", "--rules", ".", "--format", "html",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !marker.exists(),
        "a program named in the repository's config ran: {}",
        fs::read_to_string(&marker).unwrap_or_default()
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn a_revision_cannot_be_an_option() {
    let Some(root) = repository("option") else {
        return;
    };
    let pkg = root.join("pkg");
    let written = root.join("written");
    let revision = format!("git:--output={}", written.display());
    let out = vasrec(&pkg, &["diff", "--base", &revision, "--rules", "."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a revision"), "{stderr}");
    assert!(!written.exists(), "git wrote a file named by the revision");
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn the_git_base_is_the_package_the_folder_loader_reads() {
    let Some(root) = repository("same") else {
        return;
    };
    let pkg = root.join("pkg");
    // A rule file with a non-ASCII name (git quotes such names without -z),
    // and files the folder loader leaves out.
    fs::create_dir_all(pkg.join("更多")).unwrap();
    fs::write(
        pkg.join("更多/客户规则.vas"),
        "rule extra_rule for everyone {\n  offer feedback_callback_24h\n  gain 0.5\n}\n",
    )
    .unwrap();
    fs::create_dir_all(pkg.join(".drafts")).unwrap();
    fs::write(pkg.join(".drafts/draft.vas"), "this is not valid {\n").unwrap();
    fs::create_dir_all(pkg.join("target")).unwrap();
    fs::write(pkg.join("target/old.vas"), "this is not valid {\n").unwrap();
    assert!(git(&root, &["add", "-A"]));
    assert!(git(&root, &["commit", "-q", "-m", "more"]));

    let out = vasrec(
        &pkg,
        &[
            "diff", "--base", "git:HEAD", "--rules", ".", "--format", "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = &report["package"];
    for kind in ["added", "removed", "modified"] {
        for part in ["rules", "segments", "profiles", "services"] {
            let list = &changes[part][kind];
            assert!(
                list.as_array().is_none_or(Vec::is_empty),
                "identical packages differ: {part} {kind}: {list}"
            );
        }
    }
    assert_eq!(report["customers_affected"].as_u64(), Some(0));
    let _ = fs::remove_dir_all(&root);
}

/// A fresh repository holding, as `pkg/`, a package whose table reads its
/// rows from `grid/offers.csv`, committed; None where git is missing.
fn table_repository(name: &str) -> Option<PathBuf> {
    let root = std::env::temp_dir().join(format!("vasrec-git-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let pkg = root.join("pkg");
    fs::create_dir_all(pkg.join("grid")).unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/catalog.yaml");
    fs::copy(catalog, pkg.join("catalog.yaml")).unwrap();
    fs::write(
        pkg.join("rules.vas"),
        "segment everyone { when true }\n\
         table t for everyone { hit first columns tenure_months rows \"grid/offers.csv\" }\n",
    )
    .unwrap();
    fs::write(
        pkg.join("grid/offers.csv"),
        "tenure_months,offer,gain\n< 6,callback,1.5\n-,priority_support,1\n",
    )
    .unwrap();
    fs::write(pkg.join("customers.csv"), "id,tenure_months\nc1,3\nc2,12\n").unwrap();
    if !git(&root, &["init", "-q"]) {
        eprintln!("skipping: git is not available");
        return None;
    }
    assert!(git(&root, &["add", "-A"]));
    assert!(git(&root, &["commit", "-q", "-m", "package"]));
    Some(root)
}

fn diff_json(pkg: &Path) -> Output {
    vasrec(
        pkg,
        &[
            "diff",
            "--base",
            "git:HEAD",
            "--rules",
            ".",
            "--customers",
            "customers.csv",
            "--format",
            "json",
        ],
    )
}

#[test]
fn the_git_base_reads_the_files_its_tables_name() {
    let Some(root) = table_repository("table") else {
        return;
    };
    let pkg = root.join("pkg");
    let out = diff_json(&pkg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["customers_affected"].as_u64(), Some(0));

    // A cell changed in the working tree, not in git: the base has the old row.
    fs::write(
        pkg.join("grid/offers.csv"),
        "tenure_months,offer,gain\n< 6,callback,2.5\n-,priority_support,1\n",
    )
    .unwrap();
    let out = diff_json(&pkg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["customers_affected"].as_u64(), Some(1), "{report}");
    let _ = fs::remove_dir_all(&root);
}

#[cfg(unix)]
#[test]
fn a_table_file_in_git_is_confined_and_bounded_as_in_a_folder() {
    let Some(root) = table_repository("table-link") else {
        return;
    };
    let pkg = root.join("pkg");
    // A link committed in place of the rows, to a file outside the package.
    fs::write(
        root.join("secret.csv"),
        "tenure_months,offer,gain\n-,callback,9\n",
    )
    .unwrap();
    fs::remove_file(pkg.join("grid/offers.csv")).unwrap();
    std::os::unix::fs::symlink("../../secret.csv", pkg.join("grid/offers.csv")).unwrap();
    assert!(git(&root, &["add", "-A"]));
    assert!(git(&root, &["commit", "-q", "-m", "link"]));
    // The working tree has the rows themselves: only the base is refused.
    let rows = "tenure_months,offer,gain\n< 6,callback,1.5\n-,priority_support,1\n";
    fs::remove_file(pkg.join("grid/offers.csv")).unwrap();
    fs::write(pkg.join("grid/offers.csv"), rows).unwrap();
    let out = diff_json(&pkg);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it is a symbolic link, which is not read from git"),
        "{stderr}"
    );

    // Rows larger than `limits.max_table_bytes`, refused before they are read.
    fs::remove_file(pkg.join("grid/offers.csv")).unwrap();
    let mut big = String::from("tenure_months,offer,gain\n");
    while big.len() <= 200 {
        big.push_str("-,callback,1\n");
    }
    fs::write(pkg.join("grid/offers.csv"), big).unwrap();
    let mut catalog = fs::read_to_string(pkg.join("catalog.yaml")).unwrap();
    catalog.push_str("limits:\n  max_table_bytes: 200\n");
    fs::write(pkg.join("catalog.yaml"), catalog).unwrap();
    assert!(git(&root, &["add", "-A"]));
    assert!(git(&root, &["commit", "-q", "-m", "big"]));
    fs::write(pkg.join("grid/offers.csv"), rows).unwrap();
    let out = diff_json(&pkg);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it is larger than 200 bytes (`limits.max_table_bytes`)"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(&root);
}
