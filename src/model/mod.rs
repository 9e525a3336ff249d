//! The satisfaction model: how much a service is expected to raise a
//! customer's satisfaction.
//!
//! In: the catalog's `satisfaction` section (dimensions, weights given
//! directly or by AHP) and the services' `effects`. Out: a checked [`Model`]
//! whose formulas turn a service's effects and a customer's preferences,
//! perceptions and expectations into an expected gain, and stack several
//! offers with diminishing returns. README documents every formula with a
//! worked example that a test checks.

pub mod ahp;
pub mod loyalty;

use crate::base::diagnostic::{Code, did_you_mean};
use crate::package::catalog::{AttributeKind, Catalog};
use crate::package::satisfaction::{Judgement, Satisfaction};
use serde::Serialize;
use std::collections::BTreeMap;

/// A problem with the model in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    /// Diagnostic code.
    pub code: Code,
    /// What is wrong.
    pub text: String,
    /// What to do.
    pub help: Option<String>,
    /// The key path of the value at fault in catalog.yaml
    /// (`satisfaction.ahp[2][0]`, `services[3].effects.speed`).
    pub path: String,
    /// Whether the key itself is at fault (a name that does not exist),
    /// rather than its value.
    pub key: bool,
}

/// One dimension, checked.
#[derive(Debug, Clone, Serialize)]
pub struct ModelDimension {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Weight; all weights sum to 1.
    pub weight: f64,
    #[serde(skip)]
    pub(crate) preference: Option<String>,
    /// The perception items: attribute and weight (empty when none is named).
    #[serde(skip)]
    pub(crate) perception: Vec<(String, f64)>,
    /// The expectation items, likewise.
    #[serde(skip)]
    pub(crate) expectation: Vec<(String, f64)>,
}

impl ModelDimension {
    /// The perception items (attribute, weight), in the order written.
    pub fn perception_items(&self) -> &[(String, f64)] {
        &self.perception
    }

    /// The expectation items (attribute, weight), in the order written.
    pub fn expectation_items(&self) -> &[(String, f64)] {
        &self.expectation
    }
}

/// Largest weight of one item of a dimension: weights are relative, and a
/// bound keeps their sum finite.
pub const MAX_ITEM_WEIGHT: f64 = 1_000_000.0;

/// The items as the model computes with them.
fn item_list(items: Option<&crate::package::satisfaction::Items>) -> Vec<(String, f64)> {
    items.map_or_else(Vec::new, |items| {
        items
            .items("")
            .into_iter()
            .map(|(name, weight, _)| (name.to_string(), weight))
            .collect()
    })
}

/// The checked satisfaction model.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Dimensions with their weights.
    pub dimensions: Vec<ModelDimension>,
    /// The AHP figures, when the weights came from a comparison matrix.
    pub ahp: Option<ahp::AhpResult>,
    /// Lowest and highest score of the scale.
    pub scale: (f64, f64),
    /// Loyalty outcome factors, when the catalog has a conversion graph.
    pub loyalty: Option<loyalty::Loyalty>,
}

