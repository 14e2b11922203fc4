//! Protective headers on every response. Pages get their Content-Security-Policy from the app
//! shell, which knows the nonce of the inline hydration script (`app::page_policy`); every
//! other response gets a policy that allows nothing at all, so a file or a JSON answer opened
//! as a page cannot run anything. The widget's scripts are served so that any site may embed
//! them, and its exit window so that any site may open it.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderPolicy {
    /// The public URL is https: browsers are told to use nothing else (HSTS).
    pub hsts: bool,
}

/// The policy of every response that is not a page: nothing runs, nothing frames it.
const NOTHING: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Pages whose URL holds a token or a visitor's id: they send no Referer to another origin.
/// (`same-origin`, not `no-referrer`: their forms post back to Farewell, and a browser posting
/// from a no-referrer page sends `Origin: null`, which the CSRF check must refuse.)
fn url_holds_a_secret(path: &str) -> bool {
    [
        "/share/",
        "/invite/",
        "/preferences",
        "/notice/",
        "/consent/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// `farewell.<hash>.js` (or `.wasm`, `.css`, and their `.br`/`.gz`): a name that changes
/// whenever the content does.
fn is_hashed_name(file: &str) -> bool {
    let mut parts = file.split('.');
    let (_, hash) = (parts.next(), parts.next());
    hash.is_some_and(|h| {
        h.len() >= 8
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) && parts
        .next()
        .is_some_and(|ext| matches!(ext, "js" | "wasm" | "css"))
}

/// The widget's scripts, loaded by other sites' pages.
fn embeddable(path: &str) -> bool {
    path == "/w.js" || (path.starts_with("/w/survey.") && path.ends_with(".js"))
}

pub async fn protect(State(policy): State<HeaderPolicy>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let succeeded = response.status().is_success();
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let referrer = if url_holds_a_secret(&path) {
        "same-origin"
    } else {
        "strict-origin-when-cross-origin"
    };
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if embeddable(&path) {
        headers.insert(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        );
    }
    // A bundle file named by its content hash never changes: cached for a year, never asked
    // for again. Pages, and a bundle without hashes, are checked again on every visit (304
    // while unchanged): never a stale page after a release.
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !headers.contains_key(header::CACHE_CONTROL) && succeeded {
        let cache = if path.strip_prefix("/pkg/").is_some_and(is_hashed_name) {
            Some("public, max-age=31536000, immutable")
        } else if html || path.starts_with("/pkg/") {
            Some("no-cache")
        } else {
            None
        };
        if let Some(cache) = cache {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOTHING),
        );
    }
    response
}

/// The exit window: its own scripts (the loader, then the survey script it loads) and the
/// configuration it fetches, all from Farewell's origin; the inline styles the survey's shadow
/// root uses. It is a window other sites open, never a frame.
pub const EXIT_WINDOW_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
    style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";
