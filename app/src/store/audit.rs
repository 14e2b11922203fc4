//! The administrative log.

use super::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One administrative action. `subject` names what was acted on (an id, a role, a version),
/// never personal data, so the log can be kept as long as the organisation exists.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub org_id: Uuid,
    pub actor: Option<Uuid>,
    pub action: String,
    pub subject: String,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The newest entries first.
    async fn audit_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}
