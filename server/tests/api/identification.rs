//! Identification with consent: a site's user id (`farewell.identify`) and account
//! (`farewell.set({account})`) are kept only under the granted consent choice `identify`, and
//! only as a keyed hash (HMAC with a secret per site), never the ids; withdrawing the choice
//! takes the hashes away. Accounts get an NPS table with n and trend on the dashboard, an
//! account is found by its id, and admins find and erase a person's answers by user id on
//! every site of the organisation. Another organisation finds nothing.

use crate::both_backends;
use crate::helpers::{json, TestApp};
use crate::report::{report, signed_in};
use app::domain::{ConsentChoices, UsageContext};
use app::store::StoredResponse;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// One text of answer `id`'s row: `expression` over the `responses` columns.
async fn text_of(app: &TestApp, expression: &str, id: Uuid) -> Option<String> {
    app.text_of("responses", expression, id).await
}

/// (user_hash, account_hash) stored with answer `id`.
async fn hashes(app: &TestApp, id: Uuid) -> (Option<String>, Option<String>) {
    (
        text_of(app, "user_hash", id).await,
        text_of(app, "account_hash", id).await,
    )
}

/// Whether any text column of the answer's row holds `needle`.
async fn row_holds(app: &TestApp, id: Uuid, needle: &str) -> bool {
    let all = "COALESCE(comment, '') || COALESCE(user_hash, '') || COALESCE(account_hash, '')
               || COALESCE(attributes, '') || COALESCE(contact_email, '')";
    text_of(app, all, id)
        .await
        .expect("the answer's row")
        .contains(needle)
}

/// Another site of the organisation, with its survey.
async fn second_site(app: &TestApp, org: Uuid) -> app::domain::Site {
    let site = app
        .store
        .create_site(org, "Second shop", &[])
        .await
        .unwrap();
    app.store
        .create_survey(org, site.id, "Exit", "Second shop")
        .await
        .unwrap();
    site
}

fn identified(site: &str, score: u8, user: &str, account: &str) -> (Uuid, Value) {
    let id = Uuid::new_v4();
    (
        id,
        json!({"id": id, "site": site, "score": score, "user_id": user, "account": account,
               "consent": {"choices": {"improvement_program": true, "identify": true}}}),
    )
}

both_backends!(
    ids_are_kept_hashed_only_under_the_identify_choice,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        // Without the choice granted, an id is refused at its field.
        for choices in [
            json!({}),
            json!({"identify": false}),
            json!({"contact": true}),
        ] {
            let r = app
                .post_response(
                    &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 7,
                    "user_id": "u-42", "consent": {"choices": choices}}),
                )
                .await;
            assert_eq!(r.status(), 422, "{choices}");
            assert_eq!(json(r).await["field"], "user_id");
        }
        let r = app
            .post_response(
                &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 7,
                "account": "acme"}),
            )
            .await;
        assert_eq!(json(r).await["field"], "account");
        let r = app
            .post_response(
                &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 7,
                "user_id": "x".repeat(201),
                "consent": {"choices": {"identify": true}}}),
            )
            .await;
        assert_eq!(r.status(), 422);

        // With it: hashes, never the ids, and a user and an account of one id differ.
        let (id, body) = identified(&demo.site_key, 8, "u-42", "u-42");
        assert_eq!(app.post_response(&body).await.status(), 201);
        let (user, account) = hashes(&app, id).await;
        let (user, account) = (user.unwrap(), account.unwrap());
        assert_eq!(user.len(), 64);
        assert_ne!(user, account);
        assert!(
            !row_holds(&app, id, "u-42").await,
            "the id itself is never stored"
        );
        let secret = app.public_site(&demo.site_key).await.identity_secret;
        assert_eq!(user, app::tokens::identity_hash(&secret, "user", "u-42"));

        // Another site of the same organisation hashes the same id with its own secret.
        let second = second_site(&app, demo.organisation_id).await;
        let (other_id, body) = identified(&second.site_key, 2, "u-42", "acme");
        assert_eq!(app.post_response(&body).await.status(), 201);
        assert_ne!(hashes(&app, other_id).await.0.unwrap(), user);

        // The widget's way: the choice and the ids come with the answer's amendment, by its
        // edit secret; taking the choice back takes the hashes with it.
        let later = Uuid::new_v4();
        let r = app
            .post_response(&json!({"id": later, "site": demo.site_key, "score": 5,
                "edit_secret": SECRET}))
            .await;
        assert_eq!(r.status(), 201);
        let amend = |body: Value| {
            let (app, site) = (&app, demo.site_key.clone());
            async move {
                json(
                    app.post_batch(&json!({"site": site, "amendments": [body]}))
                        .await,
                )
                .await
            }
        };
        let refused = amend(json!({"id": later, "edit_secret": SECRET, "user_id": "u-7"})).await;
        assert_eq!(refused["results"][0]["status"], 422, "{refused}");
        assert_eq!(refused["results"][0]["field"], "user_id");
        let done = amend(json!({"id": later, "edit_secret": SECRET, "user_id": "u-7",
            "account": "acme", "choices": {"identify": true}}))
        .await;
        assert_eq!(done["results"][0]["status"], 200, "{done}");
        assert!(hashes(&app, later).await.0.is_some());
        let withdrawn = amend(json!({"id": later, "edit_secret": SECRET,
            "choices": {"identify": false}}))
        .await;
        assert_eq!(withdrawn["results"][0]["status"], 200, "{withdrawn}");
        assert_eq!(hashes(&app, later).await, (None, None));
        // Other choices still cannot be made after the answer.
        let other = amend(json!({"id": later, "edit_secret": SECRET,
            "choices": {"newsletter": true}}))
        .await;
        assert_eq!(other["results"][0]["status"], 422);
    }
);

