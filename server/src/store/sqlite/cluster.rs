//! `ClusterStore` on SQLite: one process owns the file, so there is nothing to exchange.

crate::store::sql::cluster_store!(super::SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn exchange_spend(
        &self,
        _instance: Uuid,
        _now_second: i64,
        _mine: &[Spend],
        _since_second: i64,
    ) -> StoreResult<Option<Vec<PeerSpend>>> {
        // One process owns the file: its in-memory limits are the whole truth.
        Ok(None)
    }
});
