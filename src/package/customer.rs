//! Customers as the engine sees them: a flat vector of typed values, one per
//! schema slot, with texts interned to symbols when they are read.
//!
//! In: raw values (CSV text, JSON, or typed values from code). Out: a
//! [`Customer`], or a [`FieldError`] saying which value was wrong and why.

use crate::base::diagnostic::closest;
use crate::package::schema::{Field, FieldKind, Schema, Slot, Symbol};
use std::fmt;

/// One value of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Value {
    /// No value was given.
    #[default]
    Missing,
    /// A number.
    Number(f64),
    /// Yes or no.
    Bool(bool),
    /// A text, interned.
    Text(Symbol),
}

/// A customer ready to evaluate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub(crate) values: Vec<Value>,
    /// Texts the package does not know; their symbols follow the package's.
    pub(crate) local_texts: LocalTexts,
}

/// A customer's own texts, in one buffer that is reused from customer to
/// customer, so reading a row allocates nothing once the buffer has grown.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LocalTexts {
    buffer: String,
    ends: Vec<usize>,
}

impl LocalTexts {
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 {
            0
        } else {
            *self.ends.get(index - 1)?
        };
        self.buffer.get(start..end)
    }

    /// The text behind a symbol: the package's own first, then this customer's.
    pub(crate) fn resolve<'a>(
        &'a self,
        symbols: &'a crate::package::schema::SymbolTable,
        symbol: Symbol,
    ) -> &'a str {
        let base = symbols.len();
        if symbol.0 < base {
            symbols.text(symbol).unwrap_or("")
        } else {
            self.get((symbol.0 - base) as usize).unwrap_or("")
        }
    }

    fn position(&self, text: &str) -> Option<usize> {
        (0..self.ends.len()).find(|&i| self.get(i) == Some(text))
    }

    fn push(&mut self, text: &str) -> usize {
        self.buffer.push_str(text);
        self.ends.push(self.buffer.len());
        self.ends.len() - 1
    }

    fn clear(&mut self) {
        self.buffer.clear();
        self.ends.clear();
    }
}

impl Customer {
    pub(crate) fn empty(schema: &Schema) -> Customer {
        Customer {
            values: vec![Value::Missing; schema.fields.len()],
            local_texts: LocalTexts::default(),
        }
    }

    /// Clears every value, keeping the allocations for the next customer.
    pub(crate) fn reset(&mut self, schema: &Schema) {
        self.values.clear();
        self.values.resize(schema.fields.len(), Value::Missing);
        self.local_texts.clear();
    }

    /// Interns a text: package symbols first, then this customer's own texts.
    pub(crate) fn intern(&mut self, schema: &Schema, text: &str) -> Symbol {
        if let Some(symbol) = schema.symbols.get(text) {
            return symbol;
        }
        let base = schema.symbols.len();
        let index = match self.local_texts.position(text) {
            Some(i) => i,
            None => self.local_texts.push(text),
        };
        Symbol(base + u32::try_from(index).unwrap_or(0))
    }

    /// The value in a slot.
    pub(crate) fn get(&self, slot: Slot) -> Value {
        self.values
            .get(slot as usize)
            .copied()
            .unwrap_or(Value::Missing)
    }

    pub(crate) fn set(&mut self, slot: Slot, value: Value) {
        if let Some(v) = self.values.get_mut(slot as usize) {
            *v = value;
        }
    }

    /// The text behind a symbol of this customer.
    pub(crate) fn text<'a>(&'a self, schema: &'a Schema, symbol: Symbol) -> &'a str {
        self.local_texts.resolve(&schema.symbols, symbol)
    }

    /// Checks that every required attribute has a value.
    pub(crate) fn check_required(&self, schema: &Schema) -> Result<(), FieldError> {
        self.check_required_given(schema, |_| true)
    }

    /// Checks that every required attribute has a value: an empty one is
    /// [`Problem::MissingRequired`], one whose slot `given` says was never
    /// given is [`Problem::NotGiven`].
    fn check_required_given(
        &self,
        schema: &Schema,
        given: impl Fn(usize) -> bool,
    ) -> Result<(), FieldError> {
        for &slot in schema.required.iter() {
            let slot = slot as usize;
            let Some(field) = schema.fields.get(slot) else {
                continue;
            };
            if self.values.get(slot) == Some(&Value::Missing) {
                return Err(FieldError {
                    field: field.name.clone(),
                    column: field.column.clone(),
                    problem: if given(slot) {
                        Problem::MissingRequired
                    } else {
                        Problem::NotGiven
                    },
                });
            }
        }
        Ok(())
    }

