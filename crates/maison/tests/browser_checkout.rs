//! The purchase path in a real headless Chromium, at phone, tablet and
//! desktop sizes, without any script of ours: only the chosen delivery
//! method's fields, every fault of a submission at once (beside its field,
//! and listed above the form), the order and its total in view, the
//! final-sale acknowledgement where the client decides, and no form sent
//! twice by a refresh.

mod common;

use common::spawn_app;
use fantoccini::Locator;
use maison_testkit::{Backend, Browser, Viewport, browser};

const VIEWPORTS: [Viewport; 3] = [Viewport::Phone, Viewport::Tablet, Viewport::Desktop];

/// Claire Dubois, home delivery in New York, the Visa test card.
const CLAIRE: [(&str, &str); 13] = [
    ("first_name", "Claire"),
    ("last_name", "Dubois"),
    ("email", "claire@example.com"),
    ("phone", "212-555-0147"),
    ("line1", "10 Park Avenue"),
    ("city", "New York"),
    ("region", "NY"),
    ("postal_code", "10016"),
    ("holder_name", "Claire Dubois"),
    ("card_number", "4242 4242 4242 4242"),
    ("exp_month", "12"),
    ("exp_year", "2031"),
    ("cvc", "917"),
];

async fn attribute(b: &Browser, css: &str, name: &str) -> Option<String> {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .attr(name)
        .await
        .expect("attribute")
}

/// (top, bottom, left, right) of the element `css`, in the viewport.
async fn rect(b: &Browser, css: &str) -> (f64, f64, f64, f64) {
    let r = b
        .client
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();
             return [r.top, r.bottom, r.left, r.right];",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("script runs");
    let n = |i: usize| r[i].as_f64().expect("a number");
    (n(0), n(1), n(2), n(3))
}

/// Opens the checkout of a bag made through the API (as another tab of
/// this browser would have), in `b`.
async fn open_checkout(app: &common::TestApp, b: &Browser, bag_id: &str) {
    b.client.goto(&app.url).await.expect("home loads");
    b.client
        .execute(
            "document.cookie = 'maison_bag=' + arguments[0] + '; path=/';",
            vec![serde_json::json!(bag_id)],
        )
        .await
        .expect("bag cookie set");
    b.client
        .goto(&format!("{}/checkout", app.url))
        .await
        .expect("checkout loads");
    b.until_text("Name on the card").await;
}

