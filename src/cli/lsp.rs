//! `vasrec lsp`: a language server over stdio, for `.vas` files and
//! `catalog.yaml`. A thin transport: JSON-RPC comes in through
//! `lsp-server`, every question is answered by `vasrec::ide` in byte
//! offsets, and this file converts them to and from the protocol's lines
//! and UTF-16 columns. It logs to stderr only; stdout is the protocol's.
//!
//! A document belongs to the package of the nearest folder above it that
//! holds a `catalog.yaml`; several packages may be open at once. Each is
//! read from disk as `vasrec check` reads it (confined to its folder), the
//! editor's buffers are laid over it, and the whole package is checked
//! again once the editor has been quiet for [`DEBOUNCE`]. Nothing is ever
//! written: renames, quick fixes and formatting (`vasrec fmt`'s layout)
//! are edits the editor applies.

mod convert;

use convert::{
    apply_change, document_symbol, lsp_diagnostic, range_in, uri_to_path, workspace_edit,
};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vasrec::ide::{self, Analysis, LineIndex};

/// How long the server waits after the last edit before checking again.
/// Edits that come in a burst (typing, a paste sent as many changes) are
/// checked once. A check of the bundled package takes about 6 ms
/// (`cargo bench --bench ide`), so diagnostics come back about 30 ms after
/// the last keystroke, inside the 50 ms the issue asks for.
const DEBOUNCE: Duration = Duration::from_millis(25);

/// The most diagnostics shown for one file; one more line says how many
/// were left out. A generated file with thousands of warnings must not
/// flood the editor with megabytes of JSON on every edit.
const MAX_DIAGNOSTICS_PER_FILE: usize = 1000;

/// How long the server sleeps when nothing is waiting to be checked.
const IDLE: Duration = Duration::from_secs(3600);

#[derive(clap::Args)]
pub(super) struct Args {
    /// Accepted for editors that pass it: stdio is the only transport.
    #[arg(long, hide = true)]
    stdio: bool,
}

pub(super) fn run(args: Args) -> u8 {
    let _ = args.stdio;
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => super::EXIT_OK,
        Err(error) => {
            eprintln!("vasrec lsp: {error}");
            // The protocol's exit code when the editor quits without
            // `shutdown`, or the connection breaks.
            1
        }
    };
    drop(connection);
    if let Err(error) = io_threads.join() {
        eprintln!("vasrec lsp: {error}");
    }
    code
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..lsp::TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "[".into(), "\"".into()]),
            ..lsp::CompletionOptions::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..lsp::CodeActionOptions::default()
            },
        )),
        ..lsp::ServerCapabilities::default()
    }
}

fn send(connection: &Connection, message: impl Into<Message>) {
    if connection.sender.send(message.into()).is_err() {
        eprintln!("vasrec lsp: cannot write to the editor");
    }
}

/// Waits for `initialize` and answers it; requests before it are refused
/// as the protocol says, notifications ignored.
fn handshake(connection: &Connection) -> Result<(), String> {
    loop {
        match connection.receiver.recv() {
            Ok(Message::Request(request)) if request.method == "initialize" => {
                let result = json!({
                    "capabilities": capabilities(),
                    "serverInfo": { "name": "vasrec", "version": env!("CARGO_PKG_VERSION") },
                });
                send(connection, Response::new_ok(request.id, result));
                return Ok(());
            }
            Ok(Message::Request(request)) => send(
                connection,
                Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the first request must be `initialize`".into(),
                ),
            ),
            Ok(Message::Notification(n)) if n.method == "exit" => {
                return Err("`exit` came before `initialize`".into());
            }
            Ok(_) => {}
            Err(_) => return Err("the editor closed the connection before `initialize`".into()),
        }
    }
}

