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

use crate::package::customer::{self, Customer, FieldError, Problem, Value};
use crate::package::file_format::{
    CHUNK_ROWS, Columnar, DataError, InputFormat, Place, map_columns,
};
use crate::package::schema::{Field, FieldKind, Schema, Slot};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// Each mapped schema slot's column in the record batches, found and type
/// checked once per file (or per batch given to the library).
#[derive(Debug, Clone)]
pub(crate) struct ArrowColumns {
    columns: Vec<MappedColumn>,
}

#[derive(Debug, Clone)]
struct MappedColumn {
    slot: Slot,
    /// Position in the (projected) record batch.
    position: usize,
    /// 1-based position in the file's columns, for errors.
    file_column: usize,
    /// The column's name, for the rejects file.
    name: String,
    /// Numbers that mean "no value" (the field's `missing_values` that read
    /// as numbers), compared with numeric cells.
    missing_numbers: Vec<f64>,
}

impl ArrowColumns {
    /// Maps the schema's fields to the columns of `arrow`, refusing a
    /// missing required column, a column named twice, and a column whose
    /// type cannot hold its attribute. Also returns the optional fields'
    /// absent columns.
    pub(crate) fn new(
        schema: &Schema,
        arrow: &arrow_schema::Schema,
        file: &str,
    ) -> Result<(ArrowColumns, Vec<String>), DataError> {
        let names: Vec<String> = arrow.fields().iter().map(|f| f.name().clone()).collect();
        let error = |column: Option<usize>, message: String| DataError {
            file: file.to_string(),
            line: 0,
            column,
            message,
            place: Place::File,
        };
        let (slots, absent) = map_columns(schema, &names, "file", &error)?;
        let mut columns = Vec::with_capacity(slots.len());
        for (slot, index) in slots {
            let (Some(field), Some(arrow_field)) = (schema.field(slot), arrow.fields().get(index))
            else {
                continue;
            };
            if !accepts(&field.kind, arrow_field.data_type()) {
                return Err(error(
                    Some(index + 1),
                    type_message(field, arrow_field.name(), arrow_field.data_type()),
                ));
            }
            columns.push(MappedColumn {
                slot,
                position: index,
                file_column: index + 1,
                name: arrow_field.name().clone(),
                missing_numbers: field
                    .missing
                    .iter()
                    .filter_map(|m| m.parse::<f64>().ok())
                    .collect(),
            });
        }
        Ok((ArrowColumns { columns }, absent))
    }

    /// The file's column indices to read, in order; positions in the
    /// projected batches are renumbered to match.
    fn project(&mut self) -> Vec<usize> {
        let mut indices: Vec<usize> = self.columns.iter().map(|c| c.position).collect();
        indices.sort_unstable();
        indices.dedup();
        for column in &mut self.columns {
            column.position = indices.partition_point(|&i| i < column.position);
        }
        indices
    }
}

/// What the attribute is, in the words of a type error.
fn kind_words(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Number => "a number",
        FieldKind::Preference => "a preference weight (a number from 0 to 1)",
        FieldKind::Bool { .. } => "yes or no",
        FieldKind::Text => "a text",
        FieldKind::Category { .. } => "one of its category's values",
    }
}