impl Model {
    /// Checks the catalog's model; `Ok(None)` when it declares no dimensions.
    pub fn new(catalog: &Catalog) -> Result<Option<Model>, Vec<ModelError>> {
        let s = &catalog.satisfaction;
        let mut errors = Vec::new();
        let ids: Vec<&str> = s.dimensions.iter().map(|d| d.id.as_str()).collect();
        check_effects(catalog, &ids, &mut errors);
        if s.dimensions.is_empty() {
            if s.weights.is_some() || s.ahp.is_some() || s.loyalty.is_some() {
                fail(
                    &mut errors,
                    Code::InvalidCatalog,
                    "`satisfaction` has weights or loyalty links but no `dimensions`".into(),
                    Some("list the dimensions under `satisfaction.dimensions`".into()),
                    if s.weights.is_some() {
                        "satisfaction.weights"
                    } else if s.ahp.is_some() {
                        "satisfaction.ahp"
                    } else {
                        "satisfaction.loyalty"
                    },
                );
            }
            return if errors.is_empty() {
                Ok(None)
            } else {
                Err(errors)
            };
        }
        check_dimensions(catalog, &mut errors);
        check_current(catalog, &mut errors);
        let (weights, ahp) = weigh(s, &ids, &mut errors);
        let loyalty = loyalty_factors(s, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let dimensions = s
            .dimensions
            .iter()
            .zip(weights)
            .map(|(d, weight)| ModelDimension {
                id: d.id.clone(),
                name: d.name.clone().unwrap_or_else(|| d.id.clone()),
                weight,
                preference: d.preference.clone(),
                perception: item_list(d.perception.as_ref()),
                expectation: item_list(d.expectation.as_ref()),
            })
            .collect();
        Ok(Some(Model {
            dimensions,
            ahp,
            scale: (s.min, s.max),
            loyalty,
        }))
    }
}

/// Records one problem; every step keeps going after a problem so that an
/// author sees all of them at once.
fn fail(errors: &mut Vec<ModelError>, code: Code, text: String, help: Option<String>, path: &str) {
    errors.push(ModelError {
        code,
        text,
        help,
        path: path.to_string(),
        key: false,
    });
}

/// Like [`fail`], for a key that names something that does not exist.
fn fail_key(
    errors: &mut Vec<ModelError>,
    code: Code,
    text: String,
    help: Option<String>,
    path: &str,
) {
    fail(errors, code, text, help, path);
    if let Some(last) = errors.last_mut() {
        last.key = true;
    }
}

/// Services' effects are checked even when the catalog has no dimensions,
/// since an effect on an undeclared dimension would otherwise be dropped
/// without a word.
fn check_effects(catalog: &Catalog, ids: &[&str], errors: &mut Vec<ModelError>) {
    for (i, service) in catalog.services.iter().enumerate() {
        for (dimension, effect) in &service.effects {
            let path = format!("services[{i}].effects.{dimension}");
            if !ids.contains(&dimension.as_str()) {
                fail_key(
                    errors,
                    Code::UnknownDimension,
                    format!(
                        "service `{}` has an effect on `{dimension}`, which is not a satisfaction dimension",
                        service.id
                    ),
                    did_you_mean(dimension, ids.iter().copied())
                        .or_else(|| Some("declare it under `satisfaction.dimensions`".into())),
                    &path,
                );
            }
            if !(effect.is_finite() && *effect >= 0.0) {
                fail(
                    errors,
                    Code::InvalidCatalog,
                    format!(
                        "service `{}`: the effect on `{dimension}` must be a number of 0 or more",
                        service.id
                    ),
                    None,
                    &path,
                );
            }
        }
    }
}

/// The gain formulas read each dimension's perception and expectation as
/// numbers and its preference as a weight, so every link must lead to a
/// customer value of the right kind.
fn check_dimensions(catalog: &Catalog, errors: &mut Vec<ModelError>) {
    let preferences = &catalog.customer.preferences;
    // Looked up once per item: a dimension may list many items, so a scan
    // of the attributes per item could be quadratic in a hostile catalog.
    let kinds: std::collections::HashMap<&str, &AttributeKind> = catalog
        .customer
        .attributes
        .iter()
        .rev()
        .map(|a| (a.name.as_str(), &a.kind))
        .collect();
    let mut seen = Vec::new();
    for (k, d) in catalog.satisfaction.dimensions.iter().enumerate() {
        let at = format!("satisfaction.dimensions[{k}]");
        if seen.contains(&d.id.as_str()) {
            fail(
                errors,
                Code::DuplicateName,
                format!("dimension `{}` is listed twice", d.id),
                None,
                &format!("{at}.id"),
            );
        }
        seen.push(&d.id);
        let mut named = std::collections::HashSet::new();
        for (what, items) in [
            ("perception", &d.perception),
            ("expectation", &d.expectation),
        ] {
            let Some(items) = items else { continue };
            check_items(catalog, &kinds, &d.id, &at, what, items, &mut named, errors);
        }
        if let Some(p) = &d.preference
            && !preferences.iter().any(|x| &x.name == p)
        {
            fail(
                errors,
                Code::UnknownPreference,
                format!(
                    "dimension `{}`: `preference` names `{p}`, which is not a customer preference",
                    d.id
                ),
                did_you_mean(p, preferences.iter().map(|x| x.name.as_str())),
                &format!("{at}.preference"),
            );
        }
    }
}

/// One dimension's perception (or expectation) items: each must be a number
/// attribute, named once in the dimension (an item in both the perception
/// and the expectation would make the gap 0 for everyone), with a weight
/// above 0; a list or map must name at least one.
#[allow(clippy::too_many_arguments)]
fn check_items<'a>(
    catalog: &Catalog,
    kinds: &std::collections::HashMap<&str, &AttributeKind>,
    id: &str,
    at: &str,
    what: &'a str,
    items: &'a crate::package::satisfaction::Items,
    named: &mut std::collections::HashSet<&'a str>,
    errors: &mut Vec<ModelError>,
) {
    let attributes = &catalog.customer.attributes;
    let list = items.items(what);
    if list.is_empty() {
        fail(
            errors,
            Code::InvalidCatalog,
            format!("dimension `{id}`: `{what}` lists no items"),
            Some(format!(
                "name at least one number attribute, or leave `{what}` out"
            )),
            &format!("{at}.{what}"),
        );
    }
    let weighted = matches!(items, crate::package::satisfaction::Items::Weighted(_));
    let before = errors.len();
    let mut held_back = 0usize;
    for (name, weight, path) in list {
        // Past a few, the rest are counted: a generated list of thousands
        // of wrong items would otherwise bury the report (and its rendering).
        if errors.len() - before >= MAX_ITEM_ERRORS {
            let at_fault = named.contains(name)
                || kinds.get(name).is_none_or(|k| **k != AttributeKind::Number)
                || (weighted && !(weight.is_finite() && weight > 0.0 && weight <= MAX_ITEM_WEIGHT));
            named.insert(name);
            held_back += usize::from(at_fault);
            continue;
        }
        let path = format!("{at}.{path}");
        // A map's item is named by its key; a list's or a single item by its value.
        let name_at = |errors: &mut Vec<ModelError>, code, text, help| {
            fail(errors, code, text, help, &path);
            if let Some(last) = errors.last_mut() {
                last.key = weighted;
            }
        };
        if !named.insert(name) {
            name_at(
                errors,
                Code::DuplicateName,
                format!("dimension `{id}`: `{name}` is named twice as an item"),
                Some(
                    "name each item once; an item in both `perception` and `expectation` \
                     would make the gap 0 for everyone"
                        .into(),
                ),
            );
            continue;
        }
        match kinds.get(name) {
            Some(kind) if **kind == AttributeKind::Number => {}
            Some(_) => name_at(
                errors,
                Code::TypeMismatch,
                format!(
                    "dimension `{id}`: `{what}` names `{name}`, which is not a number attribute"
                ),
                None,
            ),
            None => name_at(
                errors,
                Code::UnknownAttribute,
                format!(
                    "dimension `{id}`: `{what}` names `{name}`, which is not a customer attribute"
                ),
                did_you_mean(name, attributes.iter().map(|a| a.name.as_str())),
            ),
        }
        if weighted && !(weight.is_finite() && weight > 0.0 && weight <= MAX_ITEM_WEIGHT) {
            fail(
                errors,
                Code::InvalidCatalog,
                format!(
                    "dimension `{id}`: the weight of `{name}` in `{what}` is {weight}; it must be above 0 and at most 1,000,000"
                ),
                Some(
                    "weights are relative (`{ a: 2, b: 1 }` counts `a` twice); leave an item \
                     out rather than weigh it 0"
                        .into(),
                ),
                &path,
            );
        }
    }
    if held_back > 0 {
        fail(
            errors,
            Code::InvalidCatalog,
            format!(
                "dimension `{id}`: {held_back} more items of `{what}` are at fault (only the first {MAX_ITEM_ERRORS} are shown)"
            ),
            Some("fix the items shown, then check again".into()),
            &format!("{at}.{what}"),
        );
    }
}

