//! Browser sessions of members.

use super::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A stored browser session; the key is the SHA-256 of the session id, never the id itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub data: String,
    /// The member signed in with it, if any: lets every session of a member be ended.
    pub user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn load_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Stores a new session; `false` if the id is taken (the caller picks another).
    async fn create_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<bool>;
    /// Updates a session that still exists. A session deleted meanwhile (its member changed
    /// their password, or was removed) stays deleted: a request in flight cannot bring it back.
    async fn save_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<()>;
    /// Ends every session of a member; returns how many there were.
    async fn delete_user_sessions(&self, user: Uuid) -> StoreResult<u64>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
