//! Rows as both drivers decode them, and what they become.

use super::At;
use app::domain::{
    ApiTokenRecord, ConsentChange, DeliveryRecord, InvitationRecord, MemberRecord, Role,
    ShareLinkRecord, WebhookRecord,
};
use app::report::{Funnel, Verbatim};
use app::store::{
    AlertAnswer, AuditEntry, NoticeVersion, PendingDelivery, Site, StoreResult, Survey,
    SurveyExtras,
};
use sqlx::types::Json;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(FromRow)]
pub struct SiteRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    site_key: String,
    allowed_origins: Json<Vec<String>>,
}

/// A site with what visitors' requests need of it besides (`VisitorStore::public_site`).
#[derive(FromRow)]
pub struct PublicSiteRow {
    #[sqlx(flatten)]
    pub site: SiteRow,
    pub attribute_keys: String,
    pub attribute_cap: i64,
    pub identity_secret: Option<String>,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Site {
        Site {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            site_key: r.site_key,
            allowed_origins: r.allowed_origins.0,
        }
    }
}

#[derive(FromRow)]
pub struct SurveyRow {
    id: Uuid,
    site_id: Uuid,
    name: String,
    product_name: String,
    settings: Json<serde_json::Value>,
}

impl From<SurveyRow> for Survey {
    /// A stored settings value that no longer parses falls back to the defaults (and says so)
    /// rather than taking the site's widget down.
    fn from(r: SurveyRow) -> Survey {
        let settings = app::domain::SurveySettings::parse_json(&r.settings.0.to_string())
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "stored survey settings do not parse; using defaults");
                app::domain::SurveySettings::default()
            });
        Survey {
            id: r.id,
            site_id: r.site_id,
            name: r.name,
            product_name: r.product_name,
            settings,
        }
    }
}

#[derive(FromRow)]
pub struct NoticeRow {
    id: Uuid,
    org_id: Uuid,
    version: i32,
    language: String,
    body: String,
    content_hash: String,
    published_at: At,
}

impl From<NoticeRow> for NoticeVersion {
    fn from(r: NoticeRow) -> NoticeVersion {
        NoticeVersion {
            id: r.id,
            org_id: r.org_id,
            version: r.version.max(0) as u32,
            language: r.language,
            body: r.body,
            content_hash: r.content_hash,
            published_at: r.published_at.0,
        }
    }
}

#[derive(FromRow)]
pub struct VerbatimRow {
    id: Uuid,
    survey_id: Uuid,
    score: i16,
    comment: Option<String>,
    received_at: At,
    language: Option<String>,
    page_path: Option<String>,
    device_class: Option<String>,
    browser_family: Option<String>,
    country: Option<String>,
    trigger: Option<String>,
    referrer_origin: Option<String>,
    contact_email: Option<String>,
    themes: Option<String>,
    pages_viewed: Option<i16>,
    seconds_on_site: Option<i32>,
    errors_seen: Option<i16>,
    reason: Option<String>,
    attributes: Option<String>,
    tags: Option<String>,
}

impl From<VerbatimRow> for Verbatim {
    fn from(r: VerbatimRow) -> Verbatim {
        Verbatim {
            id: r.id,
            survey_id: r.survey_id,
            score: r.score.clamp(0, 10) as u8,
            comment: r.comment,
            received_at: r.received_at.0,
            language: r.language,
            page_path: r.page_path,
            device: r.device_class,
            browser: r.browser_family,
            country: r.country,
            trigger: r.trigger,
            referrer: r.referrer_origin,
            contact_email: r.contact_email,
            themes: app::domain::theme_list_names(r.themes.as_deref())
                .map(str::to_owned)
                .collect(),
            pages_viewed: r.pages_viewed.and_then(|n| u16::try_from(n).ok()),
            seconds_on_site: r.seconds_on_site.and_then(|n| u32::try_from(n).ok()),
            errors_seen: r.errors_seen.and_then(|n| u16::try_from(n).ok()),
            reason: r.reason,
            attributes: app::domain::Attributes::from_stored(r.attributes.as_deref()),
            tags: split_tags(r.tags),
            local_time: String::new(),
        }
    }
}

/// Tags as one aggregated column (separated by U+001F) → sorted list.
fn split_tags(joined: Option<String>) -> Vec<String> {
    let mut tags: Vec<String> = joined
        .unwrap_or_default()
        .split('\u{1f}')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    tags.sort();
    tags
}

/// A stored role; anything else is a broken row. The schema's CHECK allows only these.
fn role(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::Viewer)
}

