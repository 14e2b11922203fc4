//! Which answers a webhook is told of, and how often: its rules. A chat channel wants the
//! detractors on checkout, not every answer, and never a flood: a burst of answers becomes one
//! message per batching window, summarising the rest. Rules are read when a delivery is sent,
//! against the answer as it then stands (its latest score, the themes it was counted with).

use super::{FieldError, ThemeName};
use crate::nps::Band;
use crate::report::SegmentFilter;
use serde::{Deserialize, Serialize};

/// The longest batching window: a day.
pub const MAX_BATCH_MINUTES: u16 = 1440;

/// A webhook's rules, parsed. The default admits every answer, each in its own message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RulesShape", into = "RulesShape")]
pub struct AlertRules {
    /// The bands admitted, in `Band::ALL` order; every band when all three (never empty).
    bands: Vec<Band>,
    /// The scores admitted, inclusive.
    min_score: u8,
    max_score: u8,
    /// Only answers the site's saved theme of this name tagged.
    theme: Option<ThemeName>,
    /// Only answers in this segment (the dashboard's `dimension:value`).
    segment: Option<SegmentFilter>,
    /// At most one message per this many minutes (0: each answer at once).
    batch_minutes: u16,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            bands: Band::ALL.to_vec(),
            min_score: 0,
            max_score: 10,
            theme: None,
            segment: None,
            batch_minutes: 0,
        }
    }
}

/// The rules as stored and sent: every field checked again by `AlertRules::new` when read.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RulesShape {
    #[serde(default)]
    bands: Vec<Band>,
    #[serde(default)]
    min_score: u8,
    #[serde(default = "ten")]
    max_score: u8,
    #[serde(default)]
    theme: Option<String>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    batch_minutes: u16,
}

fn ten() -> u8 {
    10
}

impl TryFrom<RulesShape> for AlertRules {
    type Error = FieldError;
    fn try_from(s: RulesShape) -> Result<Self, FieldError> {
        let theme = s.theme.as_deref().map(ThemeName::parse).transpose()?;
        let segment = s
            .segment
            .as_deref()
            .map(|text| SegmentFilter::parse("segment", text))
            .transpose()?;
        AlertRules::new(
            s.bands,
            s.min_score,
            s.max_score,
            theme,
            segment,
            s.batch_minutes,
        )
    }
}

impl From<AlertRules> for RulesShape {
    fn from(r: AlertRules) -> Self {
        RulesShape {
            bands: r.bands,
            min_score: r.min_score,
            max_score: r.max_score,
            theme: r.theme.map(|t| t.as_str().to_string()),
            segment: r
                .segment
                .map(|s| format!("{}:{}", s.dimension.as_str(), s.value)),
            batch_minutes: r.batch_minutes,
        }
    }
}

/// Why a rule kept an answer out, as the delivery history shows it.
pub type Refusal = String;

impl AlertRules {
    /// Rules from their parts; `bands` empty means every band.
    pub fn new(
        bands: Vec<Band>,
        min_score: u8,
        max_score: u8,
        theme: Option<ThemeName>,
        segment: Option<SegmentFilter>,
        batch_minutes: u16,
    ) -> Result<AlertRules, FieldError> {
        if max_score > 10 {
            return Err(FieldError::new(
                "max_score",
                "must be a whole number from 0 to 10",
            ));
        }
        if min_score > max_score {
            return Err(FieldError::new(
                "min_score",
                "must not be above the highest score",
            ));
        }
        if batch_minutes > MAX_BATCH_MINUTES {
            return Err(FieldError::new(
                "batch_minutes",
                "must be from 0 to 1440 minutes (a day)",
            ));
        }
        let bands = if bands.is_empty() {
            Band::ALL.to_vec()
        } else {
            Band::ALL
                .into_iter()
                .filter(|b| bands.contains(b))
                .collect()
        };
        // A score range and bands that share no score would admit nothing, in silence.
        let reachable = bands.iter().any(|b| {
            let (lo, hi) = b.scores();
            lo <= max_score && min_score <= hi
        });
        if !reachable {
            return Err(FieldError::new(
                "min_score",
                "no score in this range is in the bands chosen",
            ));
        }
        Ok(AlertRules {
            bands,
            min_score,
            max_score,
            theme,
            segment,
            batch_minutes,
        })
    }

