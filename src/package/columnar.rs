//! Parquet and Arrow IPC customer files, read as a stream of record batches.
//!
//! In: a file (or an Arrow IPC stream) and the schema's column mapping. Out:
//! chunks of exactly `limit` rows, each a slice of a record batch, that
//! workers read straight into customer slots: numbers are taken from the
//! arrays as numbers, texts as the `&str` in the array, nothing goes through
//! a per-row map. A Parquet file is read row group by row group, page by
//! page, and only the columns the schema maps, so memory does not grow with
//! the file. Errors name the row group (or record batch), the row and the
//! column.
//!
//! A column's type is checked once, when the file is opened: a number
//! attribute reads integer, floating point and decimal columns, and text
//! columns whose values read as numbers (what the CSV reader accepts); a
//! yes/no attribute reads boolean columns, and integer or text ones through
//! its true/false tokens; a text or category attribute reads text, integer
//! and boolean columns. Lists, structs, binary, dates and the like are
//! refused with the column's name and Arrow type.

mod cells;
mod text_rows;

use crate::package::customer::{Customer, FieldError};
use crate::package::file_format::{CHUNK_ROWS, Columnar, DataError, InputFormat, Place};
use crate::package::schema::Schema;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
pub(crate) use cells::ArrowColumns;
use cells::{Cell, Cells, MappedColumn, cell_text, fill};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};
pub(crate) use text_rows::TextRows;

/// Which part of the file rows come from: Parquet row groups, or Arrow
/// record batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    /// One batch a program gave (no file around it).
    Given,
    RowGroup,
    RecordBatch,
}

/// A slice of a record batch: rows `first_row..first_row + len` of the
/// file (counted from 0).
pub(crate) struct ColumnChunk {
    batch: RecordBatch,
    first_row: u64,
    /// The parts (row groups or record batches) the chunk's rows are in:
    /// each part's index and first row in the file.
    parts: Vec<(usize, u64)>,
    kind: PartKind,
}

impl ColumnChunk {
    /// A chunk of a batch given by a program (no file): its rows are
    /// numbered from 1 in the batch.
    pub(crate) fn of_batch(batch: RecordBatch) -> ColumnChunk {
        ColumnChunk {
            batch,
            first_row: 0,
            parts: vec![(0, 0)],
            kind: PartKind::Given,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.batch.num_rows()
    }

    pub(crate) fn view<'a>(&'a self, columns: &'a ArrowColumns) -> BatchView<'a> {
        let cells = columns
            .columns
            .iter()
            .map(|c| {
                let array = self.batch.columns().get(c.position);
                (c, array.map_or(Cells::Null, Cells::new))
            })
            .collect();
        BatchView {
            chunk: self,
            cells,
            buffer: std::cell::RefCell::new(String::new()),
        }
    }

    fn place(&self, index: usize) -> Place {
        let row = self.first_row + index as u64;
        let at = self.parts.partition_point(|&(_, start)| start <= row);
        let (part, start) = self
            .parts
            .get(at.saturating_sub(1))
            .copied()
            .unwrap_or((0, 0));
        let row = row - start.min(row) + 1;
        match self.kind {
            PartKind::RowGroup => Place::RowGroup { group: part, row },
            PartKind::RecordBatch => Place::RecordBatch { batch: part, row },
            PartKind::Given => Place::Row { row },
        }
    }
}

/// A chunk's columns, downcast once, ready to be read row by row.
pub(crate) struct BatchView<'a> {
    chunk: &'a ColumnChunk,
    cells: Vec<(&'a MappedColumn, Cells<'a>)>,
    /// Text of a number read as a yes/no token or a category.
    buffer: std::cell::RefCell<String>,
}

