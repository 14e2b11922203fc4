//! The drivers of a view's NPS: each segment value's effect with the other dimensions held
//! fixed, beside its raw effect (`stats::drivers`). The types are what the dashboard panel and
//! the report API show.

use super::Dimension;
use crate::domain::journey;
use serde::{Deserialize, Serialize};

/// Answers read, newest first: a view with more is read as a sample of its newest, and says so.
pub const DRIVER_SAMPLE: u32 = 20_000;
/// Effects listed, largest adjusted effect first.
pub const DRIVERS_SHOWN: usize = 15;
/// The dimensions the model holds fixed against each other.
pub const DRIVER_DIMENSIONS: [Dimension; 9] = [
    Dimension::Country,
    Dimension::Device,
    Dimension::Browser,
    Dimension::Language,
    Dimension::Page,
    Dimension::Trigger,
    Dimension::PagesViewed,
    Dimension::TimeOnSite,
    Dimension::HadError,
];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Drivers {
    /// Answers the model was fitted on.
    pub n: u64,
    /// Whether the view holds more answers than were read (the newest `DRIVER_SAMPLE`).
    pub sampled: bool,
    pub effects: Vec<DriverEffect>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriverEffect {
    pub dimension: Dimension,
    pub value: String,
    /// What it is compared with: the dimension's most common value.
    pub reference: String,
    pub answers: u64,
    /// NPS points against the reference, as the answers stand.
    pub raw: f64,
    /// NPS points against the reference, the other dimensions held fixed.
    pub adjusted: f64,
    pub ci95: (f64, f64),
    /// Raw and adjusted point opposite ways, and the adjusted effect is clear of zero.
    pub reversed: bool,
}

/// An answer as the model reads it: its score and its value in each factor.
pub fn observation(score: u8, values: Vec<Option<String>>) -> crate::stats::drivers::Observation {
    use crate::nps::{Band, Score};
    let y = match Score::try_from(score).map(|s| s.band()) {
        Ok(Band::Promoter) => 100.0,
        Ok(Band::Detractor) => -100.0,
        _ => 0.0,
    };
    crate::stats::drivers::Observation { y, values }
}

/// Saved themes the model takes, the most held first.
pub const DRIVER_THEMES: usize = 10;

/// What the model holds fixed against each other: the context dimensions, each saved theme the
/// sample's answers hold (held or not), and whether the answer has a comment at all. Only a
/// comment can hold a theme, and those who write one score differently, so without that
/// factor a theme's effect would be partly the effect of writing.
#[derive(Clone, Debug, PartialEq)]
pub enum Factor {
    Context(Dimension),
    Theme(String),
    Commented,
}

impl Factor {
    /// The factor's value for an answer.
    fn value(&self, a: &super::Verbatim) -> Option<String> {
        match self {
            Factor::Context(d) => match d {
                Dimension::Country => a.country.clone(),
                Dimension::Device => a.device.clone(),
                Dimension::Browser => a.browser.clone(),
                Dimension::Language => a.language.clone(),
                Dimension::Page => a.page_path.clone(),
                Dimension::Trigger => a.trigger.clone(),
                Dimension::Survey => Some(a.survey_id.to_string()),
                Dimension::Theme => None,
                Dimension::PagesViewed => a.pages_viewed.map(|n| journey::pages_label(n).into()),
                Dimension::TimeOnSite => {
                    a.seconds_on_site.map(|n| journey::seconds_label(n).into())
                }
                Dimension::HadError => a.errors_seen.map(|n| journey::errors_label(n).into()),
                // Offered by band: it follows the score, it does not explain it.
                Dimension::Reason => None,
                #[cfg(feature = "ssr")]
                Dimension::Attribute(key) => a.attributes.get(*key).map(str::to_owned),
                #[cfg(not(feature = "ssr"))]
                Dimension::Attribute(_) => None,
            },
            Factor::Theme(t) => Some(if a.themes.contains(t) {
                t.clone()
            } else {
                without(t)
            }),
            Factor::Commented => Some(
                if a.comment.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                    "a comment"
                } else {
                    "no comment"
                }
                .into(),
            ),
        }
    }
}

/// The value of an answer that does not hold theme `t`.
fn without(t: &str) -> String {
    format!("not {t}")
}

/// The site's attributes the model takes, the most carried first.
pub const DRIVER_ATTRIBUTES: usize = 5;

