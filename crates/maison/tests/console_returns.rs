//! The console's returns page over real HTTP, on SQLite and PostgreSQL
//! (issue 11): the list with each return's status, linked from the
//! navigation and the order's page; authorise, receive (restocked), refund
//! and reject, each by the roles that may; refusals shown in words.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{TestApp, checkout_body, csrf_field, plain_sku, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::{Clock, FixedClock};
use maison_testkit::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECOND: i64 = 1_000_000;
const PASSWORD: &str = "Sapphire morning walk";
const PAGE: &str = "/console/returns";

/// A browser of the console: its cookies, kept by hand.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let cookies = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.url))
            .header("cookie", cookies);
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.expect("sent");
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii");
            let pair = text.split(';').next().expect("pair");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            body: response.text().await.expect("body"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    /// Posts a form of the page at `from`, with that page's CSRF token.
    async fn submit(&mut self, from: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(from).await;
        let token = csrf_field(&page.body).unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.send(Method::POST, action, Some(&form)).await
    }
}

fn code(secret: &str, micros: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name("test")
        .build()
        .expect("totp");
    totp.generate(u64::try_from(micros / SECOND).expect("after 1970"))
        .to_string()
}

fn between<'t>(text: &'t str, start: &str, end: &str) -> &'t str {
    let from = text.find(start).map(|i| i + start.len()).expect(start);
    let rest = &text[from..];
    &rest[..rest.find(end).expect(end)]
}

/// Adds a member and follows their setup link: their signed-in browser.
async fn enrolled<'a>(
    app: &'a TestApp,
    clock: &FixedClock,
    email: &str,
    role: &str,
) -> Browser<'a> {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, "Sophie Martin", role)
        .await
        .expect("member added");
    let link = app
        .maison()
        .issue_setup_link(&operator, email)
        .await
        .expect("link");
    let path = link
        .url
        .split_once("/console/")
        .map(|(_, p)| format!("/console/{p}"))
        .expect("path");
    let mut browser = Browser::new(app);
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret: String = between(&page.body, "data-testid=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let token = link.url.split("token=").nth(1).expect("token").to_owned();
    let entered = browser
        .submit(
            &path,
            "/console/setup",
            &[
                ("token", &token),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("code", &code(&secret, clock.now_micros())),
            ],
        )
        .await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    browser
}

/// A staff member's API token.
async fn token(app: &TestApp, email: &str, role: &str) -> String {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, "Paul Girard", role)
        .await
        .expect("member added");
    app.maison()
        .new_staff_token(&operator, email)
        .await
        .expect("token")
        .expose()
        .to_owned()
}

async fn api(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("Idempotency-Key", maison_app::clock::new_id());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status} {body}");
    body
}

/// A delivered card order with a return requested: (number, return id).
async fn returned_order(app: &TestApp, fulfilment: &str, relations: &str) -> (String, String) {
    let sku = plain_sku(app).await;
    let bag = app.bag_with(&[(sku.as_str(), 1)]).await;
    let response = app.checkout("order-1", &checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("order");
    let number = order["number"].as_str().expect("number").to_owned();
    api(
        app,
        Method::POST,
        &format!("/api/v1/orders/{number}/process"),
        fulfilment,
        None,
    )
    .await;
    let shipment = api(
        app,
        Method::POST,
        &format!("/api/v1/orders/{number}/shipments"),
        fulfilment,
        None,
    )
    .await;
    let tracking = shipment["tracking_number"]
        .as_str()
        .expect("tracking")
        .to_owned();
    for kind in ["picked_up", "in_transit", "out_for_delivery", "delivered"] {
        app.maison()
            .simulate_carrier_event(&Actor::System("test"), &tracking, kind, None, None)
            .await
            .expect("the carrier's event");
    }
    let asked = api(
        app,
        Method::POST,
        &format!("/api/v1/orders/{number}/returns"),
        relations,
        Some(json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "Too large."})),
    )
    .await;
    (number, asked["id"].as_str().expect("id").to_owned())
}

on_both_databases! {
    async fn staff_authorise_receive_and_refund_a_return_from_the_console(backend) {
        let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let fulfilment_token = token(&app, "dispatch@maison.example", "fulfilment").await;
        let relations_token = token(&app, "relations@maison.example", "ambassador").await;
        let (number, id) = returned_order(&app, &fulfilment_token, &relations_token).await;
        let mut ambassador = enrolled(&app, &clock, "ambassador@maison.example", "ambassador").await;
        let mut fulfilment = enrolled(&app, &clock, "fulfilment@maison.example", "fulfilment").await;

        // Linked from the navigation and from the order's page.
        let home = ambassador.get("/console").await;
        assert!(home.body.contains("href=\"/console/returns\""), "{}", home.body);
        let detail = ambassador.get(&format!("/console/orders/{number}")).await;
        assert!(detail.body.contains(&format!("/console/returns?number={number}")), "{}", detail.body);
        let list = ambassador.get(&format!("{PAGE}?number={number}")).await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains(&format!("data-return=\"{id}\"")), "{}", list.body);
        assert!(list.body.contains(&format!("/console/returns/{id}/authorise")));
        // Fulfilment sees it, without Client Relations' buttons.
        let list = fulfilment.get(PAGE).await;
        assert!(list.body.contains(&format!("data-return=\"{id}\"")));
        assert!(!list.body.contains(&format!("/console/returns/{id}/authorise")));
        let refused = fulfilment.submit(PAGE, &format!("/console/returns/{id}/authorise"), &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        // A rejection needs a reason: shown in words.
        let page = ambassador.submit(PAGE, &format!("/console/returns/{id}/reject"), &[("reason", " ")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("data-testid=\"error\""), "{}", page.body);

        let done = ambassador.submit(PAGE, &format!("/console/returns/{id}/authorise"), &[]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let done = fulfilment.submit(PAGE, &format!("/console/returns/{id}/receive"), &[("restock", "yes")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let done = ambassador.submit(PAGE, &format!("/console/returns/{id}/refund"), &[("reference", "")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let page = ambassador.get(&done.location).await;
        assert!(page.body.contains(&format!("The return on order {number} is refunded.")), "{}", page.body);
        assert!(page.body.contains("back in stock; refunded by card"), "{}", page.body);
        let listed = ambassador.get(&format!("{PAGE}?status=refunded")).await;
        assert!(listed.body.contains(&format!("data-return=\"{id}\"")));
        let listed = ambassador.get(&format!("{PAGE}?status=requested")).await;
        assert!(!listed.body.contains(&format!("data-return=\"{id}\"")));
        app.stop().await;
    }
}
