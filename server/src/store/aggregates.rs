//! Keeping the score pre-aggregates in step with the answers. New answers are stored uncounted
//! (queued in `uncounted_answers` by a trigger) and counted later in bulk by
//! `Store::count_new_answers`; amendments and erasures of counted answers correct the counts in
//! their own transaction. Both backends fold changes into per-key deltas here. Reports add the
//! uncounted answers to the aggregates, read in the same snapshot, so the dashboard's counts and
//! the stored answers can never disagree.

use app::domain::ImpressionKind;
use app::nps::ScoreCounts;
use app::report::{Dimension, SegmentCounts};
use app::store::{AnswerFilter, Impression};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Quarter hours since 1970 (UTC): the unit the score aggregates are kept in.
pub(crate) fn quarter_hour(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis().div_euclid(900_000)
}

/// The spans aggregate rows are kept at, in quarter hours, finest first: a quarter hour, an
/// hour, a UTC day. Each item is counted once at each span.
pub(crate) const SPANS: [i16; 3] = [1, 4, 96];

/// A run of aggregate rows a range reads: the rows of `span` whose buckets are in `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub span: i16,
    pub from: i64,
    pub to: i64,
}

/// The fewest aggregate rows that cover the quarter hours `[from, to)` exactly: whole UTC days,
/// whole hours at the days' ragged ends, quarter hours only at the hours' ragged ends (a zone
/// whose offset is not whole hours). In order, disjoint, each aligned to its span.
pub(crate) fn pieces(from: i64, to: i64) -> Vec<Piece> {
    fn split(from: i64, to: i64, spans: &[i16], out: &mut Vec<Piece>) {
        let Some((&span, finer)) = spans.split_last() else {
            return;
        };
        if from >= to {
            return;
        }
        let s = i64::from(span);
        let (lo, hi) = ((from + s - 1).div_euclid(s) * s, to.div_euclid(s) * s);
        if lo >= hi {
            return split(from, to, finer, out);
        }
        split(from, lo, finer, out);
        out.push(Piece {
            span,
            from: lo,
            to: hi,
        });
        split(hi, to, finer, out);
    }
    let mut out = Vec::new();
    split(from, to, &SPANS, &mut out);
    out
}

/// What an answer is counted under, read from the `ANSWER_KEYS` columns.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct AnswerKeys {
    pub org_id: Uuid,
    pub site_id: Uuid,
    pub survey_id: Uuid,
    #[sqlx(try_from = "crate::store::sql::At")]
    pub received_at: DateTime<Utc>,
    #[sqlx(try_from = "i16")]
    pub score: u8,
    pub country: Option<String>,
    #[sqlx(rename = "device_class")]
    pub device: Option<String>,
    #[sqlx(rename = "browser_family")]
    pub browser: Option<String>,
    pub language: Option<String>,
    #[sqlx(rename = "page_path")]
    pub page: Option<String>,
    pub trigger: Option<String>,
}

impl AnswerKeys {
    fn value(&self, dimension: Dimension) -> String {
        let value = match dimension {
            Dimension::Country => &self.country,
            Dimension::Device => &self.device,
            Dimension::Browser => &self.browser,
            Dimension::Language => &self.language,
            Dimension::Page => &self.page,
            Dimension::Trigger => &self.trigger,
            Dimension::Survey => return self.survey_id.to_string(),
        };
        value.clone().unwrap_or_default()
    }
}

/// The `responses` columns an answer is counted under (`AnswerKeys`).
pub(crate) const ANSWER_KEYS: &str =
    "org_id, site_id, survey_id, received_at, score, country, device_class,
     browser_family, language, page_path, trigger";

/// The column a dimension is stored in, for queries over raw answers.
pub(crate) fn column(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Country => "country",
        Dimension::Device => "device_class",
        Dimension::Browser => "browser_family",
        Dimension::Language => "language",
        Dimension::Page => "page_path",
        Dimension::Trigger => "trigger",
        Dimension::Survey => "survey_id",
    }
}

