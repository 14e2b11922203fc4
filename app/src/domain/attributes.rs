//! Attributes: what the site says about its visitor's situation (`farewell.set({plan: "pro"})`,
//! or `data-attributes` on the script tag), such as a plan or a tier. Each declared key is a
//! segment dimension `attr.<key>`. They are never personal data: a site declares the keys it
//! takes, each key holds at most a capped number of distinct values (the rest are stored as
//! "other"), and a value that looks like an e-mail address is refused.

use super::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest key: `attr.` and the key fit in a `Dimension` that stays `Copy`.
pub const MAX_KEY_LEN: usize = 24;
const PREFIX: &str = "attr.";
const NAME_LEN: usize = PREFIX.len() + MAX_KEY_LEN;
pub const MAX_VALUE_CHARS: usize = 64;
/// The most attributes one answer or event may carry (declared or not).
pub const MAX_SENT: usize = 20;
/// The most keys a site may declare.
pub const MAX_DECLARED: usize = 10;
/// Distinct values kept per key unless the site says otherwise.
pub const DEFAULT_VALUE_CAP: u32 = 50;
pub const MAX_VALUE_CAP: u32 = 1_000;
/// What a value past its key's cap is stored as.
pub const OTHER: &str = "other";
/// Keys that mean something else: `account` is hashed, never stored as sent (identification).
const RESERVED: [&str; 2] = ["account", "user"];

/// An attribute's key: 1–24 lower-case letters, digits and `_`, starting with a letter. Held
/// with its dimension's name (`attr.plan`) inline, so that a `Dimension` holding it is `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeKey {
    name: [u8; NAME_LEN],
    len: u8,
}

impl AttributeKey {
    pub fn parse(field: &str, raw: &str) -> Result<AttributeKey, FieldError> {
        let key = raw.trim();
        let valid = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key.as_bytes()[0].is_ascii_lowercase()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(FieldError::new(
                field,
                "must be 1–24 lower-case letters, digits and _, starting with a letter",
            ));
        }
        if RESERVED.contains(&key) {
            return Err(FieldError::new(
                field,
                format!("{key} is reserved: it is never stored as sent"),
            ));
        }
        let mut name = [0u8; NAME_LEN];
        name[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
        name[PREFIX.len()..PREFIX.len() + key.len()].copy_from_slice(key.as_bytes());
        Ok(AttributeKey {
            name,
            len: (PREFIX.len() + key.len()) as u8,
        })
    }

    /// The dimension's name: `attr.plan`.
    pub fn dimension_name(&self) -> &str {
        // Built only from ASCII by `parse`.
        std::str::from_utf8(&self.name[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The key as the site writes it: `plan`.
    pub fn as_str(&self) -> &str {
        &self.dimension_name()[PREFIX.len()..]
    }

    /// `attr.plan` → the key `plan`; `None` for any other name.
    pub fn from_dimension_name(name: &str) -> Option<AttributeKey> {
        let key = name.strip_prefix(PREFIX)?;
        AttributeKey::parse("dimension", key).ok()
    }
}

impl std::fmt::Debug for AttributeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AttributeKey({})", self.as_str())
    }
}

impl Serialize for AttributeKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AttributeKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        AttributeKey::parse("attributes", &raw).map_err(serde::de::Error::custom)
    }
}

/// An attribute's value: 1–64 characters, trimmed, none a control character, `,` or `=` (the
/// stored list's separators), and never an e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeValue(String);

impl AttributeValue {
    pub fn parse(field: &str, raw: &str) -> Result<AttributeValue, FieldError> {
        let value = raw.trim();
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            return Err(FieldError::new(field, "must be 1–64 characters"));
        }
        // `,` and `=` separate the stored list; `;` the export's.
        if value.chars().any(|c| c.is_control() || ",=;".contains(c)) {
            return Err(FieldError::new(
                field,
                "must not contain control characters, commas, semicolons or =",
            ));
        }
        if value.contains('@') {
            return Err(FieldError::new(
                field,
                "must not hold an e-mail address: attributes are never personal data",
            ));
        }
        Ok(AttributeValue(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn other() -> AttributeValue {
        AttributeValue(OTHER.to_string())
    }
}

super::parsed_from_string!(AttributeValue, |raw| AttributeValue::parse(
    "attributes",
    &raw
));

/// The attributes an answer or event carries, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<AttributeKey, AttributeValue>",
    into = "BTreeMap<AttributeKey, AttributeValue>"
)]
pub struct Attributes(BTreeMap<AttributeKey, AttributeValue>);

