//! rhai scripts in rules: the escape hatch for what the rule language cannot
//! say (a tiered formula, a loop, a lookup table).
//!
//! Scripts are compiled once, when the package loads, and run per customer
//! in a sandbox: no file, network, process or module access, no `eval`, no
//! printing, no `sleep`, and limits on operations, wall-clock time per run,
//! call depth, expression depth and the size of strings, arrays and maps
//! (from the catalog's `scripts:`). A builtin call counts as one operation
//! whatever it costs; the clock bounds what those cost. A script
//! sees the customer's attributes and `pref` (the preferences, as a map)
//! read-only, `derived` in a gain, and the helpers `uses(service)`,
//! `clamp(x, lo, hi)`, `present(x)` and `value_or(x, default)`. A missing
//! value is `()`.
//!
//! Plain rule expressions never come here: only a `script` clause does.

use crate::package::catalog::ScriptLimits;
use crate::package::schema::Schema;

/// What a script reads of one customer: its values, its own texts, the
/// package's symbols and, in a gain, the derived gain. Nothing else of the
/// evaluator is visible to a script.
#[derive(Clone, Copy)]
pub(crate) struct ScriptInput<'a> {
    pub values: &'a [crate::package::customer::Value],
    /// The customer's own texts that are not package symbols.
    pub local_texts: &'a crate::package::customer::LocalTexts,
    pub symbols: &'a crate::package::schema::SymbolTable,
    /// The derived gain of the service whose gain is being computed.
    pub derived: f64,
}

/// What a script must return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    /// A condition: `true` or `false`.
    Bool,
    /// A gain: a finite number.
    Number,
}

/// Why a script would not compile, at a line and column of the script text
/// (both from 1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompileError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
}

/// What a script run came to, as kept in a [`ScriptCache`].
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Bool(bool),
    Number(f64),
    Failed(String),
}

/// Results of scripts by the values they read. Scripts cannot see the time,
/// draw random numbers or keep state between runs, so the same inputs give
/// the same result: a step function of tenure runs once per tenure value, not
/// once per customer. Lives in an evaluator (one per thread).
#[derive(Debug, Default)]
pub(crate) struct ScriptCache {
    per_script: Vec<Memo>,
}

/// Slots of one script's table of results at most (a power of two).
const SLOTS: usize = 1024;

/// Slots a table starts with: an evaluator made for one customer
/// (`Engine::evaluate`, a request of `vasrec serve`) sets up 1 KiB, not the
/// 72 KiB a full table takes.
const FIRST_SLOTS: usize = 16;

/// Results an evaluator reads from the package's shared ones before it
/// keeps them in a table of its own.
pub(crate) const LOCAL_AFTER: u32 = 4;

/// The most values a cached script may read; one reading more runs every
/// time (its inputs would hardly repeat anyway).
pub(crate) const KEY_VALUES: usize = 5;

/// The values one script run reads, packed in place: word 0 holds two bits
/// of kind per value (missing, number, yes/no, text), the others the values.
/// Fixed size, so a lookup compares a few words and never follows a pointer.
#[derive(Debug, Clone, Copy, Eq, Default)]
pub(crate) struct Key {
    words: [u64; KEY_VALUES + 1],
    len: u8,
}

impl PartialEq for Key {
    /// Every word compared without a branch: the derived comparison calls
    /// `bcmp` for the array, which costs more than the words themselves.
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        let differ = self
            .words
            .iter()
            .zip(&other.words)
            .fold(0, |acc, (a, b)| acc | (a ^ b));
        differ == 0 && self.len == other.len
    }
}

impl std::hash::Hash for Key {
    /// Every word, as `eq` compares them (the words past `len` are zero).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.words.hash(state);
        self.len.hash(state);
    }
}

impl Key {
    /// Adds one value of the given kind (0 missing, 1 number, 2 yes/no,
    /// 3 text); false when the key is full.
    #[inline]
    #[cfg_attr(not(feature = "scripts"), allow(dead_code))]
    pub(crate) fn push(&mut self, kind: u64, bits: u64) -> bool {
        let at = usize::from(self.len);
        let Some(word) = self.words.get_mut(at + 1) else {
            return false;
        };
        *word = bits;
        self.words[0] |= (kind & 3) << (2 * at);
        self.len += 1;
        true
    }

    /// Its home slot in a table of `slots` (a power of two): the words mixed
    /// by splitmix64's finaliser, so that every bit counts (numbers differ
    /// mostly in their high bits). A script's inputs are not chosen by an
    /// attacker: no defence against collisions is needed.
    #[inline]
    fn slot(&self, slots: usize) -> usize {
        let mut h = self.words[..=usize::from(self.len)]
            .iter()
            .fold(0x9E37_79B9_7F4A_7C15u64, |h, &w| h.rotate_left(23) ^ w);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
        h as usize & (slots - 1)
    }
}

/// A kept result. Failures are not kept: they are rare, and running the
/// script again gives the same failure.
#[derive(Debug, Clone, Copy, Default)]
enum Kept {
    #[default]
    Empty,
    Bool(bool),
    Number(f64),
}

/// One script's results, and whether keeping them pays. An open-addressing
/// table (linear probing) at most half full: a key is found in its home slot
/// or just after it, and no key evicts another, so an evaluator that has
/// seen every input once runs the script no more. It grows fourfold, its
/// results kept, up to [`SLOTS`]; full there, it starts over.
#[derive(Debug, Default)]
struct Memo {
    slots: Vec<(Key, Kept)>,
    /// Results kept.
    len: usize,
    hits: u32,
    misses: u32,
    /// Set when the inputs hardly repeat (a continuous value): looking up
    /// and storing would only add to every run.
    off: bool,
}

