//! The storefront's forms are typed structs read at the edge: whatever a form
//! post carries (fields missing, unknown fields, a field sent twice, bytes
//! that are not UTF-8), its page answers in words, as it always has, never
//! with axum's plain-text rejection; a body that is not a form at all is a
//! readable refusal. On SQLite and PostgreSQL.

mod common;

use common::{PASSWORD, TestApp, cookie_pair, csrf_field, plain_sku, spawn_app};
use maison_testkit::on_both_databases;

/// Status, `Content-Type` and body of a page.
async fn page(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("a body"))
}

/// A page of ours in words: HTML, and none of axum's rejection texts.
fn readable(content_type: &str, html: &str) {
    assert!(
        content_type.starts_with("text/html"),
        "{content_type}: {html}"
    );
    assert!(html.contains("<html"), "{html}");
    for axum_text in [
        "Failed to deserialize",
        "missing field",
        "duplicate field",
        "Form requests must have",
    ] {
        assert!(!html.contains(axum_text), "{axum_text}: {html}");
    }
}

/// A guest's bag holding one plain creation: the bag cookie (`name=value`).
async fn guest_bag(app: &TestApp) -> String {
    let sku = plain_sku(app).await;
    // No quantity (one, as before) and a field no form has.
    let added = app
        .guest_form("/bag", None, &[("sku", &sku), ("utm_source", "letter")])
        .await;
    assert_eq!(added.status(), 303, "post-redirect-get");
    cookie_pair(&added, "maison_bag").expect("a bag cookie")
}

