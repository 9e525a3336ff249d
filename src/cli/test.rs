//! `vasrec test [DIR]`: run the package's YAML test cases.

use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, PackageArg, load, output, stderr_color};
use std::io::IsTerminal;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec test                           run the cases in rules/tests/*.yaml
  vasrec test my-rules --filter vip     only the cases whose name contains `vip`
  vasrec test --coverage                also list what the cases never exercised
  vasrec test --min-coverage 90         fail (exit 1) when any coverage share is below 90%")]
pub(super) struct Args {
    #[command(flatten)]
    package: PackageArg,
    /// Run only the cases whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Also list rules, segments, profiles and conditions the cases never exercised.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when the share of rules fired, segments entered, profiles
    /// matched or condition parts seen both true and false is below PCT percent.
    #[arg(long, value_name = "PCT", value_parser = percent)]
    min_coverage: Option<f64>,
    /// Output: a test runner's text, or JSON (with coverage) for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `--min-coverage PCT`: a percentage from 0 to 100 (a `%` sign is allowed).
fn percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

pub(super) fn run(args: Args) -> u8 {
    let dir = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let engine = match load(&dir) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let report = match vasrec::testing::run(&engine, &dir, args.filter.as_deref()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_RULES;
        }
    };
    let short = args
        .min_coverage
        .map(|min| (min, report.coverage.summary.below(min)))
        .filter(|(_, below)| !below.is_empty());
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Text => {
            let color = std::io::stdout().is_terminal() && stderr_color();
            report.to_text(args.coverage || short.is_some(), color)
        }
    };
    if let Err(message) = output::write(None, &text) {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    if let Some((min, below)) = &short {
        for (name, share) in below {
            eprintln!(
                "error: coverage below {min}%: {name} {} of {} ({:.1}%)",
                share.covered,
                share.total,
                share.percent()
            );
        }
        if report.cases.is_empty() {
            eprintln!("(no case ran, so nothing was covered)");
        }
    }
    if report.success() && short.is_none() {
        EXIT_OK
    } else {
        EXIT_RULES
    }
}
