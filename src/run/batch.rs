//! Many customers: a streaming, parallel pass over a customer file.
//!
//! One thread reads raw rows in fixed-size chunks; a rayon pool decodes and
//! evaluates chunks in parallel; results are consumed strictly in input order.
//! Chunk boundaries do not depend on the thread count, so anything summed per
//! chunk and merged in order is identical with 1 or N threads. Memory is
//! bounded by the chunks in flight, whatever the size of the input.

use crate::engine::Engine;
use crate::engine::allocation::Allocation;
use crate::engine::eval::Evaluator;
use crate::engine::offer::{EvalError, Offer};
use crate::package::customer::Customer;
use crate::package::input::{Chunk, ChunkRows, ColumnMap, CustomerReader, DataError, InputFormat};
use rayon::prelude::*;
use std::io::Read;
use std::sync::mpsc;

pub use crate::package::input::CHUNK_ROWS;

/// Why a customer was not evaluated.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RowError {
    /// The row could not be read.
    Data(DataError),
    /// A rule failed on this customer.
    Eval {
        /// Line of the row.
        line: u64,
        /// The failure.
        error: EvalError,
    },
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Data(e) => e.fmt(f),
            RowError::Eval { line, error } => write!(f, "line {line}: {error}"),
        }
    }
}

impl std::error::Error for RowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RowError::Data(e) => Some(e),
            RowError::Eval { error, .. } => Some(error),
        }
    }
}

/// What one customer came to: its row, and its offers or the error.
pub struct RowOutcome<'a> {
    /// The decoded customer (meaningful only when `result` is `Ok`).
    pub customer: &'a Customer,
    /// Line of the row in the file (in a Parquet or Arrow file, its
    /// 1-based row number).
    pub line: u64,
    /// Offers, or why there are none.
    pub result: Result<&'a [Offer], RowError>,
    /// The evaluator, for memberships and fired rules.
    pub evaluator: &'a Evaluator<'a>,
    rows: &'a ChunkRows<'a>,
    index: usize,
}

impl RowOutcome<'_> {
    /// The row as it was in the input (a CSV record re-quoted, or the JSON
    /// line; from a Parquet or Arrow file, its mapped columns as a JSON
    /// object), for writing rejected rows aside.
    pub fn raw_text(&self) -> String {
        self.rows.text(self.index)
    }
}

/// Opens a customer file (or any reader) for a batch run.
pub fn open(
    engine: &Engine,
    name: &str,
    reader: Box<dyn Read + Send>,
    format: InputFormat,
) -> Result<CustomerReader, DataError> {
    CustomerReader::new(engine.schema(), name, reader, format)
}

/// Opens a customer file for a batch run; unlike [`open`], it also reads
/// Parquet, which is read from the file's end.
pub fn open_file(
    engine: &Engine,
    name: &str,
    file: std::fs::File,
    format: InputFormat,
) -> Result<CustomerReader, DataError> {
    CustomerReader::from_file(engine.schema(), name, file, format)
}

/// Receives the customers of one chunk, in order, on a worker thread.
pub trait ChunkSink: Send {
    /// One customer's outcome; the borrowed parts are valid for this call only.
    fn row(&mut self, outcome: RowOutcome<'_>);
}

/// Runs every customer through the engine.
///
/// `new_sink` makes a sink per chunk, filled on a worker thread; `consume`
/// receives the filled sinks in input order (with the chunk's row count) and
/// may stop the run by returning an error.
pub fn run<S: ChunkSink, E>(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    new_sink: impl Fn() -> S + Sync,
    consume: impl FnMut(S, usize) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    run_allocated(engine, reader, threads, None, new_sink, consume)
}

/// Like [`run`], with the capacity-limited services given out as `allocation`
/// says (the second pass of `run::capacity`).
pub fn run_allocated<S: ChunkSink, E>(
    engine: &Engine,
    mut reader: CustomerReader,
    threads: usize,
    allocation: Option<&Allocation>,
    new_sink: impl Fn() -> S + Sync,
    mut consume: impl FnMut(S, usize) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(RunError::Setup)?;
    let chunks_per_batch = threads * 4;
    let columns = reader.columns.clone();
    let name = reader.name().to_string();

    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<Result<Vec<Chunk>, DataError>>(1);
        // Processed batches go back to the reader, which refills their buffers.
        let (recycle, recycled) = mpsc::sync_channel::<Vec<Chunk>>(2);
        let producer = scope.spawn(move || {
            loop {
                while let Ok(batch) = recycled.try_recv() {
                    batch.into_iter().for_each(|chunk| reader.recycle(chunk));
                }
                let mut batch = Vec::with_capacity(chunks_per_batch);
                let mut failed = None;
                while batch.len() < chunks_per_batch {
                    let (chunk, result) = reader.read_chunk(CHUNK_ROWS);
                    // Rows read before a bad one still count.
                    let short = chunk.len() < CHUNK_ROWS;
                    if chunk.len() > 0 {
                        batch.push(chunk);
                    }
                    if let Err(e) = result {
                        failed = Some(e);
                        break;
                    }
                    if short {
                        break;
                    }
                }
                let done = batch.len() < chunks_per_batch
                    || batch.last().is_some_and(|c| c.len() < CHUNK_ROWS)
                    || failed.is_some();
                if !batch.is_empty() && sender.send(Ok(batch)).is_err() {
                    return;
                }
                if let Some(e) = failed {
                    let _ = sender.send(Err(e));
                    return;
                }
                if done {
                    return;
                }
            }
        });

        let mut result = Ok(());
        for message in receiver.iter() {
            let batch = match message {
                Ok(batch) => batch,
                Err(e) => {
                    result = Err(RunError::Read(e));
                    break;
                }
            };
            let sinks: Vec<(S, usize)> = pool.install(|| {
                batch
                    .par_iter()
                    .map(|chunk| {
                        (
                            process_chunk(engine, allocation, &columns, &name, chunk, &new_sink),
                            chunk.len(),
                        )
                    })
                    .collect()
            });
            let _ = recycle.try_send(batch);
            let mut stop = None;
            for (sink, rows) in sinks {
                if let Err(e) = consume(sink, rows) {
                    stop = Some(e);
                    break;
                }
            }
            if let Some(e) = stop {
                result = Err(RunError::Stopped(e));
                break;
            }
        }
        drop(receiver);
        let _ = producer.join();
        result
    })
}

