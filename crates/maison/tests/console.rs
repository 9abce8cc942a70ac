//! The Client Relations console over real HTTP, on SQLite and PostgreSQL:
//! the one-time setup link (password and authenticator), sign-in and its
//! refusals, the idle and absolute timeouts (by the maison's clock), CSRF,
//! and what each role sees and may do.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{TestApp, csrf_field, plain_sku, spawn_app_at};
use maison_app::actor::Actor;
use maison_app::clock::FixedClock;
use maison_testkit::on_both_databases;
use reqwest::{Method, StatusCode};

/// 2026-12-01T12:00:00Z.
const T0: i64 = 1_796_126_400_000_000;
const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const PASSWORD: &str = "Sapphire morning walk";

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

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.url))
            .header("cookie", self.cookie_header());
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

/// The code an authenticator with `secret` shows at `micros`.
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

/// Adds a member and follows their setup link as they would: returns their
/// signed-in browser and their authenticator's key.
async fn enrolled<'a>(
    app: &'a TestApp,
    clock: &FixedClock,
    email: &str,
    name: &str,
    role: &str,
) -> (Browser<'a>, String) {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, name, role)
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
    assert!(
        page.body.contains(name) && page.body.contains("<svg"),
        "the QR code is inline"
    );
    let secret: String = between(&page.body, "data-testid=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let token = link.url.split("token=").nth(1).expect("token").to_owned();
    let now = clock_now(clock);
    let entered = browser
        .submit(
            &path,
            "/console/setup",
            &[
                ("token", &token),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("code", &code(&secret, now)),
            ],
        )
        .await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    assert_eq!(entered.location, "/console");
    (browser, secret)
}

fn clock_now(clock: &FixedClock) -> i64 {
    use maison_app::clock::Clock;
    clock.now_micros()
}

async fn sign_in(browser: &mut Browser<'_>, email: &str, password: &str, code: &str) -> Page {
    browser
        .submit(
            "/console/sign-in",
            "/console/sign-in",
            &[("email", email), ("password", password), ("code", code)],
        )
        .await
}

async fn start(backend: maison_testkit::Backend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(T0));
    let app = spawn_app_at(backend, clock.clone()).await;
    (app, clock)
}

const REFUSAL: &str = "The e-mail address, the password or the code is not right.";

