//! The public REST API's response bodies, apart from the dashboard's own types: a field the
//! dashboard adds for a chart does not reach API clients unless it is added here, and then the
//! OpenAPI snapshot (`openapi.rs`) shows it in review. Each is built from what the app computed.

use app::nps::ScoreCounts;
use app::report::{Report, Verbatim};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Counts of answers per score, index 0 to 10.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Vec<u64>)]
pub struct Counts(pub [u64; 11]);

impl From<&ScoreCounts> for Counts {
    fn from(c: &ScoreCounts) -> Counts {
        Counts(c.0)
    }
}

/// A dashboard view as JSON: trend buckets, totals, the comparison period, the widget's funnel,
/// one dimension's segments, the first page of comments, and tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub site_name: String,
    pub site_key: String,
    pub surveys: Vec<SurveyRef>,
    pub view: ViewBody,
    pub periods: Vec<PeriodBody>,
    /// All answers in the range (with the survey and segment filters).
    pub total: Counts,
    /// The range of the same length before, for the comparison.
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    pub previous: Counts,
    pub funnel: FunnelBody,
    /// Score counts per value of `view.by`.
    pub segments: Vec<SegmentBody>,
    pub verbatims: Vec<AnswerBody>,
    /// Whether older comments exist beyond this page.
    pub more_verbatims: bool,
    /// Tags in use on this site, each with how many answers carry it: `[tag, count]`.
    #[schema(value_type = Vec<Vec<String>>)]
    pub tags: Vec<(String, u64)>,
    /// Answers older than this many days are deleted; their scores still count.
    pub retention_days: Option<u32>,
    /// The NPS corrected for who did not answer (each answer weighted by the inverse of its
    /// context's response rate); `null` when there are too few impressions.
    pub adjusted: Option<AdjustedBody>,
}

/// The NPS corrected for non-response, its 95 % interval `[low, high]`, and its effective
/// sample size (Kish).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustedBody {
    pub nps: f64,
    pub ci95: [f64; 2],
    pub effective_n: f64,
}

/// The themes of a view's comments: terms ranked by the weighted log-odds ratio with an
/// informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), detractors against promoters
/// and this period against the previous one of the same length.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemesBody {
    /// Comments read (every band); at most 5,000, the newest, when `sampled`.
    pub comments: u64,
    pub sampled: bool,
    pub detractor_terms: Vec<ThemeTermBody>,
    pub promoter_terms: Vec<ThemeTermBody>,
    pub emerging: Vec<EmergingTermBody>,
}

/// A term (a word, or two side by side, as most often written), its z-score, how many
/// detractors' and promoters' comments hold it, and up to three of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeTermBody {
    pub term: String,
    pub z: f64,
    pub detractors: u64,
    pub promoters: u64,
    pub examples: Vec<String>,
}

/// A term more frequent this period than in the previous one of the same length.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmergingTermBody {
    pub term: String,
    pub z: f64,
    pub this_period: u64,
    pub previous_period: u64,
}

impl From<app::report::themes::Themes> for ThemesBody {
    fn from(t: app::report::themes::Themes) -> ThemesBody {
        let terms = |terms: Vec<app::report::themes::ThemeTerm>| {
            terms
                .into_iter()
                .map(|t| ThemeTermBody {
                    term: t.term,
                    z: t.z,
                    detractors: t.detractors,
                    promoters: t.promoters,
                    examples: t.examples,
                })
                .collect()
        };
        ThemesBody {
            comments: t.comments,
            sampled: t.sampled,
            detractor_terms: terms(t.detractor_terms),
            promoter_terms: terms(t.promoter_terms),
            emerging: t
                .emerging
                .into_iter()
                .map(|e| EmergingTermBody {
                    term: e.term,
                    z: e.z,
                    this_period: e.this_period,
                    previous_period: e.previous_period,
                })
                .collect(),
        }
    }
}

/// The drivers of a view's NPS: each segment value against its dimension's most common value,
/// raw and with the other dimensions held fixed (a ridge-regularised linear model of
/// 100 × (promoter − detractor) with robust standard errors).
#[derive(Debug, Serialize, ToSchema)]
pub struct DriversBody {
    /// Answers the model was fitted on; at most 20,000, the newest, when `sampled`.
    pub n: u64,
    pub sampled: bool,
    pub effects: Vec<DriverEffectBody>,
}

