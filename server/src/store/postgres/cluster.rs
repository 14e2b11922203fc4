//! `ClusterStore` on PostgreSQL: app servers share what they let through, per key and second,
//! so a limit holds across all of them.

crate::store::sql::cluster_store!(super::PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn exchange_spend(
        &self,
        instance: Uuid,
        now_second: i64,
        mine: &[Spend],
        since_second: i64,
    ) -> StoreResult<Option<Vec<PeerSpend>>> {
        if !mine.is_empty() {
            let keys: Vec<&str> = mine.iter().map(|s| s.key.as_str()).collect();
            let spent: Vec<f64> = mine.iter().map(|s| s.spent).collect();
            sqlx::query(
                "INSERT INTO rate_limit_spend (key, instance, second, spent)
                 SELECT k, $1, $2, s FROM UNNEST($3::text[], $4::float8[]) AS m (k, s)
                 ON CONFLICT (key, instance, second)
                 DO UPDATE SET spent = rate_limit_spend.spent + excluded.spent",
            )
            .bind(instance)
            .bind(now_second)
            .bind(&keys)
            .bind(&spent)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        }
        if now_second % 30 == 0 {
            sqlx::query("DELETE FROM rate_limit_spend WHERE second < $1")
                .bind(now_second - 120)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        }
        let others: Vec<(String, Uuid, i64, f64)> = sqlx::query_as(
            "SELECT key, instance, second, spent FROM rate_limit_spend
             WHERE second >= $1 AND instance <> $2",
        )
        .bind(since_second)
        .bind(instance)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Some(
            others
                .into_iter()
                .map(|(key, instance, second, spent)| PeerSpend { key, instance, second, spent })
                .collect(),
        ))
    }
});
