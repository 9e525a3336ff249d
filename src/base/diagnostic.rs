//! Diagnostics as values: a stable code, a severity, a message, labelled spans
//! and a help text. Every phase returns them; `render` is the only place that
//! turns them into text.

use crate::base::source::Span;
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The package cannot be used.
    Error,
    /// The package works, but probably not as meant.
    Warning,
}

/// Stable identifiers of every diagnostic; tools may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
#[non_exhaustive]
pub enum Code {
    // files and package
    ReadError,
    EmptyPackage,
    MissingCatalog,
    InvalidUtf8,
    TooDeep,
    TooLong,
    // syntax
    Syntax,
    InvalidEscape,
    NumberOutOfRange,
    DuplicateClause,
    MissingAction,
    ConflictingAction,
    MissingTarget,
    /// A decision table's row with more or fewer cells than the table has columns.
    WrongCellCount,
    // catalog
    Yaml,
    UnknownKey,
    InvalidCatalog,
    UnknownDimension,
    InconsistentJudgements,
    // names
    DuplicateName,
    UnknownAttribute,
    UnknownPreference,
    UnknownService,
    UnknownSegment,
    UnknownProfile,
    UnknownFunction,
    UnknownCategoryValue,
    ServiceNotTracked,
    // types and values
    TypeMismatch,
    WrongArgumentCount,
    NotConstant,
    DivisionByZero,
    MissingGain,
    /// A rhai script that does not compile (or a build without scripts).
    ScriptError,
    // segment graph
    SegmentCycle,
    SelfParent,
    // warnings
    UnusedSegment,
    ShadowedRule,
    NeverFires,
    UnusedProfile,
    /// An AHP judgement off Saaty's 1-9 scale.
    OffScaleJudgement,
    /// Two rows of a `hit unique` decision table match the same customer (an error).
    OverlappingRows,
    /// Customers of a decision table's segment that no row matches.
    TableGap,
    /// A decision table's row that can never match.
    UnreachableRow,
    /// A decision table with more rows than `limits.max_table_rows`.
    TableTooLarge,
    /// A decision table too intricate for `check` to finish its analysis
    /// within its work bound (a warning: the table itself works).
    TableNotAnalysed,
}

impl Code {
    /// The code as written in output, e.g. `UNKNOWN_SEGMENT`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A span with a note, shown under the source line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// Where.
    #[serde(skip)]
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

/// One problem found in a package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable identifier.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The main place, when the problem has one.
    #[serde(skip)]
    pub primary: Option<Span>,
    /// Further places that explain the problem.
    pub labels: Vec<Label>,
    /// What to do about it, e.g. "did you mean `spend_12m`?".
    pub help: Option<String>,
    /// Extra lines shown after the snippet (a cycle path, a key path).
    pub notes: Vec<String>,
    /// Position for problems in files without spans (YAML): line and column.
    #[serde(skip)]
    pub position: Option<(crate::base::source::FileId, usize, usize)>,
}

impl Diagnostic {
    /// An error at a span.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, Some(span), message)
    }

    /// A warning at a span.
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, Some(span), message)
    }

    /// An error with no place in a file (an empty folder, say).
    pub fn error_nowhere(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, None, message)
    }

    fn new(
        code: Code,
        severity: Severity,
        primary: Option<Span>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            position: None,
        }
    }

    /// Adds a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a help text when there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Adds a labelled span.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: file, then position, so output follows the files.
    pub(crate) fn sort_key(&self) -> (u32, u32, u32, Severity) {
        if let Some(span) = self.primary {
            (span.file.0, 0, span.start, self.severity)
        } else if let Some((file, line, col)) = self.position {
            (
                file.0,
                crate::base::index::dense_u32(line),
                crate::base::index::dense_u32(col),
                self.severity,
            )
        } else {
            (0, 0, 0, self.severity)
        }
    }
}

/// Sorts diagnostics by file and position and drops exact repeats.
pub(crate) fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|d| d.sort_key());
    diagnostics.dedup();
}

/// "did you mean `x`?" for the closest candidate, when one is close enough.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate closest to `wanted` by edit distance, if it is plausibly a typo.
pub(crate) fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&wanted_lower, &candidate.to_lowercase());
        let distance = strsim::levenshtein(&wanted_lower, &candidate.to_lowercase());
        let close = distance <= 2.max(wanted.chars().count() / 3) || score >= 0.88;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["spend_12m", "tenure_months", "tier"];
        assert_eq!(closest("spnd_12m", names), Some("spend_12m"));
        assert_eq!(closest("tenure", names), Some("tenure_months"));
        assert_eq!(closest("zzzzzzz", names), None);
    }

    #[test]
    fn codes_are_screaming_snake_case() {
        assert_eq!(Code::UnknownSegment.as_str(), "UNKNOWN_SEGMENT");
        assert_eq!(Code::Yaml.as_str(), "YAML");
    }
}
