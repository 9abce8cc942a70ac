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
    /// Claims `key` in `scope` for a request with `fingerprint`.
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<KeyState> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at) \
             VALUES ($1, $2, $3, 'in_progress', $4) ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(KeyState::New);
        }
        self.idempotency_state(scope, key).await
    }

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

    /// Gives the key back when the request was refused before doing anything,
    /// so that a corrected request may use it.
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'",
        )
        .bind(scope)
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Links the key to the order it created (recovery completes it later).
    pub async fn attach_order_to_key(&self, scope: &str, key: &str, order_id: &str) -> Result<()> {
        sqlx::query("UPDATE idempotency_keys SET order_id = $1 WHERE scope = $2 AND key = $3")
            .bind(order_id)
            .bind(scope)
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
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
