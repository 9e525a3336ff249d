//! The customer-file options shared by the commands that evaluate customers.

use super::EXIT_USAGE;
use std::path::{Path, PathBuf};
use vasrec::batch::{ChunkSink, RowSelection, RunError};
use vasrec::capacity::{Allocation, Demand, SharedAllocation, demand_pass, first_pass};
use vasrec::{CustomerReader, Engine, InputFormat};

#[derive(clap::Args)]
pub(super) struct CustomerArgs {
    /// Customers file: CSV, JSON Lines, Parquet or Arrow IPC (the last two
    /// with the cargo feature `arrow`); `-` reads standard input.
    /// Default: the package's sample (`sample:` in catalog.yaml).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Input format; by default taken from the file extension (.jsonl,
    /// .ndjson: JSON Lines; .parquet: Parquet; .arrow, .arrows, .ipc: Arrow IPC).
    #[arg(long, value_enum)]
    pub input_format: Option<InputArg>,
    /// Offer capacity-limited services to everyone who qualifies, as if they
    /// had no `capacity` (skips the first pass that allocates them).
    #[arg(long)]
    pub ignore_capacity: bool,
}

impl CustomerArgs {
    /// The customers file a run reads: `--customers`, or the package's
    /// sample. Only for comparing paths (outputs must not overwrite it);
    /// reading goes through `open_customers`, which checks the sample.
    pub(super) fn input_path(&self, engine: &Engine, rules: &Path) -> Option<PathBuf> {
        self.customers
            .clone()
            .or_else(|| engine.catalog().sample.as_ref().map(|s| rules.join(s)))
    }
}

/// A run over one part of a larger input, in a run split over machines.
#[derive(clap::Args)]
pub(super) struct PartArgs {
    /// Give out the capacity-limited services as this allocation says (made
    /// by `vasrec merge` from every part's `dry-run --demand-out`), instead
    /// of deciding over this file alone in a first pass.
    #[arg(long, value_name = "FILE", conflicts_with = "ignore_capacity")]
    pub allocation: Option<PathBuf>,
    /// This file is a part of a larger input: its line n is line n+N of the
    /// whole (for parts cut at row boundaries, each with its own header: the
    /// rows in the parts before it). Capacity ties and the failed rows a
    /// report lists go by the line in the whole input.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub line_offset: u64,
}

/// What a batch command does with a row that cannot be read or evaluated:
/// the same flag, values and default for every command that reads customers.
#[derive(clap::Args)]
pub(super) struct ErrorArgs {
    /// A row that cannot be read or evaluated: stop at it (fail, the default),
    /// count it and go on (skip), or count it and write it with the reason to
    /// the rejects file (report).
    #[arg(long, value_enum, value_name = "WHAT")]
    on_error: Option<OnError>,
    /// The rejects file of `--on-error report` (implies it). Default: next to
    /// --out as OUT.rejects.csv, or rejects.csv when there is no --out.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum OnError {
    /// Stop at the first bad row (exit 2).
    Fail,
    /// Count bad rows, show the first ones, and go on.
    Skip,
    /// Like skip, and write every bad row with its reason to the rejects file.
    Report,
}

impl ErrorArgs {
    /// The policy, checked against `--rejects`.
    pub(super) fn policy(&self) -> Result<OnError, u8> {
        match (self.on_error, &self.rejects) {
            (None, Some(_)) | (Some(OnError::Report), _) => Ok(OnError::Report),
            (Some(other), Some(_)) => {
                eprintln!(
                    "error: --rejects goes with --on-error report, not --on-error {}",
                    if other == OnError::Fail {
                        "fail"
                    } else {
                        "skip"
                    }
                );
                Err(EXIT_USAGE)
            }
            (policy, None) => Ok(policy.unwrap_or(OnError::Fail)),
        }
    }

    /// The policy, and where `--on-error report` writes the bad rows (`None`
    /// for the other policies); a contradiction is said once, as a usage error.
    pub(super) fn resolve(&self, out: Option<&Path>) -> Result<(OnError, Option<PathBuf>), u8> {
        let policy = self.policy()?;
        if policy != OnError::Report {
            return Ok((policy, None));
        }
        let path =
            self.rejects
                .clone()
                .unwrap_or_else(|| match out.filter(|p| p.as_os_str() != "-") {
                    Some(out) => PathBuf::from(format!("{}.rejects.csv", out.display())),
                    None => PathBuf::from("rejects.csv"),
                });
        Ok((policy, Some(path)))
    }
}

/// A row set aside by `--on-error report`.
pub(super) struct Reject {
    /// Its line in the customers file.
    pub line: u64,
    /// Why it was set aside.
    pub reason: String,
    /// The row as it was read.
    pub row: String,
}

