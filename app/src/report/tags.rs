//! Tags members put on answers.

use crate::domain::FieldError;
use serde::{Deserialize, Serialize};

/// A label members put on answers: 1–40 characters, lower-cased, letters, digits, `-`, `_`
/// and spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(text: &str) -> Result<Tag, FieldError> {
        let tag = text.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            return Err(FieldError::new("tag", "must be 1 to 40 characters"));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        {
            return Err(FieldError::new(
                "tag",
                "may hold letters, digits, spaces, - and _ only",
            ));
        }
        Ok(Tag(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::domain::parsed_from_string!(Tag, |raw| Tag::parse(&raw));
