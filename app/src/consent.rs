//! The consent record of one answer, for the admin who must demonstrate consent (GDPR
//! Art. 7(1)): the exact notice version shown, with its content hash checked again, and the
//! choices shown and made, with the time and language of the answer.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsentEvidence {
    pub response_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub notice_id: Uuid,
    pub notice_version: u32,
    pub notice_language: String,
    pub notice_published_at: DateTime<Utc>,
    pub notice_body: String,
    pub content_hash: String,
    /// The stored hash equals the SHA-256 of the stored text, computed now.
    pub hash_verified: bool,
    /// Each choice shown, and what the respondent chose (as it stands now).
    pub choices: Vec<(String, bool)>,
    /// Whether any choice was shown at all: an API client may have sent none.
    pub basis: crate::domain::ConsentBasis,
    /// Choices made or changed after the answer was stored, with their time.
    pub changes: Vec<crate::domain::ConsentChange>,
}

#[server(prefix = "/fn", endpoint = "consent_record")]
pub async fn consent_record(
    site_key: String,
    response: String,
) -> Result<ConsentEvidence, AppError> {
    let result = async {
        let member = crate::auth::require_member().await?;
        let store = crate::auth::store()?;
        let (membership, _site) = member.site(&store, &site_key).await?;
        if membership.role == crate::domain::Role::Viewer {
            return Err(AppError::Forbidden);
        }
        let response = Uuid::parse_str(response.trim())
            .map_err(|_| AppError::invalid("response", "is not an id"))?;
        let consent = store
            .consent_of(membership.org_id, response)
            .await?
            .ok_or(AppError::NotFound)?;
        let notice_id = consent.notice_id;
        let basis = crate::domain::ConsentBasis::of(&consent.choices_at_answer());
        let notice = store
            .notice_by_id(notice_id)
            .await?
            .filter(|n| n.org_id == membership.org_id)
            .ok_or(AppError::Internal)?;
        Ok(ConsentEvidence {
            response_id: response,
            received_at: consent.received_at,
            language: consent.language,
            notice_id,
            notice_version: notice.version,
            notice_language: notice.language,
            notice_published_at: notice.published_at,
            hash_verified: crate::tokens::sha256_hex(notice.body.as_bytes()) == notice.content_hash,
            content_hash: notice.content_hash,
            notice_body: notice.body,
            basis,
            choices: consent
                .choices
                .iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            changes: consent.changes,
        })
    }
    .await;
    if matches!(result, Err(AppError::Unauthorized)) {
        leptos_axum::redirect(&crate::auth::sign_in_path(&format!(
            "/consent/{}?site={}",
            response.trim(),
            crate::report::percent_encode(site_key.trim())
        )));
    }
    result
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let record = Resource::new(
        move || {
            (
                query.read().get("site").unwrap_or_default(),
                params.read().get("id").unwrap_or_default(),
            )
        },
        |(site, id)| consent_record(site, id),
    );
    view! {
        <Title text="Consent record · Farewell" />
        <main class="page narrow consent-record">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboard"</a></p>
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match record.await {
                        Ok(r) => {
                            let choices = r.choices.iter().map(|(k, v)| view! {
                                <tr><th scope="row">{k.clone()}</th><td class="choice">{if *v { "granted" } else { "declined" }}</td></tr>
                            }).collect_view();
                            let no_choice = (r.basis == crate::domain::ConsentBasis::NoChoiceShown).then(|| view! {
                                <p class="no-choice" data-basis="no_choice_shown">"No choice was shown with this answer (it came from an API client that sent none). It is kept under the improvement program's basis described in the notice; no consent is claimed."</p>
                            });
                            let changes = (!r.changes.is_empty()).then(|| {
                                let rows = r.changes.iter().map(|c| {
                                    let before = match c.granted_before { None => "not shown yet", Some(true) => "granted", Some(false) => "declined" };
                                    view! { <tr class="change"><th scope="row">{c.choice.clone()}</th><td>{before}</td><td>{if c.granted { "granted" } else { "declined" }}</td><td>{c.at.to_rfc3339()}</td></tr> }
                                }).collect_view();
                                view! {
                                    <h2>"Changed after the answer"</h2>
                                    <table class="consent-changes"><thead><tr><th scope="col">"Choice"</th><th scope="col">"Before"</th><th scope="col">"After"</th><th scope="col">"When"</th></tr></thead><tbody>{rows}</tbody></table>
                                }
                            });
                            view! {
                                <h1>"Consent record"</h1>
                                <dl class="record">
                                    <dt>"Answer"</dt><dd class="response-id">{r.response_id.to_string()}</dd>
                                    <dt>"Received"</dt><dd>{r.received_at.to_rfc3339()}</dd>
                                    <dt>"Language"</dt><dd>{r.language.clone().unwrap_or_else(|| "not given".into())}</dd>
                                    <dt>"Notice"</dt><dd class="notice-version"><a href=format!("/notice/{}", r.notice_id) rel="external">{format!("Version {} ({})", r.notice_version, r.notice_language)}</a>{format!(", published {}", r.notice_published_at.to_rfc3339())}</dd>
                                    <dt>"SHA-256 of its text"</dt><dd><code class="hash">{r.content_hash.clone()}</code>{if r.hash_verified { " — matches the stored text" } else { " — DOES NOT match the stored text" }}</dd>
                                </dl>
                                <h2>"Choices shown and made"</h2>
                                {no_choice}
                                <table class="choices"><tbody>{choices}</tbody></table>
                                {changes}
                                <h2>"The notice as shown"</h2>
                                <blockquote class="notice-body">{r.notice_body.clone()}</blockquote>
                            }.into_any()
                        }
                        Err(AppError::NotFound) => {
                            crate::not_found_status();
                            view! { <h1>"Not found"</h1> }.into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
