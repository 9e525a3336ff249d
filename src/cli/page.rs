//! What an HTML page says about its source (`--format html`): the package's
//! git revision and display names. Only the command line asks git; the
//! library's renderer takes the answers as a value.

use std::path::Path;
use vasrec::Engine;
use vasrec::html::PageMeta;

/// Page metadata for a package loaded from `dir`.
pub(super) fn meta(engine: &Engine, dir: &Path) -> PageMeta {
    let mut meta = PageMeta {
        package: engine.catalog().package.clone(),
        package_dir: dir.display().to_string(),
        revision: super::git::revision(dir, engine),
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
