//! What a dashboard view asks for (the state its URL holds) and what it shows. Pure: the
//! browser renders the same types the server computes, and the server's REST API returns them.

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod build;
mod csv;
#[cfg(feature = "ssr")]
pub mod digest;
pub mod drivers;
pub mod nonresponse;
#[cfg(feature = "ssr")]
pub mod periods;
mod segments;
pub mod share;
mod tags;
pub mod themes;
mod types;
mod view;

pub use csv::*;
pub use segments::*;
pub use tags::*;
pub use types::*;
pub use view::*;

/// Below this many answers a bucket or a segment is shown as "too few", never as a number.
pub const MIN_ANSWERS: u64 = 10;
/// Widest range a view may ask for by day; longer ranges go by week or month.
pub const MAX_BUCKETS: usize = 400;
/// Significance level of the period comparison's verdict, and as the page writes it (a literal:
/// formatting a float at its shortest brings kilobytes of code into the bundle).
pub const ALPHA: f64 = 0.05;
pub const ALPHA_TEXT: &str = "0.05";
/// Verbatims per page: what a phone scrolls through before "Older comments", and what the
/// dashboard's first load carries.
pub const VERBATIM_PAGE: u32 = 25;

#[cfg(test)]
mod tests {
    use super::csv::starts_a_formula;
    use super::*;
    use crate::nps::{Band, Score, ScoreCounts};
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use uuid::Uuid;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn counts(promoters: u64, passives: u64, detractors: u64) -> ScoreCounts {
        let mut c = ScoreCounts::default();
        c.add_many(Score::try_from(10u8).unwrap(), promoters);
        c.add_many(Score::try_from(7u8).unwrap(), passives);
        c.add_many(Score::try_from(2u8).unwrap(), detractors);
        c
    }

    #[test]
    fn a_view_round_trips_through_its_query_string() {
        let view = ViewParams {
            survey: Some(Uuid::from_u128(7)),
            from: day("2026-01-01"),
            to: day("2026-03-31"),
            tz: "America/Argentina/Buenos_Aires".into(),
            bucket: Granularity::Month,
            segment: Some(SegmentFilter {
                dimension: Dimension::Page,
                value: "/pricing & plans".into(),
            }),
            by: Dimension::Device,
            q: "too slow".into(),
            band: Some(Band::Detractor),
            tag: Some("pricing".into()),
        };
        let query = view.to_query();
        let pairs: HashMap<String, String> = parse_query(&query).into_iter().collect();
        let parsed = ViewParams::from_query(|k| pairs.get(k).cloned(), day("2026-11-29")).unwrap();
        assert_eq!(parsed, view);
    }

