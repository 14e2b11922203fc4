//! Administration: who may do what, invitations, sites, surveys, notices, tokens, passwords and
//! the audit log.

use crate::both_backends;
use crate::helpers::{json, new_client, TestApp, NO_FIELDS, PASSWORD};
use app::domain::{Email, Role};
use farewell::provision::DemoCreated;
use uuid::Uuid;

/// Adds a member with `role` to the demo organisation and signs them in.
pub(crate) async fn member(
    app: &TestApp,
    demo: &DemoCreated,
    role: Role,
) -> (Uuid, reqwest::Client) {
    let email = format!("{}@example.com", Uuid::new_v4().simple());
    let hash = app::auth::hash_password(&app::domain::Password::parse("p", PASSWORD).unwrap())
        .await
        .unwrap();
    let user = app
        .store
        .create_user(&Email::parse("e", &email).unwrap(), &hash)
        .await
        .unwrap();
    app.store
        .add_member(demo.organisation_id, user, role)
        .await
        .unwrap();
    (user, app.signed_in_client(&email).await)
}

struct Ids {
    org: String,
    site: String,
    survey: String,
    token: String,
    invitation: String,
    user: String,
    share: String,
    webhook: String,
}

async fn ids(app: &TestApp, demo: &DemoCreated) -> Ids {
    let org = demo.organisation_id;
    let survey = app.store.surveys(org, demo.site_id).await.unwrap()[0].id;
    let token = app.store.api_tokens(org).await.unwrap()[0].id;
    let (_, hash) = app::tokens::new_invitation_token();
    let owner = app.store.members(org).await.unwrap()[0].user_id;
    let invitation = app
        .store
        .create_invitation(
            org,
            Role::Viewer,
            &hash,
            owner,
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    let (_, share_hash) = app::tokens::new_share_token();
    let share = app
        .store
        .create_share_link(org, demo.site_id, &share_hash, 30)
        .await
        .unwrap()
        .unwrap();
    let webhook = app
        .store
        .create_webhook(
            org,
            "https://hooks.example/y",
            "whsec_x",
            &["response.created".to_string()],
            app::domain::WebhookFormat::Json,
        )
        .await
        .unwrap();
    Ids {
        webhook: webhook.to_string(),
        share: share.to_string(),
        org: org.to_string(),
        site: demo.site_id.to_string(),
        survey: survey.to_string(),
        token: token.to_string(),
        invitation: invitation.to_string(),
        user: owner.to_string(),
    }
}

/// Every state-changing administration function with valid arguments for `ids`.
fn actions(i: &Ids) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let org = || ("org", i.org.clone());
    vec![
        ("invite_member", vec![org(), ("role", "viewer".into())]),
        (
            "revoke_invitation",
            vec![org(), ("id", i.invitation.clone())],
        ),
        (
            "change_role",
            vec![org(), ("user", i.user.clone()), ("role", "owner".into())],
        ),
        ("remove_member", vec![org(), ("user", i.user.clone())]),
        ("create_token", vec![org(), ("name", "ci".into())]),
        ("revoke_token", vec![org(), ("id", i.token.clone())]),
        (
            "create_site",
            vec![
                org(),
                ("name", "Blog".into()),
                ("origins", "https://blog.example".into()),
            ],
        ),
        (
            "update_site",
            vec![
                org(),
                ("site", i.site.clone()),
                ("name", "Shop".into()),
                ("origins", "".into()),
            ],
        ),
        (
            "rotate_site_key",
            vec![
                org(),
                ("site", i.site.clone()),
                ("confirm_name", "Shop".into()),
            ],
        ),
        ("update_survey", survey_form(&i.org, &i.survey, "50")),
        (
            "publish_notice",
            vec![
                org(),
                ("language", "en".into()),
                ("body", "New text".into()),
            ],
        ),
        (
            "create_share_link",
            vec![org(), ("site", i.site.clone()), ("days", "28".into())],
        ),
        ("revoke_share_link", vec![org(), ("id", i.share.clone())]),
        ("set_share_k", vec![org(), ("k", "5".into())]),
        ("set_retention", vec![org(), ("days", "30".into())]),
        (
            "create_webhook",
            vec![
                org(),
                ("url", "https://hooks.example/x".into()),
                ("response_created", "on".into()),
            ],
        ),
        ("revoke_webhook", vec![org(), ("id", i.webhook.clone())]),
        (
            "erase_answers",
            vec![org(), ("email", "someone@example.com".into())],
        ),
        (
            "find_answers",
            vec![org(), ("email", "someone@example.com".into())],
        ),
    ]
}

