//! API tokens: each shown once when made, stored only as a hash, revocable.

use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use super::{acting, forms, parse_id};
use super::{loaded, OrganisationHeader};
use crate::domain::ApiTokenRecord;
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "tokens_section")]
pub async fn tokens_section(org: String) -> Result<Vec<ApiTokenRecord>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    Ok(who.store.api_tokens(who.org()).await?)
}

/// Creates an API token; the token is returned once and stored only as a hash.
#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(org: String, name: String) -> Result<String, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let name = forms::name("name", &name)?;
    let (token, hash) = crate::tokens::new_api_token();
    who.store.create_api_token(who.org(), &name, &hash).await?;
    who.audit("token.create", name).await?;
    Ok(token)
}

#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(org: String, id: String) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let id = parse_id("id", &id)?;
    if !who
        .store
        .revoke_api_token(who.org(), id, chrono::Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    who.audit("token.revoke", id.to_string()).await
}

#[component]
pub fn Tokens(org: OrganisationHeader) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    crate::plain_form::show_output(create, &[("org", &org.id.to_string())]);
    let revoke = ServerAction::<RevokeToken>::new();
    let org_id = org.id.to_string();
    let tokens = {
        let org_id = org_id.clone();
        let (created, revoked) = (successes(create), successes(revoke));
        Resource::new(
            move || (created.get(), revoked.get()),
            move |_| tokens_section(org_id.clone()),
        )
    };
    let items = {
        let org_id = org_id.clone();
        move |tokens: Vec<ApiTokenRecord>| {
            tokens
                .into_iter()
                .map(|t| {
                    let (org, id) = (org_id.clone(), t.id.to_string());
                    let question = format!(
                        "Revoke \"{}\"? Whatever uses it is refused from now on.",
                        t.name
                    );
                    let revoke_form = (!t.revoked).then(move || {
                        view! {
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="org" value=org />
                                <input type="hidden" name="id" value=id />
                                <Confirm label="Revoke" question />
                            </ActionForm>
                        }
                    });
                    view! {
                        <li data-token=t.name.clone()>
                            {format!("{} — created {}", t.name, t.created_at.format("%Y-%m-%d"))}
                            {t.revoked.then_some(" (revoked)")}
                            {revoke_form}
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let new_token = move || match create.value().get() {
        Some(Ok(token)) => Some(view! {
            <p>"The new token, shown only now: "<input class="new-token" readonly size="60" value=token /></p>
        }),
        _ => None,
    };
    let (made, revoked) = (Feedback::new(create), Feedback::new(revoke));
    view! {
        <section class="panel">
            <h3>"API tokens"</h3>
            {revoked.rest()}
            {revoked.saved("Token revoked.")}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let items = items.clone();
                    Suspend::new(async move {
                        loaded(tokens.await, |t| view! { <ul class="tokens">{items(t)}</ul> })
                    })
                }}
            </Suspense>
            <ActionForm action=create attr:class="inline">
                <input type="hidden" name="org" value=org_id />
                <label>"Name "<input name="name" required maxlength="100" /></label>
                {made.at("name")}
                <button type="submit">"Create token"</button>
            </ActionForm>
            {made.rest()}
            {new_token}
        </section>
    }
}
