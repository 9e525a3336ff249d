//! `Engine.dry_run` and `vasrec.Report`: the dry-run report over customers
//! given from Python, in the partial form that merges exactly, so that a
//! job split over processes or machines (Spark) gets the report one run
//! gives; and capacity's two passes for such a job (`Engine.demand`,
//! `Engine.allocate`).
//!
//! In: iterables of customer dicts, partial forms as JSON text. Out: a
//! `Report` whose `to_dict()` is the JSON `vasrec dry-run --format json`
//! prints over the same rows. Rows are streamed through the command line's
//! batch run (JSON Lines in memory, all cores, the GIL released).

use crate::convert;
use crate::engine::{CustomerError, Engine};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::{Arc, Mutex};
use vasrec::InputFormat;
use vasrec::batch::{self, RunError};
use vasrec::capacity::{Allocation, Demand, PartialDemand, SharedAllocation};
use vasrec::partial::{PartialError, PartialReport};
use vasrec::report::Tally;

/// A dry-run report over some customers, in a form that merges exactly with
/// reports over the other customers of the same package.
#[pyclass(frozen, module = "vasrec")]
pub(crate) struct Report {
    /// The engine that made it, if it was made here (not read from JSON).
    engine: Option<Arc<vasrec::Engine>>,
    partial: Mutex<PartialReport>,
}

#[pymethods]
impl Report {
    /// The report as `vasrec dry-run --format json` prints it: totals, and
    /// tables by segment, service and rule. A report read with `from_json`
    /// needs the `engine` of its package.
    #[pyo3(signature = (engine = None))]
    fn to_dict<'py>(
        &self,
        py: Python<'py>,
        engine: Option<&Bound<'py, Engine>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let engine = match (engine, &self.engine) {
            (Some(given), _) => Arc::clone(&given.get().engine),
            (None, Some(own)) => Arc::clone(own),
            (None, None) => {
                return Err(PyValueError::new_err(
                    "this report was read from JSON: give the engine of its package, \
                     report.to_dict(engine)",
                ));
            }
        };
        let partial = self.lock()?.clone();
        let text = py.detach(|| {
            partial
                .report(&engine)
                .map(|report| serde_json::to_string(&report).unwrap_or_default())
        });
        convert::loads(py, &text.map_err(partial_error)?)
    }

    /// Adds the counts of `other`, a report over other customers of the same
    /// package (made with the same capacity allocation); afterwards this
    /// report is the one a single run over both would give.
    fn merge(&self, other: &Bound<'_, Report>) -> PyResult<()> {
        let other = other.get();
        if std::ptr::eq(self, other) {
            return Err(PyValueError::new_err(
                "a report cannot be merged with itself (its customers would count twice)",
            ));
        }
        let theirs = other.lock()?.clone();
        self.lock()?.merge(theirs).map_err(partial_error)
    }

    /// The partial form as JSON text (`kind` `vasrec.partial_report`), as
    /// `vasrec dry-run --partial-out` writes it and `vasrec merge` reads it.
    fn to_json(&self) -> PyResult<String> {
        Ok(self.lock()?.to_json())
    }

    /// Reads the partial form (from `to_json` or `vasrec dry-run --partial-out`).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Report> {
        Ok(Report {
            engine: None,
            partial: Mutex::new(PartialReport::from_json(text).map_err(partial_error)?),
        })
    }

    /// Customers counted (evaluated or not).
    #[getter]
    fn customers(&self) -> PyResult<u64> {
        Ok(self.lock()?.customers())
    }

    /// Pickles as its JSON form (read back without an engine).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_json = py.get_type::<Report>().getattr("from_json")?;
        let args = PyTuple::new(py, [self.to_json()?])?;
        PyTuple::new(py, [from_json, args.into_any()])
    }

    fn __repr__(&self) -> PyResult<String> {
        let partial = self.lock()?;
        Ok(format!(
            "<vasrec.Report of {} customers from {}>",
            partial.customers(),
            partial.customers_files.join(", ")
        ))
    }
}

impl Report {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, PartialReport>> {
        self.partial
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the report was left half-merged by a panic"))
    }
}

pub(crate) fn partial_error(error: PartialError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// What `dry_run` does with a row that cannot be read or evaluated.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum OnError {
    Fail,
    Skip,
}

impl OnError {
    pub(crate) fn parse(text: &str) -> PyResult<OnError> {
        match text {
            "fail" => Ok(OnError::Fail),
            "skip" => Ok(OnError::Skip),
            other => Err(PyValueError::new_err(format!(
                "on_error is \"fail\" or \"skip\", not {other:?}"
            ))),
        }
    }
}

