//! Marginal values and replacement offers: what a capacity-limited service
//! is worth to one customer, and the arbitration a customer gets when the
//! allocation refuses it some limited services.
//!
//! In: one customer's ranked candidates (before arbitration). Out: per
//! limited service among them, its *marginal value* — the total gain (before
//! stacking) of the customer's arbitration over its unlimited candidates and
//! that service, minus the total over its unlimited candidates alone — and,
//! once the allocation is known, the offers of an arbitration without the
//! services it refuses: a freed place in `max_offers`, the budget or an
//! exclusive group goes to the next eligible offer, as if the lost service
//! had not been offered.
//!
//! Why marginal values: what giving a customer a limited service adds to the
//! population's total is not the service's own gain but that gain minus what
//! it displaces (the offer that would have taken its place). With one
//! limited service, giving its `capacity` places to the customers with the
//! highest positive marginal values is optimal. With several, each value is
//! measured against an arbitration without *all* limited services, so it is
//! exact when a customer's limited services do not interact (see
//! `run::capacity` for the bound reported otherwise).

use crate::engine::arbitrate::{Arbitration, Verdict};
use crate::engine::offer::Offer;
use crate::lang::ir::ServiceId;
use crate::package::customer::Value;

/// Limited candidates of one customer up to which `upper_marginals`
/// arbitrates every subset of them (2^6 = 64 arbitrations at most).
pub(crate) const EXACT_SUBSETS: usize = 6;

/// Reusable buffers for [`Arbitration::marginals`] and the re-arbitration.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    list: Vec<Offer>,
    taken: Vec<(u32, ServiceId)>,
    /// The limited services among a customer's candidates, and the total of
    /// each subset of them (`upper_marginals`).
    limited: Vec<ServiceId>,
    totals: Vec<f64>,
    /// Limited services' verdicts in the arbitration without capacity.
    uncapped: Vec<(ServiceId, Verdict)>,
}

impl Arbitration {
    pub(crate) fn is_limited(&self, service: ServiceId) -> bool {
        self.limited.get(service.index()) == Some(&true)
    }

    /// Total gain of arbitrating the offers of `ranked` that `keep` admits;
    /// and whether `wanted` (if any) was kept.
    #[allow(clippy::too_many_arguments)]
    fn total(
        &self,
        ranked: &[Offer],
        values: &[Value],
        max_offers: usize,
        list: &mut Vec<Offer>,
        taken: &mut Vec<(u32, ServiceId)>,
        keep: impl Fn(&Offer) -> bool,
        wanted: Option<ServiceId>,
    ) -> (f64, bool) {
        list.clear();
        list.extend(ranked.iter().filter(|o| keep(o)).copied());
        self.select(list, values, max_offers, taken, |_, _| {});
        let total = list.iter().map(|o| o.gain).sum();
        let kept = wanted.is_some_and(|s| list.iter().any(|o| o.service == s));
        (total, kept)
    }

    /// Appends to `out`, for each limited service among `ranked` that the
    /// customer's arbitration would keep with no other limited service
    /// offered, its marginal value when that is not negative (a service that
    /// lowers the customer's total, possible with a budget or a ranking not
    /// led by gain, is not worth a place). `ranked` is best first. Returns
    /// the total without limited services (0 when there are none).
    pub(crate) fn marginals(
        &self,
        ranked: &[Offer],
        values: &[Value],
        max_offers: usize,
        scratch: &mut Scratch,
        out: &mut Vec<(ServiceId, f64)>,
    ) -> f64 {
        out.clear();
        if !ranked.iter().any(|o| self.is_limited(o.service)) {
            return 0.0;
        }
        let unlimited = |o: &Offer| !self.is_limited(o.service);
        let Scratch { list, taken, .. } = scratch;
        let (base, _) = self.total(ranked, values, max_offers, list, taken, unlimited, None);
        for offer in ranked.iter().filter(|o| self.is_limited(o.service)) {
            let s = offer.service;
            let (with, kept) = self.total(
                ranked,
                values,
                max_offers,
                list,
                taken,
                |o| unlimited(o) || o.service == s,
                Some(s),
            );
            let marginal = with - base;
            if kept && marginal >= 0.0 {
                out.push((s, marginal));
            }
        }
        base
    }

