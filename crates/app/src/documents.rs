//! The documents an order sends (acknowledgement and confirmation), rendered
//! when the order is confirmed and written to the outbox in the same
//! transaction.

use maison_domain::delivery::{Carrier, Destination};
use maison_domain::order::DocumentsChannel;
use maison_domain::order::Order;
use maison_notify::{Channel, DocumentLine, OrderDocument, acknowledgement, confirmation};
use maison_store::outbox::OutboxMessage;

use crate::Maison;
use crate::clock::new_id;

/// "Visa ending in 4242".
pub fn payment_sentence(order: &Order) -> String {
    order.payment.describe()
}

/// The order as its documents describe it.
pub fn document(maison: &Maison, order: &Order) -> OrderDocument {
    let catalogue = maison.catalogue();
    let d = &order.delivery;
    let a = d.destination.address();
    // The delivery sentence, in one place for the letters and the pages.
    let delivery = match &d.destination {
        Destination::Boutique { boutique_id, .. } => catalogue.boutique(boutique_id).map_or_else(
            || "Pickup at a boutique".to_owned(),
            |b| format!("Pickup at {}", b.name),
        ),
        Destination::Workplace(_) => format!(
            "Delivery to your workplace ({})",
            a.company.as_deref().unwrap_or("")
        ),
        Destination::Home(_) => "Home delivery".to_owned(),
    };
    let mut address_lines: Vec<String> = Vec::new();
    if let (Destination::Workplace(_), Some(company)) = (&d.destination, &a.company) {
        address_lines.push(company.clone());
    }
    address_lines.push(a.line1.clone());
    address_lines.extend(a.line2.clone().filter(|l| !l.is_empty()));
    address_lines.push(format!("{}, {} {}", a.city, a.region, a.postal_code));
    let carrier = match d.carrier {
        Carrier::SecureCourier => maison.policies.high_value_carrier.clone(),
        Carrier::Boutique => "Boutique".to_owned(),
        Carrier::Fedex => maison.policies.standard_carrier.clone(),
    };
    let delivery_message = match d.estimate {
        Some(e) if crate::delivery::delivered_out_of_area(maison, order) => format!(
            "Expected in {}. {}",
            e.business_days(),
            maison_domain::delivery::OUT_OF_AREA_SENTENCE
        ),
        Some(e) => format!("Expected in {}.", e.business_days()),
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
pub fn order_messages(maison: &Maison, order: &Order) -> Vec<OutboxMessage> {
    vec![
        acknowledgement_message(maison, order),
        confirmation_message(maison, order),
    ]
}

/// "We have received your order", by the order's documents channel.
pub fn acknowledgement_message(maison: &Maison, order: &Order) -> OutboxMessage {
    let letter = acknowledgement(&document(maison, order), &maison.client_relations);
    addressed(order, "acknowledgement", letter)
}

/// "Your order is confirmed", by the order's documents channel.
pub fn confirmation_message(maison: &Maison, order: &Order) -> OutboxMessage {
    let letter = confirmation(&document(maison, order), &maison.client_relations);
    addressed(order, "confirmation", letter)
}

/// A document of the order to the client, by e-mail or, when the order asks
/// for it, by fax (the outbox's fax sender makes the PDF).
fn addressed(order: &Order, kind: &str, mut letter: maison_notify::Email) -> OutboxMessage {
    let channel = match order.documents() {
        DocumentsChannel::Email => Channel::Email,
        DocumentsChannel::Fax(number) => {
            letter.to = number.e164().to_owned();
            Channel::Fax
        }
    };
    let mut message = outbox_message(kind, Some(&order.id), letter);
    message.channel = channel.as_str().to_owned();
    message
}

impl Maison {
    /// A letter to the client about their order ("Your Maison order MV-… has
    /// been cancelled"), signed with the way to reach Client Relations.
    pub(crate) fn order_letter(
        &self,
        kind: &str,
        order: &Order,
        what_happened: &str,
        mut paragraphs: Vec<String>,
    ) -> OutboxMessage {
        paragraphs.push(format!(
            "Should you have any question, {} will be pleased to help.",
            self.client_relations.contact_sentence()
        ));
        let mut letter = self.letter(
            kind,
            &order.email,
            format!(
                "Your {} order {} {what_happened}",
                self.client_relations.maison_name, order.number
            ),
            format!("Dear {} {},", order.first_name, order.last_name),
            paragraphs,
            None,
        );
        letter.order_id = Some(order.id.clone());
        letter
    }
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
        channel: maison_notify::Channel::Email.as_str().to_owned(),
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
