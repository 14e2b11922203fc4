//! Creating organisations, members and demo data from the command line.

use crate::demo_data::Progress;
use crate::tokens;
use app::auth::hash_password;
use app::domain::{Email, Password, Role};
use app::store::{Organisation, SharedStore, Site};
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

pub const DEMO_EMAIL: &str = "admin@demo.example";
/// Demo answers are spread over this many days before now.
pub const DEMO_DAYS: u32 = 365;

/// What the demo command made, printed once: the password and token are not stored readable.
#[derive(Debug, Serialize)]
pub struct DemoCreated {
    pub organisation: String,
    pub organisation_id: Uuid,
    pub site_id: Uuid,
    pub site_key: String,
    pub email: String,
    pub password: String,
    pub api_token: String,
    pub responses: u32,
}

pub async fn create_admin(
    store: &SharedStore,
    organisation: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<(Organisation, Uuid)> {
    let email = Email::parse("email", email)?;
    let password = Password::parse("password", password)?;
    let hash = hash_password(&password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = store.create_user(&email, &hash).await?;
    let org = store.create_organisation(organisation).await?;
    store.add_member(org.id, user, Role::Owner).await?;
    Ok((org, user))
}

const DEMO_NOTICE: &str = "Demo Company collects your answers to improve its website. \
We store your score, your comment if you write one, the page path you were on (never its \
query string), your device class and browser family, and the language of your browser. We \
never store your IP address or what you were reading. You may opt out of the improvement \
program at any time.";

pub async fn demo(
    store: &SharedStore,
    password: Option<String>,
    responses: u32,
    origins: &[String],
    progress: Progress<'_>,
) -> anyhow::Result<DemoCreated> {
    let named = DemoNames {
        organisation: "Demo Company",
        email: DEMO_EMAIL,
    };
    demo_named(store, named, password, responses, origins, progress).await
}

/// Whose demo: tests make several side by side.
pub struct DemoNames<'a> {
    pub organisation: &'a str,
    pub email: &'a str,
}

/// Replaces the settings of a site's first survey.
pub async fn configure_survey(
    store: &SharedStore,
    site_key: &str,
    settings_json: &str,
) -> anyhow::Result<()> {
    let settings = app::domain::SurveySettings::parse_json(settings_json)?;
    let site = store
        .public_site(&app::domain::SiteKey::parse("site-key", site_key)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site with key {site_key}"))?;
    let survey = site
        .default_survey
        .ok_or_else(|| anyhow::anyhow!("site {site_key} has no survey"))?;
    let updated = store
        .update_survey(
            site.site.org_id,
            survey.id,
            &app::store::SurveyUpdate {
                name: &survey.name,
                product_name: &survey.product_name,
                settings: &settings,
            },
        )
        .await?;
    anyhow::ensure!(updated, "the survey of site {site_key} is gone");
    Ok(())
}

/// Declares the attributes a site takes; the cap stays as it was unless given.
pub async fn configure_site(
    store: &SharedStore,
    site_key: &str,
    keys: &str,
    value_cap: Option<u32>,
) -> anyhow::Result<app::domain::AttributeSettings> {
    let site = store
        .public_site(&app::domain::SiteKey::parse("site-key", site_key)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site with key {site_key}"))?;
    let cap = value_cap.unwrap_or(site.attributes.value_cap).to_string();
    let settings = app::domain::AttributeSettings::parse(keys, &cap)?;
    let updated = store
        .set_site_attributes(site.site.org_id, site.site.id, &settings, false)
        .await?;
    anyhow::ensure!(updated, "the site {site_key} is gone");
    Ok(settings)
}

/// The demo organisation under another name and admin (tests make several side by side).
pub async fn demo_named(
    store: &SharedStore,
    names: DemoNames<'_>,
    password: Option<String>,
    responses: u32,
    origins: &[String],
    progress: Progress<'_>,
) -> anyhow::Result<DemoCreated> {
    let DemoNames {
        organisation,
        email,
    } = names;
    let password = password.unwrap_or_else(|| tokens::random_hex(9));
    let (org, _) = create_admin(store, organisation, email, &password).await?;
    let site: Site = store.create_site(org.id, "Demo shop", origins).await?;
    store
        .create_survey(org.id, site.id, "Exit survey", "Demo shop")
        .await?;
    store.publish_notice(org.id, "en", DEMO_NOTICE).await?;
    // The demo's answers carry a plan, so its dashboard has a segment by attribute.
    store
        .set_site_attributes(
            org.id,
            site.id,
            &app::domain::AttributeSettings::parse("plan", "")?,
            false,
        )
        .await?;
    let (api_token, token_hash) = tokens::new_api_token();
    store.create_api_token(org.id, "demo", &token_hash).await?;
    let site_key = &site.site_key;
    generate_answers(store, site_key, u64::from(responses), DEMO_DAYS, progress).await?;
    Ok(DemoCreated {
        organisation: org.name,
        organisation_id: org.id,
        site_id: site.id,
        site_key: site.site_key,
        email: email.to_string(),
        password,
        api_token,
        responses,
    })
}

/// Realistic answers over the last `days` days (see `demo_data`).
pub async fn generate_answers(
    store: &SharedStore,
    site_key: &str,
    count: u64,
    days: u32,
    progress: Progress<'_>,
) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let site = app::ingest::find_site(store.as_ref(), site_key).await?;
    crate::demo_data::generate(store, &site, count, days, Utc::now(), progress).await
}

/// A single-use invitation to `org` with `role`; returns the link's path (`/invite/…`).
pub async fn invite(store: &SharedStore, org: Uuid, role: &str) -> anyhow::Result<String> {
    let role =
        Role::parse(role).ok_or_else(|| anyhow::anyhow!("role must be owner, admin or viewer"))?;
    let (token, hash) = tokens::new_invitation_token();
    let expires = Utc::now() + chrono::Duration::days(app::admin::INVITATION_DAYS);
    let id = store
        .create_invitation(org, role, &hash, owner_of(store, org).await?, expires)
        .await?;
    store
        .record_audit(&app::store::AuditEntry {
            org_id: org,
            actor: None,
            action: "invitation.create".into(),
            subject: format!("{id} as {} (command line)", role.as_str()),
            at: Utc::now(),
        })
        .await?;
    Ok(format!("/invite/{token}"))
}

/// Invitations name who invited; from the command line that is the organisation's first owner.
async fn owner_of(store: &SharedStore, org: Uuid) -> anyhow::Result<Uuid> {
    store
        .members(org)
        .await?
        .into_iter()
        .find(|m| m.role == Role::Owner)
        .map(|m| m.user_id)
        .ok_or_else(|| anyhow::anyhow!("no organisation {org} with an owner"))
}
