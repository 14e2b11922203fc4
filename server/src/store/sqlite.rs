//! The embedded backend: one SQLite file in WAL mode.

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
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    webhooks: std::sync::Arc<super::WebhookPresence>,
    /// One connection for the frequent writers of answers and counts (group commit, counting,
    /// amending, erasing, purging). SQLite has one write lock: waiting for this connection is
    /// a wake-up, while waiting in SQLite's busy handler is a sleep of up to 100 ms. Held
    /// directly rather than through a pool, whose hand-over took 0.3 ms of a 1.5 ms batch.
    writer: std::sync::Arc<tokio::sync::Mutex<SqliteConnection>>,
}

impl SqliteStore {
    /// Whether any webhook exists (cached for a few seconds). Asked on the caller's own
    /// connection: taking a second one from the pool while holding the write lock could wait
    /// on connections that are themselves waiting for that lock.
    async fn any_webhooks(&self, conn: &mut SqliteConnection) -> StoreResult<bool> {
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

    pub async fn connect(url: &str) -> Result<SqliteStore, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable in WAL mode across application crashes; only an OS crash or power
            // loss can drop the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // As on PostgreSQL: a request that cannot get a connection fails after 10 s with a
            // logged error, instead of waiting out sqlx's default 30 s.
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        // 64 MiB: the index pages answers are written into stay in memory.
        let writer = options.pragma("cache_size", "-65536").connect().await?;
        Ok(SqliteStore {
            pool,
            webhooks: Default::default(),
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(writer)),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn site_from_row(row: &SqliteRow) -> Result<Site, sqlx::Error> {
    let origins: String = row.try_get("allowed_origins")?;
    Ok(Site {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        site_key: row.try_get("site_key")?,
        allowed_origins: serde_json::from_str(&origins).unwrap_or_default(),
    })
}

fn survey_from_row(row: &SqliteRow) -> Result<Survey, sqlx::Error> {
    let settings: String = row.try_get("settings")?;
    Ok(Survey {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        name: row.try_get("name")?,
        product_name: row.try_get("product_name")?,
        settings: super::settings_from_json(&settings),
    })
}

fn notice_from_row(row: &SqliteRow) -> Result<NoticeVersion, sqlx::Error> {
    Ok(NoticeVersion {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        version: row.try_get::<i64, _>("version")? as u32,
        language: row.try_get("language")?,
        body: row.try_get("body")?,
        content_hash: row.try_get("content_hash")?,
        published_at: row.try_get("published_at")?,
    })
}

/// Rows per multi-row INSERT.
const INSERT_CHUNK: usize = 500;

const SITE_COLUMNS: &str = "id, org_id, name, site_key, allowed_origins";

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)")
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
        sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)")
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
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
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
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(site.id)
        .bind(org)
        .bind(&site.name)
        .bind(&site.site_key)
        .bind(serde_json::to_string(&site.allowed_origins).map_err(backend)?)
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
             SELECT ?, org_id, id, ?, ?, ? FROM sites WHERE id = ? AND org_id = ?",
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
        let mut tx = write_transaction(&self.pool).await?;
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM privacy_notices WHERE org_id = ?")
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(notice.id)
        .bind(org)
        .bind(i64::from(notice.version))
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
        sqlx::query("INSERT INTO api_tokens (id, org_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)")
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
            "SELECT {SITE_COLUMNS} FROM sites WHERE site_key = ?"
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
            "SELECT id, site_id, name, product_name, settings FROM surveys
             WHERE site_id = ? ORDER BY created_at, id LIMIT 1",
        )
        .bind(site.id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| survey_from_row(&r))
        .transpose()
        .map_err(backend)?;
        let current_notice = sqlx::query(
            "SELECT * FROM privacy_notices WHERE org_id = ? ORDER BY version DESC LIMIT 1",
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
            "SELECT id, site_id, name, product_name, settings FROM surveys WHERE id = ? AND site_id = ?",
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
        sqlx::query("SELECT * FROM privacy_notices WHERE org_id = ? AND version = ?")
            .bind(org)
            .bind(i64::from(version))
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| notice_from_row(&r))
            .transpose()
            .map_err(backend)
    }

    async fn notice_by_id(&self, id: Uuid) -> StoreResult<Option<NoticeVersion>> {
        sqlx::query("SELECT * FROM privacy_notices WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| notice_from_row(&r))
            .transpose()
            .map_err(backend)
    }

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
        // Multi-row statements: the driver's cost is per statement, not per row. 19 parameters a
        // row keeps a chunk far below SQLite's 32766-parameter limit. The opt-out filter is part
        // of the insert, so an opt-out and an answer can never interleave.
        for chunk in batch.chunks(INSERT_CHUNK) {
            let rows =
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()]
                    .join(", ");
            let sql = format!(
                "INSERT INTO responses (id, org_id, site_id, survey_id, score, comment, language,
                     received_at, notice_id, consent_choices, page_path, device_class, browser_family,
                     country, respondent_id, trigger, referrer_origin, contact_email,
                     edit_secret_hash)
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
                    .bind(i64::from(r.score.value()))
                    .bind(r.comment.clone())
                    .bind(r.language.clone())
                    .bind(r.received_at.timestamp_millis())
                    .bind(r.notice_id)
                    .bind(serde_json::to_string(&r.choices).map_err(backend)?)
                    .bind(r.context.page_path.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(r.context.device.map(|d| d.as_str()))
                    .bind(r.context.browser.map(|b| b.as_str()))
                    .bind(r.context.country.as_ref().map(|c| c.as_str().to_owned()))
                    .bind(r.respondent_id)
                    .bind(r.context.trigger.map(|t| t.as_str()))
                    .bind(r.context.referrer.as_ref().map(|o| o.as_str().to_owned()))
                    .bind(r.contact_email.clone())
                    .bind(r.edit_secret_hash.clone());
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
            for chunk in missing.chunks(INSERT_CHUNK) {
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
        if !inserted.is_empty() && self.any_webhooks(&mut tx).await? {
            // Each inserted id once: a batch may hold the same answer twice (its first
            // copy is the one stored).
            let mut fresh: std::collections::HashSet<Uuid> = inserted.iter().copied().collect();
            let new_answers: Vec<&StoredResponse> =
                batch.iter().filter(|r| fresh.remove(&r.id)).collect();
            let events = super::outbox_events(new_answers.into_iter());
            let now = Utc::now().timestamp_millis();
            sqlx::query(
                "INSERT INTO webhook_deliveries
                     (id, webhook_id, org_id, event, payload, created_at, attempts, next_attempt_at)
                 SELECT randomblob(16), w.id, w.org_id, e.value ->> 'event', e.value ->> 'payload', ?, 0, ?
                 FROM json_each(?) e JOIN webhooks w
                   ON w.org_id = unhex(e.value ->> 'org') AND w.revoked_at IS NULL
                  AND instr(',' || w.events || ',', ',' || (e.value ->> 'event') || ',') > 0",
            )
            .bind(now)
            .bind(now)
            .bind(events)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(super::outcomes(batch, &inserted, &existing))
    }

    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64> {
        let mut writer = self.writer.lock().await;
        // IMMEDIATE: the write lock from the start, so nothing can amend or erase these answers
        // between reading and counting them.
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let rows = sqlx::query(&format!(
            "SELECT u.seq, {ANSWER_KEYS} FROM uncounted_answers u CROSS JOIN responses r
             ON r.id = u.response_id ORDER BY u.seq LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(last) = rows.last() else {
            return Ok(0);
        };
        let last: i64 = last.try_get("seq").map_err(backend)?;
        let keys = rows
            .iter()
            .map(answer_keys_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        apply_deltas(&mut tx, &deltas(keys.iter().map(|k| (k, 1)))).await?;
        // Also drops queue entries of answers deleted behind the store's back (none expected).
        let taken = sqlx::query("DELETE FROM uncounted_answers WHERE seq <= ?")
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(taken.rows_affected())
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
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        // The write lock is held from BEGIN, so the score read here cannot change before the
        // aggregates are corrected. Only the author's secret finds the row.
        let found = sqlx::query(&format!(
            "SELECT {ANSWER_KEYS}, consent_choices FROM responses
             WHERE id = ? AND site_id = ? AND edit_secret_hash = ?"
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
        let choices: String = found.try_get("consent_choices").map_err(backend)?;
        let before = answer_keys_from_row(&found).map_err(backend)?;
        if before.received_at < guard.stored_after {
            return Ok(AmendOutcome::Expired);
        }
        let choices: ConsentChoices = serde_json::from_str(&choices).map_err(backend)?;
        let (choices, changes) = choices.apply(&a.choices, at);
        sqlx::query(
            "UPDATE responses SET
                 score = COALESCE(?, score),
                 comment = COALESCE(?, comment),
                 contact_email = CASE WHEN ? THEN NULL ELSE COALESCE(?, contact_email) END,
                 consent_choices = ?,
                 updated_at = ?
             WHERE id = ?",
        )
        .bind(a.score.map(|s| i64::from(s.value())))
        .bind(a.comment.as_ref().map(|c| c.as_str()))
        // Consent to be contacted taken back: the address goes with it.
        .bind(choices.granted(app::domain::CONTACT) == Some(false))
        .bind(a.contact_email.as_ref().map(|e| e.as_str()))
        .bind(serde_json::to_string(&choices).map_err(backend)?)
        .bind(at.timestamp_millis())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        for change in &changes {
            sqlx::query(
                "INSERT INTO consent_changes (response_id, choice, granted_before, granted, at)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&change.choice)
            .bind(change.granted_before)
            .bind(change.granted)
            .bind(change.at.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        if let Some(score) = a.score.filter(|s| s.value() != before.score) {
            // An answer not counted yet is counted later with the score it then has.
            let counted: bool = sqlx::query_scalar(
                "SELECT NOT EXISTS (SELECT 1 FROM uncounted_answers WHERE response_id = ?)",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            if counted {
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
            "SELECT id, site_id, name, product_name, settings FROM surveys
             WHERE site_id = ? ORDER BY created_at, id",
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
        let done = sqlx::query("UPDATE surveys SET settings = ? WHERE id = ? AND org_id = ?")
            .bind(serde_json::to_string(settings).map_err(backend)?)
            .bind(survey)
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_impressions(&self, batch: &[Impression]) -> StoreResult<()> {
        let mut tx = write_transaction(&self.pool).await?;
        for i in batch {
            sqlx::query(
                "INSERT INTO impressions (id, org_id, site_id, survey_id, kind, trigger, at)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            )
            .bind(i.id)
            .bind(i.org_id)
            .bind(i.site_id)
            .bind(i.survey_id)
            .bind(i.kind.as_str())
            .bind(i.trigger.map(|t| t.as_str()))
            .bind(i.at.timestamp_millis())
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
            "INSERT INTO opt_outs (site_id, respondent_id, opted_out, changed_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (site_id, respondent_id)
             DO UPDATE SET opted_out = excluded.opted_out, changed_at = excluded.changed_at",
        )
        .bind(site)
        .bind(respondent)
        .bind(opted_out)
        .bind(at.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn is_opted_out(&self, site: Uuid, respondent: Uuid) -> StoreResult<bool> {
        let opted_out: Option<bool> = sqlx::query_scalar(
            "SELECT opted_out FROM opt_outs WHERE site_id = ? AND respondent_id = ?",
        )
        .bind(site)
        .bind(respondent)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(opted_out.unwrap_or(false))
    }

    async fn credentials(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
        let row = sqlx::query("SELECT id, email, password_hash FROM users WHERE email = ?")
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
             WHERE m.user_id = ? ORDER BY o.name, o.id",
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
            "SELECT org_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn sites(&self, org: Uuid) -> StoreResult<Vec<Site>> {
        let rows = sqlx::query(&format!(
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = ? ORDER BY name, id"
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
            "SELECT {SITE_COLUMNS} FROM sites WHERE org_id = ? AND site_key = ?"
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
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT score, COUNT(*) FROM responses
             WHERE org_id = ? AND site_id = ? AND received_at >= ? AND received_at < ?
             GROUP BY score",
        )
        .bind(org)
        .bind(site)
        .bind(range.from.timestamp_millis())
        .bind(range.to.timestamp_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        counts_from_rows(rows)
    }

    async fn impression_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<(u64, u64, u64)> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*) FROM impressions
             WHERE org_id = ? AND site_id = ? AND at >= ? AND at < ? GROUP BY kind",
        )
        .bind(org)
        .bind(site)
        .bind(range.from.timestamp_millis())
        .bind(range.to.timestamp_millis())
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
        let pairs: Vec<[i64; 2]> = boundaries
            .windows(2)
            .map(|w| [quarter_hour(w[0]), quarter_hour(w[1])])
            .collect();
        let (dimension, value) = filter
            .segment
            .as_ref()
            .map(|s| (s.dimension.as_str(), s.value.as_str()))
            .unwrap_or(("", ""));
        let sql = format!(
            "WITH p AS (SELECT CAST(key AS INTEGER) AS idx, value ->> 0 AS lo, value ->> 1 AS hi
                        FROM json_each(?))
             SELECT p.idx, {sums} FROM p CROSS JOIN response_aggregates a
             WHERE a.site_id = ? AND a.dimension = ? AND a.value = ?
               AND a.bucket >= p.lo AND a.bucket < p.hi
               AND a.org_id = ? AND (? IS NULL OR a.survey_id = ?)
             GROUP BY p.idx",
            sums = sum_columns("a.")
        );
        // One read transaction: the aggregates and the answers not counted into them yet are
        // read from the same snapshot.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let rows = sqlx::query(&sql)
            .bind(serde_json::to_string(&pairs).map_err(backend)?)
            .bind(site)
            .bind(dimension)
            .bind(value)
            .bind(org)
            .bind(filter.survey)
            .bind(filter.survey)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let uncounted = uncounted_keys(&mut tx, org, site).await?;
        tx.commit().await.map_err(backend)?;
        let mut out = vec![ScoreCounts::default(); buckets];
        for row in rows {
            let idx: i64 = row.try_get(0).map_err(backend)?;
            if let Some(slot) = usize::try_from(idx).ok().and_then(|i| out.get_mut(i)) {
                *slot = counts_from_sums(sums_from_row(&row, 1).map_err(backend)?);
            }
        }
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
             WHERE site_id = ? AND dimension = ? AND bucket >= ? AND bucket < ?
               AND org_id = ? AND (? IS NULL OR survey_id = ?)
             GROUP BY value",
            sums = sum_columns("")
        );
        let buckets = [quarter_hour(range.from), quarter_hour(range.to)];
        // One read transaction: the aggregates and the answers not counted into them yet are
        // read from the same snapshot.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let rows = sqlx::query(&sql)
            .bind(site)
            .bind(dimension.as_str())
            .bind(buckets[0])
            .bind(buckets[1])
            .bind(org)
            .bind(survey)
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
        let mut sql = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {VERBATIM_COLUMNS} FROM responses r WHERE r.org_id = "
        ));
        sql.push_bind(org)
            .push(" AND r.site_id = ")
            .push_bind(site)
            .push(" AND r.received_at >= ")
            .push_bind(q.range.from.timestamp_millis())
            .push(" AND r.received_at < ")
            .push_bind(q.range.to.timestamp_millis());
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
                .push_bind(i64::from(lo))
                .push(" AND ")
                .push_bind(i64::from(hi));
        }
        if q.comments_only {
            sql.push(" AND r.comment IS NOT NULL AND r.comment <> ''");
        }
        let words = q.search.as_deref().map(search_words).unwrap_or_default();
        if !words.is_empty() {
            let phrase = words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" ");
            sql.push(
                " AND r.id IN (SELECT k.response_id FROM comment_search s
                   JOIN comment_search_keys k ON k.rowid = s.rowid WHERE comment_search MATCH ",
            )
            .push_bind(phrase)
            .push(")");
        }
        if let Some(tag) = &q.tag {
            sql.push(" AND EXISTS (SELECT 1 FROM response_tags t WHERE t.response_id = r.id AND t.tag = ")
                .push_bind(tag.as_str().to_owned())
                .push(")");
        }
        if let Some((at, id)) = q.before {
            sql.push(" AND (r.received_at < ")
                .push_bind(at.timestamp_millis())
                .push(" OR (r.received_at = ")
                .push_bind(at.timestamp_millis())
                .push(" AND r.id < ")
                .push_bind(id)
                .push("))");
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
            "SELECT EXISTS (SELECT 1 FROM responses WHERE id = ? AND org_id = ?)",
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
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(response)
            .bind(tag.as_str())
            .bind(org)
            .bind(at.timestamp_millis())
        } else {
            sqlx::query(
                "DELETE FROM response_tags WHERE response_id = ? AND tag = ? AND org_id = ?",
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
             WHERE t.org_id = ? AND r.site_id = ?
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
            "SELECT id, site_id, name, product_name, settings FROM surveys
             WHERE org_id = ? AND site_id = ? ORDER BY created_at, id",
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
             WHERE m.org_id = ? ORDER BY u.email",
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
        let done = sqlx::query("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?")
            .bind(role.as_str())
            .bind(org)
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_member(&self, org: Uuid, user: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM memberships WHERE org_id = ? AND user_id = ?")
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(org)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(invited_by)
        .bind(Utc::now().timestamp_millis())
        .bind(expires_at.timestamp_millis())
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
            "{INVITATION_SELECT} WHERE i.org_id = ? AND i.accepted_at IS NULL
               AND i.revoked_at IS NULL AND i.expires_at > ? ORDER BY i.created_at DESC"
        ))
        .bind(org)
        .bind(now.timestamp_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(invitation_from_row).collect()
    }

    async fn revoke_invitation(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = ?
             WHERE id = ? AND org_id = ? AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(at.timestamp_millis())
        .bind(id)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        let row = sqlx::query(&format!("{INVITATION_SELECT} WHERE i.token_hash = ?"))
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
        let mut tx = write_transaction(&self.pool).await?;
        // The conditional update is the single use: a second acceptance finds nothing to update.
        let invitation: Option<(Uuid, String)> = sqlx::query_as(
            "UPDATE invitations SET accepted_at = ?, accepted_by = ?
             WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
             RETURNING org_id, role",
        )
        .bind(at.timestamp_millis())
        .bind(user)
        .bind(id)
        .bind(at.timestamp_millis())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((org, role)) = invitation else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
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
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_password_hash(&self, user: Uuid, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
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
             WHERE org_id = ? ORDER BY created_at DESC",
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
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND org_id = ? AND revoked_at IS NULL",
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
            "UPDATE sites SET name = ?, allowed_origins = ? WHERE id = ? AND org_id = ?",
        )
        .bind(name)
        .bind(serde_json::to_string(allowed_origins).map_err(backend)?)
        .bind(site)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn rotate_site_key(&self, org: Uuid, site: Uuid) -> StoreResult<Option<String>> {
        let key = new_site_key();
        let done = sqlx::query("UPDATE sites SET site_key = ? WHERE id = ? AND org_id = ?")
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
            "UPDATE surveys SET name = ?, product_name = ?, settings = ? WHERE id = ? AND org_id = ?",
        )
        .bind(name)
        .bind(product_name)
        .bind(serde_json::to_string(settings).map_err(backend)?)
        .bind(survey)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn notices(&self, org: Uuid) -> StoreResult<Vec<NoticeVersion>> {
        let rows =
            sqlx::query("SELECT * FROM privacy_notices WHERE org_id = ? ORDER BY version DESC")
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
            "INSERT INTO audit_log (id, org_id, actor, action, subject, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(Uuid::new_v4())
        .bind(e.org_id)
        .bind(e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(e.at.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn audit_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(Uuid, Option<Uuid>, String, String, i64)> = sqlx::query_as(
            "SELECT org_id, actor, action, subject, at FROM audit_log
             WHERE org_id = ? ORDER BY at DESC, id LIMIT ?",
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
                at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            })
            .collect())
    }

    async fn consent_of(&self, org: Uuid, response: Uuid) -> StoreResult<Option<ConsentOf>> {
        let row: Option<(i64, Option<String>, Uuid, String)> = sqlx::query_as(
            "SELECT received_at, language, notice_id, consent_choices FROM responses
             WHERE org_id = ? AND id = ?",
        )
        .bind(org)
        .bind(response)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some((at, language, notice_id, choices)) = row else {
            return Ok(None);
        };
        let changes: Vec<(String, Option<bool>, bool, i64)> = sqlx::query_as(
            "SELECT choice, granted_before, granted, at FROM consent_changes
             WHERE response_id = ? ORDER BY at, rowid",
        )
        .bind(response)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Some(ConsentOf {
            received_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            language,
            notice_id,
            choices: serde_json::from_str(&choices).map_err(backend)?,
            changes: changes
                .into_iter()
                .map(|(choice, granted_before, granted, at)| ConsentChange {
                    choice,
                    granted_before,
                    granted,
                    at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
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
             SELECT ?, ?, id, ?, ?, ? FROM sites WHERE id = ? AND org_id = ?",
        )
        .bind(id)
        .bind(org)
        .bind(token_hash)
        .bind(days as i64)
        .bind(Utc::now().timestamp_millis())
        .bind(site)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(map_err("share link"))?;
        Ok((done.rows_affected() == 1).then_some(id))
    }

    async fn share_links(&self, org: Uuid) -> StoreResult<Vec<ShareLinkRecord>> {
        let rows: Vec<(Uuid, Uuid, i64, i64)> = sqlx::query_as(
            "SELECT id, site_id, days, created_at FROM share_links
             WHERE org_id = ? AND revoked_at IS NULL ORDER BY created_at DESC",
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
                created_at: DateTime::from_timestamp_millis(created_at).unwrap_or_default(),
            })
            .collect())
    }

    async fn revoke_share_link(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = ?
             WHERE id = ? AND org_id = ? AND revoked_at IS NULL",
        )
        .bind(at.timestamp_millis())
        .bind(id)
        .bind(org)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareScope>> {
        let row: Option<(Uuid, Uuid, i64, i64, String)> = sqlx::query_as(
            "SELECT l.org_id, l.site_id, l.days, o.share_k, o.share_time_zone FROM share_links l
             JOIN organisations o ON o.id = l.org_id
             WHERE l.token_hash = ? AND l.revoked_at IS NULL",
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
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT share_k, share_time_zone FROM organisations WHERE id = ?")
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
        sqlx::query("UPDATE organisations SET share_k = ?, share_time_zone = ? WHERE id = ?")
            .bind(i64::from(settings.k))
            .bind(&settings.time_zone)
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn exchange_spend(
        &self,
        _instance: Uuid,
        _now_second: i64,
        _mine: &[(String, f64)],
        _since_second: i64,
    ) -> StoreResult<Option<Vec<(String, Uuid, i64, f64)>>> {
        // One process owns the file: its in-memory limits are the whole truth.
        Ok(None)
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
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(org)
        .bind(url)
        .bind(secret)
        .bind(events.join(","))
        .bind(Utc::now().timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.webhooks.set(true);
        Ok(id)
    }

    async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>> {
        let rows: Vec<(Uuid, String, String, i64)> = sqlx::query_as(
            "SELECT id, url, events, created_at FROM webhooks
             WHERE org_id = ? AND revoked_at IS NULL ORDER BY created_at",
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
                created_at: DateTime::from_timestamp_millis(created_at).unwrap_or_default(),
            })
            .collect())
    }

    async fn revoke_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = write_transaction(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE webhooks SET revoked_at = ? WHERE id = ? AND org_id = ? AND revoked_at IS NULL",
        )
        .bind(at.timestamp_millis())
        .bind(id)
        .bind(org)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        // Nothing more goes out for it: queued retries are cancelled with it.
        sqlx::query(
            "UPDATE webhook_deliveries SET failed_at = ?, last_error = 'cancelled'
             WHERE webhook_id = ? AND org_id = ? AND delivered_at IS NULL AND failed_at IS NULL",
        )
        .bind(at.timestamp_millis())
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
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT id, webhook_id, event, created_at, attempts, delivered_at, failed_at,
                        last_status, last_error
                 FROM webhook_deliveries WHERE org_id = ?
                 ORDER BY created_at DESC LIMIT ?",
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
                        created_at: DateTime::from_timestamp_millis(created_at).unwrap_or_default(),
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
        // A read first: an idle outbox must not take the write lock on every poll.
        let due: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                 WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
                   AND (locked_until IS NULL OR locked_until < ?))",
        )
        .bind(now.timestamp_millis())
        .bind(now.timestamp_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        if !due {
            return Ok(vec![]);
        }
        let busy: Vec<String> = busy.iter().map(|o| o.simple().to_string()).collect();
        let mut tx = write_transaction(&self.pool).await?;
        // The oldest due delivery of each organisation not busy, oldest first. SQLite's
        // RETURNING sees only the updated table: the webhook is read after.
        let claimed: Vec<(Uuid, Uuid, Uuid, String, String, i64)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET locked_until = ?
             WHERE id IN (
                 SELECT id FROM (
                     SELECT d.id, d.next_attempt_at, ROW_NUMBER() OVER (
                         PARTITION BY d.org_id ORDER BY d.next_attempt_at, d.id) AS turn
                     FROM webhook_deliveries d JOIN webhooks w
                       ON w.id = d.webhook_id AND w.revoked_at IS NULL
                     WHERE d.delivered_at IS NULL AND d.failed_at IS NULL
                       AND d.next_attempt_at <= ?
                       AND (d.locked_until IS NULL OR d.locked_until < ?)
                       AND d.org_id NOT IN (SELECT unhex(value) FROM json_each(?)))
                 WHERE turn = 1 ORDER BY next_attempt_at LIMIT ?)
             RETURNING id, webhook_id, org_id, event, payload, attempts",
        )
        .bind(lease_until.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(serde_json::to_string(&busy).map_err(backend)?)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut pending = Vec::with_capacity(claimed.len());
        for (id, webhook, org_id, event, payload, attempts) in claimed {
            let (url, secret): (String, String) =
                sqlx::query_as("SELECT url, secret FROM webhooks WHERE id = ?")
                    .bind(webhook)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            pending.push(PendingDelivery {
                id,
                org_id,
                url,
                secret,
                event,
                payload,
                attempts: attempts.max(0) as u32,
            });
        }
        tx.commit().await.map_err(backend)?;
        Ok(pending)
    }

    async fn finish_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let query = match outcome {
            DeliveryOutcome::Delivered { status } => sqlx::query(
                "UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1,
                     last_status = ?, last_error = NULL, locked_until = NULL WHERE id = ?",
            )
            .bind(at.timestamp_millis())
            .bind(*status as i64)
            .bind(id),
            DeliveryOutcome::Retry {
                status,
                error,
                next_attempt_at,
            } => sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = ?, attempts = attempts + 1,
                     last_status = ?, last_error = ?, locked_until = NULL
                 WHERE id = ? AND failed_at IS NULL",
            )
            .bind(next_attempt_at.timestamp_millis())
            .bind(status.map(|s| s as i64))
            .bind(error.clone())
            .bind(id),
            DeliveryOutcome::GiveUp { status, error } => sqlx::query(
                "UPDATE webhook_deliveries SET failed_at = ?, attempts = attempts + 1,
                     last_status = ?, last_error = ?, locked_until = NULL
                 WHERE id = ? AND failed_at IS NULL",
            )
            .bind(at.timestamp_millis())
            .bind(status.map(|s| s as i64))
            .bind(error.clone())
            .bind(id),
        };
        query.execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }

    async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERBATIM_COLUMNS} FROM responses r
             WHERE r.site_id = ? AND r.respondent_id = ?
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
             WHERE r.org_id = ?
               AND ((? IS NOT NULL AND r.respondent_id = ?)
                    OR (? IS NOT NULL AND lower(r.contact_email) = lower(?)))
             ORDER BY r.received_at DESC LIMIT 10000"
        ))
        .bind(org)
        .bind(respondent)
        .bind(respondent)
        .bind(email)
        .bind(email)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(verbatim_from_row).collect()
    }

    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let (mut erased, mut counted) = (0, vec![]);
        for chunk in ids.chunks(INSERT_CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            // Answers not counted yet only leave the queue; counted ones are subtracted.
            let sql = format!(
                "DELETE FROM uncounted_answers WHERE response_id IN
                     (SELECT id FROM responses WHERE org_id = ? AND id IN ({marks}))
                 RETURNING response_id"
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(&sql).bind(org);
            for id in chunk {
                query = query.bind(*id);
            }
            let uncounted: std::collections::HashSet<Uuid> = query
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
            // Triggers remove the search entries; tags go by ON DELETE CASCADE.
            let sql = format!(
                "DELETE FROM responses WHERE org_id = ? AND id IN ({marks})
                 RETURNING id, {ANSWER_KEYS}"
            );
            let mut query = sqlx::query(&sql).bind(org);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *tx).await.map_err(backend)? {
                erased += 1;
                let id: Uuid = row.try_get("id").map_err(backend)?;
                if !uncounted.contains(&id) {
                    counted.push(answer_keys_from_row(&row).map_err(backend)?);
                }
            }
        }
        apply_deltas(&mut tx, &deltas(counted.iter().map(|k| (k, -1)))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(erased)
    }

    async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>> {
        let days: Option<Option<i64>> =
            sqlx::query_scalar("SELECT retention_days FROM organisations WHERE id = ?")
                .bind(org)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(days
            .flatten()
            .map(|d| d.clamp(0, i64::from(u32::MAX)) as u32))
    }

    async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET retention_days = ? WHERE id = ?")
            .bind(days.map(i64::from))
            .bind(org)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        super::count_before_purging(self).await?;
        let mut purged = 0;
        // In slices, so the write lock is never held for long.
        loop {
            let done = sqlx::query(
                "DELETE FROM responses WHERE id IN (
                     SELECT r.id FROM responses r JOIN organisations o ON o.id = r.org_id
                     WHERE o.retention_days IS NOT NULL
                       AND r.received_at < ? - o.retention_days * 86400000
                       AND r.id NOT IN (SELECT response_id FROM uncounted_answers)
                     LIMIT 5000)",
            )
            .bind(now.timestamp_millis())
            .execute(&mut *self.writer.lock().await)
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
            "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(crate::tokens::random_hex(32))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn load_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row: Option<(String, i64, Option<Uuid>)> =
            sqlx::query_as("SELECT data, expires_at, user_id FROM sessions WHERE id_hash = ?")
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
            "INSERT INTO sessions (id_hash, data, expires_at, user_id) VALUES (?, ?, ?, ?)
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
        sqlx::query("UPDATE sessions SET data = ?, expires_at = ?, user_id = ? WHERE id_hash = ?")
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
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_unix: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now_unix)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}

/// Eleven summed score columns starting at `first`.
fn sums_from_row(row: &SqliteRow, first: usize) -> Result<[i64; 11], sqlx::Error> {
    let mut sums = [0i64; 11];
    for (i, sum) in sums.iter_mut().enumerate() {
        *sum = row.try_get::<Option<i64>, _>(first + i)?.unwrap_or(0);
    }
    Ok(sums)
}

fn answer_keys_from_row(row: &SqliteRow) -> Result<AnswerKeys, sqlx::Error> {
    let at: i64 = row.try_get("received_at")?;
    let score: i64 = row.try_get("score")?;
    Ok(AnswerKeys {
        org_id: row.try_get("org_id")?,
        site_id: row.try_get("site_id")?,
        survey_id: row.try_get("survey_id")?,
        received_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
        score: score.clamp(0, 10) as u8,
        country: row.try_get("country")?,
        device: row.try_get("device_class")?,
        browser: row.try_get("browser_family")?,
        language: row.try_get("language")?,
        page: row.try_get("page_path")?,
        trigger: row.try_get("trigger")?,
    })
}

/// A transaction that will write. IMMEDIATE takes the write lock at BEGIN: a deferred one that
/// reads first fails at its first write, without waiting, if another connection has committed
/// since its read (SQLITE_BUSY_SNAPSHOT). With answers counted in the background, some other
/// connection commits several times a second.
async fn write_transaction(pool: &SqlitePool) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
}

/// A site's answers that are not counted into the aggregates yet: few, since the counting task
/// runs several times a second. Read in the caller's transaction, beside the aggregates.
async fn uncounted_keys(
    conn: &mut SqliteConnection,
    org: Uuid,
    site: Uuid,
) -> StoreResult<Vec<AnswerKeys>> {
    // CROSS JOIN keeps SQLite from walking the site's answers instead of the short queue.
    let sql = format!(
        "SELECT {ANSWER_KEYS} FROM uncounted_answers u CROSS JOIN responses r
         ON r.id = u.response_id WHERE r.org_id = ? AND r.site_id = ?"
    );
    let rows = sqlx::query(&sql)
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
    tx: &mut SqliteConnection,
    deltas: &[(AggregateKey, [i64; 11])],
) -> StoreResult<()> {
    for chunk in deltas.chunks(UPSERT_CHUNK) {
        let mut sql = QueryBuilder::<Sqlite>::new(
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
                row.push_bind(*count);
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

fn invitation_from_row(row: &SqliteRow) -> StoreResult<InvitationRecord> {
    let get = || -> Result<InvitationRecord, sqlx::Error> {
        let role: String = row.try_get("role")?;
        let created: i64 = row.try_get("created_at")?;
        let expires: i64 = row.try_get("expires_at")?;
        let accepted: Option<i64> = row.try_get("accepted_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        Ok(InvitationRecord {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            org_name: row.try_get("org_name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            created_at: DateTime::from_timestamp_millis(created).unwrap_or_default(),
            expires_at: DateTime::from_timestamp_millis(expires).unwrap_or_default(),
            accepted: accepted.is_some(),
            revoked: revoked.is_some(),
        })
    };
    get().map_err(backend)
}

const VERBATIM_COLUMNS: &str =
    "r.id, r.survey_id, r.score, r.comment, r.received_at, r.language, r.page_path,
     r.device_class, r.browser_family, r.country, r.trigger, r.referrer_origin, r.contact_email,
     (SELECT group_concat(t.tag, char(31)) FROM response_tags t WHERE t.response_id = r.id) AS tags";

fn verbatim_from_row(row: &SqliteRow) -> StoreResult<Verbatim> {
    let get = || -> Result<Verbatim, sqlx::Error> {
        let at: i64 = row.try_get("received_at")?;
        let tags: Option<String> = row.try_get("tags")?;
        let score: i64 = row.try_get("score")?;
        Ok(Verbatim {
            id: row.try_get("id")?,
            survey_id: row.try_get("survey_id")?,
            score: score.clamp(0, 10) as u8,
            comment: row.try_get("comment")?,
            received_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
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
