//! `vasrec serve`: the package as an HTTP/JSON decision service, for
//! applications not written in Rust. The transport only: evaluating,
//! records, explanations and reloads are the library's (`LiveEngine`,
//! `ScoreFormatter`, `vasrec::explain`).
//!
//! Logs are JSON lines on standard error (start, reloads, shutdown, server
//! errors); they never hold a request body. Standard output gets one line,
//! `listening on http://ADDR`, once the port is bound.

mod handlers;
mod listen;
mod metrics;
mod state;
mod watch;

use super::{EXIT_OK, EXIT_RULES, EXIT_USAGE, PackageArg};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use handlers::ApiError;
use serde_json::{Value, json};
use state::Shared;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
#[command(
    after_help = "Endpoints: POST /v1/evaluate, /v1/evaluate/batch, /v1/explain, /v1/reload;
GET /v1/package, /v1/openapi.json, /healthz, /readyz, /metrics.
SIGHUP, POST /v1/reload (with --allow-reload) and --watch reload the package
(the engine in use stays if the new files have errors);
SIGTERM or Ctrl-C stops accepting, finishes the requests in flight and exits 0.

Examples:
  vasrec serve                                   the bundled package on 127.0.0.1:8080
  vasrec serve my-rules --listen 0.0.0.0:9000 --allow-reload
  vasrec serve my-rules --watch                  reload on every saved change
  curl -s localhost:8080/v1/evaluate -d '{\"customerID\": \"C-1\", \"tenure\": 3}'
  kill -HUP $(pidof vasrec)                      reload after editing the rules"
)]
pub(super) struct Args {
    #[command(flatten)]
    package: PackageArg,
    /// Address and port to listen on (port 0: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest request body, in bytes; larger ones are answered 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// Deepest nesting of arrays and objects in a request body; deeper is a 400.
    #[arg(long, value_name = "LEVELS", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1000))]
    max_depth: u16,
    /// Most customers in one batch request; more is a 413.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_batch: usize,
    /// Longest a request may take, body included, in milliseconds; past it, a 503.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: u64,
    /// Requests to /v1 handled at once; more are answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_concurrent: u32,
    /// Worker threads (1 to 256; default: all cores).
    #[arg(long, value_parser = super::thread_count)]
    threads: Option<usize>,
    /// Longest wait for a request's head (and on an idle kept-alive
    /// connection), in milliseconds; past it, the connection is closed.
    #[arg(long, value_name = "MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_ms: u64,
    /// Open connections at most; more wait in the queue until one closes.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Accept POST /v1/reload (off by default: anyone who can reach the port could reload).
    #[arg(long)]
    allow_reload: bool,
    /// Reload when a file of the package folder changes (looked at every
    /// --watch-interval-ms; a change is reloaded once it has settled).
    #[arg(long)]
    watch: bool,
    /// How often --watch looks at the files, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1_000, requires = "watch", value_parser = clap::value_parser!(u64).range(10..))]
    watch_interval_ms: u64,
}

/// The limits every request is held to.
pub(super) struct Limits {
    max_body: usize,
    max_depth: usize,
    max_batch: usize,
    timeout: Duration,
    max_concurrent: usize,
    allow_reload: bool,
}

