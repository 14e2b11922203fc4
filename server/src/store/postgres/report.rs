//! `ReportStore` on PostgreSQL: period counts bucket the aggregates with `width_bucket`.

use crate::store::aggregates::add_uncounted_to_periods;

#[derive(sqlx::FromRow)]
struct PeriodSums {
    idx: i32,
    #[sqlx(flatten)]
    sums: crate::store::sql::rows::SumsRow,
}

crate::store::sql::report_store!(super::PostgresStore {
    async fn period_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        boundaries: &[DateTime<Utc>],
    ) -> StoreResult<Vec<app::nps::ScoreCounts>> {
        let buckets = boundaries.len().saturating_sub(1);
        if buckets == 0 {
            return Ok(vec![]);
        }
        let thresholds: Vec<i64> = boundaries.iter().map(|b| quarter_hour(*b)).collect();
        let (dimension, value) = filter
            .segment
            .as_ref()
            .map(|s| (s.dimension.as_str(), s.value.as_str()))
            .unwrap_or(("", ""));
        // One index range scan over the whole range; width_bucket finds each row's bucket in
        // the sorted boundaries (1-based).
        let sql = format!(
            "SELECT width_bucket(bucket, $1::bigint[]) AS idx, {sums}
             FROM response_aggregates
             WHERE site_id = $2 AND dimension = $3 AND value = $4
               AND bucket >= $5 AND bucket < $6
               AND org_id = $7 AND ($8::uuid IS NULL OR survey_id = $8)
             GROUP BY idx",
            sums = sum_columns("")
        );
        let mut tx = self.read_snapshot().await?;
        let rows: Vec<PeriodSums> = sqlx::query_as(&sql)
            .bind(&thresholds)
            .bind(site)
            .bind(dimension)
            .bind(value)
            .bind(thresholds[0])
            .bind(thresholds[buckets])
            .bind(org)
            .bind(filter.survey)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let uncounted = Self::uncounted_keys(&mut tx, org, site).await?;
        tx.commit().await.map_err(backend)?;
        let mut out = vec![app::nps::ScoreCounts::default(); buckets];
        for row in rows {
            if let Some(slot) = usize::try_from(row.idx - 1).ok().and_then(|i| out.get_mut(i)) {
                *slot = counts_from_sums(row.sums.sums());
            }
        }
        let pairs: Vec<[i64; 2]> = thresholds.windows(2).map(|w| [w[0], w[1]]).collect();
        add_uncounted_to_periods(&mut out, &uncounted, filter, &pairs);
        Ok(out)
    }
});
