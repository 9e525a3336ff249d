//! The catalog (`catalog.yaml`): services, the customer schema and defaults.
//!
//! In: the YAML text. Out: a validated [`Catalog`] or diagnostics that name the
//! key path (`services[3].cost`) and the line. YAML is read through `yaml`,
//! the one module that touches serde_yaml.

use crate::base::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::base::source::{FileId, SourceFile};
use crate::base::yaml;
pub use crate::package::satisfaction::Satisfaction;
use serde::Deserialize;
use std::collections::HashSet;

/// The whole catalog as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Name of the rule package.
    pub package: String,
    /// One line on what the package is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Most offers a customer receives.
    #[serde(default = "default_max_offers")]
    pub max_offers: usize,
    /// Sample customers file, relative to the package folder.
    #[serde(default)]
    pub sample: Option<String>,
    /// Satisfaction scale.
    #[serde(default)]
    pub satisfaction: Satisfaction,
    /// Service categories beyond the four built in.
    #[serde(default)]
    pub extra_categories: Vec<String>,
    /// Services that rules may offer.
    pub services: Vec<Service>,
    /// What a customer looks like and where its values come from.
    pub customer: CustomerSchema,
    /// Most a customer's offers may cost together.
    #[serde(default)]
    pub budget: Option<f64>,
    /// Which services fit a customer's channel.
    #[serde(default)]
    pub channel_fit: Option<ChannelFit>,
    /// Limits on the rhai scripts in rules.
    #[serde(default)]
    pub scripts: ScriptLimits,
    /// Limits on rule files and customer rows.
    #[serde(default)]
    pub limits: Limits,
}

/// What the rule files and customer rows of a package may hold. The defaults
/// are far beyond any honest package; a package may lower them (to catch a
/// runaway generator early) or raise them up to a ceiling that keeps the
/// parser's recursion and one row's memory safe.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Brackets nested in a rule file.
    pub max_nesting: usize,
    /// Operators in one expression (also `not` or `-` in a row).
    pub max_operators: usize,
    /// Bytes in a name.
    pub max_name_bytes: usize,
    /// Bytes in a quoted text.
    pub max_text_bytes: usize,
    /// Bytes in one CSV row or JSON line of customers.
    pub max_row_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_nesting: 64,
            max_operators: 128,
            max_name_bytes: 256,
            max_text_bytes: 64 * 1024,
            max_row_bytes: 1024 * 1024,
        }
    }
}

impl Limits {
    /// The most each limit may be raised to, with the reason.
    pub(crate) const CEILINGS: [(&'static str, usize, &'static str); 5] = [
        (
            "max_nesting",
            256,
            "deeper nesting could overflow the parser's stack",
        ),
        (
            "max_operators",
            1024,
            "longer expressions could overflow the checker's stack",
        ),
        (
            "max_name_bytes",
            4096,
            "names are repeated in every message about them",
        ),
        (
            "max_text_bytes",
            1024 * 1024,
            "long texts belong in documents, not in rules",
        ),
        (
            "max_row_bytes",
            64 * 1024 * 1024,
            "one row is held in memory whole",
        ),
    ];

    fn values(&self) -> [usize; 5] {
        [
            self.max_nesting,
            self.max_operators,
            self.max_name_bytes,
            self.max_text_bytes,
            self.max_row_bytes,
        ]
    }
}

fn default_max_offers() -> usize {
    3
}

/// Limits on what one run of a rule's script may do; a script that passes
/// one stops with an error for that customer. The defaults let an honest
/// script run (a loop over a few hundred items) and stop a runaway one in
/// well under a millisecond.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptLimits {
    /// Operations per run (roughly: expression nodes evaluated, loop turns).
    pub max_operations: u64,
    /// Depth of nested function calls.
    pub max_call_depth: usize,
    /// Depth of nested expressions, checked when the script compiles.
    pub max_expression_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Items in an array.
    pub max_array_size: usize,
    /// Entries in a map.
    pub max_map_size: usize,
    /// Wall-clock milliseconds per run (1 to 60,000; 50 by default): the
    /// bound on what operations do not count, such as one builtin call on a
    /// large array. The clock is read every 32 operations; a run past the
    /// budget runs once more before it fails (a busy machine may pause it).
    pub max_milliseconds: u64,
}

