//! Shipping an order in processing (rules R6, R7): the carrier chosen by the
//! order's value, the full value declared, a signature where required; the
//! card payment captured; the order `shipped` and the client told.
//!
//! Each step can be repeated without doing it twice, so that a retry with the
//! same `Idempotency-Key` (after a timeout, a crash) finishes the work:
//! 1. the shipment is recorded, `requested`, with the key (one live shipment
//!    per order: a unique index);
//! 2. the carrier is asked for a label under the shipment's id;
//! 3. the payment is captured (recorded as an attempt first);
//! 4. one transaction labels the shipment, moves the order to `shipped`
//!    (compare-and-set with its timeline event), audits, queues the letter
//!    and completes the key.
//!
//! A declined capture cancels the label with the carrier and leaves the order
//! in processing, flagged for Client Relations.

use maison_carriers::{CarrierError, ShipmentRequest};
use maison_domain::delivery::Carrier;
use maison_domain::fulfilment::{Shipment, ShipmentRefused, ShipmentStatus, plan_shipment};
use maison_domain::order::{OrderCommand, OrderNumber, OrderStatus, decide};
use maison_store::idempotency::{self, KeyState};
use maison_store::{StoreError, audit, fulfilment, orders, outbox};

use crate::actor::{Action, Actor};
use crate::clock::new_id;
use crate::error::StoredProblem;
use crate::input::invalid;
use crate::order_desk::advance_as;
use crate::{Maison, Order, ShopError};

/// The idempotency scope of shipments.
const SCOPE: &str = "shipment";

/// What staff ask for: the carrier and the signature, each left to the
/// rule when absent.
#[derive(Debug, Clone, Default)]
pub struct ShipmentInput {
    pub carrier: Option<String>,
    pub signature_required: Option<bool>,
}

impl Maison {
    /// The order's shipment on its way (not cancelled), for staff.
    pub async fn order_shipment(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Option<Shipment>, ShopError> {
        actor.may(Action::ViewOrders)?;
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        let order = self
            .store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(self.store().live_shipment_of(&order.id).await?)
    }

    /// An order by the number staff typed; 404 for anything else.
    pub(crate) async fn order_for_staff(&self, number: &str) -> Result<Order, ShopError> {
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        self.store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)
    }

