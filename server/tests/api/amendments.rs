//! Only an answer's author may change it: an amendment must carry the answer's edit secret,
//! within the amend window, and every consent choice it changes is kept in the consent record
//! with its time. An answer that came with no choice says so instead of claiming one.

use crate::both_backends;
use crate::helpers::{json, TestApp, PASSWORD};
use crate::ingest::stored;
use app::domain::{ConsentChoices, EditSecret, UsageContext};
use app::nps::Score;
use app::store::StoredResponse;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const OTHER_SECRET: &str = "fedcba9876543210fedcba9876543210";

async fn batch(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.post_batch(&body).await;
    let status = response.status().as_u16();
    (status, json(response).await)
}

/// An answer stored `age` ago with `SECRET`, as the widget would have sent it then.
async fn answer_aged(
    app: &TestApp,
    demo: &farewell::provision::DemoCreated,
    age: Duration,
) -> Uuid {
    let public = app.public_site(&demo.site_key).await;
    let id = Uuid::new_v4();
    let secret = EditSecret::parse("edit_secret", SECRET).unwrap();
    app.store
        .insert_responses(&[StoredResponse {
            id,
            org_id: demo.organisation_id,
            site_id: demo.site_id,
            survey_id: public.default_survey.unwrap().id,
            score: Score::try_from(3u8).unwrap(),
            comment: None,
            language: None,
            received_at: Utc::now() - age,
            notice_id: public.current_notice.unwrap().id,
            choices: ConsentChoices::improvement_program(),
            context: UsageContext::default(),
            respondent_id: None,
            contact_email: None,
            edit_secret_hash: Some(app::ingest::edit_secret_hash(&secret)),
            reason: None,
            user_hash: None,
            account_hash: None,
        }])
        .await
        .unwrap();
    id
}

/// The admin's JSON export of one respondent's answers (the client must be signed in).
async fn admin_export(app: &TestApp, org: Uuid, respondent: Uuid) -> Value {
    let url = format!("/admin/answers.json?org={org}&respondent={respondent}");
    json(app.client.get(app.url(&url)).send().await.unwrap()).await
}

