//! The flat 40-rule package (`flat_gen::generate(40, 7)`) written by hand in
//! plain Rust: the near-limit figure the engine is measured against on a
//! package the segment graph cannot prune, and the other side of a
//! differential test (`tests/flat_baseline.rs`): on every customer it must
//! give exactly the engine's offers.
//!
//! In: a customer as `baseline.rs` reads it (the bundled schema). Out: up to
//! 5 offers as (service id, gain), best first (gain, then priority, then
//! service id). All rules are on one segment, so a service goes to its
//! highest-priority rule that fires, the earlier one on a tie.
//!
//! Missing values: every test is on a single value, and a test on a missing
//! value is unknown, which does not hold; no rule negates a conjunction, so
//! `not senior` is `senior == Some(false)` and a condition holds exactly when
//! each of its tests holds on known values. Keep it in step with the
//! generator by hand; the rule names in comments are the generated ones.

#![allow(dead_code)]

use crate::baseline::{BaselineCustomer, Contract, Internet, Payment};

const SERVICE_IDS: [&str; 12] = [
    "svc_00", "svc_01", "svc_02", "svc_03", "svc_04", "svc_05", "svc_06", "svc_07", "svc_08",
    "svc_09", "svc_10", "svc_11",
];

/// The winning rule of each service so far: (priority, rule).
struct Winners([Option<(i8, u8)>; 12]);

