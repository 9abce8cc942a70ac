//! The outbox: messages written in the same transaction as the change they
//! announce, delivered later by a worker that retries with back-off. A message
//! that keeps failing is kept as failed, never dropped.

use sqlx::Row;

use crate::{Result, Store, Tx};

/// What a sent letter that carried a single-use link keeps as its body.
pub const SENT_LINK_BODY: &str =
    "(Sent. This letter carried a single-use link, which is not kept.)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    /// `email` or `fax`: which sender delivers it.
    pub channel: String,
    pub order_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

pub async fn enqueue(tx: &mut Tx, m: &OutboxMessage, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, order_id, recipient, subject, text_body, html_body, status, \
         attempts, next_attempt_at, created_at, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $9)",
    )
    .bind(m.id.as_str())
    .bind(m.kind.as_str())
    .bind(m.order_id.clone())
    .bind(m.recipient.as_str())
    .bind(m.subject.as_str())
    .bind(m.text_body.as_str())
    .bind(m.html_body.as_str())
    .bind(now)
    .bind(m.channel.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A message as staff see it in the outbox: with when it was queued and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub message: OutboxMessage,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const ENTRY_COLUMNS: &str = "id, kind, channel, order_id, recipient, subject, text_body, html_body, \
    status, attempts, last_error, created_at, sent_at";

fn entry_from(row: &sqlx::any::AnyRow) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        message: message_from(row)?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
    })
}

/// Puts a failed message back in the queue, due now; `false` when there is
/// no failed message with this id.
pub async fn retry(tx: &mut Tx, id: &str, now: i64) -> Result<bool> {
    let changed = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = 0 \
         WHERE id = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

fn message_from(row: &sqlx::any::AnyRow) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        channel: row.try_get("channel")?,
        order_id: row.try_get("order_id")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        text_body: row.try_get("text_body")?,
        html_body: row.try_get("html_body")?,
        status: row.try_get("status")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        last_error: row.try_get("last_error")?,
    })
}

impl Store {
    /// Due messages no other worker holds, claimed until `claim_until` in one
    /// statement (the outer condition is checked again under the row lock, so
    /// two instances never claim the same message).
    pub async fn claim_due_messages(
        &self,
        now: i64,
        claim_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 \
             WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 AND id IN \
               (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 \
                ORDER BY next_attempt_at LIMIT $3) \
             RETURNING id, kind, channel, order_id, recipient, subject, text_body, html_body, status, attempts, last_error",
        )
        .bind(claim_until)
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message_from).collect()
    }

    /// Records the delivery of `ids`, in one transaction (one commit for a
    /// whole batch).
    /// Records delivered messages. A letter that carried a single-use link
    /// (registration, password reset) keeps no body once sent: whoever reads
    /// the database must not find a working link there.
    pub async fn mark_sent(&self, ids: &[String], now: i64) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for id in ids {
            sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_until = 0, \
                 text_body = CASE WHEN kind IN ('registration', 'password_reset') THEN $3 ELSE text_body END, \
                 html_body = CASE WHEN kind IN ('registration', 'password_reset') THEN $3 ELSE html_body END \
                 WHERE id = $2",
            )
            .bind(now)
            .bind(id.as_str())
            .bind(SENT_LINK_BODY)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed delivery: retried at `next_attempt_at`, or kept as
    /// failed when `give_up`.
    pub async fn mark_delivery_failed(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = 0, \
             status = $3 WHERE id = $4",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(if give_up { "failed" } else { "pending" })
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The messages of an order, oldest first.
    /// Every message to `recipient`, oldest first.
    pub async fn messages_to(&self, recipient: &str) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT id, kind, channel, order_id, recipient, subject, text_body, html_body, status, attempts, last_error \
             FROM outbox WHERE recipient = $1 ORDER BY created_at, id",
        )
        .bind(recipient)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message_from).collect()
    }

    pub async fn messages_of_order(&self, order_id: &str) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT id, kind, channel, order_id, recipient, subject, text_body, html_body, status, attempts, last_error \
             FROM outbox WHERE order_id = $1 ORDER BY created_at, kind",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message_from).collect()
    }

    /// The messages of an order with their times, oldest first.
    pub async fn entries_of_order(&self, order_id: &str) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE order_id = $1 ORDER BY created_at, kind"
        );
        // The column list is a constant.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Messages newest first, optionally in one status, from the position
    /// `after` (the `(created_at, id)` of the last one of the previous page).
    pub async fn outbox_entries(
        &self,
        status: Option<&str>,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE ($1 = '' OR status = $1) \
             AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3))) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        // The column list is a constant.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.unwrap_or(""))
            .bind(at)
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// One message with its times.
    pub async fn outbox_entry(&self, id: &str) -> Result<Option<OutboxEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1");
        // The column list is a constant.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(entry_from).transpose()
    }
}
