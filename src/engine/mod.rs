//! The compiled product: the immutable [`Engine`], the loader that builds
//! it from a package folder, the compiler from checked IR to flat records,
//! the evaluator, arbitration and derived gains, offers named for people
//! and JSON, and live reloading.

pub mod allocation;
pub(crate) mod arbitrate;
pub(crate) mod atoms;
pub(crate) mod compile;
pub mod eval;
pub(crate) mod gain;
pub(crate) mod json;
pub(crate) mod live;
pub(crate) mod load;
pub(crate) mod load_error;
pub(crate) mod lower;
pub mod offer;
pub(crate) mod program;
pub(crate) mod rank;
pub(crate) mod recommend;
pub(crate) mod replace;

use crate::base::diagnostic::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::program::{Cond, Num};
use crate::lang::ir::{CheckedPackage, ProfileId, RuleId, SegmentId, ServiceId};
use crate::lang::syntax::ast::ActionKind;
use crate::package::catalog::{Catalog, Service};
use crate::package::customer::{Customer, Value};
use crate::package::schema::Schema;

/// A compiled rule package: immutable, shared freely between threads. (The
/// one thing it keeps is what its scripts returned for inputs already seen,
/// which every evaluator may read: scripts have no state, so this changes
/// no result, only how often rhai runs.)
///
/// Build one with [`Engine::load`] or [`Engine::from_sources`], then evaluate
/// customers with [`Engine::recommend`] (named offers),
/// [`Engine::evaluate_json`] (JSON in and out) or, for many customers, one
/// [`Engine::evaluator`] per thread.
///
/// ```
/// use std::sync::Arc;
///
/// let engine = Arc::new(vasrec::Engine::load("rules")?);
/// let worker = {
///     let engine = Arc::clone(&engine);
///     std::thread::spawn(move || {
///         let customer = serde_json::json!({"customerID": "C-1", "tenure": 3, "MonthlyCharges": 70});
///         engine.evaluate_json(&customer).map(|answer| answer["offers"].clone())
///     })
/// };
/// let offers = worker.join().expect("the worker does not panic")?;
/// assert!(offers.is_array());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Engine {
    catalog: Catalog,
    schema: Schema,
    sources: SourceMap,
    checked: CheckedPackage,
    warnings: Vec<Diagnostic>,
    root: Option<std::path::PathBuf>,
    /// Segments in topological order; a segment's position is its index here.
    segments: Vec<CompiledSegment>,
    /// Positions of segments without parents.
    roots: Vec<u32>,
    profiles: Vec<Cond>,
    rules: Vec<CompiledRule>,
    /// Offer rules by their place in the conflict order (place 1 at index 0).
    by_order: Vec<Winner>,
    /// The satisfaction model, when the catalog declares dimensions.
    model: Option<crate::model::Model>,
    compiled_model: Option<crate::engine::gain::CompiledModel>,
    arbitration: crate::engine::arbitrate::Arbitration,
    /// The order of offers across services, and the rounding of gains.
    ranking: crate::engine::rank::Ranking,
    /// Per segment id, its position in `segments`.
    positions: Vec<u32>,
    /// Whether any condition or gain is a script.
    has_scripts: bool,
    /// Whether every profile is tested for every customer up front (few
    /// profiles, none with a script) instead of when a rule first asks.
    eager_profiles: bool,
    /// Per script: what it belongs to (`rule`, `segment`, `profile`), its
    /// name, and the rule id when it is a rule's.
    script_owners: Vec<ScriptOwner>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
};

