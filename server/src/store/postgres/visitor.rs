//! `VisitorStore` on PostgreSQL: a batch of answers is one statement over arrays (`UNNEST`),
//! and an amendment locks its row.

/// An answer found for amending: what it is counted under, and its consent as stored.
#[derive(sqlx::FromRow)]
struct Amendable {
    #[sqlx(flatten)]
    keys: crate::store::aggregates::AnswerKeys,
    consent_choices: sqlx::types::Json<app::domain::ConsentChoices>,
}

crate::store::sql::visitor_store!(super::PostgresStore {
    async fn insert_responses(&self, batch: &[StoredResponse]) -> StoreResult<Vec<InsertOutcome>> {
        // One statement for the whole batch: a round trip per answer would cap throughput at
        // the network's latency. Answers of opted-out respondents are filtered in the same
        // statement. Under READ COMMITTED an opt-out committing while this runs is not seen:
        // an answer sent at the same moment as its browser's opt-out may be kept (with its
        // identity hashes); one sent after it never is.
        let column =
            |f: &dyn Fn(&StoredResponse) -> Option<String>| batch.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<Uuid> = batch.iter().map(|r| r.id).collect();
        let mut choices = Vec::with_capacity(batch.len());
        for r in batch {
            choices.push(serde_json::to_string(&r.choices).map_err(backend)?);
        }
        let mut tx = self.write_transaction().await?;
        let inserted: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO responses (id, org_id, site_id, survey_id, score, comment, language,
                 received_at, notice_id, consent_choices, page_path, device_class, browser_family,
                 country, respondent_id, trigger, referrer_origin, contact_email, edit_secret_hash,
                 pages_viewed, seconds_on_site, errors_seen, reason, attributes, user_hash,
                 account_hash)
             SELECT r.id, r.org_id, r.site_id, r.survey_id, r.score, r.comment, r.language,
                 r.received_at, r.notice_id, r.choices::jsonb, r.page_path, r.device_class,
                 r.browser_family, r.country, r.respondent_id, r.trigger, r.referrer_origin,
                 r.contact_email, r.edit_secret_hash, r.pages_viewed, r.seconds_on_site,
                 r.errors_seen, r.reason, r.attributes, r.user_hash, r.account_hash
             FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::smallint[], $6::text[],
                 $7::text[], $8::timestamptz[], $9::uuid[], $10::text[], $11::text[], $12::text[],
                 $13::text[], $14::text[], $15::uuid[], $16::text[], $17::text[], $18::text[],
                 $19::text[], $20::smallint[], $21::integer[], $22::smallint[], $23::text[],
                 $24::text[], $25::text[], $26::text[])
                 AS r(id, org_id, site_id, survey_id, score, comment, language, received_at,
                      notice_id, choices, page_path, device_class, browser_family, country,
                      respondent_id, trigger, referrer_origin, contact_email, edit_secret_hash,
                      pages_viewed, seconds_on_site, errors_seen, reason, attributes, user_hash,
                      account_hash)
             WHERE NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.site_id = r.site_id
                               AND o.respondent_id = r.respondent_id AND o.opted_out)
             ON CONFLICT (id) DO NOTHING
             RETURNING id",
        )
        .bind(&ids)
        .bind(batch.iter().map(|r| r.org_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|r| r.site_id).collect::<Vec<_>>())
        .bind(batch.iter().map(|r| r.survey_id).collect::<Vec<_>>())
        .bind(
            batch
                .iter()
                .map(|r| i16::from(r.score.value()))
                .collect::<Vec<_>>(),
        )
        .bind(column(&|r| r.comment.clone()))
        .bind(column(&|r| r.language.clone()))
        .bind(batch.iter().map(|r| r.received_at).collect::<Vec<_>>())
        .bind(batch.iter().map(|r| r.notice_id).collect::<Vec<_>>())
        .bind(&choices)
        .bind(column(&|r| {
            r.context.page_path.as_ref().map(|p| p.as_str().to_owned())
        }))
        .bind(column(&|r| r.context.device.map(|d| d.as_str().to_owned())))
        .bind(column(&|r| {
            r.context.browser.map(|b| b.as_str().to_owned())
        }))
        .bind(column(&|r| {
            r.context.country.as_ref().map(|c| c.as_str().to_owned())
        }))
        .bind(batch.iter().map(|r| r.respondent_id).collect::<Vec<_>>())
        .bind(column(&|r| {
            r.context.trigger.map(|t| t.as_str().to_owned())
        }))
        .bind(column(&|r| {
            r.context.referrer.as_ref().map(|o| o.as_str().to_owned())
        }))
        .bind(column(&|r| r.contact_email.clone()))
        .bind(column(&|r| r.edit_secret_hash.clone()))
        .bind(
            batch
                .iter()
                .map(|r| r.context.pages_viewed.map(|n| n as i16))
                .collect::<Vec<_>>(),
        )
        .bind(
            batch
                .iter()
                .map(|r| r.context.seconds_on_site.map(|n| n as i32))
                .collect::<Vec<_>>(),
        )
        .bind(
            batch
                .iter()
                .map(|r| r.context.errors_seen.map(|n| n as i16))
                .collect::<Vec<_>>(),
        )
        .bind(column(&|r| r.reason.clone()))
        .bind(column(&|r| r.context.attributes.stored()))
        .bind(column(&|r| r.user_hash.clone()))
        .bind(column(&|r| r.account_hash.clone()))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        // What was not inserted is a retry, an id of another site, or an opted-out respondent.
        let existing: Vec<(Uuid, Uuid)> = if inserted.len() < batch.len() {
            sqlx::query_as("SELECT id, site_id FROM responses WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
        } else {
            Vec::new()
        };
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
        let mut tx = self.write_transaction().await?;
        // Only the author's secret finds the row: asked first, without a lock, so that no one
        // without it takes any lock (the site's below).
        let author: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM responses WHERE id = $1 AND site_id = $2 AND edit_secret_hash = $3",
        )
        .bind(id)
        .bind(site)
        .bind(&guard.secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if author.is_none() {
            return Ok(AmendOutcome::NotFound);
        }
        // A new comment is tagged with the site's saved themes, held still until the commit
        // (taken before the answer's row: see `lock_themes_of`).
        if a.comment.is_some() {
            Self::lock_themes_of(&mut tx, &[site]).await?;
        }
        // The queue row before the answer's: a count holds the queue row, then tags the answer
        // (its row), so the other order could close a cycle with it. Locked, the answer cannot
        // be claimed meanwhile; if a count already claimed it, this waits for its commit and
        // finds the answer counted.
        let uncounted =
            sqlx::query("SELECT 1 FROM uncounted_answers WHERE response_id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        // The row lock keeps the score read here until the aggregates are corrected.
        let found: Option<Amendable> = sqlx::query_as(&format!(
            "SELECT {ANSWER_KEYS}, consent_choices FROM responses
             WHERE id = $1 AND site_id = $2 AND edit_secret_hash = $3 FOR UPDATE"
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
        let consent = found.consent_choices.0;
        let counted = uncounted.is_none();
        let outcome =
            Self::apply_amendment(&mut tx, id, &before, &consent, a, at, counted).await?;
        if outcome != AmendOutcome::Amended {
            return Ok(outcome);
        }
        tx.commit().await.map_err(backend)?;
        Ok(AmendOutcome::Amended)
    }
});
