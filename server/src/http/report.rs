//! A dashboard view as data: exports of the answers behind it (CSV, JSON) for signed-in members,
//! and the same view and answers through the REST API for an organisation's API tokens.

use super::error::ApiError;
use super::extract::{ApiOrg, SignedIn};
use app::report::build::{build_report, localise_times, parse_view, scope};
use app::report::{csv_row, parse_query, ViewParams, CSV_HEADER};
use app::store::{SharedStore, Site, VerbatimQuery};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

/// Answers fetched per query while streaming an export.
const EXPORT_PAGE: u32 = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    fn parse(text: &str) -> Result<Format, ApiError> {
        match text {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(app::domain::FieldError::new("format", "must be csv or json").into()),
        }
    }
}

fn view_of(query: &Option<String>) -> Result<(ViewParams, Vec<(String, String)>), ApiError> {
    let pairs = parse_query(query.as_deref().unwrap_or(""));
    let view = parse_view(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))?;
    Ok((view, pairs))
}

/// `GET /dashboard/{site_key}/export.csv|json?<view>`: every answer of the view, for members.
pub async fn dashboard_export(
    State(store): State<SharedStore>,
    SignedIn(member): SignedIn,
    Path((site_key, file)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let format = match file.as_str() {
        "export.csv" => Format::Csv,
        "export.json" => Format::Json,
        _ => return Err(ApiError::NotFound),
    };
    let (membership, site) = member.site(&store, &site_key).await?;
    let (view, _) = view_of(&query)?;
    export(store, membership.org_id, site, view, format).await
}

/// The token's organisation's site with this key; another organisation's is not found.
async fn token_site(
    store: &SharedStore,
    org: Uuid,
    site_key: &str,
) -> Result<(Uuid, Site), ApiError> {
    let site_key =
        app::domain::SiteKey::parse("site_key", site_key).map_err(|_| ApiError::NotFound)?;
    let site = store
        .site_by_key(org, &site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((org, site))
}

/// `GET /api/v1/sites/{site_key}/report?<view>`: the dashboard's figures as JSON.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/report",
    tag = "reporting",
    security(("token" = [])),
    params(
        ("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"),
        super::public_api::ViewQuery,
    ),
    responses(
        (status = 200, description = "the view", body = super::public_api::ReportBody),
        (status = 401, description = "no valid API token", body = super::public_api::ErrorBody),
        (status = 404, description = "no such site in the token's organisation", body = super::public_api::ErrorBody),
        (status = 422, description = "a view parameter was refused", body = super::public_api::ErrorBody),
    )
)]
pub async fn api_report(
    State(store): State<SharedStore>,
    ApiOrg(org): ApiOrg,
    Path(site_key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<super::public_api::ReportBody>, ApiError> {
    let (org, site) = token_site(&store, org, &site_key).await?;
    let (view, _) = view_of(&query)?;
    let sample = app::report::drivers::read_sample(&store, org, site.id, &view).await?;
    let adjusted =
        app::report::nonresponse::build_corrected(&store, org, site.id, &view, &sample).await?;
    let mut report = build_report(&store, org, site, view, None).await?;
    if let Some((whole, periods)) = adjusted {
        report.adjusted = Some(whole);
        report.adjusted_periods = periods;
    }
    localise_times(&mut report.verbatims, &report.view.tz)?;
    Ok(Json((&report).into()))
}

/// `GET /api/v1/sites/{site_key}/themes?<view>`: the terms that set detractors' comments apart
/// from promoters', and those new this period (weighted log-odds, see the README).
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/themes",
    tag = "reporting",
    security(("token" = [])),
    params(
        ("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"),
        super::public_api::ViewQuery,
    ),
    responses(
        (status = 200, description = "the themes of the view's comments", body = super::public_api::ThemesBody),
        (status = 401, description = "no valid API token", body = super::public_api::ErrorBody),
        (status = 404, description = "no such site in the token's organisation", body = super::public_api::ErrorBody),
        (status = 422, description = "a view parameter was refused", body = super::public_api::ErrorBody),
    )
)]
pub async fn api_themes(
    State(store): State<SharedStore>,
    ApiOrg(org): ApiOrg,
    Path(site_key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<super::public_api::ThemesBody>, ApiError> {
    let (org, site, view) = api_view(&store, org, &site_key, &query).await?;
    let themes = app::report::themes::build_themes(&store, org, site.id, &view).await?;
    Ok(Json(themes.into()))
}

/// `GET /api/v1/sites/{site_key}/drivers?<view>`: each segment value's effect on NPS with the
/// other dimensions held fixed, beside its raw effect (ridge regression, sandwich errors).
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/drivers",
    tag = "reporting",
    security(("token" = [])),
    params(
        ("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"),
        super::public_api::ViewQuery,
    ),
    responses(
        (status = 200, description = "the drivers of the view's NPS", body = super::public_api::DriversBody),
        (status = 401, description = "no valid API token", body = super::public_api::ErrorBody),
        (status = 404, description = "no such site in the token's organisation", body = super::public_api::ErrorBody),
        (status = 422, description = "a view parameter was refused", body = super::public_api::ErrorBody),
    )
)]
pub async fn api_drivers(
    State(store): State<SharedStore>,
    ApiOrg(org): ApiOrg,
    Path(site_key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<super::public_api::DriversBody>, ApiError> {
    let (org, site, view) = api_view(&store, org, &site_key, &query).await?;
    let sample = app::report::drivers::read_sample(&store, org, site.id, &view).await?;
    Ok(Json(
        app::report::drivers::build_drivers(sample).await?.into(),
    ))
}

/// The site and view of an analysis route: the token's site, the view parsed, and a survey
/// that must be the site's.
async fn api_view(
    store: &SharedStore,
    org: Uuid,
    site_key: &str,
    query: &Option<String>,
) -> Result<(Uuid, Site, app::report::ViewParams), ApiError> {
    let (org, site) = token_site(store, org, site_key).await?;
    let (view, _) = view_of(query)?;
    if let Some(survey) = view.survey {
        if !store
            .surveys(org, site.id)
            .await?
            .iter()
            .any(|s| s.id == survey)
        {
            return Err(
                app::error::AppError::invalid("survey", "is not a survey of this site").into(),
            );
        }
    }
    Ok((org, site, view))
}

/// `GET /api/v1/sites/{site_key}/responses?<view>&format=csv|json`: the answers of a view.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/responses",
    tag = "reporting",
    security(("token" = [])),
    params(
        ("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"),
        super::public_api::ViewQuery,
        ("format" = Option<String>, Query, description = "json (default) or csv"),
    ),
    responses(
        (status = 200, description = "every answer of the view, newest first, streamed", content(
            (Vec<super::public_api::AnswerBody> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 401, description = "no valid API token", body = super::public_api::ErrorBody),
        (status = 404, description = "no such site in the token's organisation", body = super::public_api::ErrorBody),
        (status = 422, description = "a view parameter was refused", body = super::public_api::ErrorBody),
    )
)]
pub async fn api_responses(
    State(store): State<SharedStore>,
    ApiOrg(org): ApiOrg,
    Path(site_key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (org, site) = token_site(&store, org, &site_key).await?;
    let (view, pairs) = view_of(&query)?;
    let format = pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| Format::parse(v))
        .transpose()?
        .unwrap_or(Format::Json);
    export(store, org, site, view, format).await
}

struct ExportState {
    store: SharedStore,
    org: Uuid,
    site: Uuid,
    query: VerbatimQuery,
    tz: String,
    format: Format,
    first: bool,
    done: bool,
}

/// Streams the answers page by page (keyset paging), so an export of millions of answers never
/// sits in memory.
async fn export(
    store: SharedStore,
    org: Uuid,
    site: Site,
    view: ViewParams,
    format: Format,
) -> Result<Response, ApiError> {
    let (filter, range) = scope(&view)?;
    let tag = view
        .tag
        .as_deref()
        .map(app::report::Tag::parse)
        .transpose()?;
    let state = ExportState {
        store,
        org,
        site: site.id,
        query: VerbatimQuery {
            filter,
            range,
            search: (!view.q.is_empty()).then(|| view.q.clone()),
            band: view.band,
            tag,
            comments_only: false,
            before: None,
            limit: EXPORT_PAGE,
        },
        tz: view.tz.clone(),
        format,
        first: true,
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut chunk = String::new();
        if s.first {
            s.first = false;
            chunk.push_str(match s.format {
                Format::Csv => CSV_HEADER,
                Format::Json => "[",
            });
        }
        let page = match s.store.verbatims(s.org, s.site, &s.query).await {
            Ok(page) => page,
            Err(e) => {
                // Headers are gone already: end the body early; the client sees a truncated file.
                tracing::error!(error = %e, "export failed mid-stream");
                return Some((Err(std::io::Error::other("export failed")), s));
            }
        };
        let mut page = page;
        if localise_times(&mut page, &s.tz).is_err() {
            return Some((Err(std::io::Error::other("bad zone")), s));
        }
        for v in &page {
            match s.format {
                Format::Csv => chunk.push_str(&csv_row(v)),
                Format::Json => {
                    if s.query.before.is_some() || !chunk.ends_with('[') {
                        chunk.push(',');
                    }
                    chunk.push_str(&serde_json::to_string(v).unwrap_or_default());
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == EXPORT_PAGE as usize => {
                s.query.before = Some(app::store::PageEnd {
                    received_at: last.received_at,
                    id: last.id,
                });
            }
            _ => {
                s.done = true;
                if s.format == Format::Json {
                    chunk.push(']');
                }
            }
        }
        Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), s))
    });
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let filename = format!(
        "farewell-{}-{}-{}.{extension}",
        site.site_key, view.from, view.to
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .map_err(|e| ApiError::Internal(e.into()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
