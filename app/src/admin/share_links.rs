//! Share links: revocable, read-only, k-anonymous aggregated reports of one site.

use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use super::{acting, parse_id};
use super::{loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::{ShareLinkRecord, Site};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use chrono::Utc;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the share links section shows and offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareLinksData {
    pub links: Vec<ShareLinkRecord>,
    /// The sites a new link may share.
    pub sites: Vec<Site>,
    /// Share links never show a group of fewer answers than this.
    pub k: u32,
}

#[server(prefix = "/fn", endpoint = "share_links_section")]
pub async fn share_links_section(org: String) -> Result<ShareLinksData, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let settings = who.store.share_settings(who.org()).await?;
    Ok(ShareLinksData {
        links: who.store.share_links(who.org()).await?,
        sites: who.store.sites(who.org()).await?,
        k: settings.k,
    })
}

/// A revocable, unguessable link to the site's aggregated report over the last `days` days:
/// whole periods of four weeks (see `report::share`: why no other lengths).
#[server(prefix = "/fn", endpoint = "create_share_link")]
pub async fn create_share_link(
    org: String,
    site: String,
    days: String,
) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let site = parse_id("site", &site)?;
    use crate::report::share::{MAX_PERIODS, PERIOD_DAYS};
    let days = match days.trim().parse::<u32>() {
        Ok(d) if d % PERIOD_DAYS == 0 && (1..=MAX_PERIODS).contains(&(d / PERIOD_DAYS)) => d,
        _ => {
            let reason = format!(
                "must be whole periods of four weeks: {PERIOD_DAYS} to {} days",
                PERIOD_DAYS * MAX_PERIODS
            );
            return Err(AppError::invalid("days", &reason));
        }
    };
    let (token, hash) = crate::tokens::new_share_token();
    let id = who
        .store
        .create_share_link(who.org(), site, &hash, days)
        .await?
        .ok_or(AppError::NotFound)?;
    who.audit("share.create", format!("{id} for site {site}, {days} days"))
        .await?;
    Ok(format!("/share/{token}"))
}

#[server(prefix = "/fn", endpoint = "revoke_share_link")]
pub async fn revoke_share_link(org: String, id: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let id = parse_id("id", &id)?;
    if !who
        .store
        .revoke_share_link(who.org(), id, Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    who.audit("share.revoke", id.to_string()).await
}

/// The smallest group a share link may show (at least 2; 10 by default).
#[server(prefix = "/fn", endpoint = "set_share_k")]
pub async fn set_share_k(org: String, k: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let k = match k.trim().parse::<u32>() {
        Ok(k @ 2..=1000) => k,
        _ => return Err(AppError::invalid("k", "must be 2 to 1000")),
    };
    let settings = crate::store::ShareSettings { k };
    if !who.store.set_share_settings(who.org(), &settings).await? {
        return Err(AppError::invalid(
            "k",
            "cannot change once a share link has been made: pages under two values of k could be compared to reveal a small group",
        ));
    }
    who.audit("share.k", k.to_string()).await
}

#[component]
pub fn ShareLinks(
    org: OrganisationHeader,
    base: String,
    sites_changed: Signal<usize>,
) -> impl IntoView {
    let share = ServerAction::<CreateShareLink>::new();
    crate::plain_form::show_output(share, &[("org", &org.id.to_string())]);
    let unshare = ServerAction::<RevokeShareLink>::new();
    let share_k = ServerAction::<SetShareK>::new();
    let org_id = org.id.to_string();
    let section = {
        let org_id = org_id.clone();
        let (shared, unshared, k_set) = (successes(share), successes(unshare), successes(share_k));
        Resource::new(
            move || {
                (
                    shared.get(),
                    unshared.get(),
                    k_set.get(),
                    sites_changed.get(),
                )
            },
            move |_| share_links_section(org_id.clone()),
        )
    };
    let created = move || match share.value().get() {
        Some(Ok(path)) => Some(view! {
            <p>"Share this link: "<input class="share-link" readonly size="60" value=format!("{base}{path}") /></p>
        }),
        _ => None,
    };
    let (shared, unshared, k_set) = (
        Feedback::new(share),
        Feedback::new(unshare),
        Feedback::new(share_k),
    );
    let (on_share, on_k) = (shared, k_set);
    let show = move |s: ShareLinksData| {
        let site_name = |site: uuid::Uuid| {
            s.sites
                .iter()
                .find(|x| x.id == site)
                .map(|x| x.name.clone())
                .unwrap_or_default()
        };
        let links = s
            .links
            .clone()
            .into_iter()
            .map(|l| {
                let (org, id) = (org_id.clone(), l.id.to_string());
                let question = format!(
                    "Revoke the link to {}? Whoever has it sees nothing from now on.",
                    site_name(l.site_id)
                );
                view! {
                    <li>
                        {format!(
                            "{} — last {} weeks, created {}",
                            site_name(l.site_id),
                            crate::report::share::periods_for(l.days) * 4,
                            l.created_at.format("%Y-%m-%d"),
                        )}
                        <ActionForm action=unshare attr:class="inline">
                            <input type="hidden" name="org" value=org />
                            <input type="hidden" name="id" value=id />
                            <Confirm label="Revoke" question />
                        </ActionForm>
                    </li>
                }
            })
            .collect_view();
        let sites = s
            .sites
            .iter()
            .map(|x| view! { <option value=x.id.to_string()>{x.name.clone()}</option> })
            .collect_view();
        let (o1, o2) = (org_id.clone(), org_id.clone());
        let k = s.k.to_string();
        view! {
            <ul class="share-links">{links}</ul>
            <ActionForm action=share attr:class="inline">
                <input type="hidden" name="org" value=o1 />
                <label>"Site "<select name="site">{sites}</select></label>
                <label>"Covering "<select name="days">
                    <option value="28">"the last 4 weeks"</option>
                    <option value="84" selected>"the last 12 weeks"</option>
                    <option value="168">"the last 24 weeks"</option>
                    <option value="364">"the last 52 weeks"</option>
                </select></label>
                {on_share.at("days")}
                <button type="submit">"Create share link"</button>
            </ActionForm>
            <ActionForm action=share_k attr:class="share-k">
                <input type="hidden" name="org" value=o2 />
                <label>"Smallest group shown (k): "<input name="k" type="number" min="2" max="1000" value=k size="5" /></label>
                <span class="hint">" Set it before the first link: it cannot change after."</span>
                {on_k.at("k")}
                <button type="submit">"Save"</button>
                {on_k.saved("Saved.")}
            </ActionForm>
        }
    };
    view! {
        <section class="panel">
            <h3>"Share links"</h3>
            <p class="hint">"A read-only, aggregated report: trend and segments, no comments. Answers are counted in fixed periods of four weeks (UTC); a group is shown only where it has at least k answers in every period, so that no two links, or two days' views of one, can be compared to reveal a small group."</p>
            {shared.rest()}
            {unshared.rest()}
            {unshared.saved("Link revoked.")}
            {k_set.rest()}
            {created}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let show = show.clone();
                    Suspend::new(async move { loaded(section.await, show) })
                }}
            </Suspense>
        </section>
    }
}
