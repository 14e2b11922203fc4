//! The dashboard's figures: pre-aggregates against a recount of the raw answers, verbatims
//! search and tags, exports and the reporting API, and who may see what.

use crate::both_backends;
use crate::helpers::{json, TestApp, PASSWORD};
use app::domain::journey;
use app::domain::{
    BrowserFamily, ConsentChoices, Country, DeviceClass, Language, PagePath, ResponseAmendment,
    Trigger, UsageContext,
};
use app::nps::{Score, ScoreCounts};
use app::report::periods::{periods, range, zone};
use app::report::{Dimension, Granularity, SegmentFilter, Tag};
use app::store::{AnswerFilter, StoredResponse, VerbatimQuery};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use farewell::provision::DemoCreated;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// xorshift64*: reproducible test data without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const COUNTRIES: [Option<&str>; 4] = [None, Some("FI"), Some("SE"), Some("DE")];
const DEVICES: [Option<&str>; 3] = [None, Some("desktop"), Some("mobile")];
const BROWSERS: [Option<&str>; 3] = [None, Some("chrome"), Some("firefox")];
const LANGUAGES: [Option<&str>; 3] = [None, Some("en"), Some("fi")];
const PAGES: [Option<&str>; 3] = [None, Some("/"), Some("/pricing")];
const TRIGGERS: [Option<&str>; 3] = [None, Some("armed_exit"), Some("api")];
// The journey: numbers stored, bucket labels segmented by (`domain::journey`).
const PAGE_COUNTS: [Option<u16>; 4] = [None, Some(1), Some(3), Some(20)];
const PAGE_LABELS: [Option<&str>; 4] = [None, Some("1"), Some("2-3"), Some("16+")];
const SECOND_COUNTS: [Option<u32>; 3] = [None, Some(10), Some(3_600)];
const SECOND_LABELS: [Option<&str>; 3] = [None, Some("10-29s"), Some("60m+")];
const ERROR_COUNTS: [Option<u16>; 3] = [None, Some(0), Some(2)];
const ERROR_LABELS: [Option<&str>; 3] = [None, Some("no"), Some("yes")];
const REASONS: [Option<&str>; 3] = [None, Some("price"), Some("bugs")];
// An attribute's values differ by case alone: each is its own segment.
const PLANS: [Option<&str>; 4] = [None, Some("pro"), Some("Free"), Some("free")];

fn plan() -> Dimension {
    Dimension::Attribute(app::domain::AttributeKey::parse("plan", "plan").unwrap())
}

/// The dimensions compared: every built-in one and the attribute `plan`.
fn dimensions() -> Vec<Dimension> {
    Dimension::ALL.into_iter().chain([plan()]).collect()
}

fn values(dimension: Dimension) -> &'static [Option<&'static str>] {
    match dimension {
        Dimension::Country => &COUNTRIES,
        Dimension::Device => &DEVICES,
        Dimension::Browser => &BROWSERS,
        Dimension::Language => &LANGUAGES,
        Dimension::Page => &PAGES,
        Dimension::Trigger => &TRIGGERS,
        // Survey ids are made per test: picked from the fixture instead.
        Dimension::Survey => &[None],
        // The fixture saves no theme: every answer is in none ("").
        Dimension::Theme => &[None],
        Dimension::PagesViewed => &PAGE_LABELS,
        Dimension::TimeOnSite => &SECOND_LABELS,
        Dimension::HadError => &ERROR_LABELS,
        Dimension::Reason => &REASONS,
        // Only answers that carried it are in an attribute's segments.
        Dimension::Attribute(_) => &PLANS[1..],
    }
}

fn value_of(r: &StoredResponse, dimension: Dimension) -> String {
    let v = match dimension {
        Dimension::Country => r.context.country.as_ref().map(|c| c.as_str().to_owned()),
        Dimension::Device => r.context.device.map(|d| d.as_str().to_owned()),
        Dimension::Browser => r.context.browser.map(|b| b.as_str().to_owned()),
        Dimension::Language => r.language.clone(),
        Dimension::Page => r.context.page_path.as_ref().map(|p| p.as_str().to_owned()),
        Dimension::Trigger => r.context.trigger.map(|t| t.as_str().to_owned()),
        Dimension::Survey => Some(r.survey_id.to_string()),
        Dimension::Theme => None,
        Dimension::PagesViewed => r
            .context
            .pages_viewed
            .map(|n| journey::pages_label(n).into()),
        Dimension::TimeOnSite => r
            .context
            .seconds_on_site
            .map(|n| journey::seconds_label(n).into()),
        Dimension::HadError => r
            .context
            .errors_seen
            .map(|n| journey::errors_label(n).into()),
        Dimension::Reason => r.reason.clone(),
        Dimension::Attribute(key) => r.context.attributes.get(key).map(str::to_owned),
    };
    v.unwrap_or_default()
}

struct Fixture {
    demo: DemoCreated,
    surveys: Vec<Uuid>,
    answers: Vec<StoredResponse>,
}

/// `n` answers spread over 70 days from 2026-03-01 (across the March daylight-saving change),
/// on two surveys, with every segment key sometimes missing.
async fn fill(app: &TestApp, n: usize, seed: u64) -> Fixture {
    let demo = app.seed().await;
    let public = app.public_site(&demo.site_key).await;
    let notice = public.current_notice.unwrap().id;
    let second = app
        .store
        .create_survey(demo.organisation_id, demo.site_id, "Checkout", "Checkout")
        .await
        .unwrap();
    let surveys = vec![public.default_survey.unwrap().id, second.id];
    // Both surveys offer the fixture's reasons in every band, so an amended score keeps them.
    let everywhere = "price: Price\nbugs: Bugs";
    let question =
        app::domain::ReasonQuestion::from_form([everywhere, everywhere, everywhere], "").unwrap();
    for survey in &surveys {
        assert!(app
            .store
            .set_survey_reason(demo.organisation_id, *survey, &question)
            .await
            .unwrap());
    }
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut rng = Rng(seed);
    let answers: Vec<StoredResponse> = (0..n)
        .map(|_| {
            let at = start + Duration::seconds(rng.below(70 * 86_400) as i64);
            StoredResponse {
                id: Uuid::new_v4(),
                org_id: demo.organisation_id,
                site_id: demo.site_id,
                survey_id: *rng.pick(&surveys),
                score: Score::try_from(rng.below(11) as u8).unwrap(),
                comment: None,
                language: rng
                    .pick(&LANGUAGES)
                    .map(|l| Language::parse("l", l).unwrap().as_str().to_owned()),
                received_at: DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap(),
                notice_id: notice,
                choices: ConsentChoices::default(),
                context: UsageContext {
                    page_path: rng.pick(&PAGES).map(|p| PagePath::parse("p", p).unwrap()),
                    referrer: None,
                    trigger: rng.pick(&TRIGGERS).map(|t| Trigger::parse("t", t).unwrap()),
                    device: rng
                        .pick(&DEVICES)
                        .map(|d| DeviceClass::parse("d", d).unwrap()),
                    browser: rng
                        .pick(&BROWSERS)
                        .map(|b| BrowserFamily::parse("b", b).unwrap()),
                    country: rng.pick(&COUNTRIES).and_then(Country::parse),
                    pages_viewed: *rng.pick(&PAGE_COUNTS),
                    seconds_on_site: *rng.pick(&SECOND_COUNTS),
                    errors_seen: *rng.pick(&ERROR_COUNTS),
                    attributes: app::domain::Attributes::parse(
                        "attributes",
                        rng.pick(&PLANS).map(|p| ("plan", p)),
                    )
                    .unwrap(),
                },
                respondent_id: None,
                contact_email: None,
                edit_secret_hash: Some(FIXTURE_SECRET_HASH.into()),
                reason: rng.pick(&REASONS).map(str::to_owned),
                user_hash: None,
                account_hash: None,
            }
        })
        .collect();
    for batch in answers.chunks(97) {
        app.store.insert_responses(batch).await.unwrap();
    }
    Fixture {
        demo,
        surveys,
        answers,
    }
}

