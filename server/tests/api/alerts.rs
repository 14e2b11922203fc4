//! Alerts with rules: a webhook is told only of the answers its rules admit (band, score, saved
//! theme, segment), with the reason for each one kept out in the history; a batching webhook
//! sends at most one message per window, summarising the burst; an alert waits for the
//! visitor's follow-up and carries the contact address only with consent; an answer erased
//! before its alert is never sent.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{Backend, TestApp, PASSWORD};
use crate::webhooks::{start_receiver, Receiver};
use app::domain::Role;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;
use uuid::Uuid;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
/// A Mattermost incoming webhook's path: the URL says the format.
const MATTERMOST: &str = "/hooks/xq3kbb5tmbrwdq6rwnjtyh6gfe";

/// A receiver that answers 200, at a Mattermost-shaped address.
async fn chat_receiver() -> (String, Receiver) {
    let (url, receiver) = start_receiver().await;
    receiver.up.store(true, Ordering::SeqCst);
    (url.replace("/hook", MATTERMOST), receiver)
}

/// Adds a webhook of every answer to `url`, as the signed-in admin does.
async fn add_webhook(app: &TestApp, org: Uuid, url: &str) {
    let org = org.to_string();
    let form = [
        ("org", org.as_str()),
        ("url", url),
        ("response_created", "on"),
    ];
    let created = app.call_fn(&app.client, "create_webhook", &form).await;
    assert_eq!(created.status(), 200);
}

