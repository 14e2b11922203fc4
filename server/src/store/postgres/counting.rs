//! `CountingStore` on PostgreSQL: app servers counting at once claim disjoint answers.

/// A claimed answer, what it is counted under, and how many the statement claimed.
#[derive(sqlx::FromRow)]
struct Claimed {
    #[sqlx(flatten)]
    keys: crate::store::aggregates::AnswerKeys,
    claimed: i64,
}

crate::store::sql::counting_store!(super::PostgresStore {
    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Claims answers off the queue and reads what they are counted under, in one statement.
        // SKIP LOCKED: app servers counting at once take disjoint answers, and an answer being
        // amended or erased right now (its queue row locked) waits for the next count. One
        // claimed after its amendment started makes the amendment wait for this commit, after
        // which it corrects the counts itself.
        let rows: Vec<Claimed> = sqlx::query_as(&format!(
            "WITH claimed AS (
                 DELETE FROM uncounted_answers WHERE response_id IN
                     (SELECT response_id FROM uncounted_answers LIMIT $1 FOR UPDATE SKIP LOCKED)
                 RETURNING response_id)
             SELECT {ANSWER_KEYS}, (SELECT COUNT(*) FROM claimed) AS claimed
             FROM claimed c JOIN responses r ON r.id = c.response_id"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let claimed = rows.first().map_or(0, |r| r.claimed);
        Self::apply_deltas(&mut tx, &deltas(rows.iter().map(|r| (&r.keys, 1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(claimed.max(0) as u64)
    }
});
