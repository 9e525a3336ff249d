//! The catalog (`catalog.yaml`): services, the customer schema and defaults.
//!
//! In: the YAML text. Out: a validated [`Catalog`] or diagnostics that name the
//! key path (`services[3].cost`) and the line. YAML is read through `yaml`,
//! the one module that touches serde_yaml.

use crate::base::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::base::source::{FileId, SourceFile, Span};
use crate::base::yaml;
use crate::base::yaml_positions::Positions;
pub use crate::package::satisfaction::Satisfaction;
use serde::Deserialize;
use std::collections::HashMap;

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
    /// The order of a customer's offers across services: keys compared in
    /// turn; offers still tied keep the catalog's order.
    #[serde(default = "RankKey::default_order")]
    pub ranking: Vec<RankKey>,
    /// Decimal places gains are rounded to when computed, so that gains
    /// equal as written compare equal; none: full binary precision.
    #[serde(default)]
    pub gain_precision: Option<u32>,
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
    /// Rows of one decision table (in a `.vas` file or a spreadsheet): the
    /// overlap check compares every pair of rows.
    pub max_table_rows: usize,
    /// Cells read from one spreadsheet-backed table, header included.
    pub max_table_cells: usize,
    /// Bytes of a CSV or XLSX file a table's rows come from (for an XLSX
    /// file, its unpacked parts may be 16 times that together).
    pub max_table_bytes: usize,
    /// Steps (splits of a box of customers) `check` may take to look for a
    /// table's gaps and hidden rows before it says it stopped.
    pub max_table_work: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_nesting: 64,
            max_operators: 128,
            max_name_bytes: 256,
            max_text_bytes: 64 * 1024,
            max_row_bytes: 1024 * 1024,
            max_table_rows: 1000,
            max_table_cells: 100_000,
            max_table_bytes: 4 * 1024 * 1024,
            max_table_work: 1_000_000,
        }
    }
}

impl Limits {
    /// The most each limit may be raised to, with the reason.
    pub(crate) const CEILINGS: [(&'static str, usize, &'static str); 9] = [
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
        (
            "max_table_rows",
            5000,
            "`check` compares every pair of a table's rows",
        ),
        (
            "max_table_cells",
            1_000_000,
            "a table's cells are held in memory and checked one by one",
        ),
        (
            "max_table_bytes",
            64 * 1024 * 1024,
            "a table's file is held in memory whole",
        ),
        (
            "max_table_work",
            100_000_000,
            "each step takes a pass over the table's values",
        ),
    ];

    fn values(&self) -> [usize; 9] {
        [
            self.max_nesting,
            self.max_operators,
            self.max_name_bytes,
            self.max_text_bytes,
            self.max_row_bytes,
            self.max_table_rows,
            self.max_table_cells,
            self.max_table_bytes,
            self.max_table_work,
        ]
    }
}

fn default_max_offers() -> usize {
    3
}

/// One key of the order of offers across services (`ranking:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankKey {
    /// Higher expected gain first.
    Gain,
    /// Higher priority of the winning rule first.
    Priority,
    /// Lower cost first.
    Cost,
    /// The service listed earlier in the catalog first.
    CatalogOrder,
    /// The service id first in alphabetical (byte) order.
    ServiceId,
}

impl RankKey {
    /// The order before `ranking:` existed, and still the default.
    pub fn default_order() -> Vec<RankKey> {
        vec![RankKey::Gain, RankKey::Priority, RankKey::ServiceId]
    }

    /// The word in `catalog.yaml`.
    pub fn word(self) -> &'static str {
        match self {
            RankKey::Gain => "gain",
            RankKey::Priority => "priority",
            RankKey::Cost => "cost",
            RankKey::CatalogOrder => "catalog_order",
            RankKey::ServiceId => "service_id",
        }
    }
}

/// The most decimal places `gain_precision` may ask for: beyond 12, an f64
/// gain of a few hundred points has no decimal digits left to round.
pub const MAX_GAIN_PRECISION: u32 = 12;

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
        Err(error) => return Err(read_error(file, &source.text, error)),
    };
    let problems = validate(&catalog, file, &source.text);
    Ok((catalog, problems))
}