/// Most problems reported for one dimension's perception (or expectation)
/// items; the rest are counted in one more.
const MAX_ITEM_ERRORS: usize = 10;

/// The current satisfaction is where a gain starts from, so it must be a
/// number attribute.
fn check_current(catalog: &Catalog, errors: &mut Vec<ModelError>) {
    if let Some(current) = &catalog.satisfaction.current
        && !catalog
            .customer
            .attributes
            .iter()
            .any(|a| &a.name == current && a.kind == AttributeKind::Number)
    {
        fail(
            errors,
            Code::UnknownAttribute,
            format!("`satisfaction.current` names `{current}`, which is not a number attribute"),
            None,
            "satisfaction.current",
        );
    }
}

/// The weights come from exactly one source, given directly or derived by
/// AHP; with both or neither the author's intent is unclear, so nothing is
/// guessed. Returns the weights in the order of `ids` (empty on a problem)
/// and the AHP figures when they were used.
fn weigh(
    s: &Satisfaction,
    ids: &[&str],
    errors: &mut Vec<ModelError>,
) -> (Vec<f64>, Option<ahp::AhpResult>) {
    match (&s.weights, &s.ahp) {
        (Some(_), Some(_)) => {
            fail(
                errors,
                Code::InvalidCatalog,
                "`satisfaction` gives both `weights` and `ahp`".into(),
                Some("keep one: explicit weights, or an AHP comparison matrix".into()),
                "satisfaction.ahp",
            );
            (Vec::new(), None)
        }
        (None, None) => {
            fail(
                errors,
                Code::InvalidCatalog,
                "`satisfaction.dimensions` need weights".into(),
                Some(
                    "add `weights:` (one number per dimension) or an `ahp:` comparison matrix"
                        .into(),
                ),
                "satisfaction.dimensions",
            );
            (Vec::new(), None)
        }
        (Some(given), None) => (given_weights(given, ids, errors), None),
        (None, Some(matrix)) => match judge(matrix, ids) {
            Ok(result) => (result.weights.clone(), Some(result)),
            Err(e) => {
                errors.push(e);
                (Vec::new(), None)
            }
        },
    }
}

