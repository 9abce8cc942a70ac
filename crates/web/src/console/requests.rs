//! Information requests and quotes in the console (rule R16): the queue
//! (by status, newest first), one request in full (the client, the piece,
//! the message, its history and quotes) with what the role may do (assign
//! it to an advisor, record a contact or close it with a note, issue a quote
//! and show the client's private link, once), and every quote by where it
//! stands (open, used, expired).

use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use maison_app::actor::Action;
use maison_app::console_queries::ConsoleQuote;
use maison_app::quotes::QuoteInput;
use maison_domain::audit::AuditEvent;
use maison_domain::catalog::Creation;
use maison_domain::quote::{Clarity, Cut, InformationRequest, QuoteStatus, RequestStatus};
use maison_domain::{Currency, Money};

use super::orders::percent;
use super::{Frame, Signed, refusal, render, status_of, with_status};
use crate::AppState;
use crate::storefront::StorefrontForm;

/// Requests per page of the queue.
const PAGE: u32 = 25;
/// Quotes shown on the quotes' page.
const QUOTES_SHOWN: u32 = 200;
/// How long a quote is valid unless the advisor says otherwise.
const DEFAULT_VALID_DAYS: &str = "14";

/// A request's status as staff read it.
pub(crate) fn request_label(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::New => "New",
        RequestStatus::Assigned => "Assigned",
        RequestStatus::Contacted => "Contacted",
        RequestStatus::Quoted => "Quoted",
        RequestStatus::Closed => "Closed",
    }
}

pub(crate) fn quote_label(status: QuoteStatus) -> &'static str {
    match status {
        QuoteStatus::Open => "Open",
        QuoteStatus::Used => "Used",
        QuoteStatus::Expired => "Expired",
    }
}

/// The creation a request's SKU names (the creation's own, or a size's).
fn creation_of<'c>(catalogue: &'c maison_app::Catalogue, sku: &str) -> Option<&'c Creation> {
    catalogue
        .creation(sku)
        .or_else(|| maison_app::bag::find_variant(catalogue, sku).map(|(c, _)| c))
}

/// A piece as staff read it: "Solitaire Étoile, size 52".
pub(crate) fn piece_name(catalogue: &maison_app::Catalogue, sku: &str) -> String {
    match maison_app::bag::find_variant(catalogue, sku) {
        Some((c, v)) => match &v.size {
            Some(size) => format!("{}, size {size}", c.name),
            None => c.name.clone(),
        },
        None => creation_of(catalogue, sku).map_or_else(|| sku.to_owned(), |c| c.name.clone()),
    }
}

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

struct RequestRow {
    href: String,
    client: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
    piece: String,
    sku: String,
    received: String,
    assigned_to: String,
}

#[derive(Template)]
#[template(path = "console/requests.html")]
struct RequestsPage {
    frame: Frame,
    statuses: Vec<Choice>,
    rows: Vec<RequestRow>,
    next_href: String,
    error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    cursor: String,
}

pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let found = state
        .maison
        .console_requests(&signed.actor(), Some(q.status.as_str()), cursor, PAGE)
        .await;
    let catalogue = state.maison.catalogue();
    let (rows, next, error, status) = match found {
        Ok(page) => (
            page.items
                .iter()
                .map(|r| RequestRow {
                    href: format!("/console/requests/{}", r.id),
                    client: format!("{} {}", r.first_name, r.last_name),
                    email: r.email.clone(),
                    status: r.status.as_str(),
                    status_label: request_label(r.status),
                    piece: creation_of(&catalogue, &r.sku)
                        .map_or_else(|| r.sku.clone(), |c| c.name.clone()),
                    sku: r.sku.clone(),
                    received: state.maison.local_time(r.created_at),
                    assigned_to: r.assigned_to.clone().unwrap_or_default(),
                })
                .collect(),
            page.next_cursor,
            String::new(),
            StatusCode::OK,
        ),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 401 {
                return refusal(&state, &signed, problem, "/console");
            }
            (
                Vec::new(),
                None,
                problem.detail,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let next_href = next.map_or_else(String::new, |c| {
        format!(
            "/console/requests?status={}&cursor={}",
            percent(&q.status),
            percent(&c)
        )
    });
    with_status(
        render(&RequestsPage {
            frame: Frame::new(&state, &signed, "/console/requests"),
            statuses: RequestStatus::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: request_label(s),
                    selected: q.status.trim() == s.as_str(),
                })
                .collect(),
            rows,
            next_href,
            error,
        }),
        status,
    )
}

struct HistoryRow {
    at: String,
    by: String,
    what: String,
    note: String,
}

