//! The follow-up inbox: the answers whose visitor agreed to be contacted, worked by the team.
//! Each has a status (new, contacted, resolved), an assignee, a due time for the first contact
//! (the organisation's hours after the answer unless set), internal notes and the replies sent,
//! by the member's own mail app (`mailto:`) or by the server's SMTP relay. Every change is
//! audited, never with what was written or the visitor's address. Two pages rendered whole on
//! the server: the list (`/admin/{org}/inbox`) and one answer (`/admin/{org}/inbox/{id}`).
//! Viewers read them; owners and admins work them.

use super::feedback::Feedback;
use super::guard::{acting, at_least, Acting};
use super::parse_id;
use crate::domain::{
    mailto, EntryKind, EntryText, FollowUpHours, FollowUpStatus, ReplySubject, Role,
};
use crate::error::AppError;
use crate::nps::Score;
use crate::report::wait_text as span;
use crate::store::{
    AssigneeFilter, FollowUpChange, FollowUpEntry, FollowUpItem, InboxFilter, NewEntry,
    StatusFilter,
};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// At most this many answers in one view of the list: the newest (a filter finds older).
const INBOX_PAGE: u32 = 200;

/// The viewer's zone (their cookie), else UTC.
fn zone() -> Tz {
    crate::dashboard::site::viewer_zone()
        .and_then(|z| crate::report::periods::zone(&z).ok())
        .unwrap_or(Tz::UTC)
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// An answer as a row of the list or the head of its page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemView {
    pub id: String,
    pub score: u8,
    pub band: String,
    pub comment: String,
    pub site: String,
    pub contact_email: String,
    pub page_path: Option<String>,
    pub reason: Option<String>,
    pub language: Option<String>,
    pub received: String,
    pub status: FollowUpStatus,
    pub assignee: Option<Uuid>,
    pub assignee_email: Option<String>,
    pub due: String,
    /// The due time as the form's `datetime-local` field holds it; empty when not set.
    pub due_input: String,
    pub overdue: bool,
    /// "First contact after 3 h".
    pub first_contact: Option<String>,
    pub entries: u32,
}

impl ItemView {
    fn of(item: FollowUpItem, tz: Tz, now: DateTime<Utc>) -> ItemView {
        let band = Score::try_from(item.score)
            .map(|s| s.band().as_str())
            .unwrap_or("detractor")
            .to_string();
        ItemView {
            id: item.answer_id.to_string(),
            score: item.score,
            band,
            comment: item.comment.clone().unwrap_or_default(),
            site: item.site_name.clone(),
            contact_email: item.contact_email.clone(),
            page_path: item.page_path.clone(),
            reason: item.reason.clone(),
            language: item.language.clone(),
            received: local(item.received_at, tz),
            status: item.status,
            assignee: item.assignee,
            assignee_email: item.assignee_email.clone(),
            due: local(item.due_at, tz),
            due_input: if item.due_set {
                item.due_at
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            } else {
                String::new()
            },
            overdue: item.overdue(now),
            first_contact: item.first_contact_at.map(|f| {
                format!(
                    "first contact after {}",
                    span((f - item.received_at).num_seconds())
                )
            }),
            entries: item.entries,
        }
    }
}

/// Someone an answer may be assigned to: an owner or admin of the organisation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assignable {
    pub id: Uuid,
    pub email: String,
}

async fn assignable(who: &Acting) -> Result<Vec<Assignable>, AppError> {
    Ok(who
        .store
        .members(who.org())
        .await?
        .into_iter()
        .filter(|m| at_least(m.role, Role::Admin))
        .map(|m| Assignable {
            id: m.user_id,
            email: m.email,
        })
        .collect())
}

/// The list's filters, as its address gives them (anything unknown: the default).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InboxQuery {
    pub status: String,
    pub assignee: String,
    pub site: String,
}

