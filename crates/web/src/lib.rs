//! HTTP for the maison: the JSON API (`api`), the storefront pages
//! (`storefront`), and the operations endpoints (`ops`). Handlers are thin: they
//! parse input into typed values, call `maison-app`, and render.

mod api;
mod ops;
mod problem;
mod security;
mod session;
mod storefront;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use maison_app::Maison;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use ops::install_metrics;
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
        }
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
}

/// Request bodies larger than this are refused before they are read.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request that takes longer than this is answered with 408 and dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application: every route, with security headers, limits and
/// request metrics.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(storefront::routes())
        .merge(ops::routes())
        // On matched routes only, where the route template is known.
        .route_layer(axum::middleware::from_fn(ops::record_metrics))
        .fallback(storefront::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::resolve,
        ))
        .layer(axum::middleware::from_fn(security::same_origin_forms))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
        .merge(api::reference())
}
