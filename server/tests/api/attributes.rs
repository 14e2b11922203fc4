//! Attributes: a site declares the keys it takes (in admin, or by `farewell configure-site`)
//! and a cap on distinct values per key; answers and impressions carry `"attributes"`, keys
//! not declared are dropped and counted in `/metrics`, values past the cap are stored as
//! "other", bad values are refused at the field, and each key is a segment `attr.<key>` in the
//! dashboard, the report API, the exports and the aggregates. Other organisations see none.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{json, Backend, TestApp};
use crate::report::{analysis, report, signed_in};
use crate::saved_themes::n;
use app::domain::Role;
use serde_json::{json, Value};
use std::process::Command;
use uuid::Uuid;

async fn save_attributes(
    app: &TestApp,
    client: &reqwest::Client,
    org: Uuid,
    site: Uuid,
    keys: &str,
    cap: &str,
) -> (u16, Value) {
    let (org, site) = (org.to_string(), site.to_string());
    let form = [
        ("org", org.as_str()),
        ("id", site.as_str()),
        ("keys", keys),
        ("value_cap", cap),
    ];
    let r = app.call_fn(client, "save_site_attributes", &form).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The attributes stored with answer or event `id`, as stored.
async fn stored(app: &TestApp, table: &str, id: Uuid) -> Option<String> {
    app.text_of(table, "attributes", id).await
}

fn dropped(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("farewell_attributes_dropped_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no dropped attributes counter: {metrics}"))
}