    /// The required attributes without a value, as (attribute, column):
    /// only a hand-typed customer (see [`from_json_object`]) can have any.
    pub(crate) fn missing_required<'s>(
        &self,
        schema: &'s Schema,
    ) -> impl Iterator<Item = (&'s str, &'s str)> {
        schema
            .fields
            .iter()
            .zip(&self.values)
            .filter(|(f, v)| f.required && **v == Value::Missing)
            .map(|(f, _)| (f.name.as_str(), f.column.as_str()))
    }
}

/// A value that could not be read into its attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Attribute or preference name.
    pub field: String,
    /// Input column it was read from.
    pub column: String,
    /// What was wrong.
    pub problem: Problem,
}

/// What was wrong with a value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// Not a number.
    NotANumber(String),
    /// A preference outside 0..1.
    PreferenceOutOfRange(f64),
    /// Not a recognised yes/no text.
    NotABool(String),
    /// Not one of the category's values.
    NotInCategory {
        /// What was given.
        got: String,
        /// The closest allowed value, if any.
        suggestion: Option<String>,
        /// All allowed values.
        allowed: Vec<String>,
    },
    /// A required attribute's value is empty (an empty CSV cell, `""` or `null`).
    MissingRequired,
    /// A required attribute was not given at all (no such key in a JSON
    /// Lines row, never set on a builder): said apart from an empty value,
    /// because what to fix differs (add the key, not fill the cell).
    NotGiven,
    /// The attribute name is not in the schema (builder and JSON input).
    UnknownField(Option<String>),
    /// The JSON value has the wrong shape (an array, an object...).
    WrongJsonType(String),
    /// A JSON object has the key twice (JSON Lines input).
    DuplicateKey,
}

impl fmt::Display for FieldError {
    /// The message, with control characters of the data shown as pictures
    /// (see `render::printable`): it quotes what the customer file holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_plain(&mut text)?;
        f.write_str(&crate::base::render::printable(&text))
    }
}

