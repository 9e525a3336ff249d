//! Completion in rule files: what may be written at the cursor.
//!
//! In: a rule file's text, a byte offset, the index and the catalog. Out:
//! the items that fit where the cursor is, each with the range it replaces:
//! after `for`/`under` segments; after `, profile` profiles; after `offer`,
//! `suppress` and in `uses(` services; after `pref.` preferences; after
//! `attr ==` or inside `attr in [` that category's values, quoted; at the
//! start of a line clause (or declaration) keywords; in a condition or gain
//! attributes, preferences and functions. The context is read from the text
//! before the cursor, not the syntax tree: a half-typed line does not parse.

use crate::ide::names::SymbolKind;
use crate::ide::position::floor_char_boundary;
use crate::ide::symbols::Index;
use crate::package::catalog::{AttributeKind, Catalog};
use std::ops::Range;

/// What a completion item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A word of the language (`when`, `offer`).
    Keyword,
    /// A segment.
    Segment,
    /// A profile.
    Profile,
    /// A service.
    Service,
    /// A customer attribute.
    Attribute,
    /// A preference, written `pref.x`.
    Preference,
    /// A function (`value_or`).
    Function,
    /// A value of a category attribute.
    Value,
}

/// One thing that may be written at the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// What the list shows.
    pub label: String,
    /// What it is.
    pub kind: CompletionKind,
    /// A line beside it (a service's display name, an attribute's type).
    pub detail: Option<String>,
    /// The text put in `replace`.
    pub insert: String,
    /// The bytes it replaces: the part of the word already typed (and, for
    /// a quoted value, the quotes around it).
    pub replace: Range<usize>,
}

/// The functions of the rule language (as `lang::resolve` knows them).
const FUNCTIONS: [&str; 12] = [
    "min",
    "max",
    "clamp",
    "abs",
    "round",
    "present",
    "value_or",
    "len",
    "starts_with",
    "ends_with",
    "contains",
    "uses",
];

const DECLARATIONS: [&str; 3] = ["segment", "profile", "rule"];
const RULE_CLAUSES: [&str; 7] = [
    "for", "when", "offer", "suppress", "gain", "priority", "because",
];
const OPERATORS: [&str; 6] = ["and", "or", "not", "in", "true", "false"];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The completions at `offset` in a rule file's `text`.
pub(crate) fn complete(
    text: &str,
    offset: usize,
    index: &Index,
    catalog: Option<&Catalog>,
) -> Vec<Completion> {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let word = word_start..offset;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &before[line_start..];
    if comment_starts(line) {
        return Vec::new();
    }
    let mut out = Completions {
        items: Vec::new(),
        replace: word.clone(),
    };
    // Inside a string: only a category value makes sense.
    if let Some(quote) = open_quote(line).map(|q| line_start + q) {
        if let Some(attribute) = compared_attribute(&text[..quote]) {
            let end = if text[offset..].starts_with('"') {
                offset + 1
            } else {
                offset
            };
            out.replace = quote..end;
            out.values(&attribute, catalog);
        }
        return out.items;
    }
    let head = &text[..word_start];
    if head.ends_with("pref.") {
        out.preferences(catalog, false);
        return out.items;
    }
    if let Some(attribute) = compared_attribute(head) {
        out.values(&attribute, catalog);
        if !out.items.is_empty() {
            return out.items;
        }
    }
    let trimmed = head.trim_end();
    let first_on_line = text[line_start..word_start].trim().is_empty();
    // A word that starts a line begins a clause, unless the line before
    // ends with a comma (`under a,` continued on the next line).
    let previous = if first_on_line && !trimmed.ends_with(',') {
        ""
    } else {
        last_word(trimmed)
    };
    match previous {
        "for" | "under" => return out.names(index, SymbolKind::Segment, CompletionKind::Segment),
        "offer" | "suppress" => {
            return out.names(index, SymbolKind::Service, CompletionKind::Service);
        }
        "profile"
            if trimmed[..trimmed.len() - previous.len()]
                .trim_end()
                .ends_with(',') =>
        {
            return out.names(index, SymbolKind::Profile, CompletionKind::Profile);
        }
        "segment" | "profile" | "rule" | "priority" | "because" => return Vec::new(),
        _ => {}
    }
    if trimmed.ends_with("uses(") {
        return out.names(index, SymbolKind::Service, CompletionKind::Service);
    }
    if trimmed.ends_with(',') {
        let statement = &trimmed[trimmed.rfind(['{', '}', '\n']).map_or(0, |i| i + 1)..];
        if statement.split_whitespace().any(|w| w == "under") {
            return out.names(index, SymbolKind::Segment, CompletionKind::Segment);
        }
        if statement.split_whitespace().any(|w| w == "for") {
            out.keywords(&["profile"]);
            return out.items;
        }
    }
    let depth = brace_depth(head);
    if depth == 0 {
        if first_on_line {
            out.keywords(&DECLARATIONS);
        }
        return out.items;
    }
    if first_on_line {
        if enclosing_declaration(head) == Some("rule") {
            out.keywords(&RULE_CLAUSES);
        } else {
            out.keywords(&["when"]);
        }
        out.keywords(&["and", "or", "not"]);
        return out.items;
    }
    // In a condition or a gain.
    out.attributes(catalog);
    out.preferences(catalog, true);
    for function in FUNCTIONS {
        out.push(
            function,
            CompletionKind::Function,
            None,
            format!("{function}("),
        );
    }
    out.keywords(&OPERATORS);
    if previous == "gain" {
        out.keywords(&["derived"]);
    }
    out.items
}

struct Completions {
    items: Vec<Completion>,
    replace: Range<usize>,
}

