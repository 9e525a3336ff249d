//! `vasrec dry-run`: evaluate customers and summarise.

use super::customers::{
    CustomerArgs, ErrorArgs, OnError, PartArgs, Reject, collect_demand, open_batch_settling,
    write_rejects,
};
use super::{EXIT_OK, EXIT_USAGE, PackageArg, load, output, page};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use vasrec::batch::{self, ChunkSink, RowError, RowOutcome, RunError};
use vasrec::capacity::PartialDemand;
use vasrec::partial::PartialReport;
use vasrec::report::{DryRunReport, Tally};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec dry-run                                   the bundled package over its sample customers
  vasrec dry-run my-rules --customers q3.csv
  vasrec dry-run --format html --out report.html   a page to share
  vasrec dry-run --customers q3.csv --on-error report --rejects bad-rows.csv
  vasrec dry-run --customers part-2.csv --line-offset 5000 --partial-out part-2.json
                                                   one part of a split run; vasrec merge joins them")]
pub(super) struct Args {
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
    /// Worker threads (1 to 256; default: all cores).
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    #[command(flatten)]
    errors: ErrorArgs,
    #[command(flatten)]
    part: PartArgs,
    /// Write this part's partial report (JSON) to FILE instead of the
    /// report; `vasrec merge` joins the parts' into the report of them all.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["format", "out"])]
    partial_out: Option<PathBuf>,
    /// Only decide demand: run capacity's first pass and write this part's
    /// demand (JSON) to FILE; `vasrec merge` joins the parts' into the
    /// allocation every part then runs with (--allocation).
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["format", "out", "partial_out", "allocation", "ignore_capacity"])]
    demand_out: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum Format {
    Table,
    Json,
    Csv,
    /// One self-contained web page (styles inlined, charts drawn as SVG).
    Html,
}

/// A chunk's counts (in a tally of the pool), its first bad row, and with
/// `--on-error report` all of them.
struct Chunk {
    tally: Tally,
    first_error: Option<RowError>,
    rejects: Option<Vec<Reject>>,
}

impl ChunkSink for Chunk {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        if let Err(error) = &outcome.result {
            if self.first_error.is_none() {
                self.first_error = Some(error.clone());
            }
            if let Some(rejects) = &mut self.rejects {
                rejects.push(Reject {
                    line: outcome.line,
                    reason: error.to_string(),
                    row: outcome.raw_text(),
                });
            }
        }
        self.tally.row(outcome);
    }
}

/// Tallies reused from chunk to chunk: a chunk takes one and gives it back
/// when consumed, so a run makes and merges one tally per chunk in flight,
/// not one per chunk (tallies merge in any order: the report is the same).
struct TallyPool<'e> {
    engine: &'e vasrec::Engine,
    line_offset: u64,
    free: Mutex<Vec<Tally>>,
}

impl TallyPool<'_> {
    fn take(&self) -> Tally {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        reused.unwrap_or_else(|| Tally::for_part(self.engine, self.line_offset, None))
    }

    fn give(&self, tally: Tally) {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(tally);
    }

    /// Everything counted.
    fn total(self) -> Tally {
        let mut total = Tally::for_part(self.engine, self.line_offset, None);
        for tally in self
            .free
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            total.merge(tally);
        }
        total
    }
}

