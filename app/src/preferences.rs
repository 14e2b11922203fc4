//! The visitor's preferences page on the Farewell host, linked from the privacy notice: leave or
//! rejoin the improvement program for one site. The respondent id comes in the link the widget
//! builds, since the site's storage is not readable from here.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreferencesView {
    pub site_key: String,
    pub respondent: Option<Uuid>,
    pub opted_out: bool,
    /// The browser sends Global Privacy Control, which counts as an opt-out whatever is stored.
    pub gpc: bool,
    pub lang: String,
    pub dir: String,
    pub texts: BTreeMap<String, String>,
    /// The page answers an erasure: asked for (`erased` in the address) and true (this
    /// respondent has no answers left), so a link cannot claim a deletion that did not happen.
    pub answers_deleted: bool,
}

#[server(prefix = "/fn", endpoint = "load_preferences")]
pub async fn load_preferences(
    site: String,
    rid: Option<String>,
    lang: Option<String>,
    #[server(default)] erased: Option<String>,
) -> Result<PreferencesView, AppError> {
    let store = crate::auth::store()?;
    let found = store
        .public_site(&crate::domain::SiteKey::parse("site", &site).map_err(|_| AppError::NotFound)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let lang = crate::i18n::of_request(lang.as_deref(), &headers);
    let texts = match &found.default_survey {
        Some(survey) => survey.settings.texts_for(lang, &survey.product_name),
        None => crate::domain::SurveySettings::default().texts_for(lang, &found.site.name),
    };
    let respondent = rid.as_deref().and_then(|r| Uuid::parse_str(r).ok());
    let opted_out = match respondent {
        Some(r) => store.is_opted_out(found.site.id, r).await?,
        None => false,
    };
    let gpc = headers.get("sec-gpc").and_then(|v| v.to_str().ok()) == Some("1");
    let answers_deleted = match (erased, respondent) {
        (Some(_), Some(r)) => store.respondent_answers(found.site.id, r).await?.is_empty(),
        _ => false,
    };
    Ok(PreferencesView {
        site_key: found.site.site_key,
        respondent,
        opted_out,
        gpc,
        lang: lang.code().into(),
        dir: lang.dir().into(),
        texts,
        answers_deleted,
    })
}

#[server(prefix = "/fn", endpoint = "set_participation")]
pub async fn set_participation(
    site: String,
    rid: String,
    opt_out: String,
    #[server(default)] lang: Option<String>,
) -> Result<bool, AppError> {
    let store = crate::auth::store()?;
    let found = store
        .public_site(&crate::domain::SiteKey::parse("site", &site).map_err(|_| AppError::NotFound)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let respondent =
        Uuid::parse_str(&rid).map_err(|_| AppError::invalid("rid", "must be a UUID"))?;
    let opted_out = match opt_out.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::invalid("opt_out", "must be true or false")),
    };
    store
        .set_opted_out(
            found.site.id,
            respondent,
            opted_out,
            crate::ingest::received_now(),
        )
        .await?;
    back_to_the_page(&site, respondent, "", lang.as_deref()).await?;
    Ok(opted_out)
}

/// After a plain form post (the page loads no wasm), back to the page, which then says what
/// happened (`extra`), in the page's language (only one Farewell speaks; anything else is
/// dropped).
#[cfg(feature = "ssr")]
async fn back_to_the_page(
    site: &str,
    respondent: Uuid,
    extra: &str,
    lang: Option<&str>,
) -> Result<(), AppError> {
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    if crate::plain_form_post(&headers) {
        let lang = lang
            .and_then(crate::i18n::Lang::from_code)
            .map(|l| format!("&lang={}", l.code()))
            .unwrap_or_default();
        leptos_axum::redirect(&format!(
            "/preferences?site={site}&rid={respondent}{extra}{lang}"
        ));
    }
    Ok(())
}

