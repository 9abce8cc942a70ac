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
        (&available, "Details and Purchase"),
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
