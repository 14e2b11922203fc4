//! Endpoints for operators: readiness, Prometheus metrics and the API's OpenAPI document.

use crate::startup::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::atomic::Ordering;

/// `GET /readyz`: 200 when the database answers, 503 otherwise (take the instance out of the
/// load balancer; `/healthz` only says the process is up).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "the database answers"),
        (status = 503, description = "the database does not answer"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Whether `given` is the metrics token, in time that does not depend on where they differ:
/// both are hashed first, then the digests compared in constant time.
pub fn token_matches(expected: &str, given: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(given.as_bytes()))
        .into()
}

/// `GET /metrics`: Prometheus text format, for `Authorization: Bearer <FAREWELL_METRICS_TOKEN>`
/// only. Without a configured token the endpoint does not exist (404): what routes are busy
/// and how many answers arrive is not for the public.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security(("metrics" = [])),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, description = "no valid metrics token"),
        (status = 404, description = "no metrics token is configured"),
    )
)]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    let Some(expected) = state.metrics_token.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            String::new(),
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !token_matches(expected, given) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain")],
            String::new(),
        );
    }
    let stats = state.queue.stats();
    let uncounted = state
        .store
        .uncounted_answers()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "counting the uncounted answers failed"))
        .ok();
    let body = state.metrics.render(
        stats.batches.load(Ordering::Relaxed),
        stats.answers.load(Ordering::Relaxed),
        state.queue.depth(),
        uncounted,
        state
            .ingest
            .settings
            .attributes_dropped
            .load(Ordering::Relaxed),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
}

/// `GET /healthz`: 200 while the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "ok")))]
pub async fn health() -> &'static str {
    "ok"
}

/// `GET /api/openapi.json`: the REST API described as OpenAPI 3.1, derived from the handlers
/// (`http::openapi`).
pub async fn openapi() -> impl IntoResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.get_or_init(super::openapi::document).as_str(),
    )
}
