//! Capacity against an exact reference: small random instances (a few
//! customers and services, small capacities, `max_offers`, exclusive
//! groups, channel fit, a budget) where every assignment of limited
//! services to customers is enumerated, seeded and reproducible.
//!
//! The model both sides share: a customer's value for a set `S` of limited
//! services is the total gain of its arbitration over its unlimited
//! candidates and `S` (the same greedy arbitration the engine runs for one
//! customer). An assignment is feasible when each limited service goes to
//! at most `capacity` customers. What is checked:
//! - every customer's offers keep `max_offers`, the budget, the exclusive
//!   groups and channel fit, and no limited service exceeds its capacity;
//! - replacement: a customer's offers are exactly its arbitration without
//!   the limited services it did not get;
//! - the allocation's total is the optimum when only one service is limited
//!   or no customer's limited services interact (its value is additive);
//! - elsewhere, the optimum is at most the reported bound: the total with no
//!   limited service plus the sum of the services' `gain_bound`.

use super::*;
use crate::base::test_rng::Rng;
use crate::engine::offer::Offer;
use crate::engine::replace::Scratch;
use crate::package::customer::Customer;

/// Services of an instance: (channel, cost, group, capacity).
struct Instance {
    catalog: String,
    rules: String,
    /// Per customer: tier, and per service its gain (None: no offer).
    customers: Vec<(usize, Vec<Option<u32>>)>,
    services: usize,
}

fn instance(rng: &mut Rng, limited_at_most: usize) -> Instance {
    let services = 3 + rng.below(3);
    let max_offers = 1 + rng.below(3);
    let mut text = format!("package: exact\nmax_offers: {max_offers}\n");
    if rng.chance(50) {
        text.push_str(&format!("budget: {}\n", 3 + rng.below(6)));
    }
    text.push_str("channel_fit: { attribute: tier, online: [gold], offline: [bronze] }\n");
    text.push_str("services:\n");
    let mut limited = 0;
    for s in 0..services {
        let channel = ["online", "offline", "omni", "omni"][rng.below(4)];
        let cost = 1 + rng.below(4);
        let group = match rng.below(4) {
            0 => ", group: g",
            1 => ", group: h",
            _ => "",
        };
        let capacity = if limited < limited_at_most && rng.chance(60) {
            limited += 1;
            format!(", capacity: {}", rng.below(4))
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  - {{ id: s{s}, name: S{s}, category: convenience, stage: in_sale, \
             channel: {channel}, participation: passive, cost: {cost}{group}{capacity} }}\n"
        ));
    }
    text.push_str("customer:\n  attributes:\n");
    text.push_str("    - { name: tier, type: category, values: [gold, silver, bronze] }\n");
    for s in 0..services {
        text.push_str(&format!("    - {{ name: g{s}, type: number }}\n"));
    }
    let mut rules = String::from("segment everyone { when true }\n");
    for s in 0..services {
        rules.push_str(&format!(
            "rule r{s} for everyone {{ when present(g{s}) offer s{s} gain g{s} }}\n"
        ));
    }
    let customers = (0..2 + rng.below(4))
        .map(|_| {
            let tier = rng.below(3);
            let gains = (0..services)
                .map(|_| rng.chance(70).then(|| rng.below(9) as u32))
                .collect();
            (tier, gains)
        })
        .collect();
    Instance {
        catalog: text,
        rules,
        customers,
        services,
    }
}

fn customer_of(engine: &Engine, tier: usize, gains: &[Option<u32>]) -> Customer {
    let mut builder = engine
        .customer()
        .set("tier", ["gold", "silver", "bronze"][tier]);
    for (s, g) in gains.iter().enumerate() {
        if let Some(g) = g {
            builder = builder.set(format!("g{s}").as_str(), f64::from(*g) / 2.0);
        }
    }
    builder.build().unwrap()
}

/// A customer's value for each subset of its limited candidates (bit i:
/// the i-th of `limited`), and the offers of each.
struct Values {
    limited: Vec<ServiceId>,
    total: Vec<f64>,
}

