//! Rule packages: finding and reading the files, then running every phase.
//!
//! In: a folder (or in-memory texts). Out: an [`Engine`], or a [`LoadError`]
//! holding every diagnostic of the package together with its sources.

use crate::base::diagnostic::{self, Code, Diagnostic};
use crate::base::source::{FileId, SourceFile, SourceMap, display_name};
use crate::engine::load_error::LoadError;
use crate::engine::{Engine, compile::compile};
use crate::lang::resolve;
use crate::lang::syntax;
use crate::model::{Model, ModelError};
use crate::package::catalog;
use crate::package::schema::Schema;
use crate::package::sheet::{self, SheetKind};
use std::path::{Path, PathBuf};

/// Name of the catalog file inside a package folder.
pub const CATALOG_FILE: &str = "catalog.yaml";

/// Largest rule or catalog file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The folder of test cases inside a package (as `analysis::testing` reads it).
const TESTS_FOLDER: &str = "tests";

impl Engine {
    /// Loads, checks and compiles the package in a folder: `catalog.yaml`
    /// and every `.vas` file under it. Do it once and share the engine.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// assert_eq!(engine.catalog().package, "telecom-vas");
    /// # Ok::<(), vasrec::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// A [`LoadError`] with every diagnostic of the package (not only the
    /// first), which prints as the command line shows them:
    ///
    /// ```
    /// let error = vasrec::Engine::load("no/such/folder").unwrap_err();
    /// assert!(format!("{error:?}").contains("is not a folder"));
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Engine, LoadError> {
        let dir = dir.as_ref();
        let (sources, mut diagnostics) = read_dir(dir);
        let fetch = |relative: &str, max: usize| read_table_file(dir, relative, max);
        build(sources, &mut diagnostics, Some(dir.to_path_buf()), &fetch)
    }

    /// Builds a package from texts: the catalog and `(file name, text)` pairs.
    /// Files are taken in order of their names, as [`Engine::load`] takes a
    /// folder's files, so "file order" means the same either way. For tests,
    /// and for applications that keep their rules elsewhere than in files.
    ///
    /// ```
    /// let catalog = r#"
    /// package: demo
    /// services:
    ///   - { id: welcome_call, name: Welcome call, category: technical_support,
    ///       stage: after_sale, channel: offline, participation: passive }
    /// customer:
    ///   attributes:
    ///     - { name: tenure_months, type: number }
    /// "#;
    /// let rules = "segment new { when tenure_months < 6 }\n\
    ///              rule call_new for new { offer welcome_call gain 1.5 }";
    /// let engine = vasrec::Engine::from_sources(catalog, &[("new.vas", rules)])?;
    /// assert_eq!(engine.counts(), (1, 1, 0)); // segments, rules, profiles
    /// # Ok::<(), vasrec::LoadError>(())
    /// ```
    ///
    /// Files named `*.csv` among them are not rule files but the rows of a
    /// table that reads them (`rows "offers.csv"`); for `.xlsx` files, see
    /// [`Engine::from_sources_with_data`].
    pub fn from_sources(catalog: &str, rule_files: &[(&str, &str)]) -> Result<Engine, LoadError> {
        let data: Vec<(&str, &[u8])> = rule_files
            .iter()
            .filter(|(name, _)| SheetKind::of(name).is_some())
            .map(|(name, text)| (*name, text.as_bytes()))
            .collect();
        let rules: Vec<(&str, &str)> = rule_files
            .iter()
            .filter(|(name, _)| SheetKind::of(name).is_none())
            .copied()
            .collect();
        Self::from_sources_with_data(catalog, &rules, &data)
    }

