//! The embeddable widget: the loader a site includes (`/w.js`), the survey script it fetches
//! only when a survey opens (`/w/survey.<hash>.js`), and the exit window (`/w/exit`), which
//! waits while the visitor browses and opens the survey when they leave. The survey editor's
//! preview (`/w/preview`) draws the survey with the same script.

use crate::http::error::ApiError;
use crate::http::precompressed::Precompressed;
use app::i18n::{negotiate, Lang};
use app::store::SharedStore;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::sync::LazyLock;

const LOADER_SOURCE: &str = include_str!("loader.js");
const SURVEY_SOURCE: &str = include_str!("survey.js");
const PREVIEW_SOURCE: &str = include_str!("preview.js");

/// The scripts as served, built once: comments and indentation stripped, the loader pointing
/// at the survey script's content-addressed path, each compressed once at the best brotli and
/// gzip levels (too slow for every request, right for files that never change).
pub struct Scripts {
    pub loader: Precompressed,
    pub loader_etag: String,
    pub survey: Precompressed,
    pub survey_file: String,
    pub preview: Precompressed,
    pub preview_file: String,
}

pub static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| {
    let survey = minify(SURVEY_SOURCE);
    let survey_file = format!(
        "survey.{}.js",
        &crate::tokens::sha256_hex(survey.as_bytes())[..12]
    );
    let loader = minify(LOADER_SOURCE).replace("__SURVEY_JS__", &format!("/w/{survey_file}"));
    let loader_etag = format!(
        "\"{}\"",
        &crate::tokens::sha256_hex(loader.as_bytes())[..16]
    );
    let preview = minify(PREVIEW_SOURCE);
    let preview_file = format!(
        "preview.{}.js",
        &crate::tokens::sha256_hex(preview.as_bytes())[..12]
    );
    Scripts {
        loader: Precompressed::new(loader),
        loader_etag,
        survey: Precompressed::new(survey),
        survey_file,
        preview: Precompressed::new(preview),
        preview_file,
    }
});

/// The widget's scripts minified by oxc: comments and spaces gone, local names shortened,
/// expressions compressed. Only the loader's own globals (`window.farewell`,
/// `__farewellSurvey`, …) and strings stay as written. Should the parser ever refuse a script,
/// it is served as written (larger, still correct) and the error logged.
fn minify(source: &str) -> String {
    use oxc_allocator::Allocator;
    use oxc_codegen::{Codegen, CodegenOptions, CommentOptions};
    use oxc_minifier::{CompressOptions, Minifier, MinifierOptions};
    let allocator = Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, source, oxc_span::SourceType::cjs()).parse();
    if !parsed.diagnostics.is_empty() || parsed.panicked {
        tracing::error!("a widget script did not parse; served unminified");
        return source.to_string();
    }
    let mut program = parsed.program;
    let options = MinifierOptions {
        mangle: Some(oxc_mangler::MangleOptions::default()),
        mangle_properties: None,
        compress: Some(CompressOptions::smallest()),
    };
    let minified = Minifier::new(options).minify(&allocator, &mut program);
    Codegen::new()
        .with_options(CodegenOptions {
            minify: true,
            comments: CommentOptions::disabled(),
            ..CodegenOptions::default()
        })
        .with_scoping(minified.scoping)
        .build(&program)
        .code
}

fn javascript(script: &Precompressed, request: &HeaderMap, cache: &'static str) -> Response {
    let mut response = script.response(request);
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
    let mut response = javascript(&scripts.loader, &headers, "public, max-age=3600");
    response.headers_mut().insert(header::ETAG, etag);
    response
}

/// `GET /w/{file}`: the survey script, or the editor's preview script, by its content hash.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let scripts = &*SCRIPTS;
    let script = if file == scripts.survey_file {
        &scripts.survey
    } else if file == scripts.preview_file {
        &scripts.preview
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    javascript(script, &headers, "public, max-age=31536000, immutable")
}

/// The survey editor's preview: every language's texts for the preview script to fill in
/// from the editor's fields. Nothing of any organisation is in it, so it is one page for all,
/// rendered once; askama escapes the JSON into its attribute.
#[derive(askama::Template)]
#[template(path = "survey_preview.html")]
struct SurveyPreview<'a> {
    languages: String,
    survey_file: &'a str,
    preview_file: &'a str,
}

static PREVIEW_PAGE: LazyLock<String> = LazyLock::new(|| {
    let languages: serde_json::Map<String, serde_json::Value> = Lang::ALL
        .into_iter()
        .map(|lang| {
            let texts = serde_json::to_value(lang.texts()).expect("texts serialise");
            let entry = serde_json::json!({ "dir": lang.dir(), "texts": texts });
            (lang.code().to_string(), entry)
        })
        .collect();
    askama::Template::render(&SurveyPreview {
        languages: serde_json::Value::Object(languages).to_string(),
        survey_file: &SCRIPTS.survey_file,
        preview_file: &SCRIPTS.preview_file,
    })
    .expect("the preview renders")
});

