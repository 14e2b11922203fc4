//! The administration forms' fields, parsed into domain values (parse, don't validate). The
//! parsers run on the server; the browser's bundle carries only the form types.
#![cfg_attr(not(feature = "ssr"), allow(dead_code))]

#[cfg(any(feature = "ssr", test))]
use crate::domain::ReferrerOrigin;
use crate::domain::{ButtonPosition, FieldError, SurveySettings, Triggers};
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A display name: 1–100 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must be 1 to 100 characters on one line",
        ));
    }
    Ok(name.to_string())
}

/// One origin per line (`https://shop.example`, with a port if not the default); a path,
/// query or anything but http(s) is refused, so the list says exactly what may embed.
#[cfg(any(feature = "ssr", test))]
pub fn origins(raw: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = vec![];
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line.trim_end_matches('/');
        let origin = ReferrerOrigin::parse("origins", line)?
            .ok_or_else(|| AppError::invalid("origins", "is empty"))?;
        if !origin.as_str().eq_ignore_ascii_case(line) {
            return Err(AppError::Invalid(FieldError::new(
                "origins",
                format!("{line} is not an origin (scheme://host[:port], no path)"),
            )));
        }
        if !out.contains(&origin.as_str().to_string()) {
            out.push(origin.as_str().to_string());
        }
    }
    if out.len() > 50 {
        return Err(AppError::invalid("origins", "at most 50 origins"));
    }
    Ok(out)
}

/// The survey settings form, as posted (checkboxes are present only when ticked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyForm {
    pub survey: String,
    pub name: String,
    pub product_name: String,
    pub sample_percent: String,
    pub cooldown_answer_days: String,
    pub cooldown_dismiss_days: String,
    pub button_position: String,
    #[serde(default)]
    pub armed_exit: Option<String>,
    #[serde(default)]
    pub exit_intent: Option<String>,
    #[serde(default)]
    pub exit_intent_min_seconds: String,
    #[serde(default)]
    pub mobile_return: Option<String>,
    #[serde(default)]
    pub time_on_site_seconds: String,
    #[serde(default)]
    pub pages_viewed: String,
    #[serde(default)]
    pub active_from: String,
    #[serde(default)]
    pub active_until: String,
    /// Per language, per text: what replaces the default (`form[texts][fi][question]`). An
    /// empty field keeps the default.
    #[serde(default)]
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
}

fn number<T: std::str::FromStr>(field: &str, raw: &str, what: &str) -> Result<T, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, what))
}

fn optional_number(field: &str, raw: &str) -> Result<Option<u32>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let n: u32 = number(field, raw, "must be a whole number, or empty")?;
    Ok((n > 0).then_some(n))
}

fn optional_date(field: &str, raw: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::invalid(field, "must be a date like 2026-12-31, or empty"))
}

impl SurveyForm {
    /// The survey's name, product name and settings, or the first field that is wrong.
    pub fn parse(&self) -> Result<(String, String, SurveySettings), AppError> {
        let name = name("name", &self.name)?;
        let product = name_of_product(&self.product_name)?;
        let percent: f64 = number(
            "sample_percent",
            &self.sample_percent,
            "must be a number from 0 to 100",
        )?;
        if !(0.0..=100.0).contains(&percent) {
            return Err(AppError::invalid(
                "sample_percent",
                "must be a number from 0 to 100",
            ));
        }
        let days = |field: &str, raw: &str| -> Result<u32, AppError> {
            let d: u32 = number(field, raw, "must be a whole number of days")?;
            if d > 3650 {
                return Err(AppError::invalid(field, "must be at most 3650 days"));
            }
            Ok(d)
        };
        let button_position = match self.button_position.as_str() {
            "bottom-right" => ButtonPosition::BottomRight,
            "bottom-left" => ButtonPosition::BottomLeft,
            "hidden" => ButtonPosition::Hidden,
            _ => {
                return Err(AppError::invalid(
                    "button_position",
                    "must be bottom-right, bottom-left or hidden",
                ))
            }
        };
        let texts: BTreeMap<String, BTreeMap<String, String>> = self
            .texts
            .iter()
            .map(|(lang, texts)| {
                let overrides: BTreeMap<String, String> = texts
                    .iter()
                    .filter(|(_, text)| !text.trim().is_empty())
                    .map(|(key, text)| (key.clone(), text.trim().to_string()))
                    .collect();
                (lang.clone(), overrides)
            })
            .filter(|(_, overrides)| !overrides.is_empty())
            .collect();
        let settings = SurveySettings {
            triggers: Triggers {
                armed_exit: self.armed_exit.is_some(),
                exit_intent: self.exit_intent.is_some(),
                exit_intent_min_seconds: if self.exit_intent_min_seconds.trim().is_empty() {
                    Triggers::default().exit_intent_min_seconds
                } else {
                    number(
                        "exit_intent_min_seconds",
                        &self.exit_intent_min_seconds,
                        "must be a whole number of seconds",
                    )?
                },
                mobile_return: self.mobile_return.is_some(),
                time_on_site_seconds: optional_number(
                    "time_on_site_seconds",
                    &self.time_on_site_seconds,
                )?,
                pages_viewed: optional_number("pages_viewed", &self.pages_viewed)?,
            },
            sample_rate: percent / 100.0,
            cooldown_after_answer_days: days("cooldown_answer_days", &self.cooldown_answer_days)?,
            cooldown_after_dismiss_days: days(
                "cooldown_dismiss_days",
                &self.cooldown_dismiss_days,
            )?,
            button_position,
            texts,
            active_from: optional_date("active_from", &self.active_from)?,
            active_until: optional_date("active_until", &self.active_until)?,
        };
        // The same checks as every other way settings are written (the CLI, stored rows).
        let json = serde_json::to_string(&settings).map_err(|_| AppError::Internal)?;
        let settings = SurveySettings::parse_json(&json).map_err(|e| {
            AppError::Invalid(FieldError::new(
                e.field.trim_start_matches("settings."),
                e.reason,
            ))
        })?;
        Ok((name, product, settings))
    }
}

