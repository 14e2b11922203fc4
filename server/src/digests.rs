//! Members' digests and significant-change alerts. Each subscription is looked at once a day, at
//! its hour of the member's own time zone: a digest goes on its days (daily, or weekly on its
//! weekday), and an alert for each site whose last seven days differ from the seven before by
//! the period test, with enough answers on both sides (never on noise, and once per change).
//! The look is taken by compare-and-set on its time, so of several app servers one sends.
//! Mail goes by the SMTP relay (askama renders its HTML and text); a subscription naming a chat
//! webhook goes through the webhook outbox instead, with its SSRF and fairness rules.

use anyhow::Context;
use app::mail::{Mailer, Message};
use app::report::digest::DigestSchedule;
use app::report::digest::{self, DigestKind, SiteDigest};
use app::store::{DueDigest, SharedStore};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// At most this many subscriptions are looked at per round.
const ROUND: u32 = 50;

#[derive(Clone)]
pub struct DigestSettings {
    /// How often due subscriptions are looked for.
    pub poll: std::time::Duration,
    /// `https://feedback.example`: links in the mail (none without it).
    pub public_url: Option<String>,
    /// The key of the one-click unsubscribe links (`http::unsubscribe::SECRET`).
    pub unsubscribe_key: std::sync::Arc<[u8]>,
}

/// What a letter says, as both its renderings read it.
struct LetterView<'a> {
    org_name: &'a str,
    kind: &'a str,
    period: &'a str,
    headline: &'a str,
    sites: &'a [SiteDigest],
    footer: &'a str,
    manage: Option<&'a str>,
    stop: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    v: &'a LetterView<'a>,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    v: &'a LetterView<'a>,
}

/// Looks for due subscriptions every `poll`, for as long as the server runs.
pub fn spawn(store: SharedStore, mailer: Option<Arc<dyn Mailer>>, settings: DigestSettings) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_due(&store, mailer.as_deref(), &settings, Utc::now()).await {
                tracing::error!(error = %e, "sending digests");
            }
            tokio::time::sleep(settings.poll).await;
        }
    });
}

