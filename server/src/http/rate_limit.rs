//! Token-bucket rate limits for the visitor-facing API, per site and per client. A client is a
//! digest of its address (see `client_address`), held in memory only: it is never stored.

use super::error::ApiError;
use app::store::{PeerSpend, Spend};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size: how many requests may come at once.
    pub burst: f64,
}

pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// What was let through since the last exchange with the other app servers, per key;
    /// `None` when this limiter is not shared.
    spent: Option<Mutex<HashMap<String, f64>>>,
    /// Cleared when there is nobody to share with (SQLite), so requests stop recording.
    sharing: std::sync::atomic::AtomicBool,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
            spent: None,
            sharing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A limiter whose spending is exchanged with other app servers (see `share`).
    pub fn shared(rate: Rate) -> RateLimiter {
        RateLimiter {
            spent: Some(Mutex::new(HashMap::new())),
            sharing: std::sync::atomic::AtomicBool::new(true),
            ..RateLimiter::new(rate)
        }
    }

    /// Takes tokens that another app server spent on `key` (the bucket may go below zero:
    /// this server then refuses until the refill catches up).
    pub fn deduct(&self, key: &str, amount: f64) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, at) = buckets
            .entry(key.to_owned())
            .or_insert((self.rate.burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate.per_second)
            .min(self.rate.burst);
        *tokens = (refilled - amount).max(-self.rate.burst);
        *at = now;
    }

    /// What this server let through since the last call, per key.
    pub fn take_spent(&self) -> Vec<(String, f64)> {
        match &self.spent {
            Some(spent) => spent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
                .collect(),
            None => vec![],
        }
    }

    /// Takes `cost` tokens from `key`'s bucket, or says how long until there are enough. A
    /// request larger than the burst (a batch of 40 items under a burst of 30) would wait for
    /// tokens that never come: it needs only a full bucket, and takes its whole cost, leaving
    /// the bucket in debt (the next request waits for it to be paid).
    pub fn check(&self, key: &str, cost: f64) -> Result<(), Duration> {
        let needed = cost.min(self.rate.burst);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget full buckets: they behave exactly like new ones.
            let rate = self.rate;
            buckets.retain(|_, (tokens, at)| {
                *tokens + at.elapsed().as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let (tokens, at) = buckets
            .entry(key.to_owned())
            .or_insert((self.rate.burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate.per_second)
            .min(self.rate.burst);
        if refilled >= needed {
            *tokens = refilled - cost;
            *at = now;
            if let Some(spent) = self
                .spent
                .as_ref()
                .filter(|_| self.sharing.load(std::sync::atomic::Ordering::Relaxed))
            {
                *spent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(key.to_owned())
                    .or_default() += cost;
            }
            Ok(())
        } else {
            let wait = (needed - refilled) / self.rate.per_second;
            Err(Duration::from_secs_f64(wait))
        }
    }
}

/// The per-site and per-client limits together. Per-site limits are shared between app servers
/// on one PostgreSQL; per-client ones stay in each server's memory, since a client's digest
/// must never be stored.
pub struct IngestLimits {
    pub per_site: std::sync::Arc<RateLimiter>,
    pub per_client: RateLimiter,
}

/// Exchanges per-site spending with the other app servers every `every`, so a site's limit
/// holds across all of them (to within one interval's worth of requests). Ends at once where
/// only one server can run.
pub fn share(
    limiter: std::sync::Arc<RateLimiter>,
    store: std::sync::Arc<dyn app::store::ClusterStore>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let me = uuid::Uuid::new_v4();
        // What was already taken from the buckets, per (key, server, second).
        let mut applied: HashMap<(String, uuid::Uuid, i64), f64> = HashMap::new();
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let now = chrono::Utc::now().timestamp();
            let mine: Vec<Spend> = limiter
                .take_spent()
                .into_iter()
                .map(|(key, spent)| Spend { key, spent })
                .collect();
            match store.exchange_spend(me, now, &mine, now - 10).await {
                Ok(None) => {
                    // One server only: stop recording spend on every request.
                    limiter
                        .sharing
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    limiter.take_spent();
                    return;
                }
                Ok(Some(others)) => {
                    for PeerSpend {
                        key,
                        instance: server,
                        second,
                        spent,
                    } in others
                    {
                        let seen = applied.entry((key.clone(), server, second)).or_default();
                        if spent > *seen {
                            limiter.deduct(&key, spent - *seen);
                            *seen = spent;
                        }
                    }
                    applied.retain(|(_, _, second), _| *second >= now - 10);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "rate limits not exchanged this time");
                }
            }
        }
    })
}

impl IngestLimits {
    pub fn check(&self, site_key: &str, client: &str, cost: usize) -> Result<(), ApiError> {
        let cost = cost.max(1) as f64;
        self.per_client
            .check(client, cost)
            .and_then(|_| self.per_site.check(site_key, cost))
            // Rounded up: a client that waits as told finds its tokens there.
            .map_err(|wait| ApiError::Throttled {
                retry_after_secs: (wait.as_secs_f64().ceil() as u64).max(1),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 3.0,
        });
        for _ in 0..3 {
            assert!(limiter.check("a", 1.0).is_ok());
        }
        let wait = limiter.check("a", 1.0).unwrap_err();
        assert!(
            wait > Duration::from_millis(500) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(limiter.check("b", 1.0).is_ok(), "buckets are per key");
    }

    #[test]
    fn a_request_larger_than_the_burst_passes_with_a_full_bucket_and_pays_in_full() {
        let limiter = RateLimiter::new(Rate {
            per_second: 10.0,
            burst: 3.0,
        });
        assert!(limiter.check("a", 5.0).is_ok());
        // Two tokens in debt, and a full bucket of three needed again: half a second.
        let wait = limiter.check("a", 5.0).unwrap_err();
        assert!(
            wait > Duration::from_millis(450) && wait <= Duration::from_millis(500),
            "{wait:?}: all five tokens paid, not three"
        );
        std::thread::sleep(wait);
        assert!(limiter.check("a", 5.0).is_ok(), "waiting as told is enough");
    }

    #[test]
    fn tokens_come_back_with_time() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1000.0,
            burst: 1.0,
        });
        assert!(limiter.check("a", 1.0).is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.check("a", 1.0).is_ok());
    }
}