fn serve(connection: &Connection) -> Result<(), String> {
    handshake(connection)?;
    let mut server = Server::default();
    let mut shutting_down = false;
    loop {
        let wait = server
            .next_check()
            .map_or(IDLE, |at| at.saturating_duration_since(Instant::now()));
        let message = match connection.receiver.recv_timeout(wait) {
            Ok(message) => message,
            Err(error) if error.is_timeout() => {
                server.check_due(connection);
                continue;
            }
            Err(_) => return Err("the editor closed the connection without `exit`".into()),
        };
        match message {
            Message::Request(request) if shutting_down => send(
                connection,
                Response::new_err(
                    request.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down".into(),
                ),
            ),
            Message::Request(request) if request.method == "shutdown" => {
                shutting_down = true;
                send(connection, Response::new_ok(request.id, Value::Null));
            }
            Message::Request(request) => {
                let response = server.answer(connection, request);
                send(connection, response);
            }
            Message::Notification(n) if n.method == "exit" => {
                return if shutting_down {
                    Ok(())
                } else {
                    Err("`exit` came before `shutdown`".into())
                };
            }
            Message::Notification(n) => server.notified(n),
            Message::Response(_) => {}
        }
    }
}

/// An editor buffer of a package file.
struct Buffer {
    uri: String,
    text: String,
    version: Option<i32>,
}

/// One package: its folder's files, the editor's buffers over them, and
/// the last analysis.
struct Package {
    root: PathBuf,
    disk: ide::files::Folder,
    /// Open buffers by package name.
    open: BTreeMap<String, Buffer>,
    analysis: Option<Analysis>,
    /// Files that have diagnostics shown, with the URI they are shown at,
    /// to clear them when they are fixed.
    published: BTreeMap<String, String>,
    /// When the package changed without being checked since.
    dirty_since: Option<Instant>,
}

impl Package {
    fn load(root: PathBuf) -> Package {
        eprintln!("vasrec lsp: package {}", root.display());
        Package {
            disk: ide::files::read_folder(&root),
            root,
            open: BTreeMap::new(),
            analysis: None,
            published: BTreeMap::new(),
            dirty_since: Some(Instant::now()),
        }
    }

    /// Reads the folder again (after a save, or a close that dropped
    /// unsaved edits) and marks the package for checking.
    fn reread(&mut self) {
        self.disk = ide::files::read_folder(&self.root);
        self.changed();
    }

    fn changed(&mut self) {
        self.dirty_since.get_or_insert_with(Instant::now);
    }

    /// The URI a file is shown at: its buffer's when open.
    fn uri(&self, name: &str) -> String {
        match self.open.get(name) {
            Some(buffer) => buffer.uri.clone(),
            None => convert::path_to_uri(&self.root.join(name)),
        }
    }

    /// Checks the package again if it changed, and publishes diagnostics
    /// for every file (empty ones for files whose problems are gone).
    fn check(&mut self, connection: &Connection) {
        if self.dirty_since.take().is_none() {
            return;
        }
        let mut files = self.disk.files.clone();
        for (name, buffer) in &self.open {
            files.insert(name.clone(), buffer.text.clone());
        }
        let analysis = Analysis::in_folder(&self.root, files, &self.disk.unread);
        let mut by_file: BTreeMap<&str, Vec<lsp::Diagnostic>> = BTreeMap::new();
        let mut left_out: BTreeMap<&str, usize> = BTreeMap::new();
        for d in analysis.diagnostics() {
            let list = by_file.entry(&d.file).or_default();
            if list.len() < MAX_DIAGNOSTICS_PER_FILE {
                list.push(lsp_diagnostic(&analysis, d, |name| self.uri(name)));
            } else {
                *left_out.entry(&d.file).or_default() += 1;
            }
        }
        for (name, more) in left_out {
            by_file.entry(name).or_default().push(lsp::Diagnostic {
                severity: Some(lsp::DiagnosticSeverity::INFORMATION),
                source: Some("vasrec".into()),
                message: format!(
                    "{more} more problems in this file are not shown; `vasrec check` lists them all"
                ),
                ..lsp::Diagnostic::default()
            });
        }
        let mut published = BTreeMap::new();
        for (name, uri) in std::mem::take(&mut self.published) {
            if !by_file.contains_key(name.as_str()) {
                publish(connection, uri, Vec::new(), None);
            }
        }
        for (name, diagnostics) in by_file {
            let uri = self.uri(name);
            let version = self.open.get(name).and_then(|b| b.version);
            publish(connection, uri.clone(), diagnostics, version);
            published.insert(name.to_string(), uri);
        }
        self.published = published;
        self.analysis = Some(analysis);
    }
}

