//! Webhooks: signed deliveries of answers to a URL the organisation names, and their history.

use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use super::{acting, parse_id};
use super::{loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::{DeliveryRecord, WebhookRecord};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use chrono::Utc;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhooksData {
    pub webhooks: Vec<WebhookRecord>,
    /// The newest deliveries, for the history.
    pub deliveries: Vec<DeliveryRecord>,
}

#[server(prefix = "/fn", endpoint = "webhooks_section")]
pub async fn webhooks_section(org: String) -> Result<WebhooksData, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(WebhooksData {
        webhooks: who.store.webhooks(who.org()).await?,
        deliveries: who.store.deliveries(who.org(), 30).await?,
    })
}

/// A webhook destination as saved: its shape, and every address its name resolves to now (the
/// delivery checks again, on the address it connects to).
#[cfg(feature = "ssr")]
async fn checked_webhook_url(
    raw: &str,
    rules: crate::domain::WebhookRules,
) -> Result<crate::domain::WebhookUrl, AppError> {
    let url = crate::domain::WebhookUrl::parse(raw, rules)?;
    if let Some((host, port)) = url.host_to_resolve() {
        let addresses: Vec<std::net::IpAddr> = tokio::net::lookup_host((host, port))
            .await
            .map(|found| found.map(|a| a.ip()).collect())
            .unwrap_or_default();
        crate::domain::check_resolved(&addresses, rules)?;
    }
    Ok(url)
}

#[server(prefix = "/fn", endpoint = "create_webhook")]
pub async fn create_webhook(
    org: String,
    url: String,
    #[server(default)] response_created: Option<String>,
    #[server(default)] detractor_received: Option<String>,
) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let rules = use_context::<crate::domain::WebhookRules>().unwrap_or_default();
    let url = checked_webhook_url(&url, rules).await?;
    // A chat's incoming webhook is known by its address (no choice for the form to carry).
    let format = crate::domain::WebhookFormat::of_url(url.as_str());
    let mut events = vec![];
    if response_created.is_some() {
        events.push("response.created".to_string());
    }
    if detractor_received.is_some() {
        events.push("detractor.received".to_string());
    }
    if events.is_empty() {
        return Err(AppError::invalid("events", "choose at least one event"));
    }
    let secret = format!("whsec_{}", crate::tokens::random_hex(24));
    let id = who
        .store
        .create_webhook(who.org(), url.as_str(), &secret, &events, format)
        .await?;
    who.audit(
        "webhook.create",
        format!("{id} for {} as {}", events.join(","), format.as_str()),
    )
    .await?;
    Ok(secret)
}

#[server(prefix = "/fn", endpoint = "revoke_webhook")]
pub async fn revoke_webhook(org: String, id: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let id = parse_id("id", &id)?;
    if !who.store.revoke_webhook(who.org(), id, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    who.audit("webhook.revoke", id.to_string()).await
}

#[component]
pub fn Webhooks(org: OrganisationHeader) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    crate::plain_form::show_output(create, &[("org", &org.id.to_string())]);
    let revoke = ServerAction::<RevokeWebhook>::new();
    // The history changes without any action here: it can be read again.
    let refresh = RwSignal::new(0usize);
    let org_id = org.id.to_string();
    let section = {
        let org_id = org_id.clone();
        let (created, removed) = (successes(create), successes(revoke));
        Resource::new(
            move || (created.get(), removed.get(), refresh.get()),
            move |_| webhooks_section(org_id.clone()),
        )
    };
    let secret = move || match create.value().get() {
        Some(Ok(secret)) => Some(view! {
            <p>"Signing secret, shown only now: "<input class="webhook-secret" readonly size="56" value=secret /></p>
        }),
        _ => None,
    };
    let show = {
        let org_id = org_id.clone();
        move |s: WebhooksData| {
            let hooks = s
                .webhooks
                .into_iter()
                .map(|w| {
                    let (org, id) = (org_id.clone(), w.id.to_string());
                    let question = format!(
                        "Remove the webhook to {}? Nothing more is sent to it.",
                        w.url
                    );
                    view! {
                        <li>
                            <code>{w.url.clone()}</code>{format!(" — {}", w.events.join(", "))}
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="org" value=org />
                                <input type="hidden" name="id" value=id />
                                <Confirm label="Remove" question />
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view();
            let history = s
                .deliveries
                .into_iter()
                .map(|d| {
                    view! {
                        <tr class=d.state.clone()>
                            <td>{d.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td>{d.event.clone()}</td>
                            <td>{d.state.clone()}</td>
                            <td>{d.attempts}</td>
                            <td>{d.last_status.map(|s| s.to_string()).unwrap_or_default()}</td>
                            <td>{d.last_error.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <ul class="webhooks">{hooks}</ul>
                <table class="deliveries"><thead><tr><th>"Created"</th><th>"Event"</th><th>"State"</th><th>"Attempts"</th><th>"Status"</th><th>"Error"</th></tr></thead>
                <tbody>{history}</tbody></table>
            }
        }
    };
    let (made, removed) = (Feedback::new(create), Feedback::new(revoke));
    view! {
        <section class="panel">
            <h3>"Webhooks"</h3>
            <p class="hint">"A JSON POST signed by Farewell-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">, or a Slack, Teams or Mattermost message; retried for about a day."</p>
            <ActionForm action=create attr:class="inline">
                <input type="hidden" name="org" value=org_id />
                <label>"URL "<input name="url" type="url" required size="40" placeholder="https://hooks.example/farewell" /></label>
                {made.at("url")}
                <label><input type="checkbox" name="response_created" checked />" every answer"</label>
                <label><input type="checkbox" name="detractor_received" />" detractors"</label>
                {made.at("events")}

                <button type="submit">"Add webhook"</button>
            </ActionForm>
            {made.rest()}
            {removed.rest()}
            {removed.saved("Webhook removed.")}
            {secret}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let show = show.clone();
                    Suspend::new(async move { loaded(section.await, show) })
                }}
            </Suspense>
            <button type="button" class="link" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh the history"</button>
        </section>
    }
}
