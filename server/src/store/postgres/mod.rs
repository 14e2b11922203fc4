//! The backend for scale: many stateless app servers on one PostgreSQL. Time columns are
//! `timestamptz`.
//!
//! One file per role trait, named as in `sqlite/`; each expands the role's shared methods
//! (`sql/`) and adds only those whose SQL is PostgreSQL's own.

mod access;
mod account;
mod audit;
mod cluster;
mod counting;
mod digest;
mod follow_up;
mod privacy;
mod report;
mod session;
mod site;
mod theme;
mod visitor;
mod webhook;

use super::aggregates::{AnswerKeys, ANSWER_KEYS};
use super::backend;
use app::store::StoreResult;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool, Postgres};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    webhooks: std::sync::Arc<super::WebhookPresence>,
}

impl PostgresStore {
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

    /// What orders rows as they were inserted, where times tie (rows of consent changes are
    /// never updated, so their physical order is their insertion order).
    const INSERTION_ORDER: &'static str = "ctid";

    /// A transaction that will write; row locks and unique constraints do the rest.
    async fn write_transaction(&self) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend)
    }

    /// A read-only transaction with one snapshot for all its statements: the aggregates and the
    /// answers not counted into them yet are read as of the same moment.
    async fn read_snapshot(&self) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(tx)
    }

    /// Holds the sites' saved themes still until the caller commits: counting and amending
    /// tag answers with the themes they read, and a theme saved meanwhile must wait, or its
    /// walk over past answers could pass an answer that is then counted with the old themes.
    /// (SQLite needs none: its writers take turns.) Taken before any answer's row lock, so
    /// it cannot close a cycle with a walk (`tag_past_batch`), which holds answers' rows but
    /// never these.
    async fn lock_themes_of(conn: &mut PgConnection, sites: &[Uuid]) -> StoreResult<()> {
        sqlx::query("SELECT 1 FROM sites WHERE id = ANY($1) ORDER BY id FOR SHARE")
            .bind(sites)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// How a change of a site's saved themes holds the site (`lock_themes_to_change`): until
    /// the counts reading its themes commit, and against new ones. NO KEY: the foreign-key
    /// checks of new aggregate rows and answers take `FOR KEY SHARE` on the site, and must not
    /// wait (a walk inserting rows while the save waits for the walk was a deadlock).
    const SITE_LOCK: &'static str = " FOR NO KEY UPDATE";

    /// App servers walking at once take different sites; saving a theme waits for the step
    /// in progress, then starts its walk over.
    const WALK_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";
    /// A walk's answers stay as read (amended or erased after the step).
    const ROW_LOCK: &'static str = " FOR UPDATE";
    /// A batch's deliveries: those another worker holds are left to it (re-checking a locked
    /// row would not re-run the subquery that chose it, so both would take it).
    const CLAIM_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";

    /// Which of `ids` wait to be counted, read by a statement of its own after the caller
    /// locked their rows: a count that held one has committed by then, and is seen.
    async fn uncounted_among(
        conn: &mut PgConnection,
        ids: &[Uuid],
    ) -> StoreResult<std::collections::HashSet<Uuid>> {
        let rows: Vec<Uuid> = sqlx::query_scalar(
            "SELECT response_id FROM uncounted_answers WHERE response_id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().collect())
    }

    /// Comment search through the stored tsvector; the planner picks the index or the site's
    /// newest answers.
    fn push_search_source(
        sql: &mut sqlx::QueryBuilder<'_, Postgres>,
        _site: Uuid,
        words: &[String],
        _range: app::store::TimeRange,
        _before: Option<app::store::PageEnd>,
    ) {
        sql.push(
            "responses r WHERE r.comment_search IS NOT NULL
             AND r.comment_search @@ plainto_tsquery('simple', ",
        )
        .push_bind(words.join(" "))
        .push(")");
    }

    /// The aggregate rows of each piece, as a LATERAL subquery that OFFSET 0 keeps from being
    /// flattened: one index range scan per piece. Joined plainly, the planner cannot tell how
    /// few rows each range holds and hash-joins a scan of the whole table (100-200 ms at 1 M).
    fn aggregates_join(table: &str) -> String {
        format!(" CROSS JOIN LATERAL (SELECT * FROM {table} a WHERE ")
    }
    /// Where a text first holds another (1-based; 0: nowhere), case-sensitive: the two
    /// backends name the same function differently.
    const FIND_TEXT: &'static str = "strpos";
    /// The stored consent choices with `identify` set to false: PostgreSQL's jsonb functions.
    const IDENTIFY_DECLINED: &'static str =
        "jsonb_set(consent_choices, '{identify}', 'false'::jsonb)";
    const AGGREGATES_JOIN_END: &'static str = " OFFSET 0) a";

    /// A search keeps the list's order (time, then id).
    const SEARCH_ORDER: Option<&'static str> = None;

    /// A site's answers that are not counted into the aggregates yet: few, since the counting
    /// task runs several times a second. Read in the caller's snapshot, beside the aggregates;
    /// looked up by primary key from the short queue, never by walking the site's answers.
    async fn uncounted_keys(
        conn: &mut PgConnection,
        org: Uuid,
        site: Uuid,
    ) -> StoreResult<Vec<AnswerKeys>> {
        sqlx::query_as(&format!(
            "SELECT {ANSWER_KEYS} FROM responses
             WHERE id = ANY (ARRAY (SELECT response_id FROM uncounted_answers))
               AND org_id = $1 AND site_id = $2"
        ))
        .bind(org)
        .bind(site)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)
    }

    /// Queues webhook deliveries for new answers' events (`outbox::events`), one per webhook of
    /// the answer's organisation that takes the event. PostgreSQL reads the JSON as records.
    async fn insert_outbox(
        conn: &mut PgConnection,
        events: &str,
        now: super::sql::At,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_deliveries
                 (id, webhook_id, org_id, event, payload, created_at, attempts, next_attempt_at,
                  answer_id)
             SELECT gen_random_uuid(), w.id, w.org_id, e.event, e.payload, $1, 0, $1, e.answer
             FROM jsonb_to_recordset($2::jsonb) AS e (org uuid, answer uuid, event text, payload text)
             JOIN webhooks w ON w.org_id = e.org AND w.revoked_at IS NULL
              AND e.event = ANY (string_to_array(w.events, ','))",
        )
        .bind(now)
        .bind(events)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

super::sql::store_helpers!(PostgresStore, PgConnection);
