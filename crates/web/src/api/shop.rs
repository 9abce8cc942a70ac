//! Bags and checkout over the API (PRODUCT.md §7).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use maison_app::bag::{BagView, PersonalisationRequest};
use maison_app::checkout::{CardRequest, CheckoutRequest, ContactInput, DeliveryInput};
use maison_domain::address::AddressInput;

use super::input::{AddressJson, body};
use super::views::{BagJson, OrderJson};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalisationJson {
    kind: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddLine {
    sku: String,
    #[serde(default = "one")]
    quantity: i64,
    personalisation: Option<PersonalisationJson>,
}

fn one() -> i64 {
    1
}

pub async fn add_line(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<AddLine>, JsonRejection>,
) -> Result<Response, Problem> {
    let bag_id = id(path);
    let request = body(request)?;
    check_access(&state, &visitor, &bag_id).await?;
    let personalisation = request.personalisation.map(|p| PersonalisationRequest {
        kind: p.kind,
        text: p.text,
    });
    let bag = state
        .maison
        .add_to_bag(&bag_id, &request.sku, request.quantity, personalisation)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(bag_response(StatusCode::OK, &bag))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuantity {
    quantity: i64,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactJson {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryJson {
    method: String,
    address: Option<AddressJson>,
    /// One of the signed-in client's saved addresses, instead of `address`.
    address_id: Option<String>,
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
        .saved_addresses(account)
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardJson {
    number: String,
    exp_month: u32,
    exp_year: u32,
    cvc: String,
    holder_name: String,
}

impl std::fmt::Debug for CardJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardJson { .. }")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentJson {
    card: CardJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewJson {
    bag_id: String,
    contact: ContactJson,
    delivery: DeliveryJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutJson {
    bag_id: String,
    contact: ContactJson,
    delivery: DeliveryJson,
    payment: PaymentJson,
    #[serde(default)]
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
        delivery: DeliveryInput {
            method: delivery.method,
            address: delivery.address.map(AddressInput::from),
            boutique_id: delivery.boutique_id,
        },
        accept_final_sale,
    }
}

#[derive(Serialize)]
struct EstimateJson {
    min_business_days: u8,
    max_business_days: u8,
}

#[derive(Serialize)]
struct PreviewResponse {
    subtotal: maison_domain::Money,
    total: maison_domain::Money,
    carrier: &'static str,
    estimate: Option<EstimateJson>,
    out_of_delivery_area: bool,
    messages: Vec<String>,
}

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
        estimate: prepared.plan.estimate.map(|e| EstimateJson {
            min_business_days: e.min_business_days,
            max_business_days: e.max_business_days,
        }),
        out_of_delivery_area: prepared.plan.out_of_delivery_area,
        messages: prepared.messages(),
    })
    .into_response())
}

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
    let card = CardRequest {
        number: r.payment.card.number,
        exp_month: r.payment.card.exp_month,
        exp_year: r.payment.card.exp_year,
        cvc: r.payment.card.cvc,
        holder_name: r.payment.card.holder_name,
    };
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupJson {
    number: String,
    email: String,
}

/// "Order Information" for guests: number and e-mail, both required.
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
    Ok(Json(super::views::OrderStatusJson::new(&state.maison, &order)).into_response())
}
