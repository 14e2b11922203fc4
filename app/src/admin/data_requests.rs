//! Data-subject requests: find one person's answers by respondent id, the site's user id (as
//! each site hashed it) or e-mail, hand them over, erase them.

#[cfg(feature = "ssr")]
use super::acting;
use super::feedback::{successes, Confirm, Feedback};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// What an admin searches a data-subject request by.
#[derive(Clone, Debug, Default)]
pub struct SearchTerms {
    /// The id typed, when it is a respondent id (a UUID).
    pub respondent: Option<Uuid>,
    /// The id typed, as a site's user id (`farewell.identify`): a UUID may be one too.
    pub user: Option<crate::domain::ExternalId>,
    pub email: Option<String>,
}

/// A respondent or user id and/or an e-mail: the id field takes either kind of id.
pub fn search_terms(
    respondent: &str,
    email: &str,
) -> Result<SearchTerms, crate::domain::FieldError> {
    let (respondent, user) = match respondent.trim() {
        "" => (None, None),
        id => (
            Uuid::parse_str(id).ok(),
            Some(crate::domain::ExternalId::parse("respondent", id)?),
        ),
    };
    let email = match email.trim() {
        "" => None,
        e => Some(
            crate::domain::Email::parse("email", e)?
                .as_str()
                .to_string(),
        ),
    };
    if user.is_none() && email.is_none() {
        return Err(crate::domain::FieldError::new(
            "respondent",
            "give a respondent or user id, or an e-mail",
        ));
    }
    Ok(SearchTerms {
        respondent,
        user,
        email,
    })
}

/// The organisation's answers the terms find: a user id is hashed as each site hashed it.
#[cfg(feature = "ssr")]
pub async fn find(
    store: &dyn crate::store::Store,
    org: Uuid,
    terms: &SearchTerms,
) -> Result<Vec<crate::report::Verbatim>, crate::store::StoreError> {
    let user_hashes = match &terms.user {
        Some(user) => store
            .identity_secrets(org)
            .await?
            .into_iter()
            .map(|(site, secret)| {
                (
                    site,
                    crate::tokens::identity_hash(&secret, "user", user.expose()),
                )
            })
            .collect(),
        None => vec![],
    };
    let search = crate::store::AnswerSearch {
        respondent: terms.respondent,
        email: terms.email.clone(),
        user_hashes,
    };
    store.find_answers(org, &search).await
}

/// An admin's search for one person's answers (a data-subject request).
#[server(prefix = "/fn", endpoint = "find_answers")]
pub async fn find_answers(
    org: String,
    #[server(default)] respondent: String,
    #[server(default)] email: String,
) -> Result<Vec<crate::report::Verbatim>, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let terms = search_terms(&respondent, &email)?;
    Ok(find(who.store.as_ref(), who.org(), &terms).await?)
}

/// Erases every answer the search finds, with their search entries, tags and aggregate counts.
#[server(prefix = "/fn", endpoint = "erase_answers")]
pub async fn erase_answers(
    org: String,
    #[server(default)] respondent: String,
    #[server(default)] email: String,
) -> Result<u64, AppError> {
    let who = acting(&org, Role::Admin).await?;
    let terms = search_terms(&respondent, &email)?;
    let ids: Vec<Uuid> = find(who.store.as_ref(), who.org(), &terms)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let erased = who.store.erase_answers(who.org(), &ids).await?;
    who.audit("erasure.admin", format!("{erased} answers"))
        .await?;
    Ok(erased)
}

/// Find one person's answers by respondent id or e-mail, download them, erase them. The
/// search is in the URL (`/admin?org=…&respondent=…&email=…`).
#[component]
pub fn DataRequests(org: String) -> impl IntoView {
    let erase = ServerAction::<EraseAnswers>::new();
    let query = leptos_router::hooks::use_query_map();
    let mine = org.clone();
    let terms = move || {
        let q = query.read();
        (q.get("org").as_deref() == Some(mine.as_str())).then(|| {
            (
                q.get("respondent").unwrap_or_default(),
                q.get("email").unwrap_or_default(),
            )
        })
    };
    let erased = successes(erase);
    let found = {
        let org = org.clone();
        let terms = terms.clone();
        Resource::new(
            move || (terms(), erased.get()),
            move |(terms, _)| {
                let org = org.clone();
                async move {
                    match terms {
                        Some((respondent, email)) => {
                            Some(find_answers(org, respondent, email).await)
                        }
                        None => None,
                    }
                }
            },
        )
    };
    let (respondent, email) = terms().unwrap_or_default();
    let org2 = org.clone();
    let erasure = Feedback::new(erase);
    view! {
        <section class="panel data-requests">
            <h3>"Data-subject requests"</h3>
            {erasure.rest()}
            {erasure.saved("Erased. The counts per score are kept.")}
            <form method="get" action="/admin" class="inline">
                <input type="hidden" name="org" value=org.clone() />
                <label>"Respondent or user id "<input name="respondent" value=respondent size="38" /></label>
                <label>"or e-mail "<input name="email" type="email" value=email /></label>
                <button type="submit">"Find answers"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || {
                    let org = org2.clone();
                    let terms = terms.clone();
                    Suspend::new(async move {
                        match found.await {
                            None => ().into_any(),
                            Some(Err(e)) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                            Some(Ok(answers)) => {
                                let (respondent, email) = terms().unwrap_or_default();
                                let n = answers.len();
                                let rows = answers
                                    .into_iter()
                                    .map(|a| view! {
                                        <li>{format!("{} · score {} · {}", a.received_at.format("%Y-%m-%d"), a.score, a.comment.unwrap_or_default())}</li>
                                    })
                                    .collect_view();
                                let download = format!(
                                    "/admin/answers.json?org={org}&respondent={}&email={}",
                                    crate::report::percent_encode(&respondent),
                                    crate::report::percent_encode(&email)
                                );
                                view! {
                                    <p class="found" data-count=n>{format!("{n} answers found.")}</p>
                                    <ul class="found-answers">{rows}</ul>
                                    <p><a href=download download>"Download as JSON"</a></p>
                                    <ActionForm action=erase attr:class="inline">
                                        <input type="hidden" name="org" value=org />
                                        <input type="hidden" name="respondent" value=respondent />
                                        <input type="hidden" name="email" value=email />
                                        {(n > 0).then(|| view! {
                                            <Confirm label="Erase these answers" question=format!("Erase these {n} answers for good? This cannot be undone.") />
                                        })}
                                    </ActionForm>
                                }
                                .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