/// Weights given directly may be written on any scale; they are normalised
/// to sum to 1, which needs every dimension to have one and the sum to be
/// positive.
fn given_weights(
    given: &BTreeMap<String, f64>,
    ids: &[&str],
    errors: &mut Vec<ModelError>,
) -> Vec<f64> {
    for key in given.keys() {
        if !ids.contains(&key.as_str()) {
            fail_key(
                errors,
                Code::UnknownDimension,
                format!("`satisfaction.weights` has `{key}`, which is not a dimension"),
                did_you_mean(key, ids.iter().copied()),
                &format!("satisfaction.weights.{key}"),
            );
        }
    }
    let raw: Vec<f64> = ids
        .iter()
        .map(|id| given.get(*id).copied().unwrap_or(f64::NAN))
        .collect();
    if let Some(i) = raw.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        fail(
            errors,
            Code::InvalidCatalog,
            format!(
                "`satisfaction.weights` needs a number of 0 or more for `{}`",
                ids[i]
            ),
            None,
            &format!("satisfaction.weights.{}", ids[i]),
        );
    }
    let sum: f64 = raw.iter().sum();
    if sum.is_nan() || sum <= 0.0 {
        fail(
            errors,
            Code::InvalidCatalog,
            "the weights add up to 0".into(),
            None,
            "satisfaction.weights",
        );
    }
    raw.iter().map(|w| w / sum).collect()
}

