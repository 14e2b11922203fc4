//! Farewell's web application: the pages a browser renders (server-side, then hydrated) and the
//! server functions behind them. The NPS core and the domain types are pure and compile for the
//! browser too; everything under `ssr` runs only on the server.

pub mod admin;
pub mod consent;
pub mod dashboard;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod notice;
pub mod nps;
pub mod plain_form;
pub mod preferences;
pub mod report;
pub mod share;
pub mod stats;
pub mod survey;

mod bundles;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around every page. Members' pages load the wasm bundle and hydrate;
/// visitor pages (see [`visitor_page`]) are complete as HTML and get only a small inline
/// script that improves them, so a visitor on a slow phone downloads no wasm at all.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    page_policy();
    let visitor = visitor_page();
    let (lang, dir) = match visitor {
        Some(lang) => (lang.code(), lang.dir()),
        None => ("en", "ltr"),
    };
    view! {
        <!DOCTYPE html>
        <html lang=lang dir=dir>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                // The stylesheet under its hashed name when the build hashed the bundle.
                <HashedStylesheet options=options.clone() id="leptos" />
                {visitor.is_none().then(|| view! {
                    <script nonce=leptos::nonce::use_nonce() inner_html=MEMBERS_SCRIPT></script>
                })}
                // A page showing a plain form's outcome is complete as HTML: its bundle would
                // not know that outcome, so it is not sent (the next view has it again).
                {(visitor.is_none() && !plain_outcome() && !server_rendered_member_page()).then(|| view! {
                    <HydrationScripts options=bundles::for_this_page(options) />
                })}
                <MetaTags />
            </head>
            <body>
                <App />
                {visitor.map(|_| view! { <script nonce=leptos::nonce::use_nonce() inner_html=VISITOR_SCRIPT></script> })}
            </body>
        </html>
    }
}

/// Whether this is a member's page that loads no bundle (`bundles`).
fn server_rendered_member_page() -> bool {
    #[cfg(feature = "ssr")]
    return bundles::server_rendered_member_page();
    #[cfg(not(feature = "ssr"))]
    false
}

/// Whether this page shows a plain form's outcome (`plain_form`).
fn plain_outcome() -> bool {
    #[cfg(feature = "ssr")]
    return plain_form::PlainOutcome::of_this_request().is_some();
    #[cfg(not(feature = "ssr"))]
    false
}

/// The small script of every member's page (`members.js`), run before the wasm:
/// - it tells the server the viewer's time zone in a cookie, so the next request (the dashboard,
///   after signing in) is rendered in the viewer's days the first time and no page fetches its
///   figures twice;
/// - it fills the dashboard's zone list (`#time-zones`) from the browser's own IANA names when
///   its field is first focused: no page carries 600 names, the wasm no code for it;
/// - it shows a chart mark's name (`aria-label`) as a tooltip when the mark is hovered or
///   focused, hides it on Escape, and moves between a chart's marks with the arrow keys (each
///   chart is one tab stop);
/// - it marks the page busy while a filter or search form loads the next one.
///
/// Visitor pages set no cookie and get `VISITOR_SCRIPT` instead.
const MEMBERS_SCRIPT: &str = include_str!("members.js");

/// The cookie `MEMBERS_SCRIPT` sets.
pub const VIEWER_ZONE_COOKIE: &str = "farewell_tz";

/// What improves the visitor pages in place of the wasm bundle (see `survey/enhance.js`).
const VISITOR_SCRIPT: &str = include_str!("survey/enhance.js");

/// Paths a visitor (not a member) opens: the hosted survey and its thanks, the privacy notice,
/// the preferences page, a shared report and an invitation.
pub const VISITOR_PATHS: [&str; 5] = ["/s/", "/notice/", "/preferences", "/share/", "/invite/"];

