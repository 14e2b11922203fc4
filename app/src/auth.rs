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

const USER_ID_KEY: &str = "user_id";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// However active, a member signs in again after this long (the idle limit is the session's).
pub const ABSOLUTE_SESSION_SECONDS: i64 = 7 * 24 * 3600;

/// Limits sign-in attempts per account and per client; the server provides one as context.
pub trait SignInThrottle: Send + Sync + 'static {
    /// `Err(seconds)` when this attempt must wait that long.
    fn check(&self, email: &str, request: &http::request::Parts) -> Result<(), u64>;
}

pub type SharedThrottle = std::sync::Arc<dyn SignInThrottle>;

/// Hashes off the async runtime: argon2 is deliberately slow.
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Verifies a candidate; with no stored hash it still spends the same time, so a response
/// time does not tell whether an account exists.
pub async fn verify_password(stored_hash: Option<String>, candidate: String) -> bool {
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
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
pub async fn require_member() -> Result<Member, AppError> {
    member_of_session(&session().await?, &store()?).await
}

/// The member a session belongs to (also used by plain axum handlers, such as exports).
pub async fn member_of_session(session: &Session, store: &SharedStore) -> Result<Member, AppError> {
    let user_id: Option<Uuid> = session.get(USER_ID_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session read failed");
        AppError::Internal
    })?;
    let user_id = user_id.ok_or(AppError::Unauthorized)?;
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT_KEY)
        .await
        .map_err(|_| AppError::Internal)?
        .unwrap_or(0);
    if chrono::Utc::now().timestamp() - signed_in_at > ABSOLUTE_SESSION_SECONDS {
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
    if let (Some(throttle), Some(request)) = (
        use_context::<SharedThrottle>(),
        use_context::<http::request::Parts>(),
    ) {
        throttle
            .check(&email.trim().to_lowercase(), &request)
            .map_err(|_| AppError::Throttled)?;
    }
    let email = Email::parse("email", email).map_err(|_| refused())?;
    let credentials = store()?.credentials(&email).await?;
    let user_id = credentials.as_ref().map(|c| c.user_id);
    let ok = verify_password(credentials.map(|c| c.password_hash), password).await;
    let user_id = match (ok, user_id) {
        (true, Some(id)) => id,
        _ => return Err(refused()),
    };
    let session = session().await?;
    session.cycle_id().await.map_err(|_| AppError::Internal)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(|_| AppError::Internal)?;
    session
        .insert(SIGNED_IN_AT_KEY, chrono::Utc::now().timestamp())
        .await
        .map_err(|_| AppError::Internal)?;
    Ok(())
}

/// A new session id for the same member (after a password change): a copied cookie from
/// before no longer works.
pub async fn renew_session() -> Result<(), AppError> {
    session()
        .await?
        .cycle_id()
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
