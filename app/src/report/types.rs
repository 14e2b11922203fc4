//! What one dashboard view shows: the trend's buckets, the verbatims, the funnel, and the whole
//! report.

use super::{SegmentCounts, ViewParams, MIN_ANSWERS};
use crate::nps::{Band, ScoreCounts};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One bucket of the trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodCounts {
    /// "2026-11-29", "2026-W48" or "2026-11".
    pub label: String,
    /// First day of the bucket (in the view's zone).
    pub start: NaiveDate,
    pub counts: ScoreCounts,
}

impl PeriodCounts {
    /// Too few answers to show an NPS.
    pub fn too_few(&self) -> bool {
        self.counts.n() < MIN_ANSWERS
    }
}

/// One answer as the verbatims list and the exports show it: the answer and its usage context,
/// never who gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verbatim {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub score: u8,
    pub comment: Option<String>,
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub page_path: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub country: Option<String>,
    pub trigger: Option<String>,
    pub referrer: Option<String>,
    /// Only present when the respondent asked to be contacted.
    pub contact_email: Option<String>,
    /// The saved themes it is counted under (none until it is counted, within a second).
    #[serde(default)]
    pub themes: Vec<String>,
    /// The visit so far (`domain::journey`): pages viewed, seconds on site (its bucket's
    /// start), JavaScript errors seen.
    #[serde(default)]
    pub pages_viewed: Option<u16>,
    #[serde(default)]
    pub seconds_on_site: Option<u32>,
    #[serde(default)]
    pub errors_seen: Option<u16>,
    /// The exit reason chosen (an option's key). Exports and the API carry it; no browser
    /// bundle shows it, so none carries the code to read it (a field it does not know is
    /// skipped).
    #[cfg(feature = "ssr")]
    #[serde(default)]
    pub reason: Option<String>,
    pub tags: Vec<String>,
    /// The received time in the view's zone, for display ("2026-11-29 14:05").
    #[serde(default)]
    pub local_time: String,
}

impl Verbatim {
    pub fn band(&self) -> Band {
        crate::nps::Score::try_from(self.score)
            .map(|s| s.band())
            .unwrap_or(Band::Detractor)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyChoice {
    pub id: Uuid,
    pub name: String,
}

/// The funnel the widget reports for the range.
/// What the widget reported: surveys shown, closed unanswered, and answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub shown: u64,
    pub dismissed: u64,
    pub answered: u64,
}

impl Funnel {
    /// Answered per shown, 0–1; `None` before anything was shown.
    pub fn response_rate(&self) -> Option<f64> {
        (self.shown > 0).then(|| self.answered as f64 / self.shown as f64)
    }
}

/// Everything one dashboard view shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub site_name: String,
    pub site_key: String,
    pub surveys: Vec<SurveyChoice>,
    pub view: ViewParams,
    pub periods: Vec<PeriodCounts>,
    /// All answers in the range (with the survey and segment filters).
    pub total: ScoreCounts,
    /// The range of the same length before, for the comparison.
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    pub previous: ScoreCounts,
    pub funnel: Funnel,
    /// The "NPS by segment" table's rows for `view.by` (unsorted; see [`rank_segments`]).
    pub segments: Vec<SegmentCounts>,
    /// All the answers the segment table splits (the survey filter, no segment). The sum of
    /// its rows, but for themes, where an answer may be in several rows or in none.
    #[serde(default)]
    pub segments_total: ScoreCounts,
    /// The site's saved themes, by name.
    #[serde(default)]
    pub saved_themes: Vec<crate::domain::SavedTheme>,
    /// Whether past answers are still being tagged with changed saved themes.
    #[serde(default)]
    pub tagging: bool,
    pub verbatims: Vec<Verbatim>,
    /// Whether older verbatims exist beyond this page.
    pub more_verbatims: bool,
    /// Tags in use on this site, with how many answers carry each.
    pub tags: Vec<(String, u64)>,
    /// Answers older than this many days are deleted; their scores still count.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// View parameters the URL gave that could not be used: the report is of the view without
    /// them, and the filter form shows each at its field with what was typed.
    #[serde(default)]
    pub refused: Vec<RefusedParam>,
    /// How the viewer writes numbers (from the request that asked for the report).
    #[serde(default)]
    pub numbers: crate::dashboard::Numbers,
    /// The themes of the view's comments (the dashboard's; the report API has its own route).
    #[serde(default)]
    pub themes: super::themes::Themes,
    /// The drivers of the view's NPS (the dashboard's; the report API has its own route).
    #[serde(default)]
    pub drivers: super::drivers::Drivers,
    /// The NPS corrected for who did not answer; `None` with too few impressions.
    #[serde(default)]
    pub adjusted: Option<super::nonresponse::Adjusted>,
    /// The same per period (as `periods`); empty without a correction.
    #[serde(default)]
    pub adjusted_periods: Vec<Option<super::nonresponse::Adjusted>>,
}

/// A view parameter left out of the report, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusedParam {
    pub field: String,
    /// As the URL had it, to show in its field again.
    pub typed: String,
    pub reason: String,
}
