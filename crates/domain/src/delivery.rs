//! Delivery (rules R6, R7, R10): home, workplace or boutique pickup; delivery
//! zones; the carrier chosen by the order's value; what the client is told.

use serde::Serialize;

use crate::Money;
use crate::address::Address;
use crate::policy::{ClientRelations, Estimate, Policies};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    Home,
    /// The company name is required on the address.
    Workplace,
    /// Pickup at a boutique of the directory that accepts pickups.
    Boutique,
}

impl DeliveryMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "home" => Some(DeliveryMethod::Home),
            "workplace" => Some(DeliveryMethod::Workplace),
            "boutique" => Some(DeliveryMethod::Boutique),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Home => "home",
            DeliveryMethod::Workplace => "workplace",
            DeliveryMethod::Boutique => "boutique",
        }
    }
}

/// Who carries the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// The standard carrier (FedEx): calls the client to confirm the date.
    Fedex,
    /// Rule R7: orders strictly over the threshold.
    SecureCourier,
    /// The maison's own transfer to a boutique for pickup.
    Boutique,
}

impl Carrier {
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Fedex => "fedex",
            Carrier::SecureCourier => "secure_courier",
            Carrier::Boutique => "boutique",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fedex" => Some(Carrier::Fedex),
            "secure_courier" => Some(Carrier::SecureCourier),
            "boutique" => Some(Carrier::Boutique),
            _ => None,
        }
    }
}

/// Whether `address` lies in an out-of-delivery area of the policy: by the
/// state or province its postal code belongs to, or by a postal-code prefix.
pub fn is_out_of_delivery_area(address: &Address, policies: &Policies) -> bool {
    let postal: String = address.postal_code.to_ascii_uppercase().replace(' ', "");
    let zone = zone_regions(address);
    policies.out_of_delivery_areas.iter().any(|area| {
        zone.contains(&area.as_str()) || (area.len() >= 3 && postal.starts_with(area.as_str()))
    })
}

/// The region (state, province or territory) whose delivery zone `address` is
/// in. The postal code decides, not the region as typed: a checked address
/// (`validate_address`) has a postal code of its region, and that region is the
/// answer; an address that was never checked (from a directory, from older data)
/// and whose postal code belongs elsewhere is in the zone of the postal code's
/// region(s). Only a postal code of no region leaves the typed region.
fn zone_regions(address: &Address) -> Vec<&str> {
    let region = address.region.trim();
    let of_postal_code = address.country.regions_of_postal_code(&address.postal_code);
    if of_postal_code.is_empty() {
        return vec![region];
    }
    let typed: Vec<&str> = of_postal_code
        .iter()
        .copied()
        .filter(|r| r.eq_ignore_ascii_case(region))
        .collect();
    if typed.is_empty() {
        of_postal_code
    } else {
        typed
    }
}

/// Where a placed order goes (rule R10), as the order records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Home(Address),
    /// The address carries the company's name.
    Workplace(Address),
    /// Pickup at a boutique of the directory; its address, for the carrier.
    Boutique {
        boutique_id: String,
        address: Address,
    },
}

impl Destination {
    pub fn method(&self) -> DeliveryMethod {
        match self {
            Destination::Home(_) => DeliveryMethod::Home,
            Destination::Workplace(_) => DeliveryMethod::Workplace,
            Destination::Boutique { .. } => DeliveryMethod::Boutique,
        }
    }

    /// Where the carrier goes: the client's address, or the boutique's.
    pub fn address(&self) -> &Address {
        match self {
            Destination::Home(a) | Destination::Workplace(a) => a,
            Destination::Boutique { address, .. } => address,
        }
    }

    pub fn boutique_id(&self) -> Option<&str> {
        match self {
            Destination::Boutique { boutique_id, .. } => Some(boutique_id),
            _ => None,
        }
    }
}

/// How a placed order travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDelivery {
    pub destination: Destination,
    pub carrier: Carrier,
    /// `None` for the secure courier: Client Relations give the date.
    pub estimate: Option<Estimate>,
}

/// What a client is told when an address lies in an out-of-delivery area.
pub const OUT_OF_AREA_SENTENCE: &str =
    "This address is in an out-of-delivery area: delivery may take longer than usual.";

