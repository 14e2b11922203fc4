//! Data-subject requests as downloads: a visitor's own answers (by the respondent id their
//! browser holds, sent in a POST body so it never lands in a URL, a log or a Referer), and an
//! admin's export of one person's answers with their consent records.

use super::error::ApiError;
use app::domain::{ConsentBasis, ConsentChange, FieldError, Role};
use app::report::Verbatim;
use app::store::SharedStore;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MyAnswersForm {
    // Read as empty when missing, so that each is refused at its own name by its parser.
    #[serde(default)]
    #[schema(required = true)]
    pub site: String,
    #[serde(default)]
    #[schema(required = true)]
    pub rid: String,
}

/// A site key and a respondent id, with room to spare.
pub const MY_ANSWERS_BODY_LIMIT: usize = 1024;

/// The visitor's own copy: the contact e-mail is masked, because the respondent id alone
/// (which sits in the browser's storage) must not be enough to read an address.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnCopy {
    note: &'static str,
    answers: Vec<super::public_api::AnswerBody>,
}

const OWN_COPY_NOTE: &str = "Contact e-mail addresses are masked in this copy. To receive a \
    full copy, ask the site's owner (their contact is in the privacy notice).";

/// `a***@e***.com`: enough to recognise one's own address, not to learn someone else's (a
/// personal domain would name its owner, so it is masked too; the top-level domain stays).
pub fn mask_email(address: &str) -> String {
    let first = |s: &str| s.chars().take(1).collect::<String>();
    match address.split_once('@') {
        Some((local, domain)) => {
            let (name, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
            let tld = if tld.is_empty() {
                String::new()
            } else {
                format!(".{tld}")
            };
            format!("{}***@{}***{tld}", first(local), first(name))
        }
        None => "***".into(),
    }
}

fn download<T: Serialize + ?Sized>(answers: &T, filename: &str) -> Result<Response, ApiError> {
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

/// `POST /my-answers` (form body `site`, `rid`): everything stored from this respondent on the
/// site, with contact e-mails masked.
#[utoipa::path(
    post,
    path = "/my-answers",
    tag = "collection",
    request_body(content = MyAnswersForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "a download of the respondent's answers, contact e-mails masked", body = OwnCopy),
        (status = 404, description = "no such site", body = super::public_api::ErrorBody),
        (status = 413, description = "the body is too large", body = super::public_api::ErrorBody),
        (status = 422, description = "a field was refused", body = super::public_api::ErrorBody),
    )
)]
pub async fn my_answers(
    State(store): State<SharedStore>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    // Read as any form body, whatever its content type says: the same 413 and 422 as the API.
    let body = super::extract::read_body(body, MY_ANSWERS_BODY_LIMIT)?;
    let form: MyAnswersForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| FieldError::new("body", format!("is not a form: {e}")))?;
    let site_key = app::domain::SiteKey::parse("site", &form.site)?;
    let rid = Uuid::parse_str(&form.rid).map_err(|_| FieldError::new("rid", "must be a UUID"))?;
    let site = store
        .public_site(&site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut answers = store.respondent_answers(site.site.id, rid).await?;
    for answer in &mut answers {
        answer.contact_email = answer.contact_email.as_deref().map(mask_email);
    }
    download(
        &OwnCopy {
            note: OWN_COPY_NOTE,
            answers: answers.iter().map(Into::into).collect(),
        },
        "my-answers.json",
    )
}

/// One answer in an admin's export, with what its consent was given under.
#[derive(Serialize)]
struct ExportedAnswer {
    #[serde(flatten)]
    answer: Verbatim,
    consent: Option<ExportedConsent>,
    /// The team's notes and replies about it (the follow-up inbox): data about the person too.
    /// Without their authors: a colleague's address is not the person's data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    follow_up: Vec<ExportedEntry>,
}

#[derive(Serialize)]
struct ExportedEntry {
    kind: app::domain::EntryKind,
    subject: Option<String>,
    body: String,
    at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
struct ExportedConsent {
    notice_id: Uuid,
    /// `choices_made`, or `no_choice_shown` when the answer came with no choice at all.
    basis: ConsentBasis,
    choices: BTreeMap<String, bool>,
    changes: Vec<ConsentChange>,
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
    super::extract::SignedIn(member): super::extract::SignedIn,
    Query(query): Query<FindQuery>,
) -> Result<Response, ApiError> {
    let membership = member
        .memberships
        .iter()
        .find(|m| m.org_id == query.org)
        .ok_or(ApiError::NotFound)?;
    if membership.role == Role::Viewer {
        return Err(ApiError::Forbidden);
    }
    let terms = app::admin::search_terms(&query.respondent, &query.email)?;
    let answers = app::admin::find_answers_of(store.as_ref(), query.org, &terms).await?;
    // One person's answers: a handful, so a consent lookup each is fine.
    let mut exported = Vec::with_capacity(answers.len());
    for answer in answers {
        let consent = store
            .consent_of(query.org, answer.id)
            .await?
            .map(|c| ExportedConsent {
                notice_id: c.notice_id,
                basis: ConsentBasis::of(&c.choices_at_answer()),
                choices: c.choices.iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                changes: c.changes,
            });
        let follow_up = store
            .follow_up_entries(query.org, answer.id)
            .await?
            .into_iter()
            .map(|e| ExportedEntry {
                kind: e.kind,
                subject: e.subject,
                body: e.body,
                at: e.at,
            })
            .collect();
        exported.push(ExportedAnswer {
            answer,
            consent,
            follow_up,
        });
    }
    download(&exported, "answers.json")
}
