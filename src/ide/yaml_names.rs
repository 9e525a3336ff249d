//! The names written in `catalog.yaml` and in the package's test case
//! files (`tests/*.yaml`).
//!
//! In: a file's text. Out: every place a service, attribute, preference or
//! dimension is declared or named in the catalog, and every place a test
//! case names a service, rule or segment (`expect: offers`, `made_by`,
//! `segments`...), with its byte range. The text is read by
//! [`yaml_scan`](crate::ide::yaml_scan), which keeps positions.

use crate::ide::names::SymbolKind;
use crate::ide::yaml_scan::{self, Written, unquote};
use std::ops::Range;

/// A name written in a YAML file of the package.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub kind: SymbolKind,
    pub name: String,
    pub range: Range<usize>,
    /// Declares the name (`- id: x` under `services:`), not a use of it.
    pub definition: bool,
}

fn push(found: &mut Vec<Found>, kind: SymbolKind, (name, at): (&str, usize), definition: bool) {
    if name.is_empty() {
        return;
    }
    found.push(Found {
        kind,
        name: name.to_string(),
        range: at..at + name.len(),
        definition,
    });
}

/// Every name the catalog declares or uses, in text order.
pub(crate) fn catalog(text: &str) -> Vec<Found> {
    use SymbolKind::{Attribute, Dimension, Preference, Service};
    let mut found = Vec::new();
    yaml_scan::scan(text, &mut |written| {
        let (path, key, value) = match written {
            Written::Pair { path, key, value } => (path, key, value),
            // A dimension's items as a list: `perception: [seat_comfort, legroom]`.
            Written::Item { path, value } => {
                if let [.., a, b, c] = path
                    && a == "satisfaction"
                    && b == "dimensions"
                    && (c == "perception" || c == "expectation")
                {
                    push(&mut found, Attribute, unquote(value), false);
                }
                return;
            }
        };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let (kind, definition) = match (path.as_slice(), key.0) {
            // The key itself names a dimension: `effects: { price: 6 }`.
            (["services", "effects"] | ["satisfaction", "weights"], _) => {
                push(&mut found, Dimension, key, false);
                return;
            }
            // Or an item of a dimension: `perception: { seat_comfort: 2 }`.
            (["satisfaction", "dimensions", "perception" | "expectation"], _) => {
                push(&mut found, Attribute, key, false);
                return;
            }
            (["services"], "id") => (Service, true),
            (["services"], "in_use") => (Attribute, false),
            (["customer"], "id")
            | (["channel_fit"], "attribute")
            | (["satisfaction"], "current") => (Attribute, false),
            (["customer", "attributes"], "name") => (Attribute, true),
            (["customer", "preferences"], "name") => (Preference, true),
            (["satisfaction", "dimensions"], "id") => (Dimension, true),
            (["satisfaction", "dimensions"], "preference") => (Preference, false),
            (["satisfaction", "dimensions"], "perception" | "expectation") => (Attribute, false),
            _ => return,
        };
        push(&mut found, kind, unquote(value), definition);
    });
    found
}

/// Every service, rule and segment a test case file names, and the
/// attributes and preferences its customers are given by name (a key that
/// is an input column names nothing declared), in text order.
pub(crate) fn cases(text: &str) -> Vec<Found> {
    use SymbolKind::{Attribute, Preference, Rule, Segment, Service};
    let mut found = Vec::new();
    yaml_scan::scan(text, &mut |written| match written {
        Written::Item { path, value } => {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let kind = match path.as_slice() {
                ["expect", "offers" | "includes" | "excludes" | "blocked"] => Service,
                ["expect", "segments" | "not_segments"] => Segment,
                _ => return,
            };
            push(&mut found, kind, unquote(value), false);
        }
        Written::Pair { path, key, value } => {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            match (path.as_slice(), key.0) {
                (["expect"], "top") => push(&mut found, Service, unquote(value), false),
                (["expect", "gain"], _) => push(&mut found, Service, key, false),
                (["expect", "made_by"], _) => {
                    push(&mut found, Service, key, false);
                    push(&mut found, Rule, unquote(value), false);
                }
                (["customer" | "with"], _) => match key.0.strip_prefix("pref.") {
                    Some(name) => push(&mut found, Preference, (name, key.1 + 5), false),
                    None => push(&mut found, Attribute, key, false),
                },
                _ => {}
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(SymbolKind, String, bool, String)> {
        catalog(text)
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
    fn a_dimension_s_items_name_attributes_as_a_list_or_a_map() {
        let text = "\
satisfaction:
  dimensions:
    - id: comfort
      perception: [seat_comfort, legroom]
      expectation:
        seat_expected: 2
";
        let attributes: Vec<String> = names(text)
            .into_iter()
            .filter(|(kind, ..)| *kind == SymbolKind::Attribute)
            .map(|(_, name, ..)| name)
            .collect();
        assert_eq!(attributes, ["seat_comfort", "legroom", "seat_expected"]);
    }

    #[test]
    fn the_bundled_catalog_declares_its_services_and_attributes() {
        let text = include_str!("../../rules/catalog.yaml");
        let found = catalog(text);
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

    #[test]
    fn test_cases_name_services_rules_and_segments() {
        let text = "\
- name: a
  customer: { tenure: 3, top: x, pref.price: 1 }
  expect:
    offers: [svc_a, \"svc_b\"]
    made_by: { svc_a: rule_a }
    gain:
      svc_b: { value: 2, tolerance: 0.1 }
    segments:
      - seg_a
    top: svc_a
";
        let found: Vec<(SymbolKind, String)> = cases(text)
            .into_iter()
            .inspect(|f| assert_eq!(text[f.range.clone()], f.name))
            .map(|f| (f.kind, f.name))
            .collect();
        use SymbolKind::*;
        let expect = |kind, name: &str| (kind, name.to_string());
        assert_eq!(
            found,
            [
                expect(Attribute, "tenure"),
                expect(Attribute, "top"),
                expect(Preference, "price"),
                expect(Service, "svc_a"),
                expect(Service, "svc_b"),
                expect(Service, "svc_a"),
                expect(Rule, "rule_a"),
                expect(Service, "svc_b"),
                expect(Segment, "seg_a"),
                expect(Service, "svc_a"),
            ]
        );
    }
}
