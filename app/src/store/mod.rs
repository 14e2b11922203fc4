//! The storage trait the server functions and HTTP handlers call through. The server crate
//! implements it once per backend (SQLite, PostgreSQL) and provides it as context, so nothing in
//! `app` names a database. Every read of tenant data takes the organisation first: scoping is
//! the store's job, not the caller's memory.

pub use crate::domain::{
    ApiTokenRecord, DeliveryRecord, InvitationRecord, MemberRecord, ShareLinkRecord, WebhookRecord,
};
use crate::domain::{
    ConsentChange, ConsentChoices, Email, ImpressionKind, ResponseAmendment, Role, SiteKey,
    SurveySettings, Trigger, UsageContext,
};
use crate::nps::{Band, Score, ScoreCounts};
use crate::report::{Dimension, SegmentCounts, SegmentFilter, Tag, Verbatim};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

pub type SharedStore = Arc<dyn Store>;
pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names what was taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    #[error("storage failure: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached right now (down, restarting, out of connections): the
    /// request may be retried later, and the HTTP edge says so with 503 and Retry-After.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// Public: it is in every embed snippet.
    pub site_key: String,
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub product_name: String,
    pub settings: SurveySettings,
}

/// One published version of an organisation's privacy notice. Immutable once written: the
/// databases refuse updates and deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeVersion {
    pub id: Uuid,
    pub org_id: Uuid,
    pub version: u32,
    pub language: String,
    pub body: String,
    /// SHA-256 of the body, hex: proof of exactly which text a respondent was shown.
    pub content_hash: String,
    pub published_at: DateTime<Utc>,
}

/// What a visitor-facing request needs to know about a site, found by its public key.
#[derive(Clone, Debug)]
pub struct PublicSite {
    pub site: Site,
    pub default_survey: Option<Survey>,
    pub current_notice: Option<NoticeVersion>,
}

/// A response ready to be written: every reference resolved, every field parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredResponse {
    pub id: Uuid,
    pub org_id: Uuid,
    pub site_id: Uuid,
    pub survey_id: Uuid,
    pub score: Score,
    pub comment: Option<String>,
    pub language: Option<String>,
    pub received_at: DateTime<Utc>,
    pub notice_id: Uuid,
    pub choices: ConsentChoices,
    pub context: UsageContext,
    pub respondent_id: Option<Uuid>,
    pub contact_email: Option<String>,
    /// SHA-256 of the author's edit secret; never the secret, never shown or exported.
    pub edit_secret_hash: Option<String>,
}

/// What an amendment must match: the answer's edit secret (hashed), and a stored time recent
/// enough.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmendGuard {
    pub secret_hash: String,
    /// Answers stored before this can no longer be changed.
    pub stored_after: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmendOutcome {
    Amended,
    /// No answer of this site has this id and this secret: nothing changed.
    NotFound,
    /// The secret matched, but the answer is older than the window: nothing changed.
    Expired,
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

/// One survey event from the widget, for the response funnel.
#[derive(Clone, Debug, PartialEq)]
pub struct Impression {
    /// Generated on the device, so a retried event counts once.
    pub id: Uuid,
    pub org_id: Uuid,
    pub site_id: Uuid,
    pub survey_id: Uuid,
    pub kind: ImpressionKind,
    pub trigger: Option<Trigger>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The same id was already stored for the same site: a retry, nothing written.
    Duplicate,
    /// The id belongs to a response of another site.
    IdTaken,
    /// The respondent has left the improvement program: nothing was written.
    OptedOut,
}

#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user_id: Uuid,
    pub email: Email,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org_id: Uuid,
    pub org_name: String,
    pub role: Role,
}

/// One administrative action. `subject` names what was acted on (an id, a role, a version),
/// never personal data, so the log can be kept as long as the organisation exists.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub org_id: Uuid,
    pub actor: Option<Uuid>,
    pub action: String,
    pub subject: String,
    pub at: DateTime<Utc>,
}

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

/// Quarter hours since 1970 (UTC): the unit the score aggregates are kept in.
pub fn quarter_hour(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis().div_euclid(900_000)
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
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

/// Splits a search into the words a full-text index matches, dropping punctuation (which the
/// indexes' query languages would otherwise read as operators).
pub fn search_words(search: &str) -> Vec<String> {
    search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| w.to_lowercase())
        .collect()
}

