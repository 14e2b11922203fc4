//! The visitor API as the widget uses it: origins, rate limits, bots, GPC, partial answers,
//! the queue flush with its opt-out, and group commit under concurrency.

use crate::both_backends;
use crate::helpers::{json, AppBuilder, Backend, TestApp};
use crate::ingest::{count_responses, stored};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::SITE_ORIGIN;
/// An edit secret as the widget makes one: 128 random bits in hex.
const SECRET: &str = "5e1c0ffee0ddba11deadbeef00c0ffee";

both_backends!(
    a_registered_origin_may_post_and_read_the_answer,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let response = app
            .beacon_from(
                SITE_ORIGIN,
                "/api/v1/responses",
                &json!({"id": id, "site": demo.site_key, "score": 8}),
            )
            .await;
        assert_eq!(response.status(), 201);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            SITE_ORIGIN
        );
        assert_eq!(response.headers()["vary"], "Origin");
        assert!(stored(&app, id).await.is_some());
    }
);

both_backends!(
    an_unregistered_origin_is_refused_and_nothing_is_stored,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app
            .beacon_from(
                "https://evil.example",
                "/api/v1/responses",
                &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 0}),
            )
            .await;
        assert_eq!(response.status(), 403);
        assert!(response
            .headers()
            .get("access-control-allow-origin")
            .is_none());
        assert_eq!(json(response).await["error"], "origin_not_allowed");
        let asked = app
            .client
            .post(app.url(&format!("/api/v1/sites/{}/participation", demo.site_key)))
            .header("Origin", "https://evil.example")
            .body(json!({ "respondent": Uuid::new_v4() }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 403);
        assert_eq!(count_responses(&app).await, 0);
    }
);