impl FieldError {
    fn write_plain(&self, f: &mut String) -> fmt::Result {
        use std::fmt::Write as _;
        let at = if self.column == self.field {
            format!("`{}`", self.field)
        } else {
            format!("`{}` (attribute `{}`)", self.column, self.field)
        };
        match &self.problem {
            Problem::NotANumber(got) => write!(f, "{at}: expected a number, found `{got}`"),
            Problem::PreferenceOutOfRange(v) => {
                write!(f, "{at}: preference weights run from 0 to 1, found {v}")
            }
            Problem::NotABool(got) => write!(f, "{at}: expected yes or no, found `{got}`"),
            Problem::NotInCategory {
                got,
                suggestion,
                allowed,
            } => {
                write!(f, "{at}: `{got}` is not one of {}", allowed.join(", "))?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            Problem::MissingRequired => {
                write!(f, "{at}: a value is required but the field is empty")
            }
            Problem::NotGiven => write!(
                f,
                "{at}: a value is required but was not given (add `{}` to the customer)",
                self.column
            ),
            Problem::UnknownField(suggestion) => {
                write!(f, "{at}: the schema has no such attribute")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            Problem::WrongJsonType(got) => write!(f, "{at}: expected a single value, found {got}"),
            Problem::DuplicateKey => write!(
                f,
                "the key `{}` is in the object twice (keep one: which value is meant is not clear)",
                self.column
            ),
        }
    }
}

impl std::error::Error for FieldError {}

/// Reads one text value into a slot, following the field's type.
pub(crate) fn parse_text(
    schema: &Schema,
    customer: &mut Customer,
    slot: Slot,
    raw: &str,
) -> Result<(), FieldError> {
    let Some(field) = schema.field(slot) else {
        return Ok(());
    };
    let text = trim(raw);
    if text.is_empty() || field.missing.iter().any(|m| m == text) {
        customer.set(slot, Value::Missing);
        return Ok(());
    }
    let error = |problem| FieldError {
        field: field.name.clone(),
        column: field.column.clone(),
        problem,
    };
    let value = match &field.kind {
        FieldKind::Number => {
            Value::Number(parse_number(text).ok_or_else(|| error(Problem::NotANumber(clip(text))))?)
        }
        FieldKind::Preference => {
            let n = parse_number(text).ok_or_else(|| error(Problem::NotANumber(clip(text))))?;
            if !(0.0..=1.0).contains(&n) {
                return Err(error(Problem::PreferenceOutOfRange(n)));
            }
            Value::Number(n)
        }
        FieldKind::Bool {
            truthy,
            falsy,
            words,
        } => {
            // Tokens are stored lower-case; compared without allocating.
            let found = match words {
                Some(words) => words.find(text),
                None => crate::package::schema::match_tokens(truthy, falsy, text),
            };
            match found {
                Some(b) => Value::Bool(b),
                None => return Err(error(Problem::NotABool(clip(text)))),
            }
        }
        // A category has a handful of values: comparing them beats hashing.
        FieldKind::Category { values } => match values
            .iter()
            .find(|v| schema.symbols.text(**v) == Some(text))
        {
            Some(symbol) => Value::Text(*symbol),
            None => return Err(error(category_problem(schema, values, text))),
        },
        FieldKind::Text => Value::Text(customer.intern(schema, text)),
    };
    customer.set(slot, value);
    Ok(())
}

/// `text.trim()`, without walking the text as chars when it has no space
/// at either end (the common case, and `trim` showed in the profile of
/// reading JSON Lines).
fn trim(text: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace());
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

fn category_problem(schema: &Schema, values: &[Symbol], text: &str) -> Problem {
    let allowed: Vec<String> = values
        .iter()
        .filter_map(|v| schema.symbols.text(*v))
        .map(str::to_string)
        .collect();
    let suggestion = closest(text, allowed.iter().map(String::as_str)).map(str::to_string);
    Problem::NotInCategory {
        got: clip(text),
        suggestion,
        allowed,
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Keeps error messages short whatever the input.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

/// Reads a JSON value into a slot.
pub(crate) fn parse_json(
    schema: &Schema,
    customer: &mut Customer,
    slot: Slot,
    value: &serde_json::Value,
) -> Result<(), FieldError> {
    let Some(field) = schema.field(slot) else {
        return Ok(());
    };
    match value {
        serde_json::Value::Null => {
            customer.set(slot, Value::Missing);
            Ok(())
        }
        serde_json::Value::String(s) => parse_text(schema, customer, slot, s),
        serde_json::Value::Bool(b) => match field.kind {
            FieldKind::Bool { .. } => {
                customer.set(slot, Value::Bool(*b));
                Ok(())
            }
            _ => parse_text(schema, customer, slot, if *b { "true" } else { "false" }),
        },
        serde_json::Value::Number(n) => parse_text(schema, customer, slot, &n.to_string()),
        other => Err(FieldError {
            field: field.name.clone(),
            column: field.column.clone(),
            problem: Problem::WrongJsonType(
                if other.is_array() {
                    "a list"
                } else {
                    "an object"
                }
                .to_string(),
            ),
        }),
    }
}

/// Typed input for [`CustomerBuilder::set`].
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A number.
    Number(f64),
    /// Yes or no.
    Bool(bool),
    /// A text (also parsed into numbers and bools when the attribute wants one).
    Text(String),
}

impl From<f64> for Input {
    fn from(v: f64) -> Self {
        Input::Number(v)
    }
}
impl From<i64> for Input {
    fn from(v: i64) -> Self {
        Input::Number(v as f64)
    }
}
impl From<i32> for Input {
    fn from(v: i32) -> Self {
        Input::Number(f64::from(v))
    }
}
impl From<bool> for Input {
    fn from(v: bool) -> Self {
        Input::Bool(v)
    }
}
impl From<&str> for Input {
    fn from(v: &str) -> Self {
        Input::Text(v.to_string())
    }
}
impl From<String> for Input {
    fn from(v: String) -> Self {
        Input::Text(v)
    }
}

/// Builds a customer attribute by attribute, by schema name
/// (`pref.NAME` or `NAME` for preferences).
pub struct CustomerBuilder<'e> {
    schema: &'e Schema,
    customer: Customer,
    /// Per slot, whether `set` was called for it.
    given: Vec<bool>,
    error: Option<FieldError>,
}

impl<'e> CustomerBuilder<'e> {
    pub(crate) fn new(schema: &'e Schema) -> Self {
        CustomerBuilder {
            schema,
            customer: Customer::empty(schema),
            given: vec![false; schema.fields.len()],
            error: None,
        }
    }

    /// Sets one attribute or preference; errors surface in [`build`](Self::build).
    pub fn set(mut self, name: &str, value: impl Into<Input>) -> Self {
        if self.error.is_some() {
            return self;
        }
        let slot = name
            .strip_prefix("pref.")
            .and_then(|p| self.schema.preference(p))
            .or_else(|| self.schema.attribute(name))
            .or_else(|| self.schema.preference(name));
        let Some(slot) = slot else {
            let names = self.schema.fields.iter().map(|f: &Field| f.name.as_str());
            self.error = Some(FieldError {
                field: name.to_string(),
                column: name.to_string(),
                problem: Problem::UnknownField(closest(name, names).map(str::to_string)),
            });
            return self;
        };
        if let Some(given) = self.given.get_mut(slot as usize) {
            *given = true;
        }
        let result = match value.into() {
            Input::Text(t) => parse_text(self.schema, &mut self.customer, slot, &t),
            Input::Number(n) => parse_json(
                self.schema,
                &mut self.customer,
                slot,
                &serde_json::Number::from_f64(n)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ),
            Input::Bool(b) => parse_json(
                self.schema,
                &mut self.customer,
                slot,
                &serde_json::Value::Bool(b),
            ),
        };
        self.error = result.err();
        self
    }

    /// The customer, or the first value that could not be read.
    pub fn build(self) -> Result<Customer, FieldError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let given = &self.given;
        self.customer
            .check_required_given(self.schema, |slot| given.get(slot) == Some(&true))?;
        Ok(self.customer)
    }
}

/// Reads a customer from a JSON object keyed by input column; attribute names
/// (and `pref.NAME` for preferences) are accepted too. Keys the schema does not know are ignored.
///
/// The object is a customer typed by hand (`explain --json`, a rule test
/// case, a request to the library), not a row of a customer file: a
/// required attribute it leaves out is a missing value, as an optional one
/// is, so a few keys are enough to ask what such a customer would get
/// (`explain` lists the required ones left out). A required attribute given
/// with an empty value (`""`, `null`) is still an error, as in a file.
pub(crate) fn from_json_object(
    schema: &Schema,
    object: &serde_json::Value,
) -> Result<Customer, FieldError> {
    let mut customer = Customer::empty(schema);
    let given = fill_json_object(schema, &mut customer, object)?;
    let empty = schema
        .fields
        .iter()
        .zip(&customer.values)
        .zip(&given)
        .find(|((f, v), given)| f.required && **given && **v == Value::Missing);
    if let Some(((field, _), _)) = empty {
        return Err(FieldError {
            field: field.name.clone(),
            column: field.column.clone(),
            problem: Problem::MissingRequired,
        });
    }
    Ok(customer)
}

/// Which slots a JSON key fills, each with its precedence: 0 for the
/// column, 1 for the attribute's name, 2 for `pref.NAME` (a preference).
/// Built once per file, so that a row is read key by key into its slots
/// instead of first into a tree of JSON values.
///
/// Every key of every row is looked up, so the map hashes with foldhash
/// rather than SipHash, which showed in the profile of reading JSON Lines.
/// Its keys are the schema's, fixed before any row is read, so a
/// row's keys cannot make the map's probing grow.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonKeys {
    by_key: KeyMap,
    /// The map's keys and targets by number, for the keys predicted from
    /// the row before (see [`SlotValues`]).
    entries: Vec<(String, Vec<(Slot, u8)>)>,
    /// Per entry, whether its key has no quote, backslash or control
    /// character, so that it can be matched in a row's text as it is.
    plain: Vec<bool>,
    /// Per slot, whether a JSON number is read as it is: a number or a
    /// preference none of whose "missing" codes reads as a number. Its text
    /// would parse back to the same f64 (shortest round trip), so the text
    /// is only written out where a code could match it.
    numbers_direct: Vec<bool>,
}

