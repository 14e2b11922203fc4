//! Computing a dashboard view on the server, for the page, the exports and the REST API alike.

use super::periods::{self, zone};
use super::{PeriodCounts, Report, SurveyChoice, ViewParams, VERBATIM_PAGE};
use crate::error::AppError;
use crate::nps::ScoreCounts;
use crate::store::{AnswerFilter, SharedStore, Site, TimeRange, VerbatimQuery};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Reads a view from query parameters: the zone first, since "today" depends on it.
pub fn parse_view(get: impl Fn(&str) -> Option<String>) -> Result<ViewParams, AppError> {
    let tz = match get("tz").filter(|t| !t.trim().is_empty()) {
        Some(name) => zone(name.trim())?,
        None => chrono_tz::UTC,
    };
    let today = Utc::now().with_timezone(&tz).date_naive();
    Ok(ViewParams::from_query(get, today)?)
}

/// The answer filter and the UTC range a view covers.
pub fn scope(view: &ViewParams) -> Result<(AnswerFilter, TimeRange), AppError> {
    let tz = zone(&view.tz)?;
    Ok((
        AnswerFilter {
            survey: view.survey,
            segment: view.segment.clone(),
        },
        periods::range(tz, view.from, view.to),
    ))
}

/// Everything one view shows, for a site of `org` (the caller has checked membership).
pub async fn build_report(
    store: &SharedStore,
    org: Uuid,
    site: Site,
    view: ViewParams,
    before: Option<crate::store::PageEnd>,
) -> Result<Report, AppError> {
    let tz = zone(&view.tz)?;
    let surveys: Vec<SurveyChoice> = store
        .surveys(org, site.id)
        .await?
        .into_iter()
        .map(|s| SurveyChoice {
            id: s.id,
            name: s.name,
        })
        .collect();
    if let Some(survey) = view.survey {
        if !surveys.iter().any(|s| s.id == survey) {
            return Err(AppError::invalid("survey", "is not a survey of this site"));
        }
    }
    let buckets = periods::periods(tz, view.from, view.to, view.bucket)?;
    let (filter, range) = scope(&view)?;
    let counts = store
        .period_counts(org, site.id, &filter, &buckets.boundaries)
        .await?;
    let mut total = ScoreCounts::default();
    counts.iter().for_each(|c| total.merge(c));
    let periods = buckets
        .labels
        .into_iter()
        .zip(counts)
        .map(|((label, start), counts)| PeriodCounts {
            label,
            start,
            counts,
        })
        .collect();

    let (previous_from, previous_to) = view.previous_range();
    let previous_range = periods::range(tz, previous_from, previous_to);
    let previous = store
        .period_counts(
            org,
            site.id,
            &filter,
            &[previous_range.from, previous_range.to],
        )
        .await?
        .pop()
        .unwrap_or_default();

    let funnel = store
        .impression_counts(org, site.id, &filter, range)
        .await?;
    let saved_themes = store.saved_themes(org, site.id).await?;
    let mut segments = store
        .segment_counts(org, site.id, view.survey, view.by, range)
        .await?;
    // An answer may be in several of a theme's rows or in none, and in none of an attribute's
    // when it did not carry it: shares are of all answers.
    let segments_total =
        if view.by.multi_valued() || matches!(view.by, super::Dimension::Attribute(_)) {
            // A deleted theme's counts stay only for answers that retention removed before a walk
            // could move them: it is no longer a segment.
            if view.by.multi_valued() {
                segments.retain(|s| {
                    s.value.is_empty() || saved_themes.iter().any(|t| t.name.as_str() == s.value)
                });
            }
            store
                .period_counts(
                    org,
                    site.id,
                    &AnswerFilter {
                        survey: view.survey,
                        segment: None,
                    },
                    &[range.from, range.to],
                )
                .await?
                .pop()
                .unwrap_or_default()
        } else {
            let mut total = ScoreCounts::default();
            segments.iter().for_each(|s| total.merge(&s.counts));
            total
        };
    let tagging = store.tagging_past_answers(org, site.id).await?;

    let mut verbatims = store
        .verbatims(
            org,
            site.id,
            &VerbatimQuery {
                filter,
                range,
                search: (!view.q.is_empty()).then(|| view.q.clone()),
                band: view.band,
                tag: view.tag.as_deref().map(super::Tag::parse).transpose()?,
                comments_only: true,
                before,
                limit: VERBATIM_PAGE + 1,
            },
        )
        .await?;
    let more_verbatims = verbatims.len() > VERBATIM_PAGE as usize;
    verbatims.truncate(VERBATIM_PAGE as usize);
    let tags = store
        .site_tags(org, site.id)
        .await?
        .into_iter()
        .map(|t| (t.tag, t.answers))
        .collect();
    let retention_days = store.retention_days(org).await?;
    let attribute_keys = store
        .site_attributes(org, site.id)
        .await?
        .map(|a| a.keys)
        .unwrap_or_default();

    Ok(Report {
        site_name: site.name,
        site_key: site.site_key,
        surveys,
        view,
        periods,
        total,
        previous_from,
        previous_to,
        previous,
        funnel,
        segments,
        segments_total,
        saved_themes,
        tagging,
        verbatims,
        more_verbatims,
        tags,
        retention_days,
        refused: vec![],
        // The page that asked for it says how its viewer writes numbers, and asks for themes.
        numbers: Default::default(),
        themes: Default::default(),
        drivers: Default::default(),
        adjusted: None,
        adjusted_periods: vec![],
        loop_closed: None,
        org_id: None,
        attribute_keys,
        accounts: None,
    })
}

