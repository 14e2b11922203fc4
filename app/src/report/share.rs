//! Aggregated sharing: what a read-only share link may publish. The rule it must keep: no group
//! of fewer than k answers — a cell, or one band (promoters, passives, detractors) of a cell —
//! can be read off the page or computed exactly from what it shows.
//!
//! A cell is published whole or not at all: its n, its NPS and its interval. Those three give
//! away its band counts (n and NPS give promoters − detractors, the interval's width their
//! sum), so a cell is published only when each of its bands is empty or holds at least k
//! answers. Every dimension shown (the trend's buckets, each segment dimension, answers with
//! the value not known included) partitions the same total, so the attacker's equations are,
//! band by band: the cells of one dimension add up to the total. With the total published,
//! the hidden cells of a dimension are known only as their sum, band by band; so that sum must
//! itself be empty or at least k in every band, and more cells are hidden until it is. The
//! dimensions share nothing but the total, so two of them together tell no more than each
//! alone. With the total hidden (one of its bands is small), every dimension has a hidden cell
//! and the equations leave every cell undetermined. The property test checks this with exact
//! linear algebra over random data.
//!
//! Across pages: links of different lengths, and one link seen day after day, would give away
//! the answers of the days by which two windows differ. So a link counts in fixed periods of
//! four weeks ([`PERIOD_DAYS`], UTC, from one fixed Monday): every window is whole periods of
//! one partition, and each period is a page of its own ([`publish`]). A window shows a figure
//! only where every period of it shows it (or holds no answer of it), as their sum: whatever
//! two windows tell together, each period's own page tells, and those are safe, each alone
//! and (holding disjoint answers) together. The second property test checks every window of
//! a run of periods at once.

use crate::nps::{ScoreCounts, Summary};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A share link's unit of time: its windows are whole periods of this many days.
pub const PERIOD_DAYS: u32 = 28;
/// The longest window: 13 periods, 364 days.
pub const MAX_PERIODS: u32 = 13;

/// The first day of the first period (a Monday): periods never move.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).expect("a calendar date")
}

/// How many periods a link of `days` covers: rounded up, 1 to [`MAX_PERIODS`].
pub fn periods_for(days: u32) -> u32 {
    days.div_ceil(PERIOD_DAYS).clamp(1, MAX_PERIODS)
}

/// The day after the last period over by the start of `day` (UTC): where a window seen then
/// ends, exclusive.
pub fn periods_end(day: NaiveDate) -> NaiveDate {
    let len = i64::from(PERIOD_DAYS);
    epoch() + Duration::days((day - epoch()).num_days().div_euclid(len) * len)
}

/// The first day of each of the `periods` periods ending before `end`, oldest first.
pub fn period_starts(end: NaiveDate, periods: u32) -> Vec<NaiveDate> {
    (0..i64::from(periods))
        .rev()
        .map(|i| end - Duration::days((i + 1) * i64::from(PERIOD_DAYS)))
        .collect()
}

/// One period's answers: the total and, per dimension, each value's counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeriodCells {
    pub total: ScoreCounts,
    pub dimensions: Vec<Vec<(String, ScoreCounts)>>,
}

/// What a window of periods shows.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowPublished {
    pub total: SharedFigure,
    /// Each period's total, as its own page shows it.
    pub trend: Vec<SharedFigure>,
    /// Per dimension, every value seen in any period (in order), with its figure.
    pub dimensions: Vec<Vec<(String, SharedFigure)>>,
}