impl InboxQuery {
    fn filter(&self, me: Uuid) -> InboxFilter {
        InboxFilter {
            status: match self.status.as_str() {
                "all" => StatusFilter::All,
                s => FollowUpStatus::parse(s)
                    .map(StatusFilter::Only)
                    .unwrap_or(StatusFilter::Open),
            },
            assignee: match self.assignee.as_str() {
                "me" => AssigneeFilter::Member(me),
                "nobody" => AssigneeFilter::Nobody,
                other => Uuid::parse_str(other)
                    .map(AssigneeFilter::Member)
                    .unwrap_or(AssigneeFilter::Anyone),
            },
            site: Uuid::parse_str(&self.site).ok(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboxView {
    pub org_name: String,
    pub can_act: bool,
    pub hours: u16,
    pub query: InboxQuery,
    pub sites: Vec<(Uuid, String)>,
    pub assignable: Vec<Assignable>,
    pub items: Vec<ItemView>,
    pub full: bool,
    pub overdue: usize,
}

async fn load_inbox(org: String, query: InboxQuery) -> Result<InboxView, AppError> {
    crate::auth::member_or_sign_in(&format!("/admin/{org}/inbox")).await?;
    crate::error::with_status(read_inbox(org, query).await)
}

async fn read_inbox(org: String, query: InboxQuery) -> Result<InboxView, AppError> {
    let who = acting(&org, Role::Viewer).await?;
    let tz = zone();
    let now = Utc::now();
    let found = who
        .store
        .follow_up_inbox(who.org(), &query.filter(who.member.user_id), INBOX_PAGE)
        .await?;
    let items: Vec<ItemView> = found
        .into_iter()
        .map(|i| ItemView::of(i, tz, now))
        .collect();
    Ok(InboxView {
        org_name: who.membership.org_name.clone(),
        can_act: at_least(who.membership.role, Role::Admin),
        hours: who.store.follow_up_hours(who.org()).await?.get(),
        sites: who
            .store
            .sites(who.org())
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        assignable: assignable(&who).await?,
        full: items.len() == INBOX_PAGE as usize,
        overdue: items.iter().filter(|i| i.overdue).count(),
        items,
        query,
    })
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FollowUpView {
    pub org_name: String,
    pub can_act: bool,
    pub hours: u16,
    pub zone: String,
    pub item: ItemView,
    pub entries: Vec<EntryView>,
    pub assignable: Vec<Assignable>,
    pub default_subject: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EntryView {
    pub kind: EntryKind,
    pub author: String,
    pub subject: Option<String>,
    pub body: String,
    pub at: String,
    /// For a reply by the member's mail app: the same reply, to open again.
    pub mailto: Option<String>,
}

async fn load_follow_up(org: String, id: String) -> Result<FollowUpView, AppError> {
    crate::auth::member_or_sign_in(&format!("/admin/{org}/inbox/{id}")).await?;
    crate::error::with_status(read_follow_up(org, id).await)
}

async fn read_follow_up(org: String, id: String) -> Result<FollowUpView, AppError> {
    let who = acting(&org, Role::Viewer).await?;
    let answer = parse_id("id", &id).map_err(|_| AppError::NotFound)?;
    let item = who
        .store
        .follow_up(who.org(), answer)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = zone();
    let email = item.contact_email.clone();
    let entries = who
        .store
        .follow_up_entries(who.org(), answer)
        .await?
        .into_iter()
        .map(|e: FollowUpEntry| EntryView {
            mailto: (e.kind == EntryKind::Mailto)
                .then(|| mailto(&email, e.subject.as_deref().unwrap_or_default(), &e.body)),
            kind: e.kind,
            author: e.author_email.unwrap_or_else(|| "a former member".into()),
            subject: e.subject,
            body: e.body,
            at: local(e.at, tz),
        })
        .collect();
    Ok(FollowUpView {
        org_name: who.membership.org_name.clone(),
        can_act: at_least(who.membership.role, Role::Admin),
        hours: who.store.follow_up_hours(who.org()).await?.get(),
        zone: tz.name().to_string(),
        default_subject: format!("About your feedback on {}", item.site_name),
        item: ItemView::of(item, tz, Utc::now()),
        entries,
        assignable: assignable(&who).await?,
    })
}

/// `2026-12-06T17:40` in the viewer's zone; empty: back to the organisation's hours.
fn parse_due(raw: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid("due", "must be a date and time, like 2026-12-24T09:00");
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad())?;
    // A year either backend stores, and a person means.
    if !(2000..=2100).contains(&naive.year()) {
        return Err(AppError::invalid(
            "due",
            "must be a date between 2000 and 2100",
        ));
    }
    // A time the clocks skip (spring forward) is refused; one they pass twice, the first.
    let at = tz.from_local_datetime(&naive).earliest().ok_or_else(|| {
        AppError::invalid("due", "does not exist in your time zone (clocks skip it)")
    })?;
    Ok(Some(at.with_timezone(&Utc)))
}

/// Sets an answer's status, assignee and due time: each that changed is written and audited.
#[server(prefix = "/fn", endpoint = "save_follow_up")]
pub async fn save_follow_up(
    org: String,
    id: String,
    status: String,
    #[server(default)] assignee: String,
    #[server(default)] due: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let tz = zone();
            let who = acting(&org, Role::Admin).await?;
            let answer = parse_id("id", &id)?;
            let status = FollowUpStatus::parse(&status)?;
            let assignee = match assignee.trim() {
                "" => None,
                raw => Some(parse_id("assignee", raw)?),
            };
            let due = parse_due(&due, tz)?;
            let now_item = who
                .store
                .follow_up(who.org(), answer)
                .await?
                .ok_or(AppError::NotFound)?;
            if let Some(member) = assignee {
                if !assignable(&who).await?.iter().any(|a| a.id == member) {
                    return Err(AppError::invalid(
                        "assignee",
                        "is not an owner or admin of this organisation",
                    ));
                }
            }
            let now = Utc::now();
            let due_now = now_item.due_set.then_some(now_item.due_at);
            let changes = [
                (now_item.status != status).then_some(FollowUpChange::Status(status)),
                (now_item.assignee != assignee).then_some(FollowUpChange::Assignee(assignee)),
                // Compared by the minute the form shows.
                (due_now.map(|d| d.timestamp() / 60) != due.map(|d| d.timestamp() / 60))
                    .then_some(FollowUpChange::Due(due)),
            ];
            for change in changes.into_iter().flatten() {
                if !who
                    .store
                    .change_follow_up(who.org(), answer, change, now)
                    .await?
                {
                    return Err(AppError::NotFound);
                }
                let (action, what) = match change {
                    FollowUpChange::Status(s) => ("follow_up.status", s.as_str().to_string()),
                    FollowUpChange::Assignee(a) => (
                        "follow_up.assignee",
                        a.map(|a| a.to_string()).unwrap_or_else(|| "nobody".into()),
                    ),
                    FollowUpChange::Due(d) => (
                        "follow_up.due",
                        d.map(|d| d.to_rfc3339())
                            .unwrap_or_else(|| "default".into()),
                    ),
                };
                who.audit(action, format!("{answer}: {what}")).await?;
            }
            Ok(())
        }
        .await,
    )
}

/// Adds an internal note to an answer's follow-up.
#[server(prefix = "/fn", endpoint = "add_follow_up_note")]
pub async fn add_follow_up_note(
    org: String,
    id: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let answer = parse_id("id", &id)?;
            let body = EntryText::parse("note", &note)?;
            // Only an answer of the inbox (its visitor agreed to be contacted).
            who.store
                .follow_up(who.org(), answer)
                .await?
                .ok_or(AppError::NotFound)?;
            let entry = NewEntry {
                kind: EntryKind::Note,
                author: who.member.user_id,
                subject: None,
                body,
            };
            if !who
                .store
                .add_follow_up_entry(who.org(), answer, &entry, Utc::now())
                .await?
            {
                return Err(AppError::NotFound);
            }
            // Never what the note says.
            who.audit("follow_up.note", answer.to_string()).await
        }
        .await,
    )
}

/// Records a reply to the visitor: `via=mailto` opens in the member's own mail app (the page
/// then offers the link), `via=smtp` is sent by the server's relay and recorded once sent.
/// Either marks the answer contacted.
#[server(prefix = "/fn", endpoint = "reply_to_answer")]
pub async fn reply_to_answer(
    org: String,
    id: String,
    #[server(default)] subject: String,
    #[server(default)] message: String,
    #[server(default)] via: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let answer = parse_id("id", &id)?;
            let subject = ReplySubject::parse(&subject)?;
            let body = EntryText::parse("message", &message)?;
            let kind = match via.as_str() {
                "smtp" => EntryKind::Smtp,
                _ => EntryKind::Mailto,
            };
            let item = who
                .store
                .follow_up(who.org(), answer)
                .await?
                .ok_or(AppError::NotFound)?;
            if kind == EntryKind::Smtp {
                let mailer = crate::mail::mailer()?;
                // A form sent twice, or a flood through the operator's relay: one mail a minute
                // per answer, its slot taken before sending (of two at once, one goes).
                let now = Utc::now();
                if !who
                    .store
                    .take_mail_slot(who.org(), answer, now, now - chrono::Duration::minutes(1))
                    .await?
                {
                    return Err(AppError::Throttled);
                }
                let reply_to = who
                    .store
                    .members(who.org())
                    .await?
                    .into_iter()
                    .find(|m| m.user_id == who.member.user_id)
                    .map(|m| m.email);
                mailer
                    .send(crate::mail::Message {
                        to: item.contact_email.clone(),
                        reply_to,
                        subject: subject.as_str().to_string(),
                        text: body.as_str().to_string(),
                        html: None,
                        unsubscribe: None,
                    })
                    .await?;
            }
            let entry = NewEntry {
                kind,
                author: who.member.user_id,
                subject: Some(subject),
                body,
            };
            if !who
                .store
                .add_follow_up_entry(who.org(), answer, &entry, Utc::now())
                .await?
            {
                return Err(AppError::NotFound);
            }
            who.audit("follow_up.reply", format!("{answer}: {}", kind.as_str()))
                .await
        }
        .await,
    )
}

