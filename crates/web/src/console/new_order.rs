//! A new assisted order, as an Ambassador takes it on the telephone: the
//! client, creations by SKU, delivery, payment (card, wire or cash), how the
//! documents go (e-mail or fax). "Check lines and total" shows what the order
//! will hold before anything is placed; the form carries an idempotency key
//! made when it was shown, so a double click places one order.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use maison_app::actor::Action;
use maison_app::assisted::{
    AssistedLineInput, AssistedOrderRequest, AssistedPaymentInput, DocumentsInput,
};
use maison_app::bag::{PersonalisationRequest, find_variant};
use maison_app::checkout::{CardRequest, ContactInput, DeliveryInput};
use maison_domain::Money;
use maison_domain::address::AddressInput;
use maison_domain::catalog::{Availability, SaleMode};

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

#[derive(Template)]
#[template(path = "console/new_order.html")]
struct NewOrderPage {
    frame: Frame,
    key: String,
    f: HashMap<String, String>,
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
    /// A field as typed (empty when not sent).
    fn v(&self, name: &str) -> &str {
        self.f.get(name).map_or("", String::as_str)
    }

    /// Whether a choice field holds `value` (or, when empty, `default`).
    fn is(&self, name: &str, value: &str, default: &str) -> bool {
        match self.v(name) {
            "" => value == default,
            v => v == value,
        }
    }
}

fn field(f: &HashMap<String, String>, name: &str) -> String {
    f.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
}

fn optional(f: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(field(f, name)).filter(|v| !v.is_empty())
}

fn page(state: &AppState, signed: &Signed, mut f: HashMap<String, String>) -> NewOrderPage {
    // Card details are never written back into a page.
    for secret in ["card_number", "cvc"] {
        f.remove(secret);
    }
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
            sku: field(&f, &format!("sku_{i}")),
            quantity: Some(field(&f, &format!("quantity_{i}")))
                .filter(|q| !q.is_empty())
                .unwrap_or_else(|| "1".into()),
            pers_kind: field(&f, &format!("pers_kind_{i}")),
            pers_text: field(&f, &format!("pers_text_{i}")),
        })
        .collect();
    NewOrderPage {
        frame: Frame::new(state, signed, "/console/new-order"),
        key: maison_app::clock::new_id(),
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

pub async fn form(State(state): State<AppState>, signed: Signed) -> Response {
    if !signed.may(Action::PlaceAssistedOrder) {
        let problem = state.problem(maison_app::ShopError::Forbidden);
        return refusal(&state, &signed, problem, "/console");
    }
    render(&page(&state, &signed, HashMap::new()))
}

/// The lines as typed: (sku, quantity, personalisation), rows left empty
/// skipped.
fn typed_lines(f: &HashMap<String, String>) -> Vec<AssistedLineInput> {
    (1..=LINE_ROWS)
        .filter_map(|i| {
            let sku = field(f, &format!("sku_{i}"));
            if sku.is_empty() {
                return None;
            }
            // The SKU from the list reads "SKU — name": keep the SKU.
            let sku = sku.split_whitespace().next().unwrap_or("").to_owned();
            let quantity = field(f, &format!("quantity_{i}")).parse().unwrap_or(0);
            let kind = field(f, &format!("pers_kind_{i}"));
            let personalisation = (!kind.is_empty()).then(|| PersonalisationRequest {
                kind,
                text: field(f, &format!("pers_text_{i}")),
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

fn request(f: &HashMap<String, String>, lines: Vec<AssistedLineInput>) -> AssistedOrderRequest {
    let method = field(f, "delivery_method");
    let address = (method != "boutique").then(|| AddressInput {
        line1: field(f, "line1"),
        line2: optional(f, "line2"),
        city: field(f, "city"),
        region: field(f, "region"),
        postal_code: field(f, "postal_code"),
        country: Some(field(f, "country"))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "US".into()),
        company: optional(f, "company"),
    });
    let payment = match field(f, "payment").as_str() {
        "wire" => AssistedPaymentInput::Wire,
        "cash" => AssistedPaymentInput::Cash {
            boutique_id: field(f, "cash_boutique_id"),
        },
        _ => AssistedPaymentInput::Card(CardRequest {
            number: field(f, "card_number"),
            exp_month: field(f, "exp_month").parse().unwrap_or(0),
            exp_year: field(f, "exp_year").parse().unwrap_or(0),
            cvc: field(f, "cvc"),
            holder_name: field(f, "holder_name"),
        }),
    };
    AssistedOrderRequest {
        via: Some(field(f, "via"))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "telephone".into()),
        contact: ContactInput {
            first_name: field(f, "first_name"),
            last_name: field(f, "last_name"),
            email: field(f, "email"),
            phone: field(f, "phone"),
        },
        lines,
        quote_id: None,
        delivery: DeliveryInput {
            method: if method.is_empty() {
                "home".into()
            } else {
                method
            },
            address,
            boutique_id: optional(f, "boutique_id"),
        },
        payment,
        documents: DocumentsInput {
            channel: Some(field(f, "documents"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "email".into()),
            fax_number: optional(f, "fax_number"),
        },
        limit_override_reason: optional(f, "limit_override_reason"),
        accept_final_sale: matches!(field(f, "accept_final_sale").as_str(), "on" | "yes"),
    }
}

pub async fn place(
    State(state): State<AppState>,
    signed: Signed,
    StorefrontForm(f): StorefrontForm<HashMap<String, String>>,
) -> Response {
    let lines = typed_lines(&f);
    if field(&f, "intent") == "preview" {
        let mut shown = page(&state, &signed, f);
        preview(&state, &mut shown, &lines);
        return render(&shown);
    }
    let key = field(&f, "idempotency_key");
    let result = state
        .maison
        .place_assisted_order(&signed.actor(), &key, request(&f, lines))
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
            let mut shown = page(&state, &signed, f);
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
