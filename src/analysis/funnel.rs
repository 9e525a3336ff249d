//! The decision funnel: at which step each service loses its audience.
//!
//! In: each evaluated customer (the evaluator's state after the customer).
//! Out: per rule and per service, how many customers passed each stage, from
//! being in the segment to surviving arbitration. Counted from what the fast
//! evaluator already knows (memberships, cached profile results, fired rules,
//! winners and why they were dropped), so no trace is needed, and kept as
//! plain counters that add up the same whatever the number of threads.
//!
//! Stages follow the engine's order of decisions, so counts never increase
//! along a funnel: a winner dropped by arbitration is counted up to the
//! check that dropped it (`max_offers`, then channel fit, exclusive group,
//! budget), and capacity comes last because it is decided over the whole
//! population.

use crate::engine::Engine;
use crate::engine::arbitrate::Verdict;
use crate::engine::eval::{Evaluator, Fate};
use crate::lang::ir::{RuleId, ServiceId};
use crate::lang::syntax::ast::ActionKind;
use serde::{Deserialize, Serialize};

/// The stages of a rule's funnel, in order.
pub const RULE_STAGES: [&str; STAGES] = [
    "in_segment",
    "in_profile",
    "condition",
    "won",
    "not_suppressed",
    "gain_known",
    "max_offers",
    "channel_fit",
    "exclusive_group",
    "budget",
    "capacity",
];

/// The stages of a service's funnel: a rule's without `won`. A service's
/// first stages count a customer once however many of its rules reach them;
/// `won` is left out, since a service with a fired offer rule always has a
/// winner.
pub const SERVICE_STAGES: [&str; STAGES - 1] = without_won(RULE_STAGES);

const fn without_won(stages: [&'static str; STAGES]) -> [&'static str; STAGES - 1] {
    let mut out = [""; STAGES - 1];
    let (mut from, mut to) = (0, 0);
    while from < STAGES {
        if from != WON {
            out[to] = stages[from];
            to += 1;
        }
        from += 1;
    }
    out
}

const STAGES: usize = 11;
const IN_SEGMENT: usize = 0;
const IN_PROFILE: usize = 1;
const CONDITION: usize = 2;
const WON: usize = 3;
/// The stage at which a winner's fate stops it.
fn stopped_at(fate: Fate) -> usize {
    match fate {
        Fate::Suppressed => 4,
        Fate::GainMissing => 5,
        Fate::Cut(Verdict::MaxOffers) => 6,
        Fate::Cut(Verdict::Channel) => 7,
        Fate::Cut(Verdict::Group { .. }) => 8,
        Fate::Cut(Verdict::Budget) => 9,
        Fate::Cut(Verdict::Capacity) => 10,
        Fate::Cut(Verdict::Kept) => STAGES,
    }
}

/// Funnel counters for a run; one per chunk, merged by addition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelTally {
    /// Per rule, customers that passed each of [`RULE_STAGES`].
    rules: Vec<[u64; STAGES]>,
    /// Per service, customers reached by at least one of its offer rules at
    /// the first three stages.
    services: Vec<[u64; 3]>,
    /// Per rule, customers it made a replacement offer to: in a place a
    /// limited service the allocation refused had held.
    replaced: Vec<u64>,
    /// Per service and stage, the last customer counted (for counting once).
    #[serde(skip)]
    seen: Vec<[u64; 3]>,
    #[serde(skip)]
    customer: u64,
}

impl FunnelTally {
    /// Empty counters shaped for an engine.
    pub fn new(engine: &Engine) -> FunnelTally {
        let services = engine.catalog().services.len();
        FunnelTally {
            rules: vec![[0; STAGES]; engine.rules().len()],
            services: vec![[0; 3]; services],
            replaced: vec![0; engine.rules().len()],
            seen: vec![[0; 3]; services],
            customer: 0,
        }
    }

