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
use maison_store::{StoreError, audit, orders, outbox, receipts};

use crate::actor::{Action, Actor};
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

    /// Records a payment received on a wire or cash order.
    pub async fn record_receipt(
        &self,
        actor: &Actor,
        number: &str,
        request: ReceiptRequest,
    ) -> Result<RecordedReceipt, ShopError> {
        let member = actor.may(Action::RecordReceipt)?.clone();
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
        if !receipts::insert(&mut tx, &receipt).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::DuplicateReference);
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
