//! A rule package that can be reloaded while applications evaluate with it.
//!
//! In: a folder. Out: the current [`Engine`] behind an `Arc`. A reload builds
//! a whole new engine and swaps it in only if the package checks clean, so a
//! broken edit never replaces a working engine, and a thread evaluating
//! during a reload keeps the engine it started with (the old one, complete).

use crate::engine::Engine;
use crate::engine::load_error::LoadError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The engine of a package folder, swapped atomically on reload.
///
/// ```
/// let live = vasrec::LiveEngine::load("rules")?;
/// let engine = live.current(); // hold it for one request
/// let customer = engine
///     .customer()
///     .set("customer_id", "C-1")
///     .set("tenure_months", 3)
///     .set("monthly_charges", 70)
///     .build()?;
/// let offers = engine.recommend(&customer)?;
///
/// // Later, after the files changed (a watcher, a signal, an admin call):
/// if let Err(errors) = live.reload() {
///     // The engine in use stays; report what is wrong with the new files.
///     eprintln!("{errors}");
/// }
/// # drop(offers);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LiveEngine {
    dir: PathBuf,
    current: RwLock<Arc<Engine>>,
}

impl LiveEngine {
    /// Loads the package; fails if it has errors.
    pub fn load(dir: impl AsRef<Path>) -> Result<LiveEngine, LoadError> {
        let dir = dir.as_ref().to_path_buf();
        let engine = Engine::load(&dir)?;
        Ok(LiveEngine {
            dir,
            current: RwLock::new(Arc::new(engine)),
        })
    }

    /// The engine to evaluate with now. Keep the `Arc` for as long as a
    /// request needs one consistent engine; a reload does not change it.
    pub fn current(&self) -> Arc<Engine> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer cannot panic while holding the lock (it only swaps an
            // Arc), but if one did, the engine inside is still whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the folder. On errors the current engine stays and the
    /// errors come back; on success the new engine is in place when this returns.
    pub fn reload(&self) -> Result<(), LoadError> {
        let engine = Arc::new(Engine::load(&self.dir)?);
        match self.current.write() {
            Ok(mut guard) => *guard = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        Ok(())
    }
}
