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
    b.fill(&[("q", "Montreal")]).await;
    b.click("form.search button").await;
    // Submitting navigates to the results page.
    b.until_url("q=Montreal").await;
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
    b.fill(&fields).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_checks_out_with_a_visa_card_on_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let product = common::plain_creation(&app).await;
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    b.click("[data-testid=action]").await;
    b.until_text("Proceed to checkout").await;
    assert!(!b.overflows_horizontally().await, "the bag fits a phone");
    b.click("[data-testid=checkout]").await;
    b.until_text("Name on the card").await;
    assert!(
        !b.overflows_horizontally().await,
        "the checkout fits a phone"
    );
    fill_checkout(&b, "Claire Dubois").await;
    b.click("[data-testid=place-order]").await;
    let text = b.until_text("Thank you").await;
    let number = b.text_of("[data-testid=order-number]").await;
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
    let product = common::plain_creation(&app).await;
    let b = browser(Viewport::Desktop).await;
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    b.click("[data-testid=action]").await;
    b.until_text("Proceed to checkout").await;
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
    b.click("[data-testid=place-order]").await;
    b.until_text("Thank you").await;
    b.client
        .switch_to_window(second_tab)
        .await
        .expect("to the second tab");
    b.click("[data-testid=place-order]").await;
    let text = b.until_text("already become an order").await;
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
    let (engravable, sku) = common::engravable_in_stock(&app, 10).await;
    let b = browser(Viewport::Phone).await;
    let page = format!(
        "{}/creations/{}",
        app.url,
        engravable["slug"].as_str().expect("slug")
    );

    // An engraving: the final-sale acknowledgement is required.
    b.client.goto(&page).await.expect("page loads");
    choose_size(&b, &sku).await;
    b.click("label[for=personalisation-engraving]").await;
    b.fill(&[("personalisation_text", "For ever")]).await;
    b.click("[data-testid=action]").await;
    b.until_text("Proceed to checkout").await;
    b.click("[data-testid=checkout]").await;
    b.until_text("Name on the card").await;
    fill_checkout(&b, "Claire Dubois").await;
    b.click("[data-testid=place-order]").await;
    // The answer is a new document: wait for the refusal itself.
    let error = b.text_of("[data-testid=final-sale-error]").await;
    assert!(error.contains("final sale"), "{error}");

    // The name on the card must be the client's.
    fill_checkout(&b, "Jean Martin").await;
    b.click(".final-sale input[type=checkbox]").await;
    b.click("[data-testid=place-order]").await;
    b.until_text("name on the card must be yours").await;
    let holder_error = b.text_of("[data-testid=holder-error]").await;
    assert!(
        holder_error.contains("Nothing was charged"),
        "{holder_error}"
    );
    assert_eq!(app.simulator.authorisation_count(), 0);

    // A sixth creation is refused with the Client Relations contact: the bag
    // holds one engraved piece; four more fit, the fifth add is refused.
    for added in 1..=5 {
        b.client.goto(&page).await.expect("page loads");
        choose_size(&b, &sku).await;
        b.click("[data-testid=action]").await;
        let expected = if added < 5 {
            "Proceed to checkout"
        } else {
            "at most 5 creations"
        };
        b.until_text(expected).await;
    }
    let text = b.until_text("at most 5 creations").await;
    assert!(text.contains("1-800-555-0142"), "{text}");
    assert!(!b.overflows_horizontally().await);
    b.close().await;
    app.stop().await;
}

/// Chooses the size button of `sku`, when the creation has sizes.
async fn choose_size(b: &maison_testkit::Browser, sku: &str) {
    let button = format!("label[for=size-{sku}]");
    if b.client.find(Locator::Css(&button)).await.is_ok() {
        b.click(&button).await;
    }
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
    b.fill(&[
        ("first_name", "Claire"),
        ("last_name", "Dubois"),
        ("email", "claire@example.com"),
        ("phone", "212-555-0147"),
        ("password", "password1"),
    ])
    .await;
    b.click("[data-testid=submit]").await;
    let error = b.text_of("[data-testid=password-error]").await;
    assert!(error.contains("most used"), "{error}");
    assert_eq!(b.value_of("email").await, "claire@example.com", "kept");
    b.fill(&[("password", common::PASSWORD)]).await;
    b.click("[data-testid=submit]").await;
    b.until_text("Please check your e-mail").await;

    // The link from the letter, then one button.
    let token = app.mail_token("claire@example.com", "registration").await;
    b.client
        .goto(&format!("{}/account/confirm?token={token}", app.url))
        .await
        .expect("page loads");
    b.fill(&[("password", common::PASSWORD)]).await;
    b.click("[data-testid=submit]").await;
    b.until_text("your account is confirmed").await;

    // Sign out, and back in (a wrong password first).
    b.click("[data-testid=sign-out]").await;
    b.until_text("Sign in").await;
    b.client
        .goto(&format!("{}/account/sign-in", app.url))
        .await
        .expect("page loads");
    b.fill(&[("email", "claire@example.com"), ("password", "not mine")])
        .await;
    b.click("[data-testid=submit]").await;
    b.until_text("is not right").await;
    b.fill(&[
        ("email", "claire@example.com"),
        ("password", common::PASSWORD),
    ])
    .await;
    b.click("[data-testid=submit]").await;
    b.until_text("My orders").await;

    // Checkout as a client: the contact is already filled in.
    b.client
        .goto(&format!(
            "{}/creations/{}",
            app.url,
            product["slug"].as_str().expect("slug")
        ))
        .await
        .expect("page loads");
    b.click("[data-testid=action]").await;
    b.until_text("Proceed to checkout").await;
    b.click("[data-testid=checkout]").await;
    b.until_text("Name on the card").await;
    assert_eq!(b.value_of("first_name").await, "Claire");
    assert_eq!(b.value_of("email").await, "claire@example.com");
    assert_eq!(b.value_of("phone").await, "212-555-0147");
    fill_checkout(&b, "Claire Dubois").await;
    b.click("[data-testid=place-order]").await;
    b.until_text("Thank you").await;
    let number = b.text_of("[data-testid=order-number]").await;

    // The history, the order page and its timeline.
    b.click("[data-testid=my-account]").await;
    let history = b.until_text(&number).await;
    assert!(
        history.to_lowercase().contains("order confirmed"),
        "{history}"
    );
    assert!(
        !b.overflows_horizontally().await,
        "the account fits a phone"
    );
    b.click("[data-testid=order-link]").await;
    let page = b.until_text("Timeline").await;
    assert!(
        page.to_lowercase().contains("visa ending in 4242"),
        "{page}"
    );
    assert!(page.contains("10 Park Avenue"), "{page}");
    let timeline = b.text_of("[data-testid=timeline]").await;
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
    b.click("input[name=kind][value=cancellation]").await;
    b.fill(&[("message", "Ordered twice by mistake")]).await;
    b.click("[data-testid=request-change]").await;
    b.until_text("Your request has been sent to Client Relations")
        .await;
    let request = b.text_of("[data-testid=request]").await;
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
    b.fill(&[("number", number), ("email", "someone@example.com")])
        .await;
    b.click("[data-testid=look-up]").await;
    let text = b.until_text("No order matches").await;
    assert!(!text.contains("Order received"), "{text}");
    b.fill(&[
        ("number", &number.to_lowercase()),
        ("email", "Claire@Example.com"),
    ])
    .await;
    b.click("[data-testid=look-up]").await;
    let status = b.text_of("[data-testid=order-status]").await;
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
