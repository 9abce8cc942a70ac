//! Bags: guest bags keyed by an unguessable id. Changes go through a write
//! transaction that first touches the bag row, so two requests on one bag are
//! serialised on both databases and the rule engine sees every line.

use sqlx::Row;

use maison_domain::Money;
use maison_domain::personalisation::Personalisation;

use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagLineRow {
    pub id: String,
    pub sku: String,
    pub product_sku: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub personalisation: Option<Personalisation>,
    pub added_at: i64,
}

/// A line's personalisation as stored. A kind the maison does not know, or a
/// kind without its text, is an error: read as "none", a personalised
/// (final sale) piece would silently become returnable.
pub(crate) fn personalisation_from(
    kind: Option<String>,
    text: Option<String>,
) -> std::result::Result<Option<Personalisation>, String> {
    match (kind.as_deref(), text) {
        (None, None) => Ok(None),
        (Some("engraving"), Some(text)) => Ok(Some(Personalisation::Engraving { text })),
        (Some("embossing"), Some(text)) => Ok(Some(Personalisation::Embossing { text })),
        (kind, text) => Err(format!(
            "personalisation {kind:?} with {}",
            if text.is_some() { "a text" } else { "no text" }
        )),
    }
}

/// A stored quantity: 1 or more, never read as 0 or wrapped.
pub(crate) fn quantity_from(stored: i64) -> std::result::Result<u32, String> {
    u32::try_from(stored)
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| format!("quantity {stored}"))
}

/// A new, empty bag.
pub async fn insert_bag(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO bags (id, created_at, updated_at) VALUES ($1, $2, $2)")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The bag's lines, or `None` when there is no such bag.
    pub async fn bag_lines(&self, bag_id: &str) -> Result<Option<Vec<BagLineRow>>> {
        let mut conn = self.pool().acquire().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bags WHERE id = $1")
            .bind(bag_id)
            .fetch_one(&mut *conn)
            .await?;
        if exists == 0 {
            return Ok(None);
        }
        Ok(Some(read_lines(&mut conn, bag_id).await?))
    }

    /// The order that claimed the bag (`None` while the bag is open or when
    /// there is no such bag).
    pub async fn bag_order(&self, bag_id: &str) -> Result<Option<String>> {
        let order: Option<Option<String>> =
            sqlx::query_scalar("SELECT order_id FROM bags WHERE id = $1")
                .bind(bag_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(order.flatten())
    }
}

/// What [`lock_bag`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BagLock {
    /// The bag is locked for this transaction and may change.
    Open,
    /// The bag is (or is becoming) an order: it may no longer change.
    CheckedOut,
    Missing,
}

/// Locks the bag for this transaction (serialising every change to one bag).
pub async fn lock_bag(tx: &mut Tx, bag_id: &str, now: i64) -> Result<BagLock> {
    let claimed: Option<Option<String>> =
        sqlx::query_scalar("UPDATE bags SET updated_at = $1 WHERE id = $2 RETURNING order_id")
            .bind(now)
            .bind(bag_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match claimed {
        None => BagLock::Missing,
        Some(None) => BagLock::Open,
        Some(Some(_)) => BagLock::CheckedOut,
    })
}

/// Claims the bag for `order_id`: `false` when another order claimed it first
/// (a conditional update, so that concurrent checkouts of one bag on any
/// number of instances give exactly one order).
pub async fn claim_for_order(tx: &mut Tx, bag_id: &str, order_id: &str) -> Result<bool> {
    let claimed = sqlx::query("UPDATE bags SET order_id = $1 WHERE id = $2 AND order_id IS NULL")
        .bind(order_id)
        .bind(bag_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(claimed == 1)
}

/// Gives the bag back after its order's payment failed, so that the client can
/// pay with another card.
pub async fn release_claim(tx: &mut Tx, bag_id: &str, order_id: &str) -> Result<()> {
    sqlx::query("UPDATE bags SET order_id = NULL WHERE id = $1 AND order_id = $2")
        .bind(bag_id)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn lines_in(tx: &mut Tx, bag_id: &str) -> Result<Vec<BagLineRow>> {
    read_lines(tx, bag_id).await
}

async fn read_lines(conn: &mut sqlx::AnyConnection, bag_id: &str) -> Result<Vec<BagLineRow>> {
    let rows = sqlx::query(
        "SELECT id, sku, product_sku, quantity, unit_price_minor, personalisation_kind, \
         personalisation_text, added_at FROM bag_lines WHERE bag_id = $1 ORDER BY added_at, id",
    )
    .bind(bag_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let corrupt = |what: String| StoreError::Corrupt(format!("bag {bag_id}: {what}"));
            Ok(BagLineRow {
                id: row.try_get("id")?,
                sku: row.try_get("sku")?,
                product_sku: row.try_get("product_sku")?,
                quantity: quantity_from(row.try_get("quantity")?).map_err(corrupt)?,
                unit_price: Money::usd_cents(row.try_get("unit_price_minor")?),
                personalisation: personalisation_from(
                    row.try_get("personalisation_kind")?,
                    row.try_get("personalisation_text")?,
                )
                .map_err(corrupt)?,
                added_at: row.try_get("added_at")?,
            })
        })
        .collect()
}

pub async fn insert_line(tx: &mut Tx, bag_id: &str, line: &BagLineRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO bag_lines (id, bag_id, sku, product_sku, quantity, unit_price_minor, \
         personalisation_kind, personalisation_text, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(line.id.as_str())
    .bind(bag_id)
    .bind(line.sku.as_str())
    .bind(line.product_sku.as_str())
    .bind(i64::from(line.quantity))
    .bind(line.unit_price.minor())
    .bind(line.personalisation.as_ref().map(|p| p.kind().to_owned()))
    .bind(line.personalisation.as_ref().map(|p| p.text().to_owned()))
    .bind(line.added_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_line_quantity(
    tx: &mut Tx,
    bag_id: &str,
    line_id: &str,
    quantity: u32,
) -> Result<bool> {
    let updated = sqlx::query("UPDATE bag_lines SET quantity = $1 WHERE id = $2 AND bag_id = $3")
        .bind(i64::from(quantity))
        .bind(line_id)
        .bind(bag_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

pub async fn set_line_price(tx: &mut Tx, bag_id: &str, line_id: &str, price: Money) -> Result<()> {
    sqlx::query("UPDATE bag_lines SET unit_price_minor = $1 WHERE id = $2 AND bag_id = $3")
        .bind(price.minor())
        .bind(line_id)
        .bind(bag_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete_line(tx: &mut Tx, bag_id: &str, line_id: &str) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM bag_lines WHERE id = $1 AND bag_id = $2")
        .bind(line_id)
        .bind(bag_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

/// Empties a bag once its order is placed.
pub async fn empty_bag(tx: &mut Tx, bag_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM bag_lines WHERE bag_id = $1")
        .bind(bag_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
