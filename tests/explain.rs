//! `explain`: the trace of one customer, from the library and the command line.

mod common;

use common::{golden, root, vasrec};
use vasrec::Engine;
use vasrec::trace::{RuleStatus, SegmentStatus, SlotHolder};

#[test]
fn explain_a_sample_customer_as_text_and_json() {
    let out = vasrec(&["explain", "--customer", "S000002-WZIRA"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(d) = golden(
        &root().join("tests/golden/explain_S000002.txt"),
        &String::from_utf8(out.stdout).unwrap(),
    ) {
        panic!("{d}");
    }
    let out = vasrec(&["explain", "--customer", "S000002-WZIRA", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    if let Some(d) = golden(
        &root().join("tests/golden/explain_S000002.json"),
        &String::from_utf8(out.stdout).unwrap(),
    ) {
        panic!("{d}");
    }
}

/// The same customer without the population's capacity: the account manager
/// is offered, with how the satisfaction model derived its gain.
#[test]
fn explain_without_capacity_shows_the_derivation() {
    let out = vasrec(&[
        "explain",
        "--customer",
        "S000002-WZIRA",
        "--ignore-capacity",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("weight"), "{text}");
    if let Some(d) = golden(
        &root().join("tests/golden/explain_S000002_uncapped.txt"),
        &text,
    ) {
        panic!("{d}");
    }
}

#[test]
fn explain_an_inline_customer() {
    let json = r#"{"customerID": "X-1", "tenure": 3, "MonthlyCharges": 70, "InternetService": "Fiber optic", "Contract": "Month-to-month", "PaymentMethod": "Electronic check"}"#;
    let out = vasrec(&["explain", "--json", json, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["customer_id"], "X-1");
    let at_risk = trace["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "at_risk")
        .unwrap();
    assert_eq!(at_risk["status"]["kind"], "member");
}

/// The README's own example leaves out `MonthlyCharges`, which the catalog
/// marks required: a hand-typed customer is not a row of a file, so explain
/// answers, treating it as missing, and says which values were left out.
#[test]
fn an_inline_customer_without_a_required_value_is_explained_and_told_so() {
    let json = r#"{"customerID": "X-1", "tenure": 3, "InternetService": "Fiber optic"}"#;
    let out = vasrec(&["explain", "--json", json]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "Not given (required in a customer file, missing here): MonthlyCharges (monthly_charges)\n"
        ),
        "{stdout}"
    );
    let out = vasrec(&["explain", "--json", json, "--format", "json"]);
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        trace["not_given"],
        serde_json::json!([{"attribute": "monthly_charges", "column": "MonthlyCharges"}])
    );

    // Given, but empty: that is still the error a file row gets.
    let json = r#"{"customerID": "X-1", "tenure": 3, "MonthlyCharges": ""}"#;
    let out = vasrec(&["explain", "--json", json]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --json: `MonthlyCharges` (attribute `monthly_charges`): a value is required but the field is empty\n"
    );
}

/// S000002 wanted the dedicated account manager, but its capacity went to
/// customers it adds more gain to; the place it would have held goes to the
/// offer max_offers had cut (priority support), and explain says so.
#[test]
fn a_capacity_loss_says_who_got_the_service_and_what_replaced_it() {
    let out = vasrec(&["explain", "--customer", "S000002-WZIRA", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = |name: &str| {
        trace["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == name)
            .unwrap()
            .clone()
    };
    let manager = rule("vip_manager");
    assert_eq!(manager["status"]["kind"], "cut_by_capacity");
    assert_eq!(manager["status"]["capacity"], 200);
    let wanted = manager["status"]["wanted"].as_u64().unwrap();
    assert!(wanted > 200, "{manager}");
    let cutoff = manager["status"]["cutoff_gain"].as_f64().unwrap();
    let marginal = manager["status"]["marginal"].as_f64().unwrap();
    assert!(cutoff > marginal, "{manager}");
    // Its marginal value is its gain less the offer it would displace.
    assert!(marginal < manager["gain"].as_f64().unwrap(), "{manager}");

    let support = rule("fiber_priority_support");
    assert_eq!(support["status"]["kind"], "offered");
    assert_eq!(support["status"]["rank"], 3);
    assert_eq!(
        trace["capacity"],
        serde_json::json!([{
            "service": "dedicated_account_manager",
            "kept": false,
            "marginal": marginal,
            "cutoff": cutoff,
            "replaced_by": ["priority_support"],
        }])
    );

    let out = vasrec(&["explain", "--customer", "S000002-WZIRA"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        format!(
            "      capacity 200, wanted by {wanted} customers: the 200 it adds most gain to got it; the last got it at marginal gain {cutoff:.2}, this customer's is {marginal:.2}\n"
        ),
        "  3. priority_support 优先技术支持  +3.04".to_string(),
        format!(
            "  dedicated_account_manager: lost to capacity (marginal gain {marginal:.2}, the last who got it: {cutoff:.2}); in its place: priority_support\n"
        ),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn unknown_customer_is_a_usage_error() {
    let out = vasrec(&["explain", "--customer", "NOPE"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no customer with id `NOPE` in rules/customers.csv\n"
    );
}

const CATALOG: &str = r#"
package: t
max_offers: 2
services:
  - { id: a, name: A, category: convenience, stage: pre_sale, channel: online, participation: passive }
  - { id: b, name: B, category: convenience, stage: pre_sale, channel: online, participation: passive }
  - { id: c, name: C, category: convenience, stage: pre_sale, channel: online, participation: passive }
  - { id: d, name: D, category: convenience, stage: pre_sale, channel: online, participation: passive }
customer:
  id: id
  attributes:
    - { name: id, type: text }
    - { name: spend, type: number }
    - { name: tenure, type: number }
  preferences:
    - { name: speed }
"#;

const RULES: &str = r#"
segment all { when true }
segment big under all { when spend >= 100 and tenure >= 12 }
segment new under all { when tenure < 6 }
profile fast { when pref.speed >= 0.7 }
rule general for all { offer a gain 1 priority 9 }
rule specific for big { offer a gain 2 }
rule low for all { offer b gain 5 priority 1 }
rule high for all { offer b gain 4 priority 2 }
rule first for all { offer c gain 3 }
rule second for all { offer c gain 3 }
rule calm for all { when spend > 1000 suppress c }
rule quick for all, profile fast { offer d gain 9 }
rule needs_pref for all { offer d gain 10 * pref.speed }
rule newbies for new { offer d gain 1 }
"#;

#[test]
fn every_decision_is_explained() {
    let engine = Engine::from_sources(CATALOG, &[("r.vas", RULES)]).unwrap();
    let customer = engine
        .customer()
        .set("id", "k")
        .set("spend", 2000)
        .set("tenure", 24)
        .build()
        .unwrap();
    let e = vasrec::explain(&engine, &customer);
    let status = |name: &str| {
        e.rules
            .iter()
            .find(|r| r.rule == name)
            .unwrap()
            .status
            .clone()
    };
    let reason = |name: &str| match status(name) {
        RuleStatus::LostTo { rule, reason } => format!("{rule}: {reason}"),
        other => format!("{other:?}"),
    };
    assert_eq!(reason("general"), "specific: more specific segment");
    assert_eq!(reason("low"), "high: higher priority");
    assert_eq!(reason("second"), "first: written earlier");
    assert_eq!(
        status("first"),
        RuleStatus::SuppressedBy {
            rule: "calm".into()
        }
    );
    assert_eq!(status("calm"), RuleStatus::Suppresses);
    assert_eq!(
        status("quick"),
        RuleStatus::ProfileNotMatched {
            profile: "fast".into()
        }
    );
    assert_eq!(status("needs_pref"), RuleStatus::GainMissing);
    assert_eq!(status("high"), RuleStatus::Offered { rank: 1 });
    assert_eq!(status("specific"), RuleStatus::Offered { rank: 2 });
    assert_eq!(status("newbies"), RuleStatus::SegmentNotMatched);

    let new = e.segments.iter().find(|s| s.segment == "new").unwrap();
    assert_eq!(new.status, SegmentStatus::ConditionFalse);
    let failed = new.failed.as_ref().unwrap();
    assert_eq!(failed.condition, "tenure < 6");
    assert_eq!(
        (
            failed.values[0].name.as_str(),
            failed.values[0].value.as_str()
        ),
        ("tenure", "24")
    );

    // Missing values make a test unknown, and the trace says which value was missing.
    let customer = engine
        .customer()
        .set("id", "m")
        .set("spend", 500)
        .build()
        .unwrap();
    let e = vasrec::explain(&engine, &customer);
    let big = e.segments.iter().find(|s| s.segment == "big").unwrap();
    assert_eq!(big.status, SegmentStatus::ConditionUnknown);
    let failed = big.failed.as_ref().unwrap();
    assert_eq!(
        (failed.condition.as_str(), failed.result.as_str()),
        ("tenure >= 12", "unknown")
    );
    assert_eq!(failed.values[0].value, "missing");

    // Max offers: the third-best offer is cut, and the trace says so.
    let customer = engine
        .customer()
        .set("id", "z")
        .set("spend", 0)
        .set("tenure", 24)
        .build()
        .unwrap();
    let e = vasrec::explain(&engine, &customer);
    assert_eq!(e.offers.len(), 2);
    assert_eq!(
        e.rules.iter().find(|r| r.rule == "general").unwrap().status,
        RuleStatus::CutByMaxOffers {
            max_offers: 2,
            taken_by: vec![
                SlotHolder {
                    service: "b".into(),
                    rule: "high".into(),
                    gain: 4.0,
                },
                SlotHolder {
                    service: "c".into(),
                    rule: "first".into(),
                    gain: 3.0,
                },
            ]
        }
    );
}

#[test]
fn a_derived_gain_is_traced_back_to_its_terms() {
    let engine = Engine::load(root().join("rules")).unwrap();
    let customer = engine
        .customer()
        .set("customer_id", "d")
        .set("tenure_months", 60)
        .set("monthly_charges", 110)
        .set("contract", "One year")
        .set("internet", "Fiber optic")
        .set("tech_support", true)
        .set("pref.personalization", 0.9)
        .build()
        .unwrap();
    let e = vasrec::explain(&engine, &customer);
    let manager = e
        .offers
        .iter()
        .find(|o| o.service == "dedicated_account_manager")
        .unwrap();
    assert_eq!(manager.rule, "vip_manager");
    let sum: f64 = manager.derivation.iter().map(|t| t.points).sum();
    assert!((sum - manager.gain).abs() < 1e-9, "{manager:?}");
    let personal = manager
        .derivation
        .iter()
        .find(|t| t.dimension == "personalization")
        .unwrap();
    assert!((personal.preference_factor - 1.8).abs() < 1e-12);
    assert!((personal.points - personal.weight * 1.8 * 8.0).abs() < 1e-12);
}