#[derive(FromRow)]
pub struct InvitationRow {
    id: Uuid,
    org_id: Uuid,
    org_name: String,
    role: String,
    created_at: At,
    expires_at: At,
    accepted_at: Option<At>,
    revoked_at: Option<At>,
}

impl From<InvitationRow> for InvitationRecord {
    fn from(r: InvitationRow) -> InvitationRecord {
        InvitationRecord {
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            role: role(&r.role),
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
            accepted: r.accepted_at.is_some(),
            revoked: r.revoked_at.is_some(),
        }
    }
}

#[derive(FromRow)]
pub struct MemberRow {
    id: Uuid,
    email: String,
    role: String,
}

impl From<MemberRow> for MemberRecord {
    fn from(r: MemberRow) -> MemberRecord {
        MemberRecord {
            user_id: r.id,
            email: r.email,
            role: role(&r.role),
        }
    }
}

#[derive(FromRow)]
pub struct MembershipRow {
    org_id: Uuid,
    name: String,
    role: String,
}

impl From<MembershipRow> for app::store::Membership {
    fn from(r: MembershipRow) -> app::store::Membership {
        app::store::Membership {
            org_id: r.org_id,
            org_name: r.name,
            role: role(&r.role),
        }
    }
}

#[derive(FromRow)]
pub struct ApiTokenRow {
    id: Uuid,
    name: String,
    created_at: At,
    revoked_at: Option<At>,
}

impl From<ApiTokenRow> for ApiTokenRecord {
    fn from(r: ApiTokenRow) -> ApiTokenRecord {
        ApiTokenRecord {
            id: r.id,
            name: r.name,
            created_at: r.created_at.0,
            revoked: r.revoked_at.is_some(),
        }
    }
}

#[derive(FromRow)]
pub struct ShareLinkRow {
    id: Uuid,
    site_id: Uuid,
    days: i32,
    created_at: At,
}

impl From<ShareLinkRow> for ShareLinkRecord {
    fn from(r: ShareLinkRow) -> ShareLinkRecord {
        ShareLinkRecord {
            id: r.id,
            site_id: r.site_id,
            days: r.days.max(0) as u32,
            created_at: r.created_at.0,
        }
    }
}

#[derive(FromRow)]
pub struct WebhookRow {
    id: Uuid,
    url: String,
    events: String,
    created_at: At,
    rules: String,
}

#[derive(FromRow)]
pub struct SurveyExtrasRow {
    id: Uuid,
    site_id: Uuid,
    name: String,
    /// JSON, read through their parsers.
    pages: String,
    reason: String,
}

/// A stored JSON value read through its parser; one that no longer parses is logged and read
/// as the default (every page, no question), so one survey's bad row disables only its own
/// setting, never its site's widget.
fn parsed_or_default<T: serde::de::DeserializeOwned + Default>(
    raw: &str,
    survey: Uuid,
    what: &str,
) -> T {
    serde_json::from_str(raw).unwrap_or_else(|_| {
        tracing::error!(%survey, what, "unreadable survey setting; its default applies");
        T::default()
    })
}

impl TryFrom<SurveyExtrasRow> for SurveyExtras {
    type Error = crate::store::StoreError;
    fn try_from(r: SurveyExtrasRow) -> StoreResult<SurveyExtras> {
        Ok(SurveyExtras {
            pages: parsed_or_default(&r.pages, r.id, "pages"),
            reason: parsed_or_default(&r.reason, r.id, "exit reason"),
            id: r.id,
            site_id: r.site_id,
            name: r.name,
        })
    }
}

/// A webhook's rules as stored (JSON), read through their parser.
pub fn parse_rules(raw: &str) -> StoreResult<app::domain::AlertRules> {
    serde_json::from_str(raw).map_err(crate::store::backend)
}

impl WebhookRow {
    /// The webhook and its rules; rules that no longer parse are listed as such (and read as
    /// the default here, so they can be saved again), while its deliveries wait.
    pub fn with_rules(self) -> StoreResult<(WebhookRecord, app::domain::AlertRules)> {
        let (rules, described) = match parse_rules(&self.rules) {
            Ok(rules) => {
                let described = rules.describe();
                (rules, described)
            }
            Err(_) => (
                app::domain::AlertRules::default(),
                "rules unreadable: nothing is sent until they are saved again".to_string(),
            ),
        };
        let record = WebhookRecord {
            id: self.id,
            url: self.url,
            events: self.events.split(',').map(str::to_owned).collect(),
            rules: described,
            created_at: self.created_at.0,
        };
        Ok((record, rules))
    }
}

