//! The ingest path asks for a site by its public key on every request; the answer changes only
//! when an admin edits the site, its surveys or its notice. A few seconds of caching takes those
//! reads off the hot path (each app server keeps its own; `--visitor-cache-ms` says how long,
//! which is how stale an edit may be when it reaches ingest).

use app::domain::SiteKey;
use app::store::{PublicSite, SharedStore, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// Unknown keys are cached too (a flood of them costs no queries), and evicted first when the
// cache is full (`config::evict_when_full`).

type Entry = (Instant, Option<Arc<PublicSite>>);

pub struct SiteCache {
    store: SharedStore,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl SiteCache {
    pub fn new(store: SharedStore, ttl: Duration) -> SiteCache {
        SiteCache {
            store,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(&self, site_key: &SiteKey) -> StoreResult<Option<Arc<PublicSite>>> {
        if let Some((at, site)) = self.lock().get(site_key.as_str()) {
            if at.elapsed() < self.ttl {
                return Ok(site.clone());
            }
        }
        let site = self.store.public_site(site_key).await?.map(Arc::new);
        let mut entries = self.lock();
        super::config::evict_when_full(&mut entries);
        entries.insert(site_key.as_str().to_owned(), (Instant::now(), site.clone()));
        Ok(site)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
