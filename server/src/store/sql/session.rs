//! `SessionStore`: the same SQL on both backends.

macro_rules! session_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl SessionStore for $store {
                $($own)*

                async fn load_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
                    let row: Option<(String, At, Option<Uuid>)> =
                        sqlx::query_as("SELECT data, expires_at, user_id FROM sessions WHERE id_hash = $1")
                            .bind(id_hash)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(row.map(|(data, expires_at, user_id)| SessionRecord {
                        data,
                        user_id,
                        expires_at: expires_at.0,
                    }))
                }

                async fn create_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO sessions (id_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (id_hash) DO NOTHING",
                    )
                    .bind(id_hash)
                    .bind(&record.data)
                    .bind(At(record.expires_at))
                    .bind(record.user_id)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn save_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE sessions SET data = $1, expires_at = $2, user_id = $3 WHERE id_hash = $4",
                    )
                    .bind(&record.data)
                    .bind(At(record.expires_at))
                    .bind(record.user_id)
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                async fn delete_user_sessions(&self, user: Uuid) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user)
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }

                async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }

                async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                        .bind(At(now))
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(crate) use session_store;