fn recount<'a>(
    answers: impl Iterator<Item = &'a StoredResponse>,
    filter: &AnswerFilter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ScoreCounts {
    answers
        .filter(|r| r.received_at >= from && r.received_at < to)
        .filter(|r| filter.survey.is_none_or(|s| s == r.survey_id))
        .filter(|r| {
            filter
                .segment
                .as_ref()
                .is_none_or(|s| value_of(r, s.dimension) == s.value)
        })
        .map(|r| r.score)
        .collect()
}

/// The edit secret (hashed) every fixture answer carries, so tests can amend them.
const FIXTURE_SECRET_HASH: &str = "fixture-edit-secret-hash";

fn fixture_guard() -> app::store::AmendGuard {
    app::store::AmendGuard {
        secret_hash: FIXTURE_SECRET_HASH.into(),
        stored_after: chrono::DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// Changes the score of a random answer, in the store and in `fx`.
async fn amend_a_score(app: &TestApp, fx: &mut Fixture, rng: &mut Rng) {
    let i = rng.below(fx.answers.len() as u64) as usize;
    let score = Score::try_from(rng.below(11) as u8).unwrap();
    let amendment = ResponseAmendment {
        score: Some(score),
        ..Default::default()
    };
    assert_eq!(
        app.store
            .amend_response(
                fx.demo.site_id,
                fx.answers[i].id,
                &fixture_guard(),
                &amendment,
                Utc::now()
            )
            .await
            .unwrap(),
        app::store::AmendOutcome::Amended
    );
    fx.answers[i].score = score;
}

/// Compares `rounds` random reports (zone, range, granularity, filter, dimension) with a recount
/// of `fx.answers`; returns how many answers the compared buckets held.
async fn assert_figures_match(app: &TestApp, fx: &Fixture, rng: &mut Rng, rounds: u32) -> u64 {
    let (org, site) = (fx.demo.organisation_id, fx.demo.site_id);
    let zones = [
        "UTC",
        "Europe/Helsinki",
        "America/St_Johns",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
    ];
    let first = NaiveDate::from_ymd_opt(2026, 2, 25).unwrap();
    let mut checked = 0u64;
    for round in 0..rounds {
        let name: &&str = rng.pick(&zones);
        let tz = zone(name).unwrap();
        let from = first + Duration::days(rng.below(70) as i64);
        let to = from + Duration::days(rng.below(45) as i64);
        let granularity = *rng.pick(&Granularity::ALL);
        let dimension = *rng.pick(&dimensions());
        let filter = match round % 3 {
            0 => AnswerFilter::default(),
            1 => AnswerFilter {
                survey: Some(*rng.pick(&fx.surveys)),
                segment: None,
            },
            _ => AnswerFilter {
                survey: None,
                segment: Some(SegmentFilter {
                    dimension,
                    value: if dimension == Dimension::Survey {
                        rng.pick(&fx.surveys).to_string()
                    } else {
                        rng.pick(values(dimension)).unwrap_or("").to_string()
                    },
                }),
            },
        };
        let buckets = periods(tz, from, to, granularity).unwrap();
        let stored = app
            .store
            .period_counts(org, site, &filter, &buckets.boundaries)
            .await
            .unwrap();
        assert_eq!(stored.len(), buckets.labels.len());
        for (i, counts) in stored.iter().enumerate() {
            let expected = recount(
                fx.answers.iter(),
                &filter,
                buckets.boundaries[i],
                buckets.boundaries[i + 1],
            );
            assert_eq!(
                *counts, expected,
                "{tz} {from}..{to} {granularity:?} bucket {i} {filter:?}"
            );
            checked += counts.n();
        }

        let whole = range(tz, from, to);
        let survey = (round % 2 == 0).then(|| *rng.pick(&fx.surveys));
        let segments = app
            .store
            .segment_counts(org, site, survey, dimension, whole)
            .await
            .unwrap();
        let mut expected: BTreeMap<String, ScoreCounts> = BTreeMap::new();
        for r in fx.answers.iter().filter(|r| {
            r.received_at >= whole.from
                && r.received_at < whole.to
                && survey.is_none_or(|s| s == r.survey_id)
        }) {
            // An answer that did not carry an attribute is in none of its segments.
            if matches!(dimension, Dimension::Attribute(_)) && value_of(r, dimension).is_empty() {
                continue;
            }
            expected
                .entry(value_of(r, dimension))
                .or_default()
                .add(r.score);
        }
        // Every row has answers: a value whose signed pieces sum to nothing is not a row.
        assert!(
            segments.iter().all(|s| s.counts.n() > 0),
            "{tz}: an empty row"
        );
        let got: BTreeMap<String, ScoreCounts> =
            segments.into_iter().map(|s| (s.value, s.counts)).collect();
        assert_eq!(got, expected, "{tz} {from}..{to} by {dimension:?}");
    }
    checked
}

both_backends!(
    aggregates_equal_a_recount_of_the_answers_in_any_zone_and_range,
    |app: TestApp| async move {
        let mut fx = fill(&app, 700, 0x5eed).await;
        // Retries are stored once and counted once.
        let outcomes = app.store.insert_responses(&fx.answers[..40]).await.unwrap();
        assert!(outcomes
            .iter()
            .all(|o| *o == app::store::InsertOutcome::Duplicate));
        // The same new answer twice in one batch (a retry racing its original) counts once.
        let (mut twice, mut once) = (fx.answers[1].clone(), fx.answers[2].clone());
        twice.id = uuid::Uuid::new_v4();
        once.id = uuid::Uuid::new_v4();
        let outcomes = app
            .store
            .insert_responses(&[twice.clone(), once.clone(), twice.clone()])
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            [
                app::store::InsertOutcome::Inserted,
                app::store::InsertOutcome::Inserted,
                app::store::InsertOutcome::Duplicate
            ]
        );
        fx.answers.extend([twice, once]);
        // Partial answers whose score is changed later move between score columns.
        let mut rng = Rng(99);
        for _ in 0..60 {
            amend_a_score(&app, &mut fx, &mut rng).await;
        }

        let checked = assert_figures_match(&app, &fx, &mut rng, 36).await;
        assert!(checked > 1000, "the ranges covered answers ({checked})");
    }
);

// Answers are counted into the aggregates later, in bulk. Whatever has been counted so far,
// and whatever was amended or erased before or after its count, the figures are exact.
both_backends!(
    figures_are_exact_before_during_and_after_counting,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let mut fx = fill(&app, 400, 0xc0de).await;
        let org = fx.demo.organisation_id;
        let mut rng = Rng(5);
        // Nothing counted yet: the figures come from the raw answers alone.
        assert!(assert_figures_match(&app, &fx, &mut rng, 12).await > 200);

        // Some counted, some not.
        assert_eq!(app.store.count_new_answers(150).await.unwrap(), 150);
        assert_figures_match(&app, &fx, &mut rng, 12).await;

        // Amend and erase answers on both sides of the count.
        for _ in 0..40 {
            amend_a_score(&app, &mut fx, &mut rng).await;
        }
        let erased: Vec<Uuid> = (0..30)
            .map(|_| {
                let i = rng.below(fx.answers.len() as u64) as usize;
                fx.answers.swap_remove(i).id
            })
            .collect();
        assert_eq!(app.store.erase_answers(org, &erased).await.unwrap(), 30);
        assert_figures_match(&app, &fx, &mut rng, 12).await;

        // The rest is counted, except what was erased before its count.
        let mut counted = 0;
        loop {
            let n = app.store.count_new_answers(64).await.unwrap();
            if n == 0 {
                break;
            }
            counted += n;
        }
        assert!(counted < 400 - 150, "erased answers left the queue ({counted})");
        assert_figures_match(&app, &fx, &mut rng, 12).await;

        // Amended and erased after counting.
        for _ in 0..40 {
            amend_a_score(&app, &mut fx, &mut rng).await;
        }
        let erased: Vec<Uuid> = fx.answers.drain(..25).map(|r| r.id).collect();
        assert_eq!(app.store.erase_answers(org, &erased).await.unwrap(), 25);
        assert!(assert_figures_match(&app, &fx, &mut rng, 12).await > 200);
    }
);