/// The columns of a delivery and its webhook read to send it: `d` is the delivery, `w` its
/// webhook.
pub const PENDING_COLUMNS: &str = "d.id, d.org_id, d.webhook_id, d.answer_id, d.event, d.payload,
     d.attempts, w.url, w.secret, w.format, w.rules";

#[derive(FromRow)]
pub struct PendingRow {
    id: Uuid,
    org_id: Uuid,
    webhook_id: Uuid,
    answer_id: Option<Uuid>,
    event: String,
    payload: String,
    attempts: i32,
    url: String,
    secret: String,
    format: String,
    rules: String,
}

impl TryFrom<PendingRow> for PendingDelivery {
    type Error = crate::store::StoreError;
    fn try_from(r: PendingRow) -> StoreResult<PendingDelivery> {
        Ok(PendingDelivery {
            id: r.id,
            org_id: r.org_id,
            url: r.url,
            secret: r.secret,
            event: r.event,
            payload: r.payload,
            attempts: r.attempts.max(0) as u32,
            format: parse_format(&r.format),
            webhook_id: r.webhook_id,
            answer_id: r.answer_id,
            rules: parse_rules(&r.rules)
                .inspect_err(
                    |_| tracing::error!(webhook = %r.webhook_id, "unreadable webhook rules"),
                )
                .ok(),
        })
    }
}

/// An answer as an alert tells of it (`AlertAnswer`), read with whether it is counted; the
/// caller adds `in_segment`.
pub const ALERT_ANSWER_COLUMNS: &str = "r.id, r.site_id, r.survey_id, r.score, r.comment,
     r.language, r.page_path, r.device_class, r.country, r.received_at, r.themes,
     r.contact_email, r.consent_choices,
     NOT EXISTS (SELECT 1 FROM uncounted_answers u WHERE u.response_id = r.id) AS counted";

#[derive(FromRow)]
pub struct AlertAnswerRow {
    id: Uuid,
    site_id: Uuid,
    survey_id: Uuid,
    score: i16,
    comment: Option<String>,
    language: Option<String>,
    page_path: Option<String>,
    device_class: Option<String>,
    country: Option<String>,
    received_at: At,
    themes: Option<String>,
    contact_email: Option<String>,
    consent_choices: Json<app::domain::ConsentChoices>,
    counted: bool,
    in_segment: bool,
}

impl AlertAnswerRow {
    pub fn answer(self) -> AlertAnswer {
        let contact = self.consent_choices.0.granted(app::domain::CONTACT);
        let themes = app::domain::theme_list_names(self.themes.as_deref())
            .map(str::to_owned)
            .collect();
        AlertAnswer {
            id: self.id,
            site_id: self.site_id,
            survey_id: self.survey_id,
            score: self.score.clamp(0, 10) as u8,
            comment: self.comment,
            language: self.language,
            page_path: self.page_path,
            device: self.device_class,
            country: self.country,
            received_at: self.received_at.0,
            themes,
            // The address goes out only with the visitor's yes to being contacted.
            contact_email: self.contact_email.filter(|_| contact == Some(true)),
            finished: contact.is_some(),
            counted: self.counted,
            in_segment: self.in_segment,
        }
    }
}

#[derive(FromRow)]
pub struct DeliveryRow {
    id: Uuid,
    webhook_id: Uuid,
    event: String,
    created_at: At,
    attempts: i32,
    delivered_at: Option<At>,
    failed_at: Option<At>,
    last_status: Option<i32>,
    last_error: Option<String>,
    skipped: Option<String>,
}

impl From<DeliveryRow> for DeliveryRecord {
    fn from(r: DeliveryRow) -> DeliveryRecord {
        DeliveryRecord {
            id: r.id,
            webhook_id: r.webhook_id,
            event: r.event,
            created_at: r.created_at.0,
            attempts: r.attempts.max(0) as u32,
            state: match (&r.delivered_at, &r.skipped, &r.failed_at) {
                (Some(_), _, _) => "delivered",
                (None, Some(_), _) => "skipped",
                (None, None, Some(_)) => "failed",
                (None, None, None) => "retrying",
            }
            .into(),
            delivered: r.delivered_at.is_some(),
            failed: r.failed_at.is_some(),
            skipped: r.skipped.is_some(),
            last_status: r.last_status.map(|s| s.clamp(0, 999) as u16),
            last_error: r.last_error,
        }
    }
}

