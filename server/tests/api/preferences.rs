use crate::both_backends;
use crate::helpers::{json, TestApp};
use serde_json::json;
use uuid::Uuid;

/// What the loader asks when a survey is about to open: has this respondent left?
async fn participation(app: &TestApp, site: &str, rid: Uuid) -> serde_json::Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/sites/{site}/participation")))
        .header("Content-Type", "text/plain")
        .body(json!({ "respondent": rid }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    json(response).await
}

/// The preferences form, as a browser without JavaScript posts it.
async fn set_participation(
    app: &TestApp,
    site: &str,
    rid: Uuid,
    opt_out: bool,
) -> reqwest::Response {
    let form = [
        ("site", site),
        ("rid", &rid.to_string()),
        ("opt_out", &opt_out.to_string()),
    ];
    app.submit_form(&app.client, "set_participation", "/preferences", &form)
        .await
}

both_backends!(
    the_preferences_page_leaves_and_rejoins_the_program,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let rid = Uuid::new_v4();
        let page = format!("/preferences?site={}&rid={rid}", demo.site_key);
        let before = app.page(&page).await;
        assert!(
            before.contains("You take part in the improvement program"),
            "{before}"
        );
        assert!(before.contains(r#"data-opted-out="false""#));

        // The form, as a browser without JavaScript posts it.
        let leave = set_participation(&app, &demo.site_key, rid, true).await;
        assert_eq!(leave.status(), 302);
        assert_eq!(leave.headers()["location"], page.as_str());
        let after = app.page(&page).await;
        assert!(
            after.contains("You have left the improvement program"),
            "{after}"
        );

        // The widget learns it before its next survey opens, and the server refuses new answers.
        assert_eq!(
            participation(&app, &demo.site_key, rid).await["opted_out"],
            true
        );
        let refused = app.post_response(&json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 5, "respondent": rid})).await;
        assert_eq!(refused.status(), 403);

        set_participation(&app, &demo.site_key, rid, false).await;
        assert_eq!(
            participation(&app, &demo.site_key, rid).await["opted_out"],
            false
        );
        // The configuration every page view fetches says nothing about the visitor.
        let config = app
            .get(&format!("/api/v1/sites/{}/config", demo.site_key))
            .await;
        assert!(json(config).await.get("opted_out").is_none());
    }
);

both_backends!(
    the_preferences_page_honours_gpc_and_needs_a_respondent,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let gpc = app
            .page_with(
                &format!("/preferences?site={}&rid={}", demo.site_key, Uuid::new_v4()),
                &[("Sec-GPC", "1")],
            )
            .await;
        assert!(gpc.contains(r#"data-opted-out="true""#), "{gpc}");
        let no_rid = app
            .get(&format!("/preferences?site={}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert!(no_rid.contains("Open this page from a survey"), "{no_rid}");
        assert_eq!(app.get("/preferences?site=st_nope").await.status(), 404);
    }
);

both_backends!(
    the_notice_links_to_the_preferences_of_its_visitor,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let notice = app
            .public_site(&demo.site_key)
            .await
            .current_notice
            .unwrap();
        let rid = Uuid::new_v4();
        let html = app
            .get(&format!(
                "/notice/{}?site={}&rid={rid}",
                notice.id, demo.site_key
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(
                "/preferences?site={}&amp;rid={rid}",
                demo.site_key
            )) || html.contains(&format!("/preferences?site={}&rid={rid}", demo.site_key)),
            "{html}"
        );
    }
);

both_backends!(
    a_form_post_keeps_the_pages_language,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let rid = Uuid::new_v4().to_string();
        let post = |name: &'static str, lang: &'static str| {
            let app = &app;
            let fields = vec![
                ("site", demo.site_key.clone()),
                ("rid", rid.clone()),
                ("opt_out", "true".to_string()),
                ("lang", lang.to_string()),
            ];
            async move {
                let response = app
                    .submit_form(&app.client, name, "/preferences", &fields)
                    .await;
                response.headers()["location"].to_str().unwrap().to_owned()
            }
        };
        // The page's forms carry its language.
        let page = app
            .page(&format!(
                "/preferences?site={}&rid={rid}&lang=fi",
                demo.site_key
            ))
            .await;
        assert_eq!(
            page.matches(r#"name="lang" value="fi""#).count(),
            2,
            "{page}"
        );
        let back = post("set_participation", "fi").await;
        assert!(back.ends_with("&lang=fi"), "{back}");
        assert!(app
            .page(&back)
            .await
            .contains("Olet poistunut kehitysohjelmasta"));
        let erased = post("erase_my_answers", "ar").await;
        assert!(
            erased.contains("&erased=0") && erased.ends_with("&lang=ar"),
            "{erased}"
        );
        // Only a language Farewell speaks travels on; anything else is dropped.
        let hostile = post("set_participation", "x\"><script>").await;
        assert!(!hostile.contains("lang="), "{hostile}");
    }
);
