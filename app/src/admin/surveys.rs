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
use std::collections::BTreeMap;

/// The texts the editor offers, in the order a visitor meets them, with what each is called.
/// Any other text a survey overrides (set by `configure-survey`) gets a field too.
const EDITED_TEXTS: [(&str, &str); 18] = [
    ("title", "Heading"),
    ("question", "Question"),
    ("not_likely", "Label under 0"),
    ("extremely_likely", "Label under 10"),
    ("follow_up_detractor", "Follow-up after 0–6"),
    ("follow_up_passive", "Follow-up after 7–8"),
    ("follow_up_promoter", "Follow-up after 9–10"),
    ("comment_optional", "Beside the comment box"),
    ("contact_me", "Contact choice"),
    ("email", "E-mail label"),
    ("send", "Send button"),
    ("thanks", "Thank-you heading"),
    ("saved", "Thank-you message"),
    ("arm_button", "Feedback button"),
    ("armed", "Promise once the button is pressed"),
    ("armed_touch", "Promise on phones and tablets"),
    ("waiting", "The waiting window"),
    ("cancel", "Cancel button"),
];

/// One language the survey can speak, with the default of each of `EDITED_TEXTS` (shown as
/// its field's placeholder). Sent with the sites, so the bundle carries no text tables.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LanguageTexts {
    pub code: String,
    pub name: String,
    pub defaults: Vec<String>,
}

/// Every language's defaults of the edited texts.
#[cfg(feature = "ssr")]
pub fn language_texts() -> Vec<LanguageTexts> {
    use crate::i18n::Lang;
    Lang::ALL
        .into_iter()
        .map(|lang| {
            let texts = serde_json::to_value(lang.texts()).unwrap_or_default();
            let name = match lang {
                Lang::En => "English",
                Lang::Fi => "Suomi (Finnish)",
                Lang::Sv => "Svenska (Swedish)",
                Lang::De => "Deutsch (German)",
                Lang::Ar => "العربية (Arabic)",
            };
            LanguageTexts {
                code: lang.code().into(),
                name: name.into(),
                defaults: EDITED_TEXTS
                    .iter()
                    .map(|(key, _)| texts[key].as_str().unwrap_or_default().to_string())
                    .collect(),
            }
        })
        .collect()
}

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
    languages: Vec<LanguageTexts>,
) -> impl IntoView {
    let s = survey.settings.clone();
    let t = s.triggers.clone();
    let current = s.button_position;
    let position = move |p: ButtonPosition, value: &'static str, label: &'static str| {
        view! { <option value=value selected=current == p>{label}</option> }
    };
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let id = survey.id.to_string();
    let f = Feedback::for_form(update, move |i: &UpdateSurvey| i.form.survey == id);
    let preview = preview_html(&languages);
    let texts = languages
        .into_iter()
        .enumerate()
        .map(|(i, l)| TextsOfLanguage(&s.texts, l, i == 0, f))
        .collect_view();
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
                <fieldset class="survey-texts">
                    <legend>"Texts"</legend>
                    <div class="texts-fields">
                        <p class="hint">"An empty field shows the default, in grey. "<code>"{product}"</code>" stands for the product's name."</p>
                        {texts}
                        {f.at("texts")}
                    </div>
                    // The survey as the widget draws it (server/src/widget/preview.js), redrawn
                    // as the fields change. Static, so written as HTML: no view code for it in
                    // the bundle.
                    <div class="survey-preview" inner_html=preview></div>
                </fieldset>
                <button type="submit">"Save survey"</button>
                {f.saved("Saved.")}
            </ActionForm>
            {f.rest()}
        </details>
    }
}

/// The preview's controls and frame. The selects have no name: they are not sent.
fn preview_html(languages: &[LanguageTexts]) -> String {
    let options: String = languages
        .iter()
        .map(|l| format!("<option value=\"{}\">{}</option>", l.code, l.name))
        .collect();
    format!(
        "<p class=\"preview-controls\"><label>Preview in <select data-preview=\"lang\">{options}</select></label> \
         <label>on <select data-preview=\"device\"><option value=\"desktop\">a computer</option>\
         <option value=\"phone\">a phone (390 px)</option></select></label></p>\
         <div class=\"preview-frame\"><iframe src=\"/w/preview\" title=\"Preview of the survey, as visitors see it\" loading=\"lazy\"></iframe></div>"
    )
}

/// One language's text fields, folded but for the first language's: each shows the text the
/// survey has, or is empty with the default as its placeholder.
#[allow(non_snake_case)]
fn TextsOfLanguage(
    overrides: &BTreeMap<String, BTreeMap<String, String>>,
    language: LanguageTexts,
    open: bool,
    f: Feedback,
) -> impl IntoView {
    let empty = BTreeMap::new();
    let own = overrides.get(&language.code).unwrap_or(&empty);
    let mut fields: Vec<(String, String, String)> = EDITED_TEXTS
        .iter()
        .zip(&language.defaults)
        .map(|((key, label), default)| (key.to_string(), label.to_string(), default.clone()))
        .collect();
    // A text set by the CLI that the editor does not offer: kept, not lost on saving.
    for key in own.keys() {
        if !EDITED_TEXTS.iter().any(|(k, _)| k == key) {
            fields.push((key.clone(), key.clone(), String::new()));
        }
    }
    let changed = own.len();
    // Each field takes the direction of what is typed in it (dir=auto): Arabic reads right to
    // left as it is typed, beside English labels.
    let code = language.code;
    let prefix = format!("texts.{code}.");
    let open = move || open || f.refuses(&prefix);
    let fields = fields
        .into_iter()
        .map(|(key, label, default)| {
            let value = own.get(&key).cloned().unwrap_or_default();
            view! {
                <label>{label}
                    <input name=format!("form[texts][{code}][{key}]") value=value placeholder=default
                        maxlength="1000" dir="auto" />
                </label>
                {f.at(format!("texts.{code}.{key}"))}
            }
        })
        .collect_view();
    let summary = match changed {
        0 => language.name,
        1 => format!("{} · 1 text of its own", language.name),
        n => format!("{} · {n} texts of its own", language.name),
    };
    view! {
        <details class="texts-of-language" open=open>
            <summary>{summary}</summary>
            {fields}
        </details>
    }
}
