//! Information requests and quotes over the API (rule R16): the public
//! "Request information" form and the Prestige Advisors' queue (staff bearer
//! tokens), the quotes they issue, and a quote's private link: read it, pay
//! it by card (the checkout's rules, exactly once per Idempotency-Key). The
//! use cases decide who may do what.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use maison_app::actor::Action;
use maison_app::checkout::CardRequest;
use maison_app::information::InformationRequestInput;
use maison_app::quotes::{QuoteCheckout, QuoteInput, QuoteView};
use maison_domain::quote::{Clarity, Cut, InformationRequest, QuoteStatus, RequestStatus, Stone};
use maison_domain::{Currency, Money};

use super::input::{body, page_limit, query};
use super::schemas::MoneyJson;
use super::shop::{CardJson, ContactJson, DeliveryJson, checkout_request};
use super::views::OrderJson;
use crate::session::Visitor;
use crate::{AppState, Problem};

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

/// A string schema closed to `values`.
fn words(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
        .build()
}

fn request_status() -> Object {
    words(RequestStatus::ALL.map(RequestStatus::as_str))
}

fn staff_mark() -> Object {
    words(["contacted", "closed"])
}

fn quote_status() -> Object {
    words(QuoteStatus::ALL.map(QuoteStatus::as_str))
}

fn clarity() -> Object {
    words(Clarity::ALL.map(Clarity::as_str))
}

fn cut() -> Object {
    words(Cut::ALL.map(Cut::as_str))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = InformationRequestForm)]
#[serde(deny_unknown_fields)]
pub struct RequestInformationJson {
    /// The creation (or one of its sizes) the client asks about.
    #[schema(examples("VAL-RNG-001"))]
    sku: String,
    first_name: String,
    last_name: String,
    #[schema(format = Email)]
    email: String,
    /// Optional: the client is contacted by e-mail.
    #[serde(default)]
    phone: String,
    /// Up to 2,000 characters.
    #[serde(default)]
    message: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = InformationRequestReceived)]
pub struct RequestReceivedJson<'a> {
    id: &'a str,
    #[schema(schema_with = request_status)]
    status: &'static str,
}

