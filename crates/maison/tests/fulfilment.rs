//! Fulfilment over real HTTP, on SQLite and PostgreSQL (issue 11): a card
//! order shipped with FedEx (its payment captured) and followed to delivery
//! by signed carrier webhooks; a boutique pickup handed over against an
//! identity check; an order over $30,000 that only the secure courier takes;
//! a declined capture; and who may do what.

mod common;

use std::sync::Arc;

use common::{TestApp, assert_problem, call, checkout_body, spawn_app_configured};
use maison::config::{RawCarrier, RawCarriers, RawMail};
use maison_app::actor::Actor;
use maison_carriers::{CarrierSimulator, TrackingEventKind, signature};
use maison_payments::{PaymentGateway, PaymentState};
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

const FEDEX_SECRET: &str = "whsec_fedex_test_0123456789";
const COURIER_SECRET: &str = "whsec_courier_test_0123456789";

/// The demo maison with both carriers' webhook secrets configured.
async fn spawn(backend: maison_testkit::Backend) -> TestApp {
    spawn_app_configured(
        backend,
        RawMail::default(),
        Arc::new(maison_app::clock::SystemClock),
        |raw| {
            raw.carriers = RawCarriers {
                fedex: Some(RawCarrier {
                    webhook_secret: Some(FEDEX_SECRET.into()),
                }),
                secure_courier: Some(RawCarrier {
                    webhook_secret: Some(COURIER_SECRET.into()),
                }),
            };
        },
    )
    .await
}

/// A staff member with `role`, and their bearer token.
async fn staff(app: &TestApp, email: &str, role: &str) -> String {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, "Sophie Martin", role)
        .await
        .expect("member added");
    app.maison()
        .new_staff_token(&operator, email)
        .await
        .expect("token")
        .expose()
        .to_owned()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

fn cents(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').expect("two decimals");
    whole.parse::<i64>().expect("whole") * 100 + fraction.parse::<i64>().expect("cents")
}

/// An online creation without sizes nor personalisation whose price in
/// cents satisfies `price`, with stock.
async fn sku_priced(app: &TestApp, price: impl Fn(i64) -> bool) -> String {
    let product = app
        .product_where(|p| {
            common::is_online_and("available")(p)
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.is_empty())
                && p["variants"].as_array().is_some_and(|v| v.len() == 1)
                && p["price"]["amount"].as_str().map(cents).is_some_and(&price)
        })
        .await;
    let sku = product["sku"].as_str().expect("sku").to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 20)
        .await
        .expect("stock");
    sku
}

/// A card order of one `sku`, checked out by Claire Dubois with `delivery`;
/// returns the order.
async fn card_order(app: &TestApp, sku: &str, key: &str, delivery: Option<Value>) -> Value {
    let bag = app.bag_with(&[(sku, 1)]).await;
    let mut body = checkout_body(&bag);
    if let Some(delivery) = delivery {
        body["delivery"] = delivery;
    }
    let response = app.checkout(key, &body).await;
    let order = json_of(response, 201).await;
    assert_eq!(order["status"], "confirmed");
    order
}

async fn process(app: &TestApp, number: &str, token: &str) {
    let r = call(
        app,
        Method::POST,
        &format!("/api/v1/orders/{number}/process"),
        Some(token),
        None,
        None,
    )
    .await;
    assert_eq!(json_of(r, 200).await["status"], "processing");
}

async fn staff_order(app: &TestApp, number: &str, token: &str) -> Value {
    let r = call(
        app,
        Method::GET,
        &format!("/api/v1/orders/{number}"),
        Some(token),
        None,
        None,
    )
    .await;
    json_of(r, 200).await
}

fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Posts a carrier's event, signed with `secret` at `t` (None: unsigned).
async fn post_event(
    app: &TestApp,
    carrier: &str,
    body: &str,
    signed: Option<(&str, i64)>,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/api/v1/webhooks/carriers/{carrier}", app.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some((secret, t)) = signed {
        request = request.header(
            "Maison-Signature",
            signature::sign(secret.as_bytes(), t, body.as_bytes()),
        );
    }
    request.send().await.expect("sent")
}

fn carriers(app: &TestApp) -> CarrierSimulator {
    app.maison()
        .carriers()
        .simulator()
        .expect("simulated carriers")
        .clone()
}

/// The simulator's event of `kind` for a shipment, as its carrier posts it.
fn event(sim: &CarrierSimulator, tracking: &str, kind: TrackingEventKind) -> String {
    let date =
        (kind == TrackingEventKind::AppointmentConfirmed).then(|| jiff::civil::date(2031, 1, 14));
    sim.advance(tracking, kind, jiff::Timestamp::now(), date, None)
        .expect("the carrier takes the step")
}

/// The payment the processor holds for order `number`.
fn payment_of(app: &TestApp, number: &str) -> maison_payments::PaymentSnapshot {
    app.simulator
        .ledger_snapshot()
        .into_iter()
        .find(|p| p.reference == number)
        .expect("the order's payment")
}

async fn letters(app: &TestApp, number: &str) -> Vec<maison_store::outbox::OutboxMessage> {
    let order = app
        .store
        .order_by_number(number)
        .await
        .expect("read")
        .expect("order");
    app.store
        .messages_of_order(&order.id)
        .await
        .expect("letters")
}

