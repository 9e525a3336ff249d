//! The calibration report as text tables and as a catalog fragment (the
//! JSON form is the report's serde shape; an error's text is
//! `calibrate::render_error`, beside the error).

use crate::analysis::calibrate::{
    CalibrationReport, HeldOutFit, NotRated, OutcomeKind, SegmentFit, WeightSource,
};
use crate::base::number::{count, fixed_or_dash};
use crate::base::table::Table;
use std::fmt::Write as _;

/// An optional statistic: `-` when there is none (or it is not finite).
pub(super) fn maybe(v: Option<f64>, places: usize) -> String {
    v.map_or_else(|| "-".into(), |v| fixed_or_dash(v, places))
}

/// An interval `low .. high`, or `-`.
pub(super) fn interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(low), Some(high)) => {
            format!("{} .. {}", fixed_or_dash(low, 3), fixed_or_dash(high, 3))
        }
        _ => "-".into(),
    }
}

impl WeightSource {
    pub(super) fn label(self, catalog: &str) -> String {
        match self {
            WeightSource::FittedModel => "fitted model (signed coefficients)".into(),
            WeightSource::FittedWeights => "fitted weights, as an index".into(),
            WeightSource::CorrelationWeights => "weights from r, as an index".into(),
            WeightSource::CatalogWeights => format!("catalog weights ({catalog}), as an index"),
            WeightSource::EqualWeights => "equal weights, as an index".into(),
        }
    }
}