/// Ask a Prestige Advisor about a creation priced on request
///
/// The storefront's "Request information" form posts the same. The request
/// joins the Prestige Advisors' queue (`new`), and the client receives an
/// acknowledgement by e-mail. Throttled per client address: 429
/// `too_many_attempts` with Retry-After. With an Idempotency-Key, a retry
/// answers the same request and sends no second letter.
#[utoipa::path(
    post,
    path = "/api/v1/information-requests",
    operation_id = "requestInformation",
    tag = "Information requests",
    params(
        ("Idempotency-Key" = Option<String>, Header, max_length = 255,
            description = "One per request (a UUID), scoped to the client's e-mail address: a retry with the same key and body answers the same request; the same key with another body: 422 `idempotency_key_reused`. Optional, as the storefront's form sends none."),
    ),
    request_body = RequestInformationJson,
    responses(
        (status = 201, description = "The request, received", body = RequestReceivedJson),
        (status = 400, description = "`malformed_json`"),
        (status = 404, description = "`product_not_found` (field `sku`)"),
        (status = 409, description = "`idempotency_key_in_use` (the same request is being recorded)"),
        (status = 422, description = "`invalid_name` (field `first_name` or `last_name`), `invalid_email`, `invalid_phone`, `invalid_message`, `idempotency_key_reused`, `idempotency_key_required` (a key that is empty or longer than 255 characters), `invalid_request` (a missing or mistyped field)"),
        (status = 429, description = "`too_many_attempts`, with Retry-After"),
    )
)]
pub async fn request_information(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    request: Result<Json<RequestInformationJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let r = body(request)?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let recorded = state
        .maison
        .request_information(
            InformationRequestInput {
                sku: r.sku,
                first_name: r.first_name,
                last_name: r.last_name,
                email: r.email,
                phone: r.phone,
                message: r.message,
            },
            &state.client_key(&headers, peer.ip()),
            key,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::CREATED,
        Json(RequestReceivedJson {
            id: &recorded.id,
            status: recorded.status.as_str(),
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
#[schema(as = InformationRequest)]
pub struct InformationRequestJson<'a> {
    id: &'a str,
    #[schema(schema_with = request_status)]
    status: &'static str,
    #[schema(examples("VAL-RNG-001"))]
    sku: &'a str,
    /// The creation's name.
    creation: String,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    /// Empty when the client left none.
    phone: &'a str,
    message: &'a str,
    /// The e-mail address of the advisor who has the request.
    #[schema(required = true)]
    assigned_to: Option<&'a str>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl<'a> InformationRequestJson<'a> {
    fn new(state: &AppState, r: &'a InformationRequest) -> Self {
        let catalogue = state.maison.catalogue();
        let creation = catalogue
            .creation(&r.sku)
            .or_else(|| maison_app::bag::find_variant(&catalogue, &r.sku).map(|(c, _)| c))
            .map_or_else(|| r.sku.clone(), |c| c.name.clone());
        InformationRequestJson {
            id: &r.id,
            status: r.status.as_str(),
            sku: &r.sku,
            creation,
            first_name: &r.first_name,
            last_name: &r.last_name,
            email: &r.email,
            phone: &r.phone,
            message: &r.message,
            assigned_to: r.assigned_to.as_deref(),
            created_at: maison_app::clock::rfc3339(r.created_at),
            updated_at: maison_app::clock::rfc3339(r.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = InformationRequestList)]
pub struct RequestListJson<'a> {
    items: Vec<InformationRequestJson<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// Only the requests in this status. Unknown: 422 `invalid_status`.
    #[param(value_type = Option<String>, example = "new")]
    status: Option<String>,
    /// The `next_cursor` of the previous page. Not one the list gave: 422 `invalid_cursor`.
    cursor: Option<String>,
    /// 1 to 50. Out of range: 422 `invalid_limit`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, default = 20)]
    limit: Option<String>,
}

/// The information requests' queue, oldest first (any staff role)
///
/// Filter by `status` (`new`, `assigned`, `contacted`, `quoted`, `closed`).
/// Cursor pagination: `limit` 1–50 (default 20), `next_cursor`.
#[utoipa::path(
    get,
    path = "/api/v1/information-requests",
    operation_id = "listInformationRequests",
    tag = "Information requests",
    params(RequestListQuery),
    responses(
        (status = 200, description = "A page of requests", body = RequestListJson),
        (status = 400, description = "`malformed_query`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a client's session"),
        (status = 422, description = "`invalid_status` (field `status`), `invalid_limit` (field `limit`), `invalid_cursor` (field `cursor`)"),
    ),
    security(("staffBearer" = []))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<RequestListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(Action::ViewInformationRequests)
        .map_err(|e| state.problem(e))?;
    let q = query(params)?;
    let limit = page_limit(q.limit.as_deref(), 20, maison_app::information::MAX_PAGE)?;
    let page = state
        .maison
        .information_requests(&actor, q.status.as_deref(), q.cursor.as_deref(), limit)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(RequestListJson {
        items: page
            .items
            .iter()
            .map(|r| InformationRequestJson::new(&state, r))
            .collect(),
        next_cursor: page.next_cursor,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = AssignInformationRequest)]
#[serde(deny_unknown_fields)]
pub struct AssignJson {
    /// The e-mail address of a Prestige Advisor (or an administrator).
    #[schema(format = Email, examples("advisor@maison.example"))]
    advisor: String,
}

/// Assign a request to a Prestige Advisor
///
/// Ambassadors, Prestige Advisors and administrators. A `new` request
/// becomes `assigned`; one already under way changes hands and keeps its
/// status. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/information-requests/{id}/assign",
    operation_id = "assignInformationRequest",
    tag = "Information requests",
    params(("id" = String, Path, description = "The request's id")),
    request_body = AssignJson,
    responses(
        (status = 200, description = "The request", body = InformationRequestJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role that does not work the queue (fulfilment), or a client"),
        (status = 404, description = "`request_not_found`"),
        (status = 409, description = "`invalid_transition`: the request is closed"),
        (status = 422, description = "`invalid_advisor` (field `advisor`: no active Prestige Advisor or administrator with this address), `invalid_request`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn assign_request(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<AssignJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(Action::HandleInformationRequest)
        .map_err(|e| state.problem(e))?;
    let id = path_text(path);
    let r = body(request)?;
    let moved = state
        .maison
        .assign_information_request(&actor, &id, &r.advisor)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(InformationRequestJson::new(&state, &moved)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = InformationRequestStatusChange)]
#[serde(deny_unknown_fields)]
pub struct StatusJson {
    /// `contacted` or `closed` (`assigned` and `quoted` follow from
    /// assigning and quoting).
    #[schema(schema_with = staff_mark)]
    status: String,
    /// Recorded in the audit log; up to 2,000 characters.
    #[serde(default)]
    note: String,
}

/// Record where a request stands: contacted, or closed
///
/// Ambassadors, Prestige Advisors and administrators. `contacted` before any
/// quote; `closed` from any open status. Audited with the note.
#[utoipa::path(
    post,
    path = "/api/v1/information-requests/{id}/status",
    operation_id = "setInformationRequestStatus",
    tag = "Information requests",
    params(("id" = String, Path, description = "The request's id")),
    request_body = StatusJson,
    responses(
        (status = 200, description = "The request", body = InformationRequestJson),
        (status = 400, description = "`malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: a role that does not work the queue (fulfilment), or a client"),
        (status = 404, description = "`request_not_found`"),
        (status = 409, description = "`invalid_transition`: the request's lifecycle does not allow it (closed already; contacted after a quote)"),
        (status = 422, description = "`invalid_status` (field `status`), `invalid_note` (field `note`), `invalid_request`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn set_request_status(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    request: Result<Json<StatusJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(Action::HandleInformationRequest)
        .map_err(|e| state.problem(e))?;
    let id = path_text(path);
    let r = body(request)?;
    let moved = state
        .maison
        .set_information_request_status(&actor, &id, &r.status, &r.note)
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(InformationRequestJson::new(&state, &moved)).into_response())
}

/// An amount as the API writes it: `{"amount": "48500.00", "currency": "USD"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    amount: String,
    currency: String,
}

impl PriceInput {
    fn parse(&self) -> Result<Money, Problem> {
        let currency = Currency::parse(self.currency.trim()).map_err(|_| {
            Problem::invalid("invalid_price", "price.currency", "The currency is USD.")
        })?;
        Money::parse(self.amount.trim(), currency).map_err(|_| {
            Problem::invalid(
                "invalid_price",
                "price.amount",
                "Write the price with a dot and at most two decimals, such as \"48500.00\".",
            )
        })
    }
}

/// The quoted piece's stone, as its grading describes it.
#[derive(Deserialize, ToSchema)]
#[schema(as = StoneInput)]
#[serde(deny_unknown_fields)]
pub struct StoneInputJson {
    /// Carats: a positive decimal with at most two decimals.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,2})?$", examples("1.52"))]
    carat: String,
    /// `D` to `Z`.
    #[schema(pattern = "^[D-Z]$", examples("E"))]
    colour: String,
    #[schema(schema_with = clarity)]
    clarity: String,
    #[schema(schema_with = cut)]
    cut: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = QuoteRequest)]
#[serde(deny_unknown_fields)]
pub struct QuoteJson {
    /// The piece: a size's SKU, or the creation's when it has no sizes.
    #[schema(examples("VAL-RNG-001-52"))]
    sku: String,
    #[schema(value_type = MoneyJson)]
    price: PriceInput,
    stone: StoneInputJson,
    /// 1 to 90.
    #[schema(minimum = 1, maximum = 90, examples(14))]
    valid_days: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = IssuedQuote)]
pub struct IssuedQuoteJson<'a> {
    id: &'a str,
    #[schema(schema_with = quote_status)]
    status: &'static str,
    /// The client's private link (sent to them by e-mail; shown only here).
    link: &'a str,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Issue a quote on an information request
///
/// Prestige Advisors and administrators. One specific piece (a size's SKU)
/// at its own price, with its stone, valid for `valid_days`. The client
/// receives the private link by e-mail; the request becomes `quoted`.
/// Audited. A retry with the same Idempotency-Key answers the same quote
/// (its link included) and sends no second letter.
#[utoipa::path(
    post,
    path = "/api/v1/information-requests/{id}/quotes",
    operation_id = "issueQuote",
    tag = "Information requests",
    params(
        ("id" = String, Path, description = "The request's id"),
        ("Idempotency-Key" = String, Header, max_length = 255,
            description = "One per quote (a UUID), scoped to the staff member. Missing: 400 `idempotency_key_required`; the same key with another body: 422 `idempotency_key_reused`."),
    ),
    request_body = QuoteJson,
    responses(
        (status = 201, description = "The quote", body = IssuedQuoteJson),
        (status = 400, description = "`idempotency_key_required` (field `Idempotency-Key`), `malformed_json`"),
        (status = 401, description = "`unauthenticated`: no staff token"),
        (status = 403, description = "`forbidden`: not a Prestige Advisor or an administrator"),
        (status = 404, description = "`request_not_found`, `product_not_found` (field `sku`)"),
        (status = 409, description = "`invalid_transition`: the request is closed; `idempotency_key_in_use` (the same quote is being issued)"),
        (status = 422, description = "`invalid_carat` (field `stone.carat`), `invalid_colour` (field `stone.colour`), `invalid_clarity` (field `stone.clarity`), `invalid_cut` (field `stone.cut`), `invalid_price` (field `price`), `invalid_validity` (field `valid_days`), `size_required` (field `sku`), `idempotency_key_reused`, `idempotency_key_required` (a key that is blank or longer than 255 characters), `invalid_request`"),
    ),
    security(("staffBearer" = []))
)]
pub async fn issue_quote(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    request: Result<Json<QuoteJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let actor = visitor.actor();
    actor
        .may(Action::IssueQuote)
        .map_err(|e| state.problem(e))?;
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return Err(Problem::malformed(
            "idempotency_key_required",
            "Send an Idempotency-Key header (a UUID per quote) so that a retry never issues, or e-mails, a second quote.",
        )
        .field("Idempotency-Key"));
    };
    let id = path_text(path);
    let r = body(request)?;
    let price = r.price.parse()?;
    let issued = state
        .maison
        .issue_quote(
            &actor,
            &id,
            QuoteInput {
                sku: r.sku,
                price,
                carat: r.stone.carat,
                colour: r.stone.colour,
                clarity: r.stone.clarity,
                cut: r.stone.cut,
                valid_days: r.valid_days,
            },
            key,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedQuoteJson {
            id: &issued.quote.id,
            status: QuoteStatus::Open.as_str(),
            link: &issued.link,
            expires_at: maison_app::clock::rfc3339(issued.quote.expires_at),
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
#[schema(as = Stone)]
pub struct StoneJson {
    #[schema(examples("1.52"))]
    carat: String,
    #[schema(examples("E"))]
    colour: String,
    #[schema(schema_with = clarity)]
    clarity: &'static str,
    #[schema(schema_with = cut)]
    cut: &'static str,
}

impl From<&Stone> for StoneJson {
    fn from(s: &Stone) -> Self {
        StoneJson {
            carat: s.carat(),
            colour: s.colour.to_string(),
            clarity: s.clarity.as_str(),
            cut: s.cut.as_str(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Quote)]
pub struct QuoteViewJson<'a> {
    /// The piece's SKU (its size's, for a ring).
    sku: &'a str,
    /// The creation's name.
    name: &'a str,
    #[schema(required = true, examples("52"))]
    size: Option<&'a str>,
    #[schema(value_type = MoneyJson)]
    price: Money,
    stone: StoneJson,
    #[schema(format = DateTime)]
    expires_at: String,
    /// `open` (may be paid), `used` (paid) or `expired`.
    #[schema(schema_with = quote_status)]
    status: &'static str,
}

impl<'a> QuoteViewJson<'a> {
    fn new(v: &'a QuoteView) -> Self {
        QuoteViewJson {
            sku: &v.quote.sku,
            name: &v.name,
            size: v.size.as_deref(),
            price: v.quote.price,
            stone: StoneJson::from(&v.quote.stone),
            expires_at: maison_app::clock::rfc3339(v.quote.expires_at),
            status: v.status.as_str(),
        }
    }
}

/// A quote, through its private link
///
/// The piece, its stone, its price, until when it may be paid and where it
/// stands. Anyone with the link reads it (it is unguessable); an unknown
/// link answers 404 `quote_not_found`.
#[utoipa::path(
    get,
    path = "/api/v1/quotes/{token}",
    operation_id = "getQuote",
    tag = "Information requests",
    params(("token" = String, Path, description = "The token of the quote's private link (`/quotes/{token}`)")),
    responses(
        (status = 200, description = "The quote", body = QuoteViewJson),
        (status = 404, description = "`quote_not_found`"),
    )
)]
pub async fn get_quote(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let view = state
        .maison
        .quote_by_link(&path_text(path))
        .await
        .map_err(|e| state.problem(e))?;
    Ok(Json(QuoteViewJson::new(&view)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[schema(as = QuotePayment)]
#[serde(deny_unknown_fields)]
pub struct QuotePaymentJson {
    card: CardJson,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = QuoteCheckoutRequest)]
#[serde(deny_unknown_fields)]
pub struct QuoteCheckoutJson {
    contact: ContactJson,
    delivery: DeliveryJson,
    payment: QuotePaymentJson,
    /// Accepted for symmetry with the checkout (a quoted piece is never
    /// personalised).
    #[serde(default)]
    accept_final_sale: bool,
}

/// Pay a quote by card, exactly once per Idempotency-Key
///
/// The checkout's body without `bag_id`, and its rules: the cardholder must
/// be the client, delivery and carriers by value (over the high-value
/// threshold: the secure courier), the piece reserved, the card authorised,
/// the acknowledgement and the confirmation sent. The order holds the quoted
/// piece at the quote's price. The same key with the same body returns the
/// same order.
#[utoipa::path(
    post,
    path = "/api/v1/quotes/{token}/checkout",
    operation_id = "payQuote",
    tag = "Information requests",
    params(
        ("token" = String, Path, description = "The token of the quote's private link"),
        ("Idempotency-Key" = String, Header, max_length = 255,
            description = "One per payment attempt (a UUID). Missing: 400 `idempotency_key_required`."),
    ),
    request_body = QuoteCheckoutJson,
    responses(
        (status = 201, description = "The confirmed order", body = OrderJson),
        (status = 400, description = "`idempotency_key_required` (field `Idempotency-Key`), `malformed_json`"),
        (status = 402, description = "`payment_declined`: the card was refused"),
        (status = 404, description = "`quote_not_found`"),
        (status = 409, description = "`quote_expired`, `quote_used` (paid already), `temporarily_unavailable` (the piece is no longer available), `idempotency_key_in_use`"),
        (status = 422, description = "`card_invalid` (with `field`), `card_expired`, `card_brand_not_accepted`, `cardholder_mismatch`, `invalid_address`, `company_required`, `invalid_contact`, `invalid_boutique`, `invalid_delivery`, `idempotency_key_reused`, `invalid_request` (a missing or mistyped field)"),
        (status = 503, description = "`payment_unavailable` (nothing charged: try again in a moment), `payment_in_doubt` (retry with the same key)"),
    )
)]
pub async fn pay_quote(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    request: Result<Json<QuoteCheckoutJson>, JsonRejection>,
) -> Result<Response, Problem> {
    let token = path_text(path);
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return Err(Problem::malformed(
            "idempotency_key_required",
            "Send an Idempotency-Key header (a UUID per payment attempt) so that a retry never charges twice.",
        )
        .field("Idempotency-Key"));
    };
    let r = body(request)?;
    let card = CardRequest::from(r.payment.card);
    let base = checkout_request(
        String::new(),
        visitor.account_id(),
        r.contact,
        r.delivery,
        r.accept_final_sale,
    );
    let order = state
        .maison
        .pay_quote(
            &token,
            &key,
            QuoteCheckout {
                account_id: base.account_id,
                contact: base.contact,
                delivery: base.delivery,
                accept_final_sale: base.accept_final_sale,
            },
            card,
        )
        .await
        .map_err(|e| state.problem(e))?;
    Ok((
        StatusCode::CREATED,
        Json(OrderJson::new(&state.maison, &order)),
    )
        .into_response())
}
