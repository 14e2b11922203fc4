//! What the counting worker needs: answers are stored uncounted and counted into the
//! aggregates later, in bulk.

use super::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait CountingStore: Send + Sync + 'static {
    /// Counts up to `limit` stored answers into the aggregates; returns how many it counted.
    /// Concurrent callers, on any app server, count disjoint answers.
    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64>;
    /// Tags up to `limit` counted answers of a site whose saved themes changed with the themes
    /// their comments now hold, newest first, correcting the aggregates; returns how many it
    /// read (0: no site is waiting). Concurrent callers take different sites.
    async fn tag_past_answers(&self, limit: u32) -> StoreResult<u64>;
    /// Stored answers waiting to be counted, on all app servers (a gauge for operators: it
    /// should stay near a fraction of a second's worth).
    async fn uncounted_answers(&self) -> StoreResult<u64>;
}
