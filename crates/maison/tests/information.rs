//! Information requests and quotes (rule R16) over real HTTP, on SQLite and
//! PostgreSQL: a client asks about a creation priced on request and is
//! acknowledged by e-mail (throttled per address); Client Relations work the
//! queue by role; a Prestige Advisor issues a quote that the client reads
//! through its private link and pays once, at the quote's price, until it
//! expires; the storefront's form works without JavaScript.

mod common;

use std::sync::Arc;

use common::{TestApp, assert_problem, spawn_app, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::{Clock, FixedClock, now_micros};
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

const DAY: i64 = 24 * 60 * 60 * 1_000_000;

/// A staff member with `role`, and their bearer token.
async fn staff(app: &TestApp, email: &str, name: &str, role: &str) -> String {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, name, role)
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
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.http.request(method, format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}

/// Issues a quote under a fresh Idempotency-Key.
async fn issue(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let key = maison_app::clock::new_id();
    issue_with(app, path, token, Some(&key), body).await
}

async fn issue_with(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    common::call(app, Method::POST, path, token, key, body).await
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A creation priced on request with one size (or none): its variant's SKU,
/// with `stock` pieces.
async fn solitaire(app: &TestApp, stock: u32) -> (String, String) {
    let product = app
        .product_where(|p| {
            p["sale_mode"] == "price_on_request"
                && p["variants"].as_array().is_some_and(|v| v.len() == 1)
        })
        .await;
    let sku = product["variants"][0]["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), stock)
        .await
        .expect("stock");
    (sku, product["slug"].as_str().expect("slug").to_owned())
}

fn request_body(sku: &str, email: &str) -> Value {
    json!({
        "sku": sku,
        "first_name": "Claire",
        "last_name": "Dubois",
        "email": email,
        "phone": "212-555-0147",
        "message": "Could you tell me about the diamonds available for this solitaire?"
    })
}

/// A request from the public API; its id.
async fn new_request(app: &TestApp, sku: &str) -> String {
    let (status, body) = json_of(
        app.post_json(
            "/api/v1/information-requests",
            &request_body(sku, "claire@example.com"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

fn letters(messages: &[maison_store::outbox::OutboxMessage], kind: &str) -> usize {
    messages.iter().filter(|m| m.kind == kind).count()
}

fn quote_body(sku: &str, amount: &str, valid_days: i64) -> Value {
    json!({
        "sku": sku,
        "price": {"amount": amount, "currency": "USD"},
        "stone": {"carat": "1.52", "colour": "E", "clarity": "VVS1", "cut": "excellent"},
        "valid_days": valid_days,
    })
}

/// The checkout's body without a bag: Claire Dubois, home delivery in New
/// York, `card`.
fn pay_body(card: &str) -> Value {
    let mut body = common::checkout_body("");
    if let Some(map) = body.as_object_mut() {
        map.remove("bag_id");
    }
    body["payment"]["card"]["number"] = json!(card);
    body
}

async fn pay(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/api/v1/quotes/{token}/checkout", app.url))
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("sent")
}

fn token_of(link: &str) -> String {
    link.rsplit("/quotes/")
        .next()
        .expect("a quote link")
        .to_owned()
}

on_both_databases! {
    async fn a_client_asks_about_a_solitaire_is_acknowledged_and_the_form_is_throttled(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 1).await;
        let (status, body) = json_of(app.post_json("/api/v1/information-requests", &request_body(&sku, "claire@example.com")).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "new");
        assert!(body["id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        // The acknowledgement is queued in the request's transaction.
        let messages = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert_eq!(letters(&messages, "information_request_received"), 1, "{messages:?}");
        let letter = messages.iter().find(|m| m.kind == "information_request_received").expect("letter");
        assert!(letter.text_body.contains("Prestige Advisor"), "{}", letter.text_body);
        assert!(letter.text_body.contains(&sku), "{}", letter.text_body);

        // Every refusal names its field.
        let mut bad = request_body("NO-SUCH-PIECE", "claire@example.com");
        let problem = assert_problem(app.post_json("/api/v1/information-requests", &bad).await, 404, "product_not_found").await;
        assert_eq!(problem["field"], "sku");
        bad = request_body(&sku, "not an address");
        let problem = assert_problem(app.post_json("/api/v1/information-requests", &bad).await, 422, "invalid_email").await;
        assert_eq!(problem["field"], "email");
        bad = request_body(&sku, "claire@example.com");
        bad["first_name"] = json!("  ");
        let problem = assert_problem(app.post_json("/api/v1/information-requests", &bad).await, 422, "invalid_name").await;
        assert_eq!(problem["field"], "first_name");
        bad = request_body(&sku, "claire@example.com");
        bad["message"] = json!("x".repeat(2001));
        let problem = assert_problem(app.post_json("/api/v1/information-requests", &bad).await, 422, "invalid_message").await;
        assert_eq!(problem["field"], "message");
        bad = request_body(&sku, "claire@example.com");
        bad["phone"] = json!("12");
        assert_problem(app.post_json("/api/v1/information-requests", &bad).await, 422, "invalid_phone").await;
        let r = app.post_json("/api/v1/information-requests", &json!({"sku": sku})).await;
        assert_problem(r, 422, "invalid_request").await;
        let r = app.http.post(format!("{}/api/v1/information-requests", app.url)).header("content-type", "application/json").body("{").send().await.expect("sent");
        assert_problem(r, 400, "malformed_json").await;

        // Ten requests an hour from one address (the six above counted,
        // malformed bodies aside); the eleventh waits, told for how long.
        for _ in 0..4 {
            let r = app.post_json("/api/v1/information-requests", &request_body(&sku, "claire@example.com")).await;
            assert_eq!(r.status(), 201);
        }
        let r = app.post_json("/api/v1/information-requests", &request_body(&sku, "jean@example.com")).await;
        let retry_after: u64 = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
        assert!(retry_after > 0 && retry_after <= 3600, "{retry_after}");
        assert_problem(r, 429, "too_many_attempts").await;
        // Nobody floods a mailbox through the form: three letters to one
        // address in a window, though every request is recorded.
        let messages = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert_eq!(letters(&messages, "information_request_received"), 3);
        assert!(app.store.messages_to("jean@example.com").await.expect("outbox").is_empty());
        app.stop().await;
    }

    async fn client_relations_work_the_queue_by_role_and_every_step_is_audited(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 1).await;
        let first = new_request(&app, &sku).await;
        let second = new_request(&app, &sku).await;
        let third = new_request(&app, &sku).await;
        let ambassador = staff(&app, "sophie@maison.example", "Sophie Martin", "ambassador").await;
        let advisor = staff(&app, "advisor@maison.example", "Hélène Roy", "prestige_advisor").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "Marc Petit", "fulfilment").await;
        let admin = staff(&app, "admin@maison.example", "Admin", "admin").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;

        // The list: any staff role; nobody else.
        assert_problem(call(&app, Method::GET, "/api/v1/information-requests", None, None).await, 401, "unauthenticated").await;
        assert_problem(call(&app, Method::GET, "/api/v1/information-requests", Some(&client), None).await, 403, "forbidden").await;
        let (status, list) = json_of(call(&app, Method::GET, "/api/v1/information-requests", Some(&fulfilment), None).await).await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["id"], first.as_str(), "oldest first: a queue");
        assert_eq!(items[0]["status"], "new");
        assert_eq!(items[0]["email"], "claire@example.com");
        assert_eq!(items[0]["sku"], sku.as_str());
        assert!(items[0]["assigned_to"].is_null());
        assert!(list["next_cursor"].is_null());
        // Pages.
        let (_, page) = json_of(call(&app, Method::GET, "/api/v1/information-requests?limit=2", Some(&ambassador), None).await).await;
        assert_eq!(page["items"].as_array().expect("items").len(), 2);
        let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
        let (_, rest) = json_of(call(&app, Method::GET, &format!("/api/v1/information-requests?limit=2&cursor={cursor}"), Some(&ambassador), None).await).await;
        assert_eq!(rest["items"][0]["id"], third.as_str());
        assert!(rest["next_cursor"].is_null());
        assert_problem(call(&app, Method::GET, "/api/v1/information-requests?cursor=garbage", Some(&admin), None).await, 422, "invalid_cursor").await;
        assert_problem(call(&app, Method::GET, "/api/v1/information-requests?status=lost", Some(&admin), None).await, 422, "invalid_status").await;
        assert_problem(call(&app, Method::GET, "/api/v1/information-requests?limit=0", Some(&admin), None).await, 422, "invalid_limit").await;

        // Assigning: Client Relations, to a Prestige Advisor (or an administrator).
        let assign = format!("/api/v1/information-requests/{first}/assign");
        let to_advisor = json!({"advisor": "ADVISOR@maison.example"});
        assert_problem(call(&app, Method::POST, &assign, None, Some(to_advisor.clone())).await, 401, "unauthenticated").await;
        assert_problem(call(&app, Method::POST, &assign, Some(&client), Some(to_advisor.clone())).await, 403, "forbidden").await;
        assert_problem(call(&app, Method::POST, &assign, Some(&fulfilment), Some(to_advisor.clone())).await, 403, "forbidden").await;
        let problem = assert_problem(call(&app, Method::POST, &assign, Some(&ambassador), Some(json!({"advisor": "sophie@maison.example"}))).await, 422, "invalid_advisor").await;
        assert_eq!(problem["field"], "advisor");
        assert_problem(call(&app, Method::POST, &assign, Some(&ambassador), Some(json!({"advisor": "nobody@maison.example"}))).await, 422, "invalid_advisor").await;
        assert_problem(call(&app, Method::POST, "/api/v1/information-requests/no-such-request/assign", Some(&ambassador), Some(to_advisor.clone())).await, 404, "request_not_found").await;
        let (status, assigned) = json_of(call(&app, Method::POST, &assign, Some(&ambassador), Some(to_advisor.clone())).await).await;
        assert_eq!(status, 200, "{assigned}");
        assert_eq!(assigned["status"], "assigned");
        assert_eq!(assigned["assigned_to"], "advisor@maison.example");
        let (status, _) = json_of(call(&app, Method::POST, &format!("/api/v1/information-requests/{second}/assign"), Some(&advisor), Some(json!({"advisor": "admin@maison.example"}))).await).await;
        assert_eq!(status, 200, "an advisor may pass a request on");
        let (_, assigned_list) = json_of(call(&app, Method::GET, "/api/v1/information-requests?status=assigned", Some(&admin), None).await).await;
        assert_eq!(assigned_list["items"].as_array().expect("items").len(), 2);

        // Where it stands: contacted, then closed; nothing after closed.
        let status_path = format!("/api/v1/information-requests/{first}/status");
        assert_problem(call(&app, Method::POST, &status_path, Some(&fulfilment), Some(json!({"status": "contacted"}))).await, 403, "forbidden").await;
        assert_problem(call(&app, Method::POST, &status_path, None, Some(json!({"status": "contacted"}))).await, 401, "unauthenticated").await;
        let problem = assert_problem(call(&app, Method::POST, &status_path, Some(&advisor), Some(json!({"status": "quoted"}))).await, 422, "invalid_status").await;
        assert_eq!(problem["field"], "status");
        assert_problem(call(&app, Method::POST, &status_path, Some(&advisor), Some(json!({"status": "contacted", "note": "x".repeat(2001)}))).await, 422, "invalid_note").await;
        let (status, contacted) = json_of(call(&app, Method::POST, &status_path, Some(&advisor), Some(json!({"status": "contacted", "note": "Called Mrs Dubois; she prefers an E colour."}))).await).await;
        assert_eq!(status, 200, "{contacted}");
        assert_eq!(contacted["status"], "contacted");
        assert_eq!(contacted["assigned_to"], "advisor@maison.example", "still the advisor's");
        let (status, closed) = json_of(call(&app, Method::POST, &status_path, Some(&ambassador), Some(json!({"status": "closed", "note": "The client chose another piece."}))).await).await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["status"], "closed");
        assert_problem(call(&app, Method::POST, &status_path, Some(&ambassador), Some(json!({"status": "closed"}))).await, 409, "invalid_transition").await;
        assert_problem(call(&app, Method::POST, &status_path, Some(&ambassador), Some(json!({"status": "contacted"}))).await, 409, "invalid_transition").await;
        assert_problem(call(&app, Method::POST, &assign, Some(&ambassador), Some(to_advisor)).await, 409, "invalid_transition").await;
        assert_problem(issue(&app, &format!("/api/v1/information-requests/{first}/quotes"), Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await, 409, "invalid_transition").await;

        // Each step in the audit log, by whom.
        let (_, audit) = json_of(call(&app, Method::GET, &format!("/api/v1/audit-events?subject=information_request:{first}"), Some(&admin), None).await).await;
        let events = audit["items"].as_array().expect("items");
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().expect("action")).collect();
        assert_eq!(actions, ["information_request.assign", "information_request.status", "information_request.status"], "{audit}");
        assert!(audit.to_string().contains("she prefers an E colour"), "{audit}");
        assert!(audit.to_string().contains("sophie@maison.example"), "{audit}");
        app.stop().await;
    }

    async fn a_quote_is_read_through_its_link_and_paid_once_at_its_price_until_it_expires(backend) {
        let clock = Arc::new(FixedClock::at(now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let (sku, _) = solitaire(&app, 3).await;
        let request = new_request(&app, &sku).await;
        let advisor = staff(&app, "advisor@maison.example", "Hélène Roy", "prestige_advisor").await;
        let ambassador = staff(&app, "sophie@maison.example", "Sophie Martin", "ambassador").await;
        let quotes = format!("/api/v1/information-requests/{request}/quotes");

        // Only Prestige Advisors and administrators quote.
        assert_problem(issue(&app, &quotes, None, Some(quote_body(&sku, "48500.00", 14))).await, 401, "unauthenticated").await;
        assert_problem(issue(&app, &quotes, Some(&ambassador), Some(quote_body(&sku, "48500.00", 14))).await, 403, "forbidden").await;
        // Each value is checked, and the field named.
        for (field, value, code) in [
            ("carat", "0", "invalid_carat"),
            ("carat", "1.523", "invalid_carat"),
            ("colour", "A", "invalid_colour"),
            ("clarity", "VVS3", "invalid_clarity"),
            ("cut", "ideal", "invalid_cut"),
        ] {
            let mut body = quote_body(&sku, "48500.00", 14);
            body["stone"][field] = json!(value);
            let problem = assert_problem(issue(&app, &quotes, Some(&advisor), Some(body)).await, 422, code).await;
            assert_eq!(problem["field"], format!("stone.{field}"));
        }
        let problem = assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "0.00", 14))).await, 422, "invalid_price").await;
        assert_eq!(problem["field"], "price");
        assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "48 500", 14))).await, 422, "invalid_price").await;
        let problem = assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "48500.00", 0))).await, 422, "invalid_validity").await;
        assert_eq!(problem["field"], "valid_days");
        assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "48500.00", 91))).await, 422, "invalid_validity").await;
        assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body("NO-SUCH-PIECE", "48500.00", 14))).await, 404, "product_not_found").await;
        let sized = app.product_where(|p| p["sale_mode"] == "price_on_request" && p["variants"].as_array().is_some_and(|v| v.len() > 1)).await;
        let problem = assert_problem(issue(&app, &quotes, Some(&advisor), Some(quote_body(sized["sku"].as_str().expect("sku"), "48500.00", 14))).await, 422, "size_required").await;
        assert_eq!(problem["field"], "sku");
        assert_problem(issue(&app, "/api/v1/information-requests/nope/quotes", Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await, 404, "request_not_found").await;

        // Issued: the client is e-mailed the private link; the request is quoted.
        let (status, quote) = json_of(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await).await;
        assert_eq!(status, 201, "{quote}");
        assert_eq!(quote["status"], "open");
        assert_eq!(quote["expires_at"], maison_app::clock::rfc3339(clock.now_micros() + 14 * DAY));
        let link = quote["link"].as_str().expect("link").to_owned();
        let token = token_of(&link);
        assert!(token.len() >= 64, "{token}");
        let letter = app.store.messages_to("claire@example.com").await.expect("outbox").into_iter().find(|m| m.kind == "quote").expect("the quote's letter");
        assert!(letter.text_body.replace("=\r\n", "").contains(&link), "{}", letter.text_body);
        assert!(letter.text_body.contains("$48,500.00"), "{}", letter.text_body);
        let (_, queue) = json_of(call(&app, Method::GET, "/api/v1/information-requests?status=quoted", Some(&ambassador), None).await).await;
        assert_eq!(queue["items"][0]["id"], request.as_str());
        let (_, audit) = json_of(call(&app, Method::GET, &format!("/api/v1/audit-events?subject=information_request:{request}"), Some(&staff(&app, "admin@maison.example", "Admin", "admin").await), None).await).await;
        assert!(audit.to_string().contains("quote.issue"), "{audit}");

        // The link shows the piece, its stone, its price and its expiry.
        let (status, shown) = app.get_json(&format!("/api/v1/quotes/{token}")).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["sku"], sku.as_str());
        assert_eq!(shown["price"], json!({"amount": "48500.00", "currency": "USD"}));
        assert_eq!(shown["stone"], json!({"carat": "1.52", "colour": "E", "clarity": "VVS1", "cut": "excellent"}));
        assert_eq!(shown["status"], "open");
        assert_eq!(shown["expires_at"], quote["expires_at"]);
        assert!(shown["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert_problem(app.get(&format!("/api/v1/quotes/{}", "0".repeat(64))).await, 404, "quote_not_found").await;

        // Paying: the checkout's rules.
        let good = pay_body("4242 4242 4242 4242");
        assert_problem(pay(&app, &token, None, &good).await, 400, "idempotency_key_required").await;
        assert_problem(pay(&app, &"0".repeat(64), Some("k0"), &good).await, 404, "quote_not_found").await;
        let mut stranger = good.clone();
        stranger["payment"]["card"]["holder_name"] = json!("JEAN MARTIN");
        assert_problem(pay(&app, &token, Some("k1"), &stranger).await, 422, "cardholder_mismatch").await;
        let mut no_address = good.clone();
        no_address["delivery"] = json!({"method": "home"});
        assert_problem(pay(&app, &token, Some("k2"), &no_address).await, 422, "invalid_address").await;
        // A declined card takes nothing and gives the quote back.
        let before = app.store.on_hand(&sku).await.expect("stock");
        assert_problem(pay(&app, &token, Some("k3"), &pay_body("4000 0000 0000 0002")).await, 402, "payment_declined").await;
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), before, "stock released");
        assert_eq!(app.get_json(&format!("/api/v1/quotes/{token}")).await.1["status"], "open");

        let (status, order) = json_of(pay(&app, &token, Some("k4"), &good).await).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "confirmed");
        assert_eq!(order["total"], json!({"amount": "48500.00", "currency": "USD"}));
        assert_eq!(order["lines"].as_array().expect("lines").len(), 1);
        assert_eq!(order["lines"][0]["sku"], sku.as_str());
        assert_eq!(order["lines"][0]["quantity"], 1);
        assert_eq!(order["carrier"], "secure_courier", "over the high-value threshold");
        assert_eq!(order["payment"]["last4"], "4242");
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), before - 1);
        let number = order["number"].as_str().expect("number").to_owned();
        let placed = app.store.order_by_number(&number).await.expect("read").expect("order");
        let kinds: Vec<String> = app.store.messages_of_order(&placed.id).await.expect("messages").into_iter().map(|m| m.kind).collect();
        assert!(kinds.contains(&"acknowledgement".to_owned()) && kinds.contains(&"confirmation".to_owned()), "{kinds:?}");
        // The same key answers the same order; another payment is refused.
        let (status, again) = json_of(pay(&app, &token, Some("k4"), &good).await).await;
        assert_eq!(status, 201, "{again}");
        assert_eq!(again["number"], number.as_str());
        assert_problem(pay(&app, &token, Some("k5"), &good).await, 409, "quote_used").await;
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), before - 1, "charged and reserved once");
        assert_eq!(app.get_json(&format!("/api/v1/quotes/{token}")).await.1["status"], "used");

        // Another quote on the same request, paid too late.
        let (status, second) = json_of(issue(&app, &quotes, Some(&advisor), Some(quote_body(&sku, "47000.00", 7))).await).await;
        assert_eq!(status, 201, "{second}");
        let late = token_of(second["link"].as_str().expect("link"));
        clock.advance(7 * DAY);
        assert_eq!(app.get_json(&format!("/api/v1/quotes/{late}")).await.1["status"], "expired");
        assert_problem(pay(&app, &late, Some("k6"), &good).await, 409, "quote_expired").await;
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), before - 1);
        app.stop().await;
    }

    async fn two_payments_of_one_quote_at_once_place_one_order(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 2).await;
        let request = new_request(&app, &sku).await;
        let advisor = staff(&app, "advisor@maison.example", "Hélène Roy", "prestige_advisor").await;
        let (_, quote) = json_of(issue(&app, &format!("/api/v1/information-requests/{request}/quotes"), Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await).await;
        let token = token_of(quote["link"].as_str().expect("link"));
        let body = pay_body("4242 4242 4242 4242");
        let (a, b) = tokio::join!(pay(&app, &token, Some("tab-1"), &body), pay(&app, &token, Some("tab-2"), &body));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "one order, one refusal");
        let refused = if a.status() == 409 { a } else { b };
        assert_problem(refused, 409, "quote_used").await;
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), 1, "one piece reserved");
        app.stop().await;
    }

    async fn the_storefront_form_asks_for_information_without_javascript(backend) {
        let app = spawn_app(backend).await;
        let (sku, slug) = solitaire(&app, 1).await;
        let (status, page) = app.get_text(&format!("/creations/{slug}")).await;
        assert_eq!(status, 200);
        let action = format!("/creations/{slug}/request-information");
        assert!(page.contains(&format!("action=\"{action}\"")), "the product page holds the form");
        // A mistake: the form again, as typed, the fault next to its field.
        let r = app.guest_form(&action, None, &[("first_name", "Claire"), ("last_name", "Dubois"), ("email", "claire@"), ("message", "Two carats, please.")]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.expect("page");
        assert!(html.contains("value=\"Claire\""), "kept as typed");
        assert!(html.contains("Two carats, please."), "kept as typed");
        assert!(html.contains("class=\"field-error\""), "{html}");
        assert!(html.contains("name@example.com"), "says what an address looks like");
        // Sent: post-redirect-get to the thank-you notice.
        let r = app.guest_form(&action, None, &[("first_name", "Claire"), ("last_name", "Dubois"), ("email", "claire@example.com"), ("phone", ""), ("message", "Two carats, please.")]).await;
        assert_eq!(r.status(), 303);
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        assert_eq!(location, format!("{action}?sent=1"));
        let (status, thanks) = app.get_text(&location).await;
        assert_eq!(status, 200);
        assert!(thanks.contains("data-testid=\"request-sent\""), "{thanks}");
        let messages = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert_eq!(letters(&messages, "information_request_received"), 1);
        let admin = staff(&app, "admin@maison.example", "Admin", "admin").await;
        let (_, list) = json_of(call(&app, Method::GET, "/api/v1/information-requests", Some(&admin), None).await).await;
        assert_eq!(list["items"][0]["sku"], sku.as_str());
        assert_eq!(list["items"][0]["message"], "Two carats, please.");
        // Without the form's token, nothing is sent.
        let r = app.http.post(format!("{}{action}", app.url)).form(&[("first_name", "Claire"), ("last_name", "Dubois"), ("email", "claire@example.com")]).send().await.expect("sent");
        assert_eq!(r.status(), 403);
        app.stop().await;
    }

    async fn a_quote_is_paid_from_its_page_without_javascript(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 2).await;
        let request = new_request(&app, &sku).await;
        let advisor = staff(&app, "advisor@maison.example", "Hélène Roy", "prestige_advisor").await;
        let (_, quote) = json_of(issue(&app, &format!("/api/v1/information-requests/{request}/quotes"), Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await).await;
        let token = token_of(quote["link"].as_str().expect("link"));
        let path = format!("/quotes/{token}");
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(page.contains("$48,500.00"), "the price");
        assert!(page.contains("1.52 ct, E colour, VVS1 clarity, excellent cut"), "the stone");
        assert!(page.contains("reserved for you until"), "the expiry");
        assert!(page.contains("value=\"Claire\""), "prepared for the client");
        let key = page.split("name=\"key\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("the form's key").to_owned();
        let fields = |holder: &'static str| vec![
            ("key", key.clone()), ("first_name", "Claire".into()), ("last_name", "Dubois".into()),
            ("email", "claire@example.com".into()), ("phone", "212-555-0147".into()), ("method", "home".into()),
            ("line1", "10 Park Avenue".into()), ("city", "New York".into()), ("region", "NY".into()),
            ("postal_code", "10016".into()), ("country", "US".into()), ("holder_name", holder.into()),
            ("card_number", "4242 4242 4242 4242".into()), ("exp_month", "12".into()), ("exp_year", "2031".into()), ("cvc", "917".into()),
        ];
        let wrong = fields("JEAN MARTIN");
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.guest_form(&path, None, &wrong).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.expect("page");
        assert!(html.contains("data-testid=\"holder-error\""), "{html}");
        assert!(!html.contains("4242 4242"), "the card number is never sent back");
        let right = fields("CLAIRE DUBOIS");
        let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app.guest_form(&path, None, &right).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let (status, paid) = app.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(paid.contains("This quote has been paid"), "{paid}");
        assert!(!paid.contains("data-testid=\"quote-form\""));
        // The same press again replays its order, charging nothing more.
        let r = app.guest_form(&path, None, &right).await;
        assert_eq!(r.status(), 303);
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), 1);
        app.stop().await;
    }
}

