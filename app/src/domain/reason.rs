//! The exit-reason question: "What is the main reason for your score?", asked after the score
//! with options chosen per band (a detractor's reasons are not a promoter's), each option a
//! short key (`price`) with a label per language. The key is what is stored and segmented by
//! (`reason:price`); labels are only shown.

use super::FieldError;
use crate::i18n::Lang;
use crate::nps::Band;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_OPTIONS: usize = 12;
const MAX_KEY_CHARS: usize = 40;
const MAX_LABEL_CHARS: usize = 120;

/// An option's key: 1–40 lower-case letters, digits and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReasonKey(String);

impl ReasonKey {
    pub fn parse(field: &str, raw: &str) -> Result<ReasonKey, FieldError> {
        let key = raw.trim();
        if key.is_empty()
            || key.len() > MAX_KEY_CHARS
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(FieldError::new(
                field,
                "must be 1–40 lower-case letters, digits and -",
            ));
        }
        Ok(ReasonKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReasonKey {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        ReasonKey::parse("reason", &raw)
    }
}

impl From<ReasonKey> for String {
    fn from(k: ReasonKey) -> String {
        k.0
    }
}

/// A survey's exit-reason question. Empty (the default): not asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QuestionShape", into = "QuestionShape")]
pub struct ReasonQuestion {
    /// Per band, its options in the order shown.
    options: BTreeMap<Band, Vec<ReasonKey>>,
    /// Per language code: each key's label, and `question` for the question itself.
    texts: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct QuestionShape {
    #[serde(default)]
    options: BTreeMap<Band, Vec<ReasonKey>>,
    #[serde(default)]
    texts: BTreeMap<String, BTreeMap<String, String>>,
}

impl TryFrom<QuestionShape> for ReasonQuestion {
    type Error = FieldError;
    fn try_from(s: QuestionShape) -> Result<Self, FieldError> {
        ReasonQuestion::new(s.options, s.texts)
    }
}

impl From<ReasonQuestion> for QuestionShape {
    fn from(q: ReasonQuestion) -> Self {
        QuestionShape {
            options: q.options,
            texts: q.texts,
        }
    }
}

/// The question as one visitor's widget shows it, in their language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalReason {
    pub question: String,
    /// Per band (`detractor`, …), its options as `[key, label]`.
    pub options: BTreeMap<String, Vec<[String; 2]>>,
}

fn the_band(band: Band) -> &'static str {
    match band {
        Band::Detractor => "Detractors",
        Band::Passive => "Passives",
        Band::Promoter => "Promoters",
    }
}