fn values(engine: &Engine, ranked: &[Offer], customer: &Customer) -> Values {
    let arbitration = engine.arbitration();
    let limited: Vec<ServiceId> = ranked
        .iter()
        .map(|o| o.service)
        .filter(|s| arbitration.limited[s.index()])
        .collect();
    let total = (0..1usize << limited.len())
        .map(|mask| {
            let mut list: Vec<Offer> = ranked
                .iter()
                .filter(|o| {
                    limited
                        .iter()
                        .position(|s| *s == o.service)
                        .is_none_or(|i| mask & (1 << i) != 0)
                })
                .copied()
                .collect();
            arbitration.select(
                &mut list,
                &customer.values,
                engine.catalog().max_offers,
                &mut Vec::new(),
                |_, _| {},
            );
            list.iter().map(|o| o.gain).sum()
        })
        .collect();
    Values { limited, total }
}

/// The best total over every feasible assignment (depth-first over the
/// customers, each taking one subset of its limited candidates).
fn optimum(customers: &[Values], room: &mut Vec<u64>, at: usize) -> f64 {
    let Some(v) = customers.get(at) else {
        return 0.0;
    };
    let mut best = f64::NEG_INFINITY;
    for (mask, total) in v.total.iter().enumerate() {
        let taken: Vec<usize> = (0..v.limited.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| v.limited[i].index())
            .collect();
        if taken.iter().any(|&s| room[s] == 0) {
            continue;
        }
        for &s in &taken {
            room[s] -= 1;
        }
        best = best.max(total + optimum(customers, room, at + 1));
        for &s in &taken {
            room[s] += 1;
        }
    }
    best
}

/// Whether a customer's value is the value without limited services plus
/// each service's own marginal value, for every subset.
fn additive(v: &Values) -> bool {
    (0..v.total.len()).all(|mask| {
        let sum: f64 = (0..v.limited.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| v.total[1 << i] - v.total[0])
            .sum();
        (v.total[mask] - v.total[0] - sum).abs() < 1e-9
    })
}

fn check(seed: u64, limited_at_most: usize) -> (bool, bool) {
    let mut rng = Rng(seed ^ 0x5EED);
    let inst = instance(&mut rng, limited_at_most);
    let engine = Engine::from_sources(&inst.catalog, &[("r.vas", &inst.rules)]).unwrap();
    let customers: Vec<Customer> = inst
        .customers
        .iter()
        .map(|(tier, gains)| customer_of(&engine, *tier, gains))
        .collect();
    let catalog = engine.catalog();
    let arbitration = engine.arbitration();
    if !arbitration.any_limited {
        // Nothing to allocate (and no candidates kept for it).
        return (true, true);
    }

    let mut demand = Demand::new(&engine);
    let mut evaluator = engine.evaluator();
    let mut reference = Vec::new();
    let mut ranked_of = Vec::new();
    for (row, c) in customers.iter().enumerate() {
        evaluator.evaluate(c).unwrap();
        demand.add(&evaluator, row as u64);
        reference.push(values(&engine, evaluator.ranked(), c));
        ranked_of.push(evaluator.ranked().to_vec());
    }
    let allocation = demand.allocate();
    let mut evaluator = engine.evaluator_with(Some(&allocation));
    let mut given = vec![0u64; inst.services];
    let mut total = 0.0;
    let context = format!("seed {seed}\n{}\n{:?}", inst.catalog, inst.customers);
    for (row, c) in customers.iter().enumerate() {
        evaluator.set_row(row as u64);
        let offers = evaluator.evaluate(c).unwrap().to_vec();
        // The constraints, one customer at a time.
        assert!(offers.len() <= catalog.max_offers, "{context}");
        let cost: f64 = offers
            .iter()
            .map(|o| catalog.services[o.service.index()].cost)
            .sum();
        assert!(catalog.budget.is_none_or(|b| cost <= b + 1e-9), "{context}");
        let groups: Vec<&str> = offers
            .iter()
            .filter_map(|o| catalog.services[o.service.index()].group.as_deref())
            .collect();
        let mut unique = groups.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(groups.len(), unique.len(), "{context}");
        let (tier, _) = inst.customers[row];
        for o in &offers {
            let channel = catalog.services[o.service.index()].channel;
            let fits = match channel {
                crate::package::catalog::Channel::Online => tier != 2,
                crate::package::catalog::Channel::Offline => tier != 0,
                _ => true,
            };
            assert!(fits, "{context}");
            given[o.service.index()] += 1;
        }
        // Replacement: the arbitration without the limited services lost.
        let mut expected: Vec<Offer> = ranked_of[row]
            .iter()
            .filter(|o| {
                !arbitration.limited[o.service.index()]
                    || offers.iter().any(|k| k.service == o.service)
            })
            .copied()
            .collect();
        arbitration.select(
            &mut expected,
            &c.values,
            catalog.max_offers,
            &mut Vec::new(),
            |_, _| {},
        );
        assert_eq!(offers, expected, "row {row}: {context}");
        let own: f64 = offers.iter().map(|o| o.gain).sum();
        // What the report sums as the limited services' gain.
        assert!(
            (evaluator.limited_gain() - (own - reference[row].total[0])).abs() < 1e-9,
            "row {row}: {context}"
        );
        total += own;
    }
    for (s, service) in catalog.services.iter().enumerate() {
        if let Some(capacity) = service.capacity {
            assert!(given[s] <= capacity, "s{s}: {context}");
        }
    }
    let mut room: Vec<u64> = catalog
        .services
        .iter()
        .map(|s| s.capacity.unwrap_or(u64::MAX))
        .collect();
    let best = optimum(&reference, &mut room, 0);
    assert!(total <= best + 1e-9, "{total} > {best}: {context}");
    let without: f64 = reference.iter().map(|v| v.total[0]).sum();
    let bound: f64 = allocation.usage().iter().map(|u| u.gain_bound).sum();
    assert!(
        best <= without + bound + 1e-9,
        "optimum {best} above the bound {without} + {bound}: {context}"
    );
    let limited = catalog
        .services
        .iter()
        .filter(|s| s.capacity.is_some())
        .count();
    let exact = limited <= 1 || reference.iter().all(additive);
    if exact {
        assert!(
            (total - best).abs() < 1e-9,
            "{total} is not the optimum {best}: {context}"
        );
    }
    (exact, (total - best).abs() < 1e-9)
}

