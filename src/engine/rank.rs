//! The order of a customer's offers across services, and the rounding of
//! gains: what `ranking:` and `gain_precision:` in the catalog say.
//!
//! In: the catalog. Out: a [`Ranking`] that compares two offers, used by the
//! evaluator and by the reference evaluator behind `explain`, so that the
//! two can never rank differently. Conflicts *within* a service (which rule
//! wins) are not decided here: the conflict order (deeper segment, higher
//! priority, earlier rule) settles them before ranking.

use crate::engine::offer::Offer;
use crate::package::catalog::{Catalog, RankKey};
use std::cmp::Ordering;

/// One key, ready to compare: the per-service orders are computed once.
#[derive(Debug, Clone)]
enum Key {
    Gain,
    Priority,
    Cost,
    /// Lower place first: the catalog's order or the ids' order.
    Place(Box<[u32]>),
}

/// The compiled `ranking:` and `gain_precision:` of a catalog.
#[derive(Debug, Clone)]
pub(crate) struct Ranking {
    keys: Box<[Key]>,
    /// Per service: its cost, for the `cost` key.
    costs: Box<[f64]>,
    /// `10^gain_precision`, when gains are rounded.
    scale: Option<f64>,
}

impl Ranking {
    pub(crate) fn new(catalog: &Catalog) -> Ranking {
        let services = &catalog.services;
        let by_id = || {
            let mut order: Vec<usize> = (0..services.len()).collect();
            order.sort_by(|&a, &b| services[a].id.cmp(&services[b].id));
            let mut place = vec![0u32; services.len()];
            for (p, i) in order.into_iter().enumerate() {
                place[i] = crate::base::index::dense_u32(p);
            }
            place.into_boxed_slice()
        };
        let in_catalog = || {
            (0..services.len())
                .map(crate::base::index::dense_u32)
                .collect::<Box<[u32]>>()
        };
        let mut keys: Vec<Key> = catalog
            .ranking
            .iter()
            .map(|key| match key {
                RankKey::Gain => Key::Gain,
                RankKey::Priority => Key::Priority,
                RankKey::Cost => Key::Cost,
                RankKey::CatalogOrder => Key::Place(in_catalog()),
                RankKey::ServiceId => Key::Place(by_id()),
            })
            .collect();
        // Whatever the list says, offers still tied keep the catalog's
        // order: the ranking is total, so every run ranks alike.
        if !catalog
            .ranking
            .iter()
            .any(|k| matches!(k, RankKey::CatalogOrder | RankKey::ServiceId))
        {
            keys.push(Key::Place(in_catalog()));
        }
        Ranking {
            keys: keys.into_boxed_slice(),
            costs: services.iter().map(|s| s.cost).collect(),
            scale: catalog.gain_precision.map(|p| 10f64.powi(p as i32)),
        }
    }

    /// `Less` when `a` ranks before `b`. `priority` gives a rule's priority.
    #[inline]
    pub(crate) fn compare(
        &self,
        a: &Offer,
        b: &Offer,
        priority: impl Fn(&Offer) -> i64,
    ) -> Ordering {
        for key in &self.keys {
            let order = match key {
                Key::Gain => b.gain.total_cmp(&a.gain),
                Key::Priority => priority(b).cmp(&priority(a)),
                Key::Cost => self.cost(a).total_cmp(&self.cost(b)),
                Key::Place(place) => place
                    .get(a.service.index())
                    .cmp(&place.get(b.service.index())),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }

    fn cost(&self, offer: &Offer) -> f64 {
        self.costs
            .get(offer.service.index())
            .copied()
            .unwrap_or(0.0)
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
        let default = Ranking::new(&catalog(""));
        assert_eq!(
            default.compare(&tied[0], &tied[1], |_| 0),
            Ordering::Greater,
            "`a` (service 1) is first by id"
        );
        let gain_only = Ranking::new(&catalog("ranking: [gain]"));
        assert_eq!(
            gain_only.compare(&tied[0], &tied[1], |_| 0),
            Ordering::Less,
            "`b` is first in the catalog"
        );
        let cheap = Ranking::new(&catalog("ranking: [gain, cost]"));
        assert_eq!(cheap.compare(&tied[0], &tied[1], |_| 0), Ordering::Greater);
    }

    #[test]
    fn rounding_makes_equal_decimals_equal() {
        let r = Ranking::new(&catalog("gain_precision: 4"));
        let a = 10.0 * 0.72;
        let b = 8.0 * (0.5 + 0.5 * 0.8);
        assert_ne!(a, b, "the noise this setting is for");
        assert_eq!(r.round(a), r.round(b));
        assert_eq!(r.round(a), 7.2);
        assert_eq!(r.round(-1.23456), -1.2346);
        assert_eq!(r.round(f64::MAX), f64::MAX);
        assert!(!Ranking::new(&catalog("")).rounds());
    }
}
