//! Customer files: CSV and JSON Lines, read as a stream; Parquet and Arrow
//! through `columnar` (feature `arrow`), behind the same reader.
//!
//! In: a reader and the schema's column mapping. Out: chunks (raw rows,
//! cheap to read on one thread; blocks of CSV records, parsed by the worker
//! that takes them; or record batch slices) that workers decode
//! into [`Customer`]s, with a [`DataError`] naming file, line and column
//! (row group, row and column) for every value that is wrong.

use crate::package::csv_rows::{
    CsvFramer, CsvReadError, CsvRows, Fields, FrameError, Framed, RecordEnds,
};
use crate::package::customer::{self, Customer, FieldError};
pub use crate::package::file_format::{CHUNK_ROWS, DataError, InputFormat, Place};
pub(crate) use crate::package::file_format::{Columnar, map_columns};
use crate::package::schema::{Schema, Slot};
use std::io::{BufRead, BufReader, Read};

/// Longest line accepted in a JSON Lines file, and largest CSV record, unless
/// the catalog sets `limits.max_row_bytes`.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// The column names of a CSV header row: trimmed, without a byte-order mark
/// before the first (spreadsheets write one).
pub(crate) fn header_names<'a>(header: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    header
        .enumerate()
        .map(|(i, h)| {
            let text = String::from_utf8_lossy(h);
            let text = if i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                &text
            };
            text.trim().to_string()
        })
        .collect()
}

/// One JSON Lines row as read, not yet decoded.
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    pub text: String,
    pub line: u64,
}

/// One CSV record as parsed, not yet decoded.
#[derive(Debug, Clone, Default)]
pub(crate) struct CsvRecord {
    record: Fields,
    line: u64,
}

impl CsvRecord {
    /// The record re-quoted, for writing rejected rows aside.
    fn text(&self) -> String {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = writer.write_byte_record(&self.record.to_byte_record());
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim_end_matches('\n')
            .to_string()
    }
}

/// Where each schema slot's column is in a CSV row.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnMap {
    pub slots: Vec<(Slot, usize)>,
    pub width: usize,
    /// For JSON Lines: which slots each key fills.
    pub json: Option<std::sync::Arc<customer::JsonKeys>>,
    /// For Parquet and Arrow: each slot's column and how its type is read.
    #[cfg(feature = "arrow")]
    pub arrow: Option<std::sync::Arc<crate::package::columnar::ArrowColumns>>,
}

/// Rows read together and handed to one worker: text rows, a block of CSV
/// records (parsed by [`Chunk::parse`]), or (from a Parquet or Arrow file)
/// a slice of a record batch.
pub(crate) enum Chunk {
    Rows(Vec<RawRow>),
    Csv(CsvBlock),
    #[cfg(feature = "arrow")]
    Columns(crate::package::columnar::ColumnChunk),
}

impl Chunk {
    /// Its rows (for a CSV block not parsed yet, the records framed).
    pub(crate) fn len(&self) -> usize {
        match self {
            Chunk::Rows(rows) => rows.len(),
            Chunk::Csv(block) => block.parsed.unwrap_or(block.framed.records),
            #[cfg(feature = "arrow")]
            Chunk::Columns(chunk) => chunk.len(),
        }
    }

    /// Parses a CSV block's records (other chunks are ready as they are).
    /// On an error, the records before it are kept.
    pub(crate) fn parse(&mut self, file: &str) -> Result<(), DataError> {
        match self {
            Chunk::Csv(block) if block.parsed.is_none() => block.parse(file),
            _ => Ok(()),
        }
    }

    /// As [`Chunk::parse`], parsing only the CSV records `keep` names by
    /// their place in the chunk: the others are left as they are, for a
    /// caller that looks at no other row (capacity's second pass).
    pub(crate) fn parse_only(
        &mut self,
        file: &str,
        keep: impl Fn(usize) -> bool,
    ) -> Result<(), DataError> {
        match self {
            Chunk::Csv(block) if block.parsed.is_none() => block.parse_only(file, keep),
            _ => Ok(()),
        }
    }

    /// The chunk ready to decode row by row (a CSV block once parsed): for
    /// columns, each mapped column's array is looked at once here, not once
    /// per row.
    pub(crate) fn rows<'a>(&'a self, columns: &'a ColumnMap) -> ChunkRows<'a> {
        #[cfg(not(feature = "arrow"))]
        let _ = columns;
        match self {
            Chunk::Rows(rows) => ChunkRows::Rows(rows),
            Chunk::Csv(block) => ChunkRows::Csv(&block.rows[..block.parsed.unwrap_or(0)]),
            #[cfg(feature = "arrow")]
            Chunk::Columns(chunk) => match &columns.arrow {
                Some(arrow) => ChunkRows::Columns(chunk.view(arrow)),
                None => ChunkRows::Rows(&[]),
            },
        }
    }
}

