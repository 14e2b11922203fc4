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
                                .push_bind(key.dimension.clone().into_owned())
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

                /// A site's saved themes, read on `conn` (in the caller's transaction, after
                /// `lock_themes_of` where the backend needs it).
                async fn read_saved_themes(
                    conn: &mut $conn,
                    site: Uuid,
                ) -> StoreResult<Vec<app::domain::SavedTheme>> {
                    let rows: Vec<SavedThemeRow> = sqlx::query_as(
                        "SELECT id, site_id, name, terms, updated_at FROM saved_themes
                         WHERE site_id = $1 ORDER BY name",
                    )
                    .bind(site)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().filter_map(SavedThemeRow::parse).collect())
                }

                /// Locks a site of `org` to change its saved themes (on PostgreSQL, waiting for
                /// the counts that read them: `SITE_LOCK`); `false` if there is no such site.
                async fn lock_themes_to_change(
                    conn: &mut $conn,
                    org: Uuid,
                    site: Uuid,
                ) -> StoreResult<bool> {
                    let found = sqlx::query(&format!(
                        "SELECT 1 FROM sites WHERE id = $1 AND org_id = $2{}",
                        Self::SITE_LOCK
                    ))
                    .bind(site)
                    .bind(org)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(backend)?;
                    Ok(found.is_some())
                }

                /// Moves a counted answer's aggregate rows to its amended score and, when its
                /// comment was amended, to the themes the new comment holds.
                async fn recount_amended(
                    conn: &mut $conn,
                    id: Uuid,
                    before: &AnswerKeys,
                    score: u8,
                    comment: Option<&str>,
                    reason: Option<String>,
                ) -> StoreResult<()> {
                    let mut after = AnswerKeys {
                        score,
                        reason,
                        ..before.clone()
                    };
                    if let Some(comment) = comment {
                        Self::retag_amended(conn, id, comment, &mut after).await?;
                    }
                    Self::apply_deltas(conn, &deltas([(before, -1), (&after, 1)])).await
                }

                /// Tags answers about to be counted with the saved themes their comments hold,
                /// on the answers and in their keys. The caller holds the sites' theme locks
                /// (`lock_themes_of`), so no theme changes before the counts commit.
                async fn tag_for_counting(
                    conn: &mut $conn,
                    answers: &mut [ToTag],
                ) -> StoreResult<()> {
                    let mut sites: Vec<Uuid> = answers.iter().map(|a| a.keys.site_id).collect();
                    sites.sort_unstable();
                    sites.dedup();
                    Self::lock_themes_of(conn, &sites).await?;
                    let mut matchers = std::collections::HashMap::new();
                    for site in sites {
                        let themes = Self::read_saved_themes(conn, site).await?;
                        if !themes.is_empty() {
                            matchers.insert(site, app::stats::tagging::ThemeMatcher::new(&themes));
                        }
                    }
                    let mut changed = vec![];
                    for answer in answers.iter_mut() {
                        let tags = matchers
                            .get(&answer.keys.site_id)
                            .map(|m| m.tags(answer.comment.as_deref(), answer.keys.language.as_deref()))
                            .unwrap_or_default();
                        let list = app::domain::stored_theme_list(&tags);
                        if list != answer.keys.themes {
                            changed.push((answer.id, list.clone()));
                            answer.keys.themes = list;
                        }
                    }
                    Self::store_theme_lists(conn, &changed).await
                }

                /// Tags an amended, counted answer anew from its new comment (`after` are the
                /// keys it is counted under from now on).
                async fn retag_amended(
                    conn: &mut $conn,
                    id: Uuid,
                    comment: &str,
                    after: &mut AnswerKeys,
                ) -> StoreResult<()> {
                    let themes = Self::read_saved_themes(conn, after.site_id).await?;
                    let tags = app::stats::tagging::ThemeMatcher::new(&themes)
                        .tags(Some(comment), after.language.as_deref());
                    let list = app::domain::stored_theme_list(&tags);
                    if list != after.themes {
                        Self::store_theme_lists(conn, &[(id, list.clone())]).await?;
                        after.themes = list;
                    }
                    Ok(())
                }

                /// Stores answers' theme lists (`UPDATE … FROM (VALUES …)`, spelt alike on both).
                async fn store_theme_lists(
                    conn: &mut $conn,
                    lists: &[(Uuid, Option<String>)],
                ) -> StoreResult<()> {
                    for chunk in lists.chunks(UPSERT_CHUNK) {
                        let mut sql = sqlx::QueryBuilder::new("UPDATE responses SET themes = v.column2 FROM (");
                        sql.push_values(chunk, |mut row, (id, list)| {
                            row.push_bind(*id).push_bind(list.clone());
                        });
                        sql.push(") AS v WHERE responses.id = v.column1");
                        sql.build().execute(&mut *conn).await.map_err(backend)?;
                    }
                    Ok(())
                }

                /// Starts tagging a site's counted answers anew, from the newest: its themes
                /// changed in the caller's transaction.
                async fn restart_tagging(
                    conn: &mut $conn,
                    org: Uuid,
                    site: Uuid,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO theme_backfills (site_id, org_id, after_at, after_id, started_at)
                         VALUES ($1, $2, NULL, NULL, $3)
                         ON CONFLICT (site_id) DO UPDATE
                         SET after_at = NULL, after_id = NULL, started_at = excluded.started_at",
                    )
                    .bind(site)
                    .bind(org)
                    .bind(At(at))
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                /// One step of the first waiting walk (`theme_backfills`): the next `limit`
                /// answers of its site that have a comment or a theme (no other can change),
                /// newest first, tagged with the themes their comments now hold and moved in
                /// the aggregates. Answers not counted yet are passed over: they are tagged
                /// when counted. The caller's transaction holds the walk (`WALK_LOCK`).
                async fn tag_past_batch(conn: &mut $conn, limit: u32) -> StoreResult<u64> {
                    let walk: Option<BackfillRow> = sqlx::query_as(&format!(
                        "SELECT site_id, org_id, after_at, after_id FROM theme_backfills
                         ORDER BY started_at LIMIT 1{}",
                        Self::WALK_LOCK
                    ))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(backend)?;
                    let Some(walk) = walk else {
                        return Ok(0);
                    };
                    let themes = Self::read_saved_themes(conn, walk.site_id).await?;
                    let matcher = app::stats::tagging::ThemeMatcher::new(&themes);
                    // By the organisation too: `responses_by_site_time (org_id, site_id,
                    // received_at)` then bounds the walk's range; by the site alone SQLite read
                    // every answer of the site through another index at every step.
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT id, comment, {ANSWER_KEYS} FROM responses WHERE org_id = "
                    ));
                    sql.push_bind(walk.org_id)
                        .push(" AND site_id = ")
                        .push_bind(walk.site_id)
                        .push(" AND (comment IS NOT NULL OR themes IS NOT NULL)");
                    if let (Some(at), Some(id)) = (walk.after_at, walk.after_id) {
                        // `(received_at, id) < (at, id)`, spelt so that both planners bound the
                        // index range by the time.
                        sql.push(" AND received_at <= ")
                            .push_bind(at)
                            .push(" AND (received_at < ")
                            .push_bind(at)
                            .push(" OR id < ")
                            .push_bind(id)
                            .push(")");
                    }
                    sql.push(" ORDER BY received_at DESC, id DESC LIMIT ")
                        .push_bind(i64::from(limit))
                        .push(Self::ROW_LOCK);
                    let rows: Vec<ToTag> =
                        sql.build_query_as().fetch_all(&mut *conn).await.map_err(backend)?;
                    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                    let uncounted = Self::uncounted_among(conn, &ids).await?;
                    let (mut lists, mut moves) = (vec![], vec![]);
                    for row in rows.iter().filter(|r| !uncounted.contains(&r.id)) {
                        let tags = matcher.tags(row.comment.as_deref(), row.keys.language.as_deref());
                        let list = app::domain::stored_theme_list(&tags);
                        if list != row.keys.themes {
                            lists.push((row.id, list.clone()));
                            moves.push((row.keys.clone(), AnswerKeys { themes: list, ..row.keys.clone() }));
                        }
                    }
                    Self::store_theme_lists(conn, &lists).await?;
                    Self::apply_deltas(
                        conn,
                        &deltas(moves.iter().flat_map(|(before, after)| [(before, -1), (after, 1)])),
                    )
                    .await?;
                    match rows.last() {
                        Some(last) if rows.len() == limit as usize => {
                            sqlx::query("UPDATE theme_backfills SET after_at = $1, after_id = $2 WHERE site_id = $3")
                                .bind(At(last.keys.received_at))
                                .bind(last.id)
                                .bind(walk.site_id)
                                .execute(&mut *conn)
                                .await
                                .map_err(backend)?;
                        }
                        _ => {
                            sqlx::query("DELETE FROM theme_backfills WHERE site_id = $1")
                                .bind(walk.site_id)
                                .execute(&mut *conn)
                                .await
                                .map_err(backend)?;
                        }
                    }
                    Ok(rows.len().max(1) as u64)
                }

                /// Writes an amendment the caller has found and locked: the new parts, the
                /// consent as it now stands, and each change of consent with its time.
                /// An amendment, once its answer is found, locked and within its window: the
                /// reason checked for its survey and final band, the row written, and, if the
                /// answer is counted, its aggregate rows moved (one not counted yet is counted
                /// later with the score, comment and reason it then has).
                #[allow(clippy::too_many_arguments)]
                async fn apply_amendment(
                    conn: &mut $conn,
                    id: Uuid,
                    before: &AnswerKeys,
                    consent: &app::domain::ConsentChoices,
                    a: &ResponseAmendment,
                    at: DateTime<Utc>,
                    counted: bool,
                ) -> StoreResult<AmendOutcome> {
                    // Read under the answer's lock: an opt-out locks its browser's answers
                    // before it commits (`set_opted_out`), so it is either seen here or waits
                    // for this amendment and then unlinks what it added.
                    let opted_out: bool = sqlx::query_scalar(AUTHOR_OPTED_OUT)
                        .bind(id)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(backend)?;
                    if opted_out {
                        return Ok(AmendOutcome::OptedOut);
                    }
                    let score = a.score.map_or(before.score, |s| s.value());
                    let Ok(reason) =
                        Self::reason_after_amendment(conn, before, score, a.reason.as_ref()).await?
                    else {
                        return Ok(AmendOutcome::ReasonNotOffered);
                    };
                    let (choices, changes) = consent.apply(&a.choices, at);
                    Self::write_amendment(conn, id, a, &choices, &changes, at, reason.as_deref())
                        .await?;
                    let moved = score != before.score || a.comment.is_some() || reason != before.reason;
                    if moved && counted {
                        let comment = a.comment.as_ref().map(|c| c.as_str());
                        Self::recount_amended(conn, id, before, score, comment, reason).await?;
                    }
                    Ok(AmendOutcome::Amended)
                }

                /// The reason an amended answer keeps: the one sent, if its survey offers it
                /// for the final score's band (`Err` if not); else the one it had, unless the
                /// score left that reason's band (then none). Read under the answer's lock.
                async fn reason_after_amendment(
                    conn: &mut $conn,
                    before: &AnswerKeys,
                    score: u8,
                    sent: Option<&app::domain::ReasonKey>,
                ) -> StoreResult<Result<Option<String>, ()>> {
                    if sent.is_none() && before.reason.is_none() {
                        return Ok(Ok(None));
                    }
                    let stored: Option<String> =
                        sqlx::query_scalar("SELECT reason FROM surveys WHERE id = $1")
                            .bind(before.survey_id)
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(backend)?;
                    let question: app::domain::ReasonQuestion = stored
                        .and_then(|raw| serde_json::from_str(&raw).ok())
                        .unwrap_or_default();
                    let band = app::nps::Score::try_from(score)
                        .map(|s| s.band())
                        .unwrap_or(app::nps::Band::Detractor);
                    let offered = question.options(band);
                    Ok(match sent {
                        Some(key) if offered.contains(key) => Ok(Some(key.as_str().to_string())),
                        Some(_) => Err(()),
                        None => Ok(before
                            .reason
                            .clone()
                            .filter(|r| offered.iter().any(|k| k.as_str() == r))),
                    })
                }

                #[allow(clippy::too_many_arguments)]
                async fn write_amendment(
                    conn: &mut $conn,
                    id: Uuid,
                    a: &ResponseAmendment,
                    choices: &app::domain::ConsentChoices,
                    changes: &[app::domain::ConsentChange],
                    at: DateTime<Utc>,
                    reason: Option<&str>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE responses SET
                             score = COALESCE($1, score),
                             comment = COALESCE($2, comment),
                             contact_email = CASE WHEN $3 THEN NULL ELSE COALESCE($4, contact_email) END,
                             consent_choices = $5,
                             updated_at = $6,
                             reason = $8,
                             user_hash = CASE WHEN $9 THEN NULL ELSE COALESCE($10, user_hash) END,
                             account_hash = CASE WHEN $9 THEN NULL ELSE COALESCE($11, account_hash) END
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
                    .bind(reason)
                    // Consent to be identified taken back: the hashes go with it.
                    .bind(choices.granted(app::domain::IDENTIFY) == Some(false))
                    .bind(a.user_hash.as_deref())
                    .bind(a.account_hash.as_deref())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                    if choices.granted(app::domain::CONTACT) == Some(false) {
                        // Nobody may follow it up any more: its follow-up, notes and replies go
                        // with the address.
                        for table in ["follow_up_entries", "follow_ups"] {
                            sqlx::query(&format!("DELETE FROM {table} WHERE response_id = $1"))
                                .bind(id)
                                .execute(&mut *conn)
                                .await
                                .map_err(backend)?;
                        }
                    }
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
                    // The visitor sent the follow-up: the answer's alerts, held until it was
                    // final (`webhooks`' settle time), are due now.
                    if a.choices.granted(app::domain::CONTACT).is_some() {
                        // Rows locked in id order, as a revoke locks them: no lock cycle.
                        sqlx::query(&format!(
                            "UPDATE webhook_deliveries SET next_attempt_at = $1
                             WHERE id IN (SELECT id FROM webhook_deliveries
                                 WHERE answer_id = $2 AND delivered_at IS NULL AND failed_at IS NULL
                                   AND attempts = 0 ORDER BY id{})",
                            Self::ROW_LOCK
                        ))
                        .bind(At(at))
                        .bind(id)
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
