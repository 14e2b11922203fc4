//! An organisation's sites, their surveys and its privacy notices.

use super::StoreResult;
use crate::domain::{
    AttributeSettings, NoticeVersion, PageTargeting, ReasonQuestion, Site, Survey, SurveySettings,
};
use async_trait::async_trait;
use uuid::Uuid;

/// What an update of a survey sets: all of it, so no half-edited survey is ever stored.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyUpdate<'a> {
    pub name: &'a str,
    pub product_name: &'a str,
    pub settings: &'a SurveySettings,
}

/// What a survey has beside its settings, each edited on a page of its own (and so kept out of
/// the administration bundle's `Survey`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyExtras {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub pages: PageTargeting,
    pub reason: ReasonQuestion,
}

#[async_trait]
pub trait SiteStore: Send + Sync + 'static {
    async fn create_site(
        &self,
        org: Uuid,
        name: &str,
        allowed_origins: &[String],
    ) -> StoreResult<Site>;
    async fn sites(&self, org: Uuid) -> StoreResult<Vec<Site>>;
    async fn site_by_key(
        &self,
        org: Uuid,
        site_key: &crate::domain::SiteKey,
    ) -> StoreResult<Option<Site>>;
    async fn update_site(
        &self,
        org: Uuid,
        site: Uuid,
        name: &str,
        allowed_origins: &[String],
    ) -> StoreResult<bool>;
    /// The attributes the site takes (`None`: no such site of the organisation).
    async fn site_attributes(
        &self,
        org: Uuid,
        site: Uuid,
    ) -> StoreResult<Option<AttributeSettings>>;
    /// Declares the keys the site takes and their cap, forgetting the values taken by keys no
    /// longer declared (all values with `forget_values`, so that each key's cap counts anew);
    /// `false`: no such site of the organisation.
    async fn set_site_attributes(
        &self,
        org: Uuid,
        site: Uuid,
        settings: &AttributeSettings,
        forget_values: bool,
    ) -> StoreResult<bool>;
    /// A new public key for the site; the old one stops working at once.
    async fn rotate_site_key(&self, org: Uuid, site: Uuid) -> StoreResult<Option<String>>;
    async fn create_survey(
        &self,
        org: Uuid,
        site: Uuid,
        name: &str,
        product_name: &str,
    ) -> StoreResult<Survey>;
    /// A site's surveys, oldest first (the first is the site's default).
    async fn surveys(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<Survey>>;
    /// `false` if the organisation has no such survey.
    async fn update_survey(
        &self,
        org: Uuid,
        survey: Uuid,
        update: &SurveyUpdate<'_>,
    ) -> StoreResult<bool>;
    /// A survey's page patterns and exit-reason question (`None`: the organisation has no such
    /// survey).
    async fn survey_extras(&self, org: Uuid, survey: Uuid) -> StoreResult<Option<SurveyExtras>>;
    /// The same for each survey of the site, oldest first.
    async fn surveys_extras(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<SurveyExtras>>;
    /// `false` if the organisation has no such survey.
    async fn set_survey_pages(
        &self,
        org: Uuid,
        survey: Uuid,
        pages: &PageTargeting,
    ) -> StoreResult<bool>;
    /// `false` if the organisation has no such survey.
    async fn set_survey_reason(
        &self,
        org: Uuid,
        survey: Uuid,
        reason: &ReasonQuestion,
    ) -> StoreResult<bool>;
    /// Appends the next version of the organisation's notice.
    async fn publish_notice(
        &self,
        org: Uuid,
        language: &str,
        body: &str,
    ) -> StoreResult<NoticeVersion>;
    /// Every published version, newest first.
    async fn notices(&self, org: Uuid) -> StoreResult<Vec<NoticeVersion>>;
}