/// How an order will travel, and what the client is told before paying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPlan {
    pub carrier: Carrier,
    /// `None` for the secure courier: Client Relations gives the date.
    pub estimate: Option<Estimate>,
    pub out_of_delivery_area: bool,
    pub messages: Vec<String>,
}

/// Plans the delivery of an order worth `total` to `destination` (the client's
/// address, or the boutique's for a pickup).
pub fn plan_delivery(
    total: Money,
    method: DeliveryMethod,
    destination: &Address,
    policies: &Policies,
    cr: &ClientRelations,
) -> DeliveryPlan {
    let out_of_area = is_out_of_delivery_area(destination, policies);
    if total > policies.high_value_threshold {
        return DeliveryPlan {
            carrier: Carrier::SecureCourier,
            estimate: None,
            out_of_delivery_area: out_of_area,
            messages: vec![carrier_sentence(Carrier::SecureCourier, None, policies, cr)],
        };
    }
    let estimate = if out_of_area {
        policies.extended_estimate
    } else {
        policies.standard_estimate
    };
    let carrier = match method {
        DeliveryMethod::Boutique => Carrier::Boutique,
        DeliveryMethod::Home | DeliveryMethod::Workplace => Carrier::Fedex,
    };
    let mut messages = vec![carrier_sentence(carrier, Some(estimate), policies, cr)];
    if out_of_area {
        messages.push(OUT_OF_AREA_SENTENCE.into());
    }
    DeliveryPlan {
        carrier,
        estimate: Some(estimate),
        out_of_delivery_area: out_of_area,
        messages,
    }
}

/// What the client is told about who carries the order and when: the one
/// wording of the checkout, the order pages and the API, before payment and
/// after. Without an estimate (the secure courier), Client Relations give
/// the date.
pub fn carrier_sentence(
    carrier: Carrier,
    estimate: Option<Estimate>,
    policies: &Policies,
    cr: &ClientRelations,
) -> String {
    match (carrier, estimate) {
        (Carrier::SecureCourier, _) | (_, None) => secure_courier_sentence(policies, cr),
        (Carrier::Boutique, Some(e)) => format!(
            "Your order will be ready for pickup at the boutique in {}; the boutique will let you know when it has arrived.",
            e.business_days()
        ),
        (Carrier::Fedex, Some(e)) => format!(
            "After confirmation of your order, {} will contact you to confirm the delivery date and keep you informed at each step. Expected in {}.",
            policies.standard_carrier,
            e.business_days()
        ),
    }
}

