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
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    org_name: &'a str,
    kind: &'a str,
    period: &'a str,
    headline: &'a str,
    sites: &'a [SiteDigest],
    footer: &'a str,
    manage: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    org_name: &'a str,
    kind: &'a str,
    period: &'a str,
    headline: &'a str,
    sites: &'a [SiteDigest],
    footer: &'a str,
    manage: Option<&'a str>,
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
        let schedule = &due.subscription.schedule;
        let next = schedule.next_run_after(now);
        // Another app server took this look first.
        if !store
            .take_digest_run(
                due.subscription.org_id,
                due.subscription.user_id,
                due.subscription.next_run_at,
                next,
            )
            .await?
        {
            continue;
        }
        match run_one(store, mailer, settings, &due, now).await {
            Ok(n) => sent += n,
            // One member's failure (a relay down) is not every member's: logged, and the next
            // look is tomorrow's.
            Err(e) => tracing::warn!(error = %e, org = %due.subscription.org_id, "one digest"),
        }
    }
    Ok(sent)
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
    let sites = store.sites(org).await?;
    let link = |site_key: &str, from: chrono::NaiveDate, to: chrono::NaiveDate| {
        settings.public_url.as_ref().map(|base| {
            format!(
                "{}/dashboard/{site_key}?from={from}&to={to}&tz={}",
                base.trim_end_matches('/'),
                schedule.zone()
            )
        })
    };
    let manage = settings
        .public_url
        .as_ref()
        .map(|base| format!("{}/admin/{org}/digest", base.trim_end_matches('/')));
    let mut letters: Vec<(DigestKind, String, Vec<SiteDigest>)> = vec![];

    if schedule.alerts() {
        let (from, to) = schedule.alert_days(now);
        let mut changed = vec![];
        for site in &sites {
            let (current, previous) =
                digest::counts(store, org, site.id, schedule, from, to).await?;
            let Some(change) = digest::significant_change(&current, &previous) else {
                continue;
            };
            // Told once: not again while the same change lasts (a week).
            if let Some((direction, at)) = store.last_digest_alert(org, user, site.id).await? {
                if direction == change.direction() && now - at < Duration::days(7) {
                    continue;
                }
            }
            store
                .record_digest_alert(org, user, site.id, change.direction(), now)
                .await?;
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
        }
        if !changed.is_empty() {
            letters.push((DigestKind::Alert, digest::period_text(from, to), changed));
        }
    }
    if let Some((kind, from, to)) = schedule.digest_days(now) {
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
            letters.push((kind, digest::period_text(from, to), all));
        }
    }

    let mut sent = 0;
    for (kind, period, sites) in letters {
        let headline = digest::headline(kind, &sites);
        let subject = format!("Farewell {}: {headline}", kind.word());
        let footer = match kind {
            DigestKind::Alert => "You asked to be told when an NPS changes by more than chance.",
            _ => "You asked for this digest.",
        };
        let text = DigestText {
            org_name: &due.org_name,
            kind: kind.word(),
            period: &period,
            headline: &headline,
            sites: &sites,
            footer,
            manage: manage.as_deref(),
        }
        .render()
        .context("rendering a digest's text")?;
        match sub.webhook_id {
            Some(webhook) => {
                let payload = serde_json::json!({
                    "event": kind.event(),
                    "organisation": due.org_name,
                    "period": period,
                    "text": text,
                })
                .to_string();
                if !store
                    // Queued at the wall clock's time (a test looks at a chosen `now`).
                    .queue_summary(org, webhook, kind.event(), &payload, Utc::now())
                    .await?
                {
                    tracing::warn!(%org, "a digest's webhook is gone; nothing sent");
                    continue;
                }
            }
            None => {
                let Some(mailer) = mailer else {
                    tracing::warn!(%org, "a digest is due but this server sends no mail");
                    continue;
                };
                let html = DigestHtml {
                    subject: &subject,
                    org_name: &due.org_name,
                    kind: kind.word(),
                    period: &period,
                    headline: &headline,
                    sites: &sites,
                    footer,
                    manage: manage.as_deref(),
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
                    })
                    .await?;
            }
        }
        sent += 1;
    }
    if sent > 0 {
        store.digest_sent(org, user, now).await?;
    }
    Ok(sent)
}
