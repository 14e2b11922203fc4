//! Comment themes: the words and two-word phrases that set one group of comments apart from
//! another (detractors from promoters, this period from the last), ranked by the weighted
//! log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
//! "Fightin' Words", §3.5). Pure: no I/O.
//!
//! A comment is cut into words (letters and digits), folded to lower case; stop words of its
//! language are dropped and the rest stemmed with that language's Snowball stemmer (English,
//! Finnish, Swedish, German, Arabic; other languages are folded only). Its terms are those stems
//! and each pair of them that stood next to each other, each counted once per comment: a term's
//! count is how many comments hold it, so one long rant cannot make a theme.
//!
//! For a term t, group i with nᵢ comments of which yᵢ hold t, and a prior share π from a
//! background corpus (the site's earlier comments) worth α₀ comments, α = α₀π and β = α₀(1−π):
//!
//! δ = ln((yᵢ + α) / (nᵢ − yᵢ + β)) − ln((yⱼ + α) / (nⱼ − yⱼ + β))
//! σ² = 1/(yᵢ + α) + 1/(nᵢ − yᵢ + β) + 1/(yⱼ + α) + 1/(nⱼ − yⱼ + β)
//! z = δ / σ
//!
//! (the log-odds of a comment of each group holding t, each smoothed by the prior, and the
//! variance of their difference). The prior keeps a term seen a few times from ranking on luck.

use std::collections::HashMap;

/// How many comments the prior is worth: enough to hold back a term seen in a handful of
/// comments, little against hundreds.
pub const PRIOR_COMMENTS: f64 = 10.0;

/// A term must be in at least this many of the compared comments to rank.
pub const MIN_COMMENTS: u64 = 5;
/// Words read per comment, and the longest word kept: a comment is at most 2,000 characters,
/// and no real word is longer (a longer one is a link, a code or a paste).
const WORDS_PER_COMMENT: usize = 400;
const LONGEST_WORD: usize = 40;

/// Words the stop-word lists drop that carry a comment's meaning: "not working" is not
/// "working".
/// (Finnish "ei" only: its other forms, like "en", are other languages' articles.)
const NEGATIONS: [&str; 11] = [
    "not", "no", "never", "nothing", "ei", "inte", "aldrig", "nicht", "kein", "keine", "nie",
];

/// A theme: a stem, or two stems that stood next to each other ("checkout slow").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermKey(pub String);

/// One term of one comment: its key and the words it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub key: TermKey,
    pub surface: String,
}

/// The Snowball stemmer and stop words of a comment's language (`fi`, `sv-FI`, …).
struct Folding {
    stemmer: Option<rust_stemmers::Stemmer>,
    stop_words: &'static [&'static str],
}

fn folding(language: Option<&str>) -> Folding {
    use rust_stemmers::{Algorithm, Stemmer};
    let primary = language
        .and_then(|l| l.split(['-', '_']).next())
        .unwrap_or("en")
        .to_ascii_lowercase();
    let algorithm = match primary.as_str() {
        "en" => Some(Algorithm::English),
        "fi" => Some(Algorithm::Finnish),
        "sv" => Some(Algorithm::Swedish),
        "de" => Some(Algorithm::German),
        "ar" => Some(Algorithm::Arabic),
        _ => None,
    };
    Folding {
        stemmer: algorithm.map(Stemmer::create),
        stop_words: stop_words::lookup(&primary).unwrap_or_default(),
    }
}

impl Folding {
    /// `word` (lower case) reduced to its stem. A stemmer that fails on some odd word must not
    /// take the dashboard down with it: the word is then kept as written.
    fn stem(&self, word: &str) -> String {
        self.stemmer
            .as_ref()
            .and_then(|stemmer| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    stemmer.stem(word).into_owned()
                }))
                .ok()
            })
            .unwrap_or_else(|| word.to_string())
    }
}

/// Every word of `text`, lower case and stemmed in `language`, stop words included: what a
/// saved theme's terms are matched against (`stats::tagging`), where a phrase the member typed
/// must stand as typed, but for endings and case.
pub fn stems(text: &str, language: Option<&str>) -> Vec<String> {
    let folding = folding(language);
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(WORDS_PER_COMMENT)
        .map(|word| folding.stem(&word.to_lowercase()))
        .collect()
}

/// The Snowball stemmer a language is stemmed with (`None`: folded only), for callers that
/// prepare terms once per stemmer.
pub fn stemmer_language(language: Option<&str>) -> Option<&'static str> {
    let primary = language
        .and_then(|l| l.split(['-', '_']).next())
        .unwrap_or("en")
        .to_ascii_lowercase();
    STEMMED.into_iter().find(|l| *l == primary)
}