/// How an organisation's share links publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSettings {
    /// No group smaller than this is shown or computable.
    pub k: u32,
    /// An IANA zone: reports end at the last complete day there.
    pub time_zone: String,
}

/// What a live share link shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareScope {
    pub org: Uuid,
    pub site: Uuid,
    pub days: u32,
    pub settings: ShareSettings,
}

/// A delivery claimed for sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDelivery {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// How a delivery attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        status: Option<u16>,
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// The last retry failed: kept in the history as failed.
    GiveUp {
        status: Option<u16>,
        error: String,
    },
}

/// The events an inserted answer raises, as the outbox stores them.
pub fn answer_events(r: &StoredResponse) -> Vec<(&'static str, String)> {
    let payload = |event: &str| {
        serde_json::json!({
            "event": event,
            "answer": {
                "id": r.id,
                "site": r.site_id,
                "survey": r.survey_id,
                "score": r.score.value(),
                "band": r.score.band().as_str(),
                "comment": r.comment,
                "language": r.language,
                "page_path": r.context.page_path.as_ref().map(|p| p.as_str()),
                "device": r.context.device.map(|d| d.as_str()),
                "country": r.context.country.as_ref().map(|c| c.as_str()),
                "received_at": r.received_at,
            }
        })
        .to_string()
    };
    let mut events = vec![("response.created", payload("response.created"))];
    if r.score.band() == Band::Detractor {
        events.push(("detractor.received", payload("detractor.received")));
    }
    events
}

