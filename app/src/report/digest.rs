//! What a member's digest and significant-change alert say, and when they are sent. The figures
//! are the dashboard's (the same counts, the same two-period test); the words are plain. The
//! schedule is the member's: an hour of their own time zone, daily or weekly on a weekday.

use super::themes::Themes;
use super::{Funnel, ViewParams, ALPHA, MIN_ANSWERS};
use crate::domain::FieldError;
use crate::error::AppError;
use crate::nps::{Comparison, ScoreCounts, Verdict};
use crate::store::{AnswerFilter, SharedStore};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An alert needs this many answers in each of the two weeks it compares: a change read from
/// a handful of answers is noise whatever its p-value.
pub const ALERT_MIN_ANSWERS: u64 = 30;

/// An alert's test is stricter than the dashboard's (0.05): it is run every day for every
/// site, and each false alarm costs a member's attention.
pub const ALERT_ALPHA: f64 = 0.01;

/// The ISO weekdays, Monday first (a schedule's `weekday` is 1 to 7).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cadence {
    Off,
    Daily,
    Weekly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Off => "off",
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Result<Cadence, FieldError> {
        [Cadence::Off, Cadence::Daily, Cadence::Weekly]
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new("cadence", "must be off, daily or weekly"))
    }
}

/// When a member's digest and alerts are looked at: built only by `parse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSchedule {
    cadence: Cadence,
    zone: String,
    hour: u8,
    /// ISO: 1 is Monday.
    weekday: u8,
    alerts: bool,
}

impl DigestSchedule {
    pub fn parse(
        cadence: &str,
        zone: &str,
        hour: &str,
        weekday: &str,
        alerts: bool,
    ) -> Result<DigestSchedule, FieldError> {
        let cadence = Cadence::parse(cadence)?;
        let zone = zone.trim();
        super::periods::zone(zone)
            .map_err(|_| FieldError::new("zone", "is not a time zone name like Europe/Helsinki"))?;
        let hour: u8 = hour
            .trim()
            .parse()
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| FieldError::new("hour", "must be an hour from 0 to 23"))?;
        let weekday: u8 = weekday
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=7).contains(d))
            .ok_or_else(|| FieldError::new("weekday", "must be a day from 1 (Monday) to 7"))?;
        Ok(DigestSchedule {
            cadence,
            zone: zone.to_owned(),
            hour,
            weekday,
            alerts,
        })
    }

    /// As stored (each value checked again: a row edited by hand is not trusted).
    pub fn from_stored(
        cadence: &str,
        zone: &str,
        hour: i64,
        weekday: i64,
        alerts: bool,
    ) -> Option<DigestSchedule> {
        DigestSchedule::parse(
            cadence,
            zone,
            &hour.to_string(),
            &weekday.to_string(),
            alerts,
        )
        .ok()
    }

    pub fn cadence(&self) -> Cadence {
        self.cadence
    }
    pub fn zone(&self) -> &str {
        &self.zone
    }
    pub fn hour(&self) -> u8 {
        self.hour
    }
    pub fn weekday(&self) -> u8 {
        self.weekday
    }
    pub fn alerts(&self) -> bool {
        self.alerts
    }

    fn tz(&self) -> Tz {
        super::periods::zone(&self.zone).unwrap_or(Tz::UTC)
    }

    /// The same schedule with nothing asked for (unsubscribed).
    pub fn stopped(&self) -> DigestSchedule {
        DigestSchedule {
            cadence: Cadence::Off,
            alerts: false,
            ..self.clone()
        }
    }

    /// Whether it is ever looked at.
    pub fn active(&self) -> bool {
        self.cadence != Cadence::Off || self.alerts
    }

    /// The next `hour:00` of the member's zone strictly after `now` (an hour the clocks skip
    /// is taken an hour later). Far in the future when nothing is asked for.
    pub fn next_run_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if !self.active() {
            return now + Duration::days(36_500);
        }
        let tz = self.tz();
        let mut day = now.with_timezone(&tz).date_naive();
        loop {
            let at = (0..3).find_map(|late| {
                let time = day.and_hms_opt(u32::from(self.hour) + late, 0, 0)?;
                tz.from_local_datetime(&time).earliest()
            });
            if let Some(at) = at.map(|a| a.with_timezone(&Utc)).filter(|a| *a > now) {
                return at;
            }
            day += Duration::days(1);
        }
    }

    /// The last look at or before `t` (its hour of the zone, as `next_run_after` finds them):
    /// the look a late or retried run stands for.
    pub fn last_run_at_or_before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let mut look = self.next_run_after(t - Duration::days(2));
        loop {
            let next = self.next_run_after(look);
            if next > t {
                return look;
            }
            look = next;
        }
    }

    /// The member's today at `now`.
    fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz()).date_naive()
    }

    /// Whether two instants fall on the same day of the member's zone.
    pub fn same_day(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
        self.today(a) == self.today(b)
    }

    /// What a look at `now` sends as a digest, and of which days: yesterday for a daily one;
    /// the seven days to yesterday for a weekly one, on its weekday only.
    pub fn digest_days(&self, now: DateTime<Utc>) -> Option<(DigestKind, NaiveDate, NaiveDate)> {
        let today = self.today(now);
        let yesterday = today - Duration::days(1);
        match self.cadence {
            Cadence::Off => None,
            Cadence::Daily => Some((DigestKind::Daily, yesterday, yesterday)),
            Cadence::Weekly if today.weekday().number_from_monday() == u32::from(self.weekday) => {
                Some((DigestKind::Weekly, today - Duration::days(7), yesterday))
            }
            Cadence::Weekly => None,
        }
    }

    /// The week an alert looks at: the seven days to yesterday (compared with the seven before).
    pub fn alert_days(&self, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let today = self.today(now);
        (today - Duration::days(7), today - Duration::days(1))
    }

    /// "daily at 08:00 (Europe/Helsinki)".
    pub fn describe(&self) -> String {
        let when = match self.cadence {
            Cadence::Off => "no digest".to_string(),
            Cadence::Daily => format!("daily at {:02}:00", self.hour),
            Cadence::Weekly => format!(
                "weekly on {} at {:02}:00",
                WEEKDAYS[usize::from(self.weekday - 1)],
                self.hour
            ),
        };
        let alerts = if self.alerts {
            format!(", alerts at {:02}:00", self.hour)
        } else {
            String::new()
        };
        format!("{when}{alerts} ({})", self.zone)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestKind {
    Daily,
    Weekly,
    Alert,
}

impl DigestKind {
    pub fn word(self) -> &'static str {
        match self {
            DigestKind::Daily => "daily digest",
            DigestKind::Weekly => "weekly digest",
            DigestKind::Alert => "alert",
        }
    }

    /// The webhook event a chat endpoint receives it as.
    pub fn event(self) -> &'static str {
        match self {
            DigestKind::Alert => "nps.changed",
            _ => "digest",
        }
    }
}

