//! Fulfilment (rules R6, R7): how an order in processing leaves the maison.
//! A delivery order ships with a carrier, chosen by its value: strictly over
//! the high-value threshold only the secure courier takes it, against a
//! signature, with its full value declared. A boutique order is made ready
//! for pickup and handed over against an identity check.

use crate::Money;
use crate::delivery::{Carrier, DeliveryMethod};
use crate::policy::Policies;

/// Where a shipment stands, from the carrier's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipmentStatus {
    /// Recorded, the carrier being asked for a label.
    Requested,
    LabelCreated,
    AppointmentConfirmed,
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    Exception,
    Cancelled,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 9] = [
        ShipmentStatus::Requested,
        ShipmentStatus::LabelCreated,
        ShipmentStatus::AppointmentConfirmed,
        ShipmentStatus::PickedUp,
        ShipmentStatus::InTransit,
        ShipmentStatus::OutForDelivery,
        ShipmentStatus::Delivered,
        ShipmentStatus::Exception,
        ShipmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Requested => "requested",
            ShipmentStatus::LabelCreated => "label_created",
            ShipmentStatus::AppointmentConfirmed => "appointment_confirmed",
            ShipmentStatus::PickedUp => "picked_up",
            ShipmentStatus::InTransit => "in_transit",
            ShipmentStatus::OutForDelivery => "out_for_delivery",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Exception => "exception",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        ShipmentStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Delivered and cancelled shipments take no further event.
    pub fn is_final(self) -> bool {
        matches!(self, ShipmentStatus::Delivered | ShipmentStatus::Cancelled)
    }
}

/// A shipment as the maison records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: String,
    pub order_id: String,
    pub carrier: Carrier,
    /// `None` until the carrier answered.
    pub tracking_number: Option<String>,
    pub declared_value: Money,
    pub signature_required: bool,
    pub status: ShipmentStatus,
    /// The delivery date agreed with the client (`YYYY-MM-DD`).
    pub appointment_date: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

/// How a shipment goes: the carrier, the value declared, the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipmentPlan {
    pub carrier: Carrier,
    pub declared_value: Money,
    pub signature_required: bool,
}

/// Why a shipment cannot go as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShipmentRefused {
    /// Rule R7: over the threshold, only the secure courier.
    #[error("orders over {threshold} ship only with the secure courier")]
    CarrierNotAllowed { carrier: Carrier, threshold: Money },
    /// The secure courier, and every high-value order, hand over only
    /// against a signature.
    #[error("this shipment must be signed for")]
    SignatureRequired,
    /// A boutique order is made ready for pickup, not shipped.
    #[error("a boutique pickup order is made ready for pickup, not shipped")]
    PickupOrder,
    /// `boutique` is not a carrier one can ship with.
    #[error("the carrier is fedex or secure_courier")]
    NotACarrier,
}

/// Whether an order of `total` is high value (rule R7: strictly over the threshold).
pub fn is_high_value(total: Money, policies: &Policies) -> bool {
    total > policies.high_value_threshold
}

/// Plans the shipment of an order of `total` going by `method`, with the
/// carrier and signature asked for (either may be left to the rule). The
/// full value is always declared (insured).
pub fn plan_shipment(
    total: Money,
    method: DeliveryMethod,
    carrier: Option<Carrier>,
    signature_required: Option<bool>,
    policies: &Policies,
) -> Result<ShipmentPlan, ShipmentRefused> {
    if method == DeliveryMethod::Boutique {
        return Err(ShipmentRefused::PickupOrder);
    }
    let high_value = is_high_value(total, policies);
    let carrier = carrier.unwrap_or(if high_value {
        Carrier::SecureCourier
    } else {
        Carrier::Fedex
    });
    if carrier == Carrier::Boutique {
        return Err(ShipmentRefused::NotACarrier);
    }
    if high_value && carrier != Carrier::SecureCourier {
        return Err(ShipmentRefused::CarrierNotAllowed {
            carrier,
            threshold: policies.high_value_threshold,
        });
    }
    let must_sign = high_value || carrier == Carrier::SecureCourier;
    if must_sign && signature_required == Some(false) {
        return Err(ShipmentRefused::SignatureRequired);
    }
    Ok(ShipmentPlan {
        carrier,
        declared_value: total,
        signature_required: must_sign || signature_required.unwrap_or(false),
    })
}

