//! Members' forms sent without the page's script: JavaScript off, or a form pressed before the
//! page came alive on a slow phone. Such a form posts straight to its server function, whose
//! runtime would send the browser back with the error in the address (`?__err=`, which anyone
//! can forge into a link) and nothing typed. Instead the function is called as the script calls
//! it, and the browser is sent back to the page it came from (post/redirect/get) with the
//! outcome kept in the member's session for that one next view ([`PlainOutcome`]). That view
//! puts back everything typed (passwords excepted) into the form that was sent, the reason
//! beside its field, or a success message where the form is, and jumps to it (`#sent-form`).

use app::error::AppError;
use app::plain_form::PlainOutcome;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use lol_html::html_content::ContentType;
use lol_html::{element, end_tag, rewrite_str, RewriteStrSettings};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use tower_sessions::Session;

/// The session key the outcome waits under until the page is next viewed.
const OUTCOME: &str = "plain_form_outcome";
/// Administration forms are small; the survey texts are the largest.
const FORM_LIMIT: usize = 64 * 1024;
/// Replies of server functions called from a plain form: an error, or a small value.
const REPLY_LIMIT: usize = 256 * 1024;
/// Pages are rewritten whole; the largest (administration) is far below this.
const PAGE_LIMIT: usize = 8 * 1024 * 1024;
/// Where the page jumps to: the form that was sent.
const ANCHOR: &str = "sent-form";
/// The cookie that carries a function's output (a token shown once) to the next view.
const OUTPUT_COOKIE: &str = "farewell_shown_once";
/// Outputs are tokens, secrets and links: small. A larger one is not carried.
const OUTPUT_LIMIT: usize = 2048;

/// How the output cookie is set: `Secure` where the session cookie is.
#[derive(Clone, Copy)]
pub struct PlainForms {
    pub secure_cookies: bool,
}

/// A browser's own form submission (not the page's script) to a server function.
fn is_plain_form(request: &Request) -> bool {
    let header_has = |name, what: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(what))
    };
    // A server function's name only: it becomes a CSS selector when the page is rewritten.
    let named = request
        .uri()
        .path()
        .strip_prefix("/fn/")
        .is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    request.method() == Method::POST
        && named
        && header_has(header::ACCEPT, "text/html")
        && header_has(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// The page a form was sent from, from its Referer: this server's own pages only, its query
/// kept (a sign-in's `next`) but for a `?__err=`, which is never carried on.
fn page_of(request: &Request) -> String {
    let referer = request
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok());
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (referer, host) {
        (Some(url), Some(host))
            if url.host_str().map(|h| match url.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            }) == Some(host.to_string()) =>
        {
            let query: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "__err" && k != "__path")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if query.is_empty() {
                url.path().to_string()
            } else {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish();
                format!("{}?{query}", url.path())
            }
        }
        _ => "/".into(),
    }
}

/// The path part of a page as kept in an outcome.
fn path_of(page: &str) -> &str {
    page.split('?').next().unwrap_or(page)
}

