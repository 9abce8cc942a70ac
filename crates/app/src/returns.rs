//! Returns under the Conditions of Sale (PRODUCT.md §2, rules R8 and R9):
//! asked for by the client (or Client Relations for them) within the window
//! after delivery or collection, never for a personalised line; authorised,
//! received (the piece back in stock, or not) and refunded by staff to the
//! original means of payment, or rejected with a reason. Every step is on the
//! order's timeline and in the audit log, in the transaction of the change,
//! and the client is told by e-mail (outbox).
//!
//! A card refund follows the payment attempts' rule: the attempt is written
//! first (its id is the processor's idempotency key and is kept on the
//! return), then the processor is called, then the outcome is recorded; a
//! retry sends the same key again, so a refund is never paid twice.

use maison_domain::Money;
use maison_domain::order::{Order, OrderEvent, OrderStatus};
use maison_domain::returns::ReturnStatus;
use maison_store::returns::{self as store_returns, ReturnChange, ReturnLine, ReturnRecord};
use maison_store::{StoreError, Tx, audit, orders, outbox, stock};

use crate::actor::{Action, Actor};
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, ShopError};

pub use maison_domain::returns::Return;

const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// One of the order's lines, by its `line_id` (the line number), and how
/// many of it come back.
#[derive(Debug, Clone)]
pub struct ReturnLineRequest {
    pub line_id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone)]
pub struct ReturnRequest {
    pub lines: Vec<ReturnLineRequest>,
    pub reason: String,
}

/// Whether an order's creations may be returned now, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returnability {
    /// Until `until` (microseconds), for these line numbers and quantities.
    Open { until: i64, lines: Vec<ReturnLine> },
    /// Not delivered or collected yet.
    NotYet,
    /// The window closed at `closed` (microseconds).
    WindowClosed { closed: i64 },
    /// Every line still returnable is personalised (final sale), or already
    /// in a return.
    Nothing,
}

impl Maison {
    /// The order a return is asked for: the client's own (any other is not
    /// found), or any order for Client Relations.
    async fn order_for_return(&self, actor: &Actor, number: &str) -> Result<Order, ShopError> {
        match actor {
            Actor::Client { .. } => self.account_order(actor, number).await,
            _ => {
                actor.may(Action::HandleReturn)?;
                self.order_for_staff(number).await
            }
        }
    }

    /// When the order's creations reached the client, and the end of the
    /// return window.
    async fn return_window(&self, order: &Order) -> Result<Option<(i64, i64)>, ShopError> {
        if !matches!(
            order.status,
            OrderStatus::Delivered | OrderStatus::Collected
        ) {
            return Ok(None);
        }
        let Some(received) = self.store().received_at(&order.id).await? else {
            return Ok(None);
        };
        let days = i64::from(self.policies.return_window_days);
        Ok(Some((received, received.saturating_add(days * DAY_MICROS))))
    }

