//! Data-subject requests and retention: finding, handing over and erasing answers.

use super::StoreResult;
use crate::report::Verbatim;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a data-subject request finds answers by: a respondent id, the contact e-mail left with
/// them, or a user id as each site hashed it (site, hash).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerSearch {
    pub respondent: Option<Uuid>,
    pub email: Option<String>,
    pub user_hashes: Vec<(Uuid, String)>,
}

#[async_trait]
pub trait PrivacyStore: Send + Sync + 'static {
    /// One respondent's answers on a site, for the visitor's own download or erasure.
    async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>>;
    /// Answers in the organisation that any of the search's terms finds.
    async fn find_answers(&self, org: Uuid, search: &AnswerSearch) -> StoreResult<Vec<Verbatim>>;
    /// The identity secret of each of the organisation's sites that has one: what its user ids
    /// are hashed with (`tokens::identity_hash`).
    async fn identity_secrets(&self, org: Uuid) -> StoreResult<Vec<(Uuid, String)>>;
    /// Deletes answers with everything derived from them — search index entries, tags, their
    /// counts in the aggregates — in one transaction. Returns how many were deleted.
    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64>;
    async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>>;
    async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()>;
    /// Deletes answers and survey events older than their organisation's retention; how many
    /// answers went. The aggregates keep their counts: figures stay, content goes.
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
