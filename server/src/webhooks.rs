//! Webhook delivery: every app server polls the durable outbox, leases what is due, POSTs each
//! event signed with HMAC-SHA256 over `timestamp.body`, and records the outcome — retrying with
//! exponential backoff while the receiver fails, and giving up (visibly, in the delivery
//! history) after `MAX_ATTEMPTS`.
//!
//! Deliveries go out concurrently, at most `PER_ORGANISATION` at once for one organisation, so
//! one organisation's hanging receiver cannot hold up another's. Every delivery is claimed
//! just before it is sent, and its lease outlasts the whole request (`TIMEOUT`), so it is never
//! claimed again while in flight. Destinations are checked on the address actually connected
//! to (`GuardedResolver`), and the history records only "refused", "timed out", "connection
//! failed" or the receiver's HTTP status: nothing about the network behind it.

use app::domain::{is_forbidden_ip, WebhookFormat, WebhookRules, WebhookUrl};
use app::store::{DeliveryOutcome, PendingDelivery, WebhookStore};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

pub const MAX_ATTEMPTS: u32 = 12;
/// The whole request, connect included, ends within this.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A delivery leased by one server is left alone by the others this long: far past `TIMEOUT`,
/// so an attempt still in flight is never claimed again.
const LEASE: Duration = Duration::from_secs(60);
/// Deliveries in flight at once, for one organisation and for this server.
const PER_ORGANISATION: usize = 2;
const IN_FLIGHT: usize = 32;

/// The outcomes the history may show.
pub const REFUSED: &str = "refused";
pub const TIMED_OUT: &str = "timed out";
pub const CONNECTION_FAILED: &str = "connection failed";

/// `Farewell-Signature` for a body sent at `timestamp`: `t=<unix seconds>,v1=<hex HMAC>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        crate::tokens::hex(&mac.finalize().into_bytes())
    )
}

#[derive(Clone, Copy, Debug)]
pub struct WebhookSettings {
    pub poll: Duration,
    pub retry_base: Duration,
    pub rules: WebhookRules,
}

/// A name resolved for a delivery: the addresses a webhook may not reach are dropped before
/// the client sees them, so the connection can only go where the check allowed, whatever the
/// name resolved to when the webhook was saved.
pub struct GuardedResolver<L> {
    rules: WebhookRules,
    lookup: L,
}

/// No address of the name may be reached.
#[derive(Debug, thiserror::Error)]
#[error("{REFUSED}")]
pub struct Refused;

impl<L> GuardedResolver<L> {
    pub fn new(rules: WebhookRules, lookup: L) -> Self {
        GuardedResolver { rules, lookup }
    }

    /// The allowed addresses among `found`, or `Refused` when none is.
    pub fn filter(&self, found: Vec<IpAddr>) -> Result<Vec<IpAddr>, Refused> {
        let allowed: Vec<IpAddr> = found
            .into_iter()
            .filter(|ip| self.rules.allow_private || !is_forbidden_ip(*ip))
            .collect();
        if allowed.is_empty() {
            Err(Refused)
        } else {
            Ok(allowed)
        }
    }
}

/// How names are looked up (the system resolver; tests give their own).
pub type Lookup = Arc<
    dyn Fn(String) -> futures_util::future::BoxFuture<'static, std::io::Result<Vec<IpAddr>>>
        + Send
        + Sync,
>;

pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    })
}

impl reqwest::dns::Resolve for GuardedResolver<Lookup> {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = (self.lookup)(name.as_str().to_owned());
        let rules = self.rules;
        Box::pin(async move {
            let found = found.await?;
            let allowed = GuardedResolver::new(rules, ()).filter(found)?;
            let addrs: reqwest::dns::Addrs =
                Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

pub fn client(rules: WebhookRules, lookup: Lookup) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        // A redirect could lead anywhere, and a proxy would connect for us unchecked.
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(rules, lookup)))
        .user_agent("Farewell-Webhooks/1")
        .build()
}

