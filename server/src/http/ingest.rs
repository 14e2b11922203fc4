//! `POST /api/v1/responses`: the ingest API. Parse the wire DTO, turn it into domain types, hand
//! it to `app::ingest::record_response`, map the outcome: 201 stored, 200 already stored.

use super::error::ApiError;
use app::domain::{
    BrowserFamily, Comment, ConsentChoices, DeviceClass, FieldError, Language, NewResponse,
    PagePath, UsageContext,
};
use app::ingest::{self, IngestError, IngestSettings, Recorded};
use app::nps::Score;
use app::store::SharedStore;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A response is a few hundred bytes; 8 KiB leaves room for a full comment in any script.
pub const BODY_LIMIT: usize = 8 * 1024;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ResponseDto {
    pub id: Uuid,
    #[validate(length(min = 1, max = 64))]
    pub site: String,
    pub survey: Option<Uuid>,
    pub score: i64,
    pub comment: Option<String>,
    #[validate(length(max = 35))]
    pub language: Option<String>,
    #[validate(nested)]
    pub consent: Option<ConsentDto>,
    #[validate(nested)]
    pub context: Option<ContextDto>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConsentDto {
    #[validate(range(min = 1))]
    pub notice_version: Option<u32>,
    /// Each choice shown to the visitor, and whether they granted it.
    #[validate(length(max = 16))]
    #[serde(default)]
    pub choices: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ContextDto {
    #[validate(length(max = 2048))]
    pub path: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
}

impl ResponseDto {
    /// Wire → domain. Every field that fails says which and why.
    pub fn parse(self) -> Result<NewResponse, FieldError> {
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
        let context = match self.context {
            Some(c) => UsageContext {
                page_path: c
                    .path
                    .map(|p| PagePath::parse("context.path", &p))
                    .transpose()?,
                device: c
                    .device
                    .map(|d| DeviceClass::parse("context.device", &d))
                    .transpose()?,
                browser: c
                    .browser
                    .map(|b| BrowserFamily::parse("context.browser", &b))
                    .transpose()?,
                country: None,
            },
            None => UsageContext::default(),
        };
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
        })
    }
}

/// Reads the body as the DTO: size first (413), then JSON shape (422 naming the field), then
/// the validator's limits, then the domain parse.
pub fn parse_body(body: Result<Bytes, BytesRejection>) -> Result<NewResponse, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        } else {
            ApiError::Invalid(FieldError::new("body", rejection.body_text()))
        }
    })?;
    let mut json = serde_json::Deserializer::from_slice(&body);
    let dto: ResponseDto = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ApiError::Invalid(FieldError::new(field, e.inner().to_string()))
    })?;
    dto.validate()
        .map_err(|e| ApiError::Invalid(first_field_error(&e, "")))?;
    Ok(dto.parse()?)
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
                            ("range", _, Some(min)) => format!("must be at least {min}"),
                            (code, _, _) => format!("failed the {code} check"),
                        },
                    )
                    .unwrap_or_else(|| "is invalid".into());
                return FieldError::new(path, reason);
            }
            ValidationErrorsKind::Struct(inner) => return first_field_error(inner, &path),
            ValidationErrorsKind::List(items) => {
                if let Some((_, inner)) = items.iter().next() {
                    return first_field_error(inner, &path);
                }
            }
        }
    }
    FieldError::new(prefix.to_string(), "is invalid")
}

pub async fn post_response(
    State(store): State<SharedStore>,
    State(settings): State<IngestSettings>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let mut answer = parse_body(body)?;
    answer.context =
        ingest::complete_context(answer.context, &headers, settings.country_header.as_deref());
    let id = answer.id;
    match ingest::record_response(store.as_ref(), answer, ingest::received_now()).await {
        Ok(Recorded::Created) => Ok((StatusCode::CREATED, Json(json!({"id": id, "stored": true})))),
        Ok(Recorded::AlreadyStored) => {
            Ok((StatusCode::OK, Json(json!({"id": id, "stored": false}))))
        }
        Err(IngestError::Invalid(e)) => Err(ApiError::Invalid(e)),
        Err(IngestError::IdTaken) => Err(ApiError::Conflict(
            "this response id is already used".into(),
        )),
        Err(IngestError::Store(e)) => Err(e.into()),
    }
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
            (format!(r#"{{"id":"{ID}","score":7}}"#), "body"),
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
            let _ = parse_body(Ok(Bytes::from(bytes)));
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
