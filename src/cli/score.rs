//! `vasrec score`: every customer's ranked offers, streamed in input order.

use super::customers::{
    CustomerArgs, ErrorArgs, OnError, PartArgs, Reject, open_batch, write_rejects,
};
use super::{EXIT_OK, EXIT_USAGE, PackageArg, load};
use std::io::Write;
use std::path::{Path, PathBuf};
use vasrec::batch::{self, ChunkSink, RowError, RowOutcome, RunError};
use vasrec::score::{ScoreFormat, ScoreFormatter};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec score --out offers.jsonl                 every sample customer's ranked offers
  vasrec score my-rules --customers q3.csv --format csv --out offers.csv
  cat q3.jsonl | vasrec score --customers - --input-format jsonl | head
  vasrec score --customers q3.csv --on-error report --out offers.jsonl
  vasrec score --customers part-2.csv --allocation allocation.json --line-offset 5000
                                                  one part of a split run (see vasrec merge)")]
pub(super) struct Args {
    #[command(flatten)]
    package: PackageArg,
    #[command(flatten)]
    customers: CustomerArgs,
    #[command(flatten)]
    part: PartArgs,
    /// Where to write the records; `-` or nothing is standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format: one JSON object per customer, one CSV row per offer,
    /// or Parquet (one row per customer, offers as a list; needs the cargo
    /// feature `arrow`). Default: Parquet when --out ends in .parquet, else jsonl.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// CSV cells exactly as they are. By default a text cell that starts with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
    /// spreadsheet does not run it as a formula; use this only when a program
    /// reads the file.
    #[arg(long)]
    raw_csv: bool,
    /// Worker threads (1 to 256; default: all cores); the output order is the input order.
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    #[command(flatten)]
    errors: ErrorArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Jsonl,
    Csv,
    Parquet,
}

/// One chunk's output, formatted on a worker thread.
struct Chunk<'a> {
    engine: &'a vasrec::Engine,
    formatter: &'a ScoreFormatter,
    text: String,
    /// With `--format parquet`, the chunk's records.
    #[cfg(feature = "arrow")]
    records: Option<vasrec::score::ScoreBatchBuilder<'a>>,
    rejects: Vec<Reject>,
    scored: u64,
    first_error: Option<RowError>,
    keep_rejects: bool,
}

impl ChunkSink for Chunk<'_> {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        match &outcome.result {
            Ok(offers) => {
                #[cfg(feature = "arrow")]
                if let Some(records) = &mut self.records {
                    records.push(outcome.customer, outcome.line, offers);
                    self.scored += 1;
                    return;
                }
                self.formatter.write(
                    self.engine,
                    &mut self.text,
                    outcome.customer,
                    outcome.line,
                    offers,
                );
                self.scored += 1;
            }
            Err(error) => {
                if self.keep_rejects {
                    self.rejects.push(Reject {
                        line: outcome.line,
                        reason: error.to_string(),
                        row: outcome.raw_text(),
                    });
                }
                if self.first_error.is_none() {
                    self.first_error = Some(error.clone());
                }
            }
        }
    }
}

