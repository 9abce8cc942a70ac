//! The console's fulfilment queue over real HTTP, on SQLite and PostgreSQL
//! (issue 11): confirmed orders to process (high-value ones flagged),
//! orders to ship with the carrier preselected by rule R7, boutique orders
//! made ready and handed over against an identity check; refusals shown in
//! words; the page is for fulfilment and administrators.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{TestApp, checkout_body, csrf_field, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::{Clock, FixedClock};
use maison_domain::order::OrderStatus;
use maison_testkit::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECOND: i64 = 1_000_000;
const PASSWORD: &str = "Sapphire morning walk";
const QUEUE: &str = "/console/fulfilment";

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

fn cents(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').expect("two decimals");
    whole.parse::<i64>().expect("whole") * 100 + fraction.parse::<i64>().expect("cents")
}

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

async fn card_order(app: &TestApp, sku: &str, key: &str, delivery: Option<Value>) -> String {
    let bag = app.bag_with(&[(sku, 1)]).await;
    let mut body = checkout_body(&bag);
    if let Some(delivery) = delivery {
        body["delivery"] = delivery;
    }
    let response = app.checkout(key, &body).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("order");
    assert_eq!(order["status"], "confirmed");
    order["number"].as_str().expect("number").to_owned()
}

async fn status_of(app: &TestApp, number: &str) -> OrderStatus {
    app.store
        .order_by_number(number)
        .await
        .expect("read")
        .expect("order")
        .status
}

/// The card of `number` in the section `testid` of the queue.
fn card<'t>(page: &'t str, testid: &str, number: &str) -> Option<&'t str> {
    let start = page.find(&format!("data-testid=\"{testid}\""))?;
    let section = &page[start..];
    let section = &section[..section.find("</ul>")?];
    let at = section.find(&format!("data-number=\"{number}\""))?;
    let rest = &section[at..];
    Some(&rest[..rest.find("</li>").unwrap_or(rest.len())])
}