    /// Counts the customer the evaluator has just evaluated without error.
    pub fn add(&mut self, evaluator: &Evaluator<'_>) {
        let engine = evaluator.engine();
        if self.seen.len() != self.services.len() {
            // Read from a partial report, which does not keep this scratch.
            self.seen = vec![[0; 3]; self.services.len()];
        }
        self.customer += 1;
        for &segment in evaluator.memberships() {
            for rule in engine.rules_for(segment) {
                if !rule.offers() {
                    continue;
                }
                self.pass(rule.id, rule.service, IN_SEGMENT);
                if rule.profile.is_none_or(|p| evaluator.profile_held(p)) {
                    self.pass(rule.id, rule.service, IN_PROFILE);
                }
            }
        }
        for &id in evaluator.fired_rules() {
            if let Some(rule) = engine.rules().get(id.index())
                && rule.action == ActionKind::Offer
            {
                self.pass(id, rule.service, CONDITION);
            }
        }
        for offer in evaluator.offers() {
            self.passed_up_to(offer.rule, STAGES);
            if evaluator.replaced().contains(&offer.service)
                && let Some(count) = self.replaced.get_mut(offer.rule.index())
            {
                *count += 1;
            }
        }
        for dropped in evaluator.dropped() {
            self.passed_up_to(dropped.rule, stopped_at(dropped.fate));
        }
    }

    /// Rule `id` passed `stage`; its service too, once per customer.
    fn pass(&mut self, id: RuleId, service: ServiceId, stage: usize) {
        if let Some(counts) = self.rules.get_mut(id.index()) {
            counts[stage] += 1;
        }
        if let (Some(seen), Some(counts)) = (
            self.seen.get_mut(service.index()),
            self.services.get_mut(service.index()),
        ) && seen[stage] != self.customer
        {
            seen[stage] = self.customer;
            counts[stage] += 1;
        }
    }

    /// A winning rule passed every stage from `won` up to, not including, `end`.
    fn passed_up_to(&mut self, id: RuleId, end: usize) {
        if let Some(counts) = self.rules.get_mut(id.index()) {
            for count in &mut counts[WON..end] {
                *count += 1;
            }
        }
    }

