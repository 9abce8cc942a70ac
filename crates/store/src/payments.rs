//! Payment attempts: one row per operation sent to a processor, written before
//! the call. Its id is the processor's idempotency key, so a retry or a
//! recovery never charges twice.

use sqlx::Row;

use maison_domain::Money;

use crate::{Result, Store, Tx};
use maison_domain::payment::PaymentAttempt;

pub async fn insert_attempt(tx: &mut Tx, a: &PaymentAttempt) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_attempts (id, order_id, operation, amount_minor, status, processor, \
         processor_ref, decline_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(a.id.as_str())
    .bind(a.order_id.as_str())
    .bind(a.operation.as_str())
    .bind(a.amount.minor())
    .bind(a.status.as_str())
    .bind(a.processor.as_str())
    .bind(a.processor_ref.clone())
    .bind(a.decline_code.clone())
    .bind(a.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the outcome of an attempt that is still unresolved. Returns false
/// if another worker resolved it first.
pub async fn resolve_attempt(
    tx: &mut Tx,
    id: &str,
    status: &str,
    processor_ref: Option<&str>,
    decline_code: Option<&str>,
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE payment_attempts SET status = $1, processor_ref = $2, decline_code = $3, updated_at = $4 \
         WHERE id = $5 AND status IN ('pending', 'in_doubt')",
    )
    .bind(status)
    .bind(processor_ref.map(str::to_owned))
    .bind(decline_code.map(str::to_owned))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn attempt_from(row: &sqlx::any::AnyRow) -> Result<PaymentAttempt> {
    Ok(PaymentAttempt {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        operation: row.try_get("operation")?,
        amount: Money::usd_cents(row.try_get("amount_minor")?),
        status: row.try_get("status")?,
        processor: row.try_get("processor")?,
        processor_ref: row.try_get("processor_ref")?,
        decline_code: row.try_get("decline_code")?,
        created_at: row.try_get("created_at")?,
    })
}

const ATTEMPT_COLUMNS: &str = "id, order_id, operation, amount_minor, status, processor, processor_ref, decline_code, created_at";

impl Store {
    pub async fn mark_attempt_in_doubt(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE payment_attempts SET status = 'in_doubt', updated_at = $1 WHERE id = $2 AND status = 'pending'")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every payment operation of an order, oldest first.
    pub async fn attempts_of(&self, order_id: &str) -> Result<Vec<PaymentAttempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE order_id = $1 ORDER BY created_at, id"
        )))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    /// The authorisation attempt of an order.
    pub async fn authorisation_of(&self, order_id: &str) -> Result<Option<PaymentAttempt>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE order_id = $1 AND operation = 'authorise'"
        )))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(attempt_from).transpose()
    }

    /// The hold the order's card is under now: the latest authorisation
    /// (first, or again for a changed total) that succeeded and was not
    /// voided since.
    pub async fn current_hold(&self, order_id: &str) -> Result<Option<PaymentAttempt>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts a WHERE a.order_id = $1 \
             AND a.operation IN ('authorise', 'reauthorise') AND a.status = 'succeeded' \
             AND NOT EXISTS (SELECT 1 FROM payment_attempts v WHERE v.order_id = a.order_id \
                 AND v.operation = 'void' AND v.processor_ref = a.processor_ref) \
             ORDER BY a.created_at DESC, a.id DESC LIMIT 1"
        )))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(attempt_from).transpose()
    }

    /// Every attempt still pending or in doubt, oldest first (read only:
    /// recovery claims them before resolving).
    pub async fn unresolved_attempts(&self) -> Result<Vec<PaymentAttempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts \
             WHERE status IN ('pending', 'in_doubt') ORDER BY created_at, id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    /// Unresolved attempts created before `before` that no worker holds; each
    /// returned one is claimed by this caller until `claim_until`.
    pub async fn claim_unresolved_attempts(
        &self,
        operation: &str,
        before: i64,
        now: i64,
        claim_until: i64,
    ) -> Result<Vec<PaymentAttempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts \
             WHERE operation = $3 AND status IN ('pending', 'in_doubt') \
               AND created_at < $1 AND claimed_until < $2 \
             ORDER BY created_at LIMIT 50"
        )))
        .bind(before)
        .bind(now)
        .bind(operation)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = Vec::new();
        for row in rows {
            let attempt = attempt_from(&row)?;
            let won = sqlx::query(
                "UPDATE payment_attempts SET claimed_until = $1 WHERE id = $2 AND claimed_until < $3 \
                 AND status IN ('pending', 'in_doubt')",
            )
            .bind(claim_until)
            .bind(attempt.id.as_str())
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
            if won == 1 {
                claimed.push(attempt);
            }
        }
        Ok(claimed)
    }

    /// How many attempts of `operation` ended in `status` (tests, metrics).
    pub async fn count_attempts(&self, operation: &str, status: &str) -> Result<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_attempts WHERE operation = $1 AND status = $2",
        )
        .bind(operation)
        .bind(status)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }
}
