//! Sites: their names, allowed origins, embed snippets and public keys.

#[cfg(feature = "ssr")]
use super::{acting, forms, parse_id};
use super::{failure, loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::Site;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "sites_section")]
pub async fn sites_section(org: String) -> Result<Vec<Site>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.sites(who.org()).await?)
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

/// What changes the list of sites; the share links section offers the sites too.
#[derive(Clone, Copy)]
pub struct SiteActions {
    create: ServerAction<CreateSite>,
    update: ServerAction<UpdateSite>,
    rotate: ServerAction<RotateSiteKey>,
}

impl SiteActions {
    pub fn new() -> SiteActions {
        SiteActions {
            create: ServerAction::new(),
            update: ServerAction::new(),
            rotate: ServerAction::new(),
        }
    }

    /// Grows each time a site was added, changed or given a new key.
    pub fn version(&self) -> Signal<usize> {
        let (create, update, rotate) = (self.create, self.update, self.rotate);
        Signal::derive(move || {
            create.version().get() + update.version().get() + rotate.version().get()
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
        move |sites: Vec<Site>| {
            sites
                .into_iter()
                .map(|site| view! { <SiteCard site org=org.clone() base=base.clone() actions /> })
                .collect_view()
        }
    };
    view! {
        <section class="panel">
            <h3>"Sites"</h3>
            {failure(actions.update)}
            {failure(actions.rotate)}
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
            <super::surveys::Surveys org=org site=site.id />
        </article>
    }
}
