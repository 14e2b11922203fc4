//! The storage backends behind `app::store::Store`, one folder each (`sqlite/`, `postgres/`),
//! with a file per role trait named alike in both. What both backends share — statements, row
//! types, and the methods whose SQL is the same — is in `sql/`. Which backend runs is decided
//! once, at start-up, by the database URL's scheme.

mod aggregates;
mod outbox;
mod postgres;
mod sql;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use anyhow::{bail, Context};
use app::nps::{Score, ScoreCounts};
use app::store::{SharedStore, StoreError, StoreResult};
use std::sync::Arc;

/// Connects to the database the URL names and brings its schema up to date.
pub async fn connect(database_url: &str) -> anyhow::Result<SharedStore> {
    let scheme = database_url.split(':').next().unwrap_or_default();
    let store: SharedStore = match scheme {
        "sqlite" => Arc::new(
            SqliteStore::connect(database_url)
                .await
                .context("opening SQLite")?,
        ),
        "postgres" | "postgresql" => Arc::new(
            PostgresStore::connect(database_url)
                .await
                .context("connecting to PostgreSQL")?,
        ),
        other => bail!("unsupported database URL scheme {other:?}: use sqlite:// or postgres://"),
    };
    tracing::info!(backend = store.backend(), "storage ready");
    Ok(store)
}

/// Answers counted into the aggregates per transaction. Small, so the group commit never waits
/// long for the write lock: at 5 000, ingest's p99 latency on SQLite was 37 ms; at 500, 12 ms
/// (scripts/bench-ingest.sh), for the same throughput.
pub const COUNT_SLICE: u32 = 500;

/// Counts waiting answers slice by slice until a slice comes back short (the queue is drained)
/// or `max_slices` have been counted; returns how many were counted.
pub async fn count_waiting(
    store: &dyn app::store::CountingStore,
    max_slices: usize,
) -> StoreResult<u64> {
    let mut counted = 0;
    for _ in 0..max_slices {
        let n = store.count_new_answers(COUNT_SLICE).await?;
        counted += n;
        if n < u64::from(COUNT_SLICE) {
            break;
        }
    }
    Ok(counted)
}

/// Answers a step of a theme walk reads (`CountingStore::tag_past_answers`): like a count's
/// slice, short enough that the group commit never waits long for the write lock.
pub const TAG_SLICE: u32 = 1_000;

/// Takes steps of the waiting theme walks until none is waiting or `max_slices` were taken;
/// returns how many answers were read.
pub async fn tag_waiting(
    store: &dyn app::store::CountingStore,
    max_slices: usize,
) -> StoreResult<u64> {
    let mut walked = 0;
    for _ in 0..max_slices {
        let n = store.tag_past_answers(TAG_SLICE).await?;
        if n == 0 {
            break;
        }
        walked += n;
    }
    Ok(walked)
}

/// Purged answers stay in the aggregates, so what is waiting to be counted is counted before a
/// purge (which skips answers still uncounted, in case more arrive meanwhile). Bounded, so a
/// flood of new answers cannot keep the purge waiting.
async fn count_before_purging(store: &dyn app::store::CountingStore) -> StoreResult<()> {
    count_waiting(store, 100).await.map(|_| ())
}

/// SHA-256 of a notice's text: what a consent record points at.
pub(crate) fn content_hash(body: &str) -> String {
    crate::tokens::sha256_hex(body.as_bytes())
}

pub(crate) fn new_site_key() -> String {
    // 80 random bits: public, but not guessable from another site's key.
    format!("st_{}", crate::tokens::random_hex(10))
}

/// Maps a driver error, turning unique-constraint violations into `Conflict(what)`.
pub(crate) fn map_err(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => backend(e),
    }
}

pub(crate) fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    match (&e as &dyn std::any::Any).downcast_ref::<sqlx::Error>() {
        Some(driver) if is_unavailable(driver) => StoreError::Unavailable(driver.to_string()),
        _ => StoreError::Backend(Box::new(e)),
    }
}

/// Whether a driver error means the database cannot be reached for now, rather than that this
/// request was wrong: the connection failed or was closed, the pool timed out, the server is
/// shutting down or starting (SQLSTATE classes 08 and 57P, too many connections), or SQLite's
/// file stayed locked.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                // SQLite: SQLITE_BUSY and SQLITE_LOCKED, after the busy timeout.
                || code == "5"
                || code == "6"
        }
        _ => false,
    }
}

