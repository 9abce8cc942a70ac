//! Returns (issue 11): one row per return against an order, its lines by the
//! order's line number. Every move is a compare-and-set on the status, so two
//! members of staff (or two instances) never move the same return twice.

use sqlx::Row;

use maison_domain::Money;

pub use maison_domain::returns::{Return as ReturnRecord, ReturnLine, ReturnStatus};

use crate::{Result, Store, Tx};

/// What a move changes besides the status (None: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ReturnChange<'a> {
    pub restocked: Option<bool>,
    pub rejection_reason: Option<&'a str>,
    pub refund_method: Option<&'a str>,
    pub refund_reference: Option<&'a str>,
}

const COLUMNS: &str = "SELECT r.id, r.order_id, o.number, r.status, r.reason, r.amount_minor, \
     r.restocked, r.rejection_reason, r.refund_method, r.refund_reference, r.refund_attempt_id, \
     r.requested_by, r.created_at, r.updated_at FROM returns r JOIN orders o ON o.id = r.order_id";

fn record_from(row: &sqlx::any::AnyRow) -> Result<ReturnRecord> {
    let restocked: Option<i64> = row.try_get("restocked")?;
    let status: String = row.try_get("status")?;
    let status = ReturnStatus::parse(&status)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("return status {status:?}")))?;
    Ok(ReturnRecord {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        order_number: row.try_get("number")?,
        status,
        reason: row.try_get("reason")?,
        amount: Money::usd_cents(row.try_get("amount_minor")?),
        restocked: restocked.map(|r| r == 1),
        rejection_reason: row.try_get("rejection_reason")?,
        refund_method: row.try_get("refund_method")?,
        refund_reference: row.try_get("refund_reference")?,
        refund_attempt_id: row.try_get("refund_attempt_id")?,
        requested_by: row.try_get("requested_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        lines: Vec::new(),
    })
}

fn line_from(row: &sqlx::any::AnyRow) -> Result<ReturnLine> {
    let line_no: i64 = row.try_get("line_no")?;
    let quantity: i64 = row.try_get("quantity")?;
    Ok(ReturnLine {
        line_no: u32::try_from(line_no).unwrap_or(0),
        quantity: u32::try_from(quantity).unwrap_or(0),
    })
}

/// Records a new return and its lines.
pub async fn insert(tx: &mut Tx, r: &ReturnRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO returns (id, order_id, status, reason, amount_minor, requested_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(r.id.as_str())
    .bind(r.order_id.as_str())
    .bind(r.status.as_str())
    .bind(r.reason.as_str())
    .bind(r.amount.minor())
    .bind(r.requested_by.as_str())
    .bind(r.created_at)
    .execute(&mut **tx)
    .await?;
    for line in &r.lines {
        sqlx::query("INSERT INTO return_lines (return_id, line_no, quantity) VALUES ($1, $2, $3)")
            .bind(r.id.as_str())
            .bind(i64::from(line.line_no))
            .bind(i64::from(line.quantity))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// How many of each order line are in returns that are not rejected, as
/// this transaction sees them.
pub async fn returned_quantities_in(tx: &mut Tx, order_id: &str) -> Result<Vec<ReturnLine>> {
    let rows = sqlx::query(
        "SELECT l.line_no, CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS quantity \
         FROM return_lines l JOIN returns r ON r.id = l.return_id \
         WHERE r.order_id = $1 AND r.status <> 'rejected' GROUP BY l.line_no",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(line_from).collect()
}

/// The return as this transaction sees it.
pub async fn get_in(tx: &mut Tx, id: &str) -> Result<Option<ReturnRecord>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(record_from).transpose()
}

/// Moves a return from `from` to `to` (with `change`) unless another move
/// came first. Returns false then.
pub async fn move_status(
    tx: &mut Tx,
    id: &str,
    from: ReturnStatus,
    to: ReturnStatus,
    change: &ReturnChange<'_>,
    now: i64,
) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE returns SET status = $1, restocked = COALESCE($2, restocked), \
         rejection_reason = COALESCE($3, rejection_reason), \
         refund_method = COALESCE($4, refund_method), \
         refund_reference = COALESCE($5, refund_reference), updated_at = $6 \
         WHERE id = $7 AND status = $8",
    )
    .bind(to.as_str())
    .bind(change.restocked.map(i64::from))
    .bind(change.rejection_reason.map(str::to_owned))
    .bind(change.refund_method.map(str::to_owned))
    .bind(change.refund_reference.map(str::to_owned))
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Sets (or clears) the card refund's attempt of a received return.
pub async fn set_refund_attempt(
    tx: &mut Tx,
    id: &str,
    attempt_id: Option<&str>,
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE returns SET refund_attempt_id = $1, refund_method = 'card', updated_at = $2 \
         WHERE id = $3 AND status = 'received'",
    )
    .bind(attempt_id.map(str::to_owned))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The status of a payment attempt, as this transaction sees it.
pub async fn attempt_status_in(tx: &mut Tx, attempt_id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT status FROM payment_attempts WHERE id = $1")
            .bind(attempt_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

impl Store {
    async fn with_lines(&self, mut records: Vec<ReturnRecord>) -> Result<Vec<ReturnRecord>> {
        for record in &mut records {
            let rows = sqlx::query(
                "SELECT line_no, quantity FROM return_lines WHERE return_id = $1 ORDER BY line_no",
            )
            .bind(record.id.as_str())
            .fetch_all(self.pool())
            .await?;
            record.lines = rows.iter().map(line_from).collect::<Result<_>>()?;
        }
        Ok(records)
    }

    /// One return, with its lines.
    pub async fn return_by_id(&self, id: &str) -> Result<Option<ReturnRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE r.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let Some(record) = row.as_ref().map(record_from).transpose()? else {
            return Ok(None);
        };
        Ok(self.with_lines(vec![record]).await?.pop())
    }

    /// The order's returns, oldest first, with their lines.
    pub async fn returns_of_order(&self, order_id: &str) -> Result<Vec<ReturnRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE r.order_id = $1 ORDER BY r.created_at, r.id"
        )))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        let records = rows.iter().map(record_from).collect::<Result<_>>()?;
        self.with_lines(records).await
    }

    /// Returns newest first, of one status or all, `limit` at most (the
    /// console's list).
    pub async fn recent_returns(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ReturnRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE ($1 = '' OR r.status = $1) ORDER BY r.created_at DESC, r.id LIMIT $2"
        )))
        .bind(status.unwrap_or("").to_owned())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let records = rows.iter().map(record_from).collect::<Result<_>>()?;
        self.with_lines(records).await
    }
}
