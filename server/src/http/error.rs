//! The one error type of the HTTP edge. Clients get a status and a JSON body they can act on;
//! internal failures are logged in full and answered with an opaque 500.

use app::domain::FieldError;
use app::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// How long a client is asked to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Invalid(FieldError),
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    Throttled { retry_after_secs: u64 },
    #[error("this origin is not registered for the site")]
    OriginNotAllowed,
    #[error("this visitor has left the improvement program")]
    OptedOut,
    #[error("the time to change this answer has passed")]
    AmendExpired,
    /// The database cannot be reached for now: 503, try again after `Retry-After`.
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} is already taken")),
            StoreError::Unavailable(detail) => {
                tracing::warn!(detail, "database unavailable: answering 503");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// Server-function errors met by plain handlers (exports share the dashboard's code).
impl From<app::error::AppError> for ApiError {
    fn from(e: app::error::AppError) -> Self {
        use app::error::AppError;
        match e {
            AppError::Unauthorized => ApiError::Unauthorized,
            AppError::Forbidden => ApiError::Forbidden,
            AppError::NotFound => ApiError::NotFound,
            AppError::Invalid(field) => ApiError::Invalid(field),
            AppError::Throttled => ApiError::Throttled {
                retry_after_secs: 60,
            },
            AppError::Unavailable => ApiError::Unavailable,
            AppError::Internal | AppError::Transport(_) => {
                ApiError::Internal(anyhow::anyhow!("{e}"))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use super::public_api::ErrorBody;
        let (status, body) = match &self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("unauthorized").message("send Authorization: Bearer <API token>"),
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, ErrorBody::new("not_found")),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, ErrorBody::new("forbidden")),
            ApiError::Invalid(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    field: Some(e.field.clone()),
                    reason: Some(e.reason.clone()),
                    ..ErrorBody::new("invalid")
                },
            ),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::new("too_large")
                    .message(format!("the body may be at most {limit} bytes")),
            ),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                ErrorBody::new("conflict").message(message.clone()),
            ),
            ApiError::Throttled { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorBody {
                    retry_after: Some(*retry_after_secs),
                    ..ErrorBody::new("throttled")
                },
            ),
            ApiError::OriginNotAllowed => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("origin_not_allowed")
                    .message("add this origin to the site's allowed origins"),
            ),
            ApiError::OptedOut => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("opted_out")
                    .message("this visitor has left the improvement program"),
            ),
            ApiError::AmendExpired => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("amend_window_passed")
                    .message("the time to change this answer has passed"),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody::new("unavailable")
                    .message("the database is unavailable; try again shortly"),
            ),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new("internal"),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Throttled { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(UNAVAILABLE_RETRY_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
