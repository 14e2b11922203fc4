//! Webhooks: signed deliveries from the durable outbox, retried until a receiver that was down
//! comes back, each delivered once.

use crate::both_backends;
use crate::helpers::{json, TestApp, PASSWORD};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// One request the receiver saw: (delivery id, event, signature, body, answered status).
pub(crate) type Seen = (String, String, String, String, u16);

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) up: Arc<AtomicBool>,
    pub(crate) seen: Arc<Mutex<Vec<Seen>>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let status = if r.up.load(Ordering::SeqCst) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    r.seen.lock().unwrap().push((
        header("farewell-delivery"),
        header("farewell-event"),
        header("farewell-signature"),
        body,
        status.as_u16(),
    ));
    status
}

pub(crate) async fn start_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/hooks/{id}", post(hook))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

/// HMAC-SHA256 written out from its definition (RFC 2104), independent of the server's crate.
fn reference_hmac(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

both_backends!(
    signed_deliveries_survive_a_receiver_that_is_down_then_up,
    |app: TestApp| async move {
        let (url, receiver) = start_receiver().await;
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let org = demo.organisation_id.to_string();
        let created = app
            .call_fn(
                &app.client,
                "create_webhook",
                &[
                    ("org", org.as_str()),
                    ("url", url.as_str()),
                    ("response_created", "on"),
                    ("detractor_received", "on"),
                ],
            )
            .await;
        assert_eq!(created.status(), 200);
        let secret = json(created).await.as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"));

        for score in [3, 10] {
            let r = app
                .post_response(&serde_json::json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": score, "comment": "hello"}))
                .await;
            assert_eq!(r.status(), 201);
        }
        // The receiver is down: deliveries fail and wait for their retry, none is lost.
        crate::helpers::eventually(Duration::from_secs(10), || async {
            let d = app
                .store
                .deliveries(demo.organisation_id, 10)
                .await
                .unwrap();
            d.len() == 3
                && d.iter()
                    .all(|d| d.attempts >= 1 && !d.delivered && d.last_status == Some(503))
        })
        .await;
        receiver.up.store(true, Ordering::SeqCst);
        crate::helpers::eventually(Duration::from_secs(20), || async {
            let d = app
                .store
                .deliveries(demo.organisation_id, 10)
                .await
                .unwrap();
            d.len() == 3 && d.iter().all(|d| d.delivered)
        })
        .await;

        let seen = receiver.seen.lock().unwrap().clone();
        let delivered: Vec<_> = seen.iter().filter(|s| s.4 == 200).collect();
        assert_eq!(delivered.len(), 3, "each event delivered once");
        let mut ids: Vec<&str> = delivered.iter().map(|s| s.0.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        let mut events: Vec<&str> = delivered.iter().map(|s| s.1.as_str()).collect();
        events.sort();
        assert_eq!(
            events,
            ["detractor.received", "response.created", "response.created"]
        );
        for (_, event, signature, body, _) in &delivered {
            let (t, v1) = signature
                .strip_prefix("t=")
                .and_then(|s| s.split_once(",v1="))
                .expect("t=…,v1=…");
            assert_eq!(
                v1,
                reference_hmac(secret.as_bytes(), format!("{t}.{body}").as_bytes())
            );
            let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
            assert!((0..60).contains(&age));
            let payload: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(payload["event"], event.as_str());
            assert_eq!(payload["answer"]["site"], demo.site_id.to_string());
            assert!(
                payload["answer"].get("respondent").is_none()
                    && payload["answer"].get("contact_email").is_none()
            );
        }

        // A removed webhook gets nothing new.
        let hooks = app.store.webhooks(demo.organisation_id).await.unwrap();
        let removed = app
            .call_fn(
                &app.client,
                "revoke_webhook",
                &[("org", org.as_str()), ("id", &hooks[0].id.to_string())],
            )
            .await;
        assert!(removed.status().is_success());
        app.post_response(
            &serde_json::json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": 1}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            app.store
                .deliveries(demo.organisation_id, 10)
                .await
                .unwrap()
                .len(),
            3
        );
    }
);

/// A listener that counts the connections it accepts and never answers (a hanging receiver).
async fn start_black_hole() -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (address, accepted)
}

async fn create_webhook(app: &TestApp, org: Uuid, url: &str) -> reqwest::Response {
    let org = org.to_string();
    let form = [
        ("org", org.as_str()),
        ("url", url),
        ("response_created", "on"),
    ];
    app.call_fn(&app.client, "create_webhook", &form).await
}

async fn answer(app: &TestApp, site_key: &str) {
    let r = app
        .post_response(&serde_json::json!({"id": Uuid::new_v4(), "site": site_key, "score": 4}))
        .await;
    assert_eq!(r.status(), 201);
}

// With the operator's default, a webhook can reach only public https:// destinations: every
// internal address is refused when saved, and, should one be in the table anyway (a name that
// resolved publicly when saved), when delivered, without a connection being made.
both_backends!(
    webhooks_cannot_reach_inside_by_default,
    settings: |s: &mut farewell::config::ServeArgs| s.webhooks_allow_private = false,
    |app: TestApp| async move {
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let (hole, accepted) = start_black_hole().await;
        let port = hole.port();
        for url in [
            format!("http://127.0.0.1:{port}/hook"),
            format!("https://127.0.0.1:{port}/hook"),
            "https://169.254.169.254/latest/meta-data/".to_string(),
            "https://10.0.0.5/hook".to_string(),
            "https://[::1]:22/".to_string(),
            "https://[::ffff:127.0.0.1]/".to_string(),
            "https://100.64.0.1/".to_string(),
            format!("https://localhost:{port}/hook"),
            "http://hooks.example/plain-http".to_string(),
        ] {
            let r = create_webhook(&app, demo.organisation_id, &url).await;
            assert_eq!(r.status(), 422, "{url}");
            assert_eq!(json(r).await["Invalid"]["field"], "url", "{url}");
        }
        assert!(app.store.webhooks(demo.organisation_id).await.unwrap().is_empty());

        // Stored without the save check: an address, and a name that resolves to loopback.
        for url in [
            format!("https://127.0.0.1:{port}/hook"),
            format!("https://localhost:{port}/hook"),
        ] {
            app.store
                .create_webhook(demo.organisation_id, &url, "whsec_x", &["response.created".into()], app::domain::WebhookFormat::Json)
                .await
                .unwrap();
        }
        answer(&app, &demo.site_key).await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            let d = app.store.deliveries(demo.organisation_id, 10).await.unwrap();
            d.len() == 2 && d.iter().all(|d| d.failed)
        })
        .await;
        for d in app.store.deliveries(demo.organisation_id, 10).await.unwrap() {
            assert_eq!(d.last_error.as_deref(), Some("refused"), "{d:?}");
            assert_eq!(d.last_status, None);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection was made");
    }
);

// The history says what happened in plain words, with no detail of the network behind it.
both_backends!(
    the_delivery_history_shows_no_internal_detail,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // A port nothing listens on.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        app.store
            .create_webhook(
                demo.organisation_id,
                &format!("http://127.0.0.1:{closed}/hook?token=receiver-secret"),
                "whsec_x",
                &["response.created".into()],
                app::domain::WebhookFormat::Json,
            )
            .await
            .unwrap();
        answer(&app, &demo.site_key).await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            let d = app
                .store
                .deliveries(demo.organisation_id, 10)
                .await
                .unwrap();
            d.len() == 1 && d[0].attempts >= 1
        })
        .await;
        let d = &app
            .store
            .deliveries(demo.organisation_id, 10)
            .await
            .unwrap()[0];
        assert_eq!(d.last_error.as_deref(), Some("connection failed"), "{d:?}");
    }
);

