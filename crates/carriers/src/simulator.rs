//! The built-in carriers: FedEx and the secure courier, as they behave, in
//! memory and without HTTP (the default of a demo and of tests).
//!
//! - FedEx answers 12-digit tracking numbers, insures up to
//!   [`FEDEX_MAX_DECLARED_MINOR`], and takes a signature when asked.
//! - The secure courier answers `SC` numbers, insures the full value of
//!   high jewellery, and always hands over against a signature: it refuses
//!   a shipment without one.
//!
//! A shipment moves label created → (appointment confirmed) → picked up → in
//! transit → out for delivery → delivered, with exceptions on the way; it can
//! be cancelled until it is picked up. [`CarrierSimulator::advance`] records a
//! step and hands back the event body the carrier would post, for the caller
//! to sign ([`crate::signature::sign`]) and send. The ledger lives as long as
//! the process.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use jiff::civil::Date;

use maison_domain::Money;

use crate::{
    BoxFuture, Carrier, CarrierError, CarrierGateway, Label, ShipmentRequest, TrackingEventKind,
    event_body,
};

/// FedEx's largest declared value, in minor units (USD 50,000.00).
pub const FEDEX_MAX_DECLARED_MINOR: i64 = 5_000_000;

/// A shipment as a simulated carrier holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedShipment {
    pub carrier: Carrier,
    pub tracking_number: String,
    /// Our order number.
    pub reference: String,
    pub declared_value: Money,
    pub signature_required: bool,
    /// The events posted so far, in order.
    pub events: Vec<TrackingEventKind>,
    pub cancelled: bool,
}

impl SimulatedShipment {
    fn delivered(&self) -> bool {
        self.events.contains(&TrackingEventKind::Delivered)
    }

    fn picked_up(&self) -> bool {
        self.events.iter().any(|e| {
            !matches!(
                e,
                TrackingEventKind::AppointmentConfirmed | TrackingEventKind::Exception
            )
        })
    }
}

#[derive(Debug, Default)]
struct Ledger {
    shipments: Vec<SimulatedShipment>,
    by_tracking: HashMap<String, usize>,
    /// Per idempotency key: the request's fingerprint and the shipment.
    by_key: HashMap<String, (String, usize)>,
    event_seq: u64,
    unavailable: usize,
}

/// The simulated carriers: a cheap, clonable handle over one shared ledger.
#[derive(Debug, Clone)]
pub struct CarrierSimulator {
    ledger: Arc<Mutex<Ledger>>,
    seed: u64,
}

impl Default for CarrierSimulator {
    fn default() -> Self {
        CarrierSimulator::new()
    }
}

impl CarrierSimulator {
    pub fn new() -> Self {
        CarrierSimulator {
            ledger: Arc::new(Mutex::new(Ledger::default())),
            seed: RandomState::new().hash_one("carrier-simulator"),
        }
    }

    /// The port of one carrier, over this ledger.
    pub fn gateway(&self, carrier: Carrier) -> Arc<dyn CarrierGateway> {
        Arc::new(SimulatedCarrier {
            carrier,
            simulator: self.clone(),
        })
    }

    /// The next `n` requests find the carrier unavailable.
    pub fn fail_next(&self, n: usize) {
        self.lock().unavailable += n;
    }

    /// One shipment, as the carrier holds it now.
    pub fn shipment(&self, tracking_number: &str) -> Option<SimulatedShipment> {
        let ledger = self.lock();
        let index = *ledger.by_tracking.get(tracking_number)?;
        ledger.shipments.get(index).cloned()
    }

    /// Every shipment, in the order they were created.
    pub fn shipments(&self) -> Vec<SimulatedShipment> {
        self.lock().shipments.clone()
    }

    /// Records that `kind` happened to the shipment at `occurred_at`, and
    /// answers the event body its carrier posts. A step the shipment cannot
    /// take (after delivery or cancellation) is refused.
    pub fn advance(
        &self,
        tracking_number: &str,
        kind: TrackingEventKind,
        occurred_at: Timestamp,
        appointment_date: Option<Date>,
        detail: Option<&str>,
    ) -> Result<String, CarrierError> {
        let mut ledger = self.lock();
        ledger.event_seq += 1;
        let seq = ledger.event_seq;
        let index = *ledger
            .by_tracking
            .get(tracking_number)
            .ok_or_else(|| CarrierError::UnknownShipment(tracking_number.to_owned()))?;
        let shipment = ledger
            .shipments
            .get_mut(index)
            .ok_or_else(|| CarrierError::UnknownShipment(tracking_number.to_owned()))?;
        if shipment.cancelled {
            return Err(CarrierError::InvalidState(
                "the shipment was cancelled".into(),
            ));
        }
        if shipment.delivered() {
            return Err(CarrierError::InvalidState(
                "the shipment was delivered".into(),
            ));
        }
        shipment.events.push(kind);
        let id = format!("evt_{:016x}_{seq}", self.seed);
        Ok(event_body(
            &id,
            tracking_number,
            kind,
            occurred_at,
            appointment_date,
            detail,
        ))
    }

    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn tracking_number(&self, carrier: Carrier, n: usize) -> String {
        let h = RandomState::new().hash_one((self.seed, n));
        match carrier {
            // FedEx Express: 12 digits.
            Carrier::Fedex => format!("7946{:08}", h % 100_000_000),
            Carrier::SecureCourier | Carrier::Boutique => {
                const SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
                let mut value = h;
                let code: String = (0..10)
                    .map(|_| {
                        let symbol = SYMBOLS[(value % 32) as usize] as char;
                        value /= 32;
                        symbol
                    })
                    .collect();
                format!("SC{code}")
            }
        }
    }