pub(super) fn run(args: Args) -> u8 {
    let rules = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let out = args.out.as_deref().or(args.partial_out.as_deref());
    let (policy, rejects_path) = match args.errors.resolve(out) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    let engine = match load(&rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let warnings = engine.warnings().len();
    if warnings > 0 {
        eprintln!(
            "note: the package has {warnings} warning{}; `vasrec check {}` shows them",
            if warnings == 1 { "" } else { "s" },
            rules.display()
        );
    }
    let input = args.customers.input_path(&engine, &rules);
    if let Err(e) = super::output::check_distinct(
        &[
            ("--out", args.out.as_deref()),
            ("--partial-out", args.partial_out.as_deref()),
            ("--demand-out", args.demand_out.as_deref()),
            ("--rejects", rejects_path.as_deref()),
        ],
        &[
            ("--customers", input.as_deref()),
            ("--allocation", args.part.allocation.as_deref()),
        ],
    ) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    if let Some(path) = &args.demand_out {
        return write_demand(&engine, &rules, &args, path);
    }
    let tallies = TallyPool {
        engine: &engine,
        line_offset: args.part.line_offset,
        free: Mutex::new(Vec::new()),
    };
    // Capacity's first pass counts the customers no allocation can change;
    // the main pass evaluates only the others.
    let batch = match open_batch_settling(
        &engine,
        &rules,
        &args.customers,
        &args.part,
        args.threads,
        || tallies.take(),
        |settled| tallies.give(settled),
    ) {
        Ok(batch) => batch,
        Err(code) => return code,
    };
    let (reader, display, threads) = (batch.reader, batch.display, batch.threads);
    let (allocation, selection) = (batch.allocation, batch.selection);

    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {human_pos} customers evaluated ({rate})",
            )
            .map(|style| {
                // indicatif's own {per_sec} prints four decimals of a rate.
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{}", rate(state.per_sec()));
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut rejects = Vec::new();
    let fail_fast = policy == OnError::Fail;
    let keep_rejects = policy == OnError::Report;
    let new_chunk = || Chunk {
        tally: tallies.take(),
        first_error: None,
        rejects: keep_rejects.then(Vec::new),
    };
    let consume = |chunk: Chunk, rows: usize| {
        tallies.give(chunk.tally);
        rejects.extend(chunk.rejects.into_iter().flatten());
        if let Some(bar) = &progress {
            bar.inc(rows as u64);
        }
        match chunk.first_error {
            Some(error) if fail_fast => Err(error),
            _ => Ok(()),
        }
    };
    let result = match (&allocation, &selection) {
        (Some(allocation), Some(selection)) => batch::run_selected(
            &engine, reader, threads, allocation, selection, new_chunk, consume,
        ),
        _ => batch::run_allocated(
            &engine,
            reader,
            threads,
            allocation.as_ref(),
            new_chunk,
            consume,
        ),
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    match result {
        Ok(()) => {}
        Err(RunError::Stopped(error)) => {
            eprintln!("error: {error}");
            eprintln!("(use --on-error skip or --on-error report to set bad rows aside and go on)");
            return EXIT_USAGE;
        }
        Err(RunError::Read(error)) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
        Err(error) => {
            // The worker threads could not start (the other ends are above).
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    }

    let total = tallies.total();
    let (customers, errors) = (total.customers(), total.errors());
    let (text, what) = if let Some(path) = &args.partial_out {
        let partial = PartialReport::new(&engine, total, &display, allocation.as_ref());
        (
            partial.to_json(),
            (Some(path.as_path()), "the partial report"),
        )
    } else {
        let report = DryRunReport::new(&engine, &total, &display).with_capacity(
            &engine,
            &total,
            allocation.as_ref(),
        );
        let text = render(&report, args.format, &engine, &rules);
        (text, (args.out.as_deref(), "the dry-run report"))
    };
    if let Err(e) = output::write(what.0, &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    super::wrote(what.0, &format!("{} of {customers} customers", what.1));
    if errors > 0 {
        eprintln!("note: {errors} rows could not be evaluated; see the report");
    }
    if let Some(path) = &rejects_path {
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
    EXIT_OK
}

/// The report in `format`.
pub(super) fn render(
    report: &DryRunReport,
    format: Format,
    engine: &vasrec::Engine,
    rules: &std::path::Path,
) -> String {
    match format {
        Format::Table => report.to_table(),
        Format::Csv => report.to_csv(),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Html => vasrec::html::dry_run_page(report, &page::meta(engine, rules)),
    }
}

/// `--demand-out`: capacity's first pass alone, its demand written for `vasrec merge`.
fn write_demand(
    engine: &vasrec::Engine,
    rules: &std::path::Path,
    args: &Args,
    path: &std::path::Path,
) -> u8 {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let demand = match collect_demand(
        engine,
        rules,
        &args.customers,
        threads,
        args.part.line_offset,
    ) {
        Ok((demand, _spool)) => demand,
        Err(code) => return code,
    };
    let text = PartialDemand::new(engine, demand).to_json();
    if let Err(e) = output::write(Some(path), &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    super::wrote(Some(path), "the capacity demand");
    EXIT_OK
}

/// Customers per second for the spinner: whole numbers with thousands separators.
fn rate(per_second: f64) -> String {
    if per_second.is_finite() && per_second >= 0.0 {
        format!("{}/s", indicatif::HumanCount(per_second.round() as u64))
    } else {
        "starting".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn the_spinner_rate_is_a_whole_number_with_separators() {
        assert_eq!(rate(117_387.636_4), "117,388/s");
        assert_eq!(rate(0.0), "0/s");
        assert_eq!(rate(f64::NAN), "starting");
        assert_eq!(rate(f64::INFINITY), "starting");
    }
}
