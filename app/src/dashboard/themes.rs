//! The "Themes" panel of a site's dashboard: the terms that set detractors' comments apart
//! from promoters', and what is new this period (`report::themes`). Each term opens the
//! comments that hold it. Below them, the site's saved themes: named term sets that tag the
//! answers holding them, each a segment of the `theme` dimension.

use super::Numbers;
use crate::admin::feedback::{Confirm, Feedback};
use crate::domain::SavedTheme;
use crate::error::AppError;
use crate::report::themes::{EmergingTerm, ThemeTerm, Themes, THEME_SAMPLE};
use crate::report::{Dimension, SegmentFilter, ViewParams};
use leptos::prelude::*;

/// Saves a theme of the site: a new name, or new terms for a saved one. Owners and admins
/// only: a theme changes the figures every member reads.
#[server(prefix = "/fn", endpoint = "save_theme")]
pub async fn save_theme(site_key: String, name: String, terms: String) -> Result<(), AppError> {
    crate::error::with_status(change_theme(site_key, name, Some(terms)).await)
}

/// Deletes a saved theme of the site.
#[server(prefix = "/fn", endpoint = "delete_theme")]
pub async fn delete_theme(site_key: String, name: String) -> Result<(), AppError> {
    crate::error::with_status(change_theme(site_key, name, None).await)
}

/// Saves (`terms` given) or deletes a theme, and audits it.
#[cfg(feature = "ssr")]
async fn change_theme(
    site_key: String,
    name: String,
    terms: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Role, ThemeName, ThemeTerms, MAX_SAVED_THEMES};
    use crate::store::SaveTheme;
    let store = crate::auth::store()?;
    let member = crate::auth::require_member().await?;
    let (membership, site) = member.site(&store, &site_key).await?;
    if membership.role == Role::Viewer {
        return Err(AppError::Forbidden);
    }
    let name = ThemeName::parse(&name)?;
    let now = chrono::Utc::now();
    let action = match terms {
        Some(terms) => {
            let terms = ThemeTerms::parse(&terms)?;
            match store
                .save_theme(membership.org_id, site.id, &name, &terms, now)
                .await?
            {
                SaveTheme::Saved => "theme.save",
                SaveTheme::NoSuchSite => return Err(AppError::NotFound),
                SaveTheme::TooMany => {
                    return Err(AppError::invalid(
                        "name",
                        &format!(
                            "a site keeps at most {MAX_SAVED_THEMES} themes: delete one first"
                        ),
                    ))
                }
            }
        }
        None => {
            if !store
                .delete_theme(membership.org_id, site.id, &name, now)
                .await?
            {
                return Err(AppError::NotFound);
            }
            "theme.delete"
        }
    };
    store
        .record_audit(&crate::store::AuditEntry {
            org_id: membership.org_id,
            actor: Some(member.user_id),
            action: action.into(),
            subject: format!("{} on site {}", name.as_str(), site.id),
            at: now,
        })
        .await?;
    Ok(())
}

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
    saved: Vec<SavedTheme>,
    /// Past answers are still being tagged with changed themes.
    tagging: bool,
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
            <SavedThemes saved tagging site_key=site_key.clone() view=view.clone() />
            <details class="method">
                <summary>"How themes are found"</summary>
                <p>
                    "Each comment is cut into words in its language; common words (\"the\", \"ja\", \"und\") are dropped and the rest reduced to their stem, so \"payments\" and \"payment\" count as one. A term is a stem or two stems side by side, counted once per comment. "
                    "A term is listed when it sets one group apart: the log-odds of a detractor's comment holding it against a promoter's, smoothed by how often the site's earlier comments hold it (Monroe, Colaresi & Quinn, 2008), is at least 1.645 standard errors from zero, and at least 5 comments hold it. "
                    "New this period compares this period's comments with the previous period of the same length. Select a term to read the comments that hold it."
                </p>
                <p>
                    "A saved theme tags every answer whose comment holds one of its terms, compared word by word by stem in the comment's language, so \"card\" also finds \"cards\" and a phrase must stand in its order. New answers are tagged as they are counted (within a second), past ones in the background after each change. An answer may hold several themes, or none; each theme is a segment of its own (Theme in NPS by segment, and in the drivers)."
                </p>
            </details>
        </section>
    }
}

/// The site's saved themes, each a link to its segment, and the forms that save and delete
/// them. Plain forms: they work before and without the page's script.
#[component]
fn SavedThemes(
    saved: Vec<SavedTheme>,
    tagging: bool,
    site_key: String,
    view: ViewParams,
) -> impl IntoView {
    let save = ServerAction::<SaveTheme>::new();
    let delete = ServerAction::<DeleteTheme>::new();
    let (saved_feedback, deleted) = (Feedback::new(save), Feedback::new(delete));
    let segment_href = |name: &str| {
        let view = view.with(|v| {
            v.segment = Some(SegmentFilter {
                dimension: Dimension::Theme,
                value: name.to_string(),
            })
        });
        format!("/dashboard/{site_key}?{}", view.to_query())
    };
    let items = saved
        .iter()
        .map(|t| {
            let name = t.name.as_str().to_string();
            let terms = t.terms.as_slice().join(", ");
            let question = format!(
                "Delete the theme {name}? Its answers leave it; the terms are not kept."
            );
            let href = segment_href(&name);
            let (key1, key2) = (site_key.clone(), site_key.clone());
            let (name1, name2, name3) = (name.clone(), name.clone(), name.clone());
            let shown_terms = terms.clone();
            view! {
                <li data-theme=name>
                    <a href=href class="saved-theme">{name1}</a>
                    " "<span class="theme-counts">{shown_terms}</span>
                    <details class="edit-theme">
                        <summary>"Edit"</summary>
                        <ActionForm action=save>
                            <input type="hidden" name="site_key" value=key1 />
                            <input type="hidden" name="name" value=name2 />
                            <label>"Terms "<textarea name="terms" rows="2" maxlength="2000">{terms}</textarea></label>
                            <button type="submit">"Save terms"</button>
                        </ActionForm>
                    </details>
                    <ActionForm action=delete attr:class="inline">
                        <input type="hidden" name="site_key" value=key2 />
                        <input type="hidden" name="name" value=name3 />
                        <Confirm label="Delete" question />
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let form_key = site_key.clone();
    let status = if tagging {
        "Tagging past answers with the changed themes; figures by theme are still moving."
    } else {
        ""
    };
    view! {
        <div class="saved-themes" id="saved-themes">
            <h3>"Saved themes"</h3>
            {saved.is_empty().then(|| view! {
                <p class="empty">"No saved theme yet. Save a set of terms to follow it as a segment."</p>
            })}
            <ul class="theme-list">{items}</ul>
            <p class="hint tagging" role="status">{status}</p>
            {deleted.rest()}
            <ActionForm action=save attr:class="save-theme">
                <input type="hidden" name="site_key" value=form_key />
                <label>"Name "<input name="name" maxlength="40" size="16" placeholder="checkout" required /></label>
                {saved_feedback.at("name")}
                <label>"Terms "<input name="terms" maxlength="2000" size="30" placeholder="checkout, payment, card" required /></label>
                {saved_feedback.at("terms")}
                <button type="submit">"Save theme"</button>
                {saved_feedback.saved("Saved. Past answers are being tagged.")}
                {saved_feedback.rest()}
            </ActionForm>
        </div>
    }
}
