//! What an administrator sets beyond the administration page's sections, each on a page of its
//! own rendered on the server: per survey, the pages it opens on and its exit reason; per
//! webhook, its alert rules. This page lists them for every organisation the member
//! administers. (The administration bundle links here once: a link per item cost it bytes it
//! does not have.)

use super::guard::at_least;
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupItem {
    pub href: String,
    pub name: String,
    pub now: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupOfOrganisation {
    pub name: String,
    pub inbox: String,
    pub sites: Vec<SetupItem>,
    pub surveys: Vec<SetupItem>,
    pub webhooks: Vec<SetupItem>,
}

async fn load() -> Result<Vec<SetupOfOrganisation>, AppError> {
    let member = crate::auth::member_or_sign_in("/admin/setup").await?;
    let store = crate::auth::store()?;
    let mut out = vec![];
    for m in member
        .memberships
        .iter()
        .filter(|m| at_least(m.role, Role::Admin))
    {
        let mut surveys = vec![];
        let mut sites = vec![];
        for site in store.sites(m.org_id).await? {
            let attributes = store
                .site_attributes(m.org_id, site.id)
                .await?
                .unwrap_or_default();
            sites.push(SetupItem {
                href: format!("/admin/{}/sites/{}/attributes", m.org_id, site.id),
                name: site.name.clone(),
                now: if attributes.keys.is_empty() {
                    "attributes: none".into()
                } else {
                    format!(
                        "attributes: {} (at most {} values each)",
                        attributes.to_text(", "),
                        attributes.value_cap
                    )
                },
            });
            for s in store.surveys_extras(m.org_id, site.id).await? {
                surveys.push(SetupItem {
                    href: format!("/admin/{}/surveys/{}/pages", m.org_id, s.id),
                    name: format!("{} — {}", site.name, s.name),
                    now: format!(
                        "pages: {}; exit reason: {}",
                        s.pages.describe(),
                        s.reason.describe()
                    ),
                });
            }
        }
        let webhooks = store
            .webhooks(m.org_id)
            .await?
            .into_iter()
            .map(|w| SetupItem {
                href: format!("/admin/{}/webhooks/{}", m.org_id, w.id),
                name: w.url,
                now: w.rules,
            })
            .collect();
        out.push(SetupOfOrganisation {
            name: m.org_name.clone(),
            inbox: format!("/admin/{}/inbox", m.org_id),
            sites,
            surveys,
            webhooks,
        });
    }
    Ok(out)
}

/// The way back from each of these pages: to the administration, and to this list.
#[component]
pub(super) fn SetupCrumbs() -> impl IntoView {
    view! {
        <p class="crumbs"><a href="/admin" rel="external">"← Administration"</a>" · "<a href="/admin/setup">"Pages, exit reasons and alert rules"</a></p>
    }
}

/// A page's data shown by `show`, or why not: another organisation's item, and a viewer's
/// request, find nothing (a viewer learns no more than another organisation does).
pub(super) fn found<T>(result: Result<T, AppError>, show: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(data) => show(data),
        Err(AppError::NotFound | AppError::Forbidden) => {
            crate::not_found_status();
            view! { <p>"Not found."</p> }.into_any()
        }
        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
    }
}

fn items(list: Vec<SetupItem>, empty: &'static str) -> AnyView {
    if list.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|i| {
            view! {
                <li><a href=i.href>{i.name}</a><br /><span class="hint">{i.now}</span></li>
            }
        })
        .collect_view();
    view! { <ul class="setup">{rows}</ul> }.into_any()
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| load());
    view! {
        <Title text="Pages, exit reasons and alert rules · Farewell" />
        <main class="page narrow admin">
            <p class="crumbs"><a href="/admin" rel="external">"← Administration"</a></p>
            <h1>"Pages, exit reasons and alert rules"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(orgs) if orgs.is_empty() => view! {
                            <p>"You administer no organisation."</p>
                        }.into_any(),
                        Ok(orgs) => orgs
                            .into_iter()
                            .map(|o| view! {
                                <section class="panel">
                                    <h2>{o.name}</h2>
                                    <p><a href=o.inbox.clone()>"Follow-up inbox"</a>": answers whose visitor asked to be contacted. "<a href=o.inbox.replace("/inbox", "/digest")>"Your digest"</a>": by e-mail or to a chat webhook."</p>
                                    <h3>"Sites: attributes (segments such as plan)"</h3>
                                    {items(o.sites, "No site yet.")}
                                    <h3>"Surveys: pages they open on, exit reason"</h3>
                                    {items(o.surveys, "No survey yet.")}
                                    <h3>"Webhooks: alert rules"</h3>
                                    {items(o.webhooks, "No webhook yet.")}
                                </section>
                            })
                            .collect_view()
                            .into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