pub fn spawn(
    store: Arc<dyn WebhookStore>,
    settings: WebhookSettings,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(settings.rules, system_lookup()) {
            Ok(c) => c,
            Err(_) => {
                tracing::error!("webhook client could not start");
                return;
            }
        };
        let in_flight: Arc<Mutex<HashMap<Uuid, usize>>> = Arc::default();
        let mut ticks = tokio::time::interval(settings.poll);
        loop {
            ticks.tick().await;
            // Claim while there is room, one delivery per organisation per round, so each
            // organisation gets its turn and none takes every slot.
            loop {
                let (free, busy) = {
                    let counts = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                    let total: usize = counts.values().sum();
                    let busy: Vec<Uuid> = counts
                        .iter()
                        .filter(|(_, n)| **n >= PER_ORGANISATION)
                        .map(|(org, _)| *org)
                        .collect();
                    (IN_FLIGHT.saturating_sub(total), busy)
                };
                if free == 0 {
                    break;
                }
                let now = Utc::now();
                let due = match store
                    .claim_deliveries(
                        now,
                        now + chrono::Duration::from_std(LEASE).unwrap_or_default(),
                        free as u32,
                        &busy,
                    )
                    .await
                {
                    Ok(due) => due,
                    Err(e) => {
                        tracing::error!(error = %e, "webhook outbox unreadable");
                        break;
                    }
                };
                if due.is_empty() {
                    break;
                }
                for delivery in due {
                    *in_flight
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(delivery.org_id)
                        .or_default() += 1;
                    let (store, client, in_flight) =
                        (store.clone(), client.clone(), in_flight.clone());
                    tokio::spawn(async move {
                        let outcome = deliver(&client, &delivery, &settings).await;
                        if let Err(e) = store
                            .finish_delivery(delivery.id, &outcome, Utc::now())
                            .await
                        {
                            tracing::error!(error = %e, delivery = %delivery.id, "webhook outcome not recorded; it will be sent again");
                        }
                        let mut counts = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(n) = counts.get_mut(&delivery.org_id) {
                            *n -= 1;
                            if *n == 0 {
                                counts.remove(&delivery.org_id);
                            }
                        }
                    });
                }
            }
        }
    })
}

/// What a failed attempt is recorded as: never the URL, an address or the driver's text.
fn failure(e: &reqwest::Error) -> &'static str {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<Refused>() {
            return REFUSED;
        }
        source = err.source();
    }
    if e.is_timeout() {
        TIMED_OUT
    } else {
        CONNECTION_FAILED
    }
}

/// The message a delivery is sent as to a chat's incoming webhook: what was answered, where
/// and on what, and the comment as a code block, so nothing a visitor wrote can mention a
/// channel, link or format in it (`<!channel>`, `@all`, `[x](…)` stay text). `None` for signed
/// JSON, which is sent as stored.
pub fn chat_body(format: WebhookFormat, payload: &str) -> Option<String> {
    if format == WebhookFormat::Json {
        return None;
    }
    let event: serde_json::Value = serde_json::from_str(payload).ok()?;
    let answer = &event["answer"];
    // Slack and Teams read `<…>` and entities in the text itself, code blocks included.
    let escape = |text: &str| match format {
        WebhookFormat::Slack | WebhookFormat::Teams => text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        _ => text.to_string(),
    };
    let mut headline = format!(
        "Farewell: a {} scored {}/10",
        answer["band"].as_str().unwrap_or("visitor"),
        answer["score"].as_u64().unwrap_or_default()
    );
    // The path is the visitor's to write too: as inline code it cannot mention or link either.
    if let Some(page) = answer["page_path"].as_str() {
        headline.push_str(&format!(" on `{}`", escape(&page.replace('`', "'"))));
    }
    if let Some(device) = answer["device"].as_str() {
        headline.push_str(&format!(" ({device})"));
    }
    let mut text = headline.clone();
    if let Some(comment) = answer["comment"].as_str().filter(|c| !c.trim().is_empty()) {
        // A fence in the comment would end the block early.
        let comment = escape(comment).replace("```", "'''");
        text.push_str(&format!("\n```\n{comment}\n```"));
    }
    let body = match format {
        WebhookFormat::Teams => serde_json::json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": headline,
            "text": text,
        }),
        _ => serde_json::json!({ "text": text }),
    };
    Some(body.to_string())
}

