//! What an editor asks about a package, answered from texts in memory.
//!
//! In: the package's files as `(name, text)` pairs: the folder's files with
//! the open, unsaved buffers laid over them ([`files`] reads a folder); its
//! test case files (`tests/*.yaml`) may be among them. Out: an [`Analysis`]
//! that answers, in byte offsets: the checker's diagnostics per file, the
//! outline, definitions and references, hovers, completions, renames (in
//! rule files, the catalog and the test cases), quick fixes, and the
//! layout `vasrec fmt` gives a rule file. [`position::LineIndex`] converts to the line and
//! UTF-16 columns editors count in. `vasrec lsp` is a thin transport over
//! this; nothing here knows about JSON-RPC.
//!
//! An analysis is a snapshot: build a new one after an edit. Building it
//! runs the real checker over the whole package (a few milliseconds for the
//! bundled one; `benches/ide.rs` measures it) and parses each rule file once
//! more for the index.
//!
//! ```
//! use vasrec::ide::{Analysis, files};
//!
//! let folder = std::path::Path::new("rules");
//! let mut package = files::read_package(folder);
//! let rules = package["rules.vas"].replacen("for high_value", "for high_valu", 1);
//! package.insert("rules.vas".into(), rules);
//! // The spreadsheets tables read their rows from come from the folder.
//! let analysis = Analysis::in_folder(folder, package, &[]);
//! assert_eq!(analysis.diagnostics().len(), 1);
//! let typo = analysis
//!     .diagnostics()
//!     .iter()
//!     .find(|d| d.code == vasrec::Code::UnknownSegment)
//!     .unwrap();
//! assert_eq!(typo.file, "rules.vas");
//! assert_eq!(typo.fix.as_deref(), Some("high_value"));
//! ```
//
// Unlike the other layers, this folder is itself the public module (its
// name is the one applications use): its parts are private and what they
// offer is re-exported here, by name.

mod check;
mod complete;
mod edit;
pub mod files;
mod hover;
mod names;
mod position;
mod symbols;
mod yaml_names;
mod yaml_scan;

pub use check::FileDiagnostic;
pub use complete::{Completion, CompletionKind};
pub use edit::{QuickFix, RenameError, TextEdit};
pub use names::{Location, SymbolKind};
pub use position::{LineIndex, LinePosition};
pub use symbols::{Occurrence, Symbol};

use crate::base::source::{FileId, SourceFile};
use crate::engine::load::{CATALOG_FILE, MAX_FILE_BYTES};
use crate::package::catalog::{self, Catalog};
use std::ops::Range;
use symbols::Index;

/// A hover: Markdown about the name under the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    /// The name hovered.
    pub range: Range<usize>,
    /// What it is, in Markdown.
    pub markdown: String,
}

/// One snapshot of a package, checked and indexed.
#[derive(Debug)]
pub struct Analysis {
    files: Vec<(String, SourceFile)>,
    /// Each file's line index, in the order of `files`.
    lines: Vec<LineIndex>,
    catalog: Option<Catalog>,
    index: Index,
    diagnostics: Vec<FileDiagnostic>,
}

impl Analysis {
    /// Checks and indexes a package given as `(name, text)` pairs, named
    /// relative to the package folder (`catalog.yaml`, `rules.vas`,
    /// `more/x.vas`, `tests/cases.yaml`). Test case files are not checked,
    /// only read for the names they use.
    ///
    /// Any text is accepted. A file larger than the checker reads from a
    /// folder (8 MiB) is reported and left out, as `vasrec check` leaves it
    /// out; rule files are read under the catalog's `limits` (nesting,
    /// expression length, name and text sizes), as the checker reads them.
    pub fn new<N: Into<String>, T: Into<String>>(
        files: impl IntoIterator<Item = (N, T)>,
    ) -> Analysis {
        Analysis::with_unread(files, &[])
    }

    /// [`Analysis::new`], with the package files that could not be read
    /// from the folder ([`files::read_folder`]) reported as `vasrec check`
    /// reports them; one that is among `files` (an editor's buffer) was
    /// read after all, and is not reported.
    pub fn with_unread<N: Into<String>, T: Into<String>>(
        files: impl IntoIterator<Item = (N, T)>,
        unread: &[files::Unread],
    ) -> Analysis {
        Analysis::build(files, unread, None)
    }

    /// [`Analysis::with_unread`] for the package in the folder `root`: the
    /// spreadsheets its tables read their rows from (`rows "offers.csv"`)
    /// are read from the folder, confined to it as `vasrec check` reads
    /// them, unless one is among `files` (a CSV file open in the editor,
    /// whose unsaved text is checked).
    pub fn in_folder<N: Into<String>, T: Into<String>>(
        root: &std::path::Path,
        files: impl IntoIterator<Item = (N, T)>,
        unread: &[files::Unread],
    ) -> Analysis {
        Analysis::build(files, unread, Some(root))
    }

