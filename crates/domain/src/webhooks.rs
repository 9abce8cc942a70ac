//! Integrators' webhook endpoints and the deliveries made to them.

/// An integrator's endpoint (its secret only where it is needed: signing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
}

/// A delivery as administrators read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub kind: String,
    pub subject: String,
    /// `pending`, `delivered` or `failed` (kept after a day of retries).
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
    /// The HTTP status of the last answer, if one came.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}
