//! Bag and card checkout over real HTTP, on SQLite and PostgreSQL: the rule
//! engine on every path, the cardholder rule, carriers by value, idempotency,
//! payments in doubt, and no overselling under concurrency.

mod common;

use common::{TestApp, assert_problem, checkout_body, spawn_app};
use maison_app::delivery::delivery_messages;
use maison_domain::order::OrderStatus;
use maison_payments::FailureMode;
use maison_testkit::on_both_databases;
use serde_json::{Value, json};

/// The SKU of the first available size of the first creation matching `pred`.
async fn sku_where(app: &TestApp, pred: impl Fn(&Value) -> bool) -> (String, Value) {
    let product = app.product_where(|p| pred(p)).await;
    let variant = product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["availability"] == "available")
        .or_else(|| product["variants"].get(0))
        .expect("a variant");
    (variant["sku"].as_str().expect("sku").to_owned(), product)
}

fn price_cents(product: &Value) -> i64 {
    let amount = product["price"]["amount"].as_str().expect("price");
    let (whole, cents) = amount.split_once('.').expect("decimal");
    whole.parse::<i64>().expect("whole") * 100 + cents.parse::<i64>().expect("cents")
}

async fn online_below(app: &TestApp, max_cents: i64) -> (String, Value) {
    sku_where(app, |p| {
        p["sale_mode"] == "online"
            && p["availability"] == "available"
            && p["personalisation"]
                .as_array()
                .is_some_and(|a| a.is_empty())
            && price_cents(p) < max_cents
    })
    .await
}

async fn add(app: &TestApp, bag: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/bags/{bag}/lines"), &body)
        .await
}

async fn preview(app: &TestApp, bag: &str, delivery: Value) -> reqwest::Response {
    let body = json!({"bag_id": bag, "contact": checkout_body("x")["contact"].clone(), "delivery": delivery});
    app.post_json("/api/v1/checkout/preview", &body).await
}

async fn on_hand(app: &TestApp, sku: &str) -> u32 {
    app.store.on_hand(sku).await.expect("stock")
}

