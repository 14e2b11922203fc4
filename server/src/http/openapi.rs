//! The public REST API's OpenAPI document, derived from the handlers' annotations and their wire
//! types (utoipa). `tests/api/openapi.rs` compares it with a committed snapshot, so any change
//! to the public API shows in review.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Farewell",
        description = "Exit surveys and NPS: collect answers from the widget or your own code, read the figures with an API token."
    ),
    paths(
        super::ingest::post_response,
        super::ingest::post_batch,
        super::config::widget_config,
        super::config::participation,
        super::summary::site_summary,
        super::report::api_report,
        super::report::api_themes,
        super::report::api_drivers,
        super::report::api_responses,
        super::data_requests::my_answers,
        super::operations::health,
        super::operations::ready,
        super::operations::metrics,
    ),
    modifiers(&Tokens),
    tags(
        (name = "collection", description = "What a site's pages send: answers, batches, the widget's configuration"),
        (name = "reporting", description = "Figures and answers, for an organisation's API token"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

/// `Authorization: Bearer` with an organisation's API token, or the metrics token.
struct Tokens;

impl Modify for Tokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("token", "an organisation's API token"),
            ("metrics", "FAREWELL_METRICS_TOKEN"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// The document as served, pretty-printed so its snapshot diffs line by line.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json()
        .expect("the OpenAPI document serialises")
}