impl CalibrationReport {
    /// The report as readable text tables.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        self.heading(&mut out);
        self.weights_table(&mut out);
        self.held_out_text(&mut out);
        if !self.segments.is_empty() {
            self.segment_weights_table(&mut out);
            self.segment_held_out_table(&mut out);
        }
        self.reliability_table(&mut out);
        self.dimension_reliability_table(&mut out);
        self.fuzzy_tables(&mut out);
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        out
    }

    /// What was fitted on what: the survey, the outcome and the method, the
    /// held-out rows, the rows used, and where the catalog's weights come from.
    fn heading(&self, out: &mut String) {
        let o = &self.outcome;
        let through = o
            .attribute
            .as_ref()
            .map_or(String::new(), |a| format!(" (attribute `{a}`)"));
        let (kind, method) = match o.kind {
            OutcomeKind::Binary => (
                format!("binary, 1 = `{}`", o.positive.as_deref().unwrap_or("1")),
                "logistic regression (Newton/IRLS)",
            ),
            OutcomeKind::Numeric => ("numeric".to_string(), "least squares"),
        };
        let _ = writeln!(
            out,
            "calibrate: package `{}`, survey {} ({} rows)",
            self.package,
            self.survey,
            count(self.survey_rows as u64)
        );
        let _ = writeln!(
            out,
            "outcome: `{}`{through}, {kind}; {method} on standardised ratings",
            o.column
        );
        let _ = writeln!(out, "held out: {}", self.held_out);
        let r = &self.rows;
        match self.not_rated {
            NotRated::Drop => writeln!(
                out,
                "rows: training {} of which {} complete, held out {} of which {} complete (listwise deletion: a row with a rating not rated or blank, or no outcome, is left out)",
                count(r.training as u64),
                count(r.training_complete as u64),
                count(r.test as u64),
                count(r.test_complete as u64),
            ),
            method => writeln!(
                out,
                "rows: training {} of which {} fitted ({} complete), held out {} of which {} scored ({} complete) ({}: a rating not rated or blank counts at its training mean{}; a row with no outcome is left out)",
                count(r.training as u64),
                count(r.training_used as u64),
                count(r.training_complete as u64),
                count(r.test as u64),
                count(r.test_used as u64),
                count(r.test_complete as u64),
                method.description(),
                if method == NotRated::Indicator {
                    ", with a not-rated indicator per item left unrated often enough"
                } else {
                    ""
                },
            ),
        }
        .unwrap_or_default();
        let _ = writeln!(out, "catalog weights: {}", self.catalog_weights);
    }

    /// The fit over all rows: each dimension's coefficient, interval and
    /// weights, beside the catalog's.
    fn weights_table(&self, out: &mut String) {
        let all = &self.overall;
        let r = &self.rows;
        let positives = all.positives.map_or(String::new(), |p| {
            format!(", {} with outcome 1", count(p as u64))
        });
        let _ = writeln!(
            out,
            "\nWeights, all rows ({} training rows{positives})",
            count(all.training_rows as u64)
        );
        let boot = self.bootstrap.is_some();
        let mut columns = vec!["dimension", "missing", "coef", "std err", "95% CI"];
        if boot {
            columns.push("bootstrap 95%");
        }
        columns.push("fitted");
        if boot {
            columns.push("fitted 95%");
        }
        columns.extend(["catalog", "r", "from r"]);
        let mut right = vec![true; columns.len()];
        right[0] = false;
        let mut t = Table::new(&columns, &right);
        for (i, d) in all.dimensions.iter().enumerate() {
            let mut row = vec![
                d.dimension.clone(),
                count(r.missing.get(i).copied().unwrap_or(0) as u64),
                fixed_or_dash(d.coefficient, 3),
                fixed_or_dash(d.std_error, 3),
                interval(Some(d.ci_low), Some(d.ci_high)),
            ];
            if boot {
                row.push(interval(d.bootstrap_low, d.bootstrap_high));
            }
            row.push(fixed_or_dash(d.fitted_weight, 3));
            if boot {
                row.push(interval(d.weight_bootstrap_low, d.weight_bootstrap_high));
            }
            row.extend([
                fixed_or_dash(d.catalog_weight, 3),
                maybe(d.correlation, 3),
                fixed_or_dash(d.correlation_weight, 3),
            ]);
            t.row(row);
        }
        out.push_str(&t.render());
        let effect = match self.outcome.kind {
            OutcomeKind::Binary => "change in log-odds",
            OutcomeKind::Numeric => "change in the outcome",
        };
        let _ = writeln!(
            out,
            "missing: training rows not rated or blank; outcome missing on {}",
            count(r.outcome_missing as u64)
        );
        let _ = writeln!(
            out,
            "coef: {effect} per standard deviation of the rating; 95% CI: analytic (Wald), coef ± 1.96 × standard error"
        );
        if let Some(b) = &self.bootstrap {
            let _ = writeln!(
                out,
                "bootstrap 95%: percentile interval (2.5% and 97.5% quantiles) over {} replicates, each the whole fit redone on as many training rows drawn with replacement (seed {}, {} failed); fitted 95%: the same for the weight",
                count(b.replicates as u64),
                b.seed,
                count(b.failed as u64)
            );
        }
        let _ = writeln!(
            out,
            "fitted = max(coef, 0) / sum of max(coef, 0); r = Pearson correlation with the outcome{}; from r = max(r, 0) / sum of max(r, 0)",
            if self.not_rated == NotRated::Drop {
                ""
            } else {
                " on the rows that rated the item"
            }
        );
        self.not_rated_table(out);
    }

    /// How well the model and each set of weights predict the held-out rows.
    fn held_out_text(&self, out: &mut String) {
        let all = &self.overall;
        let _ = writeln!(
            out,
            "\nHeld-out fit ({} {}rows)",
            count(all.test_rows as u64),
            if self.not_rated == NotRated::Drop {
                "complete "
            } else {
                ""
            }
        );
        out.push_str(&self.held_out_table(&all.held_out));
        let _ = writeln!(
            out,
            "an index scores a row as sum of weight × standardised rating; {}",
            match self.outcome.kind {
                OutcomeKind::Binary =>
                    "accuracy: positive at probability 0.5, from a one-variable logistic fit of the index on the training rows",
                OutcomeKind::Numeric =>
                    "R²: of a one-variable least squares fit of the index on the training rows",
            }
        );
        self.methods_text(out);
        self.scoring_text(out);
    }

    fn held_out_table(&self, fits: &[HeldOutFit]) -> String {
        let binary = self.outcome.kind == OutcomeKind::Binary;
        let mut t = if binary {
            Table::new(&["weights", "AUC", "accuracy"], &[false, true, true])
        } else {
            Table::new(&["weights", "R²"], &[false, true])
        };
        for f in fits {
            let mut row = vec![f.weights.label(&self.catalog_weights_short())];
            if binary {
                row.push(maybe(f.auc, 4));
                row.push(maybe(f.accuracy, 4));
            } else {
                row.push(maybe(f.r_squared, 4));
            }
            t.row(row);
        }
        t.render()
    }

    pub(super) fn catalog_weights_short(&self) -> String {
        if self.catalog_weights.starts_with("AHP") {
            "AHP".into()
        } else {
            "given".into()
        }
    }

    /// The column the segments come from, as the headings name it.
    fn segment_column(&self) -> &str {
        self.segment_by.as_deref().unwrap_or("segment")
    }

    /// The segments that could be fitted.
    fn fitted_segments(&self) -> Vec<&SegmentFit> {
        self.segments
            .iter()
            .filter_map(|s| s.fit.as_ref())
            .collect()
    }

    /// The fitted weights of all rows and of each fitted segment, side by side.
    fn segment_weights_table(&self, out: &mut String) {
        let fitted = self.fitted_segments();
        let _ = writeln!(out, "\nFitted weights by `{}`", self.segment_column());
        let mut header = vec!["dimension".to_string(), "all".to_string()];
        header.extend(fitted.iter().map(|f| f.segment.clone()));
        header.push("catalog".into());
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut right = vec![true; names.len()];
        right[0] = false;
        let mut t = Table::new(&names, &right);
        for (i, d) in self.overall.dimensions.iter().enumerate() {
            let mut row = vec![d.dimension.clone(), fixed_or_dash(d.fitted_weight, 3)];
            for f in &fitted {
                row.push(
                    f.dimensions
                        .get(i)
                        .map_or("-".into(), |x| fixed_or_dash(x.fitted_weight, 3)),
                );
            }
            row.push(fixed_or_dash(d.catalog_weight, 3));
            t.row(row);
        }
        out.push_str(&t.render());
    }

    /// The held-out fit of all rows and of each fitted segment, then the
    /// segments that could not be fitted, and why.
    fn segment_held_out_table(&self, out: &mut String) {
        let fitted = self.fitted_segments();
        let _ = writeln!(out, "\nHeld-out fit by `{}`", self.segment_column());
        let binary = self.outcome.kind == OutcomeKind::Binary;
        let columns: &[&str] = if binary {
            &[
                "segment",
                "training",
                "held out",
                "AUC model",
                "AUC fitted",
                "AUC catalog",
                "acc. model",
                "acc. fitted",
                "acc. catalog",
            ]
        } else {
            &[
                "segment",
                "training",
                "held out",
                "R² model",
                "R² fitted",
                "R² catalog",
            ]
        };
        let mut right = vec![true; columns.len()];
        right[0] = false;
        let mut t = Table::new(columns, &right);
        for f in std::iter::once(&self.overall).chain(fitted.iter().copied()) {
            let get = |source: WeightSource| f.held_out.iter().find(|h| h.weights == source);
            let sources = [
                WeightSource::FittedModel,
                WeightSource::FittedWeights,
                WeightSource::CatalogWeights,
            ];
            let mut row = vec![
                f.segment.clone(),
                count(f.training_rows as u64),
                count(f.test_rows as u64),
            ];
            if binary {
                row.extend(
                    sources
                        .iter()
                        .map(|&s| maybe(get(s).and_then(|h| h.auc), 4)),
                );
                row.extend(
                    sources
                        .iter()
                        .map(|&s| maybe(get(s).and_then(|h| h.accuracy), 4)),
                );
            } else {
                row.extend(
                    sources
                        .iter()
                        .map(|&s| maybe(get(s).and_then(|h| h.r_squared), 4)),
                );
            }
            t.row(row);
        }
        out.push_str(&t.render());
        for s in &self.segments {
            if let Some(problem) = &s.problem {
                let _ = writeln!(out, "segment `{}` not fitted: {problem}", s.segment);
            }
        }
    }

    fn reliability_table(&self, out: &mut String) {
        let Some(r) = &self.reliability else { return };
        let _ = writeln!(
            out,
            "\nReliability of the dimension set ({} rows with every rating)",
            count(r.rows as u64)
        );
        let _ = writeln!(
            out,
            "Cronbach's alpha {:.3}: {} (reading: 0.9 excellent, 0.8 good, 0.7 acceptable, 0.6 questionable, 0.5 poor, below unacceptable)",
            r.alpha, r.reading
        );
        let mut t = Table::new(
            &["dimension", "alpha if deleted", "item-total r", "note"],
            &[false, true, true, false],
        );
        for (d, item) in self.overall.dimensions.iter().zip(&r.items) {
            let mut remarks = Vec::new();
            if item.alpha_if_deleted.is_some_and(|a| a > r.alpha) {
                remarks.push("alpha rises without it");
            }
            if item.item_total.is_some_and(|c| c < 0.3) {
                remarks.push("weak (below 0.3)");
            }
            t.row(vec![
                d.dimension.clone(),
                maybe(item.alpha_if_deleted, 3),
                maybe(item.item_total, 3),
                remarks.join(", "),
            ]);
        }
        out.push_str(&t.render());
        let _ = writeln!(
            out,
            "item-total r: corrected, the item against the sum of the other items"
        );
    }

    /// Each multi-item dimension's alpha, and a warning for those whose
    /// items disagree.
    fn dimension_reliability_table(&self, out: &mut String) {
        if self.dimension_reliability.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nReliability of each multi-item dimension (Cronbach's alpha of its items, over the rows that rate them all)"
        );
        let mut t = Table::new(
            &[
                "dimension",
                "items",
                "rows",
                "alpha",
                "reading",
                "weakest item (item-total r)",
            ],
            &[false, true, true, true, false, false],
        );
        for d in &self.dimension_reliability {
            // With two items both have the same item-total r: no weakest.
            let weakest = d
                .items
                .iter()
                .filter(|_| d.items.len() >= 3)
                .zip(&d.item_figures)
                .filter_map(|(name, f)| Some((f.item_total?, name)))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or("-".to_string(), |(r, name)| format!("{name} ({r:.3})"));
            t.row(vec![
                d.dimension.clone(),
                d.items.len().to_string(),
                count(d.rows as u64),
                maybe(d.alpha, 3),
                d.reading.clone().unwrap_or_else(|| "-".into()),
                weakest,
            ]);
        }
        out.push_str(&t.render());
        for d in &self.dimension_reliability {
            if let (true, Some(alpha)) = (d.warning, d.alpha) {
                let _ = writeln!(
                    out,
                    "warning: dimension `{}`: its items disagree (alpha {alpha:.3}, below {}, the usual threshold): \
                     averaging them may mix different things; check the items, or split the dimension",
                    d.dimension,
                    crate::analysis::calibrate::ALPHA_THRESHOLD
                );
            }
        }
    }

    fn fuzzy_tables(&self, out: &mut String) {
        let Some(f) = &self.fuzzy else { return };
        let grades: Vec<String> = f.grades.iter().map(|g| fixed_or_dash(*g, 0)).collect();
        let _ = writeln!(
            out,
            "\nFuzzy comprehensive evaluation, catalog weights, grades {}",
            grades.join(" ")
        );
        if let Some(all) = f.segments.first() {
            let _ = writeln!(
                out,
                "R, all rows: share of each dimension's ratings at each grade"
            );
            let mut header = vec!["dimension".to_string(), "weight".to_string()];
            header.extend(grades.iter().cloned());
            let names: Vec<&str> = header.iter().map(String::as_str).collect();
            let mut right = vec![true; names.len()];
            right[0] = false;
            let mut t = Table::new(&names, &right);
            for (d, row) in self.overall.dimensions.iter().zip(&all.membership) {
                let mut cells = vec![d.dimension.clone(), fixed_or_dash(d.catalog_weight, 3)];
                cells.extend(row.iter().map(|m| fixed_or_dash(*m, 3)));
                t.row(cells);
            }
            out.push_str(&t.render());
        }
        let _ = writeln!(out, "B = W·R");
        let mut header = vec!["segment".to_string(), "rows".into(), "operator".into()];
        header.extend(grades.iter().cloned());
        header.push("grade".into());
        header.push("score".into());
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut right = vec![true; names.len()];
        right[0] = false;
        right[2] = false;
        let mut t = Table::new(&names, &right);
        for s in &f.segments {
            for (operator, result) in [
                ("M(·,+)", &s.evaluation.weighted_average),
                ("M(∧,∨)", &s.evaluation.max_min),
            ] {
                let mut cells = vec![s.segment.clone(), count(s.rows as u64), operator.into()];
                cells.extend(result.memberships.iter().map(|m| fixed_or_dash(*m, 3)));
                cells.push(result.grade.map_or("tie".into(), |g| fixed_or_dash(g, 0)));
                cells.push(fixed_or_dash(result.score, 3));
                t.row(cells);
            }
        }
        out.push_str(&t.render());
        let _ = writeln!(
            out,
            "M(·,+): b_j = sum of w_i × r_ij; M(∧,∨): b_j = max of min(w_i, r_ij), then B / sum(B); grade: largest b_j (tie: several share it); score: sum of b_j × grade_j"
        );
    }

    /// The fitted weights as a catalog fragment (YAML) to put under
    /// `satisfaction:` in place of `ahp:` or `weights:`; `None` when no
    /// coefficient is positive.
    pub fn weights_yaml(&self) -> Option<String> {
        let dimensions = &self.overall.dimensions;
        if !dimensions.iter().any(|d| d.fitted_weight > 0.0) {
            return None;
        }
        let clean = |text: &str| text.replace(['\n', '\r'], " ");
        let held_out = |source| {
            self.overall
                .held_out
                .iter()
                .find(|h| h.weights == source)
                .and_then(|h| h.auc.or(h.r_squared))
        };
        let measure = match self.outcome.kind {
            OutcomeKind::Binary => "AUC",
            OutcomeKind::Numeric => "R²",
        };
        let mut out = String::new();
        let rows = match self.not_rated {
            NotRated::Drop => format!("{} complete rows", self.overall.training_rows),
            method => format!(
                "{} rows, not rated: {}",
                self.overall.training_rows,
                method.description()
            ),
        };
        let _ = writeln!(
            out,
            "# Dimension weights fitted by `vasrec calibrate` from {} ({rows}),",
            clean(&self.survey),
        );
        let _ = writeln!(
            out,
            "# outcome `{}`; weight = max(coef, 0) / sum of max(coef, 0) on standardised ratings.",
            clean(&self.outcome.column)
        );
        let _ = writeln!(
            out,
            "# Held-out {measure}: {} with these weights, {} with the catalog's ({}).",
            maybe(held_out(WeightSource::FittedWeights), 4),
            maybe(held_out(WeightSource::CatalogWeights), 4),
            clean(&self.catalog_weights)
        );
        if self.overall.not_rated.iter().any(|i| i.indicator) {
            let _ = writeln!(
                out,
                "# The not-rated indicators' coefficients are offsets for a missing answer, not weights: left out."
            );
        }
        let _ = writeln!(
            out,
            "# To use them, put this `weights:` block under `satisfaction:` in catalog.yaml\n# in place of `ahp:` (or the old `weights:`)."
        );
        out.push_str("satisfaction:\n  weights:\n");
        for d in dimensions {
            let key = if crate::package::catalog::is_identifier(&d.dimension) {
                d.dimension.clone()
            } else {
                serde_json::to_string(&d.dimension).unwrap_or_default()
            };
            let _ = writeln!(out, "    {key}: {:.4}", d.fitted_weight);
        }
        Some(out)
    }
}