both_backends!(
    accounts_have_an_nps_table_with_trend_and_can_be_looked_up,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let public = app.public_site(&demo.site_key).await;
        let secret = public.identity_secret.clone();
        let notice = public.current_notice.unwrap().id;
        let survey = public.default_survey.unwrap().id;
        let hash = |id: &str| app::tokens::identity_hash(&secret, "account", id);
        // acme: 10, 10 forty days ago (NPS 100); 2, 3, 9 this month (NPS −33.3): down 133.3.
        // globex: 9, 9 this month, nothing before: new.
        let now = Utc::now();
        let mut rows = vec![];
        for (account, score, days_ago) in [
            ("acme", 10u8, 40),
            ("acme", 10, 41),
            ("acme", 2, 3),
            ("acme", 3, 2),
            ("acme", 9, 1),
            ("globex", 9, 2),
            ("globex", 9, 1),
        ] {
            let at = now - Duration::days(days_ago);
            rows.push(StoredResponse {
                id: Uuid::new_v4(),
                org_id: demo.organisation_id,
                site_id: demo.site_id,
                survey_id: survey,
                score: score.try_into().unwrap(),
                comment: None,
                language: None,
                received_at: chrono::DateTime::from_timestamp_millis(at.timestamp_millis())
                    .unwrap(),
                notice_id: notice,
                choices: ConsentChoices::parse("c", [("identify", true)]).unwrap(),
                context: UsageContext::default(),
                respondent_id: None,
                contact_email: None,
                edit_secret_hash: None,
                reason: None,
                user_hash: None,
                account_hash: Some(hash(account)),
            });
        }
        app.store.insert_responses(&rows).await.unwrap();
        let today = now.date_naive();
        let from = today - Duration::days(29);
        let view = format!("from={from}&to={today}&tz=UTC");
        let body = json(report(&app, &demo.site_key, &view).await).await;
        let accounts = &body["accounts"];
        assert_eq!(accounts["answered"], 2, "{accounts}");
        let rows = accounts["rows"].as_array().unwrap();
        // The lowest NPS first: acme.
        assert_eq!(rows[0]["label"], hash("acme")[..10]);
        assert_eq!(rows[1]["label"], hash("globex")[..10]);
        let n = |r: &Value| crate::saved_themes::n(&r["current"]);
        assert_eq!((n(&rows[0]), n(&rows[1])), (3, 2));
        assert_eq!(crate::saved_themes::n(&rows[0]["previous"]), 2);
        assert_eq!(accounts["lookup"], Value::Null);

        // Looked up by its id: found and marked; an unknown one is said to have no answer.
        let found =
            json(report(&app, &demo.site_key, &format!("{view}&account=globex")).await).await;
        assert_eq!(found["accounts"]["lookup"], true);
        let marked: Vec<&Value> = found["accounts"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["looked_up"] == true)
            .collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0]["label"], hash("globex")[..10]);
        let missing =
            json(report(&app, &demo.site_key, &format!("{view}&account=initech")).await).await;
        assert_eq!(missing["accounts"]["lookup"], false);

        // The page shows the table with its trend, and no id.
        let page = app
            .page(&format!(
                "/dashboard/{}?{view}&account=globex",
                demo.site_key
            ))
            .await;
        assert!(page.contains("NPS by account"), "{page}");
        assert!(
            page.contains("▼ 133.3 points") || page.contains("▼ 133,3 points"),
            "{page}"
        );
        assert!(
            page.contains("<strong>globex</strong>"),
            "the id typed, beside its row"
        );
        assert!(page.contains("looked-up"));
        assert!(
            !page.contains(&hash("globex")[10..]),
            "only the start of a hash"
        );

        // A range with no account answer shows no table.
        let empty =
            json(report(&app, &demo.site_key, "from=2020-01-01&to=2020-01-31&tz=UTC").await).await;
        assert_eq!(empty["accounts"], Value::Null);
    }
);

