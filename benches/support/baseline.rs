//! The bundled package (`rules/`) written by hand in plain Rust: structs and
//! ifs, no engine. A reference for benchmarks (the near-limit figure the
//! engine is measured against) and for a differential test
//! (`tests/baseline.rs`): on every sample customer it must give exactly the
//! engine's offers.
//!
//! In: a customer read from a CSV with the bundled catalog's columns. Out: up
//! to `max_offers` (3) offers as (service id, gain), best first.
//!
//! Keep it in step with `rules/*.vas` and `rules/catalog.yaml` by hand; the
//! rule numbers in comments are the engine's rule ids (file order:
//! retention.vas, rules.vas, support.vas, each in text order). The
//! satisfaction model of the catalog is written out too: the AHP weights,
//! `gain derived` for `vip_manager`, and the stacking of the offers that have
//! `effects` (README, "The satisfaction model"). The bundled catalog declares
//! no exclusive groups, budget or channel fit, so arbitration is the cut to
//! `max_offers`; if it gains any, this file must follow.
//!
//! Missing values: a comparison with a missing value is unknown, `and`/`or`
//! are three-valued and an unknown condition does not hold. Every `not` in the
//! bundled rules sits on a single value (`not uses(x)`, `not partner`), so the
//! code pushes it into the test of that value (`not partner` holds when
//! `partner == Some(false)`), after which the conditions contain no negation
//! and "unknown does not hold" is simply `false`: for a condition built from
//! and/or only, the three-valued result is true exactly when it is true with
//! every unknown read as false.

#![allow(dead_code)]

use std::error::Error;
use std::path::Path;
use std::sync::OnceLock;

/// `InternetService`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internet {
    Dsl,
    Fiber,
    No,
}

/// `Contract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    MonthToMonth,
    OneYear,
    TwoYear,
}

/// `PaymentMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    ElectronicCheck,
    MailedCheck,
    BankTransfer,
    CreditCard,
}

/// `channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Online,
    Retail,
    CallCenter,
}

/// The values the bundled rules read; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineCustomer {
    pub id: String,
    pub senior: Option<bool>,
    pub partner: Option<bool>,
    pub dependents: Option<bool>,
    /// Required by the catalog.
    pub tenure: f64,
    pub internet: Option<Internet>,
    pub online_security: Option<bool>,
    pub online_backup: Option<bool>,
    pub device_protection: Option<bool>,
    pub tech_support: Option<bool>,
    pub streaming_tv: Option<bool>,
    pub streaming_movies: Option<bool>,
    pub contract: Option<Contract>,
    pub paperless_billing: Option<bool>,
    pub payment: Option<Payment>,
    /// Required by the catalog.
    pub monthly: f64,
    pub total: Option<f64>,
    pub churned: Option<bool>,
    pub channel: Option<Channel>,
    pub open_complaints: Option<f64>,
    pub nps: Option<f64>,
    pub pref_personalization: Option<f64>,
    pub pref_responsiveness: Option<f64>,
    pub pref_professionalism: Option<f64>,
    pub pref_price: Option<f64>,
    /// Survey scores per dimension (perception), 0..100.
    pub perception: [Option<f64>; 4],
    /// Survey expectations per dimension, 0..100.
    pub expectation: [Option<f64>; 4],
}

// ---- reading the CSV -------------------------------------------------------