    /// As [`Engine::from_sources`], with the spreadsheets (CSV or XLSX
    /// bytes, by their path in the package) that tables read their rows
    /// from.
    ///
    /// ```
    /// let catalog = r#"
    /// package: demo
    /// services:
    ///   - { id: welcome_call, name: Welcome call, category: technical_support,
    ///       stage: after_sale, channel: offline, participation: passive }
    /// customer:
    ///   attributes:
    ///     - { name: tenure_months, type: number }
    /// "#;
    /// let rules = "segment everyone { when true }\n\
    ///              table calls for everyone { hit first columns tenure_months rows \"calls.csv\" }";
    /// let csv = "tenure_months,offer,gain\n< 6,welcome_call,1.5\n";
    /// let engine = vasrec::Engine::from_sources_with_data(
    ///     catalog,
    ///     &[("calls.vas", rules)],
    ///     &[("calls.csv", csv.as_bytes())],
    /// )?;
    /// assert_eq!(engine.counts(), (1, 1, 0)); // one row, one rule `calls[1]`
    /// # Ok::<(), vasrec::LoadError>(())
    /// ```
    pub fn from_sources_with_data(
        catalog: &str,
        rule_files: &[(&str, &str)],
        data_files: &[(&str, &[u8])],
    ) -> Result<Engine, LoadError> {
        let fetch = |relative: &str, max: usize| {
            let wanted = relative.trim_start_matches("./");
            let (_, bytes) = data_files
                .iter()
                .find(|(name, _)| name.trim_start_matches("./") == wanted)
                .ok_or_else(|| "there is no such file in the package".to_string())?;
            if bytes.len() > max {
                return Err(too_big_table(max));
            }
            Ok(bytes.to_vec())
        };
        Self::from_sources_reading(catalog, rule_files, &fetch)
    }

    /// As [`Engine::from_sources`], with the spreadsheets that tables name
    /// read on demand: `read(path, max)` gives the bytes of the file at
    /// `path` in the package (`offers.csv`, `grids/a.xlsx`), or a sentence
    /// saying why not, and must refuse a file larger than `max` bytes
    /// (`limits.max_table_bytes`). For packages kept elsewhere than in a
    /// folder (a git revision, an editor's buffers), so that only the files
    /// the tables name are read. Paths that are absolute or climb out of
    /// the package with `..` are refused before `read` is asked.
    ///
    /// ```
    /// # let catalog = r#"
    /// # package: demo
    /// # services:
    /// #   - { id: welcome_call, name: Welcome call, category: technical_support,
    /// #       stage: after_sale, channel: offline, participation: passive }
    /// # customer:
    /// #   attributes:
    /// #     - { name: tenure_months, type: number }
    /// # "#;
    /// let rules = "segment everyone { when true }\n\
    ///              table calls for everyone { hit first columns tenure_months rows \"calls.csv\" }";
    /// let read = |path: &str, _max: usize| match path {
    ///     "calls.csv" => Ok(b"tenure_months,offer,gain\n< 6,welcome_call,1.5\n".to_vec()),
    ///     _ => Err("there is no such file in the package".to_string()),
    /// };
    /// let engine = vasrec::Engine::from_sources_reading(catalog, &[("calls.vas", rules)], &read)?;
    /// assert_eq!(engine.counts(), (1, 1, 0));
    /// # Ok::<(), vasrec::LoadError>(())
    /// ```
    pub fn from_sources_reading(
        catalog: &str,
        rule_files: &[(&str, &str)],
        read: &Fetch<'_>,
    ) -> Result<Engine, LoadError> {
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new(CATALOG_FILE, None, catalog));
        let mut files: Vec<(&str, &str)> = rule_files
            .iter()
            .filter(|(name, _)| SheetKind::of(name).is_none())
            .copied()
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (name, text) in files {
            sources.add(SourceFile::new(name, None, text));
        }
        let confined = |relative: &str, max: usize| {
            lexically_inside(relative)
                .map_err(|why| format!("the file must be inside the package folder, and {why}"))?;
            read(relative, max)
        };
        build(sources, &mut Vec::new(), None, &confined)
    }
}

impl Engine {
    /// The catalog's `sample:` file in the package folder `dir`: `None` when
    /// the catalog names none, and an error (a sentence naming the key) when
    /// it is an absolute path, leads outside the folder (`..`, or a symbolic
    /// link) or is not a regular file.
    pub fn sample_path(&self, dir: &Path) -> Option<Result<PathBuf, String>> {
        let sample = self.catalog().sample.as_deref()?;
        Some(file_inside(dir, sample).map_err(|why| {
            format!(
                "`sample: {sample}` in {CATALOG_FILE}: the sample must be a file inside the package folder; {why}"
            )
        }))
    }
}

