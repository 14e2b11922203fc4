//! The dashboard's charts, drawn as SVG by Leptos components (no chart library). Each chart
//! comes with a table of the same figures, which screen readers and the tests read.
//!
//! Every point and bar is one focusable mark named by its figures (`aria-label`): a chart is
//! one tab stop, the arrow keys move between its marks, and the members' page script shows the
//! focused or hovered mark's name as a tooltip (`MEMBERS_SCRIPT` in lib.rs), so the tooltips
//! cost the wasm nothing but the names.

use super::Numbers;
use crate::nps::{Band, Score, ScoreCounts};
use crate::report::PeriodCounts;
use leptos::prelude::*;

const WIDTH: f64 = 720.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;

fn slot_x(i: usize, n: usize) -> f64 {
    LEFT + (i as f64 + 0.5) * (WIDTH - LEFT - RIGHT) / n.max(1) as f64
}

/// A chart is one tab stop: its first mark; the arrow keys reach the others.
fn roving(i: usize) -> &'static str {
    if i == 0 {
        "0"
    } else {
        "-1"
    }
}

/// What a trend point says when focused or hovered.
fn trend_tip(p: &PeriodCounts, numbers: Numbers) -> String {
    let s = p.counts.summary();
    let n = numbers.count(p.counts.n());
    match (p.too_few(), s.nps(), s.adjusted_wald_ci95()) {
        (false, Some(nps), Some(ci)) => format!(
            "{}: NPS {}, likely between {} and {}, n = {n}",
            p.label,
            numbers.signed(nps),
            numbers.one_decimal(ci.lo),
            numbers.one_decimal(ci.hi)
        ),
        _ => format!("{}: too few answers for an NPS, n = {n}", p.label),
    }
}

/// Every `step`-th label is written so that labels never overlap.
fn label_step(n: usize) -> usize {
    n.div_ceil(10).max(1)
}

/// The axis shows labels without the year where the bucket's label has one in front:
/// "W48" for "2026-W48", "11-29" for "2026-11-29"; months keep theirs.
fn axis_label(label: &str) -> &str {
    match label.split_once('-') {
        Some((_, rest)) if rest.len() > 2 => rest,
        _ => label,
    }
}

/// Runs of consecutive buckets with enough answers: the line and band break at the others.
fn runs(periods: &[PeriodCounts]) -> Vec<Vec<usize>> {
    let mut runs = vec![];
    let mut current = vec![];
    for (i, p) in periods.iter().enumerate() {
        if p.too_few() {
            if !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
        } else {
            current.push(i);
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The NPS range the trend's axis shows: every point and band of buckets with enough answers,
/// widened to whole tens and at least 20 points apart, so that real movement is visible; the
/// full −100…+100 when nothing is drawn.
pub(crate) fn fitted_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (-100.0, 100.0);
    }
    let mut lo = ((lo / 10.0).floor() * 10.0).max(-100.0);
    let mut hi = ((hi / 10.0).ceil() * 10.0).min(100.0);
    while hi - lo < 20.0 {
        if hi < 100.0 {
            hi += 10.0;
        }
        if hi - lo < 20.0 && lo > -100.0 {
            lo -= 10.0;
        }
    }
    (lo, hi)
}

/// Grid lines for an axis from `lo` to `hi` (whole tens): five or six at most.
fn grid_lines(lo: f64, hi: f64) -> Vec<f64> {
    let step = match hi - lo {
        span if span <= 50.0 => 10.0,
        span if span <= 100.0 => 20.0,
        _ => 50.0,
    };
    let mut v = (lo / step).ceil() * step;
    let mut lines = vec![];
    while v <= hi {
        lines.push(v);
        v += step;
    }
    lines
}

/// NPS by bucket with its 95 % band (adjusted Wald) and n under each bucket, on an axis fitted
/// to the data; opening "Full scale" (no script needed) shows the full −100…+100 instead.
/// `corrected`: each bucket's NPS corrected for who did not answer, drawn dashed (none when
/// empty).
#[component]
pub fn TrendChart(
    periods: Vec<PeriodCounts>,
    numbers: Numbers,
    #[prop(optional)] corrected: Vec<Option<f64>>,
) -> impl IntoView {
    let points: Vec<(f64, f64, f64, f64)> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let s = p.counts.summary();
            let ci = s.adjusted_wald_ci95();
            (
                slot_x(i, periods.len()),
                s.nps().unwrap_or(0.0),
                ci.map(|c| c.lo).unwrap_or(0.0),
                ci.map(|c| c.hi).unwrap_or(0.0),
            )
        })
        .collect();
    let fitted = fitted_range(
        periods
            .iter()
            .zip(&points)
            .filter(|(p, _)| !p.too_few())
            .flat_map(|(_, &(_, v, lo, hi))| [v, lo, hi])
            .chain(corrected.iter().flatten().copied()),
    );
    let tips: Vec<String> = periods.iter().map(|p| trend_tip(p, numbers)).collect();
    let drawing =
        |range, class| trend_svg(&periods, &points, &corrected, &tips, range, numbers, class);
    let legend = corrected.iter().any(Option::is_some).then(|| {
        view! { <p class="legend"><span class="key corrected-key">"Dashed: corrected for who did not answer"</span></p> }
    });
    view! {
        <div class="trend-scale">
            <details class="full-scale"><summary>"Full scale, −100 to +100"</summary></details>
            {drawing(fitted, "chart trend fitted")}
            {drawing((-100.0, 100.0), "chart trend full")}
        </div>
        {legend}
        <TrendTable periods numbers corrected />
    }
}

