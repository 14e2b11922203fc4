//! A members' form sent without the page's script (JavaScript off, or pressed before the page
//! came alive): the server calls its server function, then sends the browser back to the page
//! (post/redirect/get) with the outcome kept in the member's session for that one next view
//! (`server/src/http/plain_forms.rs`). Never in the address: a `?__err=` anyone can forge into a
//! link is not shown at all (`admin::feedback`).

use crate::error::AppError;
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
}

impl PlainOutcome {
    /// The outcome this page is rendered with, if any (put on the request by the server).
    #[cfg(feature = "ssr")]
    pub fn of_this_request() -> Option<PlainOutcome> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PlainOutcome>().cloned())
    }
}
