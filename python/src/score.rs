//! `Engine.score`: per-customer records over many customers, as
//! `vasrec score` writes them, with capacity given out over all of them (or
//! as a shared allocation says, for a job made in parts).
//!
//! In: an iterable of customer dicts (JSON Lines in memory, the command
//! line's batch run on all cores, the GIL released). Out: one record per
//! customer, in input order: dicts, or the JSON Lines text itself.

use crate::engine::{CustomerError, Engine};
use crate::report::{self, OnError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use vasrec::batch::{self, ChunkSink, RowError, RowOutcome, RunError};
use vasrec::capacity::{Allocation, Demand, SharedAllocation};
use vasrec::score::ScoreFormatter;

/// One chunk's records, written on a worker thread.
struct Chunk<'a> {
    engine: &'a vasrec::Engine,
    records: &'a ScoreFormatter,
    text: String,
    first_error: Option<RowError>,
    /// Added to each row's position: its line in the whole input.
    line_offset: u64,
}

impl ChunkSink for Chunk<'_> {
    fn row(&mut self, outcome: RowOutcome<'_>) {
        match &outcome.result {
            Ok(offers) => self.records.write(
                self.engine,
                &mut self.text,
                outcome.customer,
                outcome.line.saturating_add(self.line_offset),
                offers,
            ),
            Err(error) => {
                if self.first_error.is_none() {
                    self.first_error = Some(error.clone());
                }
            }
        }
    }
}

/// How records are handed back.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Form {
    Dicts,
    Lines,
}

impl Form {
    pub(crate) fn parse(text: &str) -> PyResult<Form> {
        match text {
            "dicts" => Ok(Form::Dicts),
            "jsonl" => Ok(Form::Lines),
            other => Err(PyValueError::new_err(format!(
                "output is \"dicts\" or \"jsonl\", not {other:?}"
            ))),
        }
    }
}

pub(crate) struct Options<'a> {
    pub(crate) line_offset: u64,
    pub(crate) allocation: Option<&'a str>,
    pub(crate) ignore_capacity: bool,
    pub(crate) threads: usize,
    pub(crate) on_error: OnError,
    pub(crate) form: Form,
}

pub(crate) fn run<'py>(
    py: Python<'py>,
    engine: &Engine,
    rows: &Bound<'py, PyAny>,
    options: Options<'_>,
) -> PyResult<Bound<'py, PyList>> {
    let text = report::input(py, rows)?;
    let core = &*engine.engine;
    let records = &engine.records;
    let written = py.detach(|| -> Result<String, String> {
        let offset = options.line_offset;
        let allocation: Option<Allocation> = match options.allocation {
            Some(json) => Some(
                SharedAllocation::from_json(json)
                    .and_then(|shared| shared.for_part(core, offset))
                    .map_err(|e| e.to_string())?,
            ),
            None if !options.ignore_capacity && Demand::needed(core) => {
                Some(report::demand(core, &text, offset, options.threads)?.allocate())
            }
            None => None,
        };
        let mut out = String::new();
        let result = batch::run_allocated(
            core,
            report::open(core, "rows", &text)?,
            options.threads,
            allocation.as_ref(),
            || Chunk {
                engine: core,
                records,
                text: String::new(),
                first_error: None,
                line_offset: offset,
            },
            |chunk: Chunk<'_>, _| {
                out.push_str(&chunk.text);
                match chunk.first_error {
                    Some(error) if options.on_error == OnError::Fail => Err(error),
                    _ => Ok(()),
                }
            },
        );
        match result {
            Ok(()) => Ok(out),
            Err(RunError::Stopped(error)) => Err(format!(
                "{error} (pass on_error=\"skip\" to leave bad rows out)"
            )),
            Err(other) => Err(other.to_string()),
        }
    });
    let written = written.map_err(CustomerError::new_err)?;
    let list = PyList::empty(py);
    for line in written.lines() {
        match options.form {
            Form::Lines => list.append(line)?,
            Form::Dicts => list.append(crate::convert::loads(py, line)?)?,
        }
    }
    Ok(list)
}