fn survey_form(org: &str, survey: &str, percent: &str) -> Vec<(&'static str, String)> {
    vec![
        ("org", org.to_string()),
        ("form[survey]", survey.to_string()),
        ("form[name]", "Exit survey".into()),
        ("form[product_name]", "Demo shop".into()),
        ("form[sample_percent]", percent.to_string()),
        ("form[cooldown_answer_days]", "60".into()),
        ("form[cooldown_dismiss_days]", "14".into()),
        ("form[button_position]", "bottom-left".into()),
        ("form[armed_exit]", "on".into()),
        ("form[exit_intent_min_seconds]", "10".into()),
        ("form[time_on_site_seconds]", "".into()),
        ("form[pages_viewed]", "3".into()),
        ("form[active_from]", "".into()),
        ("form[active_until]", "".into()),
        ("form[texts][fi][question]", "Miten meni?".into()),
        ("form[texts][fi][title]", "".into()),
    ]
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    form: &[(&'static str, String)],
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.call_fn(client, name, &form).await
}

both_backends!(
    administration_refuses_strangers_other_organisations_and_viewers,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let other = app.seed().await;
        let i = ids(&app, &demo).await;
        let stranger = new_client();
        let (_, viewer) = member(&app, &demo, Role::Viewer).await;
        let outsider = app.signed_in_client(&other.email).await;
        for (name, form) in actions(&i) {
            assert_eq!(
                post(&app, &stranger, name, &form).await.status(),
                401,
                "{name} without a session"
            );
            assert_eq!(
                post(&app, &outsider, name, &form).await.status(),
                404,
                "{name} by another organisation"
            );
            assert_eq!(
                post(&app, &viewer, name, &form).await.status(),
                403,
                "{name} by a viewer"
            );
        }
        // Nothing changed.
        assert_eq!(
            app.store.sites(demo.organisation_id).await.unwrap().len(),
            1
        );
        assert_eq!(
            app.store.notices(demo.organisation_id).await.unwrap().len(),
            1
        );
        assert_eq!(
            app.store.members(demo.organisation_id).await.unwrap().len(),
            2
        );
        // The overview lists only organisations the caller administers.
        let seen = json(app.call_fn(&viewer, "admin_overview", NO_FIELDS).await).await;
        assert_eq!(seen["organisations"].as_array().unwrap().len(), 0);
        let seen = app
            .call_fn(&outsider, "admin_overview", NO_FIELDS)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            seen.contains(&other.organisation_id.to_string())
                && !seen.contains(&demo.organisation_id.to_string())
        );
        let their_sites = app
            .call_fn(
                &outsider,
                "sites_section",
                &[("org", &other.organisation_id.to_string())],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(their_sites.contains(&other.site_key) && !their_sites.contains(&demo.site_key));
        let ours = app
            .call_fn(
                &outsider,
                "sites_section",
                &[("org", &demo.organisation_id.to_string())],
            )
            .await;
        assert_eq!(ours.status(), 404, "another organisation's sites");
        assert_eq!(
            app.get("/admin").await.status(),
            302,
            "the page needs a sign-in"
        );
        // A cross-site form is refused before anything runs.
        let owner = app.signed_in_client(&demo.email).await;
        let forged = app
            .fn_request(&owner, "create_token")
            .header("Origin", "https://evil.example")
            .form(&[("org", i.org.as_str()), ("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        assert_eq!(
            app.store
                .api_tokens(demo.organisation_id)
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

both_backends!(
    an_invitation_link_is_single_use,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = app.signed_in_client(&demo.email).await;
        let org = demo.organisation_id.to_string();
        let link: String = json(
            app.call_fn(
                &owner,
                "invite_member",
                &[("org", org.as_str()), ("role", "admin")],
            )
            .await,
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
        assert!(link.starts_with("/invite/inv_"), "{link}");
        let page = app.page(&link).await;
        assert!(
            page.contains("Join Org") && page.contains("invited as admin"),
            "{page}"
        );

        // A newcomer joins with a new account and is signed in as an admin of the organisation.
        let newcomer = new_client();
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let token = link.trim_start_matches("/invite/");
        let joined = app
            .call_fn(
                &newcomer,
                "accept_invitation",
                &[("token", token), ("email", &email), ("password", PASSWORD)],
            )
            .await;
        assert!(
            joined.status().is_success() || joined.status() == 302,
            "{}",
            joined.status()
        );
        let members = app.store.members(demo.organisation_id).await.unwrap();
        assert!(members
            .iter()
            .any(|m| m.email == email && m.role == Role::Admin));
        let dashboard = newcomer.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(dashboard.status(), 200);

        // The same link again, by someone else: refused, nobody added.
        let late = new_client();
        let other = format!("{}@example.com", Uuid::new_v4().simple());
        let again = app
            .call_fn(
                &late,
                "accept_invitation",
                &[("token", token), ("email", &other), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(again.status(), 422);
        assert!(app
            .page(&link)
            .await
            .contains("was used, revoked or has expired"));
        assert_eq!(
            app.store.members(demo.organisation_id).await.unwrap().len(),
            2
        );
        // An unknown token is a 404 page.
        assert_eq!(app.get("/invite/inv_0000").await.status(), 404);

        // A revoked link no longer works; the command line prints working links too.
        let path = farewell::provision::invite(&app.store, demo.organisation_id, "viewer")
            .await
            .unwrap();
        let pending = app
            .store
            .pending_invitations(demo.organisation_id, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        let revoked = app
            .call_fn(
                &owner,
                "revoke_invitation",
                &[("org", &org), ("id", &pending[0].id.to_string())],
            )
            .await;
        assert!(revoked.status().is_success());
        let used = app
            .call_fn(
                &new_client(),
                "accept_invitation",
                &[
                    ("token", path.trim_start_matches("/invite/")),
                    ("email", &other),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(used.status(), 422);
    }
);

both_backends!(
    owners_are_kept_and_changed_only_by_owners,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let org = demo.organisation_id.to_string();
        let owner_id = app.store.members(demo.organisation_id).await.unwrap()[0]
            .user_id
            .to_string();
        let (viewer_id, _) = member(&app, &demo, Role::Viewer).await;
        let (_, admin) = member(&app, &demo, Role::Admin).await;
        let viewer_id = viewer_id.to_string();
        for (name, form) in [
            (
                "change_role",
                vec![
                    ("org", org.as_str()),
                    ("user", viewer_id.as_str()),
                    ("role", "owner"),
                ],
            ),
            (
                "change_role",
                vec![
                    ("org", org.as_str()),
                    ("user", owner_id.as_str()),
                    ("role", "viewer"),
                ],
            ),
            (
                "remove_member",
                vec![("org", org.as_str()), ("user", owner_id.as_str())],
            ),
            (
                "invite_member",
                vec![("org", org.as_str()), ("role", "owner")],
            ),
        ] {
            assert_eq!(
                app.call_fn(&admin, name, &form).await.status(),
                403,
                "{name} {form:?}"
            );
        }
        // An admin manages viewers.
        let promoted = app
            .call_fn(
                &admin,
                "change_role",
                &[
                    ("org", org.as_str()),
                    ("user", viewer_id.as_str()),
                    ("role", "admin"),
                ],
            )
            .await;
        assert!(promoted.status().is_success());
        // The last owner cannot step down or leave.
        let owner = app.signed_in_client(&demo.email).await;
        let last = app
            .call_fn(
                &owner,
                "change_role",
                &[
                    ("org", org.as_str()),
                    ("user", owner_id.as_str()),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(last.status(), 422);
        assert_eq!(json(last).await["Invalid"]["field"], "role");
        let leave = app
            .call_fn(
                &owner,
                "remove_member",
                &[("org", &org), ("user", &owner_id)],
            )
            .await;
        assert_eq!(leave.status(), 422);
        let removed = app
            .call_fn(
                &owner,
                "remove_member",
                &[("org", &org), ("user", &viewer_id)],
            )
            .await;
        assert!(removed.status().is_success());
        let roles: Vec<Role> = app
            .store
            .members(demo.organisation_id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.role)
            .collect();
        assert_eq!(roles.iter().filter(|r| **r == Role::Owner).count(), 1);
        assert_eq!(roles.len(), 2);
    }
);

both_backends!(
    site_survey_notice_and_token_changes_take_effect,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = app.signed_in_client(&demo.email).await;
        let i = ids(&app, &demo).await;
        let org = i.org.as_str();

        // Origins: exactly what is listed may embed; a path is refused with the field named.
        let bad = app
            .call_fn(
                &owner,
                "update_site",
                &[
                    ("org", org),
                    ("site", &i.site),
                    ("name", "Shop"),
                    ("origins", "https://shop.example/cart"),
                ],
            )
            .await;
        assert_eq!(bad.status(), 422);
        assert_eq!(json(bad).await["Invalid"]["field"], "origins");
        let ok = app
            .call_fn(
                &owner,
                "update_site",
                &[
                    ("org", org),
                    ("site", &i.site),
                    ("name", "Shop"),
                    ("origins", "https://shop.example\nhttps://www.shop.example"),
                ],
            )
            .await;
        assert!(ok.status().is_success());
        // The site's origins gate what a page may do for a visitor (here: ask about one).
        let config = |key: String, origin: &'static str| {
            let app = &app;
            async move {
                new_client()
                    .post(app.url(&format!("/api/v1/sites/{key}/participation")))
                    .header("Origin", origin)
                    .body(serde_json::json!({ "respondent": uuid::Uuid::new_v4() }).to_string())
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(
            config(demo.site_key.clone(), "https://www.shop.example").await,
            200
        );
        assert_eq!(
            config(demo.site_key.clone(), "http://localhost:8080").await,
            403
        );

        // Rotating the key breaks every embed, so it takes the site's name typed out: without
        // it, or with another, nothing changes and the form says why at that field.
        let name = app.store.sites(demo.organisation_id).await.unwrap()[0]
            .name
            .clone();
        for typed in ["", "Some other site"] {
            let refused = app
                .call_fn(
                    &owner,
                    "rotate_site_key",
                    &[("org", org), ("site", &i.site), ("confirm_name", typed)],
                )
                .await;
            assert_eq!(refused.status(), 422, "{typed:?}");
            let body = json(refused).await;
            assert_eq!(body["Invalid"]["field"], "confirm_name", "{body}");
            assert!(
                body["Invalid"]["reason"].as_str().unwrap().contains(&name),
                "the reason names the site: {body}"
            );
        }
        assert_eq!(
            config(demo.site_key.clone(), "https://shop.example").await,
            200,
            "a refused rotation keeps the key"
        );
        // Rotating the key retires the old one at once.
        let key: String = json(
            app.call_fn(
                &owner,
                "rotate_site_key",
                &[
                    ("org", org),
                    ("site", &i.site),
                    ("confirm_name", &format!(" {} ", name.to_uppercase())),
                ],
            )
            .await,
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
        assert_ne!(key, demo.site_key);
        assert_eq!(
            config(demo.site_key.clone(), "https://shop.example").await,
            404
        );
        assert_eq!(config(key.clone(), "https://shop.example").await, 200);

        // Survey settings: a wrong field is named; a right form is stored and served to the widget.
        let wrong = post(
            &app,
            &owner,
            "update_survey",
            &survey_form(org, &i.survey, "150"),
        )
        .await;
        assert_eq!(wrong.status(), 422);
        assert_eq!(json(wrong).await["Invalid"]["field"], "sample_percent");
        let saved = post(
            &app,
            &owner,
            "update_survey",
            &survey_form(org, &i.survey, "50"),
        )
        .await;
        assert!(
            saved.status().is_success(),
            "{}",
            saved.text().await.unwrap()
        );
        let survey = &app
            .store
            .surveys(demo.organisation_id, demo.site_id)
            .await
            .unwrap()[0];
        assert_eq!(survey.settings.sample_rate, 0.5);
        assert_eq!(survey.settings.triggers.pages_viewed, Some(3));
        assert_eq!(survey.settings.texts["fi"]["question"], "Miten meni?");
        assert!(
            !survey.settings.texts["fi"].contains_key("title"),
            "an empty field keeps the default"
        );

        // Notices: a new version; the first is unchanged.
        let before = app.store.notices(demo.organisation_id).await.unwrap();
        let v = json(
            app.call_fn(
                &owner,
                "publish_notice",
                &[("org", org), ("language", "fi"), ("body", "Uusi teksti")],
            )
            .await,
        )
        .await;
        assert_eq!(v, 2);
        let after = app.store.notices(demo.organisation_id).await.unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[1], before[0]);

        // API tokens: shown once, usable, then revoked.
        let token: String = json(
            app.call_fn(&owner, "create_token", &[("org", org), ("name", "ci")])
                .await,
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
        assert_eq!(app.summary(&key, Some(&token), "").await.status(), 200);
        let listed = app.store.api_tokens(demo.organisation_id).await.unwrap();
        let id = listed
            .iter()
            .find(|t| t.name == "ci")
            .unwrap()
            .id
            .to_string();
        assert!(app
            .call_fn(&owner, "revoke_token", &[("org", org), ("id", &id)])
            .await
            .status()
            .is_success());
        assert_eq!(app.summary(&key, Some(&token), "").await.status(), 401);

        // A new site comes with a survey and its own key.
        let new_key = json(
            app.call_fn(
                &owner,
                "create_site",
                &[
                    ("org", org),
                    ("name", "Blog"),
                    ("origins", "https://blog.example"),
                ],
            )
            .await,
        )
        .await;
        let new_key = new_key.as_str().unwrap();
        assert_eq!(
            config(new_key.to_string(), "https://blog.example").await,
            200
        );

        // Every action is in the audit log, which only owners see.
        let org = demo.organisation_id.to_string();
        let audit = json(app.call_fn(&owner, "audit_section", &[("org", &org)]).await).await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        for action in [
            "site.update",
            "site.rotate_key",
            "survey.update",
            "notice.publish",
            "token.create",
            "token.revoke",
            "site.create",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        let (_, admin) = member(&app, &demo, Role::Admin).await;
        let as_admin = app.call_fn(&admin, "audit_section", &[("org", &org)]).await;
        assert_eq!(as_admin.status(), 403, "only owners read the audit log");
        assert!(
            json(
                app.call_fn(&admin, "members_section", &[("org", &org)])
                    .await
            )
            .await
            .as_array()
            .unwrap()
            .len()
                >= 2
        );
    }
);

both_backends!(a_member_changes_their_password, |app: TestApp| async move {
    let demo = app.seed().await;
    let owner = app.signed_in_client(&demo.email).await;
    let wrong = app
        .call_fn(
            &owner,
            "change_password",
            &[
                ("current", "not it at all"),
                ("new", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(json(wrong).await["Invalid"]["field"], "current");
    let short = app
        .call_fn(
            &owner,
            "change_password",
            &[("current", PASSWORD), ("new", "short")],
        )
        .await;
    assert_eq!(short.status(), 422);
    let ok = app
        .call_fn(
            &owner,
            "change_password",
            &[("current", PASSWORD), ("new", "a brand new passphrase")],
        )
        .await;
    assert!(ok.status().is_success());
    app.signed_in_client_with(&demo.email, "a brand new passphrase")
        .await;
    let old = app.sign_in(&demo.email, PASSWORD).await;
    assert_ne!(
        old.headers().get("location").map(|l| l.to_str().unwrap()),
        Some("/dashboard")
    );
    assert_eq!(
        app.call_fn(
            &new_client(),
            "change_password",
            &[("current", "x"), ("new", "y")]
        )
        .await
        .status(),
        401
    );
});

/// A session row as stored, its expiry as text so one type holds either backend's.
type SessionRow = (String, String, String);

async fn session_rows(app: &TestApp) -> Vec<SessionRow> {
    let sql = "SELECT id_hash, data, CAST(expires_at AS TEXT) FROM sessions";
    match app.backend() {
        crate::helpers::Backend::Sqlite => sqlx::query_as(sql)
            .fetch_all(&mut app.raw_sqlite().await)
            .await
            .unwrap(),
        crate::helpers::Backend::Postgres => sqlx::query_as(sql)
            .fetch_all(&mut app.raw_postgres().await)
            .await
            .unwrap(),
    }
}

async fn restore_session_rows(app: &TestApp, rows: &[SessionRow]) {
    for (id, data, expires) in rows {
        match app.backend() {
            crate::helpers::Backend::Sqlite => {
                sqlx::query("INSERT INTO sessions (id_hash, data, expires_at) VALUES (?, ?, CAST(? AS INTEGER)) ON CONFLICT DO NOTHING")
                    .bind(id).bind(data).bind(expires)
                    .execute(&mut app.raw_sqlite().await).await.unwrap();
            }
            crate::helpers::Backend::Postgres => {
                sqlx::query("INSERT INTO sessions (id_hash, data, expires_at) VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING")
                    .bind(id).bind(data).bind(expires)
                    .execute(&mut app.raw_postgres().await).await.unwrap();
            }
        }
    }
}

/// Whether `client`'s session still opens the dashboard.
async fn signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    let r = client
        .get(app.url("/dashboard"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    r.status() == 200
}

both_backends!(
    a_password_change_ends_every_other_session,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let here = app.signed_in_client(&demo.email).await;
        let elsewhere = app.signed_in_client(&demo.email).await;
        let other_member = member(&app, &demo, Role::Viewer).await.1;
        assert!(signed_in(&app, &elsewhere).await);
        let rows_before = session_rows(&app).await;
        let changed = app
            .call_fn(
                &here,
                "change_password",
                &[("current", PASSWORD), ("new", "a brand new passphrase")],
            )
            .await;
        assert!(changed.status().is_success());
        assert!(
            signed_in(&app, &here).await,
            "the session that changed it goes on"
        );
        assert!(!signed_in(&app, &elsewhere).await, "every other one ends");
        // Even written back (a save racing the change), an old session stays over: it was
        // opened with the old password.
        restore_session_rows(&app, &rows_before).await;
        assert!(
            !signed_in(&app, &elsewhere).await,
            "a resurrected row is still over"
        );
        assert!(
            signed_in(&app, &other_member).await,
            "other members are not touched"
        );
    }
);

both_backends!(
    removing_a_member_ends_their_sessions,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = app.signed_in_client(&demo.email).await;
        let (viewer_id, viewer) = member(&app, &demo, Role::Viewer).await;
        // Also a member elsewhere: removal here still signs them out everywhere.
        let other = app.seed().await;
        app.store
            .add_member(other.organisation_id, viewer_id, Role::Viewer)
            .await
            .unwrap();
        assert!(signed_in(&app, &viewer).await);
        let removed = app
            .call_fn(
                &owner,
                "remove_member",
                &[
                    ("org", &demo.organisation_id.to_string()),
                    ("user", &viewer_id.to_string()),
                ],
            )
            .await;
        assert!(removed.status().is_success());
        assert!(!signed_in(&app, &viewer).await);
    }
);

both_backends!(
    sessions_end_after_30_idle_minutes_or_12_hours,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let client = new_client();
        let r = app
            .submit_form(
                &client,
                "sign_in",
                "/login",
                &[("email", demo.email.as_str()), ("password", PASSWORD)],
            )
            .await;
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("farewell_session="))
            .expect("a session cookie");
        assert!(
            cookie.contains("Max-Age=1800"),
            "idle limit 30 minutes: {cookie}"
        );
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        // The absolute limit is kept in the session: set it to the past, as 12 hours would.
        let until = (chrono::Utc::now() + chrono::Duration::hours(12)).timestamp();
        let data: String = match app.backend() {
            crate::helpers::Backend::Sqlite => {
                sqlx::query_scalar("SELECT data FROM sessions WHERE user_id IS NOT NULL")
                    .fetch_one(&mut app.raw_sqlite().await)
                    .await
                    .unwrap()
            }
            crate::helpers::Backend::Postgres => {
                sqlx::query_scalar("SELECT data FROM sessions WHERE user_id IS NOT NULL")
                    .fetch_one(&mut app.raw_postgres().await)
                    .await
                    .unwrap()
            }
        };
        let mut data: serde_json::Value = serde_json::from_str(&data).unwrap();
        let stored = data["session_until"].as_i64().unwrap();
        assert!(
            (stored - until).abs() <= 5,
            "12 hours from sign-in: {stored} vs {until}"
        );
        assert!(signed_in(&app, &client).await);
        data["session_until"] = serde_json::json!(chrono::Utc::now().timestamp() - 1);
        let data = data.to_string();
        match app.backend() {
            crate::helpers::Backend::Sqlite => {
                sqlx::query("UPDATE sessions SET data = ?")
                    .bind(&data)
                    .execute(&mut app.raw_sqlite().await)
                    .await
                    .unwrap();
            }
            crate::helpers::Backend::Postgres => {
                sqlx::query("UPDATE sessions SET data = $1")
                    .bind(&data)
                    .execute(&mut app.raw_postgres().await)
                    .await
                    .unwrap();
            }
        }
        assert!(
            !signed_in(&app, &client).await,
            "over after the absolute limit"
        );
    }
);

both_backends!(
    passwords_are_twelve_characters_and_not_common,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = app.signed_in_client(&demo.email).await;
        for weak in ["elevenchars", "password1234", "qwertyuiop12"] {
            let r = app
                .call_fn(
                    &owner,
                    "change_password",
                    &[("current", PASSWORD), ("new", weak)],
                )
                .await;
            assert_eq!(r.status(), 422, "{weak}");
            assert_eq!(json(r).await["Invalid"]["field"], "new", "{weak}");
        }
    }
);

// create-admin takes the password from standard input (or the environment), so it need not
// sit in shell history or the process list; a weak one is refused there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_reads_the_password_from_stdin() {
    use std::io::Write;
    let (database_url, _dir) =
        crate::helpers::fresh_database(crate::helpers::Backend::Sqlite).await;
    let run = |password: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_farewell"))
            .args([
                "create-admin",
                "--organisation",
                "Stdin Org",
                "--email",
                "stdin@example.com",
            ])
            .env("DATABASE_URL", &database_url)
            .env_remove("FAREWELL_ADMIN_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("password1234");
    assert!(!weak.status.success(), "a common password is refused");
    let ok = run(PASSWORD);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let app = crate::helpers::AppBuilder::on(&database_url).spawn().await;
    let signed_in = app.sign_in("stdin@example.com", PASSWORD).await;
    assert_eq!(signed_in.headers()["location"], "/dashboard");
}

// Text a member writes that PostgreSQL would refuse (a NUL in a survey text or a notice) is a
// 422 at the field, never a 500 from the database.
both_backends!(
    control_characters_in_members_texts_are_refused_not_500,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let owner = app.signed_in_client(&demo.email).await;
        let i = ids(&app, &demo).await;
        let mut form = survey_form(&i.org, &i.survey, "50");
        form.retain(|(k, _)| *k != "form[texts][fi][question]");
        form.push(("form[texts][fi][question]", "Miten\u{0}meni?".into()));
        let r = post(&app, &owner, "update_survey", &form).await;
        assert_eq!(r.status(), 422);
        assert_eq!(json(r).await["Invalid"]["field"], "texts.fi.question");
        let notice = post(
            &app,
            &owner,
            "publish_notice",
            &[
                ("org", i.org.clone()),
                ("language", "en".into()),
                ("body", "Text\u{0}with a NUL".into()),
            ],
        )
        .await;
        assert_eq!(notice.status(), 422);
        assert_eq!(json(notice).await["Invalid"]["field"], "body");
    }
);

// A textarea's text is raw in HTML: what a member typed into the survey texts or the allowed
// origins is escaped in the page, so it can never close the field and add markup.
both_backends!(
    texts_shown_in_a_textarea_cannot_close_it,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let i = ids(&app, &demo).await;
        let mut form = survey_form(&i.org, &i.survey, "50");
        form.retain(|(k, _)| *k != "form[texts][fi][question]");
        form.push((
            "form[texts][fi][question]",
            "Miten meni? </textarea><b id=injected>x</b>".into(),
        ));
        let client = app.client.clone();
        let saved = post(&app, &client, "update_survey", &form).await;
        assert!(
            saved.status().is_success(),
            "{}",
            saved.text().await.unwrap()
        );
        let html = app.page("/admin").await;
        assert!(!html.contains("<b id=injected>"), "markup from a text");
        assert!(
            html.contains("&lt;/textarea&gt;&lt;b id=injected&gt;x&lt;/b&gt;"),
            "the text is shown as typed"
        );
    }
);

/// Posts an administration form as a browser does with JavaScript off: straight to the server
/// function, from the administration page.
async fn post_plainly(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/fn/{endpoint}")))
        .header("Origin", &app.address)
        .header("Referer", app.url("/admin?__err=old"))
        .header("Accept", "text/html,application/xhtml+xml")
        .form(form)
        .send()
        .await
        .unwrap()
}

// With JavaScript off, a refused form comes back once with everything typed and the reason at
// its field, in the form that was sent; a success says so there; an error forged into a link
// (`?__err=`) shows nothing.
both_backends!(
    a_plain_form_keeps_what_was_typed_and_a_forged_error_shows_nothing,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let i = ids(&app, &demo).await;
        let typed =
            "https://shop.example\nhttps://shop.example/checkout </textarea><b id=injected>x</b>";
        let form = [
            ("org", i.org.as_str()),
            ("site", i.site.as_str()),
            ("name", "Renamed shop"),
            ("origins", typed),
        ];
        let sent = post_plainly(&app, "update_site", &form).await;
        assert_eq!(sent.status(), 303);
        assert_eq!(sent.headers()["location"], "/admin#sent-form");

        let page = app.client.get(app.url("/admin")).send().await.unwrap();
        assert_eq!(page.status(), 422);
        let html = page.text().await.unwrap();
        // The reason beside the field, in the form that was sent, which the page jumps to.
        let form_html = html
            .split("<span id=\"sent-form\"></span>")
            .nth(1)
            .and_then(|rest| rest.split("</form>").next())
            .expect("the sent form is marked");
        assert!(form_html.contains(&i.site), "{form_html}");
        assert!(
            form_html.contains("value=\"Renamed shop\""),
            "the name as typed: {form_html}"
        );
        assert!(
            form_html.contains("https://shop.example/checkout &lt;/textarea&gt;&lt;b id=injected&gt;x&lt;/b&gt;</textarea>"),
            "the origins as typed, never as markup: {form_html}"
        );
        assert!(!html.contains("<b id=injected>"));
        assert!(form_html.contains("aria-invalid=\"true\""), "{form_html}");
        assert!(
            form_html
                .contains("role=\"alert\" data-field=\"origins\">https://shop.example/checkout"),
            "{form_html}"
        );
        // Complete without the script, which would not know the outcome.
        let hydrates = |html: &str| html.contains(".wasm") || html.contains("modulepreload");
        assert!(!hydrates(&html), "no script on the outcome's page");
        // Shown once: the next view is the page as stored.
        let again = app.client.get(app.url("/admin")).send().await.unwrap();
        assert_eq!(again.status(), 200);
        let again = again.text().await.unwrap();
        assert!(!again.contains("sent-form") && !again.contains("Renamed shop"));
        assert!(hydrates(&again));

        // A success says so where the form is.
        let fine = [
            ("org", i.org.as_str()),
            ("site", i.site.as_str()),
            ("name", "Renamed shop"),
            ("origins", "https://shop.example"),
        ];
        assert_eq!(post_plainly(&app, "update_site", &fine).await.status(), 303);
        let page = app.client.get(app.url("/admin")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let form_html = html.split("<span id=\"sent-form\"></span>").nth(1).unwrap();
        let form_html = form_html.split("</form>").next().unwrap();
        assert!(form_html.contains(">Saved.</"), "{form_html}");

        // A link carrying a forged error shows no error at all, with or without the script.
        let forged = {
            use base64::Engine;
            let error =
                app::error::AppError::invalid("origins", "your session expired: call +1 555 0100");
            base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&error).unwrap())
        };
        let html = app
            .page(&format!("/admin?__path=/fn/update_site&__err={forged}"))
            .await;
        assert!(
            !html.contains("call +1 555 0100"),
            "a forged error is shown"
        );
    }
);

/// A page's attribute value as the browser reads it (askama and Leptos escape differently).
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(';')
            .map(|e| start + e)
            .expect("an entity ends");
        let entity = &rest[start + 1..end];
        let c = match entity {
            "quot" => '"',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "apos" => '\'',
            _ if entity.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap()
            }
            _ if entity.starts_with('#') => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
            other => panic!("an entity &{other};"),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

// The survey editor: a field per language and text, each showing the survey's own text or the
// default as its placeholder, and a preview that only Farewell's own pages may frame, holding
// every language's texts for the preview script.
both_backends!(
    the_survey_editor_offers_each_text_per_language_and_frames_a_preview,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let i = ids(&app, &demo).await;
        let saved = post(
            &app,
            &app.client.clone(),
            "update_survey",
            &survey_form(&i.org, &i.survey, "50"),
        )
        .await;
        assert!(saved.status().is_success());
        let admin = app.client.get(app.url("/admin")).send().await.unwrap();
        let csp = admin.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("frame-src"),
            "{csp}"
        );
        let html = admin.text().await.unwrap();
        assert!(
            html.contains(r#"name="form[texts][fi][question]" value="Miten meni?""#),
            "the survey's own text"
        );
        assert!(
            html.contains(
                r#"name="form[texts][fi][title]" value="" placeholder="Millainen kokemuksesi oli?""#
            ),
            "the default as the placeholder"
        );
        for lang in ["en", "fi", "sv", "de", "ar"] {
            assert!(html.contains(&format!("name=\"form[texts][{lang}][follow_up_promoter]\"")));
        }
        assert!(html.contains(r#"name="form[texts][ar][send]" value="" placeholder="#));
        assert!(html.contains(r#"<iframe src="/w/preview""#));
        assert!(html.contains("Suomi (Finnish) · 1 text of its own"));

        let preview = app.get("/w/preview").await;
        assert_eq!(preview.status(), 200);
        let csp = preview.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("frame-ancestors 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        let page = preview.text().await.unwrap();
        let languages = page
            .split("data-languages=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the languages' texts");
        let languages: serde_json::Value = serde_json::from_str(&unescape(languages)).unwrap();
        assert_eq!(languages["ar"]["dir"], "rtl");
        assert_eq!(
            languages["fi"]["texts"]["title"],
            "Millainen kokemuksesi oli?"
        );
        assert!(languages["en"]["texts"]["question"]
            .as_str()
            .unwrap()
            .contains("{product}"));
        for script in page.split("<script src=\"").skip(1) {
            let path = script.split('"').next().unwrap();
            let js = app.get(path).await;
            assert_eq!(js.status(), 200, "{path}");
            assert!(js.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript"));
        }
    }
);

// With JavaScript off, a survey text refused (a placeholder mistyped) comes back at its field,
// as typed, with the folded parts around it open: the survey's and the language's.
both_backends!(
    a_plain_survey_form_shows_a_texts_refusal_at_its_field_unfolded,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let i = ids(&app, &demo).await;
        let mut form = survey_form(&i.org, &i.survey, "50");
        form.push((
            "form[texts][de][question]",
            "Würden Sie {produkt} empfehlen?".into(),
        ));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            post_plainly(&app, "update_survey", &form).await.status(),
            303
        );
        let page = app.client.get(app.url("/admin")).send().await.unwrap();
        assert_eq!(page.status(), 422);
        let html = page.text().await.unwrap();
        let sent = html.split("<span id=\"sent-form\"></span>").nth(1).unwrap();
        let sent = sent.split("</form>").next().unwrap();
        let input = sent
            .split("<input name=\"form[texts][de][question]\"")
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .unwrap();
        assert!(
            input.contains("value=\"Würden Sie {produkt} empfehlen?\"")
                && input.contains("aria-invalid=\"true\""),
            "{input}"
        );
        assert!(sent.contains(
            "data-field=\"texts.de.question\">{produkt} is not filled in here: {product} stands for the product's name.</span>"
        ));
        assert!(sent.contains("value=\"Miten meni?\""), "the rest as typed");
        let before = html.split("<span id=\"sent-form\"></span>").next().unwrap();
        let survey = before.rfind("<details").map(|at| &before[at..]).unwrap();
        assert!(
            survey.starts_with("<details class=\"survey-admin\" open"),
            "{survey}"
        );
        let german = sent.split("Deutsch (German)").next().unwrap();
        let german = german.rfind("<details").map(|at| &german[at..]).unwrap();
        assert!(german.contains(" open"), "{german}");
        let finnish = sent.split("Suomi (Finnish)").next().unwrap();
        let finnish = finnish.rfind("<details").map(|at| &finnish[at..]).unwrap();
        assert!(
            !finnish.contains(" open"),
            "only what holds the refusal opens: {finnish}"
        );
    }
);

// With JavaScript off, what a form's function makes once (an API token here) is shown in the
// next view as the script would show it, and is never written to the session's row: it travels
// in a minute-long cookie only that browser holds, read once.
both_backends!(
    a_token_made_by_a_plain_form_is_shown_once_and_never_kept_in_the_session,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // The member administers a second organisation too: its section must not show what
        // the first one's form made.
        let user = app
            .store
            .credentials(&Email::parse("e", &demo.email).unwrap())
            .await
            .unwrap()
            .unwrap()
            .user_id;
        let second = app.store.create_organisation("Second org").await.unwrap();
        app.store
            .add_member(second.id, user, Role::Owner)
            .await
            .unwrap();
        let signed_in = app.sign_in(&demo.email, PASSWORD).await;
        let session = crate::helpers::session_cookie(&signed_in);
        let session = session.split(';').next().unwrap().to_string();
        let i = ids(&app, &demo).await;
        let sent = post_plainly(
            &app,
            "create_token",
            &[("org", i.org.as_str()), ("name", "CI export")],
        )
        .await;
        assert_eq!(sent.status(), 303);
        let cookie = sent
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("farewell_shown_once="))
            .expect("the output's cookie")
            .to_string();
        for attribute in ["Path=/admin", "Max-Age=60", "HttpOnly", "SameSite=Strict"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        // A cookie of the same name planted before the real one (by a sibling subdomain, say)
        // is passed over: only the one whose hash the session kept is shown.
        let real = cookie.split(';').next().unwrap().to_string();
        let page = reqwest::Client::new()
            .get(app.url("/admin"))
            .header(
                "Cookie",
                format!("{session}; farewell_shown_once=%22fw_planted%22; {real}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(!html.contains("fw_planted"));
        assert_eq!(
            html.matches("class=\"new-token\"").count(),
            1,
            "shown in the organisation whose form made it, not in the second"
        );
        // Each organisation's section starts at its `data-org`.
        let section_of = |org: &str| {
            html.split("data-org=\"")
                .find(|chunk| chunk.starts_with(org))
                .expect("the organisation's section")
        };
        assert!(section_of(&i.org).contains("new-token"));
        assert!(
            !section_of(&second.id.to_string()).contains("new-token"),
            "the token is shown under its own organisation only"
        );
        // The input the page's script would show: `<input readonly … value="…" class="new-token">`.
        let token = html
            .split_once("class=\"new-token\"")
            .and_then(|(before, _)| before.rsplit("<input").next())
            .and_then(|input| input.split("value=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .map(unescape)
            .expect("the new token is shown");
        assert!(token.starts_with(app::tokens::API_TOKEN_PREFIX), "{token}");
        // It is the token: the report API takes it.
        let summary = app.summary(&demo.site_key, Some(&token), "").await;
        assert_eq!(summary.status(), 200);
        // Never at rest in the database's session rows.
        for (_, data, _) in session_rows(&app).await {
            assert!(!data.contains(&token), "the token is in a session row");
        }
        // Shown once.
        let again = app.page("/admin").await;
        assert!(!again.contains(&token));
        // A cookie set by anyone else, with no form sent, shows nothing.
        let forged = reqwest::Client::new()
            .get(app.url("/admin"))
            .header(
                "Cookie",
                format!("{session}; farewell_shown_once=%22ft_forged_by_someone%22"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 200);
        let forged = forged.text().await.unwrap();
        assert!(forged.contains("API tokens"), "the member's page");
        assert!(!forged.contains("ft_forged_by_someone"));
    }
);
