//! The endpoints: bodies read under the limits, customers evaluated with the
//! library (`vasrec score`'s records, `vasrec::explain`), errors as JSON.

use super::state::{Loaded, Shared};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use serde_json::{Map, Value, json};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// An error answer: `{"error": {"code", "message", "field"?, ...}}`.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// More keys of the error object (`field`, `raised_by`, `line`...).
    extra: Map<String, Value>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// The `error` object alone, as batch answers embed it.
    fn object(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        error.extend(self.extra.clone());
        Value::Object(error)
    }

    pub(super) fn response(&self) -> Response {
        let mut response = json_response(self.status, json!({"error": self.object()}).to_string());
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }

    /// A customer that does not fit, or a rule that failed on it.
    fn from_json_error(error: &vasrec::JsonError, shared: &Shared) -> ApiError {
        match error {
            vasrec::JsonError::Customer(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_customer",
                error.to_string(),
            )
            .with("field", e.field.clone())
            .with("column", e.column.clone()),
            vasrec::JsonError::Eval(e) => {
                shared.metrics.evaluation_error(e.raised_by());
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "evaluation_failed",
                    error.to_string(),
                )
                .with("raised_by", e.raised_by())
            }
            other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", other.to_string()),
        }
    }
}

/// A JSON answer.
pub(super) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Reads the whole body, refusing it (413) as soon as it is over `limit`
/// bytes, or at once when its `Content-Length` says it will be.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is over the limit of {limit} bytes (--max-body)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = body;
    let mut out = Vec::with_capacity(declared.map_or(1024, |n| n as usize));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Whether arrays and objects nest deeper than `max` anywhere in `bytes`
/// (a scan that skips strings; it runs before the JSON is parsed, so a
/// deep body costs no recursion).
fn too_deep(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses one JSON value under the depth limit.
fn parse(bytes: &[u8], max_depth: usize) -> Result<Value, ApiError> {
    if too_deep(bytes, max_depth) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_deep",
            format!("the JSON nests arrays and objects deeper than {max_depth} levels"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the request body is not JSON: {e}"),
        )
        .with("line", e.line())
        .with("column", e.column())
    })
}

/// One customer's record, as `vasrec score` writes it (without the newline).
fn record(
    shared: &Shared,
    loaded: &Loaded,
    evaluator: &mut vasrec::Evaluator<'_>,
    value: &Value,
    line: u64,
) -> Result<String, ApiError> {
    let engine = &loaded.engine;
    let customer = engine
        .customer_from_json(value)
        .map_err(|e| ApiError::from_json_error(&vasrec::JsonError::Customer(e), shared))?;
    let offers = evaluator
        .evaluate(&customer)
        .map_err(|e| ApiError::from_json_error(&vasrec::JsonError::Eval(e), shared))?;
    let mut out = String::with_capacity(512);
    loaded
        .formatter
        .write(engine, &mut out, &customer, line, offers);
    if out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

/// `POST /v1/evaluate`: one customer object in, its `vasrec score` record out.
pub(super) async fn evaluate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let value = read_json(&shared, &headers, body).await?;
        let loaded = shared.current();
        let mut evaluator = loaded.engine.evaluator();
        record(&shared, &loaded, &mut evaluator, &value, 1)
    }
    .await;
    respond(answer)
}

/// A request body read and parsed under the limits.
async fn read_json(shared: &Shared, headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let bytes = read_body(headers, body, shared.limits.max_body).await?;
    parse(&bytes, shared.limits.max_depth)
}

/// The JSON answer, or the error's.
fn respond(answer: Result<String, ApiError>) -> Response {
    match answer {
        Ok(text) => json_response(StatusCode::OK, text),
        Err(error) => error.response(),
    }
}

/// `POST /v1/explain`: one customer object in, `vasrec explain --format
/// json`'s explanation out.
pub(super) async fn explain(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let value = read_json(&shared, &headers, body).await?;
        let loaded = shared.current();
        let customer = loaded
            .engine
            .customer_from_json(&value)
            .map_err(|e| ApiError::from_json_error(&vasrec::JsonError::Customer(e), &shared))?;
        let explanation = vasrec::explain(&loaded.engine, &customer);
        serde_json::to_string(&explanation).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the explanation could not be written: {e}"),
            )
        })
    }
    .await;
    respond(answer)
}

