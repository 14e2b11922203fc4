//! How far into a visit a survey was shown or answered: numbers only. Pages viewed in the visit,
//! seconds on the site (kept only as the start of its bucket) and how many JavaScript errors the
//! site's pages raised, never which pages, what was read or what the errors said. Each is a
//! segment dimension by bucket (`report::Dimension`).

use super::FieldError;

/// The most pages one visit is taken to have viewed: more is a script, not a visit.
pub const MAX_PAGES_VIEWED: u32 = 10_000;
/// The most errors counted in one visit (the loader stops counting there).
pub const MAX_ERRORS_SEEN: u32 = 1_000;
/// The longest visit, in seconds: a week.
pub const MAX_SECONDS_ON_SITE: u32 = 7 * 86_400;

/// Where each bucket of seconds on site starts; a time is kept as the start of its bucket.
pub const SECOND_BUCKETS: [u32; 9] = [0, 10, 30, 60, 120, 300, 600, 1_800, 3_600];
const SECOND_LABELS: [&str; 9] = [
    "0-9s", "10-29s", "30-59s", "1-2m", "2-5m", "5-10m", "10-30m", "30-60m", "60m+",
];

/// Pages viewed, as bucketed for segments: (first, last, label).
const PAGE_BUCKETS: [(u32, u32, &str); 5] = [
    (1, 1, "1"),
    (2, 3, "2-3"),
    (4, 7, "4-7"),
    (8, 15, "8-15"),
    (16, MAX_PAGES_VIEWED, "16+"),
];

/// `context.pages_viewed`: 1 to 10,000.
pub fn parse_pages_viewed(field: &str, raw: u32) -> Result<u16, FieldError> {
    if (1..=MAX_PAGES_VIEWED).contains(&raw) {
        Ok(raw as u16)
    } else {
        Err(FieldError::new(field, "must be 1 to 10000 pages"))
    }
}

/// `context.seconds_on_site`: 0 to a week, kept as the start of its bucket.
pub fn parse_seconds_on_site(field: &str, raw: u32) -> Result<u32, FieldError> {
    if raw <= MAX_SECONDS_ON_SITE {
        Ok(seconds_bucket(raw))
    } else {
        Err(FieldError::new(field, "must be 0 to 604800 seconds"))
    }
}

/// `context.errors_seen`: 0 to 1,000.
pub fn parse_errors_seen(field: &str, raw: u32) -> Result<u16, FieldError> {
    if raw <= MAX_ERRORS_SEEN {
        Ok(raw as u16)
    } else {
        Err(FieldError::new(field, "must be 0 to 1000 errors"))
    }
}

/// The start of the bucket `seconds` falls in.
pub fn seconds_bucket(seconds: u32) -> u32 {
    SECOND_BUCKETS
        .into_iter()
        .rev()
        .find(|start| seconds >= *start)
        .unwrap_or(0)
}

/// The segment value of pages viewed ("2-3").
pub fn pages_label(pages: u16) -> &'static str {
    PAGE_BUCKETS
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&u32::from(pages)))
        .map_or("16+", |b| b.2)
}

/// The segment value of seconds on site ("1-2m"), from any number of seconds.
pub fn seconds_label(seconds: u32) -> &'static str {
    let start = seconds_bucket(seconds);
    SECOND_BUCKETS
        .iter()
        .position(|s| *s == start)
        .map_or("0-9s", |i| SECOND_LABELS[i])
}

/// The segment value of errors seen: "yes" or "no".
pub fn errors_label(errors: u16) -> &'static str {
    if errors > 0 {
        "yes"
    } else {
        "no"
    }
}

/// SQL that gives `column`'s pages-viewed bucket label (`''` when not known), the same on both
/// backends: for grouping raw rows by bucket.
pub fn pages_label_sql(column: &str) -> String {
    let mut sql = format!("CASE WHEN {column} IS NULL THEN ''");
    for (lo, hi, label) in PAGE_BUCKETS {
        sql.push_str(&format!(
            " WHEN {column} BETWEEN {lo} AND {hi} THEN '{label}'"
        ));
    }
    sql.push_str(" ELSE '' END");
    sql
}

/// The stored numbers a segment value stands for, as an inclusive range: pages viewed, the
/// start of a seconds bucket, or errors seen. `None` for a value no bucket has.
pub fn pages_range(label: &str) -> Option<(i64, i64)> {
    PAGE_BUCKETS
        .iter()
        .find(|b| b.2 == label)
        .map(|b| (i64::from(b.0), i64::from(b.1)))
}

pub fn seconds_range(label: &str) -> Option<(i64, i64)> {
    let i = SECOND_LABELS.iter().position(|l| *l == label)?;
    let end = SECOND_BUCKETS
        .get(i + 1)
        .map_or(i64::from(MAX_SECONDS_ON_SITE), |next| i64::from(*next) - 1);
    Some((i64::from(SECOND_BUCKETS[i]), end))
}

pub fn errors_range(label: &str) -> Option<(i64, i64)> {
    match label {
        "no" => Some((0, 0)),
        "yes" => Some((1, i64::from(MAX_ERRORS_SEEN))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_fall_in_the_buckets_a_pm_reads() {
        assert_eq!(pages_label(1), "1");
        assert_eq!(pages_label(3), "2-3");
        assert_eq!(pages_label(16), "16+");
        assert_eq!(seconds_label(0), "0-9s");
        assert_eq!(seconds_label(59), "30-59s");
        assert_eq!(seconds_label(61), "1-2m");
        assert_eq!(seconds_label(86_400), "60m+");
        assert_eq!(errors_label(0), "no");
        assert_eq!(errors_label(3), "yes");
        // A precise time is never kept: only its bucket's start.
        assert_eq!(parse_seconds_on_site("s", 47).unwrap(), 30);
        assert!(parse_seconds_on_site("s", MAX_SECONDS_ON_SITE + 1).is_err());
        assert!(parse_pages_viewed("p", 0).is_err());
        assert!(parse_errors_seen("e", 1_001).is_err());
        assert_eq!(pages_range("4-7"), Some((4, 7)));
        assert_eq!(seconds_range("1-2m"), Some((60, 119)));
        assert_eq!(seconds_range("60m+"), Some((3_600, 604_800)));
        assert_eq!(errors_range("yes"), Some((1, 1_000)));
        assert_eq!(pages_range("nine"), None);
    }

    proptest! {
        /// A stored number lies in the range of the label it is counted under, so a filter on
        /// raw rows and the aggregates agree.
        #[test]
        fn each_number_is_in_its_labels_range(pages in 1u16..10_000, seconds in 0u32..MAX_SECONDS_ON_SITE, errors in 0u16..1_000) {
            let (lo, hi) = pages_range(pages_label(pages)).unwrap();
            prop_assert!((lo..=hi).contains(&i64::from(pages)));
            let stored = seconds_bucket(seconds);
            let (lo, hi) = seconds_range(seconds_label(stored)).unwrap();
            prop_assert!((lo..=hi).contains(&i64::from(stored)));
            prop_assert_eq!(seconds_label(stored), seconds_label(seconds));
            let (lo, hi) = errors_range(errors_label(errors)).unwrap();
            prop_assert!((lo..=hi).contains(&i64::from(errors)));
        }
    }
}
