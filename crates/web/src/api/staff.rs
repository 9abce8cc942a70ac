//! The staff API (bearer tokens of staff members): orders, their
//! cancellation and processing, and the audit log. Handlers turn the request
//! into an actor and typed input; the use cases decide who may do what.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use maison_app::actor::Action;
use maison_app::order_changes::OrderChange;
use maison_app::order_desk::StaffOrder;
use maison_app::staff::AuditEvent;
use maison_domain::Money;

use super::assisted::AssistedLineJson;
use super::input::{body, page_limit, query};
use super::schemas::{self, MoneyJson};
use super::shop::DeliveryJson;
use super::views::{OrderJson, RequestJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    /// An order status, such as `confirmed`. Unknown: 422 `invalid_status`.
    #[param(value_type = Option<schemas::OrderStatusWord>, inline)]
    status: Option<String>,
    /// The client's e-mail address (any case).
    email: Option<String>,
    /// The `next_cursor` of the previous page. Not one the list gave: 422 `invalid_cursor`.
    cursor: Option<String>,
    /// 1 to 50. Out of range: 422 `invalid_limit`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, default = 20)]
    limit: Option<String>,
}

/// `limit`: 1 to 50, 20 when absent.
fn limit(text: Option<&str>) -> Result<u32, Problem> {
    page_limit(text, 20, maison_app::order_desk::MAX_PAGE)
}

fn number(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
#[schema(as = StaffClient)]
struct ClientJson<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = StaffOrderSummary)]
struct OrderListItemJson<'a> {
    number: &'a str,
    #[schema(schema_with = schemas::order_status)]
    status: &'a str,
    #[schema(schema_with = schemas::channel)]
    channel: &'a str,
    client: ClientJson<'a>,
    #[schema(value_type = MoneyJson)]
    total: Money,
    #[schema(format = DateTime)]
    placed_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = StaffOrderList)]
struct OrderListJson<'a> {
    items: Vec<OrderListItemJson<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Orders, newest first (any staff role)
///
/// Filter by `status` (422 `invalid_status` for an unknown one) or by the
/// client's `email` (any case). Orders whose payment is being authorised or
/// failed appear only when their status is asked for. Cursor pagination:
/// `limit` 1–50 (default 20), `next_cursor`.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    operation_id = "staffListOrders",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(OrderListQuery),
    responses(
        (status = 200, description = "A page of orders", body = OrderListJson),
        (status = 400, description = "`malformed_query` (the query string cannot be read)"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 422, description = "`invalid_status` (field `status`), `invalid_limit` (field `limit`), `invalid_cursor` (field `cursor`)"),
    )
)]
pub async fn list_orders(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<OrderListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    // Who is asking comes before what is asked: no token is 401 whatever the query.
    actor
        .may(Action::ViewOrders)
        .map_err(|e| state.problem(e))?;
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

#[derive(Serialize, ToSchema)]
#[schema(as = StaffTimelineEvent)]
struct ActorEventJson<'a> {
    #[schema(format = DateTime)]
    at: String,
    #[schema(schema_with = schemas::order_status)]
    status: &'a str,
    note: &'a str,
    /// `system`, `client`, `guest`, `staff:EMAIL` or `system:JOB`.
    actor: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PaymentOperation)]
struct PaymentOperationJson<'a> {
    #[schema(schema_with = schemas::payment_operation)]
    operation: &'a str,
    status: &'a str,
    #[schema(value_type = MoneyJson)]
    amount: Money,
    #[schema(format = DateTime)]
    at: String,
}

/// The full order for staff: the client's shape, with the client, the
/// channel, the timeline's actors, the payment's state and operations, and
/// the clients' open requests.
#[derive(Serialize, ToSchema)]
#[schema(as = StaffOrder)]
pub(super) struct StaffOrderJson<'a> {
    #[serde(flatten)]
    order: OrderJson<'a>,
    #[schema(schema_with = schemas::channel)]
    channel: &'a str,
    client: ClientJson<'a>,
    phone: &'a str,
    #[schema(format = DateTime)]
    placed_at: String,
    /// Whether the order may still be changed or cancelled (before processing).
    modifiable: bool,
    /// The card's authorisation, as the processor last answered.
    #[schema(schema_with = schemas::payment_state)]
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
        channel: o.channel_name(),
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
                status: e.status.as_str(),
                note: &e.note,
                actor: &e.actor,
            })
            .collect(),
        open_requests: s.open_requests.iter().map(RequestJson::new).collect(),
    }
}

pub(super) async fn answer(
    state: &AppState,
    number: &str,
    visitor: &Visitor,
) -> Result<Response, Problem> {
    let order = state
        .maison
        .staff_order(&visitor.actor(), number)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(staff_order_json(&state.maison, &order)).into_response())
}

/// One order in full (any staff role)
///
/// The checkout's Order, with the client, channel, payment state and
/// operations, the timeline's actors, and the clients' open cancellation or
/// change requests.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}",
    operation_id = "staffGetOrder",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    responses(
        (status = 200, description = "The order", body = StaffOrderJson),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
    )
)]
pub async fn get_order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    answer(&state, &number(path), &visitor).await
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = Cancellation)]
#[serde(deny_unknown_fields)]
struct CancelJson {
    /// Kept in the audit log for Client Relations; the client's timeline shows
    /// a plain note, never the staff's words.
    #[serde(default)]
    #[schema(required = true, max_length = 1000)]
    reason: String,
}

