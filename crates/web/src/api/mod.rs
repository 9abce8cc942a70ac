//! The JSON API under `/api/v1` (PRODUCT.md §7), and its reference.
//!
//! The OpenAPI document (`/api/v1/openapi.json`, read at `/api/docs`) is
//! generated from this code, so no route or field exists without its
//! description: [`routes`] registers each route through
//! [`described::DescribedRoutes`], which takes only `routes!(...)` of handlers
//! carrying `#[utoipa::path]`, and the JSON shapes derive `utoipa::ToSchema`
//! (`schemas` describes the domain's values, serialised in `maison-domain`).
//!
//! To add a route:
//! 1. put `#[utoipa::path(method, path = "/api/v1/...", operation_id, tag,
//!    params, request_body, responses, security)]` on the handler, its
//!    summary and description in its doc comment, each refusal as a response
//!    whose description names its `code`s (the problem+json body is added for
//!    every 4xx and 5xx);
//! 2. derive `ToSchema` (and `IntoParams` for a query) on the types it reads
//!    and writes, with `#[schema(...)]` where the JSON differs from the Rust
//!    type;
//! 3. add one line `.routes(routes!(module::handler))` to [`routes`] (one
//!    `routes!` per path; handlers of the same path share it).
//!
//! The unit tests in `document` refuse an operation without a summary, an
//! error response without its code, or a reference to no schema; the API
//! tests check that the served document lists exactly the routes the server
//! answers.

mod accounts;
mod assisted;
pub(crate) mod cache;
mod catalogue;
pub(crate) mod described;
pub(crate) mod document;
mod fulfilment;
mod information;
mod input;
mod returns;
mod schemas;
pub(crate) mod shop;
mod staff;
pub use catalogue::unknown_route;
mod views;
mod webhooks;

use axum::Router;
use utoipa_axum::routes;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::AppState;
use described::DescribedRoutes;

pub use document::registered_routes;

/// Every route of the API, each with its description.
pub fn routes() -> DescribedRoutes<AppState> {
    DescribedRoutes::new()
        .routes(routes!(catalogue::list_products))
        .routes(routes!(catalogue::get_product))
        .routes(routes!(catalogue::list_boutiques))
        .routes(routes!(shop::create_bag))
        .routes(routes!(shop::get_bag))
        .routes(routes!(shop::add_line))
        .routes(routes!(shop::change_line, shop::remove_line))
        .routes(routes!(shop::preview))
        .routes(routes!(shop::checkout))
        .routes(routes!(shop::order_lookup))
        .routes(routes!(accounts::guest_request_change))
        .routes(routes!(staff::list_orders))
        .routes(routes!(staff::get_order, staff::change_order))
        .routes(routes!(staff::cancel_order))
        .routes(routes!(staff::process_order))
        .routes(routes!(fulfilment::create_shipment))
        .routes(routes!(fulfilment::ready_for_pickup))
        .routes(routes!(fulfilment::collect))
        .routes(routes!(returns::request_return, returns::order_returns))
        .routes(routes!(returns::authorise_return))
        .routes(routes!(returns::receive_return))
        .routes(routes!(returns::refund_return))
        .routes(routes!(returns::reject_return))
        .routes(routes!(fulfilment::carrier_webhook))
        .routes(routes!(staff::audit_events))
        .routes(routes!(webhooks::create_endpoint, webhooks::list_endpoints))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(assisted::place_assisted_order))
        .routes(routes!(assisted::record_receipt))
        .routes(routes!(assisted::order_documents))
        .routes(routes!(assisted::list_outbox))
        .routes(routes!(assisted::retry_outbox_message))
        .routes(routes!(
            information::list_requests,
            information::request_information
        ))
        .routes(routes!(information::assign_request))
        .routes(routes!(information::set_request_status))
        .routes(routes!(information::issue_quote))
        .routes(routes!(information::get_quote))
        .routes(routes!(information::pay_quote))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::confirm))
        .routes(routes!(accounts::sign_in))
        .routes(routes!(accounts::sign_out))
        .routes(routes!(accounts::request_reset))
        .routes(routes!(accounts::complete_reset))
        .routes(routes!(accounts::account))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::addresses, accounts::add_address))
        .routes(routes!(accounts::remove_address))
        .routes(routes!(accounts::orders))
        .routes(routes!(accounts::order))
        .routes(routes!(accounts::request_change))
}

/// `/api/v1/openapi.json` and the readable reference at `/api/docs` (Swagger UI,
/// embedded in the binary: it works offline).
pub fn reference() -> Router {
    let (document, _) = document::reference_routes().into_parts();
    document.merge(Router::from(
        SwaggerUi::new("/api/docs").config(Config::new(["/api/v1/openapi.json"])),
    ))
}
