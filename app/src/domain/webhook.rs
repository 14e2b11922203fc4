//! Where a webhook may post. A member could otherwise point one at the server's own network
//! (a cloud metadata address, a database port, a loopback admin page) and read the delivery
//! history as a port scanner. Destinations are checked when a webhook is saved and again, on
//! the address actually connected to, at every delivery (the server's resolver filters), so
//! a name that later resolves elsewhere (DNS rebinding) does not pass either.

use super::FieldError;
use std::net::{IpAddr, Ipv4Addr};

/// What the operator allows beyond public `https://` destinations. Off by default; tests turn
/// it on for their loopback receivers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookRules {
    /// Allow `http://` and destinations in private, loopback and link-local networks.
    pub allow_private: bool,
}

/// Whether `ip` is an address a webhook may never reach (unless the operator allows private
/// destinations): loopback, RFC 1918, link-local, unique-local, CGNAT, unspecified, multicast,
/// broadcast, documentation and benchmarking ranges, and the IPv4-mapped forms of all of them.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible ::a.b.c.d
                || v6.segments()[..6] == [0, 0, 0, 0, 0xffff, 0] // IPv4-translated ::ffff:0:a.b.c.d
                || (v6.segments()[0] == 0x64 && v6.segments()[1] == 0xff9b) // NAT64 64:ff9b::/96, 64:ff9b:1::/48
                || (first == 0x2001 && v6.segments()[1] == 0) // Teredo 2001::/32: embeds an IPv4 address
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || first == 0x2002 // 6to4: embeds an IPv4 address
        }
    }
}

fn forbidden_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_multicast()
        || v4.is_broadcast()
        || v4.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..=127).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..=19).contains(&b)) // benchmarking
        || (a == 192 && b == 88 && v4.octets()[2] == 99) // 6to4 relay anycast
        || a >= 240 // reserved
}

/// What a webhook's deliveries look like: Farewell's signed JSON event, or a chat's
/// incoming-webhook message (Slack, Microsoft Teams, Mattermost) naming the score, band, page and
/// comment, so that a channel reads it as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    #[default]
    Json,
    Slack,
    Teams,
    Mattermost,
}

impl WebhookFormat {
    pub const ALL: [WebhookFormat; 4] = [
        WebhookFormat::Json,
        WebhookFormat::Slack,
        WebhookFormat::Teams,
        WebhookFormat::Mattermost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
            WebhookFormat::Mattermost => "mattermost",
        }
    }

    /// The format a destination speaks, known by its address: Slack's and Microsoft Teams'
    /// incoming-webhook hosts, and Mattermost's `/hooks/<26 letters and digits>` path (on any
    /// host: it is self-hosted). Anything else gets signed JSON.
    pub fn of_url(url: &str) -> WebhookFormat {
        let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else {
            return WebhookFormat::Json;
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit('@').next().unwrap_or_default();
        let host = host
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if host == "hooks.slack.com" {
            WebhookFormat::Slack
        } else if host.ends_with(".webhook.office.com") || host.ends_with(".logic.azure.com") {
            WebhookFormat::Teams
        } else if path.strip_prefix("hooks/").is_some_and(|id| {
            id.len() == 26
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }) {
            WebhookFormat::Mattermost
        } else {
            WebhookFormat::Json
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<WebhookFormat, FieldError> {
        WebhookFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new(field, "must be json, slack, teams or mattermost"))
    }
}

/// A webhook destination, parsed: scheme, host and port checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
    port: u16,
    /// The host written as an address (no lookup needed).
    literal: Option<IpAddr>,
}