/// Why a hand-over at the boutique is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandOverRefused {
    /// The collector's identity document was not checked.
    #[error("the collector's identity must be checked before the hand-over")]
    IdCheckRequired,
    /// Who collected is not named.
    #[error("name the person who collects the creations")]
    CollectorRequired,
}

/// The longest collector's name kept.
pub const MAX_COLLECTOR_CHARS: usize = 200;

/// Checks a hand-over: the identity checked, the collector named. Returns
/// the collector's name as recorded.
pub fn check_hand_over(id_checked: bool, collected_by: &str) -> Result<String, HandOverRefused> {
    if !id_checked {
        return Err(HandOverRefused::IdCheckRequired);
    }
    let name = collected_by.trim();
    if name.is_empty()
        || name.chars().count() > MAX_COLLECTOR_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(HandOverRefused::CollectorRequired);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(
        dollars: i64,
        carrier: Option<Carrier>,
        signature: Option<bool>,
    ) -> Result<ShipmentPlan, ShipmentRefused> {
        plan_shipment(
            Money::usd_dollars(dollars),
            DeliveryMethod::Home,
            carrier,
            signature,
            &Policies::default(),
        )
    }

    #[test]
    fn a_standard_order_ships_with_fedex_its_full_value_declared() {
        let p = plan(1_200, None, None).expect("planned");
        assert_eq!(p.carrier, Carrier::Fedex);
        assert_eq!(p.declared_value, Money::usd_dollars(1_200));
        assert!(!p.signature_required);
        assert!(
            plan(1_200, None, Some(true))
                .expect("signed")
                .signature_required
        );
        let courier = plan(1_200, Some(Carrier::SecureCourier), None).expect("allowed");
        assert!(courier.signature_required);
    }

    #[test]
    fn strictly_over_the_threshold_only_the_secure_courier_with_a_signature() {
        assert_eq!(
            plan(30_001, Some(Carrier::Fedex), None),
            Err(ShipmentRefused::CarrierNotAllowed {
                carrier: Carrier::Fedex,
                threshold: Money::usd_dollars(30_000)
            })
        );
        let p = plan(45_000, None, None).expect("planned");
        assert_eq!(p.carrier, Carrier::SecureCourier);
        assert!(p.signature_required);
        assert_eq!(p.declared_value, Money::usd_dollars(45_000));
        assert_eq!(
            plan(45_000, Some(Carrier::SecureCourier), Some(false)),
            Err(ShipmentRefused::SignatureRequired)
        );
        // Exactly the threshold is not over it.
        assert_eq!(
            plan(30_000, Some(Carrier::Fedex), None).map(|p| p.carrier),
            Ok(Carrier::Fedex)
        );
    }

    #[test]
    fn boutique_orders_are_not_shipped() {
        assert_eq!(
            plan_shipment(
                Money::usd_dollars(100),
                DeliveryMethod::Boutique,
                None,
                None,
                &Policies::default()
            ),
            Err(ShipmentRefused::PickupOrder)
        );
        assert_eq!(
            plan(100, Some(Carrier::Boutique), None),
            Err(ShipmentRefused::NotACarrier)
        );
    }

    #[test]
    fn a_hand_over_needs_the_identity_checked_and_the_collector_named() {
        assert_eq!(
            check_hand_over(false, "Claire Dubois"),
            Err(HandOverRefused::IdCheckRequired)
        );
        assert_eq!(
            check_hand_over(true, "  "),
            Err(HandOverRefused::CollectorRequired)
        );
        assert_eq!(
            check_hand_over(true, &"x".repeat(201)),
            Err(HandOverRefused::CollectorRequired)
        );
        assert_eq!(
            check_hand_over(true, " Claire Dubois "),
            Ok("Claire Dubois".to_owned())
        );
    }

    #[test]
    fn shipment_statuses_round_trip() {
        for s in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::parse(s.as_str()), Some(s));
        }
        assert!(ShipmentStatus::Delivered.is_final());
        assert!(!ShipmentStatus::Exception.is_final());
    }
}
