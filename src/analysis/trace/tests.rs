//! Differential test: the fast evaluator against the trace (reference), on
//! random well-typed packages and random customers (seeded, reproducible).
use super::*;
use crate::base::test_rng::Rng;

const CATALOG: &str = r#"
package: random
max_offers: 3
budget: 6
channel_fit: { attribute: tier, online: [gold], offline: [bronze] }
satisfaction:
  min: 0
  max: 10
  current: c
  dimensions:
    - { id: d1, preference: p, perception: a, expectation: b }
    - { id: d2, preference: q }
    - { id: d3, perception: b }
  ahp:
    - [1, 2, 4]
    - ["1/2", 1, 2]
    - ["1/4", "1/2", 1]
services:
  - { id: s0, name: 零, category: convenience, stage: pre_sale, channel: offline, participation: passive, default_gain: 1, in_use: x, cost: 3, group: g }
  - { id: s1, name: 一, category: convenience, stage: pre_sale, channel: online, participation: passive, default_gain: 2, cost: 2, group: g }
  - { id: s2, name: 二, category: convenience, stage: pre_sale, channel: online, participation: passive, effects: { d1: 3, d2: 1 } }
  - { id: s3, name: 三, category: convenience, stage: pre_sale, channel: online, participation: passive, effects: { d2: 2, d3: 4 } }
  - { id: s4, name: 四, category: convenience, stage: pre_sale, channel: omni, participation: passive, default_gain: 2, cost: 4 }
customer:
  attributes:
    - { name: a, type: number }
    - { name: b, type: number }
    - { name: c, type: number }
    - { name: tier, type: category, values: [gold, silver, bronze] }
    - { name: x, type: bool }
    - { name: y, type: bool }
    - { name: city, type: text }
  preferences:
    - { name: p }
    - { name: q }
"#;

fn number(rng: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || rng.chance(35);
    if leaf {
        return match rng.below(5) {
            0 => format!("{}", rng.below(5)),
            1 => format!("{}.5", rng.below(3)),
            2 => rng.pick(&["pref.p", "pref.q"]).to_string(),
            _ => rng.pick(&["a", "b", "c"]).to_string(),
        };
    }
    let d = depth - 1;
    match rng.below(12) {
        0 => format!("({} + {})", number(rng, d), number(rng, d)),
        1 => format!("({} - {})", number(rng, d), number(rng, d)),
        2 => format!("({} * {})", number(rng, d), number(rng, d)),
        3 => format!(
            "({} / {})",
            number(rng, d),
            rng.pick(&["a", "b", "c", "pref.p"])
        ),
        4 => format!("({} % {})", number(rng, d), rng.pick(&["a", "b", "2"])),
        5 => format!("min({}, {})", number(rng, d), number(rng, d)),
        6 => format!(
            "max({}, {}, {})",
            number(rng, d),
            number(rng, d),
            number(rng, d)
        ),
        7 => format!("clamp({}, 0, 3)", number(rng, d)),
        8 => format!("abs({})", number(rng, d)),
        9 => format!("value_or({}, {})", number(rng, d), number(rng, d)),
        10 => "len(city)".to_string(),
        _ => format!("-{}", number(rng, d)),
    }
}

fn condition(rng: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || rng.chance(30);
    if leaf {
        return match rng.below(9) {
            0 => rng.pick(&["true", "false"]).to_string(),
            1 => rng.pick(&["x", "y", "not x"]).to_string(),
            2 => format!("tier == \"{}\"", rng.pick(&["gold", "silver", "bronze"])),
            3 => format!(
                "tier {} [\"gold\", \"silver\"]",
                rng.pick(&["in", "not in"])
            ),
            4 => format!("city == \"{}\"", rng.pick(&["上海", "北京", "x"])),
            5 => format!(
                "present({})",
                rng.pick(&["a", "tier", "x", "city", "pref.p"])
            ),
            6 => format!("starts_with(city, \"{}\")", rng.pick(&["上", "北", ""])),
            7 => "uses(s0)".to_string(),
            _ => format!("{} in [0, 1, 2]", rng.pick(&["a", "b"])),
        };
    }
    let d = depth - 1;
    match rng.below(6) {
        0 => format!("({} and {})", condition(rng, d), condition(rng, d)),
        1 => format!("({} or {})", condition(rng, d), condition(rng, d)),
        2 => format!("not {}", condition(rng, d)),
        3 => format!(
            "value_or({}, {})",
            condition(rng, d),
            rng.pick(&["true", "false"])
        ),
        4 => format!("x == ({})", condition(rng, d)),
        _ => format!(
            "{} {} {}",
            number(rng, d),
            rng.pick(&["==", "!=", "<", "<=", ">", ">="]),
            number(rng, d)
        ),
    }
}

