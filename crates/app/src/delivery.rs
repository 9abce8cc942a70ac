//! What a client is told about the delivery of a stored order: the same
//! sentences as before payment (the delivery plan's), out-of-area included.
//! One place for the storefront, the API and the letters.

use maison_domain::address::{Address, Country};
use maison_domain::delivery::{OUT_OF_AREA_SENTENCE, is_out_of_delivery_area};

use crate::{Maison, OrderRow};

/// Whether a stored order travels to an out-of-delivery area of the policy.
pub fn delivered_out_of_area(maison: &Maison, order: &OrderRow) -> bool {
    let d = &order.delivery;
    if d.method == "boutique" {
        return false;
    }
    let (Some(region), Some(postal_code), Some(country)) = (
        d.region.as_deref(),
        d.postal_code.as_deref(),
        d.country.as_deref().and_then(Country::parse),
    ) else {
        return false;
    };
    let address = Address {
        line1: d.line1.clone().unwrap_or_default(),
        line2: d.line2.clone(),
        city: d.city.clone().unwrap_or_default(),
        region: region.to_owned(),
        postal_code: postal_code.to_owned(),
        country,
        company: d.company.clone(),
    };
    is_out_of_delivery_area(&address, &maison.policies)
}

/// What the client is told about the delivery of a stored order: the same
/// sentences as before payment, out-of-area included.
pub fn delivery_messages(maison: &Maison, order: &OrderRow) -> Vec<String> {
    let mut messages = carrier_messages(maison, order);
    if order.delivery.carrier != "secure_courier" && delivered_out_of_area(maison, order) {
        messages.push(OUT_OF_AREA_SENTENCE.to_owned());
    }
    messages
}

fn carrier_messages(maison: &Maison, order: &OrderRow) -> Vec<String> {
    match (order.delivery.carrier.as_str(), order.delivery.estimate) {
        ("secure_courier", _) | (_, None) => vec![format!(
            "Orders over {} are delivered by our secure courier. For accurate delivery information, please contact {}.",
            maison.policies.high_value_threshold.display_whole(),
            maison.client_relations.contact_sentence()
        )],
        ("boutique", Some((min, max))) => vec![format!(
            "Your order will be ready for pickup at the boutique in {min}–{max} business days; the boutique will let you know when it has arrived."
        )],
        (_, Some((min, max))) => vec![format!(
            "After confirmation of your order, {} will contact you to confirm the delivery date and keep you informed at each step. Expected in {min}–{max} business days.",
            maison.policies.standard_carrier
        )],
    }
}
