//! The visitor's survey: the hosted page `/s/{site_key}`, its thank-you page, and the server
//! functions behind them. The form is a plain HTML form first (it works with JavaScript off);
//! once hydrated it submits in place without leaving the page.
// `submit_answer` takes one argument per field of the plain HTML form (it must work with
// JavaScript off), and the server macro also generates a client stub with the same list.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Everything the survey page needs to render, including the id the answer will carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyView {
    pub site_key: String,
    pub survey_id: Uuid,
    pub product_name: String,
    pub notice_id: Uuid,
    pub notice_version: u32,
    /// Minted when the page is rendered and carried by the form, so a resubmitted form (a
    /// double click, a retried POST) is stored once.
    pub response_id: Uuid,
    pub lang: String,
    pub dir: String,
    /// Every visitor-facing text in `lang`, with this survey's overrides.
    pub texts: BTreeMap<String, String>,
    /// The browser sends Global Privacy Control: an opt-out, so the form is not offered.
    pub gpc: bool,
    /// When the form was rendered (unix ms): an answer sent back faster than a person can
    /// is a bot's, as on the widget.
    pub shown_at: i64,
    /// The exit-reason question in `lang`, when the survey asks it.
    pub reason: Option<crate::domain::LocalReason>,
}

/// A hosted answer the server refused, posted with JavaScript off: the page is rendered again
/// with everything typed kept and the reason at its field. Only ever in this one response's
/// context (never in a URL, a cookie or a log).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefusedAnswer {
    pub score: Option<u8>,
    pub comment: String,
    pub contact: bool,
    pub contact_email: String,
    /// The exit reason's key chosen.
    pub reason_key: String,
    /// The form field the refusal names (`score`, `comment`, `contact_email`, or another).
    pub field: String,
    pub reason: String,
}

/// The refused answer this page is rendered again for, if any: the server puts it on the
/// request (`server/src/http/hosted_form.rs`).
fn refused_answer() -> RefusedAnswer {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        return parts
            .extensions
            .get::<RefusedAnswer>()
            .cloned()
            .unwrap_or_default();
    }
    RefusedAnswer::default()
}

impl RefusedAnswer {
    /// The reason, if the refusal names `field`.
    fn at(&self, field: &str) -> Option<String> {
        (self.field == field).then(|| self.reason.clone())
    }

    /// The reason, if it names none of the fields the visitor sees.
    fn elsewhere(&self) -> Option<String> {
        (!["score", "comment", "contact_email", "reason"].contains(&self.field.as_str()))
            .then(|| self.reason.clone())
    }
}

impl SurveyView {
    fn text(&self, key: &str) -> String {
        self.texts.get(key).cloned().unwrap_or_default()
    }
}

#[server(prefix = "/fn", endpoint = "load_survey")]
pub async fn load_survey(site_key: String, lang: Option<String>) -> Result<SurveyView, AppError> {
    let store = crate::auth::store()?;
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let lang = crate::i18n::of_request(lang.as_deref(), &headers);
    let site = store
        .public_site(
            &crate::domain::SiteKey::parse("site", &site_key).map_err(|_| AppError::NotFound)?,
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let (survey, notice) = match (site.default_survey, site.current_notice) {
        (Some(survey), Some(notice)) => (survey, notice),
        _ => return Err(AppError::NotFound),
    };
    let reason = store
        .survey_extras(site.site.org_id, survey.id)
        .await?
        .and_then(|extras| extras.reason.local(lang));
    Ok(SurveyView {
        reason,
        site_key: site.site.site_key,
        survey_id: survey.id,
        texts: survey.settings.texts_for(lang, &survey.product_name),
        product_name: survey.product_name,
        notice_id: notice.id,
        notice_version: notice.version,
        response_id: Uuid::new_v4(),
        lang: lang.code().into(),
        dir: lang.dir().into(),
        gpc: sends_gpc(&headers),
        shown_at: chrono::Utc::now().timestamp_millis(),
    })
}

/// The exit reason a form sent: none when empty.
#[cfg(feature = "ssr")]
fn reason_key(raw: Option<&str>) -> Result<Option<crate::domain::ReasonKey>, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => Ok(Some(crate::domain::ReasonKey::parse("reason", raw)?)),
        None => Ok(None),
    }
}

