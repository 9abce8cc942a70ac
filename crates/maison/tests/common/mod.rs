//! Starts the whole maison in-process on a random port with a fresh database.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use std::sync::Arc;

use maison::config::{RawConfig, RawMail, resolve};
use maison::server::{Server, launch_with_clock, open_store};
use maison_app::Simulator;
use maison_testkit::{Backend, TestDatabase, database};
use serde_json::Value;

pub struct TestApp {
    pub url: String,
    pub database_url: String,
    pub http: reqwest::Client,
    /// The payment processor the maison talks to, with its test knobs.
    pub simulator: Simulator,
    pub store: maison_store::Store,
    pub spool: tempfile::TempDir,
    server: Option<Server>,
    _db: TestDatabase,
}

/// The demo maison on `backend`, listening on a free loopback port; mail goes
/// to a spool folder.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, RawMail::default()).await
}

/// The same, with these mail settings (an SMTP server, for instance).
pub async fn spawn_app_with(backend: Backend, mail: RawMail) -> TestApp {
    spawn_app_full(backend, mail, Arc::new(maison_app::clock::SystemClock)).await
}

/// A maison whose clock the test sets (elapsed time without waiting).
pub async fn spawn_app_at(backend: Backend, clock: Arc<dyn maison_app::clock::Clock>) -> TestApp {
    spawn_app_full(backend, RawMail::default(), clock).await
}

async fn spawn_app_full(
    backend: Backend,
    mail: RawMail,
    clock: Arc<dyn maison_app::clock::Clock>,
) -> TestApp {
    spawn_app_configured(backend, mail, clock, |_| {}).await
}

