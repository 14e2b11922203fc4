//! Data rights: a visitor's download and erasure, an admin's search, export and erasure, and
//! retention. Erasure and purges are checked against the search index and a recount of the
//! aggregates.

use crate::both_backends;
use crate::helpers::{json, new_client, TestApp, PASSWORD};
use app::domain::{ConsentChoices, Country, DeviceClass, UsageContext};
use app::nps::{Score, ScoreCounts};
use app::report::{Dimension, Tag};
use app::store::{AnswerFilter, StoredResponse, TimeRange, VerbatimQuery};
use chrono::{Duration, Utc};
use farewell::provision::DemoCreated;
use serde_json::Value;
use uuid::Uuid;

async fn answer(
    app: &TestApp,
    demo: &DemoCreated,
    respondent: Uuid,
    score: u8,
    comment: &str,
    email: Option<&str>,
    age_days: i64,
) -> Uuid {
    let public = app.public_site(&demo.site_key).await;
    let id = Uuid::new_v4();
    let r = StoredResponse {
        id,
        org_id: demo.organisation_id,
        site_id: demo.site_id,
        survey_id: public.default_survey.unwrap().id,
        score: Score::try_from(score).unwrap(),
        comment: Some(comment.to_string()),
        language: Some("en".into()),
        received_at: Utc::now() - Duration::days(age_days),
        notice_id: public.current_notice.unwrap().id,
        choices: ConsentChoices::improvement_program(),
        context: UsageContext {
            device: Some(if score > 5 {
                DeviceClass::Desktop
            } else {
                DeviceClass::Mobile
            }),
            country: Country::parse(if score.is_multiple_of(2) { "FI" } else { "SE" }),
            ..UsageContext::default()
        },
        respondent_id: Some(respondent),
        contact_email: email.map(str::to_string),
        edit_secret_hash: None,
        reason: None,
        user_hash: None,
        account_hash: None,
    };
    app.store.insert_responses(&[r]).await.unwrap();
    id
}

fn everything() -> VerbatimQuery {
    VerbatimQuery {
        filter: AnswerFilter::default(),
        range: TimeRange::all_time(),
        search: None,
        band: None,
        tag: None,
        comments_only: false,
        before: None,
        limit: 10_000,
    }
}

/// The aggregates, overall and per dimension, must equal a recount of the answers left.
async fn assert_aggregates_match_answers(app: &TestApp, demo: &DemoCreated) {
    let (org, site) = (demo.organisation_id, demo.site_id);
    let left = app.store.verbatims(org, site, &everything()).await.unwrap();
    let all = TimeRange::all_time();
    let counts = app
        .store
        .period_counts(org, site, &AnswerFilter::default(), &[all.from, all.to])
        .await
        .unwrap();
    let recount: ScoreCounts = left
        .iter()
        .map(|v| Score::try_from(v.score).unwrap())
        .collect();
    assert_eq!(counts[0], recount);
    for dimension in [Dimension::Country, Dimension::Device] {
        let mut by_value = std::collections::BTreeMap::<String, ScoreCounts>::new();
        for v in &left {
            let value = match dimension {
                Dimension::Country => v.country.clone(),
                _ => v.device.clone(),
            };
            by_value
                .entry(value.unwrap_or_default())
                .or_default()
                .add(Score::try_from(v.score).unwrap());
        }
        let stored: std::collections::BTreeMap<String, ScoreCounts> = app
            .store
            .segment_counts(org, site, None, dimension, all)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.counts.n() > 0)
            .map(|s| (s.value, s.counts))
            .collect();
        assert_eq!(stored, by_value, "{dimension:?}");
    }
}

async fn search(app: &TestApp, demo: &DemoCreated, word: &str) -> usize {
    let query = VerbatimQuery {
        search: Some(word.into()),
        ..everything()
    };
    app.store
        .verbatims(demo.organisation_id, demo.site_id, &query)
        .await
        .unwrap()
        .len()
}

