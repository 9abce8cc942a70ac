//! The audit log's entry: who did what to which subject, and when.

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: String,
    pub at: i64,
    /// `guest`, `client`, `staff` or `system`.
    pub actor_kind: String,
    pub actor_email: Option<String>,
    pub actor_role: Option<String>,
    /// `order.cancel`, `order.process`, `staff.add`, ...
    pub action: String,
    /// `order:MV-7K2Q-9HDX-4`, `staff:claire@maison.example`, ...
    pub subject: String,
    /// A JSON object.
    pub details: String,
}
