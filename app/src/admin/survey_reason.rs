//! A survey's exit-reason question (`domain::ReasonQuestion`): the options each band is
//! offered after its score, with their labels per language. A section of the survey's page
//! (`survey_pages`), rendered on the server with a plain form.

use super::feedback::Feedback;
use super::{acting, parse_id};
use crate::domain::{ReasonQuestion, Role};
use crate::error::AppError;
use leptos::prelude::*;

/// Replaces a survey's exit-reason question (all options empty: not asked). Owners and admins
/// of its organisation only; audited.
#[server(prefix = "/fn", endpoint = "save_survey_reason")]
pub async fn save_survey_reason(
    org: String,
    id: String,
    #[server(default)] detractors: String,
    #[server(default)] passives: String,
    #[server(default)] promoters: String,
    #[server(default)] translations: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let survey = parse_id("id", &id)?;
            let question =
                ReasonQuestion::from_form([&detractors, &passives, &promoters], &translations)?;
            if !who
                .store
                .set_survey_reason(who.org(), survey, &question)
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit(
                "survey.reason",
                format!("{survey}: {}", question.describe()),
            )
            .await
        }
        .await,
    )
}

/// The form, filled with the question as saved.
#[component]
pub fn ReasonForm(question: ReasonQuestion, org: String, id: String) -> impl IntoView {
    let save = ServerAction::<SaveSurveyReason>::new();
    let feedback = Feedback::new(save);
    let ([detractors, passives, promoters], translations) = question.to_form();
    let now = question.describe();
    let band = move |name: &'static str, label: &'static str, value: String| {
        let field = format!("options.{}", &name[..name.len() - 1]);
        view! {
            <label for=name>{label}</label>
            <textarea id=name name=name rows="4" maxlength="3000" aria-describedby="reason-hint">{value}</textarea>
            {feedback.at(field)}
        }
    };
    view! {
        <h2 id="exit-reason">"Exit reason"</h2>
        <p class="hint" id="reason-hint">"After the score, ask \"What is the main reason for your score?\" with the options of the score's band. One option per line as key: English label (price: Too expensive); the key is what the dashboard segments by (reason:price). Leave a band empty not to ask it. Other languages, one line each: fi price: Liian kallis, or fi question: … for the question itself; an option not translated shows in English."</p>
        <ActionForm action=save attr:class="stack">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=id />
            {band("detractors", "Detractors (0–6)", detractors)}
            {band("passives", "Passives (7–8)", passives)}
            {band("promoters", "Promoters (9–10)", promoters)}
            <label for="translations">"Other languages"</label>
            <textarea id="translations" name="translations" rows="4" maxlength="10000" aria-describedby="reason-hint">{translations}</textarea>
            {feedback.at("texts")}
            <button type="submit">"Save exit reason"</button>
            {feedback.saved("Saved. New answers are asked it.")}
            {feedback.rest()}
        </ActionForm>
        <p class="hint">"Now: "{now}</p>
    }
}