/// The languages with a Snowball stemmer here.
pub const STEMMED: [&str; 5] = ["en", "fi", "sv", "de", "ar"];

/// The terms of one comment, each once: stems of its words that are not stop words, and each
/// pair of such words that stood next to each other.
pub fn terms(text: &str, language: Option<&str>) -> Vec<Term> {
    let folding = folding(language);
    // Words, lower case; a stop word breaks a phrase ("slow at checkout" holds no pair).
    let mut runs: Vec<Vec<(String, String)>> = vec![vec![]];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(WORDS_PER_COMMENT)
    {
        let word = word.to_lowercase();
        let keep = (2..=LONGEST_WORD).contains(&word.chars().count())
            && !word.chars().all(|c| c.is_numeric())
            && (NEGATIONS.contains(&word.as_str()) || !folding.stop_words.contains(&word.as_str()));
        if !keep {
            if runs.last().is_some_and(|r| !r.is_empty()) {
                runs.push(vec![]);
            }
            continue;
        }
        let stem = folding.stem(&word);
        if let Some(run) = runs.last_mut() {
            run.push((stem, word));
        }
    }
    let mut out: Vec<Term> = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut add = |key: String, surface: String| {
        if seen.insert(key.clone()) {
            out.push(Term {
                key: TermKey(key),
                surface,
            });
        }
    };
    for run in &runs {
        for (stem, word) in run {
            add(stem.clone(), word.clone());
        }
        for pair in run.windows(2) {
            add(
                format!("{} {}", pair[0].0, pair[1].0),
                format!("{} {}", pair[0].1, pair[1].1),
            );
        }
    }
    out
}

/// How many comments of a group hold each term.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub comments: u64,
    pub holding: HashMap<TermKey, u64>,
}

impl Tally {
    /// Counts one comment's terms (each once, as `terms` gives them).
    pub fn add(&mut self, terms: &[Term]) {
        self.comments += 1;
        for term in terms {
            *self.holding.entry(term.key.clone()).or_default() += 1;
        }
    }

    pub fn holding(&self, key: &TermKey) -> u64 {
        self.holding.get(key).copied().unwrap_or(0)
    }
}

/// A term's standing in group i against group j.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub key: TermKey,
    /// Log-odds ratio (positive: more typical of group i).
    pub delta: f64,
    pub z: f64,
    /// Comments of group i, and of group j, holding the term.
    pub i: u64,
    pub j: u64,
}

/// The prior share of comments holding `key`: its share of the background, kept off 0 and 1
/// (half a comment either way) so that a term the background never saw still has a prior.
fn prior_share(background: &Tally, key: &TermKey) -> f64 {
    (background.holding(key) as f64 + 0.5) / (background.comments as f64 + 1.0)
}

/// δ and z of one term, as in the module's formula.
pub fn log_odds(y_i: u64, n_i: u64, y_j: u64, n_j: u64, prior_share: f64) -> (f64, f64) {
    let alpha = PRIOR_COMMENTS * prior_share;
    let beta = PRIOR_COMMENTS * (1.0 - prior_share);
    let (y_i, n_i, y_j, n_j) = (y_i as f64, n_i as f64, y_j as f64, n_j as f64);
    let (hold_i, lack_i) = (y_i + alpha, n_i - y_i + beta);
    let (hold_j, lack_j) = (y_j + alpha, n_j - y_j + beta);
    let delta = (hold_i / lack_i).ln() - (hold_j / lack_j).ln();
    let variance = 1.0 / hold_i + 1.0 / lack_i + 1.0 / hold_j + 1.0 / lack_j;
    (delta, delta / variance.sqrt())
}