/// A stored browser session; the key is the SHA-256 of the session id, never the id itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub data: String,
    /// The member signed in with it, if any: lets every session of a member be ended.
    pub user_id: Option<Uuid>,
    /// Unix seconds.
    pub expires_at: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and tests.
    fn backend(&self) -> &'static str;
    /// A round trip to the database (readiness).
    async fn ping(&self) -> StoreResult<()>;

    // ---- provisioning (CLI and, later, administration) ----
    async fn create_organisation(&self, name: &str) -> StoreResult<Organisation>;
    async fn create_user(&self, email: &Email, password_hash: &str) -> StoreResult<Uuid>;
    async fn add_member(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<()>;
    async fn create_site(
        &self,
        org: Uuid,
        name: &str,
        allowed_origins: &[String],
    ) -> StoreResult<Site>;
    async fn create_survey(
        &self,
        org: Uuid,
        site: Uuid,
        name: &str,
        product_name: &str,
    ) -> StoreResult<Survey>;
    /// Appends the next version of the organisation's notice.
    async fn publish_notice(
        &self,
        org: Uuid,
        language: &str,
        body: &str,
    ) -> StoreResult<NoticeVersion>;
    async fn create_api_token(&self, org: Uuid, name: &str, token_hash: &str) -> StoreResult<()>;

    // ---- visitor side: found by public keys ----
    async fn public_site(&self, site_key: &SiteKey) -> StoreResult<Option<PublicSite>>;
    async fn survey_of_site(&self, site: Uuid, survey: Uuid) -> StoreResult<Option<Survey>>;
    async fn notice_version(&self, org: Uuid, version: u32) -> StoreResult<Option<NoticeVersion>>;
    /// Notices are public text, linked from every survey.
    async fn notice_by_id(&self, id: Uuid) -> StoreResult<Option<NoticeVersion>>;
    /// Writes a batch in one transaction (group commit); one outcome per response, in order.
    async fn insert_responses(&self, batch: &[StoredResponse]) -> StoreResult<Vec<InsertOutcome>>;
    /// How many batches may be written at once. SQLite has one writer: a second would only
    /// wait in its busy handler and could time out.
    fn concurrent_batch_writers(&self) -> usize {
        usize::MAX
    }
    /// Counts up to `limit` stored answers into the aggregates (answers are stored uncounted
    /// and counted later, in bulk); returns how many it counted. Concurrent callers, on any
    /// app server, count disjoint answers.
    async fn count_new_answers(&self, limit: u32) -> StoreResult<u64>;
    /// Stored answers waiting to be counted, on all app servers (a gauge for operators: it
    /// should stay near a fraction of a second's worth).
    async fn uncounted_answers(&self) -> StoreResult<u64>;
    /// Adds later parts to a stored answer of this site, if `guard` matches it. Consent
    /// choices that change are recorded with their time.
    async fn amend_response(
        &self,
        site: Uuid,
        id: Uuid,
        guard: &AmendGuard,
        amendment: &ResponseAmendment,
        at: DateTime<Utc>,
    ) -> StoreResult<AmendOutcome>;
    async fn site_surveys(&self, site: Uuid) -> StoreResult<Vec<Survey>>;
    async fn update_survey_settings(
        &self,
        org: Uuid,
        survey: Uuid,
        settings: &SurveySettings,
    ) -> StoreResult<bool>;
    /// Records events; ids already stored are skipped.
    async fn insert_impressions(&self, batch: &[Impression]) -> StoreResult<()>;
    /// Records a respondent leaving (`true`) or rejoining the improvement program.
    async fn set_opted_out(
        &self,
        site: Uuid,
        respondent: Uuid,
        opted_out: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn is_opted_out(&self, site: Uuid, respondent: Uuid) -> StoreResult<bool>;

    // ---- sign-in ----
    async fn credentials(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    async fn memberships(&self, user: Uuid) -> StoreResult<Vec<Membership>>;
    async fn organisation_for_token(&self, token_hash: &str) -> StoreResult<Option<Uuid>>;

    // ---- tenant reads, always scoped by organisation ----
    async fn sites(&self, org: Uuid) -> StoreResult<Vec<Site>>;
    async fn site_by_key(&self, org: Uuid, site_key: &SiteKey) -> StoreResult<Option<Site>>;
    async fn score_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<ScoreCounts>;
    /// How many impressions of each kind: (shown, dismissed, answered).
    async fn impression_counts(
        &self,
        org: Uuid,
        site: Uuid,
        range: TimeRange,
    ) -> StoreResult<(u64, u64, u64)>;

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
    async fn site_tags(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<(String, u64)>>;
    async fn org_site_surveys(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<Survey>>;

    // ---- administration (every call scoped by organisation) ----
    async fn members(&self, org: Uuid) -> StoreResult<Vec<MemberRecord>>;
    async fn set_member_role(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<bool>;
    async fn remove_member(&self, org: Uuid, user: Uuid) -> StoreResult<bool>;
    async fn create_invitation(
        &self,
        org: Uuid,
        role: Role,
        token_hash: &str,
        invited_by: Uuid,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Uuid>;
    /// Invitations neither accepted nor revoked nor expired.
    async fn pending_invitations(
        &self,
        org: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<InvitationRecord>>;
    async fn revoke_invitation(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>>;
    /// Uses the invitation once: `false` if it was used, revoked or expired meanwhile. The
    /// member keeps an existing membership's role.
    async fn accept_invitation(&self, id: Uuid, user: Uuid, at: DateTime<Utc>)
        -> StoreResult<bool>;
    async fn user_password_hash(&self, user: Uuid) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, user: Uuid, hash: &str) -> StoreResult<()>;
    async fn api_tokens(&self, org: Uuid) -> StoreResult<Vec<ApiTokenRecord>>;
    async fn revoke_api_token(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn update_site(
        &self,
        org: Uuid,
        site: Uuid,
        name: &str,
        allowed_origins: &[String],
    ) -> StoreResult<bool>;
    /// A new public key for the site; the old one stops working at once.
    async fn rotate_site_key(&self, org: Uuid, site: Uuid) -> StoreResult<Option<String>>;
    async fn update_survey(
        &self,
        org: Uuid,
        survey: Uuid,
        name: &str,
        product_name: &str,
        settings: &SurveySettings,
    ) -> StoreResult<bool>;
    /// Every published version, newest first.
    async fn notices(&self, org: Uuid) -> StoreResult<Vec<NoticeVersion>>;
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The newest entries first.
    async fn audit_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AuditEntry>>;

    /// What a stored answer's consent was given under. `None` if the organisation has no
    /// such answer.
    async fn consent_of(&self, org: Uuid, response: Uuid) -> StoreResult<Option<ConsentOf>>;

    // ---- aggregated sharing ----
    async fn create_share_link(
        &self,
        org: Uuid,
        site: Uuid,
        token_hash: &str,
        days: u32,
    ) -> StoreResult<Option<Uuid>>;
    /// Links not revoked, newest first.
    async fn share_links(&self, org: Uuid) -> StoreResult<Vec<ShareLinkRecord>>;
    async fn revoke_share_link(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// A live link: whose, which site, how many days, and its organisation's rules.
    async fn share_by_token(&self, token_hash: &str) -> StoreResult<Option<ShareScope>>;
    async fn share_settings(&self, org: Uuid) -> StoreResult<ShareSettings>;
    async fn set_share_settings(&self, org: Uuid, settings: &ShareSettings) -> StoreResult<()>;

    // ---- rate limits across app servers ----
    /// Publishes what this app server let through (`mine`, per key, in second `now_second`)
    /// and returns what every other server published since `since_second` as
    /// (key, server, second, spent). `None` where only one server can run (SQLite).
    async fn exchange_spend(
        &self,
        instance: Uuid,
        now_second: i64,
        mine: &[(String, f64)],
        since_second: i64,
    ) -> StoreResult<Option<Vec<(String, Uuid, i64, f64)>>>;

    // ---- webhooks ----
    async fn create_webhook(
        &self,
        org: Uuid,
        url: &str,
        secret: &str,
        events: &[String],
    ) -> StoreResult<Uuid>;
    /// Webhooks not revoked.
    async fn webhooks(&self, org: Uuid) -> StoreResult<Vec<WebhookRecord>>;
    /// Revokes the webhook and cancels its pending deliveries (retries included).
    async fn revoke_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The newest deliveries first.
    async fn deliveries(&self, org: Uuid, limit: u32) -> StoreResult<Vec<DeliveryRecord>>;
    /// Leases up to `limit` due deliveries until `lease_until`, at most one per organisation
    /// and none of the `busy` organisations (whose receivers this server is already waiting
    /// on); another app server's worker skips them meanwhile. Deliveries of revoked webhooks
    /// are never claimed.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[Uuid],
    ) -> StoreResult<Vec<PendingDelivery>>;
    async fn finish_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    // ---- data-subject requests and retention ----
    /// One respondent's answers on a site, for the visitor's own download or erasure.
    async fn respondent_answers(&self, site: Uuid, respondent: Uuid) -> StoreResult<Vec<Verbatim>>;
    /// Answers in the organisation by respondent id and/or the contact e-mail left with them.
    async fn find_answers(
        &self,
        org: Uuid,
        respondent: Option<Uuid>,
        email: Option<&str>,
    ) -> StoreResult<Vec<Verbatim>>;
    /// Deletes answers with everything derived from them — search index entries, tags, their
    /// counts in the aggregates — in one transaction. Returns how many were deleted.
    async fn erase_answers(&self, org: Uuid, ids: &[Uuid]) -> StoreResult<u64>;
    async fn retention_days(&self, org: Uuid) -> StoreResult<Option<u32>>;
    async fn set_retention_days(&self, org: Uuid, days: Option<u32>) -> StoreResult<()>;
    /// Deletes answers older than their organisation's retention. The aggregates keep their
    /// counts: figures stay, content goes.
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// A secret every app server of this database shares, made (randomly, once) on first use.
    async fn server_secret(&self, name: &str) -> StoreResult<String>;

    // ---- sessions ----
    async fn load_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Stores a new session; `false` if the id is taken (the caller picks another).
    async fn create_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<bool>;
    /// Updates a session that still exists. A session deleted meanwhile (its member changed
    /// their password, or was removed) stays deleted: a request in flight cannot bring it back.
    async fn save_session(&self, id_hash: &str, record: &SessionRecord) -> StoreResult<()>;
    /// Ends every session of a member; returns how many there were.
    async fn delete_user_sessions(&self, user: Uuid) -> StoreResult<u64>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now_unix: i64) -> StoreResult<u64>;
}

/// Where resolved answers are written. The store itself is one (a batch of one); the server's
/// group-commit queue is another, batching concurrent answers into one transaction.
#[async_trait]
pub trait ResponseSink: Send + Sync + 'static {
    async fn insert(&self, response: StoredResponse) -> StoreResult<InsertOutcome>;
}

pub type SharedSink = Arc<dyn ResponseSink>;

/// Writes straight to a store, one transaction per answer (CLI, tests).
pub struct Direct(pub SharedStore);

#[async_trait]
impl ResponseSink for Direct {
    async fn insert(&self, response: StoredResponse) -> StoreResult<InsertOutcome> {
        let outcomes = self
            .0
            .insert_responses(std::slice::from_ref(&response))
            .await?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Backend("a batch of one had no outcome".into()))
    }
}
