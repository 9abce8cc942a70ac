//! The audit log: append-only, written in the transaction of the change it
//! records, read by administrators.

use sqlx::Row;

use maison_domain::audit::AuditEvent;

use crate::{Result, Store, Tx};

pub async fn record(tx: &mut Tx, e: &AuditEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_kind, actor_email, actor_role, action, subject, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.id.as_str())
    .bind(e.at)
    .bind(e.actor_kind.as_str())
    .bind(e.actor_email.clone())
    .bind(e.actor_role.clone())
    .bind(e.action.as_str())
    .bind(e.subject.as_str())
    .bind(e.details.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Events oldest first, optionally of one subject, after the position
    /// `(at, id)` of the cursor; at most `limit`.
    pub async fn audit_events(
        &self,
        subject: Option<&str>,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
        let rows = sqlx::query(
            "SELECT id, at, actor_kind, actor_email, actor_role, action, subject, details \
             FROM audit_events \
             WHERE ($1 = '' OR subject = $1) AND (at > $2 OR (at = $2 AND id > $3)) \
             ORDER BY at, id LIMIT $4",
        )
        .bind(subject.unwrap_or(""))
        .bind(after_at)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor_kind: row.try_get("actor_kind")?,
                    actor_email: row.try_get("actor_email")?,
                    actor_role: row.try_get("actor_role")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    details: row.try_get("details")?,
                })
            })
            .collect()
    }
}
