//! Deterministic generator of large rule packages, for benchmarks.
//!
//! In: a rule count, a segment count, a seed and the number of rules a
//! customer's branch should hold. Out: a package (a `catalog.yaml` and `.vas`
//! files) that checks clean and uses the bundled package's customer schema, so
//! `rules/customers.csv` (or any file from `generate_customers`) can be
//! evaluated against it.
//!
//! Shared by `examples/generate_package.rs` (which writes the package to a
//! folder) and `benches/engine.rs` (which compiles it in memory). Only std is
//! used; the random numbers come from the tests' hand-written splitmix64
//! (`tests/common/rng.rs`, which each crate that includes this file declares
//! as `rng` at its root), so the same parameters give the same bytes on every
//! machine.
//!
//! # Shape
//!
//! - `everyone` at the root, with four cross-cutting segments under it
//!   (`fiber`, `month_to_month`, `seniors`, `families`).
//! - A partition tree under `everyone`, about `fanout` children per node,
//!   every leaf at the same depth. Siblings split their parent's customers into
//!   disjoint ranges of one number per level: tenure on level 1, monthly
//!   charges on level 2, then preference weights (price, personalisation,
//!   responsiveness). A customer is in exactly one node per level (or none from
//!   level 3 on when the preference is missing, about 4% of the sample).
//!   Range predicates keep the cost of a segment test the same on every level,
//!   so packages of different sizes differ in shape, not in predicate cost.
//! - About 2% multi-parent segments, each under one partition node and one
//!   cross-cutting segment.
//! - One rule on the root and on each cross-cutting and multi-parent segment;
//!   the other rules go to one or two adjacent partition levels, spread evenly,
//!   so that a root-to-leaf branch holds about `branch_rules` rules. When the
//!   leaves cannot take all the rules at that density (10,000 rules need at
//!   least 1,000 leaves), the leaves take more and branches hold more.
//! - Rules draw their conditions and gains from templates over the schema's
//!   numbers, categories, yes/no values, preferences and `uses(...)`; a few
//!   name a profile, a few suppress. Rule order is shuffled across files, as in
//!   a package organised by topic rather than by segment.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Number of rules.
    pub rules: usize,
    /// Number of segments (at least 2).
    pub segments: usize,
    /// Seed of the random generator.
    pub seed: u64,
    /// Rules a root-to-leaf branch should hold, about.
    pub branch_rules: usize,
    /// Children per partition node, about.
    pub fanout: usize,
}

impl Params {
    /// `rules` rules over `segments` segments, seed 7, 10 rules per branch, fan-out 10.
    pub fn new(rules: usize, segments: usize) -> Params {
        Params {
            rules,
            segments,
            seed: 7,
            branch_rules: 10,
            fanout: 10,
        }
    }
}

/// A generated package, in memory.
#[derive(Debug, Clone)]
pub struct Package {
    /// The text of `catalog.yaml`.
    pub catalog: String,
    /// `.vas` files as (file name, text), in file-name order.
    pub files: Vec<(String, String)>,
}

impl Package {
    /// Writes `catalog.yaml` and the `.vas` files into `dir` (created if
    /// needed). Other `.vas` files already there are removed, so the folder
    /// holds exactly this package.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "vas") {
                std::fs::remove_file(&path)?;
            }
        }
        std::fs::write(dir.join("catalog.yaml"), &self.catalog)?;
        for (name, text) in &self.files {
            std::fs::write(dir.join(name), text)?;
        }
        Ok(())
    }

    /// The files as `(name, text)` pairs of borrowed strings, the shape
    /// `Engine::from_sources` takes.
    pub fn sources(&self) -> Vec<(&str, &str)> {
        self.files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect()
    }
}

const SERVICES: usize = 40;

