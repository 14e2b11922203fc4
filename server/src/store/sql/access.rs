//! `AccessStore`: the same SQL on both backends.

macro_rules! access_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::INVITATION_SELECT;

            #[async_trait]
            impl AccessStore for $store {
                $($own)*

                async fn create_invitation(
                    &self,
                    org: Uuid,
                    role: Role,
                    token_hash: &str,
                    invited_by: Uuid,
                    expires_at: DateTime<Utc>,
                ) -> StoreResult<Uuid> {
                    let id = Uuid::new_v4();
                    sqlx::query(
                        "INSERT INTO invitations (id, org_id, role, token_hash, invited_by, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(org)
                    .bind(role.as_str())
                    .bind(token_hash)
                    .bind(invited_by)
                    .bind(At(Utc::now()))
                    .bind(At(expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("invitation"))?;
                    Ok(id)
                }

                async fn pending_invitations(
                    &self,
                    org: Uuid,
                    now: DateTime<Utc>,
                ) -> StoreResult<Vec<InvitationRecord>> {
                    let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
                        "{INVITATION_SELECT} WHERE i.org_id = $1 AND i.accepted_at IS NULL
                           AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC"
                    ))
                    .bind(org)
                    .bind(At(now))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(InvitationRecord::from).collect())
                }

                async fn revoke_invitation(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE invitations SET revoked_at = $1
                         WHERE id = $2 AND org_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(At(at))
                    .bind(id)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
                    let row: Option<InvitationRow> =
                        sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"))
                            .bind(token_hash)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(row.map(InvitationRecord::from))
                }

                async fn accept_invitation(&self, id: Uuid, user: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    let mut tx = self.write_transaction().await?;
                    // The conditional update is the single use: a second acceptance finds nothing to update.
                    let invitation: Option<(Uuid, String)> = sqlx::query_as(
                        "UPDATE invitations SET accepted_at = $1, accepted_by = $2
                         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1
                         RETURNING org_id, role",
                    )
                    .bind(At(at))
                    .bind(user)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let Some((org, role)) = invitation else {
                        return Ok(false);
                    };
                    sqlx::query(
                        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (org_id, user_id) DO NOTHING",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(role)
                    .bind(At(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }

                async fn create_api_token(&self, org: Uuid, name: &str, token_hash: &str) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(Uuid::new_v4())
                    .bind(org)
                    .bind(name)
                    .bind(token_hash)
                    .bind(At(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("token"))?;
                    Ok(())
                }

                async fn organisation_for_token(&self, token_hash: &str) -> StoreResult<Option<Uuid>> {
                    sqlx::query_scalar(
                        "SELECT org_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                    )
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)
                }

                async fn api_tokens(&self, org: Uuid) -> StoreResult<Vec<ApiTokenRecord>> {
                    let rows: Vec<ApiTokenRow> = sqlx::query_as(
                        "SELECT id, name, created_at, revoked_at FROM api_tokens
                         WHERE org_id = $1 ORDER BY created_at DESC",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(ApiTokenRecord::from).collect())
                }

                async fn revoke_api_token(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    self.revoke("api_tokens", org, id, at).await
                }

                async fn create_share_link(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    token_hash: &str,
                    days: u32,
                ) -> StoreResult<Option<Uuid>> {
                    let id = Uuid::new_v4();
                    // Only a site of this organisation can be shared.
                    let done = sqlx::query(
                        "INSERT INTO share_links (id, org_id, site_id, token_hash, days, created_at)
                         SELECT $1, $2, id, $3, $4, $5 FROM sites WHERE id = $6 AND org_id = $2",
                    )
                    .bind(id)
                    .bind(org)
                    .bind(token_hash)
                    .bind(i32::try_from(days).map_err(backend)?)
                    .bind(At(Utc::now()))
                    .bind(site)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("share link"))?;
                    Ok((done.rows_affected() == 1).then_some(id))
                }

                async fn share_links(&self, org: Uuid) -> StoreResult<Vec<ShareLinkRecord>> {
                    let rows: Vec<ShareLinkRow> = sqlx::query_as(
                        "SELECT id, site_id, days, created_at FROM share_links
                         WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(ShareLinkRecord::from).collect())
                }

                async fn revoke_share_link(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
                    self.revoke("share_links", org, id, at).await
                }

                async fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareScope>> {
                    let row: Option<(Uuid, Uuid, i32, i32)> = sqlx::query_as(
                        "SELECT l.org_id, l.site_id, l.days, o.share_k FROM share_links l
                         JOIN organisations o ON o.id = l.org_id
                         WHERE l.token_hash = $1 AND l.revoked_at IS NULL",
                    )
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.map(|(org, site, days, k)| ShareScope {
                        org,
                        site,
                        days: days.max(1) as u32,
                        settings: ShareSettings { k: k.max(2) as u32 },
                    }))
                }

                async fn share_settings(&self, org: Uuid) -> StoreResult<ShareSettings> {
                    let k: Option<i32> =
                        sqlx::query_scalar("SELECT share_k FROM organisations WHERE id = $1")
                            .bind(org)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(ShareSettings { k: k.unwrap_or(10).max(2) as u32 })
                }

                async fn set_share_settings(&self, org: Uuid, settings: &ShareSettings) -> StoreResult<bool> {
                    // Pages of one period under two values of k hide different cells, and
                    // their difference can be a small group: k is fixed once anything was
                    // shared. Checked in the statement, so a link made meanwhile counts.
                    let k = i32::try_from(settings.k).unwrap_or(i32::MAX);
                    let updated = sqlx::query(
                        "UPDATE organisations SET share_k = $1 WHERE id = $2
                         AND (share_k = $1 OR NOT EXISTS (SELECT 1 FROM share_links WHERE org_id = $2))",
                    )
                    .bind(k)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(updated.rows_affected() > 0)
                }
            }
        };
    };
}

pub(crate) use access_store;
