//! Dashboard query benchmark: `cargo bench -p server --bench dashboard`.
//!
//! For SQLite and PostgreSQL (a throwaway cluster, as in the tests) it fills BENCH_SIZES
//! (default "1000000") realistic answers with the demo generator over one year, then prints the
//! median time of the dashboard's main queries — trend and split (day and week buckets over the
//! year, in Europe/Helsinki), NPS by segment, verbatim search, the follow-up figures, the themes panel — beside a naive full scan of the
//! raw answers computing the same figures. Sizes accumulate: "1000000,10000000" fills 1 M,
//! measures, adds 9 M more, measures again.

#[path = "../tests/api/pg_cluster.rs"]
mod pg_cluster;

use app::report::periods::{periods, range, zone};
use app::report::{Dimension, Granularity};
use app::store::{AnswerFilter, SharedStore, VerbatimQuery};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::Connection;
use std::future::Future;
use std::time::Instant;
use uuid::Uuid;

const RUNS: usize = 5;

/// Median wall time of `RUNS` runs, in milliseconds.
async fn time<F, Fut, T>(mut run: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        std::hint::black_box(run().await);
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

async fn postgres_url() -> String {
    let cluster = tokio::task::spawn_blocking(pg_cluster::cluster)
        .await
        .unwrap();
    let mut admin = loop {
        match sqlx::PgConnection::connect(&cluster.url("postgres")).await {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    };
    sqlx::query("CREATE DATABASE dashboard_bench")
        .execute(&mut admin)
        .await
        .unwrap();
    cluster.url("dashboard_bench")
}

/// The same figures from the raw answers: what the dashboard would cost without aggregates.
enum Naive {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Naive {
    async fn trend(&self, site: Uuid, from_ms: i64, to_ms: i64, offset_ms: i64) -> usize {
        match self {
            Naive::Sqlite(c) => sqlx::query(
                "SELECT (received_at + ?) / 86400000 AS day, score, COUNT(*) FROM responses
                 WHERE site_id = ? AND received_at >= ? AND received_at < ? GROUP BY day, score",
            )
            .bind(offset_ms)
            .bind(site)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
            Naive::Postgres(c) => sqlx::query(
                "SELECT date_trunc('day', received_at AT TIME ZONE 'Europe/Helsinki') AS day, score,
                        COUNT(*) FROM responses
                 WHERE site_id = $1 AND received_at >= to_timestamp($2 / 1000.0)
                   AND received_at < to_timestamp($3 / 1000.0) GROUP BY day, score",
            )
            .bind(site)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
        }
    }

    async fn segments(&self, site: Uuid, from_ms: i64, to_ms: i64) -> usize {
        match self {
            Naive::Sqlite(c) => sqlx::query(
                "SELECT country, score, COUNT(*) FROM responses
                 WHERE site_id = ? AND received_at >= ? AND received_at < ? GROUP BY country, score",
            )
            .bind(site)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
            Naive::Postgres(c) => sqlx::query(
                "SELECT country, score, COUNT(*) FROM responses
                 WHERE site_id = $1 AND received_at >= to_timestamp($2 / 1000.0)
                   AND received_at < to_timestamp($3 / 1000.0) GROUP BY country, score",
            )
            .bind(site)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
        }
    }

    async fn search(&self, site: Uuid, word: &str) -> usize {
        let pattern = format!("%{word}%");
        match self {
            Naive::Sqlite(c) => sqlx::query(
                "SELECT id FROM responses WHERE site_id = ? AND comment LIKE ?
                 ORDER BY received_at DESC LIMIT 51",
            )
            .bind(site)
            .bind(pattern)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
            Naive::Postgres(c) => sqlx::query(
                "SELECT id FROM responses WHERE site_id = $1 AND comment ILIKE $2
                 ORDER BY received_at DESC LIMIT 51",
            )
            .bind(site)
            .bind(pattern)
            .fetch_all(c)
            .await
            .unwrap()
            .len(),
        }
    }
}

async fn measure(store: &SharedStore, naive: &Naive, org: Uuid, site: Uuid, filled: u64) {
    let tz = zone("Europe/Helsinki").unwrap();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let from = today - Duration::days(364);
    let whole = range(tz, from, today);
    let by_day = periods(tz, from, today, Granularity::Day).unwrap();
    let by_week = periods(tz, from, today, Granularity::Week).unwrap();
    let filter = AnswerFilter::default();
    let row = |what: &str, fast: f64, slow: Option<f64>| {
        println!(
            "{:<10} {filled:>10} {what:<36} {fast:>9.2} {:>11}",
            store.backend(),
            slow.map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "-".into())
        );
    };
    let offset = 2 * 3_600_000; // Helsinki in winter, for the naive day grouping
    let (from_ms, to_ms) = (whole.from.timestamp_millis(), whole.to.timestamp_millis());
    let fast = time(|| store.period_counts(org, site, &filter, &by_day.boundaries)).await;
    let slow = time(|| naive.trend(site, from_ms, to_ms, offset)).await;
    row("trend + split, 365 day buckets", fast, Some(slow));
    let fast = time(|| store.period_counts(org, site, &filter, &by_week.boundaries)).await;
    row("trend + split, 53 week buckets", fast, Some(slow));
    let mobile = AnswerFilter {
        survey: None,
        segment: Some(app::report::SegmentFilter {
            dimension: Dimension::Device,
            value: "mobile".into(),
        }),
    };
    let fast = time(|| store.period_counts(org, site, &mobile, &by_week.boundaries)).await;
    row("trend, weeks, device = mobile", fast, None);
    let fast = time(|| store.segment_counts(org, site, None, Dimension::Country, whole)).await;
    let slow = time(|| naive.segments(site, from_ms, to_ms)).await;
    row("NPS by country", fast, Some(slow));
    let fast = time(|| store.segment_counts(org, site, None, Dimension::Page, whole)).await;
    row("NPS by page", fast, None);
    let query = |word: &str| VerbatimQuery {
        filter: AnswerFilter::default(),
        range: whole,
        search: Some(word.to_string()),
        band: None,
        tag: None,
        comments_only: true,
        before: None,
        limit: 51,
    };
    let common = query("slow");
    let fast = time(|| store.verbatims(org, site, &common)).await;
    let slow = time(|| naive.search(site, "slow")).await;
    row("verbatim search \"slow\" (page of 50)", fast, Some(slow));
    let rare = query("kraschade");
    let fast = time(|| store.verbatims(org, site, &rare)).await;
    let slow = time(|| naive.search(site, "kraschade")).await;
    row("verbatim search \"kraschade\"", fast, Some(slow));
    // The follow-up figures every site dashboard view reads (the year's detractors who asked to
    // be contacted), and the inbox's first page.
    let fast = time(|| store.loop_closed(org, site, whole.from, whole.to)).await;
    row("loop closed, the year", fast, None);
    let open = app::store::InboxFilter {
        status: app::store::StatusFilter::Open,
        assignee: app::store::AssigneeFilter::Anyone,
        site: None,
    };
    let fast = time(|| store.follow_up_inbox(org, &open, 200)).await;
    row("follow-up inbox, first 200", fast, None);
    // The themes panel of the last 90 days: three reads of up to 5,000 comments (the period,
    // the one before, the year before as the prior), tokenised, stemmed and ranked.
    let view = app::report::ViewParams::from_query(
        |key| match key {
            "tz" => Some("Europe/Helsinki".to_string()),
            "from" => Some((today - Duration::days(89)).to_string()),
            "to" => Some(today.to_string()),
            _ => None,
        },
        today,
    )
    .unwrap();
    let fast = time(|| app::report::themes::build_themes(store, org, site, &view)).await;
    row("themes panel, 90 days", fast, None);
    // The drivers and the corrected NPS: one read of the newest 20,000 answers, the model, and
    // the impressions of the same time grouped by context.
    let fast = time(|| async {
        let sample = app::report::drivers::read_sample(store, org, site, &view)
            .await
            .unwrap();
        let corrected = app::report::nonresponse::build_corrected(store, org, site, &view, &sample)
            .await
            .unwrap();
        (
            app::report::drivers::build_drivers(sample).await.unwrap(),
            corrected,
        )
    })
    .await;
    row("drivers + corrected NPS, 90 days", fast, None);

    // A saved theme: the walk that tags every past answer (run once, timed whole), then the
    // theme as a segment, read from the aggregates like any other.
    let name = app::domain::ThemeName::parse("speed").unwrap();
    let terms = app::domain::ThemeTerms::parse("slow, langsam, hidas, långsam, loading").unwrap();
    let started = Instant::now();
    store
        .save_theme(org, site, &name, &terms, Utc::now())
        .await
        .unwrap();
    let walked = farewell::store::tag_waiting(store.as_ref(), usize::MAX)
        .await
        .unwrap();
    let whole_walk = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: walked {walked} answers with a comment in {whole_walk:.1} s ({:.0}/s)",
        store.backend(),
        walked as f64 / whole_walk
    );
    row(
        "theme walk over all answers (once)",
        whole_walk * 1000.0,
        None,
    );
    let speed = AnswerFilter {
        survey: None,
        segment: Some(app::report::SegmentFilter {
            dimension: Dimension::Theme,
            value: "speed".into(),
        }),
    };
    let fast = time(|| store.period_counts(org, site, &speed, &by_week.boundaries)).await;
    row("trend, weeks, theme = speed", fast, None);
    let fast = time(|| store.segment_counts(org, site, None, Dimension::Theme, whole)).await;
    row("NPS by theme", fast, None);
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let sqlite_dir = tempfile::tempdir().unwrap();
    let mut backends = vec![];
    if only.contains("sqlite") {
        backends.push(format!(
            "sqlite://{}/dashboard.db",
            sqlite_dir.path().display()
        ));
    }
    if only.contains("postgres") {
        backends.push(postgres_url().await);
    }
    println!("dashboard benchmark: median of {RUNS} runs, milliseconds");
    println!(
        "{:<10} {:>10} {:<36} {:>9} {:>11}",
        "backend", "answers", "query", "farewell", "naive scan"
    );
    for url in backends {
        let store = farewell::store::connect(&url).await.unwrap();
        let demo = farewell::provision::demo(
            &store,
            Some("benchmark password".into()),
            0,
            &[],
            farewell::demo_data::QUIET,
        )
        .await
        .unwrap();
        let site = app::ingest::find_site(store.as_ref(), &demo.site_key)
            .await
            .unwrap();
        let naive = if url.starts_with("sqlite") {
            Naive::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap())
        } else {
            Naive::Postgres(sqlx::PgPool::connect(&url).await.unwrap())
        };
        let mut filled = 0u64;
        // Each slice of answers covers the same year, so the figures grow denser, not longer.
        let end = Utc.from_utc_datetime(
            &Utc::now()
                .date_naive()
                .succ_opt()
                .unwrap_or(NaiveDate::MAX)
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        for size in &sizes {
            let add = size.saturating_sub(filled);
            let started = Instant::now();
            farewell::demo_data::generate(&store, &site, add, 365, end, farewell::demo_data::QUIET)
                .await
                .unwrap();
            filled += add;
            eprintln!(
                "{}: filled {add} answers in {:.1} s ({:.0}/s)",
                store.backend(),
                started.elapsed().as_secs_f64(),
                add as f64 / started.elapsed().as_secs_f64()
            );
            // The steady state autovacuum keeps: a bulk fill leaves the counting queue with
            // millions of dead rows that every report's look at it would scan.
            if let Naive::Postgres(c) = &naive {
                sqlx::query("VACUUM ANALYZE").execute(c).await.unwrap();
            }
            measure(&store, &naive, demo.organisation_id, demo.site_id, filled).await;
        }
        // What a saved theme costs counting: 200,000 more answers without a theme, then with
        // one (each counted comment is matched against its terms).
        let speed = app::domain::ThemeName::parse("speed").unwrap();
        for saved in [false, true] {
            if saved {
                let terms =
                    app::domain::ThemeTerms::parse("slow, langsam, hidas, långsam").unwrap();
                store
                    .save_theme(
                        demo.organisation_id,
                        demo.site_id,
                        &speed,
                        &terms,
                        Utc::now(),
                    )
                    .await
                    .unwrap();
            } else {
                store
                    .delete_theme(demo.organisation_id, demo.site_id, &speed, Utc::now())
                    .await
                    .unwrap();
            }
            farewell::store::tag_waiting(store.as_ref(), usize::MAX)
                .await
                .unwrap();
            let add = 200_000;
            let started = Instant::now();
            farewell::demo_data::generate(&store, &site, add, 365, end, farewell::demo_data::QUIET)
                .await
                .unwrap();
            eprintln!(
                "{}: filled {add} more answers {} in {:.1} s ({:.0}/s)",
                store.backend(),
                if saved {
                    "with a saved theme"
                } else {
                    "without a theme"
                },
                started.elapsed().as_secs_f64(),
                add as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
}