impl Memo {
    /// The slot holding `key`, or the empty slot where it would go.
    #[inline(always)]
    fn find(&self, key: &Key) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = key.slot(self.slots.len());
        // At most half full, so an empty slot ends every probe; the bound
        // only keeps a broken table from looping.
        for _ in 0..self.slots.len() {
            let (kept_key, kept) = self.slots.get(at)?;
            if matches!(kept, Kept::Empty) || kept_key == key {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Keeps a result; grows the table first when it would be over half full.
    fn insert(&mut self, key: Key, kept: Kept) {
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = (self.slots.len() * 4).clamp(FIRST_SLOTS, SLOTS);
            let old =
                std::mem::replace(&mut self.slots, vec![(Key::default(), Kept::Empty); grown]);
            self.len = 0;
            // Full at the largest size: start over rather than grow.
            if grown > old.len() {
                for (key, kept) in old {
                    if !matches!(kept, Kept::Empty) {
                        self.put(key, kept);
                    }
                }
            }
        }
        self.put(key, kept);
    }

    fn put(&mut self, key: Key, kept: Kept) {
        if let Some(at) = self.find(&key)
            && let Some(slot) = self.slots.get_mut(at)
        {
            if matches!(slot.1, Kept::Empty) {
                self.len += 1;
            }
            *slot = (key, kept);
        }
    }
}

/// Results kept for every evaluator of a package at most: enough for a step
/// function of tenure in each of a package's scripts, and a bound on what
/// customers' values can make the package hold.
const SHARED_RESULTS: usize = 4096;

/// Script results shared by every evaluator of one package, on every thread.
/// An evaluator made for one customer (`Engine::evaluate`, a request of
/// `vasrec serve`, the Python `evaluate`) starts with an empty
/// [`ScriptCache`]: without these it ran each script of each customer in
/// rhai, some thousands of instructions, where a kept result is read in a
/// few hundred. Consulted only when an evaluator's own table misses, so the
/// lock is taken rarely; the map's hash is seeded at random (foldhash's
/// quality hasher: SipHash cost 400 instructions a lookup), so values
/// chosen by a hostile file cannot make it slow, and it holds
/// [`SHARED_RESULTS`] at most, after which it only serves what it holds.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "scripts"), allow(dead_code))]
pub(crate) struct SharedResults {
    kept: std::sync::RwLock<
        std::collections::HashMap<(u32, Key), Kept, foldhash::quality::RandomState>,
    >,
}

#[cfg_attr(not(feature = "scripts"), allow(dead_code))]
impl SharedResults {
    /// The result another evaluator kept for script `id` on these inputs.
    fn get(&self, id: u32, key: &Key) -> Option<Kept> {
        let kept = self.kept.read().ok()?;
        kept.get(&(id, *key)).copied()
    }

    /// Keeps a result for every evaluator, while there is room. Full, it
    /// takes only the read lock: inputs that never repeat (a hostile file,
    /// a continuous value) must not make every evaluator queue for the
    /// write lock.
    fn put(&self, id: u32, key: Key, result: Kept) {
        if self
            .kept
            .read()
            .map_or(true, |kept| kept.len() >= SHARED_RESULTS)
        {
            return;
        }
        if let Ok(mut kept) = self.kept.write()
            && kept.len() < SHARED_RESULTS
        {
            kept.insert((id, key), result);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.kept.read().map_or(0, |kept| kept.len())
    }
}

/// What [`ScriptCache::lookup`] found for a script's inputs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup {
    Bool(bool),
    Number(f64),
    /// Not kept: run the script, then [`ScriptCache::keep`] the outcome under
    /// this key (None: its results are not kept).
    Miss(Option<Key>),
}

impl ScriptCache {
    /// The kept outcome of script `id` for the inputs in `cx`, or the key to
    /// keep the outcome of a run under. Split from [`ScriptCache::keep`] so
    /// that a hit, by far the commonest case, runs no script machinery.
    ///
    /// Inlined into its two callers (a condition and a gain), which are out
    /// of line themselves: as a call of its own, a hit cost 183 instructions
    /// instead of 157.
    #[inline(always)]
    pub(crate) fn lookup(&mut self, scripts: &Scripts, id: u32, cx: &ScriptInput<'_>) -> Lookup {
        let index = id as usize;
        if self.per_script.len() <= index {
            self.add_scripts(index + 1);
        }
        let Some(memo) = self.per_script.get_mut(index) else {
            return Lookup::Miss(None);
        };
        if memo.off {
            return Lookup::Miss(None);
        }
        let Some(key) = scripts.cache_key(id, cx) else {
            return Lookup::Miss(None);
        };
        if let Some(at) = memo.find(&key)
            && let Some((_, kept)) = memo.slots.get(at)
        {
            match *kept {
                Kept::Bool(b) => {
                    memo.hits = memo.hits.saturating_add(1);
                    return Lookup::Bool(b);
                }
                Kept::Number(n) => {
                    memo.hits = memo.hits.saturating_add(1);
                    return Lookup::Number(n);
                }
                Kept::Empty => {}
            }
        }
        if let Some(kept) = Self::from_shared(memo, scripts, id, key) {
            return kept;
        }
        memo.misses = memo.misses.saturating_add(1);
        if memo.misses >= 512 && memo.misses > memo.hits {
            memo.off = true;
            memo.slots = Vec::new();
            memo.len = 0;
            return Lookup::Miss(None);
        }
        Lookup::Miss(Some(key))
    }

