//! The numbers of the JSON reports without the noise of binary arithmetic.
//!
//! The reports keep exact f64 values (tests compare them with the
//! evaluator's to the bit); only their serde form is tidied, field by field,
//! with `#[serde(serialize_with = "tidy")]`, so that `explain --format json`
//! writes `0.2` where the arithmetic left `0.19999999999999998`.

use crate::base::number::without_noise;
use serde::{Serialize, Serializer};

/// A value whose numbers can be written without noise.
pub(crate) trait Tidy {
    /// The value with every number passed through `without_noise`.
    fn tidy(&self) -> Self;
}

impl Tidy for f64 {
    fn tidy(&self) -> f64 {
        without_noise(*self)
    }
}

impl<T: Tidy> Tidy for Option<T> {
    fn tidy(&self) -> Self {
        self.as_ref().map(Tidy::tidy)
    }
}

impl<T: Tidy> Tidy for Vec<T> {
    fn tidy(&self) -> Self {
        self.iter().map(Tidy::tidy).collect()
    }
}

/// Serialises a field's numbers without noise (`serialize_with`).
pub(crate) fn tidy<T: Tidy + Serialize, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.tidy().serialize(serializer)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Figures {
        #[serde(serialize_with = "super::tidy")]
        one: f64,
        #[serde(serialize_with = "super::tidy")]
        maybe: Option<f64>,
        #[serde(serialize_with = "super::tidy")]
        matrix: Vec<Vec<f64>>,
    }

    #[test]
    fn fields_are_written_without_noise() {
        let figures = Figures {
            one: 0.1 + 0.2,
            maybe: Some(4.5 * 0.36),
            matrix: vec![vec![0.19999999999999998, 2.5], vec![]],
        };
        assert_eq!(
            serde_json::to_string(&figures).unwrap(),
            r#"{"one":0.3,"maybe":1.62,"matrix":[[0.2,2.5],[]]}"#
        );
    }

    /// The report types themselves use it: a calibration result, a trace and
    /// a rule test's offer.
    #[test]
    fn report_types_are_written_without_noise() {
        let fuzzy = crate::analysis::calibrate::stats::FuzzyResult {
            memberships: vec![0.19999999999999998, 0.8000000000000002],
            grade: Some(0.1 + 0.2),
            score: 4.5 * 0.36,
        };
        assert_eq!(
            serde_json::to_string(&fuzzy).unwrap(),
            r#"{"memberships":[0.2,0.8],"grade":0.3,"score":1.62}"#
        );
        let holder = crate::analysis::trace::SlotHolder {
            service: "s".into(),
            rule: "r".into(),
            gain: 4.5 * 0.36,
        };
        assert_eq!(
            serde_json::to_string(&holder).unwrap(),
            r#"{"service":"s","rule":"r","gain":1.62}"#
        );
        let offer = crate::analysis::testing::ActualOffer {
            service: "s".into(),
            gain: 4.5 * 0.36,
            rule: "r".into(),
        };
        assert_eq!(
            serde_json::to_string(&offer).unwrap(),
            r#"{"service":"s","gain":1.62,"rule":"r"}"#
        );
    }
}
