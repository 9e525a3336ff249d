//! Rule packages: finding and reading the files, then running every phase.
//!
//! In: a folder (or in-memory texts). Out: an [`Engine`], or a [`LoadError`]
//! holding every diagnostic of the package together with its sources.

use crate::base::diagnostic::{self, Code, Diagnostic};
use crate::base::render;
use crate::base::source::{FileId, SourceFile, SourceMap, display_name};
use crate::engine::{Engine, compile::compile};
use crate::lang::resolve;
use crate::lang::syntax;
use crate::model::{Model, ModelError};
use crate::package::catalog;
use crate::package::schema::Schema;
use std::fmt;
use std::path::{Path, PathBuf};

/// Name of the catalog file inside a package folder.
pub const CATALOG_FILE: &str = "catalog.yaml";

/// Largest rule or catalog file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A package that did not load: every diagnostic, and the files they point into.
#[derive(Debug, Clone)]
pub struct LoadError {
    /// The files read.
    pub sources: SourceMap,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Number of errors (warnings not counted).
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render::render_all(&self.diagnostics, &self.sources, false))
    }
}

impl std::error::Error for LoadError {}

impl Engine {
    /// Loads, checks and compiles the package in a folder.
    pub fn load(dir: impl AsRef<Path>) -> Result<Engine, LoadError> {
        let dir = dir.as_ref();
        let (sources, mut diagnostics) = read_dir(dir);
        build(sources, &mut diagnostics, Some(dir.to_path_buf()))
    }

    /// Builds a package from texts: the catalog and `(file name, text)` pairs.
    /// Files are taken in order of their names, as [`Engine::load`] takes a
    /// folder's files, so "file order" means the same either way.
    pub fn from_sources(catalog: &str, rule_files: &[(&str, &str)]) -> Result<Engine, LoadError> {
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new(CATALOG_FILE, None, catalog));
        let mut files = rule_files.to_vec();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (name, text) in files {
            sources.add(SourceFile::new(name, None, text));
        }
        build(sources, &mut Vec::new(), None)
    }
}

fn build(
    sources: SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    root: Option<PathBuf>,
) -> Result<Engine, LoadError> {
    let fail = |sources: SourceMap, diagnostics: &mut Vec<Diagnostic>| {
        diagnostic::sort(diagnostics);
        Err(LoadError {
            sources,
            diagnostics: std::mem::take(diagnostics),
        })
    };
    let catalog_id = sources.find(CATALOG_FILE);
    let catalog = match catalog_id.and_then(|id| sources.get(id).map(|f| (id, f))) {
        Some((id, file)) => match catalog::parse(id, file) {
            Ok((catalog, mut problems)) => {
                let model = match Model::new(&catalog) {
                    Ok(model) => model,
                    Err(errors) => {
                        problems.extend(model_diagnostics(errors, id, &file.text));
                        None
                    }
                };
                let sound = problems.is_empty();
                diagnostics.extend(problems);
                sound.then_some((catalog, model))
            }
            Err(errors) => {
                diagnostics.extend(errors);
                None
            }
        },
        None => {
            if !diagnostics.iter().any(|d| d.code == Code::ReadError) {
                diagnostics.push(
                    Diagnostic::error_nowhere(Code::MissingCatalog, format!("the package has no `{CATALOG_FILE}`"))
                        .with_help("every rule package needs a catalog.yaml listing its services and customer schema"),
                );
            }
            None
        }
    };

    let mut items = Vec::new();
    let mut broken = Vec::new();
    let unreadable: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidUtf8)
        .filter_map(|d| d.position.map(|p| p.0))
        .collect();
    for (id, file) in sources.iter() {
        if Some(id) == catalog_id || unreadable.contains(&id) {
            continue;
        }
        let limits = catalog
            .as_ref()
            .map(|(c, _)| c.limits.clone())
            .unwrap_or_default();
        let parsed = syntax::parse_file(id, file, &limits);
        items.extend(parsed.items);
        diagnostics.extend(parsed.errors);
        broken.extend(parsed.broken);
    }
    let earlier_errors = diagnostics.iter().any(Diagnostic::is_error);

    let Some((catalog, model)) = catalog else {
        return fail(sources, diagnostics);
    };
    let mut schema = Schema::new(&catalog);
    let (checked, found) = resolve::resolve(
        &catalog,
        &mut schema,
        &sources,
        items,
        &broken,
        earlier_errors,
    );
    diagnostics.extend(found);
    match checked {
        Some(checked) if !diagnostics.iter().any(Diagnostic::is_error) => {
            diagnostic::sort(diagnostics);
            let warnings = std::mem::take(diagnostics);
            Ok(compile(
                catalog, model, schema, sources, checked, warnings, root,
            ))
        }
        _ => fail(sources, diagnostics),
    }
}