/// Posts `body` as it is to `path`, with a guest's form token (in the body
/// when `token_in_body`, else in the header) and `cookies`.
async fn raw_post(
    app: &TestApp,
    path: &str,
    cookies: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
    token_in_body: bool,
) -> reqwest::Response {
    let (cookie, token) = app.guest_form_token().await;
    let cookie = match cookies {
        Some(more) => format!("{cookie}; {more}"),
        None => cookie,
    };
    let mut request = app
        .http
        .post(format!("{}{path}", app.url))
        .header("cookie", cookie);
    let mut body = body;
    if token_in_body {
        body.extend_from_slice(format!("&csrf_token={token}").as_bytes());
    } else {
        request = request.header("x-csrf-token", &token);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.body(body).send().await.expect("request sent")
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

on_both_databases! {
    async fn a_checkout_form_with_fields_missing_or_unknown_shows_the_checkout_page_again(backend) {
        let app = spawn_app(backend).await;
        let bag = guest_bag(&app).await;
        let (status, content_type, html) = page(app.guest_form("/checkout", Some(&bag), &[
            ("first_name", "Claire"),
            ("colour", "emerald"),
            ("card_number", "4242 4242 4242 4242"),
        ]).await).await;
        assert_eq!(status, 422, "{html}");
        readable(&content_type, &html);
        assert!(html.contains("action=\"/checkout\""), "the checkout form again: {html}");
        assert!(html.contains("Please check the form"), "{html}");
        assert!(html.contains("value=\"Claire\""), "what was typed is kept");
        assert!(!html.contains("4242"), "never the card number");
        assert!(html.contains("value=\"home\" checked"), "the page's default method");

        // An empty form (its token only): the same page, refused in words.
        let (status, content_type, html) = page(app.guest_form("/checkout", Some(&bag), &[]).await).await;
        assert_eq!(status, 422, "{html}");
        readable(&content_type, &html);
        assert!(html.contains("Please check the form"), "{html}");
        app.stop().await;
    }

    async fn a_field_sent_twice_counts_with_its_last_value(backend) {
        let app = spawn_app(backend).await;
        let sku = plain_sku(&app).await;
        // A creation without sizes sends its SKU in a hidden field per size.
        let added = app.guest_form("/bag", None, &[("sku", "NO-SUCH-SKU"), ("sku", &sku), ("quantity", "1")]).await;
        assert_eq!(added.status(), 303);

        app.client("Claire", "Dubois", "claire@example.com").await;
        let signed_in = app.guest_form("/account/sign-in", None, &[
            ("email", "someone@example.com"),
            ("email", "claire@example.com"),
            ("password", PASSWORD),
            ("next", "/account"),
            ("remember_me", "on"),
        ]).await;
        assert_eq!(signed_in.status(), 303, "{:?}", signed_in.headers());
        assert_eq!(signed_in.headers()["location"], "/account");
        assert!(cookie_pair(&signed_in, "maison_session").is_some());
        app.stop().await;
    }

    async fn a_sign_in_form_without_its_fields_is_refused_on_the_sign_in_page(backend) {
        let app = spawn_app(backend).await;
        let (status, content_type, html) = page(app.guest_form("/account/sign-in", None, &[("colour", "emerald")]).await).await;
        assert!((400..500).contains(&status), "{status}: {html}");
        readable(&content_type, &html);
        assert!(html.contains("action=\"/account/sign-in\""), "the sign-in form again: {html}");
        assert!(html.contains("role=\"alert\""), "why, in words: {html}");
        app.stop().await;
    }

    async fn bytes_that_are_not_utf8_reach_the_page_as_typed_text(backend) {
        let app = spawn_app(backend).await;
        let mut body = b"number=%FF%FE".to_vec();
        body.extend_from_slice(b"\xff&email=claire%40example.com");
        let (status, content_type, html) = page(raw_post(&app, "/order-information", None, FORM, body, true).await).await;
        assert_eq!(status, 404, "{html}");
        readable(&content_type, &html);
        assert!(html.contains("action=\"/order-information\""), "the look-up form again: {html}");
        assert!(html.contains("No order matches this order number and e-mail address"), "{html}");
        assert!(html.contains("value=\"claire@example.com\""), "what was typed is kept: {html}");
        assert!(html.contains("\u{fffd}"), "the unreadable bytes as U+FFFD: {html}");
        app.stop().await;
    }

    async fn a_bag_line_s_remove_button_counts_whatever_its_value(backend) {
        let app = spawn_app(backend).await;
        let bag = guest_bag(&app).await;
        let html = app.http.get(format!("{}/bag", app.url)).header("cookie", &bag).send().await.expect("sent").text().await.expect("page");
        let line = html.split("action=\"/bag/lines/").nth(1).and_then(|s| s.split('"').next()).expect("a line's form").to_owned();
        let path = format!("/bag/lines/{line}");
        // A quantity that is not a number: refused on the bag page, in words.
        let (status, content_type, html) = page(app.guest_form(&path, Some(&bag), &[("quantity", "two")]).await).await;
        assert!((400..500).contains(&status), "{status}: {html}");
        readable(&content_type, &html);
        assert!(html.contains("data-testid=\"error\"") || html.contains("role=\"alert\""), "{html}");
        let removed = app.guest_form(&path, Some(&bag), &[("remove", ""), ("quantity", "two"), ("colour", "emerald")]).await;
        assert_eq!(removed.status(), 303, "post-redirect-get");
        let html = app.http.get(format!("{}/bag", app.url)).header("cookie", &bag).send().await.expect("sent").text().await.expect("page");
        assert!(!html.contains(&format!("/bag/lines/{line}")), "the line is gone");
        app.stop().await;
    }

    async fn an_address_form_with_fields_missing_is_shown_again_as_typed(backend) {
        let app = spawn_app(backend).await;
        app.client("Claire", "Dubois", "claire@example.com").await;
        let signed_in = app.guest_form("/account/sign-in", None, &[("email", "claire@example.com"), ("password", PASSWORD)]).await;
        let session = cookie_pair(&signed_in, "maison_session").expect("a session cookie");
        let html = app.http.get(format!("{}/account/addresses", app.url)).header("cookie", &session).send().await.expect("sent").text().await.expect("page");
        let token = csrf_field(&html).expect("the session's token");
        let response = app.http.post(format!("{}/account/addresses", app.url))
            .header("cookie", &session)
            .form(&[("csrf_token", token.as_str()), ("label", "Atelier"), ("city", "Montréal"), ("country", "CA"), ("floor", "3")])
            .send().await.expect("sent");
        let (status, content_type, html) = page(response).await;
        assert_eq!(status, 422, "{html}");
        readable(&content_type, &html);
        assert!(html.contains("data-testid=\"error-summary\""), "{html}");
        assert!(html.contains("value=\"Atelier\"") && html.contains("value=\"Montréal\""), "{html}");
        assert!(html.contains("value=\"CA\" selected"), "{html}");
        app.stop().await;
    }

    async fn a_body_that_is_not_a_form_is_a_readable_refusal(backend) {
        let app = spawn_app(backend).await;
        let bag = guest_bag(&app).await;
        for (content_type, body) in [
            (Some("application/json"), br#"{"first_name":"Claire"}"#.to_vec()),
            (Some("text/plain"), b"first_name=Claire".to_vec()),
            (None, b"first_name=Claire".to_vec()),
        ] {
            let (status, page_type, html) = page(raw_post(&app, "/checkout", Some(&bag), content_type, body, false).await).await;
            assert_eq!(status, 415, "{content_type:?}: {html}");
            readable(&page_type, &html);
            assert!(html.contains("This form could not be read"), "{html}");
            assert!(html.contains("reload the page"), "{html}");
        }
        app.stop().await;
    }
}