both_backends!(
    only_a_request_carrying_the_edit_secret_changes_an_answer,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let (status, body) = batch(&app, json!({"site": demo.site_key, "responses": [
            {"id": id, "score": 4, "edit_secret": SECRET, "consent": {"choices": {"improvement_program": true}}}
        ]}))
        .await;
        assert_eq!(
            (status, body["results"][0]["status"].clone()),
            (200, json!(201))
        );

        // The attack of the finding: the id alone, with a score, comment and e-mail.
        let forged = json!({"id": id, "score": 10, "comment": "forged", "contact_email": "eve@example.com", "choices": {"contact": true}});
        let (status, body) =
            batch(&app, json!({"site": demo.site_key, "amendments": [forged]})).await;
        assert_eq!(status, 422, "no secret, no amendment: {body}");
        assert_eq!(body["field"], "amendments[0]", "{body}");
        for (secret, want) in [(OTHER_SECRET, 404), ("abc", 422), ("", 422)] {
            let mut item = forged.clone();
            item["edit_secret"] = json!(secret);
            let (status, body) =
                batch(&app, json!({"site": demo.site_key, "amendments": [item]})).await;
            assert_eq!(status, 200);
            assert_eq!(
                body["results"][0]["status"], want,
                "secret {secret:?}: {body}"
            );
        }
        let row = stored(&app, id).await.unwrap();
        assert_eq!(
            (row.score, row.comment.as_deref()),
            (4, None),
            "nothing changed"
        );
        assert_eq!(row.choices, json!({"improvement_program": true}));

        // The same secret on another site's key finds nothing either.
        let other = app.seed().await;
        let mut item = forged.clone();
        item["edit_secret"] = json!(SECRET);
        let (_, body) = batch(
            &app,
            json!({"site": other.site_key, "amendments": [item.clone()]}),
        )
        .await;
        assert_eq!(body["results"][0]["status"], 404, "{body}");

        // The author's own amendment goes through.
        let (_, body) = batch(&app, json!({"site": demo.site_key, "amendments": [item]})).await;
        assert_eq!(body["results"][0]["status"], 200, "{body}");
        let row = stored(&app, id).await.unwrap();
        assert_eq!((row.score, row.comment.as_deref()), (10, Some("forged")));

        // An answer stored without a secret (an API client's) can never be amended.
        let plain = Uuid::new_v4();
        assert_eq!(
            app.post_response(&json!({"id": plain, "site": demo.site_key, "score": 6}))
                .await
                .status(),
            201
        );
        let (_, body) = batch(
            &app,
            json!({"site": demo.site_key, "amendments": [
                {"id": plain, "edit_secret": SECRET, "comment": "x"}
            ]}),
        )
        .await;
        assert_eq!(body["results"][0]["status"], 404, "{body}");
        assert_eq!(stored(&app, plain).await.unwrap().comment, None);

        // The secret itself is nowhere: the store keeps only its SHA-256.
        let hash = app::ingest::edit_secret_hash(&EditSecret::parse("s", SECRET).unwrap());
        let kept: Option<String> = match app.backend() {
            crate::helpers::Backend::Sqlite => {
                sqlx::query_scalar("SELECT edit_secret_hash FROM responses WHERE id = ?")
                    .bind(id)
                    .fetch_one(&mut app.raw_sqlite().await)
                    .await
                    .unwrap()
            }
            crate::helpers::Backend::Postgres => {
                sqlx::query_scalar("SELECT edit_secret_hash FROM responses WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut app.raw_postgres().await)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(kept.as_deref(), Some(hash.as_str()));
        app.sign_in(&demo.email, PASSWORD).await;
        for path in [
            format!("/dashboard/{}/export.csv", demo.site_key),
            format!("/dashboard/{}/export.json", demo.site_key),
            format!(
                "/admin/answers.json?org={}&respondent=&email=eve@example.com",
                demo.organisation_id
            ),
        ] {
            let text = app
                .client
                .get(app.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                !text.contains(SECRET) && !text.contains(&hash),
                "{path}: {text}"
            );
        }
    }
);

both_backends!(
    an_amendment_after_the_window_changes_nothing,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // The test server keeps the default window of 30 minutes.
        let fresh = answer_aged(&app, &demo, Duration::minutes(29)).await;
        let stale = answer_aged(&app, &demo, Duration::minutes(31)).await;
        let (_, body) = batch(
            &app,
            json!({"site": demo.site_key, "amendments": [
                {"id": fresh, "edit_secret": SECRET, "comment": "in time"},
                {"id": stale, "edit_secret": SECRET, "comment": "too late"},
            ]}),
        )
        .await;
        assert_eq!(body["results"][0]["status"], 200, "{body}");
        assert_eq!(
            body["results"][1],
            json!({"id": stale, "status": 403, "reason": "amend_window_passed"})
        );
        assert_eq!(
            stored(&app, fresh).await.unwrap().comment.as_deref(),
            Some("in time")
        );
        assert_eq!(stored(&app, stale).await.unwrap().comment, None);
    }
);

both_backends!(
    a_longer_window_is_an_operator_setting,
    settings: |s: &mut farewell::config::ServeArgs| s.amend_window_minutes = 120,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = answer_aged(&app, &demo, Duration::minutes(90)).await;
        let (_, body) = batch(&app, json!({"site": demo.site_key, "amendments": [
            {"id": id, "edit_secret": SECRET, "comment": "still in time"}
        ]}))
        .await;
        assert_eq!(body["results"][0]["status"], 200, "{body}");
    }
);