/// The slots a key fills, each with its precedence.
type Targets = Vec<(Slot, u8)>;

type KeyMap<V = u32> = std::collections::HashMap<String, V, foldhash::fast::RandomState>;

impl JsonKeys {
    pub(crate) fn new(schema: &Schema) -> JsonKeys {
        let mut by_key: KeyMap<Vec<(Slot, u8)>> = KeyMap::default();
        for (slot, field) in schema.fields.iter().enumerate() {
            let slot = crate::base::index::dense_u32(slot);
            by_key
                .entry(field.column.clone())
                .or_default()
                .push((slot, 0));
            by_key
                .entry(field.name.clone())
                .or_default()
                .push((slot, 1));
            if matches!(field.kind, FieldKind::Preference) {
                by_key
                    .entry(format!("pref.{}", field.name))
                    .or_default()
                    .push((slot, 2));
            }
        }
        let numbers_direct = schema
            .fields
            .iter()
            .map(|field| {
                matches!(field.kind, FieldKind::Number | FieldKind::Preference)
                    && field
                        .missing
                        .iter()
                        .all(|m| parse_number(m.trim()).is_none())
            })
            .collect();
        // A column spelled as its attribute's name is one key for one slot:
        // its best rank alone says the same (a second sight of the key sets
        // that rank's bit again), and makes the usual key one target.
        for targets in by_key.values_mut() {
            targets.sort_unstable();
            targets.dedup_by_key(|(slot, _)| *slot);
        }
        let entries: Vec<(String, Vec<(Slot, u8)>)> = by_key.drain().collect();
        let by_key = entries
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (key.clone(), crate::base::index::dense_u32(i)))
            .collect();
        let plain = entries
            .iter()
            .map(|(key, _)| first_special(key.as_bytes()).is_none())
            .collect();
        JsonKeys {
            by_key,
            entries,
            plain,
            numbers_direct,
        }
    }
}