impl Attributes {
    /// `"attributes": {"plan": "pro"}` as sent; each refusal names `attributes.<key>`.
    pub fn parse<'a>(
        field: &str,
        raw: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Attributes, FieldError> {
        let mut out = BTreeMap::new();
        for (key, value) in raw {
            if out.len() == MAX_SENT {
                return Err(FieldError::new(field, "at most 20 attributes"));
            }
            let key = AttributeKey::parse(field, key)?;
            let value = AttributeValue::parse(&format!("{field}.{}", key.as_str()), value)?;
            out.insert(key, value);
        }
        Ok(Attributes(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, key: AttributeKey) -> Option<&str> {
        self.0.get(&key).map(AttributeValue::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (AttributeKey, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Keeps only the keys the site declared; says how many were dropped.
    pub fn retain_declared(&mut self, declared: &[AttributeKey]) -> usize {
        let before = self.0.len();
        self.0.retain(|key, _| declared.contains(key));
        before - self.0.len()
    }

    /// Stores `key`'s value as "other" (past its cap).
    pub fn set_other(&mut self, key: AttributeKey) {
        if let Some(value) = self.0.get_mut(&key) {
            *value = AttributeValue::other();
        }
    }

    /// As stored: `,plan=pro,tier=gold,`, so that one key and value is found as the text
    /// `,plan=pro,` (no value holds `,` or `=`); `None` for none.
    pub fn stored(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let mut out = String::from(",");
        for (key, value) in &self.0 {
            out.push_str(key.as_str());
            out.push('=');
            out.push_str(value.as_str());
            out.push(',');
        }
        Some(out)
    }

    /// Read back from `stored`; a part that does not parse (never written) is skipped.
    pub fn from_stored(stored: Option<&str>) -> Attributes {
        let pairs = stored
            .unwrap_or_default()
            .split(',')
            .filter_map(|part| part.split_once('='))
            .filter_map(|(k, v)| {
                Some((
                    AttributeKey::parse("attributes", k).ok()?,
                    AttributeValue::parse("attributes", v).ok()?,
                ))
            });
        Attributes(pairs.collect())
    }

    /// The text a stored list holds for `key` = `value`: `,plan=pro,`.
    pub fn stored_needle(key: AttributeKey, value: &str) -> String {
        format!(",{}={value},", key.as_str())
    }
}

impl TryFrom<BTreeMap<AttributeKey, AttributeValue>> for Attributes {
    type Error = FieldError;
    fn try_from(map: BTreeMap<AttributeKey, AttributeValue>) -> Result<Self, FieldError> {
        if map.len() > MAX_SENT {
            return Err(FieldError::new("attributes", "at most 20 attributes"));
        }
        Ok(Attributes(map))
    }
}

impl From<Attributes> for BTreeMap<AttributeKey, AttributeValue> {
    fn from(a: Attributes) -> Self {
        a.0
    }
}

/// The most attributes one answer or event may send, declared or not (undeclared ones are
/// dropped unread).
pub const MAX_SENT_RAW: usize = 64;

/// `"attributes"` as sent, before the site is known: only the keys the site declared are read
/// (`declared`); the others are dropped whatever they hold, so a page's stray key never costs
/// its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SentAttributes(BTreeMap<String, String>);

impl SentAttributes {
    pub fn parse(field: &str, raw: BTreeMap<String, String>) -> Result<SentAttributes, FieldError> {
        if raw.len() > MAX_SENT_RAW {
            return Err(FieldError::new(field, "at most 64 attributes"));
        }
        Ok(SentAttributes(raw))
    }

    /// The declared keys' values, parsed (a refusal names `attributes.<key>`), and how many
    /// sent keys were not declared.
    pub fn declared(&self, keys: &[AttributeKey]) -> Result<(Attributes, usize), FieldError> {
        let mut kept = BTreeMap::new();
        for key in keys {
            if let Some(value) = self.0.get(key.as_str()) {
                let value = AttributeValue::parse(&format!("attributes.{}", key.as_str()), value)?;
                kept.insert(*key, value);
            }
        }
        let dropped = self.0.len() - kept.len();
        Ok((Attributes(kept), dropped))
    }
}

/// What a site takes: its declared keys, the only values some of them take (a plan's names:
/// nothing else, not even a hostile page, can fill its segments), and how many distinct values
/// each other key keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeSettings {
    pub keys: Vec<AttributeKey>,
    /// Per key, its only values: any other is stored as "other". Keys not here take any value,
    /// up to the cap.
    #[serde(default)]
    pub allowed: BTreeMap<AttributeKey, Vec<AttributeValue>>,
    pub value_cap: u32,
}

impl Default for AttributeSettings {
    fn default() -> Self {
        AttributeSettings {
            keys: Vec::new(),
            allowed: BTreeMap::new(),
            value_cap: DEFAULT_VALUE_CAP,
        }
    }
}

/// The most values one key may list.
pub const MAX_ALLOWED_VALUES: usize = 50;

impl AttributeSettings {
    /// Keys as an admin or the CLI writes them, separated by commas or lines, each perhaps
    /// with its only values after a colon: `plan: free | pro | team, tier`; and the cap.
    pub fn parse(keys: &str, value_cap: &str) -> Result<AttributeSettings, FieldError> {
        let mut parsed: Vec<AttributeKey> = Vec::new();
        let mut allowed = BTreeMap::new();
        for item in keys.split([',', '\n']).filter(|k| !k.trim().is_empty()) {
            let (raw_key, values) = match item.split_once(':') {
                Some((key, values)) => (key, Some(values)),
                None => (item, None),
            };
            let key = AttributeKey::parse("keys", raw_key)?;
            if parsed.contains(&key) {
                return Err(FieldError::new(
                    "keys",
                    format!("{} is listed twice", key.as_str()),
                ));
            }
            parsed.push(key);
            if let Some(values) = values {
                let mut list: Vec<AttributeValue> = Vec::new();
                for raw in values.split('|').filter(|v| !v.trim().is_empty()) {
                    let value = AttributeValue::parse("keys", raw).map_err(|e| {
                        FieldError::new("keys", format!("{}: a value {}", key.as_str(), e.reason))
                    })?;
                    if !list.contains(&value) {
                        list.push(value);
                    }
                }
                if list.is_empty() || list.len() > MAX_ALLOWED_VALUES {
                    return Err(FieldError::new(
                        "keys",
                        format!(
                            "{}: list 1–50 values after the colon, separated by |",
                            key.as_str()
                        ),
                    ));
                }
                allowed.insert(key, list);
            }
        }
        if parsed.len() > MAX_DECLARED {
            return Err(FieldError::new("keys", "at most 10 keys"));
        }
        let value_cap = match value_cap.trim() {
            "" => DEFAULT_VALUE_CAP,
            raw => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_VALUE_CAP).contains(n))
                .ok_or_else(|| FieldError::new("value_cap", "must be a whole number 1–1000"))?,
        };
        Ok(AttributeSettings {
            keys: parsed,
            allowed,
            value_cap,
        })
    }

    /// As an admin writes it, and as stored with `,` alone between keys:
    /// `plan: free | pro | team, tier`.
    pub fn to_text(&self, between: &str) -> String {
        self.keys
            .iter()
            .map(|key| match self.allowed.get(key) {
                Some(values) => format!(
                    "{}: {}",
                    key.as_str(),
                    values
                        .iter()
                        .map(AttributeValue::as_str)
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
                None => key.as_str().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(between)
    }

    /// As stored: `plan: free | pro, tier`.
    pub fn stored_keys(&self) -> String {
        self.to_text(",")
    }

    /// The keys alone: `plan,tier`.
    pub fn key_names(&self) -> String {
        self.keys
            .iter()
            .map(AttributeKey::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether `key` takes `value` by its own list: `None` when the key has none (the cap
    /// decides).
    pub fn listed(&self, key: AttributeKey, value: &str) -> Option<bool> {
        self.allowed
            .get(&key)
            .map(|values| values.iter().any(|v| v.as_str() == value))
    }

    /// Read back from the stored columns; what does not parse (never written) is skipped.
    pub fn from_stored(keys: &str, value_cap: i64) -> AttributeSettings {
        let mut settings = AttributeSettings {
            value_cap: u32::try_from(value_cap).unwrap_or(DEFAULT_VALUE_CAP),
            ..Default::default()
        };
        for item in keys.split(',') {
            let one = AttributeSettings::parse(item, "").unwrap_or_default();
            for key in one.keys {
                if !settings.keys.contains(&key) {
                    settings.keys.push(key);
                }
            }
            settings.allowed.extend(one.allowed);
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(k: &str) -> AttributeKey {
        AttributeKey::parse("k", k).unwrap()
    }

    #[test]
    fn keys_are_short_lower_case_names_held_with_their_dimension() {
        let plan = key("plan");
        assert_eq!(plan.as_str(), "plan");
        assert_eq!(plan.dimension_name(), "attr.plan");
        assert_eq!(AttributeKey::from_dimension_name("attr.plan"), Some(plan));
        assert_eq!(AttributeKey::from_dimension_name("plan"), None);
        let longest = "a".repeat(MAX_KEY_LEN);
        assert_eq!(key(&longest).as_str(), longest);
        for bad in [
            "",
            "Plan",
            "1plan",
            "pl-an",
            "plän",
            &"a".repeat(25),
            "account",
            "user",
        ] {
            assert!(AttributeKey::parse("k", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_refuse_separators_controls_and_addresses() {
        assert_eq!(
            AttributeValue::parse("v", " Pro plan ").unwrap().as_str(),
            "Pro plan"
        );
        for bad in [
            "",
            " ",
            "a,b",
            "a=b",
            "a;b",
            "ann@example.com",
            "tab\there",
            &"x".repeat(65),
        ] {
            assert!(AttributeValue::parse("v", bad).is_err(), "{bad:?}");
        }
        let err = Attributes::parse("attributes", [("plan", "a,b")]).unwrap_err();
        assert_eq!(err.field, "attributes.plan");
    }

    #[test]
    fn a_worked_example_round_trips_through_storage() {
        let attrs = Attributes::parse("attributes", [("tier", "gold"), ("plan", "Pro")]).unwrap();
        assert_eq!(attrs.stored().as_deref(), Some(",plan=Pro,tier=gold,"));
        assert_eq!(Attributes::from_stored(attrs.stored().as_deref()), attrs);
        assert_eq!(Attributes::default().stored(), None);
        assert_eq!(Attributes::stored_needle(key("plan"), "Pro"), ",plan=Pro,");
    }

    #[test]
    fn undeclared_keys_are_dropped_and_counted() {
        let mut attrs =
            Attributes::parse("attributes", [("plan", "pro"), ("colour", "red")]).unwrap();
        assert_eq!(attrs.retain_declared(&[key("plan")]), 1);
        assert_eq!(attrs.get(key("plan")), Some("pro"));
        assert_eq!(attrs.get(key("colour")), None);
        attrs.set_other(key("plan"));
        assert_eq!(attrs.get(key("plan")), Some(OTHER));
    }

    #[test]
    fn only_declared_keys_are_read_from_what_was_sent() {
        let sent = SentAttributes::parse(
            "attributes",
            [
                ("plan", "pro"),
                ("Bad Key", "x,y"),
                ("account", "acme"),
                ("tier", "a@b"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        )
        .unwrap();
        let (kept, dropped) = sent.declared(&[key("plan")]).unwrap();
        assert_eq!(
            (kept.get(key("plan")), kept.len(), dropped),
            (Some("pro"), 1, 3)
        );
        // A declared key's bad value is refused, at its field.
        let err = sent.declared(&[key("plan"), key("tier")]).unwrap_err();
        assert_eq!(err.field, "attributes.tier");
    }

    #[test]
    fn too_many_attributes_are_refused() {
        let many: Vec<(String, String)> = (0..21)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        let err = Attributes::parse(
            "attributes",
            many.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .unwrap_err();
        assert_eq!(err.reason, "at most 20 attributes");
    }

    #[test]
    fn settings_parse_keys_their_values_and_cap() {
        let s = AttributeSettings::parse("plan: free | pro |team\ntier", "").unwrap();
        assert_eq!(s.stored_keys(), "plan: free | pro | team,tier");
        assert_eq!(s.key_names(), "plan,tier");
        assert_eq!(AttributeSettings::from_stored(&s.stored_keys(), 50), s);
        assert_eq!(s.listed(key("plan"), "pro"), Some(true));
        assert_eq!(s.listed(key("plan"), "Pro"), Some(false));
        assert_eq!(s.listed(key("tier"), "gold"), None);
        for (bad, reason) in [
            ("plan:", "list 1–50 values"),
            ("plan: a@b", "e-mail"),
            ("plan, plan", "listed twice"),
        ] {
            let err = AttributeSettings::parse(bad, "").unwrap_err();
            assert_eq!(err.field, "keys");
            assert!(err.reason.contains(reason), "{bad}: {}", err.reason);
        }
        let s = AttributeSettings::parse("plan, tier", "").unwrap();
        assert_eq!(s.stored_keys(), "plan,tier");
        assert_eq!(s.value_cap, DEFAULT_VALUE_CAP);
        assert_eq!(AttributeSettings::from_stored("plan,tier", 50), s);
        assert_eq!(
            AttributeSettings::parse("plan", "0").unwrap_err().field,
            "value_cap"
        );
        assert_eq!(
            AttributeSettings::parse("Plan", "").unwrap_err().field,
            "keys"
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
        assert!(AttributeSettings::parse(&eleven.join(","), "").is_err());
    }

    proptest! {
        #[test]
        fn any_parsed_attributes_round_trip(pairs in proptest::collection::btree_map("[a-z][a-z0-9_]{0,23}", "\\PC{1,64}", 0..6)) {
            let parsed = Attributes::parse("attributes", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if let Ok(attrs) = parsed {
                prop_assert_eq!(Attributes::from_stored(attrs.stored().as_deref()), attrs.clone());
                let json = serde_json::to_string(&attrs).unwrap();
                prop_assert_eq!(serde_json::from_str::<Attributes>(&json).unwrap(), attrs);
            }
        }
    }
}
