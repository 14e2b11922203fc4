//! One-click unsubscribe from a member's digests (RFC 8058): every digest carries
//! `List-Unsubscribe` with a link holding the organisation, the member and a keyed hash of both
//! (HMAC-SHA256 with a server secret), so that the link works without signing in and cannot be
//! made for anyone else. A GET only asks (a link scanner fetching it changes nothing); the POST
//! (the button, or the mail client's one click) stops them.

use super::error::ApiError;
use crate::startup::AppState;
use app::domain::FieldError;
use app::store::{AuditEntry, SharedStore};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use uuid::Uuid;

/// The name of the server secret the links are keyed with.
pub const SECRET: &str = "digest_unsubscribe";

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    o: String,
    #[serde(default)]
    u: String,
    #[serde(default)]
    t: String,
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct Page {
    done: bool,
}

fn mac(key: &[u8], org: Uuid, user: Uuid) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(format!("{org}:{user}").as_bytes());
    mac
}

/// The token of a member's link.
pub fn token(key: &[u8], org: Uuid, user: Uuid) -> String {
    mac(key, org, user)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `{base}/digest/unsubscribe?o=…&u=…&t=…`.
pub fn link(base: &str, key: &[u8], org: Uuid, user: Uuid) -> String {
    format!(
        "{}/digest/unsubscribe?o={org}&u={user}&t={}",
        base.trim_end_matches('/'),
        token(key, org, user)
    )
}

/// The member the link names, if its token is theirs (checked in constant time).
fn member_of(key: &[u8], link: &Link) -> Result<(Uuid, Uuid), ApiError> {
    let id = |field: &str, raw: &str| {
        Uuid::parse_str(raw).map_err(|_| ApiError::Invalid(FieldError::new(field, "is not an id")))
    };
    let (org, user) = (id("o", &link.o)?, id("u", &link.u)?);
    let t = link.t.as_bytes();
    if t.len() != 64 || !t.iter().all(u8::is_ascii_hexdigit) {
        return Err(ApiError::Invalid(FieldError::new("t", "is not a token")));
    }
    let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    let bytes: Vec<u8> = t.chunks(2).map(|p| hex(p[0]) << 4 | hex(p[1])).collect();
    mac(key, org, user)
        .verify_slice(&bytes)
        .map_err(|_| ApiError::NotFound)?;
    Ok((org, user))
}

/// `GET /digest/unsubscribe`: asks.
pub async fn ask(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, ApiError> {
    member_of(&state.unsubscribe_key, &link)?;
    Ok(html(Page { done: false }))
}

/// `POST /digest/unsubscribe`: stops the member's digests and alerts of the organisation.
pub async fn stop(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, ApiError> {
    let store: &SharedStore = &state.store;
    let (org, user) = member_of(&state.unsubscribe_key, &link)?;
    let now = chrono::Utc::now();
    if store.stop_digests(org, user, now).await? {
        // Whoever holds the link, not necessarily the member: no actor.
        store
            .record_audit(&AuditEntry {
                org_id: org,
                actor: None,
                action: "digest.stopped".into(),
                subject: format!("{user}: by the link in a digest"),
                at: now,
            })
            .await?;
    }
    Ok(html(Page { done: true }))
}

/// The page's own policy: its inline style, and its form posting to itself (the default
/// policy allows neither).
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn html(page: Page) -> Response {
    match page.render() {
        Ok(body) => (
            [(axum::http::header::CONTENT_SECURITY_POLICY, POLICY)],
            Html(body),
        )
            .into_response(),
        Err(e) => ApiError::Internal(anyhow::anyhow!("rendering a page: {e}")).into_response(),
    }
}
