//! Sites: their names, allowed origins, embed snippets and public keys.

use super::surveys::{SurveyCard, UpdateSurvey};
#[cfg(feature = "ssr")]
use super::{acting, forms, parse_id};
use super::{failure, loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::{Site, Survey};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A site with its surveys, oldest (the default) first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteWithSurveys {
    pub site: Site,
    pub surveys: Vec<Survey>,
}

#[server(prefix = "/fn", endpoint = "sites_section")]
pub async fn sites_section(org: String) -> Result<Vec<SiteWithSurveys>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let mut sites = vec![];
    for site in who.store.sites(who.org()).await? {
        let surveys = who.store.surveys(who.org(), site.id).await?;
        sites.push(SiteWithSurveys { site, surveys });
    }
    Ok(sites)
}

/// A new site with one survey, ready to embed.
#[server(prefix = "/fn", endpoint = "create_site")]
pub async fn create_site(org: String, name: String, origins: String) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let name = forms::name("name", &name)?;
    let origins = forms::origins(&origins)?;
    let site = who.store.create_site(who.org(), &name, &origins).await?;
    who.store
        .create_survey(who.org(), site.id, "Exit survey", &name)
        .await?;
    who.audit("site.create", site.id.to_string()).await?;
    Ok(site.site_key)
}

#[server(prefix = "/fn", endpoint = "update_site")]
pub async fn update_site(
    org: String,
    site: String,
    name: String,
    origins: String,
) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let site = parse_id("site", &site)?;
    let name = forms::name("name", &name)?;
    let origins = forms::origins(&origins)?;
    if !who
        .store
        .update_site(who.org(), site, &name, &origins)
        .await?
    {
        return Err(AppError::NotFound);
    }
    who.audit("site.update", site.to_string()).await
}

/// Gives the site a new public key: embeds with the old key stop working at once.
#[server(prefix = "/fn", endpoint = "rotate_site_key")]
pub async fn rotate_site_key(org: String, site: String) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let site = parse_id("site", &site)?;
    let key = who
        .store
        .rotate_site_key(who.org(), site)
        .await?
        .ok_or(AppError::NotFound)?;
    who.audit("site.rotate_key", site.to_string()).await?;
    Ok(key)
}

/// What changes the sites section: its sites and their surveys. The share links section
/// offers the sites too, so it reloads with them.
#[derive(Clone, Copy)]
pub struct SiteActions {
    create: ServerAction<CreateSite>,
    update: ServerAction<UpdateSite>,
    rotate: ServerAction<RotateSiteKey>,
    survey: ServerAction<UpdateSurvey>,
}

impl Default for SiteActions {
    fn default() -> SiteActions {
        SiteActions {
            create: ServerAction::new(),
            update: ServerAction::new(),
            rotate: ServerAction::new(),
            survey: ServerAction::new(),
        }
    }
}

impl SiteActions {
    /// Grows each time a site was added, changed or given a new key, or a survey was saved.
    pub fn version(&self) -> Signal<usize> {
        let (create, update, rotate, survey) = (self.create, self.update, self.rotate, self.survey);
        Signal::derive(move || {
            create.version().get()
                + update.version().get()
                + rotate.version().get()
                + survey.version().get()
        })
    }
}

#[component]
pub fn Sites(org: OrganisationHeader, base: String, actions: SiteActions) -> impl IntoView {
    let org_id = org.id.to_string();
    let version = actions.version();
    let sites = {
        let org_id = org_id.clone();
        Resource::new(
            move || version.get(),
            move |_| sites_section(org_id.clone()),
        )
    };
    let cards = {
        let org = org.clone();
        move |sites: Vec<SiteWithSurveys>| {
            sites
                .into_iter()
                .map(|s| view! { <SiteCard site=s.site surveys=s.surveys org=org.clone() base=base.clone() actions /> })
                .collect_view()
        }
    };
    view! {
        <section class="panel">
            <h3>"Sites"</h3>
            {failure(actions.update)}
            {failure(actions.rotate)}
            {failure(actions.survey)}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let cards = cards.clone();
                    Suspend::new(async move { loaded(sites.await, cards) })
                }}
            </Suspense>
            <ActionForm action=actions.create attr:class="stack new-site">
                <input type="hidden" name="org" value=org_id />
                <label>"New site name "<input name="name" required maxlength="100" /></label>
                <label>"Allowed origins (one per line)"<textarea name="origins" rows="2" placeholder="https://shop.example"></textarea></label>
                <button type="submit">"Add site"</button>
            </ActionForm>
            {failure(actions.create)}
        </section>
    }
}

#[component]
fn SiteCard(
    site: Site,
    surveys: Vec<Survey>,
    org: OrganisationHeader,
    base: String,
    actions: SiteActions,
) -> impl IntoView {
    let snippet = format!(
        r#"<script src="{base}/w.js" data-site="{}" async></script>"#,
        site.site_key
    );
    let (o1, o2) = (org.id.to_string(), org.id.to_string());
    let (s1, s2) = (site.id.to_string(), site.id.to_string());
    view! {
        <article class="site-admin" data-site-key=site.site_key.clone()>
            <h4>{site.name.clone()}</h4>
            <p>"Embed on your pages: "</p>
            <pre class="snippet"><code>{snippet}</code></pre>
            <ActionForm action=actions.update attr:class="stack">
                <input type="hidden" name="org" value=o1 />
                <input type="hidden" name="site" value=s1 />
                <label>"Name "<input name="name" value=site.name.clone() required maxlength="100" /></label>
                <label>"Allowed origins (one per line)"<textarea name="origins" rows="3">{site.allowed_origins.join("\n")}</textarea></label>
                <button type="submit">"Save site"</button>
            </ActionForm>
            <ActionForm action=actions.rotate attr:class="inline">
                <input type="hidden" name="org" value=o2 />
                <input type="hidden" name="site" value=s2 />
                <button type="submit" class="danger">"Rotate site key"</button>
                <span class="hint">" Embeds with the old key stop working at once."</span>
            </ActionForm>
            {surveys
                .into_iter()
                .map(|survey| view! { <SurveyCard survey org=org.id.to_string() update=actions.survey /> })
                .collect_view()}
        </article>
    }
}