#[cfg(feature = "ssr")]
fn sends_gpc(headers: &http::HeaderMap) -> bool {
    headers.get("sec-gpc").and_then(|v| v.to_str().ok()) == Some("1")
}

#[server(prefix = "/fn", endpoint = "submit_answer")]
pub async fn submit_answer(
    site_key: String,
    survey_id: String,
    id: String,
    notice_version: Option<u32>,
    score: Option<String>,
    comment: Option<String>,
    #[server(default)] contact: Option<String>,
    #[server(default)] contact_email: Option<String>,
    #[server(default)] shown_at: Option<String>,
    #[server(default)] website: Option<String>,
    #[server(default)] edit_secret: Option<String>,
    #[server(default)] reason: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Comment, ConsentChoices, EditSecret, Language, NewResponse, UsageContext};
    use crate::ingest::{self, IngestError};

    // Every refusal carries its status (404, 422, 429…), never a generic 500.
    crate::error::with_status(
        async {
            let (site_key, headers) = visitor_gate(&site_key).await?;
            // With a secret (the page's script), only the score is stored now; the rest follows by
            // `amend_answer`, so nothing typed is lost if the visitor leaves after choosing.
            let edit_secret = edit_secret
                .as_deref()
                .map(|raw| EditSecret::parse("edit_secret", raw))
                .transpose()?;
            if edit_secret.is_some()
                && (comment.is_some() || contact.is_some() || contact_email.is_some())
            {
                return crate::error::with_status(Err(AppError::invalid(
                    "comment",
                    "follows the score by amend_answer when an edit secret is sent",
                )));
            }
            let plain_form = crate::plain_form_post(&headers);

            let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
            let survey = Uuid::parse_str(&survey_id)
                .map_err(|_| AppError::invalid("survey_id", "must be a UUID"))?;
            // Refusals the visitor can put right are said in their language.
            let texts = crate::i18n::of_request(None, &headers).texts();
            let score = score
                .as_deref()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| AppError::invalid("score", texts.choose_score))?;
            let typed = comment.as_deref().unwrap_or_default();
            let comment = Comment::parse("comment", typed).map_err(|e| {
                if typed.trim().chars().count() > crate::domain::COMMENT_MAX_CHARS {
                    AppError::invalid("comment", texts.comment_too_long)
                } else {
                    AppError::Invalid(e)
                }
            })?;
            // The contact choice was shown: it is recorded either way; the address only with consent.
            // Only the ticked box's value is consent: `contact=false` (or anything else) is not.
            let contact = contact.as_deref() == Some("true");
            let contact_email = contact_address(contact, contact_email.as_deref(), &texts)?;
            let choices = if edit_secret.is_some() {
                // The contact choice is recorded when the visitor sends the rest.
                ConsentChoices::improvement_program()
            } else {
                ConsentChoices::parse(
                    "choices",
                    [
                        (crate::domain::IMPROVEMENT_PROGRAM, true),
                        (crate::domain::CONTACT, contact),
                    ],
                )?
            };
            if sends_gpc(&headers) {
                return Err(AppError::Forbidden);
            }
            let elapsed_ms = shown_at
                .as_deref()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .map(|t| {
                    chrono::Utc::now()
                        .timestamp_millis()
                        .saturating_sub(t)
                        .max(0) as u64
                })
                // A form without its render time was not rendered by us: as fast as a bot.
                .or(Some(0));
            if ingest::looks_automated(website.as_deref(), elapsed_ms) {
                // Thanked like anyone else, so the bot learns nothing; nothing is stored.
                if plain_form {
                    leptos_axum::redirect(&format!("/s/{site_key}/thanks"));
                }
                return Ok(());
            }
            let language = headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split([',', ';']).next())
                .and_then(|tag| Language::parse("language", tag.trim()).ok());
            let settings = use_context::<ingest::IngestSettings>().unwrap_or_default();
            let answer = NewResponse {
                id,
                site_key: site_key.clone(),
                survey: Some(survey),
                score,
                comment,
                language,
                notice_version,
                choices,
                context: ingest::complete_context(
                    UsageContext {
                        trigger: Some(crate::domain::Trigger::Hosted),
                        ..UsageContext::default()
                    },
                    &headers,
                    settings.country_header.as_deref(),
                ),
                respondent: None,
                contact_email,
                // A plain form sends the whole answer at once: nothing to amend later.
                edit_secret,
                reason: reason_key(reason.as_deref())?,
                // The hosted page knows no site's user, and carries no attributes.
                identification: Default::default(),
                attributes: Default::default(),
            };
            let store = crate::auth::store()?;
            let sink = use_context::<crate::store::SharedSink>().ok_or(AppError::Internal)?;
            let site = ingest::find_site(store.as_ref(), &site_key)
                .await
                .map_err(|_| AppError::NotFound)?;
            match ingest::record_response(
                store.as_ref(),
                sink.as_ref(),
                &site,
                answer,
                ingest::received_now(),
            )
            .await
            {
                Ok(_) => {}
                Err(IngestError::Invalid(e)) => return Err(AppError::Invalid(e)),
                Err(IngestError::IdTaken) => {
                    return Err(AppError::invalid("id", "is already used"))
                }
                Err(
                    IngestError::OptedOut
                    | IngestError::UnknownResponse
                    | IngestError::AmendExpired,
                ) => return Err(AppError::Forbidden),
                Err(IngestError::Store(e)) => return Err(e.into()),
            }
            // A plain form post (JavaScript off) moves on to the thank-you page; the hydrated page
            // shows its thanks in place instead.
            if plain_form {
                leptos_axum::redirect(&format!("/s/{site_key}/thanks"));
            }
            Ok(())
        }
        .await,
    )
}

