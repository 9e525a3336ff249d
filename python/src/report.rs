//! `Engine.dry_run` and `vasrec.Report`: the dry-run report over customers
//! given from Python, kept as running counts so that reports over parts of
//! the customers merge.
//!
//! In: an iterable of customer dicts. Out: a `Report` whose `to_dict()` is
//! the JSON `vasrec dry-run --format json` prints over the same rows.
//! The rows are streamed through the same batch run as the command line's
//! (JSON Lines in memory, all cores, the GIL released), capacity included.

use crate::convert;
use crate::engine::{CustomerError, Engine};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::{Arc, Mutex};
use vasrec::InputFormat;
use vasrec::batch::{self, ChunkSink, RowOutcome, RunError};
use vasrec::capacity::{Allocation, Demand};
use vasrec::report::{DryRunReport, Tally};

/// A dry-run report over some customers; merge reports over other customers
/// of the same engine with `merge`.
#[pyclass(frozen, module = "vasrec")]
pub(crate) struct Report {
    engine: Arc<vasrec::Engine>,
    state: Mutex<State>,
}

#[derive(Clone)]
struct State {
    tally: Tally,
    /// The names of the inputs counted, each once, sorted.
    names: Vec<String>,
    /// How the capacity-limited services were given out, when the package
    /// limits any and the run allocated them.
    allocation: Option<Allocation>,
}

/// One chunk's counts (the sink `batch::run` fills on a worker thread).
struct Chunk(Tally);

impl ChunkSink for Chunk {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        self.0.add(&outcome);
    }
}

#[pymethods]
impl Report {
    /// The report as `vasrec dry-run --format json` prints it: totals, and
    /// tables by segment, service and rule.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self.lock()?.clone();
        let engine = &self.engine;
        let text = py.detach(|| {
            let report = DryRunReport::new(engine, &state.tally, &state.names.join(", "))
                .with_capacity(engine, &state.tally, state.allocation.as_ref());
            serde_json::to_string(&report)
        });
        let text = text.map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        convert::loads(py, &text)
    }

    /// Adds the counts of `other`, a report over other customers of the same
    /// engine; afterwards this report is the one a single run over both
    /// would give.
    fn merge(&self, other: &Bound<'_, Report>) -> PyResult<()> {
        let other = other.get();
        if std::ptr::eq(self, other) {
            return Err(PyValueError::new_err(
                "a report cannot be merged with itself (its customers would count twice)",
            ));
        }
        if !Arc::ptr_eq(&self.engine, &other.engine) {
            return Err(PyValueError::new_err(
                "the reports come from different engines; merge reports made by one Engine",
            ));
        }
        let theirs = other.lock()?.clone();
        let mut mine = self.lock()?;
        if mine.allocation.is_some() || theirs.allocation.is_some() {
            return Err(PyValueError::new_err(
                "the package limits the capacity of some services, which is allocated over \
                 all the customers of one run; reports of separate runs cannot be merged \
                 (give all the customers to one dry_run, or pass ignore_capacity=True)",
            ));
        }
        mine.tally.merge(theirs.tally);
        for name in theirs.names {
            if let Err(at) = mine.names.binary_search(&name) {
                mine.names.insert(at, name);
            }
        }
        Ok(())
    }

    /// Customers counted (evaluated or not).
    #[getter]
    fn customers(&self) -> PyResult<u64> {
        Ok(self.lock()?.tally.customers())
    }

    /// Rows that could not be read or evaluated (only with `on_error="skip"`).
    #[getter]
    fn errors(&self) -> PyResult<u64> {
        Ok(self.lock()?.tally.errors())
    }

    fn __repr__(&self) -> PyResult<String> {
        let state = self.lock()?;
        Ok(format!(
            "<vasrec.Report of {} customers ({} not evaluated) from {}>",
            state.tally.customers(),
            state.tally.errors(),
            state.names.join(", ")
        ))
    }
}

impl Report {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the report was left half-merged by a panic"))
    }
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

/// Customers as JSON Lines in memory: the batch reader's input.
pub(crate) fn json_lines(rows: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut text = Vec::new();
    for row in rows.try_iter()? {
        let value = convert::customer(&row?)?;
        serde_json::to_writer(&mut text, &value)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        text.push(b'\n');
    }
    Ok(text)
}

/// Runs the dry-run over JSON Lines text: capacity's first pass when the
/// package limits a service (unless `ignore_capacity`), then the counts.
pub(crate) fn run(
    py: Python<'_>,
    engine: &Engine,
    text: Vec<u8>,
    name: &str,
    threads: usize,
    on_error: OnError,
    ignore_capacity: bool,
) -> PyResult<Report> {
    let shared = Arc::clone(&engine.engine);
    let core = &*shared;
    let text = Arc::new(text);
    let result = py.detach(|| -> Result<State, String> {
        let open = || {
            let reader = std::io::Cursor::new(ArcBytes(Arc::clone(&text)));
            batch::open(core, name, Box::new(reader), InputFormat::Jsonl).map_err(|e| e.to_string())
        };
        let allocation = if !ignore_capacity && Demand::needed(core) {
            let mut demand = Demand::new(core);
            // Bad rows want nothing; the counting pass below reports them.
            let _ = batch::run(
                core,
                open()?,
                threads,
                || Demand::new(core),
                |chunk: Demand, _| {
                    demand.merge(chunk);
                    Ok::<(), ()>(())
                },
            );
            Some(demand.allocate())
        } else {
            None
        };
        let mut total = Tally::new(core);
        let counted = batch::run_allocated(
            core,
            open()?,
            threads,
            allocation.as_ref(),
            || Chunk(Tally::new(core)),
            |chunk: Chunk, _| {
                let failed = chunk.0.first_error().cloned();
                total.merge(chunk.0);
                match failed {
                    Some(error) if on_error == OnError::Fail => Err(error),
                    _ => Ok(()),
                }
            },
        );
        match counted {
            Ok(()) => Ok(State {
                tally: total,
                names: vec![name.to_string()],
                allocation,
            }),
            Err(RunError::Stopped(error)) => Err(format!(
                "{error} (pass on_error=\"skip\" to count bad rows and go on)"
            )),
            Err(RunError::Read(error)) => Err(error.to_string()),
            Err(other) => Err(other.to_string()),
        }
    });
    match result {
        Ok(state) => Ok(Report {
            engine: shared.clone(),
            state: Mutex::new(state),
        }),
        Err(message) => Err(CustomerError::new_err(message)),
    }
}

/// Shared bytes as a reader's buffer: both passes read the one copy.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
