//! The exit reason: a survey's question is saved with options per band and labels per
//! language (a refusal names its field), reaches the widget's configuration and the hosted
//! page in the visitor's language, and an answer's reason is checked against its band's
//! options, stored (with the answer or by its author's amendment), exported and a segment
//! like any other, its counts moving when the reason is changed.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{json, TestApp, PASSWORD};
use crate::report::{analysis, report};
use crate::survey_page::{hidden, page_fields};
use app::domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

async fn save_reason(
    app: &TestApp,
    client: &reqwest::Client,
    org: Uuid,
    survey: Uuid,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let (org, survey) = (org.to_string(), survey.to_string());
    let mut form = vec![("org", org.as_str()), ("id", survey.as_str())];
    form.extend_from_slice(fields);
    let r = app.call_fn(client, "save_survey_reason", &form).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// (reason, answers) of the view's `by=reason` table, without empty rows.
async fn by_reason(app: &TestApp, site_key: &str, query: &str) -> Vec<(String, u64)> {
    let report = json(report(app, site_key, query).await).await;
    let mut rows: Vec<(String, u64)> = report["segments"]
        .as_array()
        .unwrap_or_else(|| panic!("{query}: {report}"))
        .iter()
        .map(|s| {
            let n = s["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .sum();
            (s["value"].as_str().unwrap().to_string(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    rows.sort();
    rows
}

both_backends!(
    an_exit_reason_is_asked_by_band_stored_and_a_segment,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let survey = app.store.surveys(org, demo.site_id).await.unwrap()[0].id;
        let question = [
            ("detractors", "price: Too expensive\nbugs: Something broke"),
            ("promoters", "speed: It is fast"),
            (
                "translations",
                "fi price: Liian kallis\nfi question: Miksi?",
            ),
        ];

        // Refusals name their field; only the survey's own admins may save it.
        for (fields, field) in [
            (vec![("detractors", "Price: x")], "options.detractor"),
            (vec![("passives", "price")], "options.passive"),
            (
                vec![("detractors", "price: x"), ("translations", "xx price: y")],
                "texts",
            ),
            (
                vec![("detractors", "price: x"), ("translations", "fi speed: y")],
                "texts",
            ),
        ] {
            let (status, body) = save_reason(&app, &app.client, org, survey, &fields).await;
            assert_eq!(status, 422, "{fields:?}");
            assert_eq!(body["Invalid"]["field"], field, "{body}");
        }
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        assert_eq!(
            save_reason(&app, &viewer, org, survey, &question).await.0,
            403
        );
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(
            save_reason(&app, &outsider, org, survey, &question).await.0,
            404
        );
        assert_eq!(
            save_reason(&app, &app.client, org, survey, &question)
                .await
                .0,
            200
        );
        let audit = app.store.audit_log(org, 5).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "survey.reason"
            && e.subject
                .ends_with("Detractors: price, bugs; Promoters: speed")));

        // The widget's configuration, in English and in Finnish.
        let config = |lang: &'static str| {
            let app = &app;
            let key = demo.site_key.clone();
            async move {
                json(
                    app.get(&format!("/api/v1/sites/{key}/config?lang={lang}"))
                        .await,
                )
                .await["surveys"][0]["reason"]
                    .clone()
            }
        };
        assert_eq!(
            config("en").await,
            json!({"question": "What is the main reason for your score?", "options": {
                "detractor": [["price", "Too expensive"], ["bugs", "Something broke"]],
                "promoter": [["speed", "It is fast"]]}})
        );
        let fi = config("fi").await;
        assert_eq!(fi["question"], "Miksi?");
        assert_eq!(
            fi["options"]["detractor"][0],
            json!(["price", "Liian kallis"])
        );
        assert_eq!(
            fi["options"]["detractor"][1],
            json!(["bugs", "Something broke"])
        );

        // Answers: a reason of the score's band is stored; another band's, or none offered, is
        // refused at the field.
        let batch = |responses: Value, amendments: Value| {
            let app = &app;
            let body =
                json!({"site": demo.site_key, "responses": responses, "amendments": amendments});
            async move { json(app.post_batch(&body).await).await }
        };
        let (priced, broken, fast) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let results = batch(
            json!([
                {"id": priced, "score": 3, "reason": "price", "edit_secret": SECRET},
                {"id": Uuid::new_v4(), "score": 9, "reason": "price"},
                {"id": Uuid::new_v4(), "score": 3, "reason": "nope"},
                {"id": Uuid::new_v4(), "score": 3, "reason": "Not A Key"},
                {"id": broken, "score": 2, "edit_secret": SECRET},
                {"id": fast, "score": 10, "reason": "speed"},
            ]),
            json!([]),
        )
        .await;
        let statuses: Vec<u64> = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [201, 422, 422, 422, 201, 201], "{results}");
        for i in 1..=3 {
            assert_eq!(results["results"][i]["field"], "reason", "{results}");
        }
        // As the widget sends it: the reason after the score, by the answer's author.
        let amended = batch(
            json!([]),
            json!([
                {"id": broken, "edit_secret": SECRET, "reason": "bugs"},
                {"id": broken, "edit_secret": SECRET, "reason": "nope"},
                // A promoter's option for a detractor's answer, and a wrong secret.
                {"id": broken, "edit_secret": SECRET, "reason": "speed"},
                {"id": broken, "edit_secret": "f".repeat(32), "reason": "bugs"},
            ]),
        )
        .await;
        assert_eq!(amended["results"][0]["status"], 200, "{amended}");
        assert_eq!(amended["results"][1]["status"], 422, "{amended}");
        assert_eq!(amended["results"][2]["status"], 422, "{amended}");
        assert_eq!(amended["results"][2]["field"], "reason", "{amended}");
        assert_eq!(amended["results"][3]["status"], 404, "{amended}");
        assert_eq!(
            by_reason(&app, &demo.site_key, "by=reason").await,
            [("bugs".into(), 1), ("price".into(), 1), ("speed".into(), 1)]
        );

        // Counted, then changed by its author: the counts move with it.
        farewell::store::count_waiting(app.store.as_ref(), usize::MAX)
            .await
            .unwrap();
        let changed = batch(
            json!([]),
            json!([{"id": priced, "edit_secret": SECRET, "reason": "bugs"}]),
        )
        .await;
        assert_eq!(changed["results"][0]["status"], 200, "{changed}");
        assert_eq!(
            by_reason(&app, &demo.site_key, "by=reason").await,
            [("bugs".into(), 2), ("speed".into(), 1)]
        );
        // A score moved out of its reason's band leaves the reason behind, counts and all.
        let rescored = batch(
            json!([]),
            json!([{"id": broken, "edit_secret": SECRET, "score": 9}]),
        )
        .await;
        assert_eq!(rescored["results"][0]["status"], 200, "{rescored}");
        assert_eq!(
            by_reason(&app, &demo.site_key, "by=reason").await,
            [("".into(), 1), ("bugs".into(), 1), ("speed".into(), 1)]
        );
        let back = batch(
            json!([]),
            json!([{"id": broken, "edit_secret": SECRET, "score": 2, "reason": "bugs"}]),
        )
        .await;
        assert_eq!(back["results"][0]["status"], 200, "{back}");
        let bugs = json(report(&app, &demo.site_key, "segment=reason:bugs").await).await;
        assert_eq!(crate::saved_themes::n(&bugs["total"]), 2, "{bugs}");
        // Impressions carry no reason: its funnel is empty, not the site's.
        assert_eq!(bugs["funnel"]["shown"], 0, "{bugs}");
        // The report API and the export say the same.
        let api = json(analysis(&app, &demo, "report", "?segment=reason:speed").await).await;
        assert_eq!(crate::saved_themes::n(&api["total"]), 1, "{api}");
        let exported = json(analysis(&app, &demo, "responses", "?format=json").await).await;
        let reasons = |id: Uuid| {
            exported
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["id"] == id.to_string())
                .map(|a| a["reason"].clone())
        };
        assert_eq!(reasons(priced), Some(json!("bugs")));
        assert_eq!(reasons(fast), Some(json!("speed")));
        let csv = analysis(&app, &demo, "responses", "?format=csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.lines().next().unwrap().ends_with(",reason,attributes"),
            "{csv}"
        );
        assert_eq!(
            csv.lines()
                .filter(|l| l.ends_with(",\"bugs\",\"\""))
                .count(),
            2,
            "{csv}"
        );
        // Another organisation's member reads none of it.
        let foreign = app
            .call_fn(
                &outsider,
                "site_report",
                &[("site_key", demo.site_key.as_str()), ("query", "by=reason")],
            )
            .await;
        assert_eq!(foreign.status(), 404);
    }
);