struct QuoteRow {
    /// Where an open quote is paid by telephone (the new order form).
    pay_href: String,
    piece: String,
    sku: String,
    price: String,
    stone: String,
    status: &'static str,
    status_label: &'static str,
    until: String,
    by: String,
    client: String,
    email: String,
    request_href: String,
    order_number: String,
}

impl QuoteRow {
    fn new(state: &AppState, catalogue: &maison_app::Catalogue, q: &ConsoleQuote) -> Self {
        QuoteRow {
            // A quote's id is a UUID: nothing to encode.
            pay_href: format!("/console/new-order?quote={}", q.quote.id),
            piece: piece_name(catalogue, &q.quote.sku),
            sku: q.quote.sku.clone(),
            price: q.quote.price.display(),
            stone: q.quote.stone.describe(),
            status: q.status.as_str(),
            status_label: quote_label(q.status),
            until: state.maison.local_time(q.quote.expires_at),
            by: q.quote.created_by.clone(),
            client: q.client.clone(),
            email: q.email.clone(),
            request_href: format!("/console/requests/{}", q.quote.request_id),
            order_number: q.order_number.clone().unwrap_or_default(),
        }
    }
}

struct Pick {
    value: String,
    label: String,
}

/// What the quote form keeps when it is refused.
#[derive(Default)]
struct QuoteKept {
    sku: String,
    price: String,
    carat: String,
    colour: String,
    clarity: String,
    cut: String,
    valid_days: String,
}

