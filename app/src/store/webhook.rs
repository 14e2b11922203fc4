//! Webhooks and their outbox of deliveries.

use super::StoreResult;
use crate::domain::{AlertRules, DeliveryRecord, WebhookFormat, WebhookRecord};
use crate::report::SegmentFilter;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A delivery claimed for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDelivery {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// How the payload is sent: as it is, signed, or as a chat message made from it.
    pub format: WebhookFormat,
    pub webhook_id: Uuid,
    /// The answer it tells of; `None` for a delivery queued before answers were named, sent
    /// as stored.
    pub answer_id: Option<Uuid>,
    /// `None` when its stored rules could not be read: nothing is sent by rules unknown.
    pub rules: Option<AlertRules>,
}

/// An answer as a delivery tells of it, read when it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertAnswer {
    pub id: Uuid,
    pub site_id: Uuid,
    pub survey_id: Uuid,
    pub score: u8,
    pub comment: Option<String>,
    pub language: Option<String>,
    pub page_path: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The saved themes it was counted under.
    pub themes: Vec<String>,
    /// Only when the visitor granted the `contact` choice.
    pub contact_email: Option<String>,
    /// The visitor sent the follow-up (the contact choice was shown and answered): nothing
    /// more will come.
    pub finished: bool,
    /// Counted into the aggregates, so tagged with the site's themes.
    pub counted: bool,
    /// In the segment asked for (true when none was).
    pub in_segment: bool,
}

/// How a delivery attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        status: Option<u16>,
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// The last retry failed: kept in the history as failed.
    GiveUp {
        status: Option<u16>,
        error: String,
    },
    /// Not sent, and never will be: the webhook's rules keep its answer out, or it was erased.
    Skipped {
        reason: String,
    },
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn create_webhook(
        &self,
        org: Uuid,
        url: &str,
        secret: &str,
        events: &[String],
        format: WebhookFormat,
    ) -> StoreResult<Uuid>;
    /// A webhook's rules (`None`: no such webhook of the organisation, or revoked).
    async fn webhook_rules(
        &self,
        org: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<(WebhookRecord, AlertRules)>>;
    /// Replaces a webhook's rules; false when the organisation has no such webhook.
    async fn set_webhook_rules(&self, org: Uuid, id: Uuid, rules: &AlertRules)
        -> StoreResult<bool>;
    /// Webhooks not revoked.
    async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>>;
    /// Queues a message that tells of no answer (a digest, a significant change) to one live
    /// webhook of the organisation; `false` when there is none such. Its rules do not apply.
    async fn queue_summary(
        &self,
        org: Uuid,
        webhook: Uuid,
        event: &str,
        payload: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Revokes the webhook and cancels its pending deliveries (retries included).
    async fn revoke_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The newest deliveries first.
    async fn deliveries(&self, org: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>>;
    /// Leases up to `limit` due deliveries until `lease_until`, at most one per organisation
    /// and none of the `busy` organisations (whose receivers this server is already waiting
    /// on); another app server's worker skips them meanwhile. Deliveries of revoked webhooks
    /// are never claimed.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[Uuid],
    ) -> StoreResult<Vec<PendingDelivery>>;
    /// The answer a delivery tells of, as it stands (`None`: erased), and whether it is in
    /// `segment`.
    async fn alert_answer(
        &self,
        org: Uuid,
        id: Uuid,
        segment: Option<&SegmentFilter>,
    ) -> StoreResult<Option<AlertAnswer>>;
    /// Leases the webhook's other deliveries due by `now` (at most `limit`, oldest first), to
    /// go out in one message with the one already claimed.
    async fn claim_batch(
        &self,
        webhook: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>>;
    /// Leaves a delivery claimed at `claimed_at` unsent until `until`, its attempts untouched
    /// (its answer is not final yet, or its webhook is quiet). If its answer was finished
    /// since the claim, it stays due as the amendment made it.
    async fn postpone_delivery(
        &self,
        id: Uuid,
        until: DateTime<Utc>,
        claimed_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes a batching webhook's next window: no other message before `until`. `None` when
    /// taken; when another message has the window, the time it ends.
    async fn take_window(
        &self,
        webhook: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    async fn finish_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
