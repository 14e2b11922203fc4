//! The visit so far, numbers only: pages viewed, seconds on site (kept as its bucket's start)
//! and JavaScript errors seen arrive with answers and impressions, are stored, exported and
//! segmented by bucket, and anything out of range is a 422 naming the field.

use crate::both_backends;
use crate::helpers::{json, Backend, TestApp};
use crate::report::{report, signed_in};
use crate::saved_themes::n;
use serde_json::json;
use uuid::Uuid;

/// (pages_viewed, seconds_on_site, errors_seen) as stored for answer `id`, or for an impression.
async fn stored(app: &TestApp, table: &str, id: Uuid) -> (Option<i64>, Option<i64>, Option<i64>) {
    let sql = format!(
        "SELECT CAST(pages_viewed AS BIGINT), CAST(seconds_on_site AS BIGINT), CAST(errors_seen AS BIGINT)
         FROM {table} WHERE id = $1"
    );
    match app.backend() {
        Backend::Sqlite => sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

both_backends!(
    the_visit_so_far_is_stored_bucketed_exported_and_a_segment,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        // Three visits: one met errors after 3 pages and 47 s; two did not, after 1 and 20 pages.
        let visits = [(3, 47, 2, 2), (1, 5, 0, 10), (20, 4_000, 0, 9)];
        let mut ids = vec![];
        for (pages, seconds, errors, score) in visits {
            let (id, shown) = (Uuid::new_v4(), Uuid::new_v4());
            let context = json!({"path": "/pricing", "pages_viewed": pages,
                "seconds_on_site": seconds, "errors_seen": errors});
            let r = app
                .post_batch(&json!({"site": demo.site_key,
                    "responses": [{"id": id, "score": score, "context": context}],
                    "impressions": [{"id": shown, "kind": "shown", "context": context}]}))
                .await;
            let body = json(r).await;
            assert_eq!(body["results"][0]["status"], 201, "{body}");
            ids.push((id, shown));
        }
        // Stored as numbers; a time only as the start of its bucket.
        assert_eq!(
            stored(&app, "responses", ids[0].0).await,
            (Some(3), Some(30), Some(2))
        );
        assert_eq!(
            stored(&app, "impressions", ids[0].1).await,
            (Some(3), Some(30), Some(2))
        );
        assert_eq!(
            stored(&app, "responses", ids[2].0).await,
            (Some(20), Some(3_600), Some(0))
        );

        // Segments by bucket, from the aggregates and from the answers alike.
        let view = |q: &'static str| {
            let app = &app;
            let key = demo.site_key.clone();
            async move { json(report(app, &key, q).await).await }
        };
        let errored = view("segment=had_error%3Ayes").await;
        assert_eq!(n(&errored["total"]), 1);
        assert_eq!(
            errored["verbatims"].as_array().map(Vec::len),
            Some(0),
            "no comment"
        );
        // The funnel follows it: the impression carried the same visit.
        assert_eq!(errored["funnel"]["shown"], 1);
        let by_pages = view("by=pages_viewed").await;
        let mut rows: Vec<(String, u64)> = by_pages["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["value"].as_str().unwrap().to_string(), n(&s["counts"])))
            .collect();
        rows.sort();
        assert_eq!(
            rows,
            [("1".into(), 1), ("16+".into(), 1), ("2-3".into(), 1)]
        );
        assert_eq!(n(&view("segment=time_on_site%3A30-59s").await["total"]), 1);
        assert_eq!(n(&view("segment=time_on_site%3A60m%2B").await["total"]), 1);
        assert_eq!(n(&view("segment=pages_viewed%3Anine").await["total"]), 0);

        // Exported, with the answer.
        let api = json(
            app.client
                .get(app.url(&format!(
                    "/api/v1/sites/{}/responses?format=json",
                    demo.site_key
                )))
                .bearer_auth(&demo.api_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let first = api
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == ids[0].0.to_string())
            .cloned()
            .unwrap_or_else(|| panic!("{api}"));
        assert_eq!(
            (
                &first["pages_viewed"],
                &first["seconds_on_site"],
                &first["errors_seen"]
            ),
            (&json!(3), &json!(30), &json!(2))
        );

        // Out of range is refused, naming the field.
        for (field, value) in [
            ("pages_viewed", json!(0)),
            ("pages_viewed", json!(10_001)),
            ("pages_viewed", json!(-1)),
            ("seconds_on_site", json!(604_801)),
            ("errors_seen", json!(1_001)),
        ] {
            let r = app
                .post_response(
                    &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 5,
                    "context": {field: value}}),
                )
                .await;
            assert_eq!(r.status(), 422, "{field} {value}");
            assert_eq!(json(r).await["field"], format!("context.{field}"));
        }
    }
);
