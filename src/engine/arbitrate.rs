//! Arbitration: from the ranked candidates to the offers a customer gets.
//!
//! In: one customer's candidate offers, best first. Out: those kept, in order,
//! up to `max_offers`, skipping a service whose channel does not fit the
//! customer, a second service of a mutually exclusive group, and a service
//! that would take the customer's offers over the budget. The reason each
//! candidate was kept or dropped goes to a callback, for `explain`.

use crate::engine::offer::Offer;
use crate::lang::ir::ServiceId;
use crate::package::catalog::{Catalog, Channel};
use crate::package::customer::Value;
use crate::package::schema::{Schema, Slot, Symbol};

/// What arbitration did with one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Kept,
    /// Already `max_offers` offers.
    MaxOffers,
    /// The service's channel does not fit the customer.
    Channel,
    /// Another service of the same exclusive group was kept first.
    Group {
        with: ServiceId,
    },
    /// It would take the offers' cost over the budget.
    Budget,
    /// The service's capacity went to customers with a higher expected gain
    /// (decided over the whole population, see `capacity`).
    Capacity,
}

#[derive(Debug, Clone)]
pub(crate) struct Arbitration {
    budget: Option<f64>,
    costs: Vec<f64>,
    /// Per service: its exclusive group, as an index.
    groups: Vec<Option<u32>>,
    channels: Vec<Channel>,
    /// Per service: whether its capacity is limited.
    pub(crate) limited: Vec<bool>,
    /// Whether any service is.
    pub(crate) any_limited: bool,
    /// The customer's channel attribute and the values meaning online-only / offline-only.
    fit: Option<(Slot, Vec<Symbol>, Vec<Symbol>)>,
    /// Whether `max_offers` is the only limit (no fit, group or budget).
    only_max_offers: bool,
}

impl Arbitration {
    pub(crate) fn new(catalog: &Catalog, schema: &Schema) -> Arbitration {
        let mut names: Vec<&str> = Vec::new();
        let groups: Vec<Option<u32>> = catalog
            .services
            .iter()
            .map(|s| {
                let g = s.group.as_deref()?;
                let index = names.iter().position(|n| *n == g).unwrap_or_else(|| {
                    names.push(g);
                    names.len() - 1
                });
                u32::try_from(index).ok()
            })
            .collect();
        let fit = catalog.channel_fit.as_ref().and_then(|f| {
            let slot = schema.attribute(&f.attribute)?;
            let symbols = |values: &[String]| {
                values
                    .iter()
                    .filter_map(|v| schema.symbols.get(v))
                    .collect()
            };
            Some((slot, symbols(&f.online), symbols(&f.offline)))
        });
        let only_max_offers =
            catalog.budget.is_none() && fit.is_none() && groups.iter().all(Option::is_none);
        Arbitration {
            only_max_offers,
            budget: catalog.budget,
            costs: catalog.services.iter().map(|s| s.cost).collect(),
            groups,
            channels: catalog.services.iter().map(|s| s.channel).collect(),
            limited: catalog
                .services
                .iter()
                .map(|s| s.capacity.is_some())
                .collect(),
            any_limited: catalog.services.iter().any(|s| s.capacity.is_some()),
            fit,
        }
    }

    /// Whether every service fits every customer (no `channel_fit`).
    pub(crate) fn fits_everyone(&self) -> bool {
        self.fit.is_none()
    }

    /// Whether `service`'s channel fits the customer. An offer that does not
    /// fit changes nothing in `select` (no slot, budget or group), so a
    /// list without it arbitrates alike.
    pub(crate) fn fits(&self, service: ServiceId, values: &[Value]) -> bool {
        let Some((slot, online, offline)) = &self.fit else {
            return true;
        };
        let Some(Value::Text(channel)) = values.get(*slot as usize) else {
            return true;
        };
        match self.channels.get(service.index()) {
            Some(Channel::Offline) => !online.contains(channel),
            Some(Channel::Online) => !offline.contains(channel),
            _ => true,
        }
    }

    /// Keeps the candidates that pass, in order; `taken` is reusable scratch.
    pub(crate) fn select(
        &self,
        offers: &mut Vec<Offer>,
        values: &[Value],
        max_offers: usize,
        taken: &mut Vec<(u32, ServiceId)>,
        mut verdict: impl FnMut(&Offer, Verdict),
    ) {
        if self.only_max_offers {
            // No channel fit, group or budget: the best `max_offers` stay.
            for (i, offer) in offers.iter().enumerate() {
                let kept = i < max_offers;
                verdict(
                    offer,
                    if kept {
                        Verdict::Kept
                    } else {
                        Verdict::MaxOffers
                    },
                );
            }
            offers.truncate(max_offers);
            return;
        }
        taken.clear();
        let mut kept = 0;
        let mut spent = 0.0;
        for i in 0..offers.len() {
            let offer = offers[i];
            let group = self.groups.get(offer.service.index()).copied().flatten();
            let cost = self
                .costs
                .get(offer.service.index())
                .copied()
                .unwrap_or(0.0);
            let decision = if kept >= max_offers {
                Verdict::MaxOffers
            } else if !self.fits(offer.service, values) {
                Verdict::Channel
            } else if let Some(&(_, with)) =
                group.and_then(|g| taken.iter().find(|(tg, _)| *tg == g))
            {
                Verdict::Group { with }
            } else if self.budget.is_some_and(|b| spent + cost > b + 1e-9) {
                Verdict::Budget
            } else {
                Verdict::Kept
            };
            verdict(&offer, decision);
            if decision == Verdict::Kept {
                offers[kept] = offer;
                kept += 1;
                spent += cost;
                if let Some(g) = group {
                    taken.push((g, offer.service));
                }
            }
        }
        offers.truncate(kept);
    }
}
