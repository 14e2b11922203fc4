//! Data-subject requests as downloads: a visitor's own answers (by the respondent id their
//! browser holds), and an admin's export of one respondent's answers.

use super::error::ApiError;
use app::domain::{FieldError, Role};
use app::report::Verbatim;
use app::store::SharedStore;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct MyAnswersQuery {
    pub site: String,
    pub rid: String,
}

fn download(answers: &[Verbatim], filename: &str) -> Result<Response, ApiError> {
    let body = serde_json::to_vec_pretty(answers).map_err(|e| ApiError::Internal(e.into()))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(response)
}

/// `GET /my-answers?site=…&rid=…`: everything stored from this respondent on the site.
pub async fn my_answers(
    State(store): State<SharedStore>,
    Query(query): Query<MyAnswersQuery>,
) -> Result<Response, ApiError> {
    let site = store
        .public_site(&query.site)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rid = Uuid::parse_str(&query.rid).map_err(|_| FieldError::new("rid", "must be a UUID"))?;
    let answers = store.respondent_answers(site.site.id, rid).await?;
    download(&answers, "my-answers.json")
}

#[derive(Debug, Deserialize)]
pub struct FindQuery {
    pub org: Uuid,
    #[serde(default)]
    pub respondent: String,
    #[serde(default)]
    pub email: String,
}

/// `GET /admin/answers.json?org=…&respondent=…&email=…`: an admin's export for a request.
pub async fn admin_answers(
    State(store): State<SharedStore>,
    session: Session,
    Query(query): Query<FindQuery>,
) -> Result<Response, ApiError> {
    let member = app::auth::member_of_session(&session, &store).await?;
    let membership = member
        .memberships
        .iter()
        .find(|m| m.org_id == query.org)
        .ok_or(ApiError::NotFound)?;
    if membership.role == Role::Viewer {
        return Err(ApiError::Forbidden);
    }
    let (respondent, email) = app::admin::search_terms(&query.respondent, &query.email)?;
    let answers = store
        .find_answers(query.org, respondent, email.as_deref())
        .await?;
    download(&answers, "answers.json")
}
