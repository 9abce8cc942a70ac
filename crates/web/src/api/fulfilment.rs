//! Fulfilment's API (staff bearer tokens): shipments with carriers, boutique
//! pickups and hand-overs; and the carriers' signed tracking webhooks. The
//! use cases decide who may do what and check the signatures.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use maison_app::actor::Action;
use maison_app::pickups::HandOver;
use maison_app::shipments::ShipmentInput;
use maison_domain::Money;
use maison_domain::fulfilment::{Shipment, ShipmentStatus};

use super::schemas::MoneyJson;
use super::staff::answer;
use crate::session::Visitor;
use crate::{AppState, Problem};

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn words(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().map(|v| serde_json::Value::from(*v))))
        .build()
}

fn shipment_carrier() -> Object {
    words(&["fedex", "secure_courier"])
}

fn shipment_status() -> Object {
    words(&ShipmentStatus::ALL.map(ShipmentStatus::as_str))
}

fn event_status() -> Object {
    words(&["applied", "duplicate"])
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

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ShipmentRequest)]
#[serde(deny_unknown_fields)]
struct ShipmentRequestJson {
    /// `fedex` or `secure_courier`; by default the rule's: the secure
    /// courier strictly over the high-value threshold, FedEx otherwise.
    #[schema(schema_with = shipment_carrier)]
    carrier: Option<String>,
    /// Always true with the secure courier and over the threshold; false
    /// there: 409 `signature_required`.
    signature_required: Option<bool>,
}

/// A shipment with its carrier.
#[derive(Serialize, ToSchema)]
#[schema(as = Shipment)]
pub struct ShipmentJson<'a> {
    id: &'a str,
    #[schema(schema_with = shipment_carrier)]
    carrier: &'static str,
    #[schema(required = true, examples("794612345678"))]
    tracking_number: Option<&'a str>,
    /// The value insured with the carrier: the order's total.
    #[schema(value_type = MoneyJson)]
    declared_value: Money,
    signature_required: bool,
    #[schema(schema_with = shipment_status)]
    status: &'static str,
}

impl<'a> ShipmentJson<'a> {
    fn new(s: &'a Shipment) -> Self {
        ShipmentJson {
            id: &s.id,
            carrier: s.carrier.as_str(),
            tracking_number: s.tracking_number.as_deref(),
            declared_value: s.declared_value,
            signature_required: s.signature_required,
            status: s.status.as_str(),
        }
    }
}

/// Ship an order in processing (fulfilment, admin)
///
/// Chooses the carrier by the order's value (rule R7: strictly over the
/// high-value threshold only `secure_courier`, signed for, its full value
/// declared), asks the carrier for a label, captures the card payment (wire
/// and cash orders are already paid) and moves the order to `shipped`; the
/// client is told by e-mail. A declined capture cancels the label and leaves
/// the order in processing, flagged for Client Relations. A retry with the
/// same Idempotency-Key answers the same shipment (or the same refusal).
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/shipments",
    operation_id = "createShipment",
    tag = "Fulfilment",
    security(("staffBearer" = [])),
    params(
        ("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4"),
        ("Idempotency-Key" = String, Header, max_length = 255,
            description = "One per shipment (a UUID). Missing: 400 `idempotency_key_required`."),
    ),
    request_body(content = ShipmentRequestJson, description = "May be empty: the carrier and the signature follow the rules."),
    responses(
        (status = 201, description = "The shipment; the order is shipped", body = ShipmentJson),
        (status = 400, description = "`idempotency_key_required`, `malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`carrier_not_allowed` (over the high-value threshold, only secure_courier), `signature_required`, `capture_declined` (the order stays in processing, flagged for Client Relations), `carrier_refused`, `invalid_transition` (not in processing, a boutique order, already shipped), `idempotency_key_in_use`"),
        (status = 422, description = "`invalid_carrier` (field `carrier`), `invalid_idempotency_key`, `idempotency_key_reused`, `invalid_request`"),
        (status = 503, description = "`carrier_unavailable`, `payment_unavailable`, `payment_in_doubt` (retry with the same key)"),
    )
)]
pub async fn create_shipment(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    // Who may act is checked before what they sent is read.
    actor.may(Action::Fulfil).map_err(|e| state.problem(e))?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            Problem::malformed(
                "idempotency_key_required",
                "Send an Idempotency-Key header (a UUID per shipment) so that a retry never ships or charges twice.",
            )
            .field("Idempotency-Key")
        })?;
    let input: ShipmentRequestJson = optional_body(&raw)?;
    let shipment = state
        .maison
        .create_shipment(
            &actor,
            &path_text(path),
            &key,
            ShipmentInput {
                carrier: input.carrier,
                signature_required: input.signature_required,
            },
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((StatusCode::CREATED, Json(ShipmentJson::new(&shipment))).into_response())
}

