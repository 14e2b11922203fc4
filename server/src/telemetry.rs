//! Structured logs. `RUST_LOG` filters; `FAREWELL_LOG_FORMAT=json` switches to JSON lines.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("FAREWELL_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests start many apps in one process) is harmless.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