/// Keys and values that take one of a few words, by list and key: serde
/// stops at the first wrong one, and these are checked over the whole list
/// so that a typo made in four services is reported four times.
const WORD_VALUES: [(&str, &str, &[&str]); 4] = [
    ("services", "stage", &["pre_sale", "in_sale", "after_sale"]),
    ("services", "channel", &["online", "offline", "omni"]),
    ("services", "participation", &["passive", "active"]),
    (
        "customer.attributes",
        "type",
        &["number", "bool", "text", "category"],
    ),
];

/// The diagnostics of a catalog serde could not read, each at the key or
/// value at fault.
fn read_error(file: FileId, text: &str, error: yaml::YamlError) -> Vec<Diagnostic> {
    let positions = Positions::of(text);
    let span = |range: std::ops::Range<usize>| Span::new(file, range.start, range.end);
    // A key given twice: serde_yaml places it at the start of the mapping.
    if error.message.contains("duplicate") && !positions.duplicates.is_empty() {
        return (positions.duplicates.iter())
            .map(|(path, first, again)| {
                let key = path.rsplit('.').next().unwrap_or(path);
                Diagnostic::error(
                    Code::Yaml,
                    span(again.clone()),
                    format!("catalog.yaml: `{path}` is given twice"),
                )
                .with_label(span(first.clone()), format!("`{key}` is first given here"))
                .with_help("keep one of them; which one was meant cannot be guessed")
            })
            .collect();
    }
    let words = wrong_words(&positions, text, &span);
    if !words.is_empty() {
        return words;
    }
    let located = error
        .path
        .as_ref()
        .map_or(String::new(), |p| format!(" at `{p}`"));
    let message = format!("catalog.yaml{located}: {}", error.message);
    let at = error.path.as_deref().and_then(|path| {
        if error.code == Code::UnknownKey {
            positions.key(path)
        } else {
            positions.value(path)
        }
    });
    let mut diagnostic = match at {
        Some(range) => Diagnostic::error(error.code, span(range), message),
        None => {
            let mut d = Diagnostic::error_nowhere(error.code, message);
            d.position = Some(syntax_position(file, text, error.line, error.column));
            d
        }
    };
    diagnostic = diagnostic.with_help_opt(error.help);
    vec![diagnostic]
}

/// Every value of [`WORD_VALUES`] that is not one of its words.
fn wrong_words(
    positions: &Positions,
    text: &str,
    span: &dyn Fn(std::ops::Range<usize>) -> Span,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (list, key, words) in WORD_VALUES {
        for i in 0.. {
            if positions.value(&format!("{list}[{i}]")).is_none() {
                break;
            }
            let path = format!("{list}[{i}].{key}");
            let Some(range) = positions.value(&path) else {
                continue;
            };
            let written = text
                .get(range.clone())
                .unwrap_or("")
                .trim_matches(['"', '\'']);
            if words.contains(&written) {
                continue;
            }
            let help = did_you_mean(written, words.iter().copied())
                .unwrap_or_else(|| format!("use one of {}", words.join(", ")));
            found.push(
                Diagnostic::error(
                    Code::Yaml,
                    span(range),
                    format!(
                        "catalog.yaml: `{path}` is `{written}`, which is not one of {}",
                        words.join(", ")
                    ),
                )
                .with_help(help),
            );
        }
    }
    found
}

/// The line and column of a syntax error, kept inside the text: a NUL is
/// placed where it is, and a position past the last line (an error at the
/// end of a file without a final newline) at the end of the last line.
fn syntax_position(
    file: FileId,
    text: &str,
    line: Option<usize>,
    column: Option<usize>,
) -> (FileId, usize, usize) {
    if let Some(nul) = text.find('\0') {
        let before = &text[..nul];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return (file, line, column);
    }
    let lines = text.lines().count().max(1);
    match (line, column) {
        (Some(line), _) if line > lines => {
            let last = text.lines().last().unwrap_or("");
            (file, lines, last.chars().count() + 1)
        }
        (Some(line), Some(column)) => (file, line, column),
        _ => (file, 1, 1),
    }
}

