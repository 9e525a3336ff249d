//! Per-customer output: every customer's ranked offers as JSON Lines or CSV,
//! for the systems downstream (campaign tools, CRM, call-centre screens).
//!
//! In: a customer's id, line and offers. Out: text appended to a buffer. The
//! parts that depend only on the rule (service, names, path, reason) are
//! escaped once when the formatter is built, so writing a record is little
//! more than copying strings. The shape is the [`ScoreRecord`] type; a test
//! keeps `schemas/score-record.schema.json` generated from it.

// Costs are written as the shortest text that reads back as the same f64.
use crate::base::number::{shortest as number, write_number};
use crate::engine::Engine;
use crate::engine::offer::Offer;
use crate::package::customer::{Customer, Value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the per-customer record shape; bumped on any incompatible change.
pub const SCORE_SCHEMA_VERSION: u32 = 1;

/// How a JSON Lines record starts; `schema_version` is [`SCORE_SCHEMA_VERSION`]
/// (a test holds them together).
const JSONL_START: &str = r#"{"schema_version":1,"customer_id":"#;

/// One customer's recommendations, as written to JSON Lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRecord {
    /// Shape version ([`SCORE_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The customer's id (the catalog's `customer.id` attribute), if any.
    pub customer_id: Option<String>,
    /// Line of the customer's row in the input.
    pub line: u64,
    /// Offers, best first; empty when the customer gets none.
    pub offers: Vec<ScoredOffer>,
}

/// One offer in a [`ScoreRecord`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredOffer {
    /// 1 for the best offer.
    pub rank: u32,
    /// Service id.
    pub service: String,
    /// Service display name.
    pub name: String,
    /// Expected satisfaction gain on the catalog's scale.
    pub gain: f64,
    /// Cost of the offer.
    pub cost: f64,
    /// Rule that made the offer.
    pub rule: String,
    /// That rule's segment.
    pub segment: String,
    /// Segments from a root down to it (following first parents).
    pub segment_path: Vec<String>,
    /// The rule's `because` text, if it has one.
    pub reason: Option<String>,
    /// Expected loyalty uplift per outcome (gain times the outcome's factor),
    /// when the catalog has a loyalty graph.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub loyalty: std::collections::BTreeMap<String, f64>,
}

/// Output format of per-customer records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreFormat {
    /// One JSON object per customer and line.
    Jsonl,
    /// One row per offer, with a header; customers without offers have no
    /// rows. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return gets a leading `'`, so a spreadsheet shows it as text
    /// instead of running it as a formula (OWASP's advice on CSV injection).
    Csv,
    /// As `Csv`, with every cell written as it is: for programs, never for
    /// a spreadsheet.
    RawCsv,
}

/// Writes per-customer records; build once per engine, share across threads.
#[derive(Debug, Clone)]
pub struct ScoreFormatter {
    format: ScoreFormat,
    /// Per rule: the already-escaped part of an offer that depends only on the rule.
    head: Vec<String>,
    tail: Vec<String>,
    /// Loyalty outcomes: the escaped JSON key and the factor.
    loyalty: Vec<(String, f64)>,
    header: String,
    /// Whether text cells are neutralised for spreadsheets.
    neutralise: bool,
}

/// The CSV header line (followed by one `loyalty_OUTCOME` column per loyalty
/// outcome when the catalog has a loyalty graph).
pub const CSV_HEADER: &str =
    "customer_id,line,rank,service,name,gain,cost,rule,segment,segment_path,reason\n";

