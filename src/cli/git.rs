//! Reading a package from git, safely: the repository may come from someone
//! else's pull request.
//!
//! Only plumbing commands that read the object store are run (`rev-parse`,
//! `ls-tree`, `cat-file`, `hash-object --no-filters`): none of them runs
//! hooks, clean or smudge filters, or `core.fsmonitor`, which `git status`
//! would. Every call also switches off `core.fsmonitor` and hooks and takes
//! no optional locks, revisions come after `--end-of-options`, and listings
//! are NUL-separated (`-z`), so no name is quoted or split.

use std::path::Path;
use std::process::Command;

/// A git command in `dir` that reads no hook, fsmonitor or pager setting.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-c")
        .arg("core.fsmonitor=false")
        .arg("-c")
        .arg("core.hooksPath=/dev/null")
        .arg("--no-pager")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0");
    command
}

/// Runs git in `dir`; its standard output, or its error message.
fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// A revision as the user wrote it, refused when git would read it as an
/// option.
pub(super) fn checked_revision(revision: &str) -> Result<&str, String> {
    if revision.is_empty() || revision.starts_with('-') {
        Err(format!(
            "`{revision}` is not a revision (a revision cannot be empty or start with `-`)"
        ))
    } else {
        Ok(revision)
    }
}

/// One blob of a tree listing: its mode, object id, size and path below
/// the folder.
struct Blob {
    mode: String,
    id: String,
    size: u64,
    path: String,
}

/// The blobs under `dir` at `revision` (`ls-tree -r -l -z`), paths relative
/// to `dir`.
fn blobs(dir: &Path, revision: &str) -> Result<Vec<Blob>, String> {
    let listing = run(
        dir,
        &[
            "ls-tree",
            "-r",
            "-l",
            "-z",
            "--end-of-options",
            revision,
            "--",
            ".",
        ],
    )?;
    let mut blobs = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        // "<mode> <type> <id> <padded size>\t<path>"
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split(' ').filter(|p| !p.is_empty());
        if let (Some(mode), Some("blob"), Some(id), Some(size)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            blobs.push(Blob {
                mode: mode.to_string(),
                id: id.to_string(),
                size: size.parse().unwrap_or(u64::MAX),
                path: path.to_string(),
            });
        }
    }
    Ok(blobs)
}

/// Whether the folder loader reads this path of a package: `catalog.yaml`
/// at the top, and `.vas` files in folders that are not hidden, `tests` or
/// `target` (the same filter as `Engine::load`).
fn is_package_file(path: &str) -> bool {
    if path == vasrec::CATALOG_FILE {
        return true;
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    let Some(name) = parts.pop() else {
        return false;
    };
    name.ends_with(".vas")
        && parts
            .iter()
            .all(|d| !d.starts_with('.') && *d != "tests" && *d != "target")
}

/// A package as it is at a git revision: its catalog and rule files, and
/// the other files of the tree, read only when a table names them.
pub(super) struct GitPackage {
    dir: std::path::PathBuf,
    /// `(path, content)` of the catalog and the rule files.
    pub(super) files: Vec<(String, Vec<u8>)>,
    others: Vec<Blob>,
}

impl GitPackage {
    /// A table's spreadsheet at `path` in the package, under the folder
    /// loader's rules: a regular file (a symbolic link is refused, as one
    /// that may lead outside the package), at most `max` bytes (known from
    /// the listing, before anything is read).
    pub(super) fn read_table_file(&self, path: &str, max: usize) -> Result<Vec<u8>, String> {
        let wanted = path.trim_start_matches("./");
        let blob = self
            .others
            .iter()
            .find(|b| b.path == wanted)
            .ok_or_else(|| "there is no such file in the package".to_string())?;
        match blob.mode.as_str() {
            "100644" | "100755" => {}
            "120000" => {
                return Err(
                    "it is a symbolic link, which is not read from git (it may lead outside the package)"
                        .into(),
                );
            }
            _ => return Err("it is not a regular file".into()),
        }
        if blob.size > max as u64 {
            return Err(format!(
                "it is larger than {max} bytes (`limits.max_table_bytes`)"
            ));
        }
        let bytes = run(&self.dir, &["cat-file", "blob", &blob.id])?;
        if bytes.len() > max {
            return Err(format!(
                "it is larger than {max} bytes (`limits.max_table_bytes`)"
            ));
        }
        Ok(bytes)
    }
}

/// The package files under `dir` at `revision`, read from the object store
/// only, so the working tree is untouched: the catalog and rule files read,
/// the other files listed for the tables that name them.
pub(super) fn package_files(dir: &Path, revision: &str) -> Result<GitPackage, String> {
    let revision = checked_revision(revision)?;
    let mut files = Vec::new();
    let mut others = Vec::new();
    for blob in blobs(dir, revision)? {
        if is_package_file(&blob.path) {
            let content = run(dir, &["cat-file", "blob", &blob.id])?;
            files.push((blob.path, content));
        } else {
            others.push(blob);
        }
    }
    Ok(GitPackage {
        dir: dir.to_path_buf(),
        files,
        others,
    })
}

/// The short revision of the commit `dir` is at, with `-dirty` when a
/// package file tracked there differs from the committed one (compared by
/// content without git's filters); None outside a repository or without git.
/// The package files are the catalog and rule files, and the `engine`'s
/// other sources: the spreadsheets its tables read.
pub(super) fn revision(dir: &Path, engine: &vasrec::Engine) -> Option<String> {
    let head = run(dir, &["rev-parse", "--short", "--end-of-options", "HEAD"])
        .ok()
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
        .filter(|h| !h.is_empty())?;
    let tracked: Vec<Blob> = blobs(dir, "HEAD")
        .ok()?
        .into_iter()
        .filter(|b| is_package_file(&b.path) || read_by(engine, &b.path))
        .collect();
    let dirty = tracked.iter().any(|blob| {
        !dir.join(&blob.path).is_file()
            || run(dir, &["hash-object", "--no-filters", "--", &blob.path])
                .map_or(true, |id| String::from_utf8_lossy(&id).trim() != blob.id)
    });
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// Whether the engine was built from the file at `path` (a table's
/// spreadsheet; its sources are named by their path in the package).
fn read_by(engine: &vasrec::Engine, path: &str) -> bool {
    engine.sources().iter().any(|(_, file)| file.name == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_git_filter_is_the_folder_loaders() {
        assert!(is_package_file("catalog.yaml"));
        assert!(is_package_file("rules.vas"));
        assert!(is_package_file("more/rules.vas"));
        assert!(is_package_file("规则/客户.vas"));
        assert!(!is_package_file("tests/rules.vas"));
        assert!(!is_package_file("a/tests/rules.vas"));
        assert!(!is_package_file(".hidden/rules.vas"));
        assert!(!is_package_file("target/rules.vas"));
        assert!(!is_package_file("sub/catalog.yaml"));
        assert!(!is_package_file("notes.txt"));
    }

    #[test]
    fn revisions_that_look_like_options_are_refused() {
        assert!(checked_revision("--output=/tmp/x").is_err());
        assert!(checked_revision("-p").is_err());
        assert!(checked_revision("").is_err());
        assert_eq!(checked_revision("HEAD~1"), Ok("HEAD~1"));
    }
}
