//! `calibrate`: weights recovered from synthetic surveys with known weights,
//! Cronbach's alpha against a published example, a fuzzy evaluation worked
//! by hand, golden output on the airline survey, and the errors.

mod calibrate_support;
mod common;

use calibrate_support::{CATALOG, HEADER, RULES, engine, sigmoid, spec, survey_text};
use common::{TempDir, golden, root, vasrec};
use vasrec::calibrate::{self, CalibrationError, Options, OutcomeKind, Survey, SurveySpec, stats};

/// The fitted standardised coefficients are within four standard errors of
/// the truth (`b × sd` of the sample), and the weights are the truth normalised.
fn assert_recovered(report: &calibrate::CalibrationReport, truth: [f64; 4]) {
    let total: f64 = truth.iter().sum();
    for (d, b) in report.overall.dimensions.iter().zip(truth) {
        let expected = b * d.sd;
        assert!(
            (d.coefficient - expected).abs() < 4.0 * d.std_error,
            "{}: coef {} se {}, expected {expected}",
            d.dimension,
            d.coefficient,
            d.std_error
        );
        assert!(d.ci_low < d.coefficient && d.coefficient < d.ci_high);
        assert!(
            (d.fitted_weight - b / total).abs() < 0.03,
            "{}: weight {} expected {}",
            d.dimension,
            d.fitted_weight,
            b / total
        );
    }
}

#[test]
fn least_squares_recovers_known_weights() {
    let truth = [0.8, 0.4, 0.2, 0.0];
    let text = survey_text(5_000, 7, |x, _, u| {
        let noise = (u - 0.5) * 12f64.sqrt(); // uniform, variance 1
        let y = 2.0 + x.iter().zip(truth).map(|(a, b)| a * b).sum::<f64>() + noise;
        (y > 2.0, y)
    });
    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("score"), "synthetic.csv", text.as_bytes()).unwrap();
    assert_eq!(survey.outcome().kind, OutcomeKind::Numeric);
    let report = calibrate::calibrate(&engine, &survey, None, &Options::default()).unwrap();
    assert_recovered(&report, truth);
    let fit = |source| {
        report
            .overall
            .held_out
            .iter()
            .find(|h| h.weights == source)
            .and_then(|h| h.r_squared)
            .unwrap()
    };
    // True R² = 0.84 / (0.84 + 1) = 0.457.
    assert!((fit(calibrate::WeightSource::FittedModel) - 0.457).abs() < 0.05);
    assert!(
        fit(calibrate::WeightSource::FittedWeights) > fit(calibrate::WeightSource::CatalogWeights)
    );
}

#[test]
fn logistic_regression_recovers_known_weights() {
    let truth = [1.2, 0.6, 0.3, 0.0];
    let text = survey_text(20_000, 11, |x, _, u| {
        let eta = -0.5 + x.iter().zip(truth).map(|(a, b)| a * b).sum::<f64>();
        (u < sigmoid(eta), eta)
    });
    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("happy"), "synthetic.csv", text.as_bytes()).unwrap();
    assert_eq!(survey.outcome().kind, OutcomeKind::Binary);
    assert_eq!(survey.outcome().positive.as_deref(), Some("satisfied"));
    let report = calibrate::calibrate(&engine, &survey, None, &Options::default()).unwrap();
    assert_recovered(&report, truth);
    assert!(
        (report.overall.intercept + 0.5).abs() < 0.1,
        "{}",
        report.overall.intercept
    );
    let auc = |source| {
        report
            .overall
            .held_out
            .iter()
            .find(|h| h.weights == source)
            .and_then(|h| h.auc)
            .unwrap()
    };
    assert!(
        auc(calibrate::WeightSource::FittedWeights)
            > auc(calibrate::WeightSource::CatalogWeights) + 0.05
    );

    // The fragment `--write-weights` writes is accepted by the catalog checker
    // in place of the catalog's weights, and gives the fitted weights back.
    let fragment = report.weights_yaml().unwrap();
    let weights = fragment.split("  weights:\n").nth(1).unwrap();
    let catalog = CATALOG.replace(
        "  weights: { seat: 0.1, clean: 0.2, food: 0.3, wifi: 0.4 }\n",
        &format!("  weights:\n{weights}"),
    );
    let reweighted = self::engine(&catalog);
    for (model, fitted) in reweighted
        .model()
        .unwrap()
        .dimensions
        .iter()
        .zip(&report.overall.dimensions)
    {
        assert!((model.weight - fitted.fitted_weight).abs() < 1e-3);
    }
}

