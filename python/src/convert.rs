//! Python values to JSON values and back: the customers the engine reads
//! (`Engine::customer_from_json`) and the records, explanations and
//! reports it writes (serde values) cross the boundary this way.
//!
//! In: a dict of str, int, float, bool, None (and anything with
//! `__index__` or `__float__`, such as numpy scalars). Out: JSON text read
//! back as dicts, lists and scalars.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deepest nesting read from Python, far beyond any customer: a
/// self-referencing list must not overflow the stack.
const MAX_DEPTH: usize = 64;

/// A customer dict (keys: input columns or attribute names) as a JSON object.
pub(crate) fn customer(object: &Bound<'_, PyAny>) -> PyResult<Value> {
    let dict = object.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "a customer is a dict of column or attribute names to values, not {}",
            type_name(object)
        ))
    })?;
    to_json(dict.as_any(), "", 0)
}

/// Any Python value as JSON; `path` names where it sits, for errors.
pub(crate) fn to_json(value: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyTypeError::new_err(format!(
            "`{path}` is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is an int.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if value.cast::<PyInt>().is_ok() {
        return integer(value, path);
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(float(f.value()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = Map::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "keys are column or attribute names (str), not {}",
                    type_name(&key)
                ))
            })?;
            let inner = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            object.insert(key, to_json(&item, &inner, depth + 1)?);
        }
        return Ok(Value::Object(object));
    }
    if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
        let mut items = Vec::new();
        for (i, item) in value.try_iter()?.enumerate() {
            items.push(to_json(&item?, &format!("{path}[{i}]"), depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    // numpy and pandas scalars (int64, float32, ...), Decimal, Fraction.
    if value.hasattr("__index__")? {
        return integer(value, path);
    }
    if value.hasattr("__float__")? {
        let f: f64 = value.call_method0("__float__")?.extract()?;
        return Ok(float(f));
    }
    Err(PyTypeError::new_err(format!(
        "`{path}`: cannot read a value of type {} (give a str, int, float, bool or None)",
        type_name(value)
    )))
}

fn integer(value: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if let Ok(i) = value.extract::<i64>() {
        return Ok(Value::Number(i.into()));
    }
    if let Ok(u) = value.extract::<u64>() {
        return Ok(Value::Number(u.into()));
    }
    // Beyond 64 bits: as text, which the engine reads as a number or an id.
    let text = value.str()?.to_cow()?.into_owned();
    if text.is_empty() {
        return Err(PyTypeError::new_err(format!("`{path}`: an empty integer")));
    }
    Ok(Value::String(text))
}

/// A float as JSON; NaN (pandas' missing value) is a missing value.
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_string(), |n| n.to_string())
}

/// JSON text as Python objects, read by Python's own `json.loads`: keys
/// keep the order vasrec writes them in, and every number reads back as it
/// does from `vasrec score`'s output.
pub(crate) fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.getattr("loads")?.call1((text,))
}