/// Reads every customer of a CSV file with the bundled catalog's columns.
pub fn load_csv(path: &Path) -> Result<Vec<BaselineCustomer>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| -> Result<usize, Box<dyn Error>> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column `{name}`").into())
    };
    let at = Columns {
        id: column("customerID")?,
        senior: column("SeniorCitizen")?,
        partner: column("Partner")?,
        dependents: column("Dependents")?,
        tenure: column("tenure")?,
        internet: column("InternetService")?,
        online_security: column("OnlineSecurity")?,
        online_backup: column("OnlineBackup")?,
        device_protection: column("DeviceProtection")?,
        tech_support: column("TechSupport")?,
        streaming_tv: column("StreamingTV")?,
        streaming_movies: column("StreamingMovies")?,
        contract: column("Contract")?,
        paperless_billing: column("PaperlessBilling")?,
        payment: column("PaymentMethod")?,
        monthly: column("MonthlyCharges")?,
        total: column("TotalCharges")?,
        churned: column("Churn")?,
        channel: column("channel")?,
        open_complaints: column("open_complaints")?,
        nps: column("nps")?,
        prefs: [
            column("pref_personalization")?,
            column("pref_responsiveness")?,
            column("pref_professionalism")?,
            column("pref_price")?,
        ],
        perception: [
            column("sat_personalization")?,
            column("sat_responsiveness")?,
            column("sat_professionalism")?,
            column("sat_price")?,
        ],
        expectation: [
            column("exp_personalization")?,
            column("exp_responsiveness")?,
            column("exp_professionalism")?,
            column("exp_price")?,
        ],
    };
    let mut customers = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record?;
        let line = row + 2;
        let get = |i: usize| record.get(i).unwrap_or("");
        let required = |i: usize| -> Result<f64, Box<dyn Error>> {
            number(get(i))?.ok_or_else(|| format!("line {line}: empty required value").into())
        };
        let add_on = |i: usize| boolean(get(i), Some("No internet service"));
        customers.push(BaselineCustomer {
            id: get(at.id).trim().to_string(),
            senior: boolean(get(at.senior), None)?,
            partner: boolean(get(at.partner), None)?,
            dependents: boolean(get(at.dependents), None)?,
            tenure: required(at.tenure)?,
            internet: category(
                get(at.internet),
                &[
                    ("DSL", Internet::Dsl),
                    ("Fiber optic", Internet::Fiber),
                    ("No", Internet::No),
                ],
            )?,
            online_security: add_on(at.online_security)?,
            online_backup: add_on(at.online_backup)?,
            device_protection: add_on(at.device_protection)?,
            tech_support: add_on(at.tech_support)?,
            streaming_tv: add_on(at.streaming_tv)?,
            streaming_movies: add_on(at.streaming_movies)?,
            contract: category(
                get(at.contract),
                &[
                    ("Month-to-month", Contract::MonthToMonth),
                    ("One year", Contract::OneYear),
                    ("Two year", Contract::TwoYear),
                ],
            )?,
            paperless_billing: boolean(get(at.paperless_billing), None)?,
            payment: category(
                get(at.payment),
                &[
                    ("Electronic check", Payment::ElectronicCheck),
                    ("Mailed check", Payment::MailedCheck),
                    ("Bank transfer (automatic)", Payment::BankTransfer),
                    ("Credit card (automatic)", Payment::CreditCard),
                ],
            )?,
            monthly: required(at.monthly)?,
            total: number(get(at.total))?,
            churned: boolean(get(at.churned), None)?,
            channel: category(
                get(at.channel),
                &[
                    ("online", Channel::Online),
                    ("retail", Channel::Retail),
                    ("call_center", Channel::CallCenter),
                ],
            )?,
            open_complaints: number(get(at.open_complaints))?,
            nps: number(get(at.nps))?,
            pref_personalization: number(get(at.prefs[0]))?,
            pref_responsiveness: number(get(at.prefs[1]))?,
            pref_professionalism: number(get(at.prefs[2]))?,
            pref_price: number(get(at.prefs[3]))?,
            perception: [
                number(get(at.perception[0]))?,
                number(get(at.perception[1]))?,
                number(get(at.perception[2]))?,
                number(get(at.perception[3]))?,
            ],
            expectation: [
                number(get(at.expectation[0]))?,
                number(get(at.expectation[1]))?,
                number(get(at.expectation[2]))?,
                number(get(at.expectation[3]))?,
            ],
        });
    }
    Ok(customers)
}

struct Columns {
    id: usize,
    senior: usize,
    partner: usize,
    dependents: usize,
    tenure: usize,
    internet: usize,
    online_security: usize,
    online_backup: usize,
    device_protection: usize,
    tech_support: usize,
    streaming_tv: usize,
    streaming_movies: usize,
    contract: usize,
    paperless_billing: usize,
    payment: usize,
    monthly: usize,
    total: usize,
    churned: usize,
    channel: usize,
    open_complaints: usize,
    nps: usize,
    prefs: [usize; 4],
    perception: [usize; 4],
    expectation: [usize; 4],
}

