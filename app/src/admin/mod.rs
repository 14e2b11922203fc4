//! Administration: members and invitations, API tokens, sites and their embed snippets,
//! surveys, privacy notice versions, and (for owners) the audit log. Every server function
//! checks the caller's role in the organisation named: another organisation is `NotFound`, a
//! viewer is `Forbidden`.

mod forms;
mod view;

pub use view::{AccountPage, AdminPage, InvitePage};

use crate::domain::{
    ApiTokenRecord, DeliveryRecord, InvitationRecord, MemberRecord, ShareLinkRecord, WebhookRecord,
};
use crate::domain::{Role, SurveySettings};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Administration {
    /// `https://host`: what the embed snippet and invitation links start with.
    pub base_url: String,
    pub organisations: Vec<OrganisationAdmin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganisationAdmin {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub me: Uuid,
    pub members: Vec<MemberRecord>,
    pub invitations: Vec<InvitationRecord>,
    pub tokens: Vec<ApiTokenRecord>,
    pub sites: Vec<SiteAdmin>,
    pub notices: Vec<NoticeRow>,
    /// Raw answers are deleted after this many days (aggregates stay).
    pub retention_days: Option<u32>,
    pub share_links: Vec<ShareLinkRecord>,
    /// Share links never show a group of fewer answers than this.
    pub share_k: u32,
    /// Share links' reports end at the last complete day in this zone.
    pub share_time_zone: String,
    pub webhooks: Vec<WebhookRecord>,
    /// The newest deliveries, for the history.
    pub deliveries: Vec<DeliveryRecord>,
    /// Owners only.
    pub audit: Vec<AuditRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteAdmin {
    pub id: Uuid,
    pub name: String,
    pub site_key: String,
    pub allowed_origins: Vec<String>,
    pub surveys: Vec<SurveyAdmin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyAdmin {
    pub id: Uuid,
    pub name: String,
    pub product_name: String,
    pub settings: SurveySettings,
}

/// A published notice version as the administration lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeRow {
    pub id: Uuid,
    pub version: u32,
    pub language: String,
    pub published_at: DateTime<Utc>,
    pub content_hash: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
}

/// The invitation a link stands for, as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org_name: String,
    pub role: Role,
    pub usable: bool,
    pub signed_in: bool,
}

#[cfg(feature = "ssr")]
mod guard {
    use super::*;
    use crate::auth::Member;
    use crate::store::{AuditEntry, Membership, SharedStore};

    /// A member acting on one organisation with at least `needed` rights.
    pub struct Acting {
        pub member: Member,
        pub membership: Membership,
        pub store: SharedStore,
    }

    fn rank(role: Role) -> u8 {
        match role {
            Role::Viewer => 0,
            Role::Admin => 1,
            Role::Owner => 2,
        }
    }

    pub fn at_least(role: Role, needed: Role) -> bool {
        rank(role) >= rank(needed)
    }

    pub async fn acting(org: &str, needed: Role) -> Result<Acting, AppError> {
        let member = crate::auth::require_member().await?;
        let store = crate::auth::store()?;
        let org = Uuid::parse_str(org.trim()).map_err(|_| AppError::NotFound)?;
        let membership = member
            .memberships
            .iter()
            .find(|m| m.org_id == org)
            .cloned()
            .ok_or(AppError::NotFound)?;
        if !at_least(membership.role, needed) {
            return Err(AppError::Forbidden);
        }
        Ok(Acting {
            member,
            membership,
            store,
        })
    }

    impl Acting {
        pub fn org(&self) -> Uuid {
            self.membership.org_id
        }

        /// Writes the audit entry for an action that was carried out.
        pub async fn audit(
            &self,
            action: &str,
            subject: impl Into<String>,
        ) -> Result<(), AppError> {
            self.store
                .record_audit(&AuditEntry {
                    org_id: self.org(),
                    actor: Some(self.member.user_id),
                    action: action.to_string(),
                    subject: subject.into(),
                    at: Utc::now(),
                })
                .await?;
            Ok(())
        }
    }

    /// `https://host` of the request (plain http only for loopback development).
    pub async fn base_url() -> String {
        let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string();
        let local = host.starts_with("localhost") || host.starts_with("127.");
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| if local { "http".into() } else { "https".into() });
        format!("{proto}://{host}")
    }
}

