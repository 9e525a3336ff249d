//! What a name names and where it is written: the small types every part
//! of the analysis shares.
//!
//! In: nothing. Out: [`SymbolKind`] and [`Location`], used by the catalog
//! scanner, the index, the checker's diagnostics and the edits.

use std::ops::Range;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    /// A segment (`segment x`), in a rule file.
    Segment,
    /// A preference profile (`profile x`), in a rule file.
    Profile,
    /// A rule (`rule x`), in a rule file.
    Rule,
    /// A service of the catalog.
    Service,
    /// A customer attribute of the catalog.
    Attribute,
    /// A preference of the catalog (`pref.x` in rules).
    Preference,
    /// A dimension of the satisfaction model.
    Dimension,
}

impl SymbolKind {
    /// The word for it, as messages and hovers say it.
    pub fn word(self) -> &'static str {
        match self {
            SymbolKind::Segment => "segment",
            SymbolKind::Profile => "profile",
            SymbolKind::Rule => "rule",
            SymbolKind::Service => "service",
            SymbolKind::Attribute => "attribute",
            SymbolKind::Preference => "preference",
            SymbolKind::Dimension => "dimension",
        }
    }
}

/// A byte range in one file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file's name in the package (`rules.vas`, `catalog.yaml`).
    pub file: String,
    /// Bytes.
    pub range: Range<usize>,
}
