//! The customer-file options shared by the commands that evaluate customers.

use super::EXIT_USAGE;
use std::path::{Path, PathBuf};
use vasrec::batch::{self, RunError};
use vasrec::capacity::{Allocation, Demand};
use vasrec::{CustomerReader, Engine, InputFormat};

#[derive(clap::Args)]
pub(super) struct CustomerArgs {
    /// Customers file, CSV or JSON Lines; `-` reads standard input.
    /// Default: the package's sample (`sample:` in catalog.yaml).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Input format; by default taken from the file extension (.jsonl, .ndjson: JSON Lines).
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

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum InputArg {
    Csv,
    Jsonl,
}

/// Opens the customers file (or standard input, or its spooled copy) and
/// maps its columns; prints the problem and returns the exit code when it
/// cannot.
pub(super) fn open_customers(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
    spool: Option<&Spool>,
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
        None => InputFormat::from_path(&path),
    };
    let display = path.display().to_string();
    let input: Box<dyn std::io::Read + Send> = if let Some(spool) = spool {
        match std::fs::File::open(spool.path()) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!(
                    "error: cannot read back standard input from `{}`: {e}",
                    spool.path().display()
                );
                return Err(EXIT_USAGE);
            }
        }
    } else if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("error: cannot open customers file `{display}`: {e}");
                return Err(EXIT_USAGE);
            }
        }
    };
    let reader = vasrec::batch::open(engine, &display, input, format).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    if !reader.absent.is_empty() {
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
    let (reader, _) = open_customers(engine, rules, args, spool.as_ref())?;
    let mut demand = Demand::new(engine);
    let result = batch::run(
        engine,
        reader,
        threads,
        || Demand::new(engine),
        |chunk: Demand, _| {
            demand.merge(chunk);
            Ok::<(), ()>(())
        },
    );
    match result {
        Ok(()) | Err(RunError::Stopped(())) => Ok((Some(demand.allocate()), spool)),
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

/// The customers of a batch run, ready for the main pass.
pub(super) struct Batch {
    pub reader: CustomerReader,
    pub display: String,
    pub allocation: Option<Allocation>,
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
    threads: Option<usize>,
) -> Result<Batch, u8> {
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (allocation, spool) = allocate(engine, rules, args, threads)?;
    let (reader, display) = open_customers(engine, rules, args, spool.as_ref())?;
    Ok(Batch {
        reader,
        display,
        allocation,
        threads,
        _spool: spool,
    })
}
