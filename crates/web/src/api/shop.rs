//! Bags and checkout over the API (PRODUCT.md §7).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use maison_app::actor::Actor;
use maison_app::bag::{BagView, PersonalisationRequest};
use maison_app::checkout::{CardRequest, CheckoutRequest, ContactInput, DeliveryInput};
use maison_domain::address::AddressInput;

use super::input::{AddressJson, body};
use super::schemas::{self, MoneyJson};
use super::views::{BagJson, EstimateJson, OrderJson, OrderStatusJson, PersonalisationJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

fn id(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn ids(path: Result<Path<(String, String)>, PathRejection>) -> (String, String) {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn bag_response(status: StatusCode, bag: &BagView) -> Response {
    (status, Json(BagJson::new(bag))).into_response()
}

/// A signed-in client's bag is the client's own: other callers are told
/// there is no such bag.
async fn check_access(state: &AppState, visitor: &Visitor, bag_id: &str) -> Result<(), Problem> {
    state
        .maison
        .check_bag_access(bag_id, visitor.account_id())
        .await
        .map_err(|e| state.problem(e))
}

/// A new, empty bag
///
/// With a client's session (bearer token, or the session cookie with
/// X-CSRF-Token), the bag is the client's: only that client can read it,
/// change it and check it out.
#[utoipa::path(
    post,
    path = "/api/v1/bags",
    operation_id = "createBag",
    tag = "Bag",
    responses((status = 201, description = "The bag", body = BagJson))
)]
pub async fn create_bag(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Problem> {
    let bag = match visitor.account_id() {
        Some(account) => {
            let id = state
                .maison
                .create_account_bag(account)
                .await
                .map_err(|e| state.problem(e))?;
            state.maison.bag(&id).await
        }
        None => state.maison.create_bag().await,
    }
    .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::CREATED, &bag))
}

/// A bag
#[utoipa::path(
    get,
    path = "/api/v1/bags/{id}",
    operation_id = "getBag",
    tag = "Bag",
    params(("id" = String, Path, description = "The bag's id, from POST /api/v1/bags.")),
    responses(
        (status = 200, description = "The bag", body = BagJson),
        (status = 404, description = "`bag_not_found` (also for a client's bag, to anyone else)"),
    )
)]
pub async fn get_bag(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let bag_id = id(path);
    check_access(&state, &visitor, &bag_id).await?;
    let bag = state
        .maison
        .bag(&bag_id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::OK, &bag))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = AddLine)]
#[serde(deny_unknown_fields)]
pub struct AddLine {
    /// The variant's SKU: a size's, or the creation's when it has no sizes.
    sku: String,
    #[serde(default = "one")]
    #[schema(default = 1, minimum = 1)]
    quantity: i64,
    personalisation: Option<PersonalisationJson>,
}

fn one() -> i64 {
    1
}

/// Add a creation (a size's SKU, or a creation's without sizes)
///
/// Refusals: 409 `order_item_limit` (a sixth creation), `temporarily_unavailable`,
/// `price_on_request`, `not_sold_online`; 422 `invalid_personalisation`,
/// `invalid_quantity`; 404 `product_not_found`, `bag_not_found`. Each names
/// Client Relations where the maison's rules say to.
#[utoipa::path(
    post,
    path = "/api/v1/bags/{id}/lines",
    operation_id = "addLine",
    tag = "Bag",
    params(("id" = String, Path, description = "The bag's id, from POST /api/v1/bags.")),
    request_body = AddLine,
    responses(
        (status = 200, description = "The bag", body = BagJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`bag_not_found`, `product_not_found` (field `sku`)"),
        (status = 409, description = "`order_item_limit` (a sixth creation), `temporarily_unavailable`, `price_on_request`, `not_sold_online`"),
        (status = 422, description = "`invalid_personalisation`, `invalid_quantity`, `invalid_request` (a missing or mistyped field)"),
    )
)]
pub async fn add_line(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<AddLine>, JsonRejection>,
) -> Result<Response, Problem> {
    let bag_id = id(path);
    let request = body(request)?;
    check_access(&state, &visitor, &bag_id).await?;
    let personalisation = request.personalisation.map(PersonalisationRequest::from);
    let bag = state
        .maison
        .add_to_bag(&bag_id, &request.sku, request.quantity, personalisation)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::OK, &bag))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ChangeQuantity)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuantity {
    #[schema(minimum = 1)]
    quantity: i64,
}

