use super::score::{Band, Score};
use super::stats::{normal_two_sided_p, Z_95};
use serde::{Deserialize, Serialize};

/// How many answers gave each score 0–10: the one aggregate every NPS figure is derived from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreCounts(pub [u64; 11]);

impl ScoreCounts {
    pub fn add(&mut self, score: Score) {
        self.0[usize::from(score.value())] += 1;
    }

    pub fn add_many(&mut self, score: Score, count: u64) {
        self.0[usize::from(score.value())] += count;
    }

    pub fn count(&self, score: Score) -> u64 {
        self.0[usize::from(score.value())]
    }

    /// How many answers in all.
    pub fn n(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Adds another set of counts, as summing two aggregate rows does.
    pub fn merge(&mut self, other: &ScoreCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for score in Score::all() {
            let count = self.count(score);
            match score.band() {
                Band::Detractor => summary.detractors += count,
                Band::Passive => summary.passives += count,
                Band::Promoter => summary.promoters += count,
            }
        }
        summary
    }
}

impl FromIterator<Score> for ScoreCounts {
    fn from_iter<I: IntoIterator<Item = Score>>(iter: I) -> Self {
        let mut counts = ScoreCounts::default();
        iter.into_iter().for_each(|s| counts.add(s));
        counts
    }
}

/// A closed interval on the NPS scale (−100…100).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Band counts for one group of answers. Every figure is derived on demand, so a summary can
/// never disagree with itself; all NPS-scale figures are on −100…100.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

/// Pseudo-counts of the adjusted Wald interval (detractors, passives, promoters): they pull small
/// samples toward 0 and keep the interval's coverage close to 95 % even at n of a few dozen.
const ADJUST_DETRACTORS: f64 = 0.75;
const ADJUST_PASSIVES: f64 = 1.5;
const ADJUST_PROMOTERS: f64 = 0.75;

impl Summary {
    pub fn new(promoters: u64, passives: u64, detractors: u64) -> Self {
        Summary {
            promoters,
            passives,
            detractors,
        }
    }

    pub fn n(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    pub fn add(&mut self, score: Score) {
        match score.band() {
            Band::Detractor => self.detractors += 1,
            Band::Passive => self.passives += 1,
            Band::Promoter => self.promoters += 1,
        }
    }

    pub fn merge(&self, other: &Summary) -> Summary {
        Summary::new(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )
    }

    /// Net Promoter Score, −100…100; `None` without answers.
    pub fn nps(&self) -> Option<f64> {
        self.proportions().map(|(p, d)| 100.0 * (p - d))
    }

    /// Per-respondent variance of the promoter(+1)/passive(0)/detractor(−1) score, on the
    /// proportion scale: `p + d − (p − d)²`.
    pub fn variance(&self) -> Option<f64> {
        self.proportions().map(|(p, d)| trinomial_variance(p, d))
    }

    /// Standard error of the NPS, on the −100…100 scale.
    pub fn standard_error(&self) -> Option<f64> {
        let n = self.n() as f64;
        self.variance().map(|v| 100.0 * (v / n).sqrt())
    }

    /// The textbook 95 % Wald interval, NPS ± 1.96·SE, clipped to −100…100.
    pub fn wald_ci95(&self) -> Option<Interval> {
        let (nps, se) = (self.nps()?, self.standard_error()?);
        Some(clipped(nps, Z_95 * se))
    }

    /// The adjusted Wald 95 % interval: the Wald interval after adding 0.75 detractors, 1.5
    /// passives and 0.75 promoters. Better behaved than Wald at small n and at ±100.
    pub fn adjusted_wald_ci95(&self) -> Option<Interval> {
        if self.n() == 0 {
            return None;
        }
        let d = self.detractors as f64 + ADJUST_DETRACTORS;
        let a = self.passives as f64 + ADJUST_PASSIVES;
        let p = self.promoters as f64 + ADJUST_PROMOTERS;
        let n = d + a + p;
        let (p, d) = (p / n, d / n);
        let se = (trinomial_variance(p, d) / n).sqrt();
        Some(clipped(100.0 * (p - d), 100.0 * Z_95 * se))
    }

    fn proportions(&self) -> Option<(f64, f64)> {
        let n = self.n();
        (n > 0).then(|| {
            let n = n as f64;
            (self.promoters as f64 / n, self.detractors as f64 / n)
        })
    }
}

fn trinomial_variance(p: f64, d: f64) -> f64 {
    // Rounding can take p + d − (p − d)² a hair below zero when everyone is in one band.
    (p + d - (p - d).powi(2)).max(0.0)
}

fn clipped(center: f64, half_width: f64) -> Interval {
    Interval {
        lo: (center - half_width).max(-100.0),
        hi: (center + half_width).min(100.0),
    }
}

/// Two periods compared by a two-sample z test on the NPS.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// NPS of the current period minus NPS of the earlier one, in points.
    pub change: f64,
    pub z: f64,
    /// Two-sided p-value of "no change".
    pub p_value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    RealRise,
    RealDrop,
    WithinNoise,
}

impl Comparison {
    /// `(NPS₁ − NPS₂) / sqrt(var₁/n₁ + var₂/n₂)`. `None` when either period has no answers, or
    /// when both are without spread (everyone in one band), where the test says nothing.
    pub fn between(current: &Summary, earlier: &Summary) -> Option<Comparison> {
        let (n1, n2) = (current.n() as f64, earlier.n() as f64);
        let (v1, v2) = (current.variance()?, earlier.variance()?);
        let change = current.nps()? - earlier.nps()?;
        let se = (v1 / n1 + v2 / n2).sqrt();
        if se == 0.0 {
            return None;
        }
        let z = (change / 100.0) / se;
        Some(Comparison {
            change,
            z,
            p_value: normal_two_sided_p(z),
        })
    }

