//! Many customers: a streaming, parallel pass over a customer file.
//!
//! Rows are read in fixed-size chunks; each working thread takes the next
//! chunk, decodes and evaluates it; results are consumed strictly in input
//! order.
//! Chunk boundaries do not depend on the thread count, so anything summed per
//! chunk and merged in order is identical with 1 or N threads. Memory is
//! bounded by the chunks in flight, whatever the size of the input.

use crate::engine::Engine;
use crate::engine::allocation::{Allocation, CutoffBounds};
use crate::engine::eval::Evaluator;
use crate::engine::offer::{EvalError, Offer};
use crate::package::customer::Customer;
use crate::package::input::{Chunk, ChunkRows, ColumnMap, CustomerReader, DataError, InputFormat};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

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
    /// The row's place in its chunk (0-based), for marking rows per chunk
    /// ([`RowBits`]).
    pub fn position(&self) -> usize {
        self.index
    }

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

/// Rows of one chunk, by their place in it ([`RowOutcome::position`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowBits(Vec<u64>);

impl RowBits {
    /// Marks the row at `position`.
    pub fn insert(&mut self, position: usize) {
        let word = position / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (position % 64);
    }

    /// How many rows are marked.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether no row is marked.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// Which rows of an input a run evaluates, chunk by chunk in input order
/// (chunks are [`CHUNK_ROWS`] rows whatever the threads, so a first pass
/// and a second pass over the same input cut it alike). Memory: one bit per
/// row of the chunks recorded, 1.25 MB for 10 million rows.
#[derive(Debug, Clone, Default)]
pub struct RowSelection {
    chunks: Vec<RowBits>,
}

impl RowSelection {
    /// Adds the next chunk's rows.
    pub fn push(&mut self, rows: RowBits) {
        self.chunks.push(rows);
    }

    /// Rows selected in all.
    pub fn len(&self) -> u64 {
        self.chunks.iter().map(|c| c.len() as u64).sum()
    }

    /// Whether no row is selected.
    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(RowBits::is_empty)
    }

    fn chunk(&self, index: u64) -> ChunkSelection<'_> {
        ChunkSelection {
            bits: usize::try_from(index)
                .ok()
                .and_then(|i| self.chunks.get(i))
                .map(|rows| rows.0.as_slice()),
        }
    }
}

/// One chunk's part of a [`RowSelection`]. A chunk past the ones recorded
/// is evaluated whole: an input that grew between the passes loses no row.
#[derive(Clone, Copy)]
struct ChunkSelection<'a> {
    bits: Option<&'a [u64]>,
}

impl ChunkSelection<'_> {
    /// Whether it holds every row (a chunk past the ones recorded).
    fn is_whole(self) -> bool {
        self.bits.is_none()
    }

    fn holds(self, position: usize) -> bool {
        self.bits.is_none_or(|bits| {
            bits.get(position / 64)
                .is_some_and(|w| w & (1 << (position % 64)) != 0)
        })
    }
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
///
/// `threads` is the number of threads that work, the calling one included:
/// each takes the next chunk from the reader (one at a time), decodes and
/// evaluates it, and the calling thread passes the finished chunks to
/// `consume` in input order between its own chunks. With one thread nothing
/// is spawned, so `--threads 1` uses one core; with N, no thread waits for
/// the slowest chunk of a batch, and reading is shared out like the rest.
pub fn run_allocated<S: ChunkSink, E>(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    allocation: Option<&Allocation>,
    new_sink: impl Fn() -> S + Sync,
    consume: impl FnMut(S, usize) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    let capacity = Capacity {
        allocation,
        selection: None,
        bounds: None,
    };
    run_over(engine, reader, threads, capacity, new_sink, consume)
}

/// Like [`run_allocated`], evaluating only the rows `selection` holds: the
/// sinks see no other row, and `consume` still gets each chunk's full row
/// count. Capacity's second pass evaluates again only the customers the
/// allocation can change (`run::capacity::Settling`); the selection must
/// come from a first pass over the same input.
pub fn run_selected<S: ChunkSink, E>(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    allocation: &Allocation,
    selection: &RowSelection,
    new_sink: impl Fn() -> S + Sync,
    consume: impl FnMut(S, usize) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    let capacity = Capacity {
        allocation: Some(allocation),
        selection: Some(selection),
        bounds: None,
    };
    run_over(engine, reader, threads, capacity, new_sink, consume)
}

