//! Client Relations' API (staff bearer tokens): assisted orders by telephone
//! or in a boutique, the wire and cash receipts that pay them, an order's
//! documents, and the outbox. The use cases decide who may do what.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use maison_app::assisted::{
    AssistedLineInput, AssistedOrderRequest, AssistedPaymentInput, DocumentsInput,
};
use maison_app::outbox::Letter;
use maison_app::receipts::ReceiptRequest;
use maison_domain::{Currency, Money};

use super::input::{body, page_limit, query};
use super::schemas;
use super::schemas::MoneyJson;
use super::shop::{CardJson, ContactJson, DeliveryJson, checkout_request};
use super::views::{OrderJson, PersonalisationJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

fn idempotency_key(headers: &HeaderMap) -> Result<String, Problem> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            Problem::malformed(
                "idempotency_key_required",
                "Send an Idempotency-Key header (a UUID per order) so that a retry never places the order twice.",
            )
            .field("Idempotency-Key")
        })
}

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

#[derive(Deserialize, ToSchema)]
#[schema(as = AssistedOrderLine)]
#[serde(deny_unknown_fields)]
pub struct AssistedLineJson {
    /// The variant's SKU; phone-only creations are allowed here, creations
    /// priced on request only through a quote.
    sku: String,
    #[serde(default = "one")]
    #[schema(default = 1, minimum = 1)]
    quantity: i64,
    personalisation: Option<PersonalisationJson>,
}

impl From<AssistedLineJson> for AssistedLineInput {
    fn from(l: AssistedLineJson) -> Self {
        AssistedLineInput {
            sku: l.sku,
            quantity: l.quantity,
            personalisation: l.personalisation.map(Into::into),
        }
    }
}

fn one() -> i64 {
    1
}

/// `card` (with `card`), `wire`, or `cash` (with the boutique where the
/// client pays).
#[derive(Deserialize, ToSchema)]
#[schema(as = AssistedPayment)]
#[serde(deny_unknown_fields)]
pub struct AssistedPaymentJson {
    #[schema(schema_with = schemas::payment_method)]
    method: String,
    card: Option<CardJson>,
    boutique_id: Option<String>,
}

/// Where the acknowledgement and the confirmation go: `email` (the client's
/// address) or `fax` (a North American number).
#[derive(Deserialize, ToSchema)]
#[schema(as = DocumentsChoice)]
#[serde(deny_unknown_fields)]
pub struct DocumentsJson {
    #[schema(examples("email", "fax"))]
    channel: String,
    #[schema(examples("+1 212 555 0100"))]
    fax_number: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = AssistedOrderRequest)]
#[serde(deny_unknown_fields)]
pub struct AssistedOrderJson {
    /// `telephone` or `boutique`.
    #[schema(examples("telephone"))]
    channel: String,
    client: ContactJson,
    /// The creations; leave out when `quote_id` is given.
    #[serde(default)]
    lines: Vec<AssistedLineJson>,
    /// A quote paid by telephone: its piece at its price, instead of `lines`
    /// (409 `quote_expired`, `quote_used`; 404 `quote_not_found`).
    quote_id: Option<String>,
    delivery: DeliveryJson,
    payment: AssistedPaymentJson,
    documents: DocumentsJson,
    /// Required to hold more than five creations (rule R12); recorded on the
    /// timeline and in the audit log.
    limit_override_reason: Option<String>,
    /// Required true when a line is personalised (final sale).
    #[serde(default)]
    accept_final_sale: bool,
}

/// The order's shape, with how it was placed; for wire and cash, its
/// `payment` also says what is due and received.
#[derive(Serialize, ToSchema)]
#[schema(as = AssistedOrder)]
pub struct AssistedOrderResponse<'a> {
    #[serde(flatten)]
    order: OrderJson<'a>,
    /// `online`, `telephone` or `boutique`.
    #[schema(examples("telephone"))]
    channel: &'static str,
    /// The cash received passed the reporting threshold (10,000).
    large_cash: bool,
}

