//! Rule test cases: a package tests itself.
//!
//! In: a compiled [`Engine`] and its package folder, whose `tests/` folder holds
//! YAML files, each a list of cases: a customer (or the id of a row of the
//! package's sample, with optional overrides) and what must come out of it.
//! Out: a [`TestReport`]: each case passed or failed, with expected and actual
//! values side by side; test files that could not be read, with file, line,
//! column and key path; and coverage over the cases that ran (rules fired,
//! segments entered, profiles matched, and every `when` condition and its
//! `and`/`or` parts seen true and seen false).

use crate::compile::{self, Engine};
use crate::customer::Customer;
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::eval::Evaluator;
use crate::ir::{TypedExpr, TypedKind};
use crate::program::{Cond, Context, Tri};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::ast::BinaryOp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// The folder of a package that holds its test cases.
pub const TESTS_FOLDER: &str = "tests";
/// Gain tolerance when a case gives none.
pub const DEFAULT_TOLERANCE: f64 = 0.01;

/// Why no test could be run at all.
#[derive(Debug, Clone, PartialEq)]
pub enum TestError {
    /// The package has no `tests/` folder, or it holds no `.yaml` file.
    /// Triggered by `vasrec test` on a package without tests.
    NoTests(String),
    /// The `tests/` folder exists but cannot be listed.
    Unreadable(String),
}

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestError::NoTests(dir) => write!(
                f,
                "{dir}: no test cases (put YAML files with a list of cases there)"
            ),
            TestError::Unreadable(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for TestError {}

/// Everything a test run found.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Changes on any incompatible change of this shape.
    pub schema_version: u32,
    /// The catalog's package name.
    pub package: String,
    /// The `--filter` text, when one was given.
    pub filter: Option<String>,
    /// Every case that ran, in file order.
    pub cases: Vec<CaseResult>,
    /// Test files that could not be read or parsed; each counts as a failure.
    pub file_errors: Vec<FileError>,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases left out by the filter.
    pub filtered_out: usize,
    /// What the cases that ran exercised.
    pub coverage: Coverage,
    #[serde(skip)]
    sources: SourceMap,
}

/// One case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case's `name`.
    pub name: String,
    /// Its file, relative to the package.
    pub file: String,
    /// The line its `name` is on, when found.
    pub line: Option<usize>,
    /// Whether every expectation held.
    pub passed: bool,
    /// One message per expectation that did not hold (or why the case could not run).
    pub failures: Vec<String>,
    /// The offers the customer actually got, ranked.
    pub offers: Vec<ActualOffer>,
    /// The segments the customer was in, in evaluation order.
    pub segments: Vec<String>,
}

/// An offer as a case saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ActualOffer {
    /// Service id.
    pub service: String,
    /// Expected gain.
    pub gain: f64,
    /// The rule that made it.
    pub rule: String,
}

/// A test file that could not be used.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    /// The file, relative to the package.
    pub file: String,
    /// Line and column of the problem, when known.
    pub line: Option<usize>,
    /// Column (1-based).
    pub column: Option<usize>,
    /// The key path, e.g. `[2].expect.gain.priority_support`.
    pub key_path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub help: Option<String>,
    #[serde(skip)]
    code: Option<Code>,
    #[serde(skip)]
    source: Option<FileId>,
}

/// What the cases exercised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Cases evaluated (those that ran and had a valid customer).
    pub cases: usize,
    /// Every rule, in file order.
    pub rules: Vec<RuleCoverage>,
    /// Every segment, in declaration order.
    pub segments: Vec<SegmentCoverage>,
    /// Every profile, in declaration order.
    pub profiles: Vec<ProfileCoverage>,
}

/// How often a rule fired.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    /// Rule name.
    pub name: String,
    /// `file:line:col` of the rule.
    pub location: String,
    /// Offer (true) or suppress (false).
    pub offers: bool,
    /// Cases where its segment, profile and `when` held.
    pub fired: u32,
    /// Cases where one of its offers reached the final list.
    pub offered: u32,
    /// Its `when`, when it has one that depends on the customer.
    pub condition: Option<ConditionCoverage>,
}

/// How often a segment was entered.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentCoverage {
    /// Segment name.
    pub name: String,
    /// `file:line:col` of the segment.
    pub location: String,
    /// Cases that were in it.
    pub entered: u32,
    /// Its `when`, when it has one that depends on the customer.
    pub condition: Option<ConditionCoverage>,
}

/// How often a profile held.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileCoverage {
    /// Profile name.
    pub name: String,
    /// Cases whose preferences matched it.
    pub matched: u32,
}

/// A `when` condition, counted over the cases that reached it (for a rule:
/// its segment and profile held; for a segment: the customer was in every parent).
#[derive(Debug, Clone, Serialize)]
pub struct ConditionCoverage {
    /// The condition as written.
    pub text: String,
    /// `file:line:col`.
    pub location: String,
    /// How often it was true, false, unknown.
    #[serde(flatten)]
    pub counts: Counts,
    /// The tests joined by `and`/`or`, each counted on its own (empty when there is one).
    pub parts: Vec<PartCoverage>,
}

