//! What the processor answered for a checkout's authorisation, recorded in one
//! transaction: confirmed with its letters and its bag emptied, or not placed
//! with its stock released, its bag given back and a letter saying so. Safe
//! on every instance at once; authorisations left in doubt are resolved by
//! asking the processor (recovery), never by charging again.

use maison_domain::order::{OrderCommand, OrderStatus};
use maison_payments::{AuthoriseOutcome, AuthoriseRequest, CardDetails, SyncedOperation};
use maison_store::payments as attempts;
use maison_store::{Durability, JobFuture, StoreError, Tx, bags, outbox, stock};
use maison_store::{idempotency, orders};

use crate::documents::order_messages;
use crate::order_desk::advance;
use crate::{Maison, Order, ShopError};

impl Maison {
    /// Records, in `tx` (the order's first transaction), the authorisation
    /// about to be asked for (see [`record_pending_authorisation`]).
    pub(crate) async fn record_pending_authorisation(
        &self,
        tx: &mut Tx,
        attempt_id: &str,
        order: &Order,
        now: i64,
    ) -> Result<(), ShopError> {
        crate::checkout::record_pending_authorisation(
            tx,
            attempt_id,
            order,
            self.gateway.name(),
            now,
        )
        .await
    }

    /// Authorises the card of an order written in phase 1 (its stock
    /// reserved, its attempt recorded), outside any transaction; then
    /// records the outcome. An answer lost on the way is asked for again,
    /// never charged again.
    pub(crate) async fn authorise_order(
        &self,
        order: &Order,
        attempt_id: &str,
        details: CardDetails,
    ) -> Result<Order, ShopError> {
        // Phase 2: the processor, outside any transaction.
        let outcome = self
            .gateway
            .authorise(AuthoriseRequest {
                idempotency_key: attempt_id,
                amount: order.total,
                card: &details,
                reference: &order.number,
            })
            .await;
        drop(details);
        let outcome = match outcome {
            Ok(outcome) => Some(outcome),
            Err(err) if err.in_doubt() => {
                tracing::warn!(order = %order.number, error = %err, "authorisation in doubt: asking the processor");
                self.store()
                    .mark_attempt_in_doubt(attempt_id, self.now())
                    .await?;
                match self.gateway.sync(attempt_id).await {
                    Ok(Some(SyncedOperation::Authorise(outcome))) => Some(outcome),
                    Ok(_) => None,
                    Err(err) => {
                        tracing::warn!(order = %order.number, error = %err, "processor unreachable: recovery will resolve");
                        return Err(ShopError::PaymentInDoubt);
                    }
                }
            }
            Err(err) => {
                tracing::error!(order = %order.number, error = %err, "the processor refused the request");
                None
            }
        };

        // Phase 3: the outcome, in one transaction.
        self.finish_authorisation(&order.id, attempt_id, outcome)
            .await
    }

