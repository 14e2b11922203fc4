//! A member's own digest of an organisation (`/admin/{org}/digest`): daily or weekly at an hour
//! of their time zone, and alerts when an NPS changes by more than chance; by e-mail, or to a
//! chat webhook of the organisation (owners and admins). Rendered whole on the server.

use super::feedback::Feedback;
use super::guard::{acting, at_least};
use crate::domain::Role;
use crate::error::AppError;
use crate::report::digest::DigestSchedule;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DigestView {
    pub org_name: String,
    pub email: String,
    pub cadence: String,
    pub zone: String,
    pub hour: u8,
    pub weekday: u8,
    pub alerts: bool,
    pub to: String,
    /// Webhooks a digest may go to (owners and admins only): id and address.
    pub webhooks: Vec<(String, String)>,
    pub mail: bool,
    pub now: String,
    pub last_sent: Option<String>,
}

async fn load(org: String) -> Result<DigestView, AppError> {
    crate::auth::member_or_sign_in(&format!("/admin/{org}/digest")).await?;
    crate::error::with_status(read(org).await)
}

async fn read(org: String) -> Result<DigestView, AppError> {
    let zone = crate::dashboard::site::viewer_zone().unwrap_or_else(|| "UTC".into());
    let mail = crate::mail::configured();
    let who = acting(&org, Role::Viewer).await?;
    let me = who.member.user_id;
    let email = who
        .store
        .members(who.org())
        .await?
        .into_iter()
        .find(|m| m.user_id == me)
        .map(|m| m.email)
        .unwrap_or_default();
    let webhooks = if at_least(who.membership.role, Role::Admin) {
        who.store
            .webhooks(who.org())
            .await?
            .into_iter()
            .map(|w| (w.id.to_string(), w.url))
            .collect()
    } else {
        vec![]
    };
    let sub = who.store.digest_subscription(who.org(), me).await?;
    let schedule = sub.as_ref().map(|s| s.schedule.clone());
    Ok(DigestView {
        org_name: who.membership.org_name.clone(),
        email,
        cadence: schedule
            .as_ref()
            .map_or("off", |s| s.cadence().as_str())
            .into(),
        zone: schedule.as_ref().map_or(zone, |s| s.zone().to_string()),
        hour: schedule.as_ref().map_or(8, |s| s.hour()),
        weekday: schedule.as_ref().map_or(1, |s| s.weekday()),
        alerts: schedule.as_ref().is_some_and(|s| s.alerts()),
        // Without a relay, e-mail is no choice: the first webhook is offered instead.
        to: sub
            .as_ref()
            .and_then(|s| s.webhook_id)
            .map(|w| w.to_string())
            .or_else(|| {
                (!mail)
                    .then(|| webhooks.first().map(|(id, _)| id.clone()))
                    .flatten()
            })
            .unwrap_or_default(),
        webhooks,
        mail,
        now: schedule.map_or("no digest, no alerts".into(), |s| s.describe()),
        last_sent: sub
            .and_then(|s| s.last_sent_at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
    })
}

/// Saves the signed-in member's digest of the organisation. Any member, for themselves; a
/// webhook as the destination only for owners and admins. Audited.
#[server(prefix = "/fn", endpoint = "save_digest")]
pub async fn save_digest(
    org: String,
    cadence: String,
    #[server(default)] zone: String,
    #[server(default)] hour: String,
    #[server(default)] weekday: String,
    #[server(default)] alerts: Option<String>,
    #[server(default)] to: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let mail = crate::mail::configured();
            let who = acting(&org, Role::Viewer).await?;
            let schedule =
                DigestSchedule::parse(&cadence, &zone, &hour, &weekday, alerts.is_some())?;
            let webhook = match to.trim() {
                "" => None,
                raw => {
                    if !at_least(who.membership.role, Role::Admin) {
                        return Err(AppError::invalid(
                            "to",
                            "only owners and admins may send a digest to a webhook",
                        ));
                    }
                    Some(
                        Uuid::parse_str(raw)
                            .map_err(|_| AppError::invalid("to", "is not a webhook"))?,
                    )
                }
            };
            if webhook.is_none() && schedule.active() && !mail {
                return Err(AppError::invalid(
                    "to",
                    "this server sends no e-mail (no SMTP relay is set up): choose a chat webhook, or ask whoever runs Farewell to set one up",
                ));
            }
            let next = schedule.next_run_after(chrono::Utc::now());
            if !who
                .store
                .save_digest_subscription(who.org(), who.member.user_id, &schedule, webhook, next)
                .await?
            {
                return Err(AppError::invalid("to", "is not a webhook of this organisation"));
            }
            let to = webhook.map_or("e-mail".to_string(), |w| format!("webhook {w}"));
            who.audit("digest.schedule", format!("{}; to {to}", schedule.describe()))
                .await
        }
        .await,
    )
}

