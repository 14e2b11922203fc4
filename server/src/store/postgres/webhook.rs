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
        let rows: Vec<(Uuid, Uuid, String, String, String, String, i32, String)> = sqlx::query_as(
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
             FROM due, webhooks w
             WHERE d.id = due.id AND w.id = d.webhook_id
             RETURNING d.id, d.org_id, w.url, w.secret, d.event, d.payload, d.attempts, w.format",
        )
        .bind(At(now))
        .bind(i64::from(limit))
        .bind(At(lease_until))
        .bind(busy)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, org_id, url, secret, event, payload, attempts, format)| PendingDelivery {
                    id,
                    org_id,
                    url,
                    secret,
                    event,
                    payload,
                    attempts: attempts.max(0) as u32,
                    format: parse_format(&format),
                },
            )
            .collect())
    }
});
