//! Invitations: single-use links that add a member with a role, and the page that accepts one.

use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use super::{acting, parse_id, parse_role};
use super::{loaded, role_options, OrganisationHeader};
use crate::domain::{InvitationRecord, Role};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// The invitation a link stands for, as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org_name: String,
    pub role: Role,
    pub usable: bool,
    pub signed_in: bool,
}

/// Invitations neither accepted nor revoked nor expired.
#[server(prefix = "/fn", endpoint = "invitations_section")]
pub async fn invitations_section(org: String) -> Result<Vec<InvitationRecord>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.pending_invitations(who.org(), Utc::now()).await?)
}

/// Creates a single-use invitation link; returns its path (`/invite/inv_…`), shown once.
#[server(prefix = "/fn", endpoint = "invite_member")]
pub async fn invite_member(org: String, role: String) -> Result<String, AppError> {
    let role = parse_role(&role)?;
    // Only an owner may invite another owner.
    let needed = if role == Role::Owner {
        Role::Owner
    } else {
        Role::Admin
    };
    let who = acting(&org, needed).await?;
    let (token, hash) = crate::tokens::new_invitation_token();
    let expires = Utc::now() + chrono::Duration::days(INVITATION_DAYS);
    let id = who
        .store
        .create_invitation(who.org(), role, &hash, who.member.user_id, expires)
        .await?;
    who.audit("invitation.create", format!("{id} as {}", role.as_str()))
        .await?;
    Ok(format!("/invite/{token}"))
}

#[server(prefix = "/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(org: String, id: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let id = parse_id("id", &id)?;
    if !who
        .store
        .revoke_invitation(who.org(), id, Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    who.audit("invitation.revoke", id.to_string()).await
}

