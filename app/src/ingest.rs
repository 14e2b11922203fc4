//! The one path by which an answer is stored, whoever delivers it: the ingest API, the hosted
//! survey's form, or (later) the widget's queue. Parsing happens before this; here the site,
//! survey and notice are resolved and the response written exactly once.

use crate::domain::{
    BrowserFamily, Country, DeviceClass, EditSecret, FieldError, Identification, ImpressionKind,
    Language, NewResponse, ResponseAmendment, SentAttributes, UsageContext, CONTACT, IDENTIFY,
};
use crate::store::{
    AmendGuard, AmendOutcome, Impression, InsertOutcome, PublicSite, ResponseSink, Store,
    StoreError, StoredResponse,
};
use chrono::{DateTime, Utc};
use http::HeaderMap;
use uuid::Uuid;

/// An answer given faster than this after the survey appeared is a bot's.
pub const MIN_HUMAN_MILLIS: u64 = 800;

/// Whether a bot gave this answer: it filled the honeypot (a field people never see), or
/// answered faster than a person can. Bots are told "accepted" and nothing is stored.
pub fn looks_automated(honeypot: Option<&str>, elapsed_ms: Option<u64>) -> bool {
    honeypot.is_some_and(|hp| !hp.trim().is_empty())
        || elapsed_ms.is_some_and(|ms| ms < MIN_HUMAN_MILLIS)
}

/// The per-site and per-client limits every visitor request passes, whichever way it comes
/// (the API, the widget's queue, the hosted survey's form); the server provides it.
pub trait VisitorLimits: Send + Sync + 'static {
    /// `Err(seconds to wait)` when this request of `cost` items is over a limit.
    fn check(
        &self,
        site_key: &str,
        headers: &HeaderMap,
        peer: Option<std::net::SocketAddr>,
        cost: usize,
    ) -> Result<(), u64>;
}

pub type SharedVisitorLimits = std::sync::Arc<dyn VisitorLimits>;

/// Server settings the ingest paths read from context.
#[derive(Clone, Debug, Default)]
pub struct IngestSettings {
    /// Attributes sent with keys their site did not declare, dropped (shown in `/metrics`).
    pub attributes_dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The header a trusted reverse proxy puts the visitor's country in, if any.
    pub country_header: Option<String>,
    /// How long after an answer was stored its author may still add to it.
    pub amend_window: AmendWindow,
}

/// How long after an answer was stored its author may still amend it (30 minutes unless the
/// operator says otherwise): long enough to finish the comment, short enough that a secret
/// left in a device's storage stops being useful.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmendWindow(pub chrono::Duration);

impl Default for AmendWindow {
    fn default() -> Self {
        AmendWindow(chrono::Duration::minutes(30))
    }
}

/// What the server keeps of an edit secret: its SHA-256, hex.
pub fn edit_secret_hash(secret: &EditSecret) -> String {
    crate::tokens::sha256_hex(secret.expose().as_bytes())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    Created,
    /// This id was already stored: a retry. Nothing new was written.
    AlreadyStored,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("this response id is already used by another site")]
    IdTaken,
    #[error("this visitor has left the improvement program")]
    OptedOut,
    #[error("no such response for this site")]
    UnknownResponse,
    /// The answer exists and the secret matched, but the time to change it has passed.
    #[error("the time to change this answer has passed")]
    AmendExpired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldError> for IngestError {
    fn from(e: FieldError) -> Self {
        IngestError::Invalid(e)
    }
}

pub async fn find_site(store: &dyn Store, site_key: &str) -> Result<PublicSite, IngestError> {
    let site_key = crate::domain::SiteKey::parse("site", site_key)?;
    Ok(store
        .public_site(&site_key)
        .await?
        .ok_or_else(|| FieldError::new("site", "is not a known site key"))?)
}

