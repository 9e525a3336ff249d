//! Writes a deterministic, generated rule package, for benchmarks.
//!
//! ```text
//! cargo run --release --example generate_package -- --rules 10000 --segments 1000 \
//!     [--seed 7] [--branch-rules 10] [--fanout 10] --out bench-data/p10000x1000
//! cargo run --release --example generate_package -- --flat --rules 400 --out bench-data/flat400
//! ```
//!
//! The package uses the bundled package's customer schema, so
//! `rules/customers.csv` and the files of `generate_customers` evaluate against
//! it; it passes `vasrec check` (with warnings: generated rules overlap and
//! contradict their segments now and then). Segments form a partition tree a
//! few levels deep with a few multi-parent segments, and rules are spread so
//! that a customer's branch holds about `--branch-rules` rules whatever the
//! package size. The same arguments give the same bytes on every machine; the
//! shape is described in `benches/support/package_gen.rs`, which
//! `benches/engine.rs` shares. Write packages under `bench-data/` (git-ignored).
//!
//! With `--flat`, the package is flat instead: one segment, 12 services and
//! `--rules` rules over ten shared attributes (`benches/support/flat_gen.rs`,
//! which `benches/flat.rs` shares); `--segments`, `--branch-rules` and
//! `--fanout` do not apply.

#[path = "../benches/support/flat_gen.rs"]
mod flat_gen;
#[path = "../benches/support/package_gen.rs"]
mod package_gen;
#[path = "../tests/common/rng.rs"]
mod rng;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: generate_package --rules N --segments N --out DIR [--seed S] [--branch-rules K] [--fanout F]
       generate_package --flat --rules N --out DIR [--seed S]

  --rules N          number of rules
  --segments N       number of segments (at least 2)
  --flat             one segment, 12 services, rules over ten shared attributes
  --out DIR          folder to write (created; its .vas files are replaced)
  --seed S           seed of the generator (default 7)
  --branch-rules K   rules a customer's branch should hold, about (default 10)
  --fanout F         children per segment in the partition tree, about (default 10)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut params = package_gen::Params::new(0, 0);
    let mut rules = None;
    let mut segments = None;
    let mut out = None;
    let mut flat = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return Ok(());
        }
        if arg == "--flat" {
            flat = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        let number = || -> Result<u64, String> {
            value
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{flag}` needs a whole number, not `{value}`"))
        };
        match flag.as_str() {
            "--rules" => rules = Some(number()? as usize),
            "--segments" => segments = Some(number()? as usize),
            "--seed" => params.seed = number()?,
            "--branch-rules" => params.branch_rules = number()? as usize,
            "--fanout" => params.fanout = number()? as usize,
            "--out" => out = Some(PathBuf::from(&value)),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    params.rules = rules.ok_or("`--rules` is required")?;
    if flat {
        let out = out.ok_or("`--out` is required")?;
        flat_gen::generate(params.rules, params.seed)
            .write_to(&out)
            .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
        eprintln!(
            "wrote {}: {} rules on one segment (seed {})",
            out.display(),
            params.rules,
            params.seed
        );
        return Ok(());
    }
    params.segments = segments.ok_or("`--segments` is required")?;
    if params.segments < 2 {
        return Err("`--segments` must be at least 2".into());
    }
    let out = out.ok_or("`--out` is required")?;
    let package = package_gen::generate(&params);
    package
        .write_to(&out)
        .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    eprintln!(
        "wrote {}: {} rules over {} segments (seed {})",
        out.display(),
        params.rules,
        params.segments,
        params.seed
    );
    Ok(())
}
