//! `FollowUpStore`: the same SQL on both backends. An answer's follow-up row is made when
//! someone first acts on it (insert, then update, each scoped to the organisation and to
//! answers that left an address), so an answer nobody touched costs no row.

/// The columns an inbox item is read with (`rows::FollowUpRow`).
pub const FOLLOW_UP_SELECT: &str =
    "SELECT r.id, r.site_id, s.name AS site_name, r.score, r.comment, r.contact_email,
            r.consent_choices, r.language, r.page_path, r.reason, r.received_at,
            COALESCE(f.status, 'new') AS status, am.user_id AS assignee_id, u.email AS assignee_email,
            f.due_at, f.first_contact_at, o.follow_up_hours,
            (SELECT COUNT(*) FROM follow_up_entries e WHERE e.response_id = r.id) AS entries
     FROM responses r
     JOIN sites s ON s.id = r.site_id
     JOIN organisations o ON o.id = r.org_id
     LEFT JOIN follow_ups f ON f.response_id = r.id
     -- An assignee who left the organisation or is no longer an owner or admin: nobody.
     LEFT JOIN memberships am ON am.org_id = r.org_id AND am.user_id = f.assignee_id
         AND am.role IN ('owner', 'admin')
     LEFT JOIN users u ON u.id = am.user_id
     WHERE r.org_id = $1 AND r.contact_email IS NOT NULL";

