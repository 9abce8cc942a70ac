//! Order search for the console: one box for what the client says on the
//! telephone (part of the order number, their name or e-mail address), and
//! the status. Any staff role.

use maison_domain::order::OrderStatus;

use crate::actor::{Action, Actor};
use crate::input::invalid;
use crate::order_desk::{MAX_PAGE, StaffOrderPage};
use crate::{Maison, ShopError};

/// The longest search text.
const MAX_QUERY_CHARS: usize = 200;

impl Maison {
    /// Orders newest first matching `text` and `status`, `limit` at a time.
    pub async fn search_orders(
        &self,
        actor: &Actor,
        text: &str,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<StaffOrderPage, ShopError> {
        actor.may(Action::ViewOrders)?;
        let text = text.trim();
        if text.chars().count() > MAX_QUERY_CHARS || text.chars().any(char::is_control) {
            return Err(invalid(
                "invalid_query",
                "q",
                "Search by order number, client name or e-mail address.",
            ));
        }
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
        let after = crate::input::page_after(cursor, "search")?;
        let limit = limit.clamp(1, MAX_PAGE);
        let mut items = self
            .store()
            .search_orders(text, status, after, limit + 1)
            .await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| items.last().map(|o| format!("{}_{}", o.created_at, o.id)))
            .flatten();
        Ok(StaffOrderPage { items, next_cursor })
    }
}