/// `POST /v1/evaluate/batch`: a JSON array of customers (answered with an
/// array) or JSON Lines (answered with JSON Lines), in order; a customer
/// that fails gets `{"line": N, "error": {...}}` in its place. The answer
/// is streamed as it is computed, so the first records leave before the
/// last customer is evaluated and the whole answer is never held in memory.
pub(super) async fn batch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match read_body(&headers, body, shared.limits.max_body).await {
        Ok(bytes) => bytes,
        Err(error) => return error.response(),
    };
    let deadline = Instant::now() + shared.limits.timeout;
    let worker = Arc::clone(&shared);
    let (items, lines) =
        match tokio::task::spawn_blocking(move || batch_items(&bytes, &worker)).await {
            Ok(Ok(parsed)) => parsed,
            Ok(Err(error)) => return error.response(),
            Err(_) => return internal("the batch could not be read"),
        };
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let worker = Arc::clone(&shared);
    tokio::task::spawn_blocking(move || stream_batch(&worker, &items, lines, deadline, &sender));
    let kind = if lines {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        Body::new(Streamed(receiver)),
    )
        .into_response()
}

fn internal(message: &str) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message).response()
}

/// An answer body fed, chunk by chunk, by a blocking task.
struct Streamed(tokio::sync::mpsc::Receiver<Bytes>);

impl HttpBody for Streamed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// A body that holds something (a concurrency slot) until it is sent.
pub(super) struct Holding<T> {
    pub(super) body: Body,
    /// Never read: kept to be dropped with the body.
    pub(super) _held: T,
}

impl<T: Unpin> HttpBody for Holding<T> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// One customer of a batch: its line, and the JSON read or why it could not be.
type Item = (u64, Result<Value, ApiError>);

/// The customers of a batch body, each with its line (the array's index
/// from 1, or the line of the JSON Lines text), and whether it was JSON Lines.
fn batch_items(bytes: &[u8], shared: &Shared) -> Result<(Vec<Item>, bool), ApiError> {
    let max_depth = shared.limits.max_depth;
    let max_batch = shared.limits.max_batch;
    let too_many = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("the batch has more than {max_batch} customers (--max-batch)"),
        )
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let Value::Array(items) = parse(bytes, max_depth + 1)? else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "expected a JSON array",
            ));
        };
        if items.len() > max_batch {
            return Err(too_many());
        }
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (i as u64 + 1, Ok(item)))
            .collect();
        return Ok((items, false));
    }
    let mut items = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if items.len() == max_batch {
            return Err(too_many());
        }
        items.push((i as u64 + 1, parse(line, max_depth)));
    }
    Ok((items, true))
}

/// Bytes gathered before they are handed to the connection.
const STREAM_CHUNK: usize = 32 * 1024;

/// Evaluates a batch's customers in order into `sender`, until the last or
/// until the deadline passes (then an item with the `timeout` error and the
/// first line not evaluated ends the answer); stops early when the client
/// has gone.
fn stream_batch(
    shared: &Shared,
    items: &[Item],
    lines: bool,
    deadline: Instant,
    sender: &tokio::sync::mpsc::Sender<Bytes>,
) {
    let loaded = shared.current();
    let mut evaluator = loaded.engine.evaluator();
    let mut out = String::with_capacity(STREAM_CHUNK + 1024);
    let separator = |out: &mut String, n: usize| {
        if lines {
            if n > 0 {
                out.push('\n');
            }
        } else {
            out.push(if n == 0 { '[' } else { ',' });
        }
    };
    for (n, (line, item)) in items.iter().enumerate() {
        separator(&mut out, n);
        if n % 64 == 0 && Instant::now() > deadline {
            let error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the batch took longer than the request timeout (--timeout-ms); \
                 the customers from this line on were not evaluated",
            );
            out.push_str(&json!({"line": line, "error": error.object()}).to_string());
            break;
        }
        let answer = item.as_ref().map_err(|e| e.object()).and_then(|value| {
            record(shared, &loaded, &mut evaluator, value, *line).map_err(|e| e.object())
        });
        match answer {
            Ok(text) => out.push_str(&text),
            Err(error) => out.push_str(&json!({"line": line, "error": error}).to_string()),
        }
        if out.len() >= STREAM_CHUNK {
            let chunk = Bytes::from(std::mem::replace(
                &mut out,
                String::with_capacity(STREAM_CHUNK + 1024),
            ));
            if sender.blocking_send(chunk).is_err() {
                return;
            }
        }
    }
    if lines {
        if !items.is_empty() {
            out.push('\n');
        }
    } else {
        if items.is_empty() {
            out.push('[');
        }
        out.push(']');
    }
    let _ = sender.blocking_send(Bytes::from(out));
}

