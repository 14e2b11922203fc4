//! What a dashboard view asks for: the state its URL holds (range, bucket, segment, filters),
//! and the query-string codec that carries it.

use super::Tag;
use crate::domain::{AttributeKey, FieldError};
use crate::nps::Band;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A key answers are segmented by. Each one is pre-aggregated, so filtering by one segment and
/// the "NPS by segment" table cost the same as the unfiltered view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Dimension {
    Country,
    Device,
    Browser,
    Language,
    Page,
    Trigger,
    Survey,
    /// The saved themes an answer's comment holds: an answer may hold several, or none (`""`).
    Theme,
    /// Pages viewed in the visit, by bucket ("2-3"; `domain::journey`).
    PagesViewed,
    /// Seconds on the site in the visit, by bucket ("1-2m").
    TimeOnSite,
    /// Whether the site's pages raised a JavaScript error in the visit: "yes" or "no".
    HadError,
    /// The exit reason chosen: an option's key (`domain::ReasonQuestion`).
    Reason,
    /// An attribute the site declared (`attr.plan`): answers and events that carried it.
    Attribute(AttributeKey),
}

impl TryFrom<String> for Dimension {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Dimension::parse(&raw).ok_or_else(|| unknown_dimension("dimension"))
    }
}

impl From<Dimension> for String {
    fn from(d: Dimension) -> String {
        d.as_str().to_owned()
    }
}

impl Dimension {
    pub const ALL: [Dimension; 12] = [
        Dimension::Country,
        Dimension::Device,
        Dimension::Browser,
        Dimension::Language,
        Dimension::Page,
        Dimension::Trigger,
        Dimension::Survey,
        Dimension::Theme,
        Dimension::PagesViewed,
        Dimension::TimeOnSite,
        Dimension::HadError,
        Dimension::Reason,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Dimension::Attribute(key) => key.dimension_name(),
            Dimension::Country => "country",
            Dimension::Device => "device",
            Dimension::Browser => "browser",
            Dimension::Language => "language",
            Dimension::Page => "page",
            Dimension::Trigger => "trigger",
            Dimension::Survey => "survey",
            Dimension::Theme => "theme",
            Dimension::PagesViewed => "pages_viewed",
            Dimension::TimeOnSite => "time_on_site",
            Dimension::HadError => "had_error",
            Dimension::Reason => "reason",
        }
    }

    /// How the page names it: an attribute by its key, `team_size` as "Team size".
    pub fn label(&self) -> String {
        let name = match self {
            Dimension::Attribute(key) => {
                let words = key.as_str().replace('_', " ");
                let mut chars = words.chars();
                return chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default();
            }
            Dimension::Country => "Country",
            Dimension::Device => "Device",
            Dimension::Browser => "Browser",
            Dimension::Language => "Language",
            Dimension::Page => "Page",
            Dimension::Trigger => "Trigger",
            Dimension::Survey => "Survey",
            Dimension::Theme => "Theme",
            Dimension::PagesViewed => "Pages viewed",
            Dimension::TimeOnSite => "Time on site",
            Dimension::HadError => "Had an error",
            Dimension::Reason => "Exit reason",
        };
        name.into()
    }

    /// Whether an answer may have several values (themes), so that segments overlap and their
    /// counts do not add up to the whole.
    pub fn multi_valued(self) -> bool {
        self == Dimension::Theme
    }

    /// For a dimension of bucketed numbers, the stored column and the inclusive range of
    /// numbers `value` stands for (`None` inside: no bucket has that name, so no row matches).
    /// `None` for the other dimensions.
    pub fn number_range(self, value: &str) -> Option<(&'static str, Option<(i64, i64)>)> {
        use crate::domain::journey;
        match self {
            Dimension::PagesViewed => Some(("pages_viewed", journey::pages_range(value))),
            Dimension::TimeOnSite => Some(("seconds_on_site", journey::seconds_range(value))),
            Dimension::HadError => Some(("errors_seen", journey::errors_range(value))),
            _ => None,
        }
    }

    /// Whether impressions (shown, dismissed) carry this dimension. A theme is read from a
    /// comment, and a reason chosen after the score: only an answer has them.
    pub fn on_impressions(self) -> bool {
        !matches!(self, Dimension::Theme | Dimension::Reason)
    }

    pub fn parse(text: &str) -> Option<Dimension> {
        if let Some(key) = AttributeKey::from_dimension_name(text) {
            return Some(Dimension::Attribute(key));
        }
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

impl SegmentFilter {
    /// `dimension:value`, as a view's `segment=` and an alert rule write it; a refusal names
    /// `field`.
    pub fn parse(field: &str, text: &str) -> Result<SegmentFilter, FieldError> {
        let (dimension, value) = text
            .split_once(':')
            .ok_or_else(|| FieldError::new(field, "must be dimension:value"))?;
        let dimension = Dimension::parse(dimension).ok_or_else(|| unknown_dimension(field))?;
        if value.chars().count() > 512 {
            return Err(FieldError::new(field, "value is too long"));
        }
        // No stored value holds a control character (the parsers refuse them), and
        // PostgreSQL refuses a NUL outright: such a value is a bad request, not a miss.
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "value must not contain control characters",
            ));
        }
        // A theme is known by its name, lower case: anything else could match no answer.
        let value = match dimension {
            // Only answers that carried an attribute are counted under it.
            // The refusal names the view's field, where the value was typed.
            Dimension::Attribute(_) => crate::domain::AttributeValue::parse(field, value)?
                .as_str()
                .to_string(),
            Dimension::Theme if !value.is_empty() => crate::domain::ThemeName::parse(value)
                .map_err(|_| FieldError::new(field, "names no theme (letters, digits and - only)"))?
                .as_str()
                .to_string(),
            _ => value.to_string(),
        };
        Ok(SegmentFilter { dimension, value })
    }
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
            return Err(FieldError::new("from", "must not be after the To date"));
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
            view.segment = Some(SegmentFilter::parse("segment", &segment)?);
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
            view.tag = Some(String::from(
                Tag::parse(&tag).map_err(|e| FieldError::new("tag", e.reason))?,
            ));
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
        "must be one of country, device, browser, language, page, trigger, survey, theme, pages_viewed, time_on_site, had_error, reason, attr.<key>",
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

#[cfg(test)]
mod attribute_dimensions {
    use super::*;

    #[test]
    fn an_attribute_is_a_dimension_named_attr_key_and_labelled_by_its_key() {
        let d = Dimension::parse("attr.team_size").unwrap();
        assert_eq!(d.as_str(), "attr.team_size");
        assert_eq!(d.label(), "Team size");
        assert_eq!(serde_json::to_string(&d).unwrap(), r#""attr.team_size""#);
        assert_eq!(
            serde_json::from_str::<Dimension>(r#""attr.team_size""#).unwrap(),
            d
        );
        assert_eq!(
            serde_json::to_string(&Dimension::PagesViewed).unwrap(),
            r#""pages_viewed""#
        );
        for bad in ["attr.", "attr.Plan", "attr.account", "attr.a-b", "plan"] {
            assert_eq!(Dimension::parse(bad), None, "{bad}");
        }
        let refused = SegmentFilter::parse("segment", "attr.plan:").unwrap_err();
        assert_eq!(refused.field, "segment");
        assert_eq!(
            SegmentFilter::parse("segment", "attr.plan:Pro")
                .unwrap()
                .value,
            "Pro"
        );
    }
}
