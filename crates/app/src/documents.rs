//! The documents an order sends (acknowledgement and confirmation), rendered
//! when the order is confirmed and written to the outbox in the same
//! transaction.

use maison_notify::{DocumentLine, OrderDocument, acknowledgement, confirmation};
use maison_store::orders::OrderRow;
use maison_store::outbox::OutboxMessage;

use crate::Maison;
use crate::clock::new_id;

/// "Visa ending in 4242".
pub fn payment_sentence(order: &OrderRow) -> String {
    match &order.card {
        Some(card) => {
            let brand = maison_domain::card::CardBrand::parse(&card.brand)
                .map_or("Card", |b| b.display_name());
            format!("{brand} ending in {}", card.last4)
        }
        None => order.payment_method.clone(),
    }
}

/// The order as its documents describe it.
pub fn document(maison: &Maison, order: &OrderRow) -> OrderDocument {
    let catalogue = maison.catalogue();
    let d = &order.delivery;
    let boutique = d
        .boutique_id
        .as_deref()
        .and_then(|id| catalogue.boutique(id));
    let delivery = match (d.method.as_str(), boutique) {
        ("boutique", Some(b)) => format!("Pickup at {}", b.name),
        ("workplace", _) => format!(
            "Delivery to your workplace ({})",
            d.company.as_deref().unwrap_or("")
        ),
        _ => "Home delivery".to_owned(),
    };
    let mut address_lines: Vec<String> = Vec::new();
    if d.method == "workplace"
        && let Some(company) = &d.company
    {
        address_lines.push(company.clone());
    }
    address_lines.extend(d.line1.clone());
    address_lines.extend(d.line2.clone());
    if let (Some(city), Some(region), Some(postal)) = (&d.city, &d.region, &d.postal_code) {
        address_lines.push(format!("{city}, {region} {postal}"));
    }
    let carrier = match d.carrier.as_str() {
        "secure_courier" => maison.policies.high_value_carrier.clone(),
        "boutique" => "Boutique".to_owned(),
        _ => maison.policies.standard_carrier.clone(),
    };
    let delivery_message = match d.estimate {
        Some((min, max)) if crate::delivery::delivered_out_of_area(maison, order) => format!(
            "Expected in {min}–{max} business days. {}",
            maison_domain::delivery::OUT_OF_AREA_SENTENCE
        ),
        Some((min, max)) => format!("Expected in {min}–{max} business days."),
        None => format!(
            "For accurate delivery information, please contact {}.",
            maison.client_relations.contact_sentence()
        ),
    };
    OrderDocument {
        number: order.number.clone(),
        client_name: format!("{} {}", order.first_name, order.last_name),
        email: order.email.clone(),
        lines: order
            .lines
            .iter()
            .map(|l| DocumentLine {
                name: l.name.clone(),
                sku: l.sku.clone(),
                size: l.size.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                line_total: l.unit_price.checked_mul(l.quantity).unwrap_or(l.unit_price),
                personalisation: l.personalisation.as_ref().map(|p| p.describe()),
                final_sale: l.final_sale,
            })
            .collect(),
        subtotal: order.subtotal,
        total: order.total,
        delivery,
        address_lines,
        carrier,
        delivery_message,
        payment: payment_sentence(order),
        status_url: Some(maison.order_link(order, maison.now() / 1_000_000)),
        payment_secured: matches!(
            order.status,
            maison_domain::order::OrderStatus::Confirmed
                | maison_domain::order::OrderStatus::Processing
        ),
    }
}

/// The acknowledgement and the confirmation of a confirmed order.
pub fn order_messages(maison: &Maison, order: &OrderRow) -> Vec<OutboxMessage> {
    let doc = document(maison, order);
    [
        (
            "acknowledgement",
            acknowledgement(&doc, &maison.client_relations),
        ),
        ("confirmation", confirmation(&doc, &maison.client_relations)),
    ]
    .into_iter()
    .map(|(kind, email)| outbox_message(kind, Some(&order.id), email))
    .collect()
}

/// A rendered letter as a pending outbox message.
pub fn outbox_message(
    kind: &str,
    order_id: Option<&str>,
    email: maison_notify::Email,
) -> OutboxMessage {
    OutboxMessage {
        id: new_id(),
        kind: kind.to_owned(),
        order_id: order_id.map(str::to_owned),
        recipient: email.to,
        subject: email.subject,
        text_body: email.text,
        html_body: email.html,
        status: "pending".into(),
        attempts: 0,
        last_error: None,
    }
}
