//! The staff API over real HTTP, on SQLite and PostgreSQL: staff tokens, one
//! permission table, the order lifecycle (cancel before processing, process),
//! and the audit log.

mod common;

use common::{TestApp, assert_problem, checkout_body, plain_sku, spawn_app};
use maison_app::actor::Actor;
use maison_domain::order::OrderStatus;
use maison_payments::PaymentState;
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

/// A staff member with `role`, and their bearer token.
async fn staff(app: &TestApp, email: &str, role: &str) -> String {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, "Test Member", role)
        .await
        .expect("member added");
    app.maison()
        .new_staff_token(&operator, email)
        .await
        .expect("token")
        .expose()
        .to_owned()
}

struct Team {
    ambassador: String,
    advisor: String,
    fulfilment: String,
    admin: String,
}

async fn team(app: &TestApp) -> Team {
    Team {
        ambassador: staff(app, "ambassador@maison.example", "ambassador").await,
        advisor: staff(app, "advisor@maison.example", "prestige_advisor").await,
        fulfilment: staff(app, "fulfilment@maison.example", "fulfilment").await,
        admin: staff(app, "admin@maison.example", "admin").await,
    }
}

/// A confirmed guest order of one unit of `sku`.
async fn confirmed_order(app: &TestApp, sku: &str, key: &str) -> String {
    let bag = app.bag_with(&[(sku, 1)]).await;
    let response = app.checkout(key, &checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("order");
    order["number"].as_str().expect("number").to_owned()
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.with_token(method, path, token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn json_of_lookup(app: &TestApp, number: &str) -> (u16, Value) {
    let response = app
        .post_json(
            "/api/v1/order-lookup",
            &json!({"number": number, "email": "claire@example.com"}),
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn staff_routes_need_a_staff_token_and_the_right_role(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let number = confirmed_order(&app, &sku, "roles").await;
        let team = team(&app).await;
        // No token, a wrong token, a client's session.
        assert_problem(app.get("/api/v1/orders").await, 401, "unauthenticated").await;
        assert_problem(app.with_token(Method::GET, "/api/v1/orders", "not-a-token").send().await.expect("sent"), 401, "unauthenticated").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        assert_problem(app.with_token(Method::GET, "/api/v1/orders", &client).send().await.expect("sent"), 403, "forbidden").await;
        assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{number}/cancel"), &client).json(&json!({"reason": "x"})).send().await.expect("sent"), 403, "forbidden").await;
        // Every role reads orders; only admins read the audit log.
        for token in [&team.ambassador, &team.advisor, &team.fulfilment, &team.admin] {
            let (status, list) = call(&app, Method::GET, "/api/v1/orders", token, None).await;
            assert_eq!(status, 200, "{list}");
            assert!(list["items"].as_array().expect("items").iter().any(|o| o["number"] == number.as_str()));
            let (status, order) = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), token, None).await;
            assert_eq!(status, 200, "{order}");
            assert_eq!(order["payment_state"], "authorised");
        }
        for token in [&team.ambassador, &team.advisor, &team.fulfilment] {
            assert_problem(app.with_token(Method::GET, "/api/v1/audit-events", token).send().await.expect("sent"), 403, "forbidden").await;
        }
        assert_eq!(call(&app, Method::GET, "/api/v1/audit-events", &team.admin, None).await.0, 200);
        // Fulfilment may not cancel; Client Relations may not process.
        assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{number}/cancel"), &team.fulfilment).json(&json!({"reason": "x"})).send().await.expect("sent"), 403, "forbidden").await;
        assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{number}/process"), &team.ambassador).send().await.expect("sent"), 403, "forbidden").await;
        assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{number}/process"), &team.advisor).send().await.expect("sent"), 403, "forbidden").await;
        assert_eq!(app.store.order_by_number(&number).await.expect("read").expect("order").status, OrderStatus::Confirmed, "nothing changed");
        // A disabled member's token stops working at once.
        app.maison().disable_staff(&Actor::System("test"), "ambassador@maison.example").await.expect("disabled");
        assert_problem(app.with_token(Method::GET, "/api/v1/orders", &team.ambassador).send().await.expect("sent"), 401, "unauthenticated").await;
        app.stop().await;
    }

    async fn client_relations_cancel_before_processing_and_the_stock_can_be_bought_again(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        app.store.set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 1).await.expect("stock");
        let number = confirmed_order(&app, &sku, "first").await;
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), 0);
        let team = team(&app).await;
        let path = format!("/api/v1/orders/{number}/cancel");
        // Without its reason: refused, nothing changed.
        let p = assert_problem(app.with_token(Method::POST, &path, &team.advisor).json(&json!({})).send().await.expect("sent"), 422, "invalid_reason").await;
        assert_eq!(p["field"], "reason");
        let p = assert_problem(app.with_token(Method::POST, &path, &team.advisor).send().await.expect("sent"), 422, "invalid_reason").await;
        assert_eq!(p["field"], "reason");
        let (status, order) = call(&app, Method::POST, &path, &team.advisor, Some(json!({"reason": "The client ordered twice"}))).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["status"], "cancelled");
        assert_eq!(order["payment_state"], "voided");
        let last = order["timeline"].as_array().expect("timeline").last().expect("event").clone();
        assert_eq!(last["status"], "cancelled");
        assert_eq!(last["actor"], "staff:advisor@maison.example");
        // The reason is the staff's (audit log); the client reads a plain note.
        assert!(!last["note"].as_str().expect("note").contains("The client ordered twice"));
        let (_, seen) = json_of_lookup(&app, &number).await;
        assert!(!seen.to_string().contains("ordered twice"), "{seen}");
        // The hold is released at the processor, the client told by letter.
        let ledger = app.simulator.ledger_snapshot();
        assert_eq!(ledger.iter().find(|p| p.reference == number).map(|p| p.state), Some(PaymentState::Voided));
        let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
        assert!(letters.iter().any(|m| m.kind == "order_cancelled" && m.subject.contains(&number)), "{letters:?}");
        // Cancelling again answers the order unchanged.
        let (status, again) = call(&app, Method::POST, &path, &team.admin, Some(json!({"reason": "again"}))).await;
        assert_eq!(status, 200);
        assert_eq!(again["timeline"].as_array().map(Vec::len), order["timeline"].as_array().map(Vec::len));
        // The unit is back, and can be bought again.
        assert_eq!(app.store.on_hand(&sku).await.expect("stock"), 1);
        let _ = app.eventually_json(&format!("/api/v1/products/{sku}"), |p| p["availability"] == "available").await;
        confirmed_order(&app, &sku, "second").await;
        // The audit log has the cancellation, by whom and why.
        let (status, log) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &team.admin, None).await;
        assert_eq!(status, 200, "{log}");
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{log}");
        assert_eq!(items[0]["action"], "order.cancel");
        assert_eq!(items[0]["actor"], json!({"kind": "staff", "email": "advisor@maison.example", "role": "prestige_advisor"}));
        assert_eq!(items[0]["details"]["reason"], "The client ordered twice");
        app.stop().await;
    }

    async fn a_void_the_processor_did_not_answer_is_sent_again_by_recovery(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let number = confirmed_order(&app, &sku, "void-later").await;
        let team = team(&app).await;
        // The processor does not answer the void: the order is cancelled, the
        // void waits, and nothing is lost.
        app.simulator.fail_next(maison_payments::FailureMode::Unavailable, 1);
        let (status, order) = call(&app, Method::POST, &format!("/api/v1/orders/{number}/cancel"), &team.ambassador, Some(json!({"reason": "changed her mind"}))).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["status"], "cancelled");
        assert_eq!(order["payment_state"], "void_pending");
        let held = |app: &TestApp| app.simulator.ledger_snapshot().into_iter().find(|p| p.reference == number).map(|p| p.state);
        assert_eq!(held(&app), Some(PaymentState::Authorised), "still held");
        // Recovery sends it again, under the same key.
        assert_eq!(app.maison().resend_pending_voids(0).await.expect("recovery"), 1);
        assert_eq!(held(&app), Some(PaymentState::Voided));
        let (_, order) = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), &team.ambassador, None).await;
        assert_eq!(order["payment_state"], "voided");
        app.stop().await;
    }

    async fn a_processed_order_can_no_longer_be_cancelled_and_a_placed_one_cannot_be_processed(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let number = confirmed_order(&app, &sku, "process").await;
        let team = team(&app).await;
        let (status, order) = call(&app, Method::POST, &format!("/api/v1/orders/{number}/process"), &team.fulfilment, None).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["status"], "processing");
        assert_eq!(order["modifiable"], false);
        let p = assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{number}/cancel"), &team.ambassador).json(&json!({"reason": "too late"})).send().await.expect("sent"), 409, "order_not_modifiable").await;
        assert!(p["detail"].as_str().expect("detail").contains("Conditions of Sale"));
        // An order still waiting for its payment cannot be processed.
        let other = confirmed_order(&app, &sku, "placed").await;
        let order_id = app.store.order_by_number(&other).await.expect("read").expect("order").id;
        let mut tx = app.store.begin_write().await.expect("tx");
        sqlx::query("UPDATE orders SET status = 'placed' WHERE id = $1").bind(order_id.as_str()).execute(&mut *tx).await.expect("as placed");
        tx.commit().await.expect("commit");
        assert_problem(app.with_token(Method::POST, &format!("/api/v1/orders/{other}/process"), &team.admin).send().await.expect("sent"), 409, "invalid_transition").await;
        // Unknown numbers are 404, listing by status finds the processed one.
        assert_problem(app.with_token(Method::GET, "/api/v1/orders/MV-0000-0000-0", &team.admin).send().await.expect("sent"), 404, "order_not_found").await;
        let (_, list) = call(&app, Method::GET, "/api/v1/orders?status=processing", &team.admin, None).await;
        let numbers: Vec<&str> = list["items"].as_array().expect("items").iter().filter_map(|o| o["number"].as_str()).collect();
        assert_eq!(numbers, [number.as_str()]);
        assert_problem(app.with_token(Method::GET, "/api/v1/orders?status=lost", &team.admin).send().await.expect("sent"), 422, "invalid_status").await;
        app.stop().await;
    }

    async fn a_cancel_and_a_process_racing_on_one_order_leave_one_winner(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let team = team(&app).await;
        for round in 0..4 {
            let number = confirmed_order(&app, &sku, &format!("race-{round}")).await;
            let cancel = app.with_token(Method::POST, &format!("/api/v1/orders/{number}/cancel"), &team.ambassador).json(&json!({"reason": "race"})).send();
            let process = app.with_token(Method::POST, &format!("/api/v1/orders/{number}/process"), &team.fulfilment).send();
            let (cancel, process) = tokio::join!(cancel, process);
            let (cancel, process) = (cancel.expect("sent"), process.expect("sent"));
            let statuses = (cancel.status().as_u16(), process.status().as_u16());
            let status = app.store.order_by_number(&number).await.expect("read").expect("order").status;
            match statuses {
                (200, 409) => {
                    assert_eq!(status, OrderStatus::Cancelled);
                    let body: Value = process.json().await.expect("problem");
                    assert_eq!(body["code"], "invalid_transition", "{body}");
                }
                (409, 200) => {
                    assert_eq!(status, OrderStatus::Processing);
                    let body: Value = cancel.json().await.expect("problem");
                    assert_eq!(body["code"], "order_not_modifiable", "{body}");
                }
                other => panic!("exactly one wins, got {other:?}"),
            }
        }
        app.stop().await;
    }

    async fn every_staff_route_asks_who_is_asking_before_what_is_asked(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let number = confirmed_order(&app, &sku, "who").await;
        let client = app.client("Claire", "Dubois", "claire@example.com").await;
        // Every staff route, with a request that would be refused for itself
        // (a bad query, an empty body): the caller is judged first.
        let routes = [
            (Method::GET, "/api/v1/orders?limit=0&status=lost".to_owned(), None),
            (Method::GET, format!("/api/v1/orders/{number}"), None),
            (Method::POST, format!("/api/v1/orders/{number}/cancel"), Some(json!({}))),
            (Method::POST, format!("/api/v1/orders/{number}/process"), None),
            (Method::GET, "/api/v1/audit-events?limit=999&cursor=nonsense".to_owned(), None),
            (Method::GET, "/api/v1/outbox?limit=0".to_owned(), None),
        ];
        for (method, path, body) in routes {
            let mut anonymous = app.http.request(method.clone(), format!("{}{path}", app.url));
            let mut as_client = app.with_token(method.clone(), &path, &client);
            if let Some(body) = &body {
                anonymous = anonymous.json(body);
                as_client = as_client.json(body);
            }
            let p = assert_problem(anonymous.send().await.expect("sent"), 401, "unauthenticated").await;
            assert!(!p["detail"].as_str().unwrap_or("").is_empty(), "{method} {path}: {p}");
            assert_problem(as_client.send().await.expect("sent"), 403, "forbidden").await;
        }
        assert_eq!(app.store.order_by_number(&number).await.expect("read").expect("order").status, OrderStatus::Confirmed, "nothing changed");
        app.stop().await;
    }

    async fn staff_find_orders_by_e_mail_page_by_page_with_the_clients_open_requests(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let team = team(&app).await;
        let mut numbers = Vec::new();
        for i in 0..3 {
            numbers.push(confirmed_order(&app, &sku, &format!("page-{i}")).await);
        }
        // An order of somebody else, not found by Claire's address.
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = checkout_body(&bag);
        body["contact"]["email"] = json!("someone.else@example.com");
        assert_eq!(app.checkout("other", &body).await.status(), 201);
        // Any case and stray spaces find the client's orders; two per page.
        let mut seen = Vec::new();
        let mut path = "/api/v1/orders?email=%20CLAIRE@Example.com%20&limit=2".to_owned();
        loop {
            let (status, page) = call(&app, Method::GET, &path, &team.ambassador, None).await;
            assert_eq!(status, 200, "{page}");
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 2, "{page}");
            seen.extend(items.iter().map(|o| o["number"].as_str().expect("number").to_owned()));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/orders?email=claire@example.com&limit=2&cursor={cursor}"),
                None => break,
            }
        }
        let mut expected = numbers.clone();
        expected.sort();
        seen.sort();
        assert_eq!(seen, expected, "each of Claire's orders once, nobody else's");
        // A guest's request to cancel is among the order's open requests.
        let number = &numbers[0];
        let asked = app.post_json("/api/v1/order-lookup/requests", &json!({"number": number, "email": "claire@example.com", "kind": "cancellation", "message": "Ordered twice"})).await;
        assert_eq!(asked.status(), 201);
        let (_, order) = call(&app, Method::GET, &format!("/api/v1/orders/{number}"), &team.advisor, None).await;
        let open = order["open_requests"].as_array().expect("open_requests");
        assert_eq!(open.len(), 1, "{order}");
        assert_eq!((open[0]["kind"].as_str(), open[0]["status"].as_str(), open[0]["message"].as_str()), (Some("cancellation"), Some("open"), Some("Ordered twice")));
        let (_, other) = call(&app, Method::GET, &format!("/api/v1/orders/{}", numbers[1]), &team.advisor, None).await;
        assert_eq!(other["open_requests"], json!([]));
        app.stop().await;
    }

    async fn an_administrator_processes_an_order_and_the_audit_log_names_them_page_by_page(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let team = team(&app).await;
        let number = confirmed_order(&app, &sku, "admin-process").await;
        let other = confirmed_order(&app, &sku, "admin-cancel").await;
        let (status, order) = call(&app, Method::POST, &format!("/api/v1/orders/{number}/process"), &team.admin, None).await;
        assert_eq!((status, order["status"].as_str()), (200, Some("processing")), "{order}");
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/orders/{other}/cancel"), &team.admin, Some(json!({"reason": "Client called"}))).await;
        assert_eq!(status, 200);
        // The order's own events only, each naming the administrator.
        let (status, log) = call(&app, Method::GET, &format!("/api/v1/audit-events?subject=order:{number}"), &team.admin, None).await;
        assert_eq!(status, 200, "{log}");
        let items = log["items"].as_array().expect("items");
        assert!(!items.is_empty() && items.iter().all(|e| e["subject"] == format!("order:{number}")), "{log}");
        let processed = items.iter().find(|e| e["action"].as_str().is_some_and(|a| a.contains("process"))).expect("the processing is audited");
        assert_eq!(processed["actor"], json!({"kind": "staff", "email": "admin@maison.example", "role": "admin"}));
        // The whole log, one event per page, ends and repeats nothing.
        let mut ids = Vec::new();
        let mut path = "/api/v1/audit-events?limit=1".to_owned();
        while ids.len() < 100 {
            let (status, page) = call(&app, Method::GET, &path, &team.admin, None).await;
            assert_eq!(status, 200, "{page}");
            ids.extend(page["items"].as_array().expect("items").iter().map(|e| e["id"].as_str().expect("id").to_owned()));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/audit-events?limit=1&cursor={cursor}"),
                None => break,
            }
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{ids:?}");
        assert!(ids.len() >= 2 && ids.len() < 100, "{ids:?}");
        app.stop().await;
    }
}
