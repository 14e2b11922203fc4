//! `GET /api/v1/sites/{site_key}/summary`: NPS figures for an API token's organisation.

use super::error::ApiError;
use super::extract::ApiOrg;
use app::domain::FieldError;
use app::store::{SharedStore, TimeRange};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Inclusive start: an RFC 3339 instant or a date (its UTC midnight).
    pub from: Option<String>,
    /// Exclusive end as an instant; a date includes that whole day (UTC).
    pub to: Option<String>,
}

/// NPS figures for a range: counts, the score on the −100…100 scale, its standard error and
/// 95 % interval.
#[derive(Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SummaryBody {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// −100…100; null without answers.
    pub nps: Option<f64>,
    pub se: Option<f64>,
    /// Adjusted Wald 95 % interval on the −100…100 scale.
    pub ci95: Option<[f64; 2]>,
}

fn parse_bound(field: &str, raw: &str, end: bool) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        use chrono::Datelike;
        let instant = instant.with_timezone(&Utc);
        if !app::report::REPORT_YEARS.contains(&instant.year()) {
            return Err(FieldError::new(field, "must be between 2000 and 2100"));
        }
        return Ok(instant);
    }
    if NaiveDate::parse_from_str(raw, "%Y-%m-%d").is_err() {
        return Err(FieldError::new(
            field,
            "must be a date (YYYY-MM-DD) or an RFC 3339 time",
        ));
    }
    let date = app::report::parse_report_date(field, raw)?;
    let date = if end {
        date.checked_add_days(Days::new(1))
            .ok_or_else(|| FieldError::new(field, "is out of range"))?
    } else {
        date
    };
    Ok(date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc())
}

pub fn parse_range(query: &RangeQuery) -> Result<TimeRange, FieldError> {
    let all = TimeRange::all_time();
    let from = query
        .from
        .as_deref()
        .map(|f| parse_bound("from", f, false))
        .transpose()?
        .unwrap_or(all.from);
    let to = query
        .to
        .as_deref()
        .map(|t| parse_bound("to", t, true))
        .transpose()?
        .unwrap_or(all.to);
    if from > to {
        return Err(FieldError::new("to", "must not be before from"));
    }
    Ok(TimeRange { from, to })
}

/// `GET /api/v1/sites/{site_key}/summary`: NPS figures over a range.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site_key}/summary",
    tag = "reporting",
    security(("token" = [])),
    params(("site_key" = String, Path, description = "the site's public key, as in its embed snippet", example = "st_3f2a9c0d1e4b5a6c7d8e"), RangeQuery),
    responses(
        (status = 200, description = "the figures (nulls without answers)", body = SummaryBody),
        (status = 401, description = "no valid API token", body = super::public_api::ErrorBody),
        (status = 404, description = "no such site in the token's organisation", body = super::public_api::ErrorBody),
        (status = 422, description = "a range that does not parse", body = super::public_api::ErrorBody),
    )
)]
pub async fn site_summary(
    State(store): State<SharedStore>,
    ApiOrg(org): ApiOrg,
    Path(site_key): Path<String>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<SummaryBody>, ApiError> {
    let Query(query) = query.map_err(|e| FieldError::new("query", e.body_text()))?;
    let range = parse_range(&query)?;
    // Another organisation's site is simply not found: no hint that it exists.
    let site_key =
        app::domain::SiteKey::parse("site_key", &site_key).map_err(|_| ApiError::NotFound)?;
    let site = store
        .site_by_key(org, &site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let summary = store.score_counts(org, site.id, range).await?.summary();
    Ok(Json(SummaryBody {
        n: summary.n(),
        promoters: summary.promoters,
        passives: summary.passives,
        detractors: summary.detractors,
        nps: summary.nps(),
        se: summary.standard_error(),
        ci95: summary.adjusted_wald_ci95().map(|i| [i.lo, i.hi]),
    }))
}