/// A window's figures from its periods' own pages: a figure is shown only when every period
/// shows it or holds none of its answers, and then as their sum.
pub fn publish_periods(periods: &[PeriodCells], k: u64) -> WindowPublished {
    let dims = periods
        .iter()
        .map(|p| p.dimensions.len())
        .max()
        .unwrap_or(0);
    let pages: Vec<Published> = periods
        .iter()
        .map(|p| {
            let cells: Vec<Vec<ScoreCounts>> = p
                .dimensions
                .iter()
                .map(|d| d.iter().map(|(_, c)| *c).collect())
                .collect();
            publish(&p.total, &cells, k)
        })
        .collect();
    // Shown, or nothing there to protect.
    let safe = |figure: &SharedFigure, c: &ScoreCounts| {
        c.n() == 0 || matches!(figure, SharedFigure::Shown { .. })
    };
    let sum_if_safe = |parts: Vec<(&SharedFigure, &ScoreCounts)>| {
        let mut sum = ScoreCounts::default();
        for (figure, c) in parts {
            if !safe(figure, c) {
                return SharedFigure::Hidden;
            }
            sum.merge(c);
        }
        if sum.n() == 0 {
            SharedFigure::Hidden
        } else {
            figure(&sum)
        }
    };
    let total = sum_if_safe(
        pages
            .iter()
            .zip(periods)
            .map(|(page, p)| (&page.total, &p.total))
            .collect(),
    );
    let trend = pages.iter().map(|page| page.total.clone()).collect();
    let empty = ScoreCounts::default();
    let dimensions = (0..dims)
        .map(|d| {
            // Each value's cell in each period (none: no answers of it there).
            let mut values: BTreeMap<&str, Vec<Option<(&SharedFigure, &ScoreCounts)>>> =
                BTreeMap::new();
            for (i, (page, p)) in pages.iter().zip(periods).enumerate() {
                let (Some(cells), Some(figures)) = (p.dimensions.get(d), page.dimensions.get(d))
                else {
                    continue;
                };
                for ((value, counts), figure) in cells.iter().zip(figures) {
                    values
                        .entry(value.as_str())
                        .or_insert_with(|| vec![None; periods.len()])[i] = Some((figure, counts));
                }
            }
            values
                .into_iter()
                .map(|(value, cells)| {
                    let parts = cells
                        .into_iter()
                        .map(|c| c.unwrap_or((&SharedFigure::Hidden, &empty)))
                        .collect();
                    (value.to_owned(), sum_if_safe(parts))
                })
                .collect()
        })
        .collect();
    WindowPublished {
        total,
        trend,
        dimensions,
    }
}

/// A cell as a share link shows it, and all the page's data holds of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SharedFigure {
    /// Too small, or hidden so that a small one cannot be worked out.
    Hidden,
    Shown {
        n: u64,
        nps: f64,
        /// The adjusted-Wald 95 % interval.
        ci95: (f64, f64),
    },
}

fn bands(c: &ScoreCounts) -> [u64; 3] {
    let s = c.summary();
    [s.promoters, s.passives, s.detractors]
}

/// Whether a cell may be published on its own: not empty, each band empty or at least k.
fn publishable(c: &ScoreCounts, k: u64) -> bool {
    let b = bands(c);
    b.iter().any(|&n| n > 0) && b.iter().all(|&n| n == 0 || n >= k)
}

fn figure(c: &ScoreCounts) -> SharedFigure {
    let s: Summary = c.summary();
    match (s.nps(), s.adjusted_wald_ci95()) {
        (Some(nps), Some(ci)) => SharedFigure::Shown {
            n: s.n(),
            nps,
            ci95: (ci.lo, ci.hi),
        },
        _ => SharedFigure::Hidden,
    }
}

/// Which cells of one dimension to hide, given that the total is published: first the cells
/// that cannot be published, then, while the hidden ones together hold a band of 1..k−1
/// answers (what total − shown would reveal), the smallest shown cell that has answers in
/// that band.
pub fn suppress(cells: &[ScoreCounts], k: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = cells
        .iter()
        .map(|c| c.n() > 0 && !publishable(c, k))
        .collect();
    loop {
        let mut sums = [0u64; 3];
        for (c, _) in cells.iter().zip(&hidden).filter(|(_, h)| **h) {
            for (sum, band) in sums.iter_mut().zip(bands(c)) {
                *sum += band;
            }
        }
        let Some(small) = (0..3).find(|&b| sums[b] > 0 && sums[b] < k) else {
            return hidden;
        };
        let next = cells
            .iter()
            .enumerate()
            .filter(|(i, c)| !hidden[*i] && bands(c)[small] > 0)
            .min_by_key(|(_, c)| c.n())
            .map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            // Every cell is hidden: their sum is the total, whose bands are 0 or ≥ k.
            None => return cells.iter().map(|c| c.n() > 0).collect(),
        }
    }
}