on_both_databases! {
    async fn a_card_order_ships_with_fedex_its_payment_captured_and_is_followed_to_delivery(backend) {
        let app = spawn(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "order-1", None).await;
        let number = order["number"].as_str().expect("number").to_owned();
        let ship = format!("/api/v1/orders/{number}/shipments");

        // Only an order in processing ships.
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-0"), None).await;
        assert_problem(r, 409, "invalid_transition").await;
        process(&app, &number, &fulfilment).await;
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), None, None).await;
        assert_problem(r, 400, "idempotency_key_required").await;
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-1"), Some(json!({"carrier": "ups"}))).await;
        assert_eq!(assert_problem(r, 422, "invalid_carrier").await["field"], "carrier");
        assert_eq!(payment_of(&app, &number).state, PaymentState::Authorised, "nothing captured yet");

        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-1"), None).await;
        let shipment = json_of(r, 201).await;
        assert_eq!(shipment["carrier"], "fedex");
        assert_eq!(shipment["declared_value"], order["total"], "the full value is declared");
        assert_eq!(shipment["signature_required"], false);
        assert_eq!(shipment["status"], "label_created");
        let tracking = shipment["tracking_number"].as_str().expect("tracking").to_owned();
        assert_eq!(tracking.len(), 12);
        let keys: Vec<&str> = shipment.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{shipment}");

        // The same key answers the same shipment; another body under it is refused.
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-1"), None).await;
        assert_eq!(json_of(r, 201).await["id"], shipment["id"]);
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-1"), Some(json!({"signature_required": true}))).await;
        assert_problem(r, 422, "idempotency_key_reused").await;
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-2"), None).await;
        assert_problem(r, 409, "invalid_transition").await;

        // Captured once, for the total; the carrier holds the shipment.
        let payment = payment_of(&app, &number);
        assert_eq!(payment.state, PaymentState::Captured);
        assert_eq!(payment.captured.map(|m| m.amount_string()), order["total"]["amount"].as_str().map(str::to_owned));
        let staff_view = staff_order(&app, &number, &fulfilment).await;
        assert_eq!(staff_view["status"], "shipped");
        let captures: Vec<&Value> = staff_view["payment_operations"].as_array().expect("operations")
            .iter().filter(|o| o["operation"] == "capture").collect();
        assert_eq!(captures.len(), 1, "{staff_view}");
        assert_eq!(captures[0]["status"], "succeeded");
        let sim = carriers(&app);
        let held = sim.shipment(&tracking).expect("the carrier has it");
        assert_eq!(held.reference, number);
        assert_eq!(held.declared_value.amount_string(), order["total"]["amount"].as_str().expect("total"));
        assert!(!held.signature_required);

        // Every event, signed, over HTTP.
        let appointment = event(&sim, &tracking, TrackingEventKind::AppointmentConfirmed);
        let r = post_event(&app, "fedex", &appointment, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");
        let picked_up = event(&sim, &tracking, TrackingEventKind::PickedUp);
        let r = post_event(&app, "fedex", &picked_up, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");
        // The carrier's retry: applied once.
        let r = post_event(&app, "fedex", &picked_up, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "duplicate");

        let in_transit = event(&sim, &tracking, TrackingEventKind::InTransit);
        // A wrong secret, a signature over six minutes old, none at all, or
        // one for another carrier: refused, nothing recorded.
        let r = post_event(&app, "fedex", &in_transit, Some(("whsec_not_the_secret_000", unix_now()))).await;
        assert_problem(r, 400, "invalid_signature").await;
        let r = post_event(&app, "fedex", &in_transit, Some((FEDEX_SECRET, unix_now() - 360))).await;
        assert_problem(r, 400, "invalid_signature").await;
        let r = post_event(&app, "fedex", &in_transit, None).await;
        assert_problem(r, 400, "invalid_signature").await;
        let r = post_event(&app, "secure_courier", &in_transit, Some((FEDEX_SECRET, unix_now()))).await;
        assert_problem(r, 400, "invalid_signature").await;
        let r = post_event(&app, "ups", &in_transit, Some((FEDEX_SECRET, unix_now()))).await;
        assert_problem(r, 404, "carrier_not_found").await;
        let view = staff_order(&app, &number, &fulfilment).await;
        assert!(!view["timeline"].to_string().contains("In transit"), "nothing recorded: {view}");
        let r = post_event(&app, "fedex", &in_transit, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied", "the same event, properly signed");
        // Signed but not an event: refused by field.
        let bad = r#"{"id": "evt_x", "tracking_number": "1", "type": "lost", "occurred_at": "2030-01-01T00:00:00Z"}"#;
        let r = post_event(&app, "fedex", bad, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(assert_problem(r, 422, "invalid_event").await["field"], "type");
        let unknown = maison_carriers::event_body("evt_y", "000000000000", TrackingEventKind::InTransit, jiff::Timestamp::now(), None, None);
        let r = post_event(&app, "fedex", &unknown, Some((FEDEX_SECRET, unix_now()))).await;
        assert_problem(r, 404, "shipment_not_found").await;

        for kind in [TrackingEventKind::OutForDelivery, TrackingEventKind::Delivered] {
            let body = event(&sim, &tracking, kind);
            let r = post_event(&app, "fedex", &body, Some((FEDEX_SECRET, unix_now()))).await;
            assert_eq!(json_of(r, 200).await["status"], "applied");
        }
        // A late scan with a new id after delivery: answered 200 and kept for
        // staff (below), but neither on the client's timeline nor in their
        // mail: no "in transit" about a piece they already hold.
        let late = maison_carriers::event_body("evt_late_scan", &tracking, TrackingEventKind::InTransit, jiff::Timestamp::now(), None, None);
        let r = post_event(&app, "fedex", &late, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");

        let view = staff_order(&app, &number, &fulfilment).await;
        assert_eq!(view["status"], "delivered");
        let timeline = view["timeline"].as_array().expect("timeline");
        let notes: Vec<&str> = timeline.iter().filter_map(|e| e["note"].as_str()).collect();
        for expected in ["Shipped with FedEx", "January 14, 2031", "Picked up by FedEx", "In transit with FedEx", "Out for delivery", "Delivered"] {
            assert_eq!(notes.iter().filter(|n| n.contains(expected)).count(), 1, "{expected}: {notes:?}");
        }
        assert_eq!(timeline.last().expect("last")["status"], "delivered");
        assert_eq!(timeline.last().expect("last")["actor"], "system:carrier:fedex");

        // The client was told at each step, once, the appointment with its date.
        let sent = letters(&app, &number).await;
        for kind in ["order_shipped", "carrier_appointment_confirmed", "carrier_picked_up", "carrier_in_transit", "carrier_out_for_delivery", "carrier_delivered"] {
            let of_kind: Vec<_> = sent.iter().filter(|m| m.kind == kind).collect();
            assert_eq!(of_kind.len(), 1, "{kind}");
            assert_eq!(of_kind[0].recipient, "claire@example.com");
        }
        let appointment_letter = sent.iter().find(|m| m.kind == "carrier_appointment_confirmed").expect("letter");
        assert!(appointment_letter.text_body.contains("Tuesday, January 14, 2031"), "{}", appointment_letter.text_body);
        let held = app.store.shipment_by_tracking(None, &tracking).await.expect("read").expect("shipment");
        assert_eq!(held.status, maison_domain::fulfilment::ShipmentStatus::Delivered);
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let r = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}&limit=50"), Some(&admin), None, None).await;
        let audit = json_of(r, 200).await;
        let late_entry = audit["items"].as_array().expect("items").iter().find(|e| e["details"]["event"] == "evt_late_scan");
        assert_eq!(late_entry.expect("recorded for staff")["details"]["after_delivery"], true);

        // Then returned under the Conditions of Sale, and refunded to the card.
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let returns = format!("/api/v1/orders/{number}/returns");
        let ask = json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "The client prefers another piece."});
        let asked = json_of(call(&app, Method::POST, &returns, Some(&ambassador), None, Some(ask)).await, 201).await;
        assert_eq!(asked["status"], "requested");
        let id = asked["id"].as_str().expect("id").to_owned();
        let steps = [("authorise", &ambassador, None, "authorised"), ("receive", &fulfilment, Some(json!({"restock": true})), "received"), ("refund", &ambassador, None, "refunded")];
        for (step, token, body, status) in steps {
            let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/{step}"), Some(token), None, body).await;
            assert_eq!(json_of(r, 200).await["status"], status, "{step}");
        }
        let refunded = payment_of(&app, &number);
        assert_eq!(Some(refunded.refunded.amount_string()), order["total"]["amount"].as_str().map(str::to_owned), "the card is refunded the returned piece");
        app.stop().await;
    }

    async fn a_carrier_exception_is_on_the_timeline_and_told_to_the_client_without_changing_the_status(backend) {
        let app = spawn(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "exception-1", None).await;
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &fulfilment).await;
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/shipments"), Some(&fulfilment), Some("ship-x"), None).await;
        let tracking = json_of(r, 201).await["tracking_number"].as_str().expect("tracking").to_owned();
        let sim = carriers(&app);
        let picked_up = event(&sim, &tracking, TrackingEventKind::PickedUp);
        let r = post_event(&app, "fedex", &picked_up, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");

        let exception = sim
            .advance(&tracking, TrackingEventKind::Exception, jiff::Timestamp::now(), None, Some("Weather delay at the hub"))
            .expect("the carrier reports it");
        let r = post_event(&app, "fedex", &exception, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");
        let r = post_event(&app, "fedex", &exception, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "duplicate");

        // Still shipped; the delay is on the timeline, once, with its detail.
        let view = staff_order(&app, &number, &fulfilment).await;
        assert_eq!(view["status"], "shipped");
        let timeline = view["timeline"].as_array().expect("timeline");
        let delays: Vec<&Value> = timeline.iter().filter(|e| e["note"].as_str().is_some_and(|n| n.contains("reported a delay"))).collect();
        assert_eq!(delays.len(), 1, "{timeline:?}");
        assert_eq!(delays[0]["status"], "shipped");
        assert_eq!(delays[0]["actor"], "system:carrier:fedex");
        assert!(delays[0]["note"].as_str().expect("note").contains("Weather delay at the hub"));
        // The client is told, once.
        let sent = letters(&app, &number).await;
        let told: Vec<_> = sent.iter().filter(|m| m.kind == "carrier_exception").collect();
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].recipient, "claire@example.com");
        assert!(told[0].text_body.contains("Weather delay at the hub"), "{}", told[0].text_body);
        assert!(told[0].text_body.contains("Client Relations"), "{}", told[0].text_body);

        // The journey resumes to delivery.
        let delivered = event(&sim, &tracking, TrackingEventKind::Delivered);
        let r = post_event(&app, "fedex", &delivered, Some((FEDEX_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");
        assert_eq!(staff_order(&app, &number, &fulfilment).await["status"], "delivered");
        app.stop().await;
    }

    async fn a_boutique_order_is_made_ready_then_handed_over_against_an_identity_check(backend) {
        let app = spawn(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let boutiques = app.get_json("/api/v1/boutiques?pickup=true").await.1;
        let boutique = boutiques["items"][0].clone();
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "pickup-1", Some(json!({"method": "boutique", "boutique_id": boutique["id"]}))).await;
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &fulfilment).await;

        // A boutique order is not shipped.
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/shipments"), Some(&fulfilment), Some("ship-b"), None).await;
        assert_problem(r, 409, "invalid_transition").await;
        let collect = format!("/api/v1/orders/{number}/collect");
        let r = call(&app, Method::POST, &collect, Some(&fulfilment), None, Some(json!({"id_checked": true, "collected_by": "Claire Dubois"}))).await;
        assert_problem(r, 409, "invalid_transition").await;

        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/ready-for-pickup"), Some(&fulfilment), None, None).await;
        assert_eq!(json_of(r, 200).await["status"], "ready_for_pickup");
        let sent = letters(&app, &number).await;
        let ready = sent.iter().find(|m| m.kind == "ready_for_pickup").expect("the client is told");
        assert!(ready.text_body.contains(boutique["name"].as_str().expect("name")), "where: {}", ready.text_body);
        assert!(ready.text_body.contains("identity document"), "{}", ready.text_body);

        // Without the identity checked: refused, nothing captured.
        for body in [json!({"collected_by": "Claire Dubois"}), json!({"id_checked": false, "collected_by": "Claire Dubois"})] {
            let r = call(&app, Method::POST, &collect, Some(&fulfilment), None, Some(body)).await;
            assert_eq!(assert_problem(r, 422, "id_check_required").await["field"], "id_checked");
        }
        let r = call(&app, Method::POST, &collect, Some(&fulfilment), None, Some(json!({"id_checked": true, "collected_by": " "}))).await;
        assert_problem(r, 422, "invalid_collected_by").await;
        assert_eq!(payment_of(&app, &number).state, PaymentState::Authorised);
        assert_eq!(staff_order(&app, &number, &fulfilment).await["status"], "ready_for_pickup");

        let r = call(&app, Method::POST, &collect, Some(&fulfilment), None, Some(json!({"id_checked": true, "collected_by": "Claire Dubois"}))).await;
        let collected = json_of(r, 200).await;
        assert_eq!(collected["status"], "collected");
        assert_eq!(payment_of(&app, &number).state, PaymentState::Captured);
        assert!(collected["payment_operations"].as_array().expect("ops").iter().any(|o| o["operation"] == "capture" && o["status"] == "succeeded"));
        let r = call(&app, Method::POST, &collect, Some(&fulfilment), None, Some(json!({"id_checked": true, "collected_by": "Claire Dubois"}))).await;
        assert_problem(r, 409, "invalid_transition").await;
        assert!(letters(&app, &number).await.iter().any(|m| m.kind == "order_collected"));
        app.stop().await;
    }

    async fn over_the_threshold_only_the_secure_courier_ships_signed_for_and_insured_in_full(backend) {
        let app = spawn(backend).await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let sku = sku_priced(&app, |c| c > 3_000_000).await;
        let order = card_order(&app, &sku, "high-1", None).await;
        assert_eq!(order["carrier"], "secure_courier");
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &admin).await;
        let ship = format!("/api/v1/orders/{number}/shipments");

        let r = call(&app, Method::POST, &ship, Some(&admin), Some("high-fedex"), Some(json!({"carrier": "fedex"}))).await;
        assert_problem(r, 409, "carrier_not_allowed").await;
        let r = call(&app, Method::POST, &ship, Some(&admin), Some("high-unsigned"), Some(json!({"carrier": "secure_courier", "signature_required": false}))).await;
        assert_problem(r, 409, "signature_required").await;
        assert_eq!(staff_order(&app, &number, &admin).await["status"], "processing");
        assert_eq!(payment_of(&app, &number).state, PaymentState::Authorised);

        let r = call(&app, Method::POST, &ship, Some(&admin), Some("high-courier"), Some(json!({"carrier": "secure_courier"}))).await;
        let shipment = json_of(r, 201).await;
        assert_eq!(shipment["carrier"], "secure_courier");
        assert_eq!(shipment["signature_required"], true);
        assert_eq!(shipment["declared_value"], order["total"]);
        let tracking = shipment["tracking_number"].as_str().expect("tracking").to_owned();
        let held = carriers(&app).shipment(&tracking).expect("the courier has it");
        assert!(held.signature_required);
        assert_eq!(held.declared_value.amount_string(), order["total"]["amount"].as_str().expect("total"));
        assert_eq!(payment_of(&app, &number).state, PaymentState::Captured);

        // The courier's own webhook, signed with its secret (another
        // carrier's secret is refused).
        let appointment = event(&carriers(&app), &tracking, TrackingEventKind::AppointmentConfirmed);
        let r = post_event(&app, "secure_courier", &appointment, Some((FEDEX_SECRET, unix_now()))).await;
        assert_problem(r, 400, "invalid_signature").await;
        let r = post_event(&app, "secure_courier", &appointment, Some((COURIER_SECRET, unix_now()))).await;
        assert_eq!(json_of(r, 200).await["status"], "applied");
        let appointment_letter = letters(&app, &number).await.into_iter().find(|m| m.kind == "carrier_appointment_confirmed").expect("the client is told");
        assert!(appointment_letter.text_body.contains("A signature will be required"), "{}", appointment_letter.text_body);

        // The operator's command follows the demo order to the end, through
        // the webhook's own path (signed with the configured secret).
        let operator = Actor::System("cli");
        for kind in ["picked_up", "delivered"] {
            let receipt = app.maison().simulate_carrier_event(&operator, &tracking, kind, None, None).await.expect("applied");
            assert!(receipt.applied);
        }
        assert!(app.maison().simulate_carrier_event(&operator, &tracking, "teleported", None, None).await.is_err());
        assert_eq!(staff_order(&app, &number, &admin).await["status"], "delivered");
        app.stop().await;
    }

    async fn a_declined_capture_leaves_the_order_in_processing_flagged_for_client_relations(backend) {
        let app = spawn(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "declined-1", None).await;
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &fulfilment).await;
        // The hold is released behind the maison's back: the capture fails.
        let payment = payment_of(&app, &number);
        app.simulator.void("test-void", &payment.processor_ref).await.expect("voided");

        let ship = format!("/api/v1/orders/{number}/shipments");
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-d"), None).await;
        assert_problem(r, 409, "capture_declined").await;
        let view = staff_order(&app, &number, &fulfilment).await;
        assert_eq!(view["status"], "processing");
        assert!(view["timeline"].to_string().contains("Client Relations will contact you about the payment"), "{view}");
        assert!(view["payment_operations"].as_array().expect("ops").iter().any(|o| o["operation"] == "capture" && o["status"] == "declined"));
        let flagged = letters(&app, &number).await;
        assert!(flagged.iter().any(|m| m.kind == "capture_declined" && m.recipient.starts_with("clientrelations@")));
        let sim = carriers(&app);
        assert!(sim.shipments().iter().all(|s| s.cancelled), "the label was cancelled");
        // The same key answers the same refusal.
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-d"), None).await;
        assert_problem(r, 409, "capture_declined").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let r = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), Some(&admin), None, None).await;
        let audit = json_of(r, 200).await;
        assert!(audit.to_string().contains("order.capture_declined"), "{audit}");
        app.stop().await;
    }

    async fn a_capture_the_processor_did_not_answer_is_settled_by_recovery_once(backend) {
        let app = spawn(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "doubt-1", None).await;
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &fulfilment).await;
        // The processor captures, and neither its answer nor the check arrives.
        app.simulator.fail_next(maison_payments::FailureMode::TimeoutAfterProcessing, 1);
        app.simulator.fail_next(maison_payments::FailureMode::Unavailable, 1);
        let ship = format!("/api/v1/orders/{number}/shipments");
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-doubt"), None).await;
        assert_problem(r, 503, "payment_in_doubt").await;
        assert_eq!(payment_of(&app, &number).state, PaymentState::Captured, "the processor did capture");
        let found = app.maison().reconcile().await.expect("reconciled");
        assert!(
            found.mismatches.iter().any(|m| matches!(m, maison_app::reconcile::Mismatch::InDoubt { operation, .. } if operation == "capture")),
            "{:?}", found.mismatches
        );
        // Recovery asks again under the same key: recorded, not captured twice.
        assert_eq!(app.maison().resend_pending_captures_and_refunds(0).await.expect("recovery"), 1);
        assert!(app.maison().reconcile().await.expect("reconciled").mismatches.is_empty());
        let view = staff_order(&app, &number, &fulfilment).await;
        let captures: Vec<&Value> = view["payment_operations"].as_array().expect("ops").iter().filter(|o| o["operation"] == "capture").collect();
        assert_eq!(captures.len(), 1, "{view}");
        assert_eq!(captures[0]["status"], "succeeded");
        // The shipment then goes ahead without a second capture, from a
        // fresh page (a new key) as well as by a retry.
        let r = call(&app, Method::POST, &ship, Some(&fulfilment), Some("ship-doubt-2"), None).await;
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap_or_default());
        let payment = payment_of(&app, &number);
        assert_eq!(payment.captured, Some(payment.authorised));
        app.stop().await;
    }

    async fn only_fulfilment_and_administrators_ship_and_hand_over(backend) {
        let app = spawn(backend).await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let advisor = staff(&app, "advisor@maison.example", "prestige_advisor").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let order = card_order(&app, &sku, "roles-1", None).await;
        let number = order["number"].as_str().expect("number").to_owned();
        process(&app, &number, &fulfilment).await;
        for path in ["shipments", "ready-for-pickup", "collect"] {
            let path = format!("/api/v1/orders/{number}/{path}");
            let body = Some(json!({"id_checked": true, "collected_by": "Claire Dubois"}));
            let body = if path.ends_with("collect") { body } else { None };
            let r = call(&app, Method::POST, &path, None, Some("roles-key"), body.clone()).await;
            assert_problem(r, 401, "unauthenticated").await;
            let r = call(&app, Method::POST, &path, Some("not-a-token"), Some("roles-key"), body.clone()).await;
            assert_problem(r, 401, "unauthenticated").await;
            for token in [&ambassador, &advisor, &client] {
                let r = call(&app, Method::POST, &path, Some(token), Some("roles-key"), body.clone()).await;
                assert_problem(r, 403, "forbidden").await;
            }
        }
        assert_eq!(staff_order(&app, &number, &fulfilment).await["status"], "processing");
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/shipments"), Some(&fulfilment), Some("roles-key"), None).await;
        assert_eq!(json_of(r, 201).await["carrier"], "fedex");
        // The webhook needs no token, only its signature.
        let r = post_event(&app, "fedex", "{}", None).await;
        assert_problem(r, 400, "invalid_signature").await;
        app.stop().await;
    }
}