/// The address a visitor typed, judged with the contact choice: kept only with it, and never
/// dropped in silence without it. The refusals are in the visitor's language.
#[cfg(feature = "ssr")]
fn contact_address(
    contact: bool,
    typed: Option<&str>,
    texts: &crate::i18n::Texts,
) -> Result<Option<crate::domain::Email>, AppError> {
    match (contact, typed.map(str::trim).filter(|a| !a.is_empty())) {
        (true, None) => Err(AppError::invalid("contact_email", texts.email_missing)),
        (true, Some(address)) => crate::domain::Email::parse("contact_email", address)
            .map(Some)
            .map_err(|_| AppError::invalid("contact_email", texts.email_invalid)),
        (false, Some(_)) => Err(AppError::invalid("contact_email", texts.tick_or_clear)),
        (false, None) => Ok(None),
    }
}

/// The checks every visitor post of the hosted page passes first: a site key of the right shape
/// (a wrong one never reaches a limiter's table or a query), then the same per-site and
/// per-client limits as the API, before any work. Returns the key and the request's headers.
#[cfg(feature = "ssr")]
async fn visitor_gate(site_key: &str) -> Result<(String, http::HeaderMap), AppError> {
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let site_key = crate::domain::SiteKey::parse("site_key", site_key)
        .map_err(|_| AppError::NotFound)?
        .to_string();
    if let Some(limits) = use_context::<crate::ingest::SharedVisitorLimits>() {
        let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()
            .map(|axum::extract::ConnectInfo(addr)| addr);
        if let Err(wait) = limits.check(&site_key, &headers, peer, 1) {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(wait));
            }
            return crate::error::with_status(Err(AppError::Throttled));
        }
    }
    Ok((site_key, headers))
}