async fn assisted_json<'a>(
    state: &AppState,
    order: &'a maison_app::Order,
) -> Result<AssistedOrderResponse<'a>, Problem> {
    let mut json = AssistedOrderResponse {
        order: OrderJson::new(&state.maison, order),
        channel: order.channel_name(),
        large_cash: order.assisted.as_ref().is_some_and(|a| a.large_cash),
    };
    if order.payment.card().is_none() {
        let (balance, _) = state
            .maison
            .order_balance(order)
            .await
            .map_err(|e| state.problem(e))?;
        json.order.payment.amount_due = Some(balance.due);
        json.order.payment.amount_received = Some(balance.received);
    }
    Ok(json)
}

/// Place an order for a client, by telephone or in a boutique
///
/// Ambassadors, Prestige Advisors and administrators. The same rules as the
/// online checkout (stock, cardholder, carriers by value, delivery, final
/// sale), plus: phone-only creations, more than five creations with
/// `limit_override_reason`, payment by card (authorised now: the order is
/// `confirmed`), wire or cash (the order is `placed`, its stock reserved
/// until paid or cancelled), documents by e-mail or fax. A retry with the
/// same Idempotency-Key answers the same order.
#[utoipa::path(
    post,
    path = "/api/v1/assisted-orders",
    operation_id = "placeAssistedOrder",
    tag = "Client Relations",
    params(
        ("Idempotency-Key" = String, Header, max_length = 255,
            description = "One per order (a UUID). Missing: 400 `idempotency_key_required`."),
    ),
    request_body = AssistedOrderJson,
    responses(
        (status = 201, description = "The order", body = AssistedOrderResponse),
        (status = 400, description = "`idempotency_key_required`, `malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 402, description = "`payment_declined`: the card was refused"),
        (status = 403, description = "`forbidden`: a role that does not place orders (fulfilment), or a client"),
        (status = 404, description = "`quote_not_found`: no quote with this `quote_id`"),
        (status = 409, description = "`order_item_limit` (more than five creations without `limit_override_reason`), `temporarily_unavailable`, `price_on_request`, `final_sale_not_acknowledged`, `quote_expired`, `quote_used`, `idempotency_key_in_use`"),
        (status = 422, description = "`invalid_fax_number` (field `documents.fax_number`), `invalid_documents`, `invalid_channel`, `payment_method_not_accepted`, `card_invalid`, `card_expired`, `card_brand_not_accepted`, `cardholder_mismatch`, `invalid_contact`, `invalid_address`, `company_required`, `invalid_boutique`, `invalid_delivery`, `invalid_personalisation`, `lines_required`, `unknown_sku`, `idempotency_key_reused`, `invalid_request`"),
        (status = 503, description = "`payment_unavailable`, `payment_in_doubt` (retry with the same key)"),
    ),
    security(("staffBearer" = []))
)]
pub async fn place_assisted_order(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    request: Result<Json<AssistedOrderJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    // Who may act is checked before what they sent is read.
    actor
        .may(maison_app::actor::Action::PlaceAssistedOrder)
        .map_err(|e| state.problem(e))?;
    let key = idempotency_key(&headers)?;
    let r = body(request)?;
    let payment = match r.payment.method.trim() {
        "card" => AssistedPaymentInput::Card(
            r.payment
                .card
                .ok_or_else(|| {
                    Problem::invalid(
                        "card_invalid",
                        "payment.card",
                        "Enter the client's card to pay by card.",
                    )
                })?
                .into(),
        ),
        "wire" => AssistedPaymentInput::Wire,
        "cash" => AssistedPaymentInput::Cash {
            boutique_id: r.payment.boutique_id.unwrap_or_default(),
        },
        _ => {
            return Err(Problem::invalid(
                "invalid_payment_method",
                "payment.method",
                "Choose card, wire or cash.",
            ));
        }
    };
    let base = checkout_request(
        String::new(),
        None,
        r.client,
        r.delivery,
        r.accept_final_sale,
    );
    let request = AssistedOrderRequest {
        via: r.channel,
        contact: base.contact,
        lines: r.lines.into_iter().map(Into::into).collect(),
        quote_id: r.quote_id,
        delivery: base.delivery,
        payment,
        documents: DocumentsInput {
            channel: r.documents.channel,
            fax_number: r.documents.fax_number,
        },
        limit_override_reason: r.limit_override_reason,
        accept_final_sale: r.accept_final_sale,
    };
    let order = state
        .maison
        .place_assisted_order(&actor, &key, request)
        .await
        .map_err(|e| state.problem(e))?;
    let json = assisted_json(&state, &order).await?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ReceiptRequest)]
