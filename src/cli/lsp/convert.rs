//! Between `vasrec::ide`'s answers (byte offsets, package file names) and
//! the protocol's (lines and UTF-16 columns, `file:` URIs, JSON).

use lsp_types as lsp;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use vasrec::ide::{self, Analysis, LineIndex, LinePosition};

pub(super) fn from_lsp(position: lsp::Position) -> LinePosition {
    LinePosition {
        line: position.line,
        character: position.character,
    }
}

fn to_lsp(position: LinePosition) -> lsp::Position {
    lsp::Position {
        line: position.line,
        character: position.character,
    }
}

pub(super) fn range_in(lines: &LineIndex, range: &Range<usize>) -> lsp::Range {
    lsp::Range {
        start: to_lsp(lines.position(range.start)),
        end: to_lsp(lines.position(range.end)),
    }
}

/// A range in one of the analysed files (the start of the file when the
/// file is not known).
fn range_of(analysis: &Analysis, file: &str, range: &Range<usize>) -> lsp::Range {
    match analysis.line_index(file) {
        Some(lines) => range_in(lines, range),
        None => lsp::Range::default(),
    }
}

/// A place in the package as the protocol's `Location`, as JSON (URIs
/// are kept as text: the server builds each from a path or takes it from
/// the editor).
pub(super) fn location(
    analysis: &Analysis,
    location: &ide::Location,
    uri: &dyn Fn(&str) -> String,
) -> Value {
    json!({
        "uri": uri(&location.file),
        "range": range_of(analysis, &location.file, &location.range),
    })
}

/// The checker's diagnostic as the editor shows it: code, message with the
/// notes and help under it, and the labels as related places.
pub(super) fn lsp_diagnostic(
    analysis: &Analysis,
    d: &ide::FileDiagnostic,
    uri: impl Fn(&str) -> String,
) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|(place, text)| {
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: uri(&place.file).parse().ok()?,
                    range: range_of(analysis, &place.file, &place.range),
                },
                message: if text.is_empty() {
                    "here".into()
                } else {
                    text.clone()
                },
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range_of(analysis, &d.file, &d.range),
        severity: Some(match d.severity {
            vasrec::Severity::Error => lsp::DiagnosticSeverity::ERROR,
            vasrec::Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str())),
        source: Some("vasrec".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}

/// Edits by document, as `{"changes": {uri: [edits]}}`, which every
/// editor applies.
pub(super) fn workspace_edit(
    analysis: &Analysis,
    edits: &[ide::TextEdit],
    uri: &dyn Fn(&str) -> String,
) -> Value {
    let mut changes: BTreeMap<String, Vec<lsp::TextEdit>> = BTreeMap::new();
    for edit in edits {
        changes
            .entry(uri(&edit.location.file))
            .or_default()
            .push(lsp::TextEdit {
                range: range_of(analysis, &edit.location.file, &edit.location.range),
                new_text: edit.new_text.clone(),
            });
    }
    json!({ "changes": changes })
}

pub(super) fn completion_item(lines: &LineIndex, c: ide::Completion) -> lsp::CompletionItem {
    use ide::CompletionKind as K;
    let kind = match c.kind {
        K::Keyword => lsp::CompletionItemKind::KEYWORD,
        K::Segment | K::Profile => lsp::CompletionItemKind::CLASS,
        K::Service => lsp::CompletionItemKind::MODULE,
        K::Attribute | K::Preference => lsp::CompletionItemKind::FIELD,
        K::Function => lsp::CompletionItemKind::FUNCTION,
        K::Value => lsp::CompletionItemKind::ENUM_MEMBER,
    };
    // A value replaces the quote already typed: the editor filters the
    // list by the text it replaces, so the filter text has the quote too.
    let filter_text = (c.kind == K::Value).then(|| c.insert.clone());
    lsp::CompletionItem {
        label: c.label,
        kind: Some(kind),
        detail: c.detail,
        filter_text,
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: range_in(lines, &c.replace),
            new_text: c.insert,
        })),
        ..lsp::CompletionItem::default()
    }
}