both_backends!(
    declared_attributes_are_kept_capped_and_segmented,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let (org, site) = (demo.organisation_id, demo.site_id);
        // Refused at the field, nothing saved.
        for (keys, cap, field) in [
            ("Plan", "", "keys"),
            ("plan, account", "", "keys"),
            ("plan", "0", "value_cap"),
            ("plan", "1001", "value_cap"),
            ("plan", "many", "value_cap"),
        ] {
            let (status, body) = save_attributes(&app, &app.client, org, site, keys, cap).await;
            assert_eq!(status, 422, "{keys} {cap}");
            assert_eq!(body["Invalid"]["field"], field, "{body}");
        }
        let (status, body) = save_attributes(&app, &app.client, org, site, "plan, tier", "2").await;
        assert_eq!(status, 200, "{body}");
        let settings = app.store.site_attributes(org, site).await.unwrap().unwrap();
        assert_eq!(
            (settings.stored_keys().as_str(), settings.value_cap),
            ("plan,tier", 2)
        );

        let before = dropped(&app.metrics().await);
        // Answers: plan pro, Pro (its own value: case counts), then a third value past the cap
        // of 2 (stored as "other"); an undeclared key is dropped and counted.
        let mut ids = vec![];
        for (plan, score) in [("pro", 10), ("Pro", 3), ("team", 9), ("pro", 8)] {
            let (id, shown) = (Uuid::new_v4(), Uuid::new_v4());
            let attributes = json!({"plan": plan, "tier": "gold", "colour": "red"});
            let body = json(
                app.post_batch(&json!({"site": demo.site_key,
                    "responses": [{"id": id, "score": score, "attributes": attributes}],
                    "impressions": [{"id": shown, "kind": "shown", "attributes": attributes}]}))
                    .await,
            )
            .await;
            assert_eq!(body["results"][0]["status"], 201, "{body}");
            assert_eq!(body["results"][1]["status"], 200, "{body}");
            ids.push((id, shown));
        }
        assert_eq!(
            stored(&app, "responses", ids[0].0).await.as_deref(),
            Some(",plan=pro,tier=gold,")
        );
        assert_eq!(
            stored(&app, "responses", ids[2].0).await.as_deref(),
            Some(",plan=other,tier=gold,")
        );
        assert_eq!(
            stored(&app, "impressions", ids[1].1).await.as_deref(),
            Some(",plan=Pro,tier=gold,")
        );
        // Eight items each dropped "colour".
        assert_eq!(dropped(&app.metrics().await) - before, 8);

        // A declared key's bad value is refused at its field; the answer is not stored.
        for (attributes, field) in [
            (json!({"plan": "ann@example.com"}), "attributes.plan"),
            (json!({"plan": "a,b"}), "attributes.plan"),
            (json!({"plan": "a;b"}), "attributes.plan"),
            (json!({"plan": ""}), "attributes.plan"),
            (json!({"plan": "x".repeat(65)}), "attributes.plan"),
        ] {
            let r = app
                .post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key,
                    "score": 5, "attributes": attributes}))
                .await;
            assert_eq!(r.status(), 422, "{attributes}");
            assert_eq!(json(r).await["field"], field, "{attributes}");
        }
        // Keys the site did not declare are dropped unread, whatever they hold: a page's stray
        // key never costs its answer.
        let before = dropped(&app.metrics().await);
        let id = Uuid::new_v4();
        let r = app
            .post_response(&json!({"id": id, "site": demo.site_key, "score": 5,
                "attributes": {"Plan": "x,y", "account": "acme", "note": "ann@example.com",
                               "tier": "gold"}}))
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(
            stored(&app, "responses", id).await.as_deref(),
            Some(",tier=gold,")
        );
        assert_eq!(dropped(&app.metrics().await) - before, 3);
        let many: serde_json::Map<String, Value> =
            (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
        let r = app
            .post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key,
                "score": 5, "attributes": many}))
            .await;
        assert_eq!(r.status(), 422);
        // "other" sent as a value is kept as it is and takes no slot of the cap.
        let id = Uuid::new_v4();
        let r = app
            .post_response(&json!({"id": id, "site": demo.site_key, "score": 5,
                "attributes": {"plan": "other"}}))
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(taken(&app, site, "plan").await, ["Pro", "pro"]);

        // A segment, from the aggregates and from the answers alike; the funnel follows it.
        let view = |q: &'static str| {
            let app = &app;
            let key = demo.site_key.clone();
            async move { json(report(app, &key, q).await).await }
        };
        let pro = view("segment=attr.plan%3Apro").await;
        assert_eq!(n(&pro["total"]), 2, "{pro}");
        assert_eq!(pro["funnel"]["shown"], 2);
        assert_eq!(n(&view("segment=attr.plan%3APro").await["total"]), 1);
        assert_eq!(n(&view("segment=attr.plan%3Aother").await["total"]), 2);
        assert_eq!(n(&view("segment=attr.tier%3Agold").await["total"]), 5);
        // The demo's own answers carry its plans too; this test's are the only "Pro".
        let by_plan = view("by=attr.plan").await;
        let values: Vec<&str> = by_plan["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value"].as_str().unwrap())
            .collect();
        assert!(
            values.contains(&"Pro") && values.contains(&"other"),
            "{by_plan}"
        );
        assert!(
            !values.contains(&""),
            "no row for answers without it: {by_plan}"
        );
        assert!(
            by_plan["attribute_keys"] == json!(["plan", "tier"]),
            "the dashboard's tabs: {by_plan}"
        );
        // A value no answer can carry is refused at the view's field, the rest of the view shown.
        let refused = json(report(&app, &demo.site_key, "segment=attr.plan%3Aa%2Cb").await).await;
        assert_eq!(refused["refused"][0]["field"], "segment", "{refused}");
        assert_eq!(refused["view"]["segment"], Value::Null);

        // The report API takes the same names; the exports carry the attributes.
        let api = json(analysis(&app, &demo, "report", "?segment=attr.plan%3APro").await).await;
        assert_eq!(n(&api["total"]), 1, "{api}");
        let answers = json(analysis(&app, &demo, "responses", "?format=json").await).await;
        let first = answers
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == ids[0].0.to_string())
            .cloned()
            .unwrap_or_else(|| panic!("{answers}"));
        assert_eq!(first["attributes"], json!({"plan": "pro", "tier": "gold"}));
        let csv = analysis(&app, &demo, "responses", "?format=csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.contains("\"plan=pro;tier=gold\""), "{csv}");

        // The page lists what each key took; a viewer and another organisation find nothing.
        let page = app
            .page(&format!("/admin/{org}/sites/{site}/attributes"))
            .await;
        assert!(
            page.contains("<h3>plan</h3>") && page.contains(">Pro<"),
            "{page}"
        );
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        assert_eq!(
            save_attributes(&app, &viewer, org, site, "plan", "")
                .await
                .0,
            403
        );
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(
            save_attributes(&app, &outsider, org, site, "", "").await.0,
            404
        );
        // Its own organisation id with this site's id finds nothing either.
        assert_eq!(
            save_attributes(&app, &outsider, other.organisation_id, site, "", "")
                .await
                .0,
            404
        );
        let foreign = outsider
            .get(app.url(&format!("/admin/{org}/sites/{site}/attributes")))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);
        let foreign = app
            .call_fn(
                &outsider,
                "site_report",
                &[
                    ("site_key", demo.site_key.as_str()),
                    ("query", "by=attr.plan"),
                ],
            )
            .await;
        assert_eq!(foreign.status(), 404);
        let settings = app.store.site_attributes(org, site).await.unwrap().unwrap();
        assert_eq!(settings.stored_keys(), "plan,tier", "nothing changed");
    }
);