#[test]
fn segments_get_their_own_weights() {
    // In group A only the seat matters, in group B only cleanliness.
    let text = survey_text(8_000, 3, |x, i, u| {
        let eta = if i % 2 == 0 { 1.5 * x[0] } else { 1.5 * x[1] };
        (u < sigmoid(eta), eta)
    });
    let engine = engine(CATALOG);
    let spec = SurveySpec {
        outcome: "satisfaction".into(),
        positive: Some("satisfied".into()),
        segment_by: Some("Group".into()),
    };
    let survey = Survey::read(&engine, &spec, "synthetic.csv", text.as_bytes()).unwrap();
    let report = calibrate::calibrate(&engine, &survey, None, &Options::default()).unwrap();
    let weight = |segment: usize, dimension: usize| {
        report.segments[segment].fit.as_ref().unwrap().dimensions[dimension].fitted_weight
    };
    assert_eq!(report.segments[0].segment, "A");
    assert!(weight(0, 0) > 0.9 && weight(1, 1) > 0.9, "{report:#?}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["segments"][1]["segment"], "B");
}

#[test]
fn not_rated_and_blank_values_are_left_out_listwise_and_the_split_is_stable() {
    let mut text = survey_text(400, 5, |x, _, u| (u < sigmoid(x[0]), x[0]));
    // Row 1: wifi not rated; row 2: cleanliness blank; row 3: no outcome.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let set = |line: &mut String, field: usize, value: &str| {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells[field] = value;
        *line = cells.join(",");
    };
    set(&mut lines[1], 4, "0");
    set(&mut lines[2], 2, "");
    set(&mut lines[3], 6, "");
    text = lines.join("\n") + "\n";
    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("happy"), "s.csv", text.as_bytes()).unwrap();
    let options = Options {
        holdout: 0.25,
        seed: 9,
        ..Options::default()
    };
    let report = calibrate::calibrate(&engine, &survey, None, &options).unwrap();
    let rows = &report.rows;
    assert_eq!(rows.training + rows.test, 400);
    let dropped = (rows.training - rows.training_complete) + (rows.test - rows.test_complete);
    assert_eq!(dropped, 3);
    // The same seed holds out the same rows; another seed other rows.
    let again = calibrate::calibrate(&engine, &survey, None, &options).unwrap();
    assert_eq!(again.rows.test, rows.test);
    assert_eq!(again.overall.intercept, report.overall.intercept);
    let other = calibrate::calibrate(
        &engine,
        &survey,
        None,
        &Options {
            holdout: 0.25,
            seed: 10,
            ..Options::default()
        },
    )
    .unwrap();
    assert_ne!(other.overall.intercept, report.overall.intercept);
}

/// Published example: the LSAT data (Law School Admission Test, section 6;
/// Bock & Lieberman 1970, Psychometrika 35, 179-197), 1000 examinees and 5
/// right/wrong items, given as the counts of the 32 answer patterns
/// 00000, 00001, ..., 11111 (the same data as R's `ltm::LSAT` and the
/// OpenBUGS "LSAT" example). R's ltm package (Rizopoulos 2006, J. Stat.
/// Software 17(5)) prints for `cronbach.alpha(LSAT)`: "Items: 5, Sample
/// units: 1000, alpha: 0.295". The alphas with one item deleted were computed
/// separately (Python's `statistics.variance` in the textbook formula):
/// 0.2754, 0.2376, 0.2168, 0.2459, 0.2663.
#[test]
fn cronbach_alpha_matches_the_published_lsat_example() {
    const COUNTS: [usize; 32] = [
        3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15, 10, 29, 14, 81, 3, 28, 15, 80, 16, 56,
        21, 173, 11, 61, 28, 298,
    ];
    let mut items = vec![Vec::new(); 5];
    for (pattern, &count) in COUNTS.iter().enumerate() {
        for _ in 0..count {
            for (item, column) in items.iter_mut().enumerate() {
                column.push(((pattern >> (4 - item)) & 1) as f64);
            }
        }
    }
    assert_eq!(items[0].len(), 1000);
    let slices: Vec<&[f64]> = items.iter().map(Vec::as_slice).collect();
    let r = stats::cronbach(&slices).unwrap();
    assert!((r.alpha - 0.295).abs() < 0.0005, "{}", r.alpha);
    for (item, expected) in r.items.iter().zip([0.2754, 0.2376, 0.2168, 0.2459, 0.2663]) {
        assert!(
            (item.alpha_if_deleted.unwrap() - expected).abs() < 0.0001,
            "{item:?}"
        );
    }
    assert_eq!(stats::alpha_reading(r.alpha), "unacceptable");
}

