//! Returns over real HTTP, on SQLite and PostgreSQL (issue 11): the full card
//! order path — checkout, processing, shipping (captured), delivery — ends
//! with a return asked for by the client, authorised, received (restocked)
//! and refunded to the card; a personalised line is final sale; the window
//! closes after 30 days (the maison's clock moved); an order not delivered
//! cannot be returned; who may do what; a wire order's refund recorded with
//! its reference.

mod common;

use std::sync::Arc;

use common::{TestApp, assert_problem, call, deliver, order_as, plain_sku, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::FixedClock;
use maison_payments::PaymentState;
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

const DAY: i64 = 86_400 * 1_000_000;

async fn start(backend: maison_testkit::Backend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
    let app = spawn_app_at(backend, clock.clone()).await;
    (app, clock)
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

fn returns_path(number: &str) -> String {
    format!("/api/v1/orders/{number}/returns")
}

on_both_databases! {
    async fn a_delivered_card_order_is_returned_received_restocked_and_refunded_to_the_card(backend) {
        let (app, _clock) = start(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let advisor = staff(&app, "advisor@maison.example", "prestige_advisor").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        let other = app.client("Anne", "Martin", "anne@example.com").await;
        let sku = plain_sku(&app).await;
        let order = order_as(&app, &client, &sku, "order-1").await;
        let number = order["number"].as_str().expect("number").to_owned();
        assert_eq!(order["lines"][0]["line_id"], "1", "{order}");
        let request = json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "The bracelet is too large."});

        // Not delivered yet: refused by the lifecycle.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(request.clone())).await;
        assert_problem(r, 409, "invalid_transition").await;
        deliver(&app, &number, &fulfilment).await;
        let on_hand = app.store.on_hand(&sku).await.expect("stock");

        // No one, another client, fulfilment: refused.
        let r = call(&app, Method::POST, &returns_path(&number), None, None, Some(request.clone())).await;
        assert_problem(r, 401, "unauthenticated").await;
        let r = call(&app, Method::POST, &returns_path(&number), Some(&other), None, Some(request.clone())).await;
        assert_problem(r, 404, "order_not_found").await;
        let r = call(&app, Method::POST, &returns_path(&number), Some(&fulfilment), None, Some(request.clone())).await;
        assert_problem(r, 403, "forbidden").await;
        // More than bought, a line that is not the order's.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(json!({"lines": [{"line_id": "1", "quantity": 2}], "reason": "x"}))).await;
        assert_eq!(assert_problem(r, 422, "invalid_quantity").await["field"], "lines");
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(json!({"lines": [{"line_id": "7", "quantity": 1}], "reason": "x"}))).await;
        assert_problem(r, 422, "invalid_line_id").await;

        // The client asks.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(request.clone())).await;
        let asked = json_of(r, 201).await;
        assert_eq!(asked["status"], "requested");
        assert_eq!(asked["amount"], order["lines"][0]["line_total"]);
        let id = asked["id"].as_str().expect("id").to_owned();
        // Already in a return: not twice.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(request.clone())).await;
        assert_problem(r, 422, "invalid_quantity").await;
        // The client and staff read it; another client does not.
        let r = call(&app, Method::GET, &returns_path(&number), Some(&client), None, None).await;
        assert_eq!(json_of(r, 200).await[0]["id"], id.as_str());
        let r = call(&app, Method::GET, &returns_path(&number), Some(&fulfilment), None, None).await;
        assert_eq!(json_of(r, 200).await.as_array().expect("list").len(), 1);
        let r = call(&app, Method::GET, &returns_path(&number), Some(&other), None, None).await;
        assert_problem(r, 404, "order_not_found").await;

        // Who may move it.
        let authorise = format!("/api/v1/returns/{id}/authorise");
        let r = call(&app, Method::POST, &authorise, None, None, None).await;
        assert_problem(r, 401, "unauthenticated").await;
        let r = call(&app, Method::POST, &authorise, Some(&client), None, None).await;
        assert_problem(r, 403, "forbidden").await;
        let r = call(&app, Method::POST, &authorise, Some(&fulfilment), None, None).await;
        assert_problem(r, 403, "forbidden").await;
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/receive"), Some(&fulfilment), None, Some(json!({"restock": true}))).await;
        assert_problem(r, 409, "invalid_transition").await;
        let r = call(&app, Method::POST, "/api/v1/returns/nope/authorise", Some(&ambassador), None, None).await;
        assert_problem(r, 404, "return_not_found").await;

        let r = call(&app, Method::POST, &authorise, Some(&ambassador), None, None).await;
        assert_eq!(json_of(r, 200).await["status"], "authorised");
        let r = call(&app, Method::POST, &authorise, Some(&ambassador), None, None).await;
        assert_eq!(json_of(r, 200).await["status"], "authorised", "again: unchanged");
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/refund"), Some(&advisor), None, None).await;
        assert_problem(r, 409, "invalid_transition").await;
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/receive"), Some(&client), None, Some(json!({"restock": true}))).await;
        assert_problem(r, 403, "forbidden").await;
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/receive"), Some(&fulfilment), None, Some(json!({"restock": true}))).await;
        let received = json_of(r, 200).await;
        assert_eq!(received["status"], "received");
        assert_eq!(received["restocked"], true);
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), on_hand + 1, "back in stock");

        // Refunded to the card, once.
        let refund = format!("/api/v1/returns/{id}/refund");
        let r = call(&app, Method::POST, &refund, Some(&fulfilment), None, None).await;
        assert_problem(r, 403, "forbidden").await;
        // The processor does not answer: nothing refunded yet, and the retry
        // sends the same refund (one operation, one idempotency key).
        app.simulator
            .fail_next(maison_payments::FailureMode::Unavailable, 1);
        let r = call(&app, Method::POST, &refund, Some(&advisor), None, None).await;
        assert_eq!(r.status().as_u16(), 503);
        let r = call(&app, Method::POST, &refund, Some(&advisor), None, None).await;
        let refunded = json_of(r, 200).await;
        assert_eq!(refunded["status"], "refunded");
        assert_eq!(refunded["refund_method"], "card");
        let r = call(&app, Method::POST, &refund, Some(&advisor), None, None).await;
        assert_eq!(json_of(r, 200).await["status"], "refunded", "a retry refunds nothing more");
        let payment = app.simulator.ledger_snapshot().into_iter().find(|p| p.reference == number).expect("payment");
        let payment = app.simulator.payment(&payment.processor_ref).expect("the processor's payment");
        assert_eq!(payment.refunded.amount_string(), order["lines"][0]["line_total"]["amount"].as_str().expect("amount"));
        assert_eq!(payment.state, PaymentState::Captured);
        let r = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), Some(&ambassador), None, None).await;
        let view = json_of(r, 200).await;
        let refunds: Vec<&Value> = view["payment_operations"].as_array().expect("operations").iter().filter(|o| o["operation"] == "refund").collect();
        assert_eq!(refunds.len(), 1, "{view}");
        assert_eq!(refunds[0]["status"], "succeeded");

        // On the timeline, in the audit log, and the client told each time.
        let notes: Vec<String> = view["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["note"].as_str().map(str::to_owned)).collect();
        for expected in ["Return requested", "Return authorised", "Returned creations received", "Refunded"] {
            assert_eq!(notes.iter().filter(|n| n.starts_with(expected)).count(), 1, "{expected}: {notes:?}");
        }
        let r = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}&limit=50"), Some(&staff(&app, "admin@maison.example", "admin").await), None, None).await;
        let audit = json_of(r, 200).await.to_string();
        for action in ["return.request", "return.authorise", "return.receive", "return.refund"] {
            assert!(audit.contains(action), "{action}: {audit}");
        }
        let sent = letters(&app, &number).await;
        for kind in ["return_requested", "return_authorised", "return_received", "return_refunded"] {
            let of_kind: Vec<_> = sent.iter().filter(|m| m.kind == kind).collect();
            assert_eq!(of_kind.len(), 1, "{kind}");
            assert_eq!(of_kind[0].recipient, "claire@example.com");
        }
        app.stop().await;
    }

    async fn personalised_lines_are_final_sale_and_the_window_closes_after_thirty_days(backend) {
        let (app, clock) = start(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;

        // A personalised creation: final sale, whenever asked.
        let engraved = app.product_where(|p| {
            p["sale_mode"] == "online" && p["availability"] == "available"
                && p["variants"].as_array().is_some_and(|v| v.len() == 1)
                && p["personalisation"].as_array().is_some_and(|a| a.iter().any(|o| o["kind"] == "engraving"))
        }).await;
        let sku = engraved["sku"].as_str().expect("sku").to_owned();
        app.store.set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 5).await.expect("stock");
        let bag = app.bag_with(&[]).await;
        let r = app.post_json(&format!("/api/v1/bags/{bag}/lines"), &json!({"sku": sku, "personalisation": {"kind": "engraving", "text": "For ever"}})).await;
        assert_eq!(r.status(), 200);
        let mut body = common::checkout_body(&bag);
        body["accept_final_sale"] = json!(true);
        let personalised = json_of(app.checkout("engraved", &body).await, 201).await;
        let number = personalised["number"].as_str().expect("number").to_owned();
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "Changed her mind."}))).await;
        assert_eq!(assert_problem(r, 409, "final_sale").await["field"], "lines");

        // A plain one, delivered: returnable for 30 days, not a day more.
        let sku = plain_sku(&app).await;
        let order = order_as(&app, &client, &sku, "order-2").await;
        let number = order["number"].as_str().expect("number").to_owned();
        deliver(&app, &number, &fulfilment).await;
        clock.advance(31 * DAY);
        // The client signs in again (a month later, the session has lapsed).
        let r = app.sign_in("claire@example.com", common::PASSWORD).await;
        let client = json_of(r, 201).await["token"].as_str().expect("token").to_owned();
        let request = json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "Too late."});
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(request.clone())).await;
        let body = assert_problem(r, 409, "return_window_closed").await;
        assert!(body["detail"].as_str().expect("detail").contains("30 days"), "{body}");
        clock.advance(-2 * DAY);
        let r = call(&app, Method::POST, &returns_path(&number), Some(&client), None, Some(request.clone())).await;
        let asked = json_of(r, 201).await;
        // Rejected with a reason: its lines may be asked for again.
        let id = asked["id"].as_str().expect("id");
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/reject"), Some(&ambassador), None, Some(json!({"reason": "The piece was worn."}))).await;
        let rejected = json_of(r, 200).await;
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(rejected["rejection_reason"], "The piece was worn.");
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/authorise"), Some(&ambassador), None, None).await;
        assert_problem(r, 409, "invalid_transition").await;
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(request)).await;
        assert_eq!(json_of(r, 201).await["status"], "requested", "Client Relations ask for the client");
        assert!(letters(&app, &number).await.iter().any(|m| m.kind == "return_rejected"));
        app.stop().await;
    }

    async fn a_collected_order_is_returnable_for_thirty_days_from_its_collection(backend) {
        let (app, clock) = start(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let boutiques = app.get_json("/api/v1/boutiques?pickup=true").await.1;
        let sku = plain_sku(&app).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = common::checkout_body(&bag);
        body["delivery"] = json!({"method": "boutique", "boutique_id": boutiques["items"][0]["id"]});
        let order = json_of(app.checkout("pickup-return", &body).await, 201).await;
        let number = order["number"].as_str().expect("number").to_owned();
        let request = json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "The ring is too small."});
        for step in ["process", "ready-for-pickup"] {
            let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/{step}"), Some(&fulfilment), None, None).await;
            json_of(r, 200).await;
        }
        // Waiting at the boutique is not yet in the client's hands.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(request.clone())).await;
        assert_problem(r, 409, "invalid_transition").await;

        // Collected ten days after the order: the window runs from then.
        clock.advance(10 * DAY);
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/collect"), Some(&fulfilment), None,
            Some(json!({"id_checked": true, "collected_by": "Claire Dubois"}))).await;
        assert_eq!(json_of(r, 200).await["status"], "collected");
        clock.advance(31 * DAY);
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(request.clone())).await;
        assert_problem(r, 409, "return_window_closed").await;
        // 29 days after the collection (39 after the order): still open.
        clock.advance(-2 * DAY);
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(request)).await;
        assert_eq!(json_of(r, 201).await["status"], "requested");
        app.stop().await;
    }

    async fn a_wire_order_is_refunded_by_transfer_with_its_reference(backend) {
        let (app, _clock) = start(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let sku = plain_sku(&app).await;
        let body = json!({
            "channel": "telephone",
            "client": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
            "lines": [{"sku": sku, "quantity": 2}],
            "delivery": {"method": "home", "address": {
                "line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
            "payment": {"method": "wire"},
            "documents": {"channel": "email"},
        });
        let r = call(&app, Method::POST, "/api/v1/assisted-orders", Some(&ambassador), Some("wire-1"), Some(body)).await;
        let order = json_of(r, 201).await;
        let number = order["number"].as_str().expect("number").to_owned();
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{number}/receipts"), Some(&ambassador), None,
            Some(json!({"method": "wire", "amount": order["total"], "reference": "FW 2026-1201-A"}))).await;
        json_of(r, 201).await;
        deliver(&app, &number, &fulfilment).await;

        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "One of the two is enough."}))).await;
        let asked = json_of(r, 201).await;
        let id = asked["id"].as_str().expect("id").to_owned();
        assert_eq!(asked["amount"], order["lines"][0]["unit_price"]);
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/authorise"), Some(&ambassador), None, None).await;
        json_of(r, 200).await;
        let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/receive"), Some(&fulfilment), None, Some(json!({"restock": false}))).await;
        assert_eq!(json_of(r, 200).await["restocked"], false);
        let refund = format!("/api/v1/returns/{id}/refund");
        let r = call(&app, Method::POST, &refund, Some(&ambassador), None, None).await;
        assert_eq!(assert_problem(r, 422, "invalid_reference").await["field"], "reference");
        let r = call(&app, Method::POST, &refund, Some(&ambassador), None, Some(json!({"reference": "RF 2026-1215-B"}))).await;
        let refunded = json_of(r, 200).await;
        assert_eq!(refunded["status"], "refunded");
        assert_eq!(refunded["refund_method"], "wire");
        assert_eq!(refunded["refund_reference"], "RF 2026-1215-B");
        // One more is still returnable; two more are not.
        let r = call(&app, Method::POST, &returns_path(&number), Some(&ambassador), None, Some(json!({"lines": [{"line_id": "1", "quantity": 2}], "reason": "Both."}))).await;
        assert_problem(r, 422, "invalid_quantity").await;
        app.stop().await;
    }

    async fn the_order_page_offers_the_return_where_allowed_and_says_why_not(backend) {
        let (app, clock) = start(backend).await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        let sku = plain_sku(&app).await;
        let order = order_as(&app, &client, &sku, "order-3").await;
        let number = order["number"].as_str().expect("number").to_owned();
        let page_path = format!("/account/orders/{number}");
        let page = |token: String| {
            let app = &app;
            let path = page_path.clone();
            async move {
                let r = app.with_token(Method::GET, &path, &token).send().await.expect("sent");
                assert_eq!(r.status(), 200);
                r.text().await.expect("html")
            }
        };
        let html = page(client.clone()).await;
        assert!(html.contains("Once delivered or collected, creations may be returned within 30 days"), "{html}");
        assert!(!html.contains("data-testid=\"request-return\""));

        deliver(&app, &number, &fulfilment).await;
        let html = page(client.clone()).await;
        assert!(html.contains("data-testid=\"request-return\""), "{html}");
        assert!(html.contains("name=\"line_id\" value=\"1\""), "{html}");
        // Refused: shown beside the form, nothing recorded.
        let form = format!("/account/orders/{number}/returns");
        let r = app.with_token(Method::POST, &form, &client)
            .form(&[("line_id", "1"), ("quantity", "3"), ("reason", "Too large.")]).send().await.expect("sent");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("html").contains("data-testid=\"return-error\""));
        // Asked: post, redirect, get.
        let r = app.http.post(format!("{}{form}", app.url)).bearer_auth(&client)
            .form(&[("line_id", "1"), ("quantity", "1"), ("reason", "Too large.")]).send().await.expect("sent");
        assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
        let html = page(client.clone()).await;
        assert!(html.contains("Return asked on"), "{html}");
        assert!(html.contains("already in a return"), "{html}");
        assert!(!html.contains("data-testid=\"request-return\""));

        // A month later: the window is closed, and the page says so.
        clock.advance(31 * DAY);
        let r = app.sign_in("claire@example.com", common::PASSWORD).await;
        let client = json_of(r, 201).await["token"].as_str().expect("token").to_owned();
        let html = page(client).await;
        assert!(html.contains("The return window closed on"), "{html}");
        // The console's page is the staff's: without a session, sign in.
        let r = app.http.get(format!("{}/console/returns", app.url)).send().await.expect("sent");
        assert!(r.url().path().starts_with("/console/sign-in") || r.status().is_redirection(), "{}", r.url());
        app.stop().await;
    }
}