/// A change the period test calls real, with enough answers on both sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignificantChange {
    pub comparison: Comparison,
    pub verdict: Verdict,
}

impl SignificantChange {
    pub fn direction(&self) -> &'static str {
        if self.verdict == Verdict::RealRise {
            "rise"
        } else {
            "drop"
        }
    }
}

/// `Some` only when both periods hold `ALERT_MIN_ANSWERS` and the z test's p-value is under
/// `ALERT_ALPHA`: never on noise.
pub fn significant_change(
    current: &ScoreCounts,
    previous: &ScoreCounts,
) -> Option<SignificantChange> {
    let (now, before) = (current.summary(), previous.summary());
    if now.n() < ALERT_MIN_ANSWERS || before.n() < ALERT_MIN_ANSWERS {
        return None;
    }
    let comparison = Comparison::between(&now, &before)?;
    match comparison.verdict(ALERT_ALPHA) {
        Verdict::WithinNoise => None,
        verdict => Some(SignificantChange {
            comparison,
            verdict,
        }),
    }
}

/// Whether a site's NPS is clearly steady: enough answers on both sides and a p-value far from
/// any alert's (over 0.2). Only then is a told change forgotten, so that one hovering at the
/// threshold is not told again every other day.
pub fn steady(current: &ScoreCounts, previous: &ScoreCounts) -> bool {
    let (now, before) = (current.summary(), previous.summary());
    now.n() >= ALERT_MIN_ANSWERS
        && before.n() >= ALERT_MIN_ANSWERS
        && Comparison::between(&now, &before).is_none_or(|c| c.p_value > 0.2)
}

