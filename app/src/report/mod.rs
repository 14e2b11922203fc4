//! What a dashboard view asks for (the state its URL holds) and what it shows. Pure: the
//! browser renders the same types the server computes, and the server's REST API returns them.

#[cfg(feature = "ssr")]
pub mod build;
#[cfg(feature = "ssr")]
pub mod periods;
pub mod share;

use crate::domain::FieldError;
use crate::nps::{Band, ScoreCounts, Summary};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Below this many answers a bucket or a segment is shown as "too few", never as a number.
pub const MIN_ANSWERS: u64 = 10;
/// Widest range a view may ask for by day; longer ranges go by week or month.
pub const MAX_BUCKETS: usize = 400;
/// Verbatims per page.
pub const VERBATIM_PAGE: u32 = 50;

/// A key answers are segmented by. Each one is pre-aggregated, so filtering by one segment and
/// the "NPS by segment" table cost the same as the unfiltered view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Country,
    Device,
    Browser,
    Language,
    Page,
    Trigger,
    Survey,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Country,
        Dimension::Device,
        Dimension::Browser,
        Dimension::Language,
        Dimension::Page,
        Dimension::Trigger,
        Dimension::Survey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Country => "country",
            Dimension::Device => "device",
            Dimension::Browser => "browser",
            Dimension::Language => "language",
            Dimension::Page => "page",
            Dimension::Trigger => "trigger",
            Dimension::Survey => "survey",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dimension::Country => "Country",
            Dimension::Device => "Device",
            Dimension::Browser => "Browser",
            Dimension::Language => "Language",
            Dimension::Page => "Page",
            Dimension::Trigger => "Trigger",
            Dimension::Survey => "Survey",
        }
    }

    pub fn parse(text: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Granularity::Day, Granularity::Week, Granularity::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Granularity> {
        Granularity::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// Only answers whose `dimension` had this value (`""`: answers that did not carry it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentFilter {
    pub dimension: Dimension,
    pub value: String,
}

/// Everything a view shows depends on these, and the URL holds all of them, so a view can be
/// shared by sending its address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewParams {
    pub survey: Option<Uuid>,
    /// First day of the range, in `tz`.
    pub from: NaiveDate,
    /// Last day of the range (inclusive), in `tz`.
    pub to: NaiveDate,
    /// IANA zone name of the viewer, e.g. `Europe/Helsinki`.
    pub tz: String,
    pub bucket: Granularity,
    pub segment: Option<SegmentFilter>,
    /// The dimension of the "NPS by segment" table.
    pub by: Dimension,
    /// Full-text search in comments.
    pub q: String,
    pub band: Option<Band>,
    pub tag: Option<String>,
}

impl ViewParams {
    /// The last 90 days to `today`, by week, in UTC.
    pub fn default_for(today: NaiveDate) -> ViewParams {
        ViewParams {
            survey: None,
            from: today - chrono::Duration::days(89),
            to: today,
            tz: "UTC".into(),
            bucket: Granularity::Week,
            segment: None,
            by: Dimension::Country,
            q: String::new(),
            band: None,
            tag: None,
        }
    }