// One organisation's receiver hangs; another organisation's delivery is not held up by it.
both_backends!(
    a_hanging_receiver_does_not_delay_another_organisation,
    |app: TestApp| async move {
        let (hole, accepted) = start_black_hole().await;
        let (url, receiver) = start_receiver().await;
        receiver.up.store(true, Ordering::SeqCst);
        let slow = app.seed().await;
        let fast = app.seed().await;
        app.store
            .create_webhook(
                slow.organisation_id,
                &format!("http://{hole}/hook"),
                "whsec_b",
                &["response.created".into()],
                app::domain::WebhookFormat::Json,
            )
            .await
            .unwrap();
        app.store
            .create_webhook(
                fast.organisation_id,
                &url,
                "whsec_a",
                &["response.created".into()],
                app::domain::WebhookFormat::Json,
            )
            .await
            .unwrap();
        // Organisation B's answers first, so its deliveries are the oldest due.
        for _ in 0..5 {
            answer(&app, &slow.site_key).await;
        }
        crate::helpers::eventually(Duration::from_secs(5), || async {
            accepted.load(Ordering::SeqCst) >= 1
        })
        .await;
        let started = std::time::Instant::now();
        answer(&app, &fast.site_key).await;
        crate::helpers::eventually(Duration::from_secs(2), || async {
            !receiver.seen.lock().unwrap().is_empty()
        })
        .await;
        assert!(started.elapsed() < Duration::from_secs(2));
        // B holds at most its share of the slots while it hangs.
        assert!(
            accepted.load(Ordering::SeqCst) <= 2,
            "{}",
            accepted.load(Ordering::SeqCst)
        );
    }
);

