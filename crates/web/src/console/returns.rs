//! Returns in the console (issue 11): the list with each return's status,
//! of one status or all, and its actions — authorise, receive (restocked or
//! not), refund (a wire or cash refund's reference), reject with a reason.
//! Every action calls the use case with the signed-in member, which decides
//! who may; a refusal is shown in words on the list.

use askama::Template;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use maison_app::actor::Action;
use maison_app::returns::Return;

use super::{Frame, Signed, refusal, render, status_of, with_status};
use crate::AppState;
use crate::storefront::StorefrontForm;

const PAGE: &str = "/console/returns";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(list))
        .route("/console/returns/{id}/authorise", post(authorise))
        .route("/console/returns/{id}/receive", post(receive))
        .route("/console/returns/{id}/refund", post(refund))
        .route("/console/returns/{id}/reject", post(reject))
}

struct Row {
    id: String,
    number: String,
    href: String,
    status: String,
    requested: String,
    lines: String,
    reason: String,
    amount: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "console/returns.html")]
struct ListPage {
    frame: Frame,
    status: String,
    /// The order whose returns are listed (empty: all).
    number: String,
    done: String,
    error: String,
    rows: Vec<Row>,
    may_handle: bool,
    may_receive: bool,
    statuses: [&'static str; 5],
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    done: String,
    order: String,
    /// Only this order's returns.
    number: String,
}

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn row(state: &AppState, r: &Return) -> Row {
    let mut detail = Vec::new();
    if let Some(restocked) = r.restocked {
        detail.push(if restocked {
            "back in stock".to_owned()
        } else {
            "not restocked (damaged)".to_owned()
        });
    }
    if let Some(method) = &r.refund_method
        && r.status == maison_domain::returns::ReturnStatus::Refunded
    {
        detail.push(format!(
            "refunded by {method}{}",
            r.refund_reference
                .as_deref()
                .map(|x| format!(", reference {x}"))
                .unwrap_or_default()
        ));
    }
    if let Some(why) = &r.rejection_reason {
        detail.push(format!("rejected: {why}"));
    }
    Row {
        id: r.id.clone(),
        href: format!("/console/orders/{}", r.order_number),
        number: r.order_number.clone(),
        status: r.status.as_str().to_owned(),
        requested: state.maison.local_time(r.created_at),
        lines: r
            .lines
            .iter()
            .map(|l| format!("line {} × {}", l.line_no, l.quantity))
            .collect::<Vec<_>>()
            .join(", "),
        reason: r.reason.clone(),
        amount: r.amount.display(),
        detail: detail.join("; "),
    }
}

async fn list_page(
    state: &AppState,
    signed: &Signed,
    (status, number): (String, String),
    done: String,
    error: String,
    code: StatusCode,
) -> Response {
    let number = number.trim().to_owned();
    let listed = if number.is_empty() {
        state
            .maison
            .staff_returns(&signed.actor(), Some(&status))
            .await
    } else {
        state
            .maison
            .order_returns(&signed.actor(), &number)
            .await
            .map(|(_, returns)| returns)
    };
    match listed {
        Ok(returns) => with_status(
            render(&ListPage {
                frame: Frame::new(state, signed, PAGE),
                rows: returns
                    .iter()
                    .filter(|r| status.is_empty() || r.status.as_str() == status)
                    .map(|r| row(state, r))
                    .collect(),
                number,
                status,
                done,
                error,
                may_handle: signed.may(Action::HandleReturn),
                may_receive: signed.may(Action::ReceiveReturn),
                statuses: [
                    "requested",
                    "authorised",
                    "received",
                    "refunded",
                    "rejected",
                ],
            }),
            code,
        ),
        Err(err) => refusal(state, signed, state.problem(err), "/console"),
    }
}

pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let done = match q.done.as_str() {
        "authorised" | "received" | "refunded" | "rejected" => {
            format!("The return on order {} is {}.", q.order, q.done)
        }
        _ => String::new(),
    };
    list_page(
        &state,
        &signed,
        (q.status, q.number),
        done,
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn outcome(
    state: &AppState,
    signed: &Signed,
    result: Result<Return, maison_app::ShopError>,
) -> Response {
    match result {
        Ok(r) => Redirect::to(&format!(
            "{PAGE}?done={}&order={}",
            r.status, r.order_number
        ))
        .into_response(),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(state, signed, problem, PAGE);
            }
            let code = status_of(&problem);
            list_page(
                state,
                signed,
                (String::new(), String::new()),
                String::new(),
                problem.detail,
                code,
            )
            .await
        }
    }
}

pub async fn authorise(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let result = state
        .maison
        .authorise_return(&signed.actor(), &path_text(path))
        .await;
    outcome(&state, &signed, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReceiveForm {
    /// `yes`: back in stock; anything else: not (damaged).
    restock: String,
}

pub async fn receive(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<ReceiveForm>,
) -> Response {
    let restock = matches!(form.restock.as_str(), "yes" | "on" | "true");
    let result = state
        .maison
        .receive_return(&signed.actor(), &path_text(path), restock)
        .await;
    outcome(&state, &signed, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RefundForm {
    /// A wire or cash refund's reference (a card needs none).
    reference: String,
}

pub async fn refund(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<RefundForm>,
) -> Response {
    let reference = Some(form.reference.trim()).filter(|r| !r.is_empty());
    let result = state
        .maison
        .refund_return(&signed.actor(), &path_text(path), reference)
        .await;
    outcome(&state, &signed, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RejectForm {
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<RejectForm>,
) -> Response {
    let result = state
        .maison
        .reject_return(&signed.actor(), &path_text(path), &form.reason)
        .await;
    outcome(&state, &signed, result).await
}
