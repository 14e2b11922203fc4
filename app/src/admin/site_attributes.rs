//! The attributes a site takes (`domain::AttributeSettings`): the keys its pages may set with
//! `farewell.set` or `data-attributes`, each a dashboard segment `attr.<key>`, and how many
//! distinct values each keeps. A page of its own, rendered on the server with a plain form,
//! listing what each key took in the last 30 days.

use super::feedback::Feedback;
use super::{acting, parse_id};
use crate::domain::{AttributeSettings, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// How many days of answers the page counts.
const DAYS: i64 = 30;

/// One declared key and the values its answers carried in the last 30 days, the most first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeySeen {
    pub key: String,
    pub values: Vec<(String, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttributesView {
    pub site_name: String,
    pub site_id: String,
    pub keys: String,
    pub value_cap: u32,
    pub seen: Vec<KeySeen>,
}

async fn load(org: String, id: String) -> Result<AttributesView, AppError> {
    // Signed out: to the sign-in page (a redirect, whose status stands).
    crate::auth::member_or_sign_in(&format!("/admin/{org}/sites/{id}/attributes")).await?;
    crate::error::with_status(read(org, id).await)
}

async fn read(org: String, id: String) -> Result<AttributesView, AppError> {
    use crate::report::Dimension;
    use crate::store::TimeRange;
    let who = acting(&org, Role::Admin).await?;
    // An address naming no site is a page that does not exist.
    let site = parse_id("id", &id).map_err(|_| AppError::NotFound)?;
    let settings = who
        .store
        .site_attributes(who.org(), site)
        .await?
        .ok_or(AppError::NotFound)?;
    let site_name = who
        .store
        .sites(who.org())
        .await?
        .into_iter()
        .find(|s| s.id == site)
        .map(|s| s.name)
        .unwrap_or_default();
    // Counts are kept by quarter hour and a range reads whole ones: to the end of this one, so
    // that the answers of the last minutes are in.
    let to = chrono::Utc::now() + chrono::Duration::minutes(15);
    let range = TimeRange {
        from: to - chrono::Duration::days(DAYS),
        to,
    };
    let mut seen = Vec::with_capacity(settings.keys.len());
    for key in &settings.keys {
        let mut values: Vec<(String, u64)> = who
            .store
            .segment_counts(who.org(), site, None, Dimension::Attribute(*key), range)
            .await?
            .into_iter()
            .map(|s| (s.value, s.counts.n()))
            .collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        seen.push(KeySeen {
            key: key.as_str().to_owned(),
            values,
        });
    }
    Ok(AttributesView {
        site_name,
        site_id: site.to_string(),
        keys: settings.to_text(", "),
        value_cap: settings.value_cap,
        seen,
    })
}

/// Declares the keys a site takes and their cap. Owners and admins of its organisation only;
/// audited.
#[server(prefix = "/fn", endpoint = "save_site_attributes")]
pub async fn save_site_attributes(
    org: String,
    id: String,
    #[server(default)] keys: String,
    #[server(default)] value_cap: String,
    #[server(default)] forget_values: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let site = parse_id("id", &id)?;
            let settings = AttributeSettings::parse(&keys, &value_cap)?;
            let forget = forget_values.is_some();
            if !who
                .store
                .set_site_attributes(who.org(), site, &settings, forget)
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit(
                "site.attributes",
                format!(
                    "{site}: keys [{}], at most {} values each{}",
                    settings.stored_keys(),
                    settings.value_cap,
                    if forget { ", values forgotten" } else { "" }
                ),
            )
            .await
        }
        .await,
    )
}

#[component]
pub fn SiteAttributesPage(org: String, id: String) -> impl IntoView {
    let view_data = {
        let (org, id) = (org.clone(), id.clone());
        Resource::new_blocking(|| (), move |_| load(org.clone(), id.clone()))
    };
    view! {
        <Title text="Attributes · Farewell" />
        <main class="page admin">
            <super::setup::SetupCrumbs />
            <h1>"Attributes"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        super::setup::found(view_data.await, |data| view! { <AttributesForm data org /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn AttributesForm(data: AttributesView, org: String) -> impl IntoView {
    let save = ServerAction::<SaveSiteAttributes>::new();
    let feedback = Feedback::new(save);
    let cap = data.value_cap;
    let tables = data
        .seen
        .into_iter()
        .map(|k| {
            let taken = k.values.len();
            let summary = if taken == 0 {
                format!("No answer carried \"{}\" in the last 30 days: check that your pages send it.", k.key)
            } else {
                format!(
                    "{taken} {} in the last 30 days.",
                    if taken == 1 { "value" } else { "values" }
                )
            };
            let rows = k
                .values
                .into_iter()
                .map(|(value, n)| view! { <tr><td><code>{value}</code></td><td class="num">{n}</td></tr> })
                .collect_view();
            view! {
                <h3>{k.key.clone()}</h3>
                <p class="hint">{summary}</p>
                {(taken > 0).then(|| view! {
                    <div class="table-scroll">
                        <table class="attribute-values">
                            <thead><tr><th scope="col">"Value"</th><th scope="col">"Answers"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                })}
            }
        })
        .collect_view();
    view! {
        <p>{format!("Site: {}", data.site_name)}</p>
        <p id="attributes-hint">"Attributes let you compare NPS by something your site knows about a visitor, such as their plan (free, pro, team). Each key listed here becomes a tab under \"NPS by segment\" on the dashboard. Your pages send them on the script tag or from their own script:"</p>
        <pre class="snippet"><code>"data-attributes='{\"plan\": \"pro\"}'\nfarewell.set({plan: \"pro\"})"</code></pre>
        <p class="hint">"Never send names, e-mail addresses, or user or account ids: for NPS by customer account, pages use farewell.set({account: …}), which is kept only when the visitor agrees, never as an attribute. Keys the list does not name are dropped."</p>
        <ActionForm action=save attr:class="stack">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=data.site_id />
            <label for="keys">"Keys"</label>
            <textarea id="keys" name="keys" rows="3" maxlength="4000" aria-describedby="attributes-hint keys-hint" placeholder="plan: free | pro | team, tier">{data.keys}</textarea>
            <p class="hint" id="keys-hint">"Separate keys with commas. After a key and a colon, list its only values, separated by | (plan: free | pro | team): any other value is stored as \"other\", so no page can fill the key with values of its own. A key without a list keeps its first values, up to the number below."</p>
            {feedback.at("keys")}
            <label for="value_cap">"Most values per key without a list (default 50, up to 1,000): further values are grouped as \"other\""</label>
            <input id="value_cap" name="value_cap" type="number" min="1" max="1000" value=cap.to_string() />
            {feedback.at("value_cap")}
            <label class="check">
                <input type="checkbox" name="forget_values" value="on" aria-describedby="forget-hint" />
                " Start the values list again"
            </label>
            <p class="hint" id="forget-hint">"Use this if a page sent wrong values, such as ids, and real ones now show as \"other\". Past answers keep theirs."</p>
            <button type="submit">"Save attributes"</button>
            {feedback.saved("Saved. New answers keep these keys within seconds.")}
            {feedback.rest()}
        </ActionForm>
        <h2>"Values in the last 30 days"</h2>
        {tables}
    }
}
