//! `WebhookStore`: what both backends share of it (claiming deliveries differs).

/// The leased deliveries `ids` with their webhooks, oldest first, as the worker sends them.
macro_rules! pending_by_ids {
    ($conn:expr, $ids:expr) => {{
        let ids: &[Uuid] = $ids;
        let mut pending: Vec<PendingDelivery> = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let mut sql = sqlx::QueryBuilder::new(format!(
                "SELECT {PENDING_COLUMNS} FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN ("
            ));
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            sql.push(") ORDER BY d.next_attempt_at, d.id");
            let rows: Vec<PendingRow> = sql
                .build_query_as()
                .fetch_all($conn)
                .await
                .map_err(backend)?;
            for row in rows {
                pending.push(PendingDelivery::try_from(row)?);
            }
        }
        pending
    }};
}
pub(crate) use pending_by_ids;

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
                        "SELECT id, url, events, created_at, rules FROM webhooks
                         WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.into_iter()
                        .map(|r| r.with_rules().map(|(record, _)| record))
                        .collect()
                }

                async fn queue_summary(
                    &self,
                    org: Uuid,
                    webhook: Uuid,
                    event: &str,
                    payload: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let queued = sqlx::query(
                        "INSERT INTO webhook_deliveries
                             (id, webhook_id, org_id, event, payload, created_at, attempts, next_attempt_at)
                         SELECT $3, w.id, w.org_id, $4, $5, $6, 0, $6 FROM webhooks w
                         WHERE w.id = $2 AND w.org_id = $1 AND w.revoked_at IS NULL",
                    )
                    .bind(org)
                    .bind(webhook)
                    .bind(Uuid::new_v4())
                    .bind(event)
                    .bind(payload)
                    .bind(At(at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(queued.rows_affected() == 1)
                }

                async fn webhook_rules(
                    &self,
                    org: Uuid,
                    id: Uuid,
                ) -> StoreResult<Option<(WebhookRecord, app::domain::AlertRules)>> {
                    let row: Option<WebhookRow> = sqlx::query_as(
                        "SELECT id, url, events, created_at, rules FROM webhooks
                         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(id)
                    .bind(org)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    row.map(WebhookRow::with_rules).transpose()
                }

                async fn set_webhook_rules(
                    &self,
                    org: Uuid,
                    id: Uuid,
                    rules: &app::domain::AlertRules,
                ) -> StoreResult<bool> {
                    let rules = serde_json::to_string(rules).map_err(backend)?;
                    let done = sqlx::query(
                        "UPDATE webhooks SET rules = $1
                         WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(rules)
                    .bind(id)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn alert_answer(
                    &self,
                    org: Uuid,
                    id: Uuid,
                    segment: Option<&SegmentFilter>,
                ) -> StoreResult<Option<AlertAnswer>> {
                    // One statement: the answer, and whether it is in the rules' segment (the
                    // dashboard's condition, on the same raw row).
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT {ALERT_ANSWER_COLUMNS}, EXISTS (SELECT 1 FROM responses s WHERE s.id = r.id"
                    ));
                    if let Some(segment) = segment {
                        $crate::store::sql::push_segment!(sql, "s.", segment, false);
                    }
                    sql.push(") AS in_segment FROM responses r WHERE r.id = ")
                        .push_bind(id)
                        .push(" AND r.org_id = ")
                        .push_bind(org);
                    let row: Option<AlertAnswerRow> = sql
                        .build_query_as()
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(row.map(AlertAnswerRow::answer))
                }

                async fn claim_batch(
                    &self,
                    webhook: Uuid,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<PendingDelivery>> {
                    let mut tx = self.write_transaction().await?;
                    // The webhook's own deliveries only: one organisation's, as fairness asks.
                    let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
                        "UPDATE webhook_deliveries SET locked_until = $1
                         WHERE id IN (
                             SELECT id FROM webhook_deliveries
                             WHERE webhook_id = $2 AND delivered_at IS NULL AND failed_at IS NULL
                               AND next_attempt_at <= $3
                               AND (locked_until IS NULL OR locked_until < $3)
                             ORDER BY next_attempt_at, id LIMIT $4{})
                         RETURNING id",
                        Self::CLAIM_LOCK
                    ))
                    .bind(At(lease_until))
                    .bind(webhook)
                    .bind(At(now))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let pending = $crate::store::sql::pending_by_ids!(&mut *tx, &ids);
                    tx.commit().await.map_err(backend)?;
                    Ok(pending)
                }

                async fn postpone_delivery(
                    &self,
                    id: Uuid,
                    until: DateTime<Utc>,
                    claimed_at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE webhook_deliveries SET locked_until = NULL,
                             next_attempt_at = CASE WHEN next_attempt_at > $3 THEN next_attempt_at ELSE $1 END
                         WHERE id = $2 AND failed_at IS NULL AND delivered_at IS NULL",
                    )
                    .bind(At(until))
                    .bind(id)
                    .bind(At(claimed_at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                async fn take_window(
                    &self,
                    webhook: Uuid,
                    now: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> StoreResult<Option<DateTime<Utc>>> {
                    // One statement: of two workers at the window's end, one takes it.
                    let taken = sqlx::query(
                        "UPDATE webhooks SET quiet_until = $1
                         WHERE id = $2 AND (quiet_until IS NULL OR quiet_until <= $3)",
                    )
                    .bind(At(until))
                    .bind(webhook)
                    .bind(At(now))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    if taken.rows_affected() == 1 {
                        return Ok(None);
                    }
                    let quiet: Option<At> =
                        sqlx::query_scalar("SELECT quiet_until FROM webhooks WHERE id = $1")
                            .bind(webhook)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?
                            .flatten();
                    Ok(Some(quiet.map_or(until, |q| q.0)))
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
                    // Rows locked in id order, as an amendment's bump locks them: no lock cycle.
                    sqlx::query(&format!(
                        "UPDATE webhook_deliveries SET failed_at = $1, last_error = 'cancelled'
                         WHERE id IN (SELECT id FROM webhook_deliveries
                             WHERE webhook_id = $2 AND org_id = $3 AND delivered_at IS NULL
                               AND failed_at IS NULL ORDER BY id{})",
                        Self::ROW_LOCK
                    ))
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
                                last_status, last_error, skipped
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
                        // Not an attempt: nothing was sent.
                        DeliveryOutcome::Skipped { reason } => sqlx::query(
                            "UPDATE webhook_deliveries SET failed_at = $1, skipped = $2, last_error = $2,
                                 locked_until = NULL
                             WHERE id = $3 AND failed_at IS NULL AND delivered_at IS NULL",
                        )
                        .bind(At(at))
                        .bind(reason.clone())
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
