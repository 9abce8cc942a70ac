//! Orders in the console: the search (number, client name, e-mail, status;
//! newest first), the orders awaiting a wire or cash payment, and one order
//! in full with the actions the signed-in role may take (cancel with a
//! reason, process, record a receipt, change its creations or delivery
//! before processing), each confirmed before it is done.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use maison_app::actor::Action;
use maison_app::assisted::AssistedLineInput;
use maison_app::bag::PersonalisationRequest;
use maison_app::checkout::DeliveryInput;
use maison_app::order_changes::OrderChange;
use maison_app::receipts::ReceiptRequest;
use maison_domain::Money;
use maison_domain::address::AddressInput;
use maison_domain::delivery::Destination;
use maison_domain::order::{Order, OrderListItem, OrderStatus};
use maison_domain::payment::Payment;

use super::{Frame, Signed, refusal, render, with_status};
use crate::AppState;
use crate::storefront::StorefrontForm;

/// Orders per page of the search.
const PAGE: u32 = 25;

pub(crate) fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A row of the search's results.
struct Row {
    number: String,
    href: String,
    client: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
    total: String,
    placed: String,
    channel: String,
}

impl Row {
    fn new(state: &AppState, o: &OrderListItem) -> Self {
        Row {
            href: format!("/console/orders/{}", o.number),
            number: o.number.clone(),
            client: format!("{} {}", o.first_name, o.last_name),
            email: o.email.clone(),
            status: o.status.as_str(),
            status_label: status_label(o.status),
            total: o.total.display(),
            placed: state.maison.local_time(o.created_at),
            channel: o.channel.clone(),
        }
    }
}

/// A status as staff read it, in one or two words.
pub(crate) fn status_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => "Payment pending",
        OrderStatus::PaymentFailed => "Payment failed",
        OrderStatus::Placed => "Placed",
        OrderStatus::Confirmed => "Confirmed",
        OrderStatus::Processing => "Processing",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::ReadyForPickup => "Ready for pickup",
        OrderStatus::Collected => "Collected",
        OrderStatus::Cancelled => "Cancelled",
    }
}

struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    frame: Frame,
    title: &'static str,
    intro: &'static str,
    action: &'static str,
    q: String,
    statuses: Vec<StatusChoice>,
    show_search: bool,
    rows: Vec<Row>,
    next_href: String,
    error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    status: String,
    cursor: String,
}

pub async fn search(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    list(&state, &signed, q, false).await
}

/// Orders waiting for a wire transfer or cash (status `placed`).
pub async fn awaiting_payment(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let mut q = query.map(|Query(q)| q).unwrap_or_default();
    q.status = "placed".into();
    list(&state, &signed, q, true).await
}

