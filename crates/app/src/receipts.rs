//! Receipts of wire and cash orders (rule R2): each payment recorded with
//! its reference; partial receipts add up; the order is confirmed, and its
//! confirmation sent, when fully paid. Cash over the reporting threshold is
//! flagged on the order and in the audit log.

use maison_domain::Money;
use maison_domain::order::{Order, OrderCommand, OrderNumber, OrderStatus};
use maison_domain::payment::Payment;
use maison_domain::receipt::{
    Balance, MAX_REFERENCE_CHARS, Receipt, ReceiptMethod, ReceiptRefusal,
    passes_large_cash_threshold,
};
use maison_store::idempotency;
use maison_store::{StoreError, audit, orders, outbox, receipts};

use crate::actor::{Action, Actor};
use crate::checkout::{checked_key, digest, earlier_answer};
use crate::clock::new_id;
use crate::documents::confirmation_message;
use crate::input::invalid;
use crate::order_desk::advance_as;
use crate::{Maison, ShopError};

pub struct ReceiptRequest {
    /// `wire` or `cash`.
    pub method: String,
    pub amount: Money,
    pub reference: String,
}

/// A recorded receipt and the order after it.
pub struct RecordedReceipt {
    pub receipt: Receipt,
    pub order: Order,
    pub balance: Balance,
    /// The cash received on the order has just passed the reporting threshold.
    pub large_cash: bool,
}

impl Maison {
    /// What a wire or cash order owes, and its receipts.
    pub async fn order_balance(&self, order: &Order) -> Result<(Balance, Vec<Receipt>), ShopError> {
        let receipts = self.store().receipts_of_order(&order.id).await?;
        Ok((Balance::of(order.total, &receipts), receipts))
    }