#[derive(FromRow)]
pub struct AuditRow {
    org_id: Uuid,
    actor: Option<Uuid>,
    action: String,
    subject: String,
    at: At,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> AuditEntry {
        AuditEntry {
            org_id: r.org_id,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            at: r.at.0,
        }
    }
}

#[derive(FromRow)]
pub struct ConsentChangeRow {
    choice: String,
    granted_before: Option<bool>,
    granted: bool,
    at: At,
}

impl From<ConsentChangeRow> for ConsentChange {
    fn from(r: ConsentChangeRow) -> ConsentChange {
        ConsentChange {
            choice: r.choice,
            granted_before: r.granted_before,
            granted: r.granted,
            at: r.at.0,
        }
    }
}

/// What a stored answer's consent was given under, before its later changes are read.
#[derive(FromRow)]
pub struct ConsentRow {
    pub received_at: At,
    pub language: Option<String>,
    pub notice_id: Uuid,
    pub consent_choices: Json<app::domain::ConsentChoices>,
}

/// One score and how many answers have it.
#[derive(FromRow)]
pub struct ScoreCountRow {
    pub score: i16,
    pub answers: i64,
}

/// Impressions of one cell of context (`ReportStore::impression_cells`).
#[derive(FromRow)]
pub struct ImpressionCellRow {
    pub device: String,
    pub trigger: String,
    pub language: String,
    pub country: String,
    pub pages_viewed: String,
    pub page: String,
    pub shown: i64,
    pub answered: i64,
}

impl From<ImpressionCellRow> for app::store::ImpressionCell {
    fn from(r: ImpressionCellRow) -> Self {
        app::store::ImpressionCell {
            device: r.device,
            trigger: r.trigger,
            language: r.language,
            country: r.country,
            pages_viewed: r.pages_viewed,
            page: r.page,
            shown: r.shown.max(0) as u64,
            answered: r.answered.max(0) as u64,
        }
    }
}

/// The impression aggregates summed over a range: the funnel.
#[derive(FromRow)]
pub struct FunnelRow {
    pub shown: i64,
    pub dismissed: i64,
    pub answered: i64,
}

impl From<FunnelRow> for Funnel {
    fn from(r: FunnelRow) -> Funnel {
        Funnel {
            shown: r.shown.max(0) as u64,
            dismissed: r.dismissed.max(0) as u64,
            answered: r.answered.max(0) as u64,
        }
    }
}

/// Eleven summed score columns (`aggregates::sum_columns`), behind a key.
#[derive(FromRow)]
pub struct SumsRow {
    pub s0: Option<i64>,
    pub s1: Option<i64>,
    pub s2: Option<i64>,
    pub s3: Option<i64>,
    pub s4: Option<i64>,
    pub s5: Option<i64>,
    pub s6: Option<i64>,
    pub s7: Option<i64>,
    pub s8: Option<i64>,
    pub s9: Option<i64>,
    pub s10: Option<i64>,
}

impl SumsRow {
    pub fn sums(&self) -> [i64; 11] {
        [
            self.s0, self.s1, self.s2, self.s3, self.s4, self.s5, self.s6, self.s7, self.s8,
            self.s9, self.s10,
        ]
        .map(|s| s.unwrap_or(0))
    }
}

/// A period's summed score columns: `period` is its index among the periods asked for.
#[derive(FromRow)]
pub struct PeriodSumsRow {
    pub period: i32,
    #[sqlx(flatten)]
    pub sums: SumsRow,
}

#[derive(FromRow)]
pub struct SegmentSumsRow {
    pub value: String,
    #[sqlx(flatten)]
    pub sums: SumsRow,
}

#[derive(FromRow)]
pub struct SavedThemeRow {
    id: Uuid,
    site_id: Uuid,
    name: String,
    terms: String,
    updated_at: At,
}

impl SavedThemeRow {
    /// The theme, if its row still parses (it was parsed before it was stored; a row that no
    /// longer does is left out and logged, never shown half-read).
    pub fn parse(self) -> Option<app::domain::SavedTheme> {
        let parsed = app::domain::ThemeName::parse(&self.name).and_then(|name| {
            app::domain::ThemeTerms::parse(&self.terms).map(|terms| (name, terms))
        });
        match parsed {
            Ok((name, terms)) => Some(app::domain::SavedTheme {
                id: self.id,
                site_id: self.site_id,
                name,
                terms,
                updated_at: self.updated_at.0,
            }),
            Err(e) => {
                tracing::error!(theme = %self.id, error = %e, "a stored theme does not parse");
                None
            }
        }
    }
}