#[serde(deny_unknown_fields)]
pub struct ReceiptJson {
    /// `wire` or `cash`.
    #[schema(examples("wire"))]
    method: String,
    #[schema(value_type = MoneyJson)]
    amount: MoneyInput,
    /// The bank's reference of the transfer, or the boutique's receipt number.
    #[schema(examples("FW2026120100042"))]
    reference: String,
}

/// An amount as the API writes it: `{"amount": "1250.00", "currency": "USD"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    amount: String,
    currency: String,
}

impl MoneyInput {
    fn parse(&self) -> Result<Money, Problem> {
        let currency = Currency::parse(self.currency.trim()).map_err(|_| {
            Problem::invalid("invalid_amount", "amount.currency", "The currency is USD.")
        })?;
        Money::parse(self.amount.trim(), currency).map_err(|_| {
            Problem::invalid(
                "invalid_amount",
                "amount.amount",
                "Write the amount with a dot and at most two decimals, such as \"1250.00\".",
            )
        })
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Receipt)]
pub struct ReceiptResponse<'a> {
    id: &'a str,
    #[schema(examples("wire"))]
    method: &'static str,
    #[schema(value_type = MoneyJson)]
    amount: Money,
    reference: &'a str,
    recorded_by: &'a str,
    #[schema(format = DateTime)]
    received_at: String,
    /// This receipt took the cash received on the order past 10,000.
    large_cash: bool,
    /// The order after the receipt (`confirmed` once fully paid).
    order: AssistedOrderResponse<'a>,
}