/// Writes the rejects file: line, reason, row, one bad row per record, in input order.
pub(super) fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut record = |fields: [&str; 3]| writer.write_record(fields).map_err(|e| e.to_string());
    record(["line", "reason", "row"])?;
    for reject in rejects {
        record([&reject.line.to_string(), &reject.reason, &reject.row])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    super::output::write(Some(path), &String::from_utf8_lossy(&bytes))
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum InputArg {
    Csv,
    Jsonl,
    Parquet,
    /// Arrow IPC, file or stream.
    Arrow,
}

/// Opens the customers file (or standard input, or its spooled copy) and
/// maps its columns; prints the problem and returns the exit code when it
/// cannot.
pub(super) fn open_customers(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    spool: Option<&Spool>,
    announce: bool,
) -> Result<(CustomerReader, String), u8> {
    let sample = match (&args.customers, engine.sample_path(rules)) {
        (None, Some(Err(problem))) => {
            eprintln!("error: {problem}");
            return Err(EXIT_USAGE);
        }
        (_, sample) => sample.and_then(Result::ok),
    };
    let Some(path) = args.customers.clone().or(sample) else {
        eprintln!(
            "error: no customers to evaluate: give --customers FILE (the package names no `sample:`)"
        );
        return Err(EXIT_USAGE);
    };
    let format = match args.input_format {
        Some(InputArg::Csv) => InputFormat::Csv,
        Some(InputArg::Jsonl) => InputFormat::Jsonl,
        Some(InputArg::Parquet) => InputFormat::Parquet,
        Some(InputArg::Arrow) => InputFormat::Arrow,
        None => InputFormat::from_path(&path),
    };
    let display = path.display().to_string();
    let opened = if let Some(spool) = spool {
        match std::fs::File::open(spool.path()) {
            Ok(file) => vasrec::batch::open_file(engine, &display, file, format),
            Err(e) => {
                eprintln!(
                    "error: cannot read back standard input from `{}`: {e}",
                    spool.path().display()
                );
                return Err(EXIT_USAGE);
            }
        }
    } else if path.as_os_str() == "-" {
        vasrec::batch::open(engine, &display, Box::new(std::io::stdin()), format)
    } else {
        match std::fs::File::open(&path) {
            Ok(file) => vasrec::batch::open_file(engine, &display, file, format),
            Err(e) => {
                eprintln!("error: cannot open customers file `{display}`: {e}");
                return Err(EXIT_USAGE);
            }
        }
    };
    let reader = opened.map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    // Only the pass whose results are shown says it: a note per pass
    // (capacity's first pass, diff's two packages) reads like several problems.
    if announce && !reader.absent.is_empty() {
        eprintln!(
            "note: {display} has no column for {}; those values are treated as missing",
            reader.absent.join(", ")
        );
    }
    Ok((reader, display))
}

/// Standard input copied to a temporary file so that it can be read twice.
/// The file is private to the user (0600, a random name created exclusively
/// by `tempfile`) and removed when this is dropped.
pub(super) struct Spool(tempfile::NamedTempFile);

impl Spool {
    fn from_stdin() -> std::io::Result<Spool> {
        let mut file = tempfile::Builder::new()
            .prefix("vasrec-stdin-")
            .suffix(".tmp")
            .tempfile()?;
        std::io::copy(&mut std::io::stdin().lock(), file.as_file_mut())?;
        Ok(Spool(file))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Decides who gets the capacity-limited services, by a first pass over the
/// customers (see `vasrec::capacity`). Standard input is spooled to a
/// temporary file for the two passes; the spool comes back for the second.
/// No allocation when no service is limited or capacity is ignored.
pub(super) fn allocate(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    threads: usize,
) -> Result<(Option<Allocation>, Option<Spool>), u8> {
    if args.ignore_capacity || !Demand::needed(engine) {
        return Ok((None, None));
    }
    let (demand, spool) = collect_demand(engine, rules, args, threads, 0)?;
    Ok((Some(demand.allocate()), spool))
}

/// Capacity decided by a first pass: the allocation, and the rows the
/// second pass must evaluate when the first settled the others.
type Decided = (Allocation, Option<RowSelection>);

/// As [`allocate`], the first pass also handing the customers no allocation
/// can change to `settled`; with the allocation come the rows the second
/// pass must evaluate (`vasrec::capacity::first_pass`).
pub(super) fn allocate_settling<S: ChunkSink>(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    threads: usize,
    new_settled: impl Fn() -> S + Sync,
    settled: impl FnMut(S),
) -> Result<(Option<Decided>, Option<Spool>), u8> {
    if args.ignore_capacity || !Demand::needed(engine) {
        return Ok((None, None));
    }
    let ((demand, selection), spool) = first_pass_over(engine, rules, args, |reader| {
        first_pass(engine, reader, threads, 0, new_settled, settled)
    })?;
    Ok((Some((demand.allocate(), Some(selection))), spool))
}

/// Capacity's first pass: the demand of the customers, their lines shifted
/// by `line_offset`. Standard input is spooled for a second pass.
pub(super) fn collect_demand(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    threads: usize,
    line_offset: u64,
) -> Result<(Demand, Option<Spool>), u8> {
    first_pass_over(engine, rules, args, |reader| {
        demand_pass(engine, reader, threads, line_offset)
    })
}

/// Runs `pass` over the customers, standard input spooled for a second pass.
fn first_pass_over<T>(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    pass: impl FnOnce(CustomerReader) -> Result<T, RunError<()>>,
) -> Result<(T, Option<Spool>), u8> {
    let spool = if args.customers.as_deref() == Some(Path::new("-")) {
        match Spool::from_stdin() {
            Ok(spool) => Some(spool),
            Err(e) => {
                eprintln!(
                    "error: the package limits the capacity of some services, which is decided \
                     over all customers in two passes; standard input could not be copied to a \
                     temporary file for that: {e}\n\
                     help: give --customers FILE, or --ignore-capacity to offer them without the limit"
                );
                return Err(EXIT_USAGE);
            }
        }
    } else {
        None
    };
    let (reader, _) = open_customers(engine, rules, args, spool.as_ref(), false)?;
    match pass(reader) {
        Ok(found) => Ok((found, spool)),
        Err(RunError::Read(error)) => {
            eprintln!("error: {error}");
            Err(EXIT_USAGE)
        }
        Err(error) => {
            // The worker threads could not start (the other ends are above).
            eprintln!("error: {error}");
            Err(EXIT_USAGE)
        }
    }
}

/// The allocation of `--allocation FILE`, checked against the package.
fn read_allocation(engine: &Engine, path: &Path, line_offset: u64) -> Result<Allocation, u8> {
    let text = super::merge::read_part(path).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    SharedAllocation::from_json(&text)
        .and_then(|shared| shared.for_part(engine, line_offset))
        .map_err(|e| {
            eprintln!("error: {}: {e}", path.display());
            EXIT_USAGE
        })
}

/// The customers of a batch run, ready for the main pass.
pub(super) struct Batch {
    pub reader: CustomerReader,
    pub display: String,
    pub allocation: Option<Allocation>,
    /// With an allocation decided here by a first pass that settled some
    /// customers: the rows left for the main pass.
    pub selection: Option<RowSelection>,
    pub threads: usize,
    /// Standard input's copy, removed when the run is over.
    _spool: Option<Spool>,
}

/// Opens the customers for a batch run on `threads` workers (default: all
/// cores), after the first pass that allocates capacity-limited services
/// when the package has any.
pub(super) fn open_batch(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    part: &PartArgs,
    threads: Option<usize>,
) -> Result<Batch, u8> {
    open_batch_with(engine, rules, args, part, threads, |threads| {
        let (allocation, spool) = allocate(engine, rules, args, threads)?;
        Ok((allocation.map(|a| (a, None)), spool))
    })
}

/// As [`open_batch`], a first pass handing the customers no allocation can
/// change to `settled` (see [`allocate_settling`]); the main pass then
/// evaluates only `Batch::selection`'s rows when there is one.
pub(super) fn open_batch_settling<S: ChunkSink>(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    part: &PartArgs,
    threads: Option<usize>,
    new_settled: impl Fn() -> S + Sync,
    settled: impl FnMut(S),
) -> Result<Batch, u8> {
    open_batch_with(engine, rules, args, part, threads, |threads| {
        allocate_settling(engine, rules, args, threads, new_settled, settled)
    })
}

/// Opens a batch run, capacity decided by `decide` (given the threads)
/// unless `--allocation` gives it.
fn open_batch_with(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    part: &PartArgs,
    threads: Option<usize>,
    decide: impl FnOnce(usize) -> Result<(Option<Decided>, Option<Spool>), u8>,
) -> Result<Batch, u8> {
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (decided, spool) = match &part.allocation {
        Some(path) => (
            Some((read_allocation(engine, path, part.line_offset)?, None)),
            None,
        ),
        None => {
            let (decided, spool) = decide(threads)?;
            let decided = decided.map(|(a, selection)| (a.for_part(part.line_offset), selection));
            (decided, spool)
        }
    };
    let (allocation, selection) = decided.unzip();
    let (reader, display) = open_customers(engine, rules, args, spool.as_ref(), true)?;
    Ok(Batch {
        reader,
        display,
        allocation,
        selection: selection.flatten(),
        threads,
        _spool: spool,
    })
}
