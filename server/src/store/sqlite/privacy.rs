//! `PrivacyStore` on SQLite: erasing and purging take the one write lock.

use sqlx::Connection;

crate::store::sql::privacy_store!(super::SqliteStore {
    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let (mut erased, mut counted) = (0, vec![]);
        // SQLite binds no arrays: ids go in chunks of anonymous parameters, which SQLite numbers
        // in constant time (numbered ones it looks up: quadratic in a long list).
        for chunk in ids.chunks(super::CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            // Answers not counted yet only leave the queue; counted ones are subtracted.
            let sql = format!(
                "DELETE FROM uncounted_answers WHERE response_id IN
                     (SELECT id FROM responses WHERE org_id = ? AND id IN ({marks}))
                 RETURNING response_id"
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(&sql).bind(org);
            for id in chunk {
                query = query.bind(*id);
            }
            let uncounted: std::collections::HashSet<Uuid> = query
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
            // Triggers remove the search entries; tags go by ON DELETE CASCADE.
            let sql = format!(
                "DELETE FROM responses WHERE org_id = ? AND id IN ({marks})
                 RETURNING id, {ANSWER_KEYS}"
            );
            let mut query = sqlx::query(&sql).bind(org);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *tx).await.map_err(backend)? {
                erased += 1;
                let id: Uuid = row.try_get("id").map_err(backend)?;
                if !uncounted.contains(&id) {
                    counted.push(<AnswerKeys as sqlx::FromRow<_>>::from_row(&row).map_err(backend)?);
                }
            }
        }
        Self::apply_deltas(&mut tx, &deltas(counted.iter().map(|k| (k, -1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(erased)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        crate::store::count_before_purging(self).await?;
        // Milliseconds are SQLite's time (PostgreSQL's purge subtracts an interval).
        let purged = self
            .delete_in_slices(
                "DELETE FROM responses WHERE id IN (
                     SELECT r.id FROM responses r JOIN organisations o ON o.id = r.org_id
                     WHERE o.retention_days IS NOT NULL
                       AND r.received_at < $1 - o.retention_days * 86400000
                       AND r.id NOT IN (SELECT response_id FROM uncounted_answers)
                     LIMIT 5000)",
                now,
            )
            .await?;
        // A survey's events are the visitor's usage too: they go with the answers of their
        // time, and their counts stay in the impression aggregates.
        self.delete_in_slices(
            "DELETE FROM impressions WHERE id IN (
                 SELECT i.id FROM impressions i JOIN organisations o ON o.id = i.org_id
                 WHERE o.retention_days IS NOT NULL
                   AND i.at < $1 - o.retention_days * 86400000
                 LIMIT 5000)",
            now,
        )
        .await?;
        Ok(purged)
    }
});

impl super::SqliteStore {
    /// Runs one slice of a purge (by the one writer connection); how many rows went.
    pub(in crate::store) async fn delete_slice(
        &self,
        sql: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> app::store::StoreResult<u64> {
        use crate::store::sql::prelude::{backend, At};
        let done = sqlx::query(sql)
            .bind(At(now))
            .execute(&mut *self.writer.lock().await)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
