//! Where names are written in `catalog.yaml`.
//!
//! In: the catalog's text. Out: every place a service, attribute,
//! preference or dimension is declared or named, with its byte range.
//!
//! serde_yaml gives values, not positions, so this is a small line scanner,
//! honest about what it is: it follows block keys by indentation and reads
//! `key: value` pairs written in block style (`- id: x`) or flow style
//! (`- { id: x, name: y }`, also over several lines). It understands the
//! shapes a catalog is written in, not all of YAML: anchors, multi-line
//! strings and keys in quotes are not followed. A name it misses only means
//! a rename or "find references" misses that place in the catalog.

use crate::ide::names::SymbolKind;
use std::ops::Range;

/// A name written in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Written {
    pub kind: SymbolKind,
    pub name: String,
    pub range: Range<usize>,
    /// Declares the name (`- id: x` under `services:`), not a use of it.
    pub definition: bool,
}

/// Every name the catalog declares or uses, in text order.
pub(crate) fn scan(text: &str) -> Vec<Written> {
    let mut found = Vec::new();
    // Block keys whose value is nested below them: (column, key).
    let mut stack: Vec<(usize, String)> = Vec::new();
    // Inside a flow map `{ ... }` that goes on to the next line: its path.
    let mut open_flow: Option<Vec<String>> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let content = &body[indent..];
        if let Some(path) = open_flow.take() {
            let closed = flow_pairs(content, line_start + indent, &path, &mut found);
            if !closed {
                open_flow = Some(path);
            }
            continue;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let item = content == "-" || content.starts_with("- ");
        while stack
            .last()
            .is_some_and(|(col, _)| *col > indent || (*col == indent && !item))
        {
            stack.pop();
        }
        let mut column = indent;
        if item {
            let after_dash = &content[1..];
            column += 1 + after_dash.len() - after_dash.trim_start().len();
        }
        let rest = &body[column..];
        let path: Vec<String> = stack.iter().map(|(_, key)| key.clone()).collect();
        if let Some(inner) = rest.strip_prefix('{') {
            if !flow_pairs(inner, line_start + column + 1, &path, &mut found) {
                open_flow = Some(path);
            }
            continue;
        }
        let Some((key, value, value_at)) = block_pair(rest) else {
            continue;
        };
        let value_start = line_start + column + value_at;
        let key_start = line_start + column;
        if value.is_empty() {
            stack.push((column, key.to_string()));
        } else if let Some(inner) = value.strip_prefix('{') {
            let mut inner_path = path.clone();
            inner_path.push(key.to_string());
            if !flow_pairs(inner, value_start + 1, &inner_path, &mut found) {
                open_flow = Some(inner_path);
            }
        } else {
            record(&path, (key, key_start), value, value_start, &mut found);
        }
    }
    found
}

/// `key: value # comment` -> the key, the value without comment and quotes
/// kept, and where the value starts in `rest`.
fn block_pair(rest: &str) -> Option<(&str, &str, usize)> {
    let colon = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(str::len))?;
    let key = rest[..colon].trim();
    if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let after = rest.get(colon + 1..).unwrap_or("");
    let value_at = colon + 1 + (after.len() - after.trim_start().len());
    let value = without_comment(&rest[value_at..]).trim_end();
    Some((key, value, value_at))
}

/// The text before a ` #` comment outside quotes.
fn without_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '#') if previous == ' ' => return &text[..i],
            _ => {}
        }
        previous = c;
    }
    text
}

/// Reads `key: value` pairs of a flow map up to its closing `}`; true when
/// the map closed on this line.
fn flow_pairs(text: &str, at: usize, path: &[String], found: &mut Vec<Written>) -> bool {
    let mut depth = 0usize;
    let mut quote = None;
    let mut piece_start = 0;
    let text = without_comment(text);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if q == c => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, '}') if depth > 0 => depth -= 1,
            (None, ',' | '}') if depth == 0 => {
                flow_piece(&text[piece_start..i], at + piece_start, path, found);
                piece_start = i + 1;
                if c == '}' {
                    return true;
                }
            }
            _ => {}
        }
    }
    flow_piece(&text[piece_start..], at + piece_start, path, found);
    false
}