impl WebhookUrl {
    pub fn parse(raw: &str, rules: WebhookRules) -> Result<WebhookUrl, FieldError> {
        let url = raw.trim();
        let bad = || FieldError::new("url", "must be an https:// URL");
        if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
            (rest, 443)
        } else if let Some(rest) = url.strip_prefix("http://") {
            if !rules.allow_private {
                return Err(FieldError::new(
                    "url",
                    "must use https:// (plain http:// is allowed only when the operator allows private destinations)",
                ));
            }
            (rest, 80)
        } else {
            return Err(bad());
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = split_host_port(authority).ok_or_else(bad)?;
        let port = port.unwrap_or(default_port);
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        // A name whose last label starts with a digit is no domain name but an address in one
        // of the forms resolvers also accept (2130706433, 127.1, 0177.0.0.1, 0x7f.1): only
        // the standard notations are taken, and checked as addresses.
        let numeric_name = literal.is_none()
            && host
                .trim_end_matches('.')
                .rsplit('.')
                .next()
                .is_some_and(|label| label.starts_with(|c: char| c.is_ascii_digit()));
        let valid_name = literal.is_some()
            || (!numeric_name
                && host.len() <= 253
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }));
        if !valid_name || port == 0 {
            return Err(bad());
        }
        let parsed = WebhookUrl {
            url: url.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
            literal,
        };
        if !rules.allow_private {
            if let Some(ip) = literal {
                if is_forbidden_ip(ip) {
                    return Err(refused());
                }
            }
            if parsed.host == "localhost" || parsed.host.ends_with(".localhost") {
                return Err(refused());
            }
        }
        Ok(parsed)
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host to look up, or `None` when the URL names an address.
    pub fn host_to_resolve(&self) -> Option<(&str, u16)> {
        self.literal
            .is_none()
            .then_some((self.host.as_str(), self.port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// The one reason a member is given: never which kind of internal address it was.
pub fn refused() -> FieldError {
    FieldError::new(
        "url",
        "points into a private or local network; webhooks may only reach public addresses",
    )
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = &authority[..inside.len() + 2];
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// Checks every address a name resolved to: all must be allowed.
pub fn check_resolved(addresses: &[IpAddr], rules: WebhookRules) -> Result<(), FieldError> {
    if addresses.is_empty() {
        return Err(FieldError::new("url", "names a host that does not resolve"));
    }
    if !rules.allow_private && addresses.iter().any(|ip| is_forbidden_ip(*ip)) {
        return Err(refused());
    }
    Ok(())
}

#[cfg(test)]
mod format_tests {
    use super::WebhookFormat;

    #[test]
    fn a_chats_webhook_is_known_by_its_address() {
        let of = WebhookFormat::of_url;
        assert_eq!(
            of("https://hooks.slack.com/services/T0/B0/x"),
            WebhookFormat::Slack
        );
        assert_eq!(
            of("https://acme.webhook.office.com/webhookb2/x"),
            WebhookFormat::Teams
        );
        assert_eq!(
            of("https://prod-1.westeurope.logic.azure.com:443/workflows/x"),
            WebhookFormat::Teams
        );
        assert_eq!(
            of("https://chat.acme.example/hooks/xq3kbb5tmbrwdq6rwnjtyh6gfe"),
            WebhookFormat::Mattermost
        );
        // A look-alike is not the chat: signed JSON.
        assert_eq!(
            of("https://hooks.slack.com.evil.example/services/x"),
            WebhookFormat::Json
        );
        assert_eq!(of("https://x.example/hooks/short"), WebhookFormat::Json);
        assert_eq!(of("https://hooks.example/farewell"), WebhookFormat::Json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRICT: WebhookRules = WebhookRules {
        allow_private: false,
    };
    const OPEN: WebhookRules = WebhookRules {
        allow_private: true,
    };

    #[test]
    fn internal_destinations_are_refused() {
        for url in [
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/hook",
            "https://[::1]:22/",
            "https://127.0.0.1/",
            "https://127.1.2.3:8080/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[::ffff:10.0.0.1]/",
            "https://224.0.0.1/",
            "https://[ff02::1]/",
            "https://localhost/",
            "https://api.localhost/",
            "https://[::ffff:0:7f00:1]/",
            "https://[64:ff9b:1::a00:1]/",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "https://192.88.99.1/",
        ] {
            let err = WebhookUrl::parse(url, STRICT).unwrap_err();
            assert_eq!(err, refused(), "{url}");
        }
    }

    #[test]
    fn public_https_destinations_pass_and_http_needs_the_setting() {
        assert!(WebhookUrl::parse("https://hooks.example/farewell?x=1", STRICT).is_ok());
        assert!(WebhookUrl::parse("https://203.0.114.10:8443/x", STRICT).is_ok());
        assert!(WebhookUrl::parse("http://hooks.example/x", STRICT).is_err());
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", OPEN).is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "https://user:pw@host/",
            "hooks.example",
            "https://a b",
            "https://host:99999/",
            "https://host:0/",
            "https://ho_st/",
            // Addresses in forms only resolvers read: refused as names.
            "https://2130706433/",
            "https://127.1/",
            "https://0177.0.0.1/",
            "https://0x7f.1/",
            "https://0x7f000001/",
        ] {
            assert!(WebhookUrl::parse(bad, OPEN).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolved_addresses_are_checked_too() {
        let public: IpAddr = "93.184.215.14".parse().unwrap();
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(check_resolved(&[public], STRICT).is_ok());
        assert!(check_resolved(&[public, private], STRICT).is_err());
        assert!(check_resolved(&[], OPEN).is_err());
        assert!(check_resolved(&[private], OPEN).is_ok());
    }

    proptest! {
        #[test]
        fn every_mapped_form_of_a_forbidden_v4_is_forbidden(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>()) {
            let v4 = Ipv4Addr::new(a, b, c, d);
            let mapped = IpAddr::V6(v4.to_ipv6_mapped());
            prop_assert_eq!(is_forbidden_ip(IpAddr::V4(v4)), is_forbidden_ip(mapped));
        }
    }
}