/// Stores one answer for `site` (already found by the answer's key, perhaps from a cache).
/// An opted-out respondent is refused by the insert itself, atomically with it.
pub async fn record_response(
    store: &dyn Store,
    sink: &dyn ResponseSink,
    site: &PublicSite,
    answer: NewResponse,
    received_at: DateTime<Utc>,
) -> Result<Recorded, IngestError> {
    let survey = match answer.survey {
        Some(id) => store
            .survey_of_site(site.site.id, id)
            .await?
            .ok_or_else(|| FieldError::new("survey", "is not a survey of this site"))?,
        None => site
            .default_survey
            .clone()
            .ok_or_else(|| FieldError::new("survey", "this site has no survey yet"))?,
    };
    let notice = match answer.notice_version {
        Some(version) => store
            .notice_version(site.site.org_id, version)
            .await?
            .ok_or_else(|| {
                FieldError::new(
                    "consent.notice_version",
                    "is not a published notice version",
                )
            })?,
        None => site.current_notice.clone().ok_or_else(|| {
            FieldError::new("consent", "this site has no published privacy notice")
        })?,
    };
    // Stored as sent: an API client that showed no choice records none (the consent record
    // then says so) rather than a "granted" nobody clicked.
    let choices = answer.choices;
    if answer.contact_email.is_some() && choices.granted(CONTACT) != Some(true) {
        return Err(FieldError::new(
            "contact_email",
            "may only be sent with the consent choice contact: true",
        )
        .into());
    }
    // A user or account id is kept only under the granted identify choice, and only hashed.
    answer.identification.check_consent(&choices)?;
    let (user_hash, account_hash) = answer.identification.hashes(&site.identity_secret);
    if let Some(reason) = &answer.reason {
        // An option of the score's band: a promoter's reasons are not a detractor's.
        let offered = store
            .survey_extras(site.site.org_id, survey.id)
            .await?
            .is_some_and(|s| s.reason.options(answer.score.band()).contains(reason));
        if !offered {
            return Err(FieldError::new(
                "reason",
                "is not an option this survey offers for this score",
            )
            .into());
        }
    }
    let row = StoredResponse {
        id: answer.id,
        org_id: site.site.org_id,
        site_id: site.site.id,
        survey_id: survey.id,
        score: answer.score,
        comment: answer.comment.map(|c| c.as_str().to_owned()),
        language: answer.language.map(|l| l.as_str().to_owned()),
        received_at,
        notice_id: notice.id,
        choices,
        context: answer.context,
        respondent_id: answer.respondent,
        contact_email: answer.contact_email.map(|e| e.as_str().to_owned()),
        edit_secret_hash: answer.edit_secret.as_ref().map(edit_secret_hash),
        reason: answer.reason.map(String::from),
        user_hash,
        account_hash,
    };
    match sink.insert(row).await? {
        InsertOutcome::Inserted => Ok(Recorded::Created),
        InsertOutcome::Duplicate => Ok(Recorded::AlreadyStored),
        InsertOutcome::IdTaken => Err(IngestError::IdTaken),
        InsertOutcome::OptedOut => Err(IngestError::OptedOut),
    }
}

