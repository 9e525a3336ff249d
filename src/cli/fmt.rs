//! `vasrec fmt [DIR]`: lay out every rule file of a package one way.

mod diff;

use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, PackageArg, output, stderr_color};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(
    after_help = "Only white space, line ends and a list's trailing comma change: every \
                  other token, every clause and every comment stays where it was written. A \
                  file is replaced atomically (written beside it, then renamed); symbolic links \
                  are neither followed nor replaced. When a file does not parse, its errors are \
                  printed, nothing is written and the exit code is 1.

Examples:
  vasrec fmt                    lay out every .vas file under ./rules in place
  vasrec fmt my-rules           the same for another package
  vasrec fmt --check            for CI: write nothing, show a diff, exit 1 if a file would change"
)]
pub(super) struct Args {
    #[command(flatten)]
    package: PackageArg,
    /// Write nothing; print a diff of each file that would change, and exit 1 if any would.
    #[arg(long)]
    check: bool,
}

/// A rule file read from the package, and its laid-out text.
struct Laid {
    path: PathBuf,
    before: String,
    after: String,
}

/// The most a rule file may weigh, as for `vasrec check` (which reads no
/// more): a larger file is refused, not read into memory.
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

pub(super) fn run(args: Args) -> u8 {
    let dir = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let mut found = Found::default();
    if let Err(message) = rule_files(&dir, 0, &mut found) {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    found.files.sort();
    found.links.sort();
    for link in &found.links {
        eprintln!(
            "note: {} is a symbolic link; vasrec fmt neither follows nor replaces links \
             (format the file it points to)",
            shown(link)
        );
    }
    let limits = package_limits(&dir);
    let mut laid = Vec::new();
    let mut refused = 0;
    for path in found.files {
        let shown = shown(&path);
        let before = match read_text(&path) {
            Ok(text) => text,
            Err(problem) => {
                eprintln!("error: {shown} {problem}");
                refused += 1;
                continue;
            }
        };
        // Diagnostics name the file as `vasrec check` does: inside the package.
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let name = vasrec::render::printable(&name.replace('\\', "/")).into_owned();
        match vasrec::layout::format_file(&name, &before, &limits) {
            Ok(after) => laid.push(Laid {
                path,
                before,
                after,
            }),
            Err(vasrec::layout::FormatError::Syntax {
                sources,
                diagnostics,
            }) => {
                eprint!(
                    "{}",
                    vasrec::render::render_all(&diagnostics, &sources, stderr_color())
                );
                refused += 1;
            }
            Err(other) => {
                eprintln!("{other}");
                refused += 1;
            }
        }
    }
    if refused > 0 {
        eprintln!(
            "{}: {refused} file{} cannot be formatted (errors above); nothing was written",
            shown(&dir),
            plural(refused)
        );
        return EXIT_RULES;
    }
    let changed: Vec<&Laid> = laid.iter().filter(|f| f.before != f.after).collect();
    let unchanged = laid.len() - changed.len();
    if args.check {
        return check(&dir, &changed, laid.len());
    }
    let mut failed = 0;
    for file in &changed {
        match replace(file) {
            Ok(()) => println!("formatted {}", shown(&file.path)),
            Err(message) => {
                eprintln!("error: {message}");
                failed += 1;
            }
        }
    }
    if changed.is_empty() || unchanged > 0 {
        println!("{unchanged} file{} already formatted", plural(unchanged));
    }
    if failed > 0 {
        eprintln!(
            "{}: {failed} file{} could not be written (errors above); the others were",
            shown(&dir),
            plural(failed)
        );
        return EXIT_USAGE;
    }
    EXIT_OK
}

/// `--check`: the diff of each file that would change on stdout, a summary
/// on stderr, exit 1 when anything would change.
fn check(dir: &Path, changed: &[&Laid], total: usize) -> u8 {
    let mut text = String::new();
    for file in changed {
        text.push_str(&diff::unified(
            &shown(&file.path),
            &file.before,
            &file.after,
        ));
    }
    if let Err(message) = output::write(None, &text) {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    if changed.is_empty() {
        println!("{total} file{} already formatted", plural(total));
        return EXIT_OK;
    }
    eprintln!(
        "{} of {total} file{} would be reformatted; `vasrec fmt {}` rewrites {}",
        changed.len(),
        plural(total),
        shown(dir),
        if changed.len() == 1 { "it" } else { "them" }
    );
    EXIT_RULES
}

/// Reads a package file that was listed as a regular file: it must still be
/// one (opening a fifo would block, a device never ends), no larger than
/// [`MAX_FILE_BYTES`], and UTF-8. The error completes "error: FILE ...".
fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("cannot be read: {e}");
    let listed = std::fs::symlink_metadata(path).map_err(cannot)?;
    if !listed.file_type().is_file() {
        return Err("is no longer a regular file; it was left as it is".to_string());
    }
    let too_big = || {
        format!(
            "is larger than {} MiB; it was not read",
            MAX_FILE_BYTES >> 20
        )
    };
    if listed.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())
}

/// Writes a laid-out file over the one read: a temporary file beside it,
/// renamed into place, so a crash leaves the old file or the new one, never
/// half of one, and a link put in the file's place is replaced, not followed.
/// A file that changed since it was read (an editor saved it meanwhile) is
/// left alone rather than overwritten with a layout of its old text.
fn replace(file: &Laid) -> Result<(), String> {
    let shown = shown(&file.path);
    match read_text(&file.path) {
        Ok(now) if now == file.before => {}
        Ok(_) => {
            return Err(format!(
                "{shown} changed while it was being formatted; it was left as it is \
                 (run vasrec fmt again)"
            ));
        }
        Err(problem) => return Err(format!("{shown} {problem}")),
    }
    let mut pending = output::Pending::create(&file.path)?;
    pending
        .file()
        .write_all(file.after.as_bytes())
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    pending.persist()
}

/// The files `vasrec fmt` lays out, and the links it leaves alone.
#[derive(Default)]
struct Found {
    files: Vec<PathBuf>,
    links: Vec<PathBuf>,
}

/// The `.vas` files the package loads: under `dir`, skipping hidden folders,
/// `tests/` and `target/`, as `vasrec check` does. Symbolic links are neither
/// followed nor rewritten (replacing one with a file would cut the link, and
/// following one could lead out of the package); links named `.vas` are
/// listed to be named in a note.
fn rule_files(dir: &Path, depth: usize, found: &mut Found) -> Result<(), String> {
    if depth > 16 {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", shown(dir)))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !(name.starts_with('.') || name == "tests" || name == "target") {
                rule_files(&entry.path(), depth + 1, found)?;
            }
        } else if name.ends_with(".vas") {
            if kind.is_file() {
                found.files.push(entry.path());
            } else if kind.is_symlink() {
                found.links.push(entry.path());
            }
        }
    }
    Ok(())
}

/// The catalog's `limits`, so that a file the package loads (with raised
/// limits) is not refused here; the defaults when the catalog cannot be read
/// (`vasrec check` reports why; the layout needs nothing else from it). A
/// catalog that is a symbolic link is not followed, as rule files are not.
fn package_limits(dir: &Path) -> vasrec::catalog::Limits {
    read_text(&dir.join(vasrec::CATALOG_FILE))
        .map(|text| vasrec::layout::catalog_limits(&text))
        .unwrap_or_default()
}

fn shown(path: &Path) -> String {
    vasrec::render::printable(&path.display().to_string()).into_owned()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