fn number(text: &str) -> Result<Option<f64>, Box<dyn Error>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(text.parse::<f64>()?))
}

fn boolean(text: &str, missing: Option<&str>) -> Result<Option<bool>, Box<dyn Error>> {
    let text = text.trim();
    if text.is_empty() || Some(text) == missing {
        return Ok(None);
    }
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(Some(true)),
        "false" | "no" | "n" | "0" => Ok(Some(false)),
        _ => Err(format!("not a yes/no value: `{text}`").into()),
    }
}

fn category<T: Copy>(text: &str, values: &[(&str, T)]) -> Result<Option<T>, Box<dyn Error>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    values
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, value)| Some(*value))
        .ok_or_else(|| format!("unknown category value `{text}`").into())
}

// ---- the satisfaction model (catalog.yaml `satisfaction`, `effects`) -------

/// Dimensions, in catalog order.
const PERSONALIZATION: usize = 0;
const PROFESSIONALISM: usize = 2;
const PRICE: usize = 3;

/// The scale is 0..100; the catalog declares no current overall score, so the
/// total's headroom is the whole range.
const RANGE: f64 = 100.0;

/// Headroom on a dimension: up to the top of the scale from the customer's
/// score, or the whole range without one.
fn headroom(c: &BaselineCustomer, dimension: usize) -> f64 {
    c.perception[dimension].map_or(RANGE, |p| (RANGE - p).max(0.0))
}

/// Dimension weights: the principal eigenvector of the catalog's AHP matrix,
/// by the same power iteration as the engine (computed once).
fn weights() -> &'static [f64; 4] {
    static WEIGHTS: OnceLock<[f64; 4]> = OnceLock::new();
    WEIGHTS.get_or_init(|| {
        let matrix: [[f64; 4]; 4] = [
            [1.0, 2.0, 2.0, 4.0],
            [1.0 / 2.0, 1.0, 1.0, 3.0],
            [1.0 / 2.0, 1.0, 1.0, 3.0],
            [1.0 / 4.0, 1.0 / 3.0, 1.0 / 3.0, 1.0],
        ];
        let mut w = [0.25; 4];
        for _ in 0..1000 {
            let mut next = [0.0; 4];
            for (n, row) in next.iter_mut().zip(&matrix) {
                *n = row.iter().zip(&w).map(|(a, x)| a * x).sum();
            }
            let sum: f64 = next.iter().sum();
            next.iter_mut().for_each(|x| *x /= sum);
            let change: f64 = next.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum();
            w = next;
            if change < 1e-15 {
                break;
            }
        }
        w
    })
}

/// A service's effects: (dimension, points).
fn effects(service: usize) -> &'static [(usize, f64)] {
    match service {
        PERSONALIZED_PLAN_REVIEW => &[(PERSONALIZATION, 4.0), (PRICE, 6.0)],
        DEDICATED_ACCOUNT_MANAGER => &[(PERSONALIZATION, 8.0), (PROFESSIONALISM, 3.0)],
        _ => &[],
    }
}

/// The customer's preference for a dimension (the dimensions are declared in
/// preference order).
fn preference(c: &BaselineCustomer, dimension: usize) -> Option<f64> {
    [
        c.pref_personalization,
        c.pref_responsiveness,
        c.pref_professionalism,
        c.pref_price,
    ][dimension]
}

/// `W_d * f_d * g_d` for one dimension; `f_d = 2 p` (1 when unknown),
/// `g_d = 1 + max(0, expectation - perception) / range` (1 when either is unknown).
fn scale(c: &BaselineCustomer, dimension: usize) -> f64 {
    let f = preference(c, dimension).map_or(1.0, |p| 2.0 * p.clamp(0.0, 1.0));
    let g = match (c.perception[dimension], c.expectation[dimension]) {
        (Some(p), Some(e)) => 1.0 + (e - p).max(0.0) / RANGE,
        _ => 1.0,
    };
    weights()[dimension] * f * g
}

