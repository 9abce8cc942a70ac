//! Wire and cash receipts of assisted orders.

use sqlx::Row;

use maison_domain::Money;
use maison_domain::receipt::{Receipt, ReceiptMethod, reference_key};

use crate::{Result, Store, StoreError, Tx};

/// Records the receipt; `false` when its bank reference was recorded before
/// (a unique index decides, so the same transfer cannot be counted twice).
pub async fn insert(tx: &mut Tx, r: &Receipt) -> Result<bool> {
    let key = (r.method == ReceiptMethod::Wire).then(|| reference_key(&r.reference));
    let inserted = sqlx::query(
        "INSERT INTO receipts (id, order_id, method, amount_minor, reference, reference_key, \
         recorded_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(r.id.as_str())
    .bind(r.order_id.as_str())
    .bind(r.method.as_str())
    .bind(r.amount.minor())
    .bind(r.reference.as_str())
    .bind(key)
    .bind(r.recorded_by.as_str())
    .bind(r.received_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

const COLUMNS: &str = "SELECT id, order_id, method, amount_minor, reference, recorded_by, received_at FROM receipts \
     WHERE order_id = $1 ORDER BY received_at, id";

fn receipt_from(row: &sqlx::any::AnyRow) -> Result<Receipt> {
    let method: String = row.try_get("method")?;
    Ok(Receipt {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        method: ReceiptMethod::parse(&method)
            .ok_or_else(|| StoreError::Corrupt(format!("receipt method {method:?}")))?,
        amount: Money::usd_cents(row.try_get("amount_minor")?),
        reference: row.try_get("reference")?,
        recorded_by: row.try_get("recorded_by")?,
        received_at: row.try_get("received_at")?,
    })
}

/// The order's receipts, oldest first, inside a transaction.
pub async fn of_order_in(tx: &mut Tx, order_id: &str) -> Result<Vec<Receipt>> {
    let rows = sqlx::query(COLUMNS)
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(receipt_from).collect()
}

impl Store {
    /// The order a receipt was recorded on.
    pub async fn receipt_order(&self, receipt_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT order_id FROM receipts WHERE id = $1")
                .bind(receipt_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The order's receipts, oldest first.
    pub async fn receipts_of_order(&self, order_id: &str) -> Result<Vec<Receipt>> {
        let rows = sqlx::query(COLUMNS)
            .bind(order_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(receipt_from).collect()
    }
}
