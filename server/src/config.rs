//! Command line and environment. Secrets (the database URL may hold a password) are never
//! logged: only the backend's name is.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// With no subcommand, Farewell serves, and takes `serve`'s flags; each subcommand takes only its
/// own (and the database, which every one of them uses).
#[derive(Debug, Parser)]
#[command(
    name = "farewell",
    version,
    about = "Exit surveys and NPS dashboards",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Where the data lives: sqlite://FILE (embedded, the default) or postgres://…
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://farewell.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (the default).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a demo organisation with a site, survey, notice, admin and API token.
    Demo(DemoArgs),
    /// Create an organisation and its owner.
    CreateAdmin(CreateAdminArgs),
    /// Replace a survey's settings (triggers, sampling, cooldowns, texts) with JSON.
    ConfigureSurvey(ConfigureSurveyArgs),
    /// Declare the attributes a site takes (each a dashboard segment `attr.<key>`).
    ConfigureSite(ConfigureSiteArgs),
    /// Print a single-use invitation link to an organisation (no mail server is assumed).
    Invite(InviteArgs),
    /// Write a consistent copy of the live SQLite database to a new file.
    Backup(BackupArgs),
}

#[derive(Clone, Debug, Args)]
pub struct BackupArgs {
    /// The file to create.
    #[arg(long)]
    pub to: std::path::PathBuf,
}

#[derive(Clone, Debug, Args)]
pub struct InviteArgs {
    /// The organisation's id (printed by create-admin and demo).
    #[arg(long)]
    pub organisation_id: uuid::Uuid,
    /// owner, admin or viewer.
    #[arg(long, default_value = "viewer")]
    pub role: String,
    /// Where members reach Farewell, e.g. https://feedback.example.
    #[arg(
        long,
        env = "FAREWELL_PUBLIC_URL",
        default_value = "http://localhost:3000"
    )]
    pub base_url: String,
}

#[derive(Clone, Debug, Args)]
pub struct ConfigureSurveyArgs {
    /// The site whose first survey is configured.
    #[arg(long)]
    pub site_key: String,
    /// Settings as JSON, e.g. '{"triggers":{"exit_intent":true}}'; omitted fields get defaults.
    #[arg(long)]
    pub settings: String,
}

#[derive(Clone, Debug, Args)]
pub struct ConfigureSiteArgs {
    /// The site to configure.
    #[arg(long)]
    pub site_key: String,
    /// The attribute keys its pages may set, e.g. plan,tier (empty: none). Never personal data.
    #[arg(long)]
    pub attributes: String,
    /// How many distinct values each key keeps (the rest are stored as "other"); unchanged
    /// when omitted (50 for a new site).
    #[arg(long)]
    pub attribute_cap: Option<u32>,
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FAREWELL_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Folder with the built browser files (pkg/farewell.js, .wasm, .css).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Where people reach Farewell, e.g. https://feedback.example. When it is https, cookies
    /// are `Secure` and responses carry HSTS.
    #[arg(long, env = "FAREWELL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Mark cookies `Secure`: set this when Farewell is served over TLS (behind a proxy).
    #[arg(long, env = "FAREWELL_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Header in which a trusted reverse proxy passes the visitor's country (e.g. CF-IPCountry).
    /// Unset, no country is recorded.
    #[arg(long, env = "FAREWELL_COUNTRY_HEADER")]
    pub country_header: Option<String>,

    /// Visitor API requests per second allowed per site (bursts of five seconds' worth).
    #[arg(long, env = "FAREWELL_SITE_RATE", default_value_t = 200.0)]
    pub site_rate: f64,

    /// Visitor API requests per second allowed per client (by address; a User-Agent never makes a new client).
    #[arg(long, env = "FAREWELL_CLIENT_RATE", default_value_t = 1.0)]
    pub client_rate: f64,

    /// How many requests a client may send at once before its rate applies.
    #[arg(long, env = "FAREWELL_CLIENT_BURST", default_value_t = 30.0)]
    pub client_burst: f64,

    /// Take the client address from X-Forwarded-For: set only behind a proxy that sets it.
    #[arg(long, env = "FAREWELL_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// How often each app server looks for webhook deliveries that are due (milliseconds).
    #[arg(long, env = "FAREWELL_WEBHOOK_POLL_MS", default_value_t = 1000)]
    pub webhook_poll_ms: u64,

    /// The first retry waits this long; each next one twice as long, up to an hour.
    #[arg(long, env = "FAREWELL_WEBHOOK_RETRY_MS", default_value_t = 10_000)]
    pub webhook_retry_ms: u64,

    /// An answer's alert waits until the visitor sends the follow-up (comment and contact
    /// choice), at most this long (seconds), so that it carries them and the final score.
    #[arg(long, env = "FAREWELL_WEBHOOK_SETTLE_SECS", default_value_t = 120)]
    pub webhook_settle_secs: u64,

    /// Let webhooks use plain http:// and reach private, loopback and link-local addresses
    /// (receivers inside your own network). Off: only public https:// destinations.
    #[arg(long, env = "FAREWELL_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// Group-commit writers on PostgreSQL (SQLite always has one): batches written at once.
    #[arg(long, env = "FAREWELL_WRITERS", default_value_t = 1)]
    pub writers: usize,

    /// How long after an answer was stored its author may still add to it (minutes, 1 to
    /// 1440). Only a request carrying the answer's edit secret may amend it at all.
    #[arg(long, env = "FAREWELL_AMEND_WINDOW_MINUTES", default_value_t = 30)]
    pub amend_window_minutes: u32,