on_both_databases! {
    async fn a_guest_pays_by_card_and_the_order_is_confirmed_once(backend) {
        let app = spawn_app(backend).await;
        let (sku, product) = online_below(&app, 3_000_000).await;
        let before = on_hand(&app, &sku).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let response = app.checkout("first-try", &checkout_body(&bag)).await;
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.expect("order");
        assert_eq!(order["status"], "confirmed");
        let number = order["number"].as_str().expect("number");
        assert!(number.starts_with("MV-") && number.len() == 14, "{number}");
        assert_eq!(order["payment"], json!({"method": "card", "brand": "visa", "last4": "4242"}));
        assert_eq!(order["total"], product["price"]);
        assert_eq!(order["carrier"], "fedex");
        assert_eq!(order["estimate"], json!({"min_business_days": 2, "max_business_days": 5}));
        let statuses: Vec<&str> = order["timeline"].as_array().expect("timeline").iter().map(|e| e["status"].as_str().unwrap_or("")).collect();
        assert_eq!(statuses, ["placed", "confirmed"]);
        assert_eq!(on_hand(&app, &sku).await, before - 1);
        assert_eq!(app.simulator.authorisation_count(), 1);
        let (_, bag_after) = app.get_json(&format!("/api/v1/bags/{bag}")).await;
        assert_eq!(bag_after["item_count"], 0, "the bag is emptied");
        // The stored card is brand, last 4, expiry and name: never the number.
        let stored = app.store.order_by_number(number).await.expect("read").expect("order");
        let card = stored.payment.card().expect("card").clone();
        assert_eq!((card.brand.as_str(), card.last4.as_str()), ("visa", "4242"));
        assert!(card.token.as_deref().is_some_and(|t| !t.contains("4242424242424242")));
        app.stop().await;
    }

    async fn sixth_creation_is_refused_with_client_relations_contact_on_every_path(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        app.store.set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 20).await.expect("stock");
        let bag = app.bag_with(&[]).await;
        let body = assert_problem(add(&app, &bag, json!({"sku": sku, "quantity": 6})).await, 409, "order_item_limit").await;
        assert!(body["detail"].as_str().expect("detail").contains("1-800-555-0142"));
        assert_eq!(body["field"], "quantity");
        assert_eq!(add(&app, &bag, json!({"sku": sku, "quantity": 3})).await.status(), 200);
        assert_problem(add(&app, &bag, json!({"sku": sku, "quantity": 3})).await, 409, "order_item_limit").await;
        assert_eq!(add(&app, &bag, json!({"sku": sku, "quantity": 2})).await.status(), 200, "five in all is allowed");
        let (_, current) = app.get_json(&format!("/api/v1/bags/{bag}")).await;
        assert_eq!(current["item_count"], 5);
        let line = current["lines"][0]["id"].as_str().expect("line").to_owned();
        let patch = app
            .http
            .patch(format!("{}/api/v1/bags/{bag}/lines/{line}", app.url))
            .json(&json!({"quantity": 6}))
            .send()
            .await
            .expect("sent");
        assert_problem(patch, 409, "order_item_limit").await;
        let patch = app.http.patch(format!("{}/api/v1/bags/{bag}/lines/{line}", app.url)).json(&json!({"quantity": 0})).send().await.expect("sent");
        assert_problem(patch, 422, "invalid_quantity").await;
        let delete = app.http.delete(format!("{}/api/v1/bags/{bag}/lines/{line}", app.url)).send().await.expect("sent");
        assert_eq!(delete.status(), 200);
        let (_, current) = app.get_json(&format!("/api/v1/bags/{bag}")).await;
        assert_eq!(current["item_count"], 0);
        app.stop().await;
    }

    async fn creations_that_cannot_be_bought_online_are_refused_with_their_code(backend) {
        let app = spawn_app(backend).await;
        let bag = app.bag_with(&[]).await;
        let (por, _) = sku_where(&app, |p| p["sale_mode"] == "price_on_request").await;
        assert_problem(add(&app, &bag, json!({"sku": por})).await, 409, "price_on_request").await;
        let (phone, _) = sku_where(&app, |p| p["sale_mode"] == "phone_only").await;
        let body = assert_problem(add(&app, &bag, json!({"sku": phone})).await, 409, "not_sold_online").await;
        assert!(body["detail"].as_str().expect("detail").contains("1-800-555-0142"));
        let (gone, _) = sku_where(&app, |p| p["sale_mode"] == "online" && p["availability"] == "temporarily_unavailable").await;
        assert_problem(add(&app, &bag, json!({"sku": gone})).await, 409, "temporarily_unavailable").await;
        assert_problem(add(&app, &bag, json!({"sku": "VAL-NOPE-1"})).await, 404, "product_not_found").await;
        assert_problem(add(&app, &bag, json!({"sku": 42})).await, 422, "invalid_request").await;
        assert_problem(add(&app, &bag, json!({"quantity": 1})).await, 422, "invalid_request").await;
        let raw = app.http.post(format!("{}/api/v1/bags/{bag}/lines", app.url)).header("content-type", "application/json").body("{not json").send().await.expect("sent");
        assert_problem(raw, 400, "malformed_json").await;
        assert_problem(app.post_json("/api/v1/bags/no-such-bag/lines", &json!({"sku": por})).await, 404, "bag_not_found").await;
        app.stop().await;
    }

    async fn personalisation_is_checked_and_final_sale_must_be_acknowledged(backend) {
        let app = spawn_app(backend).await;
        let (sku, product) = sku_where(&app, |p| {
            p["sale_mode"] == "online" && p["availability"] == "available"
                && p["personalisation"].as_array().is_some_and(|a| a.iter().any(|o| o["kind"] == "engraving"))
        }).await;
        let max = product["personalisation"][0]["max_characters_per_line"].as_u64().expect("max") as usize;
        let bag = app.bag_with(&[]).await;
        let too_long = "x".repeat(max + 1);
        let body = assert_problem(add(&app, &bag, json!({"sku": sku, "personalisation": {"kind": "engraving", "text": too_long}})).await, 422, "invalid_personalisation").await;
        assert_eq!(body["field"], "personalisation");
        assert_problem(add(&app, &bag, json!({"sku": sku, "personalisation": {"kind": "embossing", "text": "AB"}})).await, 422, "invalid_personalisation").await;
        assert_problem(add(&app, &bag, json!({"sku": sku, "personalisation": {"kind": "engraving", "text": "<b>hi</b>"}})).await, 422, "invalid_personalisation").await;
        assert_eq!(add(&app, &bag, json!({"sku": sku, "personalisation": {"kind": "engraving", "text": "For ever"}})).await.status(), 200);
        // The preview warns before checkout asks.
        let home = checkout_body("x")["delivery"].clone();
        let p: Value = preview(&app, &bag, home).await.json().await.expect("preview");
        let messages = p["messages"].as_array().expect("messages");
        assert!(messages.iter().any(|m| m.as_str().is_some_and(|m| m.contains("cannot be returned or exchanged"))), "{p}");

        let refused = app.checkout("no-ack", &checkout_body(&bag)).await;
        let body = assert_problem(refused, 409, "final_sale_not_acknowledged").await;
        assert_eq!(body["field"], "accept_final_sale");
        assert_eq!(app.simulator.authorisation_count(), 0);
        let mut acknowledged = checkout_body(&bag);
        acknowledged["accept_final_sale"] = json!(true);
        let response = app.checkout("no-ack", &acknowledged).await;
        assert_eq!(response.status(), 201, "a refused key may be used again once corrected");
        let order: Value = response.json().await.expect("order");
        assert_eq!(order["lines"][0]["final_sale"], true);
        assert_eq!(order["lines"][0]["personalisation"], json!({"kind": "engraving", "text": "For ever"}));
        app.stop().await;
    }

    async fn card_errors_charge_nothing_and_keep_the_stock(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let before = on_hand(&app, &sku).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let cases = [
            ("4242 4242 4242 4241", 12, 2031, "917", "CLAIRE DUBOIS", 422, "card_invalid", Some("number")),
            ("4242-4242-4242-424x", 12, 2031, "917", "CLAIRE DUBOIS", 422, "card_invalid", Some("number")),
            ("6200000000000005", 12, 2031, "917", "CLAIRE DUBOIS", 422, "card_brand_not_accepted", None),
            ("4242424242424242", 1, 2020, "917", "CLAIRE DUBOIS", 422, "card_expired", None),
            ("4242424242424242", 13, 2031, "917", "CLAIRE DUBOIS", 422, "card_invalid", Some("exp_month")),
            ("378282246310005", 12, 2031, "917", "CLAIRE DUBOIS", 422, "card_invalid", Some("cvc")),
            ("4242424242424242", 12, 2031, "917", "JEAN MARTIN", 422, "cardholder_mismatch", Some("holder_name")),
            ("4242424242424242", 12, 2031, "917", "Bob Dubois", 422, "cardholder_mismatch", Some("holder_name")),
        ];
        for (i, (number, month, year, cvc, holder, status, code, field)) in cases.into_iter().enumerate() {
            let mut body = checkout_body(&bag);
            body["payment"]["card"] = json!({"number": number, "exp_month": month, "exp_year": year, "cvc": cvc, "holder_name": holder});
            let problem = assert_problem(app.checkout(&format!("card-{i}"), &body).await, status, code).await;
            if let Some(field) = field {
                assert_eq!(problem["field"], field, "{code}");
            }
            let detail = problem["detail"].as_str().expect("detail");
            assert!(!detail.contains("4242424242424242"));
        }
        // A name of 64 KB that would still match is refused at the edge.
        let mut body = checkout_body(&bag);
        body["payment"]["card"]["holder_name"] = json!(format!("Claire {}Dubois", "M ".repeat(32_000)));
        let problem = assert_problem(app.checkout("card-long-name", &body).await, 422, "card_invalid").await;
        assert_eq!(problem["field"], "holder_name");
        assert_eq!(app.simulator.authorisation_count(), 0, "nothing charged");
        assert_eq!(on_hand(&app, &sku).await, before, "no stock lost");
        assert_eq!(app.store.count_orders(OrderStatus::Confirmed).await.expect("count"), 0);
        assert_eq!(app.store.count_orders(OrderStatus::PendingPayment).await.expect("count"), 0);
        // A middle name or initial may be left out on either side.
        let mut body = checkout_body(&bag);
        body["payment"]["card"]["holder_name"] = json!("Mrs Claire M. Dubois");
        assert_eq!(app.checkout("card-ok", &body).await.status(), 201);
        app.stop().await;
    }

    async fn a_declined_card_releases_the_stock_and_says_why(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let before = on_hand(&app, &sku).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        for (i, (number, field)) in [("4000000000000002", None), ("4000000000009995", None), ("4000000000000127", Some("cvc"))].into_iter().enumerate() {
            let mut body = checkout_body(&bag);
            body["payment"]["card"]["number"] = json!(number);
            let problem = assert_problem(app.checkout(&format!("decline-{i}"), &body).await, 402, "payment_declined").await;
            if let Some(field) = field {
                assert_eq!(problem["field"], field);
            }
            assert_eq!(on_hand(&app, &sku).await, before, "stock released after {number}");
            // The same key replays the same refusal, without a second attempt.
            let again = assert_problem(app.checkout(&format!("decline-{i}"), &body).await, 402, "payment_declined").await;
            assert_eq!(again["detail"], problem["detail"]);
        }
        assert_eq!(app.simulator.authorisation_count(), 0);
        assert_eq!(app.store.count_orders(OrderStatus::PaymentFailed).await.expect("count"), 3);
        let (_, bag_after) = app.get_json(&format!("/api/v1/bags/{bag}")).await;
        assert_eq!(bag_after["item_count"], 1, "the bag is kept to try another card");
        app.stop().await;
    }

    async fn the_carrier_follows_the_value_the_method_and_the_area(backend) {
        let app = spawn_app(backend).await;
        let (cheap, _) = online_below(&app, 1_000_000).await;
        let (dear, dear_product) = sku_where(&app, |p| p["sale_mode"] == "online" && p["availability"] == "available" && price_cents(p) > 3_000_000).await;
        let home = checkout_body("x")["delivery"].clone();
        let bag = app.bag_with(&[(&cheap, 1)]).await;
        let p: Value = preview(&app, &bag, home.clone()).await.json().await.expect("preview");
        assert_eq!(p["carrier"], "fedex");
        assert_eq!(p["estimate"]["max_business_days"], 5);
        let alaska = json!({"method": "home", "address": {"line1": "1 Main St", "city": "Anchorage", "region": "AK", "postal_code": "99501", "country": "US"}});
        let p: Value = preview(&app, &bag, alaska).await.json().await.expect("preview");
        assert_eq!(p["estimate"]["max_business_days"], 10, "out-of-delivery area: {p}");
        let pickup = app.get_json("/api/v1/boutiques?pickup=true").await.1["items"][0]["id"].as_str().expect("id").to_owned();
        let p: Value = preview(&app, &bag, json!({"method": "boutique", "boutique_id": pickup})).await.json().await.expect("preview");
        assert_eq!(p["carrier"], "boutique");
        // Every boutique takes deliveries, as the seed promises.
        let all = app.get_json("/api/v1/boutiques").await.1["items"].as_array().expect("items").clone();
        assert!(all.iter().all(|b| b["accepts_pickup"] == true), "every boutique accepts pickups");
        // Juneau's ZIP with New York's state: refused, naming the state.
        let mut juneau = home.clone();
        juneau["address"]["postal_code"] = json!("99801");
        let body = assert_problem(preview(&app, &bag, juneau).await, 422, "invalid_address").await;
        assert_eq!(body["field"], "delivery.address.postal_code");
        assert!(body["detail"].as_str().expect("detail").contains("New York"), "{body}");
        assert_problem(preview(&app, &bag, json!({"method": "boutique", "boutique_id": "atlantis"})).await, 422, "invalid_boutique").await;
        let work = json!({"method": "workplace", "address": home["address"].clone()});
        let body = assert_problem(preview(&app, &bag, work).await, 422, "company_required").await;
        assert_eq!(body["field"], "delivery.address.company");
        let mut bad_zip = home.clone();
        bad_zip["address"]["postal_code"] = json!("1001");
        let body = assert_problem(preview(&app, &bag, bad_zip).await, 422, "invalid_address").await;
        assert_eq!(body["field"], "delivery.address.postal_code");
        let mut wrong_province = home.clone();
        wrong_province["address"]["region"] = json!("ON");
        assert_problem(preview(&app, &bag, wrong_province).await, 422, "invalid_address").await;

        // Strictly over $30,000: the secure courier, and Client Relations instead of an estimate.
        let high = app.bag_with(&[(&dear, 1)]).await;
        let p: Value = preview(&app, &high, home.clone()).await.json().await.expect("preview");
        assert_eq!(p["carrier"], "secure_courier");
        assert!(p["estimate"].is_null());
        assert!(p["messages"][0].as_str().expect("message").contains("1-800-555-0142"));
        let response = app.checkout("high", &checkout_body(&high)).await;
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.expect("order");
        assert_eq!(order["carrier"], "secure_courier");
        assert_eq!(order["total"], dear_product["price"]);
        assert!(order["messages"][0].as_str().expect("message").contains("clientrelations@"));
        app.stop().await;
    }

    async fn the_same_key_gives_the_same_order_and_another_body_is_refused(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let body = checkout_body(&bag);
        let first: Value = app.checkout("same-key", &body).await.json().await.expect("order");
        let second = app.checkout("same-key", &body).await;
        assert_eq!(second.status(), 201);
        let second: Value = second.json().await.expect("order");
        assert_eq!(first["number"], second["number"]);
        assert_eq!(app.simulator.authorisation_count(), 1);
        let mut other = body.clone();
        other["contact"]["phone"] = json!("212-555-0199");
        assert_problem(app.checkout("same-key", &other).await, 422, "idempotency_key_reused").await;
        let missing = app.http.post(format!("{}/api/v1/checkout", app.url)).json(&body).send().await.expect("sent");
        assert_problem(missing, 400, "idempotency_key_required").await;
        app.stop().await;
    }

    async fn fifty_concurrent_checkouts_sell_exactly_the_three_in_stock(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        app.store.set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 3).await.expect("stock");
        let mut bags = Vec::new();
        for _ in 0..50 {
            bags.push(app.bag_with(&[(&sku, 1)]).await);
        }
        let app = std::sync::Arc::new(app);
        let tasks: Vec<_> = bags
            .into_iter()
            .enumerate()
            .map(|(i, bag)| {
                let app = std::sync::Arc::clone(&app);
                tokio::spawn(async move {
                    let response = app.checkout(&format!("rush-{i}"), &checkout_body(&bag)).await;
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.expect("json");
                    (status, body)
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match status {
                201 => created += 1,
                409 => assert_eq!(body["code"], "temporarily_unavailable", "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(created, 3);
        assert_eq!(on_hand(&app, &sku).await, 0);
        assert_eq!(app.store.count_orders(OrderStatus::Confirmed).await.expect("count"), 3);
        assert_eq!(app.simulator.authorisation_count(), 3);
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }

    async fn with_group_commit_concurrent_checkouts_and_declines_are_each_answered_after_their_commit(backend) {
        let app = common::spawn_app_configured(backend, Default::default(), std::sync::Arc::new(maison_app::clock::SystemClock), |raw| raw.group_commit = Some(true)).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        app.store.set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 5).await.expect("stock");
        // Thirty bags created and filled at once: their writes share commits too.
        let mut filling = tokio::task::JoinSet::new();
        let app = std::sync::Arc::new(app);
        for _ in 0..30 {
            let (app, sku) = (std::sync::Arc::clone(&app), sku.clone());
            filling.spawn(async move { app.bag_with(&[(&sku, 1)]).await });
        }
        let mut bags = Vec::new();
        while let Some(bag) = filling.join_next().await {
            bags.push(bag.expect("bag"));
        }
        // Every third client's card is declined; the others want the five left.
        let mut paying = tokio::task::JoinSet::new();
        for (i, bag) in bags.into_iter().enumerate() {
            let app = std::sync::Arc::clone(&app);
            paying.spawn(async move {
                let mut body = checkout_body(&bag);
                if i % 3 == 0 {
                    body["payment"]["card"]["number"] = json!("4000000000000002");
                }
                let response = app.checkout(&format!("group-{i}"), &body).await;
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("json");
                (i, status, body)
            });
        }
        let (mut confirmed, mut declined) = (Vec::new(), 0);
        while let Some(answer) = paying.join_next().await {
            let (i, status, body) = answer.expect("task");
            match (i % 3 == 0, status) {
                (true, 402) => {
                    assert_eq!(body["code"], "payment_declined", "{body}");
                    declined += 1;
                }
                (false, 201) => confirmed.push(body["number"].as_str().expect("number").to_owned()),
                // Sold out before the card was even tried, declined or not.
                (_, 409) => assert_eq!(body["code"], "temporarily_unavailable", "{body}"),
                other => panic!("client {i}: unexpected {other:?}: {body}"),
            }
        }
        // An answer is a commit: each confirmed order is there, with its
        // letters queued, and nothing else was sold or held. (A declined
        // card held a unit while it was tried: some clients were refused
        // then, and the unit came back after.)
        assert!(!confirmed.is_empty() && confirmed.len() <= 5, "{confirmed:?}");
        for number in &confirmed {
            let order = app.store.order_by_number(number).await.expect("read").expect("answered 201, so committed");
            assert_eq!(order.status, OrderStatus::Confirmed);
            let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
            assert!(letters.iter().any(|m| m.order_id.as_deref() == Some(order.id.as_str())), "order {number} has its letters");
        }
        assert_eq!(on_hand(&app, &sku).await as usize, 5 - confirmed.len());
        assert_eq!(app.simulator.authorisation_count(), confirmed.len());
        assert!(declined >= 1, "some declined card met stock to hold");
        assert_eq!(app.store.count_orders(OrderStatus::PaymentFailed).await.expect("count"), declined);
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }

    async fn concurrent_retries_of_one_checkout_make_one_order_and_one_authorisation(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        app.simulator.set_latency(std::time::Duration::from_millis(200));
        let app = std::sync::Arc::new(app);
        let body = checkout_body(&bag);
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (app, body) = (std::sync::Arc::clone(&app), body.clone());
                tokio::spawn(async move {
                    let response = app.checkout("retry-storm", &body).await;
                    (response.status().as_u16(), response.json::<Value>().await.expect("json"))
                })
            })
            .collect();
        let mut numbers = std::collections::HashSet::new();
        for task in tasks {
            let (status, body) = task.await.expect("task");
            assert_eq!(status, 201, "{body}");
            numbers.insert(body["number"].as_str().expect("number").to_owned());
        }
        assert_eq!(numbers.len(), 1);
        assert_eq!(app.simulator.authorisation_count(), 1);
        assert_eq!(app.store.count_orders(OrderStatus::Confirmed).await.expect("count"), 1);
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }

    async fn a_line_that_became_unavailable_is_marked_and_blocks_only_checkout(backend) {
        let app = spawn_app(backend).await;
        let (first, first_product) = online_below(&app, 3_000_000).await;
        let (second, _) = sku_where(&app, |p| {
            p["sale_mode"] == "online"
                && p["availability"] == "available"
                && p["personalisation"].as_array().is_some_and(|a| a.is_empty())
                && p["sku"] != first_product["sku"]
                && price_cents(p) < 3_000_000
        })
        .await;
        let bag = app.bag_with(&[(&first, 1)]).await;
        app.store.set_stock(&maison_domain::Sku::parse(&first).expect("sku"), 0).await.expect("stock");
        // Another creation can still be added, and its quantity changed.
        let response = add(&app, &bag, json!({"sku": second, "quantity": 1})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let mut marked = Value::Null;
        for _ in 0..100 {
            let (_, now) = app.get_json(&format!("/api/v1/bags/{bag}")).await;
            if now["lines"][0]["availability"] == "temporarily_unavailable" {
                marked = now;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(marked["lines"][0]["availability"], "temporarily_unavailable", "{marked}");
        assert_eq!(marked["lines"][1]["availability"], "available");
        let second_line = marked["lines"][1]["id"].as_str().expect("line id");
        let response = app.http.patch(format!("{}/api/v1/bags/{bag}/lines/{second_line}", app.url)).json(&json!({"quantity": 2})).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        // Checkout is what it blocks, until the line is removed.
        assert_problem(app.checkout("blocked", &checkout_body(&bag)).await, 409, "temporarily_unavailable").await;
        let first_line = marked["lines"][0]["id"].as_str().expect("line id");
        let response = app.http.delete(format!("{}/api/v1/bags/{bag}/lines/{first_line}", app.url)).send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(app.checkout("after-removal", &checkout_body(&bag)).await.status(), 201);
        app.stop().await;
    }

    async fn a_sized_creations_own_sku_asks_for_a_size(backend) {
        let app = spawn_app(backend).await;
        let sized = app.product_where(|p| p["sale_mode"] == "online" && p["variants"][0]["size"].is_string()).await;
        let bag = app.bag_with(&[]).await;
        let problem = assert_problem(add(&app, &bag, json!({"sku": sized["sku"], "quantity": 1})).await, 422, "size_required").await;
        assert_eq!(problem["field"], "sku");
        assert!(problem["detail"].as_str().expect("detail").contains(sized["name"].as_str().expect("name")));
        app.stop().await;
    }

    async fn a_stored_order_that_cannot_be_read_is_an_error_naming_it_never_a_panic(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let order: Value = app.checkout("corrupt", &checkout_body(&bag)).await.json().await.expect("order");
        let number = order["number"].as_str().expect("number");
        sqlx::query("UPDATE orders SET country = 'FR' WHERE number = $1").bind(number).execute(app.store.pool()).await.expect("update");
        let err = app.store.order_by_number(number).await.expect_err("unreadable");
        assert!(err.to_string().contains(number) && err.to_string().contains("FR"), "{err}");
        // The client gets a problem, not a dropped connection.
        let response = app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "claire@example.com"})).await;
        assert_problem(response, 500, "internal_error").await;
        sqlx::query("UPDATE orders SET country = 'US' WHERE number = $1").bind(number).execute(app.store.pool()).await.expect("update");
        app.store.order_by_number(number).await.expect("readable again");
        // A line's values are refused, not read as something else: an unknown
        // personalisation is not "none" (a final-sale piece would become
        // returnable), nor an expiry month 0 as a month. (A quantity below 1 is
        // refused by the schema itself.)
        let order_id = app.store.order_by_number(number).await.expect("read").expect("order").id;
        for (corruption, restore, named) in [
            ("UPDATE order_lines SET personalisation_kind = 'etching' WHERE order_id = $1", "UPDATE order_lines SET personalisation_kind = NULL WHERE order_id = $1", "etching"),
            ("UPDATE orders SET card_exp_month = 0 WHERE id = $1", "UPDATE orders SET card_exp_month = 12 WHERE id = $1", "card_exp_month"),
        ] {
            sqlx::query(corruption).bind(&order_id).execute(app.store.pool()).await.expect("corrupt");
            let err = app.store.order_by_number(number).await.expect_err("unreadable");
            assert!(err.to_string().contains(number) && err.to_string().contains(named), "{err}");
            sqlx::query(restore).bind(&order_id).execute(app.store.pool()).await.expect("restore");
        }
        app.store.order_by_number(number).await.expect("readable again");
        app.stop().await;
    }

    async fn each_letter_goes_by_its_channel_and_a_channel_without_a_sender_waits(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let order: Value = app.checkout("channels", &checkout_body(&bag)).await.json().await.expect("order");
        let order_id = app.store.order_by_number(order["number"].as_str().expect("number")).await.expect("read").expect("order").id;
        // A document queued for the fax channel, as the console will.
        let fax = maison_store::outbox::OutboxMessage {
            id: "fax-1".into(),
            kind: "confirmation".into(),
            channel: "fax".into(),
            order_id: Some(order_id.clone()),
            recipient: "+1 212 555 0100".into(),
            subject: "Confirmation".into(),
            text_body: "Your order is confirmed.".into(),
            html_body: String::new(),
            status: "pending".into(),
            attempts: 0,
            last_error: None,
        };
        let mut tx = app.store.begin_write().await.expect("tx");
        maison_store::outbox::enqueue(&mut tx, &fax, maison_app::clock::now_micros()).await.expect("queued");
        tx.commit().await.expect("commit");
        let messages = outbox_once(&app, &order_id, 20, |m| {
            m.iter().filter(|m| m.channel == "email").all(|m| m.status == "sent")
                && m.iter().any(|m| m.channel == "fax" && m.attempts > 0)
        })
        .await;
        let fax = messages.iter().find(|m| m.channel == "fax").expect("the fax letter");
        assert_eq!(fax.status, "pending", "kept, to go once a fax sender exists");
        assert!(fax.last_error.as_deref().is_some_and(|e| e.contains("fax")), "{fax:?}");
        app.stop().await;
    }

    async fn an_order_to_an_out_of_delivery_area_says_so_after_payment_too(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = checkout_body(&bag);
        body["delivery"] = json!({"method": "home", "address": {"line1": "1 Main St", "city": "Anchorage", "region": "AK", "postal_code": "99501", "country": "US"}});
        let preview_messages = preview(&app, &bag, body["delivery"].clone()).await.json::<Value>().await.expect("preview")["messages"].clone();
        let response = app.checkout("alaska", &body).await;
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.expect("order");
        // The order answers what the preview said, out-of-area sentence included.
        assert_eq!(order["messages"], preview_messages);
        assert!(order["messages"].to_string().contains("out-of-delivery area"), "{order}");
        let number = order["number"].as_str().expect("number");
        let status: Value = app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "claire@example.com"})).await.json().await.expect("status");
        assert!(status["messages"].to_string().contains("out-of-delivery area"), "{status}");
        // And so do the letters.
        let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
        let confirmation = letters.iter().find(|m| m.kind == "confirmation").expect("confirmation");
        assert!(confirmation.text_body.contains("out-of-delivery area"), "{}", confirmation.text_body);
        assert!(confirmation.text_body.contains("5–10 business days"), "{}", confirmation.text_body);
        app.stop().await;
    }

    async fn ten_concurrent_checkouts_of_one_bag_with_different_keys_make_one_order(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let before = on_hand(&app, &sku).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        // Slow enough that every request is under way while the first pays.
        app.simulator.set_latency(std::time::Duration::from_millis(100));
        let app = std::sync::Arc::new(app);
        let body = checkout_body(&bag);
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let (app, body) = (std::sync::Arc::clone(&app), body.clone());
                tokio::spawn(async move {
                    let response = app.checkout(&format!("tab-{i}"), &body).await;
                    (response.status().as_u16(), response.json::<Value>().await.expect("json"))
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match status {
                201 => created += 1,
                409 => assert_eq!(body["code"], "bag_checked_out", "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(created, 1, "a bag becomes one order");
        assert_eq!(app.simulator.authorisation_count(), 1, "one authorisation");
        assert_eq!(app.store.count_orders(OrderStatus::Confirmed).await.expect("count"), 1);
        assert_eq!(app.store.count_orders(OrderStatus::PendingPayment).await.expect("count"), 0);
        assert_eq!(on_hand(&app, &sku).await, before - 1, "one unit sold");
        // Later, with yet another key: still refused, and the bag no longer changes.
        assert_problem(app.checkout("later", &body).await, 409, "bag_checked_out").await;
        assert_problem(add(&app, &bag, json!({"sku": sku, "quantity": 1})).await, 409, "bag_checked_out").await;
        assert_eq!(app.simulator.authorisation_count(), 1);
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }

    async fn a_declined_payment_gives_the_bag_back_for_another_card(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut declined = checkout_body(&bag);
        declined["payment"]["card"]["number"] = json!("4000000000000002");
        assert_problem(app.checkout("declined", &declined).await, 402, "payment_declined").await;
        // The declined attempt's letter says what happened, and only that.
        let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
        let kinds: Vec<&str> = letters.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["order_not_placed"], "{letters:?}");
        assert!(letters[0].text_body.contains("nothing was charged"), "{}", letters[0].text_body);
        let response = app.checkout("another-card", &checkout_body(&bag)).await;
        assert_eq!(response.status(), 201);
        // The paid order's acknowledgement promises no later confirmation: it
        // is written when the payment is already secured.
        let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
        let ack = letters.iter().find(|m| m.kind == "acknowledgement").expect("acknowledgement");
        assert!(ack.text_body.contains("Your payment has been secured"), "{}", ack.text_body);
        assert!(!ack.text_body.contains("as soon as your order is confirmed"));
        assert!(letters.iter().any(|m| m.kind == "confirmation"));
        assert_problem(app.checkout("third", &checkout_body(&bag)).await, 409, "bag_checked_out").await;
        app.stop().await;
    }

    async fn a_payment_in_doubt_is_resolved_by_asking_the_processor(backend) {
        let app = spawn_app(backend).await;
        let (sku, _) = online_below(&app, 3_000_000).await;
        let before = on_hand(&app, &sku).await;

        // The processor charged but the answer was lost: sync finds it.
        let bag = app.bag_with(&[(&sku, 1)]).await;
        app.simulator.fail_next(FailureMode::TimeoutAfterProcessing, 1);
        let response = app.checkout("lost-answer", &checkout_body(&bag)).await;
        assert_eq!(response.status(), 201);
        assert_eq!(app.simulator.authorisation_count(), 1);

        // The request never reached the processor: nothing charged, stock back.
        let bag = app.bag_with(&[(&sku, 1)]).await;
        app.simulator.fail_next(FailureMode::TimeoutBeforeProcessing, 1);
        assert_problem(app.checkout("never-sent", &checkout_body(&bag)).await, 503, "payment_unavailable").await;
        assert_eq!(on_hand(&app, &sku).await, before - 1);

        // The processor is down for the call and the check: the order waits,
        // then the recovery task resolves it and the retry gets the outcome.
        app.simulator.fail_next(FailureMode::TimeoutAfterProcessing, 1);
        app.simulator.fail_next(FailureMode::Unavailable, 1);
        assert_problem(app.checkout("in-doubt", &checkout_body(&bag)).await, 503, "payment_in_doubt").await;
        assert_eq!(app.store.count_orders(OrderStatus::PendingPayment).await.expect("count"), 1);
        assert_eq!(on_hand(&app, &sku).await, before - 2, "held while in doubt");
        let resolved = app.maison().resolve_stuck_payments(0).await.expect("recovery");
        assert_eq!(resolved, 1);
        assert_eq!(app.store.count_orders(OrderStatus::PendingPayment).await.expect("count"), 0);
        let response = app.checkout("in-doubt", &checkout_body(&bag)).await;
        assert_eq!(response.status(), 201, "it had been charged: the order is confirmed");
        assert_eq!(app.simulator.authorisation_count(), 2, "never charged twice");
        app.stop().await;
    }
}

/// The order's outbox messages once `done` holds for them (the worker
/// delivers just after the server answers), within `seconds`.
async fn outbox_once(
    app: &TestApp,
    order_id: &str,
    seconds: u64,
    done: impl Fn(&[maison_store::outbox::OutboxMessage]) -> bool,
) -> Vec<maison_store::outbox::OutboxMessage> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let messages = app.store.messages_of_order(order_id).await.expect("outbox");
        if done(&messages) {
            return messages;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox never got there: {messages:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The demo maison on SQLite, sending mail to `sink` over plain SMTP.
async fn app_mailing_to(sink: &maison_testkit::SmtpSink) -> TestApp {
    common::spawn_app_with(
        maison_testkit::Backend::Sqlite,
        maison::config::RawMail {
            smtp_host: Some("127.0.0.1".into()),
            smtp_port: Some(sink.port()),
            smtp_security: Some("none".into()),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_and_acknowledgement_are_delivered_through_smtp() {
    let sink = maison_testkit::SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let (sku, product) = online_below(&app, 3_000_000).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let order: Value = app
        .checkout("mail", &checkout_body(&bag))
        .await
        .json()
        .await
        .expect("order");
    let number = order["number"].as_str().expect("number");
    let mails = sink.wait_for(2, std::time::Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        assert_eq!(mail.to, ["claire@example.com"]);
        assert!(
            mail.data.contains(number),
            "the order number is in every message"
        );
        assert!(mail.data.contains("1-800-555-0142"));
        assert!(
            mail.data.contains(product["name"].as_str().expect("name"))
                || mail.data.contains("=\r\n")
        );
        assert!(!mail.data.contains("4242424242424242"));
    }
    let subjects: Vec<&str> = mails.iter().map(|m| m.data.as_str()).collect();
    assert!(subjects.iter().any(|d| d.contains("We have received")));
    assert!(subjects.iter().any(|d| d.contains("is confirmed")));
    let stored = app
        .store
        .order_by_number(number)
        .await
        .expect("read")
        .expect("order");
    let messages = outbox_once(&app, &stored.id, 10, |m| {
        m.len() == 2 && m.iter().all(|m| m.status == "sent")
    })
    .await;
    assert_eq!(messages.len(), 2);
    assert_eq!(delivery_messages(app.maison(), &stored).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_mail_server_refuses_is_kept_and_retried_or_kept_as_failed() {
    let sink = maison_testkit::SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    sink.reject_next(1, 451);
    sink.reject_next(1, 550);
    let (sku, _) = online_below(&app, 3_000_000).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let order: Value = app
        .checkout("refused-mail", &checkout_body(&bag))
        .await
        .json()
        .await
        .expect("order");
    let stored = app
        .store
        .order_by_number(order["number"].as_str().expect("number"))
        .await
        .expect("read")
        .expect("order");
    let messages = outbox_once(&app, &stored.id, 15, |m| {
        !m.is_empty() && m.iter().all(|m| m.attempts > 0)
    })
    .await;
    let statuses: Vec<&str> = messages.iter().map(|m| m.status.as_str()).collect();
    assert!(
        statuses.contains(&"pending"),
        "the 451 one waits for a retry: {statuses:?}"
    );
    assert!(
        statuses.contains(&"failed"),
        "the 550 one is kept as failed: {statuses:?}"
    );
    assert!(messages.iter().all(|m| m.last_error.is_some()));
    app.stop().await;
}

on_both_databases! {
    async fn an_authorisation_arriving_after_recovery_gave_up_is_released_at_once(backend) {
        let app = spawn_app(backend).await;
        let sku = common::plain_sku(&app).await;
        let before = on_hand(&app, &sku).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        // A slow processor: it places the hold after the maison's recovery
        // has asked about it and heard of nothing.
        app.simulator.set_latency(std::time::Duration::from_millis(800));
        let recovery = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            app.simulator.set_latency(std::time::Duration::ZERO);
            app.maison().resolve_stuck_payments(0).await.expect("recovery")
        };
        let body = checkout_body(&bag);
        let (response, resolved) = tokio::join!(app.checkout("slow", &body), recovery);
        assert_eq!(resolved, 1, "recovery gave the order up");
        assert_problem(response, 503, "payment_unavailable").await;
        let order = app.store.order_by_number(
            app.simulator.ledger_snapshot().first().expect("the late hold").reference.as_str(),
        ).await.expect("read").expect("the order");
        assert_eq!(order.status, OrderStatus::PaymentFailed);
        assert_eq!(on_hand(&app, &sku).await, before, "the stock came back");
        // The hold placed late is released, not left on the client's card.
        let payments = app.simulator.ledger_snapshot();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].state, maison_payments::PaymentState::Voided);
        let found = app.maison().reconcile().await.expect("reconciled");
        assert!(found.mismatches.is_empty(), "{:?}", found.mismatches);
        app.stop().await;
    }

    async fn random_processor_faults_never_charge_twice_nor_leave_a_payment_unknown(backend) {
        let app = spawn_app(backend).await;
        let sku = common::plain_sku(&app).await;
        app.simulator.set_fault_rates(maison_payments::FaultRates {
            timeout_before_processing: 0.2,
            timeout_after_processing: 0.2,
            unavailable: 0.2,
        });
        let mut answers = Vec::new();
        for i in 0..20 {
            let bag = app.bag_with(&[(&sku, 1)]).await;
            let response = app.checkout(&format!("faulty-{i}"), &checkout_body(&bag)).await;
            answers.push(response.status().as_u16());
        }
        assert!(answers.iter().all(|s| matches!(s, 201 | 503)), "{answers:?}");
        // The processor recovers; so do the payments left in doubt.
        app.simulator.set_fault_rates(maison_payments::FaultRates::default());
        app.maison().resolve_stuck_payments(0).await.expect("recovery");
        app.maison().resend_pending_voids(0).await.expect("voids");
        let found = app.maison().reconcile().await.expect("reconciled");
        assert!(found.mismatches.is_empty(), "{:?}", found.mismatches);
        assert_eq!(app.store.count_orders(OrderStatus::PendingPayment).await.expect("count"), 0);
        let confirmed = app.store.count_orders(OrderStatus::Confirmed).await.expect("count");
        let held = app
            .simulator
            .ledger_snapshot()
            .iter()
            .filter(|p| p.state == maison_payments::PaymentState::Authorised)
            .count();
        assert_eq!(held as i64, confirmed, "one hold per confirmed order, none for the others");
        assert!(answers.iter().filter(|s| **s == 201).count() as i64 <= confirmed);
        app.stop().await;
    }
}

on_both_databases! {
    async fn reconciliation_names_a_hold_that_no_order_keeps(backend) {
        let app = spawn_app(backend).await;
        let sku = common::plain_sku(&app).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let placed: Value = app.checkout("kept", &checkout_body(&bag)).await.json().await.expect("order");
        assert!(app.maison().reconcile().await.expect("reconciled").mismatches.is_empty());
        // A hold the processor placed for a reference the maison never wrote.
        use maison_payments::PaymentGateway;
        let card = maison_payments::CardDetails {
            number: maison_payments::CardSecret::new("4242424242424242".into()),
            cvc: maison_payments::CvcSecret::new("123".into()),
            exp_month: 12,
            exp_year: 2040,
            holder_name: "Claire Dubois".into(),
            brand: maison_domain::card::CardBrand::Visa,
        };
        app.simulator
            .authorise(maison_payments::AuthoriseRequest {
                idempotency_key: "stray",
                amount: maison_domain::Money::usd_dollars(10),
                card: &card,
                reference: "MV-NONE-0000",
            })
            .await
            .expect("authorised");
        let found = app.maison().reconcile().await.expect("reconciled");
        assert_eq!(found.mismatches.len(), 1, "{:?}", found.mismatches);
        let text = found.mismatches[0].to_string();
        assert!(text.contains("MV-NONE-0000") && text.contains("no order"), "{text}");
        assert_eq!(found.orders, 1, "{}", placed["number"]);
        app.stop().await;
    }
}