/// Customers as the batch reader reads them, in memory: Arrow data (a
/// pyarrow Table or RecordBatch, anything with the Arrow PyCapsule
/// protocol) as an Arrow IPC stream, the columnar reader's input; any other
/// iterable of dicts as JSON Lines. Line `n` is the `n`-th row (from 1).
pub(crate) struct Input {
    pub(crate) bytes: Arc<Vec<u8>>,
    pub(crate) format: InputFormat,
}

pub(crate) fn input(py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<Input> {
    if crate::arrow_bridge::is_arrow(rows)? {
        let imported = crate::arrow_bridge::import(rows)?;
        let bytes = py.detach(|| crate::arrow_bridge::ipc_stream(&imported));
        return Ok(Input {
            bytes: Arc::new(bytes?),
            format: InputFormat::Arrow,
        });
    }
    let mut text = Vec::new();
    for row in rows.try_iter()? {
        let value = convert::customer(&row?)?;
        serde_json::to_writer(&mut text, &value)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        text.push(b'\n');
    }
    Ok(Input {
        bytes: Arc::new(text),
        format: InputFormat::Jsonl,
    })
}

/// How a dry-run part is made.
pub(crate) struct Options<'a> {
    pub(crate) name: &'a str,
    pub(crate) line_offset: u64,
    pub(crate) threads: usize,
    pub(crate) on_error: OnError,
    pub(crate) ignore_capacity: bool,
    /// The shared allocation (JSON) of a job made in parts.
    pub(crate) allocation: Option<&'a str>,
}

pub(crate) fn open(
    engine: &vasrec::Engine,
    name: &str,
    input: &Input,
) -> Result<vasrec::CustomerReader, String> {
    let reader = std::io::Cursor::new(ArcBytes(Arc::clone(&input.bytes)));
    batch::open(engine, name, Box::new(reader), input.format).map_err(|e| e.to_string())
}

/// Capacity's first pass over one part: who wants the limited services.
pub(crate) fn demand(
    engine: &vasrec::Engine,
    text: &Input,
    line_offset: u64,
    threads: usize,
) -> Result<Demand, String> {
    let mut demand = Demand::for_part(engine, line_offset);
    // Rows that cannot be read want nothing; the counting pass reports them.
    let _ = batch::run(
        engine,
        open(engine, "rows", text)?,
        threads,
        || Demand::for_part(engine, line_offset),
        |chunk: Demand, _| {
            demand.merge(chunk);
            Ok::<(), ()>(())
        },
    );
    Ok(demand)
}

/// The dry-run over one part (or all) of the customers.
pub(crate) fn run(
    py: Python<'_>,
    engine: &Engine,
    text: Input,
    options: Options<'_>,
) -> PyResult<Report> {
    let shared = Arc::clone(&engine.engine);
    let core = &*shared;
    let result = py.detach(|| -> Result<PartialReport, String> {
        let offset = options.line_offset;
        let allocation: Option<Allocation> = match options.allocation {
            Some(json) => Some(
                SharedAllocation::from_json(json)
                    .and_then(|shared| shared.for_part(core, offset))
                    .map_err(|e| e.to_string())?,
            ),
            None if !options.ignore_capacity && Demand::needed(core) => {
                Some(demand(core, &text, offset, options.threads)?.allocate())
            }
            None => None,
        };
        let name = options.name;
        let mut total = Tally::for_part(core, offset, None);
        let counted = batch::run_allocated(
            core,
            open(core, name, &text)?,
            options.threads,
            allocation.as_ref(),
            || Tally::for_part(core, offset, None),
            |chunk: Tally, _| {
                let failed = chunk.first_error().cloned();
                total.merge(chunk);
                match failed {
                    Some(error) if options.on_error == OnError::Fail => Err(error),
                    _ => Ok(()),
                }
            },
        );
        match counted {
            Ok(()) => Ok(PartialReport::new(core, total, name, allocation.as_ref())),
            Err(RunError::Stopped(error)) => Err(format!(
                "{error} (pass on_error=\"skip\" to count bad rows and go on)"
            )),
            Err(other) => Err(other.to_string()),
        }
    });
    match result {
        Ok(partial) => Ok(Report {
            engine: Some(shared.clone()),
            partial: Mutex::new(partial),
        }),
        Err(message) => Err(CustomerError::new_err(message)),
    }
}

/// Merges the demands of every part and decides who gets the limited services.
pub(crate) fn allocate(engine: &vasrec::Engine, demands: Vec<String>) -> PyResult<String> {
    let mut parts = demands.iter();
    let Some(first) = parts.next() else {
        return Err(PyValueError::new_err(
            "no demand given (one per part of the customers)",
        ));
    };
    let mut total = PartialDemand::from_json(first).map_err(partial_error)?;
    for text in parts {
        total
            .merge(PartialDemand::from_json(text).map_err(partial_error)?)
            .map_err(partial_error)?;
    }
    Ok(total.allocate(engine).map_err(partial_error)?.to_json())
}

/// Shared bytes as a reader's buffer: both passes read the one copy.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
