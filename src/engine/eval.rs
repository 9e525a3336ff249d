//! Evaluation: one customer in, ranked offers out.
//!
//! Segments are visited top-down in topological order, children only when
//! the parent matched, so the work grows with the segments and rules that can
//! apply to the customer, not with the size of the package. All working memory
//! lives in an [`Evaluator`] and is reused, so evaluating allocates nothing
//! once its buffers have grown.

use crate::engine::Engine;
use crate::engine::allocation::{Allocation, CutoffBounds};
use crate::engine::arbitrate::Verdict;
use crate::engine::offer::{EvalError, EvalErrorKind, Offer};
use crate::engine::program::{Context, ScriptRun, Tri};
use crate::engine::replace::Scratch;
use crate::lang::ir::{ProfileId, RuleId, SegmentId, ServiceId};
use crate::package::customer::Customer;

/// A service's winning rule whose offer did not reach the final list, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dropped {
    pub service: ServiceId,
    pub rule: RuleId,
    pub fate: Fate,
    /// The offer's gain, when it was computed (NaN before that).
    pub gain: f64,
}

/// Why a winning offer was dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fate {
    Suppressed,
    GainMissing,
    Cut(Verdict),
}

/// No offer yet: below every rule's place in the conflict order.
const UNSET: u32 = 0;
/// Set in a service's `best` place when a rule suppressed it. Places are
/// at most the number of rules: reaching this bit would take 2^31 rules,
/// over 100 GB of compiled rules, so no package can.
const SUPPRESSED: u32 = 1 << 31;
/// Customers an evaluator counts before its profile table starts over.
const CUSTOMER_WRAP: u32 = 1 << 30;

/// Reusable working memory for evaluating customers against one engine.
/// Create one per thread with [`Engine::evaluator`].
pub struct Evaluator<'e> {
    engine: &'e Engine,
    /// Per segment position, the customer (`customer`) it last held: the
    /// segments of earlier customers need no clearing.
    member: Vec<u32>,
    queued: Vec<u64>,
    /// Per profile, `customer << 2 | result` (0 false, 1 true, 2 unknown)
    /// for the customer it was last evaluated for: entries of earlier
    /// customers are stale without clearing the table for each one.
    profile_cache: Vec<u32>,
    /// Counts the customers evaluated, from 1.
    customer: u32,
    /// Per service, the conflict-order place of the best offer so far,
    /// with [`SUPPRESSED`] set when a rule suppressed the service.
    best: Vec<u32>,
    touched: Vec<ServiceId>,
    members: Vec<SegmentId>,
    fired: Vec<RuleId>,
    offers: Vec<Offer>,
    blocked: Vec<(ServiceId, RuleId)>,
    /// Every winning offer that was dropped, for the funnel.
    dropped: Vec<Dropped>,
    /// Per dimension, the headroom the offers so far have left open; empty
    /// when no offer had effects (see `CompiledModel::stack`).
    remaining: Vec<f64>,
    /// Exclusive groups taken by the offers kept so far.
    taken: Vec<(u32, ServiceId)>,
    /// With an allocation: the customer's candidates for limited services
    /// with their marginal values (`engine::replace`).
    marginals: Vec<(ServiceId, f64)>,
    /// With an allocation: what the limited services the last customer got
    /// add to its total gain before stacking (its total minus its total
    /// over its offers of unlimited services).
    limited_gain: f64,
    /// With no allocation and a limited service in the catalog: the last
    /// customer's candidates before arbitration that fit its channel, best
    /// first.
    ranked: Vec<Offer>,
    /// With bounds: whether any of the last customer's candidates before
    /// arbitration (fitting its channel or not) was of a limited service:
    /// if none was, an allocation cannot change its outcome.
    limited_candidate: bool,
    /// Limited services the last customer got in place of the ones the
    /// allocation refused it (the replacement offers).
    replaced: Vec<ServiceId>,
    /// Buffers for marginal values and re-arbitration.
    scratch: Scratch,
    /// Which customers get the limited services, once decided.
    allocation: Option<&'e Allocation>,
    /// In capacity's first pass: who cannot get them, so far.
    bounds: Option<&'e CutoffBounds>,
    /// With bounds: whether they refused the last customer every limited
    /// candidate (or it had none), so that its offers are final.
    bounded_final: bool,
    /// The customer's row, which breaks ties in the allocation.
    row: u64,
    /// The atoms of the segment being visited that hold (see `atoms`), the
    /// constants met per threshold group, and the rules that hold.
    atom_bits: Vec<u64>,
    atom_held: Vec<u32>,
    rule_bits: Vec<u64>,
    /// Script results by their inputs (see `ScriptCache`).
    script_cache: crate::lang::script::ScriptCache,
}