/// `relative` inside the package folder `dir`, refused (with the reason) when
/// it is absolute, climbs out with `..`, resolves outside through a link or,
/// when it exists, is not a regular file. A missing file inside is returned
/// as is, for the caller's own "cannot open" message.
pub(crate) fn file_inside(dir: &Path, relative: &str) -> Result<PathBuf, String> {
    lexically_inside(relative)?;
    let given = Path::new(relative);
    let path = dir.join(given);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(path);
    }
    let inside = match (dir.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(target)) => target.starts_with(root),
        _ => false,
    };
    if !inside {
        return Err("this path leads outside it (through a symbolic link)".into());
    }
    if !path.metadata().is_ok_and(|m| m.is_file()) {
        return Err("this is not a regular file".into());
    }
    Ok(path)
}

/// Refuses a path that is absolute or climbs out of the package with `..`
/// (by its words alone: links are the reader's to refuse).
fn lexically_inside(relative: &str) -> Result<(), String> {
    use std::path::Component;
    let given = Path::new(relative);
    let mut depth = 0usize;
    for part in given.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => {
                return Err("this is an absolute path".into());
            }
            Component::ParentDir if depth == 0 => {
                return Err("this path leads outside it".into());
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
    }
    Ok(())
}

/// Reads a file of the package by its path inside it, at most so many bytes.
type Fetch<'a> = dyn Fn(&str, usize) -> Result<Vec<u8>, String> + 'a;

fn too_big_table(max: usize) -> String {
    format!("it is larger than {max} bytes (`limits.max_table_bytes`)")
}

/// A table's spreadsheet in the package folder `dir`, confined to it as
/// the rule files are (no absolute path, no `..` out, no link out, regular
/// files only) and read through the same bounded reader.
pub(crate) fn read_table_file(dir: &Path, relative: &str, max: usize) -> Result<Vec<u8>, String> {
    let path = file_inside(dir, relative)
        .map_err(|why| format!("the file must be inside the package folder, and {why}"))?;
    let canon = dir
        .canonicalize()
        .map_err(|e| format!("the package folder cannot be read: {e}"))?;
    let package = Package { dir, canon };
    read_confined(&package, &path, max as u64).map_err(|refusal| match refusal {
        Refusal::Outside => "it leads outside the package folder".to_string(),
        Refusal::Dangling => "it is a symbolic link that leads nowhere".to_string(),
        Refusal::NotRegular(kind) => format!("it is {kind}, not a regular file"),
        Refusal::TooBig => too_big_table(max),
        Refusal::Changed => "it changed while it was read".to_string(),
        Refusal::Io(error) if error.kind() == std::io::ErrorKind::NotFound => {
            "there is no such file in the package".to_string()
        }
        Refusal::Io(error) => error.to_string(),
    })
}

