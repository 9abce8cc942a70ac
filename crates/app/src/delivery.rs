//! What a client is told about the delivery of a stored order: the same
//! sentences as before payment (the delivery plan's), out-of-area included.
//! One place for the storefront, the API and the letters.

use maison_domain::delivery::{
    Carrier, Destination, OUT_OF_AREA_SENTENCE, carrier_sentence, is_out_of_delivery_area,
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
    vec![carrier_sentence(
        order.delivery.carrier,
        order.delivery.estimate,
        &maison.policies,
        &maison.client_relations,
    )]
}