/// A [`Chunk`] being decoded.
pub(crate) enum ChunkRows<'a> {
    Rows(&'a [RawRow]),
    Csv(&'a [CsvRecord]),
    #[cfg(feature = "arrow")]
    Columns(crate::package::columnar::BatchView<'a>),
}

impl ChunkRows<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            ChunkRows::Rows(rows) => rows.len(),
            ChunkRows::Csv(records) => records.len(),
            #[cfg(feature = "arrow")]
            ChunkRows::Columns(view) => view.len(),
        }
    }

    /// The `index`th row's line (for columns: its 1-based row in the file).
    pub(crate) fn line(&self, index: usize) -> u64 {
        match self {
            ChunkRows::Rows(rows) => rows.get(index).map_or(0, |row| row.line),
            ChunkRows::Csv(records) => records.get(index).map_or(0, |record| record.line),
            #[cfg(feature = "arrow")]
            ChunkRows::Columns(view) => view.line(index),
        }
    }

    /// The `index`th row as it was in the input, for the rejects file (for
    /// columns: the mapped columns as a JSON object).
    pub(crate) fn text(&self, index: usize) -> String {
        match self {
            ChunkRows::Rows(rows) => rows
                .get(index)
                .map_or_else(String::new, |row| row.text.clone()),
            ChunkRows::Csv(records) => records.get(index).map_or_else(String::new, CsvRecord::text),
            #[cfg(feature = "arrow")]
            ChunkRows::Columns(view) => view.text(index),
        }
    }

    /// Decodes the `index`th row into `customer` (which is reset first).
    pub(crate) fn decode(
        &self,
        schema: &Schema,
        columns: &ColumnMap,
        file: &str,
        index: usize,
        customer: &mut Customer,
    ) -> Result<(), DataError> {
        match self {
            ChunkRows::Rows(rows) => match rows.get(index) {
                Some(row) => decode(schema, columns, file, row, customer),
                None => Ok(()),
            },
            ChunkRows::Csv(records) => match records.get(index) {
                Some(record) => decode_csv(schema, columns, file, record, customer),
                None => Ok(()),
            },
            #[cfg(feature = "arrow")]
            ChunkRows::Columns(view) => view.decode(schema, file, index, customer),
        }
    }
}

/// Whole CSV records as they were in the file, and once parsed, the rows.
pub(crate) struct CsvBlock {
    bytes: Vec<u8>,
    framed: Framed,
    /// Rows parsed, once parsed; `rows` beyond them are buffers kept for
    /// the next block.
    parsed: Option<usize>,
    rows: Vec<CsvRecord>,
    max_row_bytes: usize,
}

impl CsvBlock {
    fn new(max_row_bytes: usize) -> CsvBlock {
        CsvBlock {
            bytes: Vec::new(),
            framed: Framed {
                records: 0,
                first_line: 1,
            },
            parsed: None,
            rows: Vec::new(),
            max_row_bytes,
        }
    }

