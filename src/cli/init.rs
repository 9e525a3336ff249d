//! `vasrec init DIR`: a small, working, commented package to start from.

use super::{EXIT_OK, EXIT_USAGE};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec init my-rules && vasrec check my-rules && vasrec test my-rules
  vasrec dry-run my-rules")]
pub(super) struct Args {
    /// The folder to create; it must not exist yet, or be empty.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// The starter package: its files, relative to the folder, and their texts.
/// `tests/cli.rs` checks that `check` and `test` pass on it.
const FILES: [(&str, &str); 6] = [
    ("catalog.yaml", include_str!("init/catalog.yaml")),
    ("segments.vas", include_str!("init/segments.vas")),
    ("rules.vas", include_str!("init/rules.vas")),
    ("customers.csv", include_str!("init/customers.csv")),
    (
        "tests/starter.yaml",
        include_str!("init/tests/starter.yaml"),
    ),
    ("README.md", include_str!("init/README.md")),
];

pub(super) fn run(args: Args) -> u8 {
    match create(&args.dir) {
        Ok(()) => {
            let dir = args.dir.display();
            println!("created the rule package {dir}/ with:");
            for (name, _) in FILES {
                println!("  {name}");
            }
            println!(
                "next:\n  vasrec check {dir}     check it\n  vasrec test {dir}      run its test cases\n  \
                 vasrec dry-run {dir}   evaluate its sample customers"
            );
            EXIT_OK
        }
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
    }
}

/// Writes the files; never replaces anything: the folder must be new or
/// empty, and every file is created exclusively.
fn create(dir: &Path) -> Result<(), String> {
    let shown = vasrec::render::printable(&dir.display().to_string()).into_owned();
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "`{shown}` already exists and is not empty; init never overwrites: give a new folder"
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot use `{shown}`: {e}")),
    }
    for (name, text) in FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}