    /// The result another evaluator of the package kept for these inputs,
    /// copied into this evaluator's table. Out of line: it is asked only
    /// when the table misses.
    #[inline(never)]
    fn from_shared(memo: &mut Memo, scripts: &Scripts, id: u32, key: Key) -> Option<Lookup> {
        let kept = scripts.shared_results().get(id, &key)?;
        let found = match kept {
            Kept::Bool(b) => Lookup::Bool(b),
            Kept::Number(n) => Lookup::Number(n),
            Kept::Empty => return None,
        };
        memo.hits = memo.hits.saturating_add(1);
        // An evaluator made for one customer reads each result once: its
        // own table (1 KiB to set up) pays only once it has been asked a few
        // times, or exists already.
        if !memo.slots.is_empty() || memo.hits > LOCAL_AFTER {
            memo.insert(key, kept);
        }
        Some(found)
    }

    /// How many times this evaluator had to run a script whose result it
    /// could keep: found neither in its table nor in the package's.
    #[cfg(test)]
    pub(crate) fn runs(&self) -> u32 {
        self.per_script.iter().map(|memo| memo.misses).sum()
    }

    /// Slots of this evaluator's own tables.
    #[cfg(test)]
    pub(crate) fn slots(&self) -> usize {
        self.per_script.iter().map(|memo| memo.slots.len()).sum()
    }

    /// Room for the first `scripts` scripts' tables; once per evaluator.
    #[cold]
    #[inline(never)]
    fn add_scripts(&mut self, scripts: usize) {
        self.per_script.resize_with(scripts, Memo::default);
    }

    /// Keeps the outcome of a run of script `id` under the key
    /// [`ScriptCache::lookup`] gave (failures are not kept), for this
    /// evaluator and for the package's others.
    pub(crate) fn keep(&mut self, scripts: &Scripts, id: u32, key: Key, outcome: &Outcome) {
        let Some(memo) = self.per_script.get_mut(id as usize) else {
            return;
        };
        let kept = match outcome {
            Outcome::Bool(b) => Kept::Bool(*b),
            Outcome::Number(n) => Kept::Number(*n),
            Outcome::Failed(_) => return,
        };
        memo.insert(key, kept);
        scripts.shared_results().put(id, key, kept);
    }
}

#[cfg(feature = "scripts")]
pub(crate) use with_rhai::Scripts;
#[cfg(not(feature = "scripts"))]
pub(crate) use without_rhai::Scripts;

/// The identifiers a script mentions (a superset of the variables it reads).
#[cfg(feature = "scripts")]
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        })
}

