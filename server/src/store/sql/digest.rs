//! `DigestStore`: the same SQL on both backends (`alerts` binds as a boolean on both: SQLite
//! stores it as 0 or 1).

macro_rules! digest_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl DigestStore for $store {
                $($own)*

                async fn digest_subscription(
                    &self,
                    org: Uuid,
                    user: Uuid,
                ) -> StoreResult<Option<DigestSubscription>> {
                    let row: Option<DigestRow> = sqlx::query_as(
                        "SELECT d.org_id, d.user_id, d.cadence, d.time_zone, d.hour, d.weekday, d.alerts,
                                d.webhook_id, d.next_run_at, d.last_sent_at, '' AS email, '' AS org_name
                         FROM digest_subscriptions d WHERE d.org_id = $1 AND d.user_id = $2",
                    )
                    .bind(org)
                    .bind(user)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.and_then(|r| r.due().map(|d| d.subscription)))
                }

                async fn save_digest_subscription(
                    &self,
                    org: Uuid,
                    user: Uuid,
                    schedule: &app::report::digest::DigestSchedule,
                    webhook: Option<Uuid>,
                    next_run_at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let saved = sqlx::query(
                        "INSERT INTO digest_subscriptions
                             (org_id, user_id, cadence, time_zone, hour, weekday, alerts, webhook_id, next_run_at)
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
                         WHERE $8 IS NULL OR EXISTS (SELECT 1 FROM webhooks w
                             WHERE w.id = $8 AND w.org_id = $1 AND w.revoked_at IS NULL)
                         ON CONFLICT (org_id, user_id) DO UPDATE SET
                             cadence = excluded.cadence, time_zone = excluded.time_zone,
                             hour = excluded.hour, weekday = excluded.weekday,
                             alerts = excluded.alerts, webhook_id = excluded.webhook_id,
                             next_run_at = excluded.next_run_at",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(schedule.cadence().as_str())
                    .bind(schedule.zone())
                    .bind(i32::from(schedule.hour()))
                    .bind(i32::from(schedule.weekday()))
                    .bind(schedule.alerts())
                    .bind(webhook)
                    .bind(At(next_run_at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(saved.rows_affected() == 1)
                }

                async fn due_digests(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<DueDigest>> {
                    let rows: Vec<DigestRow> = sqlx::query_as(
                        "SELECT d.org_id, d.user_id, d.cadence, d.time_zone, d.hour, d.weekday, d.alerts,
                                CASE WHEN m.role IN ('owner', 'admin') AND EXISTS (SELECT 1 FROM webhooks w
                                    WHERE w.id = d.webhook_id AND w.org_id = d.org_id AND w.revoked_at IS NULL)
                                THEN d.webhook_id END AS webhook_id,
                                d.next_run_at, d.last_sent_at, u.email, o.name AS org_name
                         FROM digest_subscriptions d
                         JOIN memberships m ON m.org_id = d.org_id AND m.user_id = d.user_id
                         JOIN users u ON u.id = d.user_id
                         JOIN organisations o ON o.id = d.org_id
                         WHERE d.next_run_at <= $1
                         ORDER BY d.next_run_at LIMIT $2",
                    )
                    .bind(At(now))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    let mut due = Vec::with_capacity(rows.len());
                    for row in rows {
                        let (org, user) = row.key();
                        match row.due() {
                            Some(d) => due.push(d),
                            None => {
                                sqlx::query(
                                    "UPDATE digest_subscriptions SET next_run_at = $3
                                     WHERE org_id = $1 AND user_id = $2",
                                )
                                .bind(org)
                                .bind(user)
                                .bind(At(now + chrono::Duration::days(1)))
                                .execute(&self.pool)
                                .await
                                .map_err(backend)?;
                            }
                        }
                    }
                    Ok(due)
                }

                async fn take_digest_run(
                    &self,
                    org: Uuid,
                    user: Uuid,
                    was: DateTime<Utc>,
                    next: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let taken = sqlx::query(
                        "UPDATE digest_subscriptions SET next_run_at = $4
                         WHERE org_id = $1 AND user_id = $2 AND next_run_at = $3",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(At(was))
                    .bind(At(next))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(taken.rows_affected() == 1)
                }

                async fn digest_sent(&self, org: Uuid, user: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE digest_subscriptions SET last_sent_at = $3 WHERE org_id = $1 AND user_id = $2",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(At(at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                async fn last_digest_alert(
                    &self,
                    org: Uuid,
                    user: Uuid,
                    site: Uuid,
                ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
                    let row: Option<(String, At)> = sqlx::query_as(
                        "SELECT direction, sent_at FROM digest_alerts
                         WHERE org_id = $1 AND user_id = $2 AND site_id = $3",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(site)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.map(|(direction, at)| (direction, at.0)))
                }

                async fn stop_digests(&self, org: Uuid, user: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    let stopped = sqlx::query(
                        "UPDATE digest_subscriptions
                         SET cadence = 'off', alerts = $3, webhook_id = NULL, next_run_at = $4
                         WHERE org_id = $1 AND user_id = $2 AND (cadence <> 'off' OR alerts = $5)",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(false)
                    .bind(At(at + chrono::Duration::days(36_500)))
                    .bind(true)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(stopped.rows_affected() == 1)
                }

                async fn clear_digest_alert(&self, org: Uuid, user: Uuid, site: Uuid) -> StoreResult<()> {
                    sqlx::query(
                        "DELETE FROM digest_alerts WHERE org_id = $1 AND user_id = $2 AND site_id = $3",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(site)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                async fn record_digest_alert(
                    &self,
                    org: Uuid,
                    user: Uuid,
                    site: Uuid,
                    direction: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO digest_alerts (org_id, user_id, site_id, direction, sent_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (org_id, user_id, site_id) DO UPDATE SET
                             direction = excluded.direction, sent_at = excluded.sent_at",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(site)
                    .bind(direction)
                    .bind(At(at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use digest_store;
