//! `POST /api/v1/responses`: the ingest API. Parse the wire DTO, turn it into domain types, hand
//! it to `app::ingest::record_response`, map the outcome: 201 stored, 200 already stored.

use super::error::ApiError;
use super::extract::ValidJson;
use super::public_api::{BatchBody, ItemResult, StoredBody};
use super::site_cache::SiteCache;
use super::visitor::{with_cors, VisitorGate};
use app::domain::journey;
use app::domain::{
    BrowserFamily, Comment, ConsentChoices, DeviceClass, EditSecret, Email, ExternalId, FieldError,
    Identification, ImpressionKind, Language, NewResponse, PagePath, ReferrerOrigin,
    ResponseAmendment, SentAttributes, SiteKey, Trigger, UsageContext,
};
use app::ingest::{self, IngestError, IngestSettings, NewImpression, Recorded};
use app::nps::Score;
use app::store::{PublicSite, SharedSink, SharedStore};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use axum::Json;
use serde::Deserialize;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;
use validator::Validate;

/// A response is a few hundred bytes; 8 KiB leaves room for a full comment in any script.
pub const BODY_LIMIT: usize = 8 * 1024;
/// A widget's queue flush: a few answers, their amendments and events.
pub const BATCH_BODY_LIMIT: usize = 32 * 1024;
const BATCH_MAX_ITEMS: usize = 40;

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseDto {
    pub id: Uuid,
    /// Required here; inside a batch it defaults to the batch's site.
    #[serde(default)]
    pub site: String,
    pub survey: Option<Uuid>,
    pub score: i64,
    pub comment: Option<String>,
    pub language: Option<String>,
    #[validate(nested)]
    pub consent: Option<ConsentDto>,
    #[validate(nested)]
    pub context: Option<ContextDto>,
    /// The anonymous id the widget keeps for this site in this browser.
    pub respondent: Option<Uuid>,
    pub contact_email: Option<String>,
    /// Honeypot: a field people never see and bots fill in. Must be empty.
    pub hp: Option<String>,
    /// Milliseconds from the survey appearing to this answer.
    pub elapsed_ms: Option<u64>,
    /// Made on the device: only a request carrying it may amend this answer later.
    pub edit_secret: Option<String>,
    /// The exit reason chosen: the key of an option the survey offers.
    pub reason: Option<String>,
    /// What the site says of the visitor's situation (`{"plan": "pro"}`): keys the site did
    /// not declare are dropped; never personal data.
    pub attributes: Option<BTreeMap<String, String>>,
    /// The site's own user id (`farewell.identify`): only with the consent choice
    /// `identify: true`; kept only as a keyed hash.
    pub user_id: Option<String>,
    /// The site's own account id (`farewell.set({account})`): as `user_id`.
    pub account: Option<String>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDto {
    #[validate(range(min = 1))]
    pub notice_version: Option<u32>,
    /// Each choice shown to the visitor, and whether they granted it.
    #[serde(default)]
    pub choices: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextDto {
    pub path: Option<String>,
    pub referrer: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub trigger: Option<String>,
    /// Pages of the site viewed in this visit, 1–10000.
    pub pages_viewed: Option<i64>,
    /// Seconds on the site in this visit, 0–604800; only its bucket is kept.
    pub seconds_on_site: Option<i64>,
    /// JavaScript errors the site's pages raised in this visit, 0–1000: a count, never a message.
    pub errors_seen: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentDto {
    pub id: Uuid,
    /// The secret sent with the answer: proof that this is its author.
    pub edit_secret: String,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub contact_email: Option<String>,
    /// Consent choices shown or changed since the answer (e.g. `contact` with the e-mail).
    #[serde(default)]
    pub choices: BTreeMap<String, bool>,
    /// The exit reason chosen after the score: the key of an option the survey offers.
    pub reason: Option<String>,
    /// As on an answer: only with `choices: {"identify": true}`; kept only hashed.
    pub user_id: Option<String>,
    pub account: Option<String>,
}

/// The user and account ids as sent → the domain's (refused at their field).
fn parse_identification(
    user_id: Option<String>,
    account: Option<String>,
) -> Result<Identification, FieldError> {
    Ok(Identification {
        user: user_id
            .map(|u| ExternalId::parse("user_id", &u))
            .transpose()?,
        account: account
            .map(|a| ExternalId::parse("account", &a))
            .transpose()?,
    })
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpressionDto {
    pub id: Uuid,
    pub survey: Option<Uuid>,
    pub kind: String,
    /// What opened the survey. Widgets before the context was sent put it here.
    pub trigger: Option<String>,
    pub language: Option<String>,
    /// The same usage context an answer carries (its referrer is not stored), so the funnel
    /// follows every dashboard filter.
    #[validate(nested)]
    pub context: Option<ContextDto>,
    /// The same attributes an answer carries.
    pub attributes: Option<BTreeMap<String, String>>,
}

/// `"attributes"` as sent: read against the site's declared keys later (`ingest`).
fn parse_attributes(raw: Option<BTreeMap<String, String>>) -> Result<SentAttributes, FieldError> {
    SentAttributes::parse("attributes", raw.unwrap_or_default())
}

/// What the widget sends when it flushes its queue on the device.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchDto {
    pub site: String,
    pub respondent: Option<Uuid>,
    #[serde(default)]
    #[validate(nested)]
    pub responses: Vec<ResponseDto>,
    #[serde(default)]
    #[validate(nested)]
    pub amendments: Vec<AmendmentDto>,
    #[serde(default)]
    #[validate(nested)]
    pub impressions: Vec<ImpressionDto>,
    /// `true`: the visitor left the improvement program (after this batch's items, which were
    /// queued before); `false`: they rejoined.
    pub opt_out: Option<bool>,
}

impl ResponseDto {
    /// Wire → domain. Every field that fails says which and why.
    pub fn parse(self) -> Result<NewResponse, FieldError> {
        if self.site.is_empty() {
            return Err(FieldError::new("site", "is required"));
        }
        let score =
            Score::try_from(self.score).map_err(|e| FieldError::new("score", e.to_string()))?;
        let comment = match self.comment {
            Some(text) => Comment::parse("comment", &text)?,
            None => None,
        };
        let language = self
            .language
            .map(|l| Language::parse("language", &l))
            .transpose()?;
        let (notice_version, choices) = match self.consent {
            Some(c) => (
                c.notice_version,
                ConsentChoices::parse(
                    "consent.choices",
                    c.choices.iter().map(|(k, v)| (k.as_str(), *v)),
                )?,
            ),
            None => (None, ConsentChoices::default()),
        };
        let context = self
            .context
            .map(ContextDto::parse)
            .transpose()?
            .unwrap_or_default();
        let attributes = parse_attributes(self.attributes)?;
        let contact_email = self
            .contact_email
            .filter(|e| !e.trim().is_empty())
            .map(|e| Email::parse("contact_email", &e))
            .transpose()?;
        Ok(NewResponse {
            id: self.id,
            site_key: self.site,
            survey: self.survey,
            score,
            comment,
            language,
            notice_version,
            choices,
            context,
            respondent: self.respondent,
            contact_email,
            edit_secret: self
                .edit_secret
                .map(|s| EditSecret::parse("edit_secret", &s))
                .transpose()?,
            reason: self
                .reason
                .map(|r| app::domain::ReasonKey::parse("reason", &r))
                .transpose()?,
            identification: parse_identification(self.user_id, self.account)?,
            attributes,
        })
    }

    /// Whether a bot gave this answer: it filled the honeypot, or answered inhumanly fast.
    fn looks_automated(&self) -> bool {
        ingest::looks_automated(self.hp.as_deref(), self.elapsed_ms)
    }
}

impl ContextDto {
    /// Wire → domain; the country is never the client's to say ([`ingest::complete_context`]).
    fn parse(self) -> Result<UsageContext, FieldError> {
        Ok(UsageContext {
            page_path: self
                .path
                .map(|p| PagePath::parse("context.path", &p))
                .transpose()?,
            referrer: match self.referrer {
                Some(r) => ReferrerOrigin::parse("context.referrer", &r)?,
                None => None,
            },
            trigger: self
                .trigger
                .map(|t| Trigger::parse("context.trigger", &t))
                .transpose()?,
            device: self
                .device
                .map(|d| DeviceClass::parse("context.device", &d))
                .transpose()?,
            browser: self
                .browser
                .map(|b| BrowserFamily::parse("context.browser", &b))
                .transpose()?,
            country: None,
            pages_viewed: journey_number(self.pages_viewed, "context.pages_viewed", |f, n| {
                journey::parse_pages_viewed(f, n)
            })?,
            seconds_on_site: journey_number(
                self.seconds_on_site,
                "context.seconds_on_site",
                journey::parse_seconds_on_site,
            )?,
            errors_seen: journey_number(self.errors_seen, "context.errors_seen", |f, n| {
                journey::parse_errors_seen(f, n)
            })?,
            attributes: Default::default(),
        })
    }
}

/// A journey count: a number the domain's parser takes (anything below 0 or past `u32` is
/// refused by the same reason as its limits).
fn journey_number<T>(
    raw: Option<i64>,
    field: &str,
    parse: impl Fn(&str, u32) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    raw.map(|n| parse(field, u32::try_from(n).unwrap_or(u32::MAX)))
        .transpose()
}

impl AmendmentDto {
    pub fn parse(self) -> Result<(Uuid, EditSecret, ResponseAmendment), FieldError> {
        let secret = EditSecret::parse("edit_secret", &self.edit_secret)?;
        let score = self
            .score
            .map(|s| Score::try_from(s).map_err(|e| FieldError::new("score", e.to_string())))
            .transpose()?;
        let comment = match self.comment {
            Some(text) => Comment::parse("comment", &text)?,
            None => None,
        };
        let contact_email = self
            .contact_email
            .filter(|e| !e.trim().is_empty())
            .map(|e| Email::parse("contact_email", &e))
            .transpose()?;
        let choices = ConsentChoices::parse(
            "choices",
            self.choices.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        Ok((
            self.id,
            secret,
            ResponseAmendment {
                score,
                comment,
                contact_email,
                choices,
                reason: self
                    .reason
                    .map(|r| app::domain::ReasonKey::parse("reason", &r))
                    .transpose()?,
                identification: parse_identification(self.user_id, self.account)?,
                ..Default::default()
            },
        ))
    }
}

impl ImpressionDto {
    pub fn parse(self) -> Result<NewImpression, FieldError> {
        let mut context = self
            .context
            .map(ContextDto::parse)
            .transpose()?
            .unwrap_or_default();
        if context.trigger.is_none() {
            context.trigger = self
                .trigger
                .map(|t| Trigger::parse("trigger", &t))
                .transpose()?;
        }
        Ok(NewImpression {
            id: self.id,
            survey: self.survey,
            kind: ImpressionKind::parse("kind", &self.kind)?,
            language: self
                .language
                .map(|l| Language::parse("language", &l))
                .transpose()?,
            context,
            attributes: parse_attributes(self.attributes)?,
        })
    }
}

/// The single-answer body, parsed to the domain type (used by tests and fuzzing).
pub fn parse_body(body: Result<Bytes, BytesRejection>) -> Result<NewResponse, ApiError> {
    Ok(super::extract::read_json::<ResponseDto>(body, BODY_LIMIT)?.parse()?)
}

fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Invalid(e) => ApiError::Invalid(e),
        IngestError::IdTaken => ApiError::Conflict("this response id is already used".into()),
        IngestError::OptedOut => ApiError::OptedOut,
        IngestError::UnknownResponse => ApiError::NotFound,
        IngestError::AmendExpired => ApiError::AmendExpired,
        IngestError::Store(e) => e.into(),
    }
}

#[derive(Clone)]
pub struct Ingest {
    pub store: SharedStore,
    pub sink: SharedSink,
    pub settings: IngestSettings,
    pub gate: Arc<VisitorGate>,
    pub sites: Arc<SiteCache>,
    /// The widget's configuration per site and language, rendered.
    pub configs: Arc<super::config::ConfigCache>,
}

impl Ingest {
    /// One answer from the wire to the store: 201 stored, 200 stored before, 202 a bot's
    /// (told "accepted" so it learns nothing; nothing is stored).
    async fn store_answer(
        &self,
        site: &PublicSite,
        dto: ResponseDto,
        headers: &HeaderMap,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<StatusCode, ApiError> {
        if dto.looks_automated() {
            return Ok(StatusCode::ACCEPTED);
        }
        let mut answer = dto.parse()?;
        answer.context = ingest::complete_context(
            answer.context,
            headers,
            self.settings.country_header.as_deref(),
        );
        ingest::settle_attributes(
            self.store.as_ref(),
            site,
            &answer.attributes,
            &mut answer.context,
            &self.settings.attributes_dropped,
        )
        .await
        .map_err(ingest_error)?;
        match ingest::record_response(self.store.as_ref(), self.sink.as_ref(), site, answer, at)
            .await
        {
            Ok(Recorded::Created) => Ok(StatusCode::CREATED),
            Ok(Recorded::AlreadyStored) => Ok(StatusCode::OK),
            Err(e) => Err(ingest_error(e)),
        }
    }

    async fn site(&self, site_key: &str) -> Result<Arc<PublicSite>, ApiError> {
        let site_key = SiteKey::parse("site", site_key)?;
        self.sites
            .get(&site_key)
            .await?
            .ok_or_else(|| FieldError::new("site", "is not a known site key").into())
    }
}

/// `POST /api/v1/responses`: one answer.
#[utoipa::path(
    post,
    path = "/api/v1/responses",
    tag = "collection",
    request_body = ResponseDto,
    responses(
        (status = 201, description = "stored", body = StoredBody),
        (status = 200, description = "this id was already stored; nothing new was written", body = StoredBody),
        (status = 409, description = "the id belongs to another site", body = super::public_api::ErrorBody),
        (status = 403, description = "the origin is not registered for the site, or the visitor left the improvement program", body = super::public_api::ErrorBody),
        (status = 413, description = "the body is too large", body = super::public_api::ErrorBody),
        (status = 422, description = "a field was refused: which, and why", body = super::public_api::ErrorBody),
        (status = 429, description = "too many requests; wait as Retry-After says", body = super::public_api::ErrorBody),
        (status = 503, description = "the database is unreachable for a moment; see Retry-After", body = super::public_api::ErrorBody),
    )
)]
pub async fn post_response(
    State(ingest): State<Ingest>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ValidJson(dto): ValidJson<ResponseDto, BODY_LIMIT>,
) -> Result<Response, ApiError> {
    let site = ingest.site(&dto.site).await?;
    let admitted = match ingest
        .gate
        .admit(&site.site, &headers, peer.map(|Extension(p)| p), 1)
    {
        Ok(admitted) => admitted,
        Err(refused) => return Ok(*refused),
    };
    let origin = admitted.origin.clone();
    let result = async {
        if admitted.gpc {
            return Err(ApiError::OptedOut);
        }
        let id = dto.id;
        let status = ingest
            .store_answer(&site, dto, &headers, ingest::received_now())
            .await?;
        Ok((
            status,
            Json(StoredBody {
                id,
                stored: status == StatusCode::CREATED,
            }),
        ))
    }
    .await;
    Ok(with_cors(origin.as_ref(), result))
}

/// Whether an item's failure means the whole batch must be retried: the store could not be
/// reached or failed. The widget keeps its whole queue on such an answer (every item is
/// idempotent by its id), where a per-item error would make it drop the item.
fn must_retry(outcome: &Result<StatusCode, ApiError>) -> bool {
    matches!(outcome, Err(ApiError::Unavailable | ApiError::Internal(_)))
}

/// One item's outcome inside a batch answer.
fn item_result(id: Uuid, outcome: Result<StatusCode, ApiError>) -> ItemResult {
    let result = |status: u16, field: Option<String>, reason: Option<String>| ItemResult {
        id,
        status,
        field,
        reason,
    };
    match outcome {
        Ok(status) => result(status.as_u16(), None, None),
        Err(ApiError::Invalid(e)) => result(422, Some(e.field), Some(e.reason)),
        Err(ApiError::Conflict(m)) => result(409, None, Some(m)),
        Err(ApiError::NotFound) => result(404, None, None),
        Err(ApiError::AmendExpired) => result(403, None, Some("amend_window_passed".into())),
        Err(ApiError::OptedOut) => result(403, None, Some("opted_out".into())),
        Err(other) => {
            tracing::error!(error = %other, "batch item failed");
            result(500, None, None)
        }
    }
}

/// `POST /api/v1/batch`: the widget's queue, flushed. Items are stored one by one (each is
/// idempotent by its id); an opt-out comes last, so what was queued before it is kept.
#[utoipa::path(
    post,
    path = "/api/v1/batch",
    tag = "collection",
    request_body = BatchDto,
    responses(
        (status = 200, description = "each item's outcome, in order, by id", body = BatchBody),
        (status = 403, description = "the origin is not registered for the site, or the visitor left the improvement program", body = super::public_api::ErrorBody),
        (status = 413, description = "the body is too large", body = super::public_api::ErrorBody),
        (status = 422, description = "a field was refused: which, and why", body = super::public_api::ErrorBody),
        (status = 429, description = "too many requests; wait as Retry-After says", body = super::public_api::ErrorBody),
        (status = 503, description = "the database is unreachable for a moment; see Retry-After", body = super::public_api::ErrorBody),
    )
)]
pub async fn post_batch(
    State(ingest): State<Ingest>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ValidJson(batch): ValidJson<BatchDto, BATCH_BODY_LIMIT>,
) -> Result<Response, ApiError> {
    let items = batch.responses.len() + batch.amendments.len() + batch.impressions.len();
    if items > BATCH_MAX_ITEMS {
        return Err(FieldError::new("body", format!("at most {BATCH_MAX_ITEMS} items")).into());
    }
    let site = ingest.site(&batch.site).await?;
    let admitted = match ingest
        .gate
        .admit(&site.site, &headers, peer.map(|Extension(p)| p), items)
    {
        Ok(admitted) => admitted,
        Err(refused) => return Ok(*refused),
    };
    let plan = ingest::BatchPlan::new(admitted.gpc, batch.opt_out, batch.respondent);
    let collecting = plan.collects_items();
    let now = ingest::received_now();
    let mut results = Vec::with_capacity(items);

    for dto in batch.responses {
        let id = dto.id;
        let outcome = async {
            if !collecting {
                return Err(ApiError::OptedOut);
            }
            let dto = ResponseDto {
                site: batch.site.clone(),
                respondent: dto.respondent.or(batch.respondent),
                ..dto
            };
            ingest.store_answer(&site, dto, &headers, now).await
        }
        .await;
        if must_retry(&outcome) {
            return Err(outcome.unwrap_err());
        }
        results.push(item_result(id, outcome));
    }
    for dto in batch.amendments {
        let id = dto.id;
        let outcome = async {
            if !collecting {
                return Err(ApiError::OptedOut);
            }
            let (id, secret, amendment) = dto.parse()?;
            ingest::amend_response(
                ingest.store.as_ref(),
                &site,
                id,
                &secret,
                &amendment,
                ingest.settings.amend_window,
                now,
            )
            .await
            .map(|_| StatusCode::OK)
            .map_err(ingest_error)
        }
        .await;
        if must_retry(&outcome) {
            return Err(outcome.unwrap_err());
        }
        results.push(item_result(id, outcome));
    }
    let mut events = Vec::new();
    for dto in batch.impressions {
        let id = dto.id;
        match dto.parse() {
            Ok(mut event) if collecting => {
                event.context = ingest::complete_context(
                    event.context,
                    &headers,
                    ingest.settings.country_header.as_deref(),
                );
                let settled = ingest::settle_attributes(
                    ingest.store.as_ref(),
                    &site,
                    &event.attributes,
                    &mut event.context,
                    &ingest.settings.attributes_dropped,
                )
                .await
                .map(|()| StatusCode::OK)
                .map_err(ingest_error);
                if must_retry(&settled) {
                    return Err(settled.err().unwrap_or(ApiError::Unavailable));
                }
                match settled {
                    Ok(_) => events.push(event),
                    Err(e) => results.push(item_result(id, Err(e))),
                }
            }
            Ok(_) => results.push(item_result(id, Err(ApiError::OptedOut))),
            Err(e) => results.push(item_result(id, Err(e.into()))),
        }
    }
    let event_ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    // Only the store fails the whole batch (the widget then sends it again); a refused event
    // is refused alone.
    let outcomes = ingest::record_impressions(ingest.store.as_ref(), &site, events, now)
        .await
        .map_err(ingest_error)?;
    for (id, outcome) in event_ids.into_iter().zip(outcomes) {
        let outcome = outcome.map(|()| StatusCode::OK).map_err(ApiError::from);
        results.push(item_result(id, outcome));
    }

    // Last: what was queued before a change of participation is stored under the old one.
    let opted_out = match plan.participation()? {
        Some((respondent, opt_out)) => {
            ingest
                .store
                .set_opted_out(site.site.id, respondent, opt_out, now)
                .await?;
            Some(opt_out)
        }
        None => None,
    };
    let body = Json(BatchBody { results, opted_out });
    Ok(with_cors(admitted.origin.as_ref(), (StatusCode::OK, body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(json: &str) -> Result<NewResponse, ApiError> {
        parse_body(Ok(Bytes::from(json.to_owned())))
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Invalid(e) => e.field,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    const ID: &str = "5f0c3a3e-8d0a-4f5e-9b8f-2d6c1a7e9b10";

    #[test]
    fn a_complete_answer_parses() {
        let r = parse(&format!(
            r#"{{"id":"{ID}","site":"st_x","score":9,"comment":" hi ","language":"fi-fi",
               "consent":{{"notice_version":2,"choices":{{"improvement_program":true}}}},
               "context":{{"path":"/p?q=secret","device":"mobile","browser":"firefox"}}}}"#
        ))
        .unwrap();
        assert_eq!(r.score.value(), 9);
        assert_eq!(r.comment.unwrap().as_str(), "hi");
        assert_eq!(r.language.unwrap().as_str(), "fi-FI");
        assert_eq!(r.notice_version, Some(2));
        assert_eq!(r.context.page_path.unwrap().as_str(), "/p");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (format!(r#"{{"id":"{ID}","site":"s","score":11}}"#), "score"),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7.5}}"#),
                "score",
            ),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":"7"}}"#),
                "score",
            ),
            (r#"{"id":"nope","site":"s","score":7}"#.to_string(), "id"),
            (format!(r#"{{"id":"{ID}","site":"","score":7}}"#), "site"),
            (format!(r#"{{"id":"{ID}","score":7}}"#), "site"),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7,"ip":"1.2.3.4"}}"#),
                "ip",
            ),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7,"language":"english"}}"#),
                "language",
            ),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7,"context":{{"path":"x"}}}}"#),
                "context.path",
            ),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7,"context":{{"device":"fridge"}}}}"#),
                "context.device",
            ),
            (
                format!(r#"{{"id":"{ID}","site":"s","score":7,"consent":{{"notice_version":0}}}}"#),
                "consent.notice_version",
            ),
            (
                format!(
                    r#"{{"id":"{ID}","site":"s","score":7,"consent":{{"choices":{{"Bad":true}}}}}}"#
                ),
                "consent.choices",
            ),
            (
                format!(
                    r#"{{"id":"{ID}","site":"s","score":7,"comment":"{}"}}"#,
                    "x".repeat(2001)
                ),
                "comment",
            ),
            ("not json".to_string(), "body"),
        ];
        for (json, field) in cases {
            let err = parse(&json).expect_err(&json);
            assert_eq!(field_of(err), field, "{json}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_body(Ok(Bytes::from(bytes.clone())));
            match super::super::extract::read_json::<BatchDto>(Ok(Bytes::from(bytes)), BATCH_BODY_LIMIT) {
                Ok(_) | Err(ApiError::Invalid(_)) => {}
                Err(other) => prop_assert!(false, "not a 422: {:?}", other),
            }
        }

        #[test]
        fn arbitrary_batches_parse_item_by_item_or_name_the_field(
            kind in "\\PC{0,12}",
            score in any::<i64>(),
            comment in proptest::option::of("\\PC{0,30}"),
            email in proptest::option::of("\\PC{0,30}"),
        ) {
            let body = serde_json::json!({
                "site": "st_x",
                "responses": [{"id": ID, "score": score}],
                "amendments": [{"id": ID, "comment": comment, "contact_email": email}],
                "impressions": [{"id": ID, "kind": kind}],
            });
            let batch: BatchDto = match super::super::extract::read_json(Ok(Bytes::from(body.to_string())), BATCH_BODY_LIMIT) {
                Ok(b) => b,
                Err(ApiError::Invalid(e)) => { prop_assert!(!e.field.is_empty()); return Ok(()); }
                Err(other) => { prop_assert!(false, "unexpected {:?}", other); unreachable!() }
            };
            for r in batch.responses {
                if let Err(e) = (ResponseDto { site: "st_x".into(), ..r }).parse() {
                    prop_assert!(!e.field.is_empty());
                }
            }
            for a in batch.amendments {
                if let Err(e) = a.parse() {
                    prop_assert!(!e.field.is_empty());
                }
            }
            for i in batch.impressions {
                match i.parse() {
                    Ok(event) => prop_assert!(["shown", "dismissed", "answered"].contains(&event.kind.as_str())),
                    Err(e) => prop_assert_eq!(e.field, "kind"),
                }
            }
        }

        #[test]
        fn arbitrary_json_values_are_accepted_or_refused_with_a_field(
            score in any::<i64>(),
            site in "\\PC{0,80}",
            comment in proptest::option::of("\\PC{0,40}"),
            path in proptest::option::of("\\PC{0,40}"),
        ) {
            let body = serde_json::json!({
                "id": ID, "site": site, "score": score, "comment": comment,
                "context": {"path": path},
            });
            match parse(&body.to_string()) {
                Ok(r) => prop_assert!((0..=10).contains(&score) && r.score.value() as i64 == score),
                Err(ApiError::Invalid(e)) => prop_assert!(!e.field.is_empty()),
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