    /// Adds another chunk's counters.
    pub fn merge(&mut self, other: &FunnelTally) {
        for (mine, theirs) in self.rules.iter_mut().zip(&other.rules) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.saturating_add(*b);
            }
        }
        for (mine, theirs) in self.services.iter_mut().zip(&other.services) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.saturating_add(*b);
            }
        }
        for (a, b) in self.replaced.iter_mut().zip(&other.replaced) {
            *a = a.saturating_add(*b);
        }
    }

    /// The sizes of its tables (rules, services).
    pub(crate) fn shape(&self) -> [usize; 2] {
        [self.rules.len(), self.services.len()]
    }

    /// The finished funnel, ready for a report; `segment_members` are the
    /// customers per segment, for the levels of each rule's segment path.
    pub fn report(&self, engine: &Engine, segment_members: &[u64]) -> Funnel {
        let mut services: Vec<ServiceFunnel> = engine
            .catalog()
            .services
            .iter()
            .zip(&self.services)
            .map(|(service, early)| ServiceFunnel {
                service: service.id.clone(),
                name: service.name.clone(),
                stages: SERVICE_STAGES
                    .iter()
                    .enumerate()
                    .map(|(i, stage)| StageCount {
                        stage,
                        customers: if i < 3 { early[i] } else { 0 },
                    })
                    .collect(),
                offered: 0,
                replaced: 0,
                biggest_loss: None,
            })
            .collect();
        let mut rules = Vec::new();
        for ((id, counts), &replaced) in engine.rule_ids().zip(&self.rules).zip(&self.replaced) {
            if !engine.rule_offers(id) {
                continue;
            }
            if let Some(service) = services.get_mut((engine.rule_service(id)).index()) {
                // From `not_suppressed` on, a service has one winner per
                // customer, so its counts are the sums over its rules.
                for (stage, count) in service.stages.iter_mut().zip(&counts[1..]).skip(3) {
                    stage.customers = stage.customers.saturating_add(*count);
                }
                service.offered = service.offered.saturating_add(counts[STAGES - 1]);
                service.replaced = service.replaced.saturating_add(replaced);
            }
            rules.push(RuleFunnel {
                rule: engine.rule_name(id).to_string(),
                sheet_row: engine.rule_sheet_row(id),
                service: engine
                    .get_service(engine.rule_service(id))
                    .map_or(String::new(), |s| s.id.clone()),
                segment: engine.segment_name(engine.rule_segment(id)).to_string(),
                path: engine
                    .segment_path_ids(engine.rule_segment(id))
                    .into_iter()
                    .map(|s| PathLevel {
                        segment: engine.segment_name(s).to_string(),
                        customers: segment_members.get(s.index()).copied().unwrap_or(0),
                    })
                    .collect(),
                stages: RULE_STAGES
                    .iter()
                    .zip(counts)
                    .map(|(stage, &customers)| StageCount { stage, customers })
                    .collect(),
                offered: counts[STAGES - 1],
                replaced,
                biggest_loss: biggest_loss(&RULE_STAGES, counts),
            });
        }
        for service in &mut services {
            let counts: Vec<u64> = service.stages.iter().map(|s| s.customers).collect();
            service.biggest_loss = biggest_loss(&SERVICE_STAGES, &counts);
        }
        let unused = [
            ("channel_fit", engine.catalog().channel_fit.is_none()),
            (
                "exclusive_group",
                engine.catalog().services.iter().all(|s| s.group.is_none()),
            ),
            ("budget", engine.catalog().budget.is_none()),
            (
                "capacity",
                engine
                    .catalog()
                    .services
                    .iter()
                    .all(|s| s.capacity.is_none()),
            ),
        ]
        .into_iter()
        .filter(|(_, unused)| *unused)
        .map(|(stage, _)| stage)
        .collect();
        Funnel {
            unused_stages: unused,
            services,
            rules,
        }
    }
}

/// The columns of the rule funnel's table, and which are numbers.
pub(crate) const RULE_COLUMNS: [&str; 7] = [
    "rule",
    "segment path",
    "profile",
    "condition",
    "won",
    "offered",
    "most lost at",
];
pub(crate) const RULE_COLUMNS_RIGHT: [bool; 7] = [false, false, true, true, true, true, false];

/// Indexes into [`SERVICE_STAGES`] of the stages a package uses, for tables.
pub(crate) fn shown_stages(unused: &[&str]) -> Vec<usize> {
    SERVICE_STAGES
        .iter()
        .enumerate()
        .filter(|(_, s)| !unused.contains(s))
        .map(|(i, _)| i)
        .collect()
}

/// A stage's words as a column heading: short, and the same in every
/// report (dry-run, diff, HTML).
pub(crate) fn heading(stage: &str) -> &'static str {
    match stage {
        "in_segment" => "segment",
        "in_profile" => "profile",
        "condition" => "fired",
        "won" => "won",
        "not_suppressed" => "allowed",
        "gain_known" => "gain known",
        "max_offers" => "max_offers",
        "channel_fit" => "channel",
        "exclusive_group" => "group",
        "budget" => "budget",
        "capacity" => "capacity",
        _ => "?",
    }
}

/// What a stage's heading means, for the legend under a table.
pub(crate) fn meaning(stage: &str) -> Option<&'static str> {
    Some(match stage {
        "in_segment" => "segment: in a segment of its rules",
        "in_profile" => "profile: and a rule's profile holds",
        "condition" => "fired: and a rule's condition",
        "not_suppressed" => "allowed: no suppress rule blocks it",
        "gain_known" => "gain known: its gain could be computed",
        "max_offers" => "max_offers: within the best max_offers",
        "channel_fit" => "channel: fits the customer's channel",
        "exclusive_group" => "group: no better offer of its group",
        "budget" => "budget: within the budget",
        "capacity" => "capacity: given one of its limited slots",
        _ => return None,
    })
}

