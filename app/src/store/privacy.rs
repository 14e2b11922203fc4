//! Data-subject requests and retention: finding, handing over and erasing answers.

use super::StoreResult;
use crate::report::Verbatim;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
pub trait PrivacyStore: Send + Sync + 'static {
    /// One respondent's answers on a site, for the visitor's own download or erasure.
    async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>>;
    /// Answers in the organisation by respondent id and/or the contact e-mail left with them.
    async fn find_answers(
        &self,
        org: Uuid,
        respondent: Option<Uuid>,
        email: Option<&str>,
    ) -> StoreResult<Vec<Verbatim>>;
    /// Deletes answers with everything derived from them — search index entries, tags, their
    /// counts in the aggregates — in one transaction. Returns how many were deleted.
    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64>;
    async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>>;
    async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()>;
    /// Deletes answers and survey events older than their organisation's retention; how many
    /// answers went. The aggregates keep their counts: figures stay, content goes.
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
