//! Endpoints for operators: readiness, Prometheus metrics and the API's OpenAPI document.

use crate::startup::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::atomic::Ordering;

/// `GET /readyz`: 200 when the database answers, 503 otherwise (take the instance out of the
/// load balancer; `/healthz` only says the process is up).
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// `GET /metrics`: Prometheus text format. With `FAREWELL_METRICS_TOKEN` set, it asks for
/// `Authorization: Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> impl IntoResponse {
    if let Ok(expected) = std::env::var("FAREWELL_METRICS_TOKEN") {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "text/plain")],
                String::new(),
            );
        }
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
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
}

/// `GET /api/openapi.json`: the REST API described as OpenAPI 3.1.
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
