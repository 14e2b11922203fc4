//! On which pages a survey may open (`domain::PageTargeting`), and what its patterns take of
//! the pages where it was shown or answered in the last 30 days, so a pattern is checked
//! against real traffic before it is saved ("Try" shows it beside the saved one). A page of
//! its own, rendered whole on the server with plain forms.

use super::feedback::Feedback;
use super::{acting, parse_id};
use crate::domain::{PageMatch, PageTargeting, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// How many days of pages the page lists.
const DAYS: i64 = 30;
/// The most pages listed, the most shown first.
const MOST_PAGES: usize = 100;

/// One page seen in the last 30 days, and how each pattern set takes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeenPage {
    pub path: String,
    pub shown: u64,
    pub answered: u64,
    pub saved: String,
    /// With the patterns being tried, when there are.
    pub tried: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PagesView {
    pub survey_name: String,
    pub saved: String,
    /// The patterns being tried, as typed, and whether they parse.
    pub trying: Option<(String, Result<(), String>)>,
    pub pages: Vec<SeenPage>,
    /// The survey's exit-reason question, for its section.
    pub reason: crate::domain::ReasonQuestion,
}

fn verdict(m: PageMatch) -> String {
    match m {
        PageMatch::In(None) => "shown (no include pattern)".into(),
        PageMatch::In(Some(p)) => format!("shown: {p}"),
        PageMatch::Excluded(p) => format!("not shown: {p}"),
        PageMatch::NotIncluded => "not shown: no pattern takes it".into(),
    }
}

async fn load(org: String, id: String, trying: Option<String>) -> Result<PagesView, AppError> {
    // Signed out: to the sign-in page (a redirect, whose status stands).
    crate::auth::member_or_sign_in(&format!("/admin/{org}/surveys/{id}/pages")).await?;
    crate::error::with_status(read(org, id, trying).await)
}

async fn read(org: String, id: String, trying: Option<String>) -> Result<PagesView, AppError> {
    use crate::report::Dimension;
    use crate::store::{AnswerFilter, TimeRange};
    let who = acting(&org, Role::Admin).await?;
    // An address naming no survey is a page that does not exist.
    let survey = parse_id("id", &id).map_err(|_| AppError::NotFound)?;
    let extras = who
        .store
        .survey_extras(who.org(), survey)
        .await?
        .ok_or(AppError::NotFound)?;
    let (site, survey_name, saved, reason) =
        (extras.site_id, extras.name, extras.pages, extras.reason);
    let tried = trying
        .as_ref()
        .map(|text| PageTargeting::parse(text).map_err(|e| e.reason));
    // Counts are kept by quarter hour and a range reads whole ones: to the end of this one, so
    // that the answers of the last minutes are in.
    let to = chrono::Utc::now() + chrono::Duration::minutes(15);
    let range = TimeRange {
        from: to - chrono::Duration::days(DAYS),
        to,
    };
    let filter = AnswerFilter {
        survey: Some(survey),
        segment: None,
    };
    // Shown from the survey's impressions, answered from its answers, by page.
    let mut seen: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for cell in who
        .store
        .impression_cells(who.org(), site, &filter, range)
        .await?
    {
        seen.entry(cell.page).or_default().0 += cell.shown;
    }
    for segment in who
        .store
        .segment_counts(who.org(), site, Some(survey), Dimension::Page, range)
        .await?
    {
        seen.entry(segment.value).or_default().1 += segment.counts.n();
    }
    // The most seen first, and only as many as are listed are matched.
    let mut seen: Vec<(String, (u64, u64))> = seen
        .into_iter()
        // An answer sent without its page (the API) is on no page to target.
        .filter(|(path, _)| !path.is_empty())
        .collect();
    seen.sort_by_key(|(_, (shown, answered))| std::cmp::Reverse((*shown, *answered)));
    seen.truncate(MOST_PAGES);
    let pages: Vec<SeenPage> = seen
        .into_iter()
        .map(|(path, (shown, answered))| SeenPage {
            saved: verdict(saved.check(&path)),
            tried: match &tried {
                Some(Ok(t)) => Some(verdict(t.check(&path))),
                _ => None,
            },
            path,
            shown,
            answered,
        })
        .collect();
    Ok(PagesView {
        survey_name,
        saved: saved.patterns().join("\n"),
        trying: trying.map(|text| (text, tried.map(|r| r.map(|_| ())).unwrap_or(Ok(())))),
        pages,
        reason,
    })
}

/// Replaces a survey's page patterns. Owners and admins of its organisation only; audited.
#[server(prefix = "/fn", endpoint = "save_survey_pages")]
pub async fn save_survey_pages(
    org: String,
    id: String,
    #[server(default)] pages: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let survey = parse_id("id", &id)?;
            let pages = PageTargeting::parse(&pages)?;
            if !who
                .store
                .set_survey_pages(who.org(), survey, &pages)
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("survey.pages", format!("{survey}: {}", pages.describe()))
                .await
        }
        .await,
    )
}