/// Writes each answer's received time in the view's zone.
pub fn localise_times(verbatims: &mut [super::Verbatim], tz: &str) -> Result<(), AppError> {
    let tz = zone(tz)?;
    for v in verbatims {
        v.local_time = v
            .received_at
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M")
            .to_string();
    }
    Ok(())
}

/// The aggregated report behind a share link: the last whole periods of four weeks (UTC) of
/// its length, every figure run through the k-anonymity rules of each period before it leaves
/// the server (see `share`: why periods, and why fixed).
pub async fn build_shared(
    store: &SharedStore,
    site: Site,
    scope: crate::store::ShareScope,
    now: DateTime<Utc>,
    amend_window: chrono::Duration,
) -> Result<super::share::SharedReport, AppError> {
    use super::share::{
        period_starts, periods_end, periods_for, publish_periods, PeriodCells, SharedFigure,
        SharedRow, SharedSegments, PERIOD_DAYS,
    };
    use super::Dimension;
    let k = u64::from(scope.settings.k);
    let org = scope.org;
    // The window ends with the last period that is over, and over for longer than an answer
    // can still be amended: today's answers (even one that arrives between two loads of the
    // page), and amendments to the last period's, change nothing.
    let settled = now - amend_window;
    let end = periods_end(settled.date_naive());
    let starts = period_starts(end, periods_for(scope.days));
    let boundaries: Vec<DateTime<Utc>> = starts
        .iter()
        .chain(std::iter::once(&end))
        .map(|day| periods::start_of_day(chrono_tz::UTC, *day))
        .collect();
    let totals = store
        .period_counts(org, site.id, &AnswerFilter::default(), &boundaries)
        .await?;
    const DIMENSIONS: [Dimension; 4] = [
        Dimension::Country,
        Dimension::Device,
        Dimension::Browser,
        Dimension::Language,
    ];
    // Every cell of every dimension in every period, answers without the value included
    // ("not known"), so each dimension adds up to the period's total: the suppression reasons
    // over whole partitions.
    let mut periods = Vec::with_capacity(starts.len());
    for (bounds, total) in boundaries.windows(2).zip(totals) {
        let range = TimeRange {
            from: bounds[0],
            to: bounds[1],
        };
        let mut dimensions = Vec::with_capacity(DIMENSIONS.len());
        for dimension in DIMENSIONS {
            let rows = store
                .segment_counts(org, site.id, None, dimension, range)
                .await?;
            dimensions.push(
                rows.into_iter()
                    .filter(|r| r.counts.n() > 0)
                    .map(|r| (r.value, r.counts))
                    .collect(),
            );
        }
        periods.push(PeriodCells { total, dimensions });
    }
    let published = publish_periods(&periods, k);
    let days = i64::from(PERIOD_DAYS) - 1;
    let trend = starts
        .iter()
        .zip(published.trend)
        .map(|(start, figure)| SharedRow {
            label: format!("{start} – {}", *start + chrono::Duration::days(days)),
            figure,
        })
        .collect();
    // A hidden segment row keeps no label: even "at least one answer came from Iceland"
    // says something. The hidden ones are shown as one row.
    let segments = DIMENSIONS
        .iter()
        .zip(published.dimensions)
        .map(|(dimension, values)| {
            let (shown, hidden): (Vec<SharedRow>, Vec<SharedRow>) = values
                .into_iter()
                .map(|(value, figure)| SharedRow {
                    label: if value.is_empty() {
                        "(not known)".to_string()
                    } else {
                        value
                    },
                    figure,
                })
                .partition(|r| r.figure != SharedFigure::Hidden);
            let mut rows = shown;
            if !hidden.is_empty() {
                rows.push(SharedRow {
                    label: "Other values".into(),
                    figure: SharedFigure::Hidden,
                });
            }
            SharedSegments {
                dimension: dimension.label().to_string(),
                rows,
            }
        })
        .collect();
    Ok(super::share::SharedReport {
        site_name: site.name,
        days: PERIOD_DAYS * starts.len() as u32,
        through: end - chrono::Duration::days(1),
        k,
        total: published.total,
        trend,
        segments,
    })
}
