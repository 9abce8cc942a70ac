//! The fulfilment queue (issue 11): confirmed orders to process (high-value
//! ones flagged), orders in processing to ship (the carrier preselected by
//! rule R7) or to make ready at their boutique, and boutique orders to hand
//! over against an identity check. Every action calls the use case with the
//! signed-in member; a refusal is shown in words on the queue.

use askama::Template;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use maison_app::actor::Action;
use maison_app::pickups::HandOver;
use maison_app::shipments::ShipmentInput;
use maison_domain::delivery::{Carrier, Destination};
use maison_domain::fulfilment::is_high_value;
use maison_domain::order::OrderListItem;

use super::{Frame, Signed, refusal, render, status_of, with_status};
use crate::storefront::StorefrontForm;
use crate::{AppState, Problem};

const PAGE: &str = "/console/fulfilment";
/// Orders listed per section.
const LISTED: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(queue))
        .route("/console/fulfilment/{number}/process", post(process))
        .route("/console/fulfilment/{number}/ship", post(ship))
        .route("/console/fulfilment/{number}/ready", post(ready))
        .route("/console/fulfilment/{number}/collect", post(collect))
        .route(
            "/console/fulfilment/{number}/carrier-event",
            post(carrier_event),
        )
}

struct Row {
    number: String,
    href: String,
    client: String,
    total: String,
    high_value: bool,
    /// `fedex` or `secure_courier`: the carrier rule R7 chooses.
    carrier: &'static str,
    /// A fresh idempotency key for the ship form (a resubmitted form ships once).
    key: String,
}

#[derive(Template)]
#[template(path = "console/fulfilment.html")]
struct QueuePage {
    frame: Frame,
    threshold: String,
    done: String,
    error: String,
    to_process: Vec<Row>,
    to_ship: Vec<Row>,
    to_make_ready: Vec<Row>,
    to_hand_over: Vec<Row>,
    /// Shipped orders with their tracking number: the simulated carrier's
    /// events can be sent from here (the demo follows an order to the end).
    on_their_way: Vec<(Row, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    done: String,
    number: String,
}

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

fn ticked(value: &str) -> bool {
    matches!(value, "on" | "yes" | "true")
}

fn done_sentence(done: &str, number: &str) -> String {
    let what = match done {
        "processing" => "is in processing",
        "shipped" => "is shipped; its payment is captured",
        "ready" => "is ready for pickup; the client is told",
        "collected" => "is handed over; its payment is captured",
        "carrier_event" => "has a new event from its carrier, on its timeline; the client is told",
        _ => return String::new(),
    };
    format!("Order {number} {what}.")
}

fn row(state: &AppState, item: &OrderListItem) -> Row {
    let high_value = is_high_value(item.total, &state.maison.policies);
    Row {
        href: format!("/console/orders/{}", item.number),
        number: item.number.clone(),
        client: format!("{} {}", item.first_name, item.last_name),
        total: item.total.display(),
        high_value,
        carrier: if high_value {
            Carrier::SecureCourier.as_str()
        } else {
            Carrier::Fedex.as_str()
        },
        key: maison_app::clock::new_id(),
    }
}

async fn listed(
    state: &AppState,
    signed: &Signed,
    status: &str,
) -> Result<Vec<OrderListItem>, Problem> {
    Ok(state
        .maison
        .staff_orders(&signed.actor(), Some(status), None, None, LISTED)
        .await
        .map_err(|e| state.problem(e))?
        .items)
}

/// The queue, with a notice of what was done or the refusal of an action.
async fn queue_page(
    state: &AppState,
    signed: &Signed,
    done: String,
    error: String,
    status: StatusCode,
) -> Response {
    if let Err(err) = signed.actor().may(Action::Fulfil) {
        return refusal(state, signed, state.problem(err), "/console");
    }
    let sections = async {
        let confirmed = listed(state, signed, "confirmed").await?;
        let processing = listed(state, signed, "processing").await?;
        let ready = listed(state, signed, "ready_for_pickup").await?;
        let mut on_their_way = Vec::new();
        for item in listed(state, signed, "shipped").await? {
            let shipment = state
                .maison
                .order_shipment(&signed.actor(), &item.number)
                .await
                .map_err(|e| state.problem(e))?;
            if let Some(tracking) = shipment.and_then(|s| s.tracking_number) {
                on_their_way.push((row(state, &item), tracking));
            }
        }
        let mut to_ship = Vec::new();
        let mut to_make_ready = Vec::new();
        for item in &processing {
            let order = state
                .maison
                .staff_order(&signed.actor(), &item.number)
                .await
                .map_err(|e| state.problem(e))?
                .order;
            if matches!(order.delivery.destination, Destination::Boutique { .. }) {
                to_make_ready.push(row(state, item));
            } else {
                to_ship.push(row(state, item));
            }
        }
        Ok::<_, Problem>((
            confirmed.iter().map(|i| row(state, i)).collect(),
            to_ship,
            to_make_ready,
            ready.iter().map(|i| row(state, i)).collect(),
            on_their_way,
        ))
    };
    match sections.await {
        Ok((to_process, to_ship, to_make_ready, to_hand_over, on_their_way)) => with_status(
            render(&QueuePage {
                frame: Frame::new(state, signed, PAGE),
                threshold: state.maison.policies.high_value_threshold.display_whole(),
                done,
                error,
                to_process,
                to_ship,
                to_make_ready,
                to_hand_over,
                on_their_way,
            }),
            status,
        ),
        Err(problem) => refusal(state, signed, problem, "/console"),
    }
}

pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let done = done_sentence(&q.done, &q.number);
    queue_page(&state, &signed, done, String::new(), StatusCode::OK).await
}