/// `gain derived`: the sum over the service's effects of `W_d f_d g_d min(e_d, H_d)`.
fn derived(service: usize, c: &BaselineCustomer) -> f64 {
    effects(service)
        .iter()
        .map(|&(d, e)| scale(c, d) * e.min(headroom(c, d)))
        .sum()
}

/// Diminishing returns on shared dimensions, in rank order, then the cap of
/// the total at the headroom.
fn stack(offers: &mut [(usize, f64, i8)], c: &BaselineCustomer) {
    let mut remaining = [f64::NAN; 4];
    for offer in offers.iter_mut() {
        let (mut alone, mut stacked) = (0.0, 0.0);
        for &(d, e) in effects(offer.0) {
            let room = headroom(c, d);
            let left = &mut remaining[d];
            if left.is_nan() {
                *left = room;
            }
            let closes = e.min(room);
            let share = if room > 0.0 { closes / room } else { 0.0 };
            let s = scale(c, d);
            alone += s * closes;
            stacked += s * share * *left;
            *left -= share * *left;
        }
        if alone > 0.0 {
            offer.1 *= stacked / alone;
        }
    }
    let total: f64 = offers.iter().map(|o| o.1).sum();
    if total > RANGE {
        let factor = RANGE / total;
        offers.iter_mut().for_each(|o| o.1 *= factor);
    }
}

// ---- the rules ---------------------------------------------------------------

/// Services of the bundled catalog, by index.
const SERVICE_IDS: [&str; 15] = [
    "priority_support",
    "remote_diagnostics",
    "home_installation",
    "online_security_suite",
    "senior_care_line",
    "cloud_backup",
    "paperless_onboarding",
    "autopay_setup",
    "personalized_plan_review",
    "dedicated_account_manager",
    "streaming_bundle",
    "contract_upgrade_offer",
    "device_protection_plus",
    "feedback_callback_24h",
    "loyalty_membership",
];

const PRIORITY_SUPPORT: usize = 0;
const REMOTE_DIAGNOSTICS: usize = 1;
const HOME_INSTALLATION: usize = 2;
const ONLINE_SECURITY_SUITE: usize = 3;
const SENIOR_CARE_LINE: usize = 4;
const CLOUD_BACKUP: usize = 5;
const PAPERLESS_ONBOARDING: usize = 6;
const AUTOPAY_SETUP: usize = 7;
const PERSONALIZED_PLAN_REVIEW: usize = 8;
const DEDICATED_ACCOUNT_MANAGER: usize = 9;
const STREAMING_BUNDLE: usize = 10;
const CONTRACT_UPGRADE_OFFER: usize = 11;
const DEVICE_PROTECTION_PLUS: usize = 12;
const FEEDBACK_CALLBACK_24H: usize = 13;
const LOYALTY_MEMBERSHIP: usize = 14;

/// Most offers a customer receives (`max_offers`).
const MAX_OFFERS: usize = 3;

/// Segment depths (longest path from `everyone`).
const EVERYONE: u8 = 0;
const LEVEL_1: u8 = 1;
const LEVEL_2: u8 = 2;
const HIGH_VALUE_FLEXIBLE: u8 = 3;

/// The winning offer of one service so far.
#[derive(Clone, Copy)]
struct Candidate {
    depth: u8,
    priority: i8,
    rule: u8,
}

/// Offer conflicts: the deepest segment wins, then the higher priority, then
/// the earlier rule. Rules are visited in file order, so "earlier" is "already
/// there" and a later rule must be strictly better.
struct Conflicts {
    best: [Option<Candidate>; 15],
    suppressed: u16,
}

impl Conflicts {
    #[inline]
    fn offer(&mut self, service: usize, depth: u8, priority: i8, rule: u8) {
        let slot = &mut self.best[service];
        let wins = match slot {
            None => true,
            Some(c) => (depth, priority) > (c.depth, c.priority),
        };
        if wins {
            *slot = Some(Candidate {
                depth,
                priority,
                rule,
            });
        }
    }

    #[inline]
    fn suppress(&mut self, service: usize) {
        self.suppressed |= 1 << service;
    }
}

#[inline]
fn is(value: Option<bool>) -> bool {
    value == Some(true)
}

#[inline]
fn is_not(value: Option<bool>) -> bool {
    value == Some(false)
}

