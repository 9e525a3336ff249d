//! The command line: a thin layer over the library's public API. Only this
//! module knows about argv, terminals' colour choice and exit codes.

mod calibrate;
mod check;
mod customers;
mod diff;
mod dry_run;
mod explain;
mod git;
mod output;
mod page;
mod score;
mod test;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Most worker threads a command starts: past the cores, threads only add
/// contention, and a typo such as `--threads 100000` must not spawn threads
/// until the system refuses.
pub const MAX_THREADS: usize = 256;

/// `--threads N`: a whole number from 1 to [`MAX_THREADS`] (0 is refused,
/// not read as one).
fn thread_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        Ok(_) => Err(format!("give between 1 and {MAX_THREADS} worker threads")),
        Err(_) => Err(format!(
            "`{text}` is not a number of threads (1 to {MAX_THREADS})"
        )),
    }
}

/// Exit code: everything fine.
pub const EXIT_OK: u8 = 0;
/// Exit code: the rule package has errors.
pub const EXIT_RULES: u8 = 1;
/// Exit code: wrong usage, or customer data that cannot be read.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "vasrec",
    version,
    about = "Recommend value-added services from declarative rules, and report the expected satisfaction gain",
    after_help = "Exit codes: 0 fine, 1 rule errors, 2 usage or data errors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check a rule package; print its errors and warnings.
    Check(check::Args),
    /// Evaluate customers and summarise by segment, service and rule.
    DryRun(dry_run::Args),
    /// Compare two versions of a package over the same customers.
    Diff(diff::Args),
    /// Explain one customer: segments in and out, every rule, conflicts, offers.
    Explain(explain::Args),
    /// Write every customer's ranked offers (JSON Lines or CSV), in input order.
    Score(score::Args),
    /// Run the package's YAML test cases; report failures and rule coverage.
    Test(test::Args),
    /// Fit dimension weights from a survey and compare them with the catalog's.
    Calibrate(calibrate::Args),
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            });
        }
    };
    output::remove_pending_on_signals();
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::DryRun(args) => dry_run::run(args),
        Command::Score(args) => score::run(args),
        Command::Test(args) => test::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Calibrate(args) => calibrate::run(args),
    };
    ExitCode::from(code)
}

/// The bundled example package, used when no folder is given.
fn default_rules_dir() -> PathBuf {
    PathBuf::from("rules")
}

/// Colour on stderr only for a terminal, and never when NO_COLOR is set.
fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads a package, printing its diagnostics on failure.
fn load(dir: &std::path::Path) -> Result<vasrec::Engine, u8> {
    vasrec::Engine::load(dir).map_err(|error| {
        eprint!(
            "{}",
            vasrec::render::render_all(&error.diagnostics, &error.sources, stderr_color())
        );
        let errors = error.error_count();
        eprintln!(
            "{}: {errors} error{} found; nothing was evaluated",
            dir.display(),
            if errors == 1 { "" } else { "s" }
        );
        EXIT_RULES
    })
}
