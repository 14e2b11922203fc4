//! Realistic demo answers at any volume: a slowly improving NPS with a dip (a bad release),
//! weekly and yearly seasonality in volume, segments that really differ (mobile, checkout and
//! Germany below the rest, Finland above), and comments in five languages. Deterministic, so
//! every machine shows the same demo and benchmarks fill the same data.

use app::domain::{
    BrowserFamily, ConsentChoices, Country, DeviceClass, ImpressionKind, PagePath, Trigger,
    UsageContext,
};
use app::nps::Score;
use app::store::{Impression, PublicSite, SharedStore, StoredResponse};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use uuid::Uuid;

/// Answers per write: one transaction each, as the group commit would batch them.
const BATCH: usize = 5_000;
/// Above this many answers no impressions are generated (they would triple the fill time).
pub const MAX_WITH_IMPRESSIONS: u64 = 200_000;

/// PCG-style generator with a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
    fn weighted<T: Copy>(&mut self, items: &[(T, f64)]) -> T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return *item;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

const COUNTRIES: [(Option<&str>, f64); 7] = [
    (Some("FI"), 30.0),
    (Some("SE"), 20.0),
    (Some("DE"), 18.0),
    (Some("US"), 14.0),
    (Some("GB"), 9.0),
    (Some("AE"), 5.0),
    (None, 4.0),
];
const PAGES: [(&str, f64); 5] = [
    ("/", 30.0),
    ("/pricing", 25.0),
    ("/checkout", 20.0),
    ("/docs", 15.0),
    ("/blog/launch", 10.0),
];
const DEVICES: [(DeviceClass, f64); 3] = [
    (DeviceClass::Desktop, 55.0),
    (DeviceClass::Mobile, 40.0),
    (DeviceClass::Tablet, 5.0),
];
const BROWSERS: [(BrowserFamily, f64); 5] = [
    (BrowserFamily::Chrome, 55.0),
    (BrowserFamily::Safari, 20.0),
    (BrowserFamily::Firefox, 12.0),
    (BrowserFamily::Edge, 10.0),
    (BrowserFamily::Samsung, 3.0),
];
const TRIGGERS: [(Trigger, f64); 5] = [
    (Trigger::ArmedExit, 40.0),
    (Trigger::ExitIntent, 30.0),
    (Trigger::TimeOnSite, 15.0),
    (Trigger::MobileReturn, 10.0),
    (Trigger::Api, 5.0),
];