    /// Records a payment received on a wire or cash order, once per
    /// `Idempotency-Key` when one is given (a double click on a cash receipt
    /// records it once; a bank reference is unique anyway).
    pub async fn record_receipt(
        &self,
        actor: &Actor,
        number: &str,
        request: ReceiptRequest,
        idempotency_key: Option<&str>,
    ) -> Result<RecordedReceipt, ShopError> {
        let member = actor.may(Action::RecordReceipt)?.clone();
        let key = idempotency_key.map(checked_key).transpose()?;
        let scope = format!("receipt:{}", member.id);
        let fingerprint = digest([
            number.trim(),
            request.method.trim(),
            &request.amount.amount_string(),
            request.reference.trim(),
        ]);
        if let Some(key) = key
            && let Some(body) = earlier_answer(
                self.store().idempotency_state(&scope, key).await?,
                &fingerprint,
            )?
        {
            return self.recorded_receipt(&body).await;
        }
        let method = ReceiptMethod::parse(request.method.trim())
            .ok_or_else(|| invalid("invalid_method", "method", "Choose wire or cash."))?;
        let reference = request.reference.trim().to_owned();
        if reference.is_empty()
            || reference.chars().count() > MAX_REFERENCE_CHARS
            || reference.chars().any(char::is_control)
        {
            return Err(invalid(
                "invalid_reference",
                "reference",
                format!(
                    "Enter the bank's reference of the transfer, or the boutique's receipt number (at most {MAX_REFERENCE_CHARS} characters)."
                ),
            ));
        }
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        let order = self
            .store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        if !matches!(order.payment, Payment::Wire | Payment::Cash) {
            return Err(ShopError::NotPaidByReceipts);
        }
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        // One receipt at a time per order: the balance read below is the
        // balance the receipt is checked against.
        orders::lock(&mut tx, &order.id, now).await?;
        let status = orders::status_in(&mut tx, &order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        if status != OrderStatus::Placed {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::InvalidTransition(format!(
                "payments are recorded while the order awaits them, and it is {}",
                status.as_str()
            )));
        }
        let earlier = receipts::of_order_in(&mut tx, &order.id).await?;
        let balance = Balance::of(order.total, &earlier)
            .receive(request.amount)
            .map_err(|refusal| match refusal {
                ReceiptRefusal::ExceedsBalance { balance } => {
                    ShopError::ReceiptExceedsBalance { balance }
                }
                other => invalid("invalid_amount", "amount", other.to_string()),
            });
        let balance = match balance {
            Ok(balance) => balance,
            Err(err) => {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(err);
            }
        };
        let receipt = Receipt {
            id: new_id(),
            order_id: order.id.clone(),
            method,
            amount: request.amount,
            reference,
            recorded_by: member.email.clone(),
            received_at: now,
        };
        if let Some(key) = key
            && !idempotency::claim_key(&mut tx, &scope, key, &fingerprint, &order.id, now).await?
        {
            // The same request, sent twice at once: the first one answers.
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::KeyInUse);
        }
        if !receipts::insert(&mut tx, &receipt).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::DuplicateReference);
        }
        if let Some(key) = key {
            idempotency::complete_key(&mut tx, &scope, key, 201, &receipt.id).await?;
        }
        let cash_before = Money::new(
            earlier
                .iter()
                .filter(|r| r.method == ReceiptMethod::Cash)
                .map(|r| r.amount.minor())
                .sum(),
            order.total.currency(),
        );
        let large_cash = method == ReceiptMethod::Cash
            && passes_large_cash_threshold(cash_before, receipt.amount)
            && !passes_large_cash_threshold(cash_before, Money::new(0, cash_before.currency()));
        if large_cash {
            orders::flag_large_cash(&mut tx, &order.id).await?;
        }
        let subject = format!("order:{}", order.number);
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.receipt",
                &subject,
                serde_json::json!({
                    "method": method.as_str(),
                    "amount": receipt.amount.amount_string(),
                    "reference": receipt.reference,
                    "received": balance.received.amount_string(),
                    "due": balance.due.amount_string(),
                    "large_cash": large_cash,
                }),
            ),
        )
        .await?;
        if large_cash {
            audit::record(
                &mut tx,
                &actor.audit(
                    now,
                    "order.large_cash",
                    &subject,
                    serde_json::json!({
                        "cash_received": cash_before
                            .checked_add(receipt.amount)
                            .unwrap_or(receipt.amount)
                            .amount_string(),
                        "threshold": maison_domain::receipt::LARGE_CASH_THRESHOLD.amount_string(),
                    }),
                ),
            )
            .await?;
        }
        if balance.is_paid() {
            advance_as(
                &mut tx,
                actor,
                &order.id,
                OrderStatus::Placed,
                OrderCommand::Confirm,
                "Payment received in full; your creations are reserved.",
                now,
            )
            .await?;
            let mut confirmed = order.clone();
            confirmed.status = OrderStatus::Confirmed;
            outbox::enqueue(&mut tx, &confirmation_message(self, &confirmed), now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, method = method.as_str(), amount = %receipt.amount, paid = balance.is_paid(), "receipt recorded");
        let order = self
            .store()
            .order(&order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(RecordedReceipt {
            receipt,
            order,
            balance,
            large_cash,
        })
    }
}

impl Maison {
    /// A receipt recorded before, as its request answered (a replay).
    async fn recorded_receipt(&self, receipt_id: &str) -> Result<RecordedReceipt, ShopError> {
        let order_id = self
            .store()
            .receipt_order(receipt_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        let order = self
            .store()
            .order(&order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        let all = self.store().receipts_of_order(&order_id).await?;
        let at = all
            .iter()
            .position(|r| r.id == receipt_id)
            .ok_or(ShopError::OrderNotFound)?;
        let cash_before = Money::new(
            all[..at]
                .iter()
                .filter(|r| r.method == ReceiptMethod::Cash)
                .map(|r| r.amount.minor())
                .sum(),
            order.total.currency(),
        );
        let receipt = all[at].clone();
        let large_cash = receipt.method == ReceiptMethod::Cash
            && passes_large_cash_threshold(cash_before, receipt.amount)
            && !passes_large_cash_threshold(cash_before, Money::new(0, cash_before.currency()));
        Ok(RecordedReceipt {
            balance: Balance::of(order.total, &all),
            receipt,
            order,
            large_cash,
        })
    }
}