/// The loyalty graph is optional; when present its problems join the
/// others rather than hiding them.
fn loyalty_factors(s: &Satisfaction, errors: &mut Vec<ModelError>) -> Option<loyalty::Loyalty> {
    match loyalty::factors(s.loyalty.as_ref()?) {
        Ok(l) => Some(l),
        Err(error) => {
            errors.push(ModelError {
                code: Code::InvalidCatalog,
                text: format!("`satisfaction.loyalty`: {}", error.text),
                help: None,
                path: error.at.map_or("satisfaction.loyalty".into(), |at| {
                    format!("satisfaction.loyalty.{at}")
                }),
                key: false,
            });
            None
        }
    }
}

/// Weights from an AHP comparison matrix. Stops at the first problem: each
/// step needs the one before it to have succeeded.
fn judge(matrix: &[Vec<Judgement>], ids: &[&str]) -> Result<ahp::AhpResult, ModelError> {
    let values = judgement_values(matrix)?;
    if values.len() != ids.len() {
        return Err(ahp_error(
            format!(
                "`ahp` has {} rows but there are {} dimensions",
                values.len(),
                ids.len()
            ),
            Some(format!(
                "one row and one column per dimension, in this order: {}",
                ids.join(", ")
            )),
            None,
        ));
    }
    let result = ahp::weights(&values).map_err(|e| explain_ahp_error(e, &values, ids))?;
    if result.consistency_ratio >= ahp::MAX_CONSISTENCY_RATIO {
        return Err(too_inconsistent(&result, &values, ids));
    }
    Ok(result)
}

/// A problem with the `ahp` matrix, at the cell in row `i`, column `j`
/// (both from 0), or at the whole matrix.
fn ahp_error(text: String, help: Option<String>, cell: Option<(usize, usize)>) -> ModelError {
    ModelError {
        code: Code::InvalidCatalog,
        text,
        help,
        path: cell.map_or("satisfaction.ahp".into(), |(i, j)| {
            format!("satisfaction.ahp[{i}][{j}]")
        }),
        key: false,
    }
}

/// Judgements may be written as fractions ("1/3"); they are read as numbers
/// first so the matrix checks can speak of values, naming the first cell
/// that is neither.
fn judgement_values(matrix: &[Vec<Judgement>]) -> Result<Vec<Vec<f64>>, ModelError> {
    let mut values = Vec::with_capacity(matrix.len());
    for (i, row) in matrix.iter().enumerate() {
        let mut out = Vec::with_capacity(row.len());
        for (j, judgement) in row.iter().enumerate() {
            match judgement.value() {
                Some(v) => out.push(v),
                None => {
                    return Err(ahp_error(
                        format!(
                            "`ahp` row {} column {}: {judgement:?} is not a number or a fraction like \"1/3\"",
                            i + 1,
                            j + 1
                        ),
                        None,
                        Some((i, j)),
                    ));
                }
            }
        }
        values.push(out);
    }
    Ok(values)
}

/// The AHP module speaks of row and column indices; the author wrote
/// dimension ids, so its errors are retold with those (and, for a missing
/// reciprocal, the value to write where).
fn explain_ahp_error(e: ahp::AhpError, values: &[Vec<f64>], ids: &[&str]) -> ModelError {
    let name = |i: usize| ids.get(i).copied().unwrap_or("?");
    match e {
        ahp::AhpError::Shape(text) => ahp_error(format!("`ahp`: {text}"), None, None),
        ahp::AhpError::NotPositive(i, j) => ahp_error(
            format!(
                "`ahp`: the judgement of {} against {} must be positive",
                name(i),
                name(j)
            ),
            None,
            Some((i, j)),
        ),
        ahp::AhpError::Diagonal(i) => ahp_error(
            format!("`ahp`: {} against itself must be 1", name(i)),
            None,
            Some((i, i)),
        ),
        ahp::AhpError::NotReciprocal(i, j) => ahp_error(
            format!(
                "`ahp`: {} against {} is {}, so {} against {} must be its reciprocal",
                name(i),
                name(j),
                values[i][j],
                name(j),
                name(i)
            ),
            Some(format!(
                "write 1/{} in row {}, column {}",
                values[i][j],
                j + 1,
                i + 1
            )),
            Some((j, i)),
        ),
    }
}

