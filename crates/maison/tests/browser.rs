//! The storefront in a real headless Chromium, at phone, tablet and desktop
//! sizes: the right action on each kind of product page, nothing wider than
//! the screen.

mod common;

use common::{is_online_and, spawn_app};
use fantoccini::Locator;
use maison_testkit::{Backend, Viewport, browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_pages_show_the_right_action_and_fit_a_phone_and_a_desktop() {
    let app = spawn_app(Backend::Sqlite).await;
    let available = app.product_where(is_online_and("available")).await;
    let unavailable = app
        .product_where(is_online_and("temporarily_unavailable"))
        .await;
    let on_request = app
        .product_where(|p| p["sale_mode"] == "price_on_request")
        .await;
    let cases = [
        // The page's button says what it does (the listings say "Details
        // and Purchase").
        (&available, "Add to bag"),
        (&unavailable, "Temporarily unavailable"),
        (&on_request, "Request information"),
    ];
    for viewport in [Viewport::Phone, Viewport::Desktop] {
        let b = browser(viewport).await;
        for (product, action) in cases {
            let url = format!(
                "{}/creations/{}",
                app.url,
                product["slug"].as_str().expect("slug")
            );
            b.client.goto(&url).await.expect("page loads");
            let element = b
                .client
                .find(Locator::Css("[data-testid=action]"))
                .await
                .expect("the product's action is on the page");
            assert!(
                element.is_displayed().await.expect("displayed"),
                "{viewport:?} {action}"
            );
            let text = element.text().await.expect("text");
            // Buttons and labels are set in capitals by the stylesheet.
            assert!(
                text.to_lowercase().contains(&action.to_lowercase()),
                "{viewport:?}: expected {action:?}, got {text:?}"
            );
            assert!(
                !b.overflows_horizontally().await,
                "{viewport:?}: {url} is wider than the screen"
            );
        }
        b.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_storefront_page_fits_a_phone_and_a_tablet() {
    let app = spawn_app(Backend::Sqlite).await;
    let pages = [
        "/",
        "/creations",
        "/category/rings",
        "/category/leather-goods",
        "/boutiques?q=CA",
        "/nope",
    ];
    for viewport in [Viewport::Phone, Viewport::Tablet] {
        let b = browser(viewport).await;
        for page in pages {
            b.client
                .goto(&format!("{}{page}", app.url))
                .await
                .expect("page loads");
            assert!(
                !b.overflows_horizontally().await,
                "{viewport:?}: {page} is wider than the screen"
            );
            assert!(b.text().await.contains("Client Relations"), "{page}");
        }
        b.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_finds_a_boutique_with_the_search_form() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!("{}/boutiques", app.url))
        .await
        .expect("page loads");
    let input = b.client.find(Locator::Id("q")).await.expect("search field");
    input.send_keys("Montreal").await.expect("typed");
    b.client
        .find(Locator::Css("form.search button"))
        .await
        .expect("search button")
        .click()
        .await
        .expect("clicked");
    // Submitting navigates to the results page.
    for _ in 0..100 {
        let url = b.client.current_url().await.expect("url");
        if url.as_str().contains("q=Montreal") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = b.text().await;
    assert!(text.contains("Montréal, QC"), "{text}");
    assert!(!text.contains("Calgary"));
    b.close().await;
    app.stop().await;
}

/// Fills the checkout form as Claire Dubois, home delivery in New York.
async fn fill_checkout(b: &maison_testkit::Browser, holder: &str) {
    let fields = [
        ("first_name", "Claire"),
        ("last_name", "Dubois"),
        ("email", "claire@example.com"),
        ("phone", "212-555-0147"),
        ("line1", "10 Park Avenue"),
        ("city", "New York"),
        ("region", "NY"),
        ("postal_code", "10016"),
        ("holder_name", holder),
        ("card_number", "4242 4242 4242 4242"),
        ("exp_month", "12"),
        ("exp_year", "2031"),
        ("cvc", "917"),
    ];
    fill(b, &fields).await;
}

async fn click(b: &maison_testkit::Browser, css: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .click()
        .await
        .expect("clicked");
}

/// The text of the element `css` once the page (a new document, after a
/// form) shows it.
async fn text_when_shown(b: &maison_testkit::Browser, css: &str) -> String {
    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} never shown"))
        .text()
        .await
        .expect("text")
}

/// Waits until the page's text contains `needle`.
async fn until_text(b: &maison_testkit::Browser, needle: &str) -> String {
    for _ in 0..100 {
        let text = b.text().await;
        if text.to_lowercase().contains(&needle.to_lowercase()) {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never saw {needle:?}; page: {}", b.text().await);
}

/// A creation a guest can buy at once: available, no personalisation, no
/// size to choose, under the secure courier's threshold.
async fn plain_creation(app: &common::TestApp) -> serde_json::Value {
    app.product_where(|p| {
        is_online_and("available")(p)
            && p["personalisation"]
                .as_array()
                .is_some_and(|a| a.is_empty())
            && p["variants"].as_array().is_some_and(|v| v.len() == 1)
            && p["price"]["amount"].as_str().is_some_and(|a| a.len() < 9)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_checks_out_with_a_visa_card_on_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let product = plain_creation(&app).await;
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    click(&b, "[data-testid=action]").await;
    until_text(&b, "Proceed to checkout").await;
    assert!(!b.overflows_horizontally().await, "the bag fits a phone");
    click(&b, "[data-testid=checkout]").await;
    until_text(&b, "Name on the card").await;
    assert!(
        !b.overflows_horizontally().await,
        "the checkout fits a phone"
    );
    fill_checkout(&b, "Claire Dubois").await;
    click(&b, "[data-testid=place-order]").await;
    let text = until_text(&b, "Thank you").await;
    let number = b
        .client
        .find(Locator::Css("[data-testid=order-number]"))
        .await
        .expect("order number")
        .text()
        .await
        .expect("text");
    assert!(number.starts_with("MV-"), "{number}");
    assert!(text.contains("Visa ending in 4242"), "{text}");
    assert!(!b.overflows_horizontally().await);
    let stored = app
        .store
        .order_by_number(&number)
        .await
        .expect("read")
        .expect("order");
    assert_eq!(stored.status.as_str(), "confirmed");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_submitted_from_two_tabs_places_one_order() {
    let app = spawn_app(Backend::Sqlite).await;
    let product = plain_creation(&app).await;
    let b = browser(Viewport::Desktop).await;
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    click(&b, "[data-testid=action]").await;
    until_text(&b, "Proceed to checkout").await;
    // Both tabs show the checkout form, each with its own key.
    let first_tab = b.client.window().await.expect("this tab");
    let checkout_url = format!("{}/checkout", app.url);
    b.client.goto(&checkout_url).await.expect("checkout");
    fill_checkout(&b, "Claire Dubois").await;
    let second_tab = b.client.new_window(true).await.expect("a new tab").handle;
    b.client
        .switch_to_window(second_tab.clone())
        .await
        .expect("to the second tab");
    b.client.goto(&checkout_url).await.expect("checkout");
    fill_checkout(&b, "Claire Dubois").await;
    b.client
        .switch_to_window(first_tab)
        .await
        .expect("to the first tab");
    click(&b, "[data-testid=place-order]").await;
    until_text(&b, "Thank you").await;
    b.client
        .switch_to_window(second_tab)
        .await
        .expect("to the second tab");
    click(&b, "[data-testid=place-order]").await;
    let text = until_text(&b, "already become an order").await;
    assert!(text.contains("nothing more was charged"), "{text}");
    assert_eq!(app.simulator.authorisation_count(), 1, "one authorisation");
    assert_eq!(
        app.store
            .count_orders(maison_domain::order::OrderStatus::Confirmed)
            .await
            .expect("count"),
        1
    );
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_shown_next_to_their_field_in_plain_words() {
    let app = spawn_app(Backend::Sqlite).await;
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
        .expect("size")["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    app.store
        .set_stock(&maison_domain::Sku::parse(&sku).expect("sku"), 10)
        .await
        .expect("stock");
    let b = browser(Viewport::Phone).await;
    let page = format!(
        "{}/creations/{}",
        app.url,
        engravable["slug"].as_str().expect("slug")
    );

    // An engraving: the final-sale acknowledgement is required.
    b.client.goto(&page).await.expect("page loads");
    choose_size(&b, &sku).await;
    click(&b, "label[for=personalisation-engraving]").await;
    b.client
        .find(Locator::Id("personalisation_text"))
        .await
        .expect("text")
        .send_keys("For ever")
        .await
        .expect("typed");
    click(&b, "[data-testid=action]").await;
    until_text(&b, "Proceed to checkout").await;
    click(&b, "[data-testid=checkout]").await;
    until_text(&b, "Name on the card").await;
    fill_checkout(&b, "Claire Dubois").await;
    click(&b, "[data-testid=place-order]").await;
    // The answer is a new document: wait for the refusal itself.
    let error = text_when_shown(&b, "[data-testid=final-sale-error]").await;
    assert!(error.contains("final sale"), "{error}");

    // The name on the card must be the client's.
    fill_checkout(&b, "Jean Martin").await;
    click(&b, ".final-sale input[type=checkbox]").await;
    click(&b, "[data-testid=place-order]").await;
    until_text(&b, "name on the card must be yours").await;
    let holder_error = b
        .client
        .find(Locator::Css("[data-testid=holder-error]"))
        .await
        .expect("error beside the field");
    assert!(
        holder_error
            .text()
            .await
            .expect("text")
            .contains("Nothing was charged")
    );
    assert_eq!(app.simulator.authorisation_count(), 0);

    // A sixth creation is refused with the Client Relations contact: the bag
    // holds one engraved piece; four more fit, the fifth add is refused.
    for added in 1..=5 {
        b.client.goto(&page).await.expect("page loads");
        choose_size(&b, &sku).await;
        click(&b, "[data-testid=action]").await;
        let expected = if added < 5 {
            "Proceed to checkout"
        } else {
            "at most 5 creations"
        };
        until_text(&b, expected).await;
    }
    let text = until_text(&b, "at most 5 creations").await;
    assert!(text.contains("1-800-555-0142"), "{text}");
    assert!(!b.overflows_horizontally().await);
    b.close().await;
    app.stop().await;
}

/// Chooses the size button of `sku`, when the creation has sizes.
async fn choose_size(b: &maison_testkit::Browser, sku: &str) {
    let button = format!("label[for=size-{sku}]");
    if b.client.find(Locator::Css(&button)).await.is_ok() {
        click(b, &button).await;
    }
}

/// Types into the fields of the current page, by id.
async fn fill(b: &maison_testkit::Browser, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        let input = b.client.find(Locator::Id(id)).await.expect(id);
        if input.tag_name().await.expect("tag") == "select" {
            input.select_by_value(value).await.expect("chosen");
            continue;
        }
        input.clear().await.expect("cleared");
        input.send_keys(value).await.expect("typed");
    }
}

async fn value_of(b: &maison_testkit::Browser, id: &str) -> String {
    b.client
        .find(Locator::Id(id))
        .await
        .expect(id)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signs_up_checks_out_follows_the_order_and_asks_to_cancel_on_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    let product = app.product_where(|p| p["sku"] == sku.as_str()).await;
    let b = browser(Viewport::Phone).await;

    // Sign up: a weak password is refused beside its field, then a letter.
    b.client
        .goto(&format!("{}/account/register", app.url))
        .await
        .expect("page loads");
    assert!(!b.overflows_horizontally().await, "the form fits a phone");
    fill(
        &b,
        &[
            ("first_name", "Claire"),
            ("last_name", "Dubois"),
            ("email", "claire@example.com"),
            ("phone", "212-555-0147"),
            ("password", "password1"),
        ],
    )
    .await;
    click(&b, "[data-testid=submit]").await;
    let error = text_when_shown(&b, "[data-testid=password-error]").await;
    assert!(error.contains("most used"), "{error}");
    assert_eq!(value_of(&b, "email").await, "claire@example.com", "kept");
    fill(&b, &[("password", common::PASSWORD)]).await;
    click(&b, "[data-testid=submit]").await;
    until_text(&b, "Please check your e-mail").await;

    // The link from the letter, then one button.
    let token = app.mail_token("claire@example.com", "registration").await;
    b.client
        .goto(&format!("{}/account/confirm?token={token}", app.url))
        .await
        .expect("page loads");
    fill(&b, &[("password", common::PASSWORD)]).await;
    click(&b, "[data-testid=submit]").await;
    until_text(&b, "your account is confirmed").await;

    // Sign out, and back in (a wrong password first).
    click(&b, "[data-testid=sign-out]").await;
    until_text(&b, "Sign in").await;
    b.client
        .goto(&format!("{}/account/sign-in", app.url))
        .await
        .expect("page loads");
    fill(
        &b,
        &[("email", "claire@example.com"), ("password", "not mine")],
    )
    .await;
    click(&b, "[data-testid=submit]").await;
    until_text(&b, "is not right").await;
    fill(
        &b,
        &[
            ("email", "claire@example.com"),
            ("password", common::PASSWORD),
        ],
    )
    .await;
    click(&b, "[data-testid=submit]").await;
    until_text(&b, "My orders").await;

    // Checkout as a client: the contact is already filled in.
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    click(&b, "[data-testid=action]").await;
    until_text(&b, "Proceed to checkout").await;
    click(&b, "[data-testid=checkout]").await;
    until_text(&b, "Name on the card").await;
    assert_eq!(value_of(&b, "first_name").await, "Claire");
    assert_eq!(value_of(&b, "email").await, "claire@example.com");
    assert_eq!(value_of(&b, "phone").await, "212-555-0147");
    fill_checkout(&b, "Claire Dubois").await;
    click(&b, "[data-testid=place-order]").await;
    until_text(&b, "Thank you").await;
    let number = b
        .client
        .find(Locator::Css("[data-testid=order-number]"))
        .await
        .expect("order number")
        .text()
        .await
        .expect("text");

    // The history, the order page and its timeline.
    click(&b, "[data-testid=my-account]").await;
    let history = until_text(&b, &number).await;
    assert!(
        history.to_lowercase().contains("order confirmed"),
        "{history}"
    );
    assert!(
        !b.overflows_horizontally().await,
        "the account fits a phone"
    );
    click(&b, "[data-testid=order-link]").await;
    let page = until_text(&b, "Timeline").await;
    assert!(
        page.to_lowercase().contains("visa ending in 4242"),
        "{page}"
    );
    assert!(page.contains("10 Park Avenue"), "{page}");
    let timeline = b
        .client
        .find(Locator::Css("[data-testid=timeline]"))
        .await
        .expect("timeline")
        .text()
        .await
        .expect("text");
    assert!(
        timeline.to_lowercase().contains("received your order")
            && timeline.to_lowercase().contains("payment secured"),
        "{timeline}"
    );
    assert!(
        (timeline.contains(" am ") || timeline.contains(" pm "))
            && (timeline.contains("EST") || timeline.contains("EDT")),
        "each step has its time, in the maison's time zone: {timeline}"
    );
    assert!(
        !b.overflows_horizontally().await,
        "the order page fits a phone"
    );

    // Request a cancellation while the order is not yet processed: nothing
    // is chosen for the client.
    click(&b, "input[name=kind][value=cancellation]").await;
    b.client
        .find(Locator::Id("message"))
        .await
        .expect("message")
        .send_keys("Ordered twice by mistake")
        .await
        .expect("typed");
    click(&b, "[data-testid=request-change]").await;
    until_text(&b, "Your request has been sent to Client Relations").await;
    let request = b
        .client
        .find(Locator::Css("[data-testid=request]"))
        .await
        .expect("the request on the order")
        .text()
        .await
        .expect("text");
    assert!(
        request.to_lowercase().contains("cancellation requested"),
        "{request}"
    );
    let order = app
        .store
        .order_by_number(&number)
        .await
        .expect("read")
        .expect("order");
    let requests = app
        .store
        .requests_of_order(&order.id)
        .await
        .expect("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].message, "Ordered twice by mistake");
    assert!(order.account_id.is_some(), "the order is the account's");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_follows_an_order_with_its_e_mail_and_a_wrong_e_mail_finds_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let response = app.checkout("guest", &common::checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    let order: serde_json::Value = response.json().await.expect("order");
    let number = order["number"].as_str().expect("number");
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!("{}/order-information", app.url))
        .await
        .expect("page loads");
    fill(&b, &[("number", number), ("email", "someone@example.com")]).await;
    click(&b, "[data-testid=look-up]").await;
    let text = until_text(&b, "No order matches").await;
    assert!(!text.contains("Order received"), "{text}");
    fill(
        &b,
        &[
            ("number", &number.to_lowercase()),
            ("email", "Claire@Example.com"),
        ],
    )
    .await;
    click(&b, "[data-testid=look-up]").await;
    let status = text_when_shown(&b, "[data-testid=order-status]").await;
    assert!(status.contains(number), "{status}");
    assert!(
        status.to_lowercase().contains("order confirmed"),
        "{status}"
    );
    assert!(
        !status.contains("Park Avenue") && !status.contains("4242"),
        "no address nor card: {status}"
    );
    assert!(!b.overflows_horizontally().await);
    b.close().await;
    app.stop().await;
}
