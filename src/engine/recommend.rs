//! Offers with names: what an application shows a person or hands to
//! another program.
//!
//! In: an [`Offer`] (ids and a gain, as the evaluator makes it) and the
//! engine that made it. Out: a [`Recommendation`], the same offer with the
//! service's catalog entry, the rule's name and reason and the segment's name
//! borrowed from the engine.
//!
//! [`Offer`] stays four numbers and `Copy` on purpose: the evaluator's hot
//! loop writes one per offered service into a reused buffer and allocates
//! nothing, and a name inside it would cost an allocation or a reference
//! count per offer on the path a benchmark guards. Names are looked up here,
//! after evaluating, only for the offers an application actually reads.

use crate::base::number::round4;
use crate::engine::Engine;
use crate::engine::eval::Evaluator;
use crate::engine::offer::{EvalError, Offer};
use crate::package::catalog::Service;
use crate::package::customer::Customer;
use serde::ser::{Serialize, Serializer};

/// One offer with its names: the service's catalog entry, the rule that
/// made it and why, and the rule's segment, all borrowed from the engine.
///
/// Made by [`Engine::recommend`], [`Offer::named`] and
/// [`Evaluator::recommendations`]. It serialises to the object
/// [`Engine::evaluate_json`] documents:
/// `{"service", "name", "gain", "rule", "reason", "segment"}`, with the gain
/// rounded to four decimals.
///
/// ```
/// let engine = vasrec::Engine::load("rules")?;
/// let customer = engine
///     .customer()
///     .set("customer_id", "C-1")
///     .set("tenure_months", 30)
///     .set("monthly_charges", 95.5)
///     .set("contract", "Month-to-month")
///     .build()?;
/// for recommendation in engine.recommend(&customer)? {
///     println!(
///         "{} ({}) +{:.2} by rule {}",
///         recommendation.service.name,
///         recommendation.service.id,
///         recommendation.gain,
///         recommendation.rule,
///     );
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Recommendation<'e> {
    /// The offer as the evaluator made it: the service, rule and segment ids
    /// (for tables keyed by id) and the gain.
    pub offer: Offer,
    /// The offered service's catalog entry: `id` as rules write it (e.g.
    /// `priority_support`), `name` as people read it, `cost`, `category`...
    pub service: &'e Service,
    /// Expected satisfaction gain, on the catalog's scale (`offer.gain`).
    pub gain: f64,
    /// The name of the rule that made the offer.
    pub rule: &'e str,
    /// That rule's `because` text, if it has one.
    pub reason: Option<&'e str>,
    /// The name of the rule's segment.
    pub segment: &'e str,
}

impl Offer {
    /// This offer with its names, looked up in the engine that made it.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customer = engine
    ///     .customer()
    ///     .set("customer_id", "C-1")
    ///     .set("tenure_months", 3)
    ///     .set("monthly_charges", 70)
    ///     .build()?;
    /// let mut evaluator = engine.evaluator();
    /// for offer in evaluator.evaluate(&customer)? {
    ///     let named = offer.named(&engine);
    ///     assert_eq!(named.service.id, engine.service(offer.service).id);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Panics
    /// When the offer came from another engine with fewer services or rules
    /// (see [`Engine::service`]).
    #[track_caller]
    pub fn named(self, engine: &Engine) -> Recommendation<'_> {
        Recommendation {
            offer: self,
            service: engine.service(self.service),
            gain: self.gain,
            rule: engine.rule_name(self.rule),
            reason: engine.rule_reason(self.rule),
            segment: engine.segment_name(self.segment),
        }
    }
}

impl Engine {
    /// Evaluates one customer and names its offers, best first: the call
    /// for an application that shows or sends the result. It allocates an
    /// evaluator and a list per call; for many customers, reuse an
    /// [`Engine::evaluator`] and name offers with
    /// [`Evaluator::recommendations`].
    ///
    /// Like [`Engine::evaluate`], it sees one customer, so a service with a
    /// `capacity` is offered to everyone who qualifies (see
    /// [`crate::capacity`] for giving it to the best).
    ///
    /// ```
    /// use vasrec::Engine;
    ///
    /// let catalog = r#"
    /// package: demo
    /// services:
    ///   - { id: priority_support, name: Priority support, category: technical_support,
    ///       stage: after_sale, channel: omni, participation: passive, cost: 12 }
    /// customer:
    ///   attributes:
    ///     - { name: tenure_months, type: number, required: true }
    /// "#;
    /// let rules = r#"
    /// segment new_customer { when tenure_months < 6 }
    /// rule welcome for new_customer { offer priority_support gain 2.5 because "New customers" }
    /// "#;
    /// let engine = Engine::from_sources(catalog, &[("rules.vas", rules)])?;
    /// let customer = engine.customer().set("tenure_months", 3).build()?;
    /// let offers = engine.recommend(&customer)?;
    /// assert_eq!(offers[0].service.id, "priority_support");
    /// assert_eq!(offers[0].service.name, "Priority support");
    /// assert_eq!(offers[0].rule, "welcome");
    /// assert_eq!(offers[0].reason, Some("New customers"));
    /// assert_eq!(offers[0].gain, 2.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recommend(&self, customer: &Customer) -> Result<Vec<Recommendation<'_>>, EvalError> {
        let mut evaluator = self.evaluator();
        evaluator.evaluate(customer)?;
        Ok(evaluator.recommendations().collect())
    }
}

impl<'e> Evaluator<'e> {
    /// The last customer's offers with their names, best first (see
    /// [`Offer::named`]), once [`Evaluator::evaluate`] returned them.
    /// Naming allocates nothing; collecting them does.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let mut evaluator = engine.evaluator();
    /// for months in [3, 30] {
    ///     let customer = engine
    ///         .customer()
    ///         .set("customer_id", "C-1")
    ///         .set("tenure_months", months)
    ///         .set("monthly_charges", 70)
    ///         .build()?;
    ///     evaluator.evaluate(&customer)?;
    ///     for recommendation in evaluator.recommendations() {
    ///         println!("{months}: {}", recommendation.service.name);
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recommendations(&self) -> impl ExactSizeIterator<Item = Recommendation<'e>> + '_ {
        let engine = self.engine();
        self.offers().iter().map(move |offer| offer.named(engine))
    }
}

impl Recommendation<'_> {
    /// This recommendation as the JSON object [`Engine::evaluate_json`]
    /// documents: `{"service", "name", "gain", "rule", "reason", "segment"}`.
    ///
    /// Names, not ids (ids are positions that change when the package
    /// does), and the gain rounded to four decimals, without the float
    /// noise of its arithmetic (`1.7532`, not `1.7531999999999999`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        let text = |s: &str| Value::String(s.to_string());
        let mut object = serde_json::Map::with_capacity(6);
        object.insert("service".into(), text(&self.service.id));
        object.insert("name".into(), text(&self.service.name));
        // Gains are finite (the evaluator refuses others); null otherwise.
        let gain =
            serde_json::Number::from_f64(round4(self.gain)).map_or(Value::Null, Value::Number);
        object.insert("gain".into(), gain);
        object.insert("rule".into(), text(self.rule));
        object.insert("reason".into(), self.reason.map_or(Value::Null, text));
        object.insert("segment".into(), text(self.segment));
        Value::Object(object)
    }
}

/// The shape of [`Recommendation::to_json`], for other serde formats.
impl Serialize for Recommendation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
