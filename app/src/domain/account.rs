use super::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A sign-in e-mail address, trimmed and lower-cased so that one person has one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !super::has_control_chars(&email, false)
            && !email.contains(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if valid {
            Ok(Email(email))
        } else {
            Err(FieldError::new(field, "must be an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: long enough to resist guessing, short enough not to be a hashing DoS.
/// Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// zxcvbn's estimate below 3 ("safely unguessable: moderate protection from offline
    /// attacks") means a list of common passwords, names or patterns would find it soon.
    /// Checked on the server only: the estimator's dictionaries would weigh down the wasm.
    #[cfg(feature = "ssr")]
    fn too_common(raw: &str) -> bool {
        zxcvbn::zxcvbn(raw, &[]).score() < zxcvbn::Score::Three
    }

    #[cfg(not(feature = "ssr"))]
    fn too_common(_raw: &str) -> bool {
        false
    }

    /// What the forms say, and what the server enforces.
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(field: &str, raw: &str) -> Result<Password, FieldError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ))
        } else if chars > Self::MAX_CHARS {
            Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ))
        } else if Self::too_common(raw) {
            Err(FieldError::new(
                field,
                "is too common or easy to guess: add a few unusual words",
            ))
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// What a member of an organisation may do there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("email", "  Ann@Example.COM ")
                .unwrap()
                .as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("password", "correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::parse("password", "short").is_err());
    }

    proptest! {
        #[test]
        fn parsed_emails_are_stable(raw in "\\PC{0,40}") {
            if let Ok(e) = Email::parse("email", &raw) {
                prop_assert_eq!(Email::parse("email", e.as_str()).unwrap(), e.clone());
                prop_assert!(e.as_str().contains('@'));
            }
        }
    }
}

/// A member as the administration lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
}

/// An invitation; the link's token is never stored, only its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub role: Role,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub accepted: bool,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked: bool,
}

/// A read-only share link as the administration lists it (the token itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLinkRecord {
    pub id: Uuid,
    pub site_id: Uuid,
    pub days: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A webhook as the administration lists it (its secret is shown once, at creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    /// Its rules in a line (`AlertRules::describe`), listed on `/admin/setup`, rendered on the
    /// server (the administration bundle has no room for them).
    #[cfg(feature = "ssr")]
    pub rules: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One delivery in a webhook's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub attempts: u32,
    /// "delivered", "skipped", "failed" or "retrying": what the history shows, worked out on
    /// the server (the browser needs no more, nor the code to read more).
    pub state: String,
    #[cfg(feature = "ssr")]
    pub delivered: bool,
    #[cfg(feature = "ssr")]
    pub failed: bool,
    /// Never sent: its webhook's rules kept the answer out (why is `last_error`).
    #[cfg(feature = "ssr")]
    pub skipped: bool,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

/// The events a webhook can subscribe to.
pub const WEBHOOK_EVENTS: [&str; 2] = ["response.created", "detractor.received"];

super::parsed_from_string!(Email, |raw| Email::parse("email", &raw));
