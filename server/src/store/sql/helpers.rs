//! Helpers both backends' own methods call, expanded into each store's inherent `impl`.

macro_rules! store_helpers {
    ($store:ty, $conn:ty) => {
        const _: () = {
            use $crate::store::aggregates::{AggregateKey, Counted, SCORES, UPSERT_CHUNK};
            use $crate::store::sql::prelude::*;

            impl $store {
                /// Whether any webhook exists (cached for a few seconds). Asked on the caller's
                /// own connection: taking a second one from the pool while holding the write
                /// lock could wait on connections that are themselves waiting for that lock.
                async fn any_webhooks(&self, conn: &mut $conn) -> StoreResult<bool> {
                    if let Some(any) = self.webhooks.fresh() {
                        return Ok(any);
                    }
                    let any: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM webhooks WHERE revoked_at IS NULL)",
                    )
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(backend)?;
                    self.webhooks.set(any);
                    Ok(any)
                }

                /// Marks one of the organisation's rows of `table` (API tokens, share links)
                /// revoked; `false` if it has no such row or it was revoked already.
                async fn revoke(
                    &self,
                    table: &'static str,
                    org: Uuid,
                    id: Uuid,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(&format!(
                        "UPDATE {table} SET revoked_at = $1
                         WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL"
                    ))
                    .bind(At(at))
                    .bind(id)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                /// Runs a purge's `DELETE … LIMIT 5000` (bound to `now`) until a slice deletes
                /// fewer, so no lock or transaction is held for long; how many rows went.
                async fn delete_in_slices(&self, sql: &str, now: DateTime<Utc>) -> StoreResult<u64> {
                    let mut deleted = 0;
                    loop {
                        let slice = self.delete_slice(sql, now).await?;
                        deleted += slice;
                        if slice < 5000 {
                            return Ok(deleted);
                        }
                    }
                }

                /// Adds the deltas to the score aggregate rows, creating the rows that do
                /// not exist yet.
                async fn apply_deltas(
                    conn: &mut $conn,
                    deltas: &[(AggregateKey, [i64; 11])],
                ) -> StoreResult<()> {
                    Self::apply_counts(conn, &SCORES, deltas).await
                }

                /// Adds the deltas to `table`'s rows, creating the rows that do not exist yet.
                async fn apply_counts<const N: usize>(
                    conn: &mut $conn,
                    table: &Counted<N>,
                    deltas: &[(AggregateKey, [i64; N])],
                ) -> StoreResult<()> {
                    for chunk in deltas.chunks(UPSERT_CHUNK) {
                        let mut sql = sqlx::QueryBuilder::new(format!(
                            "INSERT INTO {} (site_id, dimension, value, span, bucket, survey_id, org_id, {}) ",
                            table.table,
                            table.columns.join(", ")
                        ));
                        sql.push_values(chunk, |mut row, (key, counts)| {
                            row.push_bind(key.site_id)
                                .push_bind(key.dimension)
                                .push_bind(key.value.clone())
                                .push_bind(key.span)
                                .push_bind(key.bucket)
                                .push_bind(key.survey_id)
                                .push_bind(key.org_id);
                            for count in counts {
                                // The columns are 32-bit on PostgreSQL; a delta is one batch's.
                                row.push_bind(i32::try_from(*count).unwrap_or(i32::MAX));
                            }
                        });
                        sql.push(" ON CONFLICT (site_id, dimension, value, span, bucket, survey_id) DO UPDATE SET ")
                            .push(table.add_excluded());
                        sql.build().execute(&mut *conn).await.map_err(backend)?;
                    }
                    Ok(())
                }

                /// Writes an amendment the caller has found and locked: the new parts, the
                /// consent as it now stands, and each change of consent with its time.
                async fn write_amendment(
                    conn: &mut $conn,
                    id: Uuid,
                    a: &ResponseAmendment,
                    choices: &app::domain::ConsentChoices,
                    changes: &[app::domain::ConsentChange],
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE responses SET
                             score = COALESCE($1, score),
                             comment = COALESCE($2, comment),
                             contact_email = CASE WHEN $3 THEN NULL ELSE COALESCE($4, contact_email) END,
                             consent_choices = $5,
                             updated_at = $6
                         WHERE id = $7",
                    )
                    .bind(a.score.map(|s| i16::from(s.value())))
                    .bind(a.comment.as_ref().map(|c| c.as_str()))
                    // Consent to be contacted taken back: the address goes with it.
                    .bind(choices.granted(app::domain::CONTACT) == Some(false))
                    .bind(a.contact_email.as_ref().map(|e| e.as_str()))
                    .bind(Json(choices))
                    .bind(At(at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                    for change in changes {
                        sqlx::query(
                            "INSERT INTO consent_changes (response_id, choice, granted_before, granted, at)
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(id)
                        .bind(&change.choice)
                        .bind(change.granted_before)
                        .bind(change.granted)
                        .bind(At(change.at))
                        .execute(&mut *conn)
                        .await
                        .map_err(backend)?;
                    }
                    Ok(())
                }

                /// The outbox rows for a batch's newly inserted answers, written in the batch's
                /// transaction when anyone can receive them.
                async fn queue_answer_events(
                    &self,
                    conn: &mut $conn,
                    batch: &[StoredResponse],
                    inserted: &[Uuid],
                ) -> StoreResult<()> {
                    if inserted.is_empty() || !self.any_webhooks(&mut *conn).await? {
                        return Ok(());
                    }
                    // Each inserted id once: a batch may hold the same answer twice (its first
                    // copy is the one stored).
                    let mut fresh: std::collections::HashSet<Uuid> = inserted.iter().copied().collect();
                    let events = $crate::store::outbox::events(batch.iter().filter(|r| fresh.remove(&r.id)));
                    Self::insert_outbox(conn, &events, At(Utc::now())).await
                }
            }
        };
    };
}

pub(crate) use store_helpers;