/// The most rules an evaluator makes room for up front in its list of the
/// rules that fired; a customer that fires more grows it.
const FIRED_CAPACITY: usize = 64;

impl Engine {
    /// A fresh evaluator for this engine: the working memory of evaluating,
    /// reused from one customer to the next. Make one per thread and keep it.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let mut evaluator = engine.evaluator();
    /// let mut offered = 0;
    /// for months in 0..72 {
    ///     let customer = engine
    ///         .customer()
    ///         .set("customer_id", format!("C-{months}"))
    ///         .set("tenure_months", months)
    ///         .set("monthly_charges", 80)
    ///         .build()?;
    ///     offered += evaluator.evaluate(&customer)?.len();
    /// }
    /// assert!(offered > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluator(&self) -> Evaluator<'_> {
        let words = self.segments.len().div_ceil(64);
        let services = self.catalog.services.len();
        Evaluator {
            engine: self,
            member: vec![0; self.segments.len()],
            queued: vec![0; words],
            profile_cache: vec![0; self.profiles.len()],
            customer: 0,
            best: vec![UNSET; services],
            touched: Vec::with_capacity(services),
            members: Vec::with_capacity(self.segments.len()),
            // Sized once: grown from empty, an evaluator made for one
            // customer paid three allocations for its ten or so rules.
            fired: Vec::with_capacity(self.rules.len().min(FIRED_CAPACITY)),
            offers: Vec::with_capacity(services),
            blocked: Vec::new(),
            dropped: Vec::new(),
            remaining: Vec::new(),
            taken: Vec::new(),
            marginals: Vec::new(),
            replaced: Vec::new(),
            ranked: Vec::new(),
            limited_gain: 0.0,
            limited_candidate: false,
            scratch: Scratch::default(),
            allocation: None,
            bounds: None,
            bounded_final: false,
            row: 0,
            atom_bits: vec![0; self.atom_scratch(|a| a.words)],
            atom_held: vec![0; self.atom_scratch(|a| a.groups())],
            rule_bits: vec![
                0;
                self.atom_scratch(|a| a.matrix.as_ref().map_or(0, |m| m.rule_words))
            ],
            script_cache: crate::lang::script::ScriptCache::default(),
        }
    }

    /// The most scratch any segment's atoms need, by `size`.
    fn atom_scratch(&self, size: impl Fn(&crate::engine::atoms::AtomTable) -> usize) -> usize {
        self.segments
            .iter()
            .filter_map(|s| s.atoms.as_deref().map(&size))
            .max()
            .unwrap_or(0)
    }

    /// An evaluator that gives out capacity-limited services as `allocation`
    /// says (or without the limit when None); see `run::capacity`.
    pub fn evaluator_with<'e>(&'e self, allocation: Option<&'e Allocation>) -> Evaluator<'e> {
        let mut evaluator = self.evaluator();
        evaluator.allocation = allocation;
        evaluator
    }

    /// An evaluator for capacity's first pass that gives a customer its
    /// final offers when `bounds` already refuse it every limited candidate
    /// ([`Evaluator::offers_are_final`]); the others get their offers without
    /// the limit, as [`Engine::evaluator_with`] with None.
    pub(crate) fn evaluator_bounded<'e>(&'e self, bounds: &'e CutoffBounds) -> Evaluator<'e> {
        let mut evaluator = self.evaluator();
        evaluator.bounds = Some(bounds);
        evaluator
    }

    /// Evaluates one customer (allocates an evaluator; prefer
    /// [`Engine::evaluator`] when evaluating many, and
    /// [`Engine::recommend`] for offers with names).
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customer = engine
    ///     .customer()
    ///     .set("customer_id", "C-1")
    ///     .set("tenure_months", 2)
    ///     .set("monthly_charges", 99)
    ///     .build()?;
    /// for offer in engine.evaluate(&customer)? {
    ///     println!("{} +{:.2}", engine.service(offer.service).name, offer.gain);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An [`EvalError`] naming the rule (or script) that could not be
    /// evaluated for this customer, e.g. a gain divided by zero.
    pub fn evaluate(&self, customer: &Customer) -> Result<Vec<Offer>, EvalError> {
        self.evaluator().evaluate(customer).map(<[Offer]>::to_vec)
    }
}

