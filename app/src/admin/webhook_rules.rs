//! A webhook's alert rules (`domain::AlertRules`): which answers it is told of (bands, scores,
//! a saved theme, a segment) and how often (batching). A page of its own, rendered whole on
//! the server with a plain form: the administration bundle stays as small as it is.

use super::feedback::Feedback;
use super::{acting, parse_id};
use crate::domain::{AlertRules, Role};
use crate::error::AppError;
use crate::nps::Band;
use leptos::prelude::*;
use leptos_meta::Title;

/// What the page shows: the webhook, its rules, and the saved themes a rule may name.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RulesPage {
    pub org_name: String,
    pub url: String,
    pub events: Vec<String>,
    pub rules: AlertRules,
    pub themes: Vec<String>,
}

/// The saved theme names of every site of the organisation, sorted, each once.
async fn theme_names(who: &super::guard::Acting) -> Result<Vec<String>, AppError> {
    let mut names = vec![];
    for site in who.store.sites(who.org()).await? {
        for theme in who.store.saved_themes(who.org(), site.id).await? {
            names.push(theme.name.as_str().to_string());
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

async fn load(org: String, id: String) -> Result<RulesPage, AppError> {
    // Signed out: to the sign-in page (a redirect, whose status stands).
    crate::auth::member_or_sign_in(&format!("/admin/{org}/webhooks/{id}")).await?;
    crate::error::with_status(read(org, id).await)
}

async fn read(org: String, id: String) -> Result<RulesPage, AppError> {
    let who = acting(&org, Role::Admin).await?;
    // An address naming no webhook is a page that does not exist.
    let id = parse_id("id", &id).map_err(|_| AppError::NotFound)?;
    let (record, rules) = who
        .store
        .webhook_rules(who.org(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(RulesPage {
        org_name: who.membership.org_name.clone(),
        url: record.url,
        events: record.events,
        rules,
        themes: theme_names(&who).await?,
    })
}

/// Replaces a webhook's rules. Owners and admins of its organisation only; audited.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/fn", endpoint = "save_webhook_rules")]
pub async fn save_webhook_rules(
    org: String,
    id: String,
    #[server(default)] detractors: Option<String>,
    #[server(default)] passives: Option<String>,
    #[server(default)] promoters: Option<String>,
    #[server(default)] min_score: String,
    #[server(default)] max_score: String,
    #[server(default)] theme: String,
    #[server(default)] segment: String,
    #[server(default)] batch_minutes: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let id = parse_id("id", &id)?;
            let rules = AlertRules::from_form(
                [
                    detractors.as_deref(),
                    passives.as_deref(),
                    promoters.as_deref(),
                ],
                &min_score,
                &max_score,
                &theme,
                &segment,
                &batch_minutes,
            )?;
            // A theme no site has saved would keep every answer out, in silence.
            if let Some(theme) = rules.theme() {
                let saved = theme_names(&who).await?;
                if !saved.iter().any(|t| t == theme.as_str()) {
                    let known = if saved.is_empty() {
                        "no site has saved a theme yet".to_string()
                    } else {
                        format!("saved themes: {}", saved.join(", "))
                    };
                    return Err(AppError::invalid(
                        "theme",
                        &format!("no site has a theme named {} ({known})", theme.as_str()),
                    ));
                }
            }
            if !who.store.set_webhook_rules(who.org(), id, &rules).await? {
                return Err(AppError::NotFound);
            }
            who.audit("webhook.rules", format!("{id}: {}", rules.describe()))
                .await
        }
        .await,
    )
}

#[component]
pub fn WebhookRulesPage(org: String, id: String) -> impl IntoView {
    let page = {
        let (org, id) = (org.clone(), id.clone());
        Resource::new_blocking(|| (), move |_| load(org.clone(), id.clone()))
    };
    view! {
        <Title text="Alert rules · Farewell" />
        <main class="page narrow admin">
            <super::setup::SetupCrumbs />
            <h1>"Alert rules"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (org, id) = (org.clone(), id.clone());
                    Suspend::new(async move {
                        super::setup::found(page.await, |page| view! { <RulesForm page org id /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn RulesForm(page: RulesPage, org: String, id: String) -> impl IntoView {
    let save = ServerAction::<SaveWebhookRules>::new();
    let feedback = Feedback::new(save);
    let rules = &page.rules;
    let checked: Vec<bool> = Band::ALL
        .iter()
        .map(|b| rules.bands().contains(b))
        .collect();
    let band_box = move |i: usize, name: &'static str, label: &'static str| {
        view! { <label class="check"><input type="checkbox" name=name checked=checked[i] />{label}</label> }
    };
    let (min, max) = (rules.min_score().to_string(), rules.max_score().to_string());
    let theme = rules
        .theme()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let segment = rules
        .segment()
        .map(|s| format!("{}:{}", s.dimension.as_str(), s.value))
        .unwrap_or_default();
    let batch = rules.batch_minutes().to_string();
    let now = rules.describe();
    let theme_hint = if page.themes.is_empty() {
        "No site has saved a theme yet (a site's dashboard, Themes panel).".to_string()
    } else {
        format!("Saved themes: {}.", page.themes.join(", "))
    };
    view! {
        <p>{page.org_name.clone()}": "<code>{page.url.clone()}</code>" — "{page.events.join(", ")}</p>
        <p class="hint">"An answer is told of once the visitor has sent the follow-up (comment and contact choice), or after a short wait (two minutes unless the server says otherwise), with its final score. The contact e-mail is included only when the visitor agreed to be contacted. Answers a rule keeps out are listed as skipped in the delivery history."</p>
        <ActionForm action=save attr:class="stack rules">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=id />
            <fieldset>
                <legend>"Bands"</legend>
                {band_box(0, "detractors", " Detractors (0–6)")}
                {band_box(1, "passives", " Passives (7–8)")}
                {band_box(2, "promoters", " Promoters (9–10)")}
                {feedback.at("bands")}
            </fieldset>
            <label for="min_score">"Lowest score"</label>
            <input id="min_score" name="min_score" type="number" min="0" max="10" value=min />
            {feedback.at("min_score")}
            <label for="max_score">"Highest score"</label>
            <input id="max_score" name="max_score" type="number" min="0" max="10" value=max />
            {feedback.at("max_score")}
            <label for="theme">"Only answers in the saved theme (empty: any)"</label>
            <input id="theme" name="theme" maxlength="40" placeholder="checkout" aria-describedby="theme-hint"
                value=theme />
            <span class="hint" id="theme-hint">{theme_hint}</span>
            {feedback.at("theme")}
            <label for="segment">"Only answers in the segment (empty: any)"</label>
            <input id="segment" name="segment" maxlength="200" placeholder="device:mobile" aria-describedby="segment-hint"
                value=segment />
            <span class="hint" id="segment-hint">"As the dashboard writes it: country:FI, page:/checkout, pages_viewed:16+, had_error:yes."</span>
            {feedback.at("segment")}
            <label for="batch_minutes">"At most one message per (minutes; 0: each answer at once)"</label>
            <input id="batch_minutes" name="batch_minutes" type="number" min="0" max="1440" aria-describedby="batch-hint"
                value=batch />
            <span class="hint" id="batch-hint">"A burst becomes one message summarising the answers that came meanwhile."</span>
            {feedback.at("batch_minutes")}
            <button type="submit">"Save rules"</button>
            {feedback.saved("Rules saved.")}
            {feedback.rest()}
        </ActionForm>
        <p class="hint">"Now: "{now}</p>
    }
}