/// Every term held by at least `MIN_COMMENTS` of the compared comments, with its δ and z for
/// group i against group j, highest z first (ties by key, so the order is stable).
pub fn rank(i: &Tally, j: &Tally, background: &Tally) -> Vec<Ranked> {
    let mut keys: Vec<&TermKey> = i.holding.keys().chain(j.holding.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut ranked: Vec<Ranked> = keys
        .into_iter()
        .filter_map(|key| {
            let (y_i, y_j) = (i.holding(key), j.holding(key));
            if y_i + y_j < MIN_COMMENTS {
                return None;
            }
            let (delta, z) = log_odds(
                y_i,
                i.comments,
                y_j,
                j.comments,
                prior_share(background, key),
            );
            Some(Ranked {
                key: key.clone(),
                delta,
                z,
                i: y_i,
                j: y_j,
            })
        })
        .collect();
    ranked.sort_by(|a, b| b.z.total_cmp(&a.z).then_with(|| a.key.cmp(&b.key)));
    ranked
}

/// The words a term was most often written as (ties: the first seen), per key.
#[derive(Clone, Debug, Default)]
pub struct SurfaceForms {
    seen: HashMap<TermKey, Vec<(String, u64)>>,
}

impl SurfaceForms {
    pub fn add(&mut self, terms: &[Term]) {
        for term in terms {
            let forms = self.seen.entry(term.key.clone()).or_default();
            match forms.iter_mut().find(|(s, _)| *s == term.surface) {
                Some((_, n)) => *n += 1,
                None => forms.push((term.surface.clone(), 1)),
            }
        }
    }

    pub fn most_frequent(&self, key: &TermKey) -> String {
        self.seen
            .get(key)
            .and_then(|forms| {
                forms
                    .iter()
                    .enumerate()
                    .max_by(|(ia, a), (ib, b)| a.1.cmp(&b.1).then(ib.cmp(ia)))
                    .map(|(_, (s, _))| s.clone())
            })
            .unwrap_or_else(|| key.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally(comments: u64, holding: &[(&str, u64)]) -> Tally {
        Tally {
            comments,
            holding: holding
                .iter()
                .map(|(k, n)| (TermKey(k.to_string()), *n))
                .collect(),
        }
    }

    #[test]
    fn words_are_folded_stemmed_and_paired_per_language() {
        let keys = |text, lang| {
            terms(text, Some(lang))
                .into_iter()
                .map(|t| t.key.0)
                .collect::<Vec<_>>()
        };
        // "was" and "too" are English stop words and break a phrase; "Checkout" folds.
        assert_eq!(
            keys("Checkout was far too slow", "en"),
            vec!["checkout", "far", "slow"]
        );
        assert_eq!(
            keys("Slow checkout, slow payments", "en-GB"),
            vec![
                "slow",
                "checkout",
                "payment",
                "slow checkout",
                "checkout slow",
                "slow payment"
            ]
        );
        // Finnish: "maksaessa" (while paying) and "maksu" share no stem, "kaatui" is kept.
        assert_eq!(keys("Sivu kaatui maksaessa", "fi")[0], "sivu");
        // German stop words and stems: "Die Seite stürzte beim Bezahlen ab".
        let german = keys("Die Seite stürzte beim Bezahlen ab", "de");
        assert!(german.contains(&"seit".to_string()), "{german:?}");
        assert!(german.contains(&"bezahl".to_string()) && !german.contains(&"die".to_string()));
        // Negations stay: "not working" is a theme of its own.
        assert!(keys("It is not working", "en").contains(&"not work".to_string()));
        // Words longer than any real word (a link, a paste) are not terms.
        let pasted = format!("slow {}", "x".repeat(41));
        assert_eq!(keys(&pasted, "en"), vec!["slow"]);
        // A term is a comment's once, however often it is written.
        assert_eq!(keys("slow slow slow", "en"), vec!["slow", "slow slow"]);
        // The surface form keeps the words as written (lower case).
        let t = terms("Payments failed", Some("en"));
        assert_eq!(t[0].surface, "payments");
        assert_eq!(t[0].key.0, "payment");
    }

    /// A worked example, computed by hand.
    ///
    /// 20 detractor comments, 8 of which hold "slow"; 40 promoter comments, 2 of which hold it.
    /// The background (the site's earlier comments) has 100 comments, 9 of which hold it:
    /// π = (9 + 0.5) / (100 + 1) = 0.0940594, α = 10π = 0.940594, β = 10 − α = 9.059406.
    ///
    /// detractors: holding 8 + 0.940594 = 8.940594, lacking 12 + 9.059406 = 21.059406
    /// promoters:  holding 2 + 0.940594 = 2.940594, lacking 38 + 9.059406 = 47.059406
    /// δ = ln(8.940594 / 21.059406) − ln(2.940594 / 47.059406)
    ///   = ln(0.424542) − ln(0.062487) = −0.856745 − (−2.772799) = 1.916054
    /// σ² = 1/8.940594 + 1/21.059406 + 1/2.940594 + 1/47.059406
    ///    = 0.111849 + 0.047485 + 0.340067 + 0.021250 = 0.520651, σ = 0.721562
    /// z = 1.916054 / 0.721562 = 2.655426
    #[test]
    fn a_worked_example_of_the_log_odds_and_its_z() {
        let detractors = tally(20, &[("slow", 8)]);
        let promoters = tally(40, &[("slow", 2)]);
        let background = tally(100, &[("slow", 9)]);
        let ranked = rank(&detractors, &promoters, &background);
        assert_eq!(ranked.len(), 1);
        let slow = &ranked[0];
        assert_eq!((slow.i, slow.j), (8, 2));
        assert!((slow.delta - 1.916054).abs() < 1e-5, "{}", slow.delta);
        assert!((slow.z - 2.655426).abs() < 1e-5, "{}", slow.z);
        // Promoters against detractors: the same figure, the other way.
        let back = rank(&promoters, &detractors, &background);
        assert!((back[0].z + 2.655426).abs() < 1e-5);
    }

    #[test]
    fn rare_terms_never_rank() {
        let detractors = tally(10, &[("crash", 4), ("slow", 5)]);
        let promoters = tally(10, &[]);
        let keys: Vec<String> = rank(&detractors, &promoters, &Tally::default())
            .into_iter()
            .map(|r| r.key.0)
            .collect();
        assert_eq!(keys, vec!["slow"]);
    }

    /// Why the z of a term that leans the other way can fall when a comment holding it is
    /// added: its δ rises toward 0, but its σ shrinks faster. With a prior share of 2 %, 0 of 20
    /// detractors against 30 of 40 promoters: δ = −5.43, z = −2.40; one detractor more with
    /// the term: δ = −3.63, z = −3.73. So the property below is for terms that lean to the
    /// group (z ≥ 0), and for δ always.
    #[test]
    fn a_term_leaning_the_other_way_can_lose_z_while_gaining_delta() {
        let share = 0.02;
        let (delta, z) = log_odds(0, 20, 30, 40, share);
        let (delta_after, z_after) = log_odds(1, 21, 30, 40, share);
        assert!(delta_after > delta);
        assert!(z_after < z, "{z} → {z_after}");
    }

    fn counts() -> impl Strategy<Value = (u64, u64, u64, u64, f64)> {
        (0u64..200, 0u64..200, 0u64..200, 0u64..200, 0.001f64..0.999).prop_map(
            |(y_i, more_i, y_j, more_j, share)| (y_i, y_i + more_i, y_j, y_j + more_j, share),
        )
    }

    proptest! {
        /// Swapping the two groups negates δ and z exactly.
        #[test]
        fn swapping_the_groups_negates_z((y_i, n_i, y_j, n_j, share) in counts()) {
            let (d, z) = log_odds(y_i, n_i, y_j, n_j, share);
            let (d_back, z_back) = log_odds(y_j, n_j, y_i, n_i, share);
            prop_assert!((d + d_back).abs() < 1e-9);
            prop_assert!((z + z_back).abs() < 1e-9);
        }

        /// Adding a comment of group i that holds t never lowers t's δ, nor its z when t leans
        /// to group i (z ≥ 0). The prior is the background's, which the compared comments are
        /// not part of.
        #[test]
        fn adding_a_comment_holding_a_term_never_lowers_it((y_i, n_i, y_j, n_j, share) in counts()) {
            let (d, z) = log_odds(y_i, n_i, y_j, n_j, share);
            let (d_after, z_after) = log_odds(y_i + 1, n_i + 1, y_j, n_j, share);
            prop_assert!(d_after > d);
            if z >= 0.0 {
                prop_assert!(z_after >= z, "{} → {}", z, z_after);
            }
        }

        /// The same through whole comments: a detractor comment holding t, added to tallies
        /// built from comments, never lowers t's detractor z when t leans to detractors.
        #[test]
        fn adding_a_detractor_comment_never_lowers_a_detractor_term(
            detractors in proptest::collection::vec(proptest::bool::ANY, 5..60),
            promoters in proptest::collection::vec(proptest::bool::ANY, 5..60),
        ) {
            let term = Term { key: TermKey("slow".into()), surface: "slow".into() };
            let build = |holds: &[bool]| {
                let mut t = Tally::default();
                for &h in holds {
                    t.add(if h { std::slice::from_ref(&term) } else { &[] });
                }
                t
            };
            let (mut d, p) = (build(&detractors), build(&promoters));
            let background = tally(50, &[("slow", 10)]);
            let before = rank(&d, &p, &background).into_iter().find(|r| r.key == term.key);
            d.add(std::slice::from_ref(&term));
            let after = rank(&d, &p, &background).into_iter().find(|r| r.key == term.key);
            // A term held by fewer than MIN_COMMENTS comments does not rank before or after.
            if let (Some(before), Some(after)) = (before.filter(|b| b.z >= 0.0), after) {
                prop_assert!(after.z >= before.z);
            }
        }
    }
}
