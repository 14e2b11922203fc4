//! `CountingStore` on PostgreSQL: app servers counting at once claim disjoint answers.

crate::store::sql::counting_store!(super::PostgresStore {
    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Claims answers off the queue. SKIP LOCKED: app servers counting at once take disjoint
        // answers, and an answer being amended right now (its queue row locked) waits for the
        // next count. An amendment that starts after this claim waits for this commit, after
        // which it corrects the counts itself.
        let claimed: Vec<Uuid> = sqlx::query_scalar(
            "DELETE FROM uncounted_answers WHERE response_id IN
                 (SELECT response_id FROM uncounted_answers LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING response_id",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if claimed.is_empty() {
            return Ok(0);
        }
        // What they are counted under, read by a statement of its own: its snapshot is taken
        // after the claim, so an amendment that committed while the claim waited for its queue
        // row is seen. (Read in the claiming statement, the answer could be counted with the
        // score it had before an amendment that no longer corrects the counts.)
        let mut answers: Vec<ToTag> = sqlx::query_as(&format!(
            "SELECT id, comment, {ANSWER_KEYS} FROM responses WHERE id = ANY($1)"
        ))
        .bind(&claimed)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        Self::tag_for_counting(&mut tx, &mut answers).await?;
        Self::apply_deltas(&mut tx, &deltas(answers.iter().map(|a| (&a.keys, 1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(claimed.len() as u64)
    }

    async fn tag_past_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let walked = Self::tag_past_batch(&mut tx, limit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(walked)
    }
});
