use app::store::SharedStore;
use farewell::config::ServeArgs;
use farewell::provision::{self, DemoCreated};
use farewell::startup::Application;
use reqwest::redirect::Policy;
use serde_json::Value;
use sqlx::Connection;
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";
/// The form of a server function that takes no arguments.
pub const NO_FIELDS: &[(&str, &str)] = &[];
/// The demo site's registered origin: the page its embed runs on.
pub const SITE_ORIGIN: &str = "http://localhost:8080";
/// The `/metrics` token test servers are started with.
pub const METRICS_TOKEN: &str = "test-metrics-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body against each backend: `both_backends!(name, |app| async move {…})`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, settings: $change:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::AppBuilder::new($crate::helpers::Backend::Sqlite)
                    .settings($change)
                    .spawn()
                    .await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::AppBuilder::new($crate::helpers::Backend::Postgres)
                    .settings($change)
                    .spawn()
                    .await;
                ($body)(app).await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

pub struct TestApp {
    pub address: String,
    pub store: SharedStore,
    pub database_url: String,
    /// Keeps cookies like a browser, and does not follow redirects so tests can see them.
    pub client: reqwest::Client,
    _sqlite_dir: Option<tempfile::TempDir>,
}

fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        farewell::telemetry::init("debug");
    }
    dump_threads_when_a_request_times_out();
}

/// A request that times out means something in the app stopped making progress. Before the
/// test fails, every thread's stack is printed (with gdb, when the machine has it), so a hang
/// that shows up once in a while in CI leaves evidence of where it was stuck.
fn dump_threads_when_a_request_times_out() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.to_string();
            if message.contains("TimedOut") || message.contains("timed out") {
                let stacks = std::process::Command::new("gdb")
                    .args(["-p", &std::process::id().to_string(), "-batch", "-nx"])
                    .args(["-ex", "thread apply all bt 40"])
                    .output();
                match stacks {
                    Ok(out) => eprintln!(
                        "=== threads at the timeout ===\n{}",
                        String::from_utf8_lossy(&out.stdout)
                    ),
                    Err(e) => eprintln!("(no thread dump: {e})"),
                }
            }
            previous(info);
        }));
    });
}

pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            (
                format!("sqlite://{}/farewell.db", dir.path().display()),
                Some(dir),
            )
        }
        Backend::Postgres => {
            let cluster = tokio::task::spawn_blocking(crate::pg_cluster::cluster)
                .await
                .unwrap();
            let name = format!("test_{}", uuid::Uuid::new_v4().simple());
            let mut attempts = 0;
            let mut admin = loop {
                match sqlx::PgConnection::connect(&cluster.url("postgres")).await {
                    Ok(conn) => break conn,
                    Err(e) if attempts < 100 => {
                        attempts += 1;
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("cannot reach the test cluster: {e}"),
                }
            };
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            (cluster.url(&name), None)
        }
    }
}

/// A test app on a fresh database of `backend`, with the test settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    AppBuilder::new(backend).spawn().await
}

/// The one way a test starts an app server: on a fresh database of a backend, or on an
/// existing one (a second instance beside the first), with the test settings or changed ones.
pub struct AppBuilder {
    database: Database,
    settings: ServeArgs,
}

enum Database {
    Fresh(Backend),
    Existing(String),
}

impl AppBuilder {
    pub fn new(backend: Backend) -> AppBuilder {
        AppBuilder {
            database: Database::Fresh(backend),
            settings: test_settings(),
        }
    }

    /// Another app server on this database (multi-instance tests).
    pub fn on(database_url: &str) -> AppBuilder {
        AppBuilder {
            database: Database::Existing(database_url.to_owned()),
            settings: test_settings(),
        }
    }

    /// Changes the settings first (rate limits, say).
    pub fn settings(mut self, change: impl FnOnce(&mut ServeArgs)) -> AppBuilder {
        change(&mut self.settings);
        self
    }

    pub async fn spawn(self) -> TestApp {
        let (database_url, dir) = match self.database {
            Database::Fresh(backend) => fresh_database(backend).await,
            Database::Existing(url) => (url, None),
        };
        start(database_url, dir, self.settings).await
    }
}