    pub fn verdict(&self, alpha: f64) -> Verdict {
        match (self.p_value < alpha, self.change > 0.0) {
            (false, _) => Verdict::WithinNoise,
            (true, true) => Verdict::RealRise,
            (true, false) => Verdict::RealDrop,
        }
    }

    /// The verdict as one plain sentence: what moved, by how much, and whether chance alone
    /// could well have done it.
    pub fn sentence(&self, alpha: f64) -> String {
        let points = points(self.change.abs());
        let moved = match self.change {
            c if c > 0.0 => format!("NPS rose {points}"),
            c if c < 0.0 => format!("NPS fell {points}"),
            _ => return "NPS did not change.".into(),
        };
        match self.verdict(alpha) {
            Verdict::WithinNoise => {
                format!("{moved}; a change this small often comes from chance alone.")
            }
            _ => format!("{moved}; a change this large is unlikely to be chance."),
        }
    }
}

/// "1 point", "10 points", "2.5 points": one decimal, and none when it is 0.
fn points(change: f64) -> String {
    let rounded = (change * 10.0).round() / 10.0;
    let number = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    if number == "1" {
        "1 point".into()
    } else {
        format!("{number} points")
    }
}

/// A p-value as people read it: three decimals, and "p < 0.001" rather than "p = 0.000".
pub fn p_value_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn moved(change: f64, p_value: f64) -> String {
        Comparison {
            change,
            z: 0.0,
            p_value,
        }
        .sentence(0.05)
    }

    #[test]
    fn a_verdict_reads_as_one_sentence() {
        assert_eq!(
            moved(10.0, 0.0001),
            "NPS rose 10 points; a change this large is unlikely to be chance."
        );
        assert_eq!(
            moved(-4.25, 0.01),
            "NPS fell 4.3 points; a change this large is unlikely to be chance."
        );
        assert_eq!(
            moved(1.04, 0.4),
            "NPS rose 1 point; a change this small often comes from chance alone."
        );
        assert_eq!(moved(0.0, 1.0), "NPS did not change.");
    }

