//! Staff sign-in to the console: members' credentials (an Argon2id hash and a
//! TOTP secret), their one-time setup links and their console sessions
//! (tokens kept as SHA-256 only).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::staff::StaffRow;
use crate::{Result, Store, StoreError, Tx};
use maison_domain::staff::StaffRole;

/// A member with what signing in checks.
#[derive(Debug, Clone)]
pub struct StaffCredentials {
    pub member: StaffRow,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

/// A one-time setup link, as stored.
#[derive(Debug, Clone)]
pub struct SetupTokenRow {
    pub token_hash: String,
    pub staff_id: String,
    pub totp_secret: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A console session, as stored.
#[derive(Debug, Clone)]
pub struct ConsoleSessionRow {
    pub token_hash: String,
    pub staff_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

const MEMBER: &str = "s.id, s.email, s.name, s.role, s.disabled_at, s.created_at";

fn member_from(row: &AnyRow) -> Result<StaffRow> {
    let role: String = row.try_get("role")?;
    Ok(StaffRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: StaffRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("staff role {role:?}")))?,
        disabled_at: row.try_get("disabled_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Keeps `token` as the member's only setup link (earlier unused ones stop
/// working).
pub async fn insert_setup_token(tx: &mut Tx, token: &SetupTokenRow) -> Result<()> {
    sqlx::query("DELETE FROM staff_setup_tokens WHERE staff_id = $1")
        .bind(token.staff_id.as_str())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO staff_setup_tokens (token_hash, staff_id, totp_secret, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(token.token_hash.as_str())
    .bind(token.staff_id.as_str())
    .bind(token.totp_secret.as_str())
    .bind(token.created_at)
    .bind(token.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Spends a setup link: `true` when it was unused and unexpired at `now`
/// (then it never works again).
pub async fn spend_setup_token(tx: &mut Tx, token_hash: &str, now: i64) -> Result<bool> {
    let spent = sqlx::query(
        "UPDATE staff_setup_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(spent == 1)
}

/// Sets a member's password and TOTP secret (the step of the code that
/// proved it is spent), and ends their console sessions.
pub async fn set_credentials(
    tx: &mut Tx,
    staff_id: &str,
    password_hash: &str,
    totp_secret: &str,
    spent_step: Option<i64>,
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE staff SET password_hash = $1, totp_secret = $2, totp_last_step = $3, enrolled_at = $4 \
         WHERE id = $5 AND disabled_at IS NULL",
    )
    .bind(password_hash)
    .bind(totp_secret)
    .bind(spent_step)
    .bind(now)
    .bind(staff_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM console_sessions WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await?;
    Ok(updated == 1)
}

pub async fn insert_console_session(tx: &mut Tx, s: &ConsoleSessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.token_hash.as_str())
    .bind(s.staff_id.as_str())
    .bind(s.csrf_token.as_str())
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The member at `email_key` with their credentials.
    pub async fn staff_credentials(&self, email_key: &str) -> Result<Option<StaffCredentials>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER}, s.password_hash, s.totp_secret, s.totp_last_step \
             FROM staff s WHERE s.email_key = $1"
        )))
        .bind(email_key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(|row| {
                Ok(StaffCredentials {
                    member: member_from(row)?,
                    password_hash: row.try_get("password_hash")?,
                    totp_secret: row.try_get("totp_secret")?,
                    totp_last_step: row.try_get("totp_last_step")?,
                })
            })
            .transpose()
    }

    /// Whether the member has set up their sign-in.
    pub async fn staff_enrolled(&self, staff_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff WHERE id = $1 AND password_hash IS NOT NULL",
        )
        .bind(staff_id)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Accepts the code of `step` once: `true` when no code of this step or
    /// a later one was accepted before (two sign-ins racing with one code:
    /// one wins).
    pub async fn spend_totp_step(&self, staff_id: &str, step: i64) -> Result<bool> {
        let spent = sqlx::query(
            "UPDATE staff SET totp_last_step = $1 \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(staff_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(spent == 1)
    }

    /// A setup link and its (active or disabled) member.
    pub async fn setup_token(&self, token_hash: &str) -> Result<Option<(SetupTokenRow, StaffRow)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER}, t.token_hash, t.staff_id, t.totp_secret AS link_secret, \
                    t.created_at AS link_created_at, t.expires_at, t.used_at \
             FROM staff_setup_tokens t JOIN staff s ON s.id = t.staff_id \
             WHERE t.token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(|row| {
                Ok((
                    SetupTokenRow {
                        token_hash: row.try_get("token_hash")?,
                        staff_id: row.try_get("staff_id")?,
                        totp_secret: row.try_get("link_secret")?,
                        created_at: row.try_get("link_created_at")?,
                        expires_at: row.try_get("expires_at")?,
                        used_at: row.try_get("used_at")?,
                    },
                    member_from(row)?,
                ))
            })
            .transpose()
    }

    /// A console session and its member, while the member is active.
    pub async fn console_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ConsoleSessionRow, StaffRow)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER}, c.token_hash, c.staff_id, c.csrf_token, \
                    c.created_at AS session_created_at, c.last_seen_at \
             FROM console_sessions c JOIN staff s ON s.id = c.staff_id \
             WHERE c.token_hash = $1 AND s.disabled_at IS NULL"
        )))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(|row| {
                Ok((
                    ConsoleSessionRow {
                        token_hash: row.try_get("token_hash")?,
                        staff_id: row.try_get("staff_id")?,
                        csrf_token: row.try_get("csrf_token")?,
                        created_at: row.try_get("session_created_at")?,
                        last_seen_at: row.try_get("last_seen_at")?,
                    },
                    member_from(row)?,
                ))
            })
            .transpose()
    }

    pub async fn touch_console_session(&self, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_console_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes console sessions started before `started_before` or idle
    /// since `seen_before`, and setup links expired before `now`.
    pub async fn purge_console_sessions(
        &self,
        started_before: i64,
        seen_before: i64,
        now: i64,
    ) -> Result<u64> {
        let sessions = sqlx::query(
            "DELETE FROM console_sessions WHERE created_at <= $1 OR last_seen_at <= $2",
        )
        .bind(started_before)
        .bind(seen_before)
        .execute(self.pool())
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM staff_setup_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(sessions)
    }
}
