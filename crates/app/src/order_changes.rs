//! Changing an order before it is processed (rule R8): Client Relations
//! change its creations or its delivery, with a reason. The stock follows the
//! lines. A card order whose total changes is held anew for its new total,
//! from the card's token, and its former hold released (processors void a
//! hold whole; they do not shrink one). When the total rises the new hold
//! comes first: declined, nothing changes. When it falls, a new hold that is
//! declined or unanswered leaves the former, larger one in place (the change
//! stands, the order is never left without a hold, and capture takes only
//! the new total); the audit log says why. A wire or cash order owes the new
//! total.

use std::collections::BTreeMap;

use maison_domain::bag::BagRefusal;
use maison_domain::delivery::{DeliveryMethod, Destination, plan_delivery};
use maison_domain::order::{Order, OrderEvent, OrderNumber, OrderStatus};
use maison_domain::payment::{Payment, PaymentAttempt};
use maison_domain::receipt::Balance;
use maison_payments::{AuthoriseOutcome, SyncedOperation, TokenAuthoriseRequest};
use maison_store::{StoreError, audit, orders, outbox, payments as attempts, receipts, stock};

use crate::actor::{Action, Actor};
use crate::assisted::AssistedLineInput;
use crate::checkout::DeliveryInput;
use crate::clock::new_id;
use crate::input::invalid;
use crate::order_input::{check_delivery, order_delivery};
use crate::{Maison, ShopError};

pub struct OrderChange {
    /// The order's new creations, all of them; `None` keeps them.
    pub lines: Option<Vec<AssistedLineInput>>,
    /// The new delivery; `None` keeps it.
    pub delivery: Option<DeliveryInput>,
    pub reason: String,
}

/// A change is made only while the order is `placed` or `confirmed`.
fn changeable(status: OrderStatus) -> Result<(), ShopError> {
    if status.is_modifiable() {
        return Ok(());
    }
    match status {
        OrderStatus::PendingPayment | OrderStatus::PaymentFailed | OrderStatus::Cancelled => {
            Err(ShopError::InvalidTransition(format!(
                "an order that is {} cannot be changed",
                status.as_str()
            )))
        }
        past_processing => Err(ShopError::OrderNotModifiable(past_processing)),
    }
}

/// How much of each SKU the lines hold.
fn by_sku(order: &Order) -> BTreeMap<&str, i64> {
    let mut held = BTreeMap::new();
    for line in &order.lines {
        *held.entry(line.sku.as_str()).or_insert(0) += i64::from(line.quantity);
    }
    held
}