/// Bool attributes that say whether a customer already uses a service; the
/// first services of the catalog point at them.
const IN_USE: [&str; 8] = [
    "tech_support",
    "online_security",
    "online_backup",
    "device_protection",
    "streaming_tv",
    "streaming_movies",
    "paperless_billing",
    "multiple_lines",
];

const CATEGORIES: [&str; 4] = [
    "technical_support",
    "convenience",
    "personalization",
    "after_sales",
];
const STAGES: [&str; 3] = ["pre_sale", "in_sale", "after_sale"];
const CHANNELS: [&str; 3] = ["online", "offline", "omni"];
const PARTICIPATION: [&str; 2] = ["passive", "active"];
const PREFERENCES: [&str; 4] = [
    "personalization",
    "responsiveness",
    "professionalism",
    "price",
];
const PROFILES: [&str; 4] = ["p_speed", "p_personal", "p_expert", "p_price"];

/// The bundled package's customer schema (rules/catalog.yaml), so the same
/// customer files read against generated packages.
pub const CUSTOMER_SCHEMA: &str = r#"customer:
  id: customer_id
  attributes:
    - { name: customer_id, type: text, column: customerID, required: true }
    - { name: gender, type: category, values: [Female, Male] }
    - { name: senior, type: bool, column: SeniorCitizen }
    - { name: partner, type: bool, column: Partner }
    - { name: dependents, type: bool, column: Dependents }
    - { name: tenure_months, type: number, column: tenure, required: true }
    - { name: phone_service, type: bool, column: PhoneService }
    - { name: multiple_lines, type: bool, column: MultipleLines, missing_values: ["No phone service"] }
    - { name: internet, type: category, column: InternetService, values: [DSL, Fiber optic, "No"] }
    - { name: online_security, type: bool, column: OnlineSecurity, missing_values: ["No internet service"] }
    - { name: online_backup, type: bool, column: OnlineBackup, missing_values: ["No internet service"] }
    - { name: device_protection, type: bool, column: DeviceProtection, missing_values: ["No internet service"] }
    - { name: tech_support, type: bool, column: TechSupport, missing_values: ["No internet service"] }
    - { name: streaming_tv, type: bool, column: StreamingTV, missing_values: ["No internet service"] }
    - { name: streaming_movies, type: bool, column: StreamingMovies, missing_values: ["No internet service"] }
    - { name: contract, type: category, column: Contract, values: [Month-to-month, One year, Two year] }
    - { name: paperless_billing, type: bool, column: PaperlessBilling }
    - name: payment_method
      type: category
      column: PaymentMethod
      values: [Electronic check, Mailed check, Bank transfer (automatic), Credit card (automatic)]
    - { name: monthly_charges, type: number, column: MonthlyCharges, required: true }
    - { name: total_charges, type: number, column: TotalCharges }
    - { name: churned, type: bool, column: Churn }
    - { name: channel, type: category, column: channel, values: [online, retail, call_center] }
    - { name: open_complaints, type: number, column: open_complaints }
    - { name: nps, type: number, column: nps }
  preferences:
    - { name: personalization, label: 个性化 }
    - { name: responsiveness, label: 响应速度 }
    - { name: professionalism, label: 专业能力 }
    - { name: price, label: 价格敏感 }
"#;

/// Cross-cutting segments under the root: (name, label, predicate).
const CROSS_CUTTING: [(&str, &str, &str); 4] = [
    ("fiber", "光纤用户", "internet == \"Fiber optic\""),
    (
        "month_to_month",
        "按月合约",
        "contract == \"Month-to-month\"",
    ),
    ("seniors", "老年客户", "senior"),
    ("families", "家庭客户", "dependents or partner"),
];

/// Predicates of multi-parent segments (on top of their two parents').
const MULTI_PARENT_WHEN: [Option<&str>; 4] = [
    None,
    Some("value_or(open_complaints, 0) == 0"),
    Some("monthly_charges >= 60"),
    Some("not tech_support"),
];