/// Fills in the rows of the tables that read them from a spreadsheet; a
/// table whose file cannot be read, or has errors, is left out (its
/// errors say why), and so is every check of it.
fn read_table_rows(
    sources: &mut SourceMap,
    items: &mut Vec<syntax::ast::Item>,
    broken: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
    limits: &crate::package::catalog::Limits,
    fetch: &Fetch<'_>,
) {
    items.retain_mut(|item| {
        let syntax::ast::Item::Table(table) = item else {
            return true;
        };
        let Some(from) = table.rows_from.clone() else {
            return true;
        };
        let path = from.path.trim_start_matches("./").to_string();
        let fail = |message: String| {
            Diagnostic::error(Code::ReadError, from.span, message).with_help(
                "name a .csv or .xlsx file inside the package folder, by its path from the folder (where catalog.yaml is)",
            )
        };
        let table_name = table.name.text.clone();
        let sheet = SheetKind::of(&path)
            .ok_or_else(|| fail(format!("table `{table_name}` reads its rows from `{path}`, which is neither a .csv nor an .xlsx file")))
            .and_then(|kind| {
                let bytes = fetch(&path, limits.max_table_bytes).map_err(|why| {
                    fail(format!("cannot read the rows of table `{table_name}` from `{path}`: {why}"))
                })?;
                sheet::read(kind, &bytes, from.sheet.as_deref(), limits).map_err(|e| {
                    let at = e.at.map_or(String::new(), |(row, column)| match kind {
                        SheetKind::Csv => format!(":{row}:{column}"),
                        SheetKind::Xlsx => format!(
                            ":{}{row}",
                            crate::base::source::column_letters(column)
                        ),
                    });
                    Diagnostic::error(
                        Code::ReadError,
                        from.span,
                        format!("cannot read the rows of table `{table_name}` from `{path}{at}`: {}", e.message),
                    )
                })
            });
        let found = match sheet {
            Ok(sheet) => {
                let (rows, found) = syntax::sheet::table_rows(
                    sources, &path, &sheet, table, from.span, limits,
                );
                table.rows = rows;
                found
            }
            Err(error) => vec![error],
        };
        let keep = !found.iter().any(Diagnostic::is_error);
        diagnostics.extend(found);
        if !keep {
            broken.push(table_name);
        }
        keep
    });
}

fn build(
    mut sources: SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    root: Option<PathBuf>,
    fetch: &Fetch<'_>,
) -> Result<Engine, LoadError> {
    let fail = |sources: SourceMap, diagnostics: &mut Vec<Diagnostic>| {
        diagnostic::sort(diagnostics);
        Err(LoadError {
            sources,
            diagnostics: std::mem::take(diagnostics),
        })
    };
    // Files that are not UTF-8 are kept without their text: not parsed.
    let unreadable: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidUtf8)
        .filter_map(|d| d.position.map(|p| p.0))
        .collect();
    let catalog_id = sources.find(CATALOG_FILE);
    let readable_catalog = catalog_id.filter(|id| !unreadable.contains(id));
    let catalog = match readable_catalog.and_then(|id| sources.get(id).map(|f| (id, f))) {
        Some((id, file)) => match catalog::parse(id, file) {
            Ok((catalog, mut problems)) => {
                let model = match Model::new(&catalog) {
                    Ok(model) => model,
                    Err(errors) => {
                        problems.extend(model_diagnostics(errors, id, &file.text, false));
                        None
                    }
                };
                let sound = problems.is_empty();
                diagnostics.extend(problems);
                let off_scale = crate::model::off_scale_judgements(&catalog.satisfaction);
                diagnostics.extend(model_diagnostics(off_scale, id, &file.text, true));
                sound.then_some((catalog, model))
            }
            Err(errors) => {
                diagnostics.extend(errors);
                None
            }
        },
        None => {
            if !diagnostics
                .iter()
                .any(|d| matches!(d.code, Code::ReadError | Code::InvalidUtf8))
            {
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
    let Some((catalog, model)) = catalog else {
        return fail(sources, diagnostics);
    };
    read_table_rows(
        &mut sources,
        &mut items,
        &mut broken,
        diagnostics,
        &catalog.limits,
        fetch,
    );
    let earlier_errors = diagnostics.iter().any(Diagnostic::is_error);

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
///
/// The package is confined to its folder: a symbolic link that leads outside
/// it (to a rule file, the catalog, a folder or the `tests` folder) is
/// refused and never followed, only regular files are opened, and no file is
/// read past [`MAX_FILE_BYTES`].
fn read_dir(dir: &Path) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let canon = match dir.canonicalize() {
        Ok(canon) if canon.is_dir() => canon,
        _ => {
            diagnostics.push(
                Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("`{}` is not a folder", dir.display()),
                )
                .with_help("give the folder that holds catalog.yaml and the .vas files"),
            );
            return (sources, diagnostics);
        }
    };
    let package = Package { dir, canon };
    let mut files = Vec::new();
    collect_rule_files(&package, dir, 0, &mut files, &mut diagnostics);
    check_tests_folder(&package, &mut diagnostics);
    files.sort();
    let catalog = dir.join(CATALOG_FILE);
    if std::fs::symlink_metadata(&catalog).is_ok() {
        read_one(&package, &catalog, &mut sources, &mut diagnostics);
    }
    for file in files {
        read_one(&package, &file, &mut sources, &mut diagnostics);
    }
    (sources, diagnostics)
}

/// The package folder as given (for names) and canonical (for confinement).
struct Package<'a> {
    dir: &'a Path,
    canon: PathBuf,
}

