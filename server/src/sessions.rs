//! Browser sessions for members, kept in the same database through the `Store` trait, so they
//! survive restarts and are shared by every app server on one PostgreSQL.

use app::store::{SessionRecord, SharedStore};
use async_trait::async_trait;
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub struct DatabaseSessions {
    store: SharedStore,
}

impl std::fmt::Debug for DatabaseSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSessions").finish_non_exhaustive()
    }
}

impl DatabaseSessions {
    pub fn new(store: SharedStore) -> Self {
        DatabaseSessions { store }
    }

    /// Deletes expired sessions every `period` until the process ends.
    pub fn spawn_cleanup(&self, period: Duration) {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                match store.delete_expired_sessions(chrono::Utc::now()).await {
                    Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
                }
            }
        });
    }
}

/// The key a session is stored under: a digest, so the table holds no usable session id.
fn key(id: &Id) -> String {
    crate::tokens::sha256_hex(id.to_string().as_bytes())
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// A record as stored: its data, expiry, and the member it belongs to.
fn stored(record: &Record) -> session_store::Result<SessionRecord> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(app::auth::USER_ID_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    Ok(SessionRecord {
        data,
        user_id,
        expires_at: chrono::DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0)
            .ok_or_else(|| session_store::Error::Encode("expiry out of range".into()))?,
    })
}

#[async_trait]
impl SessionStore for DatabaseSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let row = stored(record)?;
        while !self
            .store
            .create_session(&key(&record.id), &row)
            .await
            .map_err(backend)?
        {
            // 128 random bits collided: take another id.
            record.id = Id::default();
        }
        Ok(())
    }

    /// Only updates: a session ended meanwhile is not written back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store
            .save_session(&key(&record.id), &stored(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(stored) = self.store.load_session(&key(id)).await.map_err(backend)? else {
            return Ok(None);
        };
        let expiry_date =
            OffsetDateTime::from_unix_timestamp(stored.expires_at.timestamp()).map_err(backend)?;
        if expiry_date <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let data = serde_json::from_str(&stored.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete_session(&key(id)).await.map_err(backend)
    }
}
