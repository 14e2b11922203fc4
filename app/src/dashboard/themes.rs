//! The "Themes" panel of a site's dashboard: the terms that set detractors' comments apart
//! from promoters', and what is new this period (`report::themes`). Each term opens the
//! comments that hold it.

use super::Numbers;
use crate::report::themes::{EmergingTerm, ThemeTerm, Themes, THEME_SAMPLE};
use crate::report::ViewParams;
use leptos::prelude::*;

/// The view's comments searched for `term`, at the comments.
fn search_href(site_key: &str, view: &ViewParams, term: &str) -> String {
    let view = view.with(|v| {
        v.q = term.to_string();
        v.band = None;
        v.tag = None;
    });
    format!("/dashboard/{site_key}?{}#comments", view.to_query())
}

#[component]
pub fn ThemesPanel(
    themes: Themes,
    site_key: String,
    view: ViewParams,
    numbers: Numbers,
) -> impl IntoView {
    let read = if themes.sampled {
        format!(
            "Read the newest {} comments of this view (a sample: older ones are not read).",
            numbers.count(u64::from(THEME_SAMPLE))
        )
    } else {
        match themes.comments {
            1 => "Read the 1 comment of this view.".to_string(),
            n => format!("Read all {} comments of this view.", numbers.count(n)),
        }
    };
    let term_list = |terms: Vec<ThemeTerm>, detractors: bool| {
        let (site_key, view) = (site_key.clone(), view.clone());
        let items = terms
            .into_iter()
            .map(|t| {
                let counts = format!(
                    "{} detractors · {} promoters",
                    numbers.count(t.detractors),
                    numbers.count(t.promoters)
                );
                let examples = t
                    .examples
                    .iter()
                    .map(|e| view! { <li>{e.clone()}</li> })
                    .collect_view();
                view! {
                    <li data-term=t.term.clone()>
                        <a href=search_href(&site_key, &view, &t.term) class="theme-term">{t.term.clone()}</a>
                        " "<span class="theme-counts">{counts}</span>
                        <details class="examples"><summary>"Examples"</summary><ul>{examples}</ul></details>
                    </li>
                }
            })
            .collect_view();
        let class = if detractors {
            "theme-list detractor-terms"
        } else {
            "theme-list promoter-terms"
        };
        view! { <ol class=class>{items}</ol> }
    };
    let emerging_list = |terms: Vec<EmergingTerm>| {
        let items = terms
            .into_iter()
            .map(|t| {
                let counts = format!(
                    "{} now · {} before",
                    numbers.count(t.this_period),
                    numbers.count(t.previous_period)
                );
                view! {
                    <li data-term=t.term.clone()>
                        <a href=search_href(&site_key, &view, &t.term) class="theme-term">{t.term.clone()}</a>
                        " "<span class="theme-counts">{counts}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="theme-list emerging-terms">{items}</ol> }
    };
    let none = || view! { <p class="empty">"No term stands out."</p> };
    let (detractor_terms, promoter_terms, emerging) = (
        themes.detractor_terms,
        themes.promoter_terms,
        themes.emerging,
    );
    view! {
        <section class="panel themes" id="themes">
            <h2>"Themes"</h2>
            <p class="hint themes-read" data-comments=themes.comments>{read}</p>
            <div class="theme-columns">
                <div>
                    <h3>"Detractors say"</h3>
                    {if detractor_terms.is_empty() { none().into_any() } else { term_list(detractor_terms, true).into_any() }}
                </div>
                <div>
                    <h3>"Promoters say"</h3>
                    {if promoter_terms.is_empty() { none().into_any() } else { term_list(promoter_terms, false).into_any() }}
                </div>
                <div>
                    <h3>"New this period"</h3>
                    {if emerging.is_empty() { none().into_any() } else { emerging_list(emerging).into_any() }}
                </div>
            </div>
            <details class="method">
                <summary>"How themes are found"</summary>
                <p>
                    "Each comment is cut into words in its language; common words (\"the\", \"ja\", \"und\") are dropped and the rest reduced to their stem, so \"payments\" and \"payment\" count as one. A term is a stem or two stems side by side, counted once per comment. "
                    "A term is listed when it sets one group apart: the log-odds of a detractor's comment holding it against a promoter's, smoothed by how often the site's earlier comments hold it (Monroe, Colaresi & Quinn, 2008), is at least 1.645 standard errors from zero, and at least 5 comments hold it. "
                    "New this period compares this period's comments with the previous period of the same length. Select a term to read the comments that hold it."
                </p>
            </details>
        </section>
    }
}
