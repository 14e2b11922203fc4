//! Keeping the score pre-aggregates in step with the answers. New answers are stored uncounted
//! (queued in `uncounted_answers` by a trigger) and counted later in bulk by
//! `Store::count_new_answers`; amendments and erasures of counted answers correct the counts in
//! their own transaction. Both backends fold changes into per-key deltas here. Reports add the
//! uncounted answers to the aggregates, read in the same snapshot, so the dashboard's counts and
//! the stored answers can never disagree.

use app::domain::{Attributes, ImpressionKind};
use app::nps::ScoreCounts;
use app::report::{Dimension, SegmentCounts};
use app::store::{AnswerFilter, Impression};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::HashMap;
use uuid::Uuid;

/// Quarter hours since 1970 (UTC): the unit the score aggregates are kept in.
pub(crate) fn quarter_hour(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis().div_euclid(900_000)
}

/// The spans aggregate rows are kept at, in quarter hours, finest first: a quarter hour, an
/// hour, a UTC day. Each item is counted once at each span.
pub(crate) const SPANS: [i16; 3] = [1, 4, 96];

/// A run of aggregate rows a range reads: the rows of `span` whose buckets are in `[from, to)`,
/// added to the sum (`sign` 1) or taken from it (−1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub span: i16,
    pub from: i64,
    pub to: i64,
    pub sign: i16,
}

impl Piece {
    /// How many aggregate rows (of one key) the piece reads.
    fn rows(&self) -> i64 {
        (self.to - self.from) / i64::from(self.span)
    }
}

/// The signed aggregate rows that sum to the quarter hours `[from, to)` exactly, as few as can
/// be: whole UTC days, and at each ragged end whichever is fewer of the hours (and quarter
/// hours) inside the range, or the whole day less the hours outside it. A Helsinki day
/// (22:00–22:00 UTC) is one UTC day, plus the two hours before it and less the two hours at
/// its end: 5 rows, where the hours alone were 24. Every item is counted at every span in the
/// transaction that counts it, so a difference of spans is exact.
pub(crate) fn pieces(from: i64, to: i64) -> Vec<Piece> {
    cover(from, to, &SPANS)
}

fn rows_of(pieces: &[Piece]) -> i64 {
    pieces.iter().map(Piece::rows).sum()
}

/// `[from, to)` at the spans given (finest first), the finest being one quarter hour.
fn cover(from: i64, to: i64, spans: &[i16]) -> Vec<Piece> {
    if from >= to {
        return vec![];
    }
    let Some((&span, finer)) = spans.split_last() else {
        return vec![];
    };
    let whole = |from, to| Piece {
        span,
        from,
        to,
        sign: 1,
    };
    if finer.is_empty() {
        return vec![whole(from, to)];
    }
    let s = i64::from(span);
    let (floor, ceil) = (
        |q: i64| q.div_euclid(s) * s,
        |q: i64| (q + s - 1).div_euclid(s) * s,
    );
    // `a` less `b`, or `a` and `b`: the finer cover of what lies between them, signed.
    let between = |a: i64, b: i64| -> Vec<Piece> {
        let (lo, hi, sign) = if a < b { (a, b, 1) } else { (b, a, -1) };
        cover(lo, hi, finer)
            .into_iter()
            .map(|p| Piece {
                sign: p.sign * sign,
                ..p
            })
            .collect()
    };
    let mut best = cover(from, to, finer);
    for lo in [ceil(from), floor(from)] {
        for hi in [floor(to), ceil(to)] {
            if lo >= hi {
                continue;
            }
            let mut candidate = between(from, lo);
            candidate.push(whole(lo, hi));
            candidate.extend(
                between(to, hi)
                    .into_iter()
                    .map(|p| Piece { sign: -p.sign, ..p }),
            );
            if rows_of(&candidate) < rows_of(&best) {
                best = candidate;
            }
        }
    }
    best
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
    /// The saved themes it is counted under: `,checkout,speed,` (`domain::stored_theme_list`).
    pub themes: Option<String>,
    /// The visit's journey (`domain::journey`), read at PostgreSQL's widths.
    pub pages_viewed: Option<i16>,
    pub seconds_on_site: Option<i32>,
    pub errors_seen: Option<i16>,
    /// The exit reason's key.
    pub reason: Option<String>,
    /// The attributes it carried, as stored (`domain::Attributes::stored`).
    pub attributes: Option<String>,
}

