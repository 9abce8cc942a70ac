//! Returns' API (issue 11): asked for by the client for their own order
//! (their bearer token or session) or by Client Relations; authorised,
//! received, refunded or rejected by staff. The use cases decide who may do
//! what; the handlers only read the request.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use maison_app::ShopError;
use maison_app::returns::{Return, ReturnLineRequest, ReturnRequest};
use maison_domain::Money;

use super::input::body;
use super::schemas::MoneyJson;
use crate::session::Visitor;
use crate::{AppState, Problem};

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn return_status() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            [
                "requested",
                "authorised",
                "received",
                "refunded",
                "rejected",
            ]
            .iter()
            .map(|v| serde_json::Value::from(*v)),
        ))
        .build()
}

/// Reads an optional JSON body: empty is the default, malformed JSON a 400,
/// a mistyped field a 422.
fn optional_body<T: Default + for<'de> Deserialize<'de>>(raw: &Bytes) -> Result<T, Problem> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => {
            Problem::invalid("invalid_request", "body", err.to_string())
        }
        _ => Problem::malformed(
            "malformed_json",
            format!("The body is not valid JSON: {err}"),
        ),
    })
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ReturnLineRequest)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineJson {
    /// The order line's `line_id`.
    #[schema(examples("1"))]
    line_id: String,
    #[schema(minimum = 1, examples(1))]
    quantity: u32,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewReturn)]
#[serde(deny_unknown_fields)]
pub struct NewReturnJson {
    lines: Vec<ReturnLineJson>,
    #[schema(max_length = 1000, examples("The bracelet is too large."))]
    reason: String,
}

/// A line of a return.
#[derive(Serialize, ToSchema)]
#[schema(as = ReturnLine)]
pub struct ReturnedLineJson {
    line_id: String,
    quantity: u32,
}

/// A return against an order's lines.
#[derive(Serialize, ToSchema)]
#[schema(as = Return)]
pub struct ReturnJson<'a> {
    id: &'a str,
    #[schema(schema_with = return_status)]
    status: &'a str,
    order_number: &'a str,
    lines: Vec<ReturnedLineJson>,
    reason: &'a str,
    /// What is refunded: the returned lines' value.
    #[schema(value_type = MoneyJson)]
    amount: Money,
    /// Once received: back in stock, or not (a damaged piece).
    #[schema(required = true)]
    restocked: Option<bool>,
    #[schema(required = true)]
    rejection_reason: Option<&'a str>,
    /// Once refunded: `card`, `wire` or `cash`.
    #[schema(required = true)]
    refund_method: Option<&'a str>,
    /// The processor's refund reference, or the wire's or cash receipt's.
    #[schema(required = true)]
    refund_reference: Option<&'a str>,
    created_at: String,
    updated_at: String,
}

impl<'a> ReturnJson<'a> {
    pub fn new(r: &'a Return) -> Self {
        ReturnJson {
            id: &r.id,
            status: r.status.as_str(),
            order_number: &r.order_number,
            lines: r
                .lines
                .iter()
                .map(|l| ReturnedLineJson {
                    line_id: l.line_no.to_string(),
                    quantity: l.quantity,
                })
                .collect(),
            reason: &r.reason,
            amount: r.amount,
            restocked: r.restocked,
            rejection_reason: r.rejection_reason.as_deref(),
            refund_method: r.refund_method.as_deref(),
            refund_reference: r.refund_reference.as_deref(),
            created_at: maison_app::clock::rfc3339(r.created_at),
            updated_at: maison_app::clock::rfc3339(r.updated_at),
        }
    }
}

/// The order is not the client's (or there is none): the same answer.
fn problem(state: &AppState, err: ShopError) -> Problem {
    state.problem(err)
}