    fn parse(&mut self, file: &str) -> Result<(), DataError> {
        let mut csv = CsvRows::new(&self.bytes[..], self.max_row_bytes);
        let lines_before = self.framed.first_line - 1;
        let mut count = 0;
        let result = loop {
            if count == self.rows.len() {
                self.rows.push(CsvRecord::default());
            }
            let row = &mut self.rows[count];
            match csv.read(&mut row.record) {
                Ok(Some(at)) => {
                    row.line = lines_before + at;
                    count += 1;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(csv_error(file, self.max_row_bytes, e, lines_before)),
            }
        };
        debug_assert!(
            result.is_err() || count == self.framed.records,
            "parsed {count} records where {} were framed",
            self.framed.records
        );
        self.parsed = Some(count);
        result
    }
}

impl CsvBlock {
    fn parse_only(&mut self, file: &str, keep: impl Fn(usize) -> bool) -> Result<(), DataError> {
        let records = self.framed.records;
        if self.rows.len() < records {
            self.rows.resize_with(records, CsvRecord::default);
        }
        let mut csv = CsvRows::with_buffer(&self.bytes, self.max_row_bytes, 1024);
        let mut ends = RecordEnds::new();
        let (mut line, mut counted) = (self.framed.first_line, 0);
        for (index, (start, _)) in ends.records(&self.bytes).enumerate().take(records) {
            if !keep(index) {
                continue;
            }
            line += memchr::memchr_iter(b'\n', &self.bytes[counted..start]).count() as u64;
            counted = start;
            let row = &mut self.rows[index];
            row.line = line;
            if let Err(e) = csv.read_at(start, line, &mut row.record) {
                self.parsed = Some(index);
                return Err(match e {
                    CsvReadError::Csv(e) => {
                        DataError::at_line(file, line, None, format!("cannot read the row: {e}"))
                    }
                    too_long => csv_error(file, self.max_row_bytes, too_long, 0),
                });
            }
        }
        self.parsed = Some(records);
        Ok(())
    }
}

/// A record's error as a [`DataError`]; `lines_before` is added to the
/// line the error names.
fn csv_error(
    file: &str,
    max_row_bytes: usize,
    error: CsvReadError,
    lines_before: u64,
) -> DataError {
    let (line, message) = match error {
        CsvReadError::TooLong(line) => (
            line,
            format!("the row is longer than {max_row_bytes} bytes (`limits.max_row_bytes`)"),
        ),
        CsvReadError::Csv(e) => (
            e.position().map_or(0, |p| p.line()),
            format!("cannot read the row: {e}"),
        ),
    };
    DataError::at_line(file, lines_before + line, None, message)
}

/// Reads rows from a customer file.
pub struct CustomerReader {
    name: String,
    inner: ReaderKind,
    pub(crate) columns: ColumnMap,
    /// Schema fields with no column in the file (read as missing).
    pub absent: Vec<String>,
    /// Processed rows, kept so their buffers are filled again.
    spare: Vec<RawRow>,
    /// Processed CSV blocks, likewise.
    spare_blocks: Vec<CsvBlock>,
    /// Longest row accepted.
    max_row_bytes: usize,
}

enum ReaderKind {
    #[cfg(feature = "arrow")]
    Columnar(Box<crate::package::columnar::ColumnarReader>),
    Csv(Box<CsvFramer<Box<dyn Read + Send>>>),
    Jsonl {
        lines: BufReader<Box<dyn Read + Send>>,
        line: u64,
    },
}

impl CustomerReader {
    /// Opens a reader; for CSV, reads the header and maps columns to the schema.
    pub(crate) fn new(
        schema: &Schema,
        name: &str,
        reader: Box<dyn Read + Send>,
        format: InputFormat,
    ) -> Result<CustomerReader, DataError> {
        match format {
            InputFormat::Parquet | InputFormat::Arrow => {
                columnar_reader(schema, name, Columnar::Stream(reader), format)
            }
            InputFormat::Jsonl => Ok(CustomerReader {
                name: name.to_string(),
                inner: ReaderKind::Jsonl {
                    lines: BufReader::with_capacity(1 << 16, reader),
                    line: 0,
                },
                columns: ColumnMap {
                    json: Some(std::sync::Arc::new(customer::JsonKeys::new(schema))),
                    ..ColumnMap::default()
                },
                absent: Vec::new(),
                spare: Vec::new(),
                spare_blocks: Vec::new(),
                max_row_bytes: schema.max_row_bytes,
            }),
            InputFormat::Csv => {
                let max = schema.max_row_bytes;
                let mut csv = Box::new(CsvFramer::new(reader, max));
                let error = |line: u64, column: Option<usize>, message: String| {
                    DataError::at_line(name, line, column, message)
                };
                // The header is the first block, of one record, parsed here;
                // it starts on line 1, so its lines need no offset.
                let mut bytes = Vec::new();
                let mut header = Fields::default();
                let read = match csv.frame(1, &mut bytes).1 {
                    Ok(()) => CsvRows::new(&bytes[..], max).read(&mut header),
                    Err(FrameError::TooLong(line)) => Err(CsvReadError::TooLong(line)),
                    Err(FrameError::Io(e, _)) => {
                        return Err(error(1, None, format!("cannot read the header row: {e}")));
                    }
                };
                let line = match read {
                    Ok(Some(line)) => line,
                    Ok(None) => {
                        return Err(error(
                            1,
                            None,
                            "the file is empty; a header row is needed".into(),
                        ));
                    }
                    Err(CsvReadError::TooLong(line)) => {
                        return Err(error(
                            line,
                            None,
                            format!(
                                "the header row is longer than {max} bytes (`limits.max_row_bytes`); is this a CSV file?"
                            ),
                        ));
                    }
                    Err(CsvReadError::Csv(e)) => {
                        return Err(error(1, None, format!("cannot read the header row: {e}")));
                    }
                };
                if header.is_empty() {
                    return Err(error(
                        line,
                        None,
                        "the file is empty; a header row is needed".into(),
                    ));
                }
                if let Some(i) = header.iter().position(|h| std::str::from_utf8(h).is_err()) {
                    return Err(error(
                        line,
                        Some(i + 1),
                        "the column name is not valid UTF-8 (save the file as UTF-8)".into(),
                    ));
                }
                let names = header_names(header.iter());
                let (slots, absent) = map_columns(schema, &names, "header", &|column, message| {
                    error(line, column, message)
                })?;
                let columns = ColumnMap {
                    slots,
                    width: names.len(),
                    ..ColumnMap::default()
                };
                Ok(CustomerReader {
                    name: name.to_string(),
                    inner: ReaderKind::Csv(csv),
                    columns,
                    absent,
                    spare: Vec::new(),
                    spare_blocks: Vec::new(),
                    max_row_bytes: schema.max_row_bytes,
                })
            }
        }
    }

    /// Opens a reader on a file: as [`CustomerReader::new`], and a Parquet
    /// file (which is read from its end) too.
    pub(crate) fn from_file(
        schema: &Schema,
        name: &str,
        file: std::fs::File,
        format: InputFormat,
    ) -> Result<CustomerReader, DataError> {
        if format.is_columnar() {
            columnar_reader(schema, name, Columnar::File(file), format)
        } else {
            CustomerReader::new(schema, name, Box::new(file), format)
        }
    }

    /// Reads the next chunk of up to `limit` rows (empty at the end), parsed.
    /// On an error, the rows read before it come with it.
    pub(crate) fn read_chunk(&mut self, limit: usize) -> (Chunk, Result<(), DataError>) {
        let (mut chunk, result) = self.read_raw_chunk(limit);
        match chunk.parse(&self.name) {
            Ok(()) => (chunk, result),
            Err(e) => (chunk, Err(e)),
        }
    }