/// Adds the comment, contact e-mail, a consent choice or a changed score to an answer already
/// stored, for its author only: the request must carry the answer's edit secret, within the
/// window. A wrong secret and an unknown id look the same to the sender.
pub async fn amend_response(
    store: &dyn Store,
    site: &PublicSite,
    id: Uuid,
    secret: &EditSecret,
    amendment: &ResponseAmendment,
    window: AmendWindow,
    at: DateTime<Utc>,
) -> Result<(), IngestError> {
    if amendment.is_empty() {
        return Err(FieldError::new("body", "names nothing to change").into());
    }
    // After the answer, only the contact choice is ever shown (with the e-mail field); any
    // other name would add a choice to the record that no notice offered.
    // So is the identify choice, when the site passed an id.
    if amendment
        .choices
        .iter()
        .any(|(key, _)| key != CONTACT && key != IDENTIFY)
    {
        return Err(FieldError::new(
            "choices",
            "only the contact and identify choices can be made after the answer",
        )
        .into());
    }
    let ids = &amendment.identification;
    ids.check_consent(&amendment.choices)?;
    let (user_hash, account_hash) = ids.hashes(&site.identity_secret);
    let amendment = &ResponseAmendment {
        user_hash,
        account_hash,
        identification: Identification::default(),
        ..amendment.clone()
    };
    if amendment.contact_email.is_some() && amendment.choices.granted(CONTACT) != Some(true) {
        return Err(FieldError::new(
            "contact_email",
            "may only be sent with the consent choice contact: true",
        )
        .into());
    }
    let guard = AmendGuard {
        secret_hash: edit_secret_hash(secret),
        stored_after: at - window.0,
    };
    match store
        .amend_response(site.site.id, id, &guard, amendment, at)
        .await?
    {
        AmendOutcome::Amended => Ok(()),
        AmendOutcome::NotFound => Err(IngestError::UnknownResponse),
        AmendOutcome::Expired => Err(IngestError::AmendExpired),
        AmendOutcome::OptedOut => Err(IngestError::OptedOut),
        // Checked by the store, against the answer's own survey and final score, under its
        // lock, and only once the secret matched.
        AmendOutcome::ReasonNotOffered => Err(FieldError::new(
            "reason",
            "is not an option this survey offers for this score",
        )
        .into()),
    }
}

/// One widget event before its site is resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct NewImpression {
    pub id: Uuid,
    pub survey: Option<Uuid>,
    pub kind: ImpressionKind,
    pub language: Option<Language>,
    /// Completed from the request like an answer's ([`complete_context`]).
    pub context: UsageContext,
    /// The attributes sent; the site's declared ones go into `context` ([`settle_attributes`]).
    pub attributes: SentAttributes,
}

/// Stores a batch's events; one outcome per event, in order. An event naming a survey that is
/// not the site's is refused alone: the others of its batch are stored.
pub async fn record_impressions(
    store: &dyn Store,
    site: &PublicSite,
    events: Vec<NewImpression>,
    at: DateTime<Utc>,
) -> Result<Vec<Result<(), FieldError>>, IngestError> {
    let mut batch = Vec::with_capacity(events.len());
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let survey = match event.survey {
            Some(id) => store
                .survey_of_site(site.site.id, id)
                .await?
                .map(|s| s.id)
                .ok_or_else(|| FieldError::new("survey", "is not a survey of this site")),
            None => site
                .default_survey
                .as_ref()
                .map(|s| s.id)
                .ok_or_else(|| FieldError::new("survey", "this site has no survey yet")),
        };
        let survey = match survey {
            Ok(survey) => survey,
            Err(refused) => {
                outcomes.push(Err(refused));
                continue;
            }
        };
        outcomes.push(Ok(()));
        batch.push(Impression {
            id: event.id,
            org_id: site.site.org_id,
            site_id: site.site.id,
            survey_id: survey,
            kind: event.kind,
            language: event.language.map(|l| l.as_str().to_owned()),
            context: UsageContext {
                referrer: None,
                ..event.context
            },
            at,
        });
    }
    store.insert_impressions(&batch).await?;
    Ok(outcomes)
}

/// Fills what the client did not say from the request itself: device class and browser family
/// from the User-Agent (which is then dropped), country only from a trusted proxy's header.
pub fn complete_context(
    mut context: UsageContext,
    headers: &HeaderMap,
    country_header: Option<&str>,
) -> UsageContext {
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    context
        .device
        .get_or_insert_with(|| DeviceClass::from_user_agent(user_agent));
    context
        .browser
        .get_or_insert_with(|| BrowserFamily::from_user_agent(user_agent));
    context.country = country_header
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(Country::parse);
    context
}

