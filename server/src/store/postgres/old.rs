//! The backend for scale: many stateless app servers on one PostgreSQL.

use super::aggregates::{
    add_excluded, add_uncounted_to_periods, add_uncounted_to_segments, column, counts_from_sums,
    deltas, sum_columns, AggregateKey, AnswerKeys, ANSWER_KEYS, UPSERT_CHUNK,
};
use super::{backend, content_hash, counts_from_rows, map_err, new_site_key};
use app::domain::{
    ConsentChange, ConsentChoices, Email, ResponseAmendment, Role, SiteKey, SurveySettings,
};
use app::nps::ScoreCounts;
use app::report::{Dimension, SegmentCounts, Tag, Verbatim};
use app::store::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    webhooks: std::sync::Arc<super::WebhookPresence>,
}

impl PostgresStore {
    /// Whether any webhook exists (cached for a few seconds). Asked on the caller's own
    /// connection: taking a second one from the pool while holding the write lock could wait
    /// on connections that are themselves waiting for that lock.
    async fn any_webhooks(&self, conn: &mut PgConnection) -> StoreResult<bool> {
        if let Some(any) = self.webhooks.fresh() {
            return Ok(any);
        }
        let any: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks WHERE revoked_at IS NULL)")
                .fetch_one(&mut *conn)
                .await
                .map_err(backend)?;
        self.webhooks.set(any);
        Ok(any)
    }

    pub async fn connect(url: &str) -> Result<PostgresStore, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PostgresStore {
            pool,
            webhooks: Default::default(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn site_from_row(row: &PgRow) -> Result<Site, sqlx::Error> {
    let origins: Json<Vec<String>> = row.try_get("allowed_origins")?;
    Ok(Site {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        site_key: row.try_get("site_key")?,
        allowed_origins: origins.0,
    })
}

fn survey_from_row(row: &PgRow) -> Result<Survey, sqlx::Error> {
    let settings: String = row.try_get("settings")?;
    Ok(Survey {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        name: row.try_get("name")?,
        product_name: row.try_get("product_name")?,
        settings: super::settings_from_json(&settings),
    })
}

fn notice_from_row(row: &PgRow) -> Result<NoticeVersion, sqlx::Error> {
    Ok(NoticeVersion {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        version: row.try_get::<i32, _>("version")? as u32,
        language: row.try_get("language")?,
        body: row.try_get("body")?,
        content_hash: row.try_get("content_hash")?,
        published_at: row.try_get("published_at")?,
    })
}

const SITE_COLUMNS: &str = "id, org_id, name, site_key, allowed_origins";

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_organisation(&self, name: &str) -> StoreResult<Organisation> {
        let org = Organisation {
            id: Uuid::new_v4(),
            name: name.to_owned(),
        };
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id)
            .bind(&org.name)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(map_err("organisation"))?;
        Ok(org)
    }

    async fn create_user(&self, email: &Email, password_hash: &str) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(email.as_str())
        .bind(password_hash)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(map_err("email"))?;
        Ok(id)
    }

    async fn add_member(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(org)
        .bind(user)
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(map_err("membership"))?;
        Ok(())
    }

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
            site_key: new_site_key(),
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
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(map_err("site key"))?;
        Ok(site)
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
            settings: SurveySettings::default(),
        };
        // The INSERT … SELECT writes nothing unless the site belongs to the organisation.
        let written = sqlx::query(
            "INSERT INTO surveys (id, org_id, site_id, name, product_name, created_at)
             SELECT $1, org_id, id, $2, $3, $4 FROM sites WHERE id = $5 AND org_id = $6",
        )
        .bind(survey.id)
        .bind(&survey.name)
        .bind(&survey.product_name)
        .bind(Utc::now())
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

    async fn publish_notice(
        &self,
        org: Uuid,
        language: &str,
        body: &str,
    ) -> StoreResult<NoticeVersion> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let latest: Option<i32> =
            sqlx::query_scalar("SELECT MAX(version) FROM privacy_notices WHERE org_id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        let notice = NoticeVersion {
            id: Uuid::new_v4(),
            org_id: org,
            version: latest.unwrap_or(0) as u32 + 1,
            language: language.to_owned(),
            body: body.to_owned(),
            content_hash: content_hash(body),
            published_at: app::ingest::received_now(),
        };
        sqlx::query(
            "INSERT INTO privacy_notices (id, org_id, version, language, body, content_hash, published_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(notice.id)
        .bind(org)
        .bind(notice.version as i32)
        .bind(&notice.language)
        .bind(&notice.body)
        .bind(&notice.content_hash)
        .bind(notice.published_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err("notice version"))?;
        tx.commit().await.map_err(backend)?;
        Ok(notice)
    }

    async fn create_api_token(&self, org: Uuid, name: &str, token_hash: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO api_tokens (id, org_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::new_v4())
            .bind(org)
            .bind(name)
            .bind(token_hash)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(map_err("token"))?;
        Ok(())
    }

    async fn public_site(&self, site_key: &SiteKey) -> StoreResult<Option<PublicSite>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE site_key = $1"
        ))
        .bind(site_key.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        let site = site_from_row(&row).map_err(backend)?;
        let default_survey = sqlx::query(
            "SELECT id, site_id, name, product_name, settings::text AS settings FROM surveys
             WHERE site_id = $1 ORDER BY created_at, id LIMIT 1",
        )
        .bind(site.id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| survey_from_row(&r))
        .transpose()
        .map_err(backend)?;
        let current_notice = sqlx::query(
            "SELECT * FROM privacy_notices WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(site.org_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| notice_from_row(&r))
        .transpose()
        .map_err(backend)?;
        Ok(Some(PublicSite {
            site,
            default_survey,
            current_notice,
        }))
    }

    async fn survey_of_site(&self, site: Uuid, survey: Uuid) -> StoreResult<Option<Survey>> {
        sqlx::query(
            "SELECT id, site_id, name, product_name, settings::text AS settings FROM surveys WHERE id = $1 AND site_id = $2",
        )
        .bind(survey)
        .bind(site)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| survey_from_row(&r))
        .transpose()
        .map_err(backend)
    }

    async fn notice_version(&self, org: Uuid, version: u32) -> StoreResult<Option<NoticeVersion>> {
        sqlx::query("SELECT * FROM privacy_notices WHERE org_id = $1 AND version = $2")
            .bind(org)
            .bind(version as i32)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| notice_from_row(&r))
            .transpose()
            .map_err(backend)
    }

    async fn notice_by_id(&self, id: Uuid) -> StoreResult<Option<NoticeVersion>> {
        sqlx::query("SELECT * FROM privacy_notices WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| notice_from_row(&r))
            .transpose()
            .map_err(backend)
    }

    async fn insert_responses(&self, batch: &[StoredResponse]) -> StoreResult<Vec<InsertOutcome>> {
        // One statement for the whole batch: a round trip per answer would cap throughput at
        // the network's latency. Answers of opted-out respondents are filtered in the same
        // statement, so an opt-out and an answer can never interleave.
        let column =
            |f: &dyn Fn(&StoredResponse) -> Option<String>| batch.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<Uuid> = batch.iter().map(|r| r.id).collect();
        let mut choices = Vec::with_capacity(batch.len());
        for r in batch {
            choices.push(serde_json::to_string(&r.choices).map_err(backend)?);
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let inserted: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO responses (id, org_id, site_id, survey_id, score, comment, language,
                 received_at, notice_id, consent_choices, page_path, device_class, browser_family,
                 country, respondent_id, trigger, referrer_origin, contact_email, edit_secret_hash)
             SELECT r.id, r.org_id, r.site_id, r.survey_id, r.score, r.comment, r.language,
                 r.received_at, r.notice_id, r.choices::jsonb, r.page_path, r.device_class,
                 r.browser_family, r.country, r.respondent_id, r.trigger, r.referrer_origin,
                 r.contact_email, r.edit_secret_hash
             FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::smallint[], $6::text[],
                 $7::text[], $8::timestamptz[], $9::uuid[], $10::text[], $11::text[], $12::text[],
                 $13::text[], $14::text[], $15::uuid[], $16::text[], $17::text[], $18::text[],
                 $19::text[])
                 AS r(id, org_id, site_id, survey_id, score, comment, language, received_at,
                      notice_id, choices, page_path, device_class, browser_family, country,
                      respondent_id, trigger, referrer_origin, contact_email, edit_secret_hash)
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
        if !inserted.is_empty() && self.any_webhooks(&mut tx).await? {
            // Each inserted id once: a batch may hold the same answer twice (its first copy
            // is the one stored).
            let mut fresh: std::collections::HashSet<Uuid> = inserted.iter().copied().collect();
            let new_answers: Vec<&StoredResponse> =
                batch.iter().filter(|r| fresh.remove(&r.id)).collect();
            let events = super::outbox_events(new_answers.into_iter());
            sqlx::query(
                "INSERT INTO webhook_deliveries
                     (id, webhook_id, org_id, event, payload, created_at, attempts, next_attempt_at)
                 SELECT gen_random_uuid(), w.id, w.org_id, e.event, e.payload, $2, 0, $2
                 FROM jsonb_to_recordset($1::jsonb) AS e (org uuid, event text, payload text)
                 JOIN webhooks w ON w.org_id = e.org AND w.revoked_at IS NULL
                  AND e.event = ANY (string_to_array(w.events, ','))",
            )
            .bind(events)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(super::outcomes(batch, &inserted, &existing))
    }

    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Claims answers off the queue and reads what they are counted under, in one statement.
        // SKIP LOCKED: app servers counting at once take disjoint answers, and an answer being
        // amended or erased right now (its queue row locked) waits for the next count. One
        // claimed after its amendment started makes the amendment wait for this commit, after
        // which it corrects the counts itself.
        let rows = sqlx::query(&format!(
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
        let claimed: i64 = match rows.first() {
            Some(row) => row.try_get("claimed").map_err(backend)?,
            None => 0,
        };
        let keys = rows
            .iter()
            .map(answer_keys_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        apply_deltas(&mut tx, &deltas(keys.iter().map(|k| (k, 1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(claimed.max(0) as u64)
    }

    async fn uncounted_answers(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uncounted_answers")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    async fn amend_response(
        &self,
        site: Uuid,
        id: Uuid,
        guard: &AmendGuard,
        a: &ResponseAmendment,
        at: DateTime<Utc>,
    ) -> StoreResult<AmendOutcome> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The row lock keeps the score read here until the aggregates are corrected. Only the
        // author's secret finds the row.
        let before = sqlx::query(&format!(
            "SELECT {ANSWER_KEYS}, consent_choices::text AS choices FROM responses
             WHERE id = $1 AND site_id = $2 AND edit_secret_hash = $3 FOR UPDATE"
        ))
        .bind(id)
        .bind(site)
        .bind(&guard.secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(before) = before else {
            return Ok(AmendOutcome::NotFound);
        };
        let choices: ConsentChoices =
            serde_json::from_str(before.try_get("choices").map_err(backend)?).map_err(backend)?;
        let before = answer_keys_from_row(&before).map_err(backend)?;
        if before.received_at < guard.stored_after {
            return Ok(AmendOutcome::Expired);
        }
        let (choices, changes) = choices.apply(&a.choices, at);
        sqlx::query(
            "UPDATE responses SET
                 score = COALESCE($1::smallint, score),
                 comment = COALESCE($2::text, comment),
                 contact_email = CASE WHEN $7 THEN NULL ELSE COALESCE($3::text, contact_email) END,
                 consent_choices = $4::jsonb,
                 updated_at = $5
             WHERE id = $6",
        )
        .bind(a.score.map(|s| i16::from(s.value())))
        .bind(a.comment.as_ref().map(|c| c.as_str()))
        .bind(a.contact_email.as_ref().map(|e| e.as_str()))
        .bind(serde_json::to_string(&choices).map_err(backend)?)
        .bind(at)
        .bind(id)
        // Consent to be contacted taken back: the address goes with it.
        .bind(choices.granted(app::domain::CONTACT) == Some(false))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        for change in &changes {
            sqlx::query(
                "INSERT INTO consent_changes (response_id, choice, granted_before, granted, at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&change.choice)
            .bind(change.granted_before)
            .bind(change.granted)
            .bind(change.at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        if let Some(score) = a.score.filter(|s| s.value() != before.score) {
            // An answer not counted yet is counted later with the score it then has. The lock
            // keeps a count from claiming it meanwhile, or waits for a count that already has.
            let uncounted =
                sqlx::query("SELECT 1 FROM uncounted_answers WHERE response_id = $1 FOR UPDATE")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            if uncounted.is_none() {
                let after = AnswerKeys {
                    score: score.value(),
                    ..before.clone()
                };
                apply_deltas(&mut tx, &deltas([(&before, -1), (&after, 1)])).await?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(AmendOutcome::Amended)
    }

    async fn site_surveys(&self, site: Uuid) -> StoreResult<Vec<Survey>> {
        let rows = sqlx::query(
            "SELECT id, site_id, name, product_name, settings::text AS settings FROM surveys
             WHERE site_id = $1 ORDER BY created_at, id",
        )
        .bind(site)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| survey_from_row(r).map_err(backend))
            .collect()
    }

    async fn update_survey_settings(
        &self,
        org: Uuid,
        survey: Uuid,
        settings: &SurveySettings,
    ) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE surveys SET settings = $1 WHERE id = $2 AND org_id = $3")
            .bind(Json(settings))
            .bind(survey)
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_impressions(&self, batch: &[Impression]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        for i in batch {
            sqlx::query(
                "INSERT INTO impressions (id, org_id, site_id, survey_id, kind, trigger, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(i.id)
            .bind(i.org_id)
            .bind(i.site_id)
            .bind(i.survey_id)
            .bind(i.kind.as_str())
            .bind(i.trigger.map(|t| t.as_str()))
            .bind(i.at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn set_opted_out(
        &self,
        site: Uuid,
        respondent: Uuid,
        opted_out: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO opt_outs (site_id, respondent_id, opted_out, changed_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (site_id, respondent_id)
             DO UPDATE SET opted_out = excluded.opted_out, changed_at = excluded.changed_at",
        )
        .bind(site)
        .bind(respondent)
        .bind(opted_out)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn is_opted_out(&self, site: Uuid, respondent: Uuid) -> StoreResult<bool> {
        let opted_out: Option<bool> = sqlx::query_scalar(
            "SELECT opted_out FROM opt_outs WHERE site_id = $1 AND respondent_id = $2",
        )
        .bind(site)
        .bind(respondent)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(opted_out.unwrap_or(false))
    }

    async fn credentials(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
        let row = sqlx::query("SELECT id, email, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| {
            Ok(UserCredentials {
                user_id: row.try_get("id").map_err(backend)?,
                email: email.clone(),
                password_hash: row.try_get("password_hash").map_err(backend)?,
            })
        })
        .transpose()
    }

    async fn memberships(&self, user: Uuid) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT m.org_id, o.name, m.role FROM memberships m
             JOIN organisations o ON o.id = m.org_id
             WHERE m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role").map_err(backend)?;
                Ok(Membership {
                    org_id: row.try_get("org_id").map_err(backend)?,
                    org_name: row.try_get("name").map_err(backend)?,
                    role: Role::parse(&role).ok_or_else(|| {
                        backend(sqlx::Error::Decode(format!("role {role}").into()))
                    })?,
                })
            })
            .collect()
    }

    async fn organisation_for_token(&self, token_hash: &str) -> StoreResult<Option<Uuid>> {
        sqlx::query_scalar(
            "SELECT org_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn sites(&self, org: Uuid) -> StoreResult<Vec<Site>> {
        let rows = sqlx::query(&format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 ORDER BY name, id"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| site_from_row(r).map_err(backend))
            .collect()
    }

    async fn site_by_key(&self, org: Uuid, site_key: &SiteKey) -> StoreResult<Option<Site>> {
        sqlx::query(&format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = $1 AND site_key = $2"
        ))
        .bind(org)
        .bind(site_key.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| site_from_row(&r))
        .transpose()
        .map_err(backend)
    }

    async fn score_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<ScoreCounts> {
        let rows: Vec<(i16, i64)> = sqlx::query_as(
            "SELECT score, COUNT(*) FROM responses
             WHERE org_id = $1 AND site_id = $2 AND received_at >= $3 AND received_at < $4
             GROUP BY score",
        )
        .bind(org)
        .bind(site)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        counts_from_rows(rows.into_iter().map(|(s, c)| (i64::from(s), c)).collect())
    }

    async fn impression_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<(u64, u64, u64)> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*) FROM impressions
             WHERE org_id = $1 AND site_id = $2 AND at >= $3 AND at < $4 GROUP BY kind",
        )
        .bind(org)
        .bind(site)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(super::funnel_from_rows(rows))
    }

    async fn period_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        boundaries: &[DateTime<Utc>],
    ) -> StoreResult<Vec<ScoreCounts>> {
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
        let mut tx = snapshot(&self.pool).await?;
        let rows = sqlx::query(&sql)
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
        let uncounted = uncounted_keys(&mut tx, org, site).await?;
        tx.commit().await.map_err(backend)?;
        let mut out = vec![ScoreCounts::default(); buckets];
        for row in rows {
            let idx: i32 = row.try_get(0).map_err(backend)?;
            if let Some(slot) = usize::try_from(idx - 1).ok().and_then(|i| out.get_mut(i)) {
                *slot = counts_from_sums(sums_from_row(&row, 1).map_err(backend)?);
            }
        }
        let pairs: Vec<[i64; 2]> = thresholds.windows(2).map(|w| [w[0], w[1]]).collect();
        add_uncounted_to_periods(&mut out, &uncounted, filter, &pairs);
        Ok(out)
    }

    async fn segment_counts(
        &self,
        org: Uuid,
        site: Uuid,
        survey: Option<Uuid>,
        dimension: Dimension,
        range: TimeRange,
    ) -> StoreResult<Vec<SegmentCounts>> {
        let sql = format!(
            "SELECT value, {sums} FROM response_aggregates
             WHERE site_id = $1 AND dimension = $2 AND bucket >= $3 AND bucket < $4
               AND org_id = $5 AND ($6::uuid IS NULL OR survey_id = $6)
             GROUP BY value",
            sums = sum_columns("")
        );
        let buckets = [quarter_hour(range.from), quarter_hour(range.to)];
        let mut tx = snapshot(&self.pool).await?;
        let rows = sqlx::query(&sql)
            .bind(site)
            .bind(dimension.as_str())
            .bind(buckets[0])
            .bind(buckets[1])
            .bind(org)
            .bind(survey)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let uncounted = uncounted_keys(&mut tx, org, site).await?;
        tx.commit().await.map_err(backend)?;
        let counted = rows
            .iter()
            .map(|row| {
                Ok(SegmentCounts {
                    value: row.try_get(0)?,
                    counts: counts_from_sums(sums_from_row(row, 1)?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(backend)?;
        Ok(add_uncounted_to_segments(
            counted, &uncounted, survey, dimension, buckets,
        ))
    }

    async fn verbatims(
        &self,
        org: Uuid,
        site: Uuid,
        q: &VerbatimQuery,
    ) -> StoreResult<Vec<Verbatim>> {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {VERBATIM_COLUMNS} FROM responses r WHERE r.org_id = "
        ));
        sql.push_bind(org)
            .push(" AND r.site_id = ")
            .push_bind(site)
            .push(" AND r.received_at >= ")
            .push_bind(q.range.from)
            .push(" AND r.received_at < ")
            .push_bind(q.range.to);
        if let Some(survey) = q.filter.survey {
            sql.push(" AND r.survey_id = ").push_bind(survey);
        }
        if let Some(segment) = &q.filter.segment {
            if segment.dimension == Dimension::Survey {
                // An id that does not parse matches no answer.
                let survey = Uuid::parse_str(&segment.value).unwrap_or(Uuid::nil());
                sql.push(" AND r.survey_id = ").push_bind(survey);
            } else {
                sql.push(format!(
                    " AND COALESCE(r.{}, '') = ",
                    column(segment.dimension)
                ))
                .push_bind(segment.value.clone());
            }
        }
        if let Some(band) = q.band {
            let (lo, hi) = band.scores();
            sql.push(" AND r.score BETWEEN ")
                .push_bind(i16::from(lo))
                .push(" AND ")
                .push_bind(i16::from(hi));
        }
        if q.comments_only {
            sql.push(" AND r.comment IS NOT NULL AND r.comment <> ''");
        }
        let words = q.search.as_deref().map(search_words).unwrap_or_default();
        if !words.is_empty() {
            sql.push(
                " AND r.comment_search IS NOT NULL
                  AND r.comment_search @@ plainto_tsquery('simple', ",
            )
            .push_bind(words.join(" "))
            .push(")");
        }
        if let Some(tag) = &q.tag {
            sql.push(" AND EXISTS (SELECT 1 FROM response_tags t WHERE t.response_id = r.id AND t.tag = ")
                .push_bind(tag.as_str().to_owned())
                .push(")");
        }
        if let Some((at, id)) = q.before {
            sql.push(" AND (r.received_at, r.id) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        sql.push(" ORDER BY r.received_at DESC, r.id DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let rows = sql.build().fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(verbatim_from_row).collect()
    }

    async fn set_tag(
        &self,
        org: Uuid,
        response: Uuid,
        tag: &Tag,
        present: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM responses WHERE id = $1 AND org_id = $2)",
        )
        .bind(response)
        .bind(org)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        if !exists {
            return Ok(false);
        }
        let query = if present {
            sqlx::query(
                "INSERT INTO response_tags (response_id, tag, org_id, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(response)
            .bind(tag.as_str())
            .bind(org)
            .bind(at)
        } else {
            sqlx::query(
                "DELETE FROM response_tags WHERE response_id = $1 AND tag = $2 AND org_id = $3",
            )
            .bind(response)
            .bind(tag.as_str())
            .bind(org)
        };
        query.execute(&self.pool).await.map_err(backend)?;
        Ok(true)
    }

    async fn site_tags(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT t.tag, COUNT(*) FROM response_tags t JOIN responses r ON r.id = t.response_id
             WHERE t.org_id = $1 AND r.site_id = $2
             GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag LIMIT 200",
        )
        .bind(org)
        .bind(site)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(t, n)| (t, n.max(0) as u64))
            .collect())
    }

    async fn org_site_surveys(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<Survey>> {
        let rows = sqlx::query(
            "SELECT id, site_id, name, product_name, settings::text AS settings FROM surveys
             WHERE org_id = $1 AND site_id = $2 ORDER BY created_at, id",
        )
        .bind(org)
        .bind(site)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| survey_from_row(r).map_err(backend))
            .collect()
    }

    async fn members(&self, org: Uuid) -> StoreResult<Vec<MemberRecord>> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 ORDER BY u.email",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(user_id, email, role)| {
                Ok(MemberRecord {
                    user_id,
                    email,
                    role: super::role(&role)?,
                })
            })
            .collect()
    }

    async fn set_member_role(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
                .bind(role.as_str())
                .bind(org)
                .bind(user)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_member(&self, org: Uuid, user: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_invitation(
        &self,
        org: Uuid,
        role: Role,
        token_hash: &str,
        invited_by: Uuid,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO invitations (id, org_id, role, token_hash, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(org)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(invited_by)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err("invitation"))?;
        Ok(id)
    }

    async fn pending_invitations(
        &self,
        org: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<InvitationRecord>> {
        let rows = sqlx::query(&format!(
            "{INVITATION_SELECT} WHERE i.org_id = $1 AND i.accepted_at IS NULL
               AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC"
        ))
        .bind(org)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(invitation_from_row).collect()
    }

    async fn revoke_invitation(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = $1
             WHERE id = $2 AND org_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        let row = sqlx::query(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(invitation_from_row).transpose()
    }

    async fn accept_invitation(
        &self,
        id: Uuid,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The conditional update is the single use: a second acceptance finds nothing to update.
        let invitation: Option<(Uuid, String)> = sqlx::query_as(
            "UPDATE invitations SET accepted_at = $1, accepted_by = $2
             WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1
             RETURNING org_id, role",
        )
        .bind(at)
        .bind(user)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((org, role)) = invitation else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(org)
        .bind(user)
        .bind(role)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn user_password_hash(&self, user: Uuid) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_password_hash(&self, user: Uuid, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn api_tokens(&self, org: Uuid) -> StoreResult<Vec<ApiTokenRecord>> {
        let rows: Vec<(Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM api_tokens
             WHERE org_id = $1 ORDER BY created_at DESC",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, revoked_at)| ApiTokenRecord {
                id,
                name,
                created_at,
                revoked: revoked_at.is_some(),
            })
            .collect())
    }

    async fn revoke_api_token(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
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

    async fn rotate_site_key(&self, org: Uuid, site: Uuid) -> StoreResult<Option<String>> {
        let key = new_site_key();
        let done = sqlx::query("UPDATE sites SET site_key = $1 WHERE id = $2 AND org_id = $3")
            .bind(&key)
            .bind(site)
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(map_err("site key"))?;
        Ok((done.rows_affected() == 1).then_some(key))
    }

    async fn update_survey(
        &self,
        org: Uuid,
        survey: Uuid,
        name: &str,
        product_name: &str,
        settings: &SurveySettings,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE surveys SET name = $1, product_name = $2, settings = $3
             WHERE id = $4 AND org_id = $5",
        )
        .bind(name)
        .bind(product_name)
        .bind(Json(settings))
        .bind(survey)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn notices(&self, org: Uuid) -> StoreResult<Vec<NoticeVersion>> {
        let rows =
            sqlx::query("SELECT * FROM privacy_notices WHERE org_id = $1 ORDER BY version DESC")
                .bind(org)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter()
            .map(|r| notice_from_row(r).map_err(backend))
            .collect()
    }

    async fn record_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, actor, action, subject, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4())
        .bind(e.org_id)
        .bind(e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(e.at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn audit_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(Uuid, Option<Uuid>, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT org_id, actor, action, subject, at FROM audit_log
             WHERE org_id = $1 ORDER BY at DESC, id LIMIT $2",
        )
        .bind(org)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(org_id, actor, action, subject, at)| AuditEntry {
                org_id,
                actor,
                action,
                subject,
                at,
            })
            .collect())
    }

    async fn consent_of(&self, org: Uuid, response: Uuid) -> StoreResult<Option<ConsentOf>> {
        let row: Option<(DateTime<Utc>, Option<String>, Uuid, String)> = sqlx::query_as(
            "SELECT received_at, language, notice_id, consent_choices::text FROM responses
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(response)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some((received_at, language, notice_id, choices)) = row else {
            return Ok(None);
        };
        let changes: Vec<(String, Option<bool>, bool, DateTime<Utc>)> = sqlx::query_as(
            "SELECT choice, granted_before, granted, at FROM consent_changes
             WHERE response_id = $1 ORDER BY at, ctid",
        )
        .bind(response)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Some(ConsentOf {
            received_at,
            language,
            notice_id,
            choices: serde_json::from_str(&choices).map_err(backend)?,
            changes: changes
                .into_iter()
                .map(|(choice, granted_before, granted, at)| ConsentChange {
                    choice,
                    granted_before,
                    granted,
                    at,
                })
                .collect(),
        }))
    }

    async fn create_share_link(
        &self,
        org: Uuid,
        site: Uuid,
        token_hash: &str,
        days: u32,
    ) -> StoreResult<Option<Uuid>> {
        let id = Uuid::new_v4();
        // Only a site of this organisation can be shared.
        let done = sqlx::query(
            "INSERT INTO share_links (id, org_id, site_id, token_hash, days, created_at)
             SELECT $1, $2, id, $3, $4, $5 FROM sites WHERE id = $6 AND org_id = $7",
        )
        .bind(id)
        .bind(org)
        .bind(token_hash)
        .bind(days as i32)
        .bind(Utc::now())
        .bind(site)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(map_err("share link"))?;
        Ok((done.rows_affected() == 1).then_some(id))
    }

    async fn share_links(&self, org: Uuid) -> StoreResult<Vec<ShareLinkRecord>> {
        let rows: Vec<(Uuid, Uuid, i32, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, site_id, days, created_at FROM share_links
             WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, site_id, days, created_at)| ShareLinkRecord {
                id,
                site_id,
                days: days.max(0) as u32,
                created_at,
            })
            .collect())
    }

    async fn revoke_share_link(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = $1
             WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareScope>> {
        let row: Option<(Uuid, Uuid, i32, i32, String)> = sqlx::query_as(
            "SELECT l.org_id, l.site_id, l.days, o.share_k, o.share_time_zone FROM share_links l
             JOIN organisations o ON o.id = l.org_id
             WHERE l.token_hash = $1 AND l.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.map(|(org, site, days, k, time_zone)| ShareScope {
            org,
            site,
            days: days.max(1) as u32,
            settings: ShareSettings {
                k: k.max(2) as u32,
                time_zone,
            },
        }))
    }

    async fn share_settings(&self, org: Uuid) -> StoreResult<ShareSettings> {
        let row: Option<(i32, String)> =
            sqlx::query_as("SELECT share_k, share_time_zone FROM organisations WHERE id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        let (k, time_zone) = row.unwrap_or((10, "UTC".into()));
        Ok(ShareSettings {
            k: k.max(2) as u32,
            time_zone,
        })
    }

    async fn set_share_settings(&self, org: Uuid, settings: &ShareSettings) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET share_k = $1, share_time_zone = $2 WHERE id = $3")
            .bind(i32::try_from(settings.k).unwrap_or(i32::MAX))
            .bind(&settings.time_zone)
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn exchange_spend(
        &self,
        instance: Uuid,
        now_second: i64,
        mine: &[(String, f64)],
        since_second: i64,
    ) -> StoreResult<Option<Vec<(String, Uuid, i64, f64)>>> {
        if !mine.is_empty() {
            let keys: Vec<&str> = mine.iter().map(|(k, _)| k.as_str()).collect();
            let spent: Vec<f64> = mine.iter().map(|(_, s)| *s).collect();
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
        Ok(Some(others))
    }

    async fn create_webhook(
        &self,
        org: Uuid,
        url: &str,
        secret: &str,
        events: &[String],
    ) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO webhooks (id, org_id, url, secret, events, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(org)
        .bind(url)
        .bind(secret)
        .bind(events.join(","))
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.webhooks.set(true);
        Ok(id)
    }

    async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>> {
        let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, url, events, created_at FROM webhooks
             WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, url, events, created_at)| WebhookRecord {
                id,
                url,
                events: events.split(',').map(str::to_owned).collect(),
                created_at,
            })
            .collect())
    }

    async fn revoke_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE webhooks SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(org)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        // Nothing more goes out for it: queued retries are cancelled with it.
        sqlx::query(
            "UPDATE webhook_deliveries SET failed_at = $1, last_error = 'cancelled'
             WHERE webhook_id = $2 AND org_id = $3 AND delivered_at IS NULL AND failed_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(org)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn deliveries(&self, org: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            Uuid,
            Uuid,
            String,
            DateTime<Utc>,
            i32,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<i32>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT id, webhook_id, event, created_at, attempts, delivered_at, failed_at,
                        last_status, last_error
                 FROM webhook_deliveries WHERE org_id = $1
                 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(org)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    webhook_id,
                    event,
                    created_at,
                    attempts,
                    delivered,
                    failed,
                    status,
                    error,
                )| {
                    DeliveryRecord {
                        id,
                        webhook_id,
                        event,
                        created_at,
                        attempts: attempts.max(0) as u32,
                        delivered: delivered.is_some(),
                        failed: failed.is_some(),
                        last_status: status.map(|s| s.clamp(0, 999) as u16),
                        last_error: error,
                    }
                },
            )
            .collect())
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[Uuid],
    ) -> StoreResult<Vec<PendingDelivery>> {
        // The oldest due delivery of each organisation not busy, oldest first; rows another
        // server holds are skipped.
        let rows: Vec<(Uuid, Uuid, String, String, String, String, i32)> = sqlx::query_as(
            "WITH turns AS (
                 SELECT DISTINCT ON (d.org_id) d.id, d.next_attempt_at
                 FROM webhook_deliveries d JOIN webhooks w
                   ON w.id = d.webhook_id AND w.revoked_at IS NULL
                 WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1
                   AND (d.locked_until IS NULL OR d.locked_until < $1)
                   AND NOT (d.org_id = ANY($4))
                 ORDER BY d.org_id, d.next_attempt_at, d.id),
             due AS (
                 SELECT d.id FROM webhook_deliveries d JOIN turns t ON t.id = d.id
                 WHERE d.failed_at IS NULL AND (d.locked_until IS NULL OR d.locked_until < $1)
                 ORDER BY t.next_attempt_at LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED)
             UPDATE webhook_deliveries AS d SET locked_until = $3
             FROM due, webhooks w
             WHERE d.id = due.id AND w.id = d.webhook_id
             RETURNING d.id, d.org_id, w.url, w.secret, d.event, d.payload, d.attempts",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(lease_until)
        .bind(busy)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, org_id, url, secret, event, payload, attempts)| PendingDelivery {
                    id,
                    org_id,
                    url,
                    secret,
                    event,
                    payload,
                    attempts: attempts.max(0) as u32,
                },
            )
            .collect())
    }

    async fn finish_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let query = match outcome {
            DeliveryOutcome::Delivered { status } => sqlx::query(
                "UPDATE webhook_deliveries SET delivered_at = $1, attempts = attempts + 1,
                     last_status = $2, last_error = NULL, locked_until = NULL WHERE id = $3",
            )
            .bind(at)
            .bind(*status as i32)
            .bind(id),
            DeliveryOutcome::Retry {
                status,
                error,
                next_attempt_at,
            } => sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1, attempts = attempts + 1,
                     last_status = $2, last_error = $3, locked_until = NULL
                 WHERE id = $4 AND failed_at IS NULL",
            )
            .bind(next_attempt_at)
            .bind(status.map(|s| s as i32))
            .bind(error.clone())
            .bind(id),
            DeliveryOutcome::GiveUp { status, error } => sqlx::query(
                "UPDATE webhook_deliveries SET failed_at = $1, attempts = attempts + 1,
                     last_status = $2, last_error = $3, locked_until = NULL
                 WHERE id = $4 AND failed_at IS NULL",
            )
            .bind(at)
            .bind(status.map(|s| s as i32))
            .bind(error.clone())
            .bind(id),
        };
        query.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERBATIM_COLUMNS} FROM responses r
             WHERE r.site_id = $1 AND r.respondent_id = $2
             ORDER BY r.received_at DESC LIMIT 10000"
        ))
        .bind(site)
        .bind(respondent)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(verbatim_from_row).collect()
    }

    async fn find_answers(
        &self,
        org: Uuid,
        respondent: Option<Uuid>,
        email: Option<&str>,
    ) -> StoreResult<Vec<Verbatim>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERBATIM_COLUMNS} FROM responses r
             WHERE r.org_id = $1
               AND (($2::uuid IS NOT NULL AND r.respondent_id = $2)
                    OR ($3::text IS NOT NULL AND lower(r.contact_email) = lower($3)))
             ORDER BY r.received_at DESC LIMIT 10000"
        ))
        .bind(org)
        .bind(respondent)
        .bind(email)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(verbatim_from_row).collect()
    }

    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Answers not counted yet only leave the queue; counted ones are subtracted. A count
        // that has claimed one of them holds its queue row: this waits for that count to
        // commit, and then finds the answer counted.
        let uncounted: std::collections::HashSet<Uuid> = sqlx::query_scalar(
            "DELETE FROM uncounted_answers WHERE response_id IN
                 (SELECT id FROM responses WHERE org_id = $1 AND id = ANY($2))
             RETURNING response_id",
        )
        .bind(org)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        .into_iter()
        .collect();
        // The search vector goes with the row; tags go by ON DELETE CASCADE.
        let rows = sqlx::query(&format!(
            "DELETE FROM responses WHERE org_id = $1 AND id = ANY($2) RETURNING id, {ANSWER_KEYS}"
        ))
        .bind(org)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut counted = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("id").map_err(backend)?;
            if !uncounted.contains(&id) {
                counted.push(answer_keys_from_row(row).map_err(backend)?);
            }
        }
        apply_deltas(&mut tx, &deltas(counted.iter().map(|k| (k, -1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows.len() as u64)
    }

    async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>> {
        let days: Option<Option<i32>> =
            sqlx::query_scalar("SELECT retention_days FROM organisations WHERE id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(days.flatten().map(|d| d.max(0) as u32))
    }

    async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET retention_days = $1 WHERE id = $2")
            .bind(days.map(|d| d.min(i32::MAX as u32) as i32))
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        super::count_before_purging(self).await?;
        let mut purged = 0;
        // In slices, so no transaction grows large; SKIP LOCKED lets app servers purge together.
        loop {
            let done = sqlx::query(
                "DELETE FROM responses WHERE id IN (
                     SELECT r.id FROM responses r JOIN organisations o ON o.id = r.org_id
                     WHERE o.retention_days IS NOT NULL
                       AND r.received_at < $1 - make_interval(days => o.retention_days)
                       AND NOT EXISTS (SELECT 1 FROM uncounted_answers u WHERE u.response_id = r.id)
                     LIMIT 5000 FOR UPDATE OF r SKIP LOCKED)",
            )
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            purged += done.rows_affected();
            if done.rows_affected() < 5000 {
                return Ok(purged);
            }
        }
    }

    async fn server_secret(&self, name: &str) -> StoreResult<String> {
        // Racing servers may both try: the first insert wins and both read it back.
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(crate::tokens::random_hex(32))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn load_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row: Option<(String, i64, Option<Uuid>)> =
            sqlx::query_as("SELECT data, expires_at, user_id FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(row.map(|(data, expires_at, user_id)| SessionRecord {
            data,
            user_id,
            expires_at,
        }))
    }

    async fn create_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(&record.data)
        .bind(record.expires_at)
        .bind(record.user_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn save_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET data = $1, expires_at = $2, user_id = $3 WHERE id_hash = $4",
        )
        .bind(&record.data)
        .bind(record.expires_at)
        .bind(record.user_id)
        .bind(id_hash)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user: Uuid) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_unix: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_unix)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}