/// Framed by the administration pages only (same origin), and runs only Farewell's scripts.
pub const PREVIEW_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'self'";

/// `GET /w/preview`: the page the survey editor frames to show the survey as it is typed.
pub async fn preview() -> Response {
    let mut response = Html(PREVIEW_PAGE.as_str()).into_response();
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PREVIEW_POLICY),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct ExitQuery {
    pub site: String,
    pub survey: Option<uuid::Uuid>,
    pub lang: Option<String>,
}

/// The texts the exit window shows, typed: every language must fill each one (a unit test
/// proves it), and a survey's overrides arrive through the same parser as the widget's.
#[derive(Debug, Deserialize)]
pub struct ExitTexts {
    pub title: String,
    pub armed: String,
    pub waiting: String,
    pub cancel: String,
}

/// The waiting window, rendered by askama: every value is HTML-escaped by construction (a
/// hostile per-survey text override stays text).
#[derive(askama::Template)]
#[template(path = "exit_window.html")]
pub struct ExitWindow<'a> {
    pub lang: &'static str,
    pub dir: &'static str,
    pub site_name: &'a str,
    pub site_key: &'a str,
    pub texts: ExitTexts,
}

impl ExitWindow<'_> {
    pub fn texts_from(map: std::collections::BTreeMap<String, String>) -> Option<ExitTexts> {
        serde_json::to_value(map)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }
}

/// `GET /w/exit`: the small window opened on desktop when the visitor arms the survey. It names
/// the site, says what it is for and offers Cancel; the loader in it (exit mode) waits for the
/// site's pages to stop answering, then shows the survey.
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
    let texts = ExitWindow::texts_from(survey.settings.texts_for(lang, &survey.product_name))
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("a language lacks an exit window text"))
        })?;
    let page = askama::Template::render(&ExitWindow {
        lang: lang.code(),
        dir: lang.dir(),
        site_name: &site.site.name,
        site_key: &site.site.site_key,
        texts,
    })
    .map_err(|e| ApiError::Internal(e.into()))?;
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
    fn minifying_keeps_strings_and_the_loaders_globals() {
        let out = minify(
            "(function () {\n  // a comment\n  var longName = 'a  b // c';\n  window.farewell = { show: function (survey) { return longName + survey; } };\n})();\n",
        );
        assert!(
            !out.contains("comment") && !out.contains("longName"),
            "{out}"
        );
        assert!(
            out.contains("a  b // c") && out.contains("window.farewell"),
            "{out}"
        );
        // Every widget script parses: none is served unminified.
        for source in [LOADER_SOURCE, SURVEY_SOURCE, PREVIEW_SOURCE] {
            let (before, after) = (source.len(), minify(source).len());
            assert!(after * 3 < before * 2, "{before} -> {after}");
        }
        assert!(SCRIPTS.loader.identity.contains("/w/survey."));
    }

    #[test]
    fn every_language_fills_the_exit_window_and_hostile_texts_stay_text() {
        for lang in Lang::ALL {
            let settings = app::domain::SurveySettings::parse_json(
                r#"{"texts":{"en":{"armed":"<script>alert(1)</script>","cancel":"\" onclick=\"x"}}}"#,
            )
            .unwrap();
            let texts = ExitWindow::texts_from(settings.texts_for(lang, "Shop & <Co>"))
                .unwrap_or_else(|| panic!("{lang:?} lacks an exit window text"));
            let page = askama::Template::render(&ExitWindow {
                lang: lang.code(),
                dir: lang.dir(),
                site_name: "Shop & <Co>",
                site_key: "st_0123456789abcdef0123",
                texts,
            })
            .unwrap();
            assert!(page.contains(&format!(
                r#"<html lang="{}" dir="{}">"#,
                lang.code(),
                lang.dir()
            )));
            assert!(
                page.contains("Shop &#38; &#60;Co&#62;") || page.contains("Shop &amp; &lt;Co&gt;"),
                "{page}"
            );
            assert!(!page.contains("<script>alert"), "{page}");
            assert!(!page.contains(r#"" onclick=""#), "{page}");
            assert!(page.contains(r#"id="farewell-cancel""#));
        }
    }

    #[test]
    fn the_loader_points_at_the_hashed_survey_script() {
        let scripts = &*SCRIPTS;
        assert!(scripts
            .loader
            .identity
            .contains(&format!("/w/{}", scripts.survey_file)));
        assert!(!scripts.loader.identity.contains("__SURVEY_JS__"));
        assert!(scripts.survey_file.starts_with("survey.") && scripts.survey_file.ends_with(".js"));
    }
}
