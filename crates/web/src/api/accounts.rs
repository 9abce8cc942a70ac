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
use utoipa::{IntoParams, ToSchema};

use maison_app::accounts::{Account, SavedAddress, Secret, SessionKind, SignedIn};
use maison_app::actor::Actor;
use maison_domain::address::AddressInput;

use super::input::{AddressJson, body};
use super::schemas::{self, MoneyJson};
use super::views::{OrderJson, RequestJson};
use crate::session::Visitor;
use crate::{AppState, Problem};

type Peer = ConnectInfo<std::net::SocketAddr>;

#[derive(Serialize, ToSchema)]
#[schema(as = Account)]
struct AccountJson<'a> {
    id: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    phone: &'a str,
    #[schema(format = DateTime)]
    created_at: String,
}

impl<'a> AccountJson<'a> {
    fn new(a: &'a Account) -> Self {
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

/// A new session. The token is shown once: send it as `Authorization: Bearer
/// <token>`. Sessions end after 30 minutes without a request and 12 hours
/// after sign-in.
#[derive(Serialize, ToSchema)]
#[schema(as = Session)]
struct SessionJson<'a> {
    token: &'a str,
    #[schema(schema_with = schemas::token_type)]
    token_type: &'static str,
    #[schema(format = DateTime)]
    expires_at: String,
    idle_timeout_seconds: i64,
    account: AccountJson<'a>,
    /// The client's bag after sign-in (a guest bag sent as `bag_id` is merged into it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    bag_id: Option<String>,
    /// What could not be carried over from the guest's bag, and why.
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

#[derive(Deserialize, ToSchema)]
#[schema(as = Registration)]
#[serde(deny_unknown_fields)]
pub struct RegisterJson {
    first_name: String,
    last_name: String,
    #[schema(format = Email)]
    email: String,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[serde(default)]
    phone: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Accepted)]
struct AcceptedJson {
    #[schema(schema_with = schemas::accepted_status)]
    status: &'static str,
    detail: String,
}

/// Register: e-mails a link that creates the account
///
/// Always 202 with the same body, whether or not the address already has an
/// account (its owner is told by e-mail). Refusals: 422 `invalid_email`,
/// `invalid_name`, `invalid_phone`, `password_too_short`, `password_too_long`
/// (more than 128 characters or 512 bytes), `password_too_common`,
/// `password_contains_personal_details` (field `password`); 429
/// `too_many_attempts` (registrations and reset requests: 20 per client address
/// per 15 minutes).
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    operation_id = "register",
    tag = "Accounts",
    request_body = RegisterJson,
    responses(
        (status = 202, description = "Confirmation sent", body = AcceptedJson),
        (status = 400, description = "`malformed_json`"),
        (status = 422, description = "`invalid_email`, `invalid_name`, `invalid_phone`, `password_too_short`, `password_too_long`, `password_too_common`, `password_contains_personal_details` (field `password`), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = AccountConfirmation)]
#[serde(deny_unknown_fields)]
pub struct ConfirmJson {
    token: String,
    /// The password chosen at registration, typed again.
    password: String,
    /// A guest bag to carry into the client's bag.
    bag_id: Option<String>,
}

/// Confirm a registration with the e-mailed token and the password chosen at registration; opens a session
///
/// The link works once, for 24 hours: 410 `link_expired` after, 400
/// `invalid_token` for a token never issued. The password chosen at
/// registration must be sent again (422 `invalid_credentials`, field
/// `password`, when it is not; guesses count against the account's sign-in
/// limit), so that nobody can have an address's owner confirm an account whose
/// password they chose. A guest `bag_id` is merged into the new client's bag.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/confirm",
    operation_id = "confirmAccount",
    tag = "Accounts",
    request_body = ConfirmJson,
    responses(
        (status = 201, description = "The account, signed in", body = SessionJson),
        (status = 400, description = "`invalid_token`, `malformed_json`"),
        (status = 410, description = "`link_expired`: used, or past its 24 hours"),
        (status = 422, description = "`invalid_credentials` (field `password`), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = SignIn)]
#[serde(deny_unknown_fields)]
pub struct SignInJson {
    email: String,
    password: String,
    /// A guest bag to carry into the client's bag.
    bag_id: Option<String>,
}

/// Sign in: a bearer token for an API client
///
/// 401 `invalid_credentials` for an unknown address or a wrong password alike
/// (the same time too). Every attempt is counted before the password is checked
/// (a successful one is given back): past 5 for one account, or 20 from one
/// client address, in 15 minutes, 429 `too_many_attempts` with Retry-After. A
/// guest `bag_id` is merged into the client's bag within the order limit;
/// `messages` says what could not be carried over.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    operation_id = "signIn",
    tag = "Accounts",
    request_body = SignInJson,
    responses(
        (status = 201, description = "Signed in", body = SessionJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`invalid_credentials`: an unknown address or a wrong password"),
        (status = 422, description = "`invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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

/// Sign out: the token stops working on every instance
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/current",
    operation_id = "signOut",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
    )
)]
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

/// The signed-in client
#[utoipa::path(
    get,
    path = "/api/v1/account",
    operation_id = "getAccount",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The account", body = AccountJson),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
    )
)]
pub async fn account(visitor: Visitor) -> Result<Response, Problem> {
    let session = visitor.client()?;
    Ok(Json(AccountJson::new(&session.account)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordChange)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordJson {
    current_password: String,
    new_password: String,
}

/// Change the password (proving the current one)
///
/// Every session ends; the answer is the caller's new session. 422
/// `invalid_credentials` (field `current_password`) for a wrong current
/// password.
#[utoipa::path(
    put,
    path = "/api/v1/account/password",
    operation_id = "changePassword",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ChangePasswordJson,
    responses(
        (status = 200, description = "Changed; a new session", body = SessionJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
        (status = 422, description = "`invalid_credentials` (field `current_password`), `password_too_short`, `password_too_long`, `password_too_common`, `password_contains_personal_details` (field `new_password`), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordResetRequest)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestJson {
    email: String,
}

/// E-mail a single-use link to choose a new password
///
/// Always 202, whether or not the address has an account. The link works once,
/// within one hour; a newer link replaces older ones.
#[utoipa::path(
    post,
    path = "/api/v1/password-resets",
    operation_id = "requestPasswordReset",
    tag = "Accounts",
    request_body = ResetRequestJson,
    responses(
        (status = 202, description = "Link sent if the account exists", body = AcceptedJson),
        (status = 400, description = "`malformed_json`"),
        (status = 422, description = "`invalid_email`, `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordReset)]
#[serde(deny_unknown_fields)]
pub struct ResetJson {
    token: String,
    password: String,
}

/// Set a new password with the e-mailed token
///
/// Every session of the account ends. 410 `link_expired` (used or past its
/// hour), 400 `invalid_token`, 422 for a refused password (the link stays
/// usable).
#[utoipa::path(
    post,
    path = "/api/v1/password-resets/complete",
    operation_id = "resetPassword",
    tag = "Accounts",
    request_body = ResetJson,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`invalid_token`, `malformed_json`"),
        (status = 410, description = "`link_expired`: used, or past its hour"),
        (status = 422, description = "`password_too_short`, `password_too_long`, `password_too_common`, `password_contains_personal_details` (field `password`; the link stays usable), `invalid_request` (a missing or mistyped field)"),
    )
)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = SavedAddress)]
struct SavedAddressJson<'a> {
    id: &'a str,
    label: &'a str,
    line1: &'a str,
    #[schema(required = true)]
    line2: Option<&'a str>,
    city: &'a str,
    region: &'a str,
    postal_code: &'a str,
    #[schema(schema_with = schemas::country)]
    country: &'a str,
    #[schema(required = true)]
    company: Option<&'a str>,
}

impl<'a> SavedAddressJson<'a> {
    fn new(a: &'a SavedAddress) -> Self {
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

#[derive(Serialize, ToSchema)]
#[schema(as = SavedAddressList)]
struct SavedAddressList<'a> {
    items: Vec<SavedAddressJson<'a>>,
}

/// The client's saved addresses
#[utoipa::path(
    get,
    path = "/api/v1/account/addresses",
    operation_id = "listAddresses",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Addresses", body = SavedAddressList),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
    )
)]
pub async fn addresses(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let rows = state
        .maison
        .saved_addresses(&Actor::client(&session.account.id))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(SavedAddressList {
        items: rows.iter().map(SavedAddressJson::new).collect(),
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewAddress)]
#[serde(deny_unknown_fields)]
pub struct NewAddressJson {
    #[serde(default)]
    #[schema(max_length = 40)]
    label: String,
    address: AddressJson,
}

/// Save an address (checked like a delivery address; 10 at most)
#[utoipa::path(
    post,
    path = "/api/v1/account/addresses",
    operation_id = "saveAddress",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewAddressJson,
    responses(
        (status = 201, description = "Saved", body = SavedAddressJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
        (status = 409, description = "`too_many_addresses`: remove one first"),
        (status = 422, description = "`invalid_address`, `company_required`, `invalid_label`, `invalid_request` (a missing or mistyped field)"),
    )
)]
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
        .save_address(&Actor::client(&session.account.id), &r.label, &input)
        .await
        .map_err(|e| state.problem(e))?;
    Ok((StatusCode::CREATED, Json(SavedAddressJson::new(&row))).into_response())
}

