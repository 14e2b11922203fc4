//! Every server function, called by someone without a session: a member's function answers 401
//! (or sends a page's form to sign-in), a visitor's refuses what it cannot parse. Never 200, never
//! 500. The list comes from the registry the router serves, so a new function is covered the day
//! it is added.

use crate::both_backends;
use crate::helpers::{new_client, TestApp};

/// Called by visitors and by people signing in or out, who need no session. Each names what it
/// needs instead (a site key, an answer's edit secret, a respondent id, a link's token) and may
/// answer what is public; none may fail on our side.
const PUBLIC: [&str; 12] = [
    "sign_in",
    "sign_out",
    "submit_answer",
    "amend_answer",
    "load_survey",
    "load_notice",
    "load_preferences",
    "set_participation",
    "erase_my_answers",
    "load_shared",
    "load_invitation",
    "accept_invitation",
];

/// A value for every argument any server function takes, each well formed, so a refusal is
/// about who is calling, not about what was sent.
fn plausible_args(app: &TestApp, demo: &farewell::provision::DemoCreated) -> Vec<(String, String)> {
    let id = uuid::Uuid::new_v4().to_string();
    let _ = app;
    [
        ("org", demo.organisation_id.to_string()),
        ("site_key", demo.site_key.clone()),
        ("site", demo.site_id.to_string()),
        ("survey", id.clone()),
        ("response", id.clone()),
        ("id", id.clone()),
        ("user", id.clone()),
        ("token", "0".repeat(64)),
        ("tag", "pricing".into()),
        ("terms", "payment, card".into()),
        ("email", "nobody@example.com".into()),
        ("password", "not the password".into()),
        ("current", "not the password".into()),
        ("new", "a new password of some length".into()),
        ("role", "viewer".into()),
        ("status", "new".into()),
        ("cadence", "off".into()),
        ("hours", "48".into()),
        ("name", "Shop".into()),
        ("url", "https://hooks.example/in".into()),
        ("events", "response.created".into()),
        ("days", "30".into()),
        ("k", "10".into()),
        ("language", "en".into()),
        ("body", "Notice".into()),
        ("origins", "https://shop.example".into()),
        ("form[survey]", id.clone()),
        ("form[name]", "Exit survey".into()),
        ("form[product_name]", "Shop".into()),
        ("form[sample_percent]", "100".into()),
        ("form[cooldown_answer_days]", "90".into()),
        ("form[cooldown_dismiss_days]", "30".into()),
        ("form[button_position]", "bottom-right".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

both_backends!(
    no_server_function_serves_a_caller_without_a_session,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let args = plausible_args(&app, &demo);
        let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_owned())
            .filter(|path| path.starts_with("/fn/"))
            .collect();
        paths.sort();
        paths.dedup();
        assert!(
            paths.len() >= 36,
            "the registry lists {} functions",
            paths.len()
        );
        let mut wrong = vec![];
        for path in &paths {
            let name = path.trim_start_matches("/fn/");
            let r = new_client()
                .post(app.url(path))
                .header("Origin", &app.address)
                .form(&args)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let to_login = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/login"));
            let fine = if PUBLIC.contains(&name) {
                status < 500
            } else {
                status == 401 || ((300..400).contains(&status) && to_login)
            };
            if !fine {
                wrong.push(format!("{path}: {status}"));
            }
        }
        assert!(wrong.is_empty(), "answered without a session: {wrong:#?}");
    }
);

both_backends!(
    no_section_shows_another_organisation,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let outsider = app.signed_in_client(&other.email).await;
        let args = plausible_args(&app, &demo);
        let sections: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_owned())
            .filter(|path| path.starts_with("/fn/") && path.ends_with("_section"))
            .collect();
        assert!(sections.len() >= 9, "sections: {sections:?}");
        for path in &sections {
            let r = outsider
                .post(app.url(path))
                .header("Origin", &app.address)
                .form(&args)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{path} with another organisation's id");
        }
    }
);