impl<'e> Evaluator<'e> {
    /// Sets the row of the next customer; rows break ties in the allocation
    /// of limited services, earlier first.
    pub fn set_row(&mut self, row: u64) {
        self.row = row;
    }

    /// The engine this evaluator runs.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Evaluates one customer; the offers stay valid until the next call.
    /// Allocates nothing once the buffers have grown: offers are ids and a
    /// gain; name the ones you show with [`Offer::named`] or
    /// [`Evaluator::recommendations`].
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let mut evaluator = engine.evaluator();
    /// let customer = engine
    ///     .customer()
    ///     .set("customer_id", "C-1")
    ///     .set("tenure_months", 2)
    ///     .set("monthly_charges", 99)
    ///     .build()?;
    /// let offers = evaluator.evaluate(&customer)?;
    /// // Best first.
    /// assert!(offers.windows(2).all(|pair| pair[0].gain >= pair[1].gain));
    /// for offer in offers {
    ///     let service = &engine[offer.service];
    ///     println!("{} ({}) +{:.2} by {}", service.name, service.id, offer.gain, engine.rule_name(offer.rule));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// An [`EvalError`] naming the rule (or script) that could not be
    /// evaluated for this customer, e.g. a gain divided by zero.
    pub fn evaluate(&mut self, customer: &Customer) -> Result<&[Offer], EvalError> {
        let engine = self.engine;
        // The cache moves out of `self` for the run, as `visit` borrows `self`.
        let cache = if engine.has_scripts {
            std::cell::RefCell::new(std::mem::take(&mut self.script_cache))
        } else {
            std::cell::RefCell::default()
        };
        let scripts = engine
            .has_scripts
            .then(|| ScriptRun::new(&engine.checked.scripts, Some(&cache)));
        let cx = Context {
            values: &customer.values,
            local_texts: &customer.local_texts,
            symbols: &engine.schema.symbols,
            derived: f64::NAN,
            scripts: scripts.as_ref(),
        };
        self.customer += 1;
        if self.customer == CUSTOMER_WRAP {
            self.profile_cache.fill(0);
            self.member.fill(0);
            self.customer = 1;
        }
        if engine.eager_profiles {
            // Few and script-free: testing each once costs less than asking
            // the cache for each rule, and every later ask is a hit.
            let stamp = self.customer << 2;
            for (cached, profile) in self.profile_cache.iter_mut().zip(&engine.profiles) {
                *cached = stamp | tri_code(profile.eval_top(&cx));
            }
        }
        self.members.clear();
        self.fired.clear();
        self.offers.clear();
        self.blocked.clear();
        self.dropped.clear();
        self.marginals.clear();
        self.replaced.clear();
        self.ranked.clear();
        self.limited_gain = 0.0;
        self.limited_candidate = false;
        self.bounded_final = false;
        for &root in &engine.roots {
            set_bit(&mut self.queued, root);
        }

        for word in 0..self.queued.len() {
            loop {
                let bits = self.queued[word];
                if bits == 0 {
                    break;
                }
                let bit = bits.trailing_zeros();
                self.queued[word] &= !(1u64 << bit);
                let pos = (word as u32) * 64 + bit;
                self.visit(pos, &cx);
            }
        }
        let collected = self.collect(&cx);
        let failure = scripts.and_then(|run| run.failure.take());
        if engine.has_scripts {
            self.script_cache = cache.into_inner();
        }
        collected?;
        if let Some((script, message)) = failure {
            self.offers.clear();
            return Err(engine.script_error(script, message));
        }
        Ok(&self.offers)
    }

