//! NPS corrected for who did not answer. Pure: no I/O.
//!
//! Every visitor the survey was shown to left an impression with the same non-content context
//! as an answer (device, trigger, language, country). Within a cell of that context, the
//! response propensity is answered ÷ shown. Weighting each answer by the inverse of its cell's
//! propensity makes the answers stand for everyone who was asked, on one assumption: within a
//! cell, visitors who answered feel like those who did not (missing at random given the cell).
//!
//! A cell with few impressions gives a noisy propensity, so cells are coarsened until they hold
//! `MIN_SHOWN` impressions: the last dimension is dropped first (country, then language, then
//! trigger, then device, down to the whole view). Weights above `TRIM` times the median are
//! trimmed to it, so that one rare cell cannot carry the figure. The corrected NPS is the
//! weighted mean of y = 100·(promoter − detractor), its standard error the linearised one of a
//! weighted mean, √(Σ wᵢ²(yᵢ − ȳ)²) / Σ wᵢ, and its effective sample size Kish's
//! (Σ wᵢ)² / Σ wᵢ².

use std::collections::HashMap;

/// Impressions a cell needs before its own propensity is used.
pub const MIN_SHOWN: u64 = 50;
/// No weight exceeds this many times the median weight.
pub const TRIM: f64 = 5.0;
/// Fewer impressions than this in the whole view: no correction.
pub const MIN_VIEW_SHOWN: u64 = 100;
const Z95: f64 = 1.959_963_984_540_054;

/// Shown and answered impressions of one cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub shown: u64,
    pub answered: u64,
}

/// The corrected NPS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Corrected {
    pub nps: f64,
    pub ci95: (f64, f64),
    pub effective_n: f64,
}

/// The weight of an answer in each cell of `cells` (keys are the context values in coarsening
/// order), from the impressions of each full cell; `None` for a view with too few impressions.
pub fn propensity_weights(
    impressions: &HashMap<Vec<String>, Reach>,
    cells: &[Vec<String>],
) -> Option<Vec<f64>> {
    let total: u64 = impressions.values().map(|r| r.shown).sum();
    if total < MIN_VIEW_SHOWN || cells.is_empty() {
        return None;
    }
    // Impressions at every level of coarsening: the first k values of the key.
    let mut levels: HashMap<Vec<String>, Reach> = HashMap::new();
    for (key, reach) in impressions {
        for k in 0..=key.len() {
            let entry = levels.entry(key[..k].to_vec()).or_default();
            entry.shown += reach.shown;
            entry.answered += reach.answered;
        }
    }
    let mut weights: Vec<f64> = cells
        .iter()
        .map(|cell| {
            let reach = (0..=cell.len())
                .rev()
                .filter_map(|k| levels.get(&cell[..k]))
                .find(|r| r.shown >= MIN_SHOWN)
                .or_else(|| levels.get(&cell[..0]))
                .copied()
                .unwrap_or_default();
            // An answer always counts at least itself: propensity at most 1, never 0.
            let propensity = (reach.answered.max(1) as f64 / reach.shown.max(1) as f64)
                .clamp(f64::MIN_POSITIVE, 1.0);
            1.0 / propensity
        })
        .collect();
    let mut sorted = weights.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    for w in &mut weights {
        *w = w.min(TRIM * median);
    }
    Some(weights)
}