/// Folds `(score, count)` rows into counts, refusing a score the schema should have refused.
pub(crate) fn counts_from_rows(rows: Vec<sql::rows::ScoreCountRow>) -> StoreResult<ScoreCounts> {
    let mut counts = ScoreCounts::default();
    for row in rows {
        let score = Score::try_from(i64::from(row.score)).map_err(backend)?;
        counts.add_many(score, row.answers.max(0) as u64);
    }
    Ok(counts)
}

/// Splits a search into the words a full-text index matches, dropping punctuation (which the
/// indexes' query languages would otherwise read as operators).
pub(crate) fn search_words(search: &str) -> Vec<String> {
    search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| w.to_lowercase())
        .collect()
}

/// Whether any webhook exists, re-read at most every few seconds: the ingest path builds event
/// payloads only when someone can receive them. (A webhook made on another app server starts
/// receiving within `WEBHOOK_PRESENCE_TTL`.)
#[derive(Debug, Default)]
pub(crate) struct WebhookPresence {
    checked: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
}

const WEBHOOK_PRESENCE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl WebhookPresence {
    /// The cached answer, if still fresh.
    pub(crate) fn fresh(&self) -> Option<bool> {
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked
            .filter(|(at, _)| at.elapsed() < WEBHOOK_PRESENCE_TTL)
            .map(|(_, any)| any)
    }

    pub(crate) fn set(&self, any: bool) {
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), any));
    }
}

/// The wait before retry number `attempt` (1-based): base × 2^(attempt−1), at most an hour.
pub fn retry_delay(base: std::time::Duration, attempt: u32) -> std::time::Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    (base * factor).min(std::time::Duration::from_secs(3600))
}

/// Each answer's outcome, in batch order, from the ids the insert wrote and the `(id, site)` of
/// stored answers with the batch's ids. An id repeated within a batch is inserted once; its
/// later copies are duplicates.
pub(crate) fn outcomes(
    batch: &[app::store::StoredResponse],
    inserted: &[uuid::Uuid],
    existing: &[(uuid::Uuid, uuid::Uuid)],
) -> Vec<app::store::InsertOutcome> {
    use app::store::InsertOutcome;
    use std::collections::{HashMap, HashSet};
    let mut fresh: HashSet<uuid::Uuid> = inserted.iter().copied().collect();
    // Stored before this batch, or by an earlier copy within it.
    let mut stored: HashMap<uuid::Uuid, uuid::Uuid> = existing.iter().copied().collect();
    batch
        .iter()
        .map(|r| {
            if fresh.remove(&r.id) {
                stored.insert(r.id, r.site_id);
                InsertOutcome::Inserted
            } else {
                match stored.get(&r.id) {
                    Some(site) if *site == r.site_id => InsertOutcome::Duplicate,
                    Some(_) => InsertOutcome::IdTaken,
                    None => InsertOutcome::OptedOut,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::outcomes;
    use app::domain::{ConsentChoices, UsageContext};
    use app::store::{InsertOutcome, StoredResponse};
    use uuid::Uuid;

    fn answer(id: Uuid, site: Uuid) -> StoredResponse {
        StoredResponse {
            id,
            org_id: Uuid::nil(),
            site_id: site,
            survey_id: Uuid::nil(),
            score: 5u8.try_into().unwrap(),
            comment: None,
            language: None,
            received_at: chrono::Utc::now(),
            notice_id: Uuid::nil(),
            choices: ConsentChoices::improvement_program(),
            context: UsageContext::default(),
            respondent_id: None,
            contact_email: None,
            edit_secret_hash: None,
            reason: None,
            user_hash: None,
            account_hash: None,
        }
    }

    #[test]
    fn outcomes_tell_new_retried_taken_and_refused_apart() {
        let (site, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (new, twice, old, foreign, refused) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let batch = [
            answer(new, site),
            answer(twice, site),
            answer(twice, site), // the same id twice in one batch: written once
            answer(old, site),
            answer(foreign, site),
            answer(refused, site),
        ];
        let got = outcomes(&batch, &[new, twice], &[(old, site), (foreign, other)]);
        assert_eq!(
            got,
            [
                InsertOutcome::Inserted,
                InsertOutcome::Inserted,
                InsertOutcome::Duplicate,
                InsertOutcome::Duplicate,
                InsertOutcome::IdTaken,
                InsertOutcome::OptedOut,
            ]
        );
    }
}