/// A maison with more of its configuration set by the test (carriers'
/// webhook secrets, policies, ...).
pub async fn spawn_app_configured(
    backend: Backend,
    mut mail: RawMail,
    clock: Arc<dyn maison_app::clock::Clock>,
    configure: impl FnOnce(&mut RawConfig),
) -> TestApp {
    let db = database(backend);
    let spool = tempfile::tempdir().expect("spool folder");
    if mail.smtp_host.is_none() {
        mail.spool_dir = Some(spool.path().to_path_buf());
    }
    let mut raw = RawConfig {
        database_url: Some(db.url.clone()),
        listen: Some("127.0.0.1:0".into()),
        catalogue_refresh_ms: Some(50),
        mail,
        ..RawConfig::default()
    };
    // `MAISON_GROUP_COMMIT=true scripts/test` runs every test with group
    // commit on: the maisons started here and the binaries the CLI tests run.
    if std::env::var("MAISON_GROUP_COMMIT").as_deref() == Ok("true") {
        raw.group_commit = Some(true);
    }
    configure(&mut raw);
    let settings = resolve(raw).expect("test settings are valid");
    let store = open_store(&settings.database_url).await.expect("database");
    maison_demo::seed(&store).await.expect("demo seeded");
    let simulator = Simulator::new();
    let server = launch_with_clock(&settings, store.clone(), Arc::new(simulator.clone()), clock)
        .await
        .expect("the maison starts");
    TestApp {
        url: server.url.clone(),
        database_url: db.url.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        simulator,
        store,
        spool,
        server: Some(server),
        _db: db,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.expect("a JSON body");
        (status, body)
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("a text body"))
    }

    /// Every creation of the catalogue, through the API's pages.
    pub async fn all_products(&self) -> Vec<Value> {
        let mut items = Vec::new();
        let mut path = "/api/v1/products?limit=100".to_owned();
        loop {
            let (status, body) = self.get_json(&path).await;
            assert_eq!(status, 200, "{body}");
            items.extend(body["items"].as_array().expect("items").iter().cloned());
            match body["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/products?limit=100&cursor={cursor}"),
                None => return items,
            }
        }
    }

    /// The first creation matching `pred`.
    pub async fn product_where(&self, pred: impl Fn(&Value) -> bool) -> Value {
        self.all_products()
            .await
            .into_iter()
            .find(|p| pred(p))
            .expect("the demo maison has such a creation")
    }

    /// Polls `path` until `check` holds on its JSON (changes made elsewhere
    /// reach the catalogue snapshot within the refresh interval).
    pub async fn eventually_json(&self, path: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, body) = self.get_json(path).await;
            if check(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never matched; last: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn maison(&self) -> &maison_app::Maison {
        &self.server.as_ref().expect("running").maison
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A new bag holding `quantity` of each SKU; returns its id.
    pub async fn bag_with(&self, skus: &[(&str, i64)]) -> String {
        let (status, bag) = {
            let r = self.post_json("/api/v1/bags", &serde_json::json!({})).await;
            (r.status().as_u16(), r.json::<Value>().await.expect("bag"))
        };
        assert_eq!(status, 201, "{bag}");
        let id = bag["id"].as_str().expect("id").to_owned();
        for (sku, quantity) in skus {
            let r = self
                .post_json(
                    &format!("/api/v1/bags/{id}/lines"),
                    &serde_json::json!({"sku": sku, "quantity": quantity}),
                )
                .await;
            let status = r.status().as_u16();
            assert_eq!(status, 200, "{sku}: {}", r.text().await.unwrap_or_default());
        }
        id
    }

    /// Checks out `bag_id` with `key` and `card_number`, as Claire Dubois.
    pub async fn checkout(&self, key: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/checkout", self.url))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// The token in the latest letter of `kind` to `email` (the link's
    /// `token=` parameter), as the client would follow it.
    /// The token of the latest letter of `kind` to `email`, as the client
    /// reads it in the mail (the outbox keeps no link once a letter is sent).
    /// Waits up to 10 s for it.
    pub async fn mail_token(&self, email: &str, kind: &str) -> String {
        self.nth_mail_token(email, kind, 0).await
    }

    /// The same, once more than `seen` such letters have arrived.
    pub async fn nth_mail_token(&self, email: &str, kind: &str, seen: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let tokens = spool_tokens(self.spool.path(), email, kind);
            if tokens.len() > seen
                && let Some(latest) = tokens.last()
            {
                return latest.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} letter to {email} in the spool"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn register(
        &self,
        first: &str,
        last: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_json(
            "/api/v1/accounts",
            &serde_json::json!({"first_name": first, "last_name": last, "email": email, "password": password}),
        )
        .await
    }

    /// A confirmed client account; returns an API (bearer) token.
    pub async fn client(&self, first: &str, last: &str, email: &str) -> String {
        let r = self.register(first, last, email, PASSWORD).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        let token = self.mail_token(email, "registration").await;
        let r = self
            .post_json(
                "/api/v1/accounts/confirm",
                &serde_json::json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let session: Value = r.json().await.expect("session");
        session["token"].as_str().expect("token").to_owned()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/sessions",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// A request carrying a bearer token.
    pub fn with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token)
    }

    /// What a guest's browser holds after opening any page: the form-token
    /// cookie (`name=value`) and the token its forms send back.
    pub async fn guest_form_token(&self) -> (String, String) {
        let response = self.get("/account/sign-in").await;
        let cookie = cookie_pair(&response, "maison_form").expect("a form-token cookie");
        let html = response.text().await.expect("page");
        let token = csrf_field(&html).expect("the form's token");
        assert_eq!(cookie, format!("maison_form={token}"));
        (cookie, token)
    }

    /// Posts a storefront form as a guest's browser does: with its form-token
    /// cookie and the form's token (and `cookies`, such as the bag's).
    pub async fn guest_form(
        &self,
        path: &str,
        cookies: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (cookie, token) = self.guest_form_token().await;
        let cookie = match cookies {
            Some(more) => format!("{cookie}; {more}"),
            None => cookie,
        };
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.http
            .post(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

pub fn is_online_and(availability: &'static str) -> impl Fn(&Value) -> bool {
    move |p| p["sale_mode"] == "online" && p["availability"] == availability
}

/// Asserts an `application/problem+json` answer with `status` and `code`.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(!body["title"].as_str().unwrap_or_default().is_empty());
    assert!(!body["detail"].as_str().unwrap_or_default().is_empty());
    body
}

/// A checkout body for `bag_id`: Claire Dubois, home delivery in New York,
/// the Visa test card.
pub fn checkout_body(bag_id: &str) -> Value {
    serde_json::json!({
        "bag_id": bag_id,
        "contact": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
        "delivery": {"method": "home", "address": {
            "line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
        "payment": {"card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "917", "holder_name": "CLAIRE DUBOIS"}},
        "accept_final_sale": false
    })
}

/// The `name=value` of the cookie `name` a response sets.
pub fn cookie_pair(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// The value of the first `csrf_token` field of a page.
pub fn csrf_field(html: &str) -> Option<String> {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The password the test clients choose.
pub const PASSWORD: &str = "Velvet orchid at midnight";

/// The link tokens of the letters of `kind` (`registration`,
/// `password_reset`) to `email` in a spool folder, oldest first.
pub fn spool_tokens(spool: &std::path::Path, email: &str, kind: &str) -> Vec<String> {
    let subject = match kind {
        "registration" => "Subject: Confirm your",
        "password_reset" => "Subject: Choose a new password",
        other => panic!("no link in {other} letters"),
    };
    let to = format!("to: {}", email.to_lowercase());
    let mut letters: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(spool)
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| {
                    let modified = e.metadata().and_then(|m| m.modified()).ok()?;
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    // Quoted-printable: soft line breaks, and "=" as "=3D".
                    Some((modified, text.replace("=\r\n", "").replace("=3D", "=")))
                })
                .collect()
        })
        .unwrap_or_default();
    letters.sort_by_key(|(modified, _)| *modified);
    letters
        .iter()
        .filter(|(_, text)| text.contains(subject) && text.to_lowercase().contains(&to))
        .filter_map(|(_, text)| token_in(text))
        .collect()
}

/// The value of the first `token=` parameter in a text.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (!token.is_empty()).then_some(token)
}

/// An available creation without personalisation, with plenty of stock.
pub async fn plain_sku(app: &TestApp) -> String {
    let product = app
        .product_where(|p| {
            is_online_and("available")(p)
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.is_empty())
                && p["variants"].as_array().is_some_and(|v| v.len() == 1)
        })
        .await;
    let sku = product["sku"].as_str().expect("sku").to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 50)
        .await
        .expect("stock");
    sku
}

/// Places an order as the holder of `token` (Claire Dubois's details).
pub async fn order_as(app: &TestApp, token: &str, sku: &str, key: &str) -> Value {
    let r = app
        .with_token(reqwest::Method::POST, "/api/v1/bags", token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 201);
    let bag: Value = r.json().await.expect("bag");
    let bag_id = bag["id"].as_str().expect("id");
    let r = app
        .with_token(
            reqwest::Method::POST,
            &format!("/api/v1/bags/{bag_id}/lines"),
            token,
        )
        .json(&serde_json::json!({"sku": sku}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .with_token(reqwest::Method::POST, "/api/v1/checkout", token)
        .header("Idempotency-Key", key)
        .json(&checkout_body(bag_id))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("order")
}

/// A creation a guest can buy at once: available, in one size, no
/// personalisation, under the secure courier's threshold.
pub async fn plain_creation(app: &TestApp) -> Value {
    app.product_where(|p| {
        is_online_and("available")(p)
            && p["variants"].as_array().is_some_and(|v| v.len() == 1)
            && p["personalisation"]
                .as_array()
                .is_some_and(|a| a.is_empty())
            && p["price"]["amount"].as_str().is_some_and(|a| a.len() < 9)
    })
    .await
}

/// An available creation that can be engraved, and the SKU of one of its
/// available sizes, with `stock` pieces of it: (the creation, the SKU).
pub async fn engravable_in_stock(app: &TestApp, stock: u32) -> (Value, String) {
    let engravable = app
        .product_where(|p| {
            is_online_and("available")(p)
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|o| o["kind"] == "engraving"))
        })
        .await;
    let sku = engravable["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["availability"] == "available")
        .expect("an available size")["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), stock)
        .await
        .expect("stock");
    (engravable, sku)
}

/// Processes, ships and delivers order `number` as the fulfilment staff
/// member holding `token` (the carrier's events through the maison's own
/// path).
pub async fn deliver(app: &TestApp, number: &str, token: &str) {
    let r = app
        .with_token(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{number}/process"),
            token,
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .with_token(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{number}/shipments"),
            token,
        )
        .header("Idempotency-Key", format!("ship-{number}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let shipment: Value = r.json().await.expect("shipment");
    let tracking = shipment["tracking_number"].as_str().expect("tracking");
    for kind in ["picked_up", "in_transit", "out_for_delivery", "delivered"] {
        app.maison()
            .simulate_carrier_event(
                &maison_app::actor::Actor::System("test"),
                tracking,
                kind,
                None,
                None,
            )
            .await
            .expect("the carrier's event");
    }
    let r = app
        .with_token(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{number}"),
            token,
        )
        .send()
        .await
        .expect("sent");
    let order: Value = r.json().await.expect("order");
    assert_eq!(order["status"], "delivered", "{order}");
}

/// A request as staff or integrators send it: `token` as bearer, `key` as
/// `Idempotency-Key`, `body` as JSON, each only when given.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.http.request(method, format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}
