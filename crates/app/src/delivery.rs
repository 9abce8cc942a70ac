//! What a client is told about the delivery of a stored order: the same
//! sentences as before payment (the delivery plan's), out-of-area included.
//! One place for the storefront, the API and the letters.

use maison_domain::delivery::{
    Carrier, Destination, OUT_OF_AREA_SENTENCE, is_out_of_delivery_area,
};

use crate::{Maison, Order};

/// Whether a stored order travels to an out-of-delivery area of the policy
/// (a boutique pickup never does: the maison carries it there).
pub fn delivered_out_of_area(maison: &Maison, order: &Order) -> bool {
    match &order.delivery.destination {
        Destination::Boutique { .. } => false,
        destination => is_out_of_delivery_area(destination.address(), &maison.policies),
    }
}

/// What the client is told about the delivery of a stored order: the same
/// sentences as before payment, out-of-area included.
pub fn delivery_messages(maison: &Maison, order: &Order) -> Vec<String> {
    let mut messages = carrier_messages(maison, order);
    if order.delivery.carrier != Carrier::SecureCourier && delivered_out_of_area(maison, order) {
        messages.push(OUT_OF_AREA_SENTENCE.to_owned());
    }
    messages
}

fn carrier_messages(maison: &Maison, order: &Order) -> Vec<String> {
    match (order.delivery.carrier, order.delivery.estimate) {
        (Carrier::SecureCourier, _) | (_, None) => vec![format!(
            "Orders over {} are delivered by our secure courier. For accurate delivery information, please contact {}.",
            maison.policies.high_value_threshold.display_whole(),
            maison.client_relations.contact_sentence()
        )],
        (Carrier::Boutique, Some(e)) => vec![format!(
            "Your order will be ready for pickup at the boutique in {}–{} business days; the boutique will let you know when it has arrived.",
            e.min_business_days, e.max_business_days
        )],
        (Carrier::Fedex, Some(e)) => vec![format!(
            "After confirmation of your order, {} will contact you to confirm the delivery date and keep you informed at each step. Expected in {}–{} business days.",
            maison.policies.standard_carrier, e.min_business_days, e.max_business_days
        )],
    }
}