both_backends!(
    consent_changes_are_recorded_with_their_time_and_the_notice_stays,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let respondent = Uuid::new_v4();
        batch(&app, json!({"site": demo.site_key, "respondent": respondent, "responses": [
            {"id": id, "score": 2, "edit_secret": SECRET, "consent": {"notice_version": 1, "choices": {"improvement_program": true}}}
        ]}))
        .await;
        // Only the contact choice can be made after the answer.
        let (_, body) = batch(
            &app,
            json!({"site": demo.site_key, "amendments": [
                {"id": id, "edit_secret": SECRET, "choices": {"marketing": true}}
            ]}),
        )
        .await;
        assert_eq!(body["results"][0]["field"], "choices", "{body}");
        // A newer notice is published meanwhile: the answer stays under version 1.
        app.store
            .publish_notice(demo.organisation_id, "en", "Version two.")
            .await
            .unwrap();
        // An e-mail needs the contact choice in the same amendment.
        let (_, body) = batch(
            &app,
            json!({"site": demo.site_key, "amendments": [
                {"id": id, "edit_secret": SECRET, "contact_email": "ann@example.com"}
            ]}),
        )
        .await;
        assert_eq!(body["results"][0]["field"], "contact_email", "{body}");
        let before = Utc::now();
        let (_, body) = batch(&app, json!({"site": demo.site_key, "amendments": [
            {"id": id, "edit_secret": SECRET, "contact_email": "ann@example.com", "choices": {"contact": true}}
        ]}))
        .await;
        assert_eq!(body["results"][0]["status"], 200, "{body}");
        // Re-sending the same choice is no change; taking it back is one.
        batch(&app, json!({"site": demo.site_key, "amendments": [
            {"id": id, "edit_secret": SECRET, "comment": "call me", "choices": {"contact": true}}
        ]}))
        .await;
        batch(
            &app,
            json!({"site": demo.site_key, "amendments": [
                {"id": id, "edit_secret": SECRET, "choices": {"contact": false}}
            ]}),
        )
        .await;

        let consent = app
            .store
            .consent_of(demo.organisation_id, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consent.choices.granted("contact"), Some(false));
        assert_eq!(consent.choices.granted("improvement_program"), Some(true));
        let changes: Vec<_> = consent
            .changes
            .iter()
            .map(|c| (c.choice.as_str(), c.granted_before, c.granted))
            .collect();
        assert_eq!(
            changes,
            vec![("contact", None, true), ("contact", Some(true), false)]
        );
        assert!(consent
            .changes
            .iter()
            .all(|c| c.at >= before - Duration::seconds(1)));
        assert_eq!(stored(&app, id).await.unwrap().notice_version, 1);
        // Taking the choice back takes the address with it.
        assert!(app
            .store
            .find_answers(
                demo.organisation_id,
                &app::store::AnswerSearch {
                    email: Some("ann@example.com".into()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());

        // The consent record shows the changes with their times.
        app.sign_in(&demo.email, PASSWORD).await;
        let page = app
            .page(&format!("/consent/{id}?site={}", demo.site_key))
            .await;
        assert!(
            page.contains("Changed after the answer") && page.contains("not shown yet"),
            "{page}"
        );
        assert!(page.contains(&consent.changes[0].at.to_rfc3339()), "{page}");
        // So does the admin's export.
        let export = admin_export(&app, demo.organisation_id, respondent).await;
        assert_eq!(export[0]["consent"]["basis"], "choices_made", "{export}");
        assert_eq!(export[0]["consent"]["changes"][0]["choice"], "contact");
        assert_eq!(export[0]["consent"]["changes"][1]["granted"], false);
    }
);

both_backends!(
    an_answer_sent_without_choices_claims_none,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let respondent = Uuid::new_v4();
        let posted = app
            .post_response(
                &json!({"id": id, "site": demo.site_key, "score": 7, "respondent": respondent}),
            )
            .await;
        assert_eq!(posted.status(), 201);
        assert_eq!(
            stored(&app, id).await.unwrap().choices,
            json!({}),
            "no made-up grant"
        );
        app.sign_in(&demo.email, PASSWORD).await;
        let page = app
            .page(&format!("/consent/{id}?site={}", demo.site_key))
            .await;
        assert!(
            page.contains("No choice was shown with this answer"),
            "{page}"
        );
        assert!(!page.contains(">granted<"), "{page}");
        let export = admin_export(&app, demo.organisation_id, respondent).await;
        assert_eq!(export[0]["consent"]["basis"], "no_choice_shown", "{export}");
        assert_eq!(export[0]["consent"]["choices"], json!({}));
        // A choice made later is a change to that record, which still says none came with
        // the answer.
        let id2 = Uuid::new_v4();
        batch(&app, json!({"site": demo.site_key, "respondent": respondent, "responses": [{"id": id2, "score": 4, "edit_secret": SECRET}]})).await;
        batch(&app, json!({"site": demo.site_key, "amendments": [{"id": id2, "edit_secret": SECRET, "choices": {"contact": false}}]})).await;
        let consent = app
            .store
            .consent_of(demo.organisation_id, id2)
            .await
            .unwrap()
            .unwrap();
        assert!(consent.choices_at_answer().is_empty());
        assert_eq!(
            app::domain::ConsentBasis::of(&consent.choices_at_answer()),
            app::domain::ConsentBasis::NoChoiceShown
        );
    }
);