/// Eleven summed score columns starting at `first`.
fn sums_from_row(row: &PgRow, first: usize) -> Result<[i64; 11], sqlx::Error> {
    let mut sums = [0i64; 11];
    for (i, sum) in sums.iter_mut().enumerate() {
        *sum = row.try_get::<Option<i64>, _>(first + i)?.unwrap_or(0);
    }
    Ok(sums)
}

fn answer_keys_from_row(row: &PgRow) -> Result<AnswerKeys, sqlx::Error> {
    let score: i16 = row.try_get("score")?;
    Ok(AnswerKeys {
        org_id: row.try_get("org_id")?,
        site_id: row.try_get("site_id")?,
        survey_id: row.try_get("survey_id")?,
        received_at: row.try_get("received_at")?,
        score: score.clamp(0, 10) as u8,
        country: row.try_get("country")?,
        device: row.try_get("device_class")?,
        browser: row.try_get("browser_family")?,
        language: row.try_get("language")?,
        page: row.try_get("page_path")?,
        trigger: row.try_get("trigger")?,
    })
}

/// A read-only transaction with one snapshot for all its statements: the aggregates and the
/// answers not counted into them yet are read as of the same moment.
async fn snapshot(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await.map_err(backend)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(tx)
}

/// A site's answers that are not counted into the aggregates yet: few, since the counting task
/// runs several times a second. Read in the caller's snapshot, beside the aggregates.
async fn uncounted_keys(
    conn: &mut PgConnection,
    org: Uuid,
    site: Uuid,
) -> StoreResult<Vec<AnswerKeys>> {
    // Looked up by primary key from the short queue, never by walking the site's answers.
    let rows = sqlx::query(&format!(
        "SELECT {ANSWER_KEYS} FROM responses
         WHERE id = ANY (ARRAY (SELECT response_id FROM uncounted_answers))
           AND org_id = $1 AND site_id = $2"
    ))
    .bind(org)
    .bind(site)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    rows.iter()
        .map(answer_keys_from_row)
        .collect::<Result<_, _>>()
        .map_err(backend)
}

