//! Administrators' pages: the outbox (failed messages with their error,
//! retried), the audit log, and the staff (listed, added with a one-time
//! setup link, sent a new link, disabled).

use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use maison_app::staff::StaffListing;

use super::orders::percent;
use super::{Frame, Signed, refusal, render, role_name, status_of, with_status};
use crate::AppState;
use crate::storefront::StorefrontForm;

const PAGE: u32 = 50;

struct LetterRow {
    id: String,
    kind: String,
    channel: String,
    to: String,
    subject: String,
    status: &'static str,
    attempts: u32,
    error: String,
    at: String,
}

#[derive(Template)]
#[template(path = "console/outbox.html")]
struct OutboxPage {
    frame: Frame,
    filter: String,
    rows: Vec<LetterRow>,
    next_href: String,
    done: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    cursor: String,
    subject: String,
    done: String,
}

pub async fn outbox(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let filter = if q.status.is_empty() {
        "failed".to_owned()
    } else {
        q.status.clone()
    };
    let status = Some(filter.as_str()).filter(|s| *s != "all");
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let page = match state
        .maison
        .outbox(&signed.actor(), status, cursor, PAGE)
        .await
    {
        Ok(page) => page,
        Err(err) => return refusal(&state, &signed, state.problem(err), "/console"),
    };
    let next_href = page.next_cursor.map_or_else(String::new, |c| {
        format!(
            "/console/outbox?status={}&cursor={}",
            percent(&filter),
            percent(&c)
        )
    });
    render(&OutboxPage {
        frame: Frame::new(&state, &signed, "/console/outbox"),
        rows: page
            .items
            .into_iter()
            .map(|l| LetterRow {
                at: state.maison.local_time(l.sent_at.unwrap_or(l.created_at)),
                id: l.id,
                kind: l.kind,
                channel: l.channel,
                to: l.to,
                subject: l.subject,
                status: l.status,
                attempts: l.attempts,
                error: l.last_error.unwrap_or_default(),
            })
            .collect(),
        filter,
        next_href,
        done: q.done == "retry",
    })
}

pub async fn retry(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let id = path.map(|Path(p)| p).unwrap_or_default();
    match state.maison.retry_letter(&signed.actor(), &id).await {
        Ok(_) => Redirect::to("/console/outbox?status=all&done=retry").into_response(),
        Err(err) => refusal(&state, &signed, state.problem(err), "/console/outbox"),
    }
}

struct AuditRow {
    at: String,
    actor: String,
    action: String,
    subject: String,
    details: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    frame: Frame,
    subject: String,
    rows: Vec<AuditRow>,
    next_href: String,
    error: String,
}

pub async fn audit(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let subject = Some(q.subject.trim()).filter(|s| !s.is_empty());
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let (rows, next, error, status) = match state
        .maison
        .audit_log(&signed.actor(), subject, cursor, PAGE)
        .await
    {
        Ok(page) => (page.items, page.next_cursor, String::new(), StatusCode::OK),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 401 {
                return refusal(&state, &signed, problem, "/console");
            }
            (Vec::new(), None, problem.detail, status_of_422())
        }
    };
    let next_href = next.map_or_else(String::new, |c| {
        format!(
            "/console/audit?subject={}&cursor={}",
            percent(&q.subject),
            percent(&c)
        )
    });
    with_status(
        render(&AuditPage {
            frame: Frame::new(&state, &signed, "/console/audit"),
            subject: q.subject.clone(),
            rows: rows
                .into_iter()
                .map(|e| AuditRow {
                    at: state.maison.local_time(e.at),
                    actor: match (e.actor_email, e.actor_role) {
                        (Some(email), Some(role)) => format!("{email} ({role})"),
                        (Some(email), None) => format!("{} {email}", e.actor_kind),
                        _ => e.actor_kind,
                    },
                    action: e.action,
                    subject: e.subject,
                    details: if e.details == "{}" {
                        String::new()
                    } else {
                        e.details
                    },
                })
                .collect(),
            next_href,
            error,
        }),
        status,
    )
}

fn status_of_422() -> StatusCode {
    StatusCode::UNPROCESSABLE_ENTITY
}

struct MemberRow {
    name: String,
    email: String,
    role: &'static str,
    disabled: bool,
    is_me: bool,
}