impl ReasonQuestion {
    fn new(
        options: BTreeMap<Band, Vec<ReasonKey>>,
        texts: BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<ReasonQuestion, FieldError> {
        let options: BTreeMap<Band, Vec<ReasonKey>> =
            options.into_iter().filter(|(_, o)| !o.is_empty()).collect();
        for (band, keys) in &options {
            let field = format!("options.{}", band.as_str());
            if keys.len() > MAX_OPTIONS {
                return Err(FieldError::new(field, "at most 12 options"));
            }
            let mut seen = keys.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != keys.len() {
                return Err(FieldError::new(field, "an option is listed twice"));
            }
        }
        for (lang, labels) in &texts {
            if Lang::from_code(lang).is_none() {
                return Err(FieldError::new(
                    "texts",
                    format!("{lang} is not a supported language"),
                ));
            }
            for (key, label) in labels {
                let known =
                    key == "question" || options.values().flatten().any(|k| k.as_str() == key);
                if !known {
                    return Err(FieldError::new(
                        "texts",
                        format!("{lang} {key}: no band offers {key}"),
                    ));
                }
                if label.trim().is_empty()
                    || label.chars().count() > MAX_LABEL_CHARS
                    || label.chars().any(char::is_control)
                {
                    return Err(FieldError::new(
                        "texts",
                        format!(
                            "{lang} {key}: a label is 1–120 characters, without control characters"
                        ),
                    ));
                }
            }
        }
        // Every option reads as something in English, the fallback of every language.
        if let Some(key) = options
            .values()
            .flatten()
            .find(|k| texts.get("en").and_then(|l| l.get(k.as_str())).is_none())
        {
            return Err(FieldError::new(
                "texts",
                format!("{} has no English label", key.as_str()),
            ));
        }
        Ok(ReasonQuestion { options, texts })
    }

    /// The administration's form: per band its options, one per line as `key: English label`,
    /// and the other languages' texts, one per line as `fi key: label` (`fi question: …` for the
    /// question).
    pub fn from_form(bands: [&str; 3], translations: &str) -> Result<ReasonQuestion, FieldError> {
        let mut options = BTreeMap::new();
        let mut texts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (band, text) in Band::ALL.into_iter().zip(bands) {
            let field = format!("options.{}", band.as_str());
            let mut keys = vec![];
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (key, label) = line
                    .split_once(':')
                    .ok_or_else(|| FieldError::new(&field, format!("{line}: write key: label")))?;
                let key = ReasonKey::parse(&field, key).map_err(|e| {
                    FieldError::new(&field, format!("{}: {}", key.trim(), e.reason))
                })?;
                // `question` names the question itself in the texts.
                if key.as_str() == "question" {
                    return Err(FieldError::new(
                        &field,
                        "question is the question's own key: name the option otherwise",
                    ));
                }
                let label = label.trim().to_string();
                let en = texts.entry("en".into()).or_default();
                match en.get(key.as_str()) {
                    Some(other) if *other != label => {
                        return Err(FieldError::new(
                            &field,
                            format!(
                                "{} is labelled two ways ({other} and {label})",
                                key.as_str()
                            ),
                        ))
                    }
                    _ => {
                        en.insert(key.as_str().to_string(), label);
                    }
                }
                keys.push(key);
            }
            options.insert(band, keys);
        }
        for line in translations
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parsed = line.split_once(' ').and_then(|(lang, rest)| {
                rest.split_once(':')
                    .map(|(key, label)| (lang, key.trim(), label.trim()))
            });
            let Some((lang, key, label)) = parsed else {
                return Err(FieldError::new(
                    "texts",
                    format!("{line}: write language key: label (fi price: Liian kallis)"),
                ));
            };
            texts
                .entry(lang.to_string())
                .or_default()
                .insert(key.to_string(), label.to_string());
        }
        ReasonQuestion::new(options, texts)
    }

    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// Whether any band offers `key`.
    pub fn offers(&self, key: &ReasonKey) -> bool {
        self.options.values().flatten().any(|k| k == key)
    }

    pub fn options(&self, band: Band) -> &[ReasonKey] {
        self.options
            .get(&band)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn text(&self, lang: Lang, key: &str) -> Option<&str> {
        self.texts
            .get(lang.code())
            .and_then(|t| t.get(key))
            .or_else(|| self.texts.get("en").and_then(|t| t.get(key)))
            .map(String::as_str)
    }

    /// The question in `lang`: its own text, or English's, or Farewell's default.
    pub fn local(&self, lang: Lang) -> Option<LocalReason> {
        if self.is_empty() {
            return None;
        }
        let question = self
            .texts
            .get(lang.code())
            .and_then(|t| t.get("question"))
            .map(String::as_str)
            .unwrap_or_else(|| crate::i18n::reason_question(lang))
            .to_string();
        let options = self
            .options
            .iter()
            .map(|(band, keys)| {
                let labelled = keys
                    .iter()
                    .map(|k| {
                        let label = self.text(lang, k.as_str()).unwrap_or(k.as_str());
                        [k.as_str().to_string(), label.to_string()]
                    })
                    .collect();
                (band.as_str().to_string(), labelled)
            })
            .collect();
        Some(LocalReason { question, options })
    }

    /// The form's fields as they stand: per band `key: label` lines, and the translations.
    pub fn to_form(&self) -> ([String; 3], String) {
        let band_lines = |band: Band| {
            self.options(band)
                .iter()
                .map(|k| {
                    format!(
                        "{}: {}",
                        k.as_str(),
                        self.text(Lang::En, k.as_str()).unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let translations = self
            .texts
            .iter()
            .filter(|(lang, _)| *lang != "en")
            .flat_map(|(lang, labels)| labels.iter().map(move |(k, v)| format!("{lang} {k}: {v}")))
            .collect::<Vec<_>>()
            .join("\n");
        (
            [
                band_lines(Band::Detractor),
                band_lines(Band::Passive),
                band_lines(Band::Promoter),
            ],
            translations,
        )
    }

    /// The question in a line, as the administration lists it.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "not asked".into();
        }
        self.options
            .iter()
            .map(|(band, keys)| {
                let keys: Vec<&str> = keys.iter().map(ReasonKey::as_str).collect();
                format!("{}: {}", the_band(*band), keys.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETRACTORS: &str = "price: Too expensive\nbugs: Something broke\nother: Something else";

    #[test]
    fn a_question_per_band_with_labels_per_language() {
        let q = ReasonQuestion::from_form(
            [DETRACTORS, "", "speed: It is fast\nother: Something else"],
            "fi price: Liian kallis\nfi question: Mikä on tärkein syy?",
        )
        .unwrap();
        assert_eq!(q.options(Band::Passive), &[] as &[ReasonKey]);
        assert!(q.offers(&ReasonKey::parse("r", "speed").unwrap()));
        assert!(!q.offers(&ReasonKey::parse("r", "nope").unwrap()));
        let fi = q.local(Lang::Fi).unwrap();
        assert_eq!(fi.question, "Mikä on tärkein syy?");
        assert_eq!(
            fi.options["detractor"][0],
            ["price".to_string(), "Liian kallis".to_string()]
        );
        // Not translated: English.
        assert_eq!(fi.options["detractor"][1][1], "Something broke");
        assert!(!fi.options.contains_key("passive"));
        // No question of its own in German: Farewell's.
        assert_eq!(
            q.local(Lang::De).unwrap().question,
            crate::i18n::reason_question(Lang::De)
        );
        assert_eq!(
            q.describe(),
            "Detractors: price, bugs, other; Promoters: speed, other"
        );
        // The form reads back as it was written, and what is stored reads back the same.
        let (bands, translations) = q.to_form();
        assert_eq!(
            ReasonQuestion::from_form([&bands[0], &bands[1], &bands[2]], &translations).unwrap(),
            q
        );
        let stored = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<ReasonQuestion>(&stored).unwrap(), q);
        assert!(ReasonQuestion::default().local(Lang::En).is_none());
    }

    #[test]
    fn refusals_name_their_field() {
        let field =
            |bands: [&str; 3], t: &str| ReasonQuestion::from_form(bands, t).unwrap_err().field;
        assert_eq!(field(["Price: x", "", ""], ""), "options.detractor");
        assert_eq!(field(["price", "", ""], ""), "options.detractor");
        assert_eq!(field(["question: Why", "", ""], ""), "options.detractor");
        assert_eq!(field(["", "a: x\na: x", ""], ""), "options.passive");
        assert_eq!(field(["a: x", "a: y", ""], ""), "options.passive");
        assert_eq!(field([DETRACTORS, "", ""], "xx price: a"), "texts");
        assert_eq!(field([DETRACTORS, "", ""], "fi speed: a"), "texts");
        assert_eq!(field([DETRACTORS, "", ""], "fi"), "texts");
        assert_eq!(field(["a:  ", "", ""], ""), "texts");
        let many: Vec<String> = (0..13).map(|i| format!("k{i}: x")).collect();
        assert_eq!(field([&many.join("\n"), "", ""], ""), "options.detractor");
        // Stored rows go through the same checks.
        assert!(serde_json::from_str::<ReasonQuestion>(
            r#"{"options": {"detractor": ["price"]}, "texts": {}}"#
        )
        .is_err());
        assert!(serde_json::from_str::<ReasonQuestion>(
            r#"{"options": {"detractor": ["Bad Key"]}}"#
        )
        .is_err());
    }
}
