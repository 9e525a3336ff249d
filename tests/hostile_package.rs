//! Rule packages from an untrusted source (a pull request, say): a package
//! may read only regular files inside its own folder, and what it tries to
//! reach outside never shows up in the output.
#![cfg(unix)]

use support::{MARKER, Outcome, Sandbox, vasrec};

/// Small helpers: a copy of the bundled package in a temporary folder, a
/// secret beside it, and the binary run with a time limit.
mod support {
    use std::io::Read;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    /// Text that must never appear in any output.
    pub const MARKER: &str = "SECRET-MARKER-12345";

    /// `<tmp>/vasrec-hostile-…/` holding `P/` (a copy of `rules/`) and
    /// `secret.txt` outside it; removed on drop.
    pub struct Sandbox {
        root: PathBuf,
    }

    impl Sandbox {
        pub fn new(label: &str) -> Sandbox {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let root = std::env::temp_dir().join(format!(
                "vasrec-hostile-{label}-{}-{}-{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&root).unwrap();
            let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
            copy_dir(&rules, &root.join("P"));
            std::fs::write(root.join("secret.txt"), format!("{MARKER}\n")).unwrap();
            Sandbox { root }
        }

        /// The package folder.
        pub fn package(&self) -> PathBuf {
            self.root.join("P")
        }

        /// The package folder as an argument.
        pub fn arg(&self) -> String {
            self.package().to_str().unwrap().to_string()
        }

        /// A file outside the package holding the marker.
        pub fn secret(&self) -> PathBuf {
            self.root.join("secret.txt")
        }

        /// The sandbox folder (the package's parent).
        pub fn root(&self) -> &Path {
            &self.root
        }
    }

    impl Drop for Sandbox {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// Exit code and output of one run.
    pub struct Outcome {
        pub code: Option<i32>,
        pub stdout: String,
        pub stderr: String,
    }

    impl Outcome {
        /// Fails if the marker shows up anywhere.
        pub fn assert_no_secret(&self) {
            assert!(
                !self.stdout.contains(MARKER) && !self.stderr.contains(MARKER),
                "the secret leaked:\n{}\n{}",
                self.stdout,
                self.stderr
            );
        }
    }

    /// Runs the binary; fails if it is still running after 20 seconds.
    pub fn vasrec(args: &[&str]) -> Outcome {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("vasrec {args:?} still running after 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Outcome {
            code: status.code(),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }
}

fn symlink(target: impl AsRef<std::path::Path>, link: impl AsRef<std::path::Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn refused_as_outside(out: &Outcome, name: &str) {
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "`{name}` is a symbolic link that leads outside the package"
        )),
        "{}",
        out.stderr
    );
    out.assert_no_secret();
}

#[test]
fn a_rule_file_linked_outside_the_package_is_not_read() {
    let sandbox = Sandbox::new("vas");
    symlink(sandbox.secret(), sandbox.package().join("leak.vas"));
    refused_as_outside(&vasrec(&["check", &sandbox.arg()]), "leak.vas");
    refused_as_outside(&vasrec(&["dry-run", "--rules", &sandbox.arg()]), "leak.vas");
}

#[test]
fn a_rule_file_in_a_sub_folder_linked_outside_is_not_read() {
    let sandbox = Sandbox::new("sub");
    std::fs::create_dir(sandbox.package().join("more")).unwrap();
    symlink("../../secret.txt", sandbox.package().join("more/leak.vas"));
    refused_as_outside(&vasrec(&["check", &sandbox.arg()]), "more/leak.vas");
}

#[test]
fn a_catalog_linked_outside_the_package_is_not_read() {
    let sandbox = Sandbox::new("catalog");
    let catalog = sandbox.package().join("catalog.yaml");
    std::fs::remove_file(&catalog).unwrap();
    symlink(sandbox.secret(), &catalog);
    refused_as_outside(&vasrec(&["check", &sandbox.arg()]), "catalog.yaml");
}

#[test]
fn a_tests_folder_linked_outside_the_package_is_refused() {
    let sandbox = Sandbox::new("tests");
    let outside = sandbox.root().join("outside-tests");
    std::fs::rename(sandbox.package().join("tests"), &outside).unwrap();
    std::fs::copy(sandbox.secret(), outside.join("leak.yaml")).unwrap();
    symlink(&outside, sandbox.package().join("tests"));
    refused_as_outside(&vasrec(&["test", &sandbox.arg()]), "tests");
    refused_as_outside(&vasrec(&["check", &sandbox.arg()]), "tests");
}

#[test]
fn a_test_file_linked_outside_the_package_is_refused() {
    let sandbox = Sandbox::new("case");
    symlink(sandbox.secret(), sandbox.package().join("tests/leak.yaml"));
    refused_as_outside(&vasrec(&["test", &sandbox.arg()]), "tests/leak.yaml");
}

#[test]
fn a_device_linked_as_a_rule_file_is_refused_at_once() {
    let sandbox = Sandbox::new("zero");
    symlink("/dev/zero", sandbox.package().join("zero.vas"));
    refused_as_outside(&vasrec(&["check", &sandbox.arg()]), "zero.vas");
}

#[test]
fn a_fifo_rule_file_is_refused_without_opening_it() {
    let sandbox = Sandbox::new("fifo");
    let fifo = sandbox.package().join("y.vas");
    match std::process::Command::new("mkfifo").arg(&fifo).status() {
        Ok(status) if status.success() => {}
        _ => {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
    }
    let dir = sandbox.arg();
    for args in [
        vec!["check", dir.as_str()],
        vec!["dry-run", "--rules", dir.as_str()],
    ] {
        let out = vasrec(&args);
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("`y.vas` is a fifo, not a regular file; it was not read"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_link_that_stays_inside_the_package_still_loads() {
    let sandbox = Sandbox::new("inside");
    let package = sandbox.package();
    std::fs::create_dir(package.join("shared")).unwrap();
    std::fs::rename(
        package.join("support.vas"),
        package.join("shared/support.rules"),
    )
    .unwrap();
    symlink("shared/support.rules", package.join("support.vas"));
    let out = vasrec(&["check", &sandbox.arg()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = vasrec(&["dry-run", "--rules", &sandbox.arg()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn a_rule_file_that_is_not_utf8_is_not_echoed() {
    let sandbox = Sandbox::new("utf8");
    let mut bytes = format!("# {MARKER} ").into_bytes();
    bytes.extend([0xff, 0xfe, b'\n']);
    std::fs::write(sandbox.package().join("bad.vas"), bytes).unwrap();
    let out = vasrec(&["check", &sandbox.arg()]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("`bad.vas` is not valid UTF-8 text"),
        "{}",
        out.stderr
    );
    out.assert_no_secret();
}

fn set_sample(sandbox: &Sandbox, sample: &str) {
    let catalog = sandbox.package().join("catalog.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    assert!(text.contains("\nsample: customers.csv\n"));
    let text = text.replace(
        "\nsample: customers.csv\n",
        &format!("\nsample: {sample}\n"),
    );
    std::fs::write(catalog, text).unwrap();
}

fn refused_sample(sandbox: &Sandbox, sample: &str) {
    let out = vasrec(&["dry-run", "--rules", &sandbox.arg()]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("`sample: {sample}`"))
            && out
                .stderr
                .contains("the sample must be a file inside the package folder"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("root:"), "{}", out.stdout);
    out.assert_no_secret();
}

#[test]
fn a_sample_that_climbs_out_of_the_package_is_refused() {
    let sandbox = Sandbox::new("sample-up");
    set_sample(&sandbox, "../../../../etc/passwd");
    refused_sample(&sandbox, "../../../../etc/passwd");
}

#[test]
fn an_absolute_sample_is_refused() {
    let sandbox = Sandbox::new("sample-abs");
    set_sample(&sandbox, "/etc/passwd");
    refused_sample(&sandbox, "/etc/passwd");
}

#[test]
fn a_sample_linked_outside_the_package_is_refused() {
    let sandbox = Sandbox::new("sample-link");
    symlink(sandbox.secret(), sandbox.package().join("leak.csv"));
    set_sample(&sandbox, "leak.csv");
    refused_sample(&sandbox, "leak.csv");
}

#[test]
fn a_sample_inside_the_package_still_works() {
    let sandbox = Sandbox::new("sample-ok");
    std::fs::create_dir(sandbox.package().join("data")).unwrap();
    std::fs::rename(
        sandbox.package().join("customers.csv"),
        sandbox.package().join("data/customers.csv"),
    )
    .unwrap();
    set_sample(&sandbox, "data/../data/customers.csv");
    let out = vasrec(&["dry-run", "--rules", &sandbox.arg()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn test_cases_cannot_read_a_sample_outside_the_package() {
    let sandbox = Sandbox::new("sample-test");
    symlink(sandbox.secret(), sandbox.package().join("leak.csv"));
    set_sample(&sandbox, "leak.csv");
    let out = vasrec(&["test", &sandbox.arg()]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("the sample must be a file inside the package folder"),
        "{all}"
    );
    out.assert_no_secret();
}