/// How long after an answer its first contact is due, for the whole organisation.
#[server(prefix = "/fn", endpoint = "set_follow_up_hours")]
pub async fn set_follow_up_hours(org: String, hours: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let who = acting(&org, Role::Admin).await?;
            let hours = FollowUpHours::parse(&hours)?;
            who.store.set_follow_up_hours(who.org(), hours).await?;
            who.audit("follow_up.hours", hours.get().to_string()).await
        }
        .await,
    )
}

#[component]
fn InboxCrumbs(org: String) -> impl IntoView {
    view! {
        <p class="crumbs"><a href="/admin" rel="external">"← Administration"</a>" · "<a href="/dashboard" rel="external">"Dashboards"</a>" · "<a href=format!("/admin/{org}/inbox")>"Follow-up inbox"</a></p>
    }
}

#[component]
pub fn InboxPage(org: String) -> impl IntoView {
    let query = use_query_map();
    let q = query.with_untracked(|q| InboxQuery {
        status: q.get("status").unwrap_or_default(),
        assignee: q.get("assignee").unwrap_or_default(),
        site: q.get("site").unwrap_or_default(),
    });
    let page = {
        let org = org.clone();
        Resource::new_blocking(|| (), move |_| load_inbox(org.clone(), q.clone()))
    };
    view! {
        <Title text="Follow-up inbox · Farewell" />
        <main class="page admin inbox">
            <InboxCrumbs org=org.clone() />
            <h1>"Follow-up inbox"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        super::setup::found(page.await, |data| view! { <InboxList data org /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

fn option(value: String, label: String, current: &str) -> impl IntoView {
    let selected = value == current;
    view! { <option value=value selected=selected>{label}</option> }
}

#[component]
fn InboxList(data: InboxView, org: String) -> impl IntoView {
    let q = data.query.clone();
    let statuses = [
        ("", "Open (new and contacted)"),
        ("new", "New"),
        ("contacted", "Contacted"),
        ("resolved", "Resolved"),
        ("all", "All"),
    ]
    .into_iter()
    .map(|(v, l)| option(v.into(), l.into(), &q.status))
    .collect_view();
    let assignees = [
        ("", "Anyone".to_string()),
        ("me", "Me".into()),
        ("nobody", "Nobody".into()),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_string(), l))
    .chain(
        data.assignable
            .iter()
            .map(|a| (a.id.to_string(), a.email.clone())),
    )
    .map(|(v, l)| option(v, l, &q.assignee))
    .collect_view();
    let sites = std::iter::once((String::new(), "Every site".to_string()))
        .chain(
            data.sites
                .iter()
                .map(|(id, name)| (id.to_string(), name.clone())),
        )
        .map(|(v, l)| option(v, l, &q.site))
        .collect_view();
    let summary = match (data.items.len(), data.overdue) {
        (0, _) => "No answer here.".to_string(),
        // A full page is not all there is: said first, not under the list.
        (n, o) if data.full => format!(
            "The newest {n} answers here, {o} of them overdue: there are older ones. Narrow the filters (status, person, site) to see them."
        ),
        (1, 0) => "1 answer.".to_string(),
        (1, _) => "1 answer, overdue.".to_string(),
        (n, 0) => format!("{n} answers."),
        (n, o) => format!("{n} answers, {o} overdue."),
    };
    let rows = data
        .items
        .iter()
        .map(|i| {
            let href = format!("/admin/{org}/inbox/{}", i.id);
            let excerpt: String = if i.comment.chars().count() > 140 {
                i.comment.chars().take(140).collect::<String>() + "…"
            } else if i.comment.is_empty() {
                "(no comment)".into()
            } else {
                i.comment.clone()
            };
            let who = i.assignee_email.clone().unwrap_or_else(|| "unassigned".into());
            view! {
                <li class=format!("follow-up {}", i.status.as_str())>
                    <p class="meta">
                        <span class=format!("score {}", i.band)>{i.score}</span>
                        " "<span class="status">{i.status.label()}</span>
                        {i.overdue.then(|| view! { " "<strong class="overdue">"Overdue"</strong> })}
                        " · "{i.site.clone()}" · "{i.received.clone()}
                    </p>
                    <p class="comment"><a href=href>{excerpt}</a></p>
                    <p class="hint">{format!("{who} · due {}", i.due)}{i.first_contact.clone().map(|f| format!(" · {f}"))}{(i.entries > 0).then(|| format!(" · {} notes and replies", i.entries))}</p>
                </li>
            }
        })
        .collect_view();
    let set_hours = ServerAction::<SetFollowUpHours>::new();
    let feedback = Feedback::new(set_hours);
    view! {
        <p>{data.org_name.clone()}": answers whose visitor agreed to be contacted. Detractors first want to hear from you within a day or two."</p>
        <form method="get" class="filters inbox-filters">
            <label>"Status"<select name="status">{statuses}</select></label>
            <label>"Assigned to"<select name="assignee">{assignees}</select></label>
            <label>"Site"<select name="site">{sites}</select></label>
            <button type="submit">"Show"</button>
        </form>
        <p role="status" class="count">{summary}</p>
        <ul class="inbox-list">{rows}</ul>
        {data.can_act.then(|| view! {
            <ActionForm action=set_hours attr:class="stack inbox-hours">
                <input type="hidden" name="org" value=org.clone() />
                <label for="hours">"A follow-up is due this many hours after the answer"</label>
                <input id="hours" name="hours" type="number" min="1" max="720" inputmode="numeric" value=data.hours.to_string() />
                {feedback.at("hours")}
                <button type="submit">"Save"</button>
                {feedback.saved("Saved.")}
                {feedback.rest()}
            </ActionForm>
        })}
    }
}

#[component]
pub fn FollowUpPage(org: String, id: String) -> impl IntoView {
    let page = {
        let (org, id) = (org.clone(), id.clone());
        Resource::new_blocking(|| (), move |_| load_follow_up(org.clone(), id.clone()))
    };
    view! {
        <Title text="Follow-up · Farewell" />
        <main class="page narrow admin follow-up-page">
            <InboxCrumbs org=org.clone() />
            <h1>"Follow-up"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (org, id) = (org.clone(), id.clone());
                    Suspend::new(async move {
                        super::setup::found(page.await, |data| view! { <FollowUpDetail data org id /> }.into_any())
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn FollowUpDetail(data: FollowUpView, org: String, id: String) -> impl IntoView {
    let i = data.item.clone();
    let context = [
        Some(i.site.clone()),
        i.page_path.clone(),
        i.reason.clone().map(|r| format!("reason: {r}")),
        i.language.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let entries = data
        .entries
        .iter()
        .map(|e| {
            let what = match e.kind {
                EntryKind::Note => "Note",
                EntryKind::Mailto => "Reply from the mail app",
                EntryKind::Smtp => "Reply sent by e-mail",
            };
            view! {
                <li class=format!("entry {}", e.kind.as_str())>
                    <p class="meta">{format!("{what} · {} · {}", e.author, e.at)}</p>
                    {e.subject.clone().map(|s| view! { <p class="subject">{s}</p> })}
                    <p class="body">{e.body.clone()}</p>
                    {e.mailto.clone().map(|href| view! { <p><a href=href class="button">"Open in my mail app"</a></p> })}
                </li>
            }
        })
        .collect_view();
    let no_entries = data.entries.is_empty();
    let status_line = format!(
        "{}{} · due {}{}",
        i.status.label(),
        i.assignee_email
            .clone()
            .map(|a| format!(" · assigned to {a}"))
            .unwrap_or_default(),
        i.due,
        i.first_contact
            .clone()
            .map(|f| format!(" · {f}"))
            .unwrap_or_default()
    );
    view! {
        <article class=format!("answer {}", i.band.clone())>
            <p class="meta">
                <span class=format!("score {}", i.band.clone())>{i.score}</span>
                " "<span class="band">{i.band.clone()}</span>" · "{i.received.clone()}
                {i.overdue.then(|| view! { " "<strong class="overdue">"Overdue"</strong> })}
            </p>
            <blockquote class="comment">{if i.comment.is_empty() { "(no comment)".to_string() } else { i.comment.clone() }}</blockquote>
            <p class="context">{context}</p>
            <p class="contact">"May be contacted at "<strong>{i.contact_email.clone()}</strong></p>
            <p class="now">{status_line}</p>
        </article>
        {data.can_act.then(|| view! { <FollowUpForms data=data.clone() org=org.clone() id=id.clone() /> })}
        {(!data.can_act).then(|| view! { <p class="hint">"Viewers read the inbox; owners and admins work it."</p> })}
        <h2>"Notes and replies"</h2>
        {no_entries.then(|| view! { <p class="empty">"None yet."</p> })}
        <ol class="entries">{entries}</ol>
    }
}

#[component]
fn FollowUpForms(data: FollowUpView, org: String, id: String) -> impl IntoView {
    let save = ServerAction::<SaveFollowUp>::new();
    let saved = Feedback::new(save);
    let reply = ServerAction::<ReplyToAnswer>::new();
    let replied = Feedback::new(reply);
    let note = ServerAction::<AddFollowUpNote>::new();
    let noted = Feedback::new(note);
    let i = data.item.clone();
    let statuses = FollowUpStatus::ALL
        .into_iter()
        .map(|s| option(s.as_str().into(), s.label().into(), i.status.as_str()))
        .collect_view();
    let current = i.assignee.map(|a| a.to_string()).unwrap_or_default();
    let assignees = std::iter::once((String::new(), "Nobody".to_string()))
        .chain(
            data.assignable
                .iter()
                .map(|a| (a.id.to_string(), a.email.clone())),
        )
        .map(|(v, l)| option(v, l, &current))
        .collect_view();
    let smtp = crate::mail::configured();
    let due_hint = format!(
        "In your time zone ({}). Empty: {} hours after the answer.",
        data.zone, data.hours
    );
    let (reply_org, reply_id) = (org.clone(), id.clone());
    let (note_org, note_id) = (org.clone(), id.clone());
    view! {
        <h2>"Status"</h2>
        <ActionForm action=save attr:class="stack follow-up-status">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=id />
            <label for="status">"Status"</label>
            <select id="status" name="status">{statuses}</select>
            {saved.at("status")}
            <label for="assignee">"Assigned to"</label>
            <select id="assignee" name="assignee">{assignees}</select>
            {saved.at("assignee")}
            <label for="due">"First contact due"</label>
            <input id="due" name="due" type="datetime-local" value=i.due_input.clone() aria-describedby="due-hint" />
            <span class="hint" id="due-hint">{due_hint}</span>
            {saved.at("due")}
            <button type="submit">"Save"</button>
            {saved.saved("Saved.")}
            {saved.rest()}
        </ActionForm>
        <h2>"Reply"</h2>
        <ActionForm action=reply attr:class="stack follow-up-reply">
            <input type="hidden" name="org" value=reply_org />
            <input type="hidden" name="id" value=reply_id />
            <label for="subject">"Subject"</label>
            <input id="subject" name="subject" maxlength="200" value=data.default_subject.clone() data-fresh="" />
            {replied.at("subject")}
            <label for="message">"Message"</label>
            <textarea id="message" name="message" rows="6" maxlength="4000" data-fresh=""></textarea>
            {replied.at("message")}
            <p class="hint">{if smtp {
                "“Send” mails it from Farewell, with replies coming back to you. “Write in my mail app” keeps it here and opens it in yours. Either marks the answer contacted."
            } else {
                "This server sends no e-mail (no SMTP relay is set up): the reply is kept here and opened in your own mail app. It marks the answer contacted."
            }}</p>
            // The mail app first: Enter in the subject must not mail the visitor.
            <div class="buttons">
                <button type="submit" name="via" value="mailto">"Write in my mail app"</button>
                {smtp.then(|| view! { <button type="submit" name="via" value="smtp">"Send"</button> })}
            </div>
            {replied.saved("Reply recorded.")}
            {replied.rest()}
        </ActionForm>
        <h2>"Internal note"</h2>
        <ActionForm action=note attr:class="stack follow-up-note">
            <input type="hidden" name="org" value=note_org />
            <input type="hidden" name="id" value=note_id />
            <label for="note">"Note (seen by your team only)"</label>
            <textarea id="note" name="note" rows="3" maxlength="4000" data-fresh=""></textarea>
            {noted.at("note")}
            <button type="submit">"Add note"</button>
            {noted.saved("Note added.")}
            {noted.rest()}
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_time_is_read_in_the_viewers_zone() {
        let helsinki: Tz = "Europe/Helsinki".parse().unwrap();
        let due = parse_due("2026-12-24T09:00", helsinki).unwrap().unwrap();
        assert_eq!(due.to_rfc3339(), "2026-12-24T07:00:00+00:00");
        assert_eq!(parse_due("  ", helsinki).unwrap(), None);
        assert!(parse_due("24.12.2026", helsinki).is_err());
        assert!(parse_due("+10000-01-01T00:00", helsinki).is_err());
        assert!(parse_due("1970-01-01T00:00", helsinki).is_err());
        // 03:30 on the last Sunday of March does not exist in Helsinki.
        assert!(parse_due("2026-03-29T03:30", helsinki).is_err());
    }
}