/// A JSON object key, borrowed from the line when it has no escapes.
struct JsonKey<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for JsonKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = JsonKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonKey(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonKey(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// One JSON value as a row holds it, without building a tree: a string is
/// borrowed from the line when it has no escapes, a number is kept as the
/// parser read it, and a list or an object is skipped over (it is refused
/// anyway) and only its kind kept.
#[derive(Debug, Clone)]
enum JsonScalar<'de> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(std::borrow::Cow<'de, str>),
    List,
    Object,
}

impl<'de> serde::Deserialize<'de> for JsonScalar<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> serde::de::Visitor<'de> for ScalarVisitor {
            type Value = JsonScalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(JsonScalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(JsonScalar::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(JsonScalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(JsonScalar::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(JsonScalar::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                serde_json::Number::from_f64(v)
                    .map(JsonScalar::Number)
                    .ok_or_else(|| E::custom("a number that is not finite"))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonScalar::Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonScalar::Text(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(JsonScalar::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(JsonScalar::Object)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Reads one JSON value into a slot, as [`parse_json`] reads the same value
/// from a parsed object.
fn parse_json_scalar(
    schema: &Schema,
    keys: &JsonKeys,
    customer: &mut Customer,
    slot: Slot,
    value: &JsonScalar<'_>,
) -> Result<(), FieldError> {
    let Some(field) = schema.field(slot) else {
        return Ok(());
    };
    match value {
        JsonScalar::Null => {
            customer.set(slot, Value::Missing);
            Ok(())
        }
        JsonScalar::Text(s) => parse_text(schema, customer, slot, s),
        JsonScalar::Bool(b) => match field.kind {
            FieldKind::Bool { .. } => {
                customer.set(slot, Value::Bool(*b));
                Ok(())
            }
            _ => parse_text(schema, customer, slot, if *b { "true" } else { "false" }),
        },
        JsonScalar::Number(n) => match n.as_f64() {
            Some(v)
                if keys.numbers_direct.get(slot as usize) == Some(&true)
                    && v.is_finite()
                    && (matches!(field.kind, FieldKind::Number) || (0.0..=1.0).contains(&v)) =>
            {
                customer.set(slot, Value::Number(v));
                Ok(())
            }
            // Texts, codes that may match, and the errors, as the text reads
            // (an integer, such as a 0/1 flag, written without allocating).
            _ => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => parse_text(schema, customer, slot, itoa::Buffer::new().format(u)),
                (None, Some(i)) => {
                    parse_text(schema, customer, slot, itoa::Buffer::new().format(i))
                }
                _ => parse_text(schema, customer, slot, &n.to_string()),
            },
        },
        JsonScalar::List | JsonScalar::Object => Err(FieldError {
            field: field.name.clone(),
            column: field.column.clone(),
            problem: Problem::WrongJsonType(
                if matches!(value, JsonScalar::List) {
                    "a list"
                } else {
                    "an object"
                }
                .to_string(),
            ),
        }),
    }
}

/// Per slot, the value of the key of highest precedence, read from the
/// object's keys in one pass, with the ranks seen (a bit each) to find a key
/// the schema reads given twice; the first such key is returned too.
struct SlotValues<'k, 'de> {
    keys: &'k JsonKeys,
    found: Vec<FoundSlot<'de>>,
}

type Found<'de> = (Vec<FoundSlot<'de>>, Option<String>);

impl<'de> serde::de::Visitor<'de> for SlotValues<'_, 'de> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> Result<Self::Value, A::Error> {
        let mut twice = None;
        let mut order = KEY_ORDER.take();
        let mut position = 0;
        while let Some(JsonKey(key)) = map.next_key::<JsonKey<'de>>()? {
            let targets = self.keys.find(&mut order, position, &key);
            position += 1;
            let Some(targets) = targets else {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            let value: JsonScalar<'de> = map.next_value()?;
            record(&mut self.found, targets, &key, value, &mut twice);
        }
        KEY_ORDER.set(order);
        Ok((self.found, twice))
    }
}

/// Keeps `value` of `key` for the slots it fills, by precedence, and
/// notes the first key the schema reads given twice. Inlined into the
/// scanner's loop: as a call, moving the value in and out of the call cost
/// about 50 instructions a key.
#[inline(always)]
fn record<'de>(
    found: &mut [FoundSlot<'de>],
    targets: &[(Slot, u8)],
    key: &str,
    value: JsonScalar<'de>,
    twice: &mut Option<String>,
) {
    // The usual key: one slot, first seen; the value moves in, no clone.
    if let [(slot, rank)] = *targets
        && let Some((seen, entry)) = found.get_mut(slot as usize)
        && *seen == 0
    {
        *seen = 1 << rank;
        *entry = Some((rank, value));
        return;
    }
    for &(slot, rank) in targets {
        if let Some((seen, entry)) = found.get_mut(slot as usize) {
            let bit = 1u8 << rank;
            if *seen & bit != 0 && twice.is_none() {
                *twice = Some(key.to_string());
            }
            *seen |= bit;
            if entry.as_ref().is_none_or(|(held, _)| rank <= *held) {
                *entry = Some((rank, value.clone()));
            }
        }
    }
}

/// The usual row read by hand: one flat object whose keys and texts have no
/// escapes, whose values are texts, numbers, `true`, `false` or `null`.
/// None for anything else (an escape, a list or an object as a value, a
/// control character in a text, any syntax error): the row is then read by
/// serde_json, which gives the same values or the exact error. Numbers are
/// checked against JSON's grammar here and converted by serde_json, so they
/// read to the same bits either way.
fn scan_flat_object<'de>(
    keys: &JsonKeys,
    text: &'de str,
    found: &mut [FoundSlot<'de>],
) -> Option<Option<String>> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(bytes, at + 1);
    let mut twice = None;
    if bytes.get(at) == Some(&b'}') {
        return (skip_space(bytes, at + 1) == bytes.len()).then_some(twice);
    }
    let mut order = KEY_ORDER.take();
    let scanned = (|| {
        let mut position = 0;
        loop {
            let (key, targets, after) = match keys.predicted(&order, position, text, at) {
                Some((key, targets, after)) => (key, Some(targets), after),
                None => {
                    let (key, after) = plain_string(text, at)?;
                    (key, keys.find(&mut order, position, key), after)
                }
            };
            position += 1;
            at = skip_space(bytes, after);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            at = skip_space(bytes, at + 1);
            let (value, after) = scalar(text, at)?;
            if let Some(targets) = targets {
                record(found, targets, key, value, &mut twice);
            }
            at = skip_space(bytes, after);
            match bytes.get(at) {
                Some(b',') => at = skip_space(bytes, at + 1),
                Some(b'}') => return Some(()),
                _ => return None,
            }
        }
    })();
    KEY_ORDER.set(order);
    scanned?;
    (skip_space(bytes, at + 1) == bytes.len()).then_some(twice)
}

/// Past JSON's white space from `at`.
#[inline]
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The string opening at `at`, when it has no escape and no control
/// character; and where it ends.
#[inline]
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + first_special(bytes.get(start..)?)?;
    if bytes.get(end) != Some(&b'"') {
        return None;
    }
    // The quotes are ASCII, so both ends are character boundaries.
    Some((text.get(start..end)?, end + 1))
}

/// Where the first quote, backslash or control character of `bytes` is,
/// eight bytes at a time (the usual word-at-a-time tests, exact for the
/// first byte found).
#[inline]
fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let found = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let rest = words.remainder();
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| offset + i)
}

