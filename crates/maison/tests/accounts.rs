//! Client accounts on SQLite and PostgreSQL: registration confirmed by e-mail
//! without revealing known addresses, throttled sign-in, sessions that end,
//! password reset links that work once, saved addresses, the order history,
//! cancellation requests, bag merging, and access control on every order route.

mod common;

use common::{
    PASSWORD, assert_problem, checkout_body, is_online_and, order_as, plain_sku, spawn_app,
};
use maison_testkit::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn registration_is_confirmed_by_e_mail_and_reveals_no_known_address(backend) {
        let app = spawn_app(backend).await;
        let first = app.register("Claire", "Dubois", "claire@example.com", PASSWORD).await;
        assert_eq!(first.status(), 202);
        let first: Value = first.json().await.expect("body");
        // Not an account until the address is proved.
        assert_problem(app.sign_in("claire@example.com", PASSWORD).await, 401, "invalid_credentials").await;
        let token = app.mail_token("claire@example.com", "registration").await;
        assert_eq!(token.len(), 64);
        // Someone who registered this address cannot have its owner confirm
        // an account whose password they know: the link asks for it again.
        let p = assert_problem(app.post_json("/api/v1/accounts/confirm", &json!({"token": token, "password": "the owner's own password"})).await, 422, "invalid_credentials").await;
        assert_eq!(p["field"], "password");
        let r = app.post_json("/api/v1/accounts/confirm", &json!({"token": token, "password": PASSWORD})).await;
        assert_eq!(r.status(), 201);
        let session: Value = r.json().await.expect("session");
        assert_eq!(session["account"]["email"], "claire@example.com");
        assert_eq!(session["token_type"], "Bearer");

        // The same registration again: the same answer, and a letter to the
        // owner instead of a second account.
        let again = app.register("Claire", "Dubois", "Claire@Example.com", "another long passphrase").await;
        assert_eq!(again.status(), 202);
        let again: Value = again.json().await.expect("body");
        assert_eq!(again["status"], first["status"]);
        let letters = app.store.messages_to("Claire@example.com").await.expect("outbox");
        assert!(letters.iter().any(|m| m.kind == "account_exists" && !m.text_body.contains("token=")), "{letters:?}");

        // The link works once; a forged one is refused.
        assert_problem(app.post_json("/api/v1/accounts/confirm", &json!({"token": token, "password": PASSWORD})).await, 410, "link_expired").await;
        assert_problem(app.post_json("/api/v1/accounts/confirm", &json!({"token": "0".repeat(64), "password": PASSWORD})).await, 400, "invalid_token").await;

        // The password policy, with the field at fault.
        let p = assert_problem(app.register("Jean", "Martin", "jean@example.com", "password123").await, 422, "password_too_common").await;
        assert_eq!(p["field"], "password");
        assert_problem(app.register("Jean", "Martin", "jean@example.com", "short").await, 422, "password_too_short").await;
        assert_problem(app.register("Jean", "Martin", "jean@example.com", &"é".repeat(300)).await, 422, "password_too_long").await;
        assert_problem(app.register("Jean", "Martin", "jean@example.com", "jean martin forever").await, 422, "password_contains_personal_details").await;
        let p = assert_problem(app.register("Jean", "Martin", "not-an-address", PASSWORD).await, 422, "invalid_email").await;
        assert_eq!(p["field"], "email");
        assert!(app.store.messages_to("jean@example.com").await.expect("outbox").is_empty(), "refused registrations send nothing");
        app.stop().await;
    }

    async fn sign_in_is_throttled_per_account_and_per_client_address(backend) {
        let app = spawn_app(backend).await;
        app.client("Claire", "Dubois", "claire@example.com").await;
        for _ in 0..5 {
            assert_problem(app.sign_in("claire@example.com", "not the password").await, 401, "invalid_credentials").await;
        }
        // Even the right password waits now, and the answer says how long.
        let r = app.sign_in("claire@example.com", PASSWORD).await;
        let retry_after: u64 = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        assert_problem(r, 429, "too_many_attempts").await;
        // Credential stuffing from one address: 20 failures in all, then nothing.
        for i in 0..15 {
            assert_problem(app.sign_in(&format!("someone{i}@example.com"), "guess").await, 401, "invalid_credentials").await;
        }
        assert_problem(app.sign_in("someone-else@example.com", "guess").await, 429, "too_many_attempts").await;
        app.stop().await;
    }

    async fn sessions_end_at_sign_out_and_at_a_password_change(backend) {
        let app = spawn_app(backend).await;
        let first = app.client("Claire", "Dubois", "claire@example.com").await;
        let (_, second) = json_of(app.sign_in("claire@example.com", PASSWORD).await).await;
        let second = second["token"].as_str().expect("token").to_owned();
        assert_ne!(first, second);

        let r = app.with_token(Method::DELETE, "/api/v1/sessions/current", &first).send().await.expect("sent");
        assert_eq!(r.status(), 204);
        assert_problem(app.with_token(Method::GET, "/api/v1/account", &first).send().await.expect("sent"), 401, "invalid_token").await;
        let (status, me) = json_of(app.with_token(Method::GET, "/api/v1/account", &second).send().await.expect("sent")).await;
        assert_eq!((status, me["first_name"].as_str()), (200, Some("Claire")));

        // A wrong current password changes nothing.
        let r = app.with_token(Method::PUT, "/api/v1/account/password", &second)
            .json(&json!({"current_password": "wrong", "new_password": "Quiet harbour lantern"})).send().await.expect("sent");
        let p = assert_problem(r, 422, "invalid_credentials").await;
        assert_eq!(p["field"], "current_password");
        let weak = app.with_token(Method::PUT, "/api/v1/account/password", &second)
            .json(&json!({"current_password": PASSWORD, "new_password": "iloveyou1"})).send().await.expect("sent");
        let p = assert_problem(weak, 422, "password_too_common").await;
        assert_eq!(p["field"], "new_password");
        let r = app.with_token(Method::PUT, "/api/v1/account/password", &second)
            .json(&json!({"current_password": PASSWORD, "new_password": "Quiet harbour lantern"})).send().await.expect("sent");
        let (status, rotated) = json_of(r).await;
        assert_eq!(status, 200);
        let rotated = rotated["token"].as_str().expect("a new token").to_owned();
        assert_problem(app.with_token(Method::GET, "/api/v1/account", &second).send().await.expect("sent"), 401, "invalid_token").await;
        assert_eq!(app.with_token(Method::GET, "/api/v1/account", &rotated).send().await.expect("sent").status(), 200);
        assert_problem(app.sign_in("claire@example.com", PASSWORD).await, 401, "invalid_credentials").await;
        assert_eq!(app.sign_in("claire@example.com", "Quiet harbour lantern").await.status(), 201);
        assert!(app.store.messages_to("claire@example.com").await.expect("outbox").iter().any(|m| m.kind == "password_changed"));

        // Without a token, and with a forged one.
        assert_problem(app.get("/api/v1/account").await, 401, "authentication_required").await;
        assert_problem(app.with_token(Method::GET, "/api/v1/account", "forged").send().await.expect("sent"), 401, "invalid_token").await;
        app.stop().await;
    }

    async fn a_session_ends_after_its_idle_and_its_absolute_timeout(backend) {
        let app = spawn_app(backend).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        assert_eq!(app.with_token(Method::GET, "/api/v1/account", &token).send().await.expect("sent").status(), 200);
        // 31 minutes without a request.
        let past = maison_app::clock::now_micros() - 31 * 60 * 1_000_000;
        sqlx::query("UPDATE sessions SET last_seen_at = $1")
            .bind(past)
            .execute(app.store.pool())
            .await
            .expect("update");
        assert_problem(app.with_token(Method::GET, "/api/v1/account", &token).send().await.expect("sent"), 401, "invalid_token").await;
        // And 12 hours after sign-in, however active.
        let (_, fresh) = json_of(app.sign_in("claire@example.com", PASSWORD).await).await;
        let fresh = fresh["token"].as_str().expect("token").to_owned();
        assert_eq!(app.with_token(Method::GET, "/api/v1/account", &fresh).send().await.expect("sent").status(), 200);
        sqlx::query("UPDATE sessions SET expires_at = $1")
            .bind(maison_app::clock::now_micros() - 1)
            .execute(app.store.pool())
            .await
            .expect("update");
        assert_problem(app.with_token(Method::GET, "/api/v1/account", &fresh).send().await.expect("sent"), 401, "invalid_token").await;
        app.stop().await;
    }

    async fn a_session_times_out_by_the_maison_s_clock_without_waiting(backend) {
        let clock = std::sync::Arc::new(maison_app::clock::FixedClock::at(maison_app::clock::now_micros()));
        let app = common::spawn_app_at(backend, clock.clone()).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let account = || app.with_token(Method::GET, "/api/v1/account", &token).send();
        // 29 minutes later the session is still alive, and the request keeps it so.
        clock.advance(29 * 60 * 1_000_000);
        assert_eq!(account().await.expect("sent").status(), 200);
        clock.advance(29 * 60 * 1_000_000);
        assert_eq!(account().await.expect("sent").status(), 200);
        // 31 idle minutes end it.
        clock.advance(31 * 60 * 1_000_000);
        assert_problem(account().await.expect("sent"), 401, "invalid_token").await;
        app.stop().await;
    }

    async fn a_password_reset_link_works_once_and_expires(backend) {
        let app = spawn_app(backend).await;
        let session = app.client("Claire", "Dubois", "claire@example.com").await;
        let (status, known) = json_of(app.post_json("/api/v1/password-resets", &json!({"email": "CLAIRE@example.com"})).await).await;
        assert_eq!(status, 202);
        let (status, unknown) = json_of(app.post_json("/api/v1/password-resets", &json!({"email": "nobody@example.com"})).await).await;
        assert_eq!((status, &unknown), (202, &known), "the same answer for a known and an unknown address");

        let token = app.mail_token("claire@example.com", "password_reset").await;
        // Once sent, the letter's link is not kept in the database.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let letters = app.store.messages_to("claire@example.com").await.expect("outbox");
            let reset = letters.iter().find(|m| m.kind == "password_reset").expect("the letter");
            if reset.status == "sent" {
                assert!(!reset.text_body.contains(&token) && !reset.html_body.contains(&token), "{reset:?}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never sent");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(app.store.messages_to("nobody@example.com").await.expect("outbox").is_empty());

        // A refused password leaves the link usable.
        let p = assert_problem(app.post_json("/api/v1/password-resets/complete", &json!({"token": token, "password": "qwerty123"})).await, 422, "password_too_common").await;
        assert_eq!(p["field"], "password");
        let r = app.post_json("/api/v1/password-resets/complete", &json!({"token": token, "password": "Quiet harbour lantern"})).await;
        assert_eq!(r.status(), 204);
        assert_problem(app.post_json("/api/v1/password-resets/complete", &json!({"token": token, "password": "Another quiet harbour"})).await, 410, "link_expired").await;
        assert_problem(app.post_json("/api/v1/password-resets/complete", &json!({"token": "f".repeat(64), "password": "Another quiet harbour"})).await, 400, "invalid_token").await;
        // Whoever held a session with the old password is signed out.
        assert_problem(app.with_token(Method::GET, "/api/v1/account", &session).send().await.expect("sent"), 401, "invalid_token").await;
        assert_eq!(app.sign_in("claire@example.com", "Quiet harbour lantern").await.status(), 201);

        // A link past its hour no longer works.
        app.post_json("/api/v1/password-resets", &json!({"email": "claire@example.com"})).await;
        let late = app.nth_mail_token("claire@example.com", "password_reset", 1).await;
        assert_ne!(late, token);
        sqlx::query("UPDATE account_tokens SET expires_at = 1 WHERE purpose = 'password_reset'")
            .execute(app.store.pool())
            .await
            .expect("update");
        assert_problem(app.post_json("/api/v1/password-resets/complete", &json!({"token": late, "password": "Another quiet harbour"})).await, 410, "link_expired").await;
        app.stop().await;
    }

    async fn a_clients_orders_are_in_the_history_newest_first_page_by_page(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let mut numbers = Vec::new();
        for key in ["one", "two", "three"] {
            numbers.push(order_as(&app, &token, &sku, key).await["number"].as_str().expect("number").to_owned());
        }
        let (status, page) = json_of(app.with_token(Method::GET, "/api/v1/account/orders?limit=2", &token).send().await.expect("sent")).await;
        assert_eq!(status, 200, "{page}");
        let listed: Vec<&str> = page["items"].as_array().expect("items").iter().map(|o| o["number"].as_str().expect("n")).collect();
        assert_eq!(listed, vec![numbers[2].as_str(), numbers[1].as_str()]);
        assert_eq!(page["items"][0]["status"], "confirmed");
        assert_eq!(page["items"][0]["item_count"], 1);
        let cursor = page["next_cursor"].as_str().expect("more");
        let (_, rest) = json_of(app.with_token(Method::GET, &format!("/api/v1/account/orders?limit=2&cursor={cursor}"), &token).send().await.expect("sent")).await;
        assert_eq!(rest["items"].as_array().expect("items").len(), 1);
        assert_eq!(rest["items"][0]["number"], numbers[0].as_str());
        assert!(rest["next_cursor"].is_null());
        assert_problem(app.with_token(Method::GET, "/api/v1/account/orders?cursor=garbage", &token).send().await.expect("sent"), 422, "invalid_cursor").await;
        assert_problem(app.with_token(Method::GET, "/api/v1/account/orders?limit=0", &token).send().await.expect("sent"), 422, "invalid_limit").await;

        // The order page: lines, totals, delivery, payment (brand and last 4), timeline.
        let (status, order) = json_of(app.with_token(Method::GET, &format!("/api/v1/account/orders/{}", numbers[0].to_lowercase()), &token).send().await.expect("sent")).await;
        assert_eq!(status, 200, "{order}");
        assert_eq!(order["delivery"]["address"]["line1"], "10 Park Avenue");
        assert_eq!(order["payment"], json!({"method": "card", "brand": "visa", "last4": "4242"}));
        let timeline: Vec<&str> = order["timeline"].as_array().expect("timeline").iter().map(|e| e["status"].as_str().expect("s")).collect();
        assert_eq!(timeline, vec!["placed", "confirmed"]);
        assert_eq!(order["modifiable"], true);
        assert!(!order.to_string().contains("4242 4242"));
        app.stop().await;
    }

    async fn an_order_is_readable_only_by_its_owner(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let claire = app.client("Claire", "Dubois", "claire@example.com").await;
        let jean = app.client("Jean", "Martin", "jean@example.com").await;
        let number = order_as(&app, &claire, &sku, "claire").await["number"].as_str().expect("n").to_owned();
        let guessed = "MV-7K2Q-9HDX-4";
        let mut answers = Vec::new();
        for (who, token) in [("another client", Some(jean.as_str())), ("nobody", None)] {
            for n in [number.as_str(), guessed] {
                for (method, path, body) in [
                    (Method::GET, format!("/api/v1/account/orders/{n}"), None),
                    (Method::POST, format!("/api/v1/account/orders/{n}/requests"), Some(json!({"kind": "cancellation"}))),
                ] {
                    let mut request = app.http.request(method.clone(), format!("{}{path}", app.url));
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    if let Some(body) = body {
                        request = request.json(&body);
                    }
                    let response = request.send().await.expect("sent");
                    let body = assert_problem(response, 404, "order_not_found").await;
                    answers.push((who, body));
                }
            }
        }
        // Not a word differs between "not yours" and "does not exist".
        assert!(answers.windows(2).all(|w| w[0].1 == w[1].1), "{answers:?}");
        // Nor are the other client's orders in one's history.
        let (_, history) = json_of(app.with_token(Method::GET, "/api/v1/account/orders", &jean).send().await.expect("sent")).await;
        assert_eq!(history["items"], json!([]));
        // The page says the same.
        let r = app.with_token(Method::GET, &format!("/account/orders/{number}"), &jean).send().await.expect("sent");
        assert_eq!(r.status(), 404);
        let (status, _) = app.get_text(&format!("/account/orders/{number}")).await;
        assert_eq!(status, 404);
        let r = app.with_token(Method::POST, &format!("/account/orders/{number}/requests"), &jean)
            .form(&[("kind", "cancellation")]).send().await.expect("sent");
        assert_eq!(r.status(), 404);
        let r = app.guest_form(&format!("/account/orders/{number}/requests"), None, &[("kind", "cancellation")]).await;
        assert_eq!(r.status(), 404);
        let order_id = app.store.order_by_number(&number).await.expect("read").expect("order").id;
        assert!(app.store.requests_of_order(&order_id).await.expect("requests").is_empty(), "nothing recorded");
        app.stop().await;
    }

    async fn a_signed_in_client_cannot_pay_with_someone_elses_card(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let alice = app.client("Alice", "Martin", "alice@example.com").await;
        let (_, bag) = json_of(app.with_token(Method::POST, "/api/v1/bags", &alice).json(&json!({})).send().await.expect("sent")).await;
        let bag_id = bag["id"].as_str().expect("id");
        app.with_token(Method::POST, &format!("/api/v1/bags/{bag_id}/lines"), &alice).json(&json!({"sku": sku})).send().await.expect("sent");
        // Bob Jones as the contact and on the card: the account is Alice's.
        let mut body = checkout_body(bag_id);
        body["contact"]["first_name"] = json!("Bob");
        body["contact"]["last_name"] = json!("Jones");
        body["payment"]["card"]["holder_name"] = json!("BOB JONES");
        let r = app.with_token(Method::POST, "/api/v1/checkout", &alice).header("Idempotency-Key", "bobs-card").json(&body).send().await.expect("sent");
        let p = assert_problem(r, 422, "cardholder_mismatch").await;
        assert_eq!(p["field"], "holder_name");
        assert_eq!(app.simulator.authorisation_count(), 0, "nothing charged");
        let (_, history) = json_of(app.with_token(Method::GET, "/api/v1/account/orders", &alice).send().await.expect("sent")).await;
        assert_eq!(history["items"].as_array().map(Vec::len), Some(0), "{history}");
        // Her own card, her own name: accepted.
        body["contact"]["first_name"] = json!("Alice");
        body["contact"]["last_name"] = json!("Martin");
        body["payment"]["card"]["holder_name"] = json!("ALICE MARTIN");
        let r = app.with_token(Method::POST, "/api/v1/checkout", &alice).header("Idempotency-Key", "her-card").json(&body).send().await.expect("sent");
        assert_eq!(r.status(), 201);
        app.stop().await;
    }

    async fn a_clients_bag_is_the_clients_alone(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let claire = app.client("Claire", "Dubois", "claire@example.com").await;
        let jean = app.client("Jean", "Martin", "jean@example.com").await;
        let (_, bag) = json_of(app.with_token(Method::POST, "/api/v1/bags", &claire).json(&json!({})).send().await.expect("sent")).await;
        let bag_id = bag["id"].as_str().expect("id");
        for token in [Some(jean.as_str()), None] {
            let mut get = app.http.get(format!("{}/api/v1/bags/{bag_id}", app.url));
            let mut add = app.http.post(format!("{}/api/v1/bags/{bag_id}/lines", app.url)).json(&json!({"sku": sku}));
            if let Some(t) = token {
                get = get.bearer_auth(t);
                add = add.bearer_auth(t);
            }
            assert_problem(get.send().await.expect("sent"), 404, "bag_not_found").await;
            assert_problem(add.send().await.expect("sent"), 404, "bag_not_found").await;
            let mut body = checkout_body(bag_id);
            body["contact"]["email"] = json!("jean@example.com");
            let mut pay = app.http.post(format!("{}/api/v1/checkout", app.url)).header("Idempotency-Key", "steal").json(&body);
            if let Some(t) = token {
                pay = pay.bearer_auth(t);
            }
            assert_problem(pay.send().await.expect("sent"), 404, "bag_not_found").await;
        }
        app.stop().await;
    }

    async fn a_guest_bag_joins_the_clients_bag_within_the_five_creation_limit(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let other = app
            .product_where(|p| is_online_and("available")(p) && p["sku"] != sku.as_str() && p["personalisation"].as_array().is_some_and(|a| a.is_empty()) && p["variants"].as_array().is_some_and(|v| v.len() == 1))
            .await["sku"].as_str().expect("sku").to_owned();
        app.store.set_stock(&maison_domain::Sku::parse(&other).expect("sku"), 50).await.expect("stock");
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let (_, own) = json_of(app.with_token(Method::POST, "/api/v1/bags", &token).json(&json!({})).send().await.expect("sent")).await;
        let own_id = own["id"].as_str().expect("id").to_owned();
        let r = app.with_token(Method::POST, &format!("/api/v1/bags/{own_id}/lines"), &token).json(&json!({"sku": sku, "quantity": 4})).send().await.expect("sent");
        assert_eq!(r.status(), 200);
        // As a guest, on another device: two more creations.
        let guest = app.bag_with(&[(&other, 1), (&sku, 1)]).await;
        let r = app.post_json("/api/v1/sessions", &json!({"email": "claire@example.com", "password": PASSWORD, "bag_id": guest})).await;
        let (status, session) = json_of(r).await;
        assert_eq!(status, 201, "{session}");
        assert_eq!(session["bag_id"], own_id.as_str());
        let messages = session["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].as_str().expect("text").contains("could not be added"));
        let new_token = session["token"].as_str().expect("token");
        let (_, merged) = json_of(app.with_token(Method::GET, &format!("/api/v1/bags/{own_id}"), new_token).send().await.expect("sent")).await;
        assert_eq!(merged["item_count"], 5, "{merged}");
        // The guest's bag has served: it is gone.
        assert_problem(app.get(&format!("/api/v1/bags/{guest}")).await, 404, "bag_not_found").await;
        app.stop().await;
    }

    async fn a_cancellation_or_change_can_be_requested_until_processing(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let order = order_as(&app, &token, &sku, "req").await;
        let number = order["number"].as_str().expect("n");
        let path = format!("/api/v1/account/orders/{number}/requests");
        let r = app.with_token(Method::POST, &path, &token).json(&json!({"kind": "cancellation", "message": "A gift no longer needed"})).send().await.expect("sent");
        let (status, request) = json_of(r).await;
        assert_eq!(status, 201, "{request}");
        assert_eq!((request["kind"].as_str(), request["status"].as_str()), (Some("cancellation"), Some("open")));
        // The same request twice: Client Relations already have it.
        assert_problem(app.with_token(Method::POST, &path, &token).json(&json!({"kind": "cancellation"})).send().await.expect("sent"), 409, "request_already_open").await;
        let p = assert_problem(app.with_token(Method::POST, &path, &token).json(&json!({"kind": "refund"})).send().await.expect("sent"), 422, "invalid_request_kind").await;
        assert_eq!(p["field"], "kind");
        assert_problem(app.with_token(Method::POST, &path, &token).json(&json!({"kind": "change"})).send().await.expect("sent"), 422, "invalid_message").await;
        let (_, detail) = json_of(app.with_token(Method::GET, &format!("/api/v1/account/orders/{number}"), &token).send().await.expect("sent")).await;
        assert_eq!(detail["requests"][0]["message"], "A gift no longer needed");
        // Client Relations are told, with the order and the client's words.
        let cr = app.maison().client_relations.email.clone();
        let letters = app.store.messages_to(&cr).await.expect("outbox");
        assert!(letters.iter().any(|m| m.kind == "order_request" && m.text_body.contains(number) && m.text_body.contains("A gift no longer needed")), "{letters:?}");

        // Once processing starts, only a return is possible.
        let order_id = app.store.order_by_number(number).await.expect("read").expect("order").id;
        let mut tx = app.store.begin_write().await.expect("tx");
        let event = maison_domain::order::OrderEvent { at: maison_app::clock::now_micros(), status: maison_domain::order::OrderStatus::Processing, note: "Being prepared".into(), actor: "staff:test".into() };
        assert!(maison_store::orders::move_status(&mut tx, &order_id, maison_domain::order::OrderStatus::Confirmed, maison_domain::order::OrderStatus::Processing, &event).await.expect("moved").is_some());
        tx.commit().await.expect("commit");
        let p = assert_problem(app.with_token(Method::POST, &path, &token).json(&json!({"kind": "cancellation"})).send().await.expect("sent"), 409, "order_not_modifiable").await;
        assert!(p["detail"].as_str().expect("detail").contains("Conditions of Sale"));
        let (_, detail) = json_of(app.with_token(Method::GET, &format!("/api/v1/account/orders/{number}"), &token).send().await.expect("sent")).await;
        assert_eq!(detail["modifiable"], false);
        // The page says why, and offers no form.
        let page = app.with_token(Method::GET, &format!("/account/orders/{number}"), &token).send().await.expect("sent").text().await.expect("html");
        assert!(page.contains("can no longer be changed or cancelled") && page.contains("Conditions of Sale"), "{page}");
        assert!(!page.contains("data-testid=\"request-change\""));
        app.stop().await;
    }

    async fn saved_addresses_are_checked_kept_and_removed(backend) {
        let app = spawn_app(backend).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let address = json!({"line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"});
        let mut bad = address.clone();
        bad["postal_code"] = json!("ABCDE");
        let p = assert_problem(app.with_token(Method::POST, "/api/v1/account/addresses", &token).json(&json!({"label": "Home", "address": bad})).send().await.expect("sent"), 422, "invalid_address").await;
        assert_eq!(p["field"], "address.postal_code");
        let (status, saved) = json_of(app.with_token(Method::POST, "/api/v1/account/addresses", &token).json(&json!({"label": "Home", "address": address})).send().await.expect("sent")).await;
        assert_eq!(status, 201, "{saved}");
        let (_, list) = json_of(app.with_token(Method::GET, "/api/v1/account/addresses", &token).send().await.expect("sent")).await;
        assert_eq!(list["items"][0]["label"], "Home");
        assert_eq!(list["items"][0]["postal_code"], "10016");
        let id = saved["id"].as_str().expect("id");
        let other = app.client("Jean", "Martin", "jean@example.com").await;
        // Checkout to a saved address, named by its id: only the client's own.
        let sku = plain_sku(&app).await;
        for (who, expected) in [(&other, 404), (&token, 201)] {
            let (_, bag) = json_of(app.with_token(Method::POST, "/api/v1/bags", who).json(&json!({})).send().await.expect("sent")).await;
            let bag_id = bag["id"].as_str().expect("bag");
            app.with_token(Method::POST, &format!("/api/v1/bags/{bag_id}/lines"), who).json(&json!({"sku": sku})).send().await.expect("sent");
            let mut body = checkout_body(bag_id);
            body["delivery"] = json!({"method": "home", "address_id": id});
            let r = app.with_token(Method::POST, "/api/v1/checkout", who).header("Idempotency-Key", "saved").json(&body).send().await.expect("sent");
            if expected == 404 {
                let p = assert_problem(r, 404, "address_not_found").await;
                assert_eq!(p["field"], "delivery.address_id");
            } else {
                let (status, order) = json_of(r).await;
                assert_eq!(status, 201, "{order}");
                assert_eq!(order["delivery"]["address"]["line1"], "10 Park Avenue");
            }
        }
        assert_problem(app.with_token(Method::DELETE, &format!("/api/v1/account/addresses/{id}"), &other).send().await.expect("sent"), 404, "address_not_found").await;
        assert_eq!(app.with_token(Method::DELETE, &format!("/api/v1/account/addresses/{id}"), &token).send().await.expect("sent").status(), 204);
        assert_problem(app.with_token(Method::DELETE, &format!("/api/v1/account/addresses/{id}"), &token).send().await.expect("sent"), 404, "address_not_found").await;
        app.stop().await;
    }

    async fn cookie_sessions_need_the_session_csrf_token_for_every_change(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        app.client("Claire", "Dubois", "claire@example.com").await;
        let r = app.guest_form("/account/sign-in", None, &[("email", "claire@example.com"), ("password", PASSWORD), ("next", "/account")]).await;
        assert_eq!(r.status(), 303);
        let set_cookie: Vec<String> = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        let session = set_cookie.iter().find(|c| c.starts_with("maison_session=")).expect("a session cookie");
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
        let cookie = session.split(';').next().expect("pair").to_owned();
        let page = app.http.get(format!("{}/account", app.url)).header("cookie", &cookie).send().await.expect("sent").text().await.expect("html");
        assert!(page.contains("Claire Dubois"), "signed in");
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a CSRF field").to_owned();
        assert_eq!(csrf.len(), 64);

        // A form without the token, or with another, changes nothing.
        for token in [None, Some("0".repeat(64))] {
            let mut form = vec![("sku".to_owned(), sku.clone()), ("quantity".to_owned(), "1".to_owned())];
            if let Some(t) = token {
                form.push(("csrf_token".to_owned(), t));
            }
            let r = app.http.post(format!("{}/bag", app.url)).header("cookie", &cookie).form(&form).send().await.expect("sent");
            assert_eq!(r.status(), 403);
            let page = r.text().await.expect("html");
            assert!(page.contains("security token") && page.contains("reload the page"), "a readable page: {page}");
        }
        let r = app.http.post(format!("{}/bag", app.url)).header("cookie", &cookie)
            .form(&[("sku", sku.as_str()), ("quantity", "1"), ("csrf_token", csrf.as_str())]).send().await.expect("sent");
        assert_eq!(r.status(), 303);
        // The API with the cookie needs the header.
        assert_problem(app.http.post(format!("{}/api/v1/bags", app.url)).header("cookie", &cookie).json(&json!({})).send().await.expect("sent"), 403, "csrf_token_invalid").await;
        let r = app.http.post(format!("{}/api/v1/bags", app.url)).header("cookie", &cookie).header("x-csrf-token", &csrf).json(&json!({})).send().await.expect("sent");
        assert_eq!(r.status(), 201);
        // A client's pages are never cached.
        let r = app.http.get(format!("{}/account", app.url)).header("cookie", &cookie).send().await.expect("sent");
        assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
        // Sign-out ends the session on the server: the old cookie opens nothing.
        let r = app.http.post(format!("{}/account/sign-out", app.url)).header("cookie", &cookie).form(&[("csrf_token", csrf.as_str())]).send().await.expect("sent");
        assert_eq!(r.status(), 303);
        let r = app.http.get(format!("{}/account", app.url)).header("cookie", &cookie).send().await.expect("sent");
        assert_eq!(r.status(), 303, "back to sign-in");
        assert!(r.headers().get("location").and_then(|v| v.to_str().ok()).is_some_and(|l| l.starts_with("/account/sign-in")));
        // A page kept open past the session's end still signs out.
        let again = app.http.post(format!("{}/account/sign-out", app.url)).header("cookie", &cookie).form(&[("csrf_token", csrf.as_str())]).send().await.expect("sent");
        assert_eq!(again.status(), 303);
        // The ended session's cookie is cleared in the browser.
        assert!(r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).any(|c| c.starts_with("maison_session=;") && c.contains("Max-Age=0")));

        // Signing in again at a browser that holds a session replaces it.
        let first = app.guest_form("/account/sign-in", None, &[("email", "claire@example.com"), ("password", PASSWORD)]).await;
        let first_cookie = first.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("maison_session=")).expect("cookie").split(';').next().expect("pair").to_owned();
        let page = app.http.get(format!("{}/account", app.url)).header("cookie", &first_cookie).send().await.expect("sent").text().await.expect("html");
        let first_csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_owned();
        let second = app.http.post(format!("{}/account/sign-in", app.url)).header("cookie", &first_cookie)
            .form(&[("email", "claire@example.com"), ("password", PASSWORD), ("csrf_token", first_csrf.as_str())]).send().await.expect("sent");
        assert_eq!(second.status(), 303);
        let r = app.http.get(format!("{}/account", app.url)).header("cookie", &first_cookie).send().await.expect("sent");
        assert_eq!(r.status(), 303, "the earlier session ended");
        app.stop().await;
    }

    async fn a_signed_in_checkout_page_is_filled_in_from_the_account(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        app.with_token(Method::POST, "/api/v1/account/addresses", &token)
            .json(&json!({"label": "Office", "address": {"line1": "200 Bay Street", "city": "Toronto", "region": "ON", "postal_code": "M5J 2J5", "country": "CA", "company": "Maple Holdings"}}))
            .send().await.expect("sent");
        let r = app.guest_form("/account/sign-in", None, &[("email", "claire@example.com"), ("password", PASSWORD)]).await;
        let cookie = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("maison_session=")).expect("cookie").split(';').next().expect("pair").to_owned();
        let page = app.http.get(format!("{}/account", app.url)).header("cookie", &cookie).send().await.expect("sent").text().await.expect("html");
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_owned();
        let r = app.http.post(format!("{}/bag", app.url)).header("cookie", &cookie)
            .form(&[("sku", sku.as_str()), ("csrf_token", csrf.as_str())]).send().await.expect("sent");
        assert_eq!(r.status(), 303);
        let bag_cookie = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("maison_bag=")).expect("bag cookie").split(';').next().expect("pair").to_owned();
        let cookies = format!("{cookie}; {bag_cookie}");
        let checkout = app.http.get(format!("{}/checkout", app.url)).header("cookie", &cookies).send().await.expect("sent").text().await.expect("html");
        for expected in ["value=\"Claire\"", "value=\"Dubois\"", "value=\"claire@example.com\"", "value=\"200 Bay Street\"", "value=\"Maple Holdings\"", "Use Office"] {
            assert!(checkout.contains(expected), "{expected} pre-filled");
        }
        app.stop().await;
    }

    async fn the_forgotten_password_pages_lead_to_a_new_password_once(backend) {
        let app = spawn_app(backend).await;
        app.client("Claire", "Dubois", "claire@example.com").await;
        let guest = &app;
        let form = |path: &'static str, fields: Vec<(&'static str, String)>| async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Ok::<_, std::convert::Infallible>(guest.guest_form(path, None, &fields).await)
        };
        let r = form("/account/forgot", vec![("email", "not an address".into())]).await.expect("sent");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("html").contains("Enter an e-mail address"));
        let r = form("/account/forgot", vec![("email", "claire@example.com".into())]).await.expect("sent");
        assert_eq!(r.status(), 303, "post-redirect-get");
        let (_, html) = app.get_text(r.headers()["location"].to_str().expect("location")).await;
        assert!(html.contains("Please check your e-mail"));
        let token = app.mail_token("claire@example.com", "password_reset").await;
        // Opening the link changes nothing: the page holds the token for its form.
        let (status, page) = app.get_text(&format!("/account/reset?token={token}")).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("value=\"{token}\"")));
        let r = form("/account/reset", vec![("token", token.clone()), ("password", "sunshine1".into())]).await.expect("sent");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("html").contains("data-testid=\"password-error\""), "the refusal beside the field");
        let r = form("/account/reset", vec![("token", token.clone()), ("password", "Quiet harbour lantern".into())]).await.expect("sent");
        assert_eq!(r.status(), 303, "post-redirect-get");
        let (_, html) = app.get_text(r.headers()["location"].to_str().expect("location")).await;
        assert!(html.contains("Your password was changed"));
        let r = form("/account/reset", vec![("token", token), ("password", "Another quiet harbour".into())]).await.expect("sent");
        assert_eq!(r.status(), 410);
        assert!(r.text().await.expect("html").contains("has expired or has already been used"));
        assert_eq!(app.sign_in("claire@example.com", "Quiet harbour lantern").await.status(), 201);
        app.stop().await;
    }

    async fn sign_in_attempts_sent_at_once_are_counted_at_once(backend) {
        let app = spawn_app(backend).await;
        app.client("Claire", "Dubois", "claire@example.com").await;
        let mut attempts = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let request = app.http.post(format!("{}/api/v1/sessions", app.url)).json(&json!({"email": "claire@example.com", "password": "a guess"}));
            attempts.spawn(async move { request.send().await.expect("sent").status().as_u16() });
        }
        let statuses = attempts.join_all().await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (5, 15), "{statuses:?}");
        app.stop().await;
    }

    async fn orders_placed_as_a_guest_join_the_account_of_that_address(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = checkout_body(&bag);
        body["contact"]["email"] = json!("Claire.Dubois@Example.COM");
        let r = app.checkout("as-guest", &body).await;
        assert_eq!(r.status(), 201);
        let number = r.json::<Value>().await.expect("order")["number"].as_str().expect("n").to_owned();
        // As an order from before accounts existed: its key is made when the
        // store opens.
        sqlx::query("UPDATE orders SET email_key = NULL").execute(app.store.pool()).await.expect("update");
        app.store.migrate().await.expect("migrated again");
        let token = app.client("Claire", "Dubois", "claire.dubois@example.com").await;
        let (_, history) = json_of(app.with_token(Method::GET, "/api/v1/account/orders", &token).send().await.expect("sent")).await;
        assert_eq!(history["items"][0]["number"], number.as_str(), "{history}");
        app.stop().await;
    }

    async fn a_request_sent_twice_at_once_is_recorded_once(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        let token = app.client("Claire", "Dubois", "claire@example.com").await;
        let number = order_as(&app, &token, &sku, "twice").await["number"].as_str().expect("n").to_owned();
        let mut posts = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let request = app.with_token(Method::POST, &format!("/api/v1/account/orders/{number}/requests"), &token)
                .json(&json!({"kind": "change", "message": "Deliver to my office instead"}));
            posts.spawn(async move { request.send().await.expect("sent").status().as_u16() });
        }
        let mut statuses = posts.join_all().await;
        statuses.sort();
        assert_eq!(statuses, vec![201, 409]);
        let order_id = app.store.order_by_number(&number).await.expect("read").expect("order").id;
        assert_eq!(app.store.requests_of_order(&order_id).await.expect("requests").len(), 1);
        let cr = app.maison().client_relations.email.clone();
        let letters = app.store.messages_to(&cr).await.expect("outbox");
        assert_eq!(letters.iter().filter(|m| m.kind == "order_request").count(), 1);
        app.stop().await;
    }

    async fn guesses_at_a_registrations_password_are_limited(backend) {
        let app = spawn_app(backend).await;
        assert_eq!(app.register("Claire", "Dubois", "claire@example.com", PASSWORD).await.status(), 202);
        let token = app.mail_token("claire@example.com", "registration").await;
        for _ in 0..5 {
            assert_problem(app.post_json("/api/v1/accounts/confirm", &json!({"token": token, "password": "a guess"})).await, 422, "invalid_credentials").await;
        }
        assert_problem(app.post_json("/api/v1/accounts/confirm", &json!({"token": token, "password": PASSWORD})).await, 429, "too_many_attempts").await;
        app.stop().await;
    }
}
