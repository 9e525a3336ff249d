//! Writing results: to stdout, or atomically to a file (a temporary file in
//! the same folder, renamed into place), so a failed run never leaves a
//! half-written report where a good one was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(super) fn write(out: Option<&Path>, text: &str) -> Result<(), String> {
    let Some(path) = out.filter(|p| p.as_os_str() != "-") else {
        let mut stdout = std::io::stdout().lock();
        // On a terminal, data (labels, reasons, customer values) must not
        // carry escape sequences; files and pipes get the bytes as they are.
        let text = if std::io::IsTerminal::is_terminal(&stdout) {
            vasrec::render::printable(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        return match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // A closed pipe (`| head`) is not an error worth reporting.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|e| format!("cannot write to standard output: {e}")),
        };
    };
    if written_in_place(path) {
        return std::fs::write(path, text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()));
    }
    let mut pending = Pending::create(path)?;
    pending
        .file()
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    pending.persist()
}

/// A file being written beside its target, renamed over it at the end.
///
/// The temporary file gets a random name and is created exclusively
/// (`tempfile`), so nobody can plant a link under its name in a shared
/// folder; it is removed when the run fails, when `Pending` is dropped, and
/// on SIGINT or SIGTERM (see [`remove_pending_on_signals`]). The target's
/// permissions are kept; a new target gets what a plain create would give.
pub(super) struct Pending {
    file: tempfile::NamedTempFile,
    target: PathBuf,
    _registered: Registered,
}

/// Temporary files still being written, for the signal handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A path in [`PENDING`] for as long as this lives.
struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        forget(&self.0);
    }
}

impl Pending {
    pub(super) fn create(target: &Path) -> Result<Pending, String> {
        let cannot = |e: std::io::Error| format!("cannot write `{}`: {e}", target.display());
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| format!(".{}.", n.to_string_lossy()))
            .unwrap_or_else(|| ".vasrec.".to_string());
        let kept = std::fs::metadata(target).ok().map(|m| m.permissions());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&name).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // As `File::create` would: the umask still applies.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        // Created and registered under the lock: a signal handled in
        // between waits for it, and so finds the file to remove.
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        let file = builder.tempfile_in(dir).map_err(cannot)?;
        let registered = Registered(file.path().to_path_buf());
        pending.push(registered.0.clone());
        drop(pending);
        if let Some(permissions) = kept {
            std::fs::set_permissions(file.path(), permissions).map_err(cannot)?;
        }
        Ok(Pending {
            file,
            target: target.to_path_buf(),
            _registered: registered,
        })
    }

    pub(super) fn file(&mut self) -> &mut std::fs::File {
        self.file.as_file_mut()
    }

    /// Flushes the file to disk and renames it over the target. Dropped
    /// instead, the temporary file is removed.
    pub(super) fn persist(self) -> Result<(), String> {
        let Pending { file, target, .. } = self;
        let cannot = |e: std::io::Error| format!("cannot write `{}`: {e}", target.display());
        file.as_file().sync_all().map_err(cannot)?;
        file.persist(&target).map(drop).map_err(|e| cannot(e.error))
    }
}

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.file.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn forget(temp: &Path) {
    let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    pending.retain(|p| p != temp);
}

/// Removes the temporary files of unfinished outputs when the run is
/// interrupted (SIGINT, SIGTERM, SIGHUP), then exits as a shell reports a
/// run killed by that signal (128 + its number: 130 for SIGINT).
///
/// A signal the parent set to be ignored stays ignored: a run started in
/// the background of a script (SIGINT ignored) or under `nohup` (SIGHUP
/// ignored) must not start obeying it, and the others must still clean up.
#[cfg(unix)]
pub(super) fn remove_pending_on_signals() {
    use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
    let ignored = ignored_signals();
    let wanted: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|s| !ignored.contains(s))
        .collect();
    let Ok(mut signals) = signal_hook::iterator::Signals::new(&wanted) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_pending();
                std::process::exit(128 + signal);
            }
        });
}

/// The signals this process was started ignoring. Linux says so in
/// /proc/self/status (`SigIgn`, a mask with bit n-1 for signal n); where it
/// cannot be read, SIGHUP counts as ignored, so a `nohup` run is never
/// stopped by it.
#[cfg(unix)]
fn ignored_signals() -> Vec<i32> {
    let mask = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(line.trim(), 16).ok()
        });
    match mask {
        Some(mask) => (1..=64).filter(|n| mask & (1u64 << (n - 1)) != 0).collect(),
        None => vec![signal_hook::consts::signal::SIGHUP],
    }
}

/// Removes the temporary files of unfinished outputs on Ctrl-C, then exits
/// as the signal would (130).
#[cfg(not(unix))]
pub(super) fn remove_pending_on_signals() {
    let _ = ctrlc::try_set_handler(|| {
        remove_pending();
        std::process::exit(130);
    });
}

/// Holds the lock until the process exits, so no new temporary file is
/// created after the sweep.
fn remove_pending() {
    let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for path in pending.iter() {
        let _ = std::fs::remove_file(path);
    }
    std::mem::forget(pending);
}

/// Refuses outputs that would overwrite an input or each other: each is a
/// `(flag, path)`; `-` and devices never clash.
pub(super) fn check_distinct(
    outputs: &[(&str, Option<&Path>)],
    inputs: &[(&str, Option<&Path>)],
) -> Result<(), String> {
    let file = |p: Option<&Path>| {
        p.filter(|p| p.as_os_str() != "-" && !written_in_place(p))
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| absolute(p)))
    };
    for (i, (flag, path)) in outputs.iter().enumerate() {
        let Some(out) = file(*path) else { continue };
        let earlier = outputs[..i].iter().chain(inputs);
        for (other, other_path) in earlier {
            if file(*other_path).as_ref() == Some(&out) {
                return Err(format!(
                    "{flag} and {other} name the same file `{}`; give {flag} another path",
                    out.display()
                ));
            }
        }
    }
    Ok(())
}

/// A path made absolute against the current folder, for paths that do not
/// exist yet.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Devices and pipes (`/dev/null`, `/dev/stdout`, a fifo) are written as they
/// are: renaming a temporary file over them would replace them.
pub(super) fn written_in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}