/// The scalar value at `at`, and where it ends.
#[inline]
fn scalar(text: &str, at: usize) -> Option<(JsonScalar<'_>, usize)> {
    let bytes = text.as_bytes();
    let word = |w: &[u8], value: JsonScalar<'static>| {
        (bytes.get(at..at + w.len()) == Some(w)).then_some((value, at + w.len()))
    };
    match bytes.get(at)? {
        b'"' => plain_string(text, at)
            .map(|(s, end)| (JsonScalar::Text(std::borrow::Cow::Borrowed(s)), end)),
        b'n' => word(b"null", JsonScalar::Null),
        b't' => word(b"true", JsonScalar::Bool(true)),
        b'f' => word(b"false", JsonScalar::Bool(false)),
        b'-' | b'0'..=b'9' => {
            let end = number_end(bytes, at)?;
            let digits = text.get(at..end)?;
            let number = match small_integer(digits) {
                Some(n) => n,
                None => digits.parse().ok()?,
            };
            Some((JsonScalar::Number(number), end))
        }
        _ => None,
    }
}

/// A JSON integer of at most 18 digits, as serde_json reads it (an
/// unsigned integer, or a negative one; `-0` is left to serde_json, which
/// reads it as the float -0.0).
#[inline]
fn small_integer(text: &str) -> Option<serde_json::Number> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits
        .bytes()
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    match (negative, value) {
        (false, v) => Some(v.into()),
        (true, 0) => None,
        // 18 digits are below 2^63: the negation fits.
        (true, v) => Some((-(v as i64)).into()),
    }
}

/// The end of the JSON number at `at`: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
#[inline]
fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let digits = |from: usize| {
        let n = bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        });
        (n > 0).then_some(from + n)
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    at = match bytes.get(at)? {
        b'0' => at + 1,
        b'1'..=b'9' => digits(at)?,
        _ => return None,
    };
    if bytes.get(at) == Some(&b'.') {
        at = digits(at + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = digits(at)?;
    }
    Some(at)
}