/// Why an order over the high-value threshold has no estimate, and whom to ask.
pub fn secure_courier_sentence(policies: &Policies, cr: &ClientRelations) -> String {
    format!(
        "Orders over {} are delivered by our secure courier. For accurate delivery information, please contact {}.",
        policies.high_value_threshold.display_whole(),
        cr.contact_sentence()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Country;

    fn address(region: &str, postal: &str, country: Country) -> Address {
        Address {
            line1: "1 Main Street".into(),
            line2: None,
            city: "City".into(),
            region: region.into(),
            postal_code: postal.into(),
            country,
            company: None,
        }
    }

    fn plan(total_dollars: i64, method: DeliveryMethod, to: &Address) -> DeliveryPlan {
        plan_delivery(
            Money::usd_dollars(total_dollars),
            method,
            to,
            &Policies::default(),
            &ClientRelations::default(),
        )
    }

    #[test]
    fn an_order_at_the_threshold_ships_with_fedex_and_an_estimate() {
        let ny = address("NY", "10022", Country::UnitedStates);
        let p = plan(30_000, DeliveryMethod::Home, &ny);
        assert_eq!(p.carrier, Carrier::Fedex);
        assert_eq!(p.estimate, Some(Policies::default().standard_estimate));
        assert!(p.messages[0].contains("FedEx will contact you"));
    }

    #[test]
    fn an_order_strictly_over_the_threshold_ships_with_the_secure_courier_and_no_estimate() {
        let ny = address("NY", "10022", Country::UnitedStates);
        let over = plan_delivery(
            Money::usd_cents(3_000_001),
            DeliveryMethod::Home,
            &ny,
            &Policies::default(),
            &ClientRelations::default(),
        );
        assert_eq!(over.carrier, Carrier::SecureCourier);
        assert_eq!(over.estimate, None);
        let cr = ClientRelations::default();
        assert!(over.messages[0].contains(&cr.phone) && over.messages[0].contains(&cr.email));
        let pickup = plan(45_000, DeliveryMethod::Boutique, &ny);
        assert_eq!(pickup.carrier, Carrier::SecureCourier);
    }

    #[test]
    fn out_of_delivery_areas_get_the_extended_estimate() {
        let p = Policies::default();
        let anchorage = address("AK", "99501", Country::UnitedStates);
        let plan_ak = plan(1_000, DeliveryMethod::Home, &anchorage);
        assert_eq!(plan_ak.estimate, Some(p.extended_estimate));
        assert!(plan_ak.out_of_delivery_area);
        let whitehorse = address("YT", "Y1A 1A1", Country::Canada);
        assert!(plan(1_000, DeliveryMethod::Workplace, &whitehorse).out_of_delivery_area);
        let remote = Policies {
            out_of_delivery_areas: vec!["X0A".into()],
            ..Policies::default()
        };
        let iqaluit = address("NU", "X0A 0H0", Country::Canada);
        assert!(is_out_of_delivery_area(&iqaluit, &remote));
        let toronto = address("ON", "M5R 2E8", Country::Canada);
        assert!(!is_out_of_delivery_area(&toronto, &remote));
    }

    #[test]
    fn the_delivery_zone_follows_the_postal_code_not_the_typed_state() {
        let p = Policies::default();
        // Juneau, Alaska, typed as New York: Alaska's extended estimate.
        let juneau_as_ny = address("NY", "99801", Country::UnitedStates);
        let plan_juneau = plan(1_000, DeliveryMethod::Home, &juneau_as_ny);
        assert!(plan_juneau.out_of_delivery_area);
        assert_eq!(plan_juneau.estimate, Some(p.extended_estimate));
        // Manhattan typed as Alaska: New York's standard estimate.
        let manhattan_as_ak = address("AK", "10022", Country::UnitedStates);
        assert!(!is_out_of_delivery_area(&manhattan_as_ak, &p));
        // Whitehorse typed as British Columbia; Iqaluit as Ontario.
        let whitehorse_as_bc = address("BC", "Y1A 1A1", Country::Canada);
        assert!(is_out_of_delivery_area(&whitehorse_as_bc, &p));
        let iqaluit_as_on = address("ON", "X0A 0H0", Country::Canada);
        assert!(is_out_of_delivery_area(&iqaluit_as_on, &p));
        // Pago Pago shares Hawaii's prefix 967 but is American Samoa.
        let pago_pago = address("AS", "96799", Country::UnitedStates);
        assert!(is_out_of_delivery_area(&pago_pago, &p));
        let only_hawaii = Policies {
            out_of_delivery_areas: vec!["HI".into()],
            ..Policies::default()
        };
        assert!(!is_out_of_delivery_area(&pago_pago, &only_hawaii));
        assert!(is_out_of_delivery_area(
            &address("HI", "96815", Country::UnitedStates),
            &only_hawaii
        ));
    }

    #[test]
    fn a_checked_address_is_in_the_zone_of_its_own_region() {
        use crate::address::{AddressInput, validate_address};
        let p = Policies::default();
        let checked = |city: &str, region: &str, postal: &str, country: &str| {
            validate_address(&AddressInput {
                line1: "1 Main Street".into(),
                city: city.into(),
                region: region.into(),
                postal_code: postal.into(),
                country: country.into(),
                ..AddressInput::default()
            })
            .expect("a consistent address")
        };
        assert!(is_out_of_delivery_area(
            &checked("Juneau", "ak", "99801", "US"),
            &p
        ));
        assert!(!is_out_of_delivery_area(
            &checked("New York", "NY", "10022", "US"),
            &p
        ));
        assert!(is_out_of_delivery_area(
            &checked("Yellowknife", "NT", "X1A 2L9", "CA"),
            &p
        ));
        assert!(!is_out_of_delivery_area(
            &checked("Toronto", "ON", "M5R 2E8", "CA"),
            &p
        ));
    }

    #[test]
    fn a_boutique_pickup_is_carried_by_the_maison() {
        let toronto = address("ON", "M5R 2E8", Country::Canada);
        let p = plan(2_000, DeliveryMethod::Boutique, &toronto);
        assert_eq!(p.carrier, Carrier::Boutique);
        assert!(p.estimate.is_some());
    }
}