struct Segment {
    name: String,
    label: String,
    parents: Vec<usize>,
    when: Option<String>,
}

/// Generates the package.
pub fn generate(params: &Params) -> Package {
    let mut rng = Rng(params.seed ^ 0x5641_5352_4543_0001);
    let catalog = catalog(params);
    let (segments, rule_segments) = segments_and_placement(params);
    let mut segment_text = String::from(
        "# Generated by `cargo run --release --example generate_package`; do not edit.\n\n",
    );
    for s in &segments {
        write_segment(&mut segment_text, s, &segments);
    }
    let profiles = "\
profile p_speed \"重视响应速度\" { when pref.responsiveness >= 0.7 }
profile p_personal \"重视个性化\" { when pref.personalization >= 0.7 }
profile p_expert \"重视专业能力\" { when pref.professionalism >= 0.7 }
profile p_price \"价格敏感\" { when pref.price >= 0.6 }
"
    .to_string();

    // Shuffle the rules' order (Fisher-Yates), keeping ids in text order.
    let mut order: Vec<usize> = (0..rule_segments.len()).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    const RULES_PER_FILE: usize = 1000;
    let mut files = vec![
        ("profiles.vas".to_string(), profiles),
        ("segments.vas".to_string(), segment_text),
    ];
    for (chunk_no, chunk) in order.chunks(RULES_PER_FILE.max(1)).enumerate() {
        let mut text = String::new();
        for (k, &slot) in chunk.iter().enumerate() {
            let index = chunk_no * RULES_PER_FILE + k;
            write_rule(
                &mut text,
                &mut rng,
                index,
                &segments[rule_segments[slot]].name,
            );
        }
        files.push((format!("rules_{chunk_no:03}.vas"), text));
    }
    files.sort();
    Package { catalog, files }
}

fn catalog(params: &Params) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by `cargo run --release --example generate_package`; do not edit.\n\
         package: generated-{}x{}-seed{}\n\
         description: 生成的基准测试规则包 ({} rules over {} segments)\n\
         max_offers: 3\n\
         satisfaction: {{ min: 0, max: 100 }}\n\
         services:",
        params.rules, params.segments, params.seed, params.rules, params.segments
    );
    for i in 0..SERVICES {
        let _ = write!(
            out,
            "  - {{ id: svc_{i:02}, name: 增值服务{i:02}, category: {}, stage: {}, channel: {}, participation: {}, cost: {:.1}",
            CATEGORIES[i % CATEGORIES.len()],
            STAGES[i % STAGES.len()],
            CHANNELS[(i / 3) % CHANNELS.len()],
            PARTICIPATION[i % PARTICIPATION.len()],
            0.5 + (i % 7) as f64 * 1.5,
        );
        if i % 2 == 0 {
            let _ = write!(out, ", default_gain: {:.1}", 1.0 + (i % 5) as f64 * 0.5);
        }
        if let Some(attribute) = IN_USE.get(i) {
            let _ = write!(out, ", in_use: {attribute}");
        }
        out.push_str(" }\n");
    }
    out.push_str(CUSTOMER_SCHEMA);
    out
}

