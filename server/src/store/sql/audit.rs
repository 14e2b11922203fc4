//! `AuditStore`: the same SQL on both backends.

macro_rules! audit_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl AuditStore for $store {
                $($own)*

                async fn record_audit(&self, e: &AuditEntry) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO audit_log (id, org_id, actor, action, subject, at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(Uuid::new_v4())
                    .bind(e.org_id)
                    .bind(e.actor)
                    .bind(&e.action)
                    .bind(&e.subject)
                    .bind(At(e.at))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }

                async fn audit_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                    let rows: Vec<AuditRow> = sqlx::query_as(
                        "SELECT org_id, actor, action, subject, at FROM audit_log
                         WHERE org_id = $1 ORDER BY at DESC, id LIMIT $2",
                    )
                    .bind(org)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(AuditEntry::from).collect())
                }
            }
        };
    };
}

pub(crate) use audit_store;
