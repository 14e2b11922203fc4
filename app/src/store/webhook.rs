//! Webhooks and their outbox of deliveries.

use super::StoreResult;
use crate::domain::{DeliveryRecord, WebhookFormat, WebhookRecord};
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
    /// Webhooks not revoked.
    async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>>;
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
    async fn finish_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