/// What a script belongs to (`rule`, `segment`, `profile`), its name, and
/// the rule's id when it is a rule's.
pub(crate) type ScriptOwner = (&'static str, String, Option<RuleId>);

#[derive(Debug)]
pub(crate) struct CompiledSegment {
    pub id: SegmentId,
    pub predicate: Cond,
    /// Positions of parents; only checked for segments with several.
    pub parents: Box<[u32]>,
    /// Positions of children, as the words of the evaluator's queue they
    /// sit in and their bits in each: a segment queues its children with
    /// one OR per word.
    pub child_words: Box<[(u32, u64)]>,
    /// Rules for this segment, in file order, as the evaluator reads them:
    /// side by side in memory.
    pub tests: Box<[SegmentRule]>,
    /// The distinct tests of the rules' conditions, when the segment has
    /// enough rules to share them (see `atoms`).
    pub atoms: Option<Box<crate::engine::atoms::AtomTable>>,
}

/// What the evaluator needs of a rule while it visits the rule's segment,
/// kept small and next to the segment's other rules.
#[derive(Debug)]
pub(crate) struct SegmentRule {
    pub id: RuleId,
    /// The profile the rule asks for, if any.
    pub profile: Option<ProfileId>,
    pub service: ServiceId,
    /// Place in the conflict order (higher wins), from 1; 0 for a suppression.
    pub order: u32,
    pub when: Cond,
    /// `when` read from the segment's atoms, when it has no script and the
    /// segment shares its atoms.
    pub atoms: Option<crate::engine::atoms::AtomTest>,
}

impl SegmentRule {
    /// Whether the rule offers its service (it suppresses it otherwise).
    pub(crate) fn offers(&self) -> bool {
        self.order != 0
    }
}

/// What the evaluator needs of an offer rule once it has won its service:
/// one compact record, found by the rule's place in the conflict order.
#[derive(Debug)]
pub(crate) struct Winner {
    pub rule: RuleId,
    pub segment: SegmentId,
    /// Whether the gain reads `derived`.
    pub uses_derived: bool,
    pub gain: Num,
}

/// What is looked up by rule id after compiling (the funnel, ties between
/// offers); conditions and gains live in [`SegmentRule`] and [`Winner`].
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub profile: Option<ProfileId>,
    pub action: ActionKind,
    pub service: ServiceId,
    pub priority: i64,
    /// Whether the gain reads `derived`, so it must be computed first.
    pub uses_derived: bool,
}

impl Engine {
    /// The checked package (segments, rules, profiles with their spans), for
    /// the analyses that explain a result in the terms it was written in.
    pub(crate) fn checked(&self) -> &CheckedPackage {
        &self.checked
    }

    /// The customer schema: attribute slots, symbols, input columns.
    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The satisfaction model resolved to slots, for derived gains.
    pub(crate) fn compiled_model(&self) -> Option<&crate::engine::gain::CompiledModel> {
        self.compiled_model.as_ref()
    }

    /// The arbitration settings (limits, groups, channel fit).
    pub(crate) fn arbitration(&self) -> &crate::engine::arbitrate::Arbitration {
        &self.arbitration
    }

    /// What is looked up by rule id after compiling, in rule id order.
    pub(crate) fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The catalog the package was built from.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The satisfaction model (dimensions, weights, AHP figures), when declared.
    pub fn model(&self) -> Option<&crate::model::Model> {
        self.model.as_ref()
    }

