//! The public API as reviewed: the OpenAPI document derived from the handlers must equal the
//! committed snapshot. A change to a handler's wire types changes the document; review the
//! diff, then write the new snapshot with `UPDATE_SNAPSHOTS=1 cargo test -p server --test api
//! openapi`.

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/api/snapshots/openapi.json"
);

#[test]
fn the_public_api_is_the_reviewed_one() {
    let document = farewell::http::openapi::document();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &document).unwrap();
        return;
    }
    let reviewed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if reviewed != document {
        let first = reviewed
            .lines()
            .zip(document.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| reviewed.lines().count().min(document.lines().count()));
        panic!(
            "the public API changed (from line {}: {:?}); review it, then run with \
             UPDATE_SNAPSHOTS=1",
            first + 1,
            document.lines().nth(first).unwrap_or("<end>")
        );
    }
}