#[component]
pub fn SurveyPagesPage(org: String, id: String) -> impl IntoView {
    let query = use_query_map();
    let trying = query.read_untracked().get("try");
    let view_data = {
        let (org, id) = (org.clone(), id.clone());
        Resource::new_blocking(
            || (),
            move |_| load(org.clone(), id.clone(), trying.clone()),
        )
    };
    view! {
        <Title text="Pages and exit reason · Farewell" />
        <main class="page admin">
            <super::setup::SetupCrumbs />
            <h1>"Pages and exit reason"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (org, id) = (org.clone(), id.clone());
                    Suspend::new(async move {
                        super::setup::found(view_data.await, |data| view! { <PagesForm data org id /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn PagesForm(data: PagesView, org: String, id: String) -> impl IntoView {
    let save = ServerAction::<SaveSurveyPages>::new();
    let feedback = Feedback::new(save);
    let (tried_text, tried_error) = match &data.trying {
        Some((text, Err(reason))) => (text.clone(), Some(reason.clone())),
        Some((text, Ok(()))) => (text.clone(), None),
        None => (data.saved.clone(), None),
    };
    let trying = matches!(data.trying, Some((_, Ok(()))));
    let rows = data
        .pages
        .iter()
        .map(|p| {
            let class = if p.saved.starts_with("shown") {
                "in"
            } else {
                "out"
            };
            view! {
                <tr class=class>
                    <td><code>{p.path.clone()}</code></td>
                    <td class="num">{p.shown}</td>
                    <td class="num">{p.answered}</td>
                    <td>{p.saved.clone()}</td>
                    {trying.then(|| view! { <td>{p.tried.clone().unwrap_or_default()}</td> })}
                </tr>
            }
        })
        .collect_view();
    let saved = data.saved.clone();
    let empty = data.pages.is_empty();
    let reason = data.reason.clone();
    let (reason_org, reason_id) = (org.clone(), id.clone());
    view! {
        <p>{format!("Survey: {}", data.survey_name)}</p>
        <p class="hint" id="pages-hint">"One pattern per line, over the page's path (never its query): * is any run within a segment, ** any run across segments; /checkout/** takes /checkout too. A ! before a pattern excludes what it matches. No include pattern: every page not excluded. At most 20 patterns of 3 wildcards each."</p>
        <ActionForm action=save attr:class="stack">
            <input type="hidden" name="org" value=org.clone() />
            <input type="hidden" name="id" value=id.clone() />
            <label for="pages">"Patterns (saved)"</label>
            <textarea id="pages" name="pages" rows="5" maxlength="5000" aria-describedby="pages-hint" placeholder="/checkout/**\n!/account/**">{saved}</textarea>
            {feedback.at("pages")}
            <button type="submit">"Save patterns"</button>
            {feedback.saved("Saved. The widget follows them within seconds.")}
            {feedback.rest()}
        </ActionForm>
        <form method="get" class="stack try-pages">
            <label for="try">"Try patterns against the last 30 days (nothing is saved)"</label>
            <textarea id="try" name="try" rows="3" maxlength="5000" aria-describedby="pages-hint"
                aria-invalid=tried_error.is_some().then_some("true")>{tried_text}</textarea>
            {tried_error.map(|reason| view! { <span class="field-error" role="alert" data-field="try">{crate::admin::sentence(&reason)}</span> })}
            <button type="submit">"Try"</button>
        </form>
        <h2>"Pages shown or answered in the last 30 days"</h2>
        {empty.then(|| view! { <p class="empty">"No page yet: the survey was neither shown nor answered in the last 30 days."</p> })}
        {(!empty).then(|| view! {
            <div class="table-scroll">
                <table class="pages-seen">
                    <thead><tr>
                        <th scope="col">"Page"</th><th scope="col">"Shown"</th><th scope="col">"Answered"</th>
                        <th scope="col">"Saved patterns"</th>
                        {trying.then(|| view! { <th scope="col">"Patterns tried"</th> })}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })}
        <super::survey_reason::ReasonForm question=reason org=reason_org id=reason_id />
    }
}
