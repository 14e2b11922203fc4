//! The "Drivers" panel of a site's dashboard: which segments move NPS once the others are held
//! fixed, raw beside adjusted, with reversals flagged (`report::drivers`).

use super::Numbers;
use crate::report::drivers::{Drivers, DRIVER_SAMPLE};
use leptos::prelude::*;

#[component]
pub fn DriversPanel(drivers: Drivers, numbers: Numbers) -> impl IntoView {
    let read = if drivers.sampled {
        format!(
            "Fitted on the newest {} answers of this view (a sample).",
            numbers.count(u64::from(DRIVER_SAMPLE))
        )
    } else {
        format!(
            "Fitted on all {} answers of this view.",
            numbers.count(drivers.n)
        )
    };
    let points = move |v: f64| format!("{} points", numbers.signed(v));
    let rows = drivers
        .effects
        .into_iter()
        .map(|e| {
            let interval = format!(
                "{} to {}",
                numbers.one_decimal(e.ci95.0),
                numbers.one_decimal(e.ci95.1)
            );
            let flag = e.reversed.then(|| {
                view! { <span class="reversed" title="The raw and adjusted effects point opposite ways: the raw one was carried by another dimension.">" reversed"</span> }
            });
            view! {
                <tr data-dimension=e.dimension.as_str().to_owned() data-value=e.value.clone()>
                    <th scope="row">{format!("{} = {}", e.dimension.label(), if e.value.is_empty() { "(not known)" } else { &e.value })}
                        <span class="hint">{format!(" vs {}", if e.reference.is_empty() { "(not known)" } else { &e.reference })}</span>
                    </th>
                    <td class="n">{numbers.count(e.answers)}</td>
                    <td class="raw">{points(e.raw)}</td>
                    <td class="adjusted">{points(e.adjusted)}{flag}</td>
                    <td class="ci">{interval}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = (drivers.n == 0).then(|| view! { <p class="empty">"No answers in this view."</p> });
    view! {
        <section class="panel drivers" id="drivers">
            <h2>"Drivers"</h2>
            <p class="hint drivers-read">{read}</p>
            <div class="table-scroll">
                <table class="drivers-table">
                    <thead><tr><th>"Segment"</th><th>"n"</th><th>"Raw"</th><th>"Others held fixed"</th><th>"95 % interval"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {empty}
            <details class="method">
                <summary>"How drivers are found"</summary>
                <p>
                    "Raw: the NPS of answers with the value minus that of answers with its dimension's most common value. "
                    "Others held fixed: the same difference from a model of every answer's score on its country, device, browser, language, page, trigger, pages viewed, time on site, whether it met an error, and saved themes together (and whether it has a comment, since only a comment holds a theme), so that a segment is not credited with what another explains (a linear model of 100 × (promoter − detractor), ridge-regularised so that rare values stay near zero, with robust standard errors). "
                    "\"Reversed\" marks a segment whose raw and adjusted effects point opposite ways: its raw figure was carried by another dimension (Simpson's paradox). Values with fewer than 30 answers are left with the most common one."
                </p>
            </details>
        </section>
    }
}
