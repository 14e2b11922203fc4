//! The embedded backend: one SQLite file in WAL mode. Every time column holds integer
//! milliseconds UTC (`sql::At`).
//!
//! One file per role trait, named as in `postgres/`; each expands the role's shared methods
//! (`sql/`) and adds only those whose SQL is SQLite's own.

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
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqliteConnection, SqlitePool};
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

/// Rows per multi-row statement: 19 parameters a row keeps a chunk far below SQLite's
/// 32766-parameter limit.
const CHUNK: usize = 500;

impl SqliteStore {
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

    /// What orders rows as they were inserted, where times tie.
    const INSERTION_ORDER: &'static str = "rowid";

    /// A transaction that will write. IMMEDIATE takes the write lock at BEGIN: a deferred one
    /// that reads first fails at its first write, without waiting, if another connection has
    /// committed since its read (SQLITE_BUSY_SNAPSHOT). With answers counted in the background,
    /// some other connection commits several times a second.
    async fn write_transaction(&self) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }

    /// One read transaction: the aggregates and the answers not counted into them yet are read
    /// from the same snapshot.
    async fn read_snapshot(&self) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        self.pool.begin().await.map_err(backend)
    }

    /// Nothing to lock: SQLite's writers take turns, so no theme changes while a count or
    /// an amendment that read the themes is open (see PostgreSQL's).
    async fn lock_themes_of(_conn: &mut SqliteConnection, _sites: &[Uuid]) -> StoreResult<()> {
        Ok(())
    }

    /// A change of a site's saved themes needs no row lock: the write lock, taken at BEGIN,
    /// holds the rest (`lock_themes_to_change`).
    const SITE_LOCK: &'static str = "";

    /// SQLite has no row locks; the write lock holds the walk and its answers.
    const WALK_LOCK: &'static str = "";
    const ROW_LOCK: &'static str = "";
    const CLAIM_LOCK: &'static str = "";

    /// Which of `ids` wait to be counted. The queue holds well under a second of answers.
    async fn uncounted_among(
        conn: &mut SqliteConnection,
        ids: &[Uuid],
    ) -> StoreResult<std::collections::HashSet<Uuid>> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT response_id FROM uncounted_answers WHERE response_id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut query = sqlx::query_scalar::<_, Uuid>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            out.extend(query.fetch_all(&mut *conn).await.map_err(backend)?);
        }
        Ok(out)
    }

    /// Comment search through the FTS5 index, read newest first: its rowid is the received
    /// time in milliseconds times 2^20 (`migrations/sqlite/0015`), so only the site's entries
    /// in the range are read, and only until a page is full. Each word is quoted, so none is
    /// read as an operator.
    fn push_search_source(
        sql: &mut sqlx::QueryBuilder<'_, Sqlite>,
        site: Uuid,
        words: &[String],
        range: app::store::TimeRange,
        before: Option<app::store::PageEnd>,
    ) {
        let key = |at: chrono::DateTime<chrono::Utc>| {
            at.timestamp_millis().clamp(0, i64::MAX >> 20) << 20
        };
        let to = before.map_or(range.to, |end| {
            range
                .to
                .min(end.received_at + chrono::Duration::milliseconds(1))
        });
        let words = words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" AND ");
        sql.push(
            "comment_search s CROSS JOIN comment_search_keys k ON k.rowid = s.rowid
             CROSS JOIN responses r ON r.id = k.response_id WHERE comment_search MATCH ",
        )
        .push_bind(format!(
            "site : \"s{}\" AND comment : ({words})",
            site.simple()
        ))
        .push(" AND s.rowid >= ")
        .push_bind(key(range.from))
        .push(" AND s.rowid < ")
        .push_bind(key(to));
    }

    /// The aggregate rows of each piece, joined to it: SQLite's planner seeks the key's range
    /// for each piece in turn (a nested loop, as CROSS JOIN orders it).
    fn aggregates_join(table: &str) -> String {
        format!(" CROSS JOIN {table} a WHERE ")
    }
    /// Where a text first holds another (1-based; 0: nowhere), case-sensitive: the two
    /// backends name the same function differently.
    const FIND_TEXT: &'static str = "instr";
    /// The stored consent choices with `identify` set to false: SQLite's JSON functions.
    const IDENTIFY_DECLINED: &'static str =
        "json_set(consent_choices, '$.identify', json('false'))";
    const AGGREGATES_JOIN_END: &'static str = "";

    /// A search yields the newest first by the index's order, which within one millisecond is
    /// the order stored, not by id: the caller completes that millisecond and sorts.
    const SEARCH_ORDER: Option<&'static str> = Some(" ORDER BY s.rowid DESC LIMIT ");

    /// A site's answers that are not counted into the aggregates yet: few, since the counting
    /// task runs several times a second. Read in the caller's transaction, beside the
    /// aggregates. CROSS JOIN keeps SQLite from walking the site's answers instead of the short
    /// queue.
    async fn uncounted_keys(
        conn: &mut SqliteConnection,
        org: Uuid,
        site: Uuid,
    ) -> StoreResult<Vec<AnswerKeys>> {
        sqlx::query_as(&format!(
            "SELECT {ANSWER_KEYS} FROM uncounted_answers u CROSS JOIN responses r
             ON r.id = u.response_id WHERE r.org_id = $1 AND r.site_id = $2"
        ))
        .bind(org)
        .bind(site)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)
    }

    /// Queues webhook deliveries for new answers' events (`outbox::events`), one per webhook of
    /// the answer's organisation that takes the event. SQLite reads the JSON with `json_each`.
    async fn insert_outbox(
        conn: &mut SqliteConnection,
        events: &str,
        now: super::sql::At,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_deliveries
                 (id, webhook_id, org_id, event, payload, created_at, attempts, next_attempt_at,
                  answer_id)
             SELECT randomblob(16), w.id, w.org_id, e.value ->> 'event', e.value ->> 'payload', $1, 0, $1,
                    unhex(e.value ->> 'answer')
             FROM json_each($2) e JOIN webhooks w
               ON w.org_id = unhex(e.value ->> 'org') AND w.revoked_at IS NULL
              AND instr(',' || w.events || ',', ',' || (e.value ->> 'event') || ',') > 0",
        )
        .bind(now)
        .bind(events)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