pub fn test_settings() -> ServeArgs {
    ServeArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: std::env::temp_dir().join("farewell-test-site"),
        secure_cookies: false,
        public_url: None,
        country_header: Some("x-test-country".into()),
        // Generous: tests post quickly from one address. The rate-limit tests lower these.
        site_rate: 100_000.0,
        client_rate: 100_000.0,
        client_burst: 100_000.0,
        trust_forwarded_for: false,
        webhook_poll_ms: 100,
        count_interval_ms: 50,
        webhook_retry_ms: 200,
        // Alerts go at once; the test of the wait for the follow-up lengthens it.
        webhook_settle_secs: 0,
        writers: 1,
        amend_window_minutes: 30,
        // Settings a test changes are read back at once; one test proves the cache.
        visitor_cache_ms: 0,
        metrics_token: Some(METRICS_TOKEN.into()),
        // The tests' receivers listen on loopback; one test proves the default refuses them.
        webhooks_allow_private: true,
        session_idle_minutes: 30,
        session_max_hours: 12,
        // Digests are sent by the tests themselves (`digests::run_due` at a chosen time).
        digest_poll_ms: 86_400_000,
        // No mail; the tests of mail start a loopback SMTP receiver and name it.
        smtp: Default::default(),
    }
}

/// For `AppBuilder::settings`: the app's counting task waits a day between counts, so answers stay
/// uncounted until the test calls `store.count_new_answers` itself.
pub fn counting_by_hand(settings: &mut ServeArgs) {
    settings.count_interval_ms = 86_400_000;
}

async fn start(
    database_url: String,
    sqlite_dir: Option<tempfile::TempDir>,
    settings: ServeArgs,
) -> TestApp {
    init_logs();
    let store = farewell::store::connect(&database_url)
        .await
        .expect("store");
    let app = Application::build(&settings, store.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        client: browser_client(&address),
        address,
        store,
        database_url,
        _sqlite_dir: sqlite_dir,
    }
}

/// Every request a test makes gives up after this long, so a hang fails the test and says where.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A client that behaves like a browser on Farewell's own pages: it keeps cookies, and its
/// requests carry this host as `Origin`, as a browser's form posts and fetches do.
pub fn browser_client(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, address.parse().unwrap());
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

impl TestApp {
    /// Replaces the site's default survey's settings, as the configure-survey command does.
    pub async fn set_survey_settings(
        &self,
        site_key: &str,
        settings: &app::domain::SurveySettings,
    ) {
        farewell::provision::configure_survey(
            &self.store,
            site_key,
            &serde_json::to_string(settings).unwrap(),
        )
        .await
        .unwrap();
    }

    /// A demo organisation (site, survey, notice v1, admin, API token), no answers.
    pub async fn seed(&self) -> DemoCreated {
        self.seed_with(0).await
    }

    pub async fn seed_with(&self, responses: u32) -> DemoCreated {
        let (organisation, email) = (
            format!("Org {}", uuid::Uuid::new_v4().simple()),
            format!("{}@example.com", uuid::Uuid::new_v4().simple()),
        );
        let names = provision::DemoNames {
            organisation: &organisation,
            email: &email,
        };
        let origins = [SITE_ORIGIN.to_string()];
        let quiet = farewell::demo_data::QUIET;
        provision::demo_named(
            &self.store,
            names,
            Some(PASSWORD.into()),
            responses,
            &origins,
            quiet,
        )
        .await
        .expect("seed")
    }

    /// The site behind a key, as the visitor paths see it (its surveys and current notice).
    pub async fn public_site(&self, key: &str) -> app::store::PublicSite {
        self.store
            .public_site(&site_key(key))
            .await
            .unwrap()
            .expect("a known site key")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A page load as a browser makes it (browsers ask for text/html).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .expect("GET")
    }

    /// The HTML of a page loaded by a browser that also sends `headers`.
    pub async fn page_with(&self, path: &str, headers: &[(&str, &str)]) -> String {
        let mut request = self
            .client
            .get(self.url(path))
            .header("Accept", "text/html");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("HTML")
    }

    pub async fn page(&self, path: &str) -> String {
        self.page_with(path, &[]).await
    }

    pub async fn post_response(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/responses"))
            .header(
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
            )
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// The Prometheus text, fetched with the metrics token.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), 200);
        response.text().await.expect("metrics")
    }

    pub async fn summary(
        &self,
        site_key: &str,
        token: Option<&str>,
        query: &str,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .get(self.url(&format!("/api/v1/sites/{site_key}/summary{query}")));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("GET summary")
    }

    /// Posts `body` to a visitor endpoint (`/api/v1/batch`, `/api/v1/responses`…) from a page
    /// of `origin`, as the widget's `sendBeacon` does: text/plain, so no preflight.
    pub async fn beacon_from(&self, origin: &str, path: &str, body: &Value) -> reqwest::Response {
        self.beacon_with(origin, path, body, &[]).await
    }

