//! Aggregated sharing: what a read-only share link may show. Every group of answers it shows
//! has at least k answers, and no hidden group can be recovered by subtracting what is shown
//! from a total: whenever a group is hidden, enough others are hidden with it that the hidden
//! ones together hold at least k answers and no single one of them can be isolated.

use crate::nps::{ScoreCounts, Summary};
use serde::{Deserialize, Serialize};

/// Which groups of one partition (groups that add up to a shown total) must be hidden.
/// Groups of 1..k−1 answers are hidden; then, while the hidden ones are a single group or
/// hold fewer than k answers together, the smallest shown non-empty group is hidden too.
pub fn suppress(sizes: &[u64], k: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = sizes.iter().map(|&n| n > 0 && n < k).collect();
    loop {
        let count = hidden.iter().filter(|h| **h).count();
        let sum: u64 = sizes
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| **h)
            .map(|(n, _)| n)
            .sum();
        if count == 0 || (count >= 2 && sum >= k) {
            return hidden;
        }
        let next = sizes
            .iter()
            .enumerate()
            .filter(|(i, n)| !hidden[*i] && **n > 0)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            // Nothing left to hide with it: everything is hidden.
            None => return sizes.iter().map(|&n| n > 0).collect(),
        }
    }
}

/// A group as a share link shows it: its size, and its NPS only when each of its bands
/// (promoters, passives, detractors) is empty or has at least k answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SharedFigure {
    Hidden,
    Shown {
        n: u64,
        /// `None` when a band is too small to show how the group splits.
        summary: Option<Summary>,
    },
}

fn figure(counts: &ScoreCounts, hidden: bool, k: u64) -> SharedFigure {
    if hidden {
        return SharedFigure::Hidden;
    }
    let s = counts.summary();
    let bands = [s.promoters, s.passives, s.detractors];
    let bands_ok = suppress(&bands, k).iter().all(|h| !h);
    SharedFigure::Shown {
        n: s.n(),
        summary: bands_ok.then_some(s),
    }
}

/// One partition (the buckets of a trend, the values of a dimension) made safe to share.
pub fn share_partition(groups: &[ScoreCounts], k: u64) -> Vec<SharedFigure> {
    let sizes: Vec<u64> = groups.iter().map(ScoreCounts::n).collect();
    let total: u64 = sizes.iter().sum();
    if total < k {
        return groups.iter().map(|_| SharedFigure::Hidden).collect();
    }
    let hidden = suppress(&sizes, k);
    groups
        .iter()
        .zip(hidden)
        .map(|(c, h)| figure(c, h, k))
        .collect()
}

/// The whole of a shared report: the total's figure, with the same rules.
pub fn share_total(total: &ScoreCounts, k: u64) -> SharedFigure {
    if total.n() < k {
        SharedFigure::Hidden
    } else {
        figure(total, false, k)
    }
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

/// What a share link's page shows. It holds no hidden figure at all: suppression happens on
/// the server, before anything is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedReport {
    pub site_name: String,
    pub days: u32,
    pub k: u64,
    pub total: SharedFigure,
    pub trend: Vec<SharedRow>,
    pub segments: Vec<SharedSegments>,
}

#[cfg(test)]
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

    #[test]
    fn a_lone_small_group_takes_the_next_smallest_with_it() {
        // 3 is below k; hiding only it would leave it as total − the rest.
        assert_eq!(suppress(&[40, 3, 25, 12], 10), [false, true, false, true]);
        assert_eq!(suppress(&[40, 30, 25], 10), [false, false, false]);
        // Two small groups together still under k: a third goes.
        assert_eq!(suppress(&[2, 3, 50, 20], 10), [true, true, false, true]);
        assert_eq!(suppress(&[0, 4, 30], 10), [false, true, true]);
    }

    #[test]
    fn a_group_whose_bands_are_small_shows_only_its_size() {
        let shared = share_partition(&[counts(30, 0, 12), counts(20, 5, 15)], 10);
        assert!(matches!(
            shared[0],
            SharedFigure::Shown {
                n: 42,
                summary: Some(_)
            }
        ));
        assert!(matches!(
            shared[1],
            SharedFigure::Shown {
                n: 40,
                summary: None
            }
        ));
        assert_eq!(share_total(&counts(3, 2, 1), 10), SharedFigure::Hidden);
    }

    proptest! {
        /// No shown group is below k, and what is hidden cannot be isolated by subtraction.
        #[test]
        fn no_group_below_k_is_ever_revealed(
            groups in proptest::collection::vec((0u64..30, 0u64..30, 0u64..30), 1..12),
            k in 2u64..15,
        ) {
            let groups: Vec<ScoreCounts> = groups.iter().map(|&(p, pa, d)| counts(p, pa, d)).collect();
            let total: u64 = groups.iter().map(ScoreCounts::n).sum();
            let shared = share_partition(&groups, k);
            let mut hidden_sum = 0;
            let mut hidden_count = 0;
            for (group, figure) in groups.iter().zip(&shared) {
                match figure {
                    SharedFigure::Hidden => {
                        hidden_sum += group.n();
                        if group.n() > 0 { hidden_count += 1; }
                    }
                    SharedFigure::Shown { n, summary } => {
                        prop_assert_eq!(*n, group.n());
                        prop_assert!(*n == 0 || *n >= k, "shown group of {} < k {}", n, k);
                        if let Some(s) = summary {
                            for band in [s.promoters, s.passives, s.detractors] {
                                prop_assert!(band == 0 || band >= k);
                            }
                        }
                    }
                }
            }
            // Total − shown = the hidden together: that sum must not single anyone out.
            if total >= k {
                prop_assert!(hidden_sum == 0 || (hidden_sum >= k && hidden_count >= 2)
                    || hidden_count == groups.iter().filter(|g| g.n() > 0).count());
            }
        }
    }
}
