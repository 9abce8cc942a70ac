//! The storefront pages over real HTTP, on SQLite and PostgreSQL.

mod common;

use common::{is_online_and, spawn_app};
use maison_testkit::on_both_databases;

on_both_databases! {
    async fn each_product_page_shows_the_action_its_sale_mode_and_availability_allow(backend) {
        let app = spawn_app(backend).await;
        let phone = "1-800-555-0142";

        let available = app.product_where(is_online_and("available")).await;
        let (status, page) = app.get_text(&format!("/creations/{}", available["slug"].as_str().expect("slug"))).await;
        assert_eq!(status, 200);
        assert!(page.contains("Add to bag"), "available: purchase action");
        assert!(!page.contains("Temporarily unavailable"));
        let amount = available["price"]["amount"].as_str().expect("price");
        let whole: u64 = amount.split('.').next().and_then(|w| w.parse().ok()).expect("whole dollars");
        let grouped = format!("${},{:03}", whole / 1000, whole % 1000);
        assert!(whole < 1000 || page.contains(&grouped), "price {grouped} shown");

        let unavailable = app.product_where(is_online_and("temporarily_unavailable")).await;
        let (_, page) = app.get_text(&format!("/creations/{}", unavailable["slug"].as_str().expect("slug"))).await;
        assert!(page.contains("Temporarily unavailable"));
        assert!(page.contains(phone), "Client Relations named");
        assert!(!page.contains("Add to bag"));

        let on_request = app.product_where(|p| p["sale_mode"] == "price_on_request").await;
        let (_, page) = app.get_text(&format!("/creations/{}", on_request["slug"].as_str().expect("slug"))).await;
        assert!(page.contains("Price upon request"));
        assert!(page.contains("Request information"));
        assert!(!page.contains("Add to bag"));
        assert!(!page.contains("$"), "no price anywhere on a price-on-request page");

        let by_phone = app.product_where(|p| p["sale_mode"] == "phone_only").await;
        let (_, page) = app.get_text(&format!("/creations/{}", by_phone["slug"].as_str().expect("slug"))).await;
        assert!(page.contains("Available by telephone"));
        assert!(page.contains(phone));
        assert!(!page.contains("Add to bag"));
        app.stop().await;
    }

    async fn a_category_page_lists_its_creations_and_an_unknown_one_is_a_friendly_404(backend) {
        let app = spawn_app(backend).await;
        let (status, page) = app.get_text("/category/watches").await;
        assert_eq!(status, 200);
        let (_, body) = app.get_json("/api/v1/products?category=watches&limit=100").await;
        for watch in body["items"].as_array().expect("items") {
            let name = watch["name"].as_str().expect("name").replace('&', "&amp;").replace('\'', "&#39;");
            assert!(page.contains(&name), "{name} listed");
        }
        let (status, page) = app.get_text("/category/spaceships").await;
        assert_eq!(status, 404);
        assert!(page.contains("This category does not exist"));
        assert!(page.contains("Return to the home page"));
        let (status, page) = app.get_text("/creations/no-such-creation").await;
        assert_eq!(status, 404);
        assert!(page.contains("<html"));
        let (status, _) = app.get_text("/no/such/page").await;
        assert_eq!(status, 404);
        app.stop().await;
    }

    async fn the_boutique_finder_searches_by_city_and_explains_a_bad_location(backend) {
        let app = spawn_app(backend).await;
        let (status, page) = app.get_text("/boutiques?q=Vancouver").await;
        assert_eq!(status, 200);
        assert!(page.contains("Vancouver, BC"));
        assert!(!page.contains("Toronto, ON"));
        let (_, page) = app.get_text("/boutiques?q=Atlantis").await;
        assert!(page.contains("No boutique matches"));
        let (status, page) = app.get_text("/boutiques?near=999,999").await;
        assert_eq!(status, 200);
        assert!(page.contains("We could not read that location"));
        let (_, page) = app.get_text("/boutiques?near=49.28,-123.12").await;
        assert!(page.contains("km away"));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_home_page_images_and_stylesheet_are_served() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let (status, home) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Maison Valoria"));
    assert!(home.contains("/category/rings"));
    assert!(home.contains("Find a Boutique"));
    let product = app.product_where(|_| true).await;
    let response = app.get(product["image"].as_str().expect("image")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.text().await.expect("svg").starts_with("<svg"));
    assert_eq!(app.get("/images/nothing.svg").await.status(), 404);
    let response = app.get("/assets/maison.css").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
    app.stop().await;
}

#[tokio::test]
async fn details_and_purchase_puts_the_creation_in_a_bag_kept_by_cookie() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let product = app.product_where(is_online_and("available")).await;
    let variant = product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["availability"] == "available")
        .expect("available size");
    let sku = variant["sku"].as_str().expect("sku");
    // Without the form's token (a page of this maison was never opened, or
    // another site sends it), nothing is added.
    let tokenless = app
        .http
        .post(format!("{}/bag", app.url))
        .form(&[("sku", sku), ("quantity", "1")])
        .send()
        .await
        .expect("sent");
    assert_eq!(tokenless.status(), 403);
    assert!(
        common::cookie_pair(&tokenless, "maison_form").is_some(),
        "the refusal gives the browser a token for the reloaded page"
    );
    assert!(
        tokenless
            .text()
            .await
            .expect("page")
            .contains("security token")
    );
    let response = app
        .guest_form("/bag", None, &[("sku", sku), ("quantity", "1")])
        .await;
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let bag_cookie = cookie.split(';').next().expect("pair").to_owned();
    let page = app
        .http
        .get(format!("{}/bag", app.url))
        .header("cookie", &bag_cookie)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(
            product["name"]
                .as_str()
                .expect("name")
                .replace('\'', "&#39;")
                .as_str()
        )
    );
    assert!(page.contains("Proceed to checkout"));

    // A form posted from another site is refused (CSRF).
    let forged = app
        .http
        .post(format!("{}/bag", app.url))
        .header("origin", "https://evil.example")
        .header("cookie", &bag_cookie)
        .form(&[("sku", variant["sku"].as_str().expect("sku"))])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    let forged = app
        .http
        .post(format!("{}/bag", app.url))
        .header("sec-fetch-site", "cross-site")
        .form(&[("sku", variant["sku"].as_str().expect("sku"))])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_form_posted_to_a_path_that_does_not_exist_is_a_404() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    // Without a token and with one: the path is what is wrong.
    let tokenless = app
        .http
        .post(format!("{}/no-such-form", app.url))
        .form(&[("anything", "1")])
        .send()
        .await
        .expect("sent");
    assert_eq!(tokenless.status(), 404);
    let with_token = app.guest_form("/no-such-form", None, &[]).await;
    assert_eq!(with_token.status(), 404);
    // An existing form without its token is still refused.
    let refused = app
        .http
        .post(format!("{}/bag", app.url))
        .form(&[("sku", "X")])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn order_times_are_shown_in_the_maison_s_time_zone_in_words() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    let sku = common::plain_sku(&app).await;
    let bag = app.bag_with(&[(&sku, 1)]).await;
    let response = app.checkout("times", &common::checkout_body(&bag)).await;
    assert_eq!(response.status(), 201);
    let order: serde_json::Value = response.json().await.expect("order");
    let number = order["number"].as_str().expect("number");
    let found = app
        .guest_form(
            "/order-information",
            None,
            &[("number", number), ("email", "claire@example.com")],
        )
        .await;
    assert_eq!(found.status(), 303, "post-redirect-get");
    let to = found.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, page) = app.get_text(&to).await;
    // Today's date as New York reads it, "December 2, 2026, 1:05 pm EST".
    let now = maison_app::clock::now_micros();
    let expected = app.maison().local_time(now);
    let date = expected.rsplitn(3, ", ").last().expect("a date");
    assert!(page.contains(date), "{date}: {page}");
    assert!(page.contains(" EST") || page.contains(" EDT"), "{page}");
    assert!(!page.contains(" UTC"), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_engraving_comes_back_with_the_size_the_choice_and_the_text_as_typed() {
    let app = spawn_app(maison_testkit::Backend::Sqlite).await;
    // An engravable creation sold in sizes.
    let creation = app
        .product_where(|p| {
            is_online_and("available")(p)
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|o| o["kind"] == "engraving"))
                && p["variants"].as_array().is_some_and(|v| v.len() > 1)
        })
        .await;
    let sku = creation["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .filter(|v| v["availability"] == "available")
        .nth(1)
        .expect("a second size")["sku"]
        .as_str()
        .expect("sku")
        .to_owned();
    let typed = "To Claire {forever}";
    let response = app
        .guest_form(
            "/bag",
            None,
            &[
                ("sku", &sku),
                ("quantity", "1"),
                ("personalisation_kind", "engraving"),
                ("personalisation_text", typed),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("data-testid=\"error\""),
        "the refusal is shown"
    );
    assert!(
        page.contains(creation["name"].as_str().expect("name")),
        "the product page again"
    );
    let size = page
        .split(&format!("value=\"{sku}\""))
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_default();
    assert!(size.contains("checked"), "the size stays chosen: {size:?}");
    assert!(
        page.contains("value=\"engraving\" checked"),
        "the engraving stays chosen"
    );
    assert!(
        page.contains("To Claire {forever}"),
        "the text stays as typed"
    );
    assert!(
        !page.contains("value=\"none\" checked"),
        "not reset to no personalisation"
    );
    app.stop().await;
}