/// Adds to an answer the hosted page's script stored by its score: a changed score, or the
/// comment and the contact choice (`contact` is `true` or `false` once the visitor sends; the
/// e-mail only with `true`). Only the holder of the answer's edit secret may, within the
/// amendment window; a wrong secret and an unknown id are the same 404.
#[server(prefix = "/fn", endpoint = "amend_answer")]
pub async fn amend_answer(
    site_key: String,
    id: String,
    edit_secret: String,
    #[server(default)] score: Option<String>,
    #[server(default)] comment: Option<String>,
    #[server(default)] contact: Option<String>,
    #[server(default)] contact_email: Option<String>,
    #[server(default)] reason: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Comment, ConsentChoices, EditSecret, ResponseAmendment};
    use crate::ingest::{self, IngestError};

    crate::error::with_status(
        async {
            let (site_key, headers) = visitor_gate(&site_key).await?;
            let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
            let secret = EditSecret::parse("edit_secret", &edit_secret)?;
            let score = score
                .as_deref()
                .map(|s| {
                    s.parse().map_err(|_| {
                        AppError::invalid("score", "Please choose a score from 0 to 10.")
                    })
                })
                .transpose()?;
            let contact = match contact.as_deref() {
                None => None,
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(_) => return Err(AppError::invalid("contact", "must be true or false")),
            };
            let texts = crate::i18n::of_request(None, &headers).texts();
            let contact_email =
                contact_address(contact == Some(true), contact_email.as_deref(), &texts)?;
            let amendment = ResponseAmendment {
                score,
                comment: Comment::parse("comment", comment.as_deref().unwrap_or_default())?,
                contact_email,
                choices: ConsentChoices::parse(
                    "choices",
                    contact.map(|granted| (crate::domain::CONTACT, granted)),
                )?,
                reason: reason_key(reason.as_deref())?,
                ..Default::default()
            };
            let store = crate::auth::store()?;
            let site = ingest::find_site(store.as_ref(), &site_key)
                .await
                .map_err(|_| AppError::NotFound)?;
            let settings = use_context::<ingest::IngestSettings>().unwrap_or_default();
            match ingest::amend_response(
                store.as_ref(),
                &site,
                id,
                &secret,
                &amendment,
                settings.amend_window,
                ingest::received_now(),
            )
            .await
            {
                Ok(()) => Ok(()),
                Err(IngestError::Invalid(e)) => Err(AppError::Invalid(e)),
                Err(IngestError::UnknownResponse) => Err(AppError::NotFound),
                Err(IngestError::AmendExpired | IngestError::OptedOut | IngestError::IdTaken) => {
                    Err(AppError::Forbidden)
                }
                Err(IngestError::Store(e)) => Err(e.into()),
            }
        }
        .await,
    )
}

