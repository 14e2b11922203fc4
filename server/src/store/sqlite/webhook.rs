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
        // is read after.
        let claimed: Vec<(Uuid, Uuid, Uuid, String, String, i32)> = sqlx::query_as(
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
             RETURNING id, webhook_id, org_id, event, payload, attempts",
        )
        .bind(At(lease_until))
        .bind(At(now))
        .bind(serde_json::to_string(&busy).map_err(backend)?)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut pending = Vec::with_capacity(claimed.len());
        for (id, webhook, org_id, event, payload, attempts) in claimed {
            let (url, secret, format): (String, String, String) =
                sqlx::query_as("SELECT url, secret, format FROM webhooks WHERE id = $1")
                    .bind(webhook)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            pending.push(PendingDelivery {
                id,
                org_id,
                url,
                secret,
                event,
                payload,
                attempts: attempts.max(0) as u32,
                format: parse_format(&format),
            });
        }
        tx.commit().await.map_err(backend)?;
        Ok(pending)
    }
});
