//! Staff identities: members with a role, added, listed and disabled by
//! operators (the CLI) or administrators, and API tokens shown once and kept
//! only as a hash. Every change is audited.

pub use maison_domain::audit::AuditEvent;
use maison_domain::contact::{Email, name_part};
use maison_domain::staff::StaffRole;
use maison_store::StoreError;
use maison_store::accounts::email_key;
use maison_store::audit;
use maison_store::staff::{self as store_staff, StaffRow};

use crate::accounts::{Secret, new_token, token_digest};
use crate::actor::{Action, Actor, StaffMember};
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, ShopError};

/// A member as listed (with whether they may still act).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffListing {
    pub member: StaffMember,
    pub disabled: bool,
}

fn member(row: StaffRow) -> StaffMember {
    StaffMember {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
    }
}

/// Operators (the CLI) and administrators manage staff.
fn may_manage(actor: &Actor) -> Result<(), ShopError> {
    actor.may_operate(Action::ManageStaff)
}

impl Maison {
    /// Adds a member with a role; 409 `staff_exists` when the address has one.
    pub async fn add_staff(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
        role: &str,
    ) -> Result<StaffMember, ShopError> {
        may_manage(actor)?;
        let email =
            Email::parse(email).map_err(|e| invalid("invalid_email", "email", e.message))?;
        let name = name_part("name", "name", name)
            .map_err(|e| invalid("invalid_name", "name", e.message))?;
        let role = StaffRole::parse(role).ok_or_else(|| {
            invalid(
                "invalid_role",
                "role",
                "Choose a role: ambassador, prestige_advisor, fulfilment or admin.",
            )
        })?;
        let now = self.now();
        let row = StaffRow {
            id: new_id(),
            email: email.as_str().to_owned(),
            name,
            role,
            disabled_at: None,
            created_at: now,
        };
        let mut tx = self.store().begin_write().await?;
        if !store_staff::insert_staff(&mut tx, &row, &email_key(email.as_str())).await? {
            return Err(ShopError::StaffExists);
        }
        let subject = format!("staff:{}", row.email);
        let details = serde_json::json!({"name": row.name, "role": role.as_str()});
        audit::record(&mut tx, &actor.audit(now, "staff.add", &subject, details)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(member(row))
    }

    /// Every member, by name.
    pub async fn list_staff(&self, actor: &Actor) -> Result<Vec<StaffListing>, ShopError> {
        may_manage(actor)?;
        Ok(self
            .store()
            .all_staff()
            .await?
            .into_iter()
            .map(|row| StaffListing {
                disabled: row.disabled_at.is_some(),
                member: member(row),
            })
            .collect())
    }

    /// Disables a member: their tokens stop working at once.
    pub async fn disable_staff(&self, actor: &Actor, email: &str) -> Result<(), ShopError> {
        may_manage(actor)?;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        if !store_staff::disable_staff(&mut tx, &email_key(email), now).await? {
            return Err(ShopError::StaffNotFound);
        }
        let subject = format!("staff:{}", email.trim());
        audit::record(
            &mut tx,
            &actor.audit(now, "staff.disable", &subject, serde_json::json!({})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// A new API token for an active member, shown once (only its hash is
    /// kept).
    pub async fn new_staff_token(&self, actor: &Actor, email: &str) -> Result<Secret, ShopError> {
        may_manage(actor)?;
        let row = self
            .store()
            .staff_by_email(&email_key(email))
            .await?
            .filter(|row| row.disabled_at.is_none())
            .ok_or(ShopError::StaffNotFound)?;
        let token = new_token()?;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        store_staff::insert_staff_token(&mut tx, &token_digest(token.expose()), &row.id, now)
            .await?;
        let subject = format!("staff:{}", row.email);
        audit::record(
            &mut tx,
            &actor.audit(now, "staff.token", &subject, serde_json::json!({})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(token)
    }

    /// The staff member a bearer token belongs to, if it still works.
    pub async fn staff_by_token(&self, token: &str) -> Result<Option<StaffMember>, ShopError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .store()
            .staff_by_token(&token_digest(token))
            .await?
            .map(member))
    }
}

/// A page of the audit log.
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

impl Maison {
    /// The audit log, oldest first, optionally of one subject
    /// (`order:MV-7K2Q-9HDX-4`): administrators only.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        subject: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<AuditPage, ShopError> {
        actor.may(Action::ViewAuditLog)?;
        let subject = subject.map(str::trim).filter(|s| !s.is_empty());
        if subject.is_some_and(|s| s.len() > 300) {
            return Err(invalid(
                "invalid_subject",
                "subject",
                "A subject reads like order:MV-7K2Q-9HDX-4.",
            ));
        }
        let after = crate::input::page_after(cursor, "log")?;
        let limit = limit.clamp(1, crate::order_desk::MAX_PAGE);
        let mut items = self
            .store()
            .audit_events(
                subject,
                after.as_ref().map(|(at, id)| (*at, id.as_str())),
                limit + 1,
            )
            .await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| items.last().map(|e| format!("{}_{}", e.at, e.id)))
            .flatten();
        Ok(AuditPage { items, next_cursor })
    }
}
