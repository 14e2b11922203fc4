//! Sign-in throttling by exponential backoff after failures, per account *and address* and per
//! address: each failed attempt doubles the wait before the next one from the same place. No
//! lock can be held shut by someone else: an attacker's failures slow only their own address,
//! so the owner, signing in from theirs, is never kept out. Guessing from many addresses gets
//! a few free tries per address, which the password rules (12 characters, refused when common)
//! make hopeless. A success clears the account's record for that address.

use app::auth::SignInThrottle;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Consecutive failures and when the next attempt may come.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    until: Instant,
}

/// Waits that double with each failure past the free ones, up to a cap.
pub struct Backoff {
    free: u32,
    base: Duration,
    cap: Duration,
    entries: Mutex<HashMap<String, Failures>>,
}

impl Backoff {
    pub fn new(free: u32, base: Duration, cap: Duration) -> Backoff {
        Backoff {
            free,
            base,
            cap,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` must still wait, if at all.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        self.lock()
            .get(key)
            .and_then(|f| f.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    pub fn failed(&self, key: &str, now: Instant) {
        let mut entries = self.lock();
        if entries.len() > 100_000 {
            // Forget the ones whose wait is over: they start again from their free tries.
            entries.retain(|_, f| f.until > now);
        }
        let entry = entries.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            until: now,
        });
        entry.count = entry.count.saturating_add(1);
        let doublings = entry.count.saturating_sub(self.free);
        let wait = if doublings == 0 {
            Duration::ZERO
        } else {
            self.base
                .saturating_mul(1u32 << (doublings - 1).min(20))
                .min(self.cap)
        };
        entry.until = now + wait;
    }

    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }
}

pub struct SignInLimits {
    /// One account from one address: three free tries, then 1 s, 2 s, 4 s … up to 15 minutes.
    per_account_address: Backoff,
    /// One address over all accounts (trying many accounts): ten free, then the same.
    per_address: Backoff,
    trust_forwarded_for: bool,
}

impl SignInLimits {
    pub fn new(trust_forwarded_for: bool) -> SignInLimits {
        SignInLimits {
            per_account_address: Backoff::new(3, Duration::from_secs(1), Duration::from_secs(900)),
            per_address: Backoff::new(10, Duration::from_secs(1), Duration::from_secs(900)),
            trust_forwarded_for,
        }
    }

    fn keys(&self, email: &str, request: &Parts) -> (String, String) {
        let address = crate::http::client_address::digest(&crate::http::client_address::of(
            &request.headers,
            request.extensions.get::<ConnectInfo<SocketAddr>>().copied(),
            self.trust_forwarded_for,
        ));
        let account = crate::tokens::sha256_hex(email.as_bytes());
        (format!("{account}:{address}"), address)
    }
}

impl SignInThrottle for SignInLimits {
    fn check(&self, email: &str, request: &Parts) -> Result<(), u64> {
        let (pair, address) = self.keys(email, request);
        let now = Instant::now();
        match self
            .per_account_address
            .wait(&pair, now)
            .max(self.per_address.wait(&address, now))
        {
            Some(wait) => Err(wait.as_secs().max(1)),
            None => Ok(()),
        }
    }

    fn failed(&self, email: &str, request: &Parts) {
        let (pair, address) = self.keys(email, request);
        let now = Instant::now();
        self.per_account_address.failed(&pair, now);
        self.per_address.failed(&address, now);
    }

    fn succeeded(&self, email: &str, request: &Parts) {
        let (pair, address) = self.keys(email, request);
        self.per_account_address.succeeded(&pair);
        self.per_address.succeeded(&address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_tries_and_stop_at_the_cap() {
        let b = Backoff::new(2, Duration::from_secs(1), Duration::from_secs(5));
        let t = Instant::now();
        let mut waits = vec![];
        for _ in 0..6 {
            b.failed("k", t);
            waits.push(b.wait("k", t).map(|d| d.as_secs()).unwrap_or(0));
        }
        assert_eq!(waits, vec![0, 0, 1, 2, 4, 5]);
        assert_eq!(b.wait("other", t), None, "keys are separate");
        b.succeeded("k");
        assert_eq!(b.wait("k", t), None, "a success clears it");
    }

    #[test]
    fn a_wait_ends() {
        let b = Backoff::new(0, Duration::from_secs(1), Duration::from_secs(5));
        let t = Instant::now();
        b.failed("k", t);
        assert!(b.wait("k", t).is_some());
        assert_eq!(b.wait("k", t + Duration::from_secs(2)), None);
    }
}
