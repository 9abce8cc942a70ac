//! "Order Information" for guests (rule R5): the order number and the e-mail
//! must both match; any mismatch gets the same answer; attempts are counted
//! per client address and per order number, across instances.

use maison_domain::order::{OrderNumber, OrderStatus};

use crate::clock::now_micros;
use crate::{Maison, OrderRow, ShopError};

/// Look-ups allowed per client address in a window.
pub const PER_ADDRESS: u32 = 20;
/// Look-ups allowed per order number in a window.
pub const PER_NUMBER: u32 = 5;
/// The window: 15 minutes.
pub const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;

impl Maison {
    /// The order with `number` placed with `email`, for a guest; `client` is
    /// the caller's address, for throttling.
    pub async fn look_up_order(
        &self,
        number: &str,
        email: &str,
        client: &str,
    ) -> Result<OrderRow, ShopError> {
        let now = now_micros();
        let parsed = OrderNumber::parse(number);
        let number_key = match &parsed {
            Ok(n) => n.to_string(),
            Err(_) => number.trim().to_uppercase().chars().take(32).collect(),
        };
        for (key, limit) in [
            (format!("lookup:address:{client}"), PER_ADDRESS),
            (format!("lookup:number:{number_key}"), PER_NUMBER),
        ] {
            if let Some(retry_after) = self
                .store()
                .throttle(&key, now, WINDOW_MICROS, limit)
                .await?
            {
                tracing::warn!(retry_after, "order look-up throttled");
                return Err(ShopError::TooManyAttempts { retry_after });
            }
        }
        let Ok(number) = parsed else {
            return Err(ShopError::OrderNotFound);
        };
        let order = self.store().order_by_number(number.as_str()).await?;
        match order {
            Some(order)
                if order.email.eq_ignore_ascii_case(email.trim())
                    && !matches!(
                        order.status,
                        OrderStatus::PendingPayment | OrderStatus::PaymentFailed
                    ) =>
            {
                Ok(order)
            }
            _ => Err(ShopError::OrderNotFound),
        }
    }
}
