//! The storage the server functions, HTTP handlers and background workers call through. It is
//! described by small traits named for their callers (`VisitorStore`, `ReportStore`, …), and
//! `Store` is their sum: a handler holding the shared store can call any of them, while a
//! background worker takes only the one it uses. The server crate implements them once per
//! backend (SQLite, PostgreSQL), so nothing in `app` names a database. Every read of tenant data
//! takes the organisation first: scoping is the store's job, not the caller's memory.

mod access;
mod account;
mod audit;
mod cluster;
mod counting;
mod digest;
mod follow_up;
mod privacy;
mod report;
mod session;
mod site;
mod theme;
mod visitor;
mod webhook;

pub use access::*;
pub use account::*;
pub use audit::*;
pub use cluster::*;
pub use counting::*;
pub use digest::*;
pub use follow_up::*;
pub use privacy::*;
pub use report::*;
pub use session::*;
pub use site::*;
pub use theme::*;
pub use visitor::*;
pub use webhook::*;

pub use crate::domain::{
    ApiTokenRecord, DeliveryRecord, InvitationRecord, MemberRecord, NoticeVersion, ShareLinkRecord,
    Site, Survey, WebhookRecord,
};

use async_trait::async_trait;
use std::sync::Arc;

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

/// `Store`, everything a backend stores: the sum of the role traits, implemented for any type
/// that implements them all.
macro_rules! store_is_the_sum_of {
    ($($role:ident),+) => {
        /// Everything a backend stores: the sum of the role traits.
        pub trait Store: $($role +)+ {}
        impl<T: $($role +)+> Store for T {}
    };
}

store_is_the_sum_of!(
    ClusterStore,
    VisitorStore,
    CountingStore,
    ReportStore,
    AccountStore,
    AccessStore,
    SiteStore,
    ThemeStore,
    PrivacyStore,
    WebhookStore,
    FollowUpStore,
    DigestStore,
    SessionStore,
    AuditStore
);

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