    /// Inlined into the queue's loop: as a call, each of the six or so
    /// segments a customer is in paid for saving and restoring registers.
    #[inline(always)]
    fn visit(&mut self, pos: u32, cx: &Context<'_>) {
        let engine = self.engine;
        let Some(segment) = engine.segments.get(pos as usize) else {
            return;
        };
        let customer = self.customer;
        if segment.parents.len() > 1
            && !segment
                .parents
                .iter()
                .all(|&p| self.member.get(p as usize) == Some(&customer))
        {
            return;
        }
        if segment.predicate.eval_top(cx) != Tri::True {
            return;
        }
        if let Some(member) = self.member.get_mut(pos as usize) {
            *member = customer;
        }
        self.members.push(segment.id);
        for &(word, bits) in segment.child_words.iter() {
            if let Some(queued) = self.queued.get_mut(word as usize) {
                *queued |= bits;
            }
        }
        if let Some(atoms) = &segment.atoms
            && let Some(matrix) = &atoms.matrix
        {
            for &profile in matrix.profiles.iter() {
                self.profile(profile, cx);
            }
            // Script-free atoms and profiles: the order they are tested
            // in cannot be observed.
            match self.rule_bits.first_mut() {
                Some(word) if matrix.direct => *word = atoms.holding_direct(matrix, cx),
                _ => {
                    atoms.evaluate(cx, &mut self.atom_bits, &mut self.atom_held);
                    matrix.holding(atoms, &self.atom_bits, &self.atom_held, &mut self.rule_bits);
                }
            }
            for word in 0..matrix.rule_words {
                let mut bits = self.rule_bits[word];
                while bits != 0 {
                    let at = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let Some(rule) = segment.tests.get(at) else {
                        continue;
                    };
                    if let Some(profile) = rule.profile
                        && !self.profile_holds(profile, cx)
                    {
                        continue;
                    }
                    self.fire(rule);
                }
            }
            return;
        }
        let Some(atoms) = &segment.atoms else {
            // The common case, with no atoms to consult.
            for rule in segment.tests.iter() {
                if let Some(profile) = rule.profile
                    && !self.profile_holds(profile, cx)
                {
                    continue;
                }
                if rule.when.eval_top(cx) == Tri::True {
                    self.fire(rule);
                }
            }
            return;
        };
        atoms.evaluate(cx, &mut self.atom_bits, &mut self.atom_held);
        for rule in segment.tests.iter() {
            if let Some(profile) = rule.profile
                && !self.profile_holds(profile, cx)
            {
                continue;
            }
            let holds = match rule.atoms {
                Some(test) => atoms.holds(test, &self.atom_bits),
                None => rule.when.eval_top(cx) == Tri::True,
            };
            if !holds {
                continue;
            }
            self.fire(rule);
        }
    }

    /// A rule whose segment, profile and condition held: its offer (or
    /// suppression) competes for its service.
    #[inline(always)]
    fn fire(&mut self, rule: &crate::engine::SegmentRule) {
        self.fired.push(rule.id);
        let Some(best) = self.best.get_mut(rule.service.index()) else {
            return;
        };
        if *best == UNSET {
            self.touched.push(rule.service);
        }
        if rule.order == 0 {
            *best |= SUPPRESSED;
        } else if rule.order > *best & !SUPPRESSED {
            *best = (*best & SUPPRESSED) | rule.order;
        }
    }

    /// Whether a profile holds for this customer: a cached answer is read
    /// where it is asked for; only the first asking pays for a call.
    #[inline(always)]
    fn profile_holds(&mut self, profile: ProfileId, cx: &Context<'_>) -> bool {
        match self.profile_cache.get(profile.index()) {
            Some(&cached) if cached & !3 == self.customer << 2 => cached & 3 == 1,
            _ => self.profile(profile, cx) == Tri::True,
        }
    }

    #[inline(never)]
    fn profile(&mut self, profile: ProfileId, cx: &Context<'_>) -> Tri {
        let stamp = self.customer << 2;
        let Some(cached) = self.profile_cache.get_mut(profile.index()) else {
            return Tri::Unknown;
        };
        if *cached & !3 == stamp {
            return match *cached & 3 {
                0 => Tri::False,
                1 => Tri::True,
                _ => Tri::Unknown,
            };
        }
        let result = self
            .engine
            .profiles
            .get(profile.index())
            .map_or(Tri::Unknown, |p| p.eval_top(cx));
        *cached = stamp | tri_code(result);
        result
    }