    /// Ships an order in processing. The same `key` answers the same
    /// shipment; a key used for another request is refused.
    pub async fn create_shipment(
        &self,
        actor: &Actor,
        number: &str,
        key: &str,
        input: ShipmentInput,
    ) -> Result<Shipment, ShopError> {
        actor.may(Action::Fulfil)?;
        let key = key.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "The Idempotency-Key is 1 to 255 printable characters, such as a UUID.",
            ));
        }
        let carrier = match input.carrier.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(
                Carrier::parse(name)
                    .filter(|c| *c != Carrier::Boutique)
                    .ok_or_else(|| {
                        invalid(
                            "invalid_carrier",
                            "carrier",
                            "The carrier is fedex or secure_courier.",
                        )
                    })?,
            ),
        };
        let order = self.order_for_staff(number).await?;
        let fingerprint = format!(
            "{}|{}|{}",
            order.number,
            carrier.map_or("", Carrier::as_str),
            input
                .signature_required
                .map_or("", |s| if s { "signed" } else { "unsigned" })
        );
        let shipment = match self.store().idempotency_state(SCOPE, key).await? {
            KeyState::Completed {
                fingerprint: f,
                status,
                body,
            } => {
                if f != fingerprint {
                    return Err(ShopError::KeyReused);
                }
                return self.replay_shipment(status, &body).await;
            }
            KeyState::InProgress { fingerprint: f } => {
                if f != fingerprint {
                    return Err(ShopError::KeyReused);
                }
                // A request cut short (a timeout, a crash): finish its work.
                match self.store().live_shipment_of(&order.id).await? {
                    Some(s) if s.status == ShipmentStatus::Requested => s,
                    Some(s) => return Ok(s),
                    None => return Err(ShopError::KeyInUse),
                }
            }
            KeyState::New => {
                self.record_shipment(actor, &order, key, &fingerprint, carrier, input)
                    .await?
            }
        };
        self.complete_shipment(actor, &order, key, shipment).await
    }

    async fn replay_shipment(&self, status: u16, body: &str) -> Result<Shipment, ShopError> {
        if status == 201 {
            return self
                .store()
                .shipment(body)
                .await?
                .ok_or(ShopError::ShipmentNotFound);
        }
        Err(ShopError::Replayed {
            status,
            body: body.to_owned(),
        })
    }

    /// Step 1: the checks, then the shipment recorded with the key.
    async fn record_shipment(
        &self,
        actor: &Actor,
        order: &Order,
        key: &str,
        fingerprint: &str,
        carrier: Option<Carrier>,
        input: ShipmentInput,
    ) -> Result<Shipment, ShopError> {
        decide(order.status, OrderCommand::Ship)
            .map_err(|refused| ShopError::InvalidTransition(refused.to_string()))?;
        let plan = plan_shipment(
            order.total,
            order.delivery.destination.method(),
            carrier,
            input.signature_required,
            &self.policies,
        )
        .map_err(|refused| match refused {
            ShipmentRefused::CarrierNotAllowed { carrier, threshold } => {
                ShopError::CarrierNotAllowed {
                    carrier: carrier.as_str(),
                    threshold,
                }
            }
            ShipmentRefused::SignatureRequired => ShopError::SignatureRequired,
            ShipmentRefused::PickupOrder => ShopError::InvalidTransition(refused.to_string()),
            ShipmentRefused::NotACarrier => invalid(
                "invalid_carrier",
                "carrier",
                "The carrier is fedex or secure_courier.",
            ),
        })?;
        let now = self.now();
        let shipment = Shipment {
            id: new_id(),
            order_id: order.id.clone(),
            carrier: plan.carrier,
            tracking_number: None,
            declared_value: plan.declared_value,
            signature_required: plan.signature_required,
            status: ShipmentStatus::Requested,
            appointment_date: None,
            created_by: actor.timeline_name(),
            created_at: now,
        };
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        if orders::status_in(&mut tx, &order.id).await? != Some(OrderStatus::Processing) {
            return Err(ShopError::InvalidTransition(
                "the order is no longer in processing".into(),
            ));
        }
        if !idempotency::claim_key(&mut tx, SCOPE, key, fingerprint, &order.id, now).await? {
            return Err(ShopError::KeyInUse);
        }
        if !fulfilment::insert_shipment(&mut tx, &shipment).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            // An earlier request cut short (the carrier or the processor did
            // not answer) left its shipment requested: this one finishes it,
            // so a member who starts again from a fresh page is not stuck.
            let earlier = self
                .store()
                .live_shipment_of(&order.id)
                .await?
                .filter(|s| s.status == ShipmentStatus::Requested);
            let Some(earlier) = earlier else {
                return Err(ShopError::InvalidTransition(
                    "the order already has a shipment".into(),
                ));
            };
            let mut tx = self.store().begin_write().await?;
            if !idempotency::claim_key(&mut tx, SCOPE, key, fingerprint, &order.id, now).await? {
                return Err(ShopError::KeyInUse);
            }
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(earlier);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(shipment)
    }

    /// Steps 2 to 4.
    async fn complete_shipment(
        &self,
        actor: &Actor,
        order: &Order,
        key: &str,
        shipment: Shipment,
    ) -> Result<Shipment, ShopError> {
        let gateway = self
            .carriers()
            .gateway(shipment.carrier)
            .ok_or(ShopError::CarrierNotFound)?;
        let destination = order.delivery.destination.address();
        let recipient = format!("{} {}", order.first_name, order.last_name);
        let label = gateway
            .create_shipment(ShipmentRequest {
                idempotency_key: &shipment.id,
                reference: &order.number,
                declared_value: shipment.declared_value,
                signature_required: shipment.signature_required,
                recipient_name: &recipient,
                recipient_phone: &order.phone,
                destination,
            })
            .await;
        let label = match label {
            Ok(label) => label,
            Err(CarrierError::Unavailable(why)) => {
                tracing::warn!(order = %order.number, error = %why, "carrier unavailable: retry with the same key");
                return Err(ShopError::CarrierUnavailable);
            }
            Err(err) => {
                let refusal = ShopError::CarrierRefused(err.to_string());
                self.give_up_shipment(&shipment, key, &refusal).await?;
                return Err(refusal);
            }
        };
        if let Err(err) = self.capture_payment(order).await {
            if let ShopError::CaptureDeclined(reason) = &err {
                self.give_up_shipment(&shipment, key, &err).await?;
                self.flag_capture_declined(actor, order, "shipping", reason)
                    .await?;
                if let Err(cancel) = gateway.cancel_shipment(&label.tracking_number).await {
                    tracing::warn!(order = %order.number, error = %cancel, "label not cancelled with the carrier");
                }
            }
            return Err(err);
        }

        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        if !fulfilment::label_shipment(&mut tx, &shipment.id, &label.tracking_number, now).await? {
            // Another request with this key finished first.
            tx.rollback().await.map_err(StoreError::from)?;
            return self
                .store()
                .shipment(&shipment.id)
                .await?
                .ok_or(ShopError::ShipmentNotFound);
        }
        let carrier_name = self.carrier_name(shipment.carrier);
        advance_as(
            &mut tx,
            actor,
            &order.id,
            OrderStatus::Processing,
            OrderCommand::Ship,
            &format!(
                "Shipped with {carrier_name}, tracking number {}.",
                label.tracking_number
            ),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.ship",
                &format!("order:{}", order.number),
                serde_json::json!({
                    "shipment": shipment.id,
                    "carrier": shipment.carrier.as_str(),
                    "tracking_number": label.tracking_number,
                    "declared_value": shipment.declared_value.amount_string(),
                    "signature_required": shipment.signature_required,
                    "captured": order.payment.card().is_some(),
                }),
            ),
        )
        .await?;
        outbox::enqueue(
            &mut tx,
            &self.shipped_letter(order, &shipment, &label.tracking_number),
            now,
        )
        .await?;
        idempotency::complete_key(&mut tx, SCOPE, key, 201, &shipment.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, carrier = shipment.carrier.as_str(), tracking = %label.tracking_number, "order shipped");
        self.store()
            .shipment(&shipment.id)
            .await?
            .ok_or(ShopError::ShipmentNotFound)
    }

    /// A shipment that will not go: cancelled, its key completed with the
    /// refusal (a retry with the key answers the same).
    async fn give_up_shipment(
        &self,
        shipment: &Shipment,
        key: &str,
        why: &ShopError,
    ) -> Result<(), ShopError> {
        let (status, code) = match why {
            ShopError::CaptureDeclined(_) => (409, "capture_declined"),
            _ => (409, "carrier_refused"),
        };
        let problem = StoredProblem {
            status,
            code: code.into(),
            detail: why.to_string(),
            field: None,
        };
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut tx = self.store().begin_write().await?;
        fulfilment::cancel_shipment(&mut tx, &shipment.id, self.now()).await?;
        idempotency::complete_key(&mut tx, SCOPE, key, status, &body).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    fn shipped_letter(
        &self,
        order: &Order,
        shipment: &Shipment,
        tracking_number: &str,
    ) -> maison_store::outbox::OutboxMessage {
        let carrier = self.carrier_name(shipment.carrier);
        let mut paragraphs = vec![format!(
            "Your order {} has left the maison with {carrier} (tracking number {tracking_number}).",
            order.number
        )];
        paragraphs.push(match shipment.carrier {
            Carrier::SecureCourier => format!(
                "Our secure courier will contact you to agree on the delivery date; the creations will be handed over against your signature. For delivery information, please contact {}.",
                self.client_relations.contact_sentence()
            ),
            _ => format!(
                "{carrier} will contact you to confirm the delivery date, and we will keep you informed at each step."
            ),
        });
        if shipment.signature_required && shipment.carrier != Carrier::SecureCourier {
            paragraphs.push("A signature will be required on delivery.".to_owned());
        }
        let mut letter = self.letter(
            "order_shipped",
            &order.email,
            format!(
                "Your {} order {} has shipped",
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
