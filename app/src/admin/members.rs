//! Members of an organisation: their roles, and removing them. Owners are changed only by
//! owners, and an organisation keeps at least one.

use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use super::{acting, parse_id, parse_role};
use super::{loaded, role_options, OrganisationHeader};
use crate::domain::{MemberRecord, Role};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "members_section")]
pub async fn members_section(org: String) -> Result<Vec<MemberRecord>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.members(who.org()).await?)
}

#[cfg(feature = "ssr")]
fn owners(members: &[MemberRecord]) -> usize {
    members.iter().filter(|m| m.role == Role::Owner).count()
}

#[server(prefix = "/fn", endpoint = "change_role")]
pub async fn change_role(org: String, user: String, role: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let user = parse_id("user", &user)?;
    let role = parse_role(&role)?;
    let members = who.store.members(who.org()).await?;
    let target = members
        .iter()
        .find(|m| m.user_id == user)
        .ok_or(AppError::NotFound)?;
    if (target.role == Role::Owner || role == Role::Owner) && who.membership.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    if target.role == Role::Owner && role != Role::Owner && owners(&members) == 1 {
        return Err(AppError::invalid(
            "role",
            "an organisation keeps at least one owner",
        ));
    }
    who.store.set_member_role(who.org(), user, role).await?;
    who.audit("member.role", format!("{user} to {}", role.as_str()))
        .await
}

#[server(prefix = "/fn", endpoint = "remove_member")]
pub async fn remove_member(org: String, user: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let user = parse_id("user", &user)?;
    let members = who.store.members(who.org()).await?;
    let target = members
        .iter()
        .find(|m| m.user_id == user)
        .ok_or(AppError::NotFound)?;
    if target.role == Role::Owner {
        if who.membership.role != Role::Owner {
            return Err(AppError::Forbidden);
        }
        if owners(&members) == 1 {
            return Err(AppError::invalid(
                "user",
                "an organisation keeps at least one owner",
            ));
        }
    }
    who.store.remove_member(who.org(), user).await?;
    // Signed out everywhere at once, not only when their cookie next expires.
    who.store.delete_user_sessions(user).await?;
    who.audit("member.remove", user.to_string()).await
}

#[component]
pub fn Members(org: OrganisationHeader) -> impl IntoView {
    let role = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let org_id = org.id.to_string();
    let members = {
        let org_id = org_id.clone();
        let (changed, removed) = (successes(role), successes(remove));
        Resource::new(
            move || (changed.get(), removed.get()),
            move |_| members_section(org_id.clone()),
        )
    };
    let owner = org.role == Role::Owner;
    let rows = move |members: Vec<MemberRecord>| {
        members
            .into_iter()
            .map(|m| {
                let me = (m.user_id == org.me).then_some(" (you)");
                let (o1, o2) = (org_id.clone(), org_id.clone());
                let (user1, user2) = (m.user_id.to_string(), m.user_id.to_string());
                let question = format!(
                    "Remove {} from {}? They are signed out at once.",
                    m.email, org.name
                );
                view! {
                    <tr data-member=m.email.clone()>
                        <td>{m.email.clone()}{me}</td>
                        <td>
                            <ActionForm action=role attr:class="inline">
                                <input type="hidden" name="org" value=o1 />
                                <input type="hidden" name="user" value=user1 />
                                <select name="role" aria-label="Role">{role_options(m.role, owner)}</select>
                                <button type="submit">"Save"</button>
                            </ActionForm>
                        </td>
                        <td>
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="org" value=o2 />
                                <input type="hidden" name="user" value=user2 />
                                <Confirm label="Remove" question />
                            </ActionForm>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let (changed, removed) = (Feedback::new(role), Feedback::new(remove));
    view! {
        {changed.rest()}
        {changed.saved("Role saved.")}
        {removed.rest()}
        {removed.saved("Member removed.")}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let rows = rows.clone();
                Suspend::new(async move {
                    loaded(members.await, |m| view! { <table class="members"><tbody>{rows(m)}</tbody></table> })
                })
            }}
        </Suspense>
    }
}
