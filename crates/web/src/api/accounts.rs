//! Client accounts over the API: registration, sessions (bearer tokens),
//! password reset and change, saved addresses, the order history and the
//! client's requests on an order. Every order route answers 404
//! `order_not_found` for an order that is not the caller's, whoever asks.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use maison_app::accounts::{AccountRow, SavedAddressRow, Secret, SessionKind, SignedIn};
use maison_domain::address::AddressInput;

use super::input::{AddressJson, body};
use super::views::{OrderJson, RequestJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

type Peer = ConnectInfo<std::net::SocketAddr>;

#[derive(Serialize)]
struct AccountJson<'a> {
    id: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    phone: &'a str,
    created_at: String,
}

impl<'a> AccountJson<'a> {
    fn new(a: &'a AccountRow) -> Self {
        AccountJson {
            id: &a.id,
            email: &a.email,
            first_name: &a.first_name,
            last_name: &a.last_name,
            phone: &a.phone,
            created_at: maison_app::clock::rfc3339(a.created_at),
        }
    }
}

/// A new API session: the bearer token is shown this once.
#[derive(Serialize)]
struct SessionJson<'a> {
    token: &'a str,
    token_type: &'static str,
    expires_at: String,
    idle_timeout_seconds: i64,
    account: AccountJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bag_id: Option<String>,
    messages: Vec<String>,
}

fn session_response(
    status: StatusCode,
    s: &SignedIn,
    bag_id: Option<String>,
    messages: Vec<String>,
) -> Response {
    (
        status,
        Json(SessionJson {
            token: s.token.expose(),
            token_type: "Bearer",
            expires_at: maison_app::clock::rfc3339(s.expires_at),
            idle_timeout_seconds: maison_app::accounts::SESSION_IDLE_MICROS / 1_000_000,
            account: AccountJson::new(&s.account),
            bag_id,
            messages,
        }),
    )
        .into_response()
}

/// 201 with a new API session, after carrying a guest's bag into the
/// client's.
async fn opened(state: &AppState, signed_in: &SignedIn, guest_bag: Option<&str>) -> Response {
    let merge = state
        .maison
        .adopt_bag(&signed_in.account.id, guest_bag)
        .await;
    session_response(StatusCode::CREATED, signed_in, merge.bag_id, merge.messages)
}