// An undeclared key is never stored, whatever the site sends, and a site that takes none
// stores no attribute at all.
both_backends!(
    a_site_that_declares_nothing_stores_nothing,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let (status, _) = save_attributes(
            &app,
            &app.client,
            demo.organisation_id,
            demo.site_id,
            "",
            "",
        )
        .await;
        assert_eq!(status, 200);
        let id = Uuid::new_v4();
        let r = app
            .post_response(&json!({"id": id, "site": demo.site_key, "score": 7,
                "attributes": {"plan": "pro"}}))
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(stored(&app, "responses", id).await, None);
    }
);

// `farewell configure-site` declares the keys from the command line, keeping the cap unless
// told; a bad key is refused with its reason.
#[tokio::test]
async fn the_command_line_declares_a_sites_attributes() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let demo = app.seed().await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_farewell"))
            .arg("configure-site")
            .args(["--site-key", demo.site_key.as_str()])
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let done = run(&["--attributes", "plan,tier", "--attribute-cap", "7"]);
    assert!(done.status.success(), "{done:?}");
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("[plan,tier]") && said.contains("7"), "{said}");
    let done = run(&["--attributes", "tier"]);
    assert!(done.status.success(), "{done:?}");
    let settings = app
        .store
        .site_attributes(demo.organisation_id, demo.site_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (settings.stored_keys().as_str(), settings.value_cap),
        ("tier", 7)
    );
    let refused = run(&["--attributes", "Tier"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("lower-case"),
        "{refused:?}"
    );
}