/// Keeps of the attributes sent only the keys the site declared, unread (counting the rest in
/// `dropped`), puts their values into `context`, each past its key's cap of distinct values as
/// "other". A declared key's bad value is refused at its field.
pub async fn settle_attributes(
    store: &dyn Store,
    site: &PublicSite,
    sent: &SentAttributes,
    context: &mut UsageContext,
    dropped: &std::sync::atomic::AtomicU64,
) -> Result<(), IngestError> {
    let (mut attributes, gone) = sent.declared(&site.attributes.keys)?;
    if gone > 0 {
        dropped.fetch_add(gone as u64, std::sync::atomic::Ordering::Relaxed);
    }
    // A key with its own list of values keeps those and no other; "other" is what the cap
    // stores anyway: sent as a value, it takes no slot. The rest go by the cap.
    let mut values = Vec::new();
    for (key, value) in attributes.clone().iter() {
        match site.attributes.listed(key, value) {
            Some(true) => {}
            Some(false) => attributes.set_other(key),
            None if value == crate::domain::OTHER_ATTRIBUTE_VALUE => {}
            None => values.push((key, value.to_owned())),
        }
    }
    if values.is_empty() {
        context.attributes = attributes;
        return Ok(());
    }
    let admitted = store
        .admit_attribute_values(site.site.id, site.attributes.value_cap, &values)
        .await?;
    for ((key, _), taken) in values.into_iter().zip(admitted) {
        if !taken {
            attributes.set_other(key);
        }
    }
    context.attributes = attributes;
    Ok(())
}

/// Now, cut to whole milliseconds so every backend stores and compares the same instant.
pub fn received_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// How one flush of the widget's queue is carried out. Its items (answers, amendments, events)
/// were queued on the device before anything else it carries, so they are stored first and a
/// change of participation comes last: what was queued before an opt-out is kept, nothing
/// after it is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchPlan {
    collecting: bool,
    opt_out: Option<bool>,
    respondent: Option<Uuid>,
}

impl BatchPlan {
    /// `gpc`: the browser sent Global Privacy Control. Under it only a flush that carries the
    /// opt-out itself is taken: those items were queued before the browser said no.
    pub fn new(gpc: bool, opt_out: Option<bool>, respondent: Option<Uuid>) -> BatchPlan {
        BatchPlan {
            collecting: !gpc || opt_out == Some(true),
            opt_out,
            respondent,
        }
    }

    /// Whether the batch's items are stored (otherwise each is refused as opted out).
    pub fn collects_items(&self) -> bool {
        self.collecting
    }

    /// The change of participation to record after the items: (respondent, opted out). A change
    /// without a respondent is refused: there is no one to record it for.
    pub fn participation(&self) -> Result<Option<(Uuid, bool)>, FieldError> {
        match (self.opt_out, self.respondent) {
            (Some(opt_out), Some(respondent)) => Ok(Some((respondent, opt_out))),
            (Some(_), None) => Err(FieldError::new(
                "respondent",
                "is needed to change participation",
            )),
            (None, _) => Ok(None),
        }
    }
}

#[cfg(test)]
mod batch_plan {
    use super::BatchPlan;
    use uuid::Uuid;

    #[test]
    fn global_privacy_control_takes_only_the_flush_that_opts_out() {
        let me = Some(Uuid::new_v4());
        assert!(BatchPlan::new(false, None, me).collects_items());
        assert!(!BatchPlan::new(true, None, me).collects_items());
        assert!(!BatchPlan::new(true, Some(false), me).collects_items());
        assert!(BatchPlan::new(true, Some(true), me).collects_items());
    }

    #[test]
    fn a_change_of_participation_needs_its_respondent() {
        let me = Uuid::new_v4();
        assert_eq!(BatchPlan::new(false, None, None).participation(), Ok(None));
        assert_eq!(
            BatchPlan::new(false, Some(true), Some(me)).participation(),
            Ok(Some((me, true)))
        );
        assert_eq!(
            BatchPlan::new(false, Some(false), None)
                .participation()
                .unwrap_err()
                .field,
            "respondent"
        );
    }
}