/// Adds the deltas to the aggregate rows, creating the rows that do not exist yet.
async fn apply_deltas(
    tx: &mut PgConnection,
    deltas: &[(AggregateKey, [i64; 11])],
) -> StoreResult<()> {
    for chunk in deltas.chunks(UPSERT_CHUNK) {
        let mut sql = QueryBuilder::<Postgres>::new(
            "INSERT INTO response_aggregates (site_id, dimension, value, bucket, survey_id, org_id,
                 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10) ",
        );
        sql.push_values(chunk, |mut row, (key, counts)| {
            row.push_bind(key.site_id)
                .push_bind(key.dimension)
                .push_bind(key.value.clone())
                .push_bind(key.bucket)
                .push_bind(key.survey_id)
                .push_bind(key.org_id);
            for count in counts {
                row.push_bind(*count as i32);
            }
        });
        sql.push(" ON CONFLICT (site_id, dimension, value, bucket, survey_id) DO UPDATE SET ")
            .push(add_excluded());
        sql.build().execute(&mut *tx).await.map_err(backend)?;
    }
    Ok(())
}

const INVITATION_SELECT: &str =
    "SELECT i.id, i.org_id, o.name AS org_name, i.role, i.created_at, i.expires_at,
            i.accepted_at, i.revoked_at
     FROM invitations i JOIN organisations o ON o.id = i.org_id";