    #[test]
    fn query_strings_decode_like_browsers_send_them() {
        let pairs = parse_query("?q=too+slow&segment=page%3A%2Fa%20b&bad=%zz&empty=&flag");
        assert_eq!(
            pairs,
            [
                ("q", "too slow"),
                ("segment", "page:/a b"),
                ("bad", "%zz"),
                ("empty", ""),
                ("flag", "")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn defaults_and_refusals() {
        let today = day("2026-11-29");
        let view = ViewParams::from_query(|_| None, today).unwrap();
        assert_eq!((view.from, view.to), (day("2026-09-01"), today));
        assert_eq!(
            view.previous_range(),
            (day("2026-06-03"), day("2026-08-31"))
        );
        let bad = |k: &'static str, v: &'static str| {
            ViewParams::from_query(move |key| (key == k).then(|| v.to_string()), today)
                .unwrap_err()
                .field
        };
        assert_eq!(bad("from", "2026-13-01"), "from");
        assert_eq!(bad("from", "2027-01-01"), "from");
        assert_eq!(bad("bucket", "year"), "bucket");
        assert_eq!(bad("segment", "planet:mars"), "segment");
        assert_eq!(bad("segment", "country"), "segment");
        assert_eq!(bad("band", "fan"), "band");
        assert_eq!(bad("tz", "Europe/Helsinki'; --"), "tz");
        assert_eq!(bad("survey", "nope"), "survey");
        assert_eq!(bad("tag", "<b>"), "tag");
    }

    #[test]
    fn segments_rank_by_how_far_they_move_the_whole() {
        // Overall: 60 promoters, 20 passives, 20 detractors of 100 → NPS 40.
        let segments = vec![
            SegmentCounts {
                value: "FI".into(),
                counts: counts(45, 10, 5),
            }, // n 60, NPS 66.7: impact 0.6 × 26.7 = +16
            SegmentCounts {
                value: "SE".into(),
                counts: counts(10, 5, 15),
            }, // n 30, NPS −16.7: impact 0.3 × −56.7 = −17
            SegmentCounts {
                value: "DE".into(),
                counts: counts(5, 5, 0),
            }, // n 10, NPS 50: impact 0.1 × 10 = +1
        ];
        let mut overall = ScoreCounts::default();
        segments.iter().for_each(|s| overall.merge(&s.counts));
        let ranked = rank_segments(&segments, &overall);
        let order: Vec<&str> = ranked.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(order, ["SE", "FI", "DE"]);
        assert!((ranked[0].impact - (-17.0)).abs() < 1e-9);
        assert!((ranked[1].impact - 16.0).abs() < 1e-9);
        assert!((ranked[2].impact - 1.0).abs() < 1e-9);
        assert!(!ranked[2].too_few());
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        // A leading quote is data, not a formula: the cell reads `"` then a tab.
        assert_eq!(csv_field("\"\t"), "\"\"\"\t\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "\"'+1\"");
        assert_eq!(csv_field("-2"), "\"'-2\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field("  =1+1"), "\"'  =1+1\"");
        assert_eq!(csv_field("＝1+1"), "\"'＝1+1\"");
        assert_eq!(csv_field("fine, thanks"), "\"fine, thanks\"");
        // Excel in fi, sv and de splits on `;`: the field is quoted, so it stays one cell.
        assert_eq!(csv_field("a;=1+1"), "\"a;=1+1\"");
        assert_eq!(csv_field("plain"), "\"plain\"");
    }

    proptest! {
        #[test]
        fn impacts_sum_to_zero(raw in proptest::collection::vec((0u64..50, 0u64..50, 0u64..50), 1..8)) {
            let segments: Vec<SegmentCounts> = raw.iter().enumerate()
                .map(|(i, &(p, s, d))| SegmentCounts { value: i.to_string(), counts: counts(p, s, d) })
                .collect();
            let total: u64 = segments.iter().map(|s| s.counts.n()).sum();
            prop_assume!(total > 0);
            // Σ share·(NPSᵢ − NPS) = Σ shareᵢ·NPSᵢ − NPS = 0: the table explains the whole.
            let mut overall = ScoreCounts::default();
            segments.iter().for_each(|s| overall.merge(&s.counts));
            let sum: f64 = rank_segments(&segments, &overall).iter().map(|r| r.impact).sum();
            prop_assert!(sum.abs() < 1e-6);
        }

        #[test]
        fn no_csv_field_starts_a_formula(text in ".*") {
            let field = csv_field(&text);
            // Every field is quoted; the cell a spreadsheet reads is the field unquoted, cut at
            // any `,` or `;` (a reader that ignored the quoting) as well as whole.
            prop_assert!(field.starts_with('"') && field.ends_with('"') && field.len() >= 2);
            let cell = field[1..field.len() - 1].replace("\"\"", "\"");
            prop_assert!(cell.starts_with('\'') || !starts_a_formula(&cell), "{:?}", cell);
            let first = cell.trim_start().chars().next();
            prop_assert!(!matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')), "{:?}", cell);
        }
    }
}

#[cfg(test)]
mod alpha_tests {
    #[test]
    fn the_significance_level_is_written_as_it_is() {
        assert_eq!(super::ALPHA_TEXT.parse::<f64>(), Ok(super::ALPHA));
    }
}