on_both_databases! {
    async fn a_quote_is_paid_by_telephone_through_an_assisted_order(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 2).await;
        let advisor = staff(&app, "advisor@maison.example", "Sophie Martin", "prestige_advisor").await;
        let request = new_request(&app, &sku).await;
        let (status, quote) = json_of(issue(&app, &format!("/api/v1/information-requests/{request}/quotes"), Some(&advisor), Some(quote_body(&sku, "48500.00", 14))).await).await;
        assert_eq!(status, 201, "{quote}");
        let quote_id = quote["id"].as_str().expect("id").to_owned();
        let order = |quote_id: &str, lines: Value| json!({
            "channel": "telephone",
            "client": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
            "lines": lines,
            "quote_id": quote_id,
            "delivery": {"method": "home", "address": {"line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
            "payment": {"method": "wire"},
            "documents": {"channel": "email"},
        });
        let place = |body: Value, key: &'static str| {
            let request = app.http.post(format!("{}/api/v1/assisted-orders", app.url)).bearer_auth(&advisor).header("Idempotency-Key", key).json(&body);
            async move { request.send().await.expect("sent") }
        };
        // Lines and a quote at once; a quote that does not exist.
        let r = place(order(&quote_id, json!([{"sku": sku, "quantity": 1}])), "both").await;
        assert_eq!(common::assert_problem(r, 422, "invalid_request").await["field"], "quote_id");
        common::assert_problem(place(order("no-such-quote", json!([])), "none").await, 404, "quote_not_found").await;
        // Paid by telephone at the quote's price, by wire.
        let (status, placed) = json_of(place(order(&quote_id, json!([])), "quoted").await).await;
        assert_eq!(status, 201, "{placed}");
        assert_eq!(placed["total"]["amount"], "48500.00");
        assert_eq!(placed["lines"][0]["sku"], sku.as_str());
        assert_eq!(placed["status"], "placed");
        // Secure courier: the total is over the high-value threshold.
        assert_eq!(placed["carrier"], "secure_courier");
        // Used: neither the telephone nor the link pays it again.
        common::assert_problem(place(order(&quote_id, json!([])), "again").await, 409, "quote_used").await;
        app.stop().await;
    }

    async fn a_retried_request_or_quote_under_its_idempotency_key_is_recorded_and_e_mailed_once(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = solitaire(&app, 1).await;
        let advisor = staff(&app, "advisor@maison.example", "Hélène Roy", "prestige_advisor").await;
        let ask = |key: Option<&'static str>, body: Value| {
            let mut request = app.http.post(format!("{}/api/v1/information-requests", app.url)).json(&body);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            request.send()
        };
        let body = request_body(&sku, "claire@example.com");

        // The same key and body: the same request, one acknowledgement.
        let (status, first) = json_of(ask(Some("ask-1"), body.clone()).await.expect("sent")).await;
        assert_eq!(status, 201, "{first}");
        let (status, again) = json_of(ask(Some("ask-1"), body.clone()).await.expect("sent")).await;
        assert_eq!((status, &again["id"]), (201, &first["id"]), "{again}");
        let messages = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert_eq!(letters(&messages, "information_request_received"), 1);
        // The key with another body is refused; another address has its own keys.
        let mut other = body.clone();
        other["message"] = json!("Another question.");
        assert_problem(ask(Some("ask-1"), other).await.expect("sent"), 422, "idempotency_key_reused").await;
        let (status, camille) = json_of(ask(Some("ask-1"), request_body(&sku, "camille@example.com")).await.expect("sent")).await;
        assert_eq!(status, 201, "{camille}");
        assert_ne!(camille["id"], first["id"]);
        // Without a key (the storefront's form sends none): a new request.
        let (status, unkeyed) = json_of(ask(None, body).await.expect("sent")).await;
        assert_eq!(status, 201, "{unkeyed}");
        assert_ne!(unkeyed["id"], first["id"]);

        // A quote needs its key; retried, it is issued and e-mailed once.
        let request = first["id"].as_str().expect("id");
        let quotes = format!("/api/v1/information-requests/{request}/quotes");
        let r = issue_with(&app, &quotes, Some(&advisor), None, Some(quote_body(&sku, "48500.00", 14))).await;
        assert_eq!(assert_problem(r, 400, "idempotency_key_required").await["field"], "Idempotency-Key");
        let (status, quote) = json_of(issue_with(&app, &quotes, Some(&advisor), Some("quote-1"), Some(quote_body(&sku, "48500.00", 14))).await).await;
        assert_eq!(status, 201, "{quote}");
        let (status, retried) = json_of(issue_with(&app, &quotes, Some(&advisor), Some("quote-1"), Some(quote_body(&sku, "48500.00", 14))).await).await;
        assert_eq!(status, 201, "{retried}");
        assert_eq!(retried, quote, "the same quote, its link included");
        let messages = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert_eq!(letters(&messages, "quote"), 1);
        let r = issue_with(&app, &quotes, Some(&advisor), Some("quote-1"), Some(quote_body(&sku, "47000.00", 14))).await;
        assert_problem(r, 422, "idempotency_key_reused").await;
        app.stop().await;
    }
}
