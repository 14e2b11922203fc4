//! What the app servers sharing one database need of it besides data: health, shared secrets
//! and the rate-limit exchange.

use super::StoreResult;
use async_trait::async_trait;
use uuid::Uuid;

/// What one app server let through for one rate-limit key in the last second.
#[derive(Clone, Debug, PartialEq)]
pub struct Spend {
    pub key: String,
    pub spent: f64,
}

/// What another app server published for one key and second.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerSpend {
    pub key: String,
    pub instance: Uuid,
    pub second: i64,
    pub spent: f64,
}

#[async_trait]
pub trait ClusterStore: Send + Sync + 'static {
    /// Which backend this is, for logs and tests.
    fn backend(&self) -> &'static str;
    /// A round trip to the database (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// A secret every app server of this database shares, made (randomly, once) on first use.
    async fn server_secret(&self, name: &str) -> StoreResult<String>;
    /// Publishes what this app server let through (`mine`, in second `now_second`) and returns
    /// what every other server published since `since_second`. `None` where only one server
    /// can run (SQLite).
    async fn exchange_spend(
        &self,
        instance: Uuid,
        now_second: i64,
        mine: &[Spend],
        since_second: i64,
    ) -> StoreResult<Option<Vec<PeerSpend>>>;
}
