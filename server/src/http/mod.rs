//! HTTP routes that are not Leptos pages: the visitor API (ingest, widget configuration), the
//! reporting API, and health checks.

pub mod client_address;
pub mod config;
pub mod csrf;
pub mod data_requests;
pub mod error;
pub mod extract;
pub mod headers;
pub mod hosted_form;
pub mod ingest;
pub mod openapi;
pub mod operations;
pub mod plain_forms;
pub mod precompressed;
pub mod public_api;
pub mod rate_limit;
pub mod report;
pub mod server_fns;
pub mod sign_in_throttle;
pub mod site_cache;
pub mod summary;
pub mod unsubscribe;
pub mod visitor;

use crate::startup::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(operations::health))
        .route(
            "/digest/unsubscribe",
            get(unsubscribe::ask).post(unsubscribe::stop),
        )
        .route("/readyz", get(operations::ready))
        .route("/metrics", get(operations::metrics))
        .route("/api/openapi.json", get(operations::openapi))
        .route(
            "/api/v1/responses",
            post(ingest::post_response)
                .layer(DefaultBodyLimit::max(ingest::BODY_LIMIT))
                .options(visitor::preflight),
        )
        .route(
            "/api/v1/batch",
            post(ingest::post_batch)
                .layer(DefaultBodyLimit::max(ingest::BATCH_BODY_LIMIT))
                .options(visitor::preflight),
        )
        .route(
            "/api/v1/sites/{site_key}/config",
            get(config::widget_config).options(visitor::preflight),
        )
        .route(
            "/api/v1/sites/{site_key}/participation",
            post(config::participation)
                .layer(DefaultBodyLimit::max(config::PARTICIPATION_BODY_LIMIT))
                .options(visitor::preflight),
        )
        .route(
            "/api/v1/sites/{site_key}/summary",
            get(summary::site_summary),
        )
        .route("/api/v1/sites/{site_key}/report", get(report::api_report))
        .route("/api/v1/sites/{site_key}/themes", get(report::api_themes))
        .route("/api/v1/sites/{site_key}/drivers", get(report::api_drivers))
        .route(
            "/api/v1/sites/{site_key}/responses",
            get(report::api_responses),
        )
        .route(
            "/my-answers",
            axum::routing::post(data_requests::my_answers)
                .layer(DefaultBodyLimit::max(data_requests::MY_ANSWERS_BODY_LIMIT)),
        )
        .route("/w.js", get(crate::widget::loader))
        .route("/w/exit", get(crate::widget::exit_window))
        .route("/w/preview", get(crate::widget::preview))
        .route("/w/{file}", get(crate::widget::asset))
}
