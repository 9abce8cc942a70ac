//! "Order Information" for guests, on SQLite and PostgreSQL: both the number
//! and the e-mail must match, every mismatch gets the same answer, and
//! attempts are throttled.

mod common;

use common::{assert_problem, checkout_body, spawn_app};
use maison_testkit::on_both_databases;
use serde_json::{Value, json};

async fn placed_order(app: &common::TestApp) -> Value {
    let sku = common::plain_sku(app).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let response = app.checkout("lookup", &checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("order")
}

on_both_databases! {
    async fn a_guest_finds_an_order_with_its_number_and_e_mail(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        let typed = number.to_lowercase().replace('-', " ");
        let response = app.post_json("/api/v1/order-lookup", &json!({"number": typed, "email": " CLAIRE@Example.com "})).await;
        assert_eq!(response.status(), 200);
        let status: Value = response.json().await.expect("status");
        assert_eq!(status["number"], number);
        assert_eq!(status["status"], "confirmed");
        assert_eq!(status["timeline"].as_array().expect("timeline").len(), 2);
        let text = status.to_string();
        assert!(!text.contains("Park Avenue") && !text.contains("4242") && !text.contains("visa"), "no address nor payment: {text}");

        let wrong_email = assert_problem(
            app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "someone@example.com"})).await,
            404,
            "order_not_found",
        )
        .await;
        let wrong_number = assert_problem(
            app.post_json("/api/v1/order-lookup", &json!({"number": "MV-0000-0000-0", "email": "claire@example.com"})).await,
            404,
            "order_not_found",
        )
        .await;
        let malformed = assert_problem(
            app.post_json("/api/v1/order-lookup", &json!({"number": "12345", "email": "claire@example.com"})).await,
            404,
            "order_not_found",
        )
        .await;
        assert_eq!(wrong_email, wrong_number, "the same answer for any mismatch");
        assert_eq!(wrong_email, malformed);
        assert_problem(app.post_json("/api/v1/order-lookup", &json!({"number": number})).await, 422, "invalid_request").await;
        app.stop().await;
    }

    async fn guessing_an_order_number_is_throttled(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        for _ in 0..maison_app::lookup::PER_NUMBER {
            let response = app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "guess@example.com"})).await;
            assert_eq!(response.status(), 404);
        }
        let response = app.post_json("/api/v1/order-lookup", &json!({"number": number, "email": "claire@example.com"})).await;
        let retry_after: u64 = response.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
        assert!(retry_after > 0 && retry_after <= 15 * 60);
        let body = assert_problem(response, 429, "too_many_attempts").await;
        assert!(body["detail"].as_str().expect("detail").contains("1-800-555-0142"));
        app.stop().await;
    }

    async fn correct_look_ups_never_count_and_a_guesser_cannot_lock_the_owner_out(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        // Each client its own loopback address, as different people are.
        let from = |last_octet: u8| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, last_octet]))
                .build()
                .expect("client")
        };
        let look_up = |client: reqwest::Client, email: &'static str| {
            let url = format!("{}/api/v1/order-lookup", app.url);
            let body = json!({"number": number, "email": email});
            async move { client.post(url).json(&body).send().await.expect("sent") }
        };
        let owner = from(2);
        // The owner checks the order many times: never throttled.
        for _ in 0..(maison_app::lookup::PER_NUMBER * 2) {
            assert_eq!(look_up(owner.clone(), "claire@example.com").await.status(), 200);
        }
        // Someone who knows the number guesses until stopped...
        let guesser = from(3);
        for _ in 0..maison_app::lookup::PER_NUMBER {
            assert_eq!(look_up(guesser.clone(), "guess@example.com").await.status(), 404);
        }
        assert_problem(look_up(guesser.clone(), "claire@example.com").await, 429, "too_many_attempts").await;
        // ...while the owner, on a device seen before or a new one, still finds it.
        assert_eq!(look_up(owner.clone(), "claire@example.com").await.status(), 200);
        assert_eq!(look_up(from(4), "claire@example.com").await.status(), 200);
        // A guesser spread over many addresses is stopped for every new address,
        // but the owner's known device keeps its access.
        // (The first guesser's six attempts count towards the number's limit.)
        let everywhere = maison_app::lookup::PER_NUMBER_EVERYWHERE - (maison_app::lookup::PER_NUMBER + 1);
        let mut throttled = 0;
        for i in 0..everywhere {
            let status = look_up(from(10 + u8::try_from(i / 4).expect("small")), "guess@example.com").await.status();
            throttled += u32::from(status == 429);
        }
        assert_eq!(throttled, 0, "each address stayed under its own limit");
        assert_problem(look_up(from(200), "claire@example.com").await, 429, "too_many_attempts").await;
        assert_eq!(look_up(owner, "claire@example.com").await.status(), 200);
        app.stop().await;
    }

    async fn a_guest_asks_to_cancel_with_the_number_and_e_mail_and_is_answered_by_letter(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        let path = "/api/v1/order-lookup/requests";
        // A wrong e-mail gets the look-up's one answer.
        assert_problem(app.post_json(path, &json!({"number": number, "email": "someone@example.com", "kind": "cancellation"})).await, 404, "order_not_found").await;
        let response = app.post_json(path, &json!({"number": number, "email": "Claire@Example.com", "kind": "cancellation", "message": "Ordered twice by mistake"})).await;
        assert_eq!(response.status(), 201);
        let request: Value = response.json().await.expect("request");
        assert_eq!((request["kind"].as_str(), request["status"].as_str()), (Some("cancellation"), Some("open")));
        assert_problem(app.post_json(path, &json!({"number": number, "email": "claire@example.com", "kind": "cancellation"})).await, 409, "request_already_open").await;
        let p = assert_problem(app.post_json(path, &json!({"number": number, "email": "claire@example.com", "kind": "change"})).await, 422, "invalid_message").await;
        assert_eq!(p["field"], "message");
        // Client Relations are told, and the client receives an acknowledgement.
        let cr = app.maison().client_relations.email.clone();
        let to_cr = app.store.messages_to(&cr).await.expect("outbox");
        assert!(to_cr.iter().any(|m| m.kind == "order_request" && m.text_body.contains(number) && m.text_body.contains("Ordered twice by mistake")), "{to_cr:?}");
        let to_client = app.store.messages_to("claire@example.com").await.expect("outbox");
        let ack = to_client.iter().find(|m| m.kind == "order_request_received").expect("an acknowledgement of the request");
        assert!(ack.subject.contains(number) && ack.text_body.contains("cancel your order"), "{ack:?}");
        app.stop().await;
    }

    async fn the_guest_order_page_offers_the_request_form_and_confirms_after_a_redirect(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        let found = app.guest_form("/order-information", None, &[("number", number), ("email", "claire@example.com")]).await;
        assert_eq!(found.status(), 303, "post-redirect-get");
        let to = found.headers()["location"].to_str().expect("location").to_owned();
        assert!(to.starts_with(&format!("/order-information/{number}?")) && !to.contains('@'), "the order's signed link, no e-mail: {to}");
        let (_, html) = app.get_text(&to).await;
        assert!(html.contains("data-testid=\"request-change\""), "the form is offered");
        assert!(!html.contains("value=\"cancellation\" checked"), "nothing that changes an order is pre-selected");
        let sent = app.guest_form("/order-information/requests", None, &[("number", number), ("email", "claire@example.com"), ("kind", "change"), ("message", "Deliver to my office instead")]).await;
        assert_eq!(sent.status(), 303, "post-redirect-get");
        let to = sent.headers()["location"].to_str().expect("location").to_owned();
        assert!(to.starts_with(&format!("/order-information/{number}?")) && to.ends_with("&requested=1"), "{to}");
        let (status, html) = app.get_text(&to).await;
        assert_eq!(status, 200);
        assert!(html.contains("data-testid=\"request-sent\""), "{html}");
        app.stop().await;
    }

    async fn the_order_information_page_shows_the_status_and_hides_mismatches(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number");
        let guest = &app;
        let page = |email: &'static str| async move {
            Ok::<_, std::convert::Infallible>(
                guest.guest_form("/order-information", None, &[("number", number), ("email", email)])
                    .await,
            )
        };
        let response = page("claire@example.com").await.expect("sent");
        assert_eq!(response.status(), 303, "post-redirect-get");
        let to = response.headers()["location"].to_str().expect("location").to_owned();
        let (status, html) = app.get_text(&to).await;
        assert_eq!(status, 200);
        assert!(html.contains(number) && html.contains("Order confirmed"), "{html}");
        assert!(!html.contains("Park Avenue"));
        let response = page("other@example.com").await.expect("sent");
        assert_eq!(response.status(), 404);
        let html = response.text().await.expect("page");
        assert!(html.contains("No order matches"));
        assert!(!html.contains("Order confirmed"));
        app.stop().await;
    }
}

