//! What the follow-up inbox needs: the answers whose visitor agreed to be contacted, where each
//! stands, its notes and replies; and, for a site's dashboard, how many detractors were reached
//! and how soon. Erasing an answer takes its follow-up with it (the tables cascade).

use super::StoreResult;
use crate::domain::{EntryKind, EntryText, FollowUpHours, FollowUpStatus, ReplySubject};
pub use crate::report::LoopClosed;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which answers the inbox lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// New and contacted: what is still to do.
    Open,
    Only(FollowUpStatus),
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    Anyone,
    Nobody,
    Member(Uuid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboxFilter {
    pub status: StatusFilter,
    pub assignee: AssigneeFilter,
    pub site: Option<Uuid>,
}

/// One answer in the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpItem {
    pub answer_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub score: u8,
    pub comment: Option<String>,
    pub contact_email: String,
    pub language: Option<String>,
    pub page_path: Option<String>,
    pub reason: Option<String>,
    pub received_at: DateTime<Utc>,
    pub status: FollowUpStatus,
    pub assignee: Option<Uuid>,
    pub assignee_email: Option<String>,
    /// When the first contact is due: set for this answer, or the organisation's hours after
    /// it came.
    pub due_at: DateTime<Utc>,
    /// Whether `due_at` was set for this answer.
    pub due_set: bool,
    pub first_contact_at: Option<DateTime<Utc>>,
    /// Notes and replies.
    pub entries: u32,
}

impl FollowUpItem {
    /// Not yet contacted, and past its due time.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == FollowUpStatus::New && self.due_at < now
    }
}

/// A note or a reply, as the answer's page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpEntry {
    pub id: Uuid,
    pub kind: EntryKind,
    /// `None` once the author's account is gone.
    pub author_email: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// A new note or reply.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub author: Uuid,
    pub subject: Option<ReplySubject>,
    pub body: EntryText,
}

/// One change to where an answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpChange {
    /// "Contacted" also marks the first contact, if none was; "new" says nobody reached the
    /// visitor, and clears it (the dashboard's loop closed counts what the status says).
    Status(FollowUpStatus),
    /// An owner or admin of the organisation, or nobody.
    Assignee(Option<Uuid>),
    /// `None`: back to the organisation's hours after the answer.
    Due(Option<DateTime<Utc>>),
}

#[async_trait]
pub trait FollowUpStore: Send + Sync + 'static {
    /// The organisation's answers that left an address to be contacted at, newest first.
    async fn follow_up_inbox(
        &self,
        org: Uuid,
        filter: &InboxFilter,
        limit: u32,
    ) -> StoreResult<Vec<FollowUpItem>>;
    /// One answer of the inbox (`None`: not the organisation's, or it left no address).
    async fn follow_up(&self, org: Uuid, answer: Uuid) -> StoreResult<Option<FollowUpItem>>;
    /// Its notes and replies, oldest first.
    async fn follow_up_entries(&self, org: Uuid, answer: Uuid) -> StoreResult<Vec<FollowUpEntry>>;
    /// `false`: no such answer in the inbox (or, for an assignee, not an owner or admin).
    async fn change_follow_up(
        &self,
        org: Uuid,
        answer: Uuid,
        change: FollowUpChange,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Adds a note or a reply; a reply marks the answer contacted. `false`: no such answer in
    /// the inbox.
    async fn add_follow_up_entry(
        &self,
        org: Uuid,
        answer: Uuid,
        entry: &NewEntry,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Takes the answer's one SMTP reply a minute, before sending: `false` when one was sent
    /// (or is being sent) since `since`, or no such answer is in the inbox.
    async fn take_mail_slot(
        &self,
        org: Uuid,
        answer: Uuid,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn follow_up_hours(&self, org: Uuid) -> StoreResult<FollowUpHours>;
    async fn set_follow_up_hours(&self, org: Uuid, hours: FollowUpHours) -> StoreResult<()>;
    /// Detractors of the site who asked to be contacted, received in `[from, to)`.
    async fn loop_closed(
        &self,
        org: Uuid,
        site: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<LoopClosed>;
}
