//! The order of a customer's offers across services, and the rounding of
//! gains: what `ranking:` and `gain_precision:` in the catalog say.
//!
//! In: the catalog and the rules. Out: a [`Ranking`] that compares two
//! offers and rounds gains, for the evaluator. The reference evaluator
//! behind `explain` reads the same settings on its own (`analysis::trace`),
//! so the differential tests compare two readings of them. Conflicts
//! *within* a service (which rule wins) are not decided here: the conflict
//! order (deeper segment, higher priority, earlier rule) settles them
//! before ranking.

use crate::engine::offer::Offer;
use crate::package::catalog::{Catalog, RankKey};
use std::cmp::Ordering;

/// The compiled `ranking:` and `gain_precision:` of a catalog.
///
/// Every key but `gain` depends only on the rule that made an offer (its
/// priority and its service's cost, place and id), so the keys before
/// `gain` and those after it are each folded, once, into a place per rule:
/// comparing two offers is then two integer comparisons around one float
/// comparison, whatever the list says.
#[derive(Debug, Clone)]
pub(crate) struct Ranking {
    /// Per rule: its place by the keys before `gain`.
    before: Box<[u32]>,
    /// Per rule: its place by the keys after `gain` (and then the catalog's
    /// order, which makes the ranking total).
    after: Box<[u32]>,
    /// Whether `gain` is one of the keys.
    by_gain: bool,
    /// Whether the keys before `gain` tell any two rules apart; not with
    /// the default order, which starts with `gain`.
    before_matters: bool,
    /// `10^gain_precision`, when gains are rounded.
    scale: Option<f64>,
}

/// What a key needs to know of a rule: its service and priority.
pub(crate) struct RuleFacts {
    pub service: usize,
    pub priority: i64,
}

impl Ranking {
    /// `rules` in rule-id order.
    pub(crate) fn new(catalog: &Catalog, rules: &[RuleFacts]) -> Ranking {
        let keys = &catalog.ranking;
        let gain_at = keys.iter().position(|k| *k == RankKey::Gain);
        let (before, after) = match gain_at {
            Some(i) => (&keys[..i], &keys[i + 1..]),
            None => (&keys[..], &[][..]),
        };
        let mut after = after.to_vec();
        after.push(RankKey::CatalogOrder);
        let before = places(catalog, rules, before);
        Ranking {
            before_matters: before.iter().any(|&p| p != 0),
            before,
            after: places(catalog, rules, &after),
            by_gain: gain_at.is_some(),
            scale: catalog.gain_precision.map(|p| 10f64.powi(p as i32)),
        }
    }

    /// `Less` when `a` ranks before `b`.
    #[inline]
    pub(crate) fn compare(&self, a: &Offer, b: &Offer) -> Ordering {
        let place = |places: &[u32], o: &Offer| places.get(o.rule.index()).copied();
        let first = if self.before_matters {
            place(&self.before, a).cmp(&place(&self.before, b))
        } else {
            Ordering::Equal
        };
        first
            .then_with(|| {
                if self.by_gain {
                    // Two plain float comparisons settle gains that differ
                    // (an offer's gain is finite), cheaper than the bit
                    // juggling of `total_cmp`, which is left the equal ones
                    // (and NaN), where it tells -0.0 from 0.0: the same
                    // order as `total_cmp` alone.
                    if a.gain > b.gain {
                        Ordering::Less
                    } else if a.gain < b.gain {
                        Ordering::Greater
                    } else {
                        b.gain.total_cmp(&a.gain)
                    }
                } else {
                    Ordering::Equal
                }
            })
            .then_with(|| place(&self.after, a).cmp(&place(&self.after, b)))
    }

    /// `gain` rounded to the catalog's `gain_precision` (half away from
    /// zero, of the binary value times `10^places`), or as it is. The result
    /// is the f64 nearest the decimal, so equal decimals compare equal.
    #[inline]
    pub(crate) fn round(&self, gain: f64) -> f64 {
        match self.scale {
            Some(scale) => {
                let rounded = (gain * scale).round() / scale;
                // Far beyond any gain, `gain * scale` overflows; keep it then.
                if rounded.is_finite() { rounded } else { gain }
            }
            None => gain,
        }
    }

    /// Whether gains are rounded at all.
    pub(crate) fn rounds(&self) -> bool {
        self.scale.is_some()
    }
}