/// Remove a saved address
#[utoipa::path(
    delete,
    path = "/api/v1/account/addresses/{id}",
    operation_id = "removeAddress",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The saved address's `id`.")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
        (status = 404, description = "`address_not_found`: not one of the client's"),
    )
)]
pub async fn remove_address(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let session = visitor.client()?;
    let id = path.map(|Path(p)| p).unwrap_or_default();
    state
        .maison
        .remove_address(&Actor::client(&session.account.id), &id)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Out of range: 422 `invalid_limit`.
    #[param(minimum = 1, maximum = 50, default = 20)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderSummary)]
struct OrderSummaryJson<'a> {
    number: &'a str,
    #[schema(schema_with = schemas::order_status)]
    status: &'a str,
    #[schema(value_type = MoneyJson)]
    total: maison_domain::Money,
    item_count: u32,
    #[schema(format = DateTime)]
    placed_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderHistory)]
struct HistoryJson<'a> {
    items: Vec<OrderSummaryJson<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// The client's orders, newest first
///
/// `limit` (1–50, default 20) at a time.
#[utoipa::path(
    get,
    path = "/api/v1/account/orders",
    operation_id = "orderHistory",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    params(HistoryQuery),
    responses(
        (status = 200, description = "A page of orders", body = HistoryJson),
        (status = 401, description = "`authentication_required` (no session), `invalid_token` (an expired or unknown token)"),
        (status = 422, description = "`invalid_limit` (field `limit`), `invalid_cursor` (field `cursor`)"),
    )
)]
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
        .order_history(
            &Actor::client(&session.account.id),
            q.cursor.as_deref(),
            limit,
        )
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