/// Members' pages (visitor pages keep the runtime's own handling: they have no session, and
/// their forms are their own, `hosted_form.rs`).
fn is_members_page(page: &str) -> bool {
    let path = path_of(page);
    ["/login", "/admin", "/account", "/dashboard", "/invite"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Calls the server function a plain form was sent to, then sends the browser back to its page.
pub async fn submit(
    State(settings): State<PlainForms>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !is_plain_form(&request) {
        return next.run(request).await;
    }
    let page = page_of(&request);
    if !is_members_page(&page) {
        return next.run(request).await;
    }
    let endpoint = request.uri().path().to_string();
    let (mut parts, body) = request.into_parts();
    let Ok(form) = to_bytes(body, FORM_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // As the page's script calls it: the reply is the function's own status and JSON.
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let reply = next
        .run(Request::from_parts(parts, Body::from(form.clone())))
        .await;
    // Cookies the function set (the sign-in's device cookie) go with whatever comes next.
    let cookies: Vec<HeaderValue> = reply
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let with_cookies = |mut response: Response| {
        for cookie in &cookies {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    };
    // A function that sends the member on (signing in, signing out) is followed, as the
    // runtime would (302).
    if let Some(location) = reply.headers().get(header::LOCATION).cloned() {
        return with_cookies((StatusCode::FOUND, [(header::LOCATION, location)]).into_response());
    }
    let status = reply.status();
    let bytes = to_bytes(reply.into_body(), REPLY_LIMIT)
        .await
        .unwrap_or_default();
    let refusal = if status.is_success() {
        None
    } else {
        Some(serde_json::from_slice::<AppError>(&bytes).unwrap_or(AppError::Internal))
    };
    let fields = url::form_urlencoded::parse(&form)
        .filter(|(name, _)| !name.contains("password"))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let redirect = format!("{page}#{ANCHOR}");
    // What the function answered, if more than "done", goes to the browser that asked for it,
    // never into the session's row; the session keeps its hash, to know it again.
    let output = (refusal.is_none() && &bytes[..] != b"null")
        .then(|| std::str::from_utf8(&bytes).ok())
        .flatten()
        .filter(|json| !json.trim().is_empty())
        .and_then(|json| Some((output_cookie(json, path_of(&page), settings)?, json)));
    let outcome = PlainOutcome {
        page,
        endpoint,
        fields,
        refusal,
        output: None,
        output_hash: output
            .as_ref()
            .map(|(_, json)| app::tokens::sha256_hex(json.as_bytes())),
    };
    if let Err(e) = session.insert(OUTCOME, outcome).await {
        tracing::error!(error = %e, "keeping a plain form's outcome");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = with_cookies(Redirect::to(&redirect).into_response());
    if let Some(cookie) = output.and_then(|(c, _)| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The output cookie for `page`: read once by the next view of that page, gone in a minute.
/// `None` when the output is too large for a cookie (it is then not shown without the script).
fn output_cookie(json: &str, page: &str, settings: PlainForms) -> Option<String> {
    let value: String = url::form_urlencoded::byte_serialize(json.as_bytes()).collect();
    (value.len() <= OUTPUT_LIMIT).then(|| expiring_cookie(&value, page, 60, settings))
}

/// `OUTPUT_COOKIE` on `page`'s path (plain path characters only, else the root: nothing from
/// the Referer can add an attribute), for `seconds`.
fn expiring_cookie(value: &str, page: &str, seconds: u32, settings: PlainForms) -> String {
    let path = if page
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
    {
        page
    } else {
        "/"
    };
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{OUTPUT_COOKIE}={value}; Path={path}; Max-Age={seconds}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The output this session's form was answered, from the cookies sent: only one whose hash the
/// session kept (a cookie of the same name planted by anyone else is passed over).
fn output_of(request: &Request, hash: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == OUTPUT_COOKIE && value.len() <= OUTPUT_LIMIT).then(|| {
                url::form_urlencoded::parse(format!("v={value}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            })?
        })
        .find(|json| app::tokens::sha256_hex(json.as_bytes()) == hash)
}

/// Renders the next view of a page a plain form was sent from with that form's outcome.
pub async fn show(
    State(settings): State<PlainForms>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET || request.uri().path().starts_with("/fn/") {
        return next.run(request).await;
    }
    let mut outcome = match session.get::<PlainOutcome>(OUTCOME).await {
        Ok(Some(outcome)) if path_of(&outcome.page) == request.uri().path() => outcome,
        _ => return next.run(request).await,
    };
    // Shown once; an output only with the success of the form this session sent.
    let _ = session.remove::<PlainOutcome>(OUTCOME).await;
    outcome.output = outcome
        .output_hash
        .as_deref()
        .filter(|_| outcome.refusal.is_none())
        .and_then(|hash| output_of(&request, hash));
    // The page reads it from the request: it then sends no script (`app::shell`).
    request.extensions_mut().insert(outcome.clone());
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, PAGE_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let html = match put_back(&html, &outcome) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "putting a plain form's outcome back");
            html.into_owned()
        }
    };
    if let Some(refusal) = &outcome.refusal {
        parts.status = refusal.status();
    }
    if outcome.output_hash.is_some() {
        let gone = expiring_cookie("", path_of(&outcome.page), 0, settings);
        if let Ok(gone) = HeaderValue::from_str(&gone) {
            parts.headers.append(header::SET_COOKIE, gone);
        }
        // A page holding a secret is not kept by any cache.
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// A form's hidden fields, as the page holds them: (name, value).
type HiddenFields = Vec<(String, String)>;

/// One form sent to the endpoint, as the page holds it.
#[derive(Default)]
struct FormOnPage {
    hidden: HiddenFields,
    /// The `<details>` around the form, and around the refused field: opened, so that what is
    /// shown there is in view. Each is its place among the page's `<details>`.
    folded_around: BTreeSet<usize>,
}

/// Whether the input named `name` is the field an error names: `form[texts][fi][title]` is
/// `texts.fi.title` (a server function's struct argument is not part of the field's name).
fn names_field(name: &str, field: &str) -> bool {
    let path: Vec<&str> = name.split(['[', ']']).filter(|s| !s.is_empty()).collect();
    path.join(".") == field || (path.len() > 1 && path[1..].join(".") == field)
}

/// The field a refusal names.
fn refused_field(outcome: &PlainOutcome) -> Option<String> {
    match &outcome.refusal {
        Some(AppError::Invalid(e)) => Some(e.field.clone()),
        _ => None,
    }
}

/// Which of the forms sent to `endpoint` was the one: the first whose hidden fields (the
/// organisation, the site, the id acted on) all hold what was sent; with the `<details>` to
/// open around it.
fn sent_form(
    html: &str,
    outcome: &PlainOutcome,
) -> Result<Option<(usize, BTreeSet<usize>)>, lol_html::errors::RewritingError> {
    let forms: Rc<RefCell<Vec<FormOnPage>>> = Rc::default();
    let inside = Rc::new(RefCell::new(false));
    // The `<details>` seen so far, and those the parser is inside of.
    let details: Rc<RefCell<(usize, Vec<usize>)>> = Rc::default();
    let action = format!("form[action=\"{}\"]", outcome.endpoint);
    let field = refused_field(outcome);
    rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("details", {
                let details = details.clone();
                move |el| {
                    let mut d = details.borrow_mut();
                    let index = d.0;
                    d.0 += 1;
                    d.1.push(index);
                    let details = details.clone();
                    el.on_end_tag(end_tag!(move |_| {
                        details.borrow_mut().1.pop();
                        Ok(())
                    }))
                }
            }))
            .append_element_content_handler(element!(action, {
                let (forms, inside, details) = (forms.clone(), inside.clone(), details.clone());
                move |el| {
                    forms.borrow_mut().push(FormOnPage {
                        hidden: vec![],
                        folded_around: details.borrow().1.iter().copied().collect(),
                    });
                    *inside.borrow_mut() = true;
                    let inside = inside.clone();
                    el.on_end_tag(end_tag!(move |_| {
                        *inside.borrow_mut() = false;
                        Ok(())
                    }))
                }
            }))
            .append_element_content_handler(element!("input, textarea, select", {
                let (forms, inside, details) = (forms.clone(), inside.clone(), details.clone());
                move |el| {
                    if !*inside.borrow() {
                        return Ok(());
                    }
                    let mut forms = forms.borrow_mut();
                    let (Some(name), Some(form)) = (el.get_attribute("name"), forms.last_mut())
                    else {
                        return Ok(());
                    };
                    if el.get_attribute("type").as_deref() == Some("hidden") {
                        form.hidden
                            .push((name, el.get_attribute("value").unwrap_or_default()));
                    } else if field.as_deref().is_some_and(|f| names_field(&name, f)) {
                        form.folded_around
                            .extend(details.borrow().1.iter().copied());
                    }
                    Ok(())
                }
            })),
    )?;
    let sent =
        |name: &str, value: &str| outcome.fields.iter().any(|(n, v)| n == name && v == value);
    let found = forms
        .take()
        .into_iter()
        .enumerate()
        .find(|(_, form)| form.hidden.iter().all(|(name, value)| sent(name, value)));
    Ok(found.map(|(index, form)| (index, form.folded_around)))
}

/// The page with the sent form as it was sent, and its outcome beside the field or the form.
fn put_back(
    html: &str,
    outcome: &PlainOutcome,
) -> Result<String, lol_html::errors::RewritingError> {
    let Some((target, folded_around)) = sent_form(html, outcome)? else {
        // The form is no longer on the page (the item was removed meanwhile): say it at the top.
        let message = message_of(outcome);
        return rewrite_str(
            html,
            RewriteStrSettings::new().append_element_content_handler(element!("main", move |el| {
                el.prepend(&message, ContentType::Html);
                Ok(())
            })),
        );
    };
    let state = Rc::new(RefCell::new(Rewrite::default()));
    let action = format!("form[action=\"{}\"]", outcome.endpoint);
    let field = refused_field(outcome);
    let details_seen = Rc::new(RefCell::new(0usize));
    rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("details", move |el| {
                let mut seen = details_seen.borrow_mut();
                if folded_around.contains(&seen) {
                    el.set_attribute("open", "")?;
                }
                *seen += 1;
                Ok(())
            }))
            .append_element_content_handler(element!(action, {
                let state = state.clone();
                move |el| {
                    let mut s = state.borrow_mut();
                    let index = s.forms;
                    s.forms += 1;
                    if index != target {
                        return Ok(());
                    }
                    s.inside = true;
                    el.before(&format!("<span id=\"{ANCHOR}\"></span>"), ContentType::Html);
                    let state = state.clone();
                    let message = message_of(outcome);
                    el.on_end_tag(end_tag!(move |end| {
                        let mut s = state.borrow_mut();
                        s.inside = false;
                        if !s.placed {
                            end.before(&message, ContentType::Html);
                        }
                        Ok(())
                    }))
                }
            }))
            .append_element_content_handler(element!("[role=\"status\"]", {
                // A success shows in the form's own live region, where the script shows it.
                let state = state.clone();
                move |el| {
                    let mut s = state.borrow_mut();
                    if s.inside && outcome.refusal.is_none() && !s.placed {
                        s.placed = true;
                        el.set_inner_content("Saved.", ContentType::Text);
                    }
                    Ok(())
                }
            }))
            .append_element_content_handler(element!("input, textarea, select, option", {
                let state = state.clone();
                let field = field.clone();
                move |el| {
                    let mut s = state.borrow_mut();
                    if !s.inside {
                        return Ok(());
                    }
                    let tag = el.tag_name();
                    if tag == "option" {
                        let Some(select) = s.select.clone() else {
                            return Ok(());
                        };
                        // A select that sent nothing (its choice disabled) shows as rendered:
                        // taking every option's `selected` away would show an empty box.
                        if !outcome.fields.iter().any(|(n, _)| *n == select) {
                            return Ok(());
                        }
                        let value = el.get_attribute("value").unwrap_or_default();
                        if outcome
                            .fields
                            .iter()
                            .any(|(n, v)| *n == select && *v == value)
                        {
                            el.set_attribute("selected", "")?;
                        } else {
                            el.remove_attribute("selected");
                        }
                        return Ok(());
                    }
                    let Some(name) = el.get_attribute("name") else {
                        return Ok(());
                    };
                    let kind = el.get_attribute("type").unwrap_or_default();
                    let sent: Vec<&str> = outcome
                        .fields
                        .iter()
                        .filter(|(n, _)| *n == name)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    // A field marked `data-fresh` (a note, a reply) shows as the page renders
                    // it once the form succeeded: what was sent is on the page already.
                    let fresh =
                        outcome.refusal.is_none() && el.get_attribute("data-fresh").is_some();
                    match (tag.as_str(), kind.as_str()) {
                        _ if fresh => {}
                        (_, "hidden" | "password" | "submit" | "button") => {}
                        ("input", "checkbox" | "radio") => {
                            let value = el.get_attribute("value").unwrap_or_else(|| "on".into());
                            if sent.contains(&value.as_str()) {
                                el.set_attribute("checked", "")?;
                            } else {
                                el.remove_attribute("checked");
                            }
                        }
                        ("input", _) => {
                            el.set_attribute("value", sent.first().copied().unwrap_or_default())?;
                        }
                        ("textarea", _) => {
                            el.set_inner_content(
                                sent.first().copied().unwrap_or_default(),
                                ContentType::Text,
                            );
                        }
                        ("select", _) => {
                            s.select = Some(name.clone());
                            let state = state.clone();
                            el.on_end_tag(end_tag!(move |_| {
                                state.borrow_mut().select = None;
                                Ok(())
                            }))?;
                        }
                        _ => {}
                    }
                    if field.as_deref().is_some_and(|f| names_field(&name, f)) && !s.placed {
                        s.placed = true;
                        el.set_attribute("aria-invalid", "true")?;
                        el.after(&message_of(outcome), ContentType::Html);
                    }
                    Ok(())
                }
            })),
    )
}

#[derive(Default)]
struct Rewrite {
    /// Forms sent to the endpoint seen so far.
    forms: usize,
    /// Inside the form that was sent.
    inside: bool,
    /// The name of the select whose options are being read.
    select: Option<String>,
    /// The outcome is shown beside its field already.
    placed: bool,
}

/// The outcome in plain words, as the page's script would show it.
fn message_of(outcome: &PlainOutcome) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    match &outcome.refusal {
        None => "<p class=\"saved\" role=\"status\">Saved.</p>".into(),
        Some(AppError::Invalid(e)) => format!(
            "<span class=\"field-error\" role=\"alert\" data-field=\"{}\">{}</span>",
            escape(&e.field),
            escape(&app::admin::sentence(&e.reason))
        ),
        Some(other) => format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(&other.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(field: &str) -> PlainOutcome {
        PlainOutcome {
            page: "/admin".into(),
            endpoint: "/fn/update_survey".into(),
            fields: vec![
                ("form[survey]".into(), "b".into()),
                ("form[texts][fi][title]".into(), "{x}".into()),
            ],
            refusal: Some(AppError::invalid(field, "is wrong")),
            output: None,
            output_hash: None,
        }
    }

    #[test]
    fn an_input_names_the_field_with_or_without_its_argument() {
        assert!(names_field("origins", "origins"));
        assert!(names_field("form[name]", "name"));
        assert!(names_field("form[texts][fi][title]", "texts.fi.title"));
        assert!(!names_field("form[texts][fi][title]", "texts.sv.title"));
        assert!(!names_field("form[texts][fi]", "texts.fi.title"));
    }

    #[test]
    fn the_folded_parts_around_the_sent_form_and_its_refused_field_open() {
        let page = r#"<main><details id=a><form action="/fn/update_survey"><input type=hidden name="form[survey]" value=a></form></details>
            <details id=b><summary>b</summary><form action="/fn/update_survey"><input type=hidden name="form[survey]" value=b>
            <details id=en><input name="form[texts][en][title]"></details>
            <details id=fi><input name="form[texts][fi][title]"></details></form></details></main>"#;
        let html = put_back(page, &outcome("texts.fi.title")).unwrap();
        assert!(html.contains("<details id=a>"), "{html}");
        assert!(html.contains("<details id=b open"), "{html}");
        assert!(html.contains("<details id=en>"), "{html}");
        assert!(html.contains("<details id=fi open"), "{html}");
        assert!(
            html.contains(r#"name="form[texts][fi][title]" value="{x}" aria-invalid="true">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"data-field="texts.fi.title">Is wrong.</span>"#),
            "{html}"
        );
    }

    #[test]
    fn a_select_keeps_what_was_sent_or_else_what_was_rendered() {
        let page = r#"<main><form action="/fn/update_survey"><input type=hidden name="form[survey]" value=b>
            <select name="form[kind]"><option value="x" selected>x</option><option value="b">b</option></select>
            <select name="to"><option value="" disabled selected>none</option></select></form></main>"#;
        let mut sent = outcome("name");
        sent.fields.push(("form[kind]".into(), "b".into()));
        let html = put_back(page, &sent).unwrap();
        assert!(
            html.contains(r#"<option value="x">x</option><option value="b" selected="">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="" disabled selected>none"#),
            "{html}"
        );
    }
}
