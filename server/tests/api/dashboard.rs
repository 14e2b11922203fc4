use crate::both_backends;
use crate::helpers::{new_client, AppBuilder, TestApp, NO_FIELDS, PASSWORD};
use serde_json::json;
use uuid::Uuid;

both_backends!(the_dashboard_needs_a_sign_in, |app: TestApp| async move {
    let response = app.get("/dashboard").await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/login");
    // The server function behind it refuses too, whoever calls it.
    let direct = app
        .call_fn(&app.client, "dashboard_overview", NO_FIELDS)
        .await;
    assert!(!direct.status().is_success());
    assert!(direct.text().await.unwrap().contains("Unauthorized"));
});

both_backends!(
    a_wrong_password_does_not_sign_in,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app.sign_in(&demo.email, "not the password").await;
        assert_ne!(
            response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap()),
            Some("/dashboard")
        );
        assert_eq!(app.get("/dashboard").await.status(), 302);
        let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
        assert_ne!(
            unknown
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap()),
            Some("/dashboard")
        );
    }
);

both_backends!(
    a_member_sees_their_sites_figures,
    |app: TestApp| async move {
        let demo = app.seed().await;
        for score in [10, 9, 3] {
            app.post_response(
                &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": score}),
            )
            .await;
        }
        let response = app.sign_in(&demo.email, PASSWORD).await;
        assert_eq!(response.status(), 302);
        assert_eq!(response.headers()["location"], "/dashboard");
        let cookie = crate::helpers::session_cookie(&response);
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let page = app.get("/dashboard").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(&demo.site_key));
        // 2 promoters, 1 detractor: NPS +33, n 3.
        assert!(html.contains(r#"<dd class="n">3</dd>"#), "{html}");
        assert!(html.contains(">+33<"), "{html}");
        assert!(
            html.contains(r#"<dd class="promoters">2</dd>"#)
                && html.contains(r#"<dd class="detractors">1</dd>"#)
        );
    }
);

both_backends!(
    a_member_never_sees_another_organisations_sites,
    |app: TestApp| async move {
        let mine = app.seed().await;
        let theirs = app.seed().await;
        app.post_response(&json!({"id": Uuid::new_v4(), "site": theirs.site_key, "score": 0}))
            .await;
        app.sign_in(&mine.email, PASSWORD).await;
        let html = app.get("/dashboard").await.text().await.unwrap();
        assert!(html.contains(&mine.site_key));
        assert!(
            !html.contains(&theirs.site_key),
            "another organisation's site leaked"
        );
        assert!(!html.contains(&theirs.organisation));
        let data = app
            .call_fn(&app.client, "dashboard_overview", NO_FIELDS)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            data.contains(&mine.site_key) && !data.contains(&theirs.site_key),
            "{data}"
        );
    }
);

both_backends!(signing_out_ends_the_session, |app: TestApp| async move {
    let demo = app.seed().await;
    app.sign_in(&demo.email, PASSWORD).await;
    assert_eq!(app.get("/dashboard").await.status(), 200);
    let out = app
        .submit_form(&app.client, "sign_out", "/dashboard", NO_FIELDS)
        .await;
    assert_eq!(out.headers()["location"], "/login");
    assert_eq!(app.get("/dashboard").await.status(), 302);
});

both_backends!(
    a_session_is_valid_on_every_app_server_of_the_database,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let response = app.sign_in(&demo.email, PASSWORD).await;
        let cookie = crate::helpers::session_cookie(&response)
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let second = AppBuilder::on(&app.database_url).spawn().await;
        let page = new_client()
            .get(second.url("/dashboard"))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains(&demo.site_key));
    }
);