/// A walk of a site's answers tagging them anew (`theme_backfills`).
#[derive(FromRow)]
pub struct BackfillRow {
    pub site_id: Uuid,
    pub org_id: Uuid,
    pub after_at: Option<At>,
    pub after_id: Option<Uuid>,
}

/// A stored webhook format (written only from `WebhookFormat::as_str`); anything else is sent
/// as signed JSON, which every receiver can at least refuse.
pub fn parse_format(raw: &str) -> app::domain::WebhookFormat {
    app::domain::WebhookFormat::parse("format", raw).unwrap_or_default()
}

/// An answer of the follow-up inbox (`follow_up::FOLLOW_UP_SELECT`).
#[derive(FromRow)]
pub struct FollowUpRow {
    id: Uuid,
    site_id: Uuid,
    site_name: String,
    score: i16,
    comment: Option<String>,
    contact_email: Option<String>,
    consent_choices: Json<app::domain::ConsentChoices>,
    language: Option<String>,
    page_path: Option<String>,
    reason: Option<String>,
    received_at: At,
    status: String,
    assignee_id: Option<Uuid>,
    assignee_email: Option<String>,
    due_at: Option<At>,
    first_contact_at: Option<At>,
    follow_up_hours: i32,
    entries: i64,
}

impl FollowUpRow {
    /// `None` unless the visitor granted the `contact` choice: an address kept without it
    /// (there should be none) is not shown.
    pub fn item(self) -> Option<app::store::FollowUpItem> {
        if self.consent_choices.0.granted(app::domain::CONTACT) != Some(true) {
            return None;
        }
        let hours = app::domain::FollowUpHours::new(self.follow_up_hours.clamp(1, 720) as u16)
            .unwrap_or(app::domain::FollowUpHours::DEFAULT);
        Some(app::store::FollowUpItem {
            answer_id: self.id,
            site_id: self.site_id,
            site_name: self.site_name,
            score: self.score.clamp(0, 10) as u8,
            comment: self.comment,
            contact_email: self.contact_email?,
            language: self.language,
            page_path: self.page_path,
            reason: self.reason,
            received_at: self.received_at.0,
            status: app::domain::FollowUpStatus::parse(&self.status).ok()?,
            assignee: self.assignee_id,
            assignee_email: self.assignee_email,
            due_at: self.due_at.map(|d| d.0).unwrap_or_else(|| {
                self.received_at.0 + chrono::Duration::hours(i64::from(hours.get()))
            }),
            due_set: self.due_at.is_some(),
            first_contact_at: self.first_contact_at.map(|f| f.0),
            entries: u32::try_from(self.entries).unwrap_or(u32::MAX),
        })
    }
}

/// A note or a reply of an answer's follow-up.
#[derive(FromRow)]
pub struct FollowUpEntryRow {
    id: Uuid,
    kind: String,
    author_email: Option<String>,
    subject: Option<String>,
    body: String,
    created_at: At,
}

impl FollowUpEntryRow {
    pub fn entry(self) -> Option<app::store::FollowUpEntry> {
        Some(app::store::FollowUpEntry {
            id: self.id,
            kind: app::domain::EntryKind::from_stored(&self.kind)?,
            author_email: self.author_email,
            subject: self.subject,
            body: self.body,
            at: self.created_at.0,
        })
    }
}

/// A member's digest subscription (with, when due, where it goes).
#[derive(FromRow)]
pub struct DigestRow {
    org_id: Uuid,
    user_id: Uuid,
    cadence: String,
    time_zone: String,
    hour: i32,
    weekday: i32,
    alerts: bool,
    webhook_id: Option<Uuid>,
    next_run_at: At,
    last_sent_at: Option<At>,
    email: String,
    org_name: String,
}

impl DigestRow {
    pub fn key(&self) -> (Uuid, Uuid) {
        (self.org_id, self.user_id)
    }

    /// `None` for a schedule that no longer parses (a zone the time zone database dropped):
    /// nothing is sent by a schedule unknown.
    pub fn due(self) -> Option<app::store::DueDigest> {
        let schedule = app::report::digest::DigestSchedule::from_stored(
            &self.cadence,
            &self.time_zone,
            i64::from(self.hour),
            i64::from(self.weekday),
            self.alerts,
        )?;
        Some(app::store::DueDigest {
            subscription: app::store::DigestSubscription {
                org_id: self.org_id,
                user_id: self.user_id,
                schedule,
                webhook_id: self.webhook_id,
                next_run_at: self.next_run_at.0,
                last_sent_at: self.last_sent_at.map(|a| a.0),
            },
            email: self.email,
            org_name: self.org_name,
        })
    }
}