/// Search entries and tags at the storage level, below the store's own queries.
async fn raw_traces(app: &TestApp, word: &str) -> (i64, i64) {
    use sqlx::Row;
    match app.backend() {
        crate::helpers::Backend::Sqlite => {
            let mut c = app.raw_sqlite().await;
            let index: i64 =
                sqlx::query("SELECT COUNT(*) FROM comment_search WHERE comment_search MATCH ?")
                    .bind(format!("\"{word}\""))
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
                    .get(0);
            let keys: i64 = sqlx::query(
                "SELECT COUNT(*) FROM comment_search_keys k
                 WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.id = k.response_id)",
            )
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
            let tags: i64 = sqlx::query(
                "SELECT COUNT(*) FROM response_tags t
                 WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.id = t.response_id)",
            )
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
            (index + keys, tags)
        }
        crate::helpers::Backend::Postgres => {
            let mut c = app.raw_postgres().await;
            let index: i64 = sqlx::query(
                "SELECT COUNT(*) FROM responses WHERE comment_search @@ plainto_tsquery('simple', $1)",
            )
            .bind(word)
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
            let tags: i64 = sqlx::query(
                "SELECT COUNT(*) FROM response_tags t
                 WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.id = t.response_id)",
            )
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
            (index, tags)
        }
    }
}

