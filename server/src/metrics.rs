//! Prometheus metrics at `/metrics`: requests and latency per matched route, ingest batches and
//! answers, and the ingest queue's depth. A few counters kept by hand: no metrics crate needed.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Tables {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency.
    latency: BTreeMap<String, Histogram>,
}

#[derive(Default, Clone)]
pub struct Metrics {
    tables: Arc<Mutex<Tables>>,
}

impl Metrics {
    fn record(&self, route: String, method: String, status: u16, seconds: f64) {
        let mut t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        *t.requests
            .entry((route.clone(), method, status))
            .or_default() += 1;
        let h = t.latency.entry(route).or_default();
        for (slot, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *slot += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// The text exposition format, with the ingest figures passed in (`uncounted` is left out
    /// when the database could not say).
    pub fn render(
        &self,
        ingest_batches: u64,
        ingest_answers: u64,
        queue_depth: usize,
        uncounted: Option<u64>,
        attributes_dropped: u64,
    ) -> String {
        let t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let _ = writeln!(out, "# HELP farewell_http_requests_total HTTP requests by matched route, method and status.");
        let _ = writeln!(out, "# TYPE farewell_http_requests_total counter");
        for ((route, method, status), n) in &t.requests {
            let _ = writeln!(
                out,
                "farewell_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP farewell_http_request_duration_seconds Time to the response head, by matched route.");
        let _ = writeln!(
            out,
            "# TYPE farewell_http_request_duration_seconds histogram"
        );
        for (route, h) in &t.latency {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "farewell_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "farewell_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "farewell_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "farewell_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP farewell_ingest_batches_total Transactions the group commit wrote."
        );
        let _ = writeln!(out, "# TYPE farewell_ingest_batches_total counter");
        let _ = writeln!(out, "farewell_ingest_batches_total {ingest_batches}");
        let _ = writeln!(
            out,
            "# HELP farewell_ingest_answers_total Answers the group commit wrote."
        );
        let _ = writeln!(out, "# TYPE farewell_ingest_answers_total counter");
        let _ = writeln!(out, "farewell_ingest_answers_total {ingest_answers}");
        let _ = writeln!(
            out,
            "# HELP farewell_ingest_queue_depth Answers waiting for the group commit."
        );
        let _ = writeln!(out, "# TYPE farewell_ingest_queue_depth gauge");
        let _ = writeln!(out, "farewell_ingest_queue_depth {queue_depth}");
        let _ = writeln!(
            out,
            "# HELP farewell_attributes_dropped_total Attributes sent with a key their site did not declare, dropped."
        );
        let _ = writeln!(out, "# TYPE farewell_attributes_dropped_total counter");
        let _ = writeln!(
            out,
            "farewell_attributes_dropped_total {attributes_dropped}"
        );
        if let Some(uncounted) = uncounted {
            let _ = writeln!(
                out,
                "# HELP farewell_uncounted_answers Stored answers not yet counted into the aggregates."
            );
            let _ = writeln!(out, "# TYPE farewell_uncounted_answers gauge");
            let _ = writeln!(out, "farewell_uncounted_answers {uncounted}");
        }
        out
    }
}

/// Middleware: counts every request under its matched route (never the raw path, which can
/// hold ids and query strings).
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let m = Metrics::default();
        m.record("/a".into(), "GET".into(), 200, 0.003);
        m.record("/a".into(), "GET".into(), 200, 0.2);
        m.record("/a".into(), "GET".into(), 500, 7.0);
        let text = m.render(1, 2, 3, Some(4), 5);
        assert!(text.contains("farewell_attributes_dropped_total 5"));
        assert!(text.contains("farewell_uncounted_answers 4"));
        assert!(text.contains(
            "farewell_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "farewell_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains(
            "farewell_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 1"
        ));
        assert!(text
            .contains("farewell_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.25\"} 2"));
        assert!(text
            .contains("farewell_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3"));
        assert!(text.contains("farewell_ingest_queue_depth 3"));
    }
}