/// How a run treats capacity-limited services.
#[derive(Clone, Copy, Default)]
pub(crate) struct Capacity<'a> {
    /// Given out as decided (second pass), or without the limit.
    pub allocation: Option<&'a Allocation>,
    /// Only these rows evaluated (second pass).
    pub selection: Option<&'a RowSelection>,
    /// Capacity's first pass: customers these bounds refuse every limited
    /// service get their final offers (`Evaluator::offers_are_final`).
    pub bounds: Option<&'a CutoffBounds>,
}

pub(crate) fn run_over<S: ChunkSink, E>(
    engine: &Engine,
    reader: CustomerReader,
    threads: usize,
    capacity: Capacity<'_>,
    new_sink: impl Fn() -> S + Sync,
    mut consume: impl FnMut(S, usize) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    let threads = threads.max(1);
    let work = Work {
        engine,
        capacity,
        columns: reader.columns.clone(),
        name: reader.name().to_string(),
        source: Mutex::new(Source {
            reader,
            next: 0,
            end: None,
            failed: None,
        }),
        // Chunks read and not yet consumed: memory stays bounded whatever
        // the input, and a slow chunk holds back at most this many others.
        slots: Slots::new(threads * 4),
        new_sink: &new_sink,
    };
    let (finished, results) = mpsc::channel::<(u64, S, usize)>();
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(threads - 1);
        for i in 1..threads {
            let (work, finished) = (&work, finished.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("vasrec-worker-{i}"))
                .spawn_scoped(scope, move || {
                    let mut state = work.thread_state();
                    while let Some((index, sink, rows)) = work.next_chunk(&mut state) {
                        if finished.send((index, sink, rows)).is_err() {
                            break;
                        }
                    }
                });
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    work.close();
                    return Err(RunError::Setup(e));
                }
            }
        }
        drop(finished);
        let result = work.consume_in_order(&results, &mut consume);
        work.close();
        // Workers stop after their current chunk; their results are dropped.
        drop(results);
        result
    })
}

/// What the working threads share.
struct Work<'a, F> {
    engine: &'a Engine,
    capacity: Capacity<'a>,
    columns: ColumnMap,
    name: String,
    source: Mutex<Source>,
    slots: Slots,
    new_sink: &'a F,
}

/// The reader, and how far it has gone.
struct Source {
    reader: CustomerReader,
    /// Index of the next chunk read.
    next: u64,
    /// Chunks in all, once the input has ended (or failed, or the run stopped).
    end: Option<u64>,
    /// Why reading stopped early; reported after the rows read before it.
    failed: Option<DataError>,
}

