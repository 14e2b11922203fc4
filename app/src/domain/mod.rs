//! Domain types built only by parsing, shared by the browser and the server. Everything that
//! crosses into Farewell (the ingest API, the survey form, the CLI) is turned into these first.

mod account;
mod alert;
mod attributes;
mod follow_up;
mod identity;
pub mod journey;
mod keys;
mod reason;
mod response;
mod site;
mod survey;
mod targeting;
mod theme;
mod webhook;

pub use account::{
    ApiTokenRecord, DeliveryRecord, Email, InvitationRecord, MemberRecord, Password, Role,
    ShareLinkRecord, WebhookRecord, WEBHOOK_EVENTS,
};
pub use alert::{AlertRules, MAX_BATCH_MINUTES};
pub use attributes::{
    AttributeKey, AttributeSettings, AttributeValue, Attributes, SentAttributes,
    DEFAULT_VALUE_CAP as DEFAULT_ATTRIBUTE_CAP, OTHER as OTHER_ATTRIBUTE_VALUE,
};
pub use follow_up::{
    mailto, EntryKind, EntryText, FollowUpHours, FollowUpStatus, ReplySubject, ENTRY_MAX_CHARS,
};
pub use identity::{ExternalId, Identification, IDENTIFY};
pub use keys::SiteKey;
pub use reason::{LocalReason, ReasonKey, ReasonQuestion};
pub use response::{
    BrowserFamily, ChoiceKey, Comment, ConsentBasis, ConsentChange, ConsentChoices, Country,
    DeviceClass, EditSecret, ImpressionKind, Language, NewResponse, PagePath, ReferrerOrigin,
    ResponseAmendment, Trigger, UsageContext, COMMENT_MAX_CHARS, CONTACT, IMPROVEMENT_PROGRAM,
};
pub use site::{NoticeVersion, Site, Survey};
pub use survey::{ButtonPosition, SurveySettings, Triggers};
pub use targeting::{glob, PageMatch, PageTargeting};
pub use theme::{
    stored_theme_list, theme_list_names, SavedTheme, ThemeName, ThemeTerms, MAX_SAVED_THEMES,
    MAX_TERM_WORDS, MAX_THEME_TERMS,
};
pub use webhook::{check_resolved, is_forbidden_ip, WebhookFormat, WebhookRules, WebhookUrl};

use serde::{Deserialize, Serialize};

/// Why one input field was refused: what the 422 answers and what a form shows beside a field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Makes serde build a string newtype only through its parser (with `#[serde(try_from =
/// "String", into = "String")]` on the type), so a deserialised value obeys the same limits as a
/// parsed one.
macro_rules! parsed_from_string {
    ($ty:ident, |$raw:ident| $parse:expr) => {
        impl TryFrom<String> for $ty {
            type Error = $crate::domain::FieldError;
            fn try_from($raw: String) -> Result<Self, Self::Error> {
                $parse
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
    };
}
pub(crate) use parsed_from_string;

fn has_control_chars(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
}
