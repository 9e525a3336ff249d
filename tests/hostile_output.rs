//! Outputs are written safely: never over an input or each other, with the
//! target's permissions kept, and no temporary file left behind when the run
//! is interrupted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn vasrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("vasrec runs")
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vasrec-out-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn customers_copy(dir: &Path) -> PathBuf {
    let path = dir.join("customers.csv");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/customers.csv"),
        &path,
    )
    .unwrap();
    path
}

#[test]
fn an_output_never_overwrites_an_input_or_another_output() {
    let dir = folder("clash");
    let customers = customers_copy(&dir);
    let before = fs::read(&customers).unwrap();
    let c = customers.to_str().unwrap();
    let report = dir.join("report.jsonl");
    let r = report.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "score",
            "--customers",
            c,
            "--on-error",
            "report",
            "--rejects",
            c,
        ],
        vec!["score", "--customers", c, "--out", c],
        vec![
            "score",
            "--customers",
            c,
            "--out",
            r,
            "--on-error",
            "report",
            "--rejects",
            r,
        ],
        vec!["dry-run", "--customers", c, "--out", c],
        vec!["diff", "--base", "rules", "--customers", c, "--out", c],
    ];
    for args in cases {
        let out = vasrec(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("name the same file"), "{args:?}: {stderr}");
        assert_eq!(
            fs::read(&customers).unwrap(),
            before,
            "{args:?} changed the input"
        );
    }
    assert!(!report.exists());
    let _ = fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_rewritten_report_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder("mode");
    for (command, name) in [("dry-run", "report.json"), ("score", "scores.jsonl")] {
        let target = dir.join(name);
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        let mut args = vec![command, "--out", target.to_str().unwrap()];
        if command == "dry-run" {
            args.extend(["--format", "json"]);
        }
        let out = vasrec(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{command} --out changed the file's mode");
        assert_ne!(fs::read_to_string(&target).unwrap(), "old");
    }
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    interrupt("term", &[]);
}

/// A run started in the background of a script (SIGINT ignored) or under
/// `nohup` (SIGHUP ignored) still cleans up on SIGTERM.
#[cfg(unix)]
#[test]
fn a_run_that_ignores_sigint_and_sighup_still_cleans_up_on_sigterm() {
    interrupt("term-ignoring", &["trap '' INT HUP; exec \"$0\" \"$@\""]);
}

/// Starts `vasrec score` writing a file (through `sh -c SCRIPT` when one is
/// given), sends it SIGTERM while it writes, and checks that it stopped and
/// left no temporary file.
#[cfg(unix)]
fn interrupt(name: &str, shell: &[&str]) {
    let dir = folder(name);
    let target = dir.join("scores.jsonl");
    let program = env!("CARGO_BIN_EXE_vasrec");
    let mut command = match shell {
        [script] => {
            let mut c = Command::new("sh");
            c.args(["-c", script, program]);
            c
        }
        _ => Command::new(program),
    };
    // Customers come from a pipe kept open, so the run is still writing when
    // it is told to stop.
    let mut child = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "score",
            "--ignore-capacity",
            "--customers",
            "-",
            "--out",
            target.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let header =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/customers.csv"))
            .unwrap();
    let mut lines = header.lines();
    writeln!(stdin, "{}", lines.next().unwrap()).unwrap();
    for line in lines.take(100) {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    // Wait for the temporary file to appear, then interrupt.
    let temp_exists = || {
        fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
    };
    let start = Instant::now();
    while !temp_exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(temp_exists(), "the run never started writing");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "SIGTERM did not stop the run"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let left: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !temp_exists(),
        "a temporary file was left after SIGTERM (the run ended with {status}; the folder \
         holds {left:?})"
    );
    assert!(
        !target.exists(),
        "an interrupted run must not leave a half-written output"
    );
    // As a shell reports a run killed by SIGTERM.
    assert_eq!(status.code(), Some(143), "{status}");
    let _ = fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn the_spool_of_standard_input_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = folder("spool");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TMPDIR", &tmp)
        .args([
            "dry-run",
            "--customers",
            "-",
            "--format",
            "json",
            "--out",
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let sample =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/customers.csv"))
            .unwrap();
    stdin.write_all(sample.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // While standard input is still open, the spool exists: look at it.
    let spool = || {
        fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .next()
    };
    let start = Instant::now();
    while spool().is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let path = spool().expect("the spool was created in TMPDIR");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        mode, 0o600,
        "the spool of standard input is readable by others"
    );
    assert!(spool().is_none(), "the spool was left behind");
    let _ = fs::remove_dir_all(&tmp);
}