/// `POST /v1/reload` (with `--allow-reload`): reloads the package folder;
/// on errors the engine in use stays and the errors come back (422).
pub(super) async fn reload(State(shared): State<Arc<Shared>>) -> Response {
    if !shared.limits.allow_reload {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "reload_disabled",
            "reloading over HTTP is off; start `vasrec serve` with --allow-reload, or send SIGHUP",
        )
        .response();
    }
    let worker = Arc::clone(&shared);
    match tokio::task::spawn_blocking(move || super::reload_logged(&worker, "http")).await {
        Ok(Ok(answer)) => json_response(StatusCode::OK, answer.to_string()),
        Ok(Err(answer)) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reload_failed",
            "the package has errors; the engine in use stays",
        )
        .with("diagnostics", answer["errors"].clone())
        .response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the reload could not run",
        )
        .response(),
    }
}

/// `GET /v1/package`.
pub(super) async fn package(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, shared.package_json().to_string())
}

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> Response {
    json_response(StatusCode::OK, json!({"status": "ok"}).to_string())
}

/// `GET /readyz`: ready for traffic until a shutdown signal came.
pub(super) async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stopping",
            "the service is shutting down",
        )
        .response();
    }
    let loaded = shared.current();
    json_response(
        StatusCode::OK,
        json!({"status": "ready", "package": loaded.engine.catalog().package,
               "content_hash": loaded.hash})
        .to_string(),
    )
}

/// `GET /metrics`: Prometheus text.
pub(super) async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let loaded = shared.current();
    let text = shared.metrics.render(
        &loaded.engine.catalog().package,
        &loaded.hash,
        loaded.loaded_at,
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// `GET /v1/openapi.json`: the API's description.
pub(super) async fn openapi() -> Response {
    json_response(StatusCode::OK, include_str!("openapi.json").to_string())
}

/// Any other path.
pub(super) async fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /v1/openapi.json",
    )
    .response()
}

#[cfg(test)]
mod tests {
    use super::super::Limits;
    use super::super::state::Shared;
    use super::{Item, stream_batch, too_deep};
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

    fn shared() -> Shared {
        let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let live = vasrec::LiveEngine::load(std::path::Path::new(rules)).expect("bundled package");
        let limits = Limits {
            max_body: 1 << 20,
            max_depth: 32,
            max_batch: 10_000,
            timeout: Duration::from_secs(10),
            max_concurrent: 4,
            allow_reload: false,
        };
        Shared::new(live, limits)
    }

    /// The batch answer `stream_batch` sends, and in how many chunks.
    fn streamed(items: &[Item], lines: bool, deadline: Instant) -> (String, usize) {
        let shared = shared();
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1_000);
        stream_batch(&shared, items, lines, deadline, &sender);
        drop(sender);
        let (mut text, mut chunks) = (String::new(), 0);
        while let Ok(chunk) = receiver.try_recv() {
            text.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
            chunks += 1;
        }
        (text, chunks)
    }

    fn customers(n: u64) -> Vec<Item> {
        (1..=n)
            .map(|i| {
                (
                    i,
                    Ok(json!({"customerID": format!("C-{i}"), "tenure": i % 72})),
                )
            })
            .collect()
    }

    #[test]
    fn a_batch_answer_is_sent_in_chunks_that_join_into_one_document() {
        let later = Instant::now() + Duration::from_secs(3600);
        let (text, chunks) = streamed(&customers(300), false, later);
        assert!(chunks > 1, "one chunk of {} bytes", text.len());
        let items: Vec<Value> = serde_json::from_str(&text).expect("one JSON array");
        assert_eq!(items.len(), 300);
        assert_eq!(items[299]["customer_id"], "C-300");

        let (text, _) = streamed(&customers(300), true, later);
        assert!(text.ends_with('\n'));
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 300);
        assert_eq!(lines[0]["customer_id"], "C-1");

        assert_eq!(streamed(&[], false, later).0, "[]");
        assert_eq!(streamed(&[], true, later).0, "");
    }

    #[test]
    fn a_batch_past_its_deadline_ends_with_a_timeout_item_naming_the_first_line_left() {
        let past = Instant::now() - Duration::from_millis(1);
        let (text, _) = streamed(&customers(300), false, past);
        let items: Vec<Value> = serde_json::from_str(&text).expect("a closed JSON array");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["line"], 1);
        assert_eq!(items[0]["error"]["code"], "timeout");
        let (text, _) = streamed(&customers(300), true, past);
        let last: Value = serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
        assert_eq!(last["error"]["code"], "timeout");
    }

    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert!(!too_deep(br#"{"a": [1, {"b": 2}]}"#, 3));
        assert!(too_deep(br#"{"a": [1, {"b": [2]}]}"#, 3));
        assert!(!too_deep(br#"{"a": "[[[[[[\"[[["}"#, 1));
        assert!(too_deep(&[b'['; 100_000], 32));
    }
}