/// A language's comments: (language, detractors', passives', promoters').
type Comments = (
    &'static str,
    [&'static str; 3],
    [&'static str; 2],
    [&'static str; 3],
);

const COMMENTS: [Comments; 5] = [
    (
        "en",
        [
            "Checkout was far too slow",
            "Could not find the pricing for teams",
            "The page crashed when I paid",
        ],
        [
            "Fine, but search could be better",
            "Good enough, a bit pricey",
        ],
        [
            "Lovely and fast",
            "Great support, thanks!",
            "Everything just worked",
        ],
    ),
    (
        "fi",
        [
            "Kassa oli aivan liian hidas",
            "Hinnoittelu oli epäselvä",
            "Sivu kaatui maksaessa",
        ],
        ["Ihan hyvä, haku voisi olla parempi", "Toimii, mutta kallis"],
        ["Nopea ja helppo", "Loistava asiakaspalvelu", "Kaikki toimi"],
    ),
    (
        "sv",
        [
            "Kassan var alldeles för långsam",
            "Hittade inte priserna",
            "Sidan kraschade vid betalningen",
        ],
        ["Helt okej, sökningen kunde vara bättre", "Bra men dyrt"],
        ["Snabbt och smidigt", "Fantastisk support", "Allt fungerade"],
    ),
    (
        "de",
        [
            "Der Checkout war viel zu langsam",
            "Die Preise waren unklar",
            "Die Seite stürzte beim Bezahlen ab",
        ],
        ["Ganz gut, die Suche könnte besser sein", "Gut, aber teuer"],
        [
            "Schnell und einfach",
            "Toller Support",
            "Alles hat funktioniert",
        ],
    ),
    (
        "ar",
        [
            "الدفع كان بطيئًا جدًا",
            "لم أجد الأسعار",
            "تعطلت الصفحة أثناء الدفع",
        ],
        ["جيد، لكن البحث يمكن أن يكون أفضل", "جيد لكنه مكلف"],
        ["سريع وسهل", "دعم رائع", "كل شيء يعمل"],
    ),
];

fn language_of(country: Option<&str>) -> &'static str {
    match country {
        Some("FI") => "fi",
        Some("SE") => "sv",
        Some("DE") => "de",
        Some("AE") => "ar",
        _ => "en",
    }
}

/// How many answers a day gets, relative: fewer at weekends, more in late autumn.
fn volume_weight(day: DateTime<Utc>) -> f64 {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let season = 1.0 + 0.25 * (2.0 * std::f64::consts::PI * f64::from(day.ordinal()) / 365.0).cos();
    season * if weekend { 0.6 } else { 1.0 }
}

/// Promoter and detractor probabilities for an answer at `t` (0 = start, 1 = now).
fn propensity(
    t: f64,
    country: Option<&str>,
    device: DeviceClass,
    page: &str,
    errors: u16,
) -> (f64, f64) {
    let (mut p, mut d) = (0.48 + 0.06 * t, 0.22 - 0.04 * t);
    // The bad release: three weeks or so, a little after the middle of the range.
    if (0.55..0.62).contains(&t) {
        p -= 0.14;
        d += 0.16;
    }
    if device == DeviceClass::Mobile {
        p -= 0.08;
        d += 0.07;
    }
    match country {
        Some("FI") => {
            p += 0.07;
            d -= 0.05;
        }
        Some("DE") => {
            p -= 0.05;
            d += 0.05;
        }
        _ => {}
    }
    if page == "/checkout" {
        p -= 0.05;
        d += 0.08;
    }
    // A page that broke under the visitor: the clearest driver there is.
    if errors > 0 {
        p -= 0.15;
        d += 0.2;
    }
    (p.clamp(0.02, 0.95), d.clamp(0.02, 0.95))
}

/// Writes `count` answers over the `days` before `end`, oldest first, in batches.
/// Told how many answers are stored so far, after each batch: what a command's progress bar
/// shows. `QUIET` tells no one.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);
pub const QUIET: Progress<'static> = &|_| {};

pub async fn generate(
    store: &SharedStore,
    site: &PublicSite,
    count: u64,
    days: u32,
    end: DateTime<Utc>,
    progress: Progress<'_>,
) -> anyhow::Result<()> {
    let survey = site
        .default_survey
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the site has no survey"))?;
    let notice = site
        .current_notice
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the site's organisation has no privacy notice"))?;
    let days = days.max(1);
    let start = end - Duration::days(i64::from(days));
    let weights: Vec<f64> = (0..days)
        .map(|d| volume_weight(start + Duration::days(i64::from(d))))
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let with_impressions = count <= MAX_WITH_IMPRESSIONS;
    let mut rng = Rng(0x5eed);
    let mut batch = Vec::with_capacity(BATCH);
    // Whether a detractor has asked to be contacted yet (the first always does).
    let mut one_asked = false;
    let mut impressions = Vec::new();
    let mut generated = 0u64;
    let mut stored = 0u64;
    let mut carried = 0.0;
    // Answers made so far: the demo's plans are chosen by it (and the band), not the random
    // stream, so every other figure of the demo stays as it was.
    let mut generated_so_far = 0u64;
    for (d, weight) in weights.iter().enumerate() {
        // Whole answers per day, carrying the fractions so the total is exact.
        let share = count as f64 * weight / total_weight + carried;
        let mut today = share.floor() as u64;
        carried = share - today as f64;
        if d + 1 == weights.len() {
            today = count - generated;
        }
        generated += today;
        let day_start = start + Duration::days(d as i64);
        let mut offsets: Vec<i64> = (0..today)
            .map(|_| (rng.unit() * 86_400_000.0) as i64)
            .collect();
        offsets.sort_unstable();
        for offset in offsets {
            let at = day_start + Duration::milliseconds(offset);
            let t = (at - start).num_seconds() as f64 / (end - start).num_seconds().max(1) as f64;
            let country = rng.weighted(&COUNTRIES);
            let device = rng.weighted(&DEVICES);
            let page = rng.weighted(&PAGES);
            // The visit so far: most see a few pages, some many; one in 16 met an error.
            let pages_viewed = 1 + (rng.unit().powi(2) * 20.0) as u16;
            let seconds = u32::from(pages_viewed) * 25 + (rng.unit() * 120.0) as u32;
            let errors = if rng.unit() < 0.0625 {
                1 + (rng.next() % 3) as u16
            } else {
                0
            };
            let (p, dp) = propensity(t, country, device, page, errors);
            let x = rng.unit();
            let score = if x < p {
                9 + (rng.next() % 2) as u8
            } else if x < p + dp {
                // Detractors lean towards the middle of their band.
                [0u8, 1, 2, 3, 4, 5, 5, 6, 6, 6][(rng.next() % 10) as usize]
            } else {
                7 + (rng.next() % 2) as u8
            };
            let score = Score::try_from(score)?;
            let language = if rng.unit() < 0.9 {
                language_of(country)
            } else {
                "en"
            };
            let comment = (rng.unit() < 0.35).then(|| {
                let (_, detractor, passive, promoter) = COMMENTS
                    .iter()
                    .find(|c| c.0 == language)
                    .unwrap_or(&COMMENTS[0]);
                let pick = rng.next() as usize;
                match score.band() {
                    app::nps::Band::Detractor => detractor[pick % 3],
                    app::nps::Band::Passive => passive[pick % 2],
                    app::nps::Band::Promoter => promoter[pick % 3],
                }
                .to_string()
            });
            let trigger = rng.weighted(&TRIGGERS);
            let context = UsageContext {
                page_path: Some(PagePath::parse("path", page)?),
                referrer: None,
                trigger: Some(trigger),
                device: Some(device),
                browser: Some(rng.weighted(&BROWSERS)),
                country: country.and_then(Country::parse),
                pages_viewed: Some(pages_viewed),
                seconds_on_site: Some(app::domain::journey::seconds_bucket(seconds)),
                errors_seen: Some(errors),
                attributes: demo_plan(score, generated_so_far),
            };
            generated_so_far += 1;
            let id = Uuid::new_v4();
            // Some detractors who wrote a comment asked to be contacted: the first, then by
            // their place in the batch (not the random stream: the demo's figures stay).
            let asks = comment.is_some()
                && score.band() == app::nps::Band::Detractor
                && (!one_asked || batch.len() % 3 == 0);
            one_asked |= asks;
            let (choices, contact_email) = if asks {
                (
                    ConsentChoices::parse(
                        "choices",
                        [
                            (app::domain::IMPROVEMENT_PROGRAM, true),
                            (app::domain::CONTACT, true),
                        ],
                    )?,
                    Some(format!(
                        "visitor-{}@example.com",
                        &id.simple().to_string()[..8]
                    )),
                )
            } else if (generated_so_far - 1).is_multiple_of(4) {
                // Signed-in visitors who agreed to be identified: their company's account.
                (
                    ConsentChoices::parse(
                        "choices",
                        [
                            (app::domain::IMPROVEMENT_PROGRAM, true),
                            (app::domain::IDENTIFY, true),
                        ],
                    )?,
                    None,
                )
            } else {
                (ConsentChoices::improvement_program(), None)
            };
            let account_hash = (choices.granted(app::domain::IDENTIFY) == Some(true)).then(|| {
                let account =
                    DEMO_ACCOUNTS[((generated_so_far - 1) / 4) as usize % DEMO_ACCOUNTS.len()];
                app::tokens::identity_hash(&site.identity_secret, "account", account)
            });
            batch.push(StoredResponse {
                id,
                org_id: site.site.org_id,
                site_id: site.site.id,
                survey_id: survey.id,
                score,
                comment,
                language: Some(language.to_string()),
                received_at: at,
                notice_id: notice.id,
                choices,
                context: context.clone(),
                respondent_id: Some(Uuid::new_v4()),
                contact_email,
                edit_secret_hash: None,
                reason: None,
                user_hash: None,
                account_hash,
            });
            if with_impressions {
                let event = |kind, at| Impression {
                    id: Uuid::new_v4(),
                    org_id: site.site.org_id,
                    site_id: site.site.id,
                    survey_id: survey.id,
                    kind,
                    // The visitor was asked in the context they answered in.
                    language: Some(language.to_string()),
                    context: context.clone(),
                    at,
                };
                impressions.push(event(ImpressionKind::Shown, at - Duration::seconds(40)));
                impressions.push(event(ImpressionKind::Answered, at));
                // About a third of the surveys shown are closed unanswered.
                if rng.unit() < 0.6 {
                    let earlier = at - Duration::minutes(30);
                    impressions.push(event(ImpressionKind::Shown, earlier));
                    impressions.push(event(ImpressionKind::Dismissed, earlier));
                }
            }
            if batch.len() == BATCH {
                store.insert_responses(&batch).await?;
                stored += batch.len() as u64;
                progress(stored);
                batch.clear();
                if !impressions.is_empty() {
                    store.insert_impressions(&impressions).await?;
                    impressions.clear();
                }
            }
        }
    }
    if !batch.is_empty() {
        store.insert_responses(&batch).await?;
    }
    if !impressions.is_empty() {
        store.insert_impressions(&impressions).await?;
    }
    progress(count);
    // Counted here rather than left to a server's counting task: this may run without one.
    crate::store::count_waiting(store.as_ref(), usize::MAX).await?;
    Ok(())
}

/// The demo site's attribute `plan`: promoters are more often on "pro", by position.
fn demo_plan(score: Score, n: u64) -> app::domain::Attributes {
    use app::nps::Band;
    let plan = match (score.band(), n % 4) {
        (Band::Promoter, 0 | 1) | (Band::Detractor, 0) => "pro",
        (_, 3) => "team",
        _ => "free",
    };
    app::domain::Attributes::parse("attributes", [("plan", plan)]).unwrap_or_default()
}

/// The demo's customer accounts (a B2B shop's), as its pages would pass them.
const DEMO_ACCOUNTS: [&str; 8] = [
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell",
];