both_backends!(
    a_visitor_downloads_and_erases_their_answers_without_a_trace,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let me = Uuid::new_v4();
        let others = Uuid::new_v4();
        let mine = [
            answer(
                &app,
                &demo,
                me,
                2,
                "zebracorn checkout broke",
                Some("me@example.com"),
                3,
            )
            .await,
            answer(&app, &demo, me, 9, "zebracorn fixed it, thanks", None, 1).await,
        ];
        for score in [10, 7, 4] {
            answer(&app, &demo, others, score, "fine shop", None, 2).await;
        }
        app.store
            .set_tag(
                demo.organisation_id,
                mine[0],
                &Tag::parse("bug").unwrap(),
                true,
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(search(&app, &demo, "zebracorn").await, 2);

        // Download: exactly this respondent's answers. The id travels in the body, never in a
        // URL (a GET with it finds no such route).
        let by_url = new_client()
            .get(app.url(&format!("/my-answers?site={}&rid={me}", demo.site_key)))
            .send()
            .await
            .unwrap();
        assert_eq!(by_url.status(), 405);
        // A bad body is refused the API's way: a field named, JSON, never a bare text.
        let site_only = format!("site={}", demo.site_key);
        for (body, status, field) in [
            (site_only.as_str(), 422, Some("rid")),
            ("rid=x&site=st_", 422, Some("site")),
            ("%%%", 422, Some("site")),
            (&*"x".repeat(5000), 413, None),
        ] {
            let refused = new_client()
                .post(app.url("/my-answers"))
                .header("Content-Type", "application/json")
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), status, "{body:.40}");
            let refused = json(refused).await;
            if let Some(field) = field {
                assert_eq!(refused["field"], field, "{refused}");
            }
        }
        let download = new_client()
            .post(app.url("/my-answers"))
            .form(&[("site", demo.site_key.as_str()), ("rid", &me.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200);
        assert!(download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let got = json(download).await;
        assert!(
            got["note"].as_str().unwrap().contains("site's owner"),
            "{got}"
        );
        let got = &got["answers"];
        let ids: Vec<&str> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(mine.iter().all(|m| ids.contains(&m.to_string().as_str())));
        // The address is masked: the respondent id alone must not reveal it.
        let emails: Vec<&Value> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["contact_email"])
            .collect();
        assert!(emails.contains(&&Value::from("m***@e***.com")), "{got}");
        assert!(!got.to_string().contains("me@example.com"), "{got}");

        // Erase from the preferences page.
        let erased = app
            .call_fn(
                &app.client,
                "erase_my_answers",
                &[("site", demo.site_key.as_str()), ("rid", &me.to_string())],
            )
            .await;
        assert_eq!(json(erased).await, 2);
        assert!(app
            .store
            .respondent_answers(demo.site_id, me)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(search(&app, &demo, "zebracorn").await, 0);
        assert_eq!(raw_traces(&app, "zebracorn").await, (0, 0));
        assert_eq!(
            search(&app, &demo, "fine").await,
            3,
            "other answers stay searchable"
        );
        assert_aggregates_match_answers(&app, &demo).await;

        // The audit says how many, never whose.
        let log = app.store.audit_log(demo.organisation_id, 10).await.unwrap();
        let entry = log
            .iter()
            .find(|e| e.action == "erasure.respondent")
            .unwrap();
        assert!(entry.subject.starts_with("2 answers"));
        assert!(!entry.subject.contains(&me.to_string()));
        // A bad respondent id is a 422.
        let bad = new_client()
            .post(app.url("/my-answers"))
            .form(&[("site", demo.site_key.as_str()), ("rid", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
    }
);

both_backends!(
    an_admin_finds_exports_and_erases_a_persons_answers,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let person = Uuid::new_v4();
        answer(
            &app,
            &demo,
            person,
            3,
            "call me about it",
            Some("Person@Example.com"),
            5,
        )
        .await;
        answer(&app, &demo, person, 6, "still slow", None, 4).await;
        answer(
            &app,
            &demo,
            Uuid::new_v4(),
            9,
            "great",
            Some("someone@example.com"),
            2,
        )
        .await;
        let org = demo.organisation_id.to_string();

        let owner = app.signed_in_client(&demo.email).await;
        let call = |name: &'static str, form: Vec<(&'static str, String)>| {
            let (owner, app) = (&owner, &app);
            async move { app.call_fn(owner, name, &form).await }
        };
        // By e-mail (any case) finds the answer it was left with; by respondent id both.
        let by_email = json(
            call(
                "find_answers",
                vec![("org", org.clone()), ("email", "person@example.com".into())],
            )
            .await,
        )
        .await;
        assert_eq!(by_email.as_array().unwrap().len(), 1);
        let by_id = json(
            call(
                "find_answers",
                vec![("org", org.clone()), ("respondent", person.to_string())],
            )
            .await,
        )
        .await;
        assert_eq!(by_id.as_array().unwrap().len(), 2);
        let neither = call("find_answers", vec![("org", org.clone())]).await;
        assert_eq!(neither.status(), 422);
        let export = owner
            .get(app.url(&format!(
                "/admin/answers.json?org={org}&respondent={person}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        assert_eq!(json(export).await.as_array().unwrap().len(), 2);
        // Another organisation's admin finds nothing of it and cannot erase it.
        let outsider = app
            .store
            .find_answers(
                other.organisation_id,
                &app::store::AnswerSearch {
                    respondent: Some(person),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(outsider.is_empty());
        let stranger = new_client()
            .get(app.url(&format!(
                "/admin/answers.json?org={org}&respondent={person}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(stranger.status(), 401);

        let erased = json(
            call(
                "erase_answers",
                vec![("org", org.clone()), ("respondent", person.to_string())],
            )
            .await,
        )
        .await;
        assert_eq!(erased, 2);
        assert!(app
            .store
            .find_answers(
                demo.organisation_id,
                &app::store::AnswerSearch {
                    respondent: Some(person),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        assert_eq!(search(&app, &demo, "slow").await, 0);
        assert_aggregates_match_answers(&app, &demo).await;
        let log = app.store.audit_log(demo.organisation_id, 10).await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "erasure.admin" && e.subject == "2 answers"));
    }
);

// Counting by hand: the purge itself must count what it is about to delete.
both_backends!(
    retention_deletes_old_answers_and_keeps_their_counts,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let r = Uuid::new_v4();
        for (score, age) in [(10, 100), (2, 95), (8, 40), (9, 10), (1, 1)] {
            answer(&app, &demo, r, score, "old words", None, age).await;
        }
        answer(&app, &other, r, 5, "other org keeps everything", None, 400).await;
        let all = TimeRange::all_time();
        let figures = |org| {
            let app = &app;
            async move {
                let site = if org == demo.organisation_id {
                    demo.site_id
                } else {
                    other.site_id
                };
                app.store
                    .period_counts(org, site, &AnswerFilter::default(), &[all.from, all.to])
                    .await
                    .unwrap()[0]
            }
        };
        let before = figures(demo.organisation_id).await;
        assert_eq!(before.n(), 5);
        // Survey events too: two past the retention, one within it, one of the other org's.
        let mut events = vec![];
        for (created, age) in [(&demo, 40), (&demo, 35), (&demo, 1), (&other, 400)] {
            let survey = app.public_site(&created.site_key).await.default_survey.unwrap();
            events.push(app::store::Impression {
                id: Uuid::new_v4(),
                org_id: created.organisation_id,
                site_id: created.site_id,
                survey_id: survey.id,
                kind: app::domain::ImpressionKind::parse("kind", "shown").unwrap(),
                language: Some("fi".into()),
                context: Default::default(),
                at: Utc::now() - Duration::days(age),
            });
        }
        app.store.insert_impressions(&events).await.unwrap();
        let funnel = |created: &farewell::provision::DemoCreated| {
            let app = &app;
            let (org, site) = (created.organisation_id, created.site_id);
            async move {
                app.store
                    .impression_counts(org, site, &AnswerFilter::default(), all)
                    .await
                    .unwrap()
                    .shown
            }
        };
        let stored_events = |org: Uuid| {
            let app = &app;
            async move {
                let sql = "SELECT COUNT(*) FROM impressions WHERE org_id = $1";
                let n: i64 = match app.backend() {
                    crate::helpers::Backend::Sqlite => sqlx::query_scalar(sql)
                        .bind(org)
                        .fetch_one(&mut app.raw_sqlite().await)
                        .await
                        .unwrap(),
                    crate::helpers::Backend::Postgres => sqlx::query_scalar(sql)
                        .bind(org)
                        .fetch_one(&mut app.raw_postgres().await)
                        .await
                        .unwrap(),
                };
                n
            }
        };
        assert_eq!(stored_events(demo.organisation_id).await, 3);
        app.store
            .set_retention_days(demo.organisation_id, Some(30))
            .await
            .unwrap();
        assert_eq!(app.store.purge_expired(Utc::now()).await.unwrap(), 3);
        assert_eq!(stored_events(demo.organisation_id).await, 1, "old events deleted");
        assert_eq!(funnel(&demo).await, 3, "the funnel keeps their counts");
        assert_eq!(stored_events(other.organisation_id).await, 1);
        assert_eq!(funnel(&other).await, 1);
        let left = app
            .store
            .verbatims(demo.organisation_id, demo.site_id, &everything())
            .await
            .unwrap();
        assert_eq!(left.len(), 2);
        assert!(left
            .iter()
            .all(|v| v.received_at > Utc::now() - Duration::days(30)));
        assert_eq!(
            figures(demo.organisation_id).await,
            before,
            "the figures keep the purged answers"
        );
        assert_eq!(figures(other.organisation_id).await.n(), 1);
        assert_eq!(
            app.store
                .verbatims(other.organisation_id, other.site_id, &everything())
                .await
                .unwrap()
                .len(),
            1
        );
        // Running again finds nothing more.
        assert_eq!(app.store.purge_expired(Utc::now()).await.unwrap(), 0);
    }
);

both_backends!(
    an_admin_proves_the_consent_an_answer_was_given_under,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let id = Uuid::new_v4();
        let posted = app
            .post_response(&serde_json::json!({
                "id": id, "site": demo.site_key, "score": 8, "language": "fi",
                "consent": {"notice_version": 1, "choices": {"improvement_program": true, "contact": false}}
            }))
            .await;
        assert_eq!(posted.status(), 201);
        // A later notice version changes nothing for the answer given under version 1.
        app.store
            .publish_notice(demo.organisation_id, "en", "A newer notice.")
            .await
            .unwrap();
        let v1 = app
            .store
            .notice_version(demo.organisation_id, 1)
            .await
            .unwrap()
            .unwrap();

        app.sign_in(&demo.email, PASSWORD).await;
        let record = app
            .call_fn(
                &app.client,
                "consent_record",
                &[
                    ("site_key", demo.site_key.as_str()),
                    ("response", &id.to_string()),
                ],
            )
            .await;
        assert_eq!(record.status(), 200);
        let record = json(record).await;
        assert_eq!(record["notice_version"], 1);
        assert_eq!(record["content_hash"], v1.content_hash);
        assert_eq!(record["notice_body"], v1.body);
        assert_eq!(record["hash_verified"], true);
        assert_eq!(record["language"], "fi");
        assert_eq!(
            record["choices"],
            serde_json::json!([["contact", false], ["improvement_program", true]])
        );
        let page = app
            .page(&format!("/consent/{id}?site={}", demo.site_key))
            .await;
        assert!(
            page.contains("Version 1 (en)") && page.contains(&v1.content_hash),
            "{page}"
        );

        // Viewers, other organisations and strangers get nothing.
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        let ask = |client: reqwest::Client, key: String| {
            let app = &app;
            async move {
                let form = [("site_key", key.as_str()), ("response", &id.to_string())];
                app.call_fn(&client, "consent_record", &form).await.status()
            }
        };
        assert_eq!(ask(outsider.clone(), demo.site_key.clone()).await, 404);
        assert_eq!(
            ask(outsider, other.site_key.clone()).await,
            404,
            "not under their own site either"
        );
        assert_eq!(ask(new_client(), demo.site_key.clone()).await, 401);
        let viewer_email = format!("{}@example.com", Uuid::new_v4().simple());
        let hash = app::auth::hash_password(&app::domain::Password::parse("p", PASSWORD).unwrap())
            .await
            .unwrap();
        let viewer = app
            .store
            .create_user(
                &app::domain::Email::parse("e", &viewer_email).unwrap(),
                &hash,
            )
            .await
            .unwrap();
        app.store
            .add_member(demo.organisation_id, viewer, app::domain::Role::Viewer)
            .await
            .unwrap();
        let as_viewer = app.signed_in_client(&viewer_email).await;
        assert_eq!(ask(as_viewer, demo.site_key.clone()).await, 403);
    }
);

both_backends!(
    a_share_link_shows_only_groups_of_at_least_k,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let public = app.public_site(&demo.site_key).await;
        let mut batch = vec![];
        // Share links count in fixed four-week periods (UTC); a window ends with the last one
        // over for longer than the amend window (the test server's 30 minutes). Not within a
        // minute of the next one ending, so that the server sees the same periods.
        let settled = |now: chrono::DateTime<Utc>| now - Duration::minutes(30);
        let end = app::report::share::periods_end(settled(Utc::now()).date_naive());
        let next = (end + Duration::days(28))
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        if next - settled(Utc::now()) < Duration::minutes(1) {
            tokio::time::sleep(std::time::Duration::from_secs(61)).await;
        }
        let end = app::report::share::periods_end(settled(Utc::now()).date_naive());
        let noon = |day: chrono::NaiveDate| day.and_hms_opt(12, 0, 0).unwrap().and_utc();
        // In the last period over, and in the one before it.
        let (last, before) = (
            noon(end - Duration::days(10)),
            noon(end - Duration::days(38)),
        );
        for (at, country, n, score) in [
            (last, "FI", 30, 10u8),
            (last, "SE", 3, 0),
            (last, "DE", 12, 9),
            (last, "NO", 10, 2),
            (before, "FI", 20, 10),
            (before, "SE", 12, 0),
        ] {
            for i in 0..n {
                batch.push(StoredResponse {
                    id: Uuid::new_v4(),
                    org_id: demo.organisation_id,
                    site_id: demo.site_id,
                    survey_id: public.default_survey.clone().unwrap().id,
                    score: Score::try_from(score).unwrap(),
                    comment: Some("secret words".into()),
                    language: None,
                    received_at: at - Duration::minutes(i),
                    notice_id: public.current_notice.clone().unwrap().id,
                    choices: ConsentChoices::improvement_program(),
                    context: UsageContext {
                        country: Country::parse(country),
                        ..UsageContext::default()
                    },
                    respondent_id: None,
                    contact_email: None,
                    edit_secret_hash: None,
                    reason: None,
                    user_hash: None,
                    account_hash: None,
                });
            }
        }
        app.store.insert_responses(&batch).await.unwrap();
        app.sign_in(&demo.email, PASSWORD).await;
        let org = demo.organisation_id.to_string();
        let site = demo.site_id.to_string();
        // Before any link, k may change.
        for k in ["12", "10"] {
            let set = app
                .call_fn(
                    &app.client,
                    "set_share_k",
                    &[("org", org.as_str()), ("k", k)],
                )
                .await;
            assert_eq!(set.status(), 200, "{k}");
        }
        let create = |days: &'static str| {
            let (app, org, site) = (&app, org.clone(), site.clone());
            async move {
                let form = [
                    ("org", org.as_str()),
                    ("site", site.as_str()),
                    ("days", days),
                ];
                app.call_fn(&app.client, "create_share_link", &form).await
            }
        };
        let created = create("28").await;
        let status = created.status();
        let text = created.text().await.unwrap();
        assert_eq!(status, 200, "{text}");
        let path: String = serde_json::from_str(&text).unwrap();
        assert!(path.starts_with("/share/sh_"), "{path}");
        let token = path.trim_start_matches("/share/").to_string();

        let shared = |token: String| {
            let app = &app;
            async move {
                app.call_fn(&new_client(), "load_shared", &[("token", token.as_str())])
                    .await
            }
        };
        let first = shared(token.clone()).await;
        let status = first.status();
        let raw = first.text().await.unwrap();
        assert_eq!(status, 200, "{raw}");
        let body: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let text = body.to_string();
        assert!(!text.contains("secret"), "no comments are shared");
        let countries = body["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dimension"] == "Country")
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .clone();
        let figure =
            |label: &str| countries.iter().find(|r| r["label"] == label).unwrap()["figure"].clone();
        // SE's 3 detractors are below k: hidden. Hiding SE alone would leave its detractors
        // as total − the other countries' (the finding), so the smallest shown group with
        // detractors, NO, is hidden with it: together they hold 13.
        assert!(
            countries
                .iter()
                .all(|r| r["label"] != "SE" && r["label"] != "NO"),
            "hidden rows carry no label: {countries:?}"
        );
        assert_eq!(figure("Other values"), "Hidden");
        assert_eq!(figure("FI")["Shown"]["n"], 30);
        assert_eq!(figure("DE")["Shown"]["n"], 12);
        assert_eq!(body["total"]["Shown"]["n"], 55);
        // The data holds only what the page shows: n, NPS and interval, no band counts.
        for key in ["promoters", "passives", "detractors", "summary"] {
            assert!(!text.contains(key), "{key} in {text}");
        }
        let page = app.page(&path).await;
        assert!(
            page.contains("Demo shop") && page.contains("hidden to protect small groups"),
            "{page}"
        );

        // Two periods: the 12 detractors of the one before would be this window's SE minus
        // the last period's, and the 3 of the last period that minus them. SE is hidden in
        // every window holding the last period, though it has 15 answers in this one.
        let longer = create("56").await;
        let longer: String = serde_json::from_str(&longer.text().await.unwrap()).unwrap();
        let longer = json(shared(longer.trim_start_matches("/share/").to_string()).await).await;
        assert_eq!(longer["total"]["Shown"]["n"], 87, "{longer}");
        let rows = longer["segments"][0]["rows"].as_array().unwrap().clone();
        assert_eq!(longer["segments"][0]["dimension"], "Country");
        assert!(rows.iter().all(|r| r["label"] != "SE"), "{rows:?}");
        let fi = rows.iter().find(|r| r["label"] == "FI").unwrap();
        assert_eq!(fi["figure"]["Shown"]["n"], 50);
        assert_eq!(longer["trend"].as_array().unwrap().len(), 2);
        // Other lengths are not whole periods.
        for days in ["30", "0", "392"] {
            let refused = create(days).await;
            assert_eq!(refused.status(), 422, "{days}");
            assert_eq!(json(refused).await["Invalid"]["field"], "days");
        }

        // A new answer today publishes nothing new: the window ends with yesterday.
        app.post_response(
            &serde_json::json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 0}),
        )
        .await;
        let again = json(shared(token.clone()).await).await;
        assert_eq!(
            again, body,
            "identical figures before and after today's answer"
        );

        // A smaller k would show SE's 3: the pages of one period under two values of k could
        // be subtracted, so k is fixed once a link was made. Revoking ends the link.
        let refused = app
            .call_fn(
                &app.client,
                "set_share_k",
                &[("org", org.as_str()), ("k", "3")],
            )
            .await;
        assert_eq!(refused.status(), 422);
        assert_eq!(json(refused).await["Invalid"]["field"], "k");
        let body = json(shared(token.clone()).await).await;
        assert!(!body.to_string().contains("\"n\":3,"), "{body}");
        let links = app.store.share_links(demo.organisation_id).await.unwrap();
        let link = links.iter().find(|l| l.days == 28).unwrap().id.to_string();
        let revoked = app
            .call_fn(
                &app.client,
                "revoke_share_link",
                &[("org", org.as_str()), ("id", link.as_str())],
            )
            .await;
        assert!(revoked.status().is_success());
        assert_eq!(shared(token).await.status(), 404);
        assert_eq!(app.get(&path).await.status(), 404);
        assert_eq!(shared("sh_guess".into()).await.status(), 404);
    }
);
