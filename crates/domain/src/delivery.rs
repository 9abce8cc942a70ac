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

/// Whether `address` lies in an out-of-delivery area of the policy: its state
/// or province code, or a postal-code prefix.
pub fn is_out_of_delivery_area(address: &Address, policies: &Policies) -> bool {
    let postal: String = address.postal_code.to_ascii_uppercase().replace(' ', "");
    policies.out_of_delivery_areas.iter().any(|area| {
        *area == address.region || (area.len() >= 3 && postal.starts_with(area.as_str()))
    })
}

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
            messages: vec![format!(
                "Orders over {} are delivered by our secure courier. For accurate delivery information, please contact {}.",
                policies.high_value_threshold.display_whole(),
                cr.contact_sentence()
            )],
        };
    }
    let estimate = if out_of_area {
        policies.extended_estimate
    } else {
        policies.standard_estimate
    };
    let days = format!(
        "{}–{} business days",
        estimate.min_business_days, estimate.max_business_days
    );
    let mut messages = Vec::new();
    let carrier = match method {
        DeliveryMethod::Boutique => {
            messages.push(format!(
                "Your order will be ready for pickup at the boutique in {days}; the boutique will let you know when it has arrived."
            ));
            Carrier::Boutique
        }
        DeliveryMethod::Home | DeliveryMethod::Workplace => {
            messages.push(format!(
                "After confirmation of your order, {} will contact you to confirm the delivery date and keep you informed at each step. Expected in {days}.",
                policies.standard_carrier
            ));
            Carrier::Fedex
        }
    };
    if out_of_area {
        messages.push(
            "This address is in an out-of-delivery area: delivery may take longer than usual."
                .into(),
        );
    }
    DeliveryPlan {
        carrier,
        estimate: Some(estimate),
        out_of_delivery_area: out_of_area,
        messages,
    }
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
    fn a_boutique_pickup_is_carried_by_the_maison() {
        let toronto = address("ON", "M5R 2E8", Country::Canada);
        let p = plan(2_000, DeliveryMethod::Boutique, &toronto);
        assert_eq!(p.carrier, Carrier::Boutique);
        assert!(p.estimate.is_some());
    }
}
