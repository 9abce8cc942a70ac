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
