//! Saved themes: a member names a set of terms, the answers whose comments hold one are tagged
//! with it (past ones by a walk, new ones as they are counted, amended ones anew), and the theme
//! is a segment like any other: in the aggregates, the filter, the segment table, the drivers
//! and the report API. Erasure takes an answer's themes with it; another organisation sees and
//! changes nothing.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{json, TestApp};
use crate::report::{analysis, answer_with_comments, report, signed_in};
use app::domain::Role;
use farewell::provision::DemoCreated;
use serde_json::{json, Value};
use uuid::Uuid;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// Calls `save_theme` as `client`; the status and the body.
async fn save(
    app: &TestApp,
    client: &reqwest::Client,
    site_key: &str,
    name: &str,
    terms: &str,
) -> (u16, Value) {
    let r = app
        .call_fn(
            client,
            "save_theme",
            &[("site_key", site_key), ("name", name), ("terms", terms)],
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, client: &reqwest::Client, site_key: &str, name: &str) -> u16 {
    app.call_fn(
        client,
        "delete_theme",
        &[("site_key", site_key), ("name", name)],
    )
    .await
    .status()
    .as_u16()
}

/// Counts what is waiting, then walks every waiting site to its end.
async fn settle(app: &TestApp) {
    farewell::store::count_waiting(app.store.as_ref(), usize::MAX)
        .await
        .unwrap();
    farewell::store::tag_waiting(app.store.as_ref(), usize::MAX)
        .await
        .unwrap();
}

/// The dashboard's report of `query`, as JSON.
async fn view(app: &TestApp, demo: &DemoCreated, query: &str) -> Value {
    let r = report(app, &demo.site_key, query).await;
    assert_eq!(r.status(), 200, "{query}");
    json(r).await
}

/// How many answers a score count array holds.
pub(crate) fn n(counts: &Value) -> u64 {
    counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum()
}

/// (detractors, passives, promoters) of a score count array.
fn bands(counts: &Value) -> (u64, u64, u64) {
    let c: Vec<u64> = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    (c[..7].iter().sum(), c[7] + c[8], c[9] + c[10])
}

/// The answers counted under `theme` in the segment table of `by=theme`, by value.
fn theme_segments(report: &Value) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].as_str().unwrap().to_string(), n(&s["counts"])))
        .filter(|(_, n)| *n > 0)
        .collect();
    rows.sort();
    rows
}