impl Completions {
    fn push(&mut self, label: &str, kind: CompletionKind, detail: Option<String>, insert: String) {
        self.items.push(Completion {
            label: label.to_string(),
            kind,
            detail,
            insert,
            replace: self.replace.clone(),
        });
    }

    fn keywords(&mut self, words: &[&str]) {
        for word in words {
            self.push(word, CompletionKind::Keyword, None, (*word).to_string());
        }
    }

    fn names(
        mut self,
        index: &Index,
        kind: SymbolKind,
        as_kind: CompletionKind,
    ) -> Vec<Completion> {
        for symbol in index.symbols.iter().filter(|s| s.kind == kind) {
            if self.items.iter().any(|i| i.label == symbol.name) {
                continue;
            }
            let detail = symbol.detail.clone();
            self.push(&symbol.name, as_kind, detail, symbol.name.clone());
        }
        self.items
    }

    fn attributes(&mut self, catalog: Option<&Catalog>) {
        for a in catalog.map_or(&[][..], |c| &c.customer.attributes) {
            let kind = match a.kind {
                AttributeKind::Number => "number",
                AttributeKind::Bool => "yes/no",
                AttributeKind::Text => "text",
                AttributeKind::Category => "category",
            };
            self.push(
                &a.name,
                CompletionKind::Attribute,
                Some(kind.into()),
                a.name.clone(),
            );
        }
    }

    /// Preferences; `with_prefix` writes `pref.` too (outside `pref.`).
    fn preferences(&mut self, catalog: Option<&Catalog>, with_prefix: bool) {
        for p in catalog.map_or(&[][..], |c| &c.customer.preferences) {
            let written = if with_prefix {
                format!("pref.{}", p.name)
            } else {
                p.name.clone()
            };
            self.push(
                &written,
                CompletionKind::Preference,
                p.label.clone(),
                written.clone(),
            );
        }
    }

    fn values(&mut self, attribute: &str, catalog: Option<&Catalog>) {
        let Some(a) =
            catalog.and_then(|c| c.customer.attributes.iter().find(|a| a.name == attribute))
        else {
            return;
        };
        for value in &a.values {
            let detail = Some(format!("a value of `{attribute}`"));
            self.push(value, CompletionKind::Value, detail, format!("\"{value}\""));
        }
    }
}

/// The attribute a value at the end of `head` is compared with: `attr ==`,
/// `attr !=`, or inside `attr in [` / `attr not in [` after other values.
fn compared_attribute(head: &str) -> Option<String> {
    let trimmed = head.trim_end();
    if let Some(left) = trimmed
        .strip_suffix("==")
        .or_else(|| trimmed.strip_suffix("!="))
    {
        return word_before(left);
    }
    // Back over values already in the list: quoted texts, commas, spaces.
    let mut rest = trimmed;
    loop {
        rest = rest.trim_end();
        if let Some(r) = rest.strip_suffix(',') {
            rest = r;
        } else if rest.ends_with('"') {
            let body = &rest[..rest.len() - 1];
            rest = &body[..body.rfind('"')?];
        } else {
            break;
        }
    }
    let left = rest.strip_suffix('[')?.trim_end().strip_suffix("in")?;
    if left.ends_with(is_word_char) {
        return None;
    }
    let left = left.trim_end();
    let left = left
        .strip_suffix("not")
        .filter(|l| !l.ends_with(is_word_char))
        .unwrap_or(left);
    word_before(left)
}

/// The word that ends `text` (spaces before the end allowed).
fn word_before(text: &str) -> Option<String> {
    let word = last_word(text.trim_end());
    (!word.is_empty()).then(|| word.to_string())
}

fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

/// Where an unclosed `"` opens on this line (escapes skipped), if any.
fn open_quote(line: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if open.is_some() && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => open = if open.is_some() { None } else { Some(i) },
            '#' if open.is_none() => return None,
            _ => {}
        }
        escaped = false;
    }
    open
}

/// Whether a `#` outside strings starts a comment before the end of `line`.
fn comment_starts(line: &str) -> bool {
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// Unclosed `{` before the cursor, outside strings and comments.
fn brace_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut quoted = false;
    let mut comment = false;
    for c in text.chars() {
        match c {
            '\n' => {
                comment = false;
                quoted = false;
            }
            _ if comment => {}
            '"' => quoted = !quoted,
            '#' if !quoted => comment = true,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

/// The keyword of the declaration the cursor is in: the last line that
/// starts with `segment`, `profile` or `rule`.
fn enclosing_declaration(head: &str) -> Option<&'static str> {
    head.lines().rev().find_map(|line| {
        let first = line.split_whitespace().next()?;
        DECLARATIONS.into_iter().find(|d| *d == first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attribute_compared_with_is_found() {
        assert_eq!(compared_attribute("when tier == ").as_deref(), Some("tier"));
        assert_eq!(compared_attribute("when tier!=").as_deref(), Some("tier"));
        assert_eq!(
            compared_attribute("when tier in [").as_deref(),
            Some("tier")
        );
        assert_eq!(
            compared_attribute("when tier not in [\"a\", ").as_deref(),
            Some("tier")
        );
        assert_eq!(compared_attribute("when tier >= "), None);
        assert_eq!(compared_attribute("when x in [1, "), None);
    }

    #[test]
    fn quotes_and_braces_are_counted_outside_strings() {
        assert_eq!(open_quote("when x == \"Fib"), Some(10));
        assert_eq!(open_quote("when x == \"a\" and"), None);
        assert_eq!(brace_depth("rule a {\n  because \"{\"\n"), 1);
        assert_eq!(brace_depth("segment a { when true }\n# {\n"), 0);
    }
}