/// Cancel an order before processing (ambassador, prestige_advisor, admin)
///
/// Voids the card's authorisation through the processor, releases the stock,
/// records the reason on the timeline and the audit log, and e-mails the
/// client. Cancelling a cancelled order answers it unchanged. Once processing
/// has started: 409 `order_not_modifiable`; from a state the lifecycle does not
/// allow (payment pending or failed): 409 `invalid_transition`. Without
/// `reason`: 422 `invalid_reason`, field `reason` (an empty body is a
/// cancellation without its reason).
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/cancel",
    operation_id = "staffCancelOrder",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    request_body = CancelJson,
    responses(
        (status = 200, description = "The cancelled order", body = StaffOrderJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`order_not_modifiable` (processing has started), `invalid_transition`"),
        (status = 422, description = "`invalid_reason` (field `reason`), `invalid_request` (a mistyped field)"),
    )
)]
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

/// Start preparing a confirmed order (fulfilment, admin)
///
/// confirmed → processing: from then on the order can no longer be changed or
/// cancelled. Processing an order already in processing answers it unchanged;
/// any other status: 409 `invalid_transition`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/process",
    operation_id = "staffProcessOrder",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    responses(
        (status = 200, description = "The order in processing", body = StaffOrderJson),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`invalid_transition`: the order is not confirmed"),
    )
)]
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

/// The order's new creations (all of them) or its new delivery, with the
/// reason for the change.
#[derive(Deserialize, ToSchema)]
#[schema(as = OrderChange)]
#[serde(deny_unknown_fields)]
pub struct ChangeJson {
    /// Every creation the order is to hold (the lines are replaced).
    lines: Option<Vec<AssistedLineJson>>,
    delivery: Option<DeliveryJson>,
    /// Recorded in the audit log.
    #[serde(default)]
    #[schema(required = true, max_length = 1000)]
    reason: String,
}

/// Change an order's creations or delivery before processing (ambassador,
/// prestige_advisor, admin)
///
/// The stock follows the lines; a creation the order already holds keeps its
/// price. A card order whose total rises is authorised again from the card's
/// token before anything changes (declined: 409 `payment_declined`, the order
/// unchanged) and its former hold is released; a lower total is captured as
/// it is. The client is told by e-mail. Once processing has started: 409
/// `order_not_modifiable`.
#[utoipa::path(
    patch,
    path = "/api/v1/orders/{number}",
    operation_id = "staffChangeOrder",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    request_body = ChangeJson,
    responses(
        (status = 200, description = "The changed order", body = StaffOrderJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`order_not_modifiable` (processing has started), `invalid_transition`, `payment_declined` (the new total was declined; nothing changed), `temporarily_unavailable`, `order_item_limit`, `price_on_request`, `final_sale_not_acknowledged`"),
        (status = 422, description = "`invalid_reason` (field `reason`), `nothing_to_change`, `lines_required`, `unknown_sku`, `invalid_personalisation`, `invalid_address`, `company_required`, `invalid_boutique`, `invalid_delivery`, `invalid_request`"),
        (status = 503, description = "`payment_unavailable`: the new total could not be authorised; nothing changed"),
    )
)]
pub async fn change_order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<ChangeJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let number = number(path);
    let actor = visitor.actor();
    // Who may act is checked before what they sent is read.
    actor
        .may(maison_app::actor::Action::ChangeOrder)
        .map_err(|e| state.problem(e))?;
    let r = body(request)?;
    state
        .maison
        .change_order(
            &actor,
            &number,
            OrderChange {
                lines: r
                    .lines
                    .map(|lines| lines.into_iter().map(Into::into).collect()),
                delivery: r.delivery.map(Into::into),
                reason: r.reason,
            },
        )
        .await
        .map_err(|e| state.problem(e))?;
    answer(&state, &number, &visitor).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `order:NUMBER` or `staff:EMAIL`.
    subject: Option<String>,
    /// The `next_cursor` of the previous page. Not one the list gave: 422 `invalid_cursor`.
    cursor: Option<String>,
    /// 1 to 50. Out of range: 422 `invalid_limit`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, default = 20)]
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuditActor)]
struct AuditActorJson<'a> {
    #[schema(schema_with = schemas::actor_kind)]
    kind: &'a str,
    #[schema(required = true)]
    email: Option<&'a str>,
    #[schema(schema_with = schemas::staff_role_or_null, required = true)]
    role: Option<&'a str>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuditEvent)]
struct AuditEventJson<'a> {
    id: &'a str,
    #[schema(format = DateTime)]
    at: String,
    actor: AuditActorJson<'a>,
    #[schema(examples("order.cancel"))]
    action: &'a str,
    #[schema(examples("order:MV-7K2Q-9HDX-4"))]
    subject: &'a str,
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuditEventList)]
struct AuditListJson<'a> {
    items: Vec<AuditEventJson<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// The audit log, oldest first (admin)
///
/// Every staff action, written in the transaction of the change it records.
/// Filter by `subject` (`order:MV-7K2Q-9HDX-4`, `staff:EMAIL`); cursor
/// pagination as the order list.
#[utoipa::path(
    get,
    path = "/api/v1/audit-events",
    operation_id = "auditEvents",
    tag = "Staff",
    security(("staffBearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = AuditListJson),
        (status = 400, description = "`malformed_query` (the query string cannot be read)"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 422, description = "`invalid_limit` (field `limit`), `invalid_cursor` (field `cursor`)"),
    )
)]
pub async fn audit_events(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(Action::ViewAuditLog)
        .map_err(|e| state.problem(e))?;
    let q = query(params)?;
    let limit = limit(q.limit.as_deref())?;
    let page = state
        .maison
        .audit_log(&actor, q.subject.as_deref(), q.cursor.as_deref(), limit)
        .await
        .map_err(|e| state.problem(e))?;
    let items = page.items.iter().map(audit_json).collect();
    Ok(Json(AuditListJson {
        items,
        next_cursor: page.next_cursor,
    })
    .into_response())
}

fn audit_json(e: &AuditEvent) -> AuditEventJson<'_> {
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
