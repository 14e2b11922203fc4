//! What an organisation publishes: its sites, their surveys and its privacy notice versions. Plain
//! entities, shown to members in the browser as the store returns them.

use super::SurveySettings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// Public: it is in every embed snippet.
    pub site_key: String,
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub product_name: String,
    pub settings: SurveySettings,
}

/// One published version of an organisation's privacy notice. Immutable once written: the
/// databases refuse updates and deletes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