impl<S: ChunkSink, F: Fn() -> S + Sync> Work<'_, F> {
    /// Reads the next chunk and runs it through the engine: its index, its
    /// sink and its row count; None when there is nothing left to read (or
    /// the run is over).
    fn next_chunk(&self, state: &mut ThreadState<'_>) -> Option<(u64, S, usize)> {
        if !self.slots.acquire() {
            return None;
        }
        self.read_and_process(state)
    }

    /// A thread's evaluator and customer, kept from chunk to chunk (warm
    /// buffers and script results).
    fn thread_state(&self) -> ThreadState<'_> {
        let evaluator = match self.capacity.bounds {
            Some(bounds) => self.engine.evaluator_bounded(bounds),
            None => self.engine.evaluator_with(self.capacity.allocation),
        };
        ThreadState {
            evaluator,
            customer: Customer::empty(self.engine.schema()),
        }
    }

    /// As [`Work::next_chunk`], with a slot already taken (given back when
    /// nothing is read).
    fn read_and_process(&self, state: &mut ThreadState<'_>) -> Option<(u64, S, usize)> {
        let (index, mut chunk) = {
            let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
            if source.end.is_some() {
                drop(source);
                self.slots.release();
                return None;
            }
            let (chunk, result) = source.reader.read_raw_chunk(CHUNK_ROWS);
            let index = source.next;
            let last = chunk.len() < CHUNK_ROWS || result.is_err();
            if chunk.len() > 0 {
                source.next += 1;
            }
            if last {
                source.end = Some(source.next);
                source.failed = result.err();
            }
            if chunk.len() == 0 {
                drop(source);
                self.slots.release();
                return None;
            }
            (index, chunk)
        };
        let parsed = match self.capacity.selection.map(|s| s.chunk(index)) {
            Some(selected) if !selected.is_whole() => {
                chunk.parse_only(&self.name, |row| selected.holds(row))
            }
            _ => chunk.parse(&self.name),
        };
        if let Err(e) = parsed {
            // Reading ends at this chunk's error, whatever later chunks
            // other threads have read meanwhile: they are never consumed.
            let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
            if source.end.is_none_or(|end| end > index) {
                source.end = Some(index + 1);
                source.failed = Some(e);
            }
        }
        let sink = process_chunk(
            state,
            self.capacity,
            &self.columns,
            &self.name,
            &chunk,
            index,
            self.new_sink,
        );
        let rows = chunk.len();
        self.source
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reader
            .recycle(chunk);
        Some((index, sink, rows))
    }

    /// The calling thread's part: works on chunks itself and passes every
    /// finished one, its own and the workers', to `consume` in input order.
    fn consume_in_order<E>(
        &self,
        results: &mpsc::Receiver<(u64, S, usize)>,
        consume: &mut impl FnMut(S, usize) -> Result<(), E>,
    ) -> Result<(), RunError<E>> {
        let mut state = self.thread_state();
        let mut waiting: BTreeMap<u64, (S, usize)> = BTreeMap::new();
        let mut next = 0u64;
        let mut workers_gone = false;
        loop {
            while let Ok((index, sink, rows)) = results.try_recv() {
                waiting.insert(index, (sink, rows));
            }
            // The end is looked at before each chunk: a chunk whose
            // records fail to parse moves it down below chunks already read.
            let end = loop {
                let end = {
                    let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
                    if source.end == Some(next) {
                        return source
                            .failed
                            .take()
                            .map_or(Ok(()), |e| Err(RunError::Read(e)));
                    }
                    source.end
                };
                let Some((sink, rows)) = waiting.remove(&next) else {
                    break end;
                };
                next += 1;
                self.slots.release();
                consume(sink, rows).map_err(RunError::Stopped)?;
            };
            // Work while a slot is free (never waiting for one: this
            // thread frees them); else wait for a worker's chunk.
            if end.is_none() && self.slots.try_acquire() {
                if let Some((index, sink, rows)) = self.read_and_process(&mut state) {
                    waiting.insert(index, (sink, rows));
                }
                continue;
            }
            if workers_gone {
                // A worker ended without its chunk: it panicked, and the
                // scope reports that when it joins.
                return Ok(());
            }
            match results.recv() {
                Ok((index, sink, rows)) => {
                    waiting.insert(index, (sink, rows));
                }
                Err(_) => workers_gone = true,
            }
        }
    }

    /// Ends the run: no more chunks are read, and waiting workers wake.
    fn close(&self) {
        let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
        if source.end.is_none() {
            source.end = Some(source.next);
        }
        drop(source);
        self.slots.close();
    }
}

/// A counting semaphore over the chunks in flight.
struct Slots {
    free: Mutex<(usize, bool)>,
    freed: Condvar,
}

impl Slots {
    fn new(slots: usize) -> Slots {
        Slots {
            free: Mutex::new((slots, false)),
            freed: Condvar::new(),
        }
    }

    /// Takes a slot, waiting for one; false once closed.
    fn acquire(&self) -> bool {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if free.1 {
                return false;
            }
            if free.0 > 0 {
                free.0 -= 1;
                return true;
            }
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Takes a slot if one is free now.
    fn try_acquire(&self) -> bool {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.1 || free.0 == 0 {
            return false;
        }
        free.0 -= 1;
        true
    }

    fn release(&self) {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).0 += 1;
        self.freed.notify_one();
    }

    fn close(&self) {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        self.freed.notify_all();
    }
}

/// What a working thread keeps from one chunk to the next.
struct ThreadState<'e> {
    evaluator: Evaluator<'e>,
    customer: Customer,
}