/// Request a return (the client for their own order; Client Relations)
///
/// Of some of a delivered or collected order's lines, within the Conditions
/// of Sale's window (policy `return_window_days`, default 30, from the
/// delivery or the collection). A personalised line is final sale (409
/// `final_sale`). Quantities add up, over the returns not rejected, to at most
/// what was bought. The client is told by e-mail; Client Relations authorise.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/returns",
    operation_id = "requestReturn",
    tag = "Returns",
    security(("bearer" = []), ("cookie" = []), ("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    request_body = NewReturnJson,
    responses(
        (status = 201, description = "Requested", body = ReturnJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no session nor staff token"),
        (status = 403, description = "`forbidden`: a staff role without the right"),
        (status = 404, description = "`order_not_found` (also any order that is not the client's)"),
        (status = 409, description = "`final_sale` (a personalised line), `return_window_closed`, `invalid_transition` (not delivered or collected yet)"),
        (status = 422, description = "`invalid_lines`, `invalid_line_id`, `invalid_quantity` (field `lines`: more than bought, less what other returns hold), `invalid_reason` (field `reason`), `invalid_request`"),
    )
)]
pub async fn request_return(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<NewReturnJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    let number = path_text(path);
    if matches!(actor, maison_app::actor::Actor::Guest) {
        return Err(problem(&state, ShopError::Unauthenticated));
    }
    let r = body(request)?;
    let record = state
        .maison
        .request_return(
            &actor,
            &number,
            ReturnRequest {
                lines: r
                    .lines
                    .into_iter()
                    .map(|l| ReturnLineRequest {
                        line_id: l.line_id,
                        quantity: l.quantity,
                    })
                    .collect(),
                reason: r.reason,
            },
        )
        .await
        .map_err(|e| problem(&state, e))?;
    Ok((StatusCode::CREATED, Json(ReturnJson::new(&record))).into_response())
}

/// An order's returns (staff; the client for their own order)
#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}/returns",
    operation_id = "listOrderReturns",
    tag = "Returns",
    security(("bearer" = []), ("cookie" = []), ("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    responses(
        (status = 200, description = "The returns, oldest first", body = Vec<ReturnJson>),
        (status = 401, description = "`unauthenticated`: no session nor staff token"),
        (status = 404, description = "`order_not_found` (also any order that is not the client's)"),
    )
)]
pub async fn order_returns(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let (_, returns) = state
        .maison
        .order_returns(&visitor.actor(), &path_text(path))
        .await
        .map_err(|e| problem(&state, e))?;
    Ok(Json(returns.iter().map(ReturnJson::new).collect::<Vec<_>>()).into_response())
}

/// Authorise a requested return (ambassador, prestige_advisor, admin)
///
/// requested → authorised; the client is sent the instructions by e-mail.
/// Again: the return unchanged.
#[utoipa::path(
    post,
    path = "/api/v1/returns/{id}/authorise",
    operation_id = "authoriseReturn",
    tag = "Returns",
    security(("staffBearer" = [])),
    params(("id" = String, Path, description = "The return's id.")),
    responses(
        (status = 200, description = "Authorised", body = ReturnJson),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role without the right, or a client"),
        (status = 404, description = "`return_not_found`"),
        (status = 409, description = "`invalid_transition`: not requested"),
    )
)]
pub async fn authorise_return(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let record = state
        .maison
        .authorise_return(&visitor.actor(), &path_text(path))
        .await
        .map_err(|e| problem(&state, e))?;
    Ok(Json(ReturnJson::new(&record)).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ReceiveReturn)]
#[serde(deny_unknown_fields)]
pub struct ReceiveJson {
    /// The pieces go back in stock (true), or not: damaged (false).
    #[serde(default)]
    #[schema(required = true)]
    restock: bool,
}