    /// As [`CustomerReader::read_chunk`], but a CSV block comes unparsed:
    /// the worker that takes it parses it ([`Chunk::parse`]), off the
    /// reader's lock. A parse error then comes from that chunk, before any
    /// error this returns.
    pub(crate) fn read_raw_chunk(&mut self, limit: usize) -> (Chunk, Result<(), DataError>) {
        match &mut self.inner {
            #[cfg(feature = "arrow")]
            ReaderKind::Columnar(reader) => {
                return match reader.read_chunk(limit) {
                    // A short chunk is the last: the rows before a read error
                    // come with the error.
                    Ok(chunk) if chunk.len() < limit => match reader.take_failed() {
                        Some(e) => (Chunk::Columns(chunk), Err(e)),
                        None => (Chunk::Columns(chunk), Ok(())),
                    },
                    Ok(chunk) => (Chunk::Columns(chunk), Ok(())),
                    Err(e) => (Chunk::Rows(Vec::new()), Err(e)),
                };
            }
            ReaderKind::Csv(framer) => {
                let mut block = self
                    .spare_blocks
                    .pop()
                    .unwrap_or_else(|| CsvBlock::new(self.max_row_bytes));
                let (framed, result) = framer.frame(limit, &mut block.bytes);
                block.framed = framed;
                block.parsed = None;
                let result = result.map_err(|e| match e {
                    FrameError::TooLong(line) => csv_error(
                        &self.name,
                        self.max_row_bytes,
                        CsvReadError::TooLong(line),
                        0,
                    ),
                    FrameError::Io(e, line) => DataError::at_line(
                        &self.name,
                        line,
                        None,
                        format!("cannot read the row: {e}"),
                    ),
                });
                return (Chunk::Csv(block), result);
            }
            ReaderKind::Jsonl { .. } => {}
        }
        let mut rows = Vec::with_capacity(limit.min(1 << 16));
        let result = self.read_json_rows(&mut rows, limit).map(|_| ());
        (Chunk::Rows(rows), result)
    }

    /// Takes back a chunk that has been processed, to reuse its buffers.
    pub(crate) fn recycle(&mut self, chunk: Chunk) {
        const MAX_SPARE: usize = 1 << 16;
        const MAX_SPARE_BLOCKS: usize = 16;
        let rows = match chunk {
            Chunk::Rows(rows) => rows,
            Chunk::Csv(block) => {
                if self.spare_blocks.len() < MAX_SPARE_BLOCKS {
                    self.spare_blocks.push(block);
                }
                return;
            }
            #[cfg(feature = "arrow")]
            Chunk::Columns(_) => return,
        };
        for row in rows {
            if self.spare.len() >= MAX_SPARE {
                break;
            }
            self.spare.push(row);
        }
    }

    /// The file name used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends up to `limit` JSON Lines rows to `out`; returns how many were
    /// read (0 at the end, and for other formats).
    fn read_json_rows(&mut self, out: &mut Vec<RawRow>, limit: usize) -> Result<usize, DataError> {
        let mut count = 0;
        while count < limit {
            let row = match &mut self.inner {
                #[cfg(feature = "arrow")]
                ReaderKind::Columnar(_) => None,
                ReaderKind::Csv(_) => None,
                ReaderKind::Jsonl { lines, line } => {
                    // The line is read straight into a processed row's
                    // buffer: no copy, and no allocation once buffers have grown.
                    let mut bytes = match self.spare.pop() {
                        Some(RawRow { text, .. }) => text.into_bytes(),
                        _ => Vec::new(),
                    };
                    match read_line_limited(lines, &mut bytes, self.max_row_bytes) {
                        Ok(None) => None,
                        Ok(Some(())) => {
                            *line += 1;
                            while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                                bytes.pop();
                            }
                            let text = match String::from_utf8(bytes) {
                                Ok(text) => text,
                                Err(e) => {
                                    return Err(DataError::at_line(
                                        &self.name,
                                        *line,
                                        Some(e.utf8_error().valid_up_to() + 1),
                                        "the line is not valid UTF-8".into(),
                                    ));
                                }
                            };
                            if text.trim().is_empty() {
                                continue;
                            }
                            Some(RawRow { text, line: *line })
                        }
                        Err(message) => {
                            return Err(DataError::at_line(&self.name, *line + 1, None, message));
                        }
                    }
                }
            };
            match row {
                Some(row) => {
                    out.push(row);
                    count += 1;
                }
                None => break,
            }
        }
        Ok(count)
    }
}

#[cfg(feature = "arrow")]
fn columnar_reader(
    schema: &Schema,
    name: &str,
    input: Columnar,
    format: InputFormat,
) -> Result<CustomerReader, DataError> {
    let (reader, arrow, absent) =
        crate::package::columnar::ColumnarReader::open(schema, name, input, format)?;
    Ok(CustomerReader {
        name: name.to_string(),
        inner: ReaderKind::Columnar(Box::new(reader)),
        columns: ColumnMap {
            arrow: Some(std::sync::Arc::new(arrow)),
            ..ColumnMap::default()
        },
        absent,
        spare: Vec::new(),
        spare_blocks: Vec::new(),
        max_row_bytes: schema.max_row_bytes,
    })
}

/// Without the `arrow` feature, Parquet and Arrow files are refused with
/// what to do instead.
#[cfg(not(feature = "arrow"))]
fn columnar_reader(
    _schema: &Schema,
    name: &str,
    _input: Columnar,
    format: InputFormat,
) -> Result<CustomerReader, DataError> {
    Err(DataError {
        file: name.to_string(),
        line: 0,
        column: None,
        message: format!(
            "this vasrec was built without {} support: build it with `--features arrow`, or export the table to CSV",
            if format == InputFormat::Parquet {
                "Parquet"
            } else {
                "Arrow IPC"
            }
        ),
        place: Place::File,
    })
}

