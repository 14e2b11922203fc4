//! Ways into an organisation other than a member's password: invitations, API tokens and
//! share links. Only hashes of their secrets are stored.

use super::StoreResult;
use crate::domain::{ApiTokenRecord, InvitationRecord, Role, ShareLinkRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// How an organisation's share links publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSettings {
    /// No group smaller than this is shown or computable.
    pub k: u32,
}

/// What a live share link shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareScope {
    pub org: Uuid,
    pub site: Uuid,
    pub days: u32,
    pub settings: ShareSettings,
}

#[async_trait]
pub trait AccessStore: Send + Sync + 'static {
    async fn create_invitation(
        &self,
        org: Uuid,
        role: Role,
        token_hash: &str,
        invited_by: Uuid,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Uuid>;
    /// Invitations neither accepted nor revoked nor expired.
    async fn pending_invitations(
        &self,
        org: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<InvitationRecord>>;
    async fn revoke_invitation(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>>;
    /// Uses the invitation once: `false` if it was used, revoked or expired meanwhile. The
    /// member keeps an existing membership's role.
    async fn accept_invitation(&self, id: Uuid, user: Uuid, at: DateTime<Utc>)
        -> StoreResult<bool>;
    async fn create_api_token(&self, org: Uuid, name: &str, token_hash: &str) -> StoreResult<()>;
    async fn organisation_for_token(&self, token_hash: &str) -> StoreResult<Option<Uuid>>;
    async fn api_tokens(&self, org: Uuid) -> StoreResult<Vec<ApiTokenRecord>>;
    async fn revoke_api_token(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn create_share_link(
        &self,
        org: Uuid,
        site: Uuid,
        token_hash: &str,
        days: u32,
    ) -> StoreResult<Option<Uuid>>;
    /// Links not revoked, newest first.
    async fn share_links(&self, org: Uuid) -> StoreResult<Vec<ShareLinkRecord>>;
    async fn revoke_share_link(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// A live link: whose, which site, how many days, and its organisation's rules.
    async fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareScope>>;
    async fn share_settings(&self, org: Uuid) -> StoreResult<ShareSettings>;
    /// `false`: a share link was made already (revoked ones count: their holders kept what
    /// they saw), so k stays as it was.
    async fn set_share_settings(&self, org: Uuid, settings: &ShareSettings) -> StoreResult<bool>;
}