#[tokio::test]
async fn a_maison_without_a_carrier_secret_refuses_its_webhooks() {
    let app = common::spawn_app(maison_testkit::Backend::Sqlite).await;
    let body = maison_carriers::event_body(
        "evt_1",
        "794600000001",
        TrackingEventKind::Delivered,
        jiff::Timestamp::now(),
        None,
        None,
    );
    for secret in [FEDEX_SECRET, ""] {
        let r = post_event(&app, "fedex", &body, Some((secret, unix_now()))).await;
        assert_problem(r, 400, "invalid_signature").await;
    }
    app.stop().await;
}

on_both_databases! {
    async fn authorisations_that_would_lapse_before_capture_are_renewed_or_flagged(backend) {
        let clock = Arc::new(maison_app::clock::FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_configured(backend, RawMail::default(), clock.clone(), |_| {}).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let sku = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let first = card_order(&app, &sku, "renew-a", None).await;
        clock.advance(1_000_000);
        let second = card_order(&app, &sku, "renew-b", None).await;
        clock.advance(1_000_000);
        let a = first["number"].as_str().expect("number").to_owned();
        let b = second["number"].as_str().expect("number").to_owned();
        process(&app, &a, &fulfilment).await;

        // Fresh holds are left alone.
        assert_eq!(app.maison().renew_authorisations().await.expect("ran"), 0);
        // Six days and an hour later, both would lapse within a day: the
        // first taken (order b) is refused by the bank, a is renewed.
        clock.advance(6 * 86_400_000_000 + 3_600_000_000);
        app.simulator.decline_next_token_authorisations(maison_payments::DeclineReason::Generic, 1);
        assert_eq!(app.maison().renew_authorisations().await.expect("ran"), 2);
        assert_eq!(app.maison().renew_authorisations().await.expect("ran again"), 0, "never renewed twice");

        let view = staff_order(&app, &a, &admin).await;
        let ops = view["payment_operations"].as_array().expect("ops");
        assert!(ops.iter().any(|o| o["operation"] == "reauthorise" && o["status"] == "succeeded"), "{view}");
        assert!(ops.iter().any(|o| o["operation"] == "void" && o["status"] == "succeeded"), "{view}");
        let holds: Vec<_> = app.simulator.ledger_snapshot().into_iter().filter(|p| p.reference == a).collect();
        assert_eq!(holds.len(), 2);
        assert_eq!(holds[0].state, PaymentState::Voided, "the former hold is released");
        assert_eq!(holds[1].state, PaymentState::Authorised);

        let view = staff_order(&app, &b, &admin).await;
        assert!(view["payment_operations"].as_array().expect("ops").iter().any(|o| o["operation"] == "reauthorise" && o["status"] == "declined"), "{view}");
        assert!(letters(&app, &b).await.iter().any(|m| m.kind == "authorisation_not_renewed" && m.recipient.starts_with("clientrelations@")));
        let r = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{b}"), Some(&admin), None, None).await;
        assert!(json_of(r, 200).await.to_string().contains("order.authorisation_not_renewed"));

        // Shipping a captures the renewed hold.
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{a}/shipments"), Some(&fulfilment), Some("renew-ship"), None).await;
        json_of(r, 201).await;
        let holds: Vec<_> = app.simulator.ledger_snapshot().into_iter().filter(|p| p.reference == a).collect();
        assert_eq!(holds[1].state, PaymentState::Captured);
        app.stop().await;
    }
}
