//! `WebhookStore` on PostgreSQL: deliveries are claimed with row locks another app server's
//! worker skips.

crate::store::sql::webhook_store!(super::PostgresStore {
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[Uuid],
    ) -> StoreResult<Vec<PendingDelivery>> {
        // The oldest due delivery of each organisation not busy, oldest first; rows another
        // server holds are skipped.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let claimed: Vec<Uuid> = sqlx::query_scalar(
            "WITH turns AS (
                 SELECT DISTINCT ON (d.org_id) d.id, d.next_attempt_at
                 FROM webhook_deliveries d JOIN webhooks w
                   ON w.id = d.webhook_id AND w.revoked_at IS NULL
                 WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1
                   AND (d.locked_until IS NULL OR d.locked_until < $1)
                   AND NOT (d.org_id = ANY($4))
                 ORDER BY d.org_id, d.next_attempt_at, d.id),
             due AS (
                 SELECT d.id FROM webhook_deliveries d JOIN turns t ON t.id = d.id
                 WHERE d.failed_at IS NULL AND (d.locked_until IS NULL OR d.locked_until < $1)
                 ORDER BY t.next_attempt_at LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED)
             UPDATE webhook_deliveries AS d SET locked_until = $3
             FROM due WHERE d.id = due.id
             RETURNING d.id",
        )
        .bind(At(now))
        .bind(i64::from(limit))
        .bind(At(lease_until))
        .bind(busy)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let pending = crate::store::sql::pending_by_ids!(&mut *tx, &claimed);
        tx.commit().await.map_err(backend)?;
        Ok(pending)
    }
});
