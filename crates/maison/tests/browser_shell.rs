//! The storefront's shell as a client meets it: the header on a phone and on
//! larger screens, the catalogue's filters and pages without script, pages
//! sent compressed and light, and no serious accessibility fault on any page
//! (axe-core in the test's Chromium).

mod common;

use std::collections::{HashMap, HashSet};

use common::{TestApp, is_online_and, spawn_app};
use fantoccini::Locator;
use maison_testkit::{Backend, Browser, Viewport, browser};

const VIEWPORTS: [Viewport; 3] = [Viewport::Phone, Viewport::Tablet, Viewport::Desktop];

/// A page's raw answer to `accept_encoding` (the test client decompresses
/// nothing): its `Content-Encoding` and body bytes.
async fn fetch_encoded(
    app: &TestApp,
    path: &str,
    accept_encoding: Option<&str>,
) -> (Option<String>, Vec<u8>) {
    let mut request = app.http.get(format!("{}{path}", app.url));
    if let Some(encoding) = accept_encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.expect("request sent");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (encoding, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn pages_and_the_stylesheet_are_sent_in_brotli_or_gzip_as_the_client_accepts() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/", "/creations", "/assets/maison.css"] {
        let (encoding, plain) = fetch_encoded(&app, path, None).await;
        assert_eq!(encoding, None, "{path}: identity without Accept-Encoding");
        let (encoding, brotli) = fetch_encoded(&app, path, Some("br")).await;
        assert_eq!(encoding.as_deref(), Some("br"), "{path}");
        assert!(
            brotli.len() * 2 < plain.len(),
            "{path}: brotli barely smaller"
        );
        let (encoding, gzip) = fetch_encoded(&app, path, Some("gzip")).await;
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path}");
        assert_eq!(&gzip[..2], &[0x1f, 0x8b], "{path}: a gzip stream");
        // A browser's usual header: brotli is preferred.
        let (encoding, _) = fetch_encoded(&app, path, Some("gzip, deflate, br")).await;
        assert_eq!(encoding.as_deref(), Some("br"), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_favicon_is_the_maisons_monogram_and_no_developer_trace_is_on_client_pages() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/assets/favicon.svg").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        "image/svg+xml"
    );
    assert!(response.text().await.expect("svg").contains(">MV</text>"));
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.status().as_u16(), 308);
    assert_eq!(response.headers()["location"], "/assets/favicon.svg");

    for path in ["/", "/creations", "/boutiques", "/help/orders-and-payment"] {
        let (_, page) = app.get_text(path).await;
        assert!(
            page.contains(r#"rel="icon" href="/assets/favicon.svg""#),
            "{path}"
        );
        assert!(
            !page.contains("/api/docs"),
            "{path} links the API reference"
        );
        assert!(!page.to_lowercase().contains("fictional"), "{path}");
    }
    app.stop().await;
}

/// Makes the browser use the bag `bag_id` (as after "Add to bag"), on the
/// maison's origin (the page shown must be one of its).
async fn use_bag(b: &Browser, bag_id: &str) {
    b.client
        .execute(
            "document.cookie = 'maison_bag=' + arguments[0] + '; path=/'",
            vec![serde_json::json!(bag_id)],
        )
        .await
        .expect("bag cookie");
}