/// One site in a digest or an alert, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteDigest {
    pub name: String,
    /// "+32"; `None` with too few answers for an NPS.
    pub nps: Option<String>,
    /// "likely between +20 and +43, n = 51", or why there is no NPS.
    pub interval: String,
    /// The change with its verdict, in a sentence.
    pub change: String,
    /// `rise`, `drop`, `noise` or `none`.
    pub verdict: String,
    /// "51 answers; 12 % of 425 visitors shown the survey answered".
    pub responses: String,
    pub detractor_themes: Vec<String>,
    pub promoter_themes: Vec<String>,
    pub link: Option<String>,
}

fn signed(x: f64) -> String {
    let r = x.round();
    if r > 0.0 {
        format!("+{r:.0}")
    } else if r < 0.0 {
        format!("−{:.0}", -r)
    } else {
        "0".into()
    }
}

fn answers(n: u64) -> String {
    match n {
        1 => "1 answer".into(),
        n => format!("{n} answers"),
    }
}

impl SiteDigest {
    pub fn of(
        name: &str,
        current: &ScoreCounts,
        previous: &ScoreCounts,
        funnel: &Funnel,
        themes: &Themes,
        link: Option<String>,
    ) -> SiteDigest {
        let (now, before) = (current.summary(), previous.summary());
        let enough = now.n() >= MIN_ANSWERS;
        let (nps, interval) = match (now.nps(), now.adjusted_wald_ci95()) {
            (Some(nps), Some(ci)) if enough => (
                Some(signed(nps)),
                format!(
                    "likely between {} and {} (95 % interval), n = {}",
                    signed(ci.lo),
                    signed(ci.hi),
                    now.n()
                ),
            ),
            _ => (
                None,
                format!("Too few answers for an NPS ({})", answers(now.n())),
            ),
        };
        let (change, verdict) = match Comparison::between(&now, &before) {
            Some(c) if enough && before.n() >= MIN_ANSWERS => (
                format!(
                    "{} (vs {} before, n = {})",
                    c.sentence(ALPHA),
                    signed(before.nps().unwrap_or(0.0)),
                    before.n()
                ),
                match c.verdict(ALPHA) {
                    Verdict::RealRise => "rise",
                    Verdict::RealDrop => "drop",
                    Verdict::WithinNoise => "noise",
                },
            ),
            _ => (
                format!(
                    "Not enough answers to compare with the period before ({}).",
                    answers(before.n())
                ),
                "none",
            ),
        };
        let responses = match funnel.response_rate() {
            Some(rate) => format!(
                "{}; {:.0} % of {} visitors shown the survey answered",
                answers(now.n()),
                rate * 100.0,
                funnel.shown
            ),
            None => answers(now.n()),
        };
        let top = |terms: &[super::themes::ThemeTerm], of_detractors: bool| {
            terms
                .iter()
                .take(3)
                .map(|t| {
                    let n = if of_detractors {
                        t.detractors
                    } else {
                        t.promoters
                    };
                    format!("{} ({n})", t.term)
                })
                .collect()
        };
        SiteDigest {
            name: name.to_owned(),
            nps,
            interval,
            change,
            verdict: verdict.into(),
            responses,
            detractor_themes: top(&themes.detractor_terms, true),
            promoter_themes: top(&themes.promoter_terms, false),
            link,
        }
    }
}

/// The line a digest or an alert leads with (and its mail's subject).
pub fn headline(kind: DigestKind, sites: &[SiteDigest]) -> String {
    match (kind, sites) {
        (DigestKind::Alert, [one]) => format!("{}: {}", one.name, one.change),
        (DigestKind::Alert, many) => format!("NPS changed on {} sites", many.len()),
        (_, [one]) => match &one.nps {
            Some(nps) => format!("{} NPS {nps}", one.name),
            None => format!("{}: {}", one.name, one.responses),
        },
        (_, many) => format!("{} sites", many.len()),
    }
}

/// "5 December 2026" or "29 November – 5 December 2026".
pub fn period_text(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        to.format("%-d %B %Y").to_string()
    } else {
        format!("{} – {}", from.format("%-d %B"), to.format("%-d %B %Y"))
    }
}

