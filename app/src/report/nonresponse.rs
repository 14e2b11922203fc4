//! A view's NPS corrected for who did not answer (`stats::weights`): each answer weighted by
//! the inverse of its context cell's response rate, from the impressions of the same time.

use serde::{Deserialize, Serialize};

/// The corrected NPS, its 95 % interval and its effective sample size (Kish).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adjusted {
    pub nps: f64,
    pub ci95: (f64, f64),
    pub effective_n: f64,
}

/// An answer's context cell, in coarsening order (the last is merged first): device, trigger,
/// language, country, pages-viewed bucket, page.
pub struct Cell<'a> {
    pub device: Option<&'a str>,
    pub trigger: Option<&'a str>,
    pub language: Option<&'a str>,
    pub country: Option<&'a str>,
    pub pages_viewed: Option<&'a str>,
    pub page: Option<&'a str>,
}

impl Cell<'_> {
    pub fn key(&self) -> Vec<String> {
        [
            self.device,
            self.trigger,
            self.language,
            self.country,
            self.pages_viewed,
            self.page,
        ]
        .into_iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
    }
}

/// An answer as the correction reads it: its score, its context cell, and which of the view's
/// periods it fell in (`None`: in none).
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub score: u8,
    pub cell: Vec<String>,
    pub period: Option<usize>,
}

/// The view's corrected NPS, and each period's (`periods` of them; `None` for a period with
/// fewer than `MIN_ANSWERS` answers read), given the impressions of their time per cell; `None`
/// when there are too few impressions to correct with. Each answer's weight comes from the
/// whole view's response rates: a period alone would have too few impressions per cell.
pub fn corrected(
    answers: &[Answer],
    reach: &std::collections::HashMap<Vec<String>, crate::stats::weights::Reach>,
    periods: usize,
) -> Option<(Adjusted, Vec<Option<Adjusted>>)> {
    use crate::nps::{Band, Score};
    use crate::stats::weights::{propensity_weights, weighted_nps};
    let cells: Vec<Vec<String>> = answers.iter().map(|a| a.cell.clone()).collect();
    let weights = propensity_weights(reach, &cells)?;
    let y: Vec<f64> = answers
        .iter()
        .map(|a| match Score::try_from(a.score).map(|s| s.band()) {
            Ok(Band::Promoter) => 100.0,
            Ok(Band::Detractor) => -100.0,
            _ => 0.0,
        })
        .collect();
    let adjusted = |y: &[f64], w: &[f64]| {
        weighted_nps(y, w).map(|c| Adjusted {
            nps: c.nps,
            ci95: c.ci95,
            effective_n: c.effective_n,
        })
    };
    let whole = adjusted(&y, &weights)?;
    let by_period = (0..periods)
        .map(|period| {
            let (y, w): (Vec<f64>, Vec<f64>) = answers
                .iter()
                .zip(y.iter().zip(&weights))
                .filter(|(a, _)| a.period == Some(period))
                .map(|(_, (y, w))| (*y, *w))
                .unzip();
            (y.len() as u64 >= super::MIN_ANSWERS)
                .then(|| adjusted(&y, &w))
                .flatten()
        })
        .collect();
    Some((whole, by_period))
}

/// The corrected NPS of a view from its answers (the newest `DRIVER_SAMPLE`, shared with the
/// drivers) and the impressions of the same time: from the oldest answer read when only the
/// newest were read, else the whole range.
#[cfg(feature = "ssr")]
pub async fn build_corrected(
    store: &crate::store::SharedStore,
    org: uuid::Uuid,
    site: uuid::Uuid,
    view: &super::ViewParams,
    sample: &super::drivers::Sample,
) -> Result<Option<(Adjusted, Vec<Option<Adjusted>>)>, crate::error::AppError> {
    use crate::stats::weights::Reach;
    let (filter, mut range) = super::build::scope(view)?;
    let tz = super::periods::zone(&view.tz)?;
    let boundaries = super::periods::periods(tz, view.from, view.to, view.bucket)?.boundaries;
    if sample.sampled {
        if let Some(oldest) = sample.answers.iter().map(|a| a.received_at).min() {
            range.from = oldest;
        }
    }
    let reach = store
        .impression_cells(org, site, &filter, range)
        .await?
        .into_iter()
        .map(|c| {
            (
                Cell {
                    device: Some(&c.device),
                    trigger: Some(&c.trigger),
                    language: Some(&c.language),
                    country: Some(&c.country),
                    pages_viewed: Some(&c.pages_viewed),
                    page: Some(&c.page),
                }
                .key(),
                Reach {
                    shown: c.shown,
                    answered: c.answered,
                },
            )
        })
        .collect();
    let answers: Vec<Answer> = sample
        .answers
        .iter()
        .map(|a| Answer {
            score: a.score,
            cell: Cell {
                device: a.device.as_deref(),
                trigger: a.trigger.as_deref(),
                language: a.language.as_deref(),
                country: a.country.as_deref(),
                pages_viewed: a.pages_viewed.map(crate::domain::journey::pages_label),
                page: a.page_path.as_deref(),
            }
            .key(),
            period: boundaries
                .windows(2)
                .position(|w| w[0] <= a.received_at && a.received_at < w[1]),
        })
        .collect();
    Ok(corrected(
        &answers,
        &reach,
        boundaries.len().saturating_sub(1),
    ))
}
