//! Client Relations' orders over real HTTP, on SQLite and PostgreSQL: an
//! assisted order by telephone paid by wire in two receipts, cash over the
//! reporting threshold, card orders taken by telephone, every refusal, each
//! role, the order's documents and the outbox.

mod common;

use common::{TestApp, assert_problem, plain_sku, spawn_app};
use maison_app::actor::Actor;
use maison_domain::order::OrderStatus;
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

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

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.with_token(method, path, token);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A telephone order for Claire Dubois, home delivery in New York.
fn order_body(lines: Value, payment: Value, documents: Value) -> Value {
    json!({
        "channel": "telephone",
        "client": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
        "lines": lines,
        "delivery": {"method": "home", "address": {
            "line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
        "payment": payment,
        "documents": documents,
    })
}

fn amount(value: &Value) -> String {
    value["amount"].as_str().expect("amount").to_owned()
}

fn cents(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').expect("two decimals");
    whole.parse::<i64>().expect("whole") * 100 + fraction.parse::<i64>().expect("cents")
}

fn money(minor: i64) -> Value {
    json!({"amount": format!("{}.{:02}", minor / 100, minor % 100), "currency": "USD"})
}

/// A creation sold one way (`phone_only`, `price_on_request`), with stock.
async fn sku_sold(app: &TestApp, sale_mode: &str) -> String {
    let product = app
        .product_where(|p| {
            p["sale_mode"] == sale_mode && p["variants"].as_array().is_some_and(|v| v.len() == 1)
        })
        .await;
    let sku = product["variants"][0]["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 20)
        .await
        .expect("stock");
    sku
}

/// An available creation between 2,100 and 5,999 dollars: five of them pass
/// the cash reporting threshold, below the secure courier's.
async fn sku_for_cash(app: &TestApp) -> String {
    let product = app
        .product_where(|p| {
            common::is_online_and("available")(p)
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.is_empty())
                && p["variants"].as_array().is_some_and(|v| v.len() == 1)
                && p["price"]["amount"]
                    .as_str()
                    .map(cents)
                    .is_some_and(|c| (210_000..600_000).contains(&c))
        })
        .await;
    let sku = product["sku"].as_str().expect("sku").to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 20)
        .await
        .expect("stock");
    sku
}

async fn on_hand(app: &TestApp, sku: &str) -> u32 {
    app.store.on_hand(sku).await.expect("stock read")
}

on_both_databases! {
    async fn a_telephone_order_by_wire_waits_for_two_receipts_then_is_confirmed(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let before = on_hand(&app, &sku).await;
        let body = order_body(json!([{"sku": sku, "quantity": 2}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("wire-1"), Some(body.clone())).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "placed");
        // Placed by the lifecycle, with the client's note.
        let placed = order["timeline"].as_array().and_then(|t| t.last()).expect("an event");
        assert_eq!(placed["status"], "placed", "{order}");
        assert!(placed["note"].as_str().is_some_and(|n| n.contains("until your wire transfer is received")), "{order}");
        assert_eq!(order["channel"], "telephone");
        assert_eq!(order["payment"]["method"], "wire");
        assert_eq!(order["payment"]["amount_due"], order["total"]);
        assert_eq!(amount(&order["payment"]["amount_received"]), "0.00");
        assert_eq!(on_hand(&app, &sku).await, before - 2, "the stock is reserved until paid or cancelled");
        let number = order["number"].as_str().expect("number").to_owned();
        // The same key answers the same order; nothing is reserved twice.
        let (status, again) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("wire-1"), Some(body)).await;
        assert_eq!(status, 201, "{again}");
        assert_eq!(again["number"], number.as_str());
        assert_eq!(on_hand(&app, &sku).await, before - 2);
        // Acknowledged by e-mail at once.
        let (status, docs) = call(&app, Method::GET, &format!("/api/v1/orders/{number}/documents"), &ambassador, None, None).await;
        assert_eq!(status, 200, "{docs}");
        let items = docs["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{docs}");
        assert_eq!(items[0]["kind"], "acknowledgement");
        assert_eq!(items[0]["channel"], "email");
        assert_eq!(items[0]["to"], "claire@example.com");
        assert!(["queued", "sent"].contains(&items[0]["status"].as_str().expect("status")));

        let total = cents(&amount(&order["total"]));
        let first = total / 3;
        let path = format!("/api/v1/orders/{number}/receipts");
        let (status, receipt) = call(&app, Method::POST, &path, &ambassador, None, Some(json!({"method": "wire", "amount": money(first), "reference": "FW 2026-1201-A"}))).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["order"]["status"], "placed", "partly paid");
        assert_eq!(cents(&amount(&receipt["order"]["payment"]["amount_received"])), first);
        assert_eq!(receipt["recorded_by"], "sophie@maison.example");
        // The same transfer again (any case or spacing), or more than is owed.
        let response = app.with_token(Method::POST, &path, &ambassador).json(&json!({"method": "wire", "amount": money(1), "reference": "fw20261201a"})).send().await.expect("sent");
        assert_problem(response, 409, "duplicate_reference").await;
        let response = app.with_token(Method::POST, &path, &ambassador).json(&json!({"method": "wire", "amount": money(total - first + 1), "reference": "FW-B"})).send().await.expect("sent");
        assert_problem(response, 409, "receipt_exceeds_balance").await;
        let response = app.with_token(Method::POST, &path, &ambassador).json(&json!({"method": "wire", "amount": money(0), "reference": "FW-Z"})).send().await.expect("sent");
        assert_problem(response, 422, "invalid_amount").await;
        // The rest confirms the order and sends its confirmation.
        let (status, receipt) = call(&app, Method::POST, &path, &ambassador, None, Some(json!({"method": "wire", "amount": money(total - first), "reference": "FW-B"}))).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["order"]["status"], "confirmed");
        assert_eq!(receipt["order"]["payment"]["amount_received"], receipt["order"]["payment"]["amount_due"]);
        let (_, docs) = call(&app, Method::GET, &format!("/api/v1/orders/{number}/documents"), &ambassador, None, None).await;
        let kinds: Vec<&str> = docs["items"].as_array().expect("items").iter().map(|d| d["kind"].as_str().expect("kind")).collect();
        assert_eq!(kinds, ["acknowledgement", "confirmation"]);
        // Paid: no more receipts.
        let response = app.with_token(Method::POST, &path, &ambassador).json(&json!({"method": "wire", "amount": money(1), "reference": "FW-C"})).send().await.expect("sent");
        assert_problem(response, 409, "invalid_transition").await;
        // The staff's view names who took the order; the audit log has each step.
        let (_, staff_view) = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), &admin, None, None).await;
        assert_eq!(staff_view["channel"], "telephone");
        assert_eq!(staff_view["timeline"][0]["actor"], "staff:sophie@maison.example");
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &admin, None, None).await;
        let actions: Vec<&str> = audit["items"].as_array().expect("items").iter().map(|e| e["action"].as_str().expect("action")).collect();
        assert_eq!(actions.iter().filter(|a| **a == "order.receipt").count(), 2, "{audit}");
        assert!(actions.contains(&"order.place_assisted"), "{audit}");
        // The client reads it as any order, without the staff's internal step.
        let (status, lookup) = {
            let r = app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "claire@example.com"})).await;
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        };
        assert_eq!(status, 200, "{lookup}");
        assert_eq!(lookup["status"], "confirmed");
        assert!(!lookup.to_string().contains("sophie"), "{lookup}");
        app.stop().await;
    }

    async fn assisted_orders_refuse_what_the_rules_refuse_and_each_role_is_checked(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let advisor = staff(&app, "advisor@maison.example", "prestige_advisor").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let wire = order_body(json!([{"sku": sku, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "email"}));
        // No token, a client, a role that does not place orders.
        let r = app.http.post(format!("{}/api/v1/assisted-orders", app.url)).header("Idempotency-Key", "k").json(&wire).send().await.expect("sent");
        assert_problem(r, 401, "unauthenticated").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &client).header("Idempotency-Key", "k").json(&wire).send().await.expect("sent");
        assert_problem(r, 403, "forbidden").await;
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &fulfilment).header("Idempotency-Key", "k").json(&wire).send().await.expect("sent");
        assert_problem(r, 403, "forbidden").await;
        // Without a key.
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador).json(&wire).send().await.expect("sent");
        assert_problem(r, 400, "idempotency_key_required").await;
        // Six creations need a reason; with one, the order holds them.
        let six = order_body(json!([{"sku": sku, "quantity": 6}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador).header("Idempotency-Key", "six").json(&six).send().await.expect("sent");
        assert_problem(r, 409, "order_item_limit").await;
        let mut reasoned = six.clone();
        reasoned["limit_override_reason"] = json!("Wedding party: six matching bands, approved by the boutique director.");
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &advisor, Some("six"), Some(reasoned)).await;
        assert_eq!(status, 201, "{order}");
        let number = order["number"].as_str().expect("number");
        let (_, staff_view) = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), &admin, None, None).await;
        assert!(staff_view["timeline"][0]["note"].as_str().expect("note").contains("Wedding party"), "{staff_view}");
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &admin, None, None).await;
        assert!(audit.to_string().contains("Wedding party"), "{audit}");
        // A fax number outside North America; an unknown documents channel.
        let fax = order_body(json!([{"sku": sku, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "fax", "fax_number": "+44 20 7946 0000"}));
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador).header("Idempotency-Key", "fax").json(&fax).send().await.expect("sent");
        let problem = assert_problem(r, 422, "invalid_fax_number").await;
        assert_eq!(problem["field"], "documents.fax_number");
        // Priced on request: only through a quote. Phone-only: by telephone.
        let por = sku_sold(&app, "price_on_request").await;
        let body = order_body(json!([{"sku": por, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador).header("Idempotency-Key", "por").json(&body).send().await.expect("sent");
        assert_problem(r, 409, "price_on_request").await;
        let phone_only = sku_sold(&app, "phone_only").await;
        let body = order_body(json!([{"sku": phone_only, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("phone"), Some(body)).await;
        assert_eq!(status, 201, "a phone-only creation is sold by telephone: {order}");
        // A card: it must be the client's, and is authorised at once.
        let card = |holder: &str| json!({"method": "card", "card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "917", "holder_name": holder}});
        let body = order_body(json!([{"sku": sku, "quantity": 1}]), card("JEAN MARTIN"), json!({"channel": "email"}));
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador).header("Idempotency-Key", "card-x").json(&body).send().await.expect("sent");
        assert_problem(r, 422, "cardholder_mismatch").await;
        let body = order_body(json!([{"sku": sku, "quantity": 1}]), card("CLAIRE DUBOIS"), json!({"channel": "email"}));
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("card"), Some(body)).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "confirmed");
        assert_eq!(order["payment"]["last4"], "4242");
        assert!(order["payment"].get("amount_due").is_none(), "{order}");
        let number = order["number"].as_str().expect("number");
        let r = app.with_token(Method::POST, &format!("/api/v1/orders/{number}/receipts"), &ambassador).json(&json!({"method": "wire", "amount": money(100), "reference": "X"})).send().await.expect("sent");
        assert_problem(r, 409, "invalid_transition").await;
        // Fulfilment records no payment.
        let r = app.with_token(Method::POST, &format!("/api/v1/orders/{number}/receipts"), &fulfilment).json(&json!({"method": "wire", "amount": money(100), "reference": "X"})).send().await.expect("sent");
        assert_problem(r, 403, "forbidden").await;
        app.stop().await;
    }

    async fn cash_over_ten_thousand_is_flagged_and_a_cancelled_wire_order_gives_its_stock_back(backend) {
        let app = spawn_app(backend).await;
        let sku = sku_for_cash(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let boutique = app.get_json("/api/v1/boutiques").await.1["items"][0]["id"].as_str().expect("boutique").to_owned();
        // Documents by fax: queued for the fax gateway, to the number in E.164.
        let body = order_body(
            json!([{"sku": sku, "quantity": 5}]),
            json!({"method": "cash", "boutique_id": boutique}),
            json!({"channel": "fax", "fax_number": "(212) 555-0100"}),
        );
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("cash"), Some(body)).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["payment"]["method"], "cash");
        let number = order["number"].as_str().expect("number").to_owned();
        let (_, docs) = call(&app, Method::GET, &format!("/api/v1/orders/{number}/documents"), &admin, None, None).await;
        assert_eq!(docs["items"][0]["channel"], "fax", "{docs}");
        assert_eq!(docs["items"][0]["to"], "+12125550100", "{docs}");
        let total = cents(&amount(&order["total"]));
        let path = format!("/api/v1/orders/{number}/receipts");
        // Cash in two visits; the one that takes the total past 10,000 flags.
        assert!(total > 1_000_000, "five creations over 2,100 each: {total}");
        let first = 500_000;
        let body = json!({"method": "cash", "amount": money(first), "reference": "YK-0001"});
        let (status, receipt) = call(&app, Method::POST, &path, &ambassador, Some("cash-visit-1"), Some(body.clone())).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["large_cash"], false);
        // Pressed twice: the same key records it once and answers the same receipt.
        let (status, again) = call(&app, Method::POST, &path, &ambassador, Some("cash-visit-1"), Some(body)).await;
        assert_eq!(status, 201, "{again}");
        assert_eq!(again["id"], receipt["id"]);
        assert_eq!(cents(&amount(&again["order"]["payment"]["amount_received"])), first);
        let r = app.with_token(Method::POST, &path, &ambassador).header("Idempotency-Key", "cash-visit-1").json(&json!({"method": "cash", "amount": money(1), "reference": "YK-0009"})).send().await.expect("sent");
        assert_problem(r, 422, "idempotency_key_reused").await;
        let (status, receipt) = call(&app, Method::POST, &path, &ambassador, None, Some(json!({"method": "cash", "amount": money(total - first), "reference": "YK-0002"}))).await;
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["large_cash"], true, "total {total}");
        assert_eq!(receipt["order"]["large_cash"], true);
        assert_eq!(receipt["order"]["status"], "confirmed");
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &admin, None, None).await;
        assert!(audit.to_string().contains("order.large_cash"), "{audit}");

        // A wire order cancelled before it is paid gives its stock back.
        let before = on_hand(&app, &sku).await;
        let body = order_body(json!([{"sku": sku, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let (_, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("to-cancel"), Some(body)).await;
        let number = order["number"].as_str().expect("number").to_owned();
        assert_eq!(on_hand(&app, &sku).await, before - 1);
        let (status, cancelled) = call(&app, Method::POST, &format!("/api/v1/orders/{number}/cancel"), &ambassador, None, Some(json!({"reason": "The client chose another piece."}))).await;
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(on_hand(&app, &sku).await, before);
        assert_eq!(app.store.order_by_number(&number).await.expect("read").expect("order").status, OrderStatus::Cancelled);
        app.stop().await;
    }

    async fn administrators_see_failed_letters_and_send_them_again(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let body = order_body(json!([{"sku": sku, "quantity": 1}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let (_, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &ambassador, Some("letters"), Some(body)).await;
        let number = order["number"].as_str().expect("number");
        let id = app.store.order_by_number(number).await.expect("read").expect("order").id;
        let letter = app.store.messages_of_order(&id).await.expect("messages").remove(0);
        // The mail server refused it for good.
        app.store.mark_delivery_failed(&letter.id, "550 mailbox unavailable", 0, true).await.expect("failed");
        let r = app.with_token(Method::GET, "/api/v1/outbox?status=failed", &ambassador).send().await.expect("sent");
        assert_problem(r, 403, "forbidden").await;
        let (status, failed) = call(&app, Method::GET, "/api/v1/outbox?status=failed", &admin, None, None).await;
        assert_eq!(status, 200, "{failed}");
        let item = failed["items"].as_array().expect("items").iter().find(|m| m["id"] == letter.id.as_str()).expect("the failed letter is listed").clone();
        assert_eq!(item["status"], "failed");
        assert_eq!(item["last_error"], "550 mailbox unavailable");
        let r = app.with_token(Method::GET, "/api/v1/outbox?status=lost", &admin).send().await.expect("sent");
        assert_problem(r, 422, "invalid_status").await;
        let (status, retried) = call(&app, Method::POST, &format!("/api/v1/outbox/{}/retry", letter.id), &admin, None, None).await;
        assert_eq!(status, 200, "{retried}");
        assert_eq!(retried["status"], "queued");
        // Only a failed letter can be sent again.
        let r = app.with_token(Method::POST, &format!("/api/v1/outbox/{}/retry", letter.id), &admin).send().await.expect("sent");
        assert_problem(r, 404, "message_not_found").await;
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=message:{}", letter.id), &admin, None, None).await;
        assert_eq!(audit["items"][0]["action"], "outbox.retry", "{audit}");
        app.stop().await;
    }
}

/// A confirmed online card order of one `sku` for Claire Dubois.
async fn card_order(app: &TestApp, sku: &str, key: &str) -> Value {
    let bag = app.bag_with(&[(sku, 1)]).await;
    let response = app.checkout(key, &common::checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("order")
}

/// A request refused: method, path, bearer token (none: no token), body,
/// the status and the problem's code.
type Refused<'a> = (
    Method,
    &'a str,
    Option<&'a str>,
    Option<&'a Value>,
    u16,
    &'a str,
);

/// The amounts (in cents) the processor still holds for an order.
fn held(app: &TestApp, number: &str) -> Vec<i64> {
    app.simulator
        .ledger_snapshot()
        .iter()
        .filter(|p| p.reference == number && p.state == maison_payments::PaymentState::Authorised)
        .map(|p| p.authorised.minor())
        .collect()
}

fn operations(order: &Value) -> Vec<(String, String)> {
    order["payment_operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| {
            (
                o["operation"].as_str().expect("operation").to_owned(),
                o["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

on_both_databases! {
    async fn a_higher_total_is_authorised_again_before_anything_changes(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let order = card_order(&app, &sku, "change-up").await;
        let number = order["number"].as_str().expect("number").to_owned();
        let total = cents(&amount(&order["total"]));
        let before = on_hand(&app, &sku).await;
        let first_hold = app.simulator.ledger_snapshot().last().expect("the first hold").processor_ref.clone();
        let path = format!("/api/v1/orders/{number}");
        // Declined for the new total: nothing changes.
        app.simulator.decline_next_token_authorisations(maison_payments::DeclineReason::InsufficientFunds, 1);
        let body = json!({"lines": [{"sku": sku, "quantity": 2}], "reason": "The client wants a pair."});
        let r = app.with_token(Method::PATCH, &path, &ambassador).json(&body).send().await.expect("sent");
        assert_problem(r, 409, "payment_declined").await;
        let (_, unchanged) = call(&app, Method::GET, &path, &ambassador, None, None).await;
        assert_eq!(cents(&amount(&unchanged["total"])), total);
        assert_eq!(unchanged["lines"][0]["quantity"], 1);
        assert_eq!(unchanged["payment_state"], "authorised");
        assert_eq!(on_hand(&app, &sku).await, before);
        // Authorised: the order holds two, the former hold is released.
        let (status, changed) = call(&app, Method::PATCH, &path, &ambassador, None, Some(body)).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(cents(&amount(&changed["total"])), total * 2);
        assert_eq!(changed["lines"][0]["quantity"], 2);
        assert_eq!(changed["payment_state"], "authorised");
        assert_eq!(on_hand(&app, &sku).await, before - 1);
        let ops = operations(&changed);
        assert!(ops.contains(&("reauthorise".into(), "declined".into())), "{ops:?}");
        assert!(ops.contains(&("reauthorise".into(), "succeeded".into())), "{ops:?}");
        assert!(ops.contains(&("void".into(), "succeeded".into())), "{ops:?}");
        assert_eq!(app.simulator.payment(&first_hold).expect("first hold").state, maison_payments::PaymentState::Voided);
        let new_hold = app.simulator.ledger_snapshot().last().expect("the new hold").clone();
        assert_eq!(cents(&new_hold.authorised.amount_string()), total * 2);
        // The client is told; the audit log has the reason.
        let letters = app.store.messages_of_order(&app.store.order_by_number(&number).await.expect("read").expect("order").id).await.expect("letters");
        assert!(letters.iter().any(|l| l.kind == "order_changed"), "{letters:?}");
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &admin, None, None).await;
        assert!(audit.to_string().contains("The client wants a pair."), "{audit}");
        // Cancelled afterwards: the new hold is the one released.
        let (status, cancelled) = call(&app, Method::POST, &format!("{path}/cancel"), &ambassador, None, Some(json!({"reason": "Changed her mind."}))).await;
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(cancelled["payment_state"], "voided");
        assert_eq!(app.simulator.payment(&new_hold.processor_ref).expect("new hold").state, maison_payments::PaymentState::Voided);
        assert_eq!(on_hand(&app, &sku).await, before + 1);
        app.stop().await;
    }

    async fn a_lower_total_and_a_new_delivery_hold_the_new_total_and_release_the_former_hold(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let advisor = staff(&app, "advisor@maison.example", "prestige_advisor").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let bag = app.bag_with(&[(&sku, 3)]).await;
        let order: Value = app.checkout("change-down", &common::checkout_body(&bag)).await.json().await.expect("order");
        let number = order["number"].as_str().expect("number").to_owned();
        let before = on_hand(&app, &sku).await;
        let holds = app.simulator.authorisation_count();
        let path = format!("/api/v1/orders/{number}");
        let boutique = app.get_json("/api/v1/boutiques").await.1["items"].as_array().expect("boutiques").iter().find(|b| b["accepts_pickup"] == true).expect("a pickup boutique")["id"].as_str().expect("id").to_owned();
        // Each refusal first: no reason, a role without the right, nothing to change.
        let r = app.with_token(Method::PATCH, &path, &advisor).json(&json!({"lines": [{"sku": sku, "quantity": 1}]})).send().await.expect("sent");
        assert_eq!(assert_problem(r, 422, "invalid_reason").await["field"], "reason");
        let r = app.with_token(Method::PATCH, &path, &fulfilment).json(&json!({"lines": [{"sku": sku, "quantity": 1}], "reason": "x"})).send().await.expect("sent");
        assert_problem(r, 403, "forbidden").await;
        let r = app.with_token(Method::PATCH, &path, &advisor).json(&json!({"reason": "x"})).send().await.expect("sent");
        assert_problem(r, 422, "nothing_to_change").await;
        let r = app.http.patch(format!("{}{path}", app.url)).json(&json!({"reason": "x"})).send().await.expect("sent");
        assert_problem(r, 401, "unauthenticated").await;
        let body = json!({
            "lines": [{"sku": sku, "quantity": 1}],
            "delivery": {"method": "boutique", "boutique_id": boutique},
            "reason": "One piece only, collected at the boutique."
        });
        let (status, changed) = call(&app, Method::PATCH, &path, &advisor, None, Some(body)).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["lines"][0]["quantity"], 1);
        assert_eq!(changed["delivery"]["method"], "boutique");
        assert_eq!(changed["carrier"], "boutique");
        assert_eq!(on_hand(&app, &sku).await, before + 2, "two pieces back in stock");
        // The lower total is held anew, the former hold released.
        assert_eq!(app.simulator.authorisation_count(), holds + 1, "a new hold for the lower total");
        assert_eq!(changed["payment_state"], "authorised");
        assert_eq!(held(&app, &number), vec![cents(&amount(&changed["total"]))], "only the new total is held");
        // Once processing has started, no change.
        let (status, _) = call(&app, Method::POST, &format!("{path}/process"), &fulfilment, None, None).await;
        assert_eq!(status, 200);
        let r = app.with_token(Method::PATCH, &path, &advisor).json(&json!({"lines": [{"sku": sku, "quantity": 2}], "reason": "x"})).send().await.expect("sent");
        assert_problem(r, 409, "order_not_modifiable").await;
        app.stop().await;
    }

    async fn a_lower_total_keeps_the_former_hold_when_the_new_one_is_refused_and_capture_takes_the_new_total(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let bag = app.bag_with(&[(&sku, 4)]).await;
        let order: Value = app.checkout("lower-kept", &common::checkout_body(&bag)).await.json().await.expect("order");
        let number = order["number"].as_str().expect("number").to_owned();
        let unit = cents(&amount(&order["total"])) / 4;
        let path = format!("/api/v1/orders/{number}");
        let lower = |quantity: u32, reason: &str| json!({"lines": [{"sku": sku, "quantity": quantity}], "reason": reason});

        // Declined: the change stands, the order keeps its former hold.
        app.simulator.decline_next_token_authorisations(maison_payments::DeclineReason::InsufficientFunds, 1);
        let (status, changed) = call(&app, Method::PATCH, &path, &ambassador, None, Some(lower(3, "One less."))).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(cents(&amount(&changed["total"])), unit * 3);
        assert_eq!(changed["payment_state"], "authorised");
        assert_eq!(held(&app, &number), vec![unit * 4], "the former hold is kept");
        assert!(operations(&changed).contains(&("reauthorise".into(), "declined".into())));
        // Unanswered (lost before the processor): the same.
        app.simulator.fail_next(maison_payments::FailureMode::TimeoutBeforeProcessing, 1);
        let (status, changed) = call(&app, Method::PATCH, &path, &ambassador, None, Some(lower(2, "Two less."))).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(held(&app, &number), vec![unit * 4]);
        assert!(operations(&changed).contains(&("reauthorise".into(), "failed".into())));
        let (_, audit) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &admin, None, None).await;
        let kept: Vec<&Value> = audit["items"].as_array().expect("items").iter()
            .map(|e| &e["details"]["former_hold_kept_because"]).filter(|why| !why.is_null()).collect();
        assert_eq!(kept.len(), 2, "{audit}");
        assert!(kept.contains(&&json!("insufficient_funds")) && kept.contains(&&json!("not_processed")), "{audit}");

        // Held at the processor, its answer lost: asked for, not sent again;
        // the new total alone is held.
        app.simulator.fail_next(maison_payments::FailureMode::TimeoutAfterProcessing, 1);
        let holds = app.simulator.authorisation_count();
        let (status, changed) = call(&app, Method::PATCH, &path, &ambassador, None, Some(lower(1, "One only."))).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(app.simulator.authorisation_count(), holds + 1, "one new hold");
        assert_eq!(held(&app, &number), vec![unit], "only the new total is held");
        assert!(operations(&changed).contains(&("void".into(), "succeeded".into())));

        // Shipped: the new total is captured.
        let (status, _) = call(&app, Method::POST, &format!("{path}/process"), &fulfilment, None, None).await;
        assert_eq!(status, 200);
        let (status, shipment) = call(&app, Method::POST, &format!("{path}/shipments"), &fulfilment, Some("ship-lower"), None).await;
        assert_eq!(status, 201, "{shipment}");
        let captured: Vec<i64> = app.simulator.ledger_snapshot().iter()
            .filter(|p| p.reference == number)
            .filter_map(|p| p.captured.map(|c| c.minor()))
            .collect();
        assert_eq!(captured, vec![unit], "the new total, captured once");
        assert!(held(&app, &number).is_empty(), "nothing else held");
        app.stop().await;
    }

    async fn receipts_documents_the_outbox_and_changes_answer_each_role_and_no_role(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let ambassador = staff(&app, "sophie@maison.example", "ambassador").await;
        let advisor = staff(&app, "advisor@maison.example", "prestige_advisor").await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        // An administrator places an assisted order.
        let body = order_body(json!([{"sku": sku, "quantity": 3}]), json!({"method": "wire"}), json!({"channel": "email"}));
        let (status, order) = call(&app, Method::POST, "/api/v1/assisted-orders", &admin, Some("by-admin"), Some(body)).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["channel"], "telephone");
        let number = order["number"].as_str().expect("number").to_owned();
        let id = app.store.order_by_number(&number).await.expect("read").expect("order").id;
        let letter = app.store.messages_of_order(&id).await.expect("letters").remove(0).id;

        let (path, receipts, documents) = (format!("/api/v1/orders/{number}"), format!("/api/v1/orders/{number}/receipts"), format!("/api/v1/orders/{number}/documents"));
        let retry = format!("/api/v1/outbox/{letter}/retry");
        let receipt = json!({"method": "wire", "amount": money(100), "reference": "FW-ROLE"});
        let change = json!({"lines": [{"sku": sku, "quantity": 2}], "reason": "One less."});
        let refused: [Refused; 9] = [
            (Method::POST, &receipts, None, Some(&receipt), 401, "unauthenticated"),
            (Method::POST, &receipts, Some(&client), Some(&receipt), 403, "forbidden"),
            (Method::GET, &documents, None, None, 401, "unauthenticated"),
            (Method::GET, &documents, Some(&client), None, 403, "forbidden"),
            (Method::GET, "/api/v1/outbox", None, None, 401, "unauthenticated"),
            (Method::POST, &retry, None, None, 401, "unauthenticated"),
            (Method::POST, &retry, Some(&ambassador), None, 403, "forbidden"),
            (Method::POST, &retry, Some(&advisor), None, 403, "forbidden"),
            (Method::PATCH, &path, Some(&client), Some(&change), 403, "forbidden"),
        ];
        for (method, path, token, body, status, code) in refused {
            let mut request = match token {
                Some(token) => app.with_token(method.clone(), path, token),
                None => app.http.request(method.clone(), format!("{}{path}", app.url)),
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let r = request.send().await.expect("sent");
            assert_eq!(r.status().as_u16(), status, "{method} {path} as {token:?}");
            assert_problem(r, status, code).await;
        }

        // An administrator changes it; an advisor and an administrator
        // record its two receipts, which confirm it.
        let (status, changed) = call(&app, Method::PATCH, &path, &admin, None, Some(change)).await;
        assert_eq!(status, 200, "{changed}");
        let total = cents(&amount(&changed["total"]));
        let (status, first) = call(&app, Method::POST, &receipts, &advisor, Some("r-1"), Some(json!({"method": "wire", "amount": money(100), "reference": "FW-1"}))).await;
        assert_eq!(status, 201, "{first}");
        let (status, last) = call(&app, Method::POST, &receipts, &admin, Some("r-2"), Some(json!({"method": "wire", "amount": money(total - 100), "reference": "FW-2"}))).await;
        assert_eq!(status, 201, "{last}");
        assert_eq!(last["order"]["status"], "confirmed");
        app.stop().await;
    }
}
