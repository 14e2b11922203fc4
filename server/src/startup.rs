//! Builds the whole application (pages, server functions, API, sessions, static files) from
//! settings and a store, and runs it until a shutdown signal.

use crate::config::ServeArgs;
use crate::http::config::ConfigCache;
use crate::http::ingest::Ingest;
use crate::http::rate_limit::{IngestLimits, Rate, RateLimiter};
use crate::http::site_cache::SiteCache;
use crate::http::visitor::VisitorGate;
use crate::ingest_queue::GroupCommit;
use crate::sessions::DatabaseSessions;
use app::ingest::{AmendWindow, IngestSettings};
use app::store::{SharedSink, SharedStore};
use app::{shell, App};
use axum::extract::{FromRef, MatchedPath};
use axum::http::Request;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Everything a handler may need, handed out piecewise through `FromRef`.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: SharedStore,
    pub ingest: Ingest,
    /// The group commit itself, for its statistics (answers go through `ingest.sink`).
    pub queue: GroupCommit,
    pub metrics: crate::metrics::Metrics,
    /// The bearer token `/metrics` asks for; without one it is not served.
    pub metrics_token: Option<Arc<str>>,
    /// The key of digests' one-click unsubscribe links (read once: the link's page needs no
    /// database write to check one).
    pub unsubscribe_key: Arc<[u8]>,
}

impl FromRef<AppState> for crate::metrics::Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for SharedStore {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

impl FromRef<AppState> for Ingest {
    fn from_ref(state: &AppState) -> Self {
        state.ingest.clone()
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The group-commit writer; awaited at shutdown so queued answers are written.
    writer: JoinHandle<()>,
}

impl Application {
    pub async fn build(settings: &ServeArgs, store: SharedStore) -> anyhow::Result<Application> {
        // The widget's scripts are compressed once, at the best levels (brotli 11, Zopfli):
        // before the first request, off the async workers, rather than stalling whichever
        // request asks first.
        tokio::task::spawn_blocking(|| std::sync::LazyLock::force(&crate::widget::SCRIPTS)).await?;
        let listener = TcpListener::bind(settings.addr).await?;
        let hashed = bundle_is_hashed();
        if !hashed && settings.site_root.join("pkg").join("hash.txt").exists() {
            // A binary copied away from its build: every page would ask for unhashed names
            // that do not exist and load without its style and script.
            tracing::error!(
                site_root = %settings.site_root.display(),
                "the browser files are hashed but hash.txt is not beside this binary: pages will \
                 load without style or script. Copy hash.txt and hash-admin.txt (site/pkg has \
                 them too) next to the binary"
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("farewell")
            .site_root(settings.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            // cargo-leptos's convention, kept by scripts/build.sh: the bundle's files carry
            // their content hash, listed in `hash.txt` beside the server binary.
            .hash_files(hashed)
            .build();
        let (queue, writer) = GroupCommit::start(
            store.clone(),
            settings.writers.clamp(1, store.concurrent_batch_writers()),
        );
        let sink: SharedSink = Arc::new(queue.clone());
        let metrics = crate::metrics::Metrics::default();
        // Per-site limits hold across every app server of one PostgreSQL.
        let site_limiter = Arc::new(RateLimiter::shared(Rate {
            per_second: settings.site_rate,
            burst: settings.site_rate * 5.0,
        }));
        crate::http::rate_limit::share(
            site_limiter.clone(),
            store.clone(),
            Duration::from_millis(200),
        );
        let visitor_cache = Duration::from_millis(settings.visitor_cache_ms);
        let sites = Arc::new(SiteCache::new(store.clone(), visitor_cache));
        let unsubscribe_key: Arc<[u8]> = store
            .server_secret(crate::http::unsubscribe::SECRET)
            .await
            .map_err(|e| anyhow::anyhow!("server secret: {e}"))?
            .into_bytes()
            .into();
        let state = AppState {
            queue,
            metrics: metrics.clone(),
            metrics_token: settings.metrics_token.as_deref().map(Arc::from),
            unsubscribe_key: unsubscribe_key.clone(),
            leptos_options: leptos_options.clone(),
            store: store.clone(),
            ingest: Ingest {
                store: store.clone(),
                sink,
                settings: IngestSettings {
                    attributes_dropped: Default::default(),
                    country_header: settings.country_header.clone(),
                    amend_window: AmendWindow(chrono::Duration::minutes(
                        settings.amend_window_minutes.clamp(1, 24 * 60) as i64,
                    )),
                },
                gate: Arc::new(VisitorGate {
                    limits: IngestLimits {
                        per_site: site_limiter.clone(),
                        per_client: RateLimiter::new(Rate {
                            per_second: settings.client_rate,
                            burst: settings.client_burst,
                        }),
                    },
                    trust_forwarded_for: settings.trust_forwarded_for,
                }),
                sites: sites.clone(),
                configs: Arc::new(ConfigCache::new(store.clone(), sites, visitor_cache)),
            },
        };
        crate::retention::spawn(store.clone(), Duration::from_secs(3600));
        crate::counting::spawn(
            store.clone(),
            Duration::from_millis(settings.count_interval_ms.max(1)),
        );
        let webhook_rules = app::domain::WebhookRules {
            allow_private: settings.webhooks_allow_private,
        };
        crate::webhooks::spawn(
            store.clone(),
            crate::webhooks::WebhookSettings {
                poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
                retry_base: Duration::from_millis(settings.webhook_retry_ms.max(10)),
                settle: Duration::from_secs(settings.webhook_settle_secs),
                rules: webhook_rules,
            },
        );
        let session_policy = app::auth::SessionPolicy {
            idle: chrono::Duration::minutes(i64::from(settings.session_idle_minutes.max(1))),
            absolute: chrono::Duration::hours(i64::from(settings.session_max_hours.max(1))),
        };
        let sessions = DatabaseSessions::new(store.clone());
        sessions.spawn_cleanup(Duration::from_secs(3600));
        let session_layer = SessionManagerLayer::new(sessions)
            .with_name("farewell_session")
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.secure_cookies || settings.serves_https())
            .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
                session_policy.idle.num_seconds(),
            )));