#[derive(Serialize, ToSchema)]
#[schema(as = AccountOrder)]
struct AccountOrderJson<'a> {
    #[serde(flatten)]
    order: OrderJson<'a>,
    #[schema(format = DateTime)]
    placed_at: String,
    /// Whether a cancellation or change may still be requested (not yet in
    /// processing).
    modifiable: bool,
    requests: Vec<RequestJson<'a>>,
}

fn not_found() -> Problem {
    Problem::not_found("order_not_found", "You have no order with this number.")
}

/// One of the client's orders: lines, totals, delivery, payment (brand and last 4), timeline, requests
///
/// 404 `order_not_found` for any order that is not the caller's, or without a
/// session: the same answer for all.
#[utoipa::path(
    get,
    path = "/api/v1/account/orders/{number}",
    operation_id = "accountOrder",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    responses(
        (status = 200, description = "The order", body = AccountOrderJson),
        (status = 404, description = "`order_not_found`: not the caller's order, or no session"),
    )
)]
pub async fn order(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let account_id = visitor.account_id().ok_or_else(not_found)?;
    let number = path.map(|Path(p)| p).unwrap_or_default();
    let order = state
        .maison
        .account_order(&Actor::client(account_id), &number)
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

#[derive(Deserialize, ToSchema)]
#[schema(as = NewOrderRequest)]
#[serde(deny_unknown_fields)]
pub struct NewRequestJson {
    #[schema(schema_with = schemas::request_kind)]
    kind: String,
    #[serde(default)]
    /// Required for a change.
    #[schema(max_length = 2000)]
    message: String,
}

/// Request a cancellation or a change, for Client Relations
///
/// Recorded on the order while it is not in processing; Client Relations are
/// e-mailed. 409 `order_not_modifiable` once processing has started (then only
/// a return, under the Conditions of Sale). 422 `invalid_request_kind`,
/// `invalid_message` (a change needs a message). 409 `request_already_open`
/// when the same kind of request is already open on the order.
#[utoipa::path(
    post,
    path = "/api/v1/account/orders/{number}/requests",
    operation_id = "requestOrderChange",
    tag = "Accounts",
    security(("bearer" = []), ("cookie" = [])),
    params(("number" = String, Path, description = "The order number.", example = "MV-7K2Q-9HDX-4")),
    request_body = NewRequestJson,
    responses(
        (status = 201, description = "Recorded", body = RequestJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`order_not_found`: not the caller's order, or no session"),
        (status = 409, description = "`order_not_modifiable` (processing has started), `request_already_open`"),
        (status = 422, description = "`invalid_request_kind` (field `kind`), `invalid_message` (field `message`), `invalid_request` (a missing or mistyped field)"),
    )
)]
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
        .request_order_change(&Actor::client(account_id), &number, &r.kind, &r.message)
        .await
        .map_err(|e| match e {
            maison_app::ShopError::OrderNotFound => not_found(),
            other => state.problem(other),
        })?;
    Ok((StatusCode::CREATED, Json(RequestJson::new(&row))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = GuestOrderRequest)]