    /// Rules from the administration's form: each band's box (ticked when present), the
    /// scores, a theme's name and a segment (empty for none), and the batching window.
    pub fn from_form(
        bands: [Option<&str>; 3],
        min_score: &str,
        max_score: &str,
        theme: &str,
        segment: &str,
        batch_minutes: &str,
    ) -> Result<AlertRules, FieldError> {
        let score =
            |field: &str, raw: &str, empty: u8| -> Result<u8, FieldError> {
                match raw.trim() {
                    "" => Ok(empty),
                    raw => raw.parse::<u8>().ok().filter(|s| *s <= 10).ok_or_else(|| {
                        FieldError::new(field, "must be a whole number from 0 to 10")
                    }),
                }
            };
        let chosen: Vec<Band> = Band::ALL
            .into_iter()
            .zip(bands)
            .filter(|(_, ticked)| ticked.is_some())
            .map(|(band, _)| band)
            .collect();
        if chosen.is_empty() {
            return Err(FieldError::new("bands", "choose at least one band"));
        }
        let theme = match theme.trim() {
            "" => None,
            name => Some(ThemeName::parse(name).map_err(|e| FieldError::new("theme", &e.reason))?),
        };
        let segment = match segment.trim() {
            "" => None,
            text => {
                let segment = SegmentFilter::parse("segment", text)?;
                // A bucket no answer can be in would keep every answer out, in silence.
                if let Some((_, None)) = segment.dimension.number_range(&segment.value) {
                    if !segment.value.is_empty() {
                        return Err(FieldError::new(
                            "segment",
                            "names no bucket of this dimension",
                        ));
                    }
                }
                Some(segment)
            }
        };
        let batch = match batch_minutes.trim() {
            "" => 0,
            raw => raw
                .parse::<u16>()
                .ok()
                .filter(|m| *m <= MAX_BATCH_MINUTES)
                .ok_or_else(|| {
                    FieldError::new("batch_minutes", "must be from 0 to 1440 minutes (a day)")
                })?,
        };
        AlertRules::new(
            chosen,
            score("min_score", min_score, 0)?,
            score("max_score", max_score, 10)?,
            theme,
            segment,
            batch,
        )
    }

    pub fn bands(&self) -> &[Band] {
        &self.bands
    }
    pub fn min_score(&self) -> u8 {
        self.min_score
    }
    pub fn max_score(&self) -> u8 {
        self.max_score
    }
    pub fn theme(&self) -> Option<&ThemeName> {
        self.theme.as_ref()
    }
    pub fn segment(&self) -> Option<&SegmentFilter> {
        self.segment.as_ref()
    }
    pub fn batch_minutes(&self) -> u16 {
        self.batch_minutes
    }

    /// Whether an answer with `score`, tagged with `themes`, and in the rules' segment or not,
    /// is told of; if not, why.
    pub fn admits(&self, score: u8, themes: &[String], in_segment: bool) -> Result<(), Refusal> {
        let band = crate::nps::Score::try_from(score).ok().map(|s| s.band());
        if !band.is_some_and(|b| self.bands.contains(&b)) {
            return Err(format!("not {}", self.bands_text()));
        }
        if score < self.min_score || score > self.max_score {
            return Err(format!(
                "score {score} outside {}–{}",
                self.min_score, self.max_score
            ));
        }
        if let Some(theme) = &self.theme {
            if !themes.iter().any(|t| t == theme.as_str()) {
                return Err(format!("not in theme {}", theme.as_str()));
            }
        }
        if let Some(segment) = &self.segment {
            if !in_segment {
                return Err(format!(
                    "not in segment {}:{}",
                    segment.dimension.as_str(),
                    segment.value
                ));
            }
        }
        Ok(())
    }

    fn bands_text(&self) -> String {
        let names: Vec<&str> = self
            .bands
            .iter()
            .map(|b| match b {
                Band::Detractor => "detractors",
                Band::Passive => "passives",
                Band::Promoter => "promoters",
            })
            .collect();
        match names.as_slice() {
            [one] => one.to_string(),
            [a, b] => format!("{a} or {b}"),
            _ => "any band".into(),
        }
    }