pub(super) fn document_symbol(lines: &LineIndex, s: &ide::Symbol) -> lsp::DocumentSymbol {
    use ide::SymbolKind as K;
    let kind = match s.kind {
        K::Segment => lsp::SymbolKind::CLASS,
        K::Profile => lsp::SymbolKind::INTERFACE,
        K::Rule => lsp::SymbolKind::FUNCTION,
        K::Service => lsp::SymbolKind::MODULE,
        K::Attribute | K::Preference => lsp::SymbolKind::FIELD,
        K::Dimension => lsp::SymbolKind::ENUM_MEMBER,
    };
    #[allow(deprecated)] // `deprecated` is a field the type requires
    lsp::DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind,
        tags: None,
        deprecated: None,
        range: range_in(lines, &s.extent),
        selection_range: range_in(lines, &s.location.range),
        children: None,
    }
}

/// Applies one `contentChanges` entry: a range and its new text, or the
/// whole text when there is no range. A range past the end or inside a
/// character is clamped to the text, as `LineIndex` converts positions.
pub(super) fn apply_change(text: &mut String, change: &Value) {
    let Some(new_text) = change.get("text").and_then(Value::as_str) else {
        return;
    };
    let range = change
        .get("range")
        .and_then(|r| serde_json::from_value::<lsp::Range>(r.clone()).ok());
    match range {
        None => *text = new_text.to_string(),
        Some(range) => {
            let lines = LineIndex::new(text);
            let start = lines.offset(from_lsp(range.start));
            let end = lines.offset(from_lsp(range.end)).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

/// The path of a `file:` URI (`file:///home/a%20b/x.vas`); `None` for
/// other schemes (`untitled:`) and malformed escapes.
pub(super) fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let path = &rest[rest.find('/')?..];
    let mut bytes = Vec::with_capacity(path.len());
    let mut iter = path.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex = [iter.next()?, iter.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    let decoded = String::from_utf8(bytes).ok()?;
    // `file:///C:/x` on Windows is the path `C:/x`.
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if cfg!(windows) && drive.is_ascii_alphabetic() => {
            decoded[1..].to_string()
        }
        _ => decoded,
    };
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of a path, with everything but unreserved characters and
/// `/` percent-encoded.
pub(super) fn path_to_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !text.starts_with('/') {
        uri.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let path = Path::new("/tmp/规则 包/rules.vas");
        let uri = path_to_uri(path);
        assert!(uri.starts_with("file:///tmp/%E8%A7%84"), "{uri}");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(path));
        assert_eq!(
            uri_to_path("file://localhost/a/b.vas").as_deref(),
            Some(Path::new("/a/b.vas"))
        );
        assert_eq!(uri_to_path("untitled:1"), None);
        assert_eq!(uri_to_path("file:///a%2"), None);
        assert_eq!(uri_to_path("file:///a%ff"), None);
        assert!(uri.parse::<lsp::Uri>().is_ok());
    }

    #[test]
    fn incremental_changes_count_utf16_columns() {
        let mut text = String::from("segment 高价值 { when x }\n");
        let change = json!({
            "range": { "start": { "line": 0, "character": 19 },
                       "end": { "line": 0, "character": 20 } },
            "text": "tenure_months < 6"
        });
        apply_change(&mut text, &change);
        assert_eq!(text, "segment 高价值 { when tenure_months < 6 }\n");
        apply_change(&mut text, &json!({ "text": "rule" }));
        assert_eq!(text, "rule");
    }

    #[test]
    fn changes_at_impossible_positions_are_clamped() {
        let mut text = String::from("a😀b\n");
        // Inside the surrogate pair, backwards, and far past the end.
        let change = json!({
            "range": { "start": { "line": 0, "character": 2 },
                       "end": { "line": 0, "character": 1 } },
            "text": "x"
        });
        apply_change(&mut text, &change);
        assert_eq!(text, "ax😀b\n");
        let change = json!({
            "range": { "start": { "line": 4_000_000_000u32, "character": 9 },
                       "end": { "line": 0, "character": 4_000_000_000u32 } },
            "text": "!"
        });
        apply_change(&mut text, &change);
        assert_eq!(text, "ax😀b\n!");
        // Not a change at all: nothing happens.
        apply_change(&mut text, &json!({ "range": 5 }));
        assert_eq!(text, "ax😀b\n!");
    }
}