/// The factors of a sample: the context dimensions, the attributes its answers carry (a plan
/// is the first thing a team would hold fixed), then its most held saved themes.
pub fn factors_of(sample: &Sample) -> Vec<Factor> {
    let mut factors: Vec<Factor> = DRIVER_DIMENSIONS.into_iter().map(Factor::Context).collect();
    // Only the server reads an answer's attributes.
    #[cfg(feature = "ssr")]
    {
        let mut carried: std::collections::HashMap<crate::domain::AttributeKey, usize> =
            Default::default();
        for (key, _) in sample.answers.iter().flat_map(|a| a.attributes.iter()) {
            *carried.entry(key).or_default() += 1;
        }
        let mut carried: Vec<_> = carried.into_iter().collect();
        carried.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        factors.extend(
            carried
                .into_iter()
                .take(DRIVER_ATTRIBUTES)
                .map(|(key, _)| Factor::Context(Dimension::Attribute(key))),
        );
    }
    let mut held: std::collections::HashMap<&str, usize> = Default::default();
    for theme in sample.answers.iter().flat_map(|a| &a.themes) {
        *held.entry(theme.as_str()).or_default() += 1;
    }
    let mut held: Vec<(&str, usize)> = held.into_iter().collect();
    held.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !held.is_empty() {
        factors.extend(
            held.into_iter()
                .take(DRIVER_THEMES)
                .map(|(t, _)| Factor::Theme(t.to_string())),
        );
        factors.push(Factor::Commented);
    }
    factors
}

/// The model's effects, largest adjusted first (the comment factor is a control, not shown).
pub fn drivers_of(
    observations: &[crate::stats::drivers::Observation],
    factors: &[Factor],
    sampled: bool,
) -> Drivers {
    let mut effects: Vec<DriverEffect> =
        crate::stats::drivers::drivers(observations, factors.len())
            .into_iter()
            .filter_map(|e| {
                let dimension = match &factors[e.dimension] {
                    Factor::Context(d) => *d,
                    Factor::Theme(_) => Dimension::Theme,
                    Factor::Commented => return None,
                };
                Some(DriverEffect {
                    dimension,
                    value: e.value,
                    reference: e.reference,
                    answers: e.answers as u64,
                    raw: e.raw,
                    adjusted: e.adjusted,
                    ci95: e.ci95,
                    reversed: e.reversed,
                })
            })
            .collect();
    effects.sort_by(|a, b| b.adjusted.abs().total_cmp(&a.adjusted.abs()));
    effects.truncate(DRIVERS_SHOWN);
    Drivers {
        n: observations.len() as u64,
        sampled,
        effects,
    }
}

/// The newest answers of a view (at most `DRIVER_SAMPLE`), which the drivers and the corrected
/// NPS read.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub answers: Vec<super::Verbatim>,
    /// Whether the view holds more answers than were read.
    pub sampled: bool,
}

/// Reads a view's sample, for a site of `org` (the caller has checked membership).
#[cfg(feature = "ssr")]
pub async fn read_sample(
    store: &crate::store::SharedStore,
    org: uuid::Uuid,
    site: uuid::Uuid,
    view: &super::ViewParams,
) -> Result<Sample, crate::error::AppError> {
    use crate::store::VerbatimQuery;
    let (filter, range) = super::build::scope(view)?;
    let query = VerbatimQuery {
        filter,
        range,
        search: None,
        band: None,
        tag: None,
        comments_only: false,
        before: None,
        limit: DRIVER_SAMPLE + 1,
    };
    let mut answers = store.verbatims(org, site, &query).await?;
    let sampled = answers.len() > DRIVER_SAMPLE as usize;
    answers.truncate(DRIVER_SAMPLE as usize);
    Ok(Sample { answers, sampled })
}

/// The drivers of a view's sample, fitted off the async workers (it is CPU work).
#[cfg(feature = "ssr")]
pub async fn build_drivers(sample: Sample) -> Result<Drivers, crate::error::AppError> {
    tokio::task::spawn_blocking(move || drivers_of_sample(&sample))
        .await
        .map_err(|_| crate::error::AppError::Internal)
}

/// The drivers of a view's sample.
pub fn drivers_of_sample(sample: &Sample) -> Drivers {
    let factors = factors_of(sample);
    let observations: Vec<_> = sample
        .answers
        .iter()
        .map(|a| observation(a.score, factors.iter().map(|f| f.value(a)).collect()))
        .collect();
    drivers_of(&observations, &factors, sample.sampled)
}
