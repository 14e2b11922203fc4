//! Sign-in throttling by exponential backoff after failures: each failed attempt doubles the
//! wait before the next one from the same place. No one can hold an account shut:
//! - a browser the member has signed in from before carries a cookie signed for that account
//!   (`farewell_device`); its attempts are counted on their own, so nobody else's failures,
//!   even from the same address (a proxy, an office, a carrier's NAT), ever slow it down;
//! - every other attempt is counted per account-and-address and per address, so an attacker's
//!   failures slow only the attacker's address.
//!
//! An attempt counts as a failure from the moment it starts (and is forgiven on success), so
//! parallel guesses cannot all pass the count before any of them fails. Guessing from many
//! addresses gets a few free tries per address, which the password rules (12 characters,
//! refused when common) make hopeless.

use app::auth::SignInThrottle;
use axum::extract::ConnectInfo;
use axum::http::header;
use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie that marks a browser its member has signed in from.
pub const DEVICE_COOKIE: &str = "farewell_device";
const DEVICE_COOKIE_DAYS: u32 = 365;

/// When waits start and how they grow.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures before any wait.
    pub free: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Policy {
    fn wait_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(self.free);
        if doublings == 0 {
            Duration::ZERO
        } else {
            self.base
                .saturating_mul(1u32 << (doublings - 1).min(20))
                .min(self.cap)
        }
    }
}

/// Consecutive failures and when the next attempt may come.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    until: Instant,
}

/// Backoff records for many keys under one lock, so an attempt checks and counts all its
/// keys at once.
#[derive(Default)]
pub struct Backoffs {
    entries: Mutex<HashMap<String, Failures>>,
}

impl Backoffs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes an attempt under every key: `Err(wait)` if any of them must still wait (nothing
    /// is counted then); otherwise each key counts one more failure, to be forgiven.
    pub fn take(&self, keys: &[(String, Policy)], now: Instant) -> Result<(), Duration> {
        let mut entries = self.lock();
        if entries.len() > 100_000 {
            // Forget the ones whose wait is over: they start again from their free tries.
            entries.retain(|_, f| f.until > now);
        }
        let wait = keys
            .iter()
            .filter_map(|(key, _)| entries.get(key))
            .filter_map(|f| f.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, policy) in keys {
            let entry = entries.entry(key.clone()).or_insert(Failures {
                count: 0,
                until: now,
            });
            entry.count = entry.count.saturating_add(1);
            entry.until = now + policy.wait_after(entry.count);
        }
        Ok(())
    }

    pub fn forgive(&self, keys: &[(String, Policy)]) {
        let mut entries = self.lock();
        for (key, _) in keys {
            entries.remove(key);
        }
    }
}

pub struct SignInLimits {
    backoffs: Backoffs,
    /// Signs the device cookie; shared by every app server of the database.
    device_key: Vec<u8>,
    trust_forwarded_for: bool,
    secure_cookies: bool,
}

/// One account from one address, and one account from its known browsers: three free tries,
/// then 1 s, 2 s, 4 s … up to 15 minutes.
const PER_ACCOUNT: Policy = Policy {
    free: 3,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(900),
};
/// One address over every account (trying many accounts): ten free, then the same.
const PER_ADDRESS: Policy = Policy {
    free: 10,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(900),
};

impl SignInLimits {
    pub fn new(device_key: Vec<u8>, trust_forwarded_for: bool, secure_cookies: bool) -> Self {
        SignInLimits {
            backoffs: Backoffs::default(),
            device_key,
            trust_forwarded_for,
            secure_cookies,
        }
    }

    fn account(email: &str) -> String {
        crate::tokens::sha256_hex(email.as_bytes())
    }

    /// The device cookie's value for an account: an HMAC nobody without the key can make.
    fn device_token(&self, account: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.device_key).expect("HMAC takes any key");
        mac.update(b"sign-in device\n");
        mac.update(account.as_bytes());
        crate::tokens::hex(&mac.finalize().into_bytes())
    }

    fn known_device(&self, account: &str, request: &Parts) -> bool {
        let want = self.device_token(account);
        request
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| {
                name == DEVICE_COOKIE && crate::http::operations::token_matches(&want, value)
            })
    }

    fn keys(&self, email: &str, request: &Parts) -> Vec<(String, Policy)> {
        let account = Self::account(email);
        if self.known_device(&account, request) {
            return vec![(format!("device:{account}"), PER_ACCOUNT)];
        }
        let address = crate::http::client_address::digest(&crate::http::client_address::of(
            &request.headers,
            request.extensions.get::<ConnectInfo<SocketAddr>>().copied(),
            self.trust_forwarded_for,
        ));
        vec![
            (format!("pair:{account}:{address}"), PER_ACCOUNT),
            (format!("address:{address}"), PER_ADDRESS),
        ]
    }
}

impl SignInThrottle for SignInLimits {
    fn attempt(&self, email: &str, request: &Parts) -> Result<(), u64> {
        self.backoffs
            .take(&self.keys(email, request), Instant::now())
            .map_err(|wait| wait.as_secs().max(1))
    }

    fn succeeded(&self, email: &str, request: &Parts) -> Option<String> {
        self.backoffs.forgive(&self.keys(email, request));
        let token = self.device_token(&Self::account(email));
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        Some(format!(
            "{DEVICE_COOKIE}={token}; Path=/fn; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            DEVICE_COOKIE_DAYS * 86_400
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        free: 2,
        base: Duration::from_secs(1),
        cap: Duration::from_secs(5),
    };

    #[test]
    fn waits_double_after_the_free_tries_and_stop_at_the_cap() {
        let b = Backoffs::default();
        let keys = [("k".to_string(), P)];
        let mut t = Instant::now();
        let mut waits = vec![];
        for _ in 0..6 {
            b.take(&keys, t).unwrap();
            let wait = b.lock()["k"].until.saturating_duration_since(t);
            waits.push(wait.as_secs());
            t += wait;
        }
        assert_eq!(waits, vec![0, 0, 1, 2, 4, 5]);
        b.forgive(&keys);
        assert!(b.take(&keys, t).is_ok(), "a success clears it");
    }

    #[test]
    fn an_attempt_counts_before_it_is_judged() {
        // Three attempts at once, none judged yet: the third already waits.
        let b = Backoffs::default();
        let keys = [("k".to_string(), P)];
        let t = Instant::now();
        assert!(b.take(&keys, t).is_ok());
        assert!(b.take(&keys, t).is_ok());
        assert!(b.take(&keys, t).is_ok(), "the third starts the wait");
        assert!(b.take(&keys, t).is_err(), "the fourth must wait");
        assert!(b.take(&keys, t + Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn a_key_that_must_wait_holds_the_others_back_uncounted() {
        let b = Backoffs::default();
        let t = Instant::now();
        let busy = [("a".to_string(), Policy { free: 0, ..P })];
        b.take(&busy, t).unwrap();
        let both = [("a".to_string(), P), ("b".to_string(), P)];
        assert!(b.take(&both, t).is_err());
        assert!(!b.lock().contains_key("b"), "nothing counted when refused");
    }
}