    /// Warnings found while checking (unused segments, shadowed rules...).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The package's source files, for rendering diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// FNV-1a over every source file of the package (name, length, text), in
    /// the engine's order, as `fnv1a64:` and 16 hex digits: the same files
    /// give the same hash on any machine. It identifies a package version
    /// (partial reports of two versions refuse to merge); it is not a
    /// cryptographic digest.
    pub fn content_hash(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for byte in bytes {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for (_, file) in self.sources.iter() {
            feed(file.name.as_bytes());
            feed(&(file.text.len() as u64).to_le_bytes());
            feed(file.text.as_bytes());
        }
        format!("fnv1a64:{hash:016x}")
    }

    /// The folder the package was loaded from, if any.
    pub fn root(&self) -> Option<&std::path::Path> {
        self.root.as_deref()
    }

    /// Number of segments, rules and profiles.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.checked.segments.len(),
            self.checked.rules.len(),
            self.checked.profiles.len(),
        )
    }

    /// Every rule's id, in file order.
    pub fn rule_ids(&self) -> impl ExactSizeIterator<Item = RuleId> + use<> {
        (0..self.checked.rules.len()).map(RuleId::new)
    }

    /// Every segment's id, in declaration order.
    pub fn segment_ids(&self) -> impl ExactSizeIterator<Item = SegmentId> + use<> {
        (0..self.checked.segments.len()).map(SegmentId::new)
    }

    /// Every service's id, in catalog order.
    pub fn service_ids(&self) -> impl ExactSizeIterator<Item = ServiceId> + use<> {
        (0..self.catalog.services.len()).map(ServiceId::new)
    }

    /// The catalog entry of a service, by an id this engine gave out (in an
    /// [`Offer`](crate::engine::offer::Offer), from [`Engine::service_ids`] or
    /// [`Engine::rule_service`]). Ids are dense indexes into this engine's
    /// tables and only an engine makes them, so the lookup cannot miss and
    /// callers need no `Option`; `engine[id]` does the same.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// for id in engine.service_ids() {
    ///     assert_eq!(engine.service(id).id, engine[id].id);
    /// }
    /// # Ok::<(), vasrec::LoadError>(())
    /// ```
    ///
    /// # Panics
    /// When `id` came from another engine with more services (the same
    /// programming error as indexing a `Vec` out of range, never a matter of
    /// customer or package data). Use [`Engine::get_service`] for ids that
    /// may come from another engine, e.g. while comparing two packages.
    #[track_caller]
    pub fn service(&self, id: ServiceId) -> &Service {
        match self.catalog.services.get(id.index()) {
            Some(service) => service,
            None => foreign_id("ServiceId", id.index(), self.catalog.services.len()),
        }
    }

    /// A service by an id that may come from another engine: `None` when it
    /// is out of this engine's range (like `slice::get`). An id this engine
    /// gave out is always found; [`Engine::service`] spares the `Option`.
    pub fn get_service(&self, id: ServiceId) -> Option<&Service> {
        self.catalog.services.get(id.index())
    }

    /// A segment's name.
    pub fn segment_name(&self, id: SegmentId) -> &str {
        self.checked
            .segments
            .get(id.index())
            .map_or("", |s| s.name.as_str())
    }

    /// A segment's display label, falling back to its name.
    pub fn segment_label(&self, id: SegmentId) -> &str {
        self.checked
            .segments
            .get(id.index())
            .map_or("", |s| s.label.as_deref().unwrap_or(&s.name))
    }

    /// Segment names from a root down to `id`, following each first parent.
    pub fn segment_path(&self, id: SegmentId) -> Vec<&str> {
        self.segment_path_ids(id)
            .into_iter()
            .map(|s| self.segment_name(s))
            .collect()
    }

    /// Segments from a root down to `id`, following each first parent (a
    /// segment with several parents also needs the others). The one walk
    /// up the graph that paths in reports, records and funnels share.
    pub fn segment_path_ids(&self, id: SegmentId) -> Vec<SegmentId> {
        let segments = &self.checked.segments;
        let mut path = Vec::new();
        let mut current = segments.get(id.index()).map(|_| id);
        while let Some(c) = current {
            path.push(c);
            // A checked graph has no cycle; the bound only keeps a broken
            // one from looping.
            if path.len() > segments.len() {
                break;
            }
            current = segments
                .get(c.index())
                .and_then(|s| s.parents.first().copied());
        }
        path.reverse();
        path
    }

    /// Segment depth in the graph (0 for roots).
    pub fn segment_depth(&self, id: SegmentId) -> u32 {
        self.checked
            .graph
            .depth
            .get(id.index())
            .copied()
            .unwrap_or(0)
    }

    /// The error of a failed script, naming what it belongs to.
    pub(crate) fn script_error(
        &self,
        script: u32,
        message: String,
    ) -> crate::engine::offer::EvalError {
        let (owner, name, rule) = self.script_owners.get(script as usize).cloned().unwrap_or((
            "rule",
            String::new(),
            None,
        ));
        crate::engine::offer::EvalError {
            rule,
            rule_name: name,
            kind: crate::engine::offer::EvalErrorKind::Script { owner, message },
        }
    }

    /// The rules written for a segment, in file order.
    pub(crate) fn rules_for(&self, id: SegmentId) -> &[SegmentRule] {
        self.positions
            .get(id.index())
            .and_then(|&pos| self.segments.get(pos as usize))
            .map_or(&[], |s| &s.tests)
    }

    /// A rule's name.
    pub fn rule_name(&self, id: RuleId) -> &str {
        self.checked
            .rules
            .get(id.index())
            .map_or("", |r| r.name.as_str())
    }

    /// A rule's `because` text, if it has one.
    pub fn rule_reason(&self, id: RuleId) -> Option<&str> {
        self.checked
            .rules
            .get(id.index())
            .and_then(|r| r.because.as_deref())
    }

    /// Whether a rule offers (true) or suppresses (false).
    pub fn rule_offers(&self, id: RuleId) -> bool {
        self.checked
            .rules
            .get(id.index())
            .is_some_and(|r| r.action == ActionKind::Offer)
    }

    /// The segment a rule is for.
    ///
    /// # Panics
    /// When `id` was issued by another engine with more rules (ids index
    /// this engine's rules), as [`Engine::service`] does.
    #[track_caller]
    pub fn rule_segment(&self, id: RuleId) -> SegmentId {
        match self.checked.rules.get(id.index()) {
            Some(rule) => rule.segment,
            None => foreign_id("RuleId", id.index(), self.checked.rules.len()),
        }
    }

    /// The service a rule offers or suppresses.
    ///
    /// # Panics
    /// When `id` was issued by another engine with more rules (ids index
    /// this engine's rules), as [`Engine::service`] does.
    #[track_caller]
    pub fn rule_service(&self, id: RuleId) -> ServiceId {
        match self.checked.rules.get(id.index()) {
            Some(rule) => rule.service,
            None => foreign_id("RuleId", id.index(), self.checked.rules.len()),
        }
    }

    /// Where a rule was written, as `file:line:col`.
    pub fn rule_location(&self, id: RuleId) -> String {
        let Some(rule) = self.checked.rules.get(id.index()) else {
            return String::new();
        };
        // A row read from a spreadsheet is its row there (`offers.csv:7`).
        self.sources
            .get(rule.name_span.file)
            .map_or(String::new(), |f| f.place(rule.name_span.start))
    }
}