both_backends!(preflights_are_answered, |app: TestApp| async move {
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/batch"))
        .header("Origin", SITE_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        SITE_ORIGIN
    );
    assert!(response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
});

both_backends!(
    the_widget_config_speaks_the_visitors_language,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let path = format!("/api/v1/sites/{}/config", demo.site_key);
        let fi = app
            .client
            .get(app.url(&path))
            .header("Origin", SITE_ORIGIN)
            .header("Accept-Language", "fi-FI,fi;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(fi.status(), 200);
        assert_eq!(fi.headers()["access-control-allow-origin"], "*");
        let fi = json(fi).await;
        assert_eq!(fi["lang"], "fi");
        assert_eq!(fi["dir"], "ltr");
        assert_eq!(
            fi["surveys"][0]["texts"]["title"],
            "Millainen kokemuksesi oli?"
        );
        assert!(fi["surveys"][0]["texts"]["question"]
            .as_str()
            .unwrap()
            .contains("Demo shop"));
        assert_eq!(fi["notice"]["version"], 1);
        assert_eq!(fi["surveys"][0]["triggers"]["armed_exit"], true);

        let ar = json(
            app.client
                .get(app.url(&format!("{path}?lang=ar")))
                .header("Accept-Language", "fi")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (ar["lang"].as_str(), ar["dir"].as_str()),
            (Some("ar"), Some("rtl")),
            "the page's lang wins"
        );

        // Per-survey overrides reach the widget.
        let settings = app::domain::SurveySettings::parse_json(r#"{"sample_rate":0.5,"triggers":{"exit_intent":true},"texts":{"en":{"title":"Leaving already?"}}}"#).unwrap();
        app.set_survey_settings(&demo.site_key, &settings).await;
        let en = json(
            app.client
                .get(app.url(&format!("{path}?lang=en")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(en["surveys"][0]["texts"]["title"], "Leaving already?");
        assert_eq!(en["surveys"][0]["sample_rate"], 0.5);
        assert_eq!(en["surveys"][0]["triggers"]["exit_intent"], true);
        assert_eq!(
            app.client
                .get(app.url("/api/v1/sites/st_nope/config"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
);

both_backends!(
    bots_are_told_accepted_and_nothing_is_stored,
    |app: TestApp| async move {
        let demo = app.seed().await;
        for body in [
            json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 10, "hp": "http://spam.example"}),
            json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 10, "elapsed_ms": 120}),
        ] {
            let response = app.post_response(&body).await;
            assert_eq!(response.status(), 202);
            assert_eq!(json(response).await["stored"], false);
        }
        let human = app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 10, "hp": "", "elapsed_ms": 4200})).await;
        assert_eq!(human.status(), 201);
        assert_eq!(count_responses(&app).await, 1);
    }
);

both_backends!(
    global_privacy_control_means_nothing_is_collected,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app
            .client
            .post(app.url("/api/v1/responses"))
            .header("Sec-GPC", "1")
            .json(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 9}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(json(response).await["error"], "opted_out");
        assert_eq!(count_responses(&app).await, 0);
    }
);

async fn throttled_case(backend: Backend) {
    let app = AppBuilder::new(backend)
        .settings(|s| {
            s.client_rate = 0.5;
            s.client_burst = 3.0;
        })
        .spawn()
        .await;
    let demo = app.seed().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = Uuid::new_v4();
        assert_eq!(
            app.post_response(&json!({"id": id, "site": demo.site_key, "score": 7}))
                .await
                .status(),
            201
        );
        ids.push(id);
    }
    let refused = app
        .post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 7}))
        .await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(json(refused).await["error"], "throttled");
    // A new User-Agent per request is still the same client: refused too.
    for i in 0..5 {
        let dodge = app
            .client
            .post(app.url("/api/v1/responses"))
            .header("User-Agent", format!("Mozilla/5.0 rotating/{i}"))
            .json(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 7}))
            .send()
            .await
            .unwrap();
        assert_eq!(dodge.status(), 429, "user agent {i}");
    }
    // The page of an allowed origin can read its 429 (the widget then waits), where a CORS
    // failure would tell it nothing and fill the site's console.
    let from_page = app
        .client
        .post(app.url("/api/v1/batch"))
        .header("Origin", crate::helpers::SITE_ORIGIN)
        .json(&json!({"site": demo.site_key, "responses": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(from_page.status(), 429);
    assert_eq!(
        from_page.headers()["access-control-allow-origin"],
        crate::helpers::SITE_ORIGIN
    );
    // What was acknowledged before is all there, once.
    assert_eq!(count_responses(&app).await, 3);
    for id in ids {
        assert!(stored(&app, id).await.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_their_rate_get_429_with_retry_after_sqlite() {
    throttled_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_their_rate_get_429_with_retry_after_postgres() {
    throttled_case(Backend::Postgres).await;
}

both_backends!(
    the_score_is_kept_and_the_comment_added_later,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let respondent = Uuid::new_v4();
        let first = app.beacon_from(SITE_ORIGIN, "/api/v1/batch", &json!({
        "site": demo.site_key, "respondent": respondent,
        "responses": [{"id": id, "score": 4, "edit_secret": SECRET, "consent": {"choices": {"improvement_program": true}}, "context": {"trigger": "exit_intent", "referrer": "https://search.example/?q=my+name", "path": "/cart?x=1"}}],
        "impressions": [{"id": Uuid::new_v4(), "kind": "shown", "trigger": "exit_intent"}],
    })).await;
        assert_eq!(first.status(), 200);
        let body = json(first).await;
        assert_eq!(
            body["results"][0],
            json!({"id": id, "status": 201}),
            "{body}"
        );
        assert_eq!(
            stored(&app, id).await.unwrap().score,
            4,
            "the score is stored at once"
        );

        let second = app.beacon_from(SITE_ORIGIN, "/api/v1/batch", &json!({
        "site": demo.site_key, "respondent": respondent,
        "amendments": [{"id": id, "edit_secret": SECRET, "score": 5, "comment": "Checkout kept failing", "contact_email": "Ann@Example.com", "choices": {"contact": true}}],
        "impressions": [{"id": Uuid::new_v4(), "kind": "answered"}],
    })).await;
        assert_eq!(json(second).await["results"][0]["status"], 200);
        let row = stored(&app, id).await.unwrap();
        assert_eq!(
            (row.score, row.comment.as_deref()),
            (5, Some("Checkout kept failing"))
        );
        assert_eq!(
            row.choices["contact"], true,
            "leaving an e-mail records the contact choice"
        );
        assert_eq!(row.page_path.as_deref(), Some("/cart"));
        let app::report::Funnel {
            shown,
            dismissed,
            answered,
        } = app
            .store
            .impression_counts(
                demo.organisation_id,
                demo.site_id,
                &app::store::AnswerFilter::default(),
                app::store::TimeRange::all_time(),
            )
            .await
            .unwrap();
        assert_eq!((shown, dismissed, answered), (1, 0, 1));

        let unknown = app.beacon_from(SITE_ORIGIN,
            "/api/v1/batch",
            &json!({"site": demo.site_key, "amendments": [{"id": Uuid::new_v4(), "edit_secret": SECRET, "comment": "x"}]}),
        )
        .await;
        assert_eq!(json(unknown).await["results"][0]["status"], 404);
    }
);

both_backends!(
    a_contact_email_needs_the_contact_choice,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 2, "contact_email": "ann@example.com"})).await;
        assert_eq!(response.status(), 422);
        assert_eq!(json(response).await["field"], "contact_email");
        let with_choice = app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 2, "contact_email": "ann@example.com",
        "consent": {"choices": {"improvement_program": true, "contact": true}}})).await;
        assert_eq!(with_choice.status(), 201);
    }
);

