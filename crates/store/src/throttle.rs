//! Attempt counters in fixed windows, kept in the database so that every
//! instance counts the same attempts.

use sqlx::Row;

use crate::{Result, Store};

/// Whole seconds until the window ends (at least one).
fn wait_secs(window_end: i64, now: i64) -> u64 {
    u64::try_from((window_end - now).max(0) / 1_000_000 + 1).unwrap_or(1)
}

impl Store {
    /// Counts one attempt under `key` in the window of `window_micros` that
    /// started at most that long ago. Returns `Some(seconds to wait)` when the
    /// attempt is over `limit`, `None` when it may go ahead.
    pub async fn throttle(
        &self,
        key: &str,
        now: i64,
        window_micros: i64,
        limit: u32,
    ) -> Result<Option<u64>> {
        let row = sqlx::query(
            "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.hits + 1 END, \
               window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END \
             RETURNING hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(now - window_micros)
        .fetch_one(self.pool())
        .await?;
        let hits: i64 = row.try_get("hits")?;
        let window_start: i64 = row.try_get("window_start")?;
        Ok((hits > i64::from(limit)).then(|| wait_secs(window_start + window_micros, now)))
    }

    /// The attempts counted under `key` in its window, if that window started
    /// less than `window_micros` ago (counts nothing).
    pub async fn recent_attempts(&self, key: &str, now: i64, window_micros: i64) -> Result<u32> {
        let hits: Option<i64> =
            sqlx::query_scalar("SELECT hits FROM throttle WHERE key = $1 AND window_start > $2")
                .bind(key)
                .bind(now - window_micros)
                .fetch_optional(self.pool())
                .await?;
        Ok(hits.map_or(0, |h| u32::try_from(h).unwrap_or(0)))
    }

    /// Takes back one attempt counted under `key` (one that succeeded).
    pub async fn give_back_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE throttle SET hits = hits - 1 WHERE key = $1 AND hits > 0")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets the attempts counted under `key` (e.g. after a good sign-in).
    pub async fn clear_throttle(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// The shared secret `name`: `candidate` if this is the first call in the
    /// database's life, else the value the first caller stored (so every
    /// instance agrees).
    pub async fn shared_secret(&self, name: &str, candidate: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(self.pool())
        .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(value)
    }
}