/// `pref.NAME` references in a script, with the byte offset of NAME.
fn preference_references(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("pref.") {
        let start = from + at + "pref.".len();
        let before_ok = from + at == 0
            || !text[..from + at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let end = text[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(text.len(), |e| start + e);
        if before_ok && end > start {
            found.push((start, &text[start..end]));
        }
        from = end.max(start);
    }
    found
}

#[cfg(feature = "scripts")]
mod with_rhai {
    use super::{
        CompileError, Key, Returns, Schema, ScriptInput, ScriptLimits, SharedResults, identifiers,
    };
    use crate::package::customer::Value;
    use crate::package::schema::Slot;
    use rhai::packages::Package;
    use rhai::{Dynamic, EvalAltResult, Scope};
    use std::cell::{Cell, RefCell};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// The clock is read once every so many operations: reading it costs
    /// about as much as an operation. Few enough that a loop of costly
    /// builtin calls (each one operation) overshoots the budget by little.
    const CLOCK_EVERY: u64 = 32;

    /// How much longer an unoptimised build may run a script than the
    /// budget says: it runs scripts ten to fifty times slower, and its test
    /// threads share the cores, so that an honest script in a test would
    /// otherwise fail at random. Errors still name the budget as set.
    const DEBUG_SLACK: u32 = if cfg!(debug_assertions) { 10 } else { 1 };

    /// The most `scripts.max_milliseconds` is taken as.
    const MAX_MILLISECONDS: u64 = 60_000;

    thread_local! {
        /// Per thread, a scope reused by every script run.
        static SCOPE: RefCell<Scope<'static>> = RefCell::new(Scope::new());
        /// The in-use flags of the customer whose script is running, per
        /// service, for `uses(service)`.
        static IN_USE: RefCell<Vec<Option<bool>>> = const { RefCell::new(Vec::new()) };
        /// When the script running on this thread started; None between runs.
        static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    }

    struct Script {
        ast: rhai::AST,
        /// Where the text starts: file, line and column, for run-time errors.
        origin: (String, usize, usize),
        returns: Returns,
        /// Attributes it mentions: name and slot.
        reads: Vec<(String, Slot)>,
        reads_pref: bool,
        reads_derived: bool,
        calls_uses: bool,
        /// Every slot its cache key reads, in key order (attributes,
        /// preferences, services in use); None when the key would hold more
        /// than [`super::KEY_VALUES`] values, so its results are not kept.
        key_slots: Option<Vec<Option<Slot>>>,
    }

    /// The compiled scripts of a package and the sandboxed rhai engine that runs them.
    pub(crate) struct Scripts {
        engine: rhai::Engine,
        scripts: Vec<Script>,
        /// Every attribute: name, slot and whether rhai can name it.
        attributes: Vec<(String, Slot)>,
        preferences: Vec<(String, Slot)>,
        /// Per service, the bool attribute saying the customer already uses it.
        in_use: Vec<Option<Slot>>,
        /// Results every evaluator of the package may read.
        shared: SharedResults,
    }

    impl Default for Scripts {
        fn default() -> Scripts {
            Scripts {
                engine: sandbox(&ScriptLimits::default(), Vec::new()),
                scripts: Vec::new(),
                attributes: Vec::new(),
                preferences: Vec::new(),
                in_use: Vec::new(),
                shared: SharedResults::default(),
            }
        }
    }

    impl std::fmt::Debug for Scripts {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Scripts({})", self.scripts.len())
        }
    }

    impl Scripts {
        pub(crate) fn new(
            limits: &ScriptLimits,
            schema: &Schema,
            services: &[(String, Option<Slot>)],
        ) -> Scripts {
            let ids = services.iter().map(|(id, _)| id.clone()).collect();
            let engine = sandbox(limits, ids);
            let nameable = |name: &str| nameable(name) && name != "pref";
            let attributes = schema
                .attribute_names()
                .filter(|n| nameable(n))
                .filter_map(|n| Some((n.to_string(), schema.attribute(n)?)))
                .collect();
            let preferences = schema
                .preference_names()
                .filter_map(|n| Some((n.to_string(), schema.preference(n)?)))
                .collect();
            Scripts {
                engine,
                scripts: Vec::new(),
                attributes,
                preferences,
                in_use: services.iter().map(|(_, slot)| *slot).collect(),
                shared: SharedResults::default(),
            }
        }

        /// Compiles a script; `derived` is visible when `with_derived`.
        pub(crate) fn compile(
            &mut self,
            text: &str,
            returns: Returns,
            with_derived: bool,
            origin: (String, usize, usize),
        ) -> Result<u32, CompileError> {
            let mentioned: Vec<&str> = identifiers(text).collect();
            // Every name a script may read is declared (not as a constant, so
            // that the optimiser folds nothing), for strict variables.
            let mut scope = Scope::new();
            for (name, _) in &self.attributes {
                scope.push_dynamic(name.as_str(), Dynamic::UNIT);
            }
            scope.push_dynamic("pref", Dynamic::UNIT);
            if with_derived {
                scope.push_dynamic("derived", Dynamic::UNIT);
            }
            let ast = self
                .engine
                .compile_with_scope(&scope, text)
                .map_err(|e| self.compile_error(&e, with_derived))?;
            let id = crate::base::index::dense_u32(self.scripts.len());
            let reads: Vec<(String, Slot)> = self
                .attributes
                .iter()
                .filter(|(n, _)| mentioned.contains(&n.as_str()))
                .cloned()
                .collect();
            let reads_pref = mentioned.contains(&"pref");
            let reads_derived = with_derived && mentioned.contains(&"derived");
            let calls_uses = mentioned.contains(&"uses");
            let key_slots: Vec<Option<Slot>> = reads
                .iter()
                .map(|(_, slot)| Some(*slot))
                .chain(
                    self.preferences
                        .iter()
                        .filter(|_| reads_pref)
                        .map(|(_, slot)| Some(*slot)),
                )
                .chain(self.in_use.iter().filter(|_| calls_uses).copied())
                .collect();
            let fits = key_slots.len() + usize::from(reads_derived) <= super::KEY_VALUES;
            self.scripts.push(Script {
                ast,
                origin,
                returns,
                reads,
                reads_pref,
                reads_derived,
                calls_uses,
                key_slots: fits.then_some(key_slots),
            });
            Ok(id)
        }

        fn compile_error(&self, error: &rhai::ParseError, with_derived: bool) -> CompileError {
            let position = error.position();
            let message = error.err_type().to_string();
            let help = match error.err_type() {
                rhai::ParseErrorType::VariableUndefined(name) => {
                    let names = self.attributes.iter().map(|(n, _)| n.as_str());
                    let suggestion = crate::base::diagnostic::did_you_mean(name, names);
                    Some(suggestion.unwrap_or_else(|| {
                        if name == "derived" && !with_derived {
                            "`derived` is only visible in the gain of a rule whose service has effects"
                                .to_string()
                        } else {
                            "scripts see the customer's attributes by name, `pref.NAME` for preferences and `derived` in a gain".to_string()
                        }
                    }))
                }
                _ => None,
            };
            CompileError {
                message: format!("the script does not compile: {message}"),
                line: position.line().unwrap_or(1),
                column: position.position().unwrap_or(1),
                help,
            }
        }

        /// Runs a condition script: Ok(true/false), or why it failed.
        pub(crate) fn condition(&self, id: u32, cx: &ScriptInput<'_>) -> Result<bool, String> {
            match self.run(id, cx)? {
                value if value.is_bool() => Ok(value.as_bool().unwrap_or(false)),
                other => Err(format!(
                    "the script must return true or false, but returned {}",
                    describe(&other)
                )),
            }
        }

        /// Runs a gain script: Ok(a finite number), or why it failed.
        pub(crate) fn gain(&self, id: u32, cx: &ScriptInput<'_>) -> Result<f64, String> {
            let value = self.run(id, cx)?;
            let number = number(&value).map_err(|_| {
                format!(
                    "the script must return a number, but returned {}",
                    describe(&value)
                )
            })?;
            if number.is_finite() {
                Ok(number)
            } else {
                Err(format!(
                    "the script's gain is not a finite number ({number}); check for a division by zero"
                ))
            }
        }

        /// What a script must return.
        pub(crate) fn returns(&self, id: u32) -> Option<Returns> {
            self.scripts.get(id as usize).map(|s| s.returns)
        }

        /// Results every evaluator of the package may read.
        pub(crate) fn shared_results(&self) -> &SharedResults {
            &self.shared
        }

        /// Whether a script reads `derived` (so it must be computed first).
        pub(crate) fn reads_derived(&self, id: u32) -> bool {
            self.scripts
                .get(id as usize)
                .is_some_and(|s| s.reads_derived)
        }

        /// Every value script `id` can read, as a cache key; None when one
        /// of them cannot be compared across customers (a text only this
        /// customer has) or there are more than the key holds.
        #[inline(always)]
        pub(crate) fn cache_key(&self, id: u32, cx: &ScriptInput<'_>) -> Option<Key> {
            let script = self.scripts.get(id as usize)?;
            let mut key = Key::default();
            for slot in script.key_slots.as_deref()? {
                let (kind, bits) = match slot.and_then(|slot| cx.values.get(slot as usize)) {
                    Some(Value::Number(n)) => (1, n.to_bits()),
                    Some(Value::Bool(b)) => (2, u64::from(*b)),
                    Some(Value::Text(s)) if s.0 < cx.symbols.len() => (3, u64::from(s.0)),
                    Some(Value::Text(_)) => return None,
                    _ => (0, 0),
                };
                key.push(kind, bits).then_some(())?;
            }
            if script.reads_derived {
                key.push(1, cx.derived.to_bits()).then_some(())?;
            }
            Some(key)
        }

        fn run(&self, id: u32, cx: &ScriptInput<'_>) -> Result<Dynamic, String> {
            let Some(script) = self.scripts.get(id as usize) else {
                return Err("unknown script".to_string());
            };
            if script.calls_uses {
                IN_USE.with(|flags| {
                    let mut flags = flags.borrow_mut();
                    flags.clear();
                    flags.extend(self.in_use.iter().map(|slot| match slot {
                        Some(s) => match cx.values.get(*s as usize) {
                            Some(Value::Bool(b)) => Some(*b),
                            _ => None,
                        },
                        None => None,
                    }));
                });
            }
            SCOPE.with(|scope| {
                let mut scope = scope.borrow_mut();
                scope.clear();
                for (name, slot) in &script.reads {
                    scope.push_constant_dynamic(name.as_str(), value(cx, *slot));
                }
                if script.reads_pref {
                    let map: rhai::Map = self
                        .preferences
                        .iter()
                        .map(|(name, slot)| (name.as_str().into(), value(cx, *slot)))
                        .collect();
                    scope.push_constant("pref", map);
                }
                if script.reads_derived {
                    let derived = if cx.derived.is_nan() {
                        Dynamic::UNIT
                    } else {
                        Dynamic::from_float(cx.derived)
                    };
                    scope.push_constant_dynamic("derived", derived);
                }
                // A run past the clock budget runs once more before it
                // counts as a failure: a thread the system set aside for a
                // while (a busy machine) would otherwise fail an honest
                // script at random. A runaway script fails both times.
                let inputs = scope.len();
                let mut result = self.timed_run(&mut scope, &script.ast);
                if matches!(&result, Err(e) if matches!(**e, EvalAltResult::ErrorTerminated(..))) {
                    scope.rewind(inputs);
                    result = self.timed_run(&mut scope, &script.ast);
                }
                scope.clear();
                result.map_err(|e| runtime_error(&e, &script.origin))
            })
        }
    }

    impl Scripts {
        /// One run of a script against the clock budget.
        fn timed_run(
            &self,
            scope: &mut Scope<'static>,
            ast: &rhai::AST,
        ) -> Result<Dynamic, Box<EvalAltResult>> {
            STARTED.with(|started| started.set(Some(Instant::now())));
            let result = self.engine.eval_ast_with_scope::<Dynamic>(scope, ast);
            STARTED.with(|started| started.set(None));
            result
        }
    }

    /// A rhai engine with no way out: no modules, no `eval`, no printing,
    /// no function that blocks (`sleep`), strict variables, and the limits
    /// from the catalog, wall-clock time included.
    ///
    /// The engine starts raw and gets rhai's standard packages except the
    /// language core one (`sleep`, `exit`, `take`, tags, `parse_json`) and
    /// blobs; `sleep` is then defined to fail, so that a script calling it
    /// gets a plain error rather than "function not found".
    fn sandbox(limits: &ScriptLimits, ids: Vec<String>) -> rhai::Engine {
        use rhai::packages::{
            ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage,
            BasicMapPackage, BasicMathPackage, BasicStringPackage, BitFieldPackage, LogicPackage,
            MoreStringPackage,
        };
        let mut engine = rhai::Engine::new_raw();
        for package in [
            ArithmeticPackage::new().as_shared_module(),
            BasicStringPackage::new().as_shared_module(),
            BasicIteratorPackage::new().as_shared_module(),
            BasicFnPackage::new().as_shared_module(),
            BitFieldPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
        ] {
            engine.register_global_module(package);
        }
        let milliseconds = limits.max_milliseconds.clamp(1, MAX_MILLISECONDS);
        let budget = Duration::from_millis(milliseconds) * DEBUG_SLACK;
        engine
            .set_max_strings_interned(256)
            .on_progress(move |operations| {
                if operations % CLOCK_EVERY != 0 {
                    return None;
                }
                let started = STARTED.with(Cell::get)?;
                (started.elapsed() > budget)
                    .then(|| Dynamic::from_int(i64::try_from(milliseconds).unwrap_or(i64::MAX)))
            })
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_depth)
            .set_max_expr_depths(limits.max_expression_depth, limits.max_expression_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_variables(256)
            .set_max_functions(64)
            .set_strict_variables(true)
            .set_fail_on_invalid_map_property(true)
            .on_print(|_| {})
            .on_debug(|_, _, _| {});
        engine.disable_symbol("eval");
        engine.register_fn("sleep", |_: Dynamic| -> Result<(), Box<EvalAltResult>> {
            Err("sleep is not available in rule scripts".into())
        });
        let ids = Arc::new(ids);
        engine.register_fn(
            "uses",
            move |service: &str| -> Result<Dynamic, Box<EvalAltResult>> {
                let Some(index) = ids.iter().position(|id| id == service) else {
                    return Err(format!(
                        "uses(\"{service}\"): there is no service called `{service}` in the catalog"
                    )
                    .into());
                };
                Ok(IN_USE.with(|flags| match flags.borrow().get(index) {
                    Some(Some(b)) => Dynamic::from_bool(*b),
                    _ => Dynamic::UNIT,
                }))
            },
        );
        engine.register_fn(
            "clamp",
            |x: Dynamic, lo: Dynamic, hi: Dynamic| -> Result<f64, Box<EvalAltResult>> {
                let (x, lo, hi) = (number(&x)?, number(&lo)?, number(&hi)?);
                Ok(x.max(lo).min(hi))
            },
        );
        register_safe_padding(&mut engine, limits);
        engine.register_fn("present", |x: Dynamic| !x.is_unit());
        engine.register_fn(
            "value_or",
            |x: Dynamic, default: Dynamic| {
                if x.is_unit() { default } else { x }
            },
        );
        engine
    }

    /// `pad` on arrays and `pad` with a string, in place of rhai's: its array
    /// `pad` checks the size it would reach with arithmetic that overflows on
    /// a huge length (a panic, or an allocation that aborts), and its `pad`
    /// with an empty string loops forever. Both are checked before anything
    /// is allocated; rhai checks the padded value against the limits again
    /// after the call.
    fn register_safe_padding(engine: &mut rhai::Engine, limits: &ScriptLimits) {
        let too_large = |what: &str| -> Box<EvalAltResult> {
            EvalAltResult::ErrorDataTooLarge(what.to_string(), rhai::Position::NONE).into()
        };
        let limit = |n: usize| if n == 0 { usize::MAX } else { n };
        let (max_array, max_map, max_string) = (
            limit(limits.max_array_size),
            limit(limits.max_map_size),
            limit(limits.max_string_size),
        );
        engine.register_fn(
            "pad",
            move |array: &mut rhai::Array,
                  len: rhai::INT,
                  item: Dynamic|
                  -> Result<(), Box<EvalAltResult>> {
                let Ok(len) = usize::try_from(len) else {
                    return Ok(());
                };
                if len <= array.len() {
                    return Ok(());
                }
                let pad = len - array.len();
                let (arrays, maps, strings) = data_size(&item);
                let items = pad.saturating_mul(arrays.saturating_add(1));
                if len > max_array || array.len().saturating_add(items) > max_array {
                    return Err(too_large("Size of array"));
                }
                if pad.saturating_mul(maps) > max_map {
                    return Err(too_large("Size of object map"));
                }
                if pad.saturating_mul(strings) > max_string {
                    return Err(too_large("Length of string"));
                }
                array.resize(len, item);
                Ok(())
            },
        );
        engine.register_fn(
            "pad",
            move |string: &mut rhai::ImmutableString,
                  len: rhai::INT,
                  padding: &str|
                  -> Result<(), Box<EvalAltResult>> {
                let Ok(len) = usize::try_from(len) else {
                    return Ok(());
                };
                if len > max_string {
                    return Err(too_large("Length of string"));
                }
                let have = string.chars().count();
                if padding.is_empty() || len <= have {
                    return Ok(());
                }
                let text = string.make_mut();
                text.extend(padding.chars().cycle().take(len - have));
                Ok(())
            },
        );
    }

    /// Items in the arrays, entries in the maps and bytes in the strings of
    /// a value, counted through nested values, saturating.
    fn data_size(value: &Dynamic) -> (usize, usize, usize) {
        if let Some(array) = value.read_lock::<rhai::Array>() {
            array.iter().fold((array.len(), 0, 0), |(a, m, s), item| {
                let (ia, im, is) = data_size(item);
                (
                    a.saturating_add(ia),
                    m.saturating_add(im),
                    s.saturating_add(is),
                )
            })
        } else if let Some(map) = value.read_lock::<rhai::Map>() {
            map.values().fold((0, map.len(), 0), |(a, m, s), item| {
                let (ia, im, is) = data_size(item);
                (
                    a.saturating_add(ia),
                    m.saturating_add(im),
                    s.saturating_add(is),
                )
            })
        } else if let Some(string) = value.read_lock::<rhai::ImmutableString>() {
            (0, 0, string.len())
        } else {
            (0, 0, 0)
        }
    }

    /// Whether rhai can name a variable so: an ASCII identifier that is not
    /// one of its keywords.
    fn nameable(name: &str) -> bool {
        const KEYWORDS: [&str; 38] = [
            "true",
            "false",
            "let",
            "const",
            "if",
            "else",
            "switch",
            "do",
            "while",
            "until",
            "loop",
            "for",
            "in",
            "continue",
            "break",
            "return",
            "throw",
            "try",
            "catch",
            "fn",
            "private",
            "import",
            "export",
            "as",
            "global",
            "Fn",
            "call",
            "curry",
            "this",
            "type_of",
            "print",
            "debug",
            "eval",
            "is_shared",
            "is_def_fn",
            "is_def_var",
            "static",
            "shared",
        ];
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !KEYWORDS.contains(&name)
    }

    fn value(cx: &ScriptInput<'_>, slot: Slot) -> Dynamic {
        match cx.values.get(slot as usize) {
            Some(Value::Number(n)) => Dynamic::from_float(*n),
            Some(Value::Bool(b)) => Dynamic::from_bool(*b),
            Some(Value::Text(s)) => {
                Dynamic::from(cx.local_texts.resolve(cx.symbols, *s).to_string())
            }
            _ => Dynamic::UNIT,
        }
    }

    fn number(value: &Dynamic) -> Result<f64, Box<EvalAltResult>> {
        if let Ok(f) = value.as_float() {
            Ok(f)
        } else if let Ok(i) = value.as_int() {
            Ok(i as f64)
        } else {
            Err(format!("expected a number, got {}", describe(value)).into())
        }
    }

    fn describe(value: &Dynamic) -> String {
        if value.is_unit() {
            "nothing (`()`: a missing value, or no result)".to_string()
        } else {
            format!("{} `{value}`", value.type_name())
        }
    }

    /// A run-time failure in plain words, at its place in the rule file; the
    /// limits say which one was hit.
    fn runtime_error(error: &EvalAltResult, origin: &(String, usize, usize)) -> String {
        // An error inside a script function is wrapped once per call level:
        // name the outermost function and report the innermost error.
        let mut inner = error;
        let mut function = None;
        while let EvalAltResult::ErrorInFunctionCall(name, _, cause, _) = inner {
            function.get_or_insert(name.clone());
            inner = cause;
        }
        let at = |p: rhai::Position| match (p.line(), p.position()) {
            (Some(line), Some(column)) => {
                let (file, l0, c0) = origin;
                let column = if line == 1 { c0 + column - 1 } else { column };
                format!(" (at {file}:{}:{column})", l0 + line - 1)
            }
            _ => String::new(),
        };
        let what = match inner {
            EvalAltResult::ErrorTooManyOperations(p) => format!(
                "the script ran too long: it passed the limit on operations (`scripts.max_operations`){}",
                at(*p)
            ),
            EvalAltResult::ErrorStackOverflow(p) => format!(
                "the script called functions too deep (`scripts.max_call_depth`){}",
                at(*p)
            ),
            EvalAltResult::ErrorDataTooLarge(what, p) => format!(
                "the script built too large a value: {what} (`scripts.max_string_size`, `max_array_size`, `max_map_size`){}",
                at(*p)
            ),
            EvalAltResult::ErrorTerminated(milliseconds, p) => format!(
                "the script took longer than {milliseconds} ms (`scripts.max_milliseconds`){}",
                at(*p)
            ),
            EvalAltResult::ErrorTooManyVariables(p) => {
                format!("the script declared too many variables{}", at(*p))
            }
            EvalAltResult::ErrorAssignmentToConstant(name, p) => format!(
                "the script cannot change `{name}`: customer values are read-only{}",
                at(*p)
            ),
            other => format!("the script failed: {other}{}", at(other.position())),
        };
        match function {
            Some(name) => format!("{what}, in function `{name}`"),
            None => what,
        }
    }
}

#[cfg(not(feature = "scripts"))]
mod without_rhai {
    use super::{CompileError, Returns, Schema, ScriptInput, ScriptLimits, SharedResults};
    use crate::package::schema::Slot;

    /// A build without the `scripts` feature: every script is refused when
    /// the package loads, so none ever runs.
    #[derive(Debug, Default)]
    pub(crate) struct Scripts {
        shared: SharedResults,
    }

    impl Scripts {
        pub(crate) fn new(_: &ScriptLimits, _: &Schema, _: &[(String, Option<Slot>)]) -> Scripts {
            Scripts::default()
        }

        /// Never consulted: no script compiles, so none keeps a result.
        pub(crate) fn shared_results(&self) -> &SharedResults {
            &self.shared
        }

        pub(crate) fn compile(
            &mut self,
            _: &str,
            _: Returns,
            _: bool,
            _: (String, usize, usize),
        ) -> Result<u32, CompileError> {
            Err(CompileError {
                message: "this build of vasrec has no script support".to_string(),
                line: 1,
                column: 1,
                help: Some(
                    "build vasrec with the `scripts` feature (on by default), or write the condition in the rule language"
                        .to_string(),
                ),
            })
        }

        pub(crate) fn condition(&self, _: u32, _: &ScriptInput<'_>) -> Result<bool, String> {
            Err("this build of vasrec has no script support".to_string())
        }

        pub(crate) fn gain(&self, _: u32, _: &ScriptInput<'_>) -> Result<f64, String> {
            Err("this build of vasrec has no script support".to_string())
        }

        pub(crate) fn returns(&self, _: u32) -> Option<Returns> {
            None
        }

        pub(crate) fn cache_key(&self, _: u32, _: &ScriptInput<'_>) -> Option<super::Key> {
            None
        }

        pub(crate) fn reads_derived(&self, _: u32) -> bool {
            false
        }
    }
}

/// Maps a line and column of a script to a byte offset in its rule file,
/// given where the script text starts there.
pub(crate) fn offset_in_file(script: &str, start: usize, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in script.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return start + offset + within;
        }
        offset += l.len();
    }
    start + script.len()
}

