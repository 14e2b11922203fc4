//! Saved themes: a named set of terms ("checkout": checkout, payment, card) that tags the
//! answers whose comment holds one of them (`stats::tagging`).

use super::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Saved themes per site: each is a segment value counted in every aggregate row an answer
/// holding it adds, so their number is bounded like any dimension's values.
pub const MAX_SAVED_THEMES: usize = 30;
/// Terms per theme.
pub const MAX_THEME_TERMS: usize = 30;
/// Words per term: a word or a phrase of a few words ("credit card", "page not found").
pub const MAX_TERM_WORDS: usize = 3;
const MAX_TERM_CHARS: usize = 60;
const MAX_NAME_CHARS: usize = 40;

/// A theme's name and its segment value (`segment=theme:checkout`): 1–40 letters, digits and
/// `-`, lower-cased. No comma or space, so a list of names is one plain string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ThemeName(String);

impl ThemeName {
    pub fn parse(text: &str) -> Result<ThemeName, FieldError> {
        let name = text.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new("name", "must be 1 to 40 characters"));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(FieldError::new(
                "name",
                "may hold letters, digits and - only (one word, like checkout or slow-pages)",
            ));
        }
        Ok(ThemeName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::parsed_from_string!(ThemeName, |raw| ThemeName::parse(&raw));

/// A theme's terms, as the member wrote them: 1–30 of them, each a word or a phrase of up to
/// three words, split at commas and line breaks, without repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct ThemeTerms(Vec<String>);

impl ThemeTerms {
    pub fn parse(text: &str) -> Result<ThemeTerms, FieldError> {
        Self::from_terms(text.split([',', '\n', ';']))
    }

    fn from_terms<'a>(raw: impl Iterator<Item = &'a str>) -> Result<ThemeTerms, FieldError> {
        let mut terms: Vec<String> = vec![];
        for term in raw {
            // One space between words, whatever was typed.
            let term = term.split_whitespace().collect::<Vec<_>>().join(" ");
            if term.is_empty() {
                continue;
            }
            if term.chars().count() > MAX_TERM_CHARS || super::has_control_chars(&term, false) {
                return Err(FieldError::new(
                    "terms",
                    format!("\"{}\" is longer than 60 characters", shorten(&term)),
                ));
            }
            if term.split(' ').count() > MAX_TERM_WORDS {
                return Err(FieldError::new(
                    "terms",
                    format!(
                        "\"{}\" has more than 3 words: a term is a word or a short phrase",
                        shorten(&term)
                    ),
                ));
            }
            if !term.chars().any(char::is_alphanumeric) {
                return Err(FieldError::new(
                    "terms",
                    format!("\"{term}\" holds no letter or digit"),
                ));
            }
            if !terms
                .iter()
                .any(|t| t.to_lowercase() == term.to_lowercase())
            {
                terms.push(term);
            }
        }
        if terms.is_empty() {
            return Err(FieldError::new(
                "terms",
                "needs at least one term, like payment, card",
            ));
        }
        if terms.len() > MAX_THEME_TERMS {
            return Err(FieldError::new("terms", "at most 30 terms"));
        }
        Ok(ThemeTerms(terms))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// As stored: one term per line.
    pub fn to_lines(&self) -> String {
        self.0.join("\n")
    }
}

fn shorten(term: &str) -> String {
    let mut out: String = term.chars().take(30).collect();
    if term.chars().count() > 30 {
        out.push('…');
    }
    out
}

impl TryFrom<Vec<String>> for ThemeTerms {
    type Error = FieldError;
    fn try_from(terms: Vec<String>) -> Result<Self, Self::Error> {
        ThemeTerms::from_terms(terms.iter().map(String::as_str))
    }
}

impl From<ThemeTerms> for Vec<String> {
    fn from(terms: ThemeTerms) -> Vec<String> {
        terms.0
    }
}

/// A saved theme of a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTheme {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: ThemeName,
    pub terms: ThemeTerms,
    pub updated_at: DateTime<Utc>,
}

/// The saved themes an answer is counted under, as stored in `responses.themes`:
/// `,checkout,payment,`, or nothing for none.
pub fn stored_theme_list(names: &[ThemeName]) -> Option<String> {
    (!names.is_empty()).then(|| {
        let mut out = String::from(",");
        for name in names {
            out.push_str(name.as_str());
            out.push(',');
        }
        out
    })
}

/// The names in a stored list (what `stored_theme_list` wrote).
pub fn theme_list_names(stored: Option<&str>) -> impl Iterator<Item = &str> {
    stored
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_lower_case_word() {
        assert_eq!(ThemeName::parse(" Checkout ").unwrap().as_str(), "checkout");
        assert_eq!(ThemeName::parse("käyttö-2").unwrap().as_str(), "käyttö-2");
        for bad in ["", "a b", "a,b", "a:b", "x%", &"a".repeat(41)] {
            assert!(ThemeName::parse(bad).is_err(), "{bad:?}");
        }
        // serde goes through the parser too.
        assert!(serde_json::from_str::<ThemeName>("\"a,b\"").is_err());
    }

    #[test]
    fn terms_split_at_commas_and_lines_and_drop_repeats() {
        let terms = ThemeTerms::parse("checkout, Payment\n  credit   card ,,payment").unwrap();
        assert_eq!(terms.as_slice(), ["checkout", "Payment", "credit card"]);
        assert_eq!(terms.to_lines(), "checkout\nPayment\ncredit card");
        assert_eq!(
            ThemeTerms::parse(" , \n").unwrap_err().reason,
            "needs at least one term, like payment, card"
        );
        assert!(ThemeTerms::parse("one two three four").is_err());
        assert!(ThemeTerms::parse("--").is_err());
        assert!(ThemeTerms::parse(&"x".repeat(61)).is_err());
        let many: Vec<String> = (0..31).map(|i| format!("t{i}")).collect();
        assert!(ThemeTerms::parse(&many.join(",")).is_err());
        assert!(serde_json::from_str::<ThemeTerms>("[]").is_err());
    }

    #[test]
    fn a_stored_list_reads_back_as_its_names() {
        let names = [
            ThemeName::parse("checkout").unwrap(),
            ThemeName::parse("speed").unwrap(),
        ];
        let stored = stored_theme_list(&names);
        assert_eq!(stored.as_deref(), Some(",checkout,speed,"));
        assert_eq!(
            theme_list_names(stored.as_deref()).collect::<Vec<_>>(),
            ["checkout", "speed"]
        );
        assert_eq!(stored_theme_list(&[]), None);
        assert_eq!(theme_list_names(None).count(), 0);
    }
}