impl ScriptLimits {
    /// The most each limit may be raised to, with the reason.
    const CEILINGS: [(&'static str, usize, &'static str); 6] = [
        (
            "max_operations",
            100_000_000,
            "a runaway script would run for seconds per customer",
        ),
        (
            "max_call_depth",
            256,
            "deeper calls could overflow the stack",
        ),
        (
            "max_expression_depth",
            256,
            "deeper expressions could overflow the stack",
        ),
        (
            "max_string_size",
            64 * 1024 * 1024,
            "a value is held in memory whole",
        ),
        (
            "max_array_size",
            1024 * 1024,
            "a value is held in memory whole",
        ),
        (
            "max_map_size",
            1024 * 1024,
            "a value is held in memory whole",
        ),
    ];

    fn values(&self) -> [usize; 6] {
        [
            usize::try_from(self.max_operations).unwrap_or(usize::MAX),
            self.max_call_depth,
            self.max_expression_depth,
            self.max_string_size,
            self.max_array_size,
            self.max_map_size,
        ]
    }
}

impl Default for ScriptLimits {
    fn default() -> ScriptLimits {
        ScriptLimits {
            max_operations: 10_000,
            max_call_depth: 16,
            max_expression_depth: 32,
            max_string_size: 4096,
            max_array_size: 1024,
            max_map_size: 256,
            max_milliseconds: 50,
        }
    }
}

/// A value-added service.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Identifier used in rules.
    pub id: String,
    /// Name shown to people (may be Chinese).
    pub name: String,
    /// Category from the taxonomy (or `extra_categories`).
    pub category: String,
    /// When in the customer journey it is delivered.
    pub stage: Stage,
    /// Where it is delivered.
    pub channel: Channel,
    /// Whether the customer must act.
    pub participation: Participation,
    /// Cost of one offer.
    #[serde(default)]
    pub cost: f64,
    /// How many can be given out, when limited.
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Gain used by rules that state none.
    #[serde(default)]
    pub default_gain: Option<f64>,
    /// Bool attribute that says whether a customer already uses this service;
    /// `uses(service)` in rules reads it.
    #[serde(default)]
    pub in_use: Option<String>,
    /// Expected effect on satisfaction dimensions, in points of the scale.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub effects: std::collections::BTreeMap<String, f64>,
    /// Mutually exclusive group: a customer gets at most one service of a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Channel fit: customers reached only online get no offline service, and
/// customers reached only offline get no online one; `omni` services fit all.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelFit {
    /// Category attribute holding the customer's channel.
    pub attribute: String,
    /// Values of that attribute meaning "online only".
    #[serde(default)]
    pub online: Vec<String>,
    /// Values meaning "offline only".
    #[serde(default)]
    pub offline: Vec<String>,
}

/// Service stage in the taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Stage {
    PreSale,
    InSale,
    AfterSale,
}

/// Service channel in the taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Channel {
    Online,
    Offline,
    Omni,
}

/// Whether the customer takes part actively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Participation {
    Passive,
    Active,
}

/// Built-in service categories.
pub const BUILTIN_CATEGORIES: [&str; 4] = [
    "technical_support",
    "convenience",
    "personalization",
    "after_sales",
];

/// The customer schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSchema {
    /// Attribute that identifies a customer in reports and `explain`.
    #[serde(default)]
    pub id: Option<String>,
    /// Typed attributes.
    pub attributes: Vec<Attribute>,
    /// Preference dimensions, each a weight from 0 to 1 (`pref.NAME` in rules).
    #[serde(default)]
    pub preferences: Vec<Preference>,
}

