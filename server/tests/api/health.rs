use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    health_check_answers_ok,
    |app: crate::helpers::TestApp| async move {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
    }
);

both_backends!(
    readiness_metrics_and_the_openapi_document,
    |app: TestApp| async move {
        assert_eq!(app.get("/readyz").await.status(), 200);
        let demo = app.seed().await;
        let posted = app
            .post_response(
                &serde_json::json!({"id": uuid::Uuid::new_v4(), "site": demo.site_key, "score": 9}),
            )
            .await;
        assert_eq!(posted.status(), 201);
        let metrics = app.metrics().await;
        assert!(
            metrics.contains(r#"farewell_http_requests_total{route="/api/v1/responses",method="POST",status="201"} 1"#),
            "{metrics}"
        );
        assert!(metrics.contains(
            r#"farewell_http_request_duration_seconds_count{route="/api/v1/responses"} 1"#
        ));
        assert!(metrics.contains("farewell_ingest_answers_total 1"));
        assert!(metrics.contains("farewell_ingest_queue_depth 0"));
        assert!(metrics.contains("farewell_uncounted_answers "), "{metrics}");
        // Without the token, or with a wrong one of any length, nothing is shown.
        for token in [
            None,
            Some("test-metrics-toke"),
            Some("wrong"),
            Some("test-metrics-token-and-more"),
        ] {
            let mut request = app.client.get(app.url("/metrics"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{token:?}");
            assert_eq!(response.text().await.unwrap(), "");
        }
        // Routes are labelled by pattern: a site key never becomes a label.
        assert!(!metrics.contains(&demo.site_key));

        let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/responses",
            "/api/v1/batch",
            "/api/v1/sites/{site_key}/config",
            "/api/v1/sites/{site_key}/summary",
            "/api/v1/sites/{site_key}/report",
            "/api/v1/sites/{site_key}/responses",
            "/my-answers",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(paths.contains_key(path), "{path} is documented");
        }
        // Every documented GET route exists (a missing route would be the pages' 404).
        for (path, item) in paths {
            if item.get("get").is_some() {
                let url = path.replace("{site_key}", &demo.site_key);
                let status = app
                    .client
                    .get(app.url(&url))
                    .header("Origin", "http://localhost:8080")
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_ne!(status, 404, "{path}");
            }
        }
    }
);

#[tokio::test]
async fn a_live_sqlite_database_is_backed_up_consistently() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let demo = app.seed().await;
    for score in [1, 9, 10] {
        app.post_response(
            &serde_json::json!({"id": uuid::Uuid::new_v4(), "site": demo.site_key, "score": score}),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let bytes = farewell::backup::backup(&app.database_url, &copy)
        .await
        .unwrap();
    assert!(bytes > 0);
    // The copy is a complete Farewell database: the store opens it and finds the answers.
    let restored = farewell::store::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let counts = restored
        .score_counts(
            demo.organisation_id,
            demo.site_id,
            app::store::TimeRange::all_time(),
        )
        .await
        .unwrap();
    assert_eq!(counts.n(), 3);
    // It never overwrites.
    assert!(farewell::backup::backup(&app.database_url, &copy)
        .await
        .is_err());
}

/// Leptos finds an app's routes by rendering it with resource loading switched off process-wide.
/// Starting another app server must not leave a page that is being rendered meanwhile waiting
/// for its data forever (the cause of the suite's rare 30 s hangs: its tests start servers all
/// the time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_rendering_while_other_servers_start() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let demo = app.seed().await;
    let starting = Arc::new(AtomicBool::new(true));
    let readers: Vec<_> = (0..6)
        .map(|_| {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let url = app.url(&format!("/s/{}/thanks", demo.site_key));
            let starting = starting.clone();
            tokio::spawn(async move {
                let mut pages = 0;
                while starting.load(Ordering::Relaxed) {
                    let page = async { client.get(&url).send().await?.text().await }.await;
                    match page {
                        Ok(html) => assert!(html.contains("</html>"), "{html}"),
                        // `{e:?}` names the timeout, so the helpers dump the threads.
                        Err(e) => panic!("a page stalled while servers started: {e:?}"),
                    }
                    pages += 1;
                }
                pages
            })
        })
        .collect();
    for _ in 0..20 {
        let other = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
        drop(other);
    }
    starting.store(false, Ordering::Relaxed);
    let mut pages = 0;
    for reader in readers {
        pages += reader.await.expect("a reader failed");
    }
    assert!(
        pages > 20,
        "too few pages were rendered to mean anything: {pages}"
    );
}

// Answers wait in the counting queue until a count; operators see how many.
both_backends!(
    metrics_show_the_answers_waiting_to_be_counted,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let demo = app.seed().await;
        for score in [3, 9] {
            let body = serde_json::json!({"id": uuid::Uuid::new_v4(), "site": demo.site_key, "score": score});
            assert_eq!(app.post_response(&body).await.status(), 201);
        }
        let metrics = app.metrics().await;
        assert!(metrics.contains("farewell_uncounted_answers 2"), "{metrics}");
        assert_eq!(app.store.count_new_answers(100).await.unwrap(), 2);
        let metrics = app.metrics().await;
        assert!(metrics.contains("farewell_uncounted_answers 0"), "{metrics}");
    }
);
