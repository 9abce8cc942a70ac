//! The JSON API of PRODUCT.md §7, over real HTTP, on SQLite and PostgreSQL.

mod common;

use std::collections::HashSet;

use common::{assert_problem, is_online_and, spawn_app};
use maison_testkit::on_both_databases;
use serde_json::Value;

fn money_is_exact(money: &Value) -> bool {
    let amount = money["amount"].as_str().unwrap_or_default();
    let (whole, cents) = amount.split_once('.').unwrap_or(("", ""));
    money["currency"] == "USD"
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
}

on_both_databases! {
    async fn the_listing_pages_through_every_creation_once(backend) {
        let app = spawn_app(backend).await;
        let mut seen = Vec::new();
        let mut path = "/api/v1/products?limit=7".to_owned();
        let mut pages = 0;
        loop {
            let (status, body) = app.get_json(&path).await;
            assert_eq!(status, 200);
            let items = body["items"].as_array().expect("items");
            assert!(items.len() <= 7);
            seen.extend(items.iter().map(|p| p["sku"].as_str().expect("sku").to_owned()));
            pages += 1;
            match body["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/products?limit=7&cursor={cursor}"),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no creation twice");
        assert!(seen.len() >= 40, "the demo has at least 40 creations, saw {}", seen.len());
        assert_eq!(pages, seen.len().div_ceil(7));
        app.stop().await;
    }

    async fn products_have_the_contract_shape_and_never_show_stock(backend) {
        let app = spawn_app(backend).await;
        let mut in_stock_not_online = 0;
        for p in app.all_products().await {
            for key in ["sku", "name", "slug", "category", "description", "sale_mode", "availability", "personalisation", "variants"] {
                assert!(p.get(key).is_some(), "{key} missing in {p}");
            }
            assert!(p.get("collection").is_some());
            let text = p.to_string();
            assert!(!text.contains("on_hand") && !text.contains("stock"), "stock leaked: {text}");
            match p["sale_mode"].as_str() {
                Some("price_on_request") => assert!(p["price"].is_null(), "{p}"),
                Some("online" | "phone_only") => assert!(money_is_exact(&p["price"]), "{p}"),
                other => panic!("unknown sale mode {other:?}"),
            }
            let availability = ["available", "temporarily_unavailable"];
            assert!(availability.contains(&p["availability"].as_str().unwrap_or_default()));
            let variants = p["variants"].as_array().expect("variants");
            assert!(!variants.is_empty());
            if variants.len() == 1 && variants[0]["size"].is_null() {
                assert_eq!(variants[0]["sku"], p["sku"], "a creation without sizes has one variant with its SKU");
            }
            for v in variants {
                assert!(availability.contains(&v["availability"].as_str().unwrap_or_default()));
            }
            // Availability is stock and the staff flag; the sale mode says how
            // a creation is sold: "call us, in stock" is not "out of stock".
            if p["sale_mode"] != "online" && p["availability"] == "available" {
                in_stock_not_online += 1;
            }
        }
        assert!(in_stock_not_online > 0, "phone-only and on-request creations in stock are available");
        app.stop().await;
    }

    async fn one_product_is_found_by_its_sku_in_any_case(backend) {
        let app = spawn_app(backend).await;
        let first = app.product_where(is_online_and("available")).await;
        let sku = first["sku"].as_str().expect("sku");
        let (status, body) = app.get_json(&format!("/api/v1/products/{}", sku.to_lowercase())).await;
        assert_eq!(status, 200);
        assert_eq!(body, first);
        app.stop().await;
    }

    async fn filters_keep_their_category_or_collection(backend) {
        let app = spawn_app(backend).await;
        let (status, body) = app.get_json("/api/v1/products?category=rings&limit=100").await;
        assert_eq!(status, 200);
        let rings = body["items"].as_array().expect("items");
        assert!(!rings.is_empty());
        assert!(rings.iter().all(|p| p["category"] == "rings"));
        let collection = app
            .product_where(|p| p["collection"].is_string())
            .await["collection"]
            .as_str()
            .expect("collection")
            .to_owned();
        let (_, body) = app.get_json(&format!("/api/v1/products?collection={collection}&limit=100")).await;
        let items = body["items"].as_array().expect("items");
        assert!(!items.is_empty() && items.iter().all(|p| p["collection"] == collection.as_str()));
        app.stop().await;
    }

    async fn bad_listing_input_gets_a_problem_with_a_code(backend) {
        let app = spawn_app(backend).await;
        let body = assert_problem(app.get("/api/v1/products?category=spaceships").await, 404, "category_not_found").await;
        assert_eq!(body["field"], "category");
        assert_problem(app.get("/api/v1/products?collection=nope").await, 404, "collection_not_found").await;
        let body = assert_problem(app.get("/api/v1/products?cursor=not-a-cursor").await, 400, "invalid_cursor").await;
        assert_eq!(body["field"], "cursor");
        assert_problem(app.get("/api/v1/products?cursor=3a41").await, 400, "invalid_cursor").await;
        for limit in ["0", "101", "-1", "ten", "1e3"] {
            let body = assert_problem(app.get(&format!("/api/v1/products?limit={limit}")).await, 422, "invalid_limit").await;
            assert_eq!(body["field"], "limit");
        }
        assert_problem(app.get("/api/v1/products/NO-SUCH-SKU").await, 404, "product_not_found").await;
        assert_problem(app.get("/api/v1/products/%00%ff").await, 404, "product_not_found").await;
        assert_problem(app.get("/api/v1/nothing-here").await, 404, "route_not_found").await;
        app.stop().await;
    }

    async fn boutiques_are_found_by_city_province_and_postal_code(backend) {
        let app = spawn_app(backend).await;
        let (status, body) = app.get_json("/api/v1/boutiques?q=Toronto").await;
        assert_eq!(status, 200);
        let items = body["items"].as_array().expect("items");
        assert!(!items.is_empty());
        assert!(items.iter().all(|b| b["address"]["city"] == "Toronto"));
        let b = &items[0];
        for key in ["id", "name", "address", "phone", "hours", "latitude", "longitude", "accepts_pickup"] {
            assert!(b.get(key).is_some(), "{key} missing in {b}");
        }
        assert_eq!(b["address"]["country"], "CA");
        assert!(b.get("distance_km").is_none());

        let (_, body) = app.get_json("/api/v1/boutiques?q=qc").await;
        let items = body["items"].as_array().expect("items");
        assert!(!items.is_empty() && items.iter().all(|b| b["address"]["region"] == "QC"));

        let postal = b["address"]["postal_code"].as_str().expect("postal").replace(' ', "");
        let (_, body) = app.get_json(&format!("/api/v1/boutiques?q={}", &postal[..3])).await;
        assert!(body["items"].as_array().expect("items").iter().any(|x| x["id"] == b["id"]));

        let (_, body) = app.get_json("/api/v1/boutiques?q=Atlantis").await;
        assert_eq!(body["items"].as_array().expect("items").len(), 0);
        app.stop().await;
    }

    async fn boutiques_near_a_point_come_nearest_first(backend) {
        let app = spawn_app(backend).await;
        let (status, body) = app.get_json("/api/v1/boutiques?near=43.65,-79.38").await;
        assert_eq!(status, 200);
        let items = body["items"].as_array().expect("items");
        assert!(items.len() >= 15, "the directory spans the continent");
        assert_eq!(items[0]["address"]["city"], "Toronto");
        let distances: Vec<f64> = items.iter().map(|b| b["distance_km"].as_f64().expect("distance")).collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        assert!(distances[0] < 10.0);

        let (_, body) = app.get_json("/api/v1/boutiques?pickup=true").await;
        assert!(body["items"].as_array().expect("items").iter().all(|b| b["accepts_pickup"] == true));

        for near in ["abc", "43.65", "91,0", "0,181", "NaN,1"] {
            let body = assert_problem(app.get(&format!("/api/v1/boutiques?near={near}")).await, 422, "invalid_coordinates").await;
            assert_eq!(body["field"], "near");
        }
        assert_problem(app.get("/api/v1/boutiques?pickup=maybe").await, 422, "invalid_pickup").await;
        app.stop().await;
    }

    async fn an_operators_stock_change_reaches_the_api(backend) {
        let app = spawn_app(backend).await;
        let product = app.product_where(is_online_and("available")).await;
        let sku = product["sku"].as_str().expect("sku").to_owned();
        let store = maison_store::Store::connect(&app.database_url).await.expect("a second connection");
        for variant in product["variants"].as_array().expect("variants") {
            let variant = maison_domain::Sku::parse(variant["sku"].as_str().expect("sku")).expect("valid");
            store.set_stock(&variant, 0).await.expect("stock set");
        }
        let path = format!("/api/v1/products/{sku}");
        let body = app.eventually_json(&path, |p| p["availability"] == "temporarily_unavailable").await;
        assert!(body["variants"].as_array().expect("variants").iter().all(|v| v["availability"] == "temporarily_unavailable"));

        let first = maison_domain::Sku::parse(product["variants"][0]["sku"].as_str().expect("sku")).expect("valid");
        store.set_stock(&first, 2).await.expect("stock set");
        let body = app.eventually_json(&path, |p| p["availability"] == "available").await;
        assert_eq!(body["variants"][0]["availability"], "available");
        store.close().await;
        app.stop().await;
    }

    async fn a_creation_flagged_by_staff_is_temporarily_unavailable(backend) {
        let app = spawn_app(backend).await;
        let product = app.product_where(is_online_and("available")).await;
        let sku = maison_domain::Sku::parse(product["sku"].as_str().expect("sku")).expect("valid");
        let store = maison_store::Store::connect(&app.database_url).await.expect("a second connection");
        store.set_flagged_unavailable(&sku, true).await.expect("flag");
        let path = format!("/api/v1/products/{sku}");
        app.eventually_json(&path, |p| p["availability"] == "temporarily_unavailable").await;
        store.set_flagged_unavailable(&sku, false).await.expect("unflag");
        app.eventually_json(&path, |p| p["availability"] == "available").await;
        store.close().await;
        app.stop().await;
    }

    async fn operations_endpoints_answer(backend) {
        let app = spawn_app(backend).await;
        assert_eq!(app.get_text("/healthz").await, (200, "ok".to_owned()));
        assert_eq!(app.get_text("/readyz").await, (200, "ready".to_owned()));
        app.get("/api/v1/products").await;
        let (status, metrics) = app.get_text("/metrics").await;
        assert_eq!(status, 200);
        assert!(metrics.contains("http_requests_total"), "{metrics}");
        assert!(metrics.contains("route=\"/api/v1/products\""), "{metrics}");
        assert!(metrics.contains("http_request_duration_seconds_bucket"), "{metrics}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    // The document describes exactly the routes the server registers: a route
    // is added with its description, or not at all.
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| (path.clone(), method.to_uppercase()))
        })
        .collect();
    documented.sort();
    assert_eq!(documented, maison_web::registered_routes());
    // And the server answers exactly those methods on each path: asked with a
    // method no route answers, it lists the ones it does in `Allow`.
    let mut methods: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for (path, method) in &documented {
        methods.entry(path).or_default().insert(method);
    }
    for (path, expected) in methods {
        let concrete: Vec<&str> = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect();
        let concrete = concrete.join("/");
        let response = app
            .http
            .request(reqwest::Method::TRACE, format!("{}{concrete}", app.url))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 405, "{path}");
        let allow = header(&response, "allow");
        let answered: std::collections::BTreeSet<&str> = allow
            .split(',')
            .map(str::trim)
            .filter(|m| *m != "HEAD")
            .collect();
        assert_eq!(answered, expected, "{path} answers {allow}");
    }
    // And every documented read answers (none is a route that does not exist).
    let sku = app.all_products().await[0]["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    let bag = app.bag_with(&[]).await;
    // The client's reads with a client's token.
    let token = app.client("Claire", "Dubois", "claire@example.com").await;
    let plain = common::plain_sku(&app).await;
    let order = common::order_as(&app, &token, &plain, "openapi").await;
    let number = order["number"].as_str().expect("number");
    let operator = maison_app::actor::Actor::System("test");
    app.maison()
        .add_staff(&operator, "admin@maison.example", "Admin", "admin")
        .await
        .expect("admin");
    let admin = app
        .maison()
        .new_staff_token(&operator, "admin@maison.example")
        .await
        .expect("token")
        .expose()
        .to_owned();
    // A quote, for the read of its private link.
    let request: serde_json::Value = app
        .post_json(
            "/api/v1/information-requests",
            &serde_json::json!({"sku": sku, "first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com"}),
        )
        .await
        .json()
        .await
        .expect("request");
    let quote: serde_json::Value = app
        .with_token(
            reqwest::Method::POST,
            &format!("/api/v1/information-requests/{}/quotes", request["id"].as_str().expect("id")),
            &admin,
        )
        .header("Idempotency-Key", "openapi-quote")
        .json(&serde_json::json!({"sku": plain, "price": {"amount": "1000.00", "currency": "USD"},
            "stone": {"carat": "1.00", "colour": "F", "clarity": "VS1", "cut": "good"}, "valid_days": 7}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("quote");
    let quote_token = quote["link"]
        .as_str()
        .and_then(|link| link.rsplit("/quotes/").next())
        .expect("a quote link")
        .to_owned();
    // A webhook endpoint, for the read of its deliveries.
    let endpoint: serde_json::Value = app
        .with_token(reqwest::Method::POST, "/api/v1/webhook-endpoints", &admin)
        .json(&serde_json::json!({"url": "https://integrator.example/hooks", "events": ["order.placed"]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("endpoint");
    let endpoint_id = endpoint["id"].as_str().expect("endpoint id").to_owned();
    for (path, operations) in paths {
        let Some(get) = operations.get("get") else {
            continue;
        };
        let concrete = path
            .replace("{sku}", &sku)
            .replace("{endpoint_id}", &endpoint_id)
            .replace("{id}", &bag)
            .replace("{number}", number)
            .replace("{token}", &quote_token);
        let mut request = app.http.get(format!("{}{concrete}", app.url));
        let needs = |scheme: &str| {
            get["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get(scheme).is_some()))
        };
        if needs("staffBearer") {
            request = request.bearer_auth(&admin);
        } else if needs("metricsToken") && !needs("bearer") {
            // The operations token is the operator's; /metrics is read from here.
        } else if get.get("security").is_some() {
            request = request.bearer_auth(&token);
        }
        assert_eq!(
            request.send().await.expect("sent").status().as_u16(),
            200,
            "{concrete}"
        );
    }
    // The readable reference is served from the binary (works offline).
    let (status, page) = app.get_text("/api/docs/").await;
    assert_eq!(status, 200);
    assert!(page.contains("swagger"), "{page}");
    let (status, script) = app.get_text("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(status, 200);
    assert!(script.len() > 100_000);
    app.stop().await;
}

#[tokio::test]
async fn catalogue_responses_carry_an_etag_and_an_unchanged_catalogue_answers_304() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let first = app.get("/api/v1/products?limit=5").await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let again = app
        .http
        .get(format!("{}/api/v1/products?limit=5", app.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304);
    let product = app.product_where(is_online_and("available")).await;
    let sku = maison_domain::Sku::parse(product["sku"].as_str().expect("sku")).expect("valid");
    app.store
        .set_flagged_unavailable(&sku, true)
        .await
        .expect("flag");
    app.eventually_json(&format!("/api/v1/products/{sku}"), |p| {
        p["availability"] == "temporarily_unavailable"
    })
    .await;
    let changed = app
        .http
        .get(format!("{}/api/v1/products?limit=5", app.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(changed.status(), 200, "a changed catalogue is sent again");
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    for path in ["/", "/api/v1/products", "/nothing"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(
            h.get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        assert!(h.get("referrer-policy").is_some());
    }
    app.stop().await;
}

on_both_databases! {
    async fn a_processing_error_asks_to_try_again_and_charges_nothing(backend) {
        let app = spawn_app(backend).await;
        let sku = common::plain_sku(&app).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let mut body = common::checkout_body(&bag);
        body["payment"]["card"]["number"] = serde_json::json!("4000 0000 0000 0119");
        // The processor failed to process a card it did not refuse: not a
        // decline (402), a failure to try again in a moment (503).
        let problem = assert_problem(app.checkout("processing-error", &body).await, 503, "payment_unavailable").await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("nothing was charged"), "{detail}");
        assert!(detail.contains("not refused"), "{detail}");
        assert!(detail.contains("try again in a moment"), "{detail}");
        assert!(problem.get("field").is_none(), "no field to correct: {problem}");
        // The same key replays the same answer, without a second attempt.
        let again = assert_problem(app.checkout("processing-error", &body).await, 503, "payment_unavailable").await;
        assert_eq!(again["detail"], problem["detail"]);
        assert_eq!(app.simulator.authorisation_count(), 0, "nothing held");
        // The bag is kept: trying again with a new key goes through.
        let placed = app.checkout("processing-error-retry", &common::checkout_body(&bag)).await;
        assert_eq!(placed.status(), 201, "{}", placed.text().await.unwrap_or_default());
        app.stop().await;
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The security headers every response carries (rule R3).
fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let csp = header(response, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe"),
        "{what}: {csp}"
    );
    assert_eq!(
        header(response, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(response, "x-frame-options"), "DENY", "{what}");
    assert!(!header(response, "referrer-policy").is_empty(), "{what}");
}

/// Sends `head` and a chunked body of `size` bytes over a raw connection (no
/// Content-Length: the limit must hold while reading); returns the answer.
async fn chunked_post(base: &str, path: &str, content_type: &str, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    let chunk = vec![b'a'; 8 * 1024];
    let mut sent = 0;
    while sent < size {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break; // refused before the end: fine
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn refusals_from_every_layer_are_problems_in_the_api_and_pages_in_the_storefront() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let url = |path: &str| format!("{}{path}", app.url);
    let method = |name: &str| reqwest::Method::from_bytes(name.as_bytes()).expect("method");

    // 405 from the router, for every method a route does not answer (TRACE too).
    for name in ["DELETE", "PUT", "TRACE", "OPTIONS"] {
        let response = app
            .http
            .request(method(name), url("/api/v1/products"))
            .send()
            .await
            .expect("sent");
        assert_security_headers(&response, name);
        assert!(header(&response, "allow").contains("GET"), "{name}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
    let response = app
        .http
        .request(method("TRACE"), url("/api/v1/nothing"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404, "route_not_found").await;
    // The operations endpoints: 405 with what they allow, never a CSRF refusal.
    for (name, path) in [
        ("TRACE", "/healthz"),
        ("PUT", "/healthz"),
        ("POST", "/readyz"),
        ("DELETE", "/readyz"),
    ] {
        let response = app
            .http
            .request(method(name), url(path))
            .send()
            .await
            .expect("sent");
        assert!(header(&response, "allow").contains("GET"), "{name} {path}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
    // On the storefront, a page; TRACE is a 405, never a refusal of a form.
    for (name, path) in [
        ("TRACE", "/"),
        ("TRACE", "/bag"),
        ("TRACE", "/account/sign-in"),
        ("TRACE", "/creations"),
    ] {
        let response = app
            .http
            .request(method(name), url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 405, "{name} {path}");
        assert_security_headers(&response, path);
        assert!(header(&response, "allow").contains("GET"), "{name} {path}");
        assert!(
            header(&response, "content-type").starts_with("text/html"),
            "{name} {path}"
        );
        let page = response.text().await.expect("page");
        assert!(page.contains("cannot be used this way"), "{page}");
    }

    // 403 from the same-origin check.
    let cross_site = [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    for (name, value) in cross_site {
        let response = app
            .http
            .post(url("/api/v1/bags"))
            .header(name, value)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("sent");
        assert_security_headers(&response, name);
        assert_problem(response, 403, "forbidden_origin").await;
        let response = app
            .http
            .post(url("/bag"))
            .header(name, value)
            .form(&[("sku", "VAL-LTH-001")])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403);
        assert!(header(&response, "content-type").starts_with("text/html"));
        let page = response.text().await.expect("page");
        assert!(page.contains("sent from another site"), "{page}");
    }

    // 413, with a declared length and while a chunked body is read.
    let big = "x".repeat(crate_max_body() + 1);
    let response = app
        .http
        .post(url("/api/v1/bags"))
        .header("content-type", "application/json")
        .body(format!("{{\"note\": \"{big}\"}}"))
        .send()
        .await
        .expect("sent");
    assert_security_headers(&response, "413");
    assert_problem(response, 413, "payload_too_large").await;
    let answer = chunked_post(
        &app.url,
        "/api/v1/bags",
        "application/json",
        2 * crate_max_body(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("application/problem+json")
            && answer.contains("\"code\":\"payload_too_large\""),
        "{answer}"
    );
    let response = app
        .http
        .post(url("/bag"))
        .form(&[("sku", big.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    assert!(header(&response, "content-type").starts_with("text/html"));
    let page = response.text().await.expect("page");
    assert!(page.contains("larger than the maison accepts"), "{page}");
    let answer = chunked_post(
        &app.url,
        "/bag",
        "application/x-www-form-urlencoded",
        2 * crate_max_body(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("text/html"),
        "{answer}"
    );
    // A body within the limit still goes through.
    assert_eq!(
        app.post_json("/api/v1/bags", &serde_json::json!({}))
            .await
            .status(),
        201
    );
    app.stop().await;
}

/// The request body limit (`MAX_BODY_BYTES` in maison-web).
fn crate_max_body() -> usize {
    64 * 1024
}

#[tokio::test]
async fn the_api_reference_carries_the_security_headers() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    for path in [
        "/api/docs/",
        "/api/docs/swagger-initializer.js",
        "/api/docs/swagger-ui-bundle.js",
        "/api/v1/openapi.json",
        "/api/docs/no-such-file.js",
    ] {
        let response = app.get(path).await;
        assert_security_headers(&response, path);
        let csp = header(&response, "content-security-policy");
        if path.starts_with("/api/docs") {
            // Swagger UI inserts <style> elements: inline styles only, for the
            // reference alone; never an inline or foreign script.
            assert!(
                csp.contains("style-src 'self' 'unsafe-inline'"),
                "{path}: {csp}"
            );
        } else {
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        }
    }
    assert_problem(
        app.get("/api/docs/no-such-file.js").await,
        404,
        "route_not_found",
    )
    .await;
    app.stop().await;
}

/// A maison with these settings on a fresh SQLite database (no demo needed).
async fn spawn_with(
    raw: maison::config::RawConfig,
) -> (
    maison::server::Server,
    maison_testkit::TestDatabase,
    tempfile::TempDir,
) {
    let db = maison_testkit::database(maison_testkit::Backend::Sqlite);
    let spool = tempfile::tempdir().expect("spool");
    let settings = maison::config::resolve(maison::config::RawConfig {
        database_url: Some(db.url.clone()),
        listen: Some("127.0.0.1:0".into()),
        mail: maison::config::RawMail {
            spool_dir: Some(spool.path().to_path_buf()),
            ..maison::config::RawMail::default()
        },
        ..raw
    })
    .expect("valid settings");
    let store = maison::server::open_store(&settings.database_url)
        .await
        .expect("database");
    let server = maison::server::launch_with(
        &settings,
        store,
        std::sync::Arc::new(maison_app::Simulator::new()),
    )
    .await
    .expect("starts");
    (server, db, spool)
}

#[tokio::test]
async fn metrics_are_for_this_host_only_unless_a_token_or_an_operations_address_is_set() {
    let http = reqwest::Client::new();
    // By default: this host's own requests only (not one a proxy forwarded).
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let (status, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("http_requests_total"), "{text}");
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        let response = http
            .get(format!("{}/metrics", app.url))
            .header(name, value)
            .send()
            .await
            .expect("sent");
        assert_security_headers(&response, name);
        assert_problem(response, 403, "forbidden").await;
    }
    app.stop().await;

    // With a token: that token, as a bearer token, from anywhere.
    let token = "metrics-0123456789abcdef";
    let (server, _db, _spool) = spawn_with(maison::config::RawConfig {
        metrics_token: Some(token.into()),
        ..maison::config::RawConfig::default()
    })
    .await;
    let metrics = format!("{}/metrics", server.url);
    assert_problem(
        http.get(&metrics).send().await.expect("sent"),
        401,
        "unauthenticated",
    )
    .await;
    for wrong in [
        "metrics-0123456789abcdeF",
        "metrics-0123456789abcde",
        "",
        "metrics-0123456789abcdef0",
    ] {
        let response = http
            .get(&metrics)
            .bearer_auth(wrong)
            .send()
            .await
            .expect("sent");
        assert!(header(&response, "www-authenticate").starts_with("Bearer"));
        assert_problem(response, 401, "unauthenticated").await;
    }
    let response = http
        .get(&metrics)
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 401, "unauthenticated").await;
    let response = http
        .get(&metrics)
        .bearer_auth(token)
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.text().await.expect("text").contains("# TYPE"));
    server.shutdown().await.expect("stops");

    // With an operations address: served there, and no longer on the main one.
    let (server, _db, _spool) = spawn_with(maison::config::RawConfig {
        ops_listen: Some("127.0.0.1:0".into()),
        ..maison::config::RawConfig::default()
    })
    .await;
    let ops = server.ops_addr.expect("an operations address");
    assert_ne!(ops, server.addr);
    let response = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404, "route_not_found").await;
    let response = http
        .get(format!("http://{ops}/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_security_headers(&response, "ops /metrics");
    let (healthz, readyz) = (
        http.get(format!("http://{ops}/healthz"))
            .send()
            .await
            .expect("sent"),
        http.get(format!("http://{ops}/readyz"))
            .send()
            .await
            .expect("sent"),
    );
    assert_eq!(
        (healthz.status().as_u16(), readyz.status().as_u16()),
        (200, 200)
    );
    assert_problem(
        http.get(format!("http://{ops}/"))
            .send()
            .await
            .expect("sent"),
        404,
        "route_not_found",
    )
    .await;
    assert_problem(
        http.post(format!("http://{ops}/metrics"))
            .send()
            .await
            .expect("sent"),
        405,
        "method_not_allowed",
    )
    .await;
    server.shutdown().await.expect("stops");
}
