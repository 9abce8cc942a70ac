//! The JSON API under `/api/v1` (PRODUCT.md §7), and its reference.

pub(crate) mod cache;
mod catalogue;
pub(crate) mod shop;
pub use catalogue::unknown_route;
mod views;

use axum::Router;
use axum::routing::{get, patch, post};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

/// The OpenAPI document, written by hand next to the handlers it describes; a
/// test checks that every route is in it.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", get(catalogue::list_products))
        .route("/api/v1/products/{sku}", get(catalogue::get_product))
        .route("/api/v1/boutiques", get(catalogue::list_boutiques))
        .route("/api/v1/bags", post(shop::create_bag))
        .route("/api/v1/bags/{id}", get(shop::get_bag))
        .route("/api/v1/bags/{id}/lines", post(shop::add_line))
        .route(
            "/api/v1/bags/{id}/lines/{line_id}",
            patch(shop::change_line).delete(shop::remove_line),
        )
        .route("/api/v1/checkout/preview", post(shop::preview))
        .route("/api/v1/checkout", post(shop::checkout))
        .route("/api/v1/order-lookup", post(shop::order_lookup))
}

/// `/api/v1/openapi.json` and the readable reference at `/api/docs` (Swagger UI,
/// embedded in the binary: it works offline).
pub fn reference() -> Router {
    let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_else(|err| {
        // The document is compiled in and checked by a test; this cannot fail
        // in a released binary.
        tracing::error!(error = %err, "the embedded OpenAPI document is not JSON");
        serde_json::Value::Null
    });
    Router::from(
        SwaggerUi::new("/api/docs").external_url_unchecked("/api/v1/openapi.json", document),
    )
}
