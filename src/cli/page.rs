//! What an HTML page says about its source (`--format html`): the package's
//! git revision and display names. Only the command line asks git; the
//! library's renderer takes the answers as a value.

use std::path::Path;
use std::process::Command;
use vasrec::Engine;
use vasrec::html::PageMeta;

/// Page metadata for a package loaded from `dir`.
pub(super) fn meta(engine: &Engine, dir: &Path) -> PageMeta {
    let mut meta = PageMeta {
        package: engine.catalog().package.clone(),
        package_dir: dir.display().to_string(),
        revision: revision(dir),
        generator: format!("vasrec {}", env!("CARGO_PKG_VERSION")),
        ..PageMeta::default()
    };
    add_names(&mut meta, engine);
    meta
}

/// Adds an engine's service names and segment labels (a later engine wins).
pub(super) fn add_names(meta: &mut PageMeta, engine: &Engine) {
    for service in &engine.catalog().services {
        meta.service_names
            .insert(service.id.clone(), service.name.clone());
    }
    for id in engine.segment_ids() {
        meta.segment_labels.insert(
            engine.segment_name(id).to_string(),
            engine.segment_label(id).to_string(),
        );
    }
}

/// The short git revision of the commit `dir` is at, with `-dirty` when the
/// folder has uncommitted changes; None outside a repository or without git.
pub(super) fn revision(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).filter(|h| !h.is_empty())?;
    let dirty = git(&["status", "--porcelain", "--", "."]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
