//! `vasrec score` written by hand for one package: JSON Lines in, JSON Lines
//! out, one thread. The end-to-end reference the JSON Lines path of `score`
//! is measured against (issue 26: at least 0.8x its speed).
//!
//! ```text
//! cargo run --release --example jsonl_baseline -- --flat CUSTOMERS.jsonl [--out FILE]
//! cargo run --release --example jsonl_baseline -- --bundled CUSTOMERS.jsonl [--out FILE]
//! ```
//!
//! `--flat` is the flat 40-rule package (`flat_gen::generate(40, 7)`, what
//! `generate_package --flat --rules 40` writes), `--bundled` the package in
//! `rules/` (compare with `vasrec score --ignore-capacity`: the hand-written
//! evaluator allocates no capacity). The program is
//! `benches/support/jsonl_baseline.rs`; `tests/jsonl_baseline.rs` checks its
//! records against `vasrec score`'s.

#[path = "../benches/support/baseline.rs"]
mod baseline;
#[path = "../benches/support/flat_baseline.rs"]
mod flat_baseline;
#[path = "../benches/support/flat_gen.rs"]
mod flat_gen;
#[path = "../benches/support/jsonl_baseline.rs"]
mod jsonl_baseline;
#[path = "../benches/support/package_gen.rs"]
mod package_gen;
#[path = "../tests/common/rng.rs"]
mod rng;

use jsonl_baseline::{Package, engine, score, tables};
use std::error::Error;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

const USAGE: &str = "usage: jsonl_baseline (--flat | --bundled) CUSTOMERS.jsonl [--out FILE] (default: standard output)";

fn main() -> Result<(), Box<dyn Error>> {
    let (mut package, mut customers, mut out) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--flat" => package = Some(Package::Flat),
            "--bundled" => package = Some(Package::Bundled),
            "--out" => out = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if customers.is_none() && !arg.starts_with("--") => customers = Some(arg),
            _ => return Err(format!("unexpected `{arg}`\n{USAGE}").into()),
        }
    }
    let (Some(package), Some(customers)) = (package, customers) else {
        return Err(USAGE.into());
    };
    let engine = engine(package, Path::new(env!("CARGO_MANIFEST_DIR")))?;
    let (rules, loyalty) = tables(&engine);

    let input = BufReader::with_capacity(1 << 16, std::fs::File::open(&customers)?);
    let output: Box<dyn Write> = match out.as_deref() {
        None | Some("-") => Box::new(std::io::stdout().lock()),
        Some(path) => Box::new(std::fs::File::create(path)?),
    };
    let written = score(
        package,
        input,
        BufWriter::with_capacity(1 << 16, output),
        &rules,
        &loyalty,
    )
    .map_err(|e| format!("{customers}: {e}"))?;
    eprintln!("{written} customers");
    Ok(())
}
