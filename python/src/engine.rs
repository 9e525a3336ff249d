//! `vasrec.Engine`: a rule package loaded once, evaluated from Python.
//!
//! In: a package folder, then customers as dicts. Out: score records (the
//! shape `vasrec score` writes), explanations and diagnostics as Python
//! values. The GIL is released while the engine works, so Python threads
//! evaluate in parallel.

use crate::convert;
use crate::diagnostics::{self, Diagnostic};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::IntoPyDict;
use std::path::PathBuf;
use std::sync::Arc;
use vasrec::score::{ScoreFormat, ScoreFormatter};

create_exception!(
    vasrec,
    CustomerError,
    PyValueError,
    "A customer value that does not fit the package's schema (a text where a \
     number goes, a category the catalog does not list). `error.field` is the \
     attribute, `error.column` the input key."
);

create_exception!(
    vasrec,
    EvaluationError,
    PyException,
    "A rule or script that failed on this customer (a gain divided by zero, a \
     script over its limits). `error.raised_by` names the rule."
);

/// A rule package, loaded, checked and compiled once; immutable, shared by
/// every thread.
#[pyclass(frozen, module = "vasrec")]
pub(crate) struct Engine {
    pub(crate) engine: Arc<vasrec::Engine>,
    /// Built once: the per-rule parts of every record, already escaped.
    pub(crate) records: ScoreFormatter,
    path: PathBuf,
}