/// One typed customer attribute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Name used in rules.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: AttributeKind,
    /// Input column (CSV header or JSON key); defaults to the name.
    #[serde(default)]
    pub column: Option<String>,
    /// A customer without this value is a data error.
    #[serde(default)]
    pub required: bool,
    /// The allowed values of a `category`.
    #[serde(default)]
    pub values: Vec<String>,
    /// Input texts read as true (bool only). Default: true, yes, y, 1.
    #[serde(default)]
    pub true_values: Vec<String>,
    /// Input texts read as false (bool only). Default: false, no, n, 0.
    #[serde(default)]
    pub false_values: Vec<String>,
    /// Input texts read as "no value" besides the empty text.
    #[serde(default)]
    pub missing_values: Vec<String>,
}

/// Types an attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    /// A number (whole or decimal).
    Number,
    /// Yes or no.
    Bool,
    /// Free text.
    Text,
    /// One of a fixed list of texts (`values`).
    Category,
}

/// A preference dimension.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// Name used in rules as `pref.NAME`.
    pub name: String,
    /// Name shown to people.
    #[serde(default)]
    pub label: Option<String>,
    /// Input column; defaults to `pref_NAME`.
    #[serde(default)]
    pub column: Option<String>,
}

impl Attribute {
    /// The input column this attribute is read from.
    pub fn column(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }
}

impl Preference {
    /// The input column this preference is read from.
    pub fn column(&self) -> String {
        self.column
            .clone()
            .unwrap_or_else(|| format!("pref_{}", self.name))
    }
}

/// Reads a catalog file and checks its own sections. `Err` when the YAML
/// cannot be read as a catalog; otherwise the catalog with the problems
/// found in it (the satisfaction model is checked by the loader, which
/// keeps the checked model).
pub(crate) fn parse(
    file: FileId,
    source: &SourceFile,
) -> Result<(Catalog, Vec<Diagnostic>), Vec<Diagnostic>> {
    let catalog: Catalog = match yaml::parse(&source.text, "the catalog") {
        Ok(catalog) => catalog,
        Err(error) => {
            let located = error
                .path
                .as_ref()
                .map_or(String::new(), |p| format!(" at `{p}`"));
            let mut diagnostic = Diagnostic::error_nowhere(
                error.code,
                format!("catalog.yaml{located}: {}", error.message),
            )
            .with_help_opt(error.help);
            diagnostic.position = match (error.line, error.column) {
                (Some(line), Some(column)) => Some((file, line, column)),
                _ => Some((file, 1, 1)),
            };
            return Err(vec![diagnostic]);
        }
    };
    let problems = validate(&catalog, file, &source.text);
    Ok((catalog, problems))
}

/// The problems found in a catalog, each placed on the line of the first key
/// or value its message quotes.
struct Problems<'a> {
    file: FileId,
    text: &'a str,
    found: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn fail(&mut self, code: Code, message: String, help: Option<String>) {
        let line = line_of_first_quoted(&message, self.text);
        let mut d =
            Diagnostic::error_nowhere(code, format!("catalog.yaml: {message}")).with_help_opt(help);
        d.position = Some((self.file, line, 1));
        self.found.push(d);
    }
}

/// Checks the catalog's own sections. Diagnostics are later sorted stably
/// by position, so problems on one line keep the order pushed here: the
/// steps must keep running in this order.
fn validate(catalog: &Catalog, file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut problems = Problems {
        file,
        text,
        found: Vec::new(),
    };
    check_settings(catalog, &mut problems);
    check_channel_fit(catalog, &mut problems);
    check_services(catalog, &mut problems);
    check_attributes(catalog, &mut problems);
    check_customer_id(catalog, &mut problems);
    check_preferences(catalog, &mut problems);
    problems.found
}

