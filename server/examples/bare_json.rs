//! The baseline for the ingest benchmark: an axum endpoint that parses the same JSON body and
//! answers 201, storing nothing. `bare_json 127.0.0.1:PORT`
use axum::http::StatusCode;

// The same allocator as the farewell binary, so the comparison is about the work, not malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn accept(Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({"id": body["id"], "stored": true})),
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3900".into());
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(
        listener,
        Router::new().route("/api/v1/responses", post(accept)),
    )
    .await
    .expect("serve");
}
