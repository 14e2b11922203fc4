//! Cross-site request forgery: every state-changing request to the pages and server functions
//! must come from a page of this host. Browsers send `Origin` on every POST (and `Referer` where
//! they do not), so a forged cross-site form fails here even before the `SameSite=Lax` cookie
//! would have been withheld. Requests with neither header are refused: members' browsers always
//! send one.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || comes_from_this_host(request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!("refused a state-changing request from another origin");
        (StatusCode::FORBIDDEN, "cross-site request refused").into_response()
    }
}

fn comes_from_this_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    // `Origin: null` (sandboxed frames, some redirects) is not this host either.
    match source.and_then(|s| s.split_once("://")) {
        Some((_, rest)) => rest
            .split('/')
            .next()
            .is_some_and(|h| h.eq_ignore_ascii_case(host)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::comes_from_this_host;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_this_host_may_change_state() {
        let host = ("host", "farewell.example:8443");
        assert!(comes_from_this_host(&headers(&[
            host,
            ("origin", "https://farewell.example:8443")
        ])));
        assert!(comes_from_this_host(&headers(&[
            host,
            ("referer", "https://farewell.example:8443/login?x=1")
        ])));
        assert!(!comes_from_this_host(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!comes_from_this_host(&headers(&[
            host,
            ("origin", "https://farewell.example:8443.evil.example")
        ])));
        assert!(!comes_from_this_host(&headers(&[host, ("origin", "null")])));
        assert!(!comes_from_this_host(&headers(&[host])));
        // Origin wins over Referer.
        assert!(!comes_from_this_host(&headers(&[
            host,
            ("origin", "https://evil.example"),
            ("referer", "https://farewell.example:8443/")
        ])));
    }
}