enum Stop {
    BadRow(RowError),
    Write(std::io::Error),
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
    let engine = match load(&rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let batch = match open_batch(&engine, &rules, &args.customers, &args.part, args.threads) {
        Ok(batch) => batch,
        Err(code) => return code,
    };
    let (reader, display, threads) = (batch.reader, batch.display, batch.threads);
    let allocation = batch.allocation;
    let to_stdout = args.out.as_ref().is_none_or(|p| p.as_os_str() == "-");
    let input = args.customers.input_path(&engine, &rules);
    if let Err(e) = super::output::check_distinct(
        &[
            ("--out", args.out.as_deref().filter(|_| !to_stdout)),
            ("--rejects", rejects_path.as_deref()),
        ],
        &[("--customers", input.as_deref())],
    ) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let chosen = args.format.unwrap_or_else(|| {
        let parquet = args
            .out
            .as_deref()
            .and_then(Path::extension)
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        if parquet {
            Format::Parquet
        } else {
            Format::Jsonl
        }
    });
    let format = match chosen {
        Format::Jsonl | Format::Parquet => ScoreFormat::Jsonl,
        Format::Csv if args.raw_csv => ScoreFormat::RawCsv,
        Format::Csv => ScoreFormat::Csv,
    };
    #[cfg(not(feature = "arrow"))]
    if matches!(chosen, Format::Parquet) {
        eprintln!(
            "error: this vasrec was built without Parquet support: build it with `--features arrow`, or use --format jsonl or csv"
        );
        return EXIT_USAGE;
    }
    let formatter = ScoreFormatter::new(&engine, format);
    let output = match Output::open(args.out.as_deref().filter(|_| !to_stdout)) {
        Ok(output) => output,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    #[cfg(feature = "arrow")]
    let records =
        matches!(chosen, Format::Parquet).then(|| vasrec::score::ScoreBatchBuilder::new(&engine));
    #[cfg(feature = "arrow")]
    let mut output = match &records {
        None => Writer::Text(output),
        Some(_) => match vasrec::score::ScoreParquetWriter::new(&engine, output) {
            Ok(writer) => Writer::Parquet(Box::new(writer)),
            Err(e) => {
                eprintln!("error: cannot write the output: {e}");
                return EXIT_USAGE;
            }
        },
    };
    #[cfg(not(feature = "arrow"))]
    let mut output = Writer::Text(output);

    let mut rows = 0u64;
    let mut scored = 0u64;
    let mut rejects: Vec<Reject> = Vec::new();
    let mut rejected = 0u64;
    let fail_fast = policy == OnError::Fail;
    let keep_rejects = policy == OnError::Report;
    let mut started = false;
    // Written chunks' text buffers, for the chunks to come: a fresh buffer
    // per chunk cost a page fault per 4 KiB of output, 8% of `score`'s time.
    // A buffer comes back only once its chunk is written, so this holds no
    // more than the chunks in flight did.
    let spare_texts = std::sync::Mutex::new(Vec::<String>::new());
    let result = batch::run_allocated(
        &engine,
        reader,
        threads,
        allocation.as_ref(),
        || Chunk {
            engine: &engine,
            formatter: &formatter,
            text: spare_texts
                .lock()
                .ok()
                .and_then(|mut spare| spare.pop())
                .unwrap_or_else(|| String::with_capacity(batch::CHUNK_ROWS * 256)),
            #[cfg(feature = "arrow")]
            records: records.as_ref().map(|r| r.fresh()),
            rejects: Vec::new(),
            scored: 0,
            first_error: None,
            keep_rejects,
        },
        |chunk: Chunk<'_>, count| {
            if let (true, Some(error)) = (fail_fast, &chunk.first_error) {
                return Err(Stop::BadRow(error.clone()));
            }
            if !started {
                output
                    .write(formatter.header().as_bytes())
                    .map_err(Stop::Write)?;
                started = true;
            }
            output.write(chunk.text.as_bytes()).map_err(Stop::Write)?;
            let mut text = chunk.text;
            text.clear();
            if let Ok(mut spare) = spare_texts.lock()
                && spare.len() < 8 * threads.max(1)
            {
                spare.push(text);
            }
            #[cfg(feature = "arrow")]
            if let Some(mut records) = chunk.records {
                output.records(&mut records).map_err(Stop::Write)?;
            }
            rows += count as u64;
            scored += chunk.scored;
            rejected += count as u64 - chunk.scored;
            rejects.extend(chunk.rejects);
            Ok(())
        },
    );
    if !started && result.is_ok() {
        // An input with a header and no rows still gets its header.
        if let Err(e) = output.write(formatter.header().as_bytes()) {
            eprintln!("error: cannot write the output: {e}");
            return EXIT_USAGE;
        }
    }
    match result {
        Ok(()) => {}
        Err(RunError::Stopped(Stop::Write(e))) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // The reader went away (`| head`): that is how pipes end, not an error.
            return EXIT_OK;
        }
        Err(RunError::Stopped(Stop::Write(e))) => {
            output.abandon();
            eprintln!("error: cannot write the output: {e}");
            return EXIT_USAGE;
        }
        Err(RunError::Stopped(Stop::BadRow(error))) => {
            output.abandon();
            eprintln!("error: {error}");
            eprintln!("(use --on-error skip or --on-error report to set bad rows aside and go on)");
            return EXIT_USAGE;
        }
        Err(RunError::Read(error)) => {
            output.abandon();
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
        Err(error) => {
            // The worker threads could not start (the other ends are above).
            output.abandon();
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    }
    if let Err(e) = output.finish() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let mut summary =
        format!("score: {rows} rows read from {display}: {scored} scored, {rejected} rejected");
    if let Some(out) = args.out.as_deref().filter(|_| !to_stdout) {
        summary.push_str(&format!("; offers written to {}", out.display()));
    }
    if let Some(path) = &rejects_path {
        if let Err(e) = write_rejects(path, &rejects) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
        summary.push_str(&format!("; rejected rows written to {}", path.display()));
    }
    eprintln!("{summary}");
    EXIT_OK
}

/// Where records go: text, or a Parquet file.
enum Writer {
    Text(Output),
    #[cfg(feature = "arrow")]
    Parquet(Box<vasrec::score::ScoreParquetWriter<Output>>),
}

impl Writer {
    /// Writes text (the Parquet writer has its own header: none).
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Writer::Text(output) => output.write_all(bytes),
            #[cfg(feature = "arrow")]
            Writer::Parquet(_) => Ok(()),
        }
    }