/// The package-wide numbers are checked first: a bad one (no offers, an
/// empty scale, a limit past its ceiling) makes every run wrong, whatever
/// the services say.
fn check_settings(catalog: &Catalog, problems: &mut Problems) {
    if catalog.max_offers == 0 {
        problems.fail(
            Code::InvalidCatalog,
            "`max_offers` is 0, so nobody would ever get an offer".into(),
            Some("set `max_offers` to 1 or more".into()),
        );
    }
    let scale = &catalog.satisfaction;
    if !(scale.min.is_finite() && scale.max.is_finite() && scale.min < scale.max) {
        problems.fail(
            Code::InvalidCatalog,
            format!(
                "`satisfaction` runs from {} to {}; the minimum must be below the maximum",
                scale.min, scale.max
            ),
            None,
        );
    }
    let limits = Limits::CEILINGS
        .iter()
        .zip(catalog.limits.values())
        .map(|(&(name, ceiling, why), value)| ("limits", name, ceiling, why, value));
    let scripts = ScriptLimits::CEILINGS
        .iter()
        .zip(catalog.scripts.values())
        .map(|(&(name, ceiling, why), value)| ("scripts", name, ceiling, why, value));
    for (section, name, ceiling, why, value) in limits.chain(scripts) {
        if value == 0 || value > ceiling {
            problems.fail(
                Code::InvalidCatalog,
                format!("`{section}.{name}` is {value}; it must be between 1 and {ceiling}"),
                Some(format!("the ceiling is there because {why}")),
            );
        }
    }
    if let Some(budget) = catalog.budget
        && !(budget.is_finite() && budget >= 0.0)
    {
        problems.fail(
            Code::InvalidCatalog,
            format!("`budget` must be a number of 0 or more, not {budget}"),
            None,
        );
    }
}

/// Channel fit reads one category attribute by its values; a misspelt
/// value would silently fit nobody, so each listed value must exist.
fn check_channel_fit(catalog: &Catalog, problems: &mut Problems) {
    let Some(fit) = &catalog.channel_fit else {
        return;
    };
    match catalog
        .customer
        .attributes
        .iter()
        .find(|a| a.name == fit.attribute)
    {
        Some(a) if a.kind == AttributeKind::Category => {
            for value in fit.online.iter().chain(&fit.offline) {
                if !a.values.contains(value) {
                    problems.fail(
                        Code::UnknownCategoryValue,
                        format!(
                            "`channel_fit` lists `{value}`, which is not a value of `{}`",
                            a.name
                        ),
                        did_you_mean(value, a.values.iter().map(String::as_str)),
                    );
                }
            }
        }
        _ => problems.fail(
            Code::UnknownAttribute,
            format!(
                "`channel_fit.attribute` names `{}`, which is not a category attribute",
                fit.attribute
            ),
            None,
        ),
    }
}