fn process_chunk<S: ChunkSink>(
    engine: &Engine,
    allocation: Option<&Allocation>,
    columns: &ColumnMap,
    name: &str,
    chunk: &Chunk,
    new_sink: &(impl Fn() -> S + Sync),
) -> S {
    let mut sink = new_sink();
    let mut evaluator = engine.evaluator_with(allocation);
    let mut customer = Customer::empty(engine.schema());
    let rows = chunk.rows(columns);
    for index in 0..rows.len() {
        let result = read_and_evaluate(&mut evaluator, columns, name, &rows, index, &mut customer)
            .map(|()| evaluator.offers());
        sink.row(RowOutcome {
            customer: &customer,
            line: rows.line(index),
            result,
            evaluator: &evaluator,
            rows: &rows,
            index,
        });
    }
    sink
}

/// Decodes one row into `customer` and evaluates it; the offers stay in the
/// evaluator (`offers()`), so nothing is copied per customer.
pub(crate) fn read_and_evaluate(
    evaluator: &mut Evaluator<'_>,
    columns: &ColumnMap,
    name: &str,
    rows: &ChunkRows<'_>,
    index: usize,
    customer: &mut Customer,
) -> Result<(), RowError> {
    let engine = evaluator.engine();
    rows.decode(engine.schema(), columns, name, index, customer)
        .map_err(RowError::Data)?;
    let line = rows.line(index);
    evaluator.set_row(line);
    evaluator
        .evaluate(customer)
        .map(|_| ())
        .map_err(|error| RowError::Eval { line, error })
}

/// Why a batch run ended early.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError<E> {
    /// The worker threads could not start.
    Setup(rayon::ThreadPoolBuildError),
    /// The input could not be read.
    Read(DataError),
    /// The consumer stopped the run.
    Stopped(E),
}

impl<E> std::fmt::Display for RunError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Setup(e) => write!(f, "cannot start worker threads: {e}"),
            RunError::Read(e) => e.fmt(f),
            RunError::Stopped(_) => f.write_str("the run was stopped by its consumer"),
        }
    }
}

impl<E: std::fmt::Debug> std::error::Error for RunError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Setup(e) => Some(e),
            RunError::Read(e) => Some(e),
            RunError::Stopped(_) => None,
        }
    }
}

/// Reads a whole customer file into memory (for tests, benchmarks and small
/// files; use [`run`] to stream large ones). Stops at the first bad row.
pub fn read_all(
    engine: &Engine,
    name: &str,
    reader: Box<dyn Read + Send>,
    format: InputFormat,
) -> Result<Vec<Customer>, DataError> {
    read_all_from(engine, open(engine, name, reader, format)?)
}

/// Reads every customer of an opened reader into memory (see [`read_all`]).
pub fn read_all_from(
    engine: &Engine,
    mut reader: CustomerReader,
) -> Result<Vec<Customer>, DataError> {
    let columns = reader.columns.clone();
    let name = reader.name().to_string();
    let mut customers = Vec::new();
    loop {
        let (chunk, result) = reader.read_chunk(CHUNK_ROWS);
        let rows = chunk.rows(&columns);
        for index in 0..rows.len() {
            let mut customer = Customer::empty(engine.schema());
            rows.decode(engine.schema(), &columns, &name, index, &mut customer)?;
            customers.push(customer);
        }
        result?;
        if rows.len() == 0 {
            return Ok(customers);
        }
    }
}

/// Finds the customer whose id (the catalog's `customer.id`) is `id`.
/// Rows that cannot be read are passed over and counted.
pub fn find(engine: &Engine, mut reader: CustomerReader, id: &str) -> Result<Found, DataError> {
    let columns = reader.columns.clone();
    let name = reader.name().to_string();
    let mut customer = Customer::empty(engine.schema());
    let mut unreadable = Vec::new();
    loop {
        let (chunk, result) = reader.read_chunk(CHUNK_ROWS);
        let rows = chunk.rows(&columns);
        for index in 0..rows.len() {
            match rows.decode(engine.schema(), &columns, &name, index, &mut customer) {
                Ok(()) if engine.customer_id(&customer).as_deref() == Some(id) => {
                    return Ok(Found::Customer(Box::new(customer), rows.line(index)));
                }
                Ok(()) => {}
                Err(e) => unreadable.push(e),
            }
        }
        result?;
        if rows.len() == 0 {
            return Ok(Found::NotFound { unreadable });
        }
    }
}

/// What [`find`] found.
#[derive(Debug)]
pub enum Found {
    /// The customer and its line.
    Customer(Box<Customer>, u64),
    /// No readable row has that id; these rows could not be read.
    NotFound {
        /// Errors of the unreadable rows.
        unreadable: Vec<DataError>,
    },
}