impl ScoreFormatter {
    /// Prepares the fixed parts of every rule's offers.
    pub fn new(engine: &Engine, format: ScoreFormat) -> ScoreFormatter {
        let neutralise = format == ScoreFormat::Csv;
        let cell = |text: &str| csv_field(text, neutralise);
        let rules = engine.counts().1;
        let mut head = Vec::with_capacity(rules);
        let mut tail = Vec::with_capacity(rules);
        for rule in engine.rule_ids() {
            let service = engine.get_service(engine.rule_service(rule));
            let (service_id, name, cost) =
                service.map_or(("", "", 0.0), |s| (s.id.as_str(), s.name.as_str(), s.cost));
            let segment = engine.rule_segment(rule);
            let path = engine.segment_path(segment);
            let reason = engine.rule_reason(rule);
            match format {
                ScoreFormat::Jsonl => {
                    head.push(format!(
                        r#""service":{},"name":{},"gain":"#,
                        json_string(service_id),
                        json_string(name)
                    ));
                    let path_json: Vec<String> = path.iter().map(|p| json_string(p)).collect();
                    tail.push(format!(
                        r#","cost":{},"rule":{},"segment":{},"segment_path":[{}],"reason":{}"#,
                        number(cost),
                        json_string(engine.rule_name(rule)),
                        json_string(engine.segment_name(segment)),
                        path_json.join(","),
                        reason.map_or("null".to_string(), json_string),
                    ));
                }
                ScoreFormat::Csv | ScoreFormat::RawCsv => {
                    head.push(format!("{},{},", cell(service_id), cell(name)));
                    tail.push(format!(
                        ",{},{},{},{},{}",
                        number(cost),
                        cell(engine.rule_name(rule)),
                        cell(engine.segment_name(segment)),
                        cell(&path.join(" > ")),
                        cell(reason.unwrap_or("")),
                    ));
                }
            }
        }
        let loyalty: Vec<(String, f64)> = engine
            .model()
            .and_then(|m| m.loyalty.as_ref())
            .map(|l| l.factors.iter().map(|(o, f)| (o.clone(), *f)).collect())
            .unwrap_or_default();
        let header = match format {
            ScoreFormat::Jsonl => String::new(),
            ScoreFormat::Csv | ScoreFormat::RawCsv => {
                let mut h = CSV_HEADER.trim_end().to_string();
                for (outcome, _) in &loyalty {
                    h.push_str(&format!(",{}", cell(&format!("loyalty_{outcome}"))));
                }
                h + "\n"
            }
        };
        let loyalty = loyalty
            .into_iter()
            .map(|(o, f)| match format {
                ScoreFormat::Jsonl => (json_string(&o), f),
                ScoreFormat::Csv | ScoreFormat::RawCsv => (o, f),
            })
            .collect();
        ScoreFormatter {
            format,
            head,
            tail,
            loyalty,
            header,
            neutralise,
        }
    }

