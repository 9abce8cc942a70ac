//! Outgoing webhooks over real HTTP, on SQLite and PostgreSQL (issue 11): an
//! integrator's server (a small axum server in the test) receives
//! `order.confirmed` after a checkout, signed with the secret returned at
//! creation; a delivery answered 500 is retried with back-off and listed
//! with its last answer; every other order and return event (a
//! cancellation, a shipment to its refunded return, a boutique collection,
//! a wire order taken by telephone) reaches it signed; invalid URLs and
//! events are refused; only administrators manage endpoints.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{TestApp, assert_problem, checkout_body, deliver, plain_sku, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::{Clock, FixedClock};
use maison_carriers::signature;
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

/// A request received: (path, signature header, body).
type Request = (String, Option<String>, Vec<u8>);

/// What the integrator's server received.
#[derive(Clone, Default)]
struct Received {
    requests: Arc<Mutex<Vec<Request>>>,
    /// While set, `/flaky` answers 500.
    failing: Arc<AtomicBool>,
}

impl Received {
    fn at(&self, path: &str) -> Vec<(Option<String>, Vec<u8>)> {
        self.requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, h, b)| (h.clone(), b.clone()))
            .collect()
    }
}

fn record(received: &Received, path: &str, headers: &HeaderMap, body: Bytes) {
    let header = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    received
        .requests
        .lock()
        .expect("lock")
        .push((path.to_owned(), header, body.to_vec()));
}

/// The integrator's server on a free loopback port: `/ok` answers 200,
/// `/flaky` 500 while `failing` is set.
async fn integrator() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route(
            "/ok",
            post(
                |State(r): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    record(&r, "/ok", &headers, body);
                    StatusCode::OK
                },
            ),
        )
        .route(
            "/flaky",
            post(
                |State(r): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    record(&r, "/flaky", &headers, body);
                    if r.failing.load(Ordering::SeqCst) {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("served");
    });
    (format!("http://{addr}"), received)
}

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

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

async fn order(app: &TestApp, sku: &str, key: &str) -> Value {
    let bag = app.bag_with(&[(sku, 1)]).await;
    let order = json_of(app.checkout(key, &checkout_body(&bag)).await, 201).await;
    assert_eq!(order["status"], "confirmed");
    order
}

/// Waits (up to 20 s) until `check` holds.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn deliveries(app: &TestApp, admin: &str, endpoint: &str) -> Vec<Value> {
    let r = call(
        app,
        Method::GET,
        &format!("/api/v1/webhook-endpoints/{endpoint}/deliveries"),
        Some(admin),
        None,
    )
    .await;
    json_of(r, 200).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// (type, order number) of every event received at `path`, each signature
/// verified with `secret`.
fn verified_events(received: &Received, path: &str, secret: &str) -> Vec<(String, String)> {
    let now = jiff::Timestamp::now().as_second();
    received
        .at(path)
        .into_iter()
        .map(|(header, body)| {
            assert_eq!(
                signature::verify(secret.as_bytes(), header.as_deref(), &body, now),
                Ok(())
            );
            let event: Value = serde_json::from_slice(&body).expect("JSON body");
            let data = &event["data"];
            let number = data["number"].as_str().or(data["order_number"].as_str());
            (
                event["type"].as_str().expect("type").to_owned(),
                number.expect("the order's number").to_owned(),
            )
        })
        .collect()
}