#[serde(deny_unknown_fields)]
pub struct GuestRequestJson {
    #[schema(examples("MV-7K2Q-9HDX-4"))]
    number: String,
    email: String,
    #[schema(schema_with = schemas::request_kind)]
    kind: String,
    #[serde(default)]
    /// At most 2,000 characters; required for a change.
    #[schema(max_length = 2000)]
    message: String,
}

/// A guest asks Client Relations to cancel or change an order
///
/// Proven by the order's number and e-mail, exactly as the look-up asks them
/// (same 404 `order_not_found` for any mismatch, same throttling: 429
/// `too_many_attempts`). While the order is not in processing, the request is
/// recorded, Client Relations are e-mailed and the client receives an
/// acknowledgement; after: 409 `order_not_modifiable`. One open request per
/// kind: 409 `request_already_open`. 422 `invalid_request_kind` (field `kind`),
/// `invalid_message` (field `message`: at most 2,000 characters; required for a
/// change).
#[utoipa::path(
    post,
    path = "/api/v1/order-lookup/requests",
    operation_id = "guestOrderRequest",
    tag = "Orders",
    request_body = GuestRequestJson,
    responses(
        (status = 201, description = "Recorded", body = RequestJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`order_not_found`: no order with this number and e-mail address"),
        (status = 409, description = "`order_not_modifiable` (processing has started), `request_already_open`"),
        (status = 422, description = "`invalid_request_kind` (field `kind`), `invalid_message` (field `message`), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
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
