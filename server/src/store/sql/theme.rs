//! `ThemeStore`: the same SQL on both backends; what differs is how a change of a site's themes
//! waits for the counts reading them (`lock_themes_to_change`, per backend).

macro_rules! theme_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;
            use app::domain::{SavedTheme, ThemeName, ThemeTerms, MAX_SAVED_THEMES};

            #[async_trait]
            impl ThemeStore for $store {
                $($own)*

                async fn saved_themes(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<SavedTheme>> {
                    let rows: Vec<SavedThemeRow> = sqlx::query_as(
                        "SELECT id, site_id, name, terms, updated_at FROM saved_themes
                         WHERE org_id = $1 AND site_id = $2 ORDER BY name",
                    )
                    .bind(org)
                    .bind(site)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows.into_iter().filter_map(SavedThemeRow::parse).collect())
                }

                async fn save_theme(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    name: &ThemeName,
                    terms: &ThemeTerms,
                    at: DateTime<Utc>,
                ) -> StoreResult<SaveTheme> {
                    let mut tx = self.write_transaction().await?;
                    if !Self::lock_themes_to_change(&mut tx, org, site).await? {
                        return Ok(SaveTheme::NoSuchSite);
                    }
                    let (themes, named): (i64, i64) = sqlx::query_as(
                        "SELECT COUNT(*), COUNT(CASE WHEN name = $2 THEN 1 END)
                         FROM saved_themes WHERE site_id = $1",
                    )
                    .bind(site)
                    .bind(name.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if named == 0 && themes >= MAX_SAVED_THEMES as i64 {
                        return Ok(SaveTheme::TooMany);
                    }
                    sqlx::query(
                        "INSERT INTO saved_themes (id, org_id, site_id, name, terms, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $6)
                         ON CONFLICT (site_id, name) DO UPDATE
                         SET terms = excluded.terms, updated_at = excluded.updated_at",
                    )
                    .bind(Uuid::new_v4())
                    .bind(org)
                    .bind(site)
                    .bind(name.as_str())
                    .bind(terms.to_lines())
                    .bind(At(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    Self::restart_tagging(&mut tx, org, site, at).await?;
                    tx.commit().await.map_err(backend)?;
                    Ok(SaveTheme::Saved)
                }

                async fn delete_theme(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    name: &ThemeName,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let mut tx = self.write_transaction().await?;
                    if !Self::lock_themes_to_change(&mut tx, org, site).await? {
                        return Ok(false);
                    }
                    let done = sqlx::query("DELETE FROM saved_themes WHERE site_id = $1 AND name = $2")
                        .bind(site)
                        .bind(name.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    Self::restart_tagging(&mut tx, org, site, at).await?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }

                async fn tagging_past_answers(&self, org: Uuid, site: Uuid) -> StoreResult<bool> {
                    let walking: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM theme_backfills WHERE org_id = $1 AND site_id = $2)",
                    )
                    .bind(org)
                    .bind(site)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(walking)
                }
            }
        };
    };
}

pub(crate) use theme_store;
