//! Running one case and checking its expectations.
//!
//! In: a parsed case, the [`Names`] and [`Samples`] of the package, and an
//! [`Evaluator`].
//! Out: one message per expectation that did not hold, and the customer that
//! was evaluated (for coverage); or why the case could not run (an unknown
//! name in the expectations, a bad customer). [`describe_actual`] then copies
//! what the customer actually got into the [`CaseResult`].

use super::cases::{CaseSpec, Expect, GainDetail, GainSpec};
use super::customers::{Names, Samples, build_customer};
use super::words::{join, list};
use super::{ActualOffer, CaseResult, DEFAULT_TOLERANCE};
use crate::base::number::trimmed;
use crate::engine::eval::Evaluator;
use crate::lang::ir::ServiceId;
use crate::package::customer::Customer;
use std::fmt::Write as _;

pub(super) fn run_case(
    spec: &CaseSpec,
    names: &Names<'_>,
    samples: &Samples,
    evaluator: &mut Evaluator<'_>,
) -> Result<(Vec<String>, Customer), String> {
    let expect = &spec.expect;
    validate(expect, names)?;
    let customer = build_customer(spec, names, samples)?;
    let engine = names.engine;
    evaluator
        .evaluate(&customer)
        .map_err(|e| format!("evaluation failed: {e}"))?;
    let offers = evaluator.offers();
    let service = |id: ServiceId| engine.get_service(id).map_or("", |s| s.id.as_str());
    let got: Vec<&str> = offers.iter().map(|o| service(o.service)).collect();
    let shown = list(&got);
    let mut failures = Vec::new();

    if let Some(wanted) = &expect.offers
        && got != *wanted
    {
        let mut message = format!("offers: expected {}, got {shown}", list(wanted));
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| !got.contains(&w.as_str()))
            .collect();
        let unexpected: Vec<&str> = got
            .iter()
            .copied()
            .filter(|g| !wanted.iter().any(|w| w == g))
            .collect();
        if !missing.is_empty() {
            let _ = write!(message, "\n  missing: {}", join(&missing));
        }
        if !unexpected.is_empty() {
            let _ = write!(message, "\n  unexpected: {}", unexpected.join(", "));
        }
        if missing.is_empty() && unexpected.is_empty() {
            message.push_str("\n  same services, another order");
        }
        failures.push(message);
    }
    for wanted in &expect.includes {
        if !got.contains(&wanted.as_str()) {
            failures.push(format!(
                "includes: expected {wanted} among the offers, got {shown}"
            ));
        }
    }
    for unwanted in &expect.excludes {
        if let Some(o) = offers.iter().find(|o| service(o.service) == unwanted) {
            failures.push(format!(
                "excludes: {unwanted} was offered (gain {}, rule {})",
                trimmed(o.gain),
                engine.rule_name(o.rule)
            ));
        }
    }
    if let Some(top) = &expect.top
        && got.first() != Some(&top.as_str())
    {
        let actual = got
            .first()
            .map_or("no offer".to_string(), |g| g.to_string());
        failures.push(format!(
            "top: expected {top}, got {actual} (offers {shown})"
        ));
    }
    for (wanted, spec) in &expect.gain {
        let (value, tolerance) = match spec {
            GainSpec::Value(v) => (*v, DEFAULT_TOLERANCE),
            GainSpec::Detailed(d) => (d.value, d.tolerance.unwrap_or(DEFAULT_TOLERANCE)),
        };
        let expected = format!("{} ± {}", trimmed(value), trimmed(tolerance));
        match offers.iter().find(|o| service(o.service) == wanted) {
            Some(o) if (o.gain - value).abs() <= tolerance + 1e-9 => {}
            Some(o) => failures.push(format!(
                "gain of {wanted}: expected {expected}, got {} (rule {})",
                trimmed(o.gain),
                engine.rule_name(o.rule)
            )),
            None => failures.push(format!(
                "gain of {wanted}: expected {expected}, but {wanted} was not offered (offers {shown})"
            )),
        }
    }
    for (wanted, rule) in &expect.made_by {
        match offers.iter().find(|o| service(o.service) == wanted) {
            Some(o) if engine.rule_name(o.rule) == rule => {}
            Some(o) => failures.push(format!(
                "made_by {wanted}: expected rule {rule}, got rule {}",
                engine.rule_name(o.rule)
            )),
            None => failures.push(format!(
                "made_by {wanted}: expected rule {rule}, but {wanted} was not offered (offers {shown})"
            )),
        }
    }
    let blocked = evaluator.blocked();
    for wanted in &expect.blocked {
        if !blocked.iter().any(|(s, _)| service(*s) == wanted) {
            let actual: Vec<&str> = blocked.iter().map(|(s, _)| service(*s)).collect();
            failures.push(format!(
                "blocked: expected an offer of {wanted} to be dropped (by a suppression or a missing value), got blocked {}",
                list(&actual)
            ));
        }
    }
    let members: Vec<&str> = evaluator
        .memberships()
        .iter()
        .map(|&s| engine.segment_name(s))
        .collect();
    for wanted in &expect.segments {
        if !members.contains(&wanted.as_str()) {
            failures.push(format!(
                "segments: expected to be in {wanted}, but is not (in {})",
                list(&members)
            ));
        }
    }
    for unwanted in &expect.not_segments {
        if members.contains(&unwanted.as_str()) {
            failures.push(format!(
                "not_segments: expected not to be in {unwanted}, but is (in {})",
                list(&members)
            ));
        }
    }
    match expect.no_offers {
        Some(true) if !got.is_empty() => {
            failures.push(format!("no_offers: expected no offer, got {shown}"));
        }
        Some(false) if got.is_empty() => {
            failures.push("no_offers: false: expected at least one offer, got none".into());
        }
        _ => {}
    }
    Ok((failures, customer))
}

