//! What a package that did not load gives back: every diagnostic and the
//! sources to render them with, printable from `main` as they are.

use crate::base::diagnostic::Diagnostic;
use crate::base::render;
use crate::base::source::SourceMap;
use std::fmt;

/// A package that did not load: every diagnostic, and the files they point into.
///
/// Both `Display` and `Debug` print the diagnostics rendered as the command
/// line shows them (file:line:col, the line with carets, the help), without
/// colour: `fn main() -> Result<(), Box<dyn Error>>` with `Engine::load(dir)?`
/// prints that, never the sources. For colour on a terminal, render them
/// yourself with [`crate::render::render_all`]; `{:#?}` shows the
/// diagnostics as values, for debugging vasrec itself.
///
/// ```
/// let catalog = r#"
/// package: demo
/// services:
///   - { id: welcome_call, name: Welcome call, category: technical_support,
///       stage: after_sale, channel: offline, participation: passive }
/// customer:
///   attributes:
///     - { name: age, type: number }
/// "#;
/// let rules = "segment adults { when agee >= 18 }";
/// let error = vasrec::Engine::from_sources(catalog, &[("a.vas", rules)]).unwrap_err();
/// assert_eq!(error.error_count(), 1);
/// assert_eq!(error.diagnostics[0].code, vasrec::Code::UnknownAttribute);
/// let shown = format!("{error:?}");
/// assert!(shown.contains("a.vas:1:23"), "{shown}");
/// assert!(shown.contains("help: "), "{shown}");
/// ```
#[derive(Clone)]
pub struct LoadError {
    /// The files read.
    pub sources: SourceMap,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Number of errors (warnings not counted).
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render::render_all(&self.diagnostics, &self.sources, false))
    }
}

/// The rendered diagnostics, because `main` returning `Result` prints an
/// error with `Debug`, and a derived one would dump every source file's text
/// and line table (tens of kilobytes for one typo). `{:#?}` keeps the
/// structure: the diagnostics and the names of the files.
impl fmt::Debug for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            let files: Vec<&str> = self
                .sources
                .iter()
                .map(|(_, file)| file.name.as_str())
                .collect();
            return f
                .debug_struct("LoadError")
                .field("files", &files)
                .field("diagnostics", &self.diagnostics)
                .finish();
        }
        let errors = self.error_count();
        let rendered = render::render_all(&self.diagnostics, &self.sources, false);
        // After `Error: ` in main's output: the count first, then each
        // diagnostic from the start of a line.
        let noun = if errors == 1 { "error" } else { "errors" };
        write!(
            f,
            "the package has {errors} {noun}\n\n{}",
            rendered.trim_end()
        )
    }
}

impl std::error::Error for LoadError {}