    fn collect(&mut self, cx: &Context<'_>) -> Result<(), EvalError> {
        let engine = self.engine;
        let mut error = None;
        for &service in &self.touched {
            let s = service.index();
            let Some(best) = self.best.get_mut(s) else {
                continue;
            };
            let (order, suppressed) = (*best & !SUPPRESSED, *best & SUPPRESSED != 0);
            *best = UNSET;
            if order == UNSET || error.is_some() {
                continue;
            }
            // Places in the conflict order start at 1 (0 is UNSET).
            let Some(rule) = engine.by_order.get(order.wrapping_sub(1) as usize) else {
                continue;
            };
            let best = rule.rule;
            if suppressed {
                self.blocked.push((service, best));
                self.dropped.push(Dropped {
                    service,
                    rule: best,
                    fate: Fate::Suppressed,
                    gain: f64::NAN,
                });
                continue;
            }
            let gain = match (&engine.compiled_model, rule.uses_derived) {
                (Some(model), true) => {
                    let with_derived = Context {
                        derived: model.derived(service, cx.values),
                        ..*cx
                    };
                    rule.gain.eval_fast(&with_derived)
                }
                _ => rule.gain.eval_fast(cx),
            };
            match gain {
                Some(gain) if gain.is_finite() => self.offers.push(Offer {
                    service,
                    gain: engine.ranking.round(gain),
                    rule: best,
                    segment: rule.segment,
                }),
                Some(gain) => {
                    error = Some(EvalError {
                        rule: Some(best),
                        rule_name: engine.rule_name(best).to_string(),
                        kind: EvalErrorKind::NonFiniteGain(gain),
                    });
                }
                // The winning rule's gain needs a value the customer lacks: no offer.
                None => {
                    self.blocked.push((service, best));
                    self.dropped.push(Dropped {
                        service,
                        rule: best,
                        fate: Fate::GainMissing,
                        gain: f64::NAN,
                    });
                }
            }
        }
        self.touched.clear();
        if let Some(error) = error {
            self.offers.clear();
            return Err(error);
        }
        insertion_sort(&mut self.offers, |a, b| engine.ranking.compare(a, b));
        let arbitration = &engine.arbitration;
        let max_offers = engine.catalog.max_offers;
        let dropped = &mut self.dropped;
        let mut cut = |offer: &Offer, verdict: Verdict| {
            if verdict != Verdict::Kept {
                dropped.push(Dropped {
                    service: offer.service,
                    rule: offer.rule,
                    fate: Fate::Cut(verdict),
                    gain: offer.gain,
                });
            }
        };
        self.replaced.clear();
        // Only capacity's first pass asks (`offers_are_final`).
        self.limited_candidate = self.bounds.is_some()
            && arbitration.any_limited
            && self
                .offers
                .iter()
                .any(|o| arbitration.is_limited(o.service));
        let capped = self.allocation.is_some() || self.bounds.is_some();
        if arbitration.any_limited && (self.bounds.is_some() || !capped) {
            // Capacity's first pass values the limited services from the
            // candidates (`run::capacity`); only a copy here, so a single
            // evaluation pays nothing more. Those whose channel does not fit
            // are left out, so the copy needs no customer to arbitrate alike.
            self.ranked.clear();
            if arbitration.fits_everyone() {
                self.ranked.extend_from_slice(&self.offers);
            } else {
                self.ranked.extend(
                    self.offers
                        .iter()
                        .filter(|o| arbitration.fits(o.service, cx.values)),
                );
            }
        }
        let mut arbitrated = false;
        if arbitration.any_limited && capped {
            // Decided on gains before stacking, so that stacking sees only
            // the offers kept.
            let without = arbitration.marginals(
                &self.offers,
                cx.values,
                max_offers,
                &mut self.scratch,
                &mut self.marginals,
            );
            let (allocation, row) = (self.allocation, self.row);
            if let (None, Some(bounds)) = (allocation, self.bounds) {
                // Each bound read once: another thread may raise it.
                self.bounded_final = self
                    .marginals
                    .iter()
                    .all(|&(service, marginal)| bounds.refuses(service, marginal));
            }
            // With bounds and not refused everywhere, the customer is not
            // settled yet: arbitrated without the limit, evaluated again in
            // the second pass.
            if allocation.is_some() || self.bounded_final {
                // With bounds, refused everywhere: as the second pass will.
                arbitration.select_allocated(
                    &mut self.offers,
                    cx.values,
                    max_offers,
                    &self.marginals,
                    |service, marginal| {
                        allocation.is_some_and(|a| a.admits_line(service, marginal, row))
                    },
                    &mut self.scratch,
                    &mut self.replaced,
                    &mut cut,
                );
                if !self.marginals.is_empty() || !self.replaced.is_empty() {
                    let with: f64 = self.offers.iter().map(|o| o.gain).sum();
                    self.limited_gain = with - without;
                }
                arbitrated = true;
            }
        }
        if !arbitrated {
            arbitration.select(
                &mut self.offers,
                cx.values,
                max_offers,
                &mut self.taken,
                cut,
            );
        }
        if let Some(model) = &engine.compiled_model {
            model.stack(&mut self.offers, cx.values, &mut self.remaining);
            if engine.ranking.rounds() {
                for offer in &mut self.offers {
                    offer.gain = engine.ranking.round(offer.gain);
                }
            }
        }
        Ok(())
    }