#[pymethods]
impl Engine {
    /// Loads, checks and compiles the package in a folder (`catalog.yaml`
    /// and its `.vas` files). Raises `vasrec.PackageError` with every
    /// diagnostic when it does not load.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Engine> {
        let loaded = py.detach(|| vasrec::Engine::load(&path));
        let engine = loaded.map_err(|error| diagnostics::package_error(py, &error))?;
        let records = ScoreFormatter::new(&engine, ScoreFormat::Jsonl);
        Ok(Engine {
            engine: Arc::new(engine),
            records,
            path,
        })
    }

    /// The package's name (`package:` in its catalog).
    #[getter]
    fn package(&self) -> &str {
        &self.engine.catalog().package
    }

    /// The folder it was loaded from.
    #[getter]
    fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn __repr__(&self) -> String {
        let (segments, rules, _) = self.engine.counts();
        format!(
            "<vasrec.Engine package={:?} from {:?}: {} services, {segments} segments, {rules} rules>",
            self.engine.catalog().package,
            self.path.display().to_string(),
            self.engine.catalog().services.len(),
        )
    }

    /// The package's warnings (a loaded package has no errors), as
    /// `vasrec.Diagnostic` objects; `vasrec check` shows the same.
    fn check(&self) -> Vec<Diagnostic> {
        diagnostics::to_objects(self.engine.warnings(), self.engine.sources())
    }

    /// Evaluates one customer, a dict keyed by input columns or attribute
    /// names (`pref.NAME` for preferences). Returns the record `vasrec score`
    /// writes for it, without `line`: `{"schema_version", "customer_id",
    /// "offers": [{"rank", "service", "name", "gain", "cost", "rule",
    /// "segment", "segment_path", "reason", "loyalty"?}]}`, plus
    /// `"not_given"` when required values were left out (read as missing).
    /// A service with a capacity is offered to everyone who qualifies (one
    /// customer is no population). Raises `vasrec.CustomerError` or
    /// `vasrec.EvaluationError`.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        customer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let object = convert::customer(customer)?;
        let engine = &self.engine;
        let records = &self.records;
        let answer = py.detach(|| -> Result<(String, Vec<String>), Failure> {
            let customer = engine.customer_from_json(&object)?;
            let mut evaluator = engine.evaluator();
            let offers = evaluator.evaluate(&customer)?;
            let mut text = String::new();
            records.write(engine, &mut text, &customer, 0, offers);
            let not_given = engine.not_given(&customer).map(str::to_string).collect();
            Ok((text, not_given))
        });
        let (text, not_given) = answer.map_err(|f| f.into_py(py))?;
        let record = convert::loads(py, &text)?;
        record.del_item("line")?;
        if !not_given.is_empty() {
            record.set_item("not_given", not_given)?;
        }
        Ok(record)
    }

    /// Why this customer gets what it gets: every segment it is in or not
    /// (and the part of the test that failed), every rule and what became
    /// of it, the final offers. The dict `vasrec explain --format json`
    /// prints for a customer typed in.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        customer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let object = convert::customer(customer)?;
        let engine = &self.engine;
        let answer = py.detach(|| -> Result<String, Failure> {
            let customer = engine.customer_from_json(&object)?;
            let explanation = vasrec::explain(engine, &customer);
            serde_json::to_string(&explanation).map_err(Failure::Internal)
        });
        convert::loads(py, &answer.map_err(|f| f.into_py(py))?)
    }

    /// Evaluates every row of Arrow data (a `pyarrow.Table` or
    /// `RecordBatch`, or anything with `__arrow_c_stream__` /
    /// `__arrow_c_array__`), read in place through the Arrow C data
    /// interface, columns by input column or attribute name. Returns the
    /// score records as Arrow (a `RecordBatch` for a batch, else a `Table`):
    /// `customer_id`, `line` (the row, from 1), `offers` (a list of structs
    /// with the fields of `vasrec score`'s offers). One customer at a time,
    /// as `evaluate`: limited services go to everyone who qualifies. A value
    /// of the wrong type raises `vasrec.CustomerError`.
    fn evaluate_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let imported = crate::arrow_bridge::import(data)?;
        let engine = &self.engine;
        let scored = py.detach(|| -> Result<Vec<_>, Failure> {
            let mut out = Vec::with_capacity(imported.batches.len());
            let mut before = 0u64;
            for batch in &imported.batches {
                let records = engine.evaluate_record_batch(batch).map_err(Failure::Row)?;
                out.push(
                    crate::arrow_bridge::shift_lines(records, before).map_err(Failure::Arrow)?,
                );
                before += batch.num_rows() as u64;
            }
            Ok(out)
        });
        let scored = scored.map_err(|f| f.into_py(py))?;
        let schema = vasrec::score::score_arrow_schema(engine);
        crate::arrow_bridge::export(py, schema, scored, imported.single)
    }

    /// Scores a pandas DataFrame (columns by input column or attribute
    /// name): `evaluate_arrow` on `pyarrow.Table.from_pandas(df)`, back as a
    /// DataFrame with `customer_id`, `line` and `offers` (per row, the
    /// offers as dicts). Needs pyarrow.
    fn score_pandas<'py>(
        &self,
        py: Python<'py>,
        frame: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = py.import("pyarrow")?.getattr("Table")?.call_method(
            "from_pandas",
            (frame,),
            Some(&[("preserve_index", false)].into_py_dict(py)?),
        )?;
        self.evaluate_arrow(py, &table)?.call_method0("to_pandas")
    }

    /// The dry-run report over many customers (an iterable of dicts), as
    /// `vasrec dry-run` makes it: on all cores (`threads`, default all) with
    /// the GIL released. A row's line is `line_offset` plus its position
    /// (from 1): give a part of a larger input the rows before it (plus 1
    /// for a CSV file's header) and its lines are the whole input's.
    /// Capacity-limited services are allocated over these rows, unless
    /// `ignore_capacity`, or as `allocation` (from `Engine.allocate`) says
    /// for a job made in parts. `name` stands for the input in the report.
    /// A bad row raises `vasrec.CustomerError`, or with `on_error="skip"` is
    /// counted and left.
    #[pyo3(signature = (rows, *, name = "rows", line_offset = 0, allocation = None, threads = None, on_error = "fail", ignore_capacity = false))]
    #[allow(clippy::too_many_arguments)]
    fn dry_run(
        &self,
        py: Python<'_>,
        rows: &Bound<'_, PyAny>,
        name: &str,
        line_offset: u64,
        allocation: Option<&str>,
        threads: Option<usize>,
        on_error: &str,
        ignore_capacity: bool,
    ) -> PyResult<crate::report::Report> {
        let options = crate::report::Options {
            name,
            line_offset,
            threads: threads_or_all(threads)?,
            on_error: crate::report::OnError::parse(on_error)?,
            ignore_capacity,
            allocation,
        };
        let text = crate::report::input(py, rows)?;
        crate::report::run(py, self, text, options)
    }

    /// The records `vasrec score` writes, one per customer of `rows` (an
    /// iterable of dicts), in input order: as dicts (`output="dicts"`) or as
    /// the JSON Lines text, a line per customer (`output="jsonl"`). `line`
    /// is `line_offset` plus the row's position (from 1). Capacity-limited
    /// services are given out over these rows (as `vasrec score` does over
    /// a file), unless `ignore_capacity`, or as `allocation` says (from
    /// `Engine.allocate`, for a job made in parts). A bad row raises
    /// `vasrec.CustomerError`, or with `on_error="skip"` is left out.
    #[pyo3(signature = (rows, *, line_offset = 0, allocation = None, ignore_capacity = false, threads = None, on_error = "fail", output = "dicts"))]
    #[allow(clippy::too_many_arguments)]
    fn score<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
        line_offset: u64,
        allocation: Option<&str>,
        ignore_capacity: bool,
        threads: Option<usize>,
        on_error: &str,
        output: &str,
    ) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let options = crate::score::Options {
            line_offset,
            allocation,
            ignore_capacity,
            threads: threads_or_all(threads)?,
            on_error: crate::report::OnError::parse(on_error)?,
            form: crate::score::Form::parse(output)?,
        };
        crate::score::run(py, self, rows, options)
    }

    /// Whether the package limits the capacity of a service, so that a job
    /// made in parts needs capacity's first pass (`demand`, `allocate`).
    #[getter]
    fn needs_capacity(&self) -> bool {
        vasrec::capacity::Demand::needed(&self.engine)
    }

    /// Capacity's first pass over one part of the customers: who wants the
    /// limited services and with what gain, as JSON (`vasrec dry-run
    /// --demand-out`'s form). `line_offset` as for `dry_run`.
    #[pyo3(signature = (rows, *, line_offset = 0, threads = None))]
    fn demand(
        &self,
        py: Python<'_>,
        rows: &Bound<'_, PyAny>,
        line_offset: u64,
        threads: Option<usize>,
    ) -> PyResult<String> {
        let threads = threads_or_all(threads)?;
        let text = crate::report::input(py, rows)?;
        let engine = &self.engine;
        let demand = py.detach(|| {
            crate::report::demand(engine, &text, line_offset, threads)
                .map(|d| vasrec::capacity::PartialDemand::new(engine, d).to_json())
        });
        demand.map_err(CustomerError::new_err)
    }

    /// Merges the demands of every part (`demand`'s JSON) and decides who
    /// gets the limited services: the allocation, as JSON, to give every
    /// part's `dry_run(..., allocation=...)`.
    fn allocate(&self, py: Python<'_>, demands: Vec<String>) -> PyResult<String> {
        let engine = &self.engine;
        py.detach(|| crate::report::allocate(engine, demands))
    }
}