    /// Whether the order's creations may be returned now (for the order's
    /// page): the lines and quantities still returnable.
    pub async fn returnability(&self, order: &Order) -> Result<Returnability, ShopError> {
        let Some((_, until)) = self.return_window(order).await? else {
            return Ok(Returnability::NotYet);
        };
        if self.now() > until {
            return Ok(Returnability::WindowClosed { closed: until });
        }
        let returned = self.store().returns_of_order(&order.id).await?;
        let lines: Vec<ReturnLine> = order
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.final_sale)
            .filter_map(|(i, l)| {
                let line_no = u32::try_from(i + 1).ok()?;
                let taken: u32 = returned
                    .iter()
                    .filter(|r| r.status != ReturnStatus::Rejected)
                    .flat_map(|r| r.lines.iter())
                    .filter(|rl| rl.line_no == line_no)
                    .map(|rl| rl.quantity)
                    .sum();
                let left = l.quantity.saturating_sub(taken);
                (left > 0).then_some(ReturnLine {
                    line_no,
                    quantity: left,
                })
            })
            .collect();
        if lines.is_empty() {
            return Ok(Returnability::Nothing);
        }
        Ok(Returnability::Open { until, lines })
    }

    /// The returns of an order its caller already may see (the order page).
    pub async fn returns_of(&self, order: &Order) -> Result<Vec<Return>, ShopError> {
        Ok(self.store().returns_of_order(&order.id).await?)
    }

    /// Asks for a return of some of a delivered or collected order's lines.
    pub async fn request_return(
        &self,
        actor: &Actor,
        number: &str,
        request: ReturnRequest,
    ) -> Result<Return, ShopError> {
        let order = self.order_for_return(actor, number).await?;
        let reason = crate::input::reason(&request.reason, "return")?;
        if request.lines.is_empty() || request.lines.len() > order.lines.len() {
            return Err(invalid(
                "invalid_lines",
                "lines",
                "Choose the creations to return, each by its line_id, with a quantity.",
            ));
        }
        let mut wanted: Vec<ReturnLine> = Vec::new();
        for line in &request.lines {
            let line_no = line
                .line_id
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1 && (*n as usize) <= order.lines.len());
            let Some(line_no) = line_no else {
                return Err(invalid(
                    "invalid_line_id",
                    "lines",
                    "Each line_id is one of the order's lines.",
                ));
            };
            if line.quantity == 0 || wanted.iter().any(|w| w.line_no == line_no) {
                return Err(invalid(
                    "invalid_quantity",
                    "lines",
                    "Return each line once, with a quantity of at least 1.",
                ));
            }
            wanted.push(ReturnLine {
                line_no,
                quantity: line.quantity,
            });
        }
        // Rule R9: a personalised line is never returned, whenever asked.
        let lines_of = |n: u32| &order.lines[(n - 1) as usize];
        if wanted.iter().any(|w| lines_of(w.line_no).final_sale) {
            return Err(ShopError::FinalSale);
        }
        let Some((_, until)) = self.return_window(&order).await? else {
            return Err(ShopError::InvalidTransition(format!(
                "creations are returned once delivered or collected, and the order is {}",
                order.status.as_str()
            )));
        };
        let now = self.now();
        if now > until {
            return Err(ShopError::ReturnWindowClosed {
                days: self.policies.return_window_days,
            });
        }
        let mut amount = Money::new(0, order.total.currency());
        for w in &wanted {
            let line = lines_of(w.line_no);
            amount = line
                .unit_price
                .checked_mul(w.quantity)
                .and_then(|v| amount.checked_add(v))
                .ok_or_else(|| invalid("invalid_quantity", "lines", "Too many creations."))?;
        }
        let record = ReturnRecord {
            id: new_id(),
            order_id: order.id.clone(),
            order_number: order.number.clone(),
            status: ReturnStatus::Requested,
            reason: reason.clone(),
            amount,
            restocked: None,
            rejection_reason: None,
            refund_method: None,
            refund_reference: None,
            refund_attempt_id: None,
            requested_by: actor.timeline_name(),
            created_at: now,
            updated_at: now,
            lines: wanted,
        };
        let mut tx = self.store().begin_write().await?;
        // One return at a time per order: the quantities read below are the
        // ones the new return is checked against.
        orders::lock(&mut tx, &order.id, now).await?;
        let taken = store_returns::returned_quantities_in(&mut tx, &order.id).await?;
        for w in &record.lines {
            let already: u32 = taken
                .iter()
                .filter(|t| t.line_no == w.line_no)
                .map(|t| t.quantity)
                .sum();
            if w.quantity.saturating_add(already) > lines_of(w.line_no).quantity {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(invalid(
                    "invalid_quantity",
                    "lines",
                    format!(
                        "Line {} can be returned {} time(s) at most: the rest was bought in fewer pieces or is already in a return.",
                        w.line_no,
                        lines_of(w.line_no).quantity.saturating_sub(already)
                    ),
                ));
            }
        }
        store_returns::insert(&mut tx, &record).await?;
        let pieces: u32 = record.lines.iter().map(|l| l.quantity).sum();
        self.return_step(
            &mut tx,
            actor,
            &order,
            &record,
            "return.request",
            &format!("Return requested ({pieces} creation(s)); Client Relations will authorise it."),
            serde_json::json!({"reason": reason, "amount": amount.amount_string(),
                "lines": record.lines.iter().map(|l| serde_json::json!({"line_id": l.line_no.to_string(), "quantity": l.quantity})).collect::<Vec<_>>()}),
            (
                "return_requested",
                "return has been requested",
                vec![
                    format!("We have received your request to return {pieces} creation(s) from order {}.", order.number),
                    "Client Relations will review it and send you the instructions for sending the creations back.".to_owned(),
                ],
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, r#return = %record.id, "return requested");
        self.store()
            .return_by_id(&record.id)
            .await?
            .ok_or(ShopError::ReturnNotFound)
    }

    /// The order's returns: the client's own order, or any for staff.
    pub async fn order_returns(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<(Order, Vec<Return>), ShopError> {
        let order = match actor {
            Actor::Client { .. } => self.account_order(actor, number).await?,
            _ => {
                actor.may(Action::ViewOrders)?;
                self.order_for_staff(number).await?
            }
        };
        let returns = self.store().returns_of_order(&order.id).await?;
        Ok((order, returns))
    }

    /// Returns newest first, of one status or all (the console's list).
    pub async fn staff_returns(
        &self,
        actor: &Actor,
        status: Option<&str>,
    ) -> Result<Vec<Return>, ShopError> {
        actor.may(Action::ViewOrders)?;
        let status = status.map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = status
            && ReturnStatus::parse(s).is_none()
        {
            return Err(invalid(
                "invalid_status",
                "status",
                "Choose requested, authorised, received, refunded or rejected.",
            ));
        }
        Ok(self.store().recent_returns(status, 200).await?)
    }

    pub(crate) async fn staff_return(&self, id: &str) -> Result<(Return, Order), ShopError> {
        let record = self
            .store()
            .return_by_id(id.trim())
            .await?
            .ok_or(ShopError::ReturnNotFound)?;
        let order = self
            .store()
            .order(&record.order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok((record, order))
    }

    /// Client Relations authorise a requested return: the client is sent
    /// the instructions.
    pub async fn authorise_return(&self, actor: &Actor, id: &str) -> Result<Return, ShopError> {
        actor.may(Action::HandleReturn)?;
        let (record, order) = self.staff_return(id).await?;
        if record.status == ReturnStatus::Authorised {
            return Ok(record);
        }
        self.move_return(
            actor,
            &order,
            &record,
            (ReturnStatus::Requested, ReturnStatus::Authorised),
            &ReturnChange::default(),
            "return.authorise",
            "Return authorised: please send the creations back as instructed.",
            serde_json::json!({}),
            (
                "return_authorised",
                "return has been authorised",
                vec![format!(
                    "Your return for order {} has been authorised. Please send the creations back, in their original presentation, insured for their value; Client Relations will tell you how, should you need it.",
                    order.number
                )],
            ),
        )
        .await
    }

    /// Staff reject a return not yet refunded, with a reason the client reads.
    pub async fn reject_return(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<Return, ShopError> {
        actor.may(Action::HandleReturn)?;
        let reason = crate::input::reason(reason, "rejection")?;
        let (record, order) = self.staff_return(id).await?;
        if record.status == ReturnStatus::Rejected {
            return Ok(record);
        }
        if !matches!(
            record.status,
            ReturnStatus::Requested | ReturnStatus::Authorised
        ) {
            return Err(ShopError::InvalidTransition(format!(
                "a return is rejected before it is received, and this one is {}",
                record.status
            )));
        }
        self.move_return(
            actor,
            &order,
            &record,
            (record.status, ReturnStatus::Rejected),
            &ReturnChange {
                rejection_reason: Some(&reason),
                ..ReturnChange::default()
            },
            "return.reject",
            &format!("Return declined: {reason}"),
            serde_json::json!({"reason": reason}),
            (
                "return_rejected",
                "return could not be accepted",
                vec![format!(
                    "Your return for order {} could not be accepted: {reason}",
                    order.number
                )],
            ),
        )
        .await
    }

    /// The returned creations arrived: back in stock (`restock`), or not
    /// (a damaged piece).
    pub async fn receive_return(
        &self,
        actor: &Actor,
        id: &str,
        restock: bool,
    ) -> Result<Return, ShopError> {
        actor.may(Action::ReceiveReturn)?;
        let (record, order) = self.staff_return(id).await?;
        if record.status == ReturnStatus::Received {
            return Ok(record);
        }
        if record.status != ReturnStatus::Authorised {
            return Err(ShopError::InvalidTransition(format!(
                "a return is received once authorised, and this one is {}",
                record.status
            )));
        }
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        if !store_returns::move_status(
            &mut tx,
            &record.id,
            ReturnStatus::Authorised,
            ReturnStatus::Received,
            &ReturnChange {
                restocked: Some(restock),
                ..ReturnChange::default()
            },
            now,
        )
        .await?
        {
            tx.rollback().await.map_err(StoreError::from)?;
            return self
                .moved_meanwhile(&record.id, ReturnStatus::Received)
                .await;
        }
        let mut came_back = false;
        if restock {
            for line in &record.lines {
                if let Some(l) = order.lines.get((line.line_no as usize).saturating_sub(1)) {
                    came_back |= stock::release(&mut tx, &l.sku, line.quantity).await? > 0;
                }
            }
            if came_back {
                stock::availability_changed(&mut tx).await?;
            }
        }
        self.return_step(
            &mut tx,
            actor,
            &order,
            &record,
            "return.receive",
            "Returned creations received; the refund follows.",
            serde_json::json!({"restocked": restock}),
            (
                "return_received",
                "return has been received",
                vec![format!(
                    "The creations you returned from order {} have arrived. Your refund of {} follows, to your original means of payment.",
                    order.number,
                    record.amount.display()
                )],
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if came_back && let Err(err) = self.refresh_catalogue().await {
            tracing::warn!(error = %err, "catalogue not refreshed after a return");
        }
        self.store()
            .return_by_id(&record.id)
            .await?
            .ok_or(ShopError::ReturnNotFound)
    }

    /// A compare-and-set of the return's status with its timeline event,
    /// audit event and letter, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_return(
        &self,
        actor: &Actor,
        order: &Order,
        record: &Return,
        (from, to): (ReturnStatus, ReturnStatus),
        change: &ReturnChange<'_>,
        action: &str,
        note: &str,
        details: serde_json::Value,
        letter: (&str, &str, Vec<String>),
    ) -> Result<Return, ShopError> {
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        if !store_returns::move_status(&mut tx, &record.id, from, to, change, now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return self.moved_meanwhile(&record.id, to).await;
        }
        self.return_step(&mut tx, actor, order, record, action, note, details, letter)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, r#return = %record.id, status = to.as_str(), "return moved");
        self.store()
            .return_by_id(&record.id)
            .await?
            .ok_or(ShopError::ReturnNotFound)
    }

    /// A return moved by someone else meanwhile: answered as it is when it
    /// reached `to`, refused otherwise.
    pub(crate) async fn moved_meanwhile(
        &self,
        id: &str,
        to: ReturnStatus,
    ) -> Result<Return, ShopError> {
        let now = self
            .store()
            .return_by_id(id)
            .await?
            .ok_or(ShopError::ReturnNotFound)?;
        if now.status == to {
            return Ok(now);
        }
        Err(ShopError::InvalidTransition(format!(
            "the return changed while this request was made (now {}): try again",
            now.status
        )))
    }

    /// The order's timeline event, the audit event and the client's letter
    /// of a step, in `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn return_step(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        order: &Order,
        record: &Return,
        action: &str,
        note: &str,
        mut details: serde_json::Value,
        (kind, what, paragraphs): (&str, &str, Vec<String>),
    ) -> Result<(), ShopError> {
        let now = self.now();
        let status = orders::status_in(tx, &order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        orders::add_event(
            tx,
            &order.id,
            &OrderEvent {
                at: now,
                status,
                note: note.to_owned(),
                actor: actor.timeline_name(),
            },
        )
        .await?;
        if let Some(map) = details.as_object_mut() {
            map.insert("return".into(), serde_json::Value::from(record.id.clone()));
        }
        audit::record(
            tx,
            &actor.audit(now, action, &format!("order:{}", order.number), details),
        )
        .await?;
        outbox::enqueue(tx, &self.order_letter(kind, order, what, paragraphs), now).await?;
        // Integrators hear of a return asked for and refunded (outgoing
        // webhooks), in the same transaction.
        let announced = match action {
            "return.request" => Some(("return.requested", "requested")),
            "return.refund" => Some(("return.refunded", "refunded")),
            _ => None,
        };
        if let Some((event, status)) = announced {
            crate::webhooks::enqueue_event(
                tx,
                event,
                &format!("return:{}", record.id),
                serde_json::json!({"id": record.id, "order_number": order.number,
                    "status": status, "amount": record.amount}),
                now,
            )
            .await?;
        }
        Ok(())
    }
}
