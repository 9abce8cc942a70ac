//! The Client Relations console in a real headless Chromium: a complete
//! telephone order by wire, placed through the console and paid in two
//! partial receipts; a quote issued from the information requests' queue and
//! paid by the client through its private link; every page at 390, 820 and
//! 1440 px without horizontal scrolling.

mod common;

use common::{TestApp, plain_sku, spawn_app};
use fantoccini::Locator;
use maison_app::actor::Actor;
use maison_testkit::{Backend, Browser, Viewport, browser};

const PASSWORD: &str = "Sapphire morning walk";

/// The code an authenticator with `secret` shows now.
fn code_now(secret: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name("test")
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    totp.generate(now).to_string()
}

/// The text of `testid` once it contains `want` (the page a form leads to
/// may still be loading).
async fn text_until(b: &Browser, testid: &str, want: &str) -> String {
    let mut text = String::new();
    for _ in 0..50 {
        if let Ok(element) = b
            .client
            .find(Locator::Css(&format!("[data-testid={testid}]")))
            .await
        {
            text = element.text().await.unwrap_or_default();
            if text.contains(want) {
                return text;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{testid} never read {want:?}: {text:?}");
}

/// Adds a member with `role`, opens their setup link in `b`, sets the
/// password and the authenticator: `b` is then signed in.
async fn enrol(app: &TestApp, b: &Browser, email: &str, name: &str, role: &str) {
    let operator = Actor::System("test");
    app.maison()
        .add_staff(&operator, email, name, role)
        .await
        .expect("member");
    let link = app
        .maison()
        .issue_setup_link(&operator, email)
        .await
        .expect("link");
    let path = link.url.split_once("/console/").expect("path").1.to_owned();
    b.client
        .goto(&format!("{}/console/{path}", app.url))
        .await
        .expect("setup page");
    let secret: String = b
        .text_of("[data-testid=totp-secret]")
        .await
        .split_whitespace()
        .collect();
    b.fill(&[
        ("password", PASSWORD),
        ("password_again", PASSWORD),
        ("code", &code_now(&secret)),
    ])
    .await;
    b.click("form[action='/console/setup'] button[type=submit]")
        .await;
    let who = b.text_of("[data-testid=signed-in-as]").await;
    assert!(who.contains(name), "{who}");
}

fn cents(text: &str) -> i64 {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().expect("an amount")
}

fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telephone_order_by_wire_is_placed_and_paid_in_two_receipts_through_the_console() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = plain_sku(&app).await;
    let b = browser(Viewport::Tablet).await;
    enrol(
        &app,
        &b,
        "elise@maison.example",
        "Élise Marchand",
        "ambassador",
    )
    .await;

    // The client is on the telephone.
    b.click("nav a[href='/console/new-order']").await;
    b.fill(&[
        ("first_name", "Claire"),
        ("last_name", "Dubois"),
        ("email", "claire@example.com"),
        ("phone", "212-555-0147"),
        ("sku_1", sku.as_str()),
        ("line1", "10 Park Avenue"),
        ("city", "New York"),
        ("region", "NY"),
        ("postal_code", "10016"),
    ])
    .await;
    // Lines and total before placing anything.
    b.click("button[value=preview]").await;
    let preview_total = b.text_of("[data-testid=preview-total]").await;
    assert!(preview_total.starts_with('$'), "{preview_total}");
    assert_eq!(
        app.maison()
            .search_orders(
                &Actor::Staff(maison_app::actor::StaffMember {
                    id: String::new(),
                    email: "x@maison.example".into(),
                    name: "X".into(),
                    role: maison_domain::staff::StaffRole::Admin,
                }),
                "claire",
                None,
                None,
                10
            )
            .await
            .expect("search")
            .items
            .len(),
        0,
        "a preview places nothing"
    );
    b.click("input[name=payment][value=wire]").await;
    b.click("button[value=place]").await;

    let number = b.text_of("[data-testid=order-number]").await;
    assert!(number.starts_with("MV-"), "{number}");
    assert_eq!(b.text_of("[data-testid=order-status]").await, "Placed");
    let total = cents(&b.text_of("[data-testid=order-total]").await);
    assert_eq!(total, cents(&preview_total));
    assert_eq!(cents(&b.text_of("[data-testid=amount-due]").await), total);

    // Two partial receipts.
    let first = total / 3;
    for (received, reference) in [
        (first, "FW2026120100042"),
        (total - first, "FW2026120300007"),
    ] {
        b.fill(&[("amount", &amount(received)), ("reference", reference)])
            .await;
        b.click("[data-testid=receipt-form] input[name=confirm]")
            .await;
        b.click("[data-testid=receipt-form] button[type=submit]")
            .await;
        // The page the receipt leads to (the order page before it also has
        // a notice: wait for this one).
        assert!(
            text_until(&b, "done", "receipt is recorded")
                .await
                .contains("receipt is recorded")
        );
    }
    // The second receipt's page: wait until it shows the order paid.
    assert_eq!(
        text_until(&b, "order-status", "Confirmed").await,
        "Confirmed"
    );
    assert_eq!(cents(&b.text_of("[data-testid=amount-due]").await), 0);
    assert_eq!(
        cents(&b.text_of("[data-testid=amount-received]").await),
        total
    );
    let timeline = b.text_of("[data-testid=timeline]").await;
    assert!(timeline.contains("elise@maison.example"), "{timeline}");
    let receipts = b.text_of("[data-testid=receipts]").await;
    assert!(receipts.contains("FW2026120100042") && receipts.contains("FW2026120300007"));

    // The order is found again by the client's name.
    b.client
        .goto(&format!("{}/console?q=Dubois", app.url))
        .await
        .expect("search");
    assert!(b.text_of("[data-testid=orders]").await.contains(&number));
    b.close().await;
    app.stop().await;
}

/// A creation priced on request with a single size: that size's SKU, in
/// stock.
async fn solitaire(app: &TestApp) -> String {
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
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 2)
        .await
        .expect("stock");
    sku
}

/// Claire Dubois asks about `sku` through the public API: the request's id.
async fn public_request(app: &TestApp, sku: &str) -> String {
    let response = app
        .post_json(
            "/api/v1/information-requests",
            &serde_json::json!({
                "sku": sku,
                "first_name": "Claire",
                "last_name": "Dubois",
                "email": "claire@example.com",
                "phone": "212-555-0147",
                "message": "Could you tell me about the diamonds available for this solitaire?",
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisor_quotes_from_the_queue_and_the_client_pays_through_the_link() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = solitaire(&app).await;
    let request = public_request(&app, &sku).await;
    let b = browser(Viewport::Phone).await;
    enrol(
        &app,
        &b,
        "helene@maison.example",
        "Hélène Roy",
        "prestige_advisor",
    )
    .await;

    // The request waits in the queue.
    b.click("nav a[href='/console/requests']").await;
    assert!(
        b.text_of("[data-testid=requests]")
            .await
            .contains("Claire Dubois")
    );
    b.click(&format!("a[href='/console/requests/{request}']"))
        .await;
    assert_eq!(b.text_of("[data-testid=request-status]").await, "New");
    assert!(
        b.text_of("[data-testid=request-message]")
            .await
            .contains("diamonds available")
    );
    assert!(
        !b.overflows_horizontally().await,
        "the request's page fits a phone"
    );

    // The advisor takes it, then quotes the piece.
    b.click("#advisor option[value='helene@maison.example']")
        .await;
    b.click("[data-testid=assign-form] button[type=submit]")
        .await;
    text_until(&b, "done", "The request is assigned").await;
    assert_eq!(b.text_of("[data-testid=request-status]").await, "Assigned");
    b.fill(&[
        ("quote_sku", &sku),
        ("quote_price", "48500"),
        ("quote_carat", "1.52"),
        ("quote_colour", "E"),
        ("quote_valid_days", "14"),
    ])
    .await;
    b.click("#quote_clarity option[value=VVS1]").await;
    b.click("#quote_cut option[value=excellent]").await;
    b.click("[data-testid=quote-form] button[type=submit]")
        .await;
    text_until(&b, "done", "The quote is issued").await;
    let link = b.text_of("[data-testid=quote-link]").await;
    assert!(link.contains("/quotes/"), "{link}");
    assert_eq!(b.text_of("[data-testid=request-status]").await, "Quoted");
    assert!(
        !b.overflows_horizontally().await,
        "the issued link fits a phone"
    );
    let token = link.rsplit("/quotes/").next().expect("token").to_owned();

    // The client opens the link and pays.
    let client = browser(Viewport::Desktop).await;
    client
        .client
        .goto(&format!("{}/quotes/{token}", app.url))
        .await
        .expect("the quote's page");
    assert!(
        client
            .text_of("[data-testid=price]")
            .await
            .contains("$48,500.00")
    );
    client
        .fill(&[
            ("line1", "10 Park Avenue"),
            ("city", "New York"),
            ("postal_code", "10016"),
            ("holder_name", "CLAIRE DUBOIS"),
            ("card_number", "4242 4242 4242 4242"),
            ("exp_month", "12"),
            ("exp_year", "2031"),
            ("cvc", "917"),
        ])
        .await;
    client.click("#region option[value=NY]").await;
    client.click("[data-testid=pay-quote]").await;
    text_until(&client, "quote-status", "has been paid").await;
    client.close().await;

    // The console shows the request quoted and the quote used, with its order.
    b.client
        .goto(&format!("{}/console/requests?status=quoted", app.url))
        .await
        .expect("queue");
    assert!(
        b.text_of("[data-testid=requests]")
            .await
            .contains("Claire Dubois")
    );
    b.client
        .goto(&format!("{}/console/quotes?status=used", app.url))
        .await
        .expect("quotes");
    assert_eq!(b.text_of("[data-testid=quote-status]").await, "Used");
    let order = b.text_of("[data-testid=quote-order]").await;
    assert!(order.starts_with("MV-"), "{order}");
    assert!(
        !b.overflows_horizontally().await,
        "the quotes' list fits a phone"
    );
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_fits_a_phone_a_tablet_and_a_desktop() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = plain_sku(&app).await;
    let operator = Actor::System("test");
    let placer = app
        .maison()
        .add_staff(
            &operator,
            "sophie@maison.example",
            "Sophie Martin",
            "ambassador",
        )
        .await
        .expect("member");
    let order = app
        .maison()
        .place_assisted_order(
            &Actor::Staff(placer),
            "fit-1",
            maison_app::assisted::AssistedOrderRequest {
                via: "telephone".into(),
                contact: maison_app::checkout::ContactInput {
                    first_name: "Claire".into(),
                    last_name: "Dubois-Montgomery-Vanderbilt".into(),
                    email: "claire.dubois.montgomery@example.com".into(),
                    phone: "212-555-0147".into(),
                },
                lines: vec![maison_app::assisted::AssistedLineInput {
                    sku: sku.clone(),
                    quantity: 2,
                    personalisation: None,
                }],
                quote_id: None,
                delivery: maison_app::checkout::DeliveryInput {
                    method: "home".into(),
                    address: Some(maison_domain::address::AddressInput {
                        line1: "10 Park Avenue".into(),
                        line2: None,
                        city: "New York".into(),
                        region: "NY".into(),
                        postal_code: "10016".into(),
                        country: "US".into(),
                        company: None,
                    }),
                    boutique_id: None,
                },
                payment: maison_app::assisted::AssistedPaymentInput::Wire,
                documents: maison_app::assisted::DocumentsInput {
                    channel: "email".into(),
                    fax_number: None,
                },
                limit_override_reason: None,
                accept_final_sale: false,
            },
        )
        .await
        .expect("order placed");
    let order_page = format!("/console/orders/{}", order.number);
    // An information request with a quote, for the queue's pages.
    let solitaire = solitaire(&app).await;
    let request = public_request(&app, &solitaire).await;
    let quoter = app
        .maison()
        .add_staff(
            &operator,
            "helene@maison.example",
            "Hélène Roy",
            "prestige_advisor",
        )
        .await
        .expect("advisor");
    app.maison()
        .issue_quote(
            &Actor::Staff(quoter),
            &request,
            maison_app::quotes::QuoteInput {
                sku: solitaire.clone(),
                price: maison_domain::Money::usd_cents(4_850_000),
                carat: "1.52".into(),
                colour: "E".into(),
                clarity: "VVS1".into(),
                cut: "excellent".into(),
                valid_days: 14,
            },
            "browser-quote",
        )
        .await
        .expect("quote issued");
    let request_page = format!("/console/requests/{request}");
    let pages = [
        "/console",
        order_page.as_str(),
        "/console/requests",
        request_page.as_str(),
        "/console/quotes",
        "/console/new-order",
        "/console/receipts",
        "/console/outbox?status=all",
        "/console/audit",
        "/console/staff",
    ];
    for (i, viewport) in [Viewport::Phone, Viewport::Tablet, Viewport::Desktop]
        .into_iter()
        .enumerate()
    {
        let b = browser(viewport).await;
        b.client
            .goto(&format!("{}/console/sign-in", app.url))
            .await
            .expect("sign-in page");
        assert!(
            !b.overflows_horizontally().await,
            "{viewport:?}: the sign-in page is wider than the screen"
        );
        enrol(
            &app,
            &b,
            &format!("admin{i}@maison.example"),
            "Victor Lemaire",
            "admin",
        )
        .await;
        for page in pages {
            b.client
                .goto(&format!("{}{page}", app.url))
                .await
                .expect("page loads");
            assert!(
                !b.overflows_horizontally().await,
                "{viewport:?}: {page} is wider than the screen"
            );
            if viewport == Viewport::Desktop {
                let size = b
                    .client
                    .execute("return document.documentElement.outerHTML.length", vec![])
                    .await
                    .expect("size");
                eprintln!("console page {page}: {size} characters of HTML");
            }
        }
        b.close().await;
    }
    app.stop().await;
}