    fn create(
        &self,
        carrier: Carrier,
        request: &ShipmentRequest<'_>,
    ) -> Result<Label, CarrierError> {
        let mut ledger = self.lock();
        if ledger.unavailable > 0 {
            ledger.unavailable -= 1;
            return Err(CarrierError::Unavailable(
                "simulated 503 Service Unavailable".into(),
            ));
        }
        let fingerprint = format!(
            "{}|{}|{}|{}",
            carrier.as_str(),
            request.reference,
            request.declared_value.minor(),
            request.signature_required
        );
        if let Some((recorded, index)) = ledger.by_key.get(request.idempotency_key) {
            if *recorded != fingerprint {
                return Err(CarrierError::IdempotencyConflict(
                    request.idempotency_key.to_owned(),
                ));
            }
            let shipment = ledger
                .shipments
                .get(*index)
                .ok_or_else(|| CarrierError::UnknownShipment(request.idempotency_key.into()))?;
            return Ok(Label {
                tracking_number: shipment.tracking_number.clone(),
            });
        }
        match carrier {
            Carrier::Fedex if request.declared_value.minor() > FEDEX_MAX_DECLARED_MINOR => {
                return Err(CarrierError::Refused(
                    "FedEx insures a declared value of at most USD 50,000.00".into(),
                ));
            }
            Carrier::SecureCourier if !request.signature_required => {
                return Err(CarrierError::Refused(
                    "the secure courier hands over only against a signature".into(),
                ));
            }
            Carrier::Boutique => {
                return Err(CarrierError::Refused(
                    "a boutique transfer is not a carrier shipment".into(),
                ));
            }
            _ => {}
        }
        if request.declared_value.minor() <= 0 {
            return Err(CarrierError::Refused(
                "the declared value must be positive".into(),
            ));
        }
        let index = ledger.shipments.len();
        let mut tracking_number = self.tracking_number(carrier, index);
        while ledger.by_tracking.contains_key(&tracking_number) {
            tracking_number = self.tracking_number(carrier, index + ledger.by_tracking.len());
        }
        ledger.shipments.push(SimulatedShipment {
            carrier,
            tracking_number: tracking_number.clone(),
            reference: request.reference.to_owned(),
            declared_value: request.declared_value,
            signature_required: request.signature_required,
            events: Vec::new(),
            cancelled: false,
        });
        ledger.by_tracking.insert(tracking_number.clone(), index);
        ledger
            .by_key
            .insert(request.idempotency_key.to_owned(), (fingerprint, index));
        tracing::info!(carrier = carrier.as_str(), tracking = %tracking_number, reference = request.reference, "carrier simulator: shipment created");
        Ok(Label { tracking_number })
    }

    fn cancel(&self, tracking_number: &str) -> Result<(), CarrierError> {
        let mut ledger = self.lock();
        let index = *ledger
            .by_tracking
            .get(tracking_number)
            .ok_or_else(|| CarrierError::UnknownShipment(tracking_number.to_owned()))?;
        let shipment = ledger
            .shipments
            .get_mut(index)
            .ok_or_else(|| CarrierError::UnknownShipment(tracking_number.to_owned()))?;
        if shipment.picked_up() {
            return Err(CarrierError::InvalidState(
                "the shipment was already picked up".into(),
            ));
        }
        shipment.cancelled = true;
        Ok(())
    }
}

/// One carrier of the simulator.
struct SimulatedCarrier {
    carrier: Carrier,
    simulator: CarrierSimulator,
}

impl CarrierGateway for SimulatedCarrier {
    fn carrier(&self) -> Carrier {
        self.carrier
    }