/// One test inside a condition.
#[derive(Debug, Clone, Serialize)]
pub struct PartCoverage {
    /// The test as written.
    pub text: String,
    /// `file:line:col`.
    pub location: String,
    /// How often it was true, false, unknown.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Times a condition was seen true, false, and unknown (a missing value).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Seen true.
    #[serde(rename = "true")]
    pub seen_true: u32,
    /// Seen false.
    #[serde(rename = "false")]
    pub seen_false: u32,
    /// Seen unknown.
    pub unknown: u32,
}

impl Counts {
    fn add(&mut self, t: Tri) {
        match t {
            Tri::True => self.seen_true += 1,
            Tri::False => self.seen_false += 1,
            Tri::Unknown => self.unknown += 1,
        }
    }

    fn reached(&self) -> bool {
        self.seen_true + self.seen_false + self.unknown > 0
    }
}

// ---- the YAML format --------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    #[serde(default)]
    customer: Option<Map<String, Json>>,
    #[serde(default)]
    sample: Option<Json>,
    #[serde(default, rename = "with")]
    overrides: Option<Map<String, Json>>,
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    offers: Option<Vec<String>>,
    #[serde(default)]
    includes: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    top: Option<String>,
    #[serde(default)]
    gain: BTreeMap<String, GainSpec>,
    #[serde(default)]
    made_by: BTreeMap<String, String>,
    #[serde(default)]
    blocked: Vec<String>,
    #[serde(default)]
    segments: Vec<String>,
    #[serde(default)]
    not_segments: Vec<String>,
    #[serde(default)]
    no_offers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum GainSpec {
    Value(f64),
    Detailed(GainDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GainDetail {
    value: f64,
    #[serde(default)]
    tolerance: Option<f64>,
}

struct LoadedCase {
    spec: CaseSpec,
    file: String,
    line: Option<usize>,
}

/// Runs the test cases in `dir/tests/*.yaml` (and `.yml`), in file-name order.
///
/// `filter` keeps the cases whose name contains it. Files that cannot be read
/// or parsed are reported in [`TestReport::file_errors`], not as an `Err`.
pub fn run(engine: &Engine, dir: &Path, filter: Option<&str>) -> Result<TestReport, TestError> {
    let tests_dir = dir.join(TESTS_FOLDER);
    let shown = tests_dir.display().to_string();
    let entries = match std::fs::read_dir(&tests_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TestError::NoTests(shown));
        }
        Err(e) => return Err(TestError::Unreadable(format!("{shown}: cannot list: {e}"))),
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(TestError::NoTests(shown));
    }

    let mut sources = SourceMap::default();
    let mut file_errors = Vec::new();
    let mut cases = Vec::new();
    for path in &paths {
        let name = crate::source::display_name(dir, path);
        match load_file(&mut sources, &name, path) {
            Ok(loaded) => cases.extend(loaded),
            Err(error) => file_errors.push(error),
        }
    }
    let total = cases.len();
    cases.retain(|c| filter.is_none_or(|f| c.spec.name.contains(f)));

    let names = Names::new(engine);
    let samples = Samples::load(engine, dir, &cases, &names);
    let mut tracker = Tracker::new(engine);
    let mut evaluator = engine.evaluator();
    let mut seen: HashMap<&str, String> = HashMap::new();
    let mut results = Vec::new();
    for case in &cases {
        let place = case
            .line
            .map_or(case.file.clone(), |l| format!("{}:{l}", case.file));
        let mut result = CaseResult {
            name: case.spec.name.clone(),
            file: case.file.clone(),
            line: case.line,
            passed: false,
            failures: Vec::new(),
            offers: Vec::new(),
            segments: Vec::new(),
        };
        if let Some(first) = seen.get(case.spec.name.as_str()) {
            result
                .failures
                .push(format!("another case has the same name ({first})"));
        } else {
            seen.insert(&case.spec.name, place);
        }
        match run_case(&case.spec, &names, &samples, &mut evaluator) {
            Ok((failures, customer)) => {
                result.failures.extend(failures);
                tracker.record(&evaluator, &customer);
                describe_actual(&evaluator, &mut result);
            }
            Err(problem) => result.failures.push(problem),
        }
        result.passed = result.failures.is_empty();
        results.push(result);
    }
    let passed = results.iter().filter(|r| r.passed).count();
    Ok(TestReport {
        schema_version: 1,
        package: engine.catalog().package.clone(),
        filter: filter.map(str::to_string),
        failed: results.len() - passed,
        passed,
        filtered_out: total - results.len(),
        cases: results,
        file_errors,
        coverage: tracker.finish(),
        sources,
    })
}

