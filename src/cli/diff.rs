//! `vasrec diff`: what a rule change does, before it ships.

use super::customers::{
    CustomerArgs, ErrorArgs, OnError, Reject, allocate, open_customers, write_rejects,
};
use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, PackageArg, load, output, page, stderr_color};
use std::path::{Path, PathBuf};
use vasrec::Engine;
use vasrec::diff::{BadRows, DiffError, diff};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec diff --base git:HEAD                  rules/ now against its last commit
  vasrec diff --base old-rules new-rules --customers q3.csv
  vasrec diff --base git:main --format html --out change.html
  vasrec diff --base git:main --max-affected 500   exit 1 when more customers change")]
pub(super) struct Args {
    /// The package before the change: a folder, or `git:REV` for the new
    /// package's folder as it was at a git revision (e.g. `git:HEAD`,
    /// `git:main`), read without touching the working tree.
    #[arg(long, value_name = "OLD")]
    base: String,
    /// The package after the change.
    #[command(flatten)]
    package: PackageArg,
    #[command(flatten)]
    customers: CustomerArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the report to a file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit 1 when anything changed (package or any customer's offers).
    #[arg(long)]
    fail_on_change: bool,
    /// Exit 1 when more than N customers are affected.
    #[arg(long, value_name = "N")]
    max_affected: Option<u64>,
    /// Worker threads (1 to 256; default: all cores).
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    #[command(flatten)]
    errors: ErrorArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    /// One self-contained web page (styles inlined, charts drawn as SVG).
    Html,
}

pub(super) fn run(args: Args) -> u8 {
    let rules = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let (policy, rejects_path) = match args.errors.resolve(args.out.as_deref()) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    let new = match load(&rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let base = match args.base.strip_prefix("git:") {
        Some(revision) => match load_from_git(&rules, revision) {
            Ok(engine) => engine,
            Err(code) => return code,
        },
        None => match super::package_folder(Path::new(&args.base))
            .and_then(|()| load(Path::new(&args.base)))
        {
            Ok(engine) => engine,
            Err(code) => return code,
        },
    };
    let input = args.customers.input_path(&new, &rules);
    if let Err(e) = super::output::check_distinct(
        &[
            ("--out", args.out.as_deref()),
            ("--rejects", rejects_path.as_deref()),
        ],
        &[("--customers", input.as_deref())],
    ) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    if args
        .customers
        .customers
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-")
    {
        eprintln!("error: diff reads the customers twice (once per package); give a file, not `-`");
        return EXIT_USAGE;
    }
    let (new_reader, _) = match open_customers(&new, &rules, &args.customers, None, true) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    // The same file again, read with the base package's schema.
    let same_file = CustomerArgs {
        customers: args
            .customers
            .customers
            .clone()
            .or_else(|| new.catalog().sample.as_ref().map(|s| rules.join(s))),
        input_format: args.customers.input_format,
        ignore_capacity: args.customers.ignore_capacity,
    };
    let (base_reader, _) = match open_customers(&base, &rules, &same_file, None, false) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (base_allocation, new_allocation) = match (
        allocate(&base, &rules, &same_file, threads),
        allocate(&new, &rules, &args.customers, threads),
    ) {
        // The same file was opened twice above, so it is not standard input.
        (Ok((b, _)), Ok((n, _))) => (b, n),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let allocations = [base_allocation.as_ref(), new_allocation.as_ref()];
    let report = match diff(
        &base,
        &new,
        base_reader,
        new_reader,
        threads,
        match policy {
            OnError::Fail => BadRows::Stop,
            OnError::Skip => BadRows::Count,
            OnError::Report => BadRows::Collect,
        },
        allocations,
    ) {
        Ok(report) => report,
        Err(DiffError::Setup(e)) => {
            eprintln!("error: cannot start worker threads: {e}");
            return EXIT_USAGE;
        }
        Err(DiffError::BadRow(e)) => {
            eprintln!("error: {e}");
            eprintln!("(use --on-error skip or --on-error report to set bad rows aside and go on)");
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let text = match args.format {
        Format::Table => report.to_table(),
        Format::Csv => report.to_csv(),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Html => vasrec::html::diff_page(&report, &diff_meta(&args, &rules, &base, &new)),
    };
    if let Err(e) = output::write(args.out.as_deref(), &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    super::wrote(
        args.out.as_deref(),
        &format!("the diff over {} customers", report.customers),
    );
    if let Some(path) = &rejects_path {
        let rejects: Vec<Reject> = (report.rejected_rows.iter())
            .map(|r| Reject {
                line: r.line,
                reason: r.reason.clone(),
                row: r.row.clone(),
            })
            .collect();
        if let Err(e) = write_rejects(path, &rejects) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
        eprintln!(
            "wrote {} rejected rows to {}",
            rejects.len(),
            path.display()
        );
    }
    if args.fail_on_change && report.has_changes() {
        eprintln!("diff: changes found (--fail-on-change)");
        return EXIT_RULES;
    }
    if let Some(limit) = args.max_affected
        && report.customers_affected > limit
    {
        eprintln!(
            "diff: {} customers affected, more than --max-affected {limit}",
            report.customers_affected
        );
        return EXIT_RULES;
    }
    EXIT_OK
}

/// Page metadata for a diff: both packages' places and revisions, the
/// customers file, and display names from both (the new package's win).
fn diff_meta(args: &Args, rules: &Path, base: &Engine, new: &Engine) -> vasrec::html::PageMeta {
    let mut meta = page::meta(new, rules);
    page::add_names(&mut meta, base);
    page::add_names(&mut meta, new);
    meta.base = Some(args.base.clone());
    meta.base_revision = match args.base.strip_prefix("git:") {
        Some(revision) => Some(revision.to_string()),
        None => super::git::revision(Path::new(&args.base), base),
    };
    meta.customers_file = args
        .customers
        .customers
        .as_ref()
        .map(|p| p.display().to_string())
        .or_else(|| {
            new.catalog()
                .sample
                .as_ref()
                .map(|s| rules.join(s).display().to_string())
        });
    meta
}

/// Reads the package folder as it was at a git revision, through git's object
/// store only (see `git.rs`), so the working tree is untouched.
fn load_from_git(dir: &Path, revision: &str) -> Result<Engine, u8> {
    let mut listed = super::git::package_files(dir, revision).map_err(|e| {
        eprintln!(
            "error: cannot read `{}` at git revision `{revision}`: {e}",
            dir.display()
        );
        super::EXIT_USAGE
    })?;
    let mut catalog = None;
    let mut files = Vec::new();
    for (name, text) in std::mem::take(&mut listed.files) {
        let text = String::from_utf8_lossy(&text).into_owned();
        if name == vasrec::CATALOG_FILE {
            catalog = Some(text);
        } else {
            files.push((name, text));
        }
    }
    let Some(catalog) = catalog else {
        eprintln!(
            "error: `{}` has no {} at git revision `{revision}`",
            dir.display(),
            vasrec::CATALOG_FILE
        );
        return Err(super::EXIT_USAGE);
    };
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let read = |path: &str, max: usize| listed.read_table_file(path, max);
    Engine::from_sources_reading(&catalog, &borrowed, &read).map_err(|error| {
        eprint!(
            "{}",
            vasrec::render::render_all(&error.diagnostics, &error.sources, stderr_color())
        );
        eprintln!(
            "base package (git:{revision}): {} errors",
            error.error_count()
        );
        EXIT_RULES
    })
}
