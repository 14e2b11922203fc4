//! The embeddable widget: the loader a site includes (`/w.js`), the survey script it fetches
//! only when a survey opens (`/w/survey.<hash>.js`), and the exit window (`/w/exit`), which
//! waits while the visitor browses and opens the survey when they leave.

use crate::http::error::ApiError;
use app::i18n::{negotiate, Lang};
use app::store::SharedStore;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::sync::LazyLock;

const LOADER_SOURCE: &str = include_str!("loader.js");
const SURVEY_SOURCE: &str = include_str!("survey.js");

/// The scripts as served, built once: comments and indentation stripped, the loader pointing
/// at the survey script's content-addressed path.
pub struct Scripts {
    pub loader: String,
    pub loader_etag: String,
    pub survey: String,
    pub survey_file: String,
}

pub static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| {
    let survey = strip(SURVEY_SOURCE);
    let survey_file = format!(
        "survey.{}.js",
        &crate::tokens::sha256_hex(survey.as_bytes())[..12]
    );
    let loader = strip(LOADER_SOURCE).replace("__SURVEY_JS__", &format!("/w/{survey_file}"));
    let loader_etag = format!(
        "\"{}\"",
        &crate::tokens::sha256_hex(loader.as_bytes())[..16]
    );
    Scripts {
        loader,
        loader_etag,
        survey,
        survey_file,
    }
});

/// A conservative minifier for the two hand-written scripts: drops comments and blank lines,
/// and, outside string literals, every space not needed between two word characters. Line
/// breaks stay, so automatic semicolon insertion sees the code as written.
fn strip(source: &str) -> String {
    source
        .lines()
        .map(squeeze_line)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn squeeze_line(line: &str) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(line.len());
    let mut chars = line.trim().chars().peekable();
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            ' ' | '\t' => pending_space = true,
            _ => {
                if pending_space && out.chars().last().is_some_and(word) && word(c) {
                    out.push(' ');
                }
                pending_space = false;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

fn javascript(body: &str, cache: &'static str) -> Response {
    let mut response = body.to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /w.js`. Its URL is fixed in every embed, so it is cached for an hour and revalidated by
/// ETag; the heavy part lives at a content-addressed URL cached for good.
pub async fn loader(headers: HeaderMap) -> Response {
    let scripts = &*SCRIPTS;
    let etag = HeaderValue::from_str(&scripts.loader_etag).expect("hex etag");
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag);
        return response;
    }
    let mut response = javascript(&scripts.loader, "public, max-age=3600");
    response.headers_mut().insert(header::ETAG, etag);
    response
}

/// `GET /w/{file}`: the survey script, by its content hash.
pub async fn asset(Path(file): Path<String>) -> Response {
    let scripts = &*SCRIPTS;
    if file == scripts.survey_file {
        javascript(&scripts.survey, "public, max-age=31536000, immutable")
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

#[derive(Debug, Deserialize)]
pub struct ExitQuery {
    pub site: String,
    pub survey: Option<uuid::Uuid>,
    pub lang: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /w/exit`: the window opened when the visitor arms the survey. It says what it is for,
/// then the loader in it (exit mode) waits for the site's pages to stop answering.
pub async fn exit_window(
    State(store): State<SharedStore>,
    Query(query): Query<ExitQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site_key =
        app::domain::SiteKey::parse("site", &query.site).map_err(|_| ApiError::NotFound)?;
    let site = store
        .public_site(&site_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let lang = query
        .lang
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_else(|| {
            negotiate(
                None,
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        });
    let survey = match query.survey {
        Some(id) => store.survey_of_site(site.site.id, id).await?,
        None => site.default_survey.clone(),
    }
    .ok_or(ApiError::NotFound)?;
    let texts = survey.settings.texts_for(lang, &survey.product_name);
    let text = |key: &str| escape(texts.get(key).map(String::as_str).unwrap_or_default());
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{margin:0;padding:24px;background:#f7f8fb;color:#1d2330;font:16px/1.5 system-ui,sans-serif}}main{{max-width:30em;margin:0 auto}}</style>
</head>
<body>
<main id="waiting" role="status">
<h1>{armed}</h1>
<p>{waiting}</p>
</main>
<script src="/w.js" data-site="{site}" data-exit async></script>
</body>
</html>"#,
        lang = lang.code(),
        dir = lang.dir(),
        title = text("title"),
        armed = text("armed"),
        waiting = text("waiting"),
        site = escape(&site.site.site_key),
    );
    let mut response = Html(page).into_response();
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::http::headers::EXIT_WINDOW_POLICY),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripping_keeps_code_and_strings_and_drops_comments() {
        let source = "  // a comment\n  var a = b + 1; // trailing\n\n  if (x) return 'a  b // c';\n  f(\"it\\\"s  \", typeof x);\n";
        assert_eq!(
            strip(source),
            "var a=b+1;\nif(x)return'a  b // c';\nf(\"it\\\"s  \",typeof x);"
        );
    }

    #[test]
    fn the_loader_points_at_the_hashed_survey_script() {
        let scripts = &*SCRIPTS;
        assert!(scripts
            .loader
            .contains(&format!("/w/{}", scripts.survey_file)));
        assert!(!scripts.loader.contains("__SURVEY_JS__"));
        assert!(scripts.survey_file.starts_with("survey.") && scripts.survey_file.ends_with(".js"));
    }
}
