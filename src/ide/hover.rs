//! What a name means, in a few lines of Markdown for a hover.
//!
//! In: the name under the cursor, the index and the catalog. Out: for an
//! attribute its type and allowed values; for a segment its label, parents
//! and condition; for a profile its condition; for a rule its target,
//! action and reason; for a service its display name, taxonomy, cost and
//! effects; for a preference or dimension its label and links.

use crate::ide::names::SymbolKind;
use crate::ide::symbols::Index;
use crate::lang::syntax::ast::{Expr, Item};
use crate::package::catalog::{AttributeKind, Catalog};
use std::fmt::Write as _;

/// The hover text of a name, or `None` when nothing is known about it.
pub(crate) fn describe(
    kind: SymbolKind,
    name: &str,
    index: &Index,
    catalog: Option<&Catalog>,
    text_of: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    match kind {
        SymbolKind::Segment | SymbolKind::Profile | SymbolKind::Rule => {
            declaration(kind, name, index, text_of)
        }
        SymbolKind::Service => service(name, catalog?),
        SymbolKind::Attribute => attribute(name, catalog?),
        SymbolKind::Preference => preference(name, catalog?),
        SymbolKind::Dimension => dimension(name, catalog?),
    }
}

/// The condition as written, from the file's text.
fn condition(file: &str, when: Option<&Expr>, text_of: &dyn Fn(&str) -> Option<String>) -> String {
    let Some(when) = when else {
        return "no `when`: always true".to_string();
    };
    let text = text_of(file).unwrap_or_default();
    let written = text
        .get(when.span.start as usize..when.span.end as usize)
        .unwrap_or("");
    let lines: Vec<&str> = written.lines().map(str::trim).collect();
    format!("```vas\nwhen {}\n```", lines.join("\n  "))
}

fn declaration(
    kind: SymbolKind,
    name: &str,
    index: &Index,
    text_of: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let (file, item) = index.items.iter().find(|(_, item)| match (item, kind) {
        (Item::Segment(s), SymbolKind::Segment) => s.name.text == name,
        (Item::Profile(p), SymbolKind::Profile) => p.name.text == name,
        (Item::Rule(r), SymbolKind::Rule) => r.name.text == name,
        (Item::Table(t), SymbolKind::Rule) => t.name.text == name,
        _ => false,
    })?;
    let mut out = String::new();
    match item {
        Item::Segment(s) => {
            let _ = write!(out, "**segment** `{name}`");
            if let Some(label) = &s.label {
                let _ = write!(out, " — {label}");
            }
            out.push_str("\n\n");
            if s.parents.is_empty() {
                out.push_str("at the top of the segment graph\n\n");
            } else {
                let parents: Vec<String> =
                    s.parents.iter().map(|p| format!("`{}`", p.text)).collect();
                let _ = writeln!(out, "under {}\n", parents.join(", "));
            }
            out.push_str(&condition(file, s.when.as_ref(), text_of));
        }
        Item::Profile(p) => {
            let _ = write!(out, "**profile** `{name}`");
            if let Some(label) = index.definition(kind, name).and_then(|s| s.detail.as_ref()) {
                let _ = write!(out, " — {label}");
            }
            out.push_str("\n\n");
            out.push_str(&condition(file, p.when.as_ref(), text_of));
        }
        Item::Rule(r) => {
            let _ = write!(out, "**rule** `{name}`\n\nfor `{}`", r.segment.text);
            if let Some(profile) = &r.profile {
                let _ = write!(out, ", profile `{}`", profile.text);
            }
            let action = match r.action {
                crate::lang::syntax::ast::ActionKind::Offer => "offer",
                crate::lang::syntax::ast::ActionKind::Suppress => "suppress",
            };
            let _ = write!(
                out,
                "; {action} `{}`, priority {}",
                r.service.text, r.priority
            );
            if let Some(because) = &r.because {
                let _ = write!(out, "\n\nbecause: {because}");
            }
            if r.when.is_some() {
                out.push_str("\n\n");
                out.push_str(&condition(file, r.when.as_ref(), text_of));
            }
        }
        Item::Table(t) => {
            let _ = write!(out, "**table** `{name}`\n\nfor `{}`", t.segment.text);
            if let Some(profile) = &t.profile {
                let _ = write!(out, ", profile `{}`", profile.text);
            }
            let _ = write!(
                out,
                "; hit policy `{}`, {} rows; row n is the rule `{name}[n]`",
                format!("{:?}", t.hit).to_lowercase(),
                t.rows.len()
            );
        }
    }
    Some(out)
}

