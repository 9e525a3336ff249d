//! What a package declares and where each name is used.
//!
//! In: the package's files. Out: an [`Index`] of symbols (segments,
//! profiles, rules, services, attributes, preferences, dimensions) with the
//! span of their name, and every occurrence of every name: rule targets,
//! `under` parents, `offer`/`suppress` services, attributes, `pref.x` and
//! `uses(x)` in expressions, and the names the catalog gives or refers to.
//! Rule files are read with the checker's own parser, which recovers per
//! declaration, so a file with one broken declaration still has an outline.

use crate::base::source::{FileId, SourceFile};
use crate::ide::files::{is_case_file, is_table_file};
use crate::ide::names::{Location, SymbolKind};
use crate::ide::yaml_names::{self, Found};
use crate::lang::syntax::{
    self,
    ast::{Expr, ExprKind, Item},
};
use crate::package::catalog::Limits;
use std::ops::Range;

/// A declared name, for outlines and "go to definition".
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// What it is.
    pub kind: SymbolKind,
    /// The name.
    pub name: String,
    /// Where the name is written in its declaration.
    pub location: Location,
    /// The whole declaration (the name alone for catalog entries).
    pub extent: Range<usize>,
    /// A line shown beside the name in an outline (a label, a service's
    /// display name).
    pub detail: Option<String>,
}

/// One place a name is written: its declaration or a use.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// What the name names.
    pub kind: SymbolKind,
    /// The name.
    pub name: String,
    /// Where it is written.
    pub location: Location,
    /// The declaration itself rather than a use.
    pub definition: bool,
}

/// The declarations and name occurrences of a whole package.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub symbols: Vec<Symbol>,
    pub occurrences: Vec<Occurrence>,
    /// The rule files' declarations, by file name, for hovers.
    pub items: Vec<(String, Item)>,
}

impl Index {
    /// Indexes `files` (name and text): the one named `catalog_file` is
    /// scanned as the catalog, test case files (`tests/*.yaml`) for the
    /// names they use, the others parsed as rule files under `limits`.
    pub fn build(files: &[(&str, &SourceFile)], catalog_file: &str, limits: &Limits) -> Index {
        let mut index = Index::default();
        for (i, (name, source)) in files.iter().enumerate() {
            if *name == catalog_file {
                index.add_yaml(name, yaml_names::catalog(&source.text));
            } else if is_case_file(name) {
                index.add_yaml(name, yaml_names::cases(&source.text));
            } else if is_table_file(name) {
                // A table's rows: cells, not rule text.
            } else {
                let id = FileId(crate::base::index::dense_u32(i));
                let parsed = syntax::parse_file(id, source, limits);
                for item in parsed.items {
                    index.add_item(name, &source.text, &item);
                    index.items.push((name.to_string(), item));
                }
            }
        }
        index
    }

