//! Refunds of returns, to the original means of payment: a card through the
//! processor against the captured payment, under an attempt written first
//! (its id is the processor's idempotency key, kept on the return), so a
//! retry never pays twice; a wire or cash refund recorded with its
//! reference.

use maison_domain::order::Order;
use maison_domain::payment::{Payment, PaymentAttempt};
use maison_domain::returns::ReturnStatus;
use maison_payments::SyncedOperation;
use maison_store::payments as attempts;
use maison_store::returns::{self as store_returns, ReturnChange};
use maison_store::{StoreError, audit, orders};

use crate::actor::{Action, Actor};
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, ShopError};

use crate::returns::Return;

impl Maison {
    /// Refunds a received return to the original means of payment: a card
    /// through the processor against the captured payment (retry-safe), a
    /// wire or cash refund recorded with its `reference`.
    pub async fn refund_return(
        &self,
        actor: &Actor,
        id: &str,
        reference: Option<&str>,
    ) -> Result<Return, ShopError> {
        actor.may(Action::HandleReturn)?;
        let (record, order) = self.staff_return(id).await?;
        if record.status == ReturnStatus::Refunded {
            return Ok(record);
        }
        if record.status != ReturnStatus::Received {
            return Err(ShopError::InvalidTransition(format!(
                "a return is refunded once received, and this one is {}",
                record.status
            )));
        }
        match order.payment {
            Payment::Card(_) => self.refund_card(actor, &order, &record).await,
            Payment::Wire | Payment::Cash => {
                let method = order.payment.method();
                let reference = reference.map(str::trim).unwrap_or("");
                if reference.is_empty()
                    || reference.chars().count() > 200
                    || reference.chars().any(char::is_control)
                {
                    return Err(invalid(
                        "invalid_reference",
                        "reference",
                        "Enter the bank's reference of the refund transfer, or the boutique's receipt number (at most 200 characters).",
                    ));
                }
                self.finish_refund(actor, &order, &record, method, Some(reference))
                    .await
            }
        }
    }

    pub(crate) async fn refund_card(
        &self,
        actor: &Actor,
        order: &Order,
        record: &Return,
    ) -> Result<Return, ShopError> {
        let captured = self
            .store()
            .attempts_of(&order.id)
            .await?
            .into_iter()
            .rev()
            .find(|a| a.operation == "capture" && a.status == "succeeded")
            .and_then(|a| a.processor_ref);
        let Some(processor_ref) = captured else {
            return Err(ShopError::InvalidTransition(
                "the card payment was never captured, so there is nothing to refund".into(),
            ));
        };
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        let Some(current) = store_returns::get_in(&mut tx, &record.id).await? else {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::ReturnNotFound);
        };
        if current.status != ReturnStatus::Received {
            tx.rollback().await.map_err(StoreError::from)?;
            return self
                .moved_meanwhile(&record.id, ReturnStatus::Refunded)
                .await;
        }
        // The attempt under way (or done) is sent again under its key;
        // otherwise a new one is written before the processor is called.
        let under_way = match &current.refund_attempt_id {
            Some(attempt_id) => store_returns::attempt_status_in(&mut tx, attempt_id)
                .await?
                .filter(|s| !matches!(s.as_str(), "declined" | "failed"))
                .map(|s| (attempt_id.clone(), s)),
            None => None,
        };
        let attempt_id = match under_way {
            Some((_, status)) if status == "succeeded" => {
                tx.rollback().await.map_err(StoreError::from)?;
                return self.finish_refund(actor, order, record, "card", None).await;
            }
            Some((attempt_id, _)) => attempt_id,
            None => {
                let attempt = PaymentAttempt {
                    id: new_id(),
                    order_id: order.id.clone(),
                    operation: "refund".into(),
                    amount: record.amount,
                    status: "pending".into(),
                    processor: self.gateway.name().into(),
                    processor_ref: Some(processor_ref.clone()),
                    decline_code: None,
                    created_at: now,
                };
                attempts::insert_attempt(&mut tx, &attempt).await?;
                store_returns::set_refund_attempt(&mut tx, &record.id, Some(&attempt.id), now)
                    .await?;
                attempt.id
            }
        };
        tx.commit().await.map_err(StoreError::from)?;

        let outcome = match self
            .gateway
            .refund(&attempt_id, &processor_ref, record.amount)
            .await
        {
            Ok(done) => Ok(done),
            Err(err) if err.in_doubt() => {
                tracing::warn!(order = %order.number, error = %err, "refund in doubt: asking the processor");
                self.store()
                    .mark_attempt_in_doubt(&attempt_id, self.now())
                    .await?;
                match self.gateway.sync(&attempt_id).await {
                    Ok(Some(SyncedOperation::Refund(done))) => Ok(done),
                    // Never received: the same key sends it on the next try.
                    Ok(_) => return Err(ShopError::PaymentUnavailable),
                    Err(_) => return Err(ShopError::PaymentInDoubt),
                }
            }
            Err(err) => Err(err),
        };
        match outcome {
            Ok(done) => {
                let mut tx = self.store().begin_write().await?;
                attempts::resolve_attempt(
                    &mut tx,
                    &attempt_id,
                    "succeeded",
                    Some(&done.processor_ref),
                    None,
                    self.now(),
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                tracing::info!(order = %order.number, amount = %done.amount, "return refunded to the card");
                self.finish_refund(actor, order, record, "card", Some(&done.processor_ref))
                    .await
            }
            Err(err) => {
                tracing::warn!(order = %order.number, error = %err, "refund refused by the processor");
                let now = self.now();
                let mut tx = self.store().begin_write().await?;
                attempts::resolve_attempt(
                    &mut tx,
                    &attempt_id,
                    "declined",
                    Some(&processor_ref),
                    Some("refund_refused"),
                    now,
                )
                .await?;
                store_returns::set_refund_attempt(&mut tx, &record.id, None, now).await?;
                audit::record(
                    &mut tx,
                    &actor.audit(
                        now,
                        "return.refund_refused",
                        &format!("order:{}", order.number),
                        serde_json::json!({"return": record.id, "reason": err.to_string()}),
                    ),
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                Err(ShopError::InvalidTransition(format!(
                    "the payment processor refused the refund: {err}"
                )))
            }
        }
    }

    /// received → refunded, with its timeline, audit and letter.
    async fn finish_refund(
        &self,
        actor: &Actor,
        order: &Order,
        record: &Return,
        method: &str,
        reference: Option<&str>,
    ) -> Result<Return, ShopError> {
        let means = match method {
            "card" => "to the card used for the order",
            "wire" => "by bank transfer",
            _ => "in cash at the boutique",
        };
        self.move_return(
            actor,
            order,
            record,
            (ReturnStatus::Received, ReturnStatus::Refunded),
            &ReturnChange {
                refund_method: Some(method),
                refund_reference: reference,
                ..ReturnChange::default()
            },
            "return.refund",
            &format!("Refunded {} {means}.", record.amount.display()),
            serde_json::json!({"method": method, "reference": reference, "amount": record.amount.amount_string()}),
            (
                "return_refunded",
                "return has been refunded",
                vec![format!(
                    "Your return for order {} has been refunded: {} {means}. Depending on your bank, it may take a few days to appear on your statement.",
                    order.number,
                    record.amount.display()
                )],
            ),
        )
        .await
    }
}