/// One drawing of the trend between `lo` and `hi` on the NPS axis.
fn trend_svg(
    periods: &[PeriodCounts],
    points: &[(f64, f64, f64, f64)],
    corrected: &[Option<f64>],
    tips: &[String],
    (lo, hi): (f64, f64),
    numbers: Numbers,
    class: &'static str,
) -> impl IntoView {
    const HEIGHT: f64 = 240.0;
    const PLOT: f64 = 190.0;
    let y = |v: f64| TOP + (hi - v.max(lo).min(hi)) / (hi - lo) * PLOT;
    let step = label_step(periods.len());
    let runs = runs(periods);
    let bands = runs
        .iter()
        .map(|run| {
            let upper = run
                .iter()
                .map(|&i| format!("{:.1},{:.1}", points[i].0, y(points[i].3)));
            let lower = run
                .iter()
                .rev()
                .map(|&i| format!("{:.1},{:.1}", points[i].0, y(points[i].2)));
            let polygon = upper.chain(lower).collect::<Vec<_>>().join(" ");
            view! { <polygon class="band" points=polygon /> }
        })
        .collect_view();
    let lines = runs
        .iter()
        .map(|run| {
            let line = run
                .iter()
                .map(|&i| format!("{:.1},{:.1}", points[i].0, y(points[i].1)))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline class="line" points=line /> }
        })
        .collect_view();
    // The corrected trend: runs of buckets that have a corrected figure.
    let mut corrected_runs: Vec<Vec<String>> = vec![vec![]];
    for (i, value) in corrected.iter().enumerate() {
        match value {
            Some(v) => corrected_runs
                .last_mut()
                .into_iter()
                .for_each(|run| run.push(format!("{:.1},{:.1}", points[i].0, y(*v)))),
            None => corrected_runs.push(vec![]),
        }
    }
    let corrected_lines = corrected_runs
        .into_iter()
        .filter(|run| run.len() > 1)
        .map(|run| view! { <polyline class="line corrected" points=run.join(" ") /> })
        .collect_view();
    let marks = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, v, _, _) = points[i];
            let mark = if p.too_few() {
                view! { <circle class="too-few" cx=format!("{x:.1}") cy=format!("{:.1}", y(0.0)) r="3" /> }.into_any()
            } else {
                view! { <circle class="point" cx=format!("{x:.1}") cy=format!("{:.1}", y(v)) r="3.5" /> }.into_any()
            };
            view! { <g class="mark" tabindex=roving(i) role="img" aria-label=tips[i].clone()>{mark}</g> }
        })
        .collect_view();
    let labels = periods
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, p)| {
            let x = points[i].0;
            view! {
                <text class="axis-label" x=format!("{x:.1}") y=format!("{:.1}", TOP + PLOT + 16.0) text-anchor="middle">{axis_label(&p.label).to_string()}</text>
                <text class="n-label" x=format!("{x:.1}") y=format!("{:.1}", TOP + PLOT + 30.0) text-anchor="middle">{format!("n {}", numbers.count(p.counts.n()))}</text>
            }
        })
        .collect_view();
    let grid = grid_lines(lo, hi)
        .into_iter()
        .map(|v| {
            view! {
                <line class=if v == 0.0 { "zero" } else { "grid" } x1=LEFT x2=WIDTH - RIGHT y1=y(v) y2=y(v) />
                <text class="axis-label" x=LEFT - 6.0 y=y(v) + 4.0 text-anchor="end">{numbers.signed(v)}</text>
            }
        })
        .collect_view();
    // A group, not an image: its marks are focusable, each an image named by its figures; the
    // axes are drawn for the eye only.
    view! {
        <svg class=class viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="group"
            aria-label="NPS by bucket with its 95 % interval">
            <g aria-hidden="true">{grid}{bands}{lines}{corrected_lines}{labels}</g>
            {marks}
        </svg>
    }
}

