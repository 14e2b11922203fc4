use crate::both_backends;
use crate::helpers::{json, Backend, TestApp};
use serde_json::json;
use uuid::Uuid;

/// The stored row, read below the store so the test sees exactly what was written.
#[derive(Debug, PartialEq)]
pub struct Row {
    pub score: i64,
    pub comment: Option<String>,
    pub language: Option<String>,
    pub notice_version: i64,
    pub choices: serde_json::Value,
    pub page_path: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub country: Option<String>,
}

const ROW_SQL: &str = "SELECT r.score, r.comment, r.language, n.version, r.consent_choices,
        r.page_path, r.device_class, r.browser_family, r.country
     FROM responses r JOIN privacy_notices n ON n.id = r.notice_id WHERE r.id = $1";

pub async fn stored(app: &TestApp, id: Uuid) -> Option<Row> {
    use sqlx::Row as _;
    match app.backend() {
        Backend::Sqlite => {
            let mut c = app.raw_sqlite().await;
            let row = sqlx::query(ROW_SQL)
                .bind(id)
                .fetch_optional(&mut c)
                .await
                .unwrap()?;
            Some(Row {
                score: row.get(0),
                comment: row.get(1),
                language: row.get(2),
                notice_version: row.get(3),
                choices: serde_json::from_str(row.get::<&str, _>(4)).unwrap(),
                page_path: row.get(5),
                device: row.get(6),
                browser: row.get(7),
                country: row.get(8),
            })
        }
        Backend::Postgres => {
            let mut c = app.raw_postgres().await;
            let row = sqlx::query(ROW_SQL)
                .bind(id)
                .fetch_optional(&mut c)
                .await
                .unwrap()?;
            Some(Row {
                score: i64::from(row.get::<i16, _>(0)),
                comment: row.get(1),
                language: row.get(2),
                notice_version: i64::from(row.get::<i32, _>(3)),
                choices: row.get::<sqlx::types::Json<serde_json::Value>, _>(4).0,
                page_path: row.get(5),
                device: row.get(6),
                browser: row.get(7),
                country: row.get(8),
            })
        }
    }
}

