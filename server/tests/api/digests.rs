//! Members' digests and significant-change alerts: a member chooses a daily or weekly digest at
//! an hour of their own time zone; at that hour it arrives at a loopback SMTP receiver, once
//! (of two looks, one sends), with the site's NPS, change, answers and response rate; a member
//! who left gets nothing; a digest can go to a chat webhook instead. An alert is sent only for
//! a change the period test calls real with enough answers, once per change, never on noise.

use crate::both_backends;
use crate::helpers::{AppBuilder, TestApp, PASSWORD};
use crate::smtp::{start_smtp, SmtpReceiver};
use crate::webhooks::start_receiver;
use app::domain::Role;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use farewell::digests::{run_due, DigestSettings};
use farewell::mail::SmtpMailer;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use uuid::Uuid;

const ZONE: Tz = chrono_tz::Europe::Helsinki;

/// A server sending mail through `relay`, on a fresh database of the backend of `app`.
async fn mailing_app(app: &TestApp, relay: &SmtpReceiver) -> TestApp {
    AppBuilder::new(app.backend())
        .settings(|s| {
            relay.settings(s);
            // Answers are moved into the past before anything counts them at their first time.
            crate::helpers::counting_by_hand(s);
            s.public_url = Some("https://feedback.example".into());
        })
        .spawn()
        .await
}

/// The worker's settings, with the server's own unsubscribe key (as `serve` reads it).
async fn settings(app: &TestApp) -> DigestSettings {
    let key = app
        .store
        .server_secret(farewell::http::unsubscribe::SECRET)
        .await
        .unwrap();
    DigestSettings {
        poll: std::time::Duration::from_secs(3600),
        public_url: Some("https://feedback.example".into()),
        unsubscribe_key: key.into_bytes().into(),
    }
}

fn mailer(relay: &SmtpReceiver) -> SmtpMailer {
    let mut args = farewell::config::ServeArgs::from_env();
    relay.settings(&mut args);
    SmtpMailer::from_settings(&args.smtp).unwrap().unwrap()
}

