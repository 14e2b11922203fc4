//! Ingest load benchmark: `cargo bench -p server --bench ingest`.
//!
//! For SQLite and PostgreSQL (a throwaway cluster, as in the tests), it drives
//! `POST /api/v1/responses` with unique answers from BENCH_CONCURRENCY (default 64) workers for
//! BENCH_SECONDS (default 10), and a bare axum JSON endpoint the same way in the same run, then
//! prints requests/s, p50 and p99 latency, and the number of 2xx-acknowledged answers beside the
//! number found in the database. Every worker finishes its last request before counting, so the
//! two counts must be equal. Loopback only; bounded in time.

#[path = "../tests/api/pg_cluster.rs"]
mod pg_cluster;

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use farewell::config::ServeArgs;
use farewell::startup::Application;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Run {
    requests: u64,
    acknowledged: u64,
    seconds: f64,
    latencies: Vec<Duration>,
}

impl Run {
    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies
            .get(i)
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(f64::NAN)
    }
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `workers` loops posting a fresh answer each time until `seconds` pass; each finishes the
/// request it has in flight.
async fn load(url: String, site: String, workers: u64, seconds: u64) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers as usize)
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (client, url, site) = (client.clone(), url.clone(), site.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let (mut requests, mut acknowledged) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let body =
                        json!({"id": Uuid::new_v4(), "site": site, "score": (w + requests) % 11});
                    let t = Instant::now();
                    let response = client.post(&url).json(&body).send().await;
                    latencies.push(t.elapsed());
                    requests += 1;
                    if let Ok(r) = response {
                        if r.status().is_success() {
                            acknowledged += 1;
                        }
                        let _ = r.bytes().await;
                    }
                }
                (requests, acknowledged, latencies)
            })
        })
        .collect();
    let mut run = Run {
        requests: 0,
        acknowledged: 0,
        seconds: 0.0,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (r, a, l) = t.await.unwrap();
        run.requests += r;
        run.acknowledged += a;
        run.latencies.extend(l);
    }
    run.seconds = started.elapsed().as_secs_f64();
    run.latencies.sort();
    run
}

/// The baseline: an axum handler that parses the same JSON and answers 201, storing nothing.
async fn bare_endpoint() -> String {
    async fn accept(Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
        (
            StatusCode::CREATED,
            Json(json!({"id": body["id"], "stored": true})),
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        async move { axum::serve(listener, Router::new().route("/json", post(accept))).await },
    );
    format!("http://{address}/json")
}

async fn stored_rows(database_url: &str) -> u64 {
    use sqlx::Connection;
    let count: i64 = if database_url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM responses")
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM responses")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    count as u64
}

async fn postgres_url() -> String {
    use sqlx::Connection;
    let cluster = tokio::task::spawn_blocking(pg_cluster::cluster)
        .await
        .unwrap();
    let mut admin = loop {
        match sqlx::PgConnection::connect(&cluster.url("postgres")).await {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    sqlx::query("CREATE DATABASE bench")
        .execute(&mut admin)
        .await
        .unwrap();
    cluster.url("bench")
}

fn print_row(backend: &str, endpoint: &str, run: &Run, stored: Option<u64>) {
    println!(
        "{backend:<9} {endpoint:<16} {:>9.0} {:>8.2} {:>8.2} {:>9} {:>9}",
        run.rate(),
        run.percentile(0.50),
        run.percentile(0.99),
        run.acknowledged,
        stored.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
    );
}

#[tokio::main]
async fn main() {
    let seconds = env_or("BENCH_SECONDS", 10);
    let workers = env_or("BENCH_CONCURRENCY", 64);
    let sqlite_dir = tempfile::tempdir().unwrap();
    let backends = [
        (
            "sqlite",
            format!("sqlite://{}/bench.db", sqlite_dir.path().display()),
        ),
        ("postgres", postgres_url().await),
    ];
    println!("ingest benchmark: {workers} workers, {seconds} s per run, loopback");
    println!(
        "{:<9} {:<16} {:>9} {:>8} {:>8} {:>9} {:>9}",
        "backend", "endpoint", "req/s", "p50 ms", "p99 ms", "acked", "stored"
    );
    let bare = bare_endpoint().await;
    // Warm-up: connections, allocator and CPU frequency settle before anything is measured.
    load(bare.clone(), "warm-up".into(), workers, 2).await;
    for (backend, database_url) in backends {
        let store = farewell::store::connect(&database_url).await.unwrap();
        let demo = farewell::provision::demo(
            &store,
            Some("benchmark password".into()),
            0,
            &[],
            farewell::demo_data::QUIET,
        )
        .await
        .unwrap();
        let settings = ServeArgs {
            addr: "127.0.0.1:0".parse().unwrap(),
            site_root: std::env::temp_dir(),
            country_header: None,
            site_rate: 1e9,
            client_rate: 1e9,
            client_burst: 1e9,
            ..ServeArgs::from_env()
        };
        let app = Application::build(&settings, store.clone()).await.unwrap();
        let url = format!("http://127.0.0.1:{}/api/v1/responses", app.port());
        tokio::spawn(app.run_until_stopped());
        let site = Arc::new(demo.site_key);

        let baseline = load(bare.clone(), site.to_string(), workers, seconds).await;
        print_row(backend, "bare axum JSON", &baseline, None);
        let ingest = load(url, site.to_string(), workers, seconds).await;
        let stored = stored_rows(&database_url).await;
        print_row(backend, "ingest", &ingest, Some(stored));
        println!(
            "{backend:<9} ingest/bare      {:>8.0}%   acked == stored: {}",
            100.0 * ingest.rate() / baseline.rate(),
            ingest.acknowledged == stored
        );
        assert_eq!(
            ingest.acknowledged, stored,
            "acknowledged answers must all be stored, once"
        );
    }
}
