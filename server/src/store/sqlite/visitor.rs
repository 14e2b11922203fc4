//! `VisitorStore` on SQLite: answers are written by the one writer connection, in multi-row
//! statements of numbered parameters (SQLite binds no arrays).

use sqlx::Connection;

/// An answer found for amending: what it is counted under, and its consent as stored.
#[derive(sqlx::FromRow)]
struct Amendable {
    #[sqlx(flatten)]
    keys: crate::store::aggregates::AnswerKeys,
    consent_choices: sqlx::types::Json<app::domain::ConsentChoices>,
}

/// One answer's row of parameters in `insert_responses`. Anonymous `?`, not `$N` as in the
/// shared statements: SQLite looks each numbered or named parameter up in a list of those seen
/// so far, so a statement of thousands of them (500 answers × 19) costs time quadratic in their
/// number to prepare, while anonymous ones are numbered as they come.
const ANSWER_ROW: &str =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

crate::store::sql::visitor_store!(super::SqliteStore {
    fn concurrent_batch_writers(&self) -> usize {
        1
    }

    async fn insert_responses(&self, batch: &[StoredResponse]) -> StoreResult<Vec<InsertOutcome>> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let mut inserted = Vec::with_capacity(batch.len());
        // Multi-row statements: the driver's cost is per statement, not per row. The opt-out
        // filter is part of the insert, so an opt-out and an answer can never interleave.
        for chunk in batch.chunks(super::CHUNK) {
            let rows = vec![ANSWER_ROW; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO responses (id, org_id, site_id, survey_id, score, comment, language,
                     received_at, notice_id, consent_choices, page_path, device_class, browser_family,
                     country, respondent_id, trigger, referrer_origin, contact_email,
                     edit_secret_hash, pages_viewed, seconds_on_site, errors_seen, reason,
                     attributes, user_hash, account_hash)
                 SELECT * FROM (VALUES {rows}) AS v
                 WHERE NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.site_id = v.column3
                                   AND o.respondent_id = v.column15 AND o.opted_out = 1)
                 ON CONFLICT (id) DO NOTHING
                 RETURNING id"
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(&sql);
            for r in chunk {
                query = query
                    .bind(r.id)
                    .bind(r.org_id)
                    .bind(r.site_id)
                    .bind(r.survey_id)
                    .bind(i16::from(r.score.value()))
                    .bind(r.comment.clone())
                    .bind(r.language.clone())
                    .bind(At(r.received_at))
                    .bind(r.notice_id)
                    .bind(Json(&r.choices))
                    .bind(r.context.page_path.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(r.context.device.map(|d| d.as_str()))
                    .bind(r.context.browser.map(|b| b.as_str()))
                    .bind(r.context.country.as_ref().map(|c| c.as_str().to_owned()))
                    .bind(r.respondent_id)
                    .bind(r.context.trigger.map(|t| t.as_str()))
                    .bind(r.context.referrer.as_ref().map(|o| o.as_str().to_owned()))
                    .bind(r.contact_email.clone())
                    .bind(r.edit_secret_hash.clone())
                    .bind(r.context.pages_viewed.map(i32::from))
                    .bind(r.context.seconds_on_site.map(i64::from))
                    .bind(r.context.errors_seen.map(i32::from))
                    .bind(r.reason.clone())
                    .bind(r.context.attributes.stored())
                    .bind(r.user_hash.clone())
                    .bind(r.account_hash.clone());
            }
            inserted.extend(query.fetch_all(&mut *tx).await.map_err(backend)?);
        }
        // What was not inserted is a retry, an id of another site, or an opted-out respondent.
        let mut existing = Vec::new();
        if inserted.len() < batch.len() {
            let fresh: std::collections::HashSet<Uuid> = inserted.iter().copied().collect();
            let missing: Vec<Uuid> = batch
                .iter()
                .map(|r| r.id)
                .filter(|id| !fresh.contains(id))
                .collect();
            for chunk in missing.chunks(super::CHUNK) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let sql = format!("SELECT id, site_id FROM responses WHERE id IN ({marks})");
                let mut query = sqlx::query_as::<_, (Uuid, Uuid)>(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                existing.extend(query.fetch_all(&mut *tx).await.map_err(backend)?);
            }
        }
        // The insert trigger queued the new answers for counting (`count_new_answers`).
        self.queue_answer_events(&mut tx, batch, &inserted).await?;
        tx.commit().await.map_err(backend)?;
        Ok(crate::store::outcomes(batch, &inserted, &existing))
    }

    async fn amend_response(
        &self,
        site: Uuid,
        id: Uuid,
        guard: &AmendGuard,
        a: &ResponseAmendment,
        at: DateTime<Utc>,
    ) -> StoreResult<AmendOutcome> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        // The write lock is held from BEGIN, so the score read here cannot change before the
        // aggregates are corrected. Only the author's secret finds the row.
        let found: Option<Amendable> = sqlx::query_as(&format!(
            "SELECT {ANSWER_KEYS}, consent_choices FROM responses
             WHERE id = $1 AND site_id = $2 AND edit_secret_hash = $3"
        ))
        .bind(id)
        .bind(site)
        .bind(&guard.secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(found) = found else {
            return Ok(AmendOutcome::NotFound);
        };
        let before = found.keys;
        if before.received_at < guard.stored_after {
            return Ok(AmendOutcome::Expired);
        }
        let counted: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM uncounted_answers WHERE response_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let consent = found.consent_choices.0;
        let outcome =
            Self::apply_amendment(&mut tx, id, &before, &consent, a, at, counted).await?;
        if outcome != AmendOutcome::Amended {
            return Ok(outcome);
        }
        tx.commit().await.map_err(backend)?;
        Ok(AmendOutcome::Amended)
    }
});