/// Change a line's quantity
#[utoipa::path(
    patch,
    path = "/api/v1/bags/{id}/lines/{line_id}",
    operation_id = "changeQuantity",
    tag = "Bag",
    params(("id" = String, Path, description = "The bag's id, from POST /api/v1/bags."), ("line_id" = String, Path, description = "The line's `id` in the bag.")),
    request_body = ChangeQuantity,
    responses(
        (status = 200, description = "The bag", body = BagJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`bag_not_found`, `line_not_found`"),
        (status = 409, description = "`order_item_limit`, `temporarily_unavailable` (not enough in stock)"),
        (status = 422, description = "`invalid_quantity`, `invalid_request` (a missing or mistyped field)"),
    )
)]
pub async fn change_line(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Result<Json<ChangeQuantity>, JsonRejection>,
) -> Result<Response, Problem> {
    let (bag_id, line_id) = ids(path);
    let request = body(request)?;
    check_access(&state, &visitor, &bag_id).await?;
    let bag = state
        .maison
        .change_quantity(&bag_id, &line_id, request.quantity)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::OK, &bag))
}

/// Remove a line
#[utoipa::path(
    delete,
    path = "/api/v1/bags/{id}/lines/{line_id}",
    operation_id = "removeLine",
    tag = "Bag",
    params(("id" = String, Path, description = "The bag's id, from POST /api/v1/bags."), ("line_id" = String, Path, description = "The line's `id` in the bag.")),
    responses(
        (status = 200, description = "The bag", body = BagJson),
        (status = 404, description = "`bag_not_found`, `line_not_found`"),
    )
)]
pub async fn remove_line(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, Problem> {
    let (bag_id, line_id) = ids(path);
    check_access(&state, &visitor, &bag_id).await?;
    let bag = state
        .maison
        .remove_line(&bag_id, &line_id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::OK, &bag))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = Contact)]
#[serde(deny_unknown_fields)]
pub struct ContactJson {
    first_name: String,
    last_name: String,
    #[schema(format = Email)]
    email: String,
    phone: String,
}

/// `home` and `workplace` need an address (`workplace`: with `company`);
/// `boutique` needs the id of a boutique that accepts pickups.
#[derive(Deserialize, ToSchema)]
#[schema(as = Delivery)]
#[serde(deny_unknown_fields)]
pub struct DeliveryJson {
    #[schema(schema_with = schemas::delivery_method)]
    method: String,
    address: Option<AddressJson>,
    /// Instead of `address`, with a signed-in client's session: one of the
    /// client's saved addresses (404 `address_not_found` for any other).
    address_id: Option<String>,
    /// A boutique that accepts pickups, for `boutique`.
    boutique_id: Option<String>,
}

/// A saved address named by `delivery.address_id` becomes the delivery
/// address; only the caller's own addresses can be named.
async fn saved_address(
    state: &AppState,
    visitor: &Visitor,
    delivery: &mut DeliveryJson,
) -> Result<(), Problem> {
    let Some(id) = delivery.address_id.take() else {
        return Ok(());
    };
    if delivery.address.is_some() {
        return Err(Problem::invalid(
            "invalid_request",
            "delivery.address_id",
            "Send either delivery.address or delivery.address_id, not both.",
        ));
    }
    let not_found = || {
        Problem::not_found("address_not_found", "Your account has no such address.")
            .field("delivery.address_id")
    };
    let account = visitor.account_id().ok_or_else(not_found)?;
    let saved = state
        .maison
        .saved_addresses(&Actor::client(account))
        .await
        .map_err(|e| state.problem(e))?;
    let a = saved
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(not_found)?;
    delivery.address = Some(AddressJson {
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        region: a.region,
        postal_code: a.postal_code,
        country: a.country,
        company: a.company,
    });
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = Card)]
#[serde(deny_unknown_fields)]
pub struct CardJson {
    number: String,
    exp_month: u32,
    exp_year: u32,
    cvc: String,
    /// Must be the client's name (rule: the cardholder places the order).
    holder_name: String,
}

impl From<CardJson> for CardRequest {
    fn from(c: CardJson) -> Self {
        CardRequest {
            number: c.number,
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            cvc: c.cvc,
            holder_name: c.holder_name,
        }
    }
}

