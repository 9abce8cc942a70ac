//! Orders as staff see and change them: the list and the full order for any
//! role, cancellation by Client Relations before processing (rule R8),
//! processing by fulfilment. Every move goes through the lifecycle's one
//! decision (`domain::order::decide`) and the one storage move (a
//! compare-and-set with its timeline event), with its audit event, in one
//! transaction.

use maison_domain::order::OrderRequest;
use maison_domain::order::{
    CommandRefused, Decision, OrderCommand, OrderNumber, OrderStatus, decide,
};
use maison_domain::order::{OrderEvent, OrderListItem};
pub use maison_domain::payment::PaymentAttempt;
use maison_store::accounts::email_key;
use maison_store::orders;
use maison_store::{StoreError, Tx, audit, outbox, stock};

use crate::actor::{Action, Actor};
use crate::input::invalid;
use crate::{Maison, Order, ShopError};

/// Orders per page at most.
pub const MAX_PAGE: u32 = 50;

pub struct StaffOrderPage {
    pub items: Vec<OrderListItem>,
    pub next_cursor: Option<String>,
}

/// An order as staff see it: with its payment operations and the clients'
/// requests still open.
pub struct StaffOrder {
    pub order: Order,
    pub payments: Vec<PaymentAttempt>,
    pub open_requests: Vec<OrderRequest>,
}

impl StaffOrder {
    /// Where the card payment stands, from its operations (the last of each
    /// kind): `voided`, `void_pending`, `authorised`, `failed`, `pending`, or
    /// `none` for an order paid otherwise.
    pub fn payment_state(&self) -> &'static str {
        // The hold the card is under: the latest authorisation that
        // succeeded (a changed order's new total replaces the first).
        let hold = self.payments.iter().rev().find(|a| {
            matches!(a.operation.as_str(), "authorise" | "reauthorise") && a.status == "succeeded"
        });
        match hold {
            Some(hold) => {
                let void = self.payments.iter().rev().find(|a| {
                    a.operation == "void"
                        && a.processor_ref.is_some()
                        && a.processor_ref == hold.processor_ref
                });
                match void {
                    Some(void) if void.status == "succeeded" => "voided",
                    Some(void) if void.status != "failed" => "void_pending",
                    _ => "authorised",
                }
            }
            None => match self
                .payments
                .iter()
                .rev()
                .find(|a| a.operation == "authorise")
            {
                Some(auth) if matches!(auth.status.as_str(), "declined" | "failed") => "failed",
                Some(_) => "pending",
                None => "none",
            },
        }
    }
}

fn refused(err: CommandRefused) -> ShopError {
    match err {
        CommandRefused::NotModifiable(status) => ShopError::OrderNotModifiable(status),
        other => ShopError::InvalidTransition(other.to_string()),
    }
}

/// A move the system makes inside a larger transaction (the card's
/// authorisation, its failure): decided by the lifecycle, applied by
/// compare-and-set with its timeline event. Returns the new status.
pub(crate) async fn advance(
    tx: &mut Tx,
    order_id: &str,
    from: OrderStatus,
    command: OrderCommand,
    note: &str,
    at: i64,
) -> Result<OrderStatus, ShopError> {
    advance_as(
        tx,
        &Actor::System("checkout"),
        order_id,
        from,
        command,
        note,
        at,
    )
    .await
}

/// As [`advance`], by `actor` (a receipt that completes the payment).
pub(crate) async fn advance_as(
    tx: &mut Tx,
    actor: &Actor,
    order_id: &str,
    from: OrderStatus,
    command: OrderCommand,
    note: &str,
    at: i64,
) -> Result<OrderStatus, ShopError> {
    let Decision::Move(to) = decide(from, command).map_err(refused)? else {
        return Ok(from);
    };
    let event = OrderEvent {
        at,
        status: to,
        note: note.into(),
        actor: actor.timeline_name(),
    };
    let Some(moved) = orders::move_status(tx, order_id, from, to, &event).await? else {
        return Err(ShopError::InvalidTransition(format!(
            "the order is no longer {}",
            from.as_str()
        )));
    };
    crate::webhooks::announce_order(tx, &moved, to, at).await?;
    Ok(to)
}