/// A serialisable enum's word as written in the catalog (`after_sale`).
fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn service(name: &str, catalog: &Catalog) -> Option<String> {
    let s = catalog.services.iter().find(|s| s.id == name)?;
    let mut out = format!(
        "**service** `{}` — {}\n\n{} · {} · {} · {}\n\ncost {}",
        s.id,
        s.name,
        s.category,
        word(&s.stage),
        word(&s.channel),
        word(&s.participation),
        s.cost
    );
    if let Some(capacity) = s.capacity {
        let _ = write!(out, " · capacity {capacity}");
    }
    if let Some(gain) = s.default_gain {
        let _ = write!(out, " · default gain {gain}");
    }
    if !s.effects.is_empty() {
        let effects: Vec<String> = s
            .effects
            .iter()
            .map(|(dimension, points)| format!("{dimension} {points:+}"))
            .collect();
        let _ = write!(out, "\n\neffects: {}", effects.join(", "));
    }
    if let Some(attribute) = &s.in_use {
        let _ = write!(out, "\n\n`uses({})` reads `{attribute}`", s.id);
    }
    if let Some(group) = &s.group {
        let _ = write!(out, "\n\nexclusive group `{group}`");
    }
    Some(out)
}

fn attribute(name: &str, catalog: &Catalog) -> Option<String> {
    let a = catalog
        .customer
        .attributes
        .iter()
        .find(|a| a.name == name)?;
    let kind = match a.kind {
        AttributeKind::Number => "number",
        AttributeKind::Bool => "yes/no",
        AttributeKind::Text => "text",
        AttributeKind::Category => "category",
    };
    let mut out = format!("**attribute** `{}`: {kind}", a.name);
    if !a.values.is_empty() {
        let values: Vec<String> = a.values.iter().map(|v| format!("\"{v}\"")).collect();
        let _ = write!(out, "\n\nvalues: {}", values.join(", "));
    }
    let _ = write!(out, "\n\ncolumn `{}`", a.column());
    if a.required {
        out.push_str(" · required");
    }
    Some(out)
}

fn preference(name: &str, catalog: &Catalog) -> Option<String> {
    let p = catalog
        .customer
        .preferences
        .iter()
        .find(|p| p.name == name)?;
    let mut out = format!("**preference** `pref.{}`", p.name);
    if let Some(label) = &p.label {
        let _ = write!(out, " — {label}");
    }
    let _ = write!(
        out,
        "\n\na weight from 0 to 1, read from column `{}`",
        p.column()
    );
    Some(out)
}

fn dimension(name: &str, catalog: &Catalog) -> Option<String> {
    let d = catalog
        .satisfaction
        .dimensions
        .iter()
        .find(|d| d.id == name)?;
    let mut out = format!("**dimension** `{}`", d.id);
    if let Some(label) = &d.name {
        let _ = write!(out, " — {label}");
    }
    if let Some(preference) = &d.preference {
        let _ = write!(out, "\n\nweighted by `pref.{preference}`");
    }
    for (what, items) in [
        ("perception", &d.perception),
        ("expectation", &d.expectation),
    ] {
        let Some(items) = items else { continue };
        let list = items.items(what);
        let names: Vec<String> = list
            .iter()
            .map(|(name, weight, _)| {
                if items.is_several() && *weight != 1.0 {
                    format!("`{name}` × {weight}")
                } else {
                    format!("`{name}`")
                }
            })
            .collect();
        if list.len() > 1 {
            let _ = write!(
                out,
                "\n\n{what}: the mean of {} (over those rated)",
                names.join(", ")
            );
        } else if let Some(name) = names.first() {
            let _ = write!(out, "\n\n{what}: {name}");
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::dimension;
    use crate::package::catalog::Catalog;

    #[test]
    fn a_dimension_names_its_items() {
        let catalog: Catalog = crate::base::yaml::parse(
            "package: t\nservices: []\ncustomer: { attributes: [] }\nsatisfaction:\n  dimensions:\n    - id: comfort\n      \
             perception: { seat: 2, legroom: 1 }\n      expectation: seat_expected\n",
            "the catalog",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let text = dimension("comfort", &catalog).unwrap_or_default();
        assert!(
            text.contains("perception: the mean of `seat` × 2, `legroom` (over those rated)"),
            "{text}"
        );
        assert!(text.contains("expectation: `seat_expected`"), "{text}");
    }
}