impl Package<'_> {
    /// The file's name inside the package, e.g. `sub/a.vas`.
    fn name(&self, path: &Path) -> String {
        display_name(self.dir, path)
    }

    /// Whether a canonical path lies inside the package folder.
    fn holds(&self, canonical: &Path) -> bool {
        canonical.starts_with(&self.canon)
    }

    fn outside(&self, path: &Path) -> Diagnostic {
        Diagnostic::error_nowhere(
            Code::ReadError,
            format!(
                "`{}` is a symbolic link that leads outside the package folder; it was not read",
                self.name(path)
            ),
        )
        .with_help(
            "a package may only link to files inside its own folder; copy the file in instead",
        )
    }
}

fn collect_rule_files(
    package: &Package<'_>,
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
                format!("cannot read folder `{}`: {error}", package.name(dir)),
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
        let skipped_folder = name.starts_with('.') || name == "tests" || name == "target";
        let rule_file = name.ends_with(".vas");
        if kind.is_symlink() {
            // Links to folders are never followed (no loops); links to rule
            // files are read when they stay inside the package.
            match path.canonicalize() {
                Ok(target) if !package.holds(&target) => {
                    // (the top `tests` folder is checked by `check_tests_folder`)
                    if rule_file || (target.is_dir() && !skipped_folder) {
                        diagnostics.push(package.outside(&path));
                    }
                }
                Ok(target) => {
                    if rule_file && !target.is_dir() {
                        out.push(path);
                    }
                }
                // A dangling link: `read_one` says so.
                Err(_) => {
                    if rule_file {
                        out.push(path);
                    }
                }
            }
        } else if kind.is_dir() {
            if !skipped_folder {
                collect_rule_files(package, &path, depth + 1, out, diagnostics);
            }
        } else if rule_file {
            // `read_one` refuses what is not a regular file.
            out.push(path);
        }
    }
}

/// The folder of test cases that `vasrec test` reads (`tests/*.yaml`): it
/// must not lead outside the package, nor hold links that do.
fn check_tests_folder(package: &Package<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let tests = package.dir.join(TESTS_FOLDER);
    let Ok(meta) = std::fs::symlink_metadata(&tests) else {
        return;
    };
    if meta.file_type().is_symlink() {
        match tests.canonicalize() {
            Ok(target) if package.holds(&target) => {}
            Ok(_) => {
                diagnostics.push(package.outside(&tests));
                return;
            }
            Err(_) => return,
        }
    }
    let Ok(entries) = std::fs::read_dir(&tests) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let case_file = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let link = entry.file_type().is_ok_and(|k| k.is_symlink());
        if case_file
            && link
            && path
                .canonicalize()
                .is_ok_and(|target| !package.holds(&target))
        {
            diagnostics.push(package.outside(&path));
        }
    }
}

