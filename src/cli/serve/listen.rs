//! The accept loop: the router served by hyper directly rather than through
//! `axum::serve`, which sets no timer and so cannot time out a connection.
//! Here a client that opens a connection and trickles its request head (or
//! sits idle between requests) is dropped after `--header-timeout-ms`, and
//! no more than `--max-connections` are open at once: past that, new
//! connections wait in the kernel's queue until one closes.

use super::log;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How connections are held.
pub(super) struct ConnectionLimits {
    /// Longest wait for a request's head, from its first byte or from the
    /// end of the previous answer on a kept-alive connection.
    pub(super) header_timeout: Duration,
    /// Open connections at most.
    pub(super) max_connections: usize,
    /// Longest wait, after a stop signal, for requests in flight.
    pub(super) drain: Duration,
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting,
/// lets the requests in flight finish (idle connections close at once) and
/// returns. Returns false when the drain took longer than `limits.drain`.
pub(super) async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> bool {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let mut stop = std::pin::pin!(stop);
    let mut accept_failed_logged = false;
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then retry;
                    // said once, not once per try.
                    if !accept_failed_logged {
                        log("error", "accept_failed", json!({"message": e.to_string()}));
                        accept_failed_logged = true;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Answers are small and written whole: no reason to hold them back.
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's errors (a reset, a header timeout) end it alone.
            let _ = watched.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_ok()
}
