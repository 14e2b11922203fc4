//! Numbers as the viewer's locale writes them: 1,539 and −12.5 in English, 1.539 and −12,5 in
//! German, 1 539 and −12,5 in Finnish, Swedish or French. The server picks the style from the
//! browser's `Accept-Language` and sends it with the figures, so that a view drawn again in the
//! browser writes its numbers exactly as the server did.

use serde::{Deserialize, Serialize};

/// How one locale writes numbers (CLDR's symbols for its common locales).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbers {
    group: char,
    decimal: char,
    /// The fewest digits a number has before it is grouped: 4 (1,539) in most locales, 5 in
    /// Spanish and Polish (1539, but 15 390).
    grouped_from: u8,
    /// 45 % (German, French, Finnish) or 45% (English).
    spaced_percent: bool,
}

const NBSP: char = '\u{a0}';
const NARROW_NBSP: char = '\u{202f}';

impl Default for Numbers {
    fn default() -> Self {
        Numbers::ENGLISH
    }
}

impl Numbers {
    pub const ENGLISH: Numbers = Numbers::new(',', '.', 4, false);

    const fn new(group: char, decimal: char, grouped_from: u8, spaced_percent: bool) -> Numbers {
        Numbers {
            group,
            decimal,
            grouped_from,
            spaced_percent,
        }
    }

    /// The style of one language tag (`de-CH`, `fi`, `pt-BR`); English for any other.
    pub fn of_tag(tag: &str) -> Option<Numbers> {
        let tag = tag.trim().to_ascii_lowercase();
        let (language, region) = match tag.split_once(['-', '_']) {
            Some((l, r)) => (l, r.rsplit(['-', '_']).next().unwrap_or(r)),
            None => (tag.as_str(), ""),
        };
        Some(match (language, region) {
            ("de", "ch" | "li") => Numbers::new('’', '.', 4, false),
            ("pt", "pt") => Numbers::new(NBSP, ',', 5, false),
            ("de" | "da" | "id" | "el" | "ro" | "hr" | "sl" | "sr" | "tr", _) => {
                Numbers::new('.', ',', 4, true)
            }
            ("it" | "nl" | "pt", _) => Numbers::new('.', ',', 4, false),
            ("es", _) => Numbers::new('.', ',', 5, true),
            ("fr", _) => Numbers::new(NARROW_NBSP, ',', 4, true),
            ("pl", _) => Numbers::new(NBSP, ',', 5, false),
            (
                "fi" | "sv" | "nb" | "no" | "nn" | "cs" | "sk" | "ru" | "uk" | "et" | "lt" | "lv"
                | "hu" | "bg",
                _,
            ) => Numbers::new(NBSP, ',', 4, true),
            ("en" | "ar" | "he" | "ja" | "zh" | "ko" | "th" | "hi" | "ga" | "ms", _) => {
                Numbers::ENGLISH
            }
            _ => return None,
        })
    }