    /// Reads the view from query parameters; anything absent takes its default, anything
    /// present must parse. (The zone name is checked where zones are known, on the server.)
    pub fn from_query(
        get: impl Fn(&str) -> Option<String>,
        today: NaiveDate,
    ) -> Result<ViewParams, FieldError> {
        let mut view = ViewParams::default_for(today);
        let present = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        if let Some(tz) = present("tz") {
            if tz.len() > 64
                || !tz
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
            {
                return Err(FieldError::new("tz", "is not a time zone name"));
            }
            view.tz = tz;
        }
        let date = |key: &str| -> Result<Option<NaiveDate>, FieldError> {
            present(key).map(|v| parse_report_date(key, &v)).transpose()
        };
        let to = date("to")?;
        let from = date("from")?;
        if let Some(to) = to {
            view.to = to;
            view.from = to - chrono::Duration::days(89);
        }
        if let Some(from) = from {
            view.from = from;
        }
        if view.from > view.to {
            return Err(FieldError::new("from", "must not be after `to`"));
        }
        if let Some(survey) = present("survey") {
            view.survey = Some(
                Uuid::parse_str(survey.trim())
                    .map_err(|_| FieldError::new("survey", "is not a survey id"))?,
            );
        }
        if let Some(bucket) = present("bucket") {
            view.bucket = Granularity::parse(&bucket)
                .ok_or_else(|| FieldError::new("bucket", "must be day, week or month"))?;
        }
        if let Some(by) = present("by") {
            view.by = Dimension::parse(&by).ok_or_else(|| unknown_dimension("by"))?;
        }
        if let Some(segment) = present("segment") {
            let (dimension, value) = segment
                .split_once(':')
                .ok_or_else(|| FieldError::new("segment", "must be dimension:value"))?;
            let dimension =
                Dimension::parse(dimension).ok_or_else(|| unknown_dimension("segment"))?;
            if value.chars().count() > 512 {
                return Err(FieldError::new("segment", "value is too long"));
            }
            // No stored value holds a control character (the parsers refuse them), and
            // PostgreSQL refuses a NUL outright: such a value is a bad request, not a miss.
            if value.chars().any(char::is_control) {
                return Err(FieldError::new(
                    "segment",
                    "value must not contain control characters",
                ));
            }
            view.segment = Some(SegmentFilter {
                dimension,
                value: value.to_string(),
            });
        }
        if let Some(q) = present("q") {
            if q.chars().count() > 200 {
                return Err(FieldError::new("q", "must be at most 200 characters"));
            }
            if q.chars().any(|c| c.is_control() && c != '\t') {
                return Err(FieldError::new("q", "must not contain control characters"));
            }
            view.q = q.trim().to_string();
        }
        if let Some(band) = present("band") {
            view.band = Some(Band::parse(&band).ok_or_else(|| {
                FieldError::new("band", "must be detractor, passive or promoter")
            })?);
        }
        if let Some(tag) = present("tag") {
            view.tag = Some(
                Tag::parse(&tag)
                    .map_err(|e| FieldError::new("tag", e.reason))?
                    .0,
            );
        }
        Ok(view)
    }

    /// The query string that reproduces this view (without the leading `?`).
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("from", self.from.to_string()),
            ("to", self.to.to_string()),
            ("tz", self.tz.clone()),
            ("bucket", self.bucket.as_str().into()),
            ("by", self.by.as_str().into()),
        ];
        if let Some(survey) = self.survey {
            pairs.push(("survey", survey.to_string()));
        }
        if let Some(s) = &self.segment {
            pairs.push(("segment", format!("{}:{}", s.dimension.as_str(), s.value)));
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(band) = self.band {
            pairs.push(("band", band.as_str().into()));
        }
        if let Some(tag) = &self.tag {
            pairs.push(("tag", tag.clone()));
        }
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same view with one change, for links.
    pub fn with(&self, change: impl FnOnce(&mut ViewParams)) -> ViewParams {
        let mut next = self.clone();
        change(&mut next);
        next
    }

    /// The range of the same length just before this one.
    pub fn previous_range(&self) -> (NaiveDate, NaiveDate) {
        let days = (self.to - self.from).num_days() + 1;
        (
            self.from - chrono::Duration::days(days),
            self.from - chrono::Duration::days(1),
        )
    }
}

fn unknown_dimension(field: &str) -> FieldError {
    FieldError::new(
        field,
        "must be one of country, device, browser, language, page, trigger, survey",
    )
}

/// Splits a query string (`a=1&b=x%20y`, `+` as space) into decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A label members put on answers: 1–40 characters, lower-cased, letters, digits, `-`, `_`
/// and spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(text: &str) -> Result<Tag, FieldError> {
        let tag = text.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            return Err(FieldError::new("tag", "must be 1 to 40 characters"));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        {
            return Err(FieldError::new(
                "tag",
                "may hold letters, digits, spaces, - and _ only",
            ));
        }
        Ok(Tag(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// One value of a dimension with its answers in the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentCounts {
    pub value: String,
    pub counts: ScoreCounts,
}

/// A segment with how much it moves the overall NPS.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedSegment {
    pub value: String,
    pub summary: Summary,
    /// Share of all answers × (segment NPS − overall NPS), in NPS points: how many points the
    /// overall figure would move if this segment answered like everyone else.
    pub impact: f64,
}

impl RankedSegment {
    pub fn too_few(&self) -> bool {
        self.summary.n() < MIN_ANSWERS
    }
}