on_both_databases! {
    async fn integrators_receive_signed_events_retried_until_answered(backend) {
        let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let (base, received) = integrator().await;

        // An endpoint for confirmations: its secret is shown once.
        let r = call(&app, Method::POST, "/api/v1/webhook-endpoints", Some(&admin),
            Some(json!({"url": format!("{base}/ok"), "events": ["order.confirmed"]}))).await;
        let created = json_of(r, 201).await;
        let ok_id = created["id"].as_str().expect("id").to_owned();
        let secret = created["secret"].as_str().expect("secret").to_owned();
        assert!(secret.len() >= 32);

        let sku = plain_sku(&app).await;
        let first = order(&app, &sku, "webhook-order-1").await;
        eventually("the confirmation", async || !received.at("/ok").is_empty()).await;
        let (header, body) = received.at("/ok").remove(0);
        let now = clock.now_micros() / 1_000_000;
        assert_eq!(signature::verify(secret.as_bytes(), header.as_deref(), &body, now), Ok(()));
        assert_eq!(
            signature::verify(b"another secret", header.as_deref(), &body, now),
            Err(signature::SignatureError::Mismatch)
        );
        let event: Value = serde_json::from_slice(&body).expect("JSON body");
        assert_eq!(event["type"], "order.confirmed");
        assert!(event["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(event["created_at"].as_str().is_some());
        assert_eq!(event["data"]["number"], first["number"]);
        assert_eq!(event["data"]["status"], "confirmed");
        assert_eq!(event["data"]["total"], first["total"]);
        let listed = deliveries(&app, &admin, &ok_id).await;
        assert_eq!(listed.len(), 1, "only order.confirmed: {listed:?}");
        assert_eq!(listed[0]["status"], "delivered");
        assert_eq!(listed[0]["last_status"], 200);
        assert_eq!(listed[0]["attempts"], 1);
        assert_eq!(listed[0]["type"], "order.confirmed");
        assert_eq!(listed[0]["event_id"], event["id"]);

        // An endpoint that answers 500 at first: its deliveries wait, listed
        // with their last answer, then are retried after the back-off.
        received.failing.store(true, Ordering::SeqCst);
        let r = call(&app, Method::POST, "/api/v1/webhook-endpoints", Some(&admin),
            Some(json!({"url": format!("{base}/flaky"), "events": ["order.placed", "order.confirmed"]}))).await;
        let flaky_id = json_of(r, 201).await["id"].as_str().expect("id").to_owned();
        let second = order(&app, &sku, "webhook-order-2").await;
        eventually("the failed attempts", async || {
            let listed = deliveries(&app, &admin, &flaky_id).await;
            listed.len() == 2 && listed.iter().all(|d| d["attempts"] == 1)
        }).await;
        for d in deliveries(&app, &admin, &flaky_id).await {
            assert_eq!(d["status"], "pending", "{d}");
            assert_eq!(d["last_status"], 500, "{d}");
            assert!(d["last_error"].as_str().is_some(), "{d}");
            assert!(d["next_attempt_at"].as_str().is_some(), "{d}");
            assert_eq!(d["delivered_at"], Value::Null);
        }
        // Not before the back-off.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(received.at("/flaky").len(), 2);

        received.failing.store(false, Ordering::SeqCst);
        clock.advance(31_000_000);
        eventually("the retries", async || {
            deliveries(&app, &admin, &flaky_id).await.iter().all(|d| d["status"] == "delivered")
        }).await;
        let listed = deliveries(&app, &admin, &flaky_id).await;
        let mut kinds: Vec<&str> = listed.iter().map(|d| d["type"].as_str().expect("type")).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["order.confirmed", "order.placed"]);
        for d in &listed {
            assert_eq!(d["attempts"], 2, "{d}");
            assert_eq!(d["last_status"], 204, "{d}");
            assert_eq!(d["next_attempt_at"], Value::Null, "{d}");
            assert!(d["delivered_at"].as_str().is_some(), "{d}");
            assert_eq!(d["subject"], format!("order:{}", second["number"].as_str().expect("number")));
        }
        let flaky_calls = received.at("/flaky");
        assert_eq!(flaky_calls.len(), 4);
        let flaky_secret_ok = flaky_calls.iter().all(|(h, b)| {
            signature::verify(secret.as_bytes(), h.as_deref(), b, clock.now_micros() / 1_000_000).is_err()
        });
        assert!(flaky_secret_ok, "each endpoint signs with its own secret");
        // The first endpoint got the second confirmation too, and nothing else.
        eventually("the second confirmation", async || received.at("/ok").len() == 2).await;

        // The list, without secrets.
        let r = call(&app, Method::GET, "/api/v1/webhook-endpoints", Some(&admin), None).await;
        let list = json_of(r, 200).await;
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        let ok = items.iter().find(|i| i["id"] == ok_id.as_str()).expect("listed");
        assert_eq!(ok["url"], format!("{base}/ok"));
        assert_eq!(ok["events"], json!(["order.confirmed"]));
        assert!(ok["created_at"].as_str().is_some());
        assert!(items.iter().any(|i| i["id"] == flaky_id.as_str()));
        assert!(!list.to_string().contains(&secret));
        assert!(items.iter().all(|i| i.get("secret").is_none()));

        app.stop().await;
    }

    async fn integrators_hear_of_cancellations_shipments_deliveries_collections_and_returns(backend) {
        let app = spawn_app_at(backend, Arc::new(maison_app::clock::SystemClock)).await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let ambassador = staff(&app, "ambassador@maison.example", "ambassador").await;
        let fulfilment = staff(&app, "fulfilment@maison.example", "fulfilment").await;
        let (base, received) = integrator().await;
        let every = json!(["order.placed", "order.confirmed", "order.cancelled", "order.shipped",
            "order.delivered", "order.collected", "return.requested", "return.refunded"]);
        let r = call(&app, Method::POST, "/api/v1/webhook-endpoints", Some(&admin),
            Some(json!({"url": format!("{base}/ok"), "events": every}))).await;
        let secret = json_of(r, 201).await["secret"].as_str().expect("secret").to_owned();
        let sku = plain_sku(&app).await;
        let number = |order: Value| order["number"].as_str().expect("number").to_owned();

        // Cancelled by Client Relations before processing.
        let cancelled = number(order(&app, &sku, "hooks-cancelled").await);
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{cancelled}/cancel"), Some(&ambassador),
            Some(json!({"reason": "The client chose another piece."}))).await;
        assert_eq!(json_of(r, 200).await["status"], "cancelled");

        // Shipped, delivered, then returned and refunded.
        let returned = number(order(&app, &sku, "hooks-returned").await);
        deliver(&app, &returned, &fulfilment).await;
        let r = call(&app, Method::POST, &format!("/api/v1/orders/{returned}/returns"), Some(&ambassador),
            Some(json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "Too large."}))).await;
        let id = json_of(r, 201).await["id"].as_str().expect("id").to_owned();
        for (step, token, body) in [("authorise", &ambassador, None), ("receive", &fulfilment, Some(json!({"restock": true}))), ("refund", &ambassador, None)] {
            let r = call(&app, Method::POST, &format!("/api/v1/returns/{id}/{step}"), Some(token), body).await;
            json_of(r, 200).await;
        }

        // Collected at a boutique.
        let boutiques = app.get_json("/api/v1/boutiques?pickup=true").await.1;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = checkout_body(&bag);
        body["delivery"] = json!({"method": "boutique", "boutique_id": boutiques["items"][0]["id"]});
        let collected = number(json_of(app.checkout("hooks-collected", &body).await, 201).await);
        for (step, body) in [("process", None), ("ready-for-pickup", None), ("collect", Some(json!({"id_checked": true, "collected_by": "Claire Dubois"})))] {
            let r = call(&app, Method::POST, &format!("/api/v1/orders/{collected}/{step}"), Some(&fulfilment), body).await;
            json_of(r, 200).await;
        }

        // Taken by telephone and paid by wire: placed, awaiting the funds.
        let r = app.with_token(Method::POST, "/api/v1/assisted-orders", &ambassador)
            .header("Idempotency-Key", "hooks-wire")
            .json(&json!({
                "channel": "telephone",
                "client": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
                "lines": [{"sku": sku, "quantity": 1}],
                "delivery": {"method": "home", "address": {
                    "line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
                "payment": {"method": "wire"},
                "documents": {"channel": "email"},
            }))
            .send().await.expect("sent");
        let wired = json_of(r, 201).await;
        assert_eq!(wired["status"], "placed");
        let wired = number(wired);

        let mut expected: Vec<(String, String)> = [
            ("order.placed", &cancelled), ("order.confirmed", &cancelled), ("order.cancelled", &cancelled),
            ("order.placed", &returned), ("order.confirmed", &returned), ("order.shipped", &returned),
            ("order.delivered", &returned), ("return.requested", &returned), ("return.refunded", &returned),
            ("order.placed", &collected), ("order.confirmed", &collected), ("order.collected", &collected),
            ("order.placed", &wired),
        ].into_iter().map(|(kind, number)| (kind.to_owned(), number.clone())).collect();
        eventually("every event", async || received.at("/ok").len() >= expected.len()).await;
        let mut got = verified_events(&received, "/ok", &secret);
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
        app.stop().await;
    }

    async fn a_delivery_still_refused_after_a_day_is_kept_as_failed(backend) {
        let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let (base, received) = integrator().await;
        received.failing.store(true, Ordering::SeqCst);
        let r = call(&app, Method::POST, "/api/v1/webhook-endpoints", Some(&admin),
            Some(json!({"url": format!("{base}/flaky"), "events": ["order.confirmed"]}))).await;
        let id = json_of(r, 201).await["id"].as_str().expect("id").to_owned();
        let sku = plain_sku(&app).await;
        order(&app, &sku, "webhook-order-day").await;
        let stored = async || app.store.webhook_deliveries(&id, 10).await.expect("deliveries");
        eventually("the first attempt", async || stored().await.first().is_some_and(|d| d.attempts == 1)).await;
        assert_eq!(stored().await[0].status, "pending");

        // A day later, refused again: kept as failed, no longer tried.
        clock.advance(25 * 3600 * 1_000_000);
        eventually("the last attempt", async || stored().await[0].status == "failed").await;
        let delivery = stored().await.remove(0);
        assert_eq!(delivery.attempts, 2);
        assert_eq!(delivery.last_status, Some(500));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(received.at("/flaky").len(), 2);
        app.stop().await;
    }

    async fn endpoints_are_checked_and_only_administrators_manage_them(backend) {
        let app = spawn_app_at(backend, Arc::new(maison_app::clock::SystemClock)).await;
        let admin = staff(&app, "admin@maison.example", "admin").await;
        let path = "/api/v1/webhook-endpoints";
        for (body, code) in [
            (json!({"url": "ftp://integrator.example/x", "events": ["order.placed"]}), "invalid_url"),
            (json!({"url": "https://user:pass@integrator.example/x", "events": ["order.placed"]}), "invalid_url"),
            (json!({"url": "not a url", "events": ["order.placed"]}), "invalid_url"),
            (json!({"url": "https://integrator.example/x", "events": ["order.exploded"]}), "invalid_event"),
            (json!({"url": "https://integrator.example/x", "events": []}), "invalid_event"),
        ] {
            let r = call(&app, Method::POST, path, Some(&admin), Some(body)).await;
            assert_problem(r, 422, code).await;
        }
        let r = call(&app, Method::POST, path, Some(&admin),
            Some(json!({"url": "https://integrator.example/x", "events": ["return.refunded", "order.shipped"]}))).await;
        let id = json_of(r, 201).await["id"].as_str().expect("id").to_owned();
        let r = call(&app, Method::GET, "/api/v1/webhook-endpoints/no-such-endpoint/deliveries", Some(&admin), None).await;
        assert_problem(r, 404, "endpoint_not_found").await;
        assert!(deliveries(&app, &admin, &id).await.is_empty());

        let deliveries_path = format!("/api/v1/webhook-endpoints/{id}/deliveries");
        let body = json!({"url": "https://integrator.example/y", "events": ["order.placed"]});
        for role in ["ambassador", "prestige_advisor", "fulfilment"] {
            let token = staff(&app, &format!("{role}@maison.example"), role).await;
            let r = call(&app, Method::POST, path, Some(&token), Some(body.clone())).await;
            assert_problem(r, 403, "forbidden").await;
            let r = call(&app, Method::GET, path, Some(&token), None).await;
            assert_problem(r, 403, "forbidden").await;
            let r = call(&app, Method::GET, &deliveries_path, Some(&token), None).await;
            assert_problem(r, 403, "forbidden").await;
        }
        let r = call(&app, Method::POST, path, None, Some(body.clone())).await;
        assert_problem(r, 401, "unauthenticated").await;
        let r = call(&app, Method::GET, path, None, None).await;
        assert_problem(r, 401, "unauthenticated").await;
        let r = call(&app, Method::GET, &deliveries_path, None, None).await;
        assert_problem(r, 401, "unauthenticated").await;
        let r = call(&app, Method::GET, path, Some("not-a-token"), None).await;
        assert_problem(r, 401, "invalid_token").await;

        app.stop().await;
    }
}