/// The weighted NPS of answers `y` (+100, 0, −100) with `weights`.
pub fn weighted_nps(y: &[f64], weights: &[f64]) -> Option<Corrected> {
    let sum_w: f64 = weights.iter().sum();
    if y.is_empty() || y.len() != weights.len() || sum_w <= 0.0 {
        return None;
    }
    let mean = y.iter().zip(weights).map(|(y, w)| y * w).sum::<f64>() / sum_w;
    let spread: f64 = y
        .iter()
        .zip(weights)
        .map(|(y, w)| (w * (y - mean)).powi(2))
        .sum();
    let se = spread.sqrt() / sum_w;
    let sum_w2: f64 = weights.iter().map(|w| w * w).sum();
    Some(Corrected {
        nps: mean,
        ci95: (mean - Z95 * se, mean + Z95 * se),
        effective_n: sum_w * sum_w / sum_w2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Lcg;

    fn key(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    /// Kish's effective n by hand: weights 1, 1, 2, 4 → (1+1+2+4)² / (1+1+4+16) = 64 / 22.
    #[test]
    fn the_effective_n_of_a_small_case_by_hand() {
        let c = weighted_nps(&[100.0, 0.0, -100.0, 100.0], &[1.0, 1.0, 2.0, 4.0]).unwrap();
        assert!((c.effective_n - 64.0 / 22.0).abs() < 1e-12);
        // Weighted NPS: (100 + 0 − 200 + 400) / 8 = 37.5.
        assert!((c.nps - 37.5).abs() < 1e-12);
        // Equal weights: the plain NPS, and n itself.
        let plain = weighted_nps(&[100.0, 0.0, -100.0, 100.0], &[3.0; 4]).unwrap();
        assert!((plain.nps - 25.0).abs() < 1e-12 && (plain.effective_n - 4.0).abs() < 1e-12);
    }

    #[test]
    fn a_thin_cell_takes_its_coarser_cells_propensity() {
        let mut impressions = HashMap::new();
        impressions.insert(
            key(&["mobile", "FI"]),
            Reach {
                shown: 400,
                answered: 40,
            },
        );
        impressions.insert(
            key(&["mobile", "SE"]),
            Reach {
                shown: 10,
                answered: 9,
            },
        );
        impressions.insert(
            key(&["desktop", "FI"]),
            Reach {
                shown: 200,
                answered: 100,
            },
        );
        let weights = propensity_weights(
            &impressions,
            &[
                key(&["mobile", "FI"]),
                key(&["mobile", "SE"]),
                key(&["desktop", "FI"]),
            ],
        )
        .unwrap();
        // mobile/FI: 40 of 400 → weight 10; mobile/SE has 10 shown, so mobile: 49 of 410;
        // desktop/FI: 100 of 200 → 2. The median is 410/49 = 8.37; 5 × that trims nothing.
        assert!((weights[0] - 10.0).abs() < 1e-12);
        assert!((weights[1] - 410.0 / 49.0).abs() < 1e-12);
        assert!((weights[2] - 2.0).abs() < 1e-12);
        // Too few impressions in the whole view: no correction.
        let few = HashMap::from([(
            key(&["mobile"]),
            Reach {
                shown: 20,
                answered: 5,
            },
        )]);
        assert_eq!(propensity_weights(&few, &[key(&["mobile"])]), None);
    }

    /// Simulated visitors whose truth is known: half on phones, who answer a fifth as often
    /// and score lower (NPS −20 against +40 on computers), so everyone asked has NPS +10. The
    /// answers alone over-represent computers (raw NPS about +30); weighted by the inverse of
    /// each device's response rate, the corrected NPS holds +10 within its interval and the
    /// raw one does not.
    #[test]
    fn the_corrected_nps_recovers_the_truth_that_the_raw_one_misses() {
        let mut rng = Lcg(11);
        let mut impressions: HashMap<Vec<String>, Reach> = HashMap::new();
        let (mut y, mut cells) = (vec![], vec![]);
        for _ in 0..40_000 {
            let phone = rng.next() < 0.5;
            let cell = key(&[if phone { "mobile" } else { "desktop" }]);
            let answers = rng.next() < if phone { 0.05 } else { 0.25 };
            let entry = impressions.entry(cell.clone()).or_default();
            entry.shown += 1;
            if !answers {
                continue;
            }
            entry.answered += 1;
            let nps: f64 = if phone { -20.0 } else { 40.0 };
            let u = rng.next();
            let (promoter, detractor) = (0.3 + nps / 200.0, 0.3 - nps / 200.0);
            y.push(if u < promoter {
                100.0
            } else if u < promoter + detractor {
                -100.0
            } else {
                0.0
            });
            cells.push(cell);
        }
        let truth = 10.0;
        let raw = weighted_nps(&y, &vec![1.0; y.len()]).unwrap();
        assert!(!(raw.ci95.0..=raw.ci95.1).contains(&truth), "raw {raw:?}");
        let weights = propensity_weights(&impressions, &cells).unwrap();
        let corrected = weighted_nps(&y, &weights).unwrap();
        assert!(
            (corrected.ci95.0..=corrected.ci95.1).contains(&truth),
            "corrected {corrected:?}"
        );
        assert!(corrected.effective_n < y.len() as f64);
    }
}
