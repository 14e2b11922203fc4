use super::{has_control_chars, FieldError};
use crate::nps::Score;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const COMMENT_MAX_CHARS: usize = 2000;
const PATH_MAX_CHARS: usize = 512;
const MAX_CHOICES: usize = 16;

/// The consent choice every answer is collected under: taking part in the improvement program.
pub const IMPROVEMENT_PROGRAM: &str = "improvement_program";
/// The consent choice under which a contact e-mail may be kept.
pub const CONTACT: &str = "contact";

/// A visitor's free-text comment: trimmed, non-empty, at most 2000 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Comment(String);

impl Comment {
    /// Blank input means "no comment", not an error.
    pub fn parse(field: &str, raw: &str) -> Result<Option<Comment>, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > COMMENT_MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {COMMENT_MAX_CHARS} characters"),
            ));
        }
        if has_control_chars(text, true) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Some(Comment(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag such as `fi` or `en-GB`, normalised (language lower, region upper).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(field: &str, raw: &str) -> Result<Language, FieldError> {
        let invalid = || FieldError::new(field, "must be a language tag such as en or fi-FI");
        if raw.is_empty() || raw.len() > 35 {
            return Err(invalid());
        }
        let mut parts = raw.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid());
        }
        let mut tag = primary.to_ascii_lowercase();
        for part in parts {
            if part.is_empty() || part.len() > 8 || !part.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(invalid());
            }
            tag.push('-');
            if part.len() == 2 {
                tag.push_str(&part.to_ascii_uppercase());
            } else {
                tag.push_str(part);
            }
        }
        Ok(Language(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The path of the page an answer came from, never its query string or fragment (they can
/// carry personal data: search terms, tokens, e-mail addresses). A full URL is cut to its path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PagePath(String);

impl PagePath {
    pub fn parse(field: &str, raw: &str) -> Result<PagePath, FieldError> {
        let without_query = raw.split(['?', '#']).next().unwrap_or_default();
        let path = match without_query.split_once("://") {
            Some((scheme, rest)) if !scheme.is_empty() && !scheme.contains('/') => {
                rest.find('/').map_or("/", |at| &rest[at..])
            }
            _ => without_query,
        };
        if !path.starts_with('/') {
            return Err(FieldError::new(field, "must be a path starting with /"));
        }
        if path.chars().count() > PATH_MAX_CHARS || has_control_chars(path, false) {
            return Err(FieldError::new(
                field,
                format!("must be at most {PATH_MAX_CHARS} printable characters"),
            ));
        }
        Ok(PagePath(path.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident, $reason:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err(FieldError::new(field, $reason)),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

closed_set!(
    /// What made the survey appear.
    Trigger, "must be one of armed_exit, exit_intent, mobile_return, time_on_site, pages_viewed, api, hosted",
    { ArmedExit => "armed_exit", ExitIntent => "exit_intent", MobileReturn => "mobile_return",
      TimeOnSite => "time_on_site", PagesViewed => "pages_viewed", Api => "api", Hosted => "hosted" }
);

impl Trigger {
    /// As the survey's settings name it.
    pub fn label(self) -> &'static str {
        match self {
            Trigger::ArmedExit => "Armed exit (the button)",
            Trigger::ExitIntent => "Exit intent",
            Trigger::MobileReturn => "Mobile: on return to the tab",
            Trigger::TimeOnSite => "Time on site",
            Trigger::PagesViewed => "Page number",
            Trigger::Api => "The site's script (farewell.show)",
            Trigger::Hosted => "Hosted survey page",
        }
    }
}

closed_set!(
    /// What the visitor did with a survey that was shown.
    ImpressionKind, "must be one of shown, dismissed, answered",
    { Shown => "shown", Dismissed => "dismissed", Answered => "answered" }
);

/// Where the visitor came from, cut to its origin (`https://search.example`): never a path or
/// query, which can carry search terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReferrerOrigin(String);

impl ReferrerOrigin {
    pub fn parse(field: &str, raw: &str) -> Result<Option<ReferrerOrigin>, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let invalid = || FieldError::new(field, "must be an http(s) URL or origin");
        let (scheme, rest) = raw.split_once("://").ok_or_else(invalid)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(invalid());
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Drop any user:password@ part.
        let host = host
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let valid_host = !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !valid_host {
            return Err(invalid());
        }
        Ok(Some(ReferrerOrigin(format!("{scheme}://{host}"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

closed_set!(
    /// The kind of device, never its model or screen size.
    DeviceClass, "must be one of desktop, mobile, tablet, other",
    { Desktop => "desktop", Mobile => "mobile", Tablet => "tablet", Other => "other" }
);

closed_set!(
    /// The browser family, never its version or the raw user agent.
    BrowserFamily, "must be one of chrome, edge, firefox, safari, opera, samsung, other",
    { Chrome => "chrome", Edge => "edge", Firefox => "firefox", Safari => "safari",
      Opera => "opera", Samsung => "samsung", Other => "other" }
);

impl DeviceClass {
    /// Classifies a User-Agent string; the string itself is never stored.
    pub fn from_user_agent(ua: &str) -> DeviceClass {
        if ua.contains("iPad") || ua.contains("Tablet") {
            DeviceClass::Tablet
        } else if ua.contains("Mobi") || ua.contains("iPhone") || ua.contains("Android") {
            DeviceClass::Mobile
        } else if ua.contains("Mozilla/") {
            DeviceClass::Desktop
        } else {
            DeviceClass::Other
        }
    }
}

impl BrowserFamily {
    pub fn from_user_agent(ua: &str) -> BrowserFamily {
        // Order matters: Edge, Opera and Samsung Internet also say "Chrome"; Chrome says "Safari".
        if ua.contains("Edg/") {
            BrowserFamily::Edge
        } else if ua.contains("OPR/") {
            BrowserFamily::Opera
        } else if ua.contains("SamsungBrowser/") {
            BrowserFamily::Samsung
        } else if ua.contains("Firefox/") {
            BrowserFamily::Firefox
        } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
            BrowserFamily::Chrome
        } else if ua.contains("Safari/") {
            BrowserFamily::Safari
        } else {
            BrowserFamily::Other
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, only ever taken from a trusted proxy's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

impl Country {
    pub fn parse(raw: &str) -> Option<Country> {
        let code = raw.trim();
        (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| Country(code.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of one consent choice shown to the visitor, e.g. `improvement_program`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChoiceKey(String);

impl ChoiceKey {
    pub fn parse(field: &str, raw: &str) -> Result<ChoiceKey, FieldError> {
        let valid = (1..=40).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(ChoiceKey(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "choice names are 1–40 characters of a–z, 0–9 and _, starting with a letter",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The consent choices that were shown (the keys) and what the visitor chose (the values).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, bool>", into = "BTreeMap<String, bool>")]
pub struct ConsentChoices(BTreeMap<ChoiceKey, bool>);

impl ConsentChoices {
    pub fn parse<'a>(
        field: &str,
        raw: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> Result<ConsentChoices, FieldError> {
        let mut choices = BTreeMap::new();
        for (key, granted) in raw {
            choices.insert(ChoiceKey::parse(field, key)?, granted);
            if choices.len() > MAX_CHOICES {
                return Err(FieldError::new(
                    field,
                    format!("at most {MAX_CHOICES} choices"),
                ));
            }
        }
        Ok(ConsentChoices(choices))
    }

    /// The choice the survey itself shows: answering means taking part.
    pub fn improvement_program() -> ConsentChoices {
        let mut choices = BTreeMap::new();
        choices.insert(ChoiceKey(IMPROVEMENT_PROGRAM.to_owned()), true);
        ConsentChoices(choices)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn granted(&self, key: &str) -> Option<bool> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, granted)| *granted)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Applies `changes` at `at`: the choices that now hold, and one record per choice that
    /// actually changed (a choice re-sent with the same value is no change).
    pub fn apply(
        &self,
        changes: &ConsentChoices,
        at: chrono::DateTime<chrono::Utc>,
    ) -> (ConsentChoices, Vec<ConsentChange>) {
        let mut now = self.0.clone();
        let mut record = Vec::new();
        for (key, granted) in &changes.0 {
            let before = now.insert(key.clone(), *granted);
            if before != Some(*granted) {
                record.push(ConsentChange {
                    choice: key.0.clone(),
                    granted_before: before,
                    granted: *granted,
                    at,
                });
            }
        }
        (ConsentChoices(now), record)
    }
}

/// How the answer was given, never what the visitor was reading: no query strings, no IP
/// address, no page content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageContext {
    pub page_path: Option<PagePath>,
    pub referrer: Option<ReferrerOrigin>,
    pub trigger: Option<Trigger>,
    pub device: Option<DeviceClass>,
    pub browser: Option<BrowserFamily>,
    pub country: Option<Country>,
    /// Pages of the site viewed in this visit (`journey`).
    #[serde(default)]
    pub pages_viewed: Option<u16>,
    /// Seconds on the site in this visit, as the start of its bucket (`journey`).
    #[serde(default)]
    pub seconds_on_site: Option<u32>,
    /// JavaScript errors the site's pages raised in this visit: a count only.
    #[serde(default)]
    pub errors_seen: Option<u16>,
    /// What the site said of the visitor's situation (`attributes`): declared keys only.
    #[serde(default)]
    pub attributes: super::Attributes,
}

/// The secret that lets only an answer's author change it later: at least 128 random bits,
/// made on the visitor's device and sent with the answer, as 32 to 64 hex digits. The server
/// keeps only its SHA-256; without it nobody (not even someone who knows the answer's id) can
/// amend the answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EditSecret(String);

impl EditSecret {
    pub fn parse(field: &str, raw: &str) -> Result<EditSecret, FieldError> {
        let valid = (32..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(EditSecret(raw.to_ascii_lowercase()))
        } else {
            Err(FieldError::new(
                field,
                "must be 32 to 64 hexadecimal digits (at least 128 random bits)",
            ))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EditSecret {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        EditSecret::parse("edit_secret", &raw)
    }
}

impl From<EditSecret> for String {
    fn from(secret: EditSecret) -> String {
        secret.0
    }
}

/// Never printed: logs and panics must not carry the secret.
impl std::fmt::Debug for EditSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EditSecret(…)")
    }
}

/// One answer as it arrives, fully parsed, before the server resolves its site, survey and notice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewResponse {
    /// Generated on the visitor's device, so a retried submission is recognised.
    pub id: Uuid,
    pub site_key: String,
    pub survey: Option<Uuid>,
    pub score: Score,
    pub comment: Option<Comment>,
    pub language: Option<Language>,
    /// The notice version the visitor saw; `None` means the site's current one.
    pub notice_version: Option<u32>,
    pub choices: ConsentChoices,
    pub context: UsageContext,
    /// The anonymous id the widget keeps in this browser for this site; lets the visitor see,
    /// download or delete their own answers, and lets an opt-out stop collection.
    pub respondent: Option<Uuid>,
    /// Left only when the visitor ticked "you may contact me" (consent choice `contact`).
    pub contact_email: Option<super::Email>,
    /// Lets the author (and only the author) add to this answer later; `None`: it cannot be
    /// amended.
    pub edit_secret: Option<EditSecret>,
    /// The exit reason chosen: an option the survey offers (`ReasonQuestion`).
    pub reason: Option<super::ReasonKey>,
    /// The site's user and account ids, kept (hashed) only under the `identify` choice.
    #[serde(skip)]
    pub identification: super::Identification,
    /// The attributes sent; the site's declared ones go into `context` (`ingest`).
    #[serde(skip)]
    pub attributes: super::SentAttributes,
}

/// Later parts of an answer already stored by id: the widget stores the score the moment it is
/// chosen, then adds the comment and contact details to the same response.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseAmendment {
    pub score: Option<Score>,
    pub comment: Option<Comment>,
    pub contact_email: Option<super::Email>,
    /// Consent choices shown or changed since the answer was stored (e.g. `contact` ticked
    /// with the e-mail). Each change is kept in the consent record with its time; the notice
    /// version never changes.
    pub choices: ConsentChoices,
    /// The exit reason chosen (or chosen anew) after the score.
    #[serde(default)]
    pub reason: Option<super::ReasonKey>,
    /// The user and account ids sent with the `identify` choice, as parsed: only their
    /// keyed hashes are stored (`ingest::amend_response` makes them, below).
    #[serde(skip)]
    pub identification: super::Identification,
    #[serde(skip)]
    pub user_hash: Option<String>,
    #[serde(skip)]
    pub account_hash: Option<String>,
}

impl ResponseAmendment {
    pub fn is_empty(&self) -> bool {
        self.reason.is_none()
            && self.identification.is_empty()
            && self.user_hash.is_none()
            && self.account_hash.is_none()
            && self.score.is_none()
            && self.comment.is_none()
            && self.contact_email.is_none()
            && self.choices.is_empty()
    }
}

/// A consent choice changed after its answer was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    pub choice: String,
    /// `None`: the choice had not been shown when the answer was stored.
    pub granted_before: Option<bool>,
    pub granted: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a consent record can say about the choices stored with an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentBasis {
    /// The visitor was shown these choices and made them.
    ChoicesMade,
    /// No choice was shown (an API client sent none): the answer is kept under the
    /// improvement program's basis, and no choice is claimed.
    NoChoiceShown,
}

impl ConsentBasis {
    pub fn of(choices: &ConsentChoices) -> ConsentBasis {
        if choices.is_empty() {
            ConsentBasis::NoChoiceShown
        } else {
            ConsentBasis::ChoicesMade
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentBasis::ChoicesMade => "choices_made",
            ConsentBasis::NoChoiceShown => "no_choice_shown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn page_paths_lose_query_and_fragment() {
        let cases = [
            ("/pricing?email=ann@example.com", "/pricing"),
            ("/a/b#section", "/a/b"),
            ("https://shop.example/cart?id=1#x", "/cart"),
            ("https://shop.example", "/"),
            ("https://shop.example?q=secret", "/"),
            ("/", "/"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                PagePath::parse("path", raw).unwrap().as_str(),
                want,
                "{raw}"
            );
        }
        assert!(PagePath::parse("path", "pricing").is_err());
        assert!(PagePath::parse("path", "/a\u{0}b").is_err());
        assert!(PagePath::parse("path", &format!("/{}", "a".repeat(600))).is_err());
    }

    #[test]
    fn referrers_keep_only_their_origin() {
        let cases = [
            (
                "https://www.google.com/search?q=my+name",
                Some("https://www.google.com"),
            ),
            (
                "http://User:pw@Example.COM:8080/path",
                Some("http://example.com:8080"),
            ),
            ("", None),
        ];
        for (raw, want) in cases {
            let got = ReferrerOrigin::parse("referrer", raw).unwrap();
            assert_eq!(got.as_ref().map(ReferrerOrigin::as_str), want, "{raw}");
        }
        for bad in [
            "android-app://com.x",
            "javascript:alert(1)",
            "https://",
            "https://a b",
        ] {
            assert!(ReferrerOrigin::parse("referrer", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comments_are_trimmed_and_limited() {
        assert_eq!(Comment::parse("comment", "   ").unwrap(), None);
        assert_eq!(
            Comment::parse("comment", " Great\nsite ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Great\nsite"
        );
        let at_limit = "ä".repeat(COMMENT_MAX_CHARS);
        assert!(Comment::parse("comment", &at_limit).unwrap().is_some());
        let err = Comment::parse("comment", &format!("{at_limit}x")).unwrap_err();
        assert_eq!(err.field, "comment");
        assert!(Comment::parse("comment", "bell\u{7}").is_err());
    }

    #[test]
    fn language_tags_are_normalised() {
        assert_eq!(Language::parse("language", "fi").unwrap().as_str(), "fi");
        assert_eq!(
            Language::parse("language", "EN-gb").unwrap().as_str(),
            "en-GB"
        );
        assert_eq!(
            Language::parse("language", "zh-Hant-TW").unwrap().as_str(),
            "zh-Hant-TW"
        );
        for bad in ["", "e", "english", "en_GB", "en-", "1a", "en-toolongsubtag"] {
            assert!(Language::parse("language", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_agents_map_to_families_and_classes() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(
            DeviceClass::from_user_agent(chrome_android),
            DeviceClass::Mobile
        );
        assert_eq!(
            BrowserFamily::from_user_agent(chrome_android),
            BrowserFamily::Chrome
        );
        let edge =
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(BrowserFamily::from_user_agent(edge), BrowserFamily::Edge);
        assert_eq!(DeviceClass::from_user_agent(edge), DeviceClass::Desktop);
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1";
        assert_eq!(DeviceClass::from_user_agent(ipad), DeviceClass::Tablet);
        assert_eq!(BrowserFamily::from_user_agent(ipad), BrowserFamily::Safari);
        assert_eq!(DeviceClass::from_user_agent("curl/8.0"), DeviceClass::Other);
    }

    #[test]
    fn consent_choices_are_bounded_and_named() {
        let ok = ConsentChoices::parse(
            "consent.choices",
            [("improvement_program", true), ("contact", false)],
        )
        .unwrap();
        assert_eq!(ok.granted("contact"), Some(false));
        assert!(ConsentChoices::parse("consent.choices", [("Bad Key", true)]).is_err());
        let many: Vec<String> = (0..17).map(|i| format!("c{i}")).collect();
        assert!(
            ConsentChoices::parse("consent.choices", many.iter().map(|k| (k.as_str(), true)))
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn parsed_paths_never_hold_a_query_or_fragment(raw in "\\PC{0,80}") {
            if let Ok(p) = PagePath::parse("path", &raw) {
                prop_assert!(!p.as_str().contains('?') && !p.as_str().contains('#'));
                prop_assert!(p.as_str().starts_with('/'));
            }
        }

        #[test]
        fn parsed_comments_respect_the_limit(raw in "\\PC{0,2100}") {
            if let Ok(Some(c)) = Comment::parse("comment", &raw) {
                prop_assert!(c.as_str().chars().count() <= COMMENT_MAX_CHARS);
                prop_assert_eq!(c.as_str().trim(), c.as_str());
            }
        }
    }
}

use super::parsed_from_string;

parsed_from_string!(Comment, |raw| Comment::parse("comment", &raw)?
    .ok_or_else(|| FieldError::new("comment", "is empty")));
parsed_from_string!(Language, |raw| Language::parse("language", &raw));
parsed_from_string!(PagePath, |raw| PagePath::parse("path", &raw));
parsed_from_string!(ReferrerOrigin, |raw| ReferrerOrigin::parse(
    "referrer", &raw
)?
.ok_or_else(|| FieldError::new("referrer", "is empty")));
parsed_from_string!(Country, |raw| Country::parse(&raw).ok_or_else(|| {
    FieldError::new("country", "is not an ISO 3166-1 alpha-2 code")
}));
parsed_from_string!(ChoiceKey, |raw| ChoiceKey::parse("choices", &raw));

impl TryFrom<BTreeMap<String, bool>> for ConsentChoices {
    type Error = FieldError;
    fn try_from(raw: BTreeMap<String, bool>) -> Result<Self, Self::Error> {
        ConsentChoices::parse("choices", raw.iter().map(|(k, v)| (k.as_str(), *v)))
    }
}

impl From<ConsentChoices> for BTreeMap<String, bool> {
    fn from(choices: ConsentChoices) -> Self {
        choices.0.into_iter().map(|(k, v)| (k.0, v)).collect()
    }
}

#[cfg(test)]
mod serde_goes_through_the_parsers {
    use super::*;
    use crate::domain::Email;
    use crate::report::Tag;

    fn refused<T: serde::de::DeserializeOwned>(json: &str) -> bool {
        serde_json::from_str::<T>(json).is_err()
    }

    #[test]
    fn what_the_parser_refuses_serde_refuses() {
        assert!(refused::<Email>(r#""not an address""#));
        assert!(refused::<Language>(r#""not a language tag at all""#));
        assert!(refused::<PagePath>(r#""cart""#));
        // Through the parser, a query string never survives deserialising.
        let path: PagePath = serde_json::from_str(r#""/cart?token=secret""#).unwrap();
        assert_eq!(path.as_str(), "/cart");
        assert!(refused::<Country>(r#""Finland""#));
        assert!(refused::<ChoiceKey>(r#""""#));
        assert!(refused::<Comment>(&format!("\"{}\"", "x".repeat(5000))));
        assert!(refused::<Tag>(r#""""#));
        let many: std::collections::BTreeMap<String, bool> =
            (0..100).map(|i| (format!("choice_{i}"), true)).collect();
        assert!(refused::<ConsentChoices>(
            &serde_json::to_string(&many).unwrap()
        ));
    }

    #[test]
    fn what_the_parser_accepts_round_trips() {
        let email: Email = serde_json::from_str(r#""a@example.com""#).unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), r#""a@example.com""#);
        let choices = ConsentChoices::improvement_program();
        let json = serde_json::to_string(&choices).unwrap();
        assert_eq!(
            serde_json::from_str::<ConsentChoices>(&json).unwrap(),
            choices
        );
        let path: PagePath = serde_json::from_str(r#""/pricing""#).unwrap();
        assert_eq!(path.as_str(), "/pricing");
    }
}
