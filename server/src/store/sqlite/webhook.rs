//! `WebhookStore` on SQLite: claiming deliveries reads first, so an idle outbox never takes the
//! write lock.

crate::store::sql::webhook_store!(super::SqliteStore {
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[Uuid],
    ) -> StoreResult<Vec<PendingDelivery>> {
        let due: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                 WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                   AND (locked_until IS NULL OR locked_until < $1))",
        )
        .bind(At(now))
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        if !due {
            return Ok(vec![]);
        }
        let busy: Vec<String> = busy.iter().map(|o| o.simple().to_string()).collect();
        let mut tx = self.write_transaction().await?;
        // The oldest due delivery of each organisation not busy, oldest first. SQLite has no
        // DISTINCT ON or row locks, and its RETURNING sees only the updated table: the webhook
        // is read after, with the delivery.
        let claimed: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE webhook_deliveries SET locked_until = $1
             WHERE id IN (
                 SELECT id FROM (
                     SELECT d.id, d.next_attempt_at, ROW_NUMBER() OVER (
                         PARTITION BY d.org_id ORDER BY d.next_attempt_at, d.id) AS turn
                     FROM webhook_deliveries d JOIN webhooks w
                       ON w.id = d.webhook_id AND w.revoked_at IS NULL
                     WHERE d.delivered_at IS NULL AND d.failed_at IS NULL
                       AND d.next_attempt_at <= $2
                       AND (d.locked_until IS NULL OR d.locked_until < $2)
                       AND d.org_id NOT IN (SELECT unhex(value) FROM json_each($3)))
                 WHERE turn = 1 ORDER BY next_attempt_at LIMIT $4)
             RETURNING id",
        )
        .bind(At(lease_until))
        .bind(At(now))
        .bind(serde_json::to_string(&busy).map_err(backend)?)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let pending = crate::store::sql::pending_by_ids!(&mut *tx, &claimed);
        tx.commit().await.map_err(backend)?;
        Ok(pending)
    }
});