#[test]
fn one_limited_service_is_allocated_optimally() {
    for seed in 0..300 {
        let (exact, _) = check(seed, 1);
        assert!(exact);
    }
}

#[test]
fn several_limited_services_keep_every_constraint_and_the_bound() {
    let (mut exact, mut optimal, mut interacting) = (0, 0, 0);
    for seed in 1000..1600 {
        let (claimed, reached) = check(seed, 3);
        exact += usize::from(claimed);
        optimal += usize::from(reached);
        interacting += usize::from(!claimed);
    }
    // The instances exercise both cases; most interacting ones still reach
    // the optimum, the rest stay under the bound (checked in `check`).
    assert!(exact > 100 && interacting > 50, "{exact} {interacting}");
    assert!(optimal >= exact, "{optimal} {exact}");
}

/// The bound of `upper_marginals` past [`EXACT_SUBSETS`] limited candidates
/// still holds: seven limited services, all to one customer.
#[test]
fn the_coarse_bound_holds_with_many_limited_candidates() {
    let mut text = String::from("package: many\nmax_offers: 2\nbudget: 5\nservices:\n");
    for s in 0..8 {
        text.push_str(&format!(
            "  - {{ id: s{s}, name: S{s}, category: convenience, stage: in_sale, \
             channel: omni, participation: passive, cost: {}, capacity: 1 }}\n",
            1 + s % 3
        ));
    }
    text.push_str("customer:\n  attributes:\n    - { name: x, type: number }\n");
    let mut rules = String::from("segment everyone { when true }\n");
    for s in 0..8 {
        rules.push_str(&format!(
            "rule r{s} for everyone {{ offer s{s} gain x + {s} }}\n"
        ));
    }
    let engine = Engine::from_sources(&text, &[("r.vas", &rules)]).unwrap();
    let customer = engine.customer().set("x", 1.0).build().unwrap();
    let mut evaluator = engine.evaluator();
    evaluator.evaluate(&customer).unwrap();
    let v = values(&engine, evaluator.ranked(), &customer);
    assert!(v.limited.len() > crate::engine::replace::EXACT_SUBSETS);
    let mut out = Vec::new();
    engine.arbitration().upper_marginals(
        evaluator.ranked(),
        &customer.values,
        2,
        &mut Scratch::default(),
        &mut out,
    );
    let best = v.total.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let bound = out.iter().map(|&(_, b)| b).fold(0.0, f64::max);
    assert!(best - v.total[0] <= bound + 1e-9);
}
