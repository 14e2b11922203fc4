//! The member's own account: their password.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let member = crate::auth::require_member().await?;
    let store = crate::auth::store()?;
    let new = crate::domain::Password::parse("new", &new)?;
    let stored = store.user_password_hash(member.user_id).await?;
    if !crate::auth::verify_password(stored, current).await? {
        return Err(AppError::invalid("current", "is not your current password"));
    }
    let hash = crate::auth::hash_password(&new).await?;
    store.set_password_hash(member.user_id, &hash).await?;
    // Every session of this member ends (one opened with the old password may be
    // someone else's); this one goes on under a new id, written at the end of the
    // request, after the others were deleted.
    store.delete_user_sessions(member.user_id).await?;
    crate::auth::renew_session(&hash).await?;
    for m in &member.memberships {
        store
            .record_audit(&crate::store::AuditEntry {
                org_id: m.org_id,
                actor: Some(member.user_id),
                action: "account.password".into(),
                subject: member.user_id.to_string(),
                at: Utc::now(),
            })
            .await?;
    }
    Ok(())
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let outcome = move || match change.value().get() {
        Some(Ok(())) => {
            Some(view! { <p class="ok" role="status">"Your password was changed."</p> }.into_any())
        }
        Some(Err(e)) => {
            Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any())
        }
        None => None,
    };
    view! {
        <Title text="Account · Farewell" />
        <main class="page narrow">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboard"</a></p>
            <h1>"Account"</h1>
            <h2>"Change password"</h2>
            <ActionForm action=change attr:class="stack">
                <label for="current">"Current password"</label>
                <input id="current" type="password" name="current" autocomplete="current-password" required />
                <label for="new">"New password (at least 12 characters)"</label>
                <input id="new" type="password" name="new" autocomplete="new-password" required minlength="12" />
                {outcome}
                <button type="submit">"Change password"</button>
            </ActionForm>
        </main>
    }
}
