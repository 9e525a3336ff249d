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
    /// Number attribute(s) with the customer's current score on the dimension
    /// (perception): one name, a list, or a map of names to weights.
    #[serde(default)]
    pub perception: Option<Items>,
    /// Number attribute(s) with the customer's expectation on the dimension.
    #[serde(default)]
    pub expectation: Option<Items>,
}

/// The attributes a dimension's perception (or expectation) is read from, as
/// written: one name (`seat_comfort`), a list whose items count alike
/// (`[seat_comfort, legroom]`), or a map of names to weights
/// (`{ seat_comfort: 2, legroom: 1 }`). A survey measures a dimension with
/// several items (SERVQUAL: 22 items over 5 dimensions); the dimension's
/// score is their weighted mean over the items a customer rated.
#[derive(Debug, Clone, PartialEq)]
pub enum Items {
    /// One attribute.
    One(String),
    /// Several, weighted alike.
    List(Vec<String>),
    /// Several, each with its weight, in the order written.
    Weighted(Vec<(String, f64)>),
}

impl Items {
    /// Each item: its attribute, its weight (1 unless given), and the key
    /// path of what names it, after the dimension's key (`perception`,
    /// `perception[1]`, `perception.legroom`).
    pub fn items<'a>(&'a self, key: &'a str) -> Vec<(&'a str, f64, String)> {
        match self {
            Items::One(name) => vec![(name.as_str(), 1.0, key.to_string())],
            Items::List(names) => names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.as_str(), 1.0, format!("{key}[{i}]")))
                .collect(),
            Items::Weighted(pairs) => pairs
                .iter()
                .map(|(name, weight)| (name.as_str(), *weight, format!("{key}.{name}")))
                .collect(),
        }
    }

    /// Whether the form allows several items (a list or a map), whatever
    /// its length.
    pub fn is_several(&self) -> bool {
        !matches!(self, Items::One(_))
    }
}

impl Serialize for Items {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Items::One(name) => serializer.serialize_str(name),
            Items::List(names) => names.serialize(serializer),
            Items::Weighted(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (name, weight) in pairs {
                    map.serialize_entry(name, weight)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemsVisitor)
    }
}

/// Reads the three forms by what the YAML holds, keeping a map's order
/// (a `BTreeMap` would sort the items, and messages name them as written).
struct ItemsVisitor;

impl<'de> serde::de::Visitor<'de> for ItemsVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "an attribute name, a list of attribute names, or a map of attribute names to weights",
        )
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Items, E> {
        Ok(Items::One(v.to_string()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element::<String>()? {
            names.push(name);
        }
        Ok(Items::List(names))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Items, A::Error> {
        let mut pairs = Vec::new();
        while let Some((name, weight)) = map.next_entry::<String, f64>()? {
            pairs.push((name, weight));
        }
        Ok(Items::Weighted(pairs))
    }
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