/// The total and every dimension, made safe to publish together.
pub fn publish(total: &ScoreCounts, dimensions: &[Vec<ScoreCounts>], k: u64) -> Published {
    let k = k.max(1);
    if !publishable(total, k) {
        // The total is hidden: each dimension then has a hidden cell of its own (a small band
        // of the total is small in the cell that holds it), and nothing can be subtracted.
        return Published {
            total: SharedFigure::Hidden,
            dimensions: dimensions
                .iter()
                .map(|cells| {
                    cells
                        .iter()
                        .map(|c| {
                            if publishable(c, k) {
                                figure(c)
                            } else {
                                SharedFigure::Hidden
                            }
                        })
                        .collect()
                })
                .collect(),
        };
    }
    Published {
        total: figure(total),
        dimensions: dimensions
            .iter()
            .map(|cells| {
                cells
                    .iter()
                    .zip(suppress(cells, k))
                    .map(|(c, hidden)| {
                        if hidden || c.n() == 0 {
                            SharedFigure::Hidden
                        } else {
                            figure(c)
                        }
                    })
                    .collect()
            })
            .collect(),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub total: SharedFigure,
    /// One list per dimension, in the order given, a figure per cell.
    pub dimensions: Vec<Vec<SharedFigure>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedRow {
    pub label: String,
    pub figure: SharedFigure,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedSegments {
    pub dimension: String,
    pub rows: Vec<SharedRow>,
}

/// What a share link's page shows, and nothing more: suppression happens on the server, and
/// a hidden cell carries no figure at all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedReport {
    pub site_name: String,
    pub days: u32,
    /// The last day the report covers (the last complete day in the organisation's zone).
    pub through: chrono::NaiveDate,
    pub k: u64,
    pub total: SharedFigure,
    pub trend: Vec<SharedRow>,
    pub segments: Vec<SharedSegments>,
}

#[cfg(test)]
// Matrix rows and bands are indexed by position on purpose: the equations read as written.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::nps::Score;
    use proptest::prelude::*;

    fn counts(p: u64, pa: u64, d: u64) -> ScoreCounts {
        let mut c = ScoreCounts::default();
        c.add_many(Score::try_from(10u8).unwrap(), p);
        c.add_many(Score::try_from(8u8).unwrap(), pa);
        c.add_many(Score::try_from(0u8).unwrap(), d);
        c
    }

    fn total_of(cells: &[ScoreCounts]) -> ScoreCounts {
        let mut t = ScoreCounts::default();
        cells.iter().for_each(|c| t.merge(c));
        t
    }

    /// The finding: k = 10, total (20, 20, 13), desktop (10, 10, 10) shown, so mobile's
    /// 3 detractors were total − desktop. Now desktop is hidden with mobile.
    #[test]
    fn the_subtraction_of_the_finding_no_longer_works() {
        let cells = vec![counts(10, 10, 10), counts(10, 10, 3)];
        let published = publish(&total_of(&cells), &[cells], 10);
        assert!(matches!(published.total, SharedFigure::Shown { n: 53, .. }));
        assert_eq!(
            published.dimensions[0],
            vec![SharedFigure::Hidden, SharedFigure::Hidden]
        );
    }

    #[test]
    fn hidden_cells_hold_each_band_as_zero_or_at_least_k() {
        // Hiding (2, 0, 0) alone would leave 2 promoters as total − the rest: the smallest
        // cell with promoters goes with it, though its own bands are fine.
        let cells = vec![
            counts(2, 0, 0),
            counts(40, 20, 10),
            counts(15, 0, 0),
            counts(30, 10, 0),
        ];
        let hidden = suppress(&cells, 10);
        assert_eq!(hidden, vec![true, false, true, false]);
        // Nothing small: nothing hidden.
        assert_eq!(
            suppress(&[counts(10, 0, 12), counts(20, 30, 0)], 10),
            vec![false, false]
        );
    }

    #[test]
    fn a_total_with_a_small_band_is_hidden_and_so_is_every_cell_holding_it() {
        let cells = vec![counts(30, 20, 2), counts(25, 15, 0)];
        let published = publish(&total_of(&cells), &[cells], 10);
        assert_eq!(published.total, SharedFigure::Hidden);
        assert_eq!(published.dimensions[0][0], SharedFigure::Hidden);
        assert!(matches!(
            published.dimensions[0][1],
            SharedFigure::Shown { n: 40, .. }
        ));
    }

    /// Rank of a small dense matrix (rows of coefficients), by Gaussian elimination with
    /// partial pivoting. Entries are small integers, so a tolerance is exact enough.
    fn rank(mut rows: Vec<Vec<f64>>) -> usize {
        let cols = rows.first().map_or(0, Vec::len);
        let mut rank = 0;
        for col in 0..cols {
            let Some(pivot) = (rank..rows.len())
                .max_by(|&a, &b| rows[a][col].abs().partial_cmp(&rows[b][col].abs()).unwrap())
            else {
                break;
            };
            if rows[pivot][col].abs() < 1e-9 {
                continue;
            }
            rows.swap(rank, pivot);
            for r in 0..rows.len() {
                if r != rank {
                    let factor = rows[r][col] / rows[rank][col];
                    if factor != 0.0 {
                        for c in col..cols {
                            rows[r][c] -= factor * rows[rank][c];
                        }
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Everything an attacker knows, as linear equations over the true counts (one unknown
        /// per band of the total and of every cell): each dimension's cells add up to the total,
        /// band by band, and every published cell gives its three bands. A group below k — a
        /// band of 1..k−1 answers, or a cell of 1..k−1 answers — is computable exactly if and
        /// only if its row lies in the span of those equations. None may.
        #[test]
        fn no_group_below_k_can_be_computed_from_what_is_published(
            dims in proptest::collection::vec(
                proptest::collection::vec((0u64..14, 0u64..14, 0u64..14), 1..5), 1..4),
            k in 2u64..12,
        ) {
            // The dimensions partition one total: its cells are the first dimension's, and
            // every other dimension is rescaled to the same band totals by moving the
            // remainder into its last cell.
            let first: Vec<ScoreCounts> = dims[0].iter().map(|&(p, pa, d)| counts(p, pa, d)).collect();
            let total = total_of(&first);
            let tb = bands(&total);
            let mut dimensions = vec![first];
            for raw in &dims[1..] {
                let mut cells: Vec<[u64; 3]> = Vec::new();
                let mut left = tb;
                for &(p, pa, d) in raw {
                    let cell = [p.min(left[0]), pa.min(left[1]), d.min(left[2])];
                    for b in 0..3 { left[b] -= cell[b]; }
                    cells.push(cell);
                }
                let last = cells.len() - 1;
                for b in 0..3 { cells[last][b] += left[b]; }
                dimensions.push(cells.iter().map(|c| counts(c[0], c[1], c[2])).collect());
            }
            let published = publish(&total, &dimensions, k);

            // Unknowns: 3 for the total, then 3 per cell.
            let cells: Vec<&ScoreCounts> = dimensions.iter().flatten().collect();
            let vars = 3 * (1 + cells.len());
            let unit = |i: usize| { let mut r = vec![0.0; vars]; r[i] = 1.0; r };
            let mut known: Vec<Vec<f64>> = Vec::new();
            let mut at = 3;
            for cells in &dimensions {
                for b in 0..3 {
                    let mut row = vec![0.0; vars];
                    row[b] = -1.0;
                    for i in 0..cells.len() { row[at + 3 * i + b] = 1.0; }
                    known.push(row);
                }
                at += 3 * cells.len();
            }
            let figures: Vec<&SharedFigure> = std::iter::once(&published.total)
                .chain(published.dimensions.iter().flatten())
                .collect();
            for (i, f) in figures.iter().enumerate() {
                if let SharedFigure::Shown { n, .. } = f {
                    let true_n = if i == 0 { total.n() } else { cells[i - 1].n() };
                    prop_assert_eq!(*n, true_n);
                    for b in 0..3 { known.push(unit(3 * i + b)); }
                }
            }
            let base = rank(known.clone());
            let values: Vec<[u64; 3]> = std::iter::once(tb).chain(cells.iter().map(|c| bands(c))).collect();
            for (i, v) in values.iter().enumerate() {
                let mut sensitive: Vec<Vec<f64>> = Vec::new();
                for b in 0..3 {
                    if v[b] > 0 && v[b] < k { sensitive.push(unit(3 * i + b)); }
                }
                let n: u64 = v.iter().sum();
                if n > 0 && n < k {
                    let mut row = vec![0.0; vars];
                    for b in 0..3 { row[3 * i + b] = 1.0; }
                    sensitive.push(row);
                }
                for row in sensitive {
                    let mut with = known.clone();
                    with.push(row);
                    prop_assert!(rank(with) > base, "cell {} ({:?}) is computable, k = {}, published {:?}", i, v, k, published);
                }
            }
        }
    }

    /// The rows in reduced row echelon form: (pivot column, row with 1 there), so that a row
    /// is in their span when reducing it by them leaves nothing.
    fn echelon(mut rows: Vec<Vec<f64>>) -> Vec<(usize, Vec<f64>)> {
        let cols = rows.first().map_or(0, Vec::len);
        let mut basis: Vec<(usize, Vec<f64>)> = Vec::new();
        for col in 0..cols {
            let Some(pivot) = (0..rows.len())
                .filter(|&r| rows[r][col].abs() > 1e-9)
                .max_by(|&a, &b| rows[a][col].abs().partial_cmp(&rows[b][col].abs()).unwrap())
            else {
                continue;
            };
            let mut p = rows.swap_remove(pivot);
            let lead = p[col];
            p.iter_mut().for_each(|x| *x /= lead);
            for r in rows.iter_mut().chain(basis.iter_mut().map(|(_, r)| r)) {
                let f = r[col];
                if f != 0.0 {
                    for c in 0..cols {
                        r[c] -= f * p[c];
                    }
                }
            }
            basis.push((col, p));
        }
        basis
    }

    fn in_span(basis: &[(usize, Vec<f64>)], mut row: Vec<f64>) -> bool {
        for (col, p) in basis {
            let f = row[*col];
            if f != 0.0 {
                row.iter_mut().zip(p).for_each(|(x, y)| *x -= f * y);
            }
        }
        row.iter().all(|x| x.abs() < 1e-6)
    }

    #[test]
    fn periods_are_fixed_four_weeks_from_a_monday() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        // 2026-11-30 is a period's first day (2024-01-01 + 35 × 28).
        assert_eq!(periods_end(day("2026-11-30")), day("2026-11-30"));
        assert_eq!(periods_end(day("2026-12-27")), day("2026-11-30"));
        assert_eq!(periods_end(day("2026-12-28")), day("2026-12-28"));
        assert_eq!(
            period_starts(day("2026-11-30"), 2),
            vec![day("2026-10-05"), day("2026-11-02")]
        );
        assert_eq!(
            [1, 28, 29, 90, 364, 3660].map(periods_for),
            [1, 1, 2, 4, 13, 13]
        );
    }

    /// The finding: links of 3 and 2 days gave one day's 6 detractors as a difference. With
    /// periods, the one that holds them hides the cell in every window that includes it.
    #[test]
    fn a_cell_small_in_one_period_is_hidden_in_every_window_with_it() {
        let period = |desktop: ScoreCounts, mobile: ScoreCounts, tablet: ScoreCounts| PeriodCells {
            total: total_of(&[desktop, mobile, tablet]),
            dimensions: vec![vec![
                ("desktop".into(), desktop),
                ("mobile".into(), mobile),
                ("tablet".into(), tablet),
            ]],
        };
        // In the quiet period, tablet (the smallest with detractors) is hidden with desktop,
        // so that their sum holds at least k detractors.
        let quiet = period(counts(21, 13, 6), counts(30, 20, 10), counts(12, 10, 10));
        let busy = period(counts(40, 20, 30), counts(30, 20, 10), counts(20, 20, 20));
        let both = publish_periods(&[busy.clone(), quiet.clone()], 10);
        let shown = |w: &WindowPublished, value: &str| {
            w.dimensions[0]
                .iter()
                .find(|(v, _)| v == value)
                .map(|(_, f)| matches!(f, SharedFigure::Shown { .. }))
                .unwrap()
        };
        assert!(!shown(&both, "desktop"), "{both:?}");
        assert!(!shown(&publish_periods(&[quiet], 10), "desktop"));
        let alone = publish_periods(&[busy], 10);
        assert!(shown(&alone, "desktop"));
        assert!(!shown(&both, "tablet"));
        // Mobile is shown in both: shown as the sum.
        assert!(matches!(
            both.dimensions[0][1].1,
            SharedFigure::Shown { n: 120, .. }
        ));
        assert_eq!(both.trend.len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]

        /// Every window of a run of periods (every link length, seen on every day), together
        /// with each period's partitions: no group below k — a band or a cell of a period, or
        /// of any window — is computable from all of it.
        #[test]
        fn no_group_below_k_can_be_computed_from_every_window_together(
            raw in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(
                        ((0u64..18), (0u64..18), (0u64..18))
                            .prop_map(|(a, b, c)| (a.saturating_sub(4), b.saturating_sub(4), c.saturating_sub(4))),
                        3),
                    2),
                1..4),
            k in 2u64..12,
        ) {
            // Each period: two dimensions of three values partitioning one total.
            let periods: Vec<PeriodCells> = raw.iter().map(|dims| {
                let first: Vec<ScoreCounts> = dims[0].iter().map(|&(p, pa, d)| counts(p, pa, d)).collect();
                let total = total_of(&first);
                let tb = bands(&total);
                let mut left = tb;
                let mut second: Vec<[u64; 3]> = dims[1].iter().map(|&(p, pa, d)| {
                    let cell = [p.min(left[0]), pa.min(left[1]), d.min(left[2])];
                    for b in 0..3 { left[b] -= cell[b]; }
                    cell
                }).collect();
                for b in 0..3 { second[2][b] += left[b]; }
                let label = |d: usize, i: usize| format!("d{d}v{i}");
                PeriodCells {
                    total,
                    dimensions: vec![
                        first.into_iter().enumerate().map(|(i, c)| (label(0, i), c)).collect(),
                        second.iter().enumerate().map(|(i, c)| (label(1, i), counts(c[0], c[1], c[2]))).collect(),
                    ],
                }
            }).collect();
            // Unknowns per period: 3 bands of its total, then 3 per cell (6 cells).
            let per = 3 * 7;
            let vars = per * periods.len();
            let var = |p: usize, cell: Option<(usize, usize)>, b: usize| {
                per * p + cell.map_or(0, |(d, i)| 3 + 9 * d + 3 * i) + b
            };
            let mut known: Vec<Vec<f64>> = Vec::new();
            for p in 0..periods.len() {
                for d in 0..2 {
                    for b in 0..3 {
                        let mut row = vec![0.0; vars];
                        row[var(p, None, b)] = -1.0;
                        for i in 0..3 { row[var(p, Some((d, i)), b)] = 1.0; }
                        known.push(row);
                    }
                }
            }
            let sum_row = |from: usize, to: usize, cell: Option<(usize, usize)>, b: usize| {
                let mut row = vec![0.0; vars];
                for p in from..to { row[var(p, cell, b)] = 1.0; }
                row
            };
            let mut sensitive: Vec<Vec<f64>> = Vec::new();
            let band_of = |p: usize, cell: Option<(usize, usize)>| match cell {
                None => bands(&periods[p].total),
                Some((d, i)) => bands(&periods[p].dimensions[d][i].1),
            };
            let cells: Vec<Option<(usize, usize)>> = std::iter::once(None)
                .chain((0..2).flat_map(|d| (0..3).map(move |i| Some((d, i)))))
                .collect();
            for from in 0..periods.len() {
                for to in from + 1..=periods.len() {
                    let w = publish_periods(&periods[from..to], k);
                    let shown = |f: &SharedFigure| matches!(f, SharedFigure::Shown { .. });
                    for &cell in &cells {
                        let figure = match cell {
                            None => &w.total,
                            Some((d, i)) => {
                                let label = format!("d{d}v{i}");
                                &w.dimensions[d].iter().find(|(v, _)| *v == label).unwrap().1
                            }
                        };
                        if shown(figure) {
                            for b in 0..3 { known.push(sum_row(from, to, cell, b)); }
                        }
                        // The window's own groups.
                        let mut sums = [0u64; 3];
                        for p in from..to {
                            for (s, v) in sums.iter_mut().zip(band_of(p, cell)) { *s += v; }
                        }
                        for b in 0..3 {
                            if sums[b] > 0 && sums[b] < k { sensitive.push(sum_row(from, to, cell, b)); }
                        }
                        let n: u64 = sums.iter().sum();
                        if n > 0 && n < k {
                            let mut row = vec![0.0; vars];
                            for b in 0..3 { row.iter_mut().zip(sum_row(from, to, cell, b)).for_each(|(x, y)| *x += y); }
                            sensitive.push(row);
                        }
                    }
                    for (i, f) in w.trend.iter().enumerate() {
                        if shown(f) {
                            for b in 0..3 { known.push(sum_row(from + i, from + i + 1, None, b)); }
                        }
                    }
                }
            }
            let basis = echelon(known);
            for row in sensitive {
                prop_assert!(!in_span(&basis, row.clone()), "computable: {:?}, k = {}, periods {:?}", row, k, periods);
            }
        }
    }
}
