//! What members' digests need: each member's schedule per organisation, the looks that are due
//! (taken by compare-and-set, so one app server sends), and the last alert of each site, so
//! that a change is told once.

use super::StoreResult;
use crate::report::digest::DigestSchedule;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestSubscription {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub schedule: DigestSchedule,
    /// A chat webhook of the organisation to send to instead of the member's e-mail.
    pub webhook_id: Option<Uuid>,
    pub next_run_at: DateTime<Utc>,
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// A look that is due, with where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDigest {
    pub subscription: DigestSubscription,
    /// The member's address.
    pub email: String,
    pub org_name: String,
}

#[async_trait]
pub trait DigestStore: Send + Sync + 'static {
    async fn digest_subscription(
        &self,
        org: Uuid,
        user: Uuid,
    ) -> StoreResult<Option<DigestSubscription>>;
    /// Saves a member's schedule, first looked at `next_run_at`. `false`: the webhook is not
    /// a live webhook of the organisation.
    async fn save_digest_subscription(
        &self,
        org: Uuid,
        user: Uuid,
        schedule: &DigestSchedule,
        webhook: Option<Uuid>,
        next_run_at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Looks due at `now`, of members who still belong to the organisation, oldest first. The
    /// webhook only while it is live and the member an owner or admin (else: their e-mail). A
    /// stored schedule that no longer parses is put off a day, never blocking the rest.
    async fn due_digests(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<DueDigest>>;
    /// Moves a look from `was` to `next`; `false` when another server moved it first.
    async fn take_digest_run(
        &self,
        org: Uuid,
        user: Uuid,
        was: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn digest_sent(&self, org: Uuid, user: Uuid, at: DateTime<Utc>) -> StoreResult<()>;
    /// The change the member was last told of for the site and when (kept while it lasts).
    async fn last_digest_alert(
        &self,
        org: Uuid,
        user: Uuid,
        site: Uuid,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>>;
    /// Stops the member's digests and alerts of the organisation (their unsubscribe link),
    /// whatever the stored schedule reads as. `false`: they had none running.
    async fn stop_digests(&self, org: Uuid, user: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The site's NPS is steady again: the next real change is told.
    async fn clear_digest_alert(&self, org: Uuid, user: Uuid, site: Uuid) -> StoreResult<()>;
    async fn record_digest_alert(
        &self,
        org: Uuid,
        user: Uuid,
        site: Uuid,
        direction: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