#[component]
pub fn Invitations(org: OrganisationHeader, base: String) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    crate::plain_form::show_output(invite, &[("org", &org.id.to_string())]);
    let revoke = ServerAction::<RevokeInvitation>::new();
    let org_id = org.id.to_string();
    let pending = {
        let org_id = org_id.clone();
        let (invited, revoked) = (successes(invite), successes(revoke));
        Resource::new(
            move || (invited.get(), revoked.get()),
            move |_| invitations_section(org_id.clone()),
        )
    };
    let owner = org.role == Role::Owner;
    let link = move || match invite.value().get() {
        Some(Ok(path)) => Some(view! {
            <p>"Send this link (valid "{INVITATION_DAYS}" days, once): "
                <input class="invite-link" readonly size="60" value=format!("{base}{path}") />
            </p>
        }),
        _ => None,
    };
    let items = {
        let org_id = org_id.clone();
        move |invitations: Vec<InvitationRecord>| {
            invitations
                .into_iter()
                .map(|i| {
                    let (org, id) = (org_id.clone(), i.id.to_string());
                    let question = "Revoke this link? Whoever has it can no longer join.".to_string();
                    view! {
                        <li>
                            {format!("{} — expires {}", i.role.as_str(), i.expires_at.format("%Y-%m-%d %H:%M UTC"))}
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="org" value=org />
                                <input type="hidden" name="id" value=id />
                                <Confirm label="Revoke" question />
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let (invited, revoked) = (Feedback::new(invite), Feedback::new(revoke));
    view! {
        <ActionForm action=invite attr:class="inline invite">
            <input type="hidden" name="org" value=org_id />
            <label>"Invite as "<select name="role">{role_options(Role::Viewer, owner)}</select></label>
            {invited.at("role")}
            <button type="submit">"Create invitation link"</button>
        </ActionForm>
        {invited.rest()}
        {revoked.rest()}
        {revoked.saved("Invitation revoked.")}
        {link}
        <Suspense fallback=|| ()>
            {move || {
                let items = items.clone();
                Suspend::new(async move {
                    loaded(pending.await, |p| view! { <ul class="invitations">{items(p)}</ul> })
                })
            }}
        </Suspense>
    }
}

#[server(prefix = "/fn", endpoint = "load_invitation")]
pub async fn load_invitation(token: String) -> Result<InvitationView, AppError> {
    // Whether a member is signed in is asked first, before any other await: see
    // `auth::require_member`.
    let store = crate::auth::store()?;
    let signed_in = crate::auth::require_member().await.is_ok();
    let invitation = find_invitation(&store, &token).await?;
    Ok(InvitationView {
        org_name: invitation.org_name,
        role: invitation.role,
        usable: !invitation.accepted && !invitation.revoked && invitation.expires_at > Utc::now(),
        signed_in,
    })
}

#[cfg(feature = "ssr")]
async fn find_invitation(
    store: &crate::store::SharedStore,
    token: &str,
) -> Result<InvitationRecord, AppError> {
    let token = token.trim();
    if !token.starts_with(crate::tokens::INVITATION_PREFIX) || token.len() > 100 {
        return Err(AppError::NotFound);
    }
    store
        .invitation_by_token(&crate::tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(AppError::NotFound)
}

/// Joins the invitation's organisation. Signed in: as that member. Otherwise with the e-mail
/// and password given: an existing account signs in (throttled like the sign-in form), a new
/// e-mail creates an account.
#[server(prefix = "/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    #[server(default)] email: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    let result = async {
        let store = crate::auth::store()?;
        let invitation = find_invitation(&store, &token).await?;
        let user = match crate::auth::require_member().await {
            Ok(member) => member.user_id,
            Err(AppError::Unauthorized) => {
                let address = crate::domain::Email::parse("email", &email)?;
                if store.credentials(&address).await?.is_none() {
                    let password = crate::domain::Password::parse("password", &password)?;
                    let hash = crate::auth::hash_password(&password).await?;
                    match store.create_user(&address, &hash).await {
                        Ok(_) | Err(crate::store::StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                crate::auth::sign_in(&email, password).await?;
                crate::auth::require_member().await?.user_id
            }
            Err(e) => return Err(e),
        };
        if !store
            .accept_invitation(invitation.id, user, Utc::now())
            .await?
        {
            return Err(AppError::invalid(
                "token",
                "this invitation was used, revoked or has expired",
            ));
        }
        store
            .record_audit(&crate::store::AuditEntry {
                org_id: invitation.org_id,
                actor: Some(user),
                action: "invitation.accept".into(),
                subject: format!("{} as {}", invitation.id, invitation.role.as_str()),
                at: Utc::now(),
            })
            .await?;
        Ok(())
    }
    .await;
    if result.is_ok() {
        leptos_axum::redirect("/dashboard");
    }
    result
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let accept = ServerAction::<AcceptInvitation>::new();
    let invitation = Resource::new(token, load_invitation);
    let error = move || match accept.value().get() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }),
        _ => None,
    };
    view! {
        <Title text="Invitation · Farewell" />
        <main class="page narrow">
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(i) if !i.usable => view! {
                            <h1>"Invitation"</h1>
                            <p>"This invitation was used, revoked or has expired. Ask for a new one."</p>
                        }.into_any(),
                        Ok(i) => {
                            let fields = (!i.signed_in).then(|| view! {
                                <p class="hint">"Sign in with your Farewell account, or choose a password to create one."</p>
                                <label for="email">"E-mail"</label>
                                <input id="email" type="email" name="email" autocomplete="username" required />
                                <label for="password">"Password (at least 12 characters)"</label>
                                <input id="password" type="password" name="password" autocomplete="current-password" required />
                            });
                            view! {
                                <h1>{format!("Join {}", i.org_name)}</h1>
                                <p>{format!("You are invited as {}.", i.role.as_str())}</p>
                                <ActionForm action=accept attr:class="stack">
                                    <input type="hidden" name="token" value=token() />
                                    {fields}
                                    {error}
                                    <button type="submit">"Join"</button>
                                </ActionForm>
                            }.into_any()
                        }
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
