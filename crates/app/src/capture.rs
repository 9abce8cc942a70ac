//! The capture of an order's card payment when it ships or is handed over
//! (PRODUCT.md §2). The attempt is recorded before the processor is called
//! (its id is the idempotency key), under the order's row, so that a retry,
//! a second instance or a crash never captures twice: a capture under way is
//! sent again under the same key, one that succeeded is not sent at all.

use maison_domain::payment::PaymentAttempt;
use maison_payments::SyncedOperation;
use maison_store::payments as attempts;
use maison_store::{StoreError, audit, fulfilment, orders, outbox};

use crate::actor::Actor;
use crate::clock::new_id;
use crate::{Maison, Order, ShopError};

/// How a capture ended.
pub(crate) enum Captured {
    /// The order is not paid by card (wire, cash: already paid).
    NotByCard,
    /// Captured now, or before.
    Done,
}

impl Maison {
    /// Captures the order's card payment, once. A refusal by the processor is
    /// recorded (`declined`) and answered as [`ShopError::CaptureDeclined`];
    /// an answer lost on the way is asked for, and left in doubt (for a retry
    /// under the same key) when the processor cannot say.
    pub(crate) async fn capture_payment(&self, order: &Order) -> Result<Captured, ShopError> {
        if order.payment.card().is_none() {
            return Ok(Captured::NotByCard);
        }
        let hold = self
            .store()
            .current_hold(&order.id)
            .await?
            .and_then(|a| a.processor_ref.map(|r| (r, a.amount)));
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        let (attempt_id, processor_ref, amount) =
            match fulfilment::live_capture(&mut tx, &order.id).await? {
                Some(done) if done.status == "succeeded" => {
                    tx.rollback().await.map_err(StoreError::from)?;
                    return Ok(Captured::Done);
                }
                Some(under_way) => {
                    let Some(reference) = under_way.processor_ref.or(hold.map(|h| h.0)) else {
                        return Err(ShopError::CaptureDeclined(
                            "the card's authorisation is not on record".into(),
                        ));
                    };
                    (under_way.id, reference, under_way.amount)
                }
                None => {
                    let Some((reference, held)) = hold else {
                        tx.rollback().await.map_err(StoreError::from)?;
                        return Err(ShopError::CaptureDeclined(
                            "the card's authorisation is no longer held".into(),
                        ));
                    };
                    let amount = if order.total.minor() <= held.minor() {
                        order.total
                    } else {
                        held
                    };
                    let attempt = PaymentAttempt {
                        id: new_id(),
                        order_id: order.id.clone(),
                        operation: "capture".into(),
                        amount,
                        status: "pending".into(),
                        processor: self.gateway.name().into(),
                        processor_ref: Some(reference.clone()),
                        decline_code: None,
                        created_at: now,
                    };
                    attempts::insert_attempt(&mut tx, &attempt).await?;
                    (attempt.id, reference, amount)
                }
            };
        tx.commit().await.map_err(StoreError::from)?;

        let outcome = match self
            .gateway
            .capture(&attempt_id, &processor_ref, amount)
            .await
        {
            Ok(record) => Ok(record),
            Err(err) if err.in_doubt() => {
                tracing::warn!(order = %order.number, error = %err, "capture in doubt: asking the processor");
                self.store()
                    .mark_attempt_in_doubt(&attempt_id, self.now())
                    .await?;
                match self.gateway.sync(&attempt_id).await {
                    Ok(Some(SyncedOperation::Capture(record))) => Ok(record),
                    // Never received: nothing was captured; the same key
                    // sends it again on the next try.
                    Ok(_) => return Err(ShopError::PaymentUnavailable),
                    Err(_) => return Err(ShopError::PaymentInDoubt),
                }
            }
            Err(err) => Err(err),
        };
        let mut tx = self.store().begin_write().await?;
        let result = match outcome {
            Ok(record) => {
                attempts::resolve_attempt(
                    &mut tx,
                    &attempt_id,
                    "succeeded",
                    Some(&record.processor_ref),
                    None,
                    self.now(),
                )
                .await?;
                tracing::info!(order = %order.number, amount = %record.amount, "payment captured");
                Ok(Captured::Done)
            }
            Err(err) => {
                tracing::warn!(order = %order.number, error = %err, "capture declined by the processor");
                attempts::resolve_attempt(
                    &mut tx,
                    &attempt_id,
                    "declined",
                    Some(&processor_ref),
                    Some("capture_refused"),
                    self.now(),
                )
                .await?;
                Err(ShopError::CaptureDeclined(err.to_string()))
            }
        };
        tx.commit().await.map_err(StoreError::from)?;
        result
    }

    /// Flags an order whose capture was declined for Client Relations: on
    /// its timeline (as the client reads it), in the audit log (with the
    /// processor's reason) and by a letter to Client Relations.
    pub(crate) async fn flag_capture_declined(
        &self,
        actor: &Actor,
        order: &Order,
        at_step: &str,
        reason: &str,
    ) -> Result<(), ShopError> {
        self.flag_payment(
            actor,
            order,
            "order.capture_declined",
            &format!("captured at {at_step}"),
            reason,
        )
        .await
    }

    /// Flags an order whose card payment needs Client Relations (`action` in
    /// the audit log; `what` failed: "captured at shipping", "renewed").
    pub(crate) async fn flag_payment(
        &self,
        actor: &Actor,
        order: &Order,
        action: &str,
        what: &str,
        reason: &str,
    ) -> Result<(), ShopError> {
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        let status = orders::status_in(&mut tx, &order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        orders::add_event(
            &mut tx,
            &order.id,
            &maison_domain::order::OrderEvent {
                at: now,
                status,
                note: "Client Relations will contact you about the payment of your order.".into(),
                actor: actor.timeline_name(),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                action,
                &format!("order:{}", order.number),
                serde_json::json!({"payment": what, "reason": reason, "flagged_for": "client_relations"}),
            ),
        )
        .await?;
        let mut letter = self.letter(
            action.trim_start_matches("order."),
            &self.client_relations.email,
            format!(
                "Payment not {what}: order {} needs Client Relations",
                order.number
            ),
            "Dear Client Relations,".to_owned(),
            vec![
                format!(
                    "The card payment of order {} ({} {}, {}) could not be {what}: {reason}.",
                    order.number, order.first_name, order.last_name, order.total.display()
                ),
                "The order stays where it was until the payment is secured: please contact the client."
                    .to_owned(),
            ],
            None,
        );
        letter.order_id = Some(order.id.clone());
        outbox::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
