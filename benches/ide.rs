//! How long an editor waits for diagnostics after an edit.
//!
//! ```text
//! cargo bench --features lsp --bench ide   # all three (without the feature, the first two)
//! ```
//!
//! `vasrec lsp` answers an edit by building a new `vasrec::ide::Analysis`
//! from the package's texts in memory (the folder's files with the edited
//! buffer laid over them): the real checker over the whole package, plus the
//! index for navigation. That is what is measured here, on the bundled
//! package, alternating between a clean `rules.vas` and one with a
//! misspelt segment (so half the runs report an error with a suggestion).
//!
//! - `recheck_after_edit/bundled`: `Analysis::in_folder` (the bundled table's
//!   rows read from the folder, as the server does) + reading its diagnostics.
//! - `recheck_after_edit/diagnostics_for_file`: the same, then the
//!   diagnostics of the edited file converted to editor positions (lines
//!   and UTF-16 columns) with the analysis's line index, which is all the
//!   server adds before writing JSON.
//!
//! - `lsp_round_trip/did_change_to_diagnostics` (with the `lsp` feature):
//!   the whole path an editor sees, through the real `vasrec lsp` binary
//!   over pipes: send a `didChange` of `rules.vas`, wait for its
//!   `publishDiagnostics`. This includes the server's debounce (25 ms of
//!   quiet after the last edit before it checks), JSON on both sides and
//!   the process switches. It runs the binary of the profile being built:
//!   `cargo bench` builds it optimised.

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;
use vasrec::ide::{Analysis, LineIndex, files};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn package() -> (BTreeMap<String, String>, String) {
    let root = root();
    let files = files::read_package(&root);
    let typo = files["rules.vas"].replacen("for high_value,", "for high_valu,", 1);
    (files, typo)
}

fn benches(c: &mut Criterion) {
    let (clean, typo) = package();
    let mut edited = clean.clone();
    edited.insert("rules.vas".into(), typo);
    let versions = [clean, edited];
    let root = root();
    let mut group = c.benchmark_group("recheck_after_edit");
    let mut turn = 0usize;
    group.bench_function("bundled", |b| {
        b.iter(|| {
            turn += 1;
            let analysis = Analysis::in_folder(&root, versions[turn % 2].clone(), &[]);
            black_box(analysis.diagnostics().len())
        })
    });
    group.bench_function("diagnostics_for_file", |b| {
        b.iter(|| {
            turn += 1;
            let analysis = Analysis::in_folder(&root, versions[turn % 2].clone(), &[]);
            let empty = LineIndex::new("");
            let lines = analysis.line_index("rules.vas").unwrap_or(&empty);
            let positions: Vec<_> = analysis
                .diagnostics()
                .iter()
                .filter(|d| d.file == "rules.vas")
                .map(|d| (lines.position(d.range.start), lines.position(d.range.end)))
                .collect();
            black_box(positions)
        })
    });
    group.finish();
}

#[cfg(feature = "lsp")]
mod round_trip {
    use criterion::Criterion;
    use serde_json::{Value, json};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{ChildStdin, ChildStdout, Command, Stdio};

    fn send(stdin: &mut ChildStdin, message: &Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        stdin.write_all(framed.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn read(stdout: &mut BufReader<ChildStdout>) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the server stopped"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Reads messages until the diagnostics of `uri` arrive.
    fn diagnostics_of(stdout: &mut BufReader<ChildStdout>, uri: &str) {
        loop {
            let message = read(stdout);
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return;
            }
        }
    }

    pub(super) fn bench(c: &mut Criterion, clean: &str, typo: &str) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let uri = format!("file://{}/rules.vas", root.display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let request = |id: i64, method: &str, params: Value| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let notification = |method: &str, params: Value| json!({ "jsonrpc": "2.0", "method": method, "params": params });
        send(
            &mut stdin,
            &request(1, "initialize", json!({ "capabilities": {} })),
        );
        read(&mut stdout);
        send(&mut stdin, &notification("initialized", json!({})));
        send(
            &mut stdin,
            &notification(
                "textDocument/didOpen",
                json!({ "textDocument": { "uri": uri, "languageId": "vas", "version": 1, "text": clean } }),
            ),
        );
        // Each edit flips the typo in or out, so each one changes what
        // `rules.vas` shows and is answered with its diagnostics.
        let mut version = 1;
        send(
            &mut stdin,
            &notification(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": typo }] }),
            ),
        );
        diagnostics_of(&mut stdout, &uri);
        let mut group = c.benchmark_group("lsp_round_trip");
        group.sample_size(30);
        group.bench_function("did_change_to_diagnostics", |b| {
            b.iter(|| {
                version += 1;
                let text = if version % 2 == 0 { typo } else { clean };
                send(
                    &mut stdin,
                    &notification(
                        "textDocument/didChange",
                        json!({ "textDocument": { "uri": uri, "version": version + 1 },
                                "contentChanges": [{ "text": text }] }),
                    ),
                );
                diagnostics_of(&mut stdout, &uri);
            })
        });
        group.finish();
        send(&mut stdin, &request(2, "shutdown", Value::Null));
        read(&mut stdout);
        send(&mut stdin, &notification("exit", Value::Null));
        let _ = child.wait();
    }
}

fn all(c: &mut Criterion) {
    benches(c);
    #[cfg(feature = "lsp")]
    {
        let (clean, typo) = package();
        round_trip::bench(c, &clean["rules.vas"], &typo);
    }
}

criterion_group!(ide, all);
criterion_main!(ide);
