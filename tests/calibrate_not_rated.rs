//! `calibrate --not-rated` and `--bootstrap`: indicators recover a known
//! effect of not answering while the weights stay the ratings'; bootstrap
//! intervals repeat with a seed, change with another, do not depend on the
//! thread count, and cover known coefficients; the airline survey with
//! indicators, against its golden output.

mod calibrate_support;
mod common;

use calibrate_support::{CATALOG, Lcg, engine, sigmoid, spec, survey_text};
use common::{golden, root};
use vasrec::calibrate::{
    self, CalibrationReport, NotRated, Options, Survey, SurveySpec, WeightSource,
};

/// Respondents whose ratings are `10 + N(0, 1)` with effects `b` per unit;
/// `skip[i]` is the chance of not rating item `i` (written `0`), and not
/// rating it adds `offset[i]` to the log-odds in place of `b_i x_i`. So the
/// indicator model is the true one: its rating coefficients are `b` (the
/// ratings' sd is 1) and its indicator coefficients `offset` (a rating not
/// given counts at the mean, where `b_i x_i` is 0).
fn survey_with_gaps(
    rows: usize,
    seed: u64,
    b: [f64; 4],
    skip: [f64; 4],
    offset: [f64; 4],
) -> String {
    let mut lcg = Lcg(seed);
    let mut text = String::from(calibrate_support::HEADER);
    for i in 0..rows {
        let x = [lcg.normal(), lcg.normal(), lcg.normal(), lcg.normal()];
        let mut cells = vec![format!("R{i}")];
        let mut eta = -0.3;
        for d in 0..4 {
            if lcg.uniform() < skip[d] {
                cells.push("0".into());
                eta += offset[d];
            } else {
                cells.push(format!("{:.6}", 10.0 + x[d]));
                eta += b[d] * x[d];
            }
        }
        let label = if lcg.uniform() < sigmoid(eta) {
            "satisfied"
        } else {
            "dissatisfied"
        };
        cells.extend(["A".into(), label.into(), format!("{eta:.6}")]);
        text.push_str(&(cells.join(",") + "\n"));
    }
    text
}

fn run(text: &str, options: &Options) -> CalibrationReport {
    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("happy"), "gaps.csv", text.as_bytes()).unwrap();
    calibrate::calibrate(&engine, &survey, None, options).unwrap()
}

fn with(not_rated: NotRated, bootstrap: usize, bootstrap_seed: u64) -> Options {
    Options {
        not_rated,
        bootstrap,
        bootstrap_seed,
        ..Options::default()
    }
}

fn model_auc(report: &CalibrationReport) -> f64 {
    report.overall.held_out[0].auc.unwrap()
}

