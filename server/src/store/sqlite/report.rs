//! `ReportStore` on SQLite: period counts join the aggregates to the periods read from JSON.

use crate::store::aggregates::add_uncounted_to_periods;

#[derive(sqlx::FromRow)]
struct PeriodSums {
    idx: i64,
    #[sqlx(flatten)]
    sums: crate::store::sql::rows::SumsRow,
}

crate::store::sql::report_store!(super::SqliteStore {
    async fn period_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        boundaries: &[DateTime<Utc>],
    ) -> StoreResult<Vec<app::nps::ScoreCounts>> {
        let buckets = boundaries.len().saturating_sub(1);
        let pairs: Vec<[i64; 2]> = boundaries
            .windows(2)
            .map(|w| [quarter_hour(w[0]), quarter_hour(w[1])])
            .collect();
        let (dimension, value) = filter
            .segment
            .as_ref()
            .map(|s| (s.dimension.as_str(), s.value.as_str()))
            .unwrap_or(("", ""));
        // SQLite has no width_bucket: each period is a row of json_each, joined by range.
        let sql = format!(
            "WITH p AS (SELECT CAST(key AS INTEGER) AS idx, value ->> 0 AS lo, value ->> 1 AS hi
                        FROM json_each($1))
             SELECT p.idx, {sums} FROM p CROSS JOIN response_aggregates a
             WHERE a.site_id = $2 AND a.dimension = $3 AND a.value = $4
               AND a.bucket >= p.lo AND a.bucket < p.hi
               AND a.org_id = $5 AND ($6 IS NULL OR a.survey_id = $6)
             GROUP BY p.idx",
            sums = sum_columns("a.")
        );
        let mut tx = self.read_snapshot().await?;
        let rows: Vec<PeriodSums> = sqlx::query_as(&sql)
            .bind(serde_json::to_string(&pairs).map_err(backend)?)
            .bind(site)
            .bind(dimension)
            .bind(value)
            .bind(org)
            .bind(filter.survey)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let uncounted = Self::uncounted_keys(&mut tx, org, site).await?;
        tx.commit().await.map_err(backend)?;
        let mut out = vec![app::nps::ScoreCounts::default(); buckets];
        for row in rows {
            if let Some(slot) = usize::try_from(row.idx).ok().and_then(|i| out.get_mut(i)) {
                *slot = counts_from_sums(row.sums.sums());
            }
        }
        add_uncounted_to_periods(&mut out, &uncounted, filter, &pairs);
        Ok(out)
    }
});