/// The language of this request when it is for a visitor page, `None` for a member's page.
/// Visitor pages negotiate as their loaders do: the `lang` query parameter first, then
/// `Accept-Language`, so `<html lang dir>` names what the page is written in.
#[cfg(feature = "ssr")]
fn visitor_page() -> Option<i18n::Lang> {
    let parts = use_context::<http::request::Parts>()?;
    let path = parts.uri.path();
    VISITOR_PATHS.iter().find(|p| path.starts_with(*p))?;
    let page_lang = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .map(str::to_owned)
    });
    Some(i18n::of_request(page_lang.as_deref(), &parts.headers))
}

#[cfg(not(feature = "ssr"))]
fn visitor_page() -> Option<i18n::Lang> {
    None
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();
    // Async SSR everywhere: pages are complete HTML before any script runs, so every page works
    // with JavaScript off and a server function can still answer with a redirect.
    view! {
        <Title text="Farewell" />
        <Router>
            <Routes fallback=|| view! { <main class="page"><h1>"Not found"</h1></main> }>
                <Route path=path!("/") view=bundles::Home />
                <Route path=path!("/s/:site_key") view=bundles::SurveyPage ssr=SsrMode::Async />
                <Route path=path!("/s/:site_key/thanks") view=bundles::ThanksPage ssr=SsrMode::Async />
                <Route path=path!("/notice/:id") view=bundles::NoticePage ssr=SsrMode::Async />
                <Route path=path!("/preferences") view=bundles::PreferencesPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=bundles::LoginPage />
                <Route path=path!("/dashboard") view=bundles::DashboardPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/:site_key") view=bundles::SiteDashboardPage ssr=SsrMode::Async />
                <Route path=path!("/admin") view=bundles::AdminPage ssr=SsrMode::Async />
                <Route path=path!("/admin/setup") view=bundles::SetupPage ssr=SsrMode::Async />
                <Route path=path!("/admin/:org/*rest") view=bundles::OrganisationPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=bundles::AccountPage />
                <Route path=path!("/share/:token") view=bundles::SharePage ssr=SsrMode::Async />
                <Route path=path!("/consent/:id") view=bundles::ConsentPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=bundles::InvitePage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the browser has taken over the page. Effects never run
/// on the server, so its presence proves hydration (the end-to-end tests wait for it).
fn mark_hydrated() {
    Effect::new(|_| {
        bundles::HYDRATED.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// The Content-Security-Policy of every page: scripts only by this response's nonce (the
/// hydration script carries it; what it loads is trusted through `strict-dynamic`), wasm
/// compiled from Farewell's own bundle, nothing framing a page, forms only to Farewell.
/// Styles may be inline: the charts set `style` attributes, and styles cannot run code.
#[cfg(feature = "ssr")]
pub fn page_policy() {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy = format!(
            "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
        // Visitor pages speak the browser's language and members' pages write its numbers.
        response.append_header(
            http::header::VARY,
            http::HeaderValue::from_static("Accept-Language"),
        );
    }
}

#[cfg(not(feature = "ssr"))]
pub fn page_policy() {}

/// A form posted by the browser itself (JavaScript off, or a page that loads no wasm), which
/// expects a page back, not JSON: server functions then answer with a redirect.
#[cfg(feature = "ssr")]
pub fn plain_form_post(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Text to put inside a `<textarea>`. Leptos writes a textarea's children unescaped in server
/// HTML (its content is raw text there), so typed text could close the element and inject
/// markup: escaped on the server, shown as typed by the browser. In the browser a text node is
/// never markup, so the text is used as it is.
pub fn textarea_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text.to_owned()
    }
}

/// Marks the HTTP response of a server-rendered page as 404 (a no-op in the browser).
pub fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <main class="page">
            <h1>"Farewell"</h1>
            <p>"Exit surveys and Net Promoter Score dashboards that respect your visitors."</p>
            <p><a href="/dashboard">"Open the dashboard"</a></p>
        </main>
    }
}
