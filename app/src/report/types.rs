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
    /// The site's attributes it carried (`attr.<key>`): exports and the API only, as the reason.
    #[cfg(feature = "ssr")]
    #[serde(default)]
    pub attributes: crate::domain::Attributes,
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
    /// How the range's detractors who asked to be contacted were followed up (the dashboard's).
    #[serde(default)]
    pub loop_closed: Option<LoopClosed>,
    /// The organisation, for the links to its follow-up inbox (the dashboard's).
    #[serde(default)]
    pub org_id: Option<Uuid>,
    /// The attributes the site declared: each a segment dimension `attr.<key>`.
    #[serde(default)]
    pub attribute_keys: Vec<crate::domain::AttributeKey>,
    /// NPS by account (the dashboard's): `None` when no answer in the range carries one.
    #[serde(default)]
    pub accounts: Option<super::accounts::Accounts>,
}

/// How a site's detractors who asked to be contacted were followed up, over a range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopClosed {
    /// Detractors (0–6) in the range who left an address to be contacted at.
    pub detractors: u32,
    /// Of them, those contacted.
    pub contacted: u32,
    /// The median time from the answer to its first contact, in seconds.
    pub median_first_contact_secs: Option<i64>,
}

impl LoopClosed {
    /// Of `detractors` who asked, those contacted, each by its time to first contact (secs).
    pub fn new(detractors: u64, mut contacted: Vec<i64>) -> LoopClosed {
        contacted.iter_mut().for_each(|s| *s = (*s).max(0));
        contacted.sort_unstable();
        let n = contacted.len();
        let detractors = u32::try_from(detractors.max(n as u64)).unwrap_or(u32::MAX);
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(contacted[n / 2]),
            _ => Some((contacted[n / 2 - 1] + contacted[n / 2]) / 2),
        };
        LoopClosed {
            detractors,
            contacted: n as u32,
            median_first_contact_secs: median,
        }
    }
}

/// "3 h 20 min", "2 d 4 h": how long a wait was or is.
pub fn wait_text(secs: i64) -> String {
    let mins = secs.max(0) / 60;
    match (mins / 1440, mins / 60 % 24, mins % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod loop_closed_tests {
    use super::{wait_text, LoopClosed};

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(wait_text(59), "0 min");
        assert_eq!(wait_text(60 * 42), "42 min");
        assert_eq!(wait_text(3600 * 3), "3 h");
        assert_eq!(wait_text(3600 * 3 + 60 * 20), "3 h 20 min");
        assert_eq!(wait_text(86400 * 2), "2 d");
        assert_eq!(wait_text(86400 * 2 + 3600 * 4 + 59), "2 d 4 h");
        assert_eq!(wait_text(-5), "0 min");
    }

    #[test]
    fn the_loop_closed_counts_and_takes_the_median_of_those_contacted() {
        let l = LoopClosed::new(5, vec![3600, 60, 7200]);
        assert_eq!(
            l,
            LoopClosed {
                detractors: 5,
                contacted: 3,
                median_first_contact_secs: Some(3600)
            }
        );
        // An even count: the mean of the middle two.
        let l = LoopClosed::new(2, vec![300, 100]);
        assert_eq!(l.median_first_contact_secs, Some(200));
        assert_eq!(LoopClosed::new(1, vec![]).median_first_contact_secs, None);
        assert_eq!(LoopClosed::new(0, vec![]).detractors, 0);
    }
}

/// A view parameter left out of the report, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusedParam {
    pub field: String,
    /// As the URL had it, to show in its field again.
    pub typed: String,
    pub reason: String,
}
