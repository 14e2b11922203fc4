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
}

impl SurveyView {
    fn text(&self, key: &str) -> String {
        self.texts.get(key).cloned().unwrap_or_default()
    }
}

#[server(prefix = "/fn", endpoint = "load_survey")]
pub async fn load_survey(site_key: String, lang: Option<String>) -> Result<SurveyView, AppError> {
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let lang = crate::i18n::negotiate(
        lang.as_deref(),
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let site = crate::auth::store()?
        .public_site(
            &crate::domain::SiteKey::parse("site", &site_key).map_err(|_| AppError::NotFound)?,
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let (survey, notice) = match (site.default_survey, site.current_notice) {
        (Some(survey), Some(notice)) => (survey, notice),
        _ => return Err(AppError::NotFound),
    };
    Ok(SurveyView {
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
) -> Result<(), AppError> {
    use crate::domain::{Comment, ConsentChoices, Email, Language, NewResponse, UsageContext};
    use crate::ingest::{self, IngestError};

    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    // A key of the wrong shape is no site: it never reaches a limiter's table or a query.
    let site_key = crate::domain::SiteKey::parse("site_key", &site_key)
        .map_err(|_| AppError::NotFound)?
        .to_string();
    // The same gate as the API: per-site and per-client limits first, before any work.
    if let Some(limits) = use_context::<ingest::SharedVisitorLimits>() {
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
    let plain_form = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));

    let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
    let survey = Uuid::parse_str(&survey_id)
        .map_err(|_| AppError::invalid("survey_id", "must be a UUID"))?;
    let score = score
        .as_deref()
        .ok_or_else(|| AppError::invalid("score", "Please choose a score from 0 to 10."))?
        .parse()
        .map_err(|_| AppError::invalid("score", "Please choose a score from 0 to 10."))?;
    let comment = Comment::parse("comment", comment.as_deref().unwrap_or_default())?;
    // The contact choice was shown: it is recorded either way; the address only with consent.
    let contact = contact.is_some();
    let contact_email = if contact {
        Some(Email::parse(
            "contact_email",
            contact_email.as_deref().unwrap_or_default(),
        )?)
    } else {
        None
    };
    let choices = ConsentChoices::parse(
        "choices",
        [
            (crate::domain::IMPROVEMENT_PROGRAM, true),
            (crate::domain::CONTACT, contact),
        ],
    )?;
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
        // The hosted form sends the whole answer at once: nothing to amend later.
        edit_secret: None,
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
        Err(IngestError::IdTaken) => return Err(AppError::invalid("id", "is already used")),
        Err(IngestError::OptedOut | IngestError::UnknownResponse | IngestError::AmendExpired) => {
            return Err(AppError::Forbidden)
        }
        Err(IngestError::Store(e)) => return Err(e.into()),
    }
    // A plain form post (JavaScript off) moves on to the thank-you page; the hydrated page
    // shows its thanks in place instead.
    if plain_form {
        leptos_axum::redirect(&format!("/s/{site_key}/thanks"));
    }
    Ok(())
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
    let submit = ServerAction::<SubmitAnswer>::new();
    let done = move || matches!(submit.value().get(), Some(Ok(())));
    let (thanks, saved) = (survey.text("thanks"), survey.text("saved"));
    if survey.gpc {
        return view! {
            <h1>{survey.text("title")}</h1>
            <p class="gpc" role="status">{survey.text("opted_out")}</p>
        }
        .into_any();
    }
    view! {
        <Show
            when=move || !done()
            fallback=move || view! { <ThankYou thanks=thanks.clone() saved=saved.clone() /> }
        >
            <AnswerForm survey=survey.clone() submit />
        </Show>
    }
    .into_any()
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

#[component]
fn AnswerForm(survey: SurveyView, submit: ServerAction<SubmitAnswer>) -> impl IntoView {
    let error = move || match submit.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let (comment_chars, set_comment_chars) = signal(0usize);
    // Without JavaScript the comment asks the neutral question; once hydrated it follows the
    // band of the score chosen.
    let chosen = RwSignal::new(None::<u8>);
    let follow_up = {
        let texts = survey.texts.clone();
        move || {
            let key = match chosen
                .get()
                .map(|v| crate::nps::Score::try_from(v).map(|s| s.band()))
            {
                Some(Ok(crate::nps::Band::Promoter)) => "follow_up_promoter",
                Some(Ok(crate::nps::Band::Detractor)) => "follow_up_detractor",
                _ => "follow_up_passive",
            };
            texts.get(key).cloned().unwrap_or_default()
        }
    };
    let notice_href = format!("/notice/{}", survey.notice_id);
    let notice_text = format!("{} (v{})", survey.text("notice"), survey.notice_version);
    let (not_likely, extremely_likely) =
        (survey.text("not_likely"), survey.text("extremely_likely"));
    let max = crate::domain::COMMENT_MAX_CHARS;

    view! {
        <h1>{survey.text("title")}</h1>
        <ActionForm action=submit attr:class="survey-form">
            <input type="hidden" name="site_key" value=survey.site_key.clone() />
            <input type="hidden" name="survey_id" value=survey.survey_id.to_string() />
            <input type="hidden" name="id" value=survey.response_id.to_string() />
            <input type="hidden" name="notice_version" value=survey.notice_version.to_string() />
            <input type="hidden" name="shown_at" value=survey.shown_at.to_string() />
            // A field people never see (nor reach by keyboard); bots fill it in.
            <div class="hp" aria-hidden="true">
                <label>"Website" <input type="text" name="website" tabindex="-1" autocomplete="off" /></label>
            </div>
            <fieldset class="scale">
                <legend id="scale-question">{survey.text("question")}</legend>
                <div class="scale-options" role="radiogroup" aria-labelledby="scale-question">
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
                                    <input
                                        type="radio"
                                        name="score"
                                        value=value.to_string()
                                        aria-label=label
                                        required
                                        on:change=move |_| chosen.set(Some(value))
                                    />
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
            </fieldset>
            <label for="comment">
                <span class="follow-up">{follow_up}</span>
                " "
                <span class="hint">{survey.text("comment_optional")}</span>
            </label>
            <textarea
                id="comment"
                name="comment"
                rows="4"
                maxlength=max.to_string()
                aria-describedby="comment-limit"
                on:input=move |ev| set_comment_chars.set(event_target_value(&ev).chars().count())
            ></textarea>
            <p id="comment-limit" class="hint">
                <span class="comment-count">{comment_chars}</span>
                {format!(" / {max}")}
            </p>
            <label class="contact-choice">
                <input type="checkbox" name="contact" value="true" />
                " "{survey.text("contact_me")}
            </label>
            <label for="contact_email">{survey.text("email")}" "<span class="hint">{survey.text("comment_optional")}</span></label>
            <input id="contact_email" type="email" name="contact_email" autocomplete="email" maxlength="254" />
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" disabled=move || submit.pending().get()>{survey.text("send")}</button>
            <p class="notice">
                {survey.text("stored_under")}" "
                <a href=notice_href target="_blank">{notice_text}</a>
                "."
            </p>
        </ActionForm>
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
