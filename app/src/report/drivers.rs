//! The drivers of a view's NPS: each segment value's effect with the other dimensions held
//! fixed, beside its raw effect (`stats::drivers`). The types are what the dashboard panel and
//! the report API show.

use super::Dimension;
use serde::{Deserialize, Serialize};

/// Answers read, newest first: a view with more is read as a sample of its newest, and says so.
pub const DRIVER_SAMPLE: u32 = 20_000;
/// Effects listed, largest adjusted effect first.
pub const DRIVERS_SHOWN: usize = 15;
/// The dimensions the model holds fixed against each other.
pub const DRIVER_DIMENSIONS: [Dimension; 6] = [
    Dimension::Country,
    Dimension::Device,
    Dimension::Browser,
    Dimension::Language,
    Dimension::Page,
    Dimension::Trigger,
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

/// An answer as the model reads it: its score and its value in each of `DRIVER_DIMENSIONS`.
pub fn observation(score: u8, values: Vec<Option<String>>) -> crate::stats::drivers::Observation {
    use crate::nps::{Band, Score};
    let y = match Score::try_from(score).map(|s| s.band()) {
        Ok(Band::Promoter) => 100.0,
        Ok(Band::Detractor) => -100.0,
        _ => 0.0,
    };
    crate::stats::drivers::Observation { y, values }
}

/// The model's effects, largest adjusted first.
pub fn drivers_of(observations: &[crate::stats::drivers::Observation], sampled: bool) -> Drivers {
    let mut effects: Vec<DriverEffect> =
        crate::stats::drivers::drivers(observations, DRIVER_DIMENSIONS.len())
            .into_iter()
            .map(|e| DriverEffect {
                dimension: DRIVER_DIMENSIONS[e.dimension],
                value: e.value,
                reference: e.reference,
                answers: e.answers as u64,
                raw: e.raw,
                adjusted: e.adjusted,
                ci95: e.ci95,
                reversed: e.reversed,
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
    let observations: Vec<_> = sample
        .answers
        .iter()
        .map(|a| {
            let values = DRIVER_DIMENSIONS
                .iter()
                .map(|d| match d {
                    Dimension::Country => a.country.clone(),
                    Dimension::Device => a.device.clone(),
                    Dimension::Browser => a.browser.clone(),
                    Dimension::Language => a.language.clone(),
                    Dimension::Page => a.page_path.clone(),
                    Dimension::Trigger => a.trigger.clone(),
                    Dimension::Survey => Some(a.survey_id.to_string()),
                })
                .collect();
            observation(a.score, values)
        })
        .collect();
    drivers_of(&observations, sample.sampled)
}