/// The visitor's right to erasure: deletes every answer this browser's respondent id gave on
/// the site (with its search entries, tags and aggregate counts). Returns how many.
#[server(prefix = "/fn", endpoint = "erase_my_answers")]
pub async fn erase_my_answers(
    site: String,
    rid: String,
    #[server(default)] lang: Option<String>,
) -> Result<u64, AppError> {
    crate::error::with_status(
        async {
            let store = crate::auth::store()?;
            let found = store
                .public_site(
                    &crate::domain::SiteKey::parse("site", &site)
                        .map_err(|_| AppError::NotFound)?,
                )
                .await?
                .ok_or(AppError::NotFound)?;
            let respondent =
                Uuid::parse_str(&rid).map_err(|_| AppError::invalid("rid", "must be a UUID"))?;
            let ids: Vec<Uuid> = store
                .respondent_answers(found.site.id, respondent)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            let erased = store.erase_answers(found.site.org_id, &ids).await?;
            // The audit names how many, never whose.
            store
                .record_audit(&crate::store::AuditEntry {
                    org_id: found.site.org_id,
                    actor: None,
                    action: "erasure.respondent".into(),
                    subject: format!("{erased} answers on site {}", found.site.id),
                    at: chrono::Utc::now(),
                })
                .await?;
            let erased_param = format!("&erased={erased}");
            back_to_the_page(
                &found.site.site_key,
                respondent,
                &erased_param,
                lang.as_deref(),
            )
            .await?;
            Ok(erased)
        }
        .await,
    )
}

#[component]
pub fn PreferencesPage() -> impl IntoView {
    let query = use_query_map();
    let change = ServerAction::<SetParticipation>::new();
    let erase = ServerAction::<EraseMyAnswers>::new();
    let view_data = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("site").unwrap_or_default(),
                q.get("rid"),
                q.get("lang"),
                q.get("erased"),
                change.version().get(),
            )
        },
        |(site, rid, lang, erased, _)| load_preferences(site, rid, lang, erased),
    );
    view! {
        <Title text="Farewell · preferences" />
        <main class="page narrow">
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(p) => view! { <PreferencesForm p change erase /> }.into_any(),
                        Err(_) => {
                            crate::not_found_status();
                            view! { <h1>"Not found"</h1> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn PreferencesForm(
    p: PreferencesView,
    change: ServerAction<SetParticipation>,
    erase: ServerAction<EraseMyAnswers>,
) -> impl IntoView {
    let text = |key: &str| p.texts.get(key).cloned().unwrap_or_default();
    let out = p.opted_out || p.gpc;
    let heading = text("preferences");
    let toggle = if out { text("opt_in") } else { text("opt_out") };
    let open_from_site = text("open_from_site");
    let status = if out {
        text("opted_out")
    } else {
        text("participating")
    };
    let (download, delete, deleted, confirm_delete) = (
        text("download_answers"),
        text("delete_answers"),
        text("answers_deleted"),
        text("confirm_delete"),
    );
    let site_key = p.site_key.clone();
    let erased = p.answers_deleted;
    let lang = p.lang.clone();
    let rights = move |rid: Uuid| {
        let deleted = deleted.clone();
        view! {
            // A POST, so the respondent id never sits in a URL (logs, history, Referer).
            <form class="rights download-answers" method="post" action="/my-answers">
                <input type="hidden" name="site" value=site_key.clone() />
                <input type="hidden" name="rid" value=rid.to_string() />
                <button type="submit">{download.clone()}</button>
            </form>
            // Destructive: the page script asks first (data-confirm).
            <ActionForm action=erase attr:class="erase-answers" attr:data-confirm=confirm_delete.clone()>
                <input type="hidden" name="site" value=site_key.clone() />
                <input type="hidden" name="rid" value=rid.to_string() />
                <input type="hidden" name="lang" value=lang.clone() />
                <button type="submit" class="danger">{delete.clone()}</button>
            </ActionForm>
            {move || (erased || matches!(erase.value().get(), Some(Ok(_)))).then(|| view! { <p class="ok" role="status">{deleted.clone()}</p> })}
        }
    };
    let form_lang = p.lang.clone();
    let body = match p.respondent {
        None => view! { <p>{open_from_site}</p> }.into_any(),
        Some(rid) => view! {
            <p class="participation" role="status" data-opted-out=out.to_string()>{status}</p>
            {(!p.gpc).then(|| view! {
                <ActionForm action=change>
                    <input type="hidden" name="site" value=p.site_key.clone() />
                    <input type="hidden" name="rid" value=rid.to_string() />
                    <input type="hidden" name="lang" value=form_lang.clone() />
                    <input type="hidden" name="opt_out" value=(!out).to_string() />
                    <button type="submit">{toggle}</button>
                </ActionForm>
            })}
            {rights(rid)}
        }
        .into_any(),
    };
    view! {
        <section lang=p.lang.clone() dir=p.dir.clone()>
            <h1>{heading}</h1>
            {body}
        </section>
    }
}