fn package(rng: &mut Rng) -> String {
    let mut text = String::new();
    let segments = 1 + rng.below(10);
    for i in 0..segments {
        let mut parents: Vec<String> = Vec::new();
        if i > 0 {
            for _ in 0..1 + rng.below(2) {
                let p = format!("g{}", rng.below(i));
                if !parents.contains(&p) {
                    parents.push(p);
                }
            }
        }
        let under = if parents.is_empty() {
            String::new()
        } else {
            format!(" under {}", parents.join(", "))
        };
        let when = if rng.chance(80) {
            format!("when {}", condition(rng, 2))
        } else {
            String::new()
        };
        text.push_str(&format!("segment g{i}{under} {{ {when} }}\n"));
    }
    let profiles = rng.below(3);
    for i in 0..profiles {
        text.push_str(&format!(
            "profile f{i} {{ when pref.p >= 0.{} }}\n",
            rng.below(10)
        ));
    }
    for i in 0..1 + rng.below(20) {
        let segment = rng.below(segments);
        let profile = if profiles > 0 && rng.chance(25) {
            format!(", profile f{}", rng.below(profiles))
        } else {
            String::new()
        };
        let service = rng.below(5);
        let when = if rng.chance(70) {
            format!("when {}", condition(rng, 3))
        } else {
            String::new()
        };
        let action = if rng.chance(15) {
            format!("suppress s{service}")
        } else {
            let derivable = service == 2 || service == 3;
            let gain = if derivable && rng.chance(40) {
                format!("gain derived * {}", rng.pick(&["1", "1.5", "(1 + pref.q)"]))
            } else if rng.chance(70) {
                format!("gain {}", number(rng, 3))
            } else {
                // s2 and s3 derive their gain, s0, s1 and s4 use their default.
                String::new()
            };
            format!("offer s{service} {gain}")
        };
        let priority = rng.below(5) as i64 - 2;
        text.push_str(&format!(
            "rule r{i} for g{segment}{profile} {{ {when} {action} priority {priority} }}\n"
        ));
    }
    text
}

fn customer(rng: &mut Rng, engine: &Engine) -> Customer {
    let mut object = serde_json::Map::new();
    let mut put = |rng: &mut Rng, key: &str, value: serde_json::Value| {
        if rng.chance(80) {
            object.insert(key.to_string(), value);
        }
    };
    for key in ["a", "b", "c"] {
        let v = rng.below(5) as f64 - 1.0 + if rng.chance(30) { 0.5 } else { 0.0 };
        put(rng, key, serde_json::json!(v));
    }
    let tier = rng.pick(&["gold", "silver", "bronze"]);
    put(rng, "tier", serde_json::json!(tier));
    let (x, y) = (rng.chance(50), rng.chance(50));
    put(rng, "x", serde_json::json!(x));
    put(rng, "y", serde_json::json!(y));
    let city = rng.pick(&["上海", "北京", "x", "上海滩"]);
    put(rng, "city", serde_json::json!(city));
    for key in ["p", "q"] {
        let v = rng.below(11) as f64 / 10.0;
        put(rng, key, serde_json::json!(v));
    }
    engine
        .customer_from_json(&serde_json::Value::Object(object))
        .unwrap()
}

/// [`CATALOG`] with a random `ranking:` (absent, or some keys in some
/// order) and a random `gain_precision:` (absent, or 0 to 6 places).
fn catalog(rng: &mut Rng) -> String {
    let mut extra = String::new();
    if rng.chance(70) {
        let mut keys = vec!["gain", "priority", "cost", "catalog_order", "service_id"];
        let mut chosen = Vec::new();
        let wanted = 1 + rng.below(keys.len());
        for _ in 0..wanted {
            let at = rng.below(keys.len());
            chosen.push(keys.remove(at));
        }
        extra.push_str(&format!("ranking: [{}]\n", chosen.join(", ")));
    }
    if rng.chance(50) {
        extra.push_str(&format!("gain_precision: {}\n", rng.below(7)));
    }
    CATALOG.replacen("max_offers: 3\n", &format!("max_offers: 3\n{extra}"), 1)
}

