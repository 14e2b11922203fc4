//! Webhook delivery: every app server polls the durable outbox, leases what is due, POSTs each
//! event signed with HMAC-SHA256 over `timestamp.body`, and records the outcome — retrying with
//! exponential backoff while the receiver fails, and giving up (visibly, in the delivery
//! history) after `MAX_ATTEMPTS`.

use app::store::{DeliveryOutcome, PendingDelivery, SharedStore};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub const MAX_ATTEMPTS: u32 = 12;
/// A delivery leased by one server is left alone by the others this long.
const LEASE: Duration = Duration::from_secs(60);
const TIMEOUT: Duration = Duration::from_secs(10);

/// `Farewell-Signature` for a body sent at `timestamp`: `t=<unix seconds>,v1=<hex HMAC>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        crate::tokens::hex(&mac.finalize().into_bytes())
    )
}

pub fn spawn(
    store: SharedStore,
    poll: Duration,
    retry_base: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Farewell-Webhooks/1")
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook client could not start");
                return;
            }
        };
        let mut ticks = tokio::time::interval(poll);
        loop {
            ticks.tick().await;
            let now = Utc::now();
            let due = match store
                .claim_deliveries(
                    now,
                    now + chrono::Duration::from_std(LEASE).unwrap_or_default(),
                    20,
                )
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "webhook outbox unreadable");
                    continue;
                }
            };
            for delivery in due {
                let outcome = deliver(&client, &delivery, retry_base).await;
                if let Err(e) = store
                    .finish_delivery(delivery.id, &outcome, Utc::now())
                    .await
                {
                    tracing::error!(error = %e, "webhook outcome not recorded; it will be sent again");
                }
            }
        }
    })
}

async fn deliver(
    client: &reqwest::Client,
    d: &PendingDelivery,
    retry_base: Duration,
) -> DeliveryOutcome {
    let sent = client
        .post(&d.url)
        .header("Content-Type", "application/json")
        .header("Farewell-Event", &d.event)
        .header("Farewell-Delivery", d.id.to_string())
        .header(
            "Farewell-Signature",
            signature(&d.secret, Utc::now().timestamp(), &d.payload),
        )
        .body(d.payload.clone())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(r) if r.status().is_success() => {
            return DeliveryOutcome::Delivered {
                status: r.status().as_u16(),
            }
        }
        Ok(r) => (
            Some(r.status().as_u16()),
            format!("the receiver answered {}", r.status()),
        ),
        Err(e) => (None, format!("not delivered: {e}")),
    };
    let attempt = d.attempts + 1;
    tracing::warn!(delivery = %d.id, attempt, error, "webhook delivery failed");
    if attempt >= MAX_ATTEMPTS {
        DeliveryOutcome::GiveUp { status, error }
    } else {
        let wait = crate::store::retry_delay(retry_base, attempt);
        DeliveryOutcome::Retry {
            status,
            error,
            next_attempt_at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
        }
    }
}