#[component]
pub fn DigestPage(org: String) -> impl IntoView {
    let page = {
        let org = org.clone();
        Resource::new_blocking(|| (), move |_| load(org.clone()))
    };
    view! {
        <Title text="Digest · Farewell" />
        <main class="page narrow admin">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboards"</a></p>
            <h1>"Your digest"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        super::setup::found(page.await, |data| view! { <DigestForm data org /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

fn choice(value: String, label: String, current: &str) -> impl IntoView {
    let selected = value == current;
    view! { <option value=value selected=selected>{label}</option> }
}

#[component]
fn DigestForm(data: DigestView, org: String) -> impl IntoView {
    let save = ServerAction::<SaveDigest>::new();
    let feedback = Feedback::new(save);
    let current = data.cadence.clone();
    let cadence = move |value: &'static str, label: &'static str| {
        let checked = current == value;
        view! { <label class="check"><input type="radio" name="cadence" value=value checked=checked />{label}</label> }
    };
    let hour = data.hour.to_string();
    let hours = (0..24)
        .map(|h| choice(h.to_string(), format!("{h:02}:00"), &hour))
        .collect_view();
    let weekday = data.weekday.to_string();
    let days = crate::report::digest::WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| choice((i + 1).to_string(), d.to_string(), &weekday))
        .collect_view();
    // Chosen unless a webhook is: a form sent back without `to` (a disabled choice is not
    // sent) still shows what it means, not an empty box.
    let mail_chosen = !data.webhooks.iter().any(|(id, _)| *id == data.to);
    let by_mail = if data.mail {
        view! { <option value="" selected=mail_chosen>{format!("My e-mail ({})", data.email)}</option> }.into_any()
    } else {
        view! { <option value="" disabled selected=mail_chosen>"My e-mail (this server sends no e-mail)"</option> }.into_any()
    };
    let destinations = data
        .webhooks
        .iter()
        .map(|(id, url)| choice(id.clone(), format!("Webhook {url}"), &data.to))
        .collect_view();
    view! {
        <p>{format!("{}: NPS, its change with the verdict of the period test, top themes, the number of answers and the response rate of each site.", data.org_name)}</p>
        {(!data.mail).then(|| {
            let none = data.webhooks.is_empty();
            view! {
                <p class="hint warning">
                    "This server sends no e-mail (no SMTP relay is set up): a digest can go to a chat webhook only. "
                    {none.then(|| view! {
                        "There is none you can choose yet: an owner or admin adds one (Slack, Microsoft Teams or Mattermost) under Webhooks in "
                        <a href="/admin" rel="external">"Administration"</a>
                        "."
                    })}
                </p>
            }
        })}
        <ActionForm action=save attr:class="stack digest-form">
            <input type="hidden" name="org" value=org />
            <fieldset>
                <legend>"Digest"</legend>
                {cadence("off", " None")}
                {cadence("daily", " Daily (yesterday's answers)")}
                {cadence("weekly", " Weekly (the seven days before)")}
                {feedback.at("cadence")}
            </fieldset>
            <label for="weekday">"Day of a weekly digest"</label>
            <select id="weekday" name="weekday">{days}</select>
            {feedback.at("weekday")}
            <label for="hour">"Hour"</label>
            <select id="hour" name="hour">{hours}</select>
            {feedback.at("hour")}
            <label for="zone">"Time zone"</label>
            <input id="zone" name="zone" value=data.zone.clone() maxlength="64" autocomplete="off" aria-describedby="zone-hint" />
            <span class="hint" id="zone-hint">"A name like Europe/Helsinki or America/New_York."</span>
            {feedback.at("zone")}
            <label class="check"><input type="checkbox" name="alerts" checked=data.alerts />" Alert me when a site's NPS changes by more than chance (last 7 days against the 7 before, at least 30 answers in each; looked at daily at that hour)"</label>
            <label for="to">"Send to"</label>
            <select id="to" name="to">{by_mail}{destinations}</select>
            {feedback.at("to")}
            <button type="submit">"Save"</button>
            {feedback.saved("Saved.")}
            {feedback.rest()}
        </ActionForm>
        <p class="hint">"Now: "{data.now.clone()}{data.last_sent.clone().map(|t| format!("; last sent {t}"))}"."</p>
    }
}
