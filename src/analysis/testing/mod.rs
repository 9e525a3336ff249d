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
//!
//! This module holds the report types and [`run`], which strings the steps
//! together: `cases` reads the YAML files, `customers` turns a case into a
//! customer, `check` evaluates it and checks the expectations (writing lists
//! in its messages with `words`), and `coverage` counts what the cases
//! exercised. `format::testing` writes the report as text.

mod cases;
mod check;
mod coverage;
mod customers;
pub(crate) mod words;

pub use coverage::{
    ConditionCoverage, Counts, Coverage, CoverageSummary, PartCoverage, ProfileCoverage,
    RuleCoverage, SegmentCoverage, Share,
};

use crate::base::diagnostic::Code;
use crate::base::source::{FileId, SourceMap};
use crate::engine::Engine;
use cases::load_file;
use check::{describe_actual, run_case};
use coverage::Tracker;
use customers::{Names, Samples};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// The folder of a package that holds its test cases.
pub const TESTS_FOLDER: &str = "tests";
/// Gain tolerance when a case gives none.
pub const DEFAULT_TOLERANCE: f64 = 0.01;

/// Why no test could be run at all.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// The test files read, for the diagnostics of those that failed.
    #[serde(skip)]
    pub(crate) sources: SourceMap,
}

impl TestReport {
    /// Whether the run is a success: every case passed, every file was read,
    /// and at least one case ran (a filter that matches nothing is a failure,
    /// so that a mistyped filter cannot pass in CI).
    pub fn success(&self) -> bool {
        self.failed == 0 && self.file_errors.is_empty() && !self.cases.is_empty()
    }
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
    #[serde(serialize_with = "crate::analysis::tidy::tidy")]
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
    /// The diagnostic's code (YAML syntax when none).
    #[serde(skip)]
    pub(crate) code: Option<Code>,
    /// The file in [`TestReport::sources`], when it could be read.
    #[serde(skip)]
    pub(crate) source: Option<FileId>,
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
        let name = crate::base::source::display_name(dir, path);
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