macro_rules! follow_up_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::follow_up::FOLLOW_UP_SELECT;
            use app::domain::FollowUpHours;

            impl $store {
                /// The answer's follow-up row, made "new" if it had none: only for an answer of
                /// the organisation that left an address.
                async fn ensure_follow_up(&self, org: Uuid, answer: Uuid, at: At) -> StoreResult<()> {
                    // The answer's row locked (PostgreSQL): a withdrawal of the contact choice
                    // in flight is waited for, and its address seen gone.
                    sqlx::query(&format!(
                        "INSERT INTO follow_ups (response_id, org_id, status, updated_at)
                         SELECT r.id, r.org_id, 'new', $3 FROM responses r
                         WHERE r.id = $2 AND r.org_id = $1 AND r.contact_email IS NOT NULL{}
                         ON CONFLICT (response_id) DO NOTHING",
                        Self::ROW_LOCK
                    ))
                    .bind(org)
                    .bind(answer)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl FollowUpStore for $store {
                $($own)*

                async fn follow_up_inbox(
                    &self,
                    org: Uuid,
                    filter: &InboxFilter,
                    limit: u32,
                ) -> StoreResult<Vec<FollowUpItem>> {
                    let status = match filter.status {
                        StatusFilter::Open => "open",
                        StatusFilter::All => "all",
                        StatusFilter::Only(s) => s.as_str(),
                    };
                    let (assignee, member) = match filter.assignee {
                        AssigneeFilter::Anyone => ("anyone", None),
                        AssigneeFilter::Nobody => ("nobody", None),
                        AssigneeFilter::Member(id) => ("member", Some(id)),
                    };
                    let rows: Vec<FollowUpRow> = sqlx::query_as(&format!(
                        "{FOLLOW_UP_SELECT}
                         AND ($2 = 'all'
                              OR ($2 = 'open' AND COALESCE(f.status, 'new') <> 'resolved')
                              OR COALESCE(f.status, 'new') = $2)
                         AND ($3 = 'anyone' OR ($3 = 'nobody' AND am.user_id IS NULL)
                              OR am.user_id = $4)
                         AND ($5 IS NULL OR r.site_id = $5)
                         ORDER BY r.received_at DESC, r.id DESC LIMIT $6"
                    ))
                    .bind(org)
                    .bind(status)
                    .bind(assignee)
                    .bind(member)
                    .bind(filter.site)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().filter_map(FollowUpRow::item).collect())
                }

                async fn follow_up(&self, org: Uuid, answer: Uuid) -> StoreResult<Option<FollowUpItem>> {
                    let row: Option<FollowUpRow> =
                        sqlx::query_as(&format!("{FOLLOW_UP_SELECT} AND r.id = $2"))
                            .bind(org)
                            .bind(answer)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(row.and_then(FollowUpRow::item))
                }

                async fn follow_up_entries(
                    &self,
                    org: Uuid,
                    answer: Uuid,
                ) -> StoreResult<Vec<FollowUpEntry>> {
                    let rows: Vec<FollowUpEntryRow> = sqlx::query_as(
                        "SELECT e.id, e.kind, u.email AS author_email, e.subject, e.body, e.created_at
                         FROM follow_up_entries e LEFT JOIN users u ON u.id = e.author_id
                         WHERE e.org_id = $1 AND e.response_id = $2
                         ORDER BY e.created_at, e.id",
                    )
                    .bind(org)
                    .bind(answer)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().filter_map(FollowUpEntryRow::entry).collect())
                }

                async fn change_follow_up(
                    &self,
                    org: Uuid,
                    answer: Uuid,
                    change: FollowUpChange,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.ensure_follow_up(org, answer, At(at)).await?;
                    let query = match change {
                        FollowUpChange::Status(status) => sqlx::query(
                            "UPDATE follow_ups SET status = $3,
                                 first_contact_at = CASE
                                     WHEN $3 = 'contacted' THEN COALESCE(first_contact_at, $4)
                                     WHEN $3 = 'new' THEN NULL
                                     ELSE first_contact_at END,
                                 updated_at = $4
                             WHERE org_id = $1 AND response_id = $2",
                        )
                        .bind(org)
                        .bind(answer)
                        .bind(status.as_str())
                        .bind(At(at)),
                        FollowUpChange::Assignee(member) => sqlx::query(
                            "UPDATE follow_ups SET assignee_id = $3, updated_at = $4
                             WHERE org_id = $1 AND response_id = $2
                               AND ($3 IS NULL OR EXISTS (SELECT 1 FROM memberships m
                                   WHERE m.org_id = $1 AND m.user_id = $3
                                     AND m.role IN ('owner', 'admin')))",
                        )
                        .bind(org)
                        .bind(answer)
                        .bind(member)
                        .bind(At(at)),
                        FollowUpChange::Due(due) => sqlx::query(
                            "UPDATE follow_ups SET due_at = $3, updated_at = $4
                             WHERE org_id = $1 AND response_id = $2",
                        )
                        .bind(org)
                        .bind(answer)
                        .bind(due.map(At))
                        .bind(At(at)),
                    };
                    let done = query.execute(&self.pool).await.map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn add_follow_up_entry(
                    &self,
                    org: Uuid,
                    answer: Uuid,
                    entry: &NewEntry,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let added = sqlx::query(&format!(
                        "INSERT INTO follow_up_entries
                             (id, response_id, org_id, author_id, kind, subject, body, created_at)
                         SELECT $3, r.id, r.org_id, $4, $5, $6, $7, $8 FROM responses r
                         WHERE r.id = $2 AND r.org_id = $1 AND r.contact_email IS NOT NULL{}",
                        Self::ROW_LOCK
                    ))
                    .bind(org)
                    .bind(answer)
                    .bind(Uuid::new_v4())
                    .bind(entry.author)
                    .bind(entry.kind.as_str())
                    .bind(entry.subject.as_ref().map(|s| s.as_str()))
                    .bind(entry.body.as_str())
                    .bind(At(at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    if added.rows_affected() != 1 {
                        return Ok(false);
                    }
                    if entry.kind.is_reply() {
                        self.ensure_follow_up(org, answer, At(at)).await?;
                        sqlx::query(
                            "UPDATE follow_ups SET
                                 status = CASE WHEN status = 'new' THEN 'contacted' ELSE status END,
                                 first_contact_at = COALESCE(first_contact_at, $3),
                                 updated_at = $3
                             WHERE org_id = $1 AND response_id = $2",
                        )
                        .bind(org)
                        .bind(answer)
                        .bind(At(at))
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    }
                    Ok(true)
                }

                async fn take_mail_slot(
                    &self,
                    org: Uuid,
                    answer: Uuid,
                    at: DateTime<Utc>,
                    since: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.ensure_follow_up(org, answer, At(at)).await?;
                    let taken = sqlx::query(
                        "UPDATE follow_ups SET last_mail_at = $3
                         WHERE org_id = $1 AND response_id = $2
                           AND (last_mail_at IS NULL OR last_mail_at < $4)",
                    )
                    .bind(org)
                    .bind(answer)
                    .bind(At(at))
                    .bind(At(since))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(taken.rows_affected() == 1)
                }

                async fn follow_up_hours(&self, org: Uuid) -> StoreResult<FollowUpHours> {
                    let hours: Option<i32> =
                        sqlx::query_scalar("SELECT follow_up_hours FROM organisations WHERE id = $1")
                            .bind(org)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(hours
                        .and_then(|h| u16::try_from(h).ok())
                        .and_then(FollowUpHours::new)
                        .unwrap_or(FollowUpHours::DEFAULT))
                }

                async fn set_follow_up_hours(&self, org: Uuid, hours: FollowUpHours) -> StoreResult<()> {
                    sqlx::query("UPDATE organisations SET follow_up_hours = $2 WHERE id = $1")
                        .bind(org)
                        .bind(i32::from(hours.get()))
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }

                async fn loop_closed(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                ) -> StoreResult<LoopClosed> {
                    // Every dashboard view reads this: the detractors are counted from an index
                    // alone (an address is kept only with the contact choice granted), and only
                    // the few answers someone contacted are read.
                    let detractors: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM responses r
                         WHERE r.org_id = $1 AND r.site_id = $2 AND r.contact_email IS NOT NULL
                           AND r.received_at >= $3 AND r.received_at < $4 AND r.score <= 6",
                    )
                    .bind(org)
                    .bind(site)
                    .bind(At(from))
                    .bind(At(to))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                    // CROSS JOIN: SQLite then reads the few follow-ups first (it would walk the
                    // site's answers otherwise); to PostgreSQL it is any join.
                    let waits: Vec<(At, At)> = sqlx::query_as(
                        "SELECT r.received_at, f.first_contact_at
                         FROM follow_ups f CROSS JOIN responses r
                         WHERE r.id = f.response_id AND f.org_id = $1 AND f.first_contact_at IS NOT NULL
                           AND r.site_id = $2 AND r.contact_email IS NOT NULL AND r.score <= 6
                           AND r.received_at >= $3 AND r.received_at < $4",
                    )
                    .bind(org)
                    .bind(site)
                    .bind(At(from))
                    .bind(At(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(LoopClosed::new(
                        u64::try_from(detractors).unwrap_or(0),
                        waits
                            .into_iter()
                            .map(|(received, first)| (first.0 - received.0).num_seconds())
                            .collect(),
                    ))
                }
            }
        };
    };
}
pub(crate) use follow_up_store;
