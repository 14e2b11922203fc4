//! HTTP routes that are not Leptos pages: the ingest and reporting API and health checks.

pub mod error;
pub mod ingest;
pub mod summary;

use crate::startup::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/api/v1/responses",
            post(ingest::post_response).layer(DefaultBodyLimit::max(ingest::BODY_LIMIT)),
        )
        .route(
            "/api/v1/sites/{site_key}/summary",
            get(summary::site_summary),
        )
}