fn process_chunk<S: ChunkSink>(
    state: &mut ThreadState<'_>,
    capacity: Capacity<'_>,
    columns: &ColumnMap,
    name: &str,
    chunk: &Chunk,
    chunk_index: u64,
    new_sink: &(impl Fn() -> S + Sync),
) -> S {
    let mut sink = new_sink();
    let ThreadState {
        evaluator,
        customer,
    } = state;
    let selected = capacity.selection.map(|s| s.chunk(chunk_index));
    let rows = chunk.rows(columns);
    for index in 0..rows.len() {
        if selected.is_some_and(|s| !s.holds(index)) {
            continue;
        }
        let result = read_and_evaluate(evaluator, columns, name, &rows, index, customer)
            .map(|()| evaluator.offers());
        sink.row(RowOutcome {
            customer,
            line: rows.line(index),
            result,
            evaluator,
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
    Setup(std::io::Error),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const CATALOG: &str = r#"
package: batch
services:
  - { id: s, name: S, category: convenience, stage: in_sale, channel: online, participation: passive, default_gain: 1 }
customer:
  attributes:
    - { name: n, type: number }
"#;
    const RULES: &str = "segment everyone { when true }\nrule r for everyone {\n  when n % 3 == 0\n  offer s\n  gain n\n}\n";

    /// The lines of a chunk's rows, and the gains offered.
    struct Lines(Vec<(u64, f64)>);

    impl ChunkSink for Lines {
        fn row(&mut self, outcome: RowOutcome<'_>) {
            let gain = outcome
                .result
                .map_or(f64::NAN, |offers| offers.iter().map(|o| o.gain).sum());
            self.0.push((outcome.line, gain));
        }
    }

    fn csv(rows: usize) -> Vec<u8> {
        let mut text = String::from("n\n");
        for n in 0..rows {
            text.push_str(&format!("{n}\n"));
        }
        text.into_bytes()
    }

    /// Fails with an I/O error once `good` bytes have been read.
    struct FailsAfter {
        bytes: Cursor<Vec<u8>>,
        good: u64,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let left = self.good.saturating_sub(self.bytes.position());
            if left == 0 {
                return Err(std::io::Error::other("the disk went away"));
            }
            let take = buf.len().min(left as usize);
            self.bytes.read(&mut buf[..take])
        }
    }

    /// Rows (line, gain), chunk sizes, and how the run ended.
    type Consumed = (Vec<(u64, f64)>, Vec<usize>, Result<(), RunError<usize>>);

    /// Every chunk's rows, in the order `consume` received them.
    fn consumed(
        engine: &Engine,
        input: Box<dyn Read + Send>,
        threads: usize,
        stop_at: Option<usize>,
    ) -> Consumed {
        let reader = open(engine, "customers.csv", input, InputFormat::Csv).expect("opens");
        let (mut lines, mut sizes) = (Vec::new(), Vec::new());
        let result = run(
            engine,
            reader,
            threads,
            || Lines(Vec::new()),
            |chunk, rows| {
                assert_eq!(chunk.0.len(), rows);
                lines.extend(chunk.0);
                sizes.push(rows);
                match stop_at {
                    Some(at) if sizes.len() == at => Err(at),
                    _ => Ok(()),
                }
            },
        );
        (lines, sizes, result)
    }

    fn engine() -> Engine {
        Engine::from_sources(CATALOG, &[("rules.vas", RULES)]).expect("compiles")
    }

    #[test]
    fn every_row_reaches_consume_once_in_input_order_whatever_the_threads() {
        let engine = engine();
        let rows = CHUNK_ROWS * 7 + 5;
        let (one, sizes, result) = consumed(&engine, Box::new(Cursor::new(csv(rows))), 1, None);
        assert!(result.is_ok());
        assert_eq!(sizes.len(), 8);
        let lines: Vec<u64> = one.iter().map(|r| r.0).collect();
        assert_eq!(lines, (2..rows as u64 + 2).collect::<Vec<_>>());
        assert_eq!(one[3].1, 3.0);
        for threads in [2, 3, 8] {
            let (many, many_sizes, result) =
                consumed(&engine, Box::new(Cursor::new(csv(rows))), threads, None);
            assert!(result.is_ok());
            assert_eq!(many_sizes, sizes, "{threads} threads");
            assert!(many == one, "{threads} threads");
        }
    }

    /// A selection evaluates its rows only: none of a chunk recorded empty,
    /// the whole of a chunk past the ones recorded; `consume` still gets
    /// every chunk's row count.
    #[test]
    fn a_selection_evaluates_only_its_rows() {
        let engine = engine();
        let mut selection = RowSelection::default();
        let mut first = RowBits::default();
        for position in [0, 5, CHUNK_ROWS - 1] {
            first.insert(position);
        }
        assert_eq!(first.len(), 3);
        selection.push(first);
        selection.push(RowBits::default());
        assert_eq!(selection.len(), 3);
        let rows = CHUNK_ROWS * 2 + 10;
        for threads in [1, 3] {
            let reader = open(
                &engine,
                "c.csv",
                Box::new(Cursor::new(csv(rows))),
                InputFormat::Csv,
            )
            .expect("opens");
            let (mut lines, mut sizes) = (Vec::new(), Vec::new());
            let capacity = Capacity {
                selection: Some(&selection),
                ..Capacity::default()
            };
            let result = run_over(
                &engine,
                reader,
                threads,
                capacity,
                || Lines(Vec::new()),
                |chunk, rows| {
                    lines.extend(chunk.0.iter().map(|r| r.0));
                    sizes.push(rows);
                    Ok::<(), ()>(())
                },
            );
            assert!(result.is_ok());
            assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 10]);
            // Line 2 is the first row (after the header).
            let last = CHUNK_ROWS as u64 + 1;
            let mut expected = vec![2, 7, last];
            expected.extend((2 * CHUNK_ROWS as u64 + 2)..(rows as u64 + 2));
            assert_eq!(lines, expected, "{threads} threads");
        }
    }

    #[test]
    fn a_read_error_comes_after_the_rows_read_before_it() {
        let engine = engine();
        let bytes = csv(CHUNK_ROWS * 6);
        // The error falls in the fourth chunk.
        let good = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(CHUNK_ROWS * 3 + 100)
            .map(|(at, _)| at as u64 + 1)
            .expect("enough lines");
        for threads in [1, 2, 4] {
            let input = FailsAfter {
                bytes: Cursor::new(bytes.clone()),
                good,
            };
            let (lines, _, result) = consumed(&engine, Box::new(input), threads, None);
            match result {
                Err(RunError::Read(e)) => {
                    assert!(e.to_string().contains("the disk went away"), "{e}")
                }
                other => panic!("{threads} threads: {other:?}"),
            }
            assert_eq!(lines.len(), CHUNK_ROWS * 3 + 100, "{threads} threads");
            assert!(lines.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    /// A record found too long by the thread that parses its chunk ends the
    /// run there too, after the rows before it, however many chunks after
    /// it other threads have read and evaluated meanwhile.
    #[test]
    fn a_record_too_long_to_parse_ends_the_run_after_the_rows_before_it() {
        let catalog = format!("{CATALOG}limits: {{ max_row_bytes: 50 }}\n");
        let engine = Engine::from_sources(&catalog, &[("rules.vas", RULES)]).expect("compiles");
        let bad = CHUNK_ROWS * 3 + 100;
        let mut text = String::from("n\n");
        for n in 0..CHUNK_ROWS * 8 {
            if n == bad {
                text.push_str(&"9".repeat(60));
            } else {
                text.push_str(&n.to_string());
            }
            text.push('\n');
        }
        for threads in [1, 2, 4] {
            let input = Box::new(Cursor::new(text.clone().into_bytes()));
            let (lines, _, result) = consumed(&engine, input, threads, None);
            match result {
                Err(RunError::Read(e)) => {
                    let message = e.to_string();
                    let at = format!("customers.csv:{}:", bad + 2);
                    assert!(message.contains(&at), "{message}");
                    assert!(message.contains("longer than 50 bytes"), "{message}");
                }
                other => panic!("{threads} threads: {other:?}"),
            }
            let expected: Vec<u64> = (2..bad as u64 + 2).collect();
            let got: Vec<u64> = lines.iter().map(|r| r.0).collect();
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    #[test]
    fn a_consumer_that_stops_ends_the_run_without_the_rest() {
        let engine = engine();
        for threads in [1, 2, 4] {
            let input = Box::new(Cursor::new(csv(CHUNK_ROWS * 40)));
            let (lines, sizes, result) = consumed(&engine, input, threads, Some(3));
            assert!(
                matches!(result, Err(RunError::Stopped(3))),
                "{threads} threads"
            );
            assert_eq!(sizes.len(), 3);
            assert_eq!(lines.len(), CHUNK_ROWS * 3);
        }
    }
}