    /// The header to write once before the records (CSV only; empty for JSON Lines).
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Appends one customer's record.
    pub fn write(
        &self,
        engine: &Engine,
        out: &mut String,
        customer: &Customer,
        line: u64,
        offers: &[Offer],
    ) {
        let id = customer_id(engine, customer);
        // Integers without core::fmt: the records are written by the million.
        let mut integers = itoa::Buffer::new();
        match self.format {
            ScoreFormat::Jsonl => {
                out.push_str(JSONL_START);
                match id {
                    Some(id) => escape_json(out, id),
                    None => out.push_str("null"),
                }
                out.push_str(r#","line":"#);
                out.push_str(integers.format(line));
                out.push_str(r#","offers":["#);
                for (rank, offer) in offers.iter().enumerate() {
                    if rank > 0 {
                        out.push(',');
                    }
                    let rule = offer.rule.index();
                    out.push_str(r#"{"rank":"#);
                    out.push_str(integers.format(rank + 1));
                    out.push(',');
                    out.push_str(self.head.get(rule).map_or("", String::as_str));
                    write_number(out, offer.gain);
                    out.push_str(self.tail.get(rule).map_or("", String::as_str));
                    if !self.loyalty.is_empty() {
                        out.push_str(r#","loyalty":{"#);
                        for (i, (key, factor)) in self.loyalty.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            out.push_str(key);
                            out.push(':');
                            write_number(out, offer.gain * factor);
                        }
                        out.push('}');
                    }
                    out.push('}');
                }
                out.push_str("]}\n");
            }
            ScoreFormat::Csv | ScoreFormat::RawCsv => {
                let id = csv_field(id.unwrap_or(""), self.neutralise);
                let mut line_text = itoa::Buffer::new();
                let line = line_text.format(line);
                for (rank, offer) in offers.iter().enumerate() {
                    let rule = offer.rule.index();
                    out.push_str(&id);
                    out.push(',');
                    out.push_str(line);
                    out.push(',');
                    out.push_str(integers.format(rank + 1));
                    out.push(',');
                    out.push_str(self.head.get(rule).map_or("", String::as_str));
                    write_number(out, offer.gain);
                    out.push_str(self.tail.get(rule).map_or("", String::as_str));
                    for (_, factor) in &self.loyalty {
                        out.push(',');
                        write_number(out, offer.gain * factor);
                    }
                    out.push('\n');
                }
            }
        }
    }
}

pub(crate) fn customer_id<'a>(engine: &'a Engine, customer: &'a Customer) -> Option<&'a str> {
    match customer.get(engine.schema().id_slot?) {
        Value::Text(symbol) => Some(customer.text(engine.schema(), symbol)),
        _ => None,
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    escape_json(&mut out, text);
    out
}

/// Appends `text` as a JSON string literal, written by serde_json's own
/// string serializer. Guarantee (checked on random strings by
/// `escaper_matches_serde_json_on_random_strings`): the output always parses
/// back to `text`, and it is byte for byte `serde_json::to_string(text)`
/// except that U+0008 and U+000C are written `\u0008` and `\u000c` (as the
/// records always have) where serde_json writes `\b` and `\f`. So: `"` and
/// `\` escaped, `\n` `\r` `\t`, other controls below U+0020 as lowercase
/// `\u00xx`; everything else (DEL, `/`, U+2028/U+2029, non-BMP) as is.
///
/// It replaced a hand-written escaper at no cost: `score` on 100,000
/// customers took 0.507 s against 0.512 s (best of 5, `cargo run --release`)
/// and 5.009 against 5.046 billion instructions (one thread, cachegrind).
fn escape_json(out: &mut String, text: &str) {
    let mut serializer = serde_json::Serializer::with_formatter(StringWriter(out), HexBackspace);
    // Writing to a String cannot fail, and serde_json feeds whole UTF-8 runs.
    let _ = serde::Serializer::serialize_str(&mut serializer, text);
}

/// serde_json's compact formatter, but with U+0008 and U+000C as `\u`
/// escapes, so switching to serde_json did not change a byte of output.
struct HexBackspace;

impl serde_json::ser::Formatter for HexBackspace {
    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        match escape {
            CharEscape::Backspace => writer.write_all(b"\\u0008"),
            CharEscape::FormFeed => writer.write_all(b"\\u000c"),
            other => serde_json::ser::CompactFormatter.write_char_escape(writer, other),
        }
    }
}

/// Lets serde_json write into the output `String`; it only ever writes whole
/// UTF-8 sequences, so each write is checked and appended as is.
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(bytes).map_err(std::io::Error::other)?;
        self.0.push_str(text);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
/// A CSV cell: quoted when it must be, and, when `neutralise`, with a
/// leading `'` on text a spreadsheet would run as a formula.
fn csv_field(text: &str, neutralise: bool) -> String {
    let text = if neutralise && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// The JSON Schema of [`ScoreRecord`], as checked into `schemas/`.
pub fn score_record_schema() -> String {
    let schema = schemars::schema_for!(ScoreRecord);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::test_rng::Rng;

    #[test]
    fn numbers_are_written_without_binary_noise() {
        let written = |v: f64| {
            let mut out = String::new();
            write_number(&mut out, v);
            out
        };
        assert_eq!(written(4.5 * 0.36), "1.62");
        assert_eq!(written(0.1 + 0.2), "0.3");
        assert_eq!(written(0.8999999999999999), "0.9");
        assert_eq!(written(-0.8999999999999999), "-0.9");
        assert_eq!(written(5.958915651723869), "5.95891565172387");
        assert_eq!(written(2.5), "2.5");
        assert_eq!(written(40.0), "40");
        assert_eq!(written(1e-7 * 3.0), "0.0000003");
        assert_eq!(written(f64::NAN), "NaN");
        assert_eq!(written(-0.0), "-0");
        for v in [1.0 / 3.0, 123_456.789_012_345_67, 1e21, 7e-300] {
            let back: f64 = written(v).parse().unwrap();
            assert!((back - v).abs() <= v.abs() * 1e-14, "{v} -> {back}");
        }
    }

    #[test]
    fn records_start_with_the_schema_version() {
        assert_eq!(
            JSONL_START,
            format!(r#"{{"schema_version":{SCORE_SCHEMA_VERSION},"customer_id":"#)
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(json_string("a\"b\\c\n高"), "\"a\\\"b\\\\c\\n高\"");
        assert_eq!(json_string("\u{1}"), "\"\\u0001\"");
        assert_eq!(csv_field("a,b", true), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain", true), "plain");
        // Formula injection (OWASP): neutralised unless raw output is asked for.
        assert_eq!(
            csv_field("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(csv_field("+cmd|' /C calc'!A0", true), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_field("@SUM(A1)", true), "'@SUM(A1)");
        assert_eq!(csv_field("-2+3", true), "'-2+3");
        assert_eq!(csv_field("\tx", true), "'\tx");
        assert_eq!(csv_field("\rx", true), "\"'\rx\"");
        assert_eq!(csv_field("=1+1", false), "=1+1");
        assert_eq!(csv_field("a=b", true), "a=b");
    }

    /// One character from a class that JSON escapers get wrong: controls,
    /// DEL, quote, backslash, solidus, U+2028/U+2029 (JavaScript line
    /// breaks), non-BMP (surrogate pairs in `\u` escapes), CJK, combining
    /// marks (also alone, at the start of a string), and plain ASCII.
    fn random_char(rng: &mut Rng) -> char {
        let code = match rng.below(10) {
            0 => rng.between(0x00, 0x1f),
            1 => return rng.pick(&['"', '\\', '/', '\u{7f}', '\u{8}', '\u{c}']),
            2 => return rng.pick(&['\u{2028}', '\u{2029}']),
            3 => rng.between(0x1f300, 0x1faff),
            4 => rng.between(0x10000, 0x10ffff),
            5 => rng.between(0x4e00, 0x9fff),
            6 => rng.between(0x0300, 0x036f),
            7 => rng.between(0x80, 0xffff),
            _ => rng.between(0x20, 0x7e),
        };
        // Surrogates are not chars; a `String` can never hold one.
        char::from_u32(code as u32).unwrap_or('\u{fffd}')
    }

    /// What serde_json writes for `text`, with the one difference the
    /// escaper documents: U+0008 and U+000C as `\u0008` and `\u000c`
    /// where serde_json writes `\b` and `\f`. Built from serde_json's output
    /// for the pieces between those characters, so it does not repeat the
    /// escaper's logic.
    fn serde_with_hex_b_f(text: &str) -> String {
        let mut expected = String::from("\"");
        let mut rest = text;
        while let Some(at) = rest.find(['\u{8}', '\u{c}']) {
            let piece = serde_json::to_string(&rest[..at]).unwrap();
            expected.push_str(&piece[1..piece.len() - 1]);
            expected.push_str(if rest[at..].starts_with('\u{8}') {
                "\\u0008"
            } else {
                "\\u000c"
            });
            rest = &rest[at + 1..];
        }
        let piece = serde_json::to_string(rest).unwrap();
        expected.push_str(&piece[1..]);
        expected
    }

    /// Checks `escape_json` against serde_json on 20,000 random strings.
    /// Asserts, for every string: (1) the output parses with serde_json back
    /// to the same string (always, no exception); (2) it is byte for byte
    /// `serde_json::to_string` when the string has no U+0008 or U+000C;
    /// (3) with them, it is byte for byte serde_json's output with `\b` and
    /// `\f` written as `\u0008` and `\u000c` (both valid JSON; the records
    /// have always used the `\u` form, so it is kept).
    #[test]
    fn escaper_matches_serde_json_on_random_strings() {
        let mut rng = Rng(0x5eed_5c0e_u64);
        let mut with_b_or_f = 0;
        let mut classes = [false; 6];
        for _ in 0..20_000 {
            // Mostly short strings, some long enough to mix every class.
            let len = if rng.next().is_multiple_of(8) {
                rng.between(0, 200)
            } else {
                rng.between(0, 12)
            };
            let text: String = (0..len).map(|_| random_char(&mut rng)).collect();
            let mut out = String::new();
            escape_json(&mut out, &text);

            let back: String = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{out:?} does not parse ({e}); input {text:?}"));
            assert_eq!(back, text, "round trip of {out:?}");
            if text.contains(['\u{8}', '\u{c}']) {
                with_b_or_f += 1;
            } else {
                assert_eq!(out, serde_json::to_string(&text).unwrap(), "input {text:?}");
            }
            assert_eq!(out, serde_with_hex_b_f(&text), "input {text:?}");

            for (seen, wanted) in classes.iter_mut().zip([
                text.chars()
                    .any(|c| c < ' ' && c != '\u{8}' && c != '\u{c}'),
                text.contains(['\u{2028}', '\u{2029}']),
                text.chars().any(|c| c > '\u{ffff}'),
                text.contains('\u{7f}') && text.contains('/'),
                text.starts_with(|c| ('\u{300}'..='\u{36f}').contains(&c)),
                text.contains('"') && text.contains('\\'),
            ]) {
                *seen |= wanted;
            }
        }
        assert!(with_b_or_f > 0 && classes.iter().all(|&c| c), "{classes:?}");
    }
}
