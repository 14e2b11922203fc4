//! Creating organisations, members and demo data from the command line.

use crate::tokens;
use app::auth::hash_password;
use app::domain::{
    ConsentChoices, DeviceClass, Email, NewResponse, PagePath, Password, Role, UsageContext,
};
use app::ingest::record_response;
use app::nps::Score;
use app::store::{Direct, Organisation, SharedStore, Site};
use chrono::{Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

pub const DEMO_EMAIL: &str = "admin@demo.example";

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
) -> anyhow::Result<DemoCreated> {
    demo_named(
        store,
        "Demo Company",
        DEMO_EMAIL,
        password,
        responses,
        origins,
    )
    .await
}

/// Replaces the settings of a site's first survey.
pub async fn configure_survey(
    store: &SharedStore,
    site_key: &str,
    settings_json: &str,
) -> anyhow::Result<()> {
    let settings = app::domain::SurveySettings::parse_json(settings_json)?;
    let site = store
        .public_site(site_key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site with key {site_key}"))?;
    let survey = site
        .default_survey
        .ok_or_else(|| anyhow::anyhow!("site {site_key} has no survey"))?;
    store
        .update_survey_settings(site.site.org_id, survey.id, &settings)
        .await?;
    Ok(())
}

/// The demo organisation under another name and admin (tests make several side by side).
pub async fn demo_named(
    store: &SharedStore,
    organisation: &str,
    email: &str,
    password: Option<String>,
    responses: u32,
    origins: &[String],
) -> anyhow::Result<DemoCreated> {
    let password = password.unwrap_or_else(|| tokens::random_hex(9));
    let (org, _) = create_admin(store, organisation, email, &password).await?;
    let site: Site = store.create_site(org.id, "Demo shop", origins).await?;
    store
        .create_survey(org.id, site.id, "Exit survey", "Demo shop")
        .await?;
    store.publish_notice(org.id, "en", DEMO_NOTICE).await?;
    let (api_token, token_hash) = tokens::new_api_token();
    store.create_api_token(org.id, "demo", &token_hash).await?;
    generate_answers(store, &site.site_key, responses).await?;
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

/// Deterministic pseudo-random answers (a linear congruential generator, so demo data is the
/// same on every machine) spread over the last 90 days.
async fn generate_answers(store: &SharedStore, site_key: &str, count: u32) -> anyhow::Result<()> {
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let paths = ["/", "/pricing", "/checkout", "/blog/launch"];
    let now = Utc::now();
    let sink = Direct(store.clone());
    let site = app::ingest::find_site(store.as_ref(), site_key).await?;
    for _ in 0..count {
        // Skewed toward the upper half of the scale, as real NPS answers are.
        let score = Score::try_from(
            ((next() % 11) + (next() % 11)).div_ceil(2).min(10) as u8 + (next() % 2) as u8,
        )
        .unwrap_or_else(|_| Score::try_from(10u8).expect("10 is a score"));
        let context = UsageContext {
            page_path: Some(PagePath::parse("path", paths[(next() % 4) as usize])?),
            device: Some(if next() % 3 == 0 {
                DeviceClass::Mobile
            } else {
                DeviceClass::Desktop
            }),
            ..UsageContext::default()
        };
        let answer = NewResponse {
            id: Uuid::new_v4(),
            site_key: site_key.to_string(),
            survey: None,
            score,
            comment: None,
            language: None,
            notice_version: None,
            choices: ConsentChoices::improvement_program(),
            context,
            respondent: Some(Uuid::new_v4()),
            contact_email: None,
        };
        let received = now - Duration::minutes(i64::from(next() % (90 * 24 * 60)));
        record_response(store.as_ref(), &sink, &site, answer, received).await?;
    }
    Ok(())
}
