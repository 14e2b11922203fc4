//! `GET /api/v1/sites/{site_key}/config`: what the widget needs to decide when to show which
//! survey, in the visitor's language. Public (the site key is in every embed), the same for
//! every visitor and every origin: served from memory and cacheable by browsers and CDNs. One
//! visitor's opt-out is asked for apart (`participation`), only when a survey is about to open.

use super::error::ApiError;
use super::extract::ValidJson;
use super::ingest::Ingest;
use super::precompressed::Precompressed;
use super::site_cache::SiteCache;
use super::visitor::with_cors;
use app::domain::{ButtonPosition, SiteKey, Triggers};
use app::i18n::{negotiate, Lang};
use app::store::{PublicSite, SharedStore, StoreResult};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Across all surveys of a site, a visitor is asked at most once in this many days.
pub const GLOBAL_COOLDOWN_DAYS: u32 = 1;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// The embedding page's `lang`, which wins over the browser's languages.
    pub lang: Option<String>,
}

/// The same for every visitor of a site in one language, so it carries nothing about the
/// visitor: whether they left the improvement program is asked separately, and only when a
/// survey is about to open (`participation`).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WidgetConfig {
    pub site: String,
    pub lang: String,
    pub dir: String,
    pub notice: NoticeRef,
    pub global_cooldown_days: u32,
    pub surveys: Vec<WidgetSurvey>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticeRef {
    pub version: u32,
    /// Path on the Farewell host.
    pub path: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WidgetSurvey {
    pub id: Uuid,
    pub texts: BTreeMap<String, String>,
    /// Which triggers open the survey (exit intent, the armed button, time on site…).
    #[schema(value_type = Object)]
    pub triggers: Triggers,
    pub sample_rate: f64,
    pub cooldown_after_answer_days: u32,
    pub cooldown_after_dismiss_days: u32,
    /// bottom-right, bottom-left or hidden.
    #[schema(value_type = String)]
    pub button_position: ButtonPosition,
    /// The pages it may open on: path patterns (`*` within a segment, `**` across them), a
    /// leading `!` excluding; absent for every page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<String>,
    /// The exit-reason question in this language, with each band's options as `[key, label]`;
    /// absent when the survey does not ask it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub reason: Option<app::domain::LocalReason>,
}

/// Browsers and CDNs may keep it this long, then revalidate by ETag (a 304 costs no bytes of
/// body and, within the TTL above, no query).
const BROWSER_CACHE: &str = "public, max-age=60, stale-while-revalidate=300";
pub const MAX_ENTRIES: usize = 10_000;

/// One site's configuration in one language, as sent: the JSON (compressed once, in each
/// encoding) and its ETag.
pub struct RenderedConfig {
    body: Precompressed,
    etag: HeaderValue,
}

type Entry = (Instant, Option<Arc<RenderedConfig>>);

/// The per-page-view request served from memory: every page view of every customer site asks
/// for this, a hundred times as often as anyone answers, so a hit costs no query and no JSON
/// encoding. Unknown keys are cached as `None` (a flood of them costs no queries).
///
/// An entry lives `ttl` (`--visitor-cache-ms`, 5 s by default): a settings change reaches every
/// app server (each keeps its own) within that long, with no messaging between them, on SQLite
/// and PostgreSQL alike.
pub struct ConfigCache {
    store: SharedStore,
    sites: Arc<SiteCache>,
    ttl: Duration,
    entries: Mutex<HashMap<(String, Lang), Entry>>,
}

impl ConfigCache {
    pub fn new(store: SharedStore, sites: Arc<SiteCache>, ttl: Duration) -> ConfigCache {
        ConfigCache {
            store,
            sites,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    async fn get(&self, key: &SiteKey, lang: Lang) -> StoreResult<Option<Arc<RenderedConfig>>> {
        let id = (key.as_str().to_owned(), lang);
        if let Some((at, config)) = self.lock().get_mut(&id) {
            if at.elapsed() < self.ttl {
                return Ok(config.clone());
            }
            // Expired: this request renders it again; the others meanwhile keep the one they
            // have, rather than all rendering at once (64 connections would be 64 renders).
            if config.is_some() {
                *at = Instant::now();
            }
        }
        let config = match self.sites.get(key).await? {
            Some(site) => self.render(site, lang).await?.map(Arc::new),
            None => None,
        };
        let mut entries = self.lock();
        evict_when_full(&mut entries);
        entries.insert(id, (Instant::now(), config.clone()));
        Ok(config)
    }

    async fn render(
        &self,
        site: Arc<PublicSite>,
        lang: Lang,
    ) -> StoreResult<Option<RenderedConfig>> {
        let Some(notice) = site.current_notice.as_ref() else {
            return Ok(None);
        };
        let today = chrono::Utc::now().date_naive();
        let extras = self
            .store
            .surveys_extras(site.site.org_id, site.site.id)
            .await?;
        let extras_of = |survey: uuid::Uuid| extras.iter().find(|e| e.id == survey);
        let surveys = self
            .store
            .surveys(site.site.org_id, site.site.id)
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
                pages: extras_of(survey.id)
                    .map(|e| e.pages.for_loader())
                    .unwrap_or_default(),
                reason: extras_of(survey.id).and_then(|e| e.reason.local(lang)),
            })
            .collect();
        let config = WidgetConfig {
            site: site.site.site_key.clone(),
            lang: lang.code().to_string(),
            dir: lang.dir().to_string(),
            notice: NoticeRef {
                version: notice.version,
                path: format!("/notice/{}", notice.id),
            },
            global_cooldown_days: GLOBAL_COOLDOWN_DAYS,
            surveys,
        };
        let body = serde_json::to_string(&config).expect("a config always encodes");
        let etag = format!("\"{}\"", &crate::tokens::sha256_hex(body.as_bytes())[..16]);
        Ok(Some(RenderedConfig {
            body: Precompressed::with_quality(body, 9),
            etag: HeaderValue::from_str(&etag).expect("hex etag"),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Lang), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Past `MAX_ENTRIES`, unknown keys go first (a flood of made-up keys must not push out the
/// real sites); only if real ones alone fill it does it start over.
pub fn evict_when_full<K, V>(entries: &mut HashMap<K, (Instant, Option<V>)>) {
    if entries.len() >= MAX_ENTRIES {
        entries.retain(|_, (_, value)| value.is_some());
    }
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
}

/// `GET /api/v1/sites/{site_key}/config`: public, cacheable.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/config",
    tag = "collection",
    params(("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"), ConfigQuery),
    responses(
        (status = 200, description = "the widget's configuration in the negotiated language (ETag, cacheable)", body = WidgetConfig),
        (status = 304, description = "unchanged since the ETag sent"),
        (status = 404, description = "no such site, or it has no privacy notice yet", body = super::public_api::ErrorBody),
    )
)]
pub async fn widget_config(
    State(ingest): State<Ingest>,
    Path(site_key): Path<String>,
    Query(query): Query<ConfigQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site_key =
        app::domain::SiteKey::parse("site_key", &site_key).map_err(|_| ApiError::NotFound)?;
    let lang = negotiate(
        query.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let config = ingest
        .configs
        .get(&site_key, lang)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut response = if headers.get(header::IF_NONE_MATCH) == Some(&config.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = config.body.response(&headers);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, config.etag.clone());
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(BROWSER_CACHE),
    );
    // Public and the same for every origin (texts and triggers, nothing about anyone), so any
    // page may read it: an answer that varied by Origin could be kept by a CDN that ignores
    // Vary and served to everyone else. What a page may do for a visitor (answer, ask about
    // them) is still checked against the site's origins.
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    out.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Accept-Encoding"),
    );
    Ok(response)
}

/// A respondent id in JSON needs far less.
pub const PARTICIPATION_BODY_LIMIT: usize = 1024;

/// The body of `POST /api/v1/sites/{site_key}/participation` (sent as `text/plain`, so a
/// browser needs no preflight; the respondent id never enters a URL).
#[derive(Debug, Deserialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationQuery {
    pub respondent: Uuid,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participation {
    pub opted_out: bool,
}

/// Whether this respondent left the improvement program (perhaps on the preferences page, on
/// Farewell's host, where the site's storage cannot be reached). The loader asks only when a
/// survey is about to open, so page views cost no query for it. Never cached: it must follow
/// a choice made a moment ago.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site_key}/participation",
    tag = "collection",
    params(("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e")),
    request_body(content = ParticipationQuery, content_type = "text/plain"),
    responses(
        (status = 200, description = "whether this respondent left the improvement program", body = Participation),
        (status = 403, description = "the origin is not registered for the site, or the visitor left the improvement program", body = super::public_api::ErrorBody),
        (status = 413, description = "the body is too large", body = super::public_api::ErrorBody),
        (status = 422, description = "a field was refused: which, and why", body = super::public_api::ErrorBody),
        (status = 429, description = "too many requests; wait as Retry-After says", body = super::public_api::ErrorBody),
        (status = 503, description = "the database is unreachable for a moment; see Retry-After", body = super::public_api::ErrorBody),
    )
)]
pub async fn participation(
    State(ingest): State<Ingest>,
    Path(site_key): Path<String>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ValidJson(query): ValidJson<ParticipationQuery, PARTICIPATION_BODY_LIMIT>,
) -> Result<Response, ApiError> {
    let site_key =
        app::domain::SiteKey::parse("site_key", &site_key).map_err(|_| ApiError::NotFound)?;
    let site = ingest
        .sites
        .get(&site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let admitted = match ingest
        .gate
        .admit(&site.site, &headers, peer.map(|Extension(p)| p), 1)
    {
        Ok(admitted) => admitted,
        Err(refused) => return Ok(*refused),
    };
    let opted_out = admitted.gpc
        || ingest
            .store
            .is_opted_out(site.site.id, query.respondent)
            .await?;
    let mut response = with_cors(admitted.origin.as_ref(), Json(Participation { opted_out }));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_unknown_keys_does_not_push_out_the_known_sites() {
        let mut entries: HashMap<String, (Instant, Option<u8>)> = HashMap::new();
        entries.insert("known".into(), (Instant::now(), Some(1)));
        for i in 0..MAX_ENTRIES {
            entries.insert(format!("junk{i}"), (Instant::now(), None));
        }
        evict_when_full(&mut entries);
        assert_eq!(entries.len(), 1);
        assert!(entries.contains_key("known"));
    }
}
