//! The follow-up inbox: only answers whose visitor agreed to be contacted are in it; owners and
//! admins set their status, assignee and due time, write notes and reply (by the member's mail
//! app or by SMTP, each recorded); viewers read; another organisation finds nothing; every
//! change is audited without what was written; erasing an answer takes its notes and replies;
//! the site's dashboard shows the loop closed and the median time to first contact.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{AppBuilder, Backend, TestApp, PASSWORD};
use crate::smtp::start_smtp;
use app::domain::{EntryKind, FollowUpStatus, Role};
use app::store::FollowUpChange;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// An answer as the widget sends it, with the contact choice made (and an address with a yes).
async fn answer(app: &TestApp, site_key: &str, score: u8, comment: &str, contact: bool) -> Uuid {
    let id = Uuid::new_v4();
    let mut body = json!({"id": id, "site": site_key, "score": score, "comment": comment,
        "consent": {"choices": {"improvement_program": true, "contact": contact}},
        "context": {"path": "/checkout"}});
    if contact {
        body["contact_email"] = json!(format!(
            "visitor-{}@example.com",
            &id.simple().to_string()[..8]
        ));
    }
    let r = app.post_response(&body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    id
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = app.call_fn(client, name, form).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn admin_id(app: &TestApp, org: Uuid, email: &str) -> Uuid {
    app.store
        .members(org)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.email == email)
        .unwrap()
        .user_id
}

/// Rows of a table that belong to an answer, read past the store.
async fn rows_of(app: &TestApp, table: &str, answer: Uuid) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE response_id = $1");
    match app.backend() {
        Backend::Sqlite => sqlx::query_scalar(&sql)
            .bind(answer)
            .fetch_one(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query_scalar(&sql)
            .bind(answer)
            .fetch_one(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

both_backends!(
    the_inbox_holds_answers_that_asked_to_be_contacted_and_the_team_works_them,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        let o = org.to_string();
        app.sign_in(&demo.email, PASSWORD).await;
        let asked = answer(&app, &demo.site_key, 2, "checkout broke twice", true).await;
        let declined = answer(&app, &demo.site_key, 3, "never call me", false).await;
        let promoter = answer(&app, &demo.site_key, 10, "lovely, call me", true).await;

        // The list: the two that asked, newest first; not the one that declined.
        let (status, list) = page(&app.client, &app, &format!("/admin/{org}/inbox")).await;
        assert_eq!(status, 200);
        assert!(list.contains("checkout broke twice") && list.contains("lovely, call me"));
        assert!(!list.contains("never call me"), "{list}");
        assert!(list.find("lovely, call me") < list.find("checkout broke twice"));
        assert!(list.contains("2 answers."), "{list}");
        let (status, _) = page(&app.client, &app, &format!("/admin/{org}/inbox/{declined}")).await;
        assert_eq!(status, 404);

        // Status, assignee and due time, each audited.
        let me = admin_id(&app, org, &demo.email).await.to_string();
        let a = asked.to_string();
        let (status, body) = call(
            &app,
            &app.client,
            "save_follow_up",
            &[
                ("org", &o),
                ("id", &a),
                ("status", "new"),
                ("assignee", &me),
                ("due", "2030-01-02T09:30"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let item = app.store.follow_up(org, asked).await.unwrap().unwrap();
        assert_eq!(item.assignee, Some(me.parse().unwrap()));
        assert_eq!(item.due_at.to_rfc3339(), "2030-01-02T09:30:00+00:00");
        assert!(item.due_set && item.first_contact_at.is_none());
        assert_eq!(item.status, FollowUpStatus::New);
        // The promoter is due the organisation's 48 hours after it came.
        let other = app.store.follow_up(org, promoter).await.unwrap().unwrap();
        assert_eq!(other.due_at - other.received_at, Duration::hours(48));

        // Refusals name their field and change nothing.
        let (viewer_id, viewer) = member(&app, &demo, Role::Viewer).await;
        let vid = viewer_id.to_string();
        for (field, value, refused) in [
            ("status", "done", "status"),
            ("assignee", vid.as_str(), "assignee"),
            ("assignee", "someone", "assignee"),
            ("due", "next tuesday", "due"),
        ] {
            let mut form = vec![
                ("org", o.as_str()),
                ("id", a.as_str()),
                ("status", "new"),
                ("assignee", me.as_str()),
            ];
            form.retain(|(k, _)| *k != field);
            form.push((field, value));
            let (status, body) = call(&app, &app.client, "save_follow_up", &form).await;
            assert_eq!(status, 422, "{field}={value}: {body}");
            assert_eq!(body["Invalid"]["field"], refused, "{body}");
        }
        assert_eq!(
            app.store.follow_up(org, asked).await.unwrap().unwrap(),
            item
        );

        // A note and a reply by the member's mail app; the reply marks it contacted.
        let (status, body) = call(
            &app,
            &app.client,
            "add_follow_up_note",
            &[("org", &o), ("id", &a), ("note", "  ")],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("note"))
        );
        let (status, _) = call(
            &app,
            &app.client,
            "add_follow_up_note",
            &[
                ("org", &o),
                ("id", &a),
                ("note", "Left a voicemail.\nTry again Friday."),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = call(
            &app,
            &app.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &a),
                ("subject", "About\r\nBcc: x@evil.test"),
                ("message", "Hi"),
                ("via", "mailto"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("subject"))
        );
        let (status, _) = call(
            &app,
            &app.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &a),
                ("subject", "Sorry about checkout & payment"),
                ("message", "Hi,\nwe fixed it."),
                ("via", "mailto"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        // This server has no relay: sending by SMTP is refused at the form, and nothing kept.
        let (status, body) = call(
            &app,
            &app.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &a),
                ("subject", "x"),
                ("message", "y"),
                ("via", "smtp"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("via"))
        );
        let entries = app.store.follow_up_entries(org, asked).await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EntryKind::Note, EntryKind::Mailto]
        );
        assert_eq!(entries[0].body, "Left a voicemail.\nTry again Friday.");
        assert_eq!(
            entries[1].author_email.as_deref(),
            Some(demo.email.as_str())
        );
        let item = app.store.follow_up(org, asked).await.unwrap().unwrap();
        assert_eq!(item.status, FollowUpStatus::Contacted);
        assert!(item.first_contact_at.is_some());
        assert_eq!(item.entries, 2);

        // The answer's page: the reply to open again in the mail app, encoded.
        let (status, one) = page(&app.client, &app, &format!("/admin/{org}/inbox/{asked}")).await;
        assert_eq!(status, 200);
        let to = item.contact_email.clone();
        assert!(one.contains(&format!("mailto:{to}?subject=Sorry%20about%20checkout%20%26%20payment&amp;body=Hi%2C%0D%0Awe%20fixed%20it.")), "{one}");
        assert!(one.contains("Left a voicemail."));
        assert!(one.contains("No SMTP relay") || one.contains("no SMTP relay"));

        // Filters: resolved holds none yet; mine holds the one assigned to me.
        let (_, resolved) = page(
            &app.client,
            &app,
            &format!("/admin/{org}/inbox?status=resolved"),
        )
        .await;
        assert!(resolved.contains("No answer here."), "{resolved}");
        let (_, mine) = page(
            &app.client,
            &app,
            &format!("/admin/{org}/inbox?assignee=me"),
        )
        .await;
        assert!(mine.contains("checkout broke twice") && !mine.contains("lovely, call me"));

        // Back to new: nobody reached the visitor after all; the dashboard counts it so.
        let (status, _) = call(
            &app,
            &app.client,
            "save_follow_up",
            &[
                ("org", &o),
                ("id", &a),
                ("status", "new"),
                ("assignee", &me),
                ("due", "2030-01-02T09:30"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            app.store
                .follow_up(org, asked)
                .await
                .unwrap()
                .unwrap()
                .first_contact_at,
            None
        );

        // The organisation's hours.
        let (status, body) = call(
            &app,
            &app.client,
            "set_follow_up_hours",
            &[("org", &o), ("hours", "0")],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("hours"))
        );
        let (status, _) = call(
            &app,
            &app.client,
            "set_follow_up_hours",
            &[("org", &o), ("hours", "24")],
        )
        .await;
        assert_eq!(status, 200);
        let other = app.store.follow_up(org, promoter).await.unwrap().unwrap();
        assert_eq!(other.due_at - other.received_at, Duration::hours(24));

        // Everything audited; never the note, the reply or the visitor's address.
        let audit = app.store.audit_log(org, 50).await.unwrap();
        for action in [
            "follow_up.status",
            "follow_up.assignee",
            "follow_up.due",
            "follow_up.note",
            "follow_up.reply",
            "follow_up.hours",
        ] {
            assert!(
                audit.iter().any(|e| e.action == action),
                "{action}: {audit:?}"
            );
        }
        for e in &audit {
            assert!(
                !e.subject.contains("voicemail")
                    && !e.subject.contains("fixed")
                    && !e.subject.contains(&to),
                "{e:?}"
            );
        }

        // A viewer reads, and may change nothing.
        let (status, _) = page(&viewer, &app, &format!("/admin/{org}/inbox/{asked}")).await;
        assert_eq!(status, 200);
        for (name, form) in [
            (
                "save_follow_up",
                vec![
                    ("org", o.as_str()),
                    ("id", a.as_str()),
                    ("status", "resolved"),
                ],
            ),
            (
                "add_follow_up_note",
                vec![("org", o.as_str()), ("id", a.as_str()), ("note", "hi")],
            ),
            (
                "reply_to_answer",
                vec![
                    ("org", o.as_str()),
                    ("id", a.as_str()),
                    ("subject", "s"),
                    ("message", "m"),
                ],
            ),
            (
                "set_follow_up_hours",
                vec![("org", o.as_str()), ("hours", "5")],
            ),
        ] {
            assert_eq!(call(&app, &viewer, name, &form).await.0, 403, "{name}");
        }

        // Another organisation's admin finds nothing: not by our organisation, not by theirs.
        let them = app.seed().await;
        let outsider = app.signed_in_client(&them.email).await;
        let theirs = them.organisation_id.to_string();
        for path in [
            format!("/admin/{org}/inbox"),
            format!("/admin/{org}/inbox/{asked}"),
            format!("/admin/{theirs}/inbox/{asked}"),
        ] {
            let (status, body) = page(&outsider, &app, &path).await;
            assert_eq!(status, 404, "{path}");
            assert!(
                !body.contains("checkout broke twice") && !body.contains(&to),
                "{path}"
            );
        }
        let (_, their_list) = page(&outsider, &app, &format!("/admin/{theirs}/inbox")).await;
        assert!(!their_list.contains("checkout broke twice"));
        for org_field in [o.as_str(), theirs.as_str()] {
            for (name, form) in [
                (
                    "save_follow_up",
                    vec![
                        ("org", org_field),
                        ("id", a.as_str()),
                        ("status", "resolved"),
                    ],
                ),
                (
                    "add_follow_up_note",
                    vec![("org", org_field), ("id", a.as_str()), ("note", "hi")],
                ),
                (
                    "reply_to_answer",
                    vec![
                        ("org", org_field),
                        ("id", a.as_str()),
                        ("subject", "s"),
                        ("message", "m"),
                        ("via", "mailto"),
                    ],
                ),
            ] {
                assert_eq!(
                    call(&app, &outsider, name, &form).await.0,
                    404,
                    "{name} as {org_field}"
                );
            }
        }
        // Malformed ids are refused before any query; an answer that declined is not in it.
        let (status, _) = page(&app.client, &app, &format!("/admin/{org}/inbox/not-an-id")).await;
        assert_eq!(status, 404);
        let (status, body) = call(
            &app,
            &app.client,
            "add_follow_up_note",
            &[("org", &o), ("id", "1 OR 1=1"), ("note", "x")],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("id"))
        );
        let d = declined.to_string();
        assert_eq!(
            call(
                &app,
                &app.client,
                "add_follow_up_note",
                &[("org", &o), ("id", &d), ("note", "x")]
            )
            .await
            .0,
            404
        );
        assert_eq!(
            call(
                &app,
                &app.client,
                "save_follow_up",
                &[("org", &o), ("id", &d), ("status", "resolved")]
            )
            .await
            .0,
            404
        );
        assert_eq!(rows_of(&app, "follow_ups", declined).await, 0);

        // Erasure takes the notes and replies with the answer.
        assert!(rows_of(&app, "follow_up_entries", asked).await == 2);
        assert_eq!(app.store.erase_answers(org, &[asked]).await.unwrap(), 1);
        assert_eq!(rows_of(&app, "follow_up_entries", asked).await, 0);
        assert_eq!(rows_of(&app, "follow_ups", asked).await, 0);
        let (status, _) = page(&app.client, &app, &format!("/admin/{org}/inbox/{asked}")).await;
        assert_eq!(status, 404);
    }
);

both_backends!(
    a_plain_form_keeps_a_refused_reply_and_clears_a_sent_note,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let asked = answer(&app, &demo.site_key, 1, "slow", true).await;
        let path = format!("/admin/{org}/inbox/{asked}");
        let (o, a) = (org.to_string(), asked.to_string());
        let r = app
            .submit_form(
                &app.client,
                "reply_to_answer",
                &path,
                &[
                    ("org", o.as_str()),
                    ("id", a.as_str()),
                    ("subject", "Our apology, typed with care"),
                    ("message", ""),
                    ("via", "mailto"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (status, body) = page(&app.client, &app, &path).await;
        assert_eq!(status, 422);
        assert!(
            body.contains("value=\"Our apology, typed with care\""),
            "{body}"
        );
        assert!(body.contains("data-field=\"message\""), "{body}");

        let r = app
            .submit_form(
                &app.client,
                "add_follow_up_note",
                &path,
                &[
                    ("org", o.as_str()),
                    ("id", a.as_str()),
                    ("note", "Phoned: unreachable"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (status, body) = page(&app.client, &app, &path).await;
        assert_eq!(status, 200);
        // In the list of notes; the field is empty again.
        assert!(
            body.contains("<p class=\"body\">Phoned: unreachable</p>"),
            "{body}"
        );
        assert!(body.contains("data-fresh=\"\"></textarea>"), "{body}");
        assert!(!body.contains("data-fresh=\"\">Phoned"), "{body}");
    }
);

both_backends!(
    replies_go_by_smtp_from_the_server_with_replies_to_the_member,
    |app: TestApp| async move {
        let relay = start_smtp().await;
        // A server of its own, on a fresh database of the same backend, naming the relay.
        let mailing = AppBuilder::new(app.backend())
            .settings(|s| relay.settings(s))
            .spawn()
            .await;
        let demo = mailing.seed().await;
        let org = demo.organisation_id;
        mailing.sign_in(&demo.email, PASSWORD).await;
        let asked = answer(&mailing, &demo.site_key, 4, "the invoice was wrong", true).await;
        let to = mailing
            .store
            .follow_up(org, asked)
            .await
            .unwrap()
            .unwrap()
            .contact_email;
        let (o, a) = (org.to_string(), asked.to_string());
        let (_, html) = page(
            &mailing.client,
            &mailing,
            &format!("/admin/{org}/inbox/{asked}"),
        )
        .await;
        assert!(
            html.contains("name=\"via\" value=\"smtp\""),
            "a relay offers Send"
        );

        let (status, body) = call(
            &mailing,
            &mailing.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &a),
                ("subject", "Your invoice — fixed"),
                (
                    "message",
                    "Hello,\n.\nwe corrected it. Reply here if anything is off.",
                ),
                ("via", "smtp"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let arrived = relay.messages();
        assert_eq!(arrived.len(), 1);
        let m = &arrived[0];
        assert_eq!(m.to, vec![to.clone()]);
        assert_eq!(m.from, "feedback@farewell.test");
        assert_eq!(m.header("Reply-To").unwrap(), demo.email);
        assert!(
            m.header("Subject").unwrap().contains("=?utf-8?")
                || m.header("Subject").unwrap() == "Your invoice — fixed"
        );
        assert!(m.data.contains("we corrected it."), "{}", m.data);
        let entries = mailing.store.follow_up_entries(org, asked).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, EntryKind::Smtp);
        assert_eq!(
            mailing
                .store
                .follow_up(org, asked)
                .await
                .unwrap()
                .unwrap()
                .status,
            FollowUpStatus::Contacted
        );

        // The same form sent again at once: one mail a minute per answer.
        let (status, _) = call(
            &mailing,
            &mailing.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &a),
                ("subject", "Your invoice — fixed"),
                ("message", "Hello"),
                ("via", "smtp"),
            ],
        )
        .await;
        assert_eq!(status, 429);
        assert_eq!(relay.messages().len(), 1);

        // The relay refuses: the form says so, and no reply is recorded as sent.
        relay
            .refuse
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let other = answer(&mailing, &demo.site_key, 1, "refund?", true).await;
        let other_id = other.to_string();
        let (status, body) = call(
            &mailing,
            &mailing.client,
            "reply_to_answer",
            &[
                ("org", &o),
                ("id", &other_id),
                ("subject", "Again"),
                ("message", "Hello?"),
                ("via", "smtp"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, json!("via")),
            "{body}"
        );
        assert!(mailing
            .store
            .follow_up_entries(org, other)
            .await
            .unwrap()
            .is_empty());
    }
);

both_backends!(
    the_dashboard_shows_the_loop_closed_and_the_median_first_contact,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let path = format!("/dashboard/{}", demo.site_key);
        let (_, none) = page(&app.client, &app, &path).await;
        assert!(
            none.contains("No detractor in this range asked to be contacted."),
            "{none}"
        );

        let d1 = answer(&app, &demo.site_key, 0, "a", true).await;
        let d2 = answer(&app, &demo.site_key, 5, "b", true).await;
        let _d3 = answer(&app, &demo.site_key, 6, "c", true).await;
        let _quiet = answer(&app, &demo.site_key, 2, "d", false).await;
        let p = answer(&app, &demo.site_key, 9, "e", true).await;
        for (id, hours) in [(d1, 3), (d2, 5), (p, 1)] {
            let received = app
                .store
                .follow_up(org, id)
                .await
                .unwrap()
                .unwrap()
                .received_at;
            let contacted = FollowUpChange::Status(FollowUpStatus::Contacted);
            assert!(app
                .store
                .change_follow_up(org, id, contacted, received + Duration::hours(hours))
                .await
                .unwrap());
        }
        let (status, body) = page(&app.client, &app, &path).await;
        assert_eq!(status, 200);
        // Two of the three detractors who asked; the promoter and the one who declined are not counted.
        assert!(body.contains("data-share=\"66.7\""), "{body}");
        assert!(
            body.contains("2</span>") || body.contains("(2 of 3 detractors"),
            "{body}"
        );
        assert!(
            body.contains("Median time to first contact: <strong>4 h</strong>"),
            "{body}"
        );
        assert!(body.contains(&format!("href=\"/admin/{org}/inbox\"")));
        let loop_closed = app
            .store
            .loop_closed(
                org,
                demo.site_id,
                Utc::now() - Duration::days(1),
                Utc::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                loop_closed.detractors,
                loop_closed.contacted,
                loop_closed.median_first_contact_secs
            ),
            (3, 2, Some(4 * 3600))
        );
        // Another site's range holds none of them.
        let other = app.seed().await;
        let elsewhere = app
            .store
            .loop_closed(
                org,
                other.site_id,
                Utc::now() - Duration::days(1),
                Utc::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(elsewhere.detractors, 0);
    }
);

both_backends!(
    withdrawing_contact_consent_takes_the_follow_up_with_it_and_exports_hold_it,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        const SECRET: &str = "0123456789abcdef0123456789abcdef";
        let (kept, withdrawn) = (Uuid::new_v4(), Uuid::new_v4());
        let first = |id: Uuid, email: &str| {
            json!({"id": id, "score": 2, "edit_secret": SECRET,
            "comment": "slow", "contact_email": email,
            "consent": {"choices": {"improvement_program": true, "contact": true}}})
        };
        let r = app
            .post_batch(&json!({"site": demo.site_key, "responses": [
                first(kept, "kept@example.com"), first(withdrawn, "gone@example.com")]}))
            .await;
        assert_eq!(r.status(), 200);
        let o = org.to_string();
        for id in [kept, withdrawn] {
            let i = id.to_string();
            let (status, _) = call(
                &app,
                &app.client,
                "add_follow_up_note",
                &[("org", &o), ("id", &i), ("note", "Called twice.")],
            )
            .await;
            assert_eq!(status, 200);
        }
        // The admin's export for a data request holds the team's notes about the person.
        let export = app
            .client
            .get(app.url(&format!(
                "/admin/answers.json?org={org}&email=kept@example.com"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        let export: Value = export.json().await.unwrap();
        assert_eq!(
            export[0]["follow_up"][0]["body"], "Called twice.",
            "{export}"
        );

        // The visitor takes back their yes to being contacted: nobody may follow it up.
        let r = app
            .post_batch(&json!({"site": demo.site_key, "amendments": [
                {"id": withdrawn, "edit_secret": SECRET, "choices": {"contact": false}}]}))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(rows_of(&app, "follow_up_entries", withdrawn).await, 0);
        assert_eq!(rows_of(&app, "follow_ups", withdrawn).await, 0);
        assert!(app.store.follow_up(org, withdrawn).await.unwrap().is_none());
        assert_eq!(rows_of(&app, "follow_up_entries", kept).await, 1);
    }
);