/// Builds the segment graph and decides which segment each rule is for.
fn segments_and_placement(params: &Params) -> (Vec<Segment>, Vec<usize>) {
    let total = params.segments.max(2);
    let cross = if total >= 20 { CROSS_CUTTING.len() } else { 0 };
    let multi = if total >= 50 { total / 50 } else { 0 };
    let partition = total - 1 - cross - multi;
    let levels = level_sizes(partition, params.fanout.max(2));

    let mut segments = vec![Segment {
        name: "everyone".into(),
        label: "全部客户".into(),
        parents: Vec::new(),
        when: Some("true".into()),
    }];
    for &(name, label, when) in &CROSS_CUTTING[..cross] {
        segments.push(Segment {
            name: name.into(),
            label: label.into(),
            parents: vec![0],
            when: Some(when.into()),
        });
    }

    // Partition levels: `by_level[d]` holds the positions of level d's nodes.
    let mut by_level: Vec<Vec<usize>> = vec![vec![0]];
    for (d, &size) in levels.iter().enumerate() {
        let level = d + 1;
        let parents = by_level[d].clone();
        let mut nodes = Vec::with_capacity(size);
        for (j, &parent) in parents.iter().enumerate() {
            // Spread `size` children evenly over the parents.
            let k = size / parents.len() + usize::from(j < size % parents.len());
            for i in 0..k {
                nodes.push(segments.len());
                segments.push(Segment {
                    name: format!("p{level}_{}", nodes.len() - 1),
                    label: format!("分区 {level}-{}", nodes.len() - 1),
                    parents: vec![parent],
                    when: Some(partition_predicate(level, i, k)),
                });
            }
        }
        by_level.push(nodes);
    }

    // Multi-parent segments under a node of one of the two deepest levels and a
    // cross-cutting segment.
    let mut multi_nodes = Vec::new();
    if multi > 0 && cross > 0 {
        let mut rng = Rng(params.seed ^ 0x4D55_4C54_4900_0002);
        let deepest = by_level.len() - 1;
        for m in 0..multi {
            let level = if deepest >= 2 && m % 2 == 1 {
                deepest - 1
            } else {
                deepest
            };
            let nodes = &by_level[level];
            let under = nodes[rng.below(nodes.len())];
            let cut = 1 + rng.below(cross);
            multi_nodes.push(segments.len());
            segments.push(Segment {
                name: format!("m_{m}"),
                label: format!("交叉客群 {m}"),
                parents: vec![under, cut],
                when: MULTI_PARENT_WHEN[m % MULTI_PARENT_WHEN.len()].map(str::to_string),
            });
        }
    }

    // Rule placement: one on the root, each cross-cutting and each
    // multi-parent segment; the rest over the partition levels.
    let mut placement = Vec::with_capacity(params.rules);
    let extras: Vec<usize> = std::iter::once(0)
        .chain(1..=cross)
        .chain(multi_nodes.iter().copied())
        .collect();
    for &s in extras.iter().take(params.rules) {
        placement.push(s);
    }
    let remaining = params.rules - placement.len();
    // The root and about one and a half cross-cutting segments are on a branch too.
    let per_branch = params.branch_rules.saturating_sub(3).max(1) as f64;
    let sizes: Vec<f64> = by_level[1..].iter().map(|l| l.len() as f64).collect();
    let per_level = spread(remaining, &sizes, per_branch);
    for (level, count) in per_level.into_iter().enumerate() {
        let nodes = &by_level[level + 1];
        for j in 0..count {
            // Fewer rules than nodes: every so many nodes, not the first ones.
            let at = if count < nodes.len() {
                j * nodes.len() / count
            } else {
                j % nodes.len()
            };
            placement.push(nodes[at]);
        }
    }
    (segments, placement)
}

/// Sizes of the partition levels: `levels` levels whose sizes grow by a common
/// factor of at most `fanout`, summing to `partition`.
fn level_sizes(partition: usize, fanout: usize) -> Vec<usize> {
    if partition == 0 {
        return Vec::new();
    }
    let mut levels = 1;
    let mut capacity = fanout;
    let mut width = fanout;
    while capacity < partition {
        width *= fanout;
        capacity += width;
        levels += 1;
    }
    // Solve g + g^2 + ... + g^levels = partition for g by bisection.
    let sum = |g: f64| (1..=levels).map(|d| g.powi(d as i32)).sum::<f64>();
    let (mut lo, mut hi) = (1.0_f64, fanout as f64);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if sum(mid) < partition as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut sizes = Vec::with_capacity(levels);
    let mut used = 0;
    let mut previous = 1;
    for d in 1..levels {
        let size = (hi.powi(d as i32).round() as usize).max(previous);
        sizes.push(size);
        used += size;
        previous = size;
    }
    sizes.push(partition.saturating_sub(used).max(1));
    sizes
}