    /// `beacon_from` with the browser's own headers (a User-Agent, the proxy's country).
    pub async fn beacon_with(
        &self,
        origin: &str,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("Origin", origin)
            .header("Content-Type", "text/plain;charset=UTF-8");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(body.to_string()).send().await.expect("POST")
    }

    /// Posts a batch (answers, amendments, impressions) from the demo site's page.
    pub async fn post_batch(&self, body: &Value) -> reqwest::Response {
        self.beacon_from(SITE_ORIGIN, "/api/v1/batch", body).await
    }

    /// A server function's POST, not yet sent, for tests of what the edge does with a request's
    /// own headers (a forged Origin, a proxy's X-Forwarded-For, a cookie).
    pub fn fn_request(&self, client: &reqwest::Client, name: &str) -> reqwest::RequestBuilder {
        client.post(self.url(&format!("/fn/{name}")))
    }

    /// Posts a server function's form the way a hydrated page does (a same-origin fetch), as
    /// `client`'s session.
    pub async fn call_fn(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &(impl serde::Serialize + ?Sized),
    ) -> reqwest::Response {
        self.fn_request(client, name)
            .header("Origin", &self.address)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts the hosted survey's form to its own page (`form_action`, as the page names it), the
    /// way a browser without JavaScript does.
    pub async fn post_hosted_form(
        &self,
        form_action: &str,
        form: &(impl serde::Serialize + ?Sized),
    ) -> reqwest::Response {
        self.client
            .post(self.url(form_action))
            .header("Origin", &self.address)
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Accept-Language", "fi")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a server function's form the way a browser without JavaScript does, from the page
    /// at `from_page`: the answer is a redirect (back to that page, or on) rather than JSON.
    pub async fn submit_form(
        &self,
        client: &reqwest::Client,
        name: &str,
        from_page: &str,
        form: &(impl serde::Serialize + ?Sized),
    ) -> reqwest::Response {
        self.fn_request(client, name)
            .header("Origin", &self.address)
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Referer", self.url(from_page))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A client of its own, signed in as `email` (with the test password).
    pub async fn signed_in_client(&self, email: &str) -> reqwest::Client {
        self.signed_in_client_with(email, PASSWORD).await
    }

    /// A client of its own, signed in as `email` with `password`.
    pub async fn signed_in_client_with(&self, email: &str, password: &str) -> reqwest::Client {
        let client = new_client();
        let r = self
            .submit_form(
                &client,
                "sign_in",
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(r.headers()["location"], "/dashboard", "sign-in of {email}");
        client
    }

    /// Signs in through the sign-in form the way a browser without JavaScript does.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit_form(
            &self.client,
            "sign_in",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Opens a raw connection for checks below the store (schema guards, stored columns).
    pub async fn raw_sqlite(&self) -> sqlx::SqliteConnection {
        sqlx::SqliteConnection::connect(&self.database_url)
            .await
            .unwrap()
    }

    pub async fn raw_postgres(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.database_url)
            .await
            .unwrap()
    }

    /// One text of row `id` of `table`: `expression` over its columns, as stored.
    pub async fn text_of(&self, table: &str, expression: &str, id: uuid::Uuid) -> Option<String> {
        let sql = format!("SELECT {expression} FROM {table} WHERE id = $1");
        match self.backend() {
            Backend::Sqlite => sqlx::query_scalar(&sql)
                .bind(id)
                .fetch_one(&mut self.raw_sqlite().await)
                .await
                .unwrap(),
            Backend::Postgres => sqlx::query_scalar(&sql)
                .bind(id)
                .fetch_one(&mut self.raw_postgres().await)
                .await
                .unwrap(),
        }
    }

    pub fn backend(&self) -> Backend {
        if self.database_url.starts_with("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// A response header as text ("" when absent).
pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Polls `check` until it holds, failing the test after `within`.
pub async fn eventually<F, Fut>(within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "condition not met within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A site key as the store takes it (checked by format).
pub fn site_key(raw: &str) -> app::domain::SiteKey {
    app::domain::SiteKey::parse("site", raw).expect("a well-formed site key")
}

/// The member's session cookie a response sets (`farewell_session=…; attributes`); a sign-in
/// also sets the device cookie, which this skips.
pub fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("farewell_session="))
        .expect("a session cookie")
}