#[cfg(feature = "ssr")]
use guard::{acting, at_least, base_url};

#[cfg(feature = "ssr")]
fn parse_id(field: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::invalid(field, "is not an id"))
}

#[cfg(feature = "ssr")]
fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw.trim())
        .ok_or_else(|| AppError::invalid("role", "must be owner, admin or viewer"))
}

#[server(prefix = "/fn", endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<Administration, AppError> {
    let result = async {
        let member = crate::auth::require_member().await?;
        let store = crate::auth::store()?;
        let mut organisations = vec![];
        for m in member
            .memberships
            .iter()
            .filter(|m| at_least(m.role, Role::Admin))
        {
            let members = store.members(m.org_id).await?;
            let audit = if m.role == Role::Owner {
                let emails: std::collections::HashMap<Uuid, String> = members
                    .iter()
                    .map(|r| (r.user_id, r.email.clone()))
                    .collect();
                store
                    .audit_log(m.org_id, 100)
                    .await?
                    .into_iter()
                    .map(|e| AuditRow {
                        at: e.at,
                        actor: e
                            .actor
                            .map(|a| {
                                emails
                                    .get(&a)
                                    .cloned()
                                    .unwrap_or_else(|| "a former member".into())
                            })
                            .unwrap_or_else(|| "Farewell".into()),
                        action: e.action,
                        subject: e.subject,
                    })
                    .collect()
            } else {
                vec![]
            };
            let mut sites = vec![];
            for site in store.sites(m.org_id).await? {
                let surveys = store
                    .surveys(m.org_id, site.id)
                    .await?
                    .into_iter()
                    .map(|s| SurveyAdmin {
                        id: s.id,
                        name: s.name,
                        product_name: s.product_name,
                        settings: s.settings,
                    })
                    .collect();
                sites.push(SiteAdmin {
                    id: site.id,
                    name: site.name,
                    site_key: site.site_key,
                    allowed_origins: site.allowed_origins,
                    surveys,
                });
            }
            let share = store.share_settings(m.org_id).await?;
            organisations.push(OrganisationAdmin {
                id: m.org_id,
                name: m.org_name.clone(),
                role: m.role,
                me: member.user_id,
                members,
                invitations: store.pending_invitations(m.org_id, Utc::now()).await?,
                retention_days: store.retention_days(m.org_id).await?,
                share_links: store.share_links(m.org_id).await?,
                share_k: share.k,
                share_time_zone: share.time_zone,
                webhooks: store.webhooks(m.org_id).await?,
                deliveries: store.deliveries(m.org_id, 30).await?,
                tokens: store.api_tokens(m.org_id).await?,
                sites,
                notices: store
                    .notices(m.org_id)
                    .await?
                    .into_iter()
                    .map(|n| NoticeRow {
                        id: n.id,
                        version: n.version,
                        language: n.language,
                        published_at: n.published_at,
                        content_hash: n.content_hash,
                    })
                    .collect(),
                audit,
            });
        }
        Ok(Administration {
            base_url: base_url().await,
            organisations,
        })
    }
    .await;
    if matches!(result, Err(AppError::Unauthorized)) {
        leptos_axum::redirect("/login");
    }
    result
}