impl Maison {
    /// Changes an order's creations or delivery before it is processed.
    pub async fn change_order(
        &self,
        actor: &Actor,
        number: &str,
        change: OrderChange,
    ) -> Result<Order, ShopError> {
        actor.may(Action::ChangeOrder)?;
        let reason = crate::input::reason(&change.reason, "change")?;
        let reason = reason.as_str();
        if change.lines.is_none() && change.delivery.is_none() {
            return Err(invalid(
                "nothing_to_change",
                "lines",
                "Send the order's new lines, its new delivery, or both.",
            ));
        }
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        let order = self
            .store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        changeable(order.status)?;

        let override_reason = order
            .assisted
            .as_ref()
            .and_then(|a| a.limit_override_reason.as_deref());
        let lines = match &change.lines {
            Some(inputs) => {
                self.staff_lines(inputs, override_reason, &order.lines)
                    .await?
            }
            None => order.lines.clone(),
        };
        if lines.iter().any(|l| l.final_sale) && !order.final_sale_accepted {
            return Err(ShopError::FinalSaleNotAcknowledged);
        }
        let (method, destination, boutique_id) = match &change.delivery {
            Some(input) => check_delivery(input, &self.catalogue())?,
            None => {
                let d = &order.delivery.destination;
                (
                    d.method(),
                    d.address().clone(),
                    match d {
                        Destination::Boutique { boutique_id, .. } => Some(boutique_id.clone()),
                        _ => None,
                    },
                )
            }
        };
        let subtotal = maison_domain::bag::subtotal(
            lines.iter().map(|l| (l.unit_price, l.quantity)),
        )
        .ok_or(ShopError::Refused(BagRefusal::ItemLimit {
            max: self.policies.max_items_per_order,
        }))?;
        let total = subtotal;
        let plan = plan_delivery(
            total,
            method,
            &destination,
            &self.policies,
            &self.client_relations,
        );
        let mut changed = order.clone();
        changed.lines = lines;
        changed.subtotal = subtotal;
        changed.total = total;
        changed.delivery = order_delivery(method, &destination, boutique_id.as_deref(), &plan);
        if method == DeliveryMethod::Home
            && let Destination::Home(a) = &mut changed.delivery.destination
        {
            a.company = None;
        }

        // A card order whose total changes: a new hold for the new total
        // first. Why a lower total keeps the former hold, if it does.
        let mut hold_kept: Option<String> = None;
        let new_hold = match &order.payment {
            Payment::Card(card) if total.minor() != order.total.minor() => {
                let rises = total.minor() > order.total.minor();
                match card.token.as_deref() {
                    None if rises => {
                        return Err(ShopError::InvalidTransition(
                            "the card of this order cannot be charged again: cancel it and place a new one".into(),
                        ));
                    }
                    None => {
                        hold_kept = Some("no_card_token".into());
                        None
                    }
                    Some(token) => match self.authorise_again(&order, token, total).await? {
                        Ok(hold) => Some(hold),
                        Err(not_held) if rises => return Err(not_held.problem),
                        Err(not_held) => {
                            tracing::warn!(order = %order.number, reason = %not_held.code, "lower total not held anew: the former hold is kept");
                            hold_kept = Some(not_held.code);
                            None
                        }
                    },
                }
            }
            _ => None,
        };

        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        let status = orders::status_in(&mut tx, &order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        if status != order.status {
            // Cancelled, processed or confirmed meanwhile: decide again.
            tx.rollback().await.map_err(StoreError::from)?;
            self.give_back_hold(&order, new_hold.as_ref()).await;
            return Err(changeable(status).err().unwrap_or_else(|| {
                ShopError::InvalidTransition("the order changed meanwhile: read it again".into())
            }));
        }
        if matches!(order.payment, Payment::Wire | Payment::Cash) {
            let received = receipts::of_order_in(&mut tx, &order.id).await?;
            let balance = Balance::of(order.total, &received);
            if balance.received.minor() > total.minor() {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(ShopError::InvalidTransition(format!(
                    "the client has already paid {}, more than the new total: record a refund first",
                    balance.received.display()
                )));
            }
        }
        // The stock follows the lines, each SKU locked in one order.
        let (before, after) = (by_sku(&order), by_sku(&changed));
        let skus: std::collections::BTreeSet<&str> =
            before.keys().chain(after.keys()).copied().collect();
        let mut availability_changed = false;
        for sku in skus {
            let delta =
                after.get(sku).copied().unwrap_or(0) - before.get(sku).copied().unwrap_or(0);
            let quantity = u32::try_from(delta.unsigned_abs()).unwrap_or(u32::MAX);
            if delta > 0 {
                match stock::reserve(&mut tx, sku, quantity).await? {
                    Some(left) => availability_changed |= left == 0,
                    None => {
                        tx.rollback().await.map_err(StoreError::from)?;
                        self.give_back_hold(&order, new_hold.as_ref()).await;
                        let name = changed
                            .lines
                            .iter()
                            .find(|l| l.sku == sku)
                            .map_or_else(|| sku.to_owned(), |l| l.name.clone());
                        return Err(ShopError::Refused(BagRefusal::TemporarilyUnavailable {
                            name,
                            sku: sku.to_owned(),
                        }));
                    }
                }
            } else if delta < 0 {
                availability_changed |= stock::release(&mut tx, sku, quantity).await? == quantity;
            }
        }
        if availability_changed {
            stock::availability_changed(&mut tx).await?;
        }
        orders::change(&mut tx, &changed).await?;
        let mut old_void = None;
        if let Some(hold) = &new_hold {
            attempts::resolve_attempt(
                &mut tx,
                &hold.attempt_id,
                "succeeded",
                Some(&hold.processor_ref),
                None,
                now,
            )
            .await?;
            if let Some(previous) = self
                .store()
                .current_hold(&order.id)
                .await?
                .filter(|a| a.id != hold.attempt_id)
                .and_then(|a| a.processor_ref)
            {
                old_void = Some((
                    self.record_void(&mut tx, &order, &previous, now).await?,
                    previous,
                ));
            }
        }
        orders::add_event(
            &mut tx,
            &order.id,
            &OrderEvent {
                at: now,
                status,
                note: "Your order has been changed with Client Relations.".into(),
                actor: actor.timeline_name(),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.change",
                &format!("order:{}", order.number),
                serde_json::json!({
                    "reason": reason,
                    "total_before": order.total.amount_string(),
                    "total_after": total.amount_string(),
                    "lines_before": order.lines.iter().map(|l| format!("{} x{}", l.sku, l.quantity)).collect::<Vec<_>>(),
                    "lines_after": changed.lines.iter().map(|l| format!("{} x{}", l.sku, l.quantity)).collect::<Vec<_>>(),
                    "delivery_changed": change.delivery.is_some(),
                    "reauthorised": new_hold.is_some(),
                    "former_hold_kept_because": hold_kept,
                }),
            ),
        )
        .await?;
        outbox::enqueue(&mut tx, &self.change_letter(&changed), now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if let Some((attempt_id, processor_ref)) = old_void
            && let Err(err) = self.void_hold(&attempt_id, &processor_ref).await
        {
            tracing::warn!(order = %order.number, error = %err, "former hold not released: recovery sends the void again");
        }
        if availability_changed && let Err(err) = self.refresh_catalogue().await {
            tracing::warn!(error = %err, "catalogue not refreshed after a change");
        }
        tracing::info!(order = %order.number, actor = %actor.timeline_name(), total = %total, "order changed");
        self.store()
            .order(&order.id)
            .await?
            .ok_or(ShopError::OrderNotFound)
    }

    /// A new hold for `total` on the order's card, by its token. An answer
    /// lost on the way is asked for under the same key, never sent again.
    /// Not held: why (the attempt's code) and the problem to answer.
    async fn authorise_again(
        &self,
        order: &Order,
        card_token: &str,
        total: maison_domain::Money,
    ) -> Result<Result<NewHold, NotHeld>, ShopError> {
        let attempt = PaymentAttempt::pending(
            new_id(),
            &order.id,
            "reauthorise",
            total,
            self.gateway.name(),
            None,
            self.now(),
        );
        let mut tx = self.store().begin_write().await?;
        attempts::insert_attempt(&mut tx, &attempt).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut outcome = self
            .gateway
            .authorise_token(TokenAuthoriseRequest {
                idempotency_key: &attempt.id,
                amount: total,
                card_token,
                reference: &order.number,
            })
            .await;
        if let Err(err) = &outcome
            && err.in_doubt()
        {
            outcome = match self.gateway.sync(&attempt.id).await {
                Ok(Some(SyncedOperation::Authorise(answer))) => Ok(answer),
                // Never received: nothing is held.
                Ok(_) => outcome,
                Err(err) => Err(err),
            };
        }
        let (status, code, problem) = match outcome {
            Ok(AuthoriseOutcome::Authorised(auth)) => {
                return Ok(Ok(NewHold {
                    attempt_id: attempt.id,
                    processor_ref: auth.processor_ref,
                }));
            }
            Ok(AuthoriseOutcome::Declined(decline)) => (
                "declined",
                decline.reason.code().to_owned(),
                ShopError::ChangeDeclined(decline.message.clone()),
            ),
            Err(err) => {
                tracing::warn!(order = %order.number, error = %err, "new authorisation not obtained");
                (
                    "failed",
                    "not_processed".to_owned(),
                    ShopError::PaymentUnavailable,
                )
            }
        };
        let mut tx = self.store().begin_write().await?;
        attempts::resolve_attempt(&mut tx, &attempt.id, status, None, Some(&code), self.now())
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Err(NotHeld { code, problem }))
    }

    /// A new hold the change did not use (refused meanwhile) is released.
    async fn give_back_hold(&self, order: &Order, hold: Option<&NewHold>) {
        let Some(hold) = hold else { return };
        let released = async {
            let mut tx = self.store().begin_write().await?;
            attempts::resolve_attempt(
                &mut tx,
                &hold.attempt_id,
                "succeeded",
                Some(&hold.processor_ref),
                None,
                self.now(),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            self.release_hold(order, &hold.processor_ref).await
        };
        if let Err(err) = released.await {
            tracing::warn!(order = %order.number, error = %err, "unused hold not released: recovery sends the void again");
        }
    }

    fn change_letter(&self, order: &Order) -> maison_store::outbox::OutboxMessage {
        let mut paragraphs = vec![format!(
            "As agreed with Client Relations, your order {} has been changed. It now holds:",
            order.number
        )];
        paragraphs.extend(order.lines.iter().map(|l| {
            format!(
                "{} × {}, {}",
                l.quantity,
                l.name,
                l.unit_price
                    .checked_mul(l.quantity)
                    .unwrap_or(l.unit_price)
                    .display()
            )
        }));
        paragraphs.push(format!("Total: {}.", order.total.display()));
        self.order_letter("order_changed", order, "has been changed", paragraphs)
    }
}

/// A hold placed for a changed order's new total.
struct NewHold {
    attempt_id: String,
    processor_ref: String,
}

/// A new hold the processor did not place: its decline code (or
/// `not_processed`), and the problem a rise in total answers with.
struct NotHeld {
    code: String,
    problem: ShopError,
}