/// The top edge and whether it is shown, of the first element `css` matches.
async fn top_of(b: &Browser, css: &str) -> (f64, bool) {
    let element = b
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"));
    let (_, y, _, _) = element.rectangle().await.expect("rectangle");
    (y, element.is_displayed().await.expect("displayed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_header_is_one_row_and_its_menu_opens_without_script() {
    let app = spawn_app(Backend::Sqlite).await;
    let bag = app.bag_with(&[(&common::plain_sku(&app).await, 2)]).await;
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!("{}/", app.url))
        .await
        .expect("page loads");
    let (menu, menu_shown) = top_of(&b, ".menu summary").await;
    let (brand, _) = top_of(&b, ".brand").await;
    let (bag_link, _) = top_of(&b, "[data-testid=bag-link]").await;
    assert!(menu_shown, "the menu button is shown");
    for (name, top) in [("brand", brand), ("bag", bag_link)] {
        assert!((top - menu).abs() <= 4.0, "{name} at {top}, menu at {menu}");
    }
    // The header's row is one line: nothing of it wraps below the button.
    let header_height = b
        .client
        .execute(
            "return document.querySelector('.masthead').getBoundingClientRect().height",
            vec![],
        )
        .await
        .expect("script runs")
        .as_f64()
        .expect("a height");
    assert!(header_height < 70.0, "masthead is {header_height}px tall");
    let link = b
        .client
        .find(Locator::Css(".menu-nav a[href='/boutiques']"))
        .await
        .expect("the menu's boutique link");
    assert!(
        !link.is_displayed().await.expect("displayed"),
        "menu closed"
    );
    assert!(
        !b.client
            .find(Locator::Css(".site-nav"))
            .await
            .expect("nav")
            .is_displayed()
            .await
            .expect("displayed"),
        "the row of links is for larger screens"
    );
    b.click(".menu summary").await;
    assert!(link.is_displayed().await.expect("displayed"), "menu open");
    assert!(!b.overflows_horizontally().await);

    // With creations in the bag, the header says how many.
    use_bag(&b, &bag).await;
    b.client.refresh().await.expect("reloads");
    let count = b
        .client
        .find(Locator::Css(
            "[data-testid=bag-link] [data-testid=bag-count]",
        ))
        .await
        .expect("the bag's count");
    assert!(count.is_displayed().await.expect("displayed"));
    let (count_top, _) = top_of(&b, "[data-testid=bag-link]").await;
    assert!((count_top - menu).abs() <= 4.0, "still one row");
    // Read aloud: "Bag 2 creations".
    let name = b
        .client
        .execute(
            "return document.querySelector('[data-testid=bag-link]').textContent",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(name.as_str().map(str::trim), Some("Bag2 creations"));
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_tablet_and_a_desktop_the_navigation_is_one_row_of_links() {
    let app = spawn_app(Backend::Sqlite).await;
    for viewport in [Viewport::Tablet, Viewport::Desktop] {
        let b = browser(viewport).await;
        b.client
            .goto(&format!("{}/creations", app.url))
            .await
            .expect("page loads");
        let tops = b
            .client
            .execute(
                "return [...document.querySelectorAll('.site-nav li')].map(li => li.getBoundingClientRect().top)",
                vec![],
            )
            .await
            .expect("script runs");
        let tops: Vec<f64> = tops
            .as_array()
            .expect("tops")
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect();
        assert!(tops.len() >= 7, "{viewport:?}: {tops:?}");
        assert!(
            tops.iter().all(|t| (t - tops[0]).abs() < 2.0),
            "{viewport:?}: the navigation wraps: {tops:?}"
        );
        let (_, menu_shown) = top_of(&b, ".menu").await;
        assert!(!menu_shown, "{viewport:?}: no menu button");
        let (_, sign_in_shown) = top_of(&b, "[data-testid=sign-in-link]").await;
        assert!(sign_in_shown, "{viewport:?}");
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        b.close().await;
    }
    app.stop().await;
}

/// The slugs of the creations the listing page shows.
async fn shown_slugs(b: &Browser) -> Vec<String> {
    let hrefs = b
        .client
        .execute(
            "return [...document.querySelectorAll('.grid .card a')].map(a => a.getAttribute('href'))",
            vec![],
        )
        .await
        .expect("script runs");
    hrefs
        .as_array()
        .expect("hrefs")
        .iter()
        .filter_map(|h| h.as_str()?.strip_prefix("/creations/").map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_filters_the_creations_and_turns_the_pages_without_script() {
    let app = spawn_app(Backend::Sqlite).await;
    let category_of: HashMap<String, String> = app
        .all_products()
        .await
        .iter()
        .map(|p| {
            (
                p["slug"].as_str().expect("slug").to_owned(),
                p["category"].as_str().expect("category").to_owned(),
            )
        })
        .collect();
    let b = browser(Viewport::Phone).await;
    b.client
        .goto(&format!("{}/creations", app.url))
        .await
        .expect("page loads");
    let first_page = shown_slugs(&b).await;
    assert!(!first_page.is_empty());

    // The second page shows other creations.
    b.click("[data-testid=pagination] a[aria-label='Page 2']")
        .await;
    b.until_url("page=2").await;
    let second_page = shown_slugs(&b).await;
    assert!(!second_page.is_empty());
    let first: HashSet<_> = first_page.iter().collect();
    assert!(
        second_page.iter().all(|s| !first.contains(s)),
        "page 2 repeats page 1: {second_page:?}"
    );

    // Rings only.
    b.click("#filter-category option[value='rings']").await;
    b.click("[data-testid=filters] button[type=submit]").await;
    b.until_url("category=rings").await;
    let rings = shown_slugs(&b).await;
    assert!(!rings.is_empty());
    assert!(rings.iter().all(|s| category_of[s] == "rings"), "{rings:?}");
    let expected = category_of.values().filter(|c| *c == "rings").count();
    assert_eq!(rings.len(), expected, "every ring, on one page");
    let count = b.text_of("[data-testid=count]").await;
    assert_eq!(count, format!("{expected} creations"));
    assert!(!b.overflows_horizontally().await);
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn filters_read_leniently_and_narrow_by_price_and_availability() {
    let app = spawn_app(Backend::Sqlite).await;
    let products = app.all_products().await;
    let (_, everything) = app.get_text("/creations").await;
    // Unknown or malformed values are ignored: the whole catalogue, page 1.
    for query in [
        "?category=nope&price=cheap&availability=maybe&page=-3",
        "?page=99999999999999999999999",
        "?category=rings&category=watches",
        "?%ff=%fe",
    ] {
        let (status, page) = app.get_text(&format!("/creations{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(page.contains("class=\"grid\""), "{query}");
    }
    let (_, page) = app.get_text("/creations?category=nope&price=cheap").await;
    assert_eq!(
        page.split("data-testid=\"count\">").nth(1),
        everything.split("data-testid=\"count\">").nth(1),
        "unknown values narrow nothing"
    );

    let on_request = products.iter().filter(|p| p["price"].is_null()).count();
    let (_, page) = app.get_text("/creations?price=on-request").await;
    assert!(
        page.contains(&format!(">{on_request} creations<")),
        "{on_request}"
    );
    for p in products.iter().filter(|p| !p["price"].is_null()) {
        assert!(!page.contains(&format!(
            "/creations/{}\"",
            p["slug"].as_str().expect("slug")
        )));
    }

    let (_, page) = app.get_text("/creations?availability=available").await;
    for p in &products {
        let slug = format!("/creations/{}\"", p["slug"].as_str().expect("slug"));
        let buyable = is_online_and("available")(p);
        if !buyable {
            assert!(!page.contains(&slug), "{slug} is not available online");
        }
    }
    // The category's page keeps its filters in its page links.
    let (status, page) = app
        .get_text("/category/rings?price=under-2500&page=1")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<option value=\"under-2500\" selected>"));
    assert!(
        !page.contains("id=\"filter-category\""),
        "the path sets the category"
    );
    let (status, _) = app
        .get_text("/collection/nocturne?availability=available")
        .await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn the_boutique_finder_writes_hours_and_distances_as_people_do() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, page) = app.get_text("/boutiques?q=New+York").await;
    assert!(
        page.contains("<dt>Monday–Saturday</dt><dd>10 am – 7 pm</dd>"),
        "{page}"
    );
    assert!(!page.contains("10:00"));
    let (_, page) = app.get_text("/boutiques?near=40.76,-73.97").await;
    assert!(page.contains(" mi · "), "distance in miles and kilometres");
    app.stop().await;
}

/// Every storefront page a client can reach (besides those after an order).
async fn storefront_pages(app: &TestApp) -> Vec<String> {
    let products = app.all_products().await;
    let slug_where = |pred: &dyn Fn(&serde_json::Value) -> bool| {
        products
            .iter()
            .find(|p| pred(p))
            .map(|p| format!("/creations/{}", p["slug"].as_str().expect("slug")))
            .expect("the demo has such a creation")
    };
    let mut pages: Vec<String> = [
        "/",
        "/creations",
        "/creations?page=2",
        "/category/rings",
        "/collection/nocturne",
        "/boutiques",
        "/boutiques?q=New+York",
        "/order-information",
        "/help/orders-and-payment",
        "/help/conditions-of-sale",
        "/account/sign-in",
        "/account/register",
        "/no/such/page",
    ]
    .map(str::to_owned)
    .to_vec();
    pages.extend([
        slug_where(&|p| is_online_and("available")(p)),
        slug_where(&|p| is_online_and("temporarily_unavailable")(p)),
        slug_where(&|p| p["sale_mode"] == "price_on_request"),
        slug_where(&|p| p["sale_mode"] == "phone_only"),
        slug_where(&|p| p["variants"].as_array().is_some_and(|v| v.len() > 1)),
        slug_where(&|p| {
            p["personalisation"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        }),
    ]);
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_storefront_page_has_a_serious_or_critical_accessibility_violation() {
    const CLIENT_EMAIL: &str = "claire@example.com";
    let app = spawn_app(Backend::Sqlite).await;
    let pages = storefront_pages(&app).await;
    let sku = common::plain_sku(&app).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    // A client with an order, whose account pages are checked too.
    let token = app.client("Claire", "Dubois", CLIENT_EMAIL).await;
    let placed = common::order_as(&app, &token, &sku, "a11y-order").await;
    let client_order = placed["number"].as_str().expect("number").to_owned();
    let mut found = Vec::new();
    for viewport in VIEWPORTS {
        let b = browser(viewport).await;
        let mut check = async |path: &str| {
            b.client
                .goto(&format!("{}{path}", app.url))
                .await
                .expect("page loads");
            for violation in b.axe_violations().await {
                found.push(format!("{viewport:?} {path}: {violation}"));
            }
        };
        for page in &pages {
            check(page).await;
        }
        check("/bag").await;
        // The same pages with a creation in the bag, then the checkout.
        use_bag(&b, &bag).await;
        check("/bag").await;
        check("/checkout").await;
        check("/").await;
        // A client's own pages, signed in through the sign-in page.
        b.client
            .goto(&format!("{}/account/sign-in", app.url))
            .await
            .expect("page loads");
        b.fill(&[("email", CLIENT_EMAIL), ("password", common::PASSWORD)])
            .await;
        b.click("[data-testid=submit]").await;
        b.text_of("[data-testid=order-history]").await;
        for page in [
            "/account".to_owned(),
            "/account/addresses".to_owned(),
            "/account/password".to_owned(),
            format!("/account/orders/{client_order}"),
        ] {
            check(&page).await;
        }
        b.close().await;
    }
    assert!(
        found.is_empty(),
        "{} serious or critical violations:\n{}",
        found.len(),
        found.join("\n")
    );
    app.stop().await;
}

#[tokio::test]
async fn every_storefront_page_with_its_stylesheet_weighs_under_100_kb() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, css) = fetch_encoded(&app, "/assets/maison.css", None).await;
    let bag = app.bag_with(&[(&common::plain_sku(&app).await, 1)]).await;
    let mut pages = storefront_pages(&app).await;
    pages.extend(["/bag".to_owned(), "/checkout".to_owned()]);
    for path in pages {
        // Uncompressed bytes: what the browser parses, not only what travels.
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .header("cookie", format!("maison_bag={bag}"))
            .send()
            .await
            .expect("request sent");
        let html = response.bytes().await.expect("body");
        let weight = html.len() + css.len();
        assert!(
            weight < 100 * 1024,
            "{path}: {} bytes of HTML + {} of CSS",
            html.len(),
            css.len()
        );
    }
    app.stop().await;
}
