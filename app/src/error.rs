//! The typed error every server function returns. It crosses to the browser as JSON, so it
//! carries only what a visitor or member may see: internal failures are logged on the server
//! and arrive as the opaque `Internal`.

use crate::domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Invalid(FieldError),
    #[error("Too many attempts. Please wait a minute and try again.")]
    Throttled,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The database cannot be reached for a moment: try again shortly (503).
    #[error("Farewell is briefly unavailable. Please try again in a moment.")]
    Unavailable,
    /// The request never reached the function, or its reply could not be read.
    #[error("Could not reach Farewell: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, reason: &str) -> AppError {
        AppError::Invalid(FieldError::new(field, reason))
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(reason) | ServerFnErrorErr::MissingArg(reason) => {
                AppError::Invalid(FieldError::new("form", reason))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        if let crate::store::StoreError::Unavailable(detail) = &e {
            tracing::warn!(detail, "database unavailable in a server function");
            return AppError::Unavailable;
        }
        tracing::error!(error = %e, "store failure in a server function");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status this error stands for.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Gives a server function's failed reply the status of its error (401, 403, 404, 422, …)
/// instead of a generic 500, so API clients and caches can tell the cases apart.
#[cfg(feature = "ssr")]
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(e.status());
        }
    }
    result
}
