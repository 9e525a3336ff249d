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

/// Reusable buffers for [`Arbitration::marginals`] and the re-arbitration.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    list: Vec<Offer>,
    taken: Vec<(u32, ServiceId)>,
    /// Limited services' verdicts in the arbitration without capacity.
    uncapped: Vec<(ServiceId, Verdict)>,
}

impl Arbitration {
    fn is_limited(&self, service: ServiceId) -> bool {
        self.limited.get(service.index()) == Some(&true)
    }

    /// Total gain of arbitrating the offers of `ranked` that `keep` admits;
    /// and whether `wanted` (if any) was kept.
    fn total(
        &self,
        ranked: &[Offer],
        values: &[Value],
        max_offers: usize,
        scratch: &mut Scratch,
        keep: impl Fn(&Offer) -> bool,
        wanted: Option<ServiceId>,
    ) -> (f64, bool) {
        scratch.list.clear();
        scratch
            .list
            .extend(ranked.iter().filter(|o| keep(o)).copied());
        self.select(
            &mut scratch.list,
            values,
            max_offers,
            &mut scratch.taken,
            |_, _| {},
        );
        let total = scratch.list.iter().map(|o| o.gain).sum();
        let kept = wanted.is_some_and(|s| scratch.list.iter().any(|o| o.service == s));
        (total, kept)
    }

    /// Appends to `out`, for each limited service among `ranked` that the
    /// customer's arbitration would keep with no other limited service
    /// offered, its marginal value when that is not negative (a service that
    /// lowers the customer's total, possible with a budget or a ranking not
    /// led by gain, is not worth a place). `ranked` is best first.
    pub(crate) fn marginals(
        &self,
        ranked: &[Offer],
        values: &[Value],
        max_offers: usize,
        scratch: &mut Scratch,
        out: &mut Vec<(ServiceId, f64)>,
    ) {
        out.clear();
        if !ranked.iter().any(|o| self.is_limited(o.service)) {
            return;
        }
        let unlimited = |o: &Offer| !self.is_limited(o.service);
        let (base, _) = self.total(ranked, values, max_offers, scratch, unlimited, None);
        for offer in ranked.iter().filter(|o| self.is_limited(o.service)) {
            let s = offer.service;
            let (with, kept) = self.total(
                ranked,
                values,
                max_offers,
                scratch,
                |o| unlimited(o) || o.service == s,
                Some(s),
            );
            let marginal = with - base;
            if kept && marginal >= 0.0 {
                out.push((s, marginal));
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