/// Creates a single-use invitation link; returns its path (`/invite/inv_…`), shown once.
#[server(prefix = "/fn", endpoint = "invite_member")]
pub async fn invite_member(org: String, role: String) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let role = parse_role(&role)?;
            // Only an owner may invite another owner.
            let who = acting(
                &org,
                if role == Role::Owner {
                    Role::Owner
                } else {
                    Role::Admin
                },
            )
            .await?;
            let (token, hash) = crate::tokens::new_invitation_token();
            let expires = Utc::now() + chrono::Duration::days(INVITATION_DAYS);
            let id = who
                .store
                .create_invitation(who.org(), role, &hash, who.member.user_id, expires)
                .await?;
            who.audit("invitation.create", format!("{id} as {}", role.as_str()))
                .await?;
            Ok(format!("/invite/{token}"))
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let id = parse_id("id", &id)?;
            if !who
                .store
                .revoke_invitation(who.org(), id, Utc::now())
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("invitation.revoke", id.to_string()).await
        }
        .await,
    )
}

/// Changes a member's role. Owners are changed only by owners, and the last owner stays.
#[server(prefix = "/fn", endpoint = "change_role")]
pub async fn change_role(org: String, user: String, role: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let user = parse_id("user", &user)?;
            let role = parse_role(&role)?;
            let members = who.store.members(who.org()).await?;
            let target = members
                .iter()
                .find(|m| m.user_id == user)
                .ok_or(AppError::NotFound)?;
            if (target.role == Role::Owner || role == Role::Owner)
                && who.membership.role != Role::Owner
            {
                return Err(AppError::Forbidden);
            }
            if target.role == Role::Owner && role != Role::Owner && owners(&members) == 1 {
                return Err(AppError::invalid(
                    "role",
                    "an organisation keeps at least one owner",
                ));
            }
            who.store.set_member_role(who.org(), user, role).await?;
            who.audit("member.role", format!("{user} to {}", role.as_str()))
                .await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn owners(members: &[MemberRecord]) -> usize {
    members.iter().filter(|m| m.role == Role::Owner).count()
}

#[server(prefix = "/fn", endpoint = "remove_member")]
pub async fn remove_member(org: String, user: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let user = parse_id("user", &user)?;
            let members = who.store.members(who.org()).await?;
            let target = members
                .iter()
                .find(|m| m.user_id == user)
                .ok_or(AppError::NotFound)?;
            if target.role == Role::Owner {
                if who.membership.role != Role::Owner {
                    return Err(AppError::Forbidden);
                }
                if owners(&members) == 1 {
                    return Err(AppError::invalid(
                        "user",
                        "an organisation keeps at least one owner",
                    ));
                }
            }
            who.store.remove_member(who.org(), user).await?;
            // Signed out everywhere at once, not only when their cookie next expires.
            who.store.delete_user_sessions(user).await?;
            who.audit("member.remove", user.to_string()).await
        }
        .await,
    )
}

/// Creates an API token; the token is returned once and stored only as a hash.
#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(org: String, name: String) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let name = forms::name("name", &name)?;
            let (token, hash) = crate::tokens::new_api_token();
            who.store.create_api_token(who.org(), &name, &hash).await?;
            who.audit("token.create", name).await?;
            Ok(token)
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let id = parse_id("id", &id)?;
            if !who
                .store
                .revoke_api_token(who.org(), id, Utc::now())
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("token.revoke", id.to_string()).await
        }
        .await,
    )
}

/// A new site with one survey, ready to embed.
#[server(prefix = "/fn", endpoint = "create_site")]
pub async fn create_site(org: String, name: String, origins: String) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let name = forms::name("name", &name)?;
            let origins = forms::origins(&origins)?;
            let site = who.store.create_site(who.org(), &name, &origins).await?;
            who.store
                .create_survey(who.org(), site.id, "Exit survey", &name)
                .await?;
            who.audit("site.create", site.id.to_string()).await?;
            Ok(site.site_key)
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "update_site")]
pub async fn update_site(
    org: String,
    site: String,
    name: String,
    origins: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let site = parse_id("site", &site)?;
            let name = forms::name("name", &name)?;
            let origins = forms::origins(&origins)?;
            if !who
                .store
                .update_site(who.org(), site, &name, &origins)
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("site.update", site.to_string()).await
        }
        .await,
    )
}