fn invitation_from_row(row: &PgRow) -> StoreResult<InvitationRecord> {
    let get = || -> Result<InvitationRecord, sqlx::Error> {
        let role: String = row.try_get("role")?;
        let accepted: Option<DateTime<Utc>> = row.try_get("accepted_at")?;
        let revoked: Option<DateTime<Utc>> = row.try_get("revoked_at")?;
        Ok(InvitationRecord {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            org_name: row.try_get("org_name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            accepted: accepted.is_some(),
            revoked: revoked.is_some(),
        })
    };
    get().map_err(backend)
}

const VERBATIM_COLUMNS: &str =
    "r.id, r.survey_id, r.score, r.comment, r.received_at, r.language, r.page_path,
     r.device_class, r.browser_family, r.country, r.trigger, r.referrer_origin, r.contact_email,
     (SELECT string_agg(t.tag, chr(31)) FROM response_tags t WHERE t.response_id = r.id) AS tags";

fn verbatim_from_row(row: &PgRow) -> StoreResult<Verbatim> {
    let get = || -> Result<Verbatim, sqlx::Error> {
        let tags: Option<String> = row.try_get("tags")?;
        let score: i16 = row.try_get("score")?;
        Ok(Verbatim {
            id: row.try_get("id")?,
            survey_id: row.try_get("survey_id")?,
            score: score.clamp(0, 10) as u8,
            comment: row.try_get("comment")?,
            received_at: row.try_get("received_at")?,
            language: row.try_get("language")?,
            page_path: row.try_get("page_path")?,
            device: row.try_get("device_class")?,
            browser: row.try_get("browser_family")?,
            country: row.try_get("country")?,
            trigger: row.try_get("trigger")?,
            referrer: row.try_get("referrer_origin")?,
            contact_email: row.try_get("contact_email")?,
            tags: super::split_tags(tags),
            local_time: String::new(),
        })
    };
    get().map_err(backend)
}
