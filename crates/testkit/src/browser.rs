//! Headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`), driven over WebDriver with fantoccini.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
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

/// How long the page helpers below wait for what they expect.
const WAIT: Duration = Duration::from_secs(10);
/// How often they look again meanwhile.
const POLL: Duration = Duration::from_millis(50);

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

    /// The serious and critical accessibility violations axe-core finds on
    /// the current page (WCAG 2.x A and AA rules, and axe's best practices).
    ///
    /// axe-core comes from its npm package (see [`axe_script`]); without it
    /// the test fails and says how to install it.
    pub async fn axe_violations(&self) -> Vec<AxeViolation> {
        self.client
            .execute(axe_script(), vec![])
            .await
            .expect("axe-core loads in the page");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                  targets: v.nodes.map(n => n.target.join(' ')) }))))
                   .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        if let Some(error) = result.get("error") {
            panic!("axe-core failed on the page: {error}");
        }
        serde_json::from_value::<Vec<serde_json::Value>>(result)
            .expect("axe-core's violations")
            .into_iter()
            .map(|v| {
                let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
                AxeViolation {
                    id: text("id"),
                    impact: text("impact"),
                    help: text("help"),
                    targets: v["targets"]
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .filter_map(|t| t.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Waits until the element `css` is displayed, then clicks it.
    pub async fn click(&self, css: &str) {
        self.shown(Locator::Css(css), "to be clicked")
            .await
            .click()
            .await
            .unwrap_or_else(|err| panic!("{css} could not be clicked: {err}"));
    }

    /// Fills in fields by id, once each is shown: clears and types (a select: chooses the value).
    pub async fn fill(&self, fields: &[(&str, &str)]) {
        for (id, text) in fields {
            let input = self.shown(Locator::Id(id), "to be filled in").await;
            if input.tag_name().await.expect("tag name") == "select" {
                input
                    .select_by_value(text)
                    .await
                    .unwrap_or_else(|err| panic!("#{id} has no option {text:?}: {err}"));
                continue;
            }
            input
                .clear()
                .await
                .unwrap_or_else(|err| panic!("#{id} could not be cleared: {err}"));
            input
                .send_keys(text)
                .await
                .unwrap_or_else(|err| panic!("#{id} could not be typed into: {err}"));
        }
    }

    /// Whether the element `css` is displayed, once it is on the page.
    pub async fn displayed(&self, css: &str) -> bool {
        self.present(Locator::Css(css))
            .await
            .is_displayed()
            .await
            .expect("displayed")
    }

    /// The text of the element `css`, once displayed (the page a click leads to may be loading).
    pub async fn text_of(&self, css: &str) -> String {
        self.shown(Locator::Css(css), "to be read")
            .await
            .text()
            .await
            .expect("text")
    }

    /// Waits until the page's text contains `needle`, in any case; returns that text.
    pub async fn until_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.text().await;
            if text.to_lowercase().contains(&needle.to_lowercase()) {
                return text;
            }
            if Instant::now() >= deadline {
                panic!("the page never read {needle:?} within {WAIT:?}; page: {text}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page's address contains `part` (a link followed, a form answered).
    pub async fn until_url(&self, part: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.client.current_url().await.map(|u| u.to_string());
            if url.as_ref().is_ok_and(|u| u.contains(part)) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the address never contained {part:?} within {WAIT:?}: at {url:?}; page: {}",
                    self.text().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The current value of the field with id `id`, once it is on the page.
    pub async fn value_of(&self, id: &str) -> String {
        self.present(Locator::Id(id))
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// The element `locator` finds, once it is on the page.
    async fn present(&self, locator: Locator<'_>) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(locator)
            .await
        {
            Ok(element) => element,
            Err(err) => panic!(
                "{} was never on the page within {WAIT:?} ({err}); page: {}",
                named(locator),
                self.text().await
            ),
        }
    }

    /// The element `locator` finds, once it is on the page and displayed.
    async fn shown(&self, locator: Locator<'_>, purpose: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(locator).await
                && element.is_displayed().await.unwrap_or(false)
            {
                return element;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} was never shown {purpose} within {WAIT:?}; page: {}",
                    named(locator),
                    self.text().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A locator as a CSS selector would say it, for the helpers' messages.
fn named(locator: Locator<'_>) -> String {
    match locator {
        Locator::Css(css) => css.to_owned(),
        Locator::Id(id) => format!("#{id}"),
        other => format!("{other:?}"),
    }
}

/// One rule axe-core found broken, with the elements that break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxeViolation {
    /// The rule, such as `color-contrast`.
    pub id: String,
    /// `serious` or `critical`.
    pub impact: String,
    /// What the rule asks, in a sentence.
    pub help: String,
    /// CSS selectors of the elements in violation.
    pub targets: Vec<String>,
}

impl std::fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} at {}",
            self.id,
            self.impact,
            self.help,
            self.targets.join(", ")
        )
    }
}

/// Where `scripts/test` installs axe-core (`AXE_CORE_JS` names another file).
const AXE_INSTALL: &str = "npm install --no-save --prefix target/axe axe-core@4.10.3";

/// axe-core's `axe.min.js`, read once: from `AXE_CORE_JS`, else from the
/// workspace's `target/axe`, where `scripts/test` installs it.
fn axe_script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let path = std::env::var_os("AXE_CORE_JS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../target/axe/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|err| {
            panic!(
                "axe-core is not installed ({}: {err}): run scripts/test, or `{AXE_INSTALL}` in the workspace, or set AXE_CORE_JS to axe.min.js",
                path.display()
            )
        })
    })
}
