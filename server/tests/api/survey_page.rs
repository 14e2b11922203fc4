use crate::both_backends;
use crate::helpers::TestApp;
use crate::ingest::{count_responses, stored};

/// The form's render time as a person would send it: some seconds after the page was shown
/// (the server treats a faster answer as a bot's).
fn shown_a_while_ago() -> String {
    (chrono::Utc::now().timestamp_millis() - 3_000).to_string()
}

/// The fields the survey page's form carries hidden, sent back a while after it was shown,
/// for the answer `id`.
pub(crate) fn page_fields(page: &str, id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("site_key", hidden(page, "site_key")),
        ("survey_id", hidden(page, "survey_id")),
        ("id", id.to_string()),
        ("notice_version", hidden(page, "notice_version")),
        ("shown_at", shown_a_while_ago()),
    ]
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in form"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

both_backends!(
    the_survey_page_is_complete_html,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app.get(&format!("/s/{}", demo.site_key)).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("How was your experience?"));
        assert!(
            html.contains("How likely are you to recommend Demo shop to a friend or colleague?")
        );
        // The browser's own radio group: a fieldset named by its legend, arrow keys for free.
        assert!(html.contains(r#"<fieldset class="scale"><legend id="scale-question">"#));
        assert_eq!(html.matches(r#"type="radio" name="score""#).count(), 11);
        assert!(
            html.contains(r#"aria-label="0 — Not likely""#)
                && html.contains(r#"aria-label="10 — Extremely likely""#)
        );
        let notice = app
            .public_site(&demo.site_key)
            .await
            .current_notice
            .unwrap();
        assert!(
            html.contains(&format!("/notice/{}", notice.id)),
            "links the notice version shown"
        );
        assert!(
            html.contains(&format!(
                r#"<form method="post" action="/s/{}?lang=en""#,
                demo.site_key
            )),
            "works without JavaScript"
        );
        // A visitor page ships no wasm: the stylesheet, and the small script inline under the
        // page's nonce.
        assert!(html.contains("/pkg/farewell.css"));
        assert!(
            !html.contains("farewell.js") && !html.contains(".wasm") && !html.contains("hydrate"),
            "{html}"
        );
        let nonce = html
            .split("<script nonce=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            html.contains("data-enhanced"),
            "the enhancement script is inline"
        );
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
        let policy = response_policy(&app, &format!("/s/{}", demo.site_key)).await;
        assert!(
            policy.contains("script-src 'nonce-") && !policy.contains(nonce),
            "a nonce per response"
        );
        // Every render mints a new response id.
        let again = app
            .get(&format!("/s/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert_ne!(hidden(&html, "id"), hidden(&again, "id"));
    }
);

async fn response_policy(app: &TestApp, path: &str) -> String {
    app.get(path).await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

both_backends!(
    members_pages_still_load_the_bundle,
    |app: TestApp| async move {
        let html = app.page("/login").await;
        assert!(
            html.contains("farewell.js") && html.contains(".wasm"),
            "{html}"
        );
        assert!(!html.contains("data-enhanced"));
    }
);

both_backends!(
    the_scripted_form_stores_the_score_first_and_the_rest_by_its_secret,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app.page(&format!("/s/{}", demo.site_key)).await;
        let secret = "0123456789abcdef0123456789abcdef";
        let id = hidden(&page, "id");
        let post = |name: &'static str, fields: Vec<(&'static str, String)>| {
            let app = &app;
            async move { app.call_fn(&app.client, name, &fields).await }
        };
        let first = vec![
            ("site_key", hidden(&page, "site_key")),
            ("survey_id", hidden(&page, "survey_id")),
            ("id", id.clone()),
            ("notice_version", hidden(&page, "notice_version")),
            ("shown_at", shown_a_while_ago()),
            ("website", String::new()),
            ("score", "4".into()),
            ("edit_secret", secret.into()),
        ];
        // A comment may not ride with a secret: it follows by amendment.
        let mut with_comment = first.clone();
        with_comment.push(("comment", "hi".into()));
        let refused = post("submit_answer", with_comment).await;
        assert_eq!(refused.status(), 422);
        assert_eq!(count_responses(&app).await, 0);

        assert!(post("submit_answer", first.clone())
            .await
            .status()
            .is_success());
        let uuid = uuid::Uuid::parse_str(&id).unwrap();
        let stored_now = stored(&app, uuid).await.unwrap();
        assert_eq!(stored_now.score, 4);
        assert_eq!(stored_now.comment, None);
        // Sent again (a retry after a lost reply): stored once.
        assert!(post("submit_answer", first).await.status().is_success());
        assert_eq!(count_responses(&app).await, 1);

        let rest = |secret: &str, email: &str| {
            vec![
                ("site_key", demo.site_key.clone()),
                ("id", id.clone()),
                ("edit_secret", secret.to_string()),
                ("score", "9".into()),
                ("comment", "Quick checkout".into()),
                ("contact", "true".into()),
                ("contact_email", email.to_string()),
            ]
        };
        // Knowing the id is not enough; a bad address is a 422 at its field.
        let wrong = post(
            "amend_answer",
            rest("ffffffffffffffffffffffffffffffff", "a@b.example"),
        )
        .await;
        assert_eq!(wrong.status(), 404);
        let bad_email = post("amend_answer", rest(secret, "not an address")).await;
        assert_eq!(bad_email.status(), 422);
        assert!(bad_email.text().await.unwrap().contains("contact_email"));
        let short = post("amend_answer", rest("abc", "a@b.example")).await;
        assert_eq!(short.status(), 422);
        assert_eq!(stored(&app, uuid).await.unwrap().comment, None);

        assert!(post("amend_answer", rest(secret, "a@b.example"))
            .await
            .status()
            .is_success());
        let done = stored(&app, uuid).await.unwrap();
        assert_eq!(done.score, 9);
        assert_eq!(done.comment.as_deref(), Some("Quick checkout"));
        assert_eq!(
            done.choices["contact"], true,
            "the contact choice, made after the score"
        );
        assert_eq!(done.choices["improvement_program"], true);
    }
);

both_backends!(an_unknown_site_key_is_404, |app: TestApp| async move {
    let response = app.get("/s/st_doesnotexist").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Survey not found"));
});

both_backends!(
    the_plain_form_post_stores_once_then_thanks,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app
            .get(&format!("/s/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        let form = [
            ("site_key", hidden(&page, "site_key")),
            ("survey_id", hidden(&page, "survey_id")),
            ("id", hidden(&page, "id")),
            ("notice_version", hidden(&page, "notice_version")),
            ("shown_at", shown_a_while_ago()),
            ("score", "6".to_string()),
            ("comment", "Slow search".to_string()),
        ];
        for _ in 0..2 {
            // What a browser with JavaScript off sends for the form; the second is a resubmission.
            let response = app
                .submit_form(
                    &app.client,
                    "submit_answer",
                    &format!("/s/{}", demo.site_key),
                    &form,
                )
                .await;
            assert_eq!(response.status(), 302);
            assert_eq!(
                response.headers()["location"],
                format!("/s/{}/thanks", demo.site_key)
            );
        }
        assert_eq!(count_responses(&app).await, 1);
        let row = stored(&app, hidden(&page, "id").parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            (row.score, row.comment.as_deref(), row.notice_version),
            (6, Some("Slow search"), 1)
        );
        let thanks = app
            .get(&format!("/s/{}/thanks", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert!(thanks.contains("Thank you!"));
    }
);

both_backends!(
    a_form_without_a_score_is_refused,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app
            .get(&format!("/s/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        let response = app
            .call_fn(
                &app.client,
                "submit_answer",
                &[
                    ("site_key", hidden(&page, "site_key")),
                    ("survey_id", hidden(&page, "survey_id")),
                    ("id", hidden(&page, "id")),
                ],
            )
            .await;
        assert!(!response.status().is_success());
        let body = response.text().await.unwrap();
        assert!(body.contains("score"), "{body}");
        assert_eq!(count_responses(&app).await, 0);
    }
);

both_backends!(
    the_hosted_survey_speaks_the_visitors_language,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let fi = app
            .page_with(
                &format!("/s/{}", demo.site_key),
                &[("Accept-Language", "fi-FI,fi;q=0.9,en;q=0.5")],
            )
            .await;
        assert!(fi.contains("Millainen kokemuksesi oli?"), "{fi}");
        assert!(fi.contains(r#"lang="fi""#));
        let ar = app.page(&format!("/s/{}?lang=ar", demo.site_key)).await;
        assert!(
            ar.contains(r#"dir="rtl""#) && ar.contains("كيف كانت تجربتك؟"),
            "{ar}"
        );
        let thanks = app
            .page_with(
                &format!("/s/{}/thanks", demo.site_key),
                &[("Accept-Language", "de")],
            )
            .await;
        assert!(thanks.contains("Vielen Dank!"), "{thanks}");
    }
);

both_backends!(
    global_privacy_control_turns_the_hosted_survey_off,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let html = app
            .page_with(&format!("/s/{}", demo.site_key), &[("Sec-GPC", "1")])
            .await;
        assert!(
            html.contains("You have left the improvement program"),
            "{html}"
        );
        assert!(!html.contains(r#"name="score""#), "no form is offered");
        let page = app.page(&format!("/s/{}", demo.site_key)).await;
        let refused = app
            .fn_request(&app.client, "submit_answer")
            .header("Sec-GPC", "1")
            .form(&[
                ("site_key", hidden(&page, "site_key")),
                ("survey_id", hidden(&page, "survey_id")),
                ("id", hidden(&page, "id")),
                ("score", "9".to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            !refused.status().is_success() || refused.text().await.unwrap().contains("Forbidden")
        );
        assert_eq!(count_responses(&app).await, 0);
    }
);

both_backends!(
    the_hosted_page_records_the_contact_choice_and_address,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let submit = |extra: Vec<(&'static str, &'static str)>| {
            let app = &app;
            let key = demo.site_key.clone();
            async move {
                let page = app.get(&format!("/s/{key}")).await.text().await.unwrap();
                let id = hidden(&page, "id");
                let mut form = page_fields(&page, &id);
                form.extend([
                    ("score", "4".to_string()),
                    ("comment", "Call me".to_string()),
                ]);
                form.extend(extra.into_iter().map(|(k, v)| (k, v.to_string())));
                let response = app
                    .submit_form(&app.client, "submit_answer", &format!("/s/{key}"), &form)
                    .await;
                let to_thanks = response
                    .headers()
                    .get("location")
                    .is_some_and(|l| l.to_str().unwrap().ends_with("/thanks"));
                (to_thanks, id.parse::<uuid::Uuid>().unwrap())
            }
        };
        // Ticked, with an address: both stored.
        let (thanked, id) = submit(vec![
            ("contact", "true"),
            ("contact_email", "Pat@Example.com"),
        ])
        .await;
        assert!(thanked);
        let row = crate::ingest::stored(&app, id).await.unwrap();
        assert_eq!(row.choices["contact"], true);
        let found = app
            .store
            .find_answers(
                demo.organisation_id,
                &app::store::AnswerSearch {
                    email: Some("pat@example.com".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].contact_email.as_deref(), Some("pat@example.com"));
        // An address typed without the box ticked is never dropped in silence: the visitor is
        // sent back to tick the box or clear the address, and nothing is stored yet.
        let (thanked, id) = submit(vec![("contact_email", "kept@example.com")]).await;
        assert!(!thanked, "sent back to the form, not thanked");
        assert!(crate::ingest::stored(&app, id).await.is_none());
        assert!(app
            .store
            .find_answers(
                demo.organisation_id,
                &app::store::AnswerSearch {
                    email: Some("kept@example.com".into()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        // Not ticked and no address: the choice is recorded as declined.
        let (thanked, id) = submit(vec![]).await;
        assert!(thanked);
        assert_eq!(
            crate::ingest::stored(&app, id).await.unwrap().choices["contact"],
            false
        );
        // Ticked with a broken address: refused, nothing stored.
        let (thanked, id) = submit(vec![
            ("contact", "true"),
            ("contact_email", "not an address"),
        ])
        .await;
        assert!(!thanked, "sent back to the form, not thanked");
        assert!(crate::ingest::stored(&app, id).await.is_none());
    }
);

// The hosted survey's answer passes the same visitor gate as the API: a client over its rate
// gets 429 with Retry-After, a filled honeypot or an answer faster than a person is thanked
// and not stored.
both_backends!(
    the_hosted_form_goes_through_the_visitor_gate,
    settings: |s: &mut farewell::config::ServeArgs| {
        s.client_rate = 0.1;
        s.client_burst = 4.0;
    },
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app.get(&format!("/s/{}", demo.site_key)).await.text().await.unwrap();
        let post = |id: String, shown_at: String, website: &'static str| {
            let app = &app;
            let page = page.clone();
            async move {
                let form = [
                    ("site_key", hidden(&page, "site_key")),
                    ("survey_id", hidden(&page, "survey_id")),
                    ("id", id),
                    ("notice_version", hidden(&page, "notice_version")),
                    ("shown_at", shown_at),
                    ("website", website.to_string()),
                    ("score", "8".to_string()),
                ];
                let from = format!("/s/{}", hidden(&page, "site_key"));
                app.submit_form(&app.client, "submit_answer", &from, &form).await
            }
        };
        let new_id = || uuid::Uuid::new_v4().to_string();
        // A bot filling the honeypot, and one answering at once: thanked, nothing stored.
        let filled = post(new_id(), shown_a_while_ago(), "http://spam.example").await;
        assert_eq!(filled.headers()["location"], format!("/s/{}/thanks", demo.site_key));
        let hasty = post(new_id(), chrono::Utc::now().timestamp_millis().to_string(), "").await;
        assert_eq!(hasty.headers()["location"], format!("/s/{}/thanks", demo.site_key));
        let forged = post(new_id(), "not a time".into(), "").await;
        assert_eq!(forged.headers()["location"], format!("/s/{}/thanks", demo.site_key));
        assert_eq!(count_responses(&app).await, 0);
        // A person's answer is stored; then the client's burst of 4 is spent.
        let person = post(new_id(), shown_a_while_ago(), "").await;
        assert_eq!(person.status(), 302);
        assert_eq!(count_responses(&app).await, 1);
        let over = post(new_id(), shown_a_while_ago(), "").await;
        assert_eq!(over.status(), 429);
        assert!(over.headers().contains_key("retry-after"));
        assert_eq!(count_responses(&app).await, 1);
    }
);

both_backends!(
    an_address_is_questioned_at_its_field_in_the_visitors_language,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app.page(&format!("/s/{}", demo.site_key)).await;
        let ask = |language: &'static str, extra: Vec<(&'static str, &'static str)>| {
            let (app, page) = (&app, page.clone());
            async move {
                let mut form = vec![
                    ("site_key", hidden(&page, "site_key")),
                    ("survey_id", hidden(&page, "survey_id")),
                    ("id", uuid::Uuid::new_v4().to_string()),
                    ("notice_version", hidden(&page, "notice_version")),
                    ("shown_at", shown_a_while_ago()),
                    ("score", "4".into()),
                ];
                form.extend(extra.into_iter().map(|(k, v)| (k, v.to_string())));
                let response = app
                    .fn_request(&app.client, "submit_answer")
                    .header("Origin", &app.address)
                    .header("Accept-Language", language)
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 422, "{language}");
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["Invalid"]["field"], "contact_email", "{body}");
                body["Invalid"]["reason"].as_str().unwrap().to_string()
            }
        };
        use app::i18n::Lang;
        assert_eq!(
            ask("fi", vec![("contact_email", "ann@example.com")]).await,
            Lang::Fi.texts().tick_or_clear
        );
        assert_eq!(
            ask(
                "de-DE",
                vec![("contact", "true"), ("contact_email", "ann@example")]
            )
            .await,
            Lang::De.texts().email_invalid
        );
        // Ticked with no address: asked for one, not told it is broken.
        assert_eq!(
            ask("sv", vec![("contact", "true"), ("contact_email", " ")]).await,
            Lang::Sv.texts().email_missing
        );
        // Only the ticked box's own value is consent: a forged `contact=false` is not.
        assert_eq!(
            ask(
                "en",
                vec![("contact", "false"), ("contact_email", "ann@example.com")]
            )
            .await,
            Lang::En.texts().tick_or_clear
        );
        assert_eq!(count_responses(&app).await, 0);
    }
);

// With JavaScript off the form posts to its own page. A refusal answers with the page again:
// the score, the comment, the box and the address as typed, the reason at its field in the
// visitor's language, and nothing stored; the typed text never appears in a URL.
both_backends!(
    a_refused_plain_form_keeps_everything_typed,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let page = app
            .page_with(
                &format!("/s/{}", demo.site_key),
                &[("Accept-Language", "fi")],
            )
            .await;
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .replace("&amp;", "&");
        assert!(
            action.starts_with(&format!("/s/{}", demo.site_key)),
            "{action}"
        );
        let id = hidden(&page, "id");
        let form = |extra: Vec<(&'static str, &'static str)>| {
            let mut form = page_fields(&page, &id);
            form.push((
                "comment",
                "Kassa <jumittui> & kaatui </textarea><b>x</b>".to_string(),
            ));
            form.extend(extra.into_iter().map(|(k, v)| (k, v.to_string())));
            form
        };
        // An address without the box ticked.
        let refused = app
            .post_hosted_form(
                &action,
                &form(vec![("score", "4"), ("contact_email", "ann@example.com")]),
            )
            .await;
        assert_eq!(refused.status(), 422);
        assert!(refused.headers().get("location").is_none());
        let html = refused.text().await.unwrap();
        assert!(
            html.contains(r#"value="4" aria-label="4" required checked>"#),
            "{html}"
        );
        assert_eq!(html.matches(" checked>").count(), 1, "only the score typed");
        assert!(
            html.contains("Kassa &lt;jumittui&gt; &amp; kaatui &lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;</textarea>"),
            "kept, and unable to close the field: {html}"
        );
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains(r#"value="ann@example.com""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        let at_field = html.split(r#"id="contact_email-error""#).nth(1).unwrap();
        assert!(
            at_field
                .contains("Rastita ruutu, jos saamme ottaa sinuun yhteyttä, tai tyhjennä osoite."),
            "the reason in the page's language, at the address: {at_field}"
        );
        assert!(crate::ingest::stored(&app, id.parse().unwrap())
            .await
            .is_none());
        // No score: the reason is at the scale, and the comment is still there.
        let refused = app.post_hosted_form(&action, &form(vec![])).await;
        assert_eq!(refused.status(), 422);
        let html = refused.text().await.unwrap();
        let at_scale = html
            .split(r#"id="score-error""#)
            .nth(1)
            .expect("the reason at the scale");
        assert!(at_scale.contains("Valitse arvosana 0–10."), "{at_scale}");
        assert!(html.contains("Kassa &lt;jumittui&gt; &amp; kaatui &lt;/textarea&gt;"));
        // A form missing its hidden fields is refused as bad input (422), never a 500.
        let broken = app.post_hosted_form(&action, &[("score", "4")]).await;
        assert_eq!(broken.status(), 422);
        // Put right, it is stored and thanked in the same language.
        let stored = app
            .post_hosted_form(
                &action,
                &form(vec![
                    ("score", "4"),
                    ("contact", "true"),
                    ("contact_email", "ann@example.com"),
                ]),
            )
            .await;
        assert_eq!(stored.status(), 303);
        let thanks = stored.headers()["location"].to_str().unwrap().to_string();
        assert!(
            thanks.starts_with(&format!("/s/{}/thanks", demo.site_key)),
            "{thanks}"
        );
        assert!(
            !thanks.contains("Kassa") && !thanks.contains("ann"),
            "{thanks}"
        );
        let row = crate::ingest::stored(&app, id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            row.comment.as_deref(),
            Some("Kassa <jumittui> & kaatui </textarea><b>x</b>")
        );
        assert_eq!(row.score, 4);
    }
);
