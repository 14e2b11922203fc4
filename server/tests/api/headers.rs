//! Protective headers: a strict CSP by nonce on pages, nothing framed, no sniffing, no
//! Referer from pages whose URL holds a token, HSTS and `Secure` cookies over https; the
//! widget's scripts and exit window still usable from any site.

use crate::both_backends;
use crate::helpers::{header, AppBuilder, Backend, TestApp, PASSWORD};

both_backends!(
    pages_carry_a_strict_policy_by_nonce,
    |app: TestApp| async move {
        let demo = app.seed().await;
        for path in [
            "/login".to_string(),
            format!("/s/{}", demo.site_key),
            "/no-such-page".to_string(),
        ] {
            let r = app.get(&path).await;
            let csp = header(&r, "content-security-policy");
            // A page differs by the browser's language (its words, or its numbers).
            let vary: Vec<String> = r
                .headers()
                .get_all("vary")
                .iter()
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .collect();
            assert!(
                vary.iter().any(|v| v.contains("accept-language")),
                "{path}: {vary:?}"
            );
            let html = r.text().await.unwrap();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no nonce in {csp:?}"));
            assert!(nonce.len() >= 16, "{path}: {nonce}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"));
            assert!(
                !csp.contains("'unsafe-inline' 'unsafe-eval'")
                    && !csp.contains("script-src 'self' 'unsafe-inline'")
            );
            // Every inline script of the page carries that nonce.
            let scripts = html.matches("<script").count();
            let nonced = html.matches(&format!("nonce=\"{nonce}\"")).count();
            assert!(
                scripts > 0 && nonced >= scripts,
                "{path}: {nonced} of {scripts} scripts carry the nonce"
            );
        }
        // A new nonce per response.
        let a = header(&app.get("/login").await, "content-security-policy");
        let b = header(&app.get("/login").await, "content-security-policy");
        assert_ne!(a, b);

        let r = app.get("/login").await;
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&r, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(
            header(&r, "strict-transport-security"),
            "",
            "no HSTS without an https public URL"
        );
        for path in [
            "/share/sh_0000",
            "/invite/inv_0000",
            "/preferences?site=x&rid=y",
        ] {
            // Nothing to another origin; their own forms still carry a real Origin.
            assert_eq!(
                header(&app.get(path).await, "referrer-policy"),
                "same-origin",
                "{path}"
            );
        }
        // What is not a page may run nothing.
        let api = app.get("/healthz").await;
        assert_eq!(
            header(&api, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        );
        assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    }
);

both_backends!(
    the_widget_stays_embeddable_by_any_site,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let loader = app
            .client
            .get(app.url("/w.js"))
            .header("Origin", "http://localhost:8080")
            .send()
            .await
            .unwrap();
        assert_eq!(loader.status(), 200);
        assert!(header(&loader, "content-type").starts_with("text/javascript"));
        assert_eq!(header(&loader, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&loader, "cross-origin-resource-policy"),
            "cross-origin"
        );
        assert_eq!(header(&loader, "cross-origin-opener-policy"), "");
        let exit = app
            .get(&format!("/w/exit?site={}&lang=en", demo.site_key))
            .await;
        assert_eq!(exit.status(), 200);
        let csp = header(&exit, "content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        // Opened by other sites as a window, so nothing may cut it off from its opener.
        assert_eq!(header(&exit, "cross-origin-opener-policy"), "");
    }
);

async fn https_case(backend: Backend) {
    let app = AppBuilder::new(backend)
        .settings(|s| s.public_url = Some("https://feedback.example".into()))
        .spawn()
        .await;
    let demo = app.seed().await;
    let r = app.get("/login").await;
    assert_eq!(
        header(&r, "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let signed_in = app.sign_in(&demo.email, PASSWORD).await;
    let cookie = crate::helpers::session_cookie(&signed_in);
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_brings_hsts_and_secure_cookies_sqlite() {
    https_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_brings_hsts_and_secure_cookies_postgres() {
    https_case(Backend::Postgres).await;
}
