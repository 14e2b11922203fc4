//! The visitor's survey: the hosted page `/s/{site_key}`, its thank-you page, and the server
//! functions behind them. The form is a plain HTML form first (it works with JavaScript off);
//! once hydrated it submits in place without leaving the page.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
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
}

#[server(prefix = "/fn", endpoint = "load_survey")]
pub async fn load_survey(site_key: String) -> Result<SurveyView, AppError> {
    let site = crate::auth::store()?
        .public_site(&site_key)
        .await?
        .ok_or(AppError::NotFound)?;
    let (survey, notice) = match (site.default_survey, site.current_notice) {
        (Some(survey), Some(notice)) => (survey, notice),
        _ => return Err(AppError::NotFound),
    };
    Ok(SurveyView {
        site_key: site.site.site_key,
        survey_id: survey.id,
        product_name: survey.product_name,
        notice_id: notice.id,
        notice_version: notice.version,
        response_id: Uuid::new_v4(),
    })
}

#[server(prefix = "/fn", endpoint = "submit_answer")]
pub async fn submit_answer(
    site_key: String,
    survey_id: String,
    id: String,
    notice_version: Option<u32>,
    score: Option<String>,
    comment: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Comment, ConsentChoices, Language, NewResponse, UsageContext};
    use crate::ingest::{self, IngestError};

    let id = Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
    let survey = Uuid::parse_str(&survey_id)
        .map_err(|_| AppError::invalid("survey_id", "must be a UUID"))?;
    let score = score
        .as_deref()
        .ok_or_else(|| AppError::invalid("score", "Please choose a score from 0 to 10."))?
        .parse()
        .map_err(|_| AppError::invalid("score", "Please choose a score from 0 to 10."))?;
    let comment = Comment::parse("comment", comment.as_deref().unwrap_or_default())?;
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
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
        choices: ConsentChoices::improvement_program(),
        context: ingest::complete_context(
            UsageContext {
                trigger: Some(crate::domain::Trigger::Hosted),
                ..UsageContext::default()
            },
            &headers,
            settings.country_header.as_deref(),
        ),
        respondent: None,
        contact_email: None,
    };
    let store = crate::auth::store()?;
    let sink = use_context::<crate::store::SharedSink>().ok_or(AppError::Internal)?;
    match ingest::record_response(
        store.as_ref(),
        sink.as_ref(),
        answer,
        ingest::received_now(),
    )
    .await
    {
        Ok(_) => {}
        Err(IngestError::Invalid(e)) => return Err(AppError::Invalid(e)),
        Err(IngestError::IdTaken) => return Err(AppError::invalid("id", "is already used")),
        Err(IngestError::OptedOut | IngestError::UnknownResponse) => {
            return Err(AppError::Forbidden)
        }
        Err(IngestError::Store(e)) => return Err(e.into()),
    }
    // A plain form post (JavaScript off) moves on to the thank-you page; the hydrated page
    // shows its thanks in place instead.
    let plain_form = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if plain_form {
        leptos_axum::redirect(&format!("/s/{site_key}/thanks"));
    }
    Ok(())
}

#[component]
pub fn SurveyPage() -> impl IntoView {
    let params = use_params_map();
    let survey = Resource::new(
        move || params.read().get("site_key").unwrap_or_default(),
        load_survey,
    );
    view! {
        <Title text="How was your experience?" />
        <main class="survey">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match survey.await {
                        Ok(survey) => view! { <SurveyForm survey /> }.into_any(),
                        Err(_) => {
                            crate::not_found_status();
                            view! {
                            <h1>"Survey not found"</h1>
                            <p>"This survey does not exist or is not open."</p>
                        }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn SurveyForm(survey: SurveyView) -> impl IntoView {
    let submit = ServerAction::<SubmitAnswer>::new();
    let done = move || matches!(submit.value().get(), Some(Ok(())));
    view! {
        <Show when=move || !done() fallback=ThankYou>
            <AnswerForm survey=survey.clone() submit />
        </Show>
    }
}

#[component]
fn ThankYou() -> impl IntoView {
    view! {
        <section class="thanks" role="status">
            <h1>"Thank you!"</h1>
            <p>"Your answer has been saved."</p>
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
    let question = format!(
        "How likely are you to recommend {} to a friend or colleague?",
        survey.product_name
    );
    let notice_href = format!("/notice/{}", survey.notice_id);
    let notice_text = format!("privacy notice (version {})", survey.notice_version);
    let max = crate::domain::COMMENT_MAX_CHARS;

    view! {
        <h1>"How was your experience?"</h1>
        <ActionForm action=submit attr:class="survey-form">
            <input type="hidden" name="site_key" value=survey.site_key />
            <input type="hidden" name="survey_id" value=survey.survey_id.to_string() />
            <input type="hidden" name="id" value=survey.response_id.to_string() />
            <input type="hidden" name="notice_version" value=survey.notice_version.to_string() />
            <fieldset class="scale">
                <legend id="scale-question">{question}</legend>
                <div class="scale-options" role="radiogroup" aria-labelledby="scale-question">
                    {crate::nps::Score::all()
                        .map(|score| {
                            let value = score.value();
                            let label = match value {
                                0 => "0 — not likely".to_string(),
                                10 => "10 — extremely likely".to_string(),
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
                                    />
                                    <span aria-hidden="true">{value}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="scale-ends" aria-hidden="true">
                    <span>"Not likely"</span>
                    <span>"Extremely likely"</span>
                </div>
            </fieldset>
            <label for="comment">"Anything you would like to tell us? (optional)"</label>
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
                {format!(" / {max} characters")}
            </p>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" disabled=move || submit.pending().get()>"Send"</button>
            <p class="notice">
                "Your answer is stored under our "
                <a href=notice_href target="_blank">{notice_text}</a>
                ". We never store your IP address or what you were reading."
            </p>
        </ActionForm>
    }
}

#[component]
pub fn ThanksPage() -> impl IntoView {
    view! {
        <Title text="Thank you" />
        <main class="survey">
            <ThankYou />
        </main>
    }
}