    fn build<N: Into<String>, T: Into<String>>(
        files: impl IntoIterator<Item = (N, T)>,
        unread: &[files::Unread],
        root: Option<&std::path::Path>,
    ) -> Analysis {
        let mut files: Vec<(String, SourceFile)> = files
            .into_iter()
            .map(|(name, text)| {
                let name = name.into();
                let source = SourceFile::new(name.clone(), None, text);
                (name, source)
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        let (kept, too_big): (Vec<_>, Vec<_>) = files
            .iter()
            .map(|(name, source)| (name.as_str(), source))
            .partition(|(_, source)| source.text.len() as u64 <= MAX_FILE_BYTES);
        let catalog = kept
            .iter()
            .find(|(name, _)| *name == CATALOG_FILE)
            .and_then(|(_, source)| catalog::parse(FileId::default(), source).ok())
            .map(|(catalog, _)| catalog);
        let limits = catalog
            .as_ref()
            .map(|c| c.limits.clone())
            .unwrap_or_default();
        let index = Index::build(&kept, CATALOG_FILE, &limits);
        let mut diagnostics = check::check(&kept, root);
        let unread: Vec<&files::Unread> = unread
            .iter()
            .filter(|u| files.iter().all(|(name, _)| *name != u.name))
            .collect();
        if unread.iter().any(|u| u.name == CATALOG_FILE) {
            // Not "the catalog is empty" too: it was not read.
            diagnostics.retain(|d| d.file != CATALOG_FILE);
        }
        diagnostics.extend(unread.into_iter().map(check::unread));
        diagnostics.extend(too_big.iter().map(|(name, _)| check::too_big(name)));
        diagnostics.sort_by(|a, b| (&a.file, a.range.start).cmp(&(&b.file, b.range.start)));
        let lines = files
            .iter()
            .map(|(_, source)| LineIndex::new(&source.text))
            .collect();
        Analysis {
            files,
            lines,
            catalog,
            index,
            diagnostics,
        }
    }

    /// The names of the files analysed, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(name, _)| name.as_str())
    }

    /// A file's text (without a byte-order mark), as analysed.
    pub fn text(&self, file: &str) -> Option<&str> {
        self.source(file).map(|s| s.text.as_str())
    }

    fn source(&self, file: &str) -> Option<&SourceFile> {
        self.files
            .iter()
            .find(|(name, _)| name == file)
            .map(|(_, source)| source)
    }

    /// A file's line index, to convert its byte offsets to editor positions
    /// and back.
    pub fn line_index(&self, file: &str) -> Option<&LineIndex> {
        let i = self.files.iter().position(|(name, _)| name == file)?;
        self.lines.get(i)
    }

    /// Every diagnostic of the package, sorted by file and position.
    pub fn diagnostics(&self) -> &[FileDiagnostic] {
        &self.diagnostics
    }

    /// The declarations in one file, in text order: its outline.
    pub fn symbols(&self, file: &str) -> Vec<&Symbol> {
        let mut found: Vec<&Symbol> = self
            .index
            .symbols
            .iter()
            .filter(|s| s.location.file == file)
            .collect();
        found.sort_by_key(|s| s.location.range.start);
        found
    }

    /// Where the name at `offset` is declared.
    pub fn definition(&self, file: &str, offset: usize) -> Option<Location> {
        let at = self.index.at(file, offset)?;
        let symbol = self.index.definition(at.kind, &at.name)?;
        Some(symbol.location.clone())
    }

    /// Every place the name at `offset` is written, its declaration only
    /// when asked for.
    pub fn references(&self, file: &str, offset: usize, declaration: bool) -> Vec<Location> {
        let Some(at) = self.index.at(file, offset) else {
            return Vec::new();
        };
        self.index
            .occurrences_of(at.kind, &at.name)
            .into_iter()
            .filter(|o| declaration || !o.definition)
            .map(|o| o.location.clone())
            .collect()
    }

    /// What the name at `offset` is.
    pub fn hover(&self, file: &str, offset: usize) -> Option<Hover> {
        let at = self.index.at(file, offset)?;
        let text_of = |name: &str| self.text(name).map(str::to_owned);
        let markdown = hover::describe(
            at.kind,
            &at.name,
            &self.index,
            self.catalog.as_ref(),
            &text_of,
        )?;
        Some(Hover {
            range: at.location.range.clone(),
            markdown,
        })
    }

    /// What may be written at `offset` in a rule file (none in the catalog
    /// and test case files).
    pub fn completions(&self, file: &str, offset: usize) -> Vec<Completion> {
        if file == CATALOG_FILE || files::is_case_file(file) {
            return Vec::new();
        }
        let Some(text) = self.text(file) else {
            return Vec::new();
        };
        complete::complete(text, offset, &self.index, self.catalog.as_ref())
    }

    /// The edits that rename the name at `offset` everywhere.
    ///
    /// # Errors
    /// A [`RenameError`] when there is no name at `offset`, or `new_name` is
    /// a keyword, not a name, or already taken, or the name is an attribute
    /// or preference read from a column named after it (renaming it would
    /// rename the column customer files must have).
    pub fn rename(
        &self,
        file: &str,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<TextEdit>, RenameError> {
        edit::rename(&self.index, self.catalog.as_ref(), file, offset, new_name)
    }

    /// The edit that lays out a rule file as `vasrec fmt` does: the whole
    /// text replaced, under the catalog's limits. `None` for the catalog
    /// and test case files, a file already in its canonical layout, and a
    /// file with a syntax error (it is never reshaped around a mistake).
    pub fn format(&self, file: &str) -> Option<TextEdit> {
        if file == CATALOG_FILE || files::is_case_file(file) {
            return None;
        }
        let text = self.text(file)?;
        let limits = crate::lang::layout::catalog_limits(self.text(CATALOG_FILE).unwrap_or(""));
        let laid_out = crate::lang::layout::format_file(file, text, &limits).ok()?;
        (laid_out != text).then(|| TextEdit {
            location: Location {
                file: file.to_string(),
                range: 0..text.len(),
            },
            new_text: laid_out,
        })
    }

    /// The fixes offered for the diagnostics of `file` that touch `range`.
    pub fn quick_fixes(&self, file: &str, range: Range<usize>) -> Vec<QuickFix> {
        edit::quick_fixes(&self.diagnostics, file, &range)
    }
}

#[cfg(test)]
mod tests;
