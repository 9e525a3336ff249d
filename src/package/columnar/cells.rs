//! Arrow columns read into customer slots: which column fills which slot
//! and whether its type can, checked once; then cell by cell, numbers as
//! numbers and texts as the `&str` in the array, as the CSV reader would
//! read the same value written as text.

use crate::package::customer::{self, Customer, FieldError, Problem, Value};
use crate::package::file_format::{DataError, Place, map_columns};
use crate::package::schema::{Field, FieldKind, Schema, Slot};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
/// Each mapped schema slot's column in the record batches, found and type
/// checked once per file (or per batch given to the library).
#[derive(Debug, Clone, Default)]
pub(crate) struct ArrowColumns {
    pub(super) columns: Vec<MappedColumn>,
}

#[derive(Debug, Clone)]
pub(super) struct MappedColumn {
    pub(super) slot: Slot,
    /// Position in the (projected) record batch.
    pub(super) position: usize,
    /// 1-based position in the file's columns, for errors.
    pub(super) file_column: usize,
    /// The column's name, for the rejects file.
    pub(super) name: String,
    /// Numbers that mean "no value" (the field's `missing_values` that read
    /// as numbers), compared with numeric cells.
    missing_numbers: Vec<f64>,
}

impl ArrowColumns {
    /// Maps the schema's fields to the columns of `arrow`, refusing a
    /// missing required column, a column named twice, and a column whose
    /// type cannot hold its attribute. Also returns the optional fields'
    /// absent columns. `what` names the columns' owner in messages
    /// (`file`, `batch`).
    pub(crate) fn new(
        schema: &Schema,
        arrow: &arrow_schema::Schema,
        file: &str,
        what: &str,
    ) -> Result<(ArrowColumns, Vec<String>), DataError> {
        let names: Vec<String> = arrow.fields().iter().map(|f| f.name().clone()).collect();
        let error = |column: Option<usize>, message: String| DataError {
            file: file.to_string(),
            line: 0,
            column,
            message,
            place: Place::File,
        };
        let (slots, absent) = map_columns(schema, &names, what, &error)?;
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
    pub(super) fn project(&mut self) -> Vec<usize> {
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
pub(super) enum Cell<'a> {
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
pub(super) enum Cells<'a> {
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
    /// The dictionary array itself is kept for its keys' nulls.
    Dictionary {
        array: &'a dyn Array,
        keys: Vec<usize>,
        values_len: usize,
        values: Box<Cells<'a>>,
    },
}

impl<'a> Cells<'a> {
    pub(super) fn new(array: &'a ArrayRef) -> Cells<'a> {
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
            DataType::Dictionary(_, _) => {
                array.as_any_dictionary_opt().map(|d| Cells::Dictionary {
                    array,
                    // Arrow asserts on an empty dictionary (every key
                    // null): no keys then, and every cell is missing.
                    keys: if d.values().is_empty() {
                        Vec::new()
                    } else {
                        d.normalized_keys()
                    },
                    values_len: d.values().len(),
                    values: Box::new(Cells::of(d.values().as_ref())),
                })
            }
            _ => None,
        };
        // Types were checked when the columns were mapped.
        cells.unwrap_or(Cells::Null)
    }

    /// Whether a column of this type has cells to read (not a list, a
    /// struct, a binary or a date).
    pub(super) fn readable(array: &'a ArrayRef) -> bool {
        *array.data_type() == DataType::Null || !matches!(Self::new(array), Cells::Null)
    }

    /// The cell of row `i` (nulls are checked by the caller).
    pub(super) fn get(&self, i: usize) -> Cell<'a> {
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
            Cells::Dictionary {
                array,
                keys,
                values_len,
                values,
            } => match keys.get(i) {
                Some(&k) if k < *values_len && !array.is_null(i) && !values.is_null(k) => {
                    values.get(k)
                }
                _ => Cell::Null,
            },
        }
    }

    pub(super) fn is_null(&self, i: usize) -> bool {
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
            // A null key, or a key to a null value.
            Cells::Dictionary {
                array,
                keys,
                values_len,
                values,
            } => {
                return array.is_null(i)
                    || keys
                        .get(i)
                        .is_none_or(|&k| k >= *values_len || values.is_null(k));
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
pub(super) fn cell_text<'a>(cell: Cell<'a>, buffer: &'a mut String) -> &'a str {
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
pub(super) fn fill(
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
