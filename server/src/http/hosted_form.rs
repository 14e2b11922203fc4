//! `POST /s/{site_key}`: the hosted survey's form with JavaScript off. The answer goes through
//! the same server function the page's script calls (`submit_answer`: the visitor gate, the
//! parsing, the one ingest path); a stored answer moves on to the thanks, and a refused one is
//! answered with the survey page again, everything typed kept and the reason at its field.
//! The typed comment and address only ever travel in this one response, never in a URL.

use app::error::AppError;
use app::survey::RefusedAnswer;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

/// A comment of 2,000 characters of any script, the address and the hidden fields.
const FORM_LIMIT: usize = 16 * 1024;
/// Refusals are a few hundred bytes.
const ERROR_LIMIT: usize = 16 * 1024;

pub async fn submit(
    request: Request,
    context: impl Fn() + Clone + Send + Sync + 'static,
    options: leptos::config::LeptosOptions,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(form) = to_bytes(body, FORM_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let page = parts.uri.clone();
    let typed = typed_answer(&form);

    // The server function, as the page's script calls it: it answers with a status and, on
    // refusal, the error as JSON.
    let original = parts.clone();
    parts.uri = Uri::from_static("/fn/submit_answer");
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let answered = leptos_axum::handle_server_fns_with_context(
        context.clone(),
        Request::from_parts(parts, Body::from(form)),
    )
    .await
    .into_response();
    if answered.status().is_success() {
        let thanks = format!("{}/thanks", page.path().trim_end_matches('/'));
        let thanks = match page.query() {
            Some(query) => format!("{thanks}?{query}"),
            None => thanks,
        };
        return Redirect::to(&thanks).into_response();
    }
    let (answer_parts, body) = answered.into_parts();
    let bytes = to_bytes(body, ERROR_LIMIT).await.unwrap_or_default();
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(AppError::Invalid(refusal)) => {
            let refused = RefusedAnswer {
                field: refusal.field,
                reason: refusal.reason,
                ..typed
            };
            // The same page, rendered for a GET of its own address, with what was typed.
            let mut again = Request::from_parts(original, Body::empty());
            *again.method_mut() = Method::GET;
            // The page reads it from the request (`app::survey`), in this response only.
            again.extensions_mut().insert(refused);
            // Whole, not streamed: without JavaScript nothing would swap a streamed part in.
            let render = leptos_axum::render_app_async_with_context(context, move || {
                app::shell(options.clone())
            });
            let mut response = render(again).await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        // Throttled (with its Retry-After), opted out, gone: as the server function said.
        Ok(other) => {
            let mut response = Response::from_parts(answer_parts, Body::from(bytes));
            *response.status_mut() = other.status();
            response
        }
        Err(_) => Response::from_parts(answer_parts, Body::from(bytes)),
    }
}

/// The visible fields as typed (nothing is judged here; the server function did that).
fn typed_answer(form: &[u8]) -> RefusedAnswer {
    let mut typed = RefusedAnswer::default();
    for (name, value) in url::form_urlencoded::parse(form) {
        match name.as_ref() {
            "score" => typed.score = value.trim().parse().ok().filter(|s| *s <= 10),
            "comment" => {
                typed.comment = value.chars().take(app::domain::COMMENT_MAX_CHARS).collect()
            }
            "contact" => typed.contact = value == "true",
            "contact_email" => typed.contact_email = value.chars().take(254).collect(),
            "reason" => typed.reason_key = value.chars().take(40).collect(),
            _ => {}
        }
    }
    typed
}
