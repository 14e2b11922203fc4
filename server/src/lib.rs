//! The `farewell` server: configuration, storage backends, the HTTP edge that is not Leptos
//! pages, sessions, and start-up. `main.rs` only dispatches the command line.

pub mod backup;
pub mod config;
pub mod counting;
pub mod demo_data;
pub mod digests;
pub mod http;
pub mod ingest_queue;
pub mod mail;
pub mod metrics;
pub mod provision;
pub mod retention;
pub mod sessions;
pub mod startup;
pub mod store;
pub mod telemetry;
/// Token helpers live with the server functions that hand tokens out.
pub use app::tokens;
pub mod webhooks;
pub mod widget;
