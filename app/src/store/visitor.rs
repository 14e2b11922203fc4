//! What the visitor side needs: sites found by their public keys, answers and events written,
//! opt-outs recorded. Nothing here is scoped by a member: a visitor holds only public keys and
//! their own answer's secret.

use super::{NoticeVersion, Site, StoreResult, Survey};
use crate::domain::{
    AttributeKey, AttributeSettings, ConsentChoices, ImpressionKind, ResponseAmendment, SiteKey,
    UsageContext,
};
use crate::nps::Score;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a visitor-facing request needs to know about a site, found by its public key.
#[derive(Clone)]
pub struct PublicSite {
    pub site: Site,
    pub default_survey: Option<Survey>,
    pub current_notice: Option<NoticeVersion>,
    /// The attributes it takes.
    pub attributes: AttributeSettings,
    /// The key of the site's identity hashes (`tokens::identity_hash`): never shown.
    pub identity_secret: String,
}

/// Never prints the identity secret.
impl std::fmt::Debug for PublicSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicSite")
            .field("site", &self.site)
            .field("default_survey", &self.default_survey)
            .field("current_notice", &self.current_notice)
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
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
    /// The exit reason's key.
    pub reason: Option<String>,
    /// Keyed hashes of the site's user and account ids (`tokens::identity_hash`), kept only
    /// under the `identify` choice.
    pub user_hash: Option<String>,
    pub account_hash: Option<String>,
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
    /// The secret matched, but its browser has left the improvement program since: nothing
    /// after an opt-out is taken, an answer's later parts included.
    OptedOut,
    /// The reason sent is not an option its survey offers for its (final) score's band:
    /// nothing changed.
    ReasonNotOffered,
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
    /// The same non-content context an answer carries (its referrer is never stored), so the
    /// funnel follows every dashboard filter.
    pub language: Option<String>,
    pub context: UsageContext,
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

#[async_trait]
pub trait VisitorStore: Send + Sync + 'static {
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
    /// Adds later parts to a stored answer of this site, if `guard` matches it and its browser
    /// has not left the improvement program. Consent choices that change are recorded with
    /// their time.
    async fn amend_response(
        &self,
        site: Uuid,
        id: Uuid,
        guard: &AmendGuard,
        amendment: &ResponseAmendment,
        at: DateTime<Utc>,
    ) -> StoreResult<AmendOutcome>;
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
    /// Which of `values` (key, value) the site's keys take: each a value seen before, or a
    /// new one while its key holds fewer than `cap` values (it is then remembered). `false`:
    /// past the cap, stored as "other".
    async fn admit_attribute_values(
        &self,
        site: Uuid,
        cap: u32,
        values: &[(AttributeKey, String)],
    ) -> StoreResult<Vec<bool>>;
}
