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

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AggregateKey {
    pub site_id: Uuid,
    pub dimension: &'static str,
    pub value: String,
    pub bucket: i64,
    pub survey_id: Uuid,
    pub org_id: Uuid,
}

/// The aggregate rows one item is counted under: overall (dimension `''`) and once per
/// dimension, with the value `value_of` gives it.
fn counted_under(
    site_id: Uuid,
    survey_id: Uuid,
    org_id: Uuid,
    at: DateTime<Utc>,
    value_of: impl Fn(Dimension) -> String,
) -> impl Iterator<Item = AggregateKey> {
    let bucket = quarter_hour(at);
    std::iter::once(("", String::new()))
        .chain(
            Dimension::ALL
                .iter()
                .map(move |d| (d.as_str(), value_of(*d))),
        )
        .map(move |(dimension, value)| AggregateKey {
            site_id,
            dimension,
            value,
            bucket,
            survey_id,
            org_id,
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

/// Rows per upsert statement: 17 parameters each stays far below both backends' limits.
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
