//! Arrow data across the boundary without copying: the Arrow C data
//! interface, through the Arrow PyCapsule protocol (`__arrow_c_stream__`,
//! `__arrow_c_array__`) that pyarrow (14 and later), polars, DuckDB and
//! nanoarrow speak, and pyarrow's older `_export_to_c`.
//!
//! In: any such Python object (a `pyarrow.Table`, `RecordBatch`,
//! `RecordBatchReader`). Out: arrow-rs `RecordBatch`es whose buffers are the
//! producer's own memory, and back: record batches handed to pyarrow as a
//! capsule pyarrow imports.
//!
//! arrow-rs's own FFI (`arrow_array::ffi`, `ffi_stream`) is used rather than
//! its `pyarrow` feature: that one pins a pyo3 (0.29 for arrow 60) other than
//! this crate's, and only reads pyarrow objects, where the capsule protocol
//! reads every Arrow library's. This is the one module with `unsafe` code:
//! each block moves a C struct out of a capsule as the protocol says.

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyTuple};
use std::ffi::CStr;

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// What a Python object held, read as record batches.
pub(crate) struct Imported {
    pub(crate) batches: Vec<RecordBatch>,
    pub(crate) schema: arrow_schema::SchemaRef,
    /// One batch given (a `RecordBatch`), so one batch goes back.
    pub(crate) single: bool,
}

/// Whether an object exports Arrow data (rather than being rows of dicts).
pub(crate) fn is_arrow(data: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(data.hasattr("__arrow_c_stream__")?
        || data.hasattr("__arrow_c_array__")?
        || data.hasattr("_export_to_c")?)
}

/// The batches as an Arrow IPC stream in memory: the input the command
/// line's columnar reader takes (with its type checks and messages).
pub(crate) fn ipc_stream(imported: &Imported) -> PyResult<Vec<u8>> {
    let failed = |e: arrow_schema::ArrowError| {
        PyValueError::new_err(format!("cannot pass the Arrow data on: {e}"))
    };
    let mut writer =
        arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &imported.schema).map_err(failed)?;
    for batch in &imported.batches {
        writer.write(batch).map_err(failed)?;
    }
    writer.into_inner().map_err(failed)
}

/// Score records with `line` counted from the start of the whole input
/// rather than of their batch.
pub(crate) fn shift_lines(batch: RecordBatch, before: u64) -> Result<RecordBatch, String> {
    if before == 0 {
        return Ok(batch);
    }
    let index = batch.schema().index_of("line").map_err(|e| e.to_string())?;
    let lines = batch
        .column(index)
        .as_any()
        .downcast_ref::<arrow_array::UInt64Array>()
        .ok_or("the score records' `line` is not UInt64")?;
    let shifted: arrow_array::UInt64Array = lines.iter().map(|l| l.map(|l| l + before)).collect();
    let mut columns = batch.columns().to_vec();
    columns[index] = std::sync::Arc::new(shifted);
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| e.to_string())
}

