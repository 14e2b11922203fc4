//! Members' sign-in: password hashing, the session key, and the guard every tenant server
//! function starts with.

use crate::domain::{Email, Password};
use crate::error::AppError;
use crate::store::{Membership, SharedStore};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use leptos::prelude::*;
use tower_sessions::Session;
use uuid::Uuid;

/// Where a session keeps its member (the session store reads it to end a member's sessions).
pub const USER_ID_KEY: &str = "user_id";
/// The moment (unix seconds) after which the session is over however active it is.
const SESSION_UNTIL_KEY: &str = "session_until";

/// How long sessions last; the server provides one as context (ASVS L2 defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Signed out after this long without a request.
    pub idle: chrono::Duration,
    /// Signed out this long after signing in, however active.
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: chrono::Duration::minutes(30),
            absolute: chrono::Duration::hours(12),
        }
    }
}

/// Slows sign-in attempts after failures; the server provides one as context.
pub trait SignInThrottle: Send + Sync + 'static {
    /// Takes one attempt at `email` from this request, counted as a failure until
    /// `succeeded` forgives it (so parallel guesses cannot all slip past the count);
    /// `Err(seconds)` when it must wait that long first.
    fn attempt(&self, email: &str, request: &http::request::Parts) -> Result<(), u64>;
    /// The password was right. Returns a `Set-Cookie` value that marks this browser as one
    /// the account has signed in from: its attempts are then counted apart from everyone
    /// else's, so others' failures (from a shared address, say) never keep it out.
    fn succeeded(&self, email: &str, request: &http::request::Parts) -> Option<String>;
}

/// What a session remembers of the password it was opened with: a digest of its stored hash.
/// A session whose stamp no longer matches (the password changed since) is over, whatever
/// happened to its row.
fn credential_stamp(password_hash: &str) -> String {
    crate::tokens::sha256_hex(password_hash.as_bytes())[..24].to_string()
}
const CREDENTIAL_KEY: &str = "credential";

/// At most this many argon2 computations at once: a flood of sign-ins then waits (or is told
/// to try again) instead of taking every core from the pages and the ingest.
fn argon2_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.max(2))
    })
}

/// Runs a password hash or check under `argon2_permits`, giving up after a few seconds.
async fn with_argon2_permit<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        argon2_permits().acquire(),
    )
    .await
    .map_err(|_| AppError::Throttled)?
    .map_err(|_| AppError::Internal)?;
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::Internal);
    drop(permit);
    result
}

pub type SharedThrottle = std::sync::Arc<dyn SignInThrottle>;

/// Hashes off the async runtime: argon2 is deliberately slow.
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let password = password.clone();
    with_argon2_permit(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Verifies a candidate; with no stored hash it still spends the same time, so a response
/// time does not tell whether an account exists. `Throttled` when too many checks are queued.
pub async fn verify_password(
    stored_hash: Option<String>,
    candidate: String,
) -> Result<bool, AppError> {
    with_argon2_permit(move || {
        let argon = Argon2::default();
        match stored_hash.as_deref().map(PasswordHash::new) {
            Some(Ok(hash)) => argon.verify_password(candidate.as_bytes(), &hash).is_ok(),
            _ => {
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon.hash_password(candidate.as_bytes(), &salt);
                false
            }
        }
    })
    .await
}

pub fn store() -> Result<SharedStore, AppError> {
    use_context::<SharedStore>().ok_or_else(|| {
        tracing::error!("no store in context");
        AppError::Internal
    })
}

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// A signed-in member and the organisations they belong to.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub memberships: Vec<Membership>,
}

/// The guard: the signed-in member, or `Unauthorized`.
/// The member, or — for a page's loader — a redirect to sign-in that comes back to `next`, the
/// page asked for (a path on this host).
pub async fn member_or_sign_in(next: &str) -> Result<Member, AppError> {
    let member = require_member().await;
    if matches!(member, Err(AppError::Unauthorized)) {
        leptos_axum::redirect(&sign_in_path(next));
    }
    member
}

/// A path of this host to return to after sign-in, or `None`: it starts with a single `/`, and
/// holds no backslash or control character (which browsers may read as another host), so a
/// link cannot send a member away to a look-alike page.
pub fn return_path(raw: &str) -> Option<&str> {
    let on_this_host = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control)
        && raw.len() <= 2048;
    on_this_host.then_some(raw)
}

/// `/login?next=…`, or plain `/login` when `next` is where a sign-in leads anyway (the
/// dashboard) or not a path of this host.
pub fn sign_in_path(next: &str) -> String {
    match return_path(next).filter(|next| *next != "/dashboard") {
        Some(next) => format!("/login?next={}", crate::report::percent_encode(next)),
        None => "/login".into(),
    }
}

pub async fn require_member() -> Result<Member, AppError> {
    // Contexts are read before the first await: a page loader's future can go on after the
    // owner that provided them is gone (then every lookup fails: "no store in context").
    let store = store()?;
    member_of_session(&session().await?, &store).await
}