super::sql::store_helpers!(SqliteStore, SqliteConnection);

#[cfg(test)]
mod tests {
    use super::super::sql::At;
    use chrono::{DateTime, Utc};
    use sqlx::{Connection, SqliteConnection};

    /// A database as it stood before migration 0012 (text times, session expiry in seconds),
    /// moved by the real migrations: every row stays, at the same instant.
    #[tokio::test]
    async fn moving_time_to_milliseconds_keeps_every_row_and_instant() {
        let all = sqlx::migrate!("../migrations/sqlite");
        let before = sqlx::migrate::Migrator {
            migrations: all
                .migrations
                .iter()
                .filter(|m| m.version < 12)
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            ..sqlx::migrate!("../migrations/sqlite")
        };
        let mut db = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        before.run(&mut db).await.unwrap();
        let created = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap();
        let (org, token) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        // As the old code wrote them: chrono's text.
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Acme', $2)")
            .bind(org)
            .bind(created)
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO privacy_notices (id, org_id, version, language, body, content_hash, published_at)
             VALUES ($1, $2, 1, 'en', 'Notice', 'hash', $3)",
        )
        .bind(uuid::Uuid::new_v4())
        .bind(org)
        .bind(created)
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, name, token_hash, created_at, revoked_at)
             VALUES ($1, $2, 'ci', 'h', $3, $3)",
        )
        .bind(token)
        .bind(org)
        .bind(created)
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at) VALUES ('s', '{}', 1700000000)",
        )
        .execute(&mut db)
        .await
        .unwrap();

        all.run(&mut db).await.unwrap();

        let (org_at,): (At,) = sqlx::query_as("SELECT created_at FROM organisations")
            .fetch_one(&mut db)
            .await
            .unwrap();
        let (published,): (At,) = sqlx::query_as("SELECT published_at FROM privacy_notices")
            .fetch_one(&mut db)
            .await
            .unwrap();
        let (token_at, revoked): (At, Option<At>) =
            sqlx::query_as("SELECT created_at, revoked_at FROM api_tokens")
                .fetch_one(&mut db)
                .await
                .unwrap();
        let (expires,): (At,) = sqlx::query_as("SELECT expires_at FROM sessions")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!([org_at.0, published.0, token_at.0], [created; 3]);
        assert_eq!(revoked.map(|r| r.0), Some(created));
        assert_eq!(expires.0.timestamp(), 1_700_000_000);
        // Notices are still immutable.
        assert!(sqlx::query("UPDATE privacy_notices SET body = 'changed'")
            .execute(&mut db)
            .await
            .is_err());
    }
}