/// Receive an authorised return (ambassador, prestige_advisor, fulfilment, admin)
///
/// authorised → received: the pieces back in stock with `restock: true`, or
/// kept out of it (damaged). The client is told the refund follows.
#[utoipa::path(
    post,
    path = "/api/v1/returns/{id}/receive",
    operation_id = "receiveReturn",
    tag = "Returns",
    security(("staffBearer" = [])),
    params(("id" = String, Path, description = "The return's id.")),
    request_body = ReceiveJson,
    responses(
        (status = 200, description = "Received", body = ReturnJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role without the right, or a client"),
        (status = 404, description = "`return_not_found`"),
        (status = 409, description = "`invalid_transition`: not authorised"),
        (status = 422, description = "`invalid_request`"),
    )
)]
pub async fn receive_return(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(maison_app::actor::Action::ReceiveReturn)
        .map_err(|e| problem(&state, e))?;
    let input: ReceiveJson = optional_body(&raw)?;
    let record = state
        .maison
        .receive_return(&actor, &path_text(path), input.restock)
        .await
        .map_err(|e| problem(&state, e))?;
    Ok(Json(ReturnJson::new(&record)).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = RefundReturn)]
#[serde(deny_unknown_fields)]
pub struct RefundJson {
    /// Wire and cash orders: the bank's reference of the refund transfer, or
    /// the boutique's receipt number. Not used for a card.
    #[schema(max_length = 200)]
    reference: Option<String>,
}

/// Refund a received return (ambassador, prestige_advisor, admin)
///
/// received → refunded, to the original means of payment: a card through
/// the payment processor against the captured payment (retry-safe: a retry
/// sends the same idempotency key; never refunded twice), a wire or cash
/// refund recorded with its `reference`. The client is told by e-mail.
#[utoipa::path(
    post,
    path = "/api/v1/returns/{id}/refund",
    operation_id = "refundReturn",
    tag = "Returns",
    security(("staffBearer" = [])),
    params(("id" = String, Path, description = "The return's id.")),
    request_body(content = RefundJson, description = "May be empty for a card order."),
    responses(
        (status = 200, description = "Refunded", body = ReturnJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role without the right, or a client"),
        (status = 404, description = "`return_not_found`"),
        (status = 409, description = "`invalid_transition`: not received, or the processor refused the refund"),
        (status = 422, description = "`invalid_reference` (field `reference`: required for wire and cash), `invalid_request`"),
        (status = 503, description = "`payment_unavailable`, `payment_in_doubt` (retry: the same refund is sent again)"),
    )
)]
pub async fn refund_return(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(maison_app::actor::Action::HandleReturn)
        .map_err(|e| problem(&state, e))?;
    let input: RefundJson = optional_body(&raw)?;
    let record = state
        .maison
        .refund_return(&actor, &path_text(path), input.reference.as_deref())
        .await
        .map_err(|e| problem(&state, e))?;
    Ok(Json(ReturnJson::new(&record)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = RejectReturn)]
#[serde(deny_unknown_fields)]
pub struct RejectJson {
    /// What the client reads.
    #[schema(max_length = 1000)]
    reason: String,
}

/// Reject a return before it is received (ambassador, prestige_advisor, admin)
///
/// requested or authorised → rejected, with a reason the client reads by
/// e-mail; its lines may be asked for again.
#[utoipa::path(
    post,
    path = "/api/v1/returns/{id}/reject",
    operation_id = "rejectReturn",
    tag = "Returns",
    security(("staffBearer" = [])),
    params(("id" = String, Path, description = "The return's id.")),
    request_body = RejectJson,
    responses(
        (status = 200, description = "Rejected", body = ReturnJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role without the right, or a client"),
        (status = 404, description = "`return_not_found`"),
        (status = 409, description = "`invalid_transition`: received or refunded"),
        (status = 422, description = "`invalid_reason` (field `reason`), `invalid_request`"),
    )
)]
pub async fn reject_return(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<RejectJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(maison_app::actor::Action::HandleReturn)
        .map_err(|e| problem(&state, e))?;
    let r = body(request)?;
    let record = state
        .maison
        .reject_return(&actor, &path_text(path), &r.reason)
        .await
        .map_err(|e| problem(&state, e))?;
    Ok(Json(ReturnJson::new(&record)).into_response())
}