/// The bundled package's recommendations for one customer: at most three
/// (service id, gain), by gain, then priority, then service id.
pub fn recommend(c: &BaselineCustomer, out: &mut Vec<(&'static str, f64)>) {
    out.clear();
    recommend_rules(c, |service, _, gain| out.push((SERVICE_IDS[service], gain)));
}

/// As [`recommend`], with each offer's winning rule (the engine's rule id,
/// as in the comments below): `emit(service, rule, gain)`, best first. For
/// writing the offer's rule, segment and reason, as
/// `examples/jsonl_baseline.rs` does.
#[inline]
pub fn recommend_rules(c: &BaselineCustomer, mut emit: impl FnMut(usize, u8, f64)) {
    let mut k = Conflicts {
        best: [None; 15],
        suppressed: 0,
    };
    let tenure = c.tenure;
    let monthly = c.monthly;
    let complaints = c.open_complaints;
    let has_complaint = complaints.is_some_and(|n| n > 0.0);
    let fiber = c.internet == Some(Internet::Fiber);
    // `internet in ["DSL", "Fiber optic"]` and `internet != "No"` alike.
    let broadband = matches!(c.internet, Some(Internet::Dsl | Internet::Fiber));

    // Segments (segments.vas).
    let new_customer = tenure < 6.0;
    let established = tenure >= 24.0;
    let month_to_month = c.contract == Some(Contract::MonthToMonth);
    let seniors = is(c.senior);
    let high_value = established && monthly >= 80.0;
    let at_risk =
        month_to_month && tenure < 12.0 && (fiber || c.payment == Some(Payment::ElectronicCheck));
    let new_fiber = new_customer && fiber;
    let connected_seniors = seniors && broadband;
    let high_value_flexible = high_value && month_to_month;

    // Profiles (profiles.vas).
    let speed_seeker = c.pref_responsiveness.is_some_and(|p| p >= 0.7);
    let personal_touch = c.pref_personalization.is_some_and(|p| p >= 0.7);
    let expert_minded = c.pref_professionalism.is_some_and(|p| p >= 0.7);
    let price_sensitive = c.pref_price.is_some_and(|p| p >= 0.6);

    // retention.vas
    if has_complaint {
        k.offer(FEEDBACK_CALLBACK_24H, EVERYONE, 8, 0); // complaint_callback
    }
    if c.nps.is_some_and(|n| n <= 6.0) {
        k.offer(FEEDBACK_CALLBACK_24H, EVERYONE, 7, 1); // detractor_callback
    }
    if at_risk {
        k.offer(FEEDBACK_CALLBACK_24H, LEVEL_2, 4, 2); // at_risk_callback
    }
    if established {
        k.offer(LOYALTY_MEMBERSHIP, LEVEL_1, 0, 3); // loyalty_for_established
    }
    if tenure % 12.0 == 11.0 {
        k.offer(LOYALTY_MEMBERSHIP, EVERYONE, 2, 4); // anniversary_points
    }
    if month_to_month && tenure >= 12.0 {
        k.offer(CONTRACT_UPGRADE_OFFER, LEVEL_1, 0, 5); // contract_upgrade_month_to_month
    }
    if at_risk && monthly >= 50.0 {
        k.offer(CONTRACT_UPGRADE_OFFER, LEVEL_2, 5, 6); // lock_in_at_risk
    }
    if high_value_flexible {
        k.offer(CONTRACT_UPGRADE_OFFER, HIGH_VALUE_FLEXIBLE, 4, 7); // flexible_vip_upgrade
    }
    if has_complaint {
        k.suppress(CONTRACT_UPGRADE_OFFER); // calm_first_contract
        k.suppress(STREAMING_BUNDLE); // calm_first_streaming
    }
    if at_risk && price_sensitive {
        k.suppress(STREAMING_BUNDLE); // no_bundle_for_price_sensitive
    }
    if is(c.churned) {
        k.suppress(CONTRACT_UPGRADE_OFFER); // no_upgrade_after_churn
    }

    // rules.vas
    if high_value
        && personal_touch
        && matches!(c.contract, Some(Contract::OneYear | Contract::TwoYear))
    {
        k.offer(DEDICATED_ACCOUNT_MANAGER, LEVEL_2, 10, 12); // vip_manager
    }
    if high_value && tenure >= 48.0 && monthly >= 100.0 {
        k.offer(DEDICATED_ACCOUNT_MANAGER, LEVEL_2, 8, 13); // vip_manager_long_tenure
    }
    if high_value_flexible && monthly >= 95.0 {
        k.offer(DEDICATED_ACCOUNT_MANAGER, HIGH_VALUE_FLEXIBLE, 3, 14); // flexible_vip_manager
    }
    if c.total
        .is_some_and(|total| tenure >= 6.0 && monthly > 1.1 * total / tenure.max(1.0))
    {
        k.offer(PERSONALIZED_PLAN_REVIEW, EVERYONE, 4, 15); // bill_shock_review
    }
    if month_to_month && price_sensitive {
        k.offer(PERSONALIZED_PLAN_REVIEW, LEVEL_1, 2, 16); // price_sensitive_review
    }
    if at_risk && c.payment == Some(Payment::ElectronicCheck) {
        k.offer(PERSONALIZED_PLAN_REVIEW, LEVEL_2, 1, 17); // at_risk_plan_review
    }
    if fiber && personal_touch && is_not(c.streaming_tv) && is_not(c.streaming_movies) {
        k.offer(STREAMING_BUNDLE, LEVEL_1, 0, 18); // streaming_for_personal_fiber
    }
    if established && fiber && is(c.dependents) && is_not(c.streaming_tv) {
        k.offer(STREAMING_BUNDLE, LEVEL_1, 0, 19); // streaming_for_families
    }
    if new_customer && is_not(c.paperless_billing) {
        k.offer(PAPERLESS_ONBOARDING, LEVEL_1, 0, 20); // paperless_for_new
    }
    if matches!(
        c.payment,
        Some(Payment::ElectronicCheck | Payment::MailedCheck)
    ) && matches!(c.contract, Some(Contract::MonthToMonth | Contract::OneYear))
    {
        k.offer(AUTOPAY_SETUP, EVERYONE, 0, 21); // autopay_for_manual_payers
    }

    // support.vas
    let no_tech_support = is_not(c.tech_support);
    if speed_seeker && no_tech_support {
        k.offer(PRIORITY_SUPPORT, EVERYONE, 2, 22); // fast_lane
    }
    if fiber && no_tech_support {
        k.offer(PRIORITY_SUPPORT, LEVEL_1, 3, 23); // fiber_priority_support
        if new_fiber {
            k.offer(PRIORITY_SUPPORT, LEVEL_2, 1, 24); // new_fiber_priority_support
        }
    }
    if new_fiber && tenure <= 1.0 {
        k.offer(HOME_INSTALLATION, LEVEL_2, 5, 25); // first_month_installation
    }
    if fiber && is_not(c.online_security) && (is(c.streaming_tv) || is(c.streaming_movies)) {
        k.offer(ONLINE_SECURITY_SUITE, LEVEL_1, 0, 26); // security_for_streamers
    }
    if connected_seniors && is_not(c.online_security) {
        k.offer(ONLINE_SECURITY_SUITE, LEVEL_2, 2, 27); // security_for_seniors
    }
    if expert_minded && broadband {
        k.offer(REMOTE_DIAGNOSTICS, EVERYONE, 0, 28); // expert_diagnostics
    }
    if established && broadband && no_tech_support && complaints.unwrap_or(0.0) == 0.0 {
        k.offer(REMOTE_DIAGNOSTICS, LEVEL_1, 0, 29); // proactive_line_check
    }
    if c.channel == Some(Channel::Online) && broadband {
        k.offer(REMOTE_DIAGNOSTICS, EVERYONE, -1, 30); // online_selfcare
    }
    if seniors {
        k.offer(SENIOR_CARE_LINE, LEVEL_1, 5, 31); // senior_care
        if is_not(c.partner) && is_not(c.dependents) {
            k.offer(SENIOR_CARE_LINE, LEVEL_1, 6, 32); // senior_living_alone
        }
    }
    if new_customer && is_not(c.device_protection) {
        k.offer(DEVICE_PROTECTION_PLUS, LEVEL_1, 0, 33); // new_device_protection
    }
    if high_value && is_not(c.device_protection) {
        k.offer(DEVICE_PROTECTION_PLUS, LEVEL_2, 2, 34); // premium_device_protection
    }
    if is(c.dependents) && is_not(c.online_backup) {
        k.offer(CLOUD_BACKUP, EVERYONE, 0, 35); // family_cloud_backup
    }

    // Gains of the winners; a suppressed service, or a gain that needs a
    // missing value, makes no offer.
    let mut offers: [(usize, f64, i8); 15] = [(0, 0.0, 0); 15];
    let mut n = 0;
    for (service, candidate) in k.best.iter().enumerate() {
        let Some(candidate) = candidate else {
            continue;
        };
        if k.suppressed & (1 << service) != 0 {
            continue;
        }
        if let Some(gain) = gain(candidate.rule, c) {
            offers[n] = (service, gain, candidate.priority);
            n += 1;
        }
    }
    let offers = &mut offers[..n];
    offers.sort_unstable_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(b.2.cmp(&a.2))
            .then_with(|| SERVICE_IDS[a.0].cmp(SERVICE_IDS[b.0]))
    });
    let offers = &mut offers[..n.min(MAX_OFFERS)];
    stack(offers, c);
    for &(service, gain, _) in offers.iter() {
        emit(service, k.best[service].map_or(0, |w| w.rule), gain);
    }
}

