//! The `vasrec` command; everything happens in the library's `cli` module.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