// Revoking a webhook cancels what is queued for it, retries included.
both_backends!(
    revoking_a_webhook_cancels_its_retries,
    |app: TestApp| async move {
        let (url, receiver) = start_receiver().await; // down: answers 503
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let id = app
            .store
            .create_webhook(
                demo.organisation_id,
                &url,
                "whsec_x",
                &["response.created".into()],
                app::domain::WebhookFormat::Json,
            )
            .await
            .unwrap();
        answer(&app, &demo.site_key).await;
        crate::helpers::eventually(Duration::from_secs(10), || async {
            !receiver.seen.lock().unwrap().is_empty()
        })
        .await;
        let form = [
            ("org", demo.organisation_id.to_string()),
            ("id", id.to_string()),
        ];
        let revoked = app.call_fn(&app.client, "revoke_webhook", &form).await;
        assert!(revoked.status().is_success());
        let tried = receiver.seen.lock().unwrap().len();
        receiver.up.store(true, Ordering::SeqCst);
        // Retries come every 200 ms or so in the tests; wait for several.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            receiver.seen.lock().unwrap().len(),
            tried,
            "nothing sent after revoking"
        );
        let d = &app
            .store
            .deliveries(demo.organisation_id, 10)
            .await
            .unwrap()[0];
        assert!(d.failed && !d.delivered, "{d:?}");
        assert_eq!(d.last_error.as_deref(), Some("cancelled"));
    }
);

// A chat's incoming webhook, known by its address (here Mattermost's /hooks/<id>), gets that
// chat's message, unsigned: the band, score and page, and the comment as a code block in which
// nothing a visitor wrote can mention or link.
both_backends!(
    a_chat_webhook_gets_its_own_message_with_the_comment_inert,
    |app: TestApp| async move {
        let (url, receiver) = start_receiver().await;
        receiver.up.store(true, Ordering::SeqCst);
        let url = url.replace("/hook", "/hooks/xq3kbb5tmbrwdq6rwnjtyh6gfe");
        let demo = app.seed().await;
        app.sign_in(&demo.email, PASSWORD).await;
        let org = demo.organisation_id.to_string();
        let form = [
            ("org", org.as_str()),
            ("url", url.as_str()),
            ("detractor_received", "on"),
        ];
        let created = app.call_fn(&app.client, "create_webhook", &form).await;
        assert_eq!(created.status(), 200);

        let r = app
            .post_response(
                &serde_json::json!({"id": Uuid::new_v4(), "site": demo.site_key,
                "score": 1, "comment": "<!channel> broken & slow",
                "context": {"path": "/checkout", "device": "mobile"}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        crate::helpers::eventually(Duration::from_secs(10), || async {
            receiver.seen.lock().unwrap().len() == 1
        })
        .await;
        let (_, event, signature, body, _) = receiver.seen.lock().unwrap()[0].clone();
        assert_eq!(event, "detractor.received");
        assert_eq!(signature, "", "a chat's URL is its secret: nothing signed");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"text":
                "Farewell: a detractor scored 1/10 on `/checkout` (mobile)\n```\n<!channel> broken & slow\n```"})
        );
    }
);
