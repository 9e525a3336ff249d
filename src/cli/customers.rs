//! The customer-file options shared by the commands that evaluate customers.

use super::EXIT_USAGE;
use std::path::{Path, PathBuf};
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
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum InputArg {
    Csv,
    Jsonl,
}

/// Opens the customers file (or standard input) and maps its columns;
/// prints the problem and returns the exit code when it cannot.
pub(super) fn open_customers(
    engine: &Engine,
    rules: &Path,
    args: &CustomerArgs,
) -> Result<(CustomerReader, String), u8> {
    let sample = engine.catalog().sample.as_ref().map(|s| rules.join(s));
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
    let input: Box<dyn std::io::Read + Send> = if path.as_os_str() == "-" {
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