impl Maison {
    /// Orders newest first, by status or client e-mail, `limit` at a time.
    pub async fn staff_orders(
        &self,
        actor: &Actor,
        status: Option<&str>,
        email: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<StaffOrderPage, ShopError> {
        actor.may(Action::ViewOrders)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
                invalid(
                    "invalid_status",
                    "status",
                    "Choose one of the order statuses, such as confirmed.",
                )
            })?),
        };
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if email.is_some_and(|e| e.len() > 254) {
            return Err(invalid(
                "invalid_email",
                "email",
                "Enter an e-mail address.",
            ));
        }
        let after = crate::input::page_after(cursor, "list")?;
        let limit = limit.clamp(1, MAX_PAGE);
        let key = email.map(email_key);
        let mut items = self
            .store()
            .orders_for_staff(status, key.as_deref(), after, limit + 1)
            .await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| items.last().map(|o| format!("{}_{}", o.created_at, o.id)))
            .flatten();
        Ok(StaffOrderPage { items, next_cursor })
    }

    async fn order_numbered(&self, number: &str) -> Result<Order, ShopError> {
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        self.store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)
    }

    /// One order in full, for any staff role.
    pub async fn staff_order(&self, actor: &Actor, number: &str) -> Result<StaffOrder, ShopError> {
        actor.may(Action::ViewOrders)?;
        let order = self.order_numbered(number).await?;
        let payments = self.store().attempts_of(&order.id).await?;
        let open_requests = self
            .store()
            .requests_of_order(&order.id)
            .await?
            .into_iter()
            .filter(|r| r.status == "open")
            .collect();
        Ok(StaffOrder {
            order,
            payments,
            open_requests,
        })
    }

    /// Cancels an order that is not yet in processing: the card's hold is
    /// released, the stock comes back, the reason is recorded, the client is
    /// told. Cancelling a cancelled order answers it unchanged.
    pub async fn cancel_order(
        &self,
        actor: &Actor,
        number: &str,
        reason: &str,
    ) -> Result<Order, ShopError> {
        actor.may(Action::CancelOrder)?;
        let reason = crate::input::reason(reason, "cancellation")?;
        let reason = reason.as_str();
        let order = self.order_numbered(number).await?;
        let now = self.now();
        let event = OrderEvent {
            at: now,
            status: OrderStatus::Cancelled,
            // The reason stays with the staff (audit log): clients read this.
            note: "Your order has been cancelled by Client Relations.".into(),
            actor: actor.timeline_name(),
        };
        let details = serde_json::json!({"reason": reason, "from": order.status.as_str()});
        let hold = self
            .store()
            .current_hold(&order.id)
            .await?
            .and_then(|a| a.processor_ref);
        let mut tx = match self
            .move_order(actor, &order, OrderCommand::Cancel, &event, details)
            .await?
        {
            Some(tx) => tx,
            None => return self.order_numbered(number).await,
        };
        let mut came_back = false;
        for line in crate::checkout::lines_by_sku(&order.lines) {
            came_back |= stock::release(&mut tx, &line.sku, line.quantity).await? == line.quantity;
        }
        if came_back {
            stock::availability_changed(&mut tx).await?;
        }
        // The hold on the card is released after the commit; its attempt is
        // written now, so that the void is never forgotten.
        let void = match hold {
            Some(processor_ref) => Some((
                self.record_void(&mut tx, &order, &processor_ref, now)
                    .await?,
                processor_ref,
            )),
            None => None,
        };
        outbox::enqueue(
            &mut tx,
            &self.cancellation_letter(&order, void.is_some()),
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        // The hold first: the client's funds matter more than the catalogue
        // snapshot (which every instance refreshes on its own anyway).
        if let Some((attempt_id, processor_ref)) = void
            && let Err(err) = self.void_hold(&attempt_id, &processor_ref).await
        {
            tracing::warn!(order = %order.number, error = %err, "void not recorded: recovery sends it again");
        }
        if came_back && let Err(err) = self.refresh_catalogue().await {
            tracing::warn!(error = %err, "catalogue not refreshed after a cancellation");
        }
        tracing::info!(order = %order.number, actor = %actor.timeline_name(), "order cancelled");
        self.order_numbered(number).await
    }

    /// Starts preparing a confirmed order: the point after which it can no
    /// longer be changed or cancelled.
    pub async fn process_order(&self, actor: &Actor, number: &str) -> Result<Order, ShopError> {
        actor.may(Action::ProcessOrder)?;
        let order = self.order_numbered(number).await?;
        let event = OrderEvent {
            at: self.now(),
            status: OrderStatus::Processing,
            note: "Your creations are being prepared.".into(),
            actor: actor.timeline_name(),
        };
        let details = serde_json::json!({"from": order.status.as_str()});
        if let Some(tx) = self
            .move_order(actor, &order, OrderCommand::Process, &event, details)
            .await?
        {
            tx.commit().await.map_err(StoreError::from)?;
            tracing::info!(order = %order.number, actor = %actor.timeline_name(), "order in processing");
        }
        self.order_numbered(number).await
    }

    /// The lifecycle's one write path: decides `command` on the order as read,
    /// then moves it in a new transaction only if it is still in that status
    /// (another instance, or another member of staff, may have moved it), with
    /// its timeline and audit events. `None` when there is nothing to do (the
    /// command was already carried out); a refusal when the lifecycle forbids
    /// it, now or after a concurrent move. The caller adds to the transaction
    /// and commits it.
    async fn move_order(
        &self,
        actor: &Actor,
        order: &Order,
        command: OrderCommand,
        event: &OrderEvent,
        details: serde_json::Value,
    ) -> Result<Option<Tx>, ShopError> {
        let to = match decide(order.status, command).map_err(refused)? {
            Decision::Unchanged => return Ok(None),
            Decision::Move(to) => to,
        };
        let mut tx = self.store().begin_write().await?;
        let Some(moved) = orders::move_status(&mut tx, &order.id, order.status, to, event).await?
        else {
            tx.rollback().await.map_err(StoreError::from)?;
            // Moved meanwhile: the decision on the status it has now.
            let now = self
                .store()
                .order(&order.id)
                .await?
                .ok_or(ShopError::OrderNotFound)?;
            return match decide(now.status, command).map_err(refused)? {
                Decision::Unchanged => Ok(None),
                Decision::Move(_) => Err(ShopError::InvalidTransition(format!(
                    "the order changed while this request was made (now {}): try again",
                    now.status.as_str()
                ))),
            };
        };
        crate::webhooks::announce_order(&mut tx, &moved, to, event.at).await?;
        let subject = format!("order:{}", order.number);
        let action = format!("order.{}", command.as_str());
        audit::record(&mut tx, &actor.audit(event.at, &action, &subject, details)).await?;
        Ok(Some(tx))
    }

    fn cancellation_letter(
        &self,
        order: &Order,
        hold_released: bool,
    ) -> maison_store::outbox::OutboxMessage {
        let mut paragraphs = vec![format!(
            "As agreed with Client Relations, your order {} has been cancelled.",
            order.number
        )];
        if hold_released {
            paragraphs.push(
                "The amount held on your card is being released: nothing was charged. Depending on your bank, the hold may take a few days to disappear from your statement."
                    .to_owned(),
            );
        }
        self.order_letter("order_cancelled", order, "has been cancelled", paragraphs)
    }
}
