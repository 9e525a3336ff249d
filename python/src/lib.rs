//! vasrec for Python: the `vasrec` module (pyo3), built with
//! `maturin build --release` in this folder.
//!
//! In: Python calls. Out: the core library's answers as Python values. Only
//! the core's public API is used; the conversions live in `convert`, the
//! diagnostics and `PackageError` in `diagnostics`, the engine's methods in
//! `engine`.

mod arrow_bridge;
mod convert;
mod diagnostics;
mod engine;
mod report;
mod score;

use pyo3::prelude::*;

/// Loads a rule package and evaluates customers: `vasrec.Engine.load(path)`.
#[pymodule]
fn vasrec(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<engine::Engine>()?;
    m.add_class::<diagnostics::Diagnostic>()?;
    m.add_class::<report::Report>()?;
    m.add("PackageError", py.get_type::<diagnostics::PackageError>())?;
    m.add("CustomerError", py.get_type::<engine::CustomerError>())?;
    m.add("EvaluationError", py.get_type::<engine::EvaluationError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