fn type_message(field: &Field, column: &str, data_type: &DataType) -> String {
    let at = if column == field.name {
        format!("`{column}`")
    } else {
        format!("`{column}` (attribute `{}`)", field.name)
    };
    format!(
        "{at}: the column is stored as Arrow type {data_type}, which cannot be read as {}; store it as {} or text",
        kind_words(&field.kind),
        match field.kind {
            FieldKind::Number | FieldKind::Preference => "numbers",
            FieldKind::Bool { .. } => "booleans",
            FieldKind::Text | FieldKind::Category { .. } => "texts",
        }
    )
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

fn is_integer(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// Whether a column of `data_type` can hold an attribute of `kind` (values
/// that do not read are then errors of their row).
fn accepts(kind: &FieldKind, data_type: &DataType) -> bool {
    if *data_type == DataType::Null || is_text(data_type) || is_integer(data_type) {
        return true;
    }
    let float = matches!(
        data_type,
        DataType::Float32 | DataType::Float64 | DataType::Decimal128(_, _)
    );
    match kind {
        FieldKind::Number | FieldKind::Preference => float,
        FieldKind::Bool { .. } | FieldKind::Text | FieldKind::Category { .. } => {
            float || *data_type == DataType::Boolean
        }
    }
}

/// One cell, as the array holds it.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Float32(f32),
    Decimal(i128, i8),
    Text(&'a str),
}

/// A column of one batch, downcast once.
enum Cells<'a> {
    Null,
    Bool(&'a arrow_array::BooleanArray),
    I8(&'a arrow_array::PrimitiveArray<Int8Type>),
    I16(&'a arrow_array::PrimitiveArray<Int16Type>),
    I32(&'a arrow_array::PrimitiveArray<Int32Type>),
    I64(&'a arrow_array::PrimitiveArray<Int64Type>),
    U8(&'a arrow_array::PrimitiveArray<UInt8Type>),
    U16(&'a arrow_array::PrimitiveArray<UInt16Type>),
    U32(&'a arrow_array::PrimitiveArray<UInt32Type>),
    U64(&'a arrow_array::PrimitiveArray<UInt64Type>),
    F32(&'a arrow_array::PrimitiveArray<Float32Type>),
    F64(&'a arrow_array::PrimitiveArray<Float64Type>),
    Decimal(&'a arrow_array::PrimitiveArray<Decimal128Type>, i8),
    Str(&'a arrow_array::StringArray),
    LargeStr(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    /// A dictionary: each row's index into the values, and the values.
    Dictionary(Vec<usize>, Box<Cells<'a>>),
}

impl<'a> Cells<'a> {
    fn new(array: &'a ArrayRef) -> Cells<'a> {
        Self::of(array.as_ref())
    }

    fn of(array: &'a dyn Array) -> Cells<'a> {
        let cells = match array.data_type() {
            DataType::Boolean => array.as_boolean_opt().map(Cells::Bool),
            DataType::Int8 => array.as_primitive_opt().map(Cells::I8),
            DataType::Int16 => array.as_primitive_opt().map(Cells::I16),
            DataType::Int32 => array.as_primitive_opt().map(Cells::I32),
            DataType::Int64 => array.as_primitive_opt().map(Cells::I64),
            DataType::UInt8 => array.as_primitive_opt().map(Cells::U8),
            DataType::UInt16 => array.as_primitive_opt().map(Cells::U16),
            DataType::UInt32 => array.as_primitive_opt().map(Cells::U32),
            DataType::UInt64 => array.as_primitive_opt().map(Cells::U64),
            DataType::Float32 => array.as_primitive_opt().map(Cells::F32),
            DataType::Float64 => array.as_primitive_opt().map(Cells::F64),
            DataType::Decimal128(_, scale) => {
                array.as_primitive_opt().map(|a| Cells::Decimal(a, *scale))
            }
            DataType::Utf8 => array.as_string_opt().map(Cells::Str),
            DataType::LargeUtf8 => array.as_string_opt().map(Cells::LargeStr),
            DataType::Utf8View => array.as_string_view_opt().map(Cells::View),
            DataType::Dictionary(_, _) => array.as_any_dictionary_opt().map(|d| {
                Cells::Dictionary(
                    d.normalized_keys(),
                    Box::new(Cells::of(d.values().as_ref())),
                )
            }),
            _ => None,
        };
        // Types were checked when the columns were mapped.
        cells.unwrap_or(Cells::Null)
    }

    /// The cell of row `i` (nulls are checked by the caller).
    fn get(&self, i: usize) -> Cell<'a> {
        match self {
            Cells::Null => Cell::Null,
            Cells::Bool(a) => Cell::Bool(a.value(i)),
            Cells::I8(a) => Cell::Int(i64::from(a.value(i))),
            Cells::I16(a) => Cell::Int(i64::from(a.value(i))),
            Cells::I32(a) => Cell::Int(i64::from(a.value(i))),
            Cells::I64(a) => Cell::Int(a.value(i)),
            Cells::U8(a) => Cell::UInt(u64::from(a.value(i))),
            Cells::U16(a) => Cell::UInt(u64::from(a.value(i))),
            Cells::U32(a) => Cell::UInt(u64::from(a.value(i))),
            Cells::U64(a) => Cell::UInt(a.value(i)),
            Cells::F32(a) => Cell::Float32(a.value(i)),
            Cells::F64(a) => Cell::Float(a.value(i)),
            Cells::Decimal(a, scale) => Cell::Decimal(a.value(i), *scale),
            Cells::Str(a) => Cell::Text(a.value(i)),
            Cells::LargeStr(a) => Cell::Text(a.value(i)),
            Cells::View(a) => Cell::Text(a.value(i)),
            Cells::Dictionary(keys, values) => match keys.get(i) {
                Some(&k) if !values.is_null(k) => values.get(k),
                _ => Cell::Null,
            },
        }
    }

    fn is_null(&self, i: usize) -> bool {
        let array: &dyn Array = match self {
            Cells::Null => return true,
            Cells::Bool(a) => *a,
            Cells::I8(a) => *a,
            Cells::I16(a) => *a,
            Cells::I32(a) => *a,
            Cells::I64(a) => *a,
            Cells::U8(a) => *a,
            Cells::U16(a) => *a,
            Cells::U32(a) => *a,
            Cells::U64(a) => *a,
            Cells::F32(a) => *a,
            Cells::F64(a) => *a,
            Cells::Decimal(a, _) => *a,
            Cells::Str(a) => *a,
            Cells::LargeStr(a) => *a,
            Cells::View(a) => *a,
            // Key nulls are checked on the dictionary array itself.
            Cells::Dictionary(keys, values) => {
                return keys.get(i).is_none_or(|&k| values.is_null(k));
            }
        };
        array.is_null(i)
    }
}

/// Powers of ten that are exact in an f64.
const EXACT_TENS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A decimal's value as the nearest f64, which is what parsing its text
/// gives: a quotient of two exact f64s is rounded once, correctly.
fn decimal(value: i128, scale: i8) -> f64 {
    let exact = value.unsigned_abs() < (1u128 << 53);
    match usize::try_from(scale).ok().and_then(|s| EXACT_TENS.get(s)) {
        Some(ten) if exact => value as f64 / ten,
        _ => format!("{value}e{}", -i32::from(scale))
            .parse()
            .unwrap_or(f64::NAN),
    }
}

/// A cell as the text a CSV export of the column holds, for attributes read
/// through their texts (yes/no tokens, categories, texts).
fn cell_text<'a>(cell: Cell<'a>, buffer: &'a mut String) -> &'a str {
    use std::fmt::Write as _;
    buffer.clear();
    let _ = match cell {
        Cell::Null => Ok(()),
        Cell::Bool(b) => buffer.write_str(if b { "true" } else { "false" }),
        Cell::Int(v) => write!(buffer, "{v}"),
        Cell::UInt(v) => write!(buffer, "{v}"),
        Cell::Float(v) => buffer.write_str(&crate::base::number::shortest(v)),
        Cell::Float32(v) => write!(buffer, "{v}"),
        Cell::Decimal(v, s) => buffer.write_str(&crate::base::number::shortest(decimal(v, s))),
        Cell::Text(t) => return t,
    };
    buffer
}

/// Reads one cell into its slot, as the CSV reader reads the same value
/// written as text.
fn fill(
    schema: &Schema,
    column: &MappedColumn,
    cell: Cell<'_>,
    customer: &mut Customer,
    buffer: &mut String,
) -> Result<(), FieldError> {
    let Some(field) = schema.field(column.slot) else {
        return Ok(());
    };
    let number = match (&field.kind, cell) {
        (_, Cell::Null) => {
            customer.set(column.slot, Value::Missing);
            return Ok(());
        }
        (FieldKind::Bool { .. }, Cell::Bool(b)) => {
            customer.set(column.slot, Value::Bool(b));
            return Ok(());
        }
        (FieldKind::Number | FieldKind::Preference, Cell::Int(v)) => v as f64,
        (FieldKind::Number | FieldKind::Preference, Cell::UInt(v)) => v as f64,
        (FieldKind::Number | FieldKind::Preference, Cell::Float(v)) => v,
        // A float32 holds the binary number nearest the decimal that was
        // stored (70.35 is 70.34999847...); its shortest text is that decimal.
        (FieldKind::Number | FieldKind::Preference, Cell::Float32(v)) => {
            v.to_string().parse().unwrap_or(f64::NAN)
        }
        (FieldKind::Number | FieldKind::Preference, Cell::Decimal(v, s)) => decimal(v, s),
        (_, cell) => {
            let text = cell_text(cell, buffer);
            return customer::parse_text(schema, customer, column.slot, text);
        }
    };
    if column.missing_numbers.contains(&number) {
        customer.set(column.slot, Value::Missing);
        return Ok(());
    }
    let error = |problem| FieldError {
        field: field.name.clone(),
        column: field.column.clone(),
        problem,
    };
    if !number.is_finite() {
        return Err(error(Problem::NotANumber(
            cell_text(cell, buffer).to_string(),
        )));
    }
    if matches!(field.kind, FieldKind::Preference) && !(0.0..=1.0).contains(&number) {
        return Err(error(Problem::PreferenceOutOfRange(number)));
    }
    customer.set(column.slot, Value::Number(number));
    Ok(())
}

/// Which part of the file rows come from: Parquet row groups, or Arrow
/// record batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
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
            kind: PartKind::RecordBatch,
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
                let (mut columns, absent) = ArrowColumns::new(schema, builder.schema(), name)?;
                let mut parts = VecDeque::new();
                let mut start = 0u64;
                for (i, group) in builder.metadata().row_groups().iter().enumerate() {
                    parts.push_back((i, start));
                    start += u64::try_from(group.num_rows()).unwrap_or(0);
                }
                let mask = ProjectionMask::roots(builder.parquet_schema(), columns.project());
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
                let (columns, absent) = ArrowColumns::new(schema, &file_schema, name)?;
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
                Some(Err(e)) => return Err(self.read_error(&e)),
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
            PartKind::RecordBatch => format!("record batch {}", self.batches_read),
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