        // Server functions and pages see the same store and settings through context.
        let device_key = store
            .server_secret("sign_in_device")
            .await
            .map_err(|e| anyhow::anyhow!("server secret: {e}"))?;
        let throttle: app::auth::SharedThrottle =
            Arc::new(crate::http::sign_in_throttle::SignInLimits::new(
                device_key.into_bytes(),
                settings.trust_forwarded_for,
                settings.secure_cookies || settings.serves_https(),
            ));
        let mailer: Option<app::mail::SharedMailer> =
            crate::mail::SmtpMailer::from_settings(&settings.smtp)?
                .map(|m| Arc::new(m) as app::mail::SharedMailer);
        crate::digests::spawn(
            store.clone(),
            mailer.clone(),
            crate::digests::DigestSettings {
                poll: Duration::from_millis(settings.digest_poll_ms.max(100)),
                public_url: settings.public_url.clone(),
                unsubscribe_key,
            },
        );
        let context = {
            let state = state.clone();
            let throttle = throttle.clone();
            let mailer = mailer.clone();
            move || {
                if let Some(mailer) = &mailer {
                    provide_context(mailer.clone());
                }
                provide_context(session_policy);
                provide_context(webhook_rules);
                provide_context(throttle.clone());
                provide_context(state.store.clone());
                provide_context(state.ingest.sink.clone());
                provide_context(state.ingest.settings.clone());
                provide_context::<app::ingest::SharedVisitorLimits>(state.ingest.gate.clone());
            }
        };
        let plain_forms = crate::http::plain_forms::PlainForms {
            secure_cookies: settings.secure_cookies || settings.serves_https(),
        };
        let routes = route_list();
        // Sessions are for members' pages and server functions; the visitor API and the widget
        // never use them, so the hot ingest path does not pay for cookie handling.
        let pages = Router::new()
            .route(
                "/dashboard/{site_key}/{file}",
                axum::routing::get(crate::http::report::dashboard_export),
            )
            .route(
                "/admin/answers.json",
                axum::routing::get(crate::http::data_requests::admin_answers),
            )
            // The hosted survey's form without JavaScript posts to its own page.
            .route(
                "/s/{site_key}",
                axum::routing::post({
                    let context = context.clone();
                    let options = leptos_options.clone();
                    move |request: axum::extract::Request| {
                        crate::http::hosted_form::submit(request, context.clone(), options.clone())
                    }
                }),
            )
            .leptos_routes_with_context(&state, routes, context.clone(), {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                AppState,
                _,
            >(context, shell))
            .layer(axum::middleware::from_fn(
                crate::http::server_fns::status_of_errors,
            ))
            // Forms sent without the page's script: back to their page, with their outcome.
            .layer(axum::middleware::from_fn_with_state(
                plain_forms,
                crate::http::plain_forms::show,
            ))
            .layer(axum::middleware::from_fn_with_state(
                plain_forms,
                crate::http::plain_forms::submit,
            ))
            .layer(session_layer)
            .layer(axum::middleware::from_fn(
                crate::http::csrf::same_origin_only,
            ));
        // The built bundle, compressed once at build time (`.br`, `.gz` beside each file):
        // served as the browser asks, never compressed again per request.
        let bundle = tower_http::services::ServeDir::new(settings.site_root.join("pkg"))
            .precompressed_br()
            .precompressed_gzip();
        let router = Router::new()
            .merge(crate::http::router())
            .nest_service("/pkg", bundle)
            .merge(pages)
            .layer(axum::middleware::from_fn_with_state(
                crate::http::headers::HeaderPolicy {
                    hsts: settings.serves_https(),
                },
                crate::http::headers::protect,
            ))
            // Dynamic HTML, JSON and scripts are compressed (brotli or gzip, as asked). Small
            // answers (the ingest API's acknowledgements) are not worth it, and downloads are
            // streams that must reach the browser as they are written, not held back by an
            // encoder's buffer.
            .layer(
                tower_http::compression::CompressionLayer::new().compress_when(
                    tower_http::compression::Predicate::and(
                        tower_http::compression::Predicate::and(
                            tower_http::compression::predicate::DefaultPredicate::new(),
                            tower_http::compression::predicate::SizeAbove::new(256),
                        ),
                        |_: axum::http::StatusCode,
                         _: axum::http::Version,
                         headers: &axum::http::HeaderMap,
                         _: &axum::http::Extensions| {
                            !headers.contains_key(axum::http::header::CONTENT_DISPOSITION)
                        },
                    ),
                ),
            )
            .layer(axum::middleware::from_fn_with_state(
                metrics,
                crate::metrics::track,
            ))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    // The matched route, never the raw URI: query strings can carry personal data.
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str);
                    tracing::info_span!("request", method = %req.method(), route)
                }),
            )
            .with_state(state);
        Ok(Application {
            listener,
            router,
            writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until SIGINT/SIGTERM, finishes the requests in flight, then writes every answer
    /// still in the ingest queue before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        let _ = self.writer.await;
        tracing::info!("ingest queue drained");
        Ok(())
    }
}

/// Whether the build left `hash.txt` beside this binary (where Leptos looks for it).
fn bundle_is_hashed() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.exists())
}

/// The app's routes, worked out once per process. Leptos finds them by rendering the app with
/// resource loading switched off — and that switch is process-wide. Generating them again for
/// each app server (the tests start many in one process) made any page being rendered at that
/// moment by another server wait forever for its data.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