    /// The style of the first language in an `Accept-Language` header (by its weight) that has
    /// one here; English otherwise.
    pub fn of_accept_language(header: &str) -> Numbers {
        let mut ranges: Vec<(&str, f32)> = header
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (!tag.is_empty() && tag != "*" && weight > 0.0).then_some((tag, weight))
            })
            .take(16)
            .collect();
        // Stable: among equal weights the header's order stands.
        ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranges
            .into_iter()
            .find_map(|(tag, _)| Numbers::of_tag(tag))
            .unwrap_or_default()
    }

    /// A count, grouped: 1,539 · 1.539 · 1 539.
    pub fn count(self, n: u64) -> String {
        let digits = n.to_string();
        if digits.len() < usize::from(self.grouped_from) {
            return digits;
        }
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(self.group);
            }
            out.push(d);
        }
        out
    }

    /// An NPS with its sign, as NPS is usually written: +30, −12, 0.
    pub fn signed(self, value: f64) -> String {
        let rounded = value.round();
        if rounded > 0.0 {
            format!("+{rounded:.0}")
        } else if rounded < 0.0 {
            format!("−{:.0}", -rounded)
        } else {
            "0".to_string()
        }
    }

    /// One decimal with a true minus sign, for interval ends: −12.5 or −12,5.
    pub fn one_decimal(self, value: f64) -> String {
        let text = format!("{:.1}", value.abs());
        let text = if self.decimal == '.' {
            text
        } else {
            text.replace('.', &self.decimal.to_string())
        };
        if value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            format!("−{text}")
        } else {
            text
        }
    }

    /// A share of 0–1 as a whole percentage: 45% or 45 %.
    pub fn percent(self, share: f64) -> String {
        let value = (100.0 * share).round();
        if self.spaced_percent {
            format!("{value:.0}{NBSP}%")
        } else {
            format!("{value:.0}%")
        }
    }

    /// Any figure written with a point (`p = 0.023`) with this locale's decimal mark.
    pub fn decimals_in(self, text: &str) -> String {
        text.replace('.', &self.decimal.to_string())
    }

    /// The style of this request's viewer (`Accept-Language`).
    #[cfg(feature = "ssr")]
    pub fn of_this_request() -> Numbers {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::ACCEPT_LANGUAGE)?
                    .to_str()
                    .ok()
                    .map(Numbers::of_accept_language)
            })
            .unwrap_or_default()
    }

    /// In the browser, pages are drawn from figures that carry their style.
    #[cfg(not(feature = "ssr"))]
    pub fn of_this_request() -> Numbers {
        Numbers::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_locale_writes_its_own_numbers() {
        let en = Numbers::of_accept_language("en-US,en;q=0.9");
        assert_eq!(en.count(1539), "1,539");
        assert_eq!(en.count(999), "999");
        assert_eq!(en.count(1_234_567), "1,234,567");
        assert_eq!(en.one_decimal(-12.46), "−12.5");
        assert_eq!(en.percent(0.454), "45%");

        let de = Numbers::of_accept_language("de-DE,de;q=0.9,en;q=0.8");
        assert_eq!(de.count(1539), "1.539");
        assert_eq!(de.one_decimal(-12.46), "−12,5");
        assert_eq!(de.percent(0.454), "45\u{a0}%");
        assert_eq!(de.decimals_in("p = 0.023"), "p = 0,023");

        let fi = Numbers::of_accept_language("fi");
        assert_eq!(fi.count(1539), "1\u{a0}539");
        assert_eq!(fi.one_decimal(5.0), "5,0");

        let fr = Numbers::of_accept_language("fr-FR");
        assert_eq!(fr.count(21539), "21\u{202f}539");

        // Spanish groups from five digits.
        let es = Numbers::of_accept_language("es-ES");
        assert_eq!(es.count(1539), "1539");
        assert_eq!(es.count(15390), "15.390");

        assert_eq!(Numbers::of_accept_language("de-CH").count(1539), "1’539");
    }

    #[test]
    fn the_header_is_read_by_weight_and_anything_unknown_is_english() {
        assert_eq!(
            Numbers::of_accept_language("en;q=0.5, de;q=0.9"),
            Numbers::of_accept_language("de")
        );
        // A language with no style here gives way to the next one.
        assert_eq!(
            Numbers::of_accept_language("xx-YY, fi;q=0.8"),
            Numbers::of_accept_language("fi")
        );
        assert_eq!(Numbers::of_accept_language("de;q=0, *"), Numbers::ENGLISH);
        assert_eq!(Numbers::of_accept_language(""), Numbers::ENGLISH);
        assert_eq!(Numbers::of_accept_language(";;;,q=x"), Numbers::ENGLISH);
    }

    #[test]
    fn signs_are_true_minus_signs_and_zero_has_none() {
        let en = Numbers::ENGLISH;
        assert_eq!(en.signed(33.3), "+33");
        assert_eq!(en.signed(-12.6), "−13");
        assert_eq!(en.signed(0.4), "0");
        assert_eq!(en.signed(-0.4), "0");
        assert_eq!(en.one_decimal(-73.25), "−73.2");
        assert_eq!(en.one_decimal(-0.04), "0.0");
        assert_eq!(en.one_decimal(5.0), "5.0");
    }

    proptest! {
        /// Grouping only adds separators: taking them out gives the plain digits back, and no
        /// group but the first is shorter or longer than three digits.
        #[test]
        fn grouping_keeps_the_digits(n in any::<u64>(), tag in "(en|de|fi|fr|es|pl|de-CH)") {
            let style = Numbers::of_tag(&tag).unwrap();
            let written = style.count(n);
            let digits: String = written.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(digits, n.to_string());
            let groups: Vec<&str> = written.split(style.group).collect();
            prop_assert!(groups[1..].iter().all(|g| g.len() == 3));
            prop_assert!(!groups[0].is_empty() && groups[0].len() <= 3 || groups.len() == 1);
        }
    }
}