async fn list(state: &AppState, signed: &Signed, q: SearchQuery, receipts: bool) -> Response {
    let cursor = Some(q.cursor.as_str()).filter(|c| !c.is_empty());
    let found = state
        .maison
        .search_orders(&signed.actor(), &q.q, Some(q.status.as_str()), cursor, PAGE)
        .await;
    let (rows, next, error, status) = match found {
        Ok(page) => (
            page.items.iter().map(|o| Row::new(state, o)).collect(),
            page.next_cursor,
            String::new(),
            StatusCode::OK,
        ),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 401 {
                return refusal(state, signed, problem, "/console");
            }
            (
                Vec::new(),
                None,
                problem.detail,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let action = if receipts {
        "/console/receipts"
    } else {
        "/console"
    };
    let next_href = next.map_or_else(String::new, |cursor| {
        format!(
            "{action}?q={}&status={}&cursor={}",
            percent(&q.q),
            percent(&q.status),
            percent(&cursor)
        )
    });
    let statuses = OrderStatus::ALL
        .into_iter()
        .filter(|s| !matches!(s, OrderStatus::PendingPayment | OrderStatus::PaymentFailed))
        .map(|s| StatusChoice {
            value: s.as_str(),
            label: status_label(s),
            selected: q.status == s.as_str(),
        })
        .collect();
    let (title, intro) = if receipts {
        (
            "Receipts",
            "Orders waiting for a wire transfer or a cash payment, newest first. Open one to record what was received.",
        )
    } else {
        (
            "Orders",
            "Search by order number, client name or e-mail address; newest first.",
        )
    };
    with_status(
        render(&OrdersPage {
            frame: Frame::new(state, signed, action),
            title,
            intro,
            action,
            q: q.q,
            statuses,
            show_search: !receipts,
            rows,
            next_href,
            error,
        }),
        status,
    )
}

struct LineView {
    name: String,
    sku: String,
    size: String,
    quantity: u32,
    unit: String,
    amount: String,
    personalisation: String,
    final_sale: bool,
}

struct ReceiptRow {
    at: String,
    method: &'static str,
    amount: String,
    reference: String,
    by: String,
}

struct DocumentRow {
    kind: String,
    channel: String,
    to: String,
    status: &'static str,
    error: String,
}

struct EventRow {
    at: String,
    status: &'static str,
    note: String,
    actor: String,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    frame: Frame,
    number: String,
    status: &'static str,
    status_label: &'static str,
    status_sentence: &'static str,
    channel: &'static str,
    placed_at: String,
    placed_by: String,
    client: String,
    email: String,
    phone: String,
    lines: Vec<LineView>,
    subtotal: String,
    total: String,
    delivery: String,
    address_lines: Vec<String>,
    carrier: String,
    delivery_message: String,
    payment: String,
    /// Wire and cash: what is due, received and outstanding.
    by_receipts: bool,
    received: String,
    outstanding: String,
    receipts: Vec<ReceiptRow>,
    large_cash: bool,
    limit_override_reason: String,
    documents: Vec<DocumentRow>,
    timeline: Vec<EventRow>,
    requests: Vec<String>,
    can_cancel: bool,
    can_process: bool,
    can_receive: bool,
    receipt_method: &'static str,
    /// One per form shown: a second press of "Record" records once.
    receipt_key: String,
    done: &'static str,
    error: String,
    error_action: &'static str,
    amount: String,
    reference: String,
    reason: String,
    /// The change form: shown while the order may be changed, to a role
    /// that may change it.
    can_change: bool,
    change_rows: Vec<ChangeRow>,
    change: HashMap<String, String>,
    pickup_boutiques: Vec<BoutiqueChoice>,
}

impl OrderPage {
    /// A field of the change form, as typed or as the order holds it.
    fn c(&self, name: &str) -> &str {
        self.change.get(name).map_or("", String::as_str)
    }
}

/// A line row of the change form.
struct ChangeRow {
    index: usize,
    sku: String,
    quantity: String,
    pers_kind: String,
    pers_text: String,
}

struct BoutiqueChoice {
    value: String,
    label: String,
}

/// Empty rows the change form offers for more creations.
const EMPTY_CHANGE_ROWS: usize = 3;
/// The most line rows a change form may send.
const MAX_CHANGE_ROWS: usize = 60;

/// The change form as the order stands: its lines, then empty rows; its
/// delivery.
fn change_fields(order: &Order) -> HashMap<String, String> {
    let mut f = HashMap::new();
    for (i, l) in order.lines.iter().enumerate() {
        let i = i + 1;
        f.insert(format!("sku_{i}"), l.sku.clone());
        f.insert(format!("quantity_{i}"), l.quantity.to_string());
        if let Some(p) = &l.personalisation {
            f.insert(format!("pers_kind_{i}"), p.kind().to_owned());
            f.insert(format!("pers_text_{i}"), p.text().to_owned());
        }
    }
    f.insert(
        "rows".into(),
        (order.lines.len() + EMPTY_CHANGE_ROWS).to_string(),
    );
    let destination = &order.delivery.destination;
    let a = destination.address();
    f.insert(
        "delivery_method".into(),
        destination.method().as_str().to_owned(),
    );
    if let Destination::Boutique { boutique_id, .. } = destination {
        f.insert("boutique_id".into(), boutique_id.clone());
    } else {
        f.insert("line1".into(), a.line1.clone());
        f.insert("line2".into(), a.line2.clone().unwrap_or_default());
        f.insert("city".into(), a.city.clone());
        f.insert("region".into(), a.region.clone());
        f.insert("postal_code".into(), a.postal_code.clone());
        f.insert("country".into(), a.country.code().to_owned());
        f.insert("company".into(), a.company.clone().unwrap_or_default());
    }
    f
}

fn typed(f: &HashMap<String, String>, name: &str) -> String {
    f.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// How many line rows the form holds.
fn change_row_count(f: &HashMap<String, String>) -> usize {
    typed(f, "rows")
        .parse::<usize>()
        .unwrap_or(EMPTY_CHANGE_ROWS)
        .clamp(1, MAX_CHANGE_ROWS)
}

fn change_rows(f: &HashMap<String, String>) -> Vec<ChangeRow> {
    (1..=change_row_count(f))
        .map(|i| ChangeRow {
            index: i,
            sku: typed(f, &format!("sku_{i}")),
            quantity: typed(f, &format!("quantity_{i}")),
            pers_kind: typed(f, &format!("pers_kind_{i}")),
            pers_text: f
                .get(&format!("pers_text_{i}"))
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

/// The lines as typed: a row without a SKU, or with quantity 0, is removed.
/// `Err` names a row whose quantity is not a number.
fn typed_change_lines(f: &HashMap<String, String>) -> Result<Vec<AssistedLineInput>, String> {
    let mut lines = Vec::new();
    for row in change_rows(f) {
        let sku = row.sku.split_whitespace().next().unwrap_or("").to_owned();
        if sku.is_empty() {
            continue;
        }
        let quantity = if row.quantity.is_empty() {
            1
        } else {
            row.quantity.parse::<i64>().map_err(|_| {
                format!(
                    "Write the quantity of row {} ({sku}) as a whole number: 0 removes the creation.",
                    row.index
                )
            })?
        };
        if quantity == 0 {
            continue;
        }
        let personalisation = (!row.pers_kind.is_empty()).then(|| PersonalisationRequest {
            kind: row.pers_kind.clone(),
            text: row.pers_text.clone(),
        });
        lines.push(AssistedLineInput {
            sku,
            quantity,
            personalisation,
        });
    }
    Ok(lines)
}

/// Whether the typed lines are the order's own, in the same order.
fn same_lines(order: &Order, lines: &[AssistedLineInput]) -> bool {
    order.lines.len() == lines.len()
        && order.lines.iter().zip(lines).all(|(l, t)| {
            l.sku.eq_ignore_ascii_case(&t.sku)
                && i64::from(l.quantity) == t.quantity
                && match (&l.personalisation, &t.personalisation) {
                    (None, None) => true,
                    (Some(p), Some(q)) => p.kind() == q.kind && p.text() == q.text.trim(),
                    _ => false,
                }
        })
}

const DELIVERY_FIELDS: [&str; 9] = [
    "delivery_method",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "boutique_id",
];

/// The delivery as typed, when it differs from the order's (a form without
/// a delivery method keeps it).
fn typed_delivery(order: &Order, f: &HashMap<String, String>) -> Option<DeliveryInput> {
    if typed(f, "delivery_method").is_empty() {
        return None;
    }
    let current = change_fields(order);
    let method = typed(f, "delivery_method");
    let relevant: &[&str] = if method == "boutique" {
        &["delivery_method", "boutique_id"]
    } else {
        &DELIVERY_FIELDS[..8]
    };
    let unchanged = relevant
        .iter()
        .all(|name| typed(f, name).eq_ignore_ascii_case(&typed(&current, name)));
    if unchanged {
        return None;
    }
    let optional = |name: &str| Some(typed(f, name)).filter(|v| !v.is_empty());
    Some(DeliveryInput {
        address: (method != "boutique").then(|| AddressInput {
            line1: typed(f, "line1"),
            line2: optional("line2"),
            city: typed(f, "city"),
            region: typed(f, "region"),
            postal_code: typed(f, "postal_code"),
            country: optional("country").unwrap_or_else(|| "US".into()),
            company: optional("company"),
        }),
        boutique_id: optional("boutique_id"),
        method: if method.is_empty() {
            "home".into()
        } else {
            method
        },
    })
}

/// Who moved the order, as staff read it.
fn actor_label(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("staff", email)) => email.to_owned(),
        Some(("system", job)) => format!("System ({job})"),
        _ if actor == "client" => "Client".to_owned(),
        _ if actor == "guest" => "Client (guest)".to_owned(),
        _ => actor.to_owned(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    done: String,
}

/// What the form of a refused action keeps, to show it again.
#[derive(Default)]
struct Kept {
    error: String,
    action: &'static str,
    amount: String,
    reference: String,
    reason: String,
    /// The change form as typed.
    change: Option<HashMap<String, String>>,
}

fn path_text(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(p)| p).unwrap_or_default()
}

pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response {
    let done = match query.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "cancelled" => {
            "The order is cancelled: the client is told, the stock is back and any card hold is released."
        }
        "processing" => "The order is in processing: it can no longer be changed or cancelled.",
        "receipt" => "The receipt is recorded.",
        "placed" => "The order is placed: its acknowledgement is on its way.",
        "changed" => {
            "The order is changed: the client is told, and the new lines and total are shown below."
        }
        _ => "",
    };
    order_page(
        &state,
        &signed,
        &path_text(path),
        done,
        Kept::default(),
        StatusCode::OK,
    )
    .await
}

async fn order_page(
    state: &AppState,
    signed: &Signed,
    number: &str,
    done: &'static str,
    kept: Kept,
    status: StatusCode,
) -> Response {
    let actor = signed.actor();
    let staff_order = match state.maison.staff_order(&actor, number).await {
        Ok(o) => o,
        Err(err) => return refusal(state, signed, state.problem(err), "/console"),
    };
    let documents = match state.maison.order_documents(&actor, number).await {
        Ok(d) => d,
        Err(err) => return refusal(state, signed, state.problem(err), "/console"),
    };
    let order = &staff_order.order;
    let by_receipts = matches!(order.payment, Payment::Wire | Payment::Cash);
    let (balance, receipts) = if by_receipts {
        match state.maison.order_balance(order).await {
            Ok((b, r)) => (Some(b), r),
            Err(err) => return refusal(state, signed, state.problem(err), "/console"),
        }
    } else {
        (None, Vec::new())
    };
    let doc = maison_app::documents::document(&state.maison, order);
    let modifiable = order.status.is_modifiable();
    let can_change = modifiable && signed.may(Action::ChangeOrder);
    let change = if can_change {
        kept.change.unwrap_or_else(|| change_fields(order))
    } else {
        HashMap::new()
    };
    let page = OrderPage {
        frame: Frame::new(state, signed, "/console"),
        number: order.number.clone(),
        status: order.status.as_str(),
        status_label: status_label(order.status),
        status_sentence: order.status.describe(),
        channel: order.channel_name(),
        placed_at: state.maison.local_time(order.created_at),
        placed_by: order
            .assisted
            .as_ref()
            .map_or_else(String::new, |a| a.placed_by.clone()),
        client: format!("{} {}", order.first_name, order.last_name),
        email: order.email.clone(),
        phone: order.phone.clone(),
        lines: order
            .lines
            .iter()
            .map(|l| LineView {
                name: l.name.clone(),
                sku: l.sku.clone(),
                size: l.size.clone().unwrap_or_default(),
                quantity: l.quantity,
                unit: l.unit_price.display(),
                amount: l
                    .unit_price
                    .checked_mul(l.quantity)
                    .map_or_else(String::new, Money::display),
                personalisation: l
                    .personalisation
                    .as_ref()
                    .map_or_else(String::new, |p| p.describe()),
                final_sale: l.final_sale,
            })
            .collect(),
        subtotal: order.subtotal.display(),
        total: order.total.display(),
        delivery: doc.delivery,
        address_lines: doc.address_lines,
        carrier: doc.carrier,
        delivery_message: doc.delivery_message,
        payment: match &order.payment {
            Payment::Card(_) => format!(
                "{} · {}",
                order.payment.describe(),
                staff_order.payment_state()
            ),
            Payment::Wire => "Wire transfer".to_owned(),
            Payment::Cash => "Cash at the boutique".to_owned(),
        },
        by_receipts,
        received: balance.map_or_else(String::new, |b| b.received.display()),
        outstanding: balance.map_or_else(String::new, |b| b.outstanding().display()),
        receipts: receipts
            .iter()
            .map(|r| ReceiptRow {
                at: state.maison.local_time(r.received_at),
                method: r.method.as_str(),
                amount: r.amount.display(),
                reference: r.reference.clone(),
                by: r.recorded_by.clone(),
            })
            .collect(),
        large_cash: order.assisted.as_ref().is_some_and(|a| a.large_cash),
        limit_override_reason: order
            .assisted
            .as_ref()
            .and_then(|a| a.limit_override_reason.clone())
            .unwrap_or_default(),
        documents: documents
            .into_iter()
            .map(|l| DocumentRow {
                kind: l.kind,
                channel: l.channel,
                to: l.to,
                status: l.status,
                error: l.last_error.unwrap_or_default(),
            })
            .collect(),
        timeline: order
            .timeline
            .iter()
            .rev()
            .map(|e| EventRow {
                at: state.maison.local_time(e.at),
                status: status_label(e.status),
                note: e.note.clone(),
                actor: actor_label(&e.actor),
            })
            .collect(),
        requests: staff_order
            .open_requests
            .iter()
            .map(|r| format!("{}: {}", r.kind, r.message))
            .collect(),
        can_cancel: modifiable && signed.may(Action::CancelOrder),
        can_process: order.status == OrderStatus::Confirmed && signed.may(Action::ProcessOrder),
        can_receive: by_receipts
            && order.status == OrderStatus::Placed
            && signed.may(Action::RecordReceipt),
        receipt_method: order.payment.method(),
        receipt_key: maison_app::clock::new_id(),
        done,
        error: kept.error,
        error_action: kept.action,
        amount: kept.amount,
        reference: kept.reference,
        reason: kept.reason,
        can_change,
        change_rows: if can_change {
            change_rows(&change)
        } else {
            Vec::new()
        },
        change,
        pickup_boutiques: state
            .maison
            .catalogue()
            .boutiques
            .iter()
            .filter(|b| b.accepts_pickup)
            .map(|b| BoutiqueChoice {
                value: b.id.clone(),
                label: format!("{} ({})", b.name, b.address.locality()),
            })
            .collect(),
    };
    with_status(render(&page), status)
}

/// A ticked confirmation box.
fn ticked(value: &str) -> bool {
    matches!(value, "on" | "yes" | "true")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CancelForm {
    reason: String,
    confirm: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<CancelForm>,
) -> Response {
    let number = path_text(path);
    let kept = |error: String| Kept {
        error,
        action: "cancel",
        reason: form.reason.clone(),
        ..Kept::default()
    };
    if !ticked(&form.confirm) {
        let error = "Tick the box to confirm the cancellation: it cannot be undone.".to_owned();
        return order_page(
            &state,
            &signed,
            &number,
            "",
            kept(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .maison
        .cancel_order(&signed.actor(), &number, &form.reason)
        .await
    {
        Ok(order) => Redirect::to(&format!("/console/orders/{}?done=cancelled", order.number))
            .into_response(),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(
                    &state,
                    &signed,
                    problem,
                    &format!("/console/orders/{number}"),
                );
            }
            let status = super::status_of(&problem);
            order_page(&state, &signed, &number, "", kept(problem.detail), status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProcessForm {
    confirm: String,
}

pub async fn process(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<ProcessForm>,
) -> Response {
    let number = path_text(path);
    let kept = |error: String| Kept {
        error,
        action: "process",
        ..Kept::default()
    };
    if !ticked(&form.confirm) {
        let error = "Tick the box to confirm: once in processing, the order can no longer be changed or cancelled.".to_owned();
        return order_page(
            &state,
            &signed,
            &number,
            "",
            kept(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state.maison.process_order(&signed.actor(), &number).await {
        Ok(order) => Redirect::to(&format!("/console/orders/{}?done=processing", order.number))
            .into_response(),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(
                    &state,
                    &signed,
                    problem,
                    &format!("/console/orders/{number}"),
                );
            }
            let status = super::status_of(&problem);
            order_page(&state, &signed, &number, "", kept(problem.detail), status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReceiptForm {
    method: String,
    amount: String,
    reference: String,
    confirm: String,
    idempotency_key: String,
}

pub async fn receipt(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(form): StorefrontForm<ReceiptForm>,
) -> Response {
    let number = path_text(path);
    let kept = |error: String| Kept {
        error,
        action: "receipt",
        amount: form.amount.clone(),
        reference: form.reference.clone(),
        ..Kept::default()
    };
    if !ticked(&form.confirm) {
        let error =
            "Tick the box to confirm the amount and the reference: a receipt cannot be undone."
                .to_owned();
        return order_page(
            &state,
            &signed,
            &number,
            "",
            kept(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let typed: String = form
        .amount
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let Ok(amount) = Money::parse(&typed, maison_domain::Currency::Usd) else {
        let error =
            "Write the amount received with a dot and at most two decimals, such as 12500.00."
                .to_owned();
        return order_page(
            &state,
            &signed,
            &number,
            "",
            kept(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let request = ReceiptRequest {
        method: form.method.clone(),
        amount,
        reference: form.reference.clone(),
    };
    match state
        .maison
        .record_receipt(
            &signed.actor(),
            &number,
            request,
            Some(form.idempotency_key.as_str()).filter(|k| !k.is_empty()),
        )
        .await
    {
        Ok(recorded) => Redirect::to(&format!(
            "/console/orders/{}?done=receipt",
            recorded.order.number
        ))
        .into_response(),
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(
                    &state,
                    &signed,
                    problem,
                    &format!("/console/orders/{number}"),
                );
            }
            let status = super::status_of(&problem);
            order_page(&state, &signed, &number, "", kept(problem.detail), status).await
        }
    }
}

/// Changes the order's creations or delivery (before processing), with a
/// reason. A refusal shows the form again as typed, and says that nothing
/// changed (a card declined for a higher total included).
pub async fn change(
    State(state): State<AppState>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
    StorefrontForm(mut f): StorefrontForm<HashMap<String, String>>,
) -> Response {
    let number = path_text(path);
    // Another empty row, without JavaScript: the form comes back longer.
    if typed(&f, "intent") == "more_rows" {
        let rows = (change_row_count(&f) + EMPTY_CHANGE_ROWS).min(MAX_CHANGE_ROWS);
        f.insert("rows".into(), rows.to_string());
        let kept = Kept {
            change: Some(f),
            ..Kept::default()
        };
        return order_page(&state, &signed, &number, "", kept, StatusCode::OK).await;
    }
    let refused = |error: String, f: HashMap<String, String>| Kept {
        error,
        action: "change",
        change: Some(f),
        ..Kept::default()
    };
    let order = match state.maison.staff_order(&signed.actor(), &number).await {
        Ok(o) => o.order,
        Err(err) => {
            return refusal(
                &state,
                &signed,
                state.problem(err),
                &format!("/console/orders/{number}"),
            );
        }
    };
    let lines = match typed_change_lines(&f) {
        Ok(lines) => lines,
        Err(error) => {
            let kept = refused(format!("{error} Nothing was changed."), f);
            return order_page(
                &state,
                &signed,
                &number,
                "",
                kept,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let request = OrderChange {
        lines: (!same_lines(&order, &lines)).then_some(lines),
        delivery: typed_delivery(&order, &f),
        reason: typed(&f, "reason"),
    };
    if request.lines.is_none() && request.delivery.is_none() {
        let kept = refused(
            "The creations and the delivery are as they were: change a quantity, a SKU or the delivery first. Nothing was changed.".into(),
            f,
        );
        return order_page(
            &state,
            &signed,
            &number,
            "",
            kept,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .maison
        .change_order(&signed.actor(), &number, request)
        .await
    {
        Ok(order) => {
            Redirect::to(&format!("/console/orders/{}?done=changed", order.number)).into_response()
        }
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 || problem.status == 404 {
                return refusal(
                    &state,
                    &signed,
                    problem,
                    &format!("/console/orders/{number}"),
                );
            }
            let status = super::status_of(&problem);
            let detail = if problem.detail.contains("not changed")
                || problem.detail.contains("no longer be changed")
            {
                problem.detail
            } else {
                format!("{} Nothing was changed.", problem.detail)
            };
            order_page(&state, &signed, &number, "", refused(detail, f), status).await
        }
    }
}
