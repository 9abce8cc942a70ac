//! The storefront: server-rendered pages that work without JavaScript, on a
//! phone, a tablet and a desktop (rule R11).

mod account;
mod forms;
mod images;
mod information;
mod pages;
mod product;
mod shop;
mod views;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

/// The typed form reader, shared with the console.
pub(crate) use forms::{Password, StorefrontForm};
pub(crate) use images::ProductImages;
pub use pages::not_found_page;

/// A refusal made before any page handler ran (a form without its security
/// token, say), as a page that says what to do.
pub fn refusal_page(state: &AppState, problem: &crate::Problem) -> Response {
    pages::message_page(
        state,
        problem.title,
        &problem.detail,
        vec![views::Link {
            href: "/".into(),
            name: "Return to the maison".into(),
        }],
        StatusCode::from_u16(problem.status).unwrap_or(StatusCode::FORBIDDEN),
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/creations", get(pages::all_creations))
        .route("/category/{slug}", get(pages::category))
        .route("/collection/{slug}", get(pages::collection))
        .route("/creations/{slug}", get(pages::creation))
        .route("/boutiques", get(pages::boutiques))
        .route("/help/orders-and-payment", get(pages::orders_and_payment))
        .route("/help/conditions-of-sale", get(pages::conditions_of_sale))
        .route("/bag", get(shop::show_bag).post(shop::add))
        .route("/bag/lines/{line_id}", post(shop::change))
        .route("/checkout", get(shop::show_checkout).post(shop::place))
        .route("/checkout/complete", get(shop::complete))
        .route(
            "/order-information",
            get(shop::order_information).post(shop::look_up),
        )
        .route("/order-information/requests", post(shop::guest_request))
        .route("/order-information/{number}", get(shop::order_from_link))
        .route(
            "/account/register",
            get(account::register_page).post(account::register),
        )
        .route(
            "/account/confirm",
            get(account::confirm_page).post(account::confirm),
        )
        .route(
            "/account/sign-in",
            get(account::sign_in_page).post(account::sign_in),
        )
        .route("/account/sign-out", post(account::sign_out))
        .route(
            "/account/forgot",
            get(account::forgot_page).post(account::forgot),
        )
        .route(
            "/account/reset",
            get(account::reset_page).post(account::reset),
        )
        .route("/account", get(account::account))
        .route("/account/orders/{number}", get(account::order))
        .route(
            "/account/orders/{number}/requests",
            post(account::request_change),
        )
        .route(
            "/account/orders/{number}/returns",
            post(account::request_return),
        )
        .route(
            "/account/addresses",
            get(account::addresses).post(account::add_address),
        )
        .route(
            "/account/addresses/{id}/delete",
            post(account::remove_address),
        )
        .route(
            "/account/password",
            get(account::password_page).post(account::change_password),
        )
        .route("/images/{file}", get(images::image))
        .route("/assets/maison.css", get(stylesheet))
        .route("/assets/favicon.svg", get(favicon))
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/assets/favicon.svg") }),
        )
        .merge(information::routes())
}

const STYLESHEET: &str = include_str!("../../assets/maison.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The maison's monogram ("MV" for Maison Valoria) in white on its red.
async fn favicon(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let monogram: String = state
        .maison
        .client_relations
        .maison_name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="10" fill="#7a1f2b"/><text x="32" y="42" text-anchor="middle" font-family="Georgia, serif" font-size="28" fill="#ffffff">{monogram}</text></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

/// Gives the page being rendered the visitor's bag count (for the header):
/// storefront pages only, and no look-up for a visitor without a bag cookie
/// or a session. A form post answers from its own result, not a stale count.
pub async fn count_bag(
    axum::extract::State(state): axum::extract::State<AppState>,
    visitor: crate::session::Visitor,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let page = request.method() == axum::http::Method::GET
        && !["/api/", "/assets/", "/images/", "/console"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
    let has_bag = crate::session::cookie(request.headers(), shop::BAG_COOKIE).is_some()
        || visitor.account_id().is_some();
    if !(page && has_bag) {
        return next.run(request).await;
    }
    let count = match shop::current_bag(&state, request.headers(), &visitor).await {
        (Some(id), _) => state.maison.bag(&id).await.map_or(0, |bag| bag.item_count),
        (None, _) => 0,
    };
    views::with_bag_count(count, next.run(request)).await
}

/// Every unknown path: a problem for the API, a friendly page elsewhere.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::api::unknown_route().await.into_response();
    }
    let mut response = not_found_page(&state, "This page does not exist");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