async fn deliver(
    client: &reqwest::Client,
    d: &PendingDelivery,
    settings: &WebhookSettings,
) -> DeliveryOutcome {
    // An address written in the URL is never looked up, so it is checked here, in the shape
    // and by the parser the client itself uses; a name is checked by the resolver on every
    // connection.
    let allowed = WebhookUrl::parse(&d.url, settings.rules).is_ok()
        && reqwest::Url::parse(&d.url).is_ok_and(|url| match url.host() {
            Some(url::Host::Ipv4(ip)) => {
                settings.rules.allow_private || !is_forbidden_ip(ip.into())
            }
            Some(url::Host::Ipv6(ip)) => {
                settings.rules.allow_private || !is_forbidden_ip(ip.into())
            }
            Some(url::Host::Domain(_)) => true,
            None => false,
        });
    let sent = if allowed {
        let request = client
            .post(&d.url)
            .header("Content-Type", "application/json")
            .header("Farewell-Event", &d.event)
            .header("Farewell-Delivery", d.id.to_string());
        // A chat's webhook takes its own message, unsigned (its URL is its secret).
        let request = match chat_body(d.format, &d.payload) {
            Some(message) => request.body(message),
            None => request
                .header(
                    "Farewell-Signature",
                    signature(&d.secret, Utc::now().timestamp(), &d.payload),
                )
                .body(d.payload.clone()),
        };
        request.send().await.map_err(|e| failure(&e))
    } else {
        Err(REFUSED)
    };
    let (status, error) = match sent {
        Ok(r) if r.status().is_success() => {
            return DeliveryOutcome::Delivered {
                status: r.status().as_u16(),
            }
        }
        Ok(r) => (
            Some(r.status().as_u16()),
            format!("the receiver answered {}", r.status().as_u16()),
        ),
        Err(kind) => (None, kind.to_string()),
    };
    let attempt = d.attempts + 1;
    // Logged without the URL: it can carry a secret of the receiver's.
    tracing::warn!(delivery = %d.id, attempt, status, error, "webhook delivery failed");
    if attempt >= MAX_ATTEMPTS || (error == REFUSED && status.is_none()) {
        // A refused destination will be refused again: no point retrying it.
        DeliveryOutcome::GiveUp { status, error }
    } else {
        let wait = crate::store::retry_delay(settings.retry_base, attempt);
        DeliveryOutcome::Retry {
            status,
            error,
            next_attempt_at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_message_names_the_answer_and_keeps_the_comment_inert() {
        let payload = serde_json::json!({"event": "detractor.received", "answer": {
            "score": 2, "band": "detractor", "page_path": "/pricing", "device": "mobile",
            "comment": "<!channel> @all [win](https://evil.example) ``` & done"}})
        .to_string();
        let message = |format| -> serde_json::Value {
            serde_json::from_str(&chat_body(format, &payload).unwrap()).unwrap()
        };
        assert_eq!(
            message(WebhookFormat::Slack)["text"],
            "Farewell: a detractor scored 2/10 on `/pricing` (mobile)\n```\n&lt;!channel&gt; @all [win](https://evil.example) ''' &amp; done\n```"
        );
        assert_eq!(
            message(WebhookFormat::Mattermost)["text"],
            "Farewell: a detractor scored 2/10 on `/pricing` (mobile)\n```\n<!channel> @all [win](https://evil.example) ''' & done\n```"
        );
        let teams = message(WebhookFormat::Teams);
        assert_eq!(teams["@type"], "MessageCard");
        assert_eq!(
            teams["summary"],
            "Farewell: a detractor scored 2/10 on `/pricing` (mobile)"
        );
        assert!(chat_body(WebhookFormat::Json, &payload).is_none());
        // The page is the visitor's to write too: it stays inline code, its fence broken.
        let hostile = serde_json::json!({"answer": {"score": 0, "band": "detractor",
            "page_path": "/ @channel [Verify](https://evil.example)`x"}})
        .to_string();
        let text = serde_json::from_str::<serde_json::Value>(
            &chat_body(WebhookFormat::Mattermost, &hostile).unwrap(),
        )
        .unwrap()["text"]
            .clone();
        assert_eq!(
            text,
            "Farewell: a detractor scored 0/10 on `/ @channel [Verify](https://evil.example)'x`"
        );
    }

    #[test]
    fn the_resolver_drops_what_may_not_be_reached() {
        let strict = GuardedResolver::new(WebhookRules::default(), ());
        let public: IpAddr = "93.184.215.14".parse().unwrap();
        let private: IpAddr = "169.254.169.254".parse().unwrap();
        assert_eq!(strict.filter(vec![public, private]).unwrap(), vec![public]);
        assert!(strict.filter(vec![private]).is_err());
        let open = GuardedResolver::new(
            WebhookRules {
                allow_private: true,
            },
            (),
        );
        assert_eq!(open.filter(vec![private]).unwrap(), vec![private]);
    }

    /// DNS rebinding: the name resolves to a public address when the webhook is saved, then to
    /// an internal one. The delivery connects only through the resolver, which refuses it.
    #[tokio::test]
    async fn a_name_that_rebinds_to_an_internal_address_is_refused() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lookup: Lookup = {
            let calls = calls.clone();
            Arc::new(move |_host: String| {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Box::pin(async move {
                    Ok(vec![if n == 0 {
                        "93.184.215.14".parse().unwrap()
                    } else {
                        "127.0.0.1".parse().unwrap()
                    }])
                })
            })
        };
        let rules = WebhookRules::default();
        // What the save-time check saw.
        let first = (lookup)("rebind.example".into()).await.unwrap();
        assert!(app::domain::check_resolved(&first, rules).is_ok());
        // What the delivery does.
        let client = client(rules, lookup).unwrap();
        let err = client
            .post("https://rebind.example/hook")
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&err), REFUSED);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
