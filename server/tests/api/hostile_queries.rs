//! Hostile query strings: whatever a signed-in member (or a script with their session or an
//! API token) puts in the URL of a dashboard or report route, the answer is a page or a clear
//! 4xx — never a panic, never a 500. Random cases, generated with proptest's runner.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// One hostile value: dates out of any range, NUL bytes and controls, huge numbers, odd
/// unicode, very long strings, and now and then something valid.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+262142-12-31".to_string()),
        Just("-0001-01-01".to_string()),
        Just("1970-01-01".to_string()),
        Just("2026-02-30".to_string()),
        Just("2100-12-31".to_string()),
        Just("\u{0}".to_string()),
        Just("st_\u{0}".to_string()),
        Just("Europe/Helsinki".to_string()),
        Just("Etc/GMT+14".to_string()),
        Just("country:".to_string()),
        Just("device:\u{0}mobile".to_string()),
        Just("9999999999999999999999".to_string()),
        Just("2026-01-01T00:00:00Z:00000000-0000-0000-0000-000000000000".to_string()),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "\\PC{0,40}",
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
        "[a-z]{1,8}:[\\PC]{0,12}",
        proptest::collection::vec(any::<u8>(), 0..24)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        Just("x".repeat(5000)),
    ]
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![
        Just("from"),
        Just("to"),
        Just("tz"),
        Just("bucket"),
        Just("survey"),
        Just("segment"),
        Just("by"),
        Just("q"),
        Just("band"),
        Just("tag"),
        Just("before"),
        Just("format"),
        Just("site"),
        Just("\u{0}"),
        Just("zz"),
    ];
    proptest::collection::vec((key.prop_map(str::to_string), value()), 0..6)
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        for (i, part) in [k, v].into_iter().enumerate() {
            if i == 1 {
                out.push('=');
            }
            for b in part.as_bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(b) {
                    out.push(*b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

both_backends!(
    arbitrary_query_strings_never_panic_or_answer_500,
    |app: TestApp| async move {
        let demo = app.seed_with(30).await;
        app.sign_in(&demo.email, PASSWORD).await;
        let key = &demo.site_key;
        let routes = [
            (format!("/dashboard/{key}"), false),
            (format!("/dashboard/{key}/export.csv"), false),
            (format!("/dashboard/{key}/export.json"), false),
            (format!("/api/v1/sites/{key}/report"), true),
            (format!("/api/v1/sites/{key}/responses"), true),
            (format!("/api/v1/sites/{key}/summary"), true),
            (format!("/api/v1/sites/{key}/config"), false),
            ("/dashboard/st_%00".to_string(), false),
            ("/api/v1/sites/st_%00/config".to_string(), false),
            ("/w/exit".to_string(), false),
            ("/preferences".to_string(), false),
            (format!("/consent/{}", uuid::Uuid::new_v4()), false),
            ("/share/sh_%00".to_string(), false),
        ];
        // The findings, exactly: a NUL byte in a site key, a date far in the future.
        for (path, want) in [
            ("/api/v1/sites/st_%00/config".to_string(), 404),
            ("/w/exit?site=%00".to_string(), 404),
            ("/w/exit?site=st_%00".to_string(), 404),
            // A page shows its error in place (any 4xx or a page, never a 500).
            (format!("/dashboard/{key}?to=%2B262142-12-31"), 0),
        ] {
            let status = app
                .client
                .get(app.url(&path))
                .header("Accept", "text/html")
                .send()
                .await
                .unwrap()
                .status();
            if want == 0 {
                assert!(status.as_u16() < 500, "{status} for {path}");
            } else {
                assert_eq!(status.as_u16(), want, "{path}");
            }
        }
        let far = app
            .client
            .get(app.url(&format!("/api/v1/sites/{key}/report?to=%2B262142-12-31")))
            .bearer_auth(&demo.api_token)
            .send()
            .await
            .unwrap();
        assert_eq!(far.status(), 422);
        let mut runner = TestRunner::new(Config {
            cases: 60,
            ..Config::default()
        });
        let strategy = query();
        for _ in 0..60 {
            let pairs = strategy.new_tree(&mut runner).unwrap().current();
            let q = encode(&pairs);
            for (path, api) in &routes {
                let url = app.url(&format!("{path}?{q}"));
                let mut request = app.client.get(&url).header("Accept", "text/html");
                if *api {
                    request = request.bearer_auth(&demo.api_token);
                }
                let status = request.send().await.unwrap().status();
                assert!(status.as_u16() < 500, "{status} for {path}?{q} ({pairs:?})");
            }
        }
    }
);
