//! Bytes on the wire: pages, JSON and the loader compressed as the browser asks; the built
//! bundle served from files compressed once at build time; small acknowledgements left alone.

use crate::both_backends;
use crate::helpers::{header, AppBuilder, Backend, TestApp};

both_backends!(
    the_loader_is_under_3_kb_on_the_wire_and_pages_are_compressed,
    |app: TestApp| async move {
        let demo = app.seed_with(40).await;
        for encoding in ["br", "gzip"] {
            let loader = app
                .client
                .get(app.url("/w.js"))
                .header("Accept-Encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(header(&loader, "content-encoding"), encoding);
            assert!(header(&loader, "vary")
                .to_lowercase()
                .contains("accept-encoding"));
            let bytes = loader.bytes().await.unwrap().len();
            assert!(bytes <= 3072, "/w.js is {bytes} bytes as {encoding}");
        }
        let page = app
            .client
            .get(app.url(&format!("/s/{}", demo.site_key)))
            .header("Accept", "text/html")
            .header("Accept-Encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&page, "content-encoding"), "br");
        assert_eq!(header(&page, "cache-control"), "no-cache");
        // An acknowledgement of a few dozen bytes is not worth compressing.
        let ack = app
            .client
            .post(app.url("/api/v1/responses"))
            .header("Accept-Encoding", "br, gzip")
            .json(
                &serde_json::json!({"id": uuid::Uuid::new_v4(), "site": demo.site_key, "score": 9}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(ack.status(), 201);
        assert_eq!(header(&ack, "content-encoding"), "");
        // A download streams as it is written: not held back in an encoder.
        let export = app
            .client
            .get(app.url(&format!(
                "/api/v1/sites/{}/responses?format=csv",
                demo.site_key
            )))
            .bearer_auth(&demo.api_token)
            .header("Accept-Encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        assert_eq!(header(&export, "content-encoding"), "");
        assert!(
            export.bytes().await.unwrap().len() > 2000,
            "big enough to be compressed"
        );
    }
);

async fn bundle_case(backend: Backend) {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("farewell.js"),
        "console.log('the bundle');".repeat(50),
    )
    .unwrap();
    std::fs::write(pkg.join("farewell.js.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("farewell.js.gz"), b"gzip bytes").unwrap();
    let root = site.path().to_path_buf();
    let app = AppBuilder::new(backend)
        .settings(move |s| s.site_root = root)
        .spawn()
        .await;
    let get = |encoding: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/pkg/farewell.js"))
                .header("Accept-Encoding", encoding)
                .send()
                .await
                .unwrap()
        }
    };
    let br = get("gzip, br").await;
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(header(&br, "cache-control"), "no-cache");
    assert!(!header(&br, "last-modified").is_empty() || !header(&br, "etag").is_empty());
    assert_eq!(
        &br.bytes().await.unwrap()[..],
        b"brotli bytes",
        "the file made at build time"
    );
    let gz = get("gzip").await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert_eq!(&gz.bytes().await.unwrap()[..], b"gzip bytes");
    let plain = get("identity").await;
    assert_eq!(header(&plain, "content-encoding"), "");
    assert!(plain.text().await.unwrap().starts_with("console.log"));
    // A file named by its content hash is kept for a year; a missing one is not cached.
    std::fs::write(pkg.join("farewell.0123456789abcdef.wasm"), b"\0asm").unwrap();
    let hashed = app
        .client
        .get(app.url("/pkg/farewell.0123456789abcdef.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&hashed, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let missing = app
        .client
        .get(app.url("/pkg/farewell.fedcba9876543210.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_served_precompressed_sqlite() {
    bundle_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_served_precompressed_postgres() {
    bundle_case(Backend::Postgres).await;
}
