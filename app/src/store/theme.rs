//! What the dashboard's saved themes need: a site's themes, saved and deleted by its members.
//! Tagging answers with them is the counting worker's (`CountingStore`).

use super::StoreResult;
use crate::domain::{SavedTheme, ThemeName, ThemeTerms};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What saving a theme came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveTheme {
    Saved,
    /// The site is not the organisation's.
    NoSuchSite,
    /// The site has `MAX_SAVED_THEMES` themes already, and this is a new name.
    TooMany,
}

#[async_trait]
pub trait ThemeStore: Send + Sync + 'static {
    /// A site's saved themes, by name.
    async fn saved_themes(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<SavedTheme>>;
    /// Saves a theme, new or with new terms, and starts tagging the site's counted answers
    /// anew (`CountingStore::tag_past_answers`). Answers counted from now on are tagged with it.
    async fn save_theme(
        &self,
        org: Uuid,
        site: Uuid,
        name: &ThemeName,
        terms: &ThemeTerms,
        at: DateTime<Utc>,
    ) -> StoreResult<SaveTheme>;
    /// Deletes a theme; the site's answers then leave it as they are tagged anew. `false` if
    /// the site has no such theme.
    async fn delete_theme(
        &self,
        org: Uuid,
        site: Uuid,
        name: &ThemeName,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Whether the site's past answers are still being tagged anew.
    async fn tagging_past_answers(&self, org: Uuid, site: Uuid) -> StoreResult<bool>;
}