/// Reads one line into `buffer`, refusing lines longer than `limit` bytes.
fn read_line_limited(
    reader: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> Result<Option<()>, String> {
    buffer.clear();
    loop {
        let available = reader.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
        if available.is_empty() {
            return Ok(if buffer.is_empty() { None } else { Some(()) });
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buffer.len() + take > limit {
            return Err(format!(
                "the line is longer than {limit} bytes (`limits.max_row_bytes`)"
            ));
        }
        // Exactly: the buffer is kept for later lines, and one grown by
        // doubling would hold up to twice its longest line.
        buffer.reserve_exact(take);
        buffer.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(Some(()));
        }
    }
}

/// Decodes one CSV record into `customer` (which is reset first).
fn decode_csv(
    schema: &Schema,
    columns: &ColumnMap,
    file: &str,
    row: &CsvRecord,
    customer: &mut Customer,
) -> Result<(), DataError> {
    customer.reset(schema);
    let (record, line) = (&row.record, row.line);
    if record.len() != columns.width {
        return Err(DataError::at_line(
            file,
            line,
            None,
            format!(
                "the row has {} fields but the header has {}",
                record.len(),
                columns.width
            ),
        ));
    }
    // One validation of the whole record costs less than one per
    // field; a field is then read from it when it starts and ends
    // on a character's boundary (else it is checked alone, and that
    // finds the column of the error).
    let whole = std::str::from_utf8(record.as_bytes()).ok();
    for &(slot, index) in &columns.slots {
        let valid = whole.and_then(|all| all.get(record.range(index)?));
        let text = match valid {
            Some(text) => text,
            None => std::str::from_utf8(record.get(index).unwrap_or(b"")).map_err(|_| {
                DataError::at_line(
                    file,
                    line,
                    Some(index + 1),
                    "the value is not valid UTF-8".into(),
                )
            })?,
        };
        customer::parse_text(schema, customer, slot, text)
            .map_err(|e| DataError::at_line(file, line, Some(index + 1), e.to_string()))?;
    }
    customer
        .check_required(schema)
        .map_err(|e| DataError::at_line(file, line, column_of(columns, schema, &e), e.to_string()))
}

/// Decodes one JSON Lines row into `customer` (which is reset first).
pub(crate) fn decode(
    schema: &Schema,
    columns: &ColumnMap,
    file: &str,
    row: &RawRow,
    customer: &mut Customer,
) -> Result<(), DataError> {
    customer.reset(schema);
    let (text, line) = (&row.text, row.line);
    let at =
        |column: Option<usize>, message: String| DataError::at_line(file, line, column, message);
    let fast = columns
        .json
        .as_deref()
        .and_then(|keys| customer::fill_from_json_text(schema, keys, customer, text));
    if let Some(filled) = fast {
        filled.map_err(|e| at(None, e.to_string()))?;
        return customer
            .check_required(schema)
            .map_err(|e| at(None, e.to_string()));
    }
    customer.reset(schema);
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| at(Some(e.column()), format!("not a JSON object: {e}")))?;
    customer::fill_from_json(schema, customer, &value).map_err(|e| at(None, e.to_string()))?;
    customer
        .check_required(schema)
        .map_err(|e| at(None, e.to_string()))
}

