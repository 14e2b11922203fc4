//! Drivers: which segments move NPS once the others are held fixed. Pure: no I/O.
//!
//! NPS is the mean of y = 100·(promoter − detractor) over answers (+100, 0 or −100 each). A
//! linear model of y on one indicator per segment value (each dimension's most common value is
//! its reference, absorbed in the intercept) gives each value's effect in NPS points with the
//! other dimensions held fixed. It is fitted by ridge regression, which keeps a value seen in
//! few answers near zero instead of letting it take a wild value:
//!
//! β = (XᵀX + λD)⁻¹ Xᵀy, D the identity with 0 for the intercept (not shrunk),
//!
//! and its uncertainty is the robust (sandwich, HC0) covariance, which does not assume every
//! answer's y varies alike (it cannot: y takes three values, and its spread depends on the mix):
//!
//! V = A⁻¹ (Σᵢ eᵢ² xᵢxᵢᵀ) A⁻¹, A = XᵀX + λD, eᵢ = yᵢ − xᵢᵀβ.
//!
//! The raw effect of a value is the plain difference of NPS between answers with it and answers
//! with its dimension's reference value. When the raw and the adjusted effects point opposite
//! ways and the adjusted one is clear of zero, the value's raw effect was carried by another
//! dimension (Simpson's paradox): the panel flags it.

use nalgebra::{DMatrix, DVector};
use std::collections::HashMap;

/// Shrinkage, in answers: a value seen in about this many answers is pulled halfway to 0.
pub const RIDGE_LAMBDA: f64 = 5.0;
/// A value needs this many answers to be a column of its own (rarer ones join the reference).
pub const MIN_LEVEL_ANSWERS: usize = 30;
/// At most this many values of a dimension get a column (the most answered): pages and
/// languages are whatever visitors send, and the model's cost grows with its columns squared.
pub const MAX_LEVELS: usize = 20;
const Z95: f64 = 1.959_963_984_540_054;

/// One answer: its y (+100, 0, −100) and its value in each dimension (None: not known).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub y: f64,
    pub values: Vec<Option<String>>,
}

/// One value's effect against its dimension's reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The dimension's index among those given.
    pub dimension: usize,
    pub value: String,
    /// The dimension's reference value (its most common).
    pub reference: String,
    pub answers: usize,
    pub raw: f64,
    pub adjusted: f64,
    pub ci95: (f64, f64),
    pub reversed: bool,
}

/// A fitted linear model: coefficients and their sandwich covariance.
#[derive(Clone, Debug)]
pub struct Fit {
    pub beta: DVector<f64>,
    pub covariance: DMatrix<f64>,
}

/// One row of the design: its non-zero columns and their values (an indicator row has a handful
/// of ones among many columns, so XᵀX is summed row by row in O(non-zeros²), never as a dense
/// n × p product).
pub type SparseRow = Vec<(usize, f64)>;

/// Ridge regression of `y` on `p` columns given row by row (column 0, the intercept, not
/// shrunk), with the HC0 sandwich covariance. `None` when the system is singular (λ = 0 and a
/// column that is a combination of others).
pub fn ridge_sandwich(rows: &[SparseRow], y: &[f64], p: usize, lambda: f64) -> Option<Fit> {
    let mut a = DMatrix::<f64>::zeros(p, p);
    let mut xty = DVector::<f64>::zeros(p);
    for (row, y) in rows.iter().zip(y) {
        for &(j, xj) in row {
            xty[j] += xj * y;
            for &(k, xk) in row {
                a[(j, k)] += xj * xk;
            }
        }
    }
    for j in 1..p {
        a[(j, j)] += lambda;
    }
    let a_inv = a.try_inverse()?;
    let beta = &a_inv * xty;
    // Σ eᵢ² xᵢxᵢᵀ, row by row.
    let mut meat = DMatrix::<f64>::zeros(p, p);
    for (row, y) in rows.iter().zip(y) {
        let e = y - row.iter().map(|&(j, x)| x * beta[j]).sum::<f64>();
        for &(j, xj) in row {
            for &(k, xk) in row {
                meat[(j, k)] += e * e * xj * xk;
            }
        }
    }
    let covariance = &a_inv * meat * &a_inv;
    Some(Fit { beta, covariance })
}

