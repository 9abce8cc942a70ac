//! Carriers' tracking events (rule R6): received through signed webhooks,
//! each applied once (the carrier's event id is a unique key), written on
//! the order's timeline and told to the client by e-mail; `delivered` moves
//! the order to `delivered`. An event arriving after delivery is recorded
//! for staff only. Operators' commands apply simulated events
//! through the same use case.

use jiff::civil::Date;

use maison_carriers::{EventError, TrackingEvent, TrackingEventKind, signature};
use maison_domain::delivery::Carrier;
use maison_domain::fulfilment::{Shipment, ShipmentStatus};
use maison_domain::order::{OrderCommand, OrderEvent, OrderStatus};
use maison_store::fulfilment::CarrierEventRow;
use maison_store::{StoreError, audit, fulfilment, orders, outbox};

use crate::actor::Actor;
use crate::{Maison, Order, ShopError};

/// The header carriers sign their webhooks in.
pub use maison_carriers::signature::HEADER as SIGNATURE_HEADER;

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReceipt {
    /// The carrier's id of the event.
    pub id: String,
    /// False for an event applied before (a carrier's retry): nothing done.
    pub applied: bool,
}

fn shipment_status(kind: TrackingEventKind) -> ShipmentStatus {
    match kind {
        TrackingEventKind::AppointmentConfirmed => ShipmentStatus::AppointmentConfirmed,
        TrackingEventKind::PickedUp => ShipmentStatus::PickedUp,
        TrackingEventKind::InTransit => ShipmentStatus::InTransit,
        TrackingEventKind::OutForDelivery => ShipmentStatus::OutForDelivery,
        TrackingEventKind::Delivered => ShipmentStatus::Delivered,
        TrackingEventKind::Exception => ShipmentStatus::Exception,
    }
}

/// The system actor a carrier's events are recorded by.
fn carrier_actor(carrier: Carrier) -> Actor {
    Actor::System(match carrier {
        Carrier::Fedex => "carrier:fedex",
        Carrier::SecureCourier => "carrier:secure_courier",
        Carrier::Boutique => "carrier:boutique",
    })
}

impl Maison {
    /// A carrier's webhook: `carrier` from the path, the `Maison-Signature`
    /// header and the raw body. The signature is checked (with the carrier's
    /// configured secret, at most five minutes old by the maison's clock)
    /// before anything is read; a refusal records nothing.
    pub async fn receive_carrier_event(
        &self,
        carrier: &str,
        signature_header: Option<&str>,
        body: &[u8],
    ) -> Result<EventReceipt, ShopError> {
        let carrier = Carrier::parse(carrier.trim())
            .filter(|c| *c != Carrier::Boutique)
            .ok_or(ShopError::CarrierNotFound)?;
        let gateway = self
            .carriers()
            .gateway(carrier)
            .ok_or(ShopError::CarrierNotFound)?;
        let Some(secret) = self.carriers().webhook_secret(carrier) else {
            tracing::warn!(
                carrier = carrier.as_str(),
                "carrier webhook refused: no carriers.{}.webhook_secret is configured",
                carrier.as_str()
            );
            return Err(ShopError::InvalidSignature);
        };
        let now_unix = self.now().div_euclid(1_000_000);
        if let Err(why) = signature::verify(secret.expose(), signature_header, body, now_unix) {
            tracing::warn!(carrier = carrier.as_str(), reason = %why, "carrier webhook refused");
            return Err(ShopError::InvalidSignature);
        }
        let event = gateway.parse_event(body).map_err(|err| match err {
            EventError::Malformed(why) => ShopError::MalformedEvent(why),
            EventError::Invalid { field, message } => ShopError::Invalid {
                code: "invalid_event",
                field: field.to_owned(),
                message,
            },
        })?;
        self.apply_carrier_event(carrier, &event).await
    }