/// Keys predicted from the row before, per position; more are not kept.
const PREDICTED_KEYS: usize = 1024;

/// No key of the map at this position.
const NO_KEY: u32 = u32::MAX;

thread_local! {
    /// Per position in the last row read on this thread, which of the map's
    /// keys was there ([`NO_KEY`] for none).
    static KEY_ORDER: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

impl JsonKeys {
    /// When the row holds at `at` the key that was at this `position` in
    /// the row before, written plainly: the key, its targets and where it
    /// ends, without scanning the string first. Only keys with no quote,
    /// backslash or control character are tried, so the text matched is the
    /// whole string, with no escape in it.
    #[inline]
    fn predicted<'t>(
        &self,
        order: &[u32],
        position: usize,
        text: &'t str,
        at: usize,
    ) -> Option<(&'t str, &Targets, usize)> {
        let entry = *order.get(position)? as usize;
        let (key, targets) = self.entries.get(entry)?;
        let bytes = text.as_bytes();
        let start = at + 1;
        let end = start + key.len();
        if bytes.get(at) == Some(&b'"')
            && bytes.get(end) == Some(&b'"')
            && self.plain.get(entry) == Some(&true)
            && same_key(bytes.get(start..end)?, key.as_bytes())
        {
            return Some((text.get(start..end)?, targets, end + 1));
        }
        None
    }

    /// The targets of `key`, the `position`th key of its row. The rows of a
    /// file mostly give their keys in the same order, so the key at the
    /// same place in the row before is tried first: one comparison instead
    /// of hashing, probing and a comparison (they showed in the profile).
    /// A prediction is only a guess, checked against the key's text, so a
    /// table left by another schema on this thread is harmless.
    #[inline]
    fn find(&self, order: &mut Vec<u32>, position: usize, key: &str) -> Option<&Vec<(Slot, u8)>> {
        if let Some(&predicted) = order.get(position)
            && let Some((text, targets)) = self.entries.get(predicted as usize)
            && same_key(text.as_bytes(), key.as_bytes())
        {
            return Some(targets);
        }
        let found = self.by_key.get(key).copied();
        if position < PREDICTED_KEYS {
            if order.len() <= position {
                order.resize(position + 1, NO_KEY);
            }
            order[position] = found.unwrap_or(NO_KEY);
        }
        found.and_then(|i| self.entries.get(i as usize).map(|(_, targets)| targets))
    }
}

/// `a == b`, inline for keys of 8 to 32 bytes (two or four overlapping
/// 8-byte loads each side) rather than a call to memcmp.
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

/// Fills `customer` from one JSON Lines row, as [`fill_from_json`] does from
/// the parsed object, without building the object. None when the row is not
/// a well-formed JSON object: the caller then parses it the slow way, which
/// gives the exact error.
pub(crate) fn fill_from_json_text(
    schema: &Schema,
    keys: &JsonKeys,
    customer: &mut Customer,
    text: &str,
) -> Option<Result<(), FieldError>> {
    use serde::Deserializer as _;
    let mut found = SPARE_FOUND.take();
    found.clear();
    found.resize(schema.fields.len(), (0, None));
    if let Some(twice) = scan_flat_object(keys, text, &mut found) {
        let result = match twice {
            Some(key) => Err(FieldError {
                field: key.clone(),
                column: key,
                problem: Problem::DuplicateKey,
            }),
            None => fill_found(schema, keys, customer, &found),
        };
        recycle_found(found);
        return Some(result);
    }
    // Not the usual row: read by serde_json, from a clean table.
    found.clear();
    found.resize(schema.fields.len(), (0, None));
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer
        .deserialize_map(SlotValues { keys, found })
        .ok()
        .and_then(|(found, twice)| {
            let result = match (deserializer.end(), twice) {
                (Err(_), _) => None,
                (Ok(()), Some(key)) => Some(Err(FieldError {
                    field: key.clone(),
                    column: key,
                    problem: Problem::DuplicateKey,
                })),
                (Ok(()), None) => Some(fill_found(schema, keys, customer, &found)),
            };
            recycle_found(found);
            result
        })
}

/// Reads the values found per slot, then checks the required ones.
fn fill_found(
    schema: &Schema,
    keys: &JsonKeys,
    customer: &mut Customer,
    found: &[FoundSlot<'_>],
) -> Result<(), FieldError> {
    for (slot, (_, entry)) in found.iter().enumerate() {
        if let Some((_, value)) = entry {
            parse_json_scalar(
                schema,
                keys,
                customer,
                crate::base::index::dense_u32(slot),
                value,
            )?;
        }
    }
    customer.check_required_given(schema, |slot| {
        found.get(slot).is_some_and(|(_, entry)| entry.is_some())
    })
}

/// Per slot: the ranks of the keys seen, and the value of the best one.
type FoundSlot<'de> = (u8, Option<(u8, JsonScalar<'de>)>);