fn load_file(
    sources: &mut SourceMap,
    name: &str,
    path: &Path,
) -> Result<Vec<LoadedCase>, FileError> {
    let error = |code, message: String| FileError {
        file: name.to_string(),
        line: None,
        column: None,
        key_path: None,
        message,
        help: None,
        code: Some(code),
        source: None,
    };
    let bytes = std::fs::read(path)
        .map_err(|e| error(Code::ReadError, format!("{name}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| error(Code::InvalidUtf8, format!("{name}: not UTF-8 text")))?;
    let file = sources.add(SourceFile::new(name, Some(path.to_path_buf()), text));
    let text = sources.get(file).map_or("", |f| f.text.as_str());
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(FileError {
            line: Some(1),
            column: Some(1),
            source: Some(file),
            ..error(
                Code::Yaml,
                format!(
                    "{name}: the file holds no test cases; expected a list of cases (`- name: ...`)"
                ),
            )
        });
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let specs: Vec<CaseSpec> =
        serde_path_to_error::deserialize(deserializer).map_err(|e| yaml_error(name, file, e))?;
    let mut from = 0;
    Ok(specs
        .into_iter()
        .map(|spec| {
            let line = find_name_line(text, &spec.name, from);
            if let Some(l) = line {
                from = l;
            }
            LoadedCase {
                spec,
                file: name.to_string(),
                line,
            }
        })
        .collect())
}

/// The line (1-based, at or after `from`) of a case's `name:` key.
fn find_name_line(text: &str, name: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.strip_prefix("name:").is_some_and(|rest| {
                let rest = rest.trim();
                rest.trim_matches(|c| c == '"' || c == '\'') == name || rest.contains(name)
            })
        })
        .map(|(i, _)| i + 1)
}

fn yaml_error(
    name: &str,
    file: FileId,
    error: serde_path_to_error::Error<serde_yaml::Error>,
) -> FileError {
    let path = error.path().to_string();
    let path = (!path.contains('?') && path != ".").then_some(path);
    let inner = error.inner();
    let text = inner.to_string();
    let raw = text.split(" at line ").next().unwrap_or(&text);
    let raw = path
        .as_ref()
        .and_then(|p| raw.strip_prefix(&format!("{p}: ")))
        .unwrap_or(raw)
        .trim_end_matches('.');
    // serde_yaml may prefix its own form of the path (`.[0].expect: `).
    let raw = match raw.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with(['.', '[']) => rest,
        _ => raw,
    };
    let (code, message, mut help) = friendly(raw);
    if path.is_none() && message.ends_with("expected a list") {
        help = Some("a test file is a list of cases, each starting with `- name:`".into());
    }
    let located = path
        .as_ref()
        .map_or(String::new(), |p| format!(" at `{p}`"));
    FileError {
        file: name.to_string(),
        line: inner.location().map(|l| l.line()),
        column: inner.location().map(|l| l.column()),
        key_path: path,
        message: format!("{name}{located}: {message}"),
        help,
        code: Some(code),
        source: Some(file),
    }
}

/// serde's words into a business user's.
fn friendly(raw: &str) -> (Code, String, Option<String>) {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let got = rest.split('`').next().unwrap_or("");
        let allowed: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .map(|l| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let help = did_you_mean(got, allowed.iter().copied())
            .or_else(|| Some(format!("the keys allowed here are: {}", allowed.join(", "))));
        let message = format!("`{got}` is not a key a test case knows here");
        return (Code::UnknownKey, message, help);
    }
    if raw.contains("untagged enum GainSpec") {
        let message = "wrong kind of value: expected a number, or `{ value: N, tolerance: N }`";
        return (Code::Yaml, message.to_string(), None);
    }
    let message = if raw.starts_with("invalid type") {
        raw.replacen("invalid type", "wrong kind of value", 1)
            .replace("expected f64", "expected a number")
            .replace("expected a string", "expected a text")
            .replace("expected a sequence", "expected a list")
            .replace("expected a map", "expected keys and values")
    } else {
        raw.replace("missing field", "missing key")
    };
    (Code::Yaml, message, None)
}

// ---- names and customers ----------------------------------------------------

/// Lookups from the names a case uses to the engine's ids.
struct Names<'e> {
    engine: &'e Engine,
    services: HashMap<&'e str, u32>,
    segments: HashMap<&'e str, u32>,
    rules: HashMap<&'e str, u32>,
    /// Every accepted customer key (column, attribute name, `pref.NAME`) to its column.
    keys: Vec<(String, String)>,
    /// The id attribute's column.
    id_column: Option<String>,
}

impl<'e> Names<'e> {
    fn new(engine: &'e Engine) -> Self {
        let catalog = engine.catalog();
        let services = (0..)
            .zip(&catalog.services)
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let segments = (0..engine.checked.segments.len() as u32)
            .map(|i| (engine.segment_name(i), i))
            .collect();
        let rules = (0..engine.checked.rules.len() as u32)
            .map(|i| (engine.rule_name(i), i))
            .collect();
        let mut keys = Vec::new();
        for a in &catalog.customer.attributes {
            keys.push((a.column().to_string(), a.column().to_string()));
            keys.push((a.name.clone(), a.column().to_string()));
        }
        for p in &catalog.customer.preferences {
            keys.push((p.column(), p.column()));
            keys.push((format!("pref.{}", p.name), p.column()));
        }
        let id_column = catalog.customer.id.as_ref().and_then(|id| {
            let a = catalog.customer.attributes.iter().find(|a| &a.name == id)?;
            Some(a.column().to_string())
        });
        Names {
            engine,
            services,
            segments,
            rules,
            keys,
            id_column,
        }
    }