/// The table the aggregate queries join to read periods: a row (period, piece) for each piece
/// of each `[from, to)` quarter-hour pair, the period being its index in `periods`.
pub(crate) fn piece_rows(periods: &[[i64; 2]]) -> Vec<(i32, Piece)> {
    (0..)
        .zip(periods)
        .flat_map(|(period, [from, to])| pieces(*from, *to).into_iter().map(move |p| (period, p)))
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AggregateKey {
    pub site_id: Uuid,
    pub dimension: &'static str,
    pub value: String,
    pub span: i16,
    pub bucket: i64,
    pub survey_id: Uuid,
    pub org_id: Uuid,
}

/// The aggregate rows one item is counted under: overall (dimension `''`) and once per
/// dimension, with the value `value_of` gives it, each at every span.
fn counted_under(
    site_id: Uuid,
    survey_id: Uuid,
    org_id: Uuid,
    at: DateTime<Utc>,
    value_of: impl Fn(Dimension) -> String,
) -> impl Iterator<Item = AggregateKey> {
    let quarter = quarter_hour(at);
    std::iter::once(("", String::new()))
        .chain(
            Dimension::ALL
                .iter()
                .map(move |d| (d.as_str(), value_of(*d))),
        )
        .flat_map(move |(dimension, value)| {
            SPANS.map(|span| AggregateKey {
                site_id,
                dimension,
                value: value.clone(),
                span,
                bucket: quarter.div_euclid(i64::from(span)) * i64::from(span),
                survey_id,
                org_id,
            })
        })
}

/// Sums per-row changes, drops the rows that net to nothing, and sorts the rest: concurrent
/// upserts of overlapping rows then take their row locks in the same order and cannot deadlock
/// (several app servers on one PostgreSQL).
fn net<const N: usize>(
    changes: impl Iterator<Item = (AggregateKey, usize, i64)>,
) -> Vec<(AggregateKey, [i64; N])> {
    let mut rows: HashMap<AggregateKey, [i64; N]> = HashMap::new();
    for (key, column, sign) in changes {
        rows.entry(key).or_insert([0; N])[column] += sign;
    }
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|(_, counts)| counts.iter().any(|c| *c != 0))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// Net change per score aggregate row: `+1` per answer added, `-1` per answer taken away.
pub(crate) fn deltas<'a>(
    changes: impl IntoIterator<Item = (&'a AnswerKeys, i64)>,
) -> Vec<(AggregateKey, [i64; 11])> {
    net(changes.into_iter().flat_map(|(answer, sign)| {
        counted_under(
            answer.site_id,
            answer.survey_id,
            answer.org_id,
            answer.received_at,
            |d| answer.value(d),
        )
        .map(move |key| (key, usize::from(answer.score), sign))
    }))
}

/// What a stored impression is counted under, for `dimension`.
fn impression_value(event: &Impression, dimension: Dimension) -> String {
    let c = &event.context;
    match dimension {
        Dimension::Country => c.country.as_ref().map(|v| v.as_str().to_owned()),
        Dimension::Device => c.device.map(|v| v.as_str().to_owned()),
        Dimension::Browser => c.browser.map(|v| v.as_str().to_owned()),
        Dimension::Language => event.language.clone(),
        Dimension::Page => c.page_path.as_ref().map(|v| v.as_str().to_owned()),
        Dimension::Trigger => c.trigger.map(|v| v.as_str().to_owned()),
        Dimension::Survey => Some(event.survey_id.to_string()),
    }
    .unwrap_or_default()
}

/// Impression aggregate rows to add newly stored events to: shown, dismissed, answered.
pub(crate) fn impression_deltas<'a>(
    stored: impl IntoIterator<Item = &'a Impression>,
) -> Vec<(AggregateKey, [i64; 3])> {
    net(stored.into_iter().flat_map(|event| {
        let column = match event.kind {
            ImpressionKind::Shown => 0,
            ImpressionKind::Dismissed => 1,
            ImpressionKind::Answered => 2,
        };
        counted_under(
            event.site_id,
            event.survey_id,
            event.org_id,
            event.at,
            |d| impression_value(event, d),
        )
        .map(move |key| (key, column, 1))
    }))
}

