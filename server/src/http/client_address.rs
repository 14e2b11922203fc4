//! Who a client is, for limits: its network address, never anything it chooses to send. The
//! socket peer, or, when the operator says a proxy in front sets it, the last `X-Forwarded-For`
//! address: the one that proxy appended. Entries before it are whatever the client wrote. The address is used as a digest in memory only; it is never stored or logged.

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The client's address. A forwarded value that is not an IP address is ignored (the peer is
/// used), so a header cannot invent arbitrary keys either.
pub fn of(
    headers: &HeaderMap,
    peer: Option<ConnectInfo<SocketAddr>>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    forwarded.or_else(|| peer.map(|ConnectInfo(addr)| addr.ip()))
}

/// The key a limiter files the address under: IPv6 clients by their /64 (one subscriber
/// usually holds a whole /64, so finer keys would let them rotate through it).
pub fn digest(address: &Option<IpAddr>) -> String {
    let text = match address {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => String::new(),
    };
    crate::tokens::sha256_hex(text.as_bytes())[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_never_changes_the_key() {
        let peer = Some(ConnectInfo("198.51.100.7:5000".parse().unwrap()));
        let mut a = HeaderMap::new();
        a.insert("user-agent", "bot/1".parse().unwrap());
        let mut b = HeaderMap::new();
        b.insert("user-agent", "bot/2".parse().unwrap());
        assert_eq!(digest(&of(&a, peer, false)), digest(&of(&b, peer, false)));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer = Some(ConnectInfo("10.0.0.1:5000".parse().unwrap()));
        let mut h = HeaderMap::new();
        // The client wrote the first entry; the proxy appended the address it saw.
        h.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.9".parse().unwrap(),
        );
        assert_eq!(of(&h, peer, false), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(of(&h, peer, true), Some("203.0.113.9".parse().unwrap()));
        h.insert("x-forwarded-for", "not-an-address".parse().unwrap());
        assert_eq!(of(&h, peer, true), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client() {
        let one: Option<IpAddr> = Some("2001:db8:1:2::1".parse().unwrap());
        let two: Option<IpAddr> = Some("2001:db8:1:2:ffff::9".parse().unwrap());
        let other: Option<IpAddr> = Some("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(digest(&one), digest(&two));
        assert_ne!(digest(&one), digest(&other));
    }
}
