//! A package's files as an editor sees them: the folder's files, with the
//! open (possibly unsaved) buffers laid over them.
//!
//! In: a folder, or a file in it. Out: `(name, text)` pairs, named by their
//! path relative to the package folder with `/` separators, as the checker
//! names files in diagnostics.

use crate::engine::load::CATALOG_FILE;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many folders above a file are searched for its package's catalog:
/// rule files sit in the package folder or a few folders below it.
const MAX_LEVELS_UP: usize = 4;

/// Largest file read from the folder; larger ones are left out (the checker
/// refuses them anyway, and an editor must not stall on them).
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The package folder a file belongs to: the nearest folder at or above it,
/// at most a few levels up, that holds a `catalog.yaml`.
pub fn package_root(file: &Path) -> Option<PathBuf> {
    let start = if file.is_dir() { file } else { file.parent()? };
    start
        .ancestors()
        .take(MAX_LEVELS_UP + 1)
        .find(|dir| dir.join(CATALOG_FILE).is_file())
        .map(Path::to_path_buf)
}

/// A file's name inside the package (`sub/rules.vas`), or `None` when it is
/// not under the package folder.
pub fn package_name(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether the checker reads a file of this name: the catalog and `.vas`
/// files outside hidden folders and the `tests` folder.
pub fn is_package_file(name: &str) -> bool {
    if name == CATALOG_FILE {
        return true;
    }
    let parts: Vec<&str> = name.split('/').collect();
    let hidden_or_tests = parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .any(|p| p.starts_with('.') || *p == "tests");
    name.ends_with(".vas") && !hidden_or_tests
}

/// The package's files as they are on disk: the catalog and every `.vas`
/// file below the folder (hidden folders, `tests/` and symbolic links to
/// folders left out, as `Engine::load` does). Unreadable files are skipped:
/// the editor shows what it can.
pub fn read_package(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let Some(name) = package_name(root, &path) else {
                continue;
            };
            let hidden = name.rsplit('/').next().is_some_and(|n| n.starts_with('.'));
            if kind.is_dir() {
                if !hidden && name != "tests" {
                    folders.push(path);
                }
            } else if is_package_file(&name)
                && !hidden
                && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.insert(name, text);
            }
        }
    }
    files
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
        assert!(files.keys().all(|name| is_package_file(name)));
    }
}
