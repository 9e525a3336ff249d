//! `vasrec merge`: the report of a run made in parts, or the capacity
//! allocation every part runs with, from the files the parts wrote.

use super::dry_run::{Format, render};
use super::{EXIT_OK, EXIT_USAGE, load, output};
use std::path::{Path, PathBuf};
use vasrec::capacity::PartialDemand;
use vasrec::partial::{PartialError, PartialReport};

/// Largest part file read (1 GiB): far above a partial of any real
/// package, below what would exhaust a driver's memory.
const MAX_PART_BYTES: u64 = 1 << 30;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec merge part-*.json                          the report of every part (rules/ package)
  vasrec merge my-rules part-1.json part-2.json --format html --out report.html
  vasrec merge demand-*.json --out allocation.json  capacity: the allocation for every part

A run in parts, with capacity decided over all of them:
  vasrec dry-run --customers part-1.csv --demand-out demand-1.json      (each part)
  vasrec merge demand-*.json --out allocation.json
  vasrec dry-run --customers part-1.csv --line-offset 0 --allocation allocation.json \\
      --partial-out part-1.json                                         (each part)
  vasrec merge part-*.json")]
pub(super) struct Args {
    /// The rule package folder (optional: a first argument that is a folder),
    /// then the files the parts wrote: partial reports (`dry-run
    /// --partial-out`) or capacity demands (`dry-run --demand-out`), in any order.
    #[arg(value_name = "[DIR] FILE", required = true)]
    paths: Vec<PathBuf>,
    /// Rule package folder, the same as giving DIR (default: rules).
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Report format (partial reports only; demands merge into JSON).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to a file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(super) fn run(args: Args) -> u8 {
    let mut files = args.paths.clone();
    let dir = match (&args.rules, files.first()) {
        (Some(dir), _) => dir.clone(),
        (None, Some(first)) if first.is_dir() => files.remove(0),
        _ => PathBuf::from("rules"),
    };
    if files.is_empty() {
        eprintln!("error: no part files to merge: give the files the parts wrote");
        return EXIT_USAGE;
    }
    if let Err(code) = super::package_folder(&dir) {
        return code;
    }
    let engine = match load(&dir) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    if let Err(e) = output::check_distinct(
        &[("--out", args.out.as_deref())],
        &files
            .iter()
            .map(|f| ("a part file", Some(f.as_path())))
            .collect::<Vec<_>>(),
    ) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let mut texts = Vec::with_capacity(files.len());
    for path in &files {
        match read_part(path) {
            Ok(text) => texts.push(text),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let refused = |path: &Path, e: PartialError| {
        eprintln!("error: {}: {e}", path.display());
        EXIT_USAGE
    };
    let (text, what) = match PartialReport::from_json(&texts[0]) {
        Ok(first) => match merge_reports(&engine, first, &texts) {
            Ok(report) => {
                let format = args.format.unwrap_or(Format::Table);
                let what = format!("the dry-run report of {} parts", files.len());
                (render(&report, format, &engine, &dir), what)
            }
            Err((i, e)) => return refused(&files[i], e),
        },
        Err(PartialError::WrongKind { found, .. }) if found == "vasrec.demand" => {
            if args.format.is_some() {
                eprintln!(
                    "error: --format is for partial reports; capacity demands merge into an allocation (JSON)"
                );
                return EXIT_USAGE;
            }
            match merge_demands(&engine, &texts) {
                Ok(text) => (text, "the capacity allocation".to_string()),
                Err((i, e)) => return refused(&files[i], e),
            }
        }
        Err(e) => return refused(&files[0], e),
    };
    if let Err(e) = output::write(args.out.as_deref(), &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    super::wrote(args.out.as_deref(), &what);
    EXIT_OK
}

/// Every text a partial report, merged; the error says which file.
fn merge_reports(
    engine: &vasrec::Engine,
    mut total: PartialReport,
    texts: &[String],
) -> Result<vasrec::report::DryRunReport, (usize, PartialError)> {
    for (i, text) in texts.iter().enumerate().skip(1) {
        let part = PartialReport::from_json(text).map_err(|e| (i, e))?;
        total.merge(part).map_err(|e| (i, e))?;
    }
    total.report(engine).map_err(|e| (0, e))
}

/// Every text a capacity demand, merged into the allocation's JSON.
fn merge_demands(
    engine: &vasrec::Engine,
    texts: &[String],
) -> Result<String, (usize, PartialError)> {
    let mut total: Option<PartialDemand> = None;
    for (i, text) in texts.iter().enumerate() {
        let part = PartialDemand::from_json(text).map_err(|e| (i, e))?;
        match &mut total {
            None => total = Some(part),
            Some(total) => total.merge(part).map_err(|e| (i, e))?,
        }
    }
    match total {
        Some(total) => total
            .allocate(engine)
            .map(|a| a.to_json())
            .map_err(|e| (0, e)),
        None => Ok(String::new()),
    }
}

/// A part file's text, refused past [`MAX_PART_BYTES`].
pub(super) fn read_part(path: &Path) -> Result<String, String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!(
            "`{shown}` is a folder: give the package folder first (or with --rules DIR), then the part files"
        ));
    }
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?
        .len();
    if size > MAX_PART_BYTES {
        return Err(format!(
            "`{shown}` is {size} bytes; a part file may hold at most {MAX_PART_BYTES} (1 GiB)"
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{shown}`: {e}"))
}
