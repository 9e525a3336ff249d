//! `vasrec check [DIR]`

use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, PackageArg, stderr_color};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec check                      check the package in ./rules
  vasrec check my-rules --deny-warnings
  vasrec check --format json        diagnostics for an editor or CI")]
pub(super) struct Args {
    #[command(flatten)]
    package: PackageArg,
    /// Output: readable text, or JSON diagnostics for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub(super) fn run(args: Args) -> u8 {
    let dir = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let (diagnostics, sources, summary) = match vasrec::Engine::load(&dir) {
        Ok(engine) => {
            let (segments, rules, profiles) = engine.counts();
            let warnings = engine.warnings().len();
            let verdict = match warnings {
                0 => "is fine".to_string(),
                n => format!("has no errors and {n} warning{} (above)", plural(n)),
            };
            let mut summary = format!(
                "{}: package `{}` {verdict}: {} services, {segments} segments, {profiles} profile{}, {rules} rules",
                dir.display(),
                engine.catalog().package,
                engine.catalog().services.len(),
                plural(profiles),
            );
            if let Some(model) = engine.model() {
                summary.push_str(&model_summary(model));
            }
            (
                engine.warnings().to_vec(),
                engine.sources().clone(),
                Some(summary),
            )
        }
        Err(error) => (error.diagnostics, error.sources, None),
    };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    // A reader that stops early (`| head`) is not an error (`output::write`
    // says so); output that cannot be written is.
    let written = match args.format {
        Format::Json => {
            let json = vasrec::render::to_json(&diagnostics, &sources);
            let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
            super::output::write(None, &text)
        }
        Format::Text => {
            eprint!(
                "{}",
                vasrec::render::render_all(&diagnostics, &sources, stderr_color())
            );
            match &summary {
                Some(s) => super::output::write(None, &format!("{s}\n")),
                None => {
                    eprintln!(
                        "{}: {errors} error{}, {warnings} warning{}",
                        dir.display(),
                        plural(errors),
                        plural(warnings)
                    );
                    Ok(())
                }
            }
        }
    };
    if let Err(error) = written {
        eprintln!("error: {error}");
        return EXIT_USAGE;
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_RULES
    } else {
        EXIT_OK
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The satisfaction model's weights, and the AHP consistency when they came from it.
fn model_summary(model: &vasrec::model::Model) -> String {
    let source = match &model.ahp {
        Some(ahp) => format!(
            "weights from AHP: lambda max {:.3}, CI {:.3}, CR {} (below 0.10: consistent)",
            ahp.lambda_max,
            ahp.consistency_index,
            vasrec::model::ahp::ratio_text(ahp.consistency_ratio)
        ),
        None => "weights given directly".to_string(),
    };
    let mut out = format!(
        "\nsatisfaction model: {} dimensions, {source}",
        model.dimensions.len()
    );
    let width = model
        .dimensions
        .iter()
        .map(|d| d.id.len())
        .max()
        .unwrap_or(0);
    for d in &model.dimensions {
        let name = if d.name != d.id { d.name.as_str() } else { "" };
        let mut line = format!("\n  {:<width$}  {:.4}  {name}", d.id, d.weight);
        // Only dimensions read from several items say so, to keep the usual case short.
        let (p, e) = (d.perception_items().len(), d.expectation_items().len());
        if p > 1 || e > 1 {
            let items = |n: usize, what: &str| format!("{n} {what} item{}", plural(n));
            let mut parts = vec![items(p, "perception")];
            if e > 0 {
                parts.push(items(e, "expectation"));
            }
            line = format!("{}  ({})", line.trim_end(), parts.join(", "));
        }
        out.push_str(&line);
    }
    if let Some(loyalty) = &model.loyalty {
        let factors: Vec<String> = loyalty
            .factors
            .iter()
            .map(|(outcome, factor)| format!("{outcome} {factor:.4}"))
            .collect();
        out.push_str(&format!(
            "\nloyalty per point of satisfaction gain: {}",
            factors.join(", ")
        ));
    }
    out
}
