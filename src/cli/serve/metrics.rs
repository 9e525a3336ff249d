//! `GET /metrics`: Prometheus text, written by hand (counters, one latency
//! histogram per endpoint, evaluation errors by what raised them, reloads).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// The endpoints counted by name; anything else is `other`.
pub(super) const ENDPOINTS: [&str; 10] = [
    "/v1/evaluate",
    "/v1/evaluate/batch",
    "/v1/explain",
    "/v1/reload",
    "/v1/package",
    "/v1/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "other",
];

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Most distinct `raised_by` labels kept, so hostile input cannot grow the
/// metrics without bound (the rest are counted as `other`).
const MAX_ERROR_LABELS: usize = 1000;

struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum of the latencies, in microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

/// The service's counters; updated from every request, read by `/metrics`.
pub(super) struct Metrics {
    /// Requests by endpoint index and status code.
    requests: Mutex<BTreeMap<(usize, u16), u64>>,
    latency: Vec<Histogram>,
    in_flight: AtomicI64,
    evaluation_errors: Mutex<BTreeMap<String, u64>>,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
}

/// Index of a request path in [`ENDPOINTS`].
pub(super) fn endpoint(path: &str) -> usize {
    ENDPOINTS[..ENDPOINTS.len() - 1]
        .iter()
        .position(|e| *e == path)
        .unwrap_or(ENDPOINTS.len() - 1)
}

impl Metrics {
    pub(super) fn new() -> Metrics {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            latency: (0..ENDPOINTS.len()).map(|_| Histogram::new()).collect(),
            in_flight: AtomicI64::new(0),
            evaluation_errors: Mutex::new(BTreeMap::new()),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
        }
    }

    pub(super) fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// One request answered.
    pub(super) fn finished(&self, endpoint: usize, status: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((endpoint, status))
            .or_insert(0) += 1;
        let Some(histogram) = self.latency.get(endpoint) else {
            return;
        };
        let seconds = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            histogram.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        histogram.count.fetch_add(1, Ordering::Relaxed);
        histogram
            .sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// A rule or script failed on a customer.
    pub(super) fn evaluation_error(&self, raised_by: String) {
        let mut errors = self
            .evaluation_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let key = if errors.len() < MAX_ERROR_LABELS || errors.contains_key(&raised_by) {
            raised_by
        } else {
            "other".to_string()
        };
        *errors.entry(key).or_insert(0) += 1;
    }

    pub(super) fn reloaded(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(super) fn render(&self, package: &str, hash: &str, loaded_at: f64) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP vasrec_requests_total HTTP requests answered, by endpoint and status.\n",
        );
        out.push_str("# TYPE vasrec_requests_total counter\n");
        for ((endpoint, status), count) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "vasrec_requests_total{{endpoint=\"{}\",status=\"{status}\"}} {count}",
                ENDPOINTS[*endpoint]
            );
        }
        out.push_str("# HELP vasrec_request_duration_seconds Time from the request's head to the answer, by endpoint.\n");
        out.push_str("# TYPE vasrec_request_duration_seconds histogram\n");
        for (i, histogram) in self.latency.iter().enumerate() {
            let count = histogram.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let name = ENDPOINTS[i];
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&histogram.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "vasrec_request_duration_seconds_bucket{{endpoint=\"{name}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "vasrec_request_duration_seconds_bucket{{endpoint=\"{name}\",le=\"+Inf\"}} {count}"
            );
            let sum = histogram.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "vasrec_request_duration_seconds_sum{{endpoint=\"{name}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "vasrec_request_duration_seconds_count{{endpoint=\"{name}\"}} {count}"
            );
        }
        out.push_str("# HELP vasrec_requests_in_flight Requests being handled.\n");
        out.push_str("# TYPE vasrec_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "vasrec_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str("# HELP vasrec_evaluation_errors_total Customers a rule or script failed on, by what raised the error.\n");
        out.push_str("# TYPE vasrec_evaluation_errors_total counter\n");
        for (raised_by, count) in self
            .evaluation_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "vasrec_evaluation_errors_total{{raised_by=\"{}\"}} {count}",
                label(raised_by)
            );
        }
        out.push_str("# HELP vasrec_reloads_total Package reloads, by result.\n");
        out.push_str("# TYPE vasrec_reloads_total counter\n");
        let _ = writeln!(
            out,
            "vasrec_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "vasrec_reloads_total{{result=\"error\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        );
        out.push_str("# HELP vasrec_package_info The package being served (value always 1).\n");
        out.push_str("# TYPE vasrec_package_info gauge\n");
        let _ = writeln!(
            out,
            "vasrec_package_info{{package=\"{}\",content_hash=\"{}\"}} 1",
            label(package),
            label(hash)
        );
        out.push_str("# HELP vasrec_package_loaded_at_seconds When the package being served was loaded (Unix time).\n");
        out.push_str("# TYPE vasrec_package_loaded_at_seconds gauge\n");
        let _ = writeln!(out, "vasrec_package_loaded_at_seconds {loaded_at}");
        out
    }
}

/// A label value, escaped as the exposition format asks (`\`, `"`, newline).
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