    /// Applies a carrier's event (verified, or simulated by an operator),
    /// once.
    pub async fn apply_carrier_event(
        &self,
        carrier: Carrier,
        event: &TrackingEvent,
    ) -> Result<EventReceipt, ShopError> {
        let shipment = self
            .store()
            .shipment_by_tracking(Some(carrier), &event.tracking_number)
            .await?
            .ok_or(ShopError::ShipmentNotFound)?;
        let order = self
            .store()
            .order(&shipment.order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        let actor = carrier_actor(carrier);
        let now = self.now();
        let appointment = event.appointment_date.map(|d| d.to_string());
        let row = CarrierEventRow {
            carrier,
            event_id: event.id.clone(),
            shipment_id: shipment.id.clone(),
            kind: event.kind.as_str().to_owned(),
            occurred_at: event.occurred_at.as_microsecond(),
            appointment_date: appointment.clone(),
            detail: event.detail.clone(),
            received_at: now,
        };
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        if !fulfilment::record_carrier_event(&mut tx, &row).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            tracing::info!(carrier = carrier.as_str(), event = %event.id, "carrier event received again: nothing to do");
            return Ok(EventReceipt {
                id: event.id.clone(),
                applied: false,
            });
        }
        // The store never moves a delivered shipment back.
        fulfilment::set_shipment_status(
            &mut tx,
            &shipment.id,
            shipment_status(event.kind),
            appointment.as_deref(),
            now,
        )
        .await?;
        let status = orders::status_in(&mut tx, &order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        // Once delivered, the creations are with the client: a late scan (a
        // delayed "in transit", a second "delivered") must not write to them
        // nor to their timeline. It is kept for staff only (the event above
        // and the audit entry below).
        let after_delivery = status == OrderStatus::Delivered;
        if !after_delivery {
            let note = self.event_note(&shipment, event);
            if event.kind == TrackingEventKind::Delivered && status == OrderStatus::Shipped {
                crate::order_desk::advance_as(
                    &mut tx,
                    &actor,
                    &order.id,
                    OrderStatus::Shipped,
                    OrderCommand::Deliver,
                    &note,
                    now,
                )
                .await?;
            } else {
                orders::add_event(
                    &mut tx,
                    &order.id,
                    &OrderEvent {
                        at: now,
                        status,
                        note,
                        actor: actor.timeline_name(),
                    },
                )
                .await?;
            }
            outbox::enqueue(
                &mut tx,
                &self.tracking_letter(&order, &shipment, event),
                now,
            )
            .await?;
        }
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                &format!("shipment.{}", event.kind.as_str()),
                &format!("order:{}", order.number),
                serde_json::json!({
                    "event": event.id,
                    "tracking_number": event.tracking_number,
                    "occurred_at": event.occurred_at.to_string(),
                    "appointment_date": appointment,
                    "detail": event.detail,
                    "flagged_for": (event.kind == TrackingEventKind::Exception).then_some("client_relations"),
                    "after_delivery": after_delivery,
                }),
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, carrier = carrier.as_str(), event = event.kind.as_str(), after_delivery, "carrier event applied");
        Ok(EventReceipt {
            id: event.id.clone(),
            applied: true,
        })
    }

