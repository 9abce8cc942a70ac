//! The API reference (Swagger UI, served from the binary) in a real headless
//! Chromium, under the Content-Security-Policy it is served with.

mod common;

use std::time::{Duration, Instant};

use common::spawn_app;
use fantoccini::Locator;
use maison_testkit::{Backend, Viewport, browser};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_renders_under_its_content_security_policy() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = browser(Viewport::Desktop).await;
    b.client
        .goto(&format!("{}/api/docs/", app.url))
        .await
        .expect("the reference loads");
    // Its scripts ran (script-src 'self'), fetched the OpenAPI document
    // (connect-src 'self') and drew the operations.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let drawn = b
            .client
            .find_all(Locator::Css(".opblock"))
            .await
            .map_or(0, |found| found.len());
        if drawn >= 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Swagger UI drew {drawn} operations: {}",
            b.text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = b.text().await;
    assert!(
        text.contains("Maison API") && text.contains("/api/v1/checkout"),
        "{text}"
    );
    // The <style> elements Swagger UI inserts apply; an inline script never
    // runs.
    let allowed = b
        .client
        .execute(
            "const style = document.createElement('style');
             style.textContent = '#swagger-ui { outline-style: dotted; }';
             document.head.appendChild(style);
             const script = document.createElement('script');
             script.textContent = 'window.inlineScriptRan = true;';
             document.head.appendChild(script);
             return [
               getComputedStyle(document.getElementById('swagger-ui')).outlineStyle,
               window.inlineScriptRan === true,
             ];",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(allowed, serde_json::json!(["dotted", false]));
    b.close().await;
    app.stop().await;
}
