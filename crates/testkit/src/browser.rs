//! Headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`), driven over WebDriver with fantoccini.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::watchdog::{self, Watched};

/// Screen sizes the storefront is tested at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    Phone,
    Tablet,
    Desktop,
}

impl Viewport {
    pub fn size(self) -> (u32, u32) {
        match self {
            Viewport::Phone => (390, 844),
            Viewport::Tablet => (820, 1180),
            Viewport::Desktop => (1440, 900),
        }
    }
}

struct Driver {
    url: String,
    _server: Watched,
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

fn driver() -> &'static Driver {
    DRIVER.get_or_init(|| {
        let port = crate::free_port();
        let server = watchdog::spawn(
            &format!("chromedriver --port={port} --silent"),
            "TERM",
            "true",
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start: install Debian's chromium and chromium-driver (see .ci/run)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            url,
            _server: server,
        }
    })
}

/// One browser session; call [`Browser::close`] at the end of the test.
pub struct Browser {
    pub client: Client,
}

/// A new headless Chromium session with a fresh profile, at `viewport`'s size.
pub async fn browser(viewport: Viewport) -> Browser {
    let driver = driver();
    let (width, height) = viewport.size();
    let profile = tempfile::tempdir().expect("profile directory").keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium_binary(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "mobileEmulation": if viewport == Viewport::Phone {
                serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0, "touch": true, "mobile": true}})
            } else {
                serde_json::Value::Null
            },
        }),
    );
    if let Some(options) = caps
        .get_mut("goog:chromeOptions")
        .and_then(|o| o.as_object_mut())
    {
        options.retain(|_, v| !v.is_null());
    }
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session through chromedriver");
    Browser { client }
}

fn chromium_binary() -> &'static str {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or("/usr/bin/chromium")
}

impl Browser {
    /// Whether the page is wider than the viewport (horizontal scrolling).
    pub async fn overflows_horizontally(&self) -> bool {
        let result = self
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1",
                vec![],
            )
            .await
            .expect("script runs");
        result.as_bool().unwrap_or(true)
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        let result = self
            .client
            .execute("return document.body.innerText", vec![])
            .await
            .expect("script runs");
        result.as_str().unwrap_or_default().to_owned()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
