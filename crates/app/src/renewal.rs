//! Renewal of card authorisations (PRODUCT.md §2): a hold lasts
//! `authorisation_valid_days` at the processor; one that would lapse before
//! the order ships or is handed over is placed again, by the card's token, in
//! its last day, and the former hold released. A renewal refused flags the
//! order for Client Relations. Safe on every instance at once: each order is
//! taken under its row (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write
//! transaction on SQLite) and its renewal recorded as an attempt first.

use maison_domain::payment::PaymentAttempt;
use maison_payments::{AuthoriseOutcome, TokenAuthoriseRequest};
use maison_store::payments as attempts;
use maison_store::{StoreError, audit, fulfilment};

use crate::actor::Actor;
use crate::clock::new_id;
use crate::{Maison, ShopError};

const DAY_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

impl Maison {
    /// Renews the holds that would lapse within a day; returns how many
    /// renewals were tried.
    pub async fn renew_authorisations(&self) -> Result<usize, ShopError> {
        let valid_days = i64::from(self.policies.authorisation_valid_days);
        let cutoff = self.now() - (valid_days - 1).max(1) * DAY_MICROS;
        let mut tried = 0;
        for order_id in self.store().holds_to_renew(cutoff, 50).await? {
            match self.renew_authorisation(&order_id, cutoff).await {
                Ok(true) => tried += 1,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(order = %order_id, error = %err, "authorisation not renewed")
                }
            }
        }
        Ok(tried)
    }

    async fn renew_authorisation(&self, order_id: &str, cutoff: i64) -> Result<bool, ShopError> {
        let actor = Actor::System("renewal");
        let Some(order) = self.store().order(order_id).await? else {
            return Ok(false);
        };
        let Some(old_ref) = self
            .store()
            .current_hold(order_id)
            .await?
            .and_then(|h| h.processor_ref)
        else {
            return Ok(false);
        };
        let Some(token) = order.payment.card().and_then(|c| c.token.clone()) else {
            self.flag_payment(
                &actor,
                &order,
                "order.authorisation_not_renewed",
                "renewed",
                "the card's token is not on record",
            )
            .await?;
            return Ok(false);
        };
        let now = self.now();
        let attempt = PaymentAttempt {
            id: new_id(),
            order_id: order.id.clone(),
            operation: "reauthorise".into(),
            amount: order.total,
            status: "pending".into(),
            processor: self.gateway.name().into(),
            processor_ref: None,
            decline_code: None,
            created_at: now,
        };
        let mut tx = self.store().begin_write().await?;
        if !self
            .store()
            .take_order_unless_busy(&mut tx, order_id)
            .await?
            || fulfilment::renewal_tried_since(&mut tx, order_id, cutoff).await?
        {
            tx.rollback().await.map_err(StoreError::from)?;
            return Ok(false);
        }
        attempts::insert_attempt(&mut tx, &attempt).await?;
        tx.commit().await.map_err(StoreError::from)?;

        let outcome = self
            .gateway
            .authorise_token(TokenAuthoriseRequest {
                idempotency_key: &attempt.id,
                amount: order.total,
                card_token: &token,
                reference: &order.number,
            })
            .await;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        match outcome {
            Ok(AuthoriseOutcome::Authorised(auth)) => {
                attempts::resolve_attempt(
                    &mut tx,
                    &attempt.id,
                    "succeeded",
                    Some(&auth.processor_ref),
                    None,
                    now,
                )
                .await?;
                let void_id = self.record_void(&mut tx, &order, &old_ref, now).await?;
                audit::record(
                    &mut tx,
                    &actor.audit(
                        now,
                        "order.authorisation_renewed",
                        &format!("order:{}", order.number),
                        serde_json::json!({"amount": order.total.amount_string()}),
                    ),
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                if let Err(err) = self.void_hold(&void_id, &old_ref).await {
                    tracing::warn!(order = %order.number, error = %err, "former hold not released: recovery sends the void again");
                }
                tracing::info!(order = %order.number, "authorisation renewed");
            }
            declined_or_failed => {
                let (status, code) = match &declined_or_failed {
                    Ok(AuthoriseOutcome::Declined(d)) => ("declined", d.reason.code().to_owned()),
                    _ => ("failed", "not_processed".to_owned()),
                };
                attempts::resolve_attempt(&mut tx, &attempt.id, status, None, Some(&code), now)
                    .await?;
                tx.commit().await.map_err(StoreError::from)?;
                tracing::warn!(order = %order.number, reason = %code, "authorisation not renewed: flagged for Client Relations");
                self.flag_payment(
                    &actor,
                    &order,
                    "order.authorisation_not_renewed",
                    "renewed",
                    &code,
                )
                .await?;
            }
        }
        Ok(true)
    }
}