/// The member a session belongs to (also used by plain axum handlers, such as exports).
pub async fn member_of_session(session: &Session, store: &SharedStore) -> Result<Member, AppError> {
    let user_id: Option<Uuid> = session.get(USER_ID_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session read failed");
        AppError::Internal
    })?;
    let user_id = user_id.ok_or(AppError::Unauthorized)?;
    let until: i64 = session
        .get(SESSION_UNTIL_KEY)
        .await
        .map_err(|_| AppError::Internal)?
        .unwrap_or(0);
    let stamp: Option<String> = session
        .get(CREDENTIAL_KEY)
        .await
        .map_err(|_| AppError::Internal)?;
    let current = store.user_password_hash(user_id).await?;
    let stamp_holds = matches!((&stamp, &current), (Some(s), Some(h)) if *s == credential_stamp(h));
    if chrono::Utc::now().timestamp() >= until || !stamp_holds {
        let _ = session.flush().await;
        return Err(AppError::Unauthorized);
    }
    let memberships = store.memberships(user_id).await?;
    Ok(Member {
        user_id,
        memberships,
    })
}

impl Member {
    /// The site with this key in one of the member's organisations. Another organisation's
    /// site is `NotFound`, exactly like a site that does not exist.
    pub async fn site(
        &self,
        store: &SharedStore,
        site_key: &str,
    ) -> Result<(Membership, crate::store::Site), AppError> {
        // A key of the wrong shape is no site: it never reaches a query.
        let site_key =
            crate::domain::SiteKey::parse("site", site_key).map_err(|_| AppError::NotFound)?;
        for membership in &self.memberships {
            if let Some(site) = store.site_by_key(membership.org_id, &site_key).await? {
                return Ok((membership.clone(), site));
            }
        }
        Err(AppError::NotFound)
    }
}

/// Checks the credentials and starts a fresh session (a new id, so a session id planted before
/// sign-in is worthless after it).
pub async fn sign_in(email: &str, password: String) -> Result<(), AppError> {
    let refused = || AppError::invalid("email", "Wrong e-mail or password.");
    let account = email.trim().to_lowercase();
    let throttle = use_context::<SharedThrottle>().zip(use_context::<http::request::Parts>());
    if let Some((throttle, request)) = &throttle {
        if throttle.attempt(&account, request).is_err() {
            tracing::info!("sign-in throttled");
            return Err(AppError::Throttled);
        }
    }
    let failed = || {
        // A wrong password is the visitor's mistake, not the server's: INFO, and never the
        // address tried. The attempt already counts as a failure.
        tracing::info!("sign-in refused: wrong e-mail or password");
        refused()
    };
    let Ok(email) = Email::parse("email", email) else {
        return Err(failed());
    };
    let credentials = store()?.credentials(&email).await?;
    let user_id = credentials.as_ref().map(|c| c.user_id);
    let stored_hash = credentials.map(|c| c.password_hash);
    let ok = verify_password(stored_hash.clone(), password).await?;
    let (user_id, hash) = match (ok, user_id, stored_hash) {
        (true, Some(id), Some(hash)) => (id, hash),
        _ => return Err(failed()),
    };
    if let Some((throttle, request)) = &throttle {
        if let Some(cookie) = throttle.succeeded(&account, request) {
            if let (Some(response), Ok(value)) = (
                use_context::<leptos_axum::ResponseOptions>(),
                http::HeaderValue::from_str(&cookie),
            ) {
                response.append_header(http::header::SET_COOKIE, value);
            }
        }
    }
    let policy = use_context::<SessionPolicy>().unwrap_or_default();
    let session = session().await?;
    session.cycle_id().await.map_err(|_| AppError::Internal)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(|_| AppError::Internal)?;
    session
        .insert(
            SESSION_UNTIL_KEY,
            (chrono::Utc::now() + policy.absolute).timestamp(),
        )
        .await
        .map_err(|_| AppError::Internal)?;
    session
        .insert(CREDENTIAL_KEY, credential_stamp(&hash))
        .await
        .map_err(|_| AppError::Internal)?;
    Ok(())
}

/// After a password change: a new session id for the same member, stamped with the new
/// password, so a copied cookie from before no longer works and every other session (stamped
/// with the old one) is over even if its row were written back.
pub async fn renew_session(new_password_hash: &str) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(|_| AppError::Internal)?;
    session
        .insert(CREDENTIAL_KEY, credential_stamp(new_password_hash))
        .await
        .map_err(|_| AppError::Internal)
}

pub async fn sign_out() -> Result<(), AppError> {
    session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError::Internal)
}

#[cfg(test)]
mod return_paths {
    use super::{return_path, sign_in_path};

    #[test]
    fn only_a_path_of_this_host_is_returned_to() {
        for ok in [
            "/admin",
            "/dashboard/st_0123456789abcdef?from=2026-01-01",
            "/consent/x?site=y",
        ] {
            assert_eq!(return_path(ok), Some(ok));
        }
        for away in [
            "//evil.example/admin",
            "https://evil.example",
            "/\\evil.example",
            "evil.example",
            "",
            "/admin\n",
            "/\tadmin",
        ] {
            assert_eq!(return_path(away), None, "{away:?}");
        }
        assert_eq!(sign_in_path("/admin"), "/login?next=%2Fadmin");
        assert_eq!(sign_in_path("//evil.example"), "/login");
    }
}