/// Sends what is due at `now`; the number of digests and alerts sent.
pub async fn run_due(
    store: &SharedStore,
    mailer: Option<&dyn Mailer>,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    for due in store.due_digests(now, ROUND).await? {
        let sub = &due.subscription;
        let next = sub.schedule.next_run_after(now);
        // Another app server took this look first.
        if !store
            .take_digest_run(sub.org_id, sub.user_id, sub.next_run_at, next)
            .await?
        {
            continue;
        }
        match run_one(store, mailer, settings, &due, now).await {
            Ok(n) => sent += n,
            // One member's failure (a relay down) is not every member's: logged, and looked at
            // again in a quarter of an hour (what was sent is not sent twice).
            Err(e) => {
                tracing::warn!(error = %e, org = %sub.org_id, "one digest");
                store
                    .take_digest_run(sub.org_id, sub.user_id, next, now + RETRY)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// A look that failed is tried again after this long.
const RETRY: Duration = Duration::minutes(15);

/// Where a member changes their digest (signed in) or stops it (one click, no sign-in).
struct Links {
    manage: String,
    stop: String,
}

/// One letter: a digest or an alert, of some sites.
struct Letter {
    kind: DigestKind,
    period: String,
    sites: Vec<SiteDigest>,
}

async fn run_one(
    store: &SharedStore,
    mailer: Option<&dyn Mailer>,
    settings: &DigestSettings,
    due: &DueDigest,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let sub = &due.subscription;
    let schedule: &DigestSchedule = &sub.schedule;
    let (org, user) = (sub.org_id, sub.user_id);
    // The days are those of the newest look due, not of when it ran: a look run late (after
    // the member's midnight), or retried, is still of the day it was for; after a server was
    // down for days, the letter is of the last day (the missed ones are not sent one by one,
    // and the newest is not skipped for the oldest).
    let at = schedule.last_run_at_or_before(now);
    let sites = store.sites(org).await?;
    let link = |site_key: &str, from: chrono::NaiveDate, to: chrono::NaiveDate| {
        settings.public_url.as_ref().map(|base| {
            let view = app::report::ViewParams {
                from,
                to,
                tz: schedule.zone().to_owned(),
                ..app::report::ViewParams::default_for(to)
            };
            format!(
                "{}/dashboard/{site_key}?{}",
                base.trim_end_matches('/'),
                view.to_query()
            )
        })
    };
    let links = settings.public_url.as_ref().map(|base| Links {
        manage: format!("{}/admin/{org}/digest", base.trim_end_matches('/')),
        stop: crate::http::unsubscribe::link(base, &settings.unsubscribe_key, org, user),
    });
    let mut sent = 0;

    if schedule.alerts() {
        let (from, to) = schedule.alert_days(at);
        let mut changed = vec![];
        let mut directions = vec![];
        for site in &sites {
            let (current, previous) =
                digest::counts(store, org, site.id, schedule, from, to).await?;
            let told = store.last_digest_alert(org, user, site.id).await?;
            let Some(change) = digest::significant_change(&current, &previous) else {
                // Clearly steady again: the next real change is told (not one that merely
                // dipped under the threshold for a day).
                if told.is_some() && digest::steady(&current, &previous) {
                    store.clear_digest_alert(org, user, site.id).await?;
                }
                continue;
            };
            // Told once: not again while the same change lasts.
            if told.is_some_and(|(direction, _)| direction == change.direction()) {
                continue;
            }
            let themes = digest::themes(store, org, site.id, schedule, from, to).await?;
            let funnel = digest::funnel(store, org, site.id, schedule, from, to).await?;
            changed.push(SiteDigest::of(
                &site.name,
                &current,
                &previous,
                &funnel,
                &themes,
                link(site.site_key.as_str(), from, to),
            ));
            directions.push((site.id, change.direction()));
        }
        if !changed.is_empty() {
            let letter = Letter {
                kind: DigestKind::Alert,
                period: digest::period_text(from, to),
                sites: changed,
            };
            if send(store, mailer, due, &letter, links.as_ref()).await? {
                // Recorded once it went: a letter that failed is told again on the retry.
                for (site, direction) in directions {
                    store
                        .record_digest_alert(org, user, site, direction, now)
                        .await?;
                }
                sent += 1;
            }
        }
    }
    // A digest of a day already sent (the schedule saved again after it went) is not sent
    // twice.
    let sent_today = sub
        .last_sent_at
        .is_some_and(|last| schedule.same_day(last, at));
    if let Some((kind, from, to)) = schedule.digest_days(at).filter(|_| !sent_today) {
        let mut all = vec![];
        for site in &sites {
            let (current, previous) =
                digest::counts(store, org, site.id, schedule, from, to).await?;
            let themes = digest::themes(store, org, site.id, schedule, from, to).await?;
            let funnel = digest::funnel(store, org, site.id, schedule, from, to).await?;
            all.push(SiteDigest::of(
                &site.name,
                &current,
                &previous,
                &funnel,
                &themes,
                link(site.site_key.as_str(), from, to),
            ));
        }
        if !all.is_empty() {
            let letter = Letter {
                kind,
                period: digest::period_text(from, to),
                sites: all,
            };
            if send(store, mailer, due, &letter, links.as_ref()).await? {
                // The look's time, as the same-day guard compares it.
                store.digest_sent(org, user, at).await?;
                sent += 1;
            }
        }
    }
    Ok(sent)
}

/// Sends one letter by mail, or queues it to the member's webhook. `false`: nowhere to send it
/// (no relay; the webhook gone meanwhile), said in the log.
async fn send(
    store: &SharedStore,
    mailer: Option<&dyn Mailer>,
    due: &DueDigest,
    letter: &Letter,
    links: Option<&Links>,
) -> anyhow::Result<bool> {
    let manage = links.map(|l| l.manage.as_str());
    // A channel is shared: its readers must not hold the member's unsubscribe link.
    let webhook = due.subscription.webhook_id;
    let stop = links.filter(|_| webhook.is_none()).map(|l| l.stop.as_str());
    let org = due.subscription.org_id;
    let kind = letter.kind;
    let headline = digest::headline(kind, &letter.sites);
    let subject = format!("Farewell {}: {headline}", kind.word());
    let footer = match kind {
        DigestKind::Alert => "You asked to be told when an NPS changes by more than chance.",
        _ => "You asked for this digest.",
    };
    let view = LetterView {
        org_name: &due.org_name,
        kind: kind.word(),
        period: &letter.period,
        headline: &headline,
        sites: &letter.sites,
        footer,
        manage,
        stop,
    };
    let text = DigestText { v: &view }
        .render()
        .context("rendering a digest's text")?;
    if let Some(webhook) = webhook {
        let payload = serde_json::json!({
            "event": kind.event(),
            "organisation": due.org_name,
            "period": letter.period,
            "text": text,
        })
        .to_string();
        // Queued at the wall clock's time (a test looks at a chosen `now`).
        let queued = store
            .queue_summary(org, webhook, kind.event(), &payload, Utc::now())
            .await?;
        if queued {
            return Ok(true);
        }
        // Revoked since the look was read: to the member's e-mail instead.
        tracing::warn!(%org, "a digest's webhook is gone; sending it by mail");
        let by_mail = DueDigest {
            subscription: app::store::DigestSubscription {
                webhook_id: None,
                ..due.subscription.clone()
            },
            ..due.clone()
        };
        return Box::pin(send(store, mailer, &by_mail, letter, links)).await;
    }
    let Some(mailer) = mailer else {
        tracing::warn!(%org, "a digest is due but this server sends no mail");
        return Ok(false);
    };
    let html = DigestHtml {
        subject: &subject,
        v: &view,
    }
    .render()
    .context("rendering a digest's HTML")?;
    mailer
        .send(Message {
            to: due.email.clone(),
            reply_to: None,
            subject,
            text,
            html: Some(html),
            unsubscribe: stop.map(str::to_owned),
        })
        .await?;
    Ok(true)
}