/// The legend of a funnel table with these stages, one sentence.
pub(crate) fn legend(shown: &[usize]) -> String {
    let parts: Vec<&str> = shown
        .iter()
        .filter_map(|&i| meaning(SERVICE_STAGES[i]))
        .collect();
    parts.join("; ")
}

/// The check that stops the customers lost at a stage, for "most lost at".
pub(crate) fn stopped_by(stage: &str) -> &'static str {
    match stage {
        "in_segment" => "segment",
        "in_profile" => "profile",
        "condition" => "condition",
        "won" => "other rule",
        "not_suppressed" => "suppressed",
        "gain_known" => "gain unknown",
        "max_offers" => "max_offers",
        "channel_fit" => "channel",
        "exclusive_group" => "group",
        "budget" => "budget",
        "capacity" => "capacity",
        _ => "?",
    }
}

/// The stage that lost the most customers, and how many.
fn biggest_loss(stages: &[&'static str], counts: &[u64]) -> Option<Loss> {
    counts
        .windows(2)
        .zip(&stages[1..])
        .map(|(pair, stage)| (pair[0].saturating_sub(pair[1]), *stage))
        .filter(|(lost, _)| *lost > 0)
        .fold(None, |best: Option<Loss>, (lost, stage)| match best {
            Some(b) if b.customers >= lost => Some(b),
            _ => Some(Loss {
                stage,
                customers: lost,
            }),
        })
}

/// Where each service and each offer rule loses its audience.
#[derive(Debug, Clone, Serialize)]
pub struct Funnel {
    /// Arbitration stages the package does not use (no budget, no exclusive
    /// groups...): every customer passes them.
    pub unused_stages: Vec<&'static str>,
    /// Per service, in catalog order.
    pub services: Vec<ServiceFunnel>,
    /// Per offer rule, in file order; each rule is on one segment, so this is
    /// also the funnel per segment.
    pub rules: Vec<RuleFunnel>,
}

/// One service's funnel.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceFunnel {
    /// Service id.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Customers that passed each of [`SERVICE_STAGES`], in order.
    pub stages: Vec<StageCount>,
    /// Customers offered the service (the last stage).
    pub offered: u64,
    /// Of those, customers offered it as a replacement: in a place a
    /// limited service the allocation refused them had held.
    pub replaced: u64,
    /// The stage that lost the most customers.
    pub biggest_loss: Option<Loss>,
}

/// One offer rule's funnel.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFunnel {
    /// Rule name.
    pub rule: String,
    /// For a table's row read from a spreadsheet, its row there
    /// (`offers.csv:3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet_row: Option<String>,
    /// Service id.
    pub service: String,
    /// The rule's segment.
    pub segment: String,
    /// Customers at each level of the segment's path, from the root down;
    /// the last level is the rule's `in_segment` stage.
    pub path: Vec<PathLevel>,
    /// Customers that passed each of [`RULE_STAGES`], in order.
    pub stages: Vec<StageCount>,
    /// Customers offered the service by this rule.
    pub offered: u64,
    /// Of those, customers offered it as a replacement for a limited
    /// service the allocation refused them.
    pub replaced: u64,
    /// The stage that lost the most customers.
    pub biggest_loss: Option<Loss>,
}

/// Customers in one segment of a rule's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathLevel {
    /// Segment name.
    pub segment: String,
    /// Customers in it.
    pub customers: u64,
}

/// Customers that passed one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageCount {
    /// Stage name.
    pub stage: &'static str,
    /// Customers that passed it (and every stage before it).
    pub customers: u64,
}

/// Customers lost at one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Loss {
    /// The stage they failed.
    pub stage: &'static str,
    /// How many.
    pub customers: u64,
}