    /// The column a customer key stands for: exact, then ignoring ASCII case.
    fn column(&self, key: &str) -> Result<&str, String> {
        let exact = self.keys.iter().find(|(k, _)| k == key);
        let found = exact.or_else(|| self.keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)));
        found.map(|(_, c)| c.as_str()).ok_or_else(|| {
            let hint = did_you_mean(key, self.keys.iter().map(|(k, _)| k.as_str()))
                .map_or(String::new(), |h| format!(" ({h})"));
            format!("the customer schema has no column or attribute `{key}`{hint}")
        })
    }

    fn check(&self, what: &str, name: &str, table: &HashMap<&str, u32>) -> Result<u32, String> {
        table.get(name).copied().ok_or_else(|| {
            let hint = closest(name, table.keys().copied())
                .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            format!("there is no {what} `{name}`{hint}")
        })
    }

    fn service(&self, name: &str) -> Result<u32, String> {
        self.check("service", name, &self.services)
    }

    fn segment(&self, name: &str) -> Result<u32, String> {
        self.check("segment", name, &self.segments)
    }

    fn rule(&self, name: &str) -> Result<u32, String> {
        self.check("rule", name, &self.rules)
    }
}

/// The sample rows the cases refer to, by id (read once, only when needed).
struct Samples(Result<HashMap<String, Map<String, Json>>, String>);

fn sample_id(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Samples {
    fn load(engine: &Engine, dir: &Path, cases: &[LoadedCase], names: &Names<'_>) -> Samples {
        let wanted: HashSet<String> = cases
            .iter()
            .filter_map(|c| c.spec.sample.as_ref().map(sample_id))
            .collect();
        if wanted.is_empty() {
            return Samples(Ok(HashMap::new()));
        }
        Samples(Self::read(engine, dir, &wanted, names))
    }

    fn read(
        engine: &Engine,
        dir: &Path,
        wanted: &HashSet<String>,
        names: &Names<'_>,
    ) -> Result<HashMap<String, Map<String, Json>>, String> {
        let Some(sample) = &engine.catalog().sample else {
            return Err("`sample:` needs the catalog's `sample:` file, and it names none".into());
        };
        let Some(id_column) = &names.id_column else {
            return Err("`sample:` needs the catalog's `customer.id` attribute".into());
        };
        let path = dir.join(sample);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the sample `{sample}`: {e}"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let json = [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|e| sample.ends_with(e));
        let mut rows: Vec<Map<String, Json>> = Vec::new();
        if json {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let object: Map<String, Json> =
                    serde_json::from_str(line).map_err(|e| format!("{sample}:{}: {e}", i + 1))?;
                rows.push(object);
            }
        } else {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader
                .headers()
                .map_err(|e| format!("{sample}: {e}"))?
                .clone();
            for record in reader.records() {
                let record = record.map_err(|e| format!("{sample}: {e}"))?;
                let row = header
                    .iter()
                    .zip(record.iter())
                    .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
                    .collect();
                rows.push(row);
            }
        }
        let mut found = HashMap::new();
        for row in rows {
            let mut canonical = Map::new();
            for (key, value) in row {
                if let Ok(column) = names.column(&key) {
                    canonical.insert(column.to_string(), value);
                }
            }
            let id = canonical.get(id_column).map(sample_id);
            if let Some(id) = id.map(|i| i.trim().to_string())
                && wanted.contains(&id)
            {
                found.entry(id).or_insert(canonical);
            }
        }
        Ok(found)
    }
}

/// The case's customer: its own columns, or a sample row with overrides.
fn build_customer(
    spec: &CaseSpec,
    names: &Names<'_>,
    samples: &Samples,
) -> Result<Customer, String> {
    let mut object = Map::new();
    let put = |object: &mut Map<String, Json>, what: &str, fields: &Map<String, Json>| {
        for (key, value) in fields {
            let column = names
                .column(key)
                .map_err(|e| format!("{what}.{key}: {e}"))?;
            object.insert(column.to_string(), value.clone());
        }
        Ok::<(), String>(())
    };
    match (&spec.customer, &spec.sample) {
        (Some(_), Some(_)) => return Err("give `customer:` or `sample:`, not both".into()),
        (None, None) => {
            return Err(
                "the case needs `customer:` (the customer's columns) or `sample:` (the id of a row of the package's sample)"
                    .into(),
            );
        }
        (Some(customer), None) => {
            if spec.overrides.is_some() {
                return Err(
                    "`with:` changes a `sample:` row; put the values in `customer:`".into(),
                );
            }
            put(&mut object, "customer", customer)?;
        }
        (None, Some(id)) => {
            let id = sample_id(id);
            let rows = samples.0.as_ref().map_err(|e| format!("sample: {e}"))?;
            let row = rows
                .get(&id)
                .ok_or_else(|| format!("sample: no row of the sample has the id `{id}`"))?;
            object.clone_from(row);
            if let Some(overrides) = &spec.overrides {
                put(&mut object, "with", overrides)?;
            }
        }
    }
    if let Some(id) = &names.id_column {
        object
            .entry(id.clone())
            .or_insert_with(|| Json::String(spec.name.clone()));
    }
    names
        .engine
        .customer_from_json(&Json::Object(object))
        .map_err(|e| format!("customer: {e}"))
}

// ---- running a case ----------------------------------------------------------