/// A consistency ratio alone does not tell the experts what to revise, so
/// the message names the least consistent judgement and what the others
/// imply it should be.
fn too_inconsistent(result: &ahp::AhpResult, values: &[Vec<f64>], ids: &[&str]) -> ModelError {
    let name = |i: usize| ids.get(i).copied().unwrap_or("?");
    let detail = result.most_inconsistent.map_or(String::new(), |(i, j, _)| {
        let implied = result.weights[i] / result.weights[j];
        format!(
            "; the least consistent judgement is {} against {}: it says {}, the other judgements imply about {}",
            name(i),
            name(j),
            show(values[i][j]),
            implied_text(implied)
        )
    });
    ModelError {
        code: Code::InconsistentJudgements,
        text: format!(
            "the AHP judgements are too inconsistent: consistency ratio {}, it must be below 0.10{detail}",
            ahp::ratio_text(result.consistency_ratio)
        ),
        help: Some(
            "revise that judgement (or ask the experts again) until the ratio is below 0.10".into(),
        ),
        path: result
            .most_inconsistent
            .map_or("satisfaction.ahp".into(), |(i, j, _)| {
                format!("satisfaction.ahp[{i}][{j}]")
            }),
        key: false,
    }
}

/// A judgement the others imply, written as judgements are: `1/13`, not
/// `0.08`; whole above 3 (where a tenth means nothing to the experts), to a
/// tenth below.
fn implied_text(v: f64) -> String {
    let larger = v.max(1.0 / v);
    let rounded = if larger >= 3.0 {
        larger.round()
    } else {
        (larger * 10.0).round() / 10.0
    };
    if v >= 1.0 || rounded == 1.0 {
        format!("{rounded}")
    } else {
        format!("1/{rounded}")
    }
}

/// Judgements off Saaty's 1-9 scale (20, 2.5): allowed, but the random
/// index behind the consistency ratio assumes the scale, so each is named,
/// once per pair, at the cell above the diagonal.
pub(crate) fn off_scale_judgements(satisfaction: &Satisfaction) -> Vec<ModelError> {
    let Some(matrix) = &satisfaction.ahp else {
        return Vec::new();
    };
    let ids: Vec<&str> = satisfaction
        .dimensions
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    let name = |i: usize| ids.get(i).copied().unwrap_or("?");
    let mut found = Vec::new();
    for (i, row) in matrix.iter().enumerate() {
        for (j, judgement) in row.iter().enumerate().skip(i + 1) {
            let Some(v) = judgement.value() else { continue };
            if !(v.is_finite() && v > 0.0) || ahp::on_saaty_scale(v) {
                continue;
            }
            found.push(ModelError {
                code: Code::OffScaleJudgement,
                text: format!(
                    "`ahp`: {} against {} is {}, which is not on Saaty's 1-9 scale",
                    name(i),
                    name(j),
                    show(v)
                ),
                help: Some(
                    "use a whole number from 1 to 9 or its reciprocal (1/3); the consistency \
                     ratio's random index assumes that scale"
                        .into(),
                ),
                path: format!("satisfaction.ahp[{i}][{j}]"),
                key: false,
            });
        }
    }
    found
}

fn show(v: f64) -> String {
    if v >= 1.0 {
        format!("{v}")
    } else {
        format!("1/{}", (1.0 / v * 100.0).round() / 100.0)
    }
}
