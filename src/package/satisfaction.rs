//! The catalog's `satisfaction:` section as written: the scale, the
//! dimensions, their weights (given or as an AHP matrix) and the loyalty
//! conversion graph. Checked and turned into numbers by `model`.

use serde::{Deserialize, Serialize};

/// The scale satisfaction is measured on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Satisfaction {
    /// Lowest score.
    #[serde(default)]
    pub min: f64,
    /// Highest score.
    #[serde(default = "default_scale_max")]
    pub max: f64,
    /// Number attribute holding the customer's current overall satisfaction.
    #[serde(default)]
    pub current: Option<String>,
    /// Dimensions of the satisfaction index.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Dimension weights given directly (normalised to sum to 1).
    #[serde(default)]
    pub weights: Option<std::collections::BTreeMap<String, f64>>,
    /// Or an AHP pairwise comparison matrix, rows and columns in dimension order.
    #[serde(default)]
    pub ahp: Option<Vec<Vec<Judgement>>>,
    /// How satisfaction converts into loyalty outcomes.
    #[serde(default)]
    pub loyalty: Option<LoyaltySpec>,
}

impl Default for Satisfaction {
    fn default() -> Self {
        Satisfaction {
            min: 0.0,
            max: default_scale_max(),
            current: None,
            dimensions: Vec::new(),
            weights: None,
            ahp: None,
            loyalty: None,
        }
    }
}

fn default_scale_max() -> f64 {
    100.0
}

/// A dimension of the satisfaction index.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Identifier used in weights and service effects.
    pub id: String,
    /// Name shown to people.
    #[serde(default)]
    pub name: Option<String>,
    /// Preference (`pref.NAME`) holding how much the customer cares (0 to 1).
    #[serde(default)]
    pub preference: Option<String>,
    /// Number attribute with the customer's current score on the dimension (perception).
    #[serde(default)]
    pub perception: Option<String>,
    /// Number attribute with the customer's expectation on the dimension.
    #[serde(default)]
    pub expectation: Option<String>,
}

/// An AHP judgement: a number, or a fraction written as text (`"1/5"`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Judgement {
    /// A number such as `3`.
    Number(f64),
    /// A fraction such as `"1/5"`.
    Text(String),
}

impl Judgement {
    /// The judgement's number; `None` for a text that is not a number or a fraction.
    pub(crate) fn value(&self) -> Option<f64> {
        match self {
            Judgement::Number(n) => Some(*n),
            Judgement::Text(t) => match t.split_once('/') {
                Some((a, b)) => Some(a.trim().parse::<f64>().ok()? / b.trim().parse::<f64>().ok()?),
                None => t.trim().parse().ok(),
            },
        }
    }
}

/// The conversion graph as written in the catalog.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltySpec {
    /// Links `from -> to` with a coefficient (outcome points per point of `from`).
    pub links: Vec<Link>,
    /// The nodes reported as loyalty outcomes.
    pub outcomes: Vec<String>,
}

/// One link of the conversion graph.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Source node (`satisfaction` or an intermediate such as `trust`).
    pub from: String,
    /// Target node.
    pub to: String,
    /// How much `to` moves per point of `from`.
    pub coefficient: f64,
}