/// One structured log line on standard error.
fn log(level: &str, event: &str, mut fields: Value) {
    let mut line = json!({"ts": state::now(), "level": level, "event": event});
    if let (Some(line), Some(fields)) = (line.as_object_mut(), fields.as_object_mut()) {
        line.append(fields);
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Reloads and logs the outcome (`via`: `signal`, `http` or `watch`).
fn reload_logged(shared: &Shared, via: &str) -> Result<Value, Value> {
    let outcome = shared.reload();
    match &outcome {
        Ok(answer) => log(
            "info",
            "reloaded",
            json!({"via": via, "package": answer["package"], "content_hash": answer["content_hash"]}),
        ),
        Err(answer) => log(
            "error",
            "reload_failed",
            json!({"via": via, "kept": answer["content_hash"], "errors": answer["errors"]}),
        ),
    }
    outcome
}

pub(super) fn run(args: Args) -> u8 {
    let dir = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let live = match vasrec::LiveEngine::load(&dir) {
        Ok(live) => live,
        Err(error) => {
            eprint!(
                "{}",
                vasrec::render::render_all(
                    &error.diagnostics,
                    &error.sources,
                    super::stderr_color()
                )
            );
            eprintln!(
                "{}: {} error(s) found; not serving",
                dir.display(),
                error.error_count()
            );
            return EXIT_RULES;
        }
    };
    let limits = Limits {
        max_body: args.max_body,
        max_depth: usize::from(args.max_depth),
        max_batch: args.max_batch,
        timeout: Duration::from_millis(args.timeout_ms),
        max_concurrent: args.max_concurrent as usize,
        allow_reload: args.allow_reload,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the server's threads: {e}");
            return EXIT_USAGE;
        }
    };
    let connections = listen::ConnectionLimits {
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        max_connections: args.max_connections as usize,
        // Every request is bounded by --timeout-ms; a little more for the
        // answers to be written.
        drain: limits.timeout + Duration::from_secs(5),
    };
    let shared = Arc::new(Shared::new(live, limits));
    let watching = args
        .watch
        .then(|| (dir.clone(), Duration::from_millis(args.watch_interval_ms)));
    let code = runtime.block_on(serve(shared, args.listen, connections, watching));
    runtime.shutdown_timeout(Duration::from_secs(5));
    code
}

async fn serve(
    shared: Arc<Shared>,
    address: SocketAddr,
    connections: listen::ConnectionLimits,
    watching: Option<(std::path::PathBuf, Duration)>,
) -> u8 {
    // The signal handlers are in place before the address is printed, so a
    // signal sent as soon as it is known is never the default (fatal) action.
    let signals = match Signals::new() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot listen for signals: {e}");
            return EXIT_USAGE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {address}: {e}");
            return EXIT_USAGE;
        }
    };
    let bound = listener.local_addr().map_or(address, |a| a);
    let loaded = shared.current();
    log(
        "info",
        "listening",
        json!({"address": bound.to_string(), "package": loaded.engine.catalog().package,
               "content_hash": loaded.hash}),
    );
    drop(loaded);
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{bound}");
        let _ = stdout.flush();
    }
    if let Some((dir, every)) = watching {
        tokio::spawn(watch::watch(Arc::clone(&shared), dir, every));
    }
    let app = router(Arc::clone(&shared));
    let stopping = Arc::clone(&shared);
    let shutdown = signals.run(shared, async move {
        stopping.stopping.store(true, Ordering::Relaxed);
    });
    if listen::serve_connections(listener, app, &connections, shutdown).await {
        log("info", "stopped", json!({}));
    } else {
        log(
            "warn",
            "stopped",
            json!({"message": "requests still in flight after the drain time were dropped"}),
        );
    }
    EXIT_OK
}

fn router(shared: Arc<Shared>) -> Router {
    let limited = Router::new()
        .route("/v1/evaluate", post(handlers::evaluate))
        .route("/v1/evaluate/batch", post(handlers::batch))
        .route("/v1/explain", post(handlers::explain))
        .route("/v1/reload", post(handlers::reload))
        .route_layer(from_fn_with_state(Arc::clone(&shared), limit));
    Router::new()
        .merge(limited)
        .route("/v1/package", get(handlers::package))
        .route("/v1/openapi.json", get(handlers::openapi))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(Arc::clone(&shared), observe))
        .with_state(shared)
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /v1/openapi.json",
    )
    .response()
}

/// Bounded concurrency and the per-request timeout, for the `/v1` work.
async fn limit(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Ok(slot) = Arc::clone(&shared.slots).try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!(
                "{} requests are being handled (--max-concurrent); retry later",
                shared.limits.max_concurrent
            ),
        )
        .response();
    };
    match tokio::time::timeout(shared.limits.timeout, next.run(request)).await {
        // The slot is held until the answer is sent: a streamed batch
        // answer counts against the limit for as long as it is computed.
        Ok(response) => {
            response.map(|body| axum::body::Body::new(handlers::Holding { body, _held: slot }))
        }
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} ms (--timeout-ms)",
                shared.limits.timeout.as_millis()
            ),
        )
        .response(),
    }
}

/// Counts and times every request; logs server errors (never bodies).
async fn observe(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let endpoint = metrics::endpoint(request.uri().path());
    let method = request.method().to_string();
    let started = Instant::now();
    shared.metrics.started();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    shared.metrics.finished(endpoint, status, started.elapsed());
    if status >= 500 && status != 503 {
        log(
            "error",
            "request_failed",
            json!({"method": method, "endpoint": metrics::ENDPOINTS[endpoint], "status": status}),
        );
    }
    response
}

/// SIGTERM and SIGINT stop the server; SIGHUP reloads the package.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    /// Resolves when the server should stop, after running `on_stop`;
    /// reloads on every SIGHUP until then.
    #[cfg(unix)]
    async fn run(mut self, shared: Arc<Shared>, on_stop: impl Future<Output = ()>) {
        let mut hangup = self.hangup;
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                let worker = Arc::clone(&shared);
                let _ = tokio::task::spawn_blocking(move || reload_logged(&worker, "signal")).await;
            }
        });
        let signal = tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        };
        log("info", "stopping", json!({"signal": signal}));
        on_stop.await;
    }

    #[cfg(not(unix))]
    async fn run(self, _shared: Arc<Shared>, on_stop: impl Future<Output = ()>) {
        let _ = tokio::signal::ctrl_c().await;
        log("info", "stopping", json!({"signal": "ctrl-c"}));
        on_stop.await;
    }
}