/// The link in the acknowledgement e-mail (quoted-printable folds long lines
/// with "=\r\n" and writes "=" as "=3D").
fn link_in(mail: &str) -> String {
    let unfolded = mail.replace("=\r\n", "").replace("=3D", "=");
    let start = unfolded
        .find("/order-information/")
        .expect("a link to the order");
    let begin = unfolded[..start].rfind("http").expect("an absolute link");
    let end = unfolded[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .map_or(unfolded.len(), |e| start + e);
    unfolded[begin..end].replace("&amp;", "&")
}

on_both_databases! {
    async fn the_link_in_the_acknowledgement_opens_the_order_and_cannot_be_forged(backend) {
        let app = spawn_app(backend).await;
        let order = placed_order(&app).await;
        let number = order["number"].as_str().expect("number").to_owned();
        // The outbox writes both messages to the spool within a second or two.
        let mut mails = Vec::new();
        for _ in 0..100 {
            mails = std::fs::read_dir(app.spool.path())
                .expect("spool")
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).expect("readable"))
                .collect::<Vec<_>>();
            if mails.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let acknowledgement = mails.iter().find(|m| m.contains("We have received")).expect("acknowledgement");
        let link = link_in(acknowledgement);
        assert!(link.starts_with(&app.url), "{link}");
        let path = &link[app.url.len()..];
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(&number) && html.contains("Order confirmed"));

        // One hex digit changed in the signature.
        let last = path.chars().last().expect("a signature");
        let flipped = if last == '0' { '1' } else { '0' };
        let forged = format!("{}{flipped}", &path[..path.len() - 1]);
        let (status, html) = app.get_text(&forged).await;
        assert_eq!(status, 404);
        assert!(!html.contains("Order confirmed"));
        let (sig_part, _) = path.split_once("?").expect("query");
        let (status, _) = app.get_text(&format!("{sig_part}?expires=1&sig={}", "0".repeat(64))).await;
        assert_eq!(status, 410, "an expired link says so");
        app.stop().await;
    }
}
