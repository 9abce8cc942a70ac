//! Reconciliation: the processor's ledger against the orders, as a finance
//! team checks a settlement report. After a crash and its recovery, every hold
//! or capture at the processor belongs to an order that keeps it, every card
//! order that should hold funds does, and no payment is left in doubt.

use std::collections::HashMap;
use std::fmt;

use maison_domain::Money;
use maison_domain::order::OrderStatus;
use maison_domain::payment::Payment;
use maison_payments::{PaymentSnapshot, PaymentState};

use crate::{Maison, ShopError};

/// One disagreement between the processor and the orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The processor holds or took money for an order the maison does not have.
    NoOrder {
        processor_ref: String,
        reference: String,
        state: PaymentState,
        amount: Money,
    },
    /// A hold still in force that its order does not keep: the order failed,
    /// was cancelled, or holds another authorisation now.
    HoldNotReleased {
        processor_ref: String,
        order: String,
        status: OrderStatus,
        amount: Money,
    },
    /// Money taken (and not refunded) for an order that failed or was cancelled.
    CapturedNotRefunded {
        processor_ref: String,
        order: String,
        status: OrderStatus,
        amount: Money,
    },
    /// A card order waiting for capture whose hold the processor neither
    /// holds nor has captured.
    OrderWithoutHold {
        order: String,
        status: OrderStatus,
        processor_ref: Option<String>,
        state: Option<PaymentState>,
    },
    /// An operation sent to the processor whose outcome is not recorded yet.
    InDoubt {
        order: String,
        operation: String,
        attempt: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::NoOrder {
                processor_ref,
                reference,
                state,
                amount,
            } => write!(
                f,
                "{processor_ref}: {amount} {} for {reference:?}, which is no order of the maison",
                state_word(*state)
            ),
            Mismatch::HoldNotReleased {
                processor_ref,
                order,
                status,
                amount,
            } => write!(
                f,
                "{processor_ref}: {amount} still held for order {order}, which is {} and does not keep this hold: void it",
                status.as_str()
            ),
            Mismatch::CapturedNotRefunded {
                processor_ref,
                order,
                status,
                amount,
            } => write!(
                f,
                "{processor_ref}: {amount} captured and not refunded for order {order}, which is {}",
                status.as_str()
            ),
            Mismatch::OrderWithoutHold {
                order,
                status,
                processor_ref,
                state,
            } => match (processor_ref, state) {
                (Some(r), Some(s)) => write!(
                    f,
                    "order {order} ({}) relies on {r}, which the processor shows {}",
                    status.as_str(),
                    state_word(*s)
                ),
                (Some(r), None) => write!(
                    f,
                    "order {order} ({}) relies on {r}, which the processor does not know",
                    status.as_str()
                ),
                (None, _) => write!(
                    f,
                    "order {order} ({}) is paid by card but holds no authorisation",
                    status.as_str()
                ),
            },
            Mismatch::InDoubt {
                order,
                operation,
                attempt,
            } => write!(
                f,
                "order {order}: the {operation} {attempt} has no recorded outcome yet (recovery asks the processor)"
            ),
        }
    }
}

fn state_word(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Authorised => "held",
        PaymentState::Expired => "expired",
        PaymentState::Captured => "captured",
        PaymentState::Voided => "voided",
    }
}

/// What a reconciliation found.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    /// Payments the processor listed.
    pub payments: usize,
    /// Card orders checked against them.
    pub orders: usize,
    pub mismatches: Vec<Mismatch>,
}

/// Statuses in which a card order's payment is held, not yet captured.
const AWAITING_CAPTURE: [OrderStatus; 2] = [OrderStatus::Confirmed, OrderStatus::Processing];

impl Maison {
    /// Compares the processor's ledger with the orders (read only).
    pub async fn reconcile(&self) -> Result<Reconciliation, ShopError> {
        let payments = self
            .gateway
            .list_payments()
            .await
            .map_err(|_| ShopError::PaymentUnavailable)?;
        let by_ref: HashMap<&str, &PaymentSnapshot> = payments
            .iter()
            .map(|p| (p.processor_ref.as_str(), p))
            .collect();
        let mut found = Reconciliation {
            payments: payments.len(),
            ..Reconciliation::default()
        };

        for payment in &payments {
            let taken = payment
                .captured
                .map_or(0, |c| c.minor() - payment.refunded.minor());
            let owes = payment.state == PaymentState::Authorised || taken > 0;
            if !owes {
                continue;
            }
            let Some(order) = self.store().order_by_number(&payment.reference).await? else {
                found.mismatches.push(Mismatch::NoOrder {
                    processor_ref: payment.processor_ref.clone(),
                    reference: payment.reference.clone(),
                    state: payment.state,
                    amount: payment.captured.unwrap_or(payment.authorised),
                });
                continue;
            };
            let given_up = matches!(
                order.status,
                OrderStatus::PaymentFailed | OrderStatus::Cancelled
            );
            if payment.state == PaymentState::Authorised {
                let kept = self.store().current_hold(&order.id).await?;
                let is_current =
                    kept.and_then(|a| a.processor_ref).as_deref() == Some(&payment.processor_ref);
                if given_up || !is_current {
                    found.mismatches.push(Mismatch::HoldNotReleased {
                        processor_ref: payment.processor_ref.clone(),
                        order: order.number.clone(),
                        status: order.status,
                        amount: payment.authorised,
                    });
                }
            } else if given_up && taken > 0 {
                found.mismatches.push(Mismatch::CapturedNotRefunded {
                    processor_ref: payment.processor_ref.clone(),
                    order: order.number.clone(),
                    status: order.status,
                    amount: Money::new(taken, payment.authorised.currency()),
                });
            }
        }

        for status in AWAITING_CAPTURE {
            for id in self.store().order_ids_in(status).await? {
                let Some(order) = self.store().order(&id).await? else {
                    continue;
                };
                if !matches!(order.payment, Payment::Card(_)) {
                    continue;
                }
                found.orders += 1;
                let hold = self
                    .store()
                    .current_hold(&id)
                    .await?
                    .and_then(|a| a.processor_ref);
                let state = hold.as_deref().and_then(|r| by_ref.get(r)).map(|p| p.state);
                // Held, or captured already (a capture settled by recovery
                // before the shipment it belongs to).
                if !matches!(
                    state,
                    Some(PaymentState::Authorised | PaymentState::Captured)
                ) {
                    found.mismatches.push(Mismatch::OrderWithoutHold {
                        order: order.number.clone(),
                        status: order.status,
                        processor_ref: hold,
                        state,
                    });
                }
            }
        }

        for attempt in self.store().unresolved_attempts().await? {
            let order = self
                .store()
                .order(&attempt.order_id)
                .await?
                .map_or_else(|| attempt.order_id.clone(), |o| o.number);
            found.mismatches.push(Mismatch::InDoubt {
                order,
                operation: attempt.operation.clone(),
                attempt: attempt.id.clone(),
            });
        }
        Ok(found)
    }
}
