//! Administration, one file per feature: members, invitations, API tokens, sites (with their
//! embed snippets), surveys, privacy notices, retention, share links, webhooks, data-subject
//! requests, the audit log, and the member's own account. Each file holds its server functions,
//! the loader of its section and its component; a section loads and reloads only its own data.
//! Every server function checks the caller's role in the organisation named (`guard::acting`):
//! another organisation is `NotFound`, a viewer `Forbidden`.

mod account;
mod audit;
mod data_requests;
#[cfg(feature = "ssr")]
mod digest;
pub(crate) mod feedback;
mod forms;
#[cfg(feature = "ssr")]
mod guard;
#[cfg(feature = "ssr")]
mod inbox;
mod invitations;
mod members;
mod notices;
mod retention;
#[cfg(feature = "ssr")]
mod setup;
mod share_links;
#[cfg(feature = "ssr")]
mod site_attributes;
mod sites;
#[cfg(feature = "ssr")]
mod survey_pages;
#[cfg(feature = "ssr")]
mod survey_reason;
mod surveys;
mod tokens;
#[cfg(feature = "ssr")]
mod webhook_rules;
mod webhooks;

pub use account::AccountPage;
#[cfg(feature = "ssr")]
pub use data_requests::find as find_answers_of;
pub use data_requests::search_terms;
pub use feedback::sentence;
pub use invitations::{InvitePage, INVITATION_DAYS};
#[cfg(feature = "ssr")]
pub use setup::SetupPage;

use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use guard::{acting, at_least, base_url, parse_id, parse_role};

/// The organisations the member administers, each as its sections need to know it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Administration {
    /// `https://host`: what the embed snippet and the links handed out start with.
    pub base_url: String,
    pub organisations: Vec<OrganisationHeader>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganisationHeader {
    pub id: Uuid,
    pub name: String,
    /// The member's own role in it.
    pub role: Role,
    /// The member's user id.
    pub me: Uuid,
}

#[server(prefix = "/fn", endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<Administration, AppError> {
    let member = crate::auth::member_or_sign_in("/admin").await?;
    let organisations = member
        .memberships
        .iter()
        .filter(|m| at_least(m.role, Role::Admin))
        .map(|m| OrganisationHeader {
            id: m.org_id,
            name: m.org_name.clone(),
            role: m.role,
            me: member.user_id,
        })
        .collect();
    Ok(Administration {
        base_url: base_url().await,
        organisations,
    })
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| admin_overview());
    view! {
        <Title text="Administration · Farewell" />
        <main class="page wide admin">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboard"</a>" · "<a href="/account">"Account"</a>" · "<a href="/admin/setup" rel="external">"Pages, reasons and alerts"</a></p>
            <h1>"Administration"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) if o.organisations.is_empty() => view! {
                            <p>"You administer no organisation. Ask an owner or admin for the admin role."</p>
                        }.into_any(),
                        Ok(o) => {
                            let base = o.base_url.clone();
                            o.organisations
                                .into_iter()
                                .map(|org| view! { <Organisation org base=base.clone() /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// One organisation's sections, each loading its own data.
#[component]
fn Organisation(org: OrganisationHeader, base: String) -> impl IntoView {
    // Share links offer the sites as they stand: they reload when a site is added or renamed.
    let site_actions = sites::SiteActions::default();
    view! {
        <section class="organisation" data-org=org.id.to_string()>
            <h2>{org.name.clone()}" "<small>"(" {org.role.as_str()} ")"</small></h2>
            <section class="panel">
                <h3>"Members"</h3>
                <members::Members org=org.clone() />
                <invitations::Invitations org=org.clone() base=base.clone() />
            </section>
            <tokens::Tokens org=org.clone() />
            <sites::Sites org=org.clone() base=base.clone() actions=site_actions />
            <notices::Notices org=org.clone() />
            <retention::Retention org=org.clone() />
            <share_links::ShareLinks org=org.clone() base=base.clone() sites_changed=site_actions.version() />
            <webhooks::Webhooks org=org.clone() />
            <data_requests::DataRequests org=org.id.to_string() />
            {(org.role == Role::Owner).then(|| view! { <audit::Audit org=org.clone() /> })}
        </section>
    }
}

/// A section's data, or why it could not be loaded.
fn loaded<T, V: IntoView + 'static>(
    result: Result<T, AppError>,
    show: impl FnOnce(T) -> V,
) -> AnyView {
    match result {
        Ok(data) => show(data).into_any(),
        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
    }
}

fn role_options(selected: Role, can_owner: bool) -> impl IntoView {
    [Role::Viewer, Role::Admin, Role::Owner]
        .into_iter()
        .filter(move |r| can_owner || *r != Role::Owner || selected == Role::Owner)
        .map(move |r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view()
}

/// An organisation's pages the server renders whole (`/admin/{org}/…`): a webhook's alert rules,
/// a survey's pages and exit reason, the follow-up inbox and one answer of it, and the
/// member's own digest. One route for
/// them all: each route of the router costs every bundle its matching code, and these are
/// never reached inside a bundle.
#[cfg(feature = "ssr")]
#[component]
pub fn OrganisationPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let org = params.read_untracked().get("org").unwrap_or_default();
    let rest = params.read_untracked().get("rest").unwrap_or_default();
    let parts: Vec<String> = rest
        .trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["webhooks", id] => {
            view! { <webhook_rules::WebhookRulesPage org id=id.to_string() /> }.into_any()
        }
        ["surveys", id, "pages"] => {
            view! { <survey_pages::SurveyPagesPage org id=id.to_string() /> }.into_any()
        }
        ["sites", id, "attributes"] => {
            view! { <site_attributes::SiteAttributesPage org id=id.to_string() /> }.into_any()
        }
        ["inbox"] => view! { <inbox::InboxPage org /> }.into_any(),
        ["digest"] => view! { <digest::DigestPage org /> }.into_any(),
        ["inbox", id] => view! { <inbox::FollowUpPage org id=id.to_string() /> }.into_any(),
        _ => {
            crate::not_found_status();
            view! { <main class="page"><h1>"Not found"</h1></main> }.into_any()
        }
    }
}
