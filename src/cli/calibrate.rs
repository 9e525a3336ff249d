//! `vasrec calibrate --survey FILE --outcome NAME`: dimension weights from a
//! survey, beside the catalog's.

use super::{EXIT_OK, EXIT_USAGE, PackageArg, load, output};
use std::path::{Path, PathBuf};
use vasrec::calibrate::{
    self, CalibrationError, NotRated, Options, Survey, SurveySpec, render_error,
};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec calibrate examples/airline --survey examples/airline/survey-sample.csv --outcome satisfied
  vasrec calibrate examples/airline --survey train.csv --test test.csv --outcome satisfied --segment-by class
  vasrec calibrate examples/airline --survey train.csv --test test.csv --outcome satisfied --not-rated indicator
  vasrec calibrate examples/airline --survey train.csv --outcome satisfied --bootstrap 200
  vasrec calibrate examples/airline --survey train.csv --outcome satisfied --write-weights weights.yaml")]
pub(super) struct Args {
    /// Survey: CSV, or Parquet or Arrow IPC by its extension (with the cargo
    /// feature `arrow`); the catalog's dimensions name the columns with their ratings.
    #[arg(long)]
    survey: PathBuf,
    /// The outcome: an attribute, an attribute's column, or any survey column.
    #[arg(long)]
    outcome: String,
    /// The outcome value that counts as 1 (makes a text outcome binary).
    #[arg(long)]
    positive: Option<String>,
    /// The rule package whose catalog maps the survey's columns.
    #[command(flatten)]
    package: PackageArg,
    /// Held-out survey with the same columns (default: hold out a share of --survey).
    #[arg(long, conflicts_with = "holdout")]
    test: Option<PathBuf>,
    /// Share of the survey's rows held out, chosen by a seeded hash of the row id.
    #[arg(long, default_value_t = 0.2)]
    holdout: f64,
    /// Seed of the holdout split and of the bootstrap draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What to do with a rating not rated (or blank): leave the row out
    /// (drop), count the rating at its mean with a not-rated indicator per
    /// item (indicator), or at its mean only (impute).
    #[arg(long, value_enum, default_value = "drop")]
    not_rated: NotRatedArg,
    /// Bootstrap replicates for percentile intervals beside the Wald ones (0: none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    bootstrap: usize,
    /// Also fit one model per value of this attribute or column.
    #[arg(long)]
    segment_by: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the report to a file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the fitted weights as a catalog fragment (YAML); never the catalog itself.
    #[arg(long)]
    write_weights: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum NotRatedArg {
    Drop,
    Indicator,
    Impute,
}

impl From<NotRatedArg> for NotRated {
    fn from(arg: NotRatedArg) -> NotRated {
        match arg {
            NotRatedArg::Drop => NotRated::Drop,
            NotRatedArg::Indicator => NotRated::Indicator,
            NotRatedArg::Impute => NotRated::Impute,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

pub(super) fn run(args: Args) -> u8 {
    let rules = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let engine = match load(&rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let catalog = rules.join(vasrec::CATALOG_FILE);
    if let Some(path) = &args.write_weights
        && same_file(path, &catalog)
    {
        eprintln!(
            "error: --write-weights names the package's catalog `{}`; calibrate never rewrites it: write the fragment to another file and copy its `weights:` block in",
            catalog.display()
        );
        return EXIT_USAGE;
    }
    let spec = SurveySpec {
        outcome: args.outcome.clone(),
        positive: args.positive.clone(),
        segment_by: args.segment_by.clone(),
    };
    let report = read(&engine, &spec, &args.survey).and_then(|survey| {
        let test = match &args.test {
            Some(path) => Some(read(&engine, &spec, path)?),
            None => None,
        };
        let options = Options {
            holdout: args.holdout,
            seed: args.seed,
            not_rated: args.not_rated.into(),
            bootstrap: args.bootstrap,
            bootstrap_seed: args.seed,
        };
        calibrate::calibrate(&engine, &survey, test.as_ref(), &options)
            .map_err(Failure::Calibration)
    });
    let report = match report {
        Ok(report) => report,
        Err(Failure::Open(message)) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
        Err(Failure::Calibration(error)) => {
            eprint!("{}", render_error(&error));
            return EXIT_USAGE;
        }
    };
    let text = match args.format {
        Format::Table => report.to_table(),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    };
    if let Err(e) = output::write(args.out.as_deref(), &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    super::wrote(args.out.as_deref(), "the calibration report");
    if let Some(path) = &args.write_weights {
        let Some(fragment) = report.weights_yaml() else {
            eprintln!("error: no coefficient is positive, so there are no weights to write");
            return EXIT_USAGE;
        };
        if let Err(e) = output::write(Some(path), &fragment) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
        eprintln!("wrote the fitted weights to {}", path.display());
    }
    EXIT_OK
}

enum Failure {
    Open(String),
    Calibration(CalibrationError),
}

fn read(engine: &vasrec::Engine, spec: &SurveySpec, path: &Path) -> Result<Survey, Failure> {
    let display = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Open(format!("cannot open survey `{display}`: {e}")))?;
    let format = vasrec::InputFormat::from_path(path);
    Survey::read_file(engine, spec, &display, file, format).map_err(Failure::Calibration)
}

/// Whether two paths name the same file (the second exists).
fn same_file(a: &Path, b: &Path) -> bool {
    let Ok(b) = b.canonicalize() else {
        return false;
    };
    if let Ok(a) = a.canonicalize() {
        return a == b;
    }
    // `a` does not exist yet: compare its folder and name.
    let folder = a
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (folder.canonicalize(), a.file_name()) {
        (Ok(folder), Some(name)) => folder.join(name) == b,
        _ => false,
    }
}
