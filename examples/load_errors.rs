//! Loading a rule package and showing what is wrong with it.
//!
//! ```sh
//! cargo run --example load_errors -- rules           # loads, lists warnings
//! cargo run --example load_errors -- path/to/broken  # the errors, in colour on a terminal
//! cargo run --example load_errors -- path/to/broken --plain
//! ```
//!
//! Two patterns. The shortest is `Engine::load(dir)?` in a `main` that
//! returns `Result<(), Box<dyn Error>>`: Rust prints the error's `Debug`,
//! which for a `LoadError` is the rendered diagnostics (file:line:col, the
//! line with carets, the help), without colour. To colour them on a
//! terminal, render them yourself with `vasrec::render::render_all`; the
//! library never decides what a terminal is.

use std::error::Error;
use std::io::IsTerminal;
use vasrec::Engine;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "rules".to_string());
    let engine = if args.next().as_deref() == Some("--plain") {
        // On errors, main prints `Error: the package has 1 error` and them.
        Engine::load(&dir)?
    } else {
        match Engine::load(&dir) {
            Ok(engine) => engine,
            Err(error) => {
                let color = std::io::stderr().is_terminal();
                let shown = vasrec::render::render_all(&error.diagnostics, &error.sources, color);
                eprint!("{shown}");
                eprintln!("{dir}: {} error(s)", error.error_count());
                std::process::exit(1);
            }
        }
    };
    let color = std::io::stdout().is_terminal();
    print!(
        "{}",
        vasrec::render::render_all(engine.warnings(), engine.sources(), color)
    );
    let (segments, rules, profiles) = engine.counts();
    println!("{dir}: {segments} segments, {rules} rules, {profiles} profiles");
    Ok(())
}
