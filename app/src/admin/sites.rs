//! Sites: their names, allowed origins, embed snippets and public keys.

use super::feedback::{successes, Feedback};
use super::surveys::{LanguageTexts, SurveyCard, UpdateSurvey};
#[cfg(feature = "ssr")]
use super::{acting, forms, parse_id};
use super::{loaded, OrganisationHeader};
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

/// The sites section: the sites, and the languages their surveys' texts are edited in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SitesAndLanguages {
    pub sites: Vec<SiteWithSurveys>,
    pub languages: Vec<LanguageTexts>,
}

#[server(prefix = "/fn", endpoint = "sites_section")]
pub async fn sites_section(org: String) -> Result<SitesAndLanguages, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let mut sites = vec![];
    for site in who.store.sites(who.org()).await? {
        let surveys = who.store.surveys(who.org(), site.id).await?;
        sites.push(SiteWithSurveys { site, surveys });
    }
    Ok(SitesAndLanguages {
        sites,
        languages: super::surveys::language_texts(),
    })
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

/// Gives the site a new public key: embeds with the old key stop working at once, so the
/// admin confirms by typing the site's name.
#[server(prefix = "/fn", endpoint = "rotate_site_key")]
pub async fn rotate_site_key(
    org: String,
    site: String,
    #[server(default)] confirm_name: String,
) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let site = parse_id("site", &site)?;
    let name = who
        .store
        .sites(who.org())
        .await?
        .into_iter()
        .find(|s| s.id == site)
        .ok_or(AppError::NotFound)?
        .name;
    if confirm_name.trim().to_lowercase() != name.trim().to_lowercase() {
        return Err(AppError::invalid(
            "confirm_name",
            &format!("type the site's name, {name}, to confirm"),
        ));
    }
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
    /// Grows each time a site was added, changed or given a new key, or a survey was saved;
    /// not when one was refused, so a refused form keeps what was typed.
    pub fn version(&self) -> Signal<usize> {
        let counts = [
            successes(self.create),
            successes(self.update),
            successes(self.rotate),
            successes(self.survey),
        ];
        Signal::derive(move || counts.iter().map(|c| c.get()).sum())
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
        move |section: SitesAndLanguages| {
            let languages = section.languages;
            section
                .sites
                .into_iter()
                .map(|s| view! { <SiteCard site=s.site surveys=s.surveys languages=languages.clone() org=org.clone() base=base.clone() actions /> })
                .collect_view()
        }
    };
    let created = Feedback::new(actions.create);
    view! {
        <section class="panel">
            <h3>"Sites"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let cards = cards.clone();
                    Suspend::new(async move { loaded(sites.await, cards) })
                }}
            </Suspense>
            <ActionForm action=actions.create attr:class="stack new-site">
                <input type="hidden" name="org" value=org_id />
                <label>"New site name "<input name="name" required maxlength="100" /></label>
                {created.at("name")}
                <label>"Allowed origins (one per line)"<textarea name="origins" rows="2" placeholder="https://shop.example"></textarea></label>
                {created.at("origins")}
                <button type="submit">"Add site"</button>
                {created.saved("Site added. Its embed snippet is above.")}
            </ActionForm>
            {created.rest()}
        </section>
    }
}

#[component]
fn SiteCard(
    site: Site,
    surveys: Vec<Survey>,
    languages: Vec<LanguageTexts>,
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
    let (mine, this) = (s1.clone(), s1.clone());
    let updated = Feedback::for_form(actions.update, move |i: &UpdateSite| i.site == mine);
    let rotated = Feedback::for_form(actions.rotate, move |i: &RotateSiteKey| i.site == this);
    let rotate_question = format!(
        "Every page that embeds {} must then be given the new snippet: until it is, no survey opens there. Type the site's name to confirm:",
        site.name
    );
    view! {
        <article class="site-admin" data-site-key=site.site_key.clone()>
            <h4>{site.name.clone()}</h4>
            <p>"Embed on your pages: "</p>
            <pre class="snippet"><code>{snippet}</code></pre>
            <ActionForm action=actions.update attr:class="stack">
                <input type="hidden" name="org" value=o1 />
                <input type="hidden" name="site" value=s1 />
                <label>"Name "<input name="name" value=site.name.clone() required maxlength="100" /></label>
                {updated.at("name")}
                <label>"Allowed origins (one per line)"<textarea name="origins" rows="3">{crate::textarea_text(&site.allowed_origins.join("\n"))}</textarea></label>
                {updated.at("origins")}
                <button type="submit">"Save site"</button>
                {updated.saved("Saved.")}
            </ActionForm>
            {updated.rest()}
            <ActionForm action=actions.rotate attr:class="rotate-key">
                <input type="hidden" name="org" value=o2 />
                <input type="hidden" name="site" value=s2 />
                <details class="confirm">
                    <summary class="danger-link">"Rotate site key…"</summary>
                    <p class="question">{rotate_question}</p>
                    <label>"Site name "<input name="confirm_name" autocomplete="off" required /></label>
                    {rotated.at("confirm_name")}
                    <button type="submit" class="danger">"Rotate the key"</button>
                </details>
                {rotated.saved("New key made: update the snippet on every page.")}
            </ActionForm>
            {rotated.rest()}
            {surveys
                .into_iter()
                .map(|survey| view! { <SurveyCard survey org=org.id.to_string() update=actions.survey languages=languages.clone() /> })
                .collect_view()}
        </article>
    }
}