// The hosted page asks it too: without JavaScript every band's group shows, each naming its
// scores, and the server takes the reason of the score's band, refusing another's at the field
// with everything typed kept.
both_backends!(
    the_hosted_page_asks_the_exit_reason,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let survey = app.store.surveys(org, demo.site_id).await.unwrap()[0].id;
        let fields = [
            ("detractors", "price: Too expensive"),
            ("promoters", "speed: It is fast"),
        ];
        assert_eq!(
            save_reason(&app, &app.client, org, survey, &fields).await.0,
            200
        );
        let page = app.page(&format!("/s/{}", demo.site_key)).await;
        assert!(
            page.contains(r#"data-band="detractor""#) && page.contains("(0–6)"),
            "{page}"
        );
        assert!(page.contains(r#"name="reason" value="price""#));
        assert!(page.contains("It is fast"));
        let action = format!("/s/{}", demo.site_key);
        let id = hidden(&page, "id");
        let mut form = page_fields(&page, &id);
        form.extend([("score", "9".to_string()), ("reason", "price".to_string())]);
        let refused = app.post_hosted_form(&action, &form).await;
        assert_eq!(refused.status(), 422);
        let html = refused.text().await.unwrap();
        assert!(html.contains(r#"id="reason-error""#), "{html}");
        assert!(
            html.contains(r#"value="price" checked"#),
            "the reason typed is kept: {html}"
        );
        let mut form = page_fields(&page, &id);
        form.extend([("score", "2".to_string()), ("reason", "price".to_string())]);
        let stored = app.post_hosted_form(&action, &form).await;
        assert!(stored.status().is_redirection(), "{}", stored.status());
        let exported = json(analysis(&app, &demo, "responses", "?format=json").await).await;
        let answer = exported
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{exported}"));
        assert_eq!(answer["reason"], "price");
    }
);
