//! A members' form sent without the page's script (JavaScript off, or pressed before the page
//! came alive): the server calls its server function, then sends the browser back to the page
//! (post/redirect/get) with the outcome kept in the member's session for that one next view
//! (`server/src/http/plain_forms.rs`). Never in the address: a `?__err=` anyone can forge into a
//! link is not shown at all (`admin::feedback`).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

/// What a plain form sent and what its server function answered, for the next view of `page`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlainOutcome {
    /// The page the form was on: its path, and its query but for `__err`.
    pub page: String,
    /// The server function's path: `/fn/update_site`.
    pub endpoint: String,
    /// The fields as sent, passwords left out.
    pub fields: Vec<(String, String)>,
    /// Why it was refused; `None` when it succeeded.
    pub refusal: Option<AppError>,
    /// What the function answered, when it answered more than "done": a token, a secret or a
    /// link shown only once. Never kept in the session (which lives in the database): it
    /// reaches the next view in a cookie only the member's browser holds, for a minute.
    #[serde(skip)]
    pub output: Option<String>,
    /// The SHA-256 of that output, kept in the session: the next view takes the cookie only if
    /// it is the one this form's function answered (a cookie planted by anyone else is not).
    #[serde(default)]
    pub output_hash: Option<String>,
}

impl PlainOutcome {
    /// The outcome this page is rendered with, if any (put on the request by the server).
    #[cfg(feature = "ssr")]
    pub fn of_this_request() -> Option<PlainOutcome> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PlainOutcome>().cloned())
    }
}

/// Gives `action` the value its server function answered a plain form, so that the next view,
/// rendered on the server, shows it as the page's script would have (a new token, shown once).
/// Only the form that was sent shows it: the one whose hidden fields `form` (the organisation,
/// on a page with one section per organisation) hold what was sent.
pub fn show_output<S>(action: ServerAction<S>, form: &[(&str, &str)])
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    if let Some(outcome) = PlainOutcome::of_this_request() {
        let sent =
            |name: &str, value: &str| outcome.fields.iter().any(|(n, v)| n == name && v == value);
        let output = outcome
            .output
            .as_deref()
            .filter(|_| {
                outcome.refusal.is_none()
                    && outcome.endpoint == S::PATH
                    && form.iter().all(|(name, value)| sent(name, value))
            })
            .and_then(|json| serde_json::from_str::<S::Output>(json).ok());
        if let Some(output) = output {
            action.value().set(Some(Ok(output)));
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = (action, form);
}