    /// With no allocation: the last customer's candidate offers before
    /// arbitration (best first) whose channel fits it, kept when a service
    /// is limited, for capacity's first pass.
    pub(crate) fn ranked(&self) -> &[Offer] {
        &self.ranked
    }

    /// For an evaluator made by [`Engine::evaluator_bounded`]: the last
    /// customer's marginal values, which it found to test them against the
    /// bounds, so that capacity's demand need not find them again.
    pub(crate) fn first_pass_marginals(&self) -> Option<&[(ServiceId, f64)]> {
        self.bounds.is_some().then_some(self.marginals.as_slice())
    }

    /// For an evaluator made by [`Engine::evaluator_bounded`]: whether the
    /// last customer's offers are those any allocation gives it (no limited
    /// candidate, or every one refused by the bounds). Without bounds: true.
    pub(crate) fn offers_are_final(&self) -> bool {
        !self.limited_candidate || self.bounded_final
    }

    /// With an allocation: what the limited services the last customer got
    /// add to its total expected gain (before stacking), over its
    /// arbitration without any limited service.
    pub fn limited_gain(&self) -> f64 {
        self.limited_gain
    }

    /// Services the last customer got in place of limited services the
    /// allocation refused it: offers its arbitration without capacity would
    /// not have kept.
    pub fn replaced(&self) -> &[ServiceId] {
        &self.replaced
    }

    /// Per dimension of the satisfaction model, the last customer's perception
    /// (when known) and the points its offers close on it.
    pub(crate) fn dimension_points<'a>(
        &'a self,
        customer: &'a Customer,
    ) -> Option<impl Iterator<Item = crate::engine::gain::DimensionPoint> + 'a> {
        let model = self.engine.compiled_model.as_ref()?;
        Some(model.dimension_points(&customer.values, &self.remaining))
    }

    /// Segments the last customer was in, in the order they were visited.
    pub fn memberships(&self) -> &[SegmentId] {
        &self.members
    }

    /// Rules whose segment, profile and condition held for the last customer.
    pub fn fired_rules(&self) -> &[RuleId] {
        &self.fired
    }

    /// Services whose winning offer was dropped for the last customer (suppressed,
    /// or its gain needed a value the customer lacks), with the winning rule.
    pub fn blocked(&self) -> &[(ServiceId, RuleId)] {
        &self.blocked
    }

    /// The offers of the last customer.
    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    /// Winning offers of the last customer that did not make the final list.
    pub(crate) fn dropped(&self) -> &[Dropped] {
        &self.dropped
    }

    /// Whether a profile held for the last customer. Profiles are evaluated
    /// for every rule of every segment the customer is in, so this is known
    /// for every rule the funnel looks at.
    pub(crate) fn profile_held(&self, profile: ProfileId) -> bool {
        self.profile_cache.get(profile.index()) == Some(&(self.customer << 2 | 1))
    }
}

