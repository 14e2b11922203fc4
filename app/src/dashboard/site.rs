//! One site's dashboard: trend, split, histogram, funnel, comparison, segments and verbatims
//! for the view its URL describes.

use super::charts::{Histogram, SplitChart, TrendChart};
use super::Numbers;
use crate::error::AppError;
use crate::nps::{p_value_text, Band, Comparison, Verdict};
use crate::report::{
    rank_segments, Dimension, Granularity, Report, SegmentFilter, Verbatim, ViewParams, ALPHA,
    ALPHA_TEXT, MIN_ANSWERS,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use uuid::Uuid;

#[server(prefix = "/fn", endpoint = "site_report")]
pub async fn site_report(
    site_key: String,
    #[server(default)] query: String,
) -> Result<Report, AppError> {
    match load_report(site_key.clone(), query).await {
        Err(AppError::Unauthorized) => {
            leptos_axum::redirect(&crate::auth::sign_in_path(&format!(
                "/dashboard/{site_key}"
            )));
            Err(AppError::Unauthorized)
        }
        other => other,
    }
}

/// The accounts table of the view: `None` when no answer in it carries an account. `account`:
/// an account id the viewer looks up, hashed as the site hashes it.
#[cfg(feature = "ssr")]
async fn accounts(
    store: &crate::store::SharedStore,
    org: Uuid,
    site: Uuid,
    view: &ViewParams,
    range: crate::store::TimeRange,
    account: Option<String>,
) -> Result<Option<crate::report::accounts::Accounts>, AppError> {
    let tz = crate::report::periods::zone(&view.tz)?;
    let (from, to) = view.previous_range();
    let previous = crate::report::periods::range(tz, from, to);
    let (filter, _) = crate::report::build::scope(view)?;
    let counts = store
        .account_counts(org, site, &filter, range, previous)
        .await?;
    let looked_up = match &account {
        Some(id) => {
            let id = crate::domain::ExternalId::parse("account", id)?;
            let secret = store
                .identity_secrets(org)
                .await?
                .into_iter()
                .find(|(s, _)| *s == site)
                .map(|(_, secret)| secret);
            // A site that never took an id has no secret: no account of it can be found.
            Some(secret.map_or_else(String::new, |secret| {
                crate::tokens::identity_hash(&secret, "account", id.expose())
            }))
        }
        None => None,
    };
    if counts.is_empty() && looked_up.is_none() {
        return Ok(None);
    }
    let counts = counts
        .into_iter()
        .map(|c| (c.account_hash, c.current, c.previous))
        .collect();
    let lookup = account.as_deref().map(str::trim).zip(looked_up.as_deref());
    Ok(Some(crate::report::accounts::build(counts, lookup)))
}

#[cfg(feature = "ssr")]
async fn load_report(site_key: String, query: String) -> Result<Report, AppError> {
    use crate::report::{build, RefusedParam};
    // Contexts first, before any await (see `auth::require_member`).
    let store = crate::auth::store()?;
    // A view without a zone is shown in the viewer's (the cookie every member's page sets).
    let viewer_zone = viewer_zone();
    let member = crate::auth::require_member().await?;
    let (membership, site) = member.site(&store, &site_key).await?;
    let pairs = crate::report::parse_query(&query);
    let typed = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    // A parameter the view cannot use never costs the page: it is left out and named, and the
    // report is of the view without it (each refused field falls back to its default).
    let mut refused: Vec<RefusedParam> = vec![];
    loop {
        let get = |key: &str| {
            if refused.iter().any(|r| r.field == key) {
                return None;
            }
            typed(key).or_else(|| (key == "tz").then(|| viewer_zone.clone()).flatten())
        };
        let attempt = async {
            let view = build::parse_view(get)?;
            let before = get("before")
                .map(|b| parse_cursor(&b))
                .transpose()?
                .map(|(received_at, id)| crate::store::PageEnd { received_at, id });
            let org = membership.org_id;
            // The view first: a parameter it refuses is found before the analyses run.
            let mut report =
                build::build_report(&store, org, site.clone(), view.clone(), before).await?;
            // The themes, and the drivers with the corrected NPS, read at once.
            let (themes, analyses) = tokio::join!(
                crate::report::themes::build_themes(&store, org, site.id, &view),
                async {
                    let sample =
                        crate::report::drivers::read_sample(&store, org, site.id, &view).await?;
                    let adjusted = crate::report::nonresponse::build_corrected(
                        &store, org, site.id, &view, &sample,
                    )
                    .await?;
                    let drivers = crate::report::drivers::build_drivers(sample).await?;
                    Ok::<_, AppError>((drivers, adjusted))
                }
            );
            report.themes = themes?;
            let (drivers, adjusted) = analyses?;
            report.drivers = drivers;
            if let Some((whole, periods)) = adjusted {
                report.adjusted = Some(whole);
                report.adjusted_periods = periods;
            }
            build::localise_times(&mut report.verbatims, &report.view.tz)?;
            let range = crate::report::periods::range(
                crate::report::periods::zone(&view.tz)?,
                view.from,
                view.to,
            );
            report.loop_closed = Some(
                store
                    .loop_closed(org, site.id, range.from, range.to)
                    .await?,
            );
            report.org_id = Some(org);
            // A blank lookup is no lookup.
            let account = get("account").filter(|a| !a.trim().is_empty());
            report.accounts = accounts(&store, org, site.id, &view, range, account).await?;
            Ok::<Report, AppError>(report)
        };
        match attempt.await {
            Ok(mut report) => {
                report.refused = refused;
                report.numbers = Numbers::of_this_request();
                return Ok(report);
            }
            Err(AppError::Invalid(e))
                if typed(&e.field).is_some() && !refused.iter().any(|r| r.field == e.field) =>
            {
                // Echoed in the page: bounded, so a crafted link cannot write a paragraph there.
                let mut shown: String = typed(&e.field)
                    .unwrap_or_default()
                    .chars()
                    .take(64)
                    .collect();
                if typed(&e.field).is_some_and(|t| t.chars().count() > 64) {
                    shown.push('…');
                }
                refused.push(RefusedParam {
                    typed: shown,
                    field: e.field,
                    reason: e.reason,
                });
            }
            Err(e) => return Err(e),
        }
    }
}

/// The viewer's time zone from their cookie, if it names a known zone (anything else is
/// ignored, never an error: the cookie is the browser's word, not the viewer's request).
#[cfg(feature = "ssr")]
pub(crate) fn viewer_zone() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == crate::VIEWER_ZONE_COOKIE).then(|| value.trim().to_owned())
        })
        .filter(|zone| crate::report::periods::zone(zone).is_ok())
}