    /// An event of the simulated carriers, as an operator drives a demo
    /// order (`maison carrier simulate TRACKING EVENT`): built as the
    /// carrier posts it and, when the carrier has a webhook secret, signed
    /// and received through the webhook's own path (signature included);
    /// otherwise applied by the same use case.
    pub async fn simulate_carrier_event(
        &self,
        actor: &Actor,
        tracking_number: &str,
        kind: &str,
        appointment_date: Option<&str>,
        detail: Option<&str>,
    ) -> Result<EventReceipt, ShopError> {
        actor.may_operate(crate::actor::Action::Fulfil)?;
        let kind = TrackingEventKind::parse(kind).ok_or_else(|| {
            crate::input::invalid(
                "invalid_event",
                "type",
                "The event is one of appointment_confirmed, picked_up, in_transit, out_for_delivery, delivered, exception.",
            )
        })?;
        let shipment = self
            .store()
            .shipment_by_tracking(None, tracking_number.trim())
            .await?
            .ok_or(ShopError::ShipmentNotFound)?;
        let now = self.now();
        let occurred_at = jiff::Timestamp::from_microsecond(now)
            .map_err(|e| ShopError::Internal(format!("the clock reads no time: {e}")))?;
        let date = match appointment_date.map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => Some(text.parse::<Date>().map_err(|_| {
                crate::input::invalid(
                    "invalid_event",
                    "appointment_date",
                    "The appointment date reads like 2026-12-08.",
                )
            })?),
            // Three days from now, in the maison's time zone.
            None if kind == TrackingEventKind::AppointmentConfirmed => occurred_at
                .to_zoned(self.time_zone.clone())
                .date()
                .checked_add(jiff::Span::new().days(3))
                .ok(),
            None => None,
        };
        let body = maison_carriers::event_body(
            &format!("sim_{}", crate::clock::new_id()),
            tracking_number.trim(),
            kind,
            occurred_at,
            date,
            detail,
        );
        match self.carriers().webhook_secret(shipment.carrier) {
            Some(secret) => {
                let header =
                    signature::sign(secret.expose(), now.div_euclid(1_000_000), body.as_bytes());
                self.receive_carrier_event(
                    shipment.carrier.as_str(),
                    Some(&header),
                    body.as_bytes(),
                )
                .await
            }
            None => {
                let event = maison_carriers::parse_event(body.as_bytes()).map_err(|e| {
                    ShopError::Internal(format!("the simulated event does not read: {e}"))
                })?;
                self.apply_carrier_event(shipment.carrier, &event).await
            }
        }
    }

    /// What the client reads on the timeline.
    fn event_note(&self, shipment: &Shipment, event: &TrackingEvent) -> String {
        let carrier = self.carrier_name(shipment.carrier);
        match event.kind {
            TrackingEventKind::AppointmentConfirmed => format!(
                "Delivery appointment confirmed with {carrier} for {}.",
                event
                    .appointment_date
                    .map_or_else(|| "the agreed date".to_owned(), long_date)
            ),
            TrackingEventKind::PickedUp => format!("Picked up by {carrier}."),
            TrackingEventKind::InTransit => format!("In transit with {carrier}."),
            TrackingEventKind::OutForDelivery => "Out for delivery.".to_owned(),
            TrackingEventKind::Delivered => "Delivered.".to_owned(),
            TrackingEventKind::Exception => format!(
                "{carrier} reported a delay{}; Client Relations will keep you informed.",
                event
                    .detail
                    .as_deref()
                    .map_or_else(String::new, |d| format!(" ({d})"))
            ),
        }
    }

    fn tracking_letter(
        &self,
        order: &Order,
        shipment: &Shipment,
        event: &TrackingEvent,
    ) -> maison_store::outbox::OutboxMessage {
        let carrier = self.carrier_name(shipment.carrier);
        let number = &order.number;
        let tracking = &event.tracking_number;
        let (subject, mut paragraphs) = match event.kind {
            TrackingEventKind::AppointmentConfirmed => {
                let date = event
                    .appointment_date
                    .map_or_else(|| "the agreed date".to_owned(), long_date);
                (
                    format!("Your delivery appointment for order {number}: {date}"),
                    vec![format!(
                        "As agreed with you, {carrier} will deliver your order {number} on {date} (tracking number {tracking})."
                    )],
                )
            }
            TrackingEventKind::PickedUp => (
                format!("Your order {number} is on its way"),
                vec![format!(
                    "{carrier} has collected your order {number} from the maison (tracking number {tracking})."
                )],
            ),
            TrackingEventKind::InTransit => (
                format!("Your order {number} is in transit"),
                vec![format!(
                    "Your order {number} is in transit with {carrier} (tracking number {tracking})."
                )],
            ),
            TrackingEventKind::OutForDelivery => (
                format!("Your order {number} is out for delivery"),
                vec![format!(
                    "Your order {number} is out for delivery with {carrier} today."
                )],
            ),
            TrackingEventKind::Delivered => (
                format!("Your order {number} has been delivered"),
                vec![format!(
                    "Your order {number} has been delivered. We hope your creations bring you joy."
                )],
            ),
            TrackingEventKind::Exception => (
                format!("A delay with your order {number}"),
                vec![format!(
                    "{carrier} reported a delay with your order {number}{}. Client Relations will keep you informed.",
                    event
                        .detail
                        .as_deref()
                        .map_or_else(String::new, |d| format!(": {d}"))
                )],
            ),
        };
        if shipment.signature_required
            && matches!(
                event.kind,
                TrackingEventKind::AppointmentConfirmed | TrackingEventKind::OutForDelivery
            )
        {
            paragraphs.push("A signature will be required on delivery.".to_owned());
        }
        paragraphs.push(format!(
            "Should you have any question, {} will be pleased to help.",
            self.client_relations.contact_sentence()
        ));
        let mut letter = self.letter(
            &format!("carrier_{}", event.kind.as_str()),
            &order.email,
            subject,
            format!("Dear {} {},", order.first_name, order.last_name),
            paragraphs,
            None,
        );
        letter.order_id = Some(order.id.clone());
        letter
    }
}

/// "Tuesday, December 8, 2026".
fn long_date(date: Date) -> String {
    date.strftime("%A, %B %-d, %Y").to_string()
}
