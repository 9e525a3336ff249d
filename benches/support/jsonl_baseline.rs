//! `vasrec score` written by hand for one package, JSON Lines in and out:
//! the other side of `examples/jsonl_baseline.rs` (the end-to-end reference
//! of issue 26) and of `tests/jsonl_baseline.rs` (which checks that its
//! records are the ones `vasrec score` writes).
//!
//! What a competent engineer would write by hand: each line is read into a
//! reused buffer and parsed with `serde_json::from_slice` into a
//! `#[derive(Deserialize)]` struct (categories as enums, texts borrowed from
//! the line); the offers come from the hand-written evaluators
//! (`flat_baseline.rs`, `baseline.rs`); each record is written with
//! `serde_json::to_writer` from a `#[derive(Serialize)]` struct with the
//! fields of `vasrec score --format jsonl`, in the same order. Numbers are
//! serde_json's (`40.0` where score writes `40`), so the bytes differ while
//! the records are the same.
//!
//! The texts that depend only on the rule (service id and name, cost, rule
//! name, segment, its path, reason) and the loyalty factors are taken from
//! the package once at start ([`tables`]), as a hand-written program would
//! keep them in tables of its own; everything done per customer is written
//! by hand. Declare `baseline`, `flat_baseline`, `flat_gen` and
//! `package_gen` beside it.

#![allow(dead_code)]

use crate::baseline::{self, BaselineCustomer, Channel, Contract, Internet, Payment};
use crate::{flat_baseline, flat_gen};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::error::Error;
use std::io::{BufRead, Write};
use vasrec::Engine;

/// The package evaluated.
#[derive(Clone, Copy, PartialEq)]
pub enum Package {
    /// `flat_gen::generate(40, 7)`.
    Flat,
    /// `rules/`.
    Bundled,
}

/// One input line: the columns the rules read; the others are skipped.
#[derive(Deserialize)]
struct Row<'a> {
    #[serde(rename = "customerID", borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "SeniorCitizen")]
    senior: Option<u8>,
    #[serde(rename = "Partner")]
    partner: Option<YesNo>,
    #[serde(rename = "Dependents")]
    dependents: Option<YesNo>,
    tenure: f64,
    #[serde(rename = "InternetService")]
    internet: Option<InternetJson>,
    #[serde(rename = "OnlineSecurity")]
    online_security: Option<YesNo>,
    #[serde(rename = "OnlineBackup")]
    online_backup: Option<YesNo>,
    #[serde(rename = "DeviceProtection")]
    device_protection: Option<YesNo>,
    #[serde(rename = "TechSupport")]
    tech_support: Option<YesNo>,
    #[serde(rename = "StreamingTV")]
    streaming_tv: Option<YesNo>,
    #[serde(rename = "StreamingMovies")]
    streaming_movies: Option<YesNo>,
    #[serde(rename = "Contract")]
    contract: Option<ContractJson>,
    #[serde(rename = "PaperlessBilling")]
    paperless_billing: Option<YesNo>,
    #[serde(rename = "PaymentMethod")]
    payment: Option<PaymentJson>,
    #[serde(rename = "MonthlyCharges")]
    monthly: f64,
    #[serde(rename = "TotalCharges")]
    total: Option<f64>,
    #[serde(rename = "Churn")]
    churned: Option<YesNo>,
    channel: Option<ChannelJson>,
    open_complaints: Option<f64>,
    nps: Option<f64>,
    pref_personalization: Option<f64>,
    pref_responsiveness: Option<f64>,
    pref_professionalism: Option<f64>,
    pref_price: Option<f64>,
    sat_personalization: Option<f64>,
    sat_responsiveness: Option<f64>,
    sat_professionalism: Option<f64>,
    sat_price: Option<f64>,
    exp_personalization: Option<f64>,
    exp_responsiveness: Option<f64>,
    exp_professionalism: Option<f64>,
    exp_price: Option<f64>,
}

#[derive(Deserialize, Clone, Copy)]
enum YesNo {
    Yes,
    No,
    /// The telco file's add-ons without internet: a missing value.
    #[serde(rename = "No internet service")]
    NoInternet,
}