/// Gives the site a new public key: embeds with the old key stop working at once.
#[server(prefix = "/fn", endpoint = "rotate_site_key")]
pub async fn rotate_site_key(org: String, site: String) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let site = parse_id("site", &site)?;
            let key = who
                .store
                .rotate_site_key(who.org(), site)
                .await?
                .ok_or(AppError::NotFound)?;
            who.audit("site.rotate_key", site.to_string()).await?;
            Ok(key)
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "update_survey")]
pub async fn update_survey(org: String, form: forms::SurveyForm) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let survey = parse_id("survey", &form.survey)?;
            let (name, product, settings) = form.parse()?;
            if !who
                .store
                .update_survey(
                    who.org(),
                    survey,
                    &crate::store::SurveyUpdate {
                        name: &name,
                        product_name: &product,
                        settings: &settings,
                    },
                )
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("survey.update", survey.to_string()).await
        }
        .await,
    )
}

/// Publishes the next notice version; earlier versions stay exactly as they were.
#[server(prefix = "/fn", endpoint = "publish_notice")]
pub async fn publish_notice(org: String, language: String, body: String) -> Result<u32, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let language = crate::domain::Language::parse("language", language.trim())?;
            let body = body.trim();
            if body.is_empty() || body.chars().count() > 20_000 {
                return Err(AppError::invalid("body", "must be 1 to 20000 characters"));
            }
            if body
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(AppError::invalid(
                    "body",
                    "must not contain control characters",
                ));
            }
            let notice = who
                .store
                .publish_notice(who.org(), language.as_str(), body)
                .await?;
            who.audit("notice.publish", format!("version {}", notice.version))
                .await?;
            Ok(notice.version)
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let member = crate::auth::require_member().await?;
            let store = crate::auth::store()?;
            let new = crate::domain::Password::parse("new", &new)?;
            let stored = store.user_password_hash(member.user_id).await?;
            if !crate::auth::verify_password(stored, current).await? {
                return Err(AppError::invalid("current", "is not your current password"));
            }
            let hash = crate::auth::hash_password(&new).await?;
            store.set_password_hash(member.user_id, &hash).await?;
            // Every session of this member ends (one opened with the old password may be
            // someone else's); this one goes on under a new id, written at the end of the
            // request, after the others were deleted.
            store.delete_user_sessions(member.user_id).await?;
            crate::auth::renew_session(&hash).await?;
            for m in &member.memberships {
                store
                    .record_audit(&crate::store::AuditEntry {
                        org_id: m.org_id,
                        actor: Some(member.user_id),
                        action: "account.password".into(),
                        subject: member.user_id.to_string(),
                        at: Utc::now(),
                    })
                    .await?;
            }
            Ok(())
        }
        .await,
    )
}

/// What an admin searches a data-subject request by: a respondent id and/or an e-mail.
pub fn search_terms(
    respondent: &str,
    email: &str,
) -> Result<(Option<Uuid>, Option<String>), crate::domain::FieldError> {
    let respondent = match respondent.trim() {
        "" => None,
        r => Some(Uuid::parse_str(r).map_err(|_| {
            crate::domain::FieldError::new("respondent", "must be a respondent id (UUID)")
        })?),
    };
    let email = match email.trim() {
        "" => None,
        e => Some(
            crate::domain::Email::parse("email", e)?
                .as_str()
                .to_string(),
        ),
    };
    if respondent.is_none() && email.is_none() {
        return Err(crate::domain::FieldError::new(
            "respondent",
            "give a respondent id or an e-mail",
        ));
    }
    Ok((respondent, email))
}

/// An admin's search for one person's answers (a data-subject request).
#[server(prefix = "/fn", endpoint = "find_answers")]
pub async fn find_answers(
    org: String,
    #[server(default)] respondent: String,
    #[server(default)] email: String,
) -> Result<Vec<crate::report::Verbatim>, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let (respondent, email) = search_terms(&respondent, &email)?;
            Ok(who
                .store
                .find_answers(who.org(), respondent, email.as_deref())
                .await?)
        }
        .await,
    )
}