impl From<PersonalisationJson> for PersonalisationRequest {
    fn from(p: PersonalisationJson) -> Self {
        PersonalisationRequest {
            kind: p.kind,
            text: p.text,
        }
    }
}

impl std::fmt::Debug for CardJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardJson { .. }")
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(as = CheckoutPayment)]
#[serde(deny_unknown_fields)]
pub struct PaymentJson {
    card: CardJson,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PreviewRequest)]
#[serde(deny_unknown_fields)]
pub struct PreviewJson {
    bag_id: String,
    contact: ContactJson,
    delivery: DeliveryJson,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = CheckoutRequest)]
#[serde(deny_unknown_fields)]
pub struct CheckoutJson {
    bag_id: String,
    contact: ContactJson,
    delivery: DeliveryJson,
    payment: PaymentJson,
    #[serde(default)]
    /// Required true when a line is personalised (final sale).
    accept_final_sale: bool,
}

pub fn checkout_request(
    bag_id: String,
    account_id: Option<&str>,
    contact: ContactJson,
    delivery: DeliveryJson,
    accept_final_sale: bool,
) -> CheckoutRequest {
    CheckoutRequest {
        bag_id,
        account_id: account_id.map(str::to_owned),
        contact: ContactInput {
            first_name: contact.first_name,
            last_name: contact.last_name,
            email: contact.email,
            phone: contact.phone,
        },
        delivery: delivery.into(),
        accept_final_sale,
    }
}

impl From<DeliveryJson> for DeliveryInput {
    fn from(delivery: DeliveryJson) -> Self {
        DeliveryInput {
            method: delivery.method,
            address: delivery.address.map(AddressInput::from),
            boutique_id: delivery.boutique_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Preview)]
struct PreviewResponse {
    #[schema(value_type = MoneyJson)]
    subtotal: maison_domain::Money,
    #[schema(value_type = MoneyJson)]
    total: maison_domain::Money,
    #[schema(schema_with = schemas::carrier)]
    carrier: &'static str,
    #[schema(required = true)]
    estimate: Option<EstimateJson>,
    /// The address is outside the delivery zones: `messages` says what to do.
    out_of_delivery_area: bool,
    messages: Vec<String>,
}

/// Totals, carrier, estimate and messages before paying
///
/// The bag and the delivery are checked as the checkout checks them, and
/// nothing is charged or reserved. A client's bag can be previewed only by
/// that client (404 `bag_not_found` for anyone else).
#[utoipa::path(
    post,
    path = "/api/v1/checkout/preview",
    operation_id = "previewCheckout",
    tag = "Checkout",
    request_body = PreviewJson,
    responses(
        (status = 200, description = "The preview", body = PreviewResponse),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`bag_not_found`, `address_not_found` (field `delivery.address_id`)"),
        (status = 409, description = "`bag_empty`, `temporarily_unavailable`, `order_item_limit`, `price_on_request`, `not_sold_online`"),
        (status = 422, description = "`invalid_address`, `company_required`, `invalid_contact`, `invalid_boutique`, `invalid_delivery`, `invalid_request` (a missing or mistyped field, or both `delivery.address` and `delivery.address_id`)"),
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Result<Json<PreviewJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let mut r = body(request)?;
    check_access(&state, &visitor, &r.bag_id).await?;
    saved_address(&state, &visitor, &mut r.delivery).await?;
    let request = checkout_request(r.bag_id, visitor.account_id(), r.contact, r.delivery, false);
    let prepared = state
        .maison
        .prepare_checkout(&request)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(PreviewResponse {
        subtotal: prepared.subtotal,
        total: prepared.total,
        carrier: prepared.plan.carrier.as_str(),
        estimate: prepared.plan.estimate.map(EstimateJson::from),
        out_of_delivery_area: prepared.plan.out_of_delivery_area,
        messages: prepared.messages(),
    })
    .into_response())
}