async fn confirmed_orders(app: &common::TestApp) -> i64 {
    app.store
        .count_orders(maison_domain::order::OrderStatus::Confirmed)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choosing_a_delivery_method_shows_only_its_fields_and_the_order_stays_in_view() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    for viewport in VIEWPORTS {
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let b = browser(viewport).await;
        open_checkout(&app, &b, &bag).await;

        // Home, chosen for the client: the address without the company.
        assert!(b.displayed("#line1").await, "{viewport:?}");
        assert!(b.displayed("#postal_code").await, "{viewport:?}");
        assert!(!b.displayed("#company").await, "{viewport:?}");
        assert!(!b.displayed("#boutique_id").await, "{viewport:?}");
        b.click("#method-workplace").await;
        assert!(b.displayed("#company").await, "{viewport:?}");
        assert!(b.displayed("#line1").await, "{viewport:?}");
        assert!(!b.displayed("#boutique_id").await, "{viewport:?}");
        b.click("#method-boutique").await;
        assert!(b.displayed("#boutique_id").await, "{viewport:?}");
        assert!(!b.displayed("#line1").await, "{viewport:?}");
        assert!(!b.displayed("#company").await, "{viewport:?}");
        b.click("#method-home").await;
        assert!(b.displayed("#line1").await && !b.displayed("#boutique_id").await);

        // The secure-payment notice beside the card's fields.
        assert!(b.displayed("[data-testid=secure-payment]").await);
        let (notice_top, ..) = rect(&b, "[data-testid=secure-payment]").await;
        let (card_top, ..) = rect(&b, "#card_number").await;
        assert!(
            notice_top < card_top,
            "{viewport:?}: the notice before the card"
        );

        // The order and its total: above the button on a phone or a
        // tablet, beside the form and in view at the button on a desktop.
        let total = b.text_of("[data-testid=order-total]").await;
        assert!(total.contains('$'), "{total}");
        b.client
            .execute(
                "document.querySelector('[data-testid=place-order]').scrollIntoView({block: 'end'});",
                vec![],
            )
            .await
            .expect("scrolled");
        let (summary_top, summary_bottom, summary_left, _) =
            rect(&b, "[data-testid=order-summary]").await;
        let (button_top, _, _, button_right) = rect(&b, "[data-testid=place-order]").await;
        let height = b
            .client
            .execute("return window.innerHeight", vec![])
            .await
            .expect("height")
            .as_f64()
            .expect("a number");
        if viewport == Viewport::Desktop {
            assert!(
                summary_left >= button_right,
                "beside the form: {summary_left} {button_right}"
            );
            assert!(
                summary_top >= 0.0 && summary_top < height,
                "in view at the button: {summary_top} of {height}"
            );
        } else {
            assert!(
                summary_bottom <= button_top,
                "{viewport:?}: above the button"
            );
            assert!(
                summary_bottom > 0.0,
                "{viewport:?}: in view with the button"
            );
        }
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        b.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_with_several_faults_shows_them_all_at_once() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    for viewport in [Viewport::Phone, Viewport::Desktop] {
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let b = browser(viewport).await;
        open_checkout(&app, &b, &bag).await;
        b.fill(&[
            ("first_name", ""),
            ("last_name", "Dubois"),
            ("email", "claire@"),
            ("phone", "212-555-0147"),
            ("line1", "10 Park Avenue"),
            ("city", ""),
            ("region", "NY"),
            ("postal_code", "10016"),
            ("holder_name", "Claire Dubois"),
            ("card_number", "4242 4242 4242 4241"),
            ("exp_month", "12"),
            ("exp_year", "2031"),
            ("cvc", ""),
        ])
        .await;
        b.click("[data-testid=place-order]").await;
        let summary = "[data-testid=error-summary]";
        let text = b.text_of(summary).await;
        assert!(text.contains("There is a problem"), "{text}");
        assert_eq!(
            attribute(&b, summary, "role").await.as_deref(),
            Some("alert")
        );
        assert_eq!(
            attribute(&b, summary, "tabindex").await.as_deref(),
            Some("-1")
        );
        let links = b
            .client
            .find_all(Locator::Css("[data-testid=error-summary] a"))
            .await
            .expect("links");
        let mut hrefs = Vec::new();
        for link in &links {
            hrefs.push(link.attr("href").await.expect("href").unwrap_or_default());
        }
        let faulty = ["first_name", "email", "city", "card_number", "cvc"];
        assert_eq!(
            hrefs,
            faulty.iter().map(|id| format!("#{id}")).collect::<Vec<_>>(),
            "{viewport:?}: every fault, in the page's order"
        );
        for id in faulty {
            let css = format!("#{id}");
            assert_eq!(
                attribute(&b, &css, "aria-invalid").await.as_deref(),
                Some("true"),
                "{id}"
            );
            let described = attribute(&b, &css, "aria-describedby").await.expect(id);
            let message = b
                .client
                .find(Locator::Id(&described))
                .await
                .unwrap_or_else(|_| panic!("{id}'s message"));
            assert!(message.is_displayed().await.expect("displayed"), "{id}");
            assert!(!message.text().await.expect("text").is_empty(), "{id}");
        }
        for fine in ["last_name", "phone", "line1", "postal_code", "holder_name"] {
            assert_eq!(
                attribute(&b, &format!("#{fine}"), "aria-invalid").await,
                None,
                "{fine}"
            );
        }
        assert_eq!(
            b.client
                .execute("return document.activeElement.id", vec![])
                .await
                .expect("focus"),
            "error-summary",
            "the summary is where the client starts again"
        );
        assert_eq!(
            attribute(&b, "#last_name", "value").await.as_deref(),
            Some("Dubois"),
            "what was typed is kept"
        );
        assert_eq!(
            attribute(&b, "#card_number", "value")
                .await
                .unwrap_or_default(),
            "",
            "never the card number"
        );
        let violations = b.axe_violations().await;
        assert!(violations.is_empty(), "{viewport:?}: {violations:#?}");
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        b.close().await;
    }
    assert_eq!(app.simulator.authorisation_count(), 0, "nothing attempted");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_code_of_another_state_is_refused_beside_it_naming_the_state() {
    let app = spawn_app(Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let b = browser(Viewport::Tablet).await;
    open_checkout(&app, &b, &bag).await;
    b.fill(&CLAIRE).await;
    // Boston's ZIP code with New York chosen.
    b.fill(&[("city", "Boston"), ("postal_code", "02108")])
        .await;
    b.click("[data-testid=place-order]").await;
    let error = b.text_of("[data-testid=postal-code-error]").await;
    assert!(
        error.contains("02108") && error.contains("New York"),
        "{error}"
    );
    assert_eq!(
        attribute(&b, "#postal_code", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    let links = b
        .client
        .find_all(Locator::Css("[data-testid=error-summary] a"))
        .await
        .expect("links");
    assert_eq!(links.len(), 1, "the only fault");
    assert_eq!(
        links[0].attr("href").await.expect("href").as_deref(),
        Some("#postal_code")
    );
    assert_eq!(
        attribute(&b, "#region option[selected]", "value")
            .await
            .as_deref(),
        Some("NY"),
        "the state is kept whole"
    );
    assert_eq!(confirmed_orders(&app).await, 0);
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_after_a_post_sends_nothing_again() {
    let app = spawn_app(Backend::Sqlite).await;
    let product = common::plain_creation(&app).await;
    let b = browser(Viewport::Phone).await;

    // Into the bag, then a refresh: still one.
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
    let count = || async { b.text_of("[data-testid=bag-summary-count]").await };
    assert!(
        count().await.starts_with("1 creation "),
        "{}",
        count().await
    );
    b.client.refresh().await.expect("refreshed");
    b.until_text("Proceed to checkout").await;
    assert!(
        count().await.starts_with("1 creation "),
        "a refresh adds nothing: {}",
        count().await
    );

    // The order, then a refresh of its page, then back and a refresh.
    b.click("[data-testid=checkout]").await;
    b.until_text("Name on the card").await;
    b.fill(&CLAIRE).await;
    b.click("[data-testid=place-order]").await;
    b.until_text("Thank you").await;
    let number = b.text_of("[data-testid=order-number]").await;
    b.client.refresh().await.expect("refreshed");
    b.until_text("Thank you").await;
    b.client.back().await.expect("back");
    b.client.refresh().await.expect("refreshed");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(confirmed_orders(&app).await, 1, "one order");
    assert_eq!(app.simulator.authorisation_count(), 1, "one authorisation");

    // The look-up leads to the order's page, whose address holds no e-mail.
    b.client
        .goto(&format!("{}/order-information", app.url))
        .await
        .expect("page loads");
    b.fill(&[("number", &number), ("email", "claire@example.com")])
        .await;
    b.click("[data-testid=look-up]").await;
    b.text_of("[data-testid=order-status]").await;
    let url = b.client.current_url().await.expect("url");
    assert!(url.path().ends_with(&number), "{url}");
    assert!(
        !url.as_str().contains("example.com") && !url.as_str().contains("%40"),
        "{url}"
    );
    b.client.refresh().await.expect("refreshed");
    let status = b.text_of("[data-testid=order-status]").await;
    assert!(status.contains(&number), "{status}");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personalised_creation_asks_for_the_final_sale_where_the_client_decides() {
    let app = spawn_app(Backend::Sqlite).await;
    // One order per width.
    let (_, sku) = common::engravable_in_stock(&app, 10).await;
    for viewport in [Viewport::Phone, Viewport::Desktop] {
        let bag = app.bag_with(&[]).await;
        let added = app
            .post_json(
                &format!("/api/v1/bags/{bag}/lines"),
                &serde_json::json!({"sku": sku, "personalisation": {"kind": "engraving", "text": "For ever"}}),
            )
            .await;
        assert_eq!(added.status(), 200);
        let orders_before = app.simulator.authorisation_count();
        let b = browser(viewport).await;
        open_checkout(&app, &b, &bag).await;
        // The rule, then the box, then the button: where the client decides.
        let (rule_top, ..) = rect(&b, "#final-sale-note").await;
        let (_, box_bottom, ..) = rect(&b, "#accept_final_sale").await;
        let (button_top, ..) = rect(&b, "[data-testid=place-order]").await;
        assert!(
            rule_top < box_bottom && box_bottom <= button_top,
            "{viewport:?}"
        );
        assert!(
            button_top - box_bottom < 200.0,
            "{viewport:?}: right above the button"
        );
        let (summary_top, ..) = rect(&b, "[data-testid=order-summary]").await;
        let (payment_top, ..) = rect(&b, "#card_number").await;
        if viewport == Viewport::Phone {
            assert!(summary_top > payment_top, "after the card, before the box");
        }

        b.fill(&CLAIRE).await;
        b.click("[data-testid=place-order]").await;
        let error = b.text_of("[data-testid=final-sale-error]").await;
        assert!(error.contains("final sale"), "{error}");
        assert_eq!(
            attribute(&b, "#accept_final_sale", "aria-invalid")
                .await
                .as_deref(),
            Some("true")
        );
        let described = attribute(&b, "#accept_final_sale", "aria-describedby")
            .await
            .expect("described");
        assert!(described.contains("accept_final_sale-error"), "{described}");
        let link = attribute(&b, "[data-testid=error-summary] a", "href").await;
        assert_eq!(link.as_deref(), Some("#accept_final_sale"));
        assert_eq!(
            app.simulator.authorisation_count(),
            orders_before,
            "{viewport:?}: nothing attempted"
        );

        // The card's number and code are typed again; the box is ticked.
        b.fill(&[("card_number", "4242 4242 4242 4242"), ("cvc", "917")])
            .await;
        b.click("#accept_final_sale").await;
        b.click("[data-testid=place-order]").await;
        let text = b.until_text("Thank you").await;
        assert!(text.contains("final sale"), "{text}");
        b.close().await;
    }
    app.stop().await;
}