/// Rules name services by id and reports group them by category, so each
/// service needs a usable, unique id, a known category and sane numbers.
fn check_services(catalog: &Catalog, problems: &mut Problems) {
    if catalog.services.is_empty() {
        problems.fail(
            Code::InvalidCatalog,
            "`services` is empty; rules need at least one service to offer".into(),
            None,
        );
    }
    let categories: Vec<&str> = BUILTIN_CATEGORIES
        .iter()
        .copied()
        .chain(catalog.extra_categories.iter().map(String::as_str))
        .collect();
    let mut seen = HashSet::new();
    for (i, service) in catalog.services.iter().enumerate() {
        let at = format!("services[{i}]");
        if !is_identifier(&service.id) {
            problems.fail(
                Code::InvalidCatalog,
                format!(
                    "`{at}.id` is `{}`, which cannot be used in rules",
                    service.id
                ),
                Some("use letters, digits and `_`, starting with a letter".into()),
            );
        }
        if !seen.insert(service.id.as_str()) {
            problems.fail(
                Code::DuplicateName,
                format!("service `{}` is listed twice (`{at}`)", service.id),
                Some("give each service its own id".into()),
            );
        }
        if !categories.contains(&service.category.as_str()) {
            problems.fail(
                Code::InvalidCatalog,
                format!(
                    "`{at}.category` `{}` is not a known category",
                    service.category
                ),
                did_you_mean(&service.category, categories.iter().copied()).or_else(|| {
                    Some(format!(
                        "use one of {} or list it under `extra_categories`",
                        categories.join(", ")
                    ))
                }),
            );
        }
        if !(service.cost.is_finite() && service.cost >= 0.0) {
            problems.fail(
                Code::InvalidCatalog,
                format!(
                    "`{at}.cost` must be a number of 0 or more, not {}",
                    service.cost
                ),
                None,
            );
        }
        if let Some(gain) = service.default_gain
            && !gain.is_finite()
        {
            problems.fail(
                Code::InvalidCatalog,
                format!("`{at}.default_gain` must be a finite number"),
                None,
            );
        }
        if let Some(attribute) = &service.in_use {
            check_in_use(catalog, &at, attribute, problems);
        }
    }
}

/// `uses(service)` in rules reads the `in_use` attribute as a yes/no, so it
/// must exist and be a bool; anything else could never be true.
fn check_in_use(catalog: &Catalog, at: &str, attribute: &str, problems: &mut Problems) {
    let attributes = &catalog.customer.attributes;
    match attributes.iter().find(|a| a.name == attribute) {
        None => problems.fail(
            Code::UnknownAttribute,
            format!("`{at}.in_use` names `{attribute}`, which is not a customer attribute"),
            did_you_mean(attribute, attributes.iter().map(|a| a.name.as_str())),
        ),
        Some(a) if a.kind != AttributeKind::Bool => problems.fail(
            Code::TypeMismatch,
            format!("`{at}.in_use` names `{attribute}`, which is not a bool attribute"),
            Some("`in_use` must name a yes/no attribute".into()),
        ),
        Some(_) => {}
    }
}

/// Rules and the customer reader both depend on each attribute's name and
/// type; options that only fit another type are refused rather than ignored,
/// since the author surely meant something by them.
fn check_attributes(catalog: &Catalog, problems: &mut Problems) {
    let mut seen = HashSet::new();
    for (i, attribute) in catalog.customer.attributes.iter().enumerate() {
        let at = format!("customer.attributes[{i}]");
        if !is_identifier(&attribute.name) {
            problems.fail(
                Code::InvalidCatalog,
                format!(
                    "`{at}.name` is `{}`, which cannot be used in rules",
                    attribute.name
                ),
                Some("use letters, digits and `_`, starting with a letter".into()),
            );
        }
        if !seen.insert(attribute.name.as_str()) {
            problems.fail(
                Code::DuplicateName,
                format!("attribute `{}` is listed twice (`{at}`)", attribute.name),
                None,
            );
        }
        let is_category = attribute.kind == AttributeKind::Category;
        if is_category && attribute.values.is_empty() {
            problems.fail(
                Code::InvalidCatalog,
                format!("category `{}` has no `values`", attribute.name),
                Some("list the allowed values, e.g. `values: [gold, silver]`".into()),
            );
        }
        if !is_category && !attribute.values.is_empty() {
            problems.fail(
                Code::InvalidCatalog,
                format!("`{at}.values` only applies to `type: category`"),
                None,
            );
        }
        let is_bool = attribute.kind == AttributeKind::Bool;
        let has_bool_tokens =
            !attribute.true_values.is_empty() || !attribute.false_values.is_empty();
        if !is_bool && has_bool_tokens {
            problems.fail(
                Code::InvalidCatalog,
                format!("`{at}`: `true_values` and `false_values` only apply to `type: bool`"),
                None,
            );
        }
    }
}

