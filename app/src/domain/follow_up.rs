//! The follow-up inbox's words: where an answer stands (new, contacted, resolved), when it is
//! due, and what the team writes about it (internal notes) or to its visitor (replies).

use super::{has_control_chars, parsed_from_string, FieldError};
use serde::{Deserialize, Serialize};

/// Where an answer that asked to be contacted stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowUpStatus {
    /// Nobody has reached the visitor yet.
    New,
    /// Someone has (a reply was sent, or set by hand after a call).
    Contacted,
    /// Nothing more to do.
    Resolved,
}

impl FollowUpStatus {
    pub const ALL: [FollowUpStatus; 3] = [Self::New, Self::Contacted, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Contacted => "Contacted",
            Self::Resolved => "Resolved",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new("status", "must be new, contacted or resolved"))
    }
}

/// How long after an answer its follow-up is due, unless set per answer: 1 hour to 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpHours(u16);

impl FollowUpHours {
    pub const DEFAULT: FollowUpHours = FollowUpHours(48);
    pub const MAX: u16 = 720;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("hours", "must be a whole number of hours from 1 to 720");
        let hours: u16 = raw.trim().parse().map_err(|_| bad())?;
        Self::new(hours).ok_or_else(bad)
    }

    pub fn new(hours: u16) -> Option<Self> {
        (1..=Self::MAX)
            .contains(&hours)
            .then_some(FollowUpHours(hours))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// What a note or a reply says: trimmed, 1 to 4,000 characters, line breaks allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryText(String);

pub const ENTRY_MAX_CHARS: usize = 4000;

impl EntryText {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim().replace("\r\n", "\n");
        if text.is_empty() {
            return Err(FieldError::new(field, "is empty: write something first"));
        }
        if text.chars().count() > ENTRY_MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("is longer than {ENTRY_MAX_CHARS} characters"),
            ));
        }
        if has_control_chars(&text, true) {
            return Err(FieldError::new(field, "holds control characters"));
        }
        Ok(EntryText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

parsed_from_string!(EntryText, |raw| EntryText::parse("body", &raw));

/// A reply's subject: one line (a line break would start a new mail header), 1 to 200
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReplySubject(String);

impl ReplySubject {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let subject = raw.trim();
        if subject.is_empty() {
            return Err(FieldError::new("subject", "is empty"));
        }
        if subject.chars().count() > 200 {
            return Err(FieldError::new("subject", "is longer than 200 characters"));
        }
        if has_control_chars(subject, false) {
            return Err(FieldError::new("subject", "must be one line"));
        }
        Ok(ReplySubject(subject.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

parsed_from_string!(ReplySubject, |raw| ReplySubject::parse(&raw));

/// What an entry of an answer's follow-up is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// An internal note: never sent to the visitor.
    Note,
    /// A reply opened in the member's own mail app (`mailto:`).
    Mailto,
    /// A reply sent by the server's SMTP relay.
    Smtp,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Mailto => "mailto",
            Self::Smtp => "smtp",
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        [Self::Note, Self::Mailto, Self::Smtp]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }

    pub fn is_reply(self) -> bool {
        self != Self::Note
    }
}

/// A `mailto:` address with its subject and body, each percent-encoded (RFC 6068), so that
/// nothing typed can add a header or a recipient.
pub fn mailto(to: &str, subject: &str, body: &str) -> String {
    fn encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    // The address keeps its `@`; anything else in it is encoded like the rest.
    let to = to.split('@').map(encode).collect::<Vec<_>>().join("@");
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "mailto:{to}?subject={}&body={}",
        encode(subject),
        encode(&body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_by_their_names_only() {
        for s in FollowUpStatus::ALL {
            assert_eq!(FollowUpStatus::parse(s.as_str()), Ok(s));
        }
        assert!(FollowUpStatus::parse("done").is_err());
        assert!(FollowUpStatus::parse("").is_err());
    }

    #[test]
    fn hours_run_from_one_to_thirty_days() {
        assert_eq!(FollowUpHours::parse("48").unwrap().get(), 48);
        assert_eq!(FollowUpHours::parse(" 720 ").unwrap().get(), 720);
        for bad in ["0", "721", "-1", "1.5", "", "two"] {
            assert_eq!(
                FollowUpHours::parse(bad).unwrap_err().field,
                "hours",
                "{bad}"
            );
        }
    }

    #[test]
    fn entry_text_is_bounded_and_keeps_its_lines() {
        assert_eq!(
            EntryText::parse("note", " Called her.\r\nWill retry. ")
                .unwrap()
                .as_str(),
            "Called her.\nWill retry."
        );
        assert!(EntryText::parse("note", "   ").is_err());
        assert!(EntryText::parse("note", &"x".repeat(4001)).is_err());
        assert!(EntryText::parse("note", &"é".repeat(4000)).is_ok());
        assert!(EntryText::parse("note", "bell\u{7}").is_err());
    }

    #[test]
    fn a_subject_is_one_line() {
        assert!(ReplySubject::parse("About your answer").is_ok());
        assert_eq!(
            ReplySubject::parse("Hi\r\nBcc: x@example.com")
                .unwrap_err()
                .reason,
            "must be one line"
        );
        assert!(ReplySubject::parse("").is_err());
    }

    #[test]
    fn mailto_encodes_whatever_could_add_a_header_or_recipient() {
        let link = mailto(
            "ann@example.com",
            "Re: you & us?",
            "Hi Ann,\nthanks.\n&cc=x@evil.test",
        );
        assert_eq!(
            link,
            "mailto:ann@example.com?subject=Re%3A%20you%20%26%20us%3F\
             &body=Hi%20Ann%2C%0D%0Athanks.%0D%0A%26cc%3Dx%40evil.test"
        );
        // An address cannot smuggle a query of its own.
        assert!(mailto("a?cc=b@x.test", "s", "b").starts_with("mailto:a%3Fcc%3Db@x.test?"));
    }
}