/// How many stored answers hold `theme`, read from the rows themselves.
async fn stored_holding(app: &TestApp, theme: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM responses WHERE themes LIKE $1";
    let pattern = format!("%,{theme},%");
    match app.backend() {
        crate::helpers::Backend::Sqlite => sqlx::query_scalar(sql)
            .bind(pattern)
            .fetch_one(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        crate::helpers::Backend::Postgres => sqlx::query_scalar(sql)
            .bind(pattern)
            .fetch_one(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

both_backends!(
    a_saved_theme_tags_past_new_and_amended_answers_and_is_a_segment,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let mut answers: Vec<(u8, String)> = vec![];
        for i in 0..5 {
            answers.push((2, format!("The payment was refused {i}")));
        }
        for i in 0..3 {
            answers.push((10, format!("Paid by card, smooth {i}")));
        }
        for i in 0..4 {
            answers.push((9, format!("Lovely staff {i}")));
        }
        let ids = answer_with_comments(&app, &demo.site_key, &answers).await;
        // And one answer without a comment, written by a visitor who may amend it.
        let plain = Uuid::new_v4();
        let r = app
            .post_batch(&json!({"site": demo.site_key, "responses": [
                {"id": plain, "score": 6, "edit_secret": SECRET,
                 "consent": {"choices": {"improvement_program": true}}}
            ]}))
            .await;
        assert_eq!(r.status(), 200);
        settle(&app).await;

        // Saved by an owner, the name folded to lower case.
        let (status, body) = save(
            &app,
            &app.client,
            &demo.site_key,
            "Checkout",
            "checkout, payment, card",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // Past answers are tagged by the walk, not yet: nothing is in the theme so far.
        let before = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(n(&before["total"]), 0);
        assert_eq!(before["tagging"], true);
        assert_eq!(before["saved_themes"][0]["name"], "checkout");
        assert_eq!(
            before["saved_themes"][0]["terms"],
            json!(["checkout", "payment", "card"])
        );

        // The walk, in steps of 2 answers, newest first: only the 12 with a comment are read,
        // and it ends.
        let mut steps = vec![];
        loop {
            let read = app.store.tag_past_answers(2).await.unwrap();
            if read == 0 {
                break;
            }
            steps.push(read);
            assert!(steps.len() < 20, "the walk does not end: {steps:?}");
        }
        assert_eq!(steps, [2, 2, 2, 2, 2, 2, 1]);
        let checkout = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(checkout["tagging"], false);
        assert_eq!(bands(&checkout["total"]), (5, 0, 3), "{checkout}");
        // The comments shown are exactly the theme's, each marked with it.
        let listed: Vec<&Value> = checkout["verbatims"].as_array().unwrap().iter().collect();
        assert_eq!(listed.len(), 8);
        assert!(listed.iter().all(|v| v["themes"] == json!(["checkout"])));
        // No funnel for a theme: shown and closed surveys hold no comment.
        assert_eq!(checkout["funnel"]["shown"], 0);
        // The segment table: the theme and the answers holding none, which together are all.
        let by = view(&app, &demo, "by=theme").await;
        assert_eq!(
            theme_segments(&by),
            [("".to_string(), 5), ("checkout".to_string(), 8)]
        );
        assert_eq!(n(&by["segments_total"]), 13);
        assert_eq!(stored_holding(&app, "checkout").await, 8);

        // The report API takes the theme as a segment and as the table's dimension.
        let api = json(analysis(&app, &demo, "report", "?segment=theme:checkout&by=theme").await).await;
        assert_eq!(n(&api["total"]), 8, "{api}");
        let api_rows: Vec<(String, u64)> = api["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["value"].as_str().unwrap().to_string(), n(&s["counts"])))
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(api_rows.contains(&("checkout".to_string(), 8)), "{api}");
        assert!(api["verbatims"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["themes"] == json!(["checkout"])));
        // The export names each answer's themes in a column of their own.
        let csv = app
            .get(&format!(
                "/dashboard/{}/export.csv?segment=theme%3Acheckout",
                demo.site_key
            ))
            .await
            .text()
            .await
            .unwrap();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .ends_with(",tags,themes,pages_viewed,seconds_on_site,errors_seen,reason,attributes"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 8, "{csv}");
        assert!(
            rows.iter()
                .all(|r| r.ends_with(",\"\",\"checkout\",\"\",\"\",\"\",\"\",\"\"")),
            "{csv}"
        );
        let refused = analysis(&app, &demo, "report", "?segment=theme:Check%20out").await;
        assert_eq!(refused.status(), 422);
        assert_eq!(json(refused).await["field"], "segment");

        // A new answer is tagged as it is counted.
        answer_with_comments(&app, &demo.site_key, &[(0, "Card declined twice")]).await;
        settle(&app).await;
        let checkout = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(bands(&checkout["total"]), (6, 0, 3));

        // A counted answer amended with a comment that holds a term joins the theme, with its
        // new score.
        let r = app
            .post_batch(&json!({"site": demo.site_key, "amendments": [
                {"id": plain, "edit_secret": SECRET, "score": 3, "comment": "Checkout kept failing"}
            ]}))
            .await;
        assert_eq!(json(r).await["results"][0]["status"], 200);
        settle(&app).await;
        let checkout = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(bands(&checkout["total"]), (7, 0, 3));
        let by = view(&app, &demo, "by=theme").await;
        assert_eq!(
            theme_segments(&by),
            [("".to_string(), 4), ("checkout".to_string(), 10)]
        );

        // New terms: the walk moves the answers that no longer hold the theme.
        let (status, _) = save(&app, &app.client, &demo.site_key, "checkout", "checkout, payment").await;
        assert_eq!(status, 200);
        settle(&app).await;
        let checkout = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(bands(&checkout["total"]), (6, 0, 0), "{checkout}");
        assert_eq!(stored_holding(&app, "checkout").await, 6);

        // Erasure takes the answer and its theme from the counts.
        let erased = app
            .store
            .erase_answers(demo.organisation_id, &[ids[0]])
            .await
            .unwrap();
        assert_eq!(erased, 1);
        let checkout = view(&app, &demo, "segment=theme%3Acheckout").await;
        assert_eq!(bands(&checkout["total"]), (5, 0, 0));
        assert_eq!(stored_holding(&app, "checkout").await, 5);

        // Deleted: no answer holds it, and it is no longer a segment.
        assert_eq!(delete(&app, &app.client, &demo.site_key, "checkout").await, 200);
        settle(&app).await;
        let by = view(&app, &demo, "by=theme").await;
        assert_eq!(theme_segments(&by), [("".to_string(), 13)]);
        assert_eq!(by["saved_themes"], json!([]));
        assert_eq!(stored_holding(&app, "checkout").await, 0);
        assert_eq!(delete(&app, &app.client, &demo.site_key, "checkout").await, 404);

        // Every change is in the audit log, by name.
        let log = app.store.audit_log(demo.organisation_id, 50).await.unwrap();
        let actions: Vec<(&str, &str)> = log
            .iter()
            .filter(|e| e.action.starts_with("theme."))
            .map(|e| (e.action.as_str(), e.subject.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            actions,
            [
                ("theme.delete", "checkout"),
                ("theme.save", "checkout"),
                ("theme.save", "checkout")
            ]
        );
    }
);

both_backends!(
    saved_themes_are_changed_only_by_the_sites_admins,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        answer_with_comments(&app, &demo.site_key, &[(1, "payment failed")]).await;
        settle(&app).await;

        // Refused input is a 422 naming the field.
        for (name, terms, field) in [
            ("two words", "payment", "name"),
            ("", "payment", "name"),
            ("checkout", " , ", "terms"),
            ("checkout", "one two three four", "terms"),
        ] {
            let (status, body) = save(&app, &app.client, &demo.site_key, name, terms).await;
            assert_eq!((status, body["Invalid"]["field"].as_str()), (422, Some(field)), "{name:?} {terms:?}: {body}");
        }
        // At most 30 themes per site.
        for i in 0..30 {
            let (status, _) = save(&app, &app.client, &demo.site_key, &format!("t{i}"), "x").await;
            assert_eq!(status, 200);
        }
        let (status, body) = save(&app, &app.client, &demo.site_key, "t30", "x").await;
        assert_eq!((status, body["Invalid"]["field"].as_str()), (422, Some("name")), "{body}");
        // A saved name takes new terms even at the cap.
        let (status, _) = save(&app, &app.client, &demo.site_key, "t0", "payment").await;
        assert_eq!(status, 200);

        // A viewer reads the themes but cannot change them.
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        assert_eq!(save(&app, &viewer, &demo.site_key, "mine", "x").await.0, 403);
        assert_eq!(delete(&app, &viewer, &demo.site_key, "t0").await, 403);

        // Another organisation's owner finds no such site, to save to or delete from, and its
        // own site's theme segment holds nothing of this one's.
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(save(&app, &outsider, &demo.site_key, "t1", "payment").await.0, 404);
        assert_eq!(delete(&app, &outsider, &demo.site_key, "t0").await, 404);
        let (status, _) = save(&app, &outsider, &other.site_key, "t0", "payment").await;
        assert_eq!(status, 200);
        settle(&app).await;
        let theirs = report(&app, &other.site_key, "segment=theme%3At0").await;
        assert_eq!(theirs.status(), 404, "our session does not open their site");
        let their_own = app
            .call_fn(
                &outsider,
                "site_report",
                &[("site_key", other.site_key.as_str()), ("query", "segment=theme%3At0")],
            )
            .await;
        assert_eq!(n(&json(their_own).await["total"]), 0, "none of our answers");
        let ours = view(&app, &demo, "segment=theme%3At0").await;
        assert_eq!(n(&ours["total"]), 1);
        // Nor does it list our themes, or open our report.
        let theirs = app
            .call_fn(
                &outsider,
                "site_report",
                &[("site_key", demo.site_key.as_str()), ("query", "")],
            )
            .await;
        assert_eq!(theirs.status(), 404);
        assert!(app
            .store
            .saved_themes(other.organisation_id, demo.site_id)
            .await
            .unwrap()
            .is_empty());
    }
);

// The drivers take saved themes as factors of their own: answers that mention checkout score
// lower than other commented answers, with the comment itself held fixed.
both_backends!(
    drivers_count_saved_themes_beside_the_context,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let mut answers: Vec<(u8, String)> = vec![];
        for i in 0..40 {
            answers.push((1, format!("The checkout broke {i}")));
            answers.push((10, format!("Lovely shop {i}")));
        }
        answer_with_comments(&app, &demo.site_key, &answers).await;
        // And 40 passives who wrote nothing.
        for _ in 0..40 {
            let r = app
                .post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 8,
                    "context": {"path": "/pricing"}}))
                .await;
            assert!(r.status().is_success());
        }
        let (status, _) = save(&app, &app.client, &demo.site_key, "checkout", "checkout").await;
        assert_eq!(status, 200);
        settle(&app).await;
        let body = json(analysis(&app, &demo, "drivers", "").await).await;
        assert_eq!(body["n"], 120, "{body}");
        let theme = body["effects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["dimension"] == "theme")
            .cloned()
            .unwrap_or_else(|| panic!("a theme effect: {body}"));
        assert_eq!(theme["value"], "checkout");
        assert_eq!(theme["reference"], "not checkout");
        assert_eq!(theme["answers"], 40);
        // Raw: −100 against the mean of +100 (the other commenters) and 0 (the silent
        // passives): −150.
        let raw = theme["raw"].as_f64().unwrap();
        assert!((raw - (-150.0)).abs() < 1e-6, "{theme}");
        // Held against the other commenters (the comment held fixed): about −200, shrunk a
        // little toward zero, and clear of it.
        let adjusted = theme["adjusted"].as_f64().unwrap();
        assert!(adjusted < -150.0 && adjusted > -200.0, "{theme}");
        assert!(theme["ci95"][1].as_f64().unwrap() < 0.0, "{theme}");
        // The comment factor is a control, not a driver to show.
        assert!(body["effects"].as_array().unwrap().iter().all(|e| e["value"] != "a comment" && e["value"] != "no comment"));
    }
);