    #[cfg(feature = "arrow")]
    fn records(
        &mut self,
        records: &mut vasrec::score::ScoreBatchBuilder<'_>,
    ) -> std::io::Result<()> {
        match self {
            Writer::Parquet(writer) if !records.is_empty() => {
                writer.write(&records.finish().map_err(std::io::Error::other)?)
            }
            _ => Ok(()),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Writer::Text(output) => output.finish(),
            #[cfg(feature = "arrow")]
            Writer::Parquet(writer) => writer
                .finish()
                .map_err(|e| format!("cannot write the output: {e}"))?
                .finish(),
        }
    }

    /// Gives up the output: a pending file is removed, the target untouched.
    fn abandon(self) {
        drop(self);
    }
}

impl std::io::Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(bytes),
            Output::Device(w) => w.write(bytes),
            Output::File(w) => w.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::Device(w) => w.flush(),
            Output::File(w) => w.flush(),
        }
    }
}

/// Standard output, or a temporary file renamed into place at the end, so a
/// failed run never leaves a half-written file where a good one was.
enum Output {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    Device(std::io::BufWriter<std::fs::File>),
    File(std::io::BufWriter<super::output::Pending>),
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Output, String> {
        let Some(target) = path else {
            return Ok(Output::Stdout(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            )));
        };
        if super::output::written_in_place(target) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
            return Ok(Output::Device(std::io::BufWriter::with_capacity(
                1 << 16,
                file,
            )));
        }
        let pending = super::output::Pending::create(target)?;
        Ok(Output::File(std::io::BufWriter::with_capacity(
            1 << 16,
            pending,
        )))
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Output::Stdout(mut w) => match w.flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the output: {e}"))
                }
                _ => Ok(()),
            },
            Output::Device(mut w) => w
                .flush()
                .map_err(|e| format!("cannot write the output: {e}")),
            Output::File(w) => w
                .into_inner()
                .map_err(|e| format!("cannot write the output: {}", e.error()))?
                .persist(),
        }
    }
}
