//! The parts of the calibration report about ratings not rated: what the
//! fit did with each item, listwise deletion beside the chosen method, and
//! how a row with an item not rated is scored.

use super::calibrate::{interval, maybe};
use crate::analysis::calibrate::{
    CalibrationReport, MIN_INDICATOR_CLASS, MIN_INDICATOR_ROWS, NotRated, OutcomeKind,
};
use crate::base::number::count;
use crate::base::table::Table;
use std::fmt::Write as _;

impl NotRated {
    /// What the method does, in a few words.
    pub(super) fn description(self) -> &'static str {
        match self {
            NotRated::Drop => "listwise deletion",
            NotRated::Indicator => "indicators",
            NotRated::Impute => "mean imputation",
        }
    }
}

impl CalibrationReport {
    /// What the fit did with each item's not-rated rows (not for `drop`).
    pub(super) fn not_rated_table(&self, out: &mut String) {
        let items = &self.overall.not_rated;
        if self.not_rated == NotRated::Drop || items.is_empty() {
            return;
        }
        let boot = self.bootstrap.is_some();
        let _ = writeln!(
            out,
            "\nNot rated ({}): training rows that did not rate each item",
            self.not_rated.description()
        );
        let mut columns = vec![
            "dimension",
            "not rated",
            "indicator",
            "coef",
            "std err",
            "95% CI",
        ];
        if boot {
            columns.push("bootstrap 95%");
        }
        let mut right = vec![true; columns.len()];
        right[0] = false;
        right[2] = false;
        let mut t = Table::new(&columns, &right);
        for item in items {
            let mut row = vec![
                item.dimension.clone(),
                count(item.rows as u64),
                match (&item.shared_with, item.indicator) {
                    (Some(first), _) => format!("as {first}"),
                    (None, true) => "yes".into(),
                    (None, false) => "no, mean".into(),
                },
                maybe(item.coefficient, 3),
                maybe(item.std_error, 3),
                interval(item.ci_low, item.ci_high),
            ];
            if boot {
                row.push(interval(item.bootstrap_low, item.bootstrap_high));
            }
            t.row(row);
        }
        out.push_str(&t.render());
        if self.not_rated == NotRated::Indicator {
            let effect = match self.outcome.kind {
                OutcomeKind::Binary => "change in log-odds",
                OutcomeKind::Numeric => "change in the outcome",
            };
            let _ = writeln!(
                out,
                "coef: {effect} of not rating the item against rating it at its training mean; an offset for that answer, not a dimension weight: the fitted weights come from the ratings' coefficients alone"
            );
            if items.iter().any(|i| i.shared_with.is_some()) {
                let _ = writeln!(
                    out,
                    "as X: left unrated on the same training rows as X, so one indicator stands for both (1 when either is not rated)"
                );
            }
            let _ = writeln!(
                out,
                "no, mean: fewer than {MIN_INDICATOR_ROWS} training rows did not rate the item, or (binary outcome) fewer than {MIN_INDICATOR_CLASS} of them had either outcome; those rows count the item at its mean"
            );
        }
    }

    /// Listwise deletion beside the chosen method, on the held-out rows.
    pub(super) fn methods_text(&self, out: &mut String) {
        let [drop, chosen] = &self.methods[..] else {
            return;
        };
        let binary = self.outcome.kind == OutcomeKind::Binary;
        let (a, b) = (drop.method.name(), chosen.method.name());
        let _ = writeln!(
            out,
            "\nHeld-out fit: {} beside {}",
            drop.method.description(),
            chosen.method.description()
        );
        let names: Vec<String> = if binary {
            vec![
                "weights".into(),
                format!("AUC {a}"),
                format!("AUC {b}"),
                format!("acc. {a}"),
                format!("acc. {b}"),
            ]
        } else {
            vec!["weights".into(), format!("R² {a}"), format!("R² {b}")]
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut right = vec![true; names.len()];
        right[0] = false;
        let mut t = Table::new(&names, &right);
        for (x, y) in drop.held_out.iter().zip(&chosen.held_out) {
            let mut row = vec![x.weights.label(&self.catalog_weights_short())];
            if binary {
                row.extend([
                    maybe(x.auc, 4),
                    maybe(y.auc, 4),
                    maybe(x.accuracy, 4),
                    maybe(y.accuracy, 4),
                ]);
            } else {
                row.extend([maybe(x.r_squared, 4), maybe(y.r_squared, 4)]);
            }
            t.row(row);
        }
        out.push_str(&t.render());
        let _ = writeln!(
            out,
            "rows: {a} fits {} training rows and scores {} held-out rows; {b} fits {} and scores {}",
            count(drop.training_rows as u64),
            count(drop.test_rows as u64),
            count(chosen.training_rows as u64),
            count(chosen.test_rows as u64),
        );
        let (measure, x, y) = if binary {
            (
                "AUC",
                drop.model_on_complete_rows.auc,
                chosen.model_on_complete_rows.auc,
            )
        } else {
            (
                "R²",
                drop.model_on_complete_rows.r_squared,
                chosen.model_on_complete_rows.r_squared,
            )
        };
        let _ = writeln!(
            out,
            "like for like, on the {} complete held-out rows both score: the fitted model's {measure} is {} with {a} and {} with {b}",
            count(self.rows.test_complete as u64),
            maybe(x, 4),
            maybe(y, 4),
        );
    }

    /// How a held-out (or new) row with an item not rated is scored.
    pub(super) fn scoring_text(&self, out: &mut String) {
        let r = &self.rows;
        let _ = match self.not_rated {
            NotRated::Drop => writeln!(
                out,
                "scoring: a held-out row with an item not rated gets no score ({} of {} here); `--not-rated indicator` scores them",
                count((r.test - r.test_complete) as u64),
                count(r.test as u64)
            ),
            NotRated::Indicator => writeln!(
                out,
                "scoring: in a held-out or new row, an item not rated counts at its training mean (z = 0) plus its indicator's coefficient; an item with no indicator counts at its mean alone ({} held-out rows had one); in an index (weights × z) an item not rated adds nothing",
                count(self.overall.test_rows_imputed as u64)
            ),
            NotRated::Impute => writeln!(
                out,
                "scoring: in a held-out or new row, an item not rated counts at its training mean (z = 0): it adds nothing to the model or to an index"
            ),
        };
    }
}
