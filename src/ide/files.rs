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

use crate::base::diagnostic::Code;
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

/// Whether a file of this name may hold a table's rows (`.csv`), as a
/// text an editor can have open: the checker reads it when a table names
/// it, and an edit to it is checked again.
pub fn is_table_file(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    name.to_ascii_lowercase().ends_with(".csv")
        && !parts
            .iter()
            .take(parts.len().saturating_sub(1))
            .any(|p| skipped_folder(p))
}

fn skipped_folder(name: &str) -> bool {
    name.starts_with('.') || name == "tests" || name == "target"
}

/// A package file that was not read, with what `vasrec check` says about
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The file's name in the package.
    pub name: String,
    /// `READ_ERROR`, or `INVALID_UTF8` for a file that is not UTF-8 text.
    pub code: Code,
    /// Why it was not read.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// A package folder as read: the texts, and the package files that could
/// not or may not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folder {
    /// `(name, text)` of every file read.
    pub files: BTreeMap<String, String>,
    /// The catalog and rule files left out (test case files left out are
    /// `vasrec test`'s to report, not listed).
    pub unread: Vec<Unread>,
}

/// The package's files as they are on disk: the catalog and every `.vas`
/// file below the folder, as `Engine::load` finds them, and the test case
/// files, as `vasrec test` finds them. Files that cannot or may not be
/// read (links outside, fifos, too large, not UTF-8) are left out;
/// [`read_folder`] says which.
pub fn read_package(root: &Path) -> BTreeMap<String, String> {
    read_folder(root).files
}

/// [`read_package`], with the files left out and why.
pub fn read_folder(root: &Path) -> Folder {
    let mut folder = Folder::default();
    let Ok(canonical_root) = root.canonicalize() else {
        return folder;
    };
    let mut entries_left = MAX_ENTRIES;
    let mut folders = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entries_left == 0 {
                return folder;
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
                continue;
            }
            let package_file = is_package_file(&name);
            if !package_file && !is_case_file(&name) {
                continue;
            }
            match read_confined(&canonical_root, &path, kind.is_symlink()) {
                Ok(text) => {
                    folder.files.insert(name, text);
                }
                Err(why) if package_file => folder.unread.push(why.unread(name)),
                Err(_) => {}
            }
        }
    }
    folder
}

/// Why a file was not read.
enum Refusal {
    Outside,
    Dangling,
    NotRegular(&'static str),
    TooBig,
    NotUtf8(usize),
    Io(std::io::Error),
}

impl Refusal {
    /// In the words of `vasrec check`.
    fn unread(self, name: String) -> Unread {
        let (code, message, help) = match self {
            Refusal::Outside => (
                Code::ReadError,
                format!(
                    "`{name}` is a symbolic link that leads outside the package folder; it was not read"
                ),
                Some(
                    "a package may only link to files inside its own folder; copy the file in instead",
                ),
            ),
            Refusal::Dangling => (
                Code::ReadError,
                format!("cannot read `{name}`: it is a symbolic link that leads nowhere"),
                None,
            ),
            Refusal::NotRegular(kind) => (
                Code::ReadError,
                format!("`{name}` is {kind}, not a regular file; it was not read"),
                Some("a package holds only regular files"),
            ),
            Refusal::TooBig => (
                Code::ReadError,
                format!("`{name}` is larger than the limit of {MAX_FILE_BYTES} bytes"),
                Some("split the rules over several files"),
            ),
            Refusal::NotUtf8(valid) => (
                Code::InvalidUtf8,
                format!("`{name}` is not valid UTF-8 text (byte {valid})"),
                Some("save the file as UTF-8"),
            ),
            Refusal::Io(error) => (
                Code::ReadError,
                format!("cannot read `{name}`: {error}"),
                None,
            ),
        };
        Unread {
            name,
            code,
            message,
            help: help.map(str::to_owned),
        }
    }
}

/// One file's text, when it is a regular file inside the package (through
/// a link or not), at most [`MAX_FILE_BYTES`] long and UTF-8.
fn read_confined(canonical_root: &Path, path: &Path, link: bool) -> Result<String, Refusal> {
    let target = if link {
        let target = path.canonicalize().map_err(|_| Refusal::Dangling)?;
        if !target.starts_with(canonical_root) {
            return Err(Refusal::Outside);
        }
        target
    } else {
        path.to_path_buf()
    };
    // Checked before opening: opening a fifo blocks, a device never ends.
    let checked = std::fs::symlink_metadata(&target).map_err(Refusal::Io)?;
    if checked.is_dir() {
        return Err(Refusal::NotRegular("a folder"));
    }
    if !checked.file_type().is_file() {
        return Err(Refusal::NotRegular(
            "a special file (a fifo, socket or device)",
        ));
    }
    if checked.len() > MAX_FILE_BYTES {
        return Err(Refusal::TooBig);
    }
    let file = std::fs::File::open(&target).map_err(Refusal::Io)?;
    if !file.metadata().map_err(Refusal::Io)?.file_type().is_file() {
        return Err(Refusal::NotRegular(
            "a special file (a fifo, socket or device)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Refusal::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Refusal::TooBig);
    }
    String::from_utf8(bytes).map_err(|e| Refusal::NotUtf8(e.utf8_error().valid_up_to()))
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
        assert!(is_table_file("offers.csv") && is_table_file("grids/Offers.CSV"));
        assert!(!is_table_file("tests/offers.csv") && !is_table_file(".git/a.csv"));
        assert!(!is_table_file("offers.xlsx") && !is_table_file("rules.vas"));
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
        std::fs::write(package.join("gbk.vas"), b"segment \xb8\xdf { when true }\n").unwrap();
        let folder = read_folder(&package);
        assert_eq!(
            folder.files.keys().map(String::as_str).collect::<Vec<_>>(),
            ["catalog.yaml", "inside.vas", "sub/a.vas"]
        );
        assert!(folder.files.values().all(|text| !text.contains("secret")));
        let mut unread: Vec<(&str, Code, &str)> = folder
            .unread
            .iter()
            .map(|u| (u.name.as_str(), u.code, u.message.as_str()))
            .collect();
        unread.sort();
        assert_eq!(
            unread,
            [
                (
                    "gbk.vas",
                    Code::InvalidUtf8,
                    "`gbk.vas` is not valid UTF-8 text (byte 8)"
                ),
                (
                    "linked.vas",
                    Code::ReadError,
                    "`linked.vas` is a symbolic link that leads outside the package folder; it was not read"
                ),
            ]
        );
    }
}