/// The problems found in a catalog, each placed at the value its key path
/// names (`services[3].cost`), found in the text on the first problem.
struct Problems<'a> {
    file: FileId,
    text: &'a str,
    positions: Option<Positions>,
    found: Vec<Diagnostic>,
}

impl Problems<'_> {
    /// Records a problem with the value at `path`; a path the text does not
    /// have (a default left out) falls back to its nearest written parent.
    fn fail(&mut self, path: &str, code: Code, message: String, help: Option<String>) {
        let d = match self.value_span(path) {
            Some(span) => Diagnostic::error(code, span, format!("catalog.yaml: {message}")),
            None => {
                let line = line_of_first_quoted(&message, self.text);
                let mut d = Diagnostic::error_nowhere(code, format!("catalog.yaml: {message}"));
                d.position = Some((self.file, line, 1));
                d
            }
        };
        self.found.push(d.with_help_opt(help));
    }

    /// A name given twice: the error at the second, a label at the first.
    fn fail_twice(&mut self, path: &str, first: &str, message: String, help: Option<String>) {
        self.fail(path, Code::DuplicateName, message, help);
        if let (Some(span), Some(last)) = (self.value_span(first), self.found.pop()) {
            self.found.push(last.with_label(span, "first listed here"));
        }
    }

    fn value_span(&mut self, path: &str) -> Option<Span> {
        let text = self.text;
        let positions = self.positions.get_or_insert_with(|| Positions::of(text));
        let range = positions.nearest(path, false)?;
        Some(Span::new(self.file, range.start, range.end))
    }
}