on_both_databases! {
    async fn a_setup_link_enrols_once_and_sign_in_needs_password_and_a_fresh_code(backend) {
        let (app, clock) = start(backend).await;
        let email = "elise@maison.example";
        let (mut signed, secret) = enrolled(&app, &clock, email, "Élise Marchand", "ambassador").await;
        let home = signed.get("/console").await;
        assert_eq!(home.status, 200);
        assert!(home.body.contains("Élise Marchand · Ambassador"), "{}", home.body);
        let cookie = signed.cookies.get("maison_console").expect("session cookie").clone();
        assert_eq!(cookie.len(), 64);

        // The link works once.
        let link_page = Browser::new(&app).get("/console/setup?token=nope").await;
        assert_eq!(link_page.status, 404);

        // Refusals read the same, whichever part is wrong.
        let mut other = Browser::new(&app);
        let now = clock_now(&clock);
        let refused = sign_in(&mut other, email, "Wrong password here", &code(&secret, now)).await;
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains(REFUSAL), "{}", refused.body);
        let refused = sign_in(&mut other, email, PASSWORD, "000000").await;
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains(REFUSAL));
        let refused = sign_in(&mut other, "nobody@maison.example", PASSWORD, &code(&secret, now)).await;
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains(REFUSAL));
        // The code that proved the enrolment is spent: it does not sign in.
        let replayed = sign_in(&mut other, email, PASSWORD, &code(&secret, now)).await;
        assert_eq!(replayed.status, 401, "a code works once");
        assert!(replayed.body.contains(REFUSAL));

        clock.advance(30 * SECOND);
        let fresh = code(&secret, clock_now(&clock));
        let ok = sign_in(&mut other, email, PASSWORD, &fresh).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(other.get("/console").await.status, 200);
        // The same code again, from another browser: refused.
        let mut third = Browser::new(&app);
        let again = sign_in(&mut third, email, PASSWORD, &fresh).await;
        assert_eq!(again.status, 401);

        // A disabled member's sessions stop at once, and they cannot sign in.
        app.maison().disable_staff(&Actor::System("test"), email).await.expect("disabled");
        let gone = signed.get("/console").await;
        assert_eq!(gone.status, 303);
        assert!(gone.location.starts_with("/console/sign-in"), "{}", gone.location);
        assert_eq!(other.get("/console").await.status, 303);
        clock.advance(30 * SECOND);
        let refused = sign_in(&mut third, email, PASSWORD, &code(&secret, clock_now(&clock))).await;
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains(REFUSAL));
        app.stop().await;
    }

    async fn console_sessions_end_after_30_idle_minutes_or_8_hours(backend) {
        let (app, clock) = start(backend).await;
        let (mut browser, secret) = enrolled(&app, &clock, "nadia@maison.example", "Nadia Laurent", "fulfilment").await;
        clock.advance(29 * MINUTE);
        assert_eq!(browser.get("/console").await.status, 200, "29 minutes idle");
        clock.advance(29 * MINUTE);
        assert_eq!(browser.get("/console").await.status, 200, "used again: the idle time restarts");
        clock.advance(31 * MINUTE);
        let ended = browser.get("/console").await;
        assert_eq!(ended.status, 303, "31 minutes idle");
        assert_eq!(ended.location, "/console/sign-in?ended=1");
        let page = browser.get(&ended.location).await;
        assert!(page.body.contains("Your session ended"), "{}", page.body);

        let ok = sign_in(&mut browser, "nadia@maison.example", PASSWORD, &code(&secret, clock_now(&clock))).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        // Busy all day: a request every 20 minutes for 7 h 40 min.
        for _ in 0..23 {
            clock.advance(20 * MINUTE);
            assert_eq!(browser.get("/console").await.status, 200);
        }
        clock.advance(20 * MINUTE);
        let ended = browser.get("/console").await;
        assert_eq!(ended.status, 303, "8 hours after signing in");
        app.stop().await;
    }

    async fn forms_without_their_csrf_token_are_refused(backend) {
        let (app, clock) = start(backend).await;
        let (mut browser, _) = enrolled(&app, &clock, "victor@maison.example", "Victor Lemaire", "admin").await;
        let refused = browser
            .send(Method::POST, "/console/staff", Some(&[("name", "Eve"), ("email", "eve@maison.example"), ("role", "admin")]))
            .await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("security token"), "{}", refused.body);
        let refused = browser
            .send(Method::POST, "/console/staff", Some(&[("csrf_token", "0123"), ("name", "Eve"), ("email", "eve@maison.example"), ("role", "admin")]))
            .await;
        assert_eq!(refused.status, 403);
        let staff = app.maison().list_staff(&Actor::System("test")).await.expect("staff");
        assert_eq!(staff.len(), 1, "nobody was added");
        // The sign-in form too.
        let mut stranger = Browser::new(&app);
        let refused = stranger
            .send(Method::POST, "/console/sign-in", Some(&[("email", "victor@maison.example"), ("password", PASSWORD), ("code", "123456")]))
            .await;
        assert_eq!(refused.status, 403);
        // With it, the administrator adds a member and is shown their link.
        let added = browser
            .submit("/console/staff", "/console/staff", &[("name", "Eve Martin"), ("email", "eve@maison.example"), ("role", "prestige_advisor")])
            .await;
        assert_eq!(added.status, 200, "{}", added.body);
        assert!(added.body.contains("/console/setup?token="), "the one-time link is shown");
        app.stop().await;
    }

    async fn each_role_sees_the_actions_it_may_take_and_the_use_cases_refuse_the_others(backend) {
        let (app, clock) = start(backend).await;
        let sku = plain_sku(&app).await;
        let (mut ambassador, _) = enrolled(&app, &clock, "elise@maison.example", "Élise Marchand", "ambassador").await;
        let (mut fulfilment, _) = enrolled(&app, &clock, "nadia@maison.example", "Nadia Laurent", "fulfilment").await;
        let (mut admin, _) = enrolled(&app, &clock, "victor@maison.example", "Victor Lemaire", "admin").await;

        // A wire order placed through the console's form: a double click
        // (the same form twice) places one order.
        let form = ambassador.get("/console/new-order").await;
        assert_eq!(form.status, 200);
        let key = between(&form.body, "name=\"idempotency_key\" value=\"", "\"").to_owned();
        let token = csrf_field(&form.body).expect("token");
        let fields = [
            ("csrf_token", token.as_str()), ("idempotency_key", key.as_str()), ("intent", "place"),
            ("via", "telephone"), ("first_name", "Claire"), ("last_name", "Dubois"),
            ("email", "claire@example.com"), ("phone", "212-555-0147"),
            ("sku_1", sku.as_str()), ("quantity_1", "1"),
            ("delivery_method", "home"), ("line1", "10 Park Avenue"), ("city", "New York"),
            ("region", "NY"), ("postal_code", "10016"), ("country", "US"),
            ("payment", "wire"), ("documents", "email"),
        ];
        let first = ambassador.send(Method::POST, "/console/new-order", Some(&fields)).await;
        assert_eq!(first.status, 303, "{}", first.body);
        let second = ambassador.send(Method::POST, "/console/new-order", Some(&fields)).await;
        assert_eq!(second.location, first.location, "one order for one form");
        let order_path = first.location.split('?').next().expect("path").to_owned();
        let number = order_path.rsplit('/').next().expect("number").to_owned();

        let page = ambassador.get(&order_path).await;
        assert!(page.body.contains(&number) && page.body.contains("data-testid=\"order-total\""));
        assert!(page.body.contains("receipt-form") && page.body.contains("cancel-form"));
        assert!(!page.body.contains("process-form"));
        let page = fulfilment.get(&order_path).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("receipt-form") && !page.body.contains("cancel-form"));
        assert!(!page.body.contains("href=\"/console/new-order\""), "no New order link for fulfilment");
        assert!(!page.body.contains("href=\"/console/staff\""));
        // The use case refuses what the page does not offer.
        let refused = fulfilment
            .submit(&order_path, &format!("{order_path}/cancel"), &[("reason", "test"), ("confirm", "on")])
            .await;
        assert_eq!(refused.status, 403);
        assert_eq!(ambassador.get("/console/staff").await.status, 403);
        assert_eq!(ambassador.get("/console/audit").await.status, 403);
        assert_eq!(fulfilment.get("/console/new-order").await.status, 403);

        // Two partial receipts confirm the order.
        let total = {
            let page = admin.get(&order_path).await;
            between(&page.body, "data-testid=\"order-total\">$", "<").replace(',', "")
        };
        let (whole, cents) = total.split_once('.').expect("decimals");
        let total_cents: i64 = whole.parse::<i64>().expect("whole") * 100 + cents.parse::<i64>().expect("cents");
        let part = total_cents / 3;
        let first_amount = format!("{}.{:02}", part / 100, part % 100);
        let rest = total_cents - part;
        let rest_amount = format!("{}.{:02}", rest / 100, rest % 100);
        let unconfirmed = ambassador
            .submit(&order_path, &format!("{order_path}/receipts"), &[("method", "wire"), ("amount", &first_amount), ("reference", "FW-1")])
            .await;
        assert_eq!(unconfirmed.status, 422, "a receipt needs its confirmation box");
        let r = ambassador
            .submit(&order_path, &format!("{order_path}/receipts"), &[("method", "wire"), ("amount", &first_amount), ("reference", "FW-1"), ("confirm", "on")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = ambassador.get(&order_path).await;
        assert!(page.body.contains("data-testid=\"order-status\">Placed"));
        let r = ambassador
            .submit(&order_path, &format!("{order_path}/receipts"), &[("method", "wire"), ("amount", &rest_amount), ("reference", "FW-2"), ("confirm", "on")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = fulfilment.get(&order_path).await;
        assert!(page.body.contains("data-testid=\"order-status\">Confirmed"), "{}", page.body);
        assert!(page.body.contains("process-form"), "fulfilment may process a confirmed order");
        assert!(page.body.contains("staff:elise@maison.example") || page.body.contains("elise@maison.example"));
        let page = ambassador.get(&order_path).await;
        assert!(!page.body.contains("process-form") && page.body.contains("cancel-form"));
        let page = admin.get(&order_path).await;
        assert!(page.body.contains("process-form") && page.body.contains("cancel-form"));

        // The search finds it by name, e-mail, part of the number and status.
        for query in ["claire", "Dubois", "claire@example.com", &number[3..8], &number.to_lowercase()] {
            let page = ambassador.get(&format!("/console?q={query}")).await;
            assert!(page.body.contains(&number), "{query}");
        }
        let page = ambassador.get("/console?q=&status=cancelled").await;
        assert!(!page.body.contains(&number));
        assert_eq!(admin.get("/console/audit").await.status, 200);
        assert_eq!(admin.get("/console/outbox?status=all").await.status, 200);
        app.stop().await;
    }
}

/// A creation priced on request with a single size: that size's SKU, with
/// `stock` pieces.
async fn solitaire(app: &TestApp, stock: u32) -> String {
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
    sku
}

/// A client's request through the public API: its id.
async fn public_request(app: &TestApp, sku: &str, first_name: &str, message: &str) -> String {
    let response = app
        .post_json(
            "/api/v1/information-requests",
            &serde_json::json!({
                "sku": sku, "first_name": first_name, "last_name": "Dubois",
                "email": "claire@example.com", "phone": "212-555-0147", "message": message,
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

/// The cents of the first amount in `text` ("$12,500.00" is 1250000).
fn cents_of(text: &str) -> i64 {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("an amount")
}

on_both_databases! {
    async fn advisors_work_the_information_requests_queue_and_issue_a_quote_with_its_link(backend) {
        let (app, clock) = start(backend).await;
        let sku = solitaire(&app, 2).await;
        let first = public_request(&app, &sku, "Claire", "Which diamonds\nare available?").await;
        clock.advance(MINUTE);
        let second = public_request(&app, &sku, "Camille", "A second question.").await;
        let (mut ambassador, _) = enrolled(&app, &clock, "elise@maison.example", "Élise Marchand", "ambassador").await;
        let (mut advisor, _) = enrolled(&app, &clock, "helene@maison.example", "Hélène Roy", "prestige_advisor").await;

        // The queue: newest first, by status.
        let queue = ambassador.get("/console/requests").await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        assert!(queue.body.contains("href=\"/console/requests\" aria-current=\"page\""));
        let (a, b) = (queue.body.find(&format!("/console/requests/{first}")), queue.body.find(&format!("/console/requests/{second}")));
        assert!(a.is_some() && b.is_some() && b < a, "newest first: {}", queue.body);
        assert!(queue.body.contains("Claire Dubois") && queue.body.contains(&sku));
        let new = ambassador.get("/console/requests?status=new").await;
        assert!(new.body.contains(&first));
        assert!(!ambassador.get("/console/requests?status=closed").await.body.contains(&first));
        let wrong = ambassador.get("/console/requests?status=lost").await;
        assert_eq!(wrong.status, 422);

        // The request in full: the client, the piece, the message.
        let path = format!("/console/requests/{first}");
        let page = ambassador.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("claire@example.com") && page.body.contains("212-555-0147"));
        assert!(page.body.contains("Which diamonds\nare available?"), "{}", page.body);
        assert!(page.body.contains("data-testid=\"request-status\">New"));
        assert!(page.body.contains("assign-form") && page.body.contains("status-form"));
        assert!(!page.body.contains("data-testid=\"quote-form\""), "an Ambassador does not quote");
        assert_eq!(ambassador.get("/console/requests/nope").await.status, 404);

        // An Ambassador gives it to the advisor.
        let assigned = ambassador
            .submit(&path, &format!("{path}/assign"), &[("advisor", "helene@maison.example")])
            .await;
        assert_eq!(assigned.status, 303, "{}", assigned.body);
        assert_eq!(assigned.location, format!("{path}?done=assigned"));
        let page = advisor.get(&path).await;
        assert!(page.body.contains("data-testid=\"request-status\">Assigned"), "{}", page.body);
        assert!(page.body.contains("with helene@maison.example"));
        assert!(page.body.contains("Assigned to helene@maison.example") && page.body.contains("elise@maison.example"));
        let refused = ambassador
            .submit(&path, &format!("{path}/assign"), &[("advisor", "elise@maison.example")])
            .await;
        assert_eq!(refused.status, 422, "only advisors take requests");
        assert!(refused.body.contains("Prestige Advisors"), "{}", refused.body);

        // The advisor records the call, with a note.
        let contacted = advisor
            .submit(&path, &format!("{path}/status"), &[("status", "contacted"), ("note", "Called: prefers an E colour.")])
            .await;
        assert_eq!(contacted.status, 303, "{}", contacted.body);
        let page = advisor.get(&path).await;
        assert!(page.body.contains("Marked contacted") && page.body.contains("Called: prefers an E colour."));

        // A quote, refused first as typed, then issued: the link is shown.
        assert!(page.body.contains("data-testid=\"quote-form\""));
        let quote = |carat: &'static str| vec![
            ("sku", sku.clone()), ("price", "48,500.00".to_owned()), ("carat", carat.to_owned()),
            ("colour", "E".to_owned()), ("clarity", "VVS1".to_owned()), ("cut", "excellent".to_owned()),
            ("valid_days", "14".to_owned()),
        ];
        let bad = quote("1.523");
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = advisor.submit(&path, &format!("{path}/quotes"), &bad).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("carat weight") && refused.body.contains("value=\"1.523\""), "{}", refused.body);
        assert!(!refused.body.contains("quote-link"));
        let good = quote("1.52");
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let issued = advisor.submit(&path, &format!("{path}/quotes"), &good).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        let link = between(&issued.body, "data-testid=\"quote-link\">", "<").to_owned();
        assert!(link.contains("/quotes/"), "{link}");
        let token = link.rsplit("/quotes/").next().expect("token").to_owned();
        assert!(issued.body.contains("data-testid=\"request-status\">Quoted"));
        assert!(issued.body.contains("$48,500.00") && issued.body.contains("1.52 ct, E colour, VVS1 clarity, excellent cut"));
        let (status, client_page) = app.get_text(&format!("/quotes/{token}")).await;
        assert_eq!(status, 200);
        assert!(client_page.contains("$48,500.00"));
        // Shown once: the request's page does not show it again.
        assert!(!advisor.get(&path).await.body.contains(&token));

        // The quotes' list, by status.
        let open = ambassador.get("/console/quotes?status=open").await;
        assert_eq!(open.status, 200);
        assert!(open.body.contains(&sku) && open.body.contains("Claire Dubois") && open.body.contains("$48,500.00"));
        assert!(open.body.contains(&format!("href=\"{path}\"")));
        assert!(!ambassador.get("/console/quotes?status=used").await.body.contains(&sku));
        assert!(ambassador.get("/console/quotes").await.body.contains(&sku));

        // Closed with a note: no more actions.
        let closed = advisor
            .submit(&path, &format!("{path}/status"), &[("status", "closed"), ("note", "Quote sent.")])
            .await;
        assert_eq!(closed.status, 303, "{}", closed.body);
        let page = advisor.get(&path).await;
        assert!(page.body.contains("data-testid=\"request-status\">Closed"));
        assert!(!page.body.contains("assign-form") && !page.body.contains("data-testid=\"quote-form\""));
        assert!(ambassador.get("/console/requests?status=closed").await.body.contains(&first));
        // The quote stays payable until it expires.
        assert!(ambassador.get("/console/quotes?status=open").await.body.contains(&sku));
        app.stop().await;
    }

    async fn an_order_is_changed_from_its_page_until_it_is_processed(backend) {
        let (app, clock) = start(backend).await;
        let sku = plain_sku(&app).await;
        let bag = app.bag_with(&[(sku.as_str(), 1)]).await;
        let response = app.checkout("console-change", &common::checkout_body(&bag)).await;
        assert_eq!(response.status(), 201);
        let order: serde_json::Value = response.json().await.expect("order");
        let number = order["number"].as_str().expect("number").to_owned();
        let path = format!("/console/orders/{number}");
        let (mut ambassador, _) = enrolled(&app, &clock, "elise@maison.example", "Élise Marchand", "ambassador").await;
        let (mut fulfilment, _) = enrolled(&app, &clock, "nadia@maison.example", "Nadia Laurent", "fulfilment").await;

        let page = ambassador.get(&path).await;
        assert!(page.body.contains("data-testid=\"change-form\""), "{}", page.body);
        assert!(page.body.contains(&format!("name=\"sku_1\" autocomplete=\"off\" class=\"mono\" value=\"{sku}\"")));
        assert!(page.body.contains("name=\"sku_4\""), "three empty rows");
        let total = cents_of(between(&page.body, "data-testid=\"order-total\">", "<"));
        assert!(!fulfilment.get(&path).await.body.contains("change-form"), "fulfilment does not change orders");

        // More rows without JavaScript.
        let more = ambassador.submit(&path, &format!("{path}/change"), &[("intent", "more_rows"), ("rows", "4"), ("sku_1", &sku), ("quantity_1", "1")]).await;
        assert_eq!(more.status, 200);
        assert!(more.body.contains("name=\"sku_7\"") && !more.body.contains("name=\"sku_8\""));

        // Without a reason, or without a change: refused, nothing changed.
        let r = ambassador.submit(&path, &format!("{path}/change"), &[("sku_1", &sku), ("quantity_1", "2"), ("reason", "")]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Give the reason") && r.body.contains("Nothing was changed."), "{}", r.body);
        let r = ambassador.submit(&path, &format!("{path}/change"), &[("sku_1", &sku), ("quantity_1", "1"), ("reason", "Nothing")]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("as they were"), "{}", r.body);

        // Declined for the new total: said in words, nothing changed.
        app.simulator.decline_next_token_authorisations(maison_payments::DeclineReason::InsufficientFunds, 1);
        let fields = [("sku_1", sku.as_str()), ("quantity_1", "2"), ("sku_2", ""), ("quantity_2", ""), ("reason", "The client wants a pair.")];
        let declined = ambassador.submit(&path, &format!("{path}/change"), &fields).await;
        assert_eq!(declined.status, 409, "{}", declined.body);
        assert!(declined.body.contains("declined") && declined.body.contains("not changed"), "{}", declined.body);
        assert!(declined.body.contains("The client wants a pair."), "the form as typed");
        assert_eq!(cents_of(between(&declined.body, "data-testid=\"order-total\">", "<")), total);

        // Authorised: the new total is shown.
        let changed = ambassador.submit(&path, &format!("{path}/change"), &fields).await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        assert_eq!(changed.location, format!("{path}?done=changed"));
        let page = ambassador.get(&changed.location).await;
        assert!(page.body.contains("The order is changed"));
        assert_eq!(cents_of(between(&page.body, "data-testid=\"order-total\">", "<")), total * 2);
        assert!(page.body.contains("name=\"quantity_1\" type=\"number\" min=\"0\" max=\"99\" value=\"2\""));

        // In processing: no change form, and the use case refuses.
        let processed = fulfilment.submit(&path, &format!("{path}/process"), &[("confirm", "on")]).await;
        assert_eq!(processed.status, 303, "{}", processed.body);
        let page = ambassador.get(&path).await;
        assert!(page.body.contains("data-testid=\"order-status\">Processing"));
        assert!(!page.body.contains("change-form"), "no change once processing");
        let late = ambassador.submit(&path, &format!("{path}/change"), &[("sku_1", &sku), ("quantity_1", "1"), ("reason", "Too late")]).await;
        assert_eq!(late.status, 409);
        assert!(late.body.contains("can no longer be changed"), "{}", late.body);
        app.stop().await;
    }

    async fn an_open_quote_is_paid_by_telephone_from_the_console(backend) {
        let (app, clock) = start(backend).await;
        let sku = solitaire(&app, 1).await;
        let request = public_request(&app, &sku, "Claire", "Which diamonds are available?").await;
        let (mut ambassador, _) = enrolled(&app, &clock, "elise@maison.example", "Élise Marchand", "ambassador").await;
        let (mut advisor, _) = enrolled(&app, &clock, "helene@maison.example", "Hélène Roy", "prestige_advisor").await;
        let (mut fulfilment, _) = enrolled(&app, &clock, "nadia@maison.example", "Nadia Laurent", "fulfilment").await;

        // Issued from the request's page; the same form sent twice issues one quote.
        let path = format!("/console/requests/{request}");
        let page = advisor.get(&path).await;
        let key = between(&page.body, "name=\"idempotency_key\" value=\"", "\"").to_owned();
        let fields = [
            ("idempotency_key", key.as_str()), ("sku", sku.as_str()), ("price", "48500"), ("carat", "1.52"),
            ("colour", "E"), ("clarity", "VVS1"), ("cut", "excellent"), ("valid_days", "14"),
        ];
        let issued = advisor.submit(&path, &format!("{path}/quotes"), &fields).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        let again = advisor.submit(&path, &format!("{path}/quotes"), &fields).await;
        assert_eq!(
            between(&again.body, "data-testid=\"quote-link\">", "<"),
            between(&issued.body, "data-testid=\"quote-link\">", "<"),
            "the same quote"
        );
        assert_eq!(app.store.messages_to("claire@example.com").await.expect("outbox").iter().filter(|m| m.kind == "quote").count(), 1);

        // "Take payment by telephone": the form holds the quote and its client.
        let quotes = ambassador.get("/console/quotes?status=open").await;
        let pay = between(&quotes.body, "href=\"/console/new-order?quote=", "\"").to_owned();
        assert!(ambassador.get(&path).await.body.contains("data-testid=\"quote-pay\""));
        let seen = fulfilment.get("/console/quotes").await;
        assert!(seen.body.contains(&sku) && !seen.body.contains("quote-pay"), "fulfilment takes no order");
        let form = ambassador.get(&format!("/console/new-order?quote={pay}")).await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains(&format!("name=\"quote_id\" value=\"{pay}\"")), "{}", form.body);
        assert!(form.body.contains("$48,500.00") && form.body.contains("value=\"Claire\""), "{}", form.body);
        assert!(!form.body.contains("name=\"sku_1\""), "no lines to type");
        assert_eq!(ambassador.get("/console/new-order?quote=nope").await.status, 404);

        let key = between(&form.body, "name=\"idempotency_key\" value=\"", "\"").to_owned();
        let token = csrf_field(&form.body).expect("token");
        let order = [
            ("csrf_token", token.as_str()), ("idempotency_key", key.as_str()), ("intent", "place"),
            ("quote_id", pay.as_str()), ("via", "telephone"), ("first_name", "Claire"), ("last_name", "Dubois"),
            ("email", "claire@example.com"), ("phone", "212-555-0147"),
            ("delivery_method", "home"), ("line1", "10 Park Avenue"), ("city", "New York"),
            ("region", "NY"), ("postal_code", "10016"), ("country", "US"),
            ("payment", "wire"), ("documents", "email"),
        ];
        let placed = ambassador.send(Method::POST, "/console/new-order", Some(&order)).await;
        assert_eq!(placed.status, 303, "{}", placed.body);
        let order_path = placed.location.split('?').next().expect("path").to_owned();
        let page = ambassador.get(&order_path).await;
        assert!(page.body.contains(&sku), "{}", page.body);
        assert_eq!(cents_of(between(&page.body, "data-testid=\"order-total\">", "<")), 4_850_000);

        // Paid: the quote is used, and no longer offered.
        let used = ambassador.get("/console/quotes?status=used").await;
        assert!(used.body.contains("data-testid=\"quote-order\"") && !used.body.contains("quote-pay"), "{}", used.body);
        let key = "another-form";
        let mut twice = order.to_vec();
        twice[1] = ("idempotency_key", key);
        let refused = ambassador.send(Method::POST, "/console/new-order", Some(&twice)).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("data-testid=\"quote-to-pay\""), "the quote shown again");
        app.stop().await;
    }
}