fn name_of_product(raw: &str) -> Result<String, AppError> {
    name("product_name", raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SurveyForm {
        SurveyForm {
            survey: String::new(),
            name: "Exit survey".into(),
            product_name: "Shop".into(),
            sample_percent: "25".into(),
            cooldown_answer_days: "90".into(),
            cooldown_dismiss_days: "30".into(),
            button_position: "bottom-left".into(),
            armed_exit: Some("on".into()),
            time_on_site_seconds: "120".into(),
            active_from: "2026-12-01".into(),
            texts: texts("fi", "question", "Miten meni?"),
            ..SurveyForm::default()
        }
    }

    fn texts(lang: &str, key: &str, text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut texts = BTreeMap::new();
        texts
            .entry(lang.to_string())
            .or_insert_with(BTreeMap::new)
            .insert(key.to_string(), text.to_string());
        texts
    }

    fn field_of(f: SurveyForm) -> String {
        match f.parse().unwrap_err() {
            AppError::Invalid(e) => e.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_survey_form_becomes_settings() {
        let (name, product, s) = form().parse().unwrap();
        assert_eq!((name.as_str(), product.as_str()), ("Exit survey", "Shop"));
        assert_eq!(s.sample_rate, 0.25);
        assert!(s.triggers.armed_exit && !s.triggers.exit_intent);
        assert_eq!(s.triggers.time_on_site_seconds, Some(120));
        assert_eq!(s.button_position, ButtonPosition::BottomLeft);
        assert_eq!(s.texts["fi"]["question"], "Miten meni?");
        assert!(!s.is_active(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()));
        assert!(s.is_active(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
    }

    #[test]
    fn each_wrong_field_is_named() {
        assert_eq!(
            field_of(SurveyForm {
                sample_percent: "150".into(),
                ..form()
            }),
            "sample_percent"
        );
        assert_eq!(
            field_of(SurveyForm {
                name: " ".into(),
                ..form()
            }),
            "name"
        );
        assert_eq!(
            field_of(SurveyForm {
                button_position: "top".into(),
                ..form()
            }),
            "button_position"
        );
        assert_eq!(
            field_of(SurveyForm {
                texts: texts("xx", "title", "x"),
                ..form()
            }),
            "texts"
        );
        assert_eq!(
            field_of(SurveyForm {
                texts: texts("fi", "nope", "x"),
                ..form()
            }),
            "texts"
        );
        // A text's own refusal names its field: the language and the text.
        assert_eq!(
            field_of(SurveyForm {
                texts: texts("sv", "title", &"x".repeat(1001)),
                ..form()
            }),
            "texts.sv.title"
        );
        assert_eq!(
            field_of(SurveyForm {
                texts: texts("de", "question", "Würden Sie {produkt} empfehlen?"),
                ..form()
            }),
            "texts.de.question"
        );
        assert_eq!(
            field_of(SurveyForm {
                active_until: "2026-11-01".into(),
                ..form()
            }),
            "active_until"
        );
        assert_eq!(
            field_of(SurveyForm {
                pages_viewed: "many".into(),
                ..form()
            }),
            "pages_viewed"
        );
    }

    #[test]
    fn an_empty_text_keeps_the_default_and_texts_are_trimmed() {
        let mut f = form();
        f.texts
            .entry("fi".into())
            .or_default()
            .insert("title".into(), "  ".into());
        f.texts
            .entry("sv".into())
            .or_default()
            .insert("send".into(), "".into());
        f.texts
            .entry("de".into())
            .or_default()
            .insert("send".into(), " Senden ".into());
        let (_, _, s) = f.parse().unwrap();
        assert!(!s.texts["fi"].contains_key("title"));
        assert!(
            !s.texts.contains_key("sv"),
            "a language with no text of its own"
        );
        assert_eq!(s.texts["de"]["send"], "Senden");
    }

    #[test]
    fn origins_are_exact_and_deduplicated() {
        assert_eq!(
            origins("https://Shop.example/\nhttp://localhost:8080\n\nhttps://shop.example")
                .unwrap(),
            vec![
                "https://shop.example".to_string(),
                "http://localhost:8080".to_string()
            ]
        );
        assert!(origins("https://shop.example/cart").is_err());
        assert!(origins("ftp://shop.example").is_err());
    }
}
