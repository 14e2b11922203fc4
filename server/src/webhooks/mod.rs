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

mod messages;

use app::domain::{is_forbidden_ip, WebhookFormat, WebhookRules, WebhookUrl};
use app::store::{AlertAnswer, DeliveryOutcome, PendingDelivery, StoreResult, WebhookStore};
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
    /// How long an answer's alert waits for the visitor's follow-up (comment, contact).
    pub settle: Duration,
}

/// A batch's message carries at most this many deliveries; the rest go in the next.
const BATCH_LIMIT: u32 = 200;
/// An answer not yet counted (so not yet tagged with themes) is looked at again this soon:
/// the counting task runs several times a second.
const UNCOUNTED_WAIT: Duration = Duration::from_secs(1);

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
                        if let Err(e) = handle(&*store, &client, &delivery, &settings, now).await {
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

/// What one claimed delivery comes to.
enum Plan {
    /// One message for these deliveries (one, or a batch).
    Send(Vec<PendingDelivery>, Body),
    /// Not yet: the answer may still change, or the webhook is quiet.
    Wait(chrono::DateTime<Utc>),
    /// Never: why.
    Skip(String),
}

/// A message to send, and whether it is Farewell's own (signed) or a chat's.
struct Body {
    text: String,
    signed: bool,
    event: String,
}

/// Whether an answer's alert must wait, and until when: until it is counted (tagged), and
/// until the visitor sent the follow-up or the settle time passed.
fn wait_for(
    a: &AlertAnswer,
    settle: Duration,
    now: chrono::DateTime<Utc>,
) -> Option<chrono::DateTime<Utc>> {
    let settled_at = a.received_at + chrono::Duration::from_std(settle).unwrap_or_default();
    if !a.counted {
        Some(now + chrono::Duration::from_std(UNCOUNTED_WAIT).unwrap_or_default())
    } else if !a.finished && settled_at > now {
        Some(settled_at)
    } else {
        None
    }
}

/// Whether a delivery's answer is told of now (`Ok(Some)`), later (`Err(Plan::Wait)`) or
/// never (`Err(Plan::Skip)`); `Ok(None)` for a delivery queued before answers were named.
async fn judge(
    store: &dyn WebhookStore,
    d: &PendingDelivery,
    settings: &WebhookSettings,
    now: chrono::DateTime<Utc>,
) -> StoreResult<Result<Option<AlertAnswer>, Plan>> {
    let skip = |why: &str| Ok(Err(Plan::Skip(why.into())));
    let Some(rules) = &d.rules else {
        // Nothing is sent by rules unknown, and nothing is lost: it waits for them to be
        // saved again (the webhook's list says so).
        return Ok(Err(Plan::Wait(now + chrono::Duration::minutes(10))));
    };
    let Some(answer_id) = d.answer_id else {
        // Queued before answers were named: signed JSON goes as stored; a chat could not
        // read it.
        return match d.format {
            WebhookFormat::Json => Ok(Ok(None)),
            _ if messages::is_summary(&d.event) => Ok(Ok(None)),
            _ => skip("queued before chat messages were made when sent"),
        };
    };
    let Some(answer) = store
        .alert_answer(d.org_id, answer_id, rules.segment())
        .await?
    else {
        return skip("the answer was erased");
    };
    if let Some(until) = wait_for(&answer, settings.settle, now) {
        return Ok(Err(Plan::Wait(until)));
    }
    // The event as the answer stands: a detractor who changed their score is one no more.
    let detractor = app::nps::Score::try_from(answer.score)
        .is_ok_and(|s| s.band() == app::nps::Band::Detractor);
    if d.event == "detractor.received" && !detractor {
        return skip("no longer a detractor (the score was changed)");
    }
    Ok(
        match rules.admits(answer.score, &answer.themes, answer.in_segment) {
            Ok(()) => Ok(Some(answer)),
            Err(reason) => Err(Plan::Skip(reason)),
        },
    )
}

fn one_body(d: &PendingDelivery, answer: Option<&AlertAnswer>) -> Body {
    let text = match (answer, d.format) {
        // A digest or a change, made when queued, to a chat: its text.
        (None, format) if format != WebhookFormat::Json && messages::is_summary(&d.event) => {
            messages::chat_text(format, &d.payload)
        }
        // Queued before answers were named, or a summary as signed JSON: as stored.
        (None, _) => d.payload.clone(),
        (Some(a), WebhookFormat::Json) => messages::event_json(&d.event, a),
        (Some(a), format) => messages::chat_one(format, a),
    };
    Body {
        text,
        signed: d.format == WebhookFormat::Json
            || (answer.is_none() && !messages::is_summary(&d.event)),
        event: d.event.clone(),
    }
}

/// What to do with a claimed delivery: its answer read and judged by the webhook's rules, and,
/// for a batching webhook, the other deliveries due gathered into its message.
async fn plan(
    store: &dyn WebhookStore,
    d: &PendingDelivery,
    settings: &WebhookSettings,
    now: chrono::DateTime<Utc>,
) -> StoreResult<Plan> {
    let answer = match judge(store, d, settings, now).await? {
        Ok(answer) => answer,
        Err(plan) => return Ok(plan),
    };
    let minutes = d.rules.as_ref().map_or(0, |r| r.batch_minutes());
    let answer = match answer {
        Some(answer) if minutes > 0 => answer,
        answer => return Ok(Plan::Send(vec![d.clone()], one_body(d, answer.as_ref()))),
    };
    // The window is taken before the message is made: of two workers, one sends; the other's
    // delivery waits for the window's end, and goes in the summary then.
    let window = chrono::Duration::minutes(i64::from(minutes));
    if let Some(until) = store.take_window(d.webhook_id, now, now + window).await? {
        return Ok(Plan::Wait(until));
    }
    let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let mut group = vec![d.clone()];
    let mut events = vec![(d.event.clone(), answer)];
    for mate in store
        .claim_batch(d.webhook_id, now, lease, BATCH_LIMIT)
        .await?
    {
        match judge(store, &mate, settings, now).await? {
            Ok(Some(answer)) => {
                events.push((mate.event.clone(), answer));
                group.push(mate);
            }
            // Queued before answers were named: on its own, later.
            Ok(None) => store.postpone_delivery(mate.id, now, now).await?,
            Err(Plan::Wait(until)) => store.postpone_delivery(mate.id, until, now).await?,
            Err(Plan::Skip(reason)) => {
                store
                    .finish_delivery(mate.id, &DeliveryOutcome::Skipped { reason }, now)
                    .await?
            }
            Err(Plan::Send(..)) => unreachable!("judge never sends"),
        }
    }
    let body = match d.format {
        WebhookFormat::Json if events.len() == 1 => one_body(d, Some(&events[0].1)),
        WebhookFormat::Json => Body {
            text: messages::batch_json(&events),
            signed: true,
            event: "batch".into(),
        },
        format => Body {
            text: messages::chat_summary(format, &events, minutes),
            signed: false,
            event: if events.len() == 1 {
                d.event.clone()
            } else {
                "batch".into()
            },
        },
    };
    Ok(Plan::Send(group, body))
}

/// Plans a claimed delivery, sends what is due and records every outcome.
async fn handle(
    store: &dyn WebhookStore,
    client: &reqwest::Client,
    d: &PendingDelivery,
    settings: &WebhookSettings,
    claimed_at: chrono::DateTime<Utc>,
) -> StoreResult<()> {
    match plan(store, d, settings, claimed_at).await? {
        Plan::Wait(until) => store.postpone_delivery(d.id, until, claimed_at).await,
        Plan::Skip(reason) => {
            store
                .finish_delivery(d.id, &DeliveryOutcome::Skipped { reason }, Utc::now())
                .await
        }
        Plan::Send(group, body) => {
            let outcome = deliver(client, d, &body, group.len(), settings).await;
            let at = Utc::now();
            for member in &group {
                store.finish_delivery(member.id, &outcome, at).await?;
            }
            Ok(())
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    d: &PendingDelivery,
    body: &Body,
    deliveries: usize,
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
            .header("Farewell-Event", &body.event)
            .header("Farewell-Delivery", d.id.to_string())
            .header("Farewell-Deliveries", deliveries.to_string());
        // A chat's webhook takes its own message, unsigned (its URL is its secret).
        let request = if body.signed {
            request.header(
                "Farewell-Signature",
                signature(&d.secret, Utc::now().timestamp(), &body.text),
            )
        } else {
            request
        };
        let request = request.body(body.text.clone());
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