fn run_case(
    spec: &CaseSpec,
    names: &Names<'_>,
    samples: &Samples,
    evaluator: &mut Evaluator<'_>,
) -> Result<(Vec<String>, Customer), String> {
    let expect = &spec.expect;
    validate(expect, names)?;
    let customer = build_customer(spec, names, samples)?;
    let engine = names.engine;
    evaluator
        .evaluate(&customer)
        .map_err(|e| format!("evaluation failed: {e}"))?;
    let offers = evaluator.offers();
    let service = |id: u32| engine.service(id).map_or("", |s| s.id.as_str());
    let got: Vec<&str> = offers.iter().map(|o| service(o.service)).collect();
    let shown = list(&got);
    let mut failures = Vec::new();

    if let Some(wanted) = &expect.offers
        && got != *wanted
    {
        let mut message = format!("offers: expected {}, got {shown}", list(wanted));
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| !got.contains(&w.as_str()))
            .collect();
        let unexpected: Vec<&str> = got
            .iter()
            .copied()
            .filter(|g| !wanted.iter().any(|w| w == g))
            .collect();
        if !missing.is_empty() {
            let _ = write!(message, "\n  missing: {}", join(&missing));
        }
        if !unexpected.is_empty() {
            let _ = write!(message, "\n  unexpected: {}", unexpected.join(", "));
        }
        if missing.is_empty() && unexpected.is_empty() {
            message.push_str("\n  same services, another order");
        }
        failures.push(message);
    }
    for wanted in &expect.includes {
        if !got.contains(&wanted.as_str()) {
            failures.push(format!(
                "includes: expected {wanted} among the offers, got {shown}"
            ));
        }
    }
    for unwanted in &expect.excludes {
        if let Some(o) = offers.iter().find(|o| service(o.service) == unwanted) {
            failures.push(format!(
                "excludes: {unwanted} was offered (gain {}, rule {})",
                number(o.gain),
                engine.rule_name(o.rule)
            ));
        }
    }
    if let Some(top) = &expect.top
        && got.first() != Some(&top.as_str())
    {
        let actual = got
            .first()
            .map_or("no offer".to_string(), |g| g.to_string());
        failures.push(format!(
            "top: expected {top}, got {actual} (offers {shown})"
        ));
    }
    for (wanted, spec) in &expect.gain {
        let (value, tolerance) = match spec {
            GainSpec::Value(v) => (*v, DEFAULT_TOLERANCE),
            GainSpec::Detailed(d) => (d.value, d.tolerance.unwrap_or(DEFAULT_TOLERANCE)),
        };
        let expected = format!("{} ± {}", number(value), number(tolerance));
        match offers.iter().find(|o| service(o.service) == wanted) {
            Some(o) if (o.gain - value).abs() <= tolerance + 1e-9 => {}
            Some(o) => failures.push(format!(
                "gain of {wanted}: expected {expected}, got {} (rule {})",
                number(o.gain),
                engine.rule_name(o.rule)
            )),
            None => failures.push(format!(
                "gain of {wanted}: expected {expected}, but {wanted} was not offered (offers {shown})"
            )),
        }
    }
    for (wanted, rule) in &expect.made_by {
        match offers.iter().find(|o| service(o.service) == wanted) {
            Some(o) if engine.rule_name(o.rule) == rule => {}
            Some(o) => failures.push(format!(
                "made_by {wanted}: expected rule {rule}, got rule {}",
                engine.rule_name(o.rule)
            )),
            None => failures.push(format!(
                "made_by {wanted}: expected rule {rule}, but {wanted} was not offered (offers {shown})"
            )),
        }
    }
    let blocked = evaluator.blocked();
    for wanted in &expect.blocked {
        if !blocked.iter().any(|(s, _)| service(*s) == wanted) {
            let actual: Vec<&str> = blocked.iter().map(|(s, _)| service(*s)).collect();
            failures.push(format!(
                "blocked: expected an offer of {wanted} to be dropped (by a suppression or a missing value), got blocked {}",
                list(&actual)
            ));
        }
    }
    let members: Vec<&str> = evaluator
        .memberships()
        .iter()
        .map(|&s| engine.segment_name(s))
        .collect();
    for wanted in &expect.segments {
        if !members.contains(&wanted.as_str()) {
            failures.push(format!(
                "segments: expected to be in {wanted}, but is not (in {})",
                list(&members)
            ));
        }
    }
    for unwanted in &expect.not_segments {
        if members.contains(&unwanted.as_str()) {
            failures.push(format!(
                "not_segments: expected not to be in {unwanted}, but is (in {})",
                list(&members)
            ));
        }
    }
    match expect.no_offers {
        Some(true) if !got.is_empty() => {
            failures.push(format!("no_offers: expected no offer, got {shown}"));
        }
        Some(false) if got.is_empty() => {
            failures.push("no_offers: false: expected at least one offer, got none".into());
        }
        _ => {}
    }
    Ok((failures, customer))
}