/// `value_or(x, y)`.
#[inline]
fn or(value: Option<f64>, default: f64) -> f64 {
    value.unwrap_or(default)
}

/// The gain of the winning rule, written as in the rule (same operations in
/// the same order, so the floating-point result is the engine's to the bit).
fn gain(rule: u8, c: &BaselineCustomer) -> Option<f64> {
    let responsiveness = c.pref_responsiveness;
    let professionalism = c.pref_professionalism;
    let price = c.pref_price;
    let personalization = c.pref_personalization;
    Some(match rule {
        0 => 3.0 + 1.5 * c.open_complaints?.min(3.0),
        1 => 2.5 + 0.5 * (6.0 - c.nps?),
        2 => (3.0 + 1.5 * or(c.open_complaints, 0.0) + or(responsiveness, 0.5)).clamp(3.0, 8.0),
        // The membership tier table of the rule's script.
        3 => match c.tenure {
            t if t >= 60.0 => 4.0,
            t if t >= 36.0 => 3.0,
            t if t >= 24.0 => 2.5,
            _ => 2.0,
        },
        4 => 3.0,
        5 => 2.5,
        6 => 2.5 + 3.0 * or(price, 0.5),
        7 => 3.0 + 2.0 * or(price, 0.3),
        12 => derived(DEDICATED_ACCOUNT_MANAGER, c), // gain derived
        13 => 4.0,
        14 => 5.0,
        15 => 3.0 + 2.0 * or(price, 0.5),
        16 => 2.0 + 3.0 * price?,
        17 => 3.0, // default_gain of personalized_plan_review
        18 => 2.0 + 2.0 * personalization?,
        19 => 2.5,
        20 => 1.5, // default_gain of paperless_onboarding
        21 => 1.0 + 1.5 * or(price, 0.4),
        22 => 1.5 + 2.5 * responsiveness?,
        23 => 2.5 + 1.5 * or(responsiveness, 0.5),
        24 => 4.5,
        25 => 3.5 + or(professionalism, 0.5),
        26 => 2.0 + 2.5 * or(professionalism, 0.4),
        27 => 3.5,
        28 => 1.0 + 2.0 * professionalism?,
        29 => 1.5, // default_gain of remote_diagnostics
        30 => 1.8,
        31 => 3.0 + 2.0 * or(responsiveness, 0.5),
        32 => 6.0,
        33 => 2.5,
        34 => 6.0_f64.min(c.monthly / 20.0),
        35 => 2.0 + 1.5 * or(personalization, 0.3),
        _ => return None,
    })
}

/// For tests: compares gains with a tolerance and the order exactly.
pub fn same_offers(a: &[(&str, f64)], b: &[(&str, f64)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() <= 1e-9)
}