/// Names in the expectations must exist: a typo must not pass silently.
fn validate(expect: &Expect, names: &Names<'_>) -> Result<(), String> {
    let e = expect;
    let services = e.offers.iter().flatten().map(|s| ("offers", s));
    let services = services
        .chain(e.includes.iter().map(|s| ("includes", s)))
        .chain(e.excludes.iter().map(|s| ("excludes", s)))
        .chain(e.top.iter().map(|s| ("top", s)))
        .chain(e.gain.keys().map(|s| ("gain", s)))
        .chain(e.made_by.keys().map(|s| ("made_by", s)))
        .chain(e.blocked.iter().map(|s| ("blocked", s)));
    let mut problems = Vec::new();
    for (key, name) in services {
        if let Err(m) = names.service(name) {
            problems.push(format!("expect.{key}: {m}"));
        }
    }
    for (key, name) in (e.segments.iter().map(|s| ("segments", s)))
        .chain(e.not_segments.iter().map(|s| ("not_segments", s)))
    {
        if let Err(m) = names.segment(name) {
            problems.push(format!("expect.{key}: {m}"));
        }
    }
    for rule in e.made_by.values() {
        if let Err(m) = names.rule(rule) {
            problems.push(format!("expect.made_by: {m}"));
        }
    }
    for (service, spec) in &e.gain {
        if let GainSpec::Detailed(GainDetail {
            tolerance: Some(t), ..
        }) = spec
            && (t.is_nan() || *t < 0.0)
        {
            problems.push(format!(
                "expect.gain.{service}: the tolerance must be 0 or more"
            ));
        }
    }
    let says_something = e.offers.is_some()
        || !e.includes.is_empty()
        || !e.excludes.is_empty()
        || e.top.is_some()
        || !e.gain.is_empty()
        || !e.made_by.is_empty()
        || !e.blocked.is_empty()
        || !e.segments.is_empty()
        || !e.not_segments.is_empty()
        || e.no_offers.is_some();
    if !says_something {
        problems.push("expect: nothing to check; give offers, includes, excludes, top, gain, made_by, blocked, segments, not_segments or no_offers".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

pub(super) fn describe_actual(evaluator: &Evaluator<'_>, result: &mut CaseResult) {
    let engine = evaluator.engine();
    result.offers = evaluator
        .offers()
        .iter()
        .map(|o| ActualOffer {
            service: engine
                .get_service(o.service)
                .map_or(String::new(), |s| s.id.clone()),
            gain: o.gain,
            rule: engine.rule_name(o.rule).to_string(),
        })
        .collect();
    result.segments = evaluator
        .memberships()
        .iter()
        .map(|&s| engine.segment_name(s).to_string())
        .collect();
}