/// Which values the site's key holds, as the cap counts them.
async fn taken(app: &TestApp, site: Uuid, key: &str) -> Vec<String> {
    let sql =
        "SELECT value FROM site_attribute_values WHERE site_id = $1 AND key = $2 ORDER BY value";
    match app.backend() {
        Backend::Sqlite => sqlx::query_scalar(sql)
            .bind(site)
            .bind(key)
            .fetch_all(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query_scalar(sql)
            .bind(site)
            .bind(key)
            .fetch_all(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

// A key whose cap was filled with junk (a hostile page, or a page that sent ids) starts over
// when the admin says so; a key no longer declared forgets its values; answers keep theirs.
both_backends!(
    values_taken_can_be_forgotten_so_the_cap_counts_anew,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let (org, site) = (demo.organisation_id, demo.site_id);
        let save = |keys: &'static str, forget: bool| {
            let (app, org, site) = (&app, org.to_string(), site.to_string());
            async move {
                let mut form = vec![
                    ("org", org.as_str()),
                    ("id", site.as_str()),
                    ("keys", keys),
                    ("value_cap", "2"),
                ];
                if forget {
                    form.push(("forget_values", "on"));
                }
                app.call_fn(&app.client, "save_site_attributes", &form)
                    .await
                    .status()
            }
        };
        assert_eq!(save("plan, tier", false).await, 200);
        let answer = |plan: &'static str| {
            let (app, key) = (&app, demo.site_key.clone());
            async move {
                let id = Uuid::new_v4();
                let r = app
                    .post_response(&json!({"id": id, "site": key, "score": 9,
                        "attributes": {"plan": plan, "tier": "gold"}}))
                    .await;
                assert_eq!(r.status(), 201);
                stored(app, "responses", id).await.unwrap()
            }
        };
        for junk in ["id-1", "id-2"] {
            answer(junk).await;
        }
        assert_eq!(answer("pro").await, ",plan=other,tier=gold,");
        assert_eq!(save("plan, tier", true).await, 200);
        assert_eq!(taken(&app, site, "plan").await, Vec::<String>::new());
        assert_eq!(answer("pro").await, ",plan=pro,tier=gold,");
        assert_eq!(taken(&app, site, "plan").await, ["pro"]);
        // Dropping tier forgets its values, and keeps plan's.
        assert_eq!(save("plan", false).await, 200);
        assert_eq!(taken(&app, site, "tier").await, Vec::<String>::new());
        assert_eq!(taken(&app, site, "plan").await, ["pro"]);
        // The answers stored before keep what they carried.
        let other = app
            .call_fn(
                &app.client,
                "site_report",
                &[
                    ("site_key", demo.site_key.as_str()),
                    ("query", "segment=attr.plan%3Aid-1"),
                ],
            )
            .await;
        assert_eq!(n(&json(other).await["total"]), 1);
    }
);

// A declared attribute is a driver like any context: the plan that explains the scores is
// found, held against the pages, and reported by its dimension's name.
both_backends!(
    an_attribute_is_a_driver_held_against_the_others,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        for (plan, score, count) in [("pro", 10, 44), ("free", 1, 40)] {
            for i in 0..count {
                let path = if i % 2 == 0 { "/a" } else { "/b" };
                let r = app
                    .post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key,
                        "score": score, "context": {"path": path},
                        "attributes": {"plan": plan}}))
                    .await;
                assert_eq!(r.status(), 201);
            }
        }
        let body = json(analysis(&app, &demo, "drivers", "").await).await;
        let effects = body["effects"].as_array().unwrap();
        let free = effects
            .iter()
            .find(|e| e["dimension"] == "attr.plan" && e["value"] == "free")
            .unwrap_or_else(|| panic!("the plan's effect: {body}"));
        assert_eq!(free["reference"], "pro");
        assert_eq!(free["raw"].as_f64().unwrap(), -200.0);
        assert!(free["adjusted"].as_f64().unwrap() < -150.0, "{free}");
        // The pages, split evenly within each plan, explain nothing.
        let page = effects
            .iter()
            .find(|e| e["dimension"] == "page")
            .map_or(0.0, |e| e["adjusted"].as_f64().unwrap());
        assert!(page.abs() < 20.0, "{body}");
    }
);

// A key may list its only values: any other is stored as "other" without touching the cap,
// so no page can fill its segments with values of its own.
both_backends!(
    a_key_with_its_own_list_takes_only_those_values,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let (org, site) = (demo.organisation_id, demo.site_id);
        let (status, body) =
            save_attributes(&app, &app.client, org, site, "plan: free | pro, tier", "1").await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = save_attributes(&app, &app.client, org, site, "plan: a@b", "").await;
        assert_eq!((status, &body["Invalid"]["field"]), (422, &json!("keys")));
        let answer = |plan: &'static str, tier: &'static str| {
            let (app, key) = (&app, demo.site_key.clone());
            async move {
                let id = Uuid::new_v4();
                let r = app
                    .post_response(&json!({"id": id, "site": key, "score": 9,
                        "attributes": {"plan": plan, "tier": tier}}))
                    .await;
                assert_eq!(r.status(), 201);
                stored(app, "responses", id).await.unwrap()
            }
        };
        assert_eq!(answer("pro", "gold").await, ",plan=pro,tier=gold,");
        assert_eq!(answer("u-12345", "silver").await, ",plan=other,tier=other,");
        assert_eq!(answer("free", "gold").await, ",plan=free,tier=gold,");
        // A listed key never enters the cap's table; the other key took its one value.
        assert_eq!(taken(&app, site, "plan").await, Vec::<String>::new());
        assert_eq!(taken(&app, site, "tier").await, ["gold"]);
        let page = app
            .page(&format!("/admin/{org}/sites/{site}/attributes"))
            .await;
        assert!(page.contains("plan: free | pro, tier"), "{page}");
    }
);