#[test]
fn indicators_recover_the_effect_of_not_answering_and_leave_the_weights_to_the_ratings() {
    let b = [1.0, 0.5, 0.25, 0.0];
    // Wifi is left unrated by 20% (who are happier), cleanliness by 10%
    // (who are less happy), food by about 12 respondents in 8,000.
    let offset = [0.0, -1.0, 0.0, 1.5];
    let text = survey_with_gaps(8_000, 21, b, [0.0, 0.1, 0.0015, 0.2], offset);
    let indicator = run(&text, &with(NotRated::Indicator, 0, 1));
    let drop = run(&text, &with(NotRated::Drop, 0, 1));
    let impute = run(&text, &with(NotRated::Impute, 0, 1));

    // Rows: listwise deletion keeps about 0.9 × 0.8 of them; the others all.
    let rows = &indicator.rows;
    assert_eq!(rows.training_used, rows.training);
    assert_eq!(rows.test_used, rows.test);
    assert_eq!(drop.rows.training_used, rows.training_complete);
    assert!((0.68..0.76).contains(&(rows.training_complete as f64 / rows.training as f64)));
    assert_eq!(indicator.overall.training_rows, rows.training);

    // The rating coefficients are b, the indicator coefficients the offsets.
    for (d, truth) in indicator.overall.dimensions.iter().zip(b) {
        assert!(
            (d.coefficient - truth * d.sd).abs() < 4.0 * d.std_error,
            "{}: {} ± {} against {truth}",
            d.dimension,
            d.coefficient,
            d.std_error
        );
    }
    let items = &indicator.overall.not_rated;
    let item = |name: &str| items.iter().find(|i| i.dimension == name).unwrap();
    for (name, truth) in [("clean", -1.0), ("wifi", 1.5)] {
        let i = item(name);
        assert!(i.indicator, "{i:?}");
        let (c, se) = (i.coefficient.unwrap(), i.std_error.unwrap());
        assert!(
            (c - truth).abs() < 4.0 * se,
            "{name}: {c} ± {se} against {truth}"
        );
        assert!(i.ci_low.unwrap() < c && c < i.ci_high.unwrap());
    }
    // Food is left unrated too rarely for an indicator: it counts at its mean.
    let food = item("food");
    assert!(
        !food.indicator && food.rows < calibrate::MIN_INDICATOR_ROWS,
        "{food:?}"
    );
    assert_eq!(food.coefficient, None);

    // Weights come from the four rating coefficients alone and sum to 1;
    // the fragment says the indicators were left out and holds four weights.
    let weights: Vec<f64> = indicator
        .overall
        .dimensions
        .iter()
        .map(|d| d.fitted_weight)
        .collect();
    let positive: f64 = indicator
        .overall
        .dimensions
        .iter()
        .map(|d| d.coefficient.max(0.0))
        .sum();
    for (w, d) in weights.iter().zip(&indicator.overall.dimensions) {
        assert!((w - d.coefficient.max(0.0) / positive).abs() < 1e-12);
    }
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let fragment = indicator.weights_yaml().unwrap();
    assert!(fragment.contains("not weights: left out"), "{fragment}");
    assert_eq!(
        fragment
            .split("  weights:\n")
            .nth(1)
            .unwrap()
            .lines()
            .count(),
        4
    );

    // Not answering carries information here: indicators score every held-out
    // row and beat mean imputation, which reads "not rated" as "average".
    assert!(model_auc(&indicator) > model_auc(&impute) + 0.01);
    // Side by side: listwise deletion first, then the chosen method, each
    // also measured on the complete held-out rows, which both score.
    let methods: Vec<NotRated> = indicator.methods.iter().map(|m| m.method).collect();
    assert_eq!(methods, [NotRated::Drop, NotRated::Indicator]);
    assert_eq!(
        indicator.methods[0].held_out[0].auc,
        drop.overall.held_out[0].auc
    );
    assert_eq!(indicator.methods[0].test_rows, rows.test_complete);
    assert_eq!(drop.methods.len(), 1);
    let table = indicator.to_table();
    assert!(
        table.contains("Held-out fit: listwise deletion beside indicators"),
        "{table}"
    );
    assert!(table.contains("like for like, on the"), "{table}");
    assert!(
        drop.to_table()
            .contains("scoring: a held-out row with an item not rated gets no score")
    );
    let json = serde_json::to_value(&indicator).unwrap();
    assert_eq!(json["not_rated"], "indicator");
    assert_eq!(json["methods"][0]["method"], "drop");
    assert_eq!(json["overall"]["not_rated"][0]["dimension"], "clean");
}

#[test]
fn bootstrap_intervals_repeat_follow_the_seed_and_ignore_the_thread_count() {
    let text = survey_with_gaps(
        1_000,
        5,
        [1.0, 0.5, 0.25, 0.0],
        [0.0, 0.0, 0.0, 0.2],
        [0.0, 0.0, 0.0, 1.0],
    );
    let in_pool = |threads: usize, seed: u64| -> String {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let report = pool.install(|| run(&text, &with(NotRated::Indicator, 120, seed)));
        serde_json::to_string(&report).unwrap()
    };
    let one = in_pool(1, 7);
    assert_eq!(one, in_pool(3, 7), "the thread count changed the report");
    assert_eq!(one, in_pool(2, 7));
    let other = in_pool(2, 8);
    assert_ne!(one, other, "another seed gave the same intervals");

    let report: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(report["bootstrap"]["replicates"], 120);
    assert_eq!(report["bootstrap"]["failed"], 0);
    let wifi = &report["overall"]["not_rated"][0];
    assert_eq!(wifi["dimension"], "wifi");
    assert!(wifi["bootstrap_low"].as_f64().unwrap() < wifi["coefficient"].as_f64().unwrap());
    for d in report["overall"]["dimensions"].as_array().unwrap() {
        let low = d["weight_bootstrap_low"].as_f64().unwrap();
        let high = d["weight_bootstrap_high"].as_f64().unwrap();
        assert!(
            (0.0..=1.0).contains(&low) && low <= high && high <= 1.0,
            "{d}"
        );
    }
    // Without --bootstrap there are no bootstrap figures, and the rest is the same.
    let plain = run(&text, &with(NotRated::Indicator, 0, 7));
    assert!(plain.bootstrap.is_none());
    assert_eq!(plain.overall.dimensions[0].bootstrap_low, None);
    let intercept = report["overall"]["intercept"].as_f64().unwrap();
    assert!((plain.overall.intercept - intercept).abs() < 1e-12);
}

