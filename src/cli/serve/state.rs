//! What every request shares: the engine in use (with what was computed
//! once for it), the outcome of the last reload, the limits.

use super::Limits;
use super::metrics::Metrics;
use serde_json::{Value, json};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use vasrec::score::{ScoreFormat, ScoreFormatter};

/// What a capacity-limited service means to a service that sees one customer
/// per request; shown in `/v1/package` and README.
pub(super) const CAPACITY_NOTE: &str = "a request sees one customer, so a service with a \
    capacity is offered to every customer who qualifies (as Engine::evaluate does); \
    give limited services to the best of a population with `vasrec score`, which \
    allocates over the whole file";

/// One engine and what is computed once for it.
pub(super) struct Loaded {
    pub(super) engine: Arc<vasrec::Engine>,
    /// Writes `vasrec score`'s JSON records for this engine.
    pub(super) formatter: ScoreFormatter,
    /// FNV-1a (64 bits) over the package's source files, names and texts.
    pub(super) hash: String,
    /// When it was loaded, seconds since the Unix epoch.
    pub(super) loaded_at: f64,
}

impl Loaded {
    fn new(engine: Arc<vasrec::Engine>) -> Loaded {
        let formatter = ScoreFormatter::new(&engine, ScoreFormat::Jsonl);
        let hash = engine.content_hash();
        Loaded {
            engine,
            formatter,
            hash,
            loaded_at: now(),
        }
    }
}

/// The last reload's outcome, for `/v1/package`.
pub(super) struct ReloadOutcome {
    at: f64,
    ok: bool,
    /// The package's diagnostics as `vasrec check --format json` gives them.
    errors: Value,
}

/// Everything the handlers share.
pub(super) struct Shared {
    live: vasrec::LiveEngine,
    current: RwLock<Arc<Loaded>>,
    last_reload: Mutex<Option<ReloadOutcome>>,
    /// Held for the whole of a reload, so two reloads never interleave.
    reloading: Mutex<()>,
    pub(super) limits: Limits,
    pub(super) metrics: Metrics,
    /// Requests of the `/v1` endpoints being handled; full means 503.
    pub(super) slots: Arc<tokio::sync::Semaphore>,
    /// Set when a shutdown signal came: `/readyz` answers 503 from then on.
    pub(super) stopping: AtomicBool,
}

impl Shared {
    pub(super) fn new(live: vasrec::LiveEngine, limits: Limits) -> Shared {
        let loaded = Loaded::new(live.current());
        let metrics = Metrics::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent));
        Shared {
            live,
            current: RwLock::new(Arc::new(loaded)),
            last_reload: Mutex::new(None),
            reloading: Mutex::new(()),
            limits,
            metrics,
            slots,
            stopping: AtomicBool::new(false),
        }
    }

    /// The engine to answer a request with; a reload does not change it.
    pub(super) fn current(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the package folder (blocking: reads files and compiles). On
    /// errors the engine in use stays; either way the outcome is kept for
    /// `/v1/package` and returned as JSON.
    pub(super) fn reload(&self) -> Result<Value, Value> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let (loaded, outcome) = match self.live.reload() {
            Ok(()) => (
                Some(Arc::new(Loaded::new(self.live.current()))),
                ReloadOutcome {
                    at: now(),
                    ok: true,
                    errors: json!([]),
                },
            ),
            Err(error) => (
                None,
                ReloadOutcome {
                    at: now(),
                    ok: false,
                    errors: serde_json::to_value(vasrec::render::to_json(
                        &error.diagnostics,
                        &error.sources,
                    ))
                    .unwrap_or(Value::Null),
                },
            ),
        };
        self.metrics.reloaded(outcome.ok);
        let ok = outcome.ok;
        let mut answer = outcome_json(&outcome);
        {
            // The engine and the outcome change together for `/v1/package`,
            // which reads them under the same lock.
            let mut last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(loaded) = loaded {
                match self.current.write() {
                    Ok(mut guard) => *guard = loaded,
                    Err(poisoned) => *poisoned.into_inner() = loaded,
                }
            }
            *last = Some(outcome);
        }
        let loaded = self.current();
        answer["package"] = json!(loaded.engine.catalog().package);
        answer["content_hash"] = json!(loaded.hash);
        if ok { Ok(answer) } else { Err(answer) }
    }

    /// The body of `GET /v1/package`.
    pub(super) fn package_json(&self) -> Value {
        let last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = self.current();
        let engine = &loaded.engine;
        let catalog = engine.catalog();
        let services: Vec<Value> = catalog
            .services
            .iter()
            .map(|s| {
                json!({"id": s.id, "name": s.name, "category": s.category, "cost": s.cost,
                       "capacity": s.capacity})
            })
            .collect();
        let segments: Vec<&str> = engine
            .segment_ids()
            .map(|s| engine.segment_name(s))
            .collect();
        json!({
            "package": catalog.package,
            "content_hash": loaded.hash,
            "loaded_at": loaded.loaded_at,
            "rules": engine.counts().1,
            "services": services,
            "segments": segments,
            "capacity_note": CAPACITY_NOTE,
            "last_reload": last.as_ref().map(outcome_json),
        })
    }
}

fn outcome_json(outcome: &ReloadOutcome) -> Value {
    json!({"at": outcome.at, "ok": outcome.ok, "errors": outcome.errors})
}

/// Seconds since the Unix epoch, with milliseconds.
pub(super) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}
