//! The public page behind a share link: an aggregated, read-only report (trend and segments,
//! no comments) in which no group below the organisation's k is shown or derivable.

use crate::dashboard::Numbers;
use crate::error::AppError;
use crate::report::share::{SharedFigure, SharedReport, SharedRow};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[server(prefix = "/fn", endpoint = "load_shared")]
pub async fn load_shared(token: String) -> Result<SharedReport, AppError> {
    crate::error::with_status(
        async {
            let token = token.trim();
            if !token.starts_with(crate::tokens::SHARE_PREFIX) || token.len() > 100 {
                return Err(AppError::NotFound);
            }
            let store = crate::auth::store()?;
            let scope = store
                .share_by_token(&crate::tokens::sha256_hex(token.as_bytes()))
                .await?
                .ok_or(AppError::NotFound)?;
            let site = store
                .sites(scope.org)
                .await?
                .into_iter()
                .find(|s| s.id == scope.site)
                .ok_or(AppError::NotFound)?;
            let amend_window = use_context::<crate::ingest::IngestSettings>()
                .unwrap_or_default()
                .amend_window
                .0;
            crate::report::build::build_shared(
                &store,
                site,
                scope,
                chrono::Utc::now(),
                amend_window,
            )
            .await
        }
        .await,
    )
}

/// A shared report is rendered on the server only: numbers as its viewer's browser asks.
fn cells(figure: &SharedFigure) -> AnyView {
    let numbers = Numbers::of_this_request();
    match figure {
        SharedFigure::Hidden => {
            view! { <td class="n hidden" colspan="3">"hidden to protect small groups"</td> }
                .into_any()
        }
        SharedFigure::Shown { n, nps, ci95 } => view! {
            <td class="n">{numbers.count(*n)}</td>
            <td class="nps">{numbers.signed(*nps)}</td>
            <td class="ci">{format!("{} to {}", numbers.one_decimal(ci95.0), numbers.one_decimal(ci95.1))}</td>
        }
        .into_any(),
    }
}

fn rows(rows: Vec<SharedRow>) -> impl IntoView {
    rows.into_iter()
        .map(|r| view! { <tr><th scope="row">{r.label.clone()}</th>{cells(&r.figure)}</tr> })
        .collect_view()
}

#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let report = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        load_shared,
    );
    view! {
        <Title text="Shared report · Farewell" />
        <main class="page shared-report">
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) => {
                            let segments = r.segments.clone().into_iter().map(|s| view! {
                                <h2>{format!("By {}", s.dimension.to_lowercase())}</h2>
                                <table class="shared-segments"><thead><tr><th>{s.dimension.clone()}</th><th>"n"</th><th>"NPS"</th><th>"95 % interval"</th></tr></thead>
                                <tbody>{rows(s.rows)}</tbody></table>
                            }).collect_view();
                            view! {
                                <h1>{format!("{} — Net Promoter Score", r.site_name)}</h1>
                                <p class="hint">{format!(
                                    "The {} weeks up to {} (UTC), aggregated, in periods of four weeks. Groups of fewer than {} answers in any period are not shown, nor any figure they could be worked out from. No comments.",
                                    r.days / 7, r.through, r.k
                                )}</p>
                                <table class="shared-total"><tbody><tr><th scope="row">"All answers"</th>{cells(&r.total)}</tr></tbody></table>
                                <h2>"Trend"</h2>
                                <table class="shared-trend"><thead><tr><th>"Four weeks"</th><th>"n"</th><th>"NPS"</th><th>"95 % interval"</th></tr></thead>
                                <tbody>{rows(r.trend.clone())}</tbody></table>
                                {segments}
                            }
                            .into_any()
                        }
                        Err(_) => {
                            crate::not_found_status();
                            view! { <h1>"Not found"</h1><p>"This link does not exist or was revoked."</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
