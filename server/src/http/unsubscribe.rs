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
async fn member_of(store: &SharedStore, link: &Link) -> Result<(Uuid, Uuid), ApiError> {
    let id = |field: &str, raw: &str| {
        Uuid::parse_str(raw).map_err(|_| ApiError::Invalid(FieldError::new(field, "is not an id")))
    };
    let (org, user) = (id("o", &link.o)?, id("u", &link.u)?);
    let bytes = (link.t.len() == 64)
        .then(|| {
            (0..32)
                .map(|i| u8::from_str_radix(&link.t[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .flatten()
        .ok_or_else(|| ApiError::Invalid(FieldError::new("t", "is not a token")))?;
    let key = store.server_secret(SECRET).await?;
    mac(key.as_bytes(), org, user)
        .verify_slice(&bytes)
        .map_err(|_| ApiError::NotFound)?;
    Ok((org, user))
}

/// `GET /digest/unsubscribe`: asks.
pub async fn ask(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, ApiError> {
    member_of(&state.store, &link).await?;
    Ok(html(Page { done: false }))
}

/// `POST /digest/unsubscribe`: stops the member's digests and alerts of the organisation.
pub async fn stop(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let (org, user) = member_of(store, &link).await?;
    if let Some(sub) = store.digest_subscription(org, user).await? {
        let off = sub.schedule.stopped();
        let next = off.next_run_after(chrono::Utc::now());
        store
            .save_digest_subscription(org, user, &off, None, next)
            .await?;
        store
            .record_audit(&AuditEntry {
                org_id: org,
                actor: Some(user),
                action: "digest.schedule".into(),
                subject: format!("{} (by the link in a digest)", off.describe()),
                at: chrono::Utc::now(),
            })
            .await?;
    }
    Ok(html(Page { done: true }))
}

fn html(page: Page) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => ApiError::Internal(anyhow::anyhow!("rendering a page: {e}")).into_response(),
    }
}
