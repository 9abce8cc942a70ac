//! HTTP for the maison: the JSON API (`api`), the storefront pages
//! (`storefront`), and the operations endpoints (`ops`). Handlers are thin: they
//! parse input into typed values, call `maison-app`, and render.

mod api;
mod console;
mod ops;
mod problem;
mod security;
mod session;
mod storefront;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use maison_app::Maison;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

pub use ops::install_metrics;

/// Every (path, method) the API, the operations endpoints and the OpenAPI
/// document answer: what the document must describe, no more, no less.
pub fn registered_routes() -> Vec<(String, String)> {
    api::registered_routes()
}
pub use problem::Problem;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub maison: Arc<Maison>,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Cookies carry `Secure` when the maison serves HTTPS.
    pub secure_cookies: bool,
    /// Responses carry HSTS when clients reach the maison over HTTPS (its own
    /// TLS, or a TLS proxy in front).
    pub hsts: bool,
    /// Proxies whose `X-Forwarded-For` is believed (empty: none).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    catalogue_responses: Arc<api::cache::ResponseCache>,
    /// SHA-256 (hex) of the bearer token that reads `/metrics`, if one is set.
    metrics_token_digest: Option<Arc<str>>,
    /// `/metrics` is served by a separate operations listener, not this one.
    metrics_elsewhere: bool,
    /// This state serves the operations listener (see [`operations_router`]).
    operations_listener: bool,
    /// The creations' drawings, and the operator's photographs folder.
    product_images: Arc<storefront::ProductImages>,
}

impl AppState {
    pub fn new(maison: Arc<Maison>) -> Self {
        AppState {
            maison,
            metrics: install_metrics(),
            secure_cookies: false,
            hsts: false,
            trusted_proxies: Arc::default(),
            catalogue_responses: Arc::default(),
            metrics_token_digest: None,
            metrics_elsewhere: false,
            operations_listener: false,
            product_images: Arc::default(),
        }
    }

    /// Where the operator's photographs of the creations are (`<SKU>.jpg`,
    /// ...): each one is shown instead of its drawing.
    pub fn with_product_photos(mut self, folder: Option<std::path::PathBuf>) -> Self {
        self.product_images = Arc::new(storefront::ProductImages::new(folder));
        self
    }

    /// Who reads `/metrics`: with `token`, whoever sends it as a bearer
    /// token; without, this host only on the main listener, anyone who
    /// reaches the operations listener when `separate_listener` is set (then
    /// the main listener does not serve it).
    pub fn with_metrics_access(mut self, token: Option<&str>, separate_listener: bool) -> Self {
        self.metrics_token_digest = token.map(|t| maison_app::accounts::token_digest(t).into());
        self.metrics_elsewhere = separate_listener;
        self
    }

    /// How clients reach the maison: over its own TLS, and/or through proxies.
    pub fn with_transport(
        mut self,
        tls: bool,
        behind_proxy: bool,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> Self {
        self.secure_cookies = tls || behind_proxy;
        self.hsts = tls || behind_proxy;
        self.trusted_proxies = Arc::new(if behind_proxy {
            trusted_proxies
        } else {
            Vec::new()
        });
        self
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy,
    /// the nearest address in `X-Forwarded-For` that is not one of ours.
    pub fn client_ip(
        &self,
        headers: &axum::http::HeaderMap,
        peer: std::net::IpAddr,
    ) -> std::net::IpAddr {
        security::client_ip(headers, peer, &self.trusted_proxies)
    }

    /// The client's address as the throttles count it (see
    /// [`security::throttle_key`]).
    pub fn client_key(&self, headers: &axum::http::HeaderMap, peer: std::net::IpAddr) -> String {
        security::throttle_key(self.client_ip(headers, peer))
    }
}

/// Request bodies larger than this are refused (413) before a handler runs.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request that takes longer than this is answered with 408 and dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application: every route, with security headers, limits and
/// request metrics.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::routes().into_parts();
    let (ops, _) = ops::routes().into_parts();
    let app = Router::new()
        .merge(api)
        .merge(storefront::routes())
        .merge(ops)
        // On matched routes only, where the route template is known.
        // CSRF on matched routes only: a form posted to a path that does not
        // exist is a 404, not a missing token.
        .route_layer(from_fn_with_state(state.clone(), session::check_csrf))
        // The console checks its own sessions and CSRF tokens.
        .merge(console::routes(state.clone()))
        .route_layer(from_fn(ops::record_metrics))
        .fallback(storefront::not_found)
        // Inside the session step: the bag count needs the visitor.
        .layer(from_fn_with_state(state.clone(), storefront::count_bag))
        .layer(from_fn_with_state(state.clone(), session::resolve))
        .layer(from_fn_with_state(
            state.clone(),
            security::same_origin_forms,
        ))
        .with_state(state.clone())
        // The API reference needs no session; it gets the same limits and
        // headers as every other response.
        .merge(api::reference());
    edge(app, state)
}

/// The separate operations listener (`ops_listen`): `/healthz`, `/readyz`
/// and `/metrics`, every answer in JSON, with the same limits and headers.
pub fn operations_router(state: AppState) -> Router {
    let state = AppState {
        operations_listener: true,
        metrics_elsewhere: false,
        ..state
    };
    let (ops, _) = ops::routes().into_parts();
    let app = ops
        .fallback(|| async {
            Problem::not_found(
                "route_not_found",
                "The operations address serves /healthz, /readyz and /metrics.",
            )
        })
        .with_state(state.clone());
    edge(app, state)
}

/// What every response goes through, outermost last: the body limit, the
/// timeout, refusals made readable, the security headers, and compression
/// (gzip or brotli, as the client accepts; outermost, so that no layer reads
/// a compressed body).
fn edge(app: Router, state: AppState) -> Router {
    app.layer(from_fn_with_state(state.clone(), security::limit_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            security::readable_refusals,
        ))
        .layer(from_fn_with_state(state, security::headers))
        // The default predicate leaves out event streams, raster images and
        // bodies too small to gain; brotli's default (11) is too slow for
        // pages made per request, 5 compresses nearly as well.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
}