/// 48 samples of 500 respondents (about 400 fitted) from a known logistic
/// model, 100 replicates each: the 95% percentile intervals of the four
/// coefficients cover the truth in at least 90% of the 192 cases (95% is
/// nominal, so about 182 are expected with a binomial sd of 3), about as
/// often as the Wald intervals (which covered 95.6% of 1,200 such cases on
/// samples of 1,000 in a one-off check), and are about as wide: the model is correctly
/// specified, so both estimate the same spread. Samples and replicates are
/// seeded: the counts are the same on every run, so this is a check, not a
/// gamble.
#[test]
fn bootstrap_intervals_cover_the_true_coefficients() {
    let truth = [1.0, 0.5, -0.5, 0.0];
    let (mut boot_covers, mut wald_covers) = (0i32, 0i32);
    let (mut boot_width, mut wald_width) = (0.0, 0.0);
    let mut per_coefficient = [0; 4];
    for sample in 0..48 {
        let text = survey_text(500, 2_000 + sample, |x, _, u| {
            let eta = 0.2 + x.iter().zip(truth).map(|(a, b)| a * b).sum::<f64>();
            (u < sigmoid(eta), eta)
        });
        let report = run(&text, &with(NotRated::Drop, 100, sample));
        assert_eq!(report.bootstrap.as_ref().unwrap().failed, 0);
        for (i, (d, b)) in report.overall.dimensions.iter().zip(truth).enumerate() {
            let (low, high) = (d.bootstrap_low.unwrap(), d.bootstrap_high.unwrap());
            if low <= b && b <= high {
                boot_covers += 1;
                per_coefficient[i] += 1;
            }
            if d.ci_low <= b && b <= d.ci_high {
                wald_covers += 1;
            }
            boot_width += high - low;
            wald_width += d.ci_high - d.ci_low;
        }
    }
    // Seen: 175 of 192 (91%), per coefficient 46, 45, 43, 41 of 48; Wald 181.
    // Percentile intervals run a little narrow at a few hundred rows.
    assert!(boot_covers >= 173, "bootstrap covered {boot_covers} of 192");
    assert!(
        per_coefficient.iter().all(|&c| c >= 40),
        "{per_coefficient:?}"
    );
    assert!(
        (boot_covers - wald_covers).abs() <= 10,
        "bootstrap {boot_covers}, Wald {wald_covers}"
    );
    let ratio = boot_width / wald_width;
    assert!((0.9..1.2).contains(&ratio), "width ratio {ratio}");
}

#[test]
fn too_many_replicates_is_an_error_with_a_suggestion() {
    let text = survey_text(200, 1, |x, _, u| (u < sigmoid(x[0]), x[0]));
    let engine = engine(CATALOG);
    let survey = Survey::read(&engine, &spec("happy"), "s.csv", text.as_bytes()).unwrap();
    let options = with(NotRated::Drop, calibrate::MAX_REPLICATES + 1, 1);
    let e = calibrate::calibrate(&engine, &survey, None, &options).unwrap_err();
    assert_eq!(e.code(), "TOO_MANY_REPLICATES");
    assert_eq!(
        calibrate::render_error(&e),
        "error[TOO_MANY_REPLICATES]: 10001 bootstrap replicates asked for; at most 10000 are allowed\n  = help: 200 to 2,000 replicates are usual for 95% percentile intervals\n"
    );
}

