//! Turning a view's dates, zone and granularity into UTC instants (server only: it needs the
//! time zone database). Boundaries are local midnights, so a "day" is the viewer's day, with
//! daylight-saving days 23 or 25 hours long.

use super::{Granularity, MAX_BUCKETS};
use crate::domain::FieldError;
use crate::store::TimeRange;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

pub fn zone(name: &str) -> Result<Tz, FieldError> {
    name.parse::<Tz>()
        .map_err(|_| FieldError::new("tz", "is not a known time zone"))
}

/// The instant a local day begins. Where midnight does not exist (a daylight-saving jump at
/// 00:00), the day begins at the first local time that does; where it exists twice, the first.
pub fn start_of_day(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut local = day.and_hms_opt(0, 0, 0).expect("midnight is a valid time");
    for _ in 0..16 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(15);
    }
    // No zone skips four hours; fall back to reading the wall time as UTC.
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// `[start of from, start of the day after to)` in the zone.
pub fn range(tz: Tz, from: NaiveDate, to: NaiveDate) -> TimeRange {
    TimeRange {
        from: start_of_day(tz, from),
        to: start_of_day(tz, to + Duration::days(1)),
    }
}

/// The buckets of a range: labels with their first day, and `labels + 1` boundaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Periods {
    pub labels: Vec<(String, NaiveDate)>,
    pub boundaries: Vec<DateTime<Utc>>,
}

pub fn periods(
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> Result<Periods, FieldError> {
    let end = to + Duration::days(1);
    let mut labels = Vec::new();
    let mut boundaries = Vec::new();
    let mut start = from;
    while start < end {
        if labels.len() == MAX_BUCKETS {
            return Err(FieldError::new(
                "bucket",
                format!(
                    "more than {MAX_BUCKETS} buckets: choose a wider bucket or a shorter range"
                ),
            ));
        }
        let next = match granularity {
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => {
                start + Duration::days(7 - i64::from(start.weekday().num_days_from_monday()))
            }
            Granularity::Month => {
                let (y, m) = (start.year(), start.month());
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                NaiveDate::from_ymd_opt(y, m, 1).expect("the first of a month exists")
            }
        };
        let label = match granularity {
            Granularity::Day => start.format("%Y-%m-%d").to_string(),
            Granularity::Week => start.format("%G-W%V").to_string(),
            Granularity::Month => start.format("%Y-%m").to_string(),
        };
        labels.push((label, start));
        boundaries.push(start_of_day(tz, start));
        start = next.min(end);
    }
    boundaries.push(start_of_day(tz, end));
    Ok(Periods { labels, boundaries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_follow_daylight_saving() {
        let helsinki = zone("Europe/Helsinki").unwrap();
        // Clocks went forward on 2026-03-29: that day is 23 hours long.
        let p = periods(
            helsinki,
            day("2026-03-28"),
            day("2026-03-30"),
            Granularity::Day,
        )
        .unwrap();
        let hours: Vec<i64> = p
            .boundaries
            .windows(2)
            .map(|w| (w[1] - w[0]).num_hours())
            .collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(p.boundaries[0].to_rfc3339(), "2026-03-27T22:00:00+00:00");
        assert_eq!(p.labels[1].0, "2026-03-29");
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let utc = zone("UTC").unwrap();
        // 2026-11-26 is a Thursday.
        let w = periods(utc, day("2026-11-26"), day("2026-12-08"), Granularity::Week).unwrap();
        let starts: Vec<NaiveDate> = w.labels.iter().map(|l| l.1).collect();
        assert_eq!(
            starts,
            [day("2026-11-26"), day("2026-11-30"), day("2026-12-07")]
        );
        assert_eq!(w.labels[1].0, "2026-W49");
        let m = periods(
            utc,
            day("2026-01-15"),
            day("2026-03-02"),
            Granularity::Month,
        )
        .unwrap();
        let labels: Vec<&str> = m.labels.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(
            m.boundaries.last().unwrap().to_rfc3339(),
            "2026-03-03T00:00:00+00:00"
        );
    }

    #[test]
    fn half_hour_zones_and_refusals() {
        let kolkata = zone("Asia/Kolkata").unwrap();
        assert_eq!(
            start_of_day(kolkata, day("2026-06-01")).to_rfc3339(),
            "2026-05-31T18:30:00+00:00"
        );
        assert!(zone("Mars/Olympus_Mons").is_err());
        let too_many = periods(
            kolkata,
            day("2020-01-01"),
            day("2026-01-01"),
            Granularity::Day,
        );
        assert_eq!(too_many.unwrap_err().field, "bucket");
    }
}