/// Worked example (README, "Fuzzy comprehensive evaluation"): three
/// dimensions with weights W = (0.5, 0.3, 0.2), ten respondents, grades 1-4.
/// Rating counts per grade: d1 (0, 2, 5, 3), d2 (1, 3, 4, 2), d3 (0, 1, 3, 6), so
///   R = | 0    0.2  0.5  0.3 |
///       | 0.1  0.3  0.4  0.2 |
///       | 0    0.1  0.3  0.6 |
/// M(·,+): b1 = 0.3×0.1 = 0.03; b2 = 0.5×0.2 + 0.3×0.3 + 0.2×0.1 = 0.21;
///   b3 = 0.25 + 0.12 + 0.06 = 0.43; b4 = 0.15 + 0.06 + 0.12 = 0.33 (sum 1):
///   grade 3, score 0.03 + 0.42 + 1.29 + 1.32 = 3.06.
/// M(∧,∨): b1 = max(0, 0.1, 0) = 0.1; b2 = max(0.2, 0.3, 0.1) = 0.3;
///   b3 = max(0.5, 0.3, 0.2) = 0.5; b4 = max(0.3, 0.2, 0.2) = 0.3; sum 1.2,
///   normalised (0.0833, 0.25, 0.4167, 0.25): grade 3, score 3.4 / 1.2 = 2.8333.
#[test]
fn fuzzy_evaluation_matches_the_worked_example() {
    let ratings = |counts: [usize; 4]| -> Vec<f64> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(grade, &n)| std::iter::repeat_n(grade as f64 + 1.0, n))
            .collect()
    };
    let grades = [1.0, 2.0, 3.0, 4.0];
    let r = stats::membership(
        &[
            ratings([0, 2, 5, 3]),
            ratings([1, 3, 4, 2]),
            ratings([0, 1, 3, 6]),
        ],
        &grades,
    );
    assert_eq!(r[1], vec![0.1, 0.3, 0.4, 0.2]);
    let e = stats::fuzzy_evaluate(&[0.5, 0.3, 0.2], &r, &grades).unwrap();
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9);
    assert!(
        close(&e.weighted_average.memberships, &[0.03, 0.21, 0.43, 0.33]),
        "{e:?}"
    );
    assert_eq!(e.weighted_average.grade, Some(3.0));
    assert!((e.weighted_average.score - 3.06).abs() < 1e-9);
    assert!(
        close(&e.max_min.memberships, &[0.1 / 1.2, 0.25, 0.5 / 1.2, 0.25]),
        "{e:?}"
    );
    assert_eq!(e.max_min.grade, Some(3.0));
    assert!((e.max_min.score - 3.4 / 1.2).abs() < 1e-9);
}

fn error(catalog: &str, spec: &SurveySpec, text: &str) -> CalibrationError {
    let engine = engine(catalog);
    match Survey::read(&engine, spec, "survey.csv", text.as_bytes()) {
        Err(e) => e,
        Ok(survey) => {
            calibrate::calibrate(&engine, &survey, None, &Options::default()).unwrap_err()
        }
    }
}

#[test]
fn errors_name_the_problem_and_suggest_a_fix() {
    let good = survey_text(200, 1, |x, _, u| (u < sigmoid(x[0]), x[0]));

    let e = error(CATALOG, &spec("satisfacton"), &good);
    assert_eq!(e.code(), "UNKNOWN_COLUMN");
    assert_eq!(
        e.help().unwrap(),
        "did you mean `satisfaction`? (set `column:` in catalog.yaml to the survey's header)"
    );

    let renamed = good.replacen("Seat comfort", "Seat comfrt", 1);
    let e = error(CATALOG, &spec("happy"), &renamed);
    assert_eq!(
        e.to_string(),
        "survey.csv: the header has no column `Seat comfort`, which dimension `seat` (attribute `seat`) is read from"
    );
    assert!(e.help().unwrap().starts_with("did you mean `Seat comfrt`?"));

    assert_eq!(
        error(CATALOG, &spec("happy"), HEADER).code(),
        "EMPTY_SURVEY"
    );
    assert_eq!(error(CATALOG, &spec("happy"), "").code(), "EMPTY_SURVEY");

    let constant: String = good
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<&str> = line.split(',').collect();
            if i > 0 {
                cells[3] = "3";
            }
            cells.join(",") + "\n"
        })
        .collect();
    let e = error(CATALOG, &spec("happy"), &constant);
    assert_eq!(
        e,
        CalibrationError::ConstantColumn {
            dimension: "food".into(),
            column: "Food and drink".into(),
            value: 3.0
        }
    );

    let e = error(CATALOG, &spec("Group"), &good);
    assert_eq!(e.code(), "OUTCOME_NOT_NUMERIC");
    assert!(e.help().unwrap().contains("`A`, `B`"), "{:?}", e.help());
    let typo = SurveySpec {
        outcome: "Group".into(),
        positive: Some("a".into()),
        segment_by: None,
    };
    let e = error(CATALOG, &typo, &good);
    assert_eq!(e.code(), "UNKNOWN_LABEL");
    assert_eq!(e.help().unwrap(), "did you mean `A`?");

    let bad = good.replacen(",satisfied,", ",satisfied?,", 1);
    let e = error(CATALOG, &spec("happy"), &bad);
    assert_eq!(e.code(), "SURVEY_DATA");
    assert!(e.to_string().starts_with("survey.csv:"), "{e}");

    let no_column = CATALOG.replace("{ id: wifi, perception: wifi }", "{ id: wifi }");
    assert_eq!(
        error(&no_column, &spec("happy"), &good),
        CalibrationError::NoRatingColumn {
            dimension: "wifi".into()
        }
    );

    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("happy"), "s.csv", good.as_bytes()).unwrap();
    let e = calibrate::calibrate(
        &engine,
        &survey,
        None,
        &Options {
            holdout: 1.5,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "INVALID_HOLDOUT");
}