/// Erases every answer the search finds, with their search entries, tags and aggregate counts.
#[server(prefix = "/fn", endpoint = "erase_answers")]
pub async fn erase_answers(
    org: String,
    #[server(default)] respondent: String,
    #[server(default)] email: String,
) -> Result<u64, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let (respondent, email) = search_terms(&respondent, &email)?;
            let ids: Vec<Uuid> = who
                .store
                .find_answers(who.org(), respondent, email.as_deref())
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            let erased = who.store.erase_answers(who.org(), &ids).await?;
            who.audit("erasure.admin", format!("{erased} answers"))
                .await?;
            Ok(erased)
        }
        .await,
    )
}

/// Keep raw answers this many days (empty: until erased); aggregates are kept either way.
#[server(prefix = "/fn", endpoint = "set_retention")]
pub async fn set_retention(org: String, #[server(default)] days: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let days = match days.trim() {
                "" => None,
                d => match d.parse::<u32>() {
                    Ok(n @ 1..=36500) => Some(n),
                    _ => {
                        return Err(AppError::invalid(
                            "days",
                            "must be 1 to 36500 days, or empty",
                        ))
                    }
                },
            };
            who.store.set_retention_days(who.org(), days).await?;
            who.audit(
                "retention.set",
                days.map(|d| format!("{d} days"))
                    .unwrap_or_else(|| "none".into()),
            )
            .await
        }
        .await,
    )
}

/// A revocable, unguessable link to the site's aggregated report over the last `days` days.
#[server(prefix = "/fn", endpoint = "create_share_link")]
pub async fn create_share_link(
    org: String,
    site: String,
    days: String,
) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let site = parse_id("site", &site)?;
            let days = match days.trim().parse::<u32>() {
                Ok(d @ 1..=3660) => d,
                _ => return Err(AppError::invalid("days", "must be 1 to 3660")),
            };
            let (token, hash) = crate::tokens::new_share_token();
            let id = who
                .store
                .create_share_link(who.org(), site, &hash, days)
                .await?
                .ok_or(AppError::NotFound)?;
            who.audit("share.create", format!("{id} for site {site}, {days} days"))
                .await?;
            Ok(format!("/share/{token}"))
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "revoke_share_link")]
pub async fn revoke_share_link(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let id = parse_id("id", &id)?;
            if !who
                .store
                .revoke_share_link(who.org(), id, Utc::now())
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("share.revoke", id.to_string()).await
        }
        .await,
    )
}

/// The smallest group a share link may show (at least 2; 10 by default), and the zone whose
/// last complete day its reports end on.
#[server(prefix = "/fn", endpoint = "set_share_k")]
pub async fn set_share_k(
    org: String,
    k: String,
    #[server(default)] time_zone: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let k = match k.trim().parse::<u32>() {
                Ok(k @ 2..=1000) => k,
                _ => return Err(AppError::invalid("k", "must be 2 to 1000")),
            };
            let mut settings = who.store.share_settings(who.org()).await?;
            if let Some(zone) = time_zone.filter(|z| !z.trim().is_empty()) {
                let zone = zone.trim();
                crate::report::periods::zone(zone)
                    .map_err(|_| AppError::invalid("time_zone", "is not a known time zone"))?;
                settings.time_zone = zone.to_string();
            }
            settings.k = k;
            who.store.set_share_settings(who.org(), &settings).await?;
            who.audit("share.k", format!("{k} {}", settings.time_zone))
                .await
        }
        .await,
    )
}

/// A webhook for the ticked events. Returns the signing secret, shown once.
/// A webhook destination as saved: its shape, and every address its name resolves to now (the
/// delivery checks again, on the address it connects to).
#[cfg(feature = "ssr")]
async fn checked_webhook_url(
    raw: &str,
    rules: crate::domain::WebhookRules,
) -> Result<crate::domain::WebhookUrl, AppError> {
    let url = crate::domain::WebhookUrl::parse(raw, rules)?;
    if let Some((host, port)) = url.host_to_resolve() {
        let addresses: Vec<std::net::IpAddr> = tokio::net::lookup_host((host, port))
            .await
            .map(|found| found.map(|a| a.ip()).collect())
            .unwrap_or_default();
        crate::domain::check_resolved(&addresses, rules)?;
    }
    Ok(url)
}

