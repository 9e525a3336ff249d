//! Per-customer output: every customer's ranked offers as JSON Lines or CSV,
//! for the systems downstream (campaign tools, CRM, call-centre screens).
//!
//! In: a customer's id, line and offers. Out: text appended to a buffer. The
//! parts that depend only on the rule (service, names, path, reason) are
//! escaped once when the formatter is built, so writing a record is little
//! more than copying strings. The shape is the [`ScoreRecord`] type; a test
//! keeps `schemas/score-record.schema.json` generated from it.

use crate::engine::Engine;
use crate::engine::offer::Offer;
use crate::package::customer::{Customer, Value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Version of the per-customer record shape; bumped on any incompatible change.
pub const SCORE_SCHEMA_VERSION: u32 = 1;

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
    /// One row per offer, with a header; customers without offers have no rows.
    Csv,
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
}

/// The CSV header line (followed by one `loyalty_OUTCOME` column per loyalty
/// outcome when the catalog has a loyalty graph).
pub const CSV_HEADER: &str =
    "customer_id,line,rank,service,name,gain,cost,rule,segment,segment_path,reason\n";

impl ScoreFormatter {
    /// Prepares the fixed parts of every rule's offers.
    pub fn new(engine: &Engine, format: ScoreFormat) -> ScoreFormatter {
        let rules = engine.counts().1;
        let mut head = Vec::with_capacity(rules);
        let mut tail = Vec::with_capacity(rules);
        for id in 0..rules {
            let rule = u32::try_from(id).unwrap_or(u32::MAX);
            let service = engine.service(engine.rule_service(rule));
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
                ScoreFormat::Csv => {
                    head.push(format!("{},{},", csv_field(service_id), csv_field(name)));
                    tail.push(format!(
                        ",{},{},{},{},{}",
                        number(cost),
                        csv_field(engine.rule_name(rule)),
                        csv_field(engine.segment_name(segment)),
                        csv_field(&path.join(" > ")),
                        csv_field(reason.unwrap_or("")),
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
            ScoreFormat::Csv => {
                let mut h = CSV_HEADER.trim_end().to_string();
                for (outcome, _) in &loyalty {
                    h.push_str(&format!(",{}", csv_field(&format!("loyalty_{outcome}"))));
                }
                h + "\n"
            }
        };
        let loyalty = loyalty
            .into_iter()
            .map(|(o, f)| match format {
                ScoreFormat::Jsonl => (json_string(&o), f),
                ScoreFormat::Csv => (o, f),
            })
            .collect();
        ScoreFormatter {
            format,
            head,
            tail,
            loyalty,
            header,
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
        match self.format {
            ScoreFormat::Jsonl => {
                let _ = write!(
                    out,
                    r#"{{"schema_version":{SCORE_SCHEMA_VERSION},"customer_id":"#
                );
                match id {
                    Some(id) => escape_json(out, id),
                    None => out.push_str("null"),
                }
                let _ = write!(out, r#","line":{line},"offers":["#);
                for (rank, offer) in offers.iter().enumerate() {
                    if rank > 0 {
                        out.push(',');
                    }
                    let rule = offer.rule as usize;
                    let _ = write!(out, r#"{{"rank":{},"#, rank + 1);
                    out.push_str(self.head.get(rule).map_or("", String::as_str));
                    let _ = write!(out, "{}", offer.gain);
                    out.push_str(self.tail.get(rule).map_or("", String::as_str));
                    if !self.loyalty.is_empty() {
                        out.push_str(r#","loyalty":{"#);
                        for (i, (key, factor)) in self.loyalty.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            let _ = write!(out, "{key}:{}", offer.gain * factor);
                        }
                        out.push('}');
                    }
                    out.push('}');
                }
                out.push_str("]}\n");
            }
            ScoreFormat::Csv => {
                let id = csv_field(id.unwrap_or(""));
                for (rank, offer) in offers.iter().enumerate() {
                    let rule = offer.rule as usize;
                    let _ = write!(out, "{id},{line},{},", rank + 1);
                    out.push_str(self.head.get(rule).map_or("", String::as_str));
                    let _ = write!(out, "{}", offer.gain);
                    out.push_str(self.tail.get(rule).map_or("", String::as_str));
                    for (_, factor) in &self.loyalty {
                        let _ = write!(out, ",{}", offer.gain * factor);
                    }
                    out.push('\n');
                }
            }
        }
    }
}

fn customer_id<'a>(engine: &'a Engine, customer: &'a Customer) -> Option<&'a str> {
    match customer.get(engine.schema().id_slot?) {
        Value::Text(symbol) => Some(customer.text(&engine.schema(), symbol)),
        _ => None,
    }
}

fn number(v: f64) -> String {
    format!("{v}")
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    escape_json(&mut out, text);
    out
}

/// Appends `text` as a JSON string literal.
fn escape_json(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
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

    #[test]
    fn escaping() {
        assert_eq!(json_string("a\"b\\c\n高"), "\"a\\\"b\\\\c\\n高\"");
        assert_eq!(json_string("\u{1}"), "\"\\u0001\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