thread_local! {
    /// The per-slot table of the last row read on this thread, emptied, so
    /// that a row does not allocate one (it showed in the profile).
    static SPARE_FOUND: std::cell::Cell<Vec<FoundSlot<'static>>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// Keeps a table's allocation for the next row: emptied, its borrowed values
/// are gone, and collecting an emptied vector into one of a type of the same
/// size reuses its allocation.
fn recycle_found(mut found: Vec<FoundSlot<'_>>) {
    found.clear();
    let spare: Vec<FoundSlot<'static>> = found.into_iter().map(|_| (0, None)).collect();
    SPARE_FOUND.set(spare);
}

/// Fills `customer` from one JSON Lines row, a parsed object, and checks
/// that it has every required attribute: a required key the row lacks is
/// [`Problem::NotGiven`], one with an empty value [`Problem::MissingRequired`].
pub(crate) fn fill_from_json(
    schema: &Schema,
    customer: &mut Customer,
    object: &serde_json::Value,
) -> Result<(), FieldError> {
    let given = fill_json_object(schema, customer, object)?;
    customer.check_required_given(schema, |slot| given.get(slot) == Some(&true))
}

/// Reads the values of a JSON object into `customer`; per slot, whether
/// the object has a key for it.
fn fill_json_object(
    schema: &Schema,
    customer: &mut Customer,
    object: &serde_json::Value,
) -> Result<Vec<bool>, FieldError> {
    let mut given = vec![false; schema.fields.len()];
    let Some(map) = object.as_object() else {
        return Err(FieldError {
            field: String::new(),
            column: String::new(),
            problem: Problem::WrongJsonType("something other than an object".into()),
        });
    };
    for (slot, field) in schema.fields.iter().enumerate() {
        let value = map
            .get(&field.column)
            .or_else(|| map.get(&field.name))
            .or_else(|| {
                matches!(field.kind, FieldKind::Preference)
                    .then(|| map.get(&format!("pref.{}", field.name)))
                    .flatten()
            });
        if let Some(value) = value {
            given[slot] = true;
            parse_json(schema, customer, crate::base::index::dense_u32(slot), value)?;
        }
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::{first_special, same_key, small_integer, trim};

    /// The word-at-a-time search finds the same byte as a plain one, at
    /// every place in texts of every length around its 8-byte words, among
    /// bytes just below and above the ones it looks for.
    #[test]
    fn first_special_is_the_plain_search() {
        let plain = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let fillers = [b'a', b'!', b'#', b'[', b']', b' ', 0x7f, 0xc3, 0xff];
        let specials = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        for n in 0..=26 {
            for &filler in &fillers {
                let text = vec![filler; n];
                assert_eq!(first_special(&text), plain(&text), "{n} x {filler}");
                for at in 0..n {
                    for &special in &specials {
                        let mut text = text.clone();
                        text[at] = special;
                        if at + 3 < n {
                            text[at + 3] = b'"';
                        }
                        assert_eq!(first_special(&text), plain(&text), "{text:?}");
                    }
                }
            }
        }
    }

    /// Small integers read as serde_json reads them, to the variant
    /// (unsigned, negative), and `-0` and longer ones are left to it.
    #[test]
    fn small_integers_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "7",
            "-7",
            "10",
            "123456789012345678",
            "-123456789012345678",
            "999999999999999999",
            "-999999999999999999",
        ] {
            let expected: serde_json::Number = text.parse().expect(text);
            let got = small_integer(text).expect(text);
            assert_eq!(got, expected, "{text}");
            assert_eq!(
                (got.as_u64(), got.as_i64()),
                (expected.as_u64(), expected.as_i64())
            );
        }
        for text in ["-0", "1234567890123456789", "-", "", "1.5", "1e3", "+1"] {
            assert_eq!(small_integer(text), None, "{text}");
        }
    }

    /// The inline comparison is `==` on every length around its 8, 16 and
    /// 32 byte loads, for a difference at any byte.
    #[test]
    fn same_key_is_equality() {
        let text: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=36 {
            let a = &text[..n];
            assert!(same_key(a, a), "{n}");
            assert!(!same_key(a, &text[..n + 1]), "{n}");
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_key(a, &b), "{n} bytes, differ at {at}");
            }
        }
    }

    /// The shortcut trims exactly as `str::trim`: ASCII and Unicode spaces
    /// at either end, one-character and empty texts, spaces inside kept.
    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "a b",
            "\u{a0}a",
            "a\u{3000}",
            "\u{85}",
            "\u{2003}x\u{2003}",
            "\r\n",
            "高",
            " 高 ",
            "\u{feff}a",
            "x\u{200b}",
            "\u{1680}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }
}