/// One value's effect, in NPS points against `reference`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriverEffectBody {
    /// country, device, browser, language, page, trigger, or theme (a saved theme: the value is
    /// its name, against `not <name>`).
    pub dimension: String,
    pub value: String,
    pub reference: String,
    pub answers: u64,
    pub raw: f64,
    pub adjusted: f64,
    /// The adjusted effect's 95 % interval: `[low, high]`.
    pub ci95: [f64; 2],
    /// Raw and adjusted point opposite ways and the adjusted effect is clear of zero.
    pub reversed: bool,
}

impl From<app::report::drivers::Drivers> for DriversBody {
    fn from(d: app::report::drivers::Drivers) -> DriversBody {
        DriversBody {
            n: d.n,
            sampled: d.sampled,
            effects: d
                .effects
                .into_iter()
                .map(|e| DriverEffectBody {
                    dimension: e.dimension.as_str().to_owned(),
                    value: e.value,
                    reference: e.reference,
                    answers: e.answers,
                    raw: e.raw,
                    adjusted: e.adjusted,
                    ci95: [e.ci95.0, e.ci95.1],
                    reversed: e.reversed,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyRef {
    pub id: Uuid,
    pub name: String,
}

/// The view the figures are for, as the query string asked for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewBody {
    pub survey: Option<Uuid>,
    /// First day, in `tz`.
    pub from: NaiveDate,
    /// Last day (inclusive), in `tz`.
    pub to: NaiveDate,
    /// IANA zone.
    pub tz: String,
    /// day, week or month.
    pub bucket: String,
    pub segment: Option<SegmentFilterBody>,
    /// The dimension of `segments`.
    pub by: String,
    /// Words that must all occur in the comment.
    pub q: String,
    /// detractor, passive or promoter.
    pub band: Option<String>,
    pub tag: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentFilterBody {
    pub dimension: String,
    pub value: String,
}

/// One bucket of the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodBody {
    /// "2026-11-29", "2026-W48" or "2026-11".
    pub label: String,
    /// First day of the bucket, in the view's zone.
    pub start: NaiveDate,
    pub counts: Counts,
    /// The bucket's NPS corrected for who did not answer (the view's response rates per
    /// context); `null` without a correction or with under 10 answers read in the bucket.
    pub adjusted_nps: Option<f64>,
}

/// What the widget reported: surveys shown, closed unanswered, and answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelBody {
    pub shown: u64,
    pub dismissed: u64,
    pub answered: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentBody {
    /// "" for answers that did not carry the dimension.
    pub value: String,
    pub counts: Counts,
}

/// One answer with its usage context, never who gave it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerBody {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub score: u8,
    pub comment: Option<String>,
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub page_path: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub country: Option<String>,
    pub trigger: Option<String>,
    pub referrer: Option<String>,
    /// Only where the respondent chose to be contacted.
    pub contact_email: Option<String>,
    pub tags: Vec<String>,
    /// The saved themes its comment holds (none until it is counted, within a second).
    pub themes: Vec<String>,
    /// Pages of the site viewed in the visit.
    pub pages_viewed: Option<u16>,
    /// Seconds on the site in the visit: the start of its bucket (0, 10, 30, 60, 120, 300,
    /// 600, 1800, 3600).
    pub seconds_on_site: Option<u32>,
    /// JavaScript errors the site's pages raised in the visit (a count only).
    pub errors_seen: Option<u16>,
    /// The exit reason chosen: the key of an option the survey offers.
    pub reason: Option<String>,
    /// The site's declared attributes it carried (`{"plan": "pro"}`).
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The received time in the view's zone.
    pub local_time: String,
}

impl From<&Verbatim> for AnswerBody {
    fn from(v: &Verbatim) -> AnswerBody {
        AnswerBody {
            id: v.id,
            survey_id: v.survey_id,
            score: v.score,
            comment: v.comment.clone(),
            received_at: v.received_at,
            language: v.language.clone(),
            page_path: v.page_path.clone(),
            device: v.device.clone(),
            browser: v.browser.clone(),
            country: v.country.clone(),
            trigger: v.trigger.clone(),
            referrer: v.referrer.clone(),
            contact_email: v.contact_email.clone(),
            tags: v.tags.clone(),
            themes: v.themes.clone(),
            pages_viewed: v.pages_viewed,
            seconds_on_site: v.seconds_on_site,
            errors_seen: v.errors_seen,
            reason: v.reason.clone(),
            attributes: v
                .attributes
                .iter()
                .map(|(k, value)| (k.as_str().to_owned(), value.to_owned()))
                .collect(),
            local_time: v.local_time.clone(),
        }
    }
}

impl From<&Report> for ReportBody {
    fn from(r: &Report) -> ReportBody {
        let v = &r.view;
        ReportBody {
            site_name: r.site_name.clone(),
            site_key: r.site_key.clone(),
            surveys: r
                .surveys
                .iter()
                .map(|s| SurveyRef {
                    id: s.id,
                    name: s.name.clone(),
                })
                .collect(),
            view: ViewBody {
                survey: v.survey,
                from: v.from,
                to: v.to,
                tz: v.tz.clone(),
                bucket: v.bucket.as_str().to_owned(),
                segment: v.segment.as_ref().map(|s| SegmentFilterBody {
                    dimension: s.dimension.as_str().to_owned(),
                    value: s.value.clone(),
                }),
                by: v.by.as_str().to_owned(),
                q: v.q.clone(),
                band: v.band.map(|b| b.as_str().to_owned()),
                tag: v.tag.clone(),
            },
            periods: r
                .periods
                .iter()
                .enumerate()
                .map(|(i, p)| PeriodBody {
                    label: p.label.clone(),
                    start: p.start,
                    counts: (&p.counts).into(),
                    adjusted_nps: r.adjusted_periods.get(i).copied().flatten().map(|a| a.nps),
                })
                .collect(),
            total: (&r.total).into(),
            previous_from: r.previous_from,
            previous_to: r.previous_to,
            previous: (&r.previous).into(),
            funnel: FunnelBody {
                shown: r.funnel.shown,
                dismissed: r.funnel.dismissed,
                answered: r.funnel.answered,
            },
            segments: r
                .segments
                .iter()
                .map(|s| SegmentBody {
                    value: s.value.clone(),
                    counts: (&s.counts).into(),
                })
                .collect(),
            verbatims: r.verbatims.iter().map(AnswerBody::from).collect(),
            more_verbatims: r.more_verbatims,
            tags: r.tags.clone(),
            retention_days: r.retention_days,
            adjusted: r.adjusted.map(|a| AdjustedBody {
                nps: a.nps,
                ci95: [a.ci95.0, a.ci95.1],
                effective_n: a.effective_n,
            }),
        }
    }
}

/// An answer stored (201) or already stored under this id (200).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredBody {
    pub id: Uuid,
    /// `true` when this request stored it.
    pub stored: bool,
}

/// One item's outcome in a batch, by its id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    pub id: Uuid,
    /// What the item alone would have been answered: 200, 201, 403, 404, 409, 422 or 500.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchBody {
    pub results: Vec<ItemResult>,
    /// The participation the batch recorded, if it changed it.
    pub opted_out: Option<bool>,
}

/// Every error of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// unauthorized, not_found, forbidden, invalid, too_large, conflict, throttled,
    /// origin_not_allowed, opted_out, amend_window_passed, unavailable or internal.
    pub error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// With `invalid`: the field refused, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With `throttled`: seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    pub fn new(error: &'static str) -> ErrorBody {
        ErrorBody {
            error,
            message: None,
            field: None,
            reason: None,
            retry_after: None,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> ErrorBody {
        self.message = Some(message.into());
        self
    }
}

/// The view a reporting request asks for, as query parameters, all optional. Documentation only:
/// the handlers read the query through `app::report::ViewParams`, which owns the rules.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ViewQuery {
    /// First day, YYYY-MM-DD, in tz.
    from: Option<String>,
    /// Last day (inclusive).
    to: Option<String>,
    /// IANA zone, default UTC.
    tz: Option<String>,
    /// day | week | month.
    bucket: Option<String>,
    /// A survey id.
    survey: Option<String>,
    /// dimension:value, e.g. device:mobile, or theme:checkout for the answers holding a saved theme
    /// (theme: alone for those holding none).
    segment: Option<String>,
    /// The dimension of the segment table: country, device, browser, language, page, trigger, survey,
    /// theme (an answer may hold several themes, or none: "").
    by: Option<String>,
    /// Words that must all occur in the comment.
    q: Option<String>,
    /// detractor | passive | promoter.
    band: Option<String>,
    /// A tag.
    tag: Option<String>,
}