    /// The occurrence whose name covers `offset` (its end included, so a
    /// cursor just after a name still finds it).
    pub fn at(&self, file: &str, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| {
            o.location.file == file
                && o.location.range.start <= offset
                && offset <= o.location.range.end
        })
    }

    /// The declaration of a name.
    pub fn definition(&self, kind: SymbolKind, name: &str) -> Option<&Symbol> {
        self.symbols
            .iter()
            .find(|s| s.kind == kind && s.name == name)
    }

    /// Every occurrence of a name, declaration included.
    pub fn occurrences_of(&self, kind: SymbolKind, name: &str) -> Vec<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.kind == kind && o.name == name)
            .collect()
    }

    fn add_yaml(&mut self, file: &str, found: Vec<Found>) {
        for written in found {
            let location = Location {
                file: file.to_string(),
                range: written.range.clone(),
            };
            if written.definition {
                self.symbols.push(Symbol {
                    kind: written.kind,
                    name: written.name.clone(),
                    location: location.clone(),
                    extent: written.range,
                    detail: None,
                });
            }
            self.occurrences.push(Occurrence {
                kind: written.kind,
                name: written.name,
                location,
                definition: written.definition,
            });
        }
    }

    fn add_item(&mut self, file: &str, text: &str, item: &Item) {
        let mut add = |kind, name: &syntax::ast::Name, definition| {
            self.occurrences.push(Occurrence {
                kind,
                name: name.text.clone(),
                location: Location {
                    file: file.to_string(),
                    range: name.span.start as usize..name.span.end as usize,
                },
                definition,
            });
        };
        let (kind, name, span, detail, exprs) = match item {
            Item::Segment(s) => {
                add(SymbolKind::Segment, &s.name, true);
                for parent in &s.parents {
                    add(SymbolKind::Segment, parent, false);
                }
                (
                    SymbolKind::Segment,
                    &s.name,
                    s.span,
                    s.label.clone(),
                    vec![&s.when],
                )
            }
            Item::Profile(p) => {
                add(SymbolKind::Profile, &p.name, true);
                // The syntax tree keeps no profile label: read it from the text.
                let label = label_after(text, p.name.span.end as usize);
                (SymbolKind::Profile, &p.name, p.span, label, vec![&p.when])
            }
            Item::Rule(r) => {
                add(SymbolKind::Rule, &r.name, true);
                add(SymbolKind::Segment, &r.segment, false);
                if let Some(profile) = &r.profile {
                    add(SymbolKind::Profile, profile, false);
                }
                add(SymbolKind::Service, &r.service, false);
                let detail = format!("for {}: {}", r.segment.text, r.service.text);
                (
                    SymbolKind::Rule,
                    &r.name,
                    r.span,
                    Some(detail),
                    vec![&r.when, &r.gain],
                )
            }
            // A table is a group of rules: in the outline as one, with its
            // segment, profile, columns and each row's service, condition
            // and gain as references, so that rename reaches them.
            Item::Table(t) => {
                add(SymbolKind::Rule, &t.name, true);
                add(SymbolKind::Segment, &t.segment, false);
                if let Some(profile) = &t.profile {
                    add(SymbolKind::Profile, profile, false);
                }
                for row in &t.rows {
                    add(SymbolKind::Service, &row.service, false);
                }
                let detail = format!("table for {}: {} rows", t.segment.text, t.rows.len());
                let exprs: Vec<&Option<Expr>> = t
                    .rows
                    .iter()
                    .flat_map(|row| [&row.when, &row.gain])
                    .collect();
                for column in &t.columns {
                    self.add_expr(file, column, false);
                }
                (SymbolKind::Rule, &t.name, t.span, Some(detail), exprs)
            }
        };
        self.symbols.push(Symbol {
            kind,
            name: name.text.clone(),
            location: Location {
                file: file.to_string(),
                range: name.span.start as usize..name.span.end as usize,
            },
            extent: span.start as usize..span.end as usize,
            detail,
        });
        for expr in exprs.into_iter().flatten() {
            self.add_expr(file, expr, false);
        }
    }

    /// The names in an expression; `services` is true inside `uses(...)`.
    fn add_expr(&mut self, file: &str, expr: &Expr, services: bool) {
        let mut add = |kind, name: &str, span: crate::base::source::Span| {
            self.occurrences.push(Occurrence {
                kind,
                name: name.to_string(),
                location: Location {
                    file: file.to_string(),
                    range: span.start as usize..span.end as usize,
                },
                definition: false,
            });
        };
        match &expr.kind {
            ExprKind::Name(name) if services => add(SymbolKind::Service, name, expr.span),
            // `derived` in a gain is a word of the language unless an
            // attribute of that name exists; `resolve` decides, and an
            // occurrence that names nothing is harmless here.
            ExprKind::Name(name) => add(SymbolKind::Attribute, name, expr.span),
            ExprKind::Preference(name) => add(SymbolKind::Preference, &name.text, name.span),
            ExprKind::List(items) => {
                for item in items {
                    self.add_expr(file, item, false);
                }
            }
            ExprKind::Call { function, args } => {
                let uses = function.text == "uses";
                for arg in args {
                    self.add_expr(file, arg, uses);
                }
            }
            ExprKind::Unary { operand, .. } => self.add_expr(file, operand, false),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.add_expr(file, lhs, false);
                self.add_expr(file, rhs, false);
            }
            ExprKind::Script { text, start } => {
                for (kind, range) in script_names(text) {
                    let at = *start as usize;
                    self.occurrences.push(Occurrence {
                        kind,
                        name: text[range.clone()].to_string(),
                        location: Location {
                            file: file.to_string(),
                            range: at + range.start..at + range.end,
                        },
                        definition: false,
                    });
                }
            }
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {}
        }
    }
}