/// Saves a webhook's rules from the form's fields as `client`; the status and the body.
async fn save_rules(
    app: &TestApp,
    client: &reqwest::Client,
    org: Uuid,
    hook: Uuid,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let (org, hook) = (org.to_string(), hook.to_string());
    let mut form = vec![("org", org.as_str()), ("id", hook.as_str())];
    form.extend_from_slice(fields);
    let r = app.call_fn(client, "save_webhook_rules", &form).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn answer(app: &TestApp, site_key: &str, score: u8, comment: &str, device: &str) -> Uuid {
    let id = Uuid::new_v4();
    let r = app
        .post_response(
            &json!({"id": id, "site": site_key, "score": score, "comment": comment,
            "context": {"path": "/checkout", "device": device}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    id
}

/// Runs a statement as written on either backend (no parameters).
async fn sql(app: &TestApp, statement: &str) {
    match app.backend() {
        Backend::Sqlite => {
            sqlx::query(statement)
                .execute(&mut app.raw_sqlite().await)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::query(statement)
                .execute(&mut app.raw_postgres().await)
                .await
                .unwrap();
        }
    }
}

/// Ends every batching window now: what waited for it is due.
async fn end_the_window(app: &TestApp) {
    sql(app, "UPDATE webhooks SET quiet_until = NULL").await;
    sql(
        app,
        "UPDATE webhook_deliveries SET next_attempt_at = created_at
         WHERE delivered_at IS NULL AND failed_at IS NULL",
    )
    .await;
}

fn texts(receiver: &Receiver) -> Vec<String> {
    receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, _, body, _)| {
            let body: Value = serde_json::from_str(body).unwrap();
            body["text"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

both_backends!(
    alert_rules_keep_out_what_they_name_and_the_history_says_why,
    |app: TestApp| async move {
        let (url, receiver) = chat_receiver().await;
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        add_webhook(&app, org, &url).await;
        let hook = app.store.webhooks(org).await.unwrap()[0].clone();
        assert_eq!(hook.rules, "every answer, each at once");
        let saved = app
            .call_fn(
                &app.client,
                "save_theme",
                &[
                    ("site_key", demo.site_key.as_str()),
                    ("name", "checkout"),
                    ("terms", "checkout, payment"),
                ],
            )
            .await;
        assert_eq!(saved.status(), 200);

        // Refusals name their field, and change nothing.
        for (fields, field) in [
            (vec![("detractors", "on"), ("theme", "shipping")], "theme"),
            (vec![("min_score", "3")], "bands"),
            (
                vec![("detractors", "on"), ("segment", "colour:red")],
                "segment",
            ),
            (vec![("promoters", "on"), ("max_score", "6")], "min_score"),
            (
                vec![("detractors", "on"), ("batch_minutes", "1441")],
                "batch_minutes",
            ),
        ] {
            let (status, body) = save_rules(&app, &app.client, org, hook.id, &fields).await;
            assert_eq!(status, 422, "{fields:?}");
            assert_eq!(body["Invalid"]["field"], field, "{body}");
        }
        // A viewer may not; another organisation's admin finds no such webhook.
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        let rules = [("detractors", "on")];
        assert_eq!(save_rules(&app, &viewer, org, hook.id, &rules).await.0, 403);
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(
            save_rules(&app, &outsider, org, hook.id, &rules).await.0,
            404
        );
        assert_eq!(
            save_rules(&app, &outsider, other.organisation_id, hook.id, &rules)
                .await
                .0,
            404
        );
        assert_eq!(
            app.store.webhooks(org).await.unwrap()[0].rules,
            "every answer, each at once"
        );

        let (status, _) = save_rules(
            &app,
            &app.client,
            org,
            hook.id,
            &[
                ("detractors", "on"),
                ("min_score", "0"),
                ("max_score", "5"),
                ("theme", "Checkout"),
                ("segment", "device:mobile"),
                ("batch_minutes", "0"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let described = "only detractors · scores 0–5 · theme checkout · segment device:mobile";
        assert_eq!(app.store.webhooks(org).await.unwrap()[0].rules, described);
        let audit = app.store.audit_log(org, 10).await.unwrap();
        assert!(audit
            .iter()
            .any(|e| e.action == "webhook.rules" && e.subject.ends_with(described)));

        answer(&app, &demo.site_key, 2, "checkout is broken", "mobile").await;
        answer(&app, &demo.site_key, 9, "checkout was fine", "mobile").await;
        answer(&app, &demo.site_key, 6, "checkout slow", "mobile").await;
        answer(&app, &demo.site_key, 2, "payment failed", "desktop").await;
        answer(&app, &demo.site_key, 3, "too slow", "mobile").await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            let d = app.store.deliveries(org, 10).await.unwrap();
            d.len() == 5 && d.iter().all(|d| d.delivered || d.skipped)
        })
        .await;
        let texts = texts(&receiver);
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(
            texts[0].starts_with(
                "Farewell: a detractor scored 2/10 on `/checkout` (mobile) · themes: checkout"
            ),
            "{}",
            texts[0]
        );
        assert!(texts[0].contains("checkout is broken"));
        let mut reasons: Vec<String> = app
            .store
            .deliveries(org, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.skipped)
            .map(|d| {
                assert!(!d.delivered && d.attempts == 0, "{d:?}");
                d.last_error.unwrap()
            })
            .collect();
        reasons.sort();
        assert_eq!(
            reasons,
            [
                "not detractors",
                "not in segment device:mobile",
                "not in theme checkout",
                "score 6 outside 0–5",
            ]
        );

        // The rules' page: its admin reads them; another organisation's admin, nothing.
        let page_path = format!("/admin/{org}/webhooks/{}", hook.id);
        let page = app.client.get(app.url(&page_path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains(described), "{page}");
        assert!(page.contains("Saved themes: checkout."));
        let foreign = outsider.get(app.url(&page_path)).send().await.unwrap();
        assert_eq!(foreign.status(), 404);
        assert!(!foreign.text().await.unwrap().contains(&url));
        let viewer_page = viewer.get(app.url(&page_path)).send().await.unwrap();
        assert_eq!(viewer_page.status(), 404);
        let malformed = app
            .client
            .get(app.url(&format!("/admin/{org}/webhooks/not-an-id")))
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 404);
    }
);

both_backends!(
    a_burst_is_one_message_then_one_summary_per_window,
    |app: TestApp| async move {
        let (chat_url, chat) = chat_receiver().await;
        let (json_url, machine) = start_receiver().await;
        machine.up.store(true, Ordering::SeqCst);
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        for url in [&chat_url, &json_url] {
            add_webhook(&app, org, url).await;
        }
        let ten_minutes = [
            ("detractors", "on"),
            ("passives", "on"),
            ("promoters", "on"),
            ("batch_minutes", "10"),
        ];
        for hook in app.store.webhooks(org).await.unwrap() {
            let (status, _) = save_rules(&app, &app.client, org, hook.id, &ten_minutes).await;
            assert_eq!(status, 200);
        }

        // The first answer goes at once, alone.
        answer(&app, &demo.site_key, 1, "first", "mobile").await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            chat.seen.lock().unwrap().len() == 1 && machine.seen.lock().unwrap().len() == 1
        })
        .await;
        assert!(texts(&chat)[0].starts_with("Farewell: a detractor scored 1/10"));

        // A burst within the window waits for its end.
        for (score, comment) in [(0, "broken"), (5, "slow"), (8, "fine"), (10, "great")] {
            answer(&app, &demo.site_key, score, comment, "desktop").await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            chat.seen.lock().unwrap().len(),
            1,
            "nothing more inside the window"
        );
        assert_eq!(machine.seen.lock().unwrap().len(), 1);
        let waiting = app.store.deliveries(org, 20).await.unwrap();
        assert_eq!(
            waiting.iter().filter(|d| !d.delivered && !d.failed).count(),
            8
        );
        assert!(
            waiting.iter().all(|d| d.attempts <= 1),
            "waiting is not an attempt"
        );

        end_the_window(&app).await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            chat.seen.lock().unwrap().len() == 2 && machine.seen.lock().unwrap().len() == 2
        })
        .await;
        let summary = texts(&chat)[1].clone();
        assert!(
            summary.starts_with(
                "Farewell: 4 answers in the last 10 min: 2 detractors, 1 passives, 1 promoters"
            ),
            "{summary}"
        );
        // The lowest score first.
        assert!(summary.find("0/10").unwrap() < summary.find("10/10").unwrap());
        let (_, event, signature, body, _) = machine.seen.lock().unwrap()[1].clone();
        assert_eq!(event, "batch");
        assert!(signature.starts_with("t="), "the JSON batch is signed");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["count"], 4);
        let scores: Vec<u64> = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["answer"]["score"].as_u64().unwrap())
            .collect();
        assert_eq!(scores, [0, 5, 8, 10], "oldest first");
        crate::helpers::eventually(Duration::from_secs(5), || async {
            let d = app.store.deliveries(org, 20).await.unwrap();
            d.len() == 10 && d.iter().all(|d| d.delivered)
        })
        .await;
        // The window began again with the summary.
        tokio::time::sleep(Duration::from_millis(500)).await;
        answer(&app, &demo.site_key, 4, "later", "mobile").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(chat.seen.lock().unwrap().len(), 2);
    }
);

both_backends!(
    an_alert_waits_for_the_follow_up_and_names_contact_only_with_consent,
    settings: |s: &mut farewell::config::ServeArgs| s.webhook_settle_secs = 3600,
    |app: TestApp| async move {
        let (url, receiver) = start_receiver().await;
        receiver.up.store(true, Ordering::SeqCst);
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.store
            .create_webhook(org, &url, "whsec_x", &["response.created".into()], app::domain::WebhookFormat::Json)
            .await
            .unwrap();
        // As the widget sends it: the score first, the follow-up later.
        let first = |id: Uuid| json!({"id": id, "score": 3, "edit_secret": SECRET,
            "consent": {"choices": {"improvement_program": true}}});
        let follow_up = |id: Uuid, contact: bool, comment: &str| {
            let mut a = json!({"id": id, "edit_secret": SECRET, "comment": comment,
                "choices": {"contact": contact}});
            if contact {
                a["contact_email"] = json!("ann@example.com");
            }
            a
        };
        let (agreed, declined, erased) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let r = app
            .post_batch(&json!({"site": demo.site_key,
                "responses": [first(agreed), first(declined), first(erased)]}))
            .await;
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(receiver.seen.lock().unwrap().is_empty(), "nothing before the follow-up");
        let d = app.store.deliveries(org, 10).await.unwrap();
        assert_eq!(d.len(), 3);
        assert!(d.iter().all(|d| !d.delivered && !d.failed && d.attempts == 0));

        let r = app
            .post_batch(&json!({"site": demo.site_key, "amendments": [
                follow_up(agreed, true, "call me about checkout"),
                follow_up(declined, false, "just saying")]}))
            .await;
        assert_eq!(r.status(), 200);
        crate::helpers::eventually(Duration::from_secs(10), || async {
            receiver.seen.lock().unwrap().len() == 2
        })
        .await;
        let payloads: Vec<Value> = receiver
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| serde_json::from_str(&s.3).unwrap())
            .collect();
        let of = |id: Uuid| {
            payloads
                .iter()
                .find(|p| p["answer"]["id"] == id.to_string())
                .unwrap()["answer"]
                .clone()
        };
        assert_eq!(of(agreed)["comment"], "call me about checkout");
        assert_eq!(of(agreed)["contact_email"], "ann@example.com");
        assert_eq!(of(declined)["comment"], "just saying");
        assert!(of(declined).get("contact_email").is_none(), "{}", of(declined));
        assert!(payloads.iter().all(|p| p["answer"].get("respondent").is_none()));

        // Erased before it was final: nothing is sent, ever.
        assert_eq!(app.store.erase_answers(org, &[erased]).await.unwrap(), 1);
        end_the_window(&app).await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            app.store
                .deliveries(org, 10)
                .await
                .unwrap()
                .iter()
                .any(|d| d.skipped && d.last_error.as_deref() == Some("the answer was erased"))
        })
        .await;
        assert_eq!(receiver.seen.lock().unwrap().len(), 2);
        // The outbox never held what the visitor wrote.
        let stored: Vec<String> = match app.backend() {
            Backend::Sqlite => sqlx::query_scalar("SELECT payload FROM webhook_deliveries")
                .fetch_all(&mut app.raw_sqlite().await)
                .await
                .unwrap(),
            Backend::Postgres => sqlx::query_scalar("SELECT payload FROM webhook_deliveries")
                .fetch_all(&mut app.raw_postgres().await)
                .await
                .unwrap(),
        };
        assert_eq!(stored.len(), 3);
        assert!(stored.iter().all(|p| !p.contains("call me") && !p.contains("ann@")));
    }
);