/// The effects of every value common enough to have its own column, in the order of the
/// dimensions and then of the values' answers (most first).
pub fn drivers(observations: &[Observation], dimensions: usize) -> Vec<Effect> {
    // Each dimension's values by answers, most first; the first is the reference.
    let value_of = |o: &Observation, d: usize| -> String {
        o.values.get(d).cloned().flatten().unwrap_or_default()
    };
    let mut levels: Vec<Vec<(String, usize)>> = (0..dimensions)
        .map(|d| {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for o in observations {
                *counts.entry(value_of(o, d)).or_default() += 1;
            }
            counts.into_iter().collect()
        })
        .collect();
    for l in &mut levels {
        l.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    // Columns: the intercept, then each non-reference value with enough answers, the most
    // answered `MAX_LEVELS` of each dimension.
    let mut columns: Vec<(usize, String, usize)> = vec![];
    let mut column_of: HashMap<(usize, &str), usize> = HashMap::new();
    for (d, l) in levels.iter().enumerate() {
        for (value, n) in l
            .iter()
            .skip(1)
            .take(MAX_LEVELS)
            .filter(|(_, n)| *n >= MIN_LEVEL_ANSWERS)
        {
            columns.push((d, value.clone(), *n));
            column_of.insert((d, value.as_str()), columns.len());
        }
    }
    if observations.is_empty() || columns.is_empty() {
        return vec![];
    }
    let rows: Vec<SparseRow> = observations
        .iter()
        .map(|o| {
            let mut row = vec![(0, 1.0)];
            for d in 0..dimensions {
                if let Some(&j) = column_of.get(&(d, value_of(o, d).as_str())) {
                    row.push((j, 1.0));
                }
            }
            row
        })
        .collect();
    let y: Vec<f64> = observations.iter().map(|o| o.y).collect();
    let Some(fit) = ridge_sandwich(&rows, &y, columns.len() + 1, RIDGE_LAMBDA) else {
        return vec![];
    };
    // The raw effect is against the same baseline as the adjusted one: the reference value and
    // the values too rare for a column of their own.
    let has_column =
        |o: &Observation, d: usize| column_of.contains_key(&(d, value_of(o, d).as_str()));
    let mean_y = |keep: &dyn Fn(&Observation) -> bool| {
        let (sum, count) = observations
            .iter()
            .filter(|o| keep(o))
            .fold((0.0, 0usize), |(s, c), o| (s + o.y, c + 1));
        sum / count.max(1) as f64
    };
    columns
        .iter()
        .enumerate()
        .map(|(k, (d, value, answers))| {
            let j = k + 1;
            let reference = levels[*d][0].0.clone();
            let raw = mean_y(&|o| value_of(o, *d) == *value) - mean_y(&|o| !has_column(o, *d));
            let adjusted = fit.beta[j];
            let se = fit.covariance[(j, j)].max(0.0).sqrt();
            let ci95 = (adjusted - Z95 * se, adjusted + Z95 * se);
            let clear_of_zero = ci95.0 > 0.0 || ci95.1 < 0.0;
            Effect {
                dimension: *d,
                value: value.clone(),
                reference,
                answers: *answers,
                raw,
                adjusted,
                ci95,
                reversed: clear_of_zero && raw * adjusted < 0.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Lcg;

    /// Reference figures from an independent implementation: statsmodels' OLS with HC0
    /// standard errors (λ = 0), and numpy's ridge with the same sandwich (λ = 5), on a small
    /// design, written by `scripts/fixtures/drivers.py` into `drivers_fixture.json`.
    #[test]
    fn matches_statsmodels_and_numpy_on_the_fixture() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("drivers_fixture.json")).unwrap();
        let dense = fixture["x"].as_array().unwrap();
        let p = dense[0].as_array().unwrap().len();
        let rows: Vec<SparseRow> = dense
            .iter()
            .map(|row| {
                (0..p)
                    .map(|j| (j, row[j].as_f64().unwrap()))
                    .filter(|(_, x)| *x != 0.0)
                    .collect()
            })
            .collect();
        let y: Vec<f64> = fixture["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (lambda, key) in [(0.0, "ols_hc0"), (5.0, "ridge_hc0")] {
            let fit = ridge_sandwich(&rows, &y, p, lambda).unwrap();
            let expected = &fixture[key];
            for j in 0..p {
                let beta = expected["beta"][j].as_f64().unwrap();
                let se = expected["se"][j].as_f64().unwrap();
                assert!(
                    (fit.beta[j] - beta).abs() < 1e-8,
                    "{key} β{j}: {} vs {beta}",
                    fit.beta[j]
                );
                let got_se = fit.covariance[(j, j)].sqrt();
                assert!((got_se - se).abs() < 1e-8, "{key} se{j}: {got_se} vs {se}");
            }
        }
    }

    /// A simulated site where phones truly score 20 points higher than computers, but most
    /// phone answers come through the exit-intent trigger, which scores 60 points lower: raw,
    /// phones look worse; held fixed for the trigger, the model recovers +20 within its
    /// interval, and flags the reversal.
    #[test]
    fn a_confounder_reverses_the_raw_effect_and_the_adjusted_one_recovers_the_truth() {
        let mut rng = Lcg(7);
        let mut observations = vec![];
        for _ in 0..6000 {
            let phone = rng.next() < 0.5;
            // Phones come by exit intent 90 % of the time, computers 10 %.
            let exit_intent = rng.next() < if phone { 0.9 } else { 0.1 };
            // Chance of promoter / detractor, from a latent NPS of the cell.
            let nps: f64 =
                30.0 + if phone { 20.0 } else { 0.0 } - if exit_intent { 60.0 } else { 0.0 };
            // Half the answers are passives; the rest split to give the cell its NPS.
            let u = rng.next();
            // promoters − detractors = nps / 100, so the cell's NPS is `nps`.
            let promoter = 0.25 + nps / 200.0;
            let detractor = 0.25 - nps / 200.0;
            let y = if u < promoter {
                100.0
            } else if u < promoter + detractor {
                -100.0
            } else {
                0.0
            };
            observations.push(Observation {
                y,
                values: vec![
                    Some(if phone { "mobile" } else { "desktop" }.into()),
                    Some(if exit_intent { "exit_intent" } else { "button" }.into()),
                ],
            });
        }
        let effects = drivers(&observations, 2);
        let device = effects.iter().find(|e| e.dimension == 0).unwrap();
        // The reference is whichever device is more common; the effect is phone vs computer.
        let sign = if device.value == "mobile" { 1.0 } else { -1.0 };
        assert!(
            sign * device.raw < 0.0,
            "raw: phones look worse ({})",
            device.raw
        );
        let (lo, hi) = device.ci95;
        assert!(sign * device.adjusted > 0.0);
        let truth = 20.0 * sign;
        assert!(lo <= truth && truth <= hi, "{truth} in {lo}..{hi}");
        assert!(device.reversed);
        let trigger = effects.iter().find(|e| e.dimension == 1).unwrap();
        let truth = if trigger.value == "exit_intent" {
            -60.0
        } else {
            60.0
        };
        assert!(
            trigger.ci95.0 <= truth && truth <= trigger.ci95.1,
            "{trigger:?}"
        );
        assert!(!trigger.reversed);
    }

    #[test]
    fn rare_values_have_no_column_and_no_answers_no_effects() {
        let obs = |v: &str, y| Observation {
            y,
            values: vec![Some(v.into())],
        };
        let mut observations: Vec<Observation> = (0..100).map(|_| obs("FI", 100.0)).collect();
        observations.extend((0..5).map(|_| obs("SE", -100.0)));
        assert!(drivers(&observations, 1).is_empty());
        assert!(drivers(&[], 1).is_empty());
        observations.extend((0..40).map(|_| obs("SE", -100.0)));
        let effects = drivers(&observations, 1);
        assert_eq!(effects.len(), 1);
        assert_eq!(
            (effects[0].value.as_str(), effects[0].reference.as_str()),
            ("SE", "FI")
        );
        assert_eq!(effects[0].raw, -200.0);
        // Shrunk a little toward 0 by the ridge, never past the raw difference.
        assert!(effects[0].adjusted < 0.0 && effects[0].adjusted > -200.0);
    }
}