fn client_ip(state: &AppState, headers: &HeaderMap, peer: &Peer) -> String {
    state.client_key(headers, peer.0.ip())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterJson {
    first_name: String,
    last_name: String,
    email: String,
    password: String,
    #[serde(default)]
    phone: String,
}

#[derive(Serialize)]
struct AcceptedJson {
    status: &'static str,
    detail: String,
}

/// `POST /api/v1/accounts`: always 202, whether or not the address is known.
pub async fn register(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    request: Result<Json<RegisterJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    let email = r.email.clone();
    state
        .maison
        .register(
            maison_app::accounts::Registration {
                first_name: r.first_name,
                last_name: r.last_name,
                email: r.email,
                phone: r.phone,
                password: Secret::new(r.password),
            },
            &client_ip(&state, &headers, &peer),
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(AcceptedJson {
            status: "confirmation_sent",
            detail: format!(
                "We have sent a message to {}: follow its link within 24 hours to confirm your account.",
                email.trim()
            ),
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmJson {
    token: String,
    /// The password chosen at registration, typed again.
    password: String,
    /// A guest bag to carry into the client's bag.
    bag_id: Option<String>,
}

/// `POST /api/v1/accounts/confirm`: the e-mailed token creates the account and
/// opens an API session.
pub async fn confirm(
    State(state): State<AppState>,
    request: Result<Json<ConfirmJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    let signed_in = state
        .maison
        .confirm_registration(&r.token, Secret::new(r.password), SessionKind::Api)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(opened(&state, &signed_in, r.bag_id.as_deref()).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInJson {
    email: String,
    password: String,
    /// A guest bag to carry into the client's bag.
    bag_id: Option<String>,
}

/// `POST /api/v1/sessions`: a bearer token for an API client.
pub async fn sign_in(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    request: Result<Json<SignInJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    let signed_in = state
        .maison
        .sign_in(
            &r.email,
            Secret::new(r.password),
            &client_ip(&state, &headers, &peer),
            SessionKind::Api,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok(opened(&state, &signed_in, r.bag_id.as_deref()).await)
}

/// `DELETE /api/v1/sessions/current`: the token stops working everywhere.
pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    state
        .maison
        .sign_out(session)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/account`.
pub async fn account(visitor: Visitor) -> Result<Response, Problem> {
    let session = visitor.client()?;
    Ok(Json(AccountJson::new(&session.account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordJson {
    current_password: String,
    new_password: String,
}

/// `PUT /api/v1/account/password`: every session ends; the caller gets a new one.
pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Result<Json<ChangePasswordJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let r = body(request)?;
    let signed_in = state
        .maison
        .change_password(
            session,
            Secret::new(r.current_password),
            Secret::new(r.new_password),
        )
        .await
        .map_err(|e| {
            let mut problem = state.problem(e);
            // The new password's refusals name the request's field.
            if problem.field.as_deref() == Some("password") {
                problem.field = Some("new_password".into());
            }
            problem
        })?;
    Ok(session_response(
        StatusCode::OK,
        &signed_in,
        None,
        Vec::new(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestJson {
    email: String,
}

/// `POST /api/v1/password-resets`: always 202.
pub async fn request_reset(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    request: Result<Json<ResetRequestJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    state
        .maison
        .request_password_reset(&r.email, &client_ip(&state, &headers, &peer))
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(AcceptedJson {
            status: "reset_link_sent",
            detail: "If this address has an account, a link to choose a new password is on its way; it works once, within one hour.".into(),
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetJson {
    token: String,
    password: String,
}

/// `POST /api/v1/password-resets/complete`: the link's token and the new password.
pub async fn complete_reset(
    State(state): State<AppState>,
    request: Result<Json<ResetJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    state
        .maison
        .reset_password(&r.token, Secret::new(r.password))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize)]
struct SavedAddressJson<'a> {
    id: &'a str,
    label: &'a str,
    line1: &'a str,
    line2: Option<&'a str>,
    city: &'a str,
    region: &'a str,
    postal_code: &'a str,
    country: &'a str,
    company: Option<&'a str>,
}

impl<'a> SavedAddressJson<'a> {
    fn new(a: &'a SavedAddressRow) -> Self {
        SavedAddressJson {
            id: &a.id,
            label: &a.label,
            line1: &a.line1,
            line2: a.line2.as_deref(),
            city: &a.city,
            region: &a.region,
            postal_code: &a.postal_code,
            country: &a.country,
            company: a.company.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

pub async fn addresses(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let rows = state
        .maison
        .saved_addresses(&session.account.id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(Items {
        items: rows.iter().map(SavedAddressJson::new).collect(),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAddressJson {
    #[serde(default)]
    label: String,
    address: AddressJson,
}

pub async fn add_address(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Result<Json<NewAddressJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let r = body(request)?;
    let input: AddressInput = r.address.into();
    let row = state
        .maison
        .save_address(&session.account.id, &r.label, &input)
        .await
        .map_err(|e| state.problem(e))?;
    Ok((StatusCode::CREATED, Json(SavedAddressJson::new(&row))).into_response())
}

pub async fn remove_address(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let id = path.map(|Path(p)| p).unwrap_or_default();
    state
        .maison
        .remove_address(&session.account.id, &id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct OrderSummaryJson<'a> {
    number: &'a str,
    status: &'a str,
    total: maison_domain::Money,
    item_count: u32,
    placed_at: String,
}

#[derive(Serialize)]
struct HistoryJson<'a> {
    items: Vec<OrderSummaryJson<'a>>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/account/orders`: newest first, `limit` (1–50, default 20) at a time.
pub async fn orders(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let Ok(Query(q)) = query else {
        return Err(Problem::invalid(
            "invalid_limit",
            "limit",
            "limit must be a whole number from 1 to 50.",
        ));
    };
    let limit = q.limit.unwrap_or(20);
    if !(1..=maison_app::accounts::MAX_PAGE).contains(&limit) {
        return Err(Problem::invalid(
            "invalid_limit",
            "limit",
            "limit must be a whole number from 1 to 50.",
        ));
    }
    let page = state
        .maison
        .order_history(&session.account.id, q.cursor.as_deref(), limit)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(HistoryJson {
        items: page
            .orders
            .iter()
            .map(|o| OrderSummaryJson {
                number: &o.number,
                status: o.status.as_str(),
                total: o.total,
                item_count: o.item_count,
                placed_at: maison_app::clock::rfc3339(o.created_at),
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
    .into_response())
}

#[derive(Serialize)]
struct AccountOrderJson<'a> {
    #[serde(flatten)]
    order: OrderJson<'a>,
    placed_at: String,
    /// Whether a cancellation or change may still be requested.
    modifiable: bool,
    requests: Vec<RequestJson<'a>>,
}

fn not_found() -> Problem {
    Problem::not_found("order_not_found", "You have no order with this number.")
}

/// `GET /api/v1/account/orders/{number}`: one of the caller's orders, in full.
pub async fn order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let account_id = visitor.account_id().ok_or_else(not_found)?;
    let number = path.map(|Path(p)| p).unwrap_or_default();
    let order = state
        .maison
        .account_order(account_id, &number)
        .await
        .map_err(|e| match e {
            maison_app::ShopError::OrderNotFound => not_found(),
            other => state.problem(other),
        })?;
    let requests = state
        .maison
        .order_requests(&order.id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(AccountOrderJson {
        order: OrderJson::new(&state.maison, &order),
        placed_at: maison_app::clock::rfc3339(order.created_at),
        modifiable: order.status.is_modifiable(),
        requests: requests.iter().map(RequestJson::new).collect(),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequestJson {
    kind: String,
    #[serde(default)]
    message: String,
}

/// `POST /api/v1/account/orders/{number}/requests`: "Request cancellation or
/// change", while the order is not in processing.
pub async fn request_change(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<NewRequestJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let account_id = visitor.account_id().ok_or_else(not_found)?;
    let number = path.map(|Path(p)| p).unwrap_or_default();
    let r = body(request)?;
    let row = state
        .maison
        .request_order_change(account_id, &number, &r.kind, &r.message)
        .await
        .map_err(|e| match e {
            maison_app::ShopError::OrderNotFound => not_found(),
            other => state.problem(other),
        })?;
    Ok((StatusCode::CREATED, Json(RequestJson::new(&row))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestRequestJson {
    number: String,
    email: String,
    kind: String,
    #[serde(default)]
    message: String,
}

/// `POST /api/v1/order-lookup/requests`: a guest's "Request cancellation or
/// change", proven by the order's number and e-mail address as the look-up
/// asks them (same answers, same throttling).
pub async fn guest_request_change(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    request: Result<Json<GuestRequestJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    let (_, row) = state
        .maison
        .request_order_change_as_guest(
            &r.number,
            &r.email,
            &state.client_key(&headers, peer.ip()),
            &r.kind,
            &r.message,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((StatusCode::CREATED, Json(RequestJson::new(&row))).into_response())
}
