//! `AccountStore`: the same SQL on both backends.

macro_rules! account_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl AccountStore for $store {
                $($own)*

                async fn create_organisation(&self, name: &str) -> StoreResult<Organisation> {
                    let org = Organisation { id: Uuid::new_v4(), name: name.to_owned() };
                    sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
                        .bind(org.id)
                        .bind(&org.name)
                        .bind(At(Utc::now()))
                        .execute(&self.pool)
                        .await
                        .map_err(map_err("organisation"))?;
                    Ok(org)
                }

                async fn create_user(&self, email: &Email, password_hash: &str) -> StoreResult<Uuid> {
                    let id = Uuid::new_v4();
                    sqlx::query(
                        "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(email.as_str())
                    .bind(password_hash)
                    .bind(At(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("email"))?;
                    Ok(id)
                }

                async fn add_member(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(org)
                    .bind(user)
                    .bind(role.as_str())
                    .bind(At(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("membership"))?;
                    Ok(())
                }

                async fn credentials(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
                    let row: Option<(Uuid, String)> =
                        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                            .bind(email.as_str())
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(row.map(|(user_id, password_hash)| UserCredentials {
                        user_id,
                        email: email.clone(),
                        password_hash,
                    }))
                }

                async fn memberships(&self, user: Uuid) -> StoreResult<Vec<Membership>> {
                    let rows: Vec<MembershipRow> = sqlx::query_as(
                        "SELECT m.org_id, o.name, m.role FROM memberships m
                         JOIN organisations o ON o.id = m.org_id
                         WHERE m.user_id = $1 ORDER BY o.name, o.id",
                    )
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(Membership::from).collect())
                }

                async fn members(&self, org: Uuid) -> StoreResult<Vec<MemberRecord>> {
                    let rows: Vec<MemberRow> = sqlx::query_as(
                        "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
                         WHERE m.org_id = $1 ORDER BY u.email",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(MemberRecord::from).collect())
                }

                async fn set_member_role(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3",
                    )
                    .bind(role.as_str())
                    .bind(org)
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn remove_member(&self, org: Uuid, user: Uuid) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
                        .bind(org)
                        .bind(user)
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn user_password_hash(&self, user: Uuid) -> StoreResult<Option<String>> {
                    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                        .bind(user)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)
                }

                async fn set_password_hash(&self, user: Uuid, hash: &str) -> StoreResult<()> {
                    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(hash)
                        .bind(user)
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use account_store;