both_backends!(
    admins_find_and_erase_a_persons_answers_by_user_id_on_every_site,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let other_org = app.seed().await;
        let second = second_site(&app, demo.organisation_id).await;
        let mut theirs = vec![];
        for site in [&demo.site_key, &second.site_key] {
            let (id, body) = identified(site, 4, "person-9", "acme");
            assert_eq!(app.post_response(&body).await.status(), 201);
            theirs.push(id);
        }
        let (someone_else, body) = identified(&demo.site_key, 9, "person-10", "acme");
        assert_eq!(app.post_response(&body).await.status(), 201);
        // The same id on another organisation's site is not this organisation's person.
        let (foreign, body) = identified(&other_org.site_key, 4, "person-9", "acme");
        assert_eq!(app.post_response(&body).await.status(), 201);

        let org = demo.organisation_id.to_string();
        let find = |client: &reqwest::Client, org: String| {
            let app = &app;
            let client = client.clone();
            async move {
                app.call_fn(
                    &client,
                    "find_answers",
                    &[("org", org.as_str()), ("respondent", "person-9")],
                )
                .await
            }
        };
        let found = json(find(&app.client, org.clone()).await).await;
        let mut ids: Vec<String> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        let mut want: Vec<String> = theirs.iter().map(Uuid::to_string).collect();
        want.sort();
        assert_eq!(ids, want, "both sites' answers, nobody else's");
        let export = app
            .client
            .get(app.url(&format!(
                "/admin/answers.json?org={org}&respondent=person-9"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(json(export).await.as_array().unwrap().len(), 2);

        // Another organisation's admin, asking for this organisation, finds nothing.
        let outsider = app.signed_in_client(&other_org.email).await;
        assert_eq!(find(&outsider, org.clone()).await.status(), 404);

        let erased = json(
            app.call_fn(
                &app.client,
                "erase_answers",
                &[("org", org.as_str()), ("respondent", "person-9")],
            )
            .await,
        )
        .await;
        assert_eq!(erased, 2);
        assert_eq!(json(find(&app.client, org.clone()).await).await, json!([]));
        // Everyone else's answers stay.
        assert!(hashes(&app, someone_else).await.0.is_some());
        assert!(hashes(&app, foreign).await.0.is_some());
    }
);

// Leaving the improvement program withdraws the identify choice at any time (an answer's own
// amendment can only within its window): every answer of that browser on the site is unlinked
// and its consent record says so. A search by user id also finds that browser's answers given
// without the choice; a blank account lookup is no lookup.
both_backends!(
    leaving_the_program_unlinks_and_a_user_search_finds_the_whole_browser,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let rid = Uuid::new_v4();
        let (linked, mut body) = identified(&demo.site_key, 6, "u-5", "acme");
        body["respondent"] = json!(rid);
        assert_eq!(app.post_response(&body).await.status(), 201);
        let unlinked = Uuid::new_v4();
        let r = app
            .post_response(&json!({"id": unlinked, "site": demo.site_key, "score": 2,
                "respondent": rid, "edit_secret": SECRET}))
            .await;
        assert_eq!(r.status(), 201);
        let org = demo.organisation_id.to_string();
        let found = json(
            app.call_fn(
                &app.client,
                "find_answers",
                &[("org", org.as_str()), ("respondent", "u-5")],
            )
            .await,
        )
        .await;
        assert_eq!(found.as_array().unwrap().len(), 2, "{found}");

        let blank = json(report(&app, &demo.site_key, "account=").await).await;
        assert_eq!(blank["refused"], json!([]), "{blank}");
        assert_eq!(blank["accounts"]["lookup"], Value::Null);

        // What was queued before the opt-out goes with it; nothing after, not even a later
        // part of an answer sent before (its secret is no longer enough).
        let out = app
            .post_batch(
                &json!({"site": demo.site_key, "respondent": rid, "opt_out": true,
                "amendments": [{"id": unlinked, "edit_secret": SECRET,
                                "comment": "queued before leaving"}]}),
            )
            .await;
        assert_eq!(out.status(), 200);
        assert_eq!(json(out).await["results"][0]["status"], 200);
        assert!(row_holds(&app, unlinked, "queued before leaving").await);
        assert_eq!(hashes(&app, linked).await, (None, None));
        let after = app
            .post_batch(&json!({"site": demo.site_key, "amendments": [
                {"id": unlinked, "edit_secret": SECRET, "comment": "after leaving",
                 "contact_email": "someone@example.com", "user_id": "u-9", "account": "acme",
                 "choices": {"contact": true, "identify": true}}]}))
            .await;
        let after = json(after).await;
        assert_eq!(
            (
                &after["results"][0]["status"],
                &after["results"][0]["reason"]
            ),
            (&json!(403), &json!("opted_out")),
            "{after}"
        );
        assert!(!row_holds(&app, unlinked, "after leaving").await);
        assert!(!row_holds(&app, unlinked, "someone@example.com").await);
        assert_eq!(hashes(&app, unlinked).await, (None, None));
        let consent = app
            .store
            .consent_of(demo.organisation_id, linked)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consent.choices.granted("identify"), Some(false));
        assert!(consent
            .changes
            .iter()
            .any(|c| c.choice == "identify" && c.granted_before == Some(true) && !c.granted));
    }
);
