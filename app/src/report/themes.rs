//! The themes of a view's comments: the terms that set detractors' comments apart from
//! promoters', and this period's from the previous one of the same length
//! (`stats::themes`). The types are what the dashboard panel and the report API show.

use serde::{Deserialize, Serialize};

/// Comments read per period, newest first: a view with more is read as a sample of its newest,
/// and says so.
pub const THEME_SAMPLE: u32 = 5000;
/// Terms listed per kind.
pub const THEMES_SHOWN: usize = 10;
/// A term ranks only if its z is at least this (about p < 0.05, one-sided).
pub const THEME_Z: f64 = 1.645;
/// The previous period needs this many comments before anything is called new against it.
pub const MIN_PREVIOUS_COMMENTS: u64 = 20;
/// Example comments per term, and how much of each.
const EXAMPLES: usize = 3;
const EXAMPLE_CHARS: usize = 160;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Themes {
    /// Comments read in the view (every band).
    pub comments: u64,
    /// Whether the view holds more comments than were read (the newest `THEME_SAMPLE`).
    pub sampled: bool,
    pub detractor_terms: Vec<ThemeTerm>,
    pub promoter_terms: Vec<ThemeTerm>,
    pub emerging: Vec<EmergingTerm>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThemeTerm {
    /// The words as most often written.
    pub term: String,
    pub z: f64,
    /// Comments holding it, of detractors and of promoters.
    pub detractors: u64,
    pub promoters: u64,
    pub examples: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmergingTerm {
    pub term: String,
    pub z: f64,
    /// Comments holding it, in this period and in the previous one of the same length.
    pub this_period: u64,
    pub previous_period: u64,
}

/// A comment as the themes read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ThemeComment {
    pub score: u8,
    pub language: Option<String>,
    pub text: String,
}

/// The themes of `current` (this period's comments, newest first), against `previous` (the
/// previous period's), with `background` (the site's earlier comments) as the prior.
pub fn themes_of(
    current: &[ThemeComment],
    previous: &[ThemeComment],
    background: &[ThemeComment],
    sampled: bool,
) -> Themes {
    use crate::nps::{Band, Score};
    use crate::stats::themes::{rank, terms, SurfaceForms, Tally, TermKey};
    let band = |c: &ThemeComment| Score::try_from(c.score).map(|s| s.band()).ok();
    let mut forms = SurfaceForms::default();
    let (mut detractors, mut promoters, mut this_period) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut read: Vec<(Option<Band>, Vec<crate::stats::themes::Term>)> = vec![];
    for comment in current {
        let found = terms(&comment.text, comment.language.as_deref());
        forms.add(&found);
        this_period.add(&found);
        match band(comment) {
            Some(Band::Detractor) => detractors.add(&found),
            Some(Band::Promoter) => promoters.add(&found),
            _ => {}
        }
        read.push((band(comment), found));
    }
    let tally_of = |comments: &[ThemeComment]| {
        let mut tally = Tally::default();
        for c in comments {
            tally.add(&terms(&c.text, c.language.as_deref()));
        }
        tally
    };
    let (earlier, background) = (tally_of(previous), tally_of(background));
    let examples = |key: &TermKey, of: Band| -> Vec<String> {
        current
            .iter()
            .zip(&read)
            .filter(|(_, (b, found))| *b == Some(of) && found.iter().any(|t| t.key == *key))
            .take(EXAMPLES)
            .map(|(c, _)| {
                let mut text: String = c.text.chars().take(EXAMPLE_CHARS).collect();
                if c.text.chars().count() > EXAMPLE_CHARS {
                    text.push('…');
                }
                text
            })
            .collect()
    };
    let listed = |i: &Tally, j: &Tally, of: Band, detractors_first: bool| -> Vec<ThemeTerm> {
        rank(i, j, &background)
            .into_iter()
            .filter(|r| r.z >= THEME_Z)
            .take(THEMES_SHOWN)
            .map(|r| {
                let (d, p) = if detractors_first {
                    (r.i, r.j)
                } else {
                    (r.j, r.i)
                };
                ThemeTerm {
                    term: forms.most_frequent(&r.key),
                    z: r.z,
                    detractors: d,
                    promoters: p,
                    examples: examples(&r.key, of),
                }
            })
            .collect()
    };
    // New against what? Only a previous period with comments enough to compare with.
    let emerging = if earlier.comments >= MIN_PREVIOUS_COMMENTS {
        rank(&this_period, &earlier, &background)
    } else {
        vec![]
    };
    let emerging = emerging
        .into_iter()
        .filter(|r| r.z >= THEME_Z)
        .take(THEMES_SHOWN)
        .map(|r| EmergingTerm {
            term: forms.most_frequent(&r.key),
            z: r.z,
            this_period: r.i,
            previous_period: r.j,
        })
        .collect();
    Themes {
        comments: current.len() as u64,
        sampled,
        detractor_terms: listed(&detractors, &promoters, Band::Detractor, true),
        promoter_terms: listed(&promoters, &detractors, Band::Promoter, false),
        emerging,
    }
}

/// The themes of a view, for a site of `org` (the caller has checked membership).
#[cfg(feature = "ssr")]
pub async fn build_themes(
    store: &crate::store::SharedStore,
    org: uuid::Uuid,
    site: uuid::Uuid,
    view: &super::ViewParams,
) -> Result<Themes, crate::error::AppError> {
    use crate::store::{TimeRange, VerbatimQuery};
    let (filter, range) = super::build::scope(view)?;
    let read = |range: TimeRange, limit: u32| {
        let query = VerbatimQuery {
            filter: filter.clone(),
            range,
            search: None,
            band: None,
            tag: None,
            comments_only: true,
            before: None,
            limit,
        };
        async move {
            let rows = store.verbatims(org, site, &query).await?;
            Ok::<_, crate::error::AppError>(
                rows.into_iter()
                    .filter_map(|v| {
                        Some(ThemeComment {
                            score: v.score,
                            language: v.language,
                            text: v.comment.filter(|c| !c.trim().is_empty())?,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let length = range.to - range.from;
    let previous = TimeRange {
        from: range.from - length,
        to: range.from,
    };
    let history = TimeRange {
        from: range.from - chrono::Duration::days(365),
        to: range.from,
    };
    let mut current = read(range, THEME_SAMPLE + 1).await?;
    let sampled = current.len() > THEME_SAMPLE as usize;
    current.truncate(THEME_SAMPLE as usize);
    let previous = read(previous, THEME_SAMPLE).await?;
    let background = read(history, THEME_SAMPLE).await?;
    // Tokenising and stemming thousands of comments is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || themes_of(&current, &previous, &background, sampled))
        .await
        .map_err(|_| crate::error::AppError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(score: u8, text: &str) -> ThemeComment {
        ThemeComment {
            score,
            language: Some("en".into()),
            text: text.into(),
        }
    }

    #[test]
    fn detractors_promoters_and_the_new_are_told_apart() {
        let mut current = vec![];
        for i in 0..12 {
            current.push(comment(2, &format!("Checkout was so slow, order {i}")));
            current.push(comment(10, "Lovely support, thanks"));
        }
        current.push(comment(8, "Fine"));
        let previous: Vec<ThemeComment> = (0..24).map(|_| comment(10, "Lovely support")).collect();
        let themes = themes_of(&current, &previous, &[], false);
        assert_eq!(themes.comments, 25);
        let detractor_terms: Vec<&str> = themes
            .detractor_terms
            .iter()
            .map(|t| t.term.as_str())
            .collect();
        assert!(detractor_terms.contains(&"slow"), "{detractor_terms:?}");
        assert!(detractor_terms.contains(&"checkout"), "{detractor_terms:?}");
        let slow = themes
            .detractor_terms
            .iter()
            .find(|t| t.term == "slow")
            .unwrap();
        assert_eq!((slow.detractors, slow.promoters), (12, 0));
        assert_eq!(slow.examples.len(), 3);
        assert!(slow.examples[0].starts_with("Checkout was so slow"));
        let promoter_terms: Vec<&str> = themes
            .promoter_terms
            .iter()
            .map(|t| t.term.as_str())
            .collect();
        assert!(promoter_terms.contains(&"lovely"), "{promoter_terms:?}");
        assert!(!promoter_terms.contains(&"slow"));
        let (promoter_side, detractor_side) = (
            themes
                .promoter_terms
                .iter()
                .find(|t| t.term == "lovely")
                .unwrap(),
            &themes.detractor_terms,
        );
        assert_eq!((promoter_side.detractors, promoter_side.promoters), (0, 12));
        assert!(!detractor_side.iter().any(|t| t.term == "lovely"));
        // "slow" is new this period; "lovely" was said before too.
        let emerging: Vec<&str> = themes.emerging.iter().map(|t| t.term.as_str()).collect();
        assert!(emerging.contains(&"slow"), "{emerging:?}");
        assert!(!emerging.contains(&"lovely"), "{emerging:?}");
        let slow = themes.emerging.iter().find(|t| t.term == "slow").unwrap();
        assert_eq!((slow.this_period, slow.previous_period), (12, 0));
        // Against a previous period of too few comments, nothing is called new.
        let thin = themes_of(&current, &previous[..19], &[], false);
        assert!(thin.emerging.is_empty());
    }
}
