//! A survey's settings: who is asked, when, where the button sits, in which words. The surveys
//! are listed with their site (`sites.rs`), whose section reloads when one is saved.

use super::feedback::Feedback;
use super::forms;
#[cfg(feature = "ssr")]
use super::{acting, parse_id};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::{ButtonPosition, Survey};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "update_survey")]
pub async fn update_survey(org: String, form: forms::SurveyForm) -> Result<(), AppError> {
    let who = acting(&org, Role::Admin).await?;
    let survey = parse_id("survey", &form.survey)?;
    let (name, product, settings) = form.parse()?;
    let update = crate::store::SurveyUpdate {
        name: &name,
        product_name: &product,
        settings: &settings,
    };
    if !who.store.update_survey(who.org(), survey, &update).await? {
        return Err(AppError::NotFound);
    }
    who.audit("survey.update", survey.to_string()).await
}

#[component]
pub fn SurveyCard(
    survey: Survey,
    org: String,
    update: ServerAction<UpdateSurvey>,
) -> impl IntoView {
    let s = survey.settings.clone();
    let t = s.triggers.clone();
    let current = s.button_position;
    let position = move |p: ButtonPosition, value: &'static str, label: &'static str| {
        view! { <option value=value selected=current == p>{label}</option> }
    };
    let texts = if s.texts.is_empty() {
        String::new()
    } else {
        serde_json::to_string_pretty(&s.texts).unwrap_or_default()
    };
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let id = survey.id.to_string();
    let f = Feedback::for_form(update, move |i: &UpdateSurvey| i.form.survey == id);
    view! {
        <details class="survey-admin">
            <summary>{format!("Survey: {}", survey.name)}</summary>
            <ActionForm action=update attr:class="survey-settings">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="form[survey]" value=survey.id.to_string() />
                <label>"Name "<input name="form[name]" value=survey.name.clone() required /></label>
                {f.at("name")}
                <label>"Product named in the question "<input name="form[product_name]" value=survey.product_name.clone() required /></label>
                {f.at("product_name")}
                <label>"Ask this share of visitors (%) "<input name="form[sample_percent]" type="number" min="0" max="100" step="any" value=(s.sample_rate * 100.0).to_string() /></label>
                {f.at("sample_percent")}
                <label>"Days before asking again after an answer "<input name="form[cooldown_answer_days]" type="number" min="0" value=s.cooldown_after_answer_days.to_string() /></label>
                {f.at("cooldown_answer_days")}
                <label>"…after a dismissal "<input name="form[cooldown_dismiss_days]" type="number" min="0" value=s.cooldown_after_dismiss_days.to_string() /></label>
                {f.at("cooldown_dismiss_days")}
                <label>"Feedback button "<select name="form[button_position]">
                    {position(ButtonPosition::BottomRight, "bottom-right", "bottom right")}
                    {position(ButtonPosition::BottomLeft, "bottom-left", "bottom left")}
                    {position(ButtonPosition::Hidden, "hidden", "hidden (site calls farewell.arm())")}
                </select></label>
                {f.at("button_position")}
                <fieldset>
                    <legend>"Triggers"</legend>
                    <label><input type="checkbox" name="form[armed_exit]" checked=t.armed_exit />" Armed exit (the button)"</label>
                    <label><input type="checkbox" name="form[exit_intent]" checked=t.exit_intent />" Exit intent after "
                        <input name="form[exit_intent_min_seconds]" type="number" min="0" size="4" value=t.exit_intent_min_seconds.to_string() />" s on the page"</label>
                    {f.at("exit_intent_min_seconds")}
                    <label><input type="checkbox" name="form[mobile_return]" checked=t.mobile_return />" Mobile: on return to the tab"</label>
                    <label>"After seconds on site "<input name="form[time_on_site_seconds]" type="number" min="0" value=number(t.time_on_site_seconds) /></label>
                    {f.at("time_on_site_seconds")}
                    <label>"On page number "<input name="form[pages_viewed]" type="number" min="0" value=number(t.pages_viewed) /></label>
                    {f.at("pages_viewed")}
                </fieldset>
                <label>"Active from "<input name="form[active_from]" type="date" value=date(s.active_from) /></label>
                {f.at("active_from")}
                <label>"Active until "<input name="form[active_until]" type="date" value=date(s.active_until) /></label>
                {f.at("active_until")}
                <label>"Texts per language (JSON; keys as in the defaults, e.g. question, follow_up_detractor)"
                    <textarea name="form[texts]" rows="4">{crate::textarea_text(&texts)}</textarea></label>
                {f.at("texts")}
                <button type="submit">"Save survey"</button>
                {f.saved("Saved.")}
            </ActionForm>
            {f.rest()}
        </details>
    }
}