    fn create_shipment<'a>(
        &'a self,
        request: ShipmentRequest<'a>,
    ) -> BoxFuture<'a, Result<Label, CarrierError>> {
        Box::pin(async move { self.simulator.create(self.carrier, &request) })
    }

    fn cancel_shipment<'a>(
        &'a self,
        tracking_number: &'a str,
    ) -> BoxFuture<'a, Result<(), CarrierError>> {
        Box::pin(async move { self.simulator.cancel(tracking_number) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maison_domain::address::{Address, Country};

    fn address() -> Address {
        Address {
            line1: "10 Park Avenue".into(),
            line2: None,
            city: "New York".into(),
            region: "NY".into(),
            postal_code: "10016".into(),
            country: Country::UnitedStates,
            company: None,
        }
    }

    fn request<'a>(
        key: &'a str,
        value: i64,
        signature: bool,
        to: &'a Address,
    ) -> ShipmentRequest<'a> {
        ShipmentRequest {
            idempotency_key: key,
            reference: "MV-7K2Q-9HDX-4",
            declared_value: Money::usd_cents(value),
            signature_required: signature,
            recipient_name: "Claire Dubois",
            recipient_phone: "212-555-0147",
            destination: to,
        }
    }

    #[tokio::test]
    async fn the_same_key_answers_the_same_tracking_number_and_another_request_conflicts() {
        let sim = CarrierSimulator::new();
        let fedex = sim.gateway(Carrier::Fedex);
        let to = address();
        let label = fedex
            .create_shipment(request("k1", 120_000, false, &to))
            .await
            .expect("created");
        assert_eq!(label.tracking_number.len(), 12);
        assert!(label.tracking_number.bytes().all(|b| b.is_ascii_digit()));
        let again = fedex
            .create_shipment(request("k1", 120_000, false, &to))
            .await
            .expect("replayed");
        assert_eq!(again, label);
        assert_eq!(sim.shipments().len(), 1);
        assert!(matches!(
            fedex.create_shipment(request("k1", 99, false, &to)).await,
            Err(CarrierError::IdempotencyConflict(_))
        ));
    }

    #[tokio::test]
    async fn fedex_caps_the_declared_value_and_the_secure_courier_requires_a_signature() {
        let sim = CarrierSimulator::new();
        let to = address();
        assert!(matches!(
            sim.gateway(Carrier::Fedex)
                .create_shipment(request("k1", 450_000_000, true, &to))
                .await,
            Err(CarrierError::Refused(_))
        ));
        let courier = sim.gateway(Carrier::SecureCourier);
        assert!(matches!(
            courier
                .create_shipment(request("k2", 450_000_000, false, &to))
                .await,
            Err(CarrierError::Refused(_))
        ));
        let label = courier
            .create_shipment(request("k3", 450_000_000, true, &to))
            .await
            .expect("taken");
        assert!(label.tracking_number.starts_with("SC"));
        let held = sim.shipment(&label.tracking_number).expect("held");
        assert_eq!(held.declared_value, Money::usd_cents(450_000_000));
        assert!(held.signature_required);
    }

    #[tokio::test]
    async fn events_follow_the_shipment_and_stop_at_delivery() {
        let sim = CarrierSimulator::new();
        let to = address();
        let fedex = sim.gateway(Carrier::Fedex);
        let label = fedex
            .create_shipment(request("k1", 120_000, false, &to))
            .await
            .expect("created");
        let t = Timestamp::from_second(1_800_000_000).expect("time");
        let body = sim
            .advance(
                &label.tracking_number,
                TrackingEventKind::AppointmentConfirmed,
                t,
                Some(jiff::civil::date(2027, 1, 15)),
                None,
            )
            .expect("event");
        let event = crate::parse_event(body.as_bytes()).expect("a valid event");
        assert_eq!(event.appointment_date, Some(jiff::civil::date(2027, 1, 15)));
        fedex
            .cancel_shipment(&label.tracking_number)
            .await
            .expect("not yet picked up: cancellable");
        assert!(
            sim.advance(
                &label.tracking_number,
                TrackingEventKind::PickedUp,
                t,
                None,
                None
            )
            .is_err()
        );

        let label = fedex
            .create_shipment(request("k2", 120_000, false, &to))
            .await
            .expect("created");
        for kind in [
            TrackingEventKind::PickedUp,
            TrackingEventKind::InTransit,
            TrackingEventKind::Delivered,
        ] {
            sim.advance(&label.tracking_number, kind, t, None, None)
                .expect("step");
        }
        assert!(matches!(
            fedex.cancel_shipment(&label.tracking_number).await,
            Err(CarrierError::InvalidState(_))
        ));
        assert!(
            sim.advance(
                &label.tracking_number,
                TrackingEventKind::InTransit,
                t,
                None,
                None
            )
            .is_err()
        );
        sim.fail_next(1);
        assert!(matches!(
            fedex.create_shipment(request("k3", 1, false, &to)).await,
            Err(CarrierError::Unavailable(_))
        ));
    }
}
