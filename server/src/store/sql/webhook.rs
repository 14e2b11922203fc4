//! `WebhookStore`: what both backends share of it (claiming deliveries differs).

macro_rules! webhook_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl WebhookStore for $store {
                $($own)*

                async fn create_webhook(
                    &self,
                    org: Uuid,
                    url: &str,
                    secret: &str,
                    events: &[String],
                    format: app::domain::WebhookFormat,
                ) -> StoreResult<Uuid> {
                    let id = Uuid::new_v4();
                    sqlx::query(
                        "INSERT INTO webhooks (id, org_id, url, secret, events, created_at, format)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(org)
                    .bind(url)
                    .bind(secret)
                    .bind(events.join(","))
                    .bind(At(Utc::now()))
                    .bind(format.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    self.webhooks.set(true);
                    Ok(id)
                }

                async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>> {
                    let rows: Vec<WebhookRow> = sqlx::query_as(
                        "SELECT id, url, events, created_at FROM webhooks
                         WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(WebhookRecord::from).collect())
                }

                async fn revoke_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    let mut tx = self.write_transaction().await?;
                    let done = sqlx::query(
                        "UPDATE webhooks SET revoked_at = $1
                         WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(At(at))
                    .bind(id)
                    .bind(org)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    // Nothing more goes out for it: queued retries are cancelled with it.
                    sqlx::query(
                        "UPDATE webhook_deliveries SET failed_at = $1, last_error = 'cancelled'
                         WHERE webhook_id = $2 AND org_id = $3 AND delivered_at IS NULL AND failed_at IS NULL",
                    )
                    .bind(At(at))
                    .bind(id)
                    .bind(org)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn deliveries(&self, org: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
                    let rows: Vec<DeliveryRow> = sqlx::query_as(
                        "SELECT id, webhook_id, event, created_at, attempts, delivered_at, failed_at,
                                last_status, last_error
                         FROM webhook_deliveries WHERE org_id = $1
                         ORDER BY created_at DESC LIMIT $2",
                    )
                    .bind(org)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(DeliveryRecord::from).collect())
                }

                async fn finish_delivery(
                    &self,
                    id: Uuid,
                    outcome: &DeliveryOutcome,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    let status = |s: Option<u16>| s.map(i32::from);
                    let query = match outcome {
                        DeliveryOutcome::Delivered { status: delivered } => sqlx::query(
                            "UPDATE webhook_deliveries SET delivered_at = $1, attempts = attempts + 1,
                                 last_status = $2, last_error = NULL, locked_until = NULL WHERE id = $3",
                        )
                        .bind(At(at))
                        .bind(status(Some(*delivered)))
                        .bind(id),
                        DeliveryOutcome::Retry { status: last, error, next_attempt_at } => sqlx::query(
                            "UPDATE webhook_deliveries SET next_attempt_at = $1, attempts = attempts + 1,
                                 last_status = $2, last_error = $3, locked_until = NULL
                             WHERE id = $4 AND failed_at IS NULL",
                        )
                        .bind(At(*next_attempt_at))
                        .bind(status(*last))
                        .bind(error.clone())
                        .bind(id),
                        DeliveryOutcome::GiveUp { status: last, error } => sqlx::query(
                            "UPDATE webhook_deliveries SET failed_at = $1, attempts = attempts + 1,
                                 last_status = $2, last_error = $3, locked_until = NULL
                             WHERE id = $4 AND failed_at IS NULL",
                        )
                        .bind(At(at))
                        .bind(status(*last))
                        .bind(error.clone())
                        .bind(id),
                    };
                    query.execute(&self.pool).await.map_err(backend)?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use webhook_store;
