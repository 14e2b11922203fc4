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

/// The aggregated report behind a share link: the last `days` days (UTC), every figure run
/// through the k-anonymity rules before it leaves the server.
pub async fn build_shared(
    store: &SharedStore,
    site: Site,
    scope: crate::store::ShareScope,
    now: DateTime<Utc>,
    amend_window: chrono::Duration,
) -> Result<super::share::SharedReport, AppError> {
    use super::share::{publish, SharedRow, SharedSegments};
    use super::{Dimension, Granularity};
    let k = u64::from(scope.settings.k);
    let org = scope.org;
    // The window ends with the last day that is over in the organisation's zone, and over for
    // longer than an answer can still be amended: today's answers (even one that arrives
    // between two loads of the page), and amendments to yesterday's, change nothing.
    let tz = zone(&scope.settings.time_zone).unwrap_or(chrono_tz::UTC);
    let settled = now - amend_window;
    let through = settled.with_timezone(&tz).date_naive() - chrono::Duration::days(1);
    let from = through - chrono::Duration::days(i64::from(scope.days) - 1);
    let granularity = match scope.days {
        0..=62 => Granularity::Day,
        63..=400 => Granularity::Week,
        _ => Granularity::Month,
    };
    let buckets = periods::periods(tz, from, through, granularity)?;
    let counts = store
        .period_counts(org, site.id, &AnswerFilter::default(), &buckets.boundaries)
        .await?;
    let mut total = ScoreCounts::default();
    counts.iter().for_each(|c| total.merge(c));
    let range = periods::range(tz, from, through);
    const DIMENSIONS: [Dimension; 4] = [
        Dimension::Country,
        Dimension::Device,
        Dimension::Browser,
        Dimension::Language,
    ];
    // Every cell of every dimension, answers without the value included ("not known"), so
    // each dimension adds up to the same total: the suppression reasons over whole partitions.
    let mut labels: Vec<Vec<String>> = vec![buckets.labels.into_iter().map(|(l, _)| l).collect()];
    let mut cells: Vec<Vec<ScoreCounts>> = vec![counts];
    for dimension in DIMENSIONS {
        let mut rows = store
            .segment_counts(org, site.id, None, dimension, range)
            .await?;
        rows.retain(|r| r.counts.n() > 0);
        rows.sort_by(|a, b| a.value.cmp(&b.value));
        labels.push(
            rows.iter()
                .map(|r| {
                    if r.value.is_empty() {
                        "(not known)".to_string()
                    } else {
                        r.value.clone()
                    }
                })
                .collect(),
        );
        cells.push(rows.into_iter().map(|r| r.counts).collect());
    }
    let published = publish(&total, &cells, k);
    let mut rows = labels
        .into_iter()
        .zip(published.dimensions)
        .map(|(labels, figures)| {
            labels
                .into_iter()
                .zip(figures)
                .map(|(label, figure)| SharedRow { label, figure })
                .collect::<Vec<_>>()
        });
    let trend = rows.next().unwrap_or_default();
    // A hidden segment row keeps no label: even "at least one answer came from Iceland"
    // says something. The hidden ones are shown as one row.
    let segments = DIMENSIONS
        .iter()
        .zip(rows)
        .map(|(dimension, rows)| {
            let (shown, hidden): (Vec<SharedRow>, Vec<SharedRow>) = rows
                .into_iter()
                .partition(|r| r.figure != super::share::SharedFigure::Hidden);
            let mut rows = shown;
            if !hidden.is_empty() {
                rows.push(SharedRow {
                    label: "Other values".into(),
                    figure: super::share::SharedFigure::Hidden,
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
        days: scope.days,
        through,
        k,
        total: published.total,
        trend,
        segments,
    })
}
