//! Synthetic surveys for the calibrate tests: a catalog of four dimensions
//! and respondents drawn from a known model.
#![allow(dead_code)]

use vasrec::Engine;
use vasrec::calibrate::SurveySpec;

/// A catalog whose four dimensions read survey columns named like a real
/// survey's, with 0 meaning "not rated"; the catalog's weights are deliberately
/// the reverse of the ones the synthetic data is made from.
pub const CATALOG: &str = r#"
package: synthetic
satisfaction:
  min: 1
  max: 5
  dimensions:
    - { id: seat, perception: seat }
    - { id: clean, perception: clean }
    - { id: food, perception: food }
    - { id: wifi, perception: wifi }
  weights: { seat: 0.1, clean: 0.2, food: 0.3, wifi: 0.4 }
services:
  - { id: s, name: S, category: convenience, stage: pre_sale, channel: online, participation: passive }
customer:
  id: rid
  attributes:
    - { name: rid, type: text, column: id }
    - { name: seat, type: number, column: Seat comfort, missing_values: ["0"] }
    - { name: clean, type: number, column: Cleanliness, missing_values: ["0"] }
    - { name: food, type: number, column: Food and drink, missing_values: ["0"] }
    - { name: wifi, type: number, column: Wifi, missing_values: ["0"] }
    - { name: happy, type: bool, column: satisfaction, true_values: [satisfied], false_values: [dissatisfied] }
"#;

pub const RULES: &str = "segment everyone { when true }\nrule r for everyone { offer s gain 1 }\n";

pub fn engine(catalog: &str) -> Engine {
    Engine::from_sources(catalog, &[("rules.vas", RULES)]).unwrap()
}

/// A small deterministic generator (Knuth's MMIX LCG) with normal draws by Box-Muller.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

pub const HEADER: &str =
    "id,Seat comfort,Cleanliness,Food and drink,Wifi,Group,satisfaction,score\n";

/// `rows` respondents with normal ratings; `outcome` turns the ratings and a
/// uniform draw into the satisfaction label and the numeric score.
pub fn survey_text(
    rows: usize,
    seed: u64,
    outcome: impl Fn(&[f64; 4], usize, f64) -> (bool, f64),
) -> String {
    let mut lcg = Lcg(seed);
    let mut text = String::from(HEADER);
    for i in 0..rows {
        let x = [lcg.normal(), lcg.normal(), lcg.normal(), lcg.normal()];
        let (happy, score) = outcome(&x, i, lcg.uniform());
        let label = if happy { "satisfied" } else { "dissatisfied" };
        let group = if i % 2 == 0 { "A" } else { "B" };
        text.push_str(&format!(
            "R{i},{:.6},{:.6},{:.6},{:.6},{group},{label},{score:.6}\n",
            x[0], x[1], x[2], x[3]
        ));
    }
    text
}

pub fn spec(outcome: &str) -> SurveySpec {
    SurveySpec {
        outcome: outcome.into(),
        ..SurveySpec::default()
    }
}

pub fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}