/// The airline survey with not-rated indicators, when the shared data is
/// present: the held-out AUC the issue asks for, listwise deletion beside
/// it, and the golden report.
#[test]
fn airline_survey_with_indicators() {
    let data = root().join("../shared/data/airline");
    let (train, test) = (data.join("train.csv"), data.join("test.csv"));
    if !train.exists() || !test.exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let engine = vasrec::Engine::load(root().join("examples/airline")).unwrap();
    let spec = SurveySpec {
        outcome: "satisfied".into(),
        ..SurveySpec::default()
    };
    let read = |path: &std::path::Path, name: &str| {
        Survey::read(&engine, &spec, name, std::fs::File::open(path).unwrap()).unwrap()
    };
    let (train, test) = (read(&train, "train.csv"), read(&test, "test.csv"));
    let report = calibrate::calibrate(
        &engine,
        &train,
        Some(&test),
        &with(NotRated::Indicator, 0, 1),
    )
    .unwrap();
    let [drop, chosen] = &report.methods[..] else {
        panic!("{:?}", report.methods)
    };
    let auc = |m: &calibrate::MethodFit| m.held_out[0].auc.unwrap();
    assert!(auc(chosen) >= 0.925, "indicators: AUC {}", auc(chosen));
    assert!(
        (auc(drop) - 0.9192).abs() < 5e-5,
        "listwise: AUC {}",
        auc(drop)
    );
    assert_eq!((drop.training_rows, drop.test_rows), (95_704, 23_863));
    assert_eq!((chosen.training_rows, chosen.test_rows), (103_904, 25_976));
    assert_eq!(
        report.overall.held_out[1].weights,
        WeightSource::FittedWeights
    );
    let table = report.to_table();
    if let Some(difference) = golden(
        &root().join("tests/golden/calibrate_airline_indicator.txt"),
        &table,
    ) {
        panic!("{difference}");
    }
}

/// The command line on the bundled synthetic sample: the bootstrap beside
/// Wald in the text report (README's example), and every new figure in the
/// JSON report, against golden files.
#[test]
fn the_command_line_prints_bootstrap_and_not_rated_figures() {
    let sample = [
        "calibrate",
        "--rules",
        "examples/airline",
        "--survey",
        "examples/airline/survey-sample.csv",
        "--test",
        "examples/airline/survey-sample-test.csv",
        "--outcome",
        "satisfied",
    ];
    let run = |extra: &[&str]| {
        let out = common::vasrec(&[&sample[..], extra].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&["--bootstrap", "200"]);
    if let Some(difference) = golden(
        &root().join("tests/golden/calibrate_sample_bootstrap.txt"),
        &text,
    ) {
        panic!("{difference}");
    }
    let json = run(&[
        "--not-rated",
        "indicator",
        "--bootstrap",
        "50",
        "--seed",
        "3",
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 2);
    assert_eq!(value["bootstrap"]["seed"], 3);
    if let Some(difference) = golden(
        &root().join("tests/golden/calibrate_sample_indicator.json"),
        &json,
    ) {
        panic!("{difference}");
    }
    let out = common::vasrec(&[&sample[..], &["--not-rated", "listwise"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("[possible values: drop, indicator, impute]"),
        "{stderr}"
    );
}

/// A block of questions skipped together (food left unrated exactly where
/// wifi is) would give two equal indicator columns and a singular fit: the
/// two items share one indicator instead, and the fit goes through.
#[test]
fn items_skipped_together_share_one_indicator() {
    let text = survey_with_gaps(
        3_000,
        9,
        [1.0, 0.5, 0.25, 0.0],
        [0.0, 0.0, 0.0, 0.2],
        [0.0, 0.0, 0.0, 1.0],
    );
    let block: String = text
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            if cells[4] == "0" {
                cells[3] = "0";
            }
            cells.join(",") + "\n"
        })
        .collect();
    let report = run(&block, &with(NotRated::Indicator, 0, 1));
    let items = &report.overall.not_rated;
    assert_eq!(items.len(), 2, "{items:?}");
    let (food, wifi) = (&items[0], &items[1]);
    assert_eq!(
        (food.dimension.as_str(), wifi.dimension.as_str()),
        ("food", "wifi")
    );
    assert_eq!(food.rows, wifi.rows);
    assert!(food.indicator && wifi.indicator);
    assert_eq!(food.shared_with, None);
    assert_eq!(wifi.shared_with.as_deref(), Some("food"));
    assert_eq!(food.coefficient, wifi.coefficient);
    let c = food.coefficient.unwrap();
    assert!((c - 1.0).abs() < 4.0 * food.std_error.unwrap(), "{food:?}");
    assert!(report.to_table().contains("as food"));
}
