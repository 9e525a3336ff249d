//! `vasrec dry-run`: evaluate customers and summarise.

use super::customers::{CustomerArgs, open_batch};
use super::{EXIT_OK, EXIT_USAGE, default_rules_dir, load, output, page};
use std::io::IsTerminal;
use std::path::PathBuf;
use vasrec::batch::{self, RunError};
use vasrec::report::{DryRunReport, Tally};

#[derive(clap::Args)]
pub(super) struct Args {
    /// Rule package folder.
    #[arg(long, default_value_os_t = default_rules_dir())]
    rules: PathBuf,
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
    /// What to do with a row that cannot be read or evaluated.
    #[arg(long, value_enum, default_value = "fail")]
    on_error: OnError,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    /// One self-contained web page (styles inlined, charts drawn as SVG).
    Html,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum OnError {
    /// Stop at the first bad row (exit 2).
    Fail,
    /// Count bad rows, report the first ones, and go on.
    Skip,
}

pub(super) fn run(args: Args) -> u8 {
    let engine = match load(&args.rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let warnings = engine.warnings().len();
    if warnings > 0 {
        eprintln!(
            "note: the package has {warnings} warning{}; `vasrec check {}` shows them",
            if warnings == 1 { "" } else { "s" },
            args.rules.display()
        );
    }
    let input = args.customers.input_path(&engine, &args.rules);
    if let Err(e) = super::output::check_distinct(
        &[("--out", args.out.as_deref())],
        &[("--customers", input.as_deref())],
    ) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let batch = match open_batch(&engine, &args.rules, &args.customers, args.threads) {
        Ok(batch) => batch,
        Err(code) => return code,
    };
    let (reader, display, threads) = (batch.reader, batch.display, batch.threads);
    let allocation = batch.allocation;

    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {human_pos} customers evaluated ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut total = Tally::new(&engine);
    let fail_fast = args.on_error == OnError::Fail;
    let result = batch::run_allocated(
        &engine,
        reader,
        threads,
        allocation.as_ref(),
        || Tally::new(&engine),
        |chunk: Tally, rows| {
            let failed = chunk.first_error().cloned();
            total.merge(chunk);
            if let Some(bar) = &progress {
                bar.inc(rows as u64);
            }
            match failed {
                Some(error) if fail_fast => Err(error),
                _ => Ok(()),
            }
        },
    );
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    match result {
        Ok(()) => {}
        Err(RunError::Stopped(error)) => {
            eprintln!("error: {error}");
            eprintln!("(use --on-error skip to count bad rows and go on)");
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

    let report = DryRunReport::new(&engine, &total, &display).with_capacity(
        &engine,
        &total,
        allocation.as_ref(),
    );
    let text = match args.format {
        Format::Table => report.to_table(),
        Format::Csv => report.to_csv(),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Html => vasrec::html::dry_run_page(&report, &page::meta(&engine, &args.rules)),
    };
    if let Err(e) = output::write(args.out.as_deref(), &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    if total.errors() > 0 {
        eprintln!(
            "note: {} rows could not be evaluated; see the report",
            total.errors()
        );
    }
    EXIT_OK
}