/// Make a boutique order ready for pickup (fulfilment, admin)
///
/// processing → ready_for_pickup, for an order collected at a boutique: the
/// client is told by e-mail where (the boutique, its address, telephone and
/// hours) and from when, and to bring an identity document.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/ready-for-pickup",
    operation_id = "readyForPickup",
    tag = "Fulfilment",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    responses(
        (status = 200, description = "The order, ready for pickup", body = super::staff::StaffOrderJson),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`invalid_transition`: not in processing, or not a boutique order"),
    )
)]
pub async fn ready_for_pickup(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let number = path_text(path);
    state
        .maison
        .ready_for_pickup(&visitor.actor(), &number)
        .await
        .map_err(|e| state.problem(e))?;
    answer(&state, &number, &visitor).await
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = HandOver)]
#[serde(deny_unknown_fields)]
struct CollectJson {
    /// The collector's identity document was checked: required true.
    #[serde(default)]
    #[schema(required = true)]
    id_checked: bool,
    /// Who collected: the client, or the person they sent.
    #[serde(default)]
    #[schema(required = true, max_length = 200, examples("Claire Dubois"))]
    collected_by: String,
}

/// Hand a boutique order over (fulfilment, admin)
///
/// ready_for_pickup → collected, once the collector's identity document is
/// checked (`id_checked: false` or absent: 422 `id_check_required`). The card
/// payment is captured first: declined, the order stays ready for pickup,
/// flagged for Client Relations (409 `capture_declined`).
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/collect",
    operation_id = "collectOrder",
    tag = "Fulfilment",
    security(("staffBearer" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    request_body = CollectJson,
    responses(
        (status = 200, description = "The order, collected", body = super::staff::StaffOrderJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token, a wrong one, or a disabled member's"),
        (status = 403, description = "`forbidden`: a role without the right, or a client's session"),
        (status = 404, description = "`order_not_found`"),
        (status = 409, description = "`invalid_transition` (not ready for pickup), `capture_declined`"),
        (status = 422, description = "`id_check_required` (field `id_checked`), `invalid_collected_by` (field `collected_by`), `invalid_request`"),
        (status = 503, description = "`payment_unavailable`, `payment_in_doubt`"),
    )
)]
pub async fn collect(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let number = path_text(path);
    let actor = visitor.actor();
    actor.may(Action::Fulfil).map_err(|e| state.problem(e))?;
    let input: CollectJson = optional_body(&raw)?;
    state
        .maison
        .collect_order(
            &actor,
            &number,
            HandOver {
                id_checked: input.id_checked,
                collected_by: input.collected_by,
            },
        )
        .await
        .map_err(|e| state.problem(e))?;
    answer(&state, &number, &visitor).await
}

/// What became of a carrier's event.
#[derive(Serialize, ToSchema)]
#[schema(as = CarrierEventReceipt)]
pub struct EventReceiptJson {
    /// The carrier's id of the event.
    id: String,
    /// `duplicate`: the event was applied before; nothing was done again.
    #[schema(schema_with = event_status)]
    status: &'static str,
}

/// A carrier's tracking event (signed)
///
/// For carriers (`fedex`, `secure_courier`). Header `Maison-Signature:
/// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the
/// carrier's `carriers.<name>.webhook_secret`; a missing, wrong or more than
/// five minutes old signature (or a carrier without a configured secret):
/// 400 `invalid_signature`, nothing recorded. Body: `{"id", "tracking_number",
/// "type": "appointment_confirmed"|"picked_up"|"in_transit"|"out_for_delivery"|"delivered"|"exception",
/// "occurred_at", "appointment_date"?, "detail"?}`. Each event id is applied
/// once (again: 200 `duplicate`): it lands on the order's timeline and the
/// client is told by e-mail; `delivered` moves the order to `delivered`.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/carriers/{carrier}",
    operation_id = "carrierWebhook",
    tag = "Webhooks",
    params(
        ("carrier" = String, Path, description = "`fedex` or `secure_courier`.", example = "fedex"),
        ("Maison-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">"),
    ),
    request_body(content = String, content_type = "application/json", description = "The event, exactly as signed."),
    responses(
        (status = 200, description = "Applied, or applied before", body = EventReceiptJson),
        (status = 400, description = "`invalid_signature` (nothing recorded), `malformed_json`"),
        (status = 404, description = "`carrier_not_found`, `shipment_not_found` (no shipment with this tracking number)"),
        (status = 422, description = "`invalid_event` (field names the value at fault)"),
    )
)]
pub async fn carrier_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    raw: Bytes,
) -> Result<Response, Problem> {
    let carrier = path_text(path);
    let signature = headers
        .get(maison_app::tracking::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let receipt = state
        .maison
        .receive_carrier_event(&carrier, signature, &raw)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(EventReceiptJson {
        id: receipt.id,
        status: if receipt.applied {
            "applied"
        } else {
            "duplicate"
        },
    })
    .into_response())
}
