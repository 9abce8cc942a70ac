//! The JSON API under `/api/v1` (PRODUCT.md §7), and its reference.

mod accounts;
pub(crate) mod cache;
mod catalogue;
mod input;
pub(crate) mod shop;
mod staff;
pub use catalogue::unknown_route;
mod views;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};
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
        .route(
            "/api/v1/order-lookup/requests",
            post(accounts::guest_request_change),
        )
        .route("/api/v1/orders", get(staff::list_orders))
        .route("/api/v1/orders/{number}", get(staff::get_order))
        .route("/api/v1/orders/{number}/cancel", post(staff::cancel_order))
        .route(
            "/api/v1/orders/{number}/process",
            post(staff::process_order),
        )
        .route("/api/v1/audit-events", get(staff::audit_events))
        .route("/api/v1/accounts", post(accounts::register))
        .route("/api/v1/accounts/confirm", post(accounts::confirm))
        .route("/api/v1/sessions", post(accounts::sign_in))
        .route("/api/v1/sessions/current", delete(accounts::sign_out))
        .route("/api/v1/password-resets", post(accounts::request_reset))
        .route(
            "/api/v1/password-resets/complete",
            post(accounts::complete_reset),
        )
        .route("/api/v1/account", get(accounts::account))
        .route("/api/v1/account/password", put(accounts::change_password))
        .route(
            "/api/v1/account/addresses",
            get(accounts::addresses).post(accounts::add_address),
        )
        .route(
            "/api/v1/account/addresses/{id}",
            delete(accounts::remove_address),
        )
        .route("/api/v1/account/orders", get(accounts::orders))
        .route("/api/v1/account/orders/{number}", get(accounts::order))
        .route(
            "/api/v1/account/orders/{number}/requests",
            post(accounts::request_change),
        )
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
