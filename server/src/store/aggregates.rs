//! Keeping the score pre-aggregates in step with the answers. Both backends fold a write into
//! per-key deltas here and upsert them in the transaction of the write itself, so the dashboard's
//! counts and the stored answers can never disagree.

use app::report::Dimension;
use app::store::{quarter_hour, StoredResponse};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// What an answer is counted under.
#[derive(Clone, Debug)]
pub(super) struct AnswerKeys {
    pub org_id: Uuid,
    pub site_id: Uuid,
    pub survey_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub score: u8,
    pub country: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub language: Option<String>,
    pub page: Option<String>,
    pub trigger: Option<String>,
}

impl AnswerKeys {
    pub fn of(r: &StoredResponse) -> AnswerKeys {
        AnswerKeys {
            org_id: r.org_id,
            site_id: r.site_id,
            survey_id: r.survey_id,
            received_at: r.received_at,
            score: r.score.value(),
            country: r.context.country.as_ref().map(|c| c.as_str().to_owned()),
            device: r.context.device.map(|d| d.as_str().to_owned()),
            browser: r.context.browser.map(|b| b.as_str().to_owned()),
            language: r.language.clone(),
            page: r.context.page_path.as_ref().map(|p| p.as_str().to_owned()),
            trigger: r.context.trigger.map(|t| t.as_str().to_owned()),
        }
    }

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

/// The column a dimension is stored in, for queries over raw answers.
pub(super) fn column(dimension: Dimension) -> &'static str {
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
pub(super) struct AggregateKey {
    pub site_id: Uuid,
    pub dimension: &'static str,
    pub value: String,
    pub bucket: i64,
    pub survey_id: Uuid,
    pub org_id: Uuid,
}

/// Net change per aggregate row: `+1` per answer added, `-1` per answer taken away.
pub(super) fn deltas<'a>(
    changes: impl IntoIterator<Item = (&'a AnswerKeys, i64)>,
) -> Vec<(AggregateKey, [i64; 11])> {
    let mut rows: HashMap<AggregateKey, [i64; 11]> = HashMap::new();
    for (answer, sign) in changes {
        let bucket = quarter_hour(answer.received_at);
        let keys = std::iter::once(("", String::new())).chain(
            Dimension::ALL
                .iter()
                .map(|d| (d.as_str(), answer.value(*d))),
        );
        for (dimension, value) in keys {
            let key = AggregateKey {
                site_id: answer.site_id,
                dimension,
                value,
                bucket,
                survey_id: answer.survey_id,
                org_id: answer.org_id,
            };
            rows.entry(key).or_default()[usize::from(answer.score)] += sign;
        }
    }
    rows.retain(|_, counts| counts.iter().any(|c| *c != 0));
    // One order for every writer: concurrent upserts of overlapping rows then take their row
    // locks in the same order and cannot deadlock (several app servers on one PostgreSQL).
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// Rows per upsert statement: 17 parameters each stays far below both backends' limits.
pub(super) const UPSERT_CHUNK: usize = 500;

/// `s0 = s0 + excluded.s0, …`: the same in SQLite and PostgreSQL.
pub(super) fn add_excluded() -> String {
    (0..11)
        .map(|i| format!("s{i} = response_aggregates.s{i} + excluded.s{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SUM(s0), …, SUM(s10)`.
pub(super) fn sum_columns(prefix: &str) -> String {
    (0..11)
        .map(|i| format!("SUM({prefix}s{i})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Eleven summed columns → counts (a negative sum would be a bug; it is clamped and logged).
pub(super) fn counts_from_sums(sums: [i64; 11]) -> app::nps::ScoreCounts {
    if sums.iter().any(|s| *s < 0) {
        tracing::error!(?sums, "negative aggregate counts");
    }
    app::nps::ScoreCounts(sums.map(|s| s.max(0) as u64))
}
