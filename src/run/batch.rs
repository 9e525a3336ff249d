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
use crate::package::input::{CustomerReader, DataError, InputFormat, RawRow, decode};
use rayon::prelude::*;
use std::io::Read;
use std::sync::mpsc;

/// Customers per chunk. Fixed, so that results never depend on the thread count.
pub const CHUNK_ROWS: usize = 2048;

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
    /// Line of the row in the file.
    pub line: u64,
    /// Offers, or why there are none.
    pub result: Result<&'a [Offer], RowError>,
    /// The evaluator, for memberships and fired rules.
    pub evaluator: &'a Evaluator<'a>,
    raw: &'a RawRow,
}

impl RowOutcome<'_> {
    /// The row as it was in the input (a CSV record re-quoted, or the JSON line),
    /// for writing rejected rows aside.
    pub fn raw_text(&self) -> String {
        self.raw.text()
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
        let (sender, receiver) = mpsc::sync_channel::<Result<Vec<Vec<RawRow>>, DataError>>(1);
        // Processed batches go back to the reader, which refills their buffers.
        let (recycle, recycled) = mpsc::sync_channel::<Vec<Vec<RawRow>>>(2);
        let producer = scope.spawn(move || {
            loop {
                while let Ok(batch) = recycled.try_recv() {
                    batch.into_iter().for_each(|chunk| reader.recycle(chunk));
                }
                let mut batch = Vec::with_capacity(chunks_per_batch);
                let mut failed = None;
                while batch.len() < chunks_per_batch {
                    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
                    match reader.read_rows(&mut chunk, CHUNK_ROWS) {
                        Ok(0) => break,
                        Ok(_) => batch.push(chunk),
                        Err(e) => {
                            // Rows read before the bad one still count.
                            if !chunk.is_empty() {
                                batch.push(chunk);
                            }
                            failed = Some(e);
                            break;
                        }
                    }
                }
                let done = batch.len() < chunks_per_batch || failed.is_some();
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
    columns: &crate::package::input::ColumnMap,
    name: &str,
    chunk: &[RawRow],
    new_sink: &(impl Fn() -> S + Sync),
) -> S {
    let mut sink = new_sink();
    let mut evaluator = engine.evaluator_with(allocation);
    let mut customer = Customer::empty(engine.schema());
    for row in chunk {
        let result = read_and_evaluate(&mut evaluator, columns, name, row, &mut customer)
            .map(|()| evaluator.offers());
        sink.row(RowOutcome {
            customer: &customer,
            line: row.line(),
            result,
            evaluator: &evaluator,
            raw: row,
        });
    }
    sink
}

/// Decodes one row into `customer` and evaluates it; the offers stay in the
/// evaluator (`offers()`), so nothing is copied per customer.
pub(crate) fn read_and_evaluate(
    evaluator: &mut Evaluator<'_>,
    columns: &crate::package::input::ColumnMap,
    name: &str,
    row: &RawRow,
    customer: &mut Customer,
) -> Result<(), RowError> {
    let engine = evaluator.engine();
    decode(engine.schema(), columns, name, row, customer).map_err(RowError::Data)?;
    evaluator.set_row(row.line());
    evaluator
        .evaluate(customer)
        .map(|_| ())
        .map_err(|error| RowError::Eval {
            line: row.line(),
            error,
        })
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
    let mut reader = open(engine, name, reader, format)?;
    let columns = reader.columns.clone();
    let mut rows = Vec::new();
    let mut customers = Vec::new();
    loop {
        rows.clear();
        if reader.read_rows(&mut rows, CHUNK_ROWS)? == 0 {
            return Ok(customers);
        }
        for row in &rows {
            let mut customer = Customer::empty(engine.schema());
            decode(engine.schema(), &columns, name, row, &mut customer)?;
            customers.push(customer);
        }
    }
}

/// Finds the customer whose id (the catalog's `customer.id`) is `id`.
/// Rows that cannot be read are passed over and counted.
pub fn find(engine: &Engine, mut reader: CustomerReader, id: &str) -> Result<Found, DataError> {
    let columns = reader.columns.clone();
    let name = reader.name().to_string();
    let mut rows = Vec::new();
    let mut customer = Customer::empty(engine.schema());
    let mut unreadable = Vec::new();
    loop {
        rows.clear();
        if reader.read_rows(&mut rows, CHUNK_ROWS)? == 0 {
            return Ok(Found::NotFound { unreadable });
        }
        for row in &rows {
            match decode(engine.schema(), &columns, &name, row, &mut customer) {
                Ok(()) if engine.customer_id(&customer).as_deref() == Some(id) => {
                    return Ok(Found::Customer(Box::new(customer), row.line()));
                }
                Ok(()) => {}
                Err(e) => unreadable.push(e),
            }
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