    /// How long a site and its widget configuration are served from memory before they are
    /// read again: a settings change reaches every app server within this long. 0 reads the
    /// database on every request.
    #[arg(long, env = "FAREWELL_VISITOR_CACHE_MS", default_value_t = 5000)]
    pub visitor_cache_ms: u64,

    /// The bearer token `/metrics` requires. Unset, `/metrics` is not served.
    #[arg(long, env = "FAREWELL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Members are signed out after this many minutes without a request (ASVS L2: 30).
    #[arg(long, env = "FAREWELL_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,

    /// Members sign in again this many hours after signing in, however active (ASVS L2: 12).
    #[arg(long, env = "FAREWELL_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u32,

    /// How often new answers are counted into the score aggregates, in milliseconds. Reports
    /// are exact either way; counting less often does less work per answer under load.
    #[arg(long, env = "FAREWELL_COUNT_INTERVAL_MS", default_value_t = 250)]
    pub count_interval_ms: u64,

    /// How often each app server looks for members' digests and alerts that are due
    /// (milliseconds).
    #[arg(long, env = "FAREWELL_DIGEST_POLL_MS", default_value_t = 60_000)]
    pub digest_poll_ms: u64,

    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// The SMTP relay replies from the follow-up inbox and members' digests go through. Without a
/// host, Farewell sends no mail: inbox replies open in the member's own mail app.
#[derive(Clone, Debug, Default, Args)]
pub struct SmtpArgs {
    /// The relay's host name, e.g. smtp.example.com.
    #[arg(long, env = "FAREWELL_SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// Its port (default: 587 with starttls, 465 with tls, 25 with none).
    #[arg(long, env = "FAREWELL_SMTP_PORT")]
    pub smtp_port: Option<u16>,

    /// starttls (upgrade a plain connection; must succeed), tls (from the first byte), or none
    /// (plain text: only for a relay on this machine, and never with a password).
    #[arg(long, env = "FAREWELL_SMTP_TLS", value_enum, default_value_t = SmtpTls::Starttls)]
    pub smtp_tls: SmtpTls,

    /// The user name to sign in to the relay with, if it asks for one.
    #[arg(long, env = "FAREWELL_SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// The password to sign in to the relay with.
    #[arg(long, env = "FAREWELL_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,

    /// Who the mail is from, e.g. "Farewell <feedback@example.com>" (a reply goes to the
    /// member who wrote it, by Reply-To).
    #[arg(long, env = "FAREWELL_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    #[default]
    Starttls,
    Tls,
    None,
}

impl ServeArgs {
    /// Whether the public URL is https (so HSTS and `Secure` cookies apply).
    pub fn serves_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }

    /// The settings `farewell serve` would run with here: defaults, then the environment.
    pub fn from_env() -> ServeArgs {
        #[derive(Parser)]
        struct Serve {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Serve::parse_from(["farewell"]).serve
    }
}

#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// The demo admin's password; a random one is generated and printed if not given.
    #[arg(long, env = "FAREWELL_DEMO_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Also store this many generated answers (realistic, over the last year).
    #[arg(long, default_value_t = 0)]
    pub responses: u32,
    /// Print the result as JSON (for scripts and tests).
    #[arg(long)]
    pub json: bool,
    /// Origins allowed to embed the widget (repeatable).
    #[arg(long = "origin", default_value = "http://localhost:8080")]
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub organisation: String,
    #[arg(long)]
    pub email: String,
    /// The owner's password. Better kept out of the command line (and so out of shell history
    /// and the process list): set FAREWELL_ADMIN_PASSWORD, or leave both out and type it (or
    /// pipe it) on standard input.
    #[arg(long, env = "FAREWELL_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

impl CreateAdminArgs {
    /// The password from the flag or the environment, else the first line of standard input.
    pub fn password(&self) -> anyhow::Result<String> {
        if let Some(password) = &self.password {
            return Ok(password.clone());
        }
        use std::io::{BufRead, IsTerminal};
        if std::io::stdin().is_terminal() {
            eprint!("Password for {} (at least 12 characters): ", self.email);
        }
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(!password.is_empty(), "no password given on standard input");
        Ok(password)
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;

    #[test]
    fn each_subcommand_takes_only_its_own_flags() {
        // The default command serves, with serve's flags.
        let cli =
            Cli::try_parse_from(["farewell", "--addr", "127.0.0.1:9", "--writers", "2"]).unwrap();
        assert_eq!((cli.serve.addr.port(), cli.serve.writers), (9, 2));
        let cli = Cli::try_parse_from(["farewell", "serve", "--writers", "3"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(s)) if s.writers == 3));
        // Other commands refuse them, and take the database.
        for (command, flag) in [
            ("demo", "--writers"),
            ("migrate", "--webhook-poll-ms"),
            ("backup", "--addr"),
        ] {
            assert!(
                Cli::try_parse_from(["farewell", command, flag, "1"]).is_err(),
                "{command} took {flag}"
            );
        }
        let cli = Cli::try_parse_from(["farewell", "migrate", "--database-url", "sqlite://x.db"])
            .unwrap();
        assert_eq!(cli.database_url, "sqlite://x.db");
        // Serve's flags before another command are refused, not silently ignored.
        assert!(Cli::try_parse_from(["farewell", "--writers", "2", "migrate"]).is_err());
    }
}