/// Each rule's place when rules are sorted by `keys` (equal rules share a
/// place), so that comparing places compares by the keys.
fn places(catalog: &Catalog, rules: &[RuleFacts], keys: &[RankKey]) -> Box<[u32]> {
    let services = &catalog.services;
    let by = |a: &RuleFacts, b: &RuleFacts| {
        keys.iter()
            .map(|key| match key {
                RankKey::Gain => Ordering::Equal,
                RankKey::Priority => b.priority.cmp(&a.priority),
                RankKey::Cost => services[a.service]
                    .cost
                    .total_cmp(&services[b.service].cost),
                RankKey::CatalogOrder => a.service.cmp(&b.service),
                RankKey::ServiceId => services[a.service].id.cmp(&services[b.service].id),
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    };
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by(|&a, &b| by(&rules[a], &rules[b]));
    let mut place = vec![0u32; rules.len()];
    let mut current = 0;
    for (n, &rule) in order.iter().enumerate() {
        if n > 0 && by(&rules[order[n - 1]], &rules[rule]).is_ne() {
            current += 1;
        }
        place[rule] = current;
    }
    place.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ir::{RuleId, SegmentId, ServiceId};

    fn offer(service: usize, gain: f64) -> Offer {
        Offer {
            service: ServiceId::new(service),
            gain,
            rule: RuleId::new(service),
            segment: SegmentId::new(0),
        }
    }

    /// One rule per service, rule i offering service i, priorities as given.
    fn ranking(extra: &str, priorities: &[i64]) -> Ranking {
        let rules: Vec<RuleFacts> = priorities
            .iter()
            .enumerate()
            .map(|(service, &priority)| RuleFacts { service, priority })
            .collect();
        Ranking::new(&catalog(extra), &rules)
    }

    fn catalog(extra: &str) -> Catalog {
        let text = format!(
            "package: t\n{extra}\nservices:\n  \
             - {{id: b, name: B, category: convenience, stage: in_sale, channel: omni, \
             participation: passive, cost: 2}}\n  \
             - {{id: a, name: A, category: convenience, stage: in_sale, channel: omni, \
             participation: passive, cost: 1}}\n\
             customer:\n  attributes: []\n"
        );
        serde_yaml::from_str(&text).unwrap()
    }

    #[test]
    fn default_order_breaks_ties_by_id_and_a_list_without_order_by_catalog() {
        let tied = [offer(0, 1.0), offer(1, 1.0)];
        let default = ranking("", &[0, 0]);
        assert_eq!(
            default.compare(&tied[0], &tied[1]),
            Ordering::Greater,
            "`a` (service 1) is first by id"
        );
        let gain_only = ranking("ranking: [gain]", &[0, 0]);
        assert_eq!(
            gain_only.compare(&tied[0], &tied[1]),
            Ordering::Less,
            "`b` is first in the catalog"
        );
        let cheap = ranking("ranking: [gain, cost]", &[0, 0]);
        assert_eq!(cheap.compare(&tied[0], &tied[1]), Ordering::Greater);
        let first_priority = ranking("ranking: [priority, gain]", &[1, 5]);
        let (low, high) = (offer(0, 9.0), offer(1, 1.0));
        assert_eq!(first_priority.compare(&high, &low), Ordering::Less);
        let by_default = ranking("", &[1, 5]);
        assert_eq!(by_default.compare(&low, &high), Ordering::Less);
    }

    /// The order spelled out key by key with `f64::total_cmp` for gains,
    /// which `compare` shortens for gains that differ.
    fn reference(r: &Ranking, a: &Offer, b: &Offer) -> Ordering {
        let place = |places: &[u32], o: &Offer| places.get(o.rule.index()).copied();
        let first = if r.before_matters {
            place(&r.before, a).cmp(&place(&r.before, b))
        } else {
            Ordering::Equal
        };
        let by_gain = if r.by_gain {
            b.gain.total_cmp(&a.gain)
        } else {
            Ordering::Equal
        };
        first
            .then(by_gain)
            .then_with(|| place(&r.after, a).cmp(&place(&r.after, b)))
    }

    #[test]
    fn offers_compare_as_total_order_on_gains() {
        let gains = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0 + f64::EPSILON,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for extra in [
            "",
            "ranking: [gain, cost]",
            "ranking: [priority, gain]",
            "ranking: [cost]",
        ] {
            let r = ranking(extra, &[3, 1]);
            for &ga in &gains {
                for &gb in &gains {
                    for (sa, sb) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let (a, b) = (offer(sa, ga), offer(sb, gb));
                        assert_eq!(
                            r.compare(&a, &b),
                            reference(&r, &a, &b),
                            "{extra:?}: {ga} and {gb}, services {sa} and {sb}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rounding_makes_equal_decimals_equal() {
        let r = ranking("gain_precision: 4", &[]);
        let a = 10.0 * 0.72;
        let b = 8.0 * (0.5 + 0.5 * 0.8);
        assert_ne!(a, b, "the noise this setting is for");
        assert_eq!(r.round(a), r.round(b));
        assert_eq!(r.round(a), 7.2);
        assert_eq!(r.round(-1.23456), -1.2346);
        assert_eq!(r.round(f64::MAX), f64::MAX);
        assert!(!ranking("", &[]).rounds());
    }
}
