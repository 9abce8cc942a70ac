//! The product page in a real headless Chromium at phone, tablet and desktop
//! widths: each creation's own drawing, a gallery, sizes as buttons,
//! personalisation that opens when chosen with its rules; and the operator's
//! photographs served in place of the drawings.

mod common;

use std::sync::Arc;

use common::{spawn_app, spawn_app_configured};
use fantoccini::Locator;
use fantoccini::key::Key;
use maison::config::RawMail;
use maison_testkit::{Backend, Browser, Viewport, browser};

const VIEWPORTS: [Viewport; 3] = [Viewport::Phone, Viewport::Tablet, Viewport::Desktop];

/// The sapphire's blue in the drawings.
const SAPPHIRE_BLUE: &str = "#1f4fa8";

async fn open(b: &Browser, app: &common::TestApp, slug: &str) {
    b.client
        .goto(&format!("{}/creations/{slug}", app.url))
        .await
        .expect("page loads");
}

/// Whether the page's form for `css` is valid as the browser checks it.
async fn form_is_valid(b: &Browser, css: &str) -> bool {
    b.client
        .execute(
            "return document.querySelector(arguments[0]).checkValidity()",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("script runs")
        .as_bool()
        .expect("a boolean")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sapphire_ring_shows_a_blue_stone_in_every_view_of_its_gallery() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = browser(Viewport::Desktop).await;
    open(&b, &app, "nocturne-sapphire-cocktail-ring").await;
    let images = b
        .client
        .find_all(Locator::Css(".gallery-view"))
        .await
        .expect("gallery");
    assert_eq!(images.len(), 3, "three views");
    for image in images {
        let src = image.attr("src").await.expect("src").expect("a source");
        let alt = image.attr("alt").await.expect("alt").unwrap_or_default();
        assert!(alt.starts_with("Nocturne Sapphire Cocktail Ring"), "{alt}");
        let (status, svg) = app.get_text(&src).await;
        assert_eq!(status, 200, "{src}");
        assert!(svg.contains(SAPPHIRE_BLUE), "{src}: a blue stone");
    }
    // A diamond solitaire has no blue.
    let (_, svg) = app.get_text("/images/etoile-solitaire-ring-1ct.svg").await;
    assert!(!svg.contains(SAPPHIRE_BLUE));
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gallery_shows_another_view_when_a_thumbnail_is_chosen() {
    let app = spawn_app(Backend::Sqlite).await;
    for viewport in VIEWPORTS {
        let b = browser(viewport).await;
        open(&b, &app, "atelier-top-handle-bag").await;
        assert!(b.displayed(".gallery-view-1").await, "{viewport:?}");
        assert!(!b.displayed(".gallery-view-2").await, "{viewport:?}");
        b.click("label[for=view-2]").await;
        assert!(b.displayed(".gallery-view-2").await, "{viewport:?}");
        assert!(!b.displayed(".gallery-view-1").await, "{viewport:?}");
        b.click("label[for=view-3]").await;
        assert!(b.displayed(".gallery-view-3").await, "{viewport:?}");
        let thumb = b.text_of("label[for=view-3]").await;
        assert!(thumb.to_lowercase().contains("on a stand"), "{thumb}");
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        b.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personalisation_opens_when_chosen_with_its_rules_and_the_final_sale_note() {
    let app = spawn_app(Backend::Sqlite).await;
    for viewport in VIEWPORTS {
        let b = browser(viewport).await;
        open(&b, &app, "etoile-pave-band").await;
        let button = b.text_of("[data-testid=action]").await;
        assert_eq!(button.to_lowercase(), "add to bag", "{viewport:?}");
        assert!(
            !b.displayed("#personalisation_text").await,
            "{viewport:?}: closed"
        );
        assert!(!b.displayed("#final-sale-note").await, "{viewport:?}");
        b.click("label[for=personalisation-engraving]").await;
        assert!(
            b.displayed("#personalisation_text").await,
            "{viewport:?}: open"
        );
        let rules = b.text_of("#rules-engraving").await;
        assert!(rules.contains("One line of up to 20 characters"), "{rules}");
        assert!(rules.contains("♥"), "{rules}");
        let note = b.text_of("#final-sale-note").await;
        assert!(note.to_lowercase().contains("final sale"), "{note}");
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        // Closed again when "None" is chosen.
        b.click("label[for=personalisation-none]").await;
        assert!(!b.displayed("#personalisation_text").await, "{viewport:?}");
        b.close().await;
    }
    // A leather piece offers initials, with their own rules.
    let b = browser(Viewport::Phone).await;
    open(&b, &app, "atelier-card-holder").await;
    b.click("label[for=personalisation-embossing]").await;
    let rules = b.text_of("#rules-embossing").await;
    assert!(rules.contains("Up to 3 initials"), "{rules}");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_is_chosen_as_a_button_and_goes_into_the_bag() {
    let app = spawn_app(Backend::Sqlite).await;
    for (viewport, size) in [
        (Viewport::Phone, "52"),
        (Viewport::Tablet, "54"),
        (Viewport::Desktop, "48"),
    ] {
        let b = browser(viewport).await;
        open(&b, &app, "etoile-pave-band").await;
        assert!(b.displayed("label[for=size-VAL-RNG-003-52]").await);
        // A size is required: the form does not go without one.
        assert!(!form_is_valid(&b, "form.purchase").await, "{viewport:?}");
        // A size out of stock cannot be chosen.
        let sold_out = b
            .client
            .find(Locator::Id("size-VAL-RNG-003-60"))
            .await
            .expect("size 60");
        assert!(!sold_out.is_enabled().await.expect("enabled"), "size 60");
        let label = b.text_of("label[for=size-VAL-RNG-003-60]").await;
        assert!(label.contains("60"), "{label}");
        // The keyboard moves between sizes like any radio buttons.
        b.click("label[for=size-VAL-RNG-003-50]").await;
        b.client
            .find(Locator::Id("size-VAL-RNG-003-50"))
            .await
            .expect("size 50")
            .send_keys(&Key::Right.to_string())
            .await
            .expect("arrow key");
        let chosen = b
            .client
            .execute(
                "return document.querySelector('input[name=sku]:checked').value",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(chosen, "VAL-RNG-003-52", "{viewport:?}: the next size");
        b.click(&format!("label[for=size-VAL-RNG-003-{size}]"))
            .await;
        assert!(form_is_valid(&b, "form.purchase").await);
        assert!(!b.overflows_horizontally().await, "{viewport:?}");
        b.click("[data-testid=action]").await;
        b.until_url("/bag").await;
        let bag = b.text().await;
        assert!(bag.contains(&format!("Size {size}")), "{viewport:?}: {bag}");
        assert!(!b.overflows_horizontally().await, "{viewport:?}: the bag");
        b.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personalised_creation_in_the_bag_is_marked_final_sale() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = browser(Viewport::Phone).await;
    open(&b, &app, "etoile-pave-band").await;
    b.click("label[for=size-VAL-RNG-003-54]").await;
    b.click("label[for=personalisation-engraving]").await;
    b.fill(&[("personalisation_text", "For ever")]).await;
    b.click("[data-testid=action]").await;
    b.until_url("/bag").await;
    let bag = b.text().await;
    assert!(bag.contains("For ever"), "{bag}");
    assert!(bag.to_lowercase().contains("final sale"), "{bag}");
    assert!(!b.overflows_horizontally().await);
    b.close().await;
    app.stop().await;
}

/// A 1 × 1 PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_operators_photograph_named_by_sku_replaces_the_drawing() {
    let photos = tempfile::tempdir().expect("photos folder");
    std::fs::write(photos.path().join("VAL-RNG-007.png"), TINY_PNG).expect("photo");
    std::fs::write(
        photos.path().join("VAL-RNG-007-2.jpg"),
        b"\xff\xd8\xff jpeg",
    )
    .expect("photo");
    // Named by the address rather than the SKU: not used.
    std::fs::write(photos.path().join("etoile-pave-band.png"), TINY_PNG).expect("photo");
    let folder = photos.path().to_path_buf();
    let app = spawn_app_configured(
        Backend::Sqlite,
        RawMail::default(),
        Arc::new(maison_app::clock::SystemClock),
        |raw| raw.catalogue.images_dir = Some(folder),
    )
    .await;

    let response = app.get("/images/nocturne-sapphire-cocktail-ring.svg").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.expect("body").as_ref(), TINY_PNG);
    let response = app
        .get("/images/nocturne-sapphire-cocktail-ring-2.svg")
        .await;
    assert_eq!(response.headers()["content-type"], "image/jpeg");

    // The gallery shows the photographs only, never a drawing beside them.
    let (_, page) = app
        .get_text("/creations/nocturne-sapphire-cocktail-ring")
        .await;
    assert!(page.contains("/images/nocturne-sapphire-cocktail-ring-2.svg"));
    assert!(!page.contains("/images/nocturne-sapphire-cocktail-ring-3.svg"));

    // Creations without a photograph keep their drawings.
    let response = app.get("/images/etoile-pave-band.svg").await;
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let (_, page) = app.get_text("/creations/etoile-pave-band").await;
    assert!(page.contains("/images/etoile-pave-band-3.svg"));

    // Only the catalogue's slugs and views lead to a file.
    for path in [
        "/images/..%2F..%2Fetc%2Fpasswd.svg",
        "/images/VAL-RNG-007.svg",
        "/images/VAL-RNG-007.png",
        "/images/nocturne-sapphire-cocktail-ring-4.svg",
        "/images/nocturne-sapphire-cocktail-ring-0.svg",
        "/images/nocturne-sapphire-cocktail-ring-2",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_creation_has_its_own_drawing_in_three_views() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut seen = std::collections::HashMap::new();
    for product in app.all_products().await {
        let slug = product["slug"].as_str().expect("slug").to_owned();
        for suffix in ["", "-2", "-3"] {
            let response = app.get(&format!("/images/{slug}{suffix}.svg")).await;
            assert_eq!(response.status(), 200, "{slug}{suffix}");
            assert_eq!(response.headers()["content-type"], "image/svg+xml");
        }
        let (_, svg) = app.get_text(&format!("/images/{slug}.svg")).await;
        // Without its title (the name), what is drawn.
        let drawn = svg
            .split_once("</title>")
            .map(|(_, rest)| rest.to_owned())
            .expect("a title");
        let category = product["category"].as_str().unwrap_or_default().to_owned();
        if let Some(other) = seen.insert((category, drawn), slug.clone()) {
            panic!("{slug} is drawn like {other}");
        }
    }
    app.stop().await;
}
