//! The request every page view of every customer site makes: the widget's configuration. It is
//! the same for every visitor, so it is served from memory, cacheable, and revalidated by ETag;
//! one visitor's opt-out is asked apart, only when a survey is about to open.
use crate::both_backends;
use crate::helpers::SITE_ORIGIN;
use crate::helpers::{json, TestApp};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

async fn config(app: &TestApp, site: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(&format!("/api/v1/sites/{site}/config?lang=en")))
        .header("Origin", SITE_ORIGIN);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    request.send().await.unwrap()
}

async fn set_title(app: &TestApp, demo: &farewell::provision::DemoCreated, title: &str) {
    let settings = app::domain::SurveySettings::parse_json(
        &json!({"texts": {"en": {"title": title}}}).to_string(),
    )
    .unwrap();
    app.set_survey_settings(&demo.site_key, &settings).await;
}

both_backends!(
    the_configuration_is_cacheable_and_revalidates_by_etag,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let first = config(&app, &demo.site_key, None).await;
        assert_eq!(first.status(), 200);
        let headers = first.headers().clone();
        assert!(headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age="));
        let vary = headers["vary"].to_str().unwrap();
        // The same answer for every origin (it is public), so no cache can keep one origin's
        // answer for another: a CDN that ignores Vary cannot be poisoned by a request without
        // Origin.
        assert!(
            vary.contains("Accept-Language") && !vary.contains("Origin"),
            "{vary}"
        );
        assert_eq!(headers["access-control-allow-origin"], "*");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let body = json(first).await;
        assert!(
            body.get("opted_out").is_none(),
            "nothing about the visitor: {body}"
        );

        let again = config(&app, &demo.site_key, Some(&etag)).await;
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()["access-control-allow-origin"], "*");
        assert_eq!(again.headers()["etag"], etag.as_str());

        // Compressed once per render, sent as the browser asks.
        for encoding in ["br", "gzip"] {
            let compressed = app
                .client
                .get(app.url(&format!("/api/v1/sites/{}/config?lang=en", demo.site_key)))
                .header("Origin", SITE_ORIGIN)
                .header("Accept-Encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(compressed.headers()["content-encoding"], encoding);
            assert!(compressed.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("Accept-Encoding"));
        }

        // A change is a new ETag: the old one no longer matches.
        set_title(&app, &demo, "Leaving already?").await;
        let changed = config(&app, &demo.site_key, Some(&etag)).await;
        assert_eq!(changed.status(), 200);
        assert_ne!(changed.headers()["etag"], etag.as_str());
        assert_eq!(
            json(changed).await["surveys"][0]["texts"]["title"],
            "Leaving already?"
        );
    }
);

both_backends!(
    the_configuration_is_served_from_memory_until_the_cache_time_passes,
    settings: |s: &mut farewell::config::ServeArgs| s.visitor_cache_ms = 1500,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let title = |r: serde_json::Value| r["surveys"][0]["texts"]["title"].clone();
        let before = title(json(config(&app, &demo.site_key, None).await).await);
        assert_eq!(before, "How was your experience?");
        set_title(&app, &demo, "Leaving already?").await;
        // Served from memory: the database was not read again.
        let cached = title(json(config(&app, &demo.site_key, None).await).await);
        assert_eq!(cached, before);
        // Within the cache time the change arrives, with no message between servers.
        tokio::time::sleep(Duration::from_millis(1600)).await;
        let after = title(json(config(&app, &demo.site_key, None).await).await);
        assert_eq!(after, "Leaving already?");
    }
);

both_backends!(
    participation_follows_a_choice_made_a_moment_ago,
    settings: |s: &mut farewell::config::ServeArgs| s.visitor_cache_ms = 60_000,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let rid = Uuid::new_v4();
        let ask = |body: String, origin: &'static str| {
            let app = &app;
            let site = demo.site_key.clone();
            async move {
                app.client
                    .post(app.url(&format!("/api/v1/sites/{site}/participation")))
                    .header("Origin", origin)
                    .header("Content-Type", "text/plain")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let before = ask(json!({"respondent": rid}).to_string(), SITE_ORIGIN).await;
        assert_eq!(before.headers()["access-control-allow-origin"], SITE_ORIGIN);
        assert_eq!(json(before).await["opted_out"], false);
        // Left on the preferences page: the next survey is stopped, however long sites and
        // configurations are cached.
        let site = app.public_site(&demo.site_key).await;
        app.store
            .set_opted_out(site.site.id, rid, true, chrono::Utc::now())
            .await
            .unwrap();
        let after = ask(json!({"respondent": rid}).to_string(), SITE_ORIGIN).await;
        assert_eq!(json(after).await["opted_out"], true);

        // Hostile input: never a 500, never another origin.
        let bad = ask(r#"{"respondent":"not-a-uuid"}"#.into(), SITE_ORIGIN).await;
        assert_eq!(bad.status(), 422);
        assert_eq!(json(bad).await["field"], "respondent");
        let evil = ask(json!({"respondent": rid}).to_string(), "https://evil.example").await;
        assert_eq!(evil.status(), 403);
        let huge = ask("x".repeat(4096), SITE_ORIGIN).await;
        assert_eq!(huge.status(), 413);
        let unknown = app
            .client
            .post(app.url("/api/v1/sites/st_nope/participation"))
            .body(json!({"respondent": rid}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
    }
);