/// Names in the expectations must exist: a typo must not pass silently.
fn validate(expect: &Expect, names: &Names<'_>) -> Result<(), String> {
    let e = expect;
    let services = e.offers.iter().flatten().map(|s| ("offers", s));
    let services = services
        .chain(e.includes.iter().map(|s| ("includes", s)))
        .chain(e.excludes.iter().map(|s| ("excludes", s)))
        .chain(e.top.iter().map(|s| ("top", s)))
        .chain(e.gain.keys().map(|s| ("gain", s)))
        .chain(e.made_by.keys().map(|s| ("made_by", s)))
        .chain(e.blocked.iter().map(|s| ("blocked", s)));
    let mut problems = Vec::new();
    for (key, name) in services {
        if let Err(m) = names.service(name) {
            problems.push(format!("expect.{key}: {m}"));
        }
    }
    for (key, name) in (e.segments.iter().map(|s| ("segments", s)))
        .chain(e.not_segments.iter().map(|s| ("not_segments", s)))
    {
        if let Err(m) = names.segment(name) {
            problems.push(format!("expect.{key}: {m}"));
        }
    }
    for rule in e.made_by.values() {
        if let Err(m) = names.rule(rule) {
            problems.push(format!("expect.made_by: {m}"));
        }
    }
    for (service, spec) in &e.gain {
        if let GainSpec::Detailed(GainDetail {
            tolerance: Some(t), ..
        }) = spec
            && (t.is_nan() || *t < 0.0)
        {
            problems.push(format!(
                "expect.gain.{service}: the tolerance must be 0 or more"
            ));
        }
    }
    let says_something = e.offers.is_some()
        || !e.includes.is_empty()
        || !e.excludes.is_empty()
        || e.top.is_some()
        || !e.gain.is_empty()
        || !e.made_by.is_empty()
        || !e.blocked.is_empty()
        || !e.segments.is_empty()
        || !e.not_segments.is_empty()
        || e.no_offers.is_some();
    if !says_something {
        problems.push("expect: nothing to check; give offers, includes, excludes, top, gain, made_by, blocked, segments, not_segments or no_offers".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn describe_actual(evaluator: &Evaluator<'_>, result: &mut CaseResult) {
    let engine = evaluator.engine();
    result.offers = evaluator
        .offers()
        .iter()
        .map(|o| ActualOffer {
            service: engine
                .service(o.service)
                .map_or(String::new(), |s| s.id.clone()),
            gain: o.gain,
            rule: engine.rule_name(o.rule).to_string(),
        })
        .collect();
    result.segments = evaluator
        .memberships()
        .iter()
        .map(|&s| engine.segment_name(s).to_string())
        .collect();
}

fn list<T: AsRef<str>>(items: &[T]) -> String {
    format!("[{}]", join(items))
}

fn join<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number as people write it: at most four decimals, no trailing zeros.
fn number(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

// ---- coverage ------------------------------------------------------------------

/// A condition compiled for counting: the whole, and its `and`/`or` parts.
struct Tracked {
    whole: Cond,
    parts: Vec<(Span, Cond)>,
    counts: Counts,
    part_counts: Vec<Counts>,
    span: Span,
}

impl Tracked {
    fn new(expr: Option<&TypedExpr>, engine: &Engine) -> Option<Tracked> {
        let expr = expr?;
        let symbols = &engine.schema.symbols;
        let whole = compile::cond(expr, symbols);
        if whole.is_const() {
            return None;
        }
        let mut leaves = Vec::new();
        collect_parts(expr, &mut leaves);
        let parts: Vec<(Span, Cond)> = if leaves.len() > 1 {
            leaves
                .into_iter()
                .map(|e| (e.span, compile::cond(e, symbols)))
                .filter(|(_, c)| !c.is_const())
                .collect()
        } else {
            Vec::new()
        };
        Some(Tracked {
            whole,
            part_counts: vec![Counts::default(); parts.len()],
            parts,
            counts: Counts::default(),
            span: expr.span,
        })
    }

    fn record(&mut self, cx: &Context<'_>) {
        self.counts.add(self.whole.eval(cx));
        for ((_, part), counts) in self.parts.iter().zip(&mut self.part_counts) {
            counts.add(part.eval(cx));
        }
    }

    fn finish(&self, engine: &Engine) -> ConditionCoverage {
        ConditionCoverage {
            text: snippet(engine, self.span),
            location: location(engine, self.span),
            counts: self.counts,
            parts: self
                .parts
                .iter()
                .zip(&self.part_counts)
                .map(|((span, _), counts)| PartCoverage {
                    text: snippet(engine, *span),
                    location: location(engine, *span),
                    counts: *counts,
                })
                .collect(),
        }
    }
}

fn collect_parts<'a>(expr: &'a TypedExpr, out: &mut Vec<&'a TypedExpr>) {
    match &expr.kind {
        TypedKind::Binary(BinaryOp::And | BinaryOp::Or, a, b) => {
            collect_parts(a, out);
            collect_parts(b, out);
        }
        _ => out.push(expr),
    }
}

fn snippet(engine: &Engine, span: Span) -> String {
    let Some(file) = engine.sources.get(span.file) else {
        return String::new();
    };
    let mut text = file.slice(span).to_string();
    // A span ends at its last operand: take in the closing parentheses it opened.
    let open = text.matches('(').count();
    let mut missing = open.saturating_sub(text.matches(')').count());
    let rest = file.text.get(span.end as usize..).unwrap_or("");
    for c in rest.chars() {
        if missing == 0 || !(c.is_whitespace() || c == ')') {
            break;
        }
        text.push(c);
        missing -= usize::from(c == ')');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn location(engine: &Engine, span: Span) -> String {
    engine.sources.get(span.file).map_or(String::new(), |f| {
        let (line, col) = f.line_col(span.start);
        format!("{}:{line}:{col}", f.name)
    })
}

/// Counts what the cases exercised.
struct Tracker<'e> {
    engine: &'e Engine,
    cases: usize,
    fired: Vec<u32>,
    offered: Vec<u32>,
    entered: Vec<u32>,
    matched: Vec<u32>,
    profiles: Vec<Option<Cond>>,
    rules: Vec<Option<Tracked>>,
    segments: Vec<Option<Tracked>>,
}

impl<'e> Tracker<'e> {
    fn new(engine: &'e Engine) -> Self {
        let checked = &engine.checked;
        let symbols = &engine.schema.symbols;
        Tracker {
            engine,
            cases: 0,
            fired: vec![0; checked.rules.len()],
            offered: vec![0; checked.rules.len()],
            entered: vec![0; checked.segments.len()],
            matched: vec![0; checked.profiles.len()],
            profiles: (checked.profiles.iter())
                .map(|p| p.when.as_ref().map(|w| compile::cond(w, symbols)))
                .collect(),
            rules: (checked.rules.iter())
                .map(|r| Tracked::new(r.when.as_ref(), engine))
                .collect(),
            segments: (checked.segments.iter())
                .map(|s| Tracked::new(s.when.as_ref(), engine))
                .collect(),
        }
    }

    fn record(&mut self, evaluator: &Evaluator<'_>, customer: &Customer) {
        let engine = self.engine;
        self.cases += 1;
        let cx = Context {
            values: &customer.values,
            local_texts: &customer.local_texts,
            symbols: &engine.schema.symbols,
        };
        let mut member = vec![false; self.entered.len()];
        for &s in evaluator.memberships() {
            if let Some(m) = member.get_mut(s as usize) {
                *m = true;
            }
            if let Some(n) = self.entered.get_mut(s as usize) {
                *n += 1;
            }
        }
        let is_member = |s: u32| member.get(s as usize).copied().unwrap_or(false);
        for (segment, tracked) in engine.checked.segments.iter().zip(&mut self.segments) {
            if let Some(tracked) = tracked
                && segment.parents.iter().all(|&p| is_member(p))
            {
                tracked.record(&cx);
            }
        }
        let held: Vec<bool> = self
            .profiles
            .iter()
            .map(|p| p.as_ref().is_none_or(|c| c.eval(&cx) == Tri::True))
            .collect();
        for (n, h) in self.matched.iter_mut().zip(&held) {
            *n += u32::from(*h);
        }
        for &r in evaluator.fired_rules() {
            if let Some(n) = self.fired.get_mut(r as usize) {
                *n += 1;
            }
        }
        for offer in evaluator.offers() {
            if let Some(n) = self.offered.get_mut(offer.rule as usize) {
                *n += 1;
            }
        }
        for (rule, tracked) in engine.checked.rules.iter().zip(&mut self.rules) {
            let profile_held = rule
                .profile
                .is_none_or(|p| held.get(p as usize).copied().unwrap_or(false));
            if let Some(tracked) = tracked
                && is_member(rule.segment)
                && profile_held
            {
                tracked.record(&cx);
            }
        }
    }

    fn finish(self) -> Coverage {
        let engine = self.engine;
        let checked = &engine.checked;
        Coverage {
            cases: self.cases,
            rules: (0u32..)
                .zip(&checked.rules)
                .map(|(id, rule)| RuleCoverage {
                    name: rule.name.clone(),
                    location: engine.rule_location(id),
                    offers: engine.rule_offers(id),
                    fired: self.fired.get(id as usize).copied().unwrap_or(0),
                    offered: self.offered.get(id as usize).copied().unwrap_or(0),
                    condition: self
                        .rules
                        .get(id as usize)
                        .and_then(Option::as_ref)
                        .map(|t| t.finish(engine)),
                })
                .collect(),
            segments: (0usize..)
                .zip(&checked.segments)
                .map(|(i, segment)| SegmentCoverage {
                    name: segment.name.clone(),
                    location: location(engine, segment.name_span),
                    entered: self.entered.get(i).copied().unwrap_or(0),
                    condition: self
                        .segments
                        .get(i)
                        .and_then(Option::as_ref)
                        .map(|t| t.finish(engine)),
                })
                .collect(),
            profiles: (checked.profiles.iter().zip(&self.matched))
                .map(|(p, &matched)| ProfileCoverage {
                    name: p.name.clone(),
                    matched,
                })
                .collect(),
        }
    }
}

// ---- rendering -------------------------------------------------------------------

impl TestReport {
    /// Whether the run is a success: every case passed, every file was read,
    /// and at least one case ran (a filter that matches nothing is a failure,
    /// so that a mistyped filter cannot pass in CI).
    pub fn success(&self) -> bool {
        self.failed == 0 && self.file_errors.is_empty() && !self.cases.is_empty()
    }

    /// The report as a test runner prints it; with `coverage`, the coverage
    /// section before the final line. `color` paints diagnostics of bad files.
    pub fn to_text(&self, coverage: bool, color: bool) -> String {
        let mut out = String::new();
        let files: HashSet<&str> = self.cases.iter().map(|c| c.file.as_str()).collect();
        let _ = writeln!(
            out,
            "running {} case{} from {} file{}",
            self.cases.len(),
            plural(self.cases.len()),
            files.len(),
            plural(files.len())
        );
        for case in &self.cases {
            if case.passed {
                let _ = writeln!(out, "ok    {}", case.name);
                continue;
            }
            let place = case
                .line
                .map_or(case.file.clone(), |l| format!("{}:{l}", case.file));
            let _ = writeln!(out, "FAIL  {}  ({place})", case.name);
            for failure in &case.failures {
                for line in failure.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            if !case.segments.is_empty() {
                let offers: Vec<String> = case
                    .offers
                    .iter()
                    .map(|o| format!("{} {} ({})", o.service, number(o.gain), o.rule))
                    .collect();
                let _ = writeln!(out, "      actual offers: {}", list(&offers));
                let _ = writeln!(out, "      actual segments: {}", list(&case.segments));
            }
        }
        for error in &self.file_errors {
            out.push('\n');
            out.push_str(&self.render_file_error(error, color));
        }
        if coverage {
            out.push('\n');
            out.push_str(&self.coverage.to_text());
        }
        let verdict = if self.success() { "ok" } else { "FAILED" };
        let _ = write!(
            out,
            "\ntest result: {verdict}. {} passed; {} failed",
            self.passed, self.failed
        );
        if !self.file_errors.is_empty() {
            let n = self.file_errors.len();
            let _ = write!(out, "; {n} file{} with errors", plural(n));
        }
        if self.filter.is_some() {
            let _ = write!(out, "; {} filtered out", self.filtered_out);
        }
        if self.cases.is_empty()
            && let Some(filter) = &self.filter
        {
            let _ = write!(out, " (no case name contains `{filter}`)");
        }
        out.push('\n');
        out
    }

    fn render_file_error(&self, error: &FileError, color: bool) -> String {
        let mut diagnostic =
            Diagnostic::error_nowhere(error.code.unwrap_or(Code::Yaml), error.message.clone())
                .with_help_opt(error.help.clone());
        if let (Some(file), Some(line), Some(column)) = (error.source, error.line, error.column) {
            diagnostic.position = Some((file, line, column));
        }
        crate::render::render(&diagnostic, &self.sources, color)
    }
}

impl Coverage {
    /// Rules never fired, segments never entered, profiles never matched, and
    /// conditions never seen true or false, as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let count = |n: usize, total: usize| format!("{n} of {total}");
        let fired = self.rules.iter().filter(|r| r.fired > 0).count();
        let entered = self.segments.iter().filter(|s| s.entered > 0).count();
        let matched = self.profiles.iter().filter(|p| p.matched > 0).count();
        let _ = writeln!(
            out,
            "coverage over {} case{}:",
            self.cases,
            plural(self.cases)
        );
        let _ = writeln!(
            out,
            "  rules fired        {}",
            count(fired, self.rules.len())
        );
        let _ = writeln!(
            out,
            "  segments entered   {}",
            count(entered, self.segments.len())
        );
        let _ = writeln!(
            out,
            "  profiles matched   {}",
            count(matched, self.profiles.len())
        );

        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "  {title}:");
                for line in lines {
                    let _ = writeln!(out, "    {line}");
                }
            }
        };
        section(
            "rules never fired",
            (self.rules.iter().filter(|r| r.fired == 0))
                .map(|r| format!("{}  ({})", r.name, r.location))
                .collect(),
        );
        section(
            "offer rules that fired but never made an offer (overridden, suppressed or cut)",
            (self
                .rules
                .iter()
                .filter(|r| r.offers && r.fired > 0 && r.offered == 0))
            .map(|r| format!("{}  ({})", r.name, r.location))
            .collect(),
        );
        section(
            "segments never entered",
            (self.segments.iter().filter(|s| s.entered == 0))
                .map(|s| format!("{}  ({})", s.name, s.location))
                .collect(),
        );
        section(
            "profiles never matched",
            (self.profiles.iter().filter(|p| p.matched == 0))
                .map(|p| p.name.clone())
                .collect(),
        );
        let owners = (self.segments.iter())
            .map(|s| ("segment", &s.name, &s.condition))
            .chain(self.rules.iter().map(|r| ("rule", &r.name, &r.condition)));
        let (mut never_true, mut never_false) = (Vec::new(), Vec::new());
        for (kind, name, condition) in owners {
            let Some(c) = condition.as_ref().filter(|c| c.counts.reached()) else {
                continue;
            };
            // "never true" of a whole condition is already "never fired/entered".
            if c.counts.seen_false == 0 {
                never_false.push(format!("{kind} {name}: `{}`  ({})", c.text, c.location));
            }
            for part in &c.parts {
                let line = format!("{kind} {name}, part `{}`  ({})", part.text, part.location);
                if part.counts.seen_true == 0 {
                    never_true.push(line.clone());
                }
                if part.counts.seen_false == 0 {
                    never_false.push(line);
                }
            }
        }
        let everything = never_true.is_empty() && never_false.is_empty();
        section("conditions never seen true", never_true);
        section("conditions never seen false", never_false);
        let all = |n: usize, total: usize| n == total;
        if everything
            && all(fired, self.rules.len())
            && all(entered, self.segments.len())
            && all(matched, self.profiles.len())
            && self.rules.iter().all(|r| !r.offers || r.offered > 0)
        {
            out.push_str("  every rule made an offer or suppressed one, every segment and profile held, every condition was seen true and false\n");
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