/// One `key: value` of a flow map; a nested map is read with the key added
/// to the path (`effects: { price: 6 }`).
fn flow_piece(piece: &str, at: usize, path: &[String], found: &mut Vec<Written>) {
    let lead = piece.len() - piece.trim_start().len();
    let Some((key, value, value_at)) = block_pair(piece.trim_start()) else {
        return;
    };
    let value_start = at + lead + value_at;
    if let Some(inner) = value.strip_prefix('{') {
        let mut inner_path = path.to_vec();
        inner_path.push(key.to_string());
        flow_pairs(inner, value_start + 1, &inner_path, found);
        return;
    }
    record(path, (key, at + lead), value, value_start, found);
}

/// Records `key: value` when the key, under its path, names something; the
/// key itself does under `effects` (a dimension).
fn record(
    path: &[String],
    (key, key_at): (&str, usize),
    value: &str,
    at: usize,
    found: &mut Vec<Written>,
) {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let (kind, definition) = match (path.as_slice(), key) {
        (["services"], "id") => (SymbolKind::Service, true),
        (["services"], "in_use") => (SymbolKind::Attribute, false),
        (["services", "effects"], _) => {
            record_name(SymbolKind::Dimension, key, key_at, false, found);
            return;
        }
        (["customer"], "id") | (["channel_fit"], "attribute") => (SymbolKind::Attribute, false),
        (["customer", "attributes"], "name") => (SymbolKind::Attribute, true),
        (["customer", "preferences"], "name") => (SymbolKind::Preference, true),
        (["satisfaction", "dimensions"], "id") => (SymbolKind::Dimension, true),
        (["satisfaction", "dimensions"], "preference") => (SymbolKind::Preference, false),
        (["satisfaction", "dimensions"], "perception" | "expectation") => {
            (SymbolKind::Attribute, false)
        }
        _ => return,
    };
    let value = value.trim_end_matches([',', '}']).trim_end();
    let (name, offset) = match value.chars().next() {
        Some(q @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(q) => {
            (&value[1..value.len() - 1], 1)
        }
        _ => (value, 0),
    };
    record_name(kind, name, at + offset, definition, found);
}

fn record_name(
    kind: SymbolKind,
    name: &str,
    at: usize,
    definition: bool,
    found: &mut Vec<Written>,
) {
    if name.is_empty() {
        return;
    }
    found.push(Written {
        kind,
        name: name.to_string(),
        range: at..at + name.len(),
        definition,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(SymbolKind, String, bool, String)> {
        scan(text)
            .into_iter()
            .map(|w| (w.kind, w.name, w.definition, text[w.range].to_string()))
            .collect()
    }

    #[test]
    fn block_and_flow_styles_are_both_read() {
        let text = "\
services:
  - id: priority_support   # comment
    name: 优先技术支持
    in_use: tech_support
    effects: { personalization: 4 }
  - { id: \"cloud_backup\", name: 云备份, cost: 2 }
customer:
  id: customer_id
  attributes:
    - name: tech_support
      type: bool
    - { name: tier, type: category, values: [a, b] }
  preferences:
    - name: price
satisfaction:
  dimensions:
    - { id: personalization, name: 个性化, preference: price,
        perception: tier }
";
        let found = names(text);
        use SymbolKind::*;
        let expect = |k, n: &str, d| (k, n.to_string(), d, n.to_string());
        assert_eq!(
            found,
            vec![
                expect(Service, "priority_support", true),
                expect(Attribute, "tech_support", false),
                expect(Dimension, "personalization", false),
                expect(Service, "cloud_backup", true),
                expect(Attribute, "customer_id", false),
                expect(Attribute, "tech_support", true),
                expect(Attribute, "tier", true),
                expect(Preference, "price", true),
                expect(Dimension, "personalization", true),
                expect(Preference, "price", false),
                expect(Attribute, "tier", false),
            ]
        );
    }

    #[test]
    fn the_bundled_catalog_declares_its_services_and_attributes() {
        let text = include_str!("../../rules/catalog.yaml");
        let found = scan(text);
        let defined = |kind| {
            found
                .iter()
                .filter(|w| w.kind == kind && w.definition)
                .count()
        };
        assert_eq!(defined(SymbolKind::Service), 15);
        assert_eq!(defined(SymbolKind::Preference), 4);
        assert_eq!(defined(SymbolKind::Dimension), 4);
        assert!(defined(SymbolKind::Attribute) >= 20);
        for w in &found {
            assert_eq!(&text[w.range.clone()], w.name);
        }
    }
}