/// The segment value of a journey number in `dimension` (`""`: not known), for answers and
/// impressions alike. `None` for the other dimensions.
fn journey_value(
    dimension: Dimension,
    pages_viewed: Option<i64>,
    seconds_on_site: Option<i64>,
    errors_seen: Option<i64>,
) -> Option<String> {
    use app::domain::journey;
    let small = |n: i64| u16::try_from(n).unwrap_or(u16::MAX);
    let label = match dimension {
        Dimension::PagesViewed => pages_viewed.map(|n| journey::pages_label(small(n))),
        Dimension::TimeOnSite => {
            seconds_on_site.map(|n| journey::seconds_label(u32::try_from(n).unwrap_or(0)))
        }
        Dimension::HadError => errors_seen.map(|n| journey::errors_label(small(n))),
        _ => return None,
    };
    Some(label.unwrap_or_default().to_string())
}

impl AnswerKeys {
    /// Its values in `dimension`: one, but for themes (any number; `""` for none) and
    /// attributes (none when it did not carry the key).
    fn values(&self, dimension: Dimension) -> Vec<String> {
        if let Some(value) = journey_value(
            dimension,
            self.pages_viewed.map(i64::from),
            self.seconds_on_site.map(i64::from),
            self.errors_seen.map(i64::from),
        ) {
            return vec![value];
        }
        let value = match dimension {
            Dimension::Country => &self.country,
            Dimension::Device => &self.device,
            Dimension::Browser => &self.browser,
            Dimension::Language => &self.language,
            Dimension::Page => &self.page,
            Dimension::Trigger => &self.trigger,
            Dimension::Reason => &self.reason,
            Dimension::Survey => return vec![self.survey_id.to_string()],
            Dimension::Attribute(key) => {
                return Attributes::from_stored(self.attributes.as_deref())
                    .get(key)
                    .map(str::to_owned)
                    .into_iter()
                    .collect()
            }
            Dimension::PagesViewed | Dimension::TimeOnSite | Dimension::HadError => {
                return vec![String::new()]
            }
            Dimension::Theme => {
                let names: Vec<String> = app::domain::theme_list_names(self.themes.as_deref())
                    .map(str::to_owned)
                    .collect();
                return if names.is_empty() {
                    vec![String::new()]
                } else {
                    names
                };
            }
        };
        vec![value.clone().unwrap_or_default()]
    }
}

/// An answer to tag with the saved themes its comment holds: read as `id, comment,
/// {ANSWER_KEYS}`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct ToTag {
    pub id: Uuid,
    pub comment: Option<String>,
    #[sqlx(flatten)]
    pub keys: AnswerKeys,
}

/// The `responses` columns an answer is counted under (`AnswerKeys`).
pub(crate) const ANSWER_KEYS: &str =
    "org_id, site_id, survey_id, received_at, score, country, device_class,
     browser_family, language, page_path, trigger, themes, pages_viewed, seconds_on_site,
     errors_seen, reason, attributes";

/// Whether the browser that sent answer `$1` has left the improvement program of its site
/// (then nothing of it is taken, not even the answer's later parts).
pub(crate) const AUTHOR_OPTED_OUT: &str = "SELECT EXISTS (SELECT 1 FROM responses r JOIN opt_outs o
                      ON o.site_id = r.site_id AND o.respondent_id = r.respondent_id
                    WHERE r.id = $1 AND o.opted_out)";

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
        Dimension::Theme => "themes",
        Dimension::PagesViewed => "pages_viewed",
        Dimension::TimeOnSite => "seconds_on_site",
        Dimension::HadError => "errors_seen",
        Dimension::Reason => "reason",
        Dimension::Attribute(_) => "attributes",
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
    /// A dimension's name: most are static; an attribute's is its own (`attr.plan`).
    pub dimension: Cow<'static, str>,
    pub value: String,
    pub span: i16,
    pub bucket: i64,
    pub survey_id: Uuid,
    pub org_id: Uuid,
}

