//! `PrivacyStore` on PostgreSQL: ids go as one array, and purging skips rows another app server
//! holds.

crate::store::sql::privacy_store!(super::PostgresStore {
    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64> {
        let mut tx = self.write_transaction().await?;
        // Answers not counted yet only leave the queue; counted ones are subtracted. A count
        // that has claimed one of them holds its queue row: this waits for that count to
        // commit, and then finds the answer counted.
        let uncounted: std::collections::HashSet<Uuid> = sqlx::query_scalar(
            "DELETE FROM uncounted_answers WHERE response_id IN
                 (SELECT id FROM responses WHERE org_id = $1 AND id = ANY($2))
             RETURNING response_id",
        )
        .bind(org)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        .into_iter()
        .collect();
        // The search vector goes with the row; tags go by ON DELETE CASCADE.
        let rows = sqlx::query(&format!(
            "DELETE FROM responses WHERE org_id = $1 AND id = ANY($2) RETURNING id, {ANSWER_KEYS}"
        ))
        .bind(org)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut counted = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("id").map_err(backend)?;
            if !uncounted.contains(&id) {
                counted.push(<AnswerKeys as sqlx::FromRow<_>>::from_row(row).map_err(backend)?);
            }
        }
        Self::apply_deltas(&mut tx, &deltas(counted.iter().map(|k| (k, -1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows.len() as u64)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        crate::store::count_before_purging(self).await?;
        // PostgreSQL subtracts an interval (SQLite's purge, milliseconds).
        let purged = self
            .delete_in_slices(
                "DELETE FROM responses WHERE id IN (
                     SELECT r.id FROM responses r JOIN organisations o ON o.id = r.org_id
                     WHERE o.retention_days IS NOT NULL
                       AND r.received_at < $1 - make_interval(days => o.retention_days)
                       AND NOT EXISTS (SELECT 1 FROM uncounted_answers u WHERE u.response_id = r.id)
                     LIMIT 5000 FOR UPDATE OF r SKIP LOCKED)",
                now,
            )
            .await?;
        // A survey's events are the visitor's usage too: they go with the answers of their
        // time, and their counts stay in the impression aggregates.
        self.delete_in_slices(
            "DELETE FROM impressions WHERE id IN (
                 SELECT i.id FROM impressions i JOIN organisations o ON o.id = i.org_id
                 WHERE o.retention_days IS NOT NULL
                   AND i.at < $1 - make_interval(days => o.retention_days)
                 LIMIT 5000 FOR UPDATE OF i SKIP LOCKED)",
            now,
        )
        .await?;
        Ok(purged)
    }
});

impl super::PostgresStore {
    /// Runs one slice of a purge (on any pooled connection (SKIP LOCKED in the statement lets app servers purge together)); how many rows went.
    pub(in crate::store) async fn delete_slice(
        &self,
        sql: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> app::store::StoreResult<u64> {
        use crate::store::sql::prelude::{backend, At};
        let done = sqlx::query(sql)
            .bind(At(now))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
