//! Edits an editor applies for the user: renames and quick fixes.
//!
//! In: the index (or the diagnostics) and what the user asked. Out: text
//! edits by file and byte range. A rename changes the declaration and every
//! use, in rule files, the catalog and the test cases; it refuses words of
//! the language, names that are not names, a name already taken, and an
//! attribute or preference whose input column is its name (the customer
//! files would no longer match). A quick fix puts the
//! name a "did you mean" help suggests in place of the misspelt one.

use crate::base::diagnostic::Code;
use crate::ide::check::FileDiagnostic;
use crate::ide::names::{Location, SymbolKind};
use crate::ide::symbols::Index;
use crate::package::catalog::Catalog;
use std::fmt;
use std::ops::Range;

/// Replace the text at a location with new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    /// Where.
    pub location: Location,
    /// The new text.
    pub new_text: String,
}

/// A fix for one diagnostic, offered as a code action.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickFix {
    /// What the editor shows: "Change to `high_value`".
    pub title: String,
    /// The diagnostic's code.
    pub code: Code,
    /// The edit that fixes it.
    pub edit: TextEdit,
}

/// Why a rename was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// The cursor is on nothing that can be renamed (a keyword, a number).
    NothingToRename,
    /// The name is declared nowhere in the package (a misspelt use, or a
    /// word of a script that is not an attribute): there is nothing to
    /// rename it with.
    Undeclared(String),
    /// The new name is a word of the language, such as `when`.
    Keyword(String),
    /// The new name is not a name: empty, starting with a digit, with spaces.
    InvalidName(String),
    /// Something of the same kind already has that name.
    Taken(String),
    /// An attribute or preference read from the input column its name
    /// gives (the catalog has no `column:` for it): renaming it would
    /// change the column every customer file must have.
    ColumnFollowsName {
        /// What is renamed (`preference `price``).
        what: String,
        /// The column it is read from now (`pref_price`).
        column: String,
    },
}

impl fmt::Display for RenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameError::NothingToRename => f.write_str(
                "there is nothing to rename here: put the cursor on the name of a \
                 segment, profile, rule, service, attribute or preference",
            ),
            RenameError::Undeclared(name) => write!(
                f,
                "`{name}` is declared nowhere in the package, so it cannot be renamed; \
                 correct it instead"
            ),
            RenameError::Keyword(name) => {
                write!(
                    f,
                    "`{name}` is a word of the rule language; choose another name"
                )
            }
            RenameError::InvalidName(name) => write!(
                f,
                "`{name}` is not a name: use letters, digits and `_`, starting with a letter or \
                 `_` (a segment, profile, rule or service may also start with digits and then a \
                 letter or `_`)"
            ),
            RenameError::Taken(name) => write!(f, "`{name}` is already taken"),
            RenameError::ColumnFollowsName { what, column } => write!(
                f,
                "{what} is read from the input column `{column}`, named after it: renaming it \
                 would change the column every customer file must have. Add `column: {column}` \
                 to it in catalog.yaml first, then rename"
            ),
        }
    }
}

impl std::error::Error for RenameError {}

/// The words of the rule language (grammar/vas.pest's `keyword`), which
/// cannot be names.
const KEYWORDS: [&str; 18] = [
    "segment", "profile", "rule", "under", "for", "when", "offer", "suppress", "gain", "priority",
    "because", "and", "or", "not", "in", "true", "false", "pref",
];

/// Whether `name` can be the name of a `kind`: a letter or `_`, then
/// letters, digits and `_`; segments, profiles, rules and services may also
/// start with digits followed by a letter or `_` (`24h_reply`), as
/// grammar/vas.pest says; the catalog's own names may not.
fn valid_name(name: &str, kind: SymbolKind) -> bool {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let may_lead_with_digits = matches!(
        kind,
        SymbolKind::Segment | SymbolKind::Profile | SymbolKind::Rule | SymbolKind::Service
    );
    let mut chars = name[digits..].chars();
    (digits == 0 || may_lead_with_digits)
        && chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The edits renaming what is at `offset` in `file` to `new_name`.
pub(crate) fn rename(
    index: &Index,
    catalog: Option<&Catalog>,
    file: &str,
    offset: usize,
    new_name: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    let at = index.at(file, offset).ok_or(RenameError::NothingToRename)?;
    if index.definition(at.kind, &at.name).is_none() {
        return Err(RenameError::Undeclared(at.name.clone()));
    }
    if let Some(column) = implicit_column(catalog, at.kind, &at.name) {
        return Err(RenameError::ColumnFollowsName {
            what: format!("{} `{}`", at.kind.word(), at.name),
            column,
        });
    }
    if KEYWORDS.contains(&new_name) || new_name == "script" {
        return Err(RenameError::Keyword(new_name.to_string()));
    }
    if !valid_name(new_name, at.kind) {
        return Err(RenameError::InvalidName(new_name.to_string()));
    }
    if new_name != at.name && index.definition(at.kind, new_name).is_some() {
        return Err(RenameError::Taken(format!(
            "{} `{new_name}`",
            at.kind.word()
        )));
    }
    let mut edits: Vec<TextEdit> = index
        .occurrences_of(at.kind, &at.name)
        .into_iter()
        .map(|o| TextEdit {
            location: o.location.clone(),
            new_text: new_name.to_string(),
        })
        .collect();
    edits.sort_by(|a, b| {
        (&a.location.file, a.location.range.start).cmp(&(&b.location.file, b.location.range.start))
    });
    edits.dedup();
    Ok(edits)
}

/// The input column of an attribute or preference whose column is its
/// name (no `column:` in the catalog).
fn implicit_column(catalog: Option<&Catalog>, kind: SymbolKind, name: &str) -> Option<String> {
    let customer = &catalog?.customer;
    match kind {
        SymbolKind::Attribute => customer
            .attributes
            .iter()
            .find(|a| a.name == name && a.column.is_none())
            .map(|a| a.column().to_string()),
        SymbolKind::Preference => customer
            .preferences
            .iter()
            .find(|p| p.name == name && p.column.is_none())
            .map(|p| p.column()),
        _ => None,
    }
}

/// The quick fixes of the diagnostics in `file` that touch `range`.
pub(crate) fn quick_fixes(
    diagnostics: &[FileDiagnostic],
    file: &str,
    range: &Range<usize>,
) -> Vec<QuickFix> {
    diagnostics
        .iter()
        .filter(|d| d.file == file && d.range.start <= range.end && range.start <= d.range.end)
        .filter_map(|d| {
            let fix = d.fix.as_ref()?;
            Some(QuickFix {
                title: format!("Change to `{}`", fix.trim_matches('"')),
                code: d.code,
                edit: TextEdit {
                    location: Location {
                        file: d.file.clone(),
                        range: d.range.clone(),
                    },
                    new_text: fix.clone(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_grammar() {
        use SymbolKind::{Attribute, Segment, Service};
        assert!(valid_name("high_value", Segment));
        assert!(valid_name("高价值", Segment));
        assert!(valid_name("_x1", Attribute));
        assert!(valid_name("24h_reply", Service) && valid_name("1x", Segment));
        assert!(!valid_name("1x", Attribute));
        assert!(!valid_name("24", Service) && !valid_name("2_", Attribute));
        assert!(!valid_name("a b", Segment));
        assert!(!valid_name("", Segment));
        assert!(!valid_name("a-b", Segment));
    }
}
