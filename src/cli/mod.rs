//! The command line: a thin layer over the library's public API. Only this
//! module knows about argv, terminals' colour choice and exit codes.

mod calibrate;
mod check;
mod customers;
mod diff;
mod dry_run;
mod explain;
mod fmt;
mod git;
mod init;
#[cfg(feature = "lsp")]
mod lsp;
mod merge;
mod output;
mod page;
mod score;
#[cfg(feature = "serve")]
mod serve;
mod test;

use clap::{CommandFactory, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
/// Exit code: the rule package has errors (or its test cases fail).
pub const EXIT_RULES: u8 = 1;
/// Exit code: wrong usage, or customer data that cannot be read.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "vasrec",
    version,
    about = "Recommend value-added services from declarative rules, and report the expected satisfaction gain",
    after_help = "Every command that reads a rule package takes its folder as DIR or --rules DIR (default: rules).\n\
                  Exit codes: 0 fine, 1 rule errors or failed test cases, 2 usage or data errors.\n\
                  \n\
                  Start here:\n  \
                  vasrec init my-rules      create a small working package\n  \
                  vasrec check my-rules     check it\n  \
                  vasrec test my-rules      run its test cases\n  \
                  vasrec dry-run my-rules   evaluate its sample customers"
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
    /// Merge the partial reports (or capacity demands) of a run made in parts.
    Merge(merge::Args),
    /// Compare two versions of a package over the same customers.
    Diff(diff::Args),
    /// Explain one customer: segments in and out, every rule, conflicts, offers.
    Explain(explain::Args),
    /// Write every customer's ranked offers (JSON Lines or CSV), in input order.
    Score(score::Args),
    /// Run the package's YAML test cases; report failures and coverage.
    Test(test::Args),
    /// Serve the package over HTTP/JSON: evaluate, explain, reload, metrics.
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Lay out the package's rule files one canonical way (--check for CI).
    Fmt(fmt::Args),
    /// Fit dimension weights from a survey and compare them with the catalog's.
    Calibrate(calibrate::Args),
    /// Create a small, working, commented rule package to start from.
    Init(init::Args),
    /// Serve editors over stdio (Language Server Protocol): diagnostics, hover, completion, rename.
    #[cfg(feature = "lsp")]
    #[command(after_help = "Examples:\n  \
        vasrec lsp        the editor starts it and speaks JSON-RPC on stdin and stdout\n  \
        Neovim:  vim.lsp.start({ name = 'vasrec', cmd = { 'vasrec', 'lsp' } })\n  \
        Helix:   [language-server.vasrec] command = \"vasrec\", args = [\"lsp\"]")]
    Lsp(lsp::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Examples:\n  \
        vasrec completions bash > ~/.local/share/bash-completion/completions/vasrec\n  \
        vasrec completions zsh > ~/.zfunc/_vasrec\n  \
        vasrec completions fish > ~/.config/fish/completions/vasrec.fish")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Examples:\n  \
        vasrec man > vasrec.1 && man ./vasrec.1               read it now\n  \
        vasrec man > ~/.local/share/man/man1/vasrec.1         for `man vasrec`")]
    Man,
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
    // `serve` handles SIGINT and SIGTERM itself (finishing the requests in flight).
    #[cfg(feature = "serve")]
    let serving = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let serving = false;
    if !serving {
        output::remove_pending_on_signals();
    }
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::DryRun(args) => dry_run::run(args),
        Command::Score(args) => score::run(args),
        Command::Test(args) => test::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Init(args) => init::run(args),
        Command::Fmt(args) => fmt::run(args),
        #[cfg(feature = "lsp")]
        Command::Lsp(args) => lsp::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vasrec", &mut text);
            write_or_usage(&String::from_utf8_lossy(&text))
        }
        Command::Man => {
            let mut text = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut text) {
                Ok(()) => write_or_usage(&String::from_utf8_lossy(&text)),
                Err(e) => {
                    eprintln!("error: cannot write the manual page: {e}");
                    EXIT_USAGE
                }
            }
        }
    };
    ExitCode::from(code)
}

fn write_or_usage(text: &str) -> u8 {
    match output::write(None, text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

/// The rule package a command reads: a folder given as the first argument or
/// with `--rules`, the same thing two ways (`vasrec check rules` reads
/// naturally; `--rules` reads well in scripts with many options).
#[derive(clap::Args)]
pub(super) struct PackageArg {
    /// Rule package folder (default: rules).
    #[arg(value_name = "DIR", conflicts_with = "rules")]
    dir: Option<PathBuf>,
    /// Rule package folder, the same as giving DIR (default: rules).
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
}

impl PackageArg {
    /// The folder, checked to be there: a folder that does not exist, or
    /// holds no catalog, is a usage error (exit 2), not a rule error.
    fn folder(&self) -> Result<PathBuf, u8> {
        let dir = self
            .dir
            .clone()
            .or_else(|| self.rules.clone())
            .unwrap_or_else(|| PathBuf::from("rules"));
        package_folder(&dir)?;
        Ok(dir)
    }
}

/// Checks that `dir` is a package folder, and says what to do when not.
fn package_folder(dir: &Path) -> Result<(), u8> {
    let shown = vasrec::render::printable(&dir.display().to_string()).into_owned();
    let problem = if !dir.exists() {
        format!("there is no folder `{shown}`")
    } else if !dir.is_dir() {
        format!("`{shown}` is a file, not a rule package folder")
    } else if !dir.join(vasrec::CATALOG_FILE).exists() {
        format!(
            "`{shown}` is not a rule package: it has no {}",
            vasrec::CATALOG_FILE
        )
    } else {
        return Ok(());
    };
    eprintln!("error: {problem}");
    eprintln!(
        "help: give the package folder as the first argument or with --rules DIR \
         (default: rules); `vasrec init DIR` creates a new one"
    );
    Err(EXIT_USAGE)
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

/// Tells where a report went when it went to a file: a command that prints
/// nothing on success leaves the user wondering whether it ran.
fn wrote(path: Option<&Path>, what: &str) {
    if let Some(path) = path.filter(|p| p.as_os_str() != "-") {
        eprintln!("wrote {what} to {}", path.display());
    }
}