    /// Records what the processor answered for an order's authorisation:
    /// confirmed with its messages, or failed with its stock released. Safe to
    /// call from several instances: only the first resolution counts.
    pub async fn finish_authorisation(
        &self,
        order_id: &str,
        attempt_id: &str,
        outcome: Option<AuthoriseOutcome>,
    ) -> Result<Order, ShopError> {
        let order = self
            .store()
            .order(order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        let now = self.now();
        let order_id = order_id.to_owned();
        let attempt = attempt_id.to_owned();
        match outcome {
            Some(AuthoriseOutcome::Authorised(auth)) => {
                let mut confirmed_order = order.clone();
                confirmed_order.status = OrderStatus::Confirmed;
                let messages = order_messages(self, &confirmed_order);
                let (id, bag_id) = (order_id.clone(), order.bag_id.clone());
                let (processor_ref, card_token) =
                    (auth.processor_ref.clone(), auth.card_token.clone());
                let recorded = self
                    .store()
                    .write(
                        Durability::Immediate,
                        move |tx| -> JobFuture<'_, Result<bool, ShopError>> {
                            Box::pin(async move {
                                if !attempts::resolve_attempt(
                                    tx,
                                    &attempt,
                                    "succeeded",
                                    Some(&processor_ref),
                                    None,
                                    now,
                                )
                                .await?
                                {
                                    return Ok(false);
                                }
                                orders::set_card_token(tx, &id, &card_token).await?;
                                let placed = advance(
                                    tx,
                                    &id,
                                    OrderStatus::PendingPayment,
                                    OrderCommand::Place,
                                    "We have received your order.",
                                    now,
                                )
                                .await?;
                                advance(
                                    tx,
                                    &id,
                                    placed,
                                    OrderCommand::Confirm,
                                    "Payment secured and creations reserved.",
                                    now,
                                )
                                .await?;
                                for message in &messages {
                                    outbox::enqueue(tx, message, now).await?;
                                }
                                if let Some(bag_id) = &bag_id {
                                    bags::empty_bag(tx, bag_id).await?;
                                }
                                idempotency::complete_key_of_order(tx, &id, 201, &id).await?;
                                Ok(true)
                            })
                        },
                    )
                    .await?;
                if !recorded {
                    // An authorisation that arrives after its order was given
                    // up (a timeout, then recovery) must not hold the client's
                    // funds: it is released at once.
                    if order.status == OrderStatus::PaymentFailed
                        || self.store().order(&order_id).await?.map(|o| o.status)
                            == Some(OrderStatus::PaymentFailed)
                    {
                        tracing::warn!(order = %order.number, "late authorisation released");
                        self.release_hold(&order, &auth.processor_ref).await?;
                    }
                    return self.already_resolved(&order_id).await;
                }
                tracing::info!(order = %order.number, total = %order.total, "order confirmed");
                self.store()
                    .order(&order_id)
                    .await?
                    .ok_or(ShopError::OrderNotFound)
            }
            declined_or_none => {
                let (code, problem) = match &declined_or_none {
                    Some(AuthoriseOutcome::Declined(decline)) => (
                        decline.reason.code().to_owned(),
                        ShopError::from_decline(decline),
                    ),
                    _ => ("not_processed".to_owned(), ShopError::PaymentUnavailable),
                };
                let status = if matches!(declined_or_none, Some(AuthoriseOutcome::Declined(_))) {
                    "declined"
                } else {
                    "failed"
                };
                let letter = self.order_not_placed_letter(&order, &problem);
                let (status_code, body) = problem.stored();
                let (id, job_code) = (order_id.clone(), code.clone());
                let (lines, bag_id) = (order.lines.clone(), order.bag_id.clone());
                let recorded = self
                    .store()
                    .write(
                        Durability::Immediate,
                        move |tx| -> JobFuture<'_, Result<Option<bool>, ShopError>> {
                            Box::pin(async move {
                                if !attempts::resolve_attempt(
                                    tx,
                                    &attempt,
                                    status,
                                    None,
                                    Some(&job_code),
                                    now,
                                )
                                .await?
                                {
                                    return Ok(None);
                                }
                                advance(
                                    tx,
                                    &id,
                                    OrderStatus::PendingPayment,
                                    OrderCommand::FailPayment,
                                    "The payment was not taken; nothing was charged.",
                                    now,
                                )
                                .await?;
                                let mut came_back = false;
                                for line in crate::checkout::lines_by_sku(&lines) {
                                    came_back |= stock::release(tx, &line.sku, line.quantity)
                                        .await?
                                        == line.quantity;
                                }
                                if came_back {
                                    stock::availability_changed(tx).await?;
                                }
                                if let Some(bag_id) = &bag_id {
                                    bags::release_claim(tx, bag_id, &id).await?;
                                }
                                outbox::enqueue(tx, &letter, now).await?;
                                idempotency::complete_key_of_order(tx, &id, status_code, &body)
                                    .await?;
                                Ok(Some(came_back))
                            })
                        },
                    )
                    .await?;
                let Some(came_back) = recorded else {
                    return self.already_resolved(&order_id).await;
                };
                if came_back {
                    self.refresh_catalogue().await?;
                }
                tracing::info!(order = %order.number, reason = %code, "payment not taken; stock released");
                Err(problem.recorded())
            }
        }
    }

    /// The letter that tells the client what happened to an order whose
    /// payment was not taken: not placed, nothing charged, the bag kept.
    fn order_not_placed_letter(
        &self,
        order: &Order,
        why: &ShopError,
    ) -> maison_store::outbox::OutboxMessage {
        let reason = match why {
            ShopError::Declined { message, .. } => format!("The card was not accepted: {message}"),
            _ => "The payment could not be processed by the bank.".to_owned(),
        };
        let mut letter = self.letter(
            "order_not_placed",
            &order.email,
            format!(
                "Your {} order {} was not placed",
                self.client_relations.maison_name, order.number
            ),
            format!("Dear {} {},", order.first_name, order.last_name),
            vec![
                format!(
                    "{reason} Your order {} was therefore not placed, and nothing was charged.",
                    order.number
                ),
                if order.bag_id.is_some() {
                    "Your creations remain in your bag: you may complete your order with another card."
                } else if order.assisted.is_some() {
                    "Your Ambassador will be pleased to take your order again with another card."
                } else {
                    "You may pay again with another card through the same link, while it is valid."
                }
                .to_owned(),
                format!(
                    "{} will be pleased to help you, or to take your order by telephone.",
                    self.client_relations.contact_sentence()
                ),
            ],
            None,
        );
        letter.order_id = Some(order.id.clone());
        letter
    }

    async fn already_resolved(&self, order_id: &str) -> Result<Order, ShopError> {
        let order = self
            .store()
            .order(order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        match order.status {
            OrderStatus::PaymentFailed => Err(ShopError::PaymentUnavailable.recorded()),
            _ => Ok(order),
        }
    }

    /// Releases a hold on the client's card: a void attempt is written first
    /// (its id is the processor's idempotency key), then sent; one the
    /// processor cannot confirm is sent again by recovery.
    pub(crate) async fn release_hold(
        &self,
        order: &Order,
        processor_ref: &str,
    ) -> Result<(), ShopError> {
        let mut tx = self.store().begin_write().await?;
        let attempt_id = self
            .record_void(&mut tx, order, processor_ref, self.now())
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.void_hold(&attempt_id, processor_ref).await
    }

    /// Writes the void attempt of an order's hold, in `tx`; returns its id.
    pub(crate) async fn record_void(
        &self,
        tx: &mut maison_store::Tx,
        order: &Order,
        processor_ref: &str,
        now: i64,
    ) -> Result<String, ShopError> {
        let attempt = maison_domain::payment::PaymentAttempt::pending(
            crate::clock::new_id(),
            &order.id,
            "void",
            order.total,
            self.gateway.name(),
            Some(processor_ref),
            now,
        );
        attempts::insert_attempt(tx, &attempt).await?;
        Ok(attempt.id)
    }

    /// Asks the processor to release a hold, and records its answer. A void
    /// whose outcome is unknown stays pending, for recovery to send again
    /// under the same key.
    pub(crate) async fn void_hold(
        &self,
        attempt_id: &str,
        processor_ref: &str,
    ) -> Result<(), ShopError> {
        let outcome = self.gateway.void(attempt_id, processor_ref).await;
        let (status, reference) = match &outcome {
            Ok(record) => ("succeeded", Some(record.processor_ref.as_str())),
            Err(err) if err.in_doubt() => {
                tracing::warn!(attempt = %attempt_id, error = %err, "void in doubt: recovery sends it again");
                return Ok(());
            }
            Err(err) => {
                tracing::error!(attempt = %attempt_id, error = %err, "the processor refused the void: see the order's payment operations");
                ("failed", None)
            }
        };
        let mut tx = self.store().begin_write().await?;
        attempts::resolve_attempt(&mut tx, attempt_id, status, reference, None, self.now()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Sends again the voids left pending (a crash, a processor that did not
    /// answer): each is claimed first, so every instance may run this.
    pub async fn resend_pending_voids(&self, older_than_micros: i64) -> Result<usize, ShopError> {
        let now = self.now();
        let claimed = self
            .store()
            .claim_unresolved_attempts("void", now - older_than_micros, now, now + 60_000_000)
            .await?;
        let mut sent = 0;
        for attempt in claimed {
            let Some(processor_ref) = attempt.processor_ref.as_deref() else {
                continue;
            };
            self.void_hold(&attempt.id, processor_ref).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Resolves authorisations left in doubt (a timeout, a crash) by asking the
    /// processor what it recorded under the attempt's key. Safe on every
    /// instance at once: each attempt is claimed before it is resolved.
    pub async fn resolve_stuck_payments(&self, older_than_micros: i64) -> Result<usize, ShopError> {
        let now = self.now();
        let claimed = self
            .store()
            .claim_unresolved_attempts("authorise", now - older_than_micros, now, now + 60_000_000)
            .await?;
        let mut resolved = 0;
        for attempt in claimed {
            let outcome = match self.gateway.sync(&attempt.id).await {
                Ok(Some(SyncedOperation::Authorise(outcome))) => Some(outcome),
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(attempt = %attempt.id, error = %err, "processor unreachable; will retry");
                    continue;
                }
            };
            match self
                .finish_authorisation(&attempt.order_id, &attempt.id, outcome)
                .await
            {
                Ok(_) | Err(ShopError::Recorded(_)) => resolved += 1,
                Err(err) => {
                    tracing::warn!(attempt = %attempt.id, error = %err, "could not resolve")
                }
            }
        }
        Ok(resolved)
    }
}