fn view(schedule: &DigestSchedule, from: NaiveDate, to: NaiveDate) -> ViewParams {
    ViewParams {
        from,
        to,
        tz: schedule.zone().to_owned(),
        ..ViewParams::default_for(to)
    }
}

/// A site's counts over `[from, to]` and the period of the same length before, in the zone.
pub async fn counts(
    store: &SharedStore,
    org: Uuid,
    site: Uuid,
    schedule: &DigestSchedule,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(ScoreCounts, ScoreCounts), AppError> {
    let v = view(schedule, from, to);
    let (before, _) = v.previous_range();
    let tz = schedule.tz();
    let edges = [
        super::periods::start_of_day(tz, before),
        super::periods::start_of_day(tz, from),
        super::periods::start_of_day(tz, to + Duration::days(1)),
    ];
    let mut counts = store
        .period_counts(org, site, &AnswerFilter::default(), &edges)
        .await?
        .into_iter();
    let previous = counts.next().unwrap_or_default();
    let current = counts.next().unwrap_or_default();
    Ok((current, previous))
}

pub async fn funnel(
    store: &SharedStore,
    org: Uuid,
    site: Uuid,
    schedule: &DigestSchedule,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Funnel, AppError> {
    let range = super::periods::range(schedule.tz(), from, to);
    Ok(store
        .impression_counts(org, site, &AnswerFilter::default(), range)
        .await?)
}

pub async fn themes(
    store: &SharedStore,
    org: Uuid,
    site: Uuid,
    schedule: &DigestSchedule,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Themes, AppError> {
    super::themes::build_themes(store, org, site, &view(schedule, from, to)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cadence: &str, zone: &str, hour: &str, weekday: &str) -> DigestSchedule {
        DigestSchedule::parse(cadence, zone, hour, weekday, true).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_schedule_is_parsed_field_by_field() {
        for (args, field) in [
            (("hourly", "UTC", "8", "1"), "cadence"),
            (("daily", "Mars/Olympus", "8", "1"), "zone"),
            (("daily", "UTC", "24", "1"), "hour"),
            (("weekly", "UTC", "8", "0"), "weekday"),
            (("weekly", "UTC", "8", "8"), "weekday"),
        ] {
            let (c, z, h, w) = args;
            assert_eq!(
                DigestSchedule::parse(c, z, h, w, false).unwrap_err().field,
                field
            );
        }
        assert_eq!(
            schedule("weekly", "Europe/Helsinki", "8", "1").describe(),
            "weekly on Monday at 08:00, alerts at 08:00 (Europe/Helsinki)"
        );
    }

    #[test]
    fn the_next_look_is_the_members_hour_in_their_zone() {
        let s = schedule("daily", "Europe/Helsinki", "8", "1");
        // 05:59 UTC is 07:59 in Helsinki in winter: today at 08:00 local, 06:00 UTC.
        assert_eq!(
            s.next_run_after(at("2026-12-07T05:59:00Z")),
            at("2026-12-07T06:00:00Z")
        );
        // The look a late run stands for: the last 08:00 at or before it.
        assert_eq!(
            s.last_run_at_or_before(at("2026-12-07T22:30:00Z")),
            at("2026-12-07T06:00:00Z")
        );
        assert_eq!(
            s.last_run_at_or_before(at("2026-12-07T06:00:00Z")),
            at("2026-12-07T06:00:00Z")
        );
        // At 08:00 sharp it is tomorrow's.
        assert_eq!(
            s.next_run_after(at("2026-12-07T06:00:00Z")),
            at("2026-12-08T06:00:00Z")
        );
        // Summer time: 08:00 in Helsinki is 05:00 UTC.
        assert_eq!(
            s.next_run_after(at("2026-07-01T00:00:00Z")),
            at("2026-07-01T05:00:00Z")
        );
        // An hour the clocks skip (03:00 on 29 March 2026 in Helsinki) is taken an hour later.
        let skipped = schedule("daily", "Europe/Helsinki", "3", "1");
        assert_eq!(
            skipped.next_run_after(at("2026-03-28T23:00:00Z")),
            at("2026-03-29T01:00:00Z")
        );
        let off = DigestSchedule::parse("off", "UTC", "8", "1", false).unwrap();
        assert!(off.next_run_after(at("2026-12-07T00:00:00Z")) > at("2100-01-01T00:00:00Z"));
    }

    #[test]
    fn a_daily_digest_is_of_yesterday_and_a_weekly_one_of_the_week_on_its_day() {
        let monday_morning = at("2026-12-07T06:00:00Z");
        let daily = schedule("daily", "Europe/Helsinki", "8", "1");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            daily.digest_days(monday_morning),
            Some((DigestKind::Daily, d("2026-12-06"), d("2026-12-06")))
        );
        let weekly = schedule("weekly", "Europe/Helsinki", "8", "1");
        assert_eq!(
            weekly.digest_days(monday_morning),
            Some((DigestKind::Weekly, d("2026-11-30"), d("2026-12-06")))
        );
        assert_eq!(weekly.digest_days(at("2026-12-08T06:00:00Z")), None);
        assert_eq!(
            weekly.alert_days(monday_morning),
            (d("2026-11-30"), d("2026-12-06"))
        );
        assert_eq!(
            period_text(d("2026-11-30"), d("2026-12-06")),
            "30 November – 6 December 2026"
        );
    }

    fn counts(detractors: u64, passives: u64, promoters: u64) -> ScoreCounts {
        let mut c = ScoreCounts::default();
        for (score, n) in [(2u8, detractors), (7, passives), (9, promoters)] {
            for _ in 0..n {
                c.add(crate::nps::Score::try_from(score).unwrap());
            }
        }
        c
    }

    #[test]
    fn an_alert_needs_enough_answers_and_a_real_change() {
        // A real drop: +40 to −40 with 40 answers each.
        let change = significant_change(&counts(24, 8, 8), &counts(8, 8, 24)).unwrap();
        assert_eq!(change.direction(), "drop");
        assert!(change.comparison.p_value < 0.001);
        // The same proportions with 10 answers a side: too few, whatever the p-value.
        assert!(significant_change(&counts(6, 2, 2), &counts(2, 2, 6)).is_none());
        // Noise: 40 answers each, +5 against +0.
        assert!(significant_change(&counts(12, 14, 14), &counts(14, 12, 14)).is_none());
        // p ≈ 0.04: the dashboard's 0.05 calls it real; an alert, run daily, waits for more.
        let (now, before) = (counts(15, 16, 9), counts(8, 16, 16));
        let p = Comparison::between(&now.summary(), &before.summary())
            .unwrap()
            .p_value;
        assert!((0.01..0.05).contains(&p), "{p}");
        assert!(significant_change(&now, &before).is_none());
        // Steady: only with enough answers and a p-value far from an alert's.
        assert!(steady(&counts(14, 12, 14), &counts(14, 12, 14)));
        assert!(!steady(&now, &before));
        assert!(!steady(&counts(2, 2, 2), &counts(2, 2, 2)));
        // A rise.
        assert_eq!(
            significant_change(&counts(8, 8, 24), &counts(24, 8, 8))
                .unwrap()
                .direction(),
            "rise"
        );
    }

    #[test]
    fn a_site_digest_says_its_figures_in_words() {
        let funnel = Funnel {
            shown: 400,
            answered: 40,
            ..Default::default()
        };
        let themes = Themes::default();
        let d = SiteDigest::of(
            "Shop",
            &counts(24, 8, 8),
            &counts(8, 8, 24),
            &funnel,
            &themes,
            None,
        );
        assert_eq!(d.nps.as_deref(), Some("−40"));
        assert!(d.interval.ends_with("n = 40"), "{}", d.interval);
        assert_eq!(d.verdict, "drop");
        assert!(
            d.change
                .starts_with("NPS fell 80 points; a change this large is unlikely to be chance."),
            "{}",
            d.change
        );
        assert_eq!(
            d.responses,
            "40 answers; 10 % of 400 visitors shown the survey answered"
        );
        let few = SiteDigest::of(
            "Shop",
            &counts(1, 0, 1),
            &ScoreCounts::default(),
            &Funnel::default(),
            &themes,
            None,
        );
        assert_eq!(few.nps, None);
        assert_eq!(few.interval, "Too few answers for an NPS (2 answers)");
        assert_eq!(few.verdict, "none");
        assert_eq!(headline(DigestKind::Daily, &[few]), "Shop: 2 answers");
    }
}