impl Engine {
    /// For a rule that is a row read from a spreadsheet, its row there
    /// (`offers.csv:3`, `offers.xlsx:Grid!3:3`); None for a rule written
    /// in a rule file, whose name already says where it is.
    pub fn rule_sheet_row(&self, id: RuleId) -> Option<String> {
        let rule = self.checked.rules.get(id.index())?;
        let file = self.sources.get(rule.name_span.file)?;
        file.grid.as_ref()?;
        Some(file.place(rule.name_span.start))
    }
}

impl Engine {
    /// Starts building a customer by attribute name (`pref.NAME` for a
    /// preference), with values typed as Rust values; each is checked
    /// against the schema, and [`build`](crate::CustomerBuilder::build)
    /// reports the first that does not fit or a required one left out.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customer = engine
    ///     .customer()
    ///     .set("customer_id", "C-1")
    ///     .set("tenure_months", 30)
    ///     .set("monthly_charges", 95.5)
    ///     .set("contract", "Month-to-month")
    ///     .set("pref.personalization", 0.9)
    ///     .build()?;
    /// assert_eq!(engine.customer_id(&customer).as_deref(), Some("C-1"));
    ///
    /// let typo = engine.customer().set("contract", "Monthly").build().unwrap_err();
    /// assert_eq!(typo.field, "contract");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn customer(&self) -> crate::package::customer::CustomerBuilder<'_> {
        crate::package::customer::CustomerBuilder::new(&self.schema)
    }

    /// Builds a customer from text values keyed by input column (or attribute
    /// name, or `pref.NAME`), e.g. a `HashMap<String, String>` from a request.
    /// Texts are read as the schema says (numbers, yes/no, categories); keys
    /// the schema does not know are ignored.
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// let engine = vasrec::Engine::load("rules")?;
    /// let form = HashMap::from([
    ///     ("customerID", "C-1"),
    ///     ("tenure", "3"),
    ///     ("MonthlyCharges", "70.35"),
    ///     ("utm_source", "newsletter"), // not in the schema: ignored
    /// ]);
    /// let customer = engine.customer_from_map(form)?;
    /// assert_eq!(engine.customer_id(&customer).as_deref(), Some("C-1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn customer_from_map<K, V>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Customer, crate::package::customer::FieldError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let object: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| {
                (
                    k.as_ref().to_string(),
                    serde_json::Value::String(v.as_ref().to_string()),
                )
            })
            .collect();
        self.customer_from_json(&serde_json::Value::Object(object))
    }

    /// Builds a customer from a JSON object keyed by input column (or attribute name).
    /// [`Engine::evaluate_json`] does this and the evaluation in one call.
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customer = engine.customer_from_json(&serde_json::json!({
    ///     "customerID": "C-1",
    ///     "tenure_months": 3,          // an attribute's name works as well as its column
    ///     "MonthlyCharges": "70.35",   // numbers may come as texts
    ///     "pref.personalization": 0.9,
    /// }))?;
    /// assert_eq!(engine.customer_id(&customer).as_deref(), Some("C-1"));
    /// let offers = engine.recommend(&customer)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn customer_from_json(
        &self,
        object: &serde_json::Value,
    ) -> Result<Customer, crate::package::customer::FieldError> {
        crate::package::customer::from_json_object(&self.schema, object)
    }
}

impl Engine {
    /// The customer's id (the catalog's `customer.id` attribute), if it has one.
    pub fn customer_id(&self, customer: &Customer) -> Option<String> {
        let slot = self.schema.id_slot?;
        match customer.get(slot) {
            Value::Missing => None,
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Text(symbol) => Some(customer.text(&self.schema, symbol).to_string()),
        }
    }
}

/// `engine[id]` is [`Engine::service`]: the catalog entry of a service this
/// engine gave the id of, and the same panic for an id of another engine.
impl std::ops::Index<ServiceId> for Engine {
    type Output = Service;

    #[track_caller]
    fn index(&self, id: ServiceId) -> &Service {
        self.service(id)
    }
}

/// The panic of a lookup by an id that another engine gave out: a
/// programming error (ids are dense indexes that only an engine makes, so
/// no package or customer can cause it), reported like a `Vec` index out of
/// range but naming the mistake.
#[cold]
#[track_caller]
#[allow(clippy::panic)]
fn foreign_id(kind: &str, index: usize, len: usize) -> ! {
    panic!(
        "{kind}({index}) was not issued by this engine, which has {len} of them; \
         ids index one engine's tables (use `Engine::get_service` for ids that may come from another engine)"
    )
}

/// Short on purpose: `{:?}` of an engine (in a `dbg!`, a panic message or a
/// struct that holds one) names the package and its size instead of
/// printing every source file and compiled table.
impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (segments, rules, profiles) = self.counts();
        f.debug_struct("Engine")
            .field("package", &self.catalog.package)
            .field("root", &self.root)
            .field("services", &self.catalog.services.len())
            .field("segments", &segments)
            .field("rules", &rules)
            .field("profiles", &profiles)
            .field("warnings", &self.warnings.len())
            .finish()
    }
}

const _: () = assert!(
    size_of::<Cond>() <= 24,
    "a condition node fits in 24 bytes (box the operands of rare nodes)"
);