    /// Appends to `out`, for each limited service among `ranked`, an upper
    /// bound on what it can add to the customer's total gain whatever other
    /// limited services the customer gets: the largest
    /// `total(T + s) - total(T)` over the sets `T` of its other limited
    /// candidates, when positive. Summed over the `capacity` customers with
    /// the highest bounds and over the services, it bounds what any
    /// allocation's limited services add over offering none, since a
    /// customer's gain from a set telescopes into such differences. Past
    /// [`EXACT_SUBSETS`] limited candidates (2^k subsets), each service gets
    /// the customer's best total ignoring every rule but `max_offers` minus
    /// its total without limited services: looser, still a bound.
    pub(crate) fn upper_marginals(
        &self,
        ranked: &[Offer],
        values: &[Value],
        max_offers: usize,
        scratch: &mut Scratch,
        out: &mut Vec<(ServiceId, f64)>,
    ) {
        out.clear();
        let Scratch {
            list,
            taken,
            limited,
            totals,
            ..
        } = scratch;
        limited.clear();
        limited.extend(
            ranked
                .iter()
                .filter(|o| self.is_limited(o.service))
                .map(|o| o.service),
        );
        let k = limited.len();
        if k == 0 {
            return;
        }
        let bit = |o: &Offer| limited.iter().position(|s| *s == o.service);
        if k > EXACT_SUBSETS {
            let unlimited = |o: &Offer| bit(o).is_none();
            let (base, _) = self.total(ranked, values, max_offers, list, taken, unlimited, None);
            list.clear();
            list.extend(ranked.iter().filter(|o| o.gain > 0.0).copied());
            list.sort_by(|a, b| b.gain.total_cmp(&a.gain));
            let best: f64 = list.iter().take(max_offers).map(|o| o.gain).sum();
            let bound = best - base;
            if bound > 0.0 {
                out.extend(limited.iter().map(|&s| (s, bound)));
            }
            return;
        }
        totals.clear();
        for mask in 0..1usize << k {
            let keep = |o: &Offer| bit(o).is_none_or(|i| mask & (1 << i) != 0);
            let (total, _) = self.total(ranked, values, max_offers, list, taken, keep, None);
            totals.push(total);
        }
        for (i, &s) in limited.iter().enumerate() {
            let best = (0..totals.len())
                .filter(|mask| mask & (1 << i) == 0)
                .map(|mask| totals[mask | 1 << i] - totals[mask])
                .fold(f64::NEG_INFINITY, f64::max);
            if best > 0.0 {
                out.push((s, best));
            }
        }
    }

    /// The final arbitration of a customer whose limited services are
    /// decided: `offers` (ranked, best first) loses every limited service
    /// `admitted` refuses, and the rest is arbitrated again, so what the lost
    /// ones held goes to the next eligible offers. `verdict` hears every
    /// candidate's fate: a refused one's is `Capacity` when its marginal
    /// value was counted (`marginals`), else the one the arbitration without
    /// capacity gave it (it was never a candidate). `replaced` receives the
    /// kept offers the arbitration without capacity would not have kept.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn select_allocated(
        &self,
        offers: &mut Vec<Offer>,
        values: &[Value],
        max_offers: usize,
        marginals: &[(ServiceId, f64)],
        admitted: impl Fn(ServiceId, f64) -> bool,
        scratch: &mut Scratch,
        replaced: &mut Vec<ServiceId>,
        mut verdict: impl FnMut(&Offer, Verdict),
    ) {
        replaced.clear();
        let refused = |o: &Offer| {
            self.is_limited(o.service)
                && !marginals
                    .iter()
                    .find(|(s, _)| *s == o.service)
                    .is_some_and(|&(s, m)| admitted(s, m))
        };
        if !offers.iter().any(refused) {
            self.select(offers, values, max_offers, &mut scratch.taken, verdict);
            return;
        }
        // The arbitration without capacity: what each refused offer would
        // have met, and which offers are replacements.
        scratch.list.clear();
        scratch.list.extend_from_slice(offers);
        let uncapped = &mut scratch.uncapped;
        uncapped.clear();
        self.select(
            &mut scratch.list,
            values,
            max_offers,
            &mut scratch.taken,
            |o, v| {
                if self.is_limited(o.service) {
                    uncapped.push((o.service, v));
                }
            },
        );
        let uncapped = &scratch.uncapped;
        offers.retain(|o| {
            if !refused(o) {
                return true;
            }
            let candidate = marginals.iter().any(|(s, _)| *s == o.service);
            let before = uncapped
                .iter()
                .find(|(s, _)| *s == o.service)
                .map_or(Verdict::Capacity, |&(_, v)| v);
            let fate = if candidate || before == Verdict::Kept {
                Verdict::Capacity
            } else {
                before
            };
            verdict(o, fate);
            false
        });
        self.select(offers, values, max_offers, &mut scratch.taken, &mut verdict);
        for o in offers.iter() {
            if !scratch.list.iter().any(|u| u.service == o.service) {
                replaced.push(o.service);
            }
        }
    }
}
