//! `--watch`: reload when the package's files change. Polling, not file
//! system events: one `stat` per file per interval works the same on every
//! file system (network mounts and containers' bind mounts included) and
//! needs no dependency. A change is acted on once the files have stayed the
//! same for one more interval, so an editor's save in several writes, or a
//! `git checkout`, is reloaded once, whole.

use super::reload_logged;
use super::state::Shared;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Most files looked at; a folder with more is watched on its first ones
/// (a package has a handful).
const MAX_FILES: usize = 10_000;

/// What is compared between two looks: each file's path, size and time of
/// last change, in a stable order.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// The package folder's files, below it, skipping hidden entries (`.git`).
/// Symbolic links are not followed: the package may not read through them.
fn fingerprint(dir: &Path) -> Fingerprint {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if files.len() >= MAX_FILES {
                break;
            }
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                folders.push(entry.path());
            } else if meta.is_file() {
                files.push((entry.path(), meta.len(), meta.modified().ok()));
            }
        }
    }
    files.sort();
    files
}

/// Looks at `dir` every `every` and reloads after a change; runs until the
/// server stops.
pub(super) async fn watch(shared: Arc<Shared>, dir: PathBuf, every: Duration) {
    let look = |dir: &PathBuf| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || fingerprint(&dir))
    };
    let Ok(mut loaded) = look(&dir).await else {
        return;
    };
    let mut seen = loaded.clone();
    loop {
        tokio::time::sleep(every).await;
        let Ok(now) = look(&dir).await else {
            return;
        };
        if now != loaded && now == seen {
            let worker = Arc::clone(&shared);
            let _ = tokio::task::spawn_blocking(move || reload_logged(&worker, "watch")).await;
            loaded = now.clone();
        }
        seen = now;
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn a_fingerprint_sees_edits_new_files_and_subfolders_but_not_hidden_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("rules.vas"), "rule a {}").expect("write");
        let first = fingerprint(dir.path());
        assert_eq!(first.len(), 1);
        std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
        std::fs::write(dir.path().join(".git/HEAD"), "x").expect("write");
        assert_eq!(fingerprint(dir.path()), first);
        std::fs::create_dir(dir.path().join("tests")).expect("mkdir");
        std::fs::write(dir.path().join("tests/a.yaml"), "x").expect("write");
        assert_eq!(fingerprint(dir.path()).len(), 2);
        std::fs::write(dir.path().join("rules.vas"), "rule a { }").expect("write");
        assert_ne!(fingerprint(dir.path())[0], first[0]);
    }

    #[cfg(unix)]
    #[test]
    fn a_fingerprint_does_not_follow_links_out_of_the_package() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret"), "x").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).expect("link");
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("s"))
            .expect("link");
        assert!(fingerprint(dir.path()).is_empty());
    }
}
