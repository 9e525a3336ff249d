//! A package's files as an editor sees them: the folder's files, with the
//! open (possibly unsaved) buffers laid over them.
//!
//! In: a folder, or a file in it. Out: `(name, text)` pairs, named by their
//! path relative to the package folder with `/` separators, as the checker
//! names files in diagnostics.
//!
//! The folder is read as `vasrec check` reads it, and confined the same
//! way: a symbolic link to a folder is never followed, a link to a file is
//! read only when it leads to a regular file inside the package folder,
//! only regular files are opened (a fifo would block), and no file is read
//! past 8 MiB. Nothing here writes.

use crate::engine::load::{CATALOG_FILE, MAX_FILE_BYTES};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many folders above a file are searched for its package's catalog:
/// as deep as `vasrec check` looks for rule files below it.
const MAX_LEVELS_UP: usize = 17;

/// How deep below the package folder rule files are looked for (as
/// `vasrec check` looks).
const MAX_DEPTH: usize = 16;

/// Folder entries looked at before reading stops: a "package" that is a
/// home folder must not stall the editor.
const MAX_ENTRIES: usize = 20_000;

/// The package folder a file belongs to: the nearest folder at or above it
/// that holds a `catalog.yaml`.
pub fn package_root(file: &Path) -> Option<PathBuf> {
    let start = if file.is_dir() { file } else { file.parent()? };
    start
        .ancestors()
        .take(MAX_LEVELS_UP + 1)
        .find(|dir| dir.join(CATALOG_FILE).is_file())
        .map(Path::to_path_buf)
}

/// A file's name inside the package (`sub/rules.vas`), or `None` when it is
/// not under the package folder (`..` in the path counts as not under it).
pub fn package_name(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for part in relative.components() {
        match part {
            std::path::Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether the checker reads a file of this name: the catalog at the top,
/// and `.vas` files outside hidden folders and the `tests` and `target`
/// folders.
pub fn is_package_file(name: &str) -> bool {
    if name == CATALOG_FILE {
        return true;
    }
    let parts: Vec<&str> = name.split('/').collect();
    let skipped = parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .any(|p| skipped_folder(p));
    name.ends_with(".vas") && !skipped && parts.len() <= MAX_DEPTH + 1
}

/// Whether a file of this name is one of the package's test cases
/// (`tests/*.yaml` or `.yml`), which `vasrec test` reads: they name
/// services, rules and segments, so a rename changes them too.
pub fn is_case_file(name: &str) -> bool {
    name.strip_prefix("tests/").is_some_and(|file| {
        !file.contains('/') && (file.ends_with(".yaml") || file.ends_with(".yml"))
    })
}

fn skipped_folder(name: &str) -> bool {
    name.starts_with('.') || name == "tests" || name == "target"
}

/// The package's files as they are on disk: the catalog and every `.vas`
/// file below the folder, as `Engine::load` finds them, and the test case
/// files, as `vasrec test` finds them. Files that cannot
/// or may not be read (outside links, fifos, too large, not UTF-8) are
/// left out: the editor shows what it can.
pub fn read_package(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Ok(canonical_root) = root.canonicalize() else {
        return files;
    };
    let mut entries_left = MAX_ENTRIES;
    let mut folders = vec![(root.to_path_buf(), 0usize)];
    while let Some((folder, depth)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if entries_left == 0 {
                return files;
            }
            entries_left -= 1;
            let path = entry.path();
            let (Ok(kind), Some(name)) = (entry.file_type(), package_name(root, &path)) else {
                continue;
            };
            let last = name.rsplit('/').next().unwrap_or("");
            if kind.is_dir() {
                // The top `tests` folder holds test cases, nothing below it.
                let rules_below = depth < MAX_DEPTH && !skipped_folder(last);
                if name == "tests" || rules_below && !name.starts_with("tests/") {
                    folders.push((path, depth + 1));
                }
            } else if (is_package_file(&name) || is_case_file(&name))
                && let Some(text) = read_confined(&canonical_root, &path, kind.is_symlink())
            {
                files.insert(name, text);
            }
        }
    }
    files
}

/// One file's text, when it is a regular file inside the package (through
/// a link or not), at most [`MAX_FILE_BYTES`] long and UTF-8.
fn read_confined(canonical_root: &Path, path: &Path, link: bool) -> Option<String> {
    let target = if link {
        let target = path.canonicalize().ok()?;
        target.starts_with(canonical_root).then_some(target)?
    } else {
        path.to_path_buf()
    };
    // Checked before opening: opening a fifo blocks, a device never ends.
    let checked = std::fs::symlink_metadata(&target).ok()?;
    if !checked.file_type().is_file() || checked.len() > MAX_FILE_BYTES {
        return None;
    }
    let file = std::fs::File::open(&target).ok()?;
    if !file.metadata().ok()?.file_type().is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_catalog_and_rule_files_outside_tests_count() {
        assert!(is_package_file("catalog.yaml"));
        assert!(is_package_file("rules.vas"));
        assert!(is_package_file("more/rules.vas"));
        assert!(!is_package_file("tests/rules.vas"));
        assert!(!is_package_file(".git/x.vas"));
        assert!(!is_package_file("customers.csv"));
        assert!(!is_package_file("target/x.vas"));
        assert!(!is_package_file("more/catalog.yaml"));
        assert!(is_package_file(".x.vas"));
        assert!(is_case_file("tests/a.yaml") && is_case_file("tests/b.yml"));
        assert!(!is_case_file("tests/more/a.yaml") && !is_case_file("a.yaml"));
        assert!(!is_package_file("tests/a.yaml"));
    }

    #[test]
    fn the_bundled_package_is_found_from_a_rule_file() {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        assert_eq!(
            package_root(&rules.join("segments.vas")).as_deref(),
            Some(rules.as_path())
        );
        let files = read_package(&rules);
        assert!(files.contains_key("catalog.yaml"));
        assert!(files.contains_key("segments.vas"));
        assert!(files.contains_key("tests/segments.yaml"));
        assert!(
            files
                .keys()
                .all(|name| is_package_file(name) || is_case_file(name))
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_that_lead_outside_the_package_are_not_followed() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let package = base.join("package");
        let outside = base.join("outside");
        std::fs::create_dir_all(package.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(package.join("catalog.yaml"), "package: x\n").unwrap();
        std::fs::write(package.join("sub/a.vas"), "segment a { when true }\n").unwrap();
        std::fs::write(outside.join("secret.vas"), "secret").unwrap();
        std::fs::write(outside.join("b.vas"), "secret too").unwrap();
        symlink(outside.join("secret.vas"), package.join("linked.vas")).unwrap();
        symlink(&outside, package.join("folder")).unwrap();
        symlink(package.join("sub/a.vas"), package.join("inside.vas")).unwrap();
        let files = read_package(&package);
        assert_eq!(
            files.keys().map(String::as_str).collect::<Vec<_>>(),
            ["catalog.yaml", "inside.vas", "sub/a.vas"]
        );
        assert!(files.values().all(|text| !text.contains("secret")));
    }
}