impl Winners {
    /// Rules are visited in file order, so a later rule wins only with a
    /// strictly higher priority.
    #[inline]
    fn offer(&mut self, service: usize, priority: i8, rule: u8) {
        let slot = &mut self.0[service];
        if slot.is_none_or(|(p, _)| priority > p) {
            *slot = Some((priority, rule));
        }
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

#[inline]
fn at_least(value: Option<f64>, k: f64) -> bool {
    value.is_some_and(|v| v >= k)
}

/// The flat package's recommendations for one customer.
pub fn recommend(c: &BaselineCustomer, out: &mut Vec<(&'static str, f64)>) {
    out.clear();
    recommend_rules(c, |service, _, gain| out.push((SERVICE_IDS[service], gain)));
}

/// As [`recommend`], with each offer's winning rule (its index in the
/// generated package, the engine's rule id): `emit(service, rule, gain)`,
/// best first. For writing the offer's rule, segment and reason, as
/// `examples/jsonl_baseline.rs` does.
#[inline]
pub fn recommend_rules(c: &BaselineCustomer, mut emit: impl FnMut(usize, u8, f64)) {
    let mut w = Winners([None; 12]);
    let tenure = c.tenure;
    let monthly = c.monthly;
    let price = c.pref_price;
    let speed = c.pref_responsiveness;
    let dsl = c.internet == Some(Internet::Dsl);
    let fiber = c.internet == Some(Internet::Fiber);
    let online = matches!(c.internet, Some(Internet::Dsl | Internet::Fiber));
    let one_year = c.contract == Some(Contract::OneYear);
    let two_year = c.contract == Some(Contract::TwoYear);
    let monthly_contract = c.contract == Some(Contract::MonthToMonth);
    let not_monthly = matches!(c.contract, Some(Contract::OneYear | Contract::TwoYear));
    let e_check = c.payment == Some(Payment::ElectronicCheck);
    let automatic = matches!(c.payment, Some(Payment::BankTransfer | Payment::CreditCard));
    let not_mailed = c.payment.is_some_and(|p| p != Payment::MailedCheck);
    let tech = is(c.tech_support);
    let no_tech = is_not(c.tech_support);
    let paperless = is(c.paperless_billing);
    let on_paper = is_not(c.paperless_billing);
    let senior = is(c.senior);
    let not_senior = is_not(c.senior);

    if dsl && tech {
        w.offer(10, -1, 0); // f_0000
    }
    if fiber && at_least(speed, 0.5) {
        w.offer(10, 1, 1); // f_0001
    }
    if at_least(speed, 0.6) && tenure >= 43.0 && monthly >= 86.0 {
        w.offer(7, -2, 2); // f_0002
    }
    if not_senior && at_least(price, 0.4) {
        w.offer(11, -2, 3); // f_0003
    }
    if tenure >= 39.0 && automatic {
        w.offer(6, 1, 4); // f_0004
    }
    if e_check && monthly >= 86.0 && paperless {
        w.offer(0, -1, 5); // f_0005
    }
    if monthly < 70.0 && one_year && not_mailed {
        w.offer(4, -2, 6); // f_0006
    }
    if not_mailed && monthly < 34.0 && paperless {
        w.offer(1, 3, 7); // f_0007
    }
    if monthly < 53.0 && not_mailed {
        w.offer(0, 1, 8); // f_0008
    }
    if tenure < 46.0 && two_year {
        w.offer(5, 4, 9); // f_0009
    }
    if monthly_contract && at_least(speed, 0.5) {
        w.offer(2, -1, 10); // f_0010
    }
    if monthly < 42.0 && no_tech && not_mailed {
        w.offer(4, 2, 11); // f_0011
    }
    if at_least(speed, 0.7) && monthly < 69.0 && not_mailed {
        w.offer(0, 0, 12); // f_0012
    }
    if at_least(price, 0.6) && tenure < 36.0 && dsl {
        w.offer(10, 1, 13); // f_0013
    }
    if monthly >= 40.0 && no_tech && e_check {
        w.offer(11, 4, 14); // f_0014
    }
    if two_year && tenure < 36.0 && at_least(speed, 0.4) {
        w.offer(9, 4, 15); // f_0015
    }
    if at_least(price, 0.7) && tenure >= 56.0 && at_least(speed, 0.7) {
        w.offer(11, 4, 16); // f_0016
    }
    if tech && monthly < 35.0 {
        w.offer(8, 0, 17); // f_0017
    }
    if online && one_year && at_least(speed, 0.7) {
        w.offer(10, 1, 18); // f_0018
    }
    if at_least(price, 0.4) && monthly >= 66.0 {
        w.offer(1, 2, 19); // f_0019
    }
    if tenure < 31.0 && not_monthly {
        w.offer(4, 1, 20); // f_0020
    }
    if monthly >= 72.0 && tenure < 38.0 && automatic {
        w.offer(6, 1, 21); // f_0021
    }
    if e_check && tech && dsl {
        w.offer(8, 2, 22); // f_0022
    }
    if monthly >= 87.0 && not_senior && dsl {
        w.offer(9, 2, 23); // f_0023
    }
    if monthly < 81.0 && automatic && dsl {
        w.offer(9, 0, 24); // f_0024
    }
    if at_least(price, 0.7) && not_monthly && on_paper {
        w.offer(8, 2, 25); // f_0025
    }
    if at_least(price, 0.3) && at_least(speed, 0.5) {
        w.offer(6, 5, 26); // f_0026
    }
    if not_mailed && not_monthly && paperless {
        w.offer(4, 3, 27); // f_0027
    }
    if monthly < 60.0 && on_paper {
        w.offer(9, -1, 28); // f_0028
    }
    if tech && at_least(speed, 0.7) && tenure < 15.0 {
        w.offer(6, -2, 29); // f_0029
    }
    if at_least(price, 0.5) && tenure >= 45.0 && not_senior {
        w.offer(0, 0, 30); // f_0030
    }
    if at_least(speed, 0.3) && automatic {
        w.offer(1, 4, 31); // f_0031
    }
    if tech && fiber && at_least(price, 0.6) {
        w.offer(3, -2, 32); // f_0032
    }
    if paperless && not_senior && at_least(price, 0.7) {
        w.offer(11, -1, 33); // f_0033
    }
    if monthly >= 90.0 && online && at_least(price, 0.3) {
        w.offer(4, -1, 34); // f_0034
    }
    if at_least(speed, 0.7) && tech {
        w.offer(6, 5, 35); // f_0035
    }
    if monthly >= 42.0 && tech {
        w.offer(0, 3, 36); // f_0036
    }
    if at_least(speed, 0.5) && tech {
        w.offer(4, 4, 37); // f_0037
    }
    if fiber && e_check && senior {
        w.offer(6, 0, 38); // f_0038
    }
    if monthly < 49.0 && at_least(speed, 0.6) {
        w.offer(6, 3, 39); // f_0039
    }

    // Gains of the winners; a gain that needs a missing value makes no offer.
    let mut offers: [(usize, f64, i8, u8); 12] = [(0, 0.0, 0, 0); 12];
    let mut n = 0;
    for (service, winner) in w.0.iter().enumerate() {
        let Some((priority, rule)) = *winner else {
            continue;
        };
        if let Some(gain) = gain(rule, c) {
            offers[n] = (service, gain, priority, rule);
            n += 1;
        }
    }
    let offers = &mut offers[..n];
    offers.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    for &(service, gain, _, rule) in offers.iter().take(crate::flat_gen::MAX_OFFERS) {
        emit(service, rule, gain);
    }
}

/// Recommends for every customer in turn: the timed loop of the flat bench
/// and of `versus_baseline --flat`. The sums keep the work observable.
pub fn run_batch(customers: &[BaselineCustomer]) -> (usize, f64) {
    let mut out = Vec::with_capacity(crate::flat_gen::MAX_OFFERS);
    let (mut count, mut gain) = (0, 0.0);
    for customer in customers {
        recommend(customer, &mut out);
        count += out.len();
        gain += out.iter().map(|o| o.1).sum::<f64>();
    }
    (count, gain)
}

/// The gain of the winning rule, written as in the rule.
fn gain(rule: u8, c: &BaselineCustomer) -> Option<f64> {
    let speed = c.pref_responsiveness;
    let price = c.pref_price.unwrap_or(0.5);
    let monthly = c.monthly;
    Some(match rule {
        0 => 6.0,
        1 => 3.8,
        2 => 4.4,
        3 => 3.1,
        4 => 2.5, // default_gain of svc_06
        5 => 5.6,
        6 => 3.7,
        7 => 2.0 + 2.4 * price,
        8 => 1.5, // default_gain of svc_00
        9 => 2.6 + 2.0 * speed?,
        10 => 1.7,
        11 => 1.0,
        12 => 4.4,
        13 => 3.1,
        14 => 1.2 + 0.03 * monthly,
        15 => 2.2 + 1.1 * speed?,
        16 => 1.9 + 0.05 * monthly,
        17 => 5.1,
        18 => 5.5,
        19 => 1.6 + 0.04 * monthly,
        20 => 1.5 + 2.8 * price,
        21 => 1.4 + 2.7 * price,
        22 => 1.2 + 1.2 * price,
        23 => 2.0, // default_gain of svc_09
        24 => 1.5 + 2.8 * price,
        25 => 3.1,
        26 => 2.1 + 2.5 * price,
        27 => 1.2 + 2.7 * price,
        28 => 5.8,
        29 => 2.5, // default_gain of svc_06
        30 => 1.5, // default_gain of svc_00
        31 => 2.6,
        32 => 1.4 + 2.3 * speed?,
        33 => 3.0 + 1.5 * speed?,
        34 => 1.9 + 2.8 * speed?,
        35 => 2.5, // default_gain of svc_06
        36 => 1.5, // default_gain of svc_00
        37 => 5.0,
        38 => 2.5, // default_gain of svc_06
        39 => 2.5, // default_gain of svc_06
        _ => return None,
    })
}