#[component]
fn TrendTable(
    periods: Vec<PeriodCounts>,
    numbers: Numbers,
    corrected: Vec<Option<f64>>,
) -> impl IntoView {
    let with_corrected = !corrected.is_empty();
    let rows = periods
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let s = p.counts.summary();
            let figures = match (p.too_few(), s.nps(), s.adjusted_wald_ci95()) {
                (false, Some(nps), Some(ci)) => view! {
                    <td class="nps">{numbers.signed(nps)}</td>
                    <td class="ci">{format!("{} to {}", numbers.one_decimal(ci.lo), numbers.one_decimal(ci.hi))}</td>
                }
                .into_any(),
                _ => view! { <td class="nps too-few" colspan="2">"too few answers"</td> }.into_any(),
            };
            view! {
                <tr data-bucket=p.label.clone()>
                    <th scope="row">{p.label.clone()}</th>
                    <td class="n">{numbers.count(p.counts.n())}</td>
                    {figures}
                    <td class="split">{format!("{} / {} / {}", numbers.count(s.promoters), numbers.count(s.passives), numbers.count(s.detractors))}</td>
                    {with_corrected.then(|| view! {
                        <td class="corrected">{corrected.get(i).copied().flatten().map(|v| numbers.signed(v)).unwrap_or_else(|| "–".into())}</td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="figures">
            <summary>"Figures"</summary>
            <div class="table-scroll">
                <table class="trend-table">
                    <thead><tr><th>"Bucket"</th><th>"n"</th><th>"NPS"</th><th>"95 % interval"</th><th>"Promoters / passives / detractors"</th>{with_corrected.then(|| view! { <th>"Corrected"</th> })}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

/// Promoters, passives and detractors per bucket as stacked shares.
#[component]
pub fn SplitChart(periods: Vec<PeriodCounts>, numbers: Numbers) -> impl IntoView {
    const HEIGHT: f64 = 170.0;
    const PLOT: f64 = 140.0;
    let n = periods.len();
    let slot = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let step = label_step(n);
    let bars = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let s = p.counts.summary();
            let total = s.n().max(1) as f64;
            let x = slot_x(i, n) - bar / 2.0;
            let mut top = TOP;
            let bands = [
                ("promoters", s.promoters),
                ("passives", s.passives),
                ("detractors", s.detractors),
            ];
            let tip = if s.n() == 0 {
                format!("{}: no answers", p.label)
            } else {
                let [promoters, passives, detractors] =
                    bands.map(|(_, count)| numbers.percent(count as f64 / total));
                format!(
                    "{}: promoters {promoters}, passives {passives}, detractors {detractors}, n = {}",
                    p.label,
                    numbers.count(s.n())
                )
            };
            let parts = bands
                .into_iter()
                .map(|(class, count)| {
                    let h = PLOT * count as f64 / total;
                    let rect = view! { <rect class=class x=format!("{x:.1}") y=format!("{top:.1}") width=format!("{bar:.1}") height=format!("{h:.1}") /> };
                    top += h;
                    rect
                })
                .collect_view();
            // An empty bucket is still a mark (a keyboard says it is empty), drawn as its slot.
            let body = if s.n() > 0 {
                parts.into_any()
            } else {
                view! { <rect class="empty-slot" x=format!("{x:.1}") y=TOP width=format!("{bar:.1}") height=PLOT /> }.into_any()
            };
            view! { <g class="bucket" data-n=s.n() tabindex=roving(i) role="img" aria-label=tip>{body}</g> }
        })
        .collect_view();
    let labels = periods
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, p)| view! {
            <text class="axis-label" x=format!("{:.1}", slot_x(i, n)) y=format!("{:.1}", TOP + PLOT + 16.0) text-anchor="middle">{axis_label(&p.label).to_string()}</text>
        })
        .collect_view();
    view! {
        <svg class="chart split" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="group"
            aria-label="Share of promoters, passives and detractors by bucket">
            <g aria-hidden="true">
                <text class="axis-label" x=LEFT - 6.0 y=TOP + 8.0 text-anchor="end">{numbers.percent(1.0)}</text>
                <text class="axis-label" x=LEFT - 6.0 y=TOP + PLOT text-anchor="end">{numbers.percent(0.0)}</text>
                {labels}
            </g>
            {bars}
        </svg>
        <p class="legend">
            <span class="key promoters">"Promoters (9–10)"</span>
            <span class="key passives">"Passives (7–8)"</span>
            <span class="key detractors">"Detractors (0–6)"</span>
        </p>
    }
}

/// How many answers gave each score 0–10.
#[component]
pub fn Histogram(counts: ScoreCounts, numbers: Numbers) -> impl IntoView {
    const W: f64 = 360.0;
    const HEIGHT: f64 = 150.0;
    const PLOT: f64 = 110.0;
    let max = counts.0.iter().copied().max().unwrap_or(0).max(1) as f64;
    let total = counts.n().max(1) as f64;
    let slot = (W - 16.0) / 11.0;
    let bars = Score::all()
        .map(|score| {
            let count = counts.count(score);
            let h = PLOT * count as f64 / max;
            let x = 8.0 + slot * f64::from(score.value());
            let class = match score.band() {
                Band::Detractor => "detractors",
                Band::Passive => "passives",
                Band::Promoter => "promoters",
            };
            let tip = format!(
                "Score {}: {} answers ({})",
                score.value(),
                numbers.count(count),
                numbers.percent(count as f64 / total)
            );
            view! {
                <g class="score-bar" data-score=score.value() data-count=count tabindex=roving(score.value().into()) role="img" aria-label=tip>
                    <rect class=class x=format!("{:.1}", x + 2.0) y=format!("{:.1}", TOP + PLOT - h) width=format!("{:.1}", slot - 4.0) height=format!("{h:.1}") />
                    <text class="axis-label" x=format!("{:.1}", x + slot / 2.0) y=format!("{:.1}", TOP + PLOT + 14.0) text-anchor="middle">{score.value()}</text>
                    <text class="n-label" x=format!("{:.1}", x + slot / 2.0) y=format!("{:.1}", TOP + PLOT + 28.0) text-anchor="middle">{numbers.count(count)}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart histogram" viewBox=format!("0 0 {W} {HEIGHT}") role="group"
            aria-label="Answers per score from 0 to 10">
            {bars}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn period(n: u64) -> PeriodCounts {
        let mut counts = ScoreCounts::default();
        counts.add_many(Score::try_from(9u8).unwrap(), n);
        PeriodCounts {
            label: String::new(),
            start: NaiveDate::default(),
            counts,
        }
    }

    #[test]
    fn the_axis_fits_the_data_in_whole_tens() {
        // Points between +22 and +37 (bands included): the axis runs +20 to +40, not ±100.
        assert_eq!(fitted_range([22.0, 31.5, 37.0].into_iter()), (20.0, 40.0));
        // A flat line still gets 20 points of room.
        assert_eq!(fitted_range([30.0, 30.0].into_iter()), (20.0, 40.0));
        assert_eq!(fitted_range([100.0].into_iter()), (80.0, 100.0));
        assert_eq!(fitted_range([-100.0].into_iter()), (-100.0, -80.0));
        assert_eq!(fitted_range([-63.0, 88.0].into_iter()), (-70.0, 90.0));
        // Nothing drawn: the full scale.
        assert_eq!(fitted_range(std::iter::empty()), (-100.0, 100.0));
        assert_eq!(grid_lines(20.0, 40.0), vec![20.0, 30.0, 40.0]);
        assert_eq!(grid_lines(-70.0, 90.0), vec![-50.0, 0.0, 50.0]);
        assert_eq!(
            grid_lines(-100.0, 100.0),
            vec![-100.0, -50.0, 0.0, 50.0, 100.0]
        );
    }

    #[test]
    fn line_and_band_break_at_buckets_with_too_few_answers() {
        let periods: Vec<PeriodCounts> =
            [12, 30, 3, 40, 0, 11, 10].into_iter().map(period).collect();
        assert_eq!(runs(&periods), vec![vec![0, 1], vec![3], vec![5, 6]]);
        assert_eq!(label_step(7), 1);
        assert_eq!(label_step(90), 9);
        assert_eq!(axis_label("2026-W48"), "W48");
        assert_eq!(axis_label("2026-11-29"), "11-29");
        assert_eq!(axis_label("2026-11"), "2026-11");
    }
}
