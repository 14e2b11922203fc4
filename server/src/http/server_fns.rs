//! How every server function ends. A server function that fails answers with its `AppError` as
//! JSON, and the server function runtime gives every failure 500, even one that never reached the
//! function (arguments that do not parse) or one the function did not mark. This is the one
//! place that gives each failure the status of its error: 401, 403, 404, 422, 429, 503, and 500
//! only for what truly failed on our side.

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// Errors are a few hundred bytes; anything larger is not one of ours.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

pub async fn status_of_errors(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/fn/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, ERROR_BODY_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}