    /// The rules in a line, as the administration lists them.
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if self.bands.len() < 3 {
            parts.push(format!("only {}", self.bands_text()));
        }
        if (self.min_score, self.max_score) != (0, 10) {
            parts.push(format!("scores {}–{}", self.min_score, self.max_score));
        }
        if let Some(theme) = &self.theme {
            parts.push(format!("theme {}", theme.as_str()));
        }
        if let Some(s) = &self.segment {
            parts.push(format!("segment {}:{}", s.dimension.as_str(), s.value));
        }
        if self.batch_minutes > 0 {
            parts.push(format!(
                "at most one message per {} min",
                self.batch_minutes
            ));
        }
        if parts.is_empty() {
            "every answer, each at once".into()
        } else {
            parts.join(" · ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(
        bands: [Option<&str>; 3],
        min: &str,
        max: &str,
        theme: &str,
        segment: &str,
        batch: &str,
    ) -> Result<AlertRules, FieldError> {
        AlertRules::from_form(bands, min, max, theme, segment, batch)
    }

    const ALL: [Option<&str>; 3] = [Some("on"), Some("on"), Some("on")];
    const DETRACTORS: [Option<&str>; 3] = [Some("on"), None, None];

    #[test]
    fn the_default_admits_every_answer_at_once() {
        let rules = AlertRules::default();
        for score in 0..=10 {
            assert_eq!(rules.admits(score, &[], false), Ok(()));
        }
        assert_eq!(rules.describe(), "every answer, each at once");
        assert_eq!(form(ALL, "", "", "", "", "").unwrap(), rules);
        // Stored as `{}` by the migration: read back as the default.
        assert_eq!(serde_json::from_str::<AlertRules>("{}").unwrap(), rules);
    }

    #[test]
    fn each_rule_keeps_out_what_it_names_and_says_why() {
        let rules = form(DETRACTORS, "2", "6", "Checkout", "device:mobile", "10").unwrap();
        let checkout = vec!["checkout".to_string()];
        assert_eq!(rules.admits(3, &checkout, true), Ok(()));
        assert_eq!(
            rules.admits(8, &checkout, true).unwrap_err(),
            "not detractors"
        );
        assert_eq!(
            rules.admits(1, &checkout, true).unwrap_err(),
            "score 1 outside 2–6"
        );
        assert_eq!(
            rules.admits(3, &["speed".into()], true).unwrap_err(),
            "not in theme checkout"
        );
        assert_eq!(
            rules.admits(3, &checkout, false).unwrap_err(),
            "not in segment device:mobile"
        );
        assert_eq!(
            rules.describe(),
            "only detractors · scores 2–6 · theme checkout · segment device:mobile · at most one message per 10 min"
        );
        // What is stored reads back the same, through the parser.
        let stored = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<AlertRules>(&stored).unwrap(), rules);
    }

    #[test]
    fn refusals_name_their_field() {
        let field = |r: Result<AlertRules, FieldError>| r.unwrap_err().field;
        assert_eq!(field(form([None; 3], "", "", "", "", "")), "bands");
        assert_eq!(field(form(ALL, "11", "", "", "", "")), "min_score");
        assert_eq!(field(form(ALL, "", "-1", "", "", "")), "max_score");
        assert_eq!(field(form(ALL, "7", "3", "", "", "")), "min_score");
        // Promoters only, scores 0–6: nothing could ever be sent.
        assert_eq!(
            field(form([None, None, Some("on")], "0", "6", "", "", "")),
            "min_score"
        );
        assert_eq!(field(form(ALL, "", "", "no spaces", "", "")), "theme");
        assert_eq!(field(form(ALL, "", "", "", "colour:red", "")), "segment");
        assert_eq!(field(form(ALL, "", "", "", "device", "")), "segment");
        assert_eq!(
            field(form(ALL, "", "", "", "pages_viewed:abc", "")),
            "segment"
        );
        assert!(form(ALL, "", "", "", "pages_viewed:16+", "").is_ok());
        assert_eq!(field(form(ALL, "", "", "", "", "1441")), "batch_minutes");
        assert_eq!(field(form(ALL, "", "", "", "", "soon")), "batch_minutes");
        // Stored rules are parsed again when read: a hand-edited row cannot skip the checks.
        assert!(serde_json::from_str::<AlertRules>(r#"{"min_score": 9, "max_score": 2}"#).is_err());
        assert!(serde_json::from_str::<AlertRules>(r#"{"segment": "nope"}"#).is_err());
    }
}