#[test]
fn fast_evaluator_agrees_with_reference() {
    let mut checked = 0;
    for seed in 0..400u64 {
        let mut rng = Rng(seed);
        let rules = package(&mut rng);
        // Half the packages rank and round as their catalog says.
        let catalog = if seed % 2 == 0 {
            CATALOG.to_string()
        } else {
            catalog(&mut Rng(seed ^ 0x5EED))
        };
        let engine = match Engine::from_sources(&catalog, &[("random.vas", &rules)]) {
            Ok(engine) => engine,
            Err(e) => panic!("seed {seed}: generated package does not check:\n{e}\n{rules}"),
        };
        let mut evaluator = engine.evaluator();
        for _ in 0..40 {
            let customer = customer(&mut rng, &engine);
            let fast = evaluator.evaluate(&customer).map(<[Offer]>::to_vec);
            let reference = super::evaluate_reference(&engine, &customer);
            match (&fast, &reference) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "seed {seed}\n{catalog}\n{rules}\n{customer:?}")
                }
                (Err(_), Err(_)) => {}
                _ => panic!("seed {seed}: {fast:?} vs {reference:?}\n{rules}\n{customer:?}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 16_000);
}

/// The funnel counted from the fast evaluator's state equals the funnel
/// rebuilt from the reference evaluator's per-rule statuses, and counts never
/// increase along a funnel.
#[test]
fn funnel_agrees_with_reference_and_never_increases() {
    use crate::analysis::funnel::{FunnelTally, RULE_STAGES};
    use crate::lang::ir::RuleId;
    for seed in 0..300u64 {
        let mut rng = Rng(seed ^ 0xF00D);
        let rules = package(&mut rng);
        let engine = Engine::from_sources(CATALOG, &[("random.vas", &rules)]).unwrap();
        let mut evaluator = engine.evaluator();
        let mut fast = FunnelTally::new(&engine);
        let (_, rule_count, _) = engine.counts();
        let services = engine.catalog().services.len();
        let mut by_rule = vec![[0u64; RULE_STAGES.len()]; rule_count];
        let mut by_service = vec![[0u64; 3]; services];
        for _ in 0..40 {
            let customer = customer(&mut rng, &engine);
            if evaluator.evaluate(&customer).is_err() {
                continue;
            }
            fast.add(&evaluator);
            let explanation = super::explain(&engine, &customer);
            assert!(explanation.error.is_none());
            let mut reached = vec![[false; 3]; services];
            for (i, trace) in explanation.rules.iter().enumerate() {
                if trace.action != "offer" {
                    continue;
                }
                let passed = match &trace.status {
                    RuleStatus::SegmentNotMatched => 0,
                    RuleStatus::ProfileNotMatched { .. } => 1,
                    RuleStatus::ConditionFalse | RuleStatus::ConditionUnknown => 2,
                    RuleStatus::LostTo { .. } => 3,
                    RuleStatus::SuppressedBy { .. } => 4,
                    RuleStatus::GainMissing => 5,
                    RuleStatus::CutByMaxOffers { .. } => 6,
                    RuleStatus::ChannelMismatch => 7,
                    RuleStatus::ExclusiveWith { .. } => 8,
                    RuleStatus::CutByBudget => 9,
                    RuleStatus::CutByCapacity { .. } => 10,
                    RuleStatus::Offered { .. } => RULE_STAGES.len(),
                    other => panic!("seed {seed}: unexpected status {other:?}"),
                };
                for count in &mut by_rule[i][..passed] {
                    *count += 1;
                }
                let service = (engine.rule_service(RuleId::new(i))).index();
                for (stage, flag) in reached[service].iter_mut().enumerate() {
                    *flag |= passed > stage;
                }
            }
            for (counts, flags) in by_service.iter_mut().zip(&reached) {
                for (count, flag) in counts.iter_mut().zip(flags) {
                    *count += u64::from(*flag);
                }
            }
        }
        let members = vec![0; engine.counts().0];
        let funnel = fast.report(&engine, &members);
        let mut offer_rules = (0..rule_count).filter(|&i| engine.rule_offers(RuleId::new(i)));
        for row in &funnel.rules {
            let i = offer_rules.next().unwrap();
            let counts: Vec<u64> = row.stages.iter().map(|s| s.customers).collect();
            assert_eq!(
                counts, by_rule[i],
                "seed {seed}: rule {}\n{rules}",
                row.rule
            );
            assert!(counts.windows(2).all(|w| w[0] >= w[1]), "seed {seed}");
        }
        for (s, row) in funnel.services.iter().enumerate() {
            let counts: Vec<u64> = row.stages.iter().map(|s| s.customers).collect();
            assert_eq!(
                counts[..3],
                by_service[s],
                "seed {seed}: {}\n{rules}",
                row.service
            );
            assert!(
                counts.windows(2).all(|w| w[0] >= w[1]),
                "seed {seed}: {counts:?}"
            );
            assert_eq!(row.offered, *counts.last().unwrap());
        }
    }
}

/// Capacity on random packages: a limited service is never given to more
/// customers than its capacity, and only to the best by marginal value
/// (ties to the earlier row).
#[test]
fn capacity_is_never_exceeded() {
    use crate::run::capacity::Demand;
    let catalog = CATALOG
        .replace("cost: 3, group: g }", "cost: 3, group: g, capacity: 5 }")
        .replace(
            "default_gain: 2, cost: 4 }",
            "default_gain: 2, cost: 4, capacity: 0 }",
        )
        .replace(
            "effects: { d1: 3, d2: 1 } }",
            "effects: { d1: 3, d2: 1 }, capacity: 11 }",
        );
    assert_eq!(catalog.matches("capacity").count(), 3);
    let mut checked = 0;
    for seed in 0..150u64 {
        let mut rng = Rng(seed ^ 0xCAFE);
        let rules = package(&mut rng);
        let engine = Engine::from_sources(&catalog, &[("random.vas", &rules)]).unwrap();
        let customers: Vec<Customer> = (0..60).map(|_| customer(&mut rng, &engine)).collect();
        let mut demand = Demand::new(&engine);
        let mut evaluator = engine.evaluator();
        let mut wanted: Vec<Vec<(f64, u64)>> = vec![Vec::new(); 5];
        for (row, c) in customers.iter().enumerate() {
            if evaluator.evaluate(c).is_ok() {
                demand.add(&evaluator, row as u64);
                let mut marginals = Vec::new();
                engine.arbitration().marginals(
                    evaluator.ranked(),
                    &c.values,
                    engine.catalog().max_offers,
                    &mut crate::engine::replace::Scratch::default(),
                    &mut marginals,
                );
                for (s, gain) in marginals {
                    wanted[s.index()].push((gain, row as u64));
                }
            }
        }
        let allocation = demand.allocate();
        let mut evaluator = engine.evaluator_with(Some(&allocation));
        let mut got: Vec<Vec<u64>> = vec![Vec::new(); 5];
        for (row, c) in customers.iter().enumerate() {
            evaluator.set_row(row as u64);
            if let Ok(offers) = evaluator.evaluate(c) {
                for o in offers {
                    got[o.service.index()].push(row as u64);
                }
                // `explain` with the allocation agrees with the evaluator.
                let explained = super::explain_allocated(&engine, c, &allocation, row as u64);
                let fast: Vec<(String, f64)> = offers
                    .iter()
                    .map(|o| {
                        (
                            engine.catalog().services[o.service.index()].id.clone(),
                            o.gain,
                        )
                    })
                    .collect();
                let traced: Vec<(String, f64)> = explained
                    .offers
                    .iter()
                    .map(|o| (o.service.clone(), o.gain))
                    .collect();
                assert_eq!(fast, traced, "seed {seed}, row {row}\n{rules}");
            }
        }
        for (service, limit) in [(0usize, 5usize), (2, 11), (4, 0)] {
            let mut best = wanted[service].clone();
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            // `explain` finds the last admitted gain from the allocation alone.
            let cutoff = super::capacity::competition(&allocation, ServiceId::new(service));
            let expected_cutoff = if best.len() > limit && limit > 0 {
                Some(best[limit - 1].0)
            } else {
                None
            };
            assert_eq!(
                cutoff.cutoff_gain.map(f64::to_bits),
                expected_cutoff.map(f64::to_bits),
                "seed {seed}: s{service}"
            );
            assert_eq!(cutoff.capacity, Some(limit as u64));
            assert_eq!(cutoff.wanted, Some(best.len() as u64));
            let expected: Vec<u64> = best.iter().take(limit).map(|&(_, r)| r).collect();
            assert!(got[service].len() <= limit, "seed {seed}: s{service}");
            // Those admitted keep it unless another limited service they
            // got took its place (an interaction the bound covers).
            assert!(
                got[service].iter().all(|r| expected.contains(r)),
                "seed {seed}: s{service}\n{rules}"
            );
            checked += got[service].len();
        }
    }
    assert!(
        checked > 100,
        "too few limited offers to mean anything: {checked}"
    );
}