/// Why a package file was not read.
enum Refusal {
    /// Leads outside the package folder.
    Outside,
    /// A link to nothing.
    Dangling,
    /// Not a regular file: a folder, fifo, socket or device.
    NotRegular(&'static str),
    /// Larger than [`MAX_FILE_BYTES`].
    TooBig,
    /// Replaced by something else between the check and the open.
    Changed,
    /// The system refused it.
    Io(std::io::Error),
}

/// Opens and reads one package file, refusing links that lead outside the
/// package and anything but a regular file, and reading at most
/// [`MAX_FILE_BYTES`] whatever the file claims its size is.
fn read_confined(package: &Package<'_>, path: &Path, max: u64) -> Result<Vec<u8>, Refusal> {
    use std::io::Read;
    let link = std::fs::symlink_metadata(path).map_err(Refusal::Io)?;
    let target = if link.file_type().is_symlink() {
        let target = path.canonicalize().map_err(|_| Refusal::Dangling)?;
        if !package.holds(&target) {
            return Err(Refusal::Outside);
        }
        target
    } else {
        path.to_path_buf()
    };
    // Checked before opening: opening a fifo blocks, a device never ends.
    let checked = std::fs::symlink_metadata(&target).map_err(Refusal::Io)?;
    if !checked.file_type().is_file() {
        return Err(Refusal::NotRegular(kind_of(&checked)));
    }
    if checked.len() > max {
        return Err(Refusal::TooBig);
    }
    let file = std::fs::File::open(&target).map_err(Refusal::Io)?;
    let opened = file.metadata().map_err(Refusal::Io)?;
    if !opened.file_type().is_file() || !same_file(&checked, &opened) {
        return Err(Refusal::Changed);
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Refusal::Io)?;
    if bytes.len() as u64 > max {
        return Err(Refusal::TooBig);
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a fifo";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Whether the file opened is the one checked (same device and inode).
#[cfg(unix)]
fn same_file(checked: &std::fs::Metadata, opened: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (checked.dev(), checked.ino()) == (opened.dev(), opened.ino())
}

#[cfg(not(unix))]
fn same_file(checked: &std::fs::Metadata, opened: &std::fs::Metadata) -> bool {
    checked.len() == opened.len()
}

fn read_one(
    package: &Package<'_>,
    path: &Path,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let name = package.name(path);
    let bytes = match read_confined(package, path, MAX_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(refusal) => {
            let d = match refusal {
                Refusal::Outside => package.outside(path),
                Refusal::Dangling => Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("cannot read `{name}`: it is a symbolic link that leads nowhere"),
                ),
                Refusal::NotRegular(kind) => Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("`{name}` is {kind}, not a regular file; it was not read"),
                )
                .with_help("a package holds only regular files"),
                Refusal::TooBig => Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("`{name}` is larger than the limit of {MAX_FILE_BYTES} bytes"),
                )
                .with_help("split the rules over several files"),
                Refusal::Changed => Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("`{name}` changed while it was read; it was not read"),
                ),
                Refusal::Io(error) => Diagnostic::error_nowhere(
                    Code::ReadError,
                    format!("cannot read `{name}`: {error}"),
                ),
            };
            diagnostics.push(d);
            return;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            sources.add(SourceFile::new(name, Some(path.to_path_buf()), text));
        }
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            // The file is kept without its text, so that no message shows
            // any of it (it may not be text at all).
            let id = sources.add(SourceFile::new(
                name.clone(),
                Some(path.to_path_buf()),
                String::new(),
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

/// The satisfaction model's errors (or warnings) as diagnostics of the
/// catalog file, each at the key or value its path names.
fn model_diagnostics(
    errors: Vec<ModelError>,
    file: FileId,
    text: &str,
    warning: bool,
) -> Vec<Diagnostic> {
    if errors.is_empty() {
        return Vec::new();
    }
    let positions = crate::base::yaml_positions::Positions::of(text);
    errors
        .into_iter()
        .map(|error| {
            let message = format!("catalog.yaml: {}", error.text);
            let d = match positions.nearest(&error.path, error.key) {
                Some(range) => {
                    let span = crate::base::source::Span::new(file, range.start, range.end);
                    if warning {
                        Diagnostic::warning(error.code, span, message)
                    } else {
                        Diagnostic::error(error.code, span, message)
                    }
                }
                None => {
                    let mut d = Diagnostic::error_nowhere(error.code, message);
                    d.position = Some((file, 1, 1));
                    if warning {
                        d.severity = crate::base::diagnostic::Severity::Warning;
                    }
                    d
                }
            };
            d.with_help_opt(error.help)
        })
        .collect()
}
