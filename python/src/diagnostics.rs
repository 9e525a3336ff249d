//! Diagnostics as Python objects, and `PackageError`, the exception a
//! package that does not load raises.
//!
//! In: the core's diagnostics and the sources they point into. Out:
//! `vasrec.Diagnostic` values (code, severity, file, line, column, message,
//! help, and the rendered text) and the exception carrying them.

use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::Value;
use vasrec::source::SourceMap;

pyo3::create_exception!(
    vasrec,
    PackageError,
    pyo3::exceptions::PyException,
    "A rule package that does not load. `str(error)` is every diagnostic \
     rendered as `vasrec check` prints it; `error.diagnostics` holds them as \
     `vasrec.Diagnostic` objects."
);

/// One finding about a rule package: an error or a warning, where it is, and
/// what to do about it.
#[pyclass(frozen, module = "vasrec", get_all)]
pub(crate) struct Diagnostic {
    /// Stable code tools match on, e.g. `UNKNOWN_ATTRIBUTE`.
    code: String,
    /// `"error"` or `"warning"`.
    severity: String,
    /// File it points into (relative to the package), or None.
    file: Option<String>,
    /// 1-based line, or None when it points at no position.
    line: Option<usize>,
    /// 1-based column (in characters), or None.
    column: Option<usize>,
    /// What is wrong.
    message: String,
    /// What to do about it, when vasrec knows.
    help: Option<String>,
    /// Further notes.
    notes: Vec<String>,
    /// As `vasrec check` prints it: file:line:col, the line with carets, the help.
    rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        let place = match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(file), _, _) => file.clone(),
            _ => "(no file)".to_string(),
        };
        format!(
            "<Diagnostic {} {} at {place}: {}>",
            self.severity, self.code, self.message
        )
    }

    fn __str__(&self) -> String {
        self.rendered.clone()
    }

    /// The diagnostic as a dict, the shape of one item of `vasrec check --format json`
    /// (without its secondary labels).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::json!({
            "code": self.code, "severity": self.severity, "file": self.file,
            "line": self.line, "column": self.column, "message": self.message,
            "help": self.help, "notes": self.notes,
        });
        crate::convert::loads(py, &value.to_string())
    }
}

/// The diagnostics as Python objects, in the core's order (file, position).
pub(crate) fn to_objects(
    diagnostics: &[vasrec::Diagnostic],
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let resolved = vasrec::render::to_json(diagnostics, sources);
    diagnostics
        .iter()
        .zip(resolved)
        .map(|(diagnostic, json)| {
            let json = serde_json::to_value(json).unwrap_or(Value::Null);
            let text = |key: &str| json[key].as_str().map(str::to_string);
            let number = |key: &str| json[key].as_u64().map(|n| n as usize);
            Diagnostic {
                code: text("code").unwrap_or_default(),
                severity: text("severity").unwrap_or_default(),
                file: text("file"),
                line: number("line"),
                column: number("column"),
                message: diagnostic.message.clone(),
                help: diagnostic.help.clone(),
                notes: diagnostic.notes.clone(),
                rendered: vasrec::render::render(diagnostic, sources, false),
            }
        })
        .collect()
}

/// `PackageError` for a package that did not load, with its rendered text
/// and its diagnostics attached.
pub(crate) fn package_error(py: Python<'_>, error: &vasrec::LoadError) -> PyErr {
    let text = error.to_string();
    let err = PackageError::new_err(text.trim_end().to_string());
    let attach = || -> PyResult<()> {
        let objects = to_objects(&error.diagnostics, &error.sources);
        let list = PyList::empty(py);
        for diagnostic in objects {
            list.append(Bound::new(py, diagnostic)?)?;
        }
        let value = err.value(py);
        value.setattr("diagnostics", list)?;
        value.setattr("rendered", text.as_str())?;
        Ok(())
    };
    match attach() {
        Ok(()) => err,
        Err(other) => other,
    }
}