impl YesNo {
    fn value(this: Option<YesNo>) -> Option<bool> {
        match this? {
            YesNo::Yes => Some(true),
            YesNo::No => Some(false),
            YesNo::NoInternet => None,
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
enum InternetJson {
    #[serde(rename = "DSL")]
    Dsl,
    #[serde(rename = "Fiber optic")]
    Fiber,
    No,
}

#[derive(Deserialize, Clone, Copy)]
enum ContractJson {
    #[serde(rename = "Month-to-month")]
    MonthToMonth,
    #[serde(rename = "One year")]
    OneYear,
    #[serde(rename = "Two year")]
    TwoYear,
}

#[derive(Deserialize, Clone, Copy)]
enum PaymentJson {
    #[serde(rename = "Electronic check")]
    ElectronicCheck,
    #[serde(rename = "Mailed check")]
    MailedCheck,
    #[serde(rename = "Bank transfer (automatic)")]
    BankTransfer,
    #[serde(rename = "Credit card (automatic)")]
    CreditCard,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ChannelJson {
    Online,
    Retail,
    CallCenter,
}

impl Row<'_> {
    /// The evaluators' customer; the id stays in the row (the output borrows it).
    fn customer(&self) -> Result<BaselineCustomer, String> {
        Ok(BaselineCustomer {
            id: String::new(),
            senior: match self.senior {
                None => None,
                Some(0) => Some(false),
                Some(1) => Some(true),
                Some(n) => return Err(format!("SeniorCitizen is 0 or 1, not {n}")),
            },
            partner: YesNo::value(self.partner),
            dependents: YesNo::value(self.dependents),
            tenure: self.tenure,
            internet: self.internet.map(|i| match i {
                InternetJson::Dsl => Internet::Dsl,
                InternetJson::Fiber => Internet::Fiber,
                InternetJson::No => Internet::No,
            }),
            online_security: YesNo::value(self.online_security),
            online_backup: YesNo::value(self.online_backup),
            device_protection: YesNo::value(self.device_protection),
            tech_support: YesNo::value(self.tech_support),
            streaming_tv: YesNo::value(self.streaming_tv),
            streaming_movies: YesNo::value(self.streaming_movies),
            contract: self.contract.map(|c| match c {
                ContractJson::MonthToMonth => Contract::MonthToMonth,
                ContractJson::OneYear => Contract::OneYear,
                ContractJson::TwoYear => Contract::TwoYear,
            }),
            paperless_billing: YesNo::value(self.paperless_billing),
            payment: self.payment.map(|p| match p {
                PaymentJson::ElectronicCheck => Payment::ElectronicCheck,
                PaymentJson::MailedCheck => Payment::MailedCheck,
                PaymentJson::BankTransfer => Payment::BankTransfer,
                PaymentJson::CreditCard => Payment::CreditCard,
            }),
            monthly: self.monthly,
            total: self.total,
            churned: YesNo::value(self.churned),
            channel: self.channel.map(|c| match c {
                ChannelJson::Online => Channel::Online,
                ChannelJson::Retail => Channel::Retail,
                ChannelJson::CallCenter => Channel::CallCenter,
            }),
            open_complaints: self.open_complaints,
            nps: self.nps,
            pref_personalization: self.pref_personalization,
            pref_responsiveness: self.pref_responsiveness,
            pref_professionalism: self.pref_professionalism,
            pref_price: self.pref_price,
            perception: [
                self.sat_personalization,
                self.sat_responsiveness,
                self.sat_professionalism,
                self.sat_price,
            ],
            expectation: [
                self.exp_personalization,
                self.exp_responsiveness,
                self.exp_professionalism,
                self.exp_price,
            ],
        })
    }
}

/// One output line, in the field order of `vasrec score`'s records.
#[derive(Serialize)]
struct Record<'a> {
    schema_version: u32,
    customer_id: &'a str,
    line: u64,
    offers: &'a [Offer<'a>],
}

#[derive(Serialize)]
struct Offer<'a> {
    rank: u32,
    service: &'a str,
    name: &'a str,
    gain: f64,
    cost: f64,
    rule: &'a str,
    segment: &'a str,
    segment_path: &'a [String],
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Loyalty::is_empty")]
    loyalty: Loyalty<'a>,
}

/// Loyalty uplift per outcome: the gain times each outcome's factor, in the
/// catalog's order.
struct Loyalty<'a> {
    factors: &'a [(String, f64)],
    gain: f64,
}

