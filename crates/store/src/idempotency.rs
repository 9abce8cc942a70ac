//! Idempotency keys: the first request with a key does the work and its
//! response is kept; a retry with the same key and the same request gets that
//! response; the same key with another request is refused.

use sqlx::Row;

use crate::{Result, Store, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// This caller owns the key now.
    New,
    /// Another request with this key is being processed.
    InProgress { fingerprint: String },
    /// Done: replay this response.
    Completed {
        fingerprint: String,
        status: u16,
        body: String,
    },
}

impl Store {
    pub async fn idempotency_state(&self, scope: &str, key: &str) -> Result<KeyState> {
        let row = sqlx::query(
            "SELECT fingerprint, state, response_status, response_body FROM idempotency_keys \
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(KeyState::New);
        };
        let fingerprint: String = row.try_get("fingerprint")?;
        let state: String = row.try_get("state")?;
        Ok(match state.as_str() {
            "completed" => KeyState::Completed {
                fingerprint,
                status: row
                    .try_get::<Option<i64>, _>("response_status")?
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(500),
                body: row
                    .try_get::<Option<String>, _>("response_body")?
                    .unwrap_or_default(),
            },
            _ => KeyState::InProgress { fingerprint },
        })
    }
}

/// Claims `key` in `scope` for the record this transaction creates (an
/// order, whose id lets recovery complete the key; or a request). Returns
/// false when another request holds the key (on PostgreSQL the insert waits
/// for that request's transaction; on SQLite writers are serialised).
pub async fn claim_key(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    fingerprint: &str,
    order_id: &str,
    now: i64,
) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, state, order_id, created_at) \
         VALUES ($1, $2, $3, 'in_progress', $4, $5) ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(fingerprint)
    .bind(order_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Stores the response of the request that owned the key.
pub async fn complete_key(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'completed', response_status = $1, response_body = $2 \
         WHERE scope = $3 AND key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(scope)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Completes the key that created `order_id`, if any (used by recovery).
pub async fn complete_key_of_order(
    tx: &mut Tx,
    order_id: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'completed', response_status = $1, response_body = $2 \
         WHERE order_id = $3 AND state = 'in_progress'",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