/// Reads `catalog.yaml` and every `.vas` file under `dir` (sorted by path,
/// hidden folders and `tests/` skipped, symbolic links to folders not followed).
fn read_dir(dir: &Path) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    if !dir.is_dir() {
        diagnostics.push(
            Diagnostic::error_nowhere(
                Code::ReadError,
                format!("`{}` is not a folder", dir.display()),
            )
            .with_help("give the folder that holds catalog.yaml and the .vas files"),
        );
        return (sources, diagnostics);
    }
    let mut files = Vec::new();
    collect_rule_files(dir, 0, &mut files, &mut diagnostics);
    files.sort();
    let catalog = dir.join(CATALOG_FILE);
    if catalog.is_file() {
        read_one(dir, &catalog, &mut sources, &mut diagnostics);
    }
    for file in files {
        read_one(dir, &file, &mut sources, &mut diagnostics);
    }
    (sources, diagnostics)
}

fn collect_rule_files(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    const MAX_DEPTH: usize = 16;
    if depth > MAX_DEPTH {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(Diagnostic::error_nowhere(
                Code::ReadError,
                format!("cannot read folder `{}`: {error}", dir.display()),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "tests" && name != "target" {
                collect_rule_files(&path, depth + 1, out, diagnostics);
            }
        } else if name.ends_with(".vas") {
            out.push(path);
        }
    }
}

fn read_one(root: &Path, path: &Path, sources: &mut SourceMap, diagnostics: &mut Vec<Diagnostic>) {
    let name = display_name(root, path);
    let bytes = match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            diagnostics.push(
                Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!(
                        "`{name}` is {} bytes; files are limited to {MAX_FILE_BYTES} bytes",
                        meta.len()
                    ),
                )
                .with_help("split the rules over several files"),
            );
            return;
        }
        _ => match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                diagnostics.push(Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("cannot read `{name}`: {error}"),
                ));
                return;
            }
        },
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            sources.add(SourceFile::new(name, Some(path.to_path_buf()), text));
        }
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let id = sources.add(SourceFile::new(
                name.clone(),
                Some(path.to_path_buf()),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
            let mut d = Diagnostic::error_nowhere(
                Code::InvalidUtf8,
                format!("`{name}` is not valid UTF-8 text (byte {valid})"),
            )
            .with_help("save the file as UTF-8");
            d.position = Some((id, line, column));
            diagnostics.push(d);
        }
    }
}

/// The satisfaction model's errors as diagnostics of the catalog file, each
/// at the first line that mentions the key at fault.
fn model_diagnostics(errors: Vec<ModelError>, file: FileId, text: &str) -> Vec<Diagnostic> {
    errors
        .into_iter()
        .map(|message| {
            let mut d =
                Diagnostic::error_nowhere(message.code, format!("catalog.yaml: {}", message.text))
                    .with_help_opt(message.help);
            let line = text
                .lines()
                .position(|l| l.contains(&message.anchor))
                .map_or(1, |i| i + 1);
            d.position = Some((file, line, 1));
            d
        })
        .collect()
}
