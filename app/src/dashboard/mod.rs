//! The product manager's side: sign-in and the NPS dashboard.

pub mod charts;
pub mod drivers;
pub mod numbers;
pub mod site;
pub mod themes;

use crate::domain::Role;
use crate::error::AppError;
use crate::nps::Summary;
pub use crate::report::Funnel;
use leptos::prelude::*;
use leptos_meta::Title;
pub use numbers::Numbers;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub organisations: Vec<OrganisationOverview>,
    /// How the viewer writes numbers.
    #[serde(default)]
    pub numbers: Numbers,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganisationOverview {
    pub name: String,
    pub role: Role,
    pub sites: Vec<SiteOverview>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteOverview {
    pub name: String,
    pub site_key: String,
    /// Band counts only: the browser derives NPS and its interval with the same core.
    pub summary: Summary,
    pub funnel: Funnel,
}

#[server(prefix = "/fn", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    // A wrong password is a 422 and a throttled attempt a 429, never a 500.
    crate::error::with_status(crate::auth::sign_in(&email, password).await)?;
    // Back to the page that asked for a sign-in, if it is one of this host's.
    let to = next
        .as_deref()
        .and_then(crate::auth::return_path)
        .unwrap_or("/dashboard");
    leptos_axum::redirect(to);
    Ok(())
}

#[server(prefix = "/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::auth::sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "dashboard_overview")]
pub async fn dashboard_overview() -> Result<Overview, AppError> {
    let store = crate::auth::store()?;
    let member = crate::auth::member_or_sign_in("/dashboard").await?;
    let mut organisations = Vec::new();
    for membership in member.memberships {
        let mut sites = Vec::new();
        for site in store.sites(membership.org_id).await? {
            let counts = store
                .score_counts(
                    membership.org_id,
                    site.id,
                    crate::store::TimeRange::all_time(),
                )
                .await?;
            let funnel = store
                .impression_counts(
                    membership.org_id,
                    site.id,
                    &crate::store::AnswerFilter::default(),
                    crate::store::TimeRange::all_time(),
                )
                .await?;
            sites.push(SiteOverview {
                name: site.name,
                site_key: site.site_key,
                summary: counts.summary(),
                funnel,
            });
        }
        organisations.push(OrganisationOverview {
            name: membership.org_name,
            role: membership.role,
            sites,
        });
    }
    Ok(Overview {
        organisations,
        numbers: Numbers::of_this_request(),
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    // Where the member was going before being asked to sign in.
    let next = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("next")
        .unwrap_or_default();
    // The reason alone: "email: …" would show the form's internal field name.
    let error = move || match sign_in.value().get() {
        Some(Err(crate::error::AppError::Invalid(refused))) => Some(refused.reason),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <Title text="Sign in · Farewell" />
        <main class="page narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=sign_in attr:class="stack">
                <input type="hidden" name="next" value=next />
                <label for="email">"E-mail"</label>
                <input id="email" type="email" name="email" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                />
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" disabled=move || sign_in.pending().get()>"Sign in"</button>
            </ActionForm>
        </main>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| dashboard_overview());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Title text="Dashboard · Farewell" />
        <main class="page">
            <header class="topbar">
                <h1>"Dashboard"</h1>
                // Pages of the administration bundle: a full load (app/src/bundles.rs).
                <nav class="account-links"><a href="/admin" rel="external">"Administration"</a>" · "<a href="/account" rel="external">"Account"</a></nav>
                <ActionForm action=sign_out>
                    <button type="submit" class="link">"Sign out"</button>
                </ActionForm>
            </header>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <OverviewView overview /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn OverviewView(overview: Overview) -> impl IntoView {
    let numbers = overview.numbers;
    overview
        .organisations
        .into_iter()
        .map(|org| {
            view! {
                <section class="organisation">
                    <h2>{org.name}" "<small>"(" {org.role.as_str()} ")"</small></h2>
                    {org.sites.into_iter().map(|site| view! { <SiteCard site numbers /> }).collect_view()}
                </section>
            }
        })
        .collect_view()
}

#[component]
fn SiteCard(site: SiteOverview, numbers: Numbers) -> impl IntoView {
    let s = site.summary;
    let body = match (s.nps(), s.adjusted_wald_ci95()) {
        (Some(nps), Some(ci)) => view! {
            <p class="nps"><span class="nps-value" data-nps=format!("{nps:.4}")>{numbers.signed(nps)}</span>" NPS"</p>
            <p class="ci">
                "Likely between "
                <span class="ci-lo">{numbers.one_decimal(ci.lo)}</span>
                " and "
                <span class="ci-hi">{numbers.one_decimal(ci.hi)}</span>
                " (95 % interval). All answers so far: open the site for a period."
            </p>
            <dl class="counts">
                <dt>"Answers"</dt><dd class="n">{numbers.count(s.n())}</dd>
                <dt>"Promoters"</dt><dd class="promoters">{numbers.count(s.promoters)}</dd>
                <dt>"Passives"</dt><dd class="passives">{numbers.count(s.passives)}</dd>
                <dt>"Detractors"</dt><dd class="detractors">{numbers.count(s.detractors)}</dd>
            </dl>
        }
        .into_any(),
        _ => view! { <p class="empty">"No answers yet."</p><dl class="counts"><dt>"Answers"</dt><dd class="n">"0"</dd></dl> }.into_any(),
    };
    view! {
        <article class="site-card" data-site-key=site.site_key.clone()>
            <h3><a href=format!("/dashboard/{}", site.site_key) class="open-site">{site.name}</a></h3>
            <p class="hint">"Survey link: "<a href=format!("/s/{}", site.site_key) rel="external">{format!("/s/{}", site.site_key)}</a></p>
            {body}
            <site::FunnelView funnel=site.funnel numbers />
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_rate_is_answered_per_shown() {
        assert_eq!(Funnel::default().response_rate(), None);
        let f = Funnel {
            shown: 8,
            dismissed: 3,
            answered: 2,
        };
        assert_eq!(f.response_rate(), Some(0.25));
    }
}