impl BatchView<'_> {
    pub(crate) fn len(&self) -> usize {
        self.chunk.len()
    }

    pub(crate) fn line(&self, index: usize) -> u64 {
        self.chunk.first_row + index as u64 + 1
    }

    /// Decodes row `index` into `customer` (which is reset first).
    pub(crate) fn decode(
        &self,
        schema: &Schema,
        file: &str,
        index: usize,
        customer: &mut Customer,
    ) -> Result<(), DataError> {
        customer.reset(schema);
        let mut buffer = self.buffer.borrow_mut();
        let at = |column: Option<usize>, error: FieldError| DataError {
            file: file.to_string(),
            line: self.line(index),
            column,
            message: error.to_string(),
            place: self.chunk.place(index),
        };
        for (column, cells) in &self.cells {
            let cell = if cells.is_null(index) {
                Cell::Null
            } else {
                cells.get(index)
            };
            fill(schema, column, cell, customer, &mut buffer)
                .map_err(|e| at(Some(column.file_column), e))?;
        }
        customer.check_required(schema).map_err(|e| {
            let slot = schema.fields.iter().position(|f| f.name == e.field);
            let column = self
                .cells
                .iter()
                .find(|(c, _)| Some(c.slot as usize) == slot)
                .map(|(c, _)| c.file_column);
            at(column, e)
        })
    }

    /// Row `index`'s mapped columns as a JSON object, for the rejects file.
    pub(crate) fn text(&self, index: usize) -> String {
        let mut buffer = String::new();
        let mut object = serde_json::Map::new();
        for (column, cells) in &self.cells {
            let value = match (cells.is_null(index), cells.get(index)) {
                (true, _) | (_, Cell::Null) => serde_json::Value::Null,
                (_, Cell::Bool(b)) => serde_json::Value::Bool(b),
                (_, Cell::Int(v)) => v.into(),
                (_, Cell::UInt(v)) => v.into(),
                (_, Cell::Text(t)) => t.into(),
                (_, Cell::Float(v)) => serde_json::Number::from_f64(v)
                    .map_or_else(|| v.to_string().into(), serde_json::Value::Number),
                (_, cell) => cell_text(cell, &mut buffer).into(),
            };
            object.insert(column.name.clone(), value);
        }
        serde_json::Value::Object(object).to_string()
    }
}

/// Which columns a reader reads: those the schema maps (customers), or all
/// of them (a survey, whose columns are found by name after opening).
#[derive(Clone, Copy)]
enum Wanted<'a> {
    Mapped(&'a Schema),
    All,
}

impl Wanted<'_> {
    fn map(
        self,
        file_schema: &arrow_schema::Schema,
        name: &str,
    ) -> Result<(ArrowColumns, Vec<String>), DataError> {
        match self {
            Wanted::Mapped(schema) => ArrowColumns::new(schema, file_schema, name, "file"),
            Wanted::All => Ok((ArrowColumns::default(), Vec::new())),
        }
    }
}

/// Reads a Parquet or Arrow file in chunks of a fixed number of rows,
/// whatever the sizes of its row groups or batches, so that results that
/// depend on chunk boundaries match the CSV reader's.
pub(crate) struct ColumnarReader {
    name: String,
    source: Source,
    schema: SchemaRef,
    kind: PartKind,
    /// Batches read and not yet handed out, and their row count.
    pending: VecDeque<RecordBatch>,
    pending_rows: usize,
    /// Rows handed out so far.
    next_row: u64,
    /// Rows read from the source so far.
    read_rows: u64,
    /// Parts not yet passed: (index, first row in the file), the first one
    /// holding `next_row`.
    parts: VecDeque<(usize, u64)>,
    /// Record batches read so far (Arrow).
    batches_read: usize,
    done: bool,
    /// A read error held back until the rows before it are handed out.
    failed: Option<DataError>,
}

enum Source {
    Parquet(parquet::arrow::arrow_reader::ParquetRecordBatchReader),
    IpcFile(arrow_ipc::reader::FileReader<BufReader<std::fs::File>>),
    IpcStream(arrow_ipc::reader::StreamReader<BufReader<Box<dyn Read + Send>>>),
}

impl ColumnarReader {
    /// Opens the file, maps its columns and reads only those.
    pub(crate) fn open(
        schema: &Schema,
        name: &str,
        input: Columnar,
        format: InputFormat,
    ) -> Result<(ColumnarReader, ArrowColumns, Vec<String>), DataError> {
        Self::open_wanted(Wanted::Mapped(schema), name, input, format)
    }