/// Record a wire or cash payment on an order
///
/// Ambassadors, Prestige Advisors and administrators, on a `placed` wire or
/// cash order. Partial receipts add up; the receipt that completes the
/// payment confirms the order and sends its confirmation. Cash over 10,000
/// in total on one order is flagged on the order and in the audit log.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/receipts",
    operation_id = "recordReceipt",
    tag = "Client Relations",
    params(
        ("number" = String, Path, description = "The order number"),
        ("Idempotency-Key" = Option<String>, Header, max_length = 255,
            description = "One per receipt (a UUID): a retry with the same key records it once and answers the same receipt."),
    ),
    request_body = ReceiptJson,
    responses(
        (status = 201, description = "The receipt, with the order after it", body = ReceiptResponse),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role that does not record payments"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`duplicate_reference` (a bank reference recorded before), `receipt_exceeds_balance`, `invalid_transition` (not a wire or cash order, or not awaiting payment), `idempotency_key_in_use` (the same request is being recorded)"),
        (status = 422, description = "`invalid_method`, `invalid_amount`, `invalid_reference`, `idempotency_key_reused`, `invalid_request`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn record_receipt(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<ReceiptJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(maison_app::actor::Action::RecordReceipt)
        .map_err(|e| state.problem(e))?;
    let number = path_text(path);
    let r = body(request)?;
    let amount = r.amount.parse()?;
    let recorded = state
        .maison
        .record_receipt(
            &actor,
            &number,
            ReceiptRequest {
                method: r.method,
                amount,
                reference: r.reference,
            },
            headers.get("idempotency-key").and_then(|v| v.to_str().ok()),
        )
        .await
        .map_err(|e| state.problem(e))?;
    let order = assisted_json(&state, &recorded.order).await?;
    let receipt = &recorded.receipt;
    Ok((
        StatusCode::CREATED,
        Json(ReceiptResponse {
            id: &receipt.id,
            method: receipt.method.as_str(),
            amount: receipt.amount,
            reference: &receipt.reference,
            recorded_by: &receipt.recorded_by,
            received_at: maison_app::clock::rfc3339(receipt.received_at),
            large_cash: recorded.large_cash,
            order,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
#[schema(as = Document)]
pub struct LetterJson<'a> {
    /// `acknowledgement` or `confirmation` (in the outbox: any letter's kind).
    #[schema(examples("acknowledgement"))]
    kind: &'a str,
    /// `email` or `fax`.
    #[schema(examples("email"))]
    channel: &'a str,
    /// The e-mail address, or the fax number.
    to: &'a str,
    /// `queued`, `sent` or `failed`.
    #[schema(examples("sent"))]
    status: &'static str,
    #[schema(format = DateTime, required = true)]
    sent_at: Option<String>,
}

impl<'a> LetterJson<'a> {
    fn new(l: &'a Letter) -> Self {
        LetterJson {
            kind: &l.kind,
            channel: &l.channel,
            to: &l.to,
            status: l.status,
            sent_at: l.sent_at.map(maison_app::clock::rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = DocumentList)]
pub struct DocumentsResponse<'a> {
    items: Vec<LetterJson<'a>>,
}

/// An order's documents and whether they have left
///
/// Any staff role. Every order has an acknowledgement (received) and, once
/// paid, a confirmation, each by e-mail or by fax.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}/documents",
    operation_id = "orderDocuments",
    tag = "Client Relations",
    params(("number" = String, Path, description = "The order number")),
    responses(
        (status = 200, description = "The documents, oldest first", body = DocumentsResponse),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a client"),
        (status = 404, description = "`order_not_found`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn order_documents(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let letters = state
        .maison
        .order_documents(&visitor.actor(), &path_text(path))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(DocumentsResponse {
        items: letters.iter().map(LetterJson::new).collect(),
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// `queued`, `sent` or `failed`.
    status: Option<String>,
    cursor: Option<String>,
    /// 1 to 50 (20 when absent).
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OutboxMessage)]
pub struct OutboxItemJson<'a> {
    id: &'a str,
    #[serde(flatten)]
    letter: LetterJson<'a>,
    subject: &'a str,
    attempts: u32,
    #[schema(required = true)]
    last_error: Option<&'a str>,
    #[schema(format = DateTime)]
    queued_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OutboxList)]
pub struct OutboxResponse<'a> {
    items: Vec<OutboxItemJson<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

fn outbox_item(l: &Letter) -> OutboxItemJson<'_> {
    OutboxItemJson {
        id: &l.id,
        letter: LetterJson::new(l),
        subject: &l.subject,
        attempts: l.attempts,
        last_error: l.last_error.as_deref(),
        queued_at: maison_app::clock::rfc3339(l.created_at),
    }
}

/// The outbox: every letter and fax, newest first
///
/// Administrators. `status=failed` lists what needs attention.
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    operation_id = "listOutbox",
    tag = "Client Relations",
    params(OutboxQuery),
    responses(
        (status = 200, description = "One page of messages", body = OutboxResponse),
        (status = 400, description = "`malformed_query`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not an administrator"),
        (status = 422, description = "`invalid_status`, `invalid_cursor`, `invalid_limit`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn list_outbox(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(maison_app::actor::Action::ManageOutbox)
        .map_err(|e| state.problem(e))?;
    let q = query(params)?;
    let limit = page_limit(q.limit.as_deref(), 20, 50)?;
    let page = state
        .maison
        .outbox(&actor, q.status.as_deref(), q.cursor.as_deref(), limit)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(OutboxResponse {
        items: page.items.iter().map(outbox_item).collect(),
        next_cursor: page.next_cursor,
    })
    .into_response())
}

/// Send a failed message again
///
/// Administrators. The message is due at once; the retry is audited.
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{id}/retry",
    operation_id = "retryOutboxMessage",
    tag = "Client Relations",
    params(("id" = String, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The message, queued again", body = OutboxItemJson),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not an administrator"),
        (status = 404, description = "`message_not_found`: no failed message with this id"),
    ),
    security(("staffBearer" = []))
)]
pub async fn retry_outbox_message(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let letter = state
        .maison
        .retry_letter(&visitor.actor(), &path_text(path))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(outbox_item(&letter)).into_response())
}