impl Loyalty<'_> {
    fn is_empty(&self) -> bool {
        self.factors.is_empty()
    }
}

impl Serialize for Loyalty<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.factors.len()))?;
        for (outcome, factor) in self.factors {
            map.serialize_entry(outcome, &(self.gain * factor))?;
        }
        map.end()
    }
}

/// What a record says of a rule's offers, apart from the gain.
pub struct RuleTexts {
    service: String,
    name: String,
    cost: f64,
    rule: String,
    segment: String,
    segment_path: Vec<String>,
    reason: Option<String>,
}

/// The rule texts by rule id, and the loyalty factors.
pub fn tables(engine: &Engine) -> (Vec<RuleTexts>, Vec<(String, f64)>) {
    let mut rules: Vec<Option<RuleTexts>> = Vec::new();
    for rule in engine.rule_ids() {
        let service = engine.service(engine.rule_service(rule));
        let segment = engine.rule_segment(rule);
        if rules.len() <= rule.index() {
            rules.resize_with(rule.index() + 1, || None);
        }
        rules[rule.index()] = Some(RuleTexts {
            service: service.id.clone(),
            name: service.name.clone(),
            cost: service.cost,
            rule: engine.rule_name(rule).to_string(),
            segment: engine.segment_name(segment).to_string(),
            segment_path: engine
                .segment_path(segment)
                .into_iter()
                .map(str::to_string)
                .collect(),
            reason: engine.rule_reason(rule).map(str::to_string),
        });
    }
    let rules = rules
        .into_iter()
        .map(|r| {
            r.unwrap_or(RuleTexts {
                service: String::new(),
                name: String::new(),
                cost: 0.0,
                rule: String::new(),
                segment: String::new(),
                segment_path: Vec::new(),
                reason: None,
            })
        })
        .collect();
    let loyalty = engine
        .model()
        .and_then(|m| m.loyalty.as_ref())
        .map(|l| l.factors.clone())
        .unwrap_or_default();
    (rules, loyalty)
}

/// Reads every line, writes every record; returns the number of customers.
/// The first line that cannot be read stops it, with its line number.
pub fn score(
    package: Package,
    mut input: impl BufRead,
    mut output: impl Write,
    rules: &[RuleTexts],
    loyalty: &[(String, f64)],
) -> Result<u64, Box<dyn Error>> {
    let (mut buffer, mut line, mut customers) = (Vec::new(), 0u64, 0u64);
    let mut offers: Vec<Offer> = Vec::with_capacity(flat_gen::MAX_OFFERS);
    loop {
        buffer.clear();
        if input.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        line += 1;
        if buffer.trim_ascii().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_slice(&buffer).map_err(|e| format!("line {line}: {e}"))?;
        let customer = row.customer().map_err(|e| format!("line {line}: {e}"))?;
        offers.clear();
        let mut offer = |_service: usize, rule: u8, gain: f64| {
            let texts = &rules[usize::from(rule)];
            offers.push(Offer {
                rank: offers.len() as u32 + 1,
                service: &texts.service,
                name: &texts.name,
                gain,
                cost: texts.cost,
                rule: &texts.rule,
                segment: &texts.segment,
                segment_path: &texts.segment_path,
                reason: texts.reason.as_deref(),
                loyalty: Loyalty {
                    factors: loyalty,
                    gain,
                },
            });
        };
        match package {
            Package::Flat => flat_baseline::recommend_rules(&customer, &mut offer),
            Package::Bundled => baseline::recommend_rules(&customer, &mut offer),
        }
        serde_json::to_writer(
            &mut output,
            &Record {
                schema_version: 1,
                customer_id: &row.id,
                line,
                offers: &offers,
            },
        )?;
        output.write_all(b"\n")?;
        customers += 1;
    }
    output.flush()?;
    Ok(customers)
}

/// The package's engine: its rule texts are what the records show.
pub fn engine(package: Package, root: &std::path::Path) -> Result<Engine, Box<dyn Error>> {
    Ok(match package {
        Package::Flat => {
            let generated = flat_gen::generate(40, 7);
            Engine::from_sources(&generated.catalog, &generated.sources()).map_err(|e| {
                format!(
                    "the flat package does not compile: {} errors",
                    e.error_count()
                )
            })?
        }
        Package::Bundled => Engine::load(root.join("rules"))?,
    })
}
