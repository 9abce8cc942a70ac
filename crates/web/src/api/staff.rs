//! The staff API (bearer tokens of staff members): orders, their
//! cancellation and processing, and the audit log. Handlers turn the request
//! into an actor and typed input; the use cases decide who may do what.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use maison_app::order_desk::StaffOrder;
use maison_app::staff::AuditRow;
use maison_domain::Money;

use super::input::{page_limit, query};
use super::views::{OrderJson, RequestJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

#[derive(Deserialize)]
pub struct OrderListQuery {
    status: Option<String>,
    email: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `limit`: 1 to 50, 20 when absent.
fn limit(text: Option<&str>) -> Result<u32, Problem> {
    page_limit(text, 20, maison_app::order_desk::MAX_PAGE)
}

fn number(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

#[derive(Serialize)]
struct ClientJson<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
}

#[derive(Serialize)]
struct OrderListItemJson<'a> {
    number: &'a str,
    status: &'a str,
    channel: &'a str,
    client: ClientJson<'a>,
    total: Money,
    placed_at: String,
}

#[derive(Serialize)]
struct OrderListJson<'a> {
    items: Vec<OrderListItemJson<'a>>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/orders?status=&email=&cursor=&limit=`: any staff role.
pub async fn list_orders(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<OrderListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    let q = query(params)?;
    let limit = limit(q.limit.as_deref())?;
    let page = state
        .maison
        .staff_orders(
            &actor,
            q.status.as_deref(),
            q.email.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(OrderListJson {
        items: page
            .items
            .iter()
            .map(|o| OrderListItemJson {
                number: &o.number,
                status: o.status.as_str(),
                channel: &o.channel,
                client: ClientJson {
                    first_name: &o.first_name,
                    last_name: &o.last_name,
                    email: &o.email,
                },
                total: o.total,
                placed_at: maison_app::clock::rfc3339(o.created_at),
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
    .into_response())
}

#[derive(Serialize)]
struct ActorEventJson<'a> {
    at: String,
    status: &'a str,
    note: &'a str,
    actor: &'a str,
}

#[derive(Serialize)]
struct PaymentOperationJson<'a> {
    operation: &'a str,
    status: &'a str,
    amount: Money,
    at: String,
}

/// The full order for staff: the client's shape, with the client, the
/// channel, the timeline's actors, the payment's state and operations, and
/// the clients' open requests.
#[derive(Serialize)]
struct StaffOrderJson<'a> {
    #[serde(flatten)]
    order: OrderJson<'a>,
    channel: &'a str,
    client: ClientJson<'a>,
    phone: &'a str,
    placed_at: String,
    modifiable: bool,
    /// `authorised`, `voided`, `pending`, `failed` or `none`.
    payment_state: &'static str,
    payment_operations: Vec<PaymentOperationJson<'a>>,
    #[serde(rename = "timeline")]
    actor_timeline: Vec<ActorEventJson<'a>>,
    open_requests: Vec<RequestJson<'a>>,
}

fn staff_order_json<'a>(maison: &maison_app::Maison, s: &'a StaffOrder) -> StaffOrderJson<'a> {
    let o = &s.order;
    let mut order = OrderJson::new(maison, o);
    // The timeline below carries the actors.
    order.timeline.clear();
    StaffOrderJson {
        order,
        channel: &o.channel,
        client: ClientJson {
            first_name: &o.first_name,
            last_name: &o.last_name,
            email: &o.email,
        },
        phone: &o.phone,
        placed_at: maison_app::clock::rfc3339(o.created_at),
        modifiable: o.status.is_modifiable(),
        payment_state: s.payment_state(),
        payment_operations: s
            .payments
            .iter()
            .map(|a| PaymentOperationJson {
                operation: &a.operation,
                status: &a.status,
                amount: a.amount,
                at: maison_app::clock::rfc3339(a.created_at),
            })
            .collect(),
        actor_timeline: o
            .timeline
            .iter()
            .map(|e| ActorEventJson {
                at: maison_app::clock::rfc3339(e.at),
                status: &e.status,
                note: &e.note,
                actor: &e.actor,
            })
            .collect(),
        open_requests: s.open_requests.iter().map(RequestJson::new).collect(),
    }
}

async fn answer(state: &AppState, number: &str, visitor: &Visitor) -> Result<Response, Problem> {
    let order = state
        .maison
        .staff_order(&visitor.actor(), number)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(staff_order_json(&state.maison, &order)).into_response())
}

/// `GET /api/v1/orders/{number}`: any staff role.
pub async fn get_order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    answer(&state, &number(path), &visitor).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelJson {
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/orders/{number}/cancel` `{"reason"}`: Client Relations and
/// administrators. An empty body is a cancellation without its reason (422).
pub async fn cancel_order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let number = number(path);
    let actor = visitor.actor();
    // Who may act is checked before what they sent is read.
    actor
        .may(maison_app::actor::Action::CancelOrder)
        .map_err(|e| state.problem(e))?;
    let input: CancelJson = if raw.iter().all(u8::is_ascii_whitespace) {
        CancelJson::default()
    } else {
        serde_json::from_slice(&raw).map_err(|err| match err.classify() {
            serde_json::error::Category::Data => {
                Problem::invalid("invalid_request", "body", err.to_string())
            }
            _ => Problem::malformed(
                "malformed_json",
                format!("The body is not valid JSON: {err}"),
            ),
        })?
    };
    state
        .maison
        .cancel_order(&actor, &number, &input.reason)
        .await
        .map_err(|e| state.problem(e))?;
    answer(&state, &number, &visitor).await
}

/// `POST /api/v1/orders/{number}/process`: fulfilment and administrators.
pub async fn process_order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let number = number(path);
    state
        .maison
        .process_order(&visitor.actor(), &number)
        .await
        .map_err(|e| state.problem(e))?;
    answer(&state, &number, &visitor).await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    subject: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct AuditActorJson<'a> {
    kind: &'a str,
    email: Option<&'a str>,
    role: Option<&'a str>,
}

#[derive(Serialize)]
struct AuditEventJson<'a> {
    id: &'a str,
    at: String,
    actor: AuditActorJson<'a>,
    action: &'a str,
    subject: &'a str,
    details: serde_json::Value,
}

#[derive(Serialize)]
struct AuditListJson<'a> {
    items: Vec<AuditEventJson<'a>>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/audit-events?subject=order:{number}&cursor=&limit=`:
/// administrators.
pub async fn audit_events(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let q = query(params)?;
    let limit = limit(q.limit.as_deref())?;
    let page = state
        .maison
        .audit_log(
            &visitor.actor(),
            q.subject.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await
        .map_err(|e| state.problem(e))?;
    let items = page.items.iter().map(audit_json).collect();
    Ok(Json(AuditListJson {
        items,
        next_cursor: page.next_cursor,
    })
    .into_response())
}

fn audit_json(e: &AuditRow) -> AuditEventJson<'_> {
    AuditEventJson {
        id: &e.id,
        at: maison_app::clock::rfc3339(e.at),
        actor: AuditActorJson {
            kind: &e.actor_kind,
            email: e.actor_email.as_deref(),
            role: e.actor_role.as_deref(),
        },
        action: &e.action,
        subject: &e.subject,
        details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
    }
}
