//! HTTP for the maison: the JSON API (`api`), the storefront pages
//! (`storefront`), and the operations endpoints (`ops`). Handlers are thin: they
//! parse input into typed values, call `maison-app`, and render.

mod api;
mod ops;
mod problem;
mod security;
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
    catalogue_responses: Arc<api::cache::ResponseCache>,
}

impl AppState {
    pub fn new(maison: Arc<Maison>) -> Self {
        AppState {
            maison,
            metrics: install_metrics(),
            secure_cookies: false,
            catalogue_responses: Arc::default(),
        }
    }

    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }
}

/// Request bodies larger than this are refused before they are read.
const MAX_BODY_BYTES: usize = 64 * 1024;
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
        .layer(axum::middleware::from_fn(security::same_origin_forms))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
        .merge(api::reference())
}
