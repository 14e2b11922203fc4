//! What a handler takes from a request before it runs: who is calling (an organisation's API
//! token, a signed-in member) and a JSON body read within its limit and checked field by field.
//! Each refuses with the one `ApiError`, so a handler starts from values already checked.

use super::error::ApiError;
use app::auth::Member;
use app::domain::FieldError;
use app::store::SharedStore;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// The organisation whose API token (`Authorization: Bearer fw_…`) the request carries.
pub struct ApiOrg(pub Uuid);

impl<S> FromRequestParts<S> for ApiOrg
where
    SharedStore: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let store = SharedStore::from_ref(state);
        organisation_of_token(&store, &parts.headers)
            .await
            .map(ApiOrg)
    }
}

/// The organisation an API token belongs to; the token is checked by shape before any query.
async fn organisation_of_token(store: &SharedStore, headers: &HeaderMap) -> Result<Uuid, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(crate::tokens::API_TOKEN_PREFIX))
        .ok_or(ApiError::Unauthorized)?;
    store
        .organisation_for_token(&crate::tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// The member signed in with this request's session.
pub struct SignedIn(pub Member);

impl<S> FromRequestParts<S> for SignedIn
where
    SharedStore: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        let store = SharedStore::from_ref(state);
        Ok(SignedIn(
            app::auth::member_of_session(&session, &store).await?,
        ))
    }
}

/// A JSON body of at most `LIMIT` bytes (413 beyond), of the shape `T` (422 naming the field
/// that does not fit), within `T`'s structural limits (422 again). Domain limits are the
/// parsers' (`T::parse`), not repeated here.
pub struct ValidJson<T, const LIMIT: usize>(pub T);

impl<T, S, const LIMIT: usize> FromRequest<S> for ValidJson<T, LIMIT>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(request, state).await;
        read_json(body, LIMIT).map(ValidJson)
    }
}

/// Reads a body as `T`: size first (413), then JSON shape (422 naming the field), then the
/// validator's limits. (Also for bodies that arrive other than as a request: tests, fuzzing.)
pub fn read_json<T: DeserializeOwned + Validate>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, ApiError> {
    let body = read_body(body, limit)?;
    let mut json = serde_json::Deserializer::from_slice(&body);
    let value: T = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ApiError::Invalid(FieldError::new(field, e.inner().to_string()))
    })?;
    value
        .validate()
        .map_err(|e| ApiError::Invalid(first_field_error(&e, "")))?;
    Ok(value)
}

/// A body read whole, or the refusal as the API words it: 413 beyond `limit`, else 422.
pub fn read_body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::Invalid(FieldError::new("body", rejection.body_text()))
        }
    })
}

/// The first failing field of a (possibly nested) validation, as `outer.inner`.
fn first_field_error(errors: &ValidationErrors, prefix: &str) -> FieldError {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by_key(|(name, _)| name.to_string());
    for (name, kind) in fields {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(errs) => {
                let reason = errs
                    .first()
                    .map(
                        |e| match (e.code.as_ref(), e.params.get("max"), e.params.get("min")) {
                            ("length", Some(max), _) => format!("must be at most {max} long"),
                            ("length", None, Some(min)) => format!("must be at least {min} long"),
                            ("range", _, Some(min)) => format!("must be at least {min}"),
                            (code, _, _) => format!("failed the {code} check"),
                        },
                    )
                    .unwrap_or_else(|| "is invalid".into());
                return FieldError::new(path, reason);
            }
            ValidationErrorsKind::Struct(inner) => return first_field_error(inner, &path),
            ValidationErrorsKind::List(items) => {
                if let Some((index, inner)) = items.iter().next() {
                    return first_field_error(inner, &format!("{path}[{index}]"));
                }
            }
        }
    }
    FieldError::new(prefix.to_string(), "is invalid")
}