// Two servers count the same queue at once: each answer is counted exactly once.
both_backends!(
    concurrent_counts_take_each_answer_once,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let fx = fill(&app, 600, 0xfeed).await;
        let counters: Vec<_> = (0..4)
            .map(|_| {
                let store = app.store.clone();
                tokio::spawn(async move {
                    let mut total = 0;
                    loop {
                        let n = store.count_new_answers(25).await.unwrap();
                        if n == 0 {
                            return total;
                        }
                        total += n;
                    }
                })
            })
            .collect();
        let mut total = 0;
        for c in counters {
            total += c.await.unwrap();
        }
        assert_eq!(total, 600);
        let mut rng = Rng(8);
        assert!(assert_figures_match(&app, &fx, &mut rng, 12).await > 300);
    }
);

// Amendments and erasures racing the counting task (on PostgreSQL: separate transactions on
// separate connections) still leave every answer counted once, with its final score.
both_backends!(
    amending_and_erasing_while_counting_keeps_the_figures_exact,
    settings: crate::helpers::counting_by_hand,
    |app: TestApp| async move {
        let mut fx = fill(&app, 500, 0xace).await;
        let org = fx.demo.organisation_id;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let counter = {
            let (store, stop) = (app.store.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if store.count_new_answers(7).await.unwrap() == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let mut rng = Rng(77);
        for round in 0..150 {
            if round % 5 == 4 {
                let i = rng.below(fx.answers.len() as u64) as usize;
                let id = fx.answers.swap_remove(i).id;
                assert_eq!(app.store.erase_answers(org, &[id]).await.unwrap(), 1);
            } else {
                amend_a_score(&app, &mut fx, &mut rng).await;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        counter.await.unwrap();
        assert_figures_match(&app, &fx, &mut rng, 8).await;
        while app.store.count_new_answers(1000).await.unwrap() > 0 {}
        assert!(assert_figures_match(&app, &fx, &mut rng, 12).await > 200);
    }
);

/// PostgreSQL, where counting and amending run in separate transactions: an amendment of an
/// answer that a count has claimed (its queue row locked, not yet committed) waits for that
/// count, then corrects the counts itself; it must not take the answer for uncounted meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amendment_waits_for_a_count_that_claimed_its_answer() {
    use sqlx::Connection;
    let app = crate::helpers::AppBuilder::new(crate::helpers::Backend::Postgres)
        .settings(crate::helpers::counting_by_hand)
        .spawn()
        .await;
    let fx = fill(&app, 5, 3).await;
    let answer = &fx.answers[0];
    let mut count = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut claim = count.begin().await.unwrap();
    sqlx::query("DELETE FROM uncounted_answers WHERE response_id = $1")
        .bind(answer.id)
        .execute(&mut *claim)
        .await
        .unwrap();
    let amending = {
        let (store, site, id) = (app.store.clone(), fx.demo.site_id, answer.id);
        let score = Score::try_from((answer.score.value() + 1) % 11).unwrap();
        tokio::spawn(async move {
            let amendment = ResponseAmendment {
                score: Some(score),
                ..Default::default()
            };
            store
                .amend_response(site, id, &fixture_guard(), &amendment, Utc::now())
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!amending.is_finished(), "the amendment waits for the count");
    claim.rollback().await.unwrap();
    assert_eq!(
        amending.await.unwrap().unwrap(),
        app::store::AmendOutcome::Amended
    );
}

// The funnel obeys the same filters as the answers: each impression carries the answer's
// context and is counted under every key. Checked against a recount of what was sent.
both_backends!(
    the_funnel_follows_every_filter_as_a_recount_does,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let checkout = app
            .store
            .create_survey(demo.organisation_id, demo.site_id, "Checkout", "Shop")
            .await
            .unwrap();
        let default_survey = app
            .public_site(&demo.site_key)
            .await
            .default_survey
            .unwrap()
            .id;
        let agents = [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ];
        let countries = [Some("FI"), Some("SE"), None];
        let kinds = ["shown", "shown", "answered", "dismissed", "shown"];
        let languages = [Some("fi"), Some("en"), None];
        let pages = [Some("/cart"), Some("/pricing"), None];
        let triggers = ["exit_intent", "armed_exit", "time_on_site"];
        // What was sent, one entry per event: its keys and its kind.
        let mut sent: Vec<(BTreeMap<&str, String>, &str)> = vec![];
        let mut n = 0usize;
        for agent in agents {
            for country in countries {
                let mut events = vec![];
                for _ in 0..13 {
                    n += 1;
                    let kind = kinds[n % kinds.len()];
                    let language = languages[n % 3];
                    let page = pages[(n / 3) % 3];
                    let trigger = triggers[(n / 2) % 3];
                    let survey = if n.is_multiple_of(4) {
                        checkout.id
                    } else {
                        default_survey
                    };
                    events.push(json!({
                        "id": Uuid::new_v4(), "kind": kind, "language": language,
                        "survey": if n.is_multiple_of(7) { None } else { Some(survey) },
                        "context": {"path": page, "trigger": trigger},
                    }));
                    let survey = if n.is_multiple_of(7) {
                        default_survey
                    } else {
                        survey
                    };
                    let keys = BTreeMap::from([
                        ("country", country.unwrap_or_default().to_string()),
                        (
                            "device",
                            app::domain::DeviceClass::from_user_agent(agent)
                                .as_str()
                                .to_string(),
                        ),
                        (
                            "browser",
                            app::domain::BrowserFamily::from_user_agent(agent)
                                .as_str()
                                .to_string(),
                        ),
                        ("language", language.unwrap_or_default().to_string()),
                        ("page", page.unwrap_or_default().to_string()),
                        ("trigger", trigger.to_string()),
                        ("survey", survey.to_string()),
                    ]);
                    sent.push((keys, kind));
                }
                // A retried event (same id) counts once.
                events.push(events[0].clone());
                let mut headers = vec![("User-Agent", agent)];
                if let Some(country) = country {
                    headers.push(("x-test-country", country));
                }
                let body = json!({"site": demo.site_key, "impressions": events});
                let response = app
                    .beacon_with(
                        crate::helpers::SITE_ORIGIN,
                        "/api/v1/batch",
                        &body,
                        &headers,
                    )
                    .await;
                assert_eq!(response.status(), 200);
                let results = json(response).await;
                assert!(
                    results["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|r| r["status"] == 200),
                    "{results}"
                );
            }
        }
        let funnel_of = |query: String| {
            let app = &app;
            let demo = &demo;
            async move {
                let response = app
                    .client
                    .get(app.url(&format!("/api/v1/sites/{}/report?{query}", demo.site_key)))
                    .bearer_auth(&demo.api_token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{query}");
                let f = json(response).await["funnel"].clone();
                [
                    f["shown"].as_u64().unwrap(),
                    f["dismissed"].as_u64().unwrap(),
                    f["answered"].as_u64().unwrap(),
                ]
            }
        };
        let recount = |keep: &dyn Fn(&BTreeMap<&str, String>) -> bool| {
            let mut out = [0u64; 3];
            for (_, kind) in sent.iter().filter(|(keys, _)| keep(keys)) {
                out[["shown", "dismissed", "answered"]
                    .iter()
                    .position(|k| k == kind)
                    .unwrap()] += 1;
            }
            out
        };
        assert_eq!(funnel_of(String::new()).await, recount(&|_| true));
        assert_eq!(recount(&|_| true).iter().sum::<u64>(), 78);
        let mut filters = 0;
        for dimension in [
            "country", "device", "browser", "language", "page", "trigger", "survey",
        ] {
            let values: std::collections::BTreeSet<String> = sent
                .iter()
                .map(|(keys, _)| keys[dimension].clone())
                .collect();
            for value in values.iter().filter(|v| !v.is_empty()) {
                let expected = recount(&|keys| keys[dimension] == *value);
                assert!(expected.iter().sum::<u64>() > 0);
                let got = funnel_of(format!("segment={dimension}:{}", urlencoding(value))).await;
                assert_eq!(got, expected, "{dimension}:{value}");
                filters += 1;
            }
        }
        assert!(filters >= 14, "{filters} filters checked");
        // The survey parameter too, on its own and with a segment.
        let expected = recount(&|keys| keys["survey"] == checkout.id.to_string());
        assert_eq!(funnel_of(format!("survey={}", checkout.id)).await, expected);
        let expected =
            recount(&|keys| keys["survey"] == checkout.id.to_string() && keys["country"] == "FI");
        let got = funnel_of(format!("survey={}&segment=country:FI", checkout.id)).await;
        assert_eq!(got, expected);
        // A value nothing carries has an empty funnel, not the whole site's.
        assert_eq!(funnel_of("segment=country:DE".into()).await, [0, 0, 0]);
    }
);

fn urlencoding(value: &str) -> String {
    value.replace('/', "%2F")
}

both_backends!(
    another_organisation_sees_none_of_the_aggregates,
    |app: TestApp| async move {
        let fx = fill(&app, 50, 7).await;
        let other = app.seed().await;
        let all = app::store::TimeRange::all_time();
        let counts = app
            .store
            .period_counts(
                other.organisation_id,
                fx.demo.site_id,
                &AnswerFilter::default(),
                &[all.from, all.to],
            )
            .await
            .unwrap();
        assert_eq!(counts[0].n(), 0);
        let verbatims = app
            .store
            .verbatims(
                other.organisation_id,
                fx.demo.site_id,
                &VerbatimQuery {
                    filter: AnswerFilter::default(),
                    range: all,
                    search: None,
                    band: None,
                    tag: None,
                    comments_only: false,
                    before: None,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert!(verbatims.is_empty());
        assert!(!app
            .store
            .set_tag(
                other.organisation_id,
                fx.answers[0].id,
                &Tag::parse("x").unwrap(),
                true,
                Utc::now()
            )
            .await
            .unwrap());
    }
);

/// Posts answers with comments through the public API (now, so they are in the default view).
/// Posts each (score, comment) as an answer; the comment as owned or borrowed text.
pub(crate) async fn answer_with_comments<S: AsRef<str>>(
    app: &TestApp,
    site_key: &str,
    answers: &[(u8, S)],
) -> Vec<Uuid> {
    let mut ids = vec![];
    for (score, comment) in answers {
        let comment = comment.as_ref();
        let id = Uuid::new_v4();
        let response = app
            .post_response(&serde_json::json!({
                "id": id, "site": site_key, "score": score, "comment": comment,
                "context": {"path": "/pricing"}
            }))
            .await;
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
        ids.push(id);
    }
    ids
}

pub(crate) async fn signed_in(app: &TestApp) -> DemoCreated {
    let demo = app.seed().await;
    app.sign_in(&demo.email, PASSWORD).await;
    demo
}

pub(crate) async fn report(app: &TestApp, site_key: &str, query: &str) -> reqwest::Response {
    app.call_fn(
        &app.client,
        "site_report",
        &[("site_key", site_key), ("query", query)],
    )
    .await
}

async fn tag(
    app: &TestApp,
    site_key: &str,
    id: Uuid,
    tag: &str,
    remove: bool,
) -> reqwest::Response {
    let id = id.to_string();
    let mut form = vec![
        ("site_key", site_key),
        ("response", id.as_str()),
        ("tag", tag),
    ];
    if remove {
        form.push(("remove", "1"));
    }
    app.call_fn(&app.client, "tag_answer", &form).await
}

both_backends!(
    verbatims_are_searched_filtered_tagged_and_exported,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let ids = answer_with_comments(
            &app,
            &demo.site_key,
            &[
                (2, "Checkout was far too slow"),
                (9, "Lovely and fast"),
                (7, "=HYPERLINK(\"http://evil.example\") slow, sometimes"),
                (10, "Fast enough, great support"),
            ],
        )
        .await;

        let body = json(report(&app, &demo.site_key, "q=slow").await).await;
        let found: Vec<&str> = body["verbatims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["comment"].as_str().unwrap())
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|c| c.contains("slow")));
        assert_eq!(
            body["total"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .sum::<u64>(),
            4
        );

        let body = json(report(&app, &demo.site_key, "q=slow&band=detractor").await).await;
        assert_eq!(body["verbatims"].as_array().unwrap().len(), 1);
        assert_eq!(body["verbatims"][0]["score"], 2);

        assert!(tag(&app, &demo.site_key, ids[1], "Praise", false)
            .await
            .status()
            .is_success());
        assert!(tag(&app, &demo.site_key, ids[3], "praise", false)
            .await
            .status()
            .is_success());
        assert!(tag(&app, &demo.site_key, ids[3], "support", false)
            .await
            .status()
            .is_success());
        let bad = tag(&app, &demo.site_key, ids[3], "<script>", false).await;
        assert_eq!(bad.status(), 422);
        let body = json(report(&app, &demo.site_key, "tag=praise").await).await;
        let tagged: Vec<&str> = body["verbatims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert_eq!(tagged.len(), 2);
        assert_eq!(body["tags"][0], serde_json::json!(["praise", 2]));
        assert!(tag(&app, &demo.site_key, ids[1], "praise", true)
            .await
            .status()
            .is_success());
        let body = json(report(&app, &demo.site_key, "tag=praise").await).await;
        assert_eq!(body["verbatims"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["verbatims"][0]["tags"],
            serde_json::json!(["praise", "support"])
        );

        // The CSV export of the searched view: formulas neutralised, one row per answer.
        let csv = app
            .client
            .get(app.url(&format!("/dashboard/{}/export.csv?q=slow", demo.site_key)))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("id,received_at,"));
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\") slow, sometimes\""),
            "{text}"
        );
        let all = app
            .client
            .get(app.url(&format!("/dashboard/{}/export.json", demo.site_key)))
            .send()
            .await
            .unwrap();
        let all: serde_json::Value = all.json().await.unwrap();
        assert_eq!(all.as_array().unwrap().len(), 4);

        // Bad view parameters are a 422 naming the field.
        let bad = app
            .client
            .get(app.url(&format!(
                "/dashboard/{}/export.csv?bucket=year",
                demo.site_key
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert_eq!(json(bad).await["field"], "bucket");
    }
);

// A search reads the index newest first on SQLite, where answers of one millisecond come in
// no set order: pages must still follow (time, id) exactly, ties included, as the list does.
both_backends!(
    a_search_pages_newest_first_through_answers_of_the_same_millisecond,
    |app: TestApp| async move {
        let fx = fill(&app, 1, 0xc0ffee).await;
        let (org, site) = (fx.demo.organisation_id, fx.demo.site_id);
        let template = fx.answers[0].clone();
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let comments = [
            "Checkout was slow",
            "slow, slow checkout",
            "great",
            "Slow pricing page",
            "",
        ];
        let mut rng = Rng(7);
        let mut answers: Vec<StoredResponse> = (0..150)
            .map(|i| {
                let mut a = template.clone();
                a.id = Uuid::new_v4();
                // Five instants, many answers each, and a few on their own.
                a.received_at =
                    start + Duration::milliseconds(if i % 10 == 0 { i } else { (i % 5) * 1000 });
                a.score = Score::try_from(rng.below(11) as u8).unwrap();
                let comment = *rng.pick(&comments);
                a.comment = (!comment.is_empty()).then(|| comment.to_string());
                a
            })
            .collect();
        for batch in answers.chunks(40) {
            app.store.insert_responses(batch).await.unwrap();
        }
        // A comment added later is found at the answer's own time.
        let late = answers.iter_mut().find(|a| a.comment.is_none()).unwrap();
        let amendment = ResponseAmendment {
            comment: app::domain::Comment::parse("c", "slow after all").unwrap(),
            ..Default::default()
        };
        app.store
            .amend_response(site, late.id, &fixture_guard(), &amendment, Utc::now())
            .await
            .unwrap();
        late.comment = Some("slow after all".into());

        for (search, words) in [
            ("slow", vec!["slow"]),
            ("SLOW checkout", vec!["slow", "checkout"]),
        ] {
            let mut expected: Vec<(DateTime<Utc>, Uuid)> = answers
                .iter()
                .filter(|a| {
                    let text = a.comment.as_deref().unwrap_or_default().to_lowercase();
                    words.iter().all(|w| text.contains(w))
                })
                .map(|a| (a.received_at, a.id))
                .collect();
            expected.sort_by(|a, b| b.cmp(a));
            assert!(expected.len() > 40, "{search}: {}", expected.len());
            let mut got = vec![];
            let mut before = None;
            loop {
                let page = app
                    .store
                    .verbatims(
                        org,
                        site,
                        &VerbatimQuery {
                            filter: AnswerFilter::default(),
                            range: app::store::TimeRange::all_time(),
                            search: Some(search.into()),
                            band: None,
                            tag: None,
                            comments_only: true,
                            before,
                            limit: 7,
                        },
                    )
                    .await
                    .unwrap();
                got.extend(page.iter().map(|v| (v.received_at, v.id)));
                let Some(last) = page.last().filter(|_| page.len() == 7) else {
                    break;
                };
                before = Some(app::store::PageEnd {
                    received_at: last.received_at,
                    id: last.id,
                });
            }
            let first_difference = got.iter().zip(&expected).position(|(a, b)| a != b);
            assert_eq!(
                (got.len(), first_difference),
                (expected.len(), None),
                "{search}: {got:?}"
            );
        }
    }
);

both_backends!(
    every_dashboard_route_refuses_strangers_and_other_organisations,
    |app: TestApp| async move {
        let theirs = app.seed().await;
        let ids = answer_with_comments(&app, &theirs.site_key, &[(3, "secret complaint")]).await;
        let site = theirs.site_key.as_str();

        // (a) no session
        assert_eq!(app.get(&format!("/dashboard/{site}")).await.status(), 302);
        let r = report(&app, site, "").await;
        assert!(!r.status().is_success());
        assert!(!r.text().await.unwrap().contains("secret"));
        for path in ["export.csv", "export.json"] {
            let r = app
                .client
                .get(app.url(&format!("/dashboard/{site}/{path}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{path}");
        }
        assert_eq!(tag(&app, site, ids[0], "x", false).await.status(), 401);
        for path in ["report", "responses"] {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/sites/{site}/{path}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{path}");
        }

        // (b) a member of another organisation: 404, as if the site did not exist
        let mine = signed_in(&app).await;
        let page = app.get(&format!("/dashboard/{site}")).await;
        assert_eq!(page.status(), 404);
        assert!(!page.text().await.unwrap().contains("secret"));
        let r = report(&app, site, "").await;
        assert_eq!(r.status(), 404);
        for path in ["export.csv", "export.json"] {
            let r = app
                .client
                .get(app.url(&format!("/dashboard/{site}/{path}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{path}");
        }
        let r = tag(&app, site, ids[0], "x", false).await;
        assert_eq!(r.status(), 404);
        // Their answer's id under my own site key is not mine either.
        let r = tag(&app, &mine.site_key, ids[0], "x", false).await;
        assert_eq!(r.status(), 404);
        for path in ["report", "responses", "themes"] {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/sites/{site}/{path}")))
                .bearer_auth(&mine.api_token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{path}");
        }

        // A tag without this host's Origin (a forged cross-site form) is refused.
        let forged = app
            .fn_request(&crate::helpers::new_client(), "tag_answer")
            .header("Origin", "https://evil.example")
            .form(&[
                ("site_key", site),
                ("response", &ids[0].to_string()),
                ("tag", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
    }
);

both_backends!(
    the_dashboard_page_and_the_api_show_the_view,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let mut answers = vec![];
        for i in 0..12u8 {
            answers.push((if i < 8 { 10 } else { 1 }, "ok"));
        }
        answer_with_comments(&app, &demo.site_key, &answers).await;
        let html = app
            .get(&format!(
                "/dashboard/{}?bucket=day&tz=Europe/Helsinki&by=page",
                demo.site_key
            ))
            .await
            .text()
            .await
            .unwrap();
        // 8 promoters, 4 detractors of 12: NPS +33.
        assert!(html.contains(r#"data-nps="33.3333""#), "{html}");
        assert!(html.contains(r#"<tr data-segment="/pricing">"#), "{html}");
        assert!(html.contains("Not enough answers to compare"));
        assert!(html.contains(r#"class="chart trend fitted""#));
        assert!(html.contains(r#"class="chart trend full""#));
        assert!(html.contains(r#"<details class="full-scale">"#));
        assert!(html.contains(r#"<input type="hidden" name="by" value="page""#));

        let api = app
            .client
            .get(app.url(&format!(
                "/api/v1/sites/{}/report?bucket=month",
                demo.site_key
            )))
            .bearer_auth(&demo.api_token)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        let body = json(api).await;
        let n: u64 = body["periods"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| {
                p["counts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_u64().unwrap())
            })
            .sum();
        assert_eq!(n, 12);
        let csv = app
            .client
            .get(app.url(&format!(
                "/api/v1/sites/{}/responses?format=csv",
                demo.site_key
            )))
            .bearer_auth(&demo.api_token)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.text().await.unwrap().lines().count(), 13);
    }
);

// A parameter the view cannot use never costs the page: the report is of the view without it,
// and the form shows what was typed with why, at its field.
both_backends!(
    a_bad_view_parameter_is_named_at_its_field_over_the_view_without_it,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        answer_with_comments(&app, &demo.site_key, &[(9, "fine"), (3, "slow")]).await;
        let query = "tz=Mars%2FOlympus&from=2026-13-01&bucket=week";
        let body = json(report(&app, &demo.site_key, query).await).await;
        let refused = body["refused"].as_array().expect("refused parameters");
        let named: Vec<(&str, &str)> = refused
            .iter()
            .map(|r| (r["field"].as_str().unwrap(), r["typed"].as_str().unwrap()))
            .collect();
        assert!(named.contains(&("tz", "Mars/Olympus")), "{body}");
        assert!(named.contains(&("from", "2026-13-01")), "{body}");
        assert_eq!(refused.len(), 2, "{body}");
        assert_eq!(
            body["view"]["tz"], "UTC",
            "the zone falls back to its default"
        );
        assert_eq!(body["view"]["bucket"], "week", "a good parameter is kept");
        assert_eq!(body["total"].as_array().map(|c| c.len()), Some(11));

        let page = app
            .page(&format!("/dashboard/{}?{query}", demo.site_key))
            .await;
        assert!(page.contains(r#"data-field="tz""#), "{page}");
        assert!(
            page.contains(r#"value="Mars/Olympus""#),
            "what was typed stays"
        );
        assert!(page.contains(r#"data-field="from""#));
        assert!(page.contains("NPS trend"), "the rest of the page is there");
        // A parameter outside the form is named above it.
        let body = json(report(&app, &demo.site_key, "band=nope").await).await;
        assert_eq!(body["refused"][0]["field"], "band", "{body}");
        let page = app
            .page(&format!("/dashboard/{}?band=nope", demo.site_key))
            .await;
        assert!(page.contains("Left out of this view:"), "{page}");
        assert!(
            page.contains(r#"band = "nope" must be detractor, passive or promoter"#),
            "{page}"
        );
    }
);

// The comments come a page at a time, newest first; the cursor of the last one shown leads to
// the next page, with nothing shown twice or skipped.
both_backends!(verbatims_come_a_page_at_a_time, |app: TestApp| async move {
    let demo = signed_in(&app).await;
    let page = app::report::VERBATIM_PAGE as usize;
    let comments: Vec<String> = (0..page + 3).map(|i| format!("comment {i}")).collect();
    let answers: Vec<(u8, &str)> = comments.iter().map(|c| (7, c.as_str())).collect();
    let ids = answer_with_comments(&app, &demo.site_key, &answers).await;
    let first = json(report(&app, &demo.site_key, "").await).await;
    let listed = |body: &serde_json::Value| -> Vec<String> {
        body["verbatims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    let shown = listed(&first);
    assert_eq!(shown.len(), page);
    assert_eq!(first["more_verbatims"], true);
    let last = &first["verbatims"][page - 1];
    let at = DateTime::parse_from_rfc3339(last["received_at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    let cursor = format!("before={at}_{}", last["id"].as_str().unwrap());
    let second = json(report(&app, &demo.site_key, &cursor).await).await;
    let rest = listed(&second);
    assert_eq!(rest.len(), 3, "{second}");
    assert_eq!(second["more_verbatims"], false);
    let mut all: Vec<String> = shown.into_iter().chain(rest).collect();
    all.sort();
    let mut expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    expected.sort();
    assert_eq!(all, expected, "every comment once");
});

/// `GET /api/v1/sites/{key}/{route}{query}` with the organisation's API token.
pub(crate) async fn analysis(
    app: &TestApp,
    demo: &DemoCreated,
    route: &str,
    query: &str,
) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/sites/{}/{route}{query}", demo.site_key)))
        .bearer_auth(&demo.api_token)
        .send()
        .await
        .unwrap()
}

// The themes of a view's comments, on the dashboard and from the API: what detractors say that
// promoters do not, and the reverse, each term with its counts and examples; a filter narrows
// them like every other panel.
both_backends!(
    themes_tell_what_detractors_and_promoters_say,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        let mut answers: Vec<(u8, String)> = vec![];
        for i in 0..12 {
            answers.push((2, format!("Checkout was slow again, order {i}")));
            answers.push((10, format!("Lovely support team {i}")));
        }
        answers.push((8, "Fine".into()));
        answer_with_comments(&app, &demo.site_key, &answers).await;

        let themes = |query: &'static str| analysis(&app, &demo, "themes", query);
        let body = json(themes("").await).await;
        assert_eq!(body["comments"], 25, "{body}");
        assert_eq!(body["sampled"], false);
        let find = |list: &str, term: &str| {
            body[list]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["term"] == term)
                .cloned()
        };
        let slow = find("detractor_terms", "slow").expect("detractors say slow");
        assert_eq!(
            (slow["detractors"].as_u64(), slow["promoters"].as_u64()),
            (Some(12), Some(0))
        );
        assert!(slow["z"].as_f64().unwrap() > 1.645, "{slow}");
        let examples = slow["examples"].as_array().unwrap();
        assert_eq!(examples.len(), 3);
        assert!(examples
            .iter()
            .all(|e| e.as_str().unwrap().contains("slow")));
        assert!(find("detractor_terms", "lovely").is_none());
        let lovely = find("promoter_terms", "lovely").expect("promoters say lovely");
        assert_eq!(
            (lovely["detractors"].as_u64(), lovely["promoters"].as_u64()),
            (Some(0), Some(12))
        );
        assert!(find("promoter_terms", "slow").is_none());
        // No comment in the previous period (nor the year before): nothing to call new against.
        assert_eq!(body["emerging"], serde_json::json!([]), "{body}");

        // A filter narrows the comments read, as it narrows every panel.
        let none = json(themes("?segment=page:%2Fnowhere").await).await;
        assert_eq!(none["comments"], 0);
        assert_eq!(none["detractor_terms"].as_array().unwrap().len(), 0);
        // A refused parameter is a 422 naming it; no token is a 401.
        let refused = themes("?tz=Mars%2FOlympus").await;
        assert_eq!(refused.status(), 422);
        assert_eq!(json(refused).await["field"], "tz");
        let anonymous = app
            .client
            .get(app.url(&format!("/api/v1/sites/{}/themes", demo.site_key)))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);

        // The dashboard's panel: each term opens the comments that hold it.
        let html = app
            .get(&format!("/dashboard/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(r#"class="panel themes""#), "{html}");
        assert!(html.contains("Read all 25 comments of this view."));
        assert!(html.contains("q=slow"), "a term links to its comments");
        assert!(html.contains(r#"data-term="lovely""#));
    }
);

// The drivers of a view's NPS from the API and on the dashboard: a page whose answers are all
// detractors against the most common page, all promoters, is a large negative effect, raw and
// with the others held fixed (shrunk a little toward zero), with its interval; filters apply.
both_backends!(
    drivers_give_each_segment_its_effect_raw_and_adjusted,
    |app: TestApp| async move {
        let demo = signed_in(&app).await;
        for (path, score, count) in [("/pricing", 10, 45), ("/checkout", 1, 40)] {
            for _ in 0..count {
                let response = app
                    .post_response(&serde_json::json!({
                        "id": Uuid::new_v4(), "site": demo.site_key, "score": score,
                        "context": {"path": path}
                    }))
                    .await;
                assert!(response.status().is_success());
            }
        }
        let drivers = |query: &'static str| analysis(&app, &demo, "drivers", query);
        let body = json(drivers("").await).await;
        assert_eq!(body["n"], 85, "{body}");
        let effects = body["effects"].as_array().unwrap();
        let checkout = effects
            .iter()
            .find(|e| e["dimension"] == "page" && e["value"] == "/checkout")
            .expect("the checkout page's effect");
        assert_eq!(checkout["reference"], "/pricing");
        assert_eq!(checkout["answers"], 40);
        assert_eq!(checkout["raw"].as_f64().unwrap(), -200.0);
        let adjusted = checkout["adjusted"].as_f64().unwrap();
        assert!(adjusted < -150.0 && adjusted > -200.0, "{checkout}");
        let (lo, hi) = (
            checkout["ci95"][0].as_f64().unwrap(),
            checkout["ci95"][1].as_f64().unwrap(),
        );
        assert!(lo < adjusted && adjusted < hi && hi < 0.0, "{checkout}");
        assert_eq!(checkout["reversed"], false);
        // A filter to one page leaves nothing to compare within the page dimension.
        let one_page = json(drivers("?segment=page:%2Fpricing").await).await;
        assert_eq!(one_page["n"], 45);
        assert!(one_page["effects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["dimension"] != "page"));
        // Another organisation's token sees nothing of it.
        let other = app.seed().await;
        let theirs = app
            .client
            .get(app.url(&format!("/api/v1/sites/{}/drivers", demo.site_key)))
            .bearer_auth(&other.api_token)
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), 404);

        let html = app
            .get(&format!("/dashboard/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(r#"class="panel drivers""#), "{html}");
        assert!(html.contains("Fitted on all 85 answers of this view."));
        assert!(html.contains(r#"data-value="/checkout""#));
    }
);

// The report API's NPS corrected for who did not answer: phones are shown the survey as often
// as computers but answer a fifth as often, and only phones' answers are detractors. Raw, the
// answers say +67; weighted by the inverse of each context's response rate (10 for phones, 2
// for computers), everyone asked says 0. Effective n by hand: (Σw)² / Σw² = 400² / 2,400.
both_backends!(
    the_report_corrects_the_nps_for_who_did_not_answer,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        let computer = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let report = || async { json(analysis(&app, &demo, "report", "").await).await };
        let context = json!({"trigger": "exit_intent"});
        // Too few impressions yet: no correction.
        assert_eq!(report().await["adjusted"], serde_json::Value::Null);
        for (agent, shown, answered, score) in [(phone, 200, 20, 0), (computer, 200, 100, 10)] {
            let mut events: Vec<serde_json::Value> = (0..shown)
                .map(|_| json!({"id": Uuid::new_v4(), "kind": "shown", "language": "en", "context": context}))
                .collect();
            events.extend((0..answered).map(
                |_| json!({"id": Uuid::new_v4(), "kind": "answered", "language": "en", "context": context}),
            ));
            for chunk in events.chunks(40) {
                let body = json!({"site": demo.site_key, "impressions": chunk});
                let sent = app
                    .beacon_with(
                        crate::helpers::SITE_ORIGIN,
                        "/api/v1/batch",
                        &body,
                        &[("User-Agent", agent)],
                    )
                    .await;
                assert_eq!(sent.status(), 200);
            }
            for _ in 0..answered {
                let body = json!({
                    "id": Uuid::new_v4(), "site": demo.site_key, "score": score,
                    "language": "en", "context": context,
                });
                let sent = app
                    .beacon_with(
                        crate::helpers::SITE_ORIGIN,
                        "/api/v1/responses",
                        &body,
                        &[("User-Agent", agent)],
                    )
                    .await;
                assert!(sent.status().is_success(), "{}", sent.text().await.unwrap());
            }
        }
        let body = report().await;
        let total = &body["total"];
        assert_eq!(
            total
                .as_array()
                .map(|c| c.iter().map(|n| n.as_u64().unwrap()).sum::<u64>()),
            Some(120),
            "{body}"
        );
        let adjusted = &body["adjusted"];
        let nps = adjusted["nps"].as_f64().unwrap();
        assert!(nps.abs() < 1e-9, "corrected NPS 0: {adjusted}");
        let effective = adjusted["effective_n"].as_f64().unwrap();
        assert!(
            (effective - 400.0 * 400.0 / 2400.0).abs() < 1e-9,
            "{adjusted}"
        );
        let (lo, hi) = (
            adjusted["ci95"][0].as_f64().unwrap(),
            adjusted["ci95"][1].as_f64().unwrap(),
        );
        assert!(lo < 0.0 && hi > 0.0 && hi < 67.0, "{adjusted}");
        // The trend of both: the one bucket with answers has its corrected NPS too.
        let corrected: Vec<f64> = body["periods"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["adjusted_nps"].as_f64())
            .collect();
        assert_eq!(corrected.len(), 1, "{body}");
        assert!(corrected[0].abs() < 1e-9);
        // The dashboard shows both, and what the correction assumes.
        app.sign_in(&demo.email, PASSWORD).await;
        let html = app
            .get(&format!("/dashboard/{}", demo.site_key))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Corrected for who did not answer: <strong>0</strong>"),
            "{html}"
        );
        assert!(
            html.contains("within a context, visitors who answered feel like those who did not")
        );
        assert!(html.contains(r#"class="line corrected""#) || html.contains("<th>Corrected</th>"));
    }
);

// A day in Kathmandu (+5:45) is read as a UTC day with a quarter hour and hours added and taken
// away (`aggregates::pieces`). Events just outside the day, in the hours a piece takes away,
// must cancel out: the funnel counts each event of the day once and none of its neighbours.
// It would count them twice if the impressions were summed without their pieces' signs.
both_backends!(
    a_quarter_hour_zone_day_counts_each_event_once,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let survey = app
            .public_site(&demo.site_key)
            .await
            .default_survey
            .unwrap()
            .id;
        let at = |day: u32, hour: u32, minute: u32| {
            Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap()
        };
        // 10 March in Kathmandu: 9 March 18:15 UTC to 10 March 18:15 UTC.
        let mut events = vec![];
        for (when, count) in [
            (at(9, 18, 5), 10),  // before the day, in its first quarter hour's hour
            (at(9, 18, 20), 7),  // inside
            (at(10, 18, 10), 5), // inside, the day's last quarter hour
            (at(10, 18, 20), 3), // after the day, in its last hour
            (at(10, 23, 0), 2),  // after the day, in the UTC day it is read from
        ] {
            for _ in 0..count {
                events.push(app::store::Impression {
                    id: Uuid::new_v4(),
                    org_id: demo.organisation_id,
                    site_id: demo.site_id,
                    survey_id: survey,
                    kind: app::domain::ImpressionKind::parse("kind", "shown").unwrap(),
                    language: None,
                    context: Default::default(),
                    at: when,
                });
            }
        }
        app.store.insert_impressions(&events).await.unwrap();
        let body = json(
            analysis(
                &app,
                &demo,
                "report",
                "?tz=Asia%2FKathmandu&from=2026-03-10&to=2026-03-10",
            )
            .await,
        )
        .await;
        assert_eq!(body["funnel"]["shown"], 12, "{body}");
    }
);
