//! The administration, account and invitation pages.

use super::*;
use crate::domain::ButtonPosition;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Every administration action; the overview reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteMember>,
    revoke_invitation: ServerAction<RevokeInvitation>,
    role: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    token: ServerAction<CreateToken>,
    revoke_token: ServerAction<RevokeToken>,
    new_site: ServerAction<CreateSite>,
    site: ServerAction<UpdateSite>,
    rotate: ServerAction<RotateSiteKey>,
    survey: ServerAction<UpdateSurvey>,
    notice: ServerAction<PublishNotice>,
    retention: ServerAction<SetRetention>,
    erase: ServerAction<EraseAnswers>,
    share: ServerAction<CreateShareLink>,
    unshare: ServerAction<RevokeShareLink>,
    share_k: ServerAction<SetShareK>,
    webhook: ServerAction<CreateWebhook>,
    unhook: ServerAction<RevokeWebhook>,
}

impl Actions {
    fn new() -> Actions {
        Actions {
            invite: ServerAction::new(),
            revoke_invitation: ServerAction::new(),
            role: ServerAction::new(),
            remove: ServerAction::new(),
            token: ServerAction::new(),
            revoke_token: ServerAction::new(),
            new_site: ServerAction::new(),
            site: ServerAction::new(),
            rotate: ServerAction::new(),
            survey: ServerAction::new(),
            notice: ServerAction::new(),
            retention: ServerAction::new(),
            erase: ServerAction::new(),
            share: ServerAction::new(),
            unshare: ServerAction::new(),
            share_k: ServerAction::new(),
            webhook: ServerAction::new(),
            unhook: ServerAction::new(),
        }
    }

    fn versions(&self) -> usize {
        self.invite.version().get()
            + self.revoke_invitation.version().get()
            + self.role.version().get()
            + self.remove.version().get()
            + self.token.version().get()
            + self.revoke_token.version().get()
            + self.new_site.version().get()
            + self.site.version().get()
            + self.rotate.version().get()
            + self.survey.version().get()
            + self.notice.version().get()
            + self.retention.version().get()
            + self.erase.version().get()
            + self.share.version().get()
            + self.unshare.version().get()
            + self.share_k.version().get()
            + self.webhook.version().get()
            + self.unhook.version().get()
    }

