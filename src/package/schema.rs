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
        /// Both lists as words (see [`BoolWords`]), when no token is longer
        /// than 8 bytes.
        words: Option<BoolWords>,
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
    /// Slots of the required attributes, in order: every row is checked for
    /// them, and walking every field to find the few required ones cost
    /// about 400 instructions a row of the bundled sample.
    pub required: Box<[Slot]>,
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
                AttributeKind::Bool => {
                    let truthy = tokens(&attribute.true_values, &["true", "yes", "y", "1"]);
                    let falsy = tokens(&attribute.false_values, &["false", "no", "n", "0"]);
                    FieldKind::Bool {
                        words: BoolWords::new(&truthy, &falsy),
                        truthy,
                        falsy,
                    }
                }
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
        let required = (0..fields.len())
            .filter(|&slot| fields[slot].required)
            .map(crate::base::index::dense_u32)
            .collect();
        Schema {
            fields,
            attribute_count,
            symbols,
            id_slot,
            max_row_bytes: catalog.limits.max_row_bytes,
            required,
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

/// The tokens of a yes/no attribute, each packed in a word with its bytes
/// ASCII lower-cased: every yes/no field of every row is matched against
/// them, and comparing a word and a length per token costs a fraction of a
/// case-blind comparison of texts (the commonest cost of reading the
/// bundled sample's rows). Matches exactly as `eq_ignore_ascii_case` on
/// the texts, and in the same order (yes before no).
#[derive(Debug, Clone)]
pub(crate) struct BoolWords(Box<[(u64, usize, bool)]>);

impl BoolWords {
    /// None when a token is longer than a word.
    fn new(truthy: &[String], falsy: &[String]) -> Option<BoolWords> {
        let tokens = truthy
            .iter()
            .map(|t| (t, true))
            .chain(falsy.iter().map(|t| (t, false)));
        tokens
            .map(|(t, value)| Some((lower_word(t.as_bytes())?, t.len(), value)))
            .collect::<Option<Box<[_]>>>()
            .map(BoolWords)
    }

    /// The value `text` names, or None when it names none.
    #[inline]
    pub(crate) fn find(&self, text: &str) -> Option<bool> {
        // A longer text is none of the tokens.
        let word = lower_word(text.as_bytes())?;
        self.0
            .iter()
            .find(|&&(w, len, _)| w == word && len == text.len())
            .map(|&(_, _, value)| value)
    }
}

/// The value `text` names among lower-case yes and no tokens, compared as
/// texts without regard to ASCII case, yes first (None: it names none). What
/// [`BoolWords::find`] does with words, and what a list with a token longer
/// than a word is read with.
pub(crate) fn match_tokens(truthy: &[String], falsy: &[String], text: &str) -> Option<bool> {
    let matches = |tokens: &[String]| tokens.iter().any(|t| t.eq_ignore_ascii_case(text));
    if matches(truthy) {
        Some(true)
    } else if matches(falsy) {
        Some(false)
    } else {
        None
    }
}

/// Up to 8 bytes, ASCII lower-cased, in one word (None when longer).
#[inline]
fn lower_word(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(bytes) {
        *w = b.to_ascii_lowercase();
    }
    Some(u64::from_le_bytes(word))
}

fn tokens(given: &[String], default: &[&str]) -> Vec<String> {
    if given.is_empty() {
        default.iter().map(|s| (*s).to_string()).collect()
    } else {
        given.iter().map(|s| s.trim().to_lowercase()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_words_match_as_case_blind_texts() {
        let lists: [(&[&str], &[&str]); 4] = [
            (&["true", "yes", "y", "1"], &["false", "no", "n", "0"]),
            (&["oui", "sí", "是"], &["non", "否", ""]),
            (&["abcdefgh", "x"], &["x", "abcdefg"]),
            (&["ja"], &["nein", "ja"]),
        ];
        let texts = [
            "",
            "y",
            "Y",
            "yes",
            "YeS",
            "yes ",
            "no",
            "NO",
            "n",
            "0",
            "1",
            "10",
            "true",
            "TRUE",
            "truE",
            "false",
            "oui",
            "OUI",
            "sí",
            "SÍ",
            "Sí",
            "是",
            "否",
            "non",
            "abcdefgh",
            "ABCDEFGH",
            "abcdefghi",
            "abcdefg",
            "x",
            "X",
            "ja",
            "JA",
            "nein",
            "y\0",
            "\0",
            "@",
            "`",
            "[",
            "{",
        ];
        for (truthy, falsy) in lists {
            let truthy: Vec<String> = truthy.iter().map(|t| t.to_string()).collect();
            let falsy: Vec<String> = falsy.iter().map(|t| t.to_string()).collect();
            let words = BoolWords::new(&truthy, &falsy).expect("tokens of 8 bytes at most");
            for text in texts {
                assert_eq!(
                    words.find(text),
                    match_tokens(&truthy, &falsy, text),
                    "{text:?} against {truthy:?} / {falsy:?}"
                );
            }
        }
        let long = ["abcdefghi".to_string()];
        assert!(
            BoolWords::new(&long, &[]).is_none(),
            "a token longer than a word keeps the comparison of texts"
        );
    }

    /// Both readings of a yes/no field give the same values and errors:
    /// words for short tokens, texts for a list with a long one.
    #[test]
    fn yes_no_fields_read_alike_with_long_and_short_tokens() {
        let catalog = |tokens: &str| -> Catalog {
            let text = format!(
                "package: t\nservices:\n  \
                 - {{id: a, name: A, category: convenience, stage: in_sale, channel: omni, \
                 participation: passive, cost: 1}}\n\
                 customer:\n  attributes:\n    - {{name: flag, type: bool{tokens}}}\n"
            );
            serde_yaml::from_str(&text).unwrap()
        };
        let short = Schema::new(&catalog(", true_values: [Sure, ok], false_values: [nope]"));
        let long = Schema::new(&catalog(
            ", true_values: [Sure, ok, affirmative], false_values: [nope]",
        ));
        let words = |schema: &Schema| match &schema.fields[0].kind {
            FieldKind::Bool { words, .. } => words.is_some(),
            _ => false,
        };
        assert!(words(&short) && !words(&long));
        let read = |schema: &Schema, text: &str| {
            let mut customer = crate::package::customer::Customer::empty(schema);
            crate::package::customer::parse_text(schema, &mut customer, 0, text)
                .map(|()| format!("{:?}", customer.values[0]))
                .map_err(|e| e.to_string())
        };
        for text in [
            "sure",
            "SURE",
            " Ok ",
            "NoPe",
            "maybe",
            "affirmative",
            "yes",
        ] {
            let (a, b) = (read(&short, text), read(&long, text));
            if text == "affirmative" {
                assert!(
                    a.is_err() && b == Ok("Bool(true)".to_string()),
                    "{a:?} {b:?}"
                );
            } else {
                assert_eq!(a, b, "{text:?}");
            }
        }
        assert_eq!(read(&short, "sure"), Ok("Bool(true)".to_string()));
        assert_eq!(read(&short, "NoPe"), Ok("Bool(false)".to_string()));
        assert!(
            read(&short, "yes").is_err(),
            "the defaults give way to the list"
        );
    }
}