both_backends!(
    a_cross_site_state_change_is_refused,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // A forged form on another site posting the sign-in, and a request with no origin at all.
        for origin in [Some("https://evil.example"), None] {
            let client = new_client();
            let mut request = app
                .fn_request(&client, "sign_in")
                .header("Accept", "text/html")
                .form(&[("email", demo.email.as_str()), ("password", PASSWORD)]);
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{origin:?}");
            assert!(
                response.headers().get("set-cookie").is_none(),
                "no session was started"
            );
        }
        let leave = app
            .fn_request(&new_client(), "set_participation")
            .header("Origin", "https://evil.example")
            .form(&[
                ("site", demo.site_key.as_str()),
                ("rid", &uuid::Uuid::new_v4().to_string()),
                ("opt_out", "true"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(leave.status(), 403);
        // The same request from this host's own page is accepted.
        assert_eq!(
            app.sign_in(&demo.email, PASSWORD).await.headers()["location"],
            "/dashboard"
        );
    }
);

both_backends!(
    sign_in_attempts_are_throttled_per_account,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // Four wrong guesses are answered as wrong, with a 422 (never a 500): three are free,
        // the fourth starts a one-second wait that doubles with each failure…
        for _ in 0..4 {
            let (status, body) = attempt_sign_in(&app, &demo.email, "guess guess guess").await;
            assert_eq!(status, 422, "{body}");
            assert!(body.contains("Wrong e-mail or password"), "{body}");
        }
        // …then even the right password waits, from this address: a 429.
        let (status, throttled) = attempt_sign_in(&app, &demo.email, PASSWORD).await;
        assert_eq!(status, 429, "{throttled}");
        assert!(throttled.contains("Throttled"), "{throttled}");
        // …which ends: a backoff, not a lock.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let (status, body) = attempt_sign_in(&app, &demo.email, PASSWORD).await;
        assert!(status == 200 || status == 302, "{status} {body}");
        assert_eq!(app.get("/dashboard").await.status(), 302, "not signed in");
        // Another account is not held back by this one's guesses.
        let other = app.seed().await;
        assert_eq!(
            app.sign_in(&other.email, PASSWORD).await.headers()["location"],
            "/dashboard"
        );
    }
);

both_backends!(
    the_dashboard_shows_the_response_funnel,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let event = |kind: &str| json!({"id": uuid::Uuid::new_v4(), "kind": kind});
        // An event naming another site's survey is refused alone; the rest are stored.
        let foreign = uuid::Uuid::new_v4();
        let their_survey = app
            .public_site(&other.site_key)
            .await
            .default_survey
            .unwrap()
            .id;
        let batch = json!({
            "site": demo.site_key,
            "impressions": [event("shown"), event("shown"), event("shown"),
                            {"id": foreign, "kind": "shown", "survey": their_survey},
                            event("shown"), event("answered"), event("dismissed")],
        });
        let response = app.post_batch(&batch).await;
        assert_eq!(response.status(), 200);
        let results = crate::helpers::json(response).await["results"].clone();
        let results = results.as_array().unwrap();
        assert_eq!(results.len(), 7);
        for item in results {
            let refused = item["id"] == json!(foreign);
            assert_eq!(item["status"], if refused { 422 } else { 200 }, "{item}");
            assert_eq!(refused, item["field"] == "survey", "{item}");
        }
        app.sign_in(&demo.email, PASSWORD).await;
        let html = app.page("/dashboard").await;
        assert!(html.contains(r#"<dd class="shown">4</dd>"#), "{html}");
        assert!(html.contains(r#"<dd class="answered">1</dd>"#));
        assert!(html.contains(r#"<dd class="dismissed">1</dd>"#));
        assert!(html.contains(r#"<dd class="rate">25%</dd>"#), "{html}");
        // Written as the viewer's language writes it.
        let german = app
            .client
            .get(app.url("/dashboard"))
            .header("Accept-Language", "de-DE,de;q=0.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            german.contains("<dd class=\"rate\">25\u{a0}%</dd>"),
            "{german}"
        );
        // Another organisation's member sees none of it.
        let theirs = app.signed_in_client(&other.email).await;
        let their_page = theirs
            .get(app.url("/dashboard"))
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            their_page.contains(r#"<dd class="shown">0</dd>"#)
                && !their_page.contains(&demo.site_key)
        );
    }
);

/// A sign-in as the hydrated page sends it; the server function's status and reply body.
async fn attempt_sign_in(app: &TestApp, email: &str, password: &str) -> (u16, String) {
    attempt_sign_in_from(app, email, password, None).await
}

async fn attempt_sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, String) {
    let mut request = app
        .fn_request(&new_client(), "sign_in")
        .header("Origin", &app.address)
        .form(&[("email", email), ("password", password)]);
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

// Behind a proxy every request comes from one address: the owner's browser, known from an
// earlier sign-in, is counted apart, so a flood of wrong guesses from "the same address" (the
// proxy) never keeps it out. Parallel guesses are counted before they are judged.
both_backends!(
    a_known_browser_signs_in_through_a_flood_from_its_own_address,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = new_client();
        let sign_in = |client: &reqwest::Client, password: &str| {
            app.fn_request(client, "sign_in")
                .header("Origin", &app.address)
                .form(&[("email", demo.email.as_str()), ("password", password)])
                .send()
        };
        let first = sign_in(&owner, PASSWORD).await.unwrap();
        assert!(first.status().is_success() || first.status().is_redirection());
        let cookies: Vec<_> = first
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("farewell_device=") && c.contains("HttpOnly")),
            "{cookies:?}"
        );

        // Twenty guesses at once from the owner's address (all of them judged together).
        let attacker = new_client();
        let guesses = futures_util::future::join_all(
            (0..20).map(|_| sign_in(&attacker, "guess guess guess")),
        )
        .await;
        let judged = guesses
            .iter()
            .filter(|r| r.as_ref().unwrap().status() == 422)
            .count();
        assert!(
            judged <= 4,
            "only the free tries and one more were checked: {judged}"
        );
        assert!(guesses.iter().any(|r| r.as_ref().unwrap().status() == 429));
        // A browser without the cookie from that address waits…
        assert_eq!(
            sign_in(&new_client(), PASSWORD).await.unwrap().status(),
            429
        );
        // …the owner's does not.
        let again = sign_in(&owner, PASSWORD).await.unwrap();
        assert!(
            again.status().is_success() || again.status().is_redirection(),
            "{}",
            again.status()
        );
        // A forged device cookie buys nothing.
        let forger = new_client();
        let forged = app
            .fn_request(&forger, "sign_in")
            .header("Origin", &app.address)
            .header(
                "Cookie",
                "farewell_device=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            )
            .form(&[("email", demo.email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 429);
    }
);

// The lock an attacker could hold shut: guesses from one address, rotating user agents, slow
// down only that address; the owner, from theirs, signs in at once.
both_backends!(
    an_attacker_cannot_keep_the_owner_out,
    settings: |s: &mut farewell::config::ServeArgs| s.trust_forwarded_for = true,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let mut throttled = 0;
        for i in 0..12 {
            let mut request = app
                .fn_request(&new_client(), "sign_in")
                .header("Origin", &app.address)
                .header("X-Forwarded-For", "203.0.113.66")
                .header("User-Agent", format!("agent {i}"))
                .form(&[("email", demo.email.as_str()), ("password", "guess guess guess")]);
            request = request.header("Accept", "application/json");
            if request.send().await.unwrap().status() == 429 {
                throttled += 1;
            }
        }
        assert!(throttled >= 8, "a new user agent buys no new tries: {throttled} of 12 throttled");
        let (status, body) =
            attempt_sign_in_from(&app, &demo.email, PASSWORD, Some("198.51.100.1")).await;
        assert!(
            (status == 200 || status == 302) && !body.contains("Throttled"),
            "the owner is not kept out: {status} {body}"
        );
    }
);

both_backends!(
    the_dashboard_is_rendered_in_the_viewers_zone_from_its_cookie,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let signed_in = app.sign_in(&demo.email, PASSWORD).await;
        let session = crate::helpers::session_cookie(&signed_in);
        let session = session.split(';').next().unwrap().to_owned();
        let page = |path: String, zone: &'static str| {
            let app = &app;
            let cookies = format!("{session}; {zone}");
            async move {
                let response = new_client()
                    .get(app.url(&path))
                    .header("Cookie", cookies)
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.text().await.unwrap())
            }
        };
        let zone_field = |html: &str| {
            html.split(r#"name="tz" value=""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        };
        let dashboard = format!("/dashboard/{}", demo.site_key);
        let (status, html) = page(dashboard.clone(), "farewell_tz=Europe/Helsinki").await;
        assert_eq!(status, 200);
        assert_eq!(zone_field(&html).as_deref(), Some("Europe/Helsinki"));
        // A cookie is the browser's word: anything but a known zone is ignored, never a 422.
        for hostile in [
            "farewell_tz=Mars/Olympus",
            "farewell_tz='; DROP TABLE x; --",
            "farewell_tz=",
        ] {
            let (status, html) = page(dashboard.clone(), hostile).await;
            assert_eq!(status, 200, "{hostile}");
            assert_eq!(zone_field(&html).as_deref(), Some("UTC"), "{hostile}");
        }
        // An explicit zone in the address wins.
        let (_, html) = page(
            format!("{dashboard}?tz=Asia%2FTokyo"),
            "farewell_tz=Europe/Helsinki",
        )
        .await;
        assert_eq!(zone_field(&html).as_deref(), Some("Asia/Tokyo"));
    }
);

both_backends!(
    a_sign_in_returns_to_the_page_that_asked_for_it_and_only_on_this_host,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // A signed-out visit to a member's page is sent to sign in, remembering where it was.
        for (page, next) in [
            ("/admin", "%2Fadmin"),
            (
                &format!("/dashboard/{}", demo.site_key) as &str,
                &format!("%2Fdashboard%2F{}", demo.site_key) as &str,
            ),
        ] {
            let r = app.get(page).await;
            assert_eq!(r.status(), 302, "{page}");
            assert_eq!(
                r.headers()["location"].to_str().unwrap(),
                format!("/login?next={next}"),
                "{page}"
            );
        }
        let sign_in = |next: &'static str| {
            let app = &app;
            let email = demo.email.clone();
            async move {
                let form = [
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                    ("next", next),
                ];
                app.submit_form(&new_client(), "sign_in", "/login", &form)
                    .await
            }
        };
        assert_eq!(sign_in("/admin").await.headers()["location"], "/admin");
        for away in [
            "//evil.example/admin",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            assert_eq!(
                sign_in(away).await.headers()["location"],
                "/dashboard",
                "{away} is not a page of this host"
            );
        }
    }
);
