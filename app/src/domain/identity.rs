//! Identification with consent: a site may pass its own user id (`farewell.identify`) and
//! account id (`farewell.set({account})`), and they are kept only when the visitor was shown
//! the consent choice `identify` and granted it, and only as a keyed hash
//! (`tokens::identity_hash`, a secret per site): answers can then be read by account and found
//! or erased by user id, and the ids themselves are never stored.

use super::{ConsentChoices, FieldError};

/// The consent choice under which a user or account id may be kept (hashed).
pub const IDENTIFY: &str = "identify";
const MAX_ID_CHARS: usize = 200;

/// A user or account id as the site knows it: 1–200 characters, trimmed, no control
/// characters. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(field: &str, raw: &str) -> Result<ExternalId, FieldError> {
        let id = raw.trim();
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
            return Err(FieldError::new(field, "must be 1–200 characters"));
        }
        if super::has_control_chars(id, false) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(ExternalId(id.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Never printed: an id is personal data.
impl std::fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalId(…)")
    }
}

/// The ids an answer (or an amendment of it) carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identification {
    pub user: Option<ExternalId>,
    pub account: Option<ExternalId>,
}

impl Identification {
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.account.is_none()
    }

    /// Ids may be kept only under the granted `identify` choice of `choices` (those sent with
    /// them): otherwise refused, naming the first id sent.
    pub fn check_consent(&self, choices: &ConsentChoices) -> Result<(), FieldError> {
        if self.is_empty() || choices.granted(IDENTIFY) == Some(true) {
            return Ok(());
        }
        let field = if self.user.is_some() {
            "user_id"
        } else {
            "account"
        };
        Err(FieldError::new(
            field,
            "may only be sent with the consent choice identify: true",
        ))
    }

    /// The keyed hashes kept: (user, account).
    #[cfg(feature = "ssr")]
    pub fn hashes(&self, site_secret: &str) -> (Option<String>, Option<String>) {
        let hash = |kind: &str, id: &Option<ExternalId>| {
            id.as_ref()
                .map(|id| crate::tokens::identity_hash(site_secret, kind, id.expose()))
        };
        (hash("user", &self.user), hash("account", &self.account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_never_printed() {
        assert_eq!(
            ExternalId::parse("user_id", " u-42 ").unwrap().expose(),
            "u-42"
        );
        for bad in ["", "  ", "a\u{0}b", &"x".repeat(201)] {
            assert!(ExternalId::parse("user_id", bad).is_err(), "{bad:?}");
        }
        let id = ExternalId::parse("user_id", "ann@example.com").unwrap();
        assert!(!format!("{id:?}").contains("ann"));
    }

    #[test]
    fn ids_need_the_identify_choice_granted() {
        let ids = Identification {
            user: Some(ExternalId::parse("user_id", "u-42").unwrap()),
            account: None,
        };
        let granted = ConsentChoices::parse("c", [(IDENTIFY, true)]).unwrap();
        let declined = ConsentChoices::parse("c", [(IDENTIFY, false)]).unwrap();
        assert!(ids.check_consent(&granted).is_ok());
        assert_eq!(ids.check_consent(&declined).unwrap_err().field, "user_id");
        assert_eq!(
            ids.check_consent(&ConsentChoices::default())
                .unwrap_err()
                .field,
            "user_id"
        );
        assert!(Identification::default()
            .check_consent(&ConsentChoices::default())
            .is_ok());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_hash_is_keyed_by_the_site_and_the_kind() {
        let ids = Identification {
            user: Some(ExternalId::parse("user_id", "42").unwrap()),
            account: Some(ExternalId::parse("account", "42").unwrap()),
        };
        let (user, account) = ids.hashes("secret one");
        let (user2, _) = ids.hashes("secret two");
        assert_ne!(user, account, "a user and an account of the same id differ");
        assert_ne!(user, user2, "another site's hash differs");
        assert_eq!(user.as_ref().map(String::len), Some(64));
        assert_eq!(ids.hashes("secret one").0, user, "stable");
    }
}