/// Rules per partition level so that a branch holds about `per_branch` of them.
fn spread(rules: usize, sizes: &[f64], per_branch: f64) -> Vec<usize> {
    let mut counts = vec![0; sizes.len()];
    if sizes.is_empty() || rules == 0 {
        return counts;
    }
    let r = rules as f64;
    let last = sizes.len() - 1;
    if r <= sizes[0] * per_branch {
        counts[0] = rules;
    } else if r >= sizes[last] * per_branch {
        counts[last] = rules;
    } else {
        // Two adjacent levels a, a + 1 with n_a * K <= R <= n_(a+1) * K:
        // r_a + r_(a+1) = K and n_a * r_a + n_(a+1) * r_(a+1) = R.
        let a = (0..last)
            .find(|&a| r <= sizes[a + 1] * per_branch)
            .unwrap_or(last - 1);
        let deeper = (r - sizes[a] * per_branch) / (sizes[a + 1] - sizes[a]).max(1.0);
        let upper = ((per_branch - deeper) * sizes[a]).round().max(0.0) as usize;
        counts[a] = upper.min(rules);
        counts[a + 1] = rules - counts[a];
    }
    counts
}

/// Child `i` of `k` on partition level `level`: a range of one number, the
/// same for all nodes of a level (tenure, then monthly charges, then
/// preference weights), so every predicate costs about the same.
fn partition_predicate(level: usize, i: usize, k: usize) -> String {
    if k == 1 {
        return "true".into();
    }
    match level {
        1 => range("tenure_months", 0.0, 73.0, i, k, 0),
        2 => range("monthly_charges", 18.0, 120.0, i, k, 0),
        _ => {
            let preference = ["pref.price", "pref.personalization", "pref.responsiveness"];
            range(
                preference[(level - 3) % preference.len()],
                0.0,
                1.0,
                i,
                k,
                3,
            )
        }
    }
}

/// Part `i` of `k` of `lo..hi`, open at both ends so the parts cover
/// everything; bounds rounded to `decimals`.
fn range(attribute: &str, lo: f64, hi: f64, i: usize, k: usize, decimals: usize) -> String {
    let bound = |j: usize| format!("{:.*}", decimals, lo + (hi - lo) * j as f64 / k as f64);
    if i == 0 {
        format!("{attribute} < {}", bound(1))
    } else if i + 1 == k {
        format!("{attribute} >= {}", bound(i))
    } else {
        format!(
            "{attribute} >= {} and {attribute} < {}",
            bound(i),
            bound(i + 1)
        )
    }
}

fn write_segment(out: &mut String, s: &Segment, all: &[Segment]) {
    let _ = write!(out, "segment {}", s.name);
    if !s.parents.is_empty() {
        let names: Vec<&str> = s.parents.iter().map(|&p| all[p].name.as_str()).collect();
        let _ = write!(out, " under {}", names.join(", "));
    }
    let _ = write!(out, " \"{}\" {{", s.label);
    match &s.when {
        Some(when) => {
            let _ = writeln!(out, " when {when} }}");
        }
        None => out.push_str(" }\n"),
    }
}