/// After an action: back to the queue with its notice, or the queue with the
/// refusal in words (403 and 404 on their own page).
async fn outcome(
    state: &AppState,
    signed: &Signed,
    number: &str,
    result: Result<&'static str, maison_app::ShopError>,
) -> Response {
    match result {
        Ok(done) => Redirect::to(&format!("{PAGE}?done={done}&number={number}")).into_response(),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(state, signed, problem, PAGE);
            }
            let status = status_of(&problem);
            let detail = match problem.code {
                "id_check_required" => "check the collector's identity document and tick \"Identity checked\" before handing the creations over.".to_owned(),
                _ => problem.detail,
            };
            let error = format!("Order {number}: {detail}");
            queue_page(state, signed, String::new(), error, status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProcessForm {
    confirm: String,
}

pub async fn process(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<ProcessForm>,
) -> Response {
    let number = path_text(path);
    if !ticked(&form.confirm) {
        let error = format!(
            "Order {number}: tick the box to confirm; once in processing, the order can no longer be changed or cancelled."
        );
        return queue_page(
            &state,
            &signed,
            String::new(),
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let result = state
        .maison
        .process_order(&signed.actor(), &number)
        .await
        .map(|_| "processing");
    outcome(&state, &signed, &number, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShipForm {
    carrier: String,
    key: String,
}

pub async fn ship(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<ShipForm>,
) -> Response {
    let number = path_text(path);
    let key = if form.key.trim().is_empty() {
        maison_app::clock::new_id()
    } else {
        format!("console:{}", form.key.trim())
    };
    let input = ShipmentInput {
        carrier: Some(form.carrier),
        signature_required: None,
    };
    let result = state
        .maison
        .create_shipment(&signed.actor(), &number, &key, input)
        .await
        .map(|_| "shipped");
    outcome(&state, &signed, &number, result).await
}

pub async fn ready(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let number = path_text(path);
    let result = state
        .maison
        .ready_for_pickup(&signed.actor(), &number)
        .await
        .map(|_| "ready");
    outcome(&state, &signed, &number, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CollectForm {
    id_checked: String,
    collected_by: String,
}

pub async fn collect(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<CollectForm>,
) -> Response {
    let number = path_text(path);
    let hand_over = HandOver {
        id_checked: ticked(&form.id_checked),
        collected_by: form.collected_by,
    };
    let result = state
        .maison
        .collect_order(&signed.actor(), &number, hand_over)
        .await
        .map(|_| "collected");
    outcome(&state, &signed, &number, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CarrierEventForm {
    tracking: String,
    event: String,
    date: String,
}

/// Sends the simulated carrier's next event for a shipment (the same use
/// case as `maison carrier simulate`).
pub async fn carrier_event(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<CarrierEventForm>,
) -> Response {
    let number = path_text(path);
    let result = state
        .maison
        .simulate_carrier_event(
            &signed.actor(),
            &form.tracking,
            &form.event,
            Some(form.date.as_str()).filter(|d| !d.trim().is_empty()),
            None,
        )
        .await
        .map(|_| "carrier_event");
    outcome(&state, &signed, &number, result).await
}
