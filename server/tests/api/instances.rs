//! Several app servers on one PostgreSQL: sessions, answers and per-site rate limits are shared.

use crate::helpers::{fresh_database, test_settings, Backend, PASSWORD};
use farewell::config::ServeArgs;
use std::time::Duration;
use uuid::Uuid;

async fn post(client: &reqwest::Client, base: &str, site: &str, score: u8) -> u16 {
    client
        .post(format!("{base}/api/v1/responses"))
        .json(&serde_json::json!({"id": Uuid::new_v4(), "site": site, "score": score}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_servers_share_sessions_answers_and_site_rate_limits() {
    let (url, _) = fresh_database(Backend::Postgres).await;
    // 2 answers a second per site, 10 at once.
    let settings = ServeArgs {
        site_rate: 2.0,
        ..test_settings()
    };
    let a = crate::helpers::AppBuilder::on(&url)
        .settings(|s| *s = settings.clone())
        .spawn()
        .await;
    let b = crate::helpers::AppBuilder::on(&url)
        .settings(|s| *s = settings)
        .spawn()
        .await;
    let demo = a.seed().await;
    let client = crate::helpers::new_client();

    // A site's burst spent on server A…
    let mut accepted = 0;
    for score in 0..10 {
        if post(&client, &a.address, &demo.site_key, score).await == 201 {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 10);
    // …is spent on server B too, once the servers have exchanged their figures.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut on_b = vec![];
    for score in 0..5 {
        on_b.push(post(&client, &b.address, &demo.site_key, score).await);
    }
    let through = on_b.iter().filter(|s| **s == 201).count();
    assert!(through <= 2, "B let {through} of 5 through: {on_b:?}");
    assert!(on_b.contains(&429));

    // A member signed in on A sees B's answers on B's dashboard and on A's.
    let cookie = crate::helpers::session_cookie(&a.sign_in(&demo.email, PASSWORD).await)
        .split(';')
        .next()
        .unwrap()
        .to_string();
    for server in [&a, &b] {
        let html = crate::helpers::new_client()
            .get(server.url("/dashboard"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let expected = format!(r#"<dd class="n">{}</dd>"#, 10 + through);
        assert!(html.contains(&expected), "{expected} on {}", server.address);
    }
}