    fn open_wanted(
        wanted: Wanted<'_>,
        name: &str,
        input: Columnar,
        format: InputFormat,
    ) -> Result<(ColumnarReader, ArrowColumns, Vec<String>), DataError> {
        let error = |message: String| DataError {
            file: name.to_string(),
            line: 0,
            column: None,
            message,
            place: Place::File,
        };
        let (source, columns, absent, parts, kind, file_schema) = match (format, input) {
            (InputFormat::Parquet, Columnar::File(file)) => {
                use parquet::arrow::ProjectionMask;
                use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
                let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
                    error(format!(
                        "cannot read the file as Parquet ({e}); is it a Parquet file, and whole?"
                    ))
                })?;
                let (mut columns, absent) = wanted.map(builder.schema(), name)?;
                let mut parts = VecDeque::new();
                let mut start = 0u64;
                for (i, group) in builder.metadata().row_groups().iter().enumerate() {
                    parts.push_back((i, start));
                    start += u64::try_from(group.num_rows()).unwrap_or(0);
                }
                let mask = match wanted {
                    Wanted::Mapped(_) => {
                        ProjectionMask::roots(builder.parquet_schema(), columns.project())
                    }
                    Wanted::All => ProjectionMask::all(),
                };
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(CHUNK_ROWS)
                    .build()
                    .map_err(|e| error(format!("cannot read the file as Parquet: {e}")))?;
                let file_schema = reader_schema(&reader);
                (
                    Source::Parquet(reader),
                    columns,
                    absent,
                    parts,
                    PartKind::RowGroup,
                    file_schema,
                )
            }
            (InputFormat::Parquet, Columnar::Stream(_)) => {
                return Err(error(
                    "a Parquet file cannot be read from standard input (it is read from its end): give its path".into(),
                ));
            }
            (_, input) => {
                let not_arrow = |e: arrow_schema::ArrowError| {
                    error(format!(
                        "cannot read the file as Arrow IPC ({e}); is it an Arrow file or stream, and whole?"
                    ))
                };
                let source = match input {
                    Columnar::File(mut file) => {
                        let mut magic = [0u8; 6];
                        let is_file = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
                        file.seek(SeekFrom::Start(0))
                            .map_err(|e| error(format!("cannot read the file: {e}")))?;
                        if is_file {
                            let reader =
                                arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None)
                                    .map_err(not_arrow)?;
                            Source::IpcFile(reader)
                        } else {
                            let input: Box<dyn Read + Send> = Box::new(file);
                            Source::IpcStream(
                                arrow_ipc::reader::StreamReader::try_new(
                                    BufReader::new(input),
                                    None,
                                )
                                .map_err(not_arrow)?,
                            )
                        }
                    }
                    Columnar::Stream(input) => Source::IpcStream(
                        arrow_ipc::reader::StreamReader::try_new(BufReader::new(input), None)
                            .map_err(not_arrow)?,
                    ),
                };
                let file_schema = match &source {
                    Source::IpcFile(r) => r.schema(),
                    Source::IpcStream(r) => r.schema(),
                    Source::Parquet(r) => reader_schema(r),
                };
                let (columns, absent) = wanted.map(&file_schema, name)?;
                (
                    source,
                    columns,
                    absent,
                    VecDeque::new(),
                    PartKind::RecordBatch,
                    file_schema,
                )
            }
        };
        let reader = ColumnarReader {
            name: name.to_string(),
            source,
            schema: file_schema,
            kind,
            pending: VecDeque::new(),
            pending_rows: 0,
            next_row: 0,
            read_rows: 0,
            parts,
            batches_read: 0,
            done: false,
            failed: None,
        };
        Ok((reader, columns, absent))
    }

    fn next_batch(&mut self) -> Option<Result<RecordBatch, arrow_schema::ArrowError>> {
        match &mut self.source {
            Source::Parquet(r) => r.next(),
            Source::IpcFile(r) => r.next(),
            Source::IpcStream(r) => r.next(),
        }
    }

    /// The next `limit` rows (fewer at the end; none when done).
    pub(crate) fn read_chunk(&mut self, limit: usize) -> Result<ColumnChunk, DataError> {
        let limit = limit.max(1);
        if self.pending_rows == 0
            && let Some(error) = self.failed.take()
        {
            return Err(error);
        }
        while !self.done && self.pending_rows < limit {
            match self.next_batch() {
                None => self.done = true,
                Some(Ok(batch)) => {
                    if self.kind == PartKind::RecordBatch {
                        self.parts.push_back((self.batches_read, self.read_rows));
                        self.batches_read += 1;
                    }
                    self.read_rows += batch.num_rows() as u64;
                    if batch.num_rows() > 0 {
                        self.pending_rows += batch.num_rows();
                        self.pending.push_back(batch);
                    }
                }
                // Rows read before the error are handed out first, as the
                // CSV reader does; the error comes with the next chunk.
                Some(Err(e)) if self.pending_rows == 0 => return Err(self.read_error(&e)),
                Some(Err(e)) => {
                    self.failed = Some(self.read_error(&e));
                    self.done = true;
                }
            }
        }
        let take = limit.min(self.pending_rows);
        let batch = self.take(take)?;
        // Parts before the one holding the chunk's first row are passed.
        while self.parts.len() > 1 && self.parts.get(1).is_some_and(|&(_, s)| s <= self.next_row) {
            self.parts.pop_front();
        }
        let end = self.next_row + take as u64;
        let parts = self
            .parts
            .iter()
            .take_while(|&&(_, start)| start < end.max(self.next_row + 1))
            .copied()
            .collect();
        let chunk = ColumnChunk {
            batch,
            first_row: self.next_row,
            parts,
            kind: self.kind,
        };
        self.next_row = end;
        Ok(chunk)
    }

    /// The read error held back while the rows before it were handed out.
    pub(crate) fn take_failed(&mut self) -> Option<DataError> {
        self.failed.take()
    }

    /// Takes `rows` rows off the pending batches: a slice of the first one
    /// when it has enough (no copy), else the slices put together.
    fn take(&mut self, rows: usize) -> Result<RecordBatch, DataError> {
        let mut pieces = Vec::new();
        let mut wanted = rows;
        while wanted > 0 {
            let Some(front) = self.pending.pop_front() else {
                break;
            };
            let n = front.num_rows();
            if n > wanted {
                pieces.push(front.slice(0, wanted));
                self.pending.push_front(front.slice(wanted, n - wanted));
                wanted = 0;
            } else {
                pieces.push(front);
                wanted -= n;
            }
        }
        self.pending_rows -= rows - wanted;
        match pieces.len() {
            0 => Ok(RecordBatch::new_empty(
                self.pending
                    .front()
                    .map_or_else(|| self.schema.clone(), RecordBatch::schema),
            )),
            1 => Ok(pieces.remove(0)),
            _ => arrow_select::concat::concat_batches(&pieces[0].schema(), &pieces).map_err(|e| {
                DataError {
                    file: self.name.clone(),
                    line: self.next_row + 1,
                    column: None,
                    message: format!("cannot put record batches together: {e}"),
                    place: Place::File,
                }
            }),
        }
    }

    fn read_error(&self, e: &arrow_schema::ArrowError) -> DataError {
        let part = match self.kind {
            PartKind::RowGroup => {
                let at = self.parts.partition_point(|&(_, s)| s <= self.read_rows);
                let group = self.parts.get(at.saturating_sub(1)).map_or(0, |p| p.0);
                format!("row group {group}")
            }
            PartKind::RecordBatch | PartKind::Given => {
                format!("record batch {}", self.batches_read)
            }
        };
        DataError {
            file: self.name.clone(),
            line: self.read_rows + 1,
            column: None,
            message: format!(
                "cannot read {part} (after row {} of the file): {e}; is the file whole?",
                crate::base::number::count(self.read_rows)
            ),
            place: Place::File,
        }
    }
}

fn reader_schema(reader: &parquet::arrow::arrow_reader::ParquetRecordBatchReader) -> SchemaRef {
    use arrow_array::RecordBatchReader as _;
    reader.schema()
}