fn column_of(columns: &ColumnMap, schema: &Schema, error: &FieldError) -> Option<usize> {
    let slot = schema.fields.iter().position(|f| f.name == error.field)?;
    columns
        .slots
        .iter()
        .find(|(s, _)| *s as usize == slot)
        .map(|(_, i)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::{Chunk, ColumnMap, CustomerReader, InputFormat, RawRow, decode};

    /// The lines of a JSON Lines file as the reader hands them out (text
    /// and line), `limit` rows a chunk, each chunk given back to be reused
    /// as the run does, the bytes arriving `step` at a time.
    fn json_lines(text: &[u8], limit: usize, step: usize) -> Result<Vec<(String, u64)>, String> {
        let engine = crate::Engine::load(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
            .expect("the bundled package loads");
        let input =
            crate::package::csv_rows::tests::Trickle(std::io::Cursor::new(text.to_vec()), step);
        let mut reader = CustomerReader::new(
            engine.schema(),
            "c.jsonl",
            Box::new(input),
            InputFormat::Jsonl,
        )
        .map_err(|e| e.to_string())?;
        let mut lines = Vec::new();
        loop {
            let (chunk, result) = reader.read_chunk(limit);
            let Chunk::Rows(rows) = &chunk else {
                panic!("JSON Lines come as rows");
            };
            lines.extend(rows.iter().map(|row| (row.text.clone(), row.line)));
            result.map_err(|e| e.to_string())?;
            if chunk.len() == 0 {
                return Ok(lines);
            }
            reader.recycle(chunk);
        }
    }

    /// CSV fields are read from one validation of their record: texts come
    /// out whole, and a byte that is not UTF-8 is still refused at its own
    /// column, also when a character is cut between two fields (the record
    /// is valid UTF-8 as a whole, its fields are not).
    #[test]
    fn csv_fields_not_utf8_are_refused_at_their_column() {
        let catalog = "package: u\nservices:\n  - { id: s, name: S, category: convenience, stage: in_sale, channel: online, participation: passive, default_gain: 1 }\ncustomer:\n  attributes:\n    - { name: a, type: text }\n    - { name: b, type: text }\n    - { name: n, type: number }\n";
        let engine =
            crate::Engine::from_sources(catalog, &[("r.vas", "segment all { when true }\n")])
                .expect("compiles");
        let schema = engine.schema();
        let decode_row = |row: &[u8]| -> Result<Vec<String>, String> {
            let mut text = b"a,b,n\n".to_vec();
            text.extend_from_slice(row);
            let mut reader = CustomerReader::new(
                schema,
                "c.csv",
                Box::new(std::io::Cursor::new(text)),
                InputFormat::Csv,
            )
            .map_err(|e| e.to_string())?;
            let (chunk, result) = reader.read_chunk(8);
            result.map_err(|e| e.to_string())?;
            let mut customer = crate::package::customer::Customer::empty(schema);
            chunk
                .rows(&reader.columns)
                .decode(schema, &reader.columns, "c.csv", 0, &mut customer)
                .map_err(|e| e.to_string())?;
            Ok(["a", "b"]
                .iter()
                .map(|name| {
                    let slot = schema.attribute(name).expect("a slot") as usize;
                    match customer.values[slot] {
                        crate::package::customer::Value::Text(s) => {
                            customer.local_texts.resolve(&schema.symbols, s).to_string()
                        }
                        ref other => format!("{other:?}"),
                    }
                })
                .collect())
        };
        assert_eq!(
            decode_row("中,\"文,字\",1\n".as_bytes()),
            Ok(vec!["中".into(), "文,字".into()])
        );
        let error = decode_row(b"ok,\xff,1\n").expect_err("not UTF-8");
        assert!(
            error.contains("c.csv:2:2:") && error.contains("not valid UTF-8"),
            "{error}"
        );
        // 中 is e4 b8 ad: cut after two bytes, the record reads "中" whole.
        let error = decode_row(b"\xe4\xb8,\xad,1\n").expect_err("cut between fields");
        assert!(
            error.contains("c.csv:2:1:") && error.contains("not valid UTF-8"),
            "{error}"
        );
    }

    /// Rows read into reused buffers hold their own line and nothing of a
    /// longer one before them; line ends (LF, CRLF, stray CRs) are cut,
    /// blank lines skipped but counted.
    #[test]
    fn json_lines_reuse_row_buffers_without_leftovers() {
        let long = format!(r#"{{"customerID":"{}"}}"#, "x".repeat(5000));
        let text =
            format!("{long}\r\n  \n{{\"b\":1}}\n{{\"c\":2}}\r\r\n\n{long}\n{{\"d\":\"高\"}}");
        let expected: Vec<(String, u64)> = vec![
            (long.clone(), 1),
            (r#"{"b":1}"#.into(), 3),
            (r#"{"c":2}"#.into(), 4),
            (long.clone(), 6),
            ("{\"d\":\"高\"}".into(), 7),
        ];
        for (limit, step) in [(1, 1 << 16), (2, 7), (2, 1), (64, 3)] {
            assert_eq!(
                json_lines(text.as_bytes(), limit, step).as_ref(),
                Ok(&expected),
                "{limit} a chunk, {step} bytes a read"
            );
        }
    }

    /// A line that is not UTF-8 is refused at its line and the column of
    /// its first bad byte, also when a row's buffer is reused for it.
    #[test]
    fn json_lines_not_utf8_are_refused_where_they_break() {
        let mut text = br#"{"customerID":"long long long"}"#.to_vec();
        text.extend_from_slice(b"\n{\"a\":\"\xe9t\xe9\"}\r\n");
        for (limit, step) in [(1, 1 << 16), (1, 2), (8, 5)] {
            let error = json_lines(&text, limit, step).expect_err("not UTF-8");
            assert!(
                error.contains(":2:7:") && error.contains("not valid UTF-8"),
                "{error}"
            );
        }
        // A multi-byte character cut by the line end.
        let error = json_lines(b"{\"a\":\"\xe4\xb8\n", 4, 1).expect_err("cut");
        assert!(error.contains(":1:7:"), "{error}");
    }

    /// Parsing only some records of a block reads each of them, and its
    /// line, as parsing the whole block does: over random texts (quoted
    /// values with line ends, CRLF, empty lines), blocks of any size, and
    /// random choices of rows.
    #[test]
    fn csv_records_parsed_alone_read_as_in_their_block() {
        use crate::package::csv_rows::{CsvFramer, tests::random_csv};
        let mut rng = crate::base::test_rng::Rng(202_612_042);
        let mut checked = 0;
        for _ in 0..300 {
            let text = random_csv(&mut rng);
            let per_block = rng.pick(&[1, 4, 2048]);
            let mut framer = CsvFramer::new(std::io::Cursor::new(text.clone()), 1 << 20);
            loop {
                let mut whole = super::CsvBlock::new(1 << 20);
                let (framed, result) = framer.frame(per_block, &mut whole.bytes);
                assert!(result.is_ok());
                if framed.records == 0 {
                    break;
                }
                whole.framed = framed;
                let mut some = super::CsvBlock::new(1 << 20);
                some.bytes.clone_from(&whole.bytes);
                some.framed = framed;
                whole.parse("c.csv").expect("parses");
                let keep: Vec<bool> = (0..framed.records).map(|_| rng.chance(40)).collect();
                some.parse_only("c.csv", |i| keep[i]).expect("parses");
                assert_eq!(some.parsed, Some(framed.records));
                for (i, kept) in keep.iter().enumerate() {
                    if *kept {
                        let (a, b) = (&whole.rows[i], &some.rows[i]);
                        assert_eq!(
                            (&a.record, a.line),
                            (&b.record, b.line),
                            "{:?} row {i}",
                            String::from_utf8_lossy(&text)
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "only {checked} rows compared");
    }

    use crate::package::customer::{Customer, JsonKeys};

    /// The bundled package, and its column maps with the JSON keys (read by
    /// hand, else by serde_json's stream) and without (the parsed object).
    fn bundled_json_maps() -> (crate::Engine, ColumnMap, ColumnMap) {
        let engine = crate::Engine::load(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
            .expect("the bundled package loads");
        let fast = ColumnMap {
            json: Some(std::sync::Arc::new(JsonKeys::new(engine.schema()))),
            ..ColumnMap::default()
        };
        (engine, fast, ColumnMap::default())
    }

    /// Reads `text` both ways: the same result, and the same customer when
    /// it reads; whether it read.
    fn reads_alike(
        schema: &crate::package::schema::Schema,
        fast: &ColumnMap,
        slow: &ColumnMap,
        text: &str,
    ) -> bool {
        let row = RawRow {
            text: text.to_string(),
            line: 7,
        };
        let (mut a, mut b) = (Customer::default(), Customer::default());
        let got = decode(schema, fast, "c.jsonl", &row, &mut a);
        let expected = decode(schema, slow, "c.jsonl", &row, &mut b);
        assert_eq!(got, expected, "{text}");
        if got.is_ok() {
            assert_eq!(a, b, "{text}");
        }
        got.is_ok()
    }

    /// Rows edited at random (characters that matter to JSON inserted,
    /// bytes deleted) read alike by hand, by serde_json's stream and from
    /// the parsed object: what the hand-written scanner accepts, serde_json
    /// accepts with the same values, and what it refuses goes on to give
    /// the same error.
    #[test]
    fn json_rows_edited_at_random_read_alike_every_way() {
        let (engine, fast, slow) = bundled_json_maps();
        let schema = &engine.schema();
        let bases = [
            r#"{"customerID":"R1","tenure":5,"MonthlyCharges":70.5,"InternetService":"Fiber optic","Contract":"Month-to-month","SeniorCitizen":1,"Partner":"Yes","pref_price":null}"#,
            r#" { "customerID" : "R2" , "tenure" : -0 , "MonthlyCharges" : 1.5e+2 , "TotalCharges" : 0.000 , "nps" : 10 , "x" : true } "#,
            r#"{"customerID":"R3","tenure":2,"MonthlyCharges":3,"open_complaints":0,"channel":"web","PaperlessBilling":false,"Dependents":"No"}"#,
        ];
        let inserts = [
            '"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '-', '+', '.', 'e', 'E', ' ', '\t',
            '\n', '\u{1}', 'n', 't', 'x', 'é',
        ];
        let mut rng = crate::base::test_rng::Rng(20_261_203);
        let (mut scanned, mut refused) = (0, 0);
        for _ in 0..4000 {
            let mut text: Vec<char> = rng.pick(&bases).chars().collect();
            for _ in 0..=rng.below(2) {
                let at = rng.below(text.len() + 1);
                if rng.chance(50) || text.is_empty() {
                    text.insert(at, rng.pick(&inserts));
                } else {
                    text.remove(at.min(text.len() - 1));
                }
            }
            let text: String = text.into_iter().collect();
            if reads_alike(schema, &fast, &slow, &text) {
                scanned += 1;
            } else {
                refused += 1;
            }
        }
        // Both kinds occur, so both ways were compared.
        assert!(
            scanned > 500 && refused > 500,
            "{scanned} read, {refused} refused"
        );
    }

    /// A JSON Lines row read key by key into its slots gives exactly what the
    /// parsed object gave: the same values, and the same error when there is
    /// one (the first field in schema order), for shadowed, repeated and
    /// escaped keys, `pref.` names, wrong types and malformed rows.
    #[test]
    fn json_rows_read_key_by_key_match_the_parsed_object() {
        let (engine, fast, slow) = bundled_json_maps();
        let schema = &engine.schema();
        let rows = [
            r#"{"customerID":"A1","tenure":5,"MonthlyCharges":70.5,"InternetService":"Fiber optic","Contract":"Month-to-month","SeniorCitizen":1,"Partner":"Yes"}"#,
            r#"{"customerID":"A3","tenure_months":9,"tenure":4,"MonthlyCharges":1}"#,
            r#"{"customerID":"A3b","tenure_months":9,"MonthlyCharges":1}"#,
            r#"{"customerID":"A4","tenure":1,"MonthlyCharges":1,"pref.price":0.5}"#,
            r#"{"customerID":"A4b","tenure":1,"MonthlyCharges":1,"pref.price":0.9,"pref_price":0.2}"#,
            r#"{"customer\u0049D":"A5","tenure":1,"MonthlyCharges":1}"#,
            r#"{"customerID":"A6","tenure":3,"tenure_months":"abc","MonthlyCharges":1}"#,
            r#"{"customerID":"A7","tenure":"abc","MonthlyCharges":1}"#,
            r#"{"customerID":"A7b","tenure":"abc","MonthlyCharges":"xyz"}"#,
            r#"{"customerID":12,"tenure":null,"MonthlyCharges":1.50}"#,
            r#"{"customerID":"A9","tenure":2,"MonthlyCharges":3,"SeniorCitizen":true,"open_complaints":[1]}"#,
            r#"{"customerID":"A10","tenure":2,"MonthlyCharges":3,"InternetService":{"x":1}}"#,
            r#"{"customerID":"A11","extra":{"x":[1,{"y":2}]},"tenure":2,"MonthlyCharges":3e1}"#,
            r#"{"customerID":"A12","tenure":2,"MonthlyCharges":3,"InternetService":"Satellite"}"#,
            r#"{}"#,
            r#"[1,2]"#,
            r#""x""#,
            r#"{"customerID":"A13","tenure":2} trailing"#,
            r#"{"customerID":"A14","tenure":2"#,
            r#"{"customerID":"A15","tenure":2,}"#,
            // Numbers into every kind of attribute, and the same numbers
            // written differently (read as the parsed object's text).
            r#"{"customerID":"N1","tenure":9007199254740993,"MonthlyCharges":-0.0,"TotalCharges":1e-7}"#,
            r#"{"customerID":"N2","tenure":2,"MonthlyCharges":3,"TotalCharges":12345678901234567890123}"#,
            r#"{"customerID":"N3","tenure":2,"MonthlyCharges":1e400}"#,
            r#"{"customerID":"N4","tenure":2,"MonthlyCharges":3,"InternetService":1}"#,
            r#"{"customerID":"N5","tenure":2,"MonthlyCharges":3,"Partner":1,"SeniorCitizen":0}"#,
            r#"{"customerID":"N6","tenure":2,"MonthlyCharges":3,"pref.price":1.0,"pref.responsiveness":2}"#,
            r#"{"customerID":7e0,"tenure":2.50,"MonthlyCharges":3}"#,
            r#"{"customerID":"E1","tenure":2,"MonthlyCharges":3,"InternetService":"Fiber\u0020optic","Contract":"\u6708"}"#,
            r#"{"customerID":"E2","tenure":2,"MonthlyCharges":3,"PhoneService":"No phone service","Partner":false}"#,
            r#"{"customerID":"E3","tenure":2,"MonthlyCharges":3,"Partner":[],"Dependents":{}}"#,
            // Negative and huge integers where a text is read, and texts
            // with spaces (ASCII and not) at their ends.
            r#"{"customerID":"I1","tenure":2,"MonthlyCharges":3,"SeniorCitizen":-1}"#,
            r#"{"customerID":"I2","tenure":2,"MonthlyCharges":3,"InternetService":-9223372036854775808}"#,
            r#"{"customerID":"I3","tenure":2,"MonthlyCharges":3,"Partner":18446744073709551615}"#,
            r#"{"customerID":" T1	","tenure":" 2 ","MonthlyCharges":"3 ","Partner":"　Yes"}"#,
            r#"{"customerID":"T2","tenure":2,"MonthlyCharges":3,"InternetService":" DSL
","Partner":" "}"#,
            r#"{"customerID":"T3","tenure":2,"MonthlyCharges":3,"InternetService":"DSL ","Contract":"One year"}"#,
            "",
        ];
        let mut fast_ok = 0;
        for text in rows {
            if reads_alike(schema, &fast, &slow, text) {
                fast_ok += 1;
            }
        }
        assert!(fast_ok >= 8, "most rows above are valid: {fast_ok}");

        // Where a "missing" code reads as a number (the airline survey's
        // "0" = not rated), a JSON number is read as its text: 0 is not
        // rated, 0.0 (text "0.0") is a rating of 0, as the parsed object
        // reads them.
        let airline = crate::Engine::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/airline"))
            .expect("the airline example loads");
        let airline_schema = &airline.schema();
        let airline_keys = ColumnMap {
            json: Some(std::sync::Arc::new(JsonKeys::new(airline_schema))),
            ..ColumnMap::default()
        };
        for text in [
            r#"{"id":1,"Seat comfort":0,"Leg room service":0.0,"Food and drink":"0"}"#,
            r#"{"id":2,"Seat comfort":4,"Leg room service":-0.0,"Food and drink":5e0}"#,
        ] {
            let row = RawRow {
                text: text.to_string(),
                line: 3,
            };
            let (mut a, mut b) = (Customer::default(), Customer::default());
            let got = decode(airline_schema, &airline_keys, "s.jsonl", &row, &mut a);
            let expected = decode(airline_schema, &slow, "s.jsonl", &row, &mut b);
            assert_eq!(got, expected, "{text}");
            assert_eq!(a, b, "{text}");
        }
        let seat = airline_schema.attribute("seat_comfort_rating").unwrap();
        let row = RawRow {
            text: r#"{"id":1,"Seat comfort":0,"Leg room service":0.0}"#.to_string(),
            line: 3,
        };
        let mut customer = Customer::default();
        decode(
            airline_schema,
            &airline_keys,
            "s.jsonl",
            &row,
            &mut customer,
        )
        .unwrap();
        assert_eq!(customer.get(seat), crate::package::customer::Value::Missing);

        // A key the schema reads, given twice, is an error naming it (the
        // parsed object would silently keep the last value).
        for text in [
            r#"{"customerID":"A2","tenure":5,"tenure":7,"MonthlyCharges":1}"#,
            r#"{"customerID":"A2","tenure":5,"MonthlyCharges":1,"tenure":5}"#,
            r#"{"customer\u0049D":"A2","customerID":"A2","tenure":5,"MonthlyCharges":1}"#,
        ] {
            let row = RawRow {
                text: text.to_string(),
                line: 7,
            };
            let error =
                decode(schema, &fast, "c.jsonl", &row, &mut Customer::default()).expect_err(text);
            assert_eq!(error.line, 7);
            assert!(error.message.contains("is in the object twice"), "{error}");
        }
        // Keys the schema does not read may repeat, and a column and an
        // attribute name for one slot are two keys.
        for text in [
            r#"{"customerID":"A2","x":1,"x":2,"tenure":5,"MonthlyCharges":1}"#,
            r#"{"customerID":"A3","tenure_months":9,"tenure":4,"MonthlyCharges":1}"#,
        ] {
            let row = RawRow {
                text: text.to_string(),
                line: 7,
            };
            decode(schema, &fast, "c.jsonl", &row, &mut Customer::default()).expect(text);
        }
    }
}
