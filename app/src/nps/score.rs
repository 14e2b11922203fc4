use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An answer on the 0–10 "How likely are you to recommend…?" scale.
///
/// The only ways to build one are `TryFrom` and `FromStr`, so a `Score` in hand is always valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("must be a whole number from 0 to 10")]
    OutOfRange,
}

impl Score {
    pub const MAX: u8 = 10;

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn band(self) -> Band {
        match self.0 {
            0..=6 => Band::Detractor,
            7..=8 => Band::Passive,
            _ => Band::Promoter,
        }
    }

    /// All eleven scores, lowest first.
    pub fn all() -> impl Iterator<Item = Score> {
        (0..=Self::MAX).map(Score)
    }
}

impl TryFrom<u8> for Score {
    type Error = ScoreError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        if value <= Self::MAX {
            Ok(Score(value))
        } else {
            Err(ScoreError::OutOfRange)
        }
    }
}

impl TryFrom<i64> for Score {
    type Error = ScoreError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .map_err(|_| ScoreError::OutOfRange)
            .and_then(Score::try_from)
    }
}

impl FromStr for Score {
    type Err = ScoreError;
    /// Accepts only plain decimal digits ("7", "10"): no sign, spaces or fractions.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ScoreError::OutOfRange);
        }
        s.parse::<u8>()
            .map_err(|_| ScoreError::OutOfRange)
            .and_then(Score::try_from)
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The three groups NPS is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Detractor,
    Passive,
    Promoter,
}

impl Band {
    pub const ALL: [Band; 3] = [Band::Detractor, Band::Passive, Band::Promoter];

    pub fn parse(text: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// The scores in this band, inclusive.
    pub fn scores(self) -> (u8, u8) {
        match self {
            Band::Detractor => (0, 6),
            Band::Passive => (7, 8),
            Band::Promoter => (9, 10),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Detractor => "detractor",
            Band::Passive => "passive",
            Band::Promoter => "promoter",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bands_follow_the_standard_cut_points() {
        let bands: Vec<Band> = Score::all().map(Score::band).collect();
        assert_eq!(&bands[..7], &[Band::Detractor; 7]);
        assert_eq!(&bands[7..9], &[Band::Passive; 2]);
        assert_eq!(&bands[9..], &[Band::Promoter; 2]);
    }

    #[test]
    fn strings_that_are_not_plain_scores_are_refused() {
        for bad in ["", "11", "-1", "+5", " 5", "5 ", "5.0", "010", "abc", "٣"] {
            assert!(bad.parse::<Score>().is_err(), "{bad:?} was accepted");
        }
        assert_eq!("0".parse::<Score>().unwrap().value(), 0);
        assert_eq!("10".parse::<Score>().unwrap().value(), 10);
        assert_eq!("07".parse::<Score>().unwrap().value(), 7);
    }

    #[test]
    fn serde_refuses_out_of_range_numbers() {
        assert!(serde_json::from_str::<Score>("11").is_err());
        assert!(serde_json::from_str::<Score>("-1").is_err());
        assert_eq!(serde_json::from_str::<Score>("9").unwrap().value(), 9);
    }

    proptest! {
        #[test]
        fn try_from_accepts_exactly_zero_to_ten(v in any::<i64>()) {
            prop_assert_eq!(Score::try_from(v).is_ok(), (0..=10).contains(&v));
        }

        #[test]
        fn display_and_parse_round_trip(v in 0u8..=10) {
            let score = Score::try_from(v).unwrap();
            prop_assert_eq!(score.to_string().parse::<Score>().unwrap(), score);
        }
    }
}
