//! Sign-in attempts are limited per account (against guessing one password) and per client
//! (against trying many accounts), with the same token buckets as the visitor API.

use super::rate_limit::{Rate, RateLimiter};
use app::auth::SignInThrottle;
use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts};
use std::net::SocketAddr;

pub struct SignInLimits {
    per_account: RateLimiter,
    per_client: RateLimiter,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            // Five attempts at once, then one a minute.
            per_account: RateLimiter::new(Rate {
                per_second: 1.0 / 60.0,
                burst: 5.0,
            }),
            // Twenty at once, then one every ten seconds.
            per_client: RateLimiter::new(Rate {
                per_second: 0.1,
                burst: 20.0,
            }),
        }
    }
}

impl SignInThrottle for SignInLimits {
    fn check(&self, email: &str, request: &Parts) -> Result<(), u64> {
        let address = request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip().to_string())
            .unwrap_or_default();
        let agent = request
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let client = crate::tokens::sha256_hex(format!("{address}\n{agent}").as_bytes());
        self.per_account
            .check(&format!("account:{email}"), 1.0)
            .and_then(|_| self.per_client.check(&format!("client:{client}"), 1.0))
            .map_err(|wait| wait.as_secs().max(1))
    }
}