    /// The last failure of any action, to show beside the forms.
    fn error(&self) -> Option<String> {
        fn err<T>(v: Option<Result<T, AppError>>) -> Option<String> {
            match v {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            }
        }
        err(self.invite.value().get())
            .or_else(|| err(self.revoke_invitation.value().get()))
            .or_else(|| err(self.role.value().get()))
            .or_else(|| err(self.remove.value().get()))
            .or_else(|| err(self.token.value().get()))
            .or_else(|| err(self.revoke_token.value().get()))
            .or_else(|| err(self.new_site.value().get()))
            .or_else(|| err(self.site.value().get()))
            .or_else(|| err(self.rotate.value().get()))
            .or_else(|| err(self.survey.value().get()))
            .or_else(|| err(self.notice.value().get()))
            .or_else(|| err(self.retention.value().get()))
            .or_else(|| err(self.erase.value().get()))
            .or_else(|| err(self.share.value().get()))
            .or_else(|| err(self.unshare.value().get()))
            .or_else(|| err(self.share_k.value().get()))
            .or_else(|| err(self.webhook.value().get()))
            .or_else(|| err(self.unhook.value().get()))
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let actions = Actions::new();
    let overview = Resource::new(move || actions.versions(), |_| admin_overview());
    view! {
        <Title text="Administration · Farewell" />
        <main class="page wide admin">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboard"</a>" · "<a href="/account">"Account"</a></p>
            <h1>"Administration"</h1>
            {move || actions.error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) if o.organisations.is_empty() => view! {
                            <p>"You administer no organisation. Ask an owner or admin for the admin role."</p>
                        }.into_any(),
                        Ok(o) => {
                            let base = o.base_url.clone();
                            o.organisations
                                .into_iter()
                                .map(|org| view! { <OrganisationView org base=base.clone() actions /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

fn role_options(selected: Role, can_owner: bool) -> impl IntoView {
    [Role::Viewer, Role::Admin, Role::Owner]
        .into_iter()
        .filter(move |r| can_owner || *r != Role::Owner || selected == Role::Owner)
        .map(move |r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view()
}

#[component]
fn OrganisationView(org: OrganisationAdmin, base: String, actions: Actions) -> impl IntoView {
    let org_id = org.id.to_string();
    let owner = org.role == Role::Owner;
    let members = org
        .members
        .iter()
        .map(|m| {
            let (o1, o2, user1, user2) = (org_id.clone(), org_id.clone(), m.user_id.to_string(), m.user_id.to_string());
            let role = m.role;
            let me = (m.user_id == org.me).then_some(" (you)");
            view! {
                <tr data-member=m.email.clone()>
                    <td>{m.email.clone()}{me}</td>
                    <td>
                        <ActionForm action=actions.role attr:class="inline">
                            <input type="hidden" name="org" value=o1 />
                            <input type="hidden" name="user" value=user1 />
                            <select name="role" aria-label="Role">{role_options(role, owner)}</select>
                            <button type="submit">"Save"</button>
                        </ActionForm>
                    </td>
                    <td>
                        <ActionForm action=actions.remove attr:class="inline">
                            <input type="hidden" name="org" value=o2 />
                            <input type="hidden" name="user" value=user2 />
                            <button type="submit" class="danger">"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let invitations = org
        .invitations
        .iter()
        .map(|i| {
            let (o, id) = (org_id.clone(), i.id.to_string());
            view! {
                <li>
                    {format!("{} — expires {}", i.role.as_str(), i.expires_at.format("%Y-%m-%d %H:%M UTC"))}
                    <ActionForm action=actions.revoke_invitation attr:class="inline">
                        <input type="hidden" name="org" value=o />
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="link">"Revoke"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let invite_link = {
        let base = base.clone();
        move || match actions.invite.value().get() {
            Some(Ok(path)) => Some(view! {
                <p>"Send this link (valid "{INVITATION_DAYS}" days, once): "
                    <input class="invite-link" readonly size="60" value=format!("{base}{path}") />
                </p>
            }),
            _ => None,
        }
    };
    let tokens = org
        .tokens
        .iter()
        .map(|t| {
            let (o, id) = (org_id.clone(), t.id.to_string());
            let revoke = (!t.revoked).then(|| {
                view! {
                    <ActionForm action=actions.revoke_token attr:class="inline">
                        <input type="hidden" name="org" value=o />
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="link">"Revoke"</button>
                    </ActionForm>
                }
            });
            view! {
                <li data-token=t.name.clone()>
                    {format!("{} — created {}", t.name, t.created_at.format("%Y-%m-%d"))}
                    {t.revoked.then_some(" (revoked)")}
                    {revoke}
                </li>
            }
        })
        .collect_view();
    let new_token = move || match actions.token.value().get() {
        Some(Ok(token)) => Some(view! {
            <p>"The new token, shown only now: "<input class="new-token" readonly size="60" value=token /></p>
        }),
        _ => None,
    };
    let sites = org
        .sites
        .iter()
        .cloned()
        .map(|site| view! { <SiteAdminView site org=org_id.clone() base=base.clone() actions /> })
        .collect_view();
    let notices = org
        .notices
        .iter()
        .map(|n| {
            view! {
                <li>
                    <a href=format!("/notice/{}", n.id) rel="external">{format!("Version {}", n.version)}</a>
                    {format!(" ({}) published {}, SHA-256 {}…", n.language, n.published_at.format("%Y-%m-%d"), &n.content_hash[..12.min(n.content_hash.len())])}
                </li>
            }
        })
        .collect_view();
    let audit = owner.then(|| {
        let rows = org
            .audit
            .iter()
            .map(|a| view! {
                <tr><td>{a.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</td><td>{a.actor.clone()}</td><td>{a.action.clone()}</td><td>{a.subject.clone()}</td></tr>
            })
            .collect_view();
        view! {
            <section class="panel">
                <h3>"Audit log"</h3>
                <table class="audit"><thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Subject"</th></tr></thead><tbody>{rows}</tbody></table>
            </section>
        }
    });
    let (o_retention, o_requests) = (org_id.clone(), org_id.clone());
    let (o_invite, o_token, o_site, o_notice) = (
        org_id.clone(),
        org_id.clone(),
        org_id.clone(),
        org_id.clone(),
    );
    view! {
        <section class="organisation" data-org=org_id.clone()>
            <h2>{org.name.clone()}" "<small>"(" {org.role.as_str()} ")"</small></h2>
            <section class="panel">
                <h3>"Members"</h3>
                <table class="members"><tbody>{members}</tbody></table>
                <ActionForm action=actions.invite attr:class="inline invite">
                    <input type="hidden" name="org" value=o_invite />
                    <label>"Invite as "<select name="role">{role_options(Role::Viewer, owner)}</select></label>
                    <button type="submit">"Create invitation link"</button>
                </ActionForm>
                {invite_link}
                <ul class="invitations">{invitations}</ul>
            </section>
            <section class="panel">
                <h3>"API tokens"</h3>
                <ul class="tokens">{tokens}</ul>
                <ActionForm action=actions.token attr:class="inline">
                    <input type="hidden" name="org" value=o_token />
                    <label>"Name "<input name="name" required maxlength="100" /></label>
                    <button type="submit">"Create token"</button>
                </ActionForm>
                {new_token}
            </section>
            <section class="panel">
                <h3>"Sites"</h3>
                {sites}
                <ActionForm action=actions.new_site attr:class="stack new-site">
                    <input type="hidden" name="org" value=o_site />
                    <label>"New site name "<input name="name" required maxlength="100" /></label>
                    <label>"Allowed origins (one per line)"<textarea name="origins" rows="2" placeholder="https://shop.example"></textarea></label>
                    <button type="submit">"Add site"</button>
                </ActionForm>
            </section>
            <section class="panel">
                <h3>"Privacy notice"</h3>
                <p class="hint">"Publishing adds a version; earlier versions stay exactly as respondents saw them."</p>
                <ul class="notices">{notices}</ul>
                <ActionForm action=actions.notice attr:class="stack">
                    <input type="hidden" name="org" value=o_notice />
                    <label>"Language "<input name="language" value="en" size="6" required /></label>
                    <label>"Text"<textarea name="body" rows="6" required></textarea></label>
                    <button type="submit">"Publish new version"</button>
                </ActionForm>
            </section>
            <section class="panel">
                <h3>"Retention"</h3>
                <ActionForm action=actions.retention attr:class="inline">
                    <input type="hidden" name="org" value=o_retention />
                    <label>"Delete answers (comments, context) after "
                        <input name="days" type="number" min="1" size="6" value=org.retention_days.map(|d| d.to_string()).unwrap_or_default() />
                        " days"</label>
                    <button type="submit">"Save"</button>
                </ActionForm>
                <p class="hint">"Empty keeps answers until erased. The figures (counts per score) stay after answers are deleted."</p>
            </section>
            <ShareLinks org=org.clone() base=base.clone() actions />
            <Webhooks org=org.clone() actions />
            <DataRequests org=o_requests actions />
            {audit}
        </section>
    }
}

/// Find one person's answers by respondent id or e-mail, download them, erase them. The
/// search is in the URL (`/admin?org=…&respondent=…&email=…`).
#[component]
fn DataRequests(org: String, actions: Actions) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let mine = org.clone();
    let terms = move || {
        let q = query.read();
        (q.get("org").as_deref() == Some(mine.as_str())).then(|| {
            (
                q.get("respondent").unwrap_or_default(),
                q.get("email").unwrap_or_default(),
            )
        })
    };
    let found = {
        let org = org.clone();
        let terms = terms.clone();
        Resource::new(
            move || (terms(), actions.erase.version().get()),
            move |(terms, _)| {
                let org = org.clone();
                async move {
                    match terms {
                        Some((respondent, email)) => {
                            Some(find_answers(org, respondent, email).await)
                        }
                        None => None,
                    }
                }
            },
        )
    };
    let (respondent, email) = terms().unwrap_or_default();
    let org2 = org.clone();
    view! {
        <section class="panel data-requests">
            <h3>"Data-subject requests"</h3>
            <form method="get" action="/admin" class="inline">
                <input type="hidden" name="org" value=org.clone() />
                <label>"Respondent id "<input name="respondent" value=respondent size="38" /></label>
                <label>"or e-mail "<input name="email" type="email" value=email /></label>
                <button type="submit">"Find answers"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || {
                    let org = org2.clone();
                    let terms = terms.clone();
                    Suspend::new(async move {
                        match found.await {
                            None => ().into_any(),
                            Some(Err(e)) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                            Some(Ok(answers)) => {
                                let (respondent, email) = terms().unwrap_or_default();
                                let n = answers.len();
                                let rows = answers
                                    .into_iter()
                                    .map(|a| view! {
                                        <li>{format!("{} · score {} · {}", a.received_at.format("%Y-%m-%d"), a.score, a.comment.unwrap_or_default())}</li>
                                    })
                                    .collect_view();
                                let download = format!(
                                    "/admin/answers.json?org={org}&respondent={}&email={}",
                                    crate::report::percent_encode(&respondent),
                                    crate::report::percent_encode(&email)
                                );
                                view! {
                                    <p class="found" data-count=n>{format!("{n} answers found.")}</p>
                                    <ul class="found-answers">{rows}</ul>
                                    <p><a href=download download>"Download as JSON"</a></p>
                                    <ActionForm action=actions.erase attr:class="inline">
                                        <input type="hidden" name="org" value=org />
                                        <input type="hidden" name="respondent" value=respondent />
                                        <input type="hidden" name="email" value=email />
                                        <button type="submit" class="danger" disabled=n == 0>"Erase these answers"</button>
                                    </ActionForm>
                                }
                                .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn SiteAdminView(site: SiteAdmin, org: String, base: String, actions: Actions) -> impl IntoView {
    let snippet = format!(
        r#"<script src="{base}/w.js" data-site="{}" async></script>"#,
        site.site_key
    );
    let (o1, o2, s1, s2) = (
        org.clone(),
        org.clone(),
        site.id.to_string(),
        site.id.to_string(),
    );
    let surveys = site
        .surveys
        .iter()
        .cloned()
        .map(|survey| view! { <SurveyAdminView survey org=org.clone() actions /> })
        .collect_view();
    view! {
        <article class="site-admin" data-site-key=site.site_key.clone()>
            <h4>{site.name.clone()}</h4>
            <p>"Embed on your pages: "</p>
            <pre class="snippet"><code>{snippet}</code></pre>
            <ActionForm action=actions.site attr:class="stack">
                <input type="hidden" name="org" value=o1 />
                <input type="hidden" name="site" value=s1 />
                <label>"Name "<input name="name" value=site.name.clone() required maxlength="100" /></label>
                <label>"Allowed origins (one per line)"<textarea name="origins" rows="3">{site.allowed_origins.join("\n")}</textarea></label>
                <button type="submit">"Save site"</button>
            </ActionForm>
            <ActionForm action=actions.rotate attr:class="inline">
                <input type="hidden" name="org" value=o2 />
                <input type="hidden" name="site" value=s2 />
                <button type="submit" class="danger">"Rotate site key"</button>
                <span class="hint">" Embeds with the old key stop working at once."</span>
            </ActionForm>
            {surveys}
        </article>
    }
}

#[component]
fn SurveyAdminView(survey: SurveyAdmin, org: String, actions: Actions) -> impl IntoView {
    let s = survey.settings.clone();
    let t = s.triggers.clone();
    let current = s.button_position;
    let position = move |p: ButtonPosition, value: &'static str, label: &'static str| {
        view! { <option value=value selected=current == p>{label}</option> }
    };
    let texts = if s.texts.is_empty() {
        String::new()
    } else {
        serde_json::to_string_pretty(&s.texts).unwrap_or_default()
    };
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <details class="survey-admin">
            <summary>{format!("Survey: {}", survey.name)}</summary>
            <ActionForm action=actions.survey attr:class="survey-settings">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="form[survey]" value=survey.id.to_string() />
                <label>"Name "<input name="form[name]" value=survey.name.clone() required /></label>
                <label>"Product named in the question "<input name="form[product_name]" value=survey.product_name.clone() required /></label>
                <label>"Ask this share of visitors (%) "<input name="form[sample_percent]" type="number" min="0" max="100" step="any" value=(s.sample_rate * 100.0).to_string() /></label>
                <label>"Days before asking again after an answer "<input name="form[cooldown_answer_days]" type="number" min="0" value=s.cooldown_after_answer_days.to_string() /></label>
                <label>"…after a dismissal "<input name="form[cooldown_dismiss_days]" type="number" min="0" value=s.cooldown_after_dismiss_days.to_string() /></label>
                <label>"Feedback button "<select name="form[button_position]">
                    {position(ButtonPosition::BottomRight, "bottom-right", "bottom right")}
                    {position(ButtonPosition::BottomLeft, "bottom-left", "bottom left")}
                    {position(ButtonPosition::Hidden, "hidden", "hidden (site calls farewell.arm())")}
                </select></label>
                <fieldset>
                    <legend>"Triggers"</legend>
                    <label><input type="checkbox" name="form[armed_exit]" checked=t.armed_exit />" Armed exit (the button)"</label>
                    <label><input type="checkbox" name="form[exit_intent]" checked=t.exit_intent />" Exit intent after "
                        <input name="form[exit_intent_min_seconds]" type="number" min="0" size="4" value=t.exit_intent_min_seconds.to_string() />" s on the page"</label>
                    <label><input type="checkbox" name="form[mobile_return]" checked=t.mobile_return />" Mobile: on return to the tab"</label>
                    <label>"After seconds on site "<input name="form[time_on_site_seconds]" type="number" min="0" value=number(t.time_on_site_seconds) /></label>
                    <label>"On page number "<input name="form[pages_viewed]" type="number" min="0" value=number(t.pages_viewed) /></label>
                </fieldset>
                <label>"Active from "<input name="form[active_from]" type="date" value=date(s.active_from) /></label>
                <label>"Active until "<input name="form[active_until]" type="date" value=date(s.active_until) /></label>
                <label>"Texts per language (JSON; keys as in the defaults, e.g. question, follow_up_detractor)"
                    <textarea name="form[texts]" rows="4">{texts}</textarea></label>
                <button type="submit">"Save survey"</button>
            </ActionForm>
        </details>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let outcome = move || match change.value().get() {
        Some(Ok(())) => {
            Some(view! { <p class="ok" role="status">"Your password was changed."</p> }.into_any())
        }
        Some(Err(e)) => {
            Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any())
        }
        None => None,
    };
    view! {
        <Title text="Account · Farewell" />
        <main class="page narrow">
            <p class="crumbs"><a href="/dashboard" rel="external">"← Dashboard"</a></p>
            <h1>"Account"</h1>
            <h2>"Change password"</h2>
            <ActionForm action=change attr:class="stack">
                <label for="current">"Current password"</label>
                <input id="current" type="password" name="current" autocomplete="current-password" required />
                <label for="new">"New password (at least 12 characters)"</label>
                <input id="new" type="password" name="new" autocomplete="new-password" required minlength="12" />
                {outcome}
                <button type="submit">"Change password"</button>
            </ActionForm>
        </main>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let accept = ServerAction::<AcceptInvitation>::new();
    let invitation = Resource::new(token, load_invitation);
    let error = move || match accept.value().get() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }),
        _ => None,
    };
    view! {
        <Title text="Invitation · Farewell" />
        <main class="page narrow">
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(i) if !i.usable => view! {
                            <h1>"Invitation"</h1>
                            <p>"This invitation was used, revoked or has expired. Ask for a new one."</p>
                        }.into_any(),
                        Ok(i) => {
                            let fields = (!i.signed_in).then(|| view! {
                                <p class="hint">"Sign in with your Farewell account, or choose a password to create one."</p>
                                <label for="email">"E-mail"</label>
                                <input id="email" type="email" name="email" autocomplete="username" required />
                                <label for="password">"Password (at least 12 characters)"</label>
                                <input id="password" type="password" name="password" autocomplete="current-password" required />
                            });
                            view! {
                                <h1>{format!("Join {}", i.org_name)}</h1>
                                <p>{format!("You are invited as {}.", i.role.as_str())}</p>
                                <ActionForm action=accept attr:class="stack">
                                    <input type="hidden" name="token" value=token() />
                                    {fields}
                                    {error}
                                    <button type="submit">"Join"</button>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(_) => {
                            crate::not_found_status();
                            view! { <h1>"Not found"</h1> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn ShareLinks(org: OrganisationAdmin, base: String, actions: Actions) -> impl IntoView {
    let id = org.id.to_string();
    let site_name = |site: uuid::Uuid| {
        org.sites
            .iter()
            .find(|s| s.id == site)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let links = org
        .share_links
        .iter()
        .map(|l| {
            let (o, lid) = (id.clone(), l.id.to_string());
            view! {
                <li>
                    {format!("{} — last {} days, created {}", site_name(l.site_id), l.days, l.created_at.format("%Y-%m-%d"))}
                    <ActionForm action=actions.unshare attr:class="inline">
                        <input type="hidden" name="org" value=o />
                        <input type="hidden" name="id" value=lid />
                        <button type="submit" class="link">"Revoke"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let sites = org
        .sites
        .iter()
        .map(|s| view! { <option value=s.id.to_string()>{s.name.clone()}</option> })
        .collect_view();
    let created = move || match actions.share.value().get() {
        Some(Ok(path)) => Some(view! {
            <p>"Share this link: "<input class="share-link" readonly size="60" value=format!("{base}{path}") /></p>
        }),
        _ => None,
    };
    let (o1, o2) = (id.clone(), id.clone());
    view! {
        <section class="panel">
            <h3>"Share links"</h3>
            <p class="hint">"A read-only, aggregated report: trend and segments, no comments. Groups of fewer than k answers are hidden, with whatever they could be worked out from."</p>
            <ul class="share-links">{links}</ul>
            <ActionForm action=actions.share attr:class="inline">
                <input type="hidden" name="org" value=o1 />
                <label>"Site "<select name="site">{sites}</select></label>
                <label>"Last "<input name="days" type="number" min="1" max="3660" value="90" size="5" />" days"</label>
                <button type="submit">"Create share link"</button>
            </ActionForm>
            {created}
            <ActionForm action=actions.share_k attr:class="inline">
                <input type="hidden" name="org" value=o2 />
                <label>"k = "<input name="k" type="number" min="2" max="1000" value=org.share_k.to_string() size="5" /></label>
                <label>"Days end in "<input name="time_zone" type="text" maxlength="64" value=org.share_time_zone.clone() size="16" /></label>
                <button type="submit">"Save"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Webhooks(org: OrganisationAdmin, actions: Actions) -> impl IntoView {
    let id = org.id.to_string();
    let hooks = org
        .webhooks
        .iter()
        .map(|w| {
            let (o, hid) = (id.clone(), w.id.to_string());
            view! {
                <li>
                    <code>{w.url.clone()}</code>{format!(" — {}", w.events.join(", "))}
                    <ActionForm action=actions.unhook attr:class="inline">
                        <input type="hidden" name="org" value=o />
                        <input type="hidden" name="id" value=hid />
                        <button type="submit" class="link">"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let history = org
        .deliveries
        .iter()
        .map(|d| {
            let state = if d.delivered {
                "delivered"
            } else if d.failed {
                "failed"
            } else {
                "retrying"
            };
            view! {
                <tr class=state>
                    <td>{d.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                    <td>{d.event.clone()}</td>
                    <td>{state}</td>
                    <td>{d.attempts}</td>
                    <td>{d.last_status.map(|s| s.to_string()).unwrap_or_default()}</td>
                    <td>{d.last_error.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let secret = move || match actions.webhook.value().get() {
        Some(Ok(secret)) => Some(view! {
            <p>"Signing secret, shown only now: "<input class="webhook-secret" readonly size="56" value=secret /></p>
        }),
        _ => None,
    };
    view! {
        <section class="panel">
            <h3>"Webhooks"</h3>
            <p class="hint">"Each delivery is a JSON POST with Farewell-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\" with the secret>. Failed deliveries are retried with growing waits for about a day."</p>
            <ul class="webhooks">{hooks}</ul>
            <ActionForm action=actions.webhook attr:class="inline">
                <input type="hidden" name="org" value=id.clone() />
                <label>"URL "<input name="url" type="url" required size="40" placeholder="https://hooks.example/farewell" /></label>
                <label><input type="checkbox" name="response_created" checked />" every answer"</label>
                <label><input type="checkbox" name="detractor_received" />" detractors"</label>
                <button type="submit">"Add webhook"</button>
            </ActionForm>
            {secret}
            <table class="deliveries"><thead><tr><th>"Created"</th><th>"Event"</th><th>"State"</th><th>"Attempts"</th><th>"Status"</th><th>"Error"</th></tr></thead>
            <tbody>{history}</tbody></table>
        </section>
    }
}
