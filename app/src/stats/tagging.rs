//! Which saved themes a comment holds. Pure: no I/O.
//!
//! A term matches where the comment holds its words in the same order, each compared by its
//! stem in the comment's language (`themes::stems`): "card" matches "Cards", "payment failed"
//! matches "payments failed", "kortti" matches "kortilla" in a Finnish comment. Stop words are
//! kept, so "not working" does not match "working".

use super::themes::{stemmer_language, stems, STEMMED};
use crate::domain::{SavedTheme, ThemeName};
use std::collections::{HashMap, HashSet};

/// A site's saved themes, their terms stemmed once for each stemmer a comment may need.
pub struct ThemeMatcher {
    names: Vec<ThemeName>,
    /// Per stemmer (`None`: folded only), each theme's terms as stem sequences.
    stemmed: HashMap<Option<&'static str>, Vec<Vec<Vec<String>>>>,
}

impl ThemeMatcher {
    pub fn new(themes: &[SavedTheme]) -> ThemeMatcher {
        let mut names: Vec<ThemeName> = themes.iter().map(|t| t.name.clone()).collect();
        names.sort();
        names.dedup();
        let languages = STEMMED
            .into_iter()
            .map(Some)
            .chain([None])
            .collect::<Vec<_>>();
        let stemmed = languages
            .into_iter()
            .map(|language| {
                // `stems` takes a language tag; a stemmer's own name is one, and "und" (the
                // undetermined language) has none.
                let tag = language.unwrap_or("und");
                let per_theme = names
                    .iter()
                    .map(|name| {
                        themes
                            .iter()
                            .filter(|t| &t.name == name)
                            .flat_map(|t| t.terms.as_slice())
                            .map(|term| stems(term, Some(tag)))
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .collect();
                (language, per_theme)
            })
            .collect();
        ThemeMatcher { names, stemmed }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The themes `comment` holds, by name, in name order.
    pub fn tags(&self, comment: Option<&str>, language: Option<&str>) -> Vec<ThemeName> {
        let comment = comment.unwrap_or_default();
        if self.names.is_empty() || comment.trim().is_empty() {
            return vec![];
        }
        let words = stems(comment, language);
        let single: HashSet<&str> = words.iter().map(String::as_str).collect();
        let Some(per_theme) = self.stemmed.get(&stemmer_language(language)) else {
            return vec![];
        };
        let holds = |term: &Vec<String>| match term.as_slice() {
            [word] => single.contains(word.as_str()),
            phrase => words.windows(phrase.len()).any(|w| w == phrase),
        };
        self.names
            .iter()
            .zip(per_theme)
            .filter(|(_, terms)| terms.iter().any(holds))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ThemeTerms;

    fn theme(name: &str, terms: &str) -> SavedTheme {
        SavedTheme {
            id: uuid::Uuid::nil(),
            site_id: uuid::Uuid::nil(),
            name: ThemeName::parse(name).unwrap(),
            terms: ThemeTerms::parse(terms).unwrap(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn names(tags: Vec<ThemeName>) -> Vec<String> {
        tags.into_iter().map(|t| t.as_str().to_string()).collect()
    }

    #[test]
    fn a_term_matches_its_word_in_any_ending_and_case() {
        let m = ThemeMatcher::new(&[
            theme("checkout", "checkout, payment, card"),
            theme("speed", "slow, loading"),
        ]);
        let tags = |text: &str| names(m.tags(Some(text), Some("en")));
        assert_eq!(tags("My Payments were refused"), ["checkout"]);
        assert_eq!(tags("cards declined, and so slow"), ["checkout", "speed"]);
        assert_eq!(tags("Great service"), Vec::<String>::new());
        // A word inside another word is not the word.
        assert_eq!(tags("discarded"), Vec::<String>::new());
        assert!(m.tags(None, Some("en")).is_empty());
        assert!(m.tags(Some("   "), Some("en")).is_empty());
    }

    #[test]
    fn a_phrase_matches_only_in_order_and_keeps_its_negation() {
        let m = ThemeMatcher::new(&[theme("broken", "not working, page not found")]);
        let tags = |text: &str| names(m.tags(Some(text), Some("en")));
        assert_eq!(tags("The search is not working!"), ["broken"]);
        assert_eq!(tags("It was working fine"), Vec::<String>::new());
        assert_eq!(tags("working, not really"), Vec::<String>::new());
        assert_eq!(tags("Pages not found everywhere"), ["broken"]);
    }

    #[test]
    fn terms_are_stemmed_in_the_comments_language() {
        let m = ThemeMatcher::new(&[theme("maksu", "maksu, kortti")]);
        // Finnish: "kortilla" (by card) and "maksut" (payments) reduce to the terms' stems.
        assert_eq!(
            names(m.tags(Some("Maksut eivät onnistuneet kortilla"), Some("fi-FI"))),
            ["maksu"]
        );
        // A language without a stemmer is folded only: the exact word matches.
        assert_eq!(names(m.tags(Some("KORTTI"), Some("ja"))), ["maksu"]);
        assert!(m.tags(Some("kortilla"), Some("ja")).is_empty());
    }

    #[test]
    fn no_themes_tag_nothing() {
        let m = ThemeMatcher::new(&[]);
        assert!(m.is_empty());
        assert!(m.tags(Some("payment"), Some("en")).is_empty());
    }
}
