//! Integrators' webhook endpoints (administrators): register one, list them
//! (never with their secrets), and read an endpoint's deliveries with their
//! last answer.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use maison_app::actor::Action;
use maison_app::webhooks::{Delivery, Endpoint};

use super::input::body;
use crate::session::Visitor;
use crate::{AppState, Problem};

#[derive(Deserialize, ToSchema)]
#[schema(as = WebhookEndpointRequest)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequestJson {
    /// Where events are posted: http or https, without credentials.
    #[schema(example = "https://integrator.example/maison/events")]
    url: String,
    /// The events wanted: `order.placed`, `order.confirmed`,
    /// `order.cancelled`, `order.shipped`, `order.delivered`,
    /// `order.collected`, `return.requested`, `return.refunded`.
    events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookEndpointCreated)]
pub struct EndpointCreatedJson {
    id: String,
    /// The signing secret, shown this once: each delivery carries
    /// `Maison-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
    secret: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
pub struct EndpointJson {
    id: String,
    url: String,
    events: Vec<String>,
    created_at: String,
}

impl From<Endpoint> for EndpointJson {
    fn from(e: Endpoint) -> Self {
        EndpointJson {
            id: e.id,
            url: e.url,
            events: e.events,
            created_at: maison_app::clock::rfc3339(e.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookEndpointList)]
pub struct EndpointListJson {
    items: Vec<EndpointJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryJson {
    id: String,
    /// The event's id (the body's `id`).
    event_id: String,
    /// The event's type, `order.confirmed` for instance.
    #[serde(rename = "type")]
    kind: String,
    /// What the event is about: `order:<number>`.
    subject: String,
    /// `pending` (waiting or being retried), `delivered`, or `failed` (after a
    /// day of retries).
    status: String,
    attempts: u32,
    /// The HTTP status of the last answer; null when none came.
    #[schema(required = true)]
    last_status: Option<u16>,
    /// Why the last attempt failed.
    #[schema(required = true)]
    last_error: Option<String>,
    /// When it is next tried; null once delivered or failed.
    #[schema(required = true)]
    next_attempt_at: Option<String>,
    created_at: String,
    #[schema(required = true)]
    delivered_at: Option<String>,
}

impl From<Delivery> for DeliveryJson {
    fn from(d: Delivery) -> Self {
        let pending = d.status == "pending";
        DeliveryJson {
            id: d.id,
            event_id: d.event_id,
            kind: d.kind,
            subject: d.subject,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: pending.then(|| maison_app::clock::rfc3339(d.next_attempt_at)),
            created_at: maison_app::clock::rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(maison_app::clock::rfc3339),
            status: d.status,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDeliveryList)]
pub struct DeliveryListJson {
    items: Vec<DeliveryJson>,
}

/// Register a webhook endpoint
///
/// Administrators. The answer carries the endpoint's signing secret, shown
/// this once. Each event is posted as `{"id", "type", "created_at", "data"}`,
/// signed with `Maison-Signature`, and retried with exponential back-off for
/// a day; redirects are not followed.
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints",
    operation_id = "createWebhookEndpoint",
    tag = "Staff",
    request_body = EndpointRequestJson,
    responses(
        (status = 201, description = "The endpoint and its secret", body = EndpointCreatedJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not an administrator"),
        (status = 422, description = "`invalid_url` (not http or https, or with credentials), `invalid_event` (unknown or none), `invalid_request`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn create_endpoint(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Result<Json<EndpointRequestJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    // Who may act is checked before what they sent is read.
    actor
        .may(Action::ManageWebhooks)
        .map_err(|e| state.problem(e))?;
    let r = body(request)?;
    let created = state
        .maison
        .add_webhook_endpoint(&actor, &r.url, &r.events)
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::CREATED,
        Json(EndpointCreatedJson {
            id: created.id,
            secret: created.secret,
        }),
    )
        .into_response())
}

/// The webhook endpoints
///
/// Administrators. Without their secrets.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints",
    operation_id = "listWebhookEndpoints",
    tag = "Staff",
    responses(
        (status = 200, description = "Every endpoint, oldest first", body = EndpointListJson),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not an administrator"),
    ),
    security(("staffBearer" = []))
)]
pub async fn list_endpoints(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Problem> {
    let endpoints = state
        .maison
        .webhook_endpoints(&visitor.actor())
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(EndpointListJson {
        items: endpoints.into_iter().map(Into::into).collect(),
    })
    .into_response())
}

/// An endpoint's deliveries
///
/// Administrators. The latest hundred, newest first, each with its last
/// answer, its attempts and when it is next tried.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints/{endpoint_id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "Staff",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The deliveries", body = DeliveryListJson),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not an administrator"),
        (status = 404, description = "`endpoint_not_found`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let id = path.map(|Path(p)| p).unwrap_or_default();
    let deliveries = state
        .maison
        .webhook_deliveries(&visitor.actor(), &id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(DeliveryListJson {
        items: deliveries.into_iter().map(Into::into).collect(),
    })
    .into_response())
}
