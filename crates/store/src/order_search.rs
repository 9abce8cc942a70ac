//! Orders found by what Client Relations hear on the telephone: part of the
//! order number, the client's name or e-mail address, and the status.

use sqlx::Row;

use maison_domain::Money;
use maison_domain::order::{OrderListItem, OrderStatus};

use crate::{Result, Store, StoreError};

/// `%text%` for LIKE, with `\`, `%` and `_` taken literally.
fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Orders newest first whose number, client name or e-mail contains
    /// `text` (any case; empty: all), in `status` (none: every status but
    /// those of checkouts that never became orders), after the cursor.
    pub async fn search_orders(
        &self,
        text: &str,
        status: Option<OrderStatus>,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<OrderListItem>> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let number: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let rows = sqlx::query(
            "SELECT o.id, o.number, o.status, COALESCE(a.via, o.channel) AS channel, o.email, \
                    o.first_name, o.last_name, o.total_minor, o.created_at \
             FROM orders o LEFT JOIN assisted_orders a ON a.order_id = o.id \
             WHERE ($1 = '' OR o.status = $1) \
               AND ($1 <> '' OR o.status NOT IN ('pending_payment', 'payment_failed')) \
               AND ($2 = '' \
                    OR UPPER(o.number) LIKE $3 ESCAPE '\\' \
                    OR LOWER(o.first_name || ' ' || o.last_name) LIKE $4 ESCAPE '\\' \
                    OR LOWER(o.last_name || ' ' || o.first_name) LIKE $4 ESCAPE '\\' \
                    OR (o.first_name || ' ' || o.last_name) LIKE $5 ESCAPE '\\' \
                    OR LOWER(o.email) LIKE $4 ESCAPE '\\') \
               AND (o.created_at < $6 OR (o.created_at = $6 AND o.id < $7)) \
             ORDER BY o.created_at DESC, o.id DESC LIMIT $8",
        )
        .bind(status.map_or("", OrderStatus::as_str))
        .bind(text)
        .bind(contains(&number))
        .bind(contains(&text.to_lowercase()))
        .bind(contains(text))
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(OrderListItem {
                    id: row.try_get("id")?,
                    number: row.try_get("number")?,
                    status: OrderStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
                    channel: row.try_get("channel")?,
                    email: row.try_get("email")?,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    total: Money::usd_cents(row.try_get("total_minor")?),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains("MV-7K"), "%MV-7K%");
        assert_eq!(contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