struct RoleChoice {
    value: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct StaffPage {
    frame: Frame,
    rows: Vec<MemberRow>,
    roles: Vec<RoleChoice>,
    link: String,
    link_for: String,
    notice: String,
    error: String,
    name: String,
    email: String,
}

#[derive(Default)]
struct StaffShown {
    link: String,
    link_for: String,
    notice: String,
    error: String,
    name: String,
    email: String,
}

async fn staff_page(
    state: &AppState,
    signed: &Signed,
    shown: StaffShown,
    status: StatusCode,
) -> Response {
    let listing: Vec<StaffListing> = match state.maison.list_staff(&signed.actor()).await {
        Ok(l) => l,
        Err(err) => return refusal(state, signed, state.problem(err), "/console"),
    };
    with_status(
        render(&StaffPage {
            frame: Frame::new(state, signed, "/console/staff"),
            rows: listing
                .into_iter()
                .map(|l| MemberRow {
                    is_me: l.member.id == signed.session.member.id,
                    name: l.member.name,
                    email: l.member.email,
                    role: role_name(l.member.role),
                    disabled: l.disabled,
                })
                .collect(),
            roles: maison_domain::staff::StaffRole::ALL
                .into_iter()
                .map(|r| RoleChoice {
                    value: r.as_str(),
                    label: role_name(r),
                })
                .collect(),
            link: shown.link,
            link_for: shown.link_for,
            notice: shown.notice,
            error: shown.error,
            name: shown.name,
            email: shown.email,
        }),
        status,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StaffQuery {
    disabled: String,
}

pub async fn staff(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<StaffQuery>, QueryRejection>,
) -> Response {
    let disabled = query.map(|Query(q)| q.disabled).unwrap_or_default();
    let shown = StaffShown {
        notice: if disabled.is_empty() {
            String::new()
        } else {
            format!("{disabled} is disabled: their sessions and tokens stopped at once.")
        },
        ..StaffShown::default()
    };
    staff_page(&state, &signed, shown, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    email: String,
    name: String,
    role: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    signed: Signed,
    StorefrontForm(form): StorefrontForm<AddForm>,
) -> Response {
    let actor = signed.actor();
    let added = state
        .maison
        .add_staff(&actor, &form.email, &form.name, &form.role)
        .await;
    let result = match added {
        Ok(member) => state.maison.issue_setup_link(&actor, &member.email).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(link) => {
            let shown = StaffShown {
                link_for: format!("{} <{}>", link.member.name, link.member.email),
                link: link.url,
                ..StaffShown::default()
            };
            staff_page(&state, &signed, shown, StatusCode::OK).await
        }
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 {
                return refusal(&state, &signed, problem, "/console");
            }
            let status = status_of(&problem);
            let shown = StaffShown {
                error: problem.detail,
                name: form.name,
                email: form.email,
                ..StaffShown::default()
            };
            staff_page(&state, &signed, shown, status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MemberForm {
    email: String,
    confirm: String,
}

pub async fn setup_link(
    State(state): State<AppState>,
    signed: Signed,
    StorefrontForm(form): StorefrontForm<MemberForm>,
) -> Response {
    match state
        .maison
        .issue_setup_link(&signed.actor(), &form.email)
        .await
    {
        Ok(link) => {
            let shown = StaffShown {
                link_for: format!("{} <{}>", link.member.name, link.member.email),
                link: link.url,
                ..StaffShown::default()
            };
            staff_page(&state, &signed, shown, StatusCode::OK).await
        }
        Err(err) => refusal(&state, &signed, state.problem(err), "/console/staff"),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    StorefrontForm(form): StorefrontForm<MemberForm>,
) -> Response {
    if !matches!(form.confirm.as_str(), "on" | "yes") {
        let shown = StaffShown {
            error: "Tick the box to confirm: a disabled member is signed out at once.".into(),
            ..StaffShown::default()
        };
        return staff_page(&state, &signed, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match state
        .maison
        .disable_staff(&signed.actor(), &form.email)
        .await
    {
        Ok(()) => Redirect::to(&format!(
            "/console/staff?disabled={}",
            percent(form.email.trim())
        ))
        .into_response(),
        Err(err) => refusal(&state, &signed, state.problem(err), "/console/staff"),
    }
}
