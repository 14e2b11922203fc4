//! How long raw answers are kept. The figures (counts per score) stay after answers go.

#[cfg(feature = "ssr")]
use super::acting;
use super::feedback::{successes, Confirm, Feedback};
use super::{loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;

/// Days raw answers are kept; `None` keeps them until erased.
#[server(prefix = "/fn", endpoint = "retention_section")]
pub async fn retention_section(org: String) -> Result<Option<u32>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.retention_days(who.org()).await?)
}

/// Keep raw answers this many days (empty: until erased); aggregates are kept either way.
#[server(prefix = "/fn", endpoint = "set_retention")]
pub async fn set_retention(org: String, #[server(default)] days: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let days = match days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n @ 1..=36500) => Some(n),
            _ => {
                return Err(AppError::invalid(
                    "days",
                    "must be 1 to 36500 days, or empty",
                ))
            }
        },
    };
    who.store.set_retention_days(who.org(), days).await?;
    who.audit(
        "retention.set",
        days.map(|d| format!("{d} days"))
            .unwrap_or_else(|| "none".into()),
    )
    .await
}

#[component]
pub fn Retention(org: OrganisationHeader) -> impl IntoView {
    let save = ServerAction::<SetRetention>::new();
    let org_id = org.id.to_string();
    let days = {
        let org_id = org_id.clone();
        let saved = successes(save);
        Resource::new(
            move || saved.get(),
            move |_| retention_section(org_id.clone()),
        )
    };
    let saved = Feedback::new(save);
    view! {
        <section class="panel">
            <h3>"Retention"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org_id = org_id.clone();
                    Suspend::new(async move {
                        loaded(days.await, move |days| view! {
                            <ActionForm action=save attr:class="inline">
                                <input type="hidden" name="org" value=org_id />
                                <label>"Delete answers (comments, context) after "
                                    <input name="days" type="number" min="1" size="6" value=days.map(|d| d.to_string()).unwrap_or_default() />
                                    " days"</label>
                                {saved.at("days")}
                                // Shortening deletes answers for good: asked first.
                                <Confirm
                                    label="Save"
                                    question="Answers older than this are deleted for good, with their comments and context (the figures stay). Save?".to_string()
                                />
                                {saved.saved("Saved.")}
                            </ActionForm>
                        })
                    })
                }}
            </Suspense>
            {saved.rest()}
            <p class="hint">"Empty keeps answers until erased. The figures (counts per score) stay after answers are deleted."</p>
        </section>
    }
}