pub async fn count_responses(app: &TestApp) -> i64 {
    match app.backend() {
        Backend::Sqlite => sqlx::query_scalar("SELECT COUNT(*) FROM responses")
            .fetch_one(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query_scalar("SELECT COUNT(*) FROM responses")
            .fetch_one(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

both_backends!(
    a_valid_answer_is_stored_with_consent_and_context,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let response = app
        .client
        .post(app.url("/api/v1/responses"))
        .header("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1")
        .header("x-test-country", "fi")
        .header("X-Forwarded-For", "203.0.113.9")
        .json(&json!({
            "id": id, "site": demo.site_key, "score": 9, "comment": "  Quick checkout  ",
            "language": "fi-fi",
            "context": {"path": "https://shop.example/cart?email=ann@example.com#pay"}
        }))
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(json(response).await, json!({"id": id, "stored": true}));

        let row = stored(&app, id).await.expect("stored");
        assert_eq!(
            row,
            Row {
                score: 9,
                comment: Some("Quick checkout".into()),
                language: Some("fi-FI".into()),
                notice_version: 1,
                // No choice was sent, so none is recorded (never a made-up "granted").
                choices: json!({}),
                page_path: Some("/cart".into()),
                device: Some("mobile".into()),
                browser: Some("safari".into()),
                country: Some("FI".into()),
            }
        );
    }
);

both_backends!(
    resending_the_same_id_stores_nothing_new,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let first = app
            .post_response(&json!({"id": id, "site": demo.site_key, "score": 3}))
            .await;
        assert_eq!(first.status(), 201);
        for _ in 0..3 {
            let again = app
                .post_response(&json!({"id": id, "site": demo.site_key, "score": 10}))
                .await;
            assert_eq!(again.status(), 200);
            assert_eq!(json(again).await["stored"], false);
        }
        assert_eq!(count_responses(&app).await, 1);
        assert_eq!(
            stored(&app, id).await.unwrap().score,
            3,
            "the first answer is kept"
        );
    }
);

both_backends!(
    explicit_consent_is_recorded_as_given,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.store
            .publish_notice(demo.organisation_id, "en", "Version two of the notice.")
            .await
            .unwrap();
        let old = Uuid::new_v4();
        let response = app.post_response(&json!({
        "id": old, "site": demo.site_key, "score": 7,
        "consent": {"notice_version": 1, "choices": {"improvement_program": true, "contact": false}}
    })).await;
        assert_eq!(response.status(), 201);
        let row = stored(&app, old).await.unwrap();
        assert_eq!(row.notice_version, 1);
        assert_eq!(
            row.choices,
            json!({"improvement_program": true, "contact": false})
        );

        let current = Uuid::new_v4();
        app.post_response(&json!({"id": current, "site": demo.site_key, "score": 7}))
            .await;
        assert_eq!(
            stored(&app, current).await.unwrap().notice_version,
            2,
            "omitted notice = current"
        );
    }
);

both_backends!(
    bad_input_gets_422_naming_the_field,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let other_survey = app
            .public_site(&other.site_key)
            .await
            .default_survey
            .unwrap();
        let id = Uuid::new_v4();
        let cases = [
            (
                json!({"id": id, "site": demo.site_key, "score": 11}),
                "score",
            ),
            (
                json!({"id": id, "site": demo.site_key, "score": -1}),
                "score",
            ),
            (
                json!({"id": id, "site": demo.site_key, "score": "9"}),
                "score",
            ),
            (json!({"id": "x", "site": demo.site_key, "score": 9}), "id"),
            (json!({"id": id, "site": "st_unknown", "score": 9}), "site"),
            (
                json!({"id": id, "site": demo.site_key, "survey": other_survey.id, "score": 9}),
                "survey",
            ),
            (
                json!({"id": id, "site": demo.site_key, "score": 9, "consent": {"notice_version": 7}}),
                "consent.notice_version",
            ),
            (
                json!({"id": id, "site": demo.site_key, "score": 9, "context": {"path": "no-slash"}}),
                "context.path",
            ),
            (
                json!({"id": id, "site": demo.site_key, "score": 9, "ip": "203.0.113.9"}),
                "ip",
            ),
        ];
        for (body, field) in cases {
            let response = app.post_response(&body).await;
            assert_eq!(response.status(), 422, "{body}");
            let error = json(response).await;
            assert_eq!(error["field"], field, "{body} → {error}");
            assert!(error["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
        assert_eq!(count_responses(&app).await, 0, "nothing invalid was stored");
    }
);

both_backends!(
    oversize_bodies_get_413_and_store_nothing,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let kept = Uuid::new_v4();
        app.post_response(&json!({"id": kept, "site": demo.site_key, "score": 8}))
            .await;
        let huge = json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 8, "comment": "x".repeat(20_000)});
        let response = app.post_response(&huge).await;
        assert_eq!(response.status(), 413);
        assert_eq!(count_responses(&app).await, 1);
        assert_eq!(
            stored(&app, kept).await.unwrap().score,
            8,
            "what was stored is intact"
        );
    }
);

both_backends!(
    an_id_of_another_site_is_a_conflict,
    |app: TestApp| async move {
        let a = app.seed().await;
        let b = app.seed().await;
        let id = Uuid::new_v4();
        assert_eq!(
            app.post_response(&json!({"id": id, "site": a.site_key, "score": 1}))
                .await
                .status(),
            201
        );
        let response = app
            .post_response(&json!({"id": id, "site": b.site_key, "score": 9}))
            .await;
        assert_eq!(response.status(), 409);
        assert_eq!(stored(&app, id).await.unwrap().score, 1);
    }
);