/// Segments sorted by |impact|, largest first; ties by size, then value, so the order is stable.
pub fn rank_segments(segments: &[SegmentCounts]) -> Vec<RankedSegment> {
    let mut overall = ScoreCounts::default();
    segments.iter().for_each(|s| overall.merge(&s.counts));
    let overall = overall.summary();
    let (total, overall_nps) = (overall.n() as f64, overall.nps().unwrap_or(0.0));
    let mut ranked: Vec<RankedSegment> = segments
        .iter()
        .filter(|s| s.counts.n() > 0)
        .map(|s| {
            let summary = s.counts.summary();
            let share = summary.n() as f64 / total;
            RankedSegment {
                value: s.value.clone(),
                impact: share * (summary.nps().unwrap_or(overall_nps) - overall_nps),
                summary,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.impact
            .abs()
            .total_cmp(&a.impact.abs())
            .then(b.summary.n().cmp(&a.summary.n()))
            .then(a.value.cmp(&b.value))
    });
    ranked
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
    pub verbatims: Vec<Verbatim>,
    /// Whether older verbatims exist beyond this page.
    pub more_verbatims: bool,
    /// Tags in use on this site, with how many answers carry each.
    pub tags: Vec<(String, u64)>,
    /// Answers older than this many days are deleted; their scores still count.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// Makes a spreadsheet cell inert: a cell starting with `= + - @` (or a tab/CR that some
/// programs skip) would be read as a formula, so it gets a leading apostrophe.
pub fn neutralise_cell(text: &str) -> String {
    if starts_a_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Whether a spreadsheet could read `text` as a formula: a formula sign first, also after
/// leading spaces (some programs trim them) and in its full-width form, or a leading control.
fn starts_a_formula(text: &str) -> bool {
    const SIGNS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
    match text.chars().next() {
        Some('\t' | '\r' | '\n') => true,
        _ => text.trim_start().starts_with(SIGNS),
    }
}

/// The years a report may name: every answer falls in them, and every date arithmetic on
/// them (a period before, a week's start, a zone's offset) stays far inside chrono's range.
pub const REPORT_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A report date (`2026-03-31`), refused outside `REPORT_YEARS`.
pub fn parse_report_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    use chrono::Datelike;
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date like 2026-03-31"))?;
    if REPORT_YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(FieldError::new(
            field,
            "must be between 2000-01-01 and 2100-12-31",
        ))
    }
}

/// One CSV field: neutralised, and always quoted, so no separator a spreadsheet may choose
/// (`,` or the `;` of Finnish, Swedish and German Excel) can split it.
pub fn csv_field(text: &str) -> String {
    format!("\"{}\"", neutralise_cell(text).replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nps::Score;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn counts(promoters: u64, passives: u64, detractors: u64) -> ScoreCounts {
        let mut c = ScoreCounts::default();
        c.add_many(Score::try_from(10u8).unwrap(), promoters);
        c.add_many(Score::try_from(7u8).unwrap(), passives);
        c.add_many(Score::try_from(2u8).unwrap(), detractors);
        c
    }

    #[test]
    fn a_view_round_trips_through_its_query_string() {
        let view = ViewParams {
            survey: Some(Uuid::from_u128(7)),
            from: day("2026-01-01"),
            to: day("2026-03-31"),
            tz: "America/Argentina/Buenos_Aires".into(),
            bucket: Granularity::Month,
            segment: Some(SegmentFilter {
                dimension: Dimension::Page,
                value: "/pricing & plans".into(),
            }),
            by: Dimension::Device,
            q: "too slow".into(),
            band: Some(Band::Detractor),
            tag: Some("pricing".into()),
        };
        let query = view.to_query();
        let pairs: HashMap<String, String> = parse_query(&query).into_iter().collect();
        let parsed = ViewParams::from_query(|k| pairs.get(k).cloned(), day("2026-11-29")).unwrap();
        assert_eq!(parsed, view);
    }

    #[test]
    fn query_strings_decode_like_browsers_send_them() {
        let pairs = parse_query("?q=too+slow&segment=page%3A%2Fa%20b&bad=%zz&empty=&flag");
        assert_eq!(
            pairs,
            [
                ("q", "too slow"),
                ("segment", "page:/a b"),
                ("bad", "%zz"),
                ("empty", ""),
                ("flag", "")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn defaults_and_refusals() {
        let today = day("2026-11-29");
        let view = ViewParams::from_query(|_| None, today).unwrap();
        assert_eq!((view.from, view.to), (day("2026-09-01"), today));
        assert_eq!(
            view.previous_range(),
            (day("2026-06-03"), day("2026-08-31"))
        );
        let bad = |k: &'static str, v: &'static str| {
            ViewParams::from_query(move |key| (key == k).then(|| v.to_string()), today)
                .unwrap_err()
                .field
        };
        assert_eq!(bad("from", "2026-13-01"), "from");
        assert_eq!(bad("from", "2027-01-01"), "from");
        assert_eq!(bad("bucket", "year"), "bucket");
        assert_eq!(bad("segment", "planet:mars"), "segment");
        assert_eq!(bad("segment", "country"), "segment");
        assert_eq!(bad("band", "fan"), "band");
        assert_eq!(bad("tz", "Europe/Helsinki'; --"), "tz");
        assert_eq!(bad("survey", "nope"), "survey");
        assert_eq!(bad("tag", "<b>"), "tag");
    }

    #[test]
    fn segments_rank_by_how_far_they_move_the_whole() {
        // Overall: 60 promoters, 20 passives, 20 detractors of 100 → NPS 40.
        let segments = vec![
            SegmentCounts {
                value: "FI".into(),
                counts: counts(45, 10, 5),
            }, // n 60, NPS 66.7: impact 0.6 × 26.7 = +16
            SegmentCounts {
                value: "SE".into(),
                counts: counts(10, 5, 15),
            }, // n 30, NPS −16.7: impact 0.3 × −56.7 = −17
            SegmentCounts {
                value: "DE".into(),
                counts: counts(5, 5, 0),
            }, // n 10, NPS 50: impact 0.1 × 10 = +1
        ];
        let ranked = rank_segments(&segments);
        let order: Vec<&str> = ranked.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(order, ["SE", "FI", "DE"]);
        assert!((ranked[0].impact - (-17.0)).abs() < 1e-9);
        assert!((ranked[1].impact - 16.0).abs() < 1e-9);
        assert!((ranked[2].impact - 1.0).abs() < 1e-9);
        assert!(!ranked[2].too_few());
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        // A leading quote is data, not a formula: the cell reads `"` then a tab.
        assert_eq!(csv_field("\"\t"), "\"\"\"\t\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "\"'+1\"");
        assert_eq!(csv_field("-2"), "\"'-2\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field("  =1+1"), "\"'  =1+1\"");
        assert_eq!(csv_field("＝1+1"), "\"'＝1+1\"");
        assert_eq!(csv_field("fine, thanks"), "\"fine, thanks\"");
        // Excel in fi, sv and de splits on `;`: the field is quoted, so it stays one cell.
        assert_eq!(csv_field("a;=1+1"), "\"a;=1+1\"");
        assert_eq!(csv_field("plain"), "\"plain\"");
    }

    proptest! {
        #[test]
        fn impacts_sum_to_zero(raw in proptest::collection::vec((0u64..50, 0u64..50, 0u64..50), 1..8)) {
            let segments: Vec<SegmentCounts> = raw.iter().enumerate()
                .map(|(i, &(p, s, d))| SegmentCounts { value: i.to_string(), counts: counts(p, s, d) })
                .collect();
            let total: u64 = segments.iter().map(|s| s.counts.n()).sum();
            prop_assume!(total > 0);
            // Σ share·(NPSᵢ − NPS) = Σ shareᵢ·NPSᵢ − NPS = 0: the table explains the whole.
            let sum: f64 = rank_segments(&segments).iter().map(|r| r.impact).sum();
            prop_assert!(sum.abs() < 1e-6);
        }

        #[test]
        fn no_csv_field_starts_a_formula(text in ".*") {
            let field = csv_field(&text);
            // Every field is quoted; the cell a spreadsheet reads is the field unquoted, cut at
            // any `,` or `;` (a reader that ignored the quoting) as well as whole.
            prop_assert!(field.starts_with('"') && field.ends_with('"') && field.len() >= 2);
            let cell = field[1..field.len() - 1].replace("\"\"", "\"");
            prop_assert!(cell.starts_with('\'') || !starts_a_formula(&cell), "{:?}", cell);
            let first = cell.trim_start().chars().next();
            prop_assert!(!matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')), "{:?}", cell);
        }
    }
}

crate::domain::parsed_from_string!(Tag, |raw| Tag::parse(&raw));