/// Rows per upsert statement: 18 parameters each stays far below both backends' limits.
pub(crate) const UPSERT_CHUNK: usize = 500;

/// An aggregate table: its name and the count columns after its key.
pub(crate) struct Counted<const N: usize> {
    pub table: &'static str,
    pub columns: [&'static str; N],
}

pub(crate) const SCORES: Counted<11> = Counted {
    table: "response_aggregates",
    columns: [
        "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
    ],
};

pub(crate) const EVENTS: Counted<3> = Counted {
    table: "impression_aggregates",
    columns: ["shown", "dismissed", "answered"],
};

impl<const N: usize> Counted<N> {
    /// `s0 = response_aggregates.s0 + excluded.s0, …`: the same in SQLite and PostgreSQL.
    pub(crate) fn add_excluded(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}", table = self.table))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `SUM(s0), …, SUM(s10)`.
pub(crate) fn sum_columns(prefix: &str) -> String {
    (0..11)
        .map(|i| format!("SUM({prefix}s{i}) AS s{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Eleven summed columns → counts (a negative sum would be a bug; it is clamped and logged).
pub(crate) fn counts_from_sums(sums: [i64; 11]) -> app::nps::ScoreCounts {
    if sums.iter().any(|s| *s < 0) {
        tracing::error!(?sums, "negative aggregate counts");
    }
    app::nps::ScoreCounts(sums.map(|s| s.max(0) as u64))
}

/// Adds answers not counted into the aggregates yet to `period_counts`' result: `buckets` are
/// the same `[from, to)` quarter-hour pairs the aggregate query used.
pub(crate) fn add_uncounted_to_periods(
    out: &mut [ScoreCounts],
    uncounted: &[AnswerKeys],
    filter: &AnswerFilter,
    buckets: &[[i64; 2]],
) {
    for answer in uncounted {
        let in_survey = filter.survey.is_none_or(|s| s == answer.survey_id);
        let in_segment = filter
            .segment
            .as_ref()
            .is_none_or(|s| answer.value(s.dimension) == s.value);
        if !(in_survey && in_segment) {
            continue;
        }
        let bucket = quarter_hour(answer.received_at);
        for (slot, [from, to]) in out.iter_mut().zip(buckets) {
            if (*from..*to).contains(&bucket) {
                slot.0[usize::from(answer.score)] += 1;
            }
        }
    }
}

/// Adds answers not counted into the aggregates yet to `segment_counts`' result, over the
/// quarter hours `[from, to)`.
pub(crate) fn add_uncounted_to_segments(
    segments: Vec<SegmentCounts>,
    uncounted: &[AnswerKeys],
    survey: Option<uuid::Uuid>,
    dimension: Dimension,
    [from, to]: [i64; 2],
) -> Vec<SegmentCounts> {
    let mut by_value: std::collections::BTreeMap<String, ScoreCounts> =
        segments.into_iter().map(|s| (s.value, s.counts)).collect();
    for answer in uncounted.iter().filter(|a| {
        survey.is_none_or(|s| s == a.survey_id) && (from..to).contains(&quarter_hour(a.received_at))
    }) {
        by_value.entry(answer.value(dimension)).or_default().0[usize::from(answer.score)] += 1;
    }
    by_value
        .into_iter()
        .map(|(value, counts)| SegmentCounts { value, counts })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 96;

    #[test]
    fn a_year_of_helsinki_days_reads_hours_and_days() {
        // 22:00 UTC on day 20000 to 22:00 UTC two days later: 2 hours, a day, 22 hours.
        let from = 20_000 * DAY + 88;
        let to = 20_002 * DAY + 88;
        assert_eq!(
            pieces(from, to),
            vec![
                Piece {
                    span: 4,
                    from,
                    to: 20_001 * DAY
                },
                Piece {
                    span: 96,
                    from: 20_001 * DAY,
                    to: 20_002 * DAY
                },
                Piece {
                    span: 4,
                    from: 20_002 * DAY,
                    to
                },
            ]
        );
        // One Helsinki day holds no whole UTC day: 24 hours.
        assert_eq!(
            pieces(from, from + DAY),
            vec![Piece {
                span: 4,
                from,
                to: from + DAY
            }]
        );
    }

    #[test]
    fn a_quarter_hour_offset_reads_quarter_hours_only_at_the_ends() {
        // Kathmandu (+5:45): a day starts at 18:15 UTC.
        let from = 20_000 * DAY + 73;
        assert_eq!(
            pieces(from, from + DAY),
            vec![
                Piece {
                    span: 1,
                    from,
                    to: from + 3
                },
                Piece {
                    span: 4,
                    from: from + 3,
                    to: 20_001 * DAY + 72
                },
                Piece {
                    span: 1,
                    from: 20_001 * DAY + 72,
                    to: from + DAY
                },
            ]
        );
        assert_eq!(pieces(from, from), vec![]);
        assert_eq!(
            pieces(from, from + 1),
            vec![Piece {
                span: 1,
                from,
                to: from + 1
            }]
        );
    }

    #[test]
    fn an_item_is_counted_once_at_each_span_in_the_rows_that_hold_it() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let keys: Vec<_> = counted_under(Uuid::nil(), Uuid::nil(), Uuid::nil(), at, |_| "x".into())
            .filter(|k| k.dimension.is_empty())
            .collect();
        let q = quarter_hour(at);
        assert_eq!(
            keys.iter().map(|k| (k.span, k.bucket)).collect::<Vec<_>>(),
            vec![(1, q), (4, q - q % 4), (96, q - q % 96)]
        );
        assert_eq!(
            counted_under(Uuid::nil(), Uuid::nil(), Uuid::nil(), at, |_| "x".into()).count(),
            (1 + Dimension::ALL.len()) * SPANS.len()
        );
    }

    proptest! {
        /// The pieces cover the range exactly, in order, each aligned to its span, and read few
        /// rows: whole days, then at most 23 hours and 3 quarter hours at each end.
        #[test]
        fn pieces_cover_the_range_exactly_with_few_rows(from in 0i64..3_000_000, len in 0i64..100_000) {
            let to = from + len;
            let got = pieces(from, to);
            let mut at = from;
            let mut rows = 0;
            for p in &got {
                let s = i64::from(p.span);
                prop_assert_eq!(p.from, at);
                prop_assert!(p.from < p.to);
                prop_assert_eq!(p.from % s, 0);
                prop_assert_eq!(p.to % s, 0);
                rows += (p.to - p.from) / s;
                at = p.to;
            }
            prop_assert_eq!(at, to);
            prop_assert!(rows <= len / DAY + 2 * (23 + 3) + 1, "{} rows for {}", rows, len);
        }

        /// Any item counted under its keys falls inside exactly one piece of any range holding
        /// its quarter hour: the rows a range reads count it once.
        #[test]
        fn a_range_reads_each_item_once(from in 0i64..3_000_000, len in 1i64..10_000, at in 0i64..10_000) {
            let quarter = from + at % len;
            let hits = pieces(from, from + len)
                .into_iter()
                .filter(|p| {
                    let bucket = quarter.div_euclid(i64::from(p.span)) * i64::from(p.span);
                    (p.from..p.to).contains(&bucket)
                })
                .count();
            prop_assert_eq!(hits, 1);
        }
    }
}
