//! The organisation's privacy notice: each publication adds a version, and earlier versions stay
//! exactly as respondents saw them.

#[cfg(feature = "ssr")]
use super::acting;
use super::feedback::{successes, Feedback};
use super::{loaded, OrganisationHeader};
use crate::domain::NoticeVersion;
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;

/// Every published version, newest first.
#[server(prefix = "/fn", endpoint = "notices_section")]
pub async fn notices_section(org: String) -> Result<Vec<NoticeVersion>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.notices(who.org()).await?)
}

/// Publishes the next notice version; earlier versions stay exactly as they were.
#[server(prefix = "/fn", endpoint = "publish_notice")]
pub async fn publish_notice(org: String, language: String, body: String) -> Result<u32, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let language = crate::domain::Language::parse("language", language.trim())?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(AppError::invalid("body", "must be 1 to 20000 characters"));
    }
    if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::invalid(
            "body",
            "must not contain control characters",
        ));
    }
    let notice = who
        .store
        .publish_notice(who.org(), language.as_str(), body)
        .await?;
    who.audit("notice.publish", format!("version {}", notice.version))
        .await?;
    Ok(notice.version)
}

#[component]
pub fn Notices(org: OrganisationHeader) -> impl IntoView {
    let publish = ServerAction::<PublishNotice>::new();
    let org_id = org.id.to_string();
    let notices = {
        let org_id = org_id.clone();
        let published = successes(publish);
        Resource::new(
            move || published.get(),
            move |_| notices_section(org_id.clone()),
        )
    };
    let items = |notices: Vec<NoticeVersion>| {
        let items = notices
            .into_iter()
            .map(|n| {
                view! {
                    <li>
                        <a href=format!("/notice/{}", n.id) rel="external">{format!("Version {}", n.version)}</a>
                        {format!(" ({}) published {}, SHA-256 {}…", n.language, n.published_at.format("%Y-%m-%d"), &n.content_hash[..12.min(n.content_hash.len())])}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="notices">{items}</ul> }
    };
    let published = Feedback::new(publish);
    view! {
        <section class="panel">
            <h3>"Privacy notice"</h3>
            <p class="hint">"Publishing adds a version; earlier versions stay exactly as respondents saw them."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move { loaded(notices.await, items) })}
            </Suspense>
            <ActionForm action=publish attr:class="stack">
                <input type="hidden" name="org" value=org_id />
                <label>"Language "<input name="language" value="en" size="6" required /></label>
                {published.at("language")}
                <label>"Text"<textarea name="body" rows="6" required></textarea></label>
                {published.at("body")}
                <button type="submit">"Publish new version"</button>
                {published.saved("Published.")}
            </ActionForm>
            {published.rest()}
        </section>
    }
}
