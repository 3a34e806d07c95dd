//! Counters for `/metrics`, in the Prometheus text format (version 0.0.4).
//!
//! A small hand-written registry: a handful of series do not need a metrics crate. The
//! counters live in the process, so each instance behind a load balancer reports its own
//! and Prometheus adds them up; the outbox depth is read from the shared database at
//! each scrape, so every instance reports the same figure.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the request latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    /// Observations at or below each bound in [`BUCKETS`] (cumulative at render time).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// `(route pattern, method)`, and `(route pattern, method, status)`.
type RouteKey = (String, String);

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<RouteKey, Histogram>,
    /// Email deliveries by outcome: `sent`, `retry` (a transient failure), `failed`.
    deliveries: BTreeMap<&'static str, u64>,
}

/// The process's counters. One per application, shared by its workers.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// What the database says at scrape time.
pub struct OutboxDepth {
    /// Pending emails (due now or waiting for a retry).
    pub pending: i64,
    pub failed: i64,
    pub sent: i64,
    /// Sent, and then reported undeliverable by a bounce.
    pub bounced: i64,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Counters stay usable even if a thread panicked while holding the lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a finished request under its route pattern (never its path: paths carry tokens).
    pub fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut inner = self.lock();
        *inner
            .requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        let h = inner
            .latency
            .entry((route.to_owned(), method.to_owned()))
            .or_default();
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts one delivery attempt's outcome: `sent`, `retry` or `failed`.
    pub fn observe_delivery(&self, outcome: &'static str) {
        *self.lock().deliveries.entry(outcome).or_default() += 1;
    }

    /// The text exposition. `outbox` is `None` when the database did not answer.
    pub fn render(&self, outbox: Option<&OutboxDepth>, backend: &str) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(4096);
        let mut put = |s: std::fmt::Arguments<'_>| {
            let _ = out.write_fmt(s);
        };

        put(format_args!(
            "# HELP convene_http_requests_total HTTP requests answered, by route pattern, method and status.\n\
             # TYPE convene_http_requests_total counter\n"
        ));
        for ((route, method, status), n) in &inner.requests {
            put(format_args!(
                "convene_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}\n",
                escape(route),
                escape(method)
            ));
        }

        put(format_args!(
            "# HELP convene_http_request_duration_seconds Time to answer HTTP requests, by route pattern and method.\n\
             # TYPE convene_http_request_duration_seconds histogram\n"
        ));
        for ((route, method), h) in &inner.latency {
            let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                put(format_args!(
                    "convene_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}\n"
                ));
            }
            put(format_args!(
                "convene_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 convene_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 convene_http_request_duration_seconds_count{{{labels}}} {}\n",
                h.count, h.sum, h.count
            ));
        }

        put(format_args!(
            "# HELP convene_email_deliveries_total Email delivery attempts by this process, by outcome (retry: a transient failure; failed: refused for good or given up).\n\
             # TYPE convene_email_deliveries_total counter\n"
        ));
        for outcome in ["sent", "retry", "failed"] {
            let n = inner.deliveries.get(outcome).copied().unwrap_or(0);
            put(format_args!(
                "convene_email_deliveries_total{{outcome=\"{outcome}\"}} {n}\n"
            ));
        }

        put(format_args!(
            "# HELP convene_database_up Whether the database answered this scrape.\n\
             # TYPE convene_database_up gauge\n\
             convene_database_up{{backend=\"{backend}\"}} {}\n",
            u8::from(outbox.is_some())
        ));
        if let Some(depth) = outbox {
            put(format_args!(
                "# HELP convene_outbox_emails Emails in the outbox (shared by every instance), by status.\n\
                 # TYPE convene_outbox_emails gauge\n\
                 convene_outbox_emails{{status=\"pending\"}} {}\n\
                 convene_outbox_emails{{status=\"failed\"}} {}\n\
                 convene_outbox_emails{{status=\"sent\"}} {}\n\
                 convene_outbox_emails{{status=\"bounced\"}} {}\n",
                depth.pending, depth.failed, depth.sent, depth.bounced
            ));
        }

        if let Some(rss) = resident_memory_bytes() {
            put(format_args!(
                "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
                 # TYPE process_resident_memory_bytes gauge\n\
                 process_resident_memory_bytes {rss}\n"
            ));
        }
        out
    }
}

/// Label values escaped as the text format asks (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `VmRSS` from `/proc/self/status` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_with_a_cumulative_latency_histogram() {
        let m = Metrics::default();
        m.observe_request("/api/v1/events", "GET", 200, Duration::from_millis(3));
        m.observe_request("/api/v1/events", "GET", 200, Duration::from_millis(70));
        m.observe_request("/api/v1/events", "GET", 404, Duration::from_secs(60));
        m.observe_delivery("sent");
        let text = m.render(
            Some(&OutboxDepth {
                pending: 2,
                failed: 1,
                sent: 5,
                bounced: 0,
            }),
            "sqlite",
        );
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(has(
            r#"convene_http_requests_total{route="/api/v1/events",method="GET",status="200"} 2"#
        ));
        assert!(has(
            r#"convene_http_requests_total{route="/api/v1/events",method="GET",status="404"} 1"#
        ));
        let bucket = |le: &str| {
            format!(
                r#"convene_http_request_duration_seconds_bucket{{route="/api/v1/events",method="GET",le="{le}"}}"#
            )
        };
        assert!(has(&format!("{} 1", bucket("0.005"))));
        assert!(has(&format!("{} 2", bucket("0.1"))));
        assert!(
            has(&format!("{} 2", bucket("30"))),
            "60 s is above every bound"
        );
        assert!(has(&format!("{} 3", bucket("+Inf"))));
        assert!(has(r#"convene_email_deliveries_total{outcome="sent"} 1"#));
        assert!(has(r#"convene_email_deliveries_total{outcome="failed"} 0"#));
        assert!(has(r#"convene_outbox_emails{status="pending"} 2"#));
        assert!(has(r#"convene_database_up{backend="sqlite"} 1"#));
    }

    #[test]
    fn without_the_database_the_outbox_is_left_out_and_reported_down() {
        let text = Metrics::default().render(None, "postgresql");
        assert!(text.contains("convene_database_up{backend=\"postgresql\"} 0\n"));
        assert!(!text.contains("convene_outbox_emails"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
