//! A new assisted order, as an Ambassador takes it on the telephone: the
//! client, creations by SKU, delivery, payment (card, wire or cash), how the
//! documents go (e-mail or fax). "Check lines and total" shows what the order
//! will hold before anything is placed; the form carries an idempotency key
//! made when it was shown, so a double click places one order. Opened from
//! an open quote ("Take payment by telephone"), it sells that quote: the
//! client it was prepared for, its piece at its price, no lines to type.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use maison_app::actor::Action;
use maison_app::assisted::{
    AssistedLineInput, AssistedOrderRequest, AssistedPaymentInput, DocumentsInput,
};
use maison_app::bag::{PersonalisationRequest, find_variant};
use maison_app::checkout::{CardRequest, ContactInput, DeliveryInput};
use maison_app::console_queries::ConsoleQuote;
use maison_domain::Money;
use maison_domain::address::AddressInput;
use maison_domain::catalog::{Availability, SaleMode};
use maison_domain::quote::InformationRequest;
use serde::Deserialize;

use super::{Frame, Signed, refusal, render, status_of, with_status};
use crate::AppState;
use crate::storefront::StorefrontForm;

/// Line rows on the form (more creations: a larger quantity on a row).
const LINE_ROWS: usize = 6;

struct LineRow {
    index: usize,
    sku: String,
    quantity: String,
    pers_kind: String,
    pers_text: String,
}

struct Choice {
    value: String,
    label: String,
}

struct PreviewLine {
    name: String,
    sku: String,
    quantity: u32,
    unit: String,
    amount: String,
    note: String,
}

/// The new order form as sent: every field as text (see
/// `storefront::forms`), the line rows by their numbered names.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewOrderForm {
    idempotency_key: String,
    intent: String,
    via: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    /// A quote paid by telephone: its piece at its price, instead of lines.
    quote_id: String,
    limit_override_reason: String,
    accept_final_sale: String,
    delivery_method: String,
    company: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    boutique_id: String,
    payment: String,
    card_number: String,
    holder_name: String,
    exp_month: String,
    exp_year: String,
    cvc: String,
    cash_boutique_id: String,
    documents: String,
    fax_number: String,
    /// The line rows: `sku_1`, `quantity_1`, `pers_kind_1`, `pers_text_1`, …
    #[serde(flatten)]
    rows: HashMap<String, String>,
}

impl NewOrderForm {
    /// A field of line row `index`, trimmed.
    fn row(&self, name: &str, index: usize) -> String {
        self.rows
            .get(&format!("{name}_{index}"))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }
}

/// The quote an order pays, as the form shows it.
struct QuotePanel {
    id: String,
    piece: String,
    sku: String,
    price: String,
    stone: String,
    status_label: &'static str,
    until: String,
    client: String,
}

#[derive(Template)]
#[template(path = "console/new_order.html")]
struct NewOrderPage {
    frame: Frame,
    key: String,
    f: NewOrderForm,
    quote: Option<QuotePanel>,
    lines: Vec<LineRow>,
    skus: Vec<Choice>,
    pickup_boutiques: Vec<Choice>,
    boutiques: Vec<Choice>,
    preview: Vec<PreviewLine>,
    preview_total: String,
    preview_notes: Vec<String>,
    error: String,
    error_field: String,
    max_items: u32,
}

impl NewOrderPage {
    /// Whether a choice field holds `option` (or, when empty, `default`).
    fn is(&self, value: &str, option: &str, default: &str) -> bool {
        match value.trim() {
            "" => option == default,
            v => v == option,
        }
    }
}