/// Reports and `explain` name customers by the id attribute, so it must be
/// one of the declared attributes.
fn check_customer_id(catalog: &Catalog, problems: &mut Problems) {
    let attributes = &catalog.customer.attributes;
    if let Some(id) = &catalog.customer.id
        && !attributes.iter().any(|a| &a.name == id)
    {
        problems.fail(
            Code::UnknownAttribute,
            format!("`customer.id` names `{id}`, which is not an attribute"),
            did_you_mean(id, attributes.iter().map(|a| a.name.as_str())),
        );
    }
}

/// Rules read preferences as `pref.NAME`, so each name must be writable
/// there and mean one preference only.
fn check_preferences(catalog: &Catalog, problems: &mut Problems) {
    let mut seen = HashSet::new();
    for (i, preference) in catalog.customer.preferences.iter().enumerate() {
        if !is_identifier(&preference.name) {
            problems.fail(
                Code::InvalidCatalog,
                format!(
                    "`customer.preferences[{i}].name` is `{}`, which cannot be used in rules",
                    preference.name
                ),
                None,
            );
        }
        if !seen.insert(preference.name.as_str()) {
            problems.fail(
                Code::DuplicateName,
                format!("preference `{}` is listed twice", preference.name),
                None,
            );
        }
    }
}

/// The line a validation message is about: the first line of the file (after
/// comments) mentioning the first `quoted` key or value of the message that
/// appears in it, so the snippet shows the key at fault.
fn line_of_first_quoted(message: &str, text: &str) -> usize {
    let quoted = message.split('`').skip(1).step_by(2);
    for token in quoted {
        let key = token.rsplit('.').next().unwrap_or(token);
        let key = key.split('[').next().unwrap_or(key);
        if key.is_empty() {
            continue;
        }
        let found = text
            .lines()
            .position(|l| !l.trim_start().starts_with('#') && l.contains(key));
        if let Some(i) = found {
            return i + 1;
        }
    }
    1
}

/// Whether a name can be written in a rule file.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::SourceFile;

    fn parse_text(text: &str) -> Result<Catalog, Vec<Diagnostic>> {
        match parse(FileId(0), &SourceFile::new("catalog.yaml", None, text))? {
            (catalog, problems) if problems.is_empty() => Ok(catalog),
            (_, problems) => Err(problems),
        }
    }

    const MINIMAL: &str = "package: p\nservices:\n  - {id: s, name: 服务, category: convenience, stage: pre_sale, channel: online, participation: passive}\ncustomer:\n  attributes:\n    - {name: age, type: number}\n";

    #[test]
    fn minimal_catalog_parses_with_defaults() {
        let catalog = parse_text(MINIMAL).unwrap();
        assert_eq!(catalog.max_offers, 3);
        assert_eq!(catalog.services[0].name, "服务");
        assert_eq!(catalog.customer.attributes[0].column(), "age");
    }

    #[test]
    fn unknown_key_gets_path_line_and_suggestion() {
        let text = MINIMAL
            .replace("max_offers", "x")
            .replace("package: p\n", "package: p\nmax_ofers: 2\n");
        let errors = parse_text(&text).unwrap_err();
        assert_eq!(errors[0].code, Code::UnknownKey);
        assert_eq!(
            errors[0].help.as_deref(),
            Some("did you mean `max_offers`?")
        );
        assert_eq!(errors[0].position.map(|p| p.1), Some(2));
    }

    #[test]
    fn wrong_type_names_key_path() {
        let text = MINIMAL.replace(
            "participation: passive}",
            "participation: passive, cost: cheap}",
        );
        let errors = parse_text(&text).unwrap_err();
        assert!(
            errors[0].message.contains("services[0].cost"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn unknown_category_is_suggested() {
        let text = MINIMAL.replace("convenience", "convenienc");
        let errors = parse_text(&text).unwrap_err();
        assert_eq!(
            errors[0].help.as_deref(),
            Some("did you mean `convenience`?")
        );
    }
}