#[test]
fn the_command_line_renders_errors_and_never_rewrites_the_catalog() {
    let dir = TempDir::new("calibrate");
    std::fs::write(dir.path().join("catalog.yaml"), CATALOG).unwrap();
    std::fs::write(dir.path().join("rules.vas"), RULES).unwrap();
    let survey = dir.path().join("survey.csv");
    std::fs::write(
        &survey,
        survey_text(300, 2, |x, _, u| (u < sigmoid(x[0]), x[0])),
    )
    .unwrap();
    let rules = dir.path().to_str().unwrap();
    let survey = survey.to_str().unwrap();

    let out = vasrec(&[
        "calibrate",
        "--rules",
        rules,
        "--survey",
        survey,
        "--outcome",
        "satisfacton",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr)
        .unwrap()
        .replace(survey, "survey.csv");
    assert_eq!(
        stderr,
        "error[UNKNOWN_COLUMN]: survey.csv: the header has no column `satisfacton`, which the outcome is read from\n  = help: did you mean `satisfaction`? (set `column:` in catalog.yaml to the survey's header)\n"
    );

    let catalog = dir.path().join("catalog.yaml");
    let out = vasrec(&[
        "calibrate",
        "--rules",
        rules,
        "--survey",
        survey,
        "--outcome",
        "happy",
        "--write-weights",
        catalog.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("never rewrites it")
    );
    assert_eq!(std::fs::read_to_string(&catalog).unwrap(), CATALOG);

    let out = vasrec(&[
        "calibrate",
        "--rules",
        rules,
        "--survey",
        survey,
        "--outcome",
        "happy",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["outcome"]["kind"], "binary");
}

/// The airline survey, when the shared data is present: golden text output,
/// and the weights fragment accepted by `vasrec check` in the example package.
#[test]
fn airline_survey_golden_output() {
    let data = root().join("../shared/data/airline");
    if !data.join("train.csv").exists() || !data.join("test.csv").exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let dir = TempDir::new("airline");
    let fragment = dir.path().join("weights.yaml");
    let out = vasrec(&[
        "calibrate",
        "--rules",
        "examples/airline",
        "--survey",
        "../shared/data/airline/train.csv",
        "--test",
        "../shared/data/airline/test.csv",
        "--outcome",
        "satisfied",
        "--segment-by",
        "class",
        "--write-weights",
        fragment.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    if let Some(difference) = golden(&root().join("tests/golden/calibrate_airline.txt"), &stdout) {
        panic!("{difference}");
    }

    // Swap the example's AHP block for the fitted weights: the package still checks.
    let package = dir.path().join("package");
    std::fs::create_dir_all(&package).unwrap();
    let catalog = std::fs::read_to_string(root().join("examples/airline/catalog.yaml")).unwrap();
    let start = catalog.find("  ahp:\n").unwrap();
    let end = start + catalog[start..].find("\nservices:").unwrap();
    let weights = std::fs::read_to_string(&fragment).unwrap();
    let weights = weights.split("satisfaction:\n").nth(1).unwrap();
    std::fs::write(
        package.join("catalog.yaml"),
        format!("{}{weights}{}", &catalog[..start], &catalog[end..]),
    )
    .unwrap();
    std::fs::copy(
        root().join("examples/airline/rules.vas"),
        package.join("rules.vas"),
    )
    .unwrap();
    let out = vasrec(&["check", package.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("weights given directly")
    );
}
