//! Clients' requests to cancel or change an order (rule R8): recorded on the
//! order for Client Relations, who are told by e-mail, while the order is not
//! yet in processing. A client asks from their account; a guest from the order's
//! page, proven by its number and e-mail (the look-up's rule and throttling).
//! Both get a letter acknowledging the request.

use maison_domain::order::OrderRequest;
use maison_store::StoreError;
use maison_store::accounts;
use maison_store::outbox;

use crate::actor::Actor;
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, Order, ShopError};

impl Maison {
    /// A signed-in client's request on one of their orders.
    pub async fn request_order_change(
        &self,
        actor: &Actor,
        number: &str,
        kind: &str,
        text: &str,
    ) -> Result<OrderRequest, ShopError> {
        let order = self.account_order(actor, number).await?;
        self.record_request(&order, actor.account_id(), kind, text)
            .await
    }

    /// A guest's request, with the order's number and e-mail address as the
    /// look-up asks them (`client` is the caller's address, for throttling).
    pub async fn request_order_change_as_guest(
        &self,
        number: &str,
        email: &str,
        client: &str,
        kind: &str,
        text: &str,
    ) -> Result<(Order, OrderRequest), ShopError> {
        let order = self.look_up_order(number, email, client).await?;
        let request = self.record_request(&order, None, kind, text).await?;
        Ok((order, request))
    }

    async fn record_request(
        &self,
        order: &Order,
        account_id: Option<&str>,
        kind: &str,
        text: &str,
    ) -> Result<OrderRequest, ShopError> {
        let kind = match kind.trim() {
            "cancellation" => "cancellation",
            "change" => "change",
            _ => {
                return Err(invalid(
                    "invalid_request_kind",
                    "kind",
                    "Choose what you would like: cancellation or change.",
                ));
            }
        };
        let text = text.trim();
        if text.chars().count() > 2000
            || text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(invalid(
                "invalid_message",
                "message",
                "Write your message in 2,000 characters at most.",
            ));
        }
        if kind == "change" && text.is_empty() {
            return Err(invalid(
                "invalid_message",
                "message",
                "Tell us what you would like to change.",
            ));
        }
        if !order.status.is_modifiable() {
            return Err(ShopError::OrderNotModifiable(order.status));
        }
        let open = self.store().requests_of_order(&order.id).await?;
        if open.iter().any(|r| r.kind == kind && r.status == "open") {
            return Err(ShopError::RequestAlreadyOpen);
        }
        let now = self.now();
        let request = OrderRequest {
            id: new_id(),
            order_id: order.id.clone(),
            account_id: account_id.map(str::to_owned),
            kind: kind.to_owned(),
            message: text.to_owned(),
            status: "open".into(),
            created_at: now,
        };
        let what = if kind == "cancellation" {
            "cancel"
        } else {
            "change"
        };
        let mut to_client_relations = self.letter(
            "order_request",
            &self.client_relations.email,
            format!("Client request: {what} order {}", order.number),
            "Dear Client Relations,".to_owned(),
            vec![
                format!(
                    "{} {} ({}, {}) asks to {what} order {}, now {}.",
                    order.first_name,
                    order.last_name,
                    order.email,
                    order.phone,
                    order.number,
                    order.status.describe()
                ),
                if text.is_empty() {
                    "No message was left.".to_owned()
                } else {
                    format!("Their message: “{text}”")
                },
                if account_id.is_some() {
                    "Sent from the client's account.".to_owned()
                } else {
                    "Sent by a guest from the order's page (number and e-mail address given)."
                        .to_owned()
                },
                "Please contact the client before the order is processed.".to_owned(),
            ],
            None,
        );
        to_client_relations.order_id = Some(order.id.clone());
        let mut to_client = self.letter(
            "order_request_received",
            &order.email,
            format!(
                "We have received your request about order {}",
                order.number
            ),
            format!("Dear {} {},", order.first_name, order.last_name),
            vec![
                format!(
                    "We have received your request to {what} your order {}. Client Relations will contact you shortly to arrange it with you.",
                    order.number
                ),
                "An order can be changed or cancelled until it enters processing; once processed, creations may be returned under our Conditions of Sale (personalised creations are final sale).".to_owned(),
                format!(
                    "Should you wish to add anything, {} will be pleased to help.",
                    self.client_relations.contact_sentence()
                ),
            ],
            None,
        );
        to_client.order_id = Some(order.id.clone());
        let mut tx = self.store().begin_write().await?;
        if !accounts::insert_request(&mut tx, &request).await? {
            // The same request, sent twice at once: the first stands.
            return Err(ShopError::RequestAlreadyOpen);
        }
        outbox::enqueue(&mut tx, &to_client_relations, now).await?;
        outbox::enqueue(&mut tx, &to_client, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(order = %order.number, kind, "client request recorded");
        Ok(request)
    }
}
