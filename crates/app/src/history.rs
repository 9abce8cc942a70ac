//! A client's orders: the history, newest first, page by page, and one order
//! of the client's (any other is "not found").

use maison_domain::order::OrderNumber;
use maison_domain::order::OrderRequest;

use crate::accounts::{MAX_PAGE, OrderPage};
use crate::actor::Actor;
use crate::input::page_after;
use crate::{Maison, Order, ShopError};

impl Maison {
    /// The account's orders, newest first, `limit` at a time.
    pub async fn order_history(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<OrderPage, ShopError> {
        let account_id = actor.account_id().ok_or(ShopError::Unauthenticated)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let after = page_after(cursor, "history")?;
        let mut orders = self
            .store()
            .orders_of_account(account_id, after, limit + 1)
            .await?;
        let more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let next_cursor = more
            .then(|| orders.last().map(|o| format!("{}_{}", o.created_at, o.id)))
            .flatten();
        Ok(OrderPage {
            orders,
            next_cursor,
        })
    }

    /// One of the client's account orders, by number; any other order, and
    /// any order for an actor who is not a client, is "not found".
    pub async fn account_order(&self, actor: &Actor, number: &str) -> Result<Order, ShopError> {
        if actor.account_id().is_none() {
            return Err(ShopError::OrderNotFound);
        }
        let Ok(number) = OrderNumber::parse(number) else {
            return Err(ShopError::OrderNotFound);
        };
        self.store()
            .order_by_number(number.as_str())
            .await?
            .filter(|order| order.account_id.is_some() && crate::lookup::may_see(order, actor))
            .ok_or(ShopError::OrderNotFound)
    }

    pub async fn order_requests(&self, order_id: &str) -> Result<Vec<OrderRequest>, ShopError> {
        Ok(self.store().requests_of_order(order_id).await?)
    }
}