#[server(prefix = "/fn", endpoint = "create_webhook")]
pub async fn create_webhook(
    org: String,
    url: String,
    #[server(default)] response_created: Option<String>,
    #[server(default)] detractor_received: Option<String>,
) -> Result<String, AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let rules = use_context::<crate::domain::WebhookRules>().unwrap_or_default();
            let url = checked_webhook_url(&url, rules).await?;
            let mut events = vec![];
            if response_created.is_some() {
                events.push("response.created".to_string());
            }
            if detractor_received.is_some() {
                events.push("detractor.received".to_string());
            }
            if events.is_empty() {
                return Err(AppError::invalid("events", "choose at least one event"));
            }
            let secret = format!("whsec_{}", crate::tokens::random_hex(24));
            let id = who
                .store
                .create_webhook(who.org(), url.as_str(), &secret, &events)
                .await?;
            who.audit("webhook.create", format!("{id} for {}", events.join(",")))
                .await?;
            Ok(secret)
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "revoke_webhook")]
pub async fn revoke_webhook(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let id = parse_id("id", &id)?;
            if !who.store.revoke_webhook(who.org(), id, Utc::now()).await? {
                return Err(AppError::NotFound);
            }
            who.audit("webhook.revoke", id.to_string()).await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "load_invitation")]
pub async fn load_invitation(token: String) -> Result<InvitationView, AppError> {
    let invitation = find_invitation(&token).await?;
    let signed_in = crate::auth::require_member().await.is_ok();
    Ok(InvitationView {
        org_name: invitation.org_name,
        role: invitation.role,
        usable: !invitation.accepted && !invitation.revoked && invitation.expires_at > Utc::now(),
        signed_in,
    })
}

#[cfg(feature = "ssr")]
async fn find_invitation(token: &str) -> Result<InvitationRecord, AppError> {
    let token = token.trim();
    if !token.starts_with(crate::tokens::INVITATION_PREFIX) || token.len() > 100 {
        return Err(AppError::NotFound);
    }
    crate::auth::store()?
        .invitation_by_token(&crate::tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(AppError::NotFound)
}

/// Joins the invitation's organisation. Signed in: as that member. Otherwise with the e-mail
/// and password given: an existing account signs in (throttled like the sign-in form), a new
/// e-mail creates an account.
#[server(prefix = "/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    #[server(default)] email: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    let result = async {
        let invitation = find_invitation(&token).await?;
        let store = crate::auth::store()?;
        let user = match crate::auth::require_member().await {
            Ok(member) => member.user_id,
            Err(AppError::Unauthorized) => {
                let address = crate::domain::Email::parse("email", &email)?;
                if store.credentials(&address).await?.is_none() {
                    let password = crate::domain::Password::parse("password", &password)?;
                    let hash = crate::auth::hash_password(&password).await?;
                    match store.create_user(&address, &hash).await {
                        Ok(_) | Err(crate::store::StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                crate::auth::sign_in(&email, password).await?;
                crate::auth::require_member().await?.user_id
            }
            Err(e) => return Err(e),
        };
        if !store
            .accept_invitation(invitation.id, user, Utc::now())
            .await?
        {
            return Err(AppError::invalid(
                "token",
                "this invitation was used, revoked or has expired",
            ));
        }
        store
            .record_audit(&crate::store::AuditEntry {
                org_id: invitation.org_id,
                actor: Some(user),
                action: "invitation.accept".into(),
                subject: format!("{} as {}", invitation.id, invitation.role.as_str()),
                at: Utc::now(),
            })
            .await?;
        Ok(())
    }
    .await;
    if result.is_ok() {
        leptos_axum::redirect("/dashboard");
    }
    crate::error::with_status(result)
}
