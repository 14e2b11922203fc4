//! The retention task: answers and survey events older than their organisation's retention are
//! deleted, while the aggregates keep their counts. Every app server runs it; the stores purge in slices that
//! concurrent servers skip past.

use app::store::PrivacyStore;
use std::sync::Arc;
use std::time::Duration;

pub fn spawn(store: Arc<dyn PrivacyStore>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match store.purge_expired(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "answers past their retention deleted"),
                Err(e) => tracing::error!(error = %e, "retention purge failed"),
            }
        }
    })
}