on_both_databases! {
    async fn the_fulfilment_queue_processes_ships_and_hands_over(backend) {
        let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let mut staff = enrolled(&app, &clock, "fulfilment@maison.example", "fulfilment").await;

        let usual = sku_priced(&app, |c| (50_000..2_000_000).contains(&c)).await;
        let precious = sku_priced(&app, |c| c > 3_000_000).await;
        let home = card_order(&app, &usual, "queue-1", None).await;
        let high = card_order(&app, &precious, "queue-2", None).await;
        let boutiques = app.get_json("/api/v1/boutiques?pickup=true").await.1;
        let boutique = boutiques["items"][0]["id"].clone();
        let pickup = card_order(&app, &usual, "queue-3", Some(json!({"method": "boutique", "boutique_id": boutique}))).await;

        // Confirmed orders to process, the high-value one flagged.
        let page = staff.get(QUEUE).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("href=\"/console/fulfilment\""), "the navigation links the queue");
        for number in [&home, &high, &pickup] {
            assert!(card(&page.body, "to-process", number).is_some(), "{number} to process: {}", page.body);
        }
        assert!(card(&page.body, "to-process", &high).expect("card").contains("High value"));
        assert!(!card(&page.body, "to-process", &home).expect("card").contains("High value"));

        // Processing needs the confirmation box.
        let refused = staff.submit(QUEUE, &format!("{QUEUE}/{home}/process"), &[]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("tick the box"), "{}", refused.body);
        assert_eq!(status_of(&app, &home).await, OrderStatus::Confirmed);
        for number in [&home, &high, &pickup] {
            let done = staff.submit(QUEUE, &format!("{QUEUE}/{number}/process"), &[("confirm", "yes")]).await;
            assert_eq!(done.status, 303, "{}", done.body);
            assert_eq!(done.location, format!("{QUEUE}?done=processing&number={number}"));
            assert_eq!(status_of(&app, number).await, OrderStatus::Processing);
        }
        let page = staff.get(&format!("{QUEUE}?done=processing&number={pickup}")).await;
        assert!(page.body.contains(&format!("Order {pickup} is in processing.")));

        // To ship, the carrier preselected by rule R7; the boutique order to make ready.
        let home_card = card(&page.body, "to-ship", &home).expect("home order to ship");
        assert!(home_card.contains("<option value=\"fedex\" selected>"), "{home_card}");
        let high_card = card(&page.body, "to-ship", &high).expect("high-value order to ship");
        assert!(high_card.contains("<option value=\"secure_courier\" selected>"), "{high_card}");
        assert!(card(&page.body, "to-make-ready", &pickup).is_some());
        assert!(card(&page.body, "to-ship", &pickup).is_none());

        // FedEx refused for the high-value order, in words.
        let refused = staff.submit(QUEUE, &format!("{QUEUE}/{high}/ship"), &[("carrier", "fedex"), ("key", "k-high-1")]).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("role=\"alert\"") && refused.body.contains("secure courier"), "{}", refused.body);
        assert_eq!(status_of(&app, &high).await, OrderStatus::Processing);

        for (number, carrier, key) in [(&home, "fedex", "k-home"), (&high, "secure_courier", "k-high-2")] {
            let done = staff.submit(QUEUE, &format!("{QUEUE}/{number}/ship"), &[("carrier", carrier), ("key", key)]).await;
            assert_eq!(done.status, 303, "{}", done.body);
            assert_eq!(status_of(&app, number).await, OrderStatus::Shipped);
        }

        // The boutique order: ready, then handed over against an identity check.
        let done = staff.submit(QUEUE, &format!("{QUEUE}/{pickup}/ready"), &[]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(status_of(&app, &pickup).await, OrderStatus::ReadyForPickup);
        let page = staff.get(QUEUE).await;
        assert!(card(&page.body, "to-hand-over", &pickup).is_some(), "{}", page.body);
        let refused = staff.submit(QUEUE, &format!("{QUEUE}/{pickup}/collect"), &[("collected_by", "Claire Dubois")]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("Identity checked"), "{}", refused.body);
        assert_eq!(status_of(&app, &pickup).await, OrderStatus::ReadyForPickup);
        let done = staff.submit(QUEUE, &format!("{QUEUE}/{pickup}/collect"), &[("id_checked", "yes"), ("collected_by", "Claire Dubois")]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(status_of(&app, &pickup).await, OrderStatus::Collected);

        // Shipped orders are on their way: the simulated carrier's events are
        // sent from here, and "delivered" delivers the order.
        let page = staff.get(QUEUE).await;
        let on_way = card(&page.body, "on-their-way", &home).expect("the home order is on its way");
        let tracking = between(on_way, "name=\"tracking\" value=\"", "\"").to_owned();
        let done = staff.submit(QUEUE, &format!("{QUEUE}/{home}/carrier-event"), &[("tracking", &tracking), ("event", "appointment_confirmed"), ("date", "2031-01-14")]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(status_of(&app, &home).await, OrderStatus::Shipped);
        let done = staff.submit(QUEUE, &format!("{QUEUE}/{home}/carrier-event"), &[("tracking", &tracking), ("event", "delivered"), ("date", "")]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(status_of(&app, &home).await, OrderStatus::Delivered);
        let page = staff.get(QUEUE).await;
        for number in [&home, &pickup] {
            assert!(!page.body.contains(&format!("data-number=\"{number}\"")), "{number} left the queue");
        }
        assert!(card(&page.body, "on-their-way", &high).is_some(), "{}", page.body);
        app.stop().await;
    }

    async fn the_queue_is_for_fulfilment_and_administrators(backend) {
        let clock = Arc::new(FixedClock::at(maison_app::clock::now_micros()));
        let app = spawn_app_at(backend, clock.clone()).await;
        let mut admin = enrolled(&app, &clock, "admin@maison.example", "admin").await;
        let page = admin.get(QUEUE).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("href=\"/console/fulfilment\""));
        for role in ["ambassador", "prestige_advisor"] {
            let mut member = enrolled(&app, &clock, &format!("{role}@maison.example"), role).await;
            let home = member.get("/console").await;
            assert!(!home.body.contains("href=\"/console/fulfilment\""), "{role} sees no link");
            let page = member.get(QUEUE).await;
            assert_eq!(page.status, 403, "{role}");
            assert!(page.body.contains("Not for this role"), "{}", page.body);
            let refused = member.submit("/console", &format!("{QUEUE}/MA-00000000/ready"), &[]).await;
            assert_eq!(refused.status, 403, "{role}: {}", refused.body);
        }
        // Without a session: the sign-in page.
        let page = Browser::new(&app).get(QUEUE).await;
        assert_eq!(page.status, 303);
        assert!(page.location.starts_with("/console/sign-in"));
        app.stop().await;
    }
}
