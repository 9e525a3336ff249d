//! Customer files from someone else: endless or huge lines, CRLF line ends,
//! duplicated columns and keys, invalid UTF-8 in the header. Each is refused
//! with exit code 2 and a message naming the place, quickly and without
//! buffering the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A file under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "vasrec-hostile-input-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `vasrec` with a 20 s guard: a run still going then is killed and
/// the test fails.
fn vasrec(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so a chatty run cannot block on them.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).unwrap();
        v
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`vasrec {}` still running after 20 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn dry_run(file: &str) -> Output {
    vasrec(&[
        "dry-run",
        "--rules",
        "rules",
        "--customers",
        file,
        "--format",
        "json",
        "--out",
        "/dev/null",
    ])
}

/// Asserts exit code 2 and that standard error has every one of `wanted`.
fn assert_refused(out: &Output, wanted: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "`{w}` not in: {stderr}");
    }
}

/// The header and the first `rows` data rows of the bundled sample.
fn sample(rows: usize) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("rules/customers.csv")).unwrap();
    text.lines().take(rows + 1).map(str::to_string).collect()
}

fn join(lines: &[String], end: &str) -> Vec<u8> {
    lines
        .iter()
        .map(|l| format!("{l}{end}"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn an_endless_csv_header_is_refused_quickly() {
    let started = Instant::now();
    let out = dry_run("/dev/zero");
    assert_refused(
        &out,
        &[
            "/dev/zero:1: the header row is longer than 1048576 bytes",
            "limits.max_row_bytes",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_csv_header_or_row_over_the_limit_is_refused() {
    let header = "a,".repeat(600 * 1024) + "\n";
    let file = TempFile::new("long-header.csv", header.as_bytes());
    assert_refused(
        &dry_run(file.path()),
        &[":1: the header row is longer than 1048576 bytes"],
    );

    // Separators only: no byte of the row is a value, yet it is refused.
    let mut lines = sample(2);
    lines.insert(2, ",".repeat(2 * 1024 * 1024));
    let file = TempFile::new("long-row.csv", &join(&lines, "\n"));
    assert_refused(
        &dry_run(file.path()),
        &[":3: the row is longer than 1048576 bytes"],
    );
}

#[test]
fn a_json_lines_line_over_the_limit_is_refused() {
    let mut text = String::from("{\"customerID\":\"");
    text.push_str(&"x".repeat(2 * 1024 * 1024));
    text.push_str("\"}\n");
    let file = TempFile::new("long.jsonl", text.as_bytes());
    assert_refused(
        &dry_run(file.path()),
        &[":1: the line is longer than 1048576 bytes"],
    );
}

#[test]
fn crlf_line_numbers_are_right() {
    let mut lines = sample(5);
    // The 3rd data row, on line 4, has a bad yes/no value.
    lines[3] = lines[3].replacen(",0,", ",zz,", 1);
    assert!(lines[3].contains(",zz,"));
    for end in ["\n", "\r\n"] {
        let file = TempFile::new("bad-row.csv", &join(&lines, end));
        assert_refused(
            &dry_run(file.path()),
            &[&format!("{}:4:3: `SeniorCitizen`", file.path())],
        );
    }
    // Empty lines are skipped, and counted.
    let mut spaced = lines.clone();
    spaced.insert(2, String::new());
    for end in ["\n", "\r\n"] {
        let file = TempFile::new("bad-row-spaced.csv", &join(&spaced, end));
        assert_refused(
            &dry_run(file.path()),
            &[&format!("{}:5:3: `SeniorCitizen`", file.path())],
        );
    }
}

#[test]
fn crlf_and_lf_files_score_the_same() {
    let lines = sample(20);
    let lf = TempFile::new("lf.csv", &join(&lines, "\n"));
    let crlf = TempFile::new("crlf.csv", &join(&lines, "\r\n"));
    let score = |file: &str| vasrec(&["score", "--rules", "rules", "--customers", file]);
    let (a, b) = (score(lf.path()), score(crlf.path()));
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert!(!a.stdout.is_empty());
    let a = String::from_utf8(a.stdout).unwrap();
    assert_eq!(a, String::from_utf8(b.stdout).unwrap());
    // The first record is on line 2.
    let first: serde_json::Value = serde_json::from_str(a.lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 2, "{first}");
}

#[test]
fn a_duplicated_csv_column_is_refused() {
    let mut lines = sample(2);
    // `tenure` is column 6; a second one at the end.
    lines[0].push_str(",tenure");
    for line in &mut lines[1..] {
        line.push_str(",3");
    }
    let file = TempFile::new("twice.csv", &join(&lines, "\n"));
    let width = lines[0].split(',').count();
    assert_refused(
        &dry_run(file.path()),
        &[&format!(
            "{}:1:{width}: the header names the column `tenure` twice, as columns 6 and {width}",
            file.path()
        )],
    );
}

#[test]
fn a_duplicated_json_key_is_refused() {
    let rows = [
        r#"{"customerID":"A1","tenure":5,"MonthlyCharges":70.5,"InternetService":"No","Contract":"Month-to-month"}"#,
        r#"{"customerID":"A2","tenure":5,"MonthlyCharges":70.5,"InternetService":"No","tenure":7}"#,
    ];
    let file = TempFile::new("twice.jsonl", rows.join("\n").as_bytes());
    assert_refused(
        &dry_run(file.path()),
        &[&format!(
            "{}:2: the key `tenure` is in the object twice",
            file.path()
        )],
    );
}

#[test]
fn invalid_utf8_in_the_csv_header_is_refused() {
    let lines = sample(2);
    let mut bytes = join(&lines, "\n");
    // `gender`, column 2, becomes `gend\xffr`.
    let at = bytes.windows(6).position(|w| w == b"gender").unwrap();
    bytes[at + 4] = 0xff;
    let file = TempFile::new("latin1.csv", &bytes);
    assert_refused(
        &dry_run(file.path()),
        &[&format!(
            "{}:1:2: the column name is not valid UTF-8",
            file.path()
        )],
    );
}

#[test]
fn escape_sequences_in_a_bad_value_never_reach_the_terminal() {
    // `tenure` is the 6th column; put a screen-clearing sequence in it.
    let mut lines = sample(3);
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[5] = "\u{1b}[2J\u{1b}]52;c;aGk=\u{7}".to_string();
    lines[2] = cells.join(",");
    let file = TempFile::new("escape.csv", &join(&lines, "\n"));
    let out = dry_run(file.path());
    assert_refused(&out, &["expected a number"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(stderr.contains('\u{241b}'), "{stderr}");
}

/// Without the `arrow` feature, a Parquet or Arrow file is refused with how
/// to read it, not read as a CSV file of garbage.
#[cfg(not(feature = "arrow"))]
#[test]
fn parquet_and_arrow_files_need_the_arrow_feature() {
    for (name, format) in [("c.parquet", "Parquet"), ("c.arrow", "Arrow IPC")] {
        let file = TempFile::new(name, b"PAR1 not really");
        let out = dry_run(file.path());
        assert_refused(
            &out,
            &[
                &format!(
                    "{}: this vasrec was built without {format} support",
                    file.path()
                ),
                "`--features arrow`",
            ],
        );
    }
    let out = vasrec(&["score", "--rules", "rules", "--format", "parquet"]);
    assert_refused(
        &out,
        &["built without Parquet support", "`--features arrow`"],
    );
    // A survey too, and not read as a CSV file of garbage.
    let file = TempFile::new("survey.parquet", b"PAR1 not really");
    let out = vasrec(&[
        "calibrate",
        "examples/airline",
        "--survey",
        file.path(),
        "--outcome",
        "satisfied",
    ]);
    assert_refused(
        &out,
        &[
            &format!(
                "{}: this vasrec was built without Parquet support",
                file.path()
            ),
            "export the survey to CSV",
        ],
    );
}
