//! `SiteStore`: the same SQL on both backends.

macro_rules! site_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::{SITE_COLUMNS, SURVEY_COLUMNS};

            impl $store {
                /// Sets one of a survey's settings kept beside it as JSON (`pages`, `reason`);
                /// `false` if the organisation has no such survey.
                async fn set_survey_json(
                    &self,
                    column: SurveyJson,
                    org: Uuid,
                    survey: Uuid,
                    json: String,
                ) -> StoreResult<bool> {
                    let column = match column {
                        SurveyJson::Pages => "pages",
                        SurveyJson::Reason => "reason",
                    };
                    let done = sqlx::query(&format!(
                        "UPDATE surveys SET {column} = $1 WHERE id = $2 AND org_id = $3"
                    ))
                    .bind(json)
                    .bind(survey)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            /// The survey columns `set_survey_json` writes (never a name from outside).
            enum SurveyJson {
                Pages,
                Reason,
            }

            #[async_trait]
            impl SiteStore for $store {
                $($own)*

                async fn create_site(
                    &self,
                    org: Uuid,
                    name: &str,
                    allowed_origins: &[String],
                ) -> StoreResult<Site> {
                    let site = Site {
                        id: Uuid::new_v4(),
                        org_id: org,
                        name: name.to_owned(),
                        site_key: $crate::store::new_site_key(),
                        allowed_origins: allowed_origins.to_vec(),
                    };
                    sqlx::query(
                        "INSERT INTO sites (id, org_id, name, site_key, allowed_origins, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(site.id)
                    .bind(org)
                    .bind(&site.name)
                    .bind(&site.site_key)
                    .bind(Json(&site.allowed_origins))
                    .bind(At(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("site key"))?;
                    Ok(site)
                }

                async fn sites(&self, org: Uuid) -> StoreResult<Vec<Site>> {
                    let rows: Vec<SiteRow> = sqlx::query_as(&format!(
                        "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 ORDER BY name, id"
                    ))
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(Site::from).collect())
                }

                async fn site_by_key(&self, org: Uuid, site_key: &SiteKey) -> StoreResult<Option<Site>> {
                    let row: Option<SiteRow> = sqlx::query_as(&format!(
                        "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 AND site_key = $2"
                    ))
                    .bind(org)
                    .bind(site_key.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.map(Site::from))
                }

                async fn update_site(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    name: &str,
                    allowed_origins: &[String],
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE sites SET name = $1, allowed_origins = $2 WHERE id = $3 AND org_id = $4",
                    )
                    .bind(name)
                    .bind(Json(allowed_origins))
                    .bind(site)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn site_attributes(&self, org: Uuid, site: Uuid) -> StoreResult<Option<AttributeSettings>> {
                    let row: Option<(String, i64)> = sqlx::query_as(
                        "SELECT attribute_keys, CAST(attribute_cap AS BIGINT) FROM sites WHERE id = $1 AND org_id = $2",
                    )
                    .bind(site)
                    .bind(org)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.map(|(keys, cap)| AttributeSettings::from_stored(&keys, cap)))
                }

                async fn set_site_attributes(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    settings: &AttributeSettings,
                    forget_values: bool,
                ) -> StoreResult<bool> {
                    let mut tx = self.write_transaction().await?;
                    let done = sqlx::query(
                        "UPDATE sites SET attribute_keys = $1, attribute_cap = $2 WHERE id = $3 AND org_id = $4",
                    )
                    .bind(settings.stored_keys())
                    .bind(i32::try_from(settings.value_cap).unwrap_or(i32::MAX))
                    .bind(site)
                    .bind(org)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    // `,plan,tier,` holds `,plan,`: a key is a whole item of the list.
                    let declared = if forget_values {
                        String::new()
                    } else {
                        format!(",{},", settings.key_names())
                    };
                    sqlx::query(&format!(
                        "DELETE FROM site_attribute_values WHERE site_id = $1
                         AND {}($2, ',' || key || ',') = 0",
                        Self::FIND_TEXT
                    ))
                    .bind(site)
                    .bind(declared)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }

                async fn rotate_site_key(&self, org: Uuid, site: Uuid) -> StoreResult<Option<String>> {
                    let key = $crate::store::new_site_key();
                    let done = sqlx::query("UPDATE sites SET site_key = $1 WHERE id = $2 AND org_id = $3")
                        .bind(&key)
                        .bind(site)
                        .bind(org)
                        .execute(&self.pool)
                        .await
                        .map_err(map_err("site key"))?;
                    Ok((done.rows_affected() == 1).then_some(key))
                }

                async fn create_survey(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    name: &str,
                    product_name: &str,
                ) -> StoreResult<Survey> {
                    let survey = Survey {
                        id: Uuid::new_v4(),
                        site_id: site,
                        name: name.to_owned(),
                        product_name: product_name.to_owned(),
                        settings: Default::default(),
                    };
                    // The INSERT … SELECT writes nothing unless the site belongs to the organisation.
                    let written = sqlx::query(
                        "INSERT INTO surveys (id, org_id, site_id, name, product_name, created_at)
                         SELECT $1, org_id, id, $2, $3, $4 FROM sites WHERE id = $5 AND org_id = $6",
                    )
                    .bind(survey.id)
                    .bind(&survey.name)
                    .bind(&survey.product_name)
                    .bind(At(Utc::now()))
                    .bind(site)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err("survey"))?;
                    if written.rows_affected() == 0 {
                        return Err(backend(sqlx::Error::RowNotFound));
                    }
                    Ok(survey)
                }

                async fn surveys(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<Survey>> {
                    let rows: Vec<SurveyRow> = sqlx::query_as(&format!(
                        "SELECT {SURVEY_COLUMNS} FROM surveys
                         WHERE org_id = $1 AND site_id = $2 ORDER BY created_at, id"
                    ))
                    .bind(org)
                    .bind(site)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().map(Survey::from).collect())
                }

                async fn survey_extras(
                    &self,
                    org: Uuid,
                    survey: Uuid,
                ) -> StoreResult<Option<SurveyExtras>> {
                    let row: Option<SurveyExtrasRow> = sqlx::query_as(
                        "SELECT id, site_id, name, pages, reason FROM surveys
                         WHERE id = $1 AND org_id = $2",
                    )
                    .bind(survey)
                    .bind(org)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    row.map(SurveyExtras::try_from).transpose()
                }

                async fn surveys_extras(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<SurveyExtras>> {
                    let rows: Vec<SurveyExtrasRow> = sqlx::query_as(
                        "SELECT id, site_id, name, pages, reason FROM surveys
                         WHERE org_id = $1 AND site_id = $2 ORDER BY created_at, id",
                    )
                    .bind(org)
                    .bind(site)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.into_iter().map(SurveyExtras::try_from).collect()
                }

                async fn set_survey_reason(
                    &self,
                    org: Uuid,
                    survey: Uuid,
                    reason: &app::domain::ReasonQuestion,
                ) -> StoreResult<bool> {
                    let json = serde_json::to_string(reason).map_err(backend)?;
                    self.set_survey_json(SurveyJson::Reason, org, survey, json).await
                }

                async fn set_survey_pages(
                    &self,
                    org: Uuid,
                    survey: Uuid,
                    pages: &app::domain::PageTargeting,
                ) -> StoreResult<bool> {
                    let json = serde_json::to_string(pages).map_err(backend)?;
                    self.set_survey_json(SurveyJson::Pages, org, survey, json).await
                }

                async fn update_survey(
                    &self,
                    org: Uuid,
                    survey: Uuid,
                    update: &SurveyUpdate<'_>,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE surveys SET name = $1, product_name = $2, settings = $3
                         WHERE id = $4 AND org_id = $5",
                    )
                    .bind(update.name)
                    .bind(update.product_name)
                    .bind(Json(update.settings))
                    .bind(survey)
                    .bind(org)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn publish_notice(
                    &self,
                    org: Uuid,
                    language: &str,
                    body: &str,
                ) -> StoreResult<NoticeVersion> {
                    let mut tx = self.write_transaction().await?;
                    let latest: Option<i32> =
                        sqlx::query_scalar("SELECT MAX(version) FROM privacy_notices WHERE org_id = $1")
                            .bind(org)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(backend)?;
                    let notice = NoticeVersion {
                        id: Uuid::new_v4(),
                        org_id: org,
                        version: latest.unwrap_or(0).max(0) as u32 + 1,
                        language: language.to_owned(),
                        body: body.to_owned(),
                        content_hash: $crate::store::content_hash(body),
                        published_at: app::ingest::received_now(),
                    };
                    // A concurrent publisher that read the same latest version loses on the
                    // unique (org_id, version): a conflict, never two notices of one version.
                    sqlx::query(
                        "INSERT INTO privacy_notices (id, org_id, version, language, body, content_hash, published_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(notice.id)
                    .bind(org)
                    .bind(i32::try_from(notice.version).map_err(backend)?)
                    .bind(&notice.language)
                    .bind(&notice.body)
                    .bind(&notice.content_hash)
                    .bind(At(notice.published_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err("notice version"))?;
                    tx.commit().await.map_err(backend)?;
                    Ok(notice)
                }

                async fn notices(&self, org: Uuid) -> StoreResult<Vec<NoticeVersion>> {
                    let rows: Vec<NoticeRow> =
                        sqlx::query_as("SELECT * FROM privacy_notices WHERE org_id = $1 ORDER BY version DESC")
                            .bind(org)
                            .fetch_all(&self.pool)
                            .await
                            .map_err(backend)?;
                    Ok(rows.into_iter().map(NoticeVersion::from).collect())
                }
            }
        };
    };
}

pub(crate) use site_store;
