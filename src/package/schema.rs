//! The customer schema as the engine uses it: every attribute and preference
//! gets a slot in a flat value vector, and every known text an integer symbol.
//!
//! In: a validated catalog. Out: slot and symbol tables shared by the checker,
//! the input readers and the evaluator, so no per-customer work looks up names.

use crate::package::catalog::{AttributeKind, Catalog};
use std::collections::HashMap;

/// Index of a value in a customer's flat value vector.
pub(crate) type Slot = u32;

/// Interned text: known texts (category values, string literals) get fixed ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(pub(crate) u32);

/// Texts known to the package, each with a stable [`Symbol`].
#[derive(Debug, Clone, Default)]
pub(crate) struct SymbolTable {
    ids: HashMap<Box<str>, u32>,
    texts: Vec<Box<str>>,
}

impl SymbolTable {
    pub(crate) fn intern(&mut self, text: &str) -> Symbol {
        if let Some(&id) = self.ids.get(text) {
            return Symbol(id);
        }
        let id = crate::base::index::dense_u32(self.texts.len());
        self.texts.push(text.into());
        self.ids.insert(text.into(), id);
        Symbol(id)
    }

    pub(crate) fn get(&self, text: &str) -> Option<Symbol> {
        self.ids.get(text).map(|&id| Symbol(id))
    }

    pub(crate) fn text(&self, symbol: Symbol) -> Option<&str> {
        self.texts.get(symbol.0 as usize).map(|t| &**t)
    }

    pub(crate) fn len(&self) -> u32 {
        crate::base::index::dense_u32(self.texts.len())
    }
}

/// How one input column is turned into a value.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub column: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Texts (lower-cased for bools) meaning "no value".
    pub missing: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum FieldKind {
    Number,
    /// A preference weight, a number from 0 to 1.
    Preference,
    Bool {
        truthy: Vec<String>,
        falsy: Vec<String>,
    },
    Text,
    Category {
        /// Allowed values as symbols, in declared order.
        values: Vec<Symbol>,
    },
}

/// Slots and symbols for one catalog.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// Attributes first, then preferences; the index is the slot.
    pub fields: Vec<Field>,
    pub attribute_count: u32,
    pub symbols: SymbolTable,
    /// Slot of the customer id attribute.
    pub id_slot: Option<Slot>,
    /// Longest customer row accepted (`limits.max_row_bytes`).
    pub max_row_bytes: usize,
}

impl Schema {
    pub(crate) fn new(catalog: &Catalog) -> Schema {
        let mut symbols = SymbolTable::default();
        let mut fields = Vec::new();
        for attribute in &catalog.customer.attributes {
            let kind = match attribute.kind {
                AttributeKind::Number => FieldKind::Number,
                AttributeKind::Text => FieldKind::Text,
                AttributeKind::Category => FieldKind::Category {
                    values: attribute.values.iter().map(|v| symbols.intern(v)).collect(),
                },
                AttributeKind::Bool => FieldKind::Bool {
                    truthy: tokens(&attribute.true_values, &["true", "yes", "y", "1"]),
                    falsy: tokens(&attribute.false_values, &["false", "no", "n", "0"]),
                },
            };
            fields.push(Field {
                name: attribute.name.clone(),
                column: attribute.column().to_string(),
                kind,
                required: attribute.required,
                missing: attribute
                    .missing_values
                    .iter()
                    .map(|m| m.trim().to_string())
                    .collect(),
            });
        }
        let attribute_count = crate::base::index::dense_u32(fields.len());
        for preference in &catalog.customer.preferences {
            fields.push(Field {
                name: preference.name.clone(),
                column: preference.column(),
                kind: FieldKind::Preference,
                required: false,
                missing: Vec::new(),
            });
        }
        let id_slot = catalog.customer.id.as_ref().and_then(|id| {
            catalog
                .customer
                .attributes
                .iter()
                .position(|a| &a.name == id)
                .and_then(|i| u32::try_from(i).ok())
        });
        Schema {
            fields,
            attribute_count,
            symbols,
            id_slot,
            max_row_bytes: catalog.limits.max_row_bytes,
        }
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<Slot> {
        self.fields[..self.attribute_count as usize]
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u32::try_from(i).ok())
    }

    pub(crate) fn preference(&self, name: &str) -> Option<Slot> {
        self.fields[self.attribute_count as usize..]
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| i + self.attribute_count)
    }

    pub(crate) fn field(&self, slot: Slot) -> Option<&Field> {
        self.fields.get(slot as usize)
    }

    pub(crate) fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.fields[..self.attribute_count as usize]
            .iter()
            .map(|f| f.name.as_str())
    }

    pub(crate) fn preference_names(&self) -> impl Iterator<Item = &str> {
        self.fields[self.attribute_count as usize..]
            .iter()
            .map(|f| f.name.as_str())
    }
}

fn tokens(given: &[String], default: &[&str]) -> Vec<String> {
    if given.is_empty() {
        default.iter().map(|s| (*s).to_string()).collect()
    } else {
        given.iter().map(|s| s.trim().to_lowercase()).collect()
    }
}
