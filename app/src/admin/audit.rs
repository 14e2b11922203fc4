//! The audit log: who did what, when. Owners only.

#[cfg(feature = "ssr")]
use super::acting;
use super::{loaded, OrganisationHeader};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One entry as the log shows it: the actor by e-mail, not by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
}

/// The newest hundred entries.
#[server(prefix = "/fn", endpoint = "audit_section")]
pub async fn audit_section(org: String) -> Result<Vec<AuditRow>, AppError> {
    let who = acting(&org, Role::Owner).await?;
    let emails: std::collections::HashMap<uuid::Uuid, String> = who
        .store
        .members(who.org())
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.email))
        .collect();
    let rows = who
        .store
        .audit_log(who.org(), 100)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: e.at,
            actor: match e.actor {
                Some(a) => emails
                    .get(&a)
                    .cloned()
                    .unwrap_or_else(|| "a former member".into()),
                None => "Farewell".into(),
            },
            action: e.action,
            subject: e.subject,
        })
        .collect();
    Ok(rows)
}

#[component]
pub fn Audit(org: OrganisationHeader) -> impl IntoView {
    // Every other section's actions add entries: the log is read again on request.
    let refresh = RwSignal::new(0usize);
    let org_id = org.id.to_string();
    let rows = Resource::new(
        move || refresh.get(),
        move |_| audit_section(org_id.clone()),
    );
    let table = |rows: Vec<AuditRow>| {
        let rows = rows
            .into_iter()
            .map(|a| view! {
                <tr><td>{a.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</td><td>{a.actor}</td><td>{a.action}</td><td>{a.subject}</td></tr>
            })
            .collect_view();
        view! {
            <table class="audit"><thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Subject"</th></tr></thead><tbody>{rows}</tbody></table>
        }
    };
    view! {
        <section class="panel">
            <h3>"Audit log"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move { loaded(rows.await, table) })}
            </Suspense>
            <button type="button" class="link" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh the log"</button>
        </section>
    }
}
