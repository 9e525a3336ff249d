//! Writing results: to stdout, or atomically to a file (a temporary file in
//! the same folder, renamed into place), so a failed run never leaves a
//! half-written report where a good one was.

use std::io::Write;
use std::path::Path;

pub(super) fn write(out: Option<&Path>, text: &str) -> Result<(), String> {
    let Some(path) = out.filter(|p| p.as_os_str() != "-") else {
        let mut stdout = std::io::stdout().lock();
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
    let temp = temp_path(path);
    let result = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("cannot write `{}`: {e}", path.display()));
    }
    Ok(())
}

/// Devices and pipes (`/dev/null`, `/dev/stdout`, a fifo) are written as they
/// are: renaming a temporary file over them would replace them.
pub(super) fn written_in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// A temporary file beside `path`, in the same folder so that rename is atomic.
pub(super) fn temp_path(path: &Path) -> std::path::PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{file_name}.{}.tmp", std::process::id()))
}
