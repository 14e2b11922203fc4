//! Faults: with PostgreSQL stopped in the middle of a test, ingest answers 503 with
//! Retry-After (never 500), so the widget keeps its queue; when the database is back, the same
//! queue is delivered and every answer is stored exactly once.

use crate::helpers::AppBuilder;
use crate::pg_cluster::OwnCluster;
use serde_json::json;
use sqlx::Connection;
use std::time::Duration;
use uuid::Uuid;

async fn stored_once(url: &str, ids: &[Uuid]) -> bool {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    for id in ids {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM responses WHERE id = $1")
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap();
        if n != 1 {
            return false;
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_answers_503_while_postgres_is_down_and_delivers_once_after() {
    let mut cluster = tokio::task::spawn_blocking(OwnCluster::start)
        .await
        .unwrap();
    let url = {
        let mut attempts = 0;
        let mut admin = loop {
            match sqlx::PgConnection::connect(&cluster.url("postgres")).await {
                Ok(c) => break c,
                Err(_) if attempts < 100 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        sqlx::query("CREATE DATABASE faults")
            .execute(&mut admin)
            .await
            .unwrap();
        cluster.url("faults")
    };
    let app = AppBuilder::on(&url).spawn().await;
    let demo = app.seed().await;
    let before = Uuid::new_v4();
    let queued = json!({"site": demo.site_key, "respondent": Uuid::new_v4(),
        "responses": [{"id": before, "score": 9}]});
    assert_eq!(app.post_batch(&queued).await.status(), 200);

    // The database goes away.
    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.stop();
        cluster
    })
    .await
    .unwrap();
    let during = [Uuid::new_v4(), Uuid::new_v4()];
    let widget_queue = json!({"site": demo.site_key, "respondent": Uuid::new_v4(),
        "responses": [{"id": before, "score": 9}, {"id": during[0], "score": 3}, {"id": during[1], "score": 10}],
        "impressions": [{"id": Uuid::new_v4(), "kind": "answered"}]});
    // At once: each waits for the pool to give up on connecting (its acquire timeout).
    let single = json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 5});
    let (queue, single, ready) = tokio::join!(
        app.post_batch(&widget_queue),
        app.post_response(&single),
        app.get("/readyz"),
    );
    assert_eq!(
        queue
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("5")
    );
    assert_eq!(queue.status(), 503, "{:?}", queue.text().await);
    assert_eq!(single.status(), 503, "never 500: {:?}", single.text().await);
    assert_eq!(ready.status(), 503);

    // It comes back: the widget sends the same queue again.
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.resume();
        cluster
    })
    .await
    .unwrap();
    crate::helpers::eventually(Duration::from_secs(30), || async {
        app.post_batch(&widget_queue).await.status() == 200
    })
    .await;
    let again = app.post_batch(&widget_queue).await;
    let body: serde_json::Value = again.json().await.unwrap();
    for result in body["results"].as_array().unwrap().iter().take(3) {
        assert_eq!(result["status"], 200, "stored already, not again: {body}");
    }
    let mut all = vec![before];
    all.extend(during);
    assert!(stored_once(&url, &all).await, "every answer exactly once");
    drop(app);
    drop(cluster);
}
