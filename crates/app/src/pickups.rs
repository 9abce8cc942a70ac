//! Boutique orders (rule R10): ready for pickup (the client told where and
//! when), then handed over against an identity check, the card payment
//! captured at the hand-over.

use maison_domain::delivery::Destination;
use maison_domain::fulfilment::{HandOverRefused, check_hand_over};
use maison_domain::order::{OrderCommand, OrderStatus, decide};
use maison_store::{StoreError, audit, fulfilment, orders, outbox};

use crate::actor::{Action, Actor};
use crate::input::invalid;
use crate::order_desk::advance_as;
use crate::{Maison, Order, ShopError};

/// Who collects, and whether their identity was checked.
#[derive(Debug, Clone, Default)]
pub struct HandOver {
    pub id_checked: bool,
    pub collected_by: String,
}

impl Maison {
    /// An order in processing for pickup at a boutique: its creations have
    /// arrived there. The client is told where and when.
    pub async fn ready_for_pickup(&self, actor: &Actor, number: &str) -> Result<Order, ShopError> {
        actor.may(Action::Fulfil)?;
        let order = self.order_for_staff(number).await?;
        decide(order.status, OrderCommand::MakeReadyForPickup)
            .map_err(|refused| ShopError::InvalidTransition(refused.to_string()))?;
        let Destination::Boutique { boutique_id, .. } = &order.delivery.destination else {
            return Err(ShopError::InvalidTransition(
                "a delivery order is shipped, not made ready for pickup".into(),
            ));
        };
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        let boutique_name = self
            .catalogue()
            .boutique(boutique_id)
            .map_or_else(|| "the boutique".to_owned(), |b| b.name.clone());
        advance_as(
            &mut tx,
            actor,
            &order.id,
            OrderStatus::Processing,
            OrderCommand::MakeReadyForPickup,
            &format!("Ready for pickup at {boutique_name}."),
            now,
        )
        .await?;
        fulfilment::insert_pickup(&mut tx, &order.id, boutique_id, &actor.timeline_name(), now)
            .await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.ready_for_pickup",
                &format!("order:{}", order.number),
                serde_json::json!({"boutique": boutique_id}),
            ),
        )
        .await?;
        outbox::enqueue(&mut tx, &self.ready_letter(&order, boutique_id, now), now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, boutique = %boutique_id, "order ready for pickup");
        self.order_for_staff(number).await
    }

    /// Hands a boutique order over to the client (or whom they sent) once
    /// their identity is checked; the card payment is captured first, and a
    /// declined capture leaves the order ready, flagged for Client Relations.
    pub async fn collect_order(
        &self,
        actor: &Actor,
        number: &str,
        hand_over: HandOver,
    ) -> Result<Order, ShopError> {
        actor.may(Action::Fulfil)?;
        let collector = check_hand_over(hand_over.id_checked, &hand_over.collected_by).map_err(
            |r| match r {
                HandOverRefused::IdCheckRequired => ShopError::IdCheckRequired,
                HandOverRefused::CollectorRequired => invalid(
                    "invalid_collected_by",
                    "collected_by",
                    "Name the person who collects the creations (at most 200 characters).",
                ),
            },
        )?;
        let order = self.order_for_staff(number).await?;
        decide(order.status, OrderCommand::Collect)
            .map_err(|refused| ShopError::InvalidTransition(refused.to_string()))?;
        if let Err(err) = self.capture_payment(&order).await {
            if let ShopError::CaptureDeclined(reason) = &err {
                self.flag_capture_declined(actor, &order, "the hand-over", reason)
                    .await?;
            }
            return Err(err);
        }
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        orders::lock(&mut tx, &order.id, now).await?;
        advance_as(
            &mut tx,
            actor,
            &order.id,
            OrderStatus::ReadyForPickup,
            OrderCommand::Collect,
            "Collected at the boutique.",
            now,
        )
        .await?;
        fulfilment::collect_pickup(&mut tx, &order.id, &collector, &actor.timeline_name(), now)
            .await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.collect",
                &format!("order:{}", order.number),
                serde_json::json!({"collected_by": collector, "id_checked": true,
                    "captured": order.payment.card().is_some()}),
            ),
        )
        .await?;
        outbox::enqueue(&mut tx, &self.collected_letter(&order), now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, "order collected");
        self.order_for_staff(number).await
    }

    fn ready_letter(
        &self,
        order: &Order,
        boutique_id: &str,
        now: i64,
    ) -> maison_store::outbox::OutboxMessage {
        let catalogue = self.catalogue();
        let mut paragraphs = Vec::new();
        match catalogue.boutique(boutique_id) {
            Some(b) => {
                let a = &b.address;
                paragraphs.push(format!(
                    "Your order {} is ready for pickup at {}, {}, {}, {} {} (telephone {}), from {}.",
                    order.number,
                    b.name,
                    a.line1,
                    a.city,
                    a.region,
                    a.postal_code,
                    b.phone,
                    self.local_time(now)
                ));
                if !b.hours.is_empty() {
                    paragraphs.push(format!("Opening hours: {}.", b.hours.join("; ")));
                }
            }
            None => paragraphs.push(format!(
                "Your order {} is ready for pickup at the boutique, from {}.",
                order.number,
                self.local_time(now)
            )),
        }
        paragraphs.push(
            "Please bring an identity document: the creations are handed over once it is checked. Someone you send in your place brings theirs and your order number."
                .to_owned(),
        );
        paragraphs.push(format!(
            "Should you have any question, {} will be pleased to help.",
            self.client_relations.contact_sentence()
        ));
        let mut letter = self.letter(
            "ready_for_pickup",
            &order.email,
            format!("Your order {} is ready for pickup", order.number),
            format!("Dear {} {},", order.first_name, order.last_name),
            paragraphs,
            None,
        );
        letter.order_id = Some(order.id.clone());
        letter
    }

    fn collected_letter(&self, order: &Order) -> maison_store::outbox::OutboxMessage {
        let mut letter = self.letter(
            "order_collected",
            &order.email,
            format!("Your order {} has been collected", order.number),
            format!("Dear {} {},", order.first_name, order.last_name),
            vec![
                format!(
                    "Your order {} has been collected at the boutique. We hope your creations bring you joy.",
                    order.number
                ),
                format!(
                    "Should you have any question, {} will be pleased to help.",
                    self.client_relations.contact_sentence()
                ),
            ],
            None,
        );
        letter.order_id = Some(order.id.clone());
        letter
    }
}
