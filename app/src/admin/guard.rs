//! Who may act on an organisation: every administration server function starts here. Another
//! organisation is `NotFound`, too small a role `Forbidden`.

use crate::auth::Member;
use crate::domain::Role;
use crate::error::AppError;
use crate::store::{AuditEntry, Membership, SharedStore};
use chrono::Utc;
use uuid::Uuid;

/// A member acting on one organisation with at least the rights asked for.
pub struct Acting {
    pub member: Member,
    pub membership: Membership,
    pub store: SharedStore,
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::Admin => 1,
        Role::Owner => 2,
    }
}

pub fn at_least(role: Role, needed: Role) -> bool {
    rank(role) >= rank(needed)
}

pub async fn acting(org: &str, needed: Role) -> Result<Acting, AppError> {
    // Before the first await: see `auth::require_member`.
    let store = crate::auth::store()?;
    let member = crate::auth::require_member().await?;
    let org = Uuid::parse_str(org.trim()).map_err(|_| AppError::NotFound)?;
    let membership = member
        .memberships
        .iter()
        .find(|m| m.org_id == org)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if !at_least(membership.role, needed) {
        return Err(AppError::Forbidden);
    }
    Ok(Acting {
        member,
        membership,
        store,
    })
}

impl Acting {
    pub fn org(&self) -> Uuid {
        self.membership.org_id
    }

    /// Writes the audit entry for an action that was carried out.
    pub async fn audit(&self, action: &str, subject: impl Into<String>) -> Result<(), AppError> {
        self.store
            .record_audit(&AuditEntry {
                org_id: self.org(),
                actor: Some(self.member.user_id),
                action: action.to_string(),
                subject: subject.into(),
                at: Utc::now(),
            })
            .await?;
        Ok(())
    }
}

/// `https://host` of the request (plain http only for loopback development).
pub async fn base_url() -> String {
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let local = host.starts_with("localhost") || host.starts_with("127.");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| if local { "http".into() } else { "https".into() });
    format!("{proto}://{host}")
}

pub fn parse_id(field: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::invalid(field, "is not an id"))
}

pub fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw.trim())
        .ok_or_else(|| AppError::invalid("role", "must be owner, admin or viewer"))
}
