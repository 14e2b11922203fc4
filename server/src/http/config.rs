//! `GET /api/v1/sites/{site_key}/config`: what the widget needs to decide when to show which
//! survey, in the visitor's language. Public (the site key is in every embed), origin-checked.

use super::error::ApiError;
use super::visitor::{allowed_origin, with_cors};
use app::domain::{ButtonPosition, Triggers};
use app::i18n::negotiate;
use app::store::SharedStore;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Across all surveys of a site, a visitor is asked at most once in this many days.
pub const GLOBAL_COOLDOWN_DAYS: u32 = 1;

#[derive(Debug, Deserialize)]
pub struct ConfigQuery {
    /// The embedding page's `lang`, which wins over the browser's languages.
    pub lang: Option<String>,
    /// The widget's respondent id, to report a choice made on the preferences page.
    pub rid: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WidgetConfig {
    pub site: String,
    pub lang: String,
    pub dir: String,
    pub notice: NoticeRef,
    pub global_cooldown_days: u32,
    pub surveys: Vec<WidgetSurvey>,
    /// Whether this respondent left the improvement program; null without a respondent id.
    pub opted_out: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NoticeRef {
    pub version: u32,
    /// Path on the Farewell host.
    pub path: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WidgetSurvey {
    pub id: Uuid,
    pub texts: BTreeMap<String, String>,
    pub triggers: Triggers,
    pub sample_rate: f64,
    pub cooldown_after_answer_days: u32,
    pub cooldown_after_dismiss_days: u32,
    pub button_position: ButtonPosition,
}

pub async fn widget_config(
    State(store): State<SharedStore>,
    Path(site_key): Path<String>,
    Query(query): Query<ConfigQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site_key =
        app::domain::SiteKey::parse("site_key", &site_key).map_err(|_| ApiError::NotFound)?;
    let site = store
        .public_site(&site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let origin = allowed_origin(&headers, &site.site)?;
    let notice = site.current_notice.ok_or(ApiError::NotFound)?;
    let lang = negotiate(
        query.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let opted_out = match query.rid {
        Some(rid) => Some(store.is_opted_out(site.site.id, rid).await?),
        None => None,
    };
    let today = chrono::Utc::now().date_naive();
    let surveys = store
        .site_surveys(site.site.id)
        .await?
        .into_iter()
        .filter(|survey| survey.settings.is_active(today))
        .map(|survey| WidgetSurvey {
            id: survey.id,
            texts: survey.settings.texts_for(lang, &survey.product_name),
            triggers: survey.settings.triggers.clone(),
            sample_rate: survey.settings.sample_rate,
            cooldown_after_answer_days: survey.settings.cooldown_after_answer_days,
            cooldown_after_dismiss_days: survey.settings.cooldown_after_dismiss_days,
            button_position: survey.settings.button_position,
        })
        .collect();
    let config = WidgetConfig {
        site: site.site.site_key,
        lang: lang.code().to_string(),
        dir: lang.dir().to_string(),
        notice: NoticeRef {
            version: notice.version,
            path: format!("/notice/{}", notice.id),
        },
        global_cooldown_days: GLOBAL_COOLDOWN_DAYS,
        surveys,
        opted_out,
    };
    // With a respondent the answer carries their choice, which must never come from a cache
    // older than the choice; without one, a minute's caching is fine.
    let cache = if config.opted_out.is_some() {
        "no-store"
    } else {
        "public, max-age=60"
    };
    let mut response = with_cors(origin.as_ref(), Json(config));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}