fn publish(
    connection: &Connection,
    uri: String,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) {
    let params = json!({ "uri": uri, "diagnostics": diagnostics, "version": version });
    let notification = Notification::new("textDocument/publishDiagnostics".into(), params);
    send(connection, notification);
}

/// The packages of the documents the editor opened or asked about.
#[derive(Default)]
struct Server {
    packages: BTreeMap<PathBuf, Package>,
}

/// The package folder and the name in it of a document, when it is a file
/// the checker reads, one of the package's test case files or a CSV file a
/// table may read its rows from.
fn locate(uri: &str) -> Option<(PathBuf, String)> {
    let path = uri_to_path(uri)?;
    let root = ide::files::package_root(&path)?;
    let name = ide::files::package_name(&root, &path)?;
    let known = ide::files::is_package_file(&name)
        || ide::files::is_case_file(&name)
        || ide::files::is_table_file(&name);
    known.then_some((root, name))
}

fn document_uri(params: &Value) -> &str {
    params
        .pointer("/textDocument/uri")
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Server {
    /// When the next package is due to be checked.
    fn next_check(&self) -> Option<Instant> {
        self.packages
            .values()
            .filter_map(|p| p.dirty_since)
            .min()
            .map(|since| since + DEBOUNCE)
    }

    /// Checks the packages whose editor has been quiet long enough.
    fn check_due(&mut self, connection: &Connection) {
        for package in self.packages.values_mut() {
            if package
                .dirty_since
                .is_some_and(|since| since.elapsed() >= DEBOUNCE)
            {
                package.check(connection);
            }
        }
    }

    fn package(&mut self, root: PathBuf) -> &mut Package {
        self.packages
            .entry(root.clone())
            .or_insert_with(|| Package::load(root))
    }

    fn notified(&mut self, notification: Notification) {
        let params = notification.params;
        let uri = document_uri(&params).to_string();
        let Some((root, name)) = locate(&uri) else {
            return;
        };
        let version = params
            .pointer("/textDocument/version")
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok());
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                let Some(text) = params.pointer("/textDocument/text").and_then(Value::as_str)
                else {
                    return;
                };
                let package = self.package(root);
                let buffer = Buffer {
                    uri,
                    text: text.to_string(),
                    version,
                };
                package.open.insert(name, buffer);
                // What changed on disk since it was read shows too.
                package.reread();
            }
            "textDocument/didChange" => {
                let Some(package) = self.packages.get_mut(&root) else {
                    return;
                };
                let Some(buffer) = package.open.get_mut(&name) else {
                    return;
                };
                let changes = params.get("contentChanges").and_then(Value::as_array);
                for change in changes.into_iter().flatten() {
                    apply_change(&mut buffer.text, change);
                }
                buffer.version = version;
                package.changed();
            }
            "textDocument/didClose" | "textDocument/didSave" => {
                let Some(package) = self.packages.get_mut(&root) else {
                    return;
                };
                // Unsaved edits of a closed buffer are gone: the disk is
                // the truth again, for it and for saved files.
                if notification.method == "textDocument/didClose" {
                    package.open.remove(&name);
                }
                package.reread();
            }
            _ => {}
        }
    }

    /// Answers one request from its package's analysis, checked first if
    /// it changed since.
    fn answer(&mut self, connection: &Connection, request: Request) -> Response {
        const ANSWERED: [&str; 8] = [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/references",
            "textDocument/rename",
            "textDocument/completion",
            "textDocument/documentSymbol",
            "textDocument/codeAction",
            "textDocument/formatting",
        ];
        let id = request.id.clone();
        if !ANSWERED.contains(&request.method.as_str()) {
            let message = format!("vasrec lsp does not answer `{}`", request.method);
            return Response::new_err(id, ErrorCode::MethodNotFound as i32, message);
        }
        let Some((root, name)) = locate(document_uri(&request.params)) else {
            return Response::new_ok(id, Value::Null);
        };
        let package = self.package(root);
        package.check(connection);
        let Some(analysis) = &package.analysis else {
            return Response::new_ok(id, Value::Null);
        };
        match answer_in(analysis, &name, &request, &|file| package.uri(file)) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }
}