/// Place the order and authorise the card, exactly once per Idempotency-Key
///
/// The same key with the same body returns the same order; with another body,
/// 422 `idempotency_key_reused`. Refusals: 422 `card_invalid` (with `field`),
/// `card_expired`, `card_brand_not_accepted`, `cardholder_mismatch`,
/// `invalid_address`, `company_required`, `invalid_contact`, `invalid_boutique`;
/// 409 `final_sale_not_acknowledged`, `price_changed`, `temporarily_unavailable`,
/// `order_item_limit`, `bag_empty`, `idempotency_key_in_use`; 402
/// `payment_declined` (the card was refused); 503 `payment_unavailable`
/// (nothing charged and the card was not refused, as on a processor's
/// processing error: try again in a moment), `payment_in_doubt` (retry with the
/// same key). Signed in (bearer token, or the session cookie with
/// X-CSRF-Token), the order belongs to the client's account and appears in GET
/// /api/v1/account/orders; the Idempotency-Key is then scoped to the client. A
/// client's bag can be checked out only by that client (404 `bag_not_found` for
/// anyone else).
#[utoipa::path(
    post,
    path = "/api/v1/checkout",
    operation_id = "checkout",
    tag = "Checkout",
    params(
        ("Idempotency-Key" = String, Header, max_length = 255,
            description = "One per checkout attempt (a UUID). Missing: 400 `idempotency_key_required`."),
    ),
    request_body = CheckoutJson,
    responses(
        (status = 201, description = "The confirmed order", body = OrderJson),
        (status = 400, description = "`idempotency_key_required` (field `Idempotency-Key`), `malformed_json`"),
        (status = 402, description = "`payment_declined`: the card was refused"),
        (status = 404, description = "`bag_not_found`, `address_not_found` (field `delivery.address_id`)"),
        (status = 409, description = "`final_sale_not_acknowledged`, `price_changed`, `temporarily_unavailable`, `order_item_limit`, `bag_empty`, `bag_changed`, `bag_checked_out`, `idempotency_key_in_use`"),
        (status = 422, description = "`card_invalid` (with `field`), `card_expired`, `card_brand_not_accepted`, `cardholder_mismatch`, `invalid_address`, `company_required`, `invalid_contact`, `invalid_boutique`, `invalid_delivery`, `idempotency_key_reused`, `invalid_request` (a missing or mistyped field)"),
        (status = 503, description = "`payment_unavailable` (nothing charged: try again in a moment), `payment_in_doubt` (retry with the same key)"),
    )
)]
pub async fn checkout(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    request: Result<Json<CheckoutJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return Err(Problem::malformed(
            "idempotency_key_required",
            "Send an Idempotency-Key header (a UUID per checkout attempt) so that a retry never charges twice.",
        )
        .field("Idempotency-Key"));
    };
    let mut r = body(request)?;
    let card = CardRequest::from(r.payment.card);
    check_access(&state, &visitor, &r.bag_id).await?;
    saved_address(&state, &visitor, &mut r.delivery).await?;
    let request = checkout_request(
        r.bag_id,
        visitor.account_id(),
        r.contact,
        r.delivery,
        r.accept_final_sale,
    );
    let order = state
        .maison
        .checkout(&key, request, card)
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::CREATED,
        Json(OrderJson::new(&state.maison, &order)),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = OrderLookup)]
#[serde(deny_unknown_fields)]
pub struct LookupJson {
    #[schema(examples("MV-7K2Q-9HDX-4"))]
    number: String,
    /// The e-mail address the order was placed with.
    email: String,
}

/// Order Information for guests: the order's status and timeline
///
/// Both the order number (any case, spaces or dashes) and the e-mail (any case)
/// must match; any mismatch answers 404 `order_not_found`, the same for all.
/// Throttled per client address and per order number: 429 `too_many_attempts`
/// with Retry-After. The answer shows no address and no payment details.
#[utoipa::path(
    post,
    path = "/api/v1/order-lookup",
    operation_id = "orderLookup",
    tag = "Orders",
    request_body = LookupJson,
    responses(
        (status = 200, description = "The order's status", body = OrderStatusJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`order_not_found`: no order with this number and e-mail address"),
        (status = 422, description = "`invalid_order_number` (field `number`), `invalid_email` (field `email`), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
pub async fn order_lookup(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    request: Result<Json<LookupJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    if r.number.trim().is_empty() || r.number.len() > 64 {
        return Err(Problem::invalid(
            "invalid_order_number",
            "number",
            "Enter the order number, such as MV-7K2Q-9HDX-4.",
        ));
    }
    if r.email.trim().is_empty() || r.email.len() > 254 {
        return Err(Problem::invalid(
            "invalid_email",
            "email",
            "Enter the e-mail address the order was placed with.",
        ));
    }
    let order = state
        .maison
        .look_up_order(&r.number, &r.email, &state.client_key(&headers, peer.ip()))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(OrderStatusJson::new(&state.maison, &order)).into_response())
}
