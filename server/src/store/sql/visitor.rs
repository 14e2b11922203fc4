//! `VisitorStore`: what both backends share of it. Writing and amending answers differ: each
//! backend batches and locks its own way.

macro_rules! visitor_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::{SITE_COLUMNS, SURVEY_COLUMNS};

            #[async_trait]
            impl VisitorStore for $store {
                $($own)*

                async fn public_site(&self, site_key: &SiteKey) -> StoreResult<Option<PublicSite>> {
                    let row: Option<PublicSiteRow> = sqlx::query_as(&format!(
                        "SELECT {SITE_COLUMNS}, attribute_keys,
                                CAST(attribute_cap AS BIGINT) AS attribute_cap, identity_secret
                         FROM sites WHERE site_key = $1"
                    ))
                    .bind(site_key.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let (keys, cap, mut secret) = (row.attribute_keys, row.attribute_cap, row.identity_secret);
                    let site = Site::from(row.site);
                    let default_survey: Option<SurveyRow> = sqlx::query_as(&format!(
                        "SELECT {SURVEY_COLUMNS} FROM surveys WHERE site_id = $1 ORDER BY created_at, id LIMIT 1"
                    ))
                    .bind(site.id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    let current_notice: Option<NoticeRow> = sqlx::query_as(
                        "SELECT * FROM privacy_notices WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
                    )
                    .bind(site.org_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    if secret.is_none() {
                        // Made when first needed; of two servers making one at once, the first
                        // written is the one every server reads.
                        sqlx::query("UPDATE sites SET identity_secret = $1 WHERE id = $2 AND identity_secret IS NULL")
                            .bind(app::tokens::random_hex(32))
                            .bind(site.id)
                            .execute(&self.pool)
                            .await
                            .map_err(backend)?;
                        secret = sqlx::query_scalar("SELECT identity_secret FROM sites WHERE id = $1")
                            .bind(site.id)
                            .fetch_one(&self.pool)
                            .await
                            .map_err(backend)?;
                    }
                    Ok(Some(PublicSite {
                        site,
                        default_survey: default_survey.map(Survey::from),
                        current_notice: current_notice.map(NoticeVersion::from),
                        attributes: AttributeSettings::from_stored(&keys, cap),
                        identity_secret: secret.unwrap_or_default(),
                    }))
                }

                async fn survey_of_site(&self, site: Uuid, survey: Uuid) -> StoreResult<Option<Survey>> {
                    let row: Option<SurveyRow> = sqlx::query_as(&format!(
                        "SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = $1 AND site_id = $2"
                    ))
                    .bind(survey)
                    .bind(site)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.map(Survey::from))
                }

                async fn notice_version(&self, org: Uuid, version: u32) -> StoreResult<Option<NoticeVersion>> {
                    let Ok(version) = i32::try_from(version) else {
                        return Ok(None);
                    };
                    let row: Option<NoticeRow> =
                        sqlx::query_as("SELECT * FROM privacy_notices WHERE org_id = $1 AND version = $2")
                            .bind(org)
                            .bind(version)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(row.map(NoticeVersion::from))
                }

                async fn notice_by_id(&self, id: Uuid) -> StoreResult<Option<NoticeVersion>> {
                    let row: Option<NoticeRow> = sqlx::query_as("SELECT * FROM privacy_notices WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(row.map(NoticeVersion::from))
                }

                async fn insert_impressions(&self, batch: &[Impression]) -> StoreResult<()> {
                    use $crate::store::aggregates::{impression_deltas, EVENTS};
                    let mut tx = self.write_transaction().await?;
                    let mut stored = Vec::with_capacity(batch.len());
                    for i in batch {
                        let c = &i.context;
                        let inserted: Option<Uuid> = sqlx::query_scalar(
                            "INSERT INTO impressions (id, org_id, site_id, survey_id, kind, trigger, at,
                                 country, device_class, browser_family, language, page_path,
                                 pages_viewed, seconds_on_site, errors_seen, attributes)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                             ON CONFLICT (id) DO NOTHING RETURNING id",
                        )
                        .bind(i.id)
                        .bind(i.org_id)
                        .bind(i.site_id)
                        .bind(i.survey_id)
                        .bind(i.kind.as_str())
                        .bind(c.trigger.map(|t| t.as_str()))
                        .bind(At(i.at))
                        .bind(c.country.as_ref().map(|v| v.as_str().to_owned()))
                        .bind(c.device.map(|v| v.as_str()))
                        .bind(c.browser.map(|v| v.as_str()))
                        .bind(i.language.clone())
                        .bind(c.page_path.as_ref().map(|v| v.as_str().to_owned()))
                        // Bound at the widths PostgreSQL's columns have (SQLite takes any).
                        .bind(c.pages_viewed.map(|n| n as i16))
                        .bind(c.seconds_on_site.map(|n| n as i32))
                        .bind(c.errors_seen.map(|n| n as i16))
                        .bind(c.attributes.stored())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                        // A retried event was counted when it was first stored.
                        if inserted.is_some() {
                            stored.push(i);
                        }
                    }
                    Self::apply_counts(&mut tx, &EVENTS, &impression_deltas(stored)).await?;
                    tx.commit().await.map_err(backend)
                }

                async fn set_opted_out(
                    &self,
                    site: Uuid,
                    respondent: Uuid,
                    opted_out: bool,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    let mut tx = self.write_transaction().await?;
                    sqlx::query(
                        "INSERT INTO opt_outs (site_id, respondent_id, opted_out, changed_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (site_id, respondent_id)
                         DO UPDATE SET opted_out = excluded.opted_out, changed_at = excluded.changed_at",
                    )
                    .bind(site)
                    .bind(respondent)
                    .bind(opted_out)
                    .bind(At(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if opted_out {
                        // The browser's answers are held first: an amendment of one of them
                        // under way (it holds its row) ends before this commits, and is
                        // unlinked below; a later one sees the opt-out (`apply_amendment`).
                        sqlx::query(&format!(
                            "SELECT id FROM responses WHERE site_id = $1 AND respondent_id = $2{}",
                            Self::ROW_LOCK
                        ))
                        .bind(site)
                        .bind(respondent)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?;
                        // Leaving the program withdraws the identify choice too, at any time
                        // (an answer's own amendment can only within its window): every answer
                        // of this browser on the site is unlinked, and its record says so.
                        sqlx::query(
                            "INSERT INTO consent_changes (response_id, choice, granted_before, granted, at)
                             SELECT id, 'identify', TRUE, FALSE, $3 FROM responses
                             WHERE site_id = $1 AND respondent_id = $2
                               AND (user_hash IS NOT NULL OR account_hash IS NOT NULL)",
                        )
                        .bind(site)
                        .bind(respondent)
                        .bind(At(at))
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                        sqlx::query(&format!(
                            "UPDATE responses SET user_hash = NULL, account_hash = NULL,
                                 consent_choices = {}
                             WHERE site_id = $1 AND respondent_id = $2
                               AND (user_hash IS NOT NULL OR account_hash IS NOT NULL)",
                            Self::IDENTIFY_DECLINED
                        ))
                        .bind(site)
                        .bind(respondent)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    }
                    tx.commit().await.map_err(backend)
                }

                async fn admit_attribute_values(
                    &self,
                    site: Uuid,
                    cap: u32,
                    values: &[(AttributeKey, String)],
                ) -> StoreResult<Vec<bool>> {
                    let cap = i64::from(cap);
                    // Which of the pairs the site's keys hold already: one statement for all.
                    let mut known = std::collections::HashSet::new();
                    let look_up = |pairs: Vec<&(AttributeKey, String)>| {
                        let mut sql = sqlx::QueryBuilder::new(
                            "SELECT key, value FROM site_attribute_values WHERE site_id = ",
                        );
                        sql.push_bind(site).push(" AND (key, value) IN (");
                        sql.push_values(pairs, |mut row, (key, value)| {
                            row.push_bind(key.as_str().to_owned()).push_bind(value.clone());
                        });
                        sql.push(")");
                        sql
                    };
                    let rows: Vec<(String, String)> = look_up(values.iter().collect())
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    known.extend(rows);
                    let is_known = |known: &std::collections::HashSet<(String, String)>,
                                    (key, value): &(AttributeKey, String)| {
                        known.contains(&(key.as_str().to_owned(), value.clone()))
                    };
                    let new: Vec<&(AttributeKey, String)> =
                        values.iter().filter(|pair| !is_known(&known, pair)).collect();
                    if !new.is_empty() {
                        // A key already at its cap takes nothing more: no write at all.
                        let mut sql = sqlx::QueryBuilder::new(
                            "SELECT key, COUNT(*) FROM site_attribute_values WHERE site_id = ",
                        );
                        sql.push_bind(site).push(" AND key IN (");
                        let mut keys = sql.separated(", ");
                        for (key, _) in &new {
                            keys.push_bind(key.as_str().to_owned());
                        }
                        sql.push(") GROUP BY key");
                        let held: std::collections::HashMap<String, i64> =
                            sql.build_query_as::<(String, i64)>()
                                .fetch_all(&self.pool)
                                .await
                                .map_err(backend)?
                                .into_iter()
                                .collect();
                        let new: Vec<&(AttributeKey, String)> = new
                            .into_iter()
                            .filter(|(key, _)| held.get(key.as_str()).copied().unwrap_or(0) < cap)
                            .collect();
                        // Each remembered while its key holds fewer than the cap, then looked up
                        // again. Requests taking new values at once may each see room for one:
                        // the cap can be passed by as many as run together, never without bound.
                        for (key, value) in &new {
                            sqlx::query(
                                "INSERT INTO site_attribute_values (site_id, key, value)
                                 SELECT $1, $2, $3 WHERE (SELECT COUNT(*) FROM site_attribute_values
                                                          WHERE site_id = $1 AND key = $2) < $4
                                 ON CONFLICT DO NOTHING",
                            )
                            .bind(site)
                            .bind(key.as_str())
                            .bind(value)
                            .bind(cap)
                            .execute(&self.pool)
                            .await
                            .map_err(backend)?;
                        }
                        if !new.is_empty() {
                            let rows: Vec<(String, String)> = look_up(new)
                                .build_query_as()
                                .fetch_all(&self.pool)
                                .await
                                .map_err(backend)?;
                            known.extend(rows);
                        }
                    }
                    let admitted = values.iter().map(|pair| is_known(&known, pair)).collect();
                    Ok(admitted)
                }

                async fn is_opted_out(&self, site: Uuid, respondent: Uuid) -> StoreResult<bool> {
                    let opted_out: Option<bool> = sqlx::query_scalar(
                        "SELECT opted_out FROM opt_outs WHERE site_id = $1 AND respondent_id = $2",
                    )
                    .bind(site)
                    .bind(respondent)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(opted_out.unwrap_or(false))
                }
            }
        };
    };
}

pub(crate) use visitor_store;