/// Sorts a customer's offers in place. They are few (one per service that
/// won a rule), and no two compare equal (ties end at the service), so a
/// plain insertion sort gives the one possible order; written out, it stays
/// inlined here whatever the library's sort chooses for its small-slice path.
///
/// The offer being placed is held aside and the greater ones shift up one
/// place each, written once, instead of being swapped down step by step
/// (a swap reads and writes both offers): the same comparisons in the same
/// order, about a third fewer loads and stores.
#[inline]
fn insertion_sort(offers: &mut [Offer], order: impl Fn(&Offer, &Offer) -> std::cmp::Ordering) {
    for i in 1..offers.len() {
        let placed = offers[i];
        let mut j = i;
        while j > 0 && order(&offers[j - 1], &placed) == std::cmp::Ordering::Greater {
            offers[j] = offers[j - 1];
            j -= 1;
        }
        offers[j] = placed;
    }
}

/// A profile's result as the cache keeps it.
#[inline(always)]
fn tri_code(result: Tri) -> u32 {
    match result {
        Tri::False => 0,
        Tri::True => 1,
        Tri::Unknown => 2,
    }
}

#[inline]
fn set_bit(bits: &mut [u64], pos: u32) {
    if let Some(word) = bits.get_mut((pos / 64) as usize) {
        *word |= 1u64 << (pos % 64);
    }
}

#[cfg(all(test, feature = "scripts"))]
mod tests {
    use crate::engine::Engine;

    const CATALOG: &str = r#"
package: shared
services:
  - { id: s, name: S, category: convenience, stage: in_sale, channel: online, participation: passive, default_gain: 1 }
customer:
  attributes:
    - { name: n, type: number }
"#;

    const RULES: &str = "segment everyone { when true }
rule tiers for everyone {
  offer s
  gain script { if n >= 10 { 4.0 } else if n >= 0 { 2.0 } else { n / 0.0 } }
}
";

    #[test]
    fn evaluators_read_the_script_results_another_one_kept() {
        let engine = match Engine::from_sources(CATALOG, &[("rules.vas", RULES)]) {
            Ok(engine) => engine,
            Err(e) => panic!("{e}"),
        };
        let customer = |n: f64| engine.customer().set("n", n).build().expect("a customer");
        let gain = |evaluator: &mut super::Evaluator<'_>, n: f64| {
            let offers = evaluator.evaluate(&customer(n)).map(<[_]>::to_vec);
            offers.map(|offers| offers.first().map(|o| o.gain))
        };

        let mut first = engine.evaluator();
        assert_eq!(gain(&mut first, 12.0).ok(), Some(Some(4.0)));
        assert_eq!(first.script_cache.runs(), 1);
        // A new evaluator (a request of `vasrec serve`) runs nothing the
        // first one ran, and gets the same result.
        let mut second = engine.evaluator();
        assert_eq!(gain(&mut second, 12.0).ok(), Some(Some(4.0)));
        assert_eq!(second.script_cache.runs(), 0);
        // Read from the shared results, not kept: no table of its own yet.
        assert_eq!(second.script_cache.slots(), 0);
        assert_eq!(gain(&mut second, 3.0).ok(), Some(Some(2.0)));
        assert_eq!(second.script_cache.runs(), 1);
        assert_eq!(gain(&mut first, 3.0).ok(), Some(Some(2.0)));
        assert_eq!(first.script_cache.runs(), 1);
        // A failure (an infinite gain) is not kept: each evaluator meets it.
        assert!(gain(&mut first, -1.0).is_err());
        assert!(gain(&mut second, -1.0).is_err());
        assert_eq!(second.script_cache.runs(), 2);
        assert_eq!(engine.checked.scripts.shared_results().len(), 2);
        // An evaluator asked often keeps the results in its own table.
        let mut third = engine.evaluator();
        for _ in 0..crate::lang::script::LOCAL_AFTER {
            assert_eq!(gain(&mut third, 12.0).ok(), Some(Some(4.0)));
            assert_eq!(third.script_cache.slots(), 0);
        }
        assert_eq!(gain(&mut third, 12.0).ok(), Some(Some(4.0)));
        assert!(third.script_cache.slots() > 0);
        assert_eq!(third.script_cache.runs(), 0);
    }
}