fn threads_or_all(threads: Option<usize>) -> PyResult<usize> {
    match threads {
        Some(0) => Err(PyValueError::new_err("threads is at least 1")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Why a call gave no result, before it becomes a Python exception (which
/// needs the GIL).
pub(crate) enum Failure {
    Customer(vasrec::FieldError),
    Eval(vasrec::EvalError),
    /// A row of Arrow data that could not be read or evaluated.
    Row(vasrec::batch::RowError),
    Arrow(String),
    /// An explanation that did not serialise: a bug in vasrec.
    Internal(serde_json::Error),
}

impl From<vasrec::FieldError> for Failure {
    fn from(e: vasrec::FieldError) -> Failure {
        Failure::Customer(e)
    }
}

impl From<vasrec::EvalError> for Failure {
    fn from(e: vasrec::EvalError) -> Failure {
        Failure::Eval(e)
    }
}

impl Failure {
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Customer(e) => {
                let err = CustomerError::new_err(e.to_string());
                let value = err.value(py);
                let attached = value
                    .setattr("field", e.field.as_str())
                    .and_then(|()| value.setattr("column", e.column.as_str()));
                attached.err().unwrap_or(err)
            }
            Failure::Eval(e) => {
                let err = EvaluationError::new_err(e.to_string());
                match err.value(py).setattr("raised_by", e.raised_by()) {
                    Ok(()) => err,
                    Err(other) => other,
                }
            }
            Failure::Row(vasrec::batch::RowError::Eval { error, .. }) => {
                Failure::Eval(error).into_py(py)
            }
            Failure::Row(other) => CustomerError::new_err(other.to_string()),
            Failure::Arrow(message) => PyValueError::new_err(message),
            Failure::Internal(e) => pyo3::exceptions::PyRuntimeError::new_err(format!(
                "vasrec could not write its answer as JSON ({e}); please report this"
            )),
        }
    }
}
