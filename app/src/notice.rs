//! The public page of one privacy notice version, linked from every survey.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeView {
    pub version: u32,
    pub language: String,
    pub body: String,
    pub content_hash: String,
    pub published_at: String,
    /// The page's own words, in the visitor's language (the body stays in the notice's).
    pub heading: String,
    pub published: String,
    pub manage: String,
}

#[server(prefix = "/fn", endpoint = "load_notice")]
pub async fn load_notice(id: String, lang: Option<String>) -> Result<NoticeView, AppError> {
    let store = crate::auth::store()?;
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let texts = crate::i18n::of_request(lang.as_deref(), &headers).texts();
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let notice = store.notice_by_id(id).await?.ok_or(AppError::NotFound)?;
    let published_at = notice.published_at.format("%Y-%m-%d").to_string();
    Ok(NoticeView {
        heading: texts
            .notice_heading
            .replace("{version}", &notice.version.to_string()),
        published: texts
            .notice_published
            .replace("{date}", &published_at)
            .replace("{language}", &notice.language),
        manage: texts.manage_choices.into(),
        version: notice.version,
        language: notice.language,
        body: notice.body,
        content_hash: notice.content_hash,
        published_at,
    })
}

#[component]
pub fn NoticePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // The widget links here with its site and respondent, so the visitor can manage their choices.
    let manage = move || {
        let q = query.read();
        match (q.get("site"), q.get("rid")) {
            (Some(site), Some(rid)) => Some(format!("/preferences?site={site}&rid={rid}")),
            _ => None,
        }
    };
    let notice = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("lang"),
            )
        },
        |(id, lang)| load_notice(id, lang),
    );
    view! {
        <Title text="Privacy notice · Farewell" />
        <main class="page narrow">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match notice.await {
                        Ok(n) => view! {
                            <h1>{n.heading}</h1>
                            <p class="hint">
                                {n.published}" "
                                <code>{n.content_hash}</code>
                            </p>
                            <div class="notice-body" lang=n.language>{n.body}</div>
                            {manage().map(|href| view! { <p><a class="manage" href=href>{n.manage}</a></p> })}
                        }.into_any(),
                        Err(_) => {
                            crate::not_found_status();
                            view! { <h1>"Notice not found"</h1> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