/// The aggregate rows one item is counted under: overall (dimension `''`), once per value
/// `values_of` gives it in each dimension (one, but none or several for themes), and once per
/// attribute it carried, each at every span.
fn counted_under(
    site_id: Uuid,
    survey_id: Uuid,
    org_id: Uuid,
    at: DateTime<Utc>,
    values_of: impl Fn(Dimension) -> Vec<String>,
    attributes: &Attributes,
) -> impl Iterator<Item = AggregateKey> {
    let quarter = quarter_hour(at);
    let attributes: Vec<(Cow<'static, str>, String)> = attributes
        .iter()
        .map(|(key, value)| {
            (
                Cow::Owned(key.dimension_name().to_owned()),
                value.to_owned(),
            )
        })
        .collect();
    std::iter::once((Cow::Borrowed(""), String::new()))
        .chain(Dimension::ALL.iter().flat_map(move |d| {
            values_of(*d)
                .into_iter()
                .map(move |value| (Cow::Borrowed(d.as_str()), value))
        }))
        .chain(attributes)
        .flat_map(move |(dimension, value)| {
            SPANS.map(|span| AggregateKey {
                site_id,
                dimension: dimension.clone(),
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
            |d| answer.values(d),
            &Attributes::from_stored(answer.attributes.as_deref()),
        )
        .map(move |key| (key, usize::from(answer.score), sign))
    }))
}

/// What a stored impression is counted under, for `dimension`: its one value, or none for a
/// dimension impressions do not carry (themes, read from comments; reasons, chosen after).
fn impression_values(event: &Impression, dimension: Dimension) -> Vec<String> {
    let c = &event.context;
    if let Some(value) = journey_value(
        dimension,
        c.pages_viewed.map(i64::from),
        c.seconds_on_site.map(i64::from),
        c.errors_seen.map(i64::from),
    ) {
        return vec![value];
    }
    let value = match dimension {
        Dimension::Theme | Dimension::Reason => return vec![],
        Dimension::Attribute(key) => {
            return c
                .attributes
                .get(key)
                .map(str::to_owned)
                .into_iter()
                .collect()
        }
        Dimension::PagesViewed | Dimension::TimeOnSite | Dimension::HadError => None,
        Dimension::Country => c.country.as_ref().map(|v| v.as_str().to_owned()),
        Dimension::Device => c.device.map(|v| v.as_str().to_owned()),
        Dimension::Browser => c.browser.map(|v| v.as_str().to_owned()),
        Dimension::Language => event.language.clone(),
        Dimension::Page => c.page_path.as_ref().map(|v| v.as_str().to_owned()),
        Dimension::Trigger => c.trigger.map(|v| v.as_str().to_owned()),
        Dimension::Survey => Some(event.survey_id.to_string()),
    };
    vec![value.unwrap_or_default()]
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
            |d| impression_values(event, d),
            &event.context.attributes,
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

/// `SUM(sign × s0), …, SUM(sign × s10)`: each aggregate row counted with its piece's sign
/// (`p.column5`, see `pieces`).
pub(crate) fn sum_columns(prefix: &str) -> String {
    (0..11)
        .map(|i| format!("SUM(p.column5 * {prefix}s{i}) AS s{i}"))
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
            .is_none_or(|s| answer.values(s.dimension).contains(&s.value));
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
        for value in answer.values(dimension) {
            by_value.entry(value).or_default().0[usize::from(answer.score)] += 1;
        }
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

    fn piece(span: i16, from: i64, to: i64, sign: i16) -> Piece {
        Piece {
            span,
            from,
            to,
            sign,
        }
    }

    #[test]
    fn a_helsinki_day_is_a_utc_day_plus_two_hours_less_two_hours() {
        // 22:00 UTC on day 20000 to 22:00 UTC the next day: the 2 hours before midnight, the
        // UTC day after it, less its last 2 hours. 5 rows, where the hours alone are 24.
        let (d0, d1, d2, d3) = (20_000 * DAY, 20_001 * DAY, 20_002 * DAY, 20_003 * DAY);
        let from = d0 + 88;
        assert_eq!(
            pieces(from, from + DAY),
            vec![
                piece(4, from, d1, 1),
                piece(96, d1, d2, 1),
                piece(4, d1 + 88, d2, -1)
            ]
        );
        // Two Helsinki days: 2 hours, two UTC days, less 2 hours (6 rows, not 2 + 1 + 22).
        assert_eq!(
            pieces(from, d2 + 88),
            vec![
                piece(4, from, d1, 1),
                piece(96, d1, d3, 1),
                piece(4, d2 + 88, d3, -1)
            ]
        );
        // Whole UTC days are read as they are, and a few hours as hours.
        assert_eq!(pieces(d1, d3), vec![piece(96, d1, d3, 1)]);
        assert_eq!(pieces(d1 + 4, d1 + 12), vec![piece(4, d1 + 4, d1 + 12, 1)]);
    }

    #[test]
    fn a_quarter_hour_offset_reads_quarter_hours_only_at_the_ends() {
        // Kathmandu (+5:45): a day starts at 18:15 UTC. 27 rows unsigned (3 quarters, 23
        // hours, 1 quarter); signed, a UTC day with 6 hours and a quarter each side.
        let from = 20_000 * DAY + 73;
        let day = pieces(from, from + DAY);
        assert_eq!(rows_of(&day), 15, "{day:?}");
        assert_eq!(pieces(from, from), vec![]);
        assert_eq!(pieces(from, from + 1), vec![piece(1, from, from + 1, 1)]);
    }

    /// How many times the pieces count an item of quarter hour `q`: at each span it is in the
    /// row of the bucket holding `q`, counted with the sign of every piece holding that bucket.
    fn times_counted(pieces: &[Piece], q: i64) -> i64 {
        pieces
            .iter()
            .filter(|p| {
                let bucket = q.div_euclid(i64::from(p.span)) * i64::from(p.span);
                (p.from..p.to).contains(&bucket)
            })
            .map(|p| i64::from(p.sign))
            .sum()
    }

    #[test]
    fn an_item_is_counted_once_at_each_span_in_the_rows_that_hold_it() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let keys: Vec<_> = counted_under(
            Uuid::nil(),
            Uuid::nil(),
            Uuid::nil(),
            at,
            |_| vec!["x".into()],
            &Attributes::default(),
        )
        .filter(|k| k.dimension.is_empty())
        .collect();
        let q = quarter_hour(at);
        assert_eq!(
            keys.iter().map(|k| (k.span, k.bucket)).collect::<Vec<_>>(),
            vec![(1, q), (4, q - q % 4), (96, q - q % 96)]
        );
        assert_eq!(
            counted_under(
                Uuid::nil(),
                Uuid::nil(),
                Uuid::nil(),
                at,
                |_| vec!["x".into()],
                &Attributes::default()
            )
            .count(),
            (1 + Dimension::ALL.len()) * SPANS.len()
        );
        // Each attribute carried adds its own rows, under `attr.<key>`.
        let attributes =
            Attributes::parse("attributes", [("plan", "pro"), ("tier", "gold")]).unwrap();
        let under: Vec<_> = counted_under(
            Uuid::nil(),
            Uuid::nil(),
            Uuid::nil(),
            at,
            |_| vec![],
            &attributes,
        )
        .map(|k| (k.dimension.into_owned(), k.value))
        .collect();
        assert_eq!(under.len(), 3 * SPANS.len());
        assert!(under.contains(&("attr.plan".into(), "pro".into())));
        assert!(under.contains(&("attr.tier".into(), "gold".into())));
    }

    proptest! {
        /// The pieces are aligned to their spans and read few rows: whole days, and at each
        /// end at most 12 hours, 2 quarter hours and the day and hour they are taken from.
        #[test]
        fn pieces_are_aligned_and_read_few_rows(from in 0i64..3_000_000, len in 0i64..100_000) {
            let got = pieces(from, from + len);
            for p in &got {
                let s = i64::from(p.span);
                prop_assert!(p.from < p.to);
                prop_assert_eq!(p.from % s, 0);
                prop_assert_eq!(p.to % s, 0);
                prop_assert!(p.sign == 1 || p.sign == -1);
            }
            let rows = rows_of(&got);
            prop_assert!(rows <= len / DAY + 2 + 2 * (12 + 2 + 1), "{} rows for {}", rows, len);
        }

        /// An item inside the range is counted exactly once by the rows a range reads, and an
        /// item outside it not at all (what one piece adds, another takes away).
        #[test]
        fn a_range_reads_each_item_once(from in 0i64..3_000_000, len in 0i64..10_000, at in -300i64..10_300) {
            let q = from + at;
            let inside = (from..from + len).contains(&q);
            prop_assert_eq!(times_counted(&pieces(from, from + len), q), i64::from(inside));
        }

        /// The same over every quarter hour of short ranges and the days around them.
        #[test]
        fn short_ranges_count_every_quarter_hour_exactly(from in 0i64..3_000_000, len in 0i64..(3 * DAY)) {
            let got = pieces(from, from + len);
            for q in from - DAY..from + len + DAY {
                let inside = (from..from + len).contains(&q);
                prop_assert_eq!(times_counted(&got, q), i64::from(inside), "quarter {}", q);
            }
        }
    }
}
