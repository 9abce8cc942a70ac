//! A return against an order (Conditions of Sale): its lines and where it
//! stands. The rules of returns are decided in `app::returns` with the
//! order's dates; this is the record they read and write.

use crate::Money;

/// Where a return stands: requested by the client (or staff for them),
/// authorised, received, then refunded; or rejected with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnStatus {
    Requested,
    Authorised,
    Received,
    Refunded,
    Rejected,
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 5] = [
        ReturnStatus::Requested,
        ReturnStatus::Authorised,
        ReturnStatus::Received,
        ReturnStatus::Refunded,
        ReturnStatus::Rejected,
    ];

    /// As the API and the database write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Authorised => "authorised",
            ReturnStatus::Received => "received",
            ReturnStatus::Refunded => "refunded",
            ReturnStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for ReturnStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the order's lines coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    /// The order line's number (1, 2, ...): its `line_id` in the API.
    pub line_no: u32,
    pub quantity: u32,
}

/// A return, as the maison keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub id: String,
    pub order_id: String,
    /// The order's number (read with the return).
    pub order_number: String,
    pub status: ReturnStatus,
    pub reason: String,
    /// What the returned lines cost: the amount refunded.
    pub amount: Money,
    pub restocked: Option<bool>,
    pub rejection_reason: Option<String>,
    /// `card`, `wire` or `cash`, once refunded (or a card refund under way).
    pub refund_method: Option<String>,
    pub refund_reference: Option<String>,
    pub refund_attempt_id: Option<String>,
    pub requested_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<ReturnLine>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in ReturnStatus::ALL {
            assert_eq!(ReturnStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ReturnStatus::parse("lost"), None);
    }
}