/// The answer to a request about `file`, as JSON.
fn answer_in(
    analysis: &Analysis,
    file: &str,
    request: &Request,
    uri: &dyn Fn(&str) -> String,
) -> Result<Value, (ErrorCode, String)> {
    let params = &request.params;
    let empty = LineIndex::new("");
    let lines = analysis.line_index(file).unwrap_or(&empty);
    let position = |key: &str| {
        params
            .pointer(key)
            .and_then(|p| serde_json::from_value::<lsp::Position>(p.clone()).ok())
            .map(|p| lines.offset(convert::from_lsp(p)))
    };
    let at = position("/position").unwrap_or(0);
    let location = |l: &ide::Location| convert::location(analysis, l, uri);
    let value = match request.method.as_str() {
        "textDocument/hover" => json!(analysis.hover(file, at).map(|hover| lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: hover.markdown,
            }),
            range: Some(range_in(lines, &hover.range)),
        })),
        "textDocument/definition" => json!(analysis.definition(file, at).map(|l| location(&l))),
        "textDocument/references" => {
            let declaration = params
                .pointer("/context/includeDeclaration")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let found: Vec<Value> = analysis
                .references(file, at, declaration)
                .iter()
                .map(location)
                .collect();
            json!(found)
        }
        "textDocument/rename" => {
            let new_name = params.get("newName").and_then(Value::as_str).unwrap_or("");
            let edits = analysis
                .rename(file, at, new_name)
                .map_err(|e| (ErrorCode::RequestFailed, e.to_string()))?;
            workspace_edit(analysis, &edits, uri)
        }
        "textDocument/completion" => {
            let items: Vec<lsp::CompletionItem> = analysis
                .completions(file, at)
                .into_iter()
                .map(|c| convert::completion_item(lines, c))
                .collect();
            json!(items)
        }
        "textDocument/documentSymbol" => {
            let symbols: Vec<lsp::DocumentSymbol> = analysis
                .symbols(file)
                .into_iter()
                .map(|s| document_symbol(lines, s))
                .collect();
            json!(symbols)
        }
        "textDocument/codeAction" => {
            let start = position("/range/start").unwrap_or(at);
            let end = position("/range/end").unwrap_or(start).max(start);
            let actions: Vec<Value> = analysis
                .quick_fixes(file, start..end)
                .into_iter()
                .map(|fix| {
                    json!({
                        "title": fix.title,
                        "kind": lsp::CodeActionKind::QUICKFIX,
                        "edit": workspace_edit(analysis, &[fix.edit], uri),
                        "isPreferred": true,
                    })
                })
                .collect();
            json!(actions)
        }
        "textDocument/formatting" => {
            // One edit of the whole text, none when the layout is already
            // canonical or the file does not parse (as `vasrec fmt`).
            let edits: Vec<lsp::TextEdit> = analysis
                .format(file)
                .into_iter()
                .map(|edit| lsp::TextEdit {
                    range: range_in(lines, &edit.location.range),
                    new_text: edit.new_text,
                })
                .collect();
            json!(edits)
        }
        _ => Value::Null,
    };
    Ok(value)
}