/// `before=<unix ms>_<id>`: where the next page of verbatims starts.
#[cfg(feature = "ssr")]
fn parse_cursor(raw: &str) -> Result<(chrono::DateTime<chrono::Utc>, Uuid), AppError> {
    let bad = || AppError::invalid("before", "is not a page cursor");
    let (ms, id) = raw.split_once('_').ok_or_else(bad)?;
    let at = ms
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

fn cursor_of(v: &Verbatim) -> String {
    format!("{}_{}", v.received_at.timestamp_millis(), v.id)
}

/// Adds a tag to an answer, or removes it (`remove` set). Any member may tag.
#[server(prefix = "/fn", endpoint = "tag_answer")]
pub async fn tag_answer(
    site_key: String,
    response: String,
    tag: String,
    #[server(default)] remove: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_status(set_tag(site_key, response, tag, remove.is_none()).await)
}

#[cfg(feature = "ssr")]
async fn set_tag(
    site_key: String,
    response: String,
    tag: String,
    present: bool,
) -> Result<(), AppError> {
    let store = crate::auth::store()?;
    let member = crate::auth::require_member().await?;
    let (membership, _site) = member.site(&store, &site_key).await?;
    let response =
        Uuid::parse_str(&response).map_err(|_| AppError::invalid("response", "is not an id"))?;
    let tag = crate::report::Tag::parse(&tag)?;
    if !store
        .set_tag(
            membership.org_id,
            response,
            &tag,
            present,
            chrono::Utc::now(),
        )
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[component]
pub fn SiteDashboardPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let tag = ServerAction::<TagAnswer>::new();
    let report = Resource::new(
        move || {
            (
                params.read().get("site_key").unwrap_or_default(),
                location.search.get(),
                tag.version().get(),
            )
        },
        |(site_key, search, _)| site_report(site_key, search.trim_start_matches('?').to_string()),
    );
    view! {
        <Title text="Dashboard · Farewell" />
        <main class="page wide">
            <p class="crumbs"><a href="/dashboard">"← All sites"</a></p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <ReportView report tag /> }.into_any(),
                        Err(AppError::NotFound) => {
                            crate::not_found_status();
                            view! { <h1>"Not found"</h1> }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

fn href(site_key: &str, view: &ViewParams) -> String {
    format!("/dashboard/{site_key}?{}", view.to_query())
}

#[component]
fn ReportView(report: Report, tag: ServerAction<TagAnswer>) -> impl IntoView {
    let key = report.site_key.clone();
    let view = report.view.clone();
    let query = view.to_query();
    let numbers = report.numbers;
    let total = report.total.summary();
    let n = numbers.count(total.n());
    let headline = match (total.nps(), total.adjusted_wald_ci95()) {
        (Some(nps), Some(ci)) if total.n() >= MIN_ANSWERS => view! {
            <p class="nps"><span class="nps-value" data-nps=format!("{nps:.4}")>{numbers.signed(nps)}</span>" NPS"</p>
            <p class="ci">"Likely between "<span class="ci-lo">{numbers.one_decimal(ci.lo)}</span>" and "<span class="ci-hi">{numbers.one_decimal(ci.hi)}</span>" (95 % interval), n = "<span class="n">{n}</span></p>
        }
        .into_any(),
        _ => view! { <p class="nps too-few">"Too few answers for an NPS ("<span class="n">{n}</span>")"</p> }.into_any(),
    };
    let corrected = match report.adjusted {
        Some(a) => view! {
            <p class="corrected" data-nps=format!("{:.4}", a.nps)>
                "Corrected for who did not answer: "<strong>{numbers.signed(a.nps)}</strong>
                ", likely between "{numbers.one_decimal(a.ci95.0)}" and "{numbers.one_decimal(a.ci95.1)}
                " (effective n = "{numbers.count(a.effective_n.round() as u64)}")"
            </p>
            <details class="method">
                <summary>"What the correction assumes"</summary>
                <p>"Each answer counts for the visitors who were asked in the same context (device, trigger, language, country) but did not answer: weighted by the inverse of that context's response rate, from the survey's impressions of the same time (contexts with under 50 impressions are merged into broader ones; no weight exceeds 5 times the median). It assumes that within a context, visitors who answered feel like those who did not. The effective n is what the weighted answers are worth as a plain sample (Kish)."</p>
            </details>
        }
        .into_any(),
        None => view! { <p class="corrected none">"Too few impressions to correct for who did not answer."</p> }.into_any(),
    };
    // An empty view says so where its charts would be, and how to widen it.
    let empty = total.n() == 0;
    let chart = move |chart: AnyView| {
        if empty {
            view! { <p class="empty">"No answers in this view. Widen the dates or clear a filter."</p> }.into_any()
        } else {
            chart
        }
    };
    let filter_note = view.segment.clone().map(|s| {
        let cleared = href(&key, &view.with(|v| v.segment = None));
        view! {
            <p class="active-filter">"Only "{s.dimension.label().to_owned()}" = "
                <strong>{segment_label(s.dimension, &s.value)}</strong>" "
                <a href=cleared class="clear-filter">"show all"</a>
            </p>
        }
    });
    view! {
        <header class="topbar">
            <h1>{report.site_name.clone()}</h1>
            <nav class="exports">
                <a href=format!("/dashboard/{key}/export.csv?{query}") download>"Export CSV"</a>
                " · "
                <a href=format!("/dashboard/{key}/export.json?{query}") download>"Export JSON"</a>
                {report.org_id.map(|org| view! { " · "<a href=format!("/admin/{org}/digest")>"Digest by e-mail"</a> })}
            </nav>
        </header>
        <Filters report=report.clone() />
        {filter_note}
        <section class="headline">
            <div class="totals">{headline}{corrected}</div>
            <ComparisonView report=report.clone() />
            {if report.view.segment.as_ref().is_some_and(|s| !s.dimension.on_impressions()) {
                view! { <p class="hint funnel-note">"No funnel for a theme: a theme is read from an answer's comment, and a survey shown or closed has none."</p> }.into_any()
            } else {
                view! { <FunnelView funnel=report.funnel numbers /> }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"NPS trend"</h2>
            {chart(view! { <TrendChart periods=report.periods.clone() numbers corrected=report.adjusted_periods.iter().map(|a| a.map(|a| a.nps)).collect() /> }.into_any())}
        </section>
        <div class="two-columns">
            <section class="panel">
                <h2>"Promoters, passives, detractors"</h2>
                {chart(view! { <SplitChart periods=report.periods.clone() numbers /> }.into_any())}
            </section>
            <section class="panel">
                <h2>"Scores"</h2>
                {chart(view! { <Histogram counts=report.total numbers /> }.into_any())}
            </section>
        </div>
        {report.loop_closed.zip(report.org_id).map(|(l, org)| view! { <LoopClosedView l org numbers /> })}
        <SegmentsView report=report.clone() />
        {report.accounts.clone().map(|accounts| view! { <AccountsView accounts view=view.clone() site_key=key.clone() numbers /> })}
        <super::drivers::DriversPanel drivers=report.drivers.clone() numbers />
        <super::themes::ThemesPanel themes=report.themes.clone() saved=report.saved_themes.clone() tagging=report.tagging site_key=key.clone() view=view.clone() numbers />
        <VerbatimsView report tag />
    }
}

/// How the range's detractors who asked to be contacted were followed up, with the way to
/// the inbox where they are.
#[component]
fn LoopClosedView(l: crate::report::LoopClosed, org: Uuid, numbers: Numbers) -> impl IntoView {
    let inbox = format!("/admin/{org}/inbox");
    let body = if l.detractors == 0 {
        view! { <p class="empty">"No detractor in this range asked to be contacted."</p> }
            .into_any()
    } else {
        let share = f64::from(l.contacted) / f64::from(l.detractors) * 100.0;
        let median = l
            .median_first_contact_secs
            .map(crate::report::wait_text)
            .unwrap_or_else(|| "none contacted yet".into());
        view! {
            <p class="loop-closed" data-share=format!("{share:.1}")>
                "Loop closed: "<strong>{format!("{} %", numbers.one_decimal(share))}</strong>
                " ("{numbers.count(u64::from(l.contacted))}" of "{numbers.count(u64::from(l.detractors))}
                " detractors who asked to be contacted)"
            </p>
            <p class="first-contact">"Median time to first contact: "<strong>{median}</strong></p>
        }
        .into_any()
    };
    view! {
        <section class="panel follow-up-summary">
            <h2>"Closing the loop"</h2>
            {body}
            <p class="hint">"Every answer of the range, whatever the filters above."</p>
            <p><a href=inbox>"Follow-up inbox →"</a></p>
        </section>
    }
}

/// NPS by account, the worst first, with the change from the range before; an account is
/// found by its id (hashed as the site hashes it, never stored or shown).
#[component]
fn AccountsView(
    accounts: crate::report::accounts::Accounts,
    view: ViewParams,
    site_key: String,
    numbers: Numbers,
) -> impl IntoView {
    let rows = accounts
        .rows
        .iter()
        .map(|r| {
            let nps = r
                .current
                .summary()
                .nps()
                .map(|n| numbers.signed(n))
                .unwrap_or_default();
            let trend = match r.trend() {
                Some(t) if t > 0.0 => format!("▲ {} points", numbers.one_decimal(t)),
                Some(t) if t < 0.0 => format!("▼ {} points", numbers.one_decimal(-t)),
                Some(_) => "no change".into(),
                None => "new".into(),
            };
            let class = r.looked_up.then_some("looked-up");
            view! {
                <tr class=class>
                    <th scope="row">{r.typed.clone().map(|t| view! { <strong>{t}</strong>" " })}<code>{r.label.clone()}</code></th>
                    <td class="n">{numbers.count(r.current.n())}</td>
                    <td class="nps">{nps}</td>
                    <td class="trend">{trend}</td>
                </tr>
            }
        })
        .collect_view();
    let lookup = accounts.lookup.map(|found| {
        if found {
            view! { <p role="status" class="found">"The account you looked up is marked, with the id you typed."</p> }.into_any()
        } else {
            view! { <p role="status" class="empty">"No answer from that account in this period (or its visitors did not tick \"Link this answer to my account\"). Ids are matched exactly, capitals included, as your site sends them."</p> }.into_any()
        }
    });
    let hidden = crate::report::parse_query(&view.to_query())
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view();
    view! {
        <section class="panel accounts" id="accounts">
            <h2>"NPS by account"</h2>
            <p class="hint">{format!(
                "{} {} answered in this period, the lowest NPS first. Trend: the change in NPS since the period before. Only visitors who ticked \"Link this answer to my account\" are counted. Farewell never stores account ids, so each account shows as a short code: type an id below to find its row.",
                numbers.count(accounts.answered as u64),
                if accounts.answered == 1 { "account" } else { "accounts" }
            )}</p>
            {lookup}
            <div class="table-scroll">
                <table class="account-table">
                    <thead><tr><th scope="col">"Account"</th><th scope="col">"n"</th><th scope="col">"NPS"</th><th scope="col">"Trend"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <form method="get" class="search" action=format!("/dashboard/{site_key}#accounts")>
                {hidden}
                <label for="account-lookup">"Find an account by its id"</label>
                <input id="account-lookup" name="account" type="search" maxlength="200" value=accounts.typed.clone() />
                <button type="submit">"Find"</button>
            </form>
        </section>
    }
}

fn display_value(value: &str) -> String {
    if value.is_empty() {
        "(not known)".into()
    } else {
        value.to_string()
    }
}

/// A segment's value as the page names it: an answer holding no saved theme is not "not known".
fn segment_label(dimension: Dimension, value: &str) -> String {
    match dimension {
        Dimension::Theme if value.is_empty() => "(no saved theme)".into(),
        // The survey settings' words, not the stored codes.
        Dimension::Trigger => crate::domain::Trigger::parse("trigger", value)
            .map_or_else(|_| display_value(value), |t| t.label().to_owned()),
        _ => display_value(value),
    }
}

/// The view's range, bucket, survey and zone, as a GET form: submitting it changes the URL.
#[component]
fn Filters(report: Report) -> impl IntoView {
    let v = report.view.clone();
    let surveys = report
        .surveys
        .iter()
        .map(|s| {
            let selected = v.survey == Some(s.id);
            view! { <option value=s.id.to_string() selected=selected>{s.name.clone()}</option> }
        })
        .collect_view();
    let buckets = Granularity::ALL
        .into_iter()
        .map(|g| view! { <option value=g.as_str() selected=v.bucket == g>{g.as_str()}</option> })
        .collect_view();
    let hidden = |name: &'static str, value: Option<String>| {
        value.map(|value| view! { <input type="hidden" name=name value=value /> })
    };
    // A refused parameter keeps what was typed in its field, with why beside it; the figures
    // below are of the view without it.
    let refused = report.refused.clone();
    let typed_or = |field: &str, shown: String| {
        refused
            .iter()
            .find(|r| r.field == field)
            .map(|r| r.typed.clone())
            .unwrap_or(shown)
    };
    let error_at = |field: &'static str| {
        refused.iter().find(|r| r.field == field).map(|r| {
            let reason = format!("\"{}\" {}. Showing the view without it.", r.typed, r.reason);
            view! { <span class="field-error" role="alert" data-field=field>{reason}</span> }
        })
    };
    const FORM_FIELDS: [&str; 5] = ["from", "to", "bucket", "survey", "tz"];
    let elsewhere = refused
        .iter()
        .filter(|r| !FORM_FIELDS.contains(&r.field.as_str()))
        .map(|r| format!("{} = \"{}\" {}", r.field, r.typed, r.reason))
        .collect::<Vec<_>>();
    let elsewhere = (!elsewhere.is_empty()).then(|| {
        view! { <p class="error" role="alert">"Left out of this view: "{elsewhere.join("; ")}"."</p> }
    });
    let (from, to, tz) = (
        typed_or("from", v.from.to_string()),
        typed_or("to", v.to.to_string()),
        typed_or("tz", v.tz.clone()),
    );
    view! {
        {elsewhere}
        <form method="get" class="filters" action=format!("/dashboard/{}", report.site_key)>
            <label>"From "<input type="date" name="from" value=from /></label>
            {error_at("from")}
            <label>"To "<input type="date" name="to" value=to /></label>
            {error_at("to")}
            <label>"By "<select name="bucket">{buckets}</select></label>
            {error_at("bucket")}
            <label>"Survey "<select name="survey"><option value="">"All surveys"</option>{surveys}</select></label>
            {error_at("survey")}
            <label>"Time zone "<input name="tz" value=tz size="18" list="time-zones" autocomplete="off" /></label>
            {error_at("tz")}
            <TimeZones />
            {hidden("segment", v.segment.as_ref().map(|s| format!("{}:{}", s.dimension.as_str(), s.value)))}
            {hidden("by", Some(v.by.as_str().to_string()))}
            {hidden("q", (!v.q.is_empty()).then(|| v.q.clone()))}
            {hidden("band", v.band.map(|b| b.as_str().to_string()))}
            {hidden("tag", v.tag.clone())}
            <button type="submit">"Apply"</button>
        </form>
    }
}

#[component]
fn ComparisonView(report: Report) -> impl IntoView {
    let numbers = report.numbers;
    let (current, earlier) = (report.total.summary(), report.previous.summary());
    let period = format!("{} – {}", report.previous_from, report.previous_to);
    let body = match Comparison::between(&current, &earlier) {
        Some(c) if current.n() >= MIN_ANSWERS && earlier.n() >= MIN_ANSWERS => {
            let class = match c.verdict(ALPHA) {
                Verdict::RealRise => "rise",
                Verdict::RealDrop => "drop",
                Verdict::WithinNoise => "noise",
            };
            view! {
                <p class=format!("verdict {class}")>{c.sentence(ALPHA)}</p>
                <p class="change">
                    <span class="delta">{format!("{} points", numbers.signed(c.change))}</span>
                    " vs "{numbers.signed(earlier.nps().unwrap_or(0.0))}" ("{period}", n = "{numbers.count(earlier.n())}")"
                </p>
                <details class="method">
                    <summary>"How this is judged"</summary>
                    <p>
                        "A z test of the difference between the two periods' NPS, each with its own variance: "
                        <span class="p-value">{numbers.decimals_in(&p_value_text(c.p_value))}</span>
                        ", the chance of a change at least this large if nothing had changed. Below "{ALPHA_TEXT}" it is called unlikely to be chance."
                    </p>
                </details>
            }
            .into_any()
        }
        _ => view! {
            <p class="verdict none">"Not enough answers to compare"</p>
            <p class="change">{format!("Previous period {period}: n = {}", numbers.count(earlier.n()))}</p>
        }
        .into_any(),
    };
    view! { <div class="comparison">{body}</div> }
}

/// The widget's funnel: surveys shown, answered, dismissed, and the response rate.
#[component]
pub(super) fn FunnelView(funnel: super::Funnel, numbers: Numbers) -> impl IntoView {
    let rate = funnel
        .response_rate()
        .map(|r| numbers.percent(r))
        .unwrap_or_else(|| "–".into());
    view! {
        <dl class="counts funnel">
            <dt>"Shown"</dt><dd class="shown">{numbers.count(funnel.shown)}</dd>
            <dt>"Answered"</dt><dd class="answered">{numbers.count(funnel.answered)}</dd>
            <dt>"Dismissed"</dt><dd class="dismissed">{numbers.count(funnel.dismissed)}</dd>
            <dt>"Response rate"</dt><dd class="rate">{rate}</dd>
        </dl>
    }
}

#[component]
fn SegmentsView(report: Report) -> impl IntoView {
    let numbers = report.numbers;
    let key = report.site_key.clone();
    let v = report.view.clone();
    let ranked = rank_segments(&report.segments, &report.segments_total);
    let surveys = report.surveys.clone();
    let name = move |value: &str| -> String {
        if v.by == Dimension::Survey {
            if let Some(s) = surveys.iter().find(|s| s.id.to_string() == value) {
                return s.name.clone();
            }
        }
        segment_label(v.by, value)
    };
    let total: u64 = report.segments_total.n();
    let tabs = Dimension::ALL
        .into_iter()
        .chain(
            report
                .attribute_keys
                .iter()
                .map(|k| Dimension::Attribute(*k)),
        )
        .map(|d| {
            let link = href(&key, &v.with(|x| x.by = d));
            let current = (v.by == d).then_some("page");
            view! { <a href=link aria-current=current class="tab">{d.label().to_owned()}</a> }
        })
        .collect_view();
    let rows = ranked
        .into_iter()
        .map(|r| {
            let filter = href(
                &key,
                &v.with(|x| {
                    x.segment = Some(SegmentFilter {
                        dimension: v.by,
                        value: r.value.clone(),
                    })
                }),
            );
            let share = r.summary.n() as f64 / total.max(1) as f64;
            let figures = match (r.too_few(), r.summary.nps(), r.summary.adjusted_wald_ci95()) {
                (false, Some(nps), Some(ci)) => view! {
                    <td class="nps">{numbers.signed(nps)}</td>
                    <td class="ci">{format!("{} to {}", numbers.one_decimal(ci.lo), numbers.one_decimal(ci.hi))}</td>
                    <td class="impact">{numbers.one_decimal(r.impact)}</td>
                }
                .into_any(),
                _ => view! { <td class="too-few" colspan="3">"too few answers"</td> }.into_any(),
            };
            view! {
                <tr data-segment=r.value.clone()>
                    <th scope="row"><a href=filter class="segment-filter">{name(&r.value)}</a></th>
                    <td class="n">{numbers.count(r.summary.n())}</td>
                    <td class="share">{numbers.percent(share)}</td>
                    {figures}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel segments">
            <h2>"NPS by segment"</h2>
            <nav class="tabs">{tabs}</nav>
            <div class="table-scroll">
                <table class="segment-table">
                    <thead><tr><th>{v.by.label().to_owned()}</th><th>"n"</th><th>"Share"</th><th>"NPS"</th><th>"95 % interval"</th><th>"Impact (points)"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(total == 0).then(|| view! { <p class="empty">"No answers in this view."</p> })}
            <p class="hint">"Impact: share of answers × distance from the overall NPS. Select a segment to filter the whole view."</p>
            {(v.by == Dimension::Theme).then(|| view! {
                <p class="hint">"An answer may hold several themes, or none: the shares add up to more or less than 100 %. Save themes under Themes."</p>
            })}
        </section>
    }
}

#[component]
fn VerbatimsView(report: Report, tag: ServerAction<TagAnswer>) -> impl IntoView {
    let key = report.site_key.clone();
    let v = report.view.clone();
    let bands = [
        None,
        Some(Band::Detractor),
        Some(Band::Passive),
        Some(Band::Promoter),
    ]
    .into_iter()
    .map(|band| {
        let link = href(&key, &v.with(|x| x.band = band));
        let label = band.map(|b| b.as_str()).unwrap_or("all");
        let current = (v.band == band).then_some("page");
        view! { <a href=link aria-current=current class="tab band-filter">{label}</a> }
    })
    .collect_view();
    let tags = report
        .tags
        .iter()
        .map(|(t, n)| {
            let link = href(&key, &v.with(|x| x.tag = Some(t.clone())));
            let current = (v.tag.as_deref() == Some(t.as_str())).then_some("page");
            view! { <a href=link aria-current=current class="tag-filter">{format!("{t} ({n})")}</a> }
        })
        .collect_view();
    let clear_tag = v.tag.clone().map(|_| {
        view! { <a href=href(&key, &v.with(|x| x.tag = None)) class="clear-tag">"all tags"</a> }
    });
    let older = report.verbatims.last().filter(|_| report.more_verbatims).map(|last| {
        view! { <a class="older" href=format!("{}&before={}", href(&key, &v), cursor_of(last))>"Older comments →"</a> }
    });
    let shown = report.verbatims.len();
    let count = match (shown, report.more_verbatims) {
        (0, _) => "No comment matches this view.".to_string(),
        (1, false) => "1 comment.".to_string(),
        (n, false) => format!("{} comments.", report.numbers.count(n as u64)),
        (n, true) => format!("The newest {n} comments; older ones follow."),
    };
    let items = report
        .verbatims
        .into_iter()
        .map(|verbatim| view! { <VerbatimItem verbatim site_key=key.clone() org=report.org_id tag /> })
        .collect_view();
    let hidden = v.clone();
    view! {
        <section class="panel verbatims" id="comments">
            <h2>"Comments"</h2>
            {report.retention_days.map(|d| view! {
                <p class="hint retention">{format!("Answers are kept for {d} days: older ones still count in the figures above but are no longer listed or exported.")}</p>
            })}
            <form method="get" class="search" action=format!("/dashboard/{}", report.site_key)>
                <input type="hidden" name="from" value=hidden.from.to_string() />
                <input type="hidden" name="to" value=hidden.to.to_string() />
                <input type="hidden" name="tz" value=hidden.tz.clone() />
                <input type="hidden" name="bucket" value=hidden.bucket.as_str() />
                <input type="hidden" name="by" value=hidden.by.as_str().to_owned() />
                {hidden.survey.map(|s| view! { <input type="hidden" name="survey" value=s.to_string() /> })}
                {hidden.segment.as_ref().map(|s| view! { <input type="hidden" name="segment" value=format!("{}:{}", s.dimension.as_str(), s.value) /> })}
                {hidden.band.map(|b| view! { <input type="hidden" name="band" value=b.as_str() /> })}
                {hidden.tag.clone().map(|t| view! { <input type="hidden" name="tag" value=t /> })}
                <label>"Search comments "<input type="search" name="q" value=hidden.q.clone() /></label>
                <button type="submit">"Search"</button>
            </form>
            <nav class="tabs">{bands}</nav>
            <p class="tags">"Tags: "{tags}" "{clear_tag}</p>
            <p class="result-count" role="status" data-count=shown>{count}</p>
            // A keyboard crosses the list in one step: each row has one tag control, opened on
            // demand, and this link passes them all.
            // `rel="external"`: the browser, not the router, follows it, and so moves the focus.
            {(shown > 0).then(|| view! {
                <a class="skip-link" href="#after-comments" rel="external">"Skip the comments"</a>
            })}
            <ol class="verbatim-list">{items}</ol>
            {older}
            <span id="after-comments" tabindex="-1"></span>
        </section>
    }
}

#[component]
fn VerbatimItem(
    verbatim: Verbatim,
    site_key: String,
    org: Option<Uuid>,
    tag: ServerAction<TagAnswer>,
) -> impl IntoView {
    let band = verbatim.band();
    use crate::domain::journey;
    let context = [
        verbatim.page_path.clone(),
        verbatim.device.clone(),
        verbatim.browser.clone(),
        verbatim.country.clone(),
        verbatim.language.clone(),
        verbatim.trigger.clone(),
        verbatim.pages_viewed.map(|n| match n {
            1 => "1 page".to_string(),
            n => format!("{n} pages"),
        }),
        verbatim
            .seconds_on_site
            .map(|s| format!("{} on site", journey::seconds_label(s))),
        verbatim
            .errors_seen
            .filter(|n| *n > 0)
            .map(|n| format!("{n} JS error{}", if n == 1 { "" } else { "s" })),
    ]
    .into_iter()
    .flatten()
    .map(|c| view! { <span class="chip">{c}</span> })
    .collect_view();
    let themes = verbatim
        .themes
        .iter()
        .map(|t| view! { <span class="chip theme-chip">{format!("theme: {t}")}</span> })
        .collect_view();
    let id = verbatim.id.to_string();
    let tags = verbatim
        .tags
        .clone()
        .into_iter()
        .map(|t| {
            let (site_key, id) = (site_key.clone(), id.clone());
            view! {
                <ActionForm action=tag attr:class="tag-chip">
                    <input type="hidden" name="site_key" value=site_key />
                    <input type="hidden" name="response" value=id />
                    <input type="hidden" name="tag" value=t.clone() />
                    <input type="hidden" name="remove" value="1" />
                    <span class="tag">{t.clone()}</span>
                    <button type="submit" class="link" aria-label=format!("Remove tag {t}")>"×"</button>
                </ActionForm>
            }
        })
        .collect_view();
    let (form_site, form_id) = (site_key.clone(), id.clone());
    view! {
        <li class=format!("verbatim {}", band.as_str()) data-id=id.clone()>
            <p class="meta">
                <span class=format!("score {}", band.as_str())>{verbatim.score}</span>
                " "<span class="band">{band.as_str()}</span>
                " · "<time datetime=verbatim.received_at.to_rfc3339()>{verbatim.local_time.clone()}</time>
                " · "<a class="consent-link" rel="external" href=format!("/consent/{}?site={}", verbatim.id, site_key)>"consent record"</a>
            </p>
            <blockquote class="comment">{verbatim.comment.clone().unwrap_or_default()}</blockquote>
            <p class="context">{context}{themes}</p>
            {verbatim.contact_email.clone().map(|e| view! {
                <p class="contact">"May be contacted: "{e}
                    {org.map(|org| view! { " · "<a href=format!("/admin/{org}/inbox/{}", verbatim.id)>"follow up"</a> })}
                </p>
            })}
            <div class="tag-row">
                {tags}
                <details class="add-tag">
                    <summary>"Add a tag"</summary>
                    <ActionForm action=tag>
                        <input type="hidden" name="site_key" value=form_site />
                        <label class="visually-hidden" for=format!("tag-{form_id}")>"Tag"</label>
                        <input id=format!("tag-{form_id}") name="tag" placeholder="add tag" size="10" maxlength="40" required />
                        <input type="hidden" name="response" value=form_id />
                        <button type="submit">"Tag"</button>
                    </ActionForm>
                </details>
            </div>
        </li>
    }
}

/// The IANA zone names for the time zone field to search: the members' page script fills it
/// from the browser's own list when the field is first focused (see `MEMBERS_SCRIPT`).
/// Without the script the field takes any name, which the server checks.
#[component]
fn TimeZones() -> impl IntoView {
    view! { <datalist id="time-zones"></datalist> }
}