/// Reads record batches from any object that exports Arrow data.
pub(crate) fn import(data: &Bound<'_, PyAny>) -> PyResult<Imported> {
    let single = data.hasattr("__arrow_c_array__")?;
    if single {
        let pair = data.call_method0("__arrow_c_array__")?;
        let pair = pair.cast::<PyTuple>().map_err(|_| {
            PyTypeError::new_err("__arrow_c_array__ did not return a (schema, array) pair")
        })?;
        let schema = capsule(&pair.get_item(0)?, SCHEMA)?;
        let array = capsule(&pair.get_item(1)?, ARRAY)?;
        // SAFETY: the capsules are named as the protocol says, so they hold
        // an ArrowSchema and an ArrowArray. The schema stays the capsule's
        // (borrowed); the array is moved out (its release set to null in the
        // capsule), as the protocol lets a consumer do.
        let data = unsafe {
            let schema =
                &*(schema.pointer_checked(Some(SCHEMA))?.as_ptr() as *const FFI_ArrowSchema);
            let array =
                FFI_ArrowArray::from_raw(array.pointer_checked(Some(ARRAY))?.as_ptr() as *mut _);
            from_ffi(array, schema)
        };
        let data =
            data.map_err(|e| PyValueError::new_err(format!("cannot read the Arrow data: {e}")))?;
        return one_batch(StructArray::from(data), true);
    }
    if data.hasattr("__arrow_c_stream__")? {
        let stream = data.call_method0("__arrow_c_stream__")?;
        let stream = capsule(&stream, STREAM)?;
        // SAFETY: a capsule named `arrow_array_stream` holds an
        // ArrowArrayStream; `from_raw` moves it out and marks the capsule's
        // copy released, so the capsule's destructor does not release it again.
        let reader = unsafe {
            RecordBatchStreamReader::from_raw(
                stream.pointer_checked(Some(STREAM))?.as_ptr() as *mut FFI_ArrowArrayStream
            )
        };
        let reader = reader
            .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow stream: {e}")))?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow stream: {e}")))?;
        return Ok(Imported {
            batches,
            schema,
            single: false,
        });
    }
    if data.hasattr("_export_to_c")? {
        // pyarrow before 14: it writes into structs we own.
        let mut array = FFI_ArrowArray::empty();
        let mut schema = FFI_ArrowSchema::empty();
        data.call_method1(
            "_export_to_c",
            (&raw mut array as usize, &raw mut schema as usize),
        )?;
        // SAFETY: pyarrow filled both structs; `from_ffi` takes the array.
        let data = unsafe { from_ffi(array, &schema) }
            .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow data: {e}")))?;
        return one_batch(StructArray::from(data), true);
    }
    Err(PyTypeError::new_err(format!(
        "expected Arrow data (a pyarrow.Table or RecordBatch, or any object with \
         __arrow_c_stream__ or __arrow_c_array__), not {}",
        data.get_type().name()?
    )))
}

fn capsule<'py>(object: &Bound<'py, PyAny>, name: &CStr) -> PyResult<Bound<'py, PyCapsule>> {
    let capsule = object
        .cast::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err(format!("expected a PyCapsule named {name:?}")))?;
    if !capsule.is_valid_checked(Some(name)) {
        return Err(PyTypeError::new_err(format!(
            "expected a PyCapsule named {name:?}"
        )));
    }
    Ok(capsule.clone())
}

fn one_batch(array: StructArray, single: bool) -> PyResult<Imported> {
    if array.null_count() > 0 {
        return Err(PyValueError::new_err(
            "the Arrow data is a struct array with null rows, not a table's rows",
        ));
    }
    let batch = RecordBatch::from(array);
    Ok(Imported {
        schema: batch.schema(),
        batches: vec![batch],
        single,
    })
}

/// Hands record batches to pyarrow: a `pyarrow.RecordBatch` for one batch
/// given, else a `pyarrow.Table`; the buffers move, they are not copied.
pub(crate) fn export<'py>(
    py: Python<'py>,
    schema: arrow_schema::SchemaRef,
    batches: Vec<RecordBatch>,
    single: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let pyarrow = py.import("pyarrow")?;
    if single {
        let batch = arrow_select::concat::concat_batches(&schema, &batches)
            .map_err(|e| PyValueError::new_err(format!("cannot join the record batches: {e}")))?;
        let (array, schema) = to_ffi(&StructArray::from(batch).into_data())
            .map_err(|e| PyValueError::new_err(format!("cannot export the Arrow data: {e}")))?;
        let schema = PyCapsule::new_with_value(py, schema, SCHEMA)?;
        let array = PyCapsule::new_with_value(py, array, ARRAY)?;
        return pyarrow
            .getattr("RecordBatch")?
            .call_method1("_import_from_c_capsule", (schema, array));
    }
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    let capsule = PyCapsule::new_with_value(py, stream, STREAM)?;
    pyarrow
        .getattr("RecordBatchReader")?
        .call_method1("_import_from_c_capsule", (capsule,))?
        .call_method0("read_all")
}
