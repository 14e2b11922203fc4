//! `CountingStore` on SQLite: counting takes the one write lock, in queue order.

use sqlx::Connection;

/// A queued answer, its comment and what it is counted under.
#[derive(sqlx::FromRow)]
struct Queued {
    seq: i64,
    #[sqlx(flatten)]
    answer: crate::store::aggregates::ToTag,
}

crate::store::sql::counting_store!(super::SqliteStore {
    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut writer = self.writer.lock().await;
        // IMMEDIATE: the write lock from the start, so nothing can amend or erase these answers
        // between reading and counting them.
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let rows: Vec<Queued> = sqlx::query_as(&format!(
            "SELECT u.seq, id, comment, {ANSWER_KEYS} FROM uncounted_answers u
             CROSS JOIN responses r ON r.id = u.response_id ORDER BY u.seq LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(0);
        };
        let mut answers: Vec<ToTag> = rows.into_iter().map(|r| r.answer).collect();
        Self::tag_for_counting(&mut tx, &mut answers).await?;
        Self::apply_deltas(&mut tx, &deltas(answers.iter().map(|a| (&a.keys, 1)))).await?;
        // Also drops queue entries of answers deleted behind the store's back (none expected).
        let taken = sqlx::query("DELETE FROM uncounted_answers WHERE seq <= $1")
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(taken.rows_affected())
    }

    async fn tag_past_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let walked = Self::tag_past_batch(&mut tx, limit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(walked)
    }
});
