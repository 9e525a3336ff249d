//! `vasrec test [DIR]`: run the package's YAML test cases.

use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, default_rules_dir, load, output, stderr_color};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Rule package folder (default: ./rules); the cases are in its tests/ folder.
    dir: Option<PathBuf>,
    /// Run only the cases whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Also list rules, segments, profiles and conditions the cases never exercised.
    #[arg(long)]
    coverage: bool,
    /// Output: a test runner's text, or JSON (with coverage) for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub(super) fn run(args: Args) -> u8 {
    let dir = args.dir.unwrap_or_else(default_rules_dir);
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
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Text => {
            let color = std::io::stdout().is_terminal() && stderr_color();
            report.to_text(args.coverage, color)
        }
    };
    if let Err(message) = output::write(None, &text) {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    if report.success() {
        EXIT_OK
    } else {
        EXIT_RULES
    }
}