/// 08:00 in Helsinki on `day`.
fn eight_on(day: NaiveDate) -> DateTime<Utc> {
    ZONE.from_local_datetime(&day.and_hms_opt(8, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn helsinki_today() -> NaiveDate {
    Utc::now().with_timezone(&ZONE).date_naive()
}

async fn save_digest(
    app: &TestApp,
    client: &reqwest::Client,
    org: Uuid,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let o = org.to_string();
    let mut form = vec![
        ("org", o.as_str()),
        ("zone", "Europe/Helsinki"),
        ("hour", "8"),
        ("weekday", "1"),
    ];
    // The test's fields replace these defaults.
    form.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    form.extend_from_slice(fields);
    let r = app.call_fn(client, "save_digest", &form).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An answer with `score`, received at `at` (written past the API: an answer is always
/// received now). Its counts are read from the answer itself until it is counted.
async fn answer_at(app: &TestApp, site_key: &str, score: u8, at: DateTime<Utc>) {
    let id = Uuid::new_v4();
    let r = app
        .post_response(
            &json!({"id": id, "site": site_key, "score": score, "comment": "checkout was slow"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let sql = "UPDATE responses SET received_at = $1 WHERE id = $2";
    match app.backend() {
        crate::helpers::Backend::Sqlite => {
            sqlx::query(sql)
                .bind(at.timestamp_millis())
                .bind(id)
                .execute(&mut app.raw_sqlite().await)
                .await
                .unwrap();
        }
        crate::helpers::Backend::Postgres => {
            sqlx::query(sql)
                .bind(at)
                .bind(id)
                .execute(&mut app.raw_postgres().await)
                .await
                .unwrap();
        }
    }
}

both_backends!(
    a_members_digest_arrives_at_their_hour_once,
    |app: TestApp| async move {
        let relay = start_smtp().await;
        let app = mailing_app(&app, &relay).await;
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;

        // Refusals name their field.
        for (fields, field) in [
            (vec![("cadence", "hourly")], "cadence"),
            (vec![("cadence", "daily"), ("zone", "Mars/Olympus")], "zone"),
            (vec![("cadence", "daily"), ("hour", "24")], "hour"),
            (vec![("cadence", "daily"), ("to", "not-a-webhook")], "to"),
            (
                vec![("cadence", "daily"), ("to", &Uuid::new_v4().to_string())],
                "to",
            ),
        ] {
            let (status, body) = save_digest(&app, &app.client, org, &fields).await;
            assert_eq!(status, 422, "{fields:?}: {body}");
            assert_eq!(body["Invalid"]["field"], field, "{body}");
        }
        let (status, body) = save_digest(&app, &app.client, org, &[("cadence", "daily")]).await;
        assert_eq!(status, 200, "{body}");
        let audit = app.store.audit_log(org, 10).await.unwrap();
        assert!(
            audit.iter().any(|e| e.action == "digest.schedule"
                && e.subject == "daily at 08:00 (Europe/Helsinki); to e-mail"),
            "{audit:?}"
        );
        // A viewer chooses their own digest, but not a webhook; another organisation, nothing.
        let (_, viewer) = crate::admin::member(&app, &demo, Role::Viewer).await;
        let hook = app
            .store
            .create_webhook(
                org,
                "http://127.0.0.1:9/hook",
                "whsec_x",
                &["response.created".into()],
                app::domain::WebhookFormat::Json,
            )
            .await
            .unwrap()
            .to_string();
        let (status, body) =
            save_digest(&app, &viewer, org, &[("cadence", "weekly"), ("to", &hook)]).await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("to"))
        );
        // On yesterday's weekday: none of the looks below (today's, if the test runs before
        // 08:00 in Helsinki, and the next three days) is on it.
        use chrono::Datelike;
        let later = (helsinki_today() - Duration::days(1))
            .weekday()
            .number_from_monday()
            .to_string();
        assert_eq!(
            save_digest(
                &app,
                &viewer,
                org,
                &[("cadence", "weekly"), ("weekday", &later)]
            )
            .await
            .0,
            200
        );
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(
            save_digest(&app, &outsider, org, &[("cadence", "daily")])
                .await
                .0,
            404
        );
        let (status, page) = {
            let r = outsider
                .get(app.url(&format!("/admin/{org}/digest")))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        };
        assert_eq!(status, 404);
        assert!(!page.contains(&demo.email));

        // Today's answers; tomorrow at 08:00 in Helsinki the daily digest tells of them.
        for score in [10, 10, 9, 9, 9, 8, 7, 6, 3, 10, 9, 2] {
            answer_at(&app, &demo.site_key, score, Utc::now()).await;
        }
        let run = eight_on(helsinki_today() + Duration::days(1));
        let mailer = mailer(&relay);
        assert_eq!(
            run_due(&app.store, Some(&mailer), &settings(&app).await, run)
                .await
                .unwrap(),
            1
        );
        // The viewer's weekly digest waits for its day.
        let arrived = relay.messages();
        assert_eq!(arrived.len(), 1, "{arrived:?}");
        let m = &arrived[0];
        assert_eq!(m.to, vec![demo.email.clone()]);
        let subject = m.header("Subject").unwrap();
        assert!(subject.starts_with("Farewell daily digest:"), "{subject}");
        let text = m.decoded();
        assert!(m.data.contains("multipart/alternative"), "{}", m.data);
        // 7 promoters, 2 passives, 3 detractors of 12: NPS +33.
        assert!(text.contains("NPS +33"), "{text}");
        assert!(text.contains("12 answers"), "{text}");
        assert!(
            text.contains(&format!(
                "https://feedback.example/dashboard/{}?from=",
                demo.site_key
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("https://feedback.example/admin/{org}/digest")),
            "{text}"
        );
        assert!(text.contains("Not enough answers to compare"));
        // Rendered as HTML too, escaped.
        assert!(
            text.contains("<h2 style=\"font-size:17px;margin:0 0 4px\">Demo shop</h2>"),
            "{text}"
        );

        // A second look at the same time sends nothing: the first took it.
        assert_eq!(
            run_due(&app.store, Some(&mailer), &settings(&app).await, run)
                .await
                .unwrap(),
            0
        );
        // The next day's digest is of a day without answers.
        let next = run + Duration::days(1);
        assert_eq!(
            run_due(&app.store, Some(&mailer), &settings(&app).await, next)
                .await
                .unwrap(),
            1
        );
        assert!(relay.messages()[1]
            .decoded()
            .contains("Too few answers for an NPS (0 answers)"));
        // A member who left gets nothing more.
        let me = app
            .store
            .members(org)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.email == demo.email)
            .unwrap()
            .user_id;
        assert!(app.store.remove_member(org, me).await.unwrap());
        assert_eq!(
            run_due(
                &app.store,
                Some(&mailer),
                &settings(&app).await,
                next + Duration::days(1)
            )
            .await
            .unwrap(),
            0
        );
        assert_eq!(relay.messages().len(), 2);

        // Every digest can be stopped in one click, without signing in: a GET only asks, the
        // POST (the page's button, or the mail client's) stops it; a token is one member's.
        let sent = &relay.messages()[1];
        assert_eq!(
            sent.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        let link = sent.header("List-Unsubscribe").unwrap();
        let link = link.trim_matches(['<', '>']);
        assert!(
            link.starts_with("https://feedback.example/digest/unsubscribe?o="),
            "{link}"
        );
        assert!(sent.decoded().contains(link), "the letter shows it too");
        let local = link.replace("https://feedback.example", &app.address);
        let stranger = reqwest::Client::new();
        let asked = stranger.get(&local).send().await.unwrap();
        assert_eq!(asked.status(), 200);
        assert!(asked.text().await.unwrap().contains("Stop them"));
        let cadence = |s: Option<app::store::DigestSubscription>| s.unwrap().schedule.cadence();
        assert_eq!(
            cadence(app.store.digest_subscription(org, me).await.unwrap()),
            app::report::digest::Cadence::Daily
        );
        let forged = format!(
            "{}{}",
            &local[..local.len() - 1],
            if local.ends_with('0') { '1' } else { '0' }
        );
        let refused = stranger.post(&forged).send().await.unwrap();
        assert_eq!(refused.status(), 404);
        let malformed = stranger
            .post(app.url("/digest/unsubscribe?o=x&u=y&t=z"))
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 422);
        // 64 bytes that are not 64 hex digits (a character of two bytes among them).
        let odd = format!(
            "{}&t={}{}",
            &local[..local.find("&t=").unwrap()],
            "%C3%A9",
            "a".repeat(62)
        );
        assert_eq!(stranger.post(&odd).send().await.unwrap().status(), 422);
        let stopped = stranger
            .post(&local)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(stopped.status(), 200);
        assert!(stopped.text().await.unwrap().contains("no more digests"));
        let now = app
            .store
            .digest_subscription(org, me)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.schedule.cadence(), app::report::digest::Cadence::Off);
        assert!(!now.schedule.alerts());
    }
);

both_backends!(
    an_alert_is_sent_for_a_real_change_once_and_never_for_noise,
    |app: TestApp| async move {
        let relay = start_smtp().await;
        let app = mailing_app(&app, &relay).await;
        let run = eight_on(helsinki_today() + Duration::days(1));
        let day = |n: i64| run - Duration::days(n);
        // Drop: the week before, mostly promoters; the last week, mostly detractors (40 each).
        let dropping = app.seed().await;
        // Noise: the same mix both weeks.
        let steady = app.seed().await;
        for (site, before, after) in [
            (&dropping.site_key, [24, 8, 8], [8, 8, 24]),
            (&steady.site_key, [14, 12, 14], [14, 12, 14]),
        ] {
            for (mix, days) in [(before, [9, 10, 11, 12, 13]), (after, [2, 3, 4, 5, 6])] {
                let scores = std::iter::repeat_n(9u8, mix[0])
                    .chain(std::iter::repeat_n(7, mix[1]))
                    .chain(std::iter::repeat_n(2, mix[2]));
                for (i, score) in scores.enumerate() {
                    answer_at(&app, site, score, day(days[i % 5])).await;
                }
            }
        }
        for demo in [&dropping, &steady] {
            let client = app.signed_in_client(&demo.email).await;
            let (status, body) = save_digest(
                &app,
                &client,
                demo.organisation_id,
                &[("cadence", "off"), ("alerts", "on")],
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let mailer = mailer(&relay);
        assert_eq!(
            run_due(&app.store, Some(&mailer), &settings(&app).await, run)
                .await
                .unwrap(),
            1
        );
        let arrived = relay.messages();
        assert_eq!(arrived.len(), 1, "only the real change: {arrived:?}");
        let m = &arrived[0];
        assert_eq!(m.to, vec![dropping.email.clone()]);
        let subject = m.header("Subject").unwrap();
        assert!(subject.starts_with("Farewell alert:"), "{subject}");
        let text = m.decoded();
        assert!(
            text.contains("NPS fell 80 points; a change this large is unlikely to be chance."),
            "{text}"
        );
        // The next day the same change is not told again.
        assert_eq!(
            run_due(
                &app.store,
                Some(&mailer),
                &settings(&app).await,
                run + Duration::days(1)
            )
            .await
            .unwrap(),
            0
        );
        assert_eq!(relay.messages().len(), 1);
    }
);

both_backends!(
    a_digest_can_go_to_a_chat_webhook_through_the_outbox,
    |app: TestApp| async move {
        let (url, receiver) = start_receiver().await;
        receiver.up.store(true, Ordering::SeqCst);
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let chat = url.replace("/hook", "/hooks/xq3kbb5tmbrwdq6rwnjtyh6gfe");
        let hook = app
            .store
            .create_webhook(
                org,
                &chat,
                "whsec_x",
                &["detractor.received".into()],
                app::domain::WebhookFormat::Mattermost,
            )
            .await
            .unwrap()
            .to_string();
        // This server sends no mail: e-mail is refused, a webhook is not.
        let (status, body) = save_digest(&app, &app.client, org, &[("cadence", "daily")]).await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("to"))
        );
        let (status, body) = save_digest(
            &app,
            &app.client,
            org,
            &[("cadence", "daily"), ("to", &hook)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        answer_at(&app, &demo.site_key, 9, Utc::now()).await;
        let run = eight_on(helsinki_today() + Duration::days(1));
        // The server was down for three days: the letter is of the last day (with today's
        // answer), once, not of the first look missed.
        let me = app.store.members(org).await.unwrap();
        let me = me.iter().find(|m| m.email == demo.email).unwrap().user_id;
        let sub = app
            .store
            .digest_subscription(org, me)
            .await
            .unwrap()
            .unwrap();
        assert!(app
            .store
            .take_digest_run(org, me, sub.next_run_at, run - Duration::days(3))
            .await
            .unwrap());
        assert_eq!(
            run_due(&app.store, None, &settings(&app).await, run)
                .await
                .unwrap(),
            1
        );
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            !receiver.seen.lock().unwrap().is_empty()
        })
        .await;
        let body: Value = serde_json::from_str(&receiver.seen.lock().unwrap()[0].3).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(
            text.contains("daily digest") && text.contains("1 answer"),
            "{text}"
        );
        // Recorded as delivered once the receiver's answer is back.
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            let d = app.store.deliveries(org, 10).await.unwrap();
            d.len() == 1 && d[0].delivered && d[0].event == "digest"
        })
        .await;
    }
);
