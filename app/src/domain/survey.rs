use crate::i18n::{Lang, Texts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How one survey behaves in the widget: when it opens, who is asked, how often, in which words.
/// Stored as JSON with the survey; every field has a default, so old rows and partial
/// configurations read as complete settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveySettings {
    pub triggers: Triggers,
    /// Share of visitors who are ever asked, 0–1. Decided once per visitor and kept.
    pub sample_rate: f64,
    /// Don't ask again for this many days after an answer…
    pub cooldown_after_answer_days: u32,
    /// …or after the survey was closed without an answer.
    pub cooldown_after_dismiss_days: u32,
    /// Where the "Give feedback when you're done" button sits.
    pub button_position: ButtonPosition,
    /// Per language code, replacements for any of the default texts (same keys as `Texts`).
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    /// The survey is shown from this day (UTC)…
    pub active_from: Option<chrono::NaiveDate>,
    /// …through this day (UTC), inclusive.
    pub active_until: Option<chrono::NaiveDate>,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            triggers: Triggers::default(),
            sample_rate: 1.0,
            cooldown_after_answer_days: 90,
            cooldown_after_dismiss_days: 30,
            button_position: ButtonPosition::BottomRight,
            texts: BTreeMap::new(),
            active_from: None,
            active_until: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Triggers {
    /// The seed flow: a button arms the survey, which opens when the visitor leaves the site.
    pub armed_exit: bool,
    /// Desktop: the pointer leaves through the top of the window.
    pub exit_intent: bool,
    /// Exit intent counts only after this long on the page.
    pub exit_intent_min_seconds: u32,
    /// Mobile: the page was hidden (tab switch, app switch) and the visitor came back.
    pub mobile_return: bool,
    /// Open after this many seconds on the site (across pages).
    pub time_on_site_seconds: Option<u32>,
    /// Open on the Nth page viewed.
    pub pages_viewed: Option<u32>,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            armed_exit: true,
            exit_intent: false,
            exit_intent_min_seconds: 10,
            mobile_return: false,
            time_on_site_seconds: None,
            pages_viewed: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ButtonPosition {
    BottomRight,
    BottomLeft,
    /// No floating button: the site calls `farewell.arm()` from its own button.
    Hidden,
}

impl SurveySettings {
    /// The settings as the admin wrote them, refused with a reason if they make no sense.
    pub fn parse_json(raw: &str) -> Result<SurveySettings, super::FieldError> {
        let settings: SurveySettings = serde_json::from_str(raw)
            .map_err(|e| super::FieldError::new("settings", e.to_string()))?;
        if !(0.0..=1.0).contains(&settings.sample_rate) || settings.sample_rate.is_nan() {
            return Err(super::FieldError::new(
                "settings.sample_rate",
                "must be from 0 to 1",
            ));
        }
        if let (Some(from), Some(until)) = (settings.active_from, settings.active_until) {
            if from > until {
                return Err(super::FieldError::new(
                    "settings.active_until",
                    "must not be before the start date",
                ));
            }
        }
        let known = serde_json::to_value(Lang::En.texts()).expect("texts serialise");
        for (lang, overrides) in &settings.texts {
            if Lang::from_code(lang).is_none() {
                return Err(super::FieldError::new(
                    "settings.texts",
                    format!("{lang} is not a supported language"),
                ));
            }
            if let Some(key) = overrides.keys().find(|k| known.get(k.as_str()).is_none()) {
                return Err(super::FieldError::new(
                    "settings.texts",
                    format!("{key} is not a text"),
                ));
            }
            // Texts are shown to visitors as text; a control character (a NUL, which
            // PostgreSQL's jsonb refuses, among them) belongs in none of them.
            if let Some((key, _)) = overrides.iter().find(|(_, text)| {
                text.chars().count() > 1000 || super::has_control_chars(text, false)
            }) {
                return Err(super::FieldError::new(
                    format!("settings.texts.{lang}.{key}"),
                    "must be at most 1000 characters, without control characters",
                ));
            }
            // A placeholder is filled in only where the default text has it ({product}
            // everywhere): a typo such as {produkt} would reach visitors as typed.
            let unknown = overrides.iter().find_map(|(key, text)| {
                let default = known.get(key).and_then(|v| v.as_str()).unwrap_or_default();
                placeholders(text)
                    .find(|p| *p != "{product}" && !default.contains(p))
                    .map(|p| (key, p))
            });
            if let Some((key, placeholder)) = unknown {
                return Err(super::FieldError::new(
                    format!("settings.texts.{lang}.{key}"),
                    format!(
                        "{placeholder} is not filled in here: {{product}} stands for the product's name"
                    ),
                ));
            }
        }
        Ok(settings)
    }

    /// Whether the widget shows the survey on `today` (UTC).
    pub fn is_active(&self, today: chrono::NaiveDate) -> bool {
        self.active_from.is_none_or(|from| from <= today)
            && self.active_until.is_none_or(|until| today <= until)
    }

    /// The texts a visitor sees in `lang`: defaults, then this survey's overrides, with the
    /// product name filled in.
    pub fn texts_for(&self, lang: Lang, product: &str) -> BTreeMap<String, String> {
        let defaults: Texts = lang.texts();
        let mut texts: BTreeMap<String, String> = serde_json::to_value(defaults)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        if let Some(overrides) = self.texts.get(lang.code()) {
            for (key, value) in overrides {
                if texts.contains_key(key) {
                    texts.insert(key.clone(), value.clone());
                }
            }
        }
        for value in texts.values_mut() {
            *value = value.replace("{product}", product);
        }
        texts
    }
}

/// Every `{word}` in a text: what would be filled in.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('{').filter_map(|(start, _)| {
        let end = start + text[start..].find('}')?;
        let word = &text[start + 1..end];
        (!word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .then(|| &text[start..=end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_placeholders_a_text_fills_in_are_accepted() {
        let ok =
            r#"{"texts":{"fi":{"question":"Suosittelisitko {product}?","title":"a { b } {}"}}}"#;
        assert!(SurveySettings::parse_json(ok).is_ok());
        let typo = SurveySettings::parse_json(r#"{"texts":{"de":{"question":"{produkt}?"}}}"#)
            .unwrap_err();
        assert_eq!(typo.field, "settings.texts.de.question");
        assert!(typo.reason.starts_with("{produkt} is not filled in here"));
        // The notice's heading fills in its version: allowed there, not in the title.
        assert!(SurveySettings::parse_json(
            r#"{"texts":{"en":{"notice_heading":"Notice v{version}"}}}"#
        )
        .is_ok());
        assert!(SurveySettings::parse_json(r#"{"texts":{"en":{"title":"v{version}"}}}"#).is_err());
        assert_eq!(
            placeholders("{a}{b_1} {c d} {").collect::<Vec<_>>(),
            ["{a}", "{b_1}"]
        );
    }

    #[test]
    fn partial_settings_fill_in_defaults() {
        let s =
            SurveySettings::parse_json(r#"{"triggers":{"exit_intent":true},"sample_rate":0.25}"#)
                .unwrap();
        assert!(s.triggers.exit_intent && s.triggers.armed_exit);
        assert_eq!(s.sample_rate, 0.25);
        assert_eq!(s.cooldown_after_answer_days, 90);
        assert_eq!(
            SurveySettings::parse_json("{}").unwrap(),
            SurveySettings::default()
        );
    }

    #[test]
    fn nonsense_settings_are_refused() {
        assert!(SurveySettings::parse_json(r#"{"sample_rate":1.5}"#).is_err());
        assert!(SurveySettings::parse_json(r#"{"texts":{"xx":{"title":"?"}}}"#).is_err());
        assert!(SurveySettings::parse_json(r#"{"texts":{"fi":{"nonsense":"?"}}}"#).is_err());
        assert!(SurveySettings::parse_json(r#"{"unknown":1}"#).is_err());
    }

    #[test]
    fn overrides_and_product_name_apply_per_language() {
        let s = SurveySettings::parse_json(r#"{"texts":{"fi":{"title":"Miten meni?"}}}"#).unwrap();
        let fi = s.texts_for(Lang::Fi, "Kauppa");
        assert_eq!(fi["title"], "Miten meni?");
        assert!(fi["question"].contains("Kauppa") && !fi["question"].contains("{product}"));
        assert_eq!(
            s.texts_for(Lang::En, "Shop")["title"],
            "How was your experience?"
        );
    }
}
