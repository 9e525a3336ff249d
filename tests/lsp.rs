//! `vasrec lsp` driven as an editor would: the real binary, JSON-RPC over
//! its stdin and stdout with `Content-Length` framing, on a copy of the
//! bundled package. Every wait times out, so a hang fails instead of
//! blocking the test run.
#![cfg(feature = "lsp")]

mod common;

use common::{TempDir, copy_rules};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications read while waiting for a response.
    pending: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vasrec"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            pending: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its whole response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self.next(deadline, method);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// The result of a request that must succeed.
    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn next(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.incoming
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no answer to {waiting_for} within {WAIT:?}"))
    }

    /// Waits for the diagnostics of `uri` that satisfy `wanted`.
    fn diagnostics(&mut self, uri: &str, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && wanted(m["params"]["diagnostics"].as_array().unwrap())
        };
        if let Some(i) = self.pending.iter().rposition(matches) {
            let found = self.pending.remove(i);
            return found["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let message = self.next(deadline, "publishDiagnostics");
            if matches(&message) {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(message);
        }
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// 0-based line and UTF-16 column of the first `needle` in `text`, plus `skip` bytes.
fn position(text: &str, needle: &str, skip: usize) -> Value {
    let offset = text.find(needle).unwrap() + skip;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column: usize = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({ "line": line, "character": column })
}

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

#[test]
fn an_editor_session_on_the_bundled_package() {
    let dir = TempDir::new("lsp");
    copy_rules(dir.path());
    let root = dir.path().canonicalize().unwrap();
    let rules_uri = uri(&root.join("rules.vas"));
    let segments_uri = uri(&root.join("segments.vas"));
    let rules = std::fs::read_to_string(root.join("rules.vas")).unwrap();
    let segments = std::fs::read_to_string(root.join("segments.vas")).unwrap();

    let mut client = Client::start();
    let init = client.result(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }),
    );
    let capabilities = &init["capabilities"];
    for provider in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentSymbolProvider",
    ] {
        assert_eq!(capabilities[provider], json!(true), "{provider}: {init}");
    }
    // Incremental changes; opens, closes and saves are sent.
    assert_eq!(
        capabilities["textDocumentSync"],
        json!({ "openClose": true, "change": 2, "save": true })
    );
    assert_eq!(init["serverInfo"]["name"], "vasrec");
    assert_eq!(
        capabilities["completionProvider"]["triggerCharacters"],
        json!([".", "[", "\""])
    );
    assert!(capabilities.get("documentFormattingProvider").is_none());
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": rules_uri, "languageId": "vas", "version": 1, "text": rules } }),
    );

    // Type a new segment with a Chinese name under a misspelt parent, at the
    // end of the file: the column after Chinese text counts UTF-16 units.
    let end_line = rules.matches('\n').count();
    let typed = "segment 新客户二 under new_custmer \"新客户\" { when tenure_months < 3 }\n";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": rules_uri, "version": 2 }, "contentChanges": [{
            "range": { "start": { "line": end_line, "character": 0 },
                       "end": { "line": end_line, "character": 0 } },
            "text": typed }] }),
    );
    let found = client.diagnostics(&rules_uri, |list| {
        list.iter().any(|d| d["code"] == "UNKNOWN_SEGMENT")
    });
    let typo = found
        .iter()
        .find(|d| d["code"] == "UNKNOWN_SEGMENT")
        .unwrap();
    // `segment 新客户二 under ` is 8 + 4 + 7 = 19 UTF-16 units (27 bytes).
    assert_eq!(
        typo["range"],
        json!({ "start": { "line": end_line, "character": 19 },
                "end": { "line": end_line, "character": 30 } })
    );
    assert_eq!(typo["severity"], json!(1));
    assert_eq!(typo["source"], "vasrec");
    let message = typo["message"].as_str().unwrap();
    assert!(message.contains("new_custmer"), "{message}");
    assert!(
        message.contains("help: did you mean `new_customer`?"),
        "{message}"
    );

    // The quick fix puts the suggested name in its place.
    let actions = client.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": rules_uri }, "range": typo["range"],
                "context": { "diagnostics": [typo] } }),
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["title"], "Change to `new_customer`");
    let edit = &fix["edit"]["changes"][&rules_uri][0];
    assert_eq!(edit["newText"], "new_customer");
    assert_eq!(edit["range"], typo["range"]);

    // Undo the typing: the error is cleared.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": rules_uri, "version": 3 },
                "contentChanges": [{ "text": rules }] }),
    );
    client.diagnostics(&rules_uri, |list| {
        list.iter().all(|d| d["code"] != "UNKNOWN_SEGMENT")
    });

    // Hover: a segment (label, parents, condition), a service, an attribute.
    let hover = |client: &mut Client, needle: &str| {
        let result = client.result(
            "textDocument/hover",
            at(&rules_uri, position(&rules, needle, 1)),
        );
        result["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let segment = hover(&mut client, "high_value,");
    assert!(
        segment.contains("高价值老客户") && segment.contains("under `established`"),
        "{segment}"
    );
    assert!(segment.contains("when monthly_charges >= 80"), "{segment}");
    let service = hover(&mut client, "dedicated_account_manager");
    assert!(
        service.contains("专属客户经理") && service.contains("cost 40"),
        "{service}"
    );
    let attribute = hover(&mut client, "contract in");
    assert!(
        attribute.contains("category") && attribute.contains("\"Two year\""),
        "{attribute}"
    );

    // Definition of a segment: its declaration in segments.vas.
    let definition = client.result(
        "textDocument/definition",
        at(&rules_uri, position(&rules, "high_value,", 2)),
    );
    assert_eq!(definition["uri"], segments_uri);
    assert_eq!(
        definition["range"]["start"],
        position(&segments, "segment high_value ", "segment ".len())
    );

    // References: in the three files that name it.
    let references = client.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "context": { "includeDeclaration": true } }),
    );
    let files: std::collections::BTreeSet<String> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["rules.vas", "segments.vas", "support.vas"]
    );

    // Completion after `offer ` lists services; after `pref.` preferences.
    let labels = |client: &mut Client, needle: &str, skip: usize| -> Vec<String> {
        let items = client.result(
            "textDocument/completion",
            at(&rules_uri, position(&rules, needle, skip)),
        );
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let services = labels(&mut client, "offer dedicated", "offer ".len());
    assert!(
        services.contains(&"cloud_backup".to_string()),
        "{services:?}"
    );
    assert!(
        services.contains(&"loyalty_membership".to_string()),
        "{services:?}"
    );
    let preferences = labels(&mut client, "pref.price", "pref.".len());
    assert!(
        preferences.contains(&"personalization".to_string()),
        "{preferences:?}"
    );
    assert!(
        preferences.contains(&"responsiveness".to_string()),
        "{preferences:?}"
    );

    // Rename a segment: edits in every file that names it.
    let rename = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "newName": "valuable" }),
    );
    let changes = rename["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 3, "{rename}");
    assert!(
        changes
            .values()
            .flat_map(|e| e.as_array().unwrap())
            .all(|e| e["newText"] == "valuable")
    );
    // A keyword is refused with a message, not applied.
    let refused = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "newName": "when" }),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`when`"),
        "{refused}"
    );

    // The outline of a file that is not even open.
    let outline = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": segments_uri } }),
    );
    let names: Vec<&str> = outline
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"everyone"));
    assert!(names.contains(&"high_value_flexible"));

    // Odd input gets an answer, not a crash.
    let odd = client.request("textDocument/hover", json!({ "nonsense": [1, 2] }));
    assert_eq!(odd["result"], Value::Null);
    let unknown = client.request("workspace/nothing", json!({}));
    assert!(unknown.get("result").is_some() || unknown.get("error").is_some());

    client.result("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = client.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}