/// The label written after a declaration's name (`profile a "重视个性化" {`).
fn label_after(text: &str, name_end: usize) -> Option<String> {
    let rest = text.get(name_end..)?.trim_start().strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' if !escaped => return Some(rest[..i].to_string()),
            '\\' => escaped = !escaped,
            '\n' => return None,
            _ => escaped = false,
        }
    }
    None
}

/// The names a rhai script may read the customer by: each identifier
/// outside strings and comments, as an attribute (a local variable or a
/// word of rhai is one too, but names nothing declared), and `pref.x` as a
/// preference. A property after a dot is not a name.
fn script_names(text: &str) -> Vec<(SymbolKind, Range<usize>)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().peekable();
    // The identifier before a `.`, when the `.` came right after it.
    let mut before_dot: Option<&str> = None;
    let mut after_dot = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    if d == c && !escaped {
                        break;
                    }
                    escaped = d == '\\' && !escaped;
                }
                (before_dot, after_dot) = (None, false);
            }
            '/' if bytes.get(i + 1) == Some(&b'/') => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if bytes.get(i + 1) == Some(&b'*') => {
                chars.next();
                let mut star = false;
                for (_, d) in chars.by_ref() {
                    if star && d == '/' {
                        break;
                    }
                    star = d == '*';
                }
            }
            '.' => after_dot = true,
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let word = &text[i..end];
                if !after_dot {
                    found.push((SymbolKind::Attribute, i..end));
                } else if before_dot == Some("pref") {
                    found.push((SymbolKind::Preference, i..end));
                }
                before_dot = Some(word).filter(|_| text[end..].starts_with('.'));
                after_dot = false;
            }
            c if c.is_whitespace() => {}
            _ => (before_dot, after_dot) = (None, false),
        }
    }
    // `pref` itself is the preferences' map, not an attribute.
    found.retain(|(kind, range)| *kind != SymbolKind::Attribute || &text[range.clone()] != "pref");
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_the_text_in_quotes_after_the_name() {
        let text = "profile a \"重视 \\\"个性化\\\"\" { when x }\nprofile b { when \"y\" }";
        assert_eq!(label_after(text, 9).as_deref(), Some("重视 \\\"个性化\\\""));
        let b = text.find("b {").unwrap() + 1;
        assert_eq!(label_after(text, b), None);
        assert_eq!(label_after(text, 999), None);
    }

    #[test]
    fn scripts_read_attributes_and_preferences_by_name() {
        let text = "let x = tenure_months + pref.price; // monthly_charges\n\
                    /* internet */ if x.len() > \"senior\" { 高价值 } else { `a${b}` }";
        let names: Vec<(SymbolKind, &str)> = script_names(text)
            .into_iter()
            .map(|(kind, range)| (kind, &text[range]))
            .collect();
        use SymbolKind::{Attribute, Preference};
        assert_eq!(
            names,
            [
                (Attribute, "let"),
                (Attribute, "x"),
                (Attribute, "tenure_months"),
                (Preference, "price"),
                (Attribute, "if"),
                (Attribute, "x"),
                (Attribute, "高价值"),
                (Attribute, "else"),
            ]
        );
    }
}
