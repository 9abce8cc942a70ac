//! Staff members and their API tokens (kept as SHA-256 only).

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::staff::StaffRole;

use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

const STAFF_COLUMNS: &str = "id, email, name, role, disabled_at, created_at";

/// Ends every console session of a member (disabled, or set up again).
pub async fn end_console_sessions(tx: &mut Tx, staff_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM console_sessions WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn staff_from(row: &AnyRow) -> Result<StaffRow> {
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

/// Adds a member; `false` when the address already has one.
pub async fn insert_staff(tx: &mut Tx, s: &StaffRow, email_key: &str) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO staff (id, email, email_key, name, role, disabled_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email_key) DO NOTHING",
    )
    .bind(s.id.as_str())
    .bind(s.email.as_str())
    .bind(email_key)
    .bind(s.name.as_str())
    .bind(s.role.as_str())
    .bind(s.disabled_at)
    .bind(s.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Disables a member and removes their tokens; `false` when no such member.
pub async fn disable_staff(tx: &mut Tx, email_key: &str, now: i64) -> Result<bool> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE staff SET disabled_at = COALESCE(disabled_at, $1) WHERE email_key = $2 RETURNING id",
    )
    .bind(now)
    .bind(email_key)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM staff_tokens WHERE staff_id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    // Their console sessions and setup link stop at once too.
    end_console_sessions(tx, &id).await?;
    sqlx::query("DELETE FROM staff_setup_tokens WHERE staff_id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

pub async fn insert_staff_token(
    tx: &mut Tx,
    token_hash: &str,
    staff_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO staff_tokens (token_hash, staff_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(staff_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    pub async fn staff_by_email(&self, email_key: &str) -> Result<Option<StaffRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE email_key = $1"
        )))
        .bind(email_key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(staff_from).transpose()
    }

    /// Every member, by name.
    pub async fn all_staff(&self) -> Result<Vec<StaffRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff ORDER BY name, email"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(staff_from).collect()
    }

    /// The active member a token belongs to (a disabled member's tokens are
    /// removed, and refused here too).
    pub async fn staff_by_token(&self, token_hash: &str) -> Result<Option<StaffRow>> {
        let row = sqlx::query(
            "SELECT s.id, s.email, s.name, s.role, s.disabled_at, s.created_at \
             FROM staff_tokens t JOIN staff s ON s.id = t.staff_id \
             WHERE t.token_hash = $1 AND s.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(staff_from).transpose()
    }
}
