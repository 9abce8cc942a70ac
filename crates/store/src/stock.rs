//! Stock: reserved by a conditional decrement, never read-then-write, so that
//! concurrent checkouts on any number of instances never oversell.

use sqlx::Row;

use crate::{Result, Store, Tx};

/// Takes `quantity` of `sku` if that many are on hand. Returns `None` when
/// there are not enough, else the quantity left.
pub async fn reserve(tx: &mut Tx, sku: &str, quantity: u32) -> Result<Option<u32>> {
    let row = sqlx::query(
        "UPDATE stock_levels SET on_hand = on_hand - $1 WHERE sku = $2 AND on_hand >= $1 RETURNING on_hand",
    )
    .bind(i64::from(quantity))
    .bind(sku)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(row) => Ok(Some(
            u32::try_from(row.try_get::<i64, _>("on_hand")?).unwrap_or(0),
        )),
        None => Ok(None),
    }
}

/// Puts `quantity` of `sku` back (a declined payment, a cancellation).
/// Returns the quantity on hand after.
pub async fn release(tx: &mut Tx, sku: &str, quantity: u32) -> Result<u32> {
    let row = sqlx::query(
        "UPDATE stock_levels SET on_hand = on_hand + $1 WHERE sku = $2 RETURNING on_hand",
    )
    .bind(i64::from(quantity))
    .bind(sku)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => u32::try_from(row.try_get::<i64, _>("on_hand")?).unwrap_or(0),
        None => 0,
    })
}

/// Marks the catalogue changed (a size sold out or came back), so every
/// instance reloads availability.
pub async fn availability_changed(tx: &mut Tx) -> Result<()> {
    sqlx::query("UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The quantity on hand of `sku`, read now (not from the snapshot).
    pub async fn on_hand(&self, sku: &str) -> Result<u32> {
        let on_hand: Option<i64> =
            sqlx::query_scalar("SELECT on_hand FROM stock_levels WHERE sku = $1")
                .bind(sku)
                .fetch_optional(self.pool())
                .await?;
        Ok(on_hand.and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
    }
}

/// The quantity on hand of `sku` inside a transaction.
pub async fn on_hand_in(tx: &mut Tx, sku: &str) -> Result<u32> {
    let on_hand: Option<i64> =
        sqlx::query_scalar("SELECT on_hand FROM stock_levels WHERE sku = $1")
            .bind(sku)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(on_hand.and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
}