    #[test]
    fn tiny_p_values_are_bounded_not_rounded_to_zero() {
        assert_eq!(p_value_text(0.000_02), "p < 0.001");
        assert_eq!(p_value_text(0.001), "p = 0.001");
        assert_eq!(p_value_text(0.0456), "p = 0.046");
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    // Worked by hand: n = 100, p = 0.5, d = 0.2.
    //   NPS = 100·(0.5 − 0.2) = 30
    //   var = 0.5 + 0.2 − 0.3² = 0.61;  SE = 100·sqrt(0.61/100) = 7.810249675906654
    //   Wald = 30 ± 1.959963984540054·7.810249675906654 = [14.692191924957, 45.307808075043]
    //   Adjusted: P' = 50.75, D' = 20.75, n' = 103 → centre 100·30/103 = 29.126213592233,
    //   var' = (71.5/103) − (30/103)² → interval [14.051130178762, 44.201297005704]
    #[test]
    fn worked_example_fifty_thirty_twenty() {
        let s = Summary::new(50, 30, 20);
        assert_eq!(s.n(), 100);
        assert!(close(s.nps().unwrap(), 30.0));
        assert!(close(s.variance().unwrap(), 0.61));
        assert!(close(s.standard_error().unwrap(), 7.810_249_675_906_654));
        let w = s.wald_ci95().unwrap();
        assert!(close(w.lo, 14.692_191_924_957_33) && close(w.hi, 45.307_808_075_042_665));
        let a = s.adjusted_wald_ci95().unwrap();
        assert!(close(a.lo, 14.051_130_178_761_607), "{a:?}");
        assert!(close(a.hi, 44.201_297_005_704_41), "{a:?}");
    }

    // n = 5 (3/1/1): NPS 40, var 0.64, SE 100·sqrt(0.128) = 35.777; Wald's upper end runs past
    // 100 and is clipped, while the adjusted interval stays inside: [−29.7827, 79.7827].
    #[test]
    fn small_samples_are_clipped_and_adjusted() {
        let s = Summary::new(3, 1, 1);
        let w = s.wald_ci95().unwrap();
        assert!(close(w.hi, 100.0));
        assert!(close(w.lo, -30.121_803_246_126_54));
        let a = s.adjusted_wald_ci95().unwrap();
        assert!(close(a.lo, -29.782_658_786_036_354) && close(a.hi, 79.782_658_786_036_35));
    }

    // Everyone a detractor: Wald collapses to a point, the adjusted interval does not.
    #[test]
    fn unanimous_answers_still_get_an_honest_interval() {
        let s = Summary::new(0, 0, 5);
        assert!(close(s.nps().unwrap(), -100.0));
        assert_eq!(s.standard_error().unwrap(), 0.0);
        let a = s.adjusted_wald_ci95().unwrap();
        assert!(
            close(a.lo, -100.0) && close(a.hi, -17.491_453_034_168_97),
            "{a:?}"
        );
    }

    #[test]
    fn no_answers_means_no_figures() {
        let s = Summary::default();
        assert_eq!(s.nps(), None);
        assert_eq!(s.standard_error(), None);
        assert_eq!(s.wald_ci95(), None);
        assert_eq!(s.adjusted_wald_ci95(), None);
        assert_eq!(Comparison::between(&s, &Summary::new(1, 1, 1)), None);
    }

    // Period 1: 50/30/20 (NPS 30, var 0.61); period 2: 30/30/40 (NPS −10, var 0.69).
    // z = 0.4 / sqrt(0.0061 + 0.0069) = 3.508232077228; p = 0.000451095.
    #[test]
    fn z_test_worked_example() {
        let c = Comparison::between(&Summary::new(50, 30, 20), &Summary::new(30, 30, 40)).unwrap();
        assert!(close(c.change, 40.0));
        assert!((c.z - 3.508_232_077_228_117).abs() < 1e-9);
        assert!((c.p_value - 0.000_451_095_347_6).abs() < 1e-8);
        assert_eq!(c.verdict(0.05), Verdict::RealRise);
        let back = Comparison::between(&Summary::new(30, 30, 40), &Summary::new(50, 30, 20));
        assert_eq!(back.unwrap().verdict(0.05), Verdict::RealDrop);
    }

    #[test]
    fn identical_periods_are_within_noise() {
        let s = Summary::new(40, 30, 30);
        let c = Comparison::between(&s, &s).unwrap();
        assert_eq!(c.z, 0.0);
        assert!(close(c.p_value, 1.0));
        assert_eq!(c.verdict(0.05), Verdict::WithinNoise);
    }

    #[test]
    fn counts_fold_into_bands() {
        let counts: ScoreCounts = [0u8, 6, 7, 8, 9, 10, 10]
            .into_iter()
            .map(|v| Score::try_from(v).unwrap())
            .collect();
        assert_eq!(counts.summary(), Summary::new(3, 2, 2));
    }

    fn summaries() -> impl Strategy<Value = Summary> {
        (0u64..5_000, 0u64..5_000, 0u64..5_000).prop_map(|(p, a, d)| Summary::new(p, a, d))
    }

    proptest! {
        #[test]
        fn nps_and_intervals_stay_in_range(s in summaries()) {
            prop_assume!(s.n() > 0);
            let nps = s.nps().unwrap();
            prop_assert!((-100.0..=100.0).contains(&nps));
            let w = s.wald_ci95().unwrap();
            let a = s.adjusted_wald_ci95().unwrap();
            for i in [w, a] {
                prop_assert!(-100.0 <= i.lo && i.lo <= i.hi && i.hi <= 100.0);
            }
            prop_assert!(w.contains(nps));
            prop_assert!(s.variance().unwrap() >= 0.0 && s.variance().unwrap() <= 1.0);
        }

        #[test]
        fn adding_a_promoter_never_lowers_nps(s in summaries()) {
            prop_assume!(s.n() > 0);
            let more = s.merge(&Summary::new(1, 0, 0));
            prop_assert!(more.nps().unwrap() >= s.nps().unwrap() - 1e-12);
        }

        #[test]
        fn adding_a_detractor_never_raises_nps(s in summaries()) {
            prop_assume!(s.n() > 0);
            let more = s.merge(&Summary::new(0, 0, 1));
            prop_assert!(more.nps().unwrap() <= s.nps().unwrap() + 1e-12);
        }

        #[test]
        fn scaling_all_counts_keeps_nps_and_narrows_the_interval(s in summaries(), k in 2u64..10) {
            prop_assume!(s.n() > 0 && s.variance().unwrap() > 0.0);
            let big = Summary::new(s.promoters * k, s.passives * k, s.detractors * k);
            prop_assert!((big.nps().unwrap() - s.nps().unwrap()).abs() < 1e-9);
            prop_assert!(big.standard_error().unwrap() < s.standard_error().unwrap());
        }

        #[test]
        fn z_test_is_antisymmetric(a in summaries(), b in summaries()) {
            if let (Some(ab), Some(ba)) = (Comparison::between(&a, &b), Comparison::between(&b, &a)) {
                prop_assert!((ab.z + ba.z).abs() < 1e-9);
                prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
                prop_assert!((0.0..=1.0).contains(&ab.p_value));
            }
        }

        #[test]
        fn summary_of_counts_matches_scores_one_by_one(scores in proptest::collection::vec(0u8..=10, 0..300)) {
            let scores: Vec<Score> = scores.into_iter().map(|v| Score::try_from(v).unwrap()).collect();
            let mut by_hand = Summary::default();
            scores.iter().for_each(|s| by_hand.add(*s));
            let counts: ScoreCounts = scores.iter().copied().collect();
            prop_assert_eq!(counts.summary(), by_hand);
            prop_assert_eq!(counts.0.iter().sum::<u64>(), scores.len() as u64);
        }
    }
}
