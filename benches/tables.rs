//! A decision table costs nothing at evaluation: the same 40 offers as one
//! table whose rows come from a CSV file, as the same table in a `.vas` file,
//! and as 40 `rule` blocks written out, each evaluated over the same 2,000
//! customers (compilation outside the measured loop).
//!
//! ```sh
//! cargo bench --bench tables
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vasrec::{Customer, Engine};

const CATALOG: &str = r#"
package: bench-tables
max_offers: 3
services:
  - { id: s0, name: s0, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s1, name: s1, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s2, name: s2, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s3, name: s3, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
  - { id: s4, name: s4, category: convenience, stage: in_sale, channel: omni, participation: passive, cost: 1 }
customer:
  id: id
  attributes:
    - { name: id, type: text, required: true }
    - { name: tenure, type: number }
    - { name: plan, type: category, values: [a, b, c, d, e] }
    - { name: charges, type: number }
"#;

const SEGMENTS: &str = "segment everyone { when true }\n";
const PLANS: [&str; 5] = ["a", "b", "c", "d", "e"];

/// Row `i` of the grid: 8 tenure bands by 5 plans, no two overlapping.
fn grid() -> Vec<(f64, f64, &'static str, String, String)> {
    let mut rows = Vec::new();
    for band in 0..8u32 {
        for (p, plan) in PLANS.iter().enumerate() {
            let (low, high) = (f64::from(band) * 6.0, f64::from(band + 1) * 6.0);
            let service = format!("s{}", (band as usize + p) % 5);
            let gain = format!("{} + 0.01 * charges", 1 + (band * 5 + p as u32) % 7);
            rows.push((low, high, *plan, service, gain));
        }
    }
    rows
}

fn as_csv() -> String {
    let mut out = String::from("tenure,plan,offer,gain\n");
    for (low, high, plan, service, gain) in grid() {
        out.push_str(&format!("{low}..{high},{plan},{service},{gain}\n"));
    }
    out
}

fn as_table() -> String {
    let mut out =
        format!("{SEGMENTS}table grid for everyone {{\n  hit unique\n  columns tenure, plan\n");
    for (low, high, plan, service, gain) in grid() {
        out.push_str(&format!(
            "  row {low}..{high}, \"{plan}\" => offer {service} gain {gain}\n"
        ));
    }
    out.push_str("}\n");
    out
}

fn as_rules() -> String {
    let mut out = String::from(SEGMENTS);
    for (i, (low, high, plan, service, gain)) in grid().into_iter().enumerate() {
        out.push_str(&format!(
            "rule r{i} for everyone {{ when tenure >= {low} and tenure < {high} and plan == \"{plan}\" offer {service} gain {gain} }}\n"
        ));
    }
    out
}

fn customers(engine: &Engine) -> Vec<Customer> {
    let mut state = 7u64;
    (0..2000)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let json = serde_json::json!({
                "id": format!("c{i}"),
                "tenure": (state >> 33) % 50,
                "plan": PLANS[((state >> 20) % 5) as usize],
                "charges": (state >> 40) % 120,
            });
            engine.customer_from_json(&json).expect("customer")
        })
        .collect()
}

fn evaluate(engine: &Engine, customers: &[Customer]) -> usize {
    let mut evaluator = engine.evaluator();
    customers
        .iter()
        .map(|c| evaluator.evaluate(c).map_or(0, <[_]>::len))
        .sum()
}

fn benches(c: &mut Criterion) {
    let csv = as_csv();
    let declaration = format!(
        "{SEGMENTS}table grid for everyone {{ hit unique columns tenure, plan rows \"grid.csv\" }}\n"
    );
    let from_csv = Engine::from_sources(CATALOG, &[("grid.vas", &declaration), ("grid.csv", &csv)])
        .expect("the CSV table loads");
    let table = as_table();
    let from_table =
        Engine::from_sources(CATALOG, &[("grid.vas", &table)]).expect("the table loads");
    let rules = as_rules();
    let from_rules =
        Engine::from_sources(CATALOG, &[("grid.vas", &rules)]).expect("the rules load");
    // The same CSV table built again, after the others: the same compiled
    // rules lying elsewhere in memory. The two CSV figures differ by what
    // memory placement (and the machine's noise) weighs, not by the table.
    let from_csv_last =
        Engine::from_sources(CATALOG, &[("grid.vas", &declaration), ("grid.csv", &csv)])
            .expect("the CSV table loads");
    let people = customers(&from_rules);
    // The three give the same offers before anything is timed.
    let total = evaluate(&from_rules, &people);
    assert_eq!(evaluate(&from_csv, &people), total);
    assert_eq!(evaluate(&from_table, &people), total);
    assert_eq!(evaluate(&from_csv_last, &people), total);
    let mut group = c.benchmark_group("table_vs_rules");
    group.throughput(Throughput::Elements(people.len() as u64));
    for (name, engine) in [
        ("40-rules-written-out", &from_rules),
        ("40-rows-table-vas", &from_table),
        ("40-rows-table-csv", &from_csv),
        ("40-rows-table-csv-built-last", &from_csv_last),
    ] {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| black_box(evaluate(engine, black_box(&people))));
        });
    }
    group.finish();
}

criterion_group!(tables, benches);
criterion_main!(tables);
