//! URL targeting: a survey's page patterns are parsed when saved (a refusal names the field),
//! reach the widget's configuration expanded as the loader checks them, and the survey's pages
//! page shows which of the last 30 days' shown and answered pages the saved patterns, and the
//! patterns being tried, take. Only the survey's own organisation's admins see or change them.

use crate::admin::member;
use crate::both_backends;
use crate::helpers::{json, TestApp, PASSWORD};
use app::domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

async fn save_pages(
    app: &TestApp,
    client: &reqwest::Client,
    org: Uuid,
    survey: Uuid,
    pages: &str,
) -> (u16, Value) {
    let (org, survey) = (org.to_string(), survey.to_string());
    let r = app
        .call_fn(
            client,
            "save_survey_pages",
            &[
                ("org", org.as_str()),
                ("id", survey.as_str()),
                ("pages", pages),
            ],
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn config(app: &TestApp, site_key: &str) -> Value {
    json(app.get(&format!("/api/v1/sites/{site_key}/config")).await).await
}

both_backends!(
    page_patterns_reach_the_widget_and_are_checked_against_real_pages,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id;
        app.sign_in(&demo.email, PASSWORD).await;
        let survey = app.store.surveys(org, demo.site_id).await.unwrap()[0].id;
        assert!(config(&app, &demo.site_key).await["surveys"][0]
            .get("pages")
            .is_none());

        // Refusals name the field and change nothing.
        for bad in ["checkout", "/search?q=1", "/a/***", "/*/*/*/*"] {
            let (status, body) = save_pages(&app, &app.client, org, survey, bad).await;
            assert_eq!(status, 422, "{bad}");
            assert_eq!(body["Invalid"]["field"], "pages", "{body}");
        }
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        assert_eq!(save_pages(&app, &viewer, org, survey, "/x").await.0, 403);
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        assert_eq!(save_pages(&app, &outsider, org, survey, "/x").await.0, 404);
        assert_eq!(
            save_pages(&app, &outsider, other.organisation_id, survey, "/x")
                .await
                .0,
            404
        );
        assert!(app
            .store
            .survey_extras(org, survey)
            .await
            .unwrap()
            .unwrap()
            .pages
            .is_empty());

        let (status, _) = save_pages(
            &app,
            &app.client,
            org,
            survey,
            "/checkout/**\n!/checkout/legal/**, /pricing",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            config(&app, &demo.site_key).await["surveys"][0]["pages"],
            json!([
                "/checkout",
                "/checkout/**",
                "!/checkout/legal",
                "!/checkout/legal/**",
                "/pricing"
            ])
        );
        let audit = app.store.audit_log(org, 5).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "survey.pages"
            && e.subject
                .ends_with("/checkout/**, !/checkout/legal/**, /pricing")));

        // Pages where it was shown and answered: the page lists each with its verdicts.
        for (path, answered) in [
            ("/checkout/pay", true),
            ("/checkout/legal/terms", false),
            ("/blog/hello", true),
        ] {
            let context = json!({"path": path});
            let mut batch = json!({"site": demo.site_key,
                "impressions": [{"id": Uuid::new_v4(), "kind": "shown", "context": context}]});
            if answered {
                batch["responses"] =
                    json!([{"id": Uuid::new_v4(), "score": 7, "context": context}]);
            }
            assert_eq!(app.post_batch(&batch).await.status(), 200);
        }
        let path = format!("/admin/{org}/surveys/{survey}/pages");
        let page = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        for expected in [
            "<code>/checkout/pay</code>",
            "shown: /checkout/**",
            "not shown: !/checkout/legal/**",
            "<code>/blog/hello</code>",
            "not shown: no pattern takes it",
        ] {
            assert!(page.contains(expected), "{expected} in {page}");
        }
        assert!(!page.contains("Patterns tried"));
        // Trying patterns shows their verdicts beside the saved ones, and saves nothing.
        let page_of = |query: &'static str| {
            let (app, path) = (&app, path.clone());
            async move {
                let r = app
                    .client
                    .get(app.url(&format!("{path}{query}")))
                    .send()
                    .await
                    .unwrap();
                r.text().await.unwrap()
            }
        };
        let tried = page_of("?try=%2Fblog%2F**").await;
        assert!(tried.contains("Patterns tried") && tried.contains("shown: /blog/**"));
        let wrong = page_of("?try=blog").await;
        assert!(
            wrong.contains("data-field=\"try\"") && wrong.contains(">blog</textarea>"),
            "{wrong}"
        );
        assert_eq!(
            app.store
                .survey_extras(org, survey)
                .await
                .unwrap()
                .unwrap()
                .pages
                .patterns()
                .len(),
            3
        );
        // Another organisation's admin and a viewer find nothing; a malformed id is no page.
        for client in [&outsider, &viewer] {
            let r = client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), 404);
            assert!(!r.text().await.unwrap().contains("/checkout/pay"));
        }
        let malformed = app
            .client
            .get(app.url(&format!("/admin/{org}/surveys/nope/pages")))
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 404);

        // Emptied: every page again, and no `pages` in the configuration.
        assert_eq!(save_pages(&app, &app.client, org, survey, "").await.0, 200);
        assert!(config(&app, &demo.site_key).await["surveys"][0]
            .get("pages")
            .is_none());
    }
);