#[component]
pub fn SurveyPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let survey = Resource::new(
        move || {
            (
                params.read().get("site_key").unwrap_or_default(),
                query.read().get("lang"),
            )
        },
        |(key, lang)| load_survey(key, lang),
    );
    view! {
        <Suspense fallback=|| view! { <p>"…"</p> }>
            {move || Suspend::new(async move {
                match survey.await {
                    Ok(survey) => {
                        let (title, lang, dir) = (survey.text("title"), survey.lang.clone(), survey.dir.clone());
                        view! {
                            <Title text=title />
                            <main class="survey" lang=lang dir=dir>
                                <SurveyForm survey />
                            </main>
                        }.into_any()
                    }
                    Err(_) => {
                        crate::not_found_status();
                        view! {
                            <main class="survey">
                                <h1>"Survey not found"</h1>
                                <p>"This survey does not exist or is not open."</p>
                            </main>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn SurveyForm(survey: SurveyView) -> impl IntoView {
    if survey.gpc {
        return view! {
            <h1>{survey.text("title")}</h1>
            <p class="gpc" role="status">{survey.text("opted_out")}</p>
        }
        .into_any();
    }
    view! { <AnswerForm survey /> }.into_any()
}

#[component]
fn ThankYou(thanks: String, saved: String) -> impl IntoView {
    view! {
        <section class="thanks" role="status">
            <h1>{thanks}</h1>
            <p>{saved}</p>
        </section>
    }
}

/// A plain HTML form: with JavaScript off it posts the whole answer once. `enhance.js` takes it
/// over when it can: the score is stored the moment it is chosen (with an edit secret made in
/// the browser), the rest follows by that secret, and the thanks replace the form in place. The
/// texts the script needs travel as `data-` attributes, so it carries none of its own.
#[component]
fn AnswerForm(survey: SurveyView) -> impl IntoView {
    let notice_href = format!("/notice/{}?lang={}", survey.notice_id, survey.lang);
    let notice_text = format!("{} (v{})", survey.text("notice"), survey.notice_version);
    let (not_likely, extremely_likely) =
        (survey.text("not_likely"), survey.text("extremely_likely"));
    let max = crate::domain::COMMENT_MAX_CHARS;
    let refused = refused_answer();
    let field_error = |field: &str| {
        refused.at(field).map(|reason| {
            view! { <p class="field-error" id=format!("{field}-error") role="alert">{reason}</p> }
        })
    };
    let described = |field: &str, also: &'static str| match refused.at(field) {
        Some(_) => format!("{field}-error {also}").trim().to_string(),
        None => also.to_string(),
    };
    let invalid = |field: &str| refused.at(field).map(|_| "true");
    let reason_error = field_error("reason");
    let reason_described = refused.at("reason").map(|_| "reason-error");
    let typed_reason = refused.reason_key.clone();
    // Each band's options in a group of their own: without JavaScript every group shows (each
    // naming its scores), and the server takes the one of the score's band; the script shows
    // only the band of the score chosen.
    let reasons = survey.reason.clone().map(|reason| {
        let question = reason.question.clone();
        reason
            .options
            .into_iter()
            .map(|(band, options)| {
                let scores = match band.as_str() {
                    "detractor" => "0–6",
                    "passive" => "7–8",
                    _ => "9–10",
                };
                let legend = format!("{question} ({scores})");
                let radios = options
                    .into_iter()
                    .map(|[key, label]| {
                        let checked = key == typed_reason;
                        view! {
                            <label class="reason-option">
                                <input type="radio" name="reason" value=key checked=checked />" "{label}
                            </label>
                        }
                    })
                    .collect_view();
                view! {
                    <fieldset class="reason" data-band=band aria-describedby=reason_described>
                        <legend>{legend}</legend>
                        {radios}
                    </fieldset>
                }
            })
            .collect_view()
    });
    let (score_error, comment_error, email_error) = (
        field_error("score"),
        field_error("comment"),
        field_error("contact_email"),
    );
    let comment_described = described("comment", "comment-limit");
    let score_described = refused.at("score").map(|_| "score-error");
    let (comment_invalid, email_invalid) = (invalid("comment"), invalid("contact_email"));
    let email_described = Some(described("contact_email", "")).filter(|d| !d.is_empty());
    let elsewhere = refused.elsewhere();
    let (typed_score, typed_comment, typed_email, ticked) = (
        refused.score,
        refused.comment.clone(),
        refused.contact_email.clone(),
        refused.contact,
    );
    let comment_count = typed_comment.chars().count().to_string();
    let typed_comment = crate::textarea_text(&typed_comment);
    // Without JavaScript the form posts to its own page, which answers a refusal with this
    // page again, everything typed kept.
    let action = format!("/s/{}?lang={}", survey.site_key, survey.lang);

    view! {
        <h1>{survey.text("title")}</h1>
        <form
            method="post"
            action=action
            class="survey-form"
            data-thanks=survey.text("thanks")
            data-saved=survey.text("saved")
            data-unreachable=survey.text("unreachable")
        >
            <input type="hidden" name="site_key" value=survey.site_key.clone() />
            <input type="hidden" name="survey_id" value=survey.survey_id.to_string() />
            <input type="hidden" name="id" value=survey.response_id.to_string() />
            <input type="hidden" name="notice_version" value=survey.notice_version.to_string() />
            <input type="hidden" name="shown_at" value=survey.shown_at.to_string() />
            // A field people never see (nor reach by keyboard); bots fill it in.
            <div class="hp" aria-hidden="true">
                <label>"Website" <input type="text" name="website" tabindex="-1" autocomplete="off" /></label>
            </div>
            <fieldset class="scale" aria-describedby=score_described>
                <legend id="scale-question">{survey.text("question")}</legend>
                <div class="scale-options">
                    {crate::nps::Score::all()
                        .map(|score| {
                            let value = score.value();
                            let label = match value {
                                0 => format!("0 — {not_likely}"),
                                10 => format!("10 — {extremely_likely}"),
                                n => n.to_string(),
                            };
                            view! {
                                <label class="scale-option">
                                    <input type="radio" name="score" value=value.to_string() aria-label=label required checked=typed_score == Some(value) />
                                    <span aria-hidden="true">{value}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="scale-ends" aria-hidden="true">
                    <span>{not_likely.clone()}</span>
                    <span>{extremely_likely.clone()}</span>
                </div>
                {score_error}
            </fieldset>
            {reasons}
            {reason_error}
            // Without JavaScript the comment asks the neutral question; the script follows
            // the band of the score chosen.
            <label for="comment">
                <span
                    class="follow-up"
                    data-detractor=survey.text("follow_up_detractor")
                    data-passive=survey.text("follow_up_passive")
                    data-promoter=survey.text("follow_up_promoter")
                >
                    {survey.text("follow_up_passive")}
                </span>
                " "
                <span class="hint">{survey.text("comment_optional")}</span>
            </label>
            <textarea id="comment" name="comment" rows="4" maxlength=max.to_string() aria-describedby=comment_described aria-invalid=comment_invalid>{typed_comment}</textarea>
            {comment_error}
            <p id="comment-limit" class="hint">
                <span class="comment-count" aria-live="polite">{comment_count}</span>
                {format!(" / {max}")}
            </p>
            <label class="contact-choice">
                <input type="checkbox" name="contact" value="true" checked=ticked />
                " "{survey.text("contact_me")}
            </label>
            <label for="contact_email">{survey.text("email")}" "<span class="hint">{survey.text("comment_optional")}</span></label>
            <input id="contact_email" type="email" name="contact_email" autocomplete="email" maxlength="254" value=typed_email aria-describedby=email_described aria-invalid=email_invalid />
            {email_error}
            <p class="error" role="alert" hidden=elsewhere.is_none()>{elsewhere.clone()}</p>
            <button type="submit">{survey.text("send")}</button>
            <p class="notice">
                {survey.text("stored_under")}" "
                <a href=notice_href target="_blank">{notice_text}</a>
                "."
            </p>
        </form>
    }
}

#[component]
pub fn ThanksPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let survey = Resource::new(
        move || {
            (
                params.read().get("site_key").unwrap_or_default(),
                query.read().get("lang"),
            )
        },
        |(key, lang)| load_survey(key, lang),
    );
    view! {
        <main class="survey">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let (thanks, saved) = match survey.await {
                        Ok(s) => (s.text("thanks"), s.text("saved")),
                        Err(_) => ("Thank you!".to_string(), "Your answer has been saved.".to_string()),
                    };
                    view! { <Title text=thanks.clone() /><ThankYou thanks saved /> }
                })}
            </Suspense>
        </main>
    }
}