fn write_rule(out: &mut String, rng: &mut Rng, index: usize, segment: &str) {
    let service = rng.below(SERVICES);
    let suppress = rng.chance(3);
    let _ = write!(out, "rule r_{index:05} {{\n  for {segment}");
    if rng.chance(10) {
        let _ = write!(out, ", profile {}", rng.pick(&PROFILES));
    }
    out.push('\n');
    // Suppression always has a condition, or it would shadow every offer.
    let conjuncts = if suppress {
        1
    } else {
        [0, 1, 1, 2, 2, 2, 3, 3][rng.below(8)]
    };
    if conjuncts > 0 {
        let parts: Vec<String> = (0..conjuncts).map(|_| condition(rng)).collect();
        let _ = writeln!(out, "  when {}", parts.join(" and "));
    }
    if suppress {
        let _ = writeln!(out, "  suppress svc_{service:02}");
    } else {
        let _ = writeln!(out, "  offer svc_{service:02}");
        // Even services have a default gain; rules for them may state none.
        if service % 2 == 1 || !rng.chance(15) {
            let _ = writeln!(out, "  gain {}", gain(rng));
        }
        let priority = rng.between(-2, 10);
        if priority != 0 {
            let _ = writeln!(out, "  priority {priority}");
        }
    }
    if rng.chance(50) {
        let _ = writeln!(out, "  because \"生成的规则 {index}：基准测试用\"");
    }
    out.push_str("}\n\n");
}

fn one_decimal(rng: &mut Rng, lo: i64, hi: i64) -> String {
    let tenths = rng.between(lo * 10, hi * 10);
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn condition(rng: &mut Rng) -> String {
    match rng.below(19) {
        0 => format!("tenure_months >= {}", rng.between(1, 60)),
        1 => format!("tenure_months < {}", rng.between(6, 72)),
        2 => format!("monthly_charges >= {}", rng.between(20, 110)),
        3 => format!("monthly_charges < {}", rng.between(30, 119)),
        4 => format!(
            "contract == \"{}\"",
            rng.pick(&["Month-to-month", "One year", "Two year"])
        ),
        5 => "contract in [\"One year\", \"Two year\"]".into(),
        6 => "internet in [\"DSL\", \"Fiber optic\"]".into(),
        7 => "internet == \"Fiber optic\"".into(),
        8 => "payment_method != \"Electronic check\"".into(),
        9 => "payment_method not in [\"Bank transfer (automatic)\", \"Credit card (automatic)\"]"
            .into(),
        10 => format!("not uses(svc_{:02})", rng.below(IN_USE.len())),
        11 => rng
            .pick(&["senior", "not partner", "dependents", "paperless_billing"])
            .into(),
        12 => format!(
            "value_or(pref.{}, 0.5) >= 0.{}",
            rng.pick(&PREFERENCES),
            rng.between(3, 8)
        ),
        13 => format!("present(nps) and nps <= {}", rng.between(3, 8)),
        14 => rng
            .pick(&["value_or(open_complaints, 0) > 0", "open_complaints == 0"])
            .into(),
        15 => format!(
            "channel == \"{}\"",
            rng.pick(&["online", "retail", "call_center"])
        ),
        16 => "(streaming_tv or streaming_movies)".into(),
        17 => format!("tenure_months % 12 == {}", rng.between(0, 11)),
        _ => "present(total_charges) and monthly_charges > 1.1 * total_charges / max(tenure_months, 1)"
            .into(),
    }
}

fn gain(rng: &mut Rng) -> String {
    match rng.below(7) {
        0 | 1 => one_decimal(rng, 1, 5),
        2 => format!(
            "{} + {} * value_or(pref.{}, 0.5)",
            one_decimal(rng, 1, 3),
            one_decimal(rng, 1, 3),
            rng.pick(&PREFERENCES)
        ),
        3 => format!(
            "min({}, monthly_charges / {})",
            rng.between(4, 8),
            rng.between(15, 30)
        ),
        4 => format!(
            "clamp({} + tenure_months / 36, 1, 8)",
            one_decimal(rng, 1, 4)
        ),
        5 => format!(
            "{} + 0.5 * value_or(open_complaints, 0)",
            one_decimal(rng, 1, 4)
        ),
        // Needs the preference: customers without it get no offer from this rule.
        _ => format!(
            "{} + {} * pref.{}",
            one_decimal(rng, 1, 3),
            one_decimal(rng, 1, 3),
            rng.pick(&PREFERENCES)
        ),
    }
}
