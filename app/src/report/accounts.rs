//! Account NPS: the site's answers by account (the account id the site passed with
//! `farewell.set({account})`, kept only as a keyed hash, under the visitor's `identify`
//! choice), each with its NPS, n, and the change from the range before. The worst first: the
//! accounts a team should call.

use crate::nps::ScoreCounts;
use serde::{Deserialize, Serialize};

/// The most accounts the table lists (the worst first); one looked up is always listed.
pub const LISTED: usize = 20;
/// The characters of an account's hash the table shows: enough to tell accounts apart, and
/// to find one again by looking it up.
const LABEL_CHARS: usize = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// The start of the account's hash (never the id).
    pub label: String,
    pub current: ScoreCounts,
    pub previous: ScoreCounts,
    /// The account the viewer looked up by its id.
    pub looked_up: bool,
    /// The id the viewer typed to look it up (only in that view's answer, never stored).
    #[serde(default)]
    pub typed: Option<String>,
}

impl AccountRow {
    /// NPS now less NPS in the range before; `None` without answers in either.
    pub fn trend(&self) -> Option<f64> {
        Some(self.current.summary().nps()? - self.previous.summary().nps()?)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    /// Accounts with answers in the range, the lowest NPS first (more answers first among
    /// equals), at most `LISTED` and the one looked up.
    pub rows: Vec<AccountRow>,
    /// How many accounts answered in the range.
    pub answered: usize,
    /// Whether an account was looked up (`account=` in the view's address), and found.
    pub lookup: Option<bool>,
    /// The id typed for the lookup, shown again in its field.
    pub typed: Option<String>,
}

/// The table from each account's counts (hash, now, before) and the account looked up, if
/// any: (the id typed, its hash).
pub fn build(
    counts: Vec<(String, ScoreCounts, ScoreCounts)>,
    lookup: Option<(&str, &str)>,
) -> Accounts {
    let looked_up = lookup.map(|(_, hash)| hash);
    let mut rows: Vec<(String, AccountRow)> = counts
        .into_iter()
        .filter(|(_, current, _)| current.n() > 0)
        .map(|(hash, current, previous)| {
            let found = looked_up == Some(hash.as_str());
            let row = AccountRow {
                label: hash.chars().take(LABEL_CHARS).collect(),
                looked_up: found,
                typed: lookup.filter(|_| found).map(|(typed, _)| typed.to_owned()),
                current,
                previous,
            };
            (hash, row)
        })
        .collect();
    let answered = rows.len();
    let nps = |r: &AccountRow| r.current.summary().nps().unwrap_or(0.0);
    rows.sort_by(|(ha, a), (hb, b)| {
        nps(a)
            .total_cmp(&nps(b))
            .then(b.current.n().cmp(&a.current.n()))
            .then(ha.cmp(hb))
    });
    let found = rows.iter().any(|(_, r)| r.looked_up);
    let mut listed: Vec<AccountRow> = vec![];
    for (i, (_, row)) in rows.into_iter().enumerate() {
        if i < LISTED || row.looked_up {
            listed.push(row);
        }
    }
    Accounts {
        rows: listed,
        answered,
        lookup: looked_up.map(|_| found),
        typed: lookup.map(|(typed, _)| typed.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(scores: &[u8]) -> ScoreCounts {
        let mut c = ScoreCounts::default();
        for s in scores {
            c.0[usize::from(*s)] += 1;
        }
        c
    }

    #[test]
    fn a_worked_example_lists_the_worst_first_with_its_trend() {
        let table = build(
            vec![
                (
                    "aaaaaaaaaaaa11".into(),
                    counts(&[10, 9, 3]),
                    counts(&[10, 10]),
                ),
                ("bbbbbbbbbbbb22".into(), counts(&[2, 3]), counts(&[])),
                ("cccccccccccc33".into(), counts(&[]), counts(&[9])),
            ],
            Some(("acme", "aaaaaaaaaaaa11")),
        );
        assert_eq!(
            table.answered, 2,
            "an account silent in the range is not listed"
        );
        assert_eq!(table.lookup, Some(true));
        let labels: Vec<&str> = table.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["bbbbbbbbbb", "aaaaaaaaaa"]);
        // NPS 100·(2 − 1)/3 = 33.3 now, 100 before: down 66.7.
        let a = &table.rows[1];
        assert!(a.looked_up);
        assert_eq!(a.typed.as_deref(), Some("acme"));
        assert_eq!(table.rows[0].typed, None);
        assert!(
            (a.trend().unwrap() + 66.666).abs() < 0.01,
            "{:?}",
            a.trend()
        );
        assert_eq!(
            table.rows[0].trend(),
            None,
            "nothing before to compare with"
        );
    }

    #[test]
    fn the_account_looked_up_is_listed_past_the_worst() {
        let many: Vec<_> = (0..30u8)
            .map(|i| (format!("{i:02}hash"), counts(&[i % 11]), counts(&[])))
            .collect();
        let table = build(many, Some(("x", "29hash")));
        assert_eq!(table.answered, 30);
        assert_eq!(table.rows.len(), LISTED + 1);
        assert!(table.rows.last().unwrap().looked_up);
        assert_eq!(build(vec![], Some(("x", "y"))).lookup, Some(false));
        assert_eq!(build(vec![], None).lookup, None);
    }
}