/// Checks `pref.NAME` references against the preferences; returns the first
/// unknown one with its byte offset in the script.
pub(crate) fn unknown_preference<'t>(text: &'t str, schema: &Schema) -> Option<(usize, &'t str)> {
    preference_references(text)
        .into_iter()
        .find(|(_, name)| schema.preference(name).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line and column (from 1) of a byte offset in a text.
    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    #[test]
    fn positions_map_back_to_the_file() {
        let script = "let a = 1;\n  a +* 2";
        // Line 2, column 6 is `*`.
        let at = offset_in_file(script, 100, 2, 6);
        assert_eq!(at, 100 + script.find('*').unwrap());
        assert_eq!(line_col(script, script.find('*').unwrap()), (2, 6));
        // Columns count characters, not bytes.
        assert_eq!(offset_in_file("\"客户\" +* 1", 0, 1, 7), "\"客户\" +".len());
    }

    #[test]
    fn whole_numbers_spread_over_the_slots() {
        // Floats of whole numbers differ only in their high bits; a hash that
        // ignored them put every tenure in one slot.
        let slots: std::collections::HashSet<usize> = (0..73)
            .map(|t| {
                let mut key = Key::default();
                assert!(key.push(1, f64::from(t).to_bits()));
                key.slot(SLOTS)
            })
            .collect();
        assert!(slots.len() >= 65, "{} slots for 73 keys", slots.len());
        // A small table is filled as evenly.
        let small: std::collections::HashSet<usize> = (0..73)
            .map(|t| {
                let mut key = Key::default();
                assert!(key.push(1, f64::from(t).to_bits()));
                key.slot(FIRST_SLOTS)
            })
            .collect();
        assert!(
            small.len() >= FIRST_SLOTS - 2,
            "{} of {FIRST_SLOTS} slots",
            small.len()
        );
    }

    fn number_key(n: f64) -> Key {
        let mut key = Key::default();
        assert!(key.push(1, n.to_bits()));
        key
    }

    fn kept_number(memo: &Memo, key: &Key) -> Option<f64> {
        match memo.slots.get(memo.find(key)?)? {
            (k, Kept::Number(n)) if k == key => Some(*n),
            _ => None,
        }
    }

    #[test]
    fn a_table_keeps_every_input_as_it_grows() {
        let mut memo = Memo::default();
        for t in 0..73 {
            assert_eq!(kept_number(&memo, &number_key(f64::from(t))), None);
            memo.insert(number_key(f64::from(t)), Kept::Number(f64::from(t) * 2.0));
        }
        // Grown from 16 slots without losing one: 73 results, at most half full.
        assert_eq!(memo.len, 73);
        assert_eq!(memo.slots.len(), 256);
        for t in 0..73 {
            assert_eq!(
                kept_number(&memo, &number_key(f64::from(t))),
                Some(f64::from(t) * 2.0)
            );
        }
        assert_eq!(kept_number(&memo, &number_key(73.0)), None);
    }

    #[test]
    fn a_full_table_starts_over_and_stays_bounded() {
        let mut memo = Memo::default();
        let keys = SLOTS / 2 + 10;
        for t in 0..keys {
            memo.insert(number_key(t as f64), Kept::Number(1.0));
            assert!(memo.len * 2 <= memo.slots.len());
        }
        assert_eq!(memo.slots.len(), SLOTS);
        // The 513th result found the table full and started it over.
        assert_eq!(memo.len, keys - SLOTS / 2);
        assert_eq!(
            kept_number(&memo, &number_key((keys - 1) as f64)),
            Some(1.0)
        );
        assert_eq!(kept_number(&memo, &number_key(0.0)), None);
    }

    #[test]
    fn shared_results_stay_bounded_and_keep_what_they_hold() {
        let shared = SharedResults::default();
        for t in 0..SHARED_RESULTS + 100 {
            shared.put(1, number_key(t as f64), Kept::Number(t as f64));
        }
        assert_eq!(shared.len(), SHARED_RESULTS);
        assert!(matches!(shared.get(1, &number_key(0.0)), Some(Kept::Number(n)) if n == 0.0));
        let last = (SHARED_RESULTS - 1) as f64;
        assert!(matches!(shared.get(1, &number_key(last)), Some(Kept::Number(n)) if n == last));
        // Full: later inputs are run again, not kept.
        assert!(shared.get(1, &number_key(SHARED_RESULTS as f64)).is_none());
        // Results are kept per script.
        assert!(shared.get(2, &number_key(0.0)).is_none());
    }

    #[test]
    fn a_key_holds_five_values_and_tells_their_kinds_apart() {
        let mut key = Key::default();
        for v in 0..KEY_VALUES as u64 {
            assert!(key.push(1, v));
        }
        assert!(!key.push(1, 9), "a sixth value does not fit");
        // A missing value and a zero number, or `false` and 0.0, differ.
        let one = |kind, bits| {
            let mut k = Key::default();
            assert!(k.push(kind, bits));
            k
        };
        assert_ne!(one(0, 0), one(1, 0));
        assert_ne!(one(2, 0), one(1, 0));
        assert_ne!(one(3, 1), one(2, 1));
    }

    #[test]
    fn preference_references_are_found() {
        let refs = preference_references("pref.speed > 0.5 && mypref.x && pref.");
        assert_eq!(refs, vec![(5, "speed")]);
    }
}
