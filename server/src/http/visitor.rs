//! What every visitor-facing request goes through: the site's allowed origins (CORS), the rate
//! limits, and the Global Privacy Control signal. Requests without an `Origin` (apps, servers)
//! are accepted by site key under the same limits.

use super::error::ApiError;
use super::rate_limit::IngestLimits;
use app::store::Site;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub struct VisitorGate {
    pub limits: IngestLimits,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

/// A request's standing, worked out once by `VisitorGate::admit`.
pub struct Admitted {
    /// The `Origin` to echo in `Access-Control-Allow-Origin`, if the request had one.
    pub origin: Option<HeaderValue>,
    /// `Sec-GPC: 1`: the browser asks not to be tracked, which Farewell takes as an opt-out.
    pub gpc: bool,
}

impl VisitorGate {
    /// Checks origin and rate limits for `site`; `cost` is how many items the request carries.
    pub fn admit(
        &self,
        site: &Site,
        headers: &HeaderMap,
        peer: Option<ConnectInfo<SocketAddr>>,
        cost: usize,
    ) -> Result<Admitted, Box<Response>> {
        let origin = allowed_origin(headers, site).map_err(|e| Box::new(e.into_response()))?;
        // Throttled, the page of an allowed origin can read its 429 (not a CORS failure).
        self.limits
            .check(&site.site_key, &self.client_key(headers, peer), cost)
            .map_err(|e| Box::new(with_cors(origin.as_ref(), e)))?;
        let gpc = headers
            .get("sec-gpc")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "1");
        Ok(Admitted { origin, gpc })
    }

    /// Who the client is for rate limiting: its address (the socket peer, or the forwarded
    /// address behind a trusted proxy), digested and kept in memory only. Nothing the client
    /// chooses, such as its User-Agent, enters the key: a new one per request must not buy a
    /// new bucket.
    fn client_key(&self, headers: &HeaderMap, peer: Option<ConnectInfo<SocketAddr>>) -> String {
        crate::http::client_address::digest(&crate::http::client_address::of(
            headers,
            peer,
            self.trust_forwarded_for,
        ))
    }
}

/// The hosted survey's form goes through the same limits as the API (its origin is Farewell's
/// own, checked by the CSRF layer).
impl app::ingest::VisitorLimits for VisitorGate {
    fn check(
        &self,
        site_key: &str,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        cost: usize,
    ) -> Result<(), u64> {
        self.limits
            .check(
                site_key,
                &self.client_key(headers, peer.map(ConnectInfo)),
                cost,
            )
            .map_err(|e| match e {
                ApiError::Throttled { retry_after_secs } => retry_after_secs,
                _ => 1,
            })
    }
}

/// `Origin` must be one the site registered, or Farewell's own host (the hosted exit window).
pub fn allowed_origin(headers: &HeaderMap, site: &Site) -> Result<Option<HeaderValue>, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let text = origin
        .to_str()
        .map_err(|_| ApiError::OriginNotAllowed)?
        .trim_end_matches('/');
    let registered = site
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(text));
    let own_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            text.split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
        });
    if registered || own_host {
        Ok(Some(origin.clone()))
    } else {
        Err(ApiError::OriginNotAllowed)
    }
}

/// Adds the CORS headers a browser needs to read the answer (errors included).
pub fn with_cors(origin: Option<&HeaderValue>, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    response
}

/// Answers CORS preflights for the visitor API. The real request is checked against the site's
/// origins when it arrives, so the preflight itself can be permissive.
pub async fn preflight(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    if let Some(origin) = headers.get(header::ORIGIN) {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    out.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    out.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}