fn optional(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn page(
    state: &AppState,
    signed: &Signed,
    mut f: NewOrderForm,
    quote: Option<QuotePanel>,
) -> NewOrderPage {
    // Card details are never written back into a page.
    f.card_number.clear();
    f.cvc.clear();
    let catalogue = state.maison.catalogue();
    let skus = catalogue
        .creations
        .iter()
        .filter(|c| c.sale_mode != SaleMode::PriceOnRequest)
        .flat_map(|c| {
            c.variants.iter().map(move |v| Choice {
                value: v.sku.to_string(),
                label: match &v.size {
                    Some(size) => format!("{}, size {size}", c.name),
                    None => c.name.clone(),
                },
            })
        })
        .collect();
    let boutique = |b: &maison_domain::boutique::Boutique| Choice {
        value: b.id.clone(),
        label: format!("{} ({})", b.name, b.address.locality()),
    };
    let lines = (1..=LINE_ROWS)
        .map(|i| LineRow {
            index: i,
            sku: f.row("sku", i),
            quantity: Some(f.row("quantity", i))
                .filter(|q| !q.is_empty())
                .unwrap_or_else(|| "1".into()),
            pers_kind: f.row("pers_kind", i),
            pers_text: f.row("pers_text", i),
        })
        .collect();
    NewOrderPage {
        frame: Frame::new(state, signed, "/console/new-order"),
        key: maison_app::clock::new_id(),
        quote,
        lines,
        skus,
        pickup_boutiques: catalogue
            .boutiques
            .iter()
            .filter(|b| b.accepts_pickup)
            .map(boutique)
            .collect(),
        boutiques: catalogue.boutiques.iter().map(boutique).collect(),
        preview: Vec::new(),
        preview_total: String::new(),
        preview_notes: Vec::new(),
        error: String::new(),
        error_field: String::new(),
        max_items: state.maison.policies.max_items_per_order,
        f,
    }
}

/// A quote as the form shows it, with the client it was prepared for.
fn panel(state: &AppState, q: &ConsoleQuote, request: &InformationRequest) -> QuotePanel {
    let catalogue = state.maison.catalogue();
    QuotePanel {
        id: q.quote.id.clone(),
        piece: super::requests::piece_name(&catalogue, &q.quote.sku),
        sku: q.quote.sku.clone(),
        price: q.quote.price.display(),
        stone: q.quote.stone.describe(),
        status_label: super::requests::quote_label(q.status),
        until: state.maison.local_time(q.quote.expires_at),
        client: format!(
            "{} {} ({})",
            request.first_name, request.last_name, request.email
        ),
    }
}

/// The quote `id` a posted form pays, as the form shows it; `None` when
/// there is none (placing the order then says why).
async fn quote_panel(
    state: &AppState,
    signed: &Signed,
    id: &str,
) -> Result<Option<QuotePanel>, maison_app::ShopError> {
    if id.trim().is_empty() {
        return Ok(None);
    }
    match state.maison.quote_to_pay(&signed.actor(), id).await {
        Ok((q, request)) => Ok(Some(panel(state, &q, &request))),
        Err(maison_app::ShopError::QuoteNotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewOrderQuery {
    /// The quote to take payment for.
    quote: String,
}

pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<NewOrderQuery>, QueryRejection>,
) -> Response {
    if !signed.may(Action::PlaceAssistedOrder) {
        let problem = state.problem(maison_app::ShopError::Forbidden);
        return refusal(&state, &signed, problem, "/console");
    }
    let wanted = query.map(|Query(q)| q.quote).unwrap_or_default();
    let mut f = NewOrderForm::default();
    let mut quote = None;
    if !wanted.trim().is_empty() {
        // The client the quote was prepared for, ready to confirm on the
        // telephone.
        match state.maison.quote_to_pay(&signed.actor(), &wanted).await {
            Ok((q, request)) => {
                quote = Some(panel(&state, &q, &request));
                f.quote_id = q.quote.id;
                f.first_name = request.first_name;
                f.last_name = request.last_name;
                f.email = request.email;
                f.phone = request.phone;
            }
            Err(err) => return refusal(&state, &signed, state.problem(err), "/console/quotes"),
        }
    }
    render(&page(&state, &signed, f, quote))
}

/// The lines as typed: (sku, quantity, personalisation), rows left empty
/// skipped.
fn typed_lines(f: &NewOrderForm) -> Vec<AssistedLineInput> {
    (1..=LINE_ROWS)
        .filter_map(|i| {
            let sku = f.row("sku", i);
            if sku.is_empty() {
                return None;
            }
            // The SKU from the list reads "SKU — name": keep the SKU.
            let sku = sku.split_whitespace().next().unwrap_or("").to_owned();
            let quantity = f.row("quantity", i).parse().unwrap_or(0);
            let kind = f.row("pers_kind", i);
            let personalisation = (!kind.is_empty()).then(|| PersonalisationRequest {
                kind,
                text: f.row("pers_text", i),
            });
            Some(AssistedLineInput {
                sku,
                quantity,
                personalisation,
            })
        })
        .collect()
}

/// What the order will hold, from the catalogue as it is now.
fn preview(state: &AppState, page: &mut NewOrderPage, lines: &[AssistedLineInput]) {
    let catalogue = state.maison.catalogue();
    let mut total = Some(Money::usd_cents(0));
    let mut count: i64 = 0;
    for line in lines {
        let quantity = u32::try_from(line.quantity).unwrap_or(0);
        count = count.saturating_add(line.quantity);
        match find_variant(&catalogue, &line.sku) {
            None => page.preview.push(PreviewLine {
                name: "Unknown SKU".into(),
                sku: line.sku.clone(),
                quantity,
                unit: String::new(),
                amount: String::new(),
                note: "No creation has this SKU.".into(),
            }),
            Some((creation, variant)) => {
                let amount = creation.price.and_then(|p| p.checked_mul(quantity));
                total = match (total, amount) {
                    (Some(t), Some(a)) => t.checked_add(a),
                    _ => None,
                };
                let mut note = Vec::new();
                if creation.variant_availability(variant) != Availability::Available {
                    note.push("Temporarily unavailable");
                }
                match creation.sale_mode {
                    SaleMode::PhoneOnly => note.push("By telephone only"),
                    SaleMode::PriceOnRequest => note.push("Price on request: through a quote"),
                    SaleMode::Online => {}
                }
                if line.personalisation.is_some() {
                    note.push("Personalised: final sale");
                }
                page.preview.push(PreviewLine {
                    name: match &variant.size {
                        Some(size) => format!("{}, size {size}", creation.name),
                        None => creation.name.clone(),
                    },
                    sku: variant.sku.to_string(),
                    quantity,
                    unit: creation.price.map_or_else(String::new, Money::display),
                    amount: amount.map_or_else(String::new, Money::display),
                    note: note.join(" · "),
                });
            }
        }
    }
    page.preview_total = total.map_or_else(String::new, Money::display);
    let policies = &state.maison.policies;
    if count > i64::from(policies.max_items_per_order) {
        page.preview_notes.push(format!(
            "{count} creations: more than {}, so give the reason below.",
            policies.max_items_per_order
        ));
    }
    if total.is_some_and(|t| t.minor() > policies.high_value_threshold.minor()) {
        page.preview_notes.push(format!(
            "Over {}: the order travels with the secure courier, and Client Relations give the client the delivery date.",
            policies.high_value_threshold.display_whole()
        ));
    }
}

fn request(f: &NewOrderForm, lines: Vec<AssistedLineInput>) -> AssistedOrderRequest {
    let method = f.delivery_method.trim();
    let address = (method != "boutique").then(|| AddressInput {
        line1: f.line1.trim().to_owned(),
        line2: optional(&f.line2),
        city: f.city.trim().to_owned(),
        region: f.region.trim().to_owned(),
        postal_code: f.postal_code.trim().to_owned(),
        country: optional(&f.country).unwrap_or_else(|| "US".into()),
        company: optional(&f.company),
    });
    let payment = match f.payment.trim() {
        "wire" => AssistedPaymentInput::Wire,
        "cash" => AssistedPaymentInput::Cash {
            boutique_id: f.cash_boutique_id.trim().to_owned(),
        },
        _ => AssistedPaymentInput::Card(CardRequest {
            number: f.card_number.trim().to_owned(),
            exp_month: f.exp_month.trim().parse().unwrap_or(0),
            exp_year: f.exp_year.trim().parse().unwrap_or(0),
            cvc: f.cvc.trim().to_owned(),
            holder_name: f.holder_name.trim().to_owned(),
        }),
    };
    AssistedOrderRequest {
        via: optional(&f.via).unwrap_or_else(|| "telephone".into()),
        contact: ContactInput {
            first_name: f.first_name.trim().to_owned(),
            last_name: f.last_name.trim().to_owned(),
            email: f.email.trim().to_owned(),
            phone: f.phone.trim().to_owned(),
        },
        // A quote brings its own line.
        lines: if f.quote_id.trim().is_empty() {
            lines
        } else {
            Vec::new()
        },
        quote_id: optional(&f.quote_id),
        delivery: DeliveryInput {
            method: optional(method).unwrap_or_else(|| "home".into()),
            address,
            boutique_id: optional(&f.boutique_id),
        },
        payment,
        documents: DocumentsInput {
            channel: optional(&f.documents).unwrap_or_else(|| "email".into()),
            fax_number: optional(&f.fax_number),
        },
        limit_override_reason: optional(&f.limit_override_reason),
        accept_final_sale: matches!(f.accept_final_sale.trim(), "on" | "yes"),
    }
}

pub async fn place(
    State(state): State<AppState>,
    signed: Signed,
    StorefrontForm(f): StorefrontForm<NewOrderForm>,
) -> Response {
    let lines = typed_lines(&f);
    let quote = match quote_panel(&state, &signed, &f.quote_id).await {
        Ok(quote) => quote,
        Err(err) => return refusal(&state, &signed, state.problem(err), "/console"),
    };
    if f.intent.trim() == "preview" {
        let mut shown = page(&state, &signed, f, quote);
        preview(&state, &mut shown, &lines);
        return render(&shown);
    }
    let result = state
        .maison
        .place_assisted_order(&signed.actor(), &f.idempotency_key, request(&f, lines))
        .await;
    match result {
        Ok(order) => {
            Redirect::to(&format!("/console/orders/{}?done=placed", order.number)).into_response()
        }
        Err(err) => {
            let problem = state.problem(err);
            if problem.status == 403 {
                return refusal(&state, &signed, problem, "/console");
            }
            let status = status_of(&problem);
            let lines = typed_lines(&f);
            let mut shown = page(&state, &signed, f, quote);
            preview(&state, &mut shown, &lines);
            shown.error = problem.detail;
            shown.error_field = problem.field.unwrap_or_default();
            with_status(
                render(&shown),
                if status.is_success() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    status
                },
            )
        }
    }
}