/// Checks the catalog's own sections. Diagnostics are later sorted stably
/// by position, so problems on one line keep the order pushed here: the
/// steps must keep running in this order.
fn validate(catalog: &Catalog, file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut problems = Problems {
        file,
        text,
        positions: None,
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
            "max_offers",
            Code::InvalidCatalog,
            "`max_offers` is 0, so nobody would ever get an offer".into(),
            Some("set `max_offers` to 1 or more".into()),
        );
    }
    for (i, key) in catalog.ranking.iter().enumerate() {
        if let Some(first) = catalog.ranking[..i].iter().position(|k| k == key) {
            problems.fail_twice(
                &format!("ranking[{i}]"),
                &format!("ranking[{first}]"),
                format!("`ranking` names `{}` twice", key.word()),
                Some("each key once: a second time could never break a tie".into()),
            );
        }
    }
    if let Some(places) = catalog.gain_precision
        && places > MAX_GAIN_PRECISION
    {
        problems.fail(
            "gain_precision",
            Code::InvalidCatalog,
            format!(
                "`gain_precision` is {places}; gains keep at most {MAX_GAIN_PRECISION} \
                 decimal places"
            ),
            Some(format!(
                "use 0 to {MAX_GAIN_PRECISION} (4 keeps what authors write), or leave it out \
                 for full precision"
            )),
        );
    }
    let scale = &catalog.satisfaction;
    if !(scale.min.is_finite() && scale.max.is_finite() && scale.min < scale.max) {
        problems.fail(
            "satisfaction.max",
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
                &format!("{section}.{name}"),
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
            "budget",
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
            let lists = [("online", &fit.online), ("offline", &fit.offline)];
            let listed = lists.iter().flat_map(|(list, values)| {
                (values.iter().enumerate())
                    .map(move |(k, v)| (format!("channel_fit.{list}[{k}]"), v))
            });
            for (path, value) in listed {
                if !a.values.contains(value) {
                    problems.fail(
                        &path,
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
            "channel_fit.attribute",
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
            "services",
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
    let mut seen = HashMap::new();
    for (i, service) in catalog.services.iter().enumerate() {
        let at = format!("services[{i}]");
        if !is_service_id(&service.id) {
            problems.fail(
                &format!("{at}.id"),
                Code::InvalidCatalog,
                format!(
                    "`{at}.id` is `{}`, which cannot be used in rules",
                    service.id
                ),
                Some(
                    "use letters, digits and `_`, starting with a letter, `_`, or digits \
                     and then a letter or `_` (`24h_reply`)"
                        .into(),
                ),
            );
        }
        if let Some(first) = seen.insert(service.id.as_str(), i) {
            problems.fail_twice(
                &format!("{at}.id"),
                &format!("services[{first}].id"),
                format!("service `{}` is listed twice (`{at}`)", service.id),
                Some("give each service its own id".into()),
            );
        }
        if !categories.contains(&service.category.as_str()) {
            problems.fail(
                &format!("{at}.category"),
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
                &format!("{at}.cost"),
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
                &format!("{at}.default_gain"),
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
            &format!("{at}.in_use"),
            Code::UnknownAttribute,
            format!("`{at}.in_use` names `{attribute}`, which is not a customer attribute"),
            did_you_mean(attribute, attributes.iter().map(|a| a.name.as_str())),
        ),
        Some(a) if a.kind != AttributeKind::Bool => problems.fail(
            &format!("{at}.in_use"),
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
    let mut seen = HashMap::new();
    for (i, attribute) in catalog.customer.attributes.iter().enumerate() {
        let at = format!("customer.attributes[{i}]");
        if !is_identifier(&attribute.name) {
            problems.fail(
                &format!("{at}.name"),
                Code::InvalidCatalog,
                format!(
                    "`{at}.name` is `{}`, which cannot be used in rules",
                    attribute.name
                ),
                Some(
                    "use letters, digits and `_`, starting with a letter or `_` (an \
                     attribute is read in expressions, where a leading digit is a number)"
                        .into(),
                ),
            );
        }
        if let Some(first) = seen.insert(attribute.name.as_str(), i) {
            problems.fail_twice(
                &format!("{at}.name"),
                &format!("customer.attributes[{first}].name"),
                format!("attribute `{}` is listed twice (`{at}`)", attribute.name),
                None,
            );
        }
        let is_category = attribute.kind == AttributeKind::Category;
        if is_category && attribute.values.is_empty() {
            problems.fail(
                &format!("{at}.type"),
                Code::InvalidCatalog,
                format!("category `{}` has no `values`", attribute.name),
                Some("list the allowed values, e.g. `values: [gold, silver]`".into()),
            );
        }
        if !is_category && !attribute.values.is_empty() {
            problems.fail(
                &format!("{at}.values"),
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
                &format!("{at}.true_values"),
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
            "customer.id",
            Code::UnknownAttribute,
            format!("`customer.id` names `{id}`, which is not an attribute"),
            did_you_mean(id, attributes.iter().map(|a| a.name.as_str())),
        );
    }
}

/// Rules read preferences as `pref.NAME`, so each name must be writable
/// there and mean one preference only.
fn check_preferences(catalog: &Catalog, problems: &mut Problems) {
    let mut seen = HashMap::new();
    for (i, preference) in catalog.customer.preferences.iter().enumerate() {
        if !is_identifier(&preference.name) {
            problems.fail(
                &format!("customer.preferences[{i}].name"),
                Code::InvalidCatalog,
                format!(
                    "`customer.preferences[{i}].name` is `{}`, which cannot be used in rules",
                    preference.name
                ),
                Some("use letters, digits and `_`, starting with a letter or `_`".into()),
            );
        }
        if let Some(first) = seen.insert(preference.name.as_str(), i) {
            problems.fail_twice(
                &format!("customer.preferences[{i}].name"),
                &format!("customer.preferences[{first}].name"),
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
/// A service id: an identifier, or digits and then an identifier
/// (`24h_reply`), as the grammar's `name` reads it where services are named.
pub(crate) fn is_service_id(id: &str) -> bool {
    let rest = id.trim_start_matches(|c: char| c.is_ascii_digit());
    is_identifier(rest)
}

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
        // The caret is on the key itself.
        let start = errors[0].primary.map_or(0, |s| s.start as usize);
        assert_eq!(text.get(start..start + 9), Some("max_ofers"));
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
