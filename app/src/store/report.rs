//! What the dashboard, the report API and share links read: counts, segments, verbatims and
//! tags, always scoped by organisation.

use super::StoreResult;
use crate::domain::{ConsentChange, ConsentChoices};
use crate::nps::{Band, ScoreCounts};
use crate::report::{Dimension, Funnel, SegmentCounts, SegmentFilter, Tag, Verbatim};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Half-open `[from, to)` range of received times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl TimeRange {
    /// From 1970 to the year 10000: wide enough for any answer, narrow enough for every backend.
    pub fn all_time() -> TimeRange {
        TimeRange {
            from: DateTime::<Utc>::UNIX_EPOCH,
            to: DateTime::from_timestamp(253_402_300_800, 0).expect("year 10000 is representable"),
        }
    }
}

/// Which answers a dashboard figure counts, besides the site and the time range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerFilter {
    pub survey: Option<Uuid>,
    pub segment: Option<SegmentFilter>,
}

/// A page of answers for the verbatims list or an export, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct VerbatimQuery {
    pub filter: AnswerFilter,
    pub range: TimeRange,
    /// Words that must all occur in the comment.
    pub search: Option<String>,
    pub band: Option<Band>,
    pub tag: Option<Tag>,
    /// Only answers with a comment (the verbatims list); exports take every answer.
    pub comments_only: bool,
    /// Keyset paging: only answers older than this (received time, id).
    pub before: Option<PageEnd>,
    pub limit: u32,
}

/// Where a page of verbatims ends: the last answer shown, for keyset paging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageEnd {
    pub received_at: DateTime<Utc>,
    pub id: Uuid,
}

/// One account's answers in a range and in the range before (`ReportStore::account_counts`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountCounts {
    /// The account id's keyed hash (`tokens::identity_hash`).
    pub account_hash: String,
    pub current: ScoreCounts,
    pub previous: ScoreCounts,
}

/// A tag in use, with how many of the site's answers carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagCount {
    pub tag: String,
    pub answers: u64,
}

/// What a stored answer's consent was given under.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentOf {
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub notice_id: Uuid,
    /// The choices as they stand now: shown → made.
    pub choices: ConsentChoices,
    /// Every change made after the answer was stored, oldest first.
    pub changes: Vec<ConsentChange>,
}

impl ConsentOf {
    /// The choices as they were stored with the answer, before any change.
    pub fn choices_at_answer(&self) -> ConsentChoices {
        let mut at_answer: std::collections::BTreeMap<String, bool> = self
            .choices
            .iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        for change in self.changes.iter().rev() {
            match change.granted_before {
                Some(before) => at_answer.insert(change.choice.clone(), before),
                None => at_answer.remove(&change.choice),
            };
        }
        ConsentChoices::parse("choices", at_answer.iter().map(|(k, v)| (k.as_str(), *v)))
            .unwrap_or_default()
    }
}

/// One cell of impression context and how often the survey was shown and answered in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpressionCell {
    pub device: String,
    pub trigger: String,
    pub language: String,
    pub country: String,
    /// The pages-viewed bucket ("2-3"; `""`: not known).
    pub pages_viewed: String,
    pub page: String,
    pub shown: u64,
    pub answered: u64,
}

#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    async fn score_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<ScoreCounts>;
    /// How many surveys were shown, dismissed and answered, from the impression aggregates:
    /// the survey and segment filters apply as they do to answers.
    async fn impression_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        range: TimeRange,
    ) -> StoreResult<Funnel>;
    /// Shown and answered impressions per cell of context (device, trigger, language,
    /// country; '' when not known), from the raw impressions of `range`: the survey and
    /// segment filters apply as they do to answers.
    async fn impression_cells(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        range: TimeRange,
    ) -> StoreResult<Vec<ImpressionCell>>;
    /// Score counts between consecutive `boundaries` (one set per bucket), from the
    /// pre-aggregates plus the answers not counted into them yet: the cost grows with buckets
    /// and quarter hours, not with answers.
    async fn period_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        boundaries: &[DateTime<Utc>],
    ) -> StoreResult<Vec<ScoreCounts>>;
    /// Each account's answers (by its keyed hash) with the filter, in `current` and in
    /// `previous` (the range before it): the accounts table.
    async fn account_counts(
        &self,
        org: Uuid,
        site: Uuid,
        filter: &AnswerFilter,
        current: TimeRange,
        previous: TimeRange,
    ) -> StoreResult<Vec<AccountCounts>>;
    /// Score counts per value of one dimension, from the pre-aggregates plus the answers not
    /// counted into them yet.
    async fn segment_counts(
        &self,
        org: Uuid,
        site: Uuid,
        survey: Option<Uuid>,
        dimension: Dimension,
        range: TimeRange,
    ) -> StoreResult<Vec<SegmentCounts>>;
    async fn verbatims(
        &self,
        org: Uuid,
        site: Uuid,
        query: &VerbatimQuery,
    ) -> StoreResult<Vec<Verbatim>>;
    /// Adds (or removes) a tag; `false` if the organisation has no such answer.
    async fn set_tag(
        &self,
        org: Uuid,
        response: Uuid,
        tag: &Tag,
        present: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Tags on this site's answers with how many carry each, most used first.
    async fn site_tags(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<TagCount>>;
    /// What a stored answer's consent was given under. `None` if the organisation has no
    /// such answer.
    async fn consent_of(&self, org: Uuid, response: Uuid) -> StoreResult<Option<ConsentOf>>;
}
