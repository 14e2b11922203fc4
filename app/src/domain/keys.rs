//! Public keys and ids that arrive in URLs and bodies, checked by format before any query: a
//! string that cannot be a key never reaches the database (a NUL byte, say, which PostgreSQL
//! refuses with an error rather than a miss).

use super::FieldError;
use serde::{Deserialize, Serialize};

/// A site's public key, as in every embed snippet: `st_` and 16 to 64 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteKey(String);

impl SiteKey {
    pub fn parse(field: &str, raw: &str) -> Result<SiteKey, FieldError> {
        let valid = raw.strip_prefix("st_").is_some_and(|hex| {
            (16..=64).contains(&hex.len())
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if valid {
            Ok(SiteKey(raw.to_owned()))
        } else {
            Err(FieldError::new(field, "is not a known site key"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SiteKey {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        SiteKey::parse("site", &raw)
    }
}

impl From<SiteKey> for String {
    fn from(key: SiteKey) -> String {
        key.0
    }
}

impl std::fmt::Display for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn site_keys_are_checked_by_shape() {
        assert!(SiteKey::parse("site", "st_0123456789abcdef0123").is_ok());
        for bad in [
            "",
            "st_",
            "st_\u{0}",
            "st_0123456789ABCDEF0123",
            "xx_0123456789abcdef0123",
            "st_0123456789abcdef012%00",
            "st_unknown",
        ] {
            assert!(SiteKey::parse("site", bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parsed_keys_are_plain_ascii(raw in "\\PC{0,80}") {
            if let Ok(key) = SiteKey::parse("site", &raw) {
                prop_assert!(key.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            }
        }
    }
}
