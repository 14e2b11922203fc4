//! `PrivacyStore`: what both backends share of it (erasing and purging differ).

macro_rules! privacy_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::VERBATIM_COLUMNS;

            #[async_trait]
            impl PrivacyStore for $store {
                $($own)*

                async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>> {
                    let rows: Vec<VerbatimRow> = sqlx::query_as(&format!(
                        "SELECT {VERBATIM_COLUMNS} FROM responses r
                         WHERE r.site_id = $1 AND r.respondent_id = $2
                         ORDER BY r.received_at DESC LIMIT 10000"
                    ))
                    .bind(site)
                    .bind(respondent)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(Verbatim::from).collect())
                }

                async fn find_answers(&self, org: Uuid, search: &AnswerSearch) -> StoreResult<Vec<Verbatim>> {
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT {VERBATIM_COLUMNS} FROM responses r WHERE r.org_id = "
                    ));
                    sql.push_bind(org).push(" AND (1 = 0");
                    if let Some(respondent) = search.respondent {
                        sql.push(" OR r.respondent_id = ").push_bind(respondent);
                    }
                    if let Some(email) = &search.email {
                        sql.push(" OR lower(r.contact_email) = lower(").push_bind(email.clone()).push(")");
                    }
                    // A user's answers, and every other answer the same browsers gave on that
                    // site (before they were identified, or without ticking the choice).
                    for (site, hash) in &search.user_hashes {
                        sql.push(" OR (r.site_id = ")
                            .push_bind(*site)
                            .push(" AND (r.user_hash = ")
                            .push_bind(hash.clone())
                            .push(
                                " OR r.respondent_id IN (SELECT u.respondent_id FROM responses u
                                   WHERE u.site_id = r.site_id AND u.user_hash = ",
                            )
                            .push_bind(hash.clone())
                            .push(" AND u.respondent_id IS NOT NULL)))");
                    }
                    sql.push(") ORDER BY r.received_at DESC LIMIT 10000");
                    let rows: Vec<VerbatimRow> =
                        sql.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
                    Ok(rows.into_iter().map(Verbatim::from).collect())
                }

                async fn identity_secrets(&self, org: Uuid) -> StoreResult<Vec<(Uuid, String)>> {
                    sqlx::query_as(
                        "SELECT id, identity_secret FROM sites
                         WHERE org_id = $1 AND identity_secret IS NOT NULL",
                    )
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)
                }

                async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>> {
                    let days: Option<Option<i32>> =
                        sqlx::query_scalar("SELECT retention_days FROM organisations WHERE id = $1")
                            .bind(org)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(days.flatten().map(|d| d.max(0) as u32))
                }

                async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()> {
                    sqlx::query("UPDATE organisations SET retention_days = $1 WHERE id = $2")
                        .bind(days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
                        .bind(org)
                        .execute(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use privacy_store;