both_backends!(
    an_opt_out_flushes_the_queue_then_stops_collection,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let respondent = Uuid::new_v4();
        let queued = Uuid::new_v4();
        // The flush carries what was queued before the opt-out, even from a browser now sending GPC.
        let flush = app
            .client
            .post(app.url("/api/v1/batch"))
            .header("Sec-GPC", "1")
            .json(&json!({
                "site": demo.site_key, "respondent": respondent,
                "responses": [{"id": queued, "score": 9}],
                "opt_out": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(flush.status(), 200);
        let body = json(flush).await;
        assert_eq!(body["opted_out"], true);
        assert_eq!(body["results"][0]["status"], 201);
        assert!(stored(&app, queued).await.is_some());

        let after = app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 9, "respondent": respondent})).await;
        assert_eq!(after.status(), 403);
        assert_eq!(json(after).await["error"], "opted_out");
        let later_batch = json(app.beacon_from(SITE_ORIGIN, "/api/v1/batch", &json!({"site": demo.site_key, "respondent": respondent, "responses": [{"id": Uuid::new_v4(), "score": 1}]})).await).await;
        assert_eq!(later_batch["results"][0]["status"], 403);
        assert_eq!(count_responses(&app).await, 1);

        // Rejoining the program collects again.
        let rejoin = json(
            app.beacon_from(
                SITE_ORIGIN,
                "/api/v1/batch",
                &json!({"site": demo.site_key, "respondent": respondent, "opt_out": false}),
            )
            .await,
        )
        .await;
        assert_eq!(rejoin["opted_out"], false);
        assert_eq!(app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 9, "respondent": respondent})).await.status(), 201);
    }
);

both_backends!(
    a_batch_reports_each_bad_item_and_keeps_the_good_ones,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let good = Uuid::new_v4();
        let bad = Uuid::new_v4();
        let body = json(app.beacon_from(SITE_ORIGIN, "/api/v1/batch", &json!({
        "site": demo.site_key,
        "responses": [{"id": good, "score": 6}, {"id": bad, "score": 6, "context": {"device": "toaster"}}],
        "impressions": [{"id": Uuid::new_v4(), "kind": "glanced"}],
    })).await).await;
        assert_eq!(body["results"][0]["status"], 201);
        assert_eq!(body["results"][1]["status"], 422);
        assert_eq!(body["results"][1]["field"], "context.device");
        assert_eq!(body["results"][2]["field"], "kind");
        assert!(stored(&app, good).await.is_some() && stored(&app, bad).await.is_none());
        let too_many: Vec<_> = (0..41)
            .map(|_| json!({"id": Uuid::new_v4(), "kind": "shown"}))
            .collect();
        let refused = app
            .beacon_from(
                SITE_ORIGIN,
                "/api/v1/batch",
                &json!({"site": demo.site_key, "impressions": too_many}),
            )
            .await;
        assert_eq!(refused.status(), 422);
    }
);

both_backends!(
    concurrent_answers_are_each_stored_exactly_once,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let ids: Vec<Uuid> = (0..200).map(|_| Uuid::new_v4()).collect();
        // Every answer sent twice, all at once: group commit must neither lose nor double any.
        let requests = ids.iter().chain(ids.iter()).map(|id| {
            let client = app.client.clone();
            let url = app.url("/api/v1/responses");
            let body = json!({"id": id, "site": demo.site_key, "score": (id.as_bytes()[0] % 11)});
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        });
        let statuses: Vec<u16> = futures_join(requests.collect()).await;
        let other: Vec<&u16> = statuses
            .iter()
            .filter(|s| **s != 200 && **s != 201)
            .collect();
        assert!(other.is_empty(), "statuses other than 200/201: {other:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            200,
            "each id created once"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            200,
            "each resend acknowledged"
        );
        assert_eq!(count_responses(&app).await, 200);
    }
);

async fn futures_join(handles: Vec<tokio::task::JoinHandle<u16>>) -> Vec<u16> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
