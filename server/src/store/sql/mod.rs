//! What both backends share. Most of Farewell's SQL is the same on SQLite and PostgreSQL once
//! three binding details are settled: time (`At`), JSON (`sqlx::types::Json`) and integer widths
//! (each column is read as the width PostgreSQL gives it; SQLite reads any). So a statement is
//! written once here, with `$N` placeholders (SQLite reads them by number too), and mapped by
//! a `FromRow` type both drivers decode.
//!
//! Each role trait has a file here with a macro (`visitor_store!`, `report_store!`, …) holding
//! the methods whose SQL both backends share. Each backend's file of the same name expands it
//! into its `impl`, adding only the methods whose SQL truly differs, each saying why. A macro,
//! rather than code generic over `sqlx::Database`, keeps every statement readable as the
//! concrete code it expands to, and lets a backend's own methods sit in the same `impl`.

mod access;
mod account;
mod audit;
mod cluster;
mod counting;
mod digest;
pub(crate) mod follow_up;
mod helpers;
mod privacy;
mod report;
pub(crate) mod rows;
mod session;
mod site;
mod theme;
mod time;
mod visitor;
mod webhook;

pub(crate) use access::access_store;
pub(crate) use account::account_store;
pub(crate) use audit::audit_store;
pub(crate) use cluster::cluster_store;
pub(crate) use counting::counting_store;
pub(crate) use digest::digest_store;
pub(crate) use follow_up::follow_up_store;
pub(crate) use helpers::store_helpers;
pub(crate) use privacy::privacy_store;
pub(crate) use report::{push_segment, report_store};
pub(crate) use session::session_store;
pub(crate) use site::site_store;
pub(crate) use theme::theme_store;
pub(crate) use visitor::visitor_store;
pub(crate) use webhook::{pending_by_ids, webhook_store};

pub use time::At;

/// What the shared methods name; each macro's expansion imports it.
pub(crate) mod prelude {
    pub(crate) use super::rows::*;
    pub(crate) use super::At;
    pub(crate) use crate::store::aggregates::{
        add_uncounted_to_segments, column, counts_from_sums, deltas, quarter_hour, AnswerKeys,
        ToTag, ANSWER_KEYS, AUTHOR_OPTED_OUT,
    };
    pub(crate) use crate::store::{backend, counts_from_rows, map_err, search_words};
    pub(crate) use app::domain::{
        AttributeKey, AttributeSettings, Email, ResponseAmendment, Role, SiteKey,
    };
    pub(crate) use app::nps::ScoreCounts;
    pub(crate) use app::report::{Dimension, Funnel, SegmentCounts, SegmentFilter, Tag, Verbatim};
    pub(crate) use app::store::*;
    pub(crate) use async_trait::async_trait;
    pub(crate) use chrono::{DateTime, Utc};
    pub(crate) use sqlx::types::Json;
    pub(crate) use sqlx::Row;
    pub(crate) use uuid::Uuid;
}

/// The columns a survey is read with.
pub const SURVEY_COLUMNS: &str = "id, site_id, name, product_name, settings";

/// The columns a site is read with.
pub const SITE_COLUMNS: &str = "id, org_id, name, site_key, allowed_origins";

/// The columns an answer is shown with (verbatims, exports, data requests). Tags come as one
/// column, joined by U+001F (`rows::split_tags`); `string_agg` is spelt alike on both.
pub const VERBATIM_COLUMNS: &str =
    "r.id, r.survey_id, r.score, r.comment, r.received_at, r.language, r.page_path,
     r.device_class, r.browser_family, r.country, r.trigger, r.referrer_origin, r.contact_email,
     r.themes, r.pages_viewed, r.seconds_on_site, r.errors_seen, r.reason, r.attributes, (SELECT string_agg(t.tag, '\u{1f}') FROM response_tags t WHERE t.response_id = r.id) AS tags";

pub const INVITATION_SELECT: &str =
    "SELECT i.id, i.org_id, o.name AS org_name, i.role, i.created_at, i.expires_at,
            i.accepted_at, i.revoked_at
     FROM invitations i JOIN organisations o ON o.id = i.org_id";