/// What a refused action shows again.
#[derive(Default)]
struct Kept {
    error: String,
    /// `assign`, `status` or `quote`.
    action: &'static str,
    field: String,
    note: String,
    quote: QuoteKept,
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestPage {
    frame: Frame,
    id: String,
    client: String,
    email: String,
    phone: String,
    status: &'static str,
    status_label: &'static str,
    assigned_to: String,
    received: String,
    piece: String,
    sku: String,
    piece_href: String,
    message: String,
    history: Vec<HistoryRow>,
    quotes: Vec<QuoteRow>,
    /// Whether the role may take an open quote's payment by telephone.
    can_sell: bool,
    open: bool,
    can_handle: bool,
    can_quote: bool,
    can_contact: bool,
    advisors: Vec<Pick>,
    sizes: Vec<Pick>,
    clarities: Vec<Pick>,
    cuts: Vec<Pick>,
    done: &'static str,
    link: String,
    error: String,
    error_action: &'static str,
    error_field: String,
    note: String,
    quote: QuoteKept,
    /// One per quote form shown: a second press of "Issue" issues once.
    quote_key: String,
}

impl RequestPage {
    /// Whether the refused field is `name` (to mark it invalid).
    fn invalid(&self, name: &str) -> bool {
        self.error_field == name
    }
}

/// One line of a request's history, from its audit event.
fn history_row(state: &AppState, e: AuditEvent) -> HistoryRow {
    let details: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
    let text = |key: &str| details[key].as_str().unwrap_or_default().to_owned();
    let what = match e.action.as_str() {
        "information_request.assign" => format!("Assigned to {}", text("advisor")),
        "information_request.status" => format!("Marked {}", text("status")),
        "quote.issue" => format!(
            "Quote issued: {} at ${}, {}",
            text("sku"),
            text("price"),
            text("stone")
        ),
        other => other.to_owned(),
    };
    HistoryRow {
        at: state.maison.local_time(e.at),
        by: e.actor_email.unwrap_or(e.actor_kind),
        what,
        note: text("note"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    done: String,
}

pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response {
    let done = match query.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "assigned" => "The request is assigned.",
        "contacted" => "The contact is recorded.",
        "closed" => "The request is closed.",
        _ => "",
    };
    request_page(
        &state,
        &signed,
        &path_text(path),
        done,
        String::new(),
        Kept::default(),
        StatusCode::OK,
    )
    .await
}

async fn request_page(
    state: &AppState,
    signed: &Signed,
    id: &str,
    done: &'static str,
    link: String,
    kept: Kept,
    status: StatusCode,
) -> Response {
    let actor = signed.actor();
    let back = "/console/requests";
    let request: InformationRequest = match state.maison.information_request(&actor, id).await {
        Ok(r) => r,
        Err(err) => return refusal(state, signed, state.problem(err), back),
    };
    let history = match state.maison.request_history(&actor, id).await {
        Ok(h) => h,
        Err(err) => return refusal(state, signed, state.problem(err), back),
    };
    let quotes = match state.maison.request_quotes(&actor, id).await {
        Ok(q) => q,
        Err(err) => return refusal(state, signed, state.problem(err), back),
    };
    let can_handle = signed.may(Action::HandleInformationRequest);
    let advisors = if can_handle {
        match state.maison.request_advisors(&actor).await {
            Ok(a) => a,
            Err(err) => return refusal(state, signed, state.problem(err), back),
        }
    } else {
        Vec::new()
    };
    let catalogue = state.maison.catalogue();
    let creation = creation_of(&catalogue, &request.sku);
    let open = request.status != RequestStatus::Closed;
    let mut rows = vec![HistoryRow {
        at: state.maison.local_time(request.created_at),
        by: "Client".to_owned(),
        what: "Request received".to_owned(),
        note: String::new(),
    }];
    rows.extend(history.into_iter().map(|e| history_row(state, e)));
    rows.reverse();
    let mut quote = kept.quote;
    if quote.valid_days.is_empty() {
        quote.valid_days = DEFAULT_VALID_DAYS.to_owned();
    }
    if quote.sku.is_empty() {
        // The size the client asked about, or the only one there is.
        quote.sku = match creation {
            Some(c) if c.variants.len() == 1 => c.variants[0].sku.to_string(),
            Some(c) if c.variants.iter().any(|v| v.sku.as_str() == request.sku) => {
                request.sku.clone()
            }
            _ => String::new(),
        };
    }
    let page = RequestPage {
        frame: Frame::new(state, signed, "/console/requests"),
        id: request.id.clone(),
        client: format!("{} {}", request.first_name, request.last_name),
        email: request.email.clone(),
        phone: request.phone.clone(),
        status: request.status.as_str(),
        status_label: request_label(request.status),
        assigned_to: request.assigned_to.clone().unwrap_or_default(),
        received: state.maison.local_time(request.created_at),
        piece: creation.map_or_else(|| request.sku.clone(), |c| c.name.clone()),
        sku: request.sku.clone(),
        piece_href: creation.map_or_else(String::new, |c| format!("/creations/{}", c.slug)),
        message: request.message.clone(),
        history: rows,
        quotes: quotes
            .iter()
            .map(|q| QuoteRow::new(state, &catalogue, q))
            .collect(),
        can_sell: signed.may(Action::PlaceAssistedOrder),
        open,
        can_handle: can_handle && open,
        can_quote: open && signed.may(Action::IssueQuote),
        can_contact: matches!(
            request.status,
            RequestStatus::New | RequestStatus::Assigned | RequestStatus::Contacted
        ),
        advisors: advisors
            .into_iter()
            .map(|a| Pick {
                label: format!("{} ({})", a.name, a.email),
                value: a.email,
            })
            .collect(),
        sizes: creation.map_or_else(Vec::new, |c| {
            c.variants
                .iter()
                .map(|v| Pick {
                    value: v.sku.to_string(),
                    label: match &v.size {
                        Some(size) => format!("Size {size}"),
                        None => c.name.clone(),
                    },
                })
                .collect()
        }),
        clarities: Clarity::ALL
            .into_iter()
            .map(|c| Pick {
                value: c.as_str().to_owned(),
                label: c.as_str().to_owned(),
            })
            .collect(),
        cuts: Cut::ALL
            .into_iter()
            .map(|c| Pick {
                value: c.as_str().to_owned(),
                label: c.describe().to_owned(),
            })
            .collect(),
        done,
        link,
        error: kept.error,
        error_action: kept.action,
        error_field: kept.field,
        note: kept.note,
        quote,
        quote_key: maison_app::clock::new_id(),
    };
    with_status(render(&page), status)
}

/// A refused action: a missing request or a role without the right reads
/// as a message; anything else shows the request again, the form as typed.
async fn refused(
    state: &AppState,
    signed: &Signed,
    id: &str,
    err: maison_app::ShopError,
    mut kept: Kept,
) -> Response {
    let problem = state.problem(err);
    if matches!(problem.status, 401 | 403 | 404) {
        return refusal(state, signed, problem, &format!("/console/requests/{id}"));
    }
    let status = status_of(&problem);
    kept.field = problem
        .field
        .clone()
        .map(|f| f.trim_start_matches("stone.").to_owned())
        .unwrap_or_default();
    kept.error = problem.detail;
    request_page(
        state,
        signed,
        id,
        "",
        String::new(),
        kept,
        if status.is_success() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    advisor: String,
}

pub async fn assign(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<AssignForm>,
) -> Response {
    let id = path_text(path);
    match state
        .maison
        .assign_information_request(&signed.actor(), &id, &form.advisor)
        .await
    {
        Ok(r) => Redirect::to(&format!("/console/requests/{}?done=assigned", r.id)).into_response(),
        Err(err) => {
            let kept = Kept {
                action: "assign",
                ..Kept::default()
            };
            refused(&state, &signed, &id, err, kept).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    note: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<StatusForm>,
) -> Response {
    let id = path_text(path);
    match state
        .maison
        .set_information_request_status(&signed.actor(), &id, &form.status, &form.note)
        .await
    {
        Ok(r) => Redirect::to(&format!(
            "/console/requests/{}?done={}",
            r.id,
            r.status.as_str()
        ))
        .into_response(),
        Err(err) => {
            let kept = Kept {
                action: "status",
                note: form.note.clone(),
                ..Kept::default()
            };
            refused(&state, &signed, &id, err, kept).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuoteForm {
    idempotency_key: String,
    sku: String,
    price: String,
    carat: String,
    colour: String,
    clarity: String,
    cut: String,
    valid_days: String,
}

/// An amount as staff type it: "48500", "48,500.00", "$48,500".
fn typed_price(text: &str) -> Option<Money> {
    let typed: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    Money::parse(&typed, Currency::Usd).ok()
}

pub async fn issue_quote(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<QuoteForm>,
) -> Response {
    let id = path_text(path);
    let kept = || Kept {
        action: "quote",
        quote: QuoteKept {
            sku: form.sku.trim().to_owned(),
            price: form.price.trim().to_owned(),
            carat: form.carat.trim().to_owned(),
            colour: form.colour.trim().to_owned(),
            clarity: form.clarity.trim().to_owned(),
            cut: form.cut.trim().to_owned(),
            valid_days: form.valid_days.trim().to_owned(),
        },
        ..Kept::default()
    };
    let early = |error: &str, field: &str| {
        let mut k = kept();
        k.error = error.to_owned();
        k.field = field.to_owned();
        k
    };
    let Some(price) = typed_price(&form.price) else {
        let k = early(
            "Write the price in dollars with at most two decimals, such as 48500.00.",
            "price",
        );
        return request_page(
            &state,
            &signed,
            &id,
            "",
            String::new(),
            k,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Ok(valid_days) = form.valid_days.trim().parse::<i64>() else {
        let k = early(
            "Write for how many days the quote is valid, as a whole number such as 14.",
            "valid_days",
        );
        return request_page(
            &state,
            &signed,
            &id,
            "",
            String::new(),
            k,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = QuoteInput {
        sku: form.sku.trim().to_owned(),
        price,
        carat: form.carat.clone(),
        colour: form.colour.clone(),
        clarity: form.clarity.clone(),
        cut: form.cut.clone(),
        valid_days,
    };
    // A post without the form's key (not from its page) issues once, as sent.
    let key = match form.idempotency_key.trim() {
        "" => maison_app::clock::new_id(),
        key => key.to_owned(),
    };
    match state
        .maison
        .issue_quote(&signed.actor(), &id, input, &key)
        .await
    {
        Ok(issued) => {
            request_page(
                &state,
                &signed,
                &id,
                "The quote is issued: the client has been e-mailed its private link.",
                issued.link,
                Kept::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(err) => {
            let problem_is_sku = matches!(err, maison_app::ShopError::UnknownSku(_));
            let mut k = kept();
            if problem_is_sku {
                // An unknown piece is the form's mistake, not a missing page.
                k.error = format!(
                    "No piece has the SKU {}: choose one of the sizes listed.",
                    form.sku.trim()
                );
                k.field = "sku".into();
                return request_page(
                    &state,
                    &signed,
                    &id,
                    "",
                    String::new(),
                    k,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            refused(&state, &signed, &id, err, k).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/quotes.html")]
struct QuotesPage {
    frame: Frame,
    statuses: Vec<Choice>,
    rows: Vec<QuoteRow>,
    can_sell: bool,
    error: String,
    limit: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuotesQuery {
    status: String,
}

pub async fn quotes(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<QuotesQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let catalogue = state.maison.catalogue();
    let (rows, error, status) = match state
        .maison
        .console_quotes(&signed.actor(), Some(q.status.as_str()), QUOTES_SHOWN)
        .await
    {
        Ok(found) => (
            found
                .iter()
                .map(|c| QuoteRow::new(&state, &catalogue, c))
                .collect(),
            String::new(),
            StatusCode::OK,
        ),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 401 {
                return refusal(&state, &signed, problem, "/console");
            }
            (Vec::new(), problem.detail, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    with_status(
        render(&QuotesPage {
            frame: Frame::new(&state, &signed, "/console/quotes"),
            statuses: QuoteStatus::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: quote_label(s),
                    selected: q.status.trim() == s.as_str(),
                })
                .collect(),
            rows,
            can_sell: signed.may(Action::PlaceAssistedOrder),
            error,
            limit: QUOTES_SHOWN,
        }),
        status,
    )
}
